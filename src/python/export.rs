//! The tables of a trace handed to Python, in Arrow's layout: the segments'
//! columns as the buffers the trace keeps (lent, not copied: NumPy arrays
//! over them, read-only, that keep the trace alive) and the columns computed
//! when asked (new buffers, given away); the connections' columns from their
//! summaries. The package (`python/tcpexplain/_columns.py`) makes pyarrow
//! arrays of them without copying (`Array.from_buffers`), or pandas and
//! NumPy arrays (copies).
//!
//! Each column comes as `(name, kind, dictionary, chunks)`, one tuple of
//! arrays per chunk:
//!
//! | kind | Arrow type | a chunk |
//! |---|---|---|
//! | `int64`, `uint32`, `uint64`, `float64` | the same | `(validity or None, values)` |
//! | `bool` | `bool` | `(validity or None, values as uint8)` |
//! | `dict8`, `dict16` | `dictionary<int8 or int16, string>` | `(codes,)` |
//! | `list_str` | `list<string>` | `(list offsets, string offsets, bytes)` |
//! | `sack` | `list<struct<first: uint32, last: uint32>>` | `(list offsets, first, last)` |
//! | `text` | `large_string` | `(offsets, bytes)` |
//! | `str`, `dict_str`, `list_str_py` | `string`, `dictionary<int32, string>`, `list<string>` | a list of Python values (connections: few rows) |
//! | `np_int64`, `np_float64` | (for pandas) | one chunk, `(missing or None, values)`: see [`pandas_columns`] |
//!
//! A validity is Arrow's bitmap (bit set: a value), `None` when every value is there.

use super::derive::{self, InFlight};
use super::table::{Chunk, Dictionary, Opt, ROLES, STATES};
use crate::lang::Lang;
use crate::track::report::{ConnectionSummary, EventKind};
use crate::track::Item;
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::types::{PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use pyo3::PyClass;
use serde_json::Value;

/// The segments' columns, in order, with their kinds (see the module's table).
pub(super) const SEGMENT_COLUMNS: [(&str, &str); 25] = [
    ("line", "int64"),
    ("conn", "uint32"),
    ("from", "dict8"),
    ("sender", "dict8"),
    ("flags", "dict16"),
    ("seq", "uint32"),
    ("ack", "uint32"),
    ("seq_raw", "uint32"),
    ("ack_raw", "uint32"),
    ("len", "uint32"),
    ("time", "float64"),
    ("abs_time", "float64"),
    ("window", "uint64"),
    ("window_raw", "uint32"),
    ("client_state", "dict8"),
    ("server_state", "dict8"),
    ("events", "list_str"),
    ("rtt", "float64"),
    ("bytes_acked", "uint32"),
    ("in_flight", "uint32"),
    ("sack", "sack"),
    ("tsval", "uint32"),
    ("tsecr", "uint32"),
    ("mss", "uint32"),
    ("wscale", "uint32"),
];

/// The explanation column, given only when asked for.
pub(super) const TEXT: (&str, &str) = ("text", "text");

/// What owns the chunks whose buffers are lent: a frozen object that never
/// changes them, so that an array over them is sound as long as it keeps
/// its owner alive.
pub(super) trait Owner: PyClass<Frozen = True> + Sync {
    fn chunks(&self) -> &[Chunk];
    fn flags(&self) -> &Dictionary;
}

/// A read-only NumPy array over the values `pick` finds in `owner`.
fn lend<'py, O: Owner, T: numpy::Element>(
    owner: &Bound<'py, O>,
    pick: impl for<'a> FnOnce(&'a O) -> Option<&'a [T]>,
) -> PyResult<Bound<'py, PyAny>> {
    let values = pick(owner.get()).ok_or_else(|| PyValueError::new_err("no such column"))?;
    let view = numpy::ndarray::ArrayView1::from(values);
    #[allow(unsafe_code)]
    // SAFETY: `values` lies in `owner` (found from the reference `get()`
    // gives: the compiler holds `pick` to that), a frozen object whose
    // contents are never changed nor moved once made (`Owner`). The array
    // makes `owner` its base, so the memory lives as long as the array.
    let array = unsafe { PyArray1::borrow_from_array(&view, owner.clone().into_any()) };
    // (Read-only: the trace's own columns are not to be written through.)
    array.call_method1("setflags", (false,))?;
    Ok(array.into_any())
}

/// An array that owns `values`.
fn give<'py, T: numpy::Element>(py: Python<'py>, values: Vec<T>) -> Bound<'py, PyAny> {
    PyArray1::from_vec(py, values).into_any()
}

/// `(validity or None, values)` of a computed column.
fn give_opt<'py, T: numpy::Element>(
    py: Python<'py>,
    column: Opt<T>,
) -> PyResult<Bound<'py, PyTuple>> {
    let validity = if column.valid.nulls == 0 {
        py.None().into_bound(py)
    } else {
        give(py, column.valid.bits)
    };
    PyTuple::new(py, [validity, give(py, column.values)])
}

/// `(validity or None, values)` of a kept column.
fn lend_opt<'py, O: Owner, T: numpy::Element + 'static>(
    owner: &Bound<'py, O>,
    pick: impl for<'a> Fn(&'a O) -> Option<&'a Opt<T>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = owner.py();
    let nulls = pick(owner.get()).map_or(0, |c| c.valid.nulls);
    let validity = if nulls == 0 {
        py.None().into_bound(py)
    } else {
        lend(owner, |o| pick(o).map(|c| c.valid.bits.as_slice()))?
    };
    let values = lend(owner, |o| pick(o).map(|c| c.values.as_slice()))?;
    PyTuple::new(py, [validity, values])
}

/// `(None, values)` of a kept column that has every value.
fn lend_all<'py, O: Owner, T: numpy::Element>(
    owner: &Bound<'py, O>,
    pick: impl for<'a> FnOnce(&'a O) -> Option<&'a [T]>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = owner.py();
    PyTuple::new(py, [py.None().into_bound(py), lend(owner, pick)?])
}

/// The columns of a chunk computed when asked.
#[derive(Default)]
pub(super) struct Derived {
    events: Option<(Vec<i32>, Vec<i32>, Vec<u8>)>,
    sack: Option<(Vec<i32>, Vec<u32>, Vec<u32>)>,
    bytes_acked: Option<Opt<u32>>,
    rtt: Option<Opt<f64>>,
    in_flight: Option<Opt<u32>>,
    mss: Option<Opt<u32>>,
    wscale: Option<Opt<u32>>,
    text: Option<(Vec<i64>, Vec<u8>)>,
}

/// Computes the columns among `names` that are computed, for `chunks` in
/// order (`in_flight` carries the bytes in flight from the chunks before);
/// explanations on two threads when there are several chunks.
pub(super) fn derive(
    chunks: &[Chunk],
    flags: &Dictionary,
    names: &[&str],
    in_flight: &mut InFlight,
    lang: Lang,
) -> Vec<Derived> {
    let wants = |name: &str| names.contains(&name);
    let mut all: Vec<Derived> = chunks
        .iter()
        .map(|chunk| {
            let mut d = Derived::default();
            if wants("events") {
                d.events = Some(derive::events(chunk));
            }
            if wants("sack") {
                d.sack = Some(derive::sack(chunk));
            }
            if wants("bytes_acked") || wants("rtt") {
                let (bytes, rtt) = derive::acked(chunk);
                d.bytes_acked = Some(bytes);
                d.rtt = Some(rtt);
            }
            if wants("in_flight") {
                d.in_flight = Some(in_flight.column(chunk, flags));
            }
            if wants("mss") || wants("wscale") {
                let (mss, wscale) = derive::offer(chunk);
                d.mss = Some(mss);
                d.wscale = Some(wscale);
            }
            d
        })
        .collect();
    if wants(TEXT.0) {
        let texts = on_two_threads(chunks, |chunk| derive::texts(chunk, flags, lang));
        for (d, text) in all.iter_mut().zip(texts) {
            d.text = Some(text);
        }
    }
    all
}

/// `f` of each chunk, the first half on another thread when there are several.
fn on_two_threads<T: Send>(chunks: &[Chunk], f: impl Fn(&Chunk) -> T + Sync) -> Vec<T> {
    if chunks.len() < 2 {
        return chunks.iter().map(&f).collect();
    }
    let (first, second) = chunks.split_at(chunks.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| first.iter().map(&f).collect::<Vec<T>>());
        let rest: Vec<T> = second.iter().map(&f).collect();
        let mut all = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        all.extend(rest);
        all
    })
}

/// The kind of segment column `name` (`None`: no such column).
pub(super) fn segment_kind(name: &str) -> Option<&'static str> {
    SEGMENT_COLUMNS
        .iter()
        .chain([&TEXT])
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
}

/// Chunk `i` of `o`.
fn chunk_of<O: Owner>(o: &O, i: usize) -> Option<&Chunk> {
    o.chunks().get(i)
}

/// The segment columns `names` of `owner`'s chunks, with `derived` (from
/// [`derive`] over the same chunks and names): `[(name, kind, dictionary, chunks)]`.
pub(super) fn segment_columns<'py, O: Owner>(
    owner: &Bound<'py, O>,
    names: &[&str],
    mut derived: Vec<Derived>,
) -> PyResult<Bound<'py, PyList>> {
    let py = owner.py();
    let out = PyList::empty(py);
    let count = owner.get().chunks().len();
    for &name in names {
        let kind = segment_kind(name)
            .ok_or_else(|| PyValueError::new_err(format!("no column {name:?}")))?;
        let dictionary = match name {
            "from" | "sender" => PyList::new(py, ROLES.iter().map(|r| r.name()))?.into_any(),
            "client_state" | "server_state" => {
                PyList::new(py, STATES.iter().map(|s| s.name()))?.into_any()
            }
            "flags" => {
                PyList::new(py, owner.get().flags().names.iter().map(|n| n.as_str()))?.into_any()
            }
            _ => py.None().into_bound(py),
        };
        let chunks = PyList::empty(py);
        for (i, d) in (0..count).zip(derived.iter_mut()) {
            let tuple = match name {
                "line" => lend_all(owner, |o| chunk_of(o, i).map(|c| c.line.as_slice()))?,
                "conn" => lend_all(owner, |o| chunk_of(o, i).map(|c| c.conn.as_slice()))?,
                "len" => lend_all(owner, |o| chunk_of(o, i).map(|c| c.len.as_slice()))?,
                "from" | "sender" => PyTuple::new(
                    py,
                    [lend(owner, |o| chunk_of(o, i).map(|c| c.from.as_slice()))?],
                )?,
                "flags" => PyTuple::new(
                    py,
                    [lend(owner, |o| chunk_of(o, i).map(|c| c.flags.as_slice()))?],
                )?,
                "client_state" => PyTuple::new(
                    py,
                    [lend(owner, |o| {
                        chunk_of(o, i).map(|c| c.client_state.as_slice())
                    })?],
                )?,
                "server_state" => PyTuple::new(
                    py,
                    [lend(owner, |o| {
                        chunk_of(o, i).map(|c| c.server_state.as_slice())
                    })?],
                )?,
                "seq" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.seq))?,
                "ack" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.ack))?,
                "seq_raw" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.seq_raw))?,
                "ack_raw" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.ack_raw))?,
                "time" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.time))?,
                "abs_time" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.abs_time))?,
                "window" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.window))?,
                "window_raw" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.window_raw))?,
                "tsval" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.tsval))?,
                "tsecr" => lend_opt(owner, |o| chunk_of(o, i).map(|c| &c.tsecr))?,
                "events" => {
                    let (lists, offsets, bytes) = d.events.take().unwrap_or_default();
                    PyTuple::new(py, [give(py, lists), give(py, offsets), give(py, bytes)])?
                }
                "sack" => {
                    let (lists, first, last) = d.sack.take().unwrap_or_default();
                    PyTuple::new(py, [give(py, lists), give(py, first), give(py, last)])?
                }
                "bytes_acked" => give_opt(py, d.bytes_acked.take().unwrap_or_default())?,
                "rtt" => give_opt(py, d.rtt.take().unwrap_or_default())?,
                "in_flight" => give_opt(py, d.in_flight.take().unwrap_or_default())?,
                "mss" => give_opt(py, d.mss.take().unwrap_or_default())?,
                "wscale" => give_opt(py, d.wscale.take().unwrap_or_default())?,
                "text" => {
                    let (offsets, bytes) = d.text.take().unwrap_or_default();
                    PyTuple::new(py, [give(py, offsets), give(py, bytes)])?
                }
                _ => return Err(PyValueError::new_err(format!("no column {name:?}"))),
            };
            chunks.append(tuple)?;
        }
        out.append((name, kind, dictionary, chunks))?;
    }
    Ok(out)
}

/// The kinds a connection's `problems` counts: its summary's rule.
pub(super) fn is_counted_problem(kind: EventKind) -> bool {
    kind.is_problem() && kind != EventKind::Reset
}

/// A connection column: its name, kind and where its value lies in the
/// summary's JSON object.
struct Field {
    name: String,
    kind: &'static str,
    how: How,
}

enum How {
    /// The value at this path.
    At(&'static [&'static str]),
    /// The sum of the counts of an object.
    Total(&'static str),
    /// The length of a list.
    Count(&'static str),
    /// One count of an object.
    Count1(&'static str, &'static str),
}

fn connection_fields() -> Vec<Field> {
    let at = |name: &str, kind: &'static str, path: &'static [&'static str]| Field {
        name: name.to_string(),
        kind,
        how: How::At(path),
    };
    let mut fields = vec![
        at("conn", "uint32", &["conn"]),
        at("client", "str", &["client"]),
        at("server", "str", &["server"]),
        at("roles_inferred", "bool", &["roles_inferred"]),
        at("first_line", "int64", &["first_line"]),
        at("last_line", "int64", &["last_line"]),
        at("segments", "uint64", &["segments"]),
        at("duration", "float64", &["duration"]),
        at("bytes_client", "uint64", &["bytes_client"]),
        at("bytes_server", "uint64", &["bytes_server"]),
        at("handshake", "dict_str", &["handshake"]),
        at("handshake_rtt", "float64", &["handshake_rtt"]),
        at("teardown", "dict_str", &["teardown"]),
        at("closed_by", "dict_str", &["closed_by"]),
        at("final_state_client", "dict_str", &["final_state", "client"]),
        at("final_state_server", "dict_str", &["final_state", "server"]),
        at("time_wait", "list_str_py", &["time_wait"]),
        at("conn_state", "dict_str", &["conn_state"]),
        at("history", "str", &["history"]),
        at("vantage", "dict_str", &["vantage"]),
        at("evicted", "bool", &["evicted"]),
        Field {
            name: "problems".into(),
            kind: "uint64",
            how: How::Total("problems"),
        },
        at("stall_side", "dict_str", &["stall", "side"]),
        at("stall_bytes", "uint64", &["stall", "bytes"]),
        at("stall_fin", "bool", &["stall", "fin"]),
        at("stall_since_line", "int64", &["stall", "since_line"]),
        at("stall_resent", "uint64", &["stall", "resent"]),
        at("stall_backoff", "dict_str", &["stall", "backoff"]),
        at("stall_seconds", "float64", &["stall", "seconds"]),
        at("captured_only", "dict_str", &["captured_only"]),
        at("fins_inferred", "list_str_py", &["fins_inferred"]),
        at("half_close", "dict_str", &["half_close"]),
        at("zero_window_at_end", "dict_str", &["zero_window_at_end"]),
        Field {
            name: "icmp_errors".into(),
            kind: "uint64",
            how: How::Count("icmp_errors"),
        },
    ];
    for kind in EventKind::ALL {
        fields.push(Field {
            name: format!("events_{}", kind.name()),
            kind: "uint64",
            how: How::Count1("events", kind.name()),
        });
    }
    for kind in EventKind::ALL
        .into_iter()
        .filter(|k| is_counted_problem(*k))
    {
        fields.push(Field {
            name: format!("problems_{}", kind.name()),
            kind: "uint64",
            how: How::Count1("problems", kind.name()),
        });
    }
    fields
}

/// The connections' column names and kinds, in order (`text` last, given
/// only when asked for).
pub(super) fn connection_schema() -> Vec<(String, &'static str)> {
    connection_fields()
        .into_iter()
        .map(|f| (f.name, f.kind))
        .chain([("text".to_string(), "str")])
        .collect()
}

/// A column of connections being filled.
enum Builder<'py> {
    Int(Opt<i64>),
    U32(Opt<u32>),
    Uint(Opt<u64>),
    Float(Opt<f64>),
    Bool(Opt<u8>),
    Py(Vec<Bound<'py, PyAny>>),
}

/// The connections' columns, one row per summary among `items`:
/// `[(name, kind, None, [chunk])]` (one chunk).
pub(super) fn connection_columns<'py, 'a>(
    py: Python<'py>,
    items: impl IntoIterator<Item = &'a (usize, Item)>,
    text: bool,
) -> PyResult<Bound<'py, PyList>> {
    let summaries: Vec<&ConnectionSummary> = items
        .into_iter()
        .filter_map(|(_, item)| match item {
            Item::Connection(s) => Some(s.as_ref()),
            _ => None,
        })
        .collect();
    let fields = connection_fields();
    let mut columns: Vec<Builder<'py>> = fields
        .iter()
        .map(|f| match f.kind {
            "int64" => Builder::Int(Opt::default()),
            "uint32" => Builder::U32(Opt::default()),
            "uint64" => Builder::Uint(Opt::default()),
            "float64" => Builder::Float(Opt::default()),
            "bool" => Builder::Bool(Opt::default()),
            _ => Builder::Py(Vec::with_capacity(summaries.len())),
        })
        .collect();
    // (The same few words again and again: one Python string each.)
    let mut words: std::collections::HashMap<String, Bound<'py, PyString>> = Default::default();
    let mut word = |s: &str| -> Bound<'py, PyAny> {
        words
            .entry(s.to_string())
            .or_insert_with(|| PyString::new(py, s))
            .clone()
            .into_any()
    };
    let mut texts = Vec::new();
    for s in summaries {
        let value = serde_json::to_value(s).map_err(|e| PyValueError::new_err(e.to_string()))?;
        for (field, column) in fields.iter().zip(columns.iter_mut()) {
            let found: Option<Value> = match &field.how {
                How::At(path) => path
                    .iter()
                    .try_fold(&value, |v, key| v.get(key))
                    .filter(|v| !v.is_null())
                    .cloned(),
                How::Total(key) => Some(Value::from(
                    value
                        .get(key)
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>()),
                )),
                How::Count(key) => Some(Value::from(
                    value.get(key).and_then(Value::as_array).map_or(0, Vec::len),
                )),
                How::Count1(key, kind) => Some(Value::from(
                    value
                        .get(key)
                        .and_then(|m| m.get(kind))
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                )),
            };
            match column {
                Builder::Int(c) => c.push(found.as_ref().and_then(Value::as_i64)),
                Builder::Uint(c) => c.push(found.as_ref().and_then(Value::as_u64)),
                Builder::U32(c) => c.push(
                    found
                        .as_ref()
                        .and_then(Value::as_u64)
                        .and_then(|v| u32::try_from(v).ok()),
                ),
                Builder::Float(c) => c.push(found.as_ref().and_then(Value::as_f64)),
                Builder::Bool(c) => c.push(found.as_ref().and_then(Value::as_bool).map(u8::from)),
                Builder::Py(values) => values.push(match found {
                    // (A list left out of the JSON object is empty.)
                    None if field.kind == "list_str_py" => PyList::empty(py).into_any(),
                    None => py.None().into_bound(py),
                    Some(Value::String(s)) if field.kind == "str" => {
                        PyString::new(py, &s).into_any()
                    }
                    Some(Value::String(s)) => word(&s),
                    Some(Value::Array(items)) => {
                        let list = PyList::empty(py);
                        for item in items {
                            list.append(match item {
                                Value::String(s) => word(&s),
                                other => other.to_string().into_bound_py_any(py)?,
                            })?;
                        }
                        list.into_any()
                    }
                    Some(other) => other.to_string().into_bound_py_any(py)?,
                }),
            }
        }
        if text {
            texts.push(PyString::new(py, &s.text).into_any());
        }
    }
    let out = PyList::empty(py);
    for (field, column) in fields.iter().zip(columns) {
        let chunk = match column {
            Builder::Int(c) => give_opt(py, c)?.into_any(),
            Builder::Uint(c) => give_opt(py, c)?.into_any(),
            Builder::U32(c) => give_opt(py, c)?.into_any(),
            Builder::Float(c) => give_opt(py, c)?.into_any(),
            Builder::Bool(c) => give_opt(py, c)?.into_any(),
            Builder::Py(values) => PyList::new(py, values)?.into_any(),
        };
        out.append((
            field.name.as_str(),
            field.kind,
            py.None(),
            PyList::new(py, [chunk])?,
        ))?;
    }
    if text {
        out.append((
            "text",
            "str",
            py.None(),
            PyList::new(py, [PyList::new(py, texts)?])?,
        ))?;
    }
    Ok(out)
}

/// One dict per segment of `chunks`, keys as [`SEGMENT_COLUMNS`]' names
/// (and `"text"` when `text`), as pyarrow's `to_pylist()` gives them: lists
/// for `events` and `sack` (each block `{"first": .., "last": ..}`),
/// missing values `None`.
pub(super) fn rows<'py>(
    py: Python<'py>,
    chunks: &[Chunk],
    flags: &Dictionary,
    text: bool,
    lang: Lang,
) -> PyResult<Bound<'py, PyList>> {
    let mut names: Vec<&str> = SEGMENT_COLUMNS.iter().map(|c| c.0).collect();
    if text {
        names.push(TEXT.0);
    }
    let keys: Vec<Bound<'py, PyString>> = names.iter().map(|k| PyString::intern(py, k)).collect();
    let (first_key, last_key) = (PyString::intern(py, "first"), PyString::intern(py, "last"));
    let derived = py.detach(|| derive(chunks, flags, &names, &mut InFlight::default(), lang));
    let roles: Vec<Bound<'py, PyString>> = ROLES
        .iter()
        .map(|r| PyString::intern(py, r.name()))
        .collect();
    let states: Vec<Bound<'py, PyString>> = STATES
        .iter()
        .map(|s| PyString::intern(py, s.name()))
        .collect();
    let flag_names: Vec<Bound<'py, PyString>> =
        flags.names.iter().map(|f| PyString::new(py, f)).collect();
    let code = |codes: &[Bound<'py, PyString>], code: Option<i64>| -> Bound<'py, PyAny> {
        code.and_then(|c| usize::try_from(c).ok())
            .and_then(|c| codes.get(c))
            .map_or_else(|| py.None().into_bound(py), |s| s.clone().into_any())
    };
    let out = PyList::empty(py);
    for (chunk, d) in chunks.iter().zip(&derived) {
        let (none, none_f) = (Opt::default(), Opt::default());
        let (bytes_acked, rtt, in_flight) = (
            d.bytes_acked.as_ref().unwrap_or(&none),
            d.rtt.as_ref().unwrap_or(&none_f),
            d.in_flight.as_ref().unwrap_or(&none),
        );
        let (mss, wscale) = (
            d.mss.as_ref().unwrap_or(&none),
            d.wscale.as_ref().unwrap_or(&none),
        );
        for row in 0..chunk.len() {
            let dict = pyo3::types::PyDict::new(py);
            for (name, key) in names.iter().zip(&keys) {
                let value: Bound<'py, PyAny> = match *name {
                    "line" => chunk.line.get(row).into_bound_py_any(py)?,
                    "conn" => chunk.conn.get(row).into_bound_py_any(py)?,
                    "from" | "sender" => code(&roles, chunk.from.get(row).map(|&c| i64::from(c))),
                    "flags" => code(&flag_names, chunk.flags.get(row).map(|&c| i64::from(c))),
                    "seq" => chunk.seq.get(row).flatten().into_bound_py_any(py)?,
                    "ack" => chunk.ack.get(row).flatten().into_bound_py_any(py)?,
                    "seq_raw" => chunk.seq_raw.get(row).flatten().into_bound_py_any(py)?,
                    "ack_raw" => chunk.ack_raw.get(row).flatten().into_bound_py_any(py)?,
                    "len" => chunk.len.get(row).into_bound_py_any(py)?,
                    "time" => chunk.time.get(row).flatten().into_bound_py_any(py)?,
                    "abs_time" => chunk.abs_time.get(row).flatten().into_bound_py_any(py)?,
                    "window" => chunk.window.get(row).flatten().into_bound_py_any(py)?,
                    "window_raw" => chunk.window_raw.get(row).flatten().into_bound_py_any(py)?,
                    "client_state" => {
                        code(&states, chunk.client_state.get(row).map(|&c| i64::from(c)))
                    }
                    "server_state" => {
                        code(&states, chunk.server_state.get(row).map(|&c| i64::from(c)))
                    }
                    "events" => {
                        let list = PyList::empty(py);
                        if let Some(rare) = chunk.rare(row) {
                            for e in &rare.events {
                                list.append(PyString::intern(py, e.kind.name()))?;
                            }
                        }
                        list.into_any()
                    }
                    "sack" => {
                        let list = PyList::empty(py);
                        if let Some(rare) = chunk.rare(row) {
                            for &(first, last) in &rare.sack {
                                let block = pyo3::types::PyDict::new(py);
                                block.set_item(&first_key, first)?;
                                block.set_item(&last_key, last)?;
                                list.append(block)?;
                            }
                        }
                        list.into_any()
                    }
                    "rtt" => rtt.get(row).flatten().into_bound_py_any(py)?,
                    "bytes_acked" => bytes_acked.get(row).flatten().into_bound_py_any(py)?,
                    "in_flight" => in_flight.get(row).flatten().into_bound_py_any(py)?,
                    "tsval" => chunk.tsval.get(row).flatten().into_bound_py_any(py)?,
                    "tsecr" => chunk.tsecr.get(row).flatten().into_bound_py_any(py)?,
                    "mss" => mss.get(row).flatten().into_bound_py_any(py)?,
                    "wscale" => wscale.get(row).flatten().into_bound_py_any(py)?,
                    "text" => {
                        let (offsets, bytes) = d
                            .text
                            .as_ref()
                            .map_or((&[][..], &[][..]), |t| (t.0.as_slice(), t.1.as_slice()));
                        let start = offsets
                            .get(row)
                            .and_then(|&o| usize::try_from(o).ok())
                            .unwrap_or(0);
                        let end = offsets
                            .get(row + 1)
                            .and_then(|&o| usize::try_from(o).ok())
                            .unwrap_or(start);
                        let text = bytes.get(start..end).unwrap_or_default();
                        PyString::new(py, &String::from_utf8_lossy(text)).into_any()
                    }
                    _ => py.None().into_bound(py),
                };
                dict.set_item(key, value)?;
            }
            out.append(dict)?;
        }
    }
    Ok(out)
}

/// A numeric column of one chunk, as kept or computed.
enum Numbers<'a> {
    I64(&'a [i64]),
    U32(&'a [u32]),
    OptU32(&'a Opt<u32>),
    OptU64(&'a Opt<u64>),
    OptF64(&'a Opt<f64>),
}

/// Column `name` of `chunk` (with its computed columns `d`), when it holds numbers.
fn numbers<'a>(chunk: &'a Chunk, d: &'a Derived, name: &str) -> Option<Numbers<'a>> {
    Some(match name {
        "line" => Numbers::I64(&chunk.line),
        "conn" => Numbers::U32(&chunk.conn),
        "len" => Numbers::U32(&chunk.len),
        "seq" => Numbers::OptU32(&chunk.seq),
        "ack" => Numbers::OptU32(&chunk.ack),
        "seq_raw" => Numbers::OptU32(&chunk.seq_raw),
        "ack_raw" => Numbers::OptU32(&chunk.ack_raw),
        "window_raw" => Numbers::OptU32(&chunk.window_raw),
        "tsval" => Numbers::OptU32(&chunk.tsval),
        "tsecr" => Numbers::OptU32(&chunk.tsecr),
        "window" => Numbers::OptU64(&chunk.window),
        "time" => Numbers::OptF64(&chunk.time),
        "abs_time" => Numbers::OptF64(&chunk.abs_time),
        "rtt" => Numbers::OptF64(d.rtt.as_ref()?),
        "bytes_acked" => Numbers::OptU32(d.bytes_acked.as_ref()?),
        "in_flight" => Numbers::OptU32(d.in_flight.as_ref()?),
        "mss" => Numbers::OptU32(d.mss.as_ref()?),
        "wscale" => Numbers::OptU32(d.wscale.as_ref()?),
        _ => return None,
    })
}

/// A numeric column of every chunk joined, as pandas takes it: int64 values
/// and where they are missing, or float64 values with NaN where missing.
enum Joined {
    Int(Vec<i64>, Option<Vec<bool>>),
    Float(Vec<f64>),
}

fn join(chunks: &[Chunk], derived: &[Derived], name: &str) -> Option<Joined> {
    let rows = chunks.iter().map(Chunk::len).sum();
    let views: Vec<Numbers<'_>> = chunks
        .iter()
        .zip(derived)
        .map(|(c, d)| numbers(c, d, name))
        .collect::<Option<_>>()?;
    if views.iter().all(|v| matches!(v, Numbers::OptF64(_))) && !views.is_empty() {
        let mut values = Vec::with_capacity(rows);
        for v in &views {
            if let Numbers::OptF64(c) = v {
                if c.valid.nulls == 0 {
                    values.extend_from_slice(&c.values);
                } else {
                    values.extend(c.values.iter().zip(c.valid.each()).map(|(&x, valid)| {
                        if valid {
                            x
                        } else {
                            f64::NAN
                        }
                    }));
                }
            }
        }
        return Some(Joined::Float(values));
    }
    let mut values: Vec<i64> = Vec::with_capacity(rows);
    let mut missing: Option<Vec<bool>> = None;
    for v in &views {
        let start = values.len();
        let valid = match v {
            Numbers::I64(c) => {
                values.extend_from_slice(c);
                None
            }
            Numbers::U32(c) => {
                values.extend(c.iter().map(|&x| i64::from(x)));
                None
            }
            Numbers::OptU32(c) => {
                values.extend(c.values.iter().map(|&x| i64::from(x)));
                Some(&c.valid)
            }
            Numbers::OptU64(c) => {
                values.extend(
                    c.values
                        .iter()
                        .map(|&x| i64::try_from(x).unwrap_or(i64::MAX)),
                );
                Some(&c.valid)
            }
            // (A float column is wholly float: handled above.)
            Numbers::OptF64(c) => {
                values.extend(c.values.iter().map(|&x| x as i64));
                Some(&c.valid)
            }
        };
        if let Some(valid) = valid.filter(|v| v.nulls > 0) {
            let all = missing.get_or_insert_with(|| vec![false; start]);
            all.extend(valid.each().map(|v| !v));
        } else if let Some(all) = missing.as_mut() {
            all.resize(values.len(), false);
        }
    }
    Some(Joined::Int(values, missing))
}

/// The segment columns `names` as pandas takes them: numeric columns joined
/// across chunks into one array each (kind `np_int64`, a chunk `(missing or
/// None, int64 values)`; or `np_float64`, `(None, float64 values with NaN)`),
/// made on two threads; the others as [`segment_columns`] gives them.
pub(super) fn pandas_columns<'py, O: Owner>(
    owner: &Bound<'py, O>,
    names: &[&str],
    mut derived: Vec<Derived>,
) -> PyResult<Bound<'py, PyList>> {
    let py = owner.py();
    let chunks = owner.get().chunks();
    let numeric: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            segment_kind(n).is_some_and(|k| matches!(k, "int64" | "uint32" | "uint64" | "float64"))
        })
        .collect();
    let joined: Vec<Option<Joined>> = {
        let derived = &derived;
        let join_all = |part: &[&str]| -> Vec<Option<Joined>> {
            part.iter().map(|n| join(chunks, derived, n)).collect()
        };
        py.detach(|| {
            let (first, second) = numeric.split_at(numeric.len() / 2);
            std::thread::scope(|scope| {
                let other = scope.spawn(|| join_all(first));
                let rest = join_all(second);
                let mut all = other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                all.extend(rest);
                all
            })
        })
    };
    let rest: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !numeric.contains(n))
        .collect();
    // (The computed columns joined above are not needed again.)
    for d in &mut derived {
        for name in &numeric {
            match *name {
                "rtt" => d.rtt = None,
                "bytes_acked" => d.bytes_acked = None,
                "in_flight" => d.in_flight = None,
                _ => {}
            }
        }
    }
    let out = segment_columns(owner, &rest, derived)?;
    for (name, column) in numeric.iter().zip(joined) {
        let chunk = match column {
            Some(Joined::Int(values, missing)) => (
                "np_int64",
                PyTuple::new(
                    py,
                    [
                        missing.map_or_else(|| py.None().into_bound(py), |m| give(py, m)),
                        give(py, values),
                    ],
                )?,
            ),
            Some(Joined::Float(values)) => (
                "np_float64",
                PyTuple::new(py, [py.None().into_bound(py), give(py, values)])?,
            ),
            None => return Err(PyValueError::new_err(format!("no column {name:?}"))),
        };
        out.append((*name, chunk.0, py.None(), PyList::new(py, [chunk.1])?))?;
    }
    Ok(out)
}
