//! Rewriting a message: apply byte-range edits and keep its framing right.
//!
//! A NAT-aware ALG replaces addresses and ports in headers and SDP. Every token the parsers hand
//! out is a sub-slice of the message, so its range is known ([`Message::span_of`]); the caller
//! collects `(range -> new bytes)` edits and [`rewrite`] applies them in one pass, then sets
//! Content-Length to the new body length. When an edit falls inside a part of a multipart body
//! that carries its own Content-Length header (RFC 2045 parts rarely do, but SIP bodies
//! sometimes carry one), that part's length is corrected too.

use std::ops::Range;

use crate::error::{ErrorKind, ParseError};
use crate::sip::{HeaderName, Message};

/// Replace the bytes at `range` (offsets as given by [`Message::span_of`]) with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit<'e> {
    pub range: Range<usize>,
    pub replacement: &'e [u8],
}

impl<'e> Edit<'e> {
    pub fn new(range: Range<usize>, replacement: &'e [u8]) -> Self {
        Edit { range, replacement }
    }
}

fn bad(offset: usize) -> ParseError {
    ParseError::new(ErrorKind::BadEdit, offset)
}

/// Decimal digits of `n` without allocating.
fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Does `value` (`1*DIGIT`, RFC 3261 §20.14; leading zeros allowed) denote `n`?
fn is_decimal(value: &[u8], n: usize) -> bool {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut acc: usize = 0;
    for d in value {
        match acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(usize::from(d - b'0')))
        {
            Some(a) => acc = a,
            None => return false,
        }
    }
    acc == n
}

/// Number of decimal digits of `n`.
fn decimal_len(n: usize) -> usize {
    let mut len = 1;
    let mut n = n / 10;
    while n > 0 {
        len += 1;
        n /= 10;
    }
    len
}

/// A Content-Length value inside a body part that must be recomputed.
struct PartLength {
    /// Range of the part's Content-Length value.
    value: Range<usize>,
    /// Range of the part's body.
    body: Range<usize>,
}

/// Content-Length headers of multipart parts, located by offset in the message.
fn part_lengths(msg: &Message<'_>) -> Vec<PartLength> {
    let mut found = Vec::new();
    let Some(ct) = msg.header_value(HeaderName::ContentType) else {
        return found;
    };
    let Ok(ct) = crate::body::ContentType::parse(ct) else {
        return found;
    };
    let Some(boundary) = ct.boundary() else {
        return found;
    };
    let Ok(parts) = crate::body::split_multipart(msg.body(), boundary, 64) else {
        return found;
    };
    for part in parts {
        let Some(cl) = part.header_value(b"content-length") else {
            continue;
        };
        if let (Some(value), Some(body)) = (msg.span_of(cl), msg.span_of(part.body)) {
            found.push(PartLength { value, body });
        }
    }
    found
}

/// Apply `edits` to `msg` and return the new message bytes (from the start line to the end of
/// the body), with Content-Length set to the new body length.
///
/// Edits must not overlap, must lie within the message, must not straddle the boundary between
/// header section and body, and must not touch a Content-Length value (this function owns it).
/// Otherwise the error is [`ErrorKind::BadEdit`] at the offending edit's start.
pub fn rewrite(msg: &Message<'_>, edits: &[Edit<'_>]) -> Result<Vec<u8>, ParseError> {
    let input_len = msg.len_in_input();
    let start = msg.start_offset();
    let body_start = msg.body_offset();

    let mut order: Vec<&Edit<'_>> = edits.iter().collect();
    order.sort_by_key(|e| (e.range.start, e.range.end));

    let cl_header = msg.header(HeaderName::ContentLength);
    let cl_value = cl_header.and_then(|h| msg.span_of(h.value));
    let parts = if body_start < input_len {
        part_lengths(msg)
    } else {
        Vec::new()
    };

    let mut prev_end = start;
    let mut body_delta: isize = 0;
    for e in &order {
        let r = &e.range;
        if r.start > r.end || r.start < prev_end || r.end > input_len {
            return Err(bad(r.start));
        }
        if r.start < body_start && r.end > body_start {
            return Err(bad(r.start));
        }
        let touches = |v: &Range<usize>| (r.start < v.end && v.start < r.end) || r.start == v.start;
        if cl_value.as_ref().is_some_and(touches) || parts.iter().any(|p| touches(&p.value)) {
            return Err(bad(r.start));
        }
        if r.start >= body_start {
            body_delta += e.replacement.len() as isize - r.len() as isize;
        }
        prev_end = r.end;
    }

    let bytes = msg.bytes_in_input();
    // The computed replacements for Content-Length values: parts first, since rewriting a
    // part's length changes the body length too (`150` -> `74` is one byte shorter), then the
    // message. A value that already says the right length is left as written (`007` stays
    // `007`), so that a rewrite changes only what the edits change; with no edits it is the
    // identity.
    let mut computed: Vec<(Range<usize>, usize)> = Vec::new();
    for p in &parts {
        let inside: Vec<&&Edit<'_>> = order
            .iter()
            .filter(|e| e.range.start >= p.body.start && e.range.end <= p.body.end)
            .collect();
        if inside.is_empty() {
            // No edit in this part: its length (right or wrong) is not ours to change.
            continue;
        }
        let delta: isize = inside
            .iter()
            .map(|e| e.replacement.len() as isize - e.range.len() as isize)
            .sum();
        let len = (p.body.len() as isize + delta).max(0) as usize;
        if !is_decimal(bytes.get(p.value.clone()).unwrap_or_default(), len) {
            // Part headers lie in the body (they come from `split_multipart(msg.body())`).
            body_delta += decimal_len(len) as isize - p.value.len() as isize;
            computed.push((p.value.clone(), len));
        }
    }
    let new_body_len = (msg.body().len() as isize + body_delta).max(0) as usize;
    if let Some(v) = cl_value {
        if !is_decimal(bytes.get(v.clone()).unwrap_or_default(), new_body_len) {
            computed.push((v, new_body_len));
        }
    }
    computed.sort_by_key(|(r, _)| r.start);

    let mut out = Vec::with_capacity(input_len - start + 64);
    let mut pos = start;
    let mut ei = order.iter().peekable();
    let mut ci = computed.iter().peekable();
    loop {
        let next_edit = ei.peek().map(|e| e.range.start);
        let next_cl = ci.peek().map(|(r, _)| r.start);
        match (next_edit, next_cl) {
            (None, None) => break,
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                let e = ei.next().expect("peeked");
                out.extend_from_slice(&bytes[pos..e.range.start]);
                out.extend_from_slice(e.replacement);
                pos = e.range.end;
            }
            _ => {
                let (r, n) = ci.next().expect("peeked");
                out.extend_from_slice(&bytes[pos..r.start]);
                push_decimal(&mut out, *n);
                pos = r.end;
            }
        }
    }
    out.extend_from_slice(&bytes[pos..input_len]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{Limits, Transport};

    fn parse(b: &[u8]) -> Message<'_> {
        Message::parse(b, Transport::Datagram, &Limits::default()).expect("valid test message")
    }

    const MSG: &[u8] = b"INVITE sip:b@192.0.2.9 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 31\r\n\
\r\n\
c=IN IP4 10.0.0.5\r\nm=audio 4000";

    #[test]
    fn no_edits_is_identity() {
        let m = parse(MSG);
        assert_eq!(rewrite(&m, &[]).unwrap(), MSG);
    }

    #[test]
    fn header_and_body_edits_fix_content_length() {
        let m = parse(MSG);
        let via = m.header(HeaderName::Via).unwrap().value;
        let host = &via[12..20];
        assert_eq!(host, b"10.0.0.5");
        let body = m.body();
        let c_addr = &body[9..17];
        let port = &body[27..31];
        assert_eq!(port, b"4000");
        let edits = [
            Edit::new(m.span_of(host).unwrap(), b"203.0.113.77"),
            Edit::new(m.span_of(c_addr).unwrap(), b"203.0.113.77"),
            Edit::new(m.span_of(port).unwrap(), b"40000"),
        ];
        let out = rewrite(&m, &edits).unwrap();
        let m2 = parse(&out);
        assert_eq!(m2.body(), b"c=IN IP4 203.0.113.77\r\nm=audio 40000");
        assert_eq!(m2.content_length(), Some(m2.body().len()));
        assert_eq!(
            m2.header(HeaderName::Via).unwrap().value,
            b"SIP/2.0/UDP 203.0.113.77:5060;branch=z9hG4bK1"
        );
    }

    /// A multipart body whose SDP part carries its own Content-Length: an edit inside the SDP
    /// fixes the part's length and the message's.
    #[test]
    fn edits_inside_a_multipart_sdp_part() {
        let sdp = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 0\r\n";
        let body = format!(
            "--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}\r\n--b1--\r\n",
            sdp.len()
        );
        let msg = format!(
            "INVITE sip:b@192.0.2.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK2\r\nContent-Type: multipart/mixed;boundary=b1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let m = parse(msg.as_bytes());
        let sdp_bytes = m.sdp_bytes().expect("sdp part found");
        let at = sdp_bytes.windows(8).position(|w| w == b"10.0.0.5").unwrap();
        let addr = &sdp_bytes[at..at + 8];
        let out = rewrite(&m, &[Edit::new(m.span_of(addr).unwrap(), b"203.0.113.200")]).unwrap();
        let m2 = parse(&out);
        assert_eq!(m2.content_length(), Some(m2.body().len()));
        let new_sdp = m2.sdp_bytes().unwrap();
        assert!(std::str::from_utf8(new_sdp)
            .unwrap()
            .contains("c=IN IP4 203.0.113.200\r\n"));
        let s = m2.sdp().unwrap().unwrap();
        assert_eq!(s.media[0].port, 4000);
        // The part's own Content-Length follows the new SDP.
        let ct = crate::body::ContentType::parse(m2.header_value(HeaderName::ContentType).unwrap())
            .unwrap();
        let parts = crate::body::split_multipart(m2.body(), ct.boundary().unwrap(), 8).unwrap();
        let part_cl = parts[1].header_value(b"content-length").unwrap();
        assert_eq!(part_cl, parts[1].body.len().to_string().as_bytes());
        assert_eq!(parts[1].body.len(), sdp.len() + 5);
    }

    #[test]
    fn rejects_overlap_and_content_length_edits() {
        let m = parse(MSG);
        let e = rewrite(&m, &[Edit::new(10..20, b"x"), Edit::new(15..25, b"y")]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadEdit);
        let cl = m
            .span_of(m.header(HeaderName::ContentLength).unwrap().value)
            .unwrap();
        assert!(rewrite(&m, &[Edit::new(cl, b"5")]).is_err());
        assert!(rewrite(&m, &[Edit::new(0..MSG.len() + 1, b"")]).is_err());
        let b = m.body_offset();
        assert!(rewrite(&m, &[Edit::new(b - 3..b + 3, b"")]).is_err());
    }
}
