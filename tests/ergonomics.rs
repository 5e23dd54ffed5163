//! The command line's everyday habits, run as a separate process: one line
//! per packet (`--brief`), only the problems (`--problems`), one row per
//! connection (`--table`), filters that say when they matched nothing,
//! wrapping to a width, the manual page and shell completions, the live
//! periodic summary (`--every`), pictures written as files (`--graph`), and
//! the time-axis ladder of the article dumps.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cmd, run, BIN, ROOT};

/// A capture with a loss: 11 duplicate ACKs, a fast retransmission.
const LOSSY: &str = "tests/data/captures/fast_retransmission/nn.txt";
const IPV6: &str = "tests/data/captures/ipv6/nn.txt";
const CLOSING: &str = "tests/data/article/closing.txt";
const CLOSE3: &str = "tests/data/article/close3.txt";
fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 0 and an empty stderr; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "tcpexplain {args:?}: {}",
        stderr(&out)
    );
    assert!(
        out.stderr.is_empty(),
        "tcpexplain {args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// A scratch directory of this test under `target/`.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ergonomics-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------
// --brief

#[test]
fn brief_is_one_line_per_packet() {
    let out = ok(&["--brief", "--width", "40", LOSSY]);
    let lines: Vec<&str> = out.lines().collect();
    // 53 segments, then the connection's line.
    assert_eq!(lines.len(), 54, "{out}");
    for (n, line) in lines.iter().take(53).enumerate() {
        assert!(
            line.starts_with(&format!("{:>5}  connection 0  ", n + 1)),
            "{line}"
        );
        assert!(line.contains("│ client "), "{line}");
    }
    assert_eq!(
        lines[22],
        "   23  connection 0  client → server [.] seq 977 ack 1 len 488  │ client ESTABLISHED · \
         server ESTABLISHED  ⚑ fast_retransmission  ⚑ retransmission"
    );
    assert_eq!(
        lines[53],
        "── connection 0: 10.77.0.1.35188 → 10.77.0.2.9000 · teardown four_way · ⚑ problems: \
         duplicate_ack 11, fast_retransmission 1, retransmission 1"
    );
    // Grep finds each kind of problem on its own line.
    assert_eq!(out.matches("⚑ duplicate_ack #").count(), 11);
    // Lines that are not packets (tcpdump's messages) are left out; other
    // protocols' packets are named.
    let mixed = "tcpdump: listening on eth0\n\
                 12:00:00.000000 IP 10.0.0.1.53 > 10.0.0.2.5353: UDP, length 40\n\
                 12:00:00.100000 IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n";
    let dir = scratch("brief");
    let file = dir.join("mixed.txt");
    std::fs::write(&file, mixed).unwrap();
    let out = ok(&["--brief", file.to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("    2  ") && lines[0].contains("not TCP"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("    3  connection 0  client → server [S]"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// --problems and the summaries' problem counts

#[test]
fn problems_shows_only_problem_lines_and_their_summaries() {
    let out = ok(&["--problems", "--brief", LOSSY]);
    let lines: Vec<&str> = out.lines().collect();
    // 11 duplicate ACKs and the fast retransmission, then the summary.
    assert_eq!(lines.len(), 13, "{out}");
    assert!(lines[..12].iter().all(|l| l.contains("⚑ ")), "{out}");
    assert!(lines[12].starts_with("── connection 0:"), "{out}");

    // The text summary lists the counts, as the status lines name them.
    let text = ok(&["--problems", "--color", "never", LOSSY]);
    assert!(
        text.contains(
            "\n  ⚑ problems: duplicate_ack 11, fast_retransmission 1, retransmission 1\n"
        ),
        "{text}"
    );
    // No problem: said on stderr, exit 1 (as grep finding nothing).
    let out = run(&["--problems", CLOSE3]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out), "tcpexplain: no problem found\n");
    // Other formats are filtered alike.
    let jsonl = ok(&["--problems", "--format", "jsonl", LOSSY]);
    assert_eq!(jsonl.lines().count(), 13);
}

#[test]
fn summaries_list_problem_counts() {
    let text = ok(&["--summary", "--color", "never", LOSSY]);
    assert!(
        text.ends_with("  ⚑ problems: duplicate_ack 11, fast_retransmission 1, retransmission 1\n")
    );
    // A connection without problems gets no such line.
    let text = ok(&["--summary", "--color", "never", CLOSE3]);
    assert!(!text.contains("⚑"), "{text}");
}

// ---------------------------------------------------------------------------
// --table

#[test]
fn table_has_one_row_per_connection() {
    let out = ok(&["--table", "tests/data/captures/reused_ports/nn.txt"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let heads: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        heads,
        [
            "connection",
            "client",
            "server",
            "line",
            "segments",
            "duration",
            "client",
            "bytes",
            "server",
            "bytes",
            "handshake",
            "teardown",
            "last",
            "states",
            "problems"
        ]
    );
    let cells: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "1",
            "10.77.0.1.40000",
            "10.77.0.2.9000",
            "11–20",
            "10",
            "9.1",
            "ms",
            "11",
            "18",
            "complete",
            "three_way",
            "CLOSED/TIME_WAIT",
            "none"
        ]
    );
    // Columns line up: every row as long as the header up to the last column.
    let problems_at = lines[0].find("problems").unwrap();
    for l in &lines[1..] {
        let last: String = l.chars().skip(problems_at).collect();
        assert_eq!(last, "none", "{out}");
    }
    // Several inputs: a column names each row's input.
    let out = ok(&["--table", CLOSE3, LOSSY]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("input "), "{out}");
    assert!(lines[1].starts_with(CLOSE3), "{out}");
    assert!(
        lines[2].starts_with(LOSSY) && lines[2].ends_with("retransmission 1"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// Filters

/// (exit status, lines of --brief output, stderr) of a filter.
fn filtered(input: &str, filter: &[&str]) -> (Option<i32>, usize, String) {
    let mut args = vec!["--brief"];
    args.extend_from_slice(filter);
    args.push(input);
    let out = run(&args);
    (
        out.status.code(),
        stdout(&out).lines().count(),
        stderr(&out),
    )
}

#[test]
fn endpoints_in_every_spelling() {
    // The whole connection: its 10 lines and its summary.
    for endpoint in [
        "[fd00::2]:8080",
        "[fd00::2]",
        "fd00::2",
        "fd00::2.8080",
        "8080",
        ":8080",
        "60956",
        "[fd00::1]:60956",
    ] {
        assert_eq!(
            filtered(IPV6, &["--endpoint", endpoint]),
            (Some(0), 11, String::new()),
            "{endpoint}"
        );
    }
    for endpoint in [
        "10.77.0.2:9000",
        "10.77.0.2",
        "10.77.0.2.9000",
        "9000",
        "35188",
        "10.77.0.1:35188",
    ] {
        assert_eq!(
            filtered(LOSSY, &["--endpoint", endpoint]),
            (Some(0), 54, String::new()),
            "{endpoint}"
        );
    }
}

#[test]
fn filters_that_match_nothing_say_so() {
    let (code, lines, err) = filtered(LOSSY, &["--endpoint", "10.77.0.2:7008"]);
    assert_eq!((code, lines), (Some(1), 0));
    assert_eq!(
        err,
        "tcpexplain: --endpoint 10.77.0.2:7008 matched nothing (endpoints in the input \
         include 10.77.0.1.35188, 10.77.0.2.9000)\n"
    );
    let (code, lines, err) = filtered(LOSSY, &["--conn", "99"]);
    assert_eq!((code, lines), (Some(1), 0));
    assert_eq!(
        err,
        "tcpexplain: --conn 99 matched nothing (the input's connections: 0)\n"
    );
    let (code, lines, err) = filtered("tests/data/captures/reused_ports/nn.txt", &["--conn", "2"]);
    assert_eq!((code, lines), (Some(1), 0));
    assert!(err.ends_with("(the input's connections: 0–1)\n"), "{err}");
    // Port, host, and ports that are only a prefix of the real one.
    for endpoint in ["7008", "10.77.0.3", "[fd00::2]:80", "900", "10.77.0.2.900"] {
        let (code, lines, err) = filtered(LOSSY, &["--endpoint", endpoint]);
        assert_eq!((code, lines), (Some(1), 0), "{endpoint}");
        assert!(err.contains("matched nothing"), "{endpoint}: {err}");
    }
    // Not an endpoint at all: a usage error.
    for endpoint in ["[fd00::2", "[]:80", "10.0.0.1:", ""] {
        let out = run(&["--endpoint", endpoint, LOSSY]);
        assert_eq!(out.status.code(), Some(2), "{endpoint:?}");
        assert!(stderr(&out).contains("--endpoint"), "{endpoint:?}");
    }
}

// ---------------------------------------------------------------------------
// Width

#[test]
fn text_wraps_at_the_width_asked() {
    let widest = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("      "))
            .map(|l| l.chars().count())
            .max()
            .unwrap()
    };
    let narrow = ok(&["--width", "60", "--color", "never", CLOSE3]);
    assert!(widest(&narrow) <= 60, "{narrow}");
    assert!(widest(&narrow) > 50, "{narrow}");
    let wide = ok(&["--width", "160", "--color", "never", CLOSE3]);
    assert!(widest(&wide) > 100, "{wide}");
    // 0: a paragraph is one line.
    let unwrapped = ok(&["--width", "0", "--color", "never", CLOSE3]);
    // (Each line: the input, the status, the explanation; the summary's
    // title and paragraph.)
    assert_eq!(unwrapped.lines().count(), 10 * 3 + 2, "{unwrapped}");
    // The words are the same, however wrapped.
    // (The summary's title is filled with rules to the width.)
    let words = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("──"))
            .flat_map(str::split_whitespace)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(words(&narrow), words(&unwrapped));
}

/// On a terminal, text is wrapped to its width (util-linux `script` gives one).
#[test]
fn text_wraps_at_the_terminal_width() {
    let usable = Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    }
    let line = format!("stty cols 72 rows 50; '{BIN}' --color never {CLOSE3}");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let widest = text
        .lines()
        .filter(|l| l.starts_with("      "))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!((60..=72).contains(&widest), "{widest}: {text}");
}

// ---------------------------------------------------------------------------
// Manual page and completions

#[test]
fn manual_page_and_completions() {
    let man = ok(&["--man"]);
    assert!(man.contains(".TH tcpexplain 1"), "{man:.200}");
    assert!(man.contains(".SH NAME") && man.contains(".SH OPTIONS"));
    for flag in [
        "brief", "problems", "table", "endpoint", "width", "graph", "every",
    ] {
        assert!(
            man.contains(&format!("\\-\\-{flag}")),
            "--{flag} in the manual page"
        );
    }
    assert!(man.contains("Exit status"), "the examples and exit status");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(&["--completions", shell]);
        assert!(script.contains("tcpexplain"), "{shell}");
        assert!(
            script.contains("brief") && script.contains("endpoint"),
            "{shell}"
        );
    }
    let fish = ok(&["--completions", "fish"]);
    assert!(fish.contains("complete -c tcpexplain -l format"), "{fish}");
    assert!(fish.contains("markdown"), "the formats are offered: {fish}");
    // Neither needs an input; neither takes one.
    let out = run(&["--completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--man", CLOSE3]);
    assert_eq!(out.status.code(), Some(2));
    // The bash script is valid bash.
    if Command::new("bash").arg("--version").output().is_ok() {
        let dir = scratch("completions");
        let file = dir.join("tcpexplain.bash");
        std::fs::write(&file, ok(&["--completions", "bash"])).unwrap();
        let status = Command::new("bash")
            .args(["-n", file.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

// ---------------------------------------------------------------------------
// --every

/// A live pipe: the first half of a connection, a pause longer than the
/// period, then the rest. The table of open connections comes in the pause.
#[test]
fn every_prints_the_open_connections_while_live() {
    let dump = std::fs::read_to_string(Path::new(ROOT).join(LOSSY)).unwrap();
    let lines: Vec<&str> = dump.lines().collect();
    let mut child = cmd()
        .args(["--every", "200ms", "--brief"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        stdout.read_to_string(&mut all).unwrap();
        all
    });
    for l in &lines[..30] {
        writeln!(stdin, "{l}").unwrap();
    }
    stdin.flush().unwrap();
    // (Generous: the table is due 200 ms after the start; a slow machine
    // only makes it come later within the pause.)
    std::thread::sleep(Duration::from_millis(1500));
    for l in &lines[30..] {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(120), "hang guard");
    assert!(status.success());
    let out = reader.join().unwrap();
    let table = out
        .find("── open connections: 1 ──\n")
        .unwrap_or_else(|| panic!("no table of open connections: {out}"));
    let summary = out.find("── connection 0:").unwrap();
    assert!(table < summary, "{out}");
    let row = out[table..].lines().nth(2).unwrap();
    assert!(
        row.trim_start()
            .starts_with("0  10.77.0.1.35188  10.77.0.2.9000  1–30"),
        "{row}"
    );
    assert!(
        row.contains("open") && row.contains("ESTABLISHED/ESTABLISHED"),
        "{row}"
    );
    assert!(row.contains("fast_retransmission 1"), "{row}");
    // Only between lines of text.
    let out = run(&["--every", "1s", "--format", "jsonl", CLOSE3]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs the text output"));
    // Bad durations are usage errors.
    for bad in ["0s", "ten", "5 parsecs", "-1s"] {
        assert_eq!(
            run(&["--every", bad, CLOSE3]).status.code(),
            Some(2),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------------------
// --graph

#[test]
fn graphs_are_written_as_files() {
    let dir = scratch("graph");
    // A directory: one file per connection (named after the input when several).
    let into = format!("{}/", dir.join("tsg").display());
    let out = ok(&["--graph", "tsg", &into, LOSSY, CLOSE3]);
    let written: Vec<&str> = out.lines().collect();
    assert_eq!(written.len(), 2, "{out}");
    assert!(written[0].ends_with("tsg/nn.conn-0.tsg.svg"), "{out}");
    assert!(written[1].ends_with("tsg/close3.conn-0.tsg.svg"), "{out}");
    let svg = std::fs::read_to_string(written[0]).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains("sequence numbers of the client&#39;s data over time"));
    assert!(svg.contains("round trip of each ACK"));
    assert!(svg.contains("#d62728"), "the retransmission in red");
    // One file: one connection.
    let file = dir.join("closing.svg");
    let out = ok(&["--graph", "ladder", file.to_str().unwrap(), CLOSING]);
    assert_eq!(out.trim_end(), file.to_str().unwrap());
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.contains("class=\"ladder\"") && svg.contains("simultaneous_close"));
    // One file for two connections: an error, nothing written.
    let two = dir.join("two.svg");
    let out = run(&[
        "--graph",
        "tsg",
        two.to_str().unwrap(),
        "tests/data/captures/reused_ports/nn.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2 connections"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--conn N"));
    assert!(!two.exists());
    // ... unless one is chosen.
    ok(&[
        "--graph",
        "tsg",
        two.to_str().unwrap(),
        "--conn",
        "1",
        "tests/data/captures/reused_ports/nn.txt",
    ]);
    assert!(two.exists());
    // Unknown kinds are refused.
    let out = run(&["--graph", "pie", "x.svg", CLOSE3]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected tsg or ladder"));
}

// ---------------------------------------------------------------------------
// Ladders and the HTML report

/// The time-axis ladder of a simultaneous close: the server's FIN (line 1)
/// is still in flight when the client sends its own (line 2), so its arrow
/// slants across line 2 and arrives on a row of its own; the client goes
/// through CLOSING there. (The whole diagram is a golden file of tests/cli.rs.)
#[test]
fn crossing_fins_cross() {
    let out = ok(&["--diagram", CLOSING]);
    let rows: Vec<&str> = out.lines().collect();
    let strokes = |row: &str| {
        row.char_indices()
            .filter(|(_, c)| *c == '╱')
            .map(|(i, _)| row[..i].chars().count())
            .collect::<Vec<_>>()
    };
    let line1 = rows.iter().find(|r| r.starts_with("    1 ")).unwrap();
    let line2 = rows.iter().find(|r| r.starts_with("    2 ")).unwrap();
    let arrival = rows[rows.iter().position(|r| r.starts_with("    2 ")).unwrap() + 1];
    // Leaves the server on line 1, crosses line 2's arrow further left,
    // arrives at the client on the next row.
    let (a, b, c) = (strokes(line1), strokes(line2), strokes(arrival));
    assert_eq!((a.len(), b.len(), c.len()), (1, 1, 1), "{out}");
    assert!(a[0] > b[0] && b[0] > c[0], "{out}");
    assert!(line2.contains("▶") && arrival.contains("◀"), "{out}");
    assert!(arrival.trim_start().starts_with("CLOSING"), "{out}");
    assert!(
        out.contains("in flight while the other end sent"),
        "the legend: {out}"
    );
}

#[test]
fn html_report_is_self_contained_responsive_and_printable() {
    let html = ok(&["--format", "html", LOSSY]);
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("@media (max-width:720px)"));
    assert!(html.contains("@media print"));
    assert!(!html.contains("<script"), "readable without scripts");
    // Nothing fetched: the only address is SVG's namespace.
    let addresses = html.matches("http://").count() + html.matches("https://").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(addresses, namespaces);
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "no fetched resource"
    );
    // Each connection: its ladder, its time-sequence graph, its lines; and
    // the table of connections linking to it.
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("<figure class=\"ladder\">") && html.contains("<figure class=\"tsg\">"));
    assert!(html.contains("<a href=\"#conn-0\">0</a>"));
    assert!(html.contains("id=\"conn-0\""));
    assert!(html.contains("⚑ problems: duplicate_ack 11"));
}
