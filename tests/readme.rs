//! The README's sample output is the real output of the binary.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpexplain"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn blocks(readme: &str) -> Vec<&str> {
    readme
        .split("```text\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect()
}

#[test]
fn readme_samples_are_real_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = blocks(&readme);
    let text = run(&["--color", "never", "tests/data/article/close3.txt"]);
    assert!(
        text.ends_with(blocks[0]),
        "README's text sample is not the end of `tcpexplain tests/data/article/close3.txt`:\n{text}"
    );
    let icmp = run(&["--color", "never", "tests/data/icmp/nn_v.txt"]);
    assert!(
        icmp.contains(blocks[2]),
        "README's ICMP sample is not part of `tcpexplain tests/data/icmp/nn_v.txt`:\n{icmp}"
    );
    let diagram = run(&["--diagram", "tests/data/article/closing.txt"]);
    assert_eq!(diagram.trim_end(), blocks[1].trim_end());
    let jsonl = run(&["--format", "jsonl", "tests/data/article/close3.txt"]);
    let sample = readme
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    assert!(
        jsonl.ends_with(sample),
        "README's jsonl sample is not the end of the real output"
    );
}
