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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        self.syn || self.fin || self.rst || self.acks_our_syn || self.acks_our_fin
    }

    /// Whether [`advance`] can change `state` with this input: as
    /// [`Input::may_change_state`], and an ACK sent in SYN_SENT (which shows
    /// a SYN-ACK the capture missed).
    pub fn may_change(&self, state: TcpState) -> bool {
        self.may_change_state() || (self.sent && self.ack && state == TcpState::SynSent)
    }
}

/// A state change and why it happened, in words a reader can follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub from: TcpState,
    pub to: TcpState,
    pub why: &'static str,
    /// Told by what the end did later, not by a segment the capture shows it receive.
    pub inferred: bool,
}

/// Why an end moved when it sent a FIN the capture does not show, known
/// from its peer's SACK block.
pub const SENT_UNSEEN_FIN: &str =
    "sent a FIN the capture does not show (the peer's SACK covers it; an inference)";

/// An end in SYN_SENT told by an ICMP error that its SYN cannot be delivered
/// (unreachable, prohibited, TTL exceeded; not "too big"): Linux ends the
/// attempt at once (connect() fails); other systems may try again.
pub fn icmp_error_on_syn(state: TcpState) -> Option<Step> {
    (state == TcpState::SynSent).then_some(Step {
        from: TcpState::SynSent,
        to: TcpState::Closed,
        why: "an ICMP error said its SYN cannot be delivered: the attempt ends (Linux gives up at once)",
        inferred: false,
    })
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

/// An end shown LISTEN (assumed) that then refuses the attempt with RST: the
/// step that takes the assumption back, for when LISTEN was shown already.
pub fn refused(state: TcpState) -> Option<Step> {
    (state == TcpState::Listen).then_some(Step {
        from: TcpState::Listen,
        to: reached_by_attempt(true),
        why: "nothing listens on this port: the attempt is answered with RST",
        inferred: false,
    })
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
            why: "sent an ACK of the peer's SYN: it had received the SYN-ACK, which the capture does not show",
            inferred: true,
        });
        now = Established;
    }
    let mut go = |to: TcpState, why: &'static str, now: &mut TcpState| {
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
    if input.rst {
        // A reset ends the connection in any state (§3.10.7: "enter CLOSED").
        let why = if input.sent && input.no_connection {
            "sent RST for a segment of a connection it no longer had: its side was gone already"
        } else if input.sent {
            "sent RST: connection aborted"
        } else if now == SynSent {
            "received RST in reply to its SYN: connection refused"
        } else {
            "received RST: connection reset"
        };
        if now != Closed && now != Listen {
            go(Closed, why, &mut now);
        }
        return steps;
    }
    if input.sent {
        match (now, input.syn, input.ack, input.fin) {
            // Active open: CLOSED --snd SYN--> SYN_SENT.
            (Closed, true, false, _) => go(SynSent, "sent SYN: active open", &mut now),
            // Passive open answered: LISTEN --rcv SYN / snd SYN,ACK--> SYN_RECEIVED.
            (Listen | Closed, true, true, _) => {
                go(SynReceived, "sent SYN-ACK to the peer's SYN", &mut now)
            }
            // Simultaneous open: SYN_SENT --rcv SYN / snd SYN,ACK--> SYN_RECEIVED.
            (SynSent, true, true, _) => {
                go(SynReceived, "sent SYN-ACK: simultaneous open", &mut now)
            }
            // Closing first: ESTABLISHED (or SYN_RECEIVED) --CLOSE / snd FIN--> FIN_WAIT_1.
            (Established | SynReceived, _, _, true) if input.peer_fin_waiting => go(
                FinWait1,
                "sent FIN while the peer's FIN, arrived out of order, waited behind missing bytes (TCP processes a FIN only in order)",
                &mut now,
            ),
            (Established | SynReceived, _, _, true) => go(
                FinWait1,
                "sent FIN before any FIN from the peer reached it: an active close",
                &mut now,
            ),
            // Closing second: CLOSE_WAIT --CLOSE / snd FIN--> LAST_ACK.
            (CloseWait, _, _, true) => go(
                LastAck,
                "sent FIN after the peer's: closing its side too",
                &mut now,
            ),
            _ => {}
        }
        return steps;
    }
    // Received: the ACK field first.
    if input.ack {
        match now {
            // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED.
            SynSent if input.syn && input.acks_our_syn => {
                go(Established, "received SYN-ACK for its SYN", &mut now)
            }
            // SYN_RECEIVED --rcv ACK of SYN--> ESTABLISHED.
            SynReceived if input.acks_our_syn => {
                go(Established, "its SYN was acknowledged", &mut now)
            }
            // FIN_WAIT_1 --rcv ACK of FIN--> FIN_WAIT_2.
            FinWait1 if input.acks_our_fin => go(FinWait2, "its FIN was acknowledged", &mut now),
            // CLOSING --rcv ACK of FIN--> TIME_WAIT.
            Closing if input.acks_our_fin => go(
                TimeWait,
                "its FIN was acknowledged after both had sent FIN",
                &mut now,
            ),
            // LAST_ACK --rcv ACK of FIN--> CLOSED.
            LastAck if input.acks_our_fin => {
                go(Closed, "its FIN was acknowledged: fully closed", &mut now)
            }
            _ => {}
        }
    }
    if input.syn && !input.ack {
        match now {
            // LISTEN --rcv SYN--> SYN_RECEIVED.
            Listen | Closed => go(SynReceived, "received SYN", &mut now),
            // SYN_SENT --rcv SYN--> SYN_RECEIVED (simultaneous open).
            SynSent => go(SynReceived, "received SYN: simultaneous open", &mut now),
            _ => {}
        }
    }
    if input.fin {
        match now {
            // ESTABLISHED --rcv FIN / snd ACK--> CLOSE_WAIT.
            Established | SynReceived => go(
                CloseWait,
                "received the peer's FIN: the peer closed",
                &mut now,
            ),
            // FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING: the two FINs crossed.
            FinWait1 => go(
                Closing,
                "received the peer's FIN before its own FIN was acknowledged: simultaneous close",
                &mut now,
            ),
            // FIN_WAIT_2 --rcv FIN / snd ACK--> TIME_WAIT.
            FinWait2 => go(TimeWait, "received the peer's FIN", &mut now),
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

    // ===== LAST_ACK =====
    #[test]
    fn last_ack_ack_closes() {
        assert_eq!(to(&advance(LastAck, recv(false, true))), [Closed]);
        assert!(advance(LastAck, recv(false, false)).is_empty());
    }
}
