//! [`TraceData`]: a whole trace, as `tcpexplain.Trace` wraps it.

use super::columns::{event_names, Categories, Nullable};
use super::items::{is_connection, is_other, is_segment, is_unparsed, wrap_item, wrap_where};
use super::notebook::{counts, headline, trace_html, trace_text, Cut, HEAD, MAX_CONNECTIONS, TAIL};
use super::store::{Items, Kept, Source};
use super::COLUMNS;
use crate::render::jsonl;
use crate::track::Item;
use numpy::PyArray1;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use std::collections::HashMap;
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
            set(PyString::new(py, &crate::explain::text(r)).into_any())?;
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
                jsonl::write(item, &mut out)?;
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
