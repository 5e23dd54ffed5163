//! The Python face (`tcpexplain._tcpexplain`), built by maturin with the `python` feature.
//!
//! This native module is private: the package in `python/tcpexplain/` is the
//! public API and wraps it. Everything here is a thin layer over
//! [`crate::Explainer`] and the renderers:
//!
//! - [`TraceData`] holds what a whole text was explained into and the text
//!   itself ([`store::Items`]: the segments as the table pandas shows, the
//!   other items as they are), shared (one `Arc`) by the [`Segment`],
//!   [`Connection`], [`Diagnostic`] and [`OtherLine`] objects made from it,
//!   so that those objects cost a pointer and an index. A segment's lines
//!   are read again from the text when asked.
//! - Whole texts are explained with the GIL released: big ones read, parsed
//!   and tracked on one thread while this one keeps what comes out (the
//!   table of [`columns`] and the explanations); now and then the GIL is
//!   taken back to let Python handle signals (Ctrl-C).
//! - HTML for notebooks reuses [`document::html_table`], [`diagram::svg`] and [`render::tsg::svg`];
//!   every string from the input is escaped and there is no script.

mod columns;
mod store;

use crate::lang::Lang;
use crate::model::{Diagnostic as ParseDiagnostic, RecordKind};
use crate::reader::Assembler;
use crate::render::{self, diagram, document, jsonl, text as text_render, ConnectionView};
use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;
use crate::Explainer as Engine;
use columns::{event_names, Categories, Nullable};
use numpy::PyArray1;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use store::{Entry, Items, Kept, Source};

/// The columns of `to_dicts()`/`to_pandas()`, in order (the Python package reads them from here).
const COLUMNS: [&str; 15] = [
    "line",
    "conn",
    "from",
    "flags",
    "seq",
    "ack",
    "seq_raw",
    "ack_raw",
    "len",
    "time",
    "window",
    "client_state",
    "server_state",
    "events",
    "text",
];

/// Items handed from the tracking thread to the keeping one at a time, and
/// batches in flight at most. Small batches stay in the processor's caches
/// until they are kept.
const BATCH: usize = 256;
const BATCHES: usize = 8;
/// Batches kept between two checks for signals (Ctrl-C).
const SIGNAL_EVERY: usize = 256;
/// Inputs from this size on are read in two threads; below it, starting a
/// second thread costs more than it saves (a 10-line text: 14 µs on one
/// thread, 80 µs on two).
const TWO_THREADS_FROM: u64 = 256 << 10;

pyo3::create_exception!(
    tcpexplain,
    ParseError,
    PyValueError,
    "A line that tcpdump's grammar cannot read.\n\nAttributes: `line` (1-based), `column` (1-based, in characters), `expected` (what the grammar expected there) and `text` (the line)."
);

pyo3::create_exception!(
    tcpexplain,
    BinaryInputError,
    PyValueError,
    "Input that is not text: a capture file (pcap, pcapng), a compressed file, UTF-16 text. The message says what to run instead.\n\nAttribute: `kind` (`pcap`, `pcapng`, `gzip`, `zstd`, `bzip2`, `xz`, `zip`, `utf16` or `binary`)."
);

/// Refuses input whose first bytes show it is not text (`name`: its path, or
/// how else to name it), saying what to run instead.
fn text_only(py: Python<'_>, first: &[u8], name: &str) -> PyResult<()> {
    let Some(kind) = crate::reader::Binary::sniff(first) else {
        return Ok(());
    };
    let advice = crate::explain::binary_input(kind, name, Lang::En);
    let err = BinaryInputError::new_err(format!("{name}: {advice}"));
    err.value(py).setattr("kind", kind.name())?;
    Err(err)
}

// ---------------------------------------------------------------------------
// Conversions

/// A JSON value as the Python object `json.loads` would give.
fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(json_to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, x) in m {
                dict.set_item(k, json_to_py(py, x)?)?;
            }
            dict.into_any()
        }
    })
}

fn serde_to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

/// A serde enum's name (`"four_way"`, `"client"`, ...).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn states_dict<'py>(
    py: Python<'py>,
    states: &crate::track::report::States,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("client", states.client.name())?;
    d.set_item("server", states.server.name())?;
    Ok(d)
}

fn parse_error(py: Python<'_>, d: &ParseDiagnostic) -> PyErr {
    let err = ParseError::new_err(d.to_string());
    let value = err.value(py);
    let _ = value.setattr("line", d.line);
    let _ = value.setattr("column", d.column);
    let _ = value.setattr("expected", d.expected.as_str());
    let _ = value.setattr("text", d.text.as_str());
    err
}

/// An OS error as Python's `OSError(errno, strerror, filename)`, which Python
/// turns into the matching subclass (`FileNotFoundError`, `IsADirectoryError`, ...).
fn os_error(e: &io::Error, path: &Path) -> PyErr {
    match e.raw_os_error() {
        Some(code) => {
            let message = e.to_string();
            let suffix = format!(" (os error {code})");
            let strerror = message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string();
            PyOSError::new_err((code, strerror, path.display().to_string()))
        }
        None => PyOSError::new_err(format!("{}: {e}", path.display())),
    }
}

/// Text from a `str` or `bytes` object (bytes decoded as UTF-8, invalid bytes replaced).
fn text_of<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, str>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Cow::Owned(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(String::from_utf8_lossy(b.as_bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "expected str or bytes, not {}",
        obj.get_type().name()?
    )))
}

/// A string as Python's `repr()` writes it.
fn pr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn pr_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), pr)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

// ---------------------------------------------------------------------------
// Items as Python objects

/// One item of a shared list.
#[derive(Clone)]
struct At {
    items: Arc<Items>,
    index: usize,
}

impl At {
    fn item(&self) -> PyResult<&Item> {
        self.items
            .get(self.index)
            .ok_or_else(|| PyValueError::new_err("item out of range"))
    }

    fn report(&self) -> PyResult<&SegmentReport> {
        report_of(self.item()?).ok_or_else(|| PyValueError::new_err("not a segment"))
    }

    fn summary(&self) -> PyResult<&ConnectionSummary> {
        match self.item()? {
            Item::Connection(s) => Ok(s),
            _ => Err(PyValueError::new_err("not a connection")),
        }
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &jsonl::value(self.item()?, Lang::En))
    }
}

/// The error for a segment's lines asked of a file that has changed since it was read.
fn changed() -> PyErr {
    PyOSError::new_err(
        "the file this trace was read from has changed since: explain it again to read its lines",
    )
}

/// The item at `index` as the matching Python object.
fn wrap_item(py: Python<'_>, items: &Arc<Items>, index: usize) -> PyResult<Py<PyAny>> {
    let at = At {
        items: Arc::clone(items),
        index,
    };
    match items.get(index) {
        Some(Item::Connection(_)) => Connection { at }.into_py_any(py),
        Some(Item::Line {
            report: Some(_), ..
        }) => Segment { at }.into_py_any(py),
        Some(Item::Line { record, .. }) if matches!(record.kind, RecordKind::Unparsed(_)) => {
            Diagnostic { at }.into_py_any(py)
        }
        Some(Item::Line { .. }) => OtherLine { at }.into_py_any(py),
        None => Err(PyValueError::new_err("item out of range")),
    }
}

fn wrap_owned(py: Python<'_>, item: Item) -> PyResult<Py<PyAny>> {
    wrap_item(py, &Arc::new(Items::of(vec![item])), 0)
}

/// Wraps the items of `items` whose index passes `keep`.
fn wrap_where(
    py: Python<'_>,
    items: &Arc<Items>,
    keep: impl Fn(&Item) -> bool,
) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for (i, item) in items.iter().enumerate() {
        if keep(item) {
            list.append(wrap_item(py, items, i)?)?;
        }
    }
    Ok(list.unbind())
}

/// The report of a segment's item.
fn report_of(item: &Item) -> Option<&SegmentReport> {
    match item {
        Item::Line {
            report: Some(r), ..
        } => Some(r),
        _ => None,
    }
}

fn is_segment(item: &Item) -> bool {
    report_of(item).is_some()
}

fn is_connection(item: &Item) -> bool {
    matches!(item, Item::Connection(_))
}

fn is_unparsed(item: &Item) -> bool {
    matches!(item, Item::Line { report: None, record, .. } if matches!(record.kind, RecordKind::Unparsed(_)))
}

fn is_other(item: &Item) -> bool {
    matches!(item, Item::Line { report: None, record, .. } if !matches!(record.kind, RecordKind::Unparsed(_)))
}

fn mimebundle<'py>(py: Python<'py>, plain: String, html: String) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("text/plain", plain)?;
    d.set_item("text/html", html)?;
    Ok(d)
}

/// One explained TCP segment: the fields of the JSON Lines `"segment"` object.
///
/// `from_` is the JSON field `from` (a Python keyword); `to_dict()` returns the
/// JSON Lines object exactly, with the key `"from"`.
#[pyclass(module = "tcpexplain", frozen)]
pub struct Segment {
    at: At,
}

#[pymethods]
impl Segment {
    /// Always `"segment"` (the JSON Lines `type`).
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "segment"
    }
    /// 1-based input line (the record's first line).
    #[getter]
    fn line(&self) -> PyResult<u64> {
        Ok(self.at.report()?.line)
    }
    /// 0-based connection number, in order of first appearance.
    #[getter]
    fn conn(&self) -> PyResult<usize> {
        Ok(self.at.report()?.conn)
    }
    /// `"client"` or `"server"`: who sent the segment (JSON field `from`).
    #[getter]
    fn from_(&self) -> PyResult<&'static str> {
        Ok(self.at.report()?.from.name())
    }
    #[getter]
    fn flags(&self) -> PyResult<String> {
        Ok(self.at.report()?.flags.to_string())
    }
    #[getter]
    fn seq(&self) -> PyResult<Option<u32>> {
        Ok(self.at.report()?.seq)
    }
    #[getter]
    fn ack(&self) -> PyResult<Option<u32>> {
        Ok(self.at.report()?.ack)
    }
    #[getter]
    fn seq_raw(&self) -> PyResult<Option<u32>> {
        Ok(self.at.report()?.seq_raw)
    }
    #[getter]
    fn ack_raw(&self) -> PyResult<Option<u32>> {
        Ok(self.at.report()?.ack_raw)
    }
    #[getter]
    fn len(&self) -> PyResult<u32> {
        Ok(self.at.report()?.len)
    }
    #[getter]
    fn window(&self) -> PyResult<Option<u64>> {
        Ok(self.at.report()?.window)
    }
    #[getter]
    fn time(&self) -> PyResult<Option<f64>> {
        Ok(self.at.report()?.time)
    }
    /// Events on this line: dicts with a `"kind"` (and `count`, `of_line`, `seconds`, `note` when known).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.at.report()?.events)
    }
    /// The event kinds, in order.
    #[getter]
    fn event_kinds(&self) -> PyResult<Vec<&'static str>> {
        Ok(self
            .at
            .report()?
            .events
            .iter()
            .map(|e| e.kind.name())
            .collect())
    }
    #[getter]
    fn acked<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.at.report()?.acked)
    }
    #[getter]
    fn transitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.at.report()?.transitions)
    }
    /// Both ends' states after this line: `{"client": ..., "server": ...}`.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        states_dict(py, &self.at.report()?.state)
    }
    #[getter]
    fn client_state(&self) -> PyResult<&'static str> {
        Ok(self.at.report()?.state.client.name())
    }
    #[getter]
    fn server_state(&self) -> PyResult<&'static str> {
        Ok(self.at.report()?.state.server.name())
    }
    #[getter]
    fn offer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.at.report()?.offer)
    }
    #[getter]
    fn peer_fin_unacked(&self) -> PyResult<Option<u64>> {
        Ok(self.at.report()?.peer_fin_unacked)
    }
    #[getter]
    fn handshake_rtt(&self) -> PyResult<Option<f64>> {
        Ok(self.at.report()?.handshake_rtt)
    }
    #[getter]
    fn notes(&self) -> PyResult<Vec<String>> {
        Ok(self
            .at
            .report()?
            .notes
            .iter()
            .map(|n| n.code().to_string())
            .collect())
    }
    /// The explanation.
    #[getter]
    fn text(&self) -> PyResult<String> {
        Ok(crate::explain::text(self.at.report()?, Lang::En).into_owned())
    }
    /// The input line(s) as read (read again from the input when asked;
    /// `OSError` if that was a file that has changed since).
    #[getter]
    fn raw(&self) -> PyResult<String> {
        match self.at.item()? {
            Item::Line { record, .. } => Ok(self
                .at
                .items
                .record(record)
                .ok_or_else(changed)?
                .text
                .clone()),
            Item::Connection(_) => Ok(String::new()),
        }
    }
    /// The parsed record, as a dict (what `parse_line()` gives for the line).
    #[getter]
    fn record<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.at.item()? {
            Item::Line { record, .. } => {
                kind_to_py(py, &self.at.items.record(record).ok_or_else(changed)?.kind)
            }
            Item::Connection(_) => Ok(py.None().into_bound(py)),
        }
    }
    /// The JSON Lines object of this segment, exactly (`"type": "segment"`, key `"from"`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.at.to_dict(py)
    }
    fn to_html(&self) -> PyResult<String> {
        let r = self.at.report()?;
        Ok(format!(
            "<div class=\"tcpexplain\">{STYLE}<div class=\"raw\">{}</div>{}</div>",
            document::escape(&self.raw()?),
            document::html_table(&[r], Lang::En)
        ))
    }
    #[pyo3(signature = (include = None, exclude = None))]
    fn _repr_mimebundle_<'py>(
        &self,
        py: Python<'py>,
        include: Option<&Bound<'py, PyAny>>,
        exclude: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let _ = (include, exclude);
        let item = self.at.item()?;
        mimebundle(py, item_text(&self.at.items.whole(item)), self.to_html()?)
    }
    fn __repr__(&self) -> PyResult<String> {
        let r = self.at.report()?;
        let opt = |v: Option<u32>| v.map_or("None".to_string(), |v| v.to_string());
        Ok(format!(
            "Segment(line={}, conn={}, from_={}, flags={}, seq={}, ack={}, len={}, state={{'client': {}, 'server': {}}})",
            r.line,
            r.conn,
            pr(r.from.name()),
            pr(&r.flags),
            opt(r.seq),
            opt(r.ack),
            r.len,
            pr(r.state.client.name()),
            pr(r.state.server.name())
        ))
    }
}

/// A connection's summary: the fields of the JSON Lines `"connection"` object.
///
/// `segments` is the count of segments (as in the JSON); `get_segments()`
/// returns the `Segment` objects when the connection came from a `Trace`.
#[pyclass(module = "tcpexplain", frozen)]
pub struct Connection {
    at: At,
}

impl Connection {
    fn reports(&self) -> PyResult<Vec<&SegmentReport>> {
        let id = self.at.summary()?.conn;
        Ok(self
            .at
            .items
            .iter()
            .filter_map(report_of)
            .filter(|r| r.conn == id)
            .collect())
    }
}

#[pymethods]
impl Connection {
    /// Always `"connection"` (the JSON Lines `type`).
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "connection"
    }
    #[getter]
    fn conn(&self) -> PyResult<usize> {
        Ok(self.at.summary()?.conn)
    }
    #[getter]
    fn client(&self) -> PyResult<String> {
        Ok(self.at.summary()?.client.clone())
    }
    #[getter]
    fn server(&self) -> PyResult<String> {
        Ok(self.at.summary()?.server.clone())
    }
    #[getter]
    fn roles_inferred(&self) -> PyResult<bool> {
        Ok(self.at.summary()?.roles_inferred)
    }
    #[getter]
    fn first_line(&self) -> PyResult<u64> {
        Ok(self.at.summary()?.first_line)
    }
    #[getter]
    fn last_line(&self) -> PyResult<u64> {
        Ok(self.at.summary()?.last_line)
    }
    /// Number of segments (see `get_segments()` for the segments themselves).
    #[getter(segments)]
    fn segment_count(&self) -> PyResult<u64> {
        Ok(self.at.summary()?.segments)
    }
    #[getter]
    fn duration(&self) -> PyResult<Option<f64>> {
        Ok(self.at.summary()?.duration)
    }
    #[getter]
    fn bytes_client(&self) -> PyResult<u64> {
        Ok(self.at.summary()?.bytes_client)
    }
    #[getter]
    fn bytes_server(&self) -> PyResult<u64> {
        Ok(self.at.summary()?.bytes_server)
    }
    #[getter]
    fn handshake(&self) -> PyResult<String> {
        Ok(self.at.summary()?.handshake.code().to_string())
    }
    #[getter]
    fn handshake_rtt(&self) -> PyResult<Option<f64>> {
        Ok(self.at.summary()?.handshake_rtt)
    }
    /// `three_way`, `four_way`, `simultaneous`, `reset`, `refused`, `half_closed` or `open`.
    #[getter]
    fn teardown(&self) -> PyResult<String> {
        Ok(serde_name(&self.at.summary()?.teardown))
    }
    /// `"client"`, `"server"`, `"both"` or None.
    #[getter]
    fn closed_by(&self) -> PyResult<Option<String>> {
        Ok(self.at.summary()?.closed_by.map(|c| serde_name(&c)))
    }
    #[getter]
    fn final_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        states_dict(py, &self.at.summary()?.final_state)
    }
    #[getter]
    fn time_wait(&self) -> PyResult<Vec<&'static str>> {
        Ok(self
            .at
            .summary()?
            .time_wait
            .iter()
            .map(|r| r.name())
            .collect())
    }
    #[getter]
    fn conn_state(&self) -> PyResult<String> {
        Ok(self.at.summary()?.conn_state.clone())
    }
    #[getter]
    fn history(&self) -> PyResult<String> {
        Ok(self.at.summary()?.history.clone())
    }
    /// Count of each event kind.
    #[getter]
    fn events(&self) -> PyResult<std::collections::BTreeMap<String, u32>> {
        Ok(self.at.summary()?.events.clone())
    }
    #[getter]
    fn vantage(&self) -> PyResult<Option<String>> {
        Ok(self.at.summary()?.vantage.map(|v| v.code().to_string()))
    }
    #[getter]
    fn evicted(&self) -> PyResult<bool> {
        Ok(self.at.summary()?.evicted)
    }
    #[getter]
    fn text(&self) -> PyResult<String> {
        Ok(self.at.summary()?.text.clone())
    }
    /// The segments of this connection, in input order (empty for a connection
    /// that came from `stream()`, which keeps no history).
    fn get_segments(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let id = self.at.summary()?.conn;
        wrap_where(py, &self.at.items, |item| {
            report_of(item).is_some_and(|r| r.conn == id)
        })
    }
    /// The JSON Lines object of this connection, exactly (`"type": "connection"`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.at.to_dict(py)
    }
    /// HTML: ladder diagram (SVG), table of lines and summary. `head`/`tail`
    /// rows are kept when there are more; `head=None` keeps every row.
    #[pyo3(signature = (head = Some(20), tail = 20), text_signature = "(self, /, head=20, tail=20)")]
    fn to_html(&self, head: Option<usize>, tail: usize) -> PyResult<String> {
        let summary = self.at.summary()?;
        let view = ConnectionView {
            segments: self.reports()?,
            summary: Some(summary),
        };
        let cut = head.map(|head| Cut { head, tail });
        Ok(format!(
            "<div class=\"tcpexplain\">{STYLE}{}</div>",
            connection_html(&view, summary.conn, cut)
        ))
    }
    #[pyo3(signature = (include = None, exclude = None))]
    fn _repr_mimebundle_<'py>(
        &self,
        py: Python<'py>,
        include: Option<&Bound<'py, PyAny>>,
        exclude: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let _ = (include, exclude);
        mimebundle(
            py,
            item_text(self.at.item()?),
            self.to_html(Some(HEAD), TAIL)?,
        )
    }
    fn __repr__(&self) -> PyResult<String> {
        let s = self.at.summary()?;
        Ok(format!(
            "Connection(conn={}, client={}, server={}, segments={}, teardown={}, closed_by={}, final_state={{'client': {}, 'server': {}}})",
            s.conn,
            pr(&s.client),
            pr(&s.server),
            s.segments,
            pr(&serde_name(&s.teardown)),
            pr_opt(s.closed_by.map(|c| serde_name(&c)).as_deref()),
            pr(s.final_state.client.name()),
            pr(s.final_state.server.name())
        ))
    }
}

/// A line that could not be read: the JSON Lines `"unparsed"` object.
#[pyclass(module = "tcpexplain", frozen)]
pub struct Diagnostic {
    at: At,
}

impl Diagnostic {
    fn diagnostic(&self) -> PyResult<&ParseDiagnostic> {
        match self.at.item()? {
            Item::Line { record, .. } => match &record.kind {
                RecordKind::Unparsed(d) => Ok(d),
                _ => Err(PyValueError::new_err("not a diagnostic")),
            },
            Item::Connection(_) => Err(PyValueError::new_err("not a diagnostic")),
        }
    }
}

#[pymethods]
impl Diagnostic {
    /// Always `"unparsed"` (the JSON Lines `type`).
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        "unparsed"
    }
    #[getter]
    fn line(&self) -> PyResult<u64> {
        Ok(self.diagnostic()?.line)
    }
    #[getter]
    fn column(&self) -> PyResult<u32> {
        Ok(self.diagnostic()?.column)
    }
    #[getter]
    fn expected(&self) -> PyResult<String> {
        Ok(self.diagnostic()?.expected.clone())
    }
    #[getter]
    fn text(&self) -> PyResult<String> {
        Ok(self.diagnostic()?.text.clone())
    }
    /// The JSON Lines object, exactly (`"type": "unparsed"`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.at.to_dict(py)
    }
    /// The `ParseError` this diagnostic describes (not raised).
    fn to_error(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let err = parse_error(py, self.diagnostic()?);
        Ok(err.value(py).clone().into_any().unbind())
    }
    fn __repr__(&self) -> PyResult<String> {
        let d = self.diagnostic()?;
        Ok(format!(
            "Diagnostic(line={}, column={}, expected={}, text={})",
            d.line,
            d.column,
            pr(&d.expected),
            pr(&d.text)
        ))
    }
    fn __str__(&self) -> PyResult<String> {
        Ok(self.diagnostic()?.to_string())
    }
}

/// A line that is not a TCP segment: another protocol (`"other"`) or one of
/// tcpdump's own messages (`"banner"`).
#[pyclass(module = "tcpexplain", frozen)]
pub struct OtherLine {
    at: At,
}

#[pymethods]
impl OtherLine {
    /// `"other"`, `"banner"` or `"other_text"` (the JSON Lines `type`).
    #[getter(r#type)]
    fn kind(&self) -> PyResult<String> {
        Ok(jsonl::value(self.at.item()?, Lang::En)
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("other")
            .to_string())
    }
    #[getter]
    fn line(&self) -> PyResult<u64> {
        match self.at.item()? {
            Item::Line { record, .. } => Ok(record.line),
            Item::Connection(_) => Err(PyValueError::new_err("not a line")),
        }
    }
    /// For a line that is not tcpdump's (`type` `"other_text"`): what kind
    /// of text it is (`command`, `comment`, `elision`, `interrupt`,
    /// `separator`, `tshark`, `prose`); `None` for anything else.
    #[getter(kind)]
    fn text_kind(&self) -> PyResult<Option<String>> {
        Ok(jsonl::value(self.at.item()?, Lang::En)
            .get("kind")
            .and_then(Value::as_str)
            .map(str::to_string))
    }
    /// The protocol word (`UDP`, `ICMP`, ...), when one was recognised.
    #[getter]
    fn protocol(&self) -> PyResult<Option<String>> {
        Ok(jsonl::value(self.at.item()?, Lang::En)
            .get("protocol")
            .and_then(Value::as_str)
            .map(str::to_string))
    }
    #[getter]
    fn text(&self) -> PyResult<String> {
        Ok(jsonl::value(self.at.item()?, Lang::En)
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }
    /// For an ICMP error: the connection and segment it reports, and its
    /// explanation (the JSON Lines `icmp` object); `None` otherwise.
    #[getter]
    fn icmp<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.at.item()? {
            Item::Line { icmp: Some(i), .. } => {
                json_to_py(py, &serde_json::to_value(i).unwrap_or(Value::Null)).map(Some)
            }
            _ => Ok(None),
        }
    }
    /// The JSON Lines object, exactly.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.at.to_dict(py)
    }
    fn __repr__(&self) -> PyResult<String> {
        Ok(format!(
            "OtherLine(type={}, line={}, protocol={}, text={})",
            pr(&self.kind()?),
            self.line()?,
            pr_opt(self.protocol()?.as_deref()),
            pr(&self.text()?)
        ))
    }
}

// ---------------------------------------------------------------------------
// Rendering

const HEAD: usize = 20;
const TAIL: usize = 20;
const MAX_CONNECTIONS: usize = 10;

const STYLE: &str = "<style>\
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

/// How many rows to keep from the start and the end of a long list.
#[derive(Clone, Copy)]
struct Cut {
    head: usize,
    tail: usize,
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

fn omitted_row(n: usize, columns: usize) -> String {
    format!(
        "<tr class=\"omitted\"><td colspan=\"{columns}\">… {} omitted …</td></tr>",
        plural(n, "row")
    )
}

/// A connection's table of lines, cut to head and tail.
fn segments_table(segments: &[&SegmentReport], cut: Option<Cut>) -> String {
    let (first, omitted, last) = split(segments, cut);
    if omitted == 0 {
        return document::html_table(segments, Lang::En);
    }
    let a = document::html_table(first, Lang::En);
    let b = document::html_table(last, Lang::En);
    let a = a.strip_suffix("</table>").unwrap_or(&a);
    // The second table without its header row.
    let b = b
        .find("</tr>")
        .and_then(|i| b.get(i.saturating_add(5)..))
        .unwrap_or(&b);
    format!("{a}{}{b}", omitted_row(omitted, 6))
}

/// The ladder diagram, cut to head and tail.
fn diagram_svg(view: &ConnectionView<'_>, cut: Option<Cut>) -> String {
    let (first, omitted, last) = split(&view.segments, cut);
    if omitted == 0 {
        return diagram::svg(view, crate::Lang::En);
    }
    let shown = ConnectionView {
        segments: first.iter().chain(last).copied().collect(),
        summary: view.summary,
    };
    format!(
        "{}<div class=\"omitted\">The diagram shows the first {} and the last {}; {} in between omitted.</div>",
        diagram::svg(&shown, crate::Lang::En),
        plural(first.len(), "line"),
        plural(last.len(), "line"),
        omitted
    )
}

fn facts_table(s: &ConnectionSummary) -> String {
    let closed_by = s
        .closed_by
        .map(|c| serde_name(&c))
        .unwrap_or_else(|| "—".into());
    let time_wait: Vec<&str> = s.time_wait.iter().map(|r| r.name()).collect();
    let facts = [
        ("segments", s.segments.to_string()),
        ("handshake", s.handshake.code().to_string()),
        ("teardown", serde_name(&s.teardown)),
        ("closed by", closed_by),
        ("final client", s.final_state.client.name().to_string()),
        ("final server", s.final_state.server.name().to_string()),
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
fn connection_html(view: &ConnectionView<'_>, conn: usize, cut: Option<Cut>) -> String {
    let heading = view.summary.map_or_else(
        || format!("Connection {conn}"),
        |s| format!("Connection {}: {} → {}", s.conn, s.client, s.server),
    );
    let mut out = format!("<h4>{}</h4>", document::escape(&heading));
    if !view.segments.is_empty() {
        out.push_str(&diagram_svg(view, cut));
        let sender = render::tsg::data_direction(view);
        if view.segments.iter().any(|r| r.from == sender && r.len > 0) {
            out.push_str(&render::tsg::svg(view, sender, &heading, crate::Lang::En));
        }
        out.push_str(&segments_table(&view.segments, cut));
    }
    if let Some(s) = view.summary {
        out.push_str(&facts_table(s));
        let _ = write!(
            out,
            "<p class=\"summary\">{}</p>",
            document::escape(&s.text)
        );
    }
    out
}

struct Counts {
    segments: usize,
    connections: usize,
    unparsed: usize,
    other: usize,
}

/// What a whole trace holds, by kind (its segments are counted without
/// building their items).
fn counts(items: &Items) -> Counts {
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

fn headline(items: &Items, lines: u64) -> String {
    let c = counts(items);
    format!(
        "{}, {}, {}, {}, {}",
        plural(usize::try_from(lines).unwrap_or(usize::MAX), "line"),
        plural(c.segments, "TCP segment"),
        plural(c.connections, "connection"),
        plural(c.unparsed, "unparsed line"),
        plural(c.other, "other line")
    )
}

/// A whole trace as an HTML fragment for notebooks.
fn trace_html(
    items: &Items,
    lines: u64,
    cut: Option<Cut>,
    max_connections: Option<usize>,
) -> String {
    let mut out = format!(
        "<div class=\"tcpexplain\">{STYLE}<p><b>tcpexplain</b> · {}</p>",
        document::escape(&headline(items, lines))
    );
    let views = render::by_connection(items);
    let shown = max_connections.unwrap_or(usize::MAX).min(views.len());
    for view in views.iter().take(shown) {
        let conn = view
            .segments
            .first()
            .map(|r| r.conn)
            .or(view.summary.map(|s| s.conn))
            .unwrap_or_default();
        out.push_str(&connection_html(view, conn, cut));
    }
    if views.len() > shown {
        let _ = write!(
            out,
            "<p class=\"omitted\">… {} not shown (see <code>.connections</code>) …</p>",
            plural(views.len().saturating_sub(shown), "more connection")
        );
    }
    let rest: Vec<&Item> = items
        .iter()
        .filter(|i| !is_segment(i) && !is_connection(i))
        .collect();
    if !rest.is_empty() {
        out.push_str("<h4>Other lines</h4><table><tr><th>line</th><th>kind</th><th>text</th></tr>");
        let (first, omitted, last) = split(&rest, cut);
        let row = |out: &mut String, item: &Item| {
            if let Some((line, kind, text)) = document::other_row(item, Lang::En) {
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
            out.push_str(&omitted_row(omitted, 3));
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
fn item_text(item: &Item) -> String {
    let mut buf = Vec::new();
    let _ = text_render::item(item, &text_render::TextOptions::default(), &mut buf);
    String::from_utf8_lossy(&buf).trim_end().to_string()
}

/// A whole trace as text, cut to head and tail items.
fn trace_text(items: &Items, lines: u64, cut: Option<Cut>) -> String {
    let mut out = format!("Trace: {}\n", headline(items, lines));
    let (first, omitted, last) = split(items, cut);
    for item in first {
        out.push_str(&item_text(&items.whole(item)));
        out.push('\n');
    }
    if omitted > 0 {
        let _ = writeln!(out, "      … {} omitted …", plural(omitted, "item"));
    }
    for item in last {
        out.push_str(&item_text(&items.whole(item)));
        out.push('\n');
    }
    out.trim_end().to_string()
}

// ---------------------------------------------------------------------------
// Reading

/// Explains everything `input` (of `size` bytes, when known) holds with the
/// GIL released, on one thread or, for big inputs, two; signals (Ctrl-C) are
/// checked every 65,536 records. Lines are split and decoded as the command
/// line does. Gives the input back, read.
fn gather<R: BufRead + Send>(
    py: Python<'_>,
    name: &str,
    mut input: R,
    size: Option<u64>,
    on_error: impl Fn(io::Error) -> PyErr + Sync,
) -> PyResult<(Kept, u64, R)> {
    // The tracker writes no explanations: a report says all they say, and
    // they are written as the report is kept (see [`Kept::keep`]).
    let mut tracker = crate::Tracker::new(crate::Options {
        explanations: false,
        ..crate::Options::default()
    });
    // (The first bytes are awaited without the GIL: a pipe may be slow to give them.)
    let first = py.detach(|| {
        input
            .fill_buf()
            .map(|b| b.iter().take(4096).copied().collect::<Vec<u8>>())
    });
    text_only(py, &first.map_err(&on_error)?, name)?;
    let mut kept = Kept::default();
    // (Segments' lines are not kept one by one: the trace keeps its whole input.)
    let mut reader = crate::RecordReader::with_assembler(input, Assembler::without_segment_text());
    if size.is_some_and(|n| n >= TWO_THREADS_FROM) {
        py.detach(|| in_two_threads(&mut reader, &mut tracker, &mut kept, &on_error))?;
    } else {
        py.detach(|| -> PyResult<_> {
            let mut n = 0usize;
            while let Some(record) = reader.next_record().map_err(&on_error)? {
                tracker.feed(record);
                std::iter::from_fn(|| tracker.next_item()).for_each(|i| kept.keep(Entry::of(i)));
                n = n.wrapping_add(1);
                if n % (BATCH * SIGNAL_EVERY) == 0 {
                    Python::attach(|py| py.check_signals())?;
                }
            }
            tracker.finish();
            std::iter::from_fn(|| tracker.next_item()).for_each(|i| kept.keep(Entry::of(i)));
            Ok(())
        })?;
    }
    let lines = reader.lines_seen();
    Ok((kept, lines, reader.into_inner()))
}

/// Reads all of `input` in two threads: one reads, parses and tracks (as the
/// command line does, reusing each line's packet for the next), this one
/// keeps what comes out: the table, the explanations and the rest (each
/// thread about half of the work). Between batches the GIL is taken back to
/// let Python handle signals.
fn in_two_threads<R: BufRead + Send>(
    reader: &mut crate::RecordReader<R>,
    tracker: &mut crate::Tracker,
    kept: &mut Kept,
    on_error: &(impl Fn(io::Error) -> PyErr + Sync),
) -> PyResult<()> {
    let (batches, received) = mpsc::sync_channel::<Vec<Entry>>(BATCHES);
    // Batches come back empty, to be filled again without allocating.
    let (used, to_reuse) = mpsc::channel::<Vec<Entry>>();
    std::thread::scope(|scope| {
        let explainer = scope.spawn(move || -> io::Result<()> {
            let mut batch = Vec::with_capacity(BATCH);
            let send = |batch: &mut Vec<Entry>| {
                let next = to_reuse
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                batches.send(std::mem::replace(batch, next)).is_ok()
            };
            while let Some(record) = reader.next_record()? {
                tracker.feed(record);
                while let Some(item) = tracker.next_item() {
                    batch.push(Entry::of(item));
                }
                if batch.len() >= BATCH && !send(&mut batch) {
                    return Ok(()); // Interrupted: nobody reads any more.
                }
            }
            tracker.finish();
            batch.extend(std::iter::from_fn(|| tracker.next_item()).map(Entry::of));
            send(&mut batch);
            Ok(())
        });
        let mut interrupted = Ok(());
        for (n, mut batch) in received.iter().enumerate() {
            batch.drain(..).for_each(|entry| kept.keep(entry));
            let _ = used.send(batch);
            if n % SIGNAL_EVERY == SIGNAL_EVERY - 1 {
                interrupted = Python::attach(|py| py.check_signals());
                if interrupted.is_err() {
                    break;
                }
            }
        }
        drop(received);
        let read = explainer
            .join()
            .map_err(|_| PyOSError::new_err("the reading thread failed"))?;
        interrupted?;
        read.map_err(on_error)
    })
}
/// Explains a whole text (`str` or `bytes`) with the GIL released.
#[pyfunction]
fn explain(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<TraceData> {
    let on_error = |e: io::Error| PyOSError::new_err(e.to_string());
    if let Ok(b) = text.cast::<PyBytes>() {
        let b: PyBackedBytes = b.clone().into();
        let size = Some(b.len() as u64);
        let (kept, lines, _) = gather(py, "the bytes given", &b[..], size, on_error)?;
        return Ok(TraceData::new(kept, lines, Source::new(b)));
    }
    if text.is_instance_of::<PyString>() {
        let s: PyBackedStr = text.extract()?;
        let size = Some(s.len() as u64);
        let (kept, lines, _) = gather(py, "the text given", s.as_bytes(), size, on_error)?;
        return Ok(TraceData::new(kept, lines, Source::new(s)));
    }
    Err(PyTypeError::new_err(format!(
        "explain() takes str or bytes, not {}",
        text.get_type().name()?
    )))
}

/// Reads and explains a file with the GIL released.
///
/// The file is opened without blocking (a named pipe with no writer yet
/// would block `open()` with the GIL held), and a pipe or device is read
/// through [`crate::input::Interruptible`]: while it is silent, and every few
/// MiB it gives, signals are checked, so Ctrl-C raises `KeyboardInterrupt`
/// however the input behaves.
#[pyfunction]
fn explain_file(py: Python<'_>, path: PathBuf) -> PyResult<TraceData> {
    let (file, regular) = crate::input::open(&path).map_err(|e| os_error(&e, &path))?;
    let on_error = |e: io::Error| py_error(e, &path);
    // (A pipe or device has no size: read on one thread, as it comes.)
    let size = file.metadata().ok().filter(|_| regular).map(|m| m.len());
    // A big file is read through a buffer and not kept (keeping it cost the
    // reading thread a sixth of its time): the trace reads a segment's lines
    // again from the file when asked, unless the file has changed since.
    // (Signals are checked by this thread between batches.)
    if size.is_some_and(|n| n >= TWO_THREADS_FROM) {
        if let Some(source) = Source::file(&file) {
            let input = BufReader::with_capacity(
                1 << 16,
                crate::input::Interruptible::new(file, false, || Ok(())),
            );
            let name = path.display().to_string();
            let (kept, lines, _) = gather(py, &name, input, size, on_error)?;
            return Ok(TraceData::new(kept, lines, source));
        }
    }
    let check = || Python::attach(|py| py.check_signals()).map_err(io::Error::other);
    let input = Keeping::new(
        crate::input::Interruptible::new(file, !regular, check),
        size,
    );
    let name = path.display().to_string();
    let (kept, lines, input) = gather(py, &name, input, size, on_error)?;
    Ok(TraceData::new(kept, lines, Source::new(input.kept)))
}

/// The Python exception an error of reading stands for: the one it carries
/// (`KeyboardInterrupt` from a check for signals), or an `OSError` naming `path`.
fn py_error(e: io::Error, path: &Path) -> PyErr {
    if e.get_ref().is_some_and(|inner| inner.is::<PyErr>()) {
        if let Some(Ok(err)) = e.into_inner().map(|inner| inner.downcast::<PyErr>()) {
            return *err;
        }
        return PyOSError::new_err("a read was interrupted");
    }
    os_error(&e, path)
}

/// An input read through a buffer, what is read kept (the source of a
/// trace): every line, cut as the reader cuts it ([`crate::reader::MAX_LINE`]
/// bytes at most), so that an endless line keeps 1 MiB, not
/// everything it gives.
struct Keeping<R> {
    input: BufReader<R>,
    kept: Vec<u8>,
    /// Bytes of the line being read so far (kept or not).
    line: usize,
}

impl<R: io::Read> Keeping<R> {
    fn new(input: R, size: Option<u64>) -> Keeping<R> {
        let capacity = size.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        Keeping {
            input: BufReader::with_capacity(1 << 16, input),
            kept: Vec::with_capacity(capacity),
            line: 0,
        }
    }
}

impl<R: io::Read> io::Read for Keeping<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        crate::reader::read_from_buffer(self, out)
    }
}

impl<R: io::Read> BufRead for Keeping<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.input.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        use crate::reader::MAX_LINE;
        let used = self.input.buffer().get(..n).unwrap_or_default();
        let tail = memchr::memrchr(b'\n', used).map_or(used.len(), |i| used.len() - i - 1);
        if self.line.saturating_add(used.len()) <= MAX_LINE {
            // (The usual case: no line is cut.)
            self.kept.extend_from_slice(used);
            self.line = if tail == used.len() {
                self.line.saturating_add(tail)
            } else {
                tail
            };
        } else {
            for piece in used.split_inclusive(|&b| b == b'\n') {
                let room = MAX_LINE.saturating_sub(self.line);
                let ends = piece.last() == Some(&b'\n');
                let text = if ends {
                    piece.get(..piece.len() - 1).unwrap_or_default()
                } else {
                    piece
                };
                self.kept
                    .extend_from_slice(text.get(..text.len().min(room)).unwrap_or_default());
                if ends {
                    self.kept.push(b'\n');
                    self.line = 0;
                } else {
                    self.line = self.line.saturating_add(text.len());
                }
            }
        }
        self.input.consume(n);
    }
}

/// Parses one line (or one record: a head line and its continuation lines)
/// as `explain()` would read it alone; returns the record as a dict, and
/// raises `ParseError` when the line cannot be read.
#[pyfunction]
fn parse_line<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let text = text_of(text)?;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let mut assembler = crate::reader::Assembler::new();
    let mut records = Vec::new();
    for line in body.split('\n') {
        records.extend(assembler.push_line(line));
    }
    records.extend(assembler.finish());
    let kind = match records.len() {
        // Only blank lines: let the grammar say what it expected.
        0 => crate::parse::parse_line(""),
        1 => match records.pop() {
            Some(record) => record.kind,
            None => crate::parse::parse_line(body),
        },
        n => {
            return Err(PyValueError::new_err(format!(
                "parse_line() reads one record, and this text holds {n}; use explain() for several"
            )))
        }
    };
    if let RecordKind::Unparsed(d) = &kind {
        return Err(parse_error(py, d));
    }
    kind_to_py(py, &kind)
}

/// A record's kind as a dict: `type` and the kind's fields; TCP records also
/// carry `flag_letters` (the flags as tcpdump prints them).
fn kind_to_py<'py>(py: Python<'py>, kind: &RecordKind) -> PyResult<Bound<'py, PyAny>> {
    let mut value = serde_json::to_value(kind).map_err(|e| PyValueError::new_err(e.to_string()))?;
    if let (RecordKind::Tcp(p), Value::Object(map)) = (kind, &mut value) {
        map.insert(
            "flag_letters".into(),
            Value::String(p.flags.letters().into()),
        );
    }
    json_to_py(py, &value)
}

/// Runs the `tcpexplain` command line (the same as the Rust binary) and returns
/// its exit status. Arguments are `str` as `sys.argv` holds them (bytes of a
/// file name that are not UTF-8 come as surrogate escapes, and go back as the
/// same bytes).
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> i32 {
    py.detach(|| crate::cli::run(argv))
}

// ---------------------------------------------------------------------------
// Whole traces

/// The explained items of a whole text (wrapped by `tcpexplain.Trace`).
#[pyclass(module = "tcpexplain._tcpexplain", frozen)]
pub struct TraceData {
    items: Arc<Items>,
    lines: u64,
}

impl TraceData {
    fn new(kept: Kept, lines: u64, source: Source) -> TraceData {
        TraceData {
            items: Arc::new(Items::kept(kept, source)),
            lines,
        }
    }
}

/// Copies of `columns`, made on two threads when they are long (a million
/// rows are 64 MB; below 65,536 rows a second thread costs more than it saves).
fn copy_on_two_threads(columns: &[&Vec<i64>]) -> Vec<Vec<i64>> {
    let copy = |part: &[&Vec<i64>]| part.iter().map(|c| c.to_vec()).collect::<Vec<_>>();
    if columns.first().is_none_or(|c| c.len() < 1 << 16) {
        return copy(columns);
    }
    let (first, second) = columns.split_at(columns.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| copy(second));
        let mut all = copy(first);
        all.extend(
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        );
        all
    })
}

/// A read-only NumPy array over `values`, which `owner` keeps.
fn lend<'py, T: numpy::Element>(
    values: &[T],
    owner: &Bound<'py, TraceData>,
) -> PyResult<Bound<'py, PyAny>> {
    let view = numpy::ndarray::ArrayView1::from(values);
    #[allow(unsafe_code)]
    // SAFETY: `values` lies in the trace's items, which `owner` holds (in an
    // `Arc`) and which are never changed once kept: the memory stays where
    // it is for as long as the array, whose base `owner` becomes, lives.
    let array = unsafe { PyArray1::borrow_from_array(&view, owner.clone().into_any()) };
    // (Read-only: the trace's own table is not to be written through.)
    array.call_method1("setflags", (false,))?;
    Ok(array.into_any())
}

#[pymethods]
impl TraceData {
    /// Number of input lines read.
    #[getter]
    fn lines(&self) -> u64 {
        self.lines
    }
    fn __len__(&self) -> usize {
        self.items.len()
    }
    /// (segments, connections, unparsed, other)
    fn counts(&self) -> (usize, usize, usize, usize) {
        let c = counts(&self.items);
        (c.segments, c.connections, c.unparsed, c.other)
    }
    fn items(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        wrap_where(py, &self.items, |_| true)
    }
    fn segments(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        wrap_where(py, &self.items, is_segment)
    }
    fn connections(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        wrap_where(py, &self.items, is_connection)
    }
    fn diagnostics(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        wrap_where(py, &self.items, is_unparsed)
    }
    fn others(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        wrap_where(py, &self.items, is_other)
    }
    /// The summary of connection `conn`, or None.
    fn connection(&self, py: Python<'_>, conn: usize) -> PyResult<Option<Py<PyAny>>> {
        let found = self
            .items
            .others()
            .find(|(_, item)| matches!(item, Item::Connection(s) if s.conn == conn));
        found
            .map(|(at, _)| wrap_item(py, &self.items, *at))
            .transpose()
    }
    /// The segment table as NumPy arrays: `[(name, (kind, data...)), ...]`
    /// where kind is `"int64"` (an int64 array), `"Int64"` (int64 values, bool
    /// missing flags), `"float64"` (NaN when unknown), `"category"` (int32
    /// codes, list of categories) or `"object"` (list of str). The values
    /// are copies, to be changed at will; the text, which pandas reads
    /// without changing, is in the trace's own buffers, read-only.
    /// `text=False` leaves out the `text` column; `text_buffers=True` gives it
    /// as `("utf8", [(int64 offsets, uint8 bytes), ...])` (Arrow's layout, in
    /// chunks of 65,536 rows, no Python object per row) instead of a list of str.
    #[pyo3(signature = (text = true, text_buffers = false))]
    fn columns<'py>(
        slf: &Bound<'py, Self>,
        text: bool,
        text_buffers: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let c = slf.get().items.columns();
        let numbers = [
            &c.line,
            &c.conn,
            &c.len,
            &c.seq.values,
            &c.ack.values,
            &c.seq_raw.values,
            &c.ack_raw.values,
            &c.window.values,
        ];
        let copies: [Vec<i64>; 8] = py
            .detach(|| copy_on_two_threads(&numbers))
            .try_into()
            .map_err(|_| PyValueError::new_err("a column was not copied"))?;
        let [line, conn, len, seq, ack, seq_raw, ack_raw, window] = copies;
        let owned = |v: Vec<i64>| PyArray1::from_vec(py, v).into_any();
        let nullable = |values: Vec<i64>, n: &Nullable| {
            vec![
                owned(values),
                PyArray1::from_slice(py, &n.missing).into_any(),
            ]
        };
        let category = |c: &Categories| -> PyResult<Vec<Bound<'py, PyAny>>> {
            Ok(vec![
                PyArray1::from_slice(py, &c.codes).into_any(),
                PyList::new(py, &c.names)?.into_any(),
            ])
        };
        let out = PyList::empty(py);
        let add = |name: &str, kind: &str, columns: Vec<Bound<'py, PyAny>>| {
            let mut spec = vec![PyString::new(py, kind).into_any()];
            spec.extend(columns);
            out.append((name, PyTuple::new(py, spec)?))
        };
        add("line", "int64", vec![owned(line)])?;
        add("conn", "int64", vec![owned(conn)])?;
        add("from", "category", category(&c.from.categories)?)?;
        add("flags", "category", category(&c.flags)?)?;
        add("seq", "Int64", nullable(seq, &c.seq))?;
        add("ack", "Int64", nullable(ack, &c.ack))?;
        add("seq_raw", "Int64", nullable(seq_raw, &c.seq_raw))?;
        add("ack_raw", "Int64", nullable(ack_raw, &c.ack_raw))?;
        add("len", "int64", vec![owned(len)])?;
        add(
            "time",
            "float64",
            vec![PyArray1::from_slice(py, &c.time).into_any()],
        )?;
        add("window", "Int64", nullable(window, &c.window))?;
        add(
            "client_state",
            "category",
            category(&c.client_state.categories)?,
        )?;
        add(
            "server_state",
            "category",
            category(&c.server_state.categories)?,
        )?;
        add("events", "category", category(&c.events)?)?;
        if !text {
            return Ok(out);
        }
        let chunks = slf.get().items.texts();
        if text_buffers {
            // Arrow's layout for large string arrays, a chunk of rows at a time.
            let arrays = PyList::empty(py);
            for (offsets, data) in chunks {
                arrays.append((lend(offsets, slf)?, lend(data.as_bytes(), slf)?))?;
            }
            add("text", "utf8", vec![arrays.into_any()])?;
            return Ok(out);
        }
        let texts = PyList::empty(py);
        for (offsets, data) in chunks {
            for pair in offsets.windows(2) {
                if let [start, end] = *pair {
                    let row = data.get(start as usize..end as usize).unwrap_or_default();
                    texts.append(PyString::new(py, row))?;
                }
            }
        }
        add("text", "object", vec![texts.into_any()])?;
        Ok(out)
    }
    /// One dict per segment, keys as the `columns()` names (`"from"`, not `from_`).
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let keys: Vec<Bound<'py, PyString>> =
            COLUMNS.iter().map(|k| PyString::intern(py, k)).collect();
        let mut names: HashMap<String, Bound<'py, PyString>> = HashMap::new();
        let mut name = |s: &str| -> Bound<'py, PyString> {
            if let Some(v) = names.get(s) {
                return v.clone();
            }
            let v = PyString::new(py, s);
            names.insert(s.to_string(), v.clone());
            v
        };
        let out = PyList::empty(py);
        for r in self.items.reports() {
            let r = &r;
            let row = PyDict::new(py);
            let mut k = keys.iter();
            let mut set = |v: Bound<'py, PyAny>| -> PyResult<()> {
                match k.next() {
                    Some(key) => row.set_item(key, v),
                    None => Ok(()),
                }
            };
            set(r.line.into_bound_py_any(py)?)?;
            set(r.conn.into_bound_py_any(py)?)?;
            set(name(r.from.name()).into_any())?;
            set(name(&r.flags).into_any())?;
            set(r.seq.into_bound_py_any(py)?)?;
            set(r.ack.into_bound_py_any(py)?)?;
            set(r.seq_raw.into_bound_py_any(py)?)?;
            set(r.ack_raw.into_bound_py_any(py)?)?;
            set(r.len.into_bound_py_any(py)?)?;
            set(r.time.into_bound_py_any(py)?)?;
            set(r.window.into_bound_py_any(py)?)?;
            set(name(r.state.client.name()).into_any())?;
            set(name(r.state.server.name()).into_any())?;
            if r.events.is_empty() {
                set(name("").into_any())?;
            } else {
                set(name(&event_names(r)).into_any())?;
            }
            set(PyString::new(py, &crate::explain::text(r, Lang::En)).into_any())?;
            out.append(row)?;
        }
        Ok(out)
    }
    /// The JSON Lines text of every item, as `tcpexplain --format jsonl` writes it.
    fn jsonl(&self, py: Python<'_>) -> PyResult<String> {
        let items = Arc::clone(&self.items);
        py.detach(move || {
            let mut out = Vec::new();
            for item in items.iter() {
                jsonl::write(item, Lang::En, &mut out)?;
            }
            Ok::<_, io::Error>(String::from_utf8_lossy(&out).into_owned())
        })
        .map_err(|e| PyOSError::new_err(e.to_string()))
    }
    /// HTML fragment for notebooks; `head=None` keeps every row, `max_connections=None` every connection.
    #[pyo3(
        signature = (head = Some(HEAD), tail = TAIL, max_connections = Some(MAX_CONNECTIONS)),
        text_signature = "(self, /, head=20, tail=20, max_connections=10)"
    )]
    fn html(
        &self,
        py: Python<'_>,
        head: Option<usize>,
        tail: usize,
        max_connections: Option<usize>,
    ) -> String {
        let items = Arc::clone(&self.items);
        let lines = self.lines;
        py.detach(move || {
            trace_html(
                &items,
                lines,
                head.map(|head| Cut { head, tail }),
                max_connections,
            )
        })
    }
    /// Text as the command line writes it, cut to head and tail items; `head=None` keeps all.
    #[pyo3(signature = (head = Some(HEAD), tail = TAIL), text_signature = "(self, /, head=20, tail=20)")]
    fn text(&self, py: Python<'_>, head: Option<usize>, tail: usize) -> String {
        let items = Arc::clone(&self.items);
        let lines = self.lines;
        py.detach(move || trace_text(&items, lines, head.map(|head| Cut { head, tail })))
    }
    fn headline(&self) -> String {
        headline(&self.items, self.lines)
    }
}

// ---------------------------------------------------------------------------
// Streaming

/// The engine, one line at a time: `push_line()` lines as they arrive, take
/// the explained items with `next_item()` (or `drain()`), and `finish()` at the end.
///
/// `flush()` releases lines still waiting for an answer (live input that has
/// paused), assuming delivery on arrival.
#[pyclass(module = "tcpexplain", name = "Explainer")]
pub struct StreamExplainer {
    engine: Engine,
    lines: u64,
}

impl StreamExplainer {
    fn drain_items(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let list = PyList::empty(py);
        while let Some(item) = self.engine.next_item() {
            list.append(wrap_owned(py, item)?)?;
        }
        Ok(list.unbind())
    }
}

#[pymethods]
impl StreamExplainer {
    #[new]
    fn new() -> StreamExplainer {
        StreamExplainer {
            engine: Engine::new(),
            lines: 0,
        }
    }
    /// Number of input lines pushed so far.
    #[getter]
    fn lines(&self) -> u64 {
        self.lines
    }
    /// Feeds one line (`str` or `bytes`; a trailing newline is removed; text
    /// holding several lines is split).
    fn push_line(&mut self, line: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = text_of(line)?;
        let body = text.strip_suffix('\n').unwrap_or(&text);
        for part in body.split('\n') {
            self.lines = self.lines.saturating_add(1);
            self.engine.push_line(part);
        }
        Ok(())
    }
    /// The next explained item, or None when none is ready yet.
    fn next_item(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.engine
            .next_item()
            .map(|item| wrap_owned(py, item))
            .transpose()
    }
    /// Every item ready now, as a list.
    fn drain(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        self.drain_items(py)
    }
    /// `push_line(line)` then `drain()`.
    fn push(&mut self, py: Python<'_>, line: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        self.push_line(line)?;
        self.drain_items(py)
    }
    /// The input paused: release held lines, assuming delivery on arrival.
    fn flush(&mut self) {
        self.engine.flush();
    }
    /// The input ended: release everything and summarise every connection.
    fn finish(&mut self) {
        self.engine.finish();
    }
}

// ---------------------------------------------------------------------------

#[pymodule]
fn _tcpexplain(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("COLUMNS", COLUMNS.to_vec())?;
    m.add("ParseError", m.py().get_type::<ParseError>())?;
    m.add("BinaryInputError", m.py().get_type::<BinaryInputError>())?;
    m.add_class::<TraceData>()?;
    m.add_class::<Segment>()?;
    m.add_class::<Connection>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<OtherLine>()?;
    m.add_class::<StreamExplainer>()?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(explain_file, m)?)?;
    m.add_function(wrap_pyfunction!(parse_line, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    Ok(())
}
