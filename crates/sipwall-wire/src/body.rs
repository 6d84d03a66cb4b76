//! Message bodies: the Content-Type header value, multipart bodies, and finding the SDP.
//!
//! Everything here borrows from its input; offsets are relative to the slice handed in.

use crate::error::{ErrorKind, ParseError};

/// At most this many `;param` entries in a Content-Type value.
pub const MAX_CONTENT_TYPE_PARAMS: usize = 32;
/// Default maximum number of parts [`find_sdp`] accepts in a multipart body.
pub const DEFAULT_MAX_PARTS: usize = 16;
/// Multipart nesting [`find_sdp`] follows: a multipart body, and one multipart inside it.
pub const MAX_MULTIPART_DEPTH: usize = 2;

// ---------------------------------------------------------------------------------------------
// Content-Type (RFC 3261 §20.15, §25.1; RFC 2045 §5.1)

/// A parsed Content-Type value, borrowing from the header value.
///
/// ```text
/// media-type  = m-type SLASH m-subtype *(SEMI m-parameter)      ; RFC 3261 §25.1
/// m-parameter = m-attribute EQUAL m-value
/// m-value     = token / quoted-string
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// `application` in `application/sdp`, as written (compare case-insensitively).
    pub mtype: &'a [u8],
    /// `sdp` in `application/sdp`, as written.
    pub subtype: &'a [u8],
    /// The raw text after the subtype (`;boundary=...`), already validated.
    params: &'a [u8],
}

/// SWS (RFC 3261 §25.1): blanks, and CR/LF so that a folded header value is accepted.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// token characters (RFC 3261 §25.1).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&b| is_ws(b)) {
        i += 1;
    }
    i
}

fn token_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&b| is_token_char(b)) {
        i += 1;
    }
    i
}

/// A `(name, value)` parameter pair.
type Param<'a> = (&'a [u8], &'a [u8]);

/// One parameter: name, value (quotes removed, escapes left as written) and where scanning
/// continues. `i` points at the `;`.
/// `Ok(None)` at the end, `Err(offset)` on a syntax error.
fn next_param(s: &[u8], i: usize) -> Result<Option<(Param<'_>, usize)>, usize> {
    let i = skip_ws(s, i);
    if i >= s.len() {
        return Ok(None);
    }
    if s.get(i) != Some(&b';') {
        return Err(i);
    }
    let name_start = skip_ws(s, i + 1);
    let name_end = token_end(s, name_start);
    if name_end == name_start {
        return Err(name_start);
    }
    let eq = skip_ws(s, name_end);
    if s.get(eq) != Some(&b'=') {
        return Err(eq);
    }
    let v = skip_ws(s, eq + 1);
    let name = s.get(name_start..name_end).unwrap_or_default();
    if s.get(v) == Some(&b'"') {
        // quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE (RFC 3261 §25.1)
        let mut j = v + 1;
        loop {
            match s.get(j) {
                None => return Err(v),
                Some(b'"') => break,
                Some(b'\\') => j += 2,
                Some(_) => j += 1,
            }
        }
        let value = s.get(v + 1..j).unwrap_or_default();
        Ok(Some(((name, value), j + 1)))
    } else {
        let end = token_end(s, v);
        if end == v {
            return Err(v);
        }
        Ok(Some(((name, s.get(v..end).unwrap_or_default()), end)))
    }
}

impl<'a> ContentType<'a> {
    /// Parse a Content-Type header value (without the header name and colon).
    pub fn parse(value: &'a [u8]) -> Result<ContentType<'a>, ParseError> {
        let err = |at| ParseError::new(ErrorKind::BadContentType, at);
        let t0 = skip_ws(value, 0);
        let t1 = token_end(value, t0);
        if t1 == t0 {
            return Err(err(t0));
        }
        let slash = skip_ws(value, t1);
        if value.get(slash) != Some(&b'/') {
            return Err(err(slash));
        }
        let s0 = skip_ws(value, slash + 1);
        let s1 = token_end(value, s0);
        if s1 == s0 {
            return Err(err(s0));
        }
        let params = value.get(s1..).unwrap_or_default();
        // Validate all parameters now, so that the accessors cannot fail later.
        let mut i = 0;
        let mut n = 0usize;
        loop {
            match next_param(params, i) {
                Ok(None) => break,
                Ok(Some((_, next))) => {
                    n += 1;
                    if n > MAX_CONTENT_TYPE_PARAMS {
                        return Err(ParseError::new(ErrorKind::TooManyValues, s1 + i));
                    }
                    i = next;
                }
                Err(at) => return Err(err(s1 + at)),
            }
        }
        Ok(ContentType {
            mtype: value.get(t0..t1).unwrap_or_default(),
            subtype: value.get(s0..s1).unwrap_or_default(),
            params,
        })
    }

    /// Type and subtype compare case-insensitively (RFC 2045 §5.1).
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype.as_bytes())
            && self.subtype.eq_ignore_ascii_case(subtype.as_bytes())
    }

    /// `application/sdp` (RFC 3261 §13.2.1, RFC 8866 §8.1).
    pub fn is_sdp(&self) -> bool {
        self.is("application", "sdp")
    }

    /// Any `multipart/*` (RFC 2046 §5.1; RFC 5621 for SIP).
    pub fn is_multipart(&self) -> bool {
        self.mtype.eq_ignore_ascii_case(b"multipart")
    }

    /// All parameters, in order: `(name, value)` with quotes removed.
    pub fn params(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let s = self.params;
        let mut i = 0usize;
        std::iter::from_fn(move || match next_param(s, i) {
            Ok(Some((p, next))) => {
                i = next;
                Some(p)
            }
            _ => None,
        })
    }

    /// The first parameter with this name (case-insensitive, RFC 2045 §5.1).
    pub fn param(&self, name: &str) -> Option<&'a [u8]> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The `boundary` parameter of a multipart type (RFC 2046 §5.1.1).
    pub fn boundary(&self) -> Option<&'a [u8]> {
        self.param("boundary").filter(|b| !b.is_empty())
    }
}

// ---------------------------------------------------------------------------------------------
// multipart (RFC 2046 §5.1.1)

/// One body part of a multipart body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    /// The raw header block of the part (without the blank line); empty if the part has none.
    pub headers: &'a [u8],
    /// The Content-Type value from `headers`, trimmed; `None` means text/plain
    /// (RFC 2045 §5.2).
    pub content_type: Option<&'a [u8]>,
    /// The part body, without the line end that belongs to the next delimiter.
    pub body: &'a [u8],
    /// Offset of `body` within the multipart body.
    pub offset: usize,
}

impl<'a> Part<'a> {
    /// The value of the first part header called `name` (case-insensitive), trimmed.
    pub fn header_value(&self, name: &[u8]) -> Option<&'a [u8]> {
        part_header(self.headers, name, None)
    }
}

/// Where a delimiter line starts and where the part after it starts.
struct Delimiter {
    /// Offset of the line end before `--boundary` (or of `--` at the very start).
    part_end: usize,
    /// Offset just after the delimiter line (after its CRLF/LF); body length if none.
    next: usize,
    /// `--boundary--`.
    close: bool,
}

/// Find the next delimiter line at or after `from`:
/// `delimiter := CRLF dash-boundary`, `dash-boundary := "--" boundary`, followed by
/// `transport-padding CRLF`, or `"--"` for the close delimiter (RFC 2046 §5.1.1).
/// LF alone is accepted in place of CRLF.
fn find_delimiter(body: &[u8], boundary: &[u8], from: usize) -> Option<Delimiter> {
    let finder = memchr::memmem::Finder::new(boundary);
    let mut search = from;
    loop {
        let hit = search + finder.find(body.get(search..)?)?;
        search = hit + 1;
        // "--" right before the boundary, at the start of a line.
        let dash = hit.checked_sub(2)?;
        if body.get(dash..hit) != Some(b"--") {
            continue;
        }
        let part_end = if dash == 0 {
            0
        } else if body.get(dash - 1) == Some(&b'\n') {
            if dash >= 2 && body.get(dash - 2) == Some(&b'\r') {
                dash - 2
            } else {
                dash - 1
            }
        } else {
            continue;
        };
        if dash < from {
            continue;
        }
        let mut i = hit + boundary.len();
        let close = body.get(i..i + 2) == Some(b"--");
        if close {
            i += 2;
        }
        // transport-padding := *LWSP-char
        while body.get(i).is_some_and(|&b| b == b' ' || b == b'\t') {
            i += 1;
        }
        let next = match body.get(i) {
            None => i,
            Some(b'\n') => i + 1,
            Some(b'\r') if body.get(i + 1) == Some(&b'\n') => i + 2,
            // Something else follows: the boundary text is only a prefix of this line.
            Some(_) => continue,
        };
        return Some(Delimiter {
            part_end,
            next,
            close,
        });
    }
}

/// Split a part into header block and body: the header block ends at the first empty line
/// (RFC 2046 §5.1.1 `body-part := MIME-part-headers [CRLF *OCTET]`).
fn split_part(part: &[u8]) -> (&[u8], usize) {
    let mut pos = 0usize;
    loop {
        let (line_end, next) = match memchr::memchr(b'\n', part.get(pos..).unwrap_or_default()) {
            Some(i) => (pos + i, pos + i + 1),
            // Headers only, no body.
            None => return (part, part.len()),
        };
        let line = part.get(pos..line_end).unwrap_or_default();
        if line.is_empty() || line == b"\r" {
            return (part.get(..pos).unwrap_or_default(), next);
        }
        pos = next;
    }
}

/// The Content-Type value in a part header block (folded lines allowed; RFC 2045 §3).
fn part_content_type(headers: &[u8]) -> Option<&[u8]> {
    part_header(headers, b"content-type", Some(b"c"))
}

/// The value of the first header called `name` (or its compact form) in a part header block.
fn part_header<'h>(headers: &'h [u8], name: &[u8], compact: Option<&[u8]>) -> Option<&'h [u8]> {
    let mut pos = 0usize;
    while pos < headers.len() {
        let rest = headers.get(pos..)?;
        let line_len = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest.get(..line_len)?;
        let colon = memchr::memchr(b':', line);
        if let Some(c) = colon {
            let found = trim(line.get(..c)?);
            if found.eq_ignore_ascii_case(name)
                || compact.is_some_and(|k| found.eq_ignore_ascii_case(k))
            {
                // Extend over continuation lines (starting with SP/HTAB).
                let mut end = pos + line_len;
                while headers.get(end).is_some_and(|&b| b == b' ' || b == b'\t') {
                    let r = headers.get(end..)?;
                    end += memchr::memchr(b'\n', r).map_or(r.len(), |i| i + 1);
                }
                return Some(trim(headers.get(pos + c + 1..end)?));
            }
        }
        pos += line_len;
    }
    None
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ws(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

/// Split a multipart body into its parts (RFC 2046 §5.1.1). The preamble before the first
/// delimiter and the epilogue after the close delimiter are skipped. A missing close
/// delimiter is tolerated: the last part runs to the end of the body.
///
/// Errors: [`ErrorKind::BadMultipart`] if the boundary is empty or longer than 70 characters
/// (RFC 2046 §5.1.1) or no delimiter is present; [`ErrorKind::TooManyValues`] past
/// `max_parts`.
pub fn split_multipart<'a>(
    body: &'a [u8],
    boundary: &[u8],
    max_parts: usize,
) -> Result<Vec<Part<'a>>, ParseError> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(ParseError::new(ErrorKind::BadMultipart, 0));
    }
    let first =
        find_delimiter(body, boundary, 0).ok_or(ParseError::new(ErrorKind::BadMultipart, 0))?;
    let mut parts = Vec::new();
    let mut cur = first;
    while !cur.close {
        let start = cur.next;
        let (end, following) = match find_delimiter(body, boundary, start) {
            Some(d) => (d.part_end.max(start), Some(d)),
            None => {
                // No close delimiter: the part runs to the end (minus a final line end).
                let mut end = body.len();
                if body.get(..end).is_some_and(|b| b.ends_with(b"\n")) {
                    end -= 1;
                    if body.get(..end).is_some_and(|b| b.ends_with(b"\r")) {
                        end -= 1;
                    }
                }
                (end.max(start), None)
            }
        };
        if start >= body.len() && following.is_none() {
            break;
        }
        if parts.len() >= max_parts {
            return Err(ParseError::new(ErrorKind::TooManyValues, start));
        }
        let part = body.get(start..end).unwrap_or_default();
        let (headers, body_start) = split_part(part);
        parts.push(Part {
            headers,
            content_type: part_content_type(headers),
            body: part.get(body_start..).unwrap_or_default(),
            offset: start + body_start,
        });
        match following {
            Some(d) => cur = d,
            None => break,
        }
    }
    Ok(parts)
}

// ---------------------------------------------------------------------------------------------
// Finding the SDP

/// The SDP in a message body: `(offset within body, sdp bytes)`.
///
/// * Content-Type `application/sdp`: the whole body.
/// * `multipart/*` (RFC 5621: multipart/mixed, multipart/alternative, ...): the first
///   `application/sdp` part, following one nested multipart level at most.
/// * Content-Type absent: the body is taken as SDP only if it starts with `v=0`
///   (RFC 3261 §20.15 says a body must have a Content-Type; broken UAs omit it, and `v=0`
///   is unambiguous enough). This is a deliberate leniency.
/// * Any other Content-Type, or one that does not parse: `None`; the body is never sniffed.
pub fn find_sdp<'a>(
    content_type_value: Option<&[u8]>,
    body: &'a [u8],
) -> Option<(usize, &'a [u8])> {
    match content_type_value {
        None => body.starts_with(b"v=0").then_some((0, body)),
        Some(v) if is_plain_sdp(v) => Some((0, body)),
        Some(v) => {
            let ct = ContentType::parse(v).ok()?;
            find_in(&ct, body, 0, 1)
        }
    }
}

/// Is `value` exactly `application/sdp`, in any letter case (RFC 2045 §5.1)? Nearly every SDP
/// body has this Content-Type, and two word compares answer it without [`ContentType::parse`];
/// anything else (parameters, spaces, other types) goes through the full parser.
#[inline]
fn is_plain_sdp(value: &[u8]) -> bool {
    // Bytes 0..8 and 7..15, each ORed with 0x20 where the expected byte is a letter: that
    // folds ASCII case and nothing else (only 'A'..='Z' and 'a'..='z' become 'a'..='z').
    const LO: u64 = u64::from_le_bytes(*b"applicat");
    const HI: u64 = u64::from_le_bytes(*b"tion/sdp");
    const HI_FOLD: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0x20]);
    const LO_FOLD: u64 = 0x2020_2020_2020_2020;
    let Ok(v) = <&[u8; 15]>::try_from(value) else {
        return false;
    };
    let (lo, hi) = (v.first_chunk::<8>(), v.last_chunk::<8>());
    match (lo, hi) {
        (Some(lo), Some(hi)) => {
            u64::from_le_bytes(*lo) | LO_FOLD == LO && u64::from_le_bytes(*hi) | HI_FOLD == HI
        }
        _ => false,
    }
}

fn find_in<'a>(
    ct: &ContentType<'_>,
    body: &'a [u8],
    base: usize,
    depth: usize,
) -> Option<(usize, &'a [u8])> {
    if ct.is_sdp() {
        return Some((base, body));
    }
    if !ct.is_multipart() || depth > MAX_MULTIPART_DEPTH {
        return None;
    }
    let parts = split_multipart(body, ct.boundary()?, DEFAULT_MAX_PARTS).ok()?;
    parts.iter().find_map(|p| {
        let pct = ContentType::parse(p.content_type?).ok()?;
        find_in(&pct, p.body, base + p.offset, depth + 1)
    })
}

#[cfg(test)]
mod tests;
