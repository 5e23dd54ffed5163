//! What a whole trace keeps of its items.
//!
//! A million segments' reports take 420 MB as items (a boxed 344-byte report
//! in an 80-byte item), and their explanations 250 MB more. So a trace keeps
//! its segments as the table of facts `to_arrow()` and `to_pandas()` show
//! ([`Table`], about 110 bytes a segment), its other items as they are, and
//! no explanation: those are written from the facts when asked. A report is
//! put back together from the table when asked: nothing is tracked again.
//! The whole list of items is built once, on first need (Python objects,
//! HTML, text, JSON Lines); the table never needs it.

use super::table::{Chunk, Clock, Printed, Table};
use crate::lang::Lang;
use crate::model::{Banner, Record, RecordKind};
use crate::track::report::SegmentReport;
use crate::track::Item;
use std::borrow::Cow;
use std::fs::File;
use std::sync::OnceLock;
use std::time::SystemTime;

/// Stands in for a segment's parsed record, which a whole trace does not keep.
pub(super) fn dropped() -> RecordKind {
    RecordKind::Banner(Banner {
        text: String::new(),
    })
}

/// An item on its way from the tracker to the trace that keeps it: a
/// segment's report out of its box (with what its line printed besides, its
/// record's number of lines, and the record when it is kept), or any other
/// item.
// (By value: the report's box is let go on the thread that made it.)
#[allow(clippy::large_enum_variant)]
pub(super) enum Entry {
    Segment(SegmentReport, Printed, u32, Option<Record>),
    Other(Item),
}

impl Entry {
    /// Lets go of what the trace will not keep, on the thread that tracked
    /// it: a segment's parsed record goes to `spare`, to be handed back for
    /// the next lines where they are parsed (see [`crate::spare`] and
    /// [`Entry::reuse`]); `clock` reads the times lines print, in order.
    pub(super) fn of(item: Item, clock: &mut Clock, spare: &mut Vec<Record>) -> Entry {
        match item {
            Item::Line {
                record,
                report: Some(report),
                ..
            } => {
                let lines = record.lines;
                let printed = match &record.kind {
                    RecordKind::Tcp(p) => {
                        let ts = p.timestamps();
                        Printed {
                            abs_time: p.prefix.timestamp.as_ref().map(|t| clock.seconds(t)),
                            tsval: ts.map(|t| t.0),
                            tsecr: ts.map(|t| t.1),
                            window_raw: p.win,
                        }
                    }
                    _ => Printed::default(),
                };
                // (A segment whose lines were kept, nested in a tunnel, keeps its record.)
                if record.text.is_empty() && matches!(record.kind, RecordKind::Tcp(_)) {
                    spare.push(record);
                    Entry::Segment(*report, printed, lines, None)
                } else {
                    Entry::Segment(*report, printed, lines, Some(record))
                }
            }
            other => Entry::Other(other),
        }
    }
}

impl Entry {
    /// Hands a spare record's packet back for the next line parsed on this
    /// thread (the pool of [`crate::spare`] keeps a few per thread: one is
    /// handed back before each line is read).
    pub(super) fn reuse(spare: &mut Vec<Record>) {
        if let Some(record) = spare.pop() {
            crate::spare::recycle_record(record);
        }
    }
}

/// What a whole trace keeps, as the items come out of the tracker.
#[derive(Default)]
pub(super) struct Kept {
    /// The language of the words (summaries and ICMP errors are written as
    /// they are kept; a segment's explanation when asked).
    pub(super) lang: Lang,
    pub(super) table: Table,
    /// The items that are not segments, each with its place among all items.
    pub(super) others: Vec<(usize, Item)>,
    segments: usize,
}

impl Kept {
    /// Keeps items whose words are in `lang`.
    pub(super) fn new(lang: Lang) -> Kept {
        Kept {
            lang,
            ..Kept::default()
        }
    }

    /// Keeps chunks of `rows` rows (see [`Table::with_rows`]).
    pub(super) fn with_rows(rows: usize, lang: Lang) -> Kept {
        Kept {
            table: Table::with_rows(rows),
            ..Kept::new(lang)
        }
    }

    pub(super) fn keep(&mut self, entry: Entry) {
        match entry {
            Entry::Segment(report, printed, lines, record) => {
                self.table.push(report, printed, lines, record);
                self.segments = self.segments.saturating_add(1);
            }
            Entry::Other(mut item) => {
                crate::explain::fill(&mut item, self.lang);
                let at = self.segments.saturating_add(self.others.len());
                self.others.push((at, item));
            }
        }
    }
}

/// The items of a trace, and the input they were read from.
pub(super) struct Items {
    /// The language of the words.
    pub(super) lang: Lang,
    table: Table,
    others: Vec<(usize, Item)>,
    /// Every item in order, built from the above on first need.
    all: OnceLock<Vec<Item>>,
    source: Option<Source>,
}

impl std::ops::Deref for Items {
    type Target = [Item];
    fn deref(&self) -> &[Item] {
        self.all.get_or_init(|| {
            let mut all = Vec::with_capacity(self.len());
            let mut others = self.others.iter().peekable();
            for (record, report) in self.segments() {
                while let Some((_, item)) = others.next_if(|(at, _)| *at == all.len()) {
                    all.push(item.clone());
                }
                all.push(Item::Line {
                    record,
                    report: Some(Box::new(report)),
                    icmp: None,
                });
            }
            all.extend(others.map(|(_, item)| item.clone()));
            all
        })
    }
}

impl Items {
    /// The items of a whole trace.
    pub(super) fn kept(kept: Kept, source: Source) -> Items {
        Items {
            lang: kept.lang,
            table: kept.table,
            others: kept.others,
            all: OnceLock::new(),
            source: Some(source),
        }
    }

    /// A few items of their own (the streaming explainer's: they keep their text).
    pub(super) fn of(list: Vec<Item>, lang: Lang) -> Items {
        Items {
            lang,
            table: Table::default(),
            others: Vec::new(),
            all: OnceLock::from(list),
            source: None,
        }
    }

    /// Number of items (without building them).
    pub(super) fn len(&self) -> usize {
        self.all.get().map_or_else(
            || self.table.len().saturating_add(self.others.len()),
            Vec::len,
        )
    }

    /// The table of a whole trace's segments.
    pub(super) fn table(&self) -> &Table {
        &self.table
    }

    /// The items of a whole trace that are not segments, each with its place
    /// among all items.
    pub(super) fn others(&self) -> impl Iterator<Item = &(usize, Item)> {
        self.others.iter()
    }

    /// The record and report of each segment of a whole trace, in order.
    fn segments(&self) -> impl Iterator<Item = (Record, SegmentReport)> + '_ {
        let flags = &self.table.flags;
        self.table.chunks.iter().flat_map(move |chunk: &Chunk| {
            (0..chunk.len()).map_while(move |row| {
                let report = chunk.report(row, flags)?;
                let record = chunk.record(row).cloned().unwrap_or_else(|| Record {
                    line: report.line,
                    lines: chunk.lines(row),
                    text: String::new(),
                    kind: dropped(),
                });
                Some((record, report))
            })
        })
    }

    /// Number of segments of a whole trace.
    pub(super) fn segment_rows(&self) -> usize {
        self.table.len()
    }

    /// The whole record of an item: a segment of a whole trace keeps neither
    /// its lines nor its parsed record, so they are read again from the
    /// source (`None` when its file has changed since it was read).
    pub(super) fn record<'a>(&self, record: &'a Record) -> Option<Cow<'a, Record>> {
        match &self.source {
            Some(source) if record.kind == dropped() => {
                let again = source.record(record.line, record.lines)?;
                Some(again.map_or(Cow::Borrowed(record), Cow::Owned))
            }
            _ => Some(Cow::Borrowed(record)),
        }
    }

    /// An item with its whole record (see [`Items::record`]), to be shown.
    pub(super) fn whole<'a>(&self, item: &'a Item) -> Cow<'a, Item> {
        match item {
            Item::Line { record, report, .. } => match self.record(record) {
                Some(Cow::Owned(record)) => Cow::Owned(Item::Line {
                    record,
                    report: report.clone(),
                    icmp: None,
                }),
                _ => Cow::Borrowed(item),
            },
            Item::Connection(_) => Cow::Borrowed(item),
        }
    }
}

/// The input of a whole trace: a text kept whole, or a file, read again when
/// asked (a million segments keeping their own lines cost the parsing thread
/// a fifth more time). A segment's lines are read again from here when asked.
pub(super) struct Source {
    bytes: Box<dyn AsRef<[u8]> + Send + Sync>,
    /// The file the lines are read again from, as it was when first read.
    file: Option<Stamp>,
    /// Where each line starts, found on first use.
    line_starts: OnceLock<Vec<u64>>,
}

/// A file, and what tells whether it has changed since it was first read:
/// its length, its times of modification and of status change (a program
/// can set the first back, not the second: writing a file changes its
/// status change time whatever its modification time is made to say), and
/// which file it is.
struct Stamp {
    file: File,
    seen: Option<Seen>,
}

#[derive(PartialEq, Eq, Debug)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    /// Status change time (s, ns), device and inode.
    #[cfg(unix)]
    changed: (i64, i64, u64, u64),
}

impl Seen {
    fn of(file: &File) -> Option<Seen> {
        let meta = file.metadata().ok()?;
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Some(Seen {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec(), meta.dev(), meta.ino()),
        })
    }
}

impl Stamp {
    fn unchanged(&self) -> bool {
        self.seen.is_some() && Seen::of(&self.file) == self.seen
    }

    /// `len` bytes from `at` (short if the file is).
    fn read(&self, at: u64, len: usize) -> Option<Vec<u8>> {
        let mut bytes = vec![0; len];
        let mut done = 0;
        while done < len {
            let n = read_at(
                &self.file,
                bytes.get_mut(done..)?,
                at.saturating_add(done as u64),
            )
            .ok()?;
            if n == 0 {
                break;
            }
            done = done.saturating_add(n);
        }
        bytes.truncate(done);
        Some(bytes)
    }

    /// Where each line of the file starts.
    fn line_starts(&self) -> Vec<u64> {
        let mut starts = vec![0];
        let mut block = vec![0u8; 1 << 20];
        let mut at = 0u64;
        while let Ok(n @ 1..) = read_at(&self.file, &mut block, at) {
            let read = block.get(..n).unwrap_or_default();
            starts
                .extend(memchr::memchr_iter(b'\n', read).map(|i| at.saturating_add(i as u64 + 1)));
            at = at.saturating_add(n as u64);
        }
        starts
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

impl Source {
    pub(super) fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Source {
        Source {
            bytes: Box::new(bytes),
            file: None,
            line_starts: OnceLock::new(),
        }
    }

    /// A file, its lines to be read again from it when asked (`None` when it
    /// cannot be stamped). Made before the file is read, so that a change
    /// while it is read is noticed too.
    pub(super) fn file(file: &File) -> Option<Source> {
        let seen = Seen::of(file)?;
        Some(Source {
            bytes: Box::new(Vec::new()),
            file: Some(Stamp {
                file: file.try_clone().ok()?,
                seen: Some(seen),
            }),
            line_starts: OnceLock::new(),
        })
    }

    /// The record on `lines` lines from line `line`, read again as at first
    /// (`Some(None)` when there is no such record; `None` when the file has
    /// changed since it was read).
    fn record(&self, line: u64, lines: u32) -> Option<Option<Record>> {
        let first = usize::try_from(line.checked_sub(1)?).ok()?;
        let Some(stamp) = &self.file else {
            let bytes = (*self.bytes).as_ref();
            let starts = self.line_starts.get_or_init(|| {
                std::iter::once(0)
                    .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i as u64 + 1))
                    .collect()
            });
            let (start, end) = span(starts, first, lines, bytes.len() as u64);
            let again = bytes.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?);
            return Some(again.and_then(|b| read_record(b, line)));
        };
        if !stamp.unchanged() {
            return None;
        }
        let starts = self.line_starts.get_or_init(|| stamp.line_starts());
        let (start, end) = span(starts, first, lines, stamp.seen.as_ref()?.len);
        let bytes = stamp.read(start, usize::try_from(end.checked_sub(start)?).ok()?)?;
        // (Read back, it must still be the segment it was: changed otherwise,
        // whatever the file's times say.)
        let record = read_record(&bytes, line)?;
        let same = matches!(record.kind, RecordKind::Tcp(_)) && record.lines == lines;
        (same && stamp.unchanged()).then_some(Some(record))
    }
}

/// Where the record of `lines` lines from line index `first` starts and ends.
fn span(starts: &[u64], first: usize, lines: u32, len: u64) -> (u64, u64) {
    let start = starts.get(first).copied().unwrap_or(len);
    let end = starts
        .get(first.saturating_add(lines as usize))
        .copied()
        .unwrap_or(len);
    (start, end.max(start))
}

/// The first record of `bytes`, numbered from `line`.
fn read_record(bytes: &[u8], line: u64) -> Option<Record> {
    let mut record = crate::RecordReader::new(bytes).next_record().ok()??;
    record.line = line;
    Some(record)
}
