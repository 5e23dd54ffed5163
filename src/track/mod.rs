//! Following connections: records in, explained items out, in input order.
//!
//! A line's states depend on what the receiver does next (its next segment
//! shows whether it had processed the line's SYN or FIN), so a line that can
//! move its receiver is held until that answer arrives (others go out at
//! once). The hold is bounded: at most [`Options::max_held`] records, and
//! [`Tracker::flush`] releases everything at once (live input that has
//! paused), assuming delivery on arrival.
//!
//! An ICMP error about a TCP segment is linked to that segment (which then
//! never reached its receiver); its line waits for the next record, which
//! under `-v` is the header the error quotes.

mod conn;
pub mod report;
pub mod state;
mod zeek;

use crate::model::{Endpoint, IcmpError, Record, RecordKind, TcpPacket, TimeForm, Timestamp};
use conn::{Connection, Numbering};
use report::{ConnectionSummary, IcmpReport, Role, SegmentReport};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::Hasher;

/// Limits that keep memory bounded on any input, and what to keep.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Connections followed at once; beyond it the least recently active is let go.
    pub max_connections: usize,
    /// Records held back waiting for an answer, at most.
    pub max_held: usize,
    /// Records after which a finished connection's summary is given.
    pub linger: u64,
    /// Give every input record as an item, with a report (facts and explanation)
    /// for each segment; off when only the connection summaries are wanted (then
    /// only [`Item::Connection`]s come out).
    pub reports: bool,
    /// Keep each TCP record's input text (`Record::text`; other records keep
    /// theirs whenever `reports` is on). Off when only JSON is written: a
    /// segment's report says all that JSON shows of it.
    pub segment_text: bool,
    /// Write each item's words as it comes out of the [`crate::Explainer`] (the
    /// tracker writes none). Off when the reports are kept in bulk (a whole
    /// trace in Python): the words are then written when asked
    /// ([`crate::explain::text`]).
    pub explanations: bool,
    /// The language of the words.
    pub lang: crate::Lang,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_connections: 20_000,
            max_held: 10_000,
            linger: 200,
            reports: true,
            segment_text: true,
            explanations: true,
            lang: crate::Lang::En,
        }
    }
}

/// One output item: an input record (with its report when it is a TCP segment),
/// or a connection's summary.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Line {
        record: Record,
        report: Option<Box<SegmentReport>>,
        /// What an ICMP error line is about (the connection and segment it reports).
        icmp: Option<Box<IcmpReport>>,
    },
    Connection(Box<ConnectionSummary>),
}

struct Held {
    line: u64,
    /// `None` when only summaries are wanted.
    record: Option<Record>,
    report: Option<Box<SegmentReport>>,
    icmp: Option<Box<IcmpReport>>,
    conn: Option<usize>,
}

/// An ICMP error line whose link waits for the next record: under `-v` it is
/// the quoted header of the packet the error is about.
struct PendingIcmp {
    line: u64,
    error: Box<IcmpError>,
}

/// Connections remembered as recently active, for ICMP errors that name only addresses.
const RECENT: usize = 64;

/// A connection's 4-tuple, as a hash of its two endpoints in either order
/// (computed without copying; lookups compare the endpoints themselves).
type Key = u64;

fn key(p: &TcpPacket) -> Key {
    // Both endpoints, the smaller one first, eight bytes at a time (a multiply
    // and a rotation per word; equal keys are told apart by comparing endpoints).
    fn mix(h: u64, word: u64) -> u64 {
        (h ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29)
    }
    fn text(mut h: u64, s: &str) -> u64 {
        let mut chunks = s.as_bytes().chunks_exact(8);
        for chunk in &mut chunks {
            h = mix(
                h,
                u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default()),
            );
        }
        let mut last = [0u8; 8];
        for (slot, b) in last.iter_mut().zip(chunks.remainder()) {
            *slot = *b;
        }
        // The length ends each part, so that `1.2` + `3` and `1` + `2.3` differ.
        mix(mix(h, u64::from_le_bytes(last)), s.len() as u64)
    }
    fn feed(h: u64, e: &Endpoint) -> u64 {
        text(text(h, &e.host), e.port.as_deref().unwrap_or(""))
    }
    let (a, b) = if p.src <= p.dst {
        (&p.src, &p.dst)
    } else {
        (&p.dst, &p.src)
    };
    feed(feed(0xcbf2_9ce4_8422_2325, a), b)
}

/// Maps keyed by connection numbers and endpoint hashes: a multiply-shift hash
/// with a per-process random key (SipHash would dominate the per-line cost).
type FastMap<K, V> = HashMap<K, V, Keyed>;
type FastSet<K> = HashSet<K, Keyed>;

/// Builds [`KeyedHasher`]s with the per-process key (read once per map, not per hash).
#[derive(Clone, Copy)]
struct Keyed(u64);

impl Default for Keyed {
    /// The per-process key, so that crafted endpoints cannot aim at one bucket.
    fn default() -> Keyed {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        Keyed(
            *KEY.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64) | 1),
        )
    }
}

impl std::hash::BuildHasher for Keyed {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            state: 0,
            key: self.0,
        }
    }
}

struct KeyedHasher {
    state: u64,
    key: u64,
}

impl Hasher for KeyedHasher {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.state ^ n).wrapping_mul(self.key);
        self.state = x ^ (x >> 29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// Follows every connection of a stream of records.
pub struct Tracker {
    options: Options,
    by_key: FastMap<Key, Vec<usize>>,
    conns: FastMap<usize, Connection>,
    keys: FastMap<usize, Key>,
    next_id: usize,
    held: VecDeque<Held>,
    out: VecDeque<Item>,
    clock: Clock,
    numbering_hint: Numbering,
    records: u64,
    finished_keys: FastSet<Key>,
    /// The first line each connection is waiting on (the smallest holds
    /// output), smallest first; entries that no longer match the connection's
    /// `waiting_on` are stale and dropped when they come to the top (cheaper
    /// than a tree kept exact).
    waiting: BinaryHeap<Reverse<(u64, usize)>>,
    /// Connections that are over, with the record count when they last moved.
    finished_at: FastMap<usize, u64>,
    /// The connection of the last TCP line (see `connection_for`).
    last: Option<usize>,
    /// Connections of recent TCP lines, latest last (at most `RECENT`).
    recent: VecDeque<usize>,
    pending_icmp: Option<PendingIcmp>,
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker::new(Options::default())
    }
}

impl Tracker {
    pub fn new(options: Options) -> Tracker {
        Tracker {
            options,
            by_key: FastMap::default(),
            conns: FastMap::default(),
            keys: FastMap::default(),
            next_id: 0,
            held: VecDeque::new(),
            out: VecDeque::new(),
            clock: Clock::default(),
            numbering_hint: Numbering::Unknown,
            records: 0,
            finished_keys: FastSet::default(),
            waiting: BinaryHeap::new(),
            last: None,
            recent: VecDeque::new(),
            pending_icmp: None,
            finished_at: FastMap::default(),
        }
    }

    /// Feeds one record; explained items become available from [`Tracker::next_item`].
    pub fn feed(&mut self, record: Record) {
        self.records = self.records.saturating_add(1);
        if self.pending_icmp.is_some() {
            let quote = match &record.kind {
                RecordKind::Tcp(p) if p.quoted => Some(p.as_ref()),
                _ => None,
            };
            self.link_icmp(quote);
        }
        let mut conn = None;
        let mut report = None;
        let icmp_error = match &record.kind {
            RecordKind::Other(o) => o.icmp.clone(),
            _ => None,
        };
        if let RecordKind::Tcp(p) = &record.kind {
            if !p.quoted {
                let time = p.prefix.timestamp.as_ref().map(|t| self.clock.seconds(t));
                let (id, from) = self.connection_for(p, record.line);
                if let Some(c) = self.conns.get_mut(&id) {
                    c.last_active = self.records;
                    let draft = c.segment(p, from, record.line, time, self.options.reports);
                    if c.numbering() == Numbering::Absolute {
                        self.numbering_hint = Numbering::Absolute;
                    }
                    if c.finished() {
                        // (Re)starts its quiet period: a late segment may still come.
                        self.finished_at.insert(id, self.records);
                    }
                    register_wait(&mut self.waiting, id, c);
                    report = draft;
                    conn = Some(id);
                }
            }
        }
        if let Some(error) = icmp_error {
            self.pending_icmp = Some(PendingIcmp {
                line: record.line,
                error,
            });
        }
        let line = record.line;
        let record = if self.options.reports {
            Some(record)
        } else {
            crate::spare::recycle_record(record);
            None
        };
        let held = Held {
            line,
            record,
            report,
            icmp: None,
            conn,
        };
        // The usual case: nothing is held or waits, and the line goes out now.
        if self.held.is_empty()
            && self.pending_icmp.is_none()
            && self.first_waiting().is_none_or(|w| line < w)
        {
            self.release_one(held);
            self.summarise_finished(false);
            return;
        }
        self.held.push_back(held);
        if self.held.len() > self.options.max_held {
            if let Some(line) = self.held.front().map(|h| h.line) {
                self.assume_delivered(line);
            }
        }
        self.release();
        self.summarise_finished(false);
    }

    /// The next explained item, if one is ready.
    #[inline]
    pub fn next_item(&mut self) -> Option<Item> {
        self.out.pop_front()
    }

    /// The item [`Tracker::next_item`] gives next, to complete in place.
    #[inline]
    pub fn peek_item(&mut self) -> Option<&mut Item> {
        self.out.front_mut()
    }

    /// Releases every held line now (live input paused): segments still waiting
    /// for an answer are assumed to have been processed on arrival.
    pub fn flush(&mut self) {
        self.link_icmp(None);
        self.assume_delivered(u64::MAX);
        self.release();
        self.summarise_finished(true);
    }

    /// Ends the input: everything is released and every connection summarised.
    pub fn finish(&mut self) {
        self.link_icmp(None);
        for c in self.conns.values_mut() {
            c.drain();
        }
        let ids: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.waiting_on.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.sync_waiting(id);
        }
        self.release();
        let mut ids: Vec<usize> = self.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.summarise(id);
        }
    }

    /// Resolves, as delivered on arrival, what the connections wait on up to `line`.
    fn assume_delivered(&mut self, line: u64) {
        let mut ids = Vec::new();
        while let Some(&Reverse((l, id))) = self.waiting.peek() {
            if l > line {
                break;
            }
            self.waiting.pop();
            if self.waiting_on(id) == Some(l) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            if let Some(c) = self.conns.get_mut(&id) {
                c.assume_delivered(line);
                // Its entry left the heap: record where it waits now, afresh.
                c.waiting_on = None;
                register_wait(&mut self.waiting, id, c);
            }
        }
    }

    /// Records the first line connection `id` waits on.
    fn sync_waiting(&mut self, id: usize) {
        if let Some(c) = self.conns.get_mut(&id) {
            register_wait(&mut self.waiting, id, c);
        }
    }

    /// The line connection `id` was last recorded waiting on.
    fn waiting_on(&self, id: usize) -> Option<u64> {
        self.conns.get(&id)?.waiting_on
    }

    /// The first line any connection waits on (dropping stale heap entries).
    fn first_waiting(&mut self) -> Option<u64> {
        while let Some(&Reverse((line, id))) = self.waiting.peek() {
            if self.waiting_on(id) == Some(line) {
                return Some(line);
            }
            self.waiting.pop();
        }
        None
    }

    /// The connection `p` belongs to (a new one when none is open) and the role of its sender.
    fn connection_for(&mut self, p: &TcpPacket, line: u64) -> (usize, Role) {
        // Consecutive lines mostly share a connection, and at most one open
        // connection has these endpoints: comparing them costs less than hashing.
        if let Some((id, c)) = self.last.and_then(|id| Some((id, self.conns.get(&id)?))) {
            if let Some(from) = c.sender(p).filter(|&from| !c.is_reused_by(p, from)) {
                return (id, from);
            }
        }
        let found = self.find(p);
        let mut reused = false;
        if let Some((id, from)) = found {
            if !self.conns.get(&id).is_some_and(|c| c.is_reused_by(p, from)) {
                self.note_recent(id);
                return (id, from);
            }
            reused = true;
            self.summarise(id);
        }
        let k = key(p);
        let syn = p.flags.contains(crate::model::Flags::SYN);
        reused |= syn && self.finished_keys.contains(&k);
        if self.conns.len() >= self.options.max_connections {
            self.evict_idle();
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let mut c = Connection::new(id, p, line, self.numbering_hint);
        if reused && syn {
            c.mark_reused();
        }
        let from = c.sender(p).unwrap_or(Role::Client);
        self.conns.insert(id, c);
        self.by_key.entry(k).or_default().push(id);
        self.keys.insert(id, k);
        self.note_recent(id);
        (id, from)
    }

    /// The open connection with the endpoints of `p`, and the role of its sender.
    fn find(&self, p: &TcpPacket) -> Option<(usize, Role)> {
        let ids = self.by_key.get(&key(p))?;
        ids.iter()
            .find_map(|&id| Some((id, self.conns.get(&id)?.sender(p)?)))
    }

    fn note_recent(&mut self, id: usize) {
        self.last = Some(id);
        if self.recent.len() >= RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }

    /// Links the pending ICMP error to the segment it reports: the one its
    /// quoted header shows (`quote`, under `-v`), else the latest segment from
    /// the error's addressee to the address it names (an inference).
    fn link_icmp(&mut self, quote: Option<&TcpPacket>) {
        let Some(PendingIcmp { line, error }) = self.pending_icmp.take() else {
            return;
        };
        let found = match quote {
            Some(q) => self.find(q),
            None => self.recent.iter().rev().find_map(|&id| {
                let c = self.conns.get(&id)?;
                let from =
                    c.end_towards(&error.to, error.about.as_deref(), error.port.as_deref())?;
                Some((id, from))
            }),
        };
        let mut report = IcmpReport {
            line,
            problem: error.problem,
            conn: None,
            from: None,
            segment: None,
            inferred: quote.is_none(),
            undelivered: false,
            ends: None,
            text: String::new(),
        };
        if let Some((id, from)) = found {
            if let Some(c) = self.conns.get_mut(&id) {
                let quoted_seq = quote.and_then(|q| q.seq).map(|s| s.first);
                (report.segment, report.undelivered) = c.icmp_error(from, quoted_seq, line, &error);
                report.conn = Some(id);
                report.from = Some(from);
                report.ends = Some((c.client.to_string(), c.server.to_string()));
            }
            self.sync_waiting(id);
        }
        if self.options.reports {
            if let Some(h) = self.held.iter_mut().rev().find(|h| h.line == line) {
                h.icmp = Some(Box::new(report));
            }
        }
    }

    /// Lets go of the least recently active tenth of the connections.
    fn evict_idle(&mut self) {
        let mut by_age: Vec<(u64, usize)> =
            self.conns.values().map(|c| (c.last_active, c.id)).collect();
        by_age.sort_unstable();
        let n = (by_age.len() / 10).max(1);
        for (_, id) in by_age.into_iter().take(n) {
            if let Some(c) = self.conns.get_mut(&id) {
                c.evict();
                c.drain();
            }
            self.sync_waiting(id);
            self.release();
            self.summarise(id);
        }
    }

    /// Moves lines whose states are settled to the output, in input order.
    fn release(&mut self) {
        let waiting = self.first_waiting();
        let icmp = self.pending_icmp.as_ref().map(|p| p.line);
        while let Some(front) = self.held.front() {
            if waiting.is_some_and(|w| front.line >= w) || icmp.is_some_and(|l| front.line >= l) {
                break;
            }
            let Some(h) = self.held.pop_front() else {
                break;
            };
            self.release_one(h);
        }
    }

    /// Moves one line whose states are settled to the output.
    fn release_one(&mut self, mut h: Held) {
        // The line's state changes are applied whether or not a report is wanted.
        if let Some(c) = h.conn.and_then(|id| self.conns.get_mut(&id)) {
            let (states, transitions) = c.release(h.line);
            if let Some(report) = h.report.as_mut() {
                report.state = states;
                report.transitions = transitions;
            }
        }
        if let Some(record) = h.record {
            self.out.push_back(Item::Line {
                record,
                report: h.report,
                icmp: h.icmp,
            });
        }
    }

    /// Summarises connections that are over and have been quiet for a while.
    fn summarise_finished(&mut self, now: bool) {
        if self.finished_at.is_empty() {
            return; // (the usual case: no connection is over)
        }
        let (linger, records) = (self.options.linger, self.records);
        // Only finished connections are looked at (not the whole table, once per line).
        let mut done: Vec<usize> = self
            .finished_at
            .iter()
            .filter(|(_, at)| now || records.saturating_sub(**at) > linger)
            .map(|(id, _)| *id)
            .collect();
        done.sort_unstable();
        for id in done {
            self.summarise(id);
        }
    }

    /// Summarises one connection (after its held lines are out) and lets it go.
    fn summarise(&mut self, id: usize) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.drain();
        }
        self.sync_waiting(id);
        // Its lines go out before its summary.
        let last_line = self.conns.get(&id).map_or(0, |c| c.last_line);
        if self.held.front().is_some_and(|h| h.line <= last_line) {
            self.release_all();
        }
        self.finished_at.remove(&id);
        let Some(mut c) = self.conns.remove(&id) else {
            return;
        };
        let late = c.release_rest();
        let (states, _) = c.release(u64::MAX);
        let mut summary = c.summary(states);
        summary.delivery_assumed = !late.is_empty();
        if let Some(k) = self.keys.remove(&id) {
            if let Some(ids) = self.by_key.get_mut(&k) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.by_key.remove(&k);
                }
            }
            // Remembered so that a new SYN on it is reported as port reuse.
            if self.finished_keys.len() >= self.options.max_connections {
                self.finished_keys.clear();
            }
            self.finished_keys.insert(k);
        }
        self.out.push_back(Item::Connection(Box::new(summary)));
    }

    /// Releases all held lines (their connection was drained).
    fn release_all(&mut self) {
        self.assume_delivered(u64::MAX);
        self.release();
    }
}

/// Records in the heap the first line connection `id` (`c`) waits on, when it changed.
fn register_wait(waiting: &mut BinaryHeap<Reverse<(u64, usize)>>, id: usize, c: &mut Connection) {
    let now = c.first_unresolved();
    if now != c.waiting_on {
        c.waiting_on = now;
        if let Some(n) = now {
            waiting.push(Reverse((n, id)));
        }
    }
}

/// Turns printed timestamps into seconds on one time line.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    last: Option<f64>,
    day: f64,
    /// `-ttt` (delta) rather than `-ttttt` (since first): seen once an offset decreases.
    delta_mode: bool,
    last_offset: f64,
    total: f64,
}

impl Clock {
    pub(crate) fn seconds(&mut self, ts: &Timestamp) -> f64 {
        /// (A function of its own, so that it is not computed on every line
        /// just in case it is needed.)
        #[cold]
        #[inline(never)]
        #[allow(clippy::cast_precision_loss)]
        fn wide(n: i128) -> f64 {
            n as f64
        }
        // Converted from 64 bits when they hold it: the same value, without the
        // 128-bit conversion's library call on every line.
        #[allow(clippy::cast_precision_loss)]
        let raw = i64::try_from(ts.nanos).map_or_else(|_| wide(ts.nanos), |n| n as f64) / 1e9;
        match ts.form {
            TimeForm::TimeOfDay => {
                // Past midnight the time of day starts again from 0.
                let mut t = raw + self.day;
                if self.last.is_some_and(|l| t < l - 43_200.0) {
                    self.day += 86_400.0;
                    t += 86_400.0;
                }
                self.last = Some(t);
                t
            }
            TimeForm::Unix => raw,
            TimeForm::Date => {
                let (y, m, d) = ts.date.unwrap_or((1970, 1, 1));
                #[allow(clippy::cast_precision_loss)]
                let days = days_from_civil(i64::from(y), i64::from(m), i64::from(d)) as f64;
                days * 86_400.0 + raw
            }
            TimeForm::Offset => {
                if raw < self.last_offset {
                    self.delta_mode = true;
                }
                self.last_offset = raw;
                if self.delta_mode {
                    self.total += raw;
                    self.total
                } else {
                    self.total = raw;
                    raw
                }
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
