//! Words in every language: every fact the captures in `tests/data` give rise
//! to is said in Simplified and Traditional Chinese without an English word
//! left in (names of flags, states, protocols and tools excepted), every
//! code has words in every language, and the facts of JSON Lines are the
//! same, byte for byte, whatever the language of their `text`.

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use tcpexplain::model::RecordKind;
use tcpexplain::render::{jsonl, text};
use tcpexplain::track::state::Reason;
use tcpexplain::{Item, Lang, Options};

/// Every dump in `tests/data` (captures, the article, wild and pasted dumps,
/// tcpdump's own test outputs).
fn dumps() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "txt" || e == "out") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut out,
    );
    out.sort();
    assert!(out.len() > 100, "dumps found: {}", out.len());
    out
}

fn explain(input: &str, lang: Lang) -> Vec<Item> {
    tcpexplain::explain_with(
        input,
        Options {
            lang,
            ..Options::default()
        },
    )
}

/// Words a Chinese text may keep in Latin letters: names of flags, options,
/// states, protocols, tools and systems, and units.
const NAMES: &[&str] = &[
    "SYN",
    "ACK",
    "FIN",
    "RST",
    "PSH",
    "URG",
    "ECE",
    "CWR",
    "ECN",
    "SYN-ACK",
    "MSS",
    "SACK",
    "D-SACK",
    "RFC",
    "TCP",
    "IP",
    "ICMP",
    "ICMPv6",
    "MTU",
    "TTL",
    "DF",
    "MSL",
    "id",
    "ms",
    "seq",
    "ack",
    "Linux",
    "Windows",
    "Wireshark",
    "Zeek",
    "tcpdump",
    "tcpexplain",
    "tshark",
    "conn_state",
    "history",
    "SO_LINGER",
    "REJECT",
    "prohibit",
    "shell",
    "Ctrl-C",
    "zip",
    "gzip",
    "zstd",
    "bzip2",
    "xz",
    "pcap",
    "pcapng",
    "UTF-16",
    "socket",
    "TCP Fast Open cookie",
];

/// The English words `text` holds, once the names it may keep, what the
/// input itself says (`data`: addresses, interface names, Zeek's codes) and
/// commands in backticks are taken out.
fn english_in(text: &str, data: &[String]) -> Vec<String> {
    let mut rest = text.to_string();
    // Commands to run are quoted as they are typed.
    while let (Some(a), Some(b)) = (rest.find('`'), rest.rfind('`')) {
        if a == b {
            break;
        }
        rest.replace_range(a..=b, " ");
    }
    // Zeek's codes (`Zeek：conn_state SF，history ShADadfF。`).
    if let Some(at) = rest.find("Zeek：") {
        let end = rest[at..].find('。').map_or(rest.len(), |e| at + e);
        rest.replace_range(at..end, " ");
    }
    for d in data {
        if !d.is_empty() {
            rest = rest.replace(d.as_str(), " ");
        }
    }
    for flag in ["-i any", "-S", "-v"] {
        rest = rest.replace(flag, " ");
    }
    let mut names: Vec<&str> = NAMES.to_vec();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut words = Vec::new();
    for word in rest.split(|c: char| !(c.is_ascii_alphanumeric() || "_-".contains(c))) {
        let word = word.trim_matches('-');
        let letters = word.chars().filter(char::is_ascii_alphabetic).count();
        if letters < 2 || names.contains(&word) {
            continue;
        }
        // State names (`SYN_SENT`) and Wireshark's and tcpexplain's codes
        // (`out_of_order`) are names; so are Zeek's history letters.
        let state = word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let code = word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if state || code {
            continue;
        }
        words.push(word.to_string());
    }
    // Names of more than one word.
    words.retain(|w| {
        !names
            .iter()
            .any(|n| n.contains(' ') && n.contains(w.as_str()))
    });
    words
}

/// What an item's words may quote from the input.
fn data_of(item: &Item) -> Vec<String> {
    let mut data = Vec::new();
    match item {
        Item::Connection(s) => {
            data.extend([s.client.clone(), s.server.clone()]);
        }
        Item::Line {
            record,
            report,
            icmp,
        } => {
            if let Some((client, server)) = icmp.as_ref().and_then(|i| i.ends.as_ref()) {
                data.extend([client.to_string(), server.to_string()]);
            }
            if let RecordKind::Other(o) = &record.kind {
                if let Some(e) = &o.icmp {
                    data.extend([e.reporter.to_string(), e.to.to_string()]);
                    data.extend(e.about.as_ref().map(ToString::to_string));
                }
            }
            if let RecordKind::Tcp(p) = &record.kind {
                data.extend([p.src.to_string(), p.dst.to_string()]);
            }
            for e in report.iter().flat_map(|r| &r.events) {
                // (Wireshark's labels are named by their codes.)
                data.push(e.kind.name().to_string());
                if let Some(n) = &e.note {
                    data.push(n.to_string());
                }
            }
        }
    }
    // (The longest first: an address before its host.)
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));
    data
}

/// The words of an item, as every renderer shows them.
fn words_of(item: &Item) -> Option<String> {
    match item {
        Item::Line {
            report: Some(r), ..
        } => Some(r.text.clone()),
        Item::Line { icmp: Some(i), .. } => Some(i.text.clone()),
        Item::Connection(s) => Some(s.text.clone()),
        Item::Line { .. } => None,
    }
}

#[test]
fn chinese_says_every_fact_of_the_captures_without_english() {
    let mut failures = BTreeSet::new();
    let mut said = 0usize;
    for path in dumps() {
        let input = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        for lang in [Lang::ZhHans, Lang::ZhHant] {
            for item in explain(&input, lang) {
                let Some(words) = words_of(&item) else {
                    continue;
                };
                assert!(
                    !words.is_empty(),
                    "{}: an item without words",
                    path.display()
                );
                said += 1;
                let english = english_in(&words, &data_of(&item));
                if !english.is_empty() {
                    failures.insert(format!(
                        "{} ({lang}): {english:?} in: {words}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(said > 5_000, "only {said} paragraphs read");
    let shown: Vec<String> = failures.iter().take(40).cloned().collect();
    assert!(
        failures.is_empty(),
        "{} paragraphs keep English words:\n{}",
        failures.len(),
        shown.join("\n\n")
    );
}

/// Every kind of fact the captures show, in every language: each event
/// kind, state-change reason, inference, teardown and ICMP problem of the
/// corpus changes the words, and the corpus shows nearly all of them (those
/// it lacks are listed, and must stay few).
#[test]
fn the_captures_show_every_kind_of_fact() {
    let mut events = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    let mut teardowns = BTreeSet::new();
    for path in dumps() {
        let input = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        for item in explain(&input, Lang::En) {
            match &item {
                Item::Line {
                    report: Some(r), ..
                } => {
                    events.extend(r.events.iter().map(|e| e.kind.name()));
                    reasons.extend(r.transitions.iter().map(|t| t.why.code()));
                }
                Item::Connection(s) => {
                    teardowns.insert(format!("{:?}", s.teardown));
                }
                Item::Line { .. } => {}
            }
        }
    }
    let unseen: Vec<&str> = Reason::ALL
        .iter()
        .map(|r| r.code())
        .filter(|c| !reasons.contains(c))
        .collect();
    // (Those missing: an ICMP error that ends an attempt, refused by a RST
    // the capture misses, a simultaneous open: their words are checked by
    // `every_reason_has_words_in_every_language`.)
    assert!(unseen.len() <= 3, "reasons no capture shows: {unseen:?}");
    // Every event but `evicted` (said nowhere: only a count in summaries).
    assert!(events.len() >= 23, "events the captures show: {events:?}");
    assert!(
        teardowns.len() >= 7,
        "teardowns the captures show: {teardowns:?}"
    );
}

/// Every state-change reason has words in every language, and the Chinese
/// ones are Chinese.
#[test]
fn every_reason_has_words_in_every_language() {
    for why in Reason::ALL {
        let english = tcpexplain::explain::reason(why, Lang::En);
        assert!(!english.is_empty(), "{}", why.code());
        for lang in [Lang::ZhHans, Lang::ZhHant] {
            let words = tcpexplain::explain::reason(why, lang);
            assert!(
                words
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} in {lang}: {words}",
                why.code()
            );
            assert_eq!(english_in(words, &[]), Vec::<String>::new(), "{words}");
            assert_ne!(words, english);
        }
    }
}

/// Traditional Chinese holds no Simplified character (a sample of those
/// the Simplified words use most), and the two differ where they should.
#[test]
fn traditional_is_traditional() {
    let input = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/article/close3.txt"),
    )
    .unwrap();
    let hant: String = explain(&input, Lang::ZhHant)
        .iter()
        .filter_map(words_of)
        .collect();
    for simplified in "们这个发确认连务数据时间关闭应对还进动报实节传状态".chars()
    {
        assert!(!hant.contains(simplified), "{simplified} in: {hant}");
    }
    for term in ["用戶端", "伺服器", "三次揮手", "確認", "連線", "位元組"] {
        assert!(hant.contains(term), "{term} missing from: {hant}");
    }
}

/// JSON Lines facts do not change with the language: each line, its `text`
/// fields set aside, is the same bytes in every language.
#[test]
fn json_lines_facts_are_the_same_in_every_language() {
    let facts = |item: &Item, lang: Lang| {
        let mut line = Vec::new();
        jsonl::append(item, lang, &mut line).unwrap();
        let mut value: Value = serde_json::from_slice(&line).unwrap();
        let texts = [
            value.get("text").cloned(),
            value.pointer("/icmp/text").cloned(),
        ];
        if let Some(map) = value.as_object_mut() {
            map.remove("text");
            if let Some(Value::Object(icmp)) = map.get_mut("icmp") {
                icmp.remove("text");
            }
        }
        (serde_json::to_string(&value).unwrap(), texts)
    };
    let mut lines = 0;
    for path in dumps() {
        let input = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let all: Vec<Vec<Item>> = Lang::ALL.iter().map(|&l| explain(&input, l)).collect();
        let [en, hans, hant] = [&all[0], &all[1], &all[2]];
        assert_eq!(en.len(), hans.len());
        assert_eq!(en.len(), hant.len());
        for ((a, b), c) in en.iter().zip(hans).zip(hant) {
            let (fa, ta) = facts(a, Lang::En);
            let (fb, tb) = facts(b, Lang::ZhHans);
            let (fc, tc) = facts(c, Lang::ZhHant);
            assert_eq!(fa, fb, "{}", path.display());
            assert_eq!(fa, fc, "{}", path.display());
            // The words do differ where there are words.
            if matches!(
                a,
                Item::Connection(_)
                    | Item::Line {
                        report: Some(_),
                        ..
                    }
            ) {
                assert_ne!(ta, tb, "{}", path.display());
                assert_ne!(tb, tc, "{}", path.display());
            }
            lines += 1;
        }
    }
    assert!(lines > 3_000, "{lines}");
}

/// Chinese wrapped for an 80-column terminal: no line is wider than 80
/// display columns (a CJK character takes two), and nothing is lost.
#[test]
fn chinese_wraps_within_80_columns() {
    use unicode_width::UnicodeWidthStr;
    let options = |lang| text::TextOptions {
        width: 80,
        lang,
        ..text::TextOptions::default()
    };
    let mut checked = 0;
    for path in dumps() {
        let input = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        for lang in [Lang::ZhHans, Lang::ZhHant] {
            for item in explain(&input, lang) {
                let Some(words) = words_of(&item) else {
                    continue;
                };
                let wrapped = text::wrap(&words, 80, "      ");
                for line in wrapped.lines() {
                    assert!(line.width() <= 80, "{} columns: {line}", line.width());
                    // No line starts with closing punctuation.
                    let first = line.trim_start().chars().next();
                    assert!(!first.is_some_and(|c| "，。、；：）".contains(c)), "{line}");
                }
                let joined: String = wrapped.split_whitespace().collect();
                let original: String = words.split_whitespace().collect();
                assert_eq!(joined, original);
                checked += 1;
                // The whole rendering too (its own lines are those it reads).
                let mut out = Vec::new();
                text::item(&item, &options(lang), &mut out).unwrap();
                for line in String::from_utf8(out).unwrap().lines() {
                    if line.starts_with("      ")
                        && !line.trim_start().starts_with(char::is_numeric)
                    {
                        assert!(line.width() <= 80, "{} columns: {line}", line.width());
                    }
                }
            }
        }
    }
    assert!(checked > 5_000, "{checked}");
}

/// A one-direction capture shows that both ends closed, but not whether the
/// second FIN carried the ACK of the first: no language says three segments
/// or four.
#[test]
fn a_close_whose_second_fin_is_unseen_is_not_called_three_or_four_way() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wild/14-k8s-one-direction.txt");
    let input = fs::read_to_string(path).unwrap();
    for (lang, hedge, claims) in [
        (
            Lang::En,
            "three segments or four cannot be told",
            &["Closed in"][..],
        ),
        (
            Lang::ZhHans,
            "无法判断是三次挥手还是四次挥手",
            &["用三个报文段", "用四个报文段"][..],
        ),
        (
            Lang::ZhHant,
            "無法判斷是三次揮手還是四次揮手",
            &["用三個區段", "用四個區段"][..],
        ),
    ] {
        let summaries: Vec<String> = explain(&input, lang)
            .into_iter()
            .filter_map(|item| match item {
                Item::Connection(s) => Some(s.text),
                Item::Line { .. } => None,
            })
            .collect();
        let [text] = summaries.as_slice() else {
            panic!("one connection: {summaries:?}");
        };
        assert!(text.contains(hedge), "{lang:?}: {text}");
        for claim in claims {
            assert!(!text.contains(claim), "{lang:?}: {text}");
        }
    }
}

/// A server of which nothing is in the capture (SYNs never answered): its
/// final state is said to be assumed, in every language; a server that
/// refused with a RST was seen, and is not.
#[test]
fn an_unheard_servers_final_state_is_said_to_be_assumed() {
    let input = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/wild/05-cn-blog-refused-and-synretry.txt"),
    )
    .unwrap();
    for (lang, assumed) in [
        (
            Lang::En,
            "LISTEN (assumed: nothing from it is in the capture)",
        ),
        (
            Lang::ZhHans,
            "LISTEN（这是假定的：抓包中没有它发出的任何报文段）",
        ),
        (
            Lang::ZhHant,
            "LISTEN（這是假定的：擷取中沒有它發出的任何區段）",
        ),
    ] {
        let summaries: Vec<(String, String)> = explain(&input, lang)
            .into_iter()
            .filter_map(|item| match item {
                Item::Connection(s) => Some((s.conn_state.clone(), s.text.clone())),
                Item::Line { .. } => None,
            })
            .collect();
        let [(refused, seen), (unanswered, unheard)] = summaries.as_slice() else {
            panic!("two connections: {summaries:?}");
        };
        assert_eq!((refused.as_str(), unanswered.as_str()), ("REJ", "S0"));
        assert!(unheard.contains(assumed), "{lang:?}: {unheard}");
        assert!(!seen.contains(assumed), "{lang:?}: {seen}");
    }
}

/// On a one-direction capture (the client's packets only), the server's
/// final state is said to be assumed, and the client's is not.
#[test]
fn the_far_ends_final_state_is_said_to_be_assumed_on_a_one_direction_capture() {
    let input = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wild/14-k8s-one-direction.txt"),
    )
    .unwrap();
    for (lang, assumed) in [
        (
            Lang::En,
            "server CLOSED (assumed: nothing from it is in the capture)",
        ),
        (
            Lang::ZhHans,
            "服务器 CLOSED（这是假定的：抓包中没有它发出的任何报文段）",
        ),
        (
            Lang::ZhHant,
            "伺服器 CLOSED（這是假定的：擷取中沒有它發出的任何區段）",
        ),
    ] {
        let summaries: Vec<String> = explain(&input, lang)
            .into_iter()
            .filter_map(|item| match item {
                Item::Connection(s) => Some(s.text),
                Item::Line { .. } => None,
            })
            .collect();
        let [text] = summaries.as_slice() else {
            panic!("one connection: {summaries:?}");
        };
        assert!(text.contains(assumed), "{lang:?}: {text}");
        assert_eq!(
            text.matches("assumed: nothing").count() + text.matches("假定的：").count(),
            1,
            "{lang:?}: {text}"
        );
    }
}

/// A FIN without ACK (a scan's FIN and Xmas probes) is not said to be an
/// application closing: no end of a connection sends one.
#[test]
fn a_fin_without_ack_is_not_an_application_closing() {
    let input = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures/probes/nn.txt"),
    )
    .unwrap();
    for (lang, crafted, closing) in [
        (Lang::En, "FIN set without ACK", "its application closed"),
        (Lang::ZhHans, "FIN 置位但没有 ACK", "它的应用程序关闭了连接"),
        (Lang::ZhHant, "FIN 置位但沒有 ACK", "它的應用程式關閉了連線"),
    ] {
        let probes: Vec<String> = explain(&input, lang)
            .into_iter()
            .filter_map(|item| match item {
                Item::Line {
                    report: Some(r), ..
                } if r.flags.contains('F') => Some(r.text),
                _ => None,
            })
            .collect();
        assert_eq!(probes.len(), 2, "{lang:?}: the Xmas and the FIN probe");
        for text in probes {
            assert!(text.contains(crafted), "{lang:?}: {text}");
            assert!(!text.contains(closing), "{lang:?}: {text}");
        }
    }
}
