//! tcpexplain: reads tcpdump's text output and explains the TCP conversations in it.
//!
//! One real line, the SYN that opens the connection of the article's
//! 3-segment close:
//!
//! ```
//! let line = "12:43:46.905723 IP 172.16.196.142.41334 > 172.16.196.145.60000: Flags [S], \
//!             seq 3255498564, win 14600, options [mss 1460,sackOK,TS val 1412272238 ecr 0,nop,wscale 7], length 0";
//! let items = tcpexplain::explain(line);
//! let tcpexplain::Item::Line { report: Some(syn), .. } = &items[0] else { unreachable!() };
//! assert_eq!(syn.from, tcpexplain::Role::Client);
//! assert_eq!((syn.seq, syn.seq_raw), (Some(0), Some(3255498564)));
//! assert_eq!(syn.state.client, tcpexplain::TcpState::SynSent);
//! assert_eq!(syn.state.server, tcpexplain::TcpState::Listen);
//! assert_eq!(
//!     syn.text,
//!     "Client → server: SYN, asking to open a connection; initial sequence number 3255498564 \
//!      (relative 0). It offers MSS 1460 (largest segment it accepts), SACK permitted, timestamps, \
//!      window scale 7 (its windows count in units of 128). Now: client CLOSED → SYN_SENT \
//!      (sent SYN: active open), server LISTEN."
//! );
//! // No answer is in the input: whether the SYN reached a listening socket is
//! // unknown, so the server keeps the LISTEN it was assumed in.
//! // The connection is summarised at the end of the input.
//! let tcpexplain::Item::Connection(summary) = &items[1] else { unreachable!() };
//! assert_eq!(summary.conn_state, "S0");
//! ```
//!
//! The API in brief:
//!
//! - [`parse_line`] reads one line into a [`Record`]'s kind (a [`TcpPacket`],
//!   another protocol, a tcpdump message, or a [`Diagnostic`]); [`RecordReader`]
//!   reads records from any `BufRead`, continuation lines attached.
//! - [`Explainer`] takes lines one at a time (`push_line`), and gives
//!   [`Item`]s as they are settled (`next_item`): a [`SegmentReport`] per TCP
//!   line, a [`ConnectionSummary`] per connection. [`explain()`] does it for a
//!   whole text.
//! - [`render`] turns items into text, JSON Lines, JSON, Markdown, HTML or
//!   ladder diagrams.
//! - [`spare::recycle`] hands an item back once it is written, so that the next
//!   lines are built in its boxes (what the command does; optional).
//!
//! The layers: [`parse`] (the grammar: lines into [`model`] records) →
//! [`track`] (connections, sequence numbers, states, events) → [`mod@explain`]
//! (facts into words) → [`render`] (text, JSON, Markdown, HTML). The command
//! line and the Python module are thin faces over [`Explainer`].
#![deny(rustdoc::broken_intra_doc_links)]
// Library code must not panic on input: no unwrap/expect/indexing/panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod explain;
#[cfg(feature = "cli")]
pub mod input;
pub mod lang;
pub mod model;
pub mod parse;
#[cfg(feature = "python")]
mod python;
pub mod reader;
pub mod render;
pub mod seq;
pub mod spare;
pub mod track;

pub use lang::Lang;
pub use model::{Diagnostic, Record, RecordKind, TcpPacket};
pub use parse::parse_line;
pub use reader::{Assembler, RecordReader};
pub use seq::SeqNumber;
pub use track::report::{ConnectionSummary, Event, EventKind, Role, SegmentReport};
pub use track::state::TcpState;
pub use track::{Item, Options, Tracker};

/// Lines in, explained items out: the whole engine behind every face.
pub struct Explainer {
    assembler: Assembler,
    tracker: Tracker,
    /// The language of the words, when they are written as items come out.
    words: Option<Lang>,
}

impl Default for Explainer {
    fn default() -> Explainer {
        Explainer::with_options(Options::default())
    }
}

impl Explainer {
    pub fn new() -> Explainer {
        Explainer::default()
    }

    pub fn with_options(options: Options) -> Explainer {
        Explainer {
            // Without reports nothing shows the input text, so it is not kept.
            assembler: match (options.reports, options.segment_text) {
                (false, _) => Assembler::without_text(),
                (true, false) => Assembler::without_segment_text(),
                (true, true) => Assembler::new(),
            },
            tracker: Tracker::new(options),
            words: options.explanations.then_some(options.lang),
        }
    }

    /// Feeds one input line (without its newline).
    pub fn push_line(&mut self, line: &str) {
        if let Some(record) = self.assembler.push_line(line) {
            self.tracker.feed(record);
        }
    }

    /// Feeds a line that was cut at [`reader::MAX_LINE`] bytes: it is reported as
    /// a diagnostic instead of being read short.
    pub fn push_cut_line(&mut self, line: &str) {
        if let Some(record) = self.assembler.push_cut_line(line) {
            self.tracker.feed(record);
        }
    }

    /// Feeds a line as [`reader::read_line`] returned it (`cut`: longer than the limit).
    pub fn push_read_line(&mut self, bytes: &[u8], cut: bool) {
        let text = reader::decode(bytes);
        if cut {
            self.push_cut_line(&text);
        } else {
            self.push_line(&text);
        }
    }

    /// Number of input lines fed so far.
    pub fn lines_seen(&self) -> u64 {
        self.assembler.lines_seen()
    }

    /// Feeds one record that was read elsewhere.
    pub fn push_record(&mut self, record: Record) {
        self.tracker.feed(record);
    }

    /// The input paused (live use): release what is held, assuming delivery on arrival.
    pub fn flush(&mut self) {
        if let Some(record) = self.assembler.flush() {
            self.tracker.feed(record);
        }
        self.tracker.flush();
    }

    /// The input ended: release everything and summarise every connection.
    pub fn finish(&mut self) {
        if let Some(record) = self.assembler.finish() {
            self.tracker.feed(record);
        }
        self.tracker.finish();
    }

    /// The next explained item, once it is settled.
    #[inline]
    pub fn next_item(&mut self) -> Option<Item> {
        if let Some(lang) = self.words {
            // (In place: an item is moved once, out of the queue; and out of
            // line, so that this stays small enough to inline.)
            explain::fill(self.tracker.peek_item()?, lang);
        }
        self.tracker.next_item()
    }
}

/// Explains a whole text at once.
///
/// ```
/// let items = tcpexplain::explain("12:43:46.905723 IP 10.0.0.1.41334 > 10.0.0.2.80: Flags [S], seq 3255498564, win 14600, options [mss 1460], length 0");
/// let tcpexplain::Item::Line { report: Some(report), .. } = &items[0] else { panic!() };
/// assert_eq!(report.state.client, tcpexplain::TcpState::SynSent);
/// assert!(report.text.starts_with("Client → server: SYN"));
/// ```
pub fn explain(text: &str) -> Vec<Item> {
    explain_with(text, Options::default())
}

/// Explains a whole text with the given limits.
pub fn explain_with(text: &str, options: Options) -> Vec<Item> {
    let mut explainer = Explainer::with_options(options);
    let mut items = Vec::new();
    for line in text.lines() {
        explainer.push_line(line);
        items.extend(std::iter::from_fn(|| explainer.next_item()));
    }
    explainer.finish();
    items.extend(std::iter::from_fn(|| explainer.next_item()));
    items
}
