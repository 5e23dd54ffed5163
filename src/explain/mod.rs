//! Facts into words: one short paragraph per line, one per connection, in
//! the language asked for. Everything said is read off the reports (the
//! facts); nothing is computed twice, and nothing here changes a fact.
//!
//! Each language has its own writer (`en`, `zh_hans` and `zh_hant`,
//! made from `zh_hans` by `i18n/hant.py`): a sentence's order and grammar
//! are its own. What they share is here: numbers, durations, lists.

mod en;
mod zh_hans;
mod zh_hant;

use crate::lang::Lang;
use crate::model::{IcmpError, IcmpProblem, RecordKind, TextKind};
use crate::reader::Binary;
use crate::track::report::{
    ClosedBy, ConnectionSummary, EventKind, IcmpReport, ResetKind, Role, SegmentReport, Teardown,
    Transition,
};
use crate::track::state::Reason;
use crate::track::Item;
use std::borrow::Cow;
use std::fmt::Write;

/// Appends the explanation of a segment's report to `t`.
#[inline]
pub fn segment(r: &SegmentReport, lang: Lang, t: &mut String) {
    match lang {
        Lang::En => en::write_segment(r, t),
        Lang::ZhHans => zh_hans::write_segment(r, t),
        Lang::ZhHant => zh_hant::write_segment(r, t),
    }
}

/// A report's explanation: as kept (written when its line was released), or
/// written now.
#[inline]
pub fn text(r: &SegmentReport, lang: Lang) -> Cow<'_, str> {
    if r.text.is_empty() {
        let mut t = String::new();
        segment(r, lang, &mut t);
        Cow::Owned(t)
    } else {
        Cow::Borrowed(&r.text)
    }
}

/// Appends a report's explanation to `t`: as kept, or written now.
#[inline]
pub fn append_text(r: &SegmentReport, lang: Lang, t: &mut String) {
    if r.text.is_empty() {
        segment(r, lang, t);
    } else {
        t.push_str(&r.text);
    }
}

/// A segment's explanation without its closing sentence of both ends'
/// states when the line changed none, for renderers that show the states
/// beside it. (Cut in place, without a copy: this runs for every line of text.)
pub fn without_unchanged_states(r: &SegmentReport, lang: Lang) -> Cow<'_, str> {
    let text = text(r, lang);
    if !r.transitions.is_empty() {
        return text;
    }
    // The sentence is `{start}{client state}{middle}{server state}{end}`.
    let (start, middle, end) = match lang {
        Lang::En => en::STATES,
        Lang::ZhHans => zh_hans::STATES,
        Lang::ZhHant => zh_hant::STATES,
    };
    let kept = text
        .strip_suffix(end)
        .and_then(|t| t.strip_suffix(r.state.server.name()))
        .and_then(|t| t.strip_suffix(middle))
        .and_then(|t| t.strip_suffix(r.state.client.name()))
        .and_then(|t| t.strip_suffix(start))
        .map(str::len);
    match (kept, text) {
        (None, text) => text,
        (Some(n), Cow::Borrowed(t)) => Cow::Borrowed(t.get(..n).unwrap_or(t)),
        (Some(n), Cow::Owned(mut t)) => {
            t.truncate(n);
            Cow::Owned(t)
        }
    }
}

/// The report with its explanation (a copy only when the text was not kept).
pub fn with_text(r: &SegmentReport, lang: Lang) -> Cow<'_, SegmentReport> {
    match text(r, lang) {
        Cow::Borrowed(_) => Cow::Borrowed(r),
        Cow::Owned(t) => Cow::Owned(SegmentReport {
            text: t,
            ..r.clone()
        }),
    }
}

/// A connection's summary in words.
pub fn connection(s: &ConnectionSummary, lang: Lang) -> String {
    match lang {
        Lang::En => en::connection(s),
        Lang::ZhHans => zh_hans::connection(s),
        Lang::ZhHant => zh_hant::connection(s),
    }
}

/// A summary's text: as kept, or written now.
pub fn summary_text(s: &ConnectionSummary, lang: Lang) -> Cow<'_, str> {
    if s.text.is_empty() {
        Cow::Owned(connection(s, lang))
    } else {
        Cow::Borrowed(&s.text)
    }
}

/// An ICMP error line in words: what the error says, which segment it
/// reports, and what follows.
pub fn icmp(r: &IcmpReport, e: &IcmpError, lang: Lang) -> String {
    match lang {
        Lang::En => en::icmp(r, e),
        Lang::ZhHans => zh_hans::icmp(r, e),
        Lang::ZhHant => zh_hant::icmp(r, e),
    }
}

/// An ICMP error's explanation (`record`: its line's kind): as kept, or written now.
pub fn icmp_text<'a>(record: &RecordKind, r: &'a IcmpReport, lang: Lang) -> Cow<'a, str> {
    match record {
        RecordKind::Other(o) if r.text.is_empty() => Cow::Owned(
            o.icmp
                .as_ref()
                .map(|e| icmp(r, e, lang))
                .unwrap_or_default(),
        ),
        _ => Cow::Borrowed(&r.text),
    }
}

/// Writes the words of an item that has none yet: a segment's explanation,
/// an ICMP error's, a connection's summary.
#[inline(never)]
pub fn fill(item: &mut Item, lang: Lang) {
    match item {
        Item::Line {
            report: Some(r), ..
        } if r.text.is_empty() => {
            // (A recycled report brings its text's buffer: see `crate::spare`.)
            let mut t = std::mem::take(&mut r.text);
            segment(r, lang, &mut t);
            r.text = t;
        }
        Item::Line {
            record,
            icmp: Some(report),
            ..
        } if report.text.is_empty() => {
            if let RecordKind::Other(o) = &record.kind {
                if let Some(error) = &o.icmp {
                    report.text = icmp(report, error, lang);
                }
            }
        }
        Item::Connection(s) if s.text.is_empty() => s.text = connection(s, lang),
        Item::Line { .. } | Item::Connection(_) => {}
    }
}

/// How a connection ended, in a word or two: its code in English (as
/// JSON has it), words in Chinese; only "closed" when three segments or
/// four cannot be told (the second FIN is not in the capture).
pub fn teardown_name(s: &ConnectionSummary, lang: Lang) -> &'static str {
    let unseen = unseen_second_fin(s).is_some();
    match lang {
        Lang::En if unseen => "closed",
        Lang::En => s.teardown.code(),
        Lang::ZhHans if unseen => "已关闭",
        Lang::ZhHant if unseen => "已關閉",
        Lang::ZhHans => zh_hans::teardown_name(s.teardown),
        Lang::ZhHant => zh_hant::teardown_name(s.teardown),
    }
}

/// Why an end changed state, in words.
pub fn reason(why: Reason, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en::reason(why),
        Lang::ZhHans => zh_hans::reason(why),
        Lang::ZhHant => zh_hant::reason(why),
    }
}

/// What a line that is not tcpdump's is, in words.
pub fn other_text(kind: TextKind, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en::other_text(kind),
        Lang::ZhHans => zh_hans::other_text(kind),
        Lang::ZhHant => zh_hant::other_text(kind),
    }
}

/// What a binary input (`name`; `-` for standard input) is and what to run
/// instead, in one line.
pub fn binary_input(kind: Binary, name: &str, lang: Lang) -> String {
    match lang {
        Lang::En => en::binary_input(kind, name),
        Lang::ZhHans => zh_hans::binary_input(kind, name),
        Lang::ZhHant => zh_hant::binary_input(kind, name),
    }
}

/// An ICMP problem in a few words.
pub fn problem_name(p: IcmpProblem, lang: Lang) -> &'static str {
    match lang {
        Lang::En => en::problem_name(p),
        Lang::ZhHans => zh_hans::problem_name(p),
        Lang::ZhHant => zh_hant::problem_name(p),
    }
}

/// A file name as a shell command takes it (quoted when it must be).
pub(crate) fn shell_word(name: &str) -> String {
    if name == "-" {
        "FILE".to_string()
    } else if name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"._-/+:@,".contains(&c))
    {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', r"'\''"))
    }
}

/// Milliseconds with sensible precision.
pub fn ms(seconds: f64) -> String {
    let mut s = String::new();
    write_ms(&mut s, seconds);
    s
}

pub(crate) fn write_ms(t: &mut String, seconds: f64) {
    let ms = seconds * 1000.0;
    let decimals = if ms.abs() >= 100.0 {
        0
    } else if ms.abs() >= 1.0 {
        1
    } else {
        3
    };
    if !write_whole_microseconds(t, ms, decimals) {
        let _ = write!(t, "{ms:.decimals$} ms");
    }
}

/// Writes `ms` as `{ms:.decimals$} ms` would (`decimals` 0, 1 or 3) when it is
/// a whole number of microseconds (within a thousandth), as every duration
/// between tcpdump's microsecond times is, and not halfway between two
/// roundings; says whether it did. (The float formatting machinery costs more
/// than the rest of a line's explanation.)
fn write_whole_microseconds(t: &mut String, ms: f64, decimals: usize) -> bool {
    let us = (ms * 1000.0).round();
    if !ms.is_sign_positive() || us >= 1e15 || (ms * 1000.0 - us).abs() >= 1e-3 {
        return false;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let us = us as u64;
    // Microseconds per unit of the last decimal, and units per millisecond.
    let (step, scale) = match decimals {
        0 => (1000, 1),
        1 => (100, 10),
        _ => (1, 1000),
    };
    if step > 1 && us % step == step / 2 {
        return false; // A tie: how it rounds depends on the exact double.
    }
    let units = (us + step / 2) / step;
    num(t, units / scale);
    if decimals > 0 {
        t.push('.');
        // Zero-padded in one go: `1` and the digits, without the `1`.
        let mut digits = itoa::Buffer::new();
        let padded = digits.format(scale + units % scale);
        t.push_str(padded.get(1..).unwrap_or_default());
    }
    t.push_str(" ms");
    true
}

/// A segment's flag letters (`S`, `F`, `R`, `P`, `.` …) as a set: the
/// writers ask for several of them on every line.
#[derive(Clone, Copy)]
pub(crate) struct FlagLetters(u128);

impl FlagLetters {
    pub(crate) fn of(letters: &str) -> Self {
        FlagLetters(letters.bytes().fold(0, |set, b| match b {
            0..=0x7f => set | 1 << b,
            _ => set,
        }))
    }

    pub(crate) fn has(self, letter: u8) -> bool {
        letter <= 0x7f && self.0 >> letter & 1 == 1
    }
}

/// Writes a whole number (without the formatting machinery: this is on every line).
pub(crate) fn num(t: &mut String, n: impl itoa::Integer) {
    t.push_str(itoa::Buffer::new().format(n));
}

/// Items written one after another into a text, with a separator between them.
pub(crate) struct List {
    pub(crate) sep: &'static str,
    pub(crate) count: usize,
}

impl List {
    pub(crate) fn new(sep: &'static str) -> List {
        List { sep, count: 0 }
    }

    /// Starts the next item (after a separator unless it is the first).
    pub(crate) fn next<'t>(&mut self, t: &'t mut String) -> &'t mut String {
        if self.count > 0 {
            t.push_str(self.sep);
        }
        self.count = self.count.saturating_add(1);
        t
    }
}

/// A whole number with thousands separated by commas (`3,635`).
pub(crate) fn write_count(t: &mut String, n: u64) {
    let digits = n.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            t.push(',');
        }
        t.push(c);
    }
}

/// A first SACK block at or below the ACK is a D-SACK (RFC 2883): bytes received twice.
pub(crate) fn dsack(r: &SegmentReport) -> bool {
    match (r.sack.first(), r.ack) {
        #[allow(clippy::cast_possible_wrap)]
        (Some(&(_, right)), Some(a)) => right.wrapping_sub(a) as i32 <= 0,
        _ => false,
    }
}

/// The ICMP errors about a connection, by problem (in the order first seen
/// among runs of the same problem), each with the lines it was reported on.
fn icmp_errors_by_problem(s: &ConnectionSummary) -> Vec<(IcmpProblem, Vec<u64>)> {
    let mut problems: Vec<IcmpProblem> = s.icmp_errors.iter().map(|e| e.problem).collect();
    problems.dedup();
    problems
        .into_iter()
        .map(|p| {
            let lines = s
                .icmp_errors
                .iter()
                .filter(|e| e.problem == p)
                .map(|e| e.line)
                .collect();
            (p, lines)
        })
        .collect()
}

// What a line's words rest on, decided once for every language. (Asked as
// every line is written: inlined into each language's writer.)

/// Whether the line's RST refuses a connection attempt.
#[inline]
fn refuses(r: &SegmentReport) -> bool {
    r.events.iter().any(|e| {
        e.kind == EventKind::Reset
            && ResetKind::of_note(e.note.as_ref()) == Some(ResetKind::Refused)
    })
}

/// Whether the line is the capture point's doing (a copy of an earlier line,
/// a packet seen late): Wireshark's labels on it are explained as that.
#[inline]
fn capture_artefact(r: &SegmentReport) -> bool {
    r.events
        .iter()
        .any(|e| matches!(e.kind, EventKind::CaptureCopy | EventKind::SeenLate))
}

/// Whether a more precise event on the line (a fast, spurious or SYN
/// retransmission) says what its plain `retransmission` would.
#[inline]
fn resend_said_precisely(r: &SegmentReport) -> bool {
    r.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::FastRetransmission
                | EventKind::SpuriousRetransmission
                | EventKind::SynRetransmission
        )
    })
}

/// A change of the sender's caused by an earlier line that this line is the
/// first to show: its previous segment's ACK did not cover that line.
#[inline]
fn shown_late(r: &SegmentReport) -> Option<&Transition> {
    r.transitions
        .iter()
        .find(|t| t.cause_line < r.line && t.who == r.from && !t.inferred)
}

/// Whether nothing from the server is in the capture (Zeek's `S0`): its
/// state is then the model's assumption (LISTEN), not something seen.
fn server_unheard(s: &ConnectionSummary) -> bool {
    s.teardown == Teardown::Open && s.conn_state == "S0"
}

/// The end none of whose packets are in the capture (the server of an
/// unanswered attempt, the far end of a one-direction capture): its final
/// state is inferred from the other end's packets alone.
fn unheard_end(s: &ConnectionSummary) -> Option<Role> {
    if server_unheard(s) {
        return Some(Role::Server);
    }
    s.captured_only.map(Role::other)
}

/// The end whose FIN closed a three- or four-segment close when that FIN is
/// not in the capture (inferred from the peer's acknowledgment): whether it
/// carried the ACK of the first FIN, or came after it, cannot be told.
fn unseen_second_fin(s: &ConnectionSummary) -> Option<Role> {
    let second = match s.closed_by? {
        ClosedBy::Client => Role::Server,
        ClosedBy::Server => Role::Client,
        ClosedBy::Both => return None,
    };
    (matches!(s.teardown, Teardown::ThreeWay | Teardown::FourWay)
        && s.fins_inferred.contains(&second))
    .then_some(second)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set holds exactly the letters given, whatever else is in the text.
    #[test]
    fn flag_letters_are_a_set_of_the_letters() {
        for letters in [
            "S", "S.", "FP.", "R.", "SEW", ".", "none", "", "P\u{e9}.", "\u{7f}S",
        ] {
            let set = FlagLetters::of(letters);
            for b in 0..=255u8 {
                assert_eq!(
                    set.has(b),
                    b.is_ascii() && letters.as_bytes().contains(&b),
                    "{letters:?} {b:#x}"
                );
            }
        }
    }

    /// Durations read as the float formatting writes them, on the microsecond
    /// grid (where the fast path writes), at ties and off the grid (where it
    /// declines).
    #[test]
    fn whole_microseconds_are_written_as_format_does() {
        let mut values: Vec<f64> = (0..=300_000).map(|us| f64::from(us) / 1e6).collect();
        // Differences of two clock readings, as the tracker makes them.
        values.extend((0..200_000u32).map(|i| {
            let a = 43_726.0 + f64::from(i) * 0.000_731;
            let b = a + f64::from(i % 250_007) / 1e6;
            b - a
        }));
        values.extend([
            0.000_000_5,
            0.000_123_456_7,
            -0.0,
            -0.000_5,
            0.000_999_999_9,
            0.001_25,
            0.150_5,
            86_399.999_999,
        ]);
        let mut fast = 0;
        for seconds in values {
            let mut got = String::new();
            write_ms(&mut got, seconds);
            let ms = seconds * 1000.0;
            let want = if ms.abs() >= 100.0 {
                format!("{ms:.0} ms")
            } else if ms.abs() >= 1.0 {
                format!("{ms:.1} ms")
            } else {
                format!("{ms:.3} ms")
            };
            assert_eq!(got, want, "{seconds:e} s");
            let decimals = if got.contains('.') {
                got.split(['.', ' ']).nth(1).map_or(0, str::len)
            } else {
                0
            };
            let mut again = String::new();
            fast += usize::from(write_whole_microseconds(&mut again, ms, decimals));
        }
        assert!(fast > 400_000, "only {fast} values took the fast path");
    }
}
