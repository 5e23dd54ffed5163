//! The columns of a chunk that are computed when asked, from the facts it
//! keeps: what each ACK acknowledges (bytes, round trip), the bytes in
//! flight, events and SACK blocks as lists, the SYN options, and the
//! explanations.

use super::table::{Chunk, Dictionary, Opt};
use crate::seq::SeqNumber;
use std::collections::HashMap;

/// Bytes in flight as Wireshark counts them (`tcp.analysis.bytes_in_flight`),
/// carried from one chunk to the next: for a segment that carries data, or
/// a SYN or FIN, the bytes its sender has sent (the highest end so far) that
/// the other end has not acknowledged (its highest ACK) nor reported held
/// (the SACK blocks of its latest segment); none when that is 0 or the ACK
/// is not known yet.
#[derive(Default)]
pub(super) struct InFlight {
    /// Per connection, per sender (its code).
    sides: HashMap<(u32, i8), Side>,
}

#[derive(Default)]
struct Side {
    /// The highest end of what this side sent (relative, data bytes only).
    end: Option<SeqNumber>,
    /// The highest ACK the other side sent.
    acked: Option<SeqNumber>,
    /// The SACK blocks of the other side's latest segment.
    sacked: Vec<(u32, u32)>,
}

impl InFlight {
    pub(super) fn column(&mut self, chunk: &Chunk, flags: &Dictionary) -> Opt<u32> {
        let mut out = Opt::default();
        // Whether each flags code holds a SYN or FIN, found once per code.
        let mut syn_fin: Vec<Option<bool>> = Vec::new();
        let mut rare = chunk.rare.iter().peekable();
        for row in 0..chunk.len() {
            let sack = rare
                .next_if(|(r, _)| *r as usize == row)
                .map(|(_, r)| r.sack.as_slice())
                .unwrap_or_default();
            out.push(self.row(chunk, flags, row, sack, &mut syn_fin));
        }
        out
    }

    fn row(
        &mut self,
        chunk: &Chunk,
        flags: &Dictionary,
        row: usize,
        sack: &[(u32, u32)],
        syn_fin: &mut Vec<Option<bool>>,
    ) -> Option<u32> {
        let conn = *chunk.conn.get(row)?;
        let from = *chunk.from.get(row)?;
        // This segment's ACK and SACK blocks are about what the other side sent.
        let peer = self.sides.entry((conn, 1 - from)).or_default();
        if let Some(ack) = chunk.ack.get(row)? {
            let ack = SeqNumber(ack);
            peer.acked = Some(peer.acked.map_or(ack, |a| a.max(ack)));
        }
        peer.sacked.clear();
        peer.sacked.extend_from_slice(sack);
        let len = *chunk.len.get(row)?;
        let code = *chunk.flags.get(row)?;
        let index = usize::try_from(code).ok()?;
        if syn_fin.len() <= index {
            syn_fin.resize(index + 1, None);
        }
        let slot = syn_fin.get_mut(index)?;
        let ends = *slot.get_or_insert_with(|| {
            flags
                .name(code)
                .is_some_and(|f| f != "none" && (f.contains('S') || f.contains('F')))
        });
        if len == 0 && !ends {
            return None;
        }
        let seq = chunk.seq.get(row)??;
        let side = self.sides.entry((conn, from)).or_default();
        let end = SeqNumber(seq).plus(len);
        let end = side.end.map_or(end, |e| e.max(end));
        side.end = Some(end);
        let acked = side.acked?;
        let mut bytes = end.diff(acked);
        for &(first, last) in &side.sacked {
            // (The part of each block above the ACK and below the end.)
            let first = SeqNumber(first).max(acked);
            let last = SeqNumber(last).min(end);
            bytes -= last.diff(first).max(0);
        }
        // (As Wireshark: nothing when nothing is in flight, or when the
        // numbers cannot be right.)
        u32::try_from(bytes)
            .ok()
            .filter(|&b| b > 0 && b < 2_000_000_000)
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
pub(super) fn texts(chunk: &Chunk, flags: &Dictionary) -> (Vec<i64>, Vec<u8>) {
    let mut offsets = Vec::with_capacity(chunk.len().saturating_add(1));
    offsets.push(0i64);
    let mut text = String::new();
    for row in 0..chunk.len() {
        if let Some(report) = chunk.report(row, flags) {
            crate::explain::append_text(&report, &mut text);
        }
        offsets.push(i64::try_from(text.len()).unwrap_or(i64::MAX));
    }
    (offsets, text.into_bytes())
}
