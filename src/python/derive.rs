//! The columns of a chunk that are computed when asked, from the facts it
//! keeps: what each ACK acknowledges (bytes, round trip), the bytes in
//! flight, events and SACK blocks as lists, the SYN options, and the
//! explanations.

use super::table::{Chunk, Dictionary, Opt};
use crate::lang::Lang;
use crate::seq::SeqNumber;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Bytes in flight as Wireshark counts them (`tcp.analysis.bytes_in_flight`,
/// its default way), carried from one chunk to the next. Each side's
/// segments that carry data, a SYN or a FIN are listed until an ACK covers
/// them whole; a segment with data then has in flight the span of that list
/// (its highest end less its lowest start), less the bytes the other side's
/// latest segment reports held (its SACK blocks), less one for a SYN or
/// FIN; none when that is not between 0 and 2e9. After a gap (a segment
/// that starts beyond what its side had sent) none is given until the other
/// side's next ACK, as the list no longer tells.
#[derive(Default)]
pub(super) struct InFlight {
    /// Per connection (its number), per sender (its code).
    sides: HashMap<u32, [Side; 2], BuildHasherDefault<ConnHasher>>,
}

/// Hashes a connection's number (a small integer) with one multiplication.
#[derive(Default)]
struct ConnHasher(u64);

impl Hasher for ConnHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// At most this many segments listed per side (Wireshark's limit).
const LISTED: usize = 10_000;

struct Side {
    /// Segments not acknowledged whole: start and end, unwrapped, in the
    /// order they were sent.
    listed: VecDeque<(i64, i64)>,
    /// Starts and ends both rise along `listed` (the usual case: the
    /// oldest segment is acknowledged first, the span is its start to the
    /// newest's end); a segment sent again breaks it until it is acknowledged.
    rising: bool,
    /// The highest end sent, unwrapped (where the next segment should start).
    next: Option<i64>,
    /// What numbers near 2^32 unwrap against.
    reference: i64,
    /// The bytes in flight can be told (no gap since the other side's last ACK).
    valid: bool,
    /// The SACK blocks of the other side's latest segment.
    sacked: Vec<(u32, u32)>,
}

impl Default for Side {
    fn default() -> Side {
        Side {
            listed: VecDeque::new(),
            rising: true,
            next: None,
            reference: 0,
            valid: true,
            sacked: Vec::new(),
        }
    }
}

impl Side {
    /// A relative sequence number on the line of the numbers before it.
    fn unwrap(&self, n: u32) -> i64 {
        let offset = SeqNumber(n).diff(SeqNumber(self.reference as u32));
        self.reference + offset
    }

    fn list(&mut self, start: i64, end: i64) {
        if self.listed.len() >= LISTED {
            return;
        }
        if let Some(&(s, e)) = self.listed.back() {
            self.rising &= start >= s && end >= e;
        }
        self.listed.push_back((start, end));
    }

    /// Lets go of the segments `ack` covers whole.
    fn acknowledged(&mut self, ack: i64) {
        if self.rising {
            while self.listed.front().is_some_and(|&(_, end)| end <= ack) {
                self.listed.pop_front();
            }
        } else {
            self.listed.retain(|&(_, end)| end > ack);
            let mut pairs = self.listed.iter().zip(self.listed.iter().skip(1));
            self.rising = pairs.all(|(a, b)| b.0 >= a.0 && b.1 >= a.1);
        }
        if self.listed.is_empty() {
            self.rising = true;
        }
    }

    /// The lowest start and highest end listed.
    fn span(&self) -> Option<(i64, i64)> {
        if self.rising {
            return Some((self.listed.front()?.0, self.listed.back()?.1));
        }
        let low = self.listed.iter().map(|s| s.0).min()?;
        let high = self.listed.iter().map(|s| s.1).max()?;
        Some((low, high))
    }
}

impl InFlight {
    /// Forgets a connection that is over (a reader that gives chunks away
    /// keeps only the open connections').
    pub(super) fn forget(&mut self, conn: u32) {
        self.sides.remove(&conn);
    }

    pub(super) fn column(&mut self, chunk: &Chunk, flags: &Dictionary) -> Opt<u32> {
        let mut out = Opt::default();
        // The flags of each code that matter here (SYN or FIN; RST), found once per code.
        let mut kinds: Vec<Option<(bool, bool)>> = Vec::new();
        let mut rare = chunk.rare.iter().peekable();
        for row in 0..chunk.len() {
            let sack = rare
                .next_if(|(r, _)| *r as usize == row)
                .map(|(_, r)| r.sack.as_slice())
                .unwrap_or_default();
            out.push(self.row(chunk, flags, row, sack, &mut kinds));
        }
        out
    }

    fn row(
        &mut self,
        chunk: &Chunk,
        flags: &Dictionary,
        row: usize,
        sack: &[(u32, u32)],
        kinds: &mut Vec<Option<(bool, bool)>>,
    ) -> Option<u32> {
        let conn = *chunk.conn.get(row)?;
        let from = usize::from(*chunk.from.get(row)? == 1);
        let code = *chunk.flags.get(row)?;
        let index = usize::try_from(code).ok()?;
        if kinds.len() <= index {
            kinds.resize(index + 1, None);
        }
        let (syn_fin, rst) = *kinds.get_mut(index)?.get_or_insert_with(|| {
            let f = flags
                .name(code)
                .filter(|f| *f != "none")
                .unwrap_or_default();
            (f.contains('S') || f.contains('F'), f.contains('R'))
        });
        let len = *chunk.len.get(row)?;
        let [side, peer] = match self.sides.entry(conn).or_default() {
            [client, server] if from == 0 => [client, server],
            [client, server] => [server, client],
        };
        // This segment's sequence numbers, on this side.
        if let Some(seq) = chunk.seq.get(row)? {
            let start = side.unwrap(seq);
            if side.next.is_some_and(|next| start > next) && !rst {
                side.valid = false; // A gap: a segment the capture missed.
            }
            if len > 0 || syn_fin {
                let end = start + i64::from(len) + i64::from(syn_fin);
                side.list(start, end);
                let next = side.next.map_or(end, |n| n.max(end));
                side.next = Some(next);
                side.reference = next;
            }
        }
        // Its ACK and SACK blocks are about what the other side sent.
        if let Some(ack) = chunk.ack.get(row)? {
            peer.acknowledged(peer.unwrap(ack));
            peer.valid = true;
        }
        peer.sacked.clear();
        peer.sacked.extend_from_slice(sack);
        if len == 0 || !side.valid {
            return None;
        }
        let (low, high) = side.span()?;
        // (As Wireshark: in 32 bits, SACK blocks whole.)
        let mut bytes = (high - low) as u32;
        for &(first, last) in &side.sacked {
            bytes = bytes.wrapping_sub(last.wrapping_sub(first));
        }
        (bytes > 0 && bytes < 2_000_000_000).then(|| bytes - u32::from(syn_fin))
    }
}

/// What each row's ACK newly acknowledges: data bytes, and the round trip
/// from the copy it answers.
pub(super) fn acked(chunk: &Chunk) -> (Opt<u32>, Opt<f64>) {
    let (mut bytes, mut rtt) = (Opt::default(), Opt::default());
    let acks = &chunk.acks;
    let mut entry = 0usize;
    for row in 0..chunk.len() {
        let here = acks
            .row
            .get(entry)
            .is_some_and(|&r| r as usize == row)
            .then_some(entry);
        if here.is_some() {
            entry = entry.saturating_add(1);
        }
        bytes.push(here.and_then(|e| acks.bytes.get(e).copied()));
        rtt.push(
            here.and_then(|e| acks.rtt.get(e).copied())
                .filter(|r| !r.is_nan()),
        );
    }
    (bytes, rtt)
}

/// The event kinds of each row, as Arrow lays out a list of strings: list
/// offsets, then string offsets and bytes.
pub(super) fn events(chunk: &Chunk) -> (Vec<i32>, Vec<i32>, Vec<u8>) {
    let mut lists = Vec::with_capacity(chunk.len().saturating_add(1));
    let (mut offsets, mut bytes) = (vec![0i32], Vec::new());
    lists.push(0);
    let mut rare = chunk.rare.iter().peekable();
    for row in 0..chunk.len() {
        if let Some((_, r)) = rare.next_if(|(r, _)| *r as usize == row) {
            for e in &r.events {
                bytes.extend_from_slice(e.kind.name().as_bytes());
                offsets.push(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
            }
        }
        lists.push(i32::try_from(offsets.len().saturating_sub(1)).unwrap_or(i32::MAX));
    }
    (lists, offsets, bytes)
}

/// The SACK blocks of each row, as Arrow lays out a list of structs of two
/// numbers: list offsets, then each block's first and last (excluded).
pub(super) fn sack(chunk: &Chunk) -> (Vec<i32>, Vec<u32>, Vec<u32>) {
    let mut lists = Vec::with_capacity(chunk.len().saturating_add(1));
    let (mut first, mut last) = (Vec::new(), Vec::new());
    lists.push(0);
    let mut rare = chunk.rare.iter().peekable();
    for row in 0..chunk.len() {
        if let Some((_, r)) = rare.next_if(|(r, _)| *r as usize == row) {
            for &(a, b) in &r.sack {
                first.push(a);
                last.push(b);
            }
        }
        lists.push(i32::try_from(first.len()).unwrap_or(i32::MAX));
    }
    (lists, first, last)
}

/// What each SYN and SYN-ACK offers: the MSS and the window scale.
pub(super) fn offer(chunk: &Chunk) -> (Opt<u32>, Opt<u32>) {
    let (mut mss, mut wscale) = (Opt::default(), Opt::default());
    let mut rare = chunk.rare.iter().peekable();
    for row in 0..chunk.len() {
        let offer = rare
            .next_if(|(r, _)| *r as usize == row)
            .and_then(|(_, r)| r.more.as_ref()?.offer.as_ref());
        mss.push(offer.and_then(|o| o.mss));
        wscale.push(offer.and_then(|o| o.wscale));
    }
    (mss, wscale)
}

/// The explanation of each row, as Arrow lays out large strings: offsets,
/// then the text.
pub(super) fn texts(chunk: &Chunk, flags: &Dictionary, lang: Lang) -> (Vec<i64>, Vec<u8>) {
    let mut offsets = Vec::with_capacity(chunk.len().saturating_add(1));
    offsets.push(0i64);
    let mut text = String::new();
    for row in 0..chunk.len() {
        if let Some(report) = chunk.report(row, flags) {
            crate::explain::append_text(&report, lang, &mut text);
        }
        offsets.push(i64::try_from(text.len()).unwrap_or(i64::MAX));
    }
    (offsets, text.into_bytes())
}
