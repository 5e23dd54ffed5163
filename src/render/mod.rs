//! Explained items into text for people and formats for machines.
//!
//! Streaming formats ([`Format::Text`], [`Format::Jsonl`]) write each item as it
//! comes; document formats (JSON, Markdown, HTML) and the ladder diagram
//! ([`document::Document`]) show each connection's lines together, and write
//! each connection's part once it has ended, keeping the rendered rows of
//! the others meanwhile (in a temporary file past a few MiB).

pub mod diagram;
pub mod document;
pub mod invisible;
pub mod jsonl;
pub mod labels;
pub mod table;
pub mod text;
pub mod timeline;
pub mod tsg;

use crate::lang::Lang;
use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;
use std::borrow::Cow;

/// Escapes text for HTML element content and attribute values (and SVG's),
/// after [`sanitize`].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in sanitize(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A segment's explanation as renderers that show both ends' states beside
/// it (text's status line, the tables' state columns) print it: without its
/// closing sentence of the states when the line changed none (the same
/// "Now: client ESTABLISHED, server ESTABLISHED." under most lines of a
/// transfer). The states are said when they change.
pub fn explanation(r: &SegmentReport, lang: Lang) -> Cow<'_, str> {
    crate::explain::without_unchanged_states(r, lang)
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Jsonl,
    Json,
    Markdown,
    Html,
}

/// Makes text from the input safe to show: control characters, escape
/// sequences and invisible characters (which strangers control through DNS
/// names and `-A` payloads) become visible `^X` / `\u{..}` notation instead of
/// reaching the terminal. Newlines and tabs stay. The characters replaced are
/// those of [`invisible::INVISIBLE`], taken from the Unicode properties.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    if !has_unsafe_bytes(text.as_bytes()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push('^');
            out.push(char::from_u32((c as u32) ^ 0x40).unwrap_or('?'));
        } else if c == '\u{7f}' {
            out.push_str("^?");
        } else {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A character [`sanitize`] replaces: an invisible one (a control character,
/// a format character, a separator, a bidirectional or ignorable mark), but
/// newline and tab.
fn is_unsafe(c: char) -> bool {
    c != '\n' && c != '\t' && invisible::is_invisible(c)
}

/// Whether `text` (UTF-8) holds a character [`is_unsafe`], found from the
/// bytes, eight at a time: every line of text output is checked, and decoding
/// it character by character took a tenth of the time. Only the characters
/// of a word that has a control byte or a non-ASCII byte are looked at.
fn has_unsafe_bytes(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0usize;
    while let Some(word) = b.get(at..at.saturating_add(8)) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // A byte below 0x20, DEL (one above 0x7e) or one of a non-ASCII character.
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let del = (w ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(w ^ (ONES * 0x7f)) & HIGH;
        if (below_space | del | (w & HIGH)) != 0
            && (at..at.saturating_add(8)).any(|i| unsafe_at(b, i))
        {
            return true;
        }
        at = at.saturating_add(8);
    }
    (at..b.len()).any(|i| unsafe_at(b, i))
}

/// Whether an unsafe character starts at `b[i]` (`b` is UTF-8): a control
/// byte, or the first byte of a non-ASCII character that [`is_unsafe`].
fn unsafe_at(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        Some(b'\n' | b'\t') | None => false,
        Some(0..=0x1f | 0x7f) => true,
        Some(&lead @ 0xc2..) => {
            if !invisible::may_start(lead, b.get(i.saturating_add(1)).copied().unwrap_or(0)) {
                return false;
            }
            let len = match lead {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            b.get(i..i.saturating_add(len))
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .and_then(|s| s.chars().next())
                .is_some_and(is_unsafe)
        }
        Some(_) => false,
    }
}

/// The segments and summary of one connection, gathered from a stream of items.
#[derive(Debug, Clone, Default)]
pub struct ConnectionView<'a> {
    pub segments: Vec<&'a SegmentReport>,
    pub summary: Option<&'a ConnectionSummary>,
}

/// Groups items by connection, in order of first appearance.
pub fn by_connection(items: &[Item]) -> Vec<ConnectionView<'_>> {
    let mut views: Vec<ConnectionView<'_>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut slot = |conn: usize, views: &mut Vec<ConnectionView<'_>>| {
        *index.entry(conn).or_insert_with(|| {
            views.push(ConnectionView::default());
            views.len().saturating_sub(1)
        })
    };
    for item in items {
        match item {
            Item::Line {
                report: Some(r), ..
            } => {
                let i = slot(r.conn, &mut views);
                if let Some(v) = views.get_mut(i) {
                    v.segments.push(r);
                }
            }
            Item::Connection(s) => {
                let i = slot(s.conn, &mut views);
                if let Some(v) = views.get_mut(i) {
                    v.summary = Some(s);
                }
            }
            Item::Line { .. } => {}
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    /// The sentence of unchanged states is left out exactly when a line
    /// changed no state, in every language; every other word stays (over
    /// every capture).
    #[test]
    fn explanations_say_the_states_when_they_change() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut files = Vec::new();
        for dir in ["article", "captures"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "txt") {
                        files.push(p);
                    }
                }
            }
        }
        let (mut cut, mut kept) = (0, 0);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // (Reports without words: each language writes its own.)
            let bare = crate::Options {
                explanations: false,
                ..crate::Options::default()
            };
            for item in crate::explain_with(&text, bare) {
                let crate::Item::Line {
                    report: Some(r), ..
                } = item
                else {
                    continue;
                };
                for lang in crate::Lang::ALL {
                    let full = crate::explain::text(&r, lang).into_owned();
                    let shown = super::explanation(&r, lang);
                    if r.transitions.is_empty() {
                        let sentence = match lang {
                            crate::Lang::En => format!(
                                " Now: client {}, server {}.",
                                r.state.client, r.state.server
                            ),
                            crate::Lang::ZhHans => format!(
                                "当前状态：客户端 {}，服务器 {}。",
                                r.state.client, r.state.server
                            ),
                            crate::Lang::ZhHant => format!(
                                "目前狀態：用戶端 {}，伺服器 {}。",
                                r.state.client, r.state.server
                            ),
                        };
                        assert_eq!(
                            format!("{shown}{sentence}"),
                            full,
                            "{}: {} ({lang})",
                            file.display(),
                            r.line
                        );
                        cut += 1;
                    } else {
                        assert_eq!(shown, full);
                        kept += 1;
                    }
                }
            }
        }
        assert!(cut > 300 && kept > 300, "{cut} {kept}");
    }

    /// The byte check finds exactly the characters that are replaced, between
    /// others, at every place in an eight-byte word and across two words.
    #[test]
    fn unsafe_bytes_are_unsafe_characters() {
        // (Every character of the first plane, where all of them are; a sample beyond.)
        let chars = (0..=0xffff)
            .chain((0x1_0000..=0x10_ffff).step_by(251))
            .chain(0x1_0000..=0x1_ffff)
            .chain(0xe_0000..=0xe_1000);
        for c in chars.filter_map(char::from_u32) {
            for pad in [0, 1, 5, 6, 7, 9, 14] {
                let text = format!("{}→{c}·{}", "x".repeat(pad), "y".repeat(9));
                assert_eq!(
                    super::has_unsafe_bytes(text.as_bytes()),
                    super::is_unsafe(c),
                    "U+{:04X} after {pad}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("evil\u{1b}[31mred\u{7}"), "evil^[[31mred^G");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(sanitize("plain text"), "plain text");
    }

    /// Issue 25, fault 8: invisible characters (format, ignorable, tags) are shown.
    #[test]
    fn escapes_invisible_characters() {
        for (c, shown) in [
            ('\u{61c}', "\\u{61c}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{ad}', "\\u{ad}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{fff9}', "\\u{fff9}"),
            ('\u{e0041}', "\\u{e0041}"),
            ('\u{e0001}', "\\u{e0001}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{9b}', "\\u{9b}"),
        ] {
            assert_eq!(sanitize(&format!("a{c}b")), format!("a{shown}b"));
        }
        assert_eq!(
            sanitize("10.0.0.1 → 10.0.0.2, é 😀"),
            "10.0.0.1 → 10.0.0.2, é 😀"
        );
    }
}
