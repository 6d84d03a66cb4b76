//! SDP (RFC 8866, formerly RFC 4566) reduced to what a SIP ALG needs to open pinholes and,
//! later, to rewrite addresses for NAT.
//!
//! # How parsing is split
//!
//! * The `sdp-types` crate is the parser of record: every value in the model (origin, `c=`,
//!   `b=`, `m=` fields, attribute names and values) comes from its [`sdp_types::Session`].
//! * `sdp-types` gives no byte positions, so a light line scan of our own ([`scan_lines`])
//!   records, for every line, its key and byte range. The two are matched by order: `sdp-types`
//!   keeps every non-empty line of a well-formed description, in order, so the n-th `c=` line of
//!   a media section in our scan is the n-th entry of `Media::connections`, and so on.
//! * Tolerance: `sdp-types` rejects some things real endpoints send (a bare CR or NUL inside a
//!   line, a last line ending in CR without LF, non-UTF-8 text such as a Latin-1 `s=`), and
//!   silently mis-splits others (two spaces between `m=` fields give an empty proto; trailing
//!   blanks stay inside values). When the scan sees any of these it hands `sdp-types` a
//!   normalised copy instead of the original (one line per scanned line, CRLF, blanks trimmed,
//!   runs of blanks in structured lines collapsed, NUL/CR turned into spaces, invalid UTF-8
//!   replaced by U+FFFD). Byte ranges always refer to the original body, and
//!   [`SessionDescription::normalized`] says that this path was taken.
//! * LF-only line ends and a missing `t=`/`o=`/`s=` are accepted by `sdp-types` as they are.
//!
//! # Limits
//! [`SdpLimits`]: number of lines and of media sections ([`ErrorKind::TooManyValues`]).

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
pub type Attributes = Vec<(String, Option<String>)>;

/// A parsed session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionDescription {
    /// `o=` line (RFC 8866 §5.2); `None` when the body has no `o=` line.
    pub origin: Option<Origin>,
    /// `s=` (RFC 8866 §5.3); empty when absent.
    pub session_name: String,
    /// Session-level `c=` (RFC 8866 §5.7).
    pub connection: Option<Connection>,
    /// Session-level `b=` lines (RFC 8866 §5.8).
    pub bandwidths: Vec<Bandwidth>,
    /// Session-level direction attribute, if any (RFC 3264 §5.1, §6.1).
    pub direction: Option<Direction>,
    /// Session-level `a=fingerprint` (RFC 8122 §5 allows session level).
    pub fingerprints: Vec<Fingerprint>,
    /// Session-level `a=` lines, in order.
    pub attributes: Attributes,
    /// `m=` sections, in order.
    pub media: Vec<Media>,
    /// True when the body needed the lenient path (see the module documentation).
    pub normalized: bool,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// `-` when the user name is not given.
    pub username: String,
    pub sess_id: String,
    pub sess_version: u64,
    pub nettype: String,
    pub addrtype: String,
    /// Address as written (IP literal or FQDN).
    pub address: String,
    /// Parsed address; `None` for a host name (left unresolved).
    pub ip: Option<IpAddr>,
    /// Byte range of the address token within the SDP body.
    pub address_span: Range<usize>,
    /// Byte range of the whole `o=` line (without its line end).
    pub line: Range<usize>,
}

/// A `c=` line, or the address part of `a=rtcp` (RFC 8866 §5.7, RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// `IN` in practice.
    pub nettype: String,
    /// `IP4`, `IP6` or another token.
    pub addrtype: String,
    /// The address without its `/ttl` and `/count` suffixes: an IP literal or a host name.
    pub address: String,
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

impl Connection {
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
pub struct Bandwidth {
    pub bwtype: String,
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
pub enum MediaKind {
    Audio,
    Video,
    Image,
    Application,
    Text,
    Message,
    Other(String),
}

impl MediaKind {
    fn from_string(s: String) -> MediaKind {
        const KNOWN: [(&str, MediaKind); 6] = [
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
pub struct Rtcp {
    pub port: u16,
    /// Byte range of the port token within the SDP body.
    pub port_span: Range<usize>,
    /// The optional address part.
    pub connection: Option<Connection>,
}

/// `a=ike-setup` (RFC 6193): the endpoint's role in the IKE exchange, like `a=setup` of
/// RFC 4145.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IkeSetup {
    Active,
    Passive,
    ActPass,
    Other(String),
}

/// `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122 §5, formerly RFC 4572 §5), and the
/// same shape assumed for `a=psk-fingerprint` (RFC 6193; grammar not checked against the RFC
/// text, which was not at hand: `hash-func SP value` is parsed, the raw line stays in
/// `attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    pub hash_func: String,
    pub value: String,
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
pub struct Media {
    pub kind: MediaKind,
    pub port: u16,
    /// Byte range of the port number (without `/count`) within the SDP body.
    pub port_span: Range<usize>,
    /// `m=audio 49170/2 ...`: number of ports (RTP/RTCP pairs for RTP profiles); 1 if absent.
    pub port_count: u16,
    /// Byte range of the `/count` number, if present.
    pub port_count_span: Option<Range<usize>>,
    /// Transport protocol as written: `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`...
    pub proto: String,
    /// The `<fmt>` list.
    pub formats: Vec<String>,
    /// Media-level `c=` lines (usually zero or one; several for layered multicast).
    pub connections: Vec<Connection>,
    /// Which `c=` applies: media level, session level, or none (invalid SDP, RFC 8866 §5.7).
    pub connection_level: Option<ConnectionLevel>,
    pub bandwidths: Vec<Bandwidth>,
    /// The direction attribute written in this section, if any.
    pub direction_attribute: Option<Direction>,
    /// Effective direction: media attribute, else session attribute, else sendrecv
    /// (RFC 3264 §5.1).
    pub direction: Direction,
    /// `a=rtcp` (RFC 3605).
    pub rtcp: Option<Rtcp>,
    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    pub rtcp_mux: bool,
    /// Effective RTCP port: `a=rtcp`, else the RTP port with `a=rtcp-mux`, else port + 1
    /// (RFC 3605 §2, RFC 3550 §11). `None` when the stream is disabled (port 0) or port + 1
    /// overflows.
    pub rtcp_port: Option<u16>,
    /// `a=ike-setup` (RFC 6193).
    pub ike_setup: Option<IkeSetup>,
    /// `a=fingerprint` lines.
    pub fingerprints: Vec<Fingerprint>,
    /// `a=psk-fingerprint` lines (RFC 6193).
    pub psk_fingerprints: Vec<Fingerprint>,
    /// All `a=` lines of the section, in order (T.38 attributes are found here raw).
    pub attributes: Attributes,
    /// Byte range of the whole `m=` line (without its line end).
    pub line: Range<usize>,
}

impl Media {
    /// The connection that applies to this media, media level first (RFC 8866 §5.7).
    pub fn effective_connection<'s>(
        &'s self,
        session: &'s SessionDescription,
    ) -> Option<&'s Connection> {
        self.connections.first().or(session.connection.as_ref())
    }

    /// Port 0: the stream is rejected or disabled (RFC 3264 §5.1, §6).
    pub fn is_disabled(&self) -> bool {
        self.port == 0
    }

    /// On hold: sendonly/inactive (RFC 3264 §8.4), or the old `c=IN IP4 0.0.0.0`.
    pub fn is_hold(&self, session: &SessionDescription) -> bool {
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
    pub fn t38_attributes(&self) -> impl Iterator<Item = &(String, Option<String>)> {
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

impl SessionDescription {
    /// Session-level `b=AS` (kbit/s).
    pub fn bandwidth_as(&self) -> Option<u64> {
        bandwidth_as(&self.bandwidths)
    }

    /// First session attribute value by name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<Option<&str>> {
        find_attribute(&self.attributes, name)
    }
}

impl Media {
    /// Media-level `b=AS` (kbit/s).
    pub fn bandwidth_as(&self) -> Option<u64> {
        bandwidth_as(&self.bandwidths)
    }
}

fn bandwidth_as(b: &[Bandwidth]) -> Option<u64> {
    b.iter()
        .find(|b| b.bwtype.eq_ignore_ascii_case("AS"))
        .map(|b| b.value)
}

fn find_attribute<'a>(attrs: &'a Attributes, name: &str) -> Option<Option<&'a str>> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref())
}

/// Parse an SDP body with the default limits.
pub fn parse(body: &[u8]) -> Result<SessionDescription, ParseError> {
    parse_with(body, &SdpLimits::default())
}

/// Parse an SDP body. Error offsets are relative to `body`.
pub fn parse_with(body: &[u8], limits: &SdpLimits) -> Result<SessionDescription, ParseError> {
    let scan = scan_lines(body, limits)?;
    let normalized_text;
    let input: &[u8] = if scan.needs_normalizing {
        normalized_text = normalize(body, &scan.lines);
        &normalized_text
    } else {
        body
    };
    let session = sdp_types::Session::parse(input)
        .map_err(|e| ParseError::new(ErrorKind::BadSdp, error_offset(&e, body, &scan)))?;
    build(body, &scan, session)
}

// ---------------------------------------------------------------------------------------------
// Line scan (our own: sdp-types reports no positions).

/// One non-empty line: `<type>=<value>` (RFC 8866 §5: type is one letter).
#[derive(Debug, Clone, Copy)]
struct RawLine {
    key: u8,
    /// Offset of the type letter.
    start: usize,
    /// End of the value, trailing blanks and CR removed.
    end: usize,
}

impl RawLine {
    fn value(&self) -> Range<usize> {
        self.start.saturating_add(2)..self.end
    }
}

struct Scan {
    lines: Vec<RawLine>,
    /// Index (in `lines`) of every `m=` line.
    media_starts: Vec<usize>,
    needs_normalizing: bool,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Keys whose values are blank-separated fields (RFC 8866 §9 grammar).
fn is_structured(key: u8) -> bool {
    matches!(key, b'o' | b'c' | b'b' | b't' | b'r' | b'z' | b'm' | b'v')
}

fn scan_lines(body: &[u8], limits: &SdpLimits) -> Result<Scan, ParseError> {
    let mut lines = Vec::with_capacity(16);
    let mut media_starts = Vec::new();
    let mut needs = false;
    let mut pos = 0usize;
    while pos < body.len() {
        // RFC 8866 §5: lines end in CRLF; LF alone is accepted (as sdp-types does).
        let (line_end, next) = match memchr::memchr(b'\n', &body[pos..]) {
            Some(i) => (pos + i, pos + i + 1),
            None => (body.len(), body.len()),
        };
        let raw = &body[pos..line_end];
        // sdp-types removes exactly one CR before LF; anything more is normalised.
        let mut end = line_end;
        while end > pos && (is_blank(body[end - 1]) || body[end - 1] == b'\r') {
            end -= 1;
        }
        let stripped = line_end - end;
        let only_cr_before_lf = stripped == 1 && raw.last() == Some(&b'\r') && next > line_end;
        if stripped > 0 && !only_cr_before_lf {
            needs = true;
        }
        if end == pos {
            // Empty (or blank-only) line: sdp-types skips a truly empty line only.
            if stripped > 0 && !only_cr_before_lf {
                needs = true;
            }
            pos = next;
            continue;
        }
        let line = &body[pos..end];
        if line.len() < 2 || line[1] != b'=' || !line[0].is_ascii_alphabetic() {
            return Err(ParseError::new(ErrorKind::BadSdp, pos));
        }
        if lines.len() >= limits.max_lines {
            return Err(ParseError::new(ErrorKind::TooManyValues, pos));
        }
        let key = line[0];
        let value = &line[2..];
        if value.iter().any(|&b| b == 0 || b == b'\r') || std::str::from_utf8(value).is_err() {
            needs = true;
        }
        if is_structured(key)
            && (value.first().copied().is_some_and(is_blank)
                || value.contains(&b'\t')
                || value.windows(2).any(|w| w == b"  "))
        {
            needs = true;
        }
        if key == b'm' {
            if media_starts.len() >= limits.max_media {
                return Err(ParseError::new(ErrorKind::TooManyValues, pos));
            }
            media_starts.push(lines.len());
        }
        lines.push(RawLine {
            key,
            start: pos,
            end,
        });
        pos = next;
    }
    Ok(Scan {
        lines,
        media_starts,
        needs_normalizing: needs,
    })
}

/// The lenient copy handed to sdp-types: one CRLF line per scanned line.
fn normalize(body: &[u8], lines: &[RawLine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2 * lines.len());
    for l in lines {
        out.push(l.key);
        out.push(b'=');
        let value = body.get(l.value()).unwrap_or_default();
        let text = String::from_utf8_lossy(value);
        let structured = is_structured(l.key);
        let mut prev_blank = structured; // drops leading blanks of structured lines
        for &b in text.as_bytes() {
            let b = if b == 0 || b == b'\r' || b == b'\t' {
                b' '
            } else {
                b
            };
            if structured && b == b' ' {
                if prev_blank {
                    continue;
                }
                prev_blank = true;
            } else {
                prev_blank = false;
            }
            out.push(b);
        }
        if structured && out.last() == Some(&b' ') {
            out.pop();
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Map an sdp-types error (1-based line numbers) to a byte offset in `body`.
fn error_offset(e: &sdp_types::ParserError, body: &[u8], scan: &Scan) -> usize {
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
    if scan.needs_normalizing {
        // The normalised text has exactly one line per scanned line.
        scan.lines
            .get(n.saturating_sub(1))
            .map_or(body.len(), |l| l.start)
    } else {
        // Original text: count physical lines as bstr's `lines()` does (split on LF).
        let mut off = 0usize;
        for (line, i) in (1usize..).zip(memchr::memchr_iter(b'\n', body)) {
            if line == n {
                return off;
            }
            off = i + 1;
        }
        off.min(body.len())
    }
}

// ---------------------------------------------------------------------------------------------
// Building the model from sdp-types values plus our positions.

/// Blank-separated tokens of `body[range]`, as absolute ranges.
fn tokens(body: &[u8], range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let end = range.end.min(body.len());
    let mut pos = range.start.min(end);
    std::iter::from_fn(move || {
        while pos < end && matches!(body[pos], b' ' | b'\t' | b'\r' | 0) {
            pos += 1;
        }
        if pos >= end {
            return None;
        }
        let start = pos;
        while pos < end && !matches!(body[pos], b' ' | b'\t' | b'\r' | 0) {
            pos += 1;
        }
        Some(start..pos)
    })
}

/// Up to the first `/` of a token: the address of `addr/ttl/count`, the port of `port/count`.
fn before_slash(body: &[u8], r: &Range<usize>) -> Range<usize> {
    match body.get(r.clone()).and_then(|t| memchr::memchr(b'/', t)) {
        Some(i) => r.start..r.start + i,
        None => r.clone(),
    }
}

fn bad(at: usize) -> ParseError {
    ParseError::new(ErrorKind::BadSdp, at)
}

/// RFC 8866 §5.7: `<nettype> <addrtype> <connection-address>`, where the address may carry
/// `/ttl[/count]` (IP4) or `/count` (IP6). `address_span` is the address (without suffixes)
/// in the original body.
fn make_connection(
    nettype: &str,
    addrtype: &str,
    full_address: &str,
    address_span: Range<usize>,
    line: Range<usize>,
) -> Connection {
    let mut parts = full_address.split('/');
    let address = parts.next().unwrap_or_default();
    let first = parts.next();
    let second = parts.next();
    let (ttl, count) = if addrtype.eq_ignore_ascii_case("IP4") {
        (
            first.and_then(|s| s.parse().ok()),
            second.and_then(|s| s.parse().ok()),
        )
    } else {
        (None, first.and_then(|s| s.parse().ok()))
    };
    Connection {
        nettype: nettype.to_owned(),
        addrtype: addrtype.to_owned(),
        address: address.to_owned(),
        ip: address.parse().ok(),
        ttl,
        count,
        address_span,
        line,
    }
}

fn convert_connection(
    body: &[u8],
    c: &sdp_types::Connection,
    raw: &RawLine,
) -> Result<Connection, ParseError> {
    let token = tokens(body, raw.value()).nth(2).ok_or(bad(raw.start))?;
    Ok(make_connection(
        &c.nettype.to_string(),
        &c.addrtype.to_string(),
        &c.connection_address,
        before_slash(body, &token),
        raw.start..raw.end,
    ))
}

fn convert_bandwidths(b: &[sdp_types::Bandwidth]) -> Vec<Bandwidth> {
    b.iter()
        .map(|b| Bandwidth {
            bwtype: b.bwtype.clone(),
            value: b.bandwidth,
        })
        .collect()
}

/// Moves the strings out of sdp-types' attributes (no copy unless blanks must be trimmed).
fn convert_attributes(a: Vec<sdp_types::Attribute>) -> Attributes {
    fn trimmed(s: String) -> String {
        if s.trim().len() == s.len() {
            s
        } else {
            s.trim().to_owned()
        }
    }
    a.into_iter()
        .map(|a| (trimmed(a.attribute), a.value.map(trimmed)))
        .collect()
}

fn parse_fingerprint(value: Option<&str>) -> Option<Fingerprint> {
    // RFC 8122 §5: fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
    let mut it = value?.split_ascii_whitespace();
    let hash_func = it.next()?;
    let value = it.next()?;
    Some(Fingerprint {
        hash_func: hash_func.to_owned(),
        value: value.to_owned(),
    })
}

fn direction_of(attrs: &Attributes) -> Option<Direction> {
    attrs
        .iter()
        .filter(|(_, v)| v.is_none())
        .find_map(|(n, _)| Direction::from_attribute(n))
}

/// RFC 3605 §2.1: `rtcp-attribute = "a=rtcp:" port [nettype space addrtype space
/// connection-address] CRLF`. `raw` is the whole `a=rtcp:...` line.
fn parse_rtcp(body: &[u8], raw: &RawLine) -> Option<Rtcp> {
    let line = body.get(raw.value())?;
    let colon = memchr::memchr(b':', line)?;
    let value = raw.value().start + colon + 1..raw.end;
    let mut toks = tokens(body, value);
    let port_span = toks.next()?;
    let port_text = std::str::from_utf8(body.get(port_span.clone())?).ok()?;
    if !port_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: u16 = port_text.parse().ok()?;
    let connection = match (toks.next(), toks.next(), toks.next()) {
        (Some(n), Some(a), Some(c)) => {
            let text = |r: Range<usize>| {
                body.get(r)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            };
            let addr_span = before_slash(body, &c);
            Some(make_connection(
                &text(n),
                &text(a),
                &text(c),
                addr_span,
                raw.start..raw.end,
            ))
        }
        _ => None,
    };
    Some(Rtcp {
        port,
        port_span,
        connection,
    })
}

fn ike_setup(v: &str) -> IkeSetup {
    // RFC 6193: ike-setup-attr = "a=ike-setup:" role; role = "active" / "passive" / "actpass"
    match v.trim() {
        s if s.eq_ignore_ascii_case("active") => IkeSetup::Active,
        s if s.eq_ignore_ascii_case("passive") => IkeSetup::Passive,
        s if s.eq_ignore_ascii_case("actpass") => IkeSetup::ActPass,
        s => IkeSetup::Other(s.to_owned()),
    }
}

fn build(
    body: &[u8],
    scan: &Scan,
    mut s: sdp_types::Session,
) -> Result<SessionDescription, ParseError> {
    let lines = &scan.lines;
    let first_m = scan.media_starts.first().copied().unwrap_or(lines.len());
    let session_lines = lines.get(..first_m).unwrap_or_default();
    if s.medias.len() != scan.media_starts.len() {
        // Cannot happen when sdp-types saw the same lines we did; never trust it blindly.
        return Err(bad(0));
    }

    // o= (RFC 8866 §5.2). sdp-types invents a placeholder when it is absent; we don't.
    let origin = match session_lines.iter().find(|l| l.key == b'o') {
        Some(raw) => {
            let span = tokens(body, raw.value()).nth(5).ok_or(bad(raw.start))?;
            let o = &mut s.origin;
            Some(Origin {
                username: o.username.take().unwrap_or_else(|| "-".to_owned()),
                sess_id: std::mem::take(&mut o.sess_id),
                sess_version: o.sess_version,
                nettype: o.nettype.to_string(),
                addrtype: o.addrtype.to_string(),
                ip: o.unicast_address.parse().ok(),
                address: std::mem::take(&mut o.unicast_address),
                address_span: span,
                line: raw.start..raw.end,
            })
        }
        None => None,
    };

    let connection = match (&s.connection, session_lines.iter().find(|l| l.key == b'c')) {
        (Some(c), Some(raw)) => Some(convert_connection(body, c, raw)?),
        (None, None) => None,
        _ => return Err(bad(0)),
    };
    let attributes = convert_attributes(std::mem::take(&mut s.attributes));
    let session_direction = direction_of(&attributes);
    let fingerprints = attributes
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("fingerprint"))
        .filter_map(|(_, v)| parse_fingerprint(v.as_deref()))
        .collect();

    let mut media = Vec::with_capacity(s.medias.len());
    for (i, m) in std::mem::take(&mut s.medias).into_iter().enumerate() {
        let start = scan.media_starts.get(i).copied().ok_or(bad(0))?;
        let end = scan.media_starts.get(i + 1).copied().unwrap_or(lines.len());
        let seg = lines.get(start..end).ok_or(bad(0))?;
        let m_line = seg.first().ok_or(bad(0))?;
        media.push(build_media(
            body,
            m,
            m_line,
            seg,
            connection.is_some(),
            session_direction,
        )?);
    }

    Ok(SessionDescription {
        origin,
        session_name: s.session_name,
        connection,
        bandwidths: convert_bandwidths(&s.bandwidths),
        direction: session_direction,
        fingerprints,
        attributes,
        media,
        normalized: scan.needs_normalizing,
    })
}

fn build_media(
    body: &[u8],
    m: sdp_types::Media,
    m_line: &RawLine,
    seg: &[RawLine],
    session_has_connection: bool,
    session_direction: Option<Direction>,
) -> Result<Media, ParseError> {
    // m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14)
    let port_token = tokens(body, m_line.value())
        .nth(1)
        .ok_or(bad(m_line.start))?;
    let port_span = before_slash(body, &port_token);
    let port_count_span =
        (port_span.end < port_token.end).then(|| port_span.end + 1..port_token.end);

    let c_lines = seg.iter().filter(|l| l.key == b'c');
    if c_lines.clone().count() != m.connections.len() {
        return Err(bad(m_line.start));
    }
    let connections = m
        .connections
        .iter()
        .zip(c_lines)
        .map(|(c, raw)| convert_connection(body, c, raw))
        .collect::<Result<Vec<_>, _>>()?;
    let connection_level = if !connections.is_empty() {
        Some(ConnectionLevel::Media)
    } else if session_has_connection {
        Some(ConnectionLevel::Session)
    } else {
        None
    };

    let formats = m.fmt.split_ascii_whitespace().map(str::to_owned).collect();
    let attributes = convert_attributes(m.attributes);
    let a_lines: Vec<&RawLine> = seg.iter().filter(|l| l.key == b'a').collect();
    if a_lines.len() != attributes.len() {
        return Err(bad(m_line.start));
    }

    let direction_attribute = direction_of(&attributes);
    let direction = direction_attribute
        .or(session_direction)
        .unwrap_or(Direction::SendRecv);

    let mut rtcp = None;
    let mut rtcp_mux = false;
    let mut ike = None;
    let mut fingerprints = Vec::new();
    let mut psk_fingerprints = Vec::new();
    for ((name, value), raw) in attributes.iter().zip(a_lines.iter()) {
        if name.eq_ignore_ascii_case("rtcp") && rtcp.is_none() {
            rtcp = parse_rtcp(body, raw);
        } else if name.eq_ignore_ascii_case("rtcp-mux") {
            rtcp_mux = true;
        } else if name.eq_ignore_ascii_case("ike-setup") {
            if let Some(v) = value {
                ike = Some(ike_setup(v));
            }
        } else if name.eq_ignore_ascii_case("fingerprint") {
            fingerprints.extend(parse_fingerprint(value.as_deref()));
        } else if name.eq_ignore_ascii_case("psk-fingerprint") {
            psk_fingerprints.extend(parse_fingerprint(value.as_deref()));
        }
    }
    let rtcp_port = if m.port == 0 {
        None
    } else if let Some(r) = &rtcp {
        Some(r.port)
    } else if rtcp_mux {
        Some(m.port)
    } else {
        m.port.checked_add(1)
    };

    Ok(Media {
        kind: MediaKind::from_string(m.media),
        port: m.port,
        port_span,
        port_count: m.num_ports.unwrap_or(1),
        port_count_span,
        proto: m.proto,
        formats,
        connections,
        connection_level,
        bandwidths: convert_bandwidths(&m.bandwidths),
        direction_attribute,
        direction,
        rtcp,
        rtcp_mux,
        rtcp_port,
        ike_setup: ike,
        fingerprints,
        psk_fingerprints,
        attributes,
        line: m_line.start..m_line.end,
    })
}

#[cfg(test)]
mod tests;
