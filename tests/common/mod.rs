//! What the command-line tests share: the command as they run it, and
//! guards against a child that hangs.
#![allow(dead_code)] // (Each test file uses some of these.)

use std::io::Write;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tcpexplain");
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The command, run from the crate root, with no standard input and with the
/// environment variables that change colour or language decisions removed.
pub fn cmd() -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(ROOT)
        .stdin(Stdio::null())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    c
}

pub fn run(args: &[&str]) -> Output {
    cmd().args(args).output().unwrap()
}

/// Runs with `input` on standard input (a pipe, written from another thread so
/// that a large output cannot deadlock against a large input).
pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Waits for a child at most `limit`; kills it (and fails) if it takes
/// longer. A guard against a hang, not a measure.
pub fn wait_at_most(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
