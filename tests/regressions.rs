//! Regression tests: inputs that once broke an invariant.
//!
//! - Every file under `tests/data/fuzz/crashes/` (inputs the fuzz targets in
//!   `fuzz/` found, minimised) and `tests/data/fuzz/seeds/` (hand-made seeds for
//!   them) goes through the same two paths as the fuzz targets, with the same
//!   checks: `parse_line` plus `RecordReader`, and the whole engine plus every
//!   renderer.
//! - Named tests keep the property-test findings (tests/props.rs), each with its
//!   minimal input, checking that the states shown on each line follow from the
//!   transitions shown, along RFC 9293's diagram.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;
use tcpexplain::reader::RecordReader;
use tcpexplain::render::{self, diagram, document, jsonl, text, tsg};
use tcpexplain::track::report::{Role, SegmentReport};
use tcpexplain::track::state::TcpState::{self, *};
use tcpexplain::Lang;
use tcpexplain::{parse_line, Explainer, Item, Options, RecordKind};

// ===================================================================
// Inputs kept from fuzzing, through the fuzz targets' paths
// ===================================================================

fn inputs(dir: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fuzz")).join(dir);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// The `parse_line` fuzz target's path and checks.
fn parse_path(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_line(&text);
    let mut non_blank = 0u64;
    for line in text.split('\n') {
        if !line.trim().is_empty() {
            non_blank += 1;
        }
        if let RecordKind::Unparsed(d) = parse_line(line) {
            assert!(d.column >= 1, "{d:?}");
            assert!(!d.expected.is_empty(), "{d:?}");
        }
    }
    let mut covered = 0u64;
    let mut kept_blanks = 0u64;
    let mut next = 1u64;
    for record in RecordReader::new(data) {
        let record = record.unwrap();
        assert!(record.lines >= 1);
        assert!(record.line >= next, "records overlap or go backwards");
        next = record.line + u64::from(record.lines);
        let pieces: Vec<&str> = record.text.split('\n').collect();
        assert_eq!(pieces.len(), record.lines as usize);
        kept_blanks += pieces.iter().filter(|p| p.trim().is_empty()).count() as u64;
        covered += u64::from(record.lines);
    }
    assert_eq!(
        covered,
        non_blank + kept_blanks,
        "every non-blank line once"
    );
}

/// The `pipeline` fuzz target's path and checks (its first two bytes are not
/// control bytes here: the defaults and tiny limits are both run).
fn pipeline_path(data: &[u8], options: Options, flush_every: usize) -> Vec<Item> {
    let input = String::from_utf8_lossy(data);
    let mut explainer = Explainer::with_options(options);
    let mut items = Vec::new();
    let mut sink = Vec::new();
    let mut non_blank = 0u64;
    for (i, line) in input.lines().enumerate() {
        if !line.trim().is_empty() {
            non_blank += 1;
        }
        explainer.push_line(line);
        if flush_every != 0 && i % flush_every == flush_every - 1 {
            explainer.flush();
        }
        items.extend(std::iter::from_fn(|| explainer.next_item()));
    }
    explainer.finish();
    items.extend(std::iter::from_fn(|| explainer.next_item()));
    for item in &items {
        text::item(item, &text::TextOptions::default(), &mut sink).unwrap();
        jsonl::write(item, tcpexplain::Lang::En, &mut sink).unwrap();
    }
    let (first, second) = items.split_at(items.len() / 2);
    for sections in [&[("input", &items[..])][..], &[("a", first), ("b", second)]] {
        let _ = document::markdown(sections, Lang::En);
        let _ = document::html(sections, "input", Lang::En);
        let _ = document::json(sections);
    }
    for view in render::by_connection(&items) {
        let _ = diagram::ladder(&view, false, Lang::En);
        let _ = diagram::svg(&view, Lang::En);
        let _ = tsg::svg(&view, tsg::data_direction(&view), "t", Lang::En);
    }

    let mut last = 0u64;
    let mut covered = 0u64;
    let mut kept_blanks = 0u64;
    let mut summarised = HashSet::new();
    for item in &items {
        match item {
            Item::Line { record, report, .. } => {
                assert!(record.line > last, "lines out of order");
                last = record.line + u64::from(record.lines) - 1;
                covered += u64::from(record.lines);
                // (Without its text, a segment's blank lines are not counted.)
                if !record.text.is_empty() {
                    kept_blanks += record
                        .text
                        .split('\n')
                        .filter(|p| p.trim().is_empty())
                        .count() as u64;
                }
                if let Some(r) = report {
                    assert!(
                        !summarised.contains(&r.conn),
                        "line {} after its connection's summary",
                        r.line
                    );
                }
            }
            Item::Connection(s) => assert!(summarised.insert(s.conn), "summarised twice"),
        }
    }
    if options.reports && !options.segment_text {
        // Blank lines inside a segment (an `-A` dump) are not counted without its text.
        assert!(covered >= non_blank + kept_blanks, "every line answered");
    } else if options.reports {
        assert_eq!(covered, non_blank + kept_blanks, "every line answered");
    } else {
        assert_eq!(covered, 0, "summaries only: no line items");
    }
    items
}

/// Without segments' text (`--format jsonl`), a TCP header quoted in an ICMP
/// error keeps its text: it is shown as it is, not through a report.
#[test]
fn a_quoted_tcp_header_keeps_its_text_without_segment_text() {
    let input = "16:01:13.577306 IP 10.66.0.2 > 10.66.0.1: ICMP host 10.67.0.9 unreachable, length 68\n\
                 \tIP 10.66.0.1.50368 > 10.67.0.9.80: Flags [S], seq 2738403834, win 64240, length 0\n";
    let items = tcpexplain::explain_with(
        input,
        Options {
            segment_text: false,
            ..Options::default()
        },
    );
    let quoted: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            Item::Line { record, .. } => match &record.kind {
                RecordKind::Tcp(p) if p.quoted => Some(record.text.as_str()),
                _ => None,
            },
            Item::Connection(_) => None,
        })
        .collect();
    assert_eq!(quoted, [input.lines().nth(1).unwrap()]);
}

/// A flood of ICMP errors about one connection: each is still linked and
/// explained, and the connection keeps only the first ones (memory and the
/// per-segment checks stay bounded).
/// Reports kept without their explanation (`Options::explanations` off, as a
/// whole trace in Python keeps them) render exactly as those that kept it:
/// the text is written from the report alone. Real captures, every rendering.
#[test]
fn explanations_written_when_asked_are_those_kept() {
    let mut files: Vec<PathBuf> = fs::read_dir("tests/data/captures")
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|dir| fs::read_dir(dir.path()).into_iter().flatten().flatten())
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.extend(
        fs::read_dir("tests/data/article")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    assert!(files.len() > 50, "captures found: {}", files.len());
    let render = |items: &[Item]| {
        let mut out = Vec::new();
        for item in items {
            jsonl::write(item, tcpexplain::Lang::En, &mut out).unwrap();
            text::item(item, &text::TextOptions::default(), &mut out).unwrap();
        }
        out
    };
    for path in files {
        let input = fs::read_to_string(&path).unwrap();
        let kept = tcpexplain::explain(&input);
        let bare = tcpexplain::explain_with(
            &input,
            Options {
                explanations: false,
                ..Options::default()
            },
        );
        assert!(
            reports(&bare).iter().all(|r| r.text.is_empty()),
            "{}",
            path.display()
        );
        assert!(
            reports(&kept).iter().all(|r| !r.text.is_empty()),
            "{}",
            path.display()
        );
        assert!(render(&kept) == render(&bare), "{}", path.display());
    }
}

#[test]
fn an_icmp_flood_keeps_only_the_first_errors() {
    let mut input = String::from(
        "16:01:13.000000 IP 10.66.0.1.50368 > 10.67.0.9.80: Flags [S], seq 100, win 64240, length 0\n",
    );
    for i in 0..20_000 {
        input.push_str(&format!(
            "16:01:13.{:06} IP 10.66.0.2 > 10.66.0.1: ICMP host 10.67.0.9 unreachable, length 68\n",
            i % 1_000_000
        ));
    }
    let items = tcpexplain::explain(&input);
    let linked = items
        .iter()
        .filter(|i| matches!(i, Item::Line { icmp: Some(r), .. } if r.conn == Some(0)))
        .count();
    assert_eq!(linked, 20_000);
    let Some(Item::Connection(summary)) = items.last() else {
        panic!("no summary");
    };
    assert_eq!(summary.icmp_errors.len(), 64);
    assert_eq!(summary.icmp_errors[0].line, 2);
}

#[test]
fn fuzz_inputs_stay_fixed() {
    let tiny = Options {
        max_connections: 1,
        max_held: 1,
        linger: 0,
        reports: true,
        segment_text: true,
        explanations: true,
        lang: tcpexplain::Lang::ZhHans,
    };
    let jsonl = Options {
        segment_text: false,
        ..Options::default()
    };
    let summaries_only = Options {
        reports: false,
        ..Options::default()
    };
    for (path, data) in inputs("crashes").into_iter().chain(inputs("seeds")) {
        let name = path.display().to_string();
        let run = std::panic::catch_unwind(|| {
            parse_path(&data);
            pipeline_path(&data, Options::default(), 0);
            pipeline_path(&data, tiny, 3);
            pipeline_path(&data, summaries_only, 1);
            pipeline_path(&data, jsonl, 2);
        });
        assert!(run.is_ok(), "{name} failed");
    }
}

// ===================================================================
// States: property-test findings
// ===================================================================

fn explain(input: &str) -> Vec<Item> {
    tcpexplain::explain(input)
}

fn reports(items: &[Item]) -> Vec<&SegmentReport> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Line {
                report: Some(r), ..
            } => Some(&**r),
            _ => None,
        })
        .collect()
}

/// The states a connection starts in, as its first line's flags tell (the
/// server CLOSED instead of LISTEN when it refuses the attempt with RST).
fn start_states(flags: &str, first: &SegmentReport) -> [TcpState; 2] {
    let start = |role: Role| {
        first
            .transitions
            .iter()
            .find(|t| t.who == role)
            .map_or(first.state.get(role), |t| t.from)
    };
    let expected = match (flags.contains('S'), flags.contains('.')) {
        (true, false) => [Closed, Listen],
        (true, true) => [SynSent, Listen],
        _ => [Established, Established],
    };
    let shown = [start(Role::Client), start(Role::Server)];
    let refused = expected[1] == Listen && shown == [expected[0], Closed];
    // A first RST+ACK at seq 0 answers an attempt the capture does not show.
    let unseen_attempt =
        flags == "R." && first.seq_raw.or(first.seq) == Some(0) && shown == [Closed, Closed];
    if refused || unseen_attempt {
        shown
    } else {
        expected
    }
}

fn side(role: Role) -> usize {
    match role {
        Role::Client => 0,
        Role::Server => 1,
    }
}

/// Every transition moves from the state its side was in, to another state; the
/// states each line shows are where its transitions lead; every line comes
/// before its connection's summary, explained. Returns each connection's states
/// after its last line.
fn assert_consistent(input: &str, items: &[Item]) -> HashMap<usize, [TcpState; 2]> {
    let flags: Vec<String> = input
        .lines()
        .map(|l| {
            let start = l.find("Flags [").unwrap() + 7;
            l[start..start + l[start..].find(']').unwrap()].to_string()
        })
        .collect();
    let mut states: HashMap<usize, [TcpState; 2]> = HashMap::new();
    let mut summarised = HashSet::new();
    for item in items {
        let r = match item {
            Item::Connection(s) => {
                summarised.insert(s.conn);
                continue;
            }
            Item::Line {
                report: Some(r), ..
            } => r,
            Item::Line { .. } => continue,
        };
        assert!(
            !summarised.contains(&r.conn),
            "line {} comes after its connection's summary",
            r.line
        );
        assert!(!r.text.is_empty(), "line {} is not explained", r.line);
        let now = states
            .entry(r.conn)
            .or_insert_with(|| start_states(&flags[r.line as usize - 1], r));
        for t in &r.transitions {
            assert_ne!(
                t.from, t.to,
                "line {}: a transition to itself: {t:?}",
                r.line
            );
            assert_eq!(
                t.from,
                now[side(t.who)],
                "line {}: {} moves from {} but was {}",
                r.line,
                t.who.name(),
                t.from,
                now[side(t.who)]
            );
            now[side(t.who)] = t.to;
        }
        assert_eq!(
            [r.state.client, r.state.server],
            *now,
            "line {}: the states shown are not where its transitions lead",
            r.line
        );
    }
    states
}

fn summary_states(items: &[Item], conn: usize) -> [TcpState; 2] {
    items
        .iter()
        .find_map(|i| match i {
            Item::Connection(s) if s.conn == conn => {
                Some([s.final_state.client, s.final_state.server])
            }
            _ => None,
        })
        .unwrap()
}

/// A second RST answering a refused SYN changes nothing: no CLOSED → CLOSED.
#[test]
fn second_rst_of_a_refused_connection_is_not_a_transition() {
    let input = "\
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [S], seq 0, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [R.], seq 0, ack 1, win 0, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [R.], seq 0, ack 1, win 0, length 0
";
    let items = explain(input);
    let r = reports(&items);
    assert_eq!(r.len(), 3);
    assert!(r[2].transitions.is_empty(), "{:?}", r[2].transitions);
    assert_eq!(assert_consistent(input, &items)[&0], [Closed, Closed]);
}

/// The client's SYN-ACK (line 2) is processed late, at line 5; the FIN of line 4
/// behind it cannot be shown before it: the client reaches ESTABLISHED, then
/// CLOSE_WAIT, and ends there.
#[test]
fn a_change_behind_a_deferred_one_is_not_shown_before_it() {
    let input = "\
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [S], seq 0, win 502, length 0
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [S.], seq 0, ack 1, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [S.], seq 1, ack 0, win 502, length 0
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [FP.], seq 1:2, ack 2, win 502, length 1
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [S.], seq 2, ack 3, win 502, length 0
";
    let items = explain(input);
    let last = assert_consistent(input, &items);
    assert_eq!(last[&0][0], CloseWait);
    assert_eq!(summary_states(&items, 0), last[&0]);
}

/// Line 4 (data, no state change foreseen) is released at once; it is processed
/// at line 5 and acknowledges the server's SYN of that same line. That change
/// cannot go on line 4, already shown, and must come before the server's
/// CLOSE_WAIT of line 6: the server ends in CLOSE_WAIT, not ESTABLISHED.
#[test]
fn a_change_for_a_line_already_shown_is_not_lost() {
    let input = "\
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [R.], seq 0, ack 0, win 0, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [S], seq 0, win 502, length 0
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [.], seq 0, ack 1, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [P.], seq 1:2, ack 0, win 502, length 1
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [S.], seq 0, ack 2, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [F.], seq 2, ack 1, win 502, length 0
";
    let items = explain(input);
    let last = assert_consistent(input, &items);
    assert_eq!(last[&1][1], CloseWait);
    assert_eq!(summary_states(&items, 1), last[&1]);
}

/// A new SYN on a finished 4-tuple (line 6) ends connection 1 while connection 0
/// still holds line 4 back: connection 1's line 5 must still come before its
/// summary, with its states and explanation.
#[test]
fn lines_held_behind_another_connection_come_before_their_summary() {
    let input = "\
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [P.], seq 0:1, ack 0, win 502, length 1
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.1.40000: Flags [R], seq 0, win 0, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.2.40001: Flags [FP.], seq 0:1, ack 0, win 502, length 1
11:00:00.000000 IP 10.0.0.1.40000 > 10.0.1.1.80: Flags [S.], seq 1, ack 0, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.2.40001: Flags [S.], seq 2, ack 0, win 502, length 0
11:00:00.000000 IP 10.0.1.1.80 > 10.0.0.2.40001: Flags [S], seq 3, win 502, length 0
";
    let items = explain(input);
    let last = assert_consistent(input, &items);
    assert_eq!(last[&1], [CloseWait, FinWait1]);
    assert_eq!(summary_states(&items, 1), last[&1]);
}

/// A real capture: the server's ACK on line 34 does not cover line 33 (data,
/// processed later), then the FIN of line 35 comes and line 36 acknowledges
/// both. The FIN is shown processed on its own line: the data segment before
/// it changes nothing, so it cannot move the FIN's change to line 36 (nor say
/// that the server "had not yet processed" a FIN sent after its last ACK).
#[test]
fn a_fin_answered_at_once_is_shown_on_its_line_after_deferred_data() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/captures/zero_window/nn.txt"
    );
    let input = fs::read_to_string(path).unwrap();
    let items = explain(&input);
    let r = reports(&items);
    let line = |n: u64| r.iter().find(|r| r.line == n).unwrap();
    assert_eq!(line(34).state.server, Established);
    assert_eq!(line(35).state.server, CloseWait);
    assert!(
        !line(36).text.contains("had not yet processed"),
        "{}",
        line(36).text
    );
    assert_consistent(&input, &items);
}

/// A `-v` header line with no line after it is reported where its transport
/// line was due: at the end of that line, not on a line the input lacks.
#[test]
fn a_v_header_line_at_the_end_of_the_input() {
    let header = "IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60)";
    for input in [
        header.to_string(),
        format!("{header}\n"),
        format!("\t{header}"),
    ] {
        let records: Vec<_> = RecordReader::new(input.as_bytes())
            .map(Result::unwrap)
            .collect();
        let [record] = records.as_slice() else {
            panic!("one record: {records:?}");
        };
        let RecordKind::Unparsed(d) = &record.kind else {
            panic!("unparsed: {record:?}");
        };
        assert_eq!((record.line, d.line), (1, 1), "{input:?}");
        assert_eq!(d.column as usize, d.text.chars().count() + 1, "{input:?}");
        assert!(d.expected.contains("follows an IPv4 `-v` header line"));
    }
}
