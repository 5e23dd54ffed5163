//! The JSON Lines contract: one object per output line, each with a `type`.
//!
//! - `"segment"`: a TCP line: `line` (1-based, first line of the record),
//!   `conn` (0-based), `from` (`"client"`|`"server"`), `flags` (as tcpdump prints
//!   them), `seq`, `ack` (relative; null when absent), `seq_raw`, `ack_raw`
//!   (absolute; null when the text cannot tell), `len`, `events` (objects with a
//!   `kind`), `state` (`{"client": S, "server": S}` after this line), `text`
//!   (the explanation), and more facts (`time`, `window`, `acked`, `transitions`, ...).
//! - `"other"`: a non-TCP packet: `line`, `protocol`, `text`.
//! - `"banner"`: one of tcpdump's own messages: `line`, `text`.
//! - `"unparsed"`: `line`, `column`, `expected`, `text`.
//! - `"connection"`: a connection's summary when it is over (or at the end of
//!   input): `conn`, `client`, `server`, `teardown`, `closed_by`, `conn_state`,
//!   `history`, and more.

use crate::model::RecordKind;
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
pub fn value(item: &Item) -> Value {
    match item {
        Item::Connection(summary) => tagged("connection", summary.as_ref()),
        Item::Line {
            report: Some(report),
            ..
        } => tagged("segment", report.as_ref()),
        Item::Line {
            record,
            report: None,
        } => match &record.kind {
            RecordKind::Banner(b) => json!({"type": "banner", "line": record.line, "text": b.text}),
            RecordKind::Unparsed(d) => json!({
                "type": "unparsed",
                "line": d.line,
                "column": d.column,
                "expected": d.expected,
                "text": d.text,
            }),
            RecordKind::Other(o) => json!({
                "type": "other",
                "line": record.line,
                "protocol": o.protocol,
                "text": record.text,
            }),
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

/// One item as a JSON value with the input it came from (`file`), for runs over several inputs.
pub fn with_file(item: &Item, file: &str) -> Value {
    let mut v = value(item);
    if let Value::Object(map) = &mut v {
        map.insert("file".into(), Value::String(file.to_string()));
    }
    v
}

/// Writes one item as one line of JSON, newline included. Segments and
/// summaries are written straight from their structs (the common, fast path).
pub fn write(item: &Item, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let result = match item {
        Item::Connection(summary) => serde_json::to_writer(
            &mut *out,
            &Tagged {
                kind: "connection",
                inner: summary.as_ref(),
            },
        ),
        Item::Line {
            report: Some(report),
            ..
        } => serde_json::to_writer(
            &mut *out,
            &Tagged {
                kind: "segment",
                inner: report.as_ref(),
            },
        ),
        Item::Line { .. } => serde_json::to_writer(&mut *out, &value(item)),
    };
    result.map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}
