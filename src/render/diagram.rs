//! Ladder (sequence) diagrams on a time axis: one arrow per segment, from
//! its sender to its receiver, each end's state beside it, so the handshake
//! and the shape of the close can be seen at a glance.
//!
//! Where the segment arrives is [`super::timeline`]'s: an arrow that was in
//! flight while the other end sent slants across the rows in between (two
//! FINs that crossed, cross), one sent again before anything showed it
//! arrived ends in `✗`, and each end's state changes where the segment that
//! caused it was sent or arrived.
//!
//! The terminal's ladder ([`TextLadder`]) keeps one row per line and slants
//! an arrow only on that evidence. The SVG ([`svg`]) has proportional time:
//! each segment is drawn from its sending through the capture point (at the
//! time the capture saw it) to its arrival, the one-way delays estimated from
//! the round trips measured at the capture point; long pauses are cut
//! (marked with their length) and rows too close for their labels are
//! pulled apart.

use super::labels::{colon, line_number, Label};
use super::timeline::{Arrival, Level, Timeline};
use super::{sanitize, ConnectionView};
use crate::lang::Lang;
use crate::track::report::{
    ConnectionSummary, Event, EventKind, Role, SegmentReport, Sides, States,
};
use crate::track::state::TcpState;
use std::fmt::Write;

const STATE_WIDTH: usize = 12;
const TIME_WIDTH: usize = 11;
/// Cells between the two ends: the client's end is cell 0, the server's the last.
const ARROW_WIDTH: usize = 48;
const LAST: usize = ARROW_WIDTH - 1;

/// The label on an arrow: flags, seq/ack (relative, or as captured), length.
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

/// An event as marked beside its row: its name, with its count or duration.
pub fn event_mark(e: &Event) -> String {
    let mut s = String::from(e.kind.name());
    if let Some(n) = e.count.filter(|_| e.kind == EventKind::DuplicateAck) {
        let _ = write!(s, " #{n}");
    }
    if let Some(sec) = e.seconds.filter(|s| s.is_finite()) {
        let _ = write!(s, " {}", crate::explain::ms(sec));
    }
    s
}

/// A time since the connection's first line, as the ladder's time column
/// shows it.
pub fn time_text(seconds: f64) -> String {
    if !seconds.is_finite() {
        String::new()
    } else if seconds < 10.0 {
        format!("{:.3} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.3} s")
    }
}

/// Problem counts as `name N, name N` (empty when there were none).
pub fn problem_counts(s: &ConnectionSummary) -> String {
    let mut out = String::new();
    for (name, n) in &s.problems {
        if !out.is_empty() {
            out.push_str(", ");
        }
        let _ = write!(out, "{} {n}", sanitize(name));
    }
    out
}

// ---------------------------------------------------------------------------
// The terminal's ladder

/// The ladder's first two lines: the connection, and the column heads.
pub fn ladder_title(conn: usize, summary: Option<&ConnectionSummary>, lang: Lang) -> String {
    let (client, server) = summary.map_or_else(
        || (String::new(), String::new()),
        |s| {
            (
                format!(" {}", sanitize(&s.client)),
                format!(" {}", sanitize(&s.server)),
            )
        },
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {conn}{}{}{client}  ⇄  {}{server}",
        Label::Connection.text(lang),
        colon(lang),
        Label::Client.text(lang),
        Label::Server.text(lang)
    );
    let heads = format!(
        "{}  {}  {}  {}  {}",
        pad_left(Label::Line.text(lang), 5),
        pad_left(Label::Time.text(lang), TIME_WIDTH),
        pad_right(Label::Client.text(lang), STATE_WIDTH),
        " ".repeat(ARROW_WIDTH),
        Label::Server.text(lang)
    );
    out.push_str(heads.trim_end());
    out.push('\n');
    out
}

/// Display width of `text` in a terminal (CJK characters take two cells).
fn width(text: &str) -> usize {
    text.chars().map(super::text::char_width).sum()
}

fn pad_right(text: &str, to: usize) -> String {
    let mut s = text.to_string();
    s.push_str(&" ".repeat(to.saturating_sub(width(text))));
    s
}

fn pad_left(text: &str, to: usize) -> String {
    let mut s = " ".repeat(to.saturating_sub(width(text)));
    s.push_str(text);
    s
}

/// The ladder's last lines: how the connection ended and its problems
/// (nothing without a summary), and what the marks mean when some were used.
pub fn ladder_end(summary: Option<&ConnectionSummary>, marks: Marks, lang: Lang) -> String {
    let mut out = String::new();
    let indent = " ".repeat(5 + 2 + TIME_WIDTH + 2);
    if let Some(s) = summary {
        let _ = write!(
            out,
            "{indent}{}{}{} · conn_state {} · history {}",
            Label::Teardown.text(lang),
            colon(lang),
            crate::explain::teardown_name(s, lang),
            s.conn_state,
            sanitize(&s.history)
        );
        let problems = problem_counts(s);
        if !problems.is_empty() {
            let _ = write!(
                out,
                " · {}{}{problems}",
                Label::Problems.text(lang),
                colon(lang)
            );
        }
        out.push('\n');
    }
    if marks.slanted {
        let _ = writeln!(out, "{indent}╲ ╱  {}", Label::LegendInFlight.text(lang));
    }
    if marks.lost {
        let _ = writeln!(out, "{indent}✗    {}", Label::LegendLost.text(lang));
    }
    out
}

/// Which marks a ladder used (its legend says what they mean).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub slanted: bool,
    pub lost: bool,
}

/// An arrow still in flight: drawn across the rows until its arrival.
#[derive(Debug, Clone, Copy)]
struct Flying {
    index: usize,
    from: Role,
    after: usize,
    /// The cell where it leaves its sending row, and where it reaches its
    /// arrival row.
    knee: usize,
    land: usize,
}

impl Flying {
    /// Its cell on the level at `level` (a row's index; an arrival after
    /// row `j` is at `j + 0.5`).
    fn cell(&self, level: f64) -> usize {
        let span = (self.after as f64 + 0.5 - self.index as f64).max(0.5);
        let f = ((level - self.index as f64) / span).clamp(0.0, 1.0);
        let (k, l) = (self.knee as f64, self.land as f64);
        (k + (l - k) * f).round().clamp(0.0, LAST as f64) as usize
    }

    fn stroke(&self) -> char {
        match self.from {
            Role::Client => '╲',
            Role::Server => '╱',
        }
    }
}

/// Puts `c` in the cell `at` (none beyond the last).
fn set(cells: &mut [char], at: usize, c: char) {
    if let Some(cell) = cells.get_mut(at) {
        *cell = c;
    }
}

/// Puts a slant's stroke in a cell, crossing what is there.
fn cross(cells: &mut [char], at: usize, stroke: char) {
    if let Some(c) = cells.get_mut(at) {
        *c = match *c {
            '╲' | '╱' if *c != stroke => '╳',
            _ => stroke,
        };
    }
}

/// Writes `text` into `cells` from `start`, within `start..end` (cut with `…`).
fn put(cells: &mut [char], start: usize, end: usize, text: &str) {
    let room = end.saturating_sub(start);
    let chars: Vec<char> = text.chars().collect();
    let shown: Vec<char> = if chars.len() > room {
        let mut v: Vec<char> = chars.into_iter().take(room.saturating_sub(1)).collect();
        v.push('…');
        v
    } else {
        chars
    };
    for (n, c) in shown.into_iter().enumerate() {
        if let Some(cell) = cells.get_mut(start.saturating_add(n)) {
            *cell = c;
        }
    }
}

/// Where a label of `len` cells goes within `lo..hi`, clear of the cells in
/// `crossed` (and a space from them): as near `lo` as it fits, else at `lo`.
fn label_start(len: usize, lo: usize, hi: usize, crossed: &[usize]) -> usize {
    let mut start = lo;
    while start.saturating_add(len) <= hi {
        let end = start.saturating_add(len);
        match crossed
            .iter()
            .filter(|&&c| c.saturating_add(1) >= start && c <= end)
            .max()
        {
            None => return start,
            Some(&c) => start = c.saturating_add(2),
        }
    }
    lo
}

/// A terminal ladder, written as the connection's rows come (see the module
/// documentation); its rows are settled a few hundred lines late, when what
/// the lines after them show of each arrival is known.
pub struct TextLadder {
    timeline: Timeline,
    absolute: bool,
    flying: Vec<Flying>,
    started: bool,
    /// Arrivals waiting to share a line (the first, and how many), and
    /// the rows whose arrows they end.
    arrivals: Option<(Level, usize)>,
    landed: Vec<usize>,
    /// The marks used so far.
    pub marks: Marks,
}

impl TextLadder {
    pub fn new(absolute: bool) -> TextLadder {
        TextLadder {
            timeline: Timeline::new(),
            absolute,
            flying: Vec::new(),
            started: false,
            arrivals: None,
            landed: Vec::new(),
            marks: Marks::default(),
        }
    }

    /// Takes the next row; gives the ladder's lines now settled.
    pub fn push(&mut self, report: Box<SegmentReport>) -> String {
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str(&states_row("", "", Timeline::start_states(&report)));
        }
        let levels = self.timeline.push(report);
        self.rows(levels, &mut out);
        out
    }

    /// The rows ended: the ladder's lines left.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        let levels = self.timeline.finish();
        self.rows(levels, &mut out);
        if let Some((level, n)) = self.arrivals.take() {
            self.row(&level, n, &mut out);
        }
        out
    }

    /// Writes the lines of `levels`; arrivals after the same row from the
    /// same end that leave the states as they were share one line.
    fn rows(&mut self, levels: Vec<Level>, out: &mut String) {
        for level in levels {
            if let Level::Arrive {
                from,
                after,
                states,
                ..
            } = &level
            {
                if let Some((
                    Level::Arrive {
                        from: f,
                        after: a,
                        states: s,
                        ..
                    },
                    n,
                )) = &mut self.arrivals
                {
                    if f == from && a == after && s == states {
                        *n = n.saturating_add(1);
                        self.landed.push(level_index(&level));
                        continue;
                    }
                }
                if let Some((held, n)) = self.arrivals.take() {
                    self.row(&held, n, out);
                }
                self.landed.clear();
                self.landed.push(level_index(&level));
                self.arrivals = Some((level, 1));
                continue;
            }
            if let Some((held, n)) = self.arrivals.take() {
                self.row(&held, n, out);
            }
            self.row(&level, 1, out);
        }
    }

    /// Writes the line of one level (`n` arrivals share an arrival's line).
    fn row(&mut self, level: &Level, n: usize, out: &mut String) {
        let mut cells = vec![' '; ARROW_WIDTH];
        let at = match level {
            Level::Send { index, .. } => *index as f64,
            Level::Arrive { after, .. } => *after as f64 + 0.5,
        };
        // The arrows passing this level, drawn last (they cross the rest).
        let arriving: &[usize] = match level {
            Level::Arrive { .. } => &self.landed,
            Level::Send { .. } => &[],
        };
        let passing: Vec<Flying> = self
            .flying
            .iter()
            .filter(|f| !arriving.contains(&f.index))
            .copied()
            .collect();
        let crossed: Vec<usize> = passing.iter().map(|f| f.cell(at)).collect();
        match level {
            Level::Send {
                index,
                report,
                arrival,
                states,
            } => {
                let text = format!(" {} ", label(report, self.absolute));
                let len = text.chars().count();
                match arrival {
                    Arrival::Flat => flat(&mut cells, report.from, &text, &crossed),
                    Arrival::Lost => {
                        self.marks.lost = true;
                        lost(&mut cells, report.from, &text, &crossed);
                    }
                    Arrival::After(after) => {
                        self.marks.slanted = true;
                        // The sending row holds the label; the last cells
                        // before the receiver are the arrival row's.
                        let run = len.saturating_add(5).clamp(12, ARROW_WIDTH - 14);
                        let (knee, land) = match report.from {
                            Role::Client => (run, LAST.saturating_sub(4)),
                            Role::Server => (LAST.saturating_sub(run), 4),
                        };
                        let f = Flying {
                            index: *index,
                            from: report.from,
                            after: *after,
                            knee,
                            land,
                        };
                        sending(&mut cells, &f, &text, &crossed);
                        self.flying.push(f);
                    }
                }
                for f in &passing {
                    cross(&mut cells, f.cell(at), f.stroke());
                }
                let time = report.time.map(time_text).unwrap_or_default();
                let mut line = format!(
                    "{:>5}  {:>TIME_WIDTH$}  {}  {}  {}",
                    report.line,
                    time,
                    pad_right(states.client.name(), STATE_WIDTH),
                    cells.iter().collect::<String>(),
                    pad_right(states.server.name(), STATE_WIDTH),
                );
                for e in &report.events {
                    let _ = write!(line, "  ⚑ {}", event_mark(e));
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
            Level::Arrive { states, .. } => {
                let landed = std::mem::take(&mut self.landed);
                for index in &landed {
                    if let Some(pos) = self.flying.iter().position(|f| f.index == *index) {
                        let f = self.flying.remove(pos);
                        arriving_row(&mut cells, &f);
                    }
                }
                for f in &passing {
                    cross(&mut cells, f.cell(at), f.stroke());
                }
                let mut line = format!(
                    "{:>5}  {:>TIME_WIDTH$}  {}  {}  {}",
                    "",
                    "",
                    pad_right(states.client.name(), STATE_WIDTH),
                    cells.iter().collect::<String>(),
                    pad_right(states.server.name(), STATE_WIDTH),
                );
                if n > 1 {
                    let _ = write!(line, "  ×{n}");
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
}

fn level_index(level: &Level) -> usize {
    match level {
        Level::Send { index, .. } | Level::Arrive { index, .. } => *index,
    }
}

/// The row of states alone (before the first line).
fn states_row(line: &str, time: &str, states: States) -> String {
    let line = format!(
        "{line:>5}  {time:>TIME_WIDTH$}  {}  {}  {}",
        pad_right(states.client.name(), STATE_WIDTH),
        " ".repeat(ARROW_WIDTH),
        states.server.name()
    );
    format!("{}\n", line.trim_end())
}

/// A level arrow across all cells, its label clear of the crossing strokes.
fn flat(cells: &mut [char], from: Role, text: &str, crossed: &[usize]) {
    for c in cells.iter_mut() {
        *c = '─';
    }
    let len = text.chars().count();
    let start = label_start(len, 3, LAST.saturating_sub(2), crossed);
    match from {
        Role::Client => {
            set(cells, LAST, '▶');
        }
        Role::Server => {
            set(cells, 0, '◀');
        }
    }
    put(cells, start, LAST.saturating_sub(1), text);
}

/// An arrow that stops halfway, in `✗`.
fn lost(cells: &mut [char], from: Role, text: &str, crossed: &[usize]) {
    let reach = ARROW_WIDTH * 2 / 3;
    let (lo, hi, mark) = match from {
        Role::Client => (0, reach, reach),
        Role::Server => (LAST - reach + 1, ARROW_WIDTH, LAST - reach),
    };
    for c in cells.iter_mut().take(hi).skip(lo) {
        *c = '─';
    }
    set(cells, mark, '✗');
    let len = text.chars().count();
    let (a, b) = match from {
        Role::Client => (3, reach.saturating_sub(1)),
        Role::Server => (LAST - reach + 2, LAST),
    };
    put(cells, label_start(len, a, b, crossed), b, text);
}

/// The sending row of an arrow in flight: from the sender to its knee.
fn sending(cells: &mut [char], f: &Flying, text: &str, crossed: &[usize]) {
    let (lo, hi) = match f.from {
        Role::Client => (0, f.knee),
        Role::Server => (f.knee.saturating_add(1), ARROW_WIDTH),
    };
    for c in cells.iter_mut().take(hi).skip(lo) {
        *c = '─';
    }
    set(cells, f.knee, f.stroke());
    let len = text.chars().count();
    let (a, b) = match f.from {
        Role::Client => (3, f.knee.saturating_sub(1)),
        Role::Server => (f.knee.saturating_add(2), LAST.saturating_sub(1)),
    };
    put(cells, label_start(len, a, b, crossed), b, text);
}

/// The arrival row of an arrow in flight: from its landing cell to the receiver.
fn arriving_row(cells: &mut [char], f: &Flying) {
    match f.from {
        Role::Client => {
            for c in cells.iter_mut().skip(f.land.saturating_add(1)) {
                *c = '─';
            }
            set(cells, LAST, '▶');
        }
        Role::Server => {
            for c in cells.iter_mut().take(f.land) {
                *c = '─';
            }
            set(cells, 0, '◀');
        }
    }
    set(cells, f.land, f.stroke());
}

/// A terminal ladder diagram of one connection, at once.
pub fn ladder(view: &ConnectionView<'_>, absolute: bool, lang: Lang) -> String {
    let Some(first) = view.segments.first() else {
        return String::new();
    };
    let mut out = ladder_title(first.conn, view.summary, lang);
    let mut ladder = TextLadder::new(absolute);
    for r in &view.segments {
        out.push_str(&ladder.push(Box::new(SegmentReport {
            text: String::new(),
            ..(*r).clone()
        })));
    }
    out.push_str(&ladder.finish());
    out.push_str(&ladder_end(view.summary, ladder.marks, lang));
    out
}

// ---------------------------------------------------------------------------
// The SVG

/// Rows an SVG ladder draws at most: its first rows and its last ones.
pub const SVG_HEAD: usize = 160;
pub const SVG_TAIL: usize = 80;

/// Width and the x of the lifelines, the state names and the events.
const SVG_WIDTH: f64 = 960.0;
const XC: f64 = 250.0;
const XS: f64 = 610.0;
const BAND: f64 = 10.0;
const X_EVENTS: f64 = 714.0;
const TOP: f64 = 76.0;
/// Pixels: the median pause between two rows, the longest pause drawn
/// (longer ones are cut), and the least room between two rows' labels.
const PAUSE: f64 = 24.0;
const LONGEST: f64 = 64.0;
const ROOM: f64 = 18.0;

const CLIENT_COLOUR: &str = "#1f6f9f";
const SERVER_COLOUR: &str = "#8e44ad";
const PROBLEM_COLOUR: &str = "#c0392b";
const NOTE_COLOUR: &str = "#b9770e";

/// A state's band colour: opening, established, closing, TIME_WAIT, closed.
fn band_colour(s: TcpState) -> &'static str {
    match s {
        TcpState::Closed => "#e5e5e5",
        TcpState::Listen | TcpState::SynSent | TcpState::SynReceived => "#fde9a9",
        TcpState::Established => "#b7e4c7",
        TcpState::TimeWait => "#bcdcf5",
        _ => "#fbcf9c",
    }
}

/// An SVG ladder, gathered as the connection's rows come: the first
/// [`SVG_HEAD`] rows and the last [`SVG_TAIL`] are kept.
pub struct SvgLadder {
    timeline: Timeline,
    head: Vec<Level>,
    tail: std::collections::VecDeque<Level>,
    /// Rows seen, and whether the head is full.
    rows: usize,
    cut: bool,
    start: Option<States>,
}

impl Default for SvgLadder {
    fn default() -> SvgLadder {
        SvgLadder::new()
    }
}

impl SvgLadder {
    pub fn new() -> SvgLadder {
        SvgLadder {
            timeline: Timeline::new(),
            head: Vec::new(),
            tail: std::collections::VecDeque::new(),
            rows: 0,
            cut: false,
            start: None,
        }
    }

    /// Takes the next row.
    pub fn push(&mut self, report: Box<SegmentReport>) {
        if self.start.is_none() {
            self.start = Some(Timeline::start_states(&report));
        }
        for level in self.timeline.push(report) {
            self.keep(level);
        }
    }

    fn keep(&mut self, level: Level) {
        if let Level::Send { .. } = level {
            self.rows = self.rows.saturating_add(1);
        }
        let sends = |v: &std::collections::VecDeque<Level>| {
            v.iter().filter(|l| matches!(l, Level::Send { .. })).count()
        };
        if !self.cut {
            if self.rows <= SVG_HEAD {
                self.head.push(level);
                return;
            }
            self.cut = true;
        }
        self.tail.push_back(level);
        while sends(&self.tail) > SVG_TAIL {
            self.tail.pop_front();
        }
    }

    /// The SVG (empty without rows).
    pub fn finish(mut self, summary: Option<&ConnectionSummary>, lang: Lang) -> String {
        for level in self.timeline.finish() {
            self.keep(level);
        }
        let Some(start) = self.start else {
            return String::new();
        };
        let shown = self.head.len().saturating_add(self.tail.len());
        let tail: Vec<Level> = self.tail.into_iter().collect();
        let first_tail = tail.iter().find_map(|l| match l {
            Level::Send { index, .. } => Some(*index),
            Level::Arrive { .. } => None,
        });
        let omitted = match first_tail {
            Some(first) => first.saturating_sub(SVG_HEAD),
            None => 0,
        };
        let _ = shown;
        draw(&self.head, omitted, &tail, start, summary, lang)
    }
}

/// An SVG ladder of one connection, at once (no scripts; every string escaped).
pub fn svg(view: &ConnectionView<'_>, lang: Lang) -> String {
    let mut ladder = SvgLadder::new();
    for r in &view.segments {
        ladder.push(Box::new(SegmentReport {
            text: String::new(),
            ..(*r).clone()
        }));
    }
    ladder.finish(view.summary, lang)
}

/// Where each row is drawn.
#[derive(Debug, Clone, Copy)]
struct Placed {
    index: usize,
    from: Role,
    /// Times (seconds): sent, seen by the capture, arrived (`None`: lost, or
    /// arriving where it is not drawn).
    sent: f64,
    seen: f64,
    arrived: Option<f64>,
    lost: bool,
}

/// One-way delays from the capture point to each end (client, server):
/// half the shortest round trip an ACK of each end shows.
fn one_way(rows: &[&SegmentReport]) -> Sides<f64> {
    let mut d = Sides::new(f64::INFINITY, f64::INFINITY);
    for r in rows {
        if r.events.iter().any(|e| e.kind == EventKind::DelayedAck) {
            continue;
        }
        if let Some(rtt) = r
            .acked
            .as_ref()
            .and_then(|a| a.rtt)
            .filter(|t| t.is_finite() && *t >= 0.0)
        {
            d[r.from] = d[r.from].min(rtt / 2.0);
        }
    }
    for role in [Role::Client, Role::Server] {
        if !d[role].is_finite() {
            d[role] = 0.0;
        }
    }
    d
}

fn x_of(role: Role) -> f64 {
    match role {
        Role::Client => XC,
        Role::Server => XS,
    }
}

fn colour(r: &SegmentReport) -> &'static str {
    if r.events.iter().any(|e| e.kind.is_problem()) {
        PROBLEM_COLOUR
    } else if r.from == Role::Client {
        CLIENT_COLOUR
    } else {
        SERVER_COLOUR
    }
}

/// Draws the levels of `head`, then (when `omitted` rows were left out)
/// a cut, then those of `tail`.
#[allow(clippy::too_many_lines)]
fn draw(
    head: &[Level],
    omitted: usize,
    tail: &[Level],
    start: States,
    summary: Option<&ConnectionSummary>,
    lang: Lang,
) -> String {
    use super::escape;
    let levels: Vec<&Level> = head.iter().chain(tail).collect();
    let rows: Vec<&SegmentReport> = levels
        .iter()
        .filter_map(|l| match l {
            Level::Send { report, .. } => Some(&**report),
            Level::Arrive { .. } => None,
        })
        .collect();
    let head_rows = head
        .iter()
        .filter(|l| matches!(l, Level::Send { .. }))
        .count();
    let timed = rows.iter().any(|r| r.time.is_some_and(f64::is_finite));
    let d = if timed {
        one_way(&rows)
    } else {
        Sides::new(0.0, 0.0)
    };
    let delay = |role: Role| d[role];

    // Times of each row: seen by the capture, sent, arrived.
    let mut placed: Vec<Placed> = Vec::with_capacity(rows.len());
    let mut seen_of = std::collections::HashMap::new();
    let mut last = 0.0f64;
    for (n, l) in levels.iter().enumerate() {
        if let Level::Send { index, report, .. } = l {
            let seen = if timed {
                report
                    .time
                    .filter(|t| t.is_finite())
                    .unwrap_or(last)
                    .max(last)
            } else {
                n as f64
            };
            last = seen;
            seen_of.insert(*index, seen);
            placed.push(Placed {
                index: *index,
                from: report.from,
                sent: seen - delay(report.from),
                seen,
                arrived: None,
                lost: false,
            });
        }
    }
    // (A path keeps order, and a queue delays what follows as much: each
    // arrival at least as long after the one before as their sendings.)
    let mut latest: Sides<Option<(f64, f64)>> = Sides::new(None, None);
    for (p, l) in placed
        .iter_mut()
        .zip(levels.iter().filter(|l| matches!(l, Level::Send { .. })))
    {
        let Level::Send { arrival, .. } = l else {
            continue;
        };
        let to = p.from.other();
        let base = p.seen + delay(to);
        let n = p.from;
        let floor = latest[n].map_or(base, |(arrived, seen)| base.max(arrived + (p.seen - seen)));
        p.arrived = match arrival {
            Arrival::Lost => {
                p.lost = true;
                None
            }
            Arrival::Flat => Some(floor),
            Arrival::After(j) => match seen_of.get(j) {
                // Just after the receiver sent row `j`.
                Some(&t) => {
                    let after = t - delay(to);
                    Some(floor.max(after + (base - p.seen).max(1e-6) * 0.25))
                }
                None if *j >= head_rows && p.index < SVG_HEAD && omitted > 0 => None,
                None => Some(floor),
            },
        };
        if let Some(a) = p.arrived {
            latest[n] = Some((a, p.seen));
        }
    }
    let position: std::collections::HashMap<usize, usize> = placed
        .iter()
        .enumerate()
        .map(|(n, p)| (p.index, n))
        .collect();

    // The axis: rows where the capture saw them, pauses scaled (long ones
    // cut, marked with their length), rows kept apart enough for their
    // labels; sendings and arrivals placed between them in proportion.
    let mut gaps: Vec<f64> = placed
        .windows(2)
        .filter_map(|w| Some(w.get(1)?.seen - w.first()?.seen))
        .filter(|g| *g > 0.0)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let scale = gaps.get(gaps.len() / 2).map_or(1.0, |m| PAUSE / m);
    // Every time drawn, in order (ties in drawing order): a row's sending,
    // its capture, its arrival.
    let mut keys: Vec<(f64, usize)> = Vec::with_capacity(placed.len() * 3);
    for (k, p) in placed.iter().enumerate() {
        keys.push((p.sent.min(p.seen), k * 3));
        keys.push((p.seen, k * 3 + 1));
        if let Some(a) = p.arrived {
            keys.push((a.max(p.seen), k * 3 + 2));
        }
    }
    keys.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let cut_time = placed.get(head_rows).map(|p| p.sent.min(p.seen));
    let mut pauses: Vec<(usize, f64)> = Vec::new();
    let mut cut_pos = None;
    let mut base: Vec<f64> = Vec::with_capacity(keys.len());
    let mut y = TOP;
    for (n, &(t, _)) in keys.iter().enumerate() {
        if let Some(&(before, _)) = n.checked_sub(1).and_then(|m| keys.get(m)) {
            let gap = t - before;
            let mut step = gap * scale;
            if omitted > 0 && cut_pos.is_none() && cut_time.is_some_and(|c| before < c && t >= c) {
                cut_pos = Some(n);
                step = 48.0;
            } else if step > LONGEST {
                if step > 2.0 * LONGEST {
                    pauses.push((n, gap));
                }
                step = LONGEST;
            }
            y += step.max(0.0);
        }
        base.push(y);
    }
    // Rows apart enough for their labels: room added before a row's sending
    // (so that its arrow keeps its shape).
    let mut pos = vec![0usize; placed.len() * 3];
    for (n, &(_, order)) in keys.iter().enumerate() {
        if let Some(slot) = pos.get_mut(order) {
            *slot = n;
        }
    }
    let mut shifts: Vec<(usize, f64)> = Vec::new();
    let mut total = 0.0;
    let mut previous_row_y = f64::NEG_INFINITY;
    for k in 0..placed.len() {
        let at = |n: usize| pos.get(n).copied().unwrap_or(0);
        let (sent_pos, seen_pos) = (at(k * 3), at(k * 3 + 1));
        let seen_y = base.get(seen_pos).copied().unwrap_or(TOP) + total;
        // (A row's events are listed one under the other.)
        let marks = k
            .checked_sub(1)
            .and_then(|j| rows.get(j))
            .map_or(0, |r| r.events.len());
        let need = previous_row_y + ROOM.max(13.0 * marks as f64) - seen_y;
        if need > 0.0 {
            let from = match k.checked_sub(1) {
                Some(j) => sent_pos.max(at(j * 3 + 1).saturating_add(1)),
                None => sent_pos,
            };
            shifts.push((from, need));
            total += need;
            previous_row_y = seen_y + need;
        } else {
            previous_row_y = seen_y;
        }
    }
    let mut finals: Vec<f64> = Vec::with_capacity(keys.len());
    let (mut added, mut next_shift) = (0.0, shifts.iter().peekable());
    for (n, b) in base.iter().enumerate() {
        while let Some(&&(from, extra)) = next_shift.peek() {
            if from > n {
                break;
            }
            added += extra;
            next_shift.next();
        }
        finals.push(b + added);
    }
    let y_between = |n: usize| -> f64 {
        let after = finals.get(n).copied().unwrap_or(TOP);
        let before = n
            .checked_sub(1)
            .and_then(|m| finals.get(m))
            .copied()
            .unwrap_or(after);
        (before + after) / 2.0
    };
    let pauses: Vec<(f64, f64)> = pauses.iter().map(|&(n, gap)| (y_between(n), gap)).collect();
    let cut_at = cut_pos.map(y_between);
    let mut y_of_key = std::collections::HashMap::new();
    for (n, &(_, order)) in keys.iter().enumerate() {
        y_of_key.insert(order, finals.get(n).copied().unwrap_or(TOP));
    }
    let y = finals.last().copied().unwrap_or(TOP);
    let lowest = y_of_key.values().copied().fold(y, f64::max);
    let bottom = lowest + 30.0;
    let x_cap = if d.client + d.server > 0.0 {
        XC + (XS - XC) * d.client / (d.client + d.server)
    } else {
        (XC + XS) / 2.0
    };

    // Bands: each end's states, changing where the timeline puts them.
    let mut bands: Sides<Vec<(f64, TcpState)>> = Sides::new(
        vec![(TOP - 8.0, start.client)],
        vec![(TOP - 8.0, start.server)],
    );
    let mut previous_states = start;
    for l in &levels {
        let states = l.states();
        for role in [Role::Client, Role::Server] {
            if states.get(role) == previous_states.get(role) {
                continue;
            }
            let at = match l {
                Level::Send { index, report, .. } => position.get(index).and_then(|&k| {
                    let p = placed.get(k)?;
                    if report.from == role {
                        y_of_key.get(&(k * 3)).copied()
                    } else {
                        p.arrived
                            .and_then(|_| y_of_key.get(&(k * 3 + 2)).copied())
                            .or_else(|| y_of_key.get(&(k * 3 + 1)).copied())
                    }
                }),
                Level::Arrive { index, .. } => position
                    .get(index)
                    .and_then(|&k| y_of_key.get(&(k * 3 + 2)).copied()),
            };
            let floor = bands[role].last().map_or(TOP, |b| b.0);
            let at = at.unwrap_or(floor).max(floor);
            bands[role].push((at, states.get(role)));
        }
        previous_states = states;
    }

    let height = bottom + 56.0;
    let mut s = String::with_capacity(4096 + 600 * placed.len());
    let title = summary.map_or_else(
        || {
            format!(
                "{} {}",
                Label::Ladder.text(lang),
                rows.first().map_or(0, |r| r.conn)
            )
        },
        |x| {
            format!(
                "{} {}{}{} → {}",
                Label::Connection.text(lang),
                x.conn,
                colon(lang),
                x.client,
                x.server
            )
        },
    );
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 {SVG_WIDTH} {height:.0}" width="{SVG_WIDTH}" height="{height:.0}" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11" role="img"><title>{}</title>"##,
        escape(&title)
    );
    // Heads: each end and the capture point.
    let (client, server) = summary.map_or((String::new(), String::new()), |x| {
        (x.client.clone(), x.server.clone())
    });
    let _ = write!(
        s,
        r##"<text x="{XC}" y="16" text-anchor="middle" font-weight="bold" fill="{CLIENT_COLOUR}">{}</text><text x="{XC}" y="30" text-anchor="middle">{}</text><text x="{XS}" y="16" text-anchor="middle" font-weight="bold" fill="{SERVER_COLOUR}">{}</text><text x="{XS}" y="30" text-anchor="middle">{}</text>"##,
        escape(Label::Client.text(lang)),
        escape(&client),
        escape(Label::Server.text(lang)),
        escape(&server)
    );
    let _ = write!(
        s,
        r##"<text x="8" y="52" fill="#555">{} · {}</text>"##,
        escape(Label::Line.text(lang)),
        escape(Label::Time.text(lang))
    );
    let _ = write!(
        s,
        r##"<line x1="{x_cap:.1}" y1="40" x2="{x_cap:.1}" y2="{bottom:.1}" stroke="#aaa" stroke-dasharray="3 4"/><text x="{x_cap:.1}" y="50" text-anchor="middle" font-size="9" fill="#777">{}</text>"##,
        escape(Label::CapturePoint.text(lang))
    );
    if !timed {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="62" text-anchor="middle" font-size="9" fill="#777">{}</text>"##,
            (XC + XS) / 2.0,
            escape(Label::NoTimestamps.text(lang))
        );
    }
    // Bands and lifelines.
    for role in [Role::Client, Role::Server] {
        let band = &bands[role];
        let (x, name_x, anchor) = if role == Role::Client {
            (XC - BAND, XC - BAND - 4.0, "end")
        } else {
            (XS, XS + BAND + 4.0, "start")
        };
        let mut named = f64::NEG_INFINITY;
        for (k, &(y0, state)) in band.iter().enumerate() {
            let y1 = band.get(k + 1).map_or(bottom, |b| b.0);
            if y1 <= y0 && k + 1 < band.len() {
                continue;
            }
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{y0:.1}" width="{BAND}" height="{:.1}" fill="{}"><title>{}</title></rect>"##,
                (y1 - y0).max(0.0),
                band_colour(state),
                state.name()
            );
            let ty = (y0 + 10.0).max(named + 12.0);
            if ty < y1.max(y0 + 12.0) + 0.5 {
                let _ = write!(
                    s,
                    r##"<text x="{name_x:.1}" y="{ty:.1}" text-anchor="{anchor}" font-size="10" fill="#333">{}</text>"##,
                    state.name()
                );
                named = ty;
            }
        }
    }
    let _ = write!(
        s,
        r##"<line x1="{XC}" y1="36" x2="{XC}" y2="{bottom:.1}" stroke="#888"/><line x1="{XS}" y1="36" x2="{XS}" y2="{bottom:.1}" stroke="#888"/>"##
    );
    // Long pauses and the rows left out.
    for (py, seconds) in &pauses {
        let _ = write!(
            s,
            r##"<text x="20" y="{:.1}" font-size="9" fill="#888">⋮ +{}</text>"##,
            py + 3.0,
            escape(&crate::explain::ms(*seconds))
        );
    }
    if let Some(cy) = cut_at {
        let _ = write!(
            s,
            r##"<rect x="0" y="{:.1}" width="{SVG_WIDTH}" height="20" fill="#f4f4f4"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#555">⋯ {}: {omitted} ⋯</text>"##,
            cy - 10.0,
            (XC + XS) / 2.0,
            cy + 4.0,
            escape(Label::RowsNotDrawn.text(lang))
        );
    }
    // Arrows, with their labels, events and delayed ACKs.
    let mut last_time_y = f64::NEG_INFINITY;
    for (k, (p, r)) in placed.iter().zip(&rows).enumerate() {
        let (x0, x1) = (x_of(p.from), x_of(p.from.other()));
        let y0 = y_of_key.get(&(k * 3)).copied().unwrap_or(TOP);
        let yc = y_of_key.get(&(k * 3 + 1)).copied().unwrap_or(y0);
        let colour = colour(r);
        let label_text = label(r, false);
        let mut hover = format!("{}{}{label_text}", line_number(r.line, lang), colon(lang));
        for e in &r.events {
            let _ = write!(hover, " · {}", event_mark(e));
        }
        let _ = write!(s, r##"<g><title>{}</title>"##, escape(&hover));
        // A straight arrow from its sending to its arrival (near where the
        // capture saw it, at the capture point); a lost one stops short in
        // a cross, one arriving where the ladder is cut stops dashed.
        let arrived = p.arrived.and_then(|_| y_of_key.get(&(k * 3 + 2)).copied());
        let (x_end, y_end) = match (p.lost, arrived) {
            (false, Some(y1)) => (x1, y1),
            (true, _) => (x0 + (x1 - x0) * 0.6, y0 + (yc + (yc - y0) - y0) * 0.6 + 4.0),
            (false, None) => (
                x0 + (x1 - x0) * 0.9,
                cut_at.map_or(yc, |c| c - 10.0).max(y0),
            ),
        };
        let dashed = !p.lost && arrived.is_none();
        let _ = write!(
            s,
            r##"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x_end:.1}" y2="{y_end:.1}" stroke="{colour}" stroke-width="1.4"{}/>"##,
            if dashed {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            }
        );
        if p.lost {
            let _ = write!(
                s,
                r##"<path d="M{:.1},{:.1}l8,8m0,-8l-8,8" stroke="{PROBLEM_COLOUR}" stroke-width="2"/>"##,
                x_end - 4.0,
                y_end - 4.0
            );
        } else if !dashed {
            arrow_head(&mut s, (x0, y0), (x_end, y_end), colour);
        }
        // Where it passed the capture point.
        let along = |x: f64| y0 + (y_end - y0) * (x - x0) / (x_end - x0);
        if (x_cap - x0) * (x_end - x_cap) >= 0.0 && (x_end - x0).abs() > 1.0 {
            let _ = write!(
                s,
                r##"<circle cx="{x_cap:.1}" cy="{:.1}" r="2.2" fill="{colour}"/>"##,
                along(x_cap)
            );
        }
        // The label along the arrow, near its sender (two arrows that
        // cross keep theirs apart).
        let lx = x0 + (x1 - x0) * 0.3;
        let ly = if (x_end - x0).abs() > 1.0 {
            along(lx)
        } else {
            y0
        };
        let angle = (y_end - y0).atan2(x_end - x0).to_degrees();
        let angle = if angle.abs() > 90.0 {
            angle - 180.0_f64.copysign(angle)
        } else {
            angle
        };
        let _ = write!(
            s,
            r##"<text x="{lx:.1}" y="{:.1}" text-anchor="middle" fill="{colour}" stroke="#fff" stroke-width="3" paint-order="stroke" transform="rotate({angle:.2} {lx:.1} {ly:.1})">{}</text>"##,
            ly - 4.0,
            escape(&label_text)
        );
        s.push_str("</g>");
        // The row's line number and time, and its events.
        if yc - last_time_y >= 12.0 {
            let time = if timed {
                r.time.map(time_text).unwrap_or_default()
            } else {
                String::new()
            };
            let _ = write!(
                s,
                r##"<text x="8" y="{:.1}" fill="#555">{:>5}  {}</text>"##,
                yc + 4.0,
                r.line,
                escape(&time)
            );
            last_time_y = yc;
        }
        for (n, e) in r.events.iter().enumerate() {
            let mark = format!("⚑ {}", event_mark(e));
            let c = if e.kind.is_problem() {
                PROBLEM_COLOUR
            } else {
                NOTE_COLOUR
            };
            let _ = write!(
                s,
                r##"<text x="{X_EVENTS}" y="{:.1}" fill="{c}">{}</text>"##,
                yc + 4.0 + 13.0 * n as f64,
                escape(&mark)
            );
        }
        // A delayed ACK: the wait, on its sender's side, from the arrival
        // of what it acknowledges.
        if let Some(e) = r.events.iter().find(|e| e.kind == EventKind::DelayedAck) {
            let waited_from = e.of_line.and_then(|line| {
                let m = rows.iter().position(|x| x.line == line)?;
                y_of_key.get(&(m * 3 + 2)).copied()
            });
            if let Some(ya) = waited_from.filter(|ya| *ya < y0) {
                let bx = if p.from == Role::Client {
                    XC + 6.0
                } else {
                    XS - 6.0
                };
                let tick = if p.from == Role::Client { 4.0 } else { -4.0 };
                let _ = write!(
                    s,
                    r##"<path d="M{:.1},{ya:.1}h{tick}V{y0:.1}h{}" fill="none" stroke="{NOTE_COLOUR}" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" font-size="9" fill="{NOTE_COLOUR}" text-anchor="{}" stroke="#fff" stroke-width="3" paint-order="stroke">{} {}</text>"##,
                    bx - tick,
                    -tick,
                    bx + tick * 1.5,
                    (ya + y0) / 2.0 + 3.0,
                    if p.from == Role::Client {
                        "start"
                    } else {
                        "end"
                    },
                    escape(Label::DelayedAck.text(lang)),
                    escape(&e.seconds.map(crate::explain::ms).unwrap_or_default())
                );
            }
        }
    }
    // Legend.
    let ly = bottom + 20.0;
    let mut lx = 8.0;
    let items: [(&str, &str, bool); 4] = [
        (CLIENT_COLOUR, Label::Client.text(lang), false),
        (SERVER_COLOUR, Label::Server.text(lang), false),
        (PROBLEM_COLOUR, Label::Problems.text(lang), false),
        (PROBLEM_COLOUR, Label::LegendLost.text(lang), true),
    ];
    let any_problem = rows
        .iter()
        .any(|r| r.events.iter().any(|e| e.kind.is_problem()));
    let any_lost = placed.iter().any(|p| p.lost);
    for (n, (c, name, cross)) in items.into_iter().enumerate() {
        if (n == 2 && !any_problem) || (n == 3 && !any_lost) {
            continue;
        }
        if cross {
            let _ = write!(
                s,
                r##"<path d="M{lx:.1},{:.1}l8,8m0,-8l-8,8" stroke="{c}" stroke-width="2"/>"##,
                ly - 8.0
            );
        } else {
            let _ = write!(
                s,
                r##"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="2"/>"##,
                ly - 4.0,
                lx + 18.0,
                ly - 4.0
            );
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{ly:.1}">{}</text>"##,
            lx + 24.0,
            escape(name)
        );
        lx += 24.0 + 6.7 * width(name) as f64 + 18.0;
    }
    if let Some(x) = summary {
        let mut end = format!(
            "{}{}{} · conn_state {} · history {}",
            Label::Teardown.text(lang),
            colon(lang),
            crate::explain::teardown_name(x, lang),
            x.conn_state,
            x.history
        );
        let problems = problem_counts(x);
        if !problems.is_empty() {
            let _ = write!(
                end,
                " · {}{}{problems}",
                Label::Problems.text(lang),
                colon(lang)
            );
        }
        let _ = write!(
            s,
            r##"<text x="8" y="{:.1}" fill="#333">{}</text>"##,
            ly + 20.0,
            escape(&end)
        );
    }
    s.push_str("</svg>");
    s
}

/// An arrowhead at `to`, pointing along the line from `from`.
fn arrow_head(s: &mut String, from: (f64, f64), to: (f64, f64), colour: &str) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = dx.hypot(dy).max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let (bx, by) = (to.0 - ux * 9.0, to.1 - uy * 9.0);
    let _ = write!(
        s,
        r##"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{colour}"/>"##,
        to.0,
        to.1,
        bx - uy * 4.0,
        by + ux * 4.0,
        bx + uy * 4.0,
        by - ux * 4.0
    );
}
