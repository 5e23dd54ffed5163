//! The grammar: tcpdump text lines into typed records.
//!
//! A record is a head line plus continuation lines. [`read_head`] reads a head
//! line (and says when a line is not one); [`Pending::add_continuation`] attaches
//! what follows. [`crate::reader::RecordReader`] drives them over a stream.
//!
//! The TCP segment a line describes is the *first* `src > dst: ` group whose text
//! is a TCP header (tunnels such as Geneve print an outer header first).

pub mod dump;
mod icmp;
mod prefix;
mod print;
mod tcp;

use crate::model::{Banner, Diagnostic, IpHeader, IpVersion, OtherPacket, Prefix, RecordKind};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

pub use prefix::timestamp;

/// The nom error of this grammar: where parsing stopped and what it expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The input remaining at the failure point.
    pub at: &'a str,
    /// A human description of what was expected.
    pub what: &'static str,
}

impl<'a> ParseError<&'a str> for Expected<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        Expected {
            at: input,
            what: kind_description(kind),
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep the alternative that got further: its message is the more precise one.
        if other.at.len() <= self.at.len() {
            other
        } else {
            self
        }
    }
}

/// nom's error kinds in words (for errors no `expect` named).
fn kind_description(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Tag => "a fixed word",
        ErrorKind::Digit => "a number",
        ErrorKind::Char => "a punctuation character",
        ErrorKind::Space => "a space",
        _ => "valid tcpdump text",
    }
}

pub(crate) type Res<'a, O> = IResult<&'a str, O, Expected<'a>>;

#[cfg(test)]
thread_local! {
    /// Bytes the grammar has looked at (tests hold it to a multiple of the
    /// input's size: parsing stays linear whatever the line).
    pub(crate) static EXAMINED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts bytes looked at (in tests only; nothing in a build).
#[inline]
pub(crate) fn examined(bytes: usize) {
    #[cfg(test)]
    EXAMINED.with(|n| n.set(n.get().saturating_add(bytes as u64)));
    #[cfg(not(test))]
    let _ = bytes;
}

/// Names what `parser` expects when it fails without consuming anything.
pub(crate) fn expect<'a, O>(
    what: &'static str,
    mut parser: impl Parser<&'a str, Output = O, Error = Expected<'a>>,
) -> impl FnMut(&'a str) -> Res<'a, O> {
    move |input: &'a str| {
        parser.parse(input).map_err(|e| {
            e.map(|mut err| {
                if err.at.len() == input.len() {
                    err.what = what;
                }
                err
            })
        })
    }
}

/// A failure at `input` expecting `what`, as a hard (non-backtracking) error.
pub(crate) fn fail<'a, O>(input: &'a str, what: &'static str) -> Res<'a, O> {
    Err(nom::Err::Failure(Expected { at: input, what }))
}

/// Words that start packet lines printed without timestamp or link layer (`-t`).
pub(crate) const PACKET_WORDS: [&str; 19] = [
    "IP ",
    "IP6 ",
    "ARP",
    "RARP",
    "STP",
    "LLDP",
    "CDP",
    "LACP",
    "EAPOL",
    "PPPoE",
    "MPLS",
    "LLC",
    "802.1",
    "truncated-ip",
    "[Invalid header",
    "Unknown",
    "unknown ip",
    "CFMv",
    "IP6,",
];

/// Reads a line that starts a record; `None` when it does not look like one
/// (a continuation of the record before it). One pass: the prefix read to
/// decide is the prefix the record keeps.
pub fn read_head(line_no: u64, text: &str) -> Option<Pending> {
    examined(text.len());
    match common_line(text) {
        Some(packet) => Some(Pending::Ready(RecordKind::Tcp(packet))),
        None => read_any_head(line_no, text),
    }
}

/// [`read_head`] for any line, without the common line's fast path.
fn read_any_head(line_no: u64, text: &str) -> Option<Pending> {
    if banner(text) {
        return Some(Pending::Ready(RecordKind::Banner(Banner {
            text: text.trim().to_string(),
        })));
    }
    let (rest, prefix) = match prefix::prefix(text) {
        Ok(read) => read,
        // A time then an unreadable link-layer header: a damaged packet line.
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) if timestamp(text).is_ok() => {
            return Some(Pending::Ready(unparsed(line_no, text, 0, e)));
        }
        Err(_) => return None,
    };
    let starts_packet = prefix.timestamp.is_some()
        || prefix.link.is_some()
        || prefix.time_unreadable
        // `-#` without a time: the packet's endpoints follow (a bare number
        // before other text is a count, a length, a listing's line number).
        || (prefix.number.is_some()
            && !rest.starts_with(char::is_whitespace)
            && rest.get(..rest.len().min(200)).is_some_and(|r| r.contains(" > ")))
        || PACKET_WORDS.iter().any(|w| rest.starts_with(w))
        // `-e` without a time (`-t`): a frame that starts with its MAC address.
        || prefix::mac(rest).is_ok_and(|(after, _)| after.starts_with(' '));
    // No protocol tcpdump names starts with a letter outside ASCII: that is
    // prose after a time (`- 13:29:11.563473 时间…`, a list of notes).
    if rest.chars().next().is_some_and(|c| !c.is_ascii()) {
        return None;
    }
    // The oldest format has neither a time nor `IP`: `a.b.c.d.p > e.f.g.h.q: S …`.
    let bare = !starts_packet
        && prefix.number.is_none()
        && tcp::locate(rest).is_some_and(|at| at.starts_line(rest));
    if !starts_packet && !bare {
        return None;
    }
    Some(match packet(prefix, rest) {
        Ok(pending) => pending,
        Err(e) => Pending::Ready(unparsed(line_no, text, 0, e)),
    })
}

/// The line nearly every dump is made of, `HH:MM:SS.frac IP a.b.c.d.p > e.f.g.h.q: `
/// and a body of [`tcp::modern_common`]'s shape, read in one forward pass; `None`
/// for anything else (the general path reads it). It gives exactly what the
/// general path gives (checked by tests over all test data and over randomly
/// edited lines).
pub(crate) fn common_line(text: &str) -> Option<Box<crate::model::TcpPacket>> {
    let (rest, (nanos, digits)) = prefix::clock_fast(text)?;
    let rest = rest.strip_prefix(" IP ")?;
    // A numeric source: none of the warnings tcpdump puts first starts with a digit.
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // `src > dst:`, neither with a space or a colon (IPv6 takes the general path).
    let space = first_of(rest.as_bytes(), b' ', b':')?;
    let src = rest
        .get(..space)
        .filter(|_| rest.as_bytes().get(space) == Some(&b' '))?;
    let after = rest.get(space..)?.strip_prefix(" > ")?;
    let colon = first_of(after.as_bytes(), b' ', b':')?;
    let dst = after
        .get(..colon)
        .filter(|d| !d.is_empty() && after.as_bytes().get(colon) == Some(&b':'))?;
    let body = after.get(colon.saturating_add(1)..)?;
    let mut packet = crate::spare::used_packet().unwrap_or_else(|| {
        let nowhere = crate::model::Endpoint::default;
        Box::new(crate::model::TcpPacket::new(nowhere(), nowhere()))
    });
    tcp::renew(&mut packet, src, dst);
    tcp::modern_common(body, &mut packet)?;
    packet.prefix.timestamp = Some(crate::model::Timestamp {
        form: crate::model::TimeForm::TimeOfDay,
        nanos,
        digits,
        date: None,
    });
    packet.ip_word = true;
    Some(packet)
}

/// The high bit of each byte of `word` equal to `c`, and no other bit (exact:
/// no carries between bytes).
pub(super) fn bytes_equal(word: u64, c: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let t = word ^ (0x0101_0101_0101_0101 * u64::from(c));
    !(((t & LOW7).wrapping_add(LOW7)) | t | LOW7)
}

/// Where the first `x` or `y` is in `b`, eight bytes at a time (the tokens
/// searched are short: a call to a vectorised search costs more).
fn first_of(b: &[u8], x: u8, y: u8) -> Option<usize> {
    let mut words = b.chunks_exact(8);
    let mut at = 0usize;
    for chunk in &mut words {
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        let hits = bytes_equal(w, x) | bytes_equal(w, y);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder().iter().position(|&c| c == x || c == y)?;
    Some(at + tail)
}

/// Recognises tcpdump's own stderr messages (and a pasted `$ tcpdump ...` command).
fn banner(line: &str) -> bool {
    const STARTS: [&str; 12] = [
        "listening on ",
        "reading from file ",
        "tcpdump: ",
        "Warning: ",
        "tcpdump version ",
        "libpcap version ",
        "OpenSSL ",
        "dropped privs to ",
        "$ tcpdump",
        "# tcpdump",
        "$ sudo tcpdump",
        "sudo tcpdump",
    ];
    const COUNTS: [&str; 5] = [
        " captured",
        " received by filter",
        " dropped by kernel",
        " dropped by interface",
        "",
    ];
    let t = line.trim_start();
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return STARTS.iter().any(|s| t.starts_with(s));
    }
    // `12 packets captured`, `1 packet received by filter`, `--count`'s `12 packets`.
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if t.as_bytes().get(digits) != Some(&b' ') {
        return false; // a time or an address, not a count
    }
    let t = t.trim_end();
    let (Some(n), Some(rest)) = (
        t.get(..digits),
        t.get(digits..).and_then(|r| r.strip_prefix(' ')),
    ) else {
        return false;
    };
    let rest = rest
        .strip_prefix("packets")
        .or_else(|| rest.strip_prefix("packet"));
    n.bytes().all(|b| b.is_ascii_digit()) && rest.is_some_and(|r| COUNTS.contains(&r))
}

/// A record being assembled: its head line has been read, continuation lines may follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// A complete record; continuation lines are attached as they come.
    Ready(RecordKind),
    /// An IPv4 `-v` header line whose transport text is on the next line
    /// (boxed: it is rare, and large next to a ready record).
    NeedsTransport(Box<HeaderLine>),
}

/// An IP header line read on its own, waiting for its transport line.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderLine {
    prefix: Prefix,
    ip: IpVersion,
    header: IpHeader,
    ip_word: bool,
    /// Quoted inside an ICMP error.
    quoted: bool,
}

impl Pending {
    /// Attaches a continuation line (1-based `line_no` for diagnostics).
    pub fn add_continuation(&mut self, line_no: u64, text: &str) {
        match self {
            Pending::NeedsTransport(head) => {
                let body = text.trim_start();
                let indent = text.len().saturating_sub(body.len());
                let mut kind = transport(
                    std::mem::take(&mut head.prefix),
                    head.ip,
                    Some(head.header.clone()),
                    head.ip_word,
                    body,
                )
                .unwrap_or_else(|e| unparsed(line_no, text, indent, e));
                if let RecordKind::Tcp(p) = &mut kind {
                    p.quoted = head.quoted;
                }
                *self = Pending::Ready(kind);
            }
            Pending::Ready(RecordKind::Tcp(packet)) => {
                if dump::is_dump_line(text) || !text.starts_with(['\t', ' ']) {
                    packet.dump.push(text.to_string());
                } else {
                    packet.continuation.push(text.to_string());
                }
            }
            Pending::Ready(RecordKind::Other(other)) => other.continuation.push(text.to_string()),
            // Banners and diagnostics have no continuations; the reader never sends one.
            Pending::Ready(_) => {}
        }
    }

    /// The finished record. A header line left without its transport line is
    /// reported at the end of that line (the input has no line after it).
    pub fn finish(self, line_no: u64, head_text: &str) -> RecordKind {
        match self {
            Pending::Ready(kind) => kind,
            Pending::NeedsTransport(_) => RecordKind::Unparsed(Box::new(Diagnostic {
                line: line_no,
                column: u32::try_from(head_text.chars().count().saturating_add(1))
                    .unwrap_or(u32::MAX),
                expected: "the TCP/IP line that follows an IPv4 `-v` header line".into(),
                text: head_text.to_string(),
            })),
        }
    }
}

/// Reads one head line (1-based `line_no`). Never fails: unreadable text becomes a diagnostic.
pub fn parse_head(line_no: u64, text: &str) -> Pending {
    read_head(line_no, text).unwrap_or_else(|| {
        Pending::Ready(RecordKind::Unparsed(Box::new(Diagnostic {
            line: line_no,
            column: 1,
            expected: "a tcpdump packet line (timestamp, `IP`, `IP6`, ...) or tcpdump message"
                .into(),
            text: text.to_string(),
        })))
    })
}

/// Parses a single, self-contained line into a record kind (no continuation lines).
pub fn parse_line(text: &str) -> RecordKind {
    parse_head(1, text).finish(1, text)
}

fn unparsed(line_no: u64, text: &str, offset: usize, e: Expected<'_>) -> RecordKind {
    let consumed = text
        .len()
        .saturating_sub(offset)
        .saturating_sub(e.at.len())
        .saturating_add(offset);
    let column = text
        .get(..consumed)
        .map_or(1, |done| done.chars().count().saturating_add(1));
    RecordKind::Unparsed(Box::new(Diagnostic {
        line: line_no,
        column: u32::try_from(column).unwrap_or(u32::MAX),
        expected: e.what.to_string(),
        text: text.to_string(),
    }))
}

/// A packet line: prefix, network layer, transport.
fn packet(prefix: Prefix, rest: &str) -> Result<Pending, Expected<'_>> {
    let (ip, ip_word, rest) = if let Some(r) = rest.strip_prefix("IP6 ") {
        (Some(IpVersion::V6), true, r)
    } else if let Some(r) = rest.strip_prefix("IP ") {
        (Some(IpVersion::V4), true, r)
    } else {
        (link_ip_version(&prefix), false, rest)
    };
    let Some(ip) = ip else {
        // A TCP packet behind an unrecognised header (MPLS, ARCNET, ...).
        if tcp::locate(rest).is_some() {
            let ip = guess_ip(rest);
            return transport(prefix, ip, None, false, rest).map(Pending::Ready);
        }
        if rest.is_empty() && prefix.link.is_some() {
            // An unknown ethertype: tcpdump prints a hex dump on the next lines.
            return Ok(Pending::Ready(other(prefix, "")));
        }
        if rest.is_empty() {
            return Err(Expected {
                at: rest,
                what: "packet text after the timestamp",
            });
        }
        return Ok(Pending::Ready(other(prefix, rest)));
    };
    // Damaged IP headers: tcpdump says so before (or instead of) the packet.
    let rest = strip_ip_warning(rest);
    if INVALID_IP.iter().any(|m| rest.starts_with(m)) {
        let mut kind = other(prefix, rest);
        if let RecordKind::Other(o) = &mut kind {
            o.protocol = Some(if ip == IpVersion::V4 { "IP" } else { "IP6" }.into());
        }
        return Ok(Pending::Ready(kind));
    }
    let (rest, header) = if rest.starts_with('(') {
        let (after, inner) = parenthesised(rest)?;
        let own_line = after.trim().is_empty();
        let header = ip_header(inner, own_line);
        if own_line {
            return Ok(Pending::NeedsTransport(Box::new(HeaderLine {
                prefix,
                ip,
                header,
                ip_word,
                quoted: false,
            })));
        }
        (after.strip_prefix(' ').unwrap_or(after), Some(header))
    } else {
        (rest, None)
    };
    transport(prefix, ip, header, ip_word, rest).map(Pending::Ready)
}

/// Texts tcpdump prints in place of an IP packet it cannot decode.
const INVALID_IP: [&str; 8] = [
    " [",
    "[",
    "truncated-ip",
    "bad-hlen",
    "bad-len",
    "IP",
    "wrong link-layer",
    "ip-proto-",
];

/// Removes `truncated-ip - N bytes missing! ` / `[total length N > length M] (invalid) `.
fn strip_ip_warning(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("truncated-ip - ") {
        if let Some((_, after)) = rest.split_once("bytes missing! ") {
            return after;
        }
    }
    if text.starts_with("[total length ") {
        if let Some((_, after)) = text.split_once("] (invalid) ") {
            return after;
        }
    }
    text
}

fn guess_ip(text: &str) -> IpVersion {
    if text.contains("IP6 ") {
        IpVersion::V6
    } else {
        IpVersion::V4
    }
}

/// A packet nested in a continuation line: tunnelled traffic (Geneve, GRE) or a
/// header quoted by ICMP. Returns `None` for ordinary continuation text. A
/// quoted IP header cut short (a paste wrapped it) is a diagnostic that the
/// reader may complete with the next line.
pub fn nested(line_no: u64, text: &str, quoted: bool) -> Option<Pending> {
    let body = text.trim_start();
    let mark = |mut kind: RecordKind| {
        if let RecordKind::Tcp(p) = &mut kind {
            p.quoted = quoted;
        }
        Pending::Ready(kind)
    };
    if tcp::locate(body).is_some() {
        let kind = transport(Prefix::default(), guess_ip(body), None, false, body).ok()?;
        return Some(mark(kind));
    }
    // `\tIP (tos ...)` or `\twccp ...: IP (tos ...)`: the transport is on the next line.
    let start = body.rfind("IP (").or_else(|| body.rfind("IP6 ("))?;
    let header_text = body.get(start..)?;
    let ip_v6 = header_text.starts_with("IP6");
    let (after, inner) = match parenthesised(header_text.get(header_text.find('(')?..)?) {
        Ok(read) => read,
        Err(e) if start == 0 => {
            let indent = text.len().saturating_sub(body.len());
            return Some(Pending::Ready(unparsed(line_no, text, indent, e)));
        }
        Err(_) => return None,
    };
    if !after.is_empty() {
        return None;
    }
    Some(Pending::NeedsTransport(Box::new(HeaderLine {
        prefix: Prefix::default(),
        ip: if ip_v6 { IpVersion::V6 } else { IpVersion::V4 },
        header: ip_header(inner, true),
        ip_word: true,
        quoted,
    })))
}

fn link_ip_version(prefix: &Prefix) -> Option<IpVersion> {
    use crate::model::LinkLayer;
    let raw = match prefix.link.as_deref() {
        Some(LinkLayer::Ethernet { ethertype, .. }) => ethertype.as_str(),
        Some(LinkLayer::Cooked { raw, .. } | LinkLayer::Other { raw }) => raw.as_str(),
        None => return None,
    };
    if raw.contains("IPv6") {
        Some(IpVersion::V6)
    } else if raw.contains("IPv4") {
        Some(IpVersion::V4)
    } else {
        None
    }
}

/// `(...)` with nested parentheses; returns the text after `)` and the text inside.
fn parenthesised(input: &str) -> Result<(&str, &str), Expected<'_>> {
    let mut depth = 0usize;
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth = depth.saturating_add(1),
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let inner = input.get(1..i).unwrap_or("");
                    let after = input.get(i.saturating_add(1)..).unwrap_or("");
                    return Ok((after, inner));
                }
            }
            _ => {}
        }
    }
    Err(Expected {
        at: "",
        what: "`)` closing the IP header",
    })
}

/// Pulls the items tcpdump always prints out of a `-v` IP header.
fn ip_header(text: &str, own_line: bool) -> IpHeader {
    let field = |name: &str| {
        text.split(", ").find_map(|item| {
            item.strip_prefix(name)
                .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|v| v.parse::<u32>().ok())
        })
    };
    let length = field("length ").or_else(|| field("length: ")).or_else(|| {
        text.split("payload length")
            .nth(1)
            .and_then(|v| v.trim_start_matches([':', ' ']).split(')').next())
            .and_then(|v| v.trim().parse().ok())
    });
    IpHeader {
        text: text.to_string(),
        ttl: field("ttl ")
            .or_else(|| field("hlim "))
            .and_then(|v| u8::try_from(v).ok()),
        id: field("id "),
        length,
        own_line,
    }
}

/// The transport part: a TCP segment when a TCP group is found, another protocol otherwise.
fn transport(
    prefix: Prefix,
    ip: IpVersion,
    ip_header: Option<IpHeader>,
    ip_word: bool,
    text: &str,
) -> Result<RecordKind, Expected<'_>> {
    match tcp::locate(text) {
        Some(at) => {
            let mut packet = tcp::segment(text, at)?;
            packet.prefix = prefix;
            packet.ip = ip;
            packet.ip_header = ip_header;
            packet.ip_word = ip_word;
            Ok(RecordKind::Tcp(packet))
        }
        None => {
            // An IP packet of another protocol still has `src > dst: ` before its text.
            if !text.contains(" > ") || !text.contains(':') {
                let what = if text.is_empty() {
                    "`src > dst: ` after the IP header"
                } else {
                    "`src > dst: ` (endpoints) in the IP packet"
                };
                return Err(Expected { at: text, what });
            }
            let mut kind = other(prefix, text);
            if let RecordKind::Other(o) = &mut kind {
                o.protocol = ip_protocol(text);
                o.icmp = icmp::error(text);
                if o.icmp.is_some() && o.protocol.is_none() {
                    // `-v` puts the ICMPv6 checksum verdict before the protocol word.
                    o.protocol = Some(if ip == IpVersion::V4 { "ICMP" } else { "ICMP6" }.into());
                }
            }
            Ok(kind)
        }
    }
}

/// The protocol word of a non-TCP IP line (`UDP`, `ICMP`, `ICMP6`, `GREv0`, ...).
fn ip_protocol(text: &str) -> Option<String> {
    let (_, after) = text.split_once(": ")?;
    let word: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let known = [
        "UDP", "ICMP", "ICMP6", "GRE", "ESP", "AH", "VRRP", "OSPF", "PIM", "IGMP", "SCTP", "DCCP",
    ];
    known
        .iter()
        .find(|k| word.starts_with(*k))
        .map(|k| (*k).to_string())
        .or_else(|| {
            if text.contains("UDP") || after.contains("? ") {
                Some("UDP".to_string())
            } else if word.starts_with("ip-proto-") {
                Some(word)
            } else {
                None
            }
        })
}

fn other(prefix: Prefix, text: &str) -> RecordKind {
    let protocol: String = text
        .chars()
        .take_while(|c| !matches!(c, ',' | ':' | ' '))
        .collect();
    RecordKind::Other(Box::new(OtherPacket {
        prefix,
        protocol: (!protocol.is_empty()).then_some(protocol),
        text: text.to_string(),
        continuation: Vec::new(),
        icmp: None,
    }))
}

#[cfg(test)]
mod tests;
