//! Text for people: each input line, then its explanation indented beneath it,
//! both ends' states in a compact status line, and the events that matter in colour.

use super::labels::{colon, Label};
use super::sanitize;
use crate::lang::Lang;
use crate::model::RecordKind;
use crate::track::report::{ConnectionSummary, Role, SegmentReport};
use crate::track::state::TcpState;
use crate::track::Item;
use anstyle::{AnsiColor, Effects, Style};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// How text output looks.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub color: bool,
    /// Show raw (absolute) sequence numbers in the status line.
    pub absolute: bool,
    /// Wrap explanations at this many columns (0: do not wrap).
    pub width: usize,
    /// The language of the words.
    pub lang: Lang,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            color: false,
            absolute: false,
            width: 100,
            lang: Lang::En,
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
        let mut s = String::new();
        self.paint_into(&mut s, style, text);
        s
    }

    /// Appends `text` to `s`, in `style` when colour is on.
    fn paint_into(&self, s: &mut String, style: Style, text: &str) {
        if self.color {
            let _ = write!(s, "{}{text}{}", style.render(), style.render_reset());
        } else {
            s.push_str(text);
        }
    }
}

/// The cells a character takes in a terminal: two for wide (CJK)
/// characters, none for combining marks, else one.
pub fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Word-wraps `text` to `width` display columns, each line starting with
/// `indent`. Lines break at spaces and, in Chinese, between characters (not
/// before closing punctuation nor after opening punctuation); a CJK
/// character takes two columns.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::with_capacity(text.len());
    wrap_into(&mut out, text, width, indent);
    out
}

/// Cells `text` takes in a terminal (its length, when it is ASCII).
pub fn text_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char_width).sum()
    }
}

/// [`wrap`], appended to `out` (no line end after the last line). A width of
/// 0 does not wrap. Text without spaces (Chinese) is broken between its
/// wide characters; widths count terminal cells.
fn wrap_into(out: &mut String, text: &str, width: usize, indent: &str) {
    let room = if width == 0 {
        usize::MAX
    } else {
        width.saturating_sub(text_width(indent)).max(20)
    };
    let mut col = 0usize;
    // Places a piece of text that may not be broken; `spaced`: a space
    // separates it from the one before (dropped at a line break).
    let mut place = |piece: &str, w: usize, spaced: bool, out: &mut String| {
        let gap = usize::from(spaced);
        if col == 0 {
            out.push_str(indent);
        } else if col.saturating_add(gap).saturating_add(w) > room {
            out.push('\n');
            out.push_str(indent);
            col = 0;
        } else if spaced {
            out.push(' ');
            col = col.saturating_add(1);
        }
        out.push_str(piece);
        col = col.saturating_add(w);
    };
    // Places a unit (words glued together), broken where Chinese may break.
    // (Each character's width is looked up once: this runs for every line.)
    let mut place_unit = |unit: &str, out: &mut String| {
        if unit.is_ascii() {
            place(unit, unit.len(), true, out);
            return;
        }
        let mut spaced = true;
        let mut from = 0;
        let mut piece_width = 0usize;
        let mut before: Option<(char, usize)> = None;
        for (at, c) in unit.char_indices() {
            let w = char_width(c);
            if before.is_some_and(|b| may_break_between(b, (c, w))) {
                place(
                    unit.get(from..at).unwrap_or_default(),
                    piece_width,
                    spaced,
                    out,
                );
                spaced = false;
                from = at;
                piece_width = 0;
            }
            piece_width = piece_width.saturating_add(w);
            before = Some((c, w));
        }
        place(
            unit.get(from..).unwrap_or_default(),
            piece_width,
            spaced,
            out,
        );
    };
    // A unit stays with its number and an arrow with the state before it, so
    // a word is placed once the words glued to it have been seen.
    let mut unit = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if glued(&unit, word) {
            unit.push(' ');
        } else {
            if !unit.is_empty() {
                place_unit(&unit, out);
            }
            unit.clear();
        }
        unit.push_str(word);
    }
    if !unit.is_empty() {
        place_unit(&unit, out);
    }
}

/// Whether `word` stays on the line of the unit before it: an arrow, a unit
/// of time (`40 ms`, `ms;`, `ms：`), Chinese after a number (`3 字节`), or
/// a number after `第` (`第 7 行`).
fn glued(unit: &str, word: &str) -> bool {
    let Some(&first) = word.as_bytes().first() else {
        return false;
    };
    if unit.is_empty() {
        return false;
    }
    // (Most words start with none of `→`, `s`, `m` and a Chinese character:
    // decided by one byte.)
    match first {
        b's' | b'm' => {
            let rest = word.strip_prefix("ms").or_else(|| word.strip_prefix('s'));
            rest.is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        }
        0xe2 if word == "→" => true,
        b'0'..=b'9' => unit.ends_with('第'),
        b if b >= 0xe3 => unit.ends_with(|c: char| c.is_ascii_digit()),
        _ => false,
    }
}

/// Whether a line may break between `a` and `b` inside a unit: next to a
/// wide (CJK) character (not at the spaces that glue a unit), but not
/// before closing punctuation (`，。）`…) nor after opening punctuation (`（“`…).
/// Each character comes with its width in cells.
fn may_break_between((a, a_width): (char, usize), (b, b_width): (char, usize)) -> bool {
    a != ' '
        && b != ' '
        && (a_width == 2 || b_width == 2)
        && !"（“‘「『【《〈".contains(a)
        && !"，。、；：？！）”’」』】》〉—…·".contains(b)
}

fn state_style(s: TcpState) -> Style {
    match s {
        TcpState::Established => STATE,
        TcpState::Closed | TcpState::TimeWait => ENDING,
        _ => NOTE,
    }
}

/// The compact line under each TCP line: direction, numbers, states, events.
fn status(s: &mut String, r: &SegmentReport, p: &Painter, opts: &TextOptions) {
    let lang = opts.lang;
    let (from, to, style) = match r.from {
        Role::Client => (Label::Client, Label::Server, CLIENT),
        Role::Server => (Label::Server, Label::Client, SERVER),
    };
    if p.color {
        let _ = write!(s, "{}", style.render());
    }
    s.push_str(from.text(lang));
    s.push_str(" → ");
    s.push_str(to.text(lang));
    if p.color {
        let _ = write!(s, "{}", style.render_reset());
    }
    let _ = write!(s, " [{}]", r.flags);
    let (seq, ack) = if opts.absolute {
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
    let _ = write!(s, " len {}", r.len);
    s.push_str("  │ ");
    s.push_str(Label::Client.text(lang));
    s.push(' ');
    p.paint_into(s, state_style(r.state.client), r.state.client.name());
    s.push_str(" · ");
    s.push_str(Label::Server.text(lang));
    s.push(' ');
    p.paint_into(s, state_style(r.state.server), r.state.server.name());
    for e in &r.events {
        let label = match e.count {
            Some(n) if e.kind == crate::track::report::EventKind::DuplicateAck => {
                format!("⚑ {} #{n}", e.kind.name())
            }
            _ => format!("⚑ {}", e.kind.name()),
        };
        let style = if e.kind.is_problem() { PROBLEM } else { NOTE };
        s.push_str("  ");
        p.paint_into(s, style, &label);
    }
}

/// Writes one item as one line (`--brief`): a segment as its line number,
/// its connection and its status line; a summary as its connection, how it
/// ended and its problems; a line that is not TCP as what it is. Nothing is
/// wrapped, so that every line can be found with grep.
pub fn brief(item: &Item, opts: &TextOptions, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: opts.color };
    let lang = opts.lang;
    let mut s = String::with_capacity(160);
    match item {
        Item::Line {
            record,
            report,
            icmp,
        } => {
            p.paint_into(&mut s, DIM, &format!("{:>5}", record.line));
            s.push_str("  ");
            match (report, &record.kind) {
                (Some(r), _) => {
                    let _ = write!(s, "{} {}  ", Label::Connection.text(lang), r.conn);
                    status(&mut s, r, &p, opts);
                }
                (None, RecordKind::Unparsed(d)) => {
                    let msg = format!(
                        "✗ {}",
                        super::labels::unread(d.line, d.column, &d.expected, lang)
                    );
                    p.paint_into(&mut s, PROBLEM, &sanitize(&msg));
                }
                (None, RecordKind::Other(_)) if icmp.is_some() => {
                    let text = icmp.as_ref().map_or("", |i| i.text.as_str());
                    s.push_str(&sanitize(text).replace('\n', " "));
                }
                (None, RecordKind::Other(o)) => {
                    let what = o
                        .protocol
                        .as_deref()
                        .map_or("not a TCP packet".to_string(), |proto| {
                            format!("{} packet, not TCP", sanitize(proto))
                        });
                    p.paint_into(&mut s, DIM, &what);
                }
                // Not packets: tcpdump's messages, other text, quoted headers.
                (None, _) => return Ok(()),
            }
        }
        Item::Connection(c) => {
            let _ = write!(
                s,
                "── {} {}{}{} → {} · {} {}",
                Label::Connection.text(lang),
                c.conn,
                colon(lang),
                sanitize(&c.client),
                sanitize(&c.server),
                Label::Teardown.text(lang),
                crate::explain::teardown_name(c, lang)
            );
            let problems = super::diagram::problem_counts(c);
            if problems.is_empty() {
                let _ = write!(
                    s,
                    " · {}{}{}",
                    Label::Problems.text(lang),
                    colon(lang),
                    Label::NoProblems.text(lang)
                );
            } else {
                s.push_str(" · ");
                p.paint_into(
                    &mut s,
                    PROBLEM,
                    &format!("⚑ {}{}{problems}", Label::Problems.text(lang), colon(lang)),
                );
            }
        }
    }
    s.push('\n');
    out.write_all(s.as_bytes())
}

/// Writes one item.
pub fn item(item: &Item, opts: &TextOptions, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: opts.color };
    // (Written into one string, then out: a segment's text is a dozen pieces.)
    let mut s = String::new();
    match item {
        Item::Line {
            record,
            report,
            icmp,
        } => {
            let raw = sanitize(&record.text);
            for (i, line) in raw.lines().enumerate() {
                let n = record.line.saturating_add(i as u64);
                p.paint_into(&mut s, DIM, &format!("{n:>5}"));
                s.push(' ');
                p.paint_into(&mut s, BOLD, line);
                s.push('\n');
            }
            match (report, &record.kind) {
                (Some(r), _) => {
                    s.push_str("  ");
                    status(&mut s, r, &p, opts);
                    s.push('\n');
                    wrap_into(
                        &mut s,
                        &sanitize(&super::explanation(r, opts.lang)),
                        opts.width,
                        "      ",
                    );
                }
                (None, RecordKind::Unparsed(d)) => {
                    let msg = format!(
                        "✗ {}",
                        super::labels::unread(d.line, d.column, &d.expected, opts.lang)
                    );
                    s.push_str("      ");
                    p.paint_into(&mut s, PROBLEM, &sanitize(&msg));
                }
                (None, RecordKind::OtherText(t)) => {
                    s.push_str("      ");
                    p.paint_into(&mut s, DIM, crate::explain::other_text(t.kind, opts.lang));
                }
                (None, RecordKind::Banner(_)) => {
                    s.push_str("      ");
                    p.paint_into(&mut s, DIM, "tcpdump's own message");
                }
                (None, RecordKind::Other(_)) if icmp.is_some() => {
                    let text = icmp.as_ref().map_or(Cow::Borrowed(""), |i| {
                        crate::explain::icmp_text(&record.kind, i, opts.lang)
                    });
                    wrap_into(&mut s, &sanitize(&text), opts.width, "      ");
                }
                (None, RecordKind::Other(o)) => {
                    let what = o
                        .protocol
                        .as_deref()
                        .map_or("not a TCP packet".to_string(), |proto| {
                            format!("{} packet, not TCP", sanitize(proto))
                        });
                    s.push_str("      ");
                    p.paint_into(&mut s, DIM, &what);
                }
                (None, RecordKind::Tcp(_)) => {
                    let what =
                        "a TCP header quoted inside an ICMP error (not a segment of its own)";
                    s.push_str("      ");
                    p.paint_into(&mut s, DIM, what);
                }
            }
            s.push('\n');
            out.write_all(s.as_bytes())?;
        }
        Item::Connection(summary_of) => summary(summary_of, opts, out)?,
    }
    Ok(())
}

/// Writes a connection summary as a framed paragraph, then its problem
/// counts (named as the status lines mark them).
pub fn summary(s: &ConnectionSummary, opts: &TextOptions, out: &mut impl Write) -> io::Result<()> {
    let p = Painter { color: opts.color };
    let lang = opts.lang;
    let title = format!(
        "── {} {}{}{} → {} ── {} ",
        Label::Connection.text(lang),
        s.conn,
        colon(lang),
        sanitize(&s.client),
        sanitize(&s.server),
        crate::explain::teardown_name(s, lang)
    );
    let width = if opts.width == 0 { 100 } else { opts.width };
    let fill = width.saturating_sub(text_width(&title));
    writeln!(
        out,
        "{}",
        p.paint(BOLD, &format!("{title}{}", "─".repeat(fill)))
    )?;
    writeln!(
        out,
        "{}",
        wrap(
            &sanitize(&crate::explain::summary_text(s, lang)),
            opts.width,
            "  "
        )
    )?;
    let problems = super::diagram::problem_counts(s);
    if !problems.is_empty() {
        let line = format!("⚑ {}{}{problems}", Label::Problems.text(lang), colon(lang));
        writeln!(out, "  {}", p.paint(PROBLEM, &line))?;
    }
    Ok(())
}
