//! Whole-document formats: JSON (one array), Markdown (for an issue or a blog)
//! and a standalone HTML page (no scripts, every input string escaped), and
//! the ladder diagrams of `--diagram`.
//!
//! They are written as the items come ([`Document`]), so that memory stays
//! bounded however long the input: a JSON array is written element by
//! element. Markdown, HTML and diagrams show each connection's lines
//! together, so the rows of a connection not yet written are rendered as its
//! items come and kept as text in a [`Spool`], which moves to a temporary
//! file once the spools hold more than [`SPOOL_MEMORY`] bytes (the output's
//! own text is kept, never the items). Connections are written in order of
//! first appearance (diagrams: as each ends).

use super::labels::{self, capitalized, Label};
use super::{diagram, jsonl, sanitize, tsg};
use crate::lang::Lang;
use crate::model::RecordKind;
use crate::track::report::{ConnectionSummary, Role, SegmentReport};
use crate::track::Item;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

pub use super::escape;

/// Items of one or more inputs, each named (`name`, items).
pub type Sections<'a> = [(&'a str, &'a [Item])];

/// All items as one JSON array of the JSON Lines objects (with a `file` field
/// when there are several inputs).
pub fn json(sections: &Sections<'_>) -> String {
    whole(DocumentKind::Json, sections, "", Lang::En)
}

/// Markdown: per input (a heading when there are several), per connection a
/// table of its lines, its summary and its diagram; then lines that were not TCP.
pub fn markdown(sections: &Sections<'_>, lang: Lang) -> String {
    whole(DocumentKind::Markdown, sections, "", lang)
}

/// A standalone HTML page: per input (a heading when there are several), per
/// connection its summary, its ladder diagram and time-sequence graph (SVG)
/// and the table of its lines; a table of the connections.
pub fn html(sections: &Sections<'_>, title: &str, lang: Lang) -> String {
    whole(DocumentKind::Html, sections, title, lang)
}

/// A whole document of `sections`, in memory.
fn whole(kind: DocumentKind, sections: &Sections<'_>, title: &str, lang: Lang) -> String {
    let mut out = Vec::new();
    let mut doc = Document::new(kind, sections.len() > 1, lang);
    let written = (|| -> io::Result<()> {
        doc.start(&mut out, title)?;
        for (name, items) in sections {
            doc.begin(&mut out, name)?;
            for item in *items {
                doc.item(&mut out, item)?;
            }
            doc.end(&mut out)?;
        }
        doc.finish(&mut out)
    })();
    debug_assert!(written.is_ok(), "{written:?}");
    String::from_utf8(out).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Pieces

/// Text for a Markdown table cell: HTML-significant characters escaped (GitHub
/// renders inline HTML), Markdown's active characters backslash-escaped (links,
/// images, emphasis, code, strikethrough, pipes), newlines as `<br>`.
///
/// An underscore between two letters or digits is left as it is: it cannot
/// start or end emphasis (`SYN_SENT`). A bare `http://` address in the input
/// may still be shown as a link by renderers that find addresses in text
/// (GitHub does); never as an image or markup.
pub fn md_cell(text: &str) -> String {
    let text = sanitize(text);
    let mut out = String::with_capacity(text.len());
    let mut previous = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '[' | ']' | '~' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '_' if !(previous.is_some_and(char::is_alphanumeric)
                && chars.peek().copied().is_some_and(char::is_alphanumeric)) =>
            {
                out.push_str("\\_");
            }
            _ => out.push(c),
        }
        previous = Some(c);
    }
    out
}

/// Text for a Markdown code span: shown as it is (a code span has no
/// markup), but for backticks, which would end it, and newlines.
fn md_code(text: &str) -> String {
    sanitize(text).replace('`', "'").replace('\n', " ")
}

fn direction(r: &SegmentReport) -> &'static str {
    match r.from {
        Role::Client => "C→S",
        Role::Server => "S→C",
    }
}

fn opt(v: Option<u32>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn events(r: &SegmentReport) -> String {
    let names: Vec<&str> = r.events.iter().map(|e| e.kind.name()).collect();
    names.join(", ")
}

/// The header of a Markdown table of lines.
fn md_table(lang: Lang) -> String {
    let names = [
        Label::Line,
        Label::Direction,
        Label::Flags,
        Label::Seq,
        Label::Ack,
        Label::Len,
        Label::Client,
        Label::Server,
        Label::Events,
        Label::Explanation,
    ];
    let mut out = String::from("|");
    for n in names {
        out.push(' ');
        out.push_str(n.text(lang));
        out.push_str(" |");
    }
    out.push_str("\n|---:|:---:|:---:|---:|---:|---:|---|---|---|---|\n");
    out
}

/// A segment's row of a Markdown table.
fn md_row(r: &SegmentReport, lang: Lang) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        r.line,
        direction(r),
        md_cell(&r.flags),
        opt(r.seq),
        opt(r.ack),
        r.len,
        r.state.client.name(),
        r.state.server.name(),
        events(r),
        md_cell(&super::explanation(r, lang))
    )
}

/// A line that is not a segment as (line, kind, text); `None` for segments and summaries.
pub fn other_row(item: &Item, lang: Lang) -> Option<(u64, &'static str, String)> {
    let Item::Line {
        record,
        report: None,
        icmp,
    } = item
    else {
        return None;
    };
    Some(match (&record.kind, icmp) {
        (RecordKind::Unparsed(d), _) => (
            record.line,
            "unparsed",
            format!(
                "{} — {}",
                labels::unread(record.line, d.column, &d.expected, lang),
                d.text
            ),
        ),
        (RecordKind::Banner(_), _) => (record.line, "banner", record.text.clone()),
        (RecordKind::OtherText(t), _) => (
            record.line,
            "other_text",
            format!("{} — {}", crate::explain::other_text(t.kind, lang), t.text),
        ),
        (_, Some(i)) => (
            record.line,
            "other",
            format!(
                "{} — {}",
                record.text,
                crate::explain::icmp_text(&record.kind, i, lang)
            ),
        ),
        (_, None) => (record.line, "other", record.text.clone()),
    })
}

/// The page's style sheet: readable on a phone (tables become cards,
/// pictures scroll sideways rather than shrink past reading) and on paper
/// (no page break inside a picture or a row, colours kept).
pub const STYLE: &str = "\
:root{--fg:#222;--muted:#666;--line:#d5d5d5;--head:#f4f4f4;--note:#f8f8f0}\
*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:1rem 1.25rem;max-width:72rem;color:var(--fg);line-height:1.45}\
h1{font-size:1.5rem;overflow-wrap:anywhere}h2{font-size:1.25rem;margin-top:2rem;overflow-wrap:anywhere}h3{font-size:1.05rem}\
.input{display:flex;flex-direction:column}.input>.name{order:-2}.input>.overview{order:-1}\
table{border-collapse:collapse;margin:.75rem 0}td,th{border:1px solid var(--line);padding:4px 8px;vertical-align:top;text-align:left}\
th{background:var(--head);word-break:keep-all}td.n{text-align:right;font-family:ui-monospace,monospace;white-space:nowrap}td.f{font-family:ui-monospace,monospace;white-space:nowrap}\
.ev{color:#c0392b;font-weight:bold}.raw{font-family:ui-monospace,monospace;font-size:90%;color:#555;white-space:pre-wrap;overflow-wrap:anywhere}\
.conns td{white-space:nowrap}.summary{background:var(--note);padding:.5em 1em;border-left:4px solid #aa8}.problems{color:#c0392b}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}\
figure{margin:1rem 0;overflow-x:auto;-webkit-overflow-scrolling:touch}figure svg{display:block;max-width:100%;height:auto}\
figcaption{color:var(--muted);font-size:.9rem}\
a{color:#1f5f8f}\
@media (max-width:720px){\
body{padding:.75rem}figure svg{max-width:none;width:680px}\
table.lines,table.lines tr,table.lines td{display:block;width:100%}table.lines tr:first-child{display:none}\
table.lines tr{border:1px solid var(--line);margin:.5rem 0;padding:.25rem .5rem}table.lines td{border:0;padding:2px 0;text-align:left}\
}\
@media print{\
body{max-width:none;padding:0;font-size:10pt}figure,tr,.summary{break-inside:avoid;page-break-inside:avoid}h2,h3{break-after:avoid;page-break-after:avoid}\
.scroll,figure{overflow:visible}figure svg{max-width:100%;width:auto}a{color:inherit;text-decoration:none}\
table{width:100%}td{overflow-wrap:anywhere}.conns{font-size:8pt}.conns td{white-space:normal}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// The header row of an HTML table of lines.
fn html_header(lang: Lang) -> String {
    let mut out = String::from("<table class=\"lines\"><tr>");
    for n in [
        Label::Line,
        Label::Direction,
        Label::Flags,
        Label::Client,
        Label::Server,
        Label::Explanation,
    ] {
        let _ = write!(out, "<th>{}</th>", escape(n.text(lang)));
    }
    out.push_str("</tr>");
    out
}

/// One connection's table of lines (used by the HTML page and by notebooks).
pub fn html_table(segments: &[&SegmentReport], lang: Lang) -> String {
    let mut out = html_header(lang);
    for r in segments {
        out.push_str(&html_row(r, lang));
    }
    out.push_str("</table>");
    out
}

/// A segment's row of an HTML table.
fn html_row(r: &SegmentReport, lang: Lang) -> String {
    let ev = events(r);
    let ev = if ev.is_empty() {
        String::new()
    } else {
        format!("<div class=\"ev\">{}</div>", escape(&ev))
    };
    let (a, b) = match r.from {
        Role::Client => (Label::Client, Label::Server),
        Role::Server => (Label::Server, Label::Client),
    };
    format!(
        "<tr><td class=\"n\">{}</td><td>{} → {}</td><td class=\"f\">{}</td><td>{}</td><td>{}</td><td>{ev}{}</td></tr>",
        r.line,
        escape(a.text(lang)),
        escape(b.text(lang)),
        escape(&r.flags),
        r.state.client.name(),
        r.state.server.name(),
        escape(&super::explanation(r, lang))
    )
}

/// The style sheet's rules that name the cells of a table of lines shown
/// as cards on a phone (its header row hidden), in `lang`.
fn card_names(lang: Lang) -> String {
    let mut css = String::from("@media (max-width:720px){");
    for (n, label) in [
        Label::Line,
        Label::Direction,
        Label::Flags,
        Label::Client,
        Label::Server,
    ]
    .into_iter()
    .enumerate()
    {
        // (A CSS string: the label's quotes and backslashes escaped.)
        let text = label.text(lang).replace('\\', "\\\\").replace('"', "\\\"");
        let _ = write!(
            css,
            "table.lines td:nth-child({})::before{{content:\"{text}: \";color:var(--muted);font-family:system-ui,sans-serif}}",
            n + 1
        );
    }
    css.push('}');
    css
}

/// A connection's summary as an HTML paragraph, with its problem counts.
fn html_summary(s: &ConnectionSummary, lang: Lang) -> String {
    let mut out = format!(
        "<p class=\"summary\">{}",
        escape(&crate::explain::summary_text(s, lang))
    );
    let problems = diagram::problem_counts(s);
    if !problems.is_empty() {
        let _ = write!(
            out,
            "<br><span class=\"problems\">⚑ {}{}{}</span>",
            escape(Label::Problems.text(lang)),
            labels::colon(lang),
            escape(&problems)
        );
    }
    out.push_str("</p>\n");
    out
}

// ---------------------------------------------------------------------------
// Spools

/// Bytes the spools of one document hold in memory at most; beyond, they
/// move to a temporary file.
pub const SPOOL_MEMORY: usize = 8 << 20;

/// Where spools move when memory is full: an unnamed temporary file.
#[derive(Default)]
struct SpoolFile {
    file: Option<File>,
    len: u64,
}

impl SpoolFile {
    /// Appends `bytes`; returns where they start.
    fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(temporary_file()?),
        };
        let at = self.len;
        file.seek(SeekFrom::Start(at))?;
        file.write_all(bytes)?;
        self.len = self.len.saturating_add(bytes.len() as u64);
        Ok(at)
    }

    /// Copies `len` bytes from `at` into `out`.
    fn copy(&mut self, at: u64, len: u64, out: &mut impl Write) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(at))?;
        let copied = io::copy(&mut Read::by_ref(file).take(len), out)?;
        if copied < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "temporary file cut short",
            ));
        }
        Ok(())
    }
}

/// A new temporary file, readable and writable by this user alone, removed
/// from its directory at once (it lives until closed).
fn temporary_file() -> io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for _ in 0..100 {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            ".tcpexplain-{}-{n}-{nanos:x}.spool",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => {
                let _ = std::fs::remove_file(&path);
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("a temporary file in {}: {e}", dir.display()),
                ))
            }
        }
    }
    Err(io::Error::other("no temporary file could be made"))
}

/// Text kept for later, in order: pieces in the spool file, then in memory.
#[derive(Default)]
pub struct Spool {
    moved: Vec<(u64, u64)>,
    held: String,
}

impl Spool {
    fn push(&mut self, text: &str, held: &mut usize) {
        self.held.push_str(text);
        *held = held.saturating_add(text.len());
    }

    /// Moves what is in memory to the file.
    fn spill(&mut self, file: &mut SpoolFile) -> io::Result<()> {
        if !self.held.is_empty() {
            let at = file.append(self.held.as_bytes())?;
            self.moved.push((at, self.held.len() as u64));
            self.held = String::new();
        }
        Ok(())
    }

    /// Writes everything kept, in order.
    fn write_to(&self, file: &mut SpoolFile, out: &mut impl Write) -> io::Result<()> {
        for &(at, len) in &self.moved {
            file.copy(at, len, out)?;
        }
        out.write_all(self.held.as_bytes())
    }

    fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.held.is_empty()
    }
}

// ---------------------------------------------------------------------------
// The streaming writer

/// Which document a [`Document`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// One JSON array of the JSON Lines objects.
    Json,
    /// Markdown (tables, summaries, ladders in code blocks).
    Markdown,
    /// A standalone HTML page.
    Html,
    /// Text ladder diagrams, one per connection as it ends (`--diagram`),
    /// with absolute sequence numbers or relative ones.
    Ladder { absolute: bool },
    /// A picture of each connection as it ends, kept for
    /// [`Document::take_pictures`] (nothing is written): its time-sequence
    /// graph, or its ladder.
    Pictures { tsg: bool },
}

/// A connection's picture (SVG), with the summary of the connection.
pub type Picture = (Box<ConnectionSummary>, String);

/// What is kept of a connection until it is written.
#[derive(Default)]
struct Open {
    /// Its segments' reports, one JSON object a line (read back when the
    /// connection is written: its pictures need all of them).
    reports: Spool,
    segments: usize,
    summary: Option<Box<ConnectionSummary>>,
}

/// Calls `each` with every line written to it (a spool read back).
struct Lines<F: FnMut(&[u8]) -> io::Result<()>> {
    partial: Vec<u8>,
    each: F,
}

impl<F: FnMut(&[u8]) -> io::Result<()>> Write for Lines<F> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let (line, after) = rest.split_at(end);
            if self.partial.is_empty() {
                (self.each)(line)?;
            } else {
                self.partial.extend_from_slice(line);
                let whole = std::mem::take(&mut self.partial);
                (self.each)(&whole)?;
            }
            rest = after.get(1..).unwrap_or_default();
        }
        self.partial.extend_from_slice(rest);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Calls `each` with every report a spool holds, in order.
fn each_report(
    spool: &Spool,
    file: &mut SpoolFile,
    mut each: impl FnMut(Box<SegmentReport>) -> io::Result<()>,
) -> io::Result<()> {
    let mut lines = Lines {
        partial: Vec::new(),
        each: |line: &[u8]| {
            let report: SegmentReport = serde_json::from_slice(line).map_err(io::Error::from)?;
            each(Box::new(report))
        },
    };
    spool.write_to(file, &mut lines)
}

/// A document written as its items come: [`Document::start`], then per input
/// [`Document::begin`], [`Document::item`]s and [`Document::end`], then
/// [`Document::finish`]. Each call writes what can be written at that point.
pub struct Document {
    kind: DocumentKind,
    lang: Lang,
    /// Several inputs: headings per input, and `file` fields in JSON.
    many: bool,
    /// The input being read, and how many have begun.
    name: String,
    inputs: usize,
    /// JSON: whether an element has been written.
    any: bool,
    /// Connections of this input not written yet, by number, and their
    /// numbers in order of first appearance.
    open: HashMap<usize, Open>,
    order: VecDeque<usize>,
    /// Rows of this input's lines that are not segments.
    others: Spool,
    /// HTML: this input's table of connections (rows).
    overview: Spool,
    /// Pictures drawn and not taken yet.
    pictures: Vec<Picture>,
    /// Bytes the spools hold in memory, and at most.
    held: usize,
    memory: usize,
    file: SpoolFile,
}

impl Document {
    /// A document of `kind` in `lang`; `many` when it will hold several inputs.
    pub fn new(kind: DocumentKind, many: bool, lang: Lang) -> Document {
        Document {
            kind,
            lang,
            many,
            name: String::new(),
            inputs: 0,
            any: false,
            open: HashMap::new(),
            order: VecDeque::new(),
            others: Spool::default(),
            overview: Spool::default(),
            pictures: Vec::new(),
            held: 0,
            memory: SPOOL_MEMORY,
            file: SpoolFile::default(),
        }
    }

    /// Which document it writes.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The same, its spools holding at most `memory` bytes in memory.
    pub fn with_memory(kind: DocumentKind, many: bool, lang: Lang, memory: usize) -> Document {
        Document {
            memory,
            ..Document::new(kind, many, lang)
        }
    }

    /// Starts the document (HTML: the page's head, titled `title`).
    pub fn start(&mut self, out: &mut impl Write, title: &str) -> io::Result<()> {
        if self.kind == DocumentKind::Html {
            write!(
                out,
                "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}{}</style></head><body>\n<h1>{}</h1>\n",
                self.lang.tag(),
                escape(title),
                card_names(self.lang),
                escape(title)
            )?;
        }
        Ok(())
    }

    /// Starts an input named `name`.
    pub fn begin(&mut self, out: &mut impl Write, name: &str) -> io::Result<()> {
        name.clone_into(&mut self.name);
        self.inputs = self.inputs.saturating_add(1);
        match self.kind {
            DocumentKind::Markdown if self.many => write!(out, "## {}\n\n", md_cell(name))?,
            DocumentKind::Html => {
                out.write_all(b"<div class=\"input\">")?;
                if self.many {
                    writeln!(out, "<h2 class=\"name\">{}</h2>", escape(name))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes one item; writes what it completes.
    pub fn item(&mut self, out: &mut impl Write, item: &Item) -> io::Result<()> {
        match self.kind {
            DocumentKind::Json => self.json(out, item),
            DocumentKind::Ladder { .. }
            | DocumentKind::Pictures { .. }
            | DocumentKind::Markdown
            | DocumentKind::Html => self.page(out, item),
        }
    }

    /// Ends the input: writes what is left of it.
    pub fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        let lang = self.lang;
        match self.kind {
            DocumentKind::Json => {}
            // (Diagrams are drawn when their connections end.)
            DocumentKind::Ladder { .. } | DocumentKind::Pictures { .. } => self.open.clear(),
            DocumentKind::Markdown | DocumentKind::Html => {
                while let Some(conn) = self.order.pop_front() {
                    self.write_connection(out, conn)?;
                }
                if !self.others.is_empty() {
                    let heads = [Label::Line, Label::Kind, Label::Text];
                    if self.kind == DocumentKind::Html {
                        write!(
                            out,
                            "<h2>{}</h2><div class=\"scroll\"><table><tr>",
                            escape(Label::OtherLines.text(lang))
                        )?;
                        for h in heads {
                            write!(out, "<th>{}</th>", escape(h.text(lang)))?;
                        }
                        out.write_all(b"</tr>")?;
                    } else {
                        write!(out, "### {}\n\n|", Label::OtherLines.text(lang))?;
                        for h in heads {
                            write!(out, " {} |", h.text(lang))?;
                        }
                        out.write_all(b"\n|---:|---|---|\n")?;
                    }
                    self.others.write_to(&mut self.file, out)?;
                    if self.kind == DocumentKind::Html {
                        out.write_all(b"</table></div>")?;
                    }
                }
                if self.kind == DocumentKind::Html {
                    if !self.overview.is_empty() {
                        write!(
                            out,
                            "<section class=\"overview\"><h2>{}</h2><div class=\"scroll\">",
                            escape(Label::Connections.text(lang))
                        )?;
                        out.write_all(super::table::html_header(lang).as_bytes())?;
                        self.overview.write_to(&mut self.file, out)?;
                        out.write_all(b"</table></div></section>")?;
                    }
                    out.write_all(b"</div>\n")?;
                }
            }
        }
        self.open.clear();
        self.order.clear();
        self.others = Spool::default();
        self.overview = Spool::default();
        self.held = 0;
        Ok(())
    }

    /// Ends the document.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.kind {
            DocumentKind::Json if self.any => out.write_all(b"\n]\n"),
            DocumentKind::Json => out.write_all(b"[]\n"),
            DocumentKind::Html => out.write_all(b"</body></html>\n"),
            DocumentKind::Markdown
            | DocumentKind::Ladder { .. }
            | DocumentKind::Pictures { .. } => Ok(()),
        }
    }

    /// Whether it draws only pictures (no explanations).
    fn pictures_only(&self) -> bool {
        matches!(
            self.kind,
            DocumentKind::Ladder { .. } | DocumentKind::Pictures { .. }
        )
    }

    /// The pictures drawn since the last call (`DocumentKind::Pictures`).
    pub fn take_pictures(&mut self) -> Vec<Picture> {
        std::mem::take(&mut self.pictures)
    }

    /// JSON: the item as the next element of the array (pretty-printed, as
    /// serde_json prints an array of them).
    fn json(&mut self, out: &mut impl Write, item: &Item) -> io::Result<()> {
        let value = if self.many {
            jsonl::with_file(item, &self.name, self.lang)
        } else {
            jsonl::value(item, self.lang)
        };
        let mut text = Vec::with_capacity(4096);
        jsonl::to_writer_pretty(&mut text, &value).map_err(io::Error::from)?;
        out.write_all(if self.any { b",\n  " } else { b"[\n  " })?;
        self.any = true;
        // One level deeper: every line but the first gets two more spaces (a
        // string's newlines are escapes, so every newline is between tokens).
        let mut lines = text.split(|&b| b == b'\n');
        if let Some(first) = lines.next() {
            out.write_all(first)?;
        }
        for line in lines {
            out.write_all(b"\n  ")?;
            out.write_all(line)?;
        }
        Ok(())
    }

    /// The connection numbered `conn`, opened at its first item (pages keep
    /// the order in which connections appear; diagrams need not).
    fn open(&mut self, conn: usize) -> &mut Open {
        let ordered = matches!(self.kind, DocumentKind::Markdown | DocumentKind::Html);
        self.open.entry(conn).or_insert_with(|| {
            if ordered {
                self.order.push_back(conn);
            }
            Open::default()
        })
    }

    /// Markdown, HTML and diagrams: reports kept as items come; a diagram
    /// written when its connection's summary comes, pages' connections in
    /// order of first appearance, each once it and those before it have ended.
    fn page(&mut self, out: &mut impl Write, item: &Item) -> io::Result<()> {
        let html = self.kind == DocumentKind::Html;
        let lang = self.lang;
        let mut held = self.held;
        match item {
            Item::Line {
                report: Some(r), ..
            } => {
                // (Pictures need no explanation: a report's text, when it
                // has one, is not kept for them.)
                let mut line = if r.text.is_empty() || !self.pictures_only() {
                    serde_json::to_string(&**r)
                } else {
                    serde_json::to_string(&SegmentReport {
                        text: String::new(),
                        ..(**r).clone()
                    })
                }
                .map_err(io::Error::from)?;
                if r.sack.is_empty() && line.ends_with('}') {
                    // (Left out when empty, and needed to read the report back.)
                    line.pop();
                    line.push_str(",\"sack\":[]}");
                }
                line.push('\n');
                let open = self.open(r.conn);
                open.reports.push(&line, &mut held);
                open.segments = open.segments.saturating_add(1);
            }
            Item::Connection(s) => {
                if let DocumentKind::Pictures { tsg } = self.kind {
                    let open = self.open.remove(&s.conn).unwrap_or_default();
                    let picture = self.picture(&open, s, tsg)?;
                    self.pictures.push((s.clone(), picture));
                    return Ok(());
                }
                if let DocumentKind::Ladder { absolute } = self.kind {
                    let open = self.open.remove(&s.conn).unwrap_or_default();
                    if open.segments > 0 {
                        self.write_ladder(out, &open, s, absolute)?;
                    }
                    out.write_all(b"\n")?;
                    return out.flush();
                }
                if html {
                    let row =
                        super::table::html_row(s, Some(&anchor(self.inputs, s.conn)), self.lang);
                    self.overview.push(&row, &mut held);
                }
                self.open(s.conn).summary = Some(s.clone());
                while let Some(&conn) = self.order.front() {
                    if self.open.get(&conn).is_some_and(|o| o.summary.is_none()) {
                        break;
                    }
                    self.order.pop_front();
                    self.write_connection(out, conn)?;
                }
            }
            Item::Line { .. } => {
                if matches!(
                    self.kind,
                    DocumentKind::Ladder { .. } | DocumentKind::Pictures { .. }
                ) {
                    return Ok(());
                }
                if let Some((line, kind, text)) = other_row(item, lang) {
                    let row = if html {
                        format!(
                            "<tr><td class=\"n\">{line}</td><td>{kind}</td><td class=\"raw\">{}</td></tr>",
                            escape(&text)
                        )
                    } else {
                        format!("| {line} | {kind} | {} |\n", md_cell(&text))
                    };
                    self.others.push(&row, &mut held);
                }
            }
        }
        self.held = held;
        self.spill_if_full()
    }

    /// The picture of a connection that has ended: its time-sequence graph
    /// (`tsg`) or its ladder.
    fn picture(&mut self, open: &Open, s: &ConnectionSummary, tsg: bool) -> io::Result<String> {
        let lang = self.lang;
        let title = format!(
            "{} {}: {} → {}",
            capitalized(Label::Connection.text(lang)),
            s.conn,
            s.client,
            s.server
        );
        if tsg {
            let mut graph = tsg::Graph::new(tsg::sender_of(s));
            each_report(&open.reports, &mut self.file, |r| {
                graph.push(&r);
                Ok(())
            })?;
            Ok(graph.svg(&title, lang))
        } else {
            let mut ladder = diagram::SvgLadder::new();
            each_report(&open.reports, &mut self.file, |r| {
                ladder.push(r);
                Ok(())
            })?;
            Ok(ladder.finish(Some(s), lang))
        }
    }

    /// A diagram: the ladder of a connection that has ended.
    fn write_ladder(
        &mut self,
        out: &mut impl Write,
        open: &Open,
        s: &ConnectionSummary,
        absolute: bool,
    ) -> io::Result<()> {
        let lang = self.lang;
        out.write_all(diagram::ladder_title(s.conn, Some(s), lang).as_bytes())?;
        let mut ladder = diagram::TextLadder::new(absolute);
        each_report(&open.reports, &mut self.file, |r| {
            out.write_all(ladder.push(r).as_bytes())
        })?;
        out.write_all(ladder.finish().as_bytes())?;
        out.write_all(diagram::ladder_end(Some(s), ladder.marks, lang).as_bytes())
    }

    /// Markdown and HTML: writes the connection numbered `conn` (nothing
    /// when it has no segments).
    fn write_connection(&mut self, out: &mut impl Write, conn: usize) -> io::Result<()> {
        let Some(open) = self.open.remove(&conn) else {
            return Ok(());
        };
        if open.segments == 0 {
            return Ok(());
        }
        let lang = self.lang;
        let summary = open.summary.as_deref();
        if self.kind == DocumentKind::Html {
            let heading = summary.map_or_else(
                || format!("{} {conn}", capitalized(Label::Connection.text(lang))),
                |s| {
                    format!(
                        "{} {}{}{} → {}",
                        capitalized(Label::Connection.text(lang)),
                        s.conn,
                        labels::colon(lang),
                        s.client,
                        s.server
                    )
                },
            );
            writeln!(
                out,
                "<section class=\"conn\" id=\"{}\"><h2>{}</h2>",
                anchor(self.inputs, conn),
                escape(&heading)
            )?;
            if let Some(s) = summary {
                out.write_all(html_summary(s, lang).as_bytes())?;
            }
            // The pictures, from one reading of the reports.
            let mut ladder = diagram::SvgLadder::new();
            let sender = summary.map_or(Role::Client, tsg::sender_of);
            let mut graph = tsg::Graph::new(sender);
            each_report(&open.reports, &mut self.file, |r| {
                graph.push(&r);
                ladder.push(r);
                Ok(())
            })?;
            write!(
                out,
                "<h3>{}</h3><figure class=\"ladder\">",
                escape(Label::Ladder.text(lang))
            )?;
            out.write_all(ladder.finish(summary, lang).as_bytes())?;
            out.write_all(b"</figure>\n")?;
            if graph.has_data() {
                write!(
                    out,
                    "<h3>{}</h3><figure class=\"tsg\">",
                    escape(Label::TimeSequence.text(lang))
                )?;
                out.write_all(graph.svg(&heading, lang).as_bytes())?;
                out.write_all(b"</figure>\n")?;
            }
            write!(
                out,
                "<h3>{}</h3><div class=\"scroll\">",
                escape(Label::Lines.text(lang))
            )?;
            out.write_all(html_header(lang).as_bytes())?;
            each_report(&open.reports, &mut self.file, |r| {
                out.write_all(html_row(&r, lang).as_bytes())
            })?;
            out.write_all(b"</table></div></section>\n")?;
        } else {
            match summary {
                Some(s) => write!(
                    out,
                    "### {} {}{}`{}` → `{}`\n\n",
                    capitalized(Label::Connection.text(lang)),
                    s.conn,
                    labels::colon(lang),
                    md_code(&s.client),
                    md_code(&s.server)
                )?,
                None => write!(
                    out,
                    "### {} {conn}\n\n",
                    capitalized(Label::Connection.text(lang))
                )?,
            }
            out.write_all(md_table(lang).as_bytes())?;
            each_report(&open.reports, &mut self.file, |r| {
                out.write_all(md_row(&r, lang).as_bytes())
            })?;
            if let Some(s) = summary {
                // A run-in heading: `**Summary.** …`, `**摘要：**…`.
                let (stop, space) = match lang {
                    Lang::En => (".", " "),
                    Lang::ZhHans | Lang::ZhHant => ("：", ""),
                };
                write!(
                    out,
                    "\n**{}{stop}**{space}{}",
                    Label::Summary.text(lang),
                    md_cell(&crate::explain::summary_text(s, lang))
                )?;
                let problems = diagram::problem_counts(s);
                if !problems.is_empty() {
                    write!(
                        out,
                        " ⚑ {}{}{}",
                        Label::Problems.text(lang),
                        labels::colon(lang),
                        md_cell(&problems)
                    )?;
                }
                out.write_all(b"\n\n")?;
            }
            out.write_all(b"```text\n")?;
            let fence = |text: String| text.replace("```", "'''");
            out.write_all(fence(diagram::ladder_title(conn, summary, lang)).as_bytes())?;
            let mut ladder = diagram::TextLadder::new(false);
            each_report(&open.reports, &mut self.file, |r| {
                out.write_all(fence(ladder.push(r)).as_bytes())
            })?;
            out.write_all(fence(ladder.finish()).as_bytes())?;
            out.write_all(fence(diagram::ladder_end(summary, ladder.marks, lang)).as_bytes())?;
            out.write_all(b"```\n\n")?;
        }
        Ok(())
    }

    /// Moves the spools to the temporary file once they hold too much.
    fn spill_if_full(&mut self) -> io::Result<()> {
        if self.held <= self.memory {
            return Ok(());
        }
        for open in self.open.values_mut() {
            open.reports.spill(&mut self.file)?;
        }
        self.others.spill(&mut self.file)?;
        self.overview.spill(&mut self.file)?;
        self.held = 0;
        Ok(())
    }
}

/// The id of a connection's section in an HTML page (`input`: the how-many-th).
pub fn anchor(input: usize, conn: usize) -> String {
    if input > 1 {
        format!("input-{input}-conn-{conn}")
    } else {
        format!("conn-{conn}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `sections` as a document of `kind`, its spools holding `memory` bytes.
    fn written(kind: DocumentKind, sections: &Sections<'_>, memory: usize) -> String {
        let mut out = Vec::new();
        let mut doc = Document::with_memory(kind, sections.len() > 1, Lang::En, memory);
        doc.start(&mut out, "t").unwrap();
        for (name, items) in sections {
            doc.begin(&mut out, name).unwrap();
            for item in *items {
                doc.item(&mut out, item).unwrap();
            }
            doc.end(&mut out).unwrap();
        }
        doc.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Issue 25, fault 2: what spools to the temporary file comes back the
    /// same, in every format, for inputs with many connections at once.
    #[test]
    fn spooled_documents_are_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
        // Two connections, their lines taking turns (both open at once), and
        // a line that is not TCP.
        let (three, four) = (
            read("tests/data/article/close3.txt"),
            read("tests/data/article/close4.txt"),
        );
        let mut both = String::from("not a tcpdump line\n");
        for (a, b) in three.lines().zip(four.lines()) {
            both.push_str(&format!("{a}\n{b}\n"));
        }
        let inputs = [
            ("both", both),
            (
                "icmp_router",
                read("tests/data/captures/icmp_router/nn.txt"),
            ),
            (
                "reused_ports",
                read("tests/data/captures/reused_ports/nn.txt"),
            ),
        ];
        for (name, text) in &inputs {
            let name = *name;
            let items = crate::explain(text);
            let (a, b) = items.split_at(items.len() / 2);
            for sections in [&[(name, &items[..])][..], &[("a", a), ("b", b)]] {
                for kind in [
                    DocumentKind::Json,
                    DocumentKind::Markdown,
                    DocumentKind::Html,
                    DocumentKind::Ladder { absolute: true },
                ] {
                    let held = written(kind, sections, usize::MAX);
                    assert_eq!(held, written(kind, sections, 0), "{name} {kind:?}");
                    assert_eq!(held, written(kind, sections, 100), "{name} {kind:?}");
                }
            }
        }
    }

    /// Issue 25, fault 10: Markdown's active characters from the input are
    /// escaped; words of the explanations are kept as they are.
    #[test]
    fn markdown_cells_escape_markup() {
        assert_eq!(
            md_cell("10.0.0.1![x](http://evil.example/p.png)"),
            "10.0.0.1\\!\\[x\\](http://evil.example/p.png)"
        );
        assert_eq!(
            md_cell("a *b* _c_ `d` ~e~ |f| <g> &h \\i"),
            "a \\*b\\* \\_c\\_ \\`d\\` \\~e\\~ \\|f\\| &lt;g&gt; &amp;h \\\\i"
        );
        assert_eq!(
            md_cell("client SYN_SENT → ESTABLISHED."),
            "client SYN_SENT → ESTABLISHED."
        );
        assert_eq!(md_code("a`b\nc"), "a'b c");
    }
}
