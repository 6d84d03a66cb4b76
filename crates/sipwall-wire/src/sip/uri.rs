//! URIs: `sip:`/`sips:` (RFC 3261 §19.1, §25.1), `tel:` (RFC 3966 §3) and any other scheme
//! (`absoluteURI`, RFC 3261 §25.1 / RFC 2396), kept as written.
//!
//! Every token is a sub-slice of the input, so a NAT rewrite can compute the byte range of the
//! host or port by pointer offset ([`super::text::offset_in`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::params::{
    check_escapes, class, classes, Params, ALPHA, DOT, HEADER_CHAR, LABEL, PARAMCHAR, PASSWORD,
    URIC, USER, USER_PLAIN,
};
use super::text::{run_end, trim_lws, Span};
use crate::error::{ErrorKind, ParseError};

/// URI scheme (compared case-insensitively, RFC 3261 §19.1.4; RFC 3966 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    /// Any other scheme; the URI is kept raw (see [`Uri::scheme_raw`]).
    Other,
}

/// A host: RFC 3261 §25.1 `host = hostname / IPv4address / IPv6reference`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    Ipv4(Ipv4Addr),
    /// From an `IPv6reference` (`[...]`); the brackets are in the raw slice only.
    Ipv6(Ipv6Addr),
    /// A `hostname`, as written (case not folded).
    Name(&'a [u8]),
}

/// The parsed host of a [`Uri`] or a `Via` without its text, which is a span of their `raw`
/// (5 bytes instead of the 24 of a [`Host`]; see [`Span`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    Ipv4([u8; 4]),
    /// Re-read from the text on access (rare; keeps the element small).
    Ipv6,
    Name,
}

impl HostKind {
    #[inline]
    pub(crate) fn of(h: &Host<'_>) -> HostKind {
        match h {
            Host::Ipv4(a) => HostKind::Ipv4(a.octets()),
            Host::Ipv6(_) => HostKind::Ipv6,
            Host::Name(_) => HostKind::Name,
        }
    }

    /// The host whose text (as written, IPv6 brackets included if any) is `text`.
    #[inline]
    pub(crate) fn host(self, text: &[u8]) -> Host<'_> {
        match self {
            HostKind::Ipv4(o) => Host::Ipv4(Ipv4Addr::from(o)),
            HostKind::Ipv6 => Host::Ipv6(ipv6_again(text)),
            HostKind::Name => Host::Name(text),
        }
    }
}

/// The address of an IPv6 host text that the parser already accepted (`[...]` or bare).
#[cold]
#[inline(never)]
fn ipv6_again(text: &[u8]) -> Ipv6Addr {
    let inner = match text {
        [b'[', inner @ .., b']'] => inner,
        _ => text,
    };
    // Invariant: the text was accepted by `parse_ipv6` when the element was parsed.
    parse_ipv6(inner).unwrap_or(Ipv6Addr::UNSPECIFIED)
}

/// A parsed URI. Every token borrows from the input: `raw` is stored, the others are spans of
/// it (see `text::Span`: the struct stays small) read by the accessors.
///
/// Token use by scheme:
/// - `sip`/`sips`: every token as in RFC 3261 §19.1.1; `host()`/`host_raw()` are always `Some`.
/// - `tel`: `user()` holds the telephone-subscriber number (RFC 3966 §3), `params()` its
///   parameters; `host()`, `host_raw()`, `port`, `password()`, `headers()` are `None`.
/// - other schemes: only `raw` and `scheme_raw()` are meaningful (the rest of `raw` after the
///   `:` is opaque); `host()` is `None` and `params()` empty.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    /// The whole URI as written (surrounding LWS trimmed).
    pub raw: &'a [u8],
    pub port: Option<u16>,
    pub scheme: Scheme,
    /// `None` only for `tel:` and other schemes.
    host: Option<HostKind>,
    user: Span,
    host_raw: Span,
    /// Always set (empty at the end of `raw` when there are none). The scheme, password, port
    /// and headers are found from these spans and the byte that follows them (see the
    /// accessors): fewer stored spans, a smaller struct.
    params: Span,
}

impl<'a> Uri<'a> {
    /// The scheme as written, without the `:`.
    #[inline]
    pub fn scheme_raw(&self) -> &'a [u8] {
        let len = match self.scheme {
            Scheme::Sip | Scheme::Tel => 3,
            Scheme::Sips => 4,
            // RFC 3261 §25.1: no `:` in a scheme, so the first one ends it.
            Scheme::Other => self
                .raw
                .iter()
                .position(|&b| b == b':')
                .unwrap_or(self.raw.len()),
        };
        self.raw.get(..len).unwrap_or(&[])
    }

    /// The user part, with `%` escapes and any `;` parameters of the user part left as written
    /// (RFC 4475 §3.1.1.9 semiuri, §3.1.1.3 esc01, §3.1.1.4 escnull).
    #[inline]
    pub fn user(&self) -> Option<&'a [u8]> {
        self.user.get(self.raw)
    }

    /// RFC 3261 §25.1 `userinfo = user [ ":" password ] "@"`: a `:` right after the user
    /// starts the password, which runs to the `@` before the host.
    #[inline]
    pub fn password(&self) -> Option<&'a [u8]> {
        self.user.get(self.raw)?;
        if self.raw.get(self.user.end()) != Some(&b':') {
            return None;
        }
        // `None` for `tel:` (no host; its number never ends at a `:` either).
        let at = self.host_raw.start().checked_sub(1)?;
        self.raw.get(self.user.end() + 1..at)
    }

    /// `None` only for `tel:` and other schemes.
    #[inline]
    pub fn host(&self) -> Option<Host<'a>> {
        Some(self.host?.host(self.host_raw.get(self.raw)?))
    }

    /// The host as written, including the brackets of an IPv6 reference.
    #[inline]
    pub fn host_raw(&self) -> Option<&'a [u8]> {
        self.host_raw.get(self.raw)
    }

    /// RFC 3261 §25.1 `hostport = host [ ":" port ]`: the digits between the `:` after the
    /// host and the parameters.
    #[inline]
    pub fn port_raw(&self) -> Option<&'a [u8]> {
        self.port?;
        self.raw
            .get(self.host_raw.end().checked_add(1)?..self.params.start())
    }

    /// URI parameters (`uri-parameters`), without LWS.
    #[inline]
    pub fn params(&self) -> Params<'a> {
        Params::uri_run(self.params.slice(self.raw))
    }

    /// The `headers` component after `?`, without the `?` (RFC 3261 §25.1: `?` ends the
    /// parameters of a SIP URI).
    #[inline]
    pub fn headers(&self) -> Option<&'a [u8]> {
        if !self.is_sip() || self.raw.get(self.params.end()) != Some(&b'?') {
            return None;
        }
        self.raw.get(self.params.end() + 1..)
    }
}

impl std::fmt::Debug for Uri<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uri")
            .field("raw", &self.raw)
            .field("scheme", &self.scheme)
            .field("scheme_raw", &self.scheme_raw())
            .field("user", &self.user())
            .field("password", &self.password())
            .field("host", &self.host())
            .field("host_raw", &self.host_raw())
            .field("port", &self.port)
            .field("port_raw", &self.port_raw())
            .field("params", &self.params())
            .field("headers", &self.headers())
            .finish()
    }
}

fn err(kind: ErrorKind, at: usize) -> ParseError {
    ParseError::new(kind, at)
}

/// RFC 3261 §25.1 `IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT`, each
/// octet at most 255 (leading zeros allowed, unlike `std`'s parser). One pass, no splitting.
pub(crate) fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0usize;
    let mut v: u16 = 0;
    let mut digits = 0u8;
    for &b in s {
        if b == b'.' {
            if digits == 0 {
                return None;
            }
            *octets.get_mut(n)? = u8::try_from(v).ok()?;
            n += 1;
            v = 0;
            digits = 0;
        } else if b.is_ascii_digit() {
            digits += 1;
            if digits > 3 {
                return None;
            }
            v = v * 10 + u16::from(b - b'0');
        } else {
            return None;
        }
    }
    if digits == 0 || n != 3 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(v).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// RFC 3261 §25.1 `IPv6address` (RFC 4291 §2.2 text forms, including an embedded IPv4 tail).
///
/// RFC 5118 §4.10: RFC 3261's ABNF for `IPv6address` wrongly admits three colons before an
/// embedded IPv4 address (`2001:db8:::192.0.2.1`). We *reject* that form (`BadHost`): it is not
/// an IPv6 address under RFC 4291, and a firewall should not guess which address was meant.
/// RFC 5118 §4.10 asks parsers to be robust to it; robustness here means a typed error, not a
/// crash. Zone identifiers are not accepted (they are not part of RFC 3261's grammar).
pub(crate) fn parse_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    // Longest text form: 8 groups of 4 hex digits with an IPv4 tail is 45 bytes.
    if s.is_empty()
        || s.len() > 45
        || !s
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// RFC 3261 §25.1 `hostname = *( domainlabel "." ) toplabel [ "." ]`,
/// `domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum`,
/// `toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum`. Returns the offset of the first
/// bad byte: in the first label that is wrong, a byte that is not alphanum or `-`, else an
/// empty label's start, a leading `-`, a trailing `-`; then a toplabel that does not start
/// with a letter. One pass over the bytes.
fn check_hostname(s: &[u8]) -> Result<(), usize> {
    let body = s.strip_suffix(b".").unwrap_or(s);
    if body.is_empty() || body.len() > 255 {
        return Err(0);
    }
    let mut i = 0;
    let mut last_start;
    loop {
        let start = i;
        loop {
            match body.get(i) {
                None | Some(b'.') => break,
                Some(&b) if class(b, LABEL) => i += 1,
                Some(_) => return Err(i),
            }
        }
        if i == start {
            return Err(start); // empty label
        }
        if body.get(start) == Some(&b'-') {
            return Err(start);
        }
        if body.get(i - 1) == Some(&b'-') {
            return Err(i - 1);
        }
        last_start = start;
        if i >= body.len() {
            break;
        }
        i += 1; // the '.'
    }
    match body.get(last_start) {
        Some(b) if b.is_ascii_alphabetic() => Ok(()),
        _ => Err(last_start),
    }
}

/// A valid `hostname` or `IPv4address` (RFC 3261 §25.1) checked in one pass, giving exactly
/// what [`Host::parse`]'s general path gives; `None` for anything else (an IPv6 reference, an
/// invalid host), which the general path then parses or rejects with its offset.
#[inline]
pub(crate) fn host_fast(s: &[u8]) -> Option<Host<'_>> {
    match host_prefix(s) {
        Some((h, n)) if n == s.len() => Some(h),
        _ => None,
    }
}

/// The host at the start of `s`: the run of label bytes and dots, checked as a `hostname` or
/// `IPv4address` in the same pass that finds its end (the byte at the returned length is not
/// a label byte or dot). `None` when that run is not a valid host.
#[inline]
pub(crate) fn host_prefix(s: &[u8]) -> Option<(Host<'_>, usize)> {
    let (kind, n) = host_kind_prefix(s)?;
    Some((kind.host(s.get(..n)?), n))
}

/// [`host_prefix`] giving the kind of host only (its text is `s[..n]`): the pair is returned
/// in two registers, not through memory, to the hot URI and Via parsers.
#[inline]
pub(crate) fn host_kind_prefix(s: &[u8]) -> Option<(HostKind, usize)> {
    // An IPv4 literal (a Via sent-by, a Contact) is read in the same pass that finds its end,
    // not scanned as labels and then parsed again.
    if s.first().is_some_and(u8::is_ascii_digit) {
        if let Some((a, n)) = ipv4_prefix(s) {
            return Some((HostKind::Ipv4(a.octets()), n));
        }
    }
    host_prefix_labels(s)
}

/// The `IPv4address` (RFC 3261 §25.1) at the start of `s` when the run of label bytes and dots
/// there is exactly that address: what [`host_prefix_labels`] gives for such a run. `None`
/// otherwise (a hostname, a bad address, a trailing `.`), for the label scan to decide.
#[inline]
fn ipv4_prefix(s: &[u8]) -> Option<(Ipv4Addr, usize)> {
    // Octet by octet, each read by `octet_prefix` with its digits unrolled: no per-byte loop
    // counter or digit count to keep (about half the instructions of a digit loop, see
    // `examples/parse_loop.rs`).
    let (a, n0) = octet_prefix(s, 0)?;
    let (b, n1) = octet_prefix(s, dot_after(s, n0)?)?;
    let (c, n2) = octet_prefix(s, dot_after(s, n1)?)?;
    let (d, n) = octet_prefix(s, dot_after(s, n2)?)?;
    // The run must end here: a fourth digit, a letter, '-' or '.' makes it something else.
    if s.get(n).is_some_and(|&b| classes(b) & (LABEL | DOT) != 0) {
        return None;
    }
    Some((Ipv4Addr::new(a, b, c, d), n))
}

/// `i + 1` when `s[i]` is the '.' between two octets of an `IPv4address`.
#[inline(always)]
fn dot_after(s: &[u8], i: usize) -> Option<usize> {
    (s.get(i) == Some(&b'.')).then_some(i + 1)
}

/// The `1*3DIGIT` octet of an `IPv4address` (RFC 3261 §25.1, at most 255) at `s[i..]`: its
/// value and where it ends. A fourth digit is left for the caller to reject (it is not a '.'
/// nor an end of the run).
#[inline(always)]
fn octet_prefix(s: &[u8], i: usize) -> Option<(u8, usize)> {
    let digit = |k: usize| -> Option<u8> {
        let d = s.get(k)?.wrapping_sub(b'0');
        (d < 10).then_some(d)
    };
    let d0 = digit(i)?;
    let Some(d1) = digit(i + 1) else {
        return Some((d0, i + 1));
    };
    // At most 99: no overflow.
    let v = d0 * 10 + d1;
    let Some(d2) = digit(i + 2) else {
        return Some((v, i + 2));
    };
    let v = u8::try_from(u16::from(v) * 10 + u16::from(d2)).ok()?;
    Some((v, i + 3))
}

/// RFC 3261 §25.1 `port = 1*DIGIT` at the start of `s`, as a `u16`: its value and length, in
/// the one pass that finds its end. What [`parse_port`] gives for the run of digits there
/// (leading zeros allowed); `None` for no digit or a value above 65535.
#[inline]
pub(crate) fn port_prefix(s: &[u8]) -> Option<(u16, usize)> {
    let mut v: u32 = 0;
    let mut n = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Checked at every digit, so `v` stays below 655,360: no overflow.
        v = v * 10 + u32::from(d);
        if v > u32::from(u16::MAX) {
            return None;
        }
        n += 1;
    }
    if n == 0 {
        return None;
    }
    Some((u16::try_from(v).ok()?, n))
}

/// [`host_prefix`] by labels, for every host.
fn host_prefix_labels(s: &[u8]) -> Option<(HostKind, usize)> {
    // One loop with one table load per byte; the label rules (RFC 3261 §25.1 `domainlabel`:
    // not empty, neither starts nor ends with '-') are checked only at the dots, where a
    // label ends (a scan per label cost more at its edges than it saved: see benches).
    let mut start = 0; // first byte of the current label
    let mut top = 0; // first byte of the last non-empty label (the toplabel)
    let n = loop {
        let i = run_end(s, start, |b| class(b, LABEL));
        if s.get(i) != Some(&b'.') {
            break i;
        }
        if !label_ok(s, start, i) {
            return None;
        }
        top = start;
        start = i + 1;
    };
    if n > start {
        if !label_ok(s, start, n) {
            return None;
        }
        top = start;
    } else if n == 0 {
        return None; // empty
    }
    // else: ended with a '.', allowed once after a label (a following label byte, '-' or '.'
    // would have been read into the run).
    // `body` of check_hostname: at most 255 bytes plus a trailing '.'.
    let h = s.get(..n)?;
    if n > 256 || (n == 256 && n > start) {
        return None;
    }
    if s.get(top).is_some_and(|&b| class(b, ALPHA)) {
        return Some((HostKind::Name, n));
    }
    // Not a hostname (its toplabel must start with a letter), so an IPv4 literal or
    // nothing: `parse_ipv4` rejects any letter, '-' or trailing '.'.
    parse_ipv4(h).map(|a| (HostKind::Ipv4(a.octets()), n))
}

/// Is `s[start..end]` (label bytes) a `domainlabel`: not empty, no '-' at either end?
#[inline(always)]
fn label_ok(s: &[u8], start: usize, end: usize) -> bool {
    end > start && s.get(start) != Some(&b'-') && s.get(end.wrapping_sub(1)) != Some(&b'-')
}

impl<'a> Host<'a> {
    /// Parse exactly one `host` (RFC 3261 §25.1). IPv6 must be in brackets (RFC 5118 §4.2);
    /// a bare IPv6 address is `BadHost`. An all-numeric dotted host must be a valid IPv4
    /// address. Errors: `BadHost` with an offset into `s`.
    pub fn parse(s: &'a [u8]) -> Result<Host<'a>, ParseError> {
        // The usual hostname or IPv4 literal in one pass; anything else (IPv6, errors) takes
        // the general path, which also finds the error offset.
        match host_fast(s) {
            Some(h) => Ok(h),
            None => Self::parse_general(s),
        }
    }

    #[cold]
    #[inline(never)]
    fn parse_general(s: &'a [u8]) -> Result<Host<'a>, ParseError> {
        match s.first() {
            None => Err(err(ErrorKind::BadHost, 0)),
            Some(b'[') => {
                let inner = s
                    .strip_suffix(b"]")
                    .and_then(|x| x.get(1..))
                    .ok_or(err(ErrorKind::BadHost, s.len()))?;
                parse_ipv6(inner)
                    .map(Host::Ipv6)
                    .ok_or(err(ErrorKind::BadHost, 1))
            }
            // A host that starts with a letter cannot be an IPv4 literal: check it as a
            // hostname at once (the usual case), without the all-digits pass.
            Some(b) if b.is_ascii_alphabetic() => {
                check_hostname(s).map_err(|o| err(ErrorKind::BadHost, o))?;
                Ok(Host::Name(s))
            }
            Some(_) => {
                if s.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
                    return parse_ipv4(s)
                        .map(Host::Ipv4)
                        .ok_or(err(ErrorKind::BadHost, 0));
                }
                check_hostname(s).map_err(|o| err(ErrorKind::BadHost, o))?;
                Ok(Host::Name(s))
            }
        }
    }

    /// Parse an address that may be a bare IPv6 address as well as a `host`: used for the Via
    /// `received` parameter (RFC 3261 §25.1 `via-received`, RFC 5118 §4.5).
    pub fn parse_lenient_ipv6(s: &'a [u8]) -> Result<Host<'a>, ParseError> {
        if s.contains(&b':') && s.first() != Some(&b'[') {
            return parse_ipv6(s)
                .map(Host::Ipv6)
                .ok_or(err(ErrorKind::BadHost, 0));
        }
        Host::parse(s)
    }

    /// The IP address, when the host is a literal.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        match *self {
            Host::Ipv4(a) => Some(a.into()),
            Host::Ipv6(a) => Some(a.into()),
            Host::Name(_) => None,
        }
    }
}

/// RFC 3261 §25.1 `port = 1*DIGIT`, which must fit a `u16` (RFC 4475 §3.1.2.4). Returns the
/// offset of the first bad byte.
pub(crate) fn parse_port(s: &[u8]) -> Result<u16, usize> {
    if s.is_empty() {
        return Err(0);
    }
    let mut v: u16 = 0;
    for (i, &b) in s.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(i);
        }
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u16::from(b - b'0')))
            .ok_or(i)?;
    }
    Ok(v)
}

/// RFC 3261 §25.1 `user = 1*( unreserved / escaped / user-unreserved )`,
/// `user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"`.
#[inline]
fn is_user_char(b: u8) -> bool {
    class(b, USER)
}

pub(super) const fn user_rule(b: u8) -> bool {
    super::params::unreserved_rule(b)
        || matches!(
            b,
            b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/' | b'%'
        )
}

/// RFC 3261 §25.1 `password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )`.
#[inline]
fn is_password_char(b: u8) -> bool {
    class(b, PASSWORD)
}

pub(super) const fn password_rule(b: u8) -> bool {
    super::params::unreserved_rule(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b'%')
}

/// RFC 3261 §25.1 `hname`/`hvalue` characters: `hnv-unreserved / unreserved / escaped`,
/// `hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"`, plus the `=` and `&` separators.
#[inline]
fn is_header_char(b: u8) -> bool {
    class(b, HEADER_CHAR)
}

pub(super) const fn header_rule(b: u8) -> bool {
    super::params::unreserved_rule(b)
        || matches!(
            b,
            b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$' | b'%' | b'=' | b'&'
        )
}

/// RFC 2396 §3 / RFC 3261 §25.1 `absoluteURI` characters: `uric = reserved / unreserved /
/// escaped`, `reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","`; `[` and
/// `]` are admitted for IPv6 literals (RFC 3986 §3.2.2). No LWS, `<`, `>`, `"` or controls.
#[inline]
fn is_uric(b: u8) -> bool {
    class(b, URIC)
}

pub(super) const fn uric_rule(b: u8) -> bool {
    super::params::unreserved_rule(b)
        || matches!(
            b,
            b';' | b'/'
                | b'?'
                | b':'
                | b'@'
                | b'&'
                | b'='
                | b'+'
                | b'$'
                | b','
                | b'%'
                | b'['
                | b']'
        )
}

/// Offset of the first byte of `s` failing `ok`, or of a malformed `%` escape.
fn check_chars(s: &[u8], ok: impl Fn(u8) -> bool) -> Result<(), usize> {
    if let Some(i) = s.iter().position(|&b| !ok(b)) {
        return Err(i);
    }
    check_escapes(s)
}

/// RFC 3966 §3 `telephone-subscriber` number part:
/// `global-number-digits = "+" *phonedigit DIGIT *phonedigit`,
/// `local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex`,
/// `phonedigit = DIGIT / visual-separator`, `visual-separator = "-" / "." / "(" / ")"`.
fn check_tel_number(s: &[u8]) -> Result<(), usize> {
    let visual = |b: u8| matches!(b, b'-' | b'.' | b'(' | b')');
    if let Some(rest) = s.strip_prefix(b"+") {
        if let Some(i) = rest
            .iter()
            .position(|&b| !(b.is_ascii_digit() || visual(b)))
        {
            return Err(i + 1);
        }
        if !rest.iter().any(u8::is_ascii_digit) {
            return Err(s.len());
        }
    } else {
        let hex = |b: u8| b.is_ascii_hexdigit() || b == b'*' || b == b'#';
        if let Some(i) = s.iter().position(|&b| !(hex(b) || visual(b))) {
            return Err(i);
        }
        if !s.iter().any(|&b| hex(b)) {
            return Err(s.len());
        }
    }
    Ok(())
}

impl<'a> Uri<'a> {
    /// Parse a URI. Surrounding LWS is trimmed; any LWS, `<` or `>` inside is an error
    /// (RFC 4475 §3.1.2.7 ltgtruri, §3.1.2.8 lwsruri). Errors: `BadUri`, `BadHost`, `BadPort`,
    /// `BadParam`, with an offset into `input`.
    #[inline]
    pub fn parse(input: &'a [u8]) -> Result<Uri<'a>, ParseError> {
        let s = trim_lws(input);
        let lead = super::text::offset_in(input, s).unwrap_or(0);
        Self::parse_exact(s).map_err(|e| e.shifted(lead))
    }

    /// Parse a URI that is exactly `s` (no trimming).
    pub(crate) fn parse_exact(s: &'a [u8]) -> Result<Uri<'a>, ParseError> {
        match Self::parse_sip_prefix(s, true) {
            Some((u, n)) if n == s.len() => Ok(u),
            _ => Self::parse_general(s),
        }
    }

    /// [`Uri::parse_exact`] for every scheme and shape, with the error offsets.
    #[cold]
    #[inline(never)]
    pub(crate) fn parse_general(s: &'a [u8]) -> Result<Uri<'a>, ParseError> {
        // RFC 3261 §25.1 / RFC 2396 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        match s.first() {
            Some(b) if b.is_ascii_alphabetic() => {}
            _ => return Err(err(ErrorKind::BadUri, 0)),
        }
        let colon = s
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
            .unwrap_or(s.len());
        if s.get(colon) != Some(&b':') {
            return Err(err(ErrorKind::BadUri, colon));
        }
        let scheme_raw = s.get(..colon).unwrap_or(&[]);
        let scheme = if scheme_raw.eq_ignore_ascii_case(b"sip") {
            Scheme::Sip
        } else if scheme_raw.eq_ignore_ascii_case(b"sips") {
            Scheme::Sips
        } else if scheme_raw.eq_ignore_ascii_case(b"tel") {
            Scheme::Tel
        } else {
            Scheme::Other
        };
        let base = colon + 1;
        let mut uri = Uri {
            raw: s,
            port: None,
            scheme,
            host: None,
            user: Span::NONE,
            host_raw: Span::NONE,
            params: Span::at(s.len(), 0),
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => Self::parse_sip(&mut uri, s, base)?,
            Scheme::Tel => {
                // RFC 3966 §3: telephone-uri = "tel:" telephone-subscriber; the number runs to
                // the first ';', then `*par` (parameters share the URI paramchar set).
                let rest = s.get(base..).unwrap_or(&[]);
                let nlen = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
                let number = rest.get(..nlen).unwrap_or(&[]);
                check_tel_number(number).map_err(|o| err(ErrorKind::BadUri, base + o))?;
                uri.user = Span::of(s, number);
                let pstart = base + nlen;
                let params = Params::parse_uri(s.get(pstart..).unwrap_or(&[]))
                    .map_err(|e| e.shifted(pstart))?;
                uri.params = Span::of(s, params.raw());
            }
            Scheme::Other => {
                // absoluteURI = scheme ":" ( hier-part / opaque-part ): at least one byte.
                let rest = s.get(base..).unwrap_or(&[]);
                if rest.is_empty() {
                    return Err(err(ErrorKind::BadUri, base));
                }
                check_chars(rest, is_uric).map_err(|o| err(ErrorKind::BadUri, base + o))?;
            }
        }
        Ok(uri)
    }

    /// The common shape of a `sip:`/`sips:` URI at the start of `s`, in one forward pass:
    /// `sip:[user@]host[:port][;params]` with a user but no password,
    /// a hostname or IPv4 host, and (when `uri_params`) URI parameters. It stops at the first
    /// byte that does not fit that shape and returns the URI and its length `n`.
    ///
    /// Contract (tested against the general path): when it returns `Some((u, n))`,
    /// `Uri::parse_exact(&s[..n])` gives exactly `u`; the caller must still check that the
    /// byte at `n` ends the URI in its own grammar (`>` in a name-addr; `;`, LWS or the end
    /// for a bare addr-spec, whose `;` parameters belong to the header). `None` means "use the
    /// general path": it is not an error.
    #[inline(never)]
    pub(crate) fn parse_sip_prefix(s: &'a [u8], uri_params: bool) -> Option<(Uri<'a>, usize)> {
        Self::parse_sip_prefix_inline(s, uri_params)
    }

    /// [`Uri::parse_sip_prefix`] inlined into its one hot caller (the name-addr parser), so
    /// that the URI is built where the name-addr is, not built and then copied.
    #[inline(always)]
    pub(crate) fn parse_sip_prefix_inline(
        s: &'a [u8],
        uri_params: bool,
    ) -> Option<(Uri<'a>, usize)> {
        // `sip:` in any case as one word compare: setting bit 5 maps exactly `S`/`s` to `s`
        // (and `I`, `P` likewise); the `:` is compared as it is.
        let head = u32::from_le_bytes(*s.first_chunk::<4>()?);
        let (scheme, base) = if head | 0x0020_2020 == u32::from_le_bytes(*b"sip:") {
            (Scheme::Sip, 4)
        } else {
            match s {
                [b's' | b'S', b'i' | b'I', b'p' | b'P', b's' | b'S', b':', ..] => (Scheme::Sips, 5),
                _ => return None,
            }
        };
        // userinfo: a run of `user` bytes ended by '@' (else that run was the host). A ':'
        // (password) stops the run, and the general path takes it.
        let mut user = Span::NONE;
        let mut hstart = base;
        let u_end = run_end(s, base, |b| class(b, USER_PLAIN));
        if s.get(u_end) == Some(&b'@') {
            if u_end == base {
                return None;
            }
            user = Span::at(base, u_end - base);
            hstart = u_end + 1;
        }
        // host: hostname / IPv4address, checked as it is scanned.
        let rest = s.get(hstart..).unwrap_or(&[]);
        let (host, hlen) = host_kind_prefix(rest)?;
        let host_raw = Span::at(hstart, hlen);
        let mut pos = hstart + hlen;
        let mut port = None;
        if s.get(pos) == Some(&b':') {
            let (p, plen) = port_prefix(s.get(pos + 1..)?)?;
            port = Some(p);
            pos += 1 + plen;
        }
        let mut end = pos;
        if uri_params && s.get(pos) == Some(&b';') {
            let rest = s.get(pos..).unwrap_or(&[]);
            end = pos
                + rest
                    .iter()
                    .take_while(|&&b| class(b, PARAMCHAR) || b == b';' || b == b'=')
                    .count();
        }
        // The same call the general path makes, so the run is identical.
        let params = if end == pos {
            Span::at(pos, 0)
        } else {
            Span::of(s, Params::parse_uri(s.get(pos..end)?).ok()?.raw())
        };
        let raw = s.get(..end)?;
        Some((
            Uri {
                raw,
                port,
                scheme,
                host: Some(host),
                user,
                host_raw,
                params,
            },
            end,
        ))
    }

    /// RFC 3261 §25.1:
    /// `SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]`,
    /// `userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"`,
    /// `hostport = host [ ":" port ]`, `headers = "?" header *( "&" header )`.
    fn parse_sip(uri: &mut Uri<'a>, s: &'a [u8], base: usize) -> Result<(), ParseError> {
        let rest = s.get(base..).unwrap_or(&[]);
        // userinfo: neither user nor password nor host may contain '@', so the first '@'
        // ends the userinfo.
        let mut hp = base;
        if let Some(at) = rest.iter().position(|&b| b == b'@') {
            let userinfo = rest.get(..at).unwrap_or(&[]);
            let (user, password) = match userinfo.iter().position(|&b| b == b':') {
                Some(c) => (
                    userinfo.get(..c).unwrap_or(&[]),
                    Some(userinfo.get(c + 1..).unwrap_or(&[])),
                ),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(err(ErrorKind::BadUri, base));
            }
            check_chars(user, is_user_char).map_err(|o| err(ErrorKind::BadUri, base + o))?;
            if let Some(pw) = password {
                let pbase = base + user.len() + 1;
                check_chars(pw, is_password_char).map_err(|o| err(ErrorKind::BadUri, pbase + o))?;
            }
            uri.user = Span::of(s, user);
            hp = base + at + 1;
        }
        // host
        let after_hp = s.get(hp..).unwrap_or(&[]);
        let host_len = if after_hp.first() == Some(&b'[') {
            after_hp
                .iter()
                .position(|&b| b == b']')
                .map(|i| i + 1)
                .ok_or(err(ErrorKind::BadHost, hp))?
        } else {
            after_hp
                .iter()
                .position(|&b| matches!(b, b':' | b';' | b'?'))
                .unwrap_or(after_hp.len())
        };
        let host_raw = after_hp.get(..host_len).unwrap_or(&[]);
        let host = Host::parse(host_raw).map_err(|e| e.shifted(hp))?;
        uri.host = Some(HostKind::of(&host));
        uri.host_raw = Span::of(s, host_raw);
        let mut pos = hp + host_len;
        // port
        if s.get(pos) == Some(&b':') {
            let pstart = pos + 1;
            let tail = s.get(pstart..).unwrap_or(&[]);
            let plen = tail
                .iter()
                .position(|&b| matches!(b, b';' | b'?'))
                .unwrap_or(tail.len());
            let port_raw = tail.get(..plen).unwrap_or(&[]);
            let port = parse_port(port_raw).map_err(|o| err(ErrorKind::BadPort, pstart + o))?;
            uri.port = Some(port);
            pos = pstart + plen;
        }
        match s.get(pos) {
            None | Some(b';' | b'?') => {}
            Some(_) => return Err(err(ErrorKind::BadHost, pos)),
        }
        // uri-parameters, up to '?'
        let tail = s.get(pos..).unwrap_or(&[]);
        let qlen = tail.iter().position(|&b| b == b'?').unwrap_or(tail.len());
        let params =
            Params::parse_uri(tail.get(..qlen).unwrap_or(&[])).map_err(|e| e.shifted(pos))?;
        uri.params = Span::of(s, params.raw());
        // headers
        let q = pos + qlen;
        if s.get(q) == Some(&b'?') {
            let h = s.get(q + 1..).unwrap_or(&[]);
            if h.is_empty() {
                return Err(err(ErrorKind::BadUri, q + 1));
            }
            check_chars(h, is_header_char).map_err(|o| err(ErrorKind::BadUri, q + 1 + o))?;
        }
        Ok(())
    }

    /// True for `sip:` and `sips:` URIs.
    pub fn is_sip(&self) -> bool {
        matches!(self.scheme, Scheme::Sip | Scheme::Sips)
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::offset_in;
    use super::*;
    use proptest::prelude::*;

    fn e(kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, offset)
    }

    fn assert_sub(outer: &[u8], inner: &[u8]) {
        assert!(offset_in(outer, inner).is_some(), "not a sub-slice");
    }

    /// The decoded structs are moved through `Result`s and list slots: kept small (spans of
    /// `raw`, see `Span`), those moves are a few register stores, not memcpy calls.
    #[test]
    fn decoded_structs_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<Uri<'_>>() <= 56, "{}", size_of::<Uri<'_>>());
        let na = size_of::<super::super::name_addr::NameAddr<'_>>();
        assert!(na <= 96, "{na}");
        let via = size_of::<super::super::via::Via<'_>>();
        assert!(via <= 80, "{via}");
    }

    #[test]
    fn class_table_matches_the_rules() {
        for b in 0..=255u8 {
            assert_eq!(is_user_char(b), user_rule(b));
            assert_eq!(is_password_char(b), password_rule(b));
            assert_eq!(is_header_char(b), header_rule(b));
            assert_eq!(is_uric(b), uric_rule(b));
        }
    }

    #[test]
    fn plain_sip() {
        let v: &[u8] = b"sip:vivekg@chair-dnrc.example.com;unknownparam";
        let u = Uri::parse(v).unwrap();
        assert_eq!(u.scheme, Scheme::Sip);
        assert_eq!(u.scheme_raw(), b"sip");
        assert_eq!(u.user(), Some(&b"vivekg"[..]));
        assert_eq!(u.password(), None);
        assert_eq!(u.host(), Some(Host::Name(b"chair-dnrc.example.com")));
        assert_eq!(offset_in(v, u.host_raw().unwrap()), Some(11));
        assert_eq!(u.port, None);
        assert_eq!(u.params().get(b"unknownparam"), Some(None));
        assert_eq!(u.headers(), None);
        assert!(u.is_sip());
    }

    #[test]
    fn port_and_sub_slices() {
        let v: &[u8] = b"  SIPS:alice:secret@192.0.2.1:05061;transport=tcp?subject=x&h=%20 ";
        let u = Uri::parse(v).unwrap();
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.raw, &v[2..v.len() - 1]);
        assert_eq!(u.password(), Some(&b"secret"[..]));
        assert_eq!(u.host(), Some(Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(u.port, Some(5061));
        assert_eq!(offset_in(v, u.port_raw().unwrap()), Some(30));
        assert_eq!(u.params().get(b"TRANSPORT"), Some(Some(&b"tcp"[..])));
        assert_eq!(u.headers(), Some(&b"subject=x&h=%20"[..]));
        for s in [
            u.raw,
            u.scheme_raw(),
            u.user().unwrap(),
            u.host_raw().unwrap(),
            u.params().raw(),
        ] {
            assert_sub(v, s);
        }
    }

    #[test]
    fn rfc4475_user_parts() {
        // intmeth Request-URI: odd user and password characters.
        let v: &[u8] = b"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
        let u = Uri::parse(v).unwrap();
        assert_eq!(
            u.user(),
            Some(&b"1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"[..])
        );
        assert_eq!(
            u.password(),
            Some(&b"&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"[..])
        );
        assert_eq!(u.host(), Some(Host::Name(b"example.com")));
        // semiuri: ';' params in the user part stay in the user.
        let u = Uri::parse(b"sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user(), Some(&b"user;par=u%40example.net"[..]));
        assert!(u.params().is_empty());
        // esc01 / escnull: escapes kept as written.
        let u = Uri::parse(b"sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(u.user(), Some(&b"sips%3Auser%40example.com"[..]));
        let u = Uri::parse(b"sip:%00%00@host5.example.com").unwrap();
        assert_eq!(u.user(), Some(&b"%00%00"[..]));
        let u =
            Uri::parse(b"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31").unwrap();
        assert_eq!(u.params().iter().count(), 2);
        // cparam01: user with '+'.
        let u = Uri::parse(b"sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert_eq!(u.user(), Some(&b"+19725552222"[..]));
        // regescrt: escaped header.
        let u = Uri::parse(b"sip:user@example.com?Route=%3Csip:sip.example.com%3E").unwrap();
        assert_eq!(u.headers(), Some(&b"Route=%3Csip:sip.example.com%3E"[..]));
        // inv2543 Record-Route URI.
        let u = Uri::parse(b"sip:UserB@example.com;maddr=ss1.example.com").unwrap();
        assert_eq!(
            u.params().get(b"maddr"),
            Some(Some(&b"ss1.example.com"[..]))
        );
    }

    #[test]
    fn rfc5118_ipv6() {
        // §4.2: IPv6 in brackets.
        let u = Uri::parse(b"sip:[2001:db8::10]").unwrap();
        assert_eq!(u.host(), Some(Host::Ipv6("2001:db8::10".parse().unwrap())));
        assert_eq!(u.host_raw(), Some(&b"[2001:db8::10]"[..]));
        assert_eq!(u.port, None);
        // §4.2: bare IPv6 is not a host.
        assert_eq!(
            Uri::parse(b"sip:2001:db8::10").unwrap_err().kind,
            ErrorKind::BadHost
        );
        // §4.3: port ambiguity.
        let u = Uri::parse(b"sip:[2001:db8::10:5070]").unwrap();
        assert_eq!(
            u.host(),
            Some(Host::Ipv6("2001:db8::10:5070".parse().unwrap()))
        );
        assert_eq!(u.port, None);
        let u = Uri::parse(b"sip:[2001:db8::10]:5070").unwrap();
        assert_eq!(u.port, Some(5070));
        // §4.6 IPv4-mapped.
        let u = Uri::parse(b"sip:ted@[::ffff:192.0.2.2]").unwrap();
        assert_eq!(
            u.host(),
            Some(Host::Ipv6("::ffff:192.0.2.2".parse().unwrap()))
        );
        // §4.10: two colons is right, three colons rejected (documented choice).
        assert!(Uri::parse(b"sip:user@[2001:db8::192.0.2.1]").is_ok());
        assert_eq!(
            Uri::parse(b"sip:user@[2001:db8:::192.0.2.1]").unwrap_err(),
            e(ErrorKind::BadHost, 10)
        );
        // Unclosed bracket, junk after bracket.
        assert_eq!(
            Uri::parse(b"sip:[::1").unwrap_err(),
            e(ErrorKind::BadHost, 4)
        );
        assert_eq!(
            Uri::parse(b"sip:[::1]x").unwrap_err(),
            e(ErrorKind::BadHost, 9)
        );
        assert_eq!(Uri::parse(b"sip:[]").unwrap_err().kind, ErrorKind::BadHost);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            Host::parse(b"192.000.002.001").unwrap(),
            Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            Host::parse(b"255.255.255.255").unwrap(),
            Host::Ipv4(Ipv4Addr::BROADCAST)
        );
        assert!(Host::parse(b"host.example.com.").is_ok());
        assert!(Host::parse(b"a").is_ok());
        assert!(Host::parse(b"1a.b-c.d").is_ok());
        assert_eq!(
            Host::parse(b"1.2.3.256").unwrap_err().kind,
            ErrorKind::BadHost
        );
        assert_eq!(Host::parse(b"1.2.3").unwrap_err().kind, ErrorKind::BadHost);
        assert_eq!(Host::parse(b"a..b").unwrap_err().offset, 2);
        assert_eq!(Host::parse(b"-a.com").unwrap_err().offset, 0);
        assert_eq!(Host::parse(b"a-.com").unwrap_err().offset, 1);
        assert_eq!(Host::parse(b"a_b.com").unwrap_err().offset, 1);
        assert_eq!(Host::parse(b"example.123").unwrap_err().offset, 8);
        assert_eq!(Host::parse(b"").unwrap_err().offset, 0);
        assert_eq!(Host::parse(b".").unwrap_err().offset, 0);
        assert_eq!(
            Host::parse_lenient_ipv6(b"2001:db8::9:255").unwrap(),
            Host::Ipv6("2001:db8::9:255".parse().unwrap())
        );
        assert!(Host::parse_lenient_ipv6(b"[2001:db8::9:255]").is_ok());
        assert!(Host::parse_lenient_ipv6(b"192.0.2.1").is_ok());
        assert!(Host::parse_lenient_ipv6(b"x:y").is_err());
        assert_eq!(
            Host::parse(b"[::1]").unwrap().ip(),
            Some("::1".parse().unwrap())
        );
    }

    #[test]
    fn ports() {
        // RFC 4475 scalar02 style: port does not fit 16 bits.
        assert_eq!(
            Uri::parse(b"sip:host.example.com:9999999999").unwrap_err(),
            e(ErrorKind::BadPort, 25)
        );
        assert_eq!(Uri::parse(b"sip:h:65535").unwrap().port, Some(65535));
        assert_eq!(
            Uri::parse(b"sip:h:65536").unwrap_err().kind,
            ErrorKind::BadPort
        );
        assert_eq!(Uri::parse(b"sip:h:").unwrap_err(), e(ErrorKind::BadPort, 6));
        assert_eq!(
            Uri::parse(b"sip:h:5x").unwrap_err(),
            e(ErrorKind::BadPort, 7)
        );
        assert_eq!(Uri::parse(b"sip:h:0;lr").unwrap().port, Some(0));
    }

    #[test]
    fn tel_and_other_schemes() {
        let u = Uri::parse(b"tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert_eq!(u.scheme, Scheme::Tel);
        assert_eq!(u.user(), Some(&b"+1-201-555-0123"[..]));
        assert_eq!(u.host(), None);
        assert_eq!(
            u.params().get(b"phone-context"),
            Some(Some(&b"example.com"[..]))
        );
        assert!(Uri::parse(b"tel:7042;phone-context=+1-212").is_ok());
        assert!(Uri::parse(b"TEL:*69#").is_ok());
        assert_eq!(Uri::parse(b"tel:+").unwrap_err(), e(ErrorKind::BadUri, 5));
        assert_eq!(Uri::parse(b"tel:+1x").unwrap_err(), e(ErrorKind::BadUri, 6));
        assert_eq!(Uri::parse(b"tel:").unwrap_err(), e(ErrorKind::BadUri, 4));
        // RFC 4475 unkscm, novelsc, unksm2.
        for v in [
            &b"nobodyKnowsThisScheme:totallyopaquecontent"[..],
            b"soap.beep://192.0.2.103:3002",
            b"isbn:2983792873",
            b"http://www.example.com",
            b"name:John_Smith",
        ] {
            let u = Uri::parse(v).unwrap();
            assert_eq!(u.scheme, Scheme::Other);
            assert_eq!(u.raw, v);
            assert_eq!(u.host(), None);
            assert!(u.params().is_empty());
        }
        assert_eq!(
            Uri::parse(b"soap.beep://192.0.2.103:3002")
                .unwrap()
                .scheme_raw(),
            b"soap.beep"
        );
        assert_eq!(Uri::parse(b"foo:").unwrap_err(), e(ErrorKind::BadUri, 4));
        assert_eq!(Uri::parse(b"foo:a b").unwrap_err(), e(ErrorKind::BadUri, 5));
    }

    #[test]
    fn invalid_uris() {
        // RFC 4475 ltgtruri: <> around the URI.
        assert_eq!(
            Uri::parse(b"<sip:user@example.com>").unwrap_err(),
            e(ErrorKind::BadUri, 0)
        );
        // lwsruri: embedded LWS before a param.
        assert_eq!(
            Uri::parse(b"sip:user@example.com; lr").unwrap_err(),
            e(ErrorKind::BadParam, 21)
        );
        assert_eq!(
            Uri::parse(b"sip:us er@h").unwrap_err(),
            e(ErrorKind::BadUri, 6)
        );
        assert_eq!(
            Uri::parse(b"sip:user@exa mple.com").unwrap_err().kind,
            ErrorKind::BadHost
        );
        assert_eq!(Uri::parse(b"sip:@h").unwrap_err(), e(ErrorKind::BadUri, 4));
        assert_eq!(
            Uri::parse(b"sip:u%4@h").unwrap_err(),
            e(ErrorKind::BadUri, 5)
        );
        assert_eq!(
            Uri::parse(b"sip:u:p@ss@h").unwrap_err().kind,
            ErrorKind::BadHost
        );
        assert_eq!(
            Uri::parse(b"sip:u@h?").unwrap_err(),
            e(ErrorKind::BadUri, 8)
        );
        assert_eq!(
            Uri::parse(b"sip:u@h?a=<b>").unwrap_err(),
            e(ErrorKind::BadUri, 10)
        );
        assert_eq!(Uri::parse(b"sip:").unwrap_err().kind, ErrorKind::BadHost);
        assert_eq!(Uri::parse(b"sip").unwrap_err(), e(ErrorKind::BadUri, 3));
        assert_eq!(Uri::parse(b"").unwrap_err(), e(ErrorKind::BadUri, 0));
        assert_eq!(Uri::parse(b"1sip:x").unwrap_err(), e(ErrorKind::BadUri, 0));
        // Offsets are relative to the untrimmed input.
        assert_eq!(
            Uri::parse(b"  sip:h:x").unwrap_err(),
            e(ErrorKind::BadPort, 8)
        );
    }

    proptest! {
        #[test]
        fn no_panic_on_arbitrary_bytes(v in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(u) = Uri::parse(&v) {
                prop_assert!(offset_in(&v, u.raw).is_some());
                for p in u.params().iter() {
                    prop_assert!(offset_in(&v, p.name).is_some());
                }
            }
            let _ = Host::parse(&v);
            let _ = Host::parse_lenient_ipv6(&v);
        }

        /// The one-pass host checks agree with the straightforward split-based ones they
        /// replaced (kept here as the reference).
        #[test]
        fn host_checks_match_the_reference(v in "[a-c0-9.:Z-]{0,24}") {
            let v = v.as_bytes();
            prop_assert_eq!(parse_ipv4(v), reference::parse_ipv4(v));
            prop_assert_eq!(check_hostname(v), reference::check_hostname(v));
        }

        #[test]
        fn no_panic_on_uri_like_bytes(v in "(sips?|tel|x):[a-z0-9@:;=?&%\\[\\]. +-]{0,40}") {
            let _ = Uri::parse(v.as_bytes());
        }
    }

    /// Same bytes at the same place: the fast paths must hand out the very sub-slices the
    /// general path does (NAT rewrite turns them into byte ranges).
    fn same(a: &[u8], b: &[u8]) -> bool {
        a.as_ptr() == b.as_ptr() && a.len() == b.len()
    }

    fn same_opt(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    pub(crate) fn same_uri(a: &Uri<'_>, b: &Uri<'_>) -> bool {
        let host_slice = |h: Option<Host<'_>>| match h {
            Some(Host::Name(n)) => Some(n.as_ptr()),
            _ => None,
        };
        a == b
            && same(a.raw, b.raw)
            && same(a.scheme_raw(), b.scheme_raw())
            && same_opt(a.user(), b.user())
            && same_opt(a.password(), b.password())
            && same_opt(a.host_raw(), b.host_raw())
            && host_slice(a.host()) == host_slice(b.host())
            && same_opt(a.port_raw(), b.port_raw())
            && same(a.params().raw(), b.params().raw())
            && same_opt(a.headers(), b.headers())
    }

    #[test]
    fn fast_paths_take_the_usual_shapes() {
        for v in [
            &b"sip:alice@atlanta.example.com"[..],
            b"sip:alice@192.0.2.10:5060",
            b"SIPS:bob.smith@biloxi.example.com;transport=tcp;lr",
            b"sip:p1.example.com;lr",
            b"sip:+19725552222@gw1.example.net;unknownparam",
            b"sip:h:0",
        ] {
            let (u, n) = Uri::parse_sip_prefix(v, true).expect("fast path");
            assert_eq!(n, v.len());
            assert!(same_uri(&u, &Uri::parse_general(v).unwrap()));
        }
        // Stops at the first byte outside its shape; the caller checks that byte.
        let v: &[u8] = b"sip:a@b.c:5;x=1>;tag=2";
        assert_eq!(Uri::parse_sip_prefix(v, true).unwrap().1, 15);
        assert_eq!(Uri::parse_sip_prefix(v, false).unwrap().1, 11);
        // Shapes left to the general path.
        for v in [
            &b"sip:a:pw@h"[..],
            b"sip:[::1]",
            b"sip:%4@h",
            b"sip:@h",
            b"tel:+1",
            b"sip:h:",
            b"sip:h:99999",
            b"sip:-h",
            b"sip:1.2.3",
        ] {
            assert!(
                Uri::parse_sip_prefix(v, true).is_none_or(|(_, n)| n < v.len()),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
        assert_eq!(
            host_fast(b"example.com."),
            Some(Host::Name(b"example.com."))
        );
        assert_eq!(
            host_fast(b"10.0.0.1"),
            Some(Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert_eq!(host_fast(b"a..b"), None);
        // The 255-byte limit (plus a trailing '.'), at and around its edge.
        for len in 253..=258 {
            for dot in [false, true] {
                let mut v = vec![b'a'; len];
                v[100] = b'.';
                if dot {
                    v[len - 1] = b'.';
                }
                match host_fast(&v) {
                    Some(h) => assert_eq!(Ok(h), Host::parse_general(&v)),
                    None => assert!(Host::parse_general(&v).is_err(), "{len} {dot}"),
                }
            }
        }
        assert_eq!(host_fast(b"[::1]"), None);
    }

    /// The scheme word compare of the fast path takes `sip:` in every case and nothing else
    /// (any other head is the general path's), and `sips:` still by its pattern.
    #[test]
    fn scheme_word_compare_and_fallback() {
        for v in [
            &b"sip:a@h"[..],
            b"SIP:a@h",
            b"sIp:a@h",
            b"SiP:h",
            b"sips:a@h",
            b"SIPS:h",
            b"sIpS:h:5060",
        ] {
            let (u, n) = Uri::parse_sip_prefix(v, true).expect("fast path");
            assert_eq!(n, v.len());
            assert!(same_uri(&u, &Uri::parse_general(v).unwrap()));
        }
        for v in [
            &b"sip"[..],
            b"sips",
            b"sip;a@h",
            b"sip\x1a@h",
            b"s\x09p:a@h",
            b"Sjp:a@h",
            b"sop:a@h",
            b"sip\x3a@h",
            b"\x53IP:h",
            b"sipx:h",
            b"sips;h",
            b"s\x49ps:h",
        ] {
            let fast = Uri::parse_sip_prefix(v, true);
            let general = Uri::parse_general(v);
            match (fast, general) {
                (None, _) => {}
                (Some((u, n)), Ok(g)) if n == v.len() => assert!(same_uri(&u, &g)),
                (Some(_), _) => panic!("fast path took {}", String::from_utf8_lossy(v)),
            }
        }
        // Bytes that differ from `s`, `i`, `p`, `:` in a bit other than bit 5 are not taken.
        for v in [&b"\x13ip:h"[..], b"s\x09p:h", b"si\x10:h", b"sip\x1a h"] {
            assert!(Uri::parse_sip_prefix(v, true).is_none());
        }
    }

    #[test]
    fn ipv4_prefix_path_and_fallback() {
        let v4 = |s: &str| Host::Ipv4(s.parse().unwrap());
        assert_eq!(
            ipv4_prefix(b"192.0.2.10:5060"),
            Some(("192.0.2.10".parse().unwrap(), 10))
        );
        assert_eq!(host_prefix(b"192.0.2.10;x"), Some((v4("192.0.2.10"), 10)));
        assert_eq!(host_prefix(b"010.0.0.255>"), Some((v4("10.0.0.255"), 11)));
        // Not an address on its own: the label scan decides (hostname, or nothing).
        for s in [
            &b"1.2.3.4."[..],
            b"1.2.3.4a",
            b"1.2.3.4-",
            b"1.2.3.4.5",
            b"1.2.3.1234",
            b"1.2.3",
            b"256.1.1.1",
            b"3com.example",
        ] {
            assert_eq!(ipv4_prefix(s), None, "{s:?}");
            assert_eq!(host_kind_prefix(s), host_prefix_labels(s), "{s:?}");
        }
        assert_eq!(
            host_prefix(b"3com.example"),
            Some((Host::Name(b"3com.example"), 12))
        );
    }

    /// The previous label-by-label scan, kept as the reference for the one-loop scan.
    fn host_prefix_labels_ref(s: &[u8]) -> Option<(HostKind, usize)> {
        // Label by label: a tight loop over the label bytes, the rules at its edges.
        let mut i = 0;
        let mut top_alpha = false; // does the last label start with a letter (toplabel)?
        let n = loop {
            let c = match s.get(i) {
                Some(&b) => classes(b),
                None => 0,
            };
            if c & LABEL == 0 || s.get(i) == Some(&b'-') {
                // No label starts here: the host is empty, or ended with a '.' (allowed once,
                // after a label, when no label byte, '-' or '.' follows).
                if i == 0 || c & (DOT | LABEL) != 0 {
                    return None;
                }
                break i;
            }
            top_alpha = c & ALPHA != 0;
            let rest = s.get(i + 1..).unwrap_or(&[]);
            let end = i + 1 + rest.iter().take_while(|&&b| class(b, LABEL)).count();
            if s.get(end - 1) == Some(&b'-') {
                return None; // a label ending in '-'
            }
            match s.get(end) {
                Some(b'.') => i = end + 1,
                _ => break end,
            }
        };
        // `body` of check_hostname: at most 255 bytes plus a trailing '.'.
        let h = s.get(..n)?;
        let trailing_dot = h.last() == Some(&b'.');
        if n > 256 || (n == 256 && !trailing_dot) {
            return None;
        }
        if !top_alpha {
            // Not a hostname (its toplabel must start with a letter), so an IPv4 literal or
            // nothing: `parse_ipv4` rejects any letter, '-' or trailing '.'.
            return parse_ipv4(h).map(|a| (HostKind::Ipv4(a.octets()), n));
        }
        Some((HostKind::Name, n))
    }

    #[test]
    fn label_scan_lengths_and_edges_match_the_reference() {
        for len in [253usize, 254, 255, 256, 257] {
            for tail in [&b""[..], b".", b">", b".>", b"-", b"1", b"..", b".-"] {
                // Labels of 63 bytes joined by dots, cut to `len`, then `tail`.
                let mut v: Vec<u8> = (0..len)
                    .map(|k| if k % 64 == 63 { b'.' } else { b'a' })
                    .collect();
                if v.last() == Some(&b'.') {
                    v.pop();
                    v.push(b'b');
                }
                v.extend_from_slice(tail);
                assert_eq!(
                    host_prefix_labels(&v),
                    host_prefix_labels_ref(&v),
                    "{len} {tail:?}"
                );
            }
        }
        for s in [
            &b""[..],
            b".",
            b"-",
            b"a",
            b"a.",
            b"a..",
            b"-a",
            b"a-",
            b"a-.b",
            b"a.-b",
            b"1.2.3.4",
            b"1.2.3.4.",
            b"1a.2",
            b"a.1",
        ] {
            assert_eq!(host_prefix_labels(s), host_prefix_labels_ref(s), "{s:?}");
        }
    }

    /// The digit run and `parse_port` that `port_prefix` replaces on the fast paths.
    fn port_prefix_ref(s: &[u8]) -> Option<(u16, usize)> {
        let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
        Some((parse_port(s.get(..n)?).ok()?, n))
    }

    #[test]
    fn port_prefix_and_its_edges() {
        assert_eq!(port_prefix(b"5060;x"), Some((5060, 4)));
        assert_eq!(port_prefix(b"65535>"), Some((65535, 5)));
        assert_eq!(port_prefix(b"0000005061"), Some((5061, 10)));
        assert_eq!(port_prefix(b"0"), Some((0, 1)));
        for s in [&b""[..], b";", b"65536", b"99999", b"100000", b"a1"] {
            assert_eq!(port_prefix(s), None, "{s:?}");
            assert_eq!(port_prefix(s), port_prefix_ref(s), "{s:?}");
        }
        // The unrolled octets: 1 to 3 digits, at most 255, a fourth digit refused.
        assert_eq!(
            ipv4_prefix(b"0.00.000.255"),
            Some((Ipv4Addr::new(0, 0, 0, 255), 12))
        );
        for s in [
            &b"1.2.3.256"[..],
            b"1.2.3.0255",
            b"1..2.3",
            b"1.2.3.",
            b".1.2.3",
        ] {
            assert_eq!(ipv4_prefix(s), None, "{s:?}");
        }
    }

    proptest! {
        /// `port_prefix` gives what the digit run and `parse_port` gave.
        #[test]
        fn port_prefix_matches_the_reference(v in "[0-9]{0,8}[;>a:]?[0-9]?") {
            let v = v.as_bytes();
            prop_assert_eq!(port_prefix(v), port_prefix_ref(v));
        }

        /// The one-loop label scan gives exactly what the label-by-label scan gave.
        #[test]
        fn label_scan_matches_the_reference(v in "[a0Z.-]{0,10}[;>:]?[a.-]?") {
            let v = v.as_bytes();
            prop_assert_eq!(host_prefix_labels(v), host_prefix_labels_ref(v));
        }

        /// The one-pass host check agrees with the general `Host::parse` wherever it answers.
        #[test]
        fn host_fast_matches_the_general_path(v in "[a-cZ0-9.-]{0,12}|[0-9]{1,4}(\\.[0-9]{1,4}){0,4}\\.?") {
            let v = v.as_bytes();
            if let Some(h) = host_fast(v) {
                prop_assert_eq!(Ok(h), Host::parse_general(v));
            } else {
                prop_assert!(Host::parse_general(v).is_err());
            }
        }

        /// The IPv4 shortcut of `host_prefix` gives exactly what the label scan gives, the
        /// length included, whatever follows the address.
        #[test]
        fn ipv4_prefix_matches_the_label_scan(v in "[0-9]{1,4}(\\.[0-9]{1,4}){0,4}[.a:;>-]?[0-9a]?") {
            let v = v.as_bytes();
            prop_assert_eq!(host_kind_prefix(v), host_prefix_labels(v));
            if let Some((a, n)) = ipv4_prefix(v) {
                prop_assert_eq!(host_prefix_labels(v), Some((HostKind::Ipv4(a.octets()), n)));
            }
        }

        /// The tokens the accessors find from the stored spans (scheme, password, port,
        /// headers) are the parts the URI was built from, at their place in `raw`.
        #[test]
        fn derived_tokens_are_the_written_parts(
            scheme in "sips?|SIP",
            user in proptest::option::of("[a-z0-9]{1,3}"),
            password in proptest::option::of("[a-z0-9]{0,3}"),
            host in "[a-z]{1,4}|[0-9]{1,3}(\\.[0-9]{1,3}){3}|\\[::[0-9]{1,2}\\]",
            port in proptest::option::of("[0-9]{1,5}"),
            params in "(;[a-z]{1,3}(=[a-z0-9]{1,2})?){0,2}",
            headers in proptest::option::of("[a-z]{1,3}=[a-z]{0,2}"),
        ) {
            let mut v = format!("{scheme}:");
            if let Some(u) = &user {
                v.push_str(u);
                if let Some(p) = &password {
                    v.push(':');
                    v.push_str(p);
                }
                v.push('@');
            }
            v.push_str(&host);
            if let Some(p) = &port {
                v.push(':');
                v.push_str(p);
            }
            v.push_str(&params);
            if let Some(h) = &headers {
                v.push('?');
                v.push_str(h);
            }
            let v = v.as_bytes();
            // Hosts and ports out of range are errors; the rest must decode to its parts.
            let Ok(u) = Uri::parse(v) else {
                return Ok(());
            };
            prop_assert_eq!(u.scheme_raw(), scheme.as_bytes());
            prop_assert_eq!(u.user(), user.as_deref().map(str::as_bytes));
            prop_assert_eq!(
                u.password(),
                user.as_ref().and(password.as_deref()).map(str::as_bytes)
            );
            prop_assert_eq!(u.host_raw(), Some(host.as_bytes()));
            prop_assert_eq!(u.port_raw(), port.as_deref().map(str::as_bytes));
            prop_assert_eq!(u.params().raw(), params.as_bytes());
            prop_assert_eq!(u.headers(), headers.as_deref().map(str::as_bytes));
            for t in [u.scheme_raw(), u.params().raw()].into_iter().chain(u.password()).chain(u.port_raw()).chain(u.headers()) {
                prop_assert!(offset_in(v, t).is_some());
            }
        }

        /// The URI fast path gives exactly what the general path gives on the prefix it
        /// consumed, sub-slices included.
        #[test]
        fn sip_prefix_matches_the_general_path(
            v in "(sips?|SIP|tel|sIp):([a-z0-9._~%!*+-]{0,6}[@:]){0,2}[a-z0-9._\\[\\]-]{0,12}(:[0-9]{0,6})?(;[a-z0-9=%;:]{0,10})?[>?;, @]?[a-z0-9@:;>]{0,4}",
            uri_params in any::<bool>(),
        ) {
            let v = v.as_bytes();
            if let Some((u, n)) = Uri::parse_sip_prefix(v, uri_params) {
                let g = Uri::parse_general(&v[..n]);
                prop_assert!(g.is_ok_and(|g| same_uri(&u, &g)), "{:?}", String::from_utf8_lossy(v));
                if !uri_params {
                    prop_assert!(u.params().is_empty());
                }
            }
            // parse_exact (fast first) and the general path agree on whole inputs, errors too.
            match (Uri::parse_exact(v), Uri::parse_general(v)) {
                (Ok(a), Ok(b)) => prop_assert!(same_uri(&a, &b)),
                (a, b) => prop_assert_eq!(a, b),
            }
        }
    }

    /// The split-based host checks the one-pass ones replaced: the test oracle.
    mod reference {
        use std::net::Ipv4Addr;

        pub fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
            let mut octets = [0u8; 4];
            let mut n = 0;
            for part in s.split(|&b| b == b'.') {
                if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let v = part
                    .iter()
                    .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
                let slot = octets.get_mut(n)?;
                *slot = u8::try_from(v).ok()?;
                n += 1;
            }
            (n == 4).then(|| Ipv4Addr::from(octets))
        }

        pub fn check_hostname(s: &[u8]) -> Result<(), usize> {
            let body = s.strip_suffix(b".").unwrap_or(s);
            if body.is_empty() || body.len() > 255 {
                return Err(0);
            }
            let mut off = 0;
            let mut last_start = 0;
            for label in body.split(|&b| b == b'.') {
                if label.is_empty() {
                    return Err(off);
                }
                if let Some(i) = label
                    .iter()
                    .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-'))
                {
                    return Err(off + i);
                }
                if label.first() == Some(&b'-') {
                    return Err(off);
                }
                if label.last() == Some(&b'-') {
                    return Err(off + label.len() - 1);
                }
                last_start = off;
                off += label.len() + 1;
            }
            match body.get(last_start) {
                Some(b) if b.is_ascii_alphabetic() => Ok(()),
                _ => Err(last_start),
            }
        }
    }
}
