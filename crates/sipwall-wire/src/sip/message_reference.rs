//! The header-section parser as it was before the single-pass rewrite (commit f52099c), kept
//! only as a test oracle: the proptests in `message.rs` check that the fast parser accepts and
//! rejects exactly what this one does, with the same error kinds and offsets, and builds the
//! same header index.

use memchr::memchr;

use crate::error::{ErrorKind, ParseError};
use crate::sip::framing::Transport;
use crate::sip::header::{Header, HeaderName};
use crate::sip::message::{leading_crlf, Limits, StartLine};
use crate::sip::method::Method;

/// What the reference [`parse_head`] learns from the start line and header section.
pub(super) struct Head<'a> {
    pub start: usize,
    pub start_line: StartLine<'a>,
    pub headers: Vec<Header<'a>>,
    /// First byte after the empty line that ends the header section.
    pub body_start: usize,
    pub content_length: Option<usize>,
    /// Index in `headers` of the first Content-Type.
    pub content_type: Option<u32>,
}

fn err(kind: ErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_token_byte(b: u8) -> bool {
    crate::sip::text::is_token_char(b)
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
pub(super) fn parse_start_line(line: &[u8], base: usize) -> Result<StartLine<'_>, ParseError> {
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
pub(super) fn parse_head<'a>(
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
                let content_type = first_content_type(&headers);
                return Ok(Head {
                    content_type,
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
            let content_type = first_content_type(&headers);
            return Ok(Head {
                content_type,
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

fn first_content_type(headers: &[Header<'_>]) -> Option<u32> {
    let at = headers
        .iter()
        .position(|h| h.name == HeaderName::ContentType)?;
    u32::try_from(at).ok()
}
