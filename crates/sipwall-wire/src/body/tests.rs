use super::*;

#[test]
fn content_type_basic() {
    let ct = ContentType::parse(b"application/sdp").unwrap();
    assert!(ct.is_sdp());
    assert!(!ct.is_multipart());
    assert_eq!(ct.params().count(), 0);

    let ct = ContentType::parse(b" Application / SDP ; charset=UTF-8 ").unwrap();
    assert!(ct.is_sdp());
    assert_eq!(ct.mtype, b"Application");
    assert_eq!(ct.param("CHARSET"), Some(&b"UTF-8"[..]));
}

#[test]
fn content_type_multipart_boundary() {
    let ct = ContentType::parse(b"multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
    assert!(ct.is_multipart());
    assert_eq!(ct.boundary(), Some(&b"7a9cbec02ceef655"[..]));

    let ct =
        ContentType::parse(b"multipart/alternative; Boundary=\"simple boundary\"; x=y").unwrap();
    assert_eq!(ct.boundary(), Some(&b"simple boundary"[..]));
    let all: Vec<_> = ct.params().collect();
    assert_eq!(
        all,
        [(&b"Boundary"[..], &b"simple boundary"[..]), (b"x", b"y")]
    );

    // Folded header value (RFC 3261 §7.3.1) is whitespace.
    let ct = ContentType::parse(b"multipart/mixed;\r\n boundary=abc").unwrap();
    assert_eq!(ct.boundary(), Some(&b"abc"[..]));
}

#[test]
fn content_type_errors() {
    for (v, at) in [
        (&b""[..], 0),
        (b"application", 11),
        (b"application/", 12),
        (b"/sdp", 0),
        (b"application/sdp;", 16),
        (b"application/sdp;charset", 23),
        (b"application/sdp;charset=", 24),
        (b"application/sdp;a=\"open", 18),
        (b"application/sdp x", 16),
    ] {
        let e = ContentType::parse(v).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::BadContentType,
            "{:?}",
            String::from_utf8_lossy(v)
        );
        assert_eq!(e.offset, at, "{:?}", String::from_utf8_lossy(v));
    }
    let mut many = b"text/plain".to_vec();
    for _ in 0..=MAX_CONTENT_TYPE_PARAMS {
        many.extend_from_slice(b";a=b");
    }
    assert_eq!(
        ContentType::parse(&many).unwrap_err().kind,
        ErrorKind::TooManyValues
    );
}

fn sip_body(msg: &[u8]) -> &[u8] {
    let i = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &msg[i + 4..]
}

#[test]
fn rfc4475_mpart01() {
    // RFC 4475 §3.1.1.11: multipart/mixed, the second part binary with bare LFs inside.
    let msg = include_bytes!("../../../../tests/fixtures/rfc4475/mpart01.dat");
    let body = sip_body(msg);
    assert_eq!(body.len(), 553);
    let parts = split_multipart(body, b"7a9cbec02ceef655", 8).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type, Some(&b"text/plain"[..]));
    assert_eq!(parts[0].body, b"Hello");
    assert_eq!(&body[parts[0].offset..parts[0].offset + 5], b"Hello");
    assert_eq!(
        parts[0].headers,
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
    );
    assert_eq!(
        parts[1].content_type,
        Some(&b"application/octet-stream"[..])
    );
    // The binary part ends with "\x05\r" before the final CRLF of the delimiter.
    assert!(parts[1].body.starts_with(&[0x30, 0x82]));
    assert!(parts[1].body.contains(&b'\n'));
    let end = parts[1].offset + parts[1].body.len();
    assert_eq!(&body[end..end + 2], b"\r\n");
    assert_eq!(&body[end + 2..], b"--7a9cbec02ceef655--\r\n");
    // No SDP in it.
    assert_eq!(
        find_sdp(Some(b"multipart/mixed;boundary=7a9cbec02ceef655"), body),
        None
    );
}

const MIXED: &[u8] = b"This is the preamble.\r\n\
--boundary42 \r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0\r\n\
o=- 1 1 IN IP4 192.0.2.1\r\n\
s=-\r\n\
c=IN IP4 192.0.2.1\r\n\
t=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n\
\r\n\
--boundary42\r\n\
Content-Type: application/resource-lists+xml\r\n\
Content-Disposition: recipient-list\r\n\
\r\n\
<resource-lists/>\r\n\
--boundary42--\r\n\
epilogue\r\n";

#[test]
fn multipart_mixed_sdp_first() {
    let parts = split_multipart(MIXED, b"boundary42", 8).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type, Some(&b"application/sdp"[..]));
    assert!(parts[0].body.starts_with(b"v=0\r\n"));
    // The CRLF before the delimiter belongs to the delimiter; the empty line before it is body.
    assert!(parts[0].body.ends_with(b"RTP/AVP 0\r\n"));
    assert_eq!(parts[1].body, b"<resource-lists/>");

    let (off, sdp) = find_sdp(Some(b"multipart/mixed; boundary=boundary42"), MIXED).unwrap();
    assert_eq!(&MIXED[off..off + sdp.len()], sdp);
    let sd = crate::sdp::parse(sdp).unwrap();
    assert_eq!(sd.media[0].port, 4000);
}

#[test]
fn multipart_lf_only_and_no_close() {
    let body =
        b"--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: application/sdp\n\nv=0\ns=-\n";
    let parts = split_multipart(body, b"b", 8).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].body, b"hello");
    assert_eq!(parts[1].body, b"v=0\ns=-");
    let (off, sdp) = find_sdp(Some(b"multipart/alternative;boundary=b"), body).unwrap();
    assert_eq!(sdp, b"v=0\ns=-");
    assert_eq!(off, body.len() - 8);
}

#[test]
fn multipart_boundary_prefix_is_not_delimiter() {
    // "--bb" is not a delimiter for boundary "b"; a part without headers starts with CRLF.
    let body = b"--b\r\n\r\nx\r\n--bb\r\ny\r\n--b--";
    let parts = split_multipart(body, b"b", 8).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].headers, b"");
    assert_eq!(parts[0].content_type, None);
    assert_eq!(parts[0].body, b"x\r\n--bb\r\ny");
}

#[test]
fn multipart_errors_and_limits() {
    assert_eq!(
        split_multipart(b"no delimiter here", b"b", 8)
            .unwrap_err()
            .kind,
        ErrorKind::BadMultipart
    );
    assert_eq!(
        split_multipart(b"--\r\n", b"", 8).unwrap_err().kind,
        ErrorKind::BadMultipart
    );
    let body = b"--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--\r\n";
    assert_eq!(split_multipart(body, b"b", 3).unwrap().len(), 3);
    assert_eq!(
        split_multipart(body, b"b", 2).unwrap_err().kind,
        ErrorKind::TooManyValues
    );
}

#[test]
fn nested_multipart() {
    let inner = b"--in\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--in--";
    let mut body = b"--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n".to_vec();
    let inner_at = body.len();
    body.extend_from_slice(inner);
    body.extend_from_slice(b"\r\n--out--\r\n");
    let (off, sdp) = find_sdp(Some(b"multipart/mixed;boundary=out"), &body).unwrap();
    assert_eq!(sdp, b"v=0");
    assert_eq!(off, inner_at + inner.len() - b"v=0\r\n--in--".len());

    // Three levels deep is not followed.
    let mut deep = b"--l1\r\nContent-Type: multipart/mixed;boundary=out\r\n\r\n".to_vec();
    deep.extend_from_slice(&body);
    deep.extend_from_slice(b"\r\n--l1--");
    assert_eq!(find_sdp(Some(b"multipart/mixed;boundary=l1"), &deep), None);
}

#[test]
fn find_sdp_plain_and_absent_type() {
    let sdp = b"v=0\r\ns=-\r\n";
    assert_eq!(find_sdp(Some(b"application/SDP"), sdp), Some((0, &sdp[..])));
    // No Content-Type: accepted only when it starts with v=0.
    assert_eq!(find_sdp(None, sdp), Some((0, &sdp[..])));
    assert_eq!(find_sdp(None, b"hello"), None);
    // Another type: never sniffed.
    assert_eq!(find_sdp(Some(b"text/plain"), sdp), None);
    assert_eq!(find_sdp(Some(b"garbage"), sdp), None);
    // Multipart without boundary.
    assert_eq!(find_sdp(Some(b"multipart/mixed"), sdp), None);
}

#[test]
fn part_content_type_folded() {
    let body = b"--b\r\nContent-Type:\r\n  application/sdp\r\nX: y\r\n\r\nv=0\r\n--b--";
    let parts = split_multipart(body, b"b", 4).unwrap();
    let ct = ContentType::parse(parts[0].content_type.unwrap()).unwrap();
    assert!(ct.is_sdp());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn split_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512),
                              boundary in proptest::collection::vec(any::<u8>(), 0..8)) {
            if let Ok(parts) = split_multipart(&body, &boundary, 16) {
                for p in parts {
                    prop_assert!(p.offset + p.body.len() <= body.len());
                    prop_assert_eq!(&body[p.offset..p.offset + p.body.len()], p.body);
                }
            }
        }

        #[test]
        fn multipartish_never_panics(chunks in proptest::collection::vec(
            prop_oneof![Just(&b"--b"[..]), Just(&b"--b--"[..]), Just(&b"\r\n"[..]),
                        Just(&b"\n"[..]), Just(&b"Content-Type: application/sdp"[..]),
                        Just(&b"v=0"[..]), Just(&b" "[..]), Just(&b"x"[..])], 0..40)) {
            let body: Vec<u8> = chunks.concat();
            let _ = find_sdp(Some(b"multipart/mixed;boundary=b"), &body);
            if let Ok(parts) = split_multipart(&body, b"b", 64) {
                for p in parts {
                    prop_assert_eq!(&body[p.offset..p.offset + p.body.len()], p.body);
                }
            }
        }

        #[test]
        fn content_type_never_panics(v in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(ct) = ContentType::parse(&v) {
                let _ = ct.params().count();
                let _ = ct.boundary();
            }
        }
    }
}

/// What the general path says about `v`: an `application/sdp` type, parameters or not.
fn general_is_sdp(v: &[u8]) -> bool {
    ContentType::parse(v).is_ok_and(|ct| ct.is_sdp())
}

#[test]
fn plain_sdp_fast_path_and_fallback() {
    for v in [
        &b"application/sdp"[..],
        b"APPLICATION/SDP",
        b"Application/Sdp",
        b"aPpLiCaTiOn/sDp",
    ] {
        assert!(is_plain_sdp(v), "{v:?}");
        assert!(general_is_sdp(v));
    }
    // Not the plain form: the general parser decides (and still finds SDP in the first four).
    for v in [
        &b"application/sdp;charset=utf-8"[..],
        b"application / sdp",
        b"application/sdp ",
        b"application\x0fsdp",
        b"application/sdq",
        b"applicatio/sdp",
        b"application/sd",
        b"",
    ] {
        assert!(!is_plain_sdp(v), "{v:?}");
    }
    let body = b"v=0\r\n";
    assert_eq!(
        find_sdp(Some(b"application/sdp;charset=utf-8"), body),
        Some((0, &body[..]))
    );
    assert_eq!(
        find_sdp(Some(b"application / sdp"), body),
        Some((0, &body[..]))
    );
    assert_eq!(find_sdp(Some(b"application\x0fsdp"), body), None);
    assert_eq!(
        find_sdp(Some(b"Application/SDP"), body),
        Some((0, &body[..]))
    );
}

proptest::proptest! {
    /// Whenever the fast check says yes, the full parser says `application/sdp` too; and for
    /// 15-byte values made of the letters of `application/sdp` in both cases and a few
    /// aliasing bytes, they agree exactly.
    #[test]
    fn plain_sdp_agrees_with_content_type_parse(
        picks in proptest::collection::vec(0usize..8, 15),
        upper in proptest::collection::vec(proptest::bool::ANY, 15),
    ) {
        let base = b"application/sdp";
        let v: Vec<u8> = picks
            .iter()
            .zip(&upper)
            .zip(base)
            .map(|((&p, &up), &b)| match p {
                0 => 0x0f,
                1 => b & !0x20 ^ 0x40,
                2 => b'-',
                _ if up => b.to_ascii_uppercase(),
                _ => b,
            })
            .collect();
        let fast = is_plain_sdp(&v);
        if fast {
            proptest::prop_assert!(general_is_sdp(&v));
        }
        // Exactly 15 bytes, no SP/params: the general path's yes means "application/sdp".
        proptest::prop_assert_eq!(fast, general_is_sdp(&v));
    }
}
