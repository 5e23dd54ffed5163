//! The Python face (`tcpexplain._tcpexplain`), built by maturin with the `python` feature.
//!
//! This native module is private: the package in `python/tcpexplain/` is the
//! public API and wraps it. Everything here is a thin layer over the
//! reader, the tracker and the renderers:
//!
//! - `read`: whole texts and files explained with the GIL released (big ones
//!   read, parsed and tracked on one thread while this one keeps what comes
//!   out; now and then the GIL is taken back to let Python handle signals);
//!   one line parsed alone; the command line.
//! - `store`: what a whole trace keeps (its segments as the table of
//!   `columns`, its other items as they are), and its input, read again when
//!   a segment's lines are asked for.
//! - `trace`: `TraceData`, a whole trace (wrapped by `tcpexplain.Trace`),
//!   shared (one `Arc`) by the objects made from it.
//! - `items`: `Segment`, `Connection`, `Diagnostic` and `OtherLine`, each a
//!   pointer to its trace and an index.
//! - `notebook`: HTML and text for notebooks (every string from the input is
//!   escaped, and there is no script).
//! - `stream`: the engine one line at a time.
//! - `convert`: values, errors and `repr()` strings for Python.

mod batches;
mod convert;
mod derive;
mod export;
mod items;
mod notebook;
mod read;
mod store;
mod stream;
mod table;
mod trace;

use items::{Connection, Diagnostic, OtherLine, Segment};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use read::{cli_main, explain, explain_file, parse_line};
use stream::StreamExplainer;
use trace::TraceData;

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
    let advice = crate::explain::binary_input(kind, name, crate::Lang::En);
    let err = BinaryInputError::new_err(format!("{name}: {advice}"));
    err.value(py).setattr("kind", kind.name())?;
    Err(err)
}

#[pymodule]
fn _tcpexplain(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SEGMENT_COLUMNS", export::SEGMENT_COLUMNS.to_vec())?;
    m.add("CONNECTION_COLUMNS", export::connection_schema())?;
    m.add("ParseError", m.py().get_type::<ParseError>())?;
    m.add("BinaryInputError", m.py().get_type::<BinaryInputError>())?;
    m.add_class::<TraceData>()?;
    m.add_class::<Segment>()?;
    m.add_class::<Connection>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<OtherLine>()?;
    m.add_class::<StreamExplainer>()?;
    m.add_class::<batches::FileBatches>()?;
    m.add_class::<batches::SegmentChunk>()?;
    m.add_function(wrap_pyfunction!(explain, m)?)?;
    m.add_function(wrap_pyfunction!(explain_file, m)?)?;
    m.add_function(wrap_pyfunction!(parse_line, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    Ok(())
}
