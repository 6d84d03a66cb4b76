//! SDP (RFC 8866, formerly RFC 4566) reduced to what a SIP ALG needs to open pinholes and to
//! rewrite addresses for NAT.
//!
//! # Why the model is scanned by hand
//!
//! The project rule is to write by hand only what no crate does well. Here no crate does:
//!
//! * the ALG needs the byte range of every token a NAT rewrite may replace (`c=` and `o=`
//!   addresses, `m=` ports, `a=rtcp` ports and addresses); the `sdp-types` crate reports none;
//! * `sdp-types` allocates one `String` per field (about 1.3 µs for an 11-line G.711 offer),
//!   and running it *and* a position scan cost about 2.5–3 µs, ten times the budget of a
//!   firewall that must parse 1.5 M INVITEs per second per core;
//! * the ALG must tolerate what real endpoints send (see below), which `sdp-types` rejects.
//!
//! So [`parse`] is a single pass over the body's lines that builds a model borrowing from the
//! body, with byte ranges beside the values, and `sdp-types` stays the *strict* validator:
//! [`validate_strict`] is what the conformance profile uses to refuse an `application/sdp`
//! body a conforming parser refuses. A test checks that, on every SDP of the unit tests and on
//! generated well-formed SDPs, both agree on the fields both know.
//!
//! # Cost
//!
//! The parse is on the path of every SIP message with a body, next to the SIP parse, and the
//! hot code of both must fit the L1 i-cache (see `examples/parse_loop.rs`). So: text fields
//! are [`Text`] spans of the body (no UTF-8 check per field, no drop code; converted, lossily,
//! only when shown); the lists the ALG rarely reads, [`Attributes`] and [`Formats`], are spans
//! split on demand, and the first media section is stored inline ([`MediaList`]), so the
//! common one-section parse allocates nothing; the `o=` address is parsed on demand
//! ([`Origin::ip`]); the line loop calls one small out-of-line function per line type it
//! reads, and none for the lines the model does not read (`t=`, and the `a=` lines whose
//! name, seen in the first word, is none the model keeps: `rtpmap`, `fmtp`...); rare forms
//! (fingerprints, `a=ike-setup`, `a=rtcp` with an address, multicast suffixes, IPv6,
//! irregular blanks) are cold; the line ends and fields are found eight bytes at a time,
//! stray bytes 32 at a time.
//!
//! # What the scanner accepts (RFC 8866 §5, §9)
//!
//! * Lines are `<type>=<value>`, ending in CRLF or LF alone; empty and blank-only lines are
//!   skipped; a line of another shape is an error at its start.
//! * The first line must be `v=0` (§5.1). `o=`, `s=`, `t=` may be missing (as `sdp-types`
//!   allows); at session level `o=`, `s=`, `i=`, `u=`, `c=`, `z=`, `k=` may appear once, at
//!   media level `i=` and `k=` once (§5: "at most one").
//! * `o=`, `c=`, `b=`, `m=` are checked against their grammar (field count, numbers); their
//!   fields are separated by any run of blanks (SP, HTAB; a NUL or a CR inside a line counts
//!   as a blank). Lines the ALG does not use (`t=`, `r=`, `z=`, `k=`, `e=`, `p=`, `u=`,
//!   `i=`) are not checked further: that is [`validate_strict`]'s job.
//! * Tolerated deviations, flagged by [`SessionDescription::normalized`]: trailing blanks,
//!   runs of blanks or tabs between fields, NUL or bare CR inside a line, a last line ending
//!   in CR alone, non-UTF-8 bytes (text is then shown lossily, U+FFFD). Attribute names
//!   and values are trimmed of blanks; a NUL inside an `a=` or `s=` value is kept as it is.
//!
//! # Limits
//! [`SdpLimits`]: number of lines and of media sections ([`ErrorKind::TooManyValues`]).

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use serde::Serialize;

use crate::error::{ErrorKind, ParseError};
use crate::sip::text::{splat, word_eq_ignore_case, zero_bytes};

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

/// Text of the body as written: a span of its bytes, UTF-8 in practice. When it is not,
/// [`Text::as_str`], `Display` and serialization replace the bad bytes by U+FFFD (as
/// `String::from_utf8_lossy`). Kept as bytes so that parsing neither checks nor copies
/// text, and the model has no drop code.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    /// The bytes as written.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The text, borrowed when it is UTF-8, else converted lossily (U+FFFD).
    pub fn as_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.0)
    }

    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }

    pub fn to_ascii_lowercase(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Text<'_>> for String {
    fn eq(&self, other: &Text<'_>) -> bool {
        other == self.as_str()
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        other == self
    }
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl std::fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.as_str(), f)
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

/// One `a=` line as `(name, value)`; `a=rtcp-mux` is `("rtcp-mux", None)`, `a=rtcp:53020` is
/// `("rtcp", Some("53020"))` (RFC 8866 §5.13). Name and value are trimmed of blanks.
///
/// Names and values borrow from the body; they are owned only when the bytes are not UTF-8
/// (replaced lossily, U+FFFD), which real endpoints send in rare `a=` text values.
pub type Attribute<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// The `a=` lines of the session level or of one `m=` section, in order.
///
/// Kept as the span of the level's lines and split on demand ([`Attributes::iter`]): the
/// parser reads the attributes the ALG needs into typed fields, and storing every line too
/// would cost a `Vec` per level on every parse where the JSON view and T.38 checks read them
/// rarely. Serialized as a list of `[name, value]` pairs.
#[derive(Clone, Copy, Default)]
pub struct Attributes<'a> {
    /// The level's lines, already checked by the parser (every non-empty line is `<x>=...`).
    lines: &'a [u8],
}

impl<'a> Attributes<'a> {
    /// The `a=` lines in order.
    pub fn iter(&self) -> AttributeIter<'a> {
        AttributeIter { rest: self.lines }
    }

    /// Number of `a=` lines.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<'a> IntoIterator for &Attributes<'a> {
    type Item = Attribute<'a>;
    type IntoIter = AttributeIter<'a>;
    fn into_iter(self) -> AttributeIter<'a> {
        self.iter()
    }
}

impl PartialEq for Attributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Attributes<'_> {}

impl std::fmt::Debug for Attributes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Attributes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Iterator over the `a=` lines of an [`Attributes`] span.
#[derive(Clone)]
pub struct AttributeIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        while !self.rest.is_empty() {
            // The same lines as the parser's: split at LF; trailing blanks and CR go with the
            // trimming of the name or value below.
            let (line, rest) = match find_byte(self.rest, b'\n') {
                Some(i) => (
                    self.rest.get(..i).unwrap_or_default(),
                    self.rest.get(i + 1..).unwrap_or_default(),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            if let Some(v) = line.strip_prefix(b"a=") {
                let (n, val) = split_attribute(v);
                let text = |r: Range<usize>| String::from_utf8_lossy(v.get(r).unwrap_or_default());
                return Some((text(n), val.map(text)));
            }
        }
        None
    }
}

/// The `<fmt>` list of an `m=` line (RFC 8866 §5.14), as the span of the line from its first
/// format on, split on demand ([`Formats::iter`]) rather than into a `Vec` per section.
/// Serialized as a list of strings.
#[derive(Clone, Copy)]
pub struct Formats<'a> {
    /// From the first format to the end of the line (trailing blanks dropped).
    raw: &'a [u8],
}

impl<'a> Formats<'a> {
    /// The formats in order (non-UTF-8 bytes replaced by U+FFFD).
    pub fn iter(&self) -> impl Iterator<Item = Cow<'a, str>> + Clone + 'a {
        let raw = self.raw;
        Tokens::new(raw, 0..raw.len())
            .map(move |r| String::from_utf8_lossy(raw.get(r).unwrap_or_default()))
    }

    /// Number of formats (at least one in a parsed `m=` line).
    pub fn len(&self) -> usize {
        Tokens::new(self.raw, 0..self.raw.len()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A format equal to `f`, ignoring ASCII case.
    pub fn contains_ignore_case(&self, f: &str) -> bool {
        Tokens::new(self.raw, 0..self.raw.len()).any(|r| {
            self.raw
                .get(r)
                .is_some_and(|t| t.eq_ignore_ascii_case(f.as_bytes()))
        })
    }
}

impl PartialEq for Formats<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Formats<'_> {}

impl<const N: usize> PartialEq<[&str; N]> for Formats<'_> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

impl std::fmt::Debug for Formats<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Formats<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// A parsed session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionDescription<'a> {
    /// `o=` line (RFC 8866 §5.2); `None` when the body has no `o=` line.
    pub origin: Option<Origin<'a>>,
    /// `s=` (RFC 8866 §5.3) as written (leading blanks kept, trailing ones dropped); empty
    /// when absent; non-UTF-8 bytes are shown as U+FFFD ([`Text`]).
    pub session_name: Text<'a>,
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
    /// `m=` sections, in order. The first is stored inline: most bodies have one, and a
    /// `Vec` cost a heap allocation and its free on every parse.
    #[serde(serialize_with = "serialize_media")]
    pub media: MediaList<'a>,
    /// True when the body is not in the strict form `sdp-types` accepts as it is and the
    /// scanner had to tolerate something (see the module documentation).
    pub normalized: bool,
}

/// The `m=` sections of a [`SessionDescription`]: the first inline, more on the heap.
pub type MediaList<'a> = smallvec::SmallVec<[Media<'a>; 1]>;

fn serialize_media<S: serde::Serializer>(m: &MediaList<'_>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.iter())
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
///
/// The address is parsed on demand ([`Origin::ip`]): the ALG rewrites it as text through
/// `address_span` and rarely needs its value, and parsing it costs as much as the rest of the
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'a> {
    /// `-` when the user name is not given.
    pub username: Text<'a>,
    pub sess_id: Text<'a>,
    pub sess_version: u64,
    pub nettype: Text<'a>,
    pub addrtype: Text<'a>,
    /// Address as written (IP literal or FQDN).
    pub address: Text<'a>,
    /// Byte range of the address token within the SDP body.
    pub address_span: Range<usize>,
    /// Byte range of the whole `o=` line (without its line end).
    pub line: Range<usize>,
}

impl Origin<'_> {
    /// The parsed address (the same reading as the `ip` of [`Connection`]); `None` for a host
    /// name (left unresolved).
    pub fn ip(&self) -> Option<IpAddr> {
        parse_ip(self.address.as_bytes())
    }
}

/// Serialised with the parsed `ip` beside `address`, as the model showed it before `ip`
/// became a method (`sipwall sip parse --json` keeps its shape).
impl Serialize for Origin<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut o = s.serialize_struct("Origin", 9)?;
        o.serialize_field("username", &self.username)?;
        o.serialize_field("sess_id", &self.sess_id)?;
        o.serialize_field("sess_version", &self.sess_version)?;
        o.serialize_field("nettype", &self.nettype)?;
        o.serialize_field("addrtype", &self.addrtype)?;
        o.serialize_field("address", &self.address)?;
        o.serialize_field("ip", &self.ip())?;
        o.serialize_field("address_span", &self.address_span)?;
        o.serialize_field("line", &self.line)?;
        o.end()
    }
}

/// A `c=` line, or the address part of `a=rtcp` (RFC 8866 §5.7, RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection<'a> {
    /// `IN` in practice.
    pub nettype: Text<'a>,
    /// `IP4`, `IP6` or another token.
    pub addrtype: Text<'a>,
    /// The address without its `/ttl` and `/count` suffixes: an IP literal or a host name.
    pub address: Text<'a>,
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
    pub bwtype: Text<'a>,
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
    /// RFC 8866 §6.7: the four property attributes, eight letters each, matched
    /// case-insensitively (some endpoints write `a=sendRecv`) as one 64-bit word: setting
    /// bit 5 of every byte lowercases letters, and a byte that becomes a lowercase letter
    /// was that letter in either case, so the compare is exact.
    fn from_name(name: &[u8]) -> Option<Direction> {
        const fn word(s: &[u8; 8]) -> u64 {
            u64::from_le_bytes(*s)
        }
        const SENDRECV: u64 = word(b"sendrecv");
        const SENDONLY: u64 = word(b"sendonly");
        const RECVONLY: u64 = word(b"recvonly");
        const INACTIVE: u64 = word(b"inactive");
        let name: [u8; 8] = name.try_into().ok()?;
        match u64::from_le_bytes(name) | 0x2020_2020_2020_2020 {
            SENDRECV => Some(Direction::SendRecv),
            SENDONLY => Some(Direction::SendOnly),
            RECVONLY => Some(Direction::RecvOnly),
            INACTIVE => Some(Direction::Inactive),
            _ => None,
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
    Other(Text<'a>),
}

impl MediaKind<'_> {
    /// A known `<media>` token (case-insensitive) of `len` bytes, `w` its first 8 bytes as a
    /// little-endian word with any byte past `len` a letter (see [`word_at`]), `tail` its
    /// last 8 bytes when it has 11; `None` for another token. One word compare: every known
    /// name is letters only, so setting bit 5 of each byte lowercases the token and a byte
    /// then equal to a lowercase letter was that letter in either case (as
    /// [`Direction::from_name`]).
    fn known(len: usize, w: u64, tail: u64) -> Option<MediaKind<'static>> {
        const fn word(s: &[u8; 8]) -> u64 {
            u64::from_le_bytes(*s)
        }
        const AUDIO: u64 = word(b"audioxxx");
        const VIDEO: u64 = word(b"videoxxx");
        const IMAGE: u64 = word(b"imagexxx");
        const TEXT: u64 = word(b"textxxxx");
        const MESSAGE: u64 = word(b"messagex");
        const APPLICAT: u64 = word(b"applicat");
        Some(match (len, w | 0x2020_2020_2020_2020) {
            (5, AUDIO) => MediaKind::Audio,
            (5, VIDEO) => MediaKind::Video,
            (5, IMAGE) => MediaKind::Image,
            (4, TEXT) => MediaKind::Text,
            (7, MESSAGE) => MediaKind::Message,
            (11, APPLICAT) if tail | 0x2020_2020_2020_2020 == word(b"lication") => {
                MediaKind::Application
            }
            _ => return None,
        })
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rtcp<'a> {
    pub port: u16,
    /// Byte range of the port token within the SDP body.
    pub port_span: Range<usize>,
    /// The optional address part (boxed: rare, and it would double the size of [`Media`]).
    pub connection: Option<Box<Connection<'a>>>,
}

/// `a=ike-setup` (RFC 6193): the endpoint's role in the IKE exchange, like `a=setup` of
/// RFC 4145.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IkeSetup<'a> {
    Active,
    Passive,
    ActPass,
    Other(Text<'a>),
}

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5, formerly RFC 4572 §5), and the
/// same shape assumed for `a=psk-fingerprint` (RFC 6193; grammar not checked against the RFC
/// text, which was not at hand: `hash-func SP value` is parsed, the raw line stays in
/// `attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint<'a> {
    pub hash_func: Text<'a>,
    pub value: Text<'a>,
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
    pub proto: Text<'a>,
    /// The `<fmt>` list.
    pub formats: Formats<'a>,
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
            && self.formats.contains_ignore_case("t38")
    }

    /// The `a=T38...` attributes (T38FaxVersion, T38FaxRateManagement, ...), raw.
    pub fn t38_attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
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
        self.proto
            .as_bytes()
            .split(|&b| b == b'/')
            .any(|p| p.eq_ignore_ascii_case(b"RTP"))
    }

    /// First attribute value by name (case-insensitive), `Some(None)` for a flag attribute.
    pub fn attribute(&self, name: &str) -> Option<Option<Cow<'a, str>>> {
        find_attribute(&self.attributes, name)
    }
}

impl<'a> SessionDescription<'a> {
    /// Session-level `b=AS` (kbit/s).
    pub fn bandwidth_as(&self) -> Option<u64> {
        bandwidth_as(&self.bandwidths)
    }

    /// First session attribute value by name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<Option<Cow<'a, str>>> {
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

fn find_attribute<'a>(attrs: &Attributes<'a>, name: &str) -> Option<Option<Cow<'a, str>>> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl MediaKind<'_> {
    /// The `<media>` token: the lowercase name of a known kind, else as written (non-UTF-8
    /// bytes replaced by U+FFFD).
    pub fn as_str(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Image => "image",
            MediaKind::Application => "application",
            MediaKind::Text => "text",
            MediaKind::Message => "message",
            MediaKind::Other(s) => return s.as_str(),
        })
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
    // Built in the place it is returned from (one local returned on every path): the model
    // is not copied on return.
    let mut parsed = Ok(SessionDescription::empty());
    // Filled in place: the line loop neither moves the model nor holds drop code for it.
    if let Ok(sd) = &mut parsed {
        if let Err(e) = parse_into(body, limits, sd) {
            parsed = Err(e);
        }
    }
    parsed
}

impl SessionDescription<'_> {
    /// The model before any line is read, for [`parse_into`].
    pub(crate) fn empty() -> Self {
        SessionDescription {
            origin: None,
            session_name: Text::default(),
            connection: None,
            bandwidths: Vec::new(),
            direction: None,
            fingerprints: Vec::new(),
            attributes: Attributes::default(),
            media: MediaList::new(),
            normalized: false,
        }
    }
}

/// [`parse_with`] into a model the caller placed ([`SessionDescription::empty`]), so that a
/// caller wrapping the result (`Message::sdp` returns an `Option` of it) builds it in its
/// return place: each move of the 640-byte model is a `memcpy` call on the hot path.
pub(crate) fn parse_into<'a>(
    body: &'a [u8],
    limits: &SdpLimits,
    sd: &mut SessionDescription<'a>,
) -> Result<(), ParseError> {
    Scanner::new(body).run(limits, sd)
}

/// Strict check by the `sdp-types` parser (RFC 8866 §9 as that crate reads it): `Ok` when it
/// accepts `body` as it is. The conformance profile refuses a body this refuses; the ALG
/// reads the model from [`parse`]. The error offset is the start of the line `sdp-types`
/// names (0 when it names none, e.g. a missing `v=`).
pub fn validate_strict(body: &[u8]) -> Result<(), ParseError> {
    match sdp_types::Session::parse(body) {
        Ok(_) => Ok(()),
        Err(e) => Err(ParseError::new(
            ErrorKind::BadSdp,
            strict_error_offset(&e, body),
        )),
    }
}

/// Map an sdp-types error (1-based physical line numbers, lines split on LF) to a byte offset.
fn strict_error_offset(e: &sdp_types::ParserError, body: &[u8]) -> usize {
    use sdp_types::ParserError as P;
    #[allow(deprecated)]
    let n = match *e {
        P::UnexpectedLine(n, _)
        | P::InvalidLineFormat(n, _)
        | P::InvalidFieldEncoding(n, _)
        | P::InvalidFieldFormat(n, _)
        | P::MissingField(n, _)
        | P::FieldTrailingData(n, _)
        | P::InvalidVersion(n, _)
        | P::MultipleVersions(n)
        | P::MultipleOrigins(n)
        | P::MultipleSessionNames(n)
        | P::MultipleSessionDescription(n)
        | P::MultipleUris(n)
        | P::MultipleConnections(n)
        | P::MultipleTimeZones(n)
        | P::MultipleMediaTitles(n)
        | P::MultipleKeys(n)
        | P::RepeatWithoutTime(n) => n,
        _ => return 0,
    };
    if n <= 1 {
        return 0;
    }
    memchr::memchr_iter(b'\n', body)
        .nth(n - 2)
        .map_or(body.len(), |i| i + 1)
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

/// Keys whose values are blank-separated fields (RFC 8866 §9 grammar) but are not split by
/// [`Scanner::fields`] (which checks the blanks of `o=`, `c=`, `m=` itself).
fn is_checked_whole(key: u8) -> bool {
    matches!(key, b'b' | b't' | b'r' | b'z' | b'v')
}

/// A `v=` value other than `0`: `Some(irregular blanks)` when it is `0` with blanks around
/// it (RFC 8866 §5.1; tolerated), `None` otherwise (an error). Rare, out of line.
#[cold]
#[inline(never)]
fn version_blanks(v: &[u8]) -> Option<bool> {
    (v.get(trim_in(v, 0..v.len())) == Some(&b"0"[..])).then(|| irregular_blanks(v))
}

/// Anything but single spaces between fields (a leading blank, a tab, two blanks in a row).
/// `sdp-types` splits structured lines on single spaces. Only for the lines not split by
/// [`Scanner::fields`] (which checks as it splits): short ones (`t=0 0`), so a plain loop.
fn irregular_blanks(v: &[u8]) -> bool {
    let mut space_before = v.first().copied().is_some_and(is_blank);
    for &b in v {
        if b == b'\t' || (b == b' ' && space_before) {
            return true;
        }
        space_before = b == b' ';
    }
    false
}

const HI: u64 = 0x8080_8080_8080_8080;

/// A NUL anywhere, or a CR not followed by LF (a CR as the very last byte ends the last
/// line): bytes that do not belong inside an SDP line (RFC 8866 §9), tolerated but not
/// strict. It equals checking every line's NULs and CRs as they are read.
#[cfg(test)]
fn has_stray_bytes(body: &[u8]) -> bool {
    body_flags(body) & STRAY != 0
}

/// [`body_flags`]: the body has stray bytes (see `has_stray_bytes`).
const STRAY: u8 = 1;
/// [`body_flags`]: the body has a byte above 0x7F (it may not be UTF-8).
const NON_ASCII: u8 = 2;

/// [`STRAY`] and [`NON_ASCII`] of the body, in one pass without early exit: 32 bytes per
/// step with the flags OR-accumulated per lane, which compiles to a few vector instructions
/// per step (a byte-wise fold costs ~300 instructions for a 217-byte body). The last step
/// overlaps the one before it (ORing a byte twice changes nothing), so no tail loop or copy.
#[inline(never)]
fn body_flags(body: &[u8]) -> u8 {
    const W: usize = 32;
    // Each step reads 33 bytes: 32 and the successor of the last one.
    let Some(last_step) = body.len().checked_sub(W + 1) else {
        return body_flags_short(body);
    };
    let mut stray = [0u8; W];
    let mut high = [0u8; W];
    let mut i = 0usize;
    loop {
        let at = i.min(last_step);
        let (a, b) = (body.get(at..at + W), body.get(at + 1..at + 1 + W));
        if let (Some(a), Some(b)) = (a, b) {
            for (k, (&x, &y)) in a.iter().zip(b).enumerate() {
                if let (Some(s), Some(h)) = (stray.get_mut(k), high.get_mut(k)) {
                    *s |= u8::from((x == 0) | ((x == b'\r') & (y != b'\n')));
                    *h |= x;
                }
            }
        }
        if at == last_step {
            break;
        }
        i += W;
    }
    // The steps cover every byte as a first one but the last, whose CR is no stray byte.
    let last = body.last().copied().unwrap_or_default();
    let (stray, high) = stray
        .iter()
        .zip(&high)
        .fold((u8::from(last == 0), last), |(s, h), (&a, &b)| {
            (s | a, h | b)
        });
    stray | (u8::from(high >= 0x80) << 1)
}

/// [`body_flags`] byte by byte, for bodies too short for one step: rare, out of line, and
/// kept a plain loop (small code) rather than one LLVM would vectorize.
#[cold]
#[inline(never)]
fn body_flags_short(body: &[u8]) -> u8 {
    let mut flags = 0u8;
    let mut rest = body;
    while let [a, tail @ ..] = rest {
        let stray = *a == 0 || (*a == b'\r' && tail.first().is_some_and(|&b| b != b'\n'));
        flags |= u8::from(stray) | (u8::from(*a >= 0x80) << 1);
        rest = tail;
    }
    flags
}

/// The position of the first LF of `body` from `at`, where fewer than 8 bytes are left, or
/// `body.len()` without one: the end of the last line or two, out of line.
#[inline(never)]
fn lf_in_tail(body: &[u8], at: usize) -> usize {
    let tail = body.get(at..).unwrap_or_default();
    tail.iter()
        .position(|&b| b == b'\n')
        .map_or(body.len(), |i| at + i)
}

/// The state of [`Scanner::regular_fields`] between words.
struct Split {
    /// Fields ended so far.
    n: usize,
    field_start: usize,
    /// Bit 7 set when the byte before the word is a space.
    space_before: u64,
}

impl Split {
    /// One word of the line at `at`, `valid` marking its bytes in the line: records the
    /// fields that end in it; `false` for a byte below 0x21 other than a single space.
    #[inline(always)]
    fn word(
        &mut self,
        w: u64,
        valid: u64,
        at: usize,
        out: &mut [Range<usize>; MAX_FIELDS],
    ) -> bool {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        // Adding 0x5F carries into bit 7 exactly for the low seven bits >= 0x21.
        const TO_21: u64 = 0x5f5f_5f5f_5f5f_5f5f;
        // Bit 7 of each byte below 0x21 (bytes >= 0x80 have bit 7 set in `w`: never).
        let below_21 = !(((w & LOW7) + TO_21) | w | LOW7) & valid;
        // Of the bytes below 0x21, only SP has bit 5 set: shifted to bit 7.
        let spaces = below_21 & (w << 2);
        let pairs = spaces & ((spaces << 8) | self.space_before);
        // Another byte below 0x21, or a double space: one test for both.
        if (below_21 ^ spaces) | pairs != 0 {
            return false;
        }
        let mut bits = spaces;
        while bits != 0 {
            let j = at + (bits.trailing_zeros() / 8) as usize;
            if let Some(slot) = out.get_mut(self.n) {
                *slot = self.field_start..j;
            }
            self.n += 1;
            self.field_start = j + 1;
            bits &= bits - 1;
        }
        self.space_before = spaces >> 56;
        true
    }
}

/// Length of the field starting `s`: the position of its first separator, or `s.len()`.
/// Fields are short but many (`o=` has six); this reads 8 bytes at a time looking for a byte
/// below 0x21 (all separators are), then checks that byte (another control byte is part of
/// the field, rare: the scan goes on after it).
fn field_len(s: &[u8]) -> usize {
    const BELOW_21: u64 = 0x2121_2121_2121_2121;
    let mut i = 0usize;
    while let Some(c) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        // Bytes >= 0x80 have their high bit set and are never flagged by `!w`.
        let low = w.wrapping_sub(BELOW_21) & !w & HI;
        if low == 0 {
            i += 8;
            continue;
        }
        let j = i + (low.trailing_zeros() / 8) as usize;
        if s.get(j).copied().is_some_and(is_separator) {
            return j;
        }
        i = j + 1;
    }
    let tail = s.get(i..).unwrap_or_default();
    tail.iter()
        .position(|&b| is_separator(b))
        .map_or(s.len(), |p| i + p)
}

/// The address of `o=`, `c=` and `a=rtcp` as `std`'s `IpAddr` parser reads it (that is the
/// contract of the `ip` fields: an IPv4 literal in dotted-decimal form without leading zeros,
/// or an IPv6 literal), with the usual IPv4 case done in one pass over the bytes: `IpAddr`'s
/// `FromStr` runs a general-purpose parser for each family in turn.
fn parse_ip(b: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4_strict(b) {
        return Some(IpAddr::V4(v4));
    }
    // Not IPv4; IPv6 cannot be written without a colon, so host names need no parser call.
    if !b.contains(&b':') {
        return None;
    }
    parse_ipv6(b)
}

/// `std`'s parser on a would-be IPv6 literal: rare in SDP, out of line.
#[cold]
#[inline(never)]
fn parse_ipv6(b: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// RFC 8866 §9 `IP4-address = b1 3("." decimal-uchar)` with `decimal-uchar` 0 to 255 written
/// without leading zeros, as `std`'s parser reads it (a proptest holds the two equal).
/// One pass over the bytes with one digit test each; an octet is judged whole at its end
/// ([`ipv4_octet_ok`]), which keeps the loop and the code small.
fn parse_ipv4_strict(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    // At most 15 bytes: the octet values below cannot wrap past a fourth digit.
    if b.len() > 15 {
        return None;
    }
    let (mut addr, mut octet, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            octet = octet.wrapping_mul(10).wrapping_add(u32::from(d));
            digits += 1;
        } else if c == b'.' && ipv4_octet_ok(octet, digits) {
            addr = addr << 8 | octet;
            (octet, digits, dots) = (0, 0, dots + 1);
        } else {
            return None;
        }
    }
    (dots == 3 && ipv4_octet_ok(octet, digits)).then(|| std::net::Ipv4Addr::from(addr << 8 | octet))
}

/// An octet of `digits` digits and value `v` is a `decimal-uchar` (RFC 8866 §9): 1 to 3
/// digits, no leading zero (a 2- or 3-digit value below 10 or 100 had one), at most 255.
fn ipv4_octet_ok(v: u32, digits: u32) -> bool {
    match digits {
        1 => true,
        2 => v >= 10,
        3 => (100..=255).contains(&v),
        _ => false,
    }
}

/// The `k` bytes of `b` at `at` (8 at most) as a little-endian word, the bytes beyond them
/// (or beyond `b`) read as `x` (a field byte).
fn word_at(b: &[u8], at: usize, k: usize) -> u64 {
    const FILL: u64 = 0x7878_7878_7878_7878;
    let w = match b.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(c) => u64::from_le_bytes(*c),
        None => word_at_end(b, at),
    };
    if k >= 8 {
        w
    } else {
        let valid = (1u64 << (8 * k)) - 1;
        (w & valid) | (FILL & !valid)
    }
}

/// [`word_at`] where fewer than 8 bytes are left: the bytes from `at` then `x`s. Rare (short
/// values at the end of the body), out of line so that `word_at` inlines small.
#[cold]
#[inline(never)]
fn word_at_end(b: &[u8], at: usize) -> u64 {
    let mut a = [b'x'; 8];
    for (d, s) in a.iter_mut().zip(b.get(at..).unwrap_or_default()) {
        *d = *s;
    }
    u64::from_le_bytes(a)
}

/// The 8 bytes of `line` at `at` (`at < line.len()`) as a little-endian word, and a mask of
/// its bytes that are in the line (`0x80` in each). Past the last full word, the line's last
/// 8 bytes are read and shifted (no byte loop) when it has 8; the bytes beyond the line are
/// zero and outside the mask.
fn line_word(line: &[u8], at: usize) -> (u64, u64) {
    if let Some(c) = line.get(at..at + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        return (u64::from_le_bytes(a), HI);
    }
    let rest = line.len().saturating_sub(at).min(7);
    let drop = 8 * (8 - rest as u32);
    let w = match line.get(line.len().wrapping_sub(8)..) {
        Some(c) if line.len() >= 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_le_bytes(a) >> drop
        }
        _ => word_at(line, at, rest),
    };
    (w, HI >> drop)
}

/// Position of `needle` in a short field (a few bytes: cheaper than a `memchr` call).
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// The end of the line `start..line_end` without its trailing blanks and CRs (`next` is
/// past its LF, or `line_end` for a last line without one), flagging `normalized` unless
/// what was stripped is exactly the CR of a CRLF: [`Scanner::run`]'s path for the lines
/// that do not end in a plain CRLF.
#[inline(never)]
fn trim_line_end(
    body: &[u8],
    start: usize,
    line_end: usize,
    next: usize,
    normalized: &mut bool,
) -> usize {
    let mut end = line_end;
    while end > start
        && body
            .get(end - 1)
            .is_some_and(|&b| is_blank(b) || b == b'\r')
    {
        end -= 1;
    }
    // Exactly one CR before an LF is the line end; anything else stripped is tolerated.
    let stripped = line_end - end;
    if stripped > 0 && !(stripped == 1 && body.get(end) == Some(&b'\r') && next > line_end) {
        *normalized = true;
    }
    end
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
        let len = field_len(after);
        let start = self.base + skip;
        self.rest = after.get(len..).unwrap_or_default();
        self.base = start + len;
        Some(start..start + len)
    }
}

/// A decimal number as `str::parse` reads it (an optional `+`, then 1 or more digits; RFC 8866
/// §9 has no sign, `sdp-types` accepts one), or `None` on overflow of `T`.
fn decimal<T: TryFrom<u64>>(b: &[u8]) -> Option<T> {
    T::try_from(decimal_u64(b)?).ok()
}

/// [`decimal`] as `u64`: one out-of-line copy for every target type. Up to 19 digits cannot
/// overflow a `u64`, so the usual short number is read without checked arithmetic.
#[inline(never)]
fn decimal_u64(b: &[u8]) -> Option<u64> {
    let digits = b.strip_prefix(b"+").unwrap_or(b);
    if digits.is_empty() {
        return None;
    }
    if digits.len() > 19 {
        return decimal_u64_long(digits);
    }
    let mut n: u64 = 0;
    for &d in digits {
        let v = d.wrapping_sub(b'0');
        if v > 9 {
            return None;
        }
        // At most 19 digits: below 10^19 < u64::MAX, no overflow.
        n = n * 10 + u64::from(v);
    }
    Some(n)
}

/// [`decimal_u64`] of more than 19 digits, with overflow checks: rare, out of line.
#[cold]
#[inline(never)]
fn decimal_u64_long(digits: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// Most fields [`Scanner::fields`] reports (`o=` has six).
const MAX_FIELDS: usize = 6;

struct Scanner<'a> {
    body: &'a [u8],
    /// Set by [`Scanner::fields`] on a structured line with irregular blanks.
    irregular: std::cell::Cell<bool>,
}

/// Bit for a line type letter, for the "at most once" checks (RFC 8866 §5).
fn key_bit(key: u8) -> u32 {
    1u32 << (key.to_ascii_lowercase().wrapping_sub(b'a') & 31)
}

/// The first colon of an `a=` line's value: attribute names are short (`rtpmap`, `fmtp`,
/// `rtcp`), so the first word usually holds it.
fn find_colon(v: &[u8]) -> Option<usize> {
    const COLON: u64 = 0x3a3a_3a3a_3a3a_3a3a;
    // The lowest flagged byte of `zero_bytes` is exact; the fill bytes (`x`) are no colon.
    let colons = zero_bytes(word_at(v, 0, v.len()) ^ COLON);
    if colons != 0 {
        Some((colons.trailing_zeros() / 8) as usize)
    } else {
        find_byte(v.get(8..)?, b':').map(|i| i + 8)
    }
}

/// `r` within `b` without leading and trailing blanks (and NUL, CR, VT, FF).
fn trim_in(b: &[u8], r: Range<usize>) -> Range<usize> {
    // All trimmed bytes are below 0x21: the usual untrimmed range costs two compares.
    if r.start < r.end
        && b.get(r.start).is_some_and(|&c| c > b' ')
        && b.get(r.end - 1).is_some_and(|&c| c > b' ')
    {
        return r;
    }
    trim_slow(b, r)
}

/// [`trim_in`] of a range with something to trim (or empty): rare, out of line, so that the
/// usual two compares are all that is inlined.
#[cold]
#[inline(never)]
fn trim_slow(b: &[u8], r: Range<usize>) -> Range<usize> {
    let (mut s, mut e) = (r.start, r.end.min(b.len()));
    while s < e && b.get(s).copied().is_some_and(is_trimmed) {
        s += 1;
    }
    while e > s && b.get(e - 1).copied().is_some_and(is_trimmed) {
        e -= 1;
    }
    s..e
}

/// What [`Scanner::run`] does with an `a=` line, told from the first word of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttributeShape {
    /// `name:value` with a name the model does not read at either level: a name that needs
    /// no trimming, whose length is none of the read ones (4 `rtcp`, 8 `rtcp-mux` and the
    /// directions, 9 `ike-setup`, 11 `fingerprint`, 15 `psk-fingerprint`; see
    /// [`Scanner::media_attribute`], [`Scanner::session_attribute`]), or of 4 bytes but not
    /// `rtcp`. Most `a=` lines (`rtpmap`, `fmtp`, `ptime`...): skipped without
    /// [`split_attribute`] and the attribute dispatch (~70 instructions each).
    Unread,
    /// A flag of at most 8 bytes (`a=sendrecv`, `a=rtcp-mux`) that needs no trimming: the
    /// whole value is the name, there is no value, [`split_attribute`] is not needed.
    Flag,
    /// Anything else: [`split_attribute`].
    General,
}

/// The [`AttributeShape`] of an `a=` value `v` (the line after `a=`).
fn attribute_shape(v: &[u8]) -> AttributeShape {
    const COLON: u64 = 0x3a3a_3a3a_3a3a_3a3a;
    // As `find_colon`, keeping the word for the name compare below.
    let w = word_at(v, 0, v.len());
    let colons = zero_bytes(w ^ COLON);
    let (i, shape) = if colons != 0 {
        (
            (colons.trailing_zeros() / 8) as usize,
            AttributeShape::Unread,
        )
    } else if v.len() <= 8 {
        (v.len(), AttributeShape::Flag)
    } else {
        return AttributeShape::General;
    };
    // Trimmed bytes are all below 0x21: a name whose ends are above it is as written.
    let as_written = matches!((v.first(), i.checked_sub(1).and_then(|j| v.get(j))),
        (Some(&a), Some(&b)) if a > b' ' && b > b' ');
    // Setting bit 5 of `rtcp`'s letters in either case gives `rtcp`; a name that gives it
    // otherwise (a control byte) only takes the general path.
    let rtcp = (w | 0x2020_2020) as u32 == u32::from_le_bytes(*b"rtcp");
    let read = match i {
        4 => rtcp,
        8 | 9 | 11 | 15 => true,
        _ => false,
    };
    if !as_written || (shape == AttributeShape::Unread && read) {
        AttributeShape::General
    } else {
        shape
    }
}

/// RFC 8866 §5.13: `a=<attribute>` or `a=<attribute>:<value>`; the name ends at the first
/// colon. Trimmed ranges within `v` (the line after `a=`); shared by the parser and
/// [`AttributeIter`] so that both read the same names and values.
#[inline(never)]
fn split_attribute(v: &[u8]) -> (Range<usize>, Option<Range<usize>>) {
    match find_colon(v) {
        Some(i) => (trim_in(v, 0..i), Some(trim_in(v, i + 1..v.len()))),
        None => (trim_in(v, 0..v.len()), None),
    }
}

impl<'a> Scanner<'a> {
    fn new(body: &'a [u8]) -> Scanner<'a> {
        Scanner {
            body,
            irregular: std::cell::Cell::new(false),
        }
    }

    fn bytes(&self, r: Range<usize>) -> &'a [u8] {
        self.body.get(r).unwrap_or_default()
    }

    /// Text of a range.
    fn text(&self, r: Range<usize>) -> Text<'a> {
        Text(self.bytes(r))
    }

    /// A decimal number (`str::parse` rules, as `sdp-types` uses).
    fn number<T: TryFrom<u64>>(&self, r: Range<usize>) -> Option<T> {
        decimal(self.bytes(r))
    }

    /// The separator-delimited fields of `r` (RFC 8866 §9), the first [`MAX_FIELDS`] of them
    /// as absolute ranges in `out`; returns how many fields `r` holds, counting any beyond
    /// [`MAX_FIELDS`] as one. One out-of-line loop serves every line split into fields (code
    /// size).
    ///
    /// For a `structured` line (`o=`, `c=`, `m=`) it also does [`irregular_blanks`]'s check
    /// on the way, recording it in `self.irregular`: a separator run at the start, or other
    /// than one SP. That differs from `irregular_blanks` only on NUL and CR inside the line,
    /// which `has_stray_bytes` flags anyway, so the `normalized` flag is the same.
    #[inline(never)]
    fn fields(
        &self,
        r: Range<usize>,
        out: &mut [Range<usize>; MAX_FIELDS],
        structured: bool,
    ) -> usize {
        match self.regular_fields(r.clone(), out) {
            Some(n) => n,
            None => self.fields_bytewise(r, out, structured),
        }
    }

    /// [`Scanner::fields`] of a line whose only bytes below 0x21 are single spaces between
    /// fields (the usual case, which is regular: nothing to flag), eight bytes at a time;
    /// `None` for any other line.
    fn regular_fields(
        &self,
        r: Range<usize>,
        out: &mut [Range<usize>; MAX_FIELDS],
    ) -> Option<usize> {
        let line = self.bytes(r.clone());
        if line.last().is_none_or(|&b| b == b' ') {
            return None;
        }
        let mut split = Split {
            n: 0,
            field_start: r.start,
            // Bit 7 set: a space "before" the line, so that a leading space counts as a
            // double space (irregular).
            space_before: 0x80,
        };
        let mut words = line.chunks_exact(8);
        let mut at = r.start;
        for c in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            if !split.word(u64::from_le_bytes(a), HI, at, out) {
                return None;
            }
            at += 8;
        }
        let rest = words.remainder().len();
        if rest > 0 {
            let (w, valid) = line_word(line, line.len() - rest);
            if !split.word(w, valid, at, out) {
                return None;
            }
        }
        let n = split.n;
        if let Some(slot) = out.get_mut(n) {
            *slot = split.field_start..r.end;
        }
        Some((n + 1).min(MAX_FIELDS + 1))
    }

    /// [`Scanner::fields`] byte by byte, for any line: irregular lines only, out of line.
    #[cold]
    #[inline(never)]
    fn fields_bytewise(
        &self,
        r: Range<usize>,
        out: &mut [Range<usize>; MAX_FIELDS],
        structured: bool,
    ) -> usize {
        let line = self.bytes(r.clone());
        let mut i = 0usize;
        let mut n = 0usize;
        loop {
            let run = i;
            while line.get(i).copied().is_some_and(is_separator) {
                i += 1;
            }
            if structured && i > run && (n == 0 || i - run != 1 || line.get(run) != Some(&b' ')) {
                self.irregular.set(true);
            }
            if i >= line.len() {
                return n;
            }
            let Some(slot) = out.get_mut(n) else {
                if structured && irregular_blanks(line.get(i..).unwrap_or_default()) {
                    self.irregular.set(true);
                }
                return n + 1;
            };
            let len = field_len(line.get(i..).unwrap_or_default());
            *slot = r.start + i..r.start + i + len;
            n += 1;
            i += len;
        }
    }

    /// `r` without leading and trailing blanks (and NUL, CR, VT, FF).
    fn trim(&self, r: Range<usize>) -> Range<usize> {
        trim_in(self.body, r)
    }

    /// One loop over the lines; each line type is handled by a small out-of-line function,
    /// rare ones marked cold. Nothing is allocated but media sections after the first (and the
    /// rare lists: bandwidths, fingerprints, several media-level `c=`): the attribute and
    /// format lists are spans of the body. Both matter for the SIP full parse, whose hot code
    /// must fit the L1 i-cache (see `examples/parse_loop.rs`).
    #[inline(never)]
    fn run(&self, limits: &SdpLimits, sd: &mut SessionDescription<'a>) -> Result<(), ParseError> {
        let body = self.body;
        sd.normalized = match body_flags(body) {
            f if f & STRAY != 0 => true,
            NON_ASCII => std::str::from_utf8(body).is_err(),
            _ => false,
        };
        // "At most once" bits of the session level and of the section being read (the last
        // of `sd.media` once there is one).
        let mut session_seen = 0u32;
        let mut media_seen = 0u32;
        // Start of the lines of the level being read: its attributes span runs from here to
        // the next `m=` line.
        let mut level_start = 0usize;
        let mut lines = 0usize;
        let mut pos = 0usize;
        while pos < body.len() {
            // RFC 8866 §5: lines end in CRLF; LF alone is accepted (as sdp-types does).
            // The first LF from `pos`, eight bytes at a time, inlined: a search call per
            // line cost ~70 instructions with its set-up for ~20-byte lines. The lowest byte
            // `zero_bytes` flags is exact.
            let mut words = body.get(pos..).unwrap_or_default().chunks_exact(8);
            let mut i = pos;
            let line_end = loop {
                let Some(c) = words.next() else {
                    break lf_in_tail(body, i);
                };
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                let z = zero_bytes(u64::from_le_bytes(w) ^ 0x0a0a_0a0a_0a0a_0a0a);
                if z != 0 {
                    break i + (z.trailing_zeros() / 8) as usize;
                }
                i += 8;
            };
            let next = (line_end + 1).min(body.len());
            let end = match body.get(pos..line_end) {
                // The usual CRLF end after a non-blank byte: nothing to trim or flag.
                Some([.., b, b'\r']) if next > line_end && !is_blank(*b) && *b != b'\r' => {
                    line_end - 1
                }
                _ => trim_line_end(body, pos, line_end, next, &mut sd.normalized),
            };
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
            let line = start..end;

            if lines == 1 {
                // RFC 8866 §5.1: the first line is `v=0`.
                if key != b'v' {
                    return Err(bad(0));
                }
                let v = self.bytes(value);
                if v != b"0" {
                    sd.normalized |= version_blanks(v).ok_or(bad(start))?;
                }
                continue;
            }

            match key {
                b'a' => {
                    let v = self.bytes(value.clone());
                    let (name, v) = match attribute_shape(v) {
                        AttributeShape::Unread => continue,
                        AttributeShape::Flag => (value, None),
                        AttributeShape::General => {
                            let (name, v) = split_attribute(v);
                            let shift =
                                |r: Range<usize>| value.start + r.start..value.start + r.end;
                            (shift(name), v.map(shift))
                        }
                    };
                    match sd.media.last_mut() {
                        Some(m) => self.media_attribute(m, name, v, &line),
                        None => self.session_attribute(sd, name, v),
                    }
                }
                b'm' => {
                    if sd.media.len() >= limits.max_media {
                        return Err(ParseError::new(ErrorKind::TooManyValues, start));
                    }
                    self.finish_level(sd, level_start..start);
                    self.media_line(value, line, &mut sd.media)?;
                    media_seen = 0;
                    level_start = next;
                }
                // RFC 8866 §5.3: `s=<session name>`, free text, once (§5); read here rather
                // than through `session_line` (a call for a store).
                b's' if sd.media.is_empty() => {
                    if session_seen & key_bit(b's') != 0 {
                        return Err(bad(start));
                    }
                    session_seen |= key_bit(b's');
                    sd.session_name = self.text(value);
                }
                _ => {
                    // `o=`, `c=` are checked by `fields` as they are split (but `o=` in a
                    // media section, which is not read); `a=` values are free text.
                    if (is_checked_whole(key) || (key == b'o' && !sd.media.is_empty()))
                        && irregular_blanks(self.bytes(value.clone()))
                    {
                        sd.normalized = true;
                    }
                    // Lines neither level reads (`t=`, `r=`, `e=`, `p=`...): no call.
                    if !matches!(key, b'o' | b's' | b'i' | b'u' | b'c' | b'z' | b'k' | b'b') {
                        continue;
                    }
                    match sd.media.last_mut() {
                        Some(m) => self.media_level_line(m, &mut media_seen, key, value, line)?,
                        None => self.session_line(sd, &mut session_seen, key, value, line)?,
                    }
                }
            }
        }
        if lines == 0 {
            return Err(bad(0)); // no `v=` line
        }
        self.finish_level(sd, level_start..body.len());
        sd.normalized |= self.irregular.get();
        Ok(())
    }

    /// Session-level `a=`: the direction attributes (RFC 3264 §5.1) and `a=fingerprint`
    /// (RFC 8122 §5). `name` and `v` are trimmed ranges of the body.
    #[inline(never)]
    fn session_attribute(
        &self,
        sd: &mut SessionDescription<'a>,
        name: Range<usize>,
        v: Option<Range<usize>>,
    ) {
        let n = self.bytes(name);
        match v {
            None => {
                if sd.direction.is_none() {
                    sd.direction = Direction::from_name(n);
                }
            }
            Some(v) => {
                if n.len() == 11 {
                    self.session_fingerprint(sd, n, v);
                }
            }
        }
    }

    /// Session-level `a=fingerprint` (RFC 8122 §5): rare, out of line.
    #[cold]
    #[inline(never)]
    fn session_fingerprint(&self, sd: &mut SessionDescription<'a>, n: &[u8], v: Range<usize>) {
        if n.eq_ignore_ascii_case(b"fingerprint") {
            self.push_fingerprint(&mut sd.fingerprints, v);
        }
    }

    /// Media-level `a=`. The common attributes are told apart by the length of their name
    /// first (a register compare), so that `rtpmap`, `fmtp`, `ptime` and the like cost one
    /// branch; the security ones are out of line.
    #[inline(never)]
    fn media_attribute(
        &self,
        m: &mut Media<'a>,
        name: Range<usize>,
        v: Option<Range<usize>>,
        line: &Range<usize>,
    ) {
        let n = self.bytes(name);
        match (n.len(), v) {
            (8, v) => {
                // RFC 5761 §5.1.1 `a=rtcp-mux` (a value after it is ignored, not refused).
                if word_eq_ignore_case(n, b"rtcp-mux") {
                    m.rtcp_mux = true;
                } else if v.is_none() && m.direction_attribute.is_none() {
                    m.direction_attribute = Direction::from_name(n);
                }
            }
            // RFC 3605 §2.1; the first one that parses counts.
            (4, Some(v)) if m.rtcp.is_none() && word_eq_ignore_case(n, b"rtcp") => {
                m.rtcp = self.rtcp(v, line);
            }
            (9 | 11 | 15, Some(v)) => self.media_security_attribute(m, n, v),
            _ => {}
        }
    }

    /// `a=ike-setup` (RFC 6193), `a=fingerprint` (RFC 8122 §5), `a=psk-fingerprint`
    /// (RFC 6193): rare, kept out of the hot path.
    #[cold]
    #[inline(never)]
    fn media_security_attribute(&self, m: &mut Media<'a>, n: &[u8], v: Range<usize>) {
        if n.eq_ignore_ascii_case(b"ike-setup") {
            m.ike_setup = Some(ike_setup(self.text(self.trim(v))));
        } else if n.eq_ignore_ascii_case(b"fingerprint") {
            self.push_fingerprint(&mut m.fingerprints, v);
        } else if n.eq_ignore_ascii_case(b"psk-fingerprint") {
            self.push_fingerprint(&mut m.psk_fingerprints, v);
        }
    }

    /// Closes the level whose lines span `lines`: the session level before the first `m=`,
    /// else the last section of `sd.media`. One out-of-line copy for the two callers.
    #[inline(never)]
    fn finish_level(&self, sd: &mut SessionDescription<'a>, lines: Range<usize>) {
        let attributes = Attributes {
            lines: self.bytes(lines),
        };
        let session_connection = sd.connection.is_some();
        let session_direction = sd.direction;
        match sd.media.last_mut() {
            None => sd.attributes = attributes,
            Some(m) => {
                m.attributes = attributes;
                finish_media(m, session_connection, session_direction);
            }
        }
    }

    /// A line before the first `m=` (RFC 8866 §5.2–§5.12), but `a=` and `s=` (read by
    /// [`Scanner::run`]). Inlined in its one caller: a dispatch of its own cost ~35
    /// instructions per `o=` and `c=` line, and it only calls the line readers.
    #[inline(always)]
    fn session_line(
        &self,
        sd: &mut SessionDescription<'a>,
        seen: &mut u32,
        key: u8,
        value: Range<usize>,
        line: Range<usize>,
    ) -> Result<(), ParseError> {
        // RFC 8866 §5: these appear at most once at session level.
        if matches!(key, b'o' | b'i' | b'u' | b'c' | b'z' | b'k') {
            if *seen & key_bit(key) != 0 {
                return Err(bad(line.start));
            }
            *seen |= key_bit(key);
        }
        match key {
            b'o' => self.origin(value, line, &mut sd.origin)?,
            b'c' => self.connection(value, line, &mut sd.connection)?,
            b'b' => sd.bandwidths.push(self.bandwidth(value, line.start)?),
            _ => {}
        }
        Ok(())
    }

    /// A line inside an `m=` section (RFC 8866 §5.14: `i=`, `c=`, `b=`, `k=`), but `a=`.
    #[inline(never)]
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
            b'c' => {
                let mut c = None;
                self.connection(value, line, &mut c)?;
                m.connections.extend(c);
            }
            b'b' => m.bandwidths.push(self.bandwidth(value, line.start)?),
            _ => {}
        }
        Ok(())
    }

    /// RFC 8866 §5.2: `o=<username> <sess-id> <sess-version> <nettype> <addrtype>
    /// <unicast-address>`; sess-version is a number (sdp-types reads it as u64). Written into
    /// `out` rather than returned: one copy of the model's largest field less.
    #[inline(never)]
    fn origin(
        &self,
        value: Range<usize>,
        line: Range<usize>,
        out: &mut Option<Origin<'a>>,
    ) -> Result<(), ParseError> {
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        if self.fields(value, &mut f, true) != 6 {
            return Err(bad(line.start));
        }
        let [user, id, version, nettype, addrtype, address] = f;
        let sess_version = self.number(version).ok_or(bad(line.start))?;
        let address_text = self.text(address.clone());
        *out = Some(Origin {
            username: self.text(user),
            sess_id: self.text(id),
            sess_version,
            nettype: self.text(nettype),
            addrtype: self.text(addrtype),
            address: address_text,
            address_span: address,
            line,
        });
        Ok(())
    }

    /// RFC 8866 §5.7: `c=<nettype> <addrtype> <connection-address>`. Written into `out`
    /// rather than returned (as [`Scanner::origin`]).
    #[inline(never)]
    fn connection(
        &self,
        value: Range<usize>,
        line: Range<usize>,
        out: &mut Option<Connection<'a>>,
    ) -> Result<(), ParseError> {
        // The usual `IN IP4 <IPv4 literal>`: three fields separated by single spaces (the
        // literal holds digits and dots only), so what `fields` would find is known.
        if let Some(addr) = self.bytes(value.clone()).strip_prefix(b"IN IP4 ") {
            if let Some(v4) = parse_ipv4_strict(addr) {
                let at = value.start;
                *out = Some(Connection {
                    nettype: self.text(at..at + 2),
                    addrtype: self.text(at + 3..at + 6),
                    address: Text(addr),
                    ip: Some(IpAddr::V4(v4)),
                    ttl: None,
                    count: None,
                    address_span: at + 7..value.end,
                    line,
                });
                return Ok(());
            }
        }
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        if self.fields(value, &mut f, true) != 3 {
            return Err(bad(line.start));
        }
        let [n, a, c, ..] = f;
        *out = Some(self.make_connection(n, a, c, line));
        Ok(())
    }

    /// The address may carry `/ttl[/count]` (IP4) or `/count` (IP6) (RFC 8866 §5.7);
    /// `address_span` is the address without them. One out-of-line copy for the callers
    /// (code size).
    #[inline(never)]
    fn make_connection(
        &self,
        nettype: Range<usize>,
        addrtype: Range<usize>,
        full: Range<usize>,
        line: Range<usize>,
    ) -> Connection<'a> {
        // The usual unicast IPv4 address: no `/` suffix to look for.
        if let Some(v4) = parse_ipv4_strict(self.bytes(full.clone())) {
            return Connection {
                nettype: self.text(nettype),
                addrtype: self.text(addrtype),
                ip: Some(IpAddr::V4(v4)),
                address: self.text(full.clone()),
                ttl: None,
                count: None,
                address_span: full,
                line,
            };
        }
        self.make_connection_general(nettype, addrtype, full, line)
    }

    /// [`Scanner::make_connection`] of any other address (suffixes, IPv6, host names): rare,
    /// out of line.
    #[cold]
    #[inline(never)]
    fn make_connection_general(
        &self,
        nettype: Range<usize>,
        addrtype: Range<usize>,
        full: Range<usize>,
        line: Range<usize>,
    ) -> Connection<'a> {
        let addr_end =
            find_byte(self.bytes(full.clone()), b'/').map_or(full.end, |i| full.start + i);
        let span = full.start..addr_end;
        let (ttl, count) = if addr_end < full.end {
            self.multicast_suffix(&addrtype, addr_end + 1..full.end)
        } else {
            (None, None)
        };
        let address = self.text(span.clone());
        Connection {
            nettype: self.text(nettype),
            addrtype: self.text(addrtype),
            ip: parse_ip(address.as_bytes()),
            address,
            ttl,
            count,
            address_span: span,
            line,
        }
    }

    /// `/ttl[/count]` (IP4) or `/count` (other address types) after a connection address
    /// (RFC 8866 §5.7); `rest` follows the first `/`. Multicast only: out of line.
    #[cold]
    #[inline(never)]
    fn multicast_suffix(
        &self,
        addrtype: &Range<usize>,
        rest: Range<usize>,
    ) -> (Option<u8>, Option<u16>) {
        let (first, second) = match find_byte(self.bytes(rest.clone()), b'/') {
            Some(i) => (
                rest.start..rest.start + i,
                Some(rest.start + i + 1..rest.end),
            ),
            None => (rest, None),
        };
        if self.bytes(addrtype.clone()).eq_ignore_ascii_case(b"IP4") {
            (self.number(first), second.and_then(|r| self.number(r)))
        } else {
            (None, self.number(first))
        }
    }

    /// RFC 8866 §5.8: `b=<bwtype>:<bandwidth>`, bandwidth a number.
    #[inline(never)]
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

    /// RFC 8122 §5: `fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint`;
    /// a value of another shape is skipped.
    #[cold]
    #[inline(never)]
    fn push_fingerprint(&self, to: &mut Vec<Fingerprint<'a>>, value: Range<usize>) {
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        if self.fields(value, &mut f, false) >= 2 {
            let [hash_func, value, ..] = f;
            to.push(Fingerprint {
                hash_func: self.text(hash_func),
                value: self.text(value),
            });
        }
    }

    /// RFC 3605 §2.1: `rtcp-attribute = "a=rtcp:" port [nettype space addrtype space
    /// connection-address] CRLF`. `value` is what follows the colon; `line` the whole line.
    #[inline(never)]
    fn rtcp(&self, value: Range<usize>, line: &Range<usize>) -> Option<Rtcp<'a>> {
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        let n = self.fields(value, &mut f, false);
        let [port_span, nettype, addrtype, address, ..] = f;
        if n == 0 || !self.bytes(port_span.clone()).iter().all(u8::is_ascii_digit) {
            return None;
        }
        let port = self.number(port_span.clone())?;
        let connection = (n >= 4).then(|| self.rtcp_connection(nettype, addrtype, address, line));
        Some(Rtcp {
            port,
            port_span,
            connection,
        })
    }

    #[cold]
    #[inline(never)]
    fn rtcp_connection(
        &self,
        nettype: Range<usize>,
        addrtype: Range<usize>,
        full: Range<usize>,
        line: &Range<usize>,
    ) -> Box<Connection<'a>> {
        Box::new(self.make_connection(nettype, addrtype, full, line.clone()))
    }

    /// RFC 8866 §5.14: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`; port and
    /// number of ports are 16-bit numbers, at least one `<fmt>`.
    #[inline(never)]
    fn media_line(
        &self,
        value: Range<usize>,
        line: Range<usize>,
        media: &mut MediaList<'a>,
    ) -> Result<(), ParseError> {
        let at = line.start;
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        if self.fields(value.clone(), &mut f, true) < 4 {
            return Err(bad(at));
        }
        let [kind, port_token, proto, first_format, ..] = f;
        let (port, port_count, port_count_span) = self.media_port(&port_token).ok_or(bad(at))?;
        let port_span = port_token.start
            ..port_count_span
                .as_ref()
                .map_or(port_token.end, |r| r.start - 1);
        let kind = self.media_kind(kind);
        // Pushed here rather than returned, through `extend` of a `once_with`: it reserves
        // before building the section, which is then written in place (a `push` builds it on
        // the stack and copies its 300 bytes).
        media.extend(std::iter::once_with(|| Media {
            kind,
            port,
            port_span,
            port_count,
            port_count_span,
            proto: self.text(proto),
            formats: Formats {
                raw: self.bytes(first_format.start..value.end),
            },
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
            attributes: Attributes::default(),
            line,
        }));
        Ok(())
    }
}

impl<'a> Scanner<'a> {
    /// The `<port>[/<number of ports>]` field of `m=` (RFC 8866 §5.14): the port, the number
    /// of ports (1 if absent) and the span of that number.
    #[inline(always)]
    fn media_port(&self, token: &Range<usize>) -> Option<(u16, u16, Option<Range<usize>>)> {
        // The port token is short: one word tells whether it has a `/count`.
        let slash = if token.len() <= 8 {
            let z = zero_bytes(word_at(self.body, token.start, token.len()) ^ splat(b'/'));
            (z != 0).then(|| (z.trailing_zeros() / 8) as usize)
        } else {
            find_slash_long(self.bytes(token.clone()))
        };
        match slash {
            None => Some((self.number(token.clone())?, 1, None)),
            Some(i) => {
                let count = token.start + i + 1..token.end;
                Some((
                    self.number(token.start..token.start + i)?,
                    self.number(count.clone())?,
                    Some(count),
                ))
            }
        }
    }

    /// The `<media>` field of `m=` (RFC 8866 §5.14).
    #[inline(always)]
    fn media_kind(&self, r: Range<usize>) -> MediaKind<'a> {
        let w = word_at(self.body, r.start, r.len());
        let tail = if r.len() == 11 {
            word_at(self.body, r.start + 3, 8)
        } else {
            0
        };
        MediaKind::known(r.len(), w, tail).unwrap_or_else(|| MediaKind::Other(self.text(r)))
    }
}

/// The first `/` of a port token longer than a word (leading zeros): rare, out of line.
#[cold]
#[inline(never)]
fn find_slash_long(token: &[u8]) -> Option<usize> {
    find_byte(token, b'/')
}

/// Completes an `m=` section with the values that depend on the whole section or on the
/// session level. Run once per section, when the next `m=` or the end is reached.
fn finish_media(m: &mut Media<'_>, session_connection: bool, session_direction: Option<Direction>) {
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

fn ike_setup(v: Text<'_>) -> IkeSetup<'_> {
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

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
