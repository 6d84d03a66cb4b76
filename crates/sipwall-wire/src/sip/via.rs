//! Via (RFC 3261 §20.42, §18.2.1, §25.1; `rport` RFC 3581; IPv6 RFC 5118 §4.5).

use std::net::IpAddr;

use super::params::{Param, Params};
use super::text::{
    eq_ignore_case, is_token, offset_in, skip_lws, token_end, token_run_end, trim_lws,
    word_eq_ignore_case, Span,
};
use super::uri::{host_kind_prefix, parse_port, port_prefix, Host, HostKind};
use crate::error::{ErrorKind, ParseError};

/// One `via-parm` (RFC 3261 §25.1):
/// `via-parm = sent-protocol LWS sent-by *( SEMI via-params )`,
/// `sent-protocol = protocol-name SLASH protocol-version SLASH transport`,
/// `sent-by = host [ COLON port ]`.
///
/// `SLASH = SWS "/" SWS` and `COLON = SWS ":" SWS`, so LWS (including folds) is allowed
/// around `/` and `:` (RFC 4475 §3.1.1.1 wsinv). Unknown transports are kept as written
/// (RFC 4475 §3.1.1.10 transports: `SCTP`, `UNKNOWN`).
///
/// Only `raw` and the port are stored as such; the other tokens are spans of `raw` read by
/// accessors (the struct stays small; see `text::Span`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// The via-parm as parsed (surrounding LWS trimmed).
    pub raw: &'a [u8],
    pub port: Option<u16>,
    host: HostKind,
    protocol_name: Span,
    protocol_version: Span,
    transport: Span,
    host_raw: Span,
    port_raw: Span,
    params: Span,
}

impl<'a> Via<'a> {
    #[inline]
    pub fn protocol_name(&self) -> &'a [u8] {
        self.protocol_name.slice(self.raw)
    }

    #[inline]
    pub fn protocol_version(&self) -> &'a [u8] {
        self.protocol_version.slice(self.raw)
    }

    #[inline]
    pub fn transport(&self) -> &'a [u8] {
        self.transport.slice(self.raw)
    }

    #[inline]
    pub fn host(&self) -> Host<'a> {
        self.host.host(self.host_raw())
    }

    /// The host as written, including IPv6 brackets.
    #[inline]
    pub fn host_raw(&self) -> &'a [u8] {
        self.host_raw.slice(self.raw)
    }

    #[inline]
    pub fn port_raw(&self) -> Option<&'a [u8]> {
        self.port_raw.get(self.raw)
    }

    /// All via-params. `ttl`, `maddr`, `received`, `branch` and `rport` were checked against
    /// their grammar by [`Via::parse`]; the typed accessors read them.
    #[inline]
    pub fn params(&self) -> Params<'a> {
        Params::header_run(self.params.slice(self.raw))
    }
}

impl std::fmt::Debug for Via<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Via")
            .field("raw", &self.raw)
            .field("protocol_name", &self.protocol_name())
            .field("protocol_version", &self.protocol_version())
            .field("transport", &self.transport())
            .field("host", &self.host())
            .field("host_raw", &self.host_raw())
            .field("port", &self.port)
            .field("port_raw", &self.port_raw())
            .field("params", &self.params())
            .finish()
    }
}

fn bad(at: usize) -> ParseError {
    ParseError::new(ErrorKind::BadVia, at)
}

/// `sent-protocol LWS sent-by` of a via-parm (spans of it), and where its parameters start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Front {
    protocol_name: Span,
    protocol_version: Span,
    transport: Span,
    host: HostKind,
    host_raw: Span,
    port: Option<u16>,
    port_raw: Span,
    pos: usize,
}

/// RFC 3261 §25.1 `ttl = 1*3DIGIT ; 0 to 255`.
fn parse_ttl(v: &[u8]) -> Option<u8> {
    if v.is_empty() || v.len() > 3 {
        return None;
    }
    let n = parse_port(v).ok()?;
    u8::try_from(n).ok()
}

/// RFC 3261 §25.1 `via-received = "received" EQUAL (IPv4address / IPv6address)`; RFC 5118
/// §4.5: an IPv6 `received` may also appear as an IPv6reference (`[...]`). Both are accepted.
fn parse_received(v: &[u8]) -> Option<IpAddr> {
    Host::parse_lenient_ipv6(v).ok()?.ip()
}

/// RFC 3581 §3 `response-port = "rport" [EQUAL 1*DIGIT]`.
fn parse_rport(v: Option<&[u8]>) -> Option<Option<u16>> {
    match v {
        None => Some(None),
        Some(p) => parse_port(p).ok().map(Some),
    }
}

/// RFC 3261 §25.1 via-params grammar for the well-known names (`branch`, `received`,
/// `maddr`, `ttl`; `rport` RFC 3581 §3); other parameters are free.
#[inline]
fn via_param_ok(p: &Param<'_>) -> bool {
    let quoted = p.value_raw.is_some_and(|v| v.first() == Some(&b'"'));
    if eq_ignore_case(p.name, b"branch") {
        // via-branch = "branch" EQUAL token
        !quoted && p.value.is_some_and(is_token)
    } else if matches!(p.name.len(), 3 | 5 | 8) {
        via_param_ok_other(p, quoted)
    } else {
        true
    }
}

/// [`via_param_ok`] for a parameter lexed by [`Params::parse_header_run_fast`] (never
/// quoted), with the branch's token check already done by the lexer.
#[inline]
fn via_param_ok_unquoted(name: &[u8], value: Option<&[u8]>, value_is_token: bool) -> bool {
    if word_eq_ignore_case(name, b"branch") {
        value.is_some() && value_is_token
    } else if value.is_none() && word_eq_ignore_case(name, b"rport") {
        // The usual `;rport` flag (RFC 3581 §3), without a call to the other checkers.
        true
    } else if matches!(name.len(), 3 | 5 | 8) {
        let p = Param {
            name,
            value,
            value_raw: value,
        };
        via_param_ok_other(&p, false)
    } else {
        true
    }
}

/// [`via_param_ok`] for the names other than `branch`. Out of line: it holds every other
/// checker (addresses, ports), while most via-params are a branch.
#[inline(never)]
fn via_param_ok_other(p: &Param<'_>, quoted: bool) -> bool {
    if eq_ignore_case(p.name, b"received") {
        !quoted && p.value.and_then(parse_received).is_some()
    } else if eq_ignore_case(p.name, b"maddr") {
        // via-maddr = "maddr" EQUAL host
        !quoted && p.value.is_some_and(|v| Host::parse(v).is_ok())
    } else if eq_ignore_case(p.name, b"ttl") {
        !quoted && p.value.and_then(parse_ttl).is_some()
    } else if eq_ignore_case(p.name, b"rport") {
        !quoted && parse_rport(p.value).is_some()
    } else {
        true
    }
}

impl<'a> Via<'a> {
    /// Parse one via-parm (surrounding LWS trimmed). Errors: `BadVia` (structure, or a
    /// well-known parameter that breaks its grammar), `BadHost`, `BadPort`, `BadParam`,
    /// `BadQuotedString`; offsets relative to `input`.
    #[inline]
    pub fn parse(input: &'a [u8]) -> Result<Via<'a>, ParseError> {
        let t = trim_lws(input);
        let lead = offset_in(input, t).unwrap_or(0);
        // The error is fixed up in place: a `map_err` would copy the `Ok` value.
        let mut r = Self::parse_trimmed(t);
        if let Err(e) = &mut r {
            *e = e.shifted(lead);
        }
        r
    }

    /// The usual front `SIP/2.0/<transport> <host>[:<port>]` (one SP, a hostname or IPv4
    /// host, no LWS around `:`), giving exactly what [`Via::front_general`] gives; `None`
    /// means "use the general path", not an error.
    #[inline]
    fn front_fast(t: &'a [u8]) -> Option<Front> {
        let tail = t.strip_prefix(b"SIP/2.0/")?;
        let tlen = token_run_end(tail, 0);
        let after = tail.get(tlen..)?;
        if tlen == 0 {
            return None;
        }
        let hs = after.strip_prefix(b" ")?;
        let (host, hlen) = host_kind_prefix(hs)?;
        let mut pos = 8 + tlen + 1 + hlen;
        let (mut port, mut port_raw) = (None, Span::NONE);
        match t.get(pos) {
            None | Some(b';') => {}
            Some(b':') => {
                let ps = pos + 1;
                let (p, plen) = port_prefix(t.get(ps..)?)?;
                port = Some(p);
                port_raw = Span::at(ps, plen);
                pos = ps + plen;
            }
            Some(_) => return None,
        }
        Some(Front {
            protocol_name: Span::at(0, 3),
            protocol_version: Span::at(4, 3),
            transport: Span::at(8, tlen),
            host,
            host_raw: Span::at(8 + tlen + 1, hlen),
            port,
            port_raw,
            pos,
        })
    }

    #[inline]
    fn parse_trimmed(t: &'a [u8]) -> Result<Via<'a>, ParseError> {
        match Self::parse_fast(t) {
            Some(v) => Ok(v),
            None => Self::parse_slow(t),
        }
    }

    /// The whole of `t` in the usual form: [`Via::front_fast`], then a `;branch=...;rport`
    /// run that [`Params::parse_header_run_fast`] takes. Gives exactly what
    /// [`Via::parse_trimmed`] gives, or `None` ("use the general path", not an error). Such a
    /// `t` holds no `,` (no byte class of those scans has it) and no white space at its ends,
    /// so a list header value it takes is one element, itself: `Message::vias` relies on
    /// that. Out of line so that both share one copy of the hot code.
    #[inline(never)]
    pub(crate) fn parse_fast(t: &'a [u8]) -> Option<Via<'a>> {
        let front = Self::front_fast(t)?;
        let params = Params::parse_header_run_fast(t.get(front.pos..)?, via_param_ok_unquoted)?;
        Some(Self::assemble(t, front, params))
    }

    /// Every other form, with the error offsets.
    #[cold]
    #[inline(never)]
    fn parse_slow(t: &'a [u8]) -> Result<Via<'a>, ParseError> {
        // `front_general` gives what `front_fast` gives where that answers (proptest
        // `front_fast_matches_the_general_path`), so `front_fast` keeps one caller, inlined.
        let front = Self::front_general(t)?;
        let rest = t.get(front.pos..).unwrap_or(&[]);
        let params = match Params::parse_header_run_fast(rest, via_param_ok_unquoted) {
            Some(p) => p,
            None => Self::params_general(t, front.pos)?,
        };
        Ok(Self::assemble(t, front, params))
    }

    #[inline]
    fn assemble(t: &'a [u8], front: Front, params: Params<'a>) -> Via<'a> {
        let Front {
            protocol_name,
            protocol_version,
            transport,
            host,
            host_raw,
            port,
            port_raw,
            pos: _,
        } = front;
        Via {
            raw: t,
            port,
            host,
            protocol_name,
            protocol_version,
            transport,
            host_raw,
            port_raw,
            params: Span::of(t, params.raw()),
        }
    }

    /// The via-params of `t` from `pos` in general, with the error offsets; `t` must end
    /// with them.
    #[cold]
    #[inline(never)]
    fn params_general(t: &'a [u8], pos: usize) -> Result<Params<'a>, ParseError> {
        // RFC 3261 §25.1 via-params grammar for the well-known names, checked while the run
        // is lexed; the first failure is reported after the run's own syntax errors, as a
        // separate pass over it would.
        let mut first_bad: Option<usize> = None;
        let (params, used) = Params::parse_visit(t.get(pos..).unwrap_or(&[]), &mut |p| {
            if first_bad.is_none() && !via_param_ok(p) {
                first_bad = Some(offset_in(t, p.value_raw.unwrap_or(p.name)).unwrap_or(0));
            }
        })
        .map_err(|e| e.shifted(pos))?;
        let end = skip_lws(t, pos + used);
        if end != t.len() {
            return Err(bad(end));
        }
        if let Some(at) = first_bad {
            return Err(bad(at));
        }
        Ok(if params.is_empty() {
            Params::empty_at(t, pos)
        } else {
            params
        })
    }

    /// The sent-protocol and sent-by of `t` in general (LWS and folds anywhere SWS is
    /// allowed, IPv6 references), with the error offsets.
    #[cold]
    #[inline(never)]
    fn front_general(t: &'a [u8]) -> Result<Front, ParseError> {
        // sent-protocol: three tokens separated by SLASH.
        let token_at = |pos: usize| -> Result<(&'a [u8], usize), ParseError> {
            let end = token_end(t, pos);
            if end == pos {
                return Err(bad(pos));
            }
            Ok((t.get(pos..end).unwrap_or(&[]), end))
        };
        let slash = |pos: usize| -> Result<usize, ParseError> {
            let p = skip_lws(t, pos);
            if t.get(p) != Some(&b'/') {
                return Err(bad(p));
            }
            Ok(skip_lws(t, p + 1))
        };
        let (protocol_name, p) = token_at(0)?;
        let (protocol_version, p) = token_at(slash(p)?)?;
        let (transport, p) = token_at(slash(p)?)?;
        // LWS is mandatory before sent-by.
        let hstart = skip_lws(t, p);
        if hstart == p {
            return Err(bad(p));
        }
        // sent-by host: an IPv6reference runs to `]`; otherwise to a delimiter.
        let rest = t.get(hstart..).unwrap_or(&[]);
        let hlen = if rest.first() == Some(&b'[') {
            rest.iter()
                .position(|&b| b == b']')
                .map(|i| i + 1)
                .ok_or(ParseError::new(ErrorKind::BadHost, hstart))?
        } else {
            rest.iter()
                .position(|&b| matches!(b, b':' | b';' | b',' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(rest.len())
        };
        let host_raw = rest.get(..hlen).unwrap_or(&[]);
        let host = Host::parse(host_raw).map_err(|e| e.shifted(hstart))?;
        let mut pos = hstart + hlen;
        let mut port = None;
        let mut port_raw = Span::NONE;
        let c = skip_lws(t, pos);
        if t.get(c) == Some(&b':') {
            let ps = skip_lws(t, c + 1);
            let pe = ps
                + t.get(ps..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            let raw = t.get(ps..pe).unwrap_or(&[]);
            port = Some(parse_port(raw).map_err(|o| ParseError::new(ErrorKind::BadPort, ps + o))?);
            port_raw = Span::of(t, raw);
            pos = pe;
        }
        Ok(Front {
            protocol_name: Span::of(t, protocol_name),
            protocol_version: Span::of(t, protocol_version),
            transport: Span::of(t, transport),
            host: HostKind::of(&host),
            host_raw: Span::of(t, host_raw),
            port,
            port_raw,
            pos,
        })
    }

    /// The `branch` parameter (RFC 3261 §8.1.1.7, §20.42).
    pub fn branch(&self) -> Option<&'a [u8]> {
        self.params().get(b"branch").flatten()
    }

    /// The `received` address: IPv4, or IPv6 bare or in brackets (RFC 5118 §4.5).
    pub fn received(&self) -> Option<IpAddr> {
        self.params()
            .get(b"received")
            .flatten()
            .and_then(parse_received)
    }

    /// The `rport` parameter (RFC 3581): `None` absent, `Some(None)` present without value
    /// (request asks for it), `Some(Some(port))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        parse_rport(self.params().get(b"rport")?)
    }

    /// The `maddr` parameter (RFC 3261 §18.2.2).
    pub fn maddr(&self) -> Option<Host<'a>> {
        self.params()
            .get(b"maddr")
            .flatten()
            .and_then(|v| Host::parse(v).ok())
    }

    /// The `ttl` parameter (RFC 3261 §25.1, 0..=255).
    pub fn ttl(&self) -> Option<u8> {
        self.params().get(b"ttl").flatten().and_then(parse_ttl)
    }

    /// True when the protocol is `SIP/2.0` (name case-insensitive, RFC 3261 §7.1 / §20.42).
    pub fn is_sip_2_0(&self) -> bool {
        eq_ignore_case(self.protocol_name(), b"SIP") && self.protocol_version() == b"2.0"
    }
}

/// Via hops, topmost first; one hop is stored inline (see [`super::text::List`]).
pub type ViaList<'a> = super::text::List<Via<'a>>;

/// Parse a Via header value: a comma-separated list of via-parms (RFC 3261 §20.42, §7.3.1).
/// At least one element; at most `max` (else `TooManyValues` at the first extra element).
/// Offsets are relative to `value`.
pub fn parse_via_list(value: &[u8], max: usize) -> Result<ViaList<'_>, ParseError> {
    super::text::parse_list(value, max, ErrorKind::BadVia, Via::parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn e(kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, offset)
    }

    /// The lexer-side checker (with its inline `branch` and `rport` cases) agrees with
    /// `via_param_ok` on unquoted parameters.
    #[test]
    fn unquoted_param_check_agrees_with_the_general_one() {
        let names: [&[u8]; 8] = [
            b"branch",
            b"rport",
            b"RPort",
            b"received",
            b"maddr",
            b"ttl",
            b"rports",
            b"x",
        ];
        let values: [Option<&[u8]>; 5] = [
            None,
            Some(b"5060"),
            Some(b"z9hG4bK1"),
            Some(b"1.2.3.4"),
            Some(b"70000"),
        ];
        for name in names {
            for value in values {
                let p = Param {
                    name,
                    value,
                    value_raw: value,
                };
                let is_token = value.is_some_and(is_token);
                assert_eq!(
                    via_param_ok_unquoted(name, value, is_token),
                    via_param_ok(&p),
                    "{name:?} {value:?}"
                );
            }
        }
    }

    #[test]
    fn word_eq_ignore_case_matches_eq_ignore_case() {
        for name in [
            &b"branch"[..],
            b"BRANCH",
            b"bRaNcH",
            b"branc",
            b"branchx",
            b"bran\xe3h",
            b"br@nch",
            b"rport",
            b"RPORT",
            b"rpor",
            b"",
            b"rportxyz",
            b"rportxyzw",
        ] {
            for lower in [&b"branch"[..], b"rport"] {
                assert_eq!(
                    word_eq_ignore_case(name, lower),
                    eq_ignore_case(name, lower),
                    "{name:?} {lower:?}"
                );
            }
        }
    }

    #[test]
    fn simple() {
        let v: &[u8] = b"SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw";
        let via = Via::parse(v).unwrap();
        assert_eq!(via.protocol_name(), b"SIP");
        assert_eq!(via.protocol_version(), b"2.0");
        assert_eq!(via.transport(), b"UDP");
        assert!(via.is_sip_2_0());
        assert_eq!(via.host(), Host::Ipv4(Ipv4Addr::new(135, 180, 130, 133)));
        assert_eq!(offset_in(v, via.host_raw()), Some(12));
        assert_eq!(via.port, Some(5060));
        assert_eq!(offset_in(v, via.port_raw().unwrap()), Some(28));
        assert_eq!(via.branch(), Some(&b"z9hG4bKkdjuw"[..]));
        assert_eq!(via.received(), None);
        assert_eq!(via.rport(), None);
    }

    #[test]
    fn params_fast_path_and_fallback() {
        // The usual run: the fast path, the well-known checks applied.
        let v = Via::parse(b"SIP/2.0/UDP h;branch=z9hG4bK1;rport;ttl=3;received=[::1]").unwrap();
        assert_eq!(v.branch(), Some(&b"z9hG4bK1"[..]));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.ttl(), Some(3));
        assert!(v.received().is_some());
        // A bad well-known value (a branch that is a gen-value but not a token, a ttl over
        // 255) falls to the general pass, which reports it where it did before.
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;branch=a:b"),
            Err(e(ErrorKind::BadVia, 21))
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;ttl=256"),
            Err(e(ErrorKind::BadVia, 18))
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;rport=x"),
            Err(e(ErrorKind::BadVia, 20))
        );
        // LWS and quotes: the general pass.
        let v = Via::parse(b"SIP/2.0/UDP h ; branch = z9hG4bK1 ;x=\"q\"").unwrap();
        assert_eq!(v.branch(), Some(&b"z9hG4bK1"[..]));
        assert_eq!(v.params().get(b"x"), Some(Some(&b"q"[..])));
    }

    #[test]
    fn front_fast_path_and_fallback() {
        let v: &[u8] = b"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9a3c1;rport";
        let f = Via::front_fast(v).expect("usual shape");
        assert_eq!(f, Via::front_general(v).unwrap());
        assert_eq!(f.pos, 27);
        // LWS, folds, IPv6, lower-case protocol: the general path.
        for v in [
            &b"SIP/2.0/UDP  h"[..],
            b"SIP / 2.0/UDP h",
            b"SIP/2.0/UDP [::1]:5060",
            b"sip/2.0/UDP h",
            b"SIP/2.0/UDP h : 5060",
            b"SIP/2.0/UDP h:",
        ] {
            assert!(
                Via::front_fast(v).is_none(),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn wsinv_lws_everywhere() {
        // RFC 4475 wsinv `Via  :` value.
        let v: &[u8] = b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw";
        let via = Via::parse(v).unwrap();
        assert_eq!(via.protocol_version(), b"2.0");
        assert_eq!(via.transport(), b"UDP");
        assert_eq!(via.host_raw(), b"192.0.2.2");
        assert_eq!(via.branch(), Some(&b"390skdjuw"[..]));
        // wsinv `v:` value, a list of two with folds and LWS around `;` and `=`.
        let v: &[u8] = b" SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239";
        let vias = parse_via_list(v, 8).unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].transport(), b"TCP");
        assert_eq!(vias[0].host(), Host::Name(b"spindle.example.com"));
        assert_eq!(vias[0].branch(), Some(&b"z9hG4bK9ikj8"[..]));
        assert_eq!(
            vias[1].host(),
            Host::Ipv4(Ipv4Addr::new(192, 168, 255, 111))
        );
        assert_eq!(vias[1].branch(), Some(&b"z9hG4bK30239"[..]));
        for via in &vias {
            assert!(offset_in(v, via.host_raw()).is_some());
            assert!(offset_in(v, via.branch().unwrap()).is_some());
        }
        // COLON = SWS ":" SWS
        let via = Via::parse(b"SIP/2.0/UDP host.example.com : 5060 ;rport").unwrap();
        assert_eq!(via.port, Some(5060));
        assert_eq!(via.rport(), Some(None));
    }

    #[test]
    fn transports_and_tokens() {
        // RFC 4475 transports, intmeth branch.
        for t in [&b"SCTP"[..], b"TLS", b"UNKNOWN", b"UDP-XYZ"] {
            let mut v = b"SIP/2.0/".to_vec();
            v.extend_from_slice(t);
            v.extend_from_slice(b" t4.example.com;branch=z9hG4bKasd0f3en");
            assert_eq!(Via::parse(&v).unwrap().transport(), t);
        }
        let via = Via::parse(b"SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~").unwrap();
        assert_eq!(via.branch(), Some(&b"z9hG4bK-.!%66*_+`'~"[..]));
        // badbranch: syntactically valid.
        assert!(Via::parse(b"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK").is_ok());
        // bcast.
        let via = Via::parse(b"SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23").unwrap();
        assert_eq!(via.host(), Host::Ipv4(Ipv4Addr::BROADCAST));
        // inv2543: no params at all.
        let via = Via::parse(b"SIP/2.0/UDP iftgw.example.com").unwrap();
        assert!(via.params().is_empty());
        assert_eq!(via.branch(), None);
    }

    #[test]
    fn rfc5118_ipv6() {
        let via = Via::parse(b"SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111").unwrap();
        assert_eq!(via.host(), Host::Ipv6("2001:db8::9:1".parse().unwrap()));
        assert_eq!(via.host_raw(), b"[2001:db8::9:1]");
        assert_eq!(via.port, Some(6050));
        let via = Via::parse(b"SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19").unwrap();
        assert_eq!(via.port, Some(19823));
        // §4.5 received with and without brackets.
        let via = Via::parse(
            b"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
        )
        .unwrap();
        assert_eq!(via.received(), Some("2001:db8::9:255".parse().unwrap()));
        let via =
            Via::parse(b"SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3")
                .unwrap();
        assert_eq!(via.received(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(via.branch(), Some(&b"z9hG4bKas3"[..]));
        let via =
            Via::parse(b"SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200")
                .unwrap();
        assert_eq!(via.received(), Some("192.0.2.200".parse().unwrap()));
        // Bare IPv6 sent-by is not allowed.
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP 2001:db8::1;branch=x")
                .unwrap_err()
                .kind,
            ErrorKind::BadHost
        );
    }

    #[test]
    fn typed_params() {
        let via =
            Via::parse(b"SIP/2.0/UDP h;maddr=224.0.1.75;ttl=16;rport=5070;received=192.0.2.1")
                .unwrap();
        assert_eq!(via.maddr(), Some(Host::Ipv4(Ipv4Addr::new(224, 0, 1, 75))));
        assert_eq!(via.ttl(), Some(16));
        assert_eq!(via.rport(), Some(Some(5070)));
        assert_eq!(via.received(), Some("192.0.2.1".parse().unwrap()));
        let v: &[u8] = b"SIP/2.0/UDP h;ttl=256";
        assert_eq!(Via::parse(v).unwrap_err(), e(ErrorKind::BadVia, 18));
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;received=host.example").unwrap_err(),
            e(ErrorKind::BadVia, 23)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;rport=70000").unwrap_err(),
            e(ErrorKind::BadVia, 20)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;branch=\"x\"").unwrap_err(),
            e(ErrorKind::BadVia, 21)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;branch").unwrap_err(),
            e(ErrorKind::BadVia, 14)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h;maddr=a_b").unwrap_err(),
            e(ErrorKind::BadVia, 20)
        );
        // Unknown params are free-form generic-params, quoted allowed.
        let via = Via::parse(b"SIP/2.0/UDP h;x=\"a, b\";y").unwrap();
        assert_eq!(via.params().get(b"x"), Some(Some(&b"a, b"[..])));
    }

    #[test]
    fn invalid() {
        // RFC 4475 badinv01: `192.0.2.15;;,;,,`.
        assert_eq!(
            parse_via_list(b"SIP/2.0/UDP 192.0.2.15;;,;,,", 8).unwrap_err(),
            e(ErrorKind::BadParam, 23)
        );
        assert_eq!(Via::parse(b"").unwrap_err(), e(ErrorKind::BadVia, 0));
        assert_eq!(Via::parse(b"SIP/2.0").unwrap_err(), e(ErrorKind::BadVia, 7));
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP").unwrap_err(),
            e(ErrorKind::BadVia, 11)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDPhost").unwrap_err(),
            e(ErrorKind::BadVia, 15)
        );
        assert_eq!(
            Via::parse(b"SIP//UDP h").unwrap_err(),
            e(ErrorKind::BadVia, 4)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h:").unwrap_err(),
            e(ErrorKind::BadPort, 14)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h:99999").unwrap_err(),
            e(ErrorKind::BadPort, 18)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h x").unwrap_err(),
            e(ErrorKind::BadVia, 14)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP h,").unwrap_err(),
            e(ErrorKind::BadVia, 13)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP [::1").unwrap_err(),
            e(ErrorKind::BadHost, 12)
        );
        assert_eq!(
            Via::parse(b"SIP/2.0/UDP a_b").unwrap_err().kind,
            ErrorKind::BadHost
        );
        assert_eq!(
            Via::parse(b"  SIP/2.0/UDP h x").unwrap_err(),
            e(ErrorKind::BadVia, 16)
        );
        assert_eq!(
            parse_via_list(b" ,, ", 8).unwrap_err(),
            e(ErrorKind::BadVia, 0)
        );
        assert_eq!(
            parse_via_list(b"SIP/2.0/UDP a, SIP/2.0/UDP b", 1).unwrap_err(),
            e(ErrorKind::TooManyValues, 15)
        );
    }

    /// Split a message's header section into (name, value) pairs; folded values stay one
    /// contiguous slice of the message (test helper, not the real message parser).
    fn headers(msg: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut out: Vec<(&[u8], &[u8])> = Vec::new();
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, &b) in msg.iter().enumerate() {
            if b == b'\n' {
                let line = &msg[start..i];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    break;
                }
                lines.push((start, line));
                start = i + 1;
            }
        }
        let mut cur: Option<(usize, usize, usize)> = None; // name_start, colon, end
        for (off, line) in lines.into_iter().skip(1) {
            if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                if let Some(c) = cur.as_mut() {
                    c.2 = off + line.len();
                }
                continue;
            }
            if let Some((n, c, e)) = cur.take() {
                out.push((trim_lws(&msg[n..c]), &msg[c + 1..e]));
            }
            let colon = line.iter().position(|&b| b == b':').unwrap();
            cur = Some((off, off + colon, off + line.len()));
        }
        if let Some((n, c, e)) = cur {
            out.push((trim_lws(&msg[n..c]), &msg[c + 1..e]));
        }
        out
    }

    /// Parse every header this module family types; returns the first error with its name.
    fn check_message(msg: &[u8]) -> Result<usize, (String, ParseError)> {
        use super::super::{cseq::CSeq, name_addr};
        let first_line_end = msg.iter().position(|&b| b == b' ').unwrap_or(0);
        let mut n = 0;
        if !msg.starts_with(b"SIP/") {
            let rl = &msg[first_line_end + 1..];
            let end = rl.iter().position(|&b| b == b' ').unwrap_or(0);
            super::super::uri::Uri::parse(&rl[..end]).map_err(|e| ("ruri".to_string(), e))?;
        }
        for (name, value) in headers(msg) {
            let lname = String::from_utf8_lossy(name).to_ascii_lowercase();
            let r = match lname.as_str() {
                "via" | "v" => parse_via_list(value, 70).map(|_| ()),
                "to" | "t" | "from" | "f" => name_addr::NameAddr::parse(value).map(|_| ()),
                "contact" | "m" => name_addr::Contact::parse(value, 16).map(|_| ()),
                "route" | "record-route" => name_addr::parse_name_addr_list(value, 16).map(|_| ()),
                "cseq" => CSeq::parse(value).map(|_| ()),
                _ => continue,
            };
            r.map_err(|e| (lname.clone(), e))?;
            n += 1;
        }
        Ok(n)
    }

    macro_rules! fixture {
        ($dir:literal, $name:literal) => {
            (
                $name,
                &include_bytes!(concat!(
                    "../../../../tests/fixtures/",
                    $dir,
                    "/",
                    $name,
                    ".dat"
                ))[..],
            )
        };
    }

    #[test]
    fn rfc4475_and_rfc5118_valid_messages_parse() {
        let valid = [
            fixture!("rfc4475", "wsinv"),
            fixture!("rfc4475", "intmeth"),
            fixture!("rfc4475", "esc01"),
            fixture!("rfc4475", "escnull"),
            fixture!("rfc4475", "esc02"),
            fixture!("rfc4475", "lwsdisp"),
            fixture!("rfc4475", "longreq"),
            fixture!("rfc4475", "dblreq"),
            fixture!("rfc4475", "semiuri"),
            fixture!("rfc4475", "transports"),
            fixture!("rfc4475", "mpart01"),
            fixture!("rfc4475", "unreason"),
            fixture!("rfc4475", "noreason"),
            fixture!("rfc4475", "badbranch"),
            fixture!("rfc4475", "unkscm"),
            fixture!("rfc4475", "novelsc"),
            fixture!("rfc4475", "unksm2"),
            fixture!("rfc4475", "bext01"),
            fixture!("rfc4475", "invut"),
            fixture!("rfc4475", "regaut01"),
            fixture!("rfc4475", "bcast"),
            fixture!("rfc4475", "zeromf"),
            fixture!("rfc4475", "cparam01"),
            fixture!("rfc4475", "cparam02"),
            fixture!("rfc4475", "regescrt"),
            fixture!("rfc4475", "sdp01"),
            fixture!("rfc4475", "inv2543"),
            fixture!("rfc5118/ersip-crlf", "ipv4-mapped-ipv6"),
            fixture!("rfc5118/ersip-crlf", "ipv6-correct-abnf-2-colons"),
            fixture!("rfc5118/ersip-crlf", "ipv6-good"),
            fixture!("rfc5118/ersip-crlf", "ipv6-in-sdp"),
            fixture!("rfc5118/ersip-crlf", "mult-ip-in-header"),
            fixture!("rfc5118/ersip-crlf", "mult-ip-in-sdp"),
            fixture!("rfc5118/ersip-crlf", "port-ambiguous"),
            fixture!("rfc5118/ersip-crlf", "port-unambiguous"),
            fixture!("rfc5118/ersip-crlf", "via-received-param-no-delim"),
            fixture!("rfc5118/ersip-crlf", "via-received-param-with-delim"),
        ];
        for (name, msg) in valid {
            let n = check_message(msg).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(n >= 3, "{name}: only {n} typed headers");
        }
    }

    #[test]
    fn rfc4475_and_rfc5118_invalid_values_are_caught() {
        let cases = [
            (fixture!("rfc4475", "scalar02"), "cseq", ErrorKind::BadCSeq),
            (fixture!("rfc4475", "scalarlg"), "cseq", ErrorKind::BadCSeq),
            (
                fixture!("rfc4475", "quotbal"),
                "to",
                ErrorKind::BadQuotedString,
            ),
            (
                fixture!("rfc4475", "regbadct"),
                "contact",
                ErrorKind::BadNameAddr,
            ),
            (fixture!("rfc4475", "badaspec"), "to", ErrorKind::BadUri),
            (fixture!("rfc4475", "baddn"), "from", ErrorKind::BadNameAddr),
            (fixture!("rfc4475", "badinv01"), "via", ErrorKind::BadParam),
            (
                fixture!("rfc5118/ersip-crlf", "ipv6-bad"),
                "ruri",
                ErrorKind::BadHost,
            ),
            (
                fixture!("rfc5118/ersip-crlf", "ipv6-bug-abnf-3-colons"),
                "ruri",
                ErrorKind::BadHost,
            ),
        ];
        for ((name, msg), header, kind) in cases {
            let (h, e) = check_message(msg).expect_err(name);
            assert_eq!((h.as_str(), e.kind), (header, kind), "{name}");
        }
        // RFC 4475 §3.1.2.11 escruri: the URI itself is well formed; headers in a
        // Request-URI are forbidden by RFC 3261 §19.1.1 and checked by the message layer.
        let (_, msg) = fixture!("rfc4475", "escruri");
        let ruri = &msg[7..msg.iter().position(|&b| b == b'\r').unwrap() - 8];
        let u = super::super::uri::Uri::parse(ruri).unwrap();
        assert_eq!(u.headers(), Some(&b"Route=%3Csip:example.com%3E"[..]));
    }

    proptest! {
        #[test]
        fn no_panic_on_arbitrary_bytes(v in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(vias) = parse_via_list(&v, 4) {
                for via in vias {
                    prop_assert!(offset_in(&v, via.host_raw()).is_some());
                    let _ = (via.branch(), via.received(), via.rport(), via.maddr(), via.ttl());
                }
            }
            let _ = super::super::name_addr::parse_name_addr_list(&v, 4);
            let _ = super::super::name_addr::Contact::parse(&v, 4);
            let _ = super::super::cseq::CSeq::parse(&v);
            let _ = super::super::params::Params::parse(&v);
            let _ = super::super::text::split_list(&v).count();
        }

        /// The front fast path gives exactly what the general path gives, the same
        /// sub-slices included.
        #[test]
        fn front_fast_matches_the_general_path(v in "SIP/2\\.0/[A-Z]{0,4}[ \t]{0,2}[a-z0-9\\[\\]_.-]{0,14}(:[0-9]{0,6})?[;:, ]?[a-z=;]{0,6}") {
            let v = v.as_bytes();
            if let Some(f) = Via::front_fast(v) {
                let g = Via::front_general(v).unwrap();
                // Fronts hold spans of `v`: equal spans are the same sub-slices.
                prop_assert_eq!(f, g);
            }
        }

        /// The via-params fast path gives exactly what the general pass gives, wherever it
        /// answers (the same run, the same well-known parameter checks).
        #[test]
        fn params_fast_matches_the_general_path(v in "(;(branch|rport|ttl|maddr|received|x)(=[a-zA-Z0-9:.\\[\\]\"]{0,6})?[ ,]?){0,3}") {
            let v = v.as_bytes();
            if let Some(p) = Params::parse_header_run_fast(v, via_param_ok_unquoted) {
                prop_assert_eq!(Via::params_general(v, 0), Ok(p));
                prop_assert_eq!(p.raw().as_ptr(), v.as_ptr());
            }
            // And the whole via-parm, fast front included, against a fully general parse.
            let mut full = b"SIP/2.0/UDP 192.0.2.1:5060".to_vec();
            full.extend_from_slice(v);
            if let Ok(via) = Via::parse(&full) {
                prop_assert_eq!(Ok(via.params()), Via::params_general(&full, 26));
            }
        }

        #[test]
        fn no_panic_on_via_like_text(v in "SIP ?/ ?2\\.0 ?/[A-Z]{0,4}[ \t]{0,2}(\r\n )?[a-z0-9\\[\\]:.]{0,20}[;=, \"a-z0-9]{0,20}") {
            let _ = parse_via_list(v.as_bytes(), 4);
        }
    }
}
