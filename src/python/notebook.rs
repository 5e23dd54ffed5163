//! A trace, a connection and a segment as notebooks show them: HTML (the
//! ladder diagram and the table of lines, cut to head and tail) and text.

use super::convert::serde_name;
use super::items::{is_connection, is_segment, is_unparsed};
use super::store::Items;
use crate::lang::Lang;
use crate::render::labels::{self, colon, Counted, Label};
use crate::render::{self, diagram, document, text as text_render, ConnectionView};
use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;
use std::fmt::Write as _;

pub(super) const HEAD: usize = 20;
pub(super) const TAIL: usize = 20;
pub(super) const MAX_CONNECTIONS: usize = 10;

pub(super) const STYLE: &str = "<style>\
.tcpexplain table{border-collapse:collapse;margin:.4em 0}\
.tcpexplain td,.tcpexplain th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}\
.tcpexplain th{background:#f4f4f4}\
.tcpexplain td.n{text-align:right;font-family:monospace}\
.tcpexplain td.f{font-family:monospace}\
.tcpexplain td:nth-child(2){white-space:nowrap}\
.tcpexplain .ev{color:#c0392b;font-weight:bold}\
.tcpexplain .raw{font-family:monospace;white-space:pre-wrap;color:#555}\
.tcpexplain .summary{background:#f8f8f0;padding:.4em .8em;border-left:4px solid #aa8}\
.tcpexplain .omitted,.tcpexplain .omitted td{text-align:center;font-style:italic;color:#777}\
</style>";

/// The start of a display: its style, and the language of its words.
pub(super) fn opening(lang: Lang) -> String {
    format!("<div class=\"tcpexplain\" lang=\"{}\">{STYLE}", lang.tag())
}

/// How many rows to keep from the start and the end of a long list.
#[derive(Clone, Copy)]
pub(super) struct Cut {
    pub(super) head: usize,
    pub(super) tail: usize,
}

/// The kept start, the number omitted, and the kept end.
fn split<T>(v: &[T], cut: Option<Cut>) -> (&[T], usize, &[T]) {
    let Some(Cut { head, tail }) = cut else {
        return (v, 0, &[]);
    };
    if v.len() <= head.saturating_add(tail) {
        return (v, 0, &[]);
    }
    let omitted = v.len().saturating_sub(head).saturating_sub(tail);
    let first = v.get(..head).unwrap_or(v);
    let last = v.get(v.len().saturating_sub(tail)..).unwrap_or(&[]);
    (first, omitted, last)
}

fn omitted_row(n: usize, columns: usize, lang: Lang) -> String {
    format!(
        "<tr class=\"omitted\"><td colspan=\"{columns}\">{}</td></tr>",
        labels::omitted(n, Counted::Row, lang)
    )
}

/// A connection's table of lines, cut to head and tail.
fn segments_table(segments: &[&SegmentReport], cut: Option<Cut>, lang: Lang) -> String {
    let (first, omitted, last) = split(segments, cut);
    if omitted == 0 {
        return document::html_table(segments, lang);
    }
    let a = document::html_table(first, lang);
    let b = document::html_table(last, lang);
    let a = a.strip_suffix("</table>").unwrap_or(&a);
    // The second table without its header row.
    let b = b
        .find("</tr>")
        .and_then(|i| b.get(i.saturating_add(5)..))
        .unwrap_or(&b);
    format!("{a}{}{b}", omitted_row(omitted, 6, lang))
}

/// The ladder diagram, cut to head and tail.
fn diagram_svg(view: &ConnectionView<'_>, cut: Option<Cut>, lang: Lang) -> String {
    let (first, omitted, last) = split(&view.segments, cut);
    if omitted == 0 {
        return diagram::svg(view, lang);
    }
    let shown = ConnectionView {
        segments: first.iter().chain(last).copied().collect(),
        summary: view.summary,
    };
    format!(
        "{}<div class=\"omitted\">{}</div>",
        diagram::svg(&shown, lang),
        labels::ladder_cut(first.len(), last.len(), omitted, lang)
    )
}

fn facts_table(s: &ConnectionSummary, lang: Lang) -> String {
    let closed_by = s
        .closed_by
        .map(|c| serde_name(&c))
        .unwrap_or_else(|| "—".into());
    let time_wait: Vec<&str> = s.time_wait.iter().map(|r| r.name()).collect();
    let facts = [
        (Label::Segments.text(lang), s.segments.to_string()),
        (Label::Handshake.text(lang), s.handshake.code().to_string()),
        (Label::Teardown.text(lang), s.teardown.code().to_string()),
        (Label::ClosedBy.text(lang), closed_by),
        (
            Label::FinalClient.text(lang),
            s.final_state.client.name().to_string(),
        ),
        (
            Label::FinalServer.text(lang),
            s.final_state.server.name().to_string(),
        ),
        ("TIME_WAIT", time_wait.join(", ")),
        ("conn_state", s.conn_state.clone()),
        ("history", s.history.clone()),
    ];
    let mut out = String::from("<table class=\"facts\"><tr>");
    for (k, _) in &facts {
        let _ = write!(out, "<th>{}</th>", document::escape(k));
    }
    out.push_str("</tr><tr>");
    for (_, v) in &facts {
        let _ = write!(out, "<td>{}</td>", document::escape(v));
    }
    out.push_str("</tr></table>");
    out
}

/// One connection: heading, diagram, table, facts and summary.
pub(super) fn connection_html(
    view: &ConnectionView<'_>,
    conn: usize,
    cut: Option<Cut>,
    lang: Lang,
) -> String {
    let connection = labels::capitalized(Label::Connection.text(lang));
    let heading = view.summary.map_or_else(
        || format!("{connection} {conn}"),
        |s| {
            let colon = colon(lang);
            format!("{connection} {}{colon}{} → {}", s.conn, s.client, s.server)
        },
    );
    let mut out = format!("<h4>{}</h4>", document::escape(&heading));
    if !view.segments.is_empty() {
        out.push_str(&diagram_svg(view, cut, lang));
        // The time-sequence graph, where data flowed.
        let sender = render::tsg::data_direction(view);
        if view.segments.iter().any(|r| r.from == sender && r.len > 0) {
            out.push_str(&render::tsg::svg(view, sender, &heading, lang));
        }
        out.push_str(&segments_table(&view.segments, cut, lang));
    }
    if let Some(s) = view.summary {
        out.push_str(&facts_table(s, lang));
        let _ = write!(
            out,
            "<p class=\"summary\">{}</p>",
            document::escape(&s.text)
        );
    }
    out
}

pub(super) struct Counts {
    pub(super) segments: usize,
    pub(super) connections: usize,
    pub(super) unparsed: usize,
    pub(super) other: usize,
}

/// What a whole trace holds, by kind (its segments are counted without
/// building their items).
pub(super) fn counts(items: &Items) -> Counts {
    let mut c = Counts {
        segments: items.segment_rows(),
        connections: 0,
        unparsed: 0,
        other: 0,
    };
    for (_, item) in items.others() {
        let n = if is_segment(item) {
            &mut c.segments
        } else if is_connection(item) {
            &mut c.connections
        } else if is_unparsed(item) {
            &mut c.unparsed
        } else {
            &mut c.other
        };
        *n = n.saturating_add(1);
    }
    c
}

pub(super) fn headline(items: &Items, lines: u64) -> String {
    let c = counts(items);
    let lang = items.lang;
    let lines = usize::try_from(lines).unwrap_or(usize::MAX);
    [
        (lines, Counted::Line),
        (c.segments, Counted::Segment),
        (c.connections, Counted::Connection),
        (c.unparsed, Counted::Unparsed),
        (c.other, Counted::Other),
    ]
    .map(|(n, what)| labels::counted(n, what, lang))
    .join(match lang {
        Lang::En => ", ",
        Lang::ZhHans | Lang::ZhHant => "，",
    })
}

/// A whole trace as an HTML fragment for notebooks.
pub(super) fn trace_html(
    items: &Items,
    lines: u64,
    cut: Option<Cut>,
    max_connections: Option<usize>,
) -> String {
    let mut out = format!(
        "{}<p><b>tcpexplain</b> · {}</p>",
        opening(items.lang),
        document::escape(&headline(items, lines))
    );
    let lang = items.lang;
    let views = render::by_connection(items);
    let shown = max_connections.unwrap_or(usize::MAX).min(views.len());
    for view in views.iter().take(shown) {
        let conn = view
            .segments
            .first()
            .map(|r| r.conn)
            .or(view.summary.map(|s| s.conn))
            .unwrap_or_default();
        out.push_str(&connection_html(view, conn, cut, lang));
    }
    if views.len() > shown {
        let _ = write!(
            out,
            "<p class=\"omitted\">{}</p>",
            labels::connections_not_shown(
                views.len().saturating_sub(shown),
                "<code>.connections</code>",
                lang
            )
        );
    }
    let rest: Vec<&Item> = items
        .iter()
        .filter(|i| !is_segment(i) && !is_connection(i))
        .collect();
    if !rest.is_empty() {
        let _ = write!(
            out,
            "<h4>{}</h4><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            Label::OtherLines.text(lang),
            Label::Line.text(lang),
            Label::Kind.text(lang),
            Label::Text.text(lang)
        );
        let (first, omitted, last) = split(&rest, cut);
        let row = |out: &mut String, item: &Item| {
            if let Some((line, kind, text)) = document::other_row(item, lang) {
                let _ = write!(
                    out,
                    "<tr><td class=\"n\">{line}</td><td>{kind}</td><td class=\"raw\">{}</td></tr>",
                    document::escape(&text)
                );
            }
        };
        for item in first {
            row(&mut out, item);
        }
        if omitted > 0 {
            out.push_str(&omitted_row(omitted, 3, lang));
        }
        for item in last {
            row(&mut out, item);
        }
        out.push_str("</table>");
    }
    out.push_str("</div>");
    out
}

/// One item as the command line's text.
pub(super) fn item_text(item: &Item, lang: Lang) -> String {
    let mut buf = Vec::new();
    let options = text_render::TextOptions {
        lang,
        ..text_render::TextOptions::default()
    };
    let _ = text_render::item(item, &options, &mut buf);
    String::from_utf8_lossy(&buf).trim_end().to_string()
}

/// A whole trace as text, cut to head and tail items.
pub(super) fn trace_text(items: &Items, lines: u64, cut: Option<Cut>) -> String {
    let lang = items.lang;
    let mut out = format!(
        "{}{}{}\n",
        Label::Trace.text(lang),
        colon(lang),
        headline(items, lines)
    );
    let (first, omitted, last) = split(items, cut);
    for item in first {
        out.push_str(&item_text(&items.whole(item), lang));
        out.push('\n');
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "      {}",
            labels::omitted(omitted, Counted::Item, lang)
        );
    }
    for item in last {
        out.push_str(&item_text(&items.whole(item), lang));
        out.push('\n');
    }
    out.trim_end().to_string()
}
