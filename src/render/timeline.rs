//! A connection on a time axis: when each segment reached its receiver, as
//! far as the capture tells, and when each end's state changed. Both ladder
//! diagrams (the terminal's and the SVG) are drawn from it.
//!
//! The capture shows when a segment passed the capture point, not when it
//! arrived. What it does show is what the receiver had received when it
//! sent something: every segment carries the receiver's next expected
//! sequence number in its ACK. So a segment is known to have been *in
//! flight* while its receiver sent a segment whose ACK stops exactly at the
//! segment's first byte or inside it (and no SACK block covers it): the
//! receiver had everything before it, and not it. Its arrival is then placed
//! after the last such segment, and the arrow crosses the rows in between
//! (the two FINs of a simultaneous close cross that way). Segments sent
//! later in the same direction arrive later (a path keeps order), and a
//! segment sent again before anything shows it arrived was lost after the
//! capture point (probably: its ACK may have been the one lost). Without
//! evidence a segment is taken to arrive before its receiver's next row.
//!
//! A state change is placed where the segment that caused it was sent (the
//! sender's own changes) or arrived (the receiver's), not on the line where
//! the capture first showed it: the bands of states follow the arrows.
//!
//! The work is done as the rows come ([`Timeline::push`]), looking ahead at
//! most [`LOOKAHEAD`] rows, so that a diagram of any length is drawn in
//! bounded memory.

use crate::track::report::{EventKind, Role, SegmentReport, Sides, States};
use crate::track::state::TcpState;
use std::collections::VecDeque;

/// Rows looked ahead for the evidence of an arrival.
pub const LOOKAHEAD: usize = 512;

/// When a segment reached its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Before the receiver's next row: drawn level with its sending.
    Flat,
    /// In flight until after the row of index `after` (0-based, in the
    /// connection's rows) was sent.
    After(usize),
    /// Not acknowledged before it was sent again: probably lost after the
    /// capture point.
    Lost,
}

/// One level of the time axis.
#[derive(Debug, Clone)]
pub enum Level {
    /// A row: a segment as the capture saw it sent (its index among the
    /// connection's rows); `states` are both ends' after this level.
    Send {
        index: usize,
        report: Box<SegmentReport>,
        arrival: Arrival,
        states: States,
    },
    /// The arrival of the segment of row `index` (sent by `from`), just
    /// after the row `after` was sent.
    Arrive {
        index: usize,
        from: Role,
        after: usize,
        states: States,
    },
}

impl Level {
    /// Both ends' states after this level.
    pub fn states(&self) -> States {
        match self {
            Level::Send { states, .. } | Level::Arrive { states, .. } => *states,
        }
    }
}

/// Where a state change happens: at the sending of a row or at its arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Send(usize),
    Arrive(usize),
}

/// A state change waiting for its level.
#[derive(Debug, Clone, Copy)]
struct Change {
    at: Place,
    to: TcpState,
}

/// A row read but not yet placed on the axis.
struct Pending {
    report: Box<SegmentReport>,
}

/// The time axis of one connection, made as its rows come.
pub struct Timeline {
    /// Rows read, not yet placed: indexes `next..`.
    window: VecDeque<Pending>,
    next: usize,
    /// Arrivals decided, not yet placed: (after, index, from), in order.
    arrivals: Vec<(usize, usize, Role)>,
    /// The latest row after which a segment of each direction arrives
    /// (later segments of that direction cannot arrive earlier).
    fifo: Sides<Option<usize>>,
    /// Each end's changes, in the order the tracker reported them.
    changes: Sides<VecDeque<Change>>,
    /// Segments whose arrival has been placed, as the indexes not yet
    /// placed are `next..` (older ones count as arrived).
    arrived: VecDeque<bool>,
    states: Option<States>,
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline::new()
    }
}

/// `a - b` in sequence space (relative numbers wrap like absolute ones).
fn diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The sequence numbers a segment takes (`first..end`), when it takes any:
/// its data, SYN and FIN.
pub fn sequence_range(r: &SegmentReport) -> Option<(u32, u32)> {
    let seq = r.seq?;
    let syn = r.flags.contains('S');
    let fin = r.flags.contains('F');
    let taken = r
        .len
        .wrapping_add(u32::from(syn))
        .wrapping_add(u32::from(fin));
    (taken > 0).then(|| (seq, seq.wrapping_add(taken)))
}

fn resent(r: &SegmentReport) -> bool {
    r.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Retransmission
                | EventKind::FastRetransmission
                | EventKind::SpuriousRetransmission
                | EventKind::SynRetransmission
        )
    })
}

fn copy(r: &SegmentReport) -> bool {
    r.events.iter().any(|e| e.kind == EventKind::CaptureCopy)
}

/// What row `k`, sent by the receiver of `(first, end)`, tells of its arrival.
enum Tells {
    Arrived,
    NotYet,
    Nothing,
}

fn tells(k: &SegmentReport, first: u32, end: u32) -> Tells {
    if copy(k) || k.flags.contains('R') {
        return Tells::Nothing;
    }
    if k.sack
        .iter()
        .any(|&(a, b)| diff(first, a) >= 0 && diff(b, end) >= 0)
    {
        return Tells::Arrived;
    }
    match k.ack {
        Some(ack) if diff(ack, end) >= 0 => Tells::Arrived,
        Some(ack) if diff(ack, first) >= 0 => Tells::NotYet,
        _ => Tells::Nothing,
    }
}

/// The arrival of `rows[0]` (index `index`) from what the rows after it show.
pub fn arrival<'a>(
    index: usize,
    row: &SegmentReport,
    after: impl Iterator<Item = &'a SegmentReport>,
) -> Arrival {
    let Some((first, end)) = sequence_range(row).filter(|_| !copy(row)) else {
        return Arrival::Flat;
    };
    let mut last_not_yet = None;
    for (n, k) in after.enumerate() {
        let at = index.saturating_add(n).saturating_add(1);
        if k.from == row.from {
            let again =
                sequence_range(k).is_some_and(|(a, b)| diff(b, first) > 0 && diff(end, a) > 0);
            if again && resent(k) && !copy(k) {
                return Arrival::Lost;
            }
            continue;
        }
        match tells(k, first, end) {
            Tells::Arrived => break,
            Tells::NotYet => last_not_yet = Some(at),
            Tells::Nothing => {}
        }
    }
    last_not_yet.map_or(Arrival::Flat, Arrival::After)
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline {
            window: VecDeque::new(),
            next: 0,
            arrivals: Vec::new(),
            fifo: Sides::new(None, None),
            changes: Sides::new(VecDeque::new(), VecDeque::new()),
            arrived: VecDeque::new(),
            states: None,
        }
    }

    /// The states before the first row (its own changes undone); `None`
    /// before any row.
    pub fn start_states(first: &SegmentReport) -> States {
        let mut before = first.state;
        for t in first.transitions.iter().rev() {
            before.set(t.who, t.from);
        }
        before
    }

    /// Index of the next row pushed.
    fn read(&self) -> usize {
        self.next.saturating_add(self.window.len())
    }

    /// Takes the next row; gives the levels now settled.
    pub fn push(&mut self, report: Box<SegmentReport>) -> Vec<Level> {
        if self.states.is_none() {
            self.states = Some(Timeline::start_states(&report));
        }
        let index = self.read();
        self.note_changes(index, &report);
        self.window.push_back(Pending { report });
        let mut levels = Vec::new();
        while self.window.len() > LOOKAHEAD {
            self.place_next(&mut levels);
        }
        levels
    }

    /// The rows ended: the levels left.
    pub fn finish(&mut self) -> Vec<Level> {
        let mut levels = Vec::new();
        while !self.window.is_empty() {
            self.place_next(&mut levels);
        }
        self.place_arrivals(usize::MAX, &mut levels);
        levels
    }

    /// Queues the state changes that row `index` reports, each placed where
    /// its cause was sent or arrived (at this row when the cause is not a
    /// row still in the window).
    fn note_changes(&mut self, index: usize, report: &SegmentReport) {
        for t in &report.transitions {
            let cause = if t.cause_line == report.line {
                Some((index, report.from))
            } else {
                self.window
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(_, p)| p.report.line == t.cause_line)
                    .map(|(n, p)| (self.next.saturating_add(n), p.report.from))
            };
            let at = match cause {
                Some((c, from)) if from == t.who => Place::Send(c),
                Some((c, _)) => Place::Arrive(c),
                None => Place::Send(index),
            };
            self.changes[t.who].push_back(Change { at, to: t.to });
        }
    }

    /// Whether the place `at` has been reached (the levels up to and with
    /// the one being placed).
    fn reached(&self, at: Place) -> bool {
        match at {
            Place::Send(i) => i < self.next,
            Place::Arrive(i) => {
                i < self.next
                    && i.checked_sub(self.next.saturating_sub(self.arrived.len()))
                        .and_then(|n| self.arrived.get(n))
                        .is_none_or(|a| *a)
            }
        }
    }

    /// Applies each end's changes whose place has been reached, in order.
    fn apply(&mut self) -> States {
        let mut states = self.states.unwrap_or(States {
            client: TcpState::Closed,
            server: TcpState::Closed,
        });
        for role in [Role::Client, Role::Server] {
            while let Some(change) = self.changes[role].front().copied() {
                if !self.reached(change.at) {
                    break;
                }
                states.set(role, change.to);
                self.changes[role].pop_front();
            }
        }
        self.states = Some(states);
        states
    }

    fn mark_arrived(&mut self, index: usize) {
        let base = self.next.saturating_sub(self.arrived.len());
        if let Some(a) = index
            .checked_sub(base)
            .and_then(|n| self.arrived.get_mut(n))
        {
            *a = true;
        }
    }

    /// Places the arrivals due after row `upto` (all with `usize::MAX`).
    fn place_arrivals(&mut self, upto: usize, levels: &mut Vec<Level>) {
        self.arrivals
            .sort_by_key(|&(after, index, _)| (after, index));
        while let Some(&(after, index, from)) = self.arrivals.first() {
            if after > upto {
                break;
            }
            self.arrivals.remove(0);
            self.mark_arrived(index);
            let states = self.apply();
            levels.push(Level::Arrive {
                index,
                from,
                after,
                states,
            });
        }
    }

    /// Places the oldest row of the window, and the arrivals due after it.
    fn place_next(&mut self, levels: &mut Vec<Level>) {
        let Some(Pending { report }) = self.window.pop_front() else {
            return;
        };
        let index = self.next;
        let mut arrival = arrival(index, &report, self.window.iter().map(|p| &*p.report));
        let dir = report.from;
        if arrival != Arrival::Lost {
            // A path keeps order: after the segments sent before it.
            if let Some(prev) = self.fifo[dir].filter(|&p| p > index) {
                arrival = match arrival {
                    Arrival::After(a) if a >= prev => arrival,
                    _ => Arrival::After(prev),
                };
            }
            if let Arrival::After(a) = arrival {
                self.fifo[dir] = Some(a);
            }
        }
        self.next = index.saturating_add(1);
        self.arrived
            .push_back(!matches!(arrival, Arrival::After(_)));
        while self.arrived.len() > LOOKAHEAD.saturating_mul(2) {
            self.arrived.pop_front();
        }
        if let Arrival::After(after) = arrival {
            self.arrivals.push((after, index, report.from));
        }
        let states = self.apply();
        levels.push(Level::Send {
            index,
            report,
            arrival,
            states,
        });
        self.place_arrivals(index, levels);
    }
}

/// Every level of `rows`, at once.
pub fn levels(rows: impl IntoIterator<Item = SegmentReport>) -> Vec<Level> {
    let mut timeline = Timeline::new();
    let mut levels = Vec::new();
    for r in rows {
        levels.extend(timeline.push(Box::new(r)));
    }
    levels.extend(timeline.finish());
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<SegmentReport> {
        crate::explain(text)
            .into_iter()
            .filter_map(|item| match item {
                crate::Item::Line {
                    report: Some(r), ..
                } => Some(*r),
                _ => None,
            })
            .collect()
    }

    fn article(name: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(root.join("tests/data/article").join(name)).unwrap()
    }

    /// (kind, index, arrival) of each level.
    fn shape(levels: &[Level]) -> Vec<String> {
        levels
            .iter()
            .map(|l| match l {
                Level::Send {
                    index,
                    arrival,
                    states,
                    ..
                } => {
                    format!(
                        "send {index} {arrival:?} {} {}",
                        states.client, states.server
                    )
                }
                Level::Arrive {
                    index,
                    after,
                    states,
                    ..
                } => {
                    format!(
                        "arrive {index} after {after} {} {}",
                        states.client, states.server
                    )
                }
            })
            .collect()
    }

    /// The two FINs of a simultaneous close cross: the server's (line 1)
    /// arrives after the client sent its own (line 2), which does not
    /// acknowledge it; the client's states follow that arrival.
    #[test]
    fn crossing_fins() {
        let levels = levels(rows(&article("closing.txt")));
        assert_eq!(
            shape(&levels),
            [
                "send 0 After(1) ESTABLISHED FIN_WAIT_1",
                "send 1 Flat FIN_WAIT_1 CLOSING",
                "arrive 0 after 1 CLOSING CLOSING",
                "send 2 Flat TIME_WAIT CLOSING",
                "send 3 Flat TIME_WAIT TIME_WAIT",
            ]
        );
    }

    /// A close in three segments: nothing was in flight while the other
    /// end sent, except the server's FIN, which the client's ACK of line 8
    /// does not cover.
    #[test]
    fn three_segment_close() {
        let levels = levels(rows(&article("close3.txt")));
        let shape = shape(&levels);
        assert_eq!(shape[7], "send 7 Flat ESTABLISHED FIN_WAIT_1", "{shape:#?}");
        assert!(shape[6].starts_with("send 6 After(7)"), "{shape:#?}");
        assert!(
            shape[8].starts_with("arrive 6 after 7 CLOSE_WAIT FIN_WAIT_1"),
            "{shape:#?}"
        );
        // Every end reaches the states of the last line.
        assert!(
            shape.last().unwrap().ends_with("CLOSED TIME_WAIT"),
            "{shape:#?}"
        );
    }

    /// A segment sent again before anything showed it arrived is drawn lost.
    #[test]
    fn resent_before_acknowledged_is_lost() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text =
            std::fs::read_to_string(root.join("tests/data/captures/syn_retransmission/nn.txt"))
                .unwrap();
        let levels = levels(rows(&text));
        let first = &levels[0];
        assert!(
            matches!(
                first,
                Level::Send {
                    arrival: Arrival::Lost,
                    ..
                }
            ),
            "{:#?}",
            shape(&levels)
        );
    }
}
