//! What a whole trace keeps of its items.
//!
//! A million segments' reports take 420 MB as items (a boxed 344-byte report
//! in an 80-byte item); writing that much fresh memory was most of what
//! `explain_file()` cost. So a trace keeps its segments as the table that
//! `to_pandas()` shows ([`Columns`]) and their explanations, with the
//! acknowledgments and the fields that few segments fill ([`Rare`]) apart,
//! and its other items as they are. A report is put back together from
//! those when asked: nothing is computed again. The whole list of items is
//! built once, on first need (Python objects, HTML, text, JSON Lines); the
//! table never needs it.

use super::columns::{Columns, TextChunk, Texts};
use crate::model::{Banner, Record, RecordKind};
use crate::track::report::{Acked, Event, Offer, SegmentReport, Transition};
use crate::track::Item;
use std::borrow::Cow;
use std::fs::File;
use std::sync::OnceLock;
use std::time::SystemTime;

/// The fields of a segment's report that most segments leave empty, and its
/// record when it keeps one (a segment nested in a tunnel keeps its lines).
#[derive(Default)]
struct Rare {
    events: Vec<Event>,
    transitions: Vec<Transition>,
    offer: Option<Offer>,
    sack: Vec<(u32, u32)>,
    peer_fin_unacked: Option<u64>,
    handshake_rtt: Option<f64>,
    notes: Vec<crate::track::report::Inference>,
    text: String,
    record: Option<Record>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.transitions.is_empty()
            && self.offer.is_none()
            && self.sack.is_empty()
            && self.peer_fin_unacked.is_none()
            && self.handshake_rtt.is_none()
            && self.notes.is_empty()
            && self.text.is_empty()
            && self.record.is_none()
    }
}

/// Values of some rows, each with its row, in order.
type Sparse<T> = Vec<(usize, T)>;

/// Stands in for a segment's parsed record, which a whole trace does not keep.
pub(super) fn dropped() -> RecordKind {
    RecordKind::Banner(Banner {
        text: String::new(),
    })
}

/// An item on its way from the tracker to the trace that keeps it: a
/// segment's report out of its box (with its record's number of lines, and
/// the record when it is kept), or any other item.
// (By value: the report's box is let go on the thread that made it.)
#[allow(clippy::large_enum_variant)]
pub(super) enum Entry {
    Segment(SegmentReport, u32, Option<Record>),
    Other(Item),
}

impl Entry {
    /// Lets go of what the trace will not keep (a segment's parsed packet is
    /// handed back for the next lines: see [`crate::spare`]), on the thread
    /// that tracked it.
    pub(super) fn of(item: Item) -> Entry {
        match item {
            Item::Line {
                record,
                report: Some(report),
                ..
            } => {
                let lines = record.lines;
                // (A segment whose lines were kept, nested in a tunnel, keeps its record.)
                if record.text.is_empty() && matches!(record.kind, RecordKind::Tcp(_)) {
                    crate::spare::recycle_record(record);
                    Entry::Segment(*report, lines, None)
                } else {
                    Entry::Segment(*report, lines, Some(record))
                }
            }
            other => Entry::Other(other),
        }
    }
}

/// What a whole trace keeps, as the items come out of the tracker.
#[derive(Default)]
pub(super) struct Kept {
    /// The table, and the explanations, written while each report is at hand.
    columns: Columns,
    texts: Texts,
    /// The number of lines of each segment's record.
    lines: Vec<u32>,
    acked: Sparse<Acked>,
    rare: Sparse<Rare>,
    /// The items that are not segments, each with its place among all items.
    others: Vec<(usize, Item)>,
}

impl Kept {
    pub(super) fn keep(&mut self, entry: Entry) {
        match entry {
            Entry::Segment(report, lines, record) => {
                self.columns.push(&report);
                self.texts.push(&report);
                let row = self.lines.len();
                self.lines.push(lines);
                // (What the table holds is let go here.)
                if let Some(acked) = report.acked {
                    self.acked.push((row, acked));
                }
                let rare = Rare {
                    events: report.events,
                    transitions: report.transitions,
                    offer: report.offer,
                    sack: report.sack,
                    peer_fin_unacked: report.peer_fin_unacked,
                    handshake_rtt: report.handshake_rtt,
                    notes: report.notes,
                    text: report.text,
                    record,
                };
                if !rare.is_empty() {
                    self.rare.push((row, rare));
                }
            }
            Entry::Other(mut item) => {
                // (A connection's summary and an ICMP error's words.)
                crate::explain::fill(&mut item, crate::Lang::En);
                let at = self.lines.len().saturating_add(self.others.len());
                self.others.push((at, item));
            }
        }
    }
}

/// The items of a trace, and the input they were read from.
pub(super) struct Items {
    columns: Columns,
    texts: Vec<TextChunk>,
    lines: Vec<u32>,
    acked: Sparse<Acked>,
    rare: Sparse<Rare>,
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
            columns: kept.columns,
            texts: kept.texts.finish(),
            lines: kept.lines,
            acked: kept.acked,
            rare: kept.rare,
            others: kept.others,
            all: OnceLock::new(),
            source: Some(source),
        }
    }

    /// A few items of their own (the streaming explainer's: they keep their text).
    pub(super) fn of(list: Vec<Item>) -> Items {
        Items {
            columns: Columns::default(),
            texts: Vec::new(),
            lines: Vec::new(),
            acked: Vec::new(),
            rare: Vec::new(),
            others: Vec::new(),
            all: OnceLock::from(list),
            source: None,
        }
    }

    /// Number of items (without building them).
    pub(super) fn len(&self) -> usize {
        self.all.get().map_or_else(
            || self.lines.len().saturating_add(self.others.len()),
            Vec::len,
        )
    }

    /// The table of a whole trace's segments.
    pub(super) fn columns(&self) -> &Columns {
        &self.columns
    }

    /// The explanations of a whole trace's segments, in Arrow's layout.
    pub(super) fn texts(&self) -> &[TextChunk] {
        &self.texts
    }

    /// The items of a whole trace that are not segments, each with its place
    /// among all items.
    pub(super) fn others(&self) -> impl Iterator<Item = &(usize, Item)> {
        self.others.iter()
    }

    /// The record and report of each segment of a whole trace, in order.
    fn segments(&self) -> impl Iterator<Item = (Record, SegmentReport)> + '_ {
        let (mut acked, mut rare) = (self.acked.iter().peekable(), self.rare.iter().peekable());
        let none = Rare::default();
        (0..self.lines.len()).map_while(move |row| {
            let mut report = self.columns.report(row)?;
            report.acked = acked.next_if(|(r, _)| *r == row).map(|(_, a)| a.clone());
            let rare = rare.next_if(|(r, _)| *r == row).map_or(&none, |(_, r)| r);
            let record = rare.record.clone().unwrap_or_else(|| Record {
                line: report.line,
                lines: self.lines.get(row).copied().unwrap_or(1),
                text: String::new(),
                kind: dropped(),
            });
            report.events = rare.events.clone();
            report.transitions = rare.transitions.clone();
            report.offer = rare.offer.clone();
            report.sack = rare.sack.clone();
            report.peer_fin_unacked = rare.peer_fin_unacked;
            report.handshake_rtt = rare.handshake_rtt;
            report.notes = rare.notes.clone();
            report.text = rare.text.clone();
            Some((record, report))
        })
    }

    /// The reports of the segments of a whole trace, in order.
    pub(super) fn reports(&self) -> impl Iterator<Item = SegmentReport> + '_ {
        self.segments().map(|(_, report)| report)
    }

    /// Number of segments of a whole trace.
    pub(super) fn segment_rows(&self) -> usize {
        self.lines.len()
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
