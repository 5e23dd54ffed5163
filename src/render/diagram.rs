//! Ladder (sequence) diagrams: one arrow per segment, each end's state beside it,
//! so the handshake and the shape of the close can be seen at a glance.

use super::{sanitize, ConnectionView};
use crate::track::report::{ConnectionSummary, Role, SegmentReport};
use std::fmt::Write;

const STATE_WIDTH: usize = 12;
const ARROW_WIDTH: usize = 42;

/// The label on an arrow: flags, relative seq/ack, length, and the first event.
pub fn label(r: &SegmentReport, absolute: bool) -> String {
    let mut s = format!("[{}]", r.flags);
    let (seq, ack) = if absolute {
        (r.seq_raw, r.ack_raw)
    } else {
        (r.seq, r.ack)
    };
    if let Some(v) = seq {
        let _ = write!(s, " seq {v}");
    }
    if let Some(v) = ack {
        let _ = write!(s, " ack {v}");
    }
    if r.len > 0 {
        let _ = write!(s, " len {}", r.len);
    }
    s
}

fn arrow(r: &SegmentReport, absolute: bool) -> String {
    let text = format!(" {} ", label(r, absolute));
    let body = ARROW_WIDTH.saturating_sub(2);
    let text: String = text.chars().take(body.saturating_sub(4)).collect();
    let left = 2usize;
    let right = body
        .saturating_sub(left)
        .saturating_sub(text.chars().count());
    match r.from {
        Role::Client => format!(
            "{}{}{}▶",
            "─".repeat(left.saturating_add(1)),
            text,
            "─".repeat(right)
        ),
        Role::Server => format!(
            "◀{}{}{}",
            "─".repeat(left),
            text,
            "─".repeat(right.saturating_add(1))
        ),
    }
}

/// A terminal ladder diagram of one connection.
pub fn ladder(view: &ConnectionView<'_>, absolute: bool) -> String {
    let Some(first) = view.segments.first() else {
        return String::new();
    };
    let mut out = ladder_title(first.conn, view.summary);
    out.push_str(&ladder_start(first));
    for r in &view.segments {
        out.push_str(&ladder_row(r, absolute));
    }
    out.push_str(&ladder_end(view.summary));
    out
}

/// The ladder's first two lines: the connection, and the column heads.
pub fn ladder_title(conn: usize, summary: Option<&ConnectionSummary>) -> String {
    let (client, server) = summary.map_or_else(
        || ("client".to_string(), "server".to_string()),
        |s| {
            (
                sanitize(&s.client).into_owned(),
                sanitize(&s.server).into_owned(),
            )
        },
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "connection {conn}: client {client}  ⇄  server {server}"
    );
    let pad = " ".repeat(ARROW_WIDTH);
    let _ = writeln!(out, " line  {:<STATE_WIDTH$}  {pad}  server", "client");
    out
}

/// The ladder's row of the states before its first line (that line's own
/// transitions undone).
pub fn ladder_start(first: &SegmentReport) -> String {
    let mut before = first.state;
    for t in first.transitions.iter().rev() {
        before.set(t.who, t.from);
    }
    format!(
        "{:>5}  {:<STATE_WIDTH$}  {}  {}\n",
        "",
        before.client.name(),
        " ".repeat(ARROW_WIDTH),
        before.server.name()
    )
}

/// The ladder's row of one segment (newline included).
pub fn ladder_row(r: &SegmentReport, absolute: bool) -> String {
    let mark = r
        .events
        .iter()
        .find(|e| {
            e.kind.is_problem()
                || e.kind.name().contains("close")
                || e.kind.name() == "fin_acks_fin"
        })
        .map(|e| format!("  ⚑ {}", e.kind.name()))
        .unwrap_or_default();
    let row = format!(
        "{:>5}  {:<STATE_WIDTH$}  {}  {:<STATE_WIDTH$}{mark}",
        r.line,
        r.state.client.name(),
        arrow(r, absolute),
        r.state.server.name()
    );
    let mut row = row.trim_end().to_string();
    row.push('\n');
    row
}

/// The ladder's last line: how the connection ended (nothing without a summary).
pub fn ladder_end(summary: Option<&ConnectionSummary>) -> String {
    let Some(s) = summary else {
        return String::new();
    };
    format!(
        "{:>5}  teardown: {} · conn_state {} · history {}\n",
        "",
        serde_json::to_value(s.teardown)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        s.conn_state,
        sanitize(&s.history)
    )
}

/// The same ladder as an inline SVG (no scripts; every string escaped).
pub fn svg(view: &ConnectionView<'_>) -> String {
    let mut s = svg_start(view.segments.len(), view.summary);
    for (i, r) in view.segments.iter().enumerate() {
        s.push_str(&svg_row(i, r));
    }
    s.push_str(SVG_END);
    s
}

const ROW: usize = 30;
const TOP: usize = 50;
const LEFT: usize = 190;
const RIGHT: usize = 570;
const WIDTH: usize = 760;

/// The SVG's start, for a ladder of `rows` segments: its size, the two ends'
/// names and their lifelines.
pub fn svg_start(rows: usize, summary: Option<&ConnectionSummary>) -> String {
    use super::document::escape;
    let (left, right, width) = (LEFT, RIGHT, WIDTH);
    let height = TOP.saturating_add(ROW.saturating_mul(rows.saturating_add(1)));
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
    );
    let (client, server) = summary.map_or_else(
        || ("client".to_string(), "server".to_string()),
        |x| (x.client.clone(), x.server.clone()),
    );
    let _ = write!(
        s,
        r##"<text x="{left}" y="16" text-anchor="middle" font-weight="bold">client {}</text><text x="{right}" y="16" text-anchor="middle" font-weight="bold">server {}</text>"##,
        escape(&client),
        escape(&server)
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="24" x2="{left}" y2="{height}" stroke="#888"/><line x1="{right}" y1="24" x2="{right}" y2="{height}" stroke="#888"/>"##
    );
    s
}

/// The SVG's end.
pub const SVG_END: &str = "</svg>";

/// The SVG's arrow of the `i`th segment (0-based).
pub fn svg_row(i: usize, r: &SegmentReport) -> String {
    use super::document::escape;
    let (left, right) = (LEFT, RIGHT);
    let mut s = String::new();
    let y = TOP.saturating_add(ROW.saturating_mul(i));
    let (x1, x2) = match r.from {
        Role::Client => (left, right),
        Role::Server => (right, left),
    };
    let color = if r.events.iter().any(|e| e.kind.is_problem()) {
        "#c0392b"
    } else if r.from == Role::Client {
        "#1f6f9f"
    } else {
        "#8e44ad"
    };
    let head = if x2 > x1 {
        x2.saturating_sub(8)
    } else {
        x2.saturating_add(8)
    };
    let _ = write!(
        s,
        r#"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{color}" stroke-width="1.5"/><polygon points="{x2},{y} {head},{} {head},{}" fill="{color}"/>"#,
        y.saturating_sub(4),
        y.saturating_add(4)
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" fill="{color}">{}: {}</text>"#,
        (left.saturating_add(right)) / 2,
        y.saturating_sub(5),
        r.line,
        escape(&label(r, false))
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}">{}</text>"#,
        left.saturating_sub(6),
        y.saturating_add(4),
        r.state.client.name(),
        right.saturating_add(6),
        y.saturating_add(4),
        r.state.server.name()
    );
    s
}
