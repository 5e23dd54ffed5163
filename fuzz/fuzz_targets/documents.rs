//! Arbitrary bytes through the document formats as the command writes them,
//! item by item ([`Document`]): JSON, Markdown, HTML, ladder diagrams and
//! pictures (written nowhere: drawn without a panic), for
//! one input and for the same items as two inputs.
//!
//! Checks, besides "no panic":
//! - spooling: the output is the same whether the spools stay in memory or
//!   move to the temporary file at every item;
//! - JSON: the output is one array, the JSON Lines objects of the items;
//! - nothing invisible (controls but newline, bidirectional and format
//!   characters) is written raw, in any format;
//! - Markdown: code fences balance; every table row has its columns' pipes
//!   and no other unescaped pipe, and no unescaped `[` (no link, no image);
//! - HTML: every tag is one the page itself writes (input is escaped);
//! - JSON Lines (the hand-written writer of segments included): each line
//!   reads back as the item's JSON value, with nothing invisible raw.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcpexplain::render::document::{Document, DocumentKind};
use tcpexplain::render::{invisible, jsonl};
use tcpexplain::{Explainer, Item, Lang, Options};

/// Writes `sections` as a document of `kind`, the spools holding `memory` bytes.
fn write(kind: DocumentKind, sections: &[(&str, &[Item])], memory: usize, lang: Lang) -> String {
    let mut out = Vec::new();
    let mut doc = Document::with_memory(kind, sections.len() > 1, lang, memory);
    doc.start(&mut out, "fuzz <title>").expect("writes");
    for (name, items) in sections {
        doc.begin(&mut out, name).expect("writes");
        for item in *items {
            doc.item(&mut out, item).expect("writes");
        }
        doc.end(&mut out).expect("writes");
    }
    doc.finish(&mut out).expect("writes");
    String::from_utf8(out).expect("documents are UTF-8")
}

/// No invisible character but newline (and tab, which pages may hold) is written raw.
fn nothing_invisible(kind: DocumentKind, text: &str) {
    if let Some(c) = text
        .chars()
        .find(|&c| c != '\n' && c != '\t' && invisible::is_invisible(c))
    {
        panic!("{kind:?}: U+{:04X} written raw", c as u32);
    }
}

/// Count of `c` in `line` not escaped by a backslash.
fn unescaped(line: &str, c: char) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for x in line.chars() {
        if escaped {
            escaped = false;
        } else if x == '\\' {
            escaped = true;
        } else if x == c {
            count += 1;
        }
    }
    count
}

fn markdown_is_safe(text: &str) {
    assert_eq!(text.matches("```").count() % 2, 0, "fences balanced");
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || line.starts_with("### ") {
            // (Code: shown as is. Headings: input only inside code spans.)
            continue;
        }
        if line.starts_with('|') {
            let pipes = unescaped(line, '|');
            assert!(
                pipes == 11 || pipes == 4,
                "a table row with {pipes} pipes: {line}"
            );
        }
        assert_eq!(unescaped(line, '['), 0, "an unescaped [: {line}");
        assert!(
            !line.contains('<') || line.contains("<br>"),
            "markup: {line}"
        );
    }
}

const TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "section",
    "figure", "a", "span", "br", "svg", "g", "text", "tspan", "line", "polygon", "path", "rect",
    "circle", "clipPath", "table", "tr", "th", "td", "div", "p",
];

fn html_is_safe(text: &str) {
    for (i, _) in text.match_indices('<') {
        let rest = &text[i + 1..];
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(TAGS.contains(&name.as_str()), "a tag <{name}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (ctl, rest) = match data {
        [a, rest @ ..] => (*a, rest),
        _ => (0, data),
    };
    // The language by the input's length: every language's words are written.
    let lang = [Lang::En, Lang::ZhHans, Lang::ZhHant][rest.len() % 3];
    let options = Options {
        lang,
        max_connections: 1 + usize::from(ctl & 0x07),
        max_held: 1 + usize::from((ctl >> 3) & 0x07) * 3,
        linger: u64::from(ctl >> 6),
        ..Options::default()
    };
    let input = String::from_utf8_lossy(rest);
    let mut explainer = Explainer::with_options(options);
    let mut items: Vec<Item> = Vec::new();
    for line in input.lines() {
        explainer.push_line(line);
        items.extend(std::iter::from_fn(|| explainer.next_item()));
    }
    explainer.finish();
    items.extend(std::iter::from_fn(|| explainer.next_item()));

    for item in &items {
        let mut line = Vec::new();
        jsonl::append(item, lang, &mut line).expect("writes to memory");
        let text = String::from_utf8(line).expect("JSON Lines are UTF-8");
        nothing_invisible(DocumentKind::Json, text.trim_end_matches('\n'));
        let back: serde_json::Value = serde_json::from_str(&text).expect("one JSON value");
        assert_eq!(back, jsonl::value(item, lang), "{text}");
    }

    let (first, second) = items.split_at(items.len() / 2);
    let one: &[(&str, &[Item])] = &[("fuzz", &items[..])];
    let two: &[(&str, &[Item])] = &[("a\u{202e}", first), ("b <&> [x](y)", second)];
    for sections in [one, two] {
        for kind in [
            DocumentKind::Json,
            DocumentKind::Markdown,
            DocumentKind::Html,
            DocumentKind::Ladder { absolute: false },
            DocumentKind::Ladder { absolute: true },
            DocumentKind::Pictures { tsg: true },
            DocumentKind::Pictures { tsg: false },
        ] {
            let held = write(kind, sections, usize::MAX, lang);
            let spilled = write(kind, sections, 0, lang);
            assert!(held == spilled, "{kind:?}: spooling changed the output");
            nothing_invisible(kind, &held);
            match kind {
                DocumentKind::Json => {
                    let array: serde_json::Value =
                        serde_json::from_str(&held).expect("JSON is one value");
                    let expected: Vec<serde_json::Value> = sections
                        .iter()
                        .flat_map(|(name, items)| {
                            items.iter().map(move |item| {
                                if sections.len() > 1 {
                                    jsonl::with_file(item, name, lang)
                                } else {
                                    jsonl::value(item, lang)
                                }
                            })
                        })
                        .collect();
                    assert_eq!(array, serde_json::Value::Array(expected));
                }
                DocumentKind::Markdown => markdown_is_safe(&held),
                DocumentKind::Html => html_is_safe(&held),
                DocumentKind::Ladder { .. } | DocumentKind::Pictures { .. } => {}
            }
        }
    }
});
