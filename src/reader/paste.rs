//! Text as people paste it: what surrounds tcpdump's lines in a blog post, a
//! forum reply, a mail or a book, and how it is laid out.
//!
//! The assembler reads every line as tcpdump printed it first; only a line
//! that is not tcpdump's comes here. It may be tcpdump's line behind a
//! decoration (the indentation of a Markdown code block, a list marker, a
//! prompt, mail quoting), or no tcpdump line at all: a prompt and command,
//! a comment, an elision, tshark's summary of a packet, prose.

use crate::model::TextKind;

/// Longest decoration taken off a line, in bytes (a prompt with a long path fits).
const MAX_DECORATION: usize = 64;

/// Where a line's text may start once its decorations are taken off, nearest
/// first: after the leading whitespace, then after each further decoration
/// (mail quoting `>`, a list marker `1.` `1)` `[1]` `-` `*`, a line number,
/// a prompt `$` `%` `#`, a table border `|`). Empty when the line has none.
pub(crate) fn cuts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut at = 0usize;
    let mut cuts = Vec::new();
    while at < b.len() && at <= MAX_DECORATION && cuts.len() < 6 {
        let blank = b
            .iter()
            .skip(at)
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        if blank > 0 {
            at += blank;
            cuts.push(at);
            continue;
        }
        let Some(len) = marker(b.get(at..).unwrap_or_default()) else {
            break;
        };
        // (With the blanks after it: read with one, a time would read as
        // `-ttt`'s signed delta.)
        at += len;
        at += b
            .iter()
            .skip(at)
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        cuts.push(at);
    }
    cuts
}

/// The length of one decoration at the start of `b` (without the spaces after it).
fn marker(b: &[u8]) -> Option<usize> {
    let spaced = |n: usize| matches!(b.get(n), Some(b' ' | b'\t')).then_some(n);
    match b.first()? {
        b'>' | b'|' => Some(1),
        b'$' | b'%' | b'#' | b'-' | b'*' | b'+' => spaced(1),
        b'[' => {
            let digits = b.iter().skip(1).take_while(|c| c.is_ascii_digit()).count();
            (digits > 0 && b.get(1 + digits) == Some(&b']')).then_some(digits + 2)
        }
        c if c.is_ascii_digit() => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 6 {
                return None;
            }
            // `1.`, `1)`, `12:` (a listing's line numbers), or a bare number
            // column; each followed by a space.
            match b.get(digits) {
                Some(b'.' | b')' | b':') => spaced(digits + 1),
                Some(b' ' | b'\t') => Some(digits),
                _ => None,
            }
        }
        _ => {
            // `•` and `│`, as some pages render list bullets and table borders.
            let s = std::str::from_utf8(b.get(..3)?).ok()?;
            matches!(s, "•" | "│").then_some(3)
        }
    }
}

/// Is a decoration one that every line of the block carries the same way
/// (indentation and mail quoting), so that the lines after it are read with
/// it taken off too? (A list marker or a line number changes from line to line.)
pub(crate) fn is_block_indent(decoration: &str) -> bool {
    decoration.bytes().all(|c| matches!(c, b' ' | b'\t' | b'>'))
}

/// What a line that is not tcpdump's is; `None` when it looks like a damaged
/// packet line (it then gets a diagnostic).
pub(crate) fn classify(text: &str) -> Option<TextKind> {
    let t = text.trim();
    if t == "^C" || t == "^Z" {
        return Some(TextKind::Interrupt);
    }
    if is_elision(t) {
        return Some(TextKind::Elision);
    }
    if is_separator(t) {
        return Some(TextKind::Separator);
    }
    if is_tshark(t) {
        return Some(TextKind::Tshark);
    }
    if is_command(t) {
        return Some(TextKind::Command);
    }
    if is_comment(t) {
        return Some(TextKind::Comment);
    }
    if looks_like_packet(t) {
        return None;
    }
    Some(TextKind::Prose)
}

/// `...`, `…`, `[...]`, `<snip>`, `(省略)`: the author left lines out.
fn is_elision(t: &str) -> bool {
    let inner = t
        .trim_start_matches(['[', '(', '<', '{', '-', ' '])
        .trim_end_matches([']', ')', '>', '}', '-', ' '])
        .trim();
    let dots = !inner.is_empty()
        && inner
            .chars()
            .all(|c| matches!(c, '.' | '…' | '·' | ' ' | '。'));
    let word = [
        "snip",
        "snipped",
        "cut",
        "omitted",
        "truncated",
        "略",
        "省略",
        "中略",
        "後略",
    ]
    .iter()
    .any(|w| inner.eq_ignore_ascii_case(w));
    let marks: usize = inner
        .chars()
        .map(|c| match c {
            '…' => 3,
            ' ' => 0,
            _ => 1,
        })
        .sum();
    dots && marks >= 2 || word
}

/// A line of one repeated character (`-----`, `=====`), or a Markdown code fence.
fn is_separator(t: &str) -> bool {
    if t.starts_with("```") || t.starts_with("~~~") {
        return true;
    }
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    "-=*_~#+".contains(first) && t.chars().count() >= 3 && chars.all(|c| c == first || c == ' ')
}

/// A comment written into the dump: `# …`, `// …`, `-- …`, `; …`, `<!-- … -->`, `/* … */`.
fn is_comment(t: &str) -> bool {
    ["#", "//", "-- ", "; ", "<!--", "/*", "* ", "REM "]
        .iter()
        .any(|p| t.starts_with(p))
}

/// A shell prompt (`user@host:~$ …`, `[root@host ~]# …`, `$ …`, `PS C:\> …`),
/// a command typed without one (`sudo tcpdump …`), or what such a command
/// asks (`[sudo] password for …`).
fn is_command(t: &str) -> bool {
    const COMMANDS: [&str; 14] = [
        "sudo ",
        "tcpdump ",
        "tshark ",
        "tcpdump\t",
        "doas ",
        "ip ",
        "ss ",
        "nc ",
        "curl ",
        "telnet ",
        "ping ",
        "iptables ",
        "netstat ",
        "wget ",
    ];
    if t.starts_with("[sudo]")
        || t.starts_with("Password:")
        || t.starts_with("PS ") && t.contains("> ")
    {
        return true;
    }
    if let Some(rest) = t.strip_prefix(['$', '%']) {
        return rest.starts_with(' ') && !rest.trim().is_empty();
    }
    // `# ` is a root prompt or a comment: a command has a known name or options.
    if let Some(rest) = t.strip_prefix("# ") {
        let mut words = rest.split_whitespace();
        let first = words.next().unwrap_or("");
        let known = COMMANDS.iter().any(|c| c.trim_end() == first);
        let args = words
            .next()
            .is_some_and(|w| w.starts_with('-') || w.contains('/'));
        return known
            || args
                && first
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || b"./_-".contains(&c));
    }
    if COMMANDS.iter().any(|c| t.starts_with(c)) {
        return true;
    }
    // `user@host:~$ cmd`, `user@host ~ % cmd`, `[user@host dir]# cmd`, `x@n ~ tcpdump …`.
    let first = t.split_whitespace().next().unwrap_or("");
    let prompt_word = first.contains('@') && !first.contains("://")
        || first.starts_with('[') && first.contains('@');
    prompt_word
        && (t.contains("$ ")
            || t.contains("# ")
            || t.contains("% ")
            || t.ends_with(['$', '#', '%'])
            || t.contains("tcpdump"))
}

/// tshark's one-line summary (`1 0.000000 10.0.0.1 → 10.0.0.2 TCP 74 48792 → 80
/// [SYN] Seq=0 …`), Wireshark's "export as text" (the same, with no arrow
/// between the addresses), or the header line of such an export. (Checked
/// before a line is read as tcpdump's: `1 0.000000 …` would read as a
/// numbered `-tt` line.)
pub(crate) fn is_tshark(t: &str) -> bool {
    // Its TCP fields, `Seq=0 Ack=1 Win=64240 Len=0`, are its own.
    if t.contains(" Seq=") && (t.contains(" Len=") || t.contains(" Win=")) {
        return true;
    }
    let words: Vec<&str> = t.split_whitespace().take(8).collect();
    if words.first() == Some(&"No.") && words.get(1) == Some(&"Time") {
        return true;
    }
    let number = |w: Option<&&str>| {
        w.is_some_and(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit()))
    };
    let time = |w: Option<&&str>| {
        w.is_some_and(|w| w.contains('.') && w.bytes().all(|c| c.is_ascii_digit() || c == b'.'))
    };
    let protocol = |w: Option<&&str>| {
        w.is_some_and(|w| {
            w.bytes().next().is_some_and(|c| c.is_ascii_uppercase())
                && w.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-./".contains(&c))
        })
    };
    if !number(words.first()) || !time(words.get(1)) {
        return false;
    }
    let arrow = |w: Option<&&str>| matches!(w.copied(), Some("→" | "->"));
    (arrow(words.get(3)) && protocol(words.get(5)) && number(words.get(6)))
        || (protocol(words.get(4)) && number(words.get(5)))
}

/// Text that reads like a packet line, damaged: it gets a diagnostic, not a kind.
fn looks_like_packet(t: &str) -> bool {
    let endpoints = t.contains(" > ") && t.contains(": ");
    let tcp_words = t.contains("Flags [") || t.contains(" seq ") || t.contains(" win ");
    let time = matches!(t.as_bytes(), [h, m, b':', ..] if h.is_ascii_digit() && m.is_ascii_digit());
    endpoints || tcp_words || time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorations_are_cut_one_at_a_time() {
        assert_eq!(cuts("    12:00"), vec![4]);
        assert_eq!(cuts("\t12:00"), vec![1]);
        assert_eq!(cuts("1. 12:00"), vec![3]);
        assert_eq!(cuts("[12] 12:00"), vec![5]);
        assert_eq!(cuts("> > 12:00"), vec![2, 4]);
        assert_eq!(cuts("$ tcpdump"), vec![2]);
        assert_eq!(cuts("  3  12:00"), vec![2, 5]);
        assert_eq!(cuts("12:00:00.000000 IP"), Vec::<usize>::new());
        assert_eq!(cuts("IP 10.0.0.1"), Vec::<usize>::new());
    }

    #[test]
    fn lines_that_are_not_tcpdump_have_a_kind() {
        let kind = |t| classify(t);
        assert_eq!(kind("^C"), Some(TextKind::Interrupt));
        assert_eq!(kind("..."), Some(TextKind::Elision));
        assert_eq!(kind("    …"), Some(TextKind::Elision));
        assert_eq!(kind("[...]"), Some(TextKind::Elision));
        assert_eq!(kind("<snip>"), Some(TextKind::Elision));
        assert_eq!(kind("------"), Some(TextKind::Separator));
        assert_eq!(kind("```text"), Some(TextKind::Separator));
        assert_eq!(kind("//三次握手"), Some(TextKind::Comment));
        assert_eq!(kind("# the handshake"), Some(TextKind::Comment));
        assert_eq!(
            kind("# tcpdump -ni any 'host 10.70.3.48'"),
            Some(TextKind::Command)
        );
        assert_eq!(
            kind("heidong@HEIDONGVM:~$ sudo tcpdump -i eth0"),
            Some(TextKind::Command)
        );
        assert_eq!(
            kind("[root@crm ~]# tcpdump host 93.100.211.50"),
            Some(TextKind::Command)
        );
        assert_eq!(kind("x@n ~ tcpdump -n -S -i en0"), Some(TextKind::Command));
        assert_eq!(
            kind("[sudo] password for heidong:"),
            Some(TextKind::Command)
        );
        assert_eq!(kind("$ curl http://10.0.0.2/"), Some(TextKind::Command));
        assert_eq!(
            kind("1 0.000000 10.0.0.1 → 10.0.0.2 TCP 74 48792 → 80 [SYN] Seq=0 Win=64240 Len=0"),
            Some(TextKind::Tshark)
        );
        assert_eq!(
            kind("      1 0.000000       10.0.0.1    10.0.0.2    TCP      74     48792 → 80 [SYN]"),
            Some(TextKind::Tshark)
        );
        assert_eq!(
            kind("No.     Time           Source"),
            Some(TextKind::Tshark)
        );
        assert_eq!(kind("this is not tcpdump"), Some(TextKind::Prose));
        assert_eq!(
            kind("[  5] local 192.168.2.1 port 5001 connected"),
            Some(TextKind::Prose)
        );
        assert_eq!(
            kind("12:00:00.1 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq x"),
            None
        );
        assert_eq!(kind("a.1 > b.2: garbage here"), None);
    }
}
