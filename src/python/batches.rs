//! A file read a chunk of segments at a time, for files bigger than memory:
//! each call reads, parses and tracks (with the GIL released) until a chunk
//! of rows is full, and gives its columns away; the connections' summaries
//! are taken as they come. What stays between calls is the tracker's own
//! state (the open connections), not the segments.

use super::convert::os_error;
use super::derive::InFlight;
use super::export::{
    connection_columns, derive, segment_columns, segment_kind, Owner, SEGMENT_COLUMNS,
};
use super::read::{lang_of, py_error};
use super::store::{Entry, Kept};
use super::table::{Chunk, Clock, Dictionary};
use super::text_only;
use crate::input::Interruptible;
use crate::reader::Assembler;
use crate::track::Item;
use crate::RecordReader;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

type Input = BufReader<Interruptible<fn() -> io::Result<()>>>;

/// Checks for signals (Ctrl-C) while a pipe is silent or gives a lot.
fn check_signals() -> io::Result<()> {
    Python::attach(|py| py.check_signals()).map_err(io::Error::other)
}

/// One chunk of segments, taken from the reader: the owner of the buffers
/// its columns lend.
#[pyclass(module = "tcpexplain._tcpexplain", frozen)]
pub struct SegmentChunk {
    chunk: [Chunk; 1],
    flags: Dictionary,
}

impl Owner for SegmentChunk {
    fn chunks(&self) -> &[Chunk] {
        &self.chunk
    }
    fn flags(&self) -> &Dictionary {
        &self.flags
    }
}

/// A file's segments a chunk at a time (wrapped by `tcpexplain.iter_batches`).
#[pyclass(module = "tcpexplain._tcpexplain")]
pub struct FileBatches {
    path: PathBuf,
    reader: RecordReader<Input>,
    tracker: crate::Tracker,
    clock: Clock,
    kept: Kept,
    in_flight: InFlight,
    names: Vec<String>,
    rows: usize,
    done: bool,
    /// Items that are neither segments nor connections, counted.
    others: u64,
    /// How many of the summaries kept were looked at for `ended`.
    scanned: usize,
    /// Connections over, with their last line, not yet forgotten by `in_flight`.
    ended: Vec<(u32, u64)>,
}

#[pymethods]
impl FileBatches {
    /// Opens `path` to be read `rows` segments at a time, giving the
    /// columns `names` (all but the text when `None`).
    #[new]
    #[pyo3(signature = (path, rows = 65_536, names = None, lang = None))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        rows: usize,
        names: Option<Vec<String>>,
        lang: Option<&str>,
    ) -> PyResult<Self> {
        let lang = lang_of(lang)?;
        if rows == 0 {
            return Err(PyValueError::new_err("rows must be at least 1"));
        }
        let names =
            names.unwrap_or_else(|| SEGMENT_COLUMNS.iter().map(|c| c.0.to_string()).collect());
        if let Some(name) = names.iter().find(|n| segment_kind(n).is_none()) {
            return Err(PyValueError::new_err(format!("no column {name:?}")));
        }
        let (file, regular) = crate::input::open(&path).map_err(|e| os_error(&e, &path))?;
        let mut input: Input = BufReader::with_capacity(
            1 << 16,
            Interruptible::new(file, !regular, check_signals as fn() -> io::Result<()>),
        );
        let first = py.detach(|| {
            input
                .fill_buf()
                .map(|b| b.iter().take(4096).copied().collect::<Vec<u8>>())
        });
        text_only(
            py,
            &first.map_err(|e| py_error(e, &path))?,
            &path.display().to_string(),
        )?;
        Ok(FileBatches {
            reader: RecordReader::with_assembler(input, Assembler::without_segment_text()),
            tracker: crate::Tracker::new(crate::Options {
                explanations: false,
                ..crate::Options::default()
            }),
            clock: Clock::default(),
            kept: Kept::with_rows(rows, lang),
            in_flight: InFlight::default(),
            names,
            rows,
            done: false,
            others: 0,
            scanned: 0,
            ended: Vec::new(),
            path,
        })
    }

    /// The columns of the next chunk of segments (as `TraceData.segment_columns`
    /// gives them), or `None` at the end of the file.
    fn next_chunk<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let this = &mut *self;
        let (path, reader, tracker, clock, kept, rows) = (
            &this.path,
            &mut this.reader,
            &mut this.tracker,
            &mut this.clock,
            &mut this.kept,
            this.rows,
        );
        let done = &mut this.done;
        let chunk = py.detach(|| -> io::Result<Option<Chunk>> {
            let spare = &mut Vec::new();
            let full = |kept: &Kept| kept.table.chunks.first().is_some_and(|c| c.len() >= rows);
            while !*done && !full(kept) {
                match reader.next_record()? {
                    Some(record) => tracker.feed(record),
                    None => {
                        tracker.finish();
                        *done = true;
                    }
                }
                while let Some(item) = tracker.next_item() {
                    kept.keep(Entry::of(item, clock, spare));
                }
                while !spare.is_empty() {
                    Entry::reuse(spare);
                }
            }
            Ok(kept.table.take_first())
        });
        let chunk = chunk.map_err(|e| py_error(e, path))?;
        // (Items other than segments and summaries are counted, not kept.)
        let before = self.kept.others.len();
        self.kept
            .others
            .retain(|(_, item)| matches!(item, Item::Connection(_)));
        self.others = self
            .others
            .saturating_add((before - self.kept.others.len()) as u64);
        let Some(chunk) = chunk else {
            return Ok(None);
        };
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let flags = self.kept.table.flags.clone();
        let (in_flight, lang) = (&mut self.in_flight, self.kept.lang);
        let derived = py.detach(|| {
            derive(
                std::slice::from_ref(&chunk),
                &flags,
                &names,
                in_flight,
                lang,
            )
        });
        // Connections that are over, and whose lines are all given, are
        // forgotten: what is kept between chunks is the open connections'.
        let fresh = self.kept.others.get(self.scanned..).unwrap_or_default();
        self.ended
            .extend(fresh.iter().filter_map(|(_, item)| match item {
                Item::Connection(s) => {
                    Some((u32::try_from(s.conn).unwrap_or(u32::MAX), s.last_line))
                }
                _ => None,
            }));
        self.scanned = self.kept.others.len();
        let given = chunk
            .line
            .last()
            .and_then(|&l| u64::try_from(l).ok())
            .unwrap_or(u64::MAX);
        let in_flight = &mut self.in_flight;
        self.ended.retain(|&(conn, last)| {
            let done = last <= given;
            if done {
                in_flight.forget(conn);
            }
            !done
        });
        let owner = Bound::new(
            py,
            SegmentChunk {
                chunk: [chunk],
                flags,
            },
        )?;
        segment_columns(&owner, &names, derived).map(Some)
    }

    /// The columns of the connections whose summaries came since the last
    /// call (each summary is given once), with the `text` column when `text`.
    #[pyo3(signature = (text = false))]
    fn take_connections<'py>(
        &mut self,
        py: Python<'py>,
        text: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let taken = std::mem::take(&mut self.kept.others);
        self.scanned = 0;
        connection_columns(py, &taken, text)
    }

    /// Number of input lines read so far.
    #[getter]
    fn lines(&self) -> u64 {
        self.reader.lines_seen()
    }

    /// Whether the whole file has been read.
    #[getter]
    fn done(&self) -> bool {
        self.done && self.kept.table.chunks.is_empty()
    }

    /// Number of items that were neither segments nor summaries (lines of
    /// other protocols, lines that could not be read, ...), read so far.
    #[getter]
    fn other_items(&self) -> u64 {
        self.others
    }
}
