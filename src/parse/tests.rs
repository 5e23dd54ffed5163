use super::*;
use crate::model::*;

fn tcp(line: &str) -> TcpPacket {
    match parse_line(line) {
        RecordKind::Tcp(p) => *p,
        other => panic!("not TCP: {other:?}"),
    }
}

#[test]
fn article_syn() {
    let p = tcp("1 12:43:46.905723 IP 172.16.196.142.41334 > 172.16.196.145.60000: Flags [S], seq 3255498564, win 14600, options [mss 1460,sackOK,TS val 1412272238 ecr 0,nop,wscale 7], length 0");
    assert_eq!(p.prefix.number, Some(1));
    assert_eq!(p.src.host, "172.16.196.142");
    assert_eq!(p.dst.port.as_deref(), Some("60000"));
    assert_eq!(p.flags, Flags::SYN);
    assert_eq!(
        p.seq,
        Some(SeqRange {
            first: 3255498564,
            last: None
        })
    );
    assert_eq!(p.mss(), Some(1460));
    assert_eq!(p.wscale(), Some(7));
    assert_eq!(p.timestamps(), Some((1412272238, 0)));
    assert_eq!(p.length, Some(0));
}

/// Calls `each(file, line)` for every line of the test data and, when present,
/// of ../shared's corpus.
fn every_line(mut each: impl FnMut(&std::path::Path, &str)) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    text_files(&root.join("tests/data"), &mut files);
    text_files(&root.join("../shared/corpus"), &mut files);
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
        for line in text.lines() {
            each(path, line);
        }
    }
}

/// Every text file under `dir`, recursively.
fn text_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            text_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt" || e == "out") {
            out.push(path);
        }
    }
}

/// The fast path for the common 4.x shape either declines or reads exactly what
/// the full grammar reads: every 4.x line of the test data (and of ../shared's
/// corpus when present), whole and cut short at every character.
#[test]
fn common_shape_reads_as_the_full_grammar() {
    let (mut lines, mut fast) = (0usize, 0usize);
    every_line(|path, line| {
        let Some(body) = tcp::locate(line).and_then(|at| line.get(at.body..)) else {
            return;
        };
        if !body.starts_with(" Flags [") {
            return;
        }
        lines += 1;
        let cuts = body.char_indices().map(|(i, _)| i).chain([body.len()]);
        // Cutting every line at every character is slow: the whole line always, cuts for a sample.
        let cuts: Vec<usize> = if lines % 50 == 1 {
            cuts.collect()
        } else {
            vec![body.len()]
        };
        for cut in cuts {
            let whole = cut == body.len();
            let body = &body[..cut];
            let blank = || TcpPacket::new(Endpoint::default(), Endpoint::default());
            let (mut quick, mut full) = (blank(), blank());
            if tcp::modern_common(body, &mut quick).is_none() {
                continue;
            }
            fast += usize::from(whole);
            assert!(
                tcp::modern_full(body, &mut full).is_ok(),
                "{}: fast path read what the grammar rejects: {body}",
                path.display()
            );
            assert_eq!(quick, full, "{}: {body}", path.display());
        }
    });
    // Most lines take the fast path (the rest are mostly `-v` lines with checksums).
    assert!(lines > 1000 && fast * 2 > lines, "{fast} of {lines} lines");
}

/// The fast path for the whole common line either declines or reads exactly
/// what the general path reads: every line of the test data (and of
/// ../shared's corpus when present), whole and, for a sample, cut short at
/// every character.
#[test]
fn common_line_reads_as_the_general_path() {
    let (mut lines, mut fast) = (0usize, 0usize);
    every_line(|path, line| {
        lines += 1;
        let cuts: Vec<usize> = if lines % 50 == 1 {
            line.char_indices()
                .map(|(i, _)| i)
                .chain([line.len()])
                .collect()
        } else {
            vec![line.len()]
        };
        for cut in cuts {
            let text = &line[..cut];
            let quick = common_line(text).map(|p| Pending::Ready(RecordKind::Tcp(p)));
            let general = read_any_head(1, text);
            if quick.is_some() {
                fast += usize::from(cut == line.len());
                assert_eq!(quick, general, "{}: {text}", path.display());
            }
            // The next line is read into this one's packet (of whatever kind
            // of line), as the command does.
            give_back(quick);
            give_back(general);
        }
    });
    // (Most test data is rendered with other flags: -v, -e, -S, -tt, names, ...)
    assert!(lines > 10_000 && fast > 1000, "{fast} of {lines} lines");
}

/// The one-pass reading of common options agrees with the general one: every
/// option of every options list in the test data (and ../shared's corpus);
/// and so does the reading of a whole `nop,nop,TS val N ecr N` list.
#[test]
fn common_options_read_as_the_general_path() {
    let (mut seen, mut quick, mut lists) = (0usize, 0usize, 0usize);
    every_line(|path, line| {
        let (list, close) = match (line.find(", options ["), line.find(" <")) {
            (Some(at), _) => (&line[at + ", options [".len()..], ']'),
            (None, Some(at)) => (&line[at + 2..], '>'),
            _ => return,
        };
        let mut rest = list;
        let mut general = Vec::new();
        while !rest.is_empty() && !rest.starts_with(close) {
            let end = tcp::option_end(rest, close);
            if end == 0 || end == rest.len() {
                break;
            }
            seen += 1;
            general.push(tcp::option(&rest[..end], close == '>'));
            if let Some((option, quick_end)) = tcp::common_option(rest, close) {
                quick += 1;
                assert_eq!(quick_end, end, "{}: {line}", path.display());
                assert_eq!(Some(&option), general.last(), "{line}");
            }
            rest = &rest[end..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        if let Some((val, ecr, after)) = tcp::timestamps_only(list, close as u8) {
            lists += 1;
            let whole = [
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Timestamp { val, ecr },
            ];
            assert_eq!(general, whole, "{}: {line}", path.display());
            assert_eq!(Some(after), rest.strip_prefix(close), "{line}");
        }
    });
    assert!(
        seen > 10_000 && quick * 2 > seen && lists > 1000,
        "{quick} of {seen} options, {lists} timestamp lists"
    );
}

#[test]
fn numbers_read_eight_digits_at_a_time_as_one_by_one() {
    for s in [
        "0",
        "7",
        "12345678",
        "123456789",
        "4294967295",
        "4294967296",
        "00000000000000000001",
        "1234567x",
        "12a45678901",
        "99999999",
        "0000000000",
    ] {
        assert_eq!(tcp::leading_digits(s.as_bytes()), one_by_one(s), "{s}");
    }
}

/// What [`tcp::leading_digits`] must give: the digits read one by one (runs of
/// 20 digits or more, and values of 2^32 or more, declined).
fn one_by_one(s: &str) -> Option<(u32, usize)> {
    let value = s
        .bytes()
        .take_while(u8::is_ascii_digit)
        .try_fold(0u64, |n, b| {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        });
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    value
        .and_then(|n| u32::try_from(n).ok())
        .filter(|_| digits > 0 && digits < 20)
        .map(|n| (n, digits))
}

proptest::proptest! {
    /// Numbers of every length, with what may follow them, read as one by one.
    #[test]
    fn numbers_of_every_length_read_as_one_by_one(s in "0{0,3}[0-9]{0,18}[ :,\\]a/\\x7f\\x{e9}]?[0-9 ]{0,8}") {
        proptest::prop_assert_eq!(tcp::leading_digits(s.as_bytes()), one_by_one(&s), "{:?}", s);
    }
}

/// tcpdump prints an out-of-range sub-second value as is (`.2147483648`): such
/// a time prints back to text that reads the same, in every form. (Found by
/// the mutation property test: a digit inserted into the fraction.)
#[test]
fn out_of_range_fractions_print_back() {
    let body = " IP 127.0.0.1.55920 > 127.0.0.1.80: Flags [S], seq 1, win 32767, length 0";
    for time in [
        "03:57:35.0938066000",
        "03:57:35.2147483648",
        "17:16:10.1000000",
        "1700000000.2147483648",
        "2024-01-01 23:59:59.9999999999",
        " 00:00:01.12345678901",
    ] {
        let packet = tcp(&format!("{time}{body}"));
        let printed = packet.to_string();
        assert_eq!(
            tcp(&printed),
            packet,
            "{time:?} printed back as {printed:?}"
        );
    }
}

#[test]
fn flag_letters_read_as_they_are_printed() {
    for (letter, flag) in Flags::LETTERS {
        assert_eq!(tcp::flag_of(letter as u8), Some(flag), "{letter}");
        let printed = flag.with(Flags::ACK).letters();
        let line = format!("IP 10.0.0.1.1 > 10.0.0.2.2: Flags [{printed}], win 1, length 0");
        assert_eq!(self::tcp(&line).flags, flag.with(Flags::ACK), "{line}");
    }
    assert_eq!(tcp::flag_of(b'X'), None);
    assert!(matches!(
        parse_line("IP 10.0.0.1.1 > 10.0.0.2.2: Flags [SX], win 1, length 0"),
        RecordKind::Other(_) | RecordKind::Unparsed(_)
    ));
}

/// Hands the packet of `pending` back for reuse: the next line is read into its box.
fn give_back(pending: Option<Pending>) {
    if let Some(Pending::Ready(kind)) = pending {
        crate::spare::recycle_record(Record {
            line: 1,
            lines: 1,
            text: String::new(),
            kind,
        });
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
    /// Real common lines edited at random (characters replaced, inserted or
    /// removed, from the alphabet these lines are made of): the one-pass
    /// readings decline or agree with the general path.
    #[test]
    fn edited_common_lines_read_as_the_general_path(
        base in proptest::sample::select(&[
            "18:30:25.478863 IP 10.78.0.1.45422 > 10.78.0.2.5001: Flags [S], seq 204822466, win 65400, options [mss 200,sackOK,TS val 1406706050 ecr 0,nop,wscale 10], length 0",
            "18:30:25.479203 IP 10.78.0.1.45422 > 10.78.0.2.5001: Flags [P.], seq 1:941, ack 1, win 64, options [nop,nop,TS val 1406706050 ecr 3441358052], length 940",
            "18:30:25.479210 IP 10.78.0.2.5001 > 10.78.0.1.45422: Flags [.], ack 941, win 64, options [nop,nop,TS val 3441358052 ecr 1406706050], length 0",
            "12:43:46.905723 IP 172.16.196.145.60000 > 172.16.196.142.41334: Flags [F.], seq 1, ack 2, win 114, length 0",
        ][..]),
        edits in proptest::collection::vec(
            (0usize..200, 0u8..3, proptest::sample::select(
                &b"0123456789.:, []>SFRP.TSvalecrnopms-x"[..])),
            1..4,
        ),
    ) {
        let mut bytes = base.as_bytes().to_vec();
        for (at, kind, c) in edits {
            let at = at % (bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => bytes[at] = c,
                1 => bytes.insert(at, c),
                _ if at < bytes.len() => { bytes.remove(at); }
                _ => {}
            }
        }
        let text = String::from_utf8(bytes).unwrap();
        // Read into the used packet of the unedited line (what it keeps must be right).
        give_back(read_any_head(1, base));
        if let Some(quick) = common_line(&text) {
            proptest::prop_assert_eq!(
                Some(Pending::Ready(RecordKind::Tcp(quick))),
                read_any_head(1, &text),
                "{}", text
            );
        }
    }
}

proptest::proptest! {
    /// The word-at-a-time dot scan agrees with a byte-by-byte count, at every length.
    #[test]
    fn dots_counted_as_byte_by_byte(text in "[0-9a-f.:]{0,24}") {
        let b = text.as_bytes();
        let count = b.iter().filter(|&&c| c == b'.').count();
        let last = b.iter().rposition(|&c| c == b'.');
        proptest::prop_assert_eq!(super::tcp::dots(b), (count as u32, last));
    }
}

proptest::proptest! {
    /// The word-at-a-time search finds what a byte-by-byte one finds.
    #[test]
    fn first_of_found_as_byte_by_byte(text in "[0-9a-f. :>]{0,40}") {
        let b = text.as_bytes();
        proptest::prop_assert_eq!(first_of(b, b' ', b':'), b.iter().position(|&c| c == b' ' || c == b':'));
    }
}
