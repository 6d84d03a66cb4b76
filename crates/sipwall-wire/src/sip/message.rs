//! The SIP message view: start line, an index of header spans, and the body.
//!
//! Parsing validates the syntax a firewall must trust before it looks any further: the start
//! line (RFC 3261 §7.1, §7.2), the header section's line structure (§7.3, with folding), and
//! Content-Length (§18.3, §20.14). Header *values* are decoded lazily by the accessors, and
//! `validate()` (in `validate.rs`) applies the semantic checks.
//!
//! All offsets, in errors and in [`Message::span_of`], are relative to the slice given to
//! [`Message::parse`].

use std::ops::Range;

use memchr::memchr;

use super::cseq::{parse_decimal_max, parse_u32_decimal, CSeq};
use super::framing::Transport;
use super::header::{Header, HeaderName};
use super::method::Method;
use super::name_addr::{Contact, NameAddr};
use super::text::zero_bytes;
use super::uri::Uri;
use super::via::Via;
use crate::error::{ErrorKind, ParseError};

/// Parser limits. Every one is a configuration value of the firewall; the defaults suit SIP
/// trunks and phones (long INVITEs with many Via hops and large SDP still fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message (headers and body) accepted, in bytes.
    pub max_message_size: usize,
    /// Most header fields in one message (a folded header counts once).
    pub max_headers: usize,
    /// Longest physical line in the header section, in bytes.
    pub max_line_length: usize,
    /// Most values in one list header (Via or Route depth, Contact count).
    pub max_list_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 131_072,
            max_headers: 256,
            max_line_length: 8_192,
            max_list_values: 64,
        }
    }
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `Method SP Request-URI SP SIP-Version` (RFC 3261 §7.1).
    Request {
        method: Method<'a>,
        /// The method token as written.
        method_raw: &'a [u8],
        /// The Request-URI as written; decode with [`Message::request_uri`].
        uri: &'a [u8],
        version: &'a [u8],
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.2).
    Response {
        version: &'a [u8],
        code: u16,
        /// May be empty (RFC 4475 §3.1.1.13) and may hold UTF-8 (§3.1.1.12).
        reason: &'a [u8],
    },
}

/// A parsed SIP message: a view over the input bytes plus an index of its header fields.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The input, cut at the end of the message (bytes after Content-Length on a datagram are
    /// not part of it).
    input: &'a [u8],
    /// Where the start line begins (after CRLFs that RFC 3261 §7.5 says to ignore).
    start: usize,
    start_line: StartLine<'a>,
    headers: Vec<Header<'a>>,
    body_start: usize,
    content_length: Option<usize>,
    /// Where the hot header names are in `headers`, recorded while parsing.
    hot: HotIndex,
    /// `Limits::max_list_values`, kept for the list accessors.
    max_list_values: usize,
}

/// The header names the accessors (and the engine, for every message) look up: each has a
/// slot in [`HotIndex`].
const HOT: [HeaderName; 14] = {
    use HeaderName::*;
    [
        Via,
        From,
        To,
        CallId,
        CSeq,
        Contact,
        ContentType,
        ContentLength,
        MaxForwards,
        Route,
        RecordRoute,
        Expires,
        Require,
        Supported,
    ]
};

/// Slots of [`HotIndex`]: one per [`HOT`] name, then [`ANY_SLOT`] and [`TRASH_SLOT`]. A
/// power of two, so that a slot number masked with `HOT_SLOTS - 1` needs no bounds check.
const HOT_SLOTS: usize = 16;
/// The slot every name without one reads: its range is the whole list. Never written.
const ANY_SLOT: usize = HOT_SLOTS - 2;
/// The slot every name without one writes to, so recording a header needs no branch. Never
/// read.
const TRASH_SLOT: usize = HOT_SLOTS - 1;
const _: () = assert!(HOT.len() == ANY_SLOT, "one slot per hot name");
const _: () = assert!((HeaderName::Other as usize) < HOT_SLOT.len());

/// `(slot to record in, slot to look up)` for each `name as usize` (indexed through
/// [`hot_slot`]): a [`HOT`] name's own slot twice; [`TRASH_SLOT`] and [`ANY_SLOT`] for the
/// others.
static HOT_SLOT: [(u8, u8); 128] = {
    let mut t = [(TRASH_SLOT as u8, ANY_SLOT as u8); 128];
    let mut i = 0;
    while i < HOT.len() {
        t[HOT[i] as usize] = (i as u8, i as u8);
        i += 1;
    }
    t
};

/// The [`HOT_SLOT`] entry of `name`: a power-of-two table under a mask, so no bounds check.
#[inline]
fn hot_slot(name: HeaderName) -> (u8, u8) {
    HOT_SLOT[(name as usize) & (HOT_SLOT.len() - 1)]
}

/// The `first` of a name not seen (above every position the index holds), and the `last` that
/// means "to the end of the list".
const HOT_NONE: u8 = u8::MAX;

/// Most headers the index describes exactly: positions 0 to 254 fit a `u8` below [`HOT_NONE`].
/// A message with more (`Limits::max_headers` is configurable) gets [`HotIndex::WHOLE`].
const HOT_MAX_HEADERS: usize = HOT_NONE as usize;

/// Where each hot header name occurs in the header list, recorded by the parser so that the
/// lookups of [`Message::header`], [`Message::headers_named`] and the typed accessors go
/// straight to the first header with the name, and a list header's lookup stops at its last
/// one, instead of scanning the whole list each time.
///
/// Per slot: `first` is the position of the first header with that name ([`HOT_NONE`] if
/// none), `last` of the last one ([`HOT_NONE`] for "the end of the list"). So every header
/// with the name lies in [`HotIndex::range`], and the first one there with the name is the
/// first in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HotIndex {
    first: [u8; HOT_SLOTS],
    last: [u8; HOT_SLOTS],
}

impl HotIndex {
    const EMPTY: HotIndex = {
        let mut first = [HOT_NONE; HOT_SLOTS];
        let mut last = [0; HOT_SLOTS];
        first[ANY_SLOT] = 0;
        last[ANY_SLOT] = HOT_NONE;
        HotIndex { first, last }
    };

    /// Every range the whole list: what a message with more than [`HOT_MAX_HEADERS`] headers
    /// gets (its positions do not fit), so lookups scan as if there were no index.
    const WHOLE: HotIndex = HotIndex {
        first: [0; HOT_SLOTS],
        last: [HOT_NONE; HOT_SLOTS],
    };

    /// Record that header number `at` (counted from 0, in order) is named `name`. Positions
    /// from [`HOT_MAX_HEADERS`] on wrap: the parser then replaces the index by
    /// [`HotIndex::WHOLE`]. `first` is set once, from [`HOT_NONE`] (a test and a store only
    /// for the first header of a name, which measured cheaper in the loop than a min and a
    /// store for every header).
    #[inline]
    fn record(&mut self, name: HeaderName, at: usize) {
        let pos = at as u8;
        let slot = usize::from(hot_slot(name).0) & (HOT_SLOTS - 1);
        if self.first[slot] == HOT_NONE {
            self.first[slot] = pos;
        }
        self.last[slot] = pos;
    }

    /// The positions in the header list that hold every header named `name`: the whole list
    /// for a name without a slot, an empty range for a hot name not seen (`first` above
    /// `last`), which `get` turns into no headers.
    #[inline]
    fn range(&self, name: HeaderName) -> (usize, usize) {
        let slot = usize::from(hot_slot(name).1) & (HOT_SLOTS - 1);
        let last = self.last[slot];
        let end = if last == HOT_NONE {
            usize::MAX
        } else {
            usize::from(last) + 1
        };
        (usize::from(self.first[slot]), end)
    }

    /// The headers from the first one that can be named `name` to the end of the list.
    #[inline]
    fn starting_at_first<'h, 'a>(
        &self,
        headers: &'h [Header<'a>],
        name: HeaderName,
    ) -> &'h [Header<'a>] {
        headers.get(self.range(name).0..).unwrap_or_default()
    }

    /// The part of `headers` that holds every header named `name`.
    #[inline]
    fn span<'h, 'a>(&self, headers: &'h [Header<'a>], name: HeaderName) -> &'h [Header<'a>] {
        let (first, end) = self.range(name);
        headers
            .get(first..end.min(headers.len()))
            .unwrap_or_default()
    }
}

#[inline]
fn err(kind: ErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset)
}

#[inline]
fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// RFC 3261 §25.1 `token` characters.
#[inline]
pub(crate) fn is_token_byte(b: u8) -> bool {
    super::text::is_token_char(b)
}

/// Number of leading CR/LF bytes (RFC 3261 §7.5: "implementations processing SIP messages over
/// stream-oriented transports MUST ignore any CRLF appearing before the start-line"; RFC 5626
/// §3.5.1 uses CRLFCRLF / CRLF as keepalives).
pub(crate) fn leading_crlf(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count()
}

/// Is `v` `SIP/2.0`? Otherwise, is it at least `"SIP" "/" 1*DIGIT "." 1*DIGIT`
/// (RFC 3261 §7.1; ABNF literals are case-insensitive)?
fn check_version(v: &[u8], offset: usize) -> Result<(), ParseError> {
    if v.len() >= 4 && v[..4].eq_ignore_ascii_case(b"SIP/") {
        let rest = &v[4..];
        if rest == b"2.0" {
            return Ok(());
        }
        let mut parts = rest.splitn(2, |b| *b == b'.');
        let major = parts.next().unwrap_or(&[]);
        let minor = parts.next().unwrap_or(&[]);
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        if digits(major) && digits(minor) {
            return Err(err(ErrorKind::UnsupportedVersion, offset));
        }
    }
    Err(err(ErrorKind::BadVersion, offset))
}

/// Number of leading `token` bytes (RFC 3261 §25.1) of `s`.
#[inline]
fn token_len(s: &[u8]) -> usize {
    s.iter().take_while(|b| is_token_byte(**b)).count()
}

/// Length of the Request-URI at the start of `s` on the fast path: up to the first byte that
/// is SP (the element separator) or that [`parse_start_line_general`] might reject inside a
/// URI (every byte below 0x21, which covers HTAB, CR and NUL, and `<`, `>`), two words at a
/// time. A stop byte other than SP sends the line to the general parser.
#[inline]
fn uri_len(s: &[u8]) -> Option<usize> {
    const BELOW_21: u64 = 0x2121_2121_2121_2121;
    const HI: u64 = 0x8080_8080_8080_8080;
    // `<` (0x3c) and `>` (0x3e) differ only in bit 1.
    const BIT1: u64 = 0x0202_0202_0202_0202;
    const ANGLE: u64 = 0x3e3e_3e3e_3e3e_3e3e;
    // Both tests flag their lowest matching byte exactly (see `zero_bytes`).
    let stops = |x: u64| (x.wrapping_sub(BELOW_21) & !x & HI) | zero_bytes((x | BIT1) ^ ANGLE);
    let mut at = 0;
    // Two words per step: one branch per 16 bytes of the usual 20- to 40-byte URI.
    while let Some(w) = s.get(at..at + 16).and_then(|c| c.first_chunk::<16>()) {
        let x = u128::from_le_bytes(*w);
        let (lo, hi) = (stops(x as u64), stops((x >> 64) as u64));
        if lo | hi != 0 {
            let (word, stop) = if lo != 0 { (0, lo) } else { (8, hi) };
            return Some(at + word + (stop.trailing_zeros() / 8) as usize);
        }
        at += 16;
    }
    s.get(at..)?
        .iter()
        .position(|&b| b < 0x21 || b == b'<' || b == b'>')
        .map(|i| at + i)
}

/// Parse the start line `line` (without its terminator), which begins at `base`.
///
/// The two shapes nearly every message has, `Method SP Request-URI SP "SIP/2.0"` and
/// `"SIP/2.0" SP Status-Code SP Reason-Phrase`, are recognised in one pass by
/// [`start_line_fast`]; everything else (other versions, errors) takes the general path,
/// which also produces every error. The fast path accepts only lines the general path accepts
/// and returns the same value for them (tests `start_line_fast_agrees_*`).
fn parse_start_line(line: &[u8], base: usize) -> Result<StartLine<'_>, ParseError> {
    match start_line_fast(line) {
        Some(s) => Ok(s),
        None => parse_start_line_general(line, base),
    }
}

#[inline]
fn start_line_fast(line: &[u8]) -> Option<StartLine<'_>> {
    if let Some((b"SIP/2.0 ", rest)) = line.split_first_chunk::<8>() {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
        let (digits, tail) = rest.split_first_chunk::<3>()?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let code = digits
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        if !(100..=699).contains(&code) {
            return None;
        }
        let reason = match tail {
            [] => &[][..],
            [b' ', reason @ ..] => reason,
            _ => return None,
        };
        if reason.iter().any(|b| *b == b'\r' || *b == 0) {
            return None;
        }
        return Some(StartLine::Response {
            version: &line[..7],
            code,
            reason,
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1)
    let n = token_len(line);
    let (method_raw, after) = line.split_at_checked(n)?;
    let [b' ', after @ ..] = after else {
        return None;
    };
    if n == 0 {
        return None;
    }
    let u = uri_len(after)?;
    let (uri, version) = after.split_at(u);
    if u == 0 || version != b" SIP/2.0" {
        return None;
    }
    Some(StartLine::Request {
        method: Method::from_token(method_raw),
        method_raw,
        uri,
        version: &version[1..],
    })
}

/// The general start-line parser: every accepted form and every error.
#[inline(never)]
fn parse_start_line_general(line: &[u8], base: usize) -> Result<StartLine<'_>, ParseError> {
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
        let sp = memchr(b' ', line).ok_or(err(ErrorKind::BadStartLine, base + line.len()))?;
        let version = &line[..sp];
        check_version(version, base)?;
        let rest = &line[sp + 1..];
        let code_end = memchr(b' ', rest).unwrap_or(rest.len());
        let code_raw = &rest[..code_end];
        let code_off = base + sp + 1;
        if code_raw.len() != 3 || !code_raw.iter().all(u8::is_ascii_digit) {
            return Err(err(ErrorKind::BadStatusCode, code_off));
        }
        let code = code_raw
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        if !(100..=699).contains(&code) {
            return Err(err(ErrorKind::BadStatusCode, code_off));
        }
        // A missing SP before an empty reason is tolerated (robustness); the reason may be
        // empty (RFC 4475 §3.1.1.13) or UTF-8 (§3.1.1.12), but never holds CR or LF.
        let reason = rest.get(code_end + 1..).unwrap_or(&[]);
        if let Some(i) = reason.iter().position(|b| *b == b'\r' || *b == 0) {
            return Err(err(ErrorKind::BadReasonPhrase, code_off + 4 + i));
        }
        return Ok(StartLine::Response {
            version,
            code,
            reason,
        });
    }

    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly one SP
    // between the elements and none after the version (RFC 4475 §3.1.2.9, §3.1.2.10).
    let sp1 = memchr(b' ', line).ok_or(err(ErrorKind::BadStartLine, base))?;
    let method_raw = &line[..sp1];
    if method_raw.is_empty() {
        return Err(err(ErrorKind::BadStartLine, base));
    }
    if let Some(i) = method_raw.iter().position(|b| !is_token_byte(*b)) {
        return Err(err(ErrorKind::BadMethod, base + i));
    }
    let sp2 = memchr::memrchr(b' ', line).unwrap_or(sp1);
    if sp2 == line.len() - 1 {
        // Trailing SP after the version (RFC 4475 §3.1.2.10 trws).
        return Err(err(ErrorKind::BadStartLine, base + sp2));
    }
    if sp2 <= sp1 + 1 {
        // One SP only, or two adjacent ones with nothing between: no Request-URI.
        return Err(err(ErrorKind::BadStartLine, base + sp1));
    }
    let uri = &line[sp1 + 1..sp2];
    let version = &line[sp2 + 1..];
    check_version(version, base + sp2 + 1)?;
    if uri[0] == b' ' || uri[uri.len() - 1] == b' ' {
        // Several SP between elements (RFC 4475 §3.1.2.9 lwsstart).
        let at = if uri[0] == b' ' { sp1 + 1 } else { sp2 - 1 };
        return Err(err(ErrorKind::BadStartLine, base + at));
    }
    if let Some(i) = uri
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'<' | b'>' | b'\r' | 0))
    {
        // LWS inside the Request-URI (§3.1.2.8 lwsruri) or an enclosing <> (§3.1.2.7).
        return Err(err(ErrorKind::BadRequestUri, base + sp1 + 1 + i));
    }
    Ok(StartLine::Request {
        method: Method::from_token(method_raw),
        method_raw,
        uri,
        version,
    })
}

/// Parse a Content-Length value (RFC 3261 §20.14: `1*DIGIT`). Negative, non-numeric and
/// overflowing values are rejected; so is one larger than the message-size limit, because such
/// a length would make the framer wait for (or misread) bytes that are not part of the message.
fn parse_content_length(value: &[u8], offset: usize, limits: &Limits) -> Result<usize, ParseError> {
    match content_length_fast(value, limits) {
        Some(n) => Ok(n),
        None => content_length_slow(value, offset, limits),
    }
}

/// [`parse_content_length`] of the usual value, up to 9 digits (which cannot overflow) and
/// within the limit: one plain loop. `None` sends every other value, and every error, to the
/// checked loop of [`content_length_slow`], which gives the same number for what this takes.
#[inline]
fn content_length_fast(value: &[u8], limits: &Limits) -> Option<usize> {
    if !(1..=9).contains(&value.len()) {
        return None;
    }
    let mut n = 0u32;
    for &b in value {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            return None;
        }
        n = n * 10 + u32::from(d);
    }
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= limits.max_message_size)
}

#[cold]
#[inline(never)]
fn content_length_slow(value: &[u8], offset: usize, limits: &Limits) -> Result<usize, ParseError> {
    if value.is_empty() {
        return Err(err(ErrorKind::BadContentLength, offset));
    }
    let mut n: usize = 0;
    for (i, b) in value.iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(err(ErrorKind::BadContentLength, offset + i));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(b - b'0')))
            .filter(|n| *n <= limits.max_message_size)
            .ok_or(err(ErrorKind::ContentLengthTooLarge, offset))?;
    }
    Ok(n)
}

/// Trim SP, HTAB, CR and LF at both ends (a value that starts on a folded line begins after
/// the fold).
fn trim_value(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && bytes.get(start).is_some_and(|b| is_value_ws(*b)) {
        start += 1;
    }
    while end > start && bytes.get(end - 1).is_some_and(|b| is_value_ws(*b)) {
        end -= 1;
    }
    (start, end)
}

#[inline]
fn is_value_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Position of the first LF in `hay` (a line in [`other_line`], the rest of a long one in
/// [`line_lf_after`]). One vector search: 16 bytes per compare, inlined (SSE2 is part of the
/// x86-64 baseline, so `memchr`'s SSE2 searcher needs neither a run-time check nor an
/// indirect call), which beats both a word-at-a-time scan and a `memchr` call.
#[inline]
fn line_lf(hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(lf) = memchr::arch::x86_64::sse2::memchr::One::new(b'\n') {
        return lf.find(hay);
    }
    memchr(b'\n', hay)
}

/// [`line_lf`] for a whole header line, from its first byte: 16 bytes per step, each one
/// SSE2 compare (see [`line_lf`]), for the first [`SHORT_LINE`] bytes, which hold the usual
/// line; a longer line goes on in [`line_lf_after`] (`memchr`'s 64-byte loop). Searching
/// from the line's start rather than after its colon lets the first step reuse the 16 bytes
/// [`header_name`] has just read, and needs no alignment set-up: ~100 instructions less
/// per message than a `memchr` call per line (see `examples/parse_loop.rs`).
#[inline(always)]
fn line_lf_short(line: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < SHORT_LINE {
        let Some(chunk) = line.get(at..at + 16).and_then(|c| c.first_chunk::<16>()) else {
            return line_lf_after(line, at);
        };
        if let Some(lf) = lf_in_16(chunk) {
            return Some(at + lf);
        }
        at += 16;
    }
    line_lf_after(line, at)
}

/// Bytes [`line_lf_short`] searches in steps of 16: `memchr`'s loop size.
const SHORT_LINE: usize = 64;

/// Position of the first LF in 16 bytes (see [`colon_in_16`]).
#[inline(always)]
fn lf_in_16(s: &[u8; 16]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(lf) = memchr::arch::x86_64::sse2::memchr::One::new(b'\n') {
        return lf.find(s);
    }
    memchr(b'\n', s)
}

/// [`line_lf_short`] from `at` on (a long line, or the last bytes of the input).
#[inline(never)]
fn line_lf_after(line: &[u8], at: usize) -> Option<usize> {
    line_lf(line.get(at..)?).map(|lf| lf + at)
}

/// The error for a line at `pos` with no LF after it: too long already, or cut short.
#[cold]
#[inline(never)]
fn no_lf(bytes: &[u8], pos: usize, limits: &Limits) -> ParseError {
    if bytes.len().saturating_sub(pos) > limits.max_line_length {
        err(ErrorKind::LineTooLong, pos)
    } else {
        err(ErrorKind::MissingEndOfHeaders, bytes.len())
    }
}

/// End of the line content before the LF at `nl`: a CR before it (not before `pos`, where the
/// line starts) belongs to the terminator (RFC 3261 §7: CRLF; a bare LF is accepted).
#[inline]
fn strip_cr(bytes: &[u8], pos: usize, nl: usize) -> usize {
    if nl > pos && bytes.get(nl - 1) == Some(&b'\r') {
        nl - 1
    } else {
        nl
    }
}

#[inline]
fn offset_u32(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// [`offset_u32`] of a position in the input, where `WIDE` is false only for an input of at
/// most `u32::MAX` bytes: a plain cast, exact there (no compare and select per offset).
#[inline(always)]
fn line_offset<const WIDE: bool>(at: usize) -> u32 {
    if WIDE {
        offset_u32(at)
    } else {
        at as u32
    }
}

/// Offset of `part`, a sub-slice of `bytes`, in `bytes` (what the header index stores as
/// slices; the rare checks that report an offset recover it from the slice).
#[inline]
fn offset_in(bytes: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize)
}

/// The header index being built by [`parse_head`].
///
/// Each header is pushed as soon as its first line is read; a fold may extend it. The checks
/// that need whole fields (the header count, Content-Length) are not made per line: the usual
/// message passes them, so they run once, after the header section
/// ([`Section::content_length`]), and before any error the loop reports
/// ([`Section::fail`]), which then reports what a per-field check would have found first.
/// That keeps the order in which errors are reported what it was when each field was checked
/// as soon as it was complete (the next non-continuation line, or the end), without a test
/// per line.
struct Section<'a> {
    headers: Vec<Header<'a>>,
    hot: HotIndex,
}

impl<'a> Section<'a> {
    /// Add a header field (its first line; a fold may extend it).
    #[inline]
    fn push(&mut self, header: Header<'a>) {
        self.hot.record(header.name, self.headers.len());
        self.headers.push(header);
    }

    /// The checks on the complete header section: the Content-Length value, or the first
    /// error [`check_fields`] finds. The usual message (at most one Content-Length, under the
    /// header limit) is answered from the hot index.
    #[inline]
    fn content_length(&self, bytes: &[u8], limits: &Limits) -> Result<Option<usize>, ParseError> {
        let n = self.headers.len();
        if n <= limits.max_headers && n <= HOT_MAX_HEADERS {
            let slot = usize::from(hot_slot(HeaderName::ContentLength).0) & (HOT_SLOTS - 1);
            let (first, last) = (self.hot.first[slot], self.hot.last[slot]);
            if first == HOT_NONE {
                return Ok(None);
            }
            if first == last {
                if let Some(h) = self.headers.get(usize::from(first)) {
                    if let Some(n) = content_length_fast(h.value, limits) {
                        return Ok(Some(n));
                    }
                    let at = offset_in(bytes, h.value);
                    return content_length_slow(h.value, at, limits).map(Some);
                }
            }
        }
        check_fields(bytes, &self.headers, limits)
    }

    /// The error to report when the loop meets `e`: an error in a complete field comes first,
    /// as it would have been found when the field was complete. The last header counts as
    /// complete once a line after it that is not a continuation has been started to be read
    /// (`last_complete`); an error found before that is reported before the last field's.
    #[cold]
    #[inline(never)]
    fn fail(
        &self,
        bytes: &[u8],
        limits: &Limits,
        e: ParseError,
        last_complete: bool,
    ) -> ParseError {
        let n = self.headers.len() - usize::from(!last_complete && !self.headers.is_empty());
        match check_fields(bytes, self.headers.get(..n).unwrap_or_default(), limits) {
            Err(first) => first,
            Ok(_) => e,
        }
    }

    /// A continuation line (RFC 3261 §7.3.1 folding) ending at `content_end`, followed by the
    /// next line at `next`: extends the last header's value.
    #[cold]
    #[inline(never)]
    fn fold(
        &mut self,
        bytes: &'a [u8],
        pos: usize,
        content_end: usize,
        next: usize,
    ) -> Result<(), ParseError> {
        let Some(h) = self.headers.last_mut() else {
            return Err(err(ErrorKind::BadHeaderLine, pos));
        };
        let (vs, ve) = trim_value(bytes, offset_in(bytes, h.value), content_end);
        h.value = bytes.get(vs..ve).unwrap_or_default();
        h.line_end = offset_u32(next);
        Ok(())
    }
}

/// The checks on complete header fields, in message order (RFC 3261 §20.14, RFC 4475
/// §3.3.9): no header past `Limits::max_headers`, at most one Content-Length, and its value.
/// Returns the Content-Length value.
#[cold]
#[inline(never)]
fn check_fields(
    bytes: &[u8],
    headers: &[Header<'_>],
    limits: &Limits,
) -> Result<Option<usize>, ParseError> {
    let mut content_length = None;
    for (i, h) in headers.iter().enumerate() {
        let line = offset_in(bytes, h.name_raw);
        if i >= limits.max_headers {
            return Err(err(ErrorKind::TooManyHeaders, line));
        }
        if h.name == HeaderName::ContentLength {
            if content_length.is_some() {
                // RFC 4475 §3.3.9 mcl01: which value is right cannot be known.
                return Err(err(ErrorKind::RepeatedContentLength, line));
            }
            let at = offset_in(bytes, h.value);
            content_length = Some(parse_content_length(h.value, at, limits)?);
        }
    }
    Ok(content_length)
}

const COLON: u64 = 0x3a3a_3a3a_3a3a_3a3a;
const CR: u64 = 0x0d0d_0d0d_0d0d_0d0d;

/// The header name at the start of a line, `token ":"` (RFC 3261 §7.3.1, §25.1), when the
/// colon follows it directly: `(name length, name)`. `None` sends the line to [`other_line`],
/// which takes every form.
///
/// The usual name is shorter than 16 bytes: the line's first 16 bytes are read as two words
/// once, to find the colon and to classify the name ([`HeaderName::from_line_words`]). A known
/// name is then also a token: the classifier matches case-folded words and is exact for every
/// byte (a CR, which folds onto `-`, is ruled out there by the name's `-` positions). Only an
/// unknown name is checked byte by byte. Longer names and the last bytes of the input take
/// [`header_name_long`].
#[inline(always)]
fn header_name(line: &[u8]) -> Option<(usize, HeaderName)> {
    let Some(first) = line.first_chunk::<16>() else {
        return header_name_long(line);
    };
    let (Some(lo), Some(hi)) = (first.first_chunk::<8>(), first.last_chunk::<8>()) else {
        return None;
    };
    let (w0, w1) = (u64::from_le_bytes(*lo), u64::from_le_bytes(*hi));
    let Some(len) = colon_in_16(first) else {
        if w0 as u16 == u16::from_le_bytes(*b"\r\n") {
            // The empty line: the caller ends the header section.
            return None;
        }
        return header_name_long(line);
    };
    if len == 0 {
        return None;
    }
    // Exact for every byte, CR included: a known name holds none.
    let name = HeaderName::from_line_words(w0, w1, len);
    if name == HeaderName::Other && token_len(first.get(..len)?) != len {
        return None;
    }
    Some((len, name))
}

/// Position of the first colon in 16 bytes: one SSE2 compare where available (see
/// [`line_lf`]).
#[inline(always)]
fn colon_in_16(s: &[u8; 16]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(colon) = memchr::arch::x86_64::sse2::memchr::One::new(b':') {
        return colon.find(s);
    }
    memchr(b':', s)
}

/// [`header_name`] for a colon in bytes 16 to 23 of the line, or a line with fewer than 16
/// bytes left in the input.
#[inline(never)]
fn header_name_long(line: &[u8]) -> Option<(usize, HeaderName)> {
    let mut at = 0;
    let len = loop {
        let w = u64::from_le_bytes(*line.get(at..at + 8)?.first_chunk::<8>()?);
        let colon = zero_bytes(w ^ COLON);
        let cr = zero_bytes(w ^ CR);
        if colon != 0 {
            if cr & ((colon & colon.wrapping_neg()) - 1) != 0 {
                return None;
            }
            break at + (colon.trailing_zeros() / 8) as usize;
        }
        if cr != 0 || at == 16 {
            return None;
        }
        at += 8;
    };
    let name_raw = line.get(..len)?;
    let name = HeaderName::from_token(name_raw);
    if len == 0 || (name == HeaderName::Other && token_len(name_raw) != len) {
        return None;
    }
    Some((len, name))
}

/// `s` without SP, HTAB, CR and LF at either end.
#[inline]
fn trim_slice(s: &[u8]) -> &[u8] {
    match s {
        // The usual value follows exactly one SP and neither starts nor ends with a byte at or
        // below SP (which covers every whitespace byte): two compares.
        [b' ', value @ ..]
            if value.first().is_some_and(|b| *b > b' ')
                && value.last().is_some_and(|b| *b > b' ') =>
        {
            value
        }
        _ => trim_slice_general(s),
    }
}

#[inline(never)]
fn trim_slice_general(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r' | b'\n', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// The start line at `start` and the position of its LF. Inlined into [`parse_head`] with
/// its fast path: the line is then built in place, without a call, its register saves and
/// a copy of the result (~35 instructions a message, see `examples/parse_loop.rs`), and the
/// one function is no larger than the two were.
///
/// The usual request line is read in one pass that also finds its end (so no separate LF
/// search): see [`request_line_fast`]. Every other line, and a fast line over the length
/// limit, takes [`first_line_general`], which gives the same result on the lines the fast
/// path takes (proptest `first_line_fast_agrees_with_general`).
#[inline(always)]
fn first_line<'a>(
    bytes: &'a [u8],
    start: usize,
    limits: &Limits,
) -> Result<(StartLine<'a>, usize), ParseError> {
    if let Some((line, content_len, lf)) = request_line_fast(bytes.get(start..).unwrap_or_default())
    {
        if content_len <= limits.max_line_length {
            return Ok((line, start + lf));
        }
    }
    first_line_general(bytes, start, limits)
}

/// `Method SP Request-URI SP "SIP/2.0" CRLF` (RFC 3261 §7.1; a bare LF is accepted as in
/// [`strip_cr`]) at the start of `s`, which runs to the end of the input: the same scans as
/// [`start_line_fast`] (the method token and [`uri_len`] stop at CR and LF), then the version
/// and terminator compared as literals. `(line, its length without the terminator, index of
/// its LF)`, or `None` for any other line.
#[inline(always)]
fn request_line_fast(s: &[u8]) -> Option<(StartLine<'_>, usize, usize)> {
    let (n, method) = match method_word(s) {
        Some(known) => known,
        None => {
            let n = token_len(s);
            (n, Method::from_token(s.get(..n)?))
        }
    };
    let (method_raw, after) = s.split_at_checked(n)?;
    let [b' ', after @ ..] = after else {
        return None;
    };
    let u = uri_len(after)?;
    let (uri, rest) = after.split_at_checked(u)?;
    if n == 0 || u == 0 {
        return None;
    }
    // Content: method, SP, URI, " SIP/2.0"; then CRLF or LF.
    let content_len = n + 1 + u + 8;
    // One word compare for " SIP/2.0", then the terminator.
    let (version_word, end) = rest.split_first_chunk::<8>()?;
    if *version_word != *b" SIP/2.0" {
        return None;
    }
    let lf = match end {
        [b'\r', b'\n', ..] => content_len + 1,
        [b'\n', ..] => content_len,
        _ => return None,
    };
    Some((
        StartLine::Request {
            method,
            method_raw,
            uri,
            version: rest.get(1..8)?,
        },
        content_len,
        lf,
    ))
}

/// The usual method, a known name of up to 8 bytes, found from the line's first word: its end
/// (the first SP, or the word's end) by one SWAR test, the name by [`Method::from_token`]. A
/// known name is a `token` (RFC 3261 §25.1), so when the caller then finds the SP after it,
/// this gave what the byte-by-byte [`token_len`] scan and `from_token` give. `None` (an
/// extension method, SUBSCRIBE, a line shorter than a word) sends the line to them.
#[inline]
fn method_word(s: &[u8]) -> Option<(usize, Method<'_>)> {
    const SP: u64 = 0x2020_2020_2020_2020;
    let w = u64::from_le_bytes(*s.first_chunk::<8>()?);
    let sp = zero_bytes(w ^ SP);
    // The lowest flag is exact (see `zero_bytes`).
    let n = (sp.trailing_zeros() / 8) as usize;
    match Method::from_token(s.get(..n)?) {
        Method::Other(_) => None,
        known => Some((n, known)),
    }
}

/// [`first_line`] for every line: the LF found first, then [`parse_start_line`].
#[inline(never)]
fn first_line_general<'a>(
    bytes: &'a [u8],
    start: usize,
    limits: &Limits,
) -> Result<(StartLine<'a>, usize), ParseError> {
    let first_nl = match memchr(b'\n', bytes.get(start..).unwrap_or_default()) {
        Some(i) => start + i,
        None => return Err(no_lf(bytes, start, limits)),
    };
    let line_end = strip_cr(bytes, start, first_nl);
    if line_end - start > limits.max_line_length {
        return Err(err(ErrorKind::LineTooLong, start));
    }
    let start_line = parse_start_line(bytes.get(start..line_end).unwrap_or_default(), start)?;
    Ok((start_line, first_nl))
}

/// What [`other_line`] found.
enum Line {
    /// A line was consumed; the next one starts here.
    Next(usize),
    /// The header section ended; the body starts here.
    End(usize),
}

/// Parse the start line and the header section of `bytes` into a [`Message`]. With
/// `cut_at_body` this is all of [`Message::parse`]: the message ends where Content-Length (or
/// the datagram) says, with its errors. Without, the message is over all of `bytes` and only
/// its offsets are meant to be read ([`super::frame`] applies its own rules to them). One
/// function builds the message in its caller's slot: no copy of the large value on return.
///
/// On a datagram, input that ends right after a complete header line, with no empty line, is
/// taken as a header section with an empty body: the datagram's end is unambiguous, and real
/// stacks (and the RFC 4475 archive's baddn.dat) send such messages. On a stream the empty
/// line is required, since more bytes may follow.
///
/// One tight loop handles the usual header line, `token ":" value CRLF`: a token scan, the
/// colon, the LF search over the same first 16 bytes (then 16 at a time), the name
/// classified once and the field pushed. Every other line (the empty line, folding,
/// whitespace before the colon, errors) goes to
/// [`other_line`], kept out of line because the i-cache footprint of the whole parse matters
/// (see `examples/parse_loop.rs`).
pub(crate) fn parse_head<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    transport: Transport,
    cut_at_body: bool,
) -> Result<Message<'a>, ParseError> {
    if bytes.len() > u32::MAX as usize {
        return parse_head_wide(bytes, limits, transport, cut_at_body);
    }
    parse_head_in::<false>(bytes, limits, transport, cut_at_body)
}

/// [`parse_head`] of an input longer than `u32::MAX` bytes (possible only when the limits
/// allow such a message): the header offsets saturate at `u32::MAX`. A separate copy so that
/// the usual one converts offsets with a plain cast: every offset of a shorter input fits.
#[cold]
#[inline(never)]
fn parse_head_wide<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    transport: Transport,
    cut_at_body: bool,
) -> Result<Message<'a>, ParseError> {
    parse_head_in::<true>(bytes, limits, transport, cut_at_body)
}

/// The body of [`parse_head`]; `WIDE` is false only when every offset in `bytes` fits a `u32`.
#[inline(always)]
fn parse_head_in<'a, const WIDE: bool>(
    bytes: &'a [u8],
    limits: &Limits,
    transport: Transport,
    cut_at_body: bool,
) -> Result<Message<'a>, ParseError> {
    let start = leading_crlf(bytes);
    let (start_line, first_nl) = first_line(bytes, start, limits)?;

    let mut sec = Section {
        headers: Vec::with_capacity(16),
        hot: HotIndex::EMPTY,
    };
    let mut pos = first_nl + 1;
    let body_start = loop {
        if pos > limits.max_message_size {
            let e = err(ErrorKind::MessageTooLarge, limits.max_message_size);
            return Err(sec.fail(bytes, limits, e, false));
        }
        // header-name HCOLON value (RFC 3261 §7.3.1, §25.1): the fast path takes a token name
        // directly followed by ":".
        let line = bytes
            .get(pos..)
            .and_then(|rest| Some((rest, header_name(rest)?)));
        let Some((rest, (name_len, name))) = line else {
            if bytes.get(pos..pos + 2) == Some(b"\r\n") {
                // The empty line: end of the header section (`other_line` takes bare LF).
                break pos + 2;
            }
            match other_line(bytes, pos, limits, transport, &mut sec)? {
                Line::Next(next) => pos = next,
                Line::End(body) => break body,
            }
            continue;
        };
        // The first LF of the line is after the colon: a name `header_name` takes holds none.
        let Some(lf) = line_lf_short(rest) else {
            return Err(sec.fail(bytes, limits, no_lf(bytes, pos, limits), false));
        };
        // The line's content ends before CRLF (or a bare LF); the CR cannot be the colon.
        let line = match rest.get(..lf) {
            Some([line @ .., b'\r']) | Some(line) => line,
            None => &[],
        };
        // One bounds check: the name and its colon, then the rest.
        let Some(([name_raw @ .., _colon], raw)) = line.split_at_checked(name_len + 1) else {
            let e = err(ErrorKind::BadHeaderLine, pos);
            return Err(sec.fail(bytes, limits, e, false));
        };
        if line.len() > limits.max_line_length {
            let e = err(ErrorKind::LineTooLong, pos);
            return Err(sec.fail(bytes, limits, e, false));
        }
        let value = trim_slice(raw);
        let next = pos + lf + 1;
        sec.push(Header {
            name,
            name_raw,
            value,
            line_start: line_offset::<WIDE>(pos),
            line_end: line_offset::<WIDE>(next),
        });
        pos = next;
    };
    let content_length = sec.content_length(bytes, limits)?;
    if sec.headers.len() > HOT_MAX_HEADERS {
        sec.hot = HotIndex::WHOLE;
    }
    let input = if cut_at_body {
        let end = message_end(bytes, start, body_start, content_length, transport, limits)?;
        bytes.get(..end).unwrap_or(bytes)
    } else {
        bytes
    };
    Ok(Message {
        input,
        start,
        start_line,
        headers: sec.headers,
        body_start,
        content_length,
        hot: sec.hot,
        max_list_values: limits.max_list_values,
    })
}

/// Where the message in `bytes` ends, given its header section (RFC 3261 §18.3: on a
/// datagram, without Content-Length the body is the rest; on a stream Content-Length is
/// mandatory).
#[inline(never)]
fn message_end(
    bytes: &[u8],
    start: usize,
    body_start: usize,
    content_length: Option<usize>,
    transport: Transport,
    limits: &Limits,
) -> Result<usize, ParseError> {
    let available = bytes.len().saturating_sub(body_start);
    let end = match (content_length, transport) {
        (Some(cl), _) if cl > available => {
            return Err(err(ErrorKind::TruncatedBody, bytes.len()));
        }
        (Some(cl), _) => body_start + cl,
        (None, Transport::Stream) => {
            return Err(err(ErrorKind::MissingContentLength, start));
        }
        (None, Transport::Datagram) => bytes.len(),
    };
    if end > limits.max_message_size {
        return Err(err(ErrorKind::MessageTooLarge, limits.max_message_size));
    }
    Ok(end)
}

/// Every header-section line [`parse_head`]'s fast path does not take, at `pos`.
#[inline(never)]
fn other_line<'a>(
    bytes: &'a [u8],
    pos: usize,
    limits: &Limits,
    transport: Transport,
    sec: &mut Section<'a>,
) -> Result<Line, ParseError> {
    let nl = match line_lf(bytes.get(pos..).unwrap_or_default()) {
        Some(i) => pos + i,
        None if pos == bytes.len() && transport == Transport::Datagram => {
            return Ok(Line::End(pos));
        }
        None => return Err(sec.fail(bytes, limits, no_lf(bytes, pos, limits), false)),
    };
    let content_end = strip_cr(bytes, pos, nl);
    if content_end - pos > limits.max_line_length {
        let e = err(ErrorKind::LineTooLong, pos);
        return Err(sec.fail(bytes, limits, e, false));
    }
    if content_end == pos {
        // The empty line: end of the header section.
        return Ok(Line::End(nl + 1));
    }
    let line = bytes.get(pos..content_end).unwrap_or_default();
    if line.first().is_some_and(|b| is_ws(*b)) {
        if let Err(e) = sec.fold(bytes, pos, content_end, nl + 1) {
            return Err(sec.fail(bytes, limits, e, false));
        }
        return Ok(Line::Next(nl + 1));
    }
    // From here the last field is complete: its errors come before this line's.
    // header-name HCOLON value: the name is a token; HCOLON = *( SP / HTAB ) ":" SWS.
    let name_len = token_len(line);
    if name_len == 0 {
        let e = err(ErrorKind::BadHeaderLine, pos);
        return Err(sec.fail(bytes, limits, e, true));
    }
    let mut i = name_len;
    while line.get(i).is_some_and(|b| is_ws(*b)) {
        i += 1;
    }
    if line.get(i) != Some(&b':') {
        let e = err(ErrorKind::BadHeaderLine, pos + i);
        return Err(sec.fail(bytes, limits, e, true));
    }
    let (vs, ve) = trim_value(bytes, pos + i + 1, content_end);
    let name = HeaderName::from_token(bytes.get(pos..pos + name_len).unwrap_or_default());
    sec.push(Header {
        name,
        name_raw: bytes.get(pos..pos + name_len).unwrap_or_default(),
        value: bytes.get(vs..ve).unwrap_or_default(),
        line_start: offset_u32(pos),
        line_end: offset_u32(nl + 1),
    });
    Ok(Line::Next(nl + 1))
}

impl<'a> Message<'a> {
    /// Parse one SIP message from `input`.
    ///
    /// On a [`Transport::Datagram`] the message is the whole datagram: without Content-Length
    /// the body is the rest of it, and octets after Content-Length are ignored (RFC 3261
    /// §18.3, RFC 4475 §3.1.1.8). On a [`Transport::Stream`] Content-Length is mandatory and
    /// `input` must hold the whole message (use [`super::frame`] to find its end).
    #[inline]
    pub fn parse(
        input: &'a [u8],
        transport: Transport,
        limits: &Limits,
    ) -> Result<Message<'a>, ParseError> {
        parse_head(input, limits, transport, true)
    }

    /// The message bytes, from the start line to the end of the body.
    pub fn as_bytes(&self) -> &'a [u8] {
        &self.input[self.start..]
    }

    /// The parsed input up to the end of the message (including CRLFs ignored before the start
    /// line): the slice that offsets from [`Message::span_of`] index.
    pub fn bytes_in_input(&self) -> &'a [u8] {
        self.input
    }

    /// Offset of the start line in the parsed input (non-zero only when CRLFs preceded it).
    pub fn start_offset(&self) -> usize {
        self.start
    }

    /// Length of the message in the parsed input, counting ignored leading CRLFs.
    pub fn len_in_input(&self) -> usize {
        self.input.len()
    }

    pub fn start_line(&self) -> &StartLine<'a> {
        &self.start_line
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start_line, StartLine::Request { .. })
    }

    /// The request method, for requests.
    pub fn method(&self) -> Option<Method<'a>> {
        match self.start_line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for responses.
    pub fn status(&self) -> Option<u16> {
        match self.start_line {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The Request-URI as written, for requests.
    pub fn request_uri_raw(&self) -> Option<&'a [u8]> {
        match self.start_line {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// Every header field, in message order.
    pub fn headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The header fields of one kind, in message order.
    pub fn headers_named(&self, name: HeaderName) -> impl Iterator<Item = &Header<'a>> + '_ {
        self.span(name).iter().filter(move |h| h.name == name)
    }

    /// The first header field of one kind.
    pub fn header(&self, name: HeaderName) -> Option<&Header<'a>> {
        // A hot name is found at once: its first header starts the range.
        self.hot
            .starting_at_first(&self.headers, name)
            .iter()
            .find(|h| h.name == name)
    }

    /// The headers that can be named `name` (see [`HotIndex`]): for a hot name, from its first
    /// occurrence to its last, so a lookup neither scans the headers before it nor, for a
    /// list header, those after it.
    #[inline]
    fn span(&self, name: HeaderName) -> &[Header<'a>] {
        self.hot.span(&self.headers, name)
    }

    /// The value of the first header of one kind.
    pub fn header_value(&self, name: HeaderName) -> Option<&'a [u8]> {
        self.header(name).map(|h| h.value)
    }

    /// The value of the first header with this name as written (case-insensitive; for headers
    /// sipwall does not classify).
    pub fn header_value_by_name(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|h| h.is_named(name))
            .map(|h| h.value)
    }

    /// The value of the first Content-Type header (a hot name: found through the index, no
    /// search).
    pub(crate) fn content_type_value(&self) -> Option<&'a [u8]> {
        self.header_value(HeaderName::ContentType)
    }

    /// Content-Length, if the message had one.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// The body (exactly Content-Length bytes when it was given).
    pub fn body(&self) -> &'a [u8] {
        &self.input[self.body_start..]
    }

    /// Offset of the body in the parsed input.
    pub fn body_offset(&self) -> usize {
        self.body_start
    }

    /// The Call-ID value.
    pub fn call_id(&self) -> Option<&'a [u8]> {
        self.header_value(HeaderName::CallId)
    }

    /// Byte range, in the parsed input, of `token`, which must be a sub-slice of the message
    /// (as every slice this crate hands out is). `None` for a slice from elsewhere.
    pub fn span_of(&self, token: &[u8]) -> Option<Range<usize>> {
        let base = self.input.as_ptr() as usize;
        let p = token.as_ptr() as usize;
        let start = p.checked_sub(base)?;
        let end = start.checked_add(token.len())?;
        (end <= self.input.len()).then_some(start..end)
    }

    /// Shift an error found in `value` (a sub-slice of the message) to a message offset.
    pub(crate) fn locate(&self, value: &[u8], e: ParseError) -> ParseError {
        match self.span_of(value) {
            Some(r) => e.shifted(r.start),
            None => e,
        }
    }
}

/// Typed accessors. Each decodes on demand (nothing is cached), returns sub-slices of the
/// message, and reports errors at message offsets.
impl<'a> Message<'a> {
    /// The decoded Request-URI, for requests.
    pub fn request_uri(&self) -> Option<Result<Uri<'a>, ParseError>> {
        let raw = self.request_uri_raw()?;
        Some(Uri::parse(raw).map_err(|e| {
            ParseError::new(ErrorKind::BadRequestUri, e.offset)
                .shifted(self.span_of(raw).map_or(0, |r| r.start))
        }))
    }

    /// The value of a single-value header, decoded by `f`; `MissingHeader` when absent.
    /// `f(value, base)` must shift its errors by `base`, the value's offset in the message:
    /// its result is then returned as it is, not fixed up here and copied (the `Ok` values
    /// are large; ~20 instructions a call, see `examples/parse_loop.rs`).
    fn required<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a [u8], usize) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        let Some(v) = self.header_value(name) else {
            return Err(ParseError::new(ErrorKind::MissingHeader, self.start));
        };
        // What `locate` adds, without its range checks: a header value always lies in the
        // message (`self.headers` index `self.input`), so its offset is the address difference.
        f(
            v,
            (v.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize),
        )
    }

    /// The value of an optional single-value header, decoded by `f`.
    fn optional<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a [u8]) -> Result<T, ParseError>,
    ) -> Option<Result<T, ParseError>> {
        let v = self.header_value(name)?;
        Some(f(v).map_err(|e| self.locate(v, e)))
    }

    /// Every element of a list header, across all its header lines, in order; at most
    /// `Limits::max_list_values` in all (`TooManyValues` beyond).
    fn list<T>(
        &self,
        name: HeaderName,
        empty: ErrorKind,
        elem: impl Fn(&'a [u8]) -> Result<T, ParseError>,
    ) -> Result<super::text::List<T>, ParseError> {
        let mut all = super::text::List::new();
        for h in self.headers_named(name) {
            let left = self.max_list_values.saturating_sub(all.len());
            if left == 0 {
                return Err(ParseError::new(
                    ErrorKind::TooManyValues,
                    h.line_start as usize,
                ));
            }
            // Appends in place: the lists are large values, not worth moving.
            super::text::parse_list_into(h.value, left, empty, &elem, &mut all)
                .map_err(|e| self.locate(h.value, e))?;
        }
        Ok(all)
    }

    /// Every Via hop, topmost first (RFC 3261 §20.42). Empty when there is no Via.
    pub fn vias(&self) -> Result<super::via::ViaList<'a>, ParseError> {
        // The usual message: one Via line holding one hop in the usual form, decoded without
        // the list machinery (the `,` scan, two trims, offset fix-ups: ~80 instructions, see
        // `examples/parse_loop.rs`). `Via::parse_fast` takes no value with a `,` or with
        // white space at its ends, so such a line is one element, itself: what `list` gives.
        if let [h] = self.span(HeaderName::Via) {
            if h.name == HeaderName::Via && self.max_list_values > 0 {
                if let Some(v) = Via::parse_fast(h.value) {
                    let mut all = super::via::ViaList::new();
                    all.push(v);
                    return Ok(all);
                }
            }
        }
        self.vias_general()
    }

    /// [`Message::vias`] for anything but one usual hop on one line: out of line, so that the
    /// list machinery stays out of the hot code (the whole full parse must fit the L1 i-cache,
    /// see `examples/parse_loop.rs`).
    #[inline(never)]
    fn vias_general(&self) -> Result<super::via::ViaList<'a>, ParseError> {
        self.list(HeaderName::Via, ErrorKind::BadVia, Via::parse)
    }

    /// The topmost Via hop.
    pub fn top_via(&self) -> Option<Result<Via<'a>, ParseError>> {
        let v = self.header_value(HeaderName::Via)?;
        let first = super::text::split_list(v).next().unwrap_or(v);
        Some(Via::parse(first).map_err(|e| self.locate(first, e)))
    }

    /// From (RFC 3261 §20.20).
    pub fn from(&self) -> Result<NameAddr<'a>, ParseError> {
        self.required(HeaderName::From, NameAddr::parse_at)
    }

    /// To (RFC 3261 §20.39).
    pub fn to(&self) -> Result<NameAddr<'a>, ParseError> {
        self.required(HeaderName::To, NameAddr::parse_at)
    }

    /// CSeq (RFC 3261 §20.16).
    pub fn cseq(&self) -> Result<CSeq<'a>, ParseError> {
        self.required(HeaderName::CSeq, CSeq::parse_at)
    }

    /// Contact across all Contact header lines (RFC 3261 §20.10); `None` without Contact.
    /// `*` must stand alone (RFC 3261 §10.2.2).
    pub fn contacts(&self) -> Result<Option<Contact<'a>>, ParseError> {
        // The usual message: one Contact line holding one name-addr, decoded without the list
        // machinery (the `,` scan, trims, offset fix-ups). A value that `NameAddr::parse`
        // accepts has no `,` outside quoted strings and `<...>` (no rule of its grammar takes
        // one there), so it is one list element, itself: what the loop below gives (see the
        // `accepted_elements_are_one_list_element` proptest). Anything else, `*` and errors
        // included, takes the loop.
        if let [h] = self.span(HeaderName::Contact) {
            if h.name == HeaderName::Contact && self.max_list_values > 0 {
                if let Ok(na) = NameAddr::parse(h.value) {
                    let mut addrs = super::name_addr::NameAddrList::new();
                    addrs.push(na);
                    return Ok(Some(Contact::Addrs(addrs)));
                }
            }
        }
        self.contacts_general()
    }

    /// [`Message::contacts`] for anything but one usual name-addr on one line (several
    /// contacts, `*`, errors): out of line, like [`Message::vias_general`].
    #[inline(never)]
    fn contacts_general(&self) -> Result<Option<Contact<'a>>, ParseError> {
        let mut star = None;
        let mut addrs = super::name_addr::NameAddrList::new();
        let mut any = false;
        for h in self.headers_named(HeaderName::Contact) {
            any = true;
            let left = self.max_list_values.saturating_sub(addrs.len()).max(1);
            // What `Contact::parse` does, appending in place.
            // A value that is `*` ends in `*` or white space: the usual `...>` skips the trim.
            if matches!(h.value.last(), Some(b'*' | b' ' | b'\t' | b'\r' | b'\n'))
                && super::text::trim_lws(h.value) == b"*"
            {
                star = Some(h.line_start as usize);
            } else {
                super::text::parse_list_into(
                    h.value,
                    left,
                    ErrorKind::BadNameAddr,
                    NameAddr::parse,
                    &mut addrs,
                )
                .map_err(|e| self.locate(h.value, e))?;
            }
            if addrs.len() > self.max_list_values {
                return Err(ParseError::new(
                    ErrorKind::TooManyValues,
                    h.line_start as usize,
                ));
            }
        }
        match (any, star) {
            (false, _) => Ok(None),
            (true, None) => Ok(Some(Contact::Addrs(addrs))),
            (true, Some(_)) if addrs.is_empty() => Ok(Some(Contact::Star)),
            (true, Some(at)) => Err(ParseError::new(ErrorKind::BadNameAddr, at)),
        }
    }

    /// Route entries, in order (RFC 3261 §20.34).
    pub fn routes(&self) -> Result<super::name_addr::NameAddrList<'a>, ParseError> {
        self.list(HeaderName::Route, ErrorKind::BadNameAddr, NameAddr::parse)
    }

    /// Record-Route entries, in order (RFC 3261 §20.30).
    pub fn record_routes(&self) -> Result<super::name_addr::NameAddrList<'a>, ParseError> {
        self.list(
            HeaderName::RecordRoute,
            ErrorKind::BadNameAddr,
            NameAddr::parse,
        )
    }

    /// Max-Forwards, 0..=255 (RFC 3261 §20.22, §25.1 `1*DIGIT`; RFC 4475 §3.1.2.4 says 300 is
    /// out of range).
    pub fn max_forwards(&self) -> Option<Result<u32, ParseError>> {
        self.optional(HeaderName::MaxForwards, |v| parse_decimal_max(v, 255))
    }

    /// Expires, in seconds (RFC 3261 §20.19).
    pub fn expires(&self) -> Option<Result<u32, ParseError>> {
        self.optional(HeaderName::Expires, parse_u32_decimal)
    }
}

#[cfg(test)]
#[path = "message_reference.rs"]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

    fn parse(b: &[u8]) -> Result<Message<'_>, ParseError> {
        Message::parse(b, Transport::Datagram, &Limits::default())
    }

    #[test]
    fn request_line_and_headers() {
        let m = parse(INVITE).unwrap();
        assert_eq!(m.method(), Some(Method::Invite));
        assert_eq!(
            m.request_uri_raw(),
            Some(&b"sip:bob@biloxi.example.com"[..])
        );
        assert_eq!(m.headers().len(), 9);
        assert_eq!(
            m.call_id(),
            Some(&b"a84b4c76e66710@pc33.atlanta.example.com"[..])
        );
        assert_eq!(m.content_length(), Some(4));
        assert_eq!(m.body(), b"v=0\n");
        let via = m.header(HeaderName::Via).unwrap();
        let r = m.span_of(via.value).unwrap();
        assert_eq!(&INVITE[r], via.value);
        assert_eq!(
            &INVITE[via.line_start as usize..via.line_start as usize + 4],
            b"Via:"
        );
    }

    #[test]
    fn folding_and_whitespace_before_colon() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\nTO :\r\n sip:x@y ;tag = 1\r\nl: 0\r\n\r\n";
        let m = parse(msg).unwrap();
        let to = m.header(HeaderName::To).unwrap();
        assert_eq!(to.value, b"sip:x@y ;tag = 1");
        assert_eq!(to.name_raw, b"TO");
        assert_eq!(to.line_end as usize, msg.len() - 2 - 6);
    }

    #[test]
    fn response_lines() {
        let m = parse(b"SIP/2.0 180 Ringing\r\nl:0\r\n\r\n").unwrap();
        assert_eq!(m.status(), Some(180));
        let m = parse(b"SIP/2.0 100 \r\nl:0\r\n\r\n").unwrap();
        match m.start_line() {
            StartLine::Response { reason, .. } => assert!(reason.is_empty()),
            _ => panic!("not a response"),
        }
        let e = parse(b"SIP/2.0 4294967301 x\r\n\r\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadStatusCode);
        assert_eq!(e.offset, 8);
        assert_eq!(
            parse(b"SIP/2.0 099 x\r\n\r\n").unwrap_err().kind,
            ErrorKind::BadStatusCode
        );
        assert_eq!(
            parse(b"SIP/7.0 200 OK\r\n\r\n").unwrap_err().kind,
            ErrorKind::UnsupportedVersion
        );
    }

    #[test]
    fn request_line_spacing() {
        let k = |b: &[u8]| parse(b).unwrap_err().kind;
        assert_eq!(
            k(b"INVITE  sip:a@b  SIP/2.0\r\n\r\n"),
            ErrorKind::BadStartLine
        );
        assert_eq!(
            k(b"INVITE sip:a@b SIP/2.0 \r\n\r\n"),
            ErrorKind::BadStartLine
        );
        assert_eq!(
            k(b"INVITE sip:a@b; lr SIP/2.0\r\n\r\n"),
            ErrorKind::BadRequestUri
        );
        assert_eq!(
            k(b"INVITE <sip:a@b> SIP/2.0\r\n\r\n"),
            ErrorKind::BadRequestUri
        );
        assert_eq!(
            k(b"INVITE sip:a@b SIP/7.0\r\n\r\n"),
            ErrorKind::UnsupportedVersion
        );
        assert_eq!(k(b"INVITE sip:a@b HTTP/1.1\r\n\r\n"), ErrorKind::BadVersion);
        assert_eq!(k(b"INV(TE sip:a@b SIP/2.0\r\n\r\n"), ErrorKind::BadMethod);
        assert_eq!(
            k(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ErrorKind::BadVersion
        );
    }

    #[test]
    fn content_length_rules() {
        let k = |b: &[u8]| parse(b).unwrap_err().kind;
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n"),
            ErrorKind::BadContentLength
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nl: 4294967328\r\n\r\n"),
            ErrorKind::ContentLengthTooLarge
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999999999999999999\r\n\r\n"),
            ErrorKind::ContentLengthTooLarge
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nx"),
            ErrorKind::RepeatedContentLength
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nl: 9\r\n\r\nx"),
            ErrorKind::TruncatedBody
        );
        // Datagram: trailing octets ignored; no Content-Length: the rest is the body.
        let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\n\r\nxyz").unwrap();
        assert_eq!(m.body(), b"x");
        assert_eq!(m.as_bytes().len(), 34);
        let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nX: y\r\n\r\nxyz").unwrap();
        assert_eq!(m.body(), b"xyz");
        // Stream: Content-Length is mandatory.
        let e = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nX: y\r\n\r\n",
            Transport::Stream,
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingContentLength);
    }

    #[test]
    fn limits() {
        let small = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let e = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            Transport::Datagram,
            &small,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooManyHeaders);
        let small = Limits {
            max_line_length: 10,
            ..Limits::default()
        };
        let e = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\n\r\n",
            Transport::Datagram,
            &small,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::LineTooLong);
    }

    #[test]
    fn bad_header_lines() {
        let k = |b: &[u8]| parse(b).unwrap_err().kind;
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n"),
            ErrorKind::BadHeaderLine
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n"),
            ErrorKind::BadHeaderLine
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n"),
            ErrorKind::BadHeaderLine
        );
        assert_eq!(
            k(b"OPTIONS sip:a@b SIP/2.0\r\nA: 1"),
            ErrorKind::MissingEndOfHeaders
        );
        // A datagram that ends after a whole header line has an empty body.
        let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\n").unwrap();
        assert_eq!(m.headers().len(), 1);
        assert!(m.body().is_empty());
        // On a stream the empty line is needed.
        let e = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n",
            Transport::Stream,
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingEndOfHeaders);
    }

    #[test]
    fn leading_crlf_and_lf_only() {
        let m = parse(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\nl: 0\n\n").unwrap();
        assert_eq!(m.start_offset(), 4);
        assert_eq!(m.headers().len(), 1);
        assert_eq!(m.as_bytes(), b"OPTIONS sip:a@b SIP/2.0\nl: 0\n\n");
    }

    #[test]
    fn line_lf_matches_a_byte_scan() {
        // Bytes next to LF in value (0x0b, 0x09, 0x8a, 0x0a ^ 0x80) must not be taken for it.
        for len in 0..40 {
            for fill in [b'a', 0x0b, 0x09, 0x8a, 0x00, 0xff] {
                let mut hay = vec![fill; len];
                assert_eq!(line_lf(&hay), None);
                for at in 0..len {
                    hay[at] = b'\n';
                    assert_eq!(line_lf(&hay), Some(at), "len {len} fill {fill} at {at}");
                    if at + 1 < len {
                        hay[at + 1] = b'\n';
                        assert_eq!(line_lf(&hay), Some(at));
                        hay[at + 1] = fill;
                    }
                    hay[at] = fill;
                }
            }
        }
    }

    /// Pieces the generated header sections are made of: real names and values, and every
    /// byte class the parser treats specially (SP, HTAB, CR, LF, `:`, NUL, `<`, non-ASCII).
    const PIECES: &[&[u8]] = &[
        b"INVITE ",
        b"SIP/2.0",
        b"SIP/2.0 ",
        b"SIP/2.1",
        b"sip:a@b",
        b"200",
        b"099",
        b"OK",
        b"Via",
        b"v",
        b"Content-Length",
        b"l",
        b"content-LENGTH",
        b"Call-ID",
        b"X-Long-Name",
        b"Content-Type",
        b"application/sdp",
        b"\r\n",
        b"\n",
        b"\r",
        b" ",
        b"\t",
        b":",
        b": ",
        b"0",
        b"4",
        b"17",
        b"-1",
        b"99999999999999999999",
        b"\0",
        b"<",
        b">",
        b"\xc3\xa9",
        b"(",
        b"v=0",
        b"a",
    ];

    fn assemble(parts: &[usize]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|i| PIECES[i % PIECES.len()].iter().copied())
            .collect()
    }

    /// The header loop's searches give what a plain search gives: the LF in a line at every
    /// position of the 16-byte steps, on both sides of the first [`SHORT_LINE`] bytes and in a
    /// line cut short by the end of the input, and the colon in a line's first 16.
    #[test]
    fn short_searches_agree_with_plain_search() {
        for len in 0..140 {
            for at in (0..len).chain([usize::MAX]) {
                let mut hay = vec![b'x'; len];
                if let Some(b) = hay.get_mut(at) {
                    *b = b'\n';
                }
                let plain = hay.iter().position(|b| *b == b'\n');
                assert_eq!(line_lf_short(&hay), plain, "{len} {at}");
                assert_eq!(line_lf(&hay), plain, "{len} {at}");
            }
        }
        for at in (0..16).chain([usize::MAX]) {
            let mut line = [b'a'; 16];
            if let Some(b) = line.get_mut(at) {
                *b = b':';
            }
            line[15] = if at == 15 { b':' } else { b'\r' };
            let plain = line.iter().position(|b| *b == b':');
            assert_eq!(colon_in_16(&line), plain, "{at}");
        }
    }

    /// Lines on the edges of the fast path agree with the reference parser: lines whose LF is
    /// at every position up to past [`SHORT_LINE`] (each 16-byte step of the LF search, and
    /// the fallback after it), names whose colon is at byte 14 to 17,
    /// and a CR (or LF) in place of each byte of a known name (a CR folds onto `-`).
    #[test]
    fn fast_path_edges_agree_with_reference() {
        let limits = Limits::default();
        let head = b"OPTIONS sip:a@b SIP/2.0\r\n";
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for n in 0..75 {
            for name in [
                &b"Subject"[..],
                b"Content-Length",
                b"X-Very-Long-Name",
                b"v",
            ] {
                let value = vec![b'a'; n];
                let line = [name, b": ", &value, b"\r\n"].concat();
                inputs.push([&head[..], &line, b"Call-ID: 1\r\n\r\n"].concat());
                let bare = [name, b":", &value, b"\n"].concat();
                inputs.push([&head[..], &bare, b"\r\n"].concat());
            }
        }
        for name in [
            &b"Call-ID"[..],
            b"Max-Forwards",
            b"Content-Type",
            b"Content-Length",
            b"Min-SE",
            b"User-Agent",
            b"Via",
        ] {
            for at in 0..name.len() {
                for bad in [b'\r', b'\n', b' ', b'-'] {
                    let mut n = name.to_vec();
                    n[at] = bad;
                    inputs.push([&head[..], &n, b": 5\r\nTo: <sip:x@y>\r\n\r\n"].concat());
                }
            }
        }
        for pad in 12..20 {
            let name = vec![b'k'; pad];
            inputs.push([&head[..], &name, b":x\r\n\r\n"].concat());
            inputs.push([&head[..], &name, b":x\r\n"].concat());
        }
        inputs.push([&head[..], b"\r\nv=0\r\no=- 1 1 IN IP4 a\r\n"].concat());
        for input in &inputs {
            for transport in [Transport::Datagram, Transport::Stream] {
                same_head(input, &limits, transport);
            }
        }
    }

    fn same_head(input: &[u8], limits: &Limits, transport: Transport) {
        let new = parse_head(input, limits, transport, false);
        let old = reference::parse_head(input, limits, transport);
        match (new, old) {
            (Ok(n), Ok(o)) => {
                assert_eq!(n.start, o.start);
                assert_eq!(n.start_line, o.start_line);
                assert_eq!(n.headers, o.headers);
                assert_eq!(n.body_start, o.body_start);
                assert_eq!(n.content_length, o.content_length);
                assert_eq!(
                    n.hot
                        .span(&n.headers, HeaderName::ContentType)
                        .first()
                        .map(|h| h.value),
                    o.content_type.map(|i| o.headers[i as usize].value)
                );
                same_lookups(&n.headers, &n.hot);
            }
            (Err(n), Err(o)) => assert_eq!(n, o, "{:?}", String::from_utf8_lossy(input)),
            (n, o) => panic!(
                "{:?}: new {:?} old {:?}",
                String::from_utf8_lossy(input),
                n.map(|h| h.headers.len()),
                o.map(|h| h.headers.len())
            ),
        }
    }

    /// Every lookup through the hot index finds what a scan of the whole list finds.
    fn same_lookups(headers: &[Header<'_>], hot: &HotIndex) {
        for n in HOT
            .iter()
            .copied()
            .chain([HeaderName::Date, HeaderName::Other])
        {
            let span = hot.span(headers, n);
            let linear = headers.iter().find(|h| h.name == n);
            assert_eq!(
                hot.starting_at_first(headers, n)
                    .iter()
                    .find(|h| h.name == n),
                linear
            );
            assert_eq!(
                span.iter().find(|h| h.name == n),
                headers.iter().find(|h| h.name == n),
                "{n:?}"
            );
            assert!(span
                .iter()
                .filter(|h| h.name == n)
                .eq(headers.iter().filter(|h| h.name == n)));
        }
    }

    fn limit_sets() -> [Limits; 3] {
        [
            Limits::default(),
            Limits {
                max_message_size: 40,
                max_headers: 2,
                max_line_length: 12,
                max_list_values: 4,
            },
            Limits {
                max_message_size: 64,
                max_headers: 0,
                max_line_length: 30,
                max_list_values: 4,
            },
        ]
    }

    /// The copy for inputs over `u32::MAX` bytes gives what the usual one gives on the inputs
    /// a test can hold (it differs only in saturating offsets past `u32::MAX`).
    #[test]
    fn wide_copy_agrees() {
        let inputs: [&[u8]; 4] = [
            include_bytes!("../../benches/data/invite.sip"),
            b"SIP/2.0 200 OK\r\nl: 0\r\nX: a\r\n b\r\n\r\n",
            b"A sip:a SIP/2.0\r\nX : 1\r\nl: x\r\n\r\n",
            b"A sip:a SIP/2.0\r\nX: 1",
        ];
        for input in inputs {
            for limits in &limit_sets() {
                for t in [Transport::Datagram, Transport::Stream] {
                    for cut in [false, true] {
                        let usual = parse_head_in::<false>(input, limits, t, cut);
                        let wide = parse_head_in::<true>(input, limits, t, cut);
                        assert_eq!(
                            usual.as_ref().map(|m| &m.headers),
                            wide.as_ref().map(|m| &m.headers)
                        );
                        assert_eq!(usual.err(), wide.err());
                    }
                }
            }
        }
        assert_eq!(line_offset::<true>(usize::MAX), u32::MAX);
        assert_eq!(line_offset::<false>(17), 17);
    }

    /// The method word finds the known methods a token scan finds, and leaves every other
    /// method to the scan.
    #[test]
    fn method_word_and_fallback() {
        for line in [
            &b"INVITE sip:a SIP/2.0"[..],
            b"ACK sip:a",
            b"REGISTER sip:a",
            b"OPTIONS x",
        ] {
            let n = token_len(line);
            assert_eq!(
                method_word(line),
                Some((n, Method::from_token(&line[..n]))),
                "{line:?}"
            );
        }
        for line in [
            &b"FOO sip:a SIP/2.0"[..],
            b"INVITEX sip:a",
            b"SUBSCRIBE sip:a",
            b"BYE sip",
            b"invite sip:a",
        ] {
            assert_eq!(method_word(line), None, "{line:?}");
        }
        // A known name that fills the word without a SP: the caller's SP test decides.
        assert_eq!(method_word(b"REGISTERX sip:a"), Some((8, Method::Register)));
        assert_eq!(request_line_fast(b"REGISTERX sip:a SIP/2.0\r\n"), None);
        let fast = request_line_fast(b"REGISTER sip:a SIP/2.0\r\n").map(|(l, _, _)| l);
        assert_eq!(
            fast,
            parse_start_line_general(b"REGISTER sip:a SIP/2.0", 0).ok()
        );
    }

    /// The field checks run after the header section (or before a loop error): an error in
    /// a complete field is still reported before a later line's, a later line's error before
    /// one in the field it may still continue, as the reference (which checks each field as
    /// soon as it is complete) reports them.
    #[test]
    fn deferred_field_checks_keep_error_order() {
        let small = Limits {
            max_headers: 2,
            max_line_length: 24,
            ..Limits::default()
        };
        let cases: [(&[u8], &Limits, ErrorKind); 8] = [
            // A bad Content-Length, then a bad line: the Content-Length is complete first.
            (
                b"A sip:a SIP/2.0\r\nl: x\r\nBad Line\r\n\r\n",
                &small,
                ErrorKind::BadContentLength,
            ),
            // A bad Content-Length, then a line too long: found before the field is complete.
            (
                b"A sip:a SIP/2.0\r\nl: x\r\nX: 0123456789012345678901234\r\n\r\n",
                &small,
                ErrorKind::LineTooLong,
            ),
            // A folded Content-Length is checked whole: "1 2" is not a number.
            (
                b"A sip:a SIP/2.0\r\nl: 1\r\n 2\r\n\r\n",
                &small,
                ErrorKind::BadContentLength,
            ),
            // Two Content-Length headers, the second one bad: repeated, at the second.
            (
                b"A sip:a SIP/2.0\r\nl: 1\r\nl: x\r\n\r\nab",
                &small,
                ErrorKind::RepeatedContentLength,
            ),
            // One header too many, then a bad line: the count first.
            (
                b"A sip:a SIP/2.0\r\nX: 1\r\nY: 2\r\nZ: 3\r\nBad Line\r\n\r\n",
                &small,
                ErrorKind::TooManyHeaders,
            ),
            // One header too many, then a line that ends nowhere: that line's error first
            // (a field is complete only once a whole line follows it).
            (
                b"A sip:a SIP/2.0\r\nX: 1\r\nY: 2\r\nZ: 3\r\nW: 4",
                &small,
                ErrorKind::MissingEndOfHeaders,
            ),
            // The last header too many, then the end: the count.
            (
                b"A sip:a SIP/2.0\r\nX: 1\r\nY: 2\r\nZ: 3\r\n\r\n",
                &small,
                ErrorKind::TooManyHeaders,
            ),
            // A bad Content-Length at the end of a datagram without the empty line.
            (
                b"A sip:a SIP/2.0\r\nX: 1\r\nContent-Length: -1\r\n",
                &small,
                ErrorKind::BadContentLength,
            ),
        ];
        for (input, limits, kind) in cases {
            same_head(input, limits, Transport::Datagram);
            same_head(input, limits, Transport::Stream);
            let got = parse_head(input, limits, Transport::Datagram, false);
            assert_eq!(
                got.err().map(|e| e.kind),
                Some(kind),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        // The usual message: one Content-Length, answered from the hot index.
        let m = parse_head(
            b"A sip:a SIP/2.0\r\nX: 1\r\nl: 2\r\n\r\nab",
            &small,
            Transport::Stream,
            true,
        );
        assert_eq!(m.map(|m| m.content_length), Ok(Some(2)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The single-pass parser and the reference parser agree on everything: results,
        /// error kinds and offsets, the header index.
        #[test]
        fn parse_head_agrees_with_reference(
            start in 0usize..4,
            parts in proptest::collection::vec(0usize..64, 0..40),
        ) {
            let mut input: Vec<u8> = match start {
                0 => b"INVITE sip:a@b SIP/2.0\r\n".to_vec(),
                1 => b"SIP/2.0 200 OK\r\n".to_vec(),
                2 => b"\r\nOPTIONS sip:x SIP/2.0\n".to_vec(),
                _ => Vec::new(),
            };
            input.extend(assemble(&parts));
            for limits in &limit_sets() {
                for t in [Transport::Datagram, Transport::Stream] {
                    same_head(&input, limits, t);
                }
            }
        }

        /// Well-formed header lines with folds and odd spacing take both paths of the loop.
        #[test]
        fn header_lines_agree_with_reference(
            lines in proptest::collection::vec((0usize..8, 0usize..8, 0usize..4), 0..12),
            end in 0usize..3,
        ) {
            const NAMES: [&str; 8] =
                ["Via", "l", "Content-Length", "X-A", "To ", " cont", "Bad Name", "CSeq"];
            const VALUES: [&str; 8] = ["", " ", "1", " 17 ", "a b\t", " x\r", "\t0", "z"];
            const ENDS: [&str; 4] = ["\r\n", "\n", "\r\n\t", "\r\n "];
            let mut input = b"MESSAGE sip:a@b SIP/2.0\r\n".to_vec();
            for (n, v, e) in lines {
                input.extend_from_slice(NAMES[n].as_bytes());
                input.push(b':');
                input.extend_from_slice(VALUES[v].as_bytes());
                input.extend_from_slice(ENDS[e].as_bytes());
            }
            input.extend_from_slice([&b"\r\n"[..], b"", b"\r\nv=0"][end]);
            for limits in &limit_sets() {
                for t in [Transport::Datagram, Transport::Stream] {
                    same_head(&input, limits, t);
                }
            }
        }

        /// The start-line fast path returns what the general parser returns, whenever it
        /// accepts a line.
        #[test]
        fn start_line_fast_agrees_with_general(
            parts in proptest::collection::vec(0usize..64, 0..12),
        ) {
            let line = assemble(&parts);
            if let Some(fast) = start_line_fast(&line) {
                assert_eq!(parse_start_line_general(&line, 0), Ok(fast));
            }
            assert_eq!(
                parse_start_line(&line, 3),
                reference::parse_start_line(&line, 3)
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The one-pass request line gives what the LF search and the line parser give,
        /// whenever it takes a line, under every limit set.
        #[test]
        fn first_line_fast_agrees_with_general(
            crlf in 0usize..3,
            head in 0usize..3,
            parts in proptest::collection::vec(0usize..64, 0..12),
            end in 0usize..4,
        ) {
            let mut input = b"\r\n".repeat(crlf);
            // Lines the fast path takes, often, and mutations of them.
            input.extend_from_slice([&b""[..], b"INVITE sip:a@b SIP/2.0", b"ACK sip:x"][head]);
            input.extend(assemble(&parts));
            input.extend_from_slice([&b"\r\n"[..], b"\n", b"\r", b""][end]);
            input.extend_from_slice(b"Via: x\r\n");
            let start = leading_crlf(&input);
            for limits in &limit_sets() {
                let fast = request_line_fast(&input[start..]);
                if let Some((line, len, lf)) = fast {
                    let general = first_line_general(&input, start, limits);
                    if len <= limits.max_line_length {
                        assert_eq!(general, Ok((line, start + lf)));
                    } else {
                        assert_eq!(general.map(|_| ()), Err(err(ErrorKind::LineTooLong, start)));
                    }
                }
                assert_eq!(
                    first_line(&input, start, limits),
                    first_line_general(&input, start, limits)
                );
            }
        }
    }

    #[test]
    fn request_line_fast_path_and_fallbacks() {
        let limits = Limits::default();
        for (input, fast) in [
            (&b"INVITE sip:bob@b SIP/2.0\r\nVia: x\r\n"[..], true),
            (b"BYE sip:b SIP/2.0\nVia: x\n", true),
            (b"INVITE sip:bob@b SIP/2.0 \r\n", false),
            (b"INVITE sip:bob@b SIP/2.1\r\n", false),
            (b"INVITE sip:bob@b sip/2.0\r\n", false),
            (b"INVITE sip:bob@b SIP/2.0\r", false),
            (b"INVITE sip:bob@b SIP/2.0", false),
            (b"INVITE  sip:bob@b SIP/2.0\r\n", false),
            (b"INVITE <sip:bob@b> SIP/2.0\r\n", false),
            (b" sip:bob@b SIP/2.0\r\n", false),
            (b"SIP/2.0 200 OK\r\n", false),
        ] {
            assert_eq!(request_line_fast(input).is_some(), fast, "{input:?}");
            assert_eq!(
                first_line(input, 0, &limits),
                first_line_general(input, 0, &limits)
            );
        }
        // Over the line limit: the general path reports it.
        let short = Limits {
            max_line_length: 10,
            ..Limits::default()
        };
        let input = b"INVITE sip:bob@b SIP/2.0\r\n";
        assert_eq!(
            first_line(input, 0, &short),
            Err(err(ErrorKind::LineTooLong, 0))
        );
    }

    #[test]
    fn start_line_fast_paths_and_fallbacks() {
        let req = b"INVITE sip:bob@biloxi.example.com SIP/2.0";
        assert!(start_line_fast(req).is_some());
        assert_eq!(
            start_line_fast(req).map(Ok),
            Some(parse_start_line_general(req, 0))
        );
        let resp = b"SIP/2.0 486 Busy Here";
        assert_eq!(
            start_line_fast(resp).map(Ok),
            Some(parse_start_line_general(resp, 0))
        );
        assert!(start_line_fast(b"SIP/2.0 100").is_some());
        // Forms the fast path leaves to the general parser, which accepts them.
        for line in [
            &b"sip/2.0 200 OK"[..],
            b"SIP/2.0 200",
            b"INVITE sip:a@b sip/2.0",
            b"SIP/2.0 200 \xc3\xa9t\xc3\xa9",
        ] {
            if line != b"SIP/2.0 200" && !line.starts_with(b"SIP/2.0 200 \xc3") {
                assert!(start_line_fast(line).is_none());
            }
            assert!(parse_start_line(line, 0).is_ok());
        }
        // And forms that are errors, with the general parser's offsets.
        let e = parse_start_line(b"INVITE sip:a@b SIP/2.0 ", 5).unwrap_err();
        assert_eq!(e, err(ErrorKind::BadStartLine, 5 + 22));
        let e = parse_start_line(b"SIP/2.0 200 O\rK", 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadReasonPhrase);
        let e = parse_start_line(b"INVITE sip:a\t@b SIP/2.0", 0).unwrap_err();
        assert_eq!(e, err(ErrorKind::BadRequestUri, 12));
    }

    #[test]
    fn header_fast_path_and_fallback_build_the_same_index() {
        // "To:" takes the fast path, "To :" the general one; the index differs only by offsets.
        let a = parse(b"OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\nl: 0\r\n\r\n").unwrap();
        let b = parse(b"OPTIONS sip:a@b SIP/2.0\r\nTo : x\r\nl: 0\r\n\r\n").unwrap();
        let (ha, hb) = (&a.headers()[0], &b.headers()[0]);
        assert_eq!(
            (ha.name, ha.name_raw, ha.value),
            (hb.name, hb.name_raw, hb.value)
        );
        assert_eq!((ha.line_start, ha.line_end), (25, 32));
        assert_eq!((hb.line_start, hb.line_end), (25, 33));
        // A fold after a fast-path line extends its value and its line end.
        let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n b\r\nl:0\r\n\r\n").unwrap();
        let h = &m.headers()[0];
        assert_eq!(h.value, b"a\r\n b");
        assert_eq!(h.line_end, 41);
        // A value that starts on the folded line.
        let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nSubject:\r\n\tb \r\nl:0\r\n\r\n").unwrap();
        assert_eq!(m.headers()[0].value, b"b");
    }

    #[test]
    fn word_scans_match_byte_scans() {
        // The first of two stop bytes, in the same word, in both words of a 16-byte step, or
        // in two steps.
        for i in 0..40 {
            for j in i..40 {
                let mut line = vec![b'a'; 40];
                line[j] = b'>';
                line[i] = b' ';
                assert_eq!(uri_len(&line), Some(i), "{i} {j}");
            }
        }
        // Every byte value at every position of lines up to 40 bytes long.
        for len in 0..40 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut line = vec![b'a'; len];
                    line[at] = b;
                    let stop = |c: u8| c < 0x21 || c == b'<' || c == b'>';
                    assert_eq!(uri_len(&line), line.iter().position(|c| stop(*c)));
                    assert_eq!(trim_slice(&line), {
                        let (s, e) = trim_value(&line, 0, len);
                        &line[s..e]
                    });
                    // header_name: a token name followed directly by ':' in the first 24 bytes.
                    line[len - 1] = b':';
                    let expect = line.iter().position(|c| *c == b':').filter(|&n| {
                        n > 0 && n < 24 && line[..n].iter().all(|c| is_token_byte(*c))
                    });
                    let got = header_name(&line);
                    if line.len() >= 8 + expect.map_or(0, |n| n / 8 * 8) {
                        assert_eq!(got.map(|(n, _)| n), expect, "{line:?}");
                    } else {
                        // Too short to read the word holding the colon: the general path.
                        assert_eq!(got.map(|(n, _)| n), None);
                    }
                    if let Some((n, name)) = got {
                        assert_eq!(name, HeaderName::from_bytes(&line[..n]));
                    }
                }
            }
        }
    }

    #[test]
    fn hot_index_first_absent_repeated_and_compact() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\n\
v: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
X-A: 1\r\n\
Via: SIP/2.0/UDP b;branch=z9hG4bK2, SIP/2.0/UDP c\r\n\
f: <sip:f@x>;tag=1\r\n\
Date: now\r\n\
VIA: SIP/2.0/TCP d\r\n\
From: <sip:g@x>\r\n\
m: <sip:c@x>\r\n\
X-A: 2\r\n\
Contact :\r\n <sip:d@x>\r\n\
l: 0\r\n\r\n";
        let m = parse(msg).unwrap();
        same_lookups(&m.headers, &m.hot);
        // First occurrence, whatever the form of the name.
        assert_eq!(
            m.header_value(HeaderName::From),
            Some(&b"<sip:f@x>;tag=1"[..])
        );
        assert_eq!(
            m.header(HeaderName::Via).map(|h| h.name_raw),
            Some(&b"v"[..])
        );
        // Absent hot names and a name without a slot.
        assert_eq!(m.header(HeaderName::To), None);
        assert_eq!(m.call_id(), None);
        assert_eq!(m.headers_named(HeaderName::Route).count(), 0);
        assert_eq!(m.header_value(HeaderName::Date), Some(&b"now"[..]));
        assert_eq!(m.header_value_by_name(b"x-a"), Some(&b"1"[..]));
        // Repeated list headers: every line, in order, and nothing else.
        let raw: Vec<&[u8]> = m
            .headers_named(HeaderName::Via)
            .map(|h| h.name_raw)
            .collect();
        assert_eq!(raw, [&b"v"[..], b"Via", b"VIA"]);
        assert_eq!(m.vias().unwrap().len(), 4);
        let contacts: Vec<&[u8]> = m
            .headers_named(HeaderName::Contact)
            .map(|h| h.value)
            .collect();
        assert_eq!(contacts, [&b"<sip:c@x>"[..], b"<sip:d@x>"]);
        assert!(matches!(m.contacts(), Ok(Some(Contact::Addrs(a))) if a.len() == 2));
        assert_eq!(m.headers_named(HeaderName::From).count(), 2);
        assert_eq!(m.content_length(), Some(0));
    }

    /// More headers than a `u8` position holds: the index is replaced by one whose every
    /// range is the whole list, and lookups still find every occurrence.
    #[test]
    fn hot_index_beyond_u8_positions() {
        let limits = Limits {
            max_headers: 1000,
            ..Limits::default()
        };
        for (before, after) in [
            (300, 0),
            (250, 0),
            (251, 0),
            (252, 0),
            (253, 3),
            (254, 1),
            (10, 400),
            (0, 260),
        ] {
            let mut msg = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
            for i in 0..before {
                msg.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
            }
            msg.extend_from_slice(b"Call-ID: first\r\nVia: SIP/2.0/UDP a\r\n");
            for i in 0..after {
                msg.extend_from_slice(format!("Y-{i}: {i}\r\ni: again{i}\r\n").as_bytes());
            }
            msg.extend_from_slice(b"v: SIP/2.0/UDP z\r\nl: 0\r\n\r\n");
            let m = Message::parse(&msg, Transport::Datagram, &limits).unwrap();
            same_lookups(&m.headers, &m.hot);
            assert_eq!(m.call_id(), Some(&b"first"[..]), "{before} {after}");
            // 255 headers fit the index; one more and it covers the whole list.
            let whole = m.headers.len() > 255;
            assert_eq!(m.hot == HotIndex::WHOLE, whole, "{}", m.headers.len());
            assert_eq!(m.headers_named(HeaderName::CallId).count(), 1 + after);
            assert_eq!(m.vias().unwrap().len(), 2);
            assert_eq!(m.header_value(HeaderName::ContentLength), Some(&b"0"[..]));
            assert_eq!(
                m.header_value_by_name(b"X-0"),
                (before > 0).then_some(&b"0"[..])
            );
        }
    }

    #[test]
    fn content_type_index_is_the_first_content_type() {
        for (msg, want) in [
            (&b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"[..], None),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nc: text/plain\r\nContent-Type: a/b\r\nl: 0\r\n\r\n",
                Some(&b"text/plain"[..]),
            ),
            (
                b"OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\nContent-Type :\r\n application/sdp\r\n\r\n",
                Some(b"application/sdp"),
            ),
        ] {
            let m = parse(msg).unwrap();
            assert_eq!(m.content_type_value(), want);
            assert_eq!(
                m.content_type_value(),
                m.header_value(HeaderName::ContentType)
            );
        }
    }

    proptest::proptest! {
        /// The short-value fast path of Content-Length agrees with the checked loop.
        #[test]
        fn content_length_fast_path_agrees(
            digits in proptest::collection::vec(
                proptest::sample::select(b"0123456789-x /:\xff".to_vec()), 0..14),
            max in 0usize..2_000_000_000,
        ) {
            let limits = Limits { max_message_size: max, ..Limits::default() };
            proptest::prop_assert_eq!(
                parse_content_length(&digits, 7, &limits),
                content_length_slow(&digits, 7, &limits)
            );
        }
    }

    #[test]
    fn content_length_fast_path_and_fallback() {
        let l = Limits::default();
        assert_eq!(parse_content_length(b"217", 0, &l), Ok(217));
        assert_eq!(parse_content_length(b"000000000", 0, &l), Ok(0));
        // Fallbacks: too long for the fast path, over the limit, not digits.
        assert_eq!(parse_content_length(b"0000000000217", 0, &l), Ok(217));
        assert_eq!(
            parse_content_length(b"131073", 5, &l),
            Err(err(ErrorKind::ContentLengthTooLarge, 5))
        );
        assert_eq!(
            parse_content_length(b"12a", 5, &l),
            Err(err(ErrorKind::BadContentLength, 7))
        );
        assert_eq!(
            parse_content_length(b"", 5, &l),
            Err(err(ErrorKind::BadContentLength, 5))
        );
    }

    #[test]
    fn empty_line_fast_path_and_fallback() {
        // CRLF ends the header section inline; a bare LF goes the general way: same result.
        let a = parse(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\n\r\nx").unwrap();
        let b = parse(b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\n\nx").unwrap();
        assert_eq!((a.body(), a.body_offset()), (&b"x"[..], 33));
        assert_eq!((b.body(), b.body_offset()), (&b"x"[..], 32));
        // The checks on the last header still run at the empty line.
        let small = Limits {
            max_headers: 0,
            ..Limits::default()
        };
        let e = Message::parse(
            b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
            Transport::Datagram,
            &small,
        )
        .unwrap_err();
        assert_eq!(e, err(ErrorKind::TooManyHeaders, 25));
    }

    /// `vias()` (with its single-line fast path) gives what the list path gives: one hop in
    /// the usual form, and every form the fast path leaves to it (commas, quotes, LWS, two
    /// lines, errors, a zero list limit).
    #[test]
    fn vias_fast_path_agrees_with_the_list_path() {
        let vias: [&[u8]; 10] = [
            b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74;rport\r\n",
            b"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n",
            b"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,SIP/2.0/UDP b;branch=z9hG4bK2\r\n",
            b"Via: SIP/2.0/UDP a;x=\"q,r\";branch=z9hG4bK1\r\n",
            b"Via: SIP/2.0/UDP a ; branch=z9hG4bK1\r\n",
            b"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nv: SIP/2.0/UDP b;branch=z9hG4bK2\r\n",
            b"Via: SIP/2.0/UDP a;branch=z9hG4bK1;rport=x\r\n",
            b"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1\r\n",
            b"Via: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n",
            b"Via: SIP/2.0 UDP a\r\n",
        ];
        for via in vias {
            for max_list_values in [0, 1, 8] {
                let mut msg = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
                msg.extend_from_slice(via);
                msg.extend_from_slice(b"Content-Length: 0\r\n\r\n");
                let limits = Limits {
                    max_list_values,
                    ..Limits::default()
                };
                let m = Message::parse(&msg, Transport::Datagram, &limits).unwrap();
                let general = m.list(HeaderName::Via, ErrorKind::BadVia, Via::parse);
                assert_eq!(m.vias(), general, "{:?}", String::from_utf8_lossy(via));
            }
        }
    }

    /// `contacts()` (with its single-line fast path) gives what the per-line loop gives.
    #[test]
    fn contacts_fast_path_agrees_with_the_loop() {
        let contacts: [&[u8]; 9] = [
            b"Contact: <sip:alice@192.0.2.10:5060>\r\n",
            b"Contact: \"A, B\" <sip:a@b>;expires=60\r\n",
            b"Contact: <sip:a@b>, <sip:c@d>\r\n",
            b"Contact: sip:a@b;x=\"1,2\"\r\n",
            b"Contact: *\r\n",
            b"Contact: <sip:a@b>\r\nm: <sip:c@d>\r\n",
            b"Contact: <sip:a@b\r\n",
            b"Contact: sip:a@b,\r\n",
            b"Contact: <sip:a@b>;q=1,*\r\n",
        ];
        for contact in contacts {
            for max_list_values in [0, 1, 8] {
                let mut msg = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
                msg.extend_from_slice(contact);
                msg.extend_from_slice(b"Content-Length: 0\r\n\r\n");
                let limits = Limits {
                    max_list_values,
                    ..Limits::default()
                };
                let m = Message::parse(&msg, Transport::Datagram, &limits).unwrap();
                let mut m2 = m.clone();
                // Without the hot index the lookup is not a single header: the loop answers.
                m2.hot = HotIndex::WHOLE;
                assert_eq!(
                    m.contacts(),
                    m2.contacts(),
                    "{:?}",
                    String::from_utf8_lossy(contact)
                );
            }
        }
    }

    #[test]
    fn span_of_foreign_slice_is_none() {
        let m = parse(INVITE).unwrap();
        assert!(m.span_of(b"elsewhere").is_none());
    }
}
