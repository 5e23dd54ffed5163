//! The three real dumps of the article, explained exactly right: states at every
//! line, what each ACK acknowledges, and the shape of each close.

use tcpexplain::track::report::{ClosedBy, Teardown};
use tcpexplain::{ConnectionSummary, EventKind, Item, SegmentReport, TcpState};
use TcpState::*;

fn run(name: &str) -> (Vec<SegmentReport>, Vec<ConnectionSummary>) {
    let path = format!("{}/tests/data/article/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut segments = Vec::new();
    let mut conns = Vec::new();
    for item in tcpexplain::explain(&text) {
        match item {
            Item::Line {
                report: Some(r), ..
            } => segments.push(*r),
            Item::Connection(c) => conns.push(*c),
            Item::Line { record, .. } => panic!("line {} not explained as TCP", record.line),
        }
    }
    (segments, conns)
}

fn states(segments: &[SegmentReport]) -> Vec<(TcpState, TcpState)> {
    segments
        .iter()
        .map(|s| (s.state.client, s.state.server))
        .collect()
}

fn has(s: &SegmentReport, kind: EventKind) -> bool {
    s.events.iter().any(|e| e.kind == kind)
}

/// Every state a side passed through on a line, in order.
fn path(s: &SegmentReport, client: bool) -> Vec<TcpState> {
    s.transitions
        .iter()
        .filter(|t| (t.who == tcpexplain::Role::Client) == client)
        .map(|t| t.to)
        .collect()
}

#[test]
fn close3_three_segment_close() {
    let (segs, conns) = run("close3.txt");
    assert_eq!(
        states(&segs),
        [
            (SynSent, SynReceived),
            (Established, SynReceived),
            (Established, Established),
            (Established, Established),
            (Established, Established),
            (Established, Established),
            (Established, FinWait1),
            (Established, FinWait1),
            (LastAck, TimeWait),
            (Closed, TimeWait),
        ]
    );
    // Line 8 acknowledges only the data of line 6, not the FIN of line 7.
    let l8 = segs[7].acked.as_ref().unwrap();
    assert_eq!((l8.bytes, l8.fin, l8.lines.to_vec()), (6, false, vec![6]));
    assert_eq!(segs[7].peer_fin_unacked, Some(7));
    // Line 9's FIN carries the ACK of line 7's FIN.
    let l9 = segs[8].acked.as_ref().unwrap();
    assert!(l9.fin && l9.lines.as_slice() == [7]);
    assert!(has(&segs[8], EventKind::FinAcksFin));
    assert_eq!(path(&segs[8], true), [CloseWait, LastAck]);
    assert_eq!(path(&segs[8], false), [FinWait2, TimeWait]);
    let c = &conns[0];
    assert_eq!(c.teardown, Teardown::ThreeWay);
    assert_eq!(c.closed_by, Some(ClosedBy::Server));
    assert_eq!(c.time_wait, [tcpexplain::Role::Server]);
    assert_eq!(c.conn_state, "SF");
    assert!(segs[8].text.contains("three segments instead of four"));
}

#[test]
fn close4_four_segment_close_with_delayed_ack() {
    let (segs, conns) = run("close4.txt");
    assert_eq!(
        states(&segs)[7..],
        [
            (FinWait1, CloseWait),
            (FinWait2, CloseWait),
            (TimeWait, LastAck),
            (TimeWait, Closed),
        ]
    );
    let ack = &segs[8];
    assert!(ack.acked.as_ref().unwrap().fin);
    let delayed = ack
        .events
        .iter()
        .find(|e| e.kind == EventKind::DelayedAck)
        .expect("line 9 is a delayed ACK");
    let waited = delayed.seconds.unwrap();
    assert!((0.035..0.045).contains(&waited), "{waited}");
    assert_eq!(conns[0].teardown, Teardown::FourWay);
    assert_eq!(conns[0].closed_by, Some(ClosedBy::Client));
    assert_eq!(conns[0].time_wait, [tcpexplain::Role::Client]);
}

#[test]
fn closing_simultaneous_close_through_closing() {
    let (segs, conns) = run("closing.txt");
    assert_eq!(
        states(&segs),
        [
            (Established, FinWait1),
            (FinWait1, Closing),
            (FinWait1, Closing),
            (TimeWait, TimeWait),
        ]
    );
    // Line 2's FIN does not acknowledge line 1's: the FINs crossed.
    assert!(has(&segs[1], EventKind::SimultaneousClose));
    assert_eq!(path(&segs[1], false), [Closing]);
    // The client processes line 1's FIN only when its ACK (line 4) covers it.
    assert_eq!(path(&segs[3], true), [Closing, TimeWait]);
    assert_eq!(path(&segs[3], false), [TimeWait]);
    let c = &conns[0];
    assert_eq!(c.teardown, Teardown::Simultaneous);
    assert_eq!(c.closed_by, Some(ClosedBy::Both));
    assert_eq!(c.time_wait.len(), 2);
    // The capture starts mid-stream: the first line's numbers are absolute, then relative.
    assert_eq!(segs[0].seq_raw, Some(3633446994));
    assert_eq!(segs[3].ack_raw, Some(3633446995));
    assert!(c.roles_inferred);
}
