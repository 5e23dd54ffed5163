//! The TCP part of a line: endpoints, then the 4.x body (`Flags [..], seq ..`),
//! the 3.x body (`S 1:1(0) win N <..>`), the `-q` body (`tcp N`) or a truncation marker.

use super::{expect, fail, Expected, Res};
use crate::model::{
    Checksum, Endpoint, Flags, OptionsEnd, SeqRange, TcpFormat, TcpOption, TcpPacket,
};
use compact_str::CompactString;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, opt, value};
use nom::sequence::{delimited, preceded, terminated};
use nom::Parser;

const MODERN_FLAGS: &str = "FSRP.UEWe";
const LEGACY_FLAGS: &str = "SFRPWE";

/// Where the TCP segment of a line is: the byte index just after the first `: `
/// that follows `src > dst` and precedes a TCP body, and the index of the
/// last ` > ` before it (the one between the segment's endpoints).
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub body: usize,
    arrow: usize,
}

impl Located {
    /// Are the segment's endpoints the first words of `text` (no timestamp or
    /// network layer before them)?
    pub fn starts_line(&self, text: &str) -> bool {
        text.get(..self.arrow)
            .is_some_and(|src| !src.is_empty() && !src.contains(char::is_whitespace))
    }
}

/// Finds the TCP segment of a line (see [`Located`]).
pub fn locate(text: &str) -> Option<Located> {
    // The last ` > ` before each colon is searched for in the text since the
    // colon before (an arrow holds no colon): each byte is looked at once,
    // and a line of many colons (an `-A` payload) is read in linear time.
    let mut arrow = None;
    let mut from = 0usize;
    for colon in memchr::memchr_iter(b':', text.as_bytes()) {
        super::examined(colon.saturating_sub(from));
        if let Some(at) = text.get(from..colon).and_then(rfind_arrow) {
            arrow = Some(from.saturating_add(at));
        }
        from = colon.saturating_add(1);
        if let Some(arrow) = arrow {
            if looks_like_tcp_body(text.get(from..).unwrap_or("")) {
                return Some(Located { body: from, arrow });
            }
        }
    }
    None
}

/// Is this (the text after `dst:`) a TCP body? Checks a few tokens (a few
/// dozen bytes at most), not the whole grammar.
fn looks_like_tcp_body(body: &str) -> bool {
    super::examined(body.len().min(48));
    if body.starts_with("  [|tcp]") || body.starts_with(" [|tcp]") || body.starts_with("  tcp ") {
        return true;
    }
    let Some(body) = body.strip_prefix(' ') else {
        return false;
    };
    if let Some(rest) = body.strip_prefix("Flags [") {
        let flags_end = rest.bytes().take(16).position(|b| b == b']').unwrap_or(0);
        let letters = rest.get(..flags_end).unwrap_or("");
        let after = rest.get(flags_end.saturating_add(1)..).unwrap_or("");
        let flags_ok = letters == "none" || modern_letters(letters).is_some();
        return flags_ok && (after.starts_with(", ") || after.starts_with(" [bad hdr"));
    }
    if let Some(rest) = body.strip_prefix("tcp ") {
        return rest.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    }
    // Legacy: flags letters (or `.`) then a range, `ack`, `win` or a checksum.
    let letters_end = body
        .bytes()
        .take(8)
        .position(|c| !(LEGACY_FLAGS.contains(char::from(c)) || c == b'.'))
        .unwrap_or(body.len());
    let letters = body.get(..letters_end).unwrap_or("");
    let after = body.get(letters_end..).unwrap_or("");
    let letters_ok = letters == "." || (!letters.is_empty() && !letters.contains('.'));
    // (A range `first:last(len)`: its `(` comes within a few dozen bytes.)
    let range = after.starts_with(' ')
        && after.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
        && after.bytes().take(32).any(|c| c == b'(');
    letters_ok
        && (after.starts_with(" ack ")
            || after.starts_with(" win ")
            || after.starts_with(", cksum ")
            || after.starts_with(" [tcp sum")
            || after.starts_with(" [bad tcp")
            || range)
}

/// Parses `src > dst: body` where [`locate`] found it.
pub fn segment(text: &str, at: Located) -> Result<Box<TcpPacket>, Expected<'_>> {
    let head = text.get(..at.body.saturating_sub(1)).unwrap_or("");
    let body = text.get(at.body..).unwrap_or("");
    let (inner_prefix, src, dst) = endpoints(head, at.arrow, text)?;
    // Boxed from the start: the packet is large, and moving it costs more than filling it.
    let mut packet = crate::spare::packet(TcpPacket::new(src, dst));
    packet.inner_prefix = inner_prefix;
    let result = if body.starts_with(" Flags [") {
        modern(body, &mut packet)
    } else if body.starts_with(" tcp ") || body.starts_with("  tcp ") {
        quiet(body, &mut packet)
    } else if body.trim_start().starts_with("[|tcp]") {
        packet.format = TcpFormat::Truncated;
        packet.tail = Some(body.to_string());
        Ok(("", ()))
    } else {
        legacy(body, &mut packet)
    };
    match result {
        Ok(_) => Ok(packet),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
        Err(nom::Err::Incomplete(_)) => Err(Expected {
            at: "",
            what: "more input",
        }),
    }
}

/// `src > dst` (` > ` at `gt`, the last before the body) and whatever precedes it.
fn endpoints<'a>(
    head: &'a str,
    gt: usize,
    whole: &'a str,
) -> Result<(Option<String>, Endpoint, Endpoint), Expected<'a>> {
    let dst = head.get(gt.saturating_add(3)..).unwrap_or("");
    let before = head.get(..gt).unwrap_or("");
    let src_start = before
        .bytes()
        .rposition(|b| b == b' ')
        .map_or(0, |p| p.saturating_add(1));
    let src = before.get(src_start..).unwrap_or("");
    if src.is_empty() || dst.is_empty() || dst.bytes().any(|b| b == b' ') {
        return Err(Expected {
            at: whole,
            what: "`src > dst: ` with addresses and ports",
        });
    }
    let inner = before.get(..src_start).unwrap_or("");
    let inner_prefix = (!inner.is_empty()).then(|| inner.to_string());
    Ok((inner_prefix, endpoint(src), endpoint(dst)))
}

/// Splits `host.port` at the last dot; an IPv4 address alone (truncated lines) has no port.
pub fn endpoint(token: &str) -> Endpoint {
    let bytes = token.as_bytes();
    let (dots, last_dot) = dots(bytes);
    if dots == 3 {
        let colon = bytes.contains(&b':');
        let plain_ipv4 = !colon && token.split('.').all(|p| p.parse::<u8>().is_ok());
        // `::ffff:1.2.3.4` without a port (a mapped address has three dots of its own).
        if plain_ipv4 || colon {
            return Endpoint {
                host: token.into(),
                port: None,
            };
        }
    }
    match last_dot {
        Some(dot) if dot.saturating_add(1) < bytes.len() => Endpoint {
            host: token.get(..dot).unwrap_or("").into(),
            port: token.get(dot.saturating_add(1)..).map(Into::into),
        },
        // A bare port: IPv6 with extension headers prints ports only.
        _ if bytes.iter().all(u8::is_ascii_digit) => Endpoint {
            host: CompactString::default(),
            port: Some(token.into()),
        },
        _ => Endpoint {
            host: token.into(),
            port: None,
        },
    }
}

/// Makes a used packet what `TcpPacket::new(endpoint(src), endpoint(dst))`
/// would be, keeping its options: [`modern_common`] sets those (in place when
/// they are the usual timestamps list).
pub(super) fn renew(p: &mut TcpPacket, src: &str, dst: &str) {
    // (Every field named: one added later cannot be missed.)
    let TcpPacket {
        prefix,
        ip,
        ip_word,
        ip_header,
        inner_prefix,
        src: old_src,
        dst: old_dst,
        format,
        flags,
        checksum,
        seq,
        ack,
        win,
        urg,
        options: _,
        options_end,
        length,
        length_note,
        tail,
        continuation,
        dump,
        quoted,
    } = p;
    *prefix = crate::model::Prefix::default();
    *ip = crate::model::IpVersion::V4;
    *ip_word = false;
    *ip_header = None;
    *inner_prefix = None;
    // Lines mostly go back and forth between the two ends of one connection:
    // the used packet often holds these endpoints already, or the other way round.
    if spelled_by(old_src, dst) && spelled_by(old_dst, src) {
        std::mem::swap(old_src, old_dst);
    } else if !(spelled_by(old_src, src) && spelled_by(old_dst, dst)) {
        endpoint_into(old_src, src);
        endpoint_into(old_dst, dst);
    }
    *format = TcpFormat::Modern;
    *flags = Flags::default();
    *checksum = None;
    *seq = None;
    *ack = None;
    *win = None;
    *urg = None;
    *options_end = None;
    *length = None;
    *length_note = None;
    *tail = None;
    continuation.clear();
    dump.clear();
    *quoted = false;
}

/// Whether `endpoint(token)` is `e`, for an `e` that [`endpoint`] made: a
/// host and a port are the two sides of their token's last dot, so the token
/// that made them is spelled by them (other shapes are left to `endpoint`).
fn spelled_by(e: &Endpoint, token: &str) -> bool {
    let (host, Some(port)) = (e.host.as_bytes(), e.port.as_deref()) else {
        return false;
    };
    let t = token.as_bytes();
    !host.is_empty()
        && t.len() == host.len().saturating_add(1).saturating_add(port.len())
        && t.get(host.len()) == Some(&b'.')
        && t.starts_with(host)
        && t.ends_with(port.as_bytes())
}

/// `*e = endpoint(token)`, from the endpoints of the last few tokens read
/// when `token` is one of them: lines mostly go back and forth between the
/// two ends of one connection, and comparing a token costs less than reading it.
fn endpoint_into(e: &mut Endpoint, token: &str) {
    /// Tokens and their endpoints, the oldest replaced first.
    struct Recent {
        read: [(CompactString, Endpoint); 4],
        next: usize,
    }
    thread_local! {
        static RECENT: std::cell::RefCell<Recent> = std::cell::RefCell::new(Recent {
            read: Default::default(),
            next: 0,
        });
    }
    RECENT.with_borrow_mut(|recent| {
        let known = recent
            .read
            .iter()
            .find(|(t, _)| crate::model::short_eq(t.as_bytes(), token.as_bytes()));
        if let Some((_, endpoint)) = known {
            e.clone_from(endpoint);
            return;
        }
        *e = endpoint(token);
        if let Some(slot) = recent.read.get_mut(recent.next) {
            *slot = (token.into(), e.clone());
        }
        recent.next = (recent.next + 1) % recent.read.len();
    });
}

/// How many dots `b` has, and where the last one is. An address and port
/// (`10.0.0.1.443`) mostly fit two words: read eight bytes at a time.
pub(super) fn dots(b: &[u8]) -> (u32, Option<usize>) {
    let dot_bits = |word: [u8; 8]| super::bytes_equal(u64::from_le_bytes(word), b'.');
    let n = b.len();
    let word = |at: usize| b.get(at..at.saturating_add(8))?.try_into().ok();
    let words = (n <= 16)
        .then(|| word(0).zip(word(n.checked_sub(8)?)))
        .flatten();
    let Some((head, tail)) = words else {
        // Shorter than a word, or longer than two: byte by byte.
        let count = b.iter().filter(|&&c| c == b'.').count();
        let last = b.iter().rposition(|&c| c == b'.');
        return (u32::try_from(count).unwrap_or(u32::MAX), last);
    };
    // The tail word overlaps the head by 16 - n bytes: those are counted once.
    let head_bits = dot_bits(head);
    let overlap = (16 - n) * 8;
    let tail_bits = (dot_bits(tail).checked_shr(overlap as u32).unwrap_or(0))
        .checked_shl(overlap as u32)
        .unwrap_or(0);
    // (One high bit per dot: the sum of the bytes, shifted down, is the count.)
    let ones = |bits: u64| ((bits >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as u32;
    let count = ones(head_bits) + ones(tail_bits);
    let last = if tail_bits != 0 {
        Some(n - 8 + (63 - tail_bits.leading_zeros() as usize) / 8)
    } else if head_bits != 0 {
        Some((63 - head_bits.leading_zeros() as usize) / 8)
    } else {
        None
    };
    (count, last)
}

pub(super) fn dec(input: &str) -> Res<'_, u32> {
    let (rest, digits) = expect("a number", digit1).parse(input)?;
    match digits.parse::<u32>() {
        Ok(n) => Ok((rest, n)),
        Err(_) => fail(input, "a number below 2^32"),
    }
}

fn hex4(input: &str) -> Res<'_, u16> {
    let (rest, digits) = expect(
        "4 hex digits",
        take_while_m_n(1, 4, |c: char| c.is_ascii_hexdigit()),
    )
    .parse(input)?;
    Ok((rest, u16::from_str_radix(digits, 16).unwrap_or(0)))
}

fn modern_flags(input: &str) -> Res<'_, Flags> {
    alt((
        value(Flags::default(), tag("none")),
        map(take_while1(|c| MODERN_FLAGS.contains(c)), letters_to_flags),
    ))
    .parse(input)
}

/// The flag one of tcpdump's letters stands for (`None` for another character).
pub(super) fn flag_of(letter: u8) -> Option<Flags> {
    Some(match letter {
        b'F' => Flags::FIN,
        b'S' => Flags::SYN,
        b'R' => Flags::RST,
        b'P' => Flags::PSH,
        b'.' => Flags::ACK,
        b'U' => Flags::URG,
        b'E' => Flags::ECE,
        b'W' => Flags::CWR,
        b'e' => Flags::AE,
        _ => return None,
    })
}

/// The flags of the letters between `Flags [` and `]`: `None` unless there
/// are some and all are flag letters.
fn modern_letters(letters: &str) -> Option<Flags> {
    if letters.is_empty() {
        return None;
    }
    letters
        .bytes()
        .try_fold(Flags::default(), |acc, b| Some(acc.with(flag_of(b)?)))
}

fn letters_to_flags(letters: &str) -> Flags {
    letters
        .bytes()
        .filter_map(flag_of)
        .fold(Flags::default(), Flags::with)
}

fn checksum(input: &str) -> Res<'_, Checksum> {
    let (rest, (value, computed)) = preceded(
        tag(", cksum 0x"),
        (
            hex4,
            alt((
                value(None, tag(" (correct)")),
                map(delimited(tag(" (incorrect -> 0x"), hex4, char(')')), Some),
            )),
        ),
    )
    .parse(input)?;
    Ok((
        rest,
        Checksum {
            value,
            computed,
            bracketed: None,
        },
    ))
}

/// The 4.x body: `Flags [..], [cksum], [seq], [ack], win, [urg], [options], length N[ tail]`.
fn modern<'a>(body: &'a str, p: &mut TcpPacket) -> Res<'a, ()> {
    if modern_common(body, p).is_some() {
        return Ok(("", ()));
    }
    modern_full(body, p)
}

/// The shape nearly every 4.x line has (`Flags [..], [seq], [ack], win, [options], length N`),
/// read without backtracking. It fills `p` only when the whole body has that shape, and
/// then exactly as [`modern_full`] would (checked over the corpus by a test); anything
/// else (checksums, urg, notes, markers, malformed text) is left to the full grammar.
pub(super) fn modern_common(body: &str, p: &mut TcpPacket) -> Option<()> {
    let rest = body.strip_prefix(" Flags [")?;
    let close = rest.bytes().position(|b| b == b']')?;
    let letters = rest.get(..close)?;
    let flags = if letters == "none" {
        Flags::default()
    } else {
        modern_letters(letters)?
    };
    let mut rest = rest.get(close.saturating_add(1)..)?;
    let mut seq = None;
    if let Some(r) = rest.strip_prefix(", seq ") {
        let (first, r) = leading_u32(r)?;
        let (last, r) = match r.strip_prefix(':') {
            Some(r) => {
                let (last, r) = leading_u32(r)?;
                (Some(last), r)
            }
            None => (None, r),
        };
        seq = Some(SeqRange { first, last });
        rest = r;
    }
    let mut ack = None;
    if let Some(r) = rest.strip_prefix(", ack ") {
        let (n, r) = leading_u32(r)?;
        ack = Some(n);
        rest = r;
    }
    let (win, mut rest) = leading_u32(rest.strip_prefix(", win ")?)?;
    let mut options_end = None;
    if let Some(list) = rest.strip_prefix(", options [") {
        // (Filled in place: the list is large to move.)
        let (r, end) = option_list(list, ']', &mut p.options).ok()?;
        if end != OptionsEnd::Normal {
            return None;
        }
        options_end = Some(end);
        rest = r;
    } else {
        p.options.clear();
    }
    let (length, rest) = leading_u32(rest.strip_prefix(", length ")?)?;
    if rest.starts_with(" [was ") {
        return None;
    }
    p.flags = flags;
    p.seq = seq;
    p.ack = ack;
    p.win = Some(win);
    p.options_end = options_end;
    p.length = Some(length);
    p.tail = (!rest.is_empty()).then(|| rest.to_string());
    Some(())
}

/// The decimal number at the start of `s` (at least one digit, below 2^32) and what follows.
fn leading_u32(s: &str) -> Option<(u32, &str)> {
    let (n, digits) = leading_digits(s.as_bytes())?;
    Some((n, s.get(digits..)?))
}

/// The value of the decimal digits at the start of `b` (at least one, below
/// 2^32) and how many there are. (Up to 19 digits fit a u64 without a check
/// per digit; longer runs are left to the caller's general path.)
pub(super) fn leading_digits(b: &[u8]) -> Option<(u32, usize)> {
    let mut n = 0u64;
    let mut digits = 0usize;
    // Eight digits at once while there are (sequence numbers have ten).
    if let Some(eight) = b.get(..8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        if let Some(value) = eight_digits(u64::from_le_bytes(eight)) {
            n = value;
            digits = 8;
        }
    }
    while let Some(d) = b.get(digits).map(|c| c.wrapping_sub(b'0')) {
        if d > 9 || digits == 19 {
            break;
        }
        n = n * 10 + u64::from(d);
        digits += 1;
    }
    if digits == 0 || b.get(digits).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((u32::try_from(n).ok()?, digits))
}

/// The high bits of the bytes of `word` that are not ASCII digits: exact up
/// to the first of them (the digits before it neither borrow nor carry).
pub(super) fn non_digits(word: u64) -> u64 {
    let below = word.wrapping_sub(0x3030_3030_3030_3030); // a byte below '0' sets its high bit
    let above = word.wrapping_add(0x4646_4646_4646_4646); // a byte above '9' sets its high bit
    (below | above | word) & 0x8080_8080_8080_8080
}

/// The value of eight ASCII digits loaded little-endian (first digit lowest),
/// or `None` when any byte is not a digit.
pub(super) fn eight_digits(word: u64) -> Option<u64> {
    if non_digits(word) != 0 {
        return None;
    }
    // Pairs, then quads, then all eight: each step joins neighbours as tens and units.
    let v = word.wrapping_sub(0x3030_3030_3030_3030);
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    Some((v & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32)
}

/// The full 4.x grammar, every optional field and marker included.
pub(super) fn modern_full<'a>(body: &'a str, p: &mut TcpPacket) -> Res<'a, ()> {
    p.options.clear(); // (the fast path may have begun filling them)
    let (rest, flags) = delimited(tag(" Flags ["), modern_flags, tag("]")).parse(body)?;
    p.flags = flags;
    if rest.starts_with(" [bad hdr length") {
        p.tail = Some(rest.to_string());
        return Ok(("", ()));
    }
    let (rest, cksum) = opt(checksum).parse(rest)?;
    p.checksum = cksum;
    let (rest, seq) = opt(preceded(
        tag(", seq "),
        (dec, opt(preceded(char(':'), dec))),
    ))
    .parse(rest)?;
    p.seq = seq.map(|(first, last)| SeqRange { first, last });
    let (rest, ack) = opt(alt((
        map(preceded(tag(", ack "), dec), Some),
        // 4.99.6+ -vv: an ack field that the ACK flag does not make meaningful.
        value(
            None,
            (tag(", [ack "), dec, tag(" != 0 while ACK flag not set]")),
        ),
    )))
    .parse(rest)?;
    p.ack = ack.flatten();
    let (rest, win) = expect("`, win N`", preceded(tag(", win "), dec)).parse(rest)?;
    p.win = Some(win);
    let (rest, urg) = opt(alt((
        map(preceded(tag(", urg "), dec), Some),
        value(
            None,
            (tag(", [urg "), dec, tag(" != 0 while URG flag not set]")),
        ),
    )))
    .parse(rest)?;
    p.urg = urg.flatten();
    let rest = if let Some(list) = rest.strip_prefix(", options [") {
        let (rest, end) = option_list(list, ']', &mut p.options)?;
        let abnormal = !matches!(end, OptionsEnd::Normal);
        p.options_end = Some(end);
        if abnormal {
            return Ok(("", ())); // the line ends with the marker: no length follows
        }
        rest
    } else {
        rest
    };
    let (rest, length) = expect("`, length N`", preceded(tag(", length "), dec)).parse(rest)?;
    p.length = Some(length);
    let rest = match rest.strip_prefix(" [was ").and_then(|r| r.find(']')) {
        Some(end) => {
            let cut = end.saturating_add(" [was ".len()).saturating_add(1);
            p.length_note = rest.get(1..cut).map(str::to_string);
            rest.get(cut..).unwrap_or("")
        }
        None => rest,
    };
    p.tail = (!rest.is_empty()).then(|| rest.to_string());
    Ok(("", ()))
}

/// `-q`: `tcp N` (and the ` tcp N [bad hdr length ..]` form); the rest is kept.
fn quiet<'a>(body: &'a str, p: &mut TcpPacket) -> Res<'a, ()> {
    let (rest, (lead, _, length)) = (
        take_while1(|c| c == ' '),
        tag("tcp "),
        alt((map(dec, Some), value(None, (char('-'), digit1)))),
    )
        .parse(body)?;
    p.format = TcpFormat::Quiet;
    p.length = length;
    p.length_note = (lead.len() > 1).then(|| lead.to_string());
    p.tail = (!rest.is_empty()).then(|| rest.to_string());
    Ok(("", ()))
}

/// The 3.x body: `S 1:1(0) ack 1 win N urg N <opts>`; its `.` means no flags.
fn legacy<'a>(body: &'a str, p: &mut TcpPacket) -> Res<'a, ()> {
    p.format = TcpFormat::Legacy;
    let (rest, letters) = preceded(
        char(' '),
        alt((tag("."), take_while1(|c| LEGACY_FLAGS.contains(c)))),
    )
    .parse(body)?;
    let (rest, cksum) = opt(preceded(
        tag(", cksum 0x"),
        (
            hex4,
            alt((
                value(None, tag(" (correct),")),
                map(delimited(tag(" (incorrect (-> 0x"), hex4, tag("),")), Some),
            )),
        ),
    ))
    .parse(rest)?;
    p.checksum = cksum.map(|(value, computed)| Checksum {
        value,
        computed,
        bracketed: None,
    });
    // tcpdump 3.8: ` [tcp sum ok]`, ` [bad tcp cksum 3770!]`, ` [bad tcp cksum 3770 (->ab12)!]`.
    let (rest, bracketed) = opt(preceded(
        char(' '),
        alt((
            nom::combinator::recognize(tag("[tcp sum ok]")),
            nom::combinator::recognize((
                tag("[bad tcp cksum "),
                take_while1(|c: char| c.is_ascii_hexdigit()),
                opt((
                    tag(" (->"),
                    take_while1(|c: char| c.is_ascii_hexdigit()),
                    char(')'),
                )),
                tag("!]"),
            )),
        )),
    ))
    .parse(rest)?;
    if let Some(text) = bracketed {
        let hex = |t: &str| {
            let digits: String = t.chars().take_while(char::is_ascii_hexdigit).collect();
            u16::from_str_radix(&digits, 16).unwrap_or(0)
        };
        let bad = text.strip_prefix("[bad tcp cksum ");
        let value = bad.map_or(0, hex);
        let computed = bad.map(|b| b.split_once("(->").map_or(value, |(_, c)| hex(c)));
        p.checksum = Some(Checksum {
            value,
            computed,
            bracketed: Some(text.to_string()),
        });
    }
    let (rest, range) = opt(preceded(
        char(' '),
        (
            terminated(dec, char(':')),
            dec,
            delimited(char('('), dec, char(')')),
        ),
    ))
    .parse(rest)?;
    if let Some((first, last, len)) = range {
        p.seq = Some(SeqRange {
            first,
            last: Some(last),
        });
        p.length = Some(len);
    }
    let (rest, ack) = opt(preceded(tag(" ack "), dec)).parse(rest)?;
    let (rest, win) = expect("` win N`", preceded(tag(" win "), dec)).parse(rest)?;
    let (rest, urg) = opt(preceded(tag(" urg "), dec)).parse(rest)?;
    let mut flags = if letters == "." {
        Flags::default()
    } else {
        letters_to_flags(letters)
    };
    if ack.is_some() {
        flags = flags.with(Flags::ACK);
    }
    if urg.is_some() {
        flags = flags.with(Flags::URG);
    }
    p.flags = flags;
    p.ack = ack;
    p.win = Some(win);
    p.urg = urg;
    let rest = if let Some(list) = rest.strip_prefix(" <") {
        let (rest, end) = option_list(list, '>', &mut p.options)?;
        p.options_end = Some(end);
        rest
    } else {
        rest
    };
    p.tail = (!rest.is_empty()).then(|| rest.to_string());
    Ok(("", ()))
}

/// The options list after its opening bracket, up to `close` or a marker, into
/// `options` (emptied first).
///
/// Options are separated by `,` with no space; a `, ` is inside a value (MD5
/// messages), as are `{..}` and nested `[..]` (MPTCP keys and flags).
fn option_list<'a>(
    input: &'a str,
    close: char,
    options: &mut crate::model::Options,
) -> Res<'a, OptionsEnd> {
    let close_byte = u8::try_from(close).unwrap_or(b']');
    if let Some((val, ecr, after)) = timestamps_only(input, close_byte) {
        let timestamp = TcpOption::Timestamp { val, ecr };
        // A used packet mostly holds this list already: only the numbers change.
        match options.as_mut_slice() {
            [TcpOption::Nop, TcpOption::Nop, ts @ TcpOption::Timestamp { .. }] => *ts = timestamp,
            _ => {
                options.clear();
                options.extend([TcpOption::Nop, TcpOption::Nop, timestamp]);
            }
        }
        return Ok((after, OptionsEnd::Normal));
    }
    options.clear();
    let mut rest = input;
    loop {
        match rest.as_bytes().first() {
            Some(&b) if b == close_byte => {
                let after = rest.get(1..).unwrap_or("");
                return Ok((after, OptionsEnd::Normal));
            }
            Some(b'[' | b' ') => {
                if rest.starts_with("[bad opt]") {
                    return Ok(("", OptionsEnd::BadOpt(rest.to_string())));
                }
                if rest.starts_with("[|tcp]") || rest.starts_with(" [|tcp]") {
                    return Ok(("", OptionsEnd::Truncated(rest.to_string())));
                }
            }
            _ => {}
        }
        let (found, end) = match common_option(rest, close) {
            Some(common) => common,
            None => {
                let end = option_end(rest, close);
                let Some(text) = rest.get(..end).filter(|t| !t.is_empty()) else {
                    // (An empty option would not move on: the list is unreadable here.)
                    return fail(rest, "an option");
                };
                if end == rest.len() {
                    return fail("", "`]` closing the options list");
                }
                (option(text, close == '>'), end)
            }
        };
        options.push(found);
        rest = rest.get(end..).unwrap_or("");
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        }
    }
}

/// `nop,nop,TS val N ecr N` and the list's end, the list nearly every segment
/// after the handshake carries: its two numbers and the text after the list
/// (read as the loop in [`option_list`] would read it; checked by a test).
pub(super) fn timestamps_only(list: &str, close: u8) -> Option<(u32, u32, &str)> {
    fn number(s: &str) -> Option<(u32, &str)> {
        let (n, digits) = leading_digits(s.as_bytes())?;
        if digits > 1 && s.starts_with('0') {
            return None; // a leading zero: the general path decides
        }
        Some((n, s.get(digits..)?))
    }
    let (val, rest) = number(list.strip_prefix("nop,nop,TS val ")?)?;
    let (ecr, rest) = number(rest.strip_prefix(" ecr ")?)?;
    (rest.as_bytes().first() == Some(&close)).then(|| (val, ecr, rest.get(1..).unwrap_or("")))
}

/// The options nearly every line has (`nop`, `TS val N ecr N`, `mss N`, `sackOK`,
/// `wscale N`), read in one pass: the option and its byte length, exactly as
/// [`option_end`] and [`option`] would give them (checked by a test); `None` for
/// anything else.
pub(super) fn common_option(s: &str, close: char) -> Option<(TcpOption, usize)> {
    let close = u8::try_from(close).ok()?;
    // An option ends at a separator (a comma with no space after it) or the list's end.
    let ends_at = |i: usize| {
        let b = s.as_bytes();
        match b.get(i) {
            Some(&b',') => b.get(i.saturating_add(1)) != Some(&b' '),
            Some(&c) => c == close,
            None => false,
        }
    };
    // A number as `number` reads it (no leading zero, below 2^32), and the index after it.
    let number_at = |start: usize| {
        let digits = s.as_bytes().get(start..)?;
        let (n, len) = leading_digits(digits)?;
        if len > 1 && digits.first() == Some(&b'0') {
            return None; // a leading zero
        }
        Some((n, start.saturating_add(len)))
    };
    let (option, end) = match s.as_bytes().first()? {
        b'n' if s.starts_with("nop") => (TcpOption::Nop, 3),
        b's' if s.starts_with("sackOK") => (TcpOption::SackOk, 6),
        b'm' if s.starts_with("mss ") => {
            let (value, end) = number_at(4)?;
            (TcpOption::Mss { value }, end)
        }
        b'w' if s.starts_with("wscale ") => {
            let (shift, end) = number_at(7)?;
            (TcpOption::Wscale { shift }, end)
        }
        b'T' if s.starts_with("TS val ") => {
            let (val, after) = number_at(7)?;
            if !s.get(after..)?.starts_with(" ecr ") {
                return None;
            }
            let (ecr, end) = number_at(after.saturating_add(5))?;
            (TcpOption::Timestamp { val, ecr }, end)
        }
        _ => return None,
    };
    ends_at(end).then_some((option, end))
}

/// Byte length of the option at the start of `s`.
pub(super) fn option_end(s: &str, close: char) -> usize {
    let bytes = s.as_bytes();
    let close = u8::try_from(close).unwrap_or(b']');
    // Most options (`nop`, `mss 1460`, `TS val 1 ecr 2`) are short, hold no
    // bracket and end at a plain separator: find it directly.
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b',' if bytes.get(i.saturating_add(1)) != Some(&b' ') => return i,
            b',' | b'[' | b'{' | b'(' => break,
            _ if b == close => return i,
            _ => {}
        }
    }
    let marker_at = |i: usize| {
        let here = s.get(i..).unwrap_or("");
        here.starts_with("[bad opt]") || here.starts_with("[|tcp]")
    };
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // Markers that end the list: `[bad opt]`, `[|tcp]`, ` [|tcp]`.
            b'[' if depth == 0 && marker_at(i) => return i,
            b' ' if depth == 0
                && bytes.get(i.saturating_add(1)) == Some(&b'[')
                && marker_at(i.saturating_add(1))
                && i.checked_sub(1).and_then(|p| bytes.get(p)) != Some(&b' ') =>
            {
                return i
            }
            b'{' | b'[' | b'(' => depth = depth.saturating_add(1),
            b'}' | b')' => depth = depth.saturating_sub(1),
            b']' if depth > 0 => depth = depth.saturating_sub(1),
            _ if b == close && depth == 0 => return i,
            // A separator is a comma without a space after it.
            b',' if depth == 0 && bytes.get(i.saturating_add(1)) != Some(&b' ') => return i,
            _ => {}
        }
    }
    s.len()
}

/// One option's text into its typed form. The typed form is kept only when it
/// prints back to the same text; anything else is kept verbatim.
pub fn option(text: &str, legacy: bool) -> TcpOption {
    typed_option(text, legacy).unwrap_or_else(|| TcpOption::Other {
        name: text.split(' ').next().unwrap_or("").to_string(),
        text: text.to_string(),
    })
}

/// A number as tcpdump prints it (no sign, no leading zeros): it prints back the same.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.bytes().try_fold(0u32, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

/// Position of the last ` > `.
fn rfind_arrow(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    memchr::memrchr_iter(b'>', bytes)
        .find(|&i| {
            i > 0
                && bytes.get(i.wrapping_sub(1)) == Some(&b' ')
                && bytes.get(i.saturating_add(1)) == Some(&b' ')
        })
        .map(|i| i.wrapping_sub(1))
}

/// The typed form of an option, only when it prints back exactly as `text`.
fn typed_option(text: &str, legacy: bool) -> Option<TcpOption> {
    match text {
        "nop" => return Some(TcpOption::Nop),
        "eol" => return Some(TcpOption::Eol),
        "sackOK" => return Some(TcpOption::SackOk),
        _ => {}
    }
    if let Some(v) = text.strip_prefix("mss ") {
        return Some(TcpOption::Mss { value: number(v)? });
    }
    if let Some(v) = text.strip_prefix("wscale ") {
        return Some(TcpOption::Wscale { shift: number(v)? });
    }
    let timestamp = if legacy {
        text.strip_prefix("timestamp ")
            .and_then(|t| t.split_once(' '))
    } else {
        text.strip_prefix("TS val ")
            .and_then(|t| t.split_once(' '))
            .and_then(|(val, rest)| Some((val, rest.strip_prefix("ecr ")?)))
    };
    if let Some((val, ecr)) = timestamp {
        return Some(TcpOption::Timestamp {
            val: number(val)?,
            ecr: number(ecr)?,
        });
    }
    let (count, blocks_text) = text.strip_prefix("sack ")?.split_once(' ')?;
    let mut blocks = Vec::new();
    for block in blocks_text
        .strip_prefix('{')?
        .strip_suffix('}')?
        .split("}{")
    {
        let (l, r) = block.split_once(':')?;
        blocks.push((number(l)?, number(r)?));
    }
    (number(count)? as usize == blocks.len()).then_some(TcpOption::Sack { blocks })
}
