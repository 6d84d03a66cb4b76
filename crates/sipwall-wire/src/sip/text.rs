//! Lexical rules shared by every header grammar (RFC 3261 §25.1, §7.3.1).
//!
//! All functions work on bytes, never allocate, never panic, and return sub-slices of their
//! input. Positions are byte indexes into the slice that was passed in.

use crate::error::{ErrorKind, ParseError};

/// RFC 3261 §25.1: `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")`.
#[inline]
pub fn is_token_char(b: u8) -> bool {
    // One table load instead of a chain of range tests: this runs for every byte of every
    // header name and token (see `benches/parse.rs`).
    // Cannot panic: a u8 is below the table's 256 entries.
    TOKEN_CHARS[usize::from(b)]
}

/// `TOKEN_CHARS[b]` is true when `b` is a `token` character (RFC 3261 §25.1).
static TOKEN_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        b += 1;
    }
    t
};

/// True when `s` is a non-empty `token` (RFC 3261 §25.1).
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token_char(b))
}

/// RFC 3261 §25.1 (via RFC 5234): `WSP = SP / HTAB`.
#[inline]
pub fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// ASCII case-insensitive comparison (header names, parameter names, URI schemes:
/// RFC 3261 §7.3.1, §19.1.4).
#[inline]
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Index of the first byte at or after `pos` that is not linear white space.
///
/// RFC 3261 §25.1: `LWS = [*WSP CRLF] 1*WSP`, `SWS = [LWS]`. A line break (CRLF, or a bare LF
/// for robustness, RFC 3261 §7.5) is skipped only when it is a fold, i.e. followed by WSP;
/// a line break that is not a fold stops the scan (it is not LWS).
#[inline]
pub fn skip_lws(input: &[u8], pos: usize) -> usize {
    // Fast paths, inlined: most calls stand on a byte that is not white space at all, or on
    // the one SP that separates two tokens (`"Alice" <`, `Bob <`, `1 INVITE`): a call to the
    // loop for that cost about 20 instructions each (see `examples/parse_loop.rs`).
    match input.get(pos) {
        Some(b' ') if !matches!(input.get(pos + 1), Some(b' ' | b'\t' | b'\r' | b'\n')) => pos + 1,
        Some(b' ' | b'\t' | b'\r' | b'\n') => skip_lws_slow(input, pos),
        _ => pos,
    }
}

fn skip_lws_slow(input: &[u8], mut pos: usize) -> usize {
    let wsp_at = |i: usize| input.get(i).is_some_and(|&b| is_wsp(b));
    loop {
        match input.get(pos) {
            Some(b' ' | b'\t') => pos += 1,
            Some(b'\r') if input.get(pos + 1) == Some(&b'\n') && wsp_at(pos + 2) => pos += 3,
            Some(b'\n') if wsp_at(pos + 1) => pos += 2,
            _ => return pos,
        }
    }
}

/// Remove leading and trailing white space, including folds (RFC 3261 §7.3.1: LWS around a
/// value is not part of it). At the edges of a value every SP, HTAB, CR and LF is removed, so a
/// value passed with its line terminator still trims cleanly. Interior bytes are untouched.
#[inline]
pub fn trim_lws(s: &[u8]) -> &[u8] {
    // Values from a parsed message are already trimmed: two byte tests answer (every LWS
    // byte is at most SP), instead of two scans.
    match (s.first(), s.last()) {
        (Some(&a), Some(&z)) if a > b' ' && z > b' ' => s,
        _ => trim_lws_general(s),
    }
}

/// [`trim_lws`] when an end byte may be white space.
fn trim_lws_general(s: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or(&[])
}

/// A token of a decoded element as a byte range of that element's `raw` slice, or nothing.
///
/// Decoded elements (`Uri`, `Via`, `NameAddr`) keep one `raw: &[u8]` and store their other
/// tokens as spans, so they stay small: they are moved through `Result`s and list slots, and a
/// 16-byte slice per token made them 150-230 bytes (memcpy calls in the header stage, see
/// benches). Accessors turn a span back into a sub-slice of `raw`, so every token is still a
/// sub-slice of the message (NAT rewrite computes byte ranges from them).
///
/// Offsets are `u32`: an element is part of one SIP message, far below 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// No token (an `Option` that costs no extra tag).
    pub(crate) const NONE: Span = Span {
        start: u32::MAX,
        len: 0,
    };

    /// `start..start + len` of the element's `raw`.
    #[inline]
    #[allow(clippy::cast_possible_truncation)] // offsets within one message (< 4 GiB)
    pub(crate) fn at(start: usize, len: usize) -> Span {
        Span {
            start: start as u32,
            len: len as u32,
        }
    }

    /// The span of `inner`, a sub-slice of `outer` (computed from the addresses).
    #[inline]
    pub(crate) fn of(outer: &[u8], inner: &[u8]) -> Span {
        let start = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
        Span::at(start, inner.len())
    }

    /// Where the token starts in `raw` (`u32::MAX` as `usize` for [`Span::NONE`]).
    #[inline]
    pub(crate) fn start(self) -> usize {
        self.start as usize
    }

    /// Where the token ends in `raw` (past `raw` for [`Span::NONE`]).
    #[inline]
    pub(crate) fn end(self) -> usize {
        (self.start as usize).saturating_add(self.len as usize)
    }

    /// The token in `raw`, `None` for [`Span::NONE`].
    #[inline]
    pub(crate) fn get(self, raw: &[u8]) -> Option<&[u8]> {
        let start = self.start as usize;
        raw.get(start..start.checked_add(self.len as usize)?)
    }

    /// The token in `raw`; empty for [`Span::NONE`].
    #[inline]
    pub(crate) fn slice(self, raw: &[u8]) -> &[u8] {
        self.get(raw).unwrap_or(&[])
    }
}

/// Index just past the run of `token` characters starting at `pos` (== `pos` if none).
#[inline]
pub fn token_end(input: &[u8], pos: usize) -> usize {
    let rest = input.get(pos..).unwrap_or(&[]);
    pos + rest.iter().take_while(|&&b| is_token_char(b)).count()
}

/// Byte offset of `inner` inside `outer`, when `inner` is a sub-slice of `outer`.
///
/// The integrator uses this to turn returned slices into byte ranges (zero-copy contract).
/// Computed from addresses only; no `unsafe`.
pub fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    let off = i.checked_sub(o)?;
    (off.checked_add(inner.len())? <= outer.len()).then_some(off)
}

/// Parse a `quoted-string` whose opening `DQUOTE` is at `pos` (the caller skips any leading
/// SWS). Returns the content between the quotes (quoted-pairs left escaped, folds left in) and
/// the index just past the closing quote.
///
/// RFC 3261 §25.1:
/// `quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE`,
/// `qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII`,
/// `quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)`.
/// Non-ASCII bytes must form valid UTF-8 (`UTF8-NONASCII`). Errors are `BadQuotedString`:
/// unterminated (offset of the opening quote) or a forbidden byte (its offset).
pub fn parse_quoted_string(input: &[u8], pos: usize) -> Result<(&[u8], usize), ParseError> {
    let err = |at: usize| ParseError::new(ErrorKind::BadQuotedString, at);
    if input.get(pos) != Some(&b'"') {
        return Err(err(pos));
    }
    let start = pos + 1;
    let mut i = start;
    loop {
        // The plain qdtext run (SP and %x21-7E but `"` and `\`) in a tight loop; the match
        // below takes every other byte.
        i += input
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&c| (0x20..=0x7e).contains(&c) && c != b'"' && c != b'\\')
            .count();
        match input.get(i) {
            None => return Err(err(pos)),
            Some(b'"') => {
                let content = input.get(start..i).ok_or(err(pos))?;
                return Ok((content, i + 1));
            }
            Some(b'\\') => match input.get(i + 1) {
                Some(&c) if c <= 0x7f && c != b'\r' && c != b'\n' => i += 2,
                None => return Err(err(pos)),
                Some(_) => return Err(err(i + 1)),
            },
            Some(b' ' | b'\t') => i += 1,
            Some(b'\r' | b'\n') => {
                let j = skip_lws(input, i);
                if j == i {
                    // A line break that is not a fold cannot be inside a header value.
                    return Err(err(i));
                }
                i = j;
            }
            Some(&c) if c >= 0x80 => {
                let rest = input.get(i..).unwrap_or(&[]);
                let run = rest.iter().take_while(|&&b| b >= 0x80).count();
                let bytes = rest.get(..run).unwrap_or(&[]);
                if let Err(e) = std::str::from_utf8(bytes) {
                    return Err(err(i + e.valid_up_to()));
                }
                i += run;
            }
            Some(&c) if c == 0x21 || (0x23..=0x5b).contains(&c) || (0x5d..=0x7e).contains(&c) => {
                i += 1
            }
            Some(_) => return Err(err(i)),
        }
    }
}

/// Iterator over the elements of a comma-separated list header (RFC 3261 §7.3.1: a header
/// whose grammar is `element *(COMMA element)` may be split on commas, and several header
/// lines of the same name are equivalent to one comma-separated list).
///
/// Splits only at commas outside quoted strings (with `\` quoted-pairs) and outside `<...>`;
/// each element is trimmed of LWS; empty elements are skipped. An unterminated quote or `<`
/// makes the rest of the value one element, for the element parser to reject.
#[derive(Debug, Clone)]
pub struct SplitList<'a> {
    rest: &'a [u8],
}

/// Split a list header value into its elements. See [`SplitList`].
pub fn split_list(value: &[u8]) -> SplitList<'_> {
    SplitList { rest: value }
}

impl<'a> Iterator for SplitList<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let s = self.rest;
            let cut = list_cut(s);
            let elem = s.get(..cut).unwrap_or(s);
            self.rest = s.get(cut + 1..).unwrap_or(&[]);
            let elem = trim_lws(elem);
            if !elem.is_empty() {
                return Some(elem);
            }
        }
    }
}

/// Index of the first `,` of `s` outside quoted strings (with `\` quoted-pairs) and `<...>`;
/// `s.len()` when there is none or a quote or `<` is left open. Jumps from one special byte
/// to the next with [`find_byte3`] instead of stepping a state machine over every byte.
fn list_cut(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(j) = s.get(i..).and_then(|r| find_byte3(r, b',', b'"', b'<')) {
        i += j;
        match s.get(i) {
            Some(b'"') => {
                // quoted-string: to the closing quote, skipping quoted-pairs.
                i += 1;
                loop {
                    match s.get(i) {
                        None => return s.len(),
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            Some(b'<') => match s
                .get(i + 1..)
                .and_then(|r| r.iter().position(|&b| b == b'>'))
            {
                Some(k) => i += k + 2,
                None => return s.len(),
            },
            _ => return i, // the ','
        }
    }
    s.len()
}

/// Flags the zero bytes of `x` (bit 7 of each): the classic SWAR "has a zero byte" test.
/// Only the lowest flag is exact (a borrow can flag the byte above a zero byte), which is all
/// its users need: every flag at or below the lowest true zero byte is true. The one copy for
/// the word-at-a-time scans of the header index, the list splitter and the SDP scanner.
#[inline]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    x.wrapping_sub(LO) & !x & HI
}

/// `len` (at most 8) bytes of `s` from `at` as a zero-padded little-endian word, at compile
/// time: the constants that [`load_upto8`]'s words are compared with (header names, methods).
/// For constants only (there, a range outside `s` is a compile error).
pub(crate) const fn const_word(s: &[u8], at: usize, len: usize) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    while i < len && i < 8 {
        w |= (s[at + i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// Four bytes of `s` from `at` as a little-endian word; 0 when they are not all there.
#[inline]
fn load4(s: &[u8], at: usize) -> u64 {
    s.get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
}

/// `k` (0 to 8) bytes of `s` from `at` as a zero-padded little-endian word: [`const_word`] at
/// run time. From 4 bytes on, two 4-byte loads that overlap (the shared bytes OR onto
/// themselves).
#[inline]
pub(crate) fn load_upto8(s: &[u8], at: usize, k: usize) -> u64 {
    if k >= 4 {
        load4(s, at) | (load4(s, at + k - 4) << (8 * (k - 4)))
    } else {
        (0..k).fold(0, |w, i| {
            w | s.get(at + i).map_or(0, |&x| u64::from(x) << (8 * i))
        })
    }
}

/// `b` in every byte of a word, for [`zero_bytes`] on `word ^ splat(b)`.
#[inline]
pub(crate) const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// `s` equals `lower` (lowercase, 8 bytes at most) ignoring ASCII case, as one word compare:
/// bit 5 is set in `s`'s bytes where `lower` has a letter, and a byte that then equals a
/// lowercase letter was that letter in either case. For the short names the parsers look for
/// (`branch`, `rport`, `rtcp-mux`...), where a byte loop costs ~40 instructions.
#[inline]
pub(crate) fn word_eq_ignore_case(s: &[u8], lower: &[u8]) -> bool {
    fn word(b: &[u8]) -> Option<u64> {
        let mut a = [0u8; 8];
        a.get_mut(..b.len())?.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
    let case = lower.iter().rev().fold(0u64, |m, &b| {
        m << 8 | if b.is_ascii_lowercase() { 0x20 } else { 0 }
    });
    s.len() == lower.len() && matches!((word(s), word(lower)), (Some(a), Some(b)) if a | case == b)
}

/// Position of the first of three bytes in `hay`, reading 8 bytes at a time ([`zero_bytes`]
/// on `word ^ needle`; the lowest flag of the three masks ORed is the first match of any).
/// Header values are short, where a `memchr3` call costs more than this.
#[inline]
pub(crate) fn find_byte3(hay: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    let (ma, mb, mc) = (splat(a), splat(b), splat(c));
    let mut at = 0;
    while let Some(chunk) = hay.get(at..at + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let z = zero_bytes(w ^ ma) | zero_bytes(w ^ mb) | zero_bytes(w ^ mc);
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    hay.get(at..)?
        .iter()
        .position(|&x| x == a || x == b || x == c)
        .map(|i| at + i)
}

/// Position of the first `a` in `hay`, 8 bytes at a time (see [`find_byte3`]). Also the SDP
/// scanner's line-end search: its lines are short too.
#[inline]
pub(crate) fn find_byte(hay: &[u8], a: u8) -> Option<usize> {
    let ma = splat(a);
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0usize;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let z = zero_bytes(u64::from_le_bytes(w) ^ ma);
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == a)
        .map(|i| at + i)
}

/// The elements of a list header. Almost every Via, Contact or Route header line holds one
/// element: that one is kept inline, so decoding it does not touch the heap (a malloc and a
/// free cost about as much as decoding the element; see `examples/parse_loop.rs`).
pub type List<T> = smallvec::SmallVec<[T; 1]>;

/// Parse a comma-separated list header value (RFC 3261 §7.3.1) element by element with
/// `elem`: at least one element (else `empty` at offset 0), at most `max` (else
/// `TooManyValues` at the first extra element). Element errors are shifted to offsets in
/// `value`.
pub(crate) fn parse_list<'a, T>(
    value: &'a [u8],
    max: usize,
    empty: ErrorKind,
    elem: impl Fn(&'a [u8]) -> Result<T, ParseError>,
) -> Result<List<T>, ParseError> {
    let mut out = List::new();
    parse_list_into(value, max, empty, elem, &mut out)?;
    Ok(out)
}

/// [`parse_list`] appending to `out` (`max` counts only the elements of `value`): a message
/// accessor gathers several header lines into one list without moving lists around.
pub(crate) fn parse_list_into<'a, T>(
    value: &'a [u8],
    max: usize,
    empty: ErrorKind,
    elem: impl Fn(&'a [u8]) -> Result<T, ParseError>,
    out: &mut List<T>,
) -> Result<(), ParseError> {
    // Almost every list header line holds one element. `split_list` cuts only at a `,`, so a
    // value without one is a single element (its trimmed self): one word-at-a-time scan
    // instead of the quote/angle-aware splitter (see `examples/parse_loop.rs`).
    if find_byte(value, b',').is_none() {
        let e = trim_lws(value);
        if e.is_empty() {
            return Err(ParseError::new(empty, 0));
        }
        let off = offset_in(value, e).unwrap_or(0);
        if max == 0 {
            return Err(ParseError::new(ErrorKind::TooManyValues, off));
        }
        return match elem(e) {
            Ok(v) => {
                out.push(v);
                Ok(())
            }
            Err(err) => Err(err.shifted(off)),
        };
    }
    parse_list_split(value, max, empty, elem, out)
}

/// [`parse_list_into`] for a value that holds a `,`: split it with [`split_list`].
#[inline(never)]
fn parse_list_split<'a, T>(
    value: &'a [u8],
    max: usize,
    empty: ErrorKind,
    elem: impl Fn(&'a [u8]) -> Result<T, ParseError>,
    out: &mut List<T>,
) -> Result<(), ParseError> {
    let mut n = 0;
    for e in split_list(value) {
        let off = offset_in(value, e).unwrap_or(0);
        if n >= max {
            return Err(ParseError::new(ErrorKind::TooManyValues, off));
        }
        out.push(elem(e).map_err(|err| err.shifted(off))?);
        n += 1;
    }
    if n == 0 {
        return Err(ParseError::new(empty, 0));
    }
    Ok(())
}

/// The end of the run of bytes of `s` from `pos` that `ok` accepts: what
/// `pos + s[pos..].iter().take_while(ok).count()` gives (`pos` itself past the end), four
/// bytes a step. One bounds check and one loop branch per four bytes instead of per byte:
/// ~4 instructions a byte instead of 6 in the header decoders, whose runs (users, host labels,
/// parameter values, the Via transport) are most of their bytes (see `examples/parse_loop.rs`).
/// Short runs (display names, parameter names) keep the plain loop: less hot code.
#[inline(always)]
pub(crate) fn run_end(s: &[u8], pos: usize, ok: impl Fn(u8) -> bool) -> usize {
    let Some(mut rest) = s.get(pos..) else {
        return pos;
    };
    // The remaining slice, not an index: its length is the only loop bound to check.
    while let [a, b, c, d, tail @ ..] = rest {
        if !ok(*a) {
            return s.len() - rest.len();
        }
        if !ok(*b) {
            return s.len() - rest.len() + 1;
        }
        if !ok(*c) {
            return s.len() - rest.len() + 2;
        }
        if !ok(*d) {
            return s.len() - rest.len() + 3;
        }
        rest = tail;
    }
    while let [a, tail @ ..] = rest {
        if !ok(*a) {
            break;
        }
        rest = tail;
    }
    s.len() - rest.len()
}

/// [`token_end`] by [`run_end`], for the hot decoders (the same result).
#[inline(always)]
pub(crate) fn token_run_end(s: &[u8], pos: usize) -> usize {
    run_end(s, pos, is_token_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_table_matches_rfc3261_token() {
        for b in 0..=255u8 {
            let want = b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
            assert_eq!(is_token_char(b), want, "byte {b:#04x}");
        }
    }

    #[test]
    fn token_chars() {
        assert!(is_token(b"z9hG4bK-.!%66*_+`'~"));
        assert!(is_token(b"!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        for b in b"()<>@,;:\\\"/[]?={} \t" {
            assert!(!is_token_char(*b), "{}", *b as char);
        }
        assert!(!is_token_char(0x80));
        assert!(!is_token_char(0));
    }

    #[test]
    fn lws_skipping_and_trimming() {
        assert_eq!(skip_lws(b"  \t x", 0), 4);
        assert_eq!(skip_lws(b" \r\n  x", 0), 5);
        assert_eq!(skip_lws(b"\n\tx", 0), 2);
        // A line break without following WSP is not LWS.
        assert_eq!(skip_lws(b" \r\nx", 0), 1);
        assert_eq!(skip_lws(b"\r\n", 0), 0);
        assert_eq!(skip_lws(b"x", 5), 5);
        assert_eq!(trim_lws(b"\r\n sip:a@b \r\n"), b"sip:a@b");
        assert_eq!(trim_lws(b"   "), b"");
        assert_eq!(trim_lws(b""), b"");
        assert_eq!(trim_lws(b"a \r\n b"), b"a \r\n b");
        assert!(eq_ignore_case(b"TaG", b"tag"));
        assert!(!eq_ignore_case(b"tag", b"tags"));
    }

    #[test]
    fn quoted_strings() {
        // RFC 4475 wsinv: `"J Rosenberg \\\""`
        let v = br#""J Rosenberg \\\""       <sip:jdrosen@example.com>"#;
        let (c, end) = parse_quoted_string(v, 0).unwrap();
        assert_eq!(c, br#"J Rosenberg \\\""#);
        assert_eq!(v.get(end..end + 1), Some(&b" "[..]));
        // RFC 4475 intmeth: quoted-pairs of control characters.
        let v = b"\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:x@y>";
        let (c, end) = parse_quoted_string(v, 0).unwrap();
        assert_eq!(c, b"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f");
        assert_eq!(end, 22);
        // UTF-8 content (RFC 4475 intmeth fromParam value).
        let v = "\"\u{0441}\u{0435}\u{0440}\"".as_bytes();
        assert_eq!(parse_quoted_string(v, 0).unwrap().1, v.len());
        // Folded line inside.
        assert!(parse_quoted_string(b"\"a\r\n b\"", 0).is_ok());
        // Unterminated (RFC 4475 quotbal): offset of the opening quote.
        let e = parse_quoted_string(b"x \"Mr. J. User <sip:j.user@example.com>", 2).unwrap_err();
        assert_eq!(e, ParseError::new(ErrorKind::BadQuotedString, 2));
        // Raw control, bare CR/LF, invalid UTF-8, escaped CR, trailing backslash.
        assert_eq!(parse_quoted_string(b"\"a\x07\"", 0).unwrap_err().offset, 2);
        assert_eq!(parse_quoted_string(b"\"a\r\nb\"", 0).unwrap_err().offset, 2);
        assert_eq!(parse_quoted_string(b"\"ab\xff\"", 0).unwrap_err().offset, 3);
        assert_eq!(parse_quoted_string(b"\"\xd0\"", 0).unwrap_err().offset, 1);
        assert!(parse_quoted_string(b"\"a\\\r\"", 0).is_err());
        assert!(parse_quoted_string(b"\"a\\", 0).is_err());
        assert!(parse_quoted_string(b"abc", 0).is_err());
        assert!(parse_quoted_string(b"", 3).is_err());
    }

    #[test]
    fn list_splitting() {
        let v: &[u8] = b" <sip:a@b;x=1,2>, \"Bell, A\" <sip:c@d> ,,\r\n sip:e@f ,";
        let elems: Vec<&[u8]> = split_list(v).collect();
        assert_eq!(
            elems,
            vec![
                &b"<sip:a@b;x=1,2>"[..],
                &b"\"Bell, A\" <sip:c@d>"[..],
                &b"sip:e@f"[..]
            ]
        );
        for e in &elems {
            assert!(offset_in(v, e).is_some());
        }
        assert_eq!(offset_in(v, elems[1]), Some(18));
        // Escaped quote does not end the quoted string.
        let v = br#""a\",b" <sip:x@y>, sip:z@w"#;
        assert_eq!(split_list(v).count(), 2);
        // RFC 4475 wsinv Via list with folds.
        let v = b"SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239";
        let elems: Vec<&[u8]> = split_list(v).collect();
        assert_eq!(elems.len(), 2);
        assert!(elems[1].starts_with(b"SIP  /"));
        assert!(elems[1].ends_with(b"z9hG4bK30239"));
        // Unterminated quote swallows the rest.
        assert_eq!(split_list(b"\"a, b").count(), 1);
        assert_eq!(split_list(b" , ,, ").count(), 0);
        assert_eq!(split_list(b"").count(), 0);
    }

    #[test]
    fn offsets() {
        let v = b"hello";
        assert_eq!(offset_in(v, &v[2..4]), Some(2));
        assert_eq!(offset_in(v, &v[5..]), Some(5));
        assert_eq!(offset_in(&v[1..], &v[..1]), None);
        let other = b"hello";
        let _ = offset_in(v, other); // unrelated slices: no panic
        assert_eq!(token_end(b"abc def", 0), 3);
        assert_eq!(token_end(b"abc", 9), 9);
    }

    /// The reference state machine `SplitList` used before `list_cut`: the test oracle.
    fn reference_cut(s: &[u8]) -> usize {
        let mut in_quote = false;
        let mut in_angle = false;
        let mut i = 0;
        while let Some(&b) = s.get(i) {
            if in_quote {
                match b {
                    b'\\' => i += 1,
                    b'"' => in_quote = false,
                    _ => {}
                }
            } else if in_angle {
                if b == b'>' {
                    in_angle = false;
                }
            } else {
                match b {
                    b'"' => in_quote = true,
                    b'<' => in_angle = true,
                    b',' => return i,
                    _ => {}
                }
            }
            i += 1;
        }
        s.len()
    }

    proptest::proptest! {
        #[test]
        fn list_cut_matches_the_reference(v in "[a<>\",\\\\ ]{0,40}") {
            proptest::prop_assert_eq!(list_cut(v.as_bytes()), reference_cut(v.as_bytes()));
        }

        /// A value without `,` (one element, parsed without `split_list`) gives exactly what
        /// the splitting path gives: elements, offsets, errors.
        #[test]
        fn parse_list_one_element_matches_the_split(v in "[ \t]{0,2}[ab<>\"\\\\,]{0,8}[ \t\r\n]{0,2}", max in 0usize..3) {
            let v = v.as_bytes();
            let elem = |e: &[u8]| match e.iter().position(|&b| b == b'b') {
                Some(i) => Err(ParseError::new(ErrorKind::BadVia, i)),
                None => Ok((e.as_ptr(), e.len())),
            };
            let (mut fast, mut split) = (List::new(), List::new());
            let f = parse_list_into(v, max, ErrorKind::BadNameAddr, elem, &mut fast);
            let s = parse_list_split(v, max, ErrorKind::BadNameAddr, elem, &mut split);
            proptest::prop_assert_eq!(f, s);
            proptest::prop_assert_eq!(fast, split);
        }

        /// The inline already-trimmed case of `trim_lws` gives what the scans give.
        #[test]
        fn trim_lws_fast_matches_the_scans(v in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8)) {
            let (fast, general) = (trim_lws(&v), trim_lws_general(&v));
            proptest::prop_assert_eq!(fast, general);
            proptest::prop_assert_eq!(fast.as_ptr(), general.as_ptr());
        }

        /// The inline single-SP case of `skip_lws` gives what the loop gives.
        #[test]
        fn skip_lws_fast_matches_the_loop(v in "[ \t\r\na]{0,6}", pos in 0usize..8) {
            proptest::prop_assert_eq!(skip_lws(v.as_bytes(), pos), skip_lws_slow(v.as_bytes(), pos));
        }

        #[test]
        fn find_byte_matches_a_scan(v in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let want = v.iter().position(|&x| x == 0x8c);
            proptest::prop_assert_eq!(find_byte(&v, 0x8c), want);
        }

        #[test]
        fn find_byte3_matches_a_scan(v in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let want = v.iter().position(|&x| x == b',' || x == b'"' || x == 0x8c);
            proptest::prop_assert_eq!(find_byte3(&v, b',', b'"', 0x8c), want);
        }
    }

    proptest::proptest! {
        /// The unrolled run scan is the byte loop it replaces, at every start and length.
        #[test]
        fn run_end_is_the_take_while_count(v in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24), pos in 0usize..26) {
            let want = pos + v.get(pos..).unwrap_or(&[]).iter().take_while(|&&b| is_token_char(b)).count();
            proptest::prop_assert_eq!(token_run_end(&v, pos), want);
            proptest::prop_assert_eq!(token_end(&v, pos), want);
            let lower = |b: u8| b.is_ascii_lowercase();
            let want = pos + v.get(pos..).unwrap_or(&[]).iter().take_while(|&&b| lower(b)).count();
            proptest::prop_assert_eq!(run_end(&v, pos, lower), want);
        }
    }

    #[test]
    fn run_end_edges() {
        assert_eq!(token_run_end(b"", 0), 0);
        assert_eq!(token_run_end(b"", 3), 3);
        assert_eq!(token_run_end(b"abc", 5), 5);
        assert_eq!(token_run_end(b"abcd", 0), 4);
        assert_eq!(token_run_end(b"abcde;", 0), 5);
        assert_eq!(token_run_end(b"abcdefgh ", 1), 8);
        assert_eq!(token_run_end(b"ab cdefgh", 0), 2);
        assert_eq!(token_run_end(b";abc", 0), 0);
    }
}
