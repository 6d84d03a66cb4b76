//! The scanner as it was before the single-pass rewrite for speed (kept only for tests): the
//! differential proptest in `tests.rs` holds the JSON of both models, their errors and their
//! `normalized` flags equal on generated bodies.
#![allow(dead_code, clippy::all)]

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use serde::Serialize;

use crate::error::{ErrorKind, ParseError};

/// Default maximum number of `m=` sections.
pub const DEFAULT_MAX_MEDIA: usize = 32;
/// Default maximum number of SDP lines (all types together).
pub const DEFAULT_MAX_LINES: usize = 1024;

/// Limits applied while parsing an SDP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdpLimits {
    /// At most this many `m=` lines.
    pub max_media: usize,
    /// At most this many non-empty lines.
    pub max_lines: usize,
}

impl Default for SdpLimits {
    fn default() -> Self {
        SdpLimits {
            max_media: DEFAULT_MAX_MEDIA,
            max_lines: DEFAULT_MAX_LINES,
        }
    }
}

/// Attribute list as kept for session and media: `(name, value)`; `a=rtcp-mux` is
/// `("rtcp-mux", None)`, `a=rtcp:53020` is `("rtcp", Some("53020"))` (RFC 8866 §5.13).
///
/// Names and values borrow from the body; they are owned only when the bytes are not UTF-8
/// (replaced lossily, U+FFFD), which real endpoints send in rare `a=` text values.
pub type Attributes<'a> = Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>;

/// A parsed session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionDescription<'a> {
    /// `o=` line (RFC 8866 §5.2); `None` when the body has no `o=` line.
    pub origin: Option<Origin<'a>>,
    /// `s=` (RFC 8866 §5.3) as written (leading blanks kept, trailing ones dropped); empty
    /// when absent; non-UTF-8 bytes replaced by U+FFFD.
    pub session_name: Cow<'a, str>,
    /// Session-level `c=` (RFC 8866 §5.7).
    pub connection: Option<Connection<'a>>,
    /// Session-level `b=` lines (RFC 8866 §5.8).
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// Session-level direction attribute, if any (RFC 3264 §5.1, §6.1).
    pub direction: Option<Direction>,
    /// Session-level `a=fingerprint` (RFC 8122 §5 allows session level).
    pub fingerprints: Vec<Fingerprint<'a>>,
    /// Session-level `a=` lines, in order.
    pub attributes: Attributes<'a>,
    /// `m=` sections, in order.
    pub media: Vec<Media<'a>>,
    /// True when the body is not in the strict form `sdp-types` accepts as it is and the
    /// scanner had to tolerate something (see the module documentation).
    pub normalized: bool,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin<'a> {
    /// `-` when the user name is not given.
    pub username: Cow<'a, str>,
    pub sess_id: Cow<'a, str>,
    pub sess_version: u64,
    pub nettype: Cow<'a, str>,
    pub addrtype: Cow<'a, str>,
    /// Address as written (IP literal or FQDN).
    pub address: Cow<'a, str>,
    /// Parsed address; `None` for a host name (left unresolved).
    pub ip: Option<IpAddr>,
    /// Byte range of the address token within the SDP body.
    pub address_span: Range<usize>,
    /// Byte range of the whole `o=` line (without its line end).
    pub line: Range<usize>,
}

/// A `c=` line, or the address part of `a=rtcp` (RFC 8866 §5.7, RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection<'a> {
    /// `IN` in practice.
    pub nettype: Cow<'a, str>,
    /// `IP4`, `IP6` or another token.
    pub addrtype: Cow<'a, str>,
    /// The address without its `/ttl` and `/count` suffixes: an IP literal or a host name.
    pub address: Cow<'a, str>,
    /// Parsed address; `None` means a host name that is kept unresolved.
    pub ip: Option<IpAddr>,
    /// Multicast TTL (IP4 `addr/ttl[/count]`).
    pub ttl: Option<u8>,
    /// Number of multicast addresses (`/count` suffix).
    pub count: Option<u16>,
    /// Byte range of the address (without suffixes) within the SDP body: what NAT rewrites.
    pub address_span: Range<usize>,
    /// Byte range of the whole line (without its line end).
    pub line: Range<usize>,
}

impl Connection<'_> {
    /// `c=IN IP4 0.0.0.0`: the RFC 2543 way of putting a call on hold (RFC 3264 §8.4).
    pub fn is_hold_address(&self) -> bool {
        matches!(self.ip, Some(IpAddr::V4(a)) if a.is_unspecified())
    }

    /// 0.0.0.0 or `::`.
    pub fn is_unspecified(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_unspecified())
    }

    /// The address is a host name (no IP literal); the ALG must resolve it or refuse it.
    pub fn is_unresolved(&self) -> bool {
        self.ip.is_none()
    }

    pub fn is_multicast(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_multicast())
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bandwidth<'a> {
    pub bwtype: Cow<'a, str>,
    pub value: u64,
}

/// Media direction (RFC 3264 §5.1; RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_attribute(name: &str) -> Option<Direction> {
        // RFC 8866 §6.7: the four property attributes. Matched case-insensitively: some
        // endpoints write `a=sendRecv`.
        if name.eq_ignore_ascii_case("sendrecv") {
            Some(Direction::SendRecv)
        } else if name.eq_ignore_ascii_case("sendonly") {
            Some(Direction::SendOnly)
        } else if name.eq_ignore_ascii_case("recvonly") {
            Some(Direction::RecvOnly)
        } else if name.eq_ignore_ascii_case("inactive") {
            Some(Direction::Inactive)
        } else {
            None
        }
    }
}

/// The `<media>` field of `m=` (RFC 8866 §5.14); unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind<'a> {
    Audio,
    Video,
    Image,
    Application,
    Text,
    Message,
    Other(Cow<'a, str>),
}

impl<'a> MediaKind<'a> {
    fn from_text(s: Cow<'a, str>) -> MediaKind<'a> {
        const KNOWN: [(&str, MediaKind<'static>); 6] = [
            ("audio", MediaKind::Audio),
            ("video", MediaKind::Video),
            ("image", MediaKind::Image),
            ("application", MediaKind::Application),
            ("text", MediaKind::Text),
            ("message", MediaKind::Message),
        ];
        for (name, kind) in KNOWN {
            if s.eq_ignore_ascii_case(name) {
                return kind;
            }
        }
        MediaKind::Other(s)
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rtcp<'a> {
    pub port: u16,
    /// Byte range of the port token within the SDP body.
    pub port_span: Range<usize>,
    /// The optional address part.
    pub connection: Option<Connection<'a>>,
}

/// `a=ike-setup` (RFC 6193): the endpoint's role in the IKE exchange, like `a=setup` of
/// RFC 4145.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IkeSetup<'a> {
    Active,
    Passive,
    ActPass,
    Other(Cow<'a, str>),
}

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5, formerly RFC 4572 §5), and the
/// same shape assumed for `a=psk-fingerprint` (RFC 6193; grammar not checked against the RFC
/// text, which was not at hand: `hash-func SP value` is parsed, the raw line stays in
/// `attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint<'a> {
    pub hash_func: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// Which `c=` applies to a media section (RFC 8866 §5.7: media level overrides session level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionLevel {
    Media,
    Session,
}

/// One `m=` section (RFC 8866 §5.14) with what the ALG needs from its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media<'a> {
    pub kind: MediaKind<'a>,
    pub port: u16,
    /// Byte range of the port number (without `/count`) within the SDP body.
    pub port_span: Range<usize>,
    /// `m=audio 49170/2 ...`: number of ports (RTP/RTCP pairs for RTP profiles); 1 if absent.
    pub port_count: u16,
    /// Byte range of the `/count` number, if present.
    pub port_count_span: Option<Range<usize>>,
    /// Transport protocol as written: `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`...
    pub proto: Cow<'a, str>,
    /// The `<fmt>` list.
    pub formats: Vec<Cow<'a, str>>,
    /// Media-level `c=` lines (usually zero or one; several for layered multicast).
    pub connections: Vec<Connection<'a>>,
    /// Which `c=` applies: media level, session level, or none (invalid SDP, RFC 8866 §5.7).
    pub connection_level: Option<ConnectionLevel>,
    pub bandwidths: Vec<Bandwidth<'a>>,
    /// The direction attribute written in this section, if any.
    pub direction_attribute: Option<Direction>,
    /// Effective direction: media attribute, else session attribute, else sendrecv
    /// (RFC 3264 §5.1).
    pub direction: Direction,
    /// `a=rtcp` (RFC 3605).
    pub rtcp: Option<Rtcp<'a>>,
    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    pub rtcp_mux: bool,
    /// Effective RTCP port: `a=rtcp`, else the RTP port with `a=rtcp-mux`, else port + 1
    /// (RFC 3605 §2, RFC 3550 §11). `None` when the stream is disabled (port 0) or port + 1
    /// overflows.
    pub rtcp_port: Option<u16>,
    /// `a=ike-setup` (RFC 6193).
    pub ike_setup: Option<IkeSetup<'a>>,
    /// `a=fingerprint` lines.
    pub fingerprints: Vec<Fingerprint<'a>>,
    /// `a=psk-fingerprint` lines (RFC 6193).
    pub psk_fingerprints: Vec<Fingerprint<'a>>,
    /// All `a=` lines of the section, in order (T.38 attributes are found here raw).
    pub attributes: Attributes<'a>,
    /// Byte range of the whole `m=` line (without its line end).
    pub line: Range<usize>,
}

impl<'a> Media<'a> {
    /// The connection that applies to this media, media level first (RFC 8866 §5.7).
    pub fn effective_connection<'s>(
        &'s self,
        session: &'s SessionDescription<'a>,
    ) -> Option<&'s Connection<'a>> {
        self.connections.first().or(session.connection.as_ref())
    }

    /// Port 0: the stream is rejected or disabled (RFC 3264 §5.1, §6).
    pub fn is_disabled(&self) -> bool {
        self.port == 0
    }

    /// On hold: sendonly/inactive (RFC 3264 §8.4), or the old `c=IN IP4 0.0.0.0`.
    pub fn is_hold(&self, session: &SessionDescription<'a>) -> bool {
        matches!(self.direction, Direction::SendOnly | Direction::Inactive)
            || self
                .effective_connection(session)
                .is_some_and(Connection::is_hold_address)
    }

    /// T.38 fax: `m=image <port> udptl t38` (ITU-T T.38 Annex D; also `tcptl` and `tcp`).
    pub fn is_t38(&self) -> bool {
        self.kind == MediaKind::Image
            && ["udptl", "tcptl", "tcp"]
                .iter()
                .any(|p| self.proto.eq_ignore_ascii_case(p))
            && self.formats.iter().any(|f| f.eq_ignore_ascii_case("t38"))
    }

    /// The `a=T38...` attributes (T38FaxVersion, T38FaxRateManagement, ...), raw.
    pub fn t38_attributes(&self) -> impl Iterator<Item = &(Cow<'a, str>, Option<Cow<'a, str>>)> {
        self.attributes.iter().filter(|(n, _)| {
            n.as_bytes()
                .get(..3)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"t38"))
        })
    }

    /// IKE media (RFC 6193 §4.1): proto `ike-esp` or `ike-esp-udpencap`.
    pub fn is_ike(&self) -> bool {
        self.proto.eq_ignore_ascii_case("ike-esp")
            || self.proto.eq_ignore_ascii_case("ike-esp-udpencap")
    }

    /// RTP-based proto (`RTP/...` or `.../RTP/...`), for which port + 1 carries RTCP.
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
    }

    /// First attribute value by name (case-insensitive), `Some(None)` for a flag attribute.
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        find_attribute(&self.attributes, name)
    }
}

impl SessionDescription<'_> {
    /// Session-level `b=AS` (kbit/s).
    pub fn bandwidth_as(&self) -> Option<u64> {
        bandwidth_as(&self.bandwidths)
    }

    /// First session attribute value by name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        find_attribute(&self.attributes, name)
    }
}

impl Media<'_> {
    /// Media-level `b=AS` (kbit/s).
    pub fn bandwidth_as(&self) -> Option<u64> {
        bandwidth_as(&self.bandwidths)
    }
}

fn bandwidth_as(b: &[Bandwidth<'_>]) -> Option<u64> {
    b.iter()
        .find(|b| b.bwtype.eq_ignore_ascii_case("AS"))
        .map(|b| b.value)
}

fn find_attribute<'s>(attrs: &'s Attributes<'_>, name: &str) -> Option<Option<&'s str>> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref())
}

impl MediaKind<'_> {
    /// The `<media>` token: the lowercase name of a known kind, else as written.
    pub fn as_str(&self) -> &str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Image => "image",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Other(s) => s,
        }
    }
}

/// Parse an SDP body with the default limits.
pub fn parse(body: &[u8]) -> Result<SessionDescription<'_>, ParseError> {
    parse_with(body, &SdpLimits::default())
}

/// Parse an SDP body leniently into the model (see the module documentation). Error offsets
/// are relative to `body`.
pub fn parse_with<'a>(
    body: &'a [u8],
    limits: &SdpLimits,
) -> Result<SessionDescription<'a>, ParseError> {
    Scanner::new(body).run(limits)
}

// ---------------------------------------------------------------------------------------------
// The scanner.

fn bad(at: usize) -> ParseError {
    ParseError::new(ErrorKind::BadSdp, at)
}

/// SP and HTAB: the blanks of RFC 8866 §9 (`SP`; HTAB tolerated).
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Field separators inside structured lines: blanks, plus NUL and a bare CR, which cannot be
/// part of a field (RFC 8866 §9 `byte-string` excludes them).
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0)
}

/// Trimmed from attribute names and values.
fn is_trimmed(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0 | 0x0b | 0x0c)
}

/// Keys whose values are blank-separated fields (RFC 8866 §9 grammar).
fn is_structured(key: u8) -> bool {
    matches!(key, b'o' | b'c' | b'b' | b't' | b'r' | b'z' | b'm' | b'v')
}

/// Anything but single spaces between fields (a leading blank, a tab, two blanks in a row).
/// `sdp-types` splits structured lines on single spaces. Written without early exit so that
/// it compiles to vector code (structured lines are short).
fn irregular_blanks(v: &[u8]) -> bool {
    let first = v.first().copied().is_some_and(is_blank);
    let tab = v.iter().fold(false, |acc, &b| acc | (b == b'\t'));
    let double = v
        .iter()
        .zip(v.iter().skip(1))
        .fold(false, |acc, (&a, &b)| acc | ((a == b' ') & (b == b' ')));
    first | tab | double
}

/// The end of the line starting `hay`: the position of its LF (`None` for a last line
/// without one), and whether the line holds a NUL or a CR other than one just before the LF
/// (RFC 8866 §9: neither belongs inside a line; tolerated, but not strict).
///
/// SDP lines are short (20 to 60 bytes), where a `memchr` call per line costs more than it
/// saves; this reads 8 bytes at a time with the classic "has a zero byte" test, the lowest
/// flagged byte of which is exact (borrows only run upwards).
fn find_line_end(hay: &[u8]) -> (Option<usize>, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    const CR: u64 = 0x0d0d_0d0d_0d0d_0d0d;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // First NUL or CR seen so far, if any.
    let mut special: Option<usize> = None;
    let verdict = |lf: usize, special: Option<usize>| match special {
        Some(s) if s + 1 < lf => true,
        Some(s) => hay.get(s) == Some(&0),
        None => false,
    };
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0usize;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        let sp = zero(w ^ CR) | zero(w);
        if special.is_none() && sp != 0 {
            special = Some(at + (sp.trailing_zeros() / 8) as usize);
        }
        let lf = zero(w ^ LF);
        if lf != 0 {
            let lf = at + (lf.trailing_zeros() / 8) as usize;
            return (Some(lf), verdict(lf, special.filter(|&s| s < lf)));
        }
        at += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'\n' {
            return (Some(at + i), verdict(at + i, special));
        }
        if special.is_none() && (b == b'\r' || b == 0) {
            special = Some(at + i);
        }
    }
    // No LF: any NUL or CR inside (a CR at the very end is handled as a blank line end).
    (None, verdict(hay.len(), special))
}

/// The address of `o=`, `c=` and `a=rtcp` as `std`'s `IpAddr` parser reads it (that is the
/// contract of the `ip` fields: an IPv4 literal in dotted-decimal form without leading zeros,
/// or an IPv6 literal), with the usual IPv4 case done in one pass over the bytes: `IpAddr`'s
/// `FromStr` runs a general-purpose parser for each family in turn.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let b = text.as_bytes();
    if let Some(v4) = parse_ipv4_strict(b) {
        return Some(IpAddr::V4(v4));
    }
    // Not IPv4; IPv6 cannot be written without a colon, so host names need no parser call.
    if !b.contains(&b':') {
        return None;
    }
    text.parse().ok()
}

/// RFC 8866 §9 `IP4-address = b1 3("." decimal-uchar)` with `decimal-uchar` 0 to 255 written
/// without leading zeros, as `std`'s parser reads it (a proptest holds the two equal).
fn parse_ipv4_strict(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    let digit = |i: usize| match b.get(i) {
        Some(&c) if c.is_ascii_digit() => Some(u16::from(c - b'0')),
        _ => None,
    };
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, slot) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let mut v = digit(i)?;
        i += 1;
        if let Some(d) = digit(i) {
            if v == 0 {
                return None; // leading zero
            }
            v = v * 10 + d;
            i += 1;
            if let Some(d) = digit(i) {
                v = v * 10 + d;
                i += 1;
            }
        }
        *slot = u8::try_from(v).ok()?;
    }
    (i == b.len()).then(|| std::net::Ipv4Addr::from(octets))
}

/// Position of `needle` in a short field (a few bytes: cheaper than a `memchr` call).
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Separator-delimited tokens of a byte range, as absolute ranges.
#[derive(Clone)]
struct Tokens<'a> {
    /// What is left of the range.
    rest: &'a [u8],
    /// Offset of `rest` in the body.
    base: usize,
}

impl<'a> Tokens<'a> {
    fn new(body: &'a [u8], r: Range<usize>) -> Tokens<'a> {
        let base = r.start;
        Tokens {
            rest: body.get(r).unwrap_or_default(),
            base,
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let skip = self.rest.iter().position(|&b| !is_separator(b))?;
        let after = self.rest.get(skip..).unwrap_or_default();
        let len = after
            .iter()
            .position(|&b| is_separator(b))
            .unwrap_or(after.len());
        let start = self.base + skip;
        self.rest = after.get(len..).unwrap_or_default();
        self.base = start + len;
        Some(start..start + len)
    }
}

/// A decimal number as `str::parse` reads it (an optional `+`, then 1 or more digits; RFC 8866
/// §9 has no sign, `sdp-types` accepts one), or `None` on overflow of `T`.
fn decimal<T: TryFrom<u64>>(b: &[u8]) -> Option<T> {
    let digits = b.strip_prefix(b"+").unwrap_or(b);
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    T::try_from(n).ok()
}

struct Scanner<'a> {
    body: &'a [u8],
    /// The whole body as text when it is valid UTF-8 (the usual case): every slice of it at
    /// an ASCII delimiter is then borrowed without another check.
    text: Option<&'a str>,
}

/// Bit for a line type letter, for the "at most once" checks (RFC 8866 §5).
fn key_bit(key: u8) -> u32 {
    1u32 << (key.to_ascii_lowercase().wrapping_sub(b'a') & 31)
}

impl<'a> Scanner<'a> {
    fn new(body: &'a [u8]) -> Scanner<'a> {
        Scanner {
            body,
            text: std::str::from_utf8(body).ok(),
        }
    }

    fn bytes(&self, r: Range<usize>) -> &'a [u8] {
        self.body.get(r).unwrap_or_default()
    }

    /// Text of a range: borrowed when it is UTF-8, else converted lossily.
    fn text(&self, r: Range<usize>) -> Cow<'a, str> {
        if let Some(t) = self.text.and_then(|t| t.get(r.clone())) {
            return Cow::Borrowed(t);
        }
        String::from_utf8_lossy(self.bytes(r))
    }

    /// A decimal number (`str::parse` rules, as `sdp-types` uses).
    fn number<T: TryFrom<u64>>(&self, r: Range<usize>) -> Option<T> {
        decimal(self.bytes(r))
    }

    fn tokens(&self, r: Range<usize>) -> Tokens<'a> {
        Tokens::new(self.body, r)
    }

    /// `r` without leading and trailing blanks (and NUL, CR, VT, FF).
    fn trim(&self, r: Range<usize>) -> Range<usize> {
        let (mut s, mut e) = (r.start, r.end.min(self.body.len()));
        while s < e && self.body.get(s).copied().is_some_and(is_trimmed) {
            s += 1;
        }
        while e > s && self.body.get(e - 1).copied().is_some_and(is_trimmed) {
            e -= 1;
        }
        s..e
    }

    fn run(&self, limits: &SdpLimits) -> Result<SessionDescription<'a>, ParseError> {
        let body = self.body;
        let mut sd = SessionDescription {
            origin: None,
            session_name: Cow::Borrowed(""),
            connection: None,
            bandwidths: Vec::new(),
            direction: None,
            fingerprints: Vec::new(),
            attributes: Vec::new(),
            media: Vec::new(),
            normalized: self.text.is_none(),
        };
        // `Some(seen)` once the first `m=` line is read: the section being read is the last of
        // `sd.media`, and `seen` its "at most once" bits.
        let mut in_media: Option<u32> = None;
        let mut session_seen = 0u32;
        let mut lines = 0usize;
        let mut pos = 0usize;
        while pos < body.len() {
            // RFC 8866 §5: lines end in CRLF; LF alone is accepted (as sdp-types does).
            let (lf, stray) = find_line_end(self.bytes(pos..body.len()));
            sd.normalized |= stray;
            let (line_end, next) = match lf {
                Some(i) => (pos + i, pos + i + 1),
                None => (body.len(), body.len()),
            };
            let mut end = line_end;
            while end > pos
                && body
                    .get(end - 1)
                    .is_some_and(|&b| is_blank(b) || b == b'\r')
            {
                end -= 1;
            }
            // Exactly one CR before an LF is the line end; anything else stripped is tolerated.
            let stripped = line_end - end;
            if stripped > 0 && !(stripped == 1 && body.get(end) == Some(&b'\r') && next > line_end)
            {
                sd.normalized = true;
            }
            let start = pos;
            pos = next;
            if end == start {
                continue; // empty or blank-only line
            }
            // RFC 8866 §5: `<type>=<value>`, type a single letter.
            let key = match (body.get(start), body.get(start + 1)) {
                (Some(&k), Some(b'=')) if k.is_ascii_alphabetic() => k,
                _ => return Err(bad(start)),
            };
            if lines >= limits.max_lines {
                return Err(ParseError::new(ErrorKind::TooManyValues, start));
            }
            lines += 1;
            let value = start + 2..end;
            if is_structured(key) && irregular_blanks(self.bytes(value.clone())) {
                sd.normalized = true;
            }
            let line = start..end;

            if lines == 1 {
                // RFC 8866 §5.1: the first line is `v=0`.
                if key != b'v' {
                    return Err(bad(0));
                }
                if self.bytes(self.trim(value)) != b"0" {
                    return Err(bad(start));
                }
                continue;
            }

            if key == b'm' {
                if sd.media.len() >= limits.max_media {
                    return Err(ParseError::new(ErrorKind::TooManyValues, start));
                }
                finish_media(&mut sd);
                if sd.media.capacity() == 0 {
                    // Most offers have one or two sections; a Media is about 440 bytes.
                    sd.media.reserve_exact(2);
                }
                sd.media.push(self.media_line(value, line)?);
                in_media = Some(0);
                continue;
            }

            match (&mut in_media, sd.media.last_mut()) {
                (Some(seen), Some(m)) => self.media_level_line(m, seen, key, value, line)?,
                _ => self.session_line(&mut sd, &mut session_seen, key, value, line)?,
            }
        }
        if lines == 0 {
            return Err(bad(0)); // no `v=` line
        }

        finish_media(&mut sd);
        Ok(sd)
    }

    /// A line before the first `m=` (RFC 8866 §5.2–§5.13).
    fn session_line(
        &self,
        sd: &mut SessionDescription<'a>,
        seen: &mut u32,
        key: u8,
        value: Range<usize>,
        line: Range<usize>,
    ) -> Result<(), ParseError> {
        // RFC 8866 §5: these appear at most once at session level.
        if matches!(key, b'o' | b's' | b'i' | b'u' | b'c' | b'z' | b'k') {
            if *seen & key_bit(key) != 0 {
                return Err(bad(line.start));
            }
            *seen |= key_bit(key);
        }
        match key {
            b'o' => sd.origin = Some(self.origin(value, line)?),
            // RFC 8866 §5.3: `s=<session name>`, free text.
            b's' => sd.session_name = self.text(value),
            b'c' => sd.connection = Some(self.connection(value, line)?),
            b'b' => sd.bandwidths.push(self.bandwidth(value, line.start)?),
            b'a' => {
                let (name, v) = self.attribute(value);
                let (n, val) = (self.text(name), v.clone().map(|v| self.text(v)));
                if val.is_none() && sd.direction.is_none() {
                    sd.direction = Direction::from_attribute(&n);
                }
                if n.eq_ignore_ascii_case("fingerprint") {
                    sd.fingerprints.extend(v.and_then(|v| self.fingerprint(v)));
                }
                sd.attributes.push((n, val));
            }
            _ => {}
        }
        Ok(())
    }

    /// A line inside an `m=` section (RFC 8866 §5.14: `i=`, `c=`, `b=`, `k=`, `a=`).
    fn media_level_line(
        &self,
        m: &mut Media<'a>,
        seen: &mut u32,
        key: u8,
        value: Range<usize>,
        line: Range<usize>,
    ) -> Result<(), ParseError> {
        match key {
            b'i' | b'k' => {
                if *seen & key_bit(key) != 0 {
                    return Err(bad(line.start));
                }
                *seen |= key_bit(key);
            }
            // RFC 8866 §5.7: several `c=` lines are allowed at media level (layered multicast).
            b'c' => m.connections.push(self.connection(value, line)?),
            b'b' => m.bandwidths.push(self.bandwidth(value, line.start)?),
            b'a' => {
                let (name, v) = self.attribute(value.clone());
                let (n, val) = (self.text(name), v.clone().map(|v| self.text(v)));
                if val.is_none() && m.direction_attribute.is_none() {
                    m.direction_attribute = Direction::from_attribute(&n);
                }
                if n.eq_ignore_ascii_case("rtcp-mux") {
                    m.rtcp_mux = true;
                } else if let Some(v) = v {
                    if n.eq_ignore_ascii_case("rtcp") {
                        if m.rtcp.is_none() {
                            m.rtcp = self.rtcp(v, line);
                        }
                    } else if n.eq_ignore_ascii_case("ike-setup") {
                        m.ike_setup = Some(ike_setup(self.text(self.trim(v))));
                    } else if n.eq_ignore_ascii_case("fingerprint") {
                        m.fingerprints.extend(self.fingerprint(v));
                    } else if n.eq_ignore_ascii_case("psk-fingerprint") {
                        m.psk_fingerprints.extend(self.fingerprint(v));
                    }
                }
                if m.attributes.capacity() == 0 {
                    m.attributes.reserve(8); // a typical audio section has 4 to 8
                }
                m.attributes.push((n, val));
            }
            _ => {}
        }
        Ok(())
    }

    /// RFC 8866 §5.2: `o=<username> <sess-id> <sess-version> <nettype> <addrtype>
    /// <unicast-address>`; sess-version is a number (sdp-types reads it as u64).
    fn origin(&self, value: Range<usize>, line: Range<usize>) -> Result<Origin<'a>, ParseError> {
        let mut t = self.tokens(value);
        let mut f: [Range<usize>; 6] = Default::default();
        for slot in &mut f {
            *slot = t.next().ok_or(bad(line.start))?;
        }
        if t.next().is_some() {
            return Err(bad(line.start));
        }
        let [user, id, version, nettype, addrtype, address] = f;
        let sess_version = self.number(version).ok_or(bad(line.start))?;
        let address_text = self.text(address.clone());
        Ok(Origin {
            username: self.text(user),
            sess_id: self.text(id),
            sess_version,
            nettype: self.text(nettype),
            addrtype: self.text(addrtype),
            ip: parse_ip(&address_text),
            address: address_text,
            address_span: address,
            line,
        })
    }

    /// RFC 8866 §5.7: `c=<nettype> <addrtype> <connection-address>`.
    fn connection(
        &self,
        value: Range<usize>,
        line: Range<usize>,
    ) -> Result<Connection<'a>, ParseError> {
        let mut t = self.tokens(value);
        let (Some(n), Some(a), Some(c), None) = (t.next(), t.next(), t.next(), t.next()) else {
            return Err(bad(line.start));
        };
        Ok(self.make_connection(n, a, c, line))
    }

    /// The address may carry `/ttl[/count]` (IP4) or `/count` (IP6) (RFC 8866 §5.7);
    /// `address_span` is the address without them.
    fn make_connection(
        &self,
        nettype: Range<usize>,
        addrtype: Range<usize>,
        full: Range<usize>,
        line: Range<usize>,
    ) -> Connection<'a> {
        let addr_end =
            find_byte(self.bytes(full.clone()), b'/').map_or(full.end, |i| full.start + i);
        let span = full.start..addr_end;
        let (first, second) = if addr_end < full.end {
            let rest = addr_end + 1..full.end;
            match find_byte(self.bytes(rest.clone()), b'/') {
                Some(i) => (
                    Some(rest.start..rest.start + i),
                    Some(rest.start + i + 1..full.end),
                ),
                None => (Some(rest), None),
            }
        } else {
            (None, None)
        };
        let addrtype_text = self.text(addrtype);
        let (ttl, count) = if addrtype_text.eq_ignore_ascii_case("IP4") {
            (
                first.and_then(|r| self.number(r)),
                second.and_then(|r| self.number(r)),
            )
        } else {
            (None, first.and_then(|r| self.number(r)))
        };
        let address = self.text(span.clone());
        Connection {
            nettype: self.text(nettype),
            addrtype: addrtype_text,
            ip: parse_ip(&address),
            address,
            ttl,
            count,
            address_span: span,
            line,
        }
    }

    /// RFC 8866 §5.8: `b=<bwtype>:<bandwidth>`, bandwidth a number.
    fn bandwidth(&self, value: Range<usize>, at: usize) -> Result<Bandwidth<'a>, ParseError> {
        let value = self.trim(value);
        let colon = find_byte(self.bytes(value.clone()), b':').ok_or(bad(at))?;
        let bwtype = value.start..value.start + colon;
        let number = self
            .number(value.start + colon + 1..value.end)
            .ok_or(bad(at))?;
        Ok(Bandwidth {
            bwtype: self.text(bwtype),
            value: number,
        })
    }

    /// RFC 8866 §5.13: `a=<attribute>` or `a=<attribute>:<value>`; the name ends at the first
    /// colon. Returns trimmed ranges.
    fn attribute(&self, value: Range<usize>) -> (Range<usize>, Option<Range<usize>>) {
        match find_byte(self.bytes(value.clone()), b':') {
            Some(i) => (
                self.trim(value.start..value.start + i),
                Some(self.trim(value.start + i + 1..value.end)),
            ),
            None => (self.trim(value), None),
        }
    }

    /// RFC 8122 §5: `fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint`.
    fn fingerprint(&self, value: Range<usize>) -> Option<Fingerprint<'a>> {
        let mut t = self.tokens(value);
        let hash_func = t.next()?;
        let value = t.next()?;
        Some(Fingerprint {
            hash_func: self.text(hash_func),
            value: self.text(value),
        })
    }

    /// RFC 3605 §2.1: `rtcp-attribute = "a=rtcp:" port [nettype space addrtype space
    /// connection-address] CRLF`. `value` is what follows the colon; `line` the whole line.
    fn rtcp(&self, value: Range<usize>, line: Range<usize>) -> Option<Rtcp<'a>> {
        let mut t = self.tokens(value);
        let port_span = t.next()?;
        if !self.bytes(port_span.clone()).iter().all(u8::is_ascii_digit) {
            return None;
        }
        let port = self.number(port_span.clone())?;
        let connection = match (t.next(), t.next(), t.next()) {
            (Some(n), Some(a), Some(c)) => Some(self.make_connection(n, a, c, line)),
            _ => None,
        };
        Some(Rtcp {
            port,
            port_span,
            connection,
        })
    }

    /// RFC 8866 §5.14: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`; port and
    /// number of ports are 16-bit numbers, at least one `<fmt>`.
    fn media_line(&self, value: Range<usize>, line: Range<usize>) -> Result<Media<'a>, ParseError> {
        let at = line.start;
        let mut t = self.tokens(value);
        let (Some(kind), Some(port_token), Some(proto)) = (t.next(), t.next(), t.next()) else {
            return Err(bad(at));
        };
        let slash = find_byte(self.bytes(port_token.clone()), b'/');
        let port_span = slash.map_or(port_token.clone(), |i| {
            port_token.start..port_token.start + i
        });
        let port_count_span = slash.map(|i| port_token.start + i + 1..port_token.end);
        let port = self.number(port_span.clone()).ok_or(bad(at))?;
        let port_count = match &port_count_span {
            Some(r) => self.number(r.clone()).ok_or(bad(at))?,
            None => 1,
        };
        let n_formats = t.clone().count();
        if n_formats == 0 {
            return Err(bad(at));
        }
        let mut formats = Vec::with_capacity(n_formats);
        for r in t {
            formats.push(self.text(r));
        }
        Ok(Media {
            kind: MediaKind::from_text(self.text(kind)),
            port,
            port_span,
            port_count,
            port_count_span,
            proto: self.text(proto),
            formats,
            connections: Vec::new(),
            connection_level: None,
            bandwidths: Vec::new(),
            direction_attribute: None,
            direction: Direction::SendRecv,
            rtcp: None,
            rtcp_mux: false,
            rtcp_port: None,
            ike_setup: None,
            fingerprints: Vec::new(),
            psk_fingerprints: Vec::new(),
            attributes: Vec::new(),
            line,
        })
    }
}

/// Completes the last `m=` section with the values that depend on the whole section or on
/// the session level. Run once per section, when the next `m=` or the end is reached.
fn finish_media(sd: &mut SessionDescription<'_>) {
    let session_connection = sd.connection.is_some();
    let session_direction = sd.direction;
    let Some(m) = sd.media.last_mut() else {
        return;
    };
    m.connection_level = if !m.connections.is_empty() {
        Some(ConnectionLevel::Media)
    } else if session_connection {
        Some(ConnectionLevel::Session)
    } else {
        None // invalid by RFC 8866 §5.7, kept for the caller to judge
    };
    // RFC 3264 §5.1: media attribute, else session attribute, else sendrecv.
    m.direction = m
        .direction_attribute
        .or(session_direction)
        .unwrap_or(Direction::SendRecv);
    // RFC 3605 §2, RFC 5761 §5.1.1, RFC 3550 §11.
    m.rtcp_port = if m.port == 0 {
        None
    } else if let Some(r) = &m.rtcp {
        Some(r.port)
    } else if m.rtcp_mux {
        Some(m.port)
    } else {
        m.port.checked_add(1)
    };
}

fn ike_setup(v: Cow<'_, str>) -> IkeSetup<'_> {
    // RFC 6193: ike-setup-attr = "a=ike-setup:" role; role = "active" / "passive" / "actpass"
    if v.eq_ignore_ascii_case("active") {
        IkeSetup::Active
    } else if v.eq_ignore_ascii_case("passive") {
        IkeSetup::Passive
    } else if v.eq_ignore_ascii_case("actpass") {
        IkeSetup::ActPass
    } else {
        IkeSetup::Other(v)
    }
}
