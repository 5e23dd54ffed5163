//! A whole trace's segments as columns of facts, in chunks of rows laid out
//! as Arrow lays out a record batch: each column a buffer of fixed-width
//! values (with a validity bitmap when values may be missing), categories as
//! small codes into a dictionary. `to_arrow()` hands these buffers over as
//! they are; `to_pandas()` copies them into its own.
//!
//! The explanation is not kept: it is written from the facts when asked
//! (`crate::explain::text`), so a segment costs about 110 bytes here (it
//! cost 470 with its paragraph and its report's fields as they were). Facts few segments have (events, state
//! changes, SYN options, SACK blocks, notes) are kept apart, with their row;
//! what an ACK newly acknowledges is kept apart too, in columns of its own.
//! A row's report is put back together from all of these: nothing is
//! computed again.

use crate::model::Record;
use crate::track::report::{
    Acked, Event, Evidence, Inference, Offer, Role, SegmentReport, States, Transition,
};
use crate::track::state::TcpState;
use compact_str::CompactString;
use std::collections::HashMap;

/// Rows per chunk of a whole trace (a record batch of `to_arrow()`).
pub(super) const ROWS: usize = 1 << 16;

/// Arrow's validity bitmap: bit `i` (least significant bit first) is set
/// when row `i` has a value.
#[derive(Default, Clone)]
pub(super) struct Validity {
    pub(super) bits: Vec<u8>,
    pub(super) nulls: usize,
    len: usize,
}

impl Validity {
    pub(super) fn push(&mut self, valid: bool) {
        let bit = self.len % 8;
        if bit == 0 {
            self.bits.push(0);
        }
        if valid {
            if let Some(byte) = self.bits.last_mut() {
                *byte |= 1 << bit;
            }
        } else {
            self.nulls = self.nulls.saturating_add(1);
        }
        self.len = self.len.saturating_add(1);
    }

    pub(super) fn get(&self, row: usize) -> bool {
        self.bits
            .get(row / 8)
            .is_some_and(|byte| (byte >> (row % 8)) & 1 == 1)
    }

    /// Whether each row has a value, in order (eight at a time from a table).
    pub(super) fn each(&self) -> impl Iterator<Item = bool> + '_ {
        self.bits
            .iter()
            .flat_map(|&byte| BITS.get(usize::from(byte)).copied().unwrap_or_default())
            .take(self.len)
    }
}

/// The eight bits of each byte, least significant first.
// (Indexed at compile time: an index out of range would not compile.)
#[allow(clippy::indexing_slicing)]
const BITS: [[bool; 8]; 256] = {
    let mut table = [[false; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            table[byte][bit] = (byte >> bit) & 1 == 1;
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// A column whose values may be missing (a missing value's slot holds the default).
#[derive(Clone)]
pub(super) struct Opt<T> {
    pub(super) values: Vec<T>,
    pub(super) valid: Validity,
}

impl<T> Default for Opt<T> {
    fn default() -> Self {
        Opt {
            values: Vec::new(),
            valid: Validity::default(),
        }
    }
}

impl<T: Copy + Default> Opt<T> {
    pub(super) fn push(&mut self, v: Option<T>) {
        self.values.push(v.unwrap_or_default());
        self.valid.push(v.is_some());
    }

    /// `None` past the end; `Some(None)` for a missing value.
    pub(super) fn get(&self, row: usize) -> Option<Option<T>> {
        let v = *self.values.get(row)?;
        Some(self.valid.get(row).then_some(v))
    }
}

/// The senders, in the order of their codes.
pub(super) const ROLES: [Role; 2] = [Role::Client, Role::Server];

pub(super) fn role_code(role: Role) -> i8 {
    match role {
        Role::Client => 0,
        Role::Server => 1,
    }
}

/// The states, in the order of their codes: RFC 9293's, a connection's life
/// from CLOSED to TIME_WAIT.
pub(super) const STATES: [TcpState; 11] = [
    TcpState::Closed,
    TcpState::Listen,
    TcpState::SynSent,
    TcpState::SynReceived,
    TcpState::Established,
    TcpState::FinWait1,
    TcpState::FinWait2,
    TcpState::CloseWait,
    TcpState::Closing,
    TcpState::LastAck,
    TcpState::TimeWait,
];

pub(super) fn state_code(state: TcpState) -> i8 {
    // (Exhaustive: a new state must be given its code here, and its place in STATES.)
    match state {
        TcpState::Closed => 0,
        TcpState::Listen => 1,
        TcpState::SynSent => 2,
        TcpState::SynReceived => 3,
        TcpState::Established => 4,
        TcpState::FinWait1 => 5,
        TcpState::FinWait2 => 6,
        TcpState::CloseWait => 7,
        TcpState::Closing => 8,
        TcpState::LastAck => 9,
        TcpState::TimeWait => 10,
    }
}

/// Codes for the flags column, in order of first appearance (few: the
/// letters of at most nine flag bits). A value is first compared with the
/// last one, then searched among the few seen.
#[derive(Default, Clone)]
pub(super) struct Dictionary {
    pub(super) names: Vec<CompactString>,
    index: HashMap<CompactString, i16>,
    last: Option<i16>,
}

impl Dictionary {
    fn code(&mut self, name: &str) -> i16 {
        if let Some(last) = self.last {
            if self.name(last).is_some_and(|n| n == name) {
                return last;
            }
        }
        let code = match self.index.get(name) {
            Some(&code) => code,
            None => {
                // (Flags spell at most 2^9 sets: the codes never run out.)
                let code = i16::try_from(self.names.len()).unwrap_or(i16::MAX);
                self.names.push(CompactString::from(name));
                self.index.insert(CompactString::from(name), code);
                code
            }
        };
        self.last = Some(code);
        code
    }

    pub(super) fn name(&self, code: i16) -> Option<&str> {
        self.names
            .get(usize::try_from(code).ok()?)
            .map(CompactString::as_str)
    }
}

/// What a segment's line printed that its report does not carry.
#[derive(Default, Clone, Copy, Debug)]
pub(super) struct Printed {
    /// The time printed, in seconds (see [`Clock`]).
    pub(super) abs_time: Option<f64>,
    /// The TCP timestamps option (RFC 7323).
    pub(super) tsval: Option<u32>,
    pub(super) tsecr: Option<u32>,
    /// The window field as printed (not scaled).
    pub(super) window_raw: Option<u32>,
}

/// The time a line printed, in seconds: since the epoch for `-tt` and
/// `-tttt` (the date and time as printed, read as UTC), since midnight of
/// the first day for the time of day (a day more each time it passes
/// midnight), since the first line for `-ttttt`, summed for `-ttt`: the
/// tracker's own clock, so that `time` is this minus the connection's first.
pub(super) use crate::track::Clock;

/// The facts of a report that few segments have.
#[derive(Default)]
pub(super) struct Rare {
    pub(super) events: Vec<Event>,
    pub(super) sack: Vec<(u32, u32)>,
    /// Rarer still: a handshake's and a teardown's facts, and a record kept
    /// whole (a segment nested in a tunnel).
    pub(super) more: Option<Box<More>>,
}

#[derive(Default)]
pub(super) struct More {
    pub(super) transitions: Vec<Transition>,
    pub(super) offer: Option<Offer>,
    pub(super) peer_fin_unacked: Option<u64>,
    pub(super) handshake_rtt: Option<f64>,
    pub(super) notes: Vec<Inference>,
    pub(super) record: Option<Record>,
    /// The explanation, when the tracker wrote one.
    pub(super) text: String,
}

impl More {
    fn is_empty(&self) -> bool {
        self.transitions.is_empty()
            && self.offer.is_none()
            && self.peer_fin_unacked.is_none()
            && self.handshake_rtt.is_none()
            && self.notes.is_empty()
            && self.record.is_none()
            && self.text.is_empty()
    }
}

/// What the ACKs of a chunk newly acknowledge ([`Acked`]), one entry per
/// row that acknowledges something, in columns.
#[derive(Default)]
pub(super) struct Acks {
    pub(super) row: Vec<u32>,
    pub(super) first: Vec<u32>,
    pub(super) last: Vec<u32>,
    pub(super) bytes: Vec<u32>,
    /// NaN when not measured.
    pub(super) rtt: Vec<f64>,
    /// Bit 0: a SYN acknowledged; bit 1: a FIN.
    ends: Vec<u8>,
    /// Where each entry's lines end in `lines`.
    lines_end: Vec<u32>,
    lines: Vec<u64>,
    /// The entries (by index) that say how the copy answered was told, or
    /// Wireshark's `acks_frame`.
    told: Vec<(u32, Option<Evidence>, Option<u64>)>,
}

impl Acks {
    fn push(&mut self, row: u32, a: Acked) {
        let entry = u32::try_from(self.row.len()).unwrap_or(u32::MAX);
        self.row.push(row);
        self.first.push(a.first);
        self.last.push(a.last);
        self.bytes.push(a.bytes);
        self.rtt.push(a.rtt.unwrap_or(f64::NAN));
        self.ends.push(u8::from(a.syn) | (u8::from(a.fin) << 1));
        self.lines.extend_from_slice(&a.lines);
        self.lines_end
            .push(u32::try_from(self.lines.len()).unwrap_or(u32::MAX));
        if a.evidence.is_some() || a.wireshark_line.is_some() {
            self.told.push((entry, a.evidence, a.wireshark_line));
        }
    }

    /// The entry of `row`, if it acknowledges something.
    pub(super) fn find(&self, row: u32) -> Option<usize> {
        self.row.binary_search(&row).ok()
    }

    fn get(&self, entry: usize) -> Option<Acked> {
        let start = match entry.checked_sub(1) {
            Some(before) => *self.lines_end.get(before)? as usize,
            None => 0,
        };
        let end = *self.lines_end.get(entry)? as usize;
        let ends = *self.ends.get(entry)?;
        let rtt = *self.rtt.get(entry)?;
        let index = u32::try_from(entry).ok()?;
        let told = self
            .told
            .binary_search_by_key(&index, |t| t.0)
            .ok()
            .and_then(|i| self.told.get(i));
        Some(Acked {
            first: *self.first.get(entry)?,
            last: *self.last.get(entry)?,
            bytes: *self.bytes.get(entry)?,
            syn: ends & 1 == 1,
            fin: ends & 2 == 2,
            lines: self.lines.get(start..end)?.iter().copied().collect(),
            rtt: (!rtt.is_nan()).then_some(rtt),
            evidence: told.and_then(|t| t.1),
            wireshark_line: told.and_then(|t| t.2),
        })
    }
}

/// Up to [`ROWS`] segments, as columns.
#[derive(Default)]
pub(super) struct Chunk {
    pub(super) line: Vec<i64>,
    pub(super) conn: Vec<u32>,
    pub(super) from: Vec<i8>,
    pub(super) flags: Vec<i16>,
    pub(super) seq: Opt<u32>,
    pub(super) ack: Opt<u32>,
    pub(super) seq_raw: Opt<u32>,
    pub(super) ack_raw: Opt<u32>,
    pub(super) len: Vec<u32>,
    pub(super) time: Opt<f64>,
    pub(super) abs_time: Opt<f64>,
    pub(super) window: Opt<u64>,
    pub(super) window_raw: Opt<u32>,
    pub(super) tsval: Opt<u32>,
    pub(super) tsecr: Opt<u32>,
    pub(super) client_state: Vec<i8>,
    pub(super) server_state: Vec<i8>,
    pub(super) acks: Acks,
    /// The rare facts of some rows, each with its row, in order.
    pub(super) rare: Vec<(u32, Rare)>,
    /// The rows whose record spans more than one line, with their count.
    lines: Vec<(u32, u32)>,
}

impl Chunk {
    pub(super) fn len(&self) -> usize {
        self.line.len()
    }

    /// The rare facts of `row`.
    pub(super) fn rare(&self, row: usize) -> Option<&Rare> {
        let row = u32::try_from(row).ok()?;
        let i = self.rare.binary_search_by_key(&row, |r| r.0).ok()?;
        self.rare.get(i).map(|r| &r.1)
    }

    /// The number of lines of `row`'s record.
    pub(super) fn lines(&self, row: usize) -> u32 {
        let Ok(row) = u32::try_from(row) else {
            return 1;
        };
        match self.lines.binary_search_by_key(&row, |l| l.0) {
            Ok(i) => self.lines.get(i).map_or(1, |l| l.1),
            Err(_) => 1,
        }
    }

    /// Adds a segment's report (and what its line printed besides, the
    /// number of lines of its record, and the record when it is kept).
    fn push(
        &mut self,
        flags: &mut Dictionary,
        r: SegmentReport,
        printed: Printed,
        lines: u32,
        record: Option<Record>,
    ) {
        let row = u32::try_from(self.len()).unwrap_or(u32::MAX);
        self.line.push(i64::try_from(r.line).unwrap_or(i64::MAX));
        self.conn.push(u32::try_from(r.conn).unwrap_or(u32::MAX));
        self.from.push(role_code(r.from));
        self.flags.push(flags.code(&r.flags));
        self.seq.push(r.seq);
        self.ack.push(r.ack);
        self.seq_raw.push(r.seq_raw);
        self.ack_raw.push(r.ack_raw);
        self.len.push(r.len);
        self.time.push(r.time);
        self.abs_time.push(printed.abs_time);
        self.window.push(r.window);
        self.window_raw.push(printed.window_raw);
        self.tsval.push(printed.tsval);
        self.tsecr.push(printed.tsecr);
        self.client_state.push(state_code(r.state.client));
        self.server_state.push(state_code(r.state.server));
        if lines != 1 {
            self.lines.push((row, lines));
        }
        // (What the columns hold is let go here.)
        if let Some(acked) = r.acked {
            self.acks.push(row, acked);
        }
        let more = More {
            transitions: r.transitions,
            offer: r.offer,
            peer_fin_unacked: r.peer_fin_unacked,
            handshake_rtt: r.handshake_rtt,
            notes: r.notes,
            record,
            text: r.text,
        };
        let rare = Rare {
            events: r.events,
            sack: r.sack,
            more: (!more.is_empty()).then(|| Box::new(more)),
        };
        if !(rare.events.is_empty() && rare.sack.is_empty() && rare.more.is_none()) {
            self.rare.push((row, rare));
        }
    }

    /// The report of `row`, put back together (`None` past the end).
    pub(super) fn report(&self, row: usize, flags: &Dictionary) -> Option<SegmentReport> {
        let state = |codes: &Vec<i8>| -> Option<TcpState> {
            STATES.get(usize::try_from(*codes.get(row)?).ok()?).copied()
        };
        let rare = self.rare(row);
        let more = rare.and_then(|r| r.more.as_deref());
        let acked = u32::try_from(row)
            .ok()
            .and_then(|r| self.acks.find(r))
            .and_then(|entry| self.acks.get(entry));
        Some(SegmentReport {
            line: u64::try_from(*self.line.get(row)?).ok()?,
            conn: usize::try_from(*self.conn.get(row)?).ok()?,
            from: *ROLES.get(usize::try_from(*self.from.get(row)?).ok()?)?,
            flags: CompactString::from(flags.name(*self.flags.get(row)?)?),
            seq: self.seq.get(row)?,
            ack: self.ack.get(row)?,
            seq_raw: self.seq_raw.get(row)?,
            ack_raw: self.ack_raw.get(row)?,
            len: *self.len.get(row)?,
            window: self.window.get(row)?,
            time: self.time.get(row)?,
            events: rare.map(|r| r.events.clone()).unwrap_or_default(),
            acked,
            transitions: more.map(|m| m.transitions.clone()).unwrap_or_default(),
            state: States {
                client: state(&self.client_state)?,
                server: state(&self.server_state)?,
            },
            offer: more.and_then(|m| m.offer.clone()),
            sack: rare.map(|r| r.sack.clone()).unwrap_or_default(),
            peer_fin_unacked: more.and_then(|m| m.peer_fin_unacked),
            handshake_rtt: more.and_then(|m| m.handshake_rtt),
            notes: more.map(|m| m.notes.clone()).unwrap_or_default(),
            text: more.map(|m| m.text.clone()).unwrap_or_default(),
        })
    }

    /// The record `row` kept whole, if any.
    pub(super) fn record(&self, row: usize) -> Option<&Record> {
        self.rare(row)?.more.as_ref()?.record.as_ref()
    }
}

/// A whole trace's segments: chunks of rows, and the dictionary of the
/// flags column they share.
#[derive(Default)]
pub(super) struct Table {
    pub(super) chunks: Vec<Chunk>,
    pub(super) flags: Dictionary,
    /// Rows per chunk (at most; [`ROWS`] unless told).
    rows: usize,
}

impl Table {
    pub(super) fn with_rows(rows: usize) -> Table {
        Table {
            rows: rows.max(1),
            ..Table::default()
        }
    }

    pub(super) fn push(
        &mut self,
        r: SegmentReport,
        printed: Printed,
        lines: u32,
        record: Option<Record>,
    ) {
        let limit = if self.rows == 0 { ROWS } else { self.rows };
        if self.chunks.last().is_none_or(|c| c.len() >= limit) {
            self.chunks.push(Chunk::default());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(&mut self.flags, r, printed, lines, record);
        }
    }

    /// Number of rows.
    pub(super) fn len(&self) -> usize {
        self.chunks.iter().map(Chunk::len).sum()
    }

    /// Takes the first chunk (a reader that gives chunks away as they fill).
    pub(super) fn take_first(&mut self) -> Option<Chunk> {
        (!self.chunks.is_empty()).then(|| self.chunks.remove(0))
    }
}
