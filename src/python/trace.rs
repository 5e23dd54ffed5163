//! [`TraceData`]: a whole trace, as `tcpexplain.Trace` wraps it.

use super::derive::InFlight;
use super::export::{
    connection_columns, derive, pandas_columns, rows, segment_columns, Derived, Owner,
    SEGMENT_COLUMNS,
};
use super::items::{is_connection, is_other, is_segment, is_unparsed, wrap_item, wrap_where};
use super::notebook::{counts, headline, trace_html, trace_text, Cut, HEAD, MAX_CONNECTIONS, TAIL};
use super::store::{Items, Kept, Source};
use super::table::{Chunk, Dictionary};
use crate::render::jsonl;
use crate::track::Item;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::io;
use std::sync::Arc;

/// The explained items of a whole text (wrapped by `tcpexplain.Trace`).
#[pyclass(module = "tcpexplain._tcpexplain", frozen)]
pub struct TraceData {
    items: Arc<Items>,
    lines: u64,
}

impl TraceData {
    pub(super) fn new(kept: Kept, lines: u64, source: Source) -> TraceData {
        TraceData {
            items: Arc::new(Items::kept(kept, source)),
            lines,
        }
    }
}

impl TraceData {
    /// The derived columns `names` of every segment (the GIL released).
    fn derived(&self, py: Python<'_>, names: &[&str]) -> Vec<Derived> {
        let table = self.items.table();
        py.detach(|| {
            derive(
                &table.chunks,
                &table.flags,
                names,
                &mut InFlight::default(),
                self.items.lang,
            )
        })
    }
}

impl Owner for TraceData {
    fn chunks(&self) -> &[Chunk] {
        &self.items.table().chunks
    }
    fn flags(&self) -> &Dictionary {
        &self.items.table().flags
    }
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
    /// The segments' columns `names` (all of them when `None`), in Arrow's
    /// layout, chunk by chunk (see `export.rs`): `[(name, kind, dictionary,
    /// [chunk, ...]), ...]`. Kept columns are lent (read-only arrays over
    /// the trace's own buffers), computed ones given.
    #[pyo3(signature = (names = None))]
    fn segment_columns<'py>(
        slf: &Bound<'py, Self>,
        names: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let names: Vec<&str> = match &names {
            Some(names) => names.iter().map(String::as_str).collect(),
            None => SEGMENT_COLUMNS.iter().map(|c| c.0).collect(),
        };
        let derived = slf.get().derived(slf.py(), &names);
        segment_columns(slf, &names, derived)
    }
    /// The segments' columns `names` as pandas takes them: the numeric ones
    /// joined into one int64 or float64 array each (see `export.rs`).
    fn pandas_columns<'py>(
        slf: &Bound<'py, Self>,
        names: Vec<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let derived = slf.get().derived(slf.py(), &names);
        pandas_columns(slf, &names, derived)
    }
    /// The connections' columns, one row per summary (see `export.rs`); the
    /// `text` column last when `text`.
    #[pyo3(signature = (text = false))]
    fn connection_columns<'py>(&self, py: Python<'py>, text: bool) -> PyResult<Bound<'py, PyList>> {
        connection_columns(py, self.items.others(), text)
    }
    /// One dict per segment, keys as the segment columns' names (`"from"`
    /// and `"sender"`), with `"text"` when `text`.
    #[pyo3(signature = (text = false))]
    fn rows<'py>(&self, py: Python<'py>, text: bool) -> PyResult<Bound<'py, PyList>> {
        let table = self.items.table();
        rows(py, &table.chunks, &table.flags, text, self.items.lang)
    }
    /// The JSON Lines text of every item, as `tcpexplain --format jsonl` writes it.
    fn jsonl(&self, py: Python<'_>) -> PyResult<String> {
        let items = Arc::clone(&self.items);
        py.detach(move || {
            let mut out = Vec::new();
            for item in items.iter() {
                jsonl::write(item, items.lang, &mut out)?;
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
