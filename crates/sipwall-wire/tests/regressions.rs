//! Regression tests for inputs the fuzz targets (`fuzz/`) found, each named after what broke.

use sipwall_wire::rewrite::{rewrite, Edit};
use sipwall_wire::sip::{HeaderName, Limits, Message, Transport};

fn parse(b: &[u8]) -> Message<'_> {
    Message::parse(b, Transport::Datagram, &Limits::default()).expect("test message parses")
}

/// fuzz `rewrite`: a Content-Length written with a leading zero (`l: 076`, valid `1*DIGIT`,
/// RFC 3261 §20.14) was rewritten as `76` by a rewrite with no edits, which must be the
/// identity.
#[test]
fn rewrite_without_edits_keeps_content_length_with_leading_zeros() {
    let msg: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 03\r\n\r\nabc";
    let m = parse(msg);
    assert_eq!(rewrite(&m, &[]).unwrap(), msg);

    // The shape the fuzzer found: compact `l:` with a leading zero before an SDP body.
    let msg: &[u8] = b"INVITE sip:user@example.com SIP/2.0\r\n\
CSeq: 193942 INVITE\r\n\
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n\
Content-Type: application/sdp\r\n\
l: 015\r\n\
\r\n\
v=0\r\ns=-\r\nt=0 0";
    let m = parse(msg);
    assert_eq!(m.content_length(), Some(15));
    assert_eq!(rewrite(&m, &[]).unwrap(), msg);
}

/// The same message with an edit in the body: the length changes, so Content-Length is
/// rewritten (without the leading zero).
#[test]
fn rewrite_with_body_edit_replaces_content_length_with_leading_zeros() {
    let msg: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 03\r\n\r\nabc";
    let m = parse(msg);
    let b = m.body_offset();
    let out = rewrite(&m, &[Edit::new(b..b + 1, b"xyz")]).unwrap();
    assert_eq!(out, b"OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nxyzbc");
    // An edit that keeps the length keeps the value as written.
    let out = rewrite(&m, &[Edit::new(b..b + 1, b"z")]).unwrap();
    assert_eq!(out, b"OPTIONS sip:a@b SIP/2.0\r\nl: 03\r\n\r\nzbc");
}

const MULTIPART: &[u8] = b"INVITE sip:b@192.0.2.9 SIP/2.0\r\n\
Content-Type: multipart/mixed;boundary=xx\r\n\
Content-Length: 86\r\n\
\r\n\
--xx\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 99\r\n\
\r\n\
c=IN IP4 10.0.0.5\r\n\
--xx--\r\n";

/// A multipart part whose own Content-Length is wrong was "corrected" by a rewrite with no
/// edits; a part no edit touches is now left as written.
#[test]
fn rewrite_without_edits_keeps_wrong_part_content_length() {
    let m = parse(MULTIPART);
    assert_eq!(m.content_length(), Some(m.body().len()));
    assert_eq!(rewrite(&m, &[]).unwrap(), MULTIPART);
}

/// An edit inside such a part still corrects the part's Content-Length.
#[test]
fn rewrite_with_part_edit_corrects_part_content_length() {
    let m = parse(MULTIPART);
    let body = m.body();
    let at = body
        .windows(8)
        .position(|w| w == b"10.0.0.5")
        .expect("address in test body");
    let start = m.body_offset() + at;
    let out = rewrite(&m, &[Edit::new(start..start + 8, b"203.0.113.77")]).unwrap();
    let m2 = parse(&out);
    assert_eq!(m2.content_length(), Some(m2.body().len()));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("c=IN IP4 203.0.113.77\r\n"), "{text}");
    // The part body is `c=IN IP4 203.0.113.77` (21 bytes; the CRLF before the delimiter
    // belongs to the delimiter, RFC 2046 §5.1.1).
    assert!(text.contains("Content-Length: 21\r\n"), "{text}");
    assert_eq!(
        m2.header(HeaderName::ContentLength).map(|h| h.value),
        Some(m2.body().len().to_string().as_bytes())
    );
}

/// fuzz `rewrite`: an edit inside a multipart part rewrote the part's Content-Length from
/// `150` to `74`, one digit shorter, but the message Content-Length counted only the edit, so
/// it claimed one byte more than the new body (the re-parse failed with TruncatedBody).
#[test]
fn rewrite_counts_part_content_length_digits_in_message_content_length() {
    let msg: &[u8] = b"MESSAGE sip:a@example.org SIP/2.0\r\n\
Content-Type: multipart/mixed;boundary=b1\r\n\
Content-Length: 119\r\n\
\r\n\
--b1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 150\r\n\
\r\n\
v=0\r\n\
o=x 1 1 IN IP4 192.0.2.1\r\n\
c=IN IP4 192.0.2.1\r\n\
--b1--\r\n";
    let m = parse(msg);
    assert_eq!(m.content_length(), Some(m.body().len()));
    let body = m.body();
    // Replace `o=x 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1` (44 bytes) with 1 byte, so the
    // part length becomes 6 (one digit): the part value loses two digits.
    let from = body
        .windows(3)
        .position(|w| w == b"o=x")
        .expect("o= in test body");
    let to = body
        .windows(11)
        .rposition(|w| w == b"192.0.2.1\r\n")
        .expect("c= address in test body")
        + 9;
    let start = m.body_offset() + from;
    let end = m.body_offset() + to;
    let out = rewrite(&m, &[Edit::new(start..end, b"x")]).unwrap();
    let m2 = Message::parse(&out, Transport::Datagram, &Limits::default())
        .expect("rewritten message parses");
    assert_eq!(m2.content_length(), Some(m2.body().len()));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("\r\n\r\nv=0\r\nx\r\n--b1--"), "{text}");
    // The part body is `v=0\r\nx` (6 bytes).
    assert!(text.contains("Content-Length: 6\r\n"), "{text}");
}
