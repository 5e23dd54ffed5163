//! The `tcpexplain` command itself, run as a separate process: golden outputs of
//! every format for the article dumps, JSON Lines against the library, standard
//! input versus files, live pipes, `| head`, colour, hostile input, exit
//! statuses, filters and terminals.
//!
//! Golden files live in `tests/golden/`. After an intended change of the output,
//! regenerate them with `TCPEXPLAIN_BLESS=1 cargo test --test cli golden`, then
//! read the diff before committing it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

mod common;
use common::{cmd, run, run_stdin, wait_at_most, BIN, ROOT};

const DUMPS: [&str; 3] = ["close3", "close4", "closing"];

// ---------------------------------------------------------------------------
// Helpers

/// The path of an article dump, relative to the crate root (the tests run the
/// binary there, so that names in the output, like the HTML title, are stable).
fn article(dump: &str) -> String {
    format!("tests/data/article/{dump}.txt")
}

fn article_bytes(dump: &str) -> Vec<u8> {
    std::fs::read(Path::new(ROOT).join(article(dump))).unwrap()
}
fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 0 and an empty stderr; returns stdout.
fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "exit status {:?}, stderr: {}",
        out.status,
        stderr(out)
    );
    assert!(out.stderr.is_empty(), "unexpected stderr: {}", stderr(out));
    stdout(out)
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn kind(v: &Value) -> &str {
    v["type"].as_str().unwrap_or("")
}

/// A file under Cargo's scratch directory for integration tests. Tests run in
/// parallel: each test uses names of its own.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Reads a stream on a thread; each chunk read arrives on the channel.
fn chunks(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// Reads a stream on a thread; each line arrives on the channel.
fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Where two texts first differ, readably; `None` when equal. Long lines are
/// shown around the first differing column.
fn first_difference(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let e: Vec<&str> = expected.split('\n').collect();
    let a: Vec<&str> = actual.split('\n').collect();
    let n = e.len().max(a.len());
    let i = (0..n).find(|&i| e.get(i) != a.get(i)).unwrap_or(n);
    let (el, al) = (e.get(i).copied(), a.get(i).copied());
    let column = match (el, al) {
        (Some(x), Some(y)) => x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count(),
        _ => 0,
    };
    let show = |l: Option<&str>| match l {
        None => "(no such line)".to_string(),
        Some(l) if l.chars().count() <= 140 => format!("{l:?}"),
        Some(l) => {
            let from = column.saturating_sub(50);
            let part: String = l.chars().skip(from).take(110).collect();
            format!("…{part:?}… (from column {})", from + 1)
        }
    };
    Some(format!(
        "first difference at line {}, column {} (expected {} lines, got {}):\n  expected: {}\n  actual:   {}",
        i + 1,
        column + 1,
        expected.lines().count(),
        actual.lines().count(),
        show(el),
        show(al)
    ))
}

// ---------------------------------------------------------------------------
// 1. Golden files

/// (name in the file name, arguments, extension).
const FORMATS: [(&str, &[&str], &str); 7] = [
    ("text", &["--color", "never"], "txt"),
    ("jsonl", &["--format", "jsonl"], "jsonl"),
    ("json", &["--format", "json"], "json"),
    ("markdown", &["--format", "markdown"], "md"),
    ("html", &["--format", "html"], "html"),
    ("diagram", &["--diagram", "--color", "never"], "txt"),
    ("summary", &["--summary", "--color", "never"], "txt"),
];

/// The languages of the golden files: English ones are named
/// `{dump}.{format}.{ext}`, the others `{dump}.{format}.{lang}.{ext}`.
const LANGS: [&str; 3] = ["en", "zh-Hans", "zh-Hant"];

fn golden(format: &str) {
    let (_, args, ext) = FORMATS.iter().find(|f| f.0 == format).unwrap();
    let bless = std::env::var("TCPEXPLAIN_BLESS").is_ok_and(|v| v == "1");
    let dir = Path::new(ROOT).join("tests/golden");
    let mut failures = Vec::new();
    for (dump, lang) in DUMPS.iter().flat_map(|d| LANGS.map(|l| (d, l))) {
        let path = article(dump);
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--lang", lang, &path]);
        let actual = ok(&run(&all));
        let name = match lang {
            "en" => format!("{dump}.{format}.{ext}"),
            _ => format!("{dump}.{format}.{lang}.{ext}"),
        };
        let file = dir.join(&name);
        let shown = format!("tests/golden/{name}");
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Err(e) => failures.push(format!(
                "{shown}: cannot read ({e}); generate it with TCPEXPLAIN_BLESS=1"
            )),
            Ok(expected) => {
                if let Some(diff) = first_difference(&expected, &actual) {
                    failures.push(format!(
                        "tcpexplain {} differs from {shown}\n{diff}",
                        all.join(" ")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(if the change is intended: TCPEXPLAIN_BLESS=1 cargo test --test cli golden)",
        failures.join("\n\n")
    );
}

#[test]
fn golden_text() {
    golden("text");
}

#[test]
fn golden_jsonl() {
    golden("jsonl");
}

#[test]
fn golden_json() {
    golden("json");
}

#[test]
fn golden_markdown() {
    golden("markdown");
}

#[test]
fn golden_html() {
    golden("html");
}

#[test]
fn golden_diagram() {
    golden("diagram");
}

#[test]
fn golden_summary() {
    golden("summary");
}

/// `--summary` shows the very summaries the full output ends with: hiding the
/// lines must not change what is said about the connection.
#[test]
fn summary_is_the_same_with_and_without_the_lines() {
    let mut failures = Vec::new();
    for dump in DUMPS {
        let path = article(dump);
        let full = ok(&run(&["--color", "never", &path]));
        let tail = &full[full.find("── connection").unwrap()..];
        let summary = ok(&run(&["--summary", "--color", "never", &path]));
        if let Some(d) = first_difference(tail, &summary) {
            failures.push(format!(
                "{dump}, text: --summary vs the end of the full output\n{d}"
            ));
        }
        let full = ok(&run(&["--format", "jsonl", &path]));
        let conns: String = full
            .split_inclusive('\n')
            .filter(|l| l.starts_with(r#"{"type":"connection""#))
            .collect();
        let summary = ok(&run(&["--summary", "--format", "jsonl", &path]));
        if let Some(d) = first_difference(&conns, &summary) {
            failures.push(format!("{dump}, jsonl: --summary vs the full output\n{d}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The goldens could be blessed wrong; these facts are checked independently:
/// both ends' states after every line, from the binary's JSON Lines.
#[test]
fn states_after_every_line() {
    check_states(
        "close3",
        &[
            ("SYN_SENT", "SYN_RECEIVED"),
            ("ESTABLISHED", "SYN_RECEIVED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "FIN_WAIT_1"),
            // Line 8 acknowledges the data of line 6 but not the FIN of line 7.
            ("ESTABLISHED", "FIN_WAIT_1"),
            // Line 9: the client's FIN carries the ACK of the server's FIN.
            ("LAST_ACK", "TIME_WAIT"),
            ("CLOSED", "TIME_WAIT"),
        ],
        "three_way",
    );
    check_states(
        "close4",
        &[
            ("SYN_SENT", "SYN_RECEIVED"),
            ("ESTABLISHED", "SYN_RECEIVED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("ESTABLISHED", "ESTABLISHED"),
            ("FIN_WAIT_1", "CLOSE_WAIT"),
            ("FIN_WAIT_2", "CLOSE_WAIT"),
            ("TIME_WAIT", "LAST_ACK"),
            ("TIME_WAIT", "CLOSED"),
        ],
        "four_way",
    );
    check_states(
        "closing",
        &[
            ("ESTABLISHED", "FIN_WAIT_1"),
            ("FIN_WAIT_1", "CLOSING"),
            ("FIN_WAIT_1", "CLOSING"),
            ("TIME_WAIT", "TIME_WAIT"),
        ],
        "simultaneous",
    );
}

fn check_states(dump: &str, expected: &[(&str, &str)], teardown: &str) {
    let values = jsonl(&ok(&run(&["--format", "jsonl", &article(dump)])));
    let segments: Vec<&Value> = values.iter().filter(|v| kind(v) == "segment").collect();
    let got: Vec<(u64, &str, &str)> = segments
        .iter()
        .map(|s| {
            (
                s["line"].as_u64().unwrap(),
                s["state"]["client"].as_str().unwrap(),
                s["state"]["server"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, &str, &str)> = expected
        .iter()
        .enumerate()
        .map(|(i, (c, s))| (i as u64 + 1, *c, *s))
        .collect();
    assert_eq!(got, want, "{dump}: (line, client, server) after each line");
    let conns: Vec<&Value> = values.iter().filter(|v| kind(v) == "connection").collect();
    assert_eq!(conns.len(), 1, "{dump}: one connection summary");
    assert_eq!(conns[0]["teardown"], teardown, "{dump}: teardown");
    // The summary comes last.
    assert_eq!(kind(values.last().unwrap()), "connection");

    // The text shows the same states in its status lines.
    let text = ok(&run(&["--color", "never", &article(dump)]));
    let status: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  client → server [") || l.starts_with("  server → client ["))
        .collect();
    assert_eq!(
        status.len(),
        expected.len(),
        "{dump}: one status line per line"
    );
    for (i, (line, (c, s))) in status.iter().zip(expected).enumerate() {
        let want = format!("│ client {c} · server {s}");
        assert!(
            line.contains(&want),
            "{dump} line {}: status line {line:?} lacks {want:?}",
            i + 1
        );
    }
}

#[test]
fn document_formats_are_well_formed() {
    for dump in DUMPS {
        let json: Value =
            serde_json::from_str(&ok(&run(&["--format", "json", &article(dump)]))).unwrap();
        let items = json.as_array().expect("a JSON array");
        let lines = jsonl(&ok(&run(&["--format", "jsonl", &article(dump)])));
        assert_eq!(
            items, &lines,
            "{dump}: --format json is the array of the jsonl objects"
        );

        let html = ok(&run(&["--format", "html", &article(dump)]));
        assert!(html.starts_with("<!DOCTYPE html>"), "{dump}: {html:.80}");
        assert!(html.trim_end().ends_with("</html>"));
        assert!(html.contains(&format!("<title>tcpexplain: {}</title>", article(dump))));
        assert!(!html.contains("<script"), "{dump}: no scripts in the page");

        let md = ok(&run(&["--format", "markdown", &article(dump)]));
        assert!(md.starts_with("### Connection 0"), "{dump}: {md:.80}");
        assert_eq!(md.matches("```").count() % 2, 0, "{dump}: fences balanced");
    }
}

/// `--lang` takes the tags and the locale names people type; without it the
/// language comes from `LC_ALL`, `LC_MESSAGES`, then `LANG`; English otherwise.
#[test]
fn the_language_is_chosen_by_flag_or_environment() {
    let path = article("close3");
    let summary = |out: &Output| {
        let text = ok(out);
        text.lines().nth(1).unwrap_or_default().trim().to_string()
    };
    let with = |lang: &str| {
        summary(&run(&[
            "--summary",
            "--color",
            "never",
            "--lang",
            lang,
            &path,
        ]))
    };
    let english = with("en");
    let simplified = with("zh-Hans");
    let traditional = with("zh-Hant");
    assert!(english.starts_with("Connection 0: client"), "{english}");
    assert!(simplified.starts_with("连接 0：客户端"), "{simplified}");
    assert!(traditional.starts_with("連線 0：用戶端"), "{traditional}");
    for (tag, want) in [
        ("zh", &simplified),
        ("zh-CN", &simplified),
        ("zh_CN.UTF-8", &simplified),
        ("zh-TW", &traditional),
        ("zh-HK", &traditional),
        ("EN", &english),
    ] {
        assert_eq!(&with(tag), want, "--lang {tag}");
    }
    let env = |vars: &[(&str, &str)]| {
        let mut c = cmd();
        c.args(["--summary", "--color", "never", &path]);
        for (k, v) in vars {
            c.env(k, v);
        }
        summary(&c.output().unwrap())
    };
    assert_eq!(env(&[]), english);
    assert_eq!(env(&[("LANG", "zh_TW.UTF-8")]), traditional);
    assert_eq!(
        env(&[("LANG", "zh_TW.UTF-8"), ("LC_MESSAGES", "zh_CN.UTF-8")]),
        simplified
    );
    assert_eq!(env(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")]), english);
    assert_eq!(env(&[("LANG", "fr_FR.UTF-8")]), english);
    // The flag wins over the environment.
    let mut c = cmd();
    c.args(["--summary", "--color", "never", "--lang", "en", &path])
        .env("LC_ALL", "zh_CN.UTF-8");
    assert_eq!(summary(&c.output().unwrap()), english);

    let out = run(&["--lang", "klingon", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("zh-Hans"), "{}", stderr(&out));
    // HTML says its language.
    let html = ok(&run(&["--format", "html", "--lang", "zh-Hant", &path]));
    assert!(html.contains("<html lang=\"zh-Hant\">"), "{html:.200}");
}

// ---------------------------------------------------------------------------
// 2. Standard input and files

/// `--format jsonl` keeps no segment text (its reports say it all); every line
/// must still be what the library renders with all the text kept.
#[test]
fn jsonl_is_the_library_rendering_with_all_text_kept() {
    let mut files = 0;
    let paths = ["tests/data/tcpdump", "tests/data/icmp"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "out" || e == "txt"));
    for path in paths {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let mut expected = Vec::new();
        for item in tcpexplain::explain(&text) {
            tcpexplain::render::jsonl::write(&item, tcpexplain::Lang::En, &mut expected).unwrap();
        }
        let got = ok(&run(&["--format", "jsonl", path.to_str().unwrap()]));
        if let Some(d) = first_difference(&String::from_utf8(expected).unwrap(), &got) {
            panic!("{}: the command's jsonl differs\n{d}", path.display());
        }
        files += 1;
    }
    assert!(files >= 30, "only {files} files");
}

#[test]
fn stdin_and_files_agree() {
    for dump in DUMPS {
        for format in ["text", "jsonl", "diagram"] {
            let args: Vec<&str> = match format {
                "diagram" => vec!["--diagram", "--color", "never"],
                f => vec!["--format", f, "--color", "never"],
            };
            let from_file = {
                let mut a = args.clone();
                let p = article(dump);
                a.push(&p);
                ok(&run(&a))
            };
            let open = || std::fs::File::open(Path::new(ROOT).join(article(dump))).unwrap();
            // `tcpexplain < f`
            let redirected = ok(&cmd().args(&args).stdin(open()).output().unwrap());
            // `tcpexplain - < f`
            let mut dash_args = args.clone();
            dash_args.push("-");
            let dash = ok(&cmd().args(&dash_args).stdin(open()).output().unwrap());
            // `cat f | tcpexplain`
            let piped = ok(&run_stdin(&args, &article_bytes(dump)));
            assert!(!from_file.is_empty());
            for (how, got) in [
                ("< file", &redirected),
                ("- < file", &dash),
                ("a pipe", &piped),
            ] {
                if let Some(d) = first_difference(&from_file, got) {
                    panic!("{dump} {format}: reading {how} differs from naming the file\n{d}");
                }
            }
        }
    }
}

/// A file is read where it lies, in maps of 4 MiB shown 64 KiB at a time; a
/// pipe as it comes: they read the same lines, also where lines cross a
/// block's or a map's end, where one is longer than the 1 MiB limit, where
/// lines end in CRLF and where the last one has no newline.
#[test]
fn file_blocks_and_pipe_lines_agree() {
    let mut input = article_bytes("close3").repeat(200); // 355 KB: blocks of 64 KiB
    input.extend(b"x".repeat(1_500_000));
    input.push(b'\n');
    for line in article_bytes("close4").split(|&b| b == b'\n') {
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\n");
    }
    // A long line, so that the next (a segment) crosses the first map's end.
    let map_end = 4 << 20;
    input.extend(b"z".repeat(map_end - 40 - input.len() - 1));
    input.push(b'\n');
    input.extend_from_slice(&article_bytes("closing"));
    input.extend_from_slice(
        b"12:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [S], seq 1, win 10, length 0",
    );
    let path = scratch("blocks.txt", &input);
    for format in ["jsonl", "text"] {
        let args = ["--format", format, "--color", "never"];
        let from_file = ok(&run(&[&args[..], &[path.to_str().unwrap()]].concat()));
        let piped = ok(&run_stdin(&args, &input));
        if let Some(d) = first_difference(&piped, &from_file) {
            panic!("{format}: the file read in blocks differs from the pipe\n{d}");
        }
        assert!(from_file.contains("shorter than 1 MiB"), "{format}");
        assert!(
            from_file.contains("simultaneous") || from_file.contains("crossed"),
            "{format}: the segments after the map's end"
        );
        assert!(
            from_file.contains("10.0.0.1.5000"),
            "{format}: the last line"
        );
    }
}

/// Files of /proc say they are empty, yet have lines: they are read as they come.
#[cfg(target_os = "linux")]
#[test]
fn proc_files_are_read() {
    let out = run(&["--format", "jsonl", "/proc/self/status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("/proc/self/status: no TCP segment in it"),
        "{}",
        stderr(&out)
    );
    let out = stdout(&out);
    assert!(out.contains(r#""type":"other_text""#), "{out}");
    assert!(out.contains("Name:"), "{out}");
}

/// A file on standard input is read from where its offset stands, as a
/// read would: `(read first; tcpexplain) < dump` explains the lines after the first.
#[test]
fn stdin_file_read_from_its_offset() {
    use std::io::Seek;
    let bytes = article_bytes("close4");
    let first = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut file = std::fs::File::open(Path::new(ROOT).join(article("close4"))).unwrap();
    file.seek(std::io::SeekFrom::Start(first as u64)).unwrap();
    let args = ["--format", "jsonl"];
    let redirected = ok(&cmd().args(args).stdin(file).output().unwrap());
    let piped = ok(&run_stdin(&args, &bytes[first..]));
    assert_eq!(redirected, piped);
    assert!(redirected
        .starts_with(r#"{"type":"segment","line":1,"conn":0,"from":"server","flags":"S.""#));
}

#[test]
fn two_files_in_one_call() {
    let one = |dump: &str, format: &str| {
        ok(&run(&[
            "--format",
            format,
            "--color",
            "never",
            &article(dump),
        ]))
    };
    // Text: each file under a `==> name <==` header, each explained on its own.
    let both = ok(&run(&[
        "--color",
        "never",
        &article("close3"),
        &article("close4"),
    ]));
    let expected = format!(
        "==> {} <==\n{}==> {} <==\n{}",
        article("close3"),
        one("close3", "text"),
        article("close4"),
        one("close4", "text")
    );
    if let Some(d) = first_difference(&expected, &both) {
        panic!("two files, text:\n{d}");
    }
    // JSON Lines: both explained, one after the other.
    let both = ok(&run(&[
        "--format",
        "jsonl",
        &article("close3"),
        &article("closing"),
    ]));
    // Each object names its input; without that field, each file's output as alone.
    let mut expected = Vec::new();
    for dump in ["close3", "closing"] {
        for mut v in jsonl(&one(dump, "jsonl")) {
            v["file"] = Value::String(article(dump));
            expected.push(v);
        }
    }
    assert_eq!(jsonl(&both), expected, "two files, jsonl");
    // A file and standard input.
    let out = cmd()
        .args(["--color", "never", &article("close3"), "-"])
        .stdin(std::fs::File::open(Path::new(ROOT).join(article("closing"))).unwrap())
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(text.starts_with(&format!("==> {} <==\n", article("close3"))));
    assert!(text.contains("\n==> standard input <==\n"), "{text}");
    assert!(text.contains("── connection 0: 172.16.196.142.41334 → 172.16.196.145.60000"));
    assert!(text.contains("── connection 0: 10.25.137.230.46556 → 10.29.64.142.443"));
}

// ---------------------------------------------------------------------------
// 3. A live pipe: each line is explained before the next one is written

/// Pause between lines written: longer than the default `--hold` (200 ms).
const PAUSE: Duration = Duration::from_millis(400);
/// How long to wait for a line's explanation before calling the test hung: a
/// guard, not a measure of speed (the explanation comes at once, or after
/// `--hold` for a line that awaits its answer).
const PATIENCE: Duration = Duration::from_secs(120);

fn spawn_live(args: &[&str]) -> Child {
    cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn pause_since(written: Instant) {
    if let Some(rest) = PAUSE.checked_sub(written.elapsed()) {
        std::thread::sleep(rest);
    }
}

#[test]
fn live_pipe_jsonl_explains_each_line_before_the_next() {
    let input = String::from_utf8(article_bytes("close3")).unwrap();
    let mut child = spawn_live(&["--format", "jsonl"]);
    let mut stdin = child.stdin.take().unwrap();
    let rx = lines(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let n = i as u64 + 1;
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let written = Instant::now();
        let Ok(out) = rx.recv_timeout(PATIENCE) else {
            panic!(
                "line {n} was written {:?} ago and its explanation has not appeared \
                 (output so far: {seen:#?})",
                written.elapsed()
            );
        };
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(kind(&v), "segment", "unexpected object before EOF: {out}");
        assert_eq!(
            v["line"], n,
            "segments in order, one per line written: {out}"
        );
        assert!(v["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(v["state"]["client"].is_string() && v["state"]["server"].is_string());
        seen.push(out);
        pause_since(written);
        // Nothing more than that one object per line (and, once the last line
        // has closed the connection, its summary).
        while let Ok(extra) = rx.try_recv() {
            let v: Value = serde_json::from_str(&extra).unwrap();
            assert!(
                kind(&v) == "connection" && n == 10,
                "after line {n}, an unexpected extra object: {extra}"
            );
            seen.push(extra);
        }
    }
    drop(stdin);
    seen.extend(rx.iter());
    assert_eq!(seen.len(), 11, "10 segments and the summary: {seen:#?}");
    let summary: Value = serde_json::from_str(&seen[10]).unwrap();
    assert_eq!(kind(&summary), "connection");
    assert_eq!(summary["teardown"], "three_way");
    let status = wait_at_most(&mut child, PATIENCE, "tcpexplain after end of input");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn live_pipe_text_explains_each_line_before_the_next() {
    let input = String::from_utf8(article_bytes("close3")).unwrap();
    let input: Vec<&str> = input.lines().collect();
    let mut child = spawn_live(&["--color", "never"]);
    let mut stdin = child.stdin.take().unwrap();
    let rx = chunks(child.stdout.take().unwrap());
    let mut out: Vec<u8> = Vec::new();
    // How much output had arrived when each line (after the first) was written.
    let mut had_when_written = Vec::new();
    for (i, line) in input.iter().enumerate() {
        let n = i + 1;
        had_when_written.push(out.len());
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let written = Instant::now();
        let echo = format!("{n:>5} {line}\n");
        // Wait for the echo, the status line and the first line of the explanation.
        loop {
            let text = String::from_utf8_lossy(&out);
            if let Some(at) = text.find(&echo) {
                let below: Vec<&str> = text[at + echo.len()..].split_inclusive('\n').collect();
                let complete = below.len() >= 2
                    && below[0].starts_with("  ")
                    && below[0].contains(" │ client ")
                    && below[1].starts_with("      ")
                    && below[1].ends_with('\n');
                if complete {
                    break;
                }
            }
            let left = PATIENCE.saturating_sub(written.elapsed());
            match rx.recv_timeout(left) {
                Ok(chunk) => out.extend_from_slice(&chunk),
                Err(_) => panic!(
                    "line {n} was written {:?} ago and its explanation has not appeared; \
                     output so far:\n{text}",
                    written.elapsed()
                ),
            }
        }
        pause_since(written);
        while let Ok(chunk) = rx.try_recv() {
            out.extend_from_slice(&chunk);
        }
    }
    let before_eof = out.len();
    drop(stdin);
    for chunk in rx.iter() {
        out.extend_from_slice(&chunk);
    }
    let status = wait_at_most(&mut child, PATIENCE, "tcpexplain after end of input");
    assert!(status.success(), "{status:?}");
    let text = String::from_utf8(out).unwrap();
    // Line n's whole explanation ends where line n+1's echo starts (or, for the
    // last line, where the summary starts): all of it had arrived before line
    // n+1 was written (before the input ended).
    for n in 1..=input.len() {
        let (end, limit, what) = if n < input.len() {
            let echo = format!("{:>5} {}\n", n + 1, input[n]);
            (
                text.find(&echo).unwrap(),
                had_when_written[n],
                format!("line {}", n + 1),
            )
        } else {
            (
                text.find("── connection 0").unwrap(),
                before_eof,
                "the end of input".into(),
            )
        };
        assert!(
            end <= limit,
            "the explanation of line {n} was not complete when {what} was written:\n{}",
            &text[..end]
        );
    }
    assert!(text.contains("── connection 0: 172.16.196.142.41334 → 172.16.196.145.60000"));
}

// ---------------------------------------------------------------------------
// 4. `| head -1`: a closed pipe ends quietly with status 0

/// close3.txt 2,000 times: 20,000 lines, megabytes of explanation (far more
/// than a pipe buffer holds).
fn big_dump() -> Vec<u8> {
    article_bytes("close3").repeat(2000)
}

/// Spawns, reads one line of output, closes the pipe, and returns the exit
/// status and stderr.
fn read_one_line_then_close(args: &[&str], stdin_bytes: Option<Vec<u8>>) -> (ExitStatus, String) {
    let mut c = cmd();
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin_bytes.is_some() {
        c.stdin(Stdio::piped());
    }
    let mut child = c.spawn().unwrap();
    let writer = stdin_bytes.map(|bytes| {
        let mut stdin = child.stdin.take().unwrap();
        // Fails with a broken pipe once tcpexplain has gone: expected.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        })
    });
    let err_rx = chunks(child.stderr.take().unwrap());
    {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "no output at all from {args:?}");
    } // the read end is closed here
    let status = wait_at_most(&mut child, Duration::from_secs(60), "tcpexplain | head -1");
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let err: Vec<u8> = err_rx.iter().flatten().collect();
    (status, String::from_utf8_lossy(&err).into_owned())
}

#[test]
fn closed_pipe_ends_quietly() {
    let big = scratch("big-head.txt", &big_dump());
    let big = big.to_str().unwrap();
    for args in [
        vec!["--color", "never", big],
        vec!["--format", "jsonl", big],
        vec!["--absolute", "--color", "always", big],
    ] {
        let (status, err) = read_one_line_then_close(&args, None);
        assert_eq!(
            status.code(),
            Some(0),
            "{args:?}: {status:?}, stderr: {err}"
        );
        assert!(err.is_empty(), "{args:?}: stderr: {err}");
    }
    // Reading a pipe (live mode, with its reader thread).
    for args in [vec!["--color", "never"], vec!["--format", "jsonl"]] {
        let (status, err) = read_one_line_then_close(&args, Some(big_dump()));
        assert_eq!(
            status.code(),
            Some(0),
            "stdin, {args:?}: {status:?}, stderr: {err}"
        );
        assert!(err.is_empty(), "stdin, {args:?}: stderr: {err}");
    }
}

#[test]
fn shell_pipeline_into_head() {
    if Command::new("bash").arg("-c").arg("true").status().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let big = scratch("big-shell.txt", &big_dump());
    // The status of tcpexplain itself, not of head.
    let script = r#""$0" "$1" | head -1 >/dev/null; exit "${PIPESTATUS[0]}""#;
    let out = Command::new("bash")
        .args(["-c", script, BIN, big.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "stderr: {}", stderr(&out));
}

// ---------------------------------------------------------------------------
// 5. Colour

fn has_escape(s: &str) -> bool {
    s.contains("\x1b[")
}

#[test]
fn color_choices() {
    let file = article("close3");
    let always = ok(&run(&["--color", "always", &file]));
    assert!(has_escape(&always), "--color always: ANSI escapes");
    let never = ok(&run(&["--color", "never", &file]));
    assert!(!never.contains('\x1b'), "--color never: no escapes");
    // Colours change nothing else.
    let stripped = strip_sgr(&always);
    if let Some(d) = first_difference(&never, &stripped) {
        panic!("--color always, escapes removed, differs from --color never\n{d}");
    }
    // auto, output a pipe: none, with or without NO_COLOR.
    let auto = ok(&run(&[&file]));
    assert!(!auto.contains('\x1b'), "--color auto on a pipe: none");
    let auto_no_color = ok(&cmd()
        .args(["--color", "auto", &file])
        .env("NO_COLOR", "1")
        .output()
        .unwrap());
    assert!(
        !auto_no_color.contains('\x1b'),
        "NO_COLOR=1 --color auto: none"
    );
    // --color always wins over NO_COLOR (anstream's ColorChoice::Always ignores the
    // environment; NO_COLOR only informs the `auto` choice).
    let always_no_color = ok(&cmd()
        .args(["--color", "always", &file])
        .env("NO_COLOR", "1")
        .output()
        .unwrap());
    assert!(
        has_escape(&always_no_color),
        "NO_COLOR=1 --color always: escapes"
    );
    // CLICOLOR_FORCE forces colour for auto, even on a pipe (anstream's rule).
    let forced = ok(&cmd()
        .args([&file])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap());
    assert!(
        has_escape(&forced),
        "CLICOLOR_FORCE=1 --color auto: escapes"
    );
    // ... unless NO_COLOR is set too.
    let both = ok(&cmd()
        .args([&file])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap());
    assert!(!both.contains('\x1b'), "NO_COLOR beats CLICOLOR_FORCE");
    // Machine formats never carry colour.
    for format in ["jsonl", "json", "markdown", "html"] {
        let out = ok(&run(&["--color", "always", "--format", format, &file]));
        assert!(
            !out.contains('\x1b'),
            "--format {format} --color always: no escapes"
        );
    }
}

/// Removes SGR sequences (`ESC [ ... m`).
fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// 6. Hostile input

fn hostile() -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    // A host name with an OSC title sequence and BEL, in both directions.
    b.extend_from_slice(b"12:00:00.000001 IP evil\x1b]0;pwned\x07.example.com.1234 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n");
    b.extend_from_slice(b"12:00:00.000002 IP 10.0.0.2.80 > evil\x1b]0;pwned\x07.example.com.1234: Flags [S.], seq 5, ack 2, win 100, length 4\n");
    // -A payload lines: clear-screen, colour, BEL, invalid UTF-8 and NULs.
    b.extend_from_slice(b"E..<..@.@....\x1b[2J\x1b[H..\n");
    b.extend_from_slice(b"\x1b[31mhello\x07 \xff\xfe world\x00x\x7f\n");
    // A TCP line with trailing NULs.
    b.extend_from_slice(b"12:00:00.000003 IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [.], ack 6, win 100, length 0\x00\x00\n");
    // Cut short: unparsed (line 6), and unparsed with escapes in it (line 7).
    b.extend_from_slice(b"12:00:00.000004 IP 1.2.3.4.5 > 6.7\n");
    b.extend_from_slice(b"12:00:00.000005 IP 1.2.3.4.5 > \x1b]0;x\x07\x1b[31m\n");
    // C1 CSI (U+009B) and a bidi override (U+202E) in a host name, invalid UTF-8 in another.
    b.extend_from_slice("12:00:00.000006 IP h\u{9b}2Jx\u{202e}.1 > 10.0.0.2.80: Flags [.], ack 6, win 100, length 0\n".as_bytes());
    b.extend_from_slice(b"12:00:00.000007 IP bad\xc3\x28name.5 > 10.0.0.2.80: Flags [.], ack 6, win 100, length 0\n");
    // Interleaved garbage with a NUL at the start.
    b.extend_from_slice(b"\x00\x1b[?1049h\n");
    b
}

fn no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "panic: {err}");
}

#[test]
fn hostile_input_is_shown_escaped() {
    let input = scratch("hostile.txt", &hostile());
    let input = input.to_str().unwrap();
    for (how, out) in [
        ("file", run(&["--color", "never", input])),
        ("stdin", run_stdin(&["--color", "never"], &hostile())),
        ("file --color always", run(&["--color", "always", input])),
    ] {
        no_panic(&out);
        let text = ok(&out);
        let text = if how.contains("always") {
            strip_sgr(&text)
        } else {
            text
        };
        for (i, c) in text.chars().enumerate() {
            let bad = (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            assert!(
                !bad,
                "{how}: raw control character {c:?} at char {i} in:\n{}",
                text.replace('\x1b', "<ESC>")
            );
        }
        assert!(
            text.contains("evil^[]0;pwned^G.example.com.1234"),
            "{how}: {text}"
        );
        assert!(text.contains("^[[2J^[[H"), "{how}: the -A payload, escaped");
        assert!(text.contains("^[[31mhello^G"), "{how}");
        assert!(text.contains("world^@x^?"), "{how}: NUL and DEL shown");
        assert!(
            text.contains("\u{fffd}\u{fffd} world"),
            "{how}: invalid UTF-8 replaced"
        );
        assert!(
            text.contains("h\\u{9b}2Jx\\u{202e}.1"),
            "{how}: C1 and bidi shown as \\u{{..}}"
        );
        assert!(
            text.contains("✗ line 6, column "),
            "{how}: unparsed line 6 reported"
        );
        assert!(
            text.contains("✗ line 7, column "),
            "{how}: unparsed line 7 reported"
        );
    }
    // Every format survives it.
    for format in ["jsonl", "json", "markdown", "html"] {
        let out = run(&["--format", format, input]);
        no_panic(&out);
        let text = ok(&out);
        assert!(
            !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\0'),
            "--format {format}"
        );
    }
    for flag in ["--diagram", "--summary"] {
        let out = run(&[flag, input]);
        no_panic(&out);
        let text = ok(&out);
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{flag}:\n{text}"
        );
    }
}

#[test]
fn hostile_input_unparsed_lines_in_jsonl() {
    let out = run_stdin(&["--format", "jsonl"], &hostile());
    no_panic(&out);
    let values = jsonl(&ok(&out));
    let unparsed: Vec<&Value> = values.iter().filter(|v| kind(v) == "unparsed").collect();
    let lines: Vec<u64> = unparsed
        .iter()
        .map(|v| v["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [6, 7], "{unparsed:#?}");
    for v in &unparsed {
        assert!(v["column"].as_u64().is_some_and(|c| c >= 1), "{v}");
        assert!(v["expected"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        assert!(
            v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("12:00:00.00000")),
            "{v}"
        );
    }
    // The text keeps the input as it was (JSON escapes it).
    assert_eq!(
        unparsed[1]["text"],
        "12:00:00.000005 IP 1.2.3.4.5 > \x1b]0;x\x07\x1b[31m"
    );
    // The segments are still explained.
    let segs = values.iter().filter(|v| kind(v) == "segment").count();
    assert!(segs >= 3, "{values:#?}");
}

#[test]
fn html_escapes_markup_from_the_input() {
    let input = b"12:00:00.000001 IP <script>alert(1)</script>.1234 > 10.0.0.2.80: Flags [S], seq 1, win 100, length 0\n\
12:00:00.000002 IP 1.2.3.4.5 > <img src=x onerror=alert(1)>\n";
    let out = run_stdin(&["--format", "html"], input);
    no_panic(&out);
    let html = ok(&out);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
}

// ---------------------------------------------------------------------------
// 7. Errors

#[test]
fn missing_file() {
    let out = run(&["tests/data/article/no-such-dump.txt"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.ends_with('\n'));
    assert!(err.starts_with("tcpexplain: "), "{err}");
    assert!(err.contains("no-such-dump.txt"), "names the file: {err}");
    no_panic(&out);
}

#[test]
fn unreadable_input_is_named() {
    let out = run(&["--color", "never", "tests/data/article"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains("tests/data/article"), "names the input: {err}");
    no_panic(&out);
}

#[test]
fn bad_arguments() {
    for args in [
        &["--format", "xml"][..],
        &["--color", "sometimes"],
        &["--conn", "first"],
        &["--hold", "-5"],
        &["--no-such-flag"],
        &["--line-buffered", "--block-buffered"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}: says why");
        no_panic(&out);
    }
}

// ---------------------------------------------------------------------------
// 8. --strict

#[test]
fn strict() {
    let mut input = article_bytes("close3");
    input.extend_from_slice(b"12:00:00.000000 IP 1.2.3.4.5 > 6.7\n");
    let out = run_stdin(&["--strict"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Everything else is still explained.
    assert!(stdout(&out).contains("── connection 0:"));
    assert!(stdout(&out).contains("✗ line 11, column "));
    no_panic(&out);
    // Without --strict: 0.
    let out = run_stdin(&[], &input);
    ok(&out);
    // The same, naming a file.
    let file = scratch("strict.txt", &input);
    let out = run(&["--strict", "--format", "jsonl", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Clean dumps: 0, in every format.
    for dump in DUMPS {
        for format in ["text", "jsonl", "json"] {
            ok(&run(&["--strict", "--format", format, &article(dump)]));
        }
        ok(&run(&["--strict", "--diagram", &article(dump)]));
    }
}

#[test]
fn strict_counts_lines_that_are_not_tcpdumps() {
    // A line after a segment is its own line, not glued to it.
    let mut input = article_bytes("close3");
    input.extend_from_slice(b"this is not tcpdump\n");
    let out = run_stdin(&["--strict", "--format", "jsonl"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let items = jsonl(&stdout(&out));
    let other: Vec<&Value> = items.iter().filter(|v| kind(v) == "other_text").collect();
    assert_eq!(other.len(), 1, "{items:#?}");
    assert_eq!(
        (&other[0]["line"], &other[0]["kind"]),
        (&Value::from(11), &Value::from("prose"))
    );
    // Without --strict, the same is explained with status 0.
    assert_eq!(run_stdin(&[], &input).status.code(), Some(0));
}

#[test]
fn input_without_tcp_is_said_so() {
    let out = run_stdin(
        &[],
        b"12:00:00.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("tcpexplain: standard input: no TCP segment in it"),
        "{}",
        stderr(&out)
    );
    // (A dump with TCP says nothing on stderr: `ok` checks it.)
    ok(&run(&[&article("close3")]));
}

// ---------------------------------------------------------------------------
// 9. Binary input: the capture file itself, or a compressed file

/// The first bytes of each kind of file people give instead of tcpdump's text.
fn binaries() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let pcap_header = |magic: [u8; 4]| {
        let mut b = magic.to_vec();
        b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
        b
    };
    vec![
        (
            "pcap",
            pcap_header([0xd4, 0xc3, 0xb2, 0xa1]),
            "a pcap capture file",
        ),
        (
            "pcap-be",
            pcap_header([0xa1, 0xb2, 0xc3, 0xd4]),
            "a pcap capture file",
        ),
        (
            "pcap-ns",
            pcap_header([0x4d, 0x3c, 0xb2, 0xa1]),
            "a pcap capture file",
        ),
        (
            "pcapng",
            vec![
                0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
            ],
            "a pcapng capture file",
        ),
        (
            "gz",
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
            "gzip-compressed: run `zcat ",
        ),
        (
            "zst",
            vec![0x28, 0xb5, 0x2f, 0xfd, 0x24, 0],
            "zstd-compressed: run `zstdcat ",
        ),
    ]
}

#[test]
fn binary_input_is_refused_with_the_command_to_run() {
    for (name, bytes, says) in binaries() {
        let path = scratch(&format!("binary.{name}"), &bytes);
        let path = path.to_str().unwrap();
        for args in [
            vec![path],
            vec!["--format", "jsonl", path],
            vec!["--summary", path],
        ] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}");
            let err = stderr(&out);
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(
                err.starts_with(&format!("tcpexplain: {path}: {says}")),
                "{name}: {err}"
            );
            assert!(out.stdout.is_empty(), "{name}: nothing explained");
        }
        // From a pipe too.
        let out = run_stdin(&[], &bytes);
        assert_eq!(out.status.code(), Some(2), "{name} on stdin");
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
    }
    let out = run(&[&scratch("binary.pcap", &binaries()[0].1).to_string_lossy()]);
    assert!(
        stderr(&out).contains("run `tcpdump -nn -r "),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------
// 10. --demo, --version, --help

#[test]
fn demo_version_help() {
    let demo = ok(&run(&["--demo", "--color", "never"]));
    assert!(
        demo.contains("LAST_ACK") && demo.contains("TIME_WAIT"),
        "{demo}"
    );
    // The demo is close3.txt.
    assert_eq!(demo, ok(&run(&["--color", "never", &article("close3")])));
    let demo = ok(&run(&["--demo", "--diagram"]));
    assert!(
        demo.contains("LAST_ACK") && demo.contains("TIME_WAIT"),
        "{demo}"
    );

    let version = ok(&run(&["--version"]));
    assert_eq!(
        version,
        format!("tcpexplain {}\n", env!("CARGO_PKG_VERSION"))
    );

    let help = ok(&run(&["--help"]));
    assert!(help.contains("Examples"), "{help}");
    assert!(help.contains("--format"), "{help}");
    assert!(help.contains("Exit status"), "{help}");
}

// ---------------------------------------------------------------------------
// 11. Filters and --absolute

/// The three dumps one after the other: connection 0 (lines 1–10), 1 (11–21), 2 (22–25).
fn three(test: &str) -> String {
    let bytes = [
        article_bytes("close3"),
        article_bytes("close4"),
        article_bytes("closing"),
    ]
    .concat();
    scratch(&format!("three-{test}.txt"), &bytes)
        .to_str()
        .unwrap()
        .to_string()
}

/// (segment lines, summary conns) of a jsonl run with `filter`.
fn filtered(file: &str, filter: &[&str]) -> (Vec<u64>, Vec<u64>) {
    let mut args = vec!["--format", "jsonl"];
    args.extend_from_slice(filter);
    args.push(file);
    let values = jsonl(&ok(&run(&args)));
    let mut segs = Vec::new();
    let mut conns = Vec::new();
    for v in &values {
        match kind(v) {
            "segment" => segs.push(v["line"].as_u64().unwrap()),
            "connection" => conns.push(v["conn"].as_u64().unwrap()),
            other => panic!("{filter:?}: unexpected {other}: {v}"),
        }
    }
    (segs, conns)
}

fn range(a: u64, b: u64) -> Vec<u64> {
    (a..=b).collect()
}

#[test]
fn filters() {
    let file = three("filters");
    let f = file.as_str();
    assert_eq!(filtered(f, &[]), ([range(1, 25)].concat(), vec![0, 1, 2]));
    assert_eq!(filtered(f, &["--conn", "0"]), (range(1, 10), vec![0]));
    assert_eq!(filtered(f, &["--conn", "1"]), (range(11, 21), vec![1]));
    assert_eq!(filtered(f, &["--conn", "2"]), (range(22, 25), vec![2]));
    assert_eq!(filtered(f, &["--summary"]), (vec![], vec![0, 1, 2]));
    assert_eq!(
        filtered(f, &["--summary", "--conn", "1"]),
        (vec![], vec![1])
    );
    // HOST.PORT: exactly that endpoint, either side.
    assert_eq!(
        filtered(f, &["--endpoint", "172.16.196.145.60000"]),
        (range(1, 21), vec![0, 1])
    );
    assert_eq!(
        filtered(f, &["--endpoint", "172.16.196.142.41424"]),
        (range(11, 21), vec![1])
    );
    assert_eq!(
        filtered(f, &["--endpoint", "10.25.137.230.46556"]),
        (range(22, 25), vec![2])
    );
    // HOST alone: any port.
    assert_eq!(
        filtered(f, &["--endpoint", "172.16.196.142"]),
        (range(1, 21), vec![0, 1])
    );
    assert_eq!(
        filtered(f, &["--endpoint", "10.29.64.142"]),
        (range(22, 25), vec![2])
    );
    // No prefix matches; a filter that matches nothing says so (exit 1).
    for filter in [
        &["--conn", "3"][..],
        &["--endpoint", "172.16.196.145.6000"],
        &["--endpoint", "172.16.196.14"],
        &["--endpoint", "10.29.64.142.44"],
        &["--endpoint", "10.29.64.142", "--conn", "0"],
    ] {
        let mut args = vec!["--format", "jsonl"];
        args.extend_from_slice(filter);
        args.push(f);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{filter:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{filter:?}");
        assert!(
            stderr(&out).contains("matched nothing"),
            "{filter:?}: {}",
            stderr(&out)
        );
    }
    // Filters combine.
    assert_eq!(
        filtered(
            f,
            &["--endpoint", "172.16.196.145", "--conn", "1", "--summary"]
        ),
        (vec![], vec![1])
    );
}

#[test]
fn filters_in_text_and_diagrams() {
    let file = three("text");
    let summary = ok(&run(&["--summary", "--color", "never", &file]));
    let titles: Vec<&str> = summary
        .lines()
        .filter(|l| l.starts_with("── connection "))
        .collect();
    assert_eq!(titles.len(), 3, "{summary}");
    assert!(summary
        .lines()
        .all(|l| l.starts_with("── connection ") || l.starts_with("  ")));
    assert!(
        !summary.contains("client → server ["),
        "no status lines: {summary}"
    );
    assert!(!summary.contains("12:43:46"), "no input lines: {summary}");

    let conn = ok(&run(&["--conn", "1", "--color", "never", &file]));
    assert!(
        conn.contains("── connection 1: 172.16.196.142.41424"),
        "{conn}"
    );
    assert!(!conn.contains("── connection 0") && !conn.contains("── connection 2"));
    assert!(!conn.contains("41334") && !conn.contains("10.29.64.142"));
    assert!(
        conn.starts_with("   11 1 20:01:49.251026 IP"),
        "line numbers of the whole input: {conn:.200}"
    );

    let diagram = ok(&run(&[
        "--diagram",
        "--endpoint",
        "10.29.64.142.443",
        &file,
    ]));
    assert!(
        diagram.starts_with("connection 2: client 10.25.137.230.46556"),
        "{diagram}"
    );
    assert_eq!(diagram.matches("connection ").count(), 1, "{diagram}");
}

/// The status line under the input line whose echo starts with `echo_prefix`.
fn status_line(text: &str, echo_prefix: &str) -> String {
    let mut lines = text.lines();
    lines
        .find(|l| l.starts_with(echo_prefix))
        .unwrap_or_else(|| panic!("no {echo_prefix:?}"));
    lines.next().unwrap().to_string()
}

#[test]
fn absolute_numbers() {
    let file = article("close3");
    let rel = ok(&run(&["--color", "never", &file]));
    let abs = ok(&run(&["--absolute", "--color", "never", &file]));
    assert_eq!(
        status_line(&rel, "    1 1 "),
        "  client → server [S] seq 0 len 0  │ client SYN_SENT · server SYN_RECEIVED"
    );
    assert_eq!(
        status_line(&abs, "    1 1 "),
        "  client → server [S] seq 3255498564 len 0  │ client SYN_SENT · server SYN_RECEIVED"
    );
    assert!(status_line(&abs, "    2 2 ").contains("[S.] seq 4195434198 ack 3255498565 len 0"));
    assert!(status_line(&rel, "    2 2 ").contains("[S.] seq 0 ack 1 len 0"));
    // Line 8 is a pure ACK: tcpdump printed no seq, and none is invented.
    assert!(status_line(&abs, "    8 8 ").contains("[.] ack 4195434205 len 0  │"));
    assert!(status_line(&abs, "    9 9 ").contains("[F.] seq 3255498568 ack 4195434206 len 0"));
    // Only the status lines change.
    let differ = rel.lines().zip(abs.lines()).filter(|(a, b)| a != b).count();
    assert_eq!(rel.lines().count(), abs.lines().count());
    assert_eq!(
        differ, 10,
        "one status line per segment (all have a seq or an ack)"
    );
    // Diagrams too.
    let diagram = ok(&run(&["--absolute", "--diagram", &file]));
    assert!(diagram.contains("[S] seq 3255498564 "), "{diagram}");
    assert!(
        diagram.contains("[F.] seq 3255498568 ack 4195434206 "),
        "{diagram}"
    );
}

// ---------------------------------------------------------------------------
// 12. A terminal

/// Runs `tcpexplain args` with a pseudo-terminal as stdin and stdout, through
/// util-linux `script`; `None` when `script` is not available.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<(Option<i32>, String)> {
    typed_on_terminal(args, env, b"")
}

/// [`on_terminal`], with `typed` typed at the terminal.
fn typed_on_terminal(
    args: &[&str],
    env: &[(&str, &str)],
    typed: &[u8],
) -> Option<(Option<i32>, String)> {
    let usable = Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("skipped: util-linux `script` is not available");
        return None;
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(BIN);
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut c = Command::new("script");
    c.args(["-qec", &line, "/dev/null"])
        .current_dir(ROOT)
        .stdin(if typed.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let out = chunks(child.stdout.take().unwrap());
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(typed).unwrap();
    }
    let status = wait_at_most(
        &mut child,
        Duration::from_secs(120),
        "tcpexplain on a terminal (waiting for input instead of printing usage?)",
    );
    let bytes: Vec<u8> = out.iter().flatten().collect();
    Some((
        status.code(),
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
    ))
}

#[test]
fn terminal_without_input_prints_usage() {
    for args in [&[][..], &["--format", "jsonl"]] {
        let Some((code, out)) = on_terminal(args, &[]) else {
            return;
        };
        assert_eq!(code, Some(2), "{args:?}: {out}");
        assert!(out.contains("no input"), "{args:?}: {out}");
        assert!(out.contains("Examples"), "{args:?}: {out}");
        assert!(
            !out.contains("12:43:46"),
            "{args:?}: nothing explained: {out}"
        );
    }
}

#[test]
fn terminal_named_as_dash_reads_a_paste_until_ctrl_d() {
    let mut typed = article_bytes("close3");
    typed.push(4); // Ctrl-D, on a line of its own
    let Some((code, out)) = typed_on_terminal(&["-", "--color", "never"], &[], &typed) else {
        return;
    };
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("press Ctrl-D"), "the hint: {out}");
    assert!(out.contains("client LAST_ACK · server TIME_WAIT"), "{out}");
    assert!(
        out.contains("── connection 0:"),
        "the summary at the end: {out}"
    );
}

#[test]
fn terminal_output() {
    // A file named: the terminal on stdin is not read; colour is on by default.
    let Some((code, out)) = on_terminal(&[&article("close3")], &[]) else {
        return;
    };
    assert_eq!(code, Some(0), "{out}");
    assert!(has_escape(&out), "colour on a terminal: {out}");
    assert!(out.contains("LAST_ACK"));
    // NO_COLOR turns it off; --color never too.
    let (code, out) = on_terminal(&[&article("close3")], &[("NO_COLOR", "1")]).unwrap();
    assert_eq!(code, Some(0));
    assert!(!out.contains('\x1b'), "NO_COLOR on a terminal: {out}");
    let (code, out) = on_terminal(&["--color", "never", &article("close3")], &[]).unwrap();
    assert_eq!(code, Some(0));
    assert!(!out.contains('\x1b'), "--color never on a terminal: {out}");
    // --demo needs no input.
    let (code, out) = on_terminal(&["--demo", "--summary"], &[]).unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("TIME_WAIT"));
}
