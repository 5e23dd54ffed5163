//! Whole-document formats: JSON (one array), Markdown (for an issue or a blog)
//! and a standalone HTML page (no scripts, every input string escaped).

use super::{by_connection, diagram, jsonl, sanitize};
use crate::model::RecordKind;
use crate::track::report::{Role, SegmentReport};
use crate::track::Item;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
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

/// Items of one or more inputs, each named (`name`, items).
pub type Sections<'a> = [(&'a str, &'a [Item])];

/// All items as one JSON array of the JSON Lines objects (with a `file` field
/// when there are several inputs).
pub fn json(sections: &Sections<'_>) -> String {
    let many = sections.len() > 1;
    let values: Vec<serde_json::Value> = sections
        .iter()
        .flat_map(|(name, items)| {
            items.iter().map(move |item| {
                if many {
                    jsonl::with_file(item, name)
                } else {
                    jsonl::value(item)
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&values).unwrap_or_default()
}

/// Text for a Markdown table cell: HTML-significant characters escaped (GitHub
/// renders inline HTML), pipes escaped, newlines as `<br>`.
fn md_cell(text: &str) -> String {
    sanitize(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}

fn direction(r: &SegmentReport) -> &'static str {
    match r.from {
        Role::Client => "C→S",
        Role::Server => "S→C",
    }
}

fn opt(v: Option<u32>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn events(r: &SegmentReport) -> String {
    let names: Vec<&str> = r.events.iter().map(|e| e.kind.name()).collect();
    names.join(", ")
}

/// Markdown: per input (a heading when there are several), per connection a
/// table of its lines, its summary and its diagram; then lines that were not TCP.
pub fn markdown(sections: &Sections<'_>) -> String {
    let mut out = String::new();
    for (name, items) in sections {
        if sections.len() > 1 {
            let _ = writeln!(out, "## {}\n", md_cell(name));
        }
        markdown_section(items, &mut out);
    }
    out
}

fn markdown_section(items: &[Item], out: &mut String) {
    for view in by_connection(items) {
        let Some(first) = view.segments.first() else {
            continue;
        };
        match view.summary {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "### Connection {}: `{}` → `{}`\n",
                    s.conn,
                    md_cell(&s.client).replace('`', "'"),
                    md_cell(&s.server).replace('`', "'")
                );
            }
            None => {
                let _ = writeln!(out, "### Connection {}\n", first.conn);
            }
        }
        out.push_str(
            "| line | dir | flags | seq | ack | len | client | server | events | explanation |\n",
        );
        out.push_str("|---:|:---:|:---:|---:|---:|---:|---|---|---|---|\n");
        for r in &view.segments {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.line,
                direction(r),
                md_cell(&r.flags),
                opt(r.seq),
                opt(r.ack),
                r.len,
                r.state.client.name(),
                r.state.server.name(),
                events(r),
                md_cell(&crate::explain::text(r))
            );
        }
        if let Some(s) = view.summary {
            let _ = writeln!(out, "\n**Summary.** {}\n", md_cell(&s.text));
        }
        out.push_str("```text\n");
        out.push_str(&diagram::ladder(&view, false).replace("```", "'''"));
        out.push_str("```\n\n");
    }
    let rest = others(items);
    if !rest.is_empty() {
        out.push_str("### Other lines\n\n| line | kind | text |\n|---:|---|---|\n");
        for (line, kind, text) in rest {
            let _ = writeln!(out, "| {line} | {kind} | {} |", md_cell(&text));
        }
    }
}

/// Lines that are not segments: (line, kind, text).
fn others(items: &[Item]) -> Vec<(u64, &'static str, String)> {
    items.iter().filter_map(other_row).collect()
}

/// A line that is not a segment as (line, kind, text); `None` for segments and summaries.
pub fn other_row(item: &Item) -> Option<(u64, &'static str, String)> {
    let Item::Line {
        record,
        report: None,
        icmp,
    } = item
    else {
        return None;
    };
    Some(match (&record.kind, icmp) {
        (RecordKind::Unparsed(d), _) => (
            record.line,
            "unparsed",
            format!("column {}: expected {} — {}", d.column, d.expected, d.text),
        ),
        (RecordKind::Banner(_), _) => (record.line, "banner", record.text.clone()),
        (RecordKind::OtherText(t), _) => (
            record.line,
            "other_text",
            format!("{} — {}", crate::explain::other_text(t.kind), t.text),
        ),
        (_, Some(i)) => (
            record.line,
            "other",
            format!("{} — {}", record.text, i.text),
        ),
        (_, None) => (record.line, "other", record.text.clone()),
    })
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}\
th{background:#f4f4f4}td.n{text-align:right;font-family:monospace}td.f{font-family:monospace}\
.ev{color:#c0392b;font-weight:bold}.raw{font-family:monospace;font-size:90%;color:#555;white-space:pre-wrap}\
.summary{background:#f8f8f0;padding:.5em 1em;border-left:4px solid #aa8}";

/// One connection's table of lines (used by the HTML page and by notebooks).
pub fn html_table(segments: &[&SegmentReport]) -> String {
    let mut out = String::from(
        "<table><tr><th>line</th><th>direction</th><th>flags</th><th>client</th><th>server</th><th>explanation</th></tr>",
    );
    for r in segments {
        let ev = events(r);
        let ev = if ev.is_empty() {
            String::new()
        } else {
            format!("<div class=\"ev\">{}</div>", escape(&ev))
        };
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"f\">{}</td><td>{}</td><td>{}</td><td>{ev}{}</td></tr>",
            r.line,
            match r.from {
                Role::Client => "client → server",
                Role::Server => "server → client",
            },
            escape(&r.flags),
            r.state.client.name(),
            r.state.server.name(),
            escape(&crate::explain::text(r))
        );
    }
    out.push_str("</table>");
    out
}

/// A standalone HTML page: per input (a heading when there are several), per
/// connection the ladder diagram as SVG, the table and the summary.
pub fn html(sections: &Sections<'_>, title: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    for (name, items) in sections {
        if sections.len() > 1 {
            let _ = writeln!(out, "<h1>{}</h1>", escape(name));
        }
        html_section(items, &mut out);
    }
    out.push_str("</body></html>\n");
    out
}

fn html_section(items: &[Item], out: &mut String) {
    for view in by_connection(items) {
        let Some(first) = view.segments.first() else {
            continue;
        };
        let heading = view.summary.map_or_else(
            || format!("Connection {}", first.conn),
            |s| format!("Connection {}: {} → {}", s.conn, s.client, s.server),
        );
        let _ = writeln!(out, "<h2>{}</h2>", escape(&heading));
        out.push_str(&diagram::svg(&view));
        out.push_str(&html_table(&view.segments));
        if let Some(s) = view.summary {
            let _ = writeln!(out, "<p class=\"summary\">{}</p>", escape(&s.text));
        }
    }
    let rest = others(items);
    if !rest.is_empty() {
        out.push_str("<h2>Other lines</h2><table><tr><th>line</th><th>kind</th><th>text</th></tr>");
        for (line, kind, text) in rest {
            let _ = write!(
                out,
                "<tr><td class=\"n\">{line}</td><td>{kind}</td><td class=\"raw\">{}</td></tr>",
                escape(&text)
            );
        }
        out.push_str("</table>");
    }
}
