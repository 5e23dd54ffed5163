//! Conversions between the engine's values and Python's: JSON-like values
//! as Python objects, errors as exceptions, `repr()` strings.

use crate::model::Diagnostic as ParseDiagnostic;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::ParseError;

/// A JSON value as the Python object `json.loads` would give.
pub(super) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
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

pub(super) fn serde_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

/// A serde enum's name (`"four_way"`, `"client"`, ...).
pub(super) fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(super) fn states_dict<'py>(
    py: Python<'py>,
    states: &crate::track::report::States,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("client", states.client.name())?;
    d.set_item("server", states.server.name())?;
    Ok(d)
}

pub(super) fn parse_error(py: Python<'_>, d: &ParseDiagnostic) -> PyErr {
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
pub(super) fn os_error(e: &io::Error, path: &Path) -> PyErr {
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
pub(super) fn text_of<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, str>> {
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
pub(super) fn pr(s: &str) -> String {
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

pub(super) fn pr_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), pr)
}
