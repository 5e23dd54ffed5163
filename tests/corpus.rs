//! Every TCP line of tcpdump's own test outputs (all versions) and of the 4.99.3
//! renderings under every flag set is read as a TCP record, with no diagnostic,
//! and no line of them is taken for text that is not tcpdump's.
//! Uses `../shared/corpus` beside the checkout when present (skips otherwise), and
//! always the subset committed under `tests/data/tcpdump`.

use std::fs;
use std::path::{Path, PathBuf};
use tcpexplain::{RecordKind, RecordReader};

struct Tally {
    tcp: usize,
    unparsed: Vec<String>,
}

fn tally(path: &Path) -> Tally {
    let bytes = fs::read(path).unwrap();
    let mut t = Tally {
        tcp: 0,
        unparsed: Vec::new(),
    };
    for record in RecordReader::new(&bytes[..]) {
        match record.unwrap().kind {
            RecordKind::Tcp(_) => t.tcp += 1,
            RecordKind::Unparsed(d) => {
                t.unparsed
                    .push(format!("{}:{d} | {}", path.display(), d.text))
            }
            // Every line of these files is tcpdump's, but the exit status
            // that the test harness of 4.9 appended to some.
            RecordKind::OtherText(o) if o.text.starts_with("EXIT CODE ") => {}
            RecordKind::OtherText(o) => t.unparsed.push(format!(
                "{}: read as {:?} text, not tcpdump's | {}",
                path.display(),
                o.kind,
                o.text
            )),
            _ => {}
        }
    }
    t
}

/// Rows of a TSV index: (file, tcp_lines, flags).
fn index(path: &Path, file_col: &str, flags_col: &str) -> Vec<(String, usize, String)> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (f, t, fl) = (col(file_col), col("tcp_lines"), col(flags_col));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            (
                cells[f].to_string(),
                cells[t].parse().unwrap(),
                cells[fl].to_string(),
            )
        })
        .collect()
}

fn quiet(flags: &str) -> bool {
    flags
        .split_whitespace()
        .any(|f| f.starts_with('-') && !f.starts_with("--") && f.contains('q'))
}

fn check(dir: &Path, rows: Vec<(String, usize, String)>) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, expected, flags) in rows {
        let path = dir.join(&file);
        if !path.exists() {
            continue;
        }
        let t = tally(&path);
        checked += 1;
        failures.extend(t.unparsed.iter().cloned());
        if !quiet(&flags) && t.tcp != expected {
            failures.push(format!(
                "{file}: {} TCP records, index says {expected}",
                t.tcp
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.exists().then_some(p)
}

#[test]
fn upstream_tests_all_versions() {
    let Some(corpus) = shared() else {
        eprintln!("skipped: ../shared/corpus not present");
        return;
    };
    let dir = corpus.join("tcpdump-tests");
    let n = check(
        &dir,
        index(&dir.join("INDEX.tsv"), "file", "effective_flags"),
    );
    eprintln!("tcpdump's test outputs: {n} files read, no diagnostic");
    assert!(n > 300, "only {n} files checked");
}

#[test]
fn generated_4_99_3_all_flag_sets() {
    let Some(corpus) = shared() else {
        eprintln!("skipped: ../shared/corpus not present");
        return;
    };
    let dir = corpus.join("generated-4.99.3");
    let n = check(&dir, index(&dir.join("MANIFEST.tsv"), "file", "args"));
    eprintln!("renderings by tcpdump 4.99.3: {n} files read, no diagnostic");
    assert!(n > 400, "only {n} files checked");
}

#[test]
fn committed_subset() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tcpdump");
    let n = check(&dir, index(&dir.join("INDEX.tsv"), "file", "flags"));
    assert!(n >= 10, "only {n} files checked");
}
