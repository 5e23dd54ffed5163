//! Arbitrary bytes through the whole engine: lines into an `Explainer` (small
//! limits, so that eviction and the hold limit are exercised; occasional
//! flushes, as live input does), every item rendered as text and JSON lines as
//! it comes (and handed back for reuse, as the command does), and at the end
//! the document formats and the ladder diagrams.
//!
//! Besides "no panic": lines come out in input order, every non-blank line is
//! in exactly one line item, and every connection is summarised exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use tcpexplain::render::{self, diagram, document, jsonl, text, tsg};
use tcpexplain::{Explainer, Item, Lang, Options};

fuzz_target!(|data: &[u8]| {
    // Two control bytes choose the limits and the flush rhythm.
    let (ctl, rest) = match data {
        [a, b, rest @ ..] => ((*a, *b), rest),
        _ => ((0, 0), data),
    };
    // The language by the input's length: every language's words are written.
    let lang = [Lang::En, Lang::ZhHans, Lang::ZhHant][rest.len() % 3];
    let options = Options {
        max_connections: 1 + usize::from(ctl.0 & 0x07),
        max_held: 1 + usize::from((ctl.0 >> 3) & 0x07) * 3,
        linger: u64::from(ctl.0 >> 6),
        // Mostly with reports (the default), sometimes summaries only (`--summary`).
        reports: ctl.1 & 0x80 == 0,
        // Sometimes without segments' text, as for `--format jsonl`.
        segment_text: ctl.1 & 0x40 == 0,
        // Sometimes explanations written only when rendered, as Python's traces keep them.
        explanations: ctl.1 & 0x20 == 0,
        lang,
    };
    let flush_every = usize::from(ctl.1 & 0x0f); // 0: never
    let opts = [
        text::TextOptions {
            lang,
            ..text::TextOptions::default()
        },
        text::TextOptions {
            color: true,
            absolute: true,
            width: 30,
            lang,
            ..text::TextOptions::default()
        },
    ];

    let input = String::from_utf8_lossy(rest);
    let mut explainer = Explainer::with_options(options);
    let mut items: Vec<Item> = Vec::new();
    let mut sink = Vec::new();
    let mut take = |explainer: &mut Explainer, items: &mut Vec<Item>| {
        while let Some(item) = explainer.next_item() {
            sink.clear();
            text::item(&item, &opts[items.len() % 2], &mut sink).expect("writes to memory");
            jsonl::write(&item, lang, &mut sink).expect("writes to memory");
            // As the command does once an item is written: its boxes serve the next lines.
            tcpexplain::spare::recycle(item.clone());
            items.push(item);
        }
    };
    let mut total = 0u64;
    let mut non_blank = 0u64;
    for (i, line) in input.lines().enumerate() {
        total += 1;
        if !line.trim().is_empty() {
            non_blank += 1;
        }
        explainer.push_line(line);
        if flush_every != 0 && i % flush_every == flush_every - 1 {
            explainer.flush();
        }
        take(&mut explainer, &mut items);
    }
    explainer.finish();
    take(&mut explainer, &mut items);

    // One input, then the same items as two inputs (the multi-file layout).
    let (first, second) = items.split_at(items.len() / 2);
    for sections in [
        &[("fuzz", &items[..])][..],
        &[("a", first), ("b <&>", second)],
    ] {
        let _ = document::markdown(sections, lang);
        let _ = document::html(sections, "fuzz <title>", lang);
        let _ = document::json(sections);
    }
    for view in render::by_connection(&items) {
        let _ = diagram::ladder(&view, false, lang);
        let _ = diagram::ladder(&view, true, lang);
        let _ = diagram::svg(&view, lang);
        let _ = tsg::svg(&view, tsg::data_direction(&view), "t", lang);
    }

    // Accounting: lines in order, each non-blank line once, each connection summarised once.
    let mut last_line = 0u64;
    let mut covered = 0u64;
    let mut absorbed_blanks = 0u64;
    let mut seen = HashSet::new();
    let mut summarised = HashSet::new();
    for item in &items {
        match item {
            Item::Line { record, report, .. } => {
                assert!(record.line > last_line, "lines out of order");
                last_line = record.line + u64::from(record.lines) - 1;
                assert!(last_line <= total);
                covered += u64::from(record.lines);
                // (Without its text, a segment's blank lines are not counted.)
                if !record.text.is_empty() {
                    absorbed_blanks += record
                        .text
                        .split('\n')
                        .filter(|p| p.trim().is_empty())
                        .count() as u64;
                }
                if let Some(r) = report {
                    assert_eq!(r.line, record.line);
                    assert!(!summarised.contains(&r.conn), "a line after its summary");
                    seen.insert(r.conn);
                }
            }
            Item::Connection(s) => {
                assert!(summarised.insert(s.conn), "summarised twice: {}", s.conn);
            }
        }
    }
    if options.reports && !options.segment_text {
        // Blank lines inside a segment (an `-A` dump) are not counted without its text.
        assert!(
            covered >= non_blank + absorbed_blanks,
            "every line answered"
        );
    } else if options.reports {
        assert_eq!(covered, non_blank + absorbed_blanks, "every line answered");
    } else {
        assert_eq!(covered, 0, "summaries only: no line items");
    }
    assert!(
        seen.is_subset(&summarised),
        "a connection without a summary"
    );
});
