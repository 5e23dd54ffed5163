//! The RFC 9293 connection states (Figure 5) and the one place that moves them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An endpoint's state, RFC 9293 §3.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    #[serde(rename = "FIN_WAIT_1")]
    FinWait1,
    #[serde(rename = "FIN_WAIT_2")]
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    /// The name as in the JSON contract: capitals with underscores.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynReceived => "SYN_RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
        }
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an endpoint did or received that can move its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Input {
    pub sent: bool,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    /// Received segments only: its ACK covers our SYN.
    pub acks_our_syn: bool,
    /// Received segments only: its ACK covers our FIN.
    pub acks_our_fin: bool,
    /// Sent segments only: the peer's FIN had arrived (a SACK block covers
    /// it) but waits behind missing bytes, unprocessed.
    pub peer_fin_waiting: bool,
    /// Sent RSTs only: it answers a segment for a connection its sender no
    /// longer has (its side was gone already).
    pub no_connection: bool,
    /// Sent RSTs only: it answers an attempt (nothing listens there).
    pub refuses: bool,
    /// Not a segment: an ICMP error said its SYN cannot be delivered.
    pub icmp_error: bool,
}

impl TcpState {
    /// Waiting for the ACK of its SYN: only then does that ACK move it.
    pub fn awaits_syn_ack(self) -> bool {
        matches!(self, TcpState::SynSent | TcpState::SynReceived)
    }

    /// Waiting for the ACK of its FIN: only then does that ACK move it.
    pub fn awaits_fin_ack(self) -> bool {
        matches!(
            self,
            TcpState::FinWait1 | TcpState::Closing | TcpState::LastAck
        )
    }
}

impl Input {
    /// Whether [`advance`] can change any state with this input: only SYN,
    /// FIN, RST and the ACK of our SYN or FIN do.
    pub fn may_change_state(&self) -> bool {
        self.syn
            || self.fin
            || self.rst
            || self.acks_our_syn
            || self.acks_our_fin
            || self.icmp_error
    }

    /// A FIN (with its ACK) sent: how an end's FIN the capture missed is
    /// inferred.
    pub fn sent_fin() -> Input {
        Input {
            sent: true,
            ack: true,
            fin: true,
            ..Input::default()
        }
    }

    /// An ICMP error that says a SYN cannot be delivered.
    pub fn icmp_error() -> Input {
        Input {
            icmp_error: true,
            ..Input::default()
        }
    }

    /// Whether [`advance`] can change `state` with this input: as
    /// [`Input::may_change_state`], and an ACK sent in SYN_SENT (which shows
    /// a SYN-ACK the capture missed).
    pub fn may_change(&self, state: TcpState) -> bool {
        self.may_change_state() || (self.sent && self.ack && state == TcpState::SynSent)
    }
}

/// Why an end changed state: each arm of the transition table, and the
/// steps told by what an end did later. Serialized as its snake_case code;
/// its words are made by [`mod@crate::explain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// sent a FIN the capture does not show (the peer's SACK covers it; an inference).
    SentUnseenFin,
    /// an ICMP error said its SYN cannot be delivered: the attempt ends (Linux gives up at once).
    IcmpEndsAttempt,
    /// nothing listens on this port: the attempt is answered with RST.
    NothingListens,
    /// sent an ACK of the peer's SYN: it had received the SYN-ACK, which the capture does not show.
    AckedUnseenSynAck,
    /// sent RST for a segment of a connection it no longer had: its side was gone already.
    SentRstNoConnection,
    /// sent RST: connection aborted.
    SentRst,
    /// received RST in reply to its SYN: connection refused.
    RefusedByRst,
    /// received RST: connection reset.
    ReceivedRst,
    /// sent SYN: active open.
    SentSyn,
    /// sent SYN-ACK to the peer's SYN.
    SentSynAck,
    /// sent SYN-ACK: simultaneous open.
    SentSynAckSimultaneous,
    /// sent FIN while the peer's FIN, arrived out of order, waited behind missing bytes (TCP processes a FIN only in order).
    SentFinPeerFinWaiting,
    /// sent FIN before any FIN from the peer reached it: an active close.
    ActiveClose,
    /// sent FIN after the peer's: closing its side too.
    PassiveClose,
    /// received SYN-ACK for its SYN.
    ReceivedSynAck,
    /// its SYN was acknowledged.
    SynAcked,
    /// its FIN was acknowledged.
    FinAcked,
    /// its FIN was acknowledged after both had sent FIN.
    FinAckedAfterBoth,
    /// its FIN was acknowledged: fully closed.
    FinAckedClosed,
    /// received SYN.
    ReceivedSyn,
    /// received SYN: simultaneous open.
    ReceivedSynSimultaneous,
    /// received the peer's FIN: the peer closed.
    PeerClosed,
    /// received the peer's FIN before its own FIN was acknowledged: simultaneous close.
    PeerFinCrossed,
    /// received the peer's FIN.
    ReceivedPeerFin,
}

impl Reason {
    /// Every reason, for tests that each has words.
    pub const ALL: [Reason; 24] = [
        Reason::SentUnseenFin,
        Reason::IcmpEndsAttempt,
        Reason::NothingListens,
        Reason::AckedUnseenSynAck,
        Reason::SentRstNoConnection,
        Reason::SentRst,
        Reason::RefusedByRst,
        Reason::ReceivedRst,
        Reason::SentSyn,
        Reason::SentSynAck,
        Reason::SentSynAckSimultaneous,
        Reason::SentFinPeerFinWaiting,
        Reason::ActiveClose,
        Reason::PassiveClose,
        Reason::ReceivedSynAck,
        Reason::SynAcked,
        Reason::FinAcked,
        Reason::FinAckedAfterBoth,
        Reason::FinAckedClosed,
        Reason::ReceivedSyn,
        Reason::ReceivedSynSimultaneous,
        Reason::PeerClosed,
        Reason::PeerFinCrossed,
        Reason::ReceivedPeerFin,
    ];

    /// The snake_case code (as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            Reason::SentUnseenFin => "sent_unseen_fin",
            Reason::IcmpEndsAttempt => "icmp_ends_attempt",
            Reason::NothingListens => "nothing_listens",
            Reason::AckedUnseenSynAck => "acked_unseen_syn_ack",
            Reason::SentRstNoConnection => "sent_rst_no_connection",
            Reason::SentRst => "sent_rst",
            Reason::RefusedByRst => "refused_by_rst",
            Reason::ReceivedRst => "received_rst",
            Reason::SentSyn => "sent_syn",
            Reason::SentSynAck => "sent_syn_ack",
            Reason::SentSynAckSimultaneous => "sent_syn_ack_simultaneous",
            Reason::SentFinPeerFinWaiting => "sent_fin_peer_fin_waiting",
            Reason::ActiveClose => "active_close",
            Reason::PassiveClose => "passive_close",
            Reason::ReceivedSynAck => "received_syn_ack",
            Reason::SynAcked => "syn_acked",
            Reason::FinAcked => "fin_acked",
            Reason::FinAckedAfterBoth => "fin_acked_after_both",
            Reason::FinAckedClosed => "fin_acked_closed",
            Reason::ReceivedSyn => "received_syn",
            Reason::ReceivedSynSimultaneous => "received_syn_simultaneous",
            Reason::PeerClosed => "peer_closed",
            Reason::PeerFinCrossed => "peer_fin_crossed",
            Reason::ReceivedPeerFin => "received_peer_fin",
        }
    }
}

/// A state change and why it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub from: TcpState,
    pub to: TcpState,
    pub why: Reason,
    /// Told by what the end did later, not by a segment the capture shows it receive.
    pub inferred: bool,
}

/// The state of an end that a SYN (or a probe) reached, as its answer shows:
/// LISTEN when it answers with a SYN-ACK (and, until it answers, by
/// assumption); CLOSED when it answers with RST (RFC 9293 §3.10.7.1: only an
/// end with no socket there does): nothing listened, before the attempt or after.
pub fn reached_by_attempt(answered_with_rst: bool) -> TcpState {
    if answered_with_rst {
        TcpState::Closed
    } else {
        TcpState::Listen
    }
}

/// Applies one input to a state; returns every state passed through, in order.
///
/// Received segments are processed as RFC 9293 §3.10.7.4 orders it: the ACK
/// field first, then the FIN bit, so FIN_WAIT_1 receiving FIN+ACK-of-our-FIN
/// passes through FIN_WAIT_2 to TIME_WAIT.
pub fn advance(state: TcpState, input: Input) -> Vec<Step> {
    use TcpState::*;
    let mut steps = Vec::new();
    let mut now = state;
    if input.sent && !input.rst && now == SynSent && input.ack && !input.syn {
        // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED: only the SYN-ACK
        // makes it send an ACK, though the capture does not show that SYN-ACK.
        steps.push(Step {
            from: SynSent,
            to: Established,
            why: Reason::AckedUnseenSynAck,
            inferred: true,
        });
        now = Established;
    }
    let mut go = |to: TcpState, why: Reason, now: &mut TcpState| {
        if *now != to {
            steps.push(Step {
                from: *now,
                to,
                why,
                inferred: false,
            });
            *now = to;
        }
    };
    if input.icmp_error {
        // SYN_SENT, told by an ICMP error that its SYN cannot be delivered
        // (unreachable, prohibited, TTL exceeded; not "too big"): Linux ends
        // the attempt at once (connect() fails); other systems may try again.
        if now == SynSent {
            go(Closed, Reason::IcmpEndsAttempt, &mut now);
        }
        return steps;
    }
    if input.rst && input.sent && input.refuses {
        // An end shown LISTEN (assumed) that refuses the attempt with RST:
        // nothing listened there (§3.10.7.1); the assumption is taken back.
        if now == Listen {
            go(reached_by_attempt(true), Reason::NothingListens, &mut now);
        }
        return steps;
    }
    if input.rst {
        // A reset ends the connection in any state (§3.10.7: "enter CLOSED").
        let why = if input.sent && input.no_connection {
            Reason::SentRstNoConnection
        } else if input.sent {
            Reason::SentRst
        } else if now == SynSent {
            Reason::RefusedByRst
        } else {
            Reason::ReceivedRst
        };
        if now != Closed && now != Listen {
            go(Closed, why, &mut now);
        }
        return steps;
    }
    if input.sent {
        match (now, input.syn, input.ack, input.fin) {
            // Active open: CLOSED --snd SYN--> SYN_SENT.
            (Closed, true, false, _) => go(SynSent, Reason::SentSyn, &mut now),
            // Passive open answered: LISTEN --rcv SYN / snd SYN,ACK--> SYN_RECEIVED.
            (Listen | Closed, true, true, _) => go(SynReceived, Reason::SentSynAck, &mut now),
            // Simultaneous open: SYN_SENT --rcv SYN / snd SYN,ACK--> SYN_RECEIVED.
            (SynSent, true, true, _) => go(SynReceived, Reason::SentSynAckSimultaneous, &mut now),
            // Closing first: ESTABLISHED (or SYN_RECEIVED) --CLOSE / snd FIN--> FIN_WAIT_1.
            (Established | SynReceived, _, _, true) if input.peer_fin_waiting => {
                go(FinWait1, Reason::SentFinPeerFinWaiting, &mut now)
            }
            (Established | SynReceived, _, _, true) => go(FinWait1, Reason::ActiveClose, &mut now),
            // Closing second: CLOSE_WAIT --CLOSE / snd FIN--> LAST_ACK.
            (CloseWait, _, _, true) => go(LastAck, Reason::PassiveClose, &mut now),
            _ => {}
        }
        return steps;
    }
    // Received: the ACK field first.
    if input.ack {
        match now {
            // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED.
            SynSent if input.syn && input.acks_our_syn => {
                go(Established, Reason::ReceivedSynAck, &mut now)
            }
            // SYN_RECEIVED --rcv ACK of SYN--> ESTABLISHED.
            SynReceived if input.acks_our_syn => go(Established, Reason::SynAcked, &mut now),
            // FIN_WAIT_1 --rcv ACK of FIN--> FIN_WAIT_2.
            FinWait1 if input.acks_our_fin => go(FinWait2, Reason::FinAcked, &mut now),
            // CLOSING --rcv ACK of FIN--> TIME_WAIT.
            Closing if input.acks_our_fin => go(TimeWait, Reason::FinAckedAfterBoth, &mut now),
            // LAST_ACK --rcv ACK of FIN--> CLOSED.
            LastAck if input.acks_our_fin => go(Closed, Reason::FinAckedClosed, &mut now),
            _ => {}
        }
    }
    if input.syn && !input.ack {
        match now {
            // LISTEN --rcv SYN--> SYN_RECEIVED.
            Listen | Closed => go(SynReceived, Reason::ReceivedSyn, &mut now),
            // SYN_SENT --rcv SYN--> SYN_RECEIVED (simultaneous open).
            SynSent => go(SynReceived, Reason::ReceivedSynSimultaneous, &mut now),
            _ => {}
        }
    }
    if input.fin {
        match now {
            // ESTABLISHED --rcv FIN / snd ACK--> CLOSE_WAIT.
            Established | SynReceived => go(CloseWait, Reason::PeerClosed, &mut now),
            // FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING: the two FINs crossed.
            FinWait1 => go(Closing, Reason::PeerFinCrossed, &mut now),
            // FIN_WAIT_2 --rcv FIN / snd ACK--> TIME_WAIT.
            FinWait2 => go(TimeWait, Reason::ReceivedPeerFin, &mut now),
            _ => {}
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::TcpState::*;
    use super::*;

    fn recv(fin: bool, acks_our_fin: bool) -> Input {
        Input {
            sent: false,
            syn: false,
            ack: true,
            fin,
            rst: false,
            acks_our_syn: false,
            acks_our_fin,
            peer_fin_waiting: false,
            no_connection: false,
            ..Input::default()
        }
    }

    /// Every state, and every input: those [`Input::may_change`] rules
    /// out change none, nor do data and plain ACKs to an end that awaits no
    /// ACK (the tracker skips both).
    #[test]
    fn inputs_that_cannot_change_a_state_change_none() {
        let states = [
            Closed,
            Listen,
            SynSent,
            SynReceived,
            Established,
            FinWait1,
            FinWait2,
            CloseWait,
            Closing,
            LastAck,
            TimeWait,
        ];
        let mut changing = 0;
        for state in states {
            for bits in 0u8..128 {
                let bit = |i: u8| bits & (1 << i) != 0;
                let input = Input {
                    sent: bit(0),
                    syn: bit(1),
                    ack: bit(2),
                    fin: bit(3),
                    rst: bit(4),
                    acks_our_syn: bit(5),
                    acks_our_fin: bit(6),
                    peer_fin_waiting: false,
                    no_connection: false,
                    ..Input::default()
                };
                let steps = advance(state, input);
                if !input.may_change(state) {
                    assert!(steps.is_empty(), "{state:?} {input:?}: {steps:?}");
                }
                // Nor does data or a plain ACK to an end that awaits no ACK.
                let bare = !(input.syn || input.fin || input.rst);
                if bare && !state.awaits_syn_ack() && !state.awaits_fin_ack() {
                    assert!(steps.is_empty(), "{state:?} {input:?}: {steps:?}");
                }
                changing += usize::from(!steps.is_empty());
            }
        }
        assert!(changing > 0);
    }

    fn to(steps: &[Step]) -> Vec<TcpState> {
        steps.iter().map(|s| s.to).collect()
    }

    // ===== FIN_WAIT_1 =====
    #[test]
    fn fin_wait_1_fin_with_ack_of_fin_passes_fin_wait_2() {
        assert_eq!(
            to(&advance(FinWait1, recv(true, true))),
            [FinWait2, TimeWait]
        );
    }

    #[test]
    fn fin_wait_1_crossing_fin_goes_to_closing() {
        assert_eq!(to(&advance(FinWait1, recv(true, false))), [Closing]);
    }

    // ===== CLOSING =====
    #[test]
    fn closing_ack_of_fin_goes_to_time_wait() {
        assert_eq!(to(&advance(Closing, recv(false, true))), [TimeWait]);
    }

    // ===== ESTABLISHED =====
    #[test]
    fn established_fin_goes_to_close_wait_then_last_ack() {
        assert_eq!(to(&advance(Established, recv(true, false))), [CloseWait]);
        let send_fin = Input {
            sent: true,
            fin: true,
            ..recv(false, false)
        };
        assert_eq!(to(&advance(CloseWait, send_fin)), [LastAck]);
    }

    // ===== LISTEN =====
    #[test]
    fn listen_refusing_with_rst_was_closed() {
        let refuse = Input {
            sent: true,
            rst: true,
            refuses: true,
            ..Input::default()
        };
        let steps = advance(Listen, refuse);
        assert_eq!(to(&steps), [Closed]);
        assert_eq!(steps[0].why, Reason::NothingListens);
        // Only an end assumed LISTEN takes it back; a RST it sends otherwise
        // is an abort or a reply for no connection.
        assert!(advance(Closed, refuse).is_empty());
        let abort = Input {
            refuses: false,
            ..refuse
        };
        assert!(advance(Listen, abort).is_empty());
        assert_eq!(advance(Established, abort)[0].why, Reason::SentRst);
    }

    // ===== SYN_SENT =====
    #[test]
    fn syn_sent_told_by_icmp_its_syn_cannot_arrive_closes() {
        let steps = advance(SynSent, Input::icmp_error());
        assert_eq!(to(&steps), [Closed]);
        assert_eq!(steps[0].why, Reason::IcmpEndsAttempt);
        for other in [Listen, SynReceived, Established, FinWait1, TimeWait] {
            assert!(advance(other, Input::icmp_error()).is_empty(), "{other:?}");
        }
    }

    // ===== LAST_ACK =====
    #[test]
    fn last_ack_ack_closes() {
        assert_eq!(to(&advance(LastAck, recv(false, true))), [Closed]);
        assert!(advance(LastAck, recv(false, false)).is_empty());
    }
}
