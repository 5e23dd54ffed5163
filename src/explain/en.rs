//! Facts into English: one short paragraph per line, one per connection.

use super::{
    capture_artefact, dsack, icmp_errors_by_problem, ms, num, refuses, resend_said_precisely,
    server_unheard, shell_word, shown_late, unheard_end, unseen_second_fin, write_count, write_ms,
    FlagLetters, List,
};
use crate::model::{IcmpError, IcmpProblem};
use crate::track::report::{
    Acked, Backoff, ClosedBy, ConnectionSummary, Event, EventKind, Evidence, Handshake, IcmpReport,
    Inference, Note, ResetKind, Role, SegmentReport, Teardown, Vantage,
};
use crate::track::state::{Reason, TcpState};
use std::fmt::Write;

fn who(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Server => "server",
    }
}

fn capital(role: Role) -> &'static str {
    match role {
        Role::Client => "Client",
        Role::Server => "Server",
    }
}

/// Writes what a RST says (from its `reset` event): a refusal, a reply for a
/// connection its sender no longer has, or an abort.
fn write_reset(t: &mut String, r: &SegmentReport) {
    let me = who(r.from);
    let Some(e) = r.events.iter().find(|e| e.kind == EventKind::Reset) else {
        // A copy of an earlier RST: said with the copy.
        t.push_str("RST");
        return;
    };
    let since = |t: &mut String| {
        if let Some(s) = e.seconds {
            t.push_str(", ");
            write_ms(t, s);
            t.push_str(" later");
        }
    };
    match ResetKind::of_note(e.note.as_ref()) {
        Some(ResetKind::Refused) => {
            t.push_str("RST answering the attempt");
            match e.of_line {
                Some(l) => {
                    t.push_str(" of line ");
                    num(t, l);
                }
                None => t.push_str(
                    " the capture does not show (seq 0, and its ack is that attempt's first sequence number + 1)",
                ),
            }
            t.push_str(
                ": nothing listens on that port, the attempt is refused (no connection existed)",
            );
        }
        Some(ResetKind::AfterClose) => {
            t.push_str("RST in reply to the segment");
            write_of(t, " of", e.of_line);
            since(t);
            let _ = write!(t, ": the {me} has no connection for it any more");
            t.push_str(match e.evidence {
                Some(Evidence::NoTimestamps) => " (this RST lacks the TCP timestamps the connection uses: it was made without a socket, as a host answers a segment for no connection)",
                Some(Evidence::OwnFin) => " (it had closed its side: data or an ACK arrived for a socket that no longer exists)",
                _ => "",
            });
        }
        _ => {
            let _ = write!(
                t,
                "RST: the {me} aborts the connection at once, without the FIN exchange"
            );
            match e.of_line {
                Some(l) => {
                    t.push_str(", ");
                    if let Some(s) = e.seconds {
                        write_ms(t, s);
                        t.push(' ');
                    }
                    t.push_str("after its own FIN on line ");
                    num(t, l);
                    t.push_str(" with nothing arriving in between: its close ended in an abort (close() with unread data, or SO_LINGER 0)");
                }
                None => t.push_str(" (an application abort, SO_LINGER 0, or unread data at close)"),
            }
        }
    }
}

/// Writes `line N`, `lines A, B, C` or `lines A–Z` (more than three).
fn write_lines(t: &mut String, list: &[u64]) {
    match list {
        [] => {}
        [one] => {
            t.push_str("line ");
            num(t, *one);
        }
        [first, .., last] if list.len() > 3 => {
            t.push_str("lines ");
            num(t, *first);
            t.push('–');
            num(t, *last);
        }
        _ => {
            t.push_str("lines ");
            let mut items = List::new(", ");
            for l in list {
                num(items.next(t), *l);
            }
        }
    }
}

/// Writes `{prefix} line N` when there is a line to refer to.
fn write_of(t: &mut String, prefix: &str, line: Option<u64>) {
    if let Some(l) = line {
        t.push_str(prefix);
        t.push_str(" line ");
        num(t, l);
    }
}

/// Appends the explanation of `r` to `t`.
pub(super) fn write_segment(r: &SegmentReport, t: &mut String) {
    t.reserve(384);
    let has = |k: EventKind| r.events.iter().any(|e| e.kind == k);
    let letters = FlagLetters::of(&r.flags);
    let flag = |letter: u8| letters.has(letter);
    let (syn, fin, rst, ack) = (flag(b'S'), flag(b'F'), flag(b'R'), flag(b'.'));
    let peer = who(r.from.other());
    t.push_str(capital(r.from));
    t.push_str(" → ");
    t.push_str(peer);
    t.push_str(": ");

    // What it carries.
    let mut parts = List::new("; ");
    if syn && ack {
        let _ = write!(
            parts.next(t),
            "SYN-ACK, the {} accepts the connection and sends its own SYN",
            who(r.from)
        );
    } else if syn {
        parts.next(t).push_str("SYN, asking to open a connection");
    }
    if let Some(raw) = r.seq_raw.filter(|_| syn) {
        let _ = write!(parts.next(t), "initial sequence number {raw} (relative 0)");
    }
    if r.len > 0 {
        let first = r.seq.unwrap_or(0);
        let last = first.wrapping_add(r.len).wrapping_sub(1);
        let data = parts.next(t);
        if r.len == 1 {
            data.push_str("1 byte of data (relative seq ");
            num(data, first);
        } else {
            num(data, r.len);
            data.push_str(" bytes of data (relative seq ");
            num(data, first);
            data.push('–');
            num(data, last);
        }
        data.push(')');
        if flag(b'P') {
            data.push_str(" with PSH (push: deliver to the application at once)");
        }
    }
    if flag(b'U') {
        parts
            .next(t)
            .push_str("URG set (urgent data: the urgent pointer marks where it ends)");
    }
    if flag(b'E') && !syn {
        parts
            .next(t)
            .push_str("ECE set (echoes a congestion mark seen by the receiver)");
    }
    if flag(b'W') && !syn {
        parts
            .next(t)
            .push_str("CWR set (the sender has reduced its congestion window)");
    }
    if flag(b'E') && syn {
        parts.next(t).push_str("ECN offered");
    }
    if fin && ack {
        let _ = write!(
            parts.next(t),
            "FIN: the {} has no more data to send (its application closed or shut down writing)",
            who(r.from)
        );
    } else if fin {
        // (Every segment of a connection after its SYN carries an ACK.)
        parts
            .next(t)
            .push_str("FIN set without ACK (no end of a connection sends that: a crafted segment)");
    }
    if rst {
        write_reset(parts.next(t), r);
    }
    if parts.count == 0 {
        t.push_str(if ack {
            "a pure ACK (no data)"
        } else {
            "a segment with no flags"
        });
    }
    t.push('.');

    if let Some(o) = &r.offer {
        if o.mss.is_some() || o.sack_permitted || o.timestamps || o.wscale.is_some() || o.fast_open
        {
            t.push_str(" It offers ");
            let mut offers = List::new(", ");
            if let Some(m) = o.mss {
                let _ = write!(offers.next(t), "MSS {m} (largest segment it accepts)");
            }
            if o.sack_permitted {
                offers.next(t).push_str("SACK permitted");
            }
            if o.timestamps {
                offers.next(t).push_str("timestamps");
            }
            if let Some(w) = o.wscale {
                let _ = write!(
                    offers.next(t),
                    "window scale {w} (its windows count in units of {})",
                    1u64 << w.min(14)
                );
            }
            if o.fast_open {
                offers.next(t).push_str("a TCP Fast Open cookie");
            }
            t.push('.');
        }
    }

    // What the ACK acknowledges.
    if let Some(a) = &r.acked {
        t.push(' ');
        write_acked(t, a, r.ack, peer);
    } else if ack && !rst && !fin && r.len == 0 && r.ack.is_some() && !syn {
        // (Said only of empty segments: one that carries data or a FIN is about that.)
        t.push_str(" Its ACK (ack ");
        num(t, r.ack.unwrap_or(0));
        t.push_str(") acknowledges nothing new.");
    }
    let note = |code: Inference| r.notes.contains(&code);
    if let Some(line) = r
        .peer_fin_unacked
        .filter(|_| !has(EventKind::SimultaneousClose))
    {
        if note(Inference::PeerFinSacked) {
            let _ = write!(t, " It does not acknowledge the {peer}'s FIN of line {line}, though its SACK block shows that FIN arrived: out of order, it waits behind the missing bytes (a FIN is processed only in order).");
        } else {
            let _ = write!(t, " It does not acknowledge the {peer}'s FIN of line {line}: that FIN had not been processed when this was sent.");
        }
    }
    if note(Inference::PeerFinInferred) {
        if r.sack.is_empty() {
            let _ = write!(t, " Only this side's packets are in the capture: its ACK moves on by one alone after its own FIN, so the {peer} had sent its FIN (an inference; the {peer}'s FIN is not in the capture).");
        } else {
            let _ = write!(t, " Its SACK block covers a lone sequence number beyond its ACK, where the {peer} is not seen sending anything: most likely the {peer}'s FIN, arrived out of order behind missing bytes (an inference).");
        }
    } else if note(Inference::PeerFinSacked) && r.peer_fin_unacked.is_none() {
        let _ = write!(t, " Its SACK block shows the {peer}'s FIN arrived.");
    }
    if note(Inference::LateHandshakeAck) {
        let _ = write!(t, " It acknowledges only the {peer}'s SYN: it is the handshake's ACK, seen after the data the {} sent next (the two were reordered on the way; not a duplicate ACK).", who(r.from));
    }
    let dsack = dsack(r);
    let write_blocks = |t: &mut String, blocks: &[(u32, u32)]| {
        let mut list = List::new(", ");
        for (a, b) in blocks {
            let block = list.next(t);
            num(block, *a);
            block.push('–');
            num(block, b.wrapping_sub(1));
        }
    };
    let (dup, sack) = r.sack.split_at(usize::from(dsack));
    if !dup.is_empty() {
        t.push_str(" D-SACK: it received bytes ");
        write_blocks(t, dup);
        t.push_str(if has(EventKind::KeepAliveAck) {
            " twice (RFC 2883): the probe's byte, which it had already."
        } else {
            " twice (RFC 2883), so a resend of them was unnecessary."
        });
    }
    if !sack.is_empty() {
        t.push_str(" SACK: it has also received bytes ");
        write_blocks(t, sack);
        t.push_str(" (so the bytes between its ACK and them are the ones missing).");
    }
    if let Some(rtt) = r.handshake_rtt {
        let _ = write!(
            t,
            " The handshake is complete: {} from SYN to this ACK (the handshake round trip seen from the capture point).",
            ms(rtt)
        );
    }
    if let Some(w) = r.window.filter(|_| !syn && !rst) {
        if w == 0 {
            let _ = write!(t, " It advertises a zero window: its receive buffer is full, the {peer} must stop sending.");
        }
    }

    for e in &r.events {
        write_event(t, e, r);
    }
    if !has(EventKind::Reset) && note(Inference::Excerpt) {
        t.push_str(
            " The numbers look relative already (a pasted excerpt?): absolute values are unknown.",
        );
    }
    if note(Inference::RolesInferred) {
        t.push_str(if refuses(r) {
            " No SYN seen: the client is the end whose attempt this RST answers."
        } else if !ack && !syn && !rst {
            " No SYN seen, and no ACK: a probe that belongs to no connection (a port scan's); the client is the end that sends it."
        } else {
            " No SYN seen: the capture starts mid-connection; the client is guessed from the ports (inferred)."
        });
    }
    if note(Inference::Renumbered) {
        t.push_str(" Its relative numbers differ from those on the line: mid-connection, tcpdump counts each direction from its first packet in the capture, while tcpexplain counts, as Wireshark does, from the number before the first byte (the second direction's first byte is the one the first packet acknowledged).");
    }

    // States.
    t.push(' ');
    write_states(t, r);
}

fn write_acked(t: &mut String, a: &Acked, ack: Option<u32>, peer: &str) {
    t.push_str("Its ACK");
    if let Some(v) = ack {
        t.push_str(" (ack ");
        num(t, v);
        t.push(')');
    }
    if a.first == a.last && !a.lines.is_empty() {
        t.push_str(" acknowledges nothing new: it answers the copy sent again on ");
        write_lines(t, &a.lines);
        t.push_str(" (those bytes had been acknowledged already).");
        return;
    }
    if !a.syn && a.bytes == 0 && !a.fin {
        let _ = write!(
            t,
            " moves forward to {} without covering a segment the capture shows.",
            a.last
        );
        return;
    }
    t.push_str(" acknowledges the ");
    t.push_str(peer);
    t.push_str("'s ");
    let mut what = List::new(" and ");
    if a.syn {
        what.next(t).push_str("SYN");
    }
    if a.bytes > 0 {
        let bytes = what.next(t);
        num(bytes, a.bytes);
        bytes.push_str(if a.bytes == 1 { " byte" } else { " bytes" });
    }
    if a.fin {
        what.next(t).push_str("FIN");
    }
    if !a.lines.is_empty() {
        t.push_str(" of ");
        write_lines(t, &a.lines);
    }
    if let Some(rtt) = a.rtt {
        t.push_str(", ");
        write_ms(t, rtt);
        t.push_str(" after it was sent");
    }
    t.push('.');
}

/// Why bytes whose earlier segment an ICMP "too big" error reported were sent again.
const PATH_MTU_RESEND: &str = ": an ICMP error said that segment was too big for the path, so the sender resent these bytes at once, in segments that fit (path MTU discovery).";

/// Ends a sentence about an artefact of the capture with Wireshark's labels on
/// the line (`; Wireshark's label (a, b) {what}.`), when it has any.
fn write_labels(t: &mut String, r: &SegmentReport, what: &str) {
    let mut labels = r.events.iter().filter(|x| x.kind.is_wireshark());
    if let Some(first) = labels.next() {
        t.push_str("; Wireshark's label (");
        t.push_str(first.kind.name());
        for x in labels {
            t.push_str(", ");
            t.push_str(x.kind.name());
        }
        t.push_str(") ");
        t.push_str(what);
    }
    t.push('.');
}

/// Writes the sentence an event adds (after a space), if it adds one.
fn write_event(t: &mut String, e: &Event, r: &SegmentReport) {
    let peer = who(r.from.other());
    let start = t.len();
    // Wireshark's labels on what the capture point did are explained as that.
    if capture_artefact(r) && e.kind.is_wireshark() {
        return;
    }
    t.push(' ');
    match e.kind {
        EventKind::CaptureCopy => {
            t.push_str("The same packet as");
            write_of(t, "", e.of_line);
            match e.evidence {
                Some(Evidence::IpIdTtl) => {
                    t.push_str(" (the same IP id and TCP header), seen again with a lower TTL");
                }
                Some(Evidence::Identical) => t.push_str(", printed again with every field the same"),
                _ => t.push_str(", seen again on another interface"),
            }
            if let Some(n) = &e.note {
                let _ = write!(t, " ({n})");
            }
            if let Some(s) = e.seconds {
                t.push(' ');
                write_ms(t, s);
                t.push_str(" later");
            }
            t.push_str(match e.evidence {
                Some(Evidence::IpIdTtl) => ": it crossed more routers and passed the capture point again (a routing loop, or a path through the capturing host twice). Not a new segment",
                Some(Evidence::Identical) => ": capturing on several interfaces (-i any; this tcpdump prints no interface names), tcpdump prints a packet each time it crosses one, as on a bridge or a host that forwards it. Not a new segment",
                _ => ": capturing on several interfaces (-i any), tcpdump prints a packet each time it crosses one, as when the capturing host forwards it. Not a new segment",
            });
            write_labels(t, r, "comes from the double sighting");
        }
        EventKind::SeenLate => {
            t.push_str("First sighting of these bytes: they fill the gap noted");
            write_of(t, " on", e.of_line);
            t.push_str(", and the ");
            t.push_str(peer);
            t.push_str(" had acknowledged them");
            match &e.note {
                Some(n) => {
                    let _ = write!(t, " on {n}");
                }
                None => t.push_str(" already"),
            }
            t.push_str(". Most likely the capture point saw this packet late (a mirror port that delays one direction, a capture merged from two points), an inference: the receiver had it before the capture did");
            write_labels(t, r, "takes it for a resend");
        }
        EventKind::Retransmission => {
            // (Said by the more precise event on the line.)
            if resend_said_precisely(r) {
                t.truncate(start);
                return;
            }
            t.push_str("Retransmission");
            write_of(t, " of", e.of_line);
            if e.note == Some(Note::PathMtu) {
                t.push_str(PATH_MTU_RESEND);
            } else {
                if let Some(s) = e.seconds {
                    t.push_str(", ");
                    write_ms(t, s);
                    t.push_str(" after the previous copy");
                }
                if dsack(r) {
                    t.push_str(": it goes out as this side's answer to the duplicate data it just received (its D-SACK block); the sender repeats these numbers on that answer, not on a timer.");
                } else if let Some(rt) = e.round_trip {
                    t.push_str(": sent again sooner than a round trip (");
                    write_ms(t, rt);
                    t.push_str(" from the handshake), so not on a timeout.");
                } else if e.note == Some(Note::TailProbe) {
                    t.push_str(": the last segment sent, sent again before any ACK for it came, and sooner than a retransmission timer fires (200 ms at the least on Linux): most likely a tail loss probe (RFC 8985), which resends the last segment so that the ACK it draws shows what was lost — an inference from timing.");
                } else {
                    t.push_str(": this sequence range was sent before, and no ACK for it came in time, so the sender believed it lost (its retransmission timer fired)");
                    t.push_str(match e.backoff {
                        Some(Backoff::Doubling) => "; the wait is about twice the previous one (exponential backoff, as measured).",
                        Some(Backoff::Constant) => "; about the same wait as the previous one.",
                        _ => ".",
                    });
                }
            }
        }
        EventKind::FastRetransmission => {
            t.push_str("Fast retransmission");
            write_of(t, " of", e.of_line);
            let _ = write!(t, ": the {peer} sent duplicate ACKs for these bytes, so the sender resent them without waiting for its timer.");
        }
        EventKind::SpuriousRetransmission => t.push_str("Spurious retransmission: every byte here had already been acknowledged; the resend was unnecessary."),
        EventKind::OutOfOrder if e.note == Some(Note::PathMtu) => {
            t.push_str("Resent");
            write_of(t, " from", e.of_line);
            t.push_str(PATH_MTU_RESEND);
            t.push_str(" Wireshark's label (out_of_order) comes from the timing: within a round trip of the highest segment.");
        }
        EventKind::OutOfOrder => t.push_str("Out of order: these bytes come before data already seen and arrive soon after it (reordered in the network, not resent)."),
        EventKind::LostSegment => t.push_str("Previous segment not captured: this starts beyond the end of what the sender was seen to send; a segment was lost before the capture point, or the capture missed it (or shows it late)."),
        EventKind::AckLostSegment => {
            let _ = write!(t, "ACKed unseen segment: it acknowledges data from the {peer} that the capture has not shown: the capture missed it, or shows it late.");
        }
        EventKind::DuplicateAck => {
            let _ = write!(t, "Duplicate ACK #{}", e.count.unwrap_or(1));
            write_of(t, " of the ACK on", e.of_line);
            t.push_str(": same ack, same window, no data; ");
            if dsack(r) {
                t.push_str("sent because a duplicate segment arrived (the D-SACK), not because of a gap.");
            } else {
                match e.note {
                    Some(Note::OldSegment) => {
                        let _ = write!(t, "it answers the {peer}'s segment just before, which brought nothing new (a segment older than this ACK is answered with an ACK), not a gap.");
                    }
                    Some(Note::Gap) => t.push_str("the receiver is still waiting for the byte after its ACK (a gap, or a lost segment)."),
                    _ => {
                        let _ = write!(t, "the {peer} has sent nothing beyond it that the capture shows, so it signals no gap here.");
                    }
                }
            }
        }
        // Said with the window and with the flags.
        EventKind::ZeroWindow | EventKind::Reset | EventKind::Evicted => t.truncate(start),
        EventKind::ZeroWindowProbe => {
            let _ = write!(t, "Zero-window probe: one byte sent into the {peer}'s zero window to learn when it opens.");
        }
        EventKind::ZeroWindowProbeAck => t.push_str("Reply to a zero-window probe: the window is still closed."),
        EventKind::WindowFull => {
            let _ = write!(t, "Window full: this segment fills the {peer}'s advertised window exactly; the sender must wait for an ACK.");
        }
        EventKind::WindowUpdate => t.push_str("Window update: only the advertised window changed (the receiver made room)."),
        EventKind::KeepAlive => {
            let inferred = matches!(e.note, Some(Note::Inferred | Note::ZeroWindowProbeInferred));
            t.push_str(if inferred {
                "Keep-alive: an empty ACK after a silence, repeating its last ACK while the peer has nothing unacknowledged; without -S or -v tcpdump prints no seq here, where a Linux keep-alive sits one byte behind (an inference from timing and numbers). An empty segment one byte behind is also how Linux probes a zero window, so when the peer's window is 0 this is a zero-window probe."
            } else if r.len == 0 {
                "Keep-alive (Wireshark's label): it re-sends the byte before the next one, to make the peer answer. An empty segment one byte behind is also how Linux probes a zero window, so when the peer's window is 0 this is a zero-window probe."
            } else {
                "Keep-alive: it re-sends the last byte the peer has already acknowledged, to make the peer answer (one garbage byte, as Windows sends them)."
            });
        }
        EventKind::KeepAliveAck => t.push_str("Keep-alive ACK: the peer answers the probe; it is alive."),
        EventKind::ReusedPorts => t.push_str("Port numbers reused: a new connection on the same addresses and ports as an earlier one."),
        EventKind::SynRetransmission => {
            t.push_str("SYN sent again");
            write_of(t, ", first on", e.of_line);
            let _ = write!(t, " (attempt {})", e.count.map_or(2, |c| c.saturating_add(1)));
            if let Some(s) = e.seconds {
                let _ = write!(t, ", {} after the previous one", ms(s));
            }
            t.push_str(": no SYN-ACK came back in time");
            t.push_str(match e.backoff {
                Some(Backoff::Doubling) => "; the wait is about twice the previous one (exponential backoff, as measured).",
                Some(Backoff::Constant) => "; about the same wait as the previous one (a fixed interval).",
                _ => ".",
            });
        }
        EventKind::DelayedAck => {
            t.push_str("This ACK waited ");
            if let Some(s) = e.seconds {
                write_ms(t, s);
            }
            write_of(t, " after the segment on", e.of_line);
            if let Some(rt) = e.round_trip {
                let _ = write!(t, ", more than the {} round trip to the {} measured here", ms(rt), who(r.from));
            }
            t.push_str(": likely a delayed ACK (Linux waits 40 ms to 200 ms hoping to piggy-back the ACK on data) — an inference from timing.");
        }
        EventKind::FinAcksFin => {
            let _ = write!(t, "So this FIN carries the ACK of the {peer}'s FIN");
            write_of(t, " on", e.of_line);
            let _ = write!(t, ": the close takes three segments instead of four. Most likely the {}'s application closed before its delayed ACK fired, so the ACK rode on the FIN.", who(r.from));
        }
        EventKind::SimultaneousClose => {
            let _ = write!(t, "This FIN does not acknowledge the {peer}'s FIN");
            write_of(t, " of", e.of_line);
            t.push_str(": it was sent before that FIN arrived. The two FINs crossed in flight — a simultaneous close, in which both ends pass through CLOSING.");
        }
        EventKind::HalfClose => {
            let _ = write!(t, "Data after the {peer}'s FIN");
            write_of(t, " on", e.of_line);
            let _ = write!(t, ": a half-close; the {peer} stopped sending but still receives.");
        }
    }
}

/// The closing sentence of a line that changes no state, in three pieces
/// around the client's and the server's states (see [`write_states`]).
pub(super) const STATES: (&str, &str, &str) = (" Now: client ", ", server ", ".");

/// Writes `Now: client S, server S.` with the changes this line shows and why.
fn write_states(t: &mut String, r: &SegmentReport) {
    t.push_str("Now: ");
    let mut parts = List::new(", ");
    for role in [Role::Client, Role::Server] {
        let s = parts.next(t);
        let mut steps = r.transitions.iter().filter(|t| t.who == role).peekable();
        let Some(first) = steps.peek() else {
            s.push_str(who(role));
            s.push(' ');
            s.push_str(r.state.get(role).name());
            continue;
        };
        let _ = write!(s, "{} {}", who(role), first.from);
        for step in steps.clone() {
            let _ = write!(s, " → {}", step.to);
        }
        s.push_str(" (");
        let mut reasons = List::new("; ");
        for step in steps {
            let why = reasons.next(s);
            why.push_str(reason(step.why));
            if step.cause_line != r.line {
                let _ = write!(why, " (line {})", step.cause_line);
            }
            if step.inferred {
                why.push_str(", assumed");
            }
        }
        s.push(')');
    }
    t.push('.');
    if let Some(step) = shown_late(r) {
        let _ = write!(
            t,
            " The {} had not yet processed line {} when it sent its previous segment (that ACK did not cover it); this ACK shows it has now.",
            who(step.who),
            step.cause_line
        );
    }
    if r.transitions.iter().any(|t| t.to == TcpState::TimeWait) {
        t.push_str(" TIME_WAIT lasts 2×MSL (60 s on Linux) so that late segments die out.");
    }
}

/// A connection's summary.
pub(super) fn connection(s: &ConnectionSummary) -> String {
    let mut t = format!(
        "Connection {}: client {} → server {}",
        s.conn, s.client, s.server
    );
    if s.roles_inferred {
        t.push_str(" (roles guessed from the ports)");
    }
    if s.segments == 1 {
        let _ = write!(t, ", line {}, 1 segment", s.first_line);
    } else {
        let _ = write!(
            t,
            ", lines {}–{}, {} segments",
            s.first_line, s.last_line, s.segments
        );
    }
    if let Some(d) = s.duration {
        let _ = write!(t, " over {}", ms(d));
    }
    let _ = write!(
        t,
        "; {} bytes from the client, {} from the server.",
        s.bytes_client, s.bytes_server
    );
    match s.handshake {
        _ if s.teardown == Teardown::Refused && s.conn_state != "REJ" => {
            t.push_str(" No handshake: the client's attempt (a probe, or a SYN the capture misses) is refused at once.");
        }
        Handshake::Complete => {
            t.push_str(" Three-way handshake seen");
            if let Some(rtt) = s.handshake_rtt {
                let _ = write!(t, " (round trip {})", ms(rtt));
            }
            t.push('.');
        }
        Handshake::Partial => t.push_str(" Only part of the handshake was seen."),
        Handshake::None => t.push_str(" The capture starts after the handshake."),
    }
    let closer = |c: Option<ClosedBy>| match c {
        Some(ClosedBy::Client) => "the client",
        Some(ClosedBy::Server) => "the server",
        Some(ClosedBy::Both) => "both ends at once",
        None => "nobody",
    };
    let _ = write!(
        t,
        " {}",
        match s.teardown {
            Teardown::ThreeWay | Teardown::FourWay if unseen_second_fin(s).is_some() => format!(
                "Both ends closed, {} first; whether in three segments or four cannot be told without the other side's FIN.",
                closer(s.closed_by)
            ),
            Teardown::ThreeWay => format!("Closed in three segments: {} sent the first FIN; the other side's FIN carried the ACK of it.", closer(s.closed_by)),
            Teardown::FourWay => format!("Closed in four segments: {} sent the first FIN, the other side acknowledged it separately, then sent its own FIN.", closer(s.closed_by)),
            Teardown::Simultaneous => "Simultaneous close: both FINs crossed in flight; both ends went through CLOSING.".to_string(),
            Teardown::Reset => format!("Ended by a RST from {}.", closer(s.closed_by)),
            Teardown::Refused => "Refused: the server answered the attempt with RST (nothing listens on that port).".to_string(),
            Teardown::HalfClosed => format!("Half-closed: {} sent FIN; the other side never closed in the capture.", closer(s.closed_by)),
            Teardown::Open if server_unheard(s) && !s.icmp_errors.is_empty() => {
                "Never opened: ICMP errors came back instead of an answer from the server.".to_string()
            }
            Teardown::Open if s.stall.is_some() => "Stalled when the capture ends:".to_string(),
            Teardown::Open if server_unheard(s) => {
                "Never answered: no reply from the server is in the capture (nothing came back, or the capture misses it), so its state is unknown.".to_string()
            }
            Teardown::Open => "Still open when the capture ends.".to_string(),
        }
    );
    // The trouble, said where it can hide behind the verdict.
    if let Some(st) = &s.stall {
        if s.teardown != Teardown::Open {
            t.push_str(" Trouble:");
        }
        t.push(' ');
        write_stall(&mut t, st);
    }
    if let Some(side) = s.zero_window_at_end {
        let _ = write!(
            t,
            " The {}'s receive window is 0 at the end of the capture: the {} may not send (a zero-window stall).",
            who(side),
            who(side.other())
        );
    }
    if let Some(side) = s.half_close {
        let _ = write!(
            t,
            " The {} sent data after the {}'s FIN before closing its side: a half-close inside the close.",
            who(side),
            who(side.other())
        );
    }
    for side in &s.fins_inferred {
        let _ = write!(
            t,
            " The {}'s FIN is not in the capture: the {}'s acknowledgment tells it (an inference).",
            who(*side),
            who(side.other())
        );
    }
    if let Some(side) = s.captured_only {
        let _ = write!(
            t,
            " Only the {0}'s packets are in the capture (a one-direction filter or capture point): the {1}'s are known only from what the {0} acknowledges.",
            who(side),
            who(side.other())
        );
    }
    if !s.problems.is_empty() {
        t.push_str(" Problems:");
        let mut items = List::new(",");
        for (kind, n) in &s.problems {
            let item = items.next(&mut t);
            item.push(' ');
            write_count(item, u64::from(*n));
            item.push(' ');
            item.push_str(problem_words(kind, *n == 1));
        }
        t.push('.');
    }
    let assumed = |role| {
        if unheard_end(s) == Some(role) {
            " (assumed: nothing from it is in the capture)"
        } else {
            ""
        }
    };
    let _ = write!(
        t,
        " Final states: client {}{}, server {}{}.",
        s.final_state.client,
        assumed(Role::Client),
        s.final_state.server,
        assumed(Role::Server)
    );
    if s.delivery_assumed {
        t.push_str(
            " (After the last line, the remaining in-flight segments are assumed delivered.)",
        );
    }
    match s.time_wait.as_slice() {
        [] => {}
        [one] => {
            let _ = write!(t, " The {} holds TIME_WAIT (60 s on Linux).", who(*one));
        }
        _ => t.push_str(" Both ends hold TIME_WAIT (60 s on Linux)."),
    }
    if let Some(v) = &s.vantage {
        let _ = write!(
            t,
            " The capture was probably taken {} (from the handshake timing; an inference).",
            match v {
                Vantage::Server => "near the server",
                Vantage::Client => "near the client",
                Vantage::Middle => "between the two",
            }
        );
    }
    let _ = write!(
        t,
        " Zeek: conn_state {}, history {}.",
        s.conn_state, s.history
    );
    if s.evicted {
        t.push_str(" No longer followed: idle while too many connections were open.");
    }
    if let Some(n) = s.events.get("capture_copy") {
        let _ = write!(
            t,
            " {n} of its lines repeat a packet seen on another interface (-i any): counted once here; Wireshark counts them again."
        );
    }
    if !s.icmp_errors.is_empty() {
        t.push_str(" ICMP errors about it: ");
        let mut items = List::new("; ");
        for (p, lines) in icmp_errors_by_problem(s) {
            let t = items.next(&mut t);
            write_lines(t, &lines);
            let _ = write!(t, " ({})", problem_name(p));
        }
        if s.icmp_errors.len() >= 64 {
            t.push_str(" (at most the first 64 are listed)");
        }
        t.push('.');
    }
    t
}

/// Writes a stall's diagnosis: what was never acknowledged, how often it was
/// sent again, and how the waits grew, as measured.
fn write_stall(t: &mut String, st: &crate::track::report::Stall) {
    let _ = write!(t, "the {}'s ", who(st.side));
    match (st.bytes, st.fin) {
        (0, _) => t.push_str("FIN"),
        (b, fin) => {
            write_count(t, b);
            t.push_str(if b == 1 { " byte" } else { " bytes" });
            if fin {
                t.push_str(" and FIN");
            }
        }
    }
    let _ = write!(t, " (from line {}) ", st.since_line);
    t.push_str(if st.bytes > 1 || (st.bytes == 1 && st.fin) {
        "were"
    } else {
        "was"
    });
    t.push_str(" never acknowledged: sent again ");
    write_count(t, u64::from(st.resent));
    t.push_str(if st.resent == 1 { " time" } else { " times" });
    if let Some(sec) = st.seconds {
        let _ = write!(t, " over {}", ms(sec));
    }
    t.push_str(match st.backoff {
        Some(Backoff::Doubling) => ", with backoff (each wait about twice the one before).",
        Some(Backoff::Constant) => ", at about the same interval.",
        _ => ".",
    });
}

/// A problem kind's name in words (`retransmission(s)`, ...).
fn problem_words(kind: &str, one: bool) -> &'static str {
    let (single, plural) = match kind {
        "retransmission" => ("retransmission", "retransmissions"),
        "fast_retransmission" => ("fast retransmission", "fast retransmissions"),
        "spurious_retransmission" => ("spurious retransmission", "spurious retransmissions"),
        "out_of_order" => ("segment out of order", "segments out of order"),
        "lost_segment" => ("segment not captured", "segments not captured"),
        "ack_lost_segment" => ("ACK of unseen data", "ACKs of unseen data"),
        "duplicate_ack" => ("duplicate ACK", "duplicate ACKs"),
        "zero_window" => ("zero window", "zero windows"),
        "zero_window_probe" => ("zero-window probe", "zero-window probes"),
        "window_full" => ("full window", "full windows"),
        "syn_retransmission" => ("SYN sent again", "SYNs sent again"),
        _ => ("other problem", "other problems"),
    };
    if one {
        single
    } else {
        plural
    }
}

/// What a binary input (`name`; `-` for standard input) is and what to run
/// instead, in one line.
pub(super) fn binary_input(kind: crate::reader::Binary, name: &str) -> String {
    use crate::reader::Binary;
    let file = shell_word(name);
    let unpack = |tool: &str, what: &str| {
        format!(
            "{what}: run `{tool} {file} | tcpexplain` (for a compressed capture, \
             `{tool} {file} | tcpdump -nn -r - | tcpexplain`)"
        )
    };
    match kind {
        Binary::Pcap | Binary::PcapNg => format!(
            "a {} capture file, not tcpdump's text: run `tcpdump -nn -r {file} | tcpexplain`",
            kind.name()
        ),
        Binary::Gzip => unpack("zcat", "gzip-compressed"),
        Binary::Zstd => unpack("zstdcat", "zstd-compressed"),
        Binary::Bzip2 => unpack("bzcat", "bzip2-compressed"),
        Binary::Xz => unpack("xzcat", "xz-compressed"),
        Binary::Zip => format!("a zip archive: unzip it (`unzip -p {file} | tcpexplain`)"),
        Binary::Utf16 => {
            format!("UTF-16 text: run `iconv -f UTF-16 -t UTF-8 {file} | tcpexplain`")
        }
        Binary::Data => "binary data, not tcpdump's text".to_string(),
    }
}

/// Why an end changed state, in words.
pub(super) fn reason(why: Reason) -> &'static str {
    match why {
        Reason::SentUnseenFin => "sent a FIN the capture does not show (the peer's SACK covers it; an inference)",
        Reason::IcmpEndsAttempt => "an ICMP error said its SYN cannot be delivered: the attempt ends (Linux gives up at once)",
        Reason::NothingListens => "nothing listens on this port: the attempt is answered with RST",
        Reason::AckedUnseenSynAck => "sent an ACK of the peer's SYN: it had received the SYN-ACK, which the capture does not show",
        Reason::SentRstNoConnection => "sent RST for a segment of a connection it no longer had: its side was gone already",
        Reason::SentRst => "sent RST: connection aborted",
        Reason::RefusedByRst => "received RST in reply to its SYN: connection refused",
        Reason::ReceivedRst => "received RST: connection reset",
        Reason::SentSyn => "sent SYN: active open",
        Reason::SentSynAck => "sent SYN-ACK to the peer's SYN",
        Reason::SentSynAckSimultaneous => "sent SYN-ACK: simultaneous open",
        Reason::SentFinPeerFinWaiting => "sent FIN while the peer's FIN, arrived out of order, waited behind missing bytes (TCP processes a FIN only in order)",
        Reason::ActiveClose => "sent FIN before any FIN from the peer reached it: an active close",
        Reason::PassiveClose => "sent FIN after the peer's: closing its side too",
        Reason::ReceivedSynAck => "received SYN-ACK for its SYN",
        Reason::SynAcked => "its SYN was acknowledged",
        Reason::FinAcked => "its FIN was acknowledged",
        Reason::FinAckedAfterBoth => "its FIN was acknowledged after both had sent FIN",
        Reason::FinAckedClosed => "its FIN was acknowledged: fully closed",
        Reason::ReceivedSyn => "received SYN",
        Reason::ReceivedSynSimultaneous => "received SYN: simultaneous open",
        Reason::PeerClosed => "received the peer's FIN: the peer closed",
        Reason::PeerFinCrossed => "received the peer's FIN before its own FIN was acknowledged: simultaneous close",
        Reason::ReceivedPeerFin => "received the peer's FIN",
    }
}

/// What a line that is not tcpdump's is, in words.
pub(super) fn other_text(kind: crate::model::TextKind) -> &'static str {
    use crate::model::TextKind;
    match kind {
        TextKind::Command => "not tcpdump output: a shell prompt or command",
        TextKind::Comment => "not tcpdump output: a comment",
        TextKind::Elision => "not tcpdump output: lines were left out here",
        TextKind::Interrupt => "not tcpdump output: the Ctrl-C that stopped the capture",
        TextKind::Separator => "not tcpdump output: a separator",
        TextKind::Tshark => {
            "a tshark or Wireshark summary line, not tcpdump's text: for tcpdump's \
             text of a capture file, run `tcpdump -nn -r FILE.pcap | tcpexplain`"
        }
        TextKind::Prose => "not tcpdump output",
    }
}

/// An ICMP problem in a few words.
pub(super) fn problem_name(p: IcmpProblem) -> &'static str {
    match p {
        IcmpProblem::NetUnreachable => "network unreachable",
        IcmpProblem::HostUnreachable => "host unreachable",
        IcmpProblem::ProtocolUnreachable => "protocol unreachable",
        IcmpProblem::PortUnreachable => "port unreachable",
        IcmpProblem::Prohibited => "administratively prohibited",
        IcmpProblem::TooBig => "too big for the path",
        IcmpProblem::TimeExceeded => "TTL exceeded",
        IcmpProblem::Unreachable => "unreachable",
    }
}

/// The text of an ICMP error line: what the error says, which segment it
/// reports, and what follows.
pub(super) fn icmp(r: &IcmpReport, e: &IcmpError) -> String {
    let ends = r.ends.as_ref();
    let about = e.about.as_deref().unwrap_or("the destination");
    let mut t = format!(
        "ICMP error from {} to {} ({}): ",
        e.reporter,
        e.to,
        problem_name(e.problem)
    );
    let _ = match e.problem {
        IcmpProblem::NetUnreachable => write!(t, "a router on the way has no route to {about}."),
        IcmpProblem::HostUnreachable => write!(t, "a router could not deliver the packet to {about}."),
        IcmpProblem::ProtocolUnreachable => write!(t, "{about} does not handle the packet's protocol."),
        IcmpProblem::PortUnreachable => write!(
            t,
            "nothing on {about} accepts {} port {}; the host, or a firewall's REJECT rule, answered with ICMP instead of a TCP reset.",
            e.transport.as_deref().unwrap_or("that"),
            e.port.as_deref().unwrap_or("?")
        ),
        IcmpProblem::Prohibited => write!(t, "the way to {about} is closed by policy (a firewall rule or a prohibit route)."),
        IcmpProblem::TooBig => {
            t.push_str("a packet was larger than the next link takes");
            if let Some(mtu) = e.mtu {
                let _ = write!(t, " (MTU {mtu})");
            }
            write!(t, " and marked Don't Fragment: path MTU discovery.")
        }
        IcmpProblem::TimeExceeded => write!(t, "a packet's TTL (hop limit) ran out on the way (a routing loop, or a TTL set too low)."),
        IcmpProblem::Unreachable => write!(t, "{about} cannot be reached."),
    };
    let (Some(conn), Some(from), Some((client, server))) = (r.conn, r.from, ends) else {
        t.push_str(" No TCP connection in the capture matches it.");
        return t;
    };
    let peer = who(from.other());
    match r.segment {
        Some(s) => {
            let what = if s.syn {
                "SYN".to_string()
            } else if s.fin {
                "FIN".to_string()
            } else if s.len > 0 {
                format!("{} bytes", s.len)
            } else {
                "segment".to_string()
            };
            let _ = write!(
                t,
                " It reports the {}'s {what} of line {} (connection {conn}, {client} → {server})",
                who(from),
                s.line
            );
            if r.inferred {
                t.push_str(if e.problem == IcmpProblem::TooBig {
                    ": the error does not say which, and that is the earliest unacknowledged \
                     segment too big for the path not reported before"
                } else if e.port.is_some() {
                    ": the error names only the address and port, and that is the latest segment that fits"
                } else {
                    ": the error names only addresses, and that is the latest segment that fits"
                });
                t.push_str(if e.to.contains(':') {
                    " (an inference: tcpdump does not print the header an ICMPv6 error quotes)."
                } else {
                    " (an inference; the header the error quotes, which tcpdump prints under -v, \
                     makes it certain)."
                });
            } else {
                t.push_str(", whose header it quotes.");
            }
            if r.undelivered && (s.syn || s.fin) {
                let _ = write!(t, " That {what} never reached the {peer}: the {peer}'s state does not change for it.");
            } else if r.undelivered && s.len > 0 {
                let _ = write!(t, " Those {what} never reached the {peer}.");
            } else if r.undelivered {
                let _ = write!(t, " That segment never reached the {peer}.");
            } else {
                let _ = write!(t, " The states shown on line {} took its arrival for granted: the capture could not tell yet.", s.line);
            }
            if e.problem == IcmpProblem::TooBig {
                t.push_str(" The sender is expected to lower its segment size and send those bytes again in smaller segments.");
            }
        }
        None => {
            let _ = write!(
                t,
                " It concerns connection {conn} ({client} → {server}), though not a segment the capture shows.",
            );
        }
    }
    t
}
