//! Facts into plain English: one short paragraph per line, one per connection.
//! Everything said here is read off the reports; nothing is computed twice.

use crate::track::report::{
    Acked, ClosedBy, ConnectionSummary, Event, EventKind, Role, SegmentReport, Teardown, Transition,
};
use crate::track::state::TcpState;
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

/// Milliseconds with sensible precision.
pub fn ms(seconds: f64) -> String {
    let ms = seconds * 1000.0;
    if ms.abs() >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms.abs() >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

fn lines(list: &[u64]) -> String {
    match list {
        [] => String::new(),
        [one] => format!("line {one}"),
        [first, .., last] if list.len() > 3 => format!("lines {first}–{last}"),
        _ => {
            let parts: Vec<String> = list.iter().map(u64::to_string).collect();
            format!("lines {}", parts.join(", "))
        }
    }
}

/// Fills `report.text`.
pub fn segment(r: &mut SegmentReport) {
    let mut t = String::new();
    let has = |k: EventKind| r.events.iter().any(|e| e.kind == k);
    let flags = &r.flags;
    let (syn, fin, rst, ack) = (
        flags.contains('S'),
        flags.contains('F'),
        flags.contains('R'),
        flags.contains('.'),
    );
    let peer = who(r.from.other());
    let _ = write!(t, "{} → {}: ", capital(r.from), peer);

    // What it carries.
    let mut parts: Vec<String> = Vec::new();
    if syn && ack {
        parts.push(format!(
            "SYN-ACK, the {} accepts the connection and sends its own SYN",
            who(r.from)
        ));
    } else if syn {
        parts.push("SYN, asking to open a connection".into());
    }
    if let Some(raw) = r.seq_raw.filter(|_| syn) {
        parts.push(format!("initial sequence number {raw} (relative 0)"));
    }
    if r.len > 0 {
        let first = r.seq.unwrap_or(0);
        let last = first.wrapping_add(r.len).wrapping_sub(1);
        let mut data = if r.len == 1 {
            format!("1 byte of data (relative seq {first})")
        } else {
            format!("{} bytes of data (relative seq {first}–{last})", r.len)
        };
        if flags.contains('P') {
            data.push_str(" with PSH (push: deliver to the application at once)");
        }
        parts.push(data);
    }
    if flags.contains('U') {
        parts.push("URG set (urgent data: the urgent pointer marks where it ends)".into());
    }
    if flags.contains('E') && !syn {
        parts.push("ECE set (echoes a congestion mark seen by the receiver)".into());
    }
    if flags.contains('W') && !syn {
        parts.push("CWR set (the sender has reduced its congestion window)".into());
    }
    if flags.contains('E') && syn {
        parts.push("ECN offered".into());
    }
    if fin {
        parts.push(format!(
            "FIN: the {} has no more data to send (its application closed or shut down writing)",
            who(r.from)
        ));
    }
    if rst {
        let note = r
            .events
            .iter()
            .find(|e| e.kind == EventKind::Reset)
            .and_then(|e| e.note.as_deref());
        parts.push(match note {
            Some("refused") => {
                "RST in answer to the SYN: nothing listens on that port, the connection is refused"
                    .into()
            }
            Some("after_close") => {
                "RST after the connection was closed: data or an ACK arrived for a socket that no longer exists".into()
            }
            _ => "RST: the connection is aborted at once, without the FIN exchange (an application abort, SO_LINGER 0, or unread data at close)".into(),
        });
    }
    if parts.is_empty() {
        parts.push(if ack {
            "a pure ACK (no data)".into()
        } else {
            "a segment with no flags".into()
        });
    }
    t.push_str(&parts.join("; "));
    t.push('.');

    if let Some(o) = &r.offer {
        let mut offers = Vec::new();
        if let Some(m) = o.mss {
            offers.push(format!("MSS {m} (largest segment it accepts)"));
        }
        if o.sack_permitted {
            offers.push("SACK permitted".into());
        }
        if o.timestamps {
            offers.push("timestamps".into());
        }
        if let Some(w) = o.wscale {
            offers.push(format!(
                "window scale {w} (its windows count in units of {})",
                1u64 << w.min(14)
            ));
        }
        if o.fast_open {
            offers.push("a TCP Fast Open cookie".into());
        }
        if !offers.is_empty() {
            let _ = write!(t, " It offers {}.", offers.join(", "));
        }
    }

    // What the ACK acknowledges.
    if let Some(a) = &r.acked {
        t.push(' ');
        t.push_str(&acked(a, r.ack, peer));
    } else if ack && !rst && !fin && r.len == 0 && r.ack.is_some() && !syn {
        // (Said only of empty segments: one that carries data or a FIN is about that.)
        let _ = write!(
            t,
            " Its ACK (ack {}) acknowledges nothing new.",
            r.ack.unwrap_or(0)
        );
    }
    if let Some(line) = r
        .peer_fin_unacked
        .filter(|_| !has(EventKind::SimultaneousClose))
    {
        let _ = write!(t, " It does not acknowledge the {peer}'s FIN of line {line}: that FIN had not been processed when this was sent.");
    }
    if !r.sack.is_empty() {
        let blocks: Vec<String> = r
            .sack
            .iter()
            .map(|(a, b)| format!("{a}–{}", b.wrapping_sub(1)))
            .collect();
        let _ = write!(
            t,
            " SACK: it has also received bytes {} (so the bytes between its ACK and them are the ones missing).",
            blocks.join(", ")
        );
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
        if let Some(s) = event_sentence(e, r) {
            t.push(' ');
            t.push_str(&s);
        }
    }
    if !has(EventKind::Reset) && r.notes.iter().any(|n| n == "excerpt") {
        t.push_str(
            " The numbers look relative already (a pasted excerpt?): absolute values are unknown.",
        );
    }
    if r.notes.iter().any(|n| n == "roles_inferred") {
        t.push_str(" No SYN seen: the capture starts mid-connection; the client is guessed from the ports (inferred).");
    }

    // States.
    t.push(' ');
    t.push_str(&states(r));
    r.text = t;
}

fn acked(a: &Acked, ack: Option<u32>, peer: &str) -> String {
    let mut what = Vec::new();
    if a.syn {
        what.push("SYN".to_string());
    }
    if a.bytes > 0 {
        what.push(format!(
            "{} byte{}",
            a.bytes,
            if a.bytes == 1 { "" } else { "s" }
        ));
    }
    if a.fin {
        what.push("FIN".to_string());
    }
    let ack_text = ack.map(|v| format!(" (ack {v})")).unwrap_or_default();
    if what.is_empty() {
        return format!(
            "Its ACK{ack_text} moves forward to {} without covering a segment the capture shows.",
            a.last
        );
    }
    let mut s = format!(
        "Its ACK{ack_text} acknowledges the {peer}'s {}",
        what.join(" and ")
    );
    if !a.lines.is_empty() {
        let _ = write!(s, " of {}", lines(&a.lines));
    }
    if let Some(rtt) = a.rtt {
        let _ = write!(s, ", {} after it was sent", ms(rtt));
    }
    s.push('.');
    s
}

fn event_sentence(e: &Event, r: &SegmentReport) -> Option<String> {
    let of = |prefix: &str| {
        e.of_line
            .map(|l| format!("{prefix} line {l}"))
            .unwrap_or_default()
    };
    let peer = who(r.from.other());
    Some(match e.kind {
        EventKind::Retransmission => {
            if r.events.iter().any(|x| {
                matches!(
                    x.kind,
                    EventKind::FastRetransmission | EventKind::SpuriousRetransmission
                )
            }) {
                return None;
            }
            format!("Retransmission{}: this sequence range was sent before, so the sender believed it lost (its retransmission timer fired).", of(" of"))
        }
        EventKind::FastRetransmission => format!("Fast retransmission{}: the {peer} sent duplicate ACKs for these bytes, so the sender resent them without waiting for its timer.", of(" of")),
        EventKind::SpuriousRetransmission => "Spurious retransmission: every byte here had already been acknowledged; the resend was unnecessary.".into(),
        EventKind::OutOfOrder => "Out of order: these bytes come before data already seen and arrive soon after it (reordered in the network, not resent).".into(),
        EventKind::LostSegment => "Previous segment not captured: this starts beyond the end of what the sender was seen to send; a segment was lost before the capture point, or the capture missed it.".into(),
        EventKind::AckLostSegment => format!("ACKed unseen segment: it acknowledges data the capture never showed from the {peer} (missed by the capture)."),
        EventKind::DuplicateAck => format!(
            "Duplicate ACK #{}{}: same ack, same window, no data; the receiver is still waiting for the byte after its ACK (a gap, or a lost segment).",
            e.count.unwrap_or(1),
            of(" of the ACK on")
        ),
        EventKind::ZeroWindow => return None, // said with the window
        EventKind::ZeroWindowProbe => format!("Zero-window probe: one byte sent into the {peer}'s zero window to learn when it opens."),
        EventKind::ZeroWindowProbeAck => "Reply to a zero-window probe: the window is still closed.".into(),
        EventKind::WindowFull => format!("Window full: this segment fills the {peer}'s advertised window exactly; the sender must wait for an ACK."),
        EventKind::WindowUpdate => "Window update: only the advertised window changed (the receiver made room).".into(),
        EventKind::KeepAlive => {
            if r.len == 0 {
                "Keep-alive (Wireshark's label): it re-sends the byte before the next one, to make the peer answer. An empty segment one byte behind is also how Linux probes a zero window, so when the peer's window is 0 this is a zero-window probe.".into()
            } else {
                "Keep-alive: it re-sends the last byte the peer has already acknowledged, to make the peer answer.".into()
            }
        }
        EventKind::KeepAliveAck => "Keep-alive ACK: the peer answers the probe; it is alive.".into(),
        EventKind::ReusedPorts => "Port numbers reused: a new connection on the same addresses and ports as an earlier one.".into(),
        EventKind::SynRetransmission => format!(
            "SYN sent again{} (attempt {}){}: no SYN-ACK came back in time; the wait doubles each time (Linux: 1 s, 2 s, 4 s …).",
            of(", first on"),
            e.count.map_or(2, |c| c.saturating_add(1)),
            e.seconds.map(|s| format!(", {} after the previous one", ms(s))).unwrap_or_default()
        ),
        EventKind::Reset => return None, // said with the flags
        EventKind::DelayedAck => format!(
            "This ACK waited {}{}: likely a delayed ACK (Linux waits 40 ms to 200 ms hoping to piggy-back the ACK on data) — an inference from timing.",
            e.seconds.map(ms).unwrap_or_default(),
            of(" after the segment on")
        ),
        EventKind::FinAcksFin => format!(
            "So this FIN carries the ACK of the {peer}'s FIN{}: the close takes three segments instead of four. Most likely the {}'s application closed before its delayed ACK fired, so the ACK rode on the FIN.",
            of(" on"),
            who(r.from)
        ),
        EventKind::SimultaneousClose => format!(
            "This FIN does not acknowledge the {peer}'s FIN{}: it was sent before that FIN arrived. The two FINs crossed in flight — a simultaneous close, in which both ends pass through CLOSING.",
            of(" of")
        ),
        EventKind::HalfClose => format!(
            "Data after the {peer}'s FIN{}: a half-close; the {peer} stopped sending but still receives.",
            of(" on")
        ),
        EventKind::Evicted => return None,
    })
}

fn states(r: &SegmentReport) -> String {
    let mut parts = Vec::new();
    for role in [Role::Client, Role::Server] {
        let steps: Vec<&Transition> = r.transitions.iter().filter(|t| t.who == role).collect();
        if steps.is_empty() {
            parts.push(format!("{} {}", who(role), r.state.get(role)));
            continue;
        }
        let mut chain = steps
            .first()
            .map(|t| t.from.to_string())
            .unwrap_or_default();
        for t in &steps {
            let _ = write!(chain, " → {}", t.to);
        }
        let reasons: Vec<String> = steps
            .iter()
            .map(|t| {
                let mut why = t.why.clone();
                if t.cause_line != r.line {
                    let _ = write!(why, " (line {})", t.cause_line);
                }
                if t.inferred {
                    why.push_str(", assumed");
                }
                why
            })
            .collect();
        parts.push(format!("{} {chain} ({})", who(role), reasons.join("; ")));
    }
    let mut s = format!("Now: {}.", parts.join(", "));
    let late = r
        .transitions
        .iter()
        .find(|t| t.cause_line < r.line && t.who == r.from && !t.inferred);
    if let Some(t) = late {
        let _ = write!(
            s,
            " The {} had not yet processed line {} when it sent its previous segment (that ACK did not cover it); this ACK shows it has now.",
            who(t.who),
            t.cause_line
        );
    }
    if r.transitions.iter().any(|t| t.to == TcpState::TimeWait) {
        s.push_str(" TIME_WAIT lasts 2×MSL (60 s on Linux) so that late segments die out.");
    }
    s
}

/// Fills `summary.text`. `late` are state changes after the last line (assumed deliveries).
pub fn connection(s: &mut ConnectionSummary, late: &[Transition]) {
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
    match s.handshake.as_str() {
        "complete" => {
            t.push_str(" Three-way handshake seen");
            if let Some(rtt) = s.handshake_rtt {
                let _ = write!(t, " (round trip {})", ms(rtt));
            }
            t.push('.');
        }
        "partial" => t.push_str(" Only part of the handshake was seen."),
        _ => t.push_str(" The capture starts after the handshake."),
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
            Teardown::ThreeWay => format!("Closed in three segments: {} sent the first FIN; the other side's FIN carried the ACK of it.", closer(s.closed_by)),
            Teardown::FourWay => format!("Closed in four segments: {} sent the first FIN, the other side acknowledged it separately, then sent its own FIN.", closer(s.closed_by)),
            Teardown::Simultaneous => "Simultaneous close: both FINs crossed in flight; both ends went through CLOSING.".to_string(),
            Teardown::Reset => format!("Ended by a RST from {}.", closer(s.closed_by)),
            Teardown::Refused => "Refused: the server answered the SYN with RST.".to_string(),
            Teardown::HalfClosed => format!("Half-closed: {} sent FIN; the other side never closed in the capture.", closer(s.closed_by)),
            Teardown::Open => "Still open when the capture ends.".to_string(),
        }
    );
    let _ = write!(
        t,
        " Final states: client {}, server {}.",
        s.final_state.client, s.final_state.server
    );
    if !late.is_empty() {
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
            match v.as_str() {
                "server" => "near the server",
                "client" => "near the client",
                _ => "between the two",
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
    s.text = t;
}
