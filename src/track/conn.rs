//! One TCP connection: sequence numbers resolved, Wireshark's analysis rules,
//! and both endpoints' states inferred from what each segment acknowledges.

use super::report::{
    Acked, Backoff, ClosedBy, ConnectionSummary, Event, EventKind, Evidence, FailedSegment,
    Handshake, IcmpSeen, Inference, Note, Offer, ResetKind, Role, SegmentReport, Sides, Stall,
    States, Teardown, Transition, Vantage,
};
use super::state::{self, advance, Input, TcpState};
use super::zeek::History;
use crate::model::{Endpoint, Flags, IcmpError, IcmpProblem, LinkLayer, TcpOption, TcpPacket};
use crate::seq::SeqNumber;
use std::collections::{BTreeMap, VecDeque};

/// Segments remembered per direction for "which line does this ACK acknowledge".
const MAX_UNACKED: usize = 4096;
/// Segments waiting to be processed by their receiver, per direction.
const MAX_INBOX: usize = 4096;
/// Gaps in the capture remembered per direction.
const MAX_HOLES: usize = 16;
/// Copies of one resent segment remembered (for the ACK that answers one).
const MAX_COPIES: usize = 32;
/// ICMP errors remembered per connection (the first ones; a flood of them
/// must not cost memory or time per segment).
const MAX_ICMP: usize = 64;

/// How the text numbers sequence values, decided per connection from evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// Not yet known.
    Unknown,
    /// tcpdump's default: absolute on the first segments, relative after.
    Relative,
    /// `-S`: absolute everywhere.
    Absolute,
    /// A pasted excerpt that starts with relative numbers: absolute values unknown.
    Excerpt,
}

/// A segment sent and not yet acknowledged (for `acked` and RTT).
#[derive(Debug, Clone)]
struct Sent {
    line: u64,
    first: SeqNumber,
    end: SeqNumber,
    len: u32,
    syn: bool,
    fin: bool,
    time: Option<f64>,
    /// Its TCP timestamp (TSval), which an ACK's echo names.
    tsval: Option<u32>,
    /// It was sent again: its copies are in `Direction::resends`.
    resent: bool,
}

/// A copy of a segment sent again.
#[derive(Debug, Clone, Copy)]
struct Resend {
    line: u64,
    time: Option<f64>,
    tsval: Option<u32>,
}

/// The previous segment of a connection, as printed (for copies, and what a RST answers).
#[derive(Debug, Clone, Copy)]
struct Previous {
    from: Role,
    line: u64,
    time: Option<f64>,
    flags: Flags,
    seq: Option<(u32, Option<u32>)>,
    ack: Option<u32>,
    win: Option<u32>,
    len: u32,
    ts: Option<(u32, u32)>,
    ip_id: Option<u32>,
    /// Its relative sequence number, when known.
    seq_rel: Option<SeqNumber>,
}

/// A packet as printed, with the interface it was seen on: two sightings that
/// differ only in the interface are one packet crossing the capturing host.
#[derive(Debug, Clone)]
struct Sighting {
    line: u64,
    time: Option<f64>,
    interface: Option<compact_str::CompactString>,
    ip_id: Option<u32>,
    ttl: Option<u8>,
    flags: Flags,
    seq: Option<(u32, Option<u32>)>,
    ack: Option<u32>,
    win: Option<u32>,
    len: u32,
    tsval: Option<u32>,
}

/// Sightings remembered per direction (a forwarded packet's copy follows within a few).
const SIGHTINGS: usize = 8;
/// A copy comes within this many seconds of the first sighting.
const COPY_WITHIN: f64 = 0.5;
/// A copy told only by being identical to the line before comes this soon
/// (a resend never does: the quickest, a fast retransmission, waits for
/// duplicate ACKs, which the capture would show in between).
const IDENTICAL_WITHIN: f64 = 0.001;
/// A wait longer than the round trip by less than this tells nothing (jitter);
/// a delayed ACK holds 40 ms or more on Linux.
const DELAY_MIN: f64 = 0.03;
/// Without a measured round trip, a RST this soon after a segment answers it.
const REPLY_WITHIN: f64 = 0.2;
/// The shortest retransmission timeout of common stacks (Linux's
/// `TCP_RTO_MIN`; Windows waits 300 ms), in seconds: a resend sooner than
/// this was most likely not on that timer.
const MIN_RTO: f64 = 0.2;

/// Where a segment stands with its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// The receiver has sent nothing since: we cannot tell yet.
    Unresolved,
    /// The receiver's next segment did not acknowledge it: processed later.
    Deferred,
}

/// A segment on its way to its receiver (sent, not yet processed there).
#[derive(Debug, Clone)]
struct InFlight {
    line: u64,
    /// Where it starts and ends in sequence space.
    first: SeqNumber,
    end: SeqNumber,
    occupies: bool,
    input: Input,
    ack: Option<SeqNumber>,
    status: Delivery,
    /// Changes the receiver's state when processed (so its line waits for the answer).
    effect: bool,
}

/// The segments on their way to one end, in order, with the lines that wait
/// for that end's answer.
#[derive(Debug, Clone, Default)]
struct Inbox {
    items: VecDeque<InFlight>,
    /// Every item up to this line is known to be processed later (deferred).
    deferred_upto: u64,
    /// Lines of unresolved items that change the receiver's state.
    waiting: Lines,
    /// No item ends beyond this (an upper bound: new data skips the search in `supersede`).
    max_end: Option<SeqNumber>,
}

/// Line numbers in increasing order. They arrive in input order and mostly
/// leave from the front, so a sorted queue serves better than a tree.
#[derive(Debug, Clone, Default)]
struct Lines(VecDeque<u64>);

impl Lines {
    fn insert(&mut self, line: u64) {
        match self.0.back() {
            Some(&last) if last >= line => {
                if let Err(at) = self.0.binary_search(&line) {
                    self.0.insert(at, line);
                }
            }
            _ => self.0.push_back(line),
        }
    }

    fn remove(&mut self, line: &u64) {
        if self.0.front() == Some(line) {
            self.0.pop_front();
        } else if let Ok(at) = self.0.binary_search(line) {
            self.0.remove(at);
        }
    }

    fn first(&self) -> Option<&u64> {
        self.0.front()
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl Inbox {
    fn status(&self, item: &InFlight) -> Delivery {
        if item.line <= self.deferred_upto {
            Delivery::Deferred
        } else {
            item.status
        }
    }

    fn push(&mut self, item: InFlight) {
        if item.status == Delivery::Unresolved && item.effect && item.line > self.deferred_upto {
            self.waiting.insert(item.line);
        }
        if item.occupies && self.max_end.is_none_or(|m| item.end > m) {
            self.max_end = Some(item.end);
        }
        self.items.push_back(item);
    }

    fn pop_front(&mut self) -> Option<InFlight> {
        let item = self.items.pop_front()?;
        self.waiting.remove(&item.line);
        if self.items.is_empty() {
            self.max_end = None;
        }
        Some(item)
    }

    /// The receiver answered without covering the front item: all are processed later.
    fn defer_all(&mut self) {
        if let Some(last) = self.items.back() {
            self.deferred_upto = last.line;
        }
        self.waiting.clear();
    }

    /// A copy of a segment still waiting to be processed was sent again: the
    /// earlier copy was most likely lost, so only the new one will count.
    fn supersede(&mut self, end: SeqNumber, input: &Input) {
        if self.max_end.is_none_or(|m| end > m) {
            return; // beyond everything in flight: a first copy
        }
        let same = |f: &InFlight| {
            f.occupies && f.end == end && f.input.syn == input.syn && f.input.fin == input.fin
        };
        self.take_back(same);
    }

    /// Takes back the latest segment `which` picks if its receiver has not
    /// answered since: it never arrived (lost, as a resend or an ICMP error
    /// says). Says whether it did.
    fn take_back(&mut self, which: impl Fn(&InFlight) -> bool) -> bool {
        let Some(i) = self.items.iter().rposition(which) else {
            return false;
        };
        let Some(line) = self
            .items
            .get(i)
            .filter(|f| self.status(f) == Delivery::Unresolved)
            .map(|f| f.line)
        else {
            return false;
        };
        self.waiting.remove(&line);
        self.items.remove(i);
        true
    }

    fn front_status(&self) -> Option<(u64, Delivery)> {
        self.items.front().map(|f| (f.line, self.status(f)))
    }

    fn back_status(&self) -> Option<Delivery> {
        self.items.back().map(|b| self.status(b))
    }
}

/// What one direction (one sender) has shown so far.
#[derive(Debug, Clone, Default)]
struct Direction {
    /// Absolute value of relative 0 (the ISN), when the text tells it.
    isn: Option<u32>,
    /// Relative value of tcpdump's printed 0 (0 after a handshake, 1 mid-stream).
    printed_zero: Option<u32>,
    /// Wireshark's nextseq: highest seq + len (+1 for SYN/FIN).
    next: Option<SeqNumber>,
    /// When `next` last moved (Wireshark's nextseqtime).
    next_time: Option<f64>,
    /// Wireshark's maxseqtobeacked: the end of the contiguous bytes seen.
    max_ackable: Option<SeqNumber>,
    last_ack: Option<SeqNumber>,
    last_ack_line: u64,
    window: Option<u32>,
    /// `window` was a SYN's (unscaled: not comparable with later windows).
    window_on_syn: bool,
    /// It has sent TCP timestamps (so a segment of its without them was made without its socket).
    ts_seen: bool,
    /// Segments it sent (copies not counted).
    sent: u64,
    /// Segments it sent again, and how the waits between the last copies grew.
    resent: u32,
    /// Copies of its unacknowledged segments sent again, with the line of
    /// the first copy, oldest first (kept apart: nearly every segment has none).
    resends: VecDeque<(u64, Resend)>,
    last_backoff: Option<Backoff>,
    /// It has sent a bare ACK (no data, no other flag).
    bare_ack_sent: bool,
    /// The scale offered in this direction's SYN.
    wscale_offer: Option<u32>,
    syn_seen: bool,
    dupacks: u32,
    last_was_keepalive: bool,
    last_was_zwp: bool,
    last_time: Option<f64>,
    unacked: VecDeque<Sent>,
    /// `unacked` is not in order of `end` (a segment sent out of sequence order).
    unacked_disordered: bool,
    /// Gaps in what the capture showed of this side (`lost_segment`): start,
    /// end, and the line that revealed them.
    holes: VecDeque<(SeqNumber, SeqNumber, u64)>,
    /// The line where this side acknowledged bytes the capture had not shown.
    acked_unseen_line: Option<u64>,
    bytes: u64,
    /// Relative end of this side's SYN and FIN (the ack that covers them).
    syn_end: Option<SeqNumber>,
    fin_end: Option<SeqNumber>,
    fin_line: Option<u64>,
    /// Its FIN was not seen but inferred (`fin_line` is where).
    fin_inferred: bool,
    /// Its SYN copies: line, time, TSval.
    syn_times: Vec<(u64, f64, Option<u32>)>,
    /// The time this end was reached from the capture point and back (the
    /// handshake, split at the capture point).
    round_trip: Option<f64>,
    /// Its shortest wait before acknowledging (an upper bound of the round trip to it).
    quickest_ack: Option<f64>,
    rst_line: Option<u64>,
    /// This side has acknowledged the peer's FIN (by any segment).
    acked_peer_fin_line: Option<u64>,
    /// A SACK block of this side's covered the peer's FIN (it arrived out of order).
    peer_fin_sacked_line: Option<u64>,
    data_after_peer_fin: bool,
    /// This side's latest segment (what an ICMP error most likely reports).
    last_sent: Option<Sent>,
}

/// One connection.
pub struct Connection {
    pub id: usize,
    pub client: Endpoint,
    pub server: Endpoint,
    pub roles_inferred: bool,
    pub first_line: u64,
    pub last_line: u64,
    first_time: Option<f64>,
    last_time: Option<f64>,
    /// Time of the connection's segment before the current one.
    last_time_before: Option<f64>,
    segments: u64,
    numbering: Numbering,
    tcpdump_entry: bool,
    dir: Sides<Direction>,
    /// Recent packets of each direction with their interface (`-i any` only).
    sightings: Sides<VecDeque<Sighting>>,
    /// Live states, as the segments are processed.
    live: Sides<TcpState>,
    /// States as of the last line released.
    released: States,
    /// The latest line each side's changes were shown on.
    last_shown: Sides<u64>,
    /// The last line released (its states can no longer change).
    released_upto: u64,
    /// Inbox of each side: what the peer sent that it has not processed yet.
    inbox: Sides<Inbox>,
    /// State changes decided, keyed by the line they are shown on.
    changes: BTreeMap<u64, Vec<Transition>>,
    history: History,
    handshake_rtt: Option<f64>,
    /// Wireshark's iRTT (from the latest SYN), for its out-of-order rule.
    irtt: Option<f64>,
    /// The SYN copy the SYN-ACK answers.
    answered_syn_time: Option<f64>,
    synack_time: Option<f64>,
    syn_time: Option<f64>,
    handshake_ack_seen: bool,
    established: bool,
    crossed_fins: bool,
    fin_acks_fin: bool,
    reset_note: Option<(Role, ResetKind)>,
    /// Each end's previous segment (copies not counted).
    last_printed: Sides<Option<Previous>>,
    /// This capture prints packets twice (an identical copy of a segment that is not a bare ACK was seen).
    copies_seen: bool,
    /// The first line of an attempt (SYNs) its receiver has not answered
    /// yet: until it does, whether anything listens there is unknown, so
    /// the lines wait (a RST makes it CLOSED throughout).
    attempt_from: Option<u64>,
    /// The end that refused an attempt, and the ack its RST printed.
    refusal: Option<(Role, u32)>,
    /// An ICMP error (its line) about the SYN of an end in SYN_SENT: the
    /// attempt ends unless that end's next segment is the SYN again.
    icmp_end: Option<(Role, u64)>,
    /// A line's relative numbers differ from tcpdump's (mid-stream); said once.
    renumbered: bool,
    renumbered_said: bool,
    event_counts: BTreeMap<String, u32>,
    /// Count of each problem on its own segments (not copies), few kinds.
    problems: Vec<(EventKind, u32)>,
    pub evicted: bool,
    /// Records seen when it last had a segment (the least recently active are let go first).
    pub last_active: u64,
    /// A new connection on a 4-tuple used before (port reuse).
    reused: bool,
    /// The first line the tracker last recorded it waiting on (see [`Connection::first_unresolved`]).
    pub waiting_on: Option<u64>,
    icmp_errors: Vec<IcmpSeen>,
}

impl Connection {
    pub fn new(id: usize, p: &TcpPacket, line: u64, hint: Numbering) -> Connection {
        let syn_only = p.flags.contains(Flags::SYN) && !p.flags.contains(Flags::ACK);
        let synack = p.flags.contains(Flags::SYN) && p.flags.contains(Flags::ACK);
        // A first RST with ACK and seq 0 answers an attempt the capture does
        // not show (RFC 9293 §3.10.7.1): its sender is the server, which
        // refuses; a first segment with neither SYN nor ACK is a probe (a
        // scan's FIN, PSH, URG) that belongs to no connection.
        let refusal = p.flags.contains(Flags::RST)
            && p.flags.contains(Flags::ACK)
            && p.payload_len() == 0
            && p.seq.is_some_and(|s| s.first == 0);
        let probe = !p.flags.contains(Flags::ACK)
            && !p.flags.contains(Flags::SYN)
            && !p.flags.contains(Flags::RST);
        let (client, server, inferred) = if syn_only {
            (p.src.clone(), p.dst.clone(), false)
        } else if synack {
            (p.dst.clone(), p.src.clone(), false)
        } else if refusal || server_side(&p.src, &p.dst) {
            (p.dst.clone(), p.src.clone(), true)
        } else {
            (p.src.clone(), p.dst.clone(), true)
        };
        let handshake_seen = syn_only || synack;
        let start = if synack {
            (TcpState::SynSent, TcpState::Listen)
        } else if handshake_seen {
            (TcpState::Closed, TcpState::Listen)
        } else if refusal {
            // (What the attempt was, a SYN or a probe, the capture does not tell.)
            (TcpState::Closed, state::reached_by_attempt(true))
        } else if probe {
            (TcpState::Closed, TcpState::Listen)
        } else {
            (TcpState::Established, TcpState::Established)
        };
        Connection {
            id,
            client,
            server,
            roles_inferred: inferred,
            first_line: line,
            last_line: line,
            first_time: None,
            last_time: None,
            last_time_before: None,
            segments: 0,
            numbering: if hint == Numbering::Absolute {
                Numbering::Absolute
            } else {
                Numbering::Unknown
            },
            tcpdump_entry: false,
            dir: Sides::default(),
            sightings: Sides::default(),
            live: Sides::new(start.0, start.1),
            released: States {
                client: start.0,
                server: start.1,
            },
            inbox: Sides::default(),
            last_shown: Sides::default(),
            released_upto: 0,
            changes: BTreeMap::new(),
            history: History::default(),
            handshake_rtt: None,
            irtt: None,
            answered_syn_time: None,
            synack_time: None,
            syn_time: None,
            handshake_ack_seen: false,
            established: !(handshake_seen || refusal || probe),
            crossed_fins: false,
            fin_acks_fin: false,
            reset_note: None,
            last_printed: Sides::default(),
            copies_seen: false,
            attempt_from: None,
            refusal: None,
            renumbered: false,
            renumbered_said: false,
            icmp_end: None,
            event_counts: BTreeMap::new(),
            problems: Vec::new(),
            evicted: false,
            last_active: 0,
            reused: false,
            waiting_on: None,
            icmp_errors: Vec::new(),
        }
    }

    pub fn numbering(&self) -> Numbering {
        self.numbering
    }

    /// The role of the sender of `p` when `p` travels between this
    /// connection's two endpoints (`None` when it does not).
    pub fn sender(&self, p: &TcpPacket) -> Option<Role> {
        if p.src == self.client && p.dst == self.server {
            Some(Role::Client)
        } else if p.src == self.server && p.dst == self.client {
            Some(Role::Server)
        } else {
            None
        }
    }

    /// True when both ends are done (closed, in TIME_WAIT, or reset).
    pub fn finished(&self) -> bool {
        let done = |s: TcpState| matches!(s, TcpState::Closed | TcpState::TimeWait);
        (done(self.live.client) && done(self.live.server))
            || self.dir.iter().any(|d| d.rst_line.is_some())
    }

    /// A new SYN on this 4-tuple starts a new connection when this one is over
    /// or the SYN's ISN differs from the one seen (Wireshark's port-reuse rule).
    pub fn is_reused_by(&self, p: &TcpPacket, from: Role) -> bool {
        if !p.flags.contains(Flags::SYN) || p.flags.contains(Flags::ACK) {
            // Another refusal from the same end answering another attempt (another ISN).
            return p.flags.contains(Flags::RST.with(Flags::ACK))
                && self
                    .refusal
                    .is_some_and(|(who, ack)| who == from && p.ack != Some(ack));
        }
        let d = &self.dir[from];
        let same_isn = d.isn.is_some() && d.isn == p.seq.map(|s| s.first);
        let fin_or_rst = self
            .dir
            .iter()
            .any(|d| d.fin_line.is_some() || d.rst_line.is_some());
        (fin_or_rst || self.finished()) && !same_isn || (d.syn_seen && !same_isn && d.isn.is_some())
    }

    /// The first line that must wait: a segment whose receiver has not answered yet.
    pub fn first_unresolved(&self) -> Option<u64> {
        let inboxes = self
            .inbox
            .iter()
            .filter_map(|q| q.waiting.first().copied())
            .min();
        match (inboxes, self.attempt_from) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Resolves the segments whose receiver has not answered: assumed processed on
    /// arrival (at their own lines). Used at the end of input and when output cannot wait.
    pub fn assume_delivered(&mut self, up_to: u64) {
        if self.attempt_from.is_some_and(|l| l <= up_to) {
            self.attempt_from = None;
        }
        for side in [Role::Client, Role::Server] {
            // Segments ahead of a waiting one (deferred ones) are processed first, in order.
            while self.inbox[side]
                .waiting
                .first()
                .is_some_and(|&l| l <= up_to)
            {
                let Some((at, status)) = self.inbox[side].front_status() else {
                    break;
                };
                let shown_on = match status {
                    Delivery::Unresolved => at,
                    Delivery::Deferred => self.last_line,
                };
                self.process_front(side, shown_on, true);
            }
        }
    }

    /// Processes every remaining in-flight segment (end of input): deferred ones
    /// at the connection's last line, since the capture shows no later answer.
    pub fn drain(&mut self) {
        if let Some((who, at)) = self.icmp_end.take() {
            // (After its last line: shown in the summary only.)
            self.end_attempt(who, at, u64::MAX);
        }
        self.assume_delivered(u64::MAX);
        let last = self.last_line;
        for side in [Role::Client, Role::Server] {
            while !self.inbox[side].items.is_empty() {
                self.process_front(side, last, true);
            }
        }
    }

    /// Applies the state changes shown on `line` to the released states.
    pub fn release(&mut self, line: u64) -> (States, Vec<Transition>) {
        self.released_upto = self.released_upto.max(line);
        if self.changes.is_empty() {
            return (self.released, Vec::new()); // (most lines change no state)
        }
        // (Also changes keyed to a line of no segment of this connection: an ICMP error's.)
        let mut changes = Vec::new();
        while let Some(entry) = self.changes.first_entry().filter(|e| *e.key() <= line) {
            changes.extend(entry.remove());
        }
        for t in &changes {
            self.released.set(t.who, t.to);
        }
        (self.released, changes)
    }

    /// Changes decided for lines already released (after the end of input): applied to the summary only.
    pub fn release_rest(&mut self) -> Vec<Transition> {
        let rest: Vec<Transition> = std::mem::take(&mut self.changes)
            .into_values()
            .flatten()
            .collect();
        for t in &rest {
            self.released.set(t.who, t.to);
        }
        rest
    }

    fn record_steps(&mut self, who: Role, input: Input, shown_on: u64, cause: u64, inferred: bool) {
        let steps = if input.may_change(self.live[who]) {
            advance(self.live[who], input)
        } else {
            Vec::new() // (data and plain ACKs: the usual segment)
        };
        if steps.is_empty() && !input.sent {
            return; // Received, and nothing changes: nothing is shown.
        }
        // A side's changes are shown in the order they happen: never on a line
        // before one its earlier changes are shown on (nor before a segment it sent).
        let mut shown_on = shown_on.max(self.last_shown[who]);
        if shown_on <= self.released_upto {
            // That line is already out: show the change on the line being read
            // (or, after the end of input, in the summary only).
            shown_on = self.last_line.max(self.released_upto.saturating_add(1));
        }
        self.last_shown[who] = shown_on;
        for step in steps {
            if step.from == TcpState::FinWait1 && step.to == TcpState::Closing {
                self.crossed_fins = true;
            }
            if step.to == TcpState::Established {
                self.established = true;
            }
            self.live[who] = step.to;
            self.changes.entry(shown_on).or_default().push(Transition {
                who,
                from: step.from,
                to: step.to,
                why: step.why,
                cause_line: cause,
                inferred: inferred || step.inferred,
            });
        }
    }

    /// `side` processes the first segment of its inbox; the change is shown on `shown_on`.
    fn process_front(&mut self, side: Role, shown_on: u64, inferred: bool) {
        if let Some(item) = self.inbox[side].pop_front() {
            self.receive(side, &item, shown_on, inferred);
        }
    }

    /// `side` processes a segment from its peer.
    fn receive(&mut self, side: Role, item: &InFlight, shown_on: u64, inferred: bool) {
        let mut input = item.input;
        if inferred && input.syn && !input.ack {
            // A SYN its receiver never answered: whether a socket listened
            // there (or the SYN arrived at all) is unknown, so nothing is assumed.
            return;
        }
        let mine = &self.dir[side];
        if inferred
            && item.occupies
            && mine.last_ack.is_some_and(|a| a < item.first)
            && mine.last_sent.as_ref().is_some_and(|s| s.line > item.line)
        {
            // Its receiver, answering after it, still misses bytes before it
            // (its ACK stops short): it waits there, unprocessed.
            return;
        }
        let state = self.live[side];
        let can_move =
            input.syn || input.fin || input.rst || state.awaits_syn_ack() || state.awaits_fin_ack();
        if !can_move {
            return; // Data or a plain ACK to an end that awaits no ACK: nothing changes.
        }
        let mine = &self.dir[side];
        let covers = |end: Option<SeqNumber>| item.ack.zip(end).is_some_and(|(a, e)| a >= e);
        input.acks_our_syn = covers(mine.syn_end);
        input.acks_our_fin = covers(mine.fin_end);
        self.record_steps(side, input, shown_on, item.line, inferred);
    }

    /// `from` refuses an attempt with RST: nothing listened there, and what
    /// was sent to it never reached a socket. Where its LISTEN was only
    /// assumed and not yet shown, it starts CLOSED (the assumption is taken
    /// back before anyone saw it); otherwise the RST it sends moves it
    /// (`Input::refuses` in the transition table).
    fn refused_by(&mut self, from: Role) {
        self.inbox[from] = Inbox::default();
        let unshown = self.released_upto < self.first_line && self.last_shown[from] == 0;
        if self.live[from] == TcpState::Listen && unshown {
            let closed = state::reached_by_attempt(true);
            self.live[from] = closed;
            self.released.set(from, closed);
        }
    }

    /// The attempt of `who` ends after the ICMP error of line `at`; shown on `line`.
    fn end_attempt(&mut self, who: Role, at: u64, line: u64) {
        let mut steps = advance(self.live[who], Input::icmp_error());
        for step in &mut steps {
            step.inferred = true;
        }
        self.apply(who, steps, line, at);
    }

    /// `peer`'s SYN-ACK is not in the capture, but the other end, in SYN_SENT,
    /// acknowledges its SYN (`ack`): `peer` had received the SYN and answered.
    fn unseen_syn_ack(&mut self, peer: Role, ack: Option<SeqNumber>, line: u64) {
        if self.dir[peer].syn_end.is_none() {
            self.dir[peer].syn_end = ack;
        }
        // The SYNs it received, processed before it answered.
        while self.inbox[peer]
            .items
            .front()
            .is_some_and(|f| f.input.syn && !f.input.ack)
        {
            if let Some(item) = self.inbox[peer].pop_front() {
                let shown_on = item.line.max(self.released_upto.saturating_add(1));
                let input = item.input;
                let mut steps = advance(self.live[peer], input);
                for step in &mut steps {
                    step.inferred = true;
                }
                self.apply(peer, steps, shown_on.min(line), item.line);
            }
        }
    }

    /// Records steps `who` takes, shown on `shown_on` (see [`Connection::record_steps`]).
    fn apply(&mut self, who: Role, steps: Vec<state::Step>, shown_on: u64, cause: u64) {
        if steps.is_empty() {
            return;
        }
        let mut shown_on = shown_on.max(self.last_shown[who]);
        if shown_on <= self.released_upto {
            shown_on = self.last_line.max(self.released_upto.saturating_add(1));
        }
        self.last_shown[who] = shown_on;
        for step in steps {
            if step.to == TcpState::Established {
                self.established = true;
            }
            self.live[who] = step.to;
            self.changes.entry(shown_on).or_default().push(Transition {
                who,
                from: step.from,
                to: step.to,
                why: step.why,
                cause_line: cause,
                inferred: step.inferred,
            });
        }
    }

    /// The connection's previous segment (copies not counted).
    fn previous(&self) -> Option<Previous> {
        match (self.last_printed.client, self.last_printed.server) {
            (Some(c), Some(s)) => Some(if c.line > s.line { c } else { s }),
            (c, s) => c.or(s),
        }
    }

    /// The round trip between the capture point and `side`, as measured: the
    /// handshake's share, or its quickest ACK when shorter.
    fn round_trip_to(&self, side: Role) -> Option<f64> {
        let d = &self.dir[side];
        match (d.round_trip, d.quickest_ack) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A `delayed_ack` event when `side`'s ACK (`bare`: no data, no flags)
    /// waited beyond the round trip to `side` by more than jitter explains;
    /// each ACK's wait also bounds that round trip. Without a measured
    /// round trip nothing is claimed.
    fn delayed_ack(&mut self, side: Role, a: &Acked, bare: bool) -> Option<Event> {
        let wait = a.rtt.filter(|_| a.evidence != Some(Evidence::LatestCopy))?;
        let base = self.round_trip_to(side);
        let quickest = &mut self.dir[side].quickest_ack;
        *quickest = Some(quickest.map_or(wait, |q| q.min(wait)));
        let base = base?;
        if !bare || !(a.bytes > 0 || a.fin) || wait - base < DELAY_MIN.max(base / 4.0) {
            return None;
        }
        let mut e = Event::new(EventKind::DelayedAck);
        e.seconds = Some(wait);
        e.of_line = a.lines.last().copied();
        // (Below a millisecond it changes nothing and is not said.)
        e.round_trip = Some(base).filter(|b| *b >= 0.001);
        Some(e)
    }

    /// The `reset` event of a RST `from` sends: what it answers tells what it says.
    fn reset_event(
        &self,
        from: Role,
        p: &TcpPacket,
        seq_raw: Option<u32>,
        len: u32,
        time: Option<f64>,
    ) -> Event {
        let (d, r) = (from, from.other());
        let mine = &self.dir[d];
        let mut e = Event::new(EventKind::Reset);
        let since = |prev: &Previous| {
            time.zip(prev.time)
                .map(|(a, b)| ((a - b) * 1e9).round() / 1e9)
        };
        // The segment it answers, if any: the peer's, just before it.
        let answered = self
            .previous()
            .filter(|q| q.from == r && !q.flags.contains(Flags::RST));
        // An attempt refused: this end's first segment answers a SYN, or
        // (RFC 9293 §3.10.7.1: seq 0, with ACK) a segment without ACK: a
        // probe, or a SYN the capture missed.
        let zero_seq = seq_raw.or(p.seq.map(|s| s.first)) == Some(0);
        let refused_syn = !self.established && self.dir[r].syn_seen && !mine.syn_seen;
        let refused_probe = p.flags.contains(Flags::ACK)
            && len == 0
            && mine.sent == 0
            && self.dir[r].last_ack.is_none()
            && zero_seq;
        if refused_syn || refused_probe {
            e.note = Some(Note::Reset(ResetKind::Refused));
            e.of_line = answered.map(|q| q.line);
            return e;
        }
        // A segment arrived for a connection its sender no longer has: a RST
        // without the timestamps the connection uses was made with no socket;
        // or its sender had closed, and answers at once.
        let no_socket = mine.ts_seen && p.timestamps().is_none();
        let closed =
            mine.fin_end.is_some() || matches!(self.live[d], TcpState::Closed | TcpState::TimeWait);
        if let Some(q) = answered {
            let within = self
                .round_trip_to(d)
                .map_or(REPLY_WITHIN, |rt| 2.0 * rt + 0.01);
            let prompt = since(&q).is_none_or(|s| s <= within);
            if no_socket || (closed && prompt) {
                e.note = Some(Note::Reset(ResetKind::AfterClose));
                e.of_line = Some(q.line);
                e.seconds = since(&q);
                e.evidence = Some(if no_socket {
                    Evidence::NoTimestamps
                } else {
                    Evidence::OwnFin
                });
                return e;
            }
        }
        // Its own decision: right after its own FIN, nothing having arrived, it
        // is how that close ended (unread data, SO_LINGER 0).
        e.note = Some(Note::Reset(ResetKind::Abort));
        if let Some(q) = self
            .previous()
            .filter(|q| q.from == d && q.flags.contains(Flags::FIN))
        {
            e.of_line = Some(q.line);
            e.seconds = since(&q);
        }
        e
    }

    /// `peer`'s FIN, not in the capture (only the other direction is), ending
    /// at `fin_end`: it had processed what the other end sent up to its FIN
    /// (its FIN answers that one, as usual), and the other end processed it
    /// before acknowledging it now. All inferred.
    #[cold]
    fn unseen_peer_fin(&mut self, peer: Role, fin_end: SeqNumber, line: u64) {
        let me = peer.other();
        let my_fin = self.dir[me].fin_end;
        self.catch_up(peer, my_fin, line, true);
        let sent_fin = Input::sent_fin();
        let mut steps = advance(self.live[peer], sent_fin);
        for step in &mut steps {
            step.inferred = true;
        }
        self.apply(peer, steps, line, line);
        let item = InFlight {
            line,
            first: SeqNumber(fin_end.0.wrapping_sub(1)),
            end: fin_end,
            occupies: true,
            input: Input {
                sent: false,
                ..sent_fin
            },
            ack: my_fin,
            status: Delivery::Unresolved,
            effect: true,
        };
        self.receive(me, &item, line, true);
    }

    /// Whether `p`, from `side`, is the handshake's ACK seen after `side`'s
    /// first data: a bare ACK of the peer's SYN alone, at `side`'s first byte
    /// (or without a printed seq), before any other bare ACK of `side`'s.
    #[inline(always)]
    fn late_handshake_ack(
        &self,
        side: Role,
        p: &TcpPacket,
        seq: Option<u32>,
        ack: Option<SeqNumber>,
    ) -> bool {
        let (mine, peer) = (&self.dir[side], &self.dir[side.other()]);
        // (Only the end that sent the first SYN sends the handshake's ACK.)
        side == Role::Client
            && !self.roles_inferred
            && p.flags == Flags::ACK
            && p.payload_len() == 0
            && !mine.bare_ack_sent
            && ack.is_some()
            && ack == peer.syn_end
            && mine
                .syn_end
                .is_some_and(|e| mine.next.is_some_and(|n| n > e))
            && seq.is_none_or(|s| Some(SeqNumber(s)) == mine.syn_end)
    }

    /// Why `side` repeats its ACK, where the capture tells: it answers the
    /// peer's segment just before, which brought nothing new (older than this
    /// ACK: an unacceptable segment gets an ACK in reply, RFC 9293 §3.10.7.4),
    /// or the peer has sent bytes beyond it (a gap).
    fn dup_ack_cause(&self, side: Role, ack: Option<SeqNumber>) -> Option<Note> {
        let peer = &self.dir[side.other()];
        let old = self
            .previous()
            .filter(|q| q.from == side.other())
            .and_then(|q| q.seq_rel)
            .zip(ack)
            .is_some_and(|(s, a)| s < a);
        if old {
            Some(Note::OldSegment)
        } else if peer.next.zip(ack).is_some_and(|(n, a)| n > a) {
            Some(Note::Gap)
        } else {
            None
        }
    }

    /// A lone sequence number `from` SACKs beyond its ACK, where nothing the
    /// peer sent is known: most likely the peer's FIN, arrived out of order
    /// (an inference). The peer had sent it, so it is closing.
    #[cold]
    fn infer_peer_fin(
        &mut self,
        from: Role,
        ack: Option<SeqNumber>,
        sack: &[(u32, u32)],
        line: u64,
        notes: &mut Vec<Inference>,
    ) {
        let peer = from.other();
        let next = self.dir[peer].next;
        let Some(&(_, end)) = sack.iter().find(|&&(l, r)| {
            r.wrapping_sub(l) == 1
                && ack.is_some_and(|a| SeqNumber(l) > a)
                && next.is_none_or(|n| n <= SeqNumber(l))
        }) else {
            return;
        };
        let d = &mut self.dir[peer];
        d.fin_end = Some(SeqNumber(end));
        d.fin_line = Some(line);
        d.fin_inferred = true;
        notes.push(Inference::PeerFinInferred);
        let sent_fin = Input::sent_fin();
        let mut steps = advance(self.live[peer], sent_fin);
        for step in &mut steps {
            step.inferred = true;
            step.why = state::Reason::SentUnseenFin;
        }
        self.apply(peer, steps, line, line);
    }

    /// The line of the peer's FIN when one of `from`'s SACK blocks covers it:
    /// it arrived, out of order, and waits behind missing bytes.
    fn peer_fin_sacked(&self, from: Role, sack: &[(u32, u32)]) -> Option<u64> {
        let peer = &self.dir[from.other()];
        let fin = peer.fin_end?;
        let covers = |&(l, r): &(u32, u32)| SeqNumber(l) < fin && fin <= SeqNumber(r);
        sack.iter().any(covers).then_some(peer.fin_line?)
    }

    /// Sequence numbers as printed → (relative seq, relative ack, raw seq, raw ack).
    #[inline(always)]
    fn resolve(
        &mut self,
        from: Role,
        p: &TcpPacket,
    ) -> (Option<u32>, Option<u32>, Option<u32>, Option<u32>) {
        let (d, r) = (from, from.other());
        let seq = p.seq.map(|s| s.first);
        let ack = if p.flags.contains(Flags::ACK) {
            p.ack
        } else {
            None
        };
        let has_ack = p.flags.contains(Flags::ACK);
        let syn = p.flags.contains(Flags::SYN);
        // tcpdump prints absolute numbers on segments without ACK, on SYN-ACKs,
        // and on the first ACK-bearing segment of a conversation (the one that creates its entry).
        let creates_entry = has_ack && (syn || !self.tcpdump_entry);
        let printed_absolute = !has_ack || creates_entry || self.numbering == Numbering::Absolute;
        if printed_absolute && self.numbering != Numbering::Excerpt {
            if creates_entry
                && !syn
                && !self.tcpdump_entry
                && self.segments == 0
                && looks_relative(seq, ack)
            {
                // A pasted excerpt: tcpdump would have printed absolute values here.
                self.numbering = Numbering::Excerpt;
                self.tcpdump_entry = true;
                self.dir[d].printed_zero = Some(0);
                self.dir[r].printed_zero = Some(0);
                return (seq, ack, None, None);
            }
            if syn {
                if let Some(s) = seq {
                    self.dir[d].isn = Some(s);
                }
            }
            if let (None, Some(s)) = (self.dir[d].isn, seq) {
                self.dir[d].isn = Some(s.wrapping_sub(1));
            }
            if let (None, Some(a)) = (self.dir[r].isn, ack) {
                self.dir[r].isn = Some(a.wrapping_sub(1));
            }
            if creates_entry {
                self.tcpdump_entry = true;
                self.dir[d].printed_zero = Some(match (seq, self.dir[d].isn) {
                    (Some(s), Some(i)) => s.wrapping_sub(i),
                    _ => 1,
                });
                self.dir[r].printed_zero = Some(match (ack, self.dir[r].isn) {
                    (Some(a), Some(i)) => a.wrapping_sub(1).wrapping_sub(i),
                    _ => 0,
                });
            }
            let rel = |v: Option<u32>, isn: Option<u32>| v.zip(isn).map(|(v, i)| v.wrapping_sub(i));
            return (
                rel(seq, self.dir[d].isn),
                rel(ack, self.dir[r].isn),
                seq,
                ack,
            );
        }
        if self.numbering == Numbering::Unknown {
            self.numbering = self.decide_numbering(from, seq, ack);
        }
        match self.numbering {
            Numbering::Absolute => {
                if let (None, Some(s)) = (self.dir[d].isn, seq) {
                    self.dir[d].isn = Some(s.wrapping_sub(1));
                }
                if let (None, Some(a)) = (self.dir[r].isn, ack) {
                    self.dir[r].isn = Some(a.wrapping_sub(1));
                }
                let rel =
                    |v: Option<u32>, isn: Option<u32>| v.zip(isn).map(|(v, i)| v.wrapping_sub(i));
                (
                    rel(seq, self.dir[d].isn),
                    rel(ack, self.dir[r].isn),
                    seq,
                    ack,
                )
            }
            _ => {
                let zero_d = self.dir[d].printed_zero.unwrap_or(0);
                let zero_r = self.dir[r].printed_zero.unwrap_or(0);
                // tcpdump's relative numbers counted from another origin than these.
                if (zero_d != 0 || zero_r != 0) && !self.renumbered {
                    self.renumbered =
                        (zero_d != 0 && seq.is_some()) || (zero_r != 0 && ack.is_some());
                }
                let seq_rel = seq.map(|s| s.wrapping_add(zero_d));
                let ack_rel = ack.map(|a| a.wrapping_add(zero_r));
                let raw =
                    |v: Option<u32>, isn: Option<u32>| v.zip(isn).map(|(v, i)| v.wrapping_add(i));
                (
                    seq_rel,
                    ack_rel,
                    raw(seq_rel, self.dir[d].isn),
                    raw(ack_rel, self.dir[r].isn),
                )
            }
        }
    }

    /// An acknowledgment-space value as printed by `from` (an ACK or SACK edge), made relative.
    fn relative_ack(&self, from: Role, printed: u32) -> Option<u32> {
        let peer = &self.dir[from.other()];
        match self.numbering {
            Numbering::Absolute => peer.isn.map(|i| printed.wrapping_sub(i)),
            _ => Some(printed.wrapping_add(peer.printed_zero.unwrap_or(0))),
        }
    }

    /// Relative (tcpdump's default) or absolute (`-S`)? Whichever lands nearer to what is expected.
    fn decide_numbering(&self, from: Role, seq: Option<u32>, ack: Option<u32>) -> Numbering {
        let (d, r) = (&self.dir[from], &self.dir[from.other()]);
        let distance = |a: u32, b: u32| a.wrapping_sub(b).min(b.wrapping_sub(a));
        let candidates = [
            (seq, d.isn, d.printed_zero, d.next),
            (ack, r.isn, r.printed_zero, r.next),
        ];
        for (value, isn, zero, expected) in candidates {
            if let (Some(v), Some(isn), Some(expected)) = (value, isn, expected) {
                let as_relative = v.wrapping_add(zero.unwrap_or(0));
                let as_absolute = v.wrapping_sub(isn);
                return if distance(as_absolute, expected.0) < distance(as_relative, expected.0) {
                    Numbering::Absolute
                } else {
                    Numbering::Relative
                };
            }
        }
        Numbering::Relative
    }

    /// Analyses one segment of this connection; its states come later (see
    /// [`Connection::release`]). In steps: what the segment is ([`Seg`]),
    /// Wireshark's analysis rules, what its ACK acknowledges, the
    /// handshake's timing, the teardown's facts, what each direction
    /// remembers for the next segment, the ends' states, the counts, and
    /// the report.
    pub fn segment(
        &mut self,
        p: &TcpPacket,
        from: Role,
        line: u64,
        time: Option<f64>,
        report: bool,
    ) -> Option<Box<SegmentReport>> {
        // (Looked up once: the options are a list.)
        let ts = p.timestamps();
        // (Before anything else moves: a copy is told from what came before it.)
        let copy = self.capture_copy(from, p, ts, line, time);
        let mut notes = Vec::new();
        let s = self.begin(p, from, line, time, ts, &mut notes);
        let mut events = Vec::new();
        if self.reused && self.segments == 1 {
            events.push(Event::new(EventKind::ReusedPorts));
        }
        let seen = self.wireshark_rules(&s, copy, &mut events);
        let acked = self.newly_acked(&s, seen.is_copy, &mut events);
        let handshake_rtt = self.handshake_timing(&s, seen.is_copy);
        // SACK edges are printed like the ACK (relative to the peer's base unless -S).
        let sack: Vec<(u32, u32)> = p
            .sack_blocks()
            .iter()
            .filter_map(|&(l, r)| self.relative_ack(from, l).zip(self.relative_ack(from, r)))
            .collect();
        let teardown = self.teardown_facts(&s, &seen, &sack, &mut events, &mut notes);
        self.remember(&s, &seen);
        if !seen.is_copy {
            // (A copy changes no state: it was sent and delivered as the earlier sighting.)
            self.move_states(&s, teardown.unseen_fin);
        }
        self.count(&s, &events);
        if self.roles_inferred && self.segments == 1 {
            notes.push(Inference::RolesInferred);
        }
        if self.numbering == Numbering::Excerpt && self.segments == 1 {
            notes.push(Inference::Excerpt);
        }
        if self.renumbered && !self.renumbered_said {
            self.renumbered_said = true;
            notes.push(Inference::Renumbered);
        }
        report.then(|| {
            crate::spare::report(SegmentReport {
                line,
                conn: self.id,
                from,
                flags: s.flags.letters(),
                seq: s.seq_rel.filter(|_| p.seq.is_some()),
                ack: s.ack_rel,
                seq_raw: s.seq_raw.filter(|_| p.seq.is_some()),
                ack_raw: s.ack_raw,
                len: s.len,
                window: self.window_in_bytes(&s),
                time: time.zip(self.first_time).map(|(t, f)| round_ns(t - f)),
                events,
                acked,
                transitions: Vec::new(),
                state: self.released,
                offer: s.syn.then(|| offer(p)),
                sack,
                peer_fin_unacked: teardown.peer_fin_unacked,
                handshake_rtt,
                notes,
                text: String::new(),
            })
        })
    }

    /// The first step: what the segment is, where it sits in its direction's
    /// sequence space, and the counts and clocks every segment moves.
    #[inline(always)]
    fn begin<'p>(
        &mut self,
        p: &'p TcpPacket,
        from: Role,
        line: u64,
        time: Option<f64>,
        ts: Option<(u32, u32)>,
        notes: &mut Vec<Inference>,
    ) -> Seg<'p> {
        let (d, r) = (from, from.other());
        let (seq_rel, ack_rel, seq_raw, ack_raw) = self.resolve(from, p);
        self.segments = self.segments.saturating_add(1);
        self.last_line = line;
        if self.first_time.is_none() {
            self.first_time = time;
        }
        self.last_time_before = self.last_time;
        self.last_time = time.or(self.last_time);
        let flags = p.flags;
        if let Some((who, at)) = self.icmp_end.take() {
            let retry = who == from && flags.contains(Flags::SYN) && !flags.contains(Flags::ACK);
            if !retry {
                self.end_attempt(who, at, line);
            }
        }
        let ack = ack_rel.map(SeqNumber);
        // The handshake's ACK seen after this side's first data (reordered on
        // the way): it acknowledges only the SYN and sits at the first byte.
        let late_handshake_ack = self.late_handshake_ack(d, p, seq_rel, ack);
        if late_handshake_ack {
            notes.push(Inference::LateHandshakeAck);
        }
        // A segment printed without seq (an empty ACK) is at this side's next
        // byte; before any, at what the peer acknowledged: mid-stream, tcpdump
        // numbers the second direction from the first ACK, so its first byte
        // is exactly the one acknowledged (no gap there).
        let known_seq = seq_rel
            .map(SeqNumber)
            .or(self.dir[d].syn_end.filter(|_| late_handshake_ack))
            .or(self.dir[d].next)
            .or(self.dir[r].last_ack);
        let seq = known_seq.unwrap_or_default();
        let (syn, fin) = (flags.contains(Flags::SYN), flags.contains(Flags::FIN));
        let len = p.payload_len();
        Seg {
            p,
            from,
            line,
            time,
            flags,
            syn,
            fin,
            rst: flags.contains(Flags::RST),
            has_ack: flags.contains(Flags::ACK),
            len,
            win: p.win.unwrap_or(0),
            ts,
            seq_rel,
            ack_rel,
            seq_raw,
            ack_raw,
            ack,
            known_seq,
            seq,
            end: seq.plus(len).plus(u32::from(syn)).plus(u32::from(fin)),
        }
    }

    /// Wireshark's analysis rules, in its order (packet-tcp.c): zero windows
    /// and their probes, lost segments, keep-alives, window updates and
    /// full windows, duplicate ACKs, ACKs of unseen data, retransmissions
    /// (fast, spurious) and segments out of order; then late sightings,
    /// capture copies and SYNs sent again.
    #[inline(always)]
    fn wireshark_rules(
        &mut self,
        s: &Seg<'_>,
        copy: Option<Event>,
        events: &mut Vec<Event>,
    ) -> Seen {
        let (d, r) = (s.from, s.from.other());
        let (seq, ack, win, len) = (s.seq, s.ack, s.win, s.len);
        let sfr = s.syn || s.fin || s.rst;
        let next = self.dir[d].next;
        let rev_window = self.dir[r].window;
        let zwp = len == 1 && Some(seq) == next && rev_window == Some(0);
        if zwp {
            events.push(Event::new(EventKind::ZeroWindowProbe));
        }
        if win == 0 && !sfr && s.p.win.is_some() {
            events.push(Event::new(EventKind::ZeroWindow));
        }
        let mut keepalive = false;
        if !zwp {
            if let Some(n) = next {
                if seq > n && !s.rst {
                    events.push(Event::new(EventKind::LostSegment));
                    let holes = &mut self.dir[d].holes;
                    if holes.len() >= MAX_HOLES {
                        holes.pop_front();
                    }
                    holes.push_back((n, seq, s.line));
                }
            }
            // tcpdump prints no seq on an empty ACK (without -vv), so a probe
            // one byte behind looks like a duplicate ACK; silence tells them
            // apart (also mid-connection, before this side's numbers are known).
            let idle_probe = s.p.seq.is_none() && self.looks_like_probe(d, ack, win, s.time);
            let behind = next.is_some_and(|n| seq == n.plus(u32::MAX));
            if len <= 1 && !sfr && (behind || idle_probe) {
                keepalive = true;
                let mut e = Event::new(EventKind::KeepAlive);
                if rev_window == Some(0) {
                    // Linux probes a zero window this way; Wireshark calls it a keep-alive.
                    e.note = Some(Note::ZeroWindowProbe);
                }
                if idle_probe {
                    e.note = Some(match e.note {
                        Some(Note::ZeroWindowProbe) => Note::ZeroWindowProbeInferred,
                        _ => Note::Inferred,
                    });
                }
                events.push(e);
            }
            if let Some(n) = next {
                let same_ack = ack.is_some() && ack == self.dir[d].last_ack;
                if len == 0
                    && win != 0
                    && !keepalive
                    && Some(win) != self.dir[d].window
                    && seq == n
                    && same_ack
                    && !sfr
                {
                    events.push(Event::new(EventKind::WindowUpdate));
                }
            }
        }
        if len > 0 && !sfr {
            if let (Some(rev_ack), Some(rw), Some(scale)) =
                (self.dir[r].last_ack, rev_window, self.window_scale(r))
            {
                let edge = rev_ack.plus(rw.checked_shl(scale).unwrap_or(u32::MAX));
                if s.end == edge {
                    events.push(Event::new(EventKind::WindowFull));
                }
            }
        }
        self.duplicate_ack(s, keepalive, events);
        if s.has_ack {
            // Wireshark compares with the highest contiguous byte seen (not across a gap).
            if let (Some(a), Some(rn)) = (ack, self.dir[r].max_ackable) {
                if a > rn {
                    // The receiver has the bytes the capture missed: the gap is closed.
                    self.dir[r].max_ackable = self.dir[r].next.max(Some(a));
                    events.push(Event::new(EventKind::AckLostSegment));
                    self.dir[d].acked_unseen_line = Some(s.line);
                }
            }
        }
        let occupies = len > 0 || s.syn || s.fin;
        let retransmitted = match next {
            Some(n) if !zwp && !keepalive && occupies && seq < n => {
                self.resent(s, n, copy.is_some(), events)
            }
            _ => false,
        };
        // Bytes are new (counted) when they go beyond what was seen, or fill a gap in it.
        let gap = if self.dir[d].holes.is_empty() {
            None // (the usual case, checked here: this runs for every segment)
        } else {
            self.fill_gap(d, seq, s.end, len)
        };
        let new_bytes = next.is_none_or(|n| seq >= n) || gap.is_some();
        if let Some(e) = gap.and_then(|g| self.seen_late(d, g, s.end)) {
            events.push(e);
        }
        // A copy is the packet already seen: Wireshark's rules above count it
        // again (their labels are kept); nothing below does.
        let is_copy = copy.is_some();
        events.extend(copy);
        if s.syn && !s.has_ack && !is_copy {
            self.syn_sent_again(s, events);
        }
        Seen {
            keepalive,
            zwp,
            retransmitted,
            new_bytes,
            is_copy,
        }
    }

    /// A `duplicate_ack` (or the ACK of a keep-alive or of a zero-window
    /// probe): an empty segment that repeats its side's last ACK and window.
    #[inline(always)]
    fn duplicate_ack(&mut self, s: &Seg<'_>, keepalive: bool, events: &mut Vec<Event>) {
        let (d, r) = (s.from, s.from.other());
        let (next, win, ack) = (self.dir[d].next, s.win, s.ack);
        let pure = s.len == 0 && !(s.syn || s.fin || s.rst);
        // A keep-alive sits one byte behind, so it is not a steady repeat of the last ACK.
        let steady =
            !keepalive && next == Some(s.seq) && ack.is_some() && ack == self.dir[d].last_ack;
        if pure && steady && Some(win) == self.dir[d].window {
            if win != 0 && self.dir[r].last_was_keepalive {
                events.push(Event::new(EventKind::KeepAliveAck));
            } else if win == 0 && self.dir[r].last_was_zwp {
                events.push(Event::new(EventKind::ZeroWindowProbeAck));
            } else if win != 0 {
                self.dir[d].dupacks = self.dir[d].dupacks.saturating_add(1);
                let mut e = Event::new(EventKind::DuplicateAck);
                e.count = Some(self.dir[d].dupacks);
                e.of_line = Some(self.dir[d].last_ack_line);
                e.note = self.dup_ack_cause(d, ack);
                events.push(e);
            }
        } else if pure
            && win == 0
            && Some(win) == self.dir[d].window
            && self.dir[r].last_was_zwp
            && next == Some(s.seq)
            && ack
                .zip(self.dir[d].last_ack)
                .is_some_and(|(a, l)| a == l.plus(1))
        {
            events.push(Event::new(EventKind::ZeroWindowProbeAck));
        }
    }

    /// A segment that starts before its side's next byte `next`: which kind
    /// of resend (or reordering) it is, with the earlier copy, the wait and
    /// its backoff; says whether it counts as a retransmission.
    #[inline(always)]
    fn resent(&self, s: &Seg<'_>, next: SeqNumber, is_copy: bool, events: &mut Vec<Event>) -> bool {
        let (d, r) = (s.from, s.from.other());
        let (seq, len) = (s.seq, s.len);
        let original = self.dir[d]
            .unacked
            .iter()
            .find(|x| x.first == seq)
            .map(|x| x.line);
        let rev_ack = self.dir[r].last_ack;
        let since_reverse = s.time.zip(self.dir[r].last_time).map(|(a, b)| a - b);
        // Since the segment that sent the highest sequence number so far.
        let since_highest = s.time.zip(self.dir[d].next_time).map(|(a, b)| a - b);
        let kind = if len > 0 && rev_ack.is_some_and(|ra| seq.plus(len) <= ra) {
            Some(EventKind::SpuriousRetransmission)
        } else if since_reverse.is_some_and(|t| t < 0.02)
            && self.dir[r].dupacks >= 2
            && rev_ack == Some(seq)
        {
            Some(EventKind::FastRetransmission)
        } else if len > 0
            && next != s.end
            && since_highest.is_some_and(|t| {
                // Whole nanoseconds, as Wireshark compares them.
                round_ns(t) < round_ns(self.irtt.unwrap_or(0.003))
            })
        {
            Some(EventKind::OutOfOrder)
        } else {
            None
        };
        // Resent in other sizes: the earlier segment these bytes start in.
        let of_line = original.or_else(|| {
            let covering = |x: &&Sent| x.first <= seq && seq < x.end;
            self.dir[d].unacked.iter().find(covering).map(|x| x.line)
        });
        // That segment was too big for the path, an ICMP error said: resent at once.
        let path_mtu = of_line.is_some()
            && self
                .icmp_errors
                .iter()
                .any(|i| i.problem == IcmpProblem::TooBig && i.segment == of_line);
        // The wait since the previous copy of these bytes, and the one before it.
        let (wait, before) = self.dir[d]
            .unacked
            .iter()
            .rev()
            .find(|x| x.first == seq)
            .map_or((None, None), |x| {
                let copies = self.dir[d].resends.iter().filter(|(l, _)| *l == x.line);
                let mut times = std::iter::once(x.time)
                    .chain(copies.map(|(_, c)| c.time))
                    .rev();
                let (last, earlier) = (times.next().flatten(), times.next().flatten());
                let wait = s.time.zip(last).map(|(a, b)| round_ns(a - b));
                (wait, last.zip(earlier).map(|(a, b)| round_ns(a - b)))
            });
        // Sooner than a round trip: no timer could have fired.
        let path_rtt = self.handshake_rtt.or_else(|| {
            self.round_trip_to(d)
                .zip(self.round_trip_to(r))
                .map(|(a, b)| a + b)
        });
        let too_soon = wait
            .zip(path_rtt)
            .filter(|(w, rt)| w < rt)
            .map(|(_, rt)| rt);
        // The last segment sent, sent again once, sooner than the shortest
        // retransmission timeout of common stacks (Linux's 200 ms), after a
        // measured round trip without a word from the peer: most likely a
        // tail loss probe, which draws an ACK before the timer fires.
        // (Said only of an end with data or a FIN outstanding, not of a SYN,
        // a copy, nor across bytes the capture missed.)
        let tail_probe = s.end == next
            && !s.syn
            && matches!(
                self.live[d],
                TcpState::Established
                    | TcpState::CloseWait
                    | TcpState::FinWait1
                    | TcpState::Closing
                    | TcpState::LastAck
            )
            && !is_copy
            && self.dir[d].holes.is_empty()
            && before.is_none()
            && too_soon.is_none()
            && wait.is_some_and(|w| w < MIN_RTO)
            // (Nothing from the peer for a round trip: not a reply to its ACK.)
            && since_reverse
                .zip(path_rtt)
                .is_some_and(|(quiet, rt)| quiet >= rt);
        let resend = |kind| {
            let mut e = Event::new(kind);
            e.of_line = of_line;
            e.note = if path_mtu {
                Some(Note::PathMtu)
            } else {
                (tail_probe && kind == EventKind::Retransmission).then_some(Note::TailProbe)
            };
            if kind == EventKind::Retransmission {
                e.seconds = wait;
                e.round_trip = too_soon;
                e.backoff = before.zip(wait).map(|(b, w)| backoff(b, w));
            }
            e
        };
        match kind {
            Some(EventKind::OutOfOrder) if path_mtu => {
                events.push(resend(EventKind::OutOfOrder));
            }
            Some(k) => events.push(Event::new(k)),
            None => {}
        }
        // Wireshark marks fast and spurious retransmissions as retransmissions too.
        if kind == Some(EventKind::OutOfOrder) {
            return false;
        }
        events.push(resend(EventKind::Retransmission));
        true
    }

    /// A SYN (without ACK): when one was sent before, a `syn_retransmission`
    /// with the wait since the previous one and its backoff.
    #[inline(always)]
    fn syn_sent_again(&mut self, s: &Seg<'_>, events: &mut Vec<Event>) {
        let times = &self.dir[s.from].syn_times;
        if let Some(&(first_line, _, _)) = times.first() {
            let mut e = Event::new(EventKind::SynRetransmission);
            e.of_line = Some(first_line);
            e.seconds = s
                .time
                .zip(times.last().map(|x| x.1))
                .map(|(a, b)| round_ns(a - b));
            e.count = u32::try_from(times.len()).ok();
            // How this wait compares with the one before, as measured.
            if let [.., (_, a, _), (_, b, _)] = times.as_slice() {
                e.backoff = e.seconds.map(|w| backoff(b - a, w));
            }
            events.push(e);
        }
        if let Some(t) = s.time {
            self.dir[s.from]
                .syn_times
                .push((s.line, t, s.ts.map(|t| t.0)));
        }
    }

    /// What this ACK newly acknowledges, and on which lines those segments
    /// were; a `delayed_ack` when it waited.
    #[inline(always)]
    fn newly_acked(
        &mut self,
        s: &Seg<'_>,
        is_copy: bool,
        events: &mut Vec<Event>,
    ) -> Option<Acked> {
        let (d, r) = (s.from, s.from.other());
        let a = s.ack?;
        let last = self.dir[d].last_ack;
        // An ACK that repeats the last one may cover a copy sent again
        // meanwhile (Wireshark's acks_frame names that copy); checked here,
        // as the usual repeated ACK has nothing to cover.
        let peer = &self.dir[r];
        let again = last == Some(a)
            && (peer.unacked_disordered || peer.unacked.front().is_some_and(|x| x.end <= a));
        if !(last.is_none_or(|l| a > l) || again) {
            return None;
        }
        let ecr = s.ts.map(|t| t.1);
        let mut acked = self.take_acked(r, a, last, s.time, ecr)?;
        acked.rtt = acked.rtt.map(round_ns);
        let bare = s.len == 0 && !(s.syn || s.fin || s.rst);
        if !is_copy {
            events.extend(self.delayed_ack(d, &acked, bare));
        }
        Some(acked)
    }

    /// The handshake's timing: Wireshark's iRTT runs from the latest SYN; the
    /// round trips from the SYN copy the SYN-ACK answers (its TS echo names
    /// it; else the latest). Gives the handshake's round trip on its ACK.
    #[inline(always)]
    fn handshake_timing(&mut self, s: &Seg<'_>, is_copy: bool) -> Option<f64> {
        let (d, r, time) = (s.from, s.from.other(), s.time);
        if s.syn && !s.has_ack && !is_copy {
            self.syn_time = time.or(self.syn_time);
        }
        if s.syn && s.has_ack && !is_copy && !self.handshake_ack_seen {
            self.synack_time = time;
            let ecr = s.ts.map(|t| t.1);
            let syns = &self.dir[r].syn_times;
            self.answered_syn_time = syns
                .iter()
                .rev()
                .find(|x| ecr.is_some() && x.2 == ecr)
                .or(syns.last())
                .map(|x| x.1)
                .or(self.syn_time);
            // The way to this end and back, as the capture point sees it.
            self.dir[d].round_trip = time
                .zip(self.answered_syn_time)
                .map(|(a, b)| round_ns(a - b))
                .filter(|t| *t >= 0.0);
        }
        let handshake_ack = !s.syn
            && s.has_ack
            && !self.handshake_ack_seen
            && self.synack_time.is_some()
            && s.from == Role::Client;
        if !handshake_ack {
            return None;
        }
        self.handshake_ack_seen = true;
        let since = |start: Option<f64>| {
            time.zip(start.or(self.synack_time))
                .map(|(a, b)| round_ns(a - b))
        };
        self.irtt = since(self.syn_time);
        self.handshake_rtt = since(self.answered_syn_time);
        self.dir[d].round_trip = time
            .zip(self.synack_time)
            .map(|(a, b)| round_ns(a - b))
            .filter(|t| *t >= 0.0);
        self.handshake_rtt
    }

    /// The teardown's facts: a FIN that carries the ACK of the peer's FIN,
    /// FINs that cross, data after the peer's FIN, a peer's FIN known from
    /// SACK blocks or from this side's ACK alone, and what a RST says.
    #[inline(always)]
    fn teardown_facts(
        &mut self,
        s: &Seg<'_>,
        seen: &Seen,
        sack: &[(u32, u32)],
        events: &mut Vec<Event>,
        notes: &mut Vec<Inference>,
    ) -> TeardownFacts {
        let (d, r, ack, line) = (s.from, s.from.other(), s.ack, s.line);
        let peer_fin = self.dir[r].fin_end;
        let peer_fin_unacked = match (peer_fin, ack) {
            (Some(pf), Some(a)) if a < pf && !s.rst => self.dir[r].fin_line,
            _ => None,
        };
        if s.fin && self.dir[d].fin_end.is_none() {
            if let (Some(pf), Some(pl)) = (peer_fin, self.dir[r].fin_line) {
                let covers = ack.is_some_and(|a| a >= pf);
                if covers && self.dir[d].acked_peer_fin_line.is_none() {
                    self.fin_acks_fin = true;
                    let mut e = Event::new(EventKind::FinAcksFin);
                    e.of_line = Some(pl);
                    events.push(e);
                } else if !covers {
                    self.crossed_fins = true;
                    let mut e = Event::new(EventKind::SimultaneousClose);
                    e.of_line = Some(pl);
                    events.push(e);
                }
            }
        }
        if let (Some(pf), Some(a)) = (peer_fin, ack) {
            if a >= pf && self.dir[d].acked_peer_fin_line.is_none() {
                self.dir[d].acked_peer_fin_line = Some(line);
            }
        }
        // New bytes after the peer's FIN (not a resend or a probe crossing it): a half-close.
        if s.len > 0
            && seen.new_bytes
            && !seen.retransmitted
            && !seen.keepalive
            && !seen.is_copy
            && peer_fin.is_some()
            && self.dir[d].fin_end.is_none()
            && !self.dir[d].data_after_peer_fin
        {
            self.dir[d].data_after_peer_fin = true;
            let mut e = Event::new(EventKind::HalfClose);
            e.of_line = self.dir[r].fin_line;
            events.push(e);
        }
        if !sack.is_empty() {
            if !s.rst && self.dir[r].fin_end.is_none() {
                self.infer_peer_fin(d, ack, sack, line, notes);
            }
            if let Some(fin_line) = self.peer_fin_sacked(d, sack) {
                notes.push(Inference::PeerFinSacked);
                self.dir[d].peer_fin_sacked_line.get_or_insert(fin_line);
            }
        }
        if s.rst && !seen.is_copy {
            let e = self.reset_event(d, s.p, s.seq_raw, s.len, s.time);
            if let Some(kind) = ResetKind::of_note(e.note.as_ref()) {
                self.reset_note = Some((d, kind));
                if kind == ResetKind::Refused {
                    self.refusal = self.refusal.or(s.p.ack.map(|a| (d, a)));
                }
            }
            events.push(e);
            self.dir[d].rst_line = Some(line);
        }
        // One direction captured only: after this side's FIN, an ACK that
        // moves on by one alone acknowledges the peer's FIN (an inference).
        let unseen_fin = ack.filter(|&a| {
            let (mine, peer) = (&self.dir[d], &self.dir[r]);
            peer.sent == 0
                && peer.fin_end.is_none()
                && s.len == 0
                && !(s.syn || s.fin || s.rst)
                && mine.fin_line.is_some_and(|l| l < line)
                && mine.last_ack.is_some_and(|l| a == l.plus(1))
        });
        if let Some(a) = unseen_fin {
            let peer = &mut self.dir[r];
            peer.fin_end = Some(a);
            peer.fin_line = Some(line);
            peer.fin_inferred = true;
            notes.push(Inference::PeerFinInferred);
        }
        TeardownFacts {
            peer_fin_unacked,
            unseen_fin,
        }
    }

    /// What each direction remembers for the next segment: where its
    /// sequence numbers are, its last ACK and window, what it sent and has
    /// not had acknowledged, its copies.
    #[inline(always)]
    fn remember(&mut self, s: &Seg<'_>, seen: &Seen) {
        let (d, r, line, time, len) = (s.from, s.from.other(), s.line, s.time, s.len);
        let (seq, end) = (s.seq, s.end);
        let tsval = s.ts.map(|t| t.0);
        if s.syn && s.has_ack && !self.dir[r].syn_seen && self.dir[r].syn_end.is_none() {
            // A SYN-ACK whose SYN the capture missed: its ACK says where that SYN ended.
            self.dir[r].syn_end = s.ack;
        }
        let dirn = &mut self.dir[d];
        if s.syn {
            dirn.syn_seen = true;
            dirn.syn_end = Some(seq.plus(1));
            dirn.wscale_offer = s.p.wscale();
        }
        if s.fin && dirn.fin_end.is_none() {
            dirn.fin_end = Some(end);
            dirn.fin_line = Some(line);
        }
        // (Where the text gives no sequence number at all, nothing is known of it yet.)
        if s.known_seq.is_some() {
            if !seen.zwp && dirn.next.is_none_or(|n| end > n) {
                dirn.next = Some(end);
                dirn.next_time = time;
            }
            // Contiguous (or filling the hole): everything seen so far can be acknowledged.
            if dirn.max_ackable.is_none_or(|m| seq <= m) {
                dirn.max_ackable = dirn.next;
            }
        }
        if let Some(a) = s.ack {
            if dirn.last_ack != Some(a) {
                dirn.dupacks = 0;
                dirn.last_ack_line = line;
            }
            dirn.last_ack = Some(a);
        }
        if s.p.win.is_some() {
            dirn.window = Some(s.win);
            dirn.window_on_syn = s.syn;
        }
        dirn.ts_seen |= tsval.is_some();
        dirn.bare_ack_sent |= s.flags == Flags::ACK && len == 0;
        dirn.last_was_keepalive = seen.keepalive;
        dirn.last_was_zwp = seen.zwp;
        dirn.last_time = time.or(dirn.last_time);
        let sent = Sent {
            line,
            first: seq,
            end,
            len,
            syn: s.syn,
            fin: s.fin,
            time,
            tsval,
            resent: false,
        };
        if seen.new_bytes && !seen.keepalive && !seen.zwp {
            dirn.bytes = dirn.bytes.saturating_add(u64::from(len));
        }
        if (len > 0 || s.syn || s.fin) && !seen.keepalive && !seen.is_copy {
            // A resend of a segment still unacknowledged is kept as its copy
            // (an ACK may answer either; the timestamp echo tells which).
            let earlier = if seen.retransmitted {
                dirn.unacked
                    .iter_mut()
                    .rev()
                    .find(|x| x.first == seq && x.end == end)
            } else {
                None
            };
            match earlier {
                Some(x) => {
                    x.resent = true;
                    let first = x.line;
                    if dirn.resends.len() >= MAX_COPIES {
                        dirn.resends.pop_front();
                    }
                    dirn.resends
                        .push_back((first, Resend { line, time, tsval }));
                }
                None => {
                    if dirn.unacked.len() >= MAX_UNACKED {
                        dirn.unacked.pop_front();
                    }
                    if dirn.unacked.back().is_some_and(|b| end < b.end) {
                        dirn.unacked_disordered = true;
                    }
                    dirn.unacked.push_back(sent.clone());
                }
            }
        }
        dirn.last_sent = Some(sent);
        if !seen.is_copy {
            dirn.sent = dirn.sent.saturating_add(1);
            let p = s.p;
            self.last_printed[d] = Some(Previous {
                from: d,
                line,
                time,
                flags: s.flags,
                seq: p.seq.map(|x| (x.first, x.last)),
                ack: p.ack,
                win: p.win,
                len,
                ts: s.ts,
                ip_id: p.ip_header.as_ref().and_then(|h| h.id),
                seq_rel: s.known_seq,
            });
        }
        self.history
            .update(d, s.p, len, seen.retransmitted, seq, end);
    }

    /// The ends' states: the receiver first catches up on what this segment
    /// acknowledges; then the sender's own change (sending SYN, FIN, RST);
    /// then the segment is on its way to the peer (see [`Connection::deliver`]).
    #[inline(always)]
    fn move_states(&mut self, s: &Seg<'_>, unseen_fin: Option<SeqNumber>) {
        let (d, r, line, ack) = (s.from, s.from.other(), s.line, s.ack);
        // (A SYN, or a probe without ACK, to an end that has sent nothing.)
        if !s.has_ack && !s.rst && self.dir[r].sent == 0 {
            self.attempt_from.get_or_insert(line);
        } else if self.dir[d].sent == 1 {
            self.attempt_from = None; // the end attempted has answered
        }
        let reset = |kind| s.rst && self.reset_note == Some((d, kind));
        let (refuses, no_connection) = (reset(ResetKind::Refused), reset(ResetKind::AfterClose));
        if refuses {
            self.refused_by(d);
        }
        if s.has_ack && !s.syn && self.live[d] == TcpState::SynSent && !self.dir[r].syn_seen {
            self.unseen_syn_ack(r, ack, line);
        }
        if let Some(fin_end) = unseen_fin {
            self.unseen_peer_fin(r, fin_end, line);
        }
        self.catch_up(d, ack, line, false);
        let send = Input {
            sent: true,
            syn: s.syn,
            ack: s.has_ack,
            fin: s.fin,
            rst: s.rst,
            peer_fin_waiting: self.dir[d].peer_fin_sacked_line.is_some()
                && self.dir[d].acked_peer_fin_line.is_none(),
            no_connection,
            refuses,
            ..Input::default()
        };
        self.record_steps(d, send, line, line, false);
        let received = Input {
            syn: s.syn,
            ack: s.has_ack,
            fin: s.fin,
            rst: s.rst,
            ..Input::default()
        };
        let occupies = s.len > 0 || s.syn || s.fin;
        self.deliver(d, line, (s.seq, s.end), occupies, received, ack);
    }

    /// Counts the line's events, and the problems among them (Wireshark's
    /// labels on a copy or a late sighting are no problem of the connection's).
    #[inline(always)]
    fn count(&mut self, s: &Seg<'_>, events: &[Event]) {
        let artefact = events
            .iter()
            .any(|e| matches!(e.kind, EventKind::CaptureCopy | EventKind::SeenLate));
        // (A SYN sent again counts once, as that.)
        let syn_retry = s.syn && !s.has_ack && !events.is_empty();
        for e in events {
            *self
                .event_counts
                .entry(e.kind.name().to_string())
                .or_insert(0) += 1;
            let counted = !(syn_retry && e.kind == EventKind::Retransmission);
            if e.kind.is_problem() && e.kind != EventKind::Reset && !artefact && counted {
                match self.problems.iter_mut().find(|(k, _)| *k == e.kind) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => self.problems.push((e.kind, 1)),
                }
            }
            if !artefact
                && matches!(
                    e.kind,
                    EventKind::Retransmission | EventKind::SynRetransmission
                )
            {
                let dirn = &mut self.dir[s.from];
                if e.kind == EventKind::Retransmission {
                    dirn.resent = dirn.resent.saturating_add(1);
                }
                if e.backoff.is_some() {
                    dirn.last_backoff = e.backoff;
                }
            }
        }
    }

    /// The advertised window in bytes (scaled, except on a SYN, where it never is).
    #[inline(always)]
    fn window_in_bytes(&self, s: &Seg<'_>) -> Option<u64> {
        if s.syn {
            s.p.win.map(u64::from)
        } else {
            s.p.win
                .zip(self.window_scale(s.from))
                .map(|(w, scale)| u64::from(w) << scale.min(14))
        }
    }

    /// An empty ACK repeating `side`'s last ACK and window after a silence, while
    /// the peer has nothing unacknowledged: a keep-alive (or zero-window) probe,
    /// not a duplicate ACK (which answers data the peer has in flight).
    fn looks_like_probe(
        &self,
        side: Role,
        ack: Option<SeqNumber>,
        win: u32,
        time: Option<f64>,
    ) -> bool {
        const SILENCE: f64 = 0.2;
        let (mine, peer) = (&self.dir[side], &self.dir[side.other()]);
        let quiet = time
            .zip(self.last_time_before)
            .is_some_and(|(now, before)| now - before >= SILENCE);
        let peer_all_acked = peer.next.is_some() && peer.next == ack;
        // (A SYN's window is unscaled: no later window compares with it.)
        let same_window = Some(win) == mine.window || mine.window_on_syn;
        quiet && peer_all_acked && ack == mine.last_ack && same_window
    }

    /// The window scale of `side`'s advertisements: known once both SYNs were seen
    /// (0 when only one side offered it: scaling was not negotiated).
    fn window_scale(&self, side: Role) -> Option<u32> {
        let (mine, theirs) = (&self.dir[side], &self.dir[side.other()]);
        if !(mine.syn_seen && theirs.syn_seen) {
            return None;
        }
        match (mine.wscale_offer, theirs.wscale_offer) {
            (Some(s), Some(_)) => Some(s.min(14)),
            _ => Some(0),
        }
    }

    /// Pops the segments `sender` sent that `ack` now covers.
    fn take_acked(
        &mut self,
        sender: Role,
        ack: SeqNumber,
        previous: Option<SeqNumber>,
        time: Option<f64>,
        ecr: Option<u32>,
    ) -> Option<Acked> {
        let mut acked = Acked {
            first: previous.map_or(0, |p| p.0),
            last: ack.0,
            bytes: 0,
            syn: false,
            fin: false,
            lines: smallvec::SmallVec::new(),
            rtt: None,
            evidence: None,
            wireshark_line: None,
        };
        let mut first = None;
        let mut bytes = 0u32;
        // Wireshark's acks_frame: the segment that ends where the ACK points.
        let mut ends_at_ack = None;
        let mut any_resent = false;
        let mut add = |s: &Sent| {
            first = first.or(Some(s.first));
            bytes = bytes.saturating_add(s.len);
            acked.syn |= s.syn;
            acked.fin |= s.fin;
            acked.lines.push(s.line);
            any_resent |= s.resent;
            if s.end == ack {
                ends_at_ack = Some((s.line, s.time, s.tsval, s.resent));
            }
        };
        let dir = &mut self.dir[sender];
        if dir.unacked_disordered {
            // Segments sent out of sequence order (reordered, resent in other
            // sizes) may be anywhere: take every covered one, in sequence order.
            take_covered(dir, ack).iter().for_each(&mut add);
        } else {
            // In sequence order the covered segments are at the front.
            let q = &mut dir.unacked;
            while let Some(s) = q.front().filter(|s| s.end <= ack) {
                add(s);
                q.pop_front();
            }
        }
        // Timed from the copy the ACK answers (a resent segment's is named by
        // the timestamp echo, else the latest).
        if let Some((line, sent_at, tsval, resent)) = ends_at_ack {
            let (answered, at, evidence) = if resent {
                answered_copy(&dir.resends, (line, sent_at, tsval), ecr)
            } else {
                (line, sent_at, None)
            };
            acked.rtt = time.zip(at).map(|(a, b)| a - b);
            acked.evidence = evidence;
            if answered != line {
                acked.wireshark_line = Some(line);
                if let Some(l) = acked.lines.iter_mut().find(|l| **l == line) {
                    *l = answered;
                }
                acked.lines.sort_unstable();
            }
        }
        if any_resent {
            let gone = &acked.lines;
            let kept = |(l, c): &(u64, Resend)| !gone.contains(l) && !gone.contains(&c.line);
            dir.resends.retain(kept);
        }
        if previous.is_none() {
            acked.first = first.map_or(0, |f| f.0);
        }
        // Bytes sent twice in other sizes count once: at most the range newly covered.
        let range = ack.0.wrapping_sub(acked.first);
        let flags = u32::from(acked.syn) + u32::from(acked.fin);
        acked.bytes = bytes.min(range.saturating_sub(flags));
        // A segment an ICMP error reported never arrived: its bytes came in a resend.
        let reported = |l: &u64| self.icmp_errors.iter().any(|e| e.segment == Some(*l));
        if acked.lines.iter().any(reported) {
            acked.lines.retain(|l| !reported(l));
        }
        if acked.lines.is_empty() && (previous.is_none() || range == 0) {
            return None;
        }
        Some(acked)
    }

    /// `from` is sending a segment with `ack`: before it could, it processed the
    /// peer's segments that ack covers. Those it did not cover were not processed yet.
    #[inline(always)]
    fn catch_up(&mut self, from: Role, ack: Option<SeqNumber>, line: u64, inferred: bool) {
        let me = from;
        while let Some(front) = self.inbox[me].items.front() {
            let covered = !front.occupies || ack.is_some_and(|a| a >= front.end);
            if !covered {
                // Sent before this segment arrived: the receiver processes it later.
                self.inbox[me].defer_all();
                break;
            }
            // The receiver's first answer covers it: shown on its own line; otherwise here.
            let shown_on = match self.inbox[me].status(front) {
                Delivery::Unresolved => front.line,
                Delivery::Deferred => line,
            };
            self.process_front(from, shown_on, inferred);
        }
    }

    /// Puts a segment in flight to the peer; a segment that occupies no sequence
    /// space and has nothing ahead of it is processed on arrival.
    fn deliver(
        &mut self,
        from: Role,
        line: u64,
        (first, end): (SeqNumber, SeqNumber),
        occupies: bool,
        input: Input,
        ack: Option<SeqNumber>,
    ) {
        let to = from.other();
        let peer = &self.dir[to];
        // Only an end waiting for the ACK of its SYN or FIN moves on it (an
        // end moves into those states only by sending, so its state now tells).
        let (syn_wait, fin_wait) = (
            self.live[to].awaits_syn_ack(),
            self.live[to].awaits_fin_ack(),
        );
        let acks_peer = ack.is_some_and(|a| {
            (syn_wait && peer.syn_end.is_some_and(|e| a >= e))
                || (fin_wait && peer.fin_end.is_some_and(|e| a >= e))
        });
        let effect = input.syn || input.fin || input.rst || acks_peer;
        let status = match self.inbox[to].back_status() {
            // Nothing ahead of it and nothing to acknowledge: processed on arrival.
            None if !occupies => {
                let item = InFlight {
                    line,
                    first,
                    end,
                    occupies,
                    input,
                    ack,
                    status: Delivery::Unresolved,
                    effect,
                };
                self.receive(from.other(), &item, line, false);
                return;
            }
            // Occupies no sequence space: it shares the fate of the segment ahead of it.
            Some(last) if !occupies => last,
            _ => Delivery::Unresolved,
        };
        if occupies {
            self.inbox[to].supersede(end, &input);
        }
        if self.inbox[to].items.len() >= MAX_INBOX {
            self.process_front(from.other(), line, true);
        }
        self.inbox[to].push(InFlight {
            line,
            first,
            end,
            occupies,
            input,
            ack,
            status,
            effect,
        });
    }

    /// An ICMP error (line `line`) reports a segment `from` sent: the one whose
    /// quoted sequence number (as printed, absolute or relative) matches; without
    /// a quote, for "too big" the earliest unacknowledged segment over the MTU
    /// not yet reported, else the latest. That segment never reached the peer:
    /// it is taken back from the peer's inbox when the peer has not answered since.
    pub fn icmp_error(
        &mut self,
        from: Role,
        quoted_seq: Option<u32>,
        line: u64,
        error: &IcmpError,
    ) -> (Option<FailedSegment>, bool) {
        let d = &self.dir[from];
        let candidates = quoted_seq.map(|s| {
            [
                d.isn.map(|i| SeqNumber(s.wrapping_sub(i))),
                d.printed_zero.map(|z| SeqNumber(s.wrapping_add(z))),
            ]
        });
        let sent = |s: &Sent| FailedSegment {
            line: s.line,
            syn: s.syn,
            fin: s.fin,
            len: s.len,
        };
        // The latest segment unless the quoted one is an earlier (unacknowledged) one.
        let segment = match candidates {
            Some(c) => d
                .last_sent
                .iter()
                .chain(d.unacked.iter().rev())
                .find(|s| c.contains(&Some(s.first)))
                .or(d.last_sent.as_ref()),
            None if error.problem == IcmpProblem::TooBig => {
                // At least 40 bytes of IP and TCP headers ride on the payload.
                let over = |s: &&Sent| error.mtu.map_or(s.len > 0, |m| s.len + 40 > m);
                let reported =
                    |s: &&Sent| self.icmp_errors.iter().any(|e| e.segment == Some(s.line));
                d.unacked
                    .iter()
                    .find(|s| over(s) && !reported(s))
                    .or(d.last_sent.as_ref())
            }
            None => d.last_sent.as_ref(),
        };
        let segment = segment.map(sent);
        if self.icmp_errors.len() < MAX_ICMP {
            self.icmp_errors.push(IcmpSeen {
                line,
                problem: error.problem,
                segment: segment.map(|s| s.line),
            });
        }
        let Some(segment) = segment else {
            return (None, false);
        };
        let undelivered = self.inbox[from.other()].take_back(|f| f.line == segment.line);
        // An attempt told that its SYN cannot be delivered ends (Linux gives
        // up at once on IPv4, whatever the error but "too big"), unless the
        // next line shows it trying again: decided there, or at the end.
        if segment.syn
            && error.problem != IcmpProblem::TooBig
            && self.live[from] == TcpState::SynSent
        {
            self.icmp_end = Some((from, line));
        }
        (Some(segment), undelivered)
    }

    /// Bytes that fill a gap the capture noted (`lost_segment`): their first
    /// sighting. Gives the line that showed the gap.
    #[cold]
    #[inline(never)]
    fn fill_gap(&mut self, d: Role, seq: SeqNumber, end: SeqNumber, len: u32) -> Option<u64> {
        let holes = &mut self.dir[d].holes;
        let at = holes
            .iter()
            .position(|&(from, to, _)| len > 0 && from <= seq && end <= to)?;
        let (from, to, gap_line) = holes.get(at).copied()?;
        if (from, to) == (seq, end) {
            holes.remove(at);
        }
        Some(gap_line)
    }

    /// A first sighting of bytes the peer had already acknowledged: a packet
    /// the capture point saw late, which Wireshark's rules take for a resend.
    fn seen_late(&self, d: Role, gap_line: u64, end: SeqNumber) -> Option<Event> {
        let peer = &self.dir[d.other()];
        peer.last_ack.filter(|&a| a >= end)?;
        let mut e = Event::new(EventKind::SeenLate);
        e.of_line = Some(gap_line);
        e.note = peer.acked_unseen_line.map(Note::AckedOn);
        Some(e)
    }

    /// The earlier sighting this packet copies, if it is one: the same packet
    /// printed again, on another interface (`-i any` on a host that forwards
    /// it), after another router hop (same IP id, lower TTL: a routing loop),
    /// or identical and microseconds after the line before (`-i any` without
    /// interface names, on a bridge).
    #[inline(always)]
    fn capture_copy(
        &mut self,
        from: Role,
        p: &TcpPacket,
        ts: Option<(u32, u32)>,
        line: u64,
        time: Option<f64>,
    ) -> Option<Event> {
        let ip = p.ip_header.as_ref();
        let ip_id = ip.and_then(|h| h.id);
        if ip_id.is_some() || matches!(p.prefix.link.as_deref(), Some(LinkLayer::Cooked { .. })) {
            if let Some(e) = self.sighted(from, p, line, time, ip_id, ip.and_then(|h| h.ttl)) {
                return Some(e);
            }
        }
        // (Cheapest tests first: this runs for every segment.)
        // (The same end's last segment: copies of both directions may interleave.)
        let q = self.last_printed[from]?;
        let gap = time.zip(q.time).map(|(a, b)| a - b)?;
        if !(0.0..=IDENTICAL_WITHIN).contains(&gap)
            || q.seq != p.seq.map(|s| (s.first, s.last))
            || (q.flags, q.ack, q.win, q.ip_id) != (p.flags, p.ack, p.win, ip_id)
            || (q.len, q.ts) != (p.payload_len(), ts)
        {
            return None;
        }
        // Two bare ACKs alike may be two duplicate ACKs: copies only once
        // this capture has shown it prints packets twice.
        let bare_ack = p.flags == Flags::ACK && p.payload_len() == 0;
        if bare_ack && ip_id.is_none() && !self.copies_seen {
            return None;
        }
        self.copies_seen |= !bare_ack;
        let mut e = Event::new(EventKind::CaptureCopy);
        e.of_line = Some(q.line);
        e.seconds = Some((gap * 1e9).round() / 1e9);
        e.evidence = Some(Evidence::Identical);
        Some(e)
    }

    /// [`Connection::capture_copy`] by interface or IP id: the earlier
    /// sighting of the same packet among the last few of its direction.
    #[inline(never)]
    fn sighted(
        &mut self,
        from: Role,
        p: &TcpPacket,
        line: u64,
        time: Option<f64>,
        ip_id: Option<u32>,
        ttl: Option<u8>,
    ) -> Option<Event> {
        let interface = match p.prefix.link.as_deref() {
            Some(LinkLayer::Cooked {
                interface: Some(i), ..
            }) => Some(i.as_str()),
            _ => None,
        };
        let now = Sighting {
            line,
            time,
            interface: interface.map(compact_str::CompactString::from),
            ip_id,
            ttl,
            flags: p.flags,
            seq: p.seq.map(|s| (s.first, s.last)),
            ack: p.ack,
            win: p.win,
            len: p.payload_len(),
            tsval: p.timestamps().map(|t| t.0),
        };
        let seen = &mut self.sightings[from];
        let how = |s: &Sighting| -> Option<Evidence> {
            let alike = (s.flags, s.seq, s.ack, s.win, s.len, s.tsval)
                == (now.flags, now.seq, now.ack, now.win, now.len, now.tsval)
                && s.ip_id == now.ip_id
                && s.time
                    .zip(now.time)
                    .is_none_or(|(a, b)| b - a <= COPY_WITHIN);
            if !alike {
                return None;
            }
            match (&s.interface, &now.interface, s.ttl, now.ttl) {
                (Some(a), Some(b), _, _) if a != b => Some(Evidence::Interface),
                (_, _, Some(a), Some(b)) if b < a && now.ip_id.is_some() => Some(Evidence::IpIdTtl),
                _ => None,
            }
        };
        let event = seen.iter().rev().find_map(|s| {
            let evidence = how(s)?;
            let mut e = Event::new(EventKind::CaptureCopy);
            e.of_line = Some(s.line);
            e.evidence = Some(evidence);
            if let (Some(a), Some(b)) = (&s.interface, &now.interface) {
                e.note = Some(Note::Interfaces(Box::new((a.to_string(), b.to_string()))));
            }
            e.seconds = s
                .time
                .zip(now.time)
                .map(|(a, b)| ((b - a) * 1e9).round() / 1e9);
            Some(e)
        });
        if event.is_none() {
            if seen.len() >= SIGHTINGS {
                seen.pop_front();
            }
            seen.push_back(now);
        }
        event
    }

    /// The end whose host is `host` while its peer's is `peer` (and on `port`, when given).
    pub fn end_towards(&self, host: &str, peer: Option<&str>, port: Option<&str>) -> Option<Role> {
        [Role::Client, Role::Server].into_iter().find(|&r| {
            let (me, other) = match r {
                Role::Client => (&self.client, &self.server),
                Role::Server => (&self.server, &self.client),
            };
            me.host == host
                && peer.is_none_or(|p| other.host == p)
                && port.is_none_or(|p| other.port.as_deref() == Some(p))
        })
    }

    /// Marks the connection as a new use of a 4-tuple seen before.
    pub fn mark_reused(&mut self) {
        self.reused = true;
    }

    /// Marks the connection as let go before its end.
    pub fn evict(&mut self) {
        self.evicted = true;
    }

    /// The summary, once the connection is over (or the input ended).
    pub fn summary(&self, final_state: States) -> ConnectionSummary {
        let (c, s) = (&self.dir.client, &self.dir.server);
        let handshake = if c.syn_seen && s.syn_seen && self.handshake_ack_seen {
            Handshake::Complete
        } else if c.syn_seen || s.syn_seen {
            Handshake::Partial
        } else {
            Handshake::None
        };
        let fins = (c.fin_line, s.fin_line);
        let first_fin = match fins {
            (Some(cl), Some(sl)) if sl < cl => Some(ClosedBy::Server),
            (Some(_), _) => Some(ClosedBy::Client),
            (None, Some(_)) => Some(ClosedBy::Server),
            (None, None) => None,
        };
        // Both FINs sent and acknowledged: a RST after that ends nothing.
        let closed = c.acked_peer_fin_line.is_some() && s.acked_peer_fin_line.is_some();
        let (teardown, closed_by) = match (fins, self.reset_note) {
            (_, Some((_, ResetKind::Refused))) => (Teardown::Refused, Some(ClosedBy::Server)),
            (_, Some((who, _))) if !closed => (Teardown::Reset, Some(closed_by(who))),
            ((Some(_), Some(_)), _) if self.crossed_fins => {
                (Teardown::Simultaneous, Some(ClosedBy::Both))
            }
            ((Some(_), Some(_)), _) => {
                let kind = if self.fin_acks_fin {
                    Teardown::ThreeWay
                } else {
                    Teardown::FourWay
                };
                (kind, first_fin)
            }
            // One FIN at the end of the capture: left half-closed.
            ((Some(_), None) | (None, Some(_)), _) => (Teardown::HalfClosed, first_fin),
            ((None, None), _) => (Teardown::Open, None),
        };
        let time_wait = [Role::Client, Role::Server]
            .into_iter()
            .filter(|r| final_state.get(*r) == TcpState::TimeWait)
            .collect();
        let vantage = self.vantage();
        let stall = [Role::Client, Role::Server]
            .into_iter()
            .filter_map(|side| self.stall(side))
            .max_by_key(|st| st.resent);
        let sides = [Role::Client, Role::Server].into_iter();
        // (Its ACKs show the other end sent what the capture does not.)
        let captured_only = sides.clone().find(|&side| {
            self.dir[side.other()].sent == 0
                && self.dir[side].sent >= 2
                && self.dir[side].last_ack.is_some()
        });
        let fins_inferred = sides
            .clone()
            .filter(|&side| self.dir[side].fin_inferred)
            .collect();
        let half_close = sides
            .clone()
            .find(|&side| self.dir[side].data_after_peer_fin)
            .filter(|_| fins.0.is_some() && fins.1.is_some());
        let zero_window_at_end = sides.clone().find(|&side| {
            let d = &self.dir[side];
            d.window == Some(0) && !d.window_on_syn && d.rst_line.is_none() && d.fin_line.is_none()
        });
        let problems = self
            .problems
            .iter()
            .map(|(k, n)| (k.name().to_string(), *n))
            .collect();
        ConnectionSummary {
            conn: self.id,
            client: self.client.to_string(),
            server: self.server.to_string(),
            roles_inferred: self.roles_inferred,
            first_line: self.first_line,
            last_line: self.last_line,
            segments: self.segments,
            duration: self
                .last_time
                .zip(self.first_time)
                .map(|(l, f)| ((l - f) * 1e9).round() / 1e9),
            bytes_client: c.bytes,
            bytes_server: s.bytes,
            handshake,
            handshake_rtt: self.handshake_rtt,
            teardown,
            closed_by,
            final_state,
            time_wait,
            conn_state: super::zeek::conn_state(
                c.syn_seen,
                s.syn_seen,
                self.established,
                c.fin_line.is_some(),
                s.fin_line.is_some(),
                c.rst_line.is_some(),
                s.rst_line.is_some(),
                c.bytes > 0 || c.syn_seen || self.history.active(Role::Client),
                s.bytes > 0 || s.syn_seen || self.history.active(Role::Server),
            ),
            history: self.history.to_string(),
            events: self.event_counts.clone(),
            vantage,
            evicted: self.evicted,
            icmp_errors: self.icmp_errors.clone(),
            problems,
            stall,
            captured_only,
            fins_inferred,
            half_close,
            zero_window_at_end,
            delivery_assumed: false,
            text: String::new(),
        }
    }

    /// What `side` sent again and never had acknowledged by the end of the capture.
    fn stall(&self, side: Role) -> Option<Stall> {
        let d = &self.dir[side];
        let oldest = d.unacked.front().filter(|_| d.resent > 0)?;
        // The sequence range they span (bytes resent in other sizes count once).
        let first = d.unacked.iter().map(|s| s.first).min()?;
        let end = d.unacked.iter().map(|s| s.end).max()?;
        let fin = d.unacked.iter().any(|s| s.fin);
        let syn = d.unacked.iter().any(|s| s.syn);
        let bytes = u64::from(
            end.0
                .wrapping_sub(first.0)
                .saturating_sub(u32::from(fin) + u32::from(syn)),
        );
        if bytes == 0 && !fin {
            return None;
        }
        Some(Stall {
            side,
            bytes,
            fin,
            since_line: oldest.line,
            resent: d.resent,
            backoff: d.last_backoff,
            seconds: self
                .last_time
                .zip(oldest.time)
                .map(|(a, b)| ((a - b) * 1e9).round() / 1e9),
        })
    }

    /// Where the capture was taken, judged from the handshake: the side that
    /// answers almost at once is the one next to the capture point.
    fn vantage(&self) -> Option<Vantage> {
        let (syn, synack) = (self.answered_syn_time.or(self.syn_time)?, self.synack_time?);
        let rtt = self.handshake_rtt?;
        let server_reply = synack - syn;
        let client_reply = rtt - server_reply;
        if server_reply < client_reply / 4.0 {
            Some(Vantage::Server)
        } else if client_reply < server_reply / 4.0 {
            Some(Vantage::Client)
        } else {
            Some(Vantage::Middle)
        }
    }
}

/// One segment, as the steps of [`Connection::segment`] read it.
struct Seg<'p> {
    p: &'p TcpPacket,
    from: Role,
    line: u64,
    time: Option<f64>,
    flags: Flags,
    syn: bool,
    fin: bool,
    rst: bool,
    has_ack: bool,
    /// Payload bytes, and the window as printed (0 when not printed).
    len: u32,
    win: u32,
    /// The TCP timestamps option (value, echo reply).
    ts: Option<(u32, u32)>,
    /// Sequence and acknowledgment numbers, relative and raw (see [`Connection::resolve`]).
    seq_rel: Option<u32>,
    ack_rel: Option<u32>,
    seq_raw: Option<u32>,
    ack_raw: Option<u32>,
    ack: Option<SeqNumber>,
    /// Where the segment starts, when the line or its direction tells it.
    known_seq: Option<SeqNumber>,
    /// Where it starts (0 when unknown), and the number after it (its SYN
    /// and FIN take one each).
    seq: SeqNumber,
    end: SeqNumber,
}

/// What Wireshark's rules found that the later steps need.
struct Seen {
    keepalive: bool,
    /// A zero-window probe.
    zwp: bool,
    retransmitted: bool,
    /// It brings bytes beyond those seen, or fills a gap in them.
    new_bytes: bool,
    /// The packet of an earlier line, seen again (`-i any`, a routing loop).
    is_copy: bool,
}

/// The teardown's facts the report and the states need.
struct TeardownFacts {
    /// The line of the peer's FIN this segment does not acknowledge.
    peer_fin_unacked: Option<u64>,
    /// Where the peer's FIN, not in the capture, ended (told by this ACK).
    unseen_fin: Option<SeqNumber>,
}

/// Differences of nanosecond timestamps, kept to whole nanoseconds.
fn round_ns(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// The options a SYN offers.
fn offer(p: &TcpPacket) -> Offer {
    Offer {
        mss: p.mss(),
        sack_permitted: p.sack_permitted(),
        timestamps: p.timestamps().is_some(),
        wscale: p.wscale(),
        fast_open: p.options.iter().any(
            |o| matches!(o, TcpOption::Other { name, .. } if name == "tfo" || name == "exp-tfo"),
        ),
    }
}

/// Takes the segments `ack` covers out of a direction's `unacked` sent out of
/// order, in sequence order (rare: kept out of the per-segment path).
#[cold]
#[inline(never)]
fn take_covered(dir: &mut Direction, ack: SeqNumber) -> Vec<Sent> {
    let (mut gone, kept): (Vec<Sent>, Vec<Sent>) =
        dir.unacked.drain(..).partition(|s| s.end <= ack);
    gone.sort_by_key(|s| (s.first, s.line));
    dir.unacked.extend(kept);
    let q = &dir.unacked;
    dir.unacked_disordered = q.iter().zip(q.iter().skip(1)).any(|(a, b)| b.end < a.end);
    gone
}

fn closed_by(role: Role) -> ClosedBy {
    match role {
        Role::Client => ClosedBy::Client,
        Role::Server => ClosedBy::Server,
    }
}

/// The copy of a resent segment (`first`: its first copy's line, time and
/// TSval; its later ones in `resends`) that an ACK with timestamp echo `ecr`
/// answers: the one whose TSval it echoes, else the latest (Karn's
/// ambiguity: an inference); with the evidence.
fn answered_copy(
    resends: &VecDeque<(u64, Resend)>,
    first: (u64, Option<f64>, Option<u32>),
    ecr: Option<u32>,
) -> (u64, Option<f64>, Option<Evidence>) {
    let mut copies = std::iter::once(first).chain(
        resends
            .iter()
            .filter(|(l, _)| *l == first.0)
            .map(|(_, c)| (c.line, c.time, c.tsval)),
    );
    match ecr.and_then(|e| copies.clone().rfind(|c| c.2 == Some(e))) {
        Some((line, time, _)) => (line, time, Some(Evidence::TsEcho)),
        None => {
            let (line, time, _) = copies.next_back().unwrap_or(first);
            (line, time, Some(Evidence::LatestCopy))
        }
    }
}

/// How a wait compares with the one before it: about twice (exponential
/// backoff), about the same, or neither.
fn backoff(before: f64, now: f64) -> Backoff {
    if before <= 0.0 {
        return Backoff::Irregular;
    }
    let ratio = now / before;
    if (1.5..=2.6).contains(&ratio) {
        Backoff::Doubling
    } else if (0.75..=1.33).contains(&ratio) {
        Backoff::Constant
    } else {
        Backoff::Irregular
    }
}

/// Small numbers on a conversation's first ACK-bearing line mean a pasted excerpt:
/// tcpdump itself would print random-looking 32-bit absolute values there.
fn looks_relative(seq: Option<u32>, ack: Option<u32>) -> bool {
    const SMALL: u32 = 1 << 20;
    ack.is_some_and(|a| a < SMALL) && seq.is_none_or(|s| s < SMALL)
}

/// Is `a` the server side of `a`↔`b`? Well-known and named ports serve; otherwise the lower port.
fn server_side(a: &Endpoint, b: &Endpoint) -> bool {
    match (a.port_number(), b.port_number()) {
        (Some(pa), Some(pb)) => pa < pb,
        (None, Some(_)) => a.port.is_some(),
        _ => false,
    }
}
