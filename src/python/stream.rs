//! The engine one line at a time: `tcpexplain.Explainer`.

use super::convert::text_of;
use super::items::wrap_owned;
use super::read::lang_of;
use crate::lang::Lang;
use crate::Explainer as Engine;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// The engine, one line at a time: `push_line()` lines as they arrive, take
/// the explained items with `next_item()` (or `drain()`), and `finish()` at the end.
///
/// `flush()` releases lines still waiting for an answer (live input that has
/// paused), assuming delivery on arrival.
#[pyclass(module = "tcpexplain", name = "Explainer")]
pub struct StreamExplainer {
    engine: Engine,
    lang: Lang,
    lines: u64,
}

impl StreamExplainer {
    fn drain_items(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let list = PyList::empty(py);
        while let Some(item) = self.engine.next_item() {
            list.append(wrap_owned(py, item, self.lang)?)?;
        }
        Ok(list.unbind())
    }
}

#[pymethods]
impl StreamExplainer {
    /// `lang`: the language of the words (`"en"`, `"zh-Hans"`, `"zh-Hant"`;
    /// English when `None`).
    #[new]
    #[pyo3(signature = (lang = None))]
    fn new(lang: Option<&str>) -> PyResult<StreamExplainer> {
        let lang = lang_of(lang)?;
        Ok(StreamExplainer {
            engine: Engine::with_options(crate::Options {
                lang,
                ..crate::Options::default()
            }),
            lang,
            lines: 0,
        })
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
            .map(|item| wrap_owned(py, item, self.lang))
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
