//! Text for people: each input line, then its explanation indented beneath it,
//! both ends' states in a compact status line, and the events that matter in colour.

use super::sanitize;
use crate::model::RecordKind;
use crate::track::report::{ConnectionSummary, Role, SegmentReport};
use crate::track::state::TcpState;
use crate::track::Item;
use anstyle::{AnsiColor, Effects, Style};
use std::io::{self, Write};

/// How text output looks.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub color: bool,
    /// Show raw (absolute) sequence numbers in the status line.
    pub absolute: bool,
    /// Wrap explanations at this many columns.
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            color: false,
            absolute: false,
            width: 100,
        }
    }
}

const DIM: Style = Style::new().effects(Effects::DIMMED);
const BOLD: Style = Style::new().effects(Effects::BOLD);
const CLIENT: Style = AnsiColor::Cyan.on_default();
const SERVER: Style = AnsiColor::Magenta.on_default();
const PROBLEM: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
const NOTE: Style = AnsiColor::Yellow.on_default();
const STATE: Style = AnsiColor::Green.on_default();
const ENDING: Style = AnsiColor::Blue.on_default().effects(Effects::BOLD);

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

/// Word-wraps `text` to `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = 0usize;
    let room = width.saturating_sub(indent.chars().count()).max(20);
    // A unit stays with its number and an arrow with the state before it.
    let mut words: Vec<String> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let glue = matches!(
            word,
            "→" | "s" | "ms" | "s," | "ms," | "s)" | "ms)" | "s." | "ms."
        ) || word.starts_with("s;")
            || word.starts_with("ms;");
        match words.last_mut() {
            Some(last) if glue => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
    }
    for word in &words {
        let w = word.chars().count();
        if col == 0 {
            out.push_str(indent);
        } else if col.saturating_add(1).saturating_add(w) > room {
            out.push('\n');
            out.push_str(indent);
            col = 0;
        } else {
            out.push(' ');
            col = col.saturating_add(1);
        }
        out.push_str(word);
        col = col.saturating_add(w);
    }
    out
}

fn state_style(s: TcpState) -> Style {
    match s {
        TcpState::Established => STATE,
        TcpState::Closed | TcpState::TimeWait => ENDING,
        _ => NOTE,
    }
}

/// The compact line under each TCP line: direction, numbers, states, events.
fn status(r: &SegmentReport, p: &Painter, absolute: bool) -> String {
    let (arrow, style) = match r.from {
        Role::Client => ("client → server", CLIENT),
        Role::Server => ("server → client", SERVER),
    };
    let mut s = format!("  {} [{}]", p.paint(style, arrow), r.flags);
    let (seq, ack) = if absolute {
        (r.seq_raw, r.ack_raw)
    } else {
        (r.seq, r.ack)
    };
    if let Some(v) = seq {
        s.push_str(&format!(" seq {v}"));
    }
    if let Some(v) = ack {
        s.push_str(&format!(" ack {v}"));
    }
    s.push_str(&format!(" len {}", r.len));
    s.push_str(&format!(
        "  │ client {} · server {}",
        p.paint(state_style(r.state.client), r.state.client.name()),
        p.paint(state_style(r.state.server), r.state.server.name())
    ));
    for e in &r.events {
        let label = match e.count {
            Some(n) if e.kind == crate::track::report::EventKind::DuplicateAck => {
                format!("{} #{n}", e.kind.name())
            }
            _ => e.kind.name().to_string(),
        };
        let style = if e.kind.is_problem() { PROBLEM } else { NOTE };
        s.push_str(&format!("  {}", p.paint(style, &format!("⚑ {label}"))));
    }
    s
}

/// Writes one item.
pub fn item(item: &Item, opts: &TextOptions, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: opts.color };
    match item {
        Item::Line {
            record,
            report,
            icmp,
        } => {
            let raw = sanitize(&record.text);
            for (i, line) in raw.lines().enumerate() {
                let n = record.line.saturating_add(i as u64);
                writeln!(
                    out,
                    "{} {}",
                    p.paint(DIM, &format!("{n:>5}")),
                    p.paint(BOLD, line)
                )?;
            }
            match (report, &record.kind) {
                (Some(r), _) => {
                    writeln!(out, "{}", status(r, &p, opts.absolute))?;
                    writeln!(
                        out,
                        "{}",
                        wrap(&sanitize(&crate::explain::text(r)), opts.width, "      ")
                    )?;
                }
                (None, RecordKind::Unparsed(d)) => {
                    let msg = format!(
                        "✗ line {}, column {}: expected {}",
                        d.line, d.column, d.expected
                    );
                    writeln!(out, "      {}", p.paint(PROBLEM, &sanitize(&msg)))?;
                }
                (None, RecordKind::Banner(_)) => {
                    writeln!(out, "      {}", p.paint(DIM, "tcpdump's own message"))?;
                }
                (None, RecordKind::Other(_)) if icmp.is_some() => {
                    let text = icmp.as_ref().map_or("", |i| i.text.as_str());
                    writeln!(out, "{}", wrap(&sanitize(text), opts.width, "      "))?;
                }
                (None, RecordKind::Other(o)) => {
                    let what = o
                        .protocol
                        .as_deref()
                        .map_or("not a TCP packet".to_string(), |proto| {
                            format!("{} packet, not TCP", sanitize(proto))
                        });
                    writeln!(out, "      {}", p.paint(DIM, &what))?;
                }
                (None, RecordKind::Tcp(_)) => {
                    let what =
                        "a TCP header quoted inside an ICMP error (not a segment of its own)";
                    writeln!(out, "      {}", p.paint(DIM, what))?;
                }
            }
        }
        Item::Connection(s) => summary(s, opts, out)?,
    }
    Ok(())
}

/// Writes a connection summary as a framed paragraph.
pub fn summary(s: &ConnectionSummary, opts: &TextOptions, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: opts.color };
    let title = format!(
        "── connection {}: {} → {} ── {} ",
        s.conn,
        sanitize(&s.client),
        sanitize(&s.server),
        serde_json::to_value(s.teardown)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    );
    let fill = opts.width.saturating_sub(title.chars().count());
    writeln!(
        out,
        "{}",
        p.paint(BOLD, &format!("{title}{}", "─".repeat(fill)))
    )?;
    writeln!(out, "{}", wrap(&sanitize(&s.text), opts.width, "  "))?;
    Ok(())
}
