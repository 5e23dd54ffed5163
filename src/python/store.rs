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
    notes: Vec<String>,
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
            Entry::Other(item) => {
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

/// The input of a whole trace, kept whole (a million segments keeping their
/// own lines cost the parsing thread a fifth more time). A segment's lines
/// are read again from here when asked.
pub(super) struct Source {
    bytes: Box<dyn AsRef<[u8]> + Send + Sync>,
    /// The file the bytes are mapped from, as it was when mapped.
    file: Option<Stamp>,
    /// Where each line starts, found on first use.
    line_starts: OnceLock<Vec<usize>>,
}

/// A file, and its length and time of change when it was read.
struct Stamp {
    file: File,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(file: &File) -> Option<Stamp> {
        let meta = file.metadata().ok()?;
        Some(Stamp {
            file: file.try_clone().ok()?,
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    fn unchanged(&self) -> bool {
        self.file
            .metadata()
            .is_ok_and(|m| m.len() == self.len && m.modified().ok() == self.modified)
    }
}

impl Source {
    pub(super) fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Source {
        Source {
            bytes: Box::new(bytes),
            file: None,
            line_starts: OnceLock::new(),
        }
    }

    /// A whole file, mapped (`None` when it cannot be).
    pub(super) fn map(file: &File) -> Option<Source> {
        let stamp = Stamp::of(file)?;
        let len = usize::try_from(stamp.len).ok()?;
        // (Not populated here: the reading thread's page faults cost less than
        // mapping the whole file first, on this thread, before it starts.)
        #[allow(unsafe_code)]
        // SAFETY: the map is only read. Were the file cut short by another
        // program while it is explained, reading past its new end would stop
        // the process (SIGBUS), as it does the command line's (see `cli.rs`).
        // Once explained, its lines are read again only while the file keeps
        // its length and time of change ([`Source::record`]).
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(file) }.ok()?;
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Source {
            bytes: Box::new(map),
            file: Some(stamp),
            line_starts: OnceLock::new(),
        })
    }

    pub(super) fn bytes(&self) -> &[u8] {
        (*self.bytes).as_ref()
    }

    /// The record on `lines` lines from line `line`, read again as at first
    /// (`Some(None)` when there is no such record; `None` when the file has
    /// changed since it was read).
    fn record(&self, line: u64, lines: u32) -> Option<Option<Record>> {
        if self.file.as_ref().is_some_and(|f| !f.unchanged()) {
            return None;
        }
        let bytes = self.bytes();
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i.saturating_add(1)))
                .collect()
        });
        let again = || {
            let first = usize::try_from(line.checked_sub(1)?).ok()?;
            let start = *starts.get(first)?;
            let end = starts
                .get(first.saturating_add(lines as usize))
                .map_or(bytes.len(), |&e| e);
            let mut record = crate::RecordReader::new(bytes.get(start..end)?)
                .next_record()
                .ok()??;
            record.line = line;
            Some(record)
        };
        Some(again())
    }
}
