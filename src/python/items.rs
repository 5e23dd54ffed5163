//! The items of a trace as Python objects: [`Segment`], [`Connection`],
//! [`Diagnostic`] and [`OtherLine`], each a pointer to its trace's items
//! and an index.

use super::convert::{json_to_py, parse_error, pr, pr_opt, serde_name, serde_to_py, states_dict};
use super::notebook::{connection_html, item_text, opening, Cut, HEAD, TAIL};
use super::read::kind_to_py;
use super::store::Items;
use crate::lang::Lang;
use crate::model::{Diagnostic as ParseDiagnostic, RecordKind};
use crate::render::{document, jsonl, ConnectionView};
use crate::track::report::{ConnectionSummary, SegmentReport};
use crate::track::Item;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use serde_json::Value;
use std::sync::Arc;

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
        json_to_py(py, &jsonl::value(self.item()?, self.items.lang))
    }
}

/// The error for a segment's lines asked of a file that has changed since it was read.
pub(super) fn changed() -> PyErr {
    PyOSError::new_err(
        "the file this trace was read from has changed since: explain it again to read its lines",
    )
}

/// The item at `index` as the matching Python object.
pub(super) fn wrap_item(py: Python<'_>, items: &Arc<Items>, index: usize) -> PyResult<Py<PyAny>> {
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

pub(super) fn wrap_owned(py: Python<'_>, item: Item, lang: Lang) -> PyResult<Py<PyAny>> {
    wrap_item(py, &Arc::new(Items::of(vec![item], lang)), 0)
}

/// Wraps the items of `items` whose index passes `keep`.
pub(super) fn wrap_where(
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
pub(super) fn report_of(item: &Item) -> Option<&SegmentReport> {
    match item {
        Item::Line {
            report: Some(r), ..
        } => Some(r),
        _ => None,
    }
}

pub(super) fn is_segment(item: &Item) -> bool {
    report_of(item).is_some()
}

pub(super) fn is_connection(item: &Item) -> bool {
    matches!(item, Item::Connection(_))
}

pub(super) fn is_unparsed(item: &Item) -> bool {
    matches!(item, Item::Line { report: None, record, .. } if matches!(record.kind, RecordKind::Unparsed(_)))
}

pub(super) fn is_other(item: &Item) -> bool {
    matches!(item, Item::Line { report: None, record, .. } if !matches!(record.kind, RecordKind::Unparsed(_)))
}

pub(super) fn mimebundle<'py>(
    py: Python<'py>,
    plain: String,
    html: String,
) -> PyResult<Bound<'py, PyDict>> {
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
    /// The same as `from_`: who sent the segment.
    #[getter]
    fn sender(&self) -> PyResult<&'static str> {
        self.from_()
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
        Ok(crate::explain::text(self.at.report()?, self.at.items.lang).into_owned())
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
            "{}<div class=\"raw\">{}</div>{}</div>",
            opening(self.at.items.lang),
            document::escape(&self.raw()?),
            document::html_table(&[r], self.at.items.lang)
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
        mimebundle(
            py,
            item_text(&self.at.items.whole(item), self.at.items.lang),
            self.to_html()?,
        )
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
        Ok(self.at.summary()?.teardown.code().to_string())
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
            "{}{}</div>",
            opening(self.at.items.lang),
            connection_html(&view, summary.conn, cut, self.at.items.lang)
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
            item_text(self.at.item()?, self.at.items.lang),
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
            pr(s.teardown.code()),
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
        Ok(jsonl::value(self.at.item()?, self.at.items.lang)
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
        Ok(jsonl::value(self.at.item()?, self.at.items.lang)
            .get("kind")
            .and_then(Value::as_str)
            .map(str::to_string))
    }
    /// The protocol word (`UDP`, `ICMP`, ...), when one was recognised.
    #[getter]
    fn protocol(&self) -> PyResult<Option<String>> {
        Ok(jsonl::value(self.at.item()?, self.at.items.lang)
            .get("protocol")
            .and_then(Value::as_str)
            .map(str::to_string))
    }
    #[getter]
    fn text(&self) -> PyResult<String> {
        Ok(jsonl::value(self.at.item()?, self.at.items.lang)
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
