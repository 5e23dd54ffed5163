//! Real captures made between network namespaces, rendered by tcpdump with and
//! without -S and with -v, checked frame by frame against tshark: the parsed
//! fields (addresses, ports, flags, seq/ack as printed, window, options, payload
//! length), the absolute and relative numbers, which segment each ACK
//! acknowledges, and Wireshark's analysis events.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tcpexplain::model::{Flags, RecordKind, TcpPacket};
use tcpexplain::track::report::ConnectionSummary;
use tcpexplain::{Item, SegmentReport};

const WIRESHARK_KINDS: [&str; 15] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "lost_segment",
    "ack_lost_segment",
    "duplicate_ack",
    "zero_window",
    "zero_window_probe",
    "zero_window_probe_ack",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
    "reused_ports",
];

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("oracle.tsv").exists())
        .collect();
    dirs.sort();
    dirs
}

fn oracle(dir: &Path) -> Vec<HashMap<String, String>> {
    tsv(&dir.join("oracle.tsv"))
}

/// A tshark table with a header line: one map per row.
fn tsv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split('\t').map(String::from))
                .collect()
        })
        .collect()
}

fn segments(path: &Path) -> Vec<(TcpPacket, SegmentReport)> {
    let text = std::fs::read_to_string(path).unwrap();
    tcpexplain::explain(&text)
        .into_iter()
        .filter_map(|item| match item {
            Item::Line {
                record,
                report: Some(r),
                ..
            } => match record.kind {
                RecordKind::Tcp(p) => Some((*p, *r)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The connection summaries of a rendering.
fn summaries(path: &Path) -> Vec<ConnectionSummary> {
    let text = std::fs::read_to_string(path).unwrap();
    tcpexplain::explain(&text)
        .into_iter()
        .filter_map(|i| match i {
            Item::Connection(c) => Some(*c),
            Item::Line { .. } => None,
        })
        .collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> Option<u64> {
    row.get(key).and_then(|v| v.parse().ok())
}

/// Compares one rendering with the oracle; returns the disagreements.
fn compare(dir: &Path, rendering: &str, rows: &[HashMap<String, String>]) -> Vec<String> {
    let segs = segments(&dir.join(rendering));
    // Line of each segment -> its frame number (for tshark's acks_frame).
    let frame_of: HashMap<u64, &str> = segs
        .iter()
        .zip(rows)
        .map(|((_, r), row)| (r.line, row["frame.number"].as_str()))
        .collect();
    let name = format!("{}/{rendering}", dir.file_name().unwrap().to_string_lossy());
    let mut bad = Vec::new();
    if segs.len() != rows.len() {
        bad.push(format!(
            "{name}: {} segments, tshark {}",
            segs.len(),
            rows.len()
        ));
        return bad;
    }
    let absolute = rendering.contains("_S");
    for (i, ((p, r), row)) in segs.iter().zip(rows).enumerate() {
        let frame = i + 1;
        macro_rules! check {
            ($what:expr, $ours:expr, $theirs:expr) => {{
                let (ours, theirs): (Option<u64>, Option<u64>) = ($ours, $theirs);
                if ours != theirs {
                    bad.push(format!(
                        "{name} frame {frame}: {} {ours:?}, tshark {theirs:?}",
                        $what
                    ));
                }
            }};
        }
        // The parser: fields as printed.
        let src = row
            .get("ip.src")
            .filter(|v| !v.is_empty())
            .or(row.get("ipv6.src"));
        if Some(p.src.host.as_str()) != src.map(String::as_str) {
            bad.push(format!(
                "{name} frame {frame}: src {} vs {src:?}",
                p.src.host
            ));
        }
        check!(
            "src port",
            p.src.port_number().map(u64::from),
            num(row, "tcp.srcport")
        );
        check!(
            "dst port",
            p.dst.port_number().map(u64::from),
            num(row, "tcp.dstport")
        );
        check!(
            "win",
            p.win.map(u64::from),
            num(row, "tcp.window_size_value")
        );
        check!("len", Some(u64::from(p.payload_len())), num(row, "tcp.len"));
        check!(
            "mss",
            p.mss().map(u64::from),
            num(row, "tcp.options.mss_val")
        );
        check!(
            "wscale",
            p.wscale().map(u64::from),
            num(row, "tcp.options.wscale.shift")
        );
        check!(
            "TS val",
            p.timestamps().map(|t| u64::from(t.0)),
            num(row, "tcp.options.timestamp.tsval")
        );
        let tflags = row.get("tcp.flags.str").cloned().unwrap_or_default();
        for (letter, flag) in [
            ('S', Flags::SYN),
            ('A', Flags::ACK),
            ('F', Flags::FIN),
            ('R', Flags::RST),
            ('P', Flags::PSH),
        ] {
            if p.flags.contains(flag) != tflags.contains(letter) {
                bad.push(format!(
                    "{name} frame {frame}: flag {letter} differs ({tflags})"
                ));
            }
        }
        let has_ack = p.flags.contains(Flags::ACK);
        if absolute {
            check!(
                "printed seq",
                p.seq.map(|s| u64::from(s.first)),
                p.seq.and(num(row, "tcp.seq_raw"))
            );
            check!(
                "printed ack",
                p.ack.map(u64::from),
                p.ack.and(num(row, "tcp.ack_raw"))
            );
        }
        // The tracker: absolute and relative numbers.
        check!(
            "seq_raw",
            r.seq_raw.map(u64::from),
            r.seq.and(num(row, "tcp.seq_raw"))
        );
        check!("seq", r.seq.map(u64::from), p.seq.and(num(row, "tcp.seq")));
        if has_ack {
            check!("ack_raw", r.ack_raw.map(u64::from), num(row, "tcp.ack_raw"));
            check!("ack", r.ack.map(u64::from), num(row, "tcp.ack"));
        }
        // Wireshark's analysis events.
        let ours: BTreeSet<&str> = r
            .events
            .iter()
            .map(|e| e.kind.name())
            .filter(|k| WIRESHARK_KINDS.contains(k))
            .collect();
        let theirs: BTreeSet<&str> = WIRESHARK_KINDS
            .iter()
            .copied()
            .filter(|k| {
                row.get(&format!("tcp.analysis.{k}"))
                    .is_some_and(|v| !v.is_empty())
            })
            .collect();
        if ours != theirs {
            bad.push(format!(
                "{name} frame {frame}: events {ours:?}, tshark {theirs:?}"
            ));
        }
        // What the ACK acknowledges: the segment that ends where it points
        // (Wireshark names its first copy; the copy answered is checked below).
        let acks = r
            .acked
            .as_ref()
            .filter(|a| a.rtt.is_some())
            .and_then(|a| a.wireshark_line.as_ref().or(a.lines.last()))
            .and_then(|l| frame_of.get(l).copied())
            .unwrap_or_default();
        let theirs = row
            .get("tcp.analysis.acks_frame")
            .map_or("", String::as_str);
        if acks != theirs {
            bad.push(format!(
                "{name} frame {frame}: acks frame {acks:?}, tshark {theirs:?}"
            ));
        }
        // The copy of a resent segment this ACK answers: the one whose TSval its echo names.
        if let Some(a) = r.acked.as_ref().filter(|a| a.wireshark_line.is_some()) {
            let answered = a.lines.iter().filter_map(|l| frame_of.get(l)).find(|f| {
                rows.iter()
                    .find(|row| row["frame.number"] == **f)
                    .is_some_and(|row| {
                        row.get("tcp.options.timestamp.tsval") == row_tsecr(rows, frame).as_ref()
                    })
            });
            if row_tsecr(rows, frame).is_some_and(|e| !e.is_empty()) && answered.is_none() {
                bad.push(format!(
                    "{name} frame {frame}: answers lines {:?}, not the copy its TS echo names",
                    a.lines
                ));
            }
        }
        if let Some(dup) = r.events.iter().find(|e| e.kind.name() == "duplicate_ack") {
            check!(
                "dup ack #",
                dup.count.map(u64::from),
                num(row, "tcp.analysis.duplicate_ack_num")
            );
        }
    }
    bad
}

/// The TS echo of frame `frame` (1-based), as tshark reads it.
fn row_tsecr(rows: &[HashMap<String, String>], frame: usize) -> Option<String> {
    rows.get(frame - 1)?
        .get("tcp.options.timestamp.tsecr")
        .cloned()
}

#[test]
fn captures_agree_with_tshark_frame_by_frame() {
    let dirs = captures();
    assert!(dirs.len() >= 17, "only {} captures", dirs.len());
    let mut bad = Vec::new();
    for dir in &dirs {
        let rows = oracle(dir);
        for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
            bad.extend(compare(dir, rendering, &rows));
        }
    }
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn each_teardown_kind_on_a_real_capture() {
    use tcpexplain::track::report::Teardown::*;
    let expected = [
        ("three_way", ThreeWay),
        ("four_way", FourWay),
        ("simultaneous", Simultaneous),
        ("reset", Reset),
        ("refused", Refused),
        // A half-close inside a four-way close: both ends sent FIN.
        ("half_closed", FourWay),
        // Left half-closed when the capture stops.
        ("half_close_end", HalfClosed),
        ("open", Open),
        ("ipv6", ThreeWay),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures");
    for (dir, teardown) in expected {
        for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
            let summaries = summaries(&root.join(dir).join(rendering));
            assert_eq!(summaries.len(), 1, "{dir}/{rendering}");
            assert_eq!(
                summaries[0].teardown, teardown,
                "{dir}/{rendering}: {}",
                summaries[0].text
            );
        }
    }
}

/// ICMP errors about TCP segments (real captures through a router): each
/// error is linked to the segment whose header tshark finds quoted in it (the
/// latest one before it with that source port and sequence number), in every
/// rendering, whether or not tcpdump printed the quote; and that segment is
/// known not to have arrived.
#[test]
fn icmp_errors_name_the_segment_tshark_finds_quoted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (dir, renderings) in [
        (
            "captures/icmp_router",
            &["nn.txt", "nn_S.txt", "nn_v.txt"][..],
        ),
        ("icmp", &["nn.txt", "nn_S.txt", "nn_v.txt", "nn_vv.txt"][..]),
    ] {
        icmp_errors_in(&root.join(dir), renderings);
    }
}

fn icmp_errors_in(dir: &Path, renderings: &[&str]) {
    let errors = tsv(&dir.join("icmp.tsv"));
    assert!(errors.len() >= 6, "{} ICMP errors", errors.len());
    for rendering in renderings {
        let items = tcpexplain::explain(&std::fs::read_to_string(dir.join(rendering)).unwrap());
        // One item per frame (a header quoted in an error is not a frame of its own).
        let frames: Vec<&Item> = items
            .iter()
            .filter(|i| match i {
                Item::Line { record, .. } => {
                    !matches!(&record.kind, RecordKind::Tcp(p) if p.quoted)
                }
                Item::Connection(_) => false,
            })
            .collect();
        let frame_of_line = |line: u64| {
            frames
                .iter()
                .position(|i| matches!(i, Item::Line { record, .. } if record.line == line))
        };
        for e in &errors {
            let frame: usize = e["frame.number"].parse().unwrap();
            let Item::Line {
                icmp: Some(icmp), ..
            } = frames[frame - 1]
            else {
                panic!("{rendering} frame {frame}: no ICMP report");
            };
            let seq: u32 = [&e["tcp.seq_raw"], &e["tcp.seq"]]
                .iter()
                .find_map(|v| v.parse().ok())
                .unwrap();
            let port = e["tcp.srcport"].as_str();
            // The latest segment before the error with the quoted port and seq.
            let expected = frames[..frame - 1].iter().rev().find_map(|i| match i {
                Item::Line {
                    record,
                    report: Some(r),
                    ..
                } => match &record.kind {
                    RecordKind::Tcp(p)
                        if r.seq_raw == Some(seq) && p.src.port.as_deref() == Some(port) =>
                    {
                        Some(record.line)
                    }
                    _ => None,
                },
                _ => None,
            });
            let ours = icmp.segment.map(|s| s.line);
            assert_eq!(
                ours, expected,
                "{rendering} frame {frame} (line {}): {}",
                icmp.line, icmp.text
            );
            assert!(ours.and_then(frame_of_line).is_some());
            assert!(icmp.undelivered, "{rendering} frame {frame}: {}", icmp.text);
            // Tied to the quote exactly when tcpdump printed it (IPv4 under -v).
            let quoted = rendering.starts_with("nn_v") && !e["icmp.type"].is_empty();
            assert_eq!(icmp.inferred, !quoted, "{rendering} frame {frame}");
        }
    }
}

/// `-i any` on a router prints each packet twice (in on one interface, out on
/// the other): each second sighting is a `capture_copy` of the first, as
/// tshark's fields tell (same IP id, addresses and TCP numbers, another
/// interface), and nothing else is; Wireshark's own labels on the copies are
/// checked with the other captures.
#[test]
fn capture_copies_are_the_packets_tshark_sees_twice() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures/any_forward");
    let rows = tsv(&dir.join("sightings.tsv"));
    fn packet(r: &HashMap<String, String>) -> Vec<String> {
        [
            "ip.src",
            "ip.id",
            "tcp.srcport",
            "tcp.seq_raw",
            "tcp.ack_raw",
            "tcp.len",
        ]
        .iter()
        .map(|k| r[*k].clone())
        .collect()
    }
    // The frame each frame copies (1-based), per tshark.
    let expected: Vec<Option<usize>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            rows[..i]
                .iter()
                .position(|e| packet(e) == packet(r) && e["sll.ifindex"] != r["sll.ifindex"])
                .map(|j| j + 1)
        })
        .collect();
    assert!(expected.iter().filter(|e| e.is_some()).count() >= 8);
    for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
        let segs = segments(&dir.join(rendering));
        assert_eq!(segs.len(), rows.len(), "{rendering}");
        let lines: Vec<u64> = segs.iter().map(|(_, r)| r.line).collect();
        for (i, (_, r)) in segs.iter().enumerate() {
            let ours = r
                .events
                .iter()
                .find(|e| e.kind.name() == "capture_copy")
                .map(|e| e.of_line);
            let theirs = expected[i].map(|f| Some(lines[f - 1]));
            assert_eq!(ours, theirs, "{rendering} frame {}: {}", i + 1, r.text);
        }
    }
}

/// The server resent data the client already had; the client's ACK of the
/// resend repeats its last ACK with a D-SACK block (RFC 2883) for those bytes.
/// tshark says that ACK acknowledges the resent copy (checked frame by frame
/// above); the explanation must say it is nothing new and not a gap.
#[test]
fn a_dsack_is_explained_as_bytes_received_twice() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures/spurious_retransmission");
    for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
        let segs = segments(&dir.join(rendering));
        let dsacks: Vec<&SegmentReport> = segs
            .iter()
            .map(|(_, r)| r)
            .filter(|r| r.text.contains("D-SACK"))
            .collect();
        assert_eq!(dsacks.len(), 1, "{rendering}");
        let r = dsacks[0];
        let (first, last) = r.sack[0];
        assert!(
            last <= r.ack.unwrap(),
            "{rendering}: {:?} above ack {:?}",
            r.sack,
            r.ack
        );
        let acked = r.acked.as_ref().unwrap();
        assert_eq!(acked.bytes, 0, "{rendering}");
        assert!(r.text.contains("acknowledges nothing new"), "{}", r.text);
        assert!(
            r.text
                .contains(&format!("received bytes {first}–{} twice", last - 1)),
            "{}",
            r.text
        );
        assert!(!r.text.contains("a gap, or a lost segment"), "{}", r.text);
    }
}

/// A capture point that saw one data segment after the ACK of it: tshark
/// calls that segment a spurious retransmission; it is the first sighting of
/// bytes that fill the gap tshark noted (lost_segment) and that the receiver
/// had acknowledged (ack_lost_segment). Those frames are found from tshark's
/// flags alone and must be the ones `seen_late` names.
#[test]
fn a_segment_seen_after_its_ack_is_a_late_sighting() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures/ack_before_data");
    let rows = oracle(&dir);
    let flagged = |k: &str| {
        rows.iter()
            .position(|r| r.get(k).is_some_and(|v| !v.is_empty()))
            .unwrap()
    };
    let (gap, acked, late) = (
        flagged("tcp.analysis.lost_segment"),
        flagged("tcp.analysis.ack_lost_segment"),
        flagged("tcp.analysis.spurious_retransmission"),
    );
    assert!(gap < acked && acked < late);
    for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
        let segs = segments(&dir.join(rendering));
        let late_ones: Vec<usize> = segs
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| r.events.iter().any(|e| e.kind.name() == "seen_late"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(late_ones, [late], "{rendering}");
        let r = &segs[late].1;
        let e = r
            .events
            .iter()
            .find(|e| e.kind.name() == "seen_late")
            .unwrap();
        assert_eq!(e.of_line, Some(segs[gap].1.line), "{rendering}");
        assert_eq!(
            e.note,
            Some(tcpexplain::track::report::Note::AckedOn(segs[acked].1.line))
        );
        assert!(r.text.contains("First sighting"), "{}", r.text);
        assert!(!r.text.contains("the resend was unnecessary"), "{}", r.text);
    }
    // The late bytes count once, as data the client sent.
    assert_eq!(summaries(&dir.join("nn.txt"))[0].bytes_client, 4000);
}

/// Bytes each end sent, as the summaries count them (each byte once, however
/// often it was sent or seen), against tshark's sequence numbers: per stream
/// and direction, the highest next sequence number less the lowest sequence
/// number, less one for a SYN and one for a FIN. Captures where the capture
/// lost data for good (a gap never filled) are left out: there the summary
/// counts only the bytes it saw.
#[test]
fn bytes_per_direction_agree_with_tshark() {
    let mut checked = 0;
    for dir in captures() {
        let rows = oracle(&dir);
        if dir.ends_with("capture_gap") {
            continue;
        }
        // (stream, source port) -> (lowest seq, highest nxtseq, SYN seen, FIN seen)
        let mut span: HashMap<(String, String), (u64, u64, bool, bool)> = HashMap::new();
        for r in &rows {
            let (Some(seq), Some(next)) = (num(r, "tcp.seq"), num(r, "tcp.nxtseq")) else {
                continue;
            };
            let flags = &r["tcp.flags.str"];
            let e = span
                .entry((r["tcp.stream"].clone(), r["tcp.srcport"].clone()))
                .or_insert((seq, next, false, false));
            e.0 = e.0.min(seq);
            e.1 = e.1.max(next);
            e.2 |= flags.contains('S');
            e.3 |= flags.contains('F');
        }
        let summaries = summaries(&dir.join("nn.txt"));
        let streams: BTreeSet<&String> = span.keys().map(|(s, _)| s).collect();
        assert_eq!(summaries.len(), streams.len(), "{}", dir.display());
        for (s, stream) in summaries.iter().zip(streams) {
            for (ours, end) in [(s.bytes_client, &s.client), (s.bytes_server, &s.server)] {
                let port = end.rsplit('.').next().unwrap().to_string();
                let theirs = span
                    .get(&(stream.clone(), port))
                    .map_or(0, |&(lo, hi, syn, fin)| {
                        hi - lo - u64::from(syn) - u64::from(fin)
                    });
                assert_eq!(ours, theirs, "{} stream {stream} {end}", dir.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked} directions");
}

/// The tail loss probes are the resends the scenarios name as such (the
/// probe of the segment that filled the window, and the stalled server's
/// probe before its timeouts), in every rendering and no other resend of the
/// captures; and on a published capture, the probe its expert names before
/// the timeouts.
#[test]
fn tail_loss_probes_are_the_resends_the_scenarios_name() {
    use tcpexplain::track::report::Note;
    let probes = |segs: &[(TcpPacket, SegmentReport)]| -> Vec<usize> {
        segs.iter()
            .enumerate()
            .filter(|(_, (_, r))| r.events.iter().any(|e| e.note == Some(Note::TailProbe)))
            .map(|(i, _)| i + 1)
            .collect()
    };
    let named: HashMap<&str, Vec<usize>> = [
        ("window_full", vec![10, 16, 21, 26, 31]),
        ("zero_window", vec![10]),
        ("stall", vec![14]),
    ]
    .into_iter()
    .collect();
    for dir in captures() {
        let name = dir.file_name().unwrap().to_str().unwrap();
        for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
            let path = dir.join(rendering);
            if !path.exists() {
                continue;
            }
            let found = probes(&segments(&path));
            let expected = named.get(name).cloned().unwrap_or_default();
            assert_eq!(found, expected, "{name}/{rendering}");
        }
    }
    // 60729: the server's answer never acknowledged; a probe 44 ms (two round
    // trips) after its last segment, then timeouts from 266 ms, doubling.
    let wild =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wild/34-ru-beget-rto-keepalive.txt");
    let lines: Vec<u64> = segments(&wild)
        .iter()
        .filter(|(_, r)| r.events.iter().any(|e| e.note == Some(Note::TailProbe)))
        .map(|(_, r)| r.line)
        .collect();
    assert_eq!(lines, [20]);
}
