//! Time-sequence graphs (tcptrace's, Wireshark's "Stevens" graph) as SVG:
//! one direction's data segments against time, with the ACK line, the
//! receive window line and SACK blocks of the other direction, problems
//! marked; and a second panel with the round-trip time of each ACK.
//!
//! Hand-written SVG: a few hundred lines of markup need no plotting crate,
//! and the picture is one self-contained element (no script, no fonts
//! fetched) that the HTML report, the notebook and `--graph` all embed.

use super::labels::{self, Label};
use super::{escape, ConnectionView};
use crate::lang::Lang;
use crate::track::report::{ConnectionSummary, EventKind, Role, SegmentReport};
use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

/// Plot size in pixels, and the margins around the plot area.
const WIDTH: f64 = 720.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 40.0;
/// The time-sequence plot's height, the room below it (tick labels,
/// legend), and the round-trip panel's height.
const PLOT: f64 = 300.0;
const BELOW: f64 = 64.0;
const RTT_HEIGHT: f64 = 130.0;
const HEIGHT: f64 = TOP + PLOT + BELOW;

/// Colours, after tcptrace's: data black, retransmissions red, the ACK line
/// green, the window yellow-brown, SACK blocks purple.
const DATA: &str = "#222";
const RESENT: &str = "#d62728";
const ACK: &str = "#2ca02c";
const WINDOW: &str = "#b8860b";
const SACK: &str = "#9467bd";
const MARK: &str = "#ff7f0e";

/// The direction whose data the graph shows: the one that sent more bytes
/// (the client when neither sent any).
pub fn data_direction(view: &ConnectionView<'_>) -> Role {
    let sent = |role: Role| -> u64 {
        view.segments
            .iter()
            .filter(|r| r.from == role)
            .map(|r| u64::from(r.len))
            .sum()
    };
    if sent(Role::Server) > sent(Role::Client) {
        Role::Server
    } else {
        Role::Client
    }
}

/// [`data_direction`], from a connection's summary.
pub fn sender_of(s: &ConnectionSummary) -> Role {
    if s.bytes_server > s.bytes_client {
        Role::Server
    } else {
        Role::Client
    }
}

/// Points a graph keeps of each kind at most: beyond, every other ordinary
/// one is left out (retransmissions and marked ACKs are kept).
pub const MOST_POINTS: usize = 6000;

/// A data segment, as the graph draws it.
#[derive(Debug, Clone, Copy)]
struct DataPoint {
    line: u64,
    time: f64,
    seq: u32,
    len: u32,
    resent: bool,
}

/// An ACK of the other direction, as the graph draws it.
#[derive(Debug, Clone)]
struct AckPoint {
    line: u64,
    time: f64,
    ack: u32,
    window: Option<u64>,
    sack: Vec<(u32, u32)>,
    /// `D` a duplicate ACK, `Z` a zero window.
    mark: Option<char>,
    rtt: Option<f64>,
}

/// A time-sequence graph, gathered as the connection's segments come (in
/// bounded memory: see [`MOST_POINTS`]).
#[derive(Debug, Clone)]
pub struct Graph {
    sender: Role,
    conn: Option<usize>,
    data: Vec<DataPoint>,
    acks: Vec<AckPoint>,
    /// Data, then ACKs: keep one ordinary point in `stride`; points seen.
    stride: (u64, u64),
    seen: (u64, u64),
    left_out: u64,
}

impl Graph {
    /// A graph of the data `sender` sends.
    pub fn new(sender: Role) -> Graph {
        Graph {
            sender,
            conn: None,
            data: Vec::new(),
            acks: Vec::new(),
            stride: (1, 1),
            seen: (0, 0),
            left_out: 0,
        }
    }

    /// Whether the sender sent data with a time (the graph has something to show).
    pub fn has_data(&self) -> bool {
        !self.data.is_empty()
    }

    /// Takes the next segment of the connection.
    pub fn push(&mut self, r: &SegmentReport) {
        self.conn.get_or_insert(r.conn);
        let Some(time) = r.time.filter(|t| t.is_finite()) else {
            return;
        };
        if r.from == self.sender && r.len > 0 {
            let resent = is_resend(r);
            if self.keep(0, resent) {
                self.data.push(DataPoint {
                    line: r.line,
                    time,
                    seq: r.seq.unwrap_or(0),
                    len: r.len,
                    resent,
                });
            }
        } else if r.from != self.sender {
            let Some(ack) = r.ack else { return };
            let mark = r.events.iter().find_map(|e| match e.kind {
                EventKind::DuplicateAck => Some('D'),
                EventKind::ZeroWindow => Some('Z'),
                _ => None,
            });
            if self.keep(1, mark.is_some() || !r.sack.is_empty()) {
                self.acks.push(AckPoint {
                    line: r.line,
                    time,
                    ack,
                    window: r.window,
                    sack: r.sack.clone(),
                    mark,
                    rtt: r.acked.as_ref().and_then(|a| a.rtt),
                });
            }
        }
    }

    /// Whether to keep the next point of kind `k` (0 data, 1 ACKs); thins
    /// the kept ones out when they are too many.
    fn keep(&mut self, k: usize, marked: bool) -> bool {
        let (seen, stride) = if k == 0 {
            (&mut self.seen.0, &mut self.stride.0)
        } else {
            (&mut self.seen.1, &mut self.stride.1)
        };
        *seen = seen.saturating_add(1);
        let kept = marked || *seen % *stride == 0;
        if !kept {
            self.left_out = self.left_out.saturating_add(1);
            return false;
        }
        let len = if k == 0 {
            self.data.len()
        } else {
            self.acks.len()
        };
        if len >= MOST_POINTS {
            // Every other ordinary point goes; marked ones stay.
            let before = len;
            let mut n = 0u64;
            if k == 0 {
                self.data.retain(|p| {
                    n += 1;
                    p.resent || n % 2 == 0
                });
            } else {
                self.acks.retain(|p| {
                    n += 1;
                    p.mark.is_some() || !p.sack.is_empty() || n % 2 == 0
                });
            }
            let after = if k == 0 {
                self.data.len()
            } else {
                self.acks.len()
            };
            self.left_out = self.left_out.saturating_add((before - after) as u64);
            if k == 0 {
                self.stride.0 = self.stride.0.saturating_mul(2);
            } else {
                self.stride.1 = self.stride.1.saturating_mul(2);
            }
            if after >= MOST_POINTS {
                self.left_out = self.left_out.saturating_add(1);
                return false;
            }
        }
        true
    }
}

/// A linear map from data values to pixels.
#[derive(Debug, Clone, Copy)]
struct Axis {
    from: f64,
    to: f64,
    px_from: f64,
    px_to: f64,
}

impl Axis {
    fn new(values: impl Iterator<Item = f64>, px_from: f64, px_to: f64) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if (hi - lo).abs() < f64::EPSILON {
            hi = lo + 1.0;
        }
        Axis {
            from: lo,
            to: hi,
            px_from,
            px_to,
        }
    }

    fn px(&self, v: f64) -> f64 {
        self.px_from + (v - self.from) / (self.to - self.from) * (self.px_to - self.px_from)
    }

    /// About `n` round tick values within the axis.
    fn ticks(&self, n: usize) -> Vec<f64> {
        let span = self.to - self.from;
        let raw = span / n.max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(raw);
        let mut t = (self.from / step).ceil() * step;
        let mut ticks = Vec::new();
        while t <= self.to + step * 1e-9 && ticks.len() < 50 {
            ticks.push(t);
            t += step;
        }
        ticks
    }
}

/// A number without trailing zeros after its decimal point.
fn short(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A time tick: in ms on an axis shorter than a second, else in s.
fn time_label(value: f64, span: f64) -> String {
    if span < 1.0 {
        format!("{} ms", short(value * 1000.0, 3))
    } else {
        format!("{} s", short(value, 3))
    }
}

/// A sequence-number tick on an axis up to `top`: in bytes, kB or MB.
fn label(value: f64, top: f64) -> String {
    match top.abs() {
        t if t >= 1e6 => format!("{} MB", short(value / 1e6, 2)),
        t if t >= 1e4 => format!("{} kB", short(value / 1e3, 1)),
        _ => format!("{value:.0}"),
    }
}

fn is_resend(r: &SegmentReport) -> bool {
    r.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Retransmission
                | EventKind::FastRetransmission
                | EventKind::SpuriousRetransmission
        )
    })
}

/// Writes the frame of a plot: axes, ticks and their labels, grid.
fn frame(svg: &mut String, x: &Axis, y: &Axis, top: f64, bottom: f64, y_seconds: bool) {
    let span = x.to - x.from;
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{top}" width="{:.1}" height="{:.1}" fill="#fff" stroke="#999"/>"##,
        WIDTH - LEFT - RIGHT,
        bottom - top
    );
    for t in x.ticks(6) {
        let px = x.px(t);
        let _ = write!(
            svg,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{bottom}" stroke="#eee"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"##,
            bottom + 13.0,
            time_label(t, span)
        );
    }
    for t in y.ticks(5) {
        let py = y.px(t);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            py + 3.0,
            if y_seconds {
                format!("{} ms", short(t * 1000.0, 3))
            } else {
                label(t, y.to)
            }
        );
    }
}

/// The time-sequence graph of `view` for the data `sender` sent, as one SVG
/// element; `title` names the connection (escaped here).
pub fn svg(view: &ConnectionView<'_>, sender: Role, title: &str, lang: Lang) -> String {
    let mut graph = Graph::new(sender);
    for r in &view.segments {
        graph.push(r);
    }
    graph.svg(title, lang)
}

impl Graph {
    /// The graph as one SVG element; `title` names the connection (escaped here).
    pub fn svg(&self, title: &str, lang: Lang) -> String {
        let (data, acks) = (&self.data, &self.acks);
        let end = |p: &DataPoint| f64::from(p.seq) + f64::from(p.len);
        let x = Axis::new(
            data.iter()
                .map(|p| p.time)
                .chain(acks.iter().map(|p| p.time)),
            LEFT,
            WIDTH - RIGHT,
        );
        let plot_bottom = TOP + PLOT;
        // (Scaled to the data and the ACKs: the window's edge, often far above
        // when the receiver is not what limits the sender, is drawn clipped.)
        let y = Axis::new(
            data.iter()
                .flat_map(|p| [f64::from(p.seq), end(p)])
                .chain(acks.iter().map(|p| f64::from(p.ack))),
            plot_bottom,
            TOP,
        );
        let total = HEIGHT + RTT_HEIGHT;
        let mut svg = String::with_capacity(4096 + 160 * (data.len() + acks.len()));
        let clip = format!(
            "tsg-plot-{}-{}",
            self.conn.unwrap_or(0),
            role_name(self.sender)
        );
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="tsg" viewBox="0 0 {WIDTH} {total}" width="{WIDTH}" height="{total}" font-family="sans-serif" role="img"><title>{title}</title>"#,
            title = escape(title)
        );
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="14" font-size="12">{}</text><text x="{LEFT}" y="28" font-size="11" fill="#555">{}</text>"##,
            escape(title),
            escape(caption(self.sender).text(lang))
        );
        frame(&mut svg, &x, &y, TOP, plot_bottom, false);
        let _ = write!(
            svg,
            r#"<clipPath id="{clip}"><rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{PLOT}"/></clipPath><g clip-path="url(#{clip})">"#,
            WIDTH - LEFT - RIGHT
        );

        // The receive window's right edge, then the ACK line: steps.
        let mut edge = String::new();
        let mut line = String::new();
        for (i, p) in acks.iter().enumerate() {
            let (px, ack) = (x.px(p.time), f64::from(p.ack));
            let next_px = acks.get(i + 1).map_or(x.px(x.to), |n| x.px(n.time));
            let _ = write!(line, "M{px:.1},{:.1}H{next_px:.1}", y.px(ack));
            if let Some(w) = p.window {
                let _ = write!(edge, "M{px:.1},{:.1}H{next_px:.1}", y.px(ack + w as f64));
            }
        }
        if !edge.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{edge}" stroke="{WINDOW}" fill="none" stroke-width="1.2"><title>{}</title></path>"#,
                escape(Label::WindowEdge.text(lang))
            );
        }
        if !line.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{line}" stroke="{ACK}" fill="none" stroke-width="1.5"><title>{}</title></path>"#,
                escape(Label::AckLine.text(lang))
            );
        }
        // SACK blocks, at the time of the ACK that carries them.
        for p in acks {
            for &(first, last) in &p.sack {
                let px = x.px(p.time);
                let _ = write!(
                    svg,
                    r#"<line x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{:.1}" stroke="{SACK}" stroke-width="3"><title>SACK {first}–{}</title></line>"#,
                    y.px(f64::from(first)),
                    y.px(f64::from(last)),
                    last.wrapping_sub(1)
                );
            }
        }
        // Each data segment, an I-beam from its first byte to its end.
        for p in data {
            let px = x.px(p.time);
            let (lo, hi) = (y.px(f64::from(p.seq)), y.px(end(p)));
            let colour = if p.resent { RESENT } else { DATA };
            let mut hover = format!(
                "{}{}seq {}–{} ({} {})",
                labels::line_number(p.line, lang),
                labels::colon(lang),
                p.seq,
                end(p) as u64 - 1,
                p.len,
                Label::Bytes.text(lang)
            );
            if p.resent {
                let _ = write!(hover, " · {}", Label::Retransmission.text(lang));
            }
            let _ = write!(
                svg,
                r#"<path d="M{px:.1},{lo:.1}V{hi:.1}M{:.1},{lo:.1}h4M{:.1},{hi:.1}h4" stroke="{colour}" stroke-width="1.2"><title>{}</title></path>"#,
                px - 2.0,
                px - 2.0,
                escape(&hover)
            );
        }
        // Problems on the other direction's lines: duplicate ACKs, zero windows.
        for p in acks {
            if let Some(mark) = p.mark {
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" font-size="9" fill="{MARK}" text-anchor="middle">{mark}<title>{}</title></text>"#,
                    x.px(p.time),
                    y.px(f64::from(p.ack)) + 10.0,
                    escape(&labels::line_number(p.line, lang))
                );
            }
        }
        svg.push_str("</g>");
        legend(&mut svg, plot_bottom + 34.0, lang);
        if self.left_out > 0 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#777" text-anchor="end">{}: {}</text>"##,
                WIDTH - RIGHT,
                TOP - 4.0,
                escape(Label::PointsNotDrawn.text(lang)),
                self.left_out
            );
        }
        rtt_panel(&mut svg, acks, &x, HEIGHT, lang);
        svg.push_str("</svg>");
        svg
    }
}

fn role_name(role: Role) -> &'static str {
    role.name()
}

/// The round-trip time of each ACK that newly acknowledges the sender's data.
fn rtt_panel(svg: &mut String, acks: &[AckPoint], x: &Axis, top: f64, lang: Lang) {
    let points: Vec<(f64, f64)> = acks
        .iter()
        .filter_map(|p| Some((p.time, p.rtt.filter(|r| r.is_finite())?)))
        .collect();
    let (panel_top, panel_bottom) = (top + 18.0, top + RTT_HEIGHT - 22.0);
    let y = Axis::new(
        points.iter().map(|p| p.1).chain([0.0]),
        panel_bottom,
        panel_top,
    );
    frame(svg, x, &y, panel_top, panel_bottom, true);
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="{:.1}" font-size="11">{}</text>"#,
        panel_top - 5.0,
        escape(Label::RoundTrip.text(lang))
    );
    for (t, rtt) in points {
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="2" fill="{ACK}"/>"#,
            x.px(t),
            y.px(rtt)
        );
    }
}

fn legend(svg: &mut String, y: f64, lang: Lang) {
    let items = [
        (DATA, Label::Data.text(lang)),
        (RESENT, Label::Retransmission.text(lang)),
        (ACK, Label::AckLine.text(lang)),
        (WINDOW, Label::WindowEdge.text(lang)),
        (SACK, "SACK"),
    ];
    let mut px = LEFT;
    for (colour, name) in items {
        let _ = write!(
            svg,
            r#"<rect x="{px:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            y - 4.0,
            px + 14.0,
            y,
            escape(name)
        );
        px += 14.0 + 6.0 * name.width() as f64 + 14.0;
    }
    // The marks on ACKs, on a second line.
    let (mut px, y) = (LEFT, y + 14.0);
    for (mark, name) in [
        ('D', Label::DuplicateAck.text(lang)),
        ('Z', Label::ZeroWindow.text(lang)),
    ] {
        let _ = write!(
            svg,
            r#"<text x="{px:.1}" y="{y:.1}" font-size="10"><tspan fill="{MARK}">{mark}</tspan> {}</text>"#,
            escape(name)
        );
        px += 6.0 * name.width() as f64 + 26.0;
    }
}

fn caption(sender: Role) -> Label {
    match sender {
        Role::Client => Label::ClientData,
        Role::Server => Label::ServerData,
    }
}

#[cfg(test)]
mod tests {
    use super::{label, Axis};

    #[test]
    fn ticks_are_round_and_inside() {
        let axis = Axis::new([0.013, 2.71].into_iter(), 0.0, 100.0);
        let ticks = axis.ticks(6);
        assert_eq!(ticks.first().copied(), Some(0.5));
        assert!(ticks.iter().all(|t| (0.013..=2.71).contains(t)));
        assert!(ticks.windows(2).all(|w| (w[1] - w[0] - 0.5).abs() < 1e-9));
        assert_eq!(super::time_label(0.25, 3.0), "0.25 s");
        assert_eq!(super::time_label(0.0005, 0.002), "0.5 ms");
        assert_eq!(super::time_label(0.0, 0.002), "0 ms");
        assert_eq!(label(25_000.0, 60_000.0), "25 kB");
        assert_eq!(label(5_000.0, 12_000.0), "5 kB");
        assert_eq!(label(500.0, 900.0), "500");
    }
}
