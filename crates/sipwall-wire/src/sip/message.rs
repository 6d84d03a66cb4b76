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
    /// `Limits::max_list_values`, kept for the list accessors.
    max_list_values: usize,
}

/// What `parse_head` learns from the start line and header section.
pub(crate) struct Head<'a> {
    pub start: usize,
    pub start_line: StartLine<'a>,
    pub headers: Vec<Header<'a>>,
    /// First byte after the empty line that ends the header section.
    pub body_start: usize,
    pub content_length: Option<usize>,
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

/// Parse the start line `line` (without its terminator), which begins at `base`.
fn parse_start_line(line: &[u8], base: usize) -> Result<StartLine<'_>, ParseError> {
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
    while start < end && matches!(bytes[start], b' ' | b'\t' | b'\r' | b'\n') {
        start += 1;
    }
    while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
        end -= 1;
    }
    (start, end)
}

/// Position of the first LF in `hay`. Header lines are short (20 to 80 bytes), where a
/// `memchr` call per line costs more than it saves: this reads 8 bytes at a time with the
/// classic "has a zero byte" test on `word ^ LF`, whose lowest flagged byte is exact
/// (borrows only run upwards).
#[inline]
fn find_lf(hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut at = 0;
    while let Some(chunk) = hay.get(at..at + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ LF;
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    hay.get(at..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

/// Parse the start line and the header section of `bytes`.
///
/// On a datagram, input that ends right after a complete header line, with no empty line, is
/// taken as a header section with an empty body: the datagram's end is unambiguous, and real
/// stacks (and the RFC 4475 archive's baddn.dat) send such messages. On a stream the empty
/// line is required, since more bytes may follow.
pub(crate) fn parse_head<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    transport: Transport,
) -> Result<Head<'a>, ParseError> {
    let start = leading_crlf(bytes);
    let first_nl = memchr(b'\n', &bytes[start..])
        .map(|i| start + i)
        .ok_or_else(|| {
            if bytes.len() - start > limits.max_line_length {
                err(ErrorKind::LineTooLong, start)
            } else {
                err(ErrorKind::MissingEndOfHeaders, bytes.len())
            }
        })?;
    let line_end = if first_nl > start && bytes[first_nl - 1] == b'\r' {
        first_nl - 1
    } else {
        first_nl
    };
    if line_end - start > limits.max_line_length {
        return Err(err(ErrorKind::LineTooLong, start));
    }
    let start_line = parse_start_line(&bytes[start..line_end], start)?;

    let mut headers: Vec<Header<'a>> = Vec::with_capacity(16);
    let mut content_length: Option<usize> = None;
    // The header being collected: (name span, value start, value end, line start).
    let mut open: Option<(usize, usize, usize, usize, usize)> = None;
    let mut pos = first_nl + 1;

    let finish = |open: (usize, usize, usize, usize, usize),
                  line_end: usize,
                  headers: &mut Vec<Header<'a>>,
                  content_length: &mut Option<usize>|
     -> Result<(), ParseError> {
        let (ns, ne, vs, ve, ls) = open;
        if headers.len() >= limits.max_headers {
            return Err(err(ErrorKind::TooManyHeaders, ls));
        }
        let (vs, ve) = trim_value(bytes, vs, ve);
        let name_raw = &bytes[ns..ne];
        // The name was checked to be a token below.
        let name = HeaderName::from_token(name_raw);
        let value = &bytes[vs..ve];
        if name == HeaderName::ContentLength {
            if content_length.is_some() {
                // RFC 4475 §3.3.9 mcl01: which value is right cannot be known.
                return Err(err(ErrorKind::RepeatedContentLength, ls));
            }
            *content_length = Some(parse_content_length(value, vs, limits)?);
        }
        headers.push(Header {
            name,
            name_raw,
            value,
            line_start: u32::try_from(ls).unwrap_or(u32::MAX),
            line_end: u32::try_from(line_end).unwrap_or(u32::MAX),
        });
        Ok(())
    };

    loop {
        if pos > limits.max_message_size {
            return Err(err(ErrorKind::MessageTooLarge, limits.max_message_size));
        }
        let nl = match find_lf(&bytes[pos..]) {
            Some(i) => pos + i,
            None if pos == bytes.len() && transport == Transport::Datagram => {
                if let Some(h) = open.take() {
                    finish(h, pos, &mut headers, &mut content_length)?;
                }
                return Ok(Head {
                    start,
                    start_line,
                    headers,
                    body_start: pos,
                    content_length,
                });
            }
            None => {
                return Err(if bytes.len() - pos > limits.max_line_length {
                    err(ErrorKind::LineTooLong, pos)
                } else {
                    err(ErrorKind::MissingEndOfHeaders, bytes.len())
                })
            }
        };
        let content_end = if nl > pos && bytes[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        if content_end - pos > limits.max_line_length {
            return Err(err(ErrorKind::LineTooLong, pos));
        }
        if content_end == pos {
            // The empty line: end of the header section.
            if let Some(h) = open.take() {
                finish(h, pos, &mut headers, &mut content_length)?;
            }
            return Ok(Head {
                start,
                start_line,
                headers,
                body_start: nl + 1,
                content_length,
            });
        }
        let first = bytes[pos];
        if is_ws(first) {
            // A continuation line (RFC 3261 §7.3.1 folding): extends the open header's value.
            match open.as_mut() {
                Some(h) => h.3 = content_end,
                None => return Err(err(ErrorKind::BadHeaderLine, pos)),
            }
        } else {
            if let Some(h) = open.take() {
                finish(h, pos, &mut headers, &mut content_length)?;
            }
            // header-name HCOLON value: the name is a token; HCOLON = *( SP / HTAB ) ":" SWS.
            let line = &bytes[pos..content_end];
            let name_len = line.iter().take_while(|b| is_token_byte(**b)).count();
            if name_len == 0 {
                return Err(err(ErrorKind::BadHeaderLine, pos));
            }
            let mut i = name_len;
            while i < line.len() && is_ws(line[i]) {
                i += 1;
            }
            if line.get(i) != Some(&b':') {
                return Err(err(ErrorKind::BadHeaderLine, pos + i));
            }
            open = Some((pos, pos + name_len, pos + i + 1, content_end, pos));
        }
        pos = nl + 1;
    }
}

impl<'a> Message<'a> {
    /// Parse one SIP message from `input`.
    ///
    /// On a [`Transport::Datagram`] the message is the whole datagram: without Content-Length
    /// the body is the rest of it, and octets after Content-Length are ignored (RFC 3261
    /// §18.3, RFC 4475 §3.1.1.8). On a [`Transport::Stream`] Content-Length is mandatory and
    /// `input` must hold the whole message (use [`super::frame`] to find its end).
    pub fn parse(
        input: &'a [u8],
        transport: Transport,
        limits: &Limits,
    ) -> Result<Message<'a>, ParseError> {
        let head = parse_head(input, limits, transport)?;
        let available = input.len() - head.body_start;
        let end = match (head.content_length, transport) {
            (Some(cl), _) if cl > available => {
                return Err(err(ErrorKind::TruncatedBody, input.len()));
            }
            (Some(cl), _) => head.body_start + cl,
            (None, Transport::Stream) => {
                return Err(err(ErrorKind::MissingContentLength, head.start));
            }
            (None, Transport::Datagram) => input.len(),
        };
        if end > limits.max_message_size {
            return Err(err(ErrorKind::MessageTooLarge, limits.max_message_size));
        }
        Ok(Message {
            input: &input[..end],
            start: head.start,
            start_line: head.start_line,
            headers: head.headers,
            body_start: head.body_start,
            content_length: head.content_length,
            max_list_values: limits.max_list_values,
        })
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
        self.headers.iter().filter(move |h| h.name == name)
    }

    /// The first header field of one kind.
    pub fn header(&self, name: HeaderName) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.name == name)
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
    fn required<T>(
        &self,
        name: HeaderName,
        f: impl FnOnce(&'a [u8]) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        let v = self
            .header_value(name)
            .ok_or(ParseError::new(ErrorKind::MissingHeader, self.start))?;
        f(v).map_err(|e| self.locate(v, e))
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
        for h in self.headers.iter().filter(|h| h.name == name) {
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
        self.required(HeaderName::From, NameAddr::parse)
    }

    /// To (RFC 3261 §20.39).
    pub fn to(&self) -> Result<NameAddr<'a>, ParseError> {
        self.required(HeaderName::To, NameAddr::parse)
    }

    /// CSeq (RFC 3261 §20.16).
    pub fn cseq(&self) -> Result<CSeq<'a>, ParseError> {
        self.required(HeaderName::CSeq, CSeq::parse)
    }

    /// Contact across all Contact header lines (RFC 3261 §20.10); `None` without Contact.
    /// `*` must stand alone (RFC 3261 §10.2.2).
    pub fn contacts(&self) -> Result<Option<Contact<'a>>, ParseError> {
        let mut star = None;
        let mut addrs = super::name_addr::NameAddrList::new();
        let mut any = false;
        for h in self
            .headers
            .iter()
            .filter(|h| h.name == HeaderName::Contact)
        {
            any = true;
            let left = self.max_list_values.saturating_sub(addrs.len()).max(1);
            // What `Contact::parse` does, appending in place.
            if super::text::trim_lws(h.value) == b"*" {
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
    fn find_lf_matches_a_byte_scan() {
        // Bytes next to LF in value (0x0b, 0x09, 0x8a, 0x0a ^ 0x80) must not be taken for it.
        for len in 0..40 {
            for fill in [b'a', 0x0b, 0x09, 0x8a, 0x00, 0xff] {
                let mut hay = vec![fill; len];
                assert_eq!(find_lf(&hay), None);
                for at in 0..len {
                    hay[at] = b'\n';
                    assert_eq!(find_lf(&hay), Some(at), "len {len} fill {fill} at {at}");
                    if at + 1 < len {
                        hay[at + 1] = b'\n';
                        assert_eq!(find_lf(&hay), Some(at));
                        hay[at + 1] = fill;
                    }
                    hay[at] = fill;
                }
            }
        }
    }

    #[test]
    fn span_of_foreign_slice_is_none() {
        let m = parse(INVITE).unwrap();
        assert!(m.span_of(b"elsewhere").is_none());
    }
}
