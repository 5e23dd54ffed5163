//! Throughput on a large real dump: `cargo bench`.
//!
//! The dump is a bulk transfer with a small MSS, about a million packets,
//! rendered by `tcpdump -nn -r` (make it with `tests/data/captures/make_bulk.sh`,
//! which writes `target/bench/bulk-1m.txt`; or point `TCPEXPLAIN_BENCH_DUMP` at
//! any tcpdump text). Each phase runs three times; the best run is reported,
//! with the process's peak RSS at the end. Then lines built to be read
//! slowly (many colons, arrows, brackets, decorations; about 16 MB each) are
//! read, next to the dump: every parse is linear, so their MB/s should be of
//! the same order (tests hold the bytes looked at per input byte).

use std::io::{BufRead, BufReader, Write};
use std::time::Instant;
use tcpexplain::reader::RecordReader;
use tcpexplain::render::jsonl;
use tcpexplain::{Explainer, Item, Options};

fn best<F: FnMut() -> u64>(runs: usize, mut f: F) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let start = Instant::now();
        out = f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, out)
}

fn explain_all(data: &[u8], options: Options, mut each: impl FnMut(&Item)) -> u64 {
    let mut explainer = Explainer::with_options(options);
    let mut n = 0u64;
    let mut reader = BufReader::with_capacity(1 << 16, data);
    let mut buf = Vec::new();
    while let Ok(Some(cut)) = tcpexplain::reader::read_line(&mut reader, &mut buf) {
        explainer.push_read_line(&buf, cut);
        while let Some(item) = explainer.next_item() {
            each(&item);
            n += 1;
        }
    }
    explainer.finish();
    while let Some(item) = explainer.next_item() {
        each(&item);
        n += 1;
    }
    n
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// About 16 MB of lines built from `unit`, each line 64 KiB.
fn hostile(unit: &str) -> Vec<u8> {
    let line = format!(
        "12:00:00.000000 IP6 {}\n",
        unit.repeat((64 << 10) / unit.len())
    );
    line.repeat(256).into_bytes()
}

fn hostile_lines() {
    let units = [
        ":",
        " > :",
        ": S 1",
        "Flags [",
        "[",
        "(tos ",
        "1. ",
        "> ",
        "a.b > c.d: ",
    ];
    for unit in units {
        let data = hostile(unit);
        let mb = data.len() as f64 / 1e6;
        let (secs, _) = best(3, || RecordReader::new(&data[..]).count() as u64);
        println!(
            "parse hostile {:<14} {secs:>7.3} s  {:>8.1} MB/s",
            format!("{unit:?}"),
            mb / secs
        );
    }
}

fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    hostile_lines();
    let path = std::env::var("TCPEXPLAIN_BENCH_DUMP")
        .unwrap_or_else(|_| format!("{}/target/bench/bulk-1m.txt", env!("CARGO_MANIFEST_DIR")));
    let Ok(data) = std::fs::read(&path) else {
        eprintln!("no dump at {path}: run tests/data/captures/make_bulk.sh (needs root) or set TCPEXPLAIN_BENCH_DUMP");
        return;
    };
    let mb = data.len() as f64 / 1e6;
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    println!("dump: {path}: {mb:.1} MB, {lines} lines");
    let report = |name: &str, (secs, n): (f64, u64)| {
        println!(
            "{name:<28} {secs:>7.3} s  {:>8.1} MB/s  {:>6.0} ns/line  ({n} items)",
            mb / secs,
            secs * 1e9 / lines as f64
        );
    };
    report(
        "read lines (baseline)",
        best(3, || BufReader::new(&data[..]).lines().count() as u64),
    );
    report(
        "parse records",
        best(3, || RecordReader::new(&data[..]).count() as u64),
    );
    let summary_only = Options {
        reports: false,
        ..Options::default()
    };
    report(
        "explain, summary only",
        best(3, || explain_all(&data, summary_only, |_| {})),
    );
    // As the command line sets it up for `--format jsonl`.
    let jsonl_options = Options {
        segment_text: false,
        ..Options::default()
    };
    report(
        "explain, full jsonl",
        best(3, || {
            let mut sink = std::io::sink();
            let mut out = std::io::BufWriter::new(&mut sink);
            let n = explain_all(&data, jsonl_options, |item| {
                let _ = jsonl::write(item, tcpexplain::Lang::En, &mut out);
            });
            let _ = out.flush();
            n
        }),
    );
    // The command's default output (text, no colour).
    report(
        "explain, full text",
        best(3, || {
            let mut sink = std::io::sink();
            let mut out = std::io::BufWriter::new(&mut sink);
            let text = tcpexplain::render::text::TextOptions::default();
            let n = explain_all(&data, Options::default(), |item| {
                let _ = tcpexplain::render::text::item(item, &text, &mut out);
            });
            let _ = out.flush();
            n
        }),
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak RSS {:.1} MB (the dump itself is held in memory: {mb:.1} MB)",
            kib as f64 / 1024.0
        );
    }
}
