//! Streaming: lines in, records out, as soon as each is complete.
//!
//! A record is complete when the next head line (or the end of input) arrives,
//! because continuation lines may follow it. [`Assembler::flush`] releases it
//! earlier, for live input that has paused. Memory holds one record at a time.

use crate::model::{Diagnostic, Record, RecordKind};
use crate::parse::{self, Pending};
use std::io::{self, BufRead};

/// Lines longer than this are cut, and the cut is reported (tcpdump lines are far shorter).
pub const MAX_LINE: usize = 1 << 20;

/// Continuation text one record keeps, at most: later lines are counted, not
/// kept (an `-X` dump of a 64 KiB segment takes about 300 KB).
pub const MAX_RECORD: usize = 4 << 20;

/// Turns lines into records.
#[derive(Debug)]
pub struct Assembler {
    line_no: u64,
    open: Option<Open>,
    keep: KeepText,
}

impl Default for Assembler {
    fn default() -> Assembler {
        Assembler {
            line_no: 0,
            open: None,
            keep: KeepText {
                segments: true,
                others: true,
            },
        }
    }
}

/// Which records keep their input text (`Record::text`): off where nobody will show it.
#[derive(Debug, Clone, Copy)]
struct KeepText {
    /// TCP records (JSON output says everything about them without it).
    segments: bool,
    /// Every other record: other protocols, tcpdump's messages, diagnostics.
    others: bool,
}

#[derive(Debug)]
struct Open {
    line: u64,
    lines: u32,
    head_text: String,
    /// Continuation lines, newline-joined, when the text is kept.
    more: String,
    keep_more: bool,
    /// Bytes of continuation lines kept so far (see [`MAX_RECORD`]).
    kept: usize,
    pending: Pending,
}

impl Open {
    fn new(line: u64, text: &str, pending: Pending, keep: KeepText) -> Open {
        let keep_more = match &pending {
            // (A TCP header quoted in an ICMP error is shown as it is, not as a segment.)
            Pending::Ready(RecordKind::Tcp(p)) if !p.quoted => keep.segments,
            Pending::Ready(_) => keep.others,
            // Its next line tells whether it is a segment or another packet.
            Pending::NeedsTransport(_) => keep.segments || keep.others,
        };
        // A header line waiting for its TCP line is kept: a diagnostic may need it.
        let keep_head = keep_more || matches!(pending, Pending::NeedsTransport(_));
        Open {
            line,
            lines: 1,
            head_text: if keep_head {
                text.to_string()
            } else {
                String::new()
            },
            more: String::new(),
            keep_more,
            kept: 0,
            pending,
        }
    }

    fn add(&mut self, line_no: u64, text: &str) {
        self.lines = self.lines.saturating_add(1);
        if self.kept > MAX_RECORD {
            return;
        }
        self.kept = self.kept.saturating_add(text.len().saturating_add(1));
        self.pending.add_continuation(line_no, text);
        if self.keep_more {
            self.more.push('\n');
            self.more.push_str(text);
        }
    }

    fn close(self) -> Record {
        let kind = self.pending.finish(self.line, &self.head_text);
        let mut text = self.head_text;
        text.push_str(&self.more);
        Record {
            line: self.line,
            lines: self.lines,
            text,
            kind,
        }
    }
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// An assembler that does not keep the input text of records (faster).
    pub fn without_text() -> Assembler {
        Assembler {
            keep: KeepText {
                segments: false,
                others: false,
            },
            ..Assembler::default()
        }
    }

    /// An assembler that keeps the input text of every record but TCP segments
    /// (whose reports say all that JSON output shows of them).
    pub fn without_segment_text() -> Assembler {
        Assembler {
            keep: KeepText {
                segments: false,
                others: true,
            },
            ..Assembler::default()
        }
    }

    /// Number of lines seen so far.
    pub fn lines_seen(&self) -> u64 {
        self.line_no
    }

    /// Feeds one line (without its newline). Returns the record this line completed, if any.
    pub fn push_line(&mut self, text: &str) -> Option<Record> {
        self.push(text, false)
    }

    /// Feeds one line that was cut at [`MAX_LINE`] bytes.
    pub fn push_cut_line(&mut self, text: &str) -> Option<Record> {
        self.push(text, true)
    }

    fn push(&mut self, text: &str, cut: bool) -> Option<Record> {
        self.line_no = self.line_no.saturating_add(1);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if cut {
            let done = self.open.take().map(Open::close);
            let shown: String = text.chars().take(200).collect();
            self.open = Some(Open::new(
                self.line_no,
                &shown,
                Pending::Ready(RecordKind::Unparsed(Box::new(Diagnostic {
                    line: self.line_no,
                    column: u32::try_from(MAX_LINE).unwrap_or(u32::MAX),
                    expected: "a line shorter than 1 MiB (the rest was skipped)".into(),
                    text: shown.clone(),
                }))),
                self.keep,
            ));
            return done;
        }
        // (A line starting with a printable ASCII character is not blank: no trim needed.)
        let blank = match text.as_bytes().first() {
            Some(b) if b.is_ascii_graphic() => false,
            _ => text.trim().is_empty(),
        };
        if blank {
            // Blank lines belong to an `-A` payload being dumped; otherwise they are skipped.
            if let Some(open) = &mut self.open {
                if matches!(&open.pending, Pending::Ready(RecordKind::Tcp(p)) if !p.dump.is_empty())
                {
                    open.add(self.line_no, text);
                }
            }
            return None;
        }
        if let Some(pending) = parse::read_head(self.line_no, text) {
            let done = self.open.take().map(Open::close);
            self.open = Some(Open::new(self.line_no, text, pending, self.keep));
            return done;
        }
        if self.accepts_continuation() {
            if let Some(nested) = self.nested(text) {
                let done = self.open.take().map(Open::close);
                // (A nested packet's lines are kept whenever any text is: read
                // again alone, they would not parse as they did here.)
                let keep = KeepText {
                    segments: self.keep.segments || self.keep.others,
                    ..self.keep
                };
                self.open = Some(Open::new(self.line_no, text, nested, keep));
                return done;
            }
            if let Some(open) = &mut self.open {
                open.add(self.line_no, text);
            }
            return None;
        }
        // Nothing to continue: an orphan line is a diagnostic of its own.
        let done = self.open.take().map(Open::close);
        self.open = Some(Open::new(
            self.line_no,
            text,
            parse::parse_head(self.line_no, text),
            self.keep,
        ));
        done
    }

    /// A packet inside a non-TCP record's continuation (tunnels, ICMP quotes) starts a record.
    fn nested(&self, text: &str) -> Option<Pending> {
        let open = self.open.as_ref()?;
        let quoted = match &open.pending {
            Pending::Ready(RecordKind::Other(o)) => {
                o.protocol.as_deref().is_some_and(|p| p.starts_with("ICMP"))
            }
            Pending::Ready(RecordKind::Tcp(p)) => p.quoted,
            _ => return None,
        };
        if matches!(&open.pending, Pending::Ready(RecordKind::Tcp(p)) if !p.quoted) {
            return None;
        }
        parse::nested(text, quoted)
    }

    fn accepts_continuation(&self) -> bool {
        matches!(
            &self.open,
            Some(Open {
                pending: Pending::NeedsTransport(_)
                    | Pending::Ready(
                        RecordKind::Tcp(_) | RecordKind::Other(_) | RecordKind::Unparsed(_)
                    ),
                ..
            })
        )
    }

    /// Releases the open record if it is complete (not waiting for its TCP line).
    /// Continuation lines arriving afterwards are reported as orphans.
    pub fn flush(&mut self) -> Option<Record> {
        match &self.open {
            Some(Open {
                pending: Pending::NeedsTransport(_),
                ..
            }) => None,
            _ => self.open.take().map(Open::close),
        }
    }

    /// Ends the input: returns the last record, if one is open.
    pub fn finish(&mut self) -> Option<Record> {
        self.open.take().map(Open::close)
    }
}

/// Reads records from any buffered reader, line by line.
pub struct RecordReader<R> {
    input: R,
    assembler: Assembler,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(input: R) -> RecordReader<R> {
        RecordReader {
            input,
            assembler: Assembler::new(),
            buf: Vec::with_capacity(256),
            done: false,
        }
    }

    /// Reads with `assembler` (which decides what text records keep).
    pub fn with_assembler(input: R, assembler: Assembler) -> RecordReader<R> {
        RecordReader {
            assembler,
            ..RecordReader::new(input)
        }
    }

    /// The input, given back.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next record, `Ok(None)` at the end of input.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        while !self.done {
            match read_line(&mut self.input, &mut self.buf)? {
                None => {
                    self.done = true;
                    return Ok(self.assembler.finish());
                }
                Some(cut) => {
                    let text = decode(&self.buf);
                    let record = if cut {
                        self.assembler.push_cut_line(&text)
                    } else {
                        self.assembler.push_line(&text)
                    };
                    if record.is_some() {
                        return Ok(record);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Releases the open record early (see [`Assembler::flush`]).
    pub fn flush(&mut self) -> Option<Record> {
        self.assembler.flush()
    }

    /// Number of input lines read so far.
    pub fn lines_seen(&self) -> u64 {
        self.assembler.lines_seen()
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// Text of a line: valid UTF-8 as is, invalid bytes replaced (U+FFFD).
pub fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `Read::read` for a reader whose bytes are in its own buffer (`BufRead`).
#[cfg(feature = "python")]
pub(crate) fn read_from_buffer(input: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let n = io::Read::read(&mut input.fill_buf()?, out)?;
    input.consume(n);
    Ok(n)
}

/// Reads one line into `buf` (newline removed), keeping at most [`MAX_LINE`] bytes
/// and skipping the rest. `None` at the end of input; `Some(true)` when cut.
pub fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut cut = false;
    let mut any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (chunk, used, end) = match memchr::memchr(b'\n', available) {
            Some(i) => (available.get(..i).unwrap_or(&[]), i.saturating_add(1), true),
            None => (available, available.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        if chunk.len() > room {
            cut = true;
        }
        buf.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or(&[]));
        input.consume(used);
        if end {
            return Ok(Some(cut));
        }
    }
}
