//! Boxes reused from line to line. Every TCP line needs a boxed packet and,
//! when explained, a boxed report with its text; asking the allocator for
//! them and giving them back cost about 4% of a JSON Lines run. A face that
//! is done with an item hands it back ([`recycle`]), and the next lines are
//! built in its boxes. A few are kept per thread; without recycling, new
//! boxes are allocated as usual.

use crate::model::{Record, RecordKind, TcpPacket};
use crate::track::report::SegmentReport;
use crate::track::Item;
use std::cell::RefCell;

/// Boxes of each kind kept at most (a line needs one of each).
const KEEP: usize = 8;

/// Spare boxes (the boxes themselves are what is kept: `Vec<Box<_>>` on purpose).
#[allow(clippy::vec_box)]
type Spares<T> = RefCell<Vec<Box<T>>>;

thread_local! {
    static PACKETS: Spares<TcpPacket> = const { RefCell::new(Vec::new()) };
    static REPORTS: Spares<SegmentReport> = const { RefCell::new(Vec::new()) };
}

/// Gives an item's boxes back for reuse (an item of any kind may be given).
pub fn recycle(item: Item) {
    if let Item::Line { record, report, .. } = item {
        recycle_record(record);
        if let Some(report) = report {
            keep(&REPORTS, report);
        }
    }
}

/// Gives a record's packet box back for reuse.
pub(crate) fn recycle_record(record: Record) {
    recycle_kind(record.kind);
}

/// Gives a parsed record's packet box back for reuse.
pub(crate) fn recycle_kind(kind: RecordKind) {
    if let RecordKind::Tcp(packet) = kind {
        keep(&PACKETS, packet);
    }
}

fn keep<T>(spares: &'static std::thread::LocalKey<Spares<T>>, spare: Box<T>) {
    spares.with_borrow_mut(|s| {
        if s.len() < KEEP {
            s.push(spare);
        }
    });
}

/// `packet`, boxed (in a spare box when there is one).
pub(crate) fn packet(packet: TcpPacket) -> Box<TcpPacket> {
    match used_packet() {
        Some(mut spare) => {
            *spare = packet;
            spare
        }
        None => Box::new(packet),
    }
}

/// A spare packet box as it was last used, when there is one (for a reader
/// that renews it in place, keeping its buffers).
pub(crate) fn used_packet() -> Option<Box<TcpPacket>> {
    PACKETS.with_borrow_mut(Vec::pop)
}

/// `report`, boxed (in a spare box when there is one, whose text's buffer it
/// takes over: the explanation is written into it).
pub(crate) fn report(report: SegmentReport) -> Box<SegmentReport> {
    match REPORTS.with_borrow_mut(Vec::pop) {
        Some(mut spare) => {
            let mut text = std::mem::take(&mut spare.text);
            text.clear();
            *spare = report;
            spare.text = text;
            spare
        }
        None => Box::new(report),
    }
}
