//! The facts the tracker establishes, as data. Text is rendered from these
//! (see [`mod@crate::explain`]), so every face shows the same facts.

use super::state::{Reason, TcpState};
use crate::model::IcmpProblem;
use serde::{Deserialize, Serialize};

/// Which end sent a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
}

impl Role {
    pub fn other(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }

    pub fn index(self) -> usize {
        match self {
            Role::Client => 0,
            Role::Server => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

/// One value per end, indexed by [`Role`] (so no index can be out of range).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sides<T> {
    pub client: T,
    pub server: T,
}

impl<T> Sides<T> {
    pub fn new(client: T, server: T) -> Sides<T> {
        Sides { client, server }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        [&self.client, &self.server].into_iter()
    }
}

impl<T> std::ops::Index<Role> for Sides<T> {
    type Output = T;
    fn index(&self, role: Role) -> &T {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }
}

impl<T> std::ops::IndexMut<Role> for Sides<T> {
    fn index_mut(&mut self, role: Role) -> &mut T {
        match role {
            Role::Client => &mut self.client,
            Role::Server => &mut self.server,
        }
    }
}

/// Both ends' states after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct States {
    pub client: TcpState,
    pub server: TcpState,
}

impl States {
    pub fn get(&self, role: Role) -> TcpState {
        match role {
            Role::Client => self.client,
            Role::Server => self.server,
        }
    }

    pub fn set(&mut self, role: Role, state: TcpState) {
        match role {
            Role::Client => self.client = state,
            Role::Server => self.server = state,
        }
    }
}

/// The kinds of event. The first group are Wireshark's `tcp.analysis.*` flags,
/// with its rules; the rest are tcpexplain's own. A new kind goes last, and
/// into [`EventKind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Retransmission,
    FastRetransmission,
    SpuriousRetransmission,
    OutOfOrder,
    LostSegment,
    AckLostSegment,
    DuplicateAck,
    ZeroWindow,
    ZeroWindowProbe,
    ZeroWindowProbeAck,
    WindowFull,
    WindowUpdate,
    KeepAlive,
    KeepAliveAck,
    ReusedPorts,
    /// A SYN sent again, with the backoff since the previous one.
    SynRetransmission,
    /// A RST: refused, abort, or after close (see `note`).
    Reset,
    /// A lone ACK that waited like a delayed ACK (~40 ms or ~200 ms on Linux).
    DelayedAck,
    /// A FIN that also acknowledges the peer's FIN: the close takes three segments.
    FinAcksFin,
    /// Both FINs were in flight at once: both ends pass through CLOSING.
    SimultaneousClose,
    /// Data sent after the peer had closed its side (half-close).
    HalfClose,
    /// A segment for a connection tcpexplain stopped following (idle, over the cap).
    Evicted,
    /// The same packet as an earlier line, seen on another interface (`-i any`
    /// on a host that forwards it): `of_line` is the first sighting, `note`
    /// the two interfaces. Wireshark's labels on it (retransmission, duplicate
    /// ACK) are kept, and explained as this.
    CaptureCopy,
    /// Bytes that fill a gap the capture noted (`of_line`: its `lost_segment`)
    /// and that the peer had acknowledged already (`note`: on which line): most likely the
    /// capture point saw this packet late. Wireshark's label (a spurious
    /// retransmission) is kept, and explained as this.
    SeenLate,
}

impl EventKind {
    /// Every kind, in the order declared (the order of the Python module's
    /// count columns).
    pub const ALL: [EventKind; 24] = {
        use EventKind::*;
        [
            Retransmission,
            FastRetransmission,
            SpuriousRetransmission,
            OutOfOrder,
            LostSegment,
            AckLostSegment,
            DuplicateAck,
            ZeroWindow,
            ZeroWindowProbe,
            ZeroWindowProbeAck,
            WindowFull,
            WindowUpdate,
            KeepAlive,
            KeepAliveAck,
            ReusedPorts,
            SynRetransmission,
            Reset,
            DelayedAck,
            FinAcksFin,
            SimultaneousClose,
            HalfClose,
            Evicted,
            CaptureCopy,
            SeenLate,
        ]
    };

    /// One of Wireshark's `tcp.analysis` flags (the rest are tcpexplain's own).
    pub fn is_wireshark(self) -> bool {
        use EventKind::*;
        matches!(
            self,
            Retransmission
                | FastRetransmission
                | SpuriousRetransmission
                | OutOfOrder
                | LostSegment
                | AckLostSegment
                | DuplicateAck
                | ZeroWindow
                | ZeroWindowProbe
                | ZeroWindowProbeAck
                | WindowFull
                | WindowUpdate
                | KeepAlive
                | KeepAliveAck
                | ReusedPorts
        )
    }

    /// Wireshark's kinds are warnings/notes; these are the ones worth a reader's
    /// attention: its warnings, and SYN retransmissions and resets.
    pub fn is_problem(self) -> bool {
        use EventKind::*;
        let note = matches!(
            self,
            ZeroWindowProbeAck | WindowUpdate | KeepAlive | KeepAliveAck | ReusedPorts
        );
        (self.is_wireshark() && !note) || matches!(self, SynRetransmission | Reset)
    }

    pub fn name(self) -> &'static str {
        use EventKind::*;
        match self {
            Retransmission => "retransmission",
            FastRetransmission => "fast_retransmission",
            SpuriousRetransmission => "spurious_retransmission",
            OutOfOrder => "out_of_order",
            LostSegment => "lost_segment",
            AckLostSegment => "ack_lost_segment",
            DuplicateAck => "duplicate_ack",
            ZeroWindow => "zero_window",
            ZeroWindowProbe => "zero_window_probe",
            ZeroWindowProbeAck => "zero_window_probe_ack",
            WindowFull => "window_full",
            WindowUpdate => "window_update",
            KeepAlive => "keep_alive",
            KeepAliveAck => "keep_alive_ack",
            ReusedPorts => "reused_ports",
            SynRetransmission => "syn_retransmission",
            Reset => "reset",
            DelayedAck => "delayed_ack",
            FinAcksFin => "fin_acks_fin",
            SimultaneousClose => "simultaneous_close",
            HalfClose => "half_close",
            Evicted => "evicted",
            CaptureCopy => "capture_copy",
            SeenLate => "seen_late",
        }
    }
}

/// One event on a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    /// Duplicate ACK number (1 for the first duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The earlier line the event refers to (the original segment, the ACK duplicated, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_line: Option<u64>,
    /// Seconds, where the event has a duration (backoff, ACK delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// A qualifier of the event (in JSON a short string: `refused`, `path_mtu`, `gap`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// What the claim rests on, where the capture offers more than one way to tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Seconds: the round trip between the capture point and the sender,
    /// measured, that a wait was judged against (set when it mattered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trip: Option<f64>,
    /// How the waits between the copies of a resent SYN or segment grew, as measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

impl Event {
    pub fn new(kind: EventKind) -> Event {
        Event {
            kind,
            count: None,
            of_line: None,
            seconds: None,
            note: None,
            evidence: None,
            round_trip: None,
            backoff: None,
        }
    }
}

/// A qualifier of an event. In JSON it is the short string it always was
/// (its `Display` writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// What a `reset` says about the end of its connection.
    Reset(ResetKind),
    /// A resend after an ICMP "too big" error (path MTU discovery).
    PathMtu,
    /// A `retransmission` of the last segment sent, its first, sooner than a
    /// retransmission timer fires: most likely a tail loss probe (RFC 8985).
    TailProbe,
    /// A `keep_alive` into a zero window: Linux's zero-window probe.
    ZeroWindowProbe,
    /// A `keep_alive` told by timing and numbers, not by a sequence number.
    Inferred,
    /// Both of the above.
    ZeroWindowProbeInferred,
    /// A `duplicate_ack` that signals a gap.
    Gap,
    /// A `duplicate_ack` that answers a segment older than its ACK.
    OldSegment,
    /// A `capture_copy`: the interfaces of the two sightings (boxed: rare,
    /// and every event carries room for a note).
    Interfaces(Box<(String, String)>),
    /// A `seen_late` segment: the line that had acknowledged its bytes.
    AckedOn(u64),
}

impl Note {
    /// The note as JSON has it, without formatting when it is a fixed word.
    pub fn text(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Note::Reset(kind) => kind.name().into(),
            Note::PathMtu => "path_mtu".into(),
            Note::TailProbe => "tail_probe".into(),
            Note::ZeroWindowProbe => "zero_window_probe".into(),
            Note::Inferred => "inferred".into(),
            Note::ZeroWindowProbeInferred => "zero_window_probe, inferred".into(),
            Note::Gap => "gap".into(),
            Note::OldSegment => "old_segment".into(),
            Note::Interfaces(_) | Note::AckedOn(_) => self.to_string().into(),
        }
    }

    /// The reset kind, for a `reset`'s note.
    pub fn reset(&self) -> Option<ResetKind> {
        match self {
            Note::Reset(kind) => Some(*kind),
            _ => None,
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Interfaces(ends) => write!(f, "{} → {}", ends.0, ends.1),
            Note::AckedOn(line) => write!(f, "line {line}"),
            fixed => f.write_str(&fixed.text()),
        }
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A note read back from its JSON string (pages keep reports as JSON until
/// their connection ends).
impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Note, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        let fixed = [
            Note::Reset(ResetKind::Refused),
            Note::Reset(ResetKind::Abort),
            Note::Reset(ResetKind::AfterClose),
            Note::PathMtu,
            Note::TailProbe,
            Note::ZeroWindowProbe,
            Note::Inferred,
            Note::ZeroWindowProbeInferred,
            Note::Gap,
            Note::OldSegment,
        ];
        if let Some(note) = fixed.into_iter().find(|n| n.text() == text) {
            return Ok(note);
        }
        if let Some(line) = text.strip_prefix("line ").and_then(|l| l.parse().ok()) {
            return Ok(Note::AckedOn(line));
        }
        match text.split_once(" → ") {
            Some((a, b)) => Ok(Note::Interfaces(Box::new((a.to_string(), b.to_string())))),
            None => Err(serde::de::Error::custom(format!("unknown note `{text}`"))),
        }
    }
}

/// An inference about a line that is not an event (`SegmentReport::notes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inference {
    /// No SYN seen: the roles are guessed.
    RolesInferred,
    /// The numbers look relative already (a pasted excerpt).
    Excerpt,
    /// Its relative numbers differ from the line's (counted as Wireshark counts).
    Renumbered,
    /// The handshake's ACK, seen after data the same end sent next.
    LateHandshakeAck,
    /// A SACK block shows the peer's FIN arrived.
    PeerFinSacked,
    /// The peer's FIN, not in the capture, is told by this segment.
    PeerFinInferred,
}

impl Inference {
    /// The snake_case code (as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            Inference::RolesInferred => "roles_inferred",
            Inference::Excerpt => "excerpt",
            Inference::Renumbered => "renumbered",
            Inference::LateHandshakeAck => "late_handshake_ack",
            Inference::PeerFinSacked => "peer_fin_sacked",
            Inference::PeerFinInferred => "peer_fin_inferred",
        }
    }
}

/// How much of the handshake a connection's capture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// SYN, SYN-ACK and the ACK of the SYN-ACK.
    Complete,
    /// Some of it.
    Partial,
    /// None: the capture starts mid-connection.
    None,
}

impl Handshake {
    pub fn code(self) -> &'static str {
        match self {
            Handshake::Complete => "complete",
            Handshake::Partial => "partial",
            Handshake::None => "none",
        }
    }
}

/// Where the capture was probably taken (an inference from the handshake timing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vantage {
    /// Near the server.
    Server,
    /// Near the client.
    Client,
    /// Between the two.
    Middle,
}

impl Vantage {
    pub fn code(self) -> &'static str {
        match self {
            Vantage::Server => "server",
            Vantage::Client => "client",
            Vantage::Middle => "middle",
        }
    }
}

/// What a claim rests on, where the capture offers more than one way to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The TCP timestamp echo names it (RFC 7323).
    TsEcho,
    /// Nothing names the copy an ACK answers: the latest one is taken (Karn's ambiguity).
    LatestCopy,
    /// Every printed field is the same, microseconds apart (no interface is printed).
    Identical,
    /// Seen on two interfaces (`-i any` with interface names).
    Interface,
    /// The same IP id with a lower TTL: the same packet, after another router hop.
    IpIdTtl,
    /// A RST without the TCP timestamps its connection uses: made by a host
    /// with no socket for it.
    NoTimestamps,
    /// Its sender had closed (sent FIN) before the segment it answers arrived.
    OwnFin,
    /// A SACK block shows it arrived.
    Sack,
}

/// How the waits between successive copies (SYN retries, timeouts) grew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// Each wait about twice the one before (exponential backoff).
    Doubling,
    /// About the same wait each time (e.g. Linux's first SYN retries, 1 s apart).
    Constant,
    /// Neither.
    Irregular,
}

impl Backoff {
    pub fn name(self) -> &'static str {
        match self {
            Backoff::Doubling => "doubling",
            Backoff::Constant => "constant",
            Backoff::Irregular => "irregular",
        }
    }
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::TsEcho => "ts_echo",
            Evidence::LatestCopy => "latest_copy",
            Evidence::Identical => "identical",
            Evidence::Interface => "interface",
            Evidence::IpIdTtl => "ip_id_ttl",
            Evidence::NoTimestamps => "no_timestamps",
            Evidence::OwnFin => "own_fin",
            Evidence::Sack => "sack",
        }
    }
}

/// What a RST says about the end of its connection (`Event::note` of a `reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetKind {
    /// It answers an attempt (a SYN, a probe) to a port where nothing listens.
    Refused,
    /// Its sender aborts a connection it has (application abort, SO_LINGER 0,
    /// close with unread data).
    Abort,
    /// It answers a segment that arrived for a connection its sender no longer has.
    AfterClose,
}

impl ResetKind {
    pub fn name(self) -> &'static str {
        match self {
            ResetKind::Refused => "refused",
            ResetKind::Abort => "abort",
            ResetKind::AfterClose => "after_close",
        }
    }

    /// The kind a `reset` event's note names.
    pub fn of_note(note: Option<&Note>) -> Option<ResetKind> {
        note.and_then(Note::reset)
    }
}

/// What a segment's ACK newly acknowledges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acked {
    /// Relative sequence range newly acknowledged, `first..last` (last excluded).
    pub first: u32,
    pub last: u32,
    /// Data bytes in the range (the SYN and FIN each take one number but carry no data).
    pub bytes: u32,
    pub syn: bool,
    pub fin: bool,
    /// Lines of the segments acknowledged (oldest first; mostly one or two,
    /// kept inline).
    pub lines: smallvec::SmallVec<[u64; 2]>,
    /// Seconds from the copy this ACK answers (the last of those segments) to this ACK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<f64>,
    /// The segment was sent more than once: how the copy answered was told
    /// (`ts_echo`, or `latest_copy` when nothing tells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Wireshark's `acks_frame` (the first copy sent), where it differs from
    /// the copy this ACK answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireshark_line: Option<u64>,
}

/// A state change, with the line it is shown on and whether it is inferred.
/// (In JSON, `why_code` is the reason's code and `why` its words in English.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "TransitionRead")]
pub struct Transition {
    pub who: Role,
    pub from: TcpState,
    pub to: TcpState,
    pub why: Reason,
    /// The segment whose sending or processing caused it.
    pub cause_line: u64,
    /// True when assumed rather than shown by an acknowledgment.
    pub inferred: bool,
}

impl Serialize for Transition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut t = serializer.serialize_struct("Transition", 7)?;
        t.serialize_field("who", &self.who)?;
        t.serialize_field("from", &self.from)?;
        t.serialize_field("to", &self.to)?;
        t.serialize_field("why", crate::explain::reason(self.why, crate::Lang::En))?;
        t.serialize_field("why_code", &self.why)?;
        t.serialize_field("cause_line", &self.cause_line)?;
        t.serialize_field("inferred", &self.inferred)?;
        t.end()
    }
}

/// A transition as JSON has it (its reason read from `why_code`).
#[derive(Deserialize)]
struct TransitionRead {
    who: Role,
    from: TcpState,
    to: TcpState,
    why_code: Reason,
    cause_line: u64,
    inferred: bool,
}

impl From<TransitionRead> for Transition {
    fn from(t: TransitionRead) -> Transition {
        Transition {
            who: t.who,
            from: t.from,
            to: t.to,
            why: t.why_code,
            cause_line: t.cause_line,
            inferred: t.inferred,
        }
    }
}

/// What an ICMP error line is about, as far as the capture tells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcmpReport {
    pub line: u64,
    pub problem: IcmpProblem,
    /// The connection of the segment it reports (`None`: no connection matches).
    pub conn: Option<usize>,
    /// Which end sent that segment.
    pub from: Option<Role>,
    pub segment: Option<FailedSegment>,
    /// Matched by addresses only (no quoted header): the latest segment that fits.
    pub inferred: bool,
    /// The segment was taken back from its receiver: it never arrived, so its
    /// states do not change for it. False when it had been counted as arrived
    /// already (output that could not wait) or changes nothing.
    pub undelivered: bool,
    /// The client and server of the connection it is about (for its words).
    #[serde(skip)]
    pub ends: Option<(String, String)>,
    pub text: String,
}

/// The segment an ICMP error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedSegment {
    pub line: u64,
    pub syn: bool,
    pub fin: bool,
    pub len: u32,
}

/// An ICMP error seen about a connection (for its summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcmpSeen {
    pub line: u64,
    pub problem: IcmpProblem,
    /// The line of the segment it reports.
    pub segment: Option<u64>,
}

/// Everything known about one TCP line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentReport {
    pub line: u64,
    pub conn: usize,
    pub from: Role,
    pub flags: compact_str::CompactString,
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    pub seq_raw: Option<u32>,
    pub ack_raw: Option<u32>,
    pub len: u32,
    /// Window in bytes once the scale is known (`win` << shift).
    pub window: Option<u64>,
    /// Seconds since the connection's first line (when timestamps allow).
    pub time: Option<f64>,
    pub events: Vec<Event>,
    pub acked: Option<Acked>,
    pub transitions: Vec<Transition>,
    pub state: States,
    /// What a SYN or SYN-ACK offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
    /// SACK blocks (relative, `first..last`): data received beyond the ACK.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sack: Vec<(u32, u32)>,
    /// The peer's FIN (its line) that this segment's ACK does not cover yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_fin_unacked: Option<u64>,
    /// Handshake round trip, on the ACK that completes the handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake_rtt: Option<f64>,
    /// Inferences worth saying that are not events (mid-stream start, guessed roles, ...).
    pub notes: Vec<Inference>,
    /// The explanation.
    pub text: String,
}

/// The options a SYN or SYN-ACK offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub mss: Option<u32>,
    pub sack_permitted: bool,
    pub timestamps: bool,
    pub wscale: Option<u32>,
    /// The TCP Fast Open cookie option, when present.
    pub fast_open: bool,
}

/// How a connection ended (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Teardown {
    ThreeWay,
    FourWay,
    Simultaneous,
    Reset,
    Refused,
    HalfClosed,
    Open,
}

impl Teardown {
    /// The snake_case code (as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            Teardown::ThreeWay => "three_way",
            Teardown::FourWay => "four_way",
            Teardown::Simultaneous => "simultaneous",
            Teardown::Reset => "reset",
            Teardown::Refused => "refused",
            Teardown::HalfClosed => "half_closed",
            Teardown::Open => "open",
        }
    }
}

/// Who closed (sent the first FIN, or the RST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClosedBy {
    Client,
    Server,
    Both,
}

/// The summary of one connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionSummary {
    pub conn: usize,
    pub client: String,
    pub server: String,
    /// True when the roles were guessed from the ports (no SYN seen).
    pub roles_inferred: bool,
    pub first_line: u64,
    pub last_line: u64,
    pub segments: u64,
    pub duration: Option<f64>,
    pub bytes_client: u64,
    pub bytes_server: u64,
    pub handshake: Handshake,
    pub handshake_rtt: Option<f64>,
    pub teardown: Teardown,
    pub closed_by: Option<ClosedBy>,
    pub final_state: States,
    /// Who holds TIME_WAIT (Linux: 60 s).
    pub time_wait: Vec<Role>,
    pub conn_state: String,
    pub history: String,
    /// Count of each event kind.
    pub events: std::collections::BTreeMap<String, u32>,
    /// Where the capture was probably taken, from the handshake timing.
    pub vantage: Option<Vantage>,
    /// True when the connection was let go before it ended (idle or over the cap).
    pub evicted: bool,
    /// ICMP errors about its segments (the first 64).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icmp_errors: Vec<IcmpSeen>,
    /// Count of each problem (the kinds [`EventKind::is_problem`] names but
    /// resets), on its own segments: not on copies of a packet seen twice.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub problems: std::collections::BTreeMap<String, u32>,
    /// What an end sent that was never acknowledged by the end of the
    /// capture although it was sent again: the connection stalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<Stall>,
    /// Only this end's packets are in the capture (a one-direction filter
    /// or capture point): what the other sent is known from its acknowledgments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_only: Option<Role>,
    /// Ends whose FIN the capture does not show but the other end's ACK or
    /// SACK tells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fins_inferred: Vec<Role>,
    /// Data sent after the peer's FIN by an end that then closed too: a
    /// half-close inside the close (the end that sent it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_close: Option<Role>,
    /// An end whose last advertised window is 0 at the end of the capture:
    /// its peer may not send (a zero-window stall).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_window_at_end: Option<Role>,
    /// Segments still in flight when the capture ended were assumed delivered.
    #[serde(skip)]
    pub delivery_assumed: bool,
    pub text: String,
}

/// Bytes (and FIN) an end sent that were never acknowledged by the end of
/// the capture although it sent them again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stall {
    pub side: Role,
    /// Data bytes not acknowledged.
    pub bytes: u64,
    /// Its FIN is among what was not acknowledged.
    pub fin: bool,
    /// The line of the oldest segment not acknowledged.
    pub since_line: u64,
    /// Segments it sent again (each copy counted).
    pub resent: u32,
    /// How the waits between its last copies grew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// Seconds from the oldest segment not acknowledged to the end of the capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    /// `ALL` lists each kind once, in the order declared, up to the last one.
    #[test]
    fn every_event_kind_in_declared_order() {
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
        }
        assert_eq!(EventKind::ALL.len(), EventKind::SeenLate as usize + 1);
    }
}
