//! The command-line face: arguments, input (files, pipes, terminals), output
//! buffering, colour, exit status. All explaining is done by [`crate::Explainer`].

use crate::input::{self, Interruptible};
use crate::lang::Lang;
use crate::model::RecordKind;
use crate::reader::read_line;
use crate::render::document::{Document, DocumentKind};
use crate::render::labels::Label;
use crate::render::{self, jsonl, table, text, Format};
use crate::track::report::{EventKind, Role};
use crate::track::Item;
use crate::Explainer;
use clap::{CommandFactory, Parser, ValueEnum};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sample built into the binary (`--demo`): a real capture of a 3-segment close.
pub const DEMO: &str = include_str!("../tests/data/article/close3.txt");

const LONG_ABOUT: &str = "Explains TCP conversations from tcpdump's text output, line by line.

Reads tcpdump's text output (saved files, `tcpdump -l` through a pipe, or a paste), \
follows every TCP connection and explains each line: who sent it, what its ACK \
acknowledges, both ends' RFC 9293 states, and what went wrong (retransmissions, \
lost segments, duplicate ACKs, zero windows, resets). Each connection ends with a \
summary. Other outputs: one line per packet (--brief), one row per connection \
(--table), ladder diagrams on a time axis (--diagram), JSON, Markdown, an HTML \
report with pictures (--format), SVG pictures (--graph).";

const EXAMPLES: &str = "Examples:
  tcpexplain dump.txt                         explain a saved tcpdump output
  tcpdump -nn -r capture.pcap | tcpexplain    explain a capture file
  sudo tcpdump -l -nn -i any port 443 | tcpexplain
                                              explain live traffic as it arrives
  tcpexplain --diagram dump.txt               ladder diagram of each connection
  tcpexplain --brief dump.txt | grep reset    one line per packet, for grep
  tcpexplain --problems dump.txt              only the lines with problems
  tcpexplain --table dump.txt                 one row per connection
  tcpexplain --endpoint 10.0.0.2:443 dump.txt only that endpoint's connections
  tcpexplain --format html dump.txt > r.html  a report to open in a browser
  tcpexplain --graph tsg graphs/ dump.txt     a time-sequence graph per connection
  tcpexplain --format jsonl dump.txt | jq .   machine-readable facts, one per line
  tcpexplain --demo                           see it work on a built-in sample
  tcpexplain --completions bash > ~/.local/share/bash-completion/completions/tcpexplain
  tcpexplain --man | man -l -                 the manual page

Exit status: 0 explained; 1 a filter (--conn, --endpoint, --problems) matched
nothing, or unparsed lines with --strict; 2 an error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Jsonl,
    Json,
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Explains TCP conversations in tcpdump's text output, line by line.
#[derive(Debug, Parser)]
#[command(name = "tcpexplain", version, about, long_about = LONG_ABOUT, after_help = EXAMPLES)]
struct Args {
    /// tcpdump output to explain; none or `-` reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Output format: text for people; jsonl one JSON object per line (see the README);
    /// json one document; markdown for an issue or blog; html a standalone page.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Draw a ladder diagram of each connection on a time axis instead of the
    /// line-by-line text: an arrow in flight while the other end sent slants to
    /// where it arrived.
    #[arg(long, conflicts_with_all = ["format", "summary"])]
    diagram: bool,

    /// Show only the connection summaries.
    #[arg(long)]
    summary: bool,

    /// One line per packet (line, connection, direction, flags, seq/ack, both
    /// states, events) and per connection, never wrapped: for grep.
    #[arg(long, conflicts_with_all = ["format", "diagram", "table"])]
    brief: bool,

    /// Show only the lines with a problem (retransmissions, lost segments,
    /// duplicate ACKs, zero windows, resets...) and the summaries of their
    /// connections; exit 1 when there is none.
    #[arg(long)]
    problems: bool,

    /// One row per connection, once the input ends (instead of the lines).
    #[arg(long, conflicts_with_all = ["format", "diagram", "summary"])]
    table: bool,

    /// Show only connection N (0-based, in order of first appearance).
    #[arg(long, value_name = "N")]
    conn: Option<usize>,

    /// Show only connections with this endpoint: HOST:PORT, [IPv6]:PORT, PORT,
    /// HOST, or HOST.PORT as tcpdump prints it.
    #[arg(long, value_name = "ENDPOINT", value_parser = EndpointFilter::parse)]
    endpoint: Option<EndpointFilter>,

    /// Wrap text at N columns (0: do not wrap); default: the terminal's
    /// width, or 100 when the output is not a terminal.
    #[arg(long, value_name = "N")]
    width: Option<usize>,

    /// Write a picture of each connection as SVG instead of the text: `tsg`
    /// (time-sequence graph, with the round trip of each ACK) or `ladder`, to
    /// FILE.svg (one connection) or into DIR/ (one file per connection).
    #[arg(long, num_args = 2, value_names = ["KIND", "PATH"], conflicts_with_all = ["format", "diagram", "summary", "brief", "table"])]
    graph: Option<Vec<OsString>>,

    /// Reading live: every DURATION (`10s`, `500ms`, `2m`) print a table of
    /// the connections still open.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    every: Option<Duration>,

    /// Print the manual page (roff) and exit: `tcpexplain --man | man -l -`.
    #[arg(long, exclusive = true)]
    man: bool,

    /// Print the completion script for SHELL and exit.
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<clap_complete::Shell>,

    /// Show raw (absolute) sequence numbers in the text instead of relative ones.
    #[arg(long)]
    absolute: bool,

    /// Exit with status 1 if any line could not be read.
    #[arg(long)]
    strict: bool,

    /// When to colour text output (auto: on terminals, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,

    /// Flush after every line (the default when output is a terminal).
    #[arg(long, conflicts_with = "block_buffered")]
    line_buffered: bool,

    /// Buffer output in blocks (the default when output is not a terminal).
    #[arg(long)]
    block_buffered: bool,

    /// Reading live: hold a line at most this many milliseconds while waiting for
    /// the segment that settles its states.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    hold: u64,

    /// Explain a sample dump built into the binary (a real 3-segment close).
    #[arg(long, conflicts_with = "files")]
    demo: bool,

    /// Language of the explanations: en, zh-Hans or zh-Hant (also zh, zh-CN, zh-TW).
    /// Default: from LC_ALL, LC_MESSAGES or LANG; English otherwise. JSON Lines
    /// facts are the same in every language; only their words change.
    #[arg(long, value_name = "LANG")]
    lang: Option<Lang>,
}

/// An endpoint to show the connections of (`--endpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EndpointFilter {
    /// As given, to name it in messages.
    given: String,
    host: Option<String>,
    port: Option<String>,
    /// Without a colon: `HOST.PORT` as tcpdump prints it, or a host with dots.
    dotted: bool,
}

impl EndpointFilter {
    /// Reads `HOST:PORT`, `[IPv6]:PORT`, `[IPv6]`, `PORT`, `HOST`, an IPv6
    /// address, or tcpdump's `HOST.PORT`.
    fn parse(text: &str) -> Result<EndpointFilter, String> {
        let given = text.to_string();
        let filter = |host: Option<&str>, port: Option<&str>, dotted| EndpointFilter {
            given: given.clone(),
            host: host.map(str::to_string),
            port: port.map(str::to_string),
            dotted,
        };
        let empty = |s: &str| s.is_empty();
        if text.trim().is_empty() {
            return Err("an endpoint: HOST:PORT, [IPv6]:PORT, PORT or HOST".into());
        }
        if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("`{text}`: `[` without `]` (write [IPv6]:PORT)"))?;
            return match after {
                "" if !empty(host) => Ok(filter(Some(host), None, false)),
                _ => match after.strip_prefix(':').or_else(|| after.strip_prefix('.')) {
                    Some(port) if !empty(port) && !empty(host) => {
                        Ok(filter(Some(host), Some(port), false))
                    }
                    _ => Err(format!("`{text}`: expected [IPv6]:PORT")),
                },
            };
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(filter(None, Some(text), false));
        }
        match text.matches(':').count() {
            0 => Ok(filter(Some(text), None, true)),
            1 => {
                let (host, port) = text.split_once(':').unwrap_or((text, ""));
                match (empty(host), empty(port)) {
                    (false, false) => Ok(filter(Some(host), Some(port), false)),
                    (true, false) => Ok(filter(None, Some(port), false)),
                    _ => Err(format!("`{text}`: expected HOST:PORT")),
                }
            }
            // An IPv6 address, alone or as tcpdump prints it with a port (`::1.443`).
            _ => Ok(filter(Some(text), None, true)),
        }
    }

    /// Whether the endpoint `host` (with `port`) is this one.
    fn matches(&self, host: &str, port: Option<&str>) -> bool {
        let host_ok = self.host.as_deref().is_none_or(|h| h == host);
        let port_ok = self.port.is_none() || self.port.as_deref() == port;
        if host_ok && port_ok {
            return true;
        }
        // tcpdump's HOST.PORT.
        self.dotted
            && self.host.as_deref().is_some_and(|h| {
                port.is_some_and(|p| {
                    h.len() == host.len() + 1 + p.len()
                        && h.starts_with(host)
                        && h.ends_with(p)
                        && h.as_bytes().get(host.len()) == Some(&b'.')
                })
            })
    }

    /// Whether an endpoint as a summary names it (`HOST.PORT`).
    fn matches_text(&self, endpoint: &str) -> bool {
        match endpoint.rsplit_once('.') {
            Some((host, port)) => self.matches(host, Some(port)) || self.matches(endpoint, None),
            None => self.matches(endpoint, None),
        }
    }
}

/// Reads a duration: a number with `ms`, `s`, `m` or `h` (seconds without).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((text, ""), |at| text.split_at(at));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a duration such as 10s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "`{text}`: expected a duration such as 10s, 500ms or 2m"
            ))
        }
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
        return Err(format!("`{text}`: expected a duration above 0"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// What a `--graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GraphKind {
    Tsg,
    Ladder,
}

/// Where `--graph` writes, and what it has written.
struct Graphs {
    kind: GraphKind,
    path: PathBuf,
    /// A directory (one file per connection), or one file.
    directory: bool,
    /// One file: the picture kept until the end (more than one is an error).
    single: Option<Vec<u8>>,
    drawn: usize,
    /// The input being read (its files are named after it when there are several).
    prefix: String,
}

/// What was shown, for the exit status.
#[derive(Default)]
struct Outcome {
    /// Lines that are not tcpdump's, or that could not be read.
    unread: u64,
    /// TCP seen in the input being read (segments or connections).
    tcp: u64,
    /// An input could not be read (reported on stderr already).
    failed: bool,
    /// The filters matched nothing: what to say.
    unmatched: Option<String>,
}

/// Standard output's buffer: what is written collects here and goes out in
/// blocks of [`SINK`] bytes (and on flush). JSON Lines are written into it in
/// place, a copy less per line than through a `BufWriter`.
struct Sink<'a> {
    buf: Vec<u8>,
    inner: Box<dyn Write + 'a>,
}

const SINK: usize = 1 << 16;

impl Sink<'_> {
    /// Writes the buffer out once it holds a block.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= SINK {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.spill()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()
    }
}

impl Drop for Sink<'_> {
    /// What is left goes out, as a `BufWriter` does (errors have nowhere to go).
    fn drop(&mut self) {
        let _ = self.inner.write_all(&self.buf);
    }
}

/// Output, with the filters and formats chosen.
struct Output<'a> {
    args: &'a Args,
    format: Format,
    lang: Lang,
    text: text::TextOptions,
    out: Sink<'a>,
    line_buffered: bool,
    /// The input being read, named in machine output when there are several.
    file: Option<String>,
    /// The document being written (JSON, Markdown, HTML, diagrams), as items come.
    document: Option<Document>,
    outcome: Outcome,
    /// What the filters met and let through (for their message when
    /// nothing matched).
    seen: Seen,
    /// `--problems`: connections of which a line with a problem was shown.
    troubled: HashSet<usize>,
    /// `--table`: the rows, written when the input ends.
    table: Vec<Vec<String>>,
    /// `--every`: the connections still open, as their lines tell so far.
    live: Option<Live>,
    /// `--graph`: where the pictures go.
    graphs: Option<Graphs>,
    /// Whether items are filtered or watched (`--conn`, `--endpoint`,
    /// `--problems`, `--summary`, `--every`): when not, every item is written
    /// as it comes, without the bookkeeping.
    sifting: bool,
}

/// What the filters met and let through.
#[derive(Default)]
struct Seen {
    /// Segments and summaries shown.
    matched: u64,
    /// Connections in the inputs (one more than the highest number).
    connections: usize,
    /// A few endpoints of the inputs.
    endpoints: Vec<String>,
}

/// Endpoints named when `--endpoint` matched nothing.
const ENDPOINTS_NAMED: usize = 6;

/// `--every`: the open connections' facts so far, and when they were last shown.
struct Live {
    every: Duration,
    last: Instant,
    open: HashMap<usize, table::Facts>,
}

impl Live {
    /// Takes a segment of an open connection.
    fn segment(&mut self, r: &crate::SegmentReport, packet: Option<&crate::TcpPacket>) {
        let facts = self.open.entry(r.conn).or_insert_with(|| {
            let (client, server) = match (packet, r.from) {
                (Some(p), Role::Client) => (p.src.to_string(), p.dst.to_string()),
                (Some(p), Role::Server) => (p.dst.to_string(), p.src.to_string()),
                (None, _) => (String::new(), String::new()),
            };
            table::Facts {
                conn: r.conn,
                client,
                server,
                first_line: r.line,
                last_line: r.line,
                segments: 0,
                duration: None,
                bytes_client: 0,
                bytes_server: 0,
                handshake: "—".to_string(),
                teardown: "open".to_string(),
                states: r.state,
                problems: Vec::new(),
            }
        });
        facts.last_line = r.line;
        facts.segments = facts.segments.saturating_add(1);
        facts.duration = r.time.or(facts.duration);
        match r.from {
            Role::Client => {
                facts.bytes_client = facts.bytes_client.saturating_add(u64::from(r.len))
            }
            Role::Server => {
                facts.bytes_server = facts.bytes_server.saturating_add(u64::from(r.len))
            }
        }
        facts.states = r.state;
        for e in r
            .events
            .iter()
            .filter(|e| e.kind.is_problem() && e.kind != EventKind::Reset)
        {
            let name = e.kind.name();
            match facts.problems.iter_mut().find(|(k, _)| k == name) {
                Some((_, n)) => *n = n.saturating_add(1),
                None => {
                    facts.problems.push((name.to_string(), 1));
                    facts.problems.sort();
                }
            }
        }
    }

    /// The table of the connections still open, when it is time for it.
    fn due(&mut self, lang: Lang) -> Option<String> {
        if self.last.elapsed() < self.every {
            return None;
        }
        self.last = Instant::now();
        if self.open.is_empty() {
            return None;
        }
        let mut facts: Vec<&table::Facts> = self.open.values().collect();
        facts.sort_by_key(|f| f.conn);
        let rows: Vec<Vec<String>> = facts.iter().map(|f| f.cells(lang)).collect();
        Some(format!(
            "── {}: {} ──\n{}",
            Label::Open.text(lang),
            rows.len(),
            table::text(&rows, lang, false)
        ))
    }
}

/// Whether a summary says something went wrong (`--problems`).
fn troubled(s: &crate::ConnectionSummary) -> bool {
    !s.problems.is_empty() || s.stall.is_some() || s.zero_window_at_end.is_some()
}

impl Output<'_> {
    /// Notes what the inputs hold (for the filters' message), and keeps the
    /// open connections' facts for `--every`.
    fn observe(&mut self, item: &Item) {
        match item {
            Item::Line {
                report: Some(r),
                record,
                ..
            } => {
                self.seen.connections = self.seen.connections.max(r.conn.saturating_add(1));
                if let Some(live) = &mut self.live {
                    let packet = match &record.kind {
                        RecordKind::Tcp(p) => Some(&**p),
                        _ => None,
                    };
                    live.segment(r, packet);
                }
            }
            Item::Connection(s) => {
                self.seen.connections = self.seen.connections.max(s.conn.saturating_add(1));
                for ep in [&s.client, &s.server] {
                    if self.seen.endpoints.len() < ENDPOINTS_NAMED
                        && !self.seen.endpoints.contains(ep)
                    {
                        self.seen.endpoints.push(ep.clone());
                    }
                }
                if let Some(live) = &mut self.live {
                    live.open.remove(&s.conn);
                }
            }
            Item::Line { .. } => {}
        }
    }

    fn wanted(&mut self, item: &Item) -> bool {
        let conn = match item {
            Item::Line {
                report: Some(r), ..
            } => Some(r.conn),
            Item::Connection(s) => Some(s.conn),
            Item::Line { .. } => None,
        };
        if self.args.summary && !matches!(item, Item::Connection(_)) {
            return false;
        }
        if let Some(n) = self.args.conn {
            if conn != Some(n) {
                return false;
            }
        }
        if let Some(ep) = &self.args.endpoint {
            let ok = match item {
                Item::Line { record, .. } => match &record.kind {
                    RecordKind::Tcp(p) => {
                        ep.matches(&p.src.host, p.src.port.as_deref())
                            || ep.matches(&p.dst.host, p.dst.port.as_deref())
                    }
                    _ => false,
                },
                Item::Connection(s) => ep.matches_text(&s.client) || ep.matches_text(&s.server),
            };
            if !ok {
                return false;
            }
        }
        if self.args.problems {
            match item {
                Item::Line {
                    report: Some(r), ..
                } => {
                    if !r.events.iter().any(|e| e.kind.is_problem()) {
                        return false;
                    }
                    self.troubled.insert(r.conn);
                }
                Item::Connection(s) => {
                    if !(self.troubled.remove(&s.conn) || troubled(s)) {
                        return false;
                    }
                }
                Item::Line { .. } => return false,
            }
        }
        true
    }

    fn item(&mut self, item: Item) -> io::Result<()> {
        match &item {
            Item::Line { record, report, .. } => {
                if matches!(
                    record.kind,
                    RecordKind::Unparsed(_) | RecordKind::OtherText(_)
                ) {
                    self.outcome.unread = self.outcome.unread.saturating_add(1);
                }
                if report.is_some() {
                    self.outcome.tcp = self.outcome.tcp.saturating_add(1);
                }
            }
            Item::Connection(_) => self.outcome.tcp = self.outcome.tcp.saturating_add(1),
        }
        if self.sifting {
            self.observe(&item);
            if !self.wanted(&item) {
                crate::spare::recycle(item);
                return Ok(());
            }
            if matches!(
                item,
                Item::Connection(_)
                    | Item::Line {
                        report: Some(_),
                        ..
                    }
            ) {
                self.seen.matched = self.seen.matched.saturating_add(1);
            }
        }
        if self.args.table {
            if let Item::Connection(s) = &item {
                let mut cells = table::Facts::of(s).cells(self.lang);
                if let Some(file) = &self.file {
                    cells.insert(0, render::sanitize(file).into_owned());
                }
                self.table.push(cells);
            }
        } else if let Some(document) = &mut self.document {
            document.item(&mut self.out, &item)?;
            if self.graphs.is_some() {
                self.write_pictures()?;
            }
        } else {
            match (self.format, &self.file) {
                (Format::Jsonl, None) => {
                    jsonl::append(&item, self.lang, &mut self.out.buf)?;
                    self.out.spill()?;
                }
                (Format::Jsonl, Some(file)) => {
                    jsonl::to_writer(&mut self.out, &jsonl::with_file(&item, file, self.lang))
                        .map_err(io::Error::from)?;
                    self.out.write_all(b"\n")?;
                }
                _ if self.args.brief => text::brief(&item, &self.text, &mut self.out)?,
                _ => text::item(&item, &self.text, &mut self.out)?,
            }
        }
        // Written: its boxes serve the next lines.
        crate::spare::recycle(item);
        if self.line_buffered {
            self.out.flush()?;
        }
        Ok(())
    }

    /// `--every`: the table of open connections, when it is due.
    fn tick(&mut self) -> io::Result<()> {
        let lang = self.lang;
        if let Some(table) = self.live.as_mut().and_then(|live| live.due(lang)) {
            self.out.write_all(table.as_bytes())?;
            self.out.flush()?;
        }
        Ok(())
    }

    /// `--graph`: writes the pictures drawn (or keeps the one of a single file).
    fn write_pictures(&mut self) -> io::Result<()> {
        let (Some(graphs), Some(document)) = (&mut self.graphs, &mut self.document) else {
            return Ok(());
        };
        for (summary, svg) in document.take_pictures() {
            graphs.drawn = graphs.drawn.saturating_add(1);
            if !graphs.directory {
                if graphs.drawn == 1 {
                    graphs.single = Some(svg.into_bytes());
                }
                continue;
            }
            let kind = match graphs.kind {
                GraphKind::Tsg => "tsg",
                GraphKind::Ladder => "ladder",
            };
            let name = format!("{}conn-{}.{kind}.svg", graphs.prefix, summary.conn);
            let path = graphs.path.join(name);
            std::fs::write(&path, svg)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            writeln!(self.out, "{}", path.display())?;
        }
        Ok(())
    }

    /// Starts the output (the document's head), titled `title`.
    fn start(&mut self, title: &str) -> io::Result<()> {
        match &mut self.document {
            Some(document) => document.start(&mut self.out, title),
            None => Ok(()),
        }
    }

    /// Starts an input; `many` when several inputs are explained in one run.
    fn begin(&mut self, name: &str, many: bool) -> io::Result<()> {
        self.file = many.then(|| name.to_string());
        if let Some(graphs) = &mut self.graphs {
            graphs.prefix = if many {
                let stem = std::path::Path::new(name)
                    .file_stem()
                    .map_or_else(|| "input".to_string(), |s| s.to_string_lossy().into_owned());
                format!("{stem}.")
            } else {
                String::new()
            };
        }
        if let Some(document) = &mut self.document {
            return document.begin(&mut self.out, name);
        }
        if many && self.format == Format::Text && !self.args.table {
            writeln!(self.out, "==> {} <==", render::sanitize(name))?;
        }
        Ok(())
    }

    /// Ends an input.
    fn end_input(&mut self) -> io::Result<()> {
        match &mut self.document {
            Some(document) => document.end(&mut self.out),
            None => Ok(()),
        }
    }

    /// Ends the output.
    fn finish(&mut self) -> io::Result<()> {
        if self.args.table && !self.table.is_empty() {
            let rows = std::mem::take(&mut self.table);
            let inputs = rows
                .first()
                .is_some_and(|r| r.len() > table::heads(self.lang).len());
            self.out
                .write_all(table::text(&rows, self.lang, inputs).as_bytes())?;
        }
        if let Some(document) = &mut self.document {
            document.finish(&mut self.out)?;
        }
        if let Some(graphs) = &mut self.graphs {
            if !graphs.directory {
                match (graphs.drawn, graphs.single.take()) {
                    (1, Some(svg)) => {
                        std::fs::write(&graphs.path, svg).map_err(|e| {
                            io::Error::new(e.kind(), format!("{}: {e}", graphs.path.display()))
                        })?;
                        writeln!(self.out, "{}", graphs.path.display())?;
                    }
                    (0, _) => {}
                    (n, _) => {
                        return Err(io::Error::other(format!(
                            "--graph: {n} connections to draw into one file, {}: name a directory \
                             (end it with /) or choose one with --conn N",
                            graphs.path.display()
                        )))
                    }
                }
            }
        }
        self.out.flush()
    }

    /// The message for filters that matched nothing (`None` when no filter
    /// is set or something matched).
    fn nothing_matched(&self) -> Option<String> {
        let a = self.args;
        if self.seen.matched > 0 || (a.conn.is_none() && a.endpoint.is_none() && !a.problems) {
            return None;
        }
        let lang = self.lang;
        if a.problems && a.conn.is_none() && a.endpoint.is_none() && self.seen.connections > 0 {
            return Some(Label::NoProblemFound.text(lang).to_string());
        }
        let mut filters = Vec::new();
        if let Some(n) = a.conn {
            filters.push(format!("--conn {n}"));
        }
        if let Some(ep) = &a.endpoint {
            filters.push(format!("--endpoint {}", render::sanitize(&ep.given)));
        }
        if a.problems {
            filters.push("--problems".to_string());
        }
        let mut message = format!("{} {}", filters.join(" "), Label::NothingMatched.text(lang));
        if self.seen.connections == 0 {
            return Some(message);
        }
        if a.conn.is_some() {
            let last = self.seen.connections.saturating_sub(1);
            let range = if last == 0 {
                "0".to_string()
            } else {
                format!("0–{last}")
            };
            let _ = write!(message, " ({}: {range})", Label::ConnectionsSeen.text(lang));
        } else if a.endpoint.is_some() && !self.seen.endpoints.is_empty() {
            let named: Vec<String> = self
                .seen
                .endpoints
                .iter()
                .map(|e| render::sanitize(e).into_owned())
                .collect();
            let _ = write!(
                message,
                " ({} {}{})",
                Label::EndpointsSeen.text(lang),
                named.join(", "),
                if named.len() >= ENDPOINTS_NAMED {
                    ", …"
                } else {
                    ""
                }
            );
        }
        Some(message)
    }
}

/// Where an input's bytes come from.
enum Input {
    /// A regular file (or standard input redirected from one), read through
    /// a buffer. (Not mapped: a mapped file that is cut short while it is
    /// read stops the process with SIGBUS; see [`crate::input`].)
    File(Box<dyn Read + Send>),
    /// A pipe, terminal or device: held lines are released when it pauses.
    Live(Box<dyn Read + Send>),
}

impl Input {
    /// Opens `path` without blocking (a named pipe with no writer yet opens
    /// at once, and is then waited for in a way Ctrl-C can interrupt).
    fn open(path: &std::path::Path, interrupted: &Arc<AtomicBool>) -> io::Result<Input> {
        let (file, regular) = input::open(path)?;
        if regular {
            return Ok(Input::File(Box::new(file)));
        }
        let flag = Arc::clone(interrupted);
        let go_on = move || {
            if flag.load(Ordering::Relaxed) {
                Err(io::Error::other("interrupted"))
            } else {
                Ok(())
            }
        };
        Ok(Input::Live(Box::new(Interruptible::new(file, true, go_on))))
    }

    /// Standard input: a regular file (`tcpexplain < dump.txt`) is read as if
    /// named, from where its offset stands; anything else is live.
    fn stdin() -> Input {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
                let file = File::from(fd);
                if file.metadata().is_ok_and(|m| m.is_file()) {
                    return Input::File(Box::new(file));
                }
            }
        }
        Input::Live(Box::new(io::stdin()))
    }
}

/// An error when the first bytes of the input `name` show it is not text
/// (a capture file, a compressed file), saying what to run instead.
fn text_only(first: &[u8], name: &str, lang: Lang) -> io::Result<()> {
    match crate::reader::Binary::sniff(first) {
        Some(kind) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            crate::explain::binary_input(kind, name, lang),
        )),
        None => Ok(()),
    }
}

/// Feeds everything an input holds (`name`: its path, `-` for standard input).
fn explain_input(
    input: Input,
    name: &str,
    hold: Duration,
    out: &mut Output<'_>,
    interrupted: &AtomicBool,
) -> io::Result<()> {
    let mut explainer = Explainer::with_options(crate::Options {
        // (A table or summaries need no reports, but for --every's open connections.)
        reports: !(out.args.summary || out.args.table) || out.live.is_some(),
        // JSON Lines show a segment through its report alone.
        segment_text: out.format != Format::Jsonl || out.args.diagram,
        // JSON Lines write each explanation straight into the line; pages
        // and pictures keep each connection's reports until it ends, kept
        // without their text and written when shown.
        explanations: out.format != Format::Jsonl
            && !matches!(
                out.document.as_ref().map(Document::kind),
                Some(
                    DocumentKind::Html
                        | DocumentKind::Markdown
                        | DocumentKind::Ladder { .. }
                        | DocumentKind::Pictures { .. }
                )
            ),
        lang: out.lang,
        ..crate::Options::default()
    });
    match input {
        Input::File(input) => {
            let mut reader = BufReader::with_capacity(WINDOW, input);
            text_only(reader.fill_buf()?, name, out.lang)?;
            explain_buffered(&mut reader, &mut explainer, out, interrupted)?;
        }
        Input::Live(input) => explain_live(input, name, hold, &mut explainer, out, interrupted)?,
    }
    explainer.finish();
    drain(&mut explainer, out)
}

/// Writes out what the explainer has released. (Called for every line:
/// inlined into the loops that read, a call costs as much as the loop.)
#[inline(always)]
fn drain(explainer: &mut Explainer, out: &mut Output<'_>) -> io::Result<()> {
    while let Some(item) = explainer.next_item() {
        out.item(item)?;
    }
    Ok(())
}

/// Bytes read at a time.
const WINDOW: usize = 1 << 16;

/// Feeds a file line by line.
fn explain_buffered(
    reader: &mut impl BufRead,
    explainer: &mut Explainer,
    out: &mut Output<'_>,
    interrupted: &AtomicBool,
) -> io::Result<()> {
    let mut buf = Vec::new();
    while !interrupted.load(Ordering::Relaxed) {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let whole = whole_lines(available);
        if whole.is_empty() {
            let Some(cut) = read_line(reader, &mut buf)? else {
                return Ok(());
            };
            explainer.push_read_line(&buf, cut);
            drain(explainer, out)?;
        } else {
            let used = whole.len();
            push_lines(whole, explainer, out, interrupted)?;
            reader.consume(used);
        }
    }
    Ok(())
}

/// The whole lines at the front of a reader's buffer: they are read where
/// they lie (no copy, one search for all their ends); a line that crosses
/// the buffer's end is gathered by `read_line`.
fn whole_lines(available: &[u8]) -> &[u8] {
    memchr::memrchr(b'\n', available)
        .map_or(&[][..], |last| available.get(..=last).unwrap_or_default())
}

/// Feeds lines that each end in a newline.
fn push_lines(
    whole: &[u8],
    explainer: &mut Explainer,
    out: &mut Output<'_>,
    interrupted: &AtomicBool,
) -> io::Result<()> {
    // (Decoded once for all of them: per line, the check costs twice as much.)
    let decoded = std::str::from_utf8(whole).ok();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', whole) {
        match decoded.and_then(|text| text.get(start..end)) {
            Some(line) => explainer.push_line(line),
            None => explainer.push_read_line(whole.get(start..end).unwrap_or_default(), false),
        }
        start = end.saturating_add(1);
        drain(explainer, out)?;
        if interrupted.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

/// What the reading thread of a live input hands on.
enum Block {
    /// Whole lines, as they came (each ends in a newline).
    Lines(Vec<u8>),
    /// One line gathered across reads, and whether it was cut.
    Line(Vec<u8>, bool),
}

/// Blocks in flight from the reading thread at most.
const BLOCKS: usize = 16;

/// Feeds a live input: a reader thread, so that a pause in the input can be
/// noticed and held lines released after `hold`. The thread hands on the
/// lines of each read together (one by one, a pipe's lines cost twice the time).
fn explain_live(
    input: Box<dyn Read + Send>,
    name: &str,
    hold: Duration,
    explainer: &mut Explainer,
    out: &mut Output<'_>,
    interrupted: &AtomicBool,
) -> io::Result<()> {
    let (tx, rx) = mpsc::sync_channel::<io::Result<Block>>(BLOCKS);
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(WINDOW, input);
        let mut buf = Vec::new();
        loop {
            let block = match reader.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
                Ok(available) => match whole_lines(available) {
                    [] => match read_line(&mut reader, &mut buf) {
                        Ok(Some(cut)) => Ok(Block::Line(buf.clone(), cut)),
                        Ok(None) => return,
                        Err(e) => Err(e),
                    },
                    whole => {
                        let block = whole.to_vec();
                        reader.consume(block.len());
                        Ok(Block::Lines(block))
                    }
                },
            };
            let failed = block.is_err();
            if tx.send(block).is_err() || failed {
                return;
            }
        }
    });
    let mut first = true;
    while !interrupted.load(Ordering::Relaxed) {
        out.tick()?;
        match rx.recv_timeout(hold) {
            Ok(block) => match block? {
                Block::Lines(bytes) | Block::Line(bytes, _)
                    if std::mem::take(&mut first) && text_only(&bytes, name, out.lang).is_err() =>
                {
                    return text_only(&bytes, name, out.lang);
                }
                Block::Lines(lines) => push_lines(&lines, explainer, out, interrupted)?,
                Block::Line(line, cut) => {
                    explainer.push_read_line(&line, cut);
                    drain(explainer, out)?;
                }
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                explainer.flush();
                drain(explainer, out)?;
                out.out.flush()?;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}

/// Which standard streams were open when the program started. Rust's
/// runtime opens `/dev/null` in place of a closed one before `main` (and
/// writes to it "succeed"), so the command's `main` looks before that and
/// says; otherwise (Python's `cli_main`) they are looked at on entry.
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    pub stdin_open: bool,
    pub stdout_open: bool,
}

impl Streams {
    /// As they are now.
    pub fn now() -> Streams {
        Streams {
            stdin_open: is_open(0),
            stdout_open: is_open(1),
        }
    }
}

/// Runs the command line (`argv` starts with the program's name); returns
/// the exit status. Arguments need not be UTF-8 (file names are any bytes).
pub fn run<I, T>(argv: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(argv, Streams::now())
}

/// [`run`], with the standard streams as they were at the start.
pub fn run_with<I, T>(argv: I, streams: Streams) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) if e.use_stderr() => {
            // (clap's message may quote an argument: shown escaped, without
            // clap's colours, which could not be told from an argument's.)
            let message = e.render().to_string();
            let _ = io::stderr().write_all(render::sanitize(&message).as_bytes());
            return 2;
        }
        Err(e) => {
            let _ = e.print();
            return 0;
        }
    };
    if args.man || args.completions.is_some() {
        return match generated(&args) {
            Ok(()) => 0,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
            Err(e) => {
                let _ = writeln!(io::stderr(), "tcpexplain: {e}");
                2
            }
        };
    }
    match run_args(&args, streams) {
        Ok(outcome) if outcome.failed => 2,
        Ok(outcome) if outcome.unmatched.is_some() => {
            let _ = writeln!(
                io::stderr(),
                "tcpexplain: {}",
                outcome.unmatched.as_deref().unwrap_or_default()
            );
            1
        }
        Ok(outcome) => i32::from(args.strict && outcome.unread > 0),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "tcpexplain: {}",
                render::sanitize(&e.to_string())
            );
            2
        }
    }
}

/// `--man` and `--completions`: made from the arguments' definition.
fn generated(args: &Args) -> io::Result<()> {
    let mut out = Vec::new();
    let command = Args::command();
    if args.man {
        clap_mangen::Man::new(command).render(&mut out)?;
    } else if let Some(shell) = args.completions {
        let mut command = command;
        clap_complete::generate(shell, &mut command, "tcpexplain", &mut out);
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()
}

/// Whether file descriptor `fd` is open.
#[cfg(unix)]
#[allow(unsafe_code)]
pub fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; any number may be asked.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

#[cfg(not(unix))]
pub fn is_open(_: i32) -> bool {
    true
}

fn run_args(args: &Args, streams: Streams) -> io::Result<Outcome> {
    // (A closed standard output would silently swallow everything.)
    if !streams.stdout_open || !is_open(1) {
        return Err(io::Error::other("standard output is closed"));
    }
    let stdin_terminal = io::stdin().is_terminal();
    let names_stdin = args.files.iter().any(|f| f.as_os_str() == "-");
    let reads_stdin = !args.demo && (args.files.is_empty() || names_stdin);
    if !args.demo && args.files.is_empty() && stdin_terminal {
        let _ = writeln!(
            io::stderr(),
            "tcpexplain: no input. Pipe tcpdump's output in, or name files \
             (`-`: paste it here):\n\n{EXAMPLES}"
        );
        return Err(io::Error::other("nothing to read from a terminal"));
    }
    if reads_stdin && (!streams.stdin_open || !is_open(0)) {
        return Err(io::Error::other("standard input is closed"));
    }
    if reads_stdin && stdin_terminal {
        // Asked for by name: a paste, read until the end of input.
        let _ = writeln!(
            io::stderr(),
            "tcpexplain: paste tcpdump's output, then press Ctrl-D on a line of its own"
        );
    }
    let stdout = io::stdout();
    let stdout_terminal = stdout.is_terminal();
    let choice = match args.color {
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
        ColorArg::Auto => anstream::AutoStream::choice(&stdout),
    };
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Json => Format::Json,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Html => Format::Html,
    };
    let hold = Duration::from_millis(args.hold.max(1));
    let inputs: Vec<PathBuf> = if args.demo {
        Vec::new()
    } else if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let many = inputs.len() > 1;
    if args.every.is_some() && (format != Format::Text || args.diagram || args.graph.is_some()) {
        return Err(io::Error::other(
            "--every writes its table between the lines of text: it needs the text output",
        ));
    }
    let graphs = match args.graph.as_deref() {
        Some([kind, path]) => Some(graphs_to(kind, path)?),
        _ => None,
    };
    let kind = match format {
        _ if graphs.is_some() => Some(DocumentKind::Pictures {
            tsg: graphs.as_ref().is_some_and(|g| g.kind == GraphKind::Tsg),
        }),
        _ if args.diagram => Some(DocumentKind::Ladder {
            absolute: args.absolute,
        }),
        _ if args.table => None,
        Format::Json => Some(DocumentKind::Json),
        Format::Markdown => Some(DocumentKind::Markdown),
        Format::Html => Some(DocumentKind::Html),
        Format::Text | Format::Jsonl => None,
    };
    let lang = args.lang.unwrap_or_else(Lang::from_env);
    // Text is wrapped to the terminal, or at 100 columns.
    let width = args.width.unwrap_or_else(|| {
        stdout_terminal
            .then(|| terminal_size::terminal_size_of(io::stdout()))
            .flatten()
            .map_or(100, |(w, _)| usize::from(w.0).clamp(40, 400))
    });
    let mut output = Output {
        args,
        format,
        lang,
        text: text::TextOptions {
            color: choice != anstream::ColorChoice::Never && format == Format::Text,
            absolute: args.absolute,
            width,
            lang,
        },
        out: Sink {
            buf: Vec::with_capacity(SINK),
            inner: Box::new(stdout.lock()),
        },
        line_buffered: (stdout_terminal || args.line_buffered) && !args.block_buffered,
        file: None,
        document: kind.map(|kind| Document::new(kind, many, lang)),
        outcome: Outcome::default(),
        seen: Seen::default(),
        troubled: HashSet::new(),
        table: Vec::new(),
        live: args.every.map(|every| Live {
            every,
            last: Instant::now(),
            open: HashMap::new(),
        }),
        graphs,
        sifting: args.conn.is_some()
            || args.endpoint.is_some()
            || args.problems
            || args.summary
            || args.every.is_some(),
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        // Ctrl-C: stop reading and show what was seen so far, summaries included.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    }
    if args.demo {
        output.start("tcpexplain: built-in sample (3-segment close)")?;
        output.begin("demo", false)?;
        explain_input(
            Input::File(Box::new(DEMO.as_bytes())),
            "demo",
            hold,
            &mut output,
            &interrupted,
        )?;
        output.end_input()?;
        output.finish()?;
        output.outcome.unmatched = output.nothing_matched();
        return Ok(std::mem::take(&mut output.outcome));
    }
    output.start(&inputs_title(&inputs))?;
    // Like cat: an input that cannot be read is reported and the others are still explained.
    let mut failed = false;
    for path in &inputs {
        let name = if path.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        let opened = if path.as_os_str() == "-" {
            Ok(Input::stdin())
        } else {
            Input::open(path, &interrupted)
        };
        output.outcome.tcp = 0;
        let result = opened.and_then(|input| {
            output.begin(&name, many)?;
            let path = if path.as_os_str() == "-" {
                "-".to_string()
            } else {
                name.clone()
            };
            let explained = explain_input(input, &path, hold, &mut output, &interrupted);
            // (What was explained is shown, even when reading failed midway.)
            output.end_input().and(explained)
        });
        if result.is_ok() && output.outcome.tcp == 0 && !interrupted.load(Ordering::Relaxed) {
            let _ = writeln!(io::stderr(), "tcpexplain: {name}: no TCP segment in it");
        }
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(e),
            // Ctrl-C while a pipe was awaited: not a failure of the input.
            Err(_) if interrupted.load(Ordering::Relaxed) => {}
            Err(e) => {
                let _ = writeln!(
                    io::stderr(),
                    "tcpexplain: {}: {}",
                    render::sanitize(&name),
                    render::sanitize(&e.to_string())
                );
                failed = true;
            }
            Ok(()) => {}
        }
        if interrupted.load(Ordering::Relaxed) {
            break;
        }
    }
    output.finish()?;
    output.outcome.failed |= failed;
    output.outcome.unmatched = output.nothing_matched();
    Ok(std::mem::take(&mut output.outcome))
}

/// Where `--graph KIND PATH` writes: a directory when PATH is one or ends
/// in `/` (made if need be), else one file.
fn graphs_to(kind: &OsString, path: &OsString) -> io::Result<Graphs> {
    let kind = match kind.to_str() {
        Some("tsg") => GraphKind::Tsg,
        Some("ladder") => GraphKind::Ladder,
        _ => {
            return Err(io::Error::other(format!(
                "--graph {}: expected tsg or ladder",
                render::sanitize(&kind.to_string_lossy())
            )))
        }
    };
    let path = PathBuf::from(path);
    let directory = path.is_dir()
        || path
            .as_os_str()
            .as_encoded_bytes()
            .last()
            .is_some_and(|b| *b == b'/');
    if directory {
        std::fs::create_dir_all(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    Ok(Graphs {
        kind,
        path,
        directory,
        single: None,
        drawn: 0,
        prefix: String::new(),
    })
}

/// The title of a document made from these inputs.
fn inputs_title(inputs: &[PathBuf]) -> String {
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    format!("tcpexplain: {}", names.join(", "))
}
