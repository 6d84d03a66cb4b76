//! Parameter runs: `;name[=value]` after a header value (`generic-param`) or inside a SIP URI
//! (`uri-parameter`), RFC 3261 §25.1.
//!
//! A [`Params`] is a validated view over the bytes of the run; iteration re-lexes them lazily,
//! so nothing is allocated. Every slice handed out is a sub-slice of the parsed input.

use super::text::{eq_ignore_case, parse_quoted_string, skip_lws, token_end, token_run_end};
use crate::error::{ErrorKind, ParseError};

/// One parameter.
///
/// - `name`: the name as written (compare with [`eq_ignore_case`]; RFC 3261 §7.3.1 / §19.1.4
///   make parameter names case-insensitive).
/// - `value`: `None` for a flag (`;lr`). For a quoted-string value, the content *without* the
///   quotes (quoted-pairs still escaped); otherwise the value as written.
/// - `value_raw`: the value exactly as written, *including* the quotes of a quoted-string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    pub name: &'a [u8],
    pub value: Option<&'a [u8]>,
    pub value_raw: Option<&'a [u8]>,
}

/// Which grammar a run follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Header parameters: `*( SEMI generic-param )`, LWS allowed around `;` and `=`.
    Header,
    /// URI parameters: `*( ";" uri-parameter )`, no LWS (RFC 3261 §19.1.1, §25.1).
    Uri,
}

/// A validated run of parameters. `raw()` starts at the first `;` (empty when there are none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a [u8],
    kind: Kind,
}

/// RFC 3261 §25.1 `unreserved = alphanum / mark`,
/// `mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"`.
pub(super) const fn unreserved_rule(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// RFC 3261 §25.1 `paramchar = param-unreserved / unreserved / escaped`,
/// `param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"` (escapes checked separately).
#[inline]
fn is_paramchar(b: u8) -> bool {
    class(b, PARAMCHAR)
}

const fn paramchar_rule(b: u8) -> bool {
    unreserved_rule(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$' | b'%')
}

/// Characters of an unquoted `gen-value = token / host` (RFC 3261 §25.1). `host` adds `:`,
/// `[` and `]` to the token set (IPv6 references; RFC 3261 `via-received` and RFC 5118 §4.5 also
/// allow a bare IPv6 address in `received`).
#[inline]
fn is_gen_value_char(b: u8) -> bool {
    class(b, GEN_VALUE)
}

const fn gen_value_rule(b: u8) -> bool {
    // RFC 3261 §25.1 token characters, then the host additions.
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'!'
                | b'%'
                | b'*'
                | b'_'
                | b'+'
                | b'`'
                | b'\''
                | b'~'
                | b':'
                | b'['
                | b']'
        )
}

/// Bits of [`CLASSES`]: which RFC 3261 §25.1 character sets a byte belongs to.
pub(crate) const UNRESERVED: u16 = 1;
pub(crate) const PARAMCHAR: u16 = 2;
pub(crate) const GEN_VALUE: u16 = 4;
pub(crate) const USER: u16 = 8;
pub(crate) const PASSWORD: u16 = 16;
pub(crate) const HEADER_CHAR: u16 = 32;
pub(crate) const URIC: u16 = 64;
/// `alphanum / "-"`: the bytes of a hostname label (RFC 3261 §25.1 `domainlabel`).
pub(crate) const LABEL: u16 = 128;
/// `ALPHA`, `DIGIT`, `"."`: what the one-pass host scan needs to know of a label byte.
pub(crate) const ALPHA: u16 = 256;
pub(crate) const DIGIT: u16 = 512;
pub(crate) const DOT: u16 = 1024;
/// `user` bytes other than `%` (no escape to check): the URI fast path's user run.
pub(crate) const USER_PLAIN: u16 = 2048;

/// One table load per byte instead of a chain of range and set tests: the URI and parameter
/// grammars test every byte of every URI (see `benches/parse.rs`). Built from the `*_rule`
/// functions, which state the grammar.
static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0usize;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if unreserved_rule(b) {
            c |= UNRESERVED;
        }
        if paramchar_rule(b) {
            c |= PARAMCHAR;
        }
        if gen_value_rule(b) {
            c |= GEN_VALUE;
        }
        if super::uri::user_rule(b) {
            c |= USER;
        }
        if super::uri::password_rule(b) {
            c |= PASSWORD;
        }
        if super::uri::header_rule(b) {
            c |= HEADER_CHAR;
        }
        if super::uri::uric_rule(b) {
            c |= URIC;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            c |= LABEL;
        }
        if b.is_ascii_alphabetic() {
            c |= ALPHA;
        }
        if b.is_ascii_digit() {
            c |= DIGIT;
        }
        if b == b'.' {
            c |= DOT;
        }
        if super::uri::user_rule(b) && b != b'%' {
            c |= USER_PLAIN;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// Is `b` in the set `bit` of [`CLASSES`]?
#[inline]
pub(crate) fn class(b: u8, bit: u16) -> bool {
    classes(b) & bit != 0
}

/// Every class bit of `b` at once.
#[inline]
pub(crate) fn classes(b: u8) -> u16 {
    // Cannot panic: a u8 is below the table's 256 entries.
    CLASSES[usize::from(b)]
}

/// Check RFC 3986/3261 `escaped = "%" HEXDIG HEXDIG` at every `%` in `s`; returns the offset
/// (within `s`) of the first bad escape.
pub(crate) fn check_escapes(s: &[u8]) -> Result<(), usize> {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let ok = s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(i);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// [`next_param`] for the usual header parameter written without LWS or quotes: `;name`
/// followed by `;`, `,`, the end or any byte that is not LWS or `=`, or `;name=value`.
/// Gives exactly what `next_param` gives; `None` means "ask `next_param`" (LWS, a quoted
/// value, a URI run, an error, or no parameter at all).
#[inline]
fn next_param_fast(input: &[u8], pos: usize, kind: Kind) -> Option<(Param<'_>, usize)> {
    if kind != Kind::Header || input.get(pos) != Some(&b';') {
        return None;
    }
    let ns = pos + 1;
    let ne = token_end(input, ns);
    let name = input.get(ns..ne)?;
    if name.is_empty() {
        return None;
    }
    match input.get(ne) {
        Some(b' ' | b'\t' | b'\r' | b'\n') => None,
        Some(b'=') => {
            let rest = input.get(ne + 1..)?;
            let vlen = rest.iter().take_while(|&&b| is_gen_value_char(b)).count();
            let value = rest.get(..vlen)?;
            if value.is_empty() {
                return None;
            }
            let p = Param {
                name,
                value: Some(value),
                value_raw: Some(value),
            };
            Some((p, ne + 1 + vlen))
        }
        _ => {
            let p = Param {
                name,
                value: None,
                value_raw: None,
            };
            Some((p, ne))
        }
    }
}

/// Lex one parameter starting at `pos` (which must be at `;` for URI runs, or at SWS before `;`
/// for header runs). Returns `Ok(None)` when no `;` follows, else the parameter and the index
/// just past it (trailing LWS not consumed).
fn next_param(
    input: &[u8],
    pos: usize,
    kind: Kind,
) -> Result<Option<(Param<'_>, usize)>, ParseError> {
    let bad = |at: usize| ParseError::new(ErrorKind::BadParam, at);
    match kind {
        Kind::Header => {
            // SEMI = SWS ";" SWS ; generic-param = token [ EQUAL gen-value ] ; EQUAL = SWS "=" SWS
            let semi = skip_lws(input, pos);
            if input.get(semi) != Some(&b';') {
                return Ok(None);
            }
            let name_start = skip_lws(input, semi + 1);
            let name_end = token_end(input, name_start);
            if name_end == name_start {
                return Err(bad(name_start));
            }
            let name = input.get(name_start..name_end).ok_or(bad(name_start))?;
            let eq = skip_lws(input, name_end);
            if input.get(eq) != Some(&b'=') {
                return Ok(Some((
                    Param {
                        name,
                        value: None,
                        value_raw: None,
                    },
                    name_end,
                )));
            }
            let vstart = skip_lws(input, eq + 1);
            if input.get(vstart) == Some(&b'"') {
                let (content, vend) = parse_quoted_string(input, vstart)?;
                let raw = input.get(vstart..vend).ok_or(bad(vstart))?;
                return Ok(Some((
                    Param {
                        name,
                        value: Some(content),
                        value_raw: Some(raw),
                    },
                    vend,
                )));
            }
            let rest = input.get(vstart..).unwrap_or(&[]);
            let vend = vstart + rest.iter().take_while(|&&b| is_gen_value_char(b)).count();
            if vend == vstart {
                return Err(bad(vstart));
            }
            let value = input.get(vstart..vend).ok_or(bad(vstart))?;
            Ok(Some((
                Param {
                    name,
                    value: Some(value),
                    value_raw: Some(value),
                },
                vend,
            )))
        }
        Kind::Uri => {
            // uri-parameter = pname [ "=" pvalue ] ; pname = 1*paramchar ; pvalue = 1*paramchar
            if input.get(pos) != Some(&b';') {
                return Ok(None);
            }
            let run = |from: usize| {
                let rest = input.get(from..).unwrap_or(&[]);
                from + rest.iter().take_while(|&&b| is_paramchar(b)).count()
            };
            let name_start = pos + 1;
            let name_end = run(name_start);
            if name_end == name_start {
                return Err(bad(name_start));
            }
            let name = input.get(name_start..name_end).ok_or(bad(name_start))?;
            check_escapes(name).map_err(|o| bad(name_start + o))?;
            if input.get(name_end) != Some(&b'=') {
                return Ok(Some((
                    Param {
                        name,
                        value: None,
                        value_raw: None,
                    },
                    name_end,
                )));
            }
            let vstart = name_end + 1;
            let vend = run(vstart);
            if vend == vstart {
                return Err(bad(vstart));
            }
            let value = input.get(vstart..vend).ok_or(bad(vstart))?;
            check_escapes(value).map_err(|o| bad(vstart + o))?;
            Ok(Some((
                Param {
                    name,
                    value: Some(value),
                    value_raw: Some(value),
                },
                vend,
            )))
        }
    }
}

impl<'a> Params<'a> {
    /// Parse header parameters (`*( SEMI generic-param )`, RFC 3261 §25.1) from the start of
    /// `input`. Stops before the first byte (after SWS) that is not `;`; returns the run and
    /// the number of bytes consumed (trailing LWS is not consumed). The caller decides what may
    /// follow (end of value, `,`). Errors: `BadParam`, `BadQuotedString`.
    pub fn parse(input: &'a [u8]) -> Result<(Params<'a>, usize), ParseError> {
        Self::parse_kind(input, Kind::Header)
    }

    /// Parse URI parameters (`*( ";" uri-parameter )`, RFC 3261 §25.1): the whole of `input`
    /// must be the run (no LWS, `%` escapes well formed).
    pub(crate) fn parse_uri(input: &'a [u8]) -> Result<Params<'a>, ParseError> {
        let (p, used) = Self::parse_kind(input, Kind::Uri)?;
        if used != input.len() {
            return Err(ParseError::new(ErrorKind::BadParam, used));
        }
        Ok(p)
    }

    /// [`Params::parse`] that also shows each parameter to `visit` as it is lexed, so that a
    /// caller checking well-known parameters need not lex the run a second time.
    #[inline]
    pub(crate) fn parse_visit(
        input: &'a [u8],
        visit: &mut dyn FnMut(&Param<'a>),
    ) -> Result<(Params<'a>, usize), ParseError> {
        Self::parse_kind_with(input, Kind::Header, visit)
    }

    fn parse_kind(input: &'a [u8], kind: Kind) -> Result<(Params<'a>, usize), ParseError> {
        Self::parse_kind_with(input, kind, &mut |_| {})
    }

    // One copy for every caller (a `dyn` visitor, not a generic one), out of line: the
    // i-cache footprint of the whole parse matters more than a call (see benches).
    #[inline(never)]
    fn parse_kind_with(
        input: &'a [u8],
        kind: Kind,
        visit: &mut dyn FnMut(&Param<'a>),
    ) -> Result<(Params<'a>, usize), ParseError> {
        let mut pos = 0;
        let mut first = None;
        loop {
            let next = match next_param_fast(input, pos, kind) {
                Some(p) => Some(p),
                None => next_param(input, pos, kind)?,
            };
            let Some((param, end)) = next else {
                break;
            };
            visit(&param);
            if first.is_none() {
                first = Some(match kind {
                    Kind::Header => skip_lws(input, pos),
                    Kind::Uri => pos,
                });
            }
            pos = end;
        }
        let start = first.unwrap_or(pos);
        let raw = input.get(start..pos).unwrap_or(&[]);
        Ok((Params { raw, kind }, pos))
    }

    /// The usual run of header parameters — `;name` or `;name=value`, no LWS, no quoted
    /// value — filling the whole of `input`, lexed and validated in one tight loop. Gives
    /// exactly what [`Params::parse`] gives when that consumes all of `input`; `None` means
    /// "use the general path" (anything else: LWS, quotes, a byte after the run, an error),
    /// not an error. `check(name, value, value_is_token)` sees each parameter as it is lexed
    /// and may refuse it (then `None` too); `value_is_token` is false for a flag.
    #[inline]
    pub(crate) fn parse_header_run_fast(
        input: &'a [u8],
        mut check: impl FnMut(&'a [u8], Option<&'a [u8]>, bool) -> bool,
    ) -> Option<Params<'a>> {
        let mut p = 0;
        while let Some(&b) = input.get(p) {
            if b != b';' {
                return None;
            }
            let ns = p + 1;
            let ne = token_end(input, ns);
            if ne == ns {
                return None;
            }
            let name = input.get(ns..ne)?;
            match input.get(ne) {
                Some(b'=') => {
                    // A token run, then any host bytes (`:`, `[`, `]`) of a gen-value: the
                    // value is a token exactly when the second run is empty.
                    let vs = ne + 1;
                    let vt = token_run_end(input, vs);
                    let ve = vt
                        + input
                            .get(vt..)?
                            .iter()
                            .take_while(|&&b| is_gen_value_char(b))
                            .count();
                    if ve == vs || !check(name, input.get(vs..ve), vt == ve) {
                        return None;
                    }
                    p = ve;
                }
                None | Some(b';') => {
                    if !check(name, None, false) {
                        return None;
                    }
                    p = ne;
                }
                Some(_) => return None,
            }
        }
        Some(Params {
            raw: input,
            kind: Kind::Header,
        })
    }

    /// The URI parameter run `raw`, already validated by [`Params::parse_uri`] (a span of a
    /// `Uri` read back).
    #[inline]
    pub(crate) fn uri_run(raw: &'a [u8]) -> Params<'a> {
        Params {
            raw,
            kind: Kind::Uri,
        }
    }

    /// The header parameter run `raw`, already validated by [`Params::parse`] (a span of a
    /// `Via` or `NameAddr` read back).
    #[inline]
    pub(crate) fn header_run(raw: &'a [u8]) -> Params<'a> {
        Params {
            raw,
            kind: Kind::Header,
        }
    }

    /// An empty run positioned at `at` (a zero-length sub-slice of the input).
    pub(crate) fn empty_at(input: &'a [u8], at: usize) -> Params<'a> {
        let raw = input.get(at..at).unwrap_or(&[]);
        Params {
            raw,
            kind: Kind::Header,
        }
    }

    /// The bytes of the run, from the first `;` to the end of the last parameter.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The parameters in order.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            raw: self.raw,
            pos: 0,
            kind: self.kind,
        }
    }

    /// Look a parameter up by name (case-insensitive). Outer `None`: absent; `Some(None)`: a
    /// flag without value; `Some(Some(v))`: its value (quotes stripped, see [`Param`]).
    /// The first occurrence wins.
    pub fn get(&self, name: &[u8]) -> Option<Option<&'a [u8]>> {
        self.find(name).map(|p| p.value)
    }

    /// Look a parameter up by name (case-insensitive), returning the whole [`Param`].
    pub fn find(&self, name: &[u8]) -> Option<Param<'a>> {
        self.iter().find(|p| eq_ignore_case(p.name, name))
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over a validated [`Params`] run.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    raw: &'a [u8],
    pos: usize,
    kind: Kind,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        // The run was validated when parsed, so lexing cannot fail here; an error would simply
        // end the iteration.
        let next = match next_param_fast(self.raw, self.pos, self.kind) {
            Some(p) => Ok(Some(p)),
            None => next_param(self.raw, self.pos, self.kind),
        };
        match next {
            Ok(Some((p, end))) => {
                self.pos = end;
                Some(p)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::offset_in;
    use super::*;

    #[test]
    fn header_params_with_lws_and_folds() {
        // RFC 4475 wsinv, the `m:` (Contact) value after the name-addr.
        let v: &[u8] = b" ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33";
        let (p, used) = Params::parse(v).unwrap();
        assert_eq!(used, v.len());
        let all: Vec<Param> = p.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].name, b"newparam");
        assert_eq!(all[0].value, Some(&b"newvalue"[..]));
        assert_eq!(all[1].name, b"secondparam");
        assert_eq!(all[1].value, None);
        assert_eq!(p.get(b"Q"), Some(Some(&b"0.33"[..])));
        assert_eq!(p.get(b"secondparam"), Some(None));
        assert_eq!(p.get(b"absent"), None);
        assert!(p.raw().starts_with(b";"));
        assert!(p.raw().ends_with(b"0.33"));
        for x in p.iter() {
            assert!(offset_in(v, x.name).is_some());
            assert!(offset_in(v, x.value.unwrap_or(x.name)).is_some());
        }
    }

    #[test]
    fn quoted_and_ipv6_values() {
        let v: &[u8] = br#";fromParam''~+*_!.-%="a \"b\"";tag=_token~1'+`*%!-.;received=[2001:db8::9:255];r2=2001:db8::1"#;
        let (p, used) = Params::parse(v).unwrap();
        assert_eq!(used, v.len());
        let f = p.find(b"FROMPARAM''~+*_!.-%").unwrap();
        assert_eq!(f.value, Some(&br#"a \"b\""#[..]));
        assert_eq!(f.value_raw, Some(&br#""a \"b\"""#[..]));
        assert_eq!(p.get(b"tag"), Some(Some(&b"_token~1'+`*%!-."[..])));
        assert_eq!(p.get(b"received"), Some(Some(&b"[2001:db8::9:255]"[..])));
        assert_eq!(p.get(b"r2"), Some(Some(&b"2001:db8::1"[..])));
    }

    #[test]
    fn header_params_stop_and_errors() {
        // Stops before something that is not `;`; trailing LWS not consumed.
        let (p, used) = Params::parse(b";a=1 , next").unwrap();
        assert_eq!(used, 4);
        assert_eq!(p.iter().count(), 1);
        let (p, used) = Params::parse(b"  no params").unwrap();
        assert_eq!(used, 0);
        assert!(p.is_empty());
        assert_eq!(p.iter().count(), 0);
        // RFC 4475 badinv01: `;;;;` -> empty parameter name.
        assert_eq!(
            Params::parse(b";;;;").unwrap_err(),
            ParseError::new(ErrorKind::BadParam, 1)
        );
        // Missing value after '='.
        assert_eq!(Params::parse(b";branch= ").unwrap_err().offset, 9);
        assert_eq!(
            Params::parse(b";a=\"open").unwrap_err().kind,
            ErrorKind::BadQuotedString
        );
        assert_eq!(Params::parse(b"; ").unwrap_err().kind, ErrorKind::BadParam);
    }

    #[test]
    fn uri_params() {
        // RFC 4475 esc01 Contact URI params; wsinv Route URI params.
        let p = Params::parse_uri(b";%6C%72;n%61me=v%61lue%25%34%31").unwrap();
        assert_eq!(p.get(b"%6C%72"), Some(None));
        assert_eq!(p.get(b"n%61me"), Some(Some(&b"v%61lue%25%34%31"[..])));
        let p = Params::parse_uri(b";lr;unknownwith=value;unknown-no-value;maddr=[::1]").unwrap();
        assert_eq!(p.iter().count(), 4);
        assert_eq!(p.get(b"LR"), Some(None));
        assert_eq!(p.get(b"maddr"), Some(Some(&b"[::1]"[..])));
        // No LWS in URI params (RFC 4475 lwsruri).
        assert_eq!(Params::parse_uri(b"; lr").unwrap_err().offset, 1);
        assert_eq!(Params::parse_uri(b";a=b c").unwrap_err().offset, 4);
        assert_eq!(Params::parse_uri(b";a%zz").unwrap_err().offset, 2);
        assert_eq!(Params::parse_uri(b";a=").unwrap_err().offset, 3);
        assert!(Params::parse_uri(b"").unwrap().is_empty());
        assert_eq!(Params::parse_uri(b"x").unwrap_err().offset, 0);
    }

    #[test]
    fn class_table_matches_the_rules() {
        for b in 0..=255u8 {
            assert_eq!(class(b, UNRESERVED), unreserved_rule(b));
            assert_eq!(is_paramchar(b), paramchar_rule(b));
            assert_eq!(is_gen_value_char(b), gen_value_rule(b));
            assert_eq!(
                is_gen_value_char(b),
                super::super::text::is_token_char(b) || b":[]".contains(&b)
            );
            assert_eq!(class(b, LABEL), b.is_ascii_alphanumeric() || b == b'-');
            assert_eq!(class(b, ALPHA), b.is_ascii_alphabetic());
            assert_eq!(class(b, DIGIT), b.is_ascii_digit());
            assert_eq!(class(b, DOT), b == b'.');
            assert_eq!(class(b, USER_PLAIN), class(b, USER) && b != b'%');
        }
    }

    #[test]
    fn next_param_fast_path_and_fallback() {
        let v: &[u8] = b";tag=9fx;lr;x=\"q\";y = 1; z";
        let (p, end) = next_param_fast(v, 0, Kind::Header).unwrap();
        assert_eq!((p.name, p.value, end), (&b"tag"[..], Some(&b"9fx"[..]), 8));
        let (p, end) = next_param_fast(v, 8, Kind::Header).unwrap();
        assert_eq!((p.name, p.value, end), (&b"lr"[..], None, 11));
        // Quoted value, LWS, URI runs: the general lexer.
        assert_eq!(next_param_fast(v, 11, Kind::Header), None);
        assert_eq!(next_param_fast(v, 17, Kind::Header), None);
        assert_eq!(next_param_fast(v, 23, Kind::Header), None);
        assert_eq!(next_param_fast(v, 0, Kind::Uri), None);
        let (p, _) = Params::parse(v).unwrap();
        assert_eq!(p.iter().count(), 5);
        assert_eq!(p.get(b"z"), Some(None));
    }

    #[test]
    fn header_run_fast_path_and_fallback() {
        let v: &[u8] = b";branch=z9hG4bK7;rport;received=[::1]";
        let p = Params::parse_header_run_fast(v, |_, _, _| true).unwrap();
        assert_eq!(Ok((p, v.len())), Params::parse(v));
        assert_eq!(p.raw().as_ptr(), v.as_ptr());
        // What the check is shown: name, value, value-is-a-token.
        let mut seen = Vec::new();
        Params::parse_header_run_fast(v, |n, val, tok| {
            seen.push((n, val, tok));
            true
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (&b"branch"[..], Some(&b"z9hG4bK7"[..]), true),
                (&b"rport"[..], None, false),
                (&b"received"[..], Some(&b"[::1]"[..]), false),
            ]
        );
        // Empty: an empty run at the input.
        let e: &[u8] = &v[v.len()..];
        assert_eq!(
            Params::parse_header_run_fast(e, |_, _, _| true),
            Some(Params::empty_at(v, v.len()))
        );
        // Refused by the check, LWS, quotes, empty value, trailing bytes: the general path.
        assert_eq!(
            Params::parse_header_run_fast(v, |n, _, _| n != b"rport"),
            None
        );
        for bad in [
            &b" ;a"[..],
            b";a =1",
            b";a=\"q\"",
            b";a=",
            b";a=1 ",
            b";a,",
            b";",
            b"x",
        ] {
            assert_eq!(
                Params::parse_header_run_fast(bad, |_, _, _| true),
                None,
                "{bad:?}"
            );
        }
    }

    proptest::proptest! {
        /// The header-run fast path gives exactly what `Params::parse` gives (consuming all
        /// the input) wherever it answers; it answers for every plain run.
        #[test]
        fn header_run_fast_matches_parse(v in "(;[a-z!]{0,3}(=[a-z:\\[\\]\"]{0,3})?[ ,]?){0,4}") {
            let v = v.as_bytes();
            let mut toks = Vec::new();
            if let Some(p) = Params::parse_header_run_fast(v, |_, val, tok| {
                toks.push((val, tok));
                true
            }) {
                proptest::prop_assert_eq!(Params::parse(v), Ok((p, v.len())));
                proptest::prop_assert_eq!(p.raw().as_ptr(), v.as_ptr());
                for (val, tok) in toks {
                    proptest::prop_assert_eq!(tok, val.is_some_and(super::super::text::is_token));
                }
            }
        }

        /// Every plain run (no LWS, quotes, empty names or values) takes the fast path.
        #[test]
        fn header_run_fast_takes_plain_runs(v in "(;[a-z!.]{1,3}(=[a-z0-9:]{1,3})?){0,4}") {
            let v = v.as_bytes();
            proptest::prop_assert!(Params::parse_header_run_fast(v, |_, _, _| true).is_some());
        }

        /// The no-LWS fast lexer gives exactly what `next_param` gives wherever it answers.
        #[test]
        fn next_param_fast_matches_next_param(v in "[; ]?[a-z;=\",: \t\r\n\\[\\]]{0,12}", pos in 0usize..4) {
            let v = v.as_bytes();
            for kind in [Kind::Header, Kind::Uri] {
                if let Some((p, end)) = next_param_fast(v, pos, kind) {
                    let same = |a: Option<&[u8]>, b: Option<&[u8]>| {
                        a.map(|s| (s.as_ptr(), s.len())) == b.map(|s| (s.as_ptr(), s.len()))
                    };
                    let Ok(Some((g, gend))) = next_param(v, pos, kind) else {
                        return Err(proptest::test_runner::TestCaseError::fail("general path disagrees"));
                    };
                    proptest::prop_assert_eq!((p, end), (g, gend));
                    proptest::prop_assert!(same(Some(p.name), Some(g.name)));
                    proptest::prop_assert!(same(p.value, g.value) && same(p.value_raw, g.value_raw));
                }
            }
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(check_escapes(b"%00%ff"), Ok(()));
        assert_eq!(check_escapes(b"ab%4"), Err(2));
        assert_eq!(check_escapes(b"%"), Err(0));
    }
}
