//! Property tests.
//!
//! 1. Print/parse round trip: TCP records generated in canonical form print
//!    (`Display`, tcpdump's own form) to text that parses back to the same value,
//!    for the 4.x, 3.x (`Legacy`), `-q` (`Quiet`) and `[|tcp]` (`Truncated`) bodies.
//! 2. Mutated real lines: real tcpdump lines with random byte edits never panic
//!    the parser, the reader or the engine, and every input line is answered.
//! 3. Random segment sequences: the tracker never panics and only ever moves an
//!    endpoint along an edge of RFC 9293's state diagram (or to CLOSED on a reset),
//!    and the states shown on each line follow from the transitions shown.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::HashMap;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;
use tcpexplain::model::{
    Checksum, Endpoint, Flags, IpHeader, IpVersion, OptionsEnd, Prefix, SeqRange, TcpFormat,
    TcpOption, TcpPacket, TimeForm, Timestamp,
};
use tcpexplain::reader::RecordReader;
use tcpexplain::render::{self, diagram, document, jsonl, text};
use tcpexplain::track::report::{Role, SegmentReport};
use tcpexplain::track::state::TcpState;
use tcpexplain::Lang;
use tcpexplain::{parse_line, Explainer, Item, Options, RecordKind};

/// `cases` cases; failures are reported (with their minimal input), not written
/// next to the sources: the ones worth keeping go to tests/regressions.rs.
/// `PROPTEST_CASES` in the environment overrides the count (for longer runs).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ===================================================================
// 1. Print/parse round trip
// ===================================================================
//
// What printing cannot carry, and so what the generators never produce:
// - `Prefix::number_pad`/`number_sep` without a number (the parser reads 0, 0);
//   a separator other than 1 or 2 spaces; 1 space before an `-ttt` offset (its
//   sign column is a space, so the parser would take the two spaces as the
//   separator and the time as a time of day).
// - 6-digit timestamps with nanoseconds that are not whole microseconds; an
//   offset of "-0" (prints as " 0").
// - `time_unreadable` and link layers (their raw text is verbatim; covered by the
//   corpus tests); `inner_prefix` (tunnels); `ip_word: false` (without `IP `/`IP6 `
//   nor a link layer naming it, the version is guessed from the text).
// - An empty SACK block list (`sack 0 ` does not read back as a SACK option);
//   `Other` options whose text would read as a typed option, or holds the
//   separators `,`/`]`/`>`/brackets.
// - 4.x: no `win` (it is mandatory); no `length` unless the options list ended
//   with a `[bad opt]`/`[|tcp]` marker (then nothing follows the marker, so
//   `length`, `length_note` and `tail` are `None`); a tail starting with a digit
//   (it would extend the length) or with ` [was ...]` (that is the length note).
//   The `[ack N != 0 while ACK flag not set]` form reads as `ack: None`.
// - 3.x: the ACK and URG flags are `ack`/`urg` being present (the printer has no
//   letter for them), no AE flag, a sequence range and a length come together
//   (`first:last(len)`), `win` is mandatory.
// - Continuation and dump lines (`parse_line` reads one line; covered by the
//   reader tests); `quoted` (set by the reader for ICMP quotes only).

fn timestamp() -> impl Strategy<Value = Timestamp> {
    let digits = prop_oneof![Just(6u8), Just(9u8)];
    let frac = |digits: u8| -> BoxedStrategy<i128> {
        if digits == 6 {
            (0i128..1_000_000).prop_map(|u| u * 1000).boxed()
        } else {
            (0i128..1_000_000_000).boxed()
        }
    };
    (digits, 0u8..4)
        .prop_flat_map(move |(digits, form)| {
            let secs: BoxedStrategy<i128> = match form {
                0 => (0i128..86_400).boxed(),
                1 => (0i128..4_300_000_000).boxed(),
                2 => (0i128..360_000).boxed(),
                _ => (0i128..86_400).boxed(),
            };
            (
                Just(digits),
                Just(form),
                secs,
                frac(digits),
                any::<bool>(),
                (1970u16..=2099, 1u8..=12, 1u8..=28),
            )
        })
        .prop_map(|(digits, form, secs, frac, negative, date)| {
            let nanos = secs * 1_000_000_000 + frac;
            match form {
                0 => Timestamp {
                    form: TimeForm::TimeOfDay,
                    nanos,
                    digits,
                    date: None,
                },
                1 => Timestamp {
                    form: TimeForm::Unix,
                    nanos,
                    digits,
                    date: None,
                },
                2 => Timestamp {
                    form: TimeForm::Offset,
                    // "-0" cannot be told from " 0".
                    nanos: if negative && nanos != 0 {
                        -nanos
                    } else {
                        nanos
                    },
                    digits,
                    date: None,
                },
                _ => Timestamp {
                    form: TimeForm::Date,
                    nanos,
                    digits,
                    date: Some(date),
                },
            }
        })
}

fn prefix() -> impl Strategy<Value = Prefix> {
    (
        option::of((any::<u64>(), 0u8..5, 1u8..=2)),
        option::weighted(0.9, timestamp()),
    )
        .prop_map(|(number, timestamp)| {
            let offset = matches!(&timestamp, Some(t) if t.form == TimeForm::Offset);
            let (number, number_pad, number_sep) = match number {
                // Before an offset's sign column, only the 2-space separator reads back.
                Some((n, pad, sep)) => (Some(n), pad, if offset { 2 } else { sep }),
                None => (None, 0, 0),
            };
            Prefix {
                number,
                number_pad,
                number_sep,
                timestamp,
                time_unreadable: false,
                link: None,
            }
        })
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    // Zero groups often, so that `::` compression and mapped forms appear.
    vec(
        prop_oneof![2 => Just(0u16), 1 => Just(0xffff), 3 => any::<u16>()],
        8,
    )
    .prop_map(|g| Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]))
}

fn endpoints(ip: IpVersion) -> BoxedStrategy<(Endpoint, Endpoint)> {
    let host = match ip {
        IpVersion::V4 => any::<[u8; 4]>()
            .prop_map(|a| Ipv4Addr::from(a).to_string())
            .boxed(),
        IpVersion::V6 => ipv6().prop_map(|a| a.to_string()).boxed(),
    };
    let endpoint = (host, any::<u16>()).prop_map(|(host, port)| Endpoint {
        host: host.into(),
        port: Some(port.to_string().into()),
    });
    (endpoint.clone(), endpoint).boxed()
}

/// An `-v` IP header; the parsed fields are the ones its text carries.
fn ip_header(ip: IpVersion) -> impl Strategy<Value = IpHeader> {
    (any::<u8>(), any::<u16>(), any::<u16>(), any::<bool>()).prop_map(
        move |(ttl, id, length, own_line)| match ip {
            IpVersion::V4 => IpHeader {
                text: format!(
                    "tos 0x0, ttl {ttl}, id {id}, offset 0, flags [DF], proto TCP (6), length {length}"
                ),
                ttl: Some(ttl),
                id: Some(u32::from(id)),
                length: Some(u32::from(length)),
                own_line,
            },
            IpVersion::V6 => IpHeader {
                text: format!(
                    "flowlabel 0x2ffa4, hlim {ttl}, next-header TCP (6) payload length: {length}"
                ),
                ttl: Some(ttl),
                id: None,
                length: Some(u32::from(length)),
                own_line,
            },
        },
    )
}

fn other_option(legacy: bool) -> impl Strategy<Value = TcpOption> {
    let name = prop::sample::select(vec![
        "tfo",
        "exp-tfo",
        "uto",
        "md5",
        "mptcp",
        "tcp-ao",
        "unknown-76",
        "eol-junk",
        "nop2",
    ]);
    (name, vec("[a-z0-9.:=-]{1,8}", 0..3)).prop_map(move |(name, words)| {
        let mut text = name.to_string();
        for w in words {
            text.push(' ');
            text.push_str(&w);
        }
        if legacy {
            debug_assert!(!text.contains('>'));
        }
        TcpOption::Other {
            name: name.to_string(),
            text,
        }
    })
}

fn tcp_option(legacy: bool) -> impl Strategy<Value = TcpOption> {
    prop_oneof![
        any::<u32>().prop_map(|value| TcpOption::Mss { value }),
        Just(TcpOption::Nop),
        Just(TcpOption::Eol),
        any::<u32>().prop_map(|shift| TcpOption::Wscale { shift }),
        Just(TcpOption::SackOk),
        vec(any::<(u32, u32)>(), 1..=4).prop_map(|blocks| TcpOption::Sack { blocks }),
        any::<(u32, u32)>().prop_map(|(val, ecr)| TcpOption::Timestamp { val, ecr }),
        other_option(legacy),
    ]
}

/// The options list and how it ended; `None` for no list.
fn options(legacy: bool) -> impl Strategy<Value = (Vec<TcpOption>, Option<OptionsEnd>)> {
    let close = if legacy { ">" } else { "]" };
    let end = prop_oneof![
        8 => Just(OptionsEnd::Normal),
        1 => Just(OptionsEnd::BadOpt(format!("[bad opt]{close}"))),
        1 => Just(OptionsEnd::Truncated("[|tcp]".to_string())),
        1 => Just(OptionsEnd::Truncated(" [|tcp]".to_string())),
    ];
    prop_oneof![
        1 => Just((Vec::new(), None)),
        3 => (vec(tcp_option(legacy), 0..6), end).prop_map(|(o, e)| (o, Some(e))),
    ]
}

fn tail() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(": HTTP: GET / HTTP/1.1".to_string()),
        Just(": HTTP: HTTP/1.1 200 OK".to_string()),
        Just(": SMTP: 220 mail.example.com ESMTP".to_string()),
        Just(" [RST+ BAD REQUEST]".to_string()),
        // Anything printable after `: ` stays verbatim.
        "\\PC{0,40}".prop_map(|s| format!(": {s}")),
    ]
}

fn blank_packet(ip: IpVersion, (src, dst): (Endpoint, Endpoint)) -> TcpPacket {
    TcpPacket {
        ip,
        ip_word: true,
        ..TcpPacket::new(src, dst)
    }
}

fn ip_version() -> impl Strategy<Value = IpVersion> {
    prop_oneof![Just(IpVersion::V4), Just(IpVersion::V6)]
}

/// The common part: prefix, network layer, endpoints.
fn frame() -> impl Strategy<Value = TcpPacket> {
    ip_version().prop_flat_map(|ip| {
        (
            prefix(),
            option::weighted(0.3, ip_header(ip)),
            endpoints(ip),
        )
            .prop_map(move |(prefix, header, ends)| TcpPacket {
                prefix,
                ip_header: header,
                ..blank_packet(ip, ends)
            })
    })
}

fn checksum() -> impl Strategy<Value = Option<Checksum>> {
    option::weighted(
        0.3,
        (any::<u16>(), option::of(any::<u16>())).prop_map(|(value, computed)| Checksum {
            value,
            computed,
            bracketed: None,
        }),
    )
}

/// tcpdump 4.x: `Flags [..], cksum, seq, ack, win, urg, options, length, note, tail`.
fn modern() -> impl Strategy<Value = TcpPacket> {
    (
        frame(),
        (0u16..0x200).prop_map(Flags),
        checksum(),
        option::of((any::<u32>(), option::of(any::<u32>()))),
        option::of(any::<u32>()),
        any::<u32>(),
        option::weighted(0.2, any::<u32>()),
        options(false),
        any::<u32>(),
        option::weighted(0.1, any::<u32>()),
        option::weighted(0.3, tail()),
    )
        .prop_map(
            |(frame, flags, checksum, seq, ack, win, urg, (options, end), length, note, tail)| {
                let abnormal =
                    matches!(end, Some(OptionsEnd::BadOpt(_) | OptionsEnd::Truncated(_)));
                TcpPacket {
                    format: TcpFormat::Modern,
                    flags,
                    checksum,
                    seq: seq.map(|(first, last)| SeqRange { first, last }),
                    ack,
                    win: Some(win),
                    urg,
                    options: options.into(),
                    options_end: end,
                    // Nothing follows an options-list marker.
                    length: (!abnormal).then_some(length),
                    length_note: note
                        .filter(|_| !abnormal)
                        .map(|n| format!("[was {n}, presumed TSO]")),
                    tail: tail.filter(|_| !abnormal),
                    ..frame
                }
            },
        )
}

/// tcpdump 3.x: `S 1:1(0) ack 1 win N urg N <opts>`.
fn legacy() -> impl Strategy<Value = TcpPacket> {
    let letters = [
        Flags::SYN,
        Flags::FIN,
        Flags::RST,
        Flags::PSH,
        Flags::CWR,
        Flags::ECE,
    ];
    (
        frame(),
        vec(any::<bool>(), 6),
        checksum(),
        option::of((any::<u32>(), any::<u32>(), any::<u32>())),
        option::of(any::<u32>()),
        any::<u32>(),
        option::weighted(0.2, any::<u32>()),
        options(true),
        option::weighted(
            0.3,
            prop::sample::select(vec![" (DF)", " (DF) [tos 0x10]", " [tos 0x10]"]),
        ),
    )
        .prop_map(
            move |(frame, bits, checksum, range, ack, win, urg, (options, end), tail)| {
                let mut flags = Flags::default();
                for (f, on) in letters.iter().zip(bits) {
                    if on {
                        flags = flags.with(*f);
                    }
                }
                // 3.x shows ACK and URG by their fields, not by letters.
                if ack.is_some() {
                    flags = flags.with(Flags::ACK);
                }
                if urg.is_some() {
                    flags = flags.with(Flags::URG);
                }
                let abnormal =
                    matches!(end, Some(OptionsEnd::BadOpt(_) | OptionsEnd::Truncated(_)));
                TcpPacket {
                    format: TcpFormat::Legacy,
                    flags,
                    checksum,
                    seq: range.map(|(first, last, _)| SeqRange {
                        first,
                        last: Some(last),
                    }),
                    length: range.map(|(_, _, len)| len),
                    ack,
                    win: Some(win),
                    urg,
                    options: options.into(),
                    options_end: end,
                    tail: tail.filter(|_| !abnormal).map(str::to_string),
                    ..frame
                }
            },
        )
}

/// `-q`: ` tcp N` (two spaces kept as the length note).
fn quiet() -> impl Strategy<Value = TcpPacket> {
    (
        frame(),
        any::<u32>(),
        any::<bool>(),
        option::weighted(0.3, tail()),
    )
        .prop_map(|(frame, length, two, tail)| TcpPacket {
            format: TcpFormat::Quiet,
            length: Some(length),
            length_note: two.then(|| "  ".to_string()),
            tail,
            ..frame
        })
}

/// The TCP header was not captured: `src > dst:  [|tcp]`.
fn truncated() -> impl Strategy<Value = TcpPacket> {
    (frame(), prop::sample::select(vec![" [|tcp]", "  [|tcp]"])).prop_map(|(frame, tail)| {
        TcpPacket {
            format: TcpFormat::Truncated,
            tail: Some(tail.to_string()),
            ..frame
        }
    })
}

/// Parses printed text: one line with `parse_line`; the two-line `-v` layout
/// (IP header on its own line) with the reader, which joins the lines.
fn parse_printed(text: &str) -> RecordKind {
    if text.contains('\n') {
        let records: Vec<_> = RecordReader::new(text.as_bytes())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(records.len(), 1, "one record from {text:?}");
        records.into_iter().next().unwrap().kind
    } else {
        parse_line(text)
    }
}

fn check_round_trip(p: TcpPacket) -> Result<(), TestCaseError> {
    let printed = p.to_string();
    let parsed = parse_printed(&printed);
    prop_assert_eq!(
        parsed,
        RecordKind::Tcp(Box::new(p)),
        "printed as {:?}",
        printed
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn modern_print_parse_round_trip(p in modern()) {
        check_round_trip(p)?;
    }

    #[test]
    fn legacy_print_parse_round_trip(p in legacy()) {
        check_round_trip(p)?;
    }

    #[test]
    fn quiet_and_truncated_print_parse_round_trip(p in prop_oneof![quiet(), truncated()]) {
        check_round_trip(p)?;
    }
}

// ===================================================================
// 2. Mutated real lines
// ===================================================================

/// Every file of real tcpdump text under tests/data, as lines.
fn real_files() -> &'static Vec<Vec<String>> {
    static FILES: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let mut paths = Vec::new();
        for dir in ["article", "tcpdump"] {
            for e in fs::read_dir(format!("{root}/{dir}")).unwrap() {
                paths.push(e.unwrap().path());
            }
        }
        for e in fs::read_dir(format!("{root}/captures")).unwrap() {
            let dir = e.unwrap().path();
            if dir.is_dir() {
                for f in fs::read_dir(&dir).unwrap() {
                    let f = f.unwrap().path();
                    let name = f.file_name().unwrap().to_string_lossy().into_owned();
                    if name.starts_with("nn") && name.ends_with(".txt") {
                        paths.push(f);
                    }
                }
            }
        }
        paths.sort();
        let files: Vec<Vec<String>> = paths
            .iter()
            .map(|p| {
                String::from_utf8_lossy(&fs::read(p).unwrap())
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|lines| !lines.is_empty())
            .collect();
        assert!(files.len() > 20, "test data found");
        files
    })
}

/// Every non-blank real line.
fn real_lines() -> &'static Vec<String> {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(|| {
        real_files()
            .iter()
            .flatten()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
    Truncate(Index),
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        // The grammar's own punctuation and digits, and the line structure.
        3 => prop::sample::select(b" .:,[]()<>{}-0123456789\n\t\r".to_vec()),
        1 => prop::sample::select(vec![0xc3u8, 0xa9, 0xe2, 0x80, 0xff]),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        3 => any::<Index>().prop_map(Edit::Delete),
        3 => (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
            Edit::Delete(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Edit::Replace(i, b) if len > 0 => bytes[i.index(len)] = *b,
            Edit::Truncate(i) => bytes.truncate(i.index(len + 1)),
            _ => {}
        }
    }
}

/// Renders every item in every format, as the command line would.
fn render_all(items: &[Item]) {
    let mut sink = Vec::new();
    for item in items {
        text::item(item, &text::TextOptions::default(), &mut sink).unwrap();
        jsonl::write(item, tcpexplain::Lang::En, &mut sink).unwrap();
    }
    let sections = [("input", items)];
    let _ = document::markdown(&sections, Lang::En);
    let _ = document::html(&sections, "input", Lang::En);
    let _ = document::json(&sections);
    for view in render::by_connection(items) {
        let _ = diagram::ladder(&view, false, Lang::En);
    }
}

/// Feeds `input` line by line (as the command line does) and checks that every
/// line is answered: line items come in input order, and the lines they span
/// are every non-blank input line plus the blank lines kept inside `-A`
/// payload dumps (the reader's only rule for blank lines: skipped, unless a
/// record with a payload dump is open, which keeps them as payload).
fn explain_and_account(input: &str, flush_every: usize) -> Result<Vec<Item>, TestCaseError> {
    let mut explainer = Explainer::new();
    let mut items = Vec::new();
    let lines: Vec<&str> = input.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        explainer.push_line(line);
        if flush_every > 0 && i % flush_every == 0 {
            explainer.flush();
        }
        items.extend(std::iter::from_fn(|| explainer.next_item()));
    }
    explainer.finish();
    items.extend(std::iter::from_fn(|| explainer.next_item()));

    let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count() as u64;
    let mut covered = 0u64;
    let mut kept_blanks = 0u64;
    let mut next = 1u64;
    for item in &items {
        if let Item::Line { record, report, .. } = item {
            prop_assert!(record.lines >= 1);
            prop_assert!(
                record.line >= next,
                "line {} out of order (expected ≥ {})",
                record.line,
                next
            );
            next = record.line + u64::from(record.lines);
            prop_assert!(next - 1 <= lines.len() as u64);
            let pieces: Vec<&str> = record.text.split('\n').collect();
            prop_assert_eq!(pieces.len(), record.lines as usize);
            kept_blanks += pieces.iter().filter(|p| p.trim().is_empty()).count() as u64;
            covered += u64::from(record.lines);
            if let Some(r) = report {
                prop_assert_eq!(r.line, record.line);
            }
        }
    }
    prop_assert_eq!(covered, non_blank + kept_blanks, "input {:?}", input);
    Ok(items)
}

proptest! {
    #![proptest_config(config(3000))]

    /// One real line, edited: the parser and the reader never panic; a
    /// diagnostic points inside the line; a line that still reads as TCP prints
    /// back to text that reads the same.
    #[test]
    fn mutated_line_never_panics(pick in any::<Index>(), edits in vec(edit(), 0..8)) {
        let lines = real_lines();
        let mut bytes = lines[pick.index(lines.len())].as_bytes().to_vec();
        apply(&mut bytes, &edits);
        let text = String::from_utf8_lossy(&bytes);
        for line in text.split('\n') {
            match parse_line(line) {
                RecordKind::Unparsed(d) => {
                    prop_assert!(d.column >= 1);
                    prop_assert!(d.column as usize <= line.chars().count() + 1,
                        "column {} past the end of {:?}", d.column, line);
                }
                RecordKind::Tcp(p) => {
                    let printed = p.to_string();
                    prop_assert_eq!(parse_printed(&printed), RecordKind::Tcp(p),
                        "{:?} printed back as {:?}", line, printed);
                }
                _ => {}
            }
        }
        let records: Vec<_> = RecordReader::new(&bytes[..]).collect::<Result<_, _>>().unwrap();
        let non_blank = text.lines().filter(|l| !l.trim().is_empty()).count();
        prop_assert!(records.len() <= non_blank.max(1));
        explain_and_account(&text, 0)?;
    }

    /// A run of real lines, edited (newlines inserted and removed too): the
    /// engine and every renderer never panic, and every line is answered.
    #[test]
    fn mutated_dump_is_answered_line_by_line(
        pick in any::<Index>(),
        start in any::<Index>(),
        len in 1usize..40,
        edits in vec(edit(), 0..12),
        flush_every in 0usize..6,
    ) {
        let files = real_files();
        let file = &files[pick.index(files.len())];
        let from = start.index(file.len());
        let to = (from + len).min(file.len());
        let mut bytes = file[from..to].join("\n").into_bytes();
        apply(&mut bytes, &edits);
        let text = String::from_utf8_lossy(&bytes);
        let items = explain_and_account(&text, flush_every)?;
        render_all(&items);
    }
}

/// Every real one-line TCP record prints back exactly as tcpdump printed it.
#[test]
fn real_tcp_lines_print_back_verbatim() {
    let mut failures = Vec::new();
    let mut tcp = 0;
    for line in real_lines() {
        if let RecordKind::Tcp(p) = parse_line(line) {
            tcp += 1;
            let printed = p.to_string();
            let line = line.strip_suffix('\r').unwrap_or(line);
            if printed != line {
                failures.push(format!("  read:    {line}\n  printed: {printed}"));
            }
        }
    }
    assert!(tcp > 1000, "only {tcp} TCP lines");
    assert!(
        failures.is_empty(),
        "{} of {tcp} lines print differently:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ===================================================================
// 3. Random segment sequences and RFC 9293's state diagram
// ===================================================================

use TcpState::*;

/// The edges the tracker may take without a reset: RFC 9293 Figure 5, plus
/// CLOSED → SYN_RECEIVED (an incoming SYN, or a SYN-ACK sent, on an end shown
/// CLOSED: the capture cannot tell whether a socket listened there). A reset may
/// move any state but CLOSED to CLOSED (LISTEN too, when the SYN was refused);
/// the checks accept that when the transition's cause line carries the RST flag.
const EDGES: [(TcpState, TcpState); 16] = [
    (Closed, SynSent),
    (Listen, SynReceived),
    (Closed, SynReceived),
    (SynSent, SynReceived),
    (SynSent, Established),
    (SynReceived, Established),
    (SynReceived, FinWait1),
    (Established, FinWait1),
    (Established, CloseWait),
    (SynReceived, CloseWait),
    (FinWait1, FinWait2),
    (FinWait1, Closing),
    (FinWait2, TimeWait),
    (Closing, TimeWait),
    (CloseWait, LastAck),
    (LastAck, Closed),
];

/// Flags a generated segment can carry.
const KINDS: [&str; 8] = ["S", "S.", ".", "P.", "F.", "R.", "R", "FP."];

#[derive(Debug, Clone)]
struct Step {
    conn: usize,
    /// Sent by the client (the side that sends the first SYN).
    from_client: bool,
    kind: usize,
    seq_jitter: i32,
    ack_jitter: i32,
    len: u32,
    micros: u64,
}

fn jitter() -> impl Strategy<Value = i32> {
    prop_oneof![8 => Just(0), 2 => -2i32..=2, 1 => -3000i32..3000]
}

fn step(conns: usize) -> impl Strategy<Value = Step> {
    (
        0..conns,
        any::<bool>(),
        0..KINDS.len(),
        jitter(),
        jitter(),
        prop_oneof![Just(0u32), 1u32..3000],
        prop_oneof![0u64..50, 0u64..400_000],
    )
        .prop_map(
            |(conn, from_client, kind, seq_jitter, ack_jitter, len, micros)| Step {
                conn,
                from_client,
                kind,
                seq_jitter,
                ack_jitter,
                len,
                micros,
            },
        )
}

/// A scenario: 1–3 connections, their initial sequence numbers, and the segments.
fn scenario() -> impl Strategy<Value = (Vec<[u32; 2]>, Style, Vec<Step>)> {
    let isn = prop_oneof![0u32..1000, any::<u32>()];
    (1usize..=3).prop_flat_map(move |n| {
        (
            vec([isn.clone(), isn.clone()], n),
            any::<(bool, bool)>().prop_map(|(ipv6, relative)| Style { ipv6, relative }),
            vec(step(n), 1..40),
        )
    })
}

/// How a scenario is printed.
#[derive(Debug, Clone, Copy)]
struct Style {
    ipv6: bool,
    /// tcpdump's default numbering: absolute until the connection's first
    /// ACK-bearing segment, relative to the initial sequence numbers after it
    /// (otherwise `-S`: absolute everywhere).
    relative: bool,
}

/// Prints the scenario as tcpdump lines; returns the text and each line's flags.
fn render_scenario(isns: &[[u32; 2]], style: Style, steps: &[Step]) -> (String, Vec<&'static str>) {
    let ipv6 = style.ipv6;
    let mut entry = vec![false; isns.len()];
    let mut next: Vec<[u32; 2]> = isns.to_vec();
    let mut clock = 11 * 3600 * 1_000_000u64;
    let mut text = String::new();
    let mut flags = Vec::new();
    for s in steps {
        clock += s.micros;
        let kind = KINDS[s.kind];
        let (syn, fin, rst, ack) = (
            kind.contains('S'),
            kind.contains('F'),
            kind.contains('R'),
            kind.contains('.'),
        );
        let (me, peer) = if s.from_client { (0, 1) } else { (1, 0) };
        let (client, server) = if ipv6 {
            (
                format!("2001:db8::{:x}.{}", s.conn + 1, 40000 + s.conn),
                "2001:db8::ff.80".to_string(),
            )
        } else {
            (
                format!("10.0.0.{}.{}", s.conn + 1, 40000 + s.conn),
                "10.0.1.1.80".to_string(),
            )
        };
        let (src, dst) = if s.from_client {
            (&client, &server)
        } else {
            (&server, &client)
        };
        let len = if syn || rst || kind == "." || kind == "F." {
            0
        } else {
            s.len.max(1)
        };
        let seq = next[s.conn][me].wrapping_add_signed(s.seq_jitter);
        let ackn = next[s.conn][peer].wrapping_add_signed(s.ack_jitter);
        // What is printed: relative once the conversation has its tcpdump entry.
        let relative = style.relative && ack && !syn && entry[s.conn];
        entry[s.conn] |= ack;
        let (seq_shown, ack_shown) = if relative {
            (
                seq.wrapping_sub(isns[s.conn][me]),
                ackn.wrapping_sub(isns[s.conn][peer]),
            )
        } else {
            (seq, ackn)
        };
        let ip = if ipv6 { "IP6" } else { "IP" };
        let secs = clock / 1_000_000;
        let mut line = format!(
            "{:02}:{:02}:{:02}.{:06} {ip} {src} > {dst}: Flags [{kind}], seq {seq_shown}",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60,
            clock % 1_000_000
        );
        if len > 0 {
            line.push_str(&format!(":{}", seq_shown.wrapping_add(len)));
        }
        if ack {
            line.push_str(&format!(", ack {ack_shown}"));
        }
        let win = if rst { 0 } else { 502 };
        line.push_str(&format!(", win {win}, length {len}\n"));
        text.push_str(&line);
        flags.push(kind);
        let end = seq
            .wrapping_add(len)
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(fin));
        if !rst {
            next[s.conn][me] = end;
        }
    }
    (text, flags)
}

/// The states a connection starts in, as its first line's flags tell; the
/// server is CLOSED instead of LISTEN when it refuses the attempt with RST
/// (it was CLOSED throughout), and a first RST+ACK at seq 0 answers an
/// attempt the capture does not show (both CLOSED).
fn start_states(flags: &str, first: &SegmentReport) -> (TcpState, TcpState) {
    let start = |role: Role| {
        first
            .transitions
            .iter()
            .find(|t| t.who == role)
            .map_or(first.state.get(role), |t| t.from)
    };
    let shown = (start(Role::Client), start(Role::Server));
    let expected = match (flags.contains('S'), flags.contains('.')) {
        (true, false) => (Closed, Listen),
        (true, true) => (SynSent, Listen),
        _ => (Established, Established),
    };
    let refused = expected.1 == Listen && shown == (expected.0, Closed);
    let unseen_attempt =
        flags == "R." && first.seq_raw.or(first.seq) == Some(0) && shown == (Closed, Closed);
    if refused || unseen_attempt {
        shown
    } else {
        expected
    }
}

/// Every connection is summarised once, after all of its lines.
fn check_summaries(items: &[Item], input: &str) -> Result<(), TestCaseError> {
    let mut summarised = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::new();
    for item in items {
        match item {
            Item::Line {
                report: Some(r), ..
            } => {
                prop_assert!(
                    !summarised.contains(&r.conn),
                    "line {} of connection {} comes after its summary\ninput:\n{}",
                    r.line,
                    r.conn,
                    input
                );
                prop_assert!(!r.text.is_empty(), "line {} is not explained", r.line);
                seen.insert(r.conn);
            }
            Item::Connection(c) => {
                prop_assert!(
                    summarised.insert(c.conn),
                    "connection {} summarised twice",
                    c.conn
                );
            }
            Item::Line { .. } => {}
        }
    }
    prop_assert_eq!(seen, summarised);
    Ok(())
}

/// The state checks for one explained scenario.
fn check_states(items: &[Item], flags: &[&str], input: &str) -> Result<(), TestCaseError> {
    let fail = |what: String| Err(TestCaseError::fail(format!("{what}\ninput:\n{input}")));
    let mut shown: HashMap<usize, (TcpState, TcpState)> = HashMap::new();
    let reports: Vec<&SegmentReport> = items
        .iter()
        .filter_map(|i| match i {
            Item::Line {
                report: Some(r), ..
            } => Some(&**r),
            _ => None,
        })
        .collect();
    if reports.len() != flags.len() {
        return fail(format!(
            "{} reports for {} lines",
            reports.len(),
            flags.len()
        ));
    }
    for r in reports {
        let before = *shown
            .entry(r.conn)
            .or_insert_with(|| start_states(flags[r.line as usize - 1], r));
        let mut now = [before.0, before.1];
        for t in &r.transitions {
            let side = match t.who {
                Role::Client => 0,
                Role::Server => 1,
            };
            let cause = flags
                .get((t.cause_line as usize).wrapping_sub(1))
                .copied()
                .unwrap_or("?");
            let edge = EDGES.contains(&(t.from, t.to)) || (t.to == Closed && cause.contains('R'));
            let what = format!(
                "line {}: {} {} → {} ({}; cause line {} [{}])",
                r.line,
                t.who.name(),
                t.from,
                t.to,
                t.why.code(),
                t.cause_line,
                cause
            );
            if t.from == t.to {
                return fail(format!("{what}: a transition to itself"));
            }
            if !edge {
                return fail(format!("{what}: not an edge of RFC 9293's diagram"));
            }
            if t.from != now[side] {
                return fail(format!("{what}: but it was {}", now[side]));
            }
            if tcpexplain::Lang::ALL
                .iter()
                .any(|&lang| tcpexplain::explain::reason(t.why, lang).is_empty())
            {
                return fail(format!("{what}: no reason given"));
            }
            now[side] = t.to;
        }
        if (r.state.client, r.state.server) != (now[0], now[1]) {
            return fail(format!(
                "line {}: shows client {} server {}, but its transitions lead to {} {}",
                r.line, r.state.client, r.state.server, now[0], now[1]
            ));
        }
        shown.insert(r.conn, (now[0], now[1]));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn random_segments_follow_rfc9293((isns, style, steps) in scenario()) {
        let (text, flags) = render_scenario(&isns, style, &steps);
        let items = tcpexplain::explain(&text);
        check_states(&items, &flags, &text)?;
        check_summaries(&items, &text)?;
        render_all(&items);
    }

    /// The same with tiny limits: eviction, the hold limit and lingering summaries.
    #[test]
    fn random_segments_with_tiny_limits((isns, style, steps) in scenario(), held in 1usize..4) {
        let (text, flags) = render_scenario(&isns, style, &steps);
        let items = tcpexplain::explain_with(
            &text,
            Options {
                max_connections: 1,
                max_held: held,
                linger: 1,
                ..Options::default()
            },
        );
        let lines = items.iter().filter(|i| matches!(i, Item::Line { .. })).count();
        prop_assert_eq!(lines, steps.len());
        check_states(&items, &flags, &text)?;
        check_summaries(&items, &text)?;
        render_all(&items);
    }
}

/// The generator is worth its cases: a fixed sample of scenarios takes every
/// edge of the diagram, and resets from every state they reach.
#[test]
fn scenarios_reach_every_edge() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = scenario();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..3000 {
        let (isns, style, steps) = strategy.new_tree(&mut runner).unwrap().current();
        let (text, _) = render_scenario(&isns, style, &steps);
        for item in tcpexplain::explain(&text) {
            if let Item::Line {
                report: Some(r), ..
            } = item
            {
                seen.extend(r.transitions.iter().map(|t| (t.from, t.to)));
            }
        }
    }
    let missing: Vec<_> = EDGES.iter().filter(|e| !seen.contains(e)).collect();
    assert!(missing.is_empty(), "edges never taken: {missing:?}");
    let resets: Vec<_> = seen.iter().filter(|(_, to)| *to == Closed).collect();
    assert!(resets.len() >= 6, "few states reset: {resets:?}");
}
