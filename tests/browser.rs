//! The HTML report in a real browser: the report of each article dump and of
//! a capture with a loss, opened in headless Chromium at a desktop's width
//! and a phone's, must log no error or warning (an SVG attribute Chromium
//! cannot read is logged as an error), fetch nothing, need no script, fit a
//! phone's width, and print. Screenshots (and the PDFs) are saved under
//! `target/browser/`, to be looked at.
//!
//! `tests/browser/look.py` speaks to Chromium over the DevTools protocol's
//! pipes. `.ci/run` installs Debian's `chromium`; where it is missing (or
//! `python3` is), the test says so and does nothing. `CHROMIUM` names
//! another browser binary.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tcpexplain");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// (name, input) of each report looked at.
const REPORTS: [(&str, &str); 4] = [
    ("close3", "tests/data/article/close3.txt"),
    ("close4", "tests/data/article/close4.txt"),
    ("closing", "tests/data/article/closing.txt"),
    (
        "fast_retransmission",
        "tests/data/captures/fast_retransmission/nn.txt",
    ),
];

/// (name, width, height, mobile) of each screen.
const SCREENS: [(&str, u32, u32, bool); 2] =
    [("desktop", 1280, 900, false), ("phone", 390, 844, true)];

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn chromium() -> Option<String> {
    let named = std::env::var("CHROMIUM").ok();
    named
        .into_iter()
        .chain(
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ]
            .map(String::from),
        )
        .find(|c| runs(c, "--version"))
}

fn out_dir() -> PathBuf {
    let dir = Path::new(ROOT).join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens every job in one browser; one JSON object per job.
fn look(chromium: &str, jobs: &Value) -> Vec<Value> {
    let file = out_dir().join("jobs.json");
    std::fs::write(&file, jobs.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(Path::new(ROOT).join("tests/browser/look.py"))
        .arg(chromium)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "look.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn html_reports_open_in_chromium_without_errors() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "skipped: no Chromium to open the reports in (`.ci/run` installs Debian's `chromium`)"
        );
        return;
    };
    if !runs("python3", "--version") {
        eprintln!("skipped: python3 is needed to speak to Chromium");
        return;
    }
    let dir = out_dir();

    // The checker itself sees what it must: a page that breaks every rule.
    let bad = dir.join("broken.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><title>broken</title><svg><path d=\"M0,NaN\"/></svg>\
         <script>console.error('boom'); missing();</script>",
    )
    .unwrap();
    let mut jobs = vec![serde_json::json!({
        "html": bad, "png": dir.join("broken.png"), "pdf": null,
        "width": 800, "height": 600, "mobile": false,
    })];

    for (name, input) in REPORTS {
        let out = Command::new(BIN)
            .args(["--format", "html", input])
            .current_dir(ROOT)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        let html = dir.join(format!("{name}.html"));
        std::fs::write(&html, &out.stdout).unwrap();
        for (screen, width, height, mobile) in SCREENS {
            jobs.push(serde_json::json!({
                "html": html,
                "png": dir.join(format!("{name}-{screen}.png")),
                "pdf": if mobile { Value::Null } else { dir.join(format!("{name}.pdf")).to_string_lossy().into() },
                "print_png": if mobile { Value::Null } else { dir.join(format!("{name}-print.png")).to_string_lossy().into() },
                "width": width, "height": height, "mobile": mobile,
            }));
        }
    }
    let seen = look(&chromium, &serde_json::Value::Array(jobs.clone()));
    assert_eq!(seen.len(), jobs.len());

    let broken = seen[0]["problems"].as_array().unwrap();
    let said = |what: &str| broken.iter().any(|p| p.as_str().unwrap().contains(what));
    assert!(said("attribute d"), "an SVG error is seen: {broken:?}");
    assert!(said("boom"), "console.error is seen: {broken:?}");
    assert!(said("missing"), "an exception is seen: {broken:?}");

    for (job, page) in jobs.iter().zip(&seen).skip(1) {
        let what = format!("{} at {}px", job["html"], job["width"]);
        assert_eq!(page["problems"], serde_json::json!([]), "{what}: {page}");
        assert_eq!(page["scripts"], 0, "{what}: no script needed");
        assert_eq!(
            page["external"],
            serde_json::json!([]),
            "{what}: nothing fetched"
        );
        assert_eq!(page["lang"], "en", "{what}");
        // Per connection a ladder, and a time-sequence graph when data flowed;
        // every picture drawn.
        let svgs = page["svgs"].as_u64().unwrap();
        assert!(svgs >= 1, "{what}: {page}");
        assert_eq!(page["svgs_drawn"], page["svgs"], "{what}: {page}");
        // Nothing wider than the screen: on a phone, wide pictures and
        // tables scroll inside their own boxes.
        assert!(
            page["scroll_width"].as_u64() <= page["viewport_width"].as_u64(),
            "{what}: {page}"
        );
        let png = std::fs::metadata(job["png"].as_str().unwrap()).unwrap();
        assert!(png.len() > 10_000, "{what}: a screenshot");
        if let Some(pdf) = job["pdf"].as_str() {
            let bytes = std::fs::read(pdf).unwrap();
            assert!(bytes.starts_with(b"%PDF"), "{what}: printed");
            // On paper nothing scrolls: the page fits an A4 page's width.
            assert!(
                page["print_scroll_width"].as_u64() <= Some(794),
                "{what}: printed wider than the page: {page}"
            );
        }
    }
    eprintln!("screenshots in {}", dir.display());
}
