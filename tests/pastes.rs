//! Text as people paste it.
//!
//! 1. Published pastes (`tests/data/pastes`, sources in its `SOURCES.tsv`):
//!    every packet record is read where it starts, and nothing else is read
//!    as a packet.
//! 2. The wild dumps of `../shared/corpus/wild` (when present): the same,
//!    against their truth files.
//! 3. Every capture rendering and article dump of `tests/data`, made messy
//!    the ways people make it (indented, tabbed, numbered, quoted, wrapped at
//!    60/72/80 columns, mixed with prompts, comments and elisions), reads to
//!    the same segments as the clean original (a property).
//! 4. Lines that are not tcpdump's are answered on their own, never glued to
//!    a packet.

use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tcpexplain::model::TextKind;
use tcpexplain::{Record, RecordKind, RecordReader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn records(text: &[u8]) -> Vec<Record> {
    RecordReader::new(text).map(Result::unwrap).collect()
}

/// Each record by the line it starts on.
fn by_line(records: &[Record]) -> BTreeMap<u64, &RecordKind> {
    records.iter().map(|r| (r.line, &r.kind)).collect()
}

fn numbers(cell: &str) -> Vec<u64> {
    cell.split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().parse().unwrap())
        .collect()
}

fn is_segment(kind: &RecordKind) -> bool {
    matches!(kind, RecordKind::Tcp(p) if !p.quoted)
}

fn is_tshark(kind: &RecordKind) -> bool {
    matches!(kind, RecordKind::OtherText(t) if t.kind == TextKind::Tshark)
}

/// Checks one dump against the first lines of its TCP and other packet
/// records (and of TCP records its publisher damaged, which get a
/// diagnostic); returns the problems.
fn check(
    name: &str,
    text: &[u8],
    tcp: &[u64],
    other: &[u64],
    damaged: &[u64],
    tshark: bool,
) -> Vec<String> {
    let records = records(text);
    let at = by_line(&records);
    let mut problems = Vec::new();
    let mut expect = |line: u64, what: &str, ok: &dyn Fn(&RecordKind) -> bool| match at.get(&line) {
        Some(kind) if ok(kind) => {}
        found => problems.push(format!("{name} line {line}: want {what}, got {found:?}")),
    };
    for &line in tcp {
        if damaged.contains(&line) {
            expect(line, "a diagnostic", &|k| {
                matches!(k, RecordKind::Unparsed(_))
            });
        } else if tshark {
            expect(line, "a tshark line", &is_tshark);
        } else {
            expect(line, "a TCP segment", &is_segment);
        }
    }
    for &line in other {
        expect(line, "another packet", &|k| {
            matches!(k, RecordKind::Other(_)) || tshark && is_tshark(k)
        });
    }
    for record in &records {
        if is_segment(&record.kind) && !tcp.contains(&record.line) {
            problems.push(format!(
                "{name} line {}: read as a TCP segment",
                record.line
            ));
        }
    }
    problems
}

#[test]
fn published_pastes_are_read_record_by_record() {
    let dir = Path::new(ROOT).join("tests/data/pastes");
    let index = fs::read_to_string(dir.join("SOURCES.tsv")).unwrap();
    let mut rows = index.lines();
    let header: Vec<&str> = rows.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut problems = Vec::new();
    let mut files = 0;
    let mut segments = 0;
    for row in rows {
        let cells: Vec<&str> = row.split('\t').collect();
        let file = cells[col("file")];
        let tcp = numbers(cells[col("tcp_lines")]);
        let tshark = cells[col("shape")].contains("tshark");
        problems.extend(check(
            file,
            &fs::read(dir.join(file)).unwrap(),
            &tcp,
            &numbers(cells[col("other_packet_lines")]),
            &numbers(cells[col("unread_lines")]),
            tshark,
        ));
        files += 1;
        segments += if tshark { 0 } else { tcp.len() };
    }
    assert!(
        files >= 40 && segments >= 400,
        "{files} files, {segments} segments"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn wild_dumps_are_read_record_by_record() {
    let wild = Path::new(ROOT).join("../shared/corpus/wild");
    let Ok(entries) = fs::read_dir(wild.join("truth")) else {
        eprintln!("skipped: ../shared/corpus/wild not present");
        return;
    };
    let mut problems = Vec::new();
    for entry in entries {
        let truth: Value =
            serde_json::from_slice(&fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let lines = |key: &str| -> Vec<u64> {
            truth[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect()
        };
        let dump = truth["dump"].as_str().unwrap();
        let text = fs::read(wild.join(dump)).unwrap();
        problems.extend(check(
            dump,
            &text,
            &lines("tcp_lines"),
            &lines("other_lines"),
            &[],
            false,
        ));
        // Continuation fragments, payload and comments start no packet record.
        let at_lines = records(&text);
        let at = by_line(&at_lines);
        for check in truth["checks"].as_array().unwrap() {
            if check["what"] == "no_record" {
                let line = check["line"].as_u64().unwrap();
                if matches!(
                    at.get(&line),
                    Some(RecordKind::Tcp(_) | RecordKind::Other(_))
                ) {
                    problems.push(format!("{dump} line {line}: read as a packet"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Lines that are not tcpdump's

fn kinds(text: &str) -> Vec<(u64, String)> {
    records(text.as_bytes())
        .iter()
        .map(|r| {
            let kind = match &r.kind {
                RecordKind::Tcp(_) => "tcp".to_string(),
                RecordKind::Other(_) => "other".to_string(),
                RecordKind::Banner(_) => "banner".to_string(),
                RecordKind::Unparsed(_) => "unparsed".to_string(),
                RecordKind::OtherText(t) => t.kind.name().to_string(),
            };
            (r.line, kind)
        })
        .collect()
}

const SYN: &str =
    "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 64240, length 0";
const SYN_ACK: &str =
    "12:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [S.], seq 7, ack 2, win 64240, length 0";

#[test]
fn text_after_a_segment_is_answered_on_its_own() {
    let text = format!("{SYN}\nthis is not tcpdump\n{SYN_ACK}\n");
    assert_eq!(
        kinds(&text),
        [(1, "tcp".into()), (2, "prose".into()), (3, "tcp".into())]
    );
}

#[test]
fn an_indented_packet_line_after_a_plain_one_is_a_record() {
    let text = format!("{SYN}\n    {SYN_ACK}\n\t{SYN_ACK}\n");
    assert_eq!(
        kinds(&text),
        [(1, "tcp".into()), (2, "tcp".into()), (3, "tcp".into())]
    );
}

#[test]
fn what_surrounds_a_dump_has_a_kind() {
    let text = format!(
        "user@host:~$ sudo tcpdump -nn -i eth0 port 80\n\
         tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n\
         # the handshake\n\
         1. {SYN}\n\
         2) {SYN_ACK}\n\
         ...\n\
         // 四次挥手\n\
         > {SYN}\n\
         ------\n\
         ^C\n\
         2 packets captured\n\
         1 0.000000 10.0.0.1 → 10.0.0.2 TCP 74 48792 → 80 [SYN] Seq=0 Win=64240 Len=0\n"
    );
    let want = [
        "command",
        "banner",
        "comment",
        "tcp",
        "tcp",
        "elision",
        "comment",
        "tcp",
        "separator",
        "interrupt",
        "banner",
        "tshark",
    ];
    let got: Vec<String> = kinds(&text).into_iter().map(|(_, k)| k).collect();
    assert_eq!(got, want);
}

#[test]
fn the_oldest_format_without_time_or_ip_is_read() {
    let text =
        "tclient.net.39904 > telnet.com.23: S 733381829:733381829(0) win 8760 <mss 1460> (DF)\n";
    let records = records(text.as_bytes());
    let RecordKind::Tcp(p) = &records[0].kind else {
        panic!("{records:?}");
    };
    assert_eq!(
        (p.src.to_string().as_str(), p.mss()),
        ("tclient.net.39904", Some(1460))
    );
}

#[test]
fn damaged_packet_lines_get_a_diagnostic_with_their_column() {
    let text = format!("{SYN}\n12:00:00.000200 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq x\n");
    let read = records(text.as_bytes());
    let RecordKind::Unparsed(d) = &read[1].kind else {
        panic!("{read:?}");
    };
    assert_eq!((d.line, d.column), (2, 58));
    // Behind a decoration, the column is still the line's own.
    let text = "   > 12:00:00.000200 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq x\n";
    let RecordKind::Unparsed(d) = &records(text.as_bytes())[0].kind else {
        panic!();
    };
    assert_eq!(d.column, 63);
}

#[test]
fn an_ascii_payload_line_never_starts_a_record() {
    // An HTTP body holding a line that reads as a reset: `-A` prints it
    // verbatim, inside the 199 bytes of its packet (after the 40 bytes of its
    // IP and TCP headers, printed as `E..` and dots).
    let forged = "12:00:00.000400 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [R.], seq 200, ack 1, win 0, length 0";
    let mut payload = format!("HTTP/1.1 200 OK\nContent-Type: text/plain\n\n{forged}\n");
    let fill = 199 - payload.len();
    payload.push_str(&"x".repeat(fill));
    let text = format!(
        "12:00:00.000300 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [P.], seq 1:200, ack 1, win 502, length 199: HTTP: HTTP/1.1 200 OK\n\
         E.....@.@.........P.....e...P.......{payload}\n\
         12:00:00.000500 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [.], ack 200, win 502, length 0\n"
    );
    assert_eq!(payload.len(), 199);
    assert_eq!(
        kinds(&text),
        [(1, "tcp".into()), (7, "tcp".into())],
        "{text}"
    );
}

// ---------------------------------------------------------------------------
// Generated pastes

/// Clean dumps to make messy: the article dumps and every capture rendering.
fn clean_dumps() -> Vec<PathBuf> {
    let data = Path::new(ROOT).join("tests/data");
    let mut dumps: Vec<PathBuf> = fs::read_dir(data.join("article"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for scenario in fs::read_dir(data.join("captures")).unwrap() {
        let dir = scenario.unwrap().path();
        if dir.is_dir() {
            for render in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
                if dir.join(render).exists() {
                    dumps.push(dir.join(render));
                }
            }
        }
    }
    dumps.sort();
    dumps
}

/// The facts of each segment that a messy paste must keep (its number,
/// payload dumps, decoder text and whole input text may differ).
fn segments(text: &str) -> Vec<Value> {
    records(text.as_bytes())
        .into_iter()
        .filter_map(|r| match r.kind {
            RecordKind::Tcp(p) if !p.quoted => {
                let mut v = serde_json::to_value(&p).unwrap();
                let map = v.as_object_mut().unwrap();
                for noise in ["dump", "continuation", "tail"] {
                    map.remove(noise);
                }
                map["prefix"].as_object_mut().unwrap().remove("number");
                if let Some(header) = map["ip_header"].as_object_mut() {
                    header.remove("text");
                }
                Some(v)
            }
            _ => None,
        })
        .collect()
}

/// How a paste decorates each record.
#[derive(Debug, Clone, Copy)]
enum Decoration {
    None,
    /// A Markdown code block (4 spaces) or another indentation.
    Indent(usize),
    Tab,
    /// `1. `, `2. `… on each record's first line, its other lines under the text.
    Numbered,
    /// `[1] `, `[2] `…
    Bracketed,
    /// Mail quoting.
    Quoted,
}

/// Lines that are not tcpdump's, put between records.
const NOISE: [&str; 6] = [
    "# the server answers",
    "// 第三次握手",
    "...",
    "[...]",
    "$ curl -s http://10.0.0.2/ > /dev/null",
    "-----",
];

/// `text` (a dump) as a paste: with noise between records (one record in
/// `every`), wrapped at `width` (a piece indented by `hang`; `keep_space`: the
/// space at the break stays at the end of the line), then decorated as it is
/// pasted (a block's decoration on every line, a list marker on the first
/// line of each record and its other lines under the text).
fn messy(
    text: &str,
    decoration: Decoration,
    every: usize,
    width: Option<usize>,
    hang: usize,
    keep_space: bool,
) -> String {
    // Lines, each with whether it starts a record (tcpdump indents every
    // line of a record but its first), or is noise (`None`: put between the
    // items of a list as it is).
    let mut lines: Vec<(Option<bool>, String)> = Vec::new();
    let mut record = 0usize;
    for line in text.lines() {
        let head = !line.starts_with([' ', '\t']);
        if head {
            record += 1;
            if every > 0 && record % every == 0 {
                lines.push((None, NOISE[record % NOISE.len()].to_string()));
            }
        }
        let mut pieces = String::new();
        wrap_into(&mut pieces, line, width, hang, keep_space);
        for (i, piece) in pieces.lines().enumerate() {
            lines.push((Some(head && i == 0), piece.to_string()));
        }
    }
    let mut out = String::new();
    let mut number = 0usize;
    let mut under = String::new();
    for (head, line) in lines {
        let decorated = match decoration {
            Decoration::None => line,
            Decoration::Indent(n) => format!("{}{line}", " ".repeat(n)),
            Decoration::Tab => format!("\t{line}"),
            Decoration::Quoted => format!("> {line}"),
            Decoration::Numbered | Decoration::Bracketed if head.is_none() => line,
            Decoration::Numbered | Decoration::Bracketed if head == Some(true) => {
                number += 1;
                let marker = match decoration {
                    Decoration::Numbered => format!("{number}. "),
                    _ => format!("[{number}] "),
                };
                under = " ".repeat(marker.len());
                format!("{marker}{line}")
            }
            Decoration::Numbered | Decoration::Bracketed => format!("{under}{line}"),
        };
        out.push_str(&decorated);
        out.push('\n');
    }
    out
}

/// Appends `line`, broken at the last space before `width` as a mail client
/// or a book does, each piece on a line of its own.
fn wrap_into(out: &mut String, line: &str, width: Option<usize>, hang: usize, keep_space: bool) {
    let mut rest = line;
    let mut first = true;
    loop {
        let lead = if first { 0 } else { hang };
        let room = width.map_or(usize::MAX, |w| w.saturating_sub(lead));
        if !first {
            out.push_str(&" ".repeat(hang));
        }
        if rest.chars().count() <= room {
            out.push_str(rest);
            out.push('\n');
            return;
        }
        // The last space within the room (never the indentation at the start).
        let start = rest.len() - rest.trim_start().len();
        let cut = rest
            .char_indices()
            .take_while(|&(_, c)| c != '\n')
            .take(room + 1)
            .filter(|&(i, c)| c == ' ' && i > start)
            .map(|(i, _)| i)
            .last();
        let Some(cut) = cut else {
            out.push_str(rest);
            out.push('\n');
            return;
        };
        out.push_str(if keep_space {
            &rest[..=cut]
        } else {
            &rest[..cut]
        });
        out.push('\n');
        rest = &rest[cut + 1..];
        first = false;
    }
}

fn decoration() -> impl Strategy<Value = Decoration> {
    prop_oneof![
        Just(Decoration::None),
        (2usize..9).prop_map(Decoration::Indent),
        Just(Decoration::Tab),
        Just(Decoration::Numbered),
        Just(Decoration::Bracketed),
        Just(Decoration::Quoted),
    ]
}

proptest! {
    // (PROPTEST_CASES sets more.)
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    /// Any clean dump, made into a paste, reads to the same segments.
    #[test]
    fn a_messy_paste_reads_as_its_clean_dump(
        dump in proptest::sample::select(clean_dumps()),
        decoration in decoration(),
        every in prop_oneof![Just(0usize), 1usize..6],
        width in prop_oneof![Just(None), proptest::sample::select(vec![60usize, 72, 80]).prop_map(Some)],
        hang in prop_oneof![Just(0usize), Just(4)],
        keep_space: bool,
    ) {
        let clean = fs::read_to_string(&dump).unwrap();
        let paste = messy(&clean, decoration, every, width, hang, keep_space);
        let want = segments(&clean);
        let got = segments(&paste);
        prop_assert!(!want.is_empty());
        prop_assert_eq!(
            got.len(), want.len(),
            "{} as {:?}, noise every {}, width {:?}, hang {}:\n{}",
            dump.display(), decoration, every, width, hang, paste
        );
        for (i, (got, want)) in got.iter().zip(&want).enumerate() {
            prop_assert_eq!(got, want, "segment {} of {} ({:?}, width {:?}):\n{}", i, dump.display(), decoration, width, paste);
        }
        // What was put between records is answered on its own.
        let noise = records(paste.as_bytes())
            .into_iter()
            .filter(|r| matches!(&r.kind, RecordKind::OtherText(t) if NOISE.contains(&t.text.trim_start_matches(['>', ' ', '\t']))))
            .count();
        let heads = segments(&clean).len();
        if every > 0 && width.is_none() {
            prop_assert!(noise >= heads / every / 2, "{} noise lines answered", noise);
        }
    }
}

#[test]
fn a_dump_wrapped_at_60_columns_reads_as_its_clean_dump() {
    // One plain case of the property, spelled out: the article's close
    // wrapped by a mail client, pieces hanging by four spaces.
    let clean = fs::read_to_string(Path::new(ROOT).join("tests/data/article/close4.txt")).unwrap();
    let paste = messy(&clean, Decoration::Indent(4), 3, Some(60), 4, false);
    assert!(paste.lines().count() > 2 * clean.lines().count(), "{paste}");
    assert_eq!(segments(&paste), segments(&clean), "{paste}");
}
