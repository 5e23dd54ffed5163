//! Streaming: lines in, records out, as soon as each is complete.
//!
//! A record is complete when the next head line (or the end of input) arrives,
//! because continuation lines may follow it. [`Assembler::flush`] releases it
//! earlier, for live input that has paused. Memory holds one record at a time.
//!
//! Each line is read first as tcpdump printed it (clean input costs nothing
//! more). A line that is not tcpdump's is then read as a person pasted it
//! ([`paste`]): the rest of a head line wrapped by a mail client, a head line
//! behind indentation, a list marker or a prompt, or no tcpdump line at all
//! (a [`RecordKind::OtherText`] of its own, never glued to a packet).

mod binary;
pub mod paste;

pub use binary::Binary;

use crate::model::{Diagnostic, OtherText, Record, RecordKind, TcpOption, TcpPacket, TextKind};
use crate::parse::{self, dump, Pending};
use std::io::{self, BufRead};

/// Lines longer than this are cut, and the cut is reported (tcpdump lines are far shorter).
pub const MAX_LINE: usize = 1 << 20;

/// Continuation text one record keeps, at most: later lines are counted, not
/// kept (an `-X` dump of a 64 KiB segment takes about 300 KB).
pub const MAX_RECORD: usize = 4 << 20;

/// A head line wrapped over input lines is joined up to this length, and
/// this many lines (tcpdump's longest head lines are a few hundred bytes):
/// each join reads the line again, so the work per line stays bounded.
const MAX_JOINED: usize = 4096;
const MAX_PIECES: u32 = 16;

/// Turns lines into records.
#[derive(Debug)]
pub struct Assembler {
    line_no: u64,
    open: Option<Open>,
    keep: KeepText,
    /// The indentation (and mail quoting) that every line of a pasted block
    /// carries: taken off each line before it is read.
    indent: String,
    /// The capture's snapshot length, when its banner gave it: no `-A` dump is longer.
    snaplen: Option<usize>,
    /// An `-A` dump has been seen: the capture prints one after every packet.
    ascii_dumps: bool,
    /// The longest line so far, in bytes: lines wrapped by a mail client or a
    /// book end near it.
    longest: usize,
    /// The length of the last line that was not blank, in bytes.
    previous: usize,
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
            indent: String::new(),
            snaplen: None,
            ascii_dumps: false,
            longest: 0,
            previous: 0,
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
    /// What the lines after the head line may need (boxed: the common line
    /// needs none of it).
    more_of: Option<Box<Pasted>>,
}

/// What a record keeps for the lines that may follow it, beyond the common case.
#[derive(Debug, Default)]
struct Pasted {
    /// The text the grammar read for the head line, when it came the slow way.
    source: String,
    /// The head line as read so far, when it was wrapped over several input
    /// lines (the joined text the grammar read).
    joined: Option<String>,
    /// A `-v` header line, as it was before its transport line came, and
    /// that line (joined, when wrapped): a join reads the line again with it.
    header: Option<(Pending, String)>,
    /// A packet nested in the record before (and whether it is quoted): a
    /// join reads its line again as such.
    nested: Option<bool>,
    /// What is left of an `-A` payload dump, once one has started.
    payload: Option<Payload>,
}

/// An `-A` dump in progress: its lines are the packet's bytes, whatever they
/// say (a payload may hold text that reads like a packet line).
#[derive(Debug, Clone, Copy)]
struct Payload {
    /// Bytes the dump may still hold, at most (each line's bytes and its newline).
    left: usize,
}

impl Open {
    /// `source`: the text the grammar read, when the record came the slow
    /// way (a join with the next line starts from it).
    #[inline]
    fn new(line: u64, text: &str, source: Option<&str>, pending: Pending, keep: KeepText) -> Open {
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
            more_of: source.map(|source| {
                Box::new(Pasted {
                    source: source.to_string(),
                    ..Pasted::default()
                })
            }),
        }
    }

    fn more_of(&mut self) -> &mut Pasted {
        self.more_of.get_or_insert_with(Box::default)
    }

    fn add(&mut self, line_no: u64, text: &str) {
        self.lines = self.lines.saturating_add(1);
        if self.kept > MAX_RECORD {
            return;
        }
        self.kept = self.kept.saturating_add(text.len().saturating_add(1));
        if matches!(self.pending, Pending::NeedsTransport(_)) {
            self.more_of().header = Some((self.pending.clone(), text.to_string()));
        }
        self.pending.add_continuation(line_no, text);
        self.keep_line(text);
    }

    /// Keeps a line of the record's input text (when text is kept).
    fn keep_line(&mut self, text: &str) {
        if self.keep_more {
            self.more.push('\n');
            self.more.push_str(text);
        }
    }

    /// Takes the next line as a line of the `-A` dump in progress, if it fits
    /// in what the dump may still hold (`raw`: the line as read, a carriage
    /// return at its end included: old tcpdumps printed it as a payload byte).
    fn takes_payload(&mut self, raw: &str) -> bool {
        let Some(more_of) = &mut self.more_of else {
            return false;
        };
        let Some(payload) = &mut more_of.payload else {
            return false;
        };
        if raw.len() > payload.left {
            more_of.payload = None;
            return false;
        }
        payload.left = payload.left.saturating_sub(raw.len().saturating_add(1));
        true
    }

    /// The head line's text as the grammar read it, for a join with the next
    /// line (a segment of the common line printed back, as the round-trip
    /// tests hold it to read: the same whether its text is kept or not).
    fn head(&self) -> Option<String> {
        let pasted = self.more_of.as_deref();
        if let Some(joined) = pasted.and_then(|p| p.joined.as_ref()) {
            return Some(joined.clone());
        }
        if let Some(source) = pasted.map(|p| &p.source).filter(|s| !s.is_empty()) {
            return Some(source.clone());
        }
        match &self.pending {
            Pending::Ready(RecordKind::Tcp(p)) => Some(p.to_string()),
            _ => None,
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

/// What a line after a record's head line is to that record.
enum Continuation {
    /// One of its lines.
    Part,
    /// The first line of a packet nested in it (a tunnel's inner packet, a
    /// header quoted by an ICMP error, and whether it is quoted): a record of its own.
    Nested(bool, Pending),
    /// Not one of its lines.
    Not,
    /// The first line of its `-A` dump if it looks like one, the dump holding
    /// at most this many bytes.
    Dump(usize),
    /// The first line of a text protocol's payload (`-v`), which holds at
    /// most this many bytes.
    Decoded(usize),
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

    fn push(&mut self, raw: &str, cut: bool) -> Option<Record> {
        self.line_no = self.line_no.saturating_add(1);
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        self.longest = self.longest.max(text.len());
        if cut {
            let shown: String = text.chars().take(200).collect();
            let cut = Pending::Ready(RecordKind::Unparsed(Box::new(Diagnostic {
                line: self.line_no,
                column: u32::try_from(MAX_LINE).unwrap_or(u32::MAX),
                expected: "a line shorter than 1 MiB (the rest was skipped)".into(),
                text: shown.clone(),
            })));
            return self.start(&shown, None, cut);
        }
        if let Some(open) = &mut self.open {
            if open.takes_payload(raw) {
                open.add(self.line_no, text);
                return None;
            }
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
        // The line nearly every dump is made of.
        let common = if self.indent.is_empty() {
            parse::common_line(text)
        } else {
            None
        };
        let done = match common {
            Some(packet) => self.start(text, None, Pending::Ready(RecordKind::Tcp(packet))),
            None => self.push_slow(text),
        };
        self.previous = text.len();
        done
    }

    /// A line that is not the common packet line.
    fn push_slow(&mut self, text: &str) -> Option<Record> {
        // A pasted block's lines are read without the indentation they share.
        let body = text.strip_prefix(self.indent.as_str()).unwrap_or(text);
        let shift = text.len().saturating_sub(body.len());
        if self.joins(body) {
            return None;
        }
        // (A wrapped piece may lack the block's indentation; any other line
        // without it ends the block.)
        if shift == 0 {
            self.indent.clear();
        }
        // A `-v` header line's transport line, even pasted without its indentation.
        if self
            .open
            .as_ref()
            .is_some_and(|o| matches!(o.pending, Pending::NeedsTransport(_)))
            && parse::timestamp(body.trim_start()).is_err()
        {
            if let Some(open) = &mut self.open {
                open.add(self.line_no, body);
            }
            return None;
        }
        if paste::is_tshark(body) {
            let tshark = OtherText {
                kind: TextKind::Tshark,
                text: text.to_string(),
            };
            return self.start(
                text,
                Some(body),
                Pending::Ready(RecordKind::OtherText(Box::new(tshark))),
            );
        }
        if let Some(pending) = parse::read_head(self.line_no, body) {
            if let Pending::Ready(RecordKind::Banner(b)) = &pending {
                self.snaplen = snaplen(&b.text).or(self.snaplen);
            }
            return self.start(text, Some(body), relocated(pending, text, shift));
        }
        let mut continuation = self.continuation(body);
        if let Continuation::Dump(bytes) = continuation {
            continuation = self.ascii_dump(body, bytes);
        }
        if let (Continuation::Decoded(bytes), Some(open)) = (&continuation, &mut self.open) {
            open.more_of().payload = Some(Payload { left: *bytes });
            let _ = open.takes_payload(body);
            continuation = Continuation::Part;
        }
        match continuation {
            Continuation::Part => {
                if let Some(open) = &mut self.open {
                    open.add(self.line_no, body);
                }
                return None;
            }
            Continuation::Nested(quoted, nested) => {
                let done = self.open.take().map(Open::close);
                // (A nested packet's lines are kept whenever any text is: read
                // again alone, they would not parse as they did here.)
                let keep = KeepText {
                    segments: self.keep.segments || self.keep.others,
                    ..self.keep
                };
                let mut open = Open::new(self.line_no, text, Some(body), nested, keep);
                open.more_of().nested = Some(quoted);
                self.open = Some(open);
                return done;
            }
            Continuation::Not | Continuation::Dump(_) | Continuation::Decoded(_) => {}
        }
        // A head line behind a decoration: indentation, a list marker, a prompt.
        for cut in paste::cuts(body) {
            let Some(line) = body.get(cut..) else {
                continue;
            };
            let Some(pending) = parse::read_head(self.line_no, line) else {
                continue;
            };
            let decoration = body.get(..cut).unwrap_or_default();
            if paste::is_block_indent(decoration) {
                let indent = text.len().saturating_sub(line.len());
                self.indent = text.get(..indent).unwrap_or_default().to_string();
            } else {
                // A list marker or a prompt: the record's other lines are
                // indented to where its text starts (as in a Markdown list).
                let under: String = decoration
                    .chars()
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                self.indent.push_str(&under);
            }
            let shift = text.len().saturating_sub(line.len());
            return self.start(text, Some(line), relocated(pending, text, shift));
        }
        // Not tcpdump's: a kind of text, or a damaged packet line.
        let pending = match paste::classify(text) {
            Some(kind) => Pending::Ready(RecordKind::OtherText(Box::new(OtherText {
                kind,
                text: text.to_string(),
            }))),
            None => parse::parse_head(self.line_no, text),
        };
        self.start(text, Some(text), pending)
    }

    /// Opens a record with `pending` as its head (`source`: the text the
    /// grammar read, when it came the slow way); returns the record it ends.
    #[inline]
    fn start(&mut self, text: &str, source: Option<&str>, pending: Pending) -> Option<Record> {
        let done = self.open.take().map(Open::close);
        self.open = Some(Open::new(self.line_no, text, source, pending, self.keep));
        done
    }

    /// What `body` (a line that is not a head line) is to the open record.
    fn continuation(&mut self, body: &str) -> Continuation {
        let line_no = self.line_no;
        let Some(open) = &mut self.open else {
            return Continuation::Not;
        };
        let indented = body.starts_with([' ', '\t']);
        match &open.pending {
            // The transport line of a `-v` header line.
            Pending::NeedsTransport(_) => Continuation::Part,
            // (An ICMP error quotes indented lines; at the left margin, a line is something else.)
            Pending::Ready(RecordKind::Tcp(p)) if p.quoted => match indented
                .then(|| parse::nested(line_no, body, true))
                .flatten()
            {
                Some(nested) => Continuation::Nested(true, nested),
                None if indented && !timestamped_head(body) => Continuation::Part,
                None => Continuation::Not,
            },
            Pending::Ready(RecordKind::Tcp(p)) => {
                if dump::is_dump_line(body) {
                    return Continuation::Part;
                }
                // A decoder's lines follow a segment that carries data:
                // indented (`-v`), at the left margin for NetBIOS/SMB, and a
                // decoder's `[|name]` when it ran out of bytes.
                let margin = [139, 445].iter().any(|&port| {
                    p.src.port_number() == Some(port) || p.dst.port_number() == Some(port)
                });
                let decoded = p.payload_len() > 0 || !p.continuation.is_empty();
                if decoded && (indented || margin || body.starts_with("[|")) {
                    // A text protocol's lines (`HTTP, length: 77`) are its
                    // payload's, whatever they say; others end at a packet line.
                    if p.continuation.is_empty() {
                        if let Some(bytes) = text_protocol_bytes(p) {
                            return Continuation::Decoded(bytes);
                        }
                    }
                    return if timestamped_head(body) {
                        Continuation::Not
                    } else {
                        Continuation::Part
                    };
                }
                if indented {
                    return Continuation::Not;
                }
                Continuation::Dump(dump_bytes(p))
            }
            Pending::Ready(RecordKind::Other(o)) => {
                // (tcpdump indents a header an ICMP error quotes, and a tunnel's
                // inner packet; at the left margin, a line is something else.)
                let icmp = o.protocol.as_deref().is_some_and(|p| p.starts_with("ICMP"));
                if let Some(nested) = indented
                    .then(|| parse::nested(line_no, body, icmp))
                    .flatten()
                {
                    return Continuation::Nested(icmp, nested);
                }
                if dump::is_dump_line(body) || body.starts_with("[|") {
                    return Continuation::Part;
                }
                if indented {
                    return if timestamped_head(body) {
                        Continuation::Not
                    } else {
                        Continuation::Part
                    };
                }
                Continuation::Dump(other_bytes(&o.text))
            }
            // A damaged head line's own continuation lines.
            Pending::Ready(RecordKind::Unparsed(_)) if indented && !timestamped_head(body) => {
                Continuation::Part
            }
            Pending::Ready(_) => Continuation::Not,
        }
    }

    /// Starts the open packet's `-A` dump with `body`, when it is one; `bytes`:
    /// the most the dump can hold.
    fn ascii_dump(&mut self, body: &str, bytes: usize) -> Continuation {
        let Some(open) = &mut self.open else {
            return Continuation::Not;
        };
        if !(ascii_dump_start(body) || self.ascii_dumps && open.lines == 1) {
            return Continuation::Not;
        }
        self.ascii_dumps = true;
        let left = bytes.min(self.snaplen.unwrap_or(usize::MAX));
        open.more_of().payload = Some(Payload { left });
        let _ = open.takes_payload(body);
        Continuation::Part
    }

    /// Joins `body` to the open record's head line when that line was cut
    /// short by wrapping and `body` carries it on (a mail client, a book or a
    /// terminal broke it); true when it did.
    fn joins(&mut self, body: &str) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        let candidate = match &open.pending {
            Pending::Ready(RecordKind::Unparsed(d)) => d.column > 1,
            // A line cut before its TCP text could be recognised (`src > dst:`,
            // `… > …: .`), or before its end.
            Pending::Ready(RecordKind::Other(o)) => o.continuation.is_empty(),
            // An old-format line may end before its options, `(DF)`; any line before its length.
            Pending::Ready(RecordKind::Tcp(p)) => {
                !p.quoted
                    && p.dump.is_empty()
                    && p.continuation.is_empty()
                    && (p.length.is_none() || p.format != crate::model::TcpFormat::Modern)
            }
            _ => false,
        };
        let fragment = body.trim();
        if !candidate || open.lines >= MAX_PIECES || fragment.is_empty() || is_record(fragment) {
            return false;
        }
        // The line to carry on: a `-v` record's transport line, or its head line.
        let pasted = open.more_of.as_deref();
        let header = pasted.and_then(|p| p.header.as_ref());
        let Some(head) = header.map(|(_, line)| line.clone()).or_else(|| open.head()) else {
            return false;
        };
        let header = header.map(|(header, _)| header);
        if head.len().saturating_add(fragment.len()) >= MAX_JOINED {
            return false;
        }
        // (Into the piece's first word: a few characters of it, or all of a short one.)
        let first_word = fragment.split_whitespace().next().unwrap_or("");
        let read_to = head.trim_end().chars().count() + first_word.chars().count().min(4);
        // Broken at a space (mail, books), or inside a word (terminals).
        let spaced = format!("{} {fragment}", head.trim_end());
        let glued = format!("{head}{}", body.trim_end());
        let line_no = open.line.saturating_add(u64::from(header.is_some()));
        let nested = pasted.and_then(|p| p.nested);
        let read = |joined: &str| match (header, nested) {
            (Some(header), _) => {
                let mut pending = header.clone();
                pending.add_continuation(line_no, joined);
                Some(pending)
            }
            (None, Some(quoted)) => parse::nested(line_no, joined, quoted),
            (None, None) => parse::read_head(line_no, joined),
        };
        let was = &open.pending;
        // A packet line cut short may be another protocol's; another
        // protocol's line is cut when it ends as tcpdump never ends one, or
        // near where the paste's lines are wrapped. (An unindented piece
        // only: another protocol's indented lines are its own.)
        let wrapped_other = match was {
            Pending::Ready(RecordKind::Other(o)) => {
                (looks_cut(&o.text) || self.previous.saturating_add(20) >= self.longest)
                    && !body.starts_with([' ', '\t'])
            }
            Pending::Ready(RecordKind::Unparsed(_)) => true,
            _ => false,
        };
        let Some((joined, pending)) = [spaced, glued].into_iter().find_map(|joined| {
            let pending = read(&joined)?;
            let takes = match was {
                Pending::Ready(RecordKind::Tcp(_)) => consumes(&pending, fragment),
                _ => carries_on(&pending, &joined, read_to, wrapped_other),
            };
            takes.then_some((joined, pending))
        }) else {
            return false;
        };
        let Some(open) = &mut self.open else {
            return false;
        };
        open.pending = pending;
        let more_of = open.more_of();
        match &mut more_of.header {
            Some((_, line)) => *line = joined,
            None => more_of.joined = Some(joined),
        }
        open.lines = open.lines.saturating_add(1);
        open.keep_line(body);
        true
    }
}

/// After a join, is the record whole, or still cut short at its very end
/// (the joined line is a middle piece)? Either way the piece was read.
/// (`read_to`: how far into `joined` the parse must have come, in characters.)
fn carries_on(pending: &Pending, joined: &str, read_to: usize, wrapped_other: bool) -> bool {
    match pending {
        Pending::Ready(RecordKind::Tcp(_)) | Pending::NeedsTransport(_) => true,
        // Read into the piece's first word, and stopped in its last few
        // (`options`, `[mss`, `ecr`, `fd91::1.56738 >`) or in a list it opened
        // and did not close (`<mss 1460,sackOK`).
        Pending::Ready(RecordKind::Unparsed(d)) => {
            let at = usize::try_from(d.column)
                .unwrap_or(usize::MAX)
                .saturating_sub(1);
            let rest: String = joined.chars().skip(at).collect();
            let rest = rest.trim().trim_start_matches([',', ' ']);
            let close = match rest.chars().next() {
                Some('[') => Some(']'),
                Some('<') => Some('>'),
                Some('{') => Some('}'),
                Some('(') => Some(')'),
                _ => None,
            };
            let open_list = close.is_some_and(|c| !rest.contains(c));
            at > read_to && (open_list || rest.split_whitespace().count() <= 3)
        }
        // Still `src > dst:` and nothing after it; or another protocol's
        // line, now ending as tcpdump ends one.
        Pending::Ready(RecordKind::Other(o)) => {
            o.icmp.is_none() && o.text.trim_end().ends_with(':') || wrapped_other
        }
        Pending::Ready(_) => false,
    }
}

/// Does a line read as a record by itself (then it carries no line before it
/// on): it starts with a time, or reads as a record, behind its decorations too.
fn is_record(line: &str) -> bool {
    let reads = |line: &str| {
        parse::timestamp(line).is_ok()
            || parse::read_head(0, line)
                .is_some_and(|p| !matches!(p, Pending::Ready(RecordKind::Unparsed(_))))
    };
    reads(line)
        || paste::cuts(line)
            .into_iter()
            .any(|cut| line.get(cut..).is_some_and(reads))
}

/// Does another protocol's line end before tcpdump ends one (with a length,
/// a number, a count in brackets)?
fn looks_cut(text: &str) -> bool {
    !text
        .trim_end()
        .ends_with(|c: char| c.is_ascii_digit() || matches!(c, ')' | ']'))
}

/// A segment read whole before: does the joined line read the piece as its
/// fields (options, a length), not as text after them?
fn consumes(pending: &Pending, fragment: &str) -> bool {
    match pending {
        Pending::Ready(RecordKind::Tcp(p)) => {
            p.tail.as_deref().map_or(0, |t| t.trim().len()) < fragment.len()
                && p.length_note.is_none()
        }
        _ => false,
    }
}

/// Moves a diagnostic of `line`'s text (read `shift` bytes in) to the whole line.
fn relocated(pending: Pending, line: &str, shift: usize) -> Pending {
    match pending {
        Pending::Ready(RecordKind::Unparsed(mut d)) if shift > 0 => {
            let chars = line.get(..shift).map_or(0, |s| s.chars().count());
            d.column = d
                .column
                .saturating_add(u32::try_from(chars).unwrap_or(u32::MAX));
            d.text = line.to_string();
            Pending::Ready(RecordKind::Unparsed(d))
        }
        pending => pending,
    }
}

/// A line that starts with a timestamp and reads as a packet line (whole or
/// damaged): a record of its own even when indented (a decoder never starts
/// a line so).
fn timestamped_head(body: &str) -> bool {
    let line = body.trim_start();
    parse::timestamp(line).is_ok() && parse::read_head(0, line).is_some()
}

/// The bytes a text protocol's `-v` lines can hold: the length its decoder
/// names (`…: HTTP, length: 77`), when it names one.
fn text_protocol_bytes(p: &TcpPacket) -> Option<usize> {
    let (_, length) = p.tail.as_deref()?.rsplit_once(", length: ")?;
    let digits = length.bytes().take_while(u8::is_ascii_digit).count();
    length.get(..digits)?.parse().ok()
}

/// Does this line start an `-A` dump (the packet's IP header, or with `-AA`
/// its link-layer header, printed as text: `E..<..@.@.`)? A non-printable
/// byte shows as `.`, and a header has many of them.
fn ascii_dump_start(line: &str) -> bool {
    let b = line.as_bytes();
    let dots = |n: usize| b.iter().take(n).filter(|&&c| c == b'.').count();
    // An IPv4 (`E`…`O`) or IPv6 (`` ` ``, `a`…`o`) header.
    let head = b.len().min(20);
    let ip = b
        .first()
        .is_some_and(|&c| matches!(c, b'E'..=b'O' | b'`' | b'a'..=b'o'))
        && dots(head) >= 2
        && dots(head) * 3 >= head;
    // A link-layer header (`-AA`), or another protocol's packet: mostly unprintable bytes.
    let link = b.len() >= 12 && dots(14) >= 6 && !b.iter().take(3).any(|&c| c == b' ');
    ip || link
}

/// The most bytes an `-A` dump of `p` can hold: its IP packet (from the `-v`
/// header's length, or the headers' usual sizes and its payload) and a
/// link-layer header (`-AA`).
fn dump_bytes(p: &TcpPacket) -> usize {
    // (A tunnel's packet is dumped with its outer headers.)
    let link = if p.inner_prefix.is_some() { 160 } else { 20 };
    if let Some(total) = p.ip_header.as_ref().and_then(|h| h.length) {
        let ip6_header = if p.ip == crate::model::IpVersion::V6 {
            40
        } else {
            0
        };
        return usize::try_from(total)
            .unwrap_or(usize::MAX)
            .saturating_add(ip6_header + link);
    }
    let ip = if p.ip == crate::model::IpVersion::V6 {
        40
    } else {
        20
    };
    let options: usize = p
        .options
        .iter()
        .map(|o| match o {
            TcpOption::Nop | TcpOption::Eol => 1,
            TcpOption::SackOk => 2,
            TcpOption::Wscale { .. } => 3,
            TcpOption::Mss { .. } => 4,
            TcpOption::Timestamp { .. } => 10,
            TcpOption::Sack { blocks } => 2 + 8 * blocks.len(),
            TcpOption::Other { .. } => 40,
        })
        .sum();
    let tcp = 20 + options.min(40).next_multiple_of(4);
    let payload = usize::try_from(p.payload_len()).unwrap_or(usize::MAX);
    payload.saturating_add(ip + tcp + link)
}

/// The most bytes an `-A` dump of another protocol's packet can hold: the
/// first length its line gives (`length N`, or `(N)` at its end), and the
/// headers around it: a link-layer header, and a network and transport
/// header for each `src > dst` of the line (a tunnel prints two); an
/// Ethernet frame when it gives no length.
fn other_bytes(text: &str) -> usize {
    let number = |n: &str| -> Option<usize> {
        let digits = n.bytes().take_while(u8::is_ascii_digit).count();
        n.get(..digits)?.parse().ok()
    };
    let length = text
        .split_once("length ")
        .and_then(|(_, n)| number(n))
        .or_else(|| {
            let inner = text.trim_end().strip_suffix(')')?;
            number(inner.rsplit_once('(')?.1)
        })
        .unwrap_or(1500);
    let levels = text.matches(" > ").count();
    length.saturating_add(20 + 50 * levels)
}

/// The snapshot length a `listening on …` / `reading from …` banner gives.
fn snaplen(banner: &str) -> Option<usize> {
    let (_, after) = banner
        .split_once("capture size ")
        .or_else(|| banner.split_once("snapshot length "))?;
    after.split(' ').next()?.parse().ok()
}

impl Assembler {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes the grammar looks at while `text` is read, line by line.
    fn work(text: &str) -> u64 {
        parse::EXAMINED.with(|n| n.set(0));
        let mut assembler = Assembler::new();
        for line in text.split('\n') {
            let _ = assembler.push_line(line);
        }
        let _ = assembler.finish();
        parse::EXAMINED.with(std::cell::Cell::get)
    }

    /// Lines built to make a parser look at the same bytes again and again.
    fn hostile(unit: &str, n: usize) -> String {
        let head = "12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [P.], seq 1:100, ack 1, win 502, length 99\n";
        format!(
            "{head}12:00:00.000001 IP6 {}\n{}\n",
            unit.repeat(n),
            unit.repeat(n)
        )
    }

    #[test]
    fn reading_stays_linear_on_hostile_lines() {
        let units = [
            ":",
            " > :",
            ": S 1",
            ": . 1:",
            "Flags [",
            ": Flags [S",
            "[",
            "<",
            "(tos ",
            "1. ",
            "> ",
            "\t",
            "a.b > c.d: ",
            " win ",
            "0x0000: ",
            "E..<..@.@.",
        ];
        for unit in units {
            let small = work(&hostile(unit, 2_000));
            let big = work(&hostile(unit, 8_000));
            let bytes = hostile(unit, 8_000).len() as u64;
            assert!(
                big <= small * 9 / 2,
                "{unit:?}: {small} bytes looked at for 2,000 copies, {big} for 8,000"
            );
            assert!(
                big <= bytes * 64,
                "{unit:?}: {big} bytes looked at for {bytes}"
            );
        }
    }

    #[test]
    fn wrapped_pieces_are_bounded() {
        // A head line cut short, then a thousand pieces that each carry it on.
        let mut text =
            String::from("12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win");
        for _ in 0..1000 {
            text.push_str("\n [nop,nop");
        }
        let bytes = text.len() as u64;
        assert!(work(&text) <= bytes * 64, "{}", work(&text));
    }
}
