//! Time-sequence graphs (tcptrace's, Wireshark's "Stevens" graph) as SVG:
//! one direction's data segments against time, with the ACK line, the
//! receive window line and SACK blocks of the other direction, problems
//! marked; and a second panel with the round-trip time of each ACK.
//!
//! Hand-written SVG: a few hundred lines of markup need no plotting crate,
//! and the picture is one self-contained element (no script, no fonts
//! fetched) that the HTML report, the notebook and `--graph` all embed.

use super::ConnectionView;
use crate::track::report::{EventKind, Role, SegmentReport};
use std::fmt::Write;

/// Plot size in pixels, and the margins around the plot area.
const WIDTH: f64 = 720.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 34.0;
/// The time-sequence plot's height, the room below it (tick labels,
/// legend), and the round-trip panel's height.
const PLOT: f64 = 300.0;
const BELOW: f64 = 52.0;
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
pub fn svg(view: &ConnectionView<'_>, sender: Role, title: &str) -> String {
    let receiver = sender.other();
    let timed = |r: &&&SegmentReport| r.time.is_some();
    let data: Vec<&SegmentReport> = view
        .segments
        .iter()
        .filter(|r| r.from == sender && r.len > 0)
        .filter(timed)
        .copied()
        .collect();
    let acks: Vec<&SegmentReport> = view
        .segments
        .iter()
        .filter(|r| r.from == receiver && r.ack.is_some())
        .filter(timed)
        .copied()
        .collect();
    let time = |r: &SegmentReport| r.time.unwrap_or(0.0);
    let end = |r: &SegmentReport| f64::from(r.seq.unwrap_or(0)) + f64::from(r.len);
    let x = Axis::new(
        view.segments.iter().filter(timed).map(|r| time(r)),
        LEFT,
        WIDTH - RIGHT,
    );
    let plot_bottom = TOP + PLOT;
    // (Scaled to the data and the ACKs: the window's edge, often far above
    // when the receiver is not what limits the sender, is drawn clipped.)
    let y = Axis::new(
        data.iter()
            .flat_map(|r| [f64::from(r.seq.unwrap_or(0)), end(r)])
            .chain(acks.iter().map(|r| f64::from(r.ack.unwrap_or(0)))),
        plot_bottom,
        TOP,
    );
    let total = HEIGHT + RTT_HEIGHT;
    let mut svg = String::with_capacity(4096 + 160 * view.segments.len());
    let clip = format!("tsg-plot-{}", view.segments.first().map_or(0, |r| r.conn));
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="tsg" viewBox="0 0 {WIDTH} {total}" width="{WIDTH}" height="{total}" font-family="sans-serif" role="img"><title>{title}</title>"#,
        title = super::document::escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="20" font-size="13">{} — {}</text>"#,
        super::document::escape(title),
        caption(sender)
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
    for (i, r) in acks.iter().enumerate() {
        let (px, ack) = (x.px(time(r)), f64::from(r.ack.unwrap_or(0)));
        let next_px = acks.get(i + 1).map_or(x.px(x.to), |n| x.px(time(n)));
        let _ = write!(line, "M{px:.1},{:.1}H{next_px:.1}", y.px(ack));
        if let Some(w) = r.window {
            let _ = write!(edge, "M{px:.1},{:.1}H{next_px:.1}", y.px(ack + w as f64));
        }
    }
    if !edge.is_empty() {
        let _ = write!(
            svg,
            r#"<path d="{edge}" stroke="{WINDOW}" fill="none" stroke-width="1.2"><title>{}</title></path>"#,
            words::WINDOW
        );
    }
    if !line.is_empty() {
        let _ = write!(
            svg,
            r#"<path d="{line}" stroke="{ACK}" fill="none" stroke-width="1.5"><title>{}</title></path>"#,
            words::ACK
        );
    }
    // SACK blocks, at the time of the ACK that carries them.
    for r in &acks {
        for &(first, last) in &r.sack {
            let px = x.px(time(r));
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
    for r in &data {
        let px = x.px(time(r));
        let (lo, hi) = (y.px(f64::from(r.seq.unwrap_or(0))), y.px(end(r)));
        let colour = if is_resend(r) { RESENT } else { DATA };
        let _ = write!(
            svg,
            r#"<path d="M{px:.1},{lo:.1}V{hi:.1}M{:.1},{lo:.1}h4M{:.1},{hi:.1}h4" stroke="{colour}" stroke-width="1.2"><title>line {}: seq {}–{} ({} bytes){}</title></path>"#,
            px - 2.0,
            px - 2.0,
            r.line,
            r.seq.unwrap_or(0),
            end(r) as u64 - 1,
            r.len,
            if is_resend(r) { words::RESENT } else { "" }
        );
    }
    // Problems on the other direction's lines: duplicate ACKs, zero windows.
    for r in &acks {
        let mark = r.events.iter().find_map(|e| match e.kind {
            EventKind::DuplicateAck => Some("D"),
            EventKind::ZeroWindow => Some("Z"),
            _ => None,
        });
        if let Some(mark) = mark {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" fill="{MARK}" text-anchor="middle">{mark}<title>line {}</title></text>"#,
                x.px(time(r)),
                y.px(f64::from(r.ack.unwrap_or(0))) + 10.0,
                r.line
            );
        }
    }
    svg.push_str("</g>");
    legend(&mut svg, plot_bottom + 34.0);
    rtt_panel(&mut svg, &acks, &x, HEIGHT);
    svg.push_str("</svg>");
    svg
}

/// The round-trip time of each ACK that newly acknowledges the sender's data.
fn rtt_panel(svg: &mut String, acks: &[&SegmentReport], x: &Axis, top: f64) {
    let points: Vec<(f64, f64)> = acks
        .iter()
        .filter_map(|r| Some((r.time?, r.acked.as_ref()?.rtt?)))
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
        words::RTT
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

fn legend(svg: &mut String, y: f64) {
    let items = [
        (DATA, words::DATA),
        (RESENT, words::RESENT_KEY),
        (ACK, words::ACK),
        (WINDOW, words::WINDOW),
        (SACK, "SACK"),
    ];
    let mut px = LEFT;
    for (colour, name) in items {
        let _ = write!(
            svg,
            r#"<rect x="{px:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="10">{name}</text>"#,
            y - 4.0,
            px + 14.0,
            y
        );
        px += 14.0 + 6.5 * name.chars().count() as f64 + 14.0;
    }
}

fn caption(sender: Role) -> &'static str {
    match sender {
        Role::Client => words::CLIENT_DATA,
        Role::Server => words::SERVER_DATA,
    }
}

/// The graph's words.
mod words {
    pub const DATA: &str = "data";
    pub const RESENT_KEY: &str = "retransmission";
    pub const RESENT: &str = ", a retransmission";
    pub const ACK: &str = "ACK";
    pub const WINDOW: &str = "window edge (ACK + receive window)";
    pub const RTT: &str = "round trip of each ACK";
    pub const CLIENT_DATA: &str = "sequence numbers of the client's data over time";
    pub const SERVER_DATA: &str = "sequence numbers of the server's data over time";
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
