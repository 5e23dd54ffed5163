//! Explains a tcpdump text file with the library: each TCP line's states and
//! explanation, then each connection's summary.
//!
//! ```sh
//! cargo run --example explain_file -- tests/data/article/close4.txt
//! ```

use std::io::BufRead;
use tcpexplain::{Explainer, Item};

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/data/article/close4.txt".into());
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut explainer = Explainer::new();
    let show = |explainer: &mut Explainer| {
        while let Some(item) = explainer.next_item() {
            match item {
                Item::Line {
                    report: Some(r), ..
                } => println!(
                    "line {:>3}  {:<6} [{}]  client {:<12} server {:<12}\n           {}",
                    r.line,
                    r.from.name(),
                    r.flags,
                    r.state.client.name(),
                    r.state.server.name(),
                    r.text
                ),
                Item::Line { record, .. } => {
                    println!("line {:>3}  (not a TCP segment)", record.line)
                }
                Item::Connection(s) => println!("\n{}", s.text),
            }
        }
    };
    for line in reader.lines() {
        explainer.push_line(&line?);
        show(&mut explainer);
    }
    explainer.finish();
    show(&mut explainer);
    Ok(())
}
