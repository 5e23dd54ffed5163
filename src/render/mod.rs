//! Explained items into text for people and formats for machines.
//!
//! Streaming formats ([`Format::Text`], [`Format::Jsonl`]) write each item as it
//! comes; document formats (JSON, Markdown, HTML) and the ladder diagram need
//! all items of a connection and are written at the end.

pub mod diagram;
pub mod document;
pub mod jsonl;
pub mod text;

use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Jsonl,
    Json,
    Markdown,
    Html,
}

/// Makes text from the input safe to show: control characters and escape
/// sequences (which strangers control through DNS names and `-A` payloads)
/// become visible `^X` / `\u{..}` notation instead of reaching the terminal.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push('^');
            out.push(char::from_u32((c as u32) ^ 0x40).unwrap_or('?'));
        } else if c == '\u{7f}' {
            out.push_str("^?");
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
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

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("evil\u{1b}[31mred\u{7}"), "evil^[[31mred^G");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(sanitize("plain text"), "plain text");
    }
}
