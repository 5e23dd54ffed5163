//! The record model: what one tcpdump record (a head line plus its continuation
//! lines) says, as owned, serde-serializable data.
//!
//! Values tcpdump prints that this model has no field for are kept as text
//! (`raw` fields, [`TcpOption::Other`]) rather than rejected.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// One record of tcpdump output, tagged with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1-based line number of the record's first line.
    pub line: u64,
    /// Number of input lines the record spans (head line plus continuations).
    pub lines: u32,
    /// The input lines, joined by newlines (invalid UTF-8 replaced); empty
    /// when the explainer was told not to keep it (`Options::reports`,
    /// `Options::segment_text`).
    pub text: String,
    pub kind: RecordKind,
}

/// What a record is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordKind {
    /// A TCP segment.
    Tcp(Box<TcpPacket>),
    /// A packet of another protocol (UDP, ICMP, ARP, ...), kept as text.
    Other(Box<OtherPacket>),
    /// One of tcpdump's own messages (`listening on ...`, `N packets captured`, ...).
    Banner(Banner),
    /// A line that could not be read (boxed: rare, and larger than the other kinds).
    Unparsed(Box<Diagnostic>),
    /// A line that is not tcpdump's at all, pasted along with a dump: a shell
    /// prompt, a comment, an elision, prose (boxed: rare).
    OtherText(Box<OtherText>),
}

/// A non-TCP packet line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherPacket {
    pub prefix: Prefix,
    /// Protocol word when one could be recognised (`UDP`, `ICMP`, `ARP`, ...).
    pub protocol: Option<String>,
    /// The text after the common prefix.
    pub text: String,
    /// Continuation lines, verbatim.
    pub continuation: Vec<String>,
    /// An ICMP or ICMPv6 error, read from the text (`None` for anything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<Box<IcmpError>>,
}

/// An ICMP / ICMPv6 error: a router or host saying a packet could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcmpError {
    /// Who reported the error (the ICMP packet's source).
    pub reporter: CompactString,
    /// Who it is sent to: the sender of the packet that failed.
    pub to: CompactString,
    pub problem: IcmpProblem,
    /// The failed packet's destination address, when tcpdump names it.
    pub about: Option<CompactString>,
    /// The failed packet's transport (`tcp`, `udp`) and destination port, when named.
    pub transport: Option<CompactString>,
    pub port: Option<CompactString>,
    /// The next hop's MTU, for "need to frag" / "packet too big".
    pub mtu: Option<u32>,
}

/// What an ICMP error says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcmpProblem {
    /// No route to the network (ICMPv6: "unreachable route").
    NetUnreachable,
    /// The host did not answer on its link (ICMPv6: "unreachable address").
    HostUnreachable,
    ProtocolUnreachable,
    PortUnreachable,
    /// Refused by policy: a filter, a `prohibit` route.
    Prohibited,
    /// Too big for the next link and not to be fragmented (path MTU discovery).
    TooBig,
    /// The TTL / hop limit ran out on the way.
    TimeExceeded,
    /// Another reason (source route failed, beyond scope, ...).
    Unreachable,
}

/// A tcpdump stderr message found in the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Banner {
    pub text: String,
}

/// A line that is not tcpdump output, and what kind of text it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherText {
    pub kind: TextKind,
    /// The line as read.
    pub text: String,
}

/// Kinds of text people paste along with a dump (see [`crate::reader::paste`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// A shell prompt or a command line (`user@host:~$ sudo tcpdump -nn`, `[sudo] password`).
    Command,
    /// A comment written into the dump (`# …`, `// …`, `-- …`).
    Comment,
    /// Lines left out by whoever pasted the dump (`...`, `…`, `[snip]`).
    Elision,
    /// `^C`: the terminal's echo of the Ctrl-C that stopped the capture.
    Interrupt,
    /// A separator or markup line (`-----`, `=====`, a Markdown code fence).
    Separator,
    /// A packet summary line of tshark or Wireshark, not tcpdump's format.
    Tshark,
    /// Anything else: prose, the output of another program.
    Prose,
}

impl TextKind {
    /// The snake_case code (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            TextKind::Command => "command",
            TextKind::Comment => "comment",
            TextKind::Elision => "elision",
            TextKind::Interrupt => "interrupt",
            TextKind::Separator => "separator",
            TextKind::Tshark => "tshark",
            TextKind::Prose => "prose",
        }
    }
}

/// Why a line could not be read: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line}, column {column}: expected {expected}")]
pub struct Diagnostic {
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u32,
    /// What the grammar expected at that column.
    pub expected: String,
    /// The line as read (lossily decoded, possibly cut when very long).
    pub text: String,
}

/// Everything before the protocol text: packet number, timestamp, link layer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Prefix {
    /// `-#` packet number, or the bare leading number of a pasted dump.
    pub number: Option<u64>,
    /// Spaces before the number, kept for faithful printing.
    #[serde(skip)]
    pub number_pad: u8,
    /// Spaces after the number (two for `-#`, one in pasted dumps).
    #[serde(skip)]
    pub number_sep: u8,
    pub timestamp: Option<Timestamp>,
    /// tcpdump printed a message instead of the time (`[Error converting time]`, ...).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub time_unreadable: bool,
    /// Boxed: rare, and large next to the rest of the prefix.
    pub link: Option<Box<LinkLayer>>,
}

/// A timestamp in one of tcpdump's `-t` forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    pub form: TimeForm,
    /// Nanoseconds: since midnight (time of day), since the epoch (`-tt`),
    /// or the offset (`-ttt`/`-ttttt`; negative when printed with `-`).
    pub nanos: i128,
    /// Digits after the decimal point (6 micro, 9 nano, more for invalid values).
    pub digits: u8,
    /// Calendar date of `-tttt`.
    pub date: Option<(u16, u8, u8)>,
}

/// The `-t` family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeForm {
    /// `HH:MM:SS.frac` (default).
    TimeOfDay,
    /// `SECONDS.frac` (`-tt`).
    Unix,
    /// ` HH:MM:SS.frac` with a sign column (`-ttt` delta or `-ttttt` since first).
    Offset,
    /// `YYYY-MM-DD HH:MM:SS.frac` (`-tttt`).
    Date,
}

/// Link-layer text printed before the network layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkLayer {
    /// `-e` Ethernet: `src > dst, [vlan ..., ]ethertype X (0x..), length N: `.
    Ethernet {
        src: String,
        dst: String,
        vlans: Vec<u16>,
        ethertype: String,
        length: Option<u32>,
        /// The text as printed, for faithful re-printing.
        raw: String,
    },
    /// Linux cooked capture (`-i any`): interface (v2) and direction.
    Cooked {
        interface: Option<String>,
        direction: String,
        raw: String,
    },
    /// Any other link header (PPP, BSD loopback, raw IP, IPoIB), as printed.
    Other { raw: String },
}

/// The network layer of a TCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpVersion {
    V4,
    V6,
}

/// The `-v` IP header in parentheses; the whole text is kept, known items are parsed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpHeader {
    /// The text between the parentheses.
    pub text: String,
    pub ttl: Option<u8>,
    pub id: Option<u32>,
    /// Total length (IPv4) or payload length (IPv6).
    pub length: Option<u32>,
    /// True when the header was on its own line (IPv4 `-v` two-line layout).
    pub own_line: bool,
}

/// One end of the conversation as printed: host (address or name) and port (number or service).
#[derive(Debug, Clone, Default, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Endpoint {
    /// Kept inline (no allocation) up to 24 bytes: every address and most names.
    pub host: CompactString,
    pub port: Option<CompactString>,
}

impl Endpoint {
    /// The port as a number when it was printed numerically.
    pub fn port_number(&self) -> Option<u16> {
        self.port.as_deref().and_then(|p| p.parse().ok())
    }
}

/// Equal text, ports first (short, and where two endpoints usually differ).
/// Compared for every line, so without a call to `memcmp` for short text.
impl PartialEq for Endpoint {
    fn eq(&self, other: &Endpoint) -> bool {
        match (self.port.as_deref(), other.port.as_deref()) {
            (Some(a), Some(b)) if !short_eq(a.as_bytes(), b.as_bytes()) => return false,
            (Some(_), None) | (None, Some(_)) => return false,
            _ => {}
        }
        short_eq(self.host.as_bytes(), other.host.as_bytes())
    }
}

/// As derived (with the equality above).
impl std::hash::Hash for Endpoint {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.host.hash(state);
        self.port.hash(state);
    }
}

/// `a == b`, for text up to 16 bytes by two overlapping word loads each.
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    fn words<const N: usize>(s: &[u8]) -> Option<([u8; N], [u8; N])> {
        let first = s.get(..N)?.try_into().ok()?;
        let last = s.get(s.len().checked_sub(N)?..)?.try_into().ok()?;
        Some((first, last))
    }
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        // (Three bytes at most: first, middle and last cover them, without a call to `bcmp`.)
        n @ 1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=7 => words::<4>(a) == words::<4>(b),
        8..=16 => words::<8>(a) == words::<8>(b),
        _ => a == b,
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.port {
            Some(port) => write!(f, "{}.{}", self.host, port),
            None => f.write_str(&self.host),
        }
    }
}

/// TCP flag bits, in the order tcpdump prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Flags(pub u16);

impl Flags {
    pub const FIN: Flags = Flags(0x001);
    pub const SYN: Flags = Flags(0x002);
    pub const RST: Flags = Flags(0x004);
    pub const PSH: Flags = Flags(0x008);
    pub const ACK: Flags = Flags(0x010);
    pub const URG: Flags = Flags(0x020);
    pub const ECE: Flags = Flags(0x040);
    pub const CWR: Flags = Flags(0x080);
    pub const AE: Flags = Flags(0x100);

    /// tcpdump's letters, in its print order.
    pub const LETTERS: [(char, Flags); 9] = [
        ('F', Flags::FIN),
        ('S', Flags::SYN),
        ('R', Flags::RST),
        ('P', Flags::PSH),
        ('.', Flags::ACK),
        ('U', Flags::URG),
        ('E', Flags::ECE),
        ('W', Flags::CWR),
        ('e', Flags::AE),
    ];

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Flags as tcpdump 4.x prints them inside `Flags [...]` (`none` when empty).
    pub fn letters(self) -> CompactString {
        // The sets nearly every line carries, as static text: nothing to gather.
        const USUAL: [(Flags, &str); 7] = [
            (Flags::ACK, "."),
            (Flags::PSH.with(Flags::ACK), "P."),
            (Flags::FIN.with(Flags::ACK), "F."),
            (Flags::FIN.with(Flags::PSH).with(Flags::ACK), "FP."),
            (Flags::SYN, "S"),
            (Flags::SYN.with(Flags::ACK), "S."),
            (Flags::RST.with(Flags::ACK), "R."),
        ];
        // (A jump table: this runs for every segment.)
        let usual = match self.0 {
            0x010 => ".",
            0x018 => "P.",
            0x011 => "F.",
            0x019 => "FP.",
            0x002 => "S",
            0x012 => "S.",
            0x014 => "R.",
            _ => return self.gathered(),
        };
        debug_assert!(USUAL.iter().any(|(f, u)| *f == self && *u == usual));
        CompactString::const_new(usual)
    }

    /// [`Flags::letters`], gathered one by one.
    fn gathered(self) -> CompactString {
        // (At most nine letters: kept inline, no allocation.)
        let mut s = CompactString::default();
        for (c, f) in Flags::LETTERS {
            if self.contains(f) {
                s.push(c);
            }
        }
        if s.is_empty() {
            s.push_str("none");
        }
        s
    }
}

/// The `seq` field: `first` or `first:last` (last excluded), as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    pub first: u32,
    pub last: Option<u32>,
}

/// Checksum as printed with `-v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub value: u16,
    /// `None` when correct; the computed value when printed `(incorrect -> 0x..)`.
    pub computed: Option<u16>,
    /// tcpdump 3.8's form, verbatim: `[tcp sum ok]` (the value is not printed:
    /// 0 here) or `[bad tcp cksum 3770!]` (the computed value is not printed
    /// either: the value itself here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bracketed: Option<String>,
}

/// One TCP option. Options without a dedicated variant are kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TcpOption {
    Mss {
        value: u32,
    },
    Nop,
    Eol,
    Wscale {
        shift: u32,
    },
    SackOk,
    Sack {
        blocks: Vec<(u32, u32)>,
    },
    Timestamp {
        val: u32,
        ecr: u32,
    },
    /// Anything else (tfo, mptcp, md5, uto, tcp-ao, unknown-N, ...): name and full text.
    Other {
        name: String,
        text: String,
    },
}

/// A packet's options, in order.
pub type Options = smallvec::SmallVec<[TcpOption; 4]>;

/// How the options list ended when it did not end normally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionsEnd {
    /// `]` (modern) or `>` (legacy).
    Normal,
    /// `[bad opt]` with whatever closing text followed.
    BadOpt(String),
    /// `[|tcp]` with whatever closing text followed.
    Truncated(String),
}

/// Which TCP printer produced the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TcpFormat {
    /// tcpdump 4.0 and later: `Flags [S.], seq ..., length N`.
    #[default]
    Modern,
    /// tcpdump 3.x: `S 1:1(0) win N <mss ...>`; its `.` means "no flags".
    Legacy,
    /// `-q`: `tcp N` only.
    Quiet,
    /// Header not captured: `[|tcp]` right after the endpoints.
    Truncated,
}

/// A TCP packet record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpPacket {
    pub prefix: Prefix,
    pub ip: IpVersion,
    /// Whether `IP `/`IP6 ` was printed (it is not under `-e`).
    pub ip_word: bool,
    pub ip_header: Option<IpHeader>,
    /// Text between the network layer and the TCP endpoints (tunnels, IPv6 extension headers).
    pub inner_prefix: Option<String>,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub format: TcpFormat,
    pub flags: Flags,
    pub checksum: Option<Checksum>,
    pub seq: Option<SeqRange>,
    pub ack: Option<u32>,
    pub win: Option<u32>,
    pub urg: Option<u32>,
    /// Kept inline up to four (the usual `nop,nop,TS val .. ecr ..`): no allocation.
    pub options: Options,
    /// `None` when the packet has no options list.
    pub options_end: Option<OptionsEnd>,
    /// TCP payload length (`length N`, legacy `(N)`, or `-q` `tcp N`).
    pub length: Option<u32>,
    /// Text that followed the length inside the same item (`[was 0, presumed TSO]`).
    pub length_note: Option<String>,
    /// Everything after the length: application decode, RST text, markers; verbatim.
    pub tail: Option<String>,
    /// Continuation lines other than payload dumps (decoder output), verbatim.
    pub continuation: Vec<String>,
    /// Payload dump lines (`-x`, `-X`, `-A`), verbatim.
    pub dump: Vec<String>,
    /// A TCP header quoted inside an ICMP error: a copy, not a segment of its own.
    pub quoted: bool,
}

impl TcpPacket {
    /// A packet between two endpoints with nothing else known yet (4.x format, IPv4).
    pub fn new(src: Endpoint, dst: Endpoint) -> TcpPacket {
        TcpPacket {
            prefix: Prefix::default(),
            ip: IpVersion::V4,
            ip_word: false,
            ip_header: None,
            inner_prefix: None,
            src,
            dst,
            format: TcpFormat::Modern,
            flags: Flags::default(),
            checksum: None,
            seq: None,
            ack: None,
            win: None,
            urg: None,
            options: Options::new(),
            options_end: None,
            length: None,
            length_note: None,
            tail: None,
            continuation: Vec::new(),
            dump: Vec::new(),
            quoted: false,
        }
    }

    /// Payload length: `length N` or, failing that, the seq range.
    pub fn payload_len(&self) -> u32 {
        self.length
            .or_else(|| {
                self.seq
                    .and_then(|s| s.last.map(|last| last.wrapping_sub(s.first)))
            })
            .unwrap_or(0)
    }

    /// Options of one kind, e.g. the MSS.
    pub fn mss(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            TcpOption::Mss { value } => Some(*value),
            _ => None,
        })
    }

    pub fn wscale(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            TcpOption::Wscale { shift } => Some(*shift),
            _ => None,
        })
    }

    pub fn sack_permitted(&self) -> bool {
        self.options.iter().any(|o| matches!(o, TcpOption::SackOk))
    }

    pub fn timestamps(&self) -> Option<(u32, u32)> {
        self.options.iter().find_map(|o| match o {
            TcpOption::Timestamp { val, ecr } => Some((*val, *ecr)),
            _ => None,
        })
    }

    pub fn sack_blocks(&self) -> &[(u32, u32)] {
        self.options
            .iter()
            .find_map(|o| match o {
                TcpOption::Sack { blocks } => Some(blocks.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// Payload bytes recovered from `-x`/`-X` hex dump lines (network header included).
    pub fn dump_bytes(&self) -> Vec<u8> {
        crate::parse::dump::hex_bytes(&self.dump)
    }

    /// Recovers the TCP payload bytes from a hex dump, when one is attached.
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        crate::parse::dump::tcp_payload(&self.dump_bytes(), self.payload_len())
    }
}

#[cfg(test)]
mod tests {
    use super::Flags;

    #[test]
    fn usual_flag_sets_are_spelled_as_gathered() {
        for bits in 0..0x200u16 {
            let flags = Flags(bits);
            assert_eq!(flags.letters(), flags.gathered(), "{bits:#x}");
        }
    }
}
