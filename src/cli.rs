//! The command-line face: arguments, input (files, pipes, terminals), output
//! buffering, colour, exit status. All explaining is done by [`crate::Explainer`].

use crate::input::{self, Interruptible};
use crate::model::RecordKind;
use crate::reader::read_line;
use crate::render::document::{Document, DocumentKind};
use crate::render::{self, jsonl, text, Format};
use crate::track::Item;
use crate::Explainer;
use clap::{Parser, ValueEnum};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// The sample built into the binary (`--demo`): a real capture of a 3-segment close.
pub const DEMO: &str = include_str!("../tests/data/article/close3.txt");

const EXAMPLES: &str = "Examples:
  tcpexplain dump.txt                         explain a saved tcpdump output
  tcpdump -nn -r capture.pcap | tcpexplain    explain a capture file
  sudo tcpdump -l -nn -i any port 443 | tcpexplain
                                              explain live traffic as it arrives
  tcpexplain --diagram dump.txt               ladder diagram of each connection
  tcpexplain --format jsonl dump.txt | jq .   machine-readable facts, one per line
  tcpexplain --demo                           see it work on a built-in sample

Exit status: 0 explained, 1 unparsed lines with --strict, 2 an error.";

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
#[command(name = "tcpexplain", version, about, after_help = EXAMPLES)]
struct Args {
    /// tcpdump output to explain; none or `-` reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Output format: text for people; jsonl one JSON object per line (see the README);
    /// json one document; markdown for an issue or blog; html a standalone page.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Draw a ladder diagram of each connection instead of the line-by-line text.
    #[arg(long, conflicts_with_all = ["format", "summary"])]
    diagram: bool,

    /// Show only the connection summaries.
    #[arg(long)]
    summary: bool,

    /// Show only connection N (0-based, in order of first appearance).
    #[arg(long, value_name = "N")]
    conn: Option<usize>,

    /// Show only connections with this endpoint: HOST or HOST.PORT as tcpdump prints it.
    #[arg(long, value_name = "HOST[.PORT]")]
    endpoint: Option<String>,

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
    text: text::TextOptions,
    out: Sink<'a>,
    line_buffered: bool,
    /// The input being read, named in machine output when there are several.
    file: Option<String>,
    /// The document being written (JSON, Markdown, HTML, diagrams), as items come.
    document: Option<Document>,
    outcome: Outcome,
}

impl Output<'_> {
    fn wanted(&self, item: &Item) -> bool {
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
            let matches = |s: &str| s == ep || s.rsplit_once('.').is_some_and(|(h, _)| h == ep);
            let ok = match item {
                Item::Line { record, .. } => match &record.kind {
                    RecordKind::Tcp(p) => {
                        matches(&p.src.to_string()) || matches(&p.dst.to_string())
                    }
                    _ => false,
                },
                Item::Connection(s) => matches(&s.client) || matches(&s.server),
            };
            if !ok {
                return false;
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
        if !self.wanted(&item) {
            crate::spare::recycle(item);
            return Ok(());
        }
        if let Some(document) = &mut self.document {
            document.item(&mut self.out, &item)?;
        } else {
            match (self.format, &self.file) {
                (Format::Jsonl, None) => {
                    jsonl::append(&item, &mut self.out.buf)?;
                    self.out.spill()?;
                }
                (Format::Jsonl, Some(file)) => {
                    jsonl::to_writer(&mut self.out, &jsonl::with_file(&item, file))
                        .map_err(io::Error::from)?;
                    self.out.write_all(b"\n")?;
                }
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
        if let Some(document) = &mut self.document {
            return document.begin(&mut self.out, name);
        }
        if many && self.format == Format::Text {
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
        if let Some(document) = &mut self.document {
            document.finish(&mut self.out)?;
        }
        self.out.flush()
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
fn text_only(first: &[u8], name: &str) -> io::Result<()> {
    match crate::reader::Binary::sniff(first) {
        Some(kind) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            crate::explain::binary_input(kind, name),
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
        reports: !out.args.summary,
        // JSON Lines show a segment through its report alone.
        segment_text: out.format != Format::Jsonl || out.args.diagram,
        ..crate::Options::default()
    });
    match input {
        Input::File(input) => {
            let mut reader = BufReader::with_capacity(WINDOW, input);
            text_only(reader.fill_buf()?, name)?;
            explain_buffered(&mut reader, &mut explainer, out, interrupted)?;
        }
        Input::Live(input) => explain_live(input, name, hold, &mut explainer, out, interrupted)?,
    }
    explainer.finish();
    drain(&mut explainer, out)
}

/// Writes out what the explainer has released.
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
        match rx.recv_timeout(hold) {
            Ok(block) => match block? {
                Block::Lines(bytes) | Block::Line(bytes, _)
                    if std::mem::take(&mut first) && text_only(&bytes, name).is_err() =>
                {
                    return text_only(&bytes, name);
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
    match run_args(&args, streams) {
        Ok(outcome) if outcome.failed => 2,
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
    let kind = match format {
        _ if args.diagram => Some(DocumentKind::Ladder {
            absolute: args.absolute,
        }),
        Format::Json => Some(DocumentKind::Json),
        Format::Markdown => Some(DocumentKind::Markdown),
        Format::Html => Some(DocumentKind::Html),
        Format::Text | Format::Jsonl => None,
    };
    let mut output = Output {
        args,
        format,
        text: text::TextOptions {
            color: choice != anstream::ColorChoice::Never && format == Format::Text,
            absolute: args.absolute,
            width: 100,
            lang: crate::Lang::En,
        },
        out: Sink {
            buf: Vec::with_capacity(SINK),
            inner: Box::new(stdout.lock()),
        },
        line_buffered: (stdout_terminal || args.line_buffered) && !args.block_buffered,
        file: None,
        document: kind.map(|kind| Document::new(kind, many, crate::Lang::En)),
        outcome: Outcome::default(),
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
        return output
            .finish()
            .map(|()| std::mem::take(&mut output.outcome));
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
    Ok(std::mem::take(&mut output.outcome))
}

/// The title of a document made from these inputs.
fn inputs_title(inputs: &[PathBuf]) -> String {
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    format!("tcpexplain: {}", names.join(", "))
}
