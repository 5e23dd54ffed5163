//! Issue 25, "hostile input, round two": each fault's repro, scaled down, run
//! against the command. (The Python ones are in `python/tests`; unit tests
//! of the sanitizer, the JSON writers and Markdown cells are in `src/render`.)
//!
//! No assertion depends on the machine's speed: waits are hang guards, and a
//! test that needs the command to be at some point (reading a pipe, writing
//! its output) looks for that point instead of sleeping.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cmd, run_stdin, wait_at_most, BIN, ROOT};

/// How long a child may take before the test calls it hung: a guard, not a measure.
const PATIENCE: Duration = Duration::from_secs(120);
fn article(dump: &str) -> Vec<u8> {
    std::fs::read(Path::new(ROOT).join(format!("tests/data/article/{dump}.txt"))).unwrap()
}

/// A directory of this test's own under Cargo's scratch directory.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
/// Waits until `pred` holds (a hang guard fails the test otherwise).
fn wait_for(what: &str, mut pred: impl FnMut() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(start.elapsed() < PATIENCE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A dump line from `src` to `dst` (tcpdump's `host.port` forms).
fn syn(src: &str, dst: &str) -> String {
    format!(
        "12:00:00.000001 IP {src} > {dst}: Flags [S], seq 1000, win 64240, options [mss 1460], length 0\n"
    )
}

/// `copies` copies of the article's close4, each its own connection.
fn many_connections(copies: usize) -> Vec<u8> {
    let template = String::from_utf8(article(/* a four-segment close */ "close4")).unwrap();
    let mut out = String::new();
    for i in 0..copies {
        out.push_str(&template.replace(
            "172.16.196.142.41424",
            &format!("10.9.{}.{}.41424", i / 250, i % 250),
        ));
    }
    out.into_bytes()
}

// ---------------------------------------------------------------------------
// Fault 2: document formats are written as the items come

/// The first connection's part of each document appears while the input is
/// still open: nothing waits for the end of the input. (Peak memory on a
/// million segments is shown by `benches/memory.sh`.)
#[test]
fn fault2_documents_are_written_as_items_come() {
    for (args, first_part) in [
        (&["--format", "json"][..], "\"type\": \"connection\""),
        (&["--format", "markdown"][..], "**Summary.** Connection 0:"),
        (
            &["--format", "html"][..],
            "<p class=\"summary\">Connection 0:",
        ),
        (&["--diagram"][..], "teardown: four_way"),
    ] {
        let mut child = cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // Enough lines after the first connection for its summary to be given
        // (it lingers 200 records), and a block buffer's worth of output.
        stdin.write_all(&many_connections(60)).unwrap();
        stdin.flush().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        while !String::from_utf8_lossy(&seen).contains(first_part) {
            let n = stdout.read(&mut buf).unwrap();
            assert!(n > 0, "{args:?}: output ended without {first_part:?}");
            seen.extend_from_slice(&buf[..n]);
        }
        // The input is still open: what was read was written as the items came.
        drop(stdin);
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).unwrap();
        assert!(wait_at_most(&mut child, PATIENCE, "a document").success());
    }
}

// ---------------------------------------------------------------------------
// Fault 4: a file cut short while it is read

/// The command reads a big file; its output is not read, so it stops
/// (blocked writing) having read part of the file; then the file is
/// truncated to nothing, and its output read. A mapped file would stop the
/// process with SIGBUS; a read file just ends.
#[test]
fn fault4_file_truncated_while_read_ends_cleanly() {
    let dir = scratch_dir("fault4");
    let path = dir.join("big.txt");
    std::fs::write(&path, many_connections(6000)).unwrap();
    let mut child = cmd().arg(&path).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4096];
    stdout.read_exact(&mut first).unwrap();
    // (Truncated while the command is at most a pipe's buffer past the start.)
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let status = wait_at_most(&mut child, PATIENCE, "a truncated file");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

// ---------------------------------------------------------------------------
// Fault 5: file names that are not UTF-8

#[cfg(unix)]
#[test]
fn fault5_file_name_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch_dir("fault5");
    let path = dir.join(std::ffi::OsStr::from_bytes(b"dump-\xff.txt"));
    std::fs::write(&path, article("close3")).unwrap();
    let out = cmd().arg("--summary").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("connection 0"));
    // Named with another file: the header shows the name (lossily).
    let out = cmd().arg(&path).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dump-\u{fffd}.txt <=="));
    // A missing one is reported, not a panic.
    let missing = dir.join(std::ffi::OsStr::from_bytes(b"\xfe-missing"));
    let out = cmd().arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("\u{fffd}-missing: No such file"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------
// Fault 6: names from the command line reach stderr escaped

#[test]
fn fault6_names_on_stderr_are_escaped() {
    let dir = scratch_dir("fault6");
    let missing = dir.join("nope\u{1b}]52;c;cHduZWQ=\u{7}");
    let out = cmd().arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(
        err.contains("nope^[]52;c;cHduZWQ=^G: No such file"),
        "{err:?}"
    );

    let directory = dir.join("dir\u{1b}[31m\u{202e}");
    std::fs::create_dir_all(&directory).unwrap();
    let out = cmd().arg(&directory).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("dir^[[31m\\u{202e}"), "{err:?}");

    // clap's own messages quote arguments.
    for args in [
        &["--format", "x\u{202e}\u{1b}]52;c;AA\u{7}"][..],
        &["--conn", "\u{9b}31m"],
        &["--nope\u{2066}"],
    ] {
        let out = cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("error:"), "{err:?}");
        assert!(
            !err.chars().any(|c| (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "{args:?}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Faults 8, 9, 10: invisible characters and markup from the input

/// A connection whose client is a hostname carrying `extra`.
fn with_host(extra: &str) -> Vec<u8> {
    let host = format!("evil{extra}.example.41000");
    let mut input = syn(&host, "10.0.0.2.80");
    input.push_str(&format!(
        "12:00:00.000101 IP 10.0.0.2.80 > {host}: Flags [R.], seq 0, ack 1001, win 0, length 0\n"
    ));
    input.into_bytes()
}
const INVISIBLE: [char; 9] = [
    '\u{61c}',
    '\u{2060}',
    '\u{feff}',
    '\u{ad}',
    '\u{180e}',
    '\u{fff9}',
    '\u{e0041}',
    '\u{9b}',
    '\u{202e}',
];

#[test]
fn fault8_text_shows_invisible_characters() {
    for c in INVISIBLE {
        let out = run_stdin(&["--color", "never"], &with_host(&c.to_string()));
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(c), "U+{:04X} reached the terminal", c as u32);
        assert!(
            text.contains(&format!("evil\\u{{{:x}}}.example", c as u32)),
            "U+{:04X}: {text}",
            c as u32
        );
    }
}

#[test]
fn fault9_json_escapes_invisible_characters() {
    for format in ["jsonl", "json"] {
        for c in INVISIBLE {
            let out = run_stdin(&["--format", format], &with_host(&c.to_string()));
            assert_eq!(out.status.code(), Some(0));
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(
                !text.contains(c),
                "{format}: U+{:04X} written raw",
                c as u32
            );
            let mut units = [0u16; 2];
            let escape: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect();
            assert!(
                text.contains(&format!("evil{escape}.example")),
                "{format}: {text}"
            );
            // Still the same value to a JSON reader.
            let values: Vec<serde_json::Value> = if format == "jsonl" {
                text.lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect()
            } else {
                serde_json::from_str(&text).unwrap()
            };
            let summary = values.iter().find(|v| v["type"] == "connection").unwrap();
            assert_eq!(summary["client"], format!("evil{c}.example.41000"));
        }
    }
}

#[test]
fn fault10_markdown_escapes_markup_from_the_input() {
    let input = with_host("![x](http://evil.example/p.png)");
    let out = run_stdin(&["--format", "markdown"], &input);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8(out.stdout).unwrap();
    // (Outside headings' code spans and the ladder's code block, where nothing is markup.)
    let mut code = false;
    for line in md.lines() {
        code ^= line.starts_with("```");
        if !code && !line.starts_with("### ") {
            assert!(!line.contains("![x]("), "{line}");
        }
    }
    assert!(md.contains("\\!\\[x\\](http://evil.example/p.png)"), "{md}");
    // Headings hold input only in code spans, where nothing is markup.
    let heading = md.lines().next().unwrap();
    assert!(
        heading.starts_with("### Connection 0: `evil![x]"),
        "{heading}"
    );
    // An unparsed line with markup and pipes stays one table row.
    let out = run_stdin(&["--format", "markdown"], b"<img src=x> | [a](b) *c* `d`\n");
    let md = String::from_utf8(out.stdout).unwrap();
    let row = md.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    assert!(
        row.contains("&lt;img src=x&gt; \\| \\[a\\](b) \\*c\\* \\`d\\`"),
        "{row}"
    );
}

// ---------------------------------------------------------------------------
// Fault 11: a closed standard output

#[cfg(unix)]
#[test]
fn fault11_closed_stdout_is_an_error() {
    let out = Command::new("sh")
        .current_dir(ROOT)
        .args([
            "-c",
            "exec \"$0\" \"$@\" >&-",
            BIN,
            "tests/data/article/close3.txt",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("standard output is closed"),
        "{}",
        stderr(&out)
    );
    // And a closed standard input when it is to be read.
    let out = Command::new("sh")
        .current_dir(ROOT)
        .args(["-c", "exec \"$0\" \"$@\" <&-", BIN, "--summary"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("standard input is closed"),
        "{}",
        stderr(&out)
    );
    // /dev/null is not closed.
    let out = cmd()
        .arg("tests/data/article/close3.txt")
        .stdout(std::fs::File::create("/dev/null").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// Fault 12: a named pipe with no writer, and Ctrl-C

/// Whether process `pid` has `path` open (from /proc).
#[cfg(target_os = "linux")]
fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == path))
}

/// Ctrl-C ends the command waiting for a pipe's first writer (the pipe is
/// seen open in /proc before the signal is sent: it was opened, so the
/// command's handler for Ctrl-C is in place).
#[cfg(target_os = "linux")]
#[test]
fn fault12_ctrl_c_ends_a_wait_for_a_writer() {
    let dir = scratch_dir("fault12");
    let fifo = dir.join("capture.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for args in [&[][..], &["--format", "json"]] {
        let mut child = cmd()
            .args(args)
            .arg(&fifo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        wait_for("the command opens the pipe", || has_open(pid, &fifo));
        let sent = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = wait_at_most(&mut child, PATIENCE, "a pipe with no writer, after Ctrl-C");
        assert_eq!(status.code(), Some(0), "{status:?}");
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        if !args.is_empty() {
            assert_eq!(out, "[]\n");
        }
    }
}

// ---------------------------------------------------------------------------
// Fault 14: --demo with a file

#[test]
fn fault14_demo_with_a_file_is_a_usage_error() {
    let out = cmd()
        .args(["--demo", "tests/data/article/close3.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("'--demo' cannot be used with"),
        "{}",
        stderr(&out)
    );
}
