//! Reading whole inputs: a text or a file explained with the GIL released,
//! on one thread or two; one line parsed alone; the command line.

use super::convert::{json_to_py, os_error, parse_error, text_of};
use super::store::{Entry, Kept, Source};
use super::table::Clock;
use super::trace::TraceData;
use super::{text_only, BATCH, BATCHES, SIGNAL_EVERY, TWO_THREADS_FROM};
use crate::lang::Lang;
use crate::model::{Record, RecordKind};
use crate::reader::Assembler;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyString};
use serde_json::Value;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Explains everything `input` (of `size` bytes, when known) holds with the
/// GIL released, on one thread or, for big inputs, two; signals (Ctrl-C) are
/// checked every 65,536 records. Lines are split and decoded as the command
/// line does. Gives the input back, read.
pub(super) fn gather<R: BufRead + Send>(
    py: Python<'_>,
    name: &str,
    mut input: R,
    size: Option<u64>,
    summaries_only: bool,
    lang: Lang,
    on_error: impl Fn(io::Error) -> PyErr + Sync,
) -> PyResult<(Kept, u64, R)> {
    // The tracker writes no explanations: a report says all they say, and
    // they are written from it when asked (see `table.rs`). Only the
    // connections' summaries come out when they are all that is kept.
    let mut tracker = crate::Tracker::new(crate::Options {
        explanations: false,
        reports: !summaries_only,
        ..crate::Options::default()
    });
    // (The first bytes are awaited without the GIL: a pipe may be slow to give them.)
    let first = py.detach(|| {
        input
            .fill_buf()
            .map(|b| b.iter().take(4096).copied().collect::<Vec<u8>>())
    });
    text_only(py, &first.map_err(&on_error)?, name)?;
    let mut kept = Kept::new(lang);
    // (Segments' lines are not kept one by one: the trace keeps its whole input.)
    let mut reader = crate::RecordReader::with_assembler(input, Assembler::without_segment_text());
    // (Summaries only: little comes out to keep, and one thread does it all.)
    if size.is_some_and(|n| n >= TWO_THREADS_FROM) && !summaries_only {
        py.detach(|| in_two_threads(&mut reader, &mut tracker, &mut kept, &on_error))?;
    } else {
        py.detach(|| -> PyResult<_> {
            let mut clock = Clock::default();
            let mut spare = Vec::new();
            let mut n = 0usize;
            while let Some(record) = reader.next_record().map_err(&on_error)? {
                tracker.feed(record);
                std::iter::from_fn(|| tracker.next_item())
                    .for_each(|i| kept.keep(Entry::of(i, &mut clock, &mut spare)));
                while !spare.is_empty() {
                    Entry::reuse(&mut spare);
                }
                n = n.wrapping_add(1);
                if n % (BATCH * SIGNAL_EVERY) == 0 {
                    Python::attach(|py| py.check_signals())?;
                }
            }
            tracker.finish();
            std::iter::from_fn(|| tracker.next_item())
                .for_each(|i| kept.keep(Entry::of(i, &mut clock, &mut spare)));
            Ok(())
        })?;
    }
    let lines = reader.lines_seen();
    Ok((kept, lines, reader.into_inner()))
}

/// Reads all of `input` in two threads: this one reads and parses, and
/// keeps what comes out (the table and the other items); the other tracks.
/// Tracking is most of the work: the rest balances it. Records and items go
/// across in batches, and the batches' vectors come back to be filled again.
/// Between batches the GIL is taken back to let Python handle signals.
fn in_two_threads<R: BufRead + Send>(
    reader: &mut crate::RecordReader<R>,
    tracker: &mut crate::Tracker,
    kept: &mut Kept,
    on_error: &(impl Fn(io::Error) -> PyErr + Sync),
) -> PyResult<()> {
    let (records, to_track) = mpsc::sync_channel::<Vec<Record>>(BATCHES);
    let (entries, to_keep) = mpsc::sync_channel::<Vec<Entry>>(BATCHES);
    // Records let go of by the tracker, back to be parsed into again; empty
    // vectors both ways.
    let (records_spent, records_back) = mpsc::channel::<Vec<Record>>();
    let (empty_spent, empty_back) = mpsc::channel::<Vec<Record>>();
    let (records_empty, records_back_empty) = mpsc::channel::<Vec<Record>>();
    let (entries_spent, entries_back) = mpsc::channel::<Vec<Entry>>();
    std::thread::scope(|scope| {
        let tracking = scope.spawn(move || {
            let mut clock = Clock::default();
            let mut out = Vec::with_capacity(BATCH);
            let send = |out: &mut Vec<Entry>| {
                let next = entries_back
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                entries.send(std::mem::replace(out, next)).is_ok()
            };
            for mut batch in to_track.iter() {
                // (The batch's vector goes back holding the records let go
                // of, whose packets the reading thread parses into again.)
                let mut spare = records_back_empty.try_recv().unwrap_or_default();
                for record in batch.drain(..) {
                    tracker.feed(record);
                    while let Some(item) = tracker.next_item() {
                        out.push(Entry::of(item, &mut clock, &mut spare));
                    }
                }
                let _ = records_spent.send(spare);
                let _ = empty_spent.send(batch);
                // (Sent after every batch, empty or not: the reading thread,
                // waiting for room to send the next, wakes up.)
                if !send(&mut out) {
                    return; // Interrupted: nobody keeps any more.
                }
            }
            tracker.finish();
            let mut spare = Vec::new();
            out.extend(
                std::iter::from_fn(|| tracker.next_item())
                    .map(|i| Entry::of(i, &mut clock, &mut spare)),
            );
            send(&mut out);
        });
        let mut keep = |mut batch: Vec<Entry>| {
            batch.drain(..).for_each(|entry| kept.keep(entry));
            let _ = entries_spent.send(batch);
        };
        let mut outcome = Ok(());
        let mut sent = 0usize;
        let mut spare: Vec<Record> = Vec::new();
        'reading: loop {
            let mut batch = empty_back
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            let mut ended = false;
            while batch.len() < BATCH {
                if spare.is_empty() {
                    if let Ok(more) = records_back.try_recv() {
                        let _ = records_empty.send(std::mem::replace(&mut spare, more));
                    }
                }
                Entry::reuse(&mut spare);
                match reader.next_record() {
                    Ok(Some(record)) => batch.push(record),
                    Ok(None) => {
                        ended = true;
                        break;
                    }
                    Err(e) => {
                        outcome = Err(on_error(e));
                        break 'reading;
                    }
                }
            }
            // Sent once the tracker has room, what it gives kept meanwhile.
            let mut pending = batch;
            loop {
                match records.try_send(pending) {
                    Ok(()) => break,
                    Err(mpsc::TrySendError::Full(back)) => {
                        // The tracker sends what it made of each batch it
                        // takes: once it comes, there is room.
                        pending = back;
                        match to_keep.recv() {
                            Ok(done) => keep(done),
                            Err(_) => break 'reading,
                        }
                    }
                    Err(mpsc::TrySendError::Disconnected(_)) => break 'reading,
                }
            }
            while let Ok(done) = to_keep.try_recv() {
                keep(done);
            }
            sent = sent.wrapping_add(1);
            if sent % SIGNAL_EVERY == 0 {
                outcome = Python::attach(|py| py.check_signals());
                if outcome.is_err() {
                    break;
                }
            }
            if ended {
                break;
            }
        }
        // The input is over (or the read was interrupted): the tracker gives
        // the rest, unless nobody wants it.
        drop(records);
        if outcome.is_ok() {
            to_keep.iter().for_each(&mut keep);
        }
        drop(to_keep);
        tracking
            .join()
            .map_err(|_| PyOSError::new_err("the tracking thread failed"))?;
        outcome
    })
}
/// Explains a whole text (`str` or `bytes`) with the GIL released, its
/// words in `lang` (English when `None`).
#[pyfunction]
#[pyo3(signature = (text, lang = None))]
pub(super) fn explain(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    lang: Option<&str>,
) -> PyResult<TraceData> {
    let lang = lang_of(lang)?;
    let on_error = |e: io::Error| PyOSError::new_err(e.to_string());
    if let Ok(b) = text.cast::<PyBytes>() {
        let b: PyBackedBytes = b.clone().into();
        let size = Some(b.len() as u64);
        let (kept, lines, _) = gather(py, "the bytes given", &b[..], size, false, lang, on_error)?;
        return Ok(TraceData::new(kept, lines, Source::new(b)));
    }
    if text.is_instance_of::<PyString>() {
        let s: PyBackedStr = text.extract()?;
        let size = Some(s.len() as u64);
        let (kept, lines, _) = gather(
            py,
            "the text given",
            s.as_bytes(),
            size,
            false,
            lang,
            on_error,
        )?;
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
///
/// `summaries=True` keeps only the connections' summaries (and the number of
/// lines): memory then grows with the connections, not the segments.
#[pyfunction]
#[pyo3(signature = (path, summaries = false, lang = None))]
pub(super) fn explain_file(
    py: Python<'_>,
    path: PathBuf,
    summaries: bool,
    lang: Option<&str>,
) -> PyResult<TraceData> {
    let lang = lang_of(lang)?;
    let (file, regular) = crate::input::open(&path).map_err(|e| os_error(&e, &path))?;
    let on_error = |e: io::Error| py_error(e, &path);
    // (A pipe or device has no size: read on one thread, as it comes.)
    let size = file.metadata().ok().filter(|_| regular).map(|m| m.len());
    let check = || Python::attach(|py| py.check_signals()).map_err(io::Error::other);
    if summaries {
        // (Nothing is read again: no segment is kept.)
        let input = BufReader::with_capacity(
            1 << 16,
            crate::input::Interruptible::new(file, !regular, check),
        );
        let name = path.display().to_string();
        let (kept, lines, _) = gather(py, &name, input, size, true, lang, on_error)?;
        return Ok(TraceData::new(kept, lines, Source::new(Vec::new())));
    }
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
            let (kept, lines, _) = gather(py, &name, input, size, false, lang, on_error)?;
            return Ok(TraceData::new(kept, lines, source));
        }
    }
    let input = Keeping::new(
        crate::input::Interruptible::new(file, !regular, check),
        size,
    );
    let name = path.display().to_string();
    let (kept, lines, input) = gather(py, &name, input, size, false, lang, on_error)?;
    Ok(TraceData::new(kept, lines, Source::new(input.kept)))
}

/// The language a `lang=` argument names (`"en"`, `"zh-Hans"`, `"zh-Hant"`,
/// `"zh"`, `"zh-CN"`, `"zh-TW"` …); English when `None`.
pub(super) fn lang_of(tag: Option<&str>) -> PyResult<Lang> {
    tag.map_or(Ok(Lang::En), |tag| {
        Lang::from_tag(tag).ok_or_else(|| {
            PyValueError::new_err(format!(
                "no language {tag:?}: use \"en\", \"zh-Hans\" or \"zh-Hant\""
            ))
        })
    })
}

/// The Python exception an error of reading stands for: the one it carries
/// (`KeyboardInterrupt` from a check for signals), or an `OSError` naming `path`.
pub(super) fn py_error(e: io::Error, path: &Path) -> PyErr {
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
pub(super) fn parse_line<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
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
pub(super) fn kind_to_py<'py>(py: Python<'py>, kind: &RecordKind) -> PyResult<Bound<'py, PyAny>> {
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
pub(super) fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> i32 {
    py.detach(|| crate::cli::run(argv))
}
