//! One row per connection (`--table`, the HTML report's table of
//! connections, and the live `--every` summary): its ends, lines, size,
//! how it opened and closed, its last states and its problems.

use super::labels::Label;
use super::{escape, sanitize};
use crate::lang::Lang;
use crate::track::report::{ConnectionSummary, States};
use unicode_width::UnicodeWidthStr;

/// The columns, and whether each holds numbers (aligned right).
const COLUMNS: [(Label, bool); 12] = [
    (Label::Connection, true),
    (Label::Client, false),
    (Label::Server, false),
    (Label::Line, false),
    (Label::Segments, true),
    (Label::Duration, true),
    (Label::FromClient, true),
    (Label::FromServer, true),
    (Label::Handshake, false),
    (Label::Teardown, false),
    (Label::FinalStates, false),
    (Label::Problems, false),
];

/// What a table shows of one connection (the same facts whether it has
/// ended or not).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub conn: usize,
    pub client: String,
    pub server: String,
    pub first_line: u64,
    pub last_line: u64,
    pub segments: u64,
    pub duration: Option<f64>,
    pub bytes_client: u64,
    pub bytes_server: u64,
    pub handshake: String,
    pub teardown: String,
    pub states: States,
    /// Each problem's name and count.
    pub problems: Vec<(String, u32)>,
}

impl Facts {
    /// The facts of a connection's summary.
    pub fn of(s: &ConnectionSummary) -> Facts {
        Facts {
            conn: s.conn,
            client: s.client.clone(),
            server: s.server.clone(),
            first_line: s.first_line,
            last_line: s.last_line,
            segments: s.segments,
            duration: s.duration,
            bytes_client: s.bytes_client,
            bytes_server: s.bytes_server,
            handshake: s.handshake.code().to_string(),
            teardown: s.teardown.code().to_string(),
            states: s.final_state,
            problems: s.problems.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    /// The cells of its row.
    pub fn cells(&self, lang: Lang) -> Vec<String> {
        let problems = if self.problems.is_empty() {
            Label::NoProblems.text(lang).to_string()
        } else {
            self.problems
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let lines = if self.first_line == self.last_line {
            self.first_line.to_string()
        } else {
            format!("{}–{}", self.first_line, self.last_line)
        };
        vec![
            self.conn.to_string(),
            sanitize(&self.client).into_owned(),
            sanitize(&self.server).into_owned(),
            lines,
            self.segments.to_string(),
            self.duration
                .map(crate::explain::ms)
                .unwrap_or_else(|| "—".to_string()),
            self.bytes_client.to_string(),
            self.bytes_server.to_string(),
            sanitize(&self.handshake).into_owned(),
            self.teardown.clone(),
            format!("{}/{}", self.states.client, self.states.server),
            problems,
        ]
    }
}

/// The column names.
pub fn heads(lang: Lang) -> Vec<&'static str> {
    COLUMNS.iter().map(|(l, _)| l.text(lang)).collect()
}

/// Rows of cells as aligned text: a header, then one line per row, columns
/// two spaces apart (numbers aligned right), no line longer than it must be.
/// With `inputs`, each row starts with the name of its input.
pub fn text(rows: &[Vec<String>], lang: Lang, inputs: bool) -> String {
    let mut heads = heads(lang);
    let numeric = |n: usize| {
        let n = if inputs { n.checked_sub(1) } else { Some(n) };
        n.and_then(|n| COLUMNS.get(n)).is_some_and(|c| c.1)
    };
    if inputs {
        heads.insert(0, Label::Input.text(lang));
    }
    let mut widths: Vec<usize> = heads.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (n, cell) in cells.enumerate() {
            let w = widths.get(n).copied().unwrap_or(0);
            let pad = " ".repeat(w.saturating_sub(cell.width()));
            if n > 0 {
                s.push_str("  ");
            }
            if numeric(n) {
                s.push_str(&pad);
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&pad);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut heads.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// The header of an HTML table of connections.
pub fn html_header(lang: Lang) -> String {
    let mut out = String::from("<table class=\"conns\"><tr>");
    for h in heads(lang) {
        out.push_str("<th>");
        out.push_str(&escape(h));
        out.push_str("</th>");
    }
    out.push_str("</tr>");
    out
}

/// A connection's row of an HTML table, its number linking to `anchor`.
pub fn html_row(s: &ConnectionSummary, anchor: Option<&str>, lang: Lang) -> String {
    let cells = Facts::of(s).cells(lang);
    let mut out = String::from("<tr>");
    for (n, cell) in cells.iter().enumerate() {
        let numeric = COLUMNS.get(n).is_some_and(|c| c.1);
        out.push_str(if numeric { "<td class=\"n\">" } else { "<td>" });
        match anchor.filter(|_| n == 0) {
            Some(a) => {
                out.push_str(&format!("<a href=\"#{}\">{}</a>", escape(a), escape(cell)));
            }
            None if n == COLUMNS.len() - 1 && !s.problems.is_empty() => {
                out.push_str(&format!("<span class=\"problems\">{}</span>", escape(cell)));
            }
            None => out.push_str(&escape(cell)),
        }
        out.push_str("</td>");
    }
    out.push_str("</tr>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_columns() {
        let items = crate::explain(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data/captures/fast_retransmission/nn.txt"),
            )
            .unwrap(),
        );
        let rows: Vec<Vec<String>> = items
            .iter()
            .filter_map(|i| match i {
                crate::Item::Connection(s) => Some(Facts::of(s).cells(Lang::En)),
                _ => None,
            })
            .collect();
        let t = text(&rows, Lang::En, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        assert!(lines[0].starts_with("connection  client"), "{t}");
        assert!(
            lines[1].contains("duplicate_ack 11, fast_retransmission 1, retransmission 1"),
            "{t}"
        );
        assert!(lines[1].contains("TIME_WAIT/CLOSED"), "{t}");
        // Chinese headers take two cells a character, and still line up.
        let zh = text(&rows, Lang::ZhHans, false);
        let first = zh.lines().next().unwrap();
        assert!(first.starts_with("连接  客户端"), "{zh}");
    }
}
