//! tcpdump text from the wild: dumps published by third parties, with the
//! facts an expert re-derived from their numbers (`tests/data/wild/`, and the
//! shared corpus when it is present next to the crate). Every fact must hold:
//! the TCP records read, each connection's roles, teardown and closer, and the
//! line checks (events, states, what an ACK acknowledges, fields, words that
//! must not be said). The checks read the JSON Lines a user gets, as the
//! shared grader does.
//!
//! Four dumps come in layouts the reader does not read yet (indented,
//! mail-wrapped, timestamp-less): on those originals only the checks about
//! the segments it reads are made, and every check is made on their cleaned
//! copies (`tests/data/wild/clean/`, line numbers kept), where all must hold.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One dump's items as JSON Lines objects, and its segments and other
/// records by first line.
struct Run {
    by_line: HashMap<u64, Vec<Value>>,
    connections: Vec<Value>,
}

fn run(path: &Path) -> Run {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let mut by_line: HashMap<u64, Vec<Value>> = HashMap::new();
    let mut connections = Vec::new();
    for item in tcpexplain::explain(&text) {
        let v = tcpexplain::render::jsonl::value(&item, tcpexplain::Lang::En);
        if v["type"] == "connection" {
            connections.push(v);
        } else if let Some(line) = v["line"].as_u64() {
            by_line.entry(line).or_default().push(v);
        }
    }
    Run {
        by_line,
        connections,
    }
}

/// `want` as a list of allowed values (a single value or a list).
fn allowed(want: &Value) -> Vec<Value> {
    match want {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn state_ok(got: &Value, want: &Value) -> bool {
    if let Some(not) = want.as_str().and_then(|w| w.strip_prefix('!')) {
        return got.as_str() != Some(not);
    }
    allowed(want).contains(got)
}

/// The text and transitions of a segment, as the grader searches them.
fn haystack(seg: &Value) -> String {
    let mut parts = vec![seg["text"].as_str().unwrap_or("").to_string()];
    for t in seg["transitions"].as_array().into_iter().flatten() {
        parts.push(format!(
            "{} {} → {} ({})",
            t["who"].as_str().unwrap_or(""),
            t["from"].as_str().unwrap_or(""),
            t["to"].as_str().unwrap_or(""),
            t["why"].as_str().unwrap_or("")
        ));
    }
    parts.join("\n")
}

/// Whether check `c` holds on `run`; `None` when it is about a record the
/// reader does not read (no record starts on its line).
fn check(c: &Value, run: &Run) -> Option<Result<(), String>> {
    let line = c["line"].as_u64().unwrap();
    let recs = run.by_line.get(&line).cloned().unwrap_or_default();
    let what = c["what"].as_str().unwrap();
    let seg = recs.iter().find(|r| r["type"] == "segment");
    let fail = |got: String| Some(Err(format!("line {line} {what}: got {got} ({c})")));
    match what {
        "parsed" => {
            let want = c["as"].as_str().unwrap_or("segment");
            if recs.iter().any(|r| r["type"] == want) {
                return Some(Ok(()));
            }
            // Read as another kind: wrong; not read at all: the reader's.
            return if recs.is_empty() || recs.iter().all(|r| r["type"] == "unparsed") {
                None
            } else {
                fail(format!(
                    "{:?}",
                    recs.iter().map(|r| &r["type"]).collect::<Vec<_>>()
                ))
            };
        }
        "no_record" => {
            return match recs
                .iter()
                .find(|r| r["type"] == "segment" || r["type"] == "other")
            {
                None => Some(Ok(())),
                Some(r) => fail(format!("a {} record", r["type"])),
            };
        }
        _ => {}
    }
    let Some(seg) = seg else {
        // About a segment the reader does not read yet.
        return if recs.iter().all(|r| r["type"] == "unparsed") {
            None
        } else {
            fail("no segment".into())
        };
    };
    let events = seg["events"].as_array().cloned().unwrap_or_default();
    // The kind, and every other field the check names (note, of_line, backoff, ...).
    let event_matches = |e: &Value| {
        c.as_object().is_some_and(|fields| {
            fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "line" | "what" | "ref" | "why"))
                .all(|(k, v)| e.get(k) == Some(v))
        })
    };
    let ok = match what {
        "event" => events.iter().any(event_matches),
        "no_event" => !events.iter().any(event_matches),
        "state" => ["client", "server"]
            .iter()
            .filter(|side| c.get(**side).is_some())
            .all(|side| state_ok(&seg["state"][*side], &c[*side])),
        "no_text" => !haystack(seg).contains(c["text"].as_str().unwrap()),
        "acked" => {
            let mut got: Vec<u64> = seg["acked"]["lines"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .collect();
            let mut want: Vec<u64> = c["lines"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            got.sort_unstable();
            got.dedup();
            want.sort_unstable();
            want.dedup();
            got == want
        }
        "field" => {
            let got = &seg[c["field"].as_str().unwrap()];
            match c.get("contains") {
                Some(part) => match got {
                    Value::String(s) => s.contains(part.as_str().unwrap_or("")),
                    Value::Array(a) => a.contains(part),
                    _ => false,
                },
                None => got == &c["value"],
            }
        }
        other => return fail(format!("an unknown check kind {other}")),
    };
    if ok {
        Some(Ok(()))
    } else {
        fail(format!(
            "events {events:?}, state {}, text {:?}",
            seg["state"], seg["text"]
        ))
    }
}

/// The connection verdicts: each truth connection reported with its roles
/// (unless `either_role`), teardown and closer; matched by the pair of
/// endpoints, in order of first line for a pair used twice.
fn connections(truth: &Value, run: &Run) -> Vec<String> {
    let pair = |c: &Value| {
        let mut p = [
            c["client"].as_str().unwrap_or("").to_string(),
            c["server"].as_str().unwrap_or("").to_string(),
        ];
        p.sort();
        p
    };
    let mut tool: Vec<&Value> = run.connections.iter().collect();
    tool.sort_by_key(|c| (c["first_line"].as_u64(), c["conn"].as_u64()));
    let mut seen: HashMap<[String; 2], usize> = HashMap::new();
    let mut wrong = Vec::new();
    for want in truth["connections"].as_array().unwrap() {
        let k = pair(want);
        let i = *seen.entry(k.clone()).and_modify(|n| *n += 1).or_insert(0);
        let Some(got) = tool.iter().filter(|t| pair(t) == k).nth(i) else {
            wrong.push(format!("{want}: not reported"));
            continue;
        };
        let swapped = got["client"] != want["client"];
        let either = want["either_role"].as_bool().unwrap_or(false);
        let mut closed_by = got["closed_by"].clone();
        if swapped && either {
            closed_by = match closed_by.as_str() {
                Some("client") => "server".into(),
                Some("server") => "client".into(),
                _ => closed_by,
            };
        }
        let verdict = allowed(&want["teardown"]).contains(&got["teardown"])
            && allowed(&want["closed_by"]).contains(&closed_by);
        if (swapped && !either) || !verdict {
            wrong.push(format!(
                "{want}: got {} → {} {}/{}",
                got["client"], got["server"], got["teardown"], got["closed_by"]
            ));
        }
    }
    wrong
}

/// Grades every dump of `dir` (truth in `dir/truth`); `clean` holds cleaned
/// copies of dumps in layouts the reader does not read yet. Returns the
/// failures, and how many checks were left to the cleaned copies.
fn grade(dir: &Path, clean: Option<&Path>) -> (Vec<String>, usize, usize) {
    let mut truths: Vec<PathBuf> = std::fs::read_dir(dir.join("truth"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    truths.sort();
    assert!(truths.len() >= 20, "{} truth files", truths.len());
    let (mut failures, mut checked, mut unread) = (Vec::new(), 0, 0);
    for path in truths {
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = truth["dump"].as_str().unwrap();
        let cleaned = clean.map(|c| c.join(name)).filter(|p| p.exists());
        let mut runs = vec![(dir.join(name), run(&dir.join(name)))];
        if let Some(p) = cleaned {
            let r = run(&p);
            runs.push((p, r));
        }
        // The last run is the one read whole: the cleaned copy when there is one.
        let last = runs.len() - 1;
        for (i, (file, r)) in runs.iter().enumerate() {
            let whole = i == last;
            for c in truth["checks"].as_array().unwrap() {
                // On an original with a cleaned copy, what the reader does not
                // read as a segment is left to the copy.
                let line = c["line"].as_u64().unwrap_or(0);
                let segment = r
                    .by_line
                    .get(&line)
                    .is_some_and(|v| v.iter().any(|o| o["type"] == "segment"));
                let reading = matches!(c["what"].as_str(), Some("parsed" | "no_record"));
                if !whole && (reading || !segment) {
                    unread += 1;
                    continue;
                }
                match check(c, r) {
                    Some(Ok(())) => checked += 1,
                    Some(Err(e)) => failures.push(format!("{}: {e}", file.display())),
                    None if whole => {
                        failures.push(format!("{}: line {} not read", file.display(), c["line"]));
                    }
                    None => unread += 1,
                }
            }
            if !whole {
                continue;
            }
            let lines: Vec<u64> = truth["tcp_lines"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            let read = lines
                .iter()
                .filter(|l| {
                    r.by_line
                        .get(l)
                        .is_some_and(|v| v.iter().any(|o| o["type"] == "segment"))
                })
                .count();
            if read != lines.len() {
                failures.push(format!(
                    "{}: {read} of {} TCP records read",
                    file.display(),
                    lines.len()
                ));
            }
            failures.extend(
                connections(&truth, r)
                    .into_iter()
                    .map(|w| format!("{}: {w}", file.display())),
            );
        }
    }
    (failures, checked, unread)
}

fn report(what: &str, (failures, checked, unread): (Vec<String>, usize, usize)) {
    eprintln!("{what}: {checked} checks hold, {unread} left to cleaned copies");
    assert!(checked > 150, "only {checked} checks made");
    assert!(
        failures.is_empty(),
        "{what}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The copies kept in the repository, with the cleaned ones.
#[test]
fn wild_dumps_hold_their_facts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wild");
    report("tests/data/wild", grade(&dir, Some(&dir.join("clean"))));
}

/// The captures made for these kinds of fault (`tests/data/captures/*/truth.json`,
/// written by `truth.py` from what each scenario's programs and setup did),
/// on each rendering: frames become the lines of that rendering.
#[test]
fn captures_hold_their_ground_truth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("truth.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 12, "{} captures with a truth", dirs.len());
    let (mut failures, mut checked) = (Vec::new(), 0);
    for dir in &dirs {
        let truth: Value =
            serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
        for rendering in ["nn.txt", "nn_S.txt", "nn_v.txt"] {
            let path = dir.join(rendering);
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let items = tcpexplain::explain(&text);
            let r = run(&path);
            // The line of each TCP frame: its segment's (quoted headers are not frames).
            let lines: Vec<u64> = items
                .iter()
                .filter_map(|i| match i {
                    tcpexplain::Item::Line {
                        record,
                        report: Some(_),
                        ..
                    } => Some(record.line),
                    _ => None,
                })
                .collect();
            let line_of = |f: &Value| f.as_u64().and_then(|f| lines.get(f as usize - 1)).copied();
            let name = format!("{}/{rendering}", dir.file_name().unwrap().to_string_lossy());
            for c in truth["checks"].as_array().unwrap() {
                if c["what"] == "summary" {
                    let conn = &r.connections[c["conn"].as_u64().unwrap() as usize];
                    let got = c["path"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .fold(conn, |v, k| &v[k.as_str().unwrap()]);
                    if *got == c["value"] {
                        checked += 1;
                    } else {
                        failures.push(format!("{name}: summary {c}: got {got}"));
                    }
                    continue;
                }
                if c["renderings"]
                    .as_array()
                    .is_some_and(|only| !only.iter().any(|r| r == rendering))
                {
                    continue;
                }
                let mut c = c.clone();
                let Some(line) = line_of(&c["frame"]) else {
                    failures.push(format!("{name}: no frame {}", c["frame"]));
                    continue;
                };
                let fields = c.as_object_mut().unwrap();
                fields.remove("frame");
                fields.remove("renderings");
                fields.insert("line".into(), line.into());
                if let Some(f) = fields.remove("of_frame") {
                    fields.insert("of_line".into(), line_of(&f).into());
                }
                match check(&c, &r) {
                    Some(Ok(())) => checked += 1,
                    Some(Err(e)) => failures.push(format!("{name}: {e}")),
                    None => failures.push(format!("{name}: line {line} not read")),
                }
            }
            let truth_conns = serde_json::json!({ "connections": truth["connections"] });
            failures.extend(
                connections(&truth_conns, &r)
                    .into_iter()
                    .map(|w| format!("{name}: {w}")),
            );
        }
    }
    eprintln!("captures: {checked} checks hold");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The shared corpus, when it is present next to the crate (its truth may
/// be newer than the copies kept here).
#[test]
fn shared_wild_dumps_hold_their_facts() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/wild");
    if !shared.join("truth").exists() {
        eprintln!("skipped: ../shared/corpus/wild not present");
        return;
    }
    let clean = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wild/clean");
    report("../shared/corpus/wild", grade(&shared, Some(&clean)));
}
