//! What the engine tells its driver: verdicts (one per packet) and events (drained with
//! `poll_event`). Events are structured; replay prints them as JSON lines, the live driver
//! applies the pinhole ones to the kernel fast path.

use std::net::IpAddr;

use serde::Serialize;

/// Accept or drop, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Verdict {
    pub action: Action,
    pub reason: Reason,
}

impl Verdict {
    pub fn accept(reason: Reason) -> Self {
        Verdict {
            action: Action::Accept,
            reason,
        }
    }

    pub fn drop(reason: Reason) -> Self {
        Verdict {
            action: Action::Drop,
            reason,
        }
    }

    pub fn is_accept(&self) -> bool {
        self.action == Action::Accept
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Accept,
    Drop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Drop => "drop",
        }
    }
}

/// Why a packet got its verdict. Indices refer to the engine's compiled policy
/// ([`crate::Engine::zone_pair_name`], [`crate::Engine::class_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Neither interface is in a zone: zone policy does not apply.
    NoZones,
    /// Both interfaces are in the same zone and no intra-zone pair is configured.
    IntraZone,
    /// To or from the firewall itself with no zone-pair involving `self` (IOS default).
    SelfDefault,
    /// One interface is in a zone and the other is not.
    ZoneMismatch,
    /// No zone-pair is configured for these zones.
    NoZonePair,
    /// The zone-pair has no `service-policy`.
    NoPolicy { pair: u16 },
    /// A class of the zone-pair's policy matched (`class` is its index in the policy).
    Class { pair: u16, class: u16 },
    /// No class matched: `class class-default`.
    ClassDefault { pair: u16 },
    /// Part of an inspected session (return traffic, or later packets of it).
    Session { pair: Option<u16> },
    /// Admitted by a pinhole opened from SIP signalling.
    Pinhole { kind: PinholeKind },
    /// Media of a call in a direction its SDP does not open (e.g. towards a party on hold).
    NoPinhole,
    /// A protocol violation or a failed check; the code is stable.
    Violation(Violation),
    /// A table is full (the event `table_full` says which).
    TableFull,
}

/// Stable reason codes for violations (verdicts, events, metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    /// Not a decodable IP packet.
    Malformed,
    /// An IP fragment reached the engine (drivers reassemble first).
    Fragment,
    /// A TCP packet other than SYN tried to open a session.
    TcpNoSyn,
    /// A TCP segment outside the receive window.
    TcpOutOfWindow,
    /// A TCP flag combination that is never valid (SYN+FIN, SYN+RST, no flags).
    TcpBadFlags,
    /// A SIP message that does not parse (the event says which error kind).
    SipMalformed,
    /// A SIP message that parses but fails the semantic checks.
    SipInvalid,
    /// A SIP stream whose buffer limit was exceeded or whose framing was lost.
    SipStream,
    /// A SIP message beyond a configured limit (size, header count, line length, Via or Route
    /// depth).
    SipLimit,
    /// A request with a method sipwall does not know, where `sip unknown-method drop`.
    SipUnknownMethod,
    /// A request with Max-Forwards 0, where `sip max-forwards-zero drop`.
    SipMaxForwards,
    /// A request over its per-source (or class) rate.
    SipRateLimited,
    /// Dropped by a `drop` class of the SIP policy.
    SipPolicyDrop,
    /// Refused by a `reset` class of the SIP policy (TCP: the connection is closed).
    SipPolicyReset,
    /// A new dialog beyond `sip max-dialogs per-source` / `per-zone`.
    SipTooManyDialogs,
    /// A REGISTER beyond `sip max-registrations per-source`.
    SipTooManyRegistrations,
    /// From a source on the blocklist.
    SipBlocked,
}

impl Violation {
    /// Every violation code, in declaration order.
    pub const ALL: [Violation; 17] = [
        Violation::Malformed,
        Violation::Fragment,
        Violation::TcpNoSyn,
        Violation::TcpOutOfWindow,
        Violation::TcpBadFlags,
        Violation::SipMalformed,
        Violation::SipInvalid,
        Violation::SipStream,
        Violation::SipLimit,
        Violation::SipUnknownMethod,
        Violation::SipMaxForwards,
        Violation::SipRateLimited,
        Violation::SipPolicyDrop,
        Violation::SipPolicyReset,
        Violation::SipTooManyDialogs,
        Violation::SipTooManyRegistrations,
        Violation::SipBlocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Violation::Malformed => "malformed",
            Violation::Fragment => "fragment",
            Violation::TcpNoSyn => "tcp_no_syn",
            Violation::TcpOutOfWindow => "tcp_out_of_window",
            Violation::TcpBadFlags => "tcp_bad_flags",
            Violation::SipMalformed => "sip_malformed",
            Violation::SipInvalid => "sip_invalid",
            Violation::SipStream => "sip_stream",
            Violation::SipLimit => "sip_limit",
            Violation::SipUnknownMethod => "sip_unknown_method",
            Violation::SipMaxForwards => "sip_max_forwards",
            Violation::SipRateLimited => "sip_rate_limited",
            Violation::SipPolicyDrop => "sip_policy_drop",
            Violation::SipPolicyReset => "sip_policy_reset",
            Violation::SipTooManyDialogs => "sip_too_many_dialogs",
            Violation::SipTooManyRegistrations => "sip_too_many_registrations",
            Violation::SipBlocked => "sip_blocked",
        }
    }
}

impl Reason {
    /// The stable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NoZones => "no_zones",
            Reason::IntraZone => "intra_zone",
            Reason::SelfDefault => "self_default",
            Reason::ZoneMismatch => "zone_mismatch",
            Reason::NoZonePair => "no_zone_pair",
            Reason::NoPolicy { .. } => "no_policy",
            Reason::Class { .. } => "class",
            Reason::ClassDefault { .. } => "class_default",
            Reason::Session { .. } => "session",
            Reason::Pinhole { .. } => "pinhole",
            Reason::NoPinhole => "no_pinhole",
            Reason::Violation(v) => v.as_str(),
            Reason::TableFull => "table_full",
        }
    }
}

/// What a pinhole is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PinholeKind {
    Rtp,
    Rtcp,
    /// T.38 fax over UDPTL or TCP (`m=image`).
    T38,
    /// Other media from an `m=` line (e.g. `m=application ... TCP/BFCP`).
    Media,
    /// RFC 6193 IKE on UDP (`ike-esp` / `ike-esp-udpencap`).
    Ike,
    /// RFC 6193 ESP (IP protocol 50) for `ike-esp`.
    Esp,
    /// In-dialog requests straight to a Contact (no Record-Route).
    Signalling,
    /// Requests from a registrar to a registered Contact.
    Registration,
}

impl PinholeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PinholeKind::Rtp => "rtp",
            PinholeKind::Rtcp => "rtcp",
            PinholeKind::T38 => "t38",
            PinholeKind::Media => "media",
            PinholeKind::Ike => "ike",
            PinholeKind::Esp => "esp",
            PinholeKind::Signalling => "signalling",
            PinholeKind::Registration => "registration",
        }
    }

    pub fn is_media(self) -> bool {
        !matches!(self, PinholeKind::Signalling | PinholeKind::Registration)
    }
}

/// Direction of a packet within its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// From the flow's originator.
    Orig,
    /// Towards the originator (return traffic).
    Reply,
}

impl Dir {
    pub fn index(self) -> usize {
        match self {
            Dir::Orig => 0,
            Dir::Reply => 1,
        }
    }
}

/// The 5-tuple pattern a pinhole admits: `src` may be any address and the source port is
/// never constrained (SDP does not give it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PinholePattern {
    /// IP protocol number (17 UDP, 6 TCP, 50 ESP).
    pub proto: u8,
    pub src: Option<IpAddr>,
    pub dst: IpAddr,
    /// Destination port (0 for ESP).
    pub dport: u16,
}

/// An event. Serialised with `"event": "<name>"` and the fields below.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    FlowOpen {
        flow: u64,
        proto: u8,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        /// The zone-pair whose policy created it, or `None` when a pinhole did.
        zone_pair: Option<String>,
        class: Option<String>,
        /// The pinhole that admitted it.
        pinhole: Option<u64>,
        /// `sip` when SIP on it is inspected, `media` when a media pinhole admitted it.
        inspect: Option<&'static str>,
    },
    FlowClose {
        flow: u64,
        reason: &'static str,
        packets: [u64; 2],
        bytes: [u64; 2],
    },
    /// One SIP message seen on an inspected flow.
    Sip {
        flow: u64,
        dir: Dir,
        /// The method, or the status code and reason ("200 OK").
        summary: String,
        call_id: Option<String>,
        cseq: Option<String>,
        /// Length of the message in bytes.
        length: usize,
        /// Whether it carried SDP.
        sdp: bool,
    },
    /// A dialog changed state: `early`, `confirmed`, `terminated`.
    Dialog {
        call_id: String,
        state: &'static str,
        reason: &'static str,
    },
    PinholeOpen {
        pinhole: u64,
        call_id: Option<String>,
        kind: PinholeKind,
        #[serde(flatten)]
        pattern: PinholePattern,
        /// Opened from an offer whose answer has not been seen.
        provisional: bool,
        /// Seconds of idle time before it expires.
        idle_timeout: u64,
    },
    /// A provisional pinhole became final (its offer was answered).
    PinholeUpdate {
        pinhole: u64,
        call_id: Option<String>,
        kind: PinholeKind,
        #[serde(flatten)]
        pattern: PinholePattern,
        provisional: bool,
    },
    PinholeClose {
        pinhole: u64,
        call_id: Option<String>,
        kind: PinholeKind,
        #[serde(flatten)]
        pattern: PinholePattern,
        reason: &'static str,
        packets: u64,
        bytes: u64,
    },
    Violation {
        flow: Option<u64>,
        code: Violation,
        /// The parser's error kind, for SIP violations.
        kind: Option<&'static str>,
        offset: Option<usize>,
        detail: String,
    },
    TableFull {
        table: &'static str,
        limit: usize,
    },
    /// A hostname in SDP or Contact that no resolver answered: no pinhole for it.
    Unresolved {
        call_id: String,
        host: String,
    },
    /// A source went on the blocklist: its SIP and new flows are dropped until it expires.
    Blocked {
        source: IpAddr,
        duration_secs: u64,
        violations: u32,
    },
    /// A `reset` action of the SIP policy on TCP: the driver forges two RSTs, one from `src`
    /// to `dst` with sequence number `seq_to_dst` and one from `dst` to `src` with
    /// `seq_to_src` (RFC 9293 §3.5.3: each carries the next sequence number its receiver
    /// expects, which RFC 5961 §3.2 requires to be exact). `src` sent the refused message.
    /// A `flow_close` follows.
    TcpReset {
        flow: u64,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        seq_to_dst: u32,
        seq_to_src: u32,
    },
    /// Events were dropped because the driver did not drain them.
    EventsDropped {
        count: u64,
    },
}
