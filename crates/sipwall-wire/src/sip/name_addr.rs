//! `name-addr / addr-spec` header values: From, To, Contact, Route, Record-Route, Refer-To
//! (RFC 3261 §20.10, §20.20, §20.34, §20.39, §25.1; RFC 3515 §2.1).

use super::params::Params;
use super::text::{is_wsp, offset_in, parse_quoted_string, skip_lws, token_end, trim_lws, Span};
use super::uri::Uri;
use crate::error::{ErrorKind, ParseError};

/// One `name-addr` or `addr-spec` with its header parameters.
///
/// RFC 3261 §20 / §20.10: when the URI is not in `<>` (`angle == false`), parameters after it
/// are *header* parameters (`;tag=` of From/To, `;expires=` of Contact), never URI
/// parameters, and such a bare `addr-spec` may not contain `,`, `?` or `;` of its own.
///
/// The display name and the parameters are spans of `raw` read by accessors (the struct
/// stays small; see `text::Span`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The element as parsed (surrounding LWS trimmed).
    pub raw: &'a [u8],
    pub uri: Uri<'a>,
    display_name: Span,
    params: Span,
    /// True for the `name-addr` form (`<...>`).
    pub angle: bool,
}

impl<'a> NameAddr<'a> {
    /// The display name: the content of a quoted-string without the quotes (quoted-pairs still
    /// escaped), or the `*(token LWS)` run as written (interior LWS kept, trailing LWS cut).
    #[inline]
    pub fn display_name(&self) -> Option<&'a [u8]> {
        self.display_name.get(self.raw)
    }

    /// Header parameters after the URI (`;tag`, `;expires`, `;q`, ...).
    #[inline]
    pub fn params(&self) -> Params<'a> {
        Params::header_run(self.params.slice(self.raw))
    }
}

impl std::fmt::Debug for NameAddr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameAddr")
            .field("raw", &self.raw)
            .field("display_name", &self.display_name())
            .field("uri", &self.uri)
            .field("params", &self.params())
            .field("angle", &self.angle)
            .finish()
    }
}

fn bad(at: usize) -> ParseError {
    ParseError::new(ErrorKind::BadNameAddr, at)
}

/// The URI of a name-addr in general: up to the first `>` of `rest` (the bytes after the `<`
/// at `lt`), then [`Uri::parse_exact`]. Returns the URI and its length.
#[cold]
#[inline(never)]
fn angle_uri_general(
    rest: &[u8],
    lt: usize,
    ustart: usize,
) -> Result<(Uri<'_>, usize), ParseError> {
    let ulen = rest.iter().position(|&b| b == b'>').ok_or(bad(lt))?;
    let uri_bytes = rest.get(..ulen).unwrap_or(&[]);
    let uri = Uri::parse_general(uri_bytes).map_err(|e| e.shifted(ustart))?;
    Ok((uri, ulen))
}

impl<'a> NameAddr<'a> {
    /// Parse one element. Surrounding LWS is trimmed; the element must end after its
    /// parameters (a `,` is an error here: split lists with [`parse_name_addr_list`]).
    ///
    /// RFC 3261 §25.1:
    /// `name-addr = [ display-name ] LAQUOT addr-spec RAQUOT`,
    /// `display-name = *(token LWS) / quoted-string`, `LAQUOT = SWS "<"`, `RAQUOT = ">" SWS`,
    /// `addr-spec = SIP-URI / SIPS-URI / absoluteURI`, then `*( SEMI generic-param )`.
    /// No LWS is needed before `<` (RFC 4475 §3.1.1.6 lwsdisp); none is allowed inside `<>`
    /// (RFC 4475 §3.1.2.14 badaspec). Errors: `BadNameAddr` (structure, non-token display
    /// name: RFC 4475 §3.1.2.15 baddn; URI with `?` or `,` outside `<>`: RFC 4475 §3.1.2.13
    /// regbadct), `BadQuotedString` (RFC 4475 §3.1.2.6 quotbal), and URI/param errors.
    #[inline]
    pub fn parse(input: &'a [u8]) -> Result<NameAddr<'a>, ParseError> {
        Self::parse_at(input, 0)
    }

    /// [`NameAddr::parse`] with every error offset shifted by `base` (where `input` lies in
    /// the message). The parser shifts its own errors, so its result is returned as it is:
    /// a fix-up by the caller would copy the large `Ok` value (~20 instructions a call, see
    /// `examples/parse_loop.rs`).
    #[inline]
    pub(crate) fn parse_at(input: &'a [u8], base: usize) -> Result<NameAddr<'a>, ParseError> {
        let t = trim_lws(input);
        let lead = offset_in(input, t).unwrap_or(0);
        Self::parse_trimmed(t, base.saturating_add(lead))
    }

    /// One trimmed element; errors are shifted by `shift`.
    fn parse_trimmed(t: &'a [u8], shift: usize) -> Result<NameAddr<'a>, ParseError> {
        // Locate the `<` of a name-addr and the display name before it, if any.
        let mut display_name = Span::NONE;
        let mut laquot = None;
        let mut scan_stop = 0;
        match t.first() {
            None => return Err(bad(shift)),
            Some(b'"') => {
                // The usual display name (`"Alice"`: printable ASCII, no `\`) inline; every
                // other quoted-string takes the full parser (a call cost ~120 instructions).
                let body = t.get(1..).unwrap_or(&[]);
                // A plain byte loop: display names are short, and this keeps the hot code small.
                let n = body
                    .iter()
                    .take_while(|&&c| (0x20..=0x7e).contains(&c) && c != b'"' && c != b'\\')
                    .count();
                let (content, end) = match body.get(n) {
                    Some(b'"') => (body.get(..n).unwrap_or(&[]), n + 2),
                    _ => parse_quoted_string(t, 0).map_err(|e| e.shifted(shift))?,
                };
                let p = skip_lws(t, end);
                if t.get(p) != Some(&b'<') {
                    return Err(bad(p).shifted(shift));
                }
                display_name = Span::of(t, content);
                laquot = Some(p);
            }
            Some(b'<') => laquot = Some(0),
            Some(_) => {
                // display-name = *(token LWS), the last LWS optional before `<`.
                let mut p = 0;
                loop {
                    let te = token_end(t, p);
                    if te == p {
                        scan_stop = p;
                        break;
                    }
                    let q = skip_lws(t, te);
                    if t.get(q) == Some(&b'<') {
                        display_name = Span::at(0, te);
                        laquot = Some(q);
                        break;
                    }
                    if q == te {
                        scan_stop = te;
                        break;
                    }
                    p = q;
                }
            }
        }

        if let Some(lt) = laquot {
            // The usual `<sip:...>` (parsed in the same pass that finds its `>`), then the
            // usual `;tag=...` or nothing, in one tight loop: the value is built straight
            // into the result, with no general path merged in (that merge cost a copy of
            // the `Uri`, see `examples/parse_loop.rs`). Everything else: `angle_general`.
            let ustart = lt + 1;
            let rest = t.get(ustart..).unwrap_or(&[]);
            if let Some((uri, n)) = Uri::parse_sip_prefix_inline(rest, true) {
                if rest.get(n) == Some(&b'>') {
                    let tail = t.get(ustart + n + 1..).unwrap_or(&[]);
                    if let Some(p) = Params::parse_header_run_fast(tail, |_, _, _| true) {
                        return Ok(NameAddr {
                            raw: t,
                            uri,
                            display_name,
                            params: Span::of(t, p.raw()),
                            angle: true,
                        });
                    }
                }
            }
            return Self::angle_general(t, display_name, lt, shift);
        }

        Self::addr_spec(t, scan_stop, shift)
    }

    /// The `name-addr` form whose `<` is at `lt`, in general: the URI up to the first `>`
    /// and any header parameters, with the error offsets. Out of line: the usual form is
    /// taken in [`NameAddr::parse_trimmed`]. Errors are shifted by `shift`.
    #[cold]
    #[inline(never)]
    fn angle_general(
        t: &'a [u8],
        display_name: Span,
        lt: usize,
        shift: usize,
    ) -> Result<NameAddr<'a>, ParseError> {
        Self::angle_general_unshifted(t, display_name, lt).map_err(|e| e.shifted(shift))
    }

    /// [`NameAddr::angle_general`] with offsets in `t`.
    fn angle_general_unshifted(
        t: &'a [u8],
        display_name: Span,
        lt: usize,
    ) -> Result<NameAddr<'a>, ParseError> {
        let ustart = lt + 1;
        let rest = t.get(ustart..).unwrap_or(&[]);
        let (uri, ulen) = match Uri::parse_sip_prefix_inline(rest, true) {
            Some((uri, n)) if rest.get(n) == Some(&b'>') => (uri, n),
            _ => angle_uri_general(rest, lt, ustart)?,
        };
        let pstart = ustart + ulen + 1;
        let tail = t.get(pstart..).unwrap_or(&[]);
        let params = if let Some(p) = Params::parse_header_run_fast(tail, |_, _, _| true) {
            p
        } else {
            let (params, used) = Params::parse(tail).map_err(|e| e.shifted(pstart))?;
            let end = skip_lws(t, pstart + used);
            if end != t.len() {
                return Err(bad(end));
            }
            params
        };
        Ok(NameAddr {
            raw: t,
            uri,
            display_name,
            params: Span::of(t, params.raw()),
            angle: true,
        })
    }

    /// The `addr-spec` form (no `<>`) of a trimmed element, or the error of a display name
    /// that had a non-token byte before a `<` (`scan_stop`: where the display-name scan
    /// stopped). Out of line: the `<...>` form is the usual one, and this path would double
    /// the hot function's machine code (see `examples/parse_loop.rs`). Errors are shifted by
    /// `shift`.
    #[inline(never)]
    fn addr_spec(t: &'a [u8], scan_stop: usize, shift: usize) -> Result<NameAddr<'a>, ParseError> {
        // addr-spec: the URI runs to the first LWS or `;` (RFC 3261 §20.10).
        let addr_spec = || -> Result<NameAddr<'a>, ParseError> {
            let ulen = t
                .iter()
                .position(|&b| b == b';' || is_wsp(b) || b == b'\r' || b == b'\n')
                .unwrap_or(t.len());
            let uri_bytes = t.get(..ulen).unwrap_or(&[]);
            if let Some(i) = uri_bytes.iter().position(|&b| b == b'?' || b == b',') {
                return Err(bad(i));
            }
            let uri = Uri::parse_exact(uri_bytes)?;
            let (params, used) =
                Params::parse(t.get(ulen..).unwrap_or(&[])).map_err(|e| e.shifted(ulen))?;
            let end = skip_lws(t, ulen + used);
            if end != t.len() {
                return Err(bad(end));
            }
            Ok(NameAddr {
                raw: t,
                uri,
                display_name: Span::NONE,
                params: if params.is_empty() {
                    Span::at(ulen, 0)
                } else {
                    Span::of(t, params.raw())
                },
                angle: false,
            })
        };
        addr_spec().map_err(|e| {
            // A `<` later on means the display name had a non-token byte (RFC 4475 baddn).
            if t.contains(&b'<') { bad(scan_stop) } else { e }.shifted(shift)
        })
    }

    /// The `tag` parameter (RFC 3261 §19.3), if present with a value.
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.params().get(b"tag").flatten()
    }

    /// The Contact `expires` parameter (RFC 3261 §20.10: `delta-seconds`). `None` when absent
    /// *or* malformed / larger than `u32::MAX` (RFC 4475 §3.1.2.4 allows treating an overlarge
    /// expiry as absent, i.e. the default). Use `params.get(b"expires")` to tell them apart.
    pub fn expires(&self) -> Option<u32> {
        let v = self.params().get(b"expires").flatten()?;
        super::cseq::parse_u32_decimal(v).ok()
    }

    /// The Contact `q` parameter (RFC 3261 §20.10, §25.1 `qvalue`) in thousandths
    /// (`q=0.33` -> 330, `q=1` -> 1000). `None` when absent or malformed.
    pub fn q(&self) -> Option<u16> {
        parse_qvalue(self.params().get(b"q").flatten()?)
    }
}

/// RFC 3261 §25.1 `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in
/// thousandths.
pub fn parse_qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (v.get(..i)?, v.get(i + 1..)?),
        None => (v, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, &d) in frac.iter().enumerate() {
        let scale = [100u16, 10, 1].get(i).copied()?;
        thousandths += u16::from(d - b'0') * scale;
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A list of name-addrs (Contact, Route, Record-Route); one element is stored inline (see
/// [`super::text::List`]).
pub type NameAddrList<'a> = super::text::List<NameAddr<'a>>;

/// A Contact header value (RFC 3261 §20.10, §25.1:
/// `Contact = ("Contact" / "m") HCOLON ( STAR / (contact-param *(COMMA contact-param)))`).
// The large variant is not boxed: boxing it would bring back the heap allocation that
// `NameAddrList` (one element inline) exists to avoid.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `*` (only valid in REGISTER with `Expires: 0`, RFC 3261 §10.2.2; checked by the caller).
    Star,
    Addrs(NameAddrList<'a>),
}

impl<'a> Contact<'a> {
    /// Parse a Contact value: `*` alone, or a list of at most `max` name-addr/addr-spec
    /// elements (more: `TooManyValues`).
    pub fn parse(value: &'a [u8], max: usize) -> Result<Contact<'a>, ParseError> {
        // STAR = SWS "*" SWS
        if trim_lws(value) == b"*" {
            return Ok(Contact::Star);
        }
        parse_name_addr_list(value, max).map(Contact::Addrs)
    }
}

/// Parse a comma-separated list of `name-addr / addr-spec` elements (Route, Record-Route,
/// Contact; RFC 3261 §7.3.1, §25.1). At least one element; at most `max` (else
/// `TooManyValues` at the first extra element). Offsets are relative to `value`.
pub fn parse_name_addr_list(value: &[u8], max: usize) -> Result<NameAddrList<'_>, ParseError> {
    super::text::parse_list(value, max, ErrorKind::BadNameAddr, NameAddr::parse)
}

#[cfg(test)]
mod tests {
    use super::super::uri::{Host, Scheme};
    use super::*;

    fn e(kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, offset)
    }

    proptest::proptest! {
        /// What `Message::contacts` relies on: a value `NameAddr::parse` accepts is one list
        /// element, its trimmed self.
        #[test]
        fn accepted_elements_are_one_list_element(
            v in "[ ]{0,1}(\"[a,<>\\\\ ]{0,4}\"|[a ]{0,3})[ ]{0,1}(<sip:[a,@>\";=]{1,6}>|sip:[a,@\";=]{1,6})(;[a,=\"<>]{0,5}){0,2}[ ]{0,1}"
        ) {
            let v = v.as_bytes();
            if NameAddr::parse(v).is_ok() {
                let elems: Vec<&[u8]> = crate::sip::text::split_list(v).collect();
                proptest::prop_assert_eq!(elems, vec![trim_lws(v)]);
            }
        }
    }

    #[test]
    fn wsinv_to_and_from() {
        // RFC 4475 wsinv `TO :` value: addr-spec with LWS around `;` and `=`, folded.
        let v: &[u8] = b"\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n";
        let na = NameAddr::parse(v).unwrap();
        assert!(!na.angle);
        assert_eq!(na.display_name(), None);
        assert_eq!(na.uri.host(), Some(Host::Name(b"chair-dnrc.example.com")));
        assert!(na.uri.params().is_empty());
        assert_eq!(na.tag(), Some(&b"1918181833n"[..]));
        assert_eq!(offset_in(v, na.uri.raw), Some(3));
        // wsinv `from` value: quoted display name with escapes, folded params.
        let v: &[u8] =
            b"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8";
        let na = NameAddr::parse(v).unwrap();
        assert!(na.angle);
        assert_eq!(na.display_name(), Some(&b"J Rosenberg \\\\\\\""[..]));
        assert_eq!(na.uri.user(), Some(&b"jdrosen"[..]));
        assert_eq!(na.tag(), Some(&b"98asjd8"[..]));
        assert_eq!(offset_in(v, na.display_name().unwrap()), Some(1));
    }

    /// The inline plain display name and the quoted-string parser it falls back to give the
    /// same name (printable ASCII inline; escapes, TAB, folds, UTF-8, errors through the parser).
    #[test]
    fn quoted_display_name_fast_path_and_fallbacks() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"\"Alice\" <sip:a@b>", b"Alice"),
            (b"\"\" <sip:a@b>", b""),
            (b"\"A\\\"b\" <sip:a@b>", b"A\\\"b"),
            (b"\"A\tb\"<sip:a@b>", b"A\tb"),
            ("\"Zoë\" <sip:a@b>".as_bytes(), "Zoë".as_bytes()),
        ];
        for (v, name) in cases {
            let na = NameAddr::parse(v).unwrap();
            assert_eq!(na.display_name(), Some(name));
            let (content, _) = parse_quoted_string(v, 0).unwrap();
            assert_eq!(na.display_name(), Some(content));
        }
        assert_eq!(
            NameAddr::parse(b"\"Alice <sip:a@b>").unwrap_err(),
            e(ErrorKind::BadQuotedString, 0)
        );
        assert_eq!(
            NameAddr::parse(b"\"A\x01\" <sip:a@b>").unwrap_err(),
            e(ErrorKind::BadQuotedString, 2)
        );
    }

    /// The inline `<sip:...>;params` form gives what the general name-addr path gives, and
    /// every other form is left to it.
    #[test]
    fn angle_fast_path_agrees_with_the_general_path() {
        let values: [&[u8]; 10] = [
            b"<sip:a@b>",
            b"<sip:alice@192.0.2.10:5060>",
            b"<sip:a@b.example.com>;tag=9fxced76sl",
            b"<sip:a@b;lr>;q=0.5;expires=60",
            b"<sip:a@b> ;tag=1",
            b"<sips:a:pw@b>;x",
            b"<tel:+1234>",
            b"<sip:a@b",
            b"<sip:a@b>x",
            b"<sip:a@b>;tag=\"q\"",
        ];
        for v in values {
            assert_eq!(
                NameAddr::parse_trimmed(v, 0),
                NameAddr::angle_general(v, Span::NONE, 0, 0),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }

    /// `Message::from`/`to`/`cseq` hand the value's offset to `parse_at`: their errors are
    /// the value's own errors shifted to the message, on every error path (empty value,
    /// quoted display name, the `<...>` general path, the addr-spec path, CSeq's).
    #[test]
    fn message_accessors_shift_errors_to_message_offsets() {
        use crate::sip::{CSeq, Limits, Message, Transport};
        let at = |m: &[u8], v: &[u8]| offset_in(m, v).unwrap();
        for (from, to, cseq) in [
            (&b"\"x\" sip:a@b"[..], &b"<sip:a@b> x"[..], &b"x INVITE"[..]),
            (b"\"A\x01\" <sip:a@b>", b"Bell, A <sip:a@b>", b"1  INVITE x"),
            (b"   ", b"sip:a@b,sip:c@d", b"99999999999 INVITE"),
            (b"<sip:a@b>;;", b"\"Alice <sip:a@b>", b"1"),
        ] {
            let mut m = b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: ".to_vec();
            m.extend_from_slice(from);
            m.extend_from_slice(b"\r\nTo: ");
            m.extend_from_slice(to);
            m.extend_from_slice(b"\r\nCSeq: ");
            m.extend_from_slice(cseq);
            m.extend_from_slice(b"\r\nCall-ID: 1\r\n\r\n");
            let msg = Message::parse(&m, Transport::Datagram, &Limits::default()).unwrap();
            let fv = msg.header_value(crate::sip::HeaderName::From).unwrap();
            let tv = msg.header_value(crate::sip::HeaderName::To).unwrap();
            let cv = msg.header_value(crate::sip::HeaderName::CSeq).unwrap();
            let fe = NameAddr::parse(fv).unwrap_err();
            assert_eq!(msg.from().unwrap_err(), fe.shifted(at(&m, fv)));
            let te = NameAddr::parse(tv).unwrap_err();
            assert_eq!(msg.to().unwrap_err(), te.shifted(at(&m, tv)));
            let ce = CSeq::parse(cv).unwrap_err();
            assert_eq!(msg.cseq().unwrap_err(), ce.shifted(at(&m, cv)));
        }
    }

    #[test]
    fn wsinv_contact_q_and_params() {
        let v: &[u8] = b"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33";
        let na = NameAddr::parse(v).unwrap();
        assert_eq!(na.display_name(), Some(&b"Quoted string \\\"\\\""[..]));
        assert_eq!(na.q(), Some(330));
        assert_eq!(na.params().get(b"newparam"), Some(Some(&b"newvalue"[..])));
        assert_eq!(na.params().get(b"secondparam"), Some(None));
        assert_eq!(na.expires(), None);
    }

    #[test]
    fn token_display_names() {
        // RFC 4475 intmeth From.
        let v = "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{0440}\u{0430}\u{0431}\";tag=_token~1'+`*%!-.".as_bytes();
        let na = NameAddr::parse(v).unwrap();
        assert_eq!(
            na.display_name(),
            Some(&b"token1~` token2'+_ token3*%!.-"[..])
        );
        assert_eq!(na.tag(), Some(&b"_token~1'+`*%!-."[..]));
        // RFC 4475 lwsdisp: no LWS before `<`.
        let na = NameAddr::parse(b"caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(na.display_name(), Some(&b"caller"[..]));
        assert_eq!(na.tag(), Some(&b"323"[..]));
        // No display name, angle form.
        let na =
            NameAddr::parse(b"<sip:services.example.com;lr;unknownwith=value;unknown-no-value>")
                .unwrap();
        assert_eq!(na.display_name(), None);
        assert_eq!(na.uri.params().get(b"lr"), Some(None));
        assert!(na.params().is_empty());
        // RFC 5118 ipv4-mapped Contact.
        let na = NameAddr::parse(b"\"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>").unwrap();
        assert_eq!(na.display_name(), Some(&b"T. desk phone"[..]));
        assert_eq!(na.uri.host_raw(), Some(&b"[::ffff:192.0.2.2]"[..]));
    }

    #[test]
    fn addr_spec_params_belong_to_header() {
        // RFC 4475 cparam01 vs cparam02.
        let na = NameAddr::parse(b"sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert!(na.uri.params().is_empty());
        assert_eq!(na.params().get(b"unknownparam"), Some(None));
        let na = NameAddr::parse(b"<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert_eq!(na.uri.params().get(b"unknownparam"), Some(None));
        assert!(na.params().is_empty());
        // RFC 4475 unksm2: other schemes.
        let na = NameAddr::parse(b"isbn:2983792873").unwrap();
        assert_eq!(na.uri.scheme, Scheme::Other);
        let na = NameAddr::parse(b"<http://www.example.com>;tag=3234233").unwrap();
        assert_eq!(na.uri.raw, b"http://www.example.com");
        assert_eq!(na.tag(), Some(&b"3234233"[..]));
        // RFC 4475 escnull To with tag.
        let na = NameAddr::parse(b"sip:null-%00-null@example.com;tag=839923423").unwrap();
        assert_eq!(na.uri.user(), Some(&b"null-%00-null"[..]));
    }

    #[test]
    fn rfc4475_invalid_values() {
        // regbadct: `?` in a bare addr-spec.
        assert_eq!(
            NameAddr::parse(b"sip:user@example.com?Route=%3Csip:sip.example.com%3E").unwrap_err(),
            e(ErrorKind::BadNameAddr, 20)
        );
        // badaspec: spaces inside <>.
        assert_eq!(
            NameAddr::parse(b"\"Watson, Thomas\" < sip:t.watson@example.org >").unwrap_err(),
            e(ErrorKind::BadUri, 18)
        );
        // baddn: non-token display name.
        assert_eq!(
            NameAddr::parse(b"Bell, Alexander <sip:a.g.bell@example.com>;tag=43").unwrap_err(),
            e(ErrorKind::BadNameAddr, 4)
        );
        // quotbal: unterminated quote.
        assert_eq!(
            NameAddr::parse(b"\"Mr. J. User <sip:j.user()@example.com>").unwrap_err(),
            e(ErrorKind::BadQuotedString, 0)
        );
        // badinv01: empty params.
        assert_eq!(
            NameAddr::parse(b"\"Joe\" <sip:joe@example.org>;;;;").unwrap_err(),
            e(ErrorKind::BadParam, 28)
        );
    }

    #[test]
    fn other_invalid_values() {
        assert_eq!(
            NameAddr::parse(b"").unwrap_err(),
            e(ErrorKind::BadNameAddr, 0)
        );
        assert_eq!(
            NameAddr::parse(b"   ").unwrap_err(),
            e(ErrorKind::BadNameAddr, 3)
        );
        assert_eq!(
            NameAddr::parse(b"<sip:a@b").unwrap_err(),
            e(ErrorKind::BadNameAddr, 0)
        );
        assert_eq!(
            NameAddr::parse(b"\"x\" sip:a@b").unwrap_err(),
            e(ErrorKind::BadNameAddr, 4)
        );
        assert_eq!(
            NameAddr::parse(b"<sip:a@b> x").unwrap_err(),
            e(ErrorKind::BadNameAddr, 10)
        );
        assert_eq!(
            NameAddr::parse(b"sip:a@b x").unwrap_err(),
            e(ErrorKind::BadNameAddr, 8)
        );
        assert_eq!(
            NameAddr::parse(b"sip:a@b,sip:c@d").unwrap_err(),
            e(ErrorKind::BadNameAddr, 7)
        );
        assert_eq!(NameAddr::parse(b"<>").unwrap_err(), e(ErrorKind::BadUri, 1));
        // Offsets relative to untrimmed input.
        assert_eq!(
            NameAddr::parse(b"  <sip:a@b> x").unwrap_err(),
            e(ErrorKind::BadNameAddr, 12)
        );
    }

    #[test]
    fn contact_lists() {
        assert_eq!(Contact::parse(b"  * ", 4).unwrap(), Contact::Star);
        // esc01 Contact (folded).
        let v: &[u8] = b"\r\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>";
        match Contact::parse(v, 4).unwrap() {
            Contact::Addrs(a) => {
                assert_eq!(a.len(), 1);
                assert_eq!(a[0].uri.user(), Some(&b"cal%6Cer"[..]));
            }
            Contact::Star => panic!("not a star"),
        }
        // scalar02: overlarge expires reads as None; a sane one as its value.
        let v: &[u8] = b"<sip:user@host129.example.com>\r\n  ;expires=280297596632815";
        let Contact::Addrs(a) = Contact::parse(v, 4).unwrap() else {
            panic!("not a star")
        };
        assert_eq!(a[0].expires(), None);
        assert_eq!(
            a[0].params().get(b"expires"),
            Some(Some(&b"280297596632815"[..]))
        );
        let Contact::Addrs(a) =
            Contact::parse(b"<sip:a@b>;expires=3600;q=1, \"B, b\" <sip:c@d>;q=0.5", 4).unwrap()
        else {
            panic!("not a star")
        };
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].expires(), Some(3600));
        assert_eq!(a[0].q(), Some(1000));
        assert_eq!(a[1].display_name(), Some(&b"B, b"[..]));
        assert_eq!(a[1].q(), Some(500));
        // A star among addresses, limits, empties, error offsets within the list.
        assert_eq!(
            Contact::parse(b"*, <sip:a@b>", 4).unwrap_err().kind,
            ErrorKind::BadUri
        );
        assert_eq!(
            Contact::parse(b"<sip:a@b>, <sip:c@d>, <sip:e@f>", 2).unwrap_err(),
            e(ErrorKind::TooManyValues, 22)
        );
        assert_eq!(
            parse_name_addr_list(b"<sip:a@b>, <sip:c:x>", 4).unwrap_err(),
            e(ErrorKind::BadPort, 18)
        );
        assert_eq!(
            parse_name_addr_list(b" , ", 4).unwrap_err().kind,
            ErrorKind::BadNameAddr
        );
        let rr =
            parse_name_addr_list(b"<sip:p1.example.com;lr>,<sip:p2.example.com;lr>", 8).unwrap();
        assert_eq!(rr.len(), 2);
        assert_eq!(rr[1].uri.host(), Some(Host::Name(b"p2.example.com")));
    }

    #[test]
    fn qvalues() {
        assert_eq!(parse_qvalue(b"0"), Some(0));
        assert_eq!(parse_qvalue(b"0."), Some(0));
        assert_eq!(parse_qvalue(b"0.001"), Some(1));
        assert_eq!(parse_qvalue(b"0.7"), Some(700));
        assert_eq!(parse_qvalue(b"1.000"), Some(1000));
        assert_eq!(parse_qvalue(b"1.5"), None);
        assert_eq!(parse_qvalue(b"0.1234"), None);
        assert_eq!(parse_qvalue(b"2"), None);
        assert_eq!(parse_qvalue(b""), None);
        assert_eq!(parse_qvalue(b"0.a"), None);
    }
}
