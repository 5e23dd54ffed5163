//! The JSON Lines contract: one object per output line, each with a `type`.
//!
//! - `"segment"`: a TCP line: `line` (1-based, first line of the record),
//!   `conn` (0-based), `from` (`"client"`|`"server"`), `flags` (as tcpdump prints
//!   them), `seq`, `ack` (relative; null when absent), `seq_raw`, `ack_raw`
//!   (absolute; null when the text cannot tell), `len`, `events` (objects with a
//!   `kind`), `state` (`{"client": S, "server": S}` after this line), `text`
//!   (the explanation), and more facts (`time`, `window`, `acked`, `transitions`, ...).
//! - `"other"`: a non-TCP packet: `line`, `protocol`, `text`; an ICMP error
//!   also has `icmp`: `problem`, the `conn` and `segment` it reports (`from`,
//!   its `line`), whether that link is `inferred` (addresses only) and whether
//!   the segment is now known `undelivered`, and `text` (the explanation).
//! - `"banner"`: one of tcpdump's own messages: `line`, `text`.
//! - `"unparsed"`: `line`, `column`, `expected`, `text`.
//! - `"connection"`: a connection's summary when it is over (or at the end of
//!   input): `conn`, `client`, `server`, `teardown`, `closed_by`, `conn_state`,
//!   `history`, and more.
//!
//! Strings are escaped as JSON requires, and invisible characters (C1
//! controls, bidirectional and other format characters, DEL: see
//! [`super::invisible`]) are escaped too, as `\u009b`-style escapes (the same
//! value, still valid JSON), so that a tool printing a field raw (`jq -r`)
//! does not hand a stranger's escape sequence to a terminal.

use super::invisible::{is_invisible, may_start};
use crate::model::RecordKind;
use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

fn tagged<T: Serialize>(kind: &'static str, inner: &T) -> Value {
    serde_json::to_value(Tagged { kind, inner }).unwrap_or(Value::Null)
}

/// One item as a JSON value, following the contract above.
pub fn value(item: &Item, lang: crate::Lang) -> Value {
    match item {
        Item::Connection(summary) => {
            tagged("connection", with_summary_text(summary, lang).as_ref())
        }
        Item::Line {
            report: Some(report),
            ..
        } => tagged("segment", crate::explain::with_text(report, lang).as_ref()),
        Item::Line {
            record,
            report: None,
            icmp,
        } => match &record.kind {
            RecordKind::Banner(b) => json!({"type": "banner", "line": record.line, "text": b.text}),
            RecordKind::OtherText(t) => json!({
                "type": "other_text",
                "line": record.line,
                "kind": t.kind,
                "text": t.text,
            }),
            RecordKind::Unparsed(d) => json!({
                "type": "unparsed",
                "line": d.line,
                "column": d.column,
                "expected": d.expected,
                "text": d.text,
            }),
            RecordKind::Other(o) => {
                let mut v = json!({
                    "type": "other",
                    "line": record.line,
                    "protocol": o.protocol,
                    "text": record.text,
                });
                if let (Some(i), Value::Object(map)) = (icmp, &mut v) {
                    let mut icmp = serde_json::to_value(i).unwrap_or(Value::Null);
                    if let (true, Some(error), Value::Object(fields)) =
                        (i.text.is_empty(), &o.icmp, &mut icmp)
                    {
                        let text = crate::explain::icmp(i, error, lang);
                        fields.insert("text".into(), Value::String(text));
                    }
                    map.insert("icmp".into(), icmp);
                }
                v
            }
            RecordKind::Tcp(p) => json!({
                "type": "other",
                "line": record.line,
                "protocol": "TCP",
                "quoted": p.quoted,
                "text": record.text,
            }),
        },
    }
}

/// A summary with its words (a copy only when they were not written yet).
fn with_summary_text(
    s: &ConnectionSummary,
    lang: crate::Lang,
) -> std::borrow::Cow<'_, ConnectionSummary> {
    if s.text.is_empty() {
        std::borrow::Cow::Owned(ConnectionSummary {
            text: crate::explain::connection(s, lang),
            ..s.clone()
        })
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// One item as a JSON value with the input it came from (`file`), for runs over several inputs.
pub fn with_file(item: &Item, file: &str, lang: crate::Lang) -> Value {
    let mut v = value(item, lang);
    if let Value::Object(map) = &mut v {
        map.insert("file".into(), Value::String(file.to_string()));
    }
    v
}

/// Writes one item as one line of JSON, newline included.
pub fn write(item: &Item, lang: crate::Lang, out: &mut impl std::io::Write) -> std::io::Result<()> {
    // One line buffer per thread, reused (a segment line is a few hundred bytes).
    thread_local!(static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
    LINE.with_borrow_mut(|line| {
        line.clear();
        line.shrink_to(1 << 16);
        append(item, lang, line)?;
        out.write_all(line)
    })
}

/// Appends one item as one line of JSON, newline included, to `buf`. Segments
/// and summaries are written straight from their structs (the common, fast path).
pub fn append(item: &Item, lang: crate::Lang, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let result = match item {
        Item::Connection(summary) => write_tagged(
            &mut *buf,
            "connection",
            with_summary_text(summary, lang).as_ref(),
        ),
        Item::Line {
            report: Some(report),
            ..
        } => {
            segment(report, lang, buf);
            return Ok(());
        }
        Item::Line { .. } => to_writer(&mut *buf, &value(item, lang)),
    };
    result.map_err(std::io::Error::from)?;
    buf.push(b'\n');
    Ok(())
}

/// Writes `inner` (a struct) as an object whose first field is `"type": kind`:
/// what `Tagged` gives, without serde's slower path for flattened fields.
fn write_tagged<T: Serialize>(
    out: &mut impl std::io::Write,
    kind: &'static str,
    inner: &T,
) -> serde_json::Result<()> {
    let mut fields = Vec::with_capacity(1024);
    to_writer(&mut fields, inner)?;
    // `{"a":1}` becomes `{"type":"kind","a":1}`.
    let rest = fields.get(1..).unwrap_or(b"}");
    let comma = if rest == b"}" { "" } else { "," };
    write!(out, "{{\"type\":\"{kind}\"{comma}")
        .and_then(|()| out.write_all(rest))
        .map_err(serde_json::Error::io)
}

/// A segment's line (newline included), written directly: the same bytes as
/// serde gives for `Tagged { kind: "segment", inner: report }` (checked by a
/// test), at a fraction of the cost; this runs for every line.
fn segment(r: &SegmentReport, lang: crate::Lang, out: &mut Vec<u8>) {
    let mut j = Json(out);
    j.raw("{\"type\":\"segment\",\"line\":");
    j.int(r.line);
    j.raw(",\"conn\":");
    j.int(r.conn);
    j.raw(",\"from\":");
    j.name(r.from.name());
    j.raw(",\"flags\":");
    j.name(&r.flags);
    j.raw(",\"seq\":");
    j.opt_int(r.seq);
    j.raw(",\"ack\":");
    j.opt_int(r.ack);
    j.raw(",\"seq_raw\":");
    j.opt_int(r.seq_raw);
    j.raw(",\"ack_raw\":");
    j.opt_int(r.ack_raw);
    j.raw(",\"len\":");
    j.int(r.len);
    j.raw(",\"window\":");
    j.opt_int(r.window);
    j.raw(",\"time\":");
    j.opt_float(r.time);
    j.raw(",\"events\":[");
    for (i, e) in r.events.iter().enumerate() {
        j.raw(if i == 0 { "{\"kind\":" } else { ",{\"kind\":" });
        j.name(e.kind.name());
        if let Some(c) = e.count {
            j.raw(",\"count\":");
            j.int(c);
        }
        if let Some(l) = e.of_line {
            j.raw(",\"of_line\":");
            j.int(l);
        }
        if let Some(s) = e.seconds {
            j.raw(",\"seconds\":");
            j.float(s);
        }
        if let Some(n) = &e.note {
            j.raw(",\"note\":");
            j.str(&n.text());
        }
        if let Some(v) = e.evidence {
            j.raw(",\"evidence\":");
            j.name(v.name());
        }
        if let Some(s) = e.round_trip {
            j.raw(",\"round_trip\":");
            j.float(s);
        }
        if let Some(b) = e.backoff {
            j.raw(",\"backoff\":");
            j.name(b.name());
        }
        j.raw("}");
    }
    j.raw("],\"acked\":");
    match &r.acked {
        None => j.raw("null"),
        Some(a) => {
            j.raw("{\"first\":");
            j.int(a.first);
            j.raw(",\"last\":");
            j.int(a.last);
            j.raw(",\"bytes\":");
            j.int(a.bytes);
            j.raw(",\"syn\":");
            j.bool(a.syn);
            j.raw(",\"fin\":");
            j.bool(a.fin);
            j.raw(",\"lines\":[");
            for (i, l) in a.lines.iter().enumerate() {
                if i > 0 {
                    j.raw(",");
                }
                j.int(*l);
            }
            j.raw("]");
            if let Some(rtt) = a.rtt {
                j.raw(",\"rtt\":");
                j.float(rtt);
            }
            if let Some(v) = a.evidence {
                j.raw(",\"evidence\":");
                j.name(v.name());
            }
            if let Some(l) = a.wireshark_line {
                j.raw(",\"wireshark_line\":");
                j.int(l);
            }
            j.raw("}");
        }
    }
    j.raw(",\"transitions\":[");
    for (i, t) in r.transitions.iter().enumerate() {
        j.raw(if i == 0 { "{\"who\":" } else { ",{\"who\":" });
        j.name(t.who.name());
        j.raw(",\"from\":");
        j.name(t.from.name());
        j.raw(",\"to\":");
        j.name(t.to.name());
        j.raw(",\"why\":");
        j.str(crate::explain::reason(t.why, crate::Lang::En));
        j.raw(",\"why_code\":");
        j.name(t.why.code());
        j.raw(",\"cause_line\":");
        j.int(t.cause_line);
        j.raw(",\"inferred\":");
        j.bool(t.inferred);
        j.raw("}");
    }
    j.raw("],\"state\":{\"client\":");
    j.name(r.state.client.name());
    j.raw(",\"server\":");
    j.name(r.state.server.name());
    j.raw("}");
    if let Some(o) = &r.offer {
        j.raw(",\"offer\":{\"mss\":");
        j.opt_int(o.mss);
        j.raw(",\"sack_permitted\":");
        j.bool(o.sack_permitted);
        j.raw(",\"timestamps\":");
        j.bool(o.timestamps);
        j.raw(",\"wscale\":");
        j.opt_int(o.wscale);
        j.raw(",\"fast_open\":");
        j.bool(o.fast_open);
        j.raw("}");
    }
    if !r.sack.is_empty() {
        j.raw(",\"sack\":[");
        for (i, (a, b)) in r.sack.iter().enumerate() {
            j.raw(if i == 0 { "[" } else { ",[" });
            j.int(*a);
            j.raw(",");
            j.int(*b);
            j.raw("]");
        }
        j.raw("]");
    }
    if let Some(l) = r.peer_fin_unacked {
        j.raw(",\"peer_fin_unacked\":");
        j.int(l);
    }
    if let Some(rtt) = r.handshake_rtt {
        j.raw(",\"handshake_rtt\":");
        j.float(rtt);
    }
    j.raw(",\"notes\":[");
    for (i, n) in r.notes.iter().enumerate() {
        if i > 0 {
            j.raw(",");
        }
        j.name(n.code());
    }
    j.raw("],\"text\":");
    if r.text.is_empty() {
        // Written here, into a buffer kept for the next line (JSON Lines
        // from the command line: the explainer leaves the words to this).
        thread_local!(static WORDS: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) });
        WORDS.with_borrow_mut(|words| {
            words.clear();
            crate::explain::segment(r, lang, words);
            j.str(words);
        });
    } else {
        j.str(&r.text);
    }
    j.raw("}\n");
}

/// JSON pieces written as serde_json writes them (compact form).
struct Json<'a>(&'a mut Vec<u8>);

impl Json<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, n: impl itoa::Integer) {
        self.raw(itoa::Buffer::new().format(n));
    }

    fn opt_int(&mut self, n: Option<impl itoa::Integer>) {
        match n {
            Some(n) => self.int(n),
            None => self.raw("null"),
        }
    }

    fn float(&mut self, x: f64) {
        if !x.is_finite() {
            self.raw("null");
        } else if !self.microseconds(x) {
            self.raw(ryu::Buffer::new().format_finite(x));
        }
    }

    /// Writes `x` as ryu would when it is the double nearest to a whole number
    /// of microseconds (tcpdump's times and their differences), in about 40%
    /// of ryu's instructions; says whether it did.
    ///
    /// Then no other decimal with six or fewer fraction digits rounds to `x`
    /// (below 1e9 a double's spacing is under 0.2 µs), so the shortest one
    /// (ryu's choice) is that number of microseconds with trailing zeros cut,
    /// in decimal form from 10 µs up and in scientific form below.
    fn microseconds(&mut self, x: f64) -> bool {
        if !(1e-6..1e9).contains(&x) {
            return false;
        }
        // (Rounded by adding a half: `round` is a library call on baseline x86-64.)
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let us = (x * 1e6 + 0.5) as u64;
        #[allow(clippy::cast_precision_loss)]
        if us as f64 / 1e6 != x {
            return false;
        }
        if us < 10 {
            // Below 10 µs ryu writes the one digit in scientific form.
            self.int(us);
            self.raw("e-6");
            return true;
        }
        self.int(us / 1_000_000);
        // `.` and six digits, then the trailing zeros cut (one digit stays).
        let mut fraction = us % 1_000_000;
        let mut digits = *b".000000";
        for slot in digits.iter_mut().skip(1).rev() {
            #[allow(clippy::cast_possible_truncation)]
            let digit = (fraction % 10) as u8;
            *slot = b'0' + digit;
            fraction /= 10;
        }
        let mut len = digits.len();
        while len > 2 && digits.get(len - 1) == Some(&b'0') {
            len -= 1;
        }
        self.0
            .extend_from_slice(digits.get(..len).unwrap_or_default());
        true
    }

    fn opt_float(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.float(x),
            None => self.raw("null"),
        }
    }

    /// A name that needs no escaping (roles, states, kinds, flag letters).
    fn name(&mut self, s: &str) {
        debug_assert!(!s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
        self.0.push(b'"');
        self.raw(s);
        self.0.push(b'"');
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// A string, quoted and escaped as [`to_writer`] does: `"` and `\\`
    /// escaped, control characters as `\n`-style or `\u00xx` escapes,
    /// invisible characters as `\uxxxx` escapes, the rest as is.
    fn str(&mut self, s: &str) {
        let out = &mut *self.0;
        out.push(b'"');
        let bytes = s.as_bytes();
        // A byte that needs a look: one JSON escapes, DEL, or the start of a
        // character that may be invisible ([`may_start`], then the table):
        // most non-ASCII text (`→`, `–`, `é`) needs none.
        let hot = |b: u8, next: u8| {
            b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f || (b >= 0xc2 && may_start(b, next))
        };
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            // To the next byte that may need a look (a control, a quote, a
            // backslash, or not ASCII: most text has few).
            i = i.saturating_add(plain_len(bytes.get(i..).unwrap_or_default()));
            let Some(&b) = bytes.get(i) else { break };
            let next = bytes.get(i.saturating_add(1)).copied().unwrap_or(0);
            // `–`, `—` and `→` (U+2013, U+2014, U+2192: the ranges and
            // directions of every explanation): visible, passed without a look
            // in the table.
            if b == 0xe2
                && matches!(
                    (next, bytes.get(i.saturating_add(2))),
                    (0x80, Some(0x93 | 0x94)) | (0x86, Some(0x92))
                )
            {
                i = i.saturating_add(3);
                continue;
            }
            if !hot(b, next) {
                // (A character of several bytes is passed whole.)
                i = i.saturating_add(match b {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xff => 4,
                    _ => 1,
                });
                continue;
            }
            let (escape, len): (Option<&[u8]>, usize) = match b {
                b'"' => (Some(b"\\\""), 1),
                b'\\' => (Some(b"\\\\"), 1),
                b'\n' => (Some(b"\\n"), 1),
                b'\r' => (Some(b"\\r"), 1),
                b'\t' => (Some(b"\\t"), 1),
                0x08 => (Some(b"\\b"), 1),
                0x0c => (Some(b"\\f"), 1),
                0..=0x1f | 0x7f => (None, 1),
                // A character of several bytes: escaped when invisible.
                _ => {
                    let c = s.get(i..).and_then(|rest| rest.chars().next());
                    match c {
                        Some(c) if is_invisible(c) => (None, c.len_utf8()),
                        Some(c) => {
                            i = i.saturating_add(c.len_utf8());
                            continue;
                        }
                        None => {
                            i = i.saturating_add(1);
                            continue;
                        }
                    }
                }
            };
            out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            match escape {
                Some(e) => out.extend_from_slice(e),
                None => {
                    let c = s
                        .get(i..)
                        .and_then(|rest| rest.chars().next())
                        .unwrap_or('?');
                    unicode_escape(out, c);
                }
            }
            i = i.saturating_add(len);
            start = i;
        }
        out.extend_from_slice(bytes.get(start..).unwrap_or_default());
        out.push(b'"');
    }
}

/// How many bytes at the start of `bytes` need no look: those before the
/// first that [`may_need_look`] flags, or all. Eight at a time, the last few
/// padded with a plain letter (one step instead of a look at each).
fn plain_len(bytes: &[u8]) -> usize {
    let first_flagged = |word: [u8; 8]| {
        let mask = may_need_look(u64::from_le_bytes(word));
        (mask != 0).then(|| mask.trailing_zeros() as usize / 8)
    };
    let mut words = bytes.chunks_exact(8);
    let mut len = 0usize;
    for word in &mut words {
        if let Some(at) = first_flagged(word.try_into().unwrap_or_default()) {
            return len.saturating_add(at);
        }
        len = len.saturating_add(8);
    }
    let tail = words.remainder();
    let mut word = *b"aaaaaaaa";
    for (slot, &b) in word.iter_mut().zip(tail) {
        *slot = b;
    }
    len.saturating_add(first_flagged(word).unwrap_or(tail.len()))
}

/// The high bit of each byte of `w` (eight bytes, the first lowest) that is
/// a control, `"`, `\\` or not ASCII. Bytes above the first one flagged may
/// be flagged wrongly (a borrow runs upwards), so only the lowest counts.
fn may_need_look(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let equal = |x: u8| {
        let t = w ^ (ONES * u64::from(x));
        t.wrapping_sub(ONES) & !t & HIGH
    };
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    // (Each byte's low seven bits plus one reach the high bit only from 0x7f.)
    let del_or_above = ((w & !HIGH).wrapping_add(ONES) | w) & HIGH;
    below_space | equal(b'"') | equal(b'\\') | del_or_above
}

/// Appends `c` as JSON's `\uxxxx` escape (a surrogate pair beyond the first plane).
fn unicode_escape(out: &mut Vec<u8>, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.extend_from_slice(b"\\u");
        for shift in [12u16, 8, 4, 0] {
            let digit = usize::from((*unit >> shift) & 0xf);
            out.push(HEX.get(digit).copied().unwrap_or(b'0'));
        }
    }
}

/// serde_json's formatting (compact or pretty), with invisible characters in
/// strings escaped as well (see the module's documentation).
pub struct Escaping<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // (serde_json has escaped `"`, `\\` and C0 controls already.)
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !is_invisible(c) {
                continue;
            }
            writer.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
            let mut escaped = Vec::with_capacity(12);
            unicode_escape(&mut escaped, c);
            writer.write_all(&escaped)?;
            start = i.saturating_add(c.len_utf8());
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }

    // (What the pretty formatter changes, handed on; the rest is the same in both.)
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as compact JSON, invisible characters escaped.
pub fn to_writer<W: std::io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(writer, Escaping(serde_json::ser::CompactFormatter));
    value.serialize(&mut ser)
}

/// Writes `value` as pretty-printed JSON (two spaces), invisible characters escaped.
pub fn to_writer_pretty<W: std::io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        writer,
        Escaping(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The microsecond writer gives ryu's digits wherever it writes at all.
    #[test]
    fn microseconds_are_ryus_digits() {
        let mut values: Vec<f64> = vec![0.001, 0.04, 0.1, 1.0, 12.5, 59.999_999, 86_399.999_999];
        // Every microsecond of a second, and a spread up to 1e9 s.
        values.extend((0..1_000_000u64).map(|us| us as f64 / 1e6));
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let us = state % 1_000_000_000_000_000;
            values.push(us as f64 / 1e6);
            // Sums as the clock makes them (seconds of day plus a day), and non-grid values.
            values.push(us as f64 / 1e9 + 86_400.0);
            values.push(f64::from_bits(state >> 2));
        }
        let mut written = 0usize;
        for x in values.into_iter().filter(|x| x.is_finite()) {
            let mut out = Vec::new();
            if Json(&mut out).microseconds(x) {
                written += 1;
                assert_eq!(
                    std::str::from_utf8(&out).unwrap(),
                    ryu::Buffer::new().format_finite(x),
                    "{x:e}"
                );
            }
        }
        assert!(
            written > 1_000_000,
            "only {written} values took the fast path"
        );
    }

    /// The direct writer gives serde's bytes for every segment of the test
    /// data (and of ../shared's corpus when present).
    #[test]
    fn segment_lines_are_serdes_bytes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("tests/data"), root.join("../shared/corpus")];
        let mut checked = 0usize;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in entries.flatten().map(|e| e.path()) {
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if !path.extension().is_some_and(|e| e == "txt" || e == "out") {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                let text = String::from_utf8_lossy(&data);
                for item in crate::explain(&text) {
                    let Item::Line {
                        report: Some(report),
                        ..
                    } = &item
                    else {
                        continue;
                    };
                    let mut fast = Vec::new();
                    segment(report, crate::Lang::En, &mut fast);
                    let mut slow = Vec::new();
                    to_writer(
                        &mut slow,
                        &Tagged {
                            kind: "segment",
                            inner: report.as_ref(),
                        },
                    )
                    .unwrap();
                    slow.push(b'\n');
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&slow),
                        "{}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked} segments");
    }

    fn escaped(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        to_writer(&mut out, s).unwrap();
        out
    }

    #[test]
    fn strings_are_escaped_as_serde_does() {
        let all: String = (0u8..128).map(char::from).chain("→ é 😀".chars()).collect();
        for s in [
            all.as_str(),
            "",
            "plain text longer than sixteen bytes \" and after",
        ] {
            let mut fast = Vec::new();
            Json(&mut fast).str(s);
            assert_eq!(fast, escaped(s));
            // Only invisible characters are escaped beyond what serde does.
            if !s.contains('\u{7f}') {
                assert_eq!(fast, serde_json::to_vec(s).unwrap());
            }
        }
        // Every ASCII code, and invisible and visible characters, at every
        // place of the first chunks and the tail.
        let others = [
            '\u{80}',
            '\u{9b}',
            '\u{a0}',
            '\u{ad}',
            '\u{202e}',
            '→',
            '\u{feff}',
            '\u{e0041}',
            '😀',
        ];
        for c in (0u8..128).map(char::from).chain(others) {
            for at in 0..40 {
                let s = format!("{}{c}{}", "a".repeat(at), "z".repeat(40 - at));
                let mut fast = Vec::new();
                Json(&mut fast).str(&s);
                assert_eq!(fast, escaped(&s), "U+{:04X} at {at}", c as u32);
            }
        }
    }

    /// The word test flags, as its lowest byte, exactly the first byte that
    /// may need a look.
    #[test]
    fn word_test_finds_the_first_byte_to_look_at() {
        let quick = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
        let check = |word: [u8; 8]| {
            let mask = may_need_look(u64::from_le_bytes(word));
            let first = word.iter().position(|&b| quick(b));
            let found = (mask != 0).then(|| mask.trailing_zeros() as usize / 8);
            assert_eq!(found, first, "{word:02x?}");
        };
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                check(word);
                // Behind a byte that needs a look, and before one.
                word[7 - at] = 0x7f;
                check(word);
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(state.to_le_bytes());
        }
    }

    /// Issue 25, fault 9: C1 controls, bidirectional and other invisible
    /// characters are escaped in every JSON writer, and read back the same.
    #[test]
    fn invisible_characters_are_escaped() {
        let s = "a\u{9b}31m\u{202e}b\u{7f}\u{2028}\u{e0041}c → d";
        let mut fast = Vec::new();
        Json(&mut fast).str(s);
        let text = String::from_utf8(fast.clone()).unwrap();
        assert_eq!(
            text,
            "\"a\\u009b31m\\u202eb\\u007f\\u2028\\udb40\\udc41c → d\""
        );
        assert_eq!(fast, escaped(s));
        let mut pretty = Vec::new();
        to_writer_pretty(&mut pretty, &[s]).unwrap();
        assert!(String::from_utf8(pretty.clone())
            .unwrap()
            .contains("\\u009b31m\\u202e"));
        let back: String = serde_json::from_slice(&fast).unwrap();
        assert_eq!(back, s);
        let back: Vec<String> = serde_json::from_slice(&pretty).unwrap();
        assert_eq!(back, [s]);
    }
}
