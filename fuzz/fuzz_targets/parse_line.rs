//! Arbitrary bytes as tcpdump text: each line (and the whole input as one line)
//! through `parse_line`, and the raw bytes through `RecordReader`.
//!
//! Besides "no panic", the reader must account for its input: records come in
//! line order, never overlap, and every non-blank line is in exactly one record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcpexplain::reader::RecordReader;
use tcpexplain::{parse_line, RecordKind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // The whole input as a single "line", embedded newlines and all.
    let _ = parse_line(&text);

    let mut total = 0u64;
    let mut non_blank = 0u64;
    for line in text.split('\n') {
        total += 1;
        if !line.trim().is_empty() {
            non_blank += 1;
        }
        if let RecordKind::Unparsed(d) = parse_line(line) {
            assert!(d.column >= 1, "columns are 1-based: {d:?}");
            assert!(!d.expected.is_empty(), "a diagnostic says what it expected");
        }
    }
    // `split` yields one empty piece after a final newline; the reader sees no line there.
    if data.ends_with(b"\n") {
        total -= 1;
    }

    let mut covered = 0u64;
    let mut absorbed_blanks = 0u64;
    let mut next_free = 1u64;
    let mut records = Vec::new();
    for record in RecordReader::new(data) {
        let record = record.expect("reading from memory cannot fail");
        assert!(record.lines >= 1, "a record spans at least its head line");
        assert!(
            record.line >= next_free,
            "records overlap or go backwards: line {} after {}",
            record.line,
            next_free
        );
        next_free = record.line + u64::from(record.lines);
        assert!(next_free - 1 <= total.max(1), "record past the last line");
        // The kept text is the record's lines, newline-joined.
        let pieces: Vec<&str> = record.text.split('\n').collect();
        assert_eq!(
            pieces.len(),
            record.lines as usize,
            "text and line count agree"
        );
        absorbed_blanks += pieces.iter().filter(|p| p.trim().is_empty()).count() as u64;
        covered += u64::from(record.lines);
        records.push(record);
    }
    assert_eq!(
        covered,
        non_blank + absorbed_blanks,
        "every non-blank line is in exactly one record"
    );

    // One line alone: the reader and `parse_line` read it the same way.
    if !data.contains(&b'\n') && !text.ends_with('\r') && !text.trim().is_empty() {
        assert_eq!(records.len(), 1);
        match (&records[0].kind, parse_line(&text)) {
            // The reader also knows text as people paste it (indented,
            // quoted, prose and markup along with it): where the grammar
            // alone reads the line, the reader reads it the same.
            (_, RecordKind::Unparsed(_)) => {}
            (read, parsed) => assert_eq!(*read, parsed),
        }
    }
});
