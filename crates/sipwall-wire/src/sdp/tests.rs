use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn at(body: &[u8], r: &Range<usize>) -> String {
    String::from_utf8_lossy(&body[r.clone()]).into_owned()
}

/// A typical G.711 offer (RFC 3264 §10.1 style, written for this test).
const G711: &[u8] = b"v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n";

#[test]
fn g711_offer() {
    let sd = parse(G711).unwrap();
    assert!(!sd.normalized);
    let o = sd.origin.as_ref().unwrap();
    assert_eq!(o.username, "alice");
    assert_eq!(o.sess_id, "2890844526");
    assert_eq!(o.sess_version, 2890844526);
    assert_eq!(o.nettype, "IN");
    assert_eq!(o.addrtype, "IP4");
    assert_eq!(o.ip(), Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))));
    assert_eq!(at(G711, &o.address_span), "192.0.2.10");
    assert_eq!(
        at(G711, &o.line),
        "o=alice 2890844526 2890844526 IN IP4 192.0.2.10"
    );

    let c = sd.connection.as_ref().unwrap();
    assert_eq!(c.ip, Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))));
    assert_eq!(at(G711, &c.address_span), "192.0.2.10");
    assert_eq!(at(G711, &c.line), "c=IN IP4 192.0.2.10");
    assert!(!c.is_hold_address());

    assert_eq!(sd.media.len(), 1);
    let m = &sd.media[0];
    assert_eq!(m.kind, MediaKind::Audio);
    assert_eq!(m.port, 49170);
    assert_eq!(at(G711, &m.port_span), "49170");
    assert_eq!(m.port_count, 1);
    assert_eq!(m.port_count_span, None);
    assert_eq!(m.proto, "RTP/AVP");
    assert!(m.is_rtp());
    assert_eq!(m.formats, ["0", "8", "101"]);
    assert_eq!(m.connection_level, Some(ConnectionLevel::Session));
    assert_eq!(m.effective_connection(&sd).unwrap().address, "192.0.2.10");
    assert_eq!(m.direction, Direction::SendRecv);
    assert_eq!(m.direction_attribute, None);
    assert_eq!(m.rtcp_port, Some(49171));
    assert!(!m.is_hold(&sd));
    assert_eq!(m.attributes.len(), 5);
    assert_eq!(m.attribute("ptime"), Some(Some("20".into())));
    assert_eq!(
        m.attributes.iter().next().unwrap(),
        (Cow::from("rtpmap"), Some(Cow::from("0 PCMU/8000")))
    );
    assert_eq!(at(G711, &m.line), "m=audio 49170 RTP/AVP 0 8 101");
}

#[test]
fn lf_only_lines_same_result() {
    let lf: Vec<u8> = G711.iter().copied().filter(|&b| b != b'\r').collect();
    let a = parse(G711).unwrap();
    let b = parse(&lf).unwrap();
    assert!(!b.normalized);
    assert_eq!(a.media[0].formats, b.media[0].formats);
    assert_eq!(at(&lf, &b.media[0].port_span), "49170");
    assert_eq!(
        at(&lf, &b.connection.as_ref().unwrap().address_span),
        "192.0.2.10"
    );
}

#[test]
fn hold_sendonly_and_zero_address() {
    let body = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
    let sd = parse(body).unwrap();
    assert_eq!(sd.media[0].direction, Direction::SendOnly);
    assert_eq!(sd.media[0].direction_attribute, Some(Direction::SendOnly));
    assert!(sd.media[0].is_hold(&sd));

    // RFC 3264 §8.4: the RFC 2543 form, c=0.0.0.0.
    let body = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n";
    let sd = parse(body).unwrap();
    let c = sd.connection.as_ref().unwrap();
    assert!(c.is_hold_address());
    assert!(c.is_unspecified());
    assert_eq!(sd.media[0].direction, Direction::SendRecv);
    assert!(sd.media[0].is_hold(&sd));

    // Session-level inactive is the default for media without their own attribute.
    let body = b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=inactive\r\n\
m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 31\r\na=recvonly\r\n";
    let sd = parse(body).unwrap();
    assert_eq!(sd.direction, Some(Direction::Inactive));
    assert_eq!(sd.media[0].direction, Direction::Inactive);
    assert_eq!(sd.media[1].direction, Direction::RecvOnly);
    assert!(sd.origin.is_none(), "no o= line: no invented origin");
}

#[test]
fn port_count() {
    // RFC 8866 §5.14: m=<media> <port>/<number of ports> <proto> <fmt>
    let body = b"v=0\r\ns=-\r\nc=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\nm=video 49170/2 RTP/AVP 31\r\n";
    let sd = parse(body).unwrap();
    let m = &sd.media[0];
    assert_eq!(m.port, 49170);
    assert_eq!(m.port_count, 2);
    assert_eq!(at(body, &m.port_span), "49170");
    assert_eq!(at(body, m.port_count_span.as_ref().unwrap()), "2");
    let c = sd.connection.as_ref().unwrap();
    assert_eq!(c.address, "224.2.1.1");
    assert_eq!(c.ttl, Some(127));
    assert_eq!(c.count, Some(3));
    assert!(c.is_multicast());
    assert_eq!(at(body, &c.address_span), "224.2.1.1");
}

#[test]
fn rtcp_with_address_and_mux() {
    // RFC 3605 §2.1 example form, and RFC 5761 rtcp-mux.
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\na=rtcp:53020 IN IP4 126.16.64.4\r\n\
m=audio 49180 RTP/AVP 0\r\na=rtcp:53030\r\n\
m=video 49190 RTP/AVP 31\r\na=rtcp-mux\r\n\
m=audio 0 RTP/AVP 0\r\n";
    let sd = parse(body).unwrap();
    let m = &sd.media[0];
    let r = m.rtcp.as_ref().unwrap();
    assert_eq!(r.port, 53020);
    assert_eq!(at(body, &r.port_span), "53020");
    let rc = r.connection.as_ref().unwrap();
    assert_eq!(rc.ip, Some(IpAddr::V4(Ipv4Addr::new(126, 16, 64, 4))));
    assert_eq!(at(body, &rc.address_span), "126.16.64.4");
    assert_eq!(m.rtcp_port, Some(53020));

    let m = &sd.media[1];
    assert_eq!(m.rtcp.as_ref().unwrap().connection, None);
    assert_eq!(m.rtcp_port, Some(53030));

    let m = &sd.media[2];
    assert!(m.rtcp_mux);
    assert_eq!(m.rtcp_port, Some(49190));

    let m = &sd.media[3];
    assert!(m.is_disabled());
    assert_eq!(m.rtcp_port, None);
}

#[test]
fn t38_image_offer() {
    // Shape of a T.38 re-INVITE as sent by common gateways.
    let body = b"v=0\r\n\
o=gw 1234 1235 IN IP4 198.51.100.7\r\n\
s=SIP Call\r\n\
c=IN IP4 198.51.100.7\r\n\
t=0 0\r\n\
m=image 17002 udptl t38\r\n\
c=IN IP4 198.51.100.8\r\n\
a=T38FaxVersion:0\r\n\
a=T38MaxBitRate:14400\r\n\
a=T38FaxFillBitRemoval:0\r\n\
a=T38FaxRateManagement:transferredTCF\r\n\
a=T38FaxMaxBuffer:200\r\n\
a=T38FaxMaxDatagram:72\r\n\
a=T38FaxUdpEC:t38UDPRedundancy\r\n";
    let sd = parse(body).unwrap();
    let m = &sd.media[0];
    assert_eq!(m.kind, MediaKind::Image);
    assert_eq!(m.proto, "udptl");
    assert!(m.is_t38());
    assert!(!m.is_rtp());
    assert_eq!(m.connection_level, Some(ConnectionLevel::Media));
    assert_eq!(m.effective_connection(&sd).unwrap().address, "198.51.100.8");
    assert_eq!(at(body, &m.connections[0].address_span), "198.51.100.8");
    let t38: Vec<_> = m.t38_attributes().map(|(n, _)| n).collect();
    assert_eq!(t38.len(), 7);
    assert_eq!(
        m.attribute("T38FaxRateManagement"),
        Some(Some("transferredTCF".into()))
    );
}

#[test]
fn rfc6193_ike_offer_answer() {
    // Modelled on the RFC 6193 offer/answer: IKE media with ike-setup and fingerprint.
    let offer = b"v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n\
s=-\r\n\
c=IN IP4 192.0.2.1\r\n\
t=0 0\r\n\
m=application 500 udp ike-esp\r\n\
a=ike-setup:actpass\r\n\
a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n\
m=application 4500 udp ike-esp-udpencap\r\n\
a=ike-setup:actpass\r\n\
a=psk-fingerprint:SHA-1 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78\r\n";
    let sd = parse(offer).unwrap();
    let m = &sd.media[0];
    assert_eq!(m.kind, MediaKind::Application);
    assert_eq!(m.port, 500);
    assert_eq!(m.proto, "udp");
    assert_eq!(m.formats, ["ike-esp"]);
    assert_eq!(m.ike_setup, Some(IkeSetup::ActPass));
    assert_eq!(m.fingerprints[0].hash_func, "SHA-1");
    assert!(m.fingerprints[0].value.as_str().starts_with("4A:AD"));
    let m = &sd.media[1];
    assert_eq!(m.formats, ["ike-esp-udpencap"]);
    assert_eq!(m.psk_fingerprints.len(), 1);

    let answer = b"v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n\
m=application 500 udp ike-esp\r\na=ike-setup:passive\r\n\
a=fingerprint:SHA-256 AB:CD\r\n";
    let sd = parse(answer).unwrap();
    assert_eq!(sd.media[0].ike_setup, Some(IkeSetup::Passive));
}

#[test]
fn ike_proto_field_form() {
    // Some stacks write the IKE identifier in the proto field.
    let body = b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=application 500 ike-esp 0\r\na=ike-setup:active\r\n";
    let sd = parse(body).unwrap();
    assert!(sd.media[0].is_ike());
    assert_eq!(sd.media[0].ike_setup, Some(IkeSetup::Active));
}

fn sip_body(msg: &[u8]) -> &[u8] {
    let i = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &msg[i + 4..]
}

#[test]
fn rfc5118_ipv6_in_sdp() {
    let msg = include_bytes!("../../../../tests/fixtures/rfc5118/ersip-crlf/ipv6-in-sdp.dat");
    let body = sip_body(msg);
    let sd = parse(body).unwrap();
    let v6: IpAddr = "2001:db8::20".parse::<Ipv6Addr>().unwrap().into();
    assert_eq!(sd.origin.as_ref().unwrap().ip(), Some(v6));
    let c = sd.connection.as_ref().unwrap();
    assert_eq!(c.addrtype, "IP6");
    assert_eq!(c.ip, Some(v6));
    assert_eq!(at(body, &c.address_span), "2001:db8::20");
    assert_eq!(sd.media.len(), 2);
    assert_eq!(sd.media[1].kind, MediaKind::Video);
    assert_eq!(sd.media[1].port, 6024);
    assert_eq!(at(body, &sd.media[1].port_span), "6024");
}

#[test]
fn rfc5118_mult_ip_in_sdp() {
    let msg = include_bytes!("../../../../tests/fixtures/rfc5118/ersip-crlf/mult-ip-in-sdp.dat");
    let body = sip_body(msg);
    let sd = parse(body).unwrap();
    let o = sd.origin.as_ref().unwrap();
    assert_eq!(o.address, "host.example.com");
    assert_eq!(o.ip(), None);
    assert!(sd.connection.is_none());
    assert_eq!(
        sd.media[0].connections[0].ip,
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
    assert_eq!(sd.media[1].connections[0].addrtype, "IP6");
    assert_eq!(
        at(body, &sd.media[1].connections[0].address_span),
        "2001:db8::1"
    );
}

#[test]
fn rfc5118_archive_lf_form() {
    let msg = include_bytes!("../../../../tests/fixtures/rfc5118/archive-lf/ipv6-in-sdp.dat");
    let i = msg.windows(2).position(|w| w == b"\n\n").unwrap();
    let sd = parse(&msg[i + 2..]).unwrap();
    assert_eq!(sd.media.len(), 2);
}

#[test]
fn rfc4475_sdp01() {
    let msg = include_bytes!("../../../../tests/fixtures/rfc4475/sdp01.dat");
    let sd = parse(sip_body(msg)).unwrap();
    assert_eq!(sd.media.len(), 2);
    assert_eq!(sd.media[0].formats, ["0", "12"]);
}

#[test]
fn hostname_connection_unresolved() {
    let body = b"v=0\r\ns=-\r\nc=IN IP4 media.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let sd = parse(body).unwrap();
    let c = sd.connection.as_ref().unwrap();
    assert!(c.is_unresolved());
    assert_eq!(c.address, "media.example.com");
}

#[test]
fn bandwidth_as_levels() {
    let body = b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nb=AS:256\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\nb=AS:64\r\nb=TIAS:64000\r\n";
    let sd = parse(body).unwrap();
    assert_eq!(sd.bandwidth_as(), Some(256));
    assert_eq!(sd.media[0].bandwidth_as(), Some(64));
    assert_eq!(sd.media[0].bandwidths.len(), 2);
}

#[test]
fn lenient_path() {
    // Trailing blanks, a double space in m=, no t=, last line ending in CR only, Latin-1 s=.
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1 \r\ns=Sitzung \xe4\r\nc=IN IP4  192.0.2.1\r\n\
m=audio  4000 RTP/AVP 0 \r\na=sendonly\r";
    let sd = parse(body).unwrap();
    assert!(sd.normalized);
    let m = &sd.media[0];
    assert_eq!(m.port, 4000);
    assert_eq!(m.proto, "RTP/AVP");
    assert_eq!(m.formats, ["0"]);
    assert_eq!(at(body, &m.port_span), "4000");
    assert_eq!(m.direction, Direction::SendOnly);
    assert_eq!(
        at(body, &sd.connection.as_ref().unwrap().address_span),
        "192.0.2.1"
    );
    assert_eq!(
        at(body, &sd.origin.as_ref().unwrap().address_span),
        "192.0.2.1"
    );
    assert!(sd.session_name.as_str().starts_with("Sitzung"));
}

#[test]
fn errors() {
    assert_eq!(parse(b"").unwrap_err().kind, ErrorKind::BadSdp);
    assert_eq!(
        parse(b"o=- 1 1 IN IP4 1.2.3.4\r\n").unwrap_err().kind,
        ErrorKind::BadSdp
    );
    assert_eq!(parse(b"v=1\r\n").unwrap_err().kind, ErrorKind::BadSdp);
    let e = parse(b"v=0\r\ns=-\r\nbroken line\r\n").unwrap_err();
    assert_eq!(e, ParseError::new(ErrorKind::BadSdp, 10));
    // Port out of range: reported on the m= line.
    let body = b"v=0\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n";
    assert_eq!(
        parse(body).unwrap_err(),
        ParseError::new(ErrorKind::BadSdp, 10)
    );
    // Two session-level c= lines (RFC 8866 §5.7 allows one).
    let body = b"v=0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 2.2.2.2\r\n";
    assert_eq!(
        parse(body).unwrap_err(),
        ParseError::new(ErrorKind::BadSdp, 23)
    );
}

#[test]
fn too_many_media() {
    let mut body = b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n".to_vec();
    for _ in 0..3 {
        body.extend_from_slice(b"m=audio 4000 RTP/AVP 0\r\n");
    }
    let limits = SdpLimits {
        max_media: 2,
        ..SdpLimits::default()
    };
    let e = parse_with(&body, &limits).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooManyValues);
    assert!(parse_with(&body, &SdpLimits::default()).is_ok());
    let limits = SdpLimits {
        max_lines: 3,
        ..SdpLimits::default()
    };
    assert_eq!(
        parse_with(&body, &limits).unwrap_err().kind,
        ErrorKind::TooManyValues
    );
}

#[test]
fn serializes_to_json() {
    let sd = parse(G711).unwrap();
    let j = serde_json::to_value(&sd).unwrap();
    assert_eq!(j["media"][0]["kind"], "audio");
    assert_eq!(j["media"][0]["direction"], "sendrecv");
    let port_at = G711.windows(5).position(|w| w == b"49170").unwrap();
    assert_eq!(j["media"][0]["port_span"]["start"], port_at);
}

/// Rough timing, not an assertion:
/// `cargo test --release -p sipwall-wire --lib sdp_speed -- --ignored --nocapture`.
#[test]
#[ignore]
// A manual timing loop, never a timed assertion; a criterion bench can replace it.
#[allow(clippy::disallowed_methods)]
fn sdp_speed() {
    let n = 200_000u32;
    let time = |f: &dyn Fn()| {
        let t = std::time::Instant::now();
        for _ in 0..n {
            f();
        }
        t.elapsed() / n
    };
    // Warm up caches and the allocator.
    time(&|| {
        std::hint::black_box(parse(std::hint::black_box(G711)).unwrap());
    });
    let model = time(&|| {
        std::hint::black_box(parse(std::hint::black_box(G711)).unwrap());
    });
    let strict = time(&|| {
        std::hint::black_box(validate_strict(std::hint::black_box(G711)).is_ok());
    });
    println!("parse (hand-scanned model): {model:?}/SDP, validate_strict (sdp-types): {strict:?}");
}

// ---------------------------------------------------------------------------------------------
// The hand-scanned model agrees with sdp-types (the strict parser) on the fields both know.

/// Checks the model of `body` against sdp-types; `false` when sdp-types refuses the body
/// (nothing to compare). The model must accept whatever sdp-types accepts.
fn agrees_with_sdp_types(body: &[u8]) -> bool {
    let Ok(st) = sdp_types::Session::parse(body) else {
        assert!(validate_strict(body).is_err());
        return false;
    };
    validate_strict(body).unwrap();
    let sd = parse(body).expect("the model accepts what sdp-types accepts");
    let text = |r: &Range<usize>| String::from_utf8_lossy(&body[r.clone()]).into_owned();

    fn same_connection(a: &sdp_types::Connection, b: &Connection<'_>) {
        assert!(b.nettype.eq_ignore_ascii_case(&a.nettype.to_string()));
        assert!(b.addrtype.eq_ignore_ascii_case(&a.addrtype.to_string()));
        let mut parts = a.connection_address.split('/');
        assert_eq!(
            parts.next().map(str::to_string),
            Some(b.address.to_string())
        );
        let (first, second) = (parts.next(), parts.next());
        if b.addrtype.eq_ignore_ascii_case("IP4") {
            assert_eq!(first.and_then(|s| s.parse().ok()), b.ttl);
            assert_eq!(second.and_then(|s| s.parse().ok()), b.count);
        } else {
            assert_eq!(first.and_then(|s| s.parse().ok()), b.count);
        }
    }
    fn same_bandwidths(a: &[sdp_types::Bandwidth], b: &[Bandwidth<'_>]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.bwtype, y.bwtype);
            assert_eq!(x.bandwidth, y.value);
        }
    }
    fn same_attributes(a: &[sdp_types::Attribute], b: &Attributes<'_>) {
        assert_eq!(a.len(), b.len());
        for (x, (n, v)) in a.iter().zip(b) {
            assert_eq!(x.attribute.trim(), n);
            assert_eq!(x.value.as_deref().map(str::trim), v.as_deref());
        }
    }

    if let Some(o) = &sd.origin {
        let so = &st.origin;
        assert_eq!(so.username.as_deref().unwrap_or("-"), o.username);
        assert_eq!(so.sess_id, o.sess_id);
        assert_eq!(so.sess_version, o.sess_version);
        assert_eq!(so.unicast_address, o.address);
        assert_eq!(text(&o.address_span), o.address);
    }
    // The model drops trailing blanks of every line (sdp-types keeps them in free text).
    assert_eq!(
        st.session_name.trim_end_matches([' ', '\t']),
        sd.session_name
    );
    match (&st.connection, &sd.connection) {
        (Some(a), Some(b)) => {
            same_connection(a, b);
            assert_eq!(text(&b.address_span), b.address);
        }
        (None, None) => {}
        (a, b) => panic!("session c=: sdp-types {a:?}, model {b:?}"),
    }
    same_bandwidths(&st.bandwidths, &sd.bandwidths);
    same_attributes(&st.attributes, &sd.attributes);

    assert_eq!(st.medias.len(), sd.media.len());
    for (a, m) in st.medias.iter().zip(&sd.media) {
        assert!(a.media.eq_ignore_ascii_case(&m.kind.as_str()));
        assert_eq!(a.port, m.port);
        assert_eq!(text(&m.port_span), m.port.to_string());
        assert_eq!(a.num_ports.unwrap_or(1), m.port_count);
        assert_eq!(a.num_ports.is_some(), m.port_count_span.is_some());
        assert_eq!(a.proto, m.proto);
        let formats: Vec<&str> = a.fmt.split_ascii_whitespace().collect();
        assert!(m.formats.iter().eq(formats));
        assert_eq!(a.connections.len(), m.connections.len());
        for (x, y) in a.connections.iter().zip(&m.connections) {
            same_connection(x, y);
            assert_eq!(text(&y.address_span), y.address);
        }
        same_bandwidths(&a.bandwidths, &m.bandwidths);
        same_attributes(&a.attributes, &m.attributes);
    }
    true
}

/// Every SDP body of the tests above (copies of the inline ones, and the fixtures).
fn test_bodies() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        G711.to_vec(),
        G711.iter().copied().filter(|&b| b != b'\r').collect(),
        b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"
            .to_vec(),
        b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n"
            .to_vec(),
        b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=inactive\r\n\
m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 31\r\na=recvonly\r\n"
            .to_vec(),
        b"v=0\r\ns=-\r\nc=IN IP4 224.2.1.1/127/3\r\nt=0 0\r\nm=video 49170/2 RTP/AVP 31\r\n"
            .to_vec(),
        b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\na=rtcp:53020 IN IP4 126.16.64.4\r\n\
m=audio 49180 RTP/AVP 0\r\na=rtcp:53030\r\n\
m=video 49190 RTP/AVP 31\r\na=rtcp-mux\r\n\
m=audio 0 RTP/AVP 0\r\n"
            .to_vec(),
        b"v=0\r\no=gw 1234 1235 IN IP4 198.51.100.7\r\ns=SIP Call\r\nc=IN IP4 198.51.100.7\r\n\
t=0 0\r\nm=image 17002 udptl t38\r\nc=IN IP4 198.51.100.8\r\na=T38FaxVersion:0\r\n\
a=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\n"
            .to_vec(),
        b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n\
t=0 0\r\nm=application 500 udp ike-esp\r\na=ike-setup:actpass\r\n\
a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n\
m=application 4500 udp ike-esp-udpencap\r\na=ike-setup:actpass\r\n\
a=psk-fingerprint:SHA-1 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78\r\n"
            .to_vec(),
        b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=application 500 ike-esp 0\r\n\
a=ike-setup:active\r\n"
            .to_vec(),
        b"v=0\r\ns=-\r\nc=IN IP4 media.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".to_vec(),
        b"v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nb=AS:256\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\nb=AS:64\r\nb=TIAS:64000\r\n"
            .to_vec(),
    ];
    for msg in [
        &include_bytes!("../../../../tests/fixtures/rfc5118/ersip-crlf/ipv6-in-sdp.dat")[..],
        &include_bytes!("../../../../tests/fixtures/rfc5118/ersip-crlf/mult-ip-in-sdp.dat")[..],
        &include_bytes!("../../../../tests/fixtures/rfc4475/sdp01.dat")[..],
    ] {
        v.push(sip_body(msg).to_vec());
    }
    v
}

#[test]
fn model_agrees_with_sdp_types_on_test_bodies() {
    let bodies = test_bodies();
    let compared = bodies.iter().filter(|b| agrees_with_sdp_types(b)).count();
    assert_eq!(compared, bodies.len(), "sdp-types accepts every test body");
}

#[test]
fn validate_strict_refuses_what_the_model_tolerates() {
    // Trailing blanks, a double space in m=, Latin-1 s=: tolerated by the model, not strict.
    let body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1 \r\ns=Sitzung \xe4\r\nc=IN IP4  192.0.2.1\r\n\
m=audio  4000 RTP/AVP 0 \r\na=sendonly\r";
    assert!(parse(body).unwrap().normalized);
    let e = validate_strict(body).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadSdp);
    // A second session c= is named by its line.
    let body = b"v=0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 2.2.2.2\r\n";
    assert_eq!(
        validate_strict(body).unwrap_err(),
        ParseError::new(ErrorKind::BadSdp, 23)
    );
    assert_eq!(
        validate_strict(b"").unwrap_err(),
        ParseError::new(ErrorKind::BadSdp, 0)
    );
    validate_strict(G711).unwrap();
}

#[test]
fn tolerated_bytes_are_flagged() {
    // NUL inside an a= value, a bare CR inside a line, a tab between fields.
    for body in [
        &b"v=0\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\na=x:a\0b\r\n"[..],
        b"v=0\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\na=x:a\rb\r\n",
        b"v=0\r\ns=-\r\nm=audio\t4000 RTP/AVP 0\r\n",
        b"v=0\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n\r\r\n",
    ] {
        let sd = parse(body).unwrap();
        assert!(sd.normalized, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(sd.media[0].port, 4000);
        assert!(validate_strict(body).is_err());
    }
    // Long lines cross the 8-byte words of the line-end search.
    let mut body = b"v=0\r\ns=".to_vec();
    body.extend_from_slice(&[b'x'; 61]);
    body.extend_from_slice(b"\r\nm=audio 4000 RTP/AVP 0\r\n");
    let sd = parse(&body).unwrap();
    assert!(!sd.normalized);
    assert_eq!(sd.session_name.len(), 61);
}

/// The one-pass IPv4 parse on the edge cases of RFC 8866 §9 `IP4-address`, against `std`.
#[test]
fn parse_ipv4_strict_edges() {
    for v in [
        &b"0.0.0.0"[..],
        b"255.255.255.255",
        b"192.0.2.10",
        b"256.0.0.1",
        b"1.2.3.04",
        b"01.2.3.4",
        b"1.2.3.0",
        b"1.2.3",
        b"1.2.3.4.",
        b"1.2.3.4.5",
        b".1.2.3",
        b"1..2.3",
        b"1.2.3.4 ",
        b"1000.2.3.4",
        b"0.0.0.00",
        b"1.2.3.999",
        b"12.34.56.7x",
        b"",
        b"0",
        b"1.2.3.",
        b"1.2.3.4\0",
        b"25.0.0.256",
        b"00.0.0.0",
        b"1.2.3.4.5.6.7.8",
        b"255.255.255.2555",
        b"99999999999999999999.1.1.1",
    ] {
        let std = std::str::from_utf8(v)
            .unwrap()
            .parse::<std::net::Ipv4Addr>()
            .ok();
        assert_eq!(
            parse_ipv4_strict(v),
            std,
            "{:?}",
            String::from_utf8_lossy(v)
        );
    }
}

/// The short (unchecked) and long (checked) paths of `decimal_u64` read numbers as
/// `str::parse::<u64>` does, at the 19/20-digit boundary and around `u64::MAX`.
#[test]
fn decimal_u64_edges() {
    for v in [
        &b"0"[..],
        b"+7",
        b"+",
        b"",
        b"49170",
        b"1x",
        b"-1",
        b"9999999999999999999",
        b"10000000000000000000",
        b"18446744073709551615",
        b"18446744073709551616",
        b"99999999999999999999",
        b"000000000000000000000000042",
        b"00000000000000000000000004x",
    ] {
        let std = std::str::from_utf8(v).unwrap().parse::<u64>().ok();
        assert_eq!(decimal_u64(v), std, "{:?}", String::from_utf8_lossy(v));
    }
}

mod ip_prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The one-pass IPv4 path gives exactly what `std`'s `IpAddr` parser gives.
        #[test]
        fn parse_ip_is_std_parse(v in "[0-9.]{0,17}|[0-9a-f:.]{0,24}|[0-9a-z.-]{0,12}") {
            prop_assert_eq!(parse_ip(v.as_bytes()), v.parse::<IpAddr>().ok());
        }

        #[test]
        fn decimal_u64_is_std_parse(v in "[+]?[0-9]{0,24}|[0-9+a-]{0,6}") {
            prop_assert_eq!(decimal_u64(v.as_bytes()), v.parse::<u64>().ok());
        }

        #[test]
        fn parse_ip_is_std_parse_on_dotted_quads(a in 0u16..400, b in 0u16..300, c in 0u16..300, d in 0u16..300, z in 0usize..3) {
            let zeros = "0".repeat(z);
            let v = format!("{zeros}{a}.{b}.{c}.{d}");
            prop_assert_eq!(parse_ip(v.as_bytes()), v.parse::<IpAddr>().ok());
        }
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    /// One generated well-formed SDP (RFC 8866 §9 grammar, the shapes SIP endpoints send).
    pub(super) fn well_formed_sdp() -> impl Strategy<Value = Vec<u8>> {
        let token = "[a-zA-Z][a-zA-Z0-9-]{0,11}";
        let value = "[!-~]([ -~]{0,20}[!-~])?";
        let attribute = prop_oneof![
            (token, proptest::option::of(value)).prop_map(|(n, v)| match v {
                Some(v) => format!("a={n}:{v}"),
                None => format!("a={n}"),
            }),
            (0u16..=65535).prop_map(|p| format!("a=rtcp:{p}")),
            Just("a=rtcp:53020 IN IP4 126.16.64.4".to_owned()),
            Just("a=rtcp-mux".to_owned()),
            Just("a=sendonly".to_owned()),
            Just("a=fingerprint:SHA-256 AB:CD:EF".to_owned()),
            Just("a=ike-setup:passive".to_owned()),
        ];
        let address = prop_oneof![
            any::<[u8; 4]>().prop_map(|a| format!("IN IP4 {}", Ipv4Addr::from(a))),
            any::<[u8; 4]>().prop_map(|a| format!("IN IP4 {}/127/2", Ipv4Addr::from(a))),
            any::<[u16; 8]>().prop_map(|a| format!("IN IP6 {}", Ipv6Addr::from(a))),
            Just("IN IP4 host.example.com".to_owned()),
        ];
        let media = (
            prop_oneof![
                Just("audio"),
                Just("video"),
                Just("image"),
                Just("application"),
                Just("x-kind")
            ],
            any::<u16>(),
            proptest::option::of(1u16..4),
            prop_oneof![
                Just("RTP/AVP"),
                Just("RTP/SAVPF"),
                Just("udptl"),
                Just("udp")
            ],
            proptest::collection::vec("[0-9]{1,3}|t38|ike-esp", 1..5),
            proptest::collection::vec(address.clone(), 0..2),
            proptest::collection::vec((Just("AS"), any::<u32>()), 0..2),
            proptest::collection::vec(attribute.clone(), 0..6),
        )
            .prop_map(|(kind, port, count, proto, fmts, conns, bws, attrs)| {
                let mut s = match count {
                    Some(c) => format!("m={kind} {port}/{c} {proto}"),
                    None => format!("m={kind} {port} {proto}"),
                };
                for f in fmts {
                    s += &format!(" {f}");
                }
                for c in conns {
                    s += &format!("\nc={c}");
                }
                for (t, v) in bws {
                    s += &format!("\nb={t}:{v}");
                }
                for a in attrs {
                    s += &format!("\n{a}");
                }
                s
            });
        (
            (token, any::<u64>(), any::<u64>(), address.clone()),
            "([!-~]([ -~]{0,18}[!-~])?)?",
            proptest::option::of(address),
            proptest::collection::vec(attribute, 0..4),
            proptest::collection::vec(media, 0..4),
            any::<bool>(),
        )
            .prop_map(|((user, id, ver, oaddr), name, conn, attrs, media, crlf)| {
                let mut s = format!("v=0\no={user} {id} {ver} {oaddr}\ns={name}\n");
                if let Some(c) = conn {
                    s += &format!("c={c}\n");
                }
                s += "t=0 0\n";
                for a in attrs {
                    s += &format!("{a}\n");
                }
                for m in media {
                    s += &format!("{m}\n");
                }
                let eol = if crlf { "\r\n" } else { "\n" };
                s.replace('\n', eol).into_bytes()
            })
    }

    proptest! {
        #[test]
        fn model_agrees_with_sdp_types(body in well_formed_sdp()) {
            prop_assert!(agrees_with_sdp_types(&body), "sdp-types refused {:?}",
                String::from_utf8_lossy(&body));
            prop_assert!(!parse(&body).unwrap().normalized);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_sdpish(lines in proptest::collection::vec(
            ("[vosctmab]", "[ -~\t\r\u{0}]{0,40}"), 0..24)) {
            let mut body = b"v=0\r\n".to_vec();
            for (k, v) in lines {
                body.extend_from_slice(k.as_bytes());
                body.push(b'=');
                body.extend_from_slice(v.as_bytes());
                body.extend_from_slice(b"\r\n");
            }
            // Bound first: the model's drop must run before `body`'s (a tail-expression
            // temporary would be dropped after it).
            let parsed = parse(&body);
            if let Ok(sd) = &parsed {
                for m in &sd.media {
                    prop_assert!(m.port_span.end <= body.len());
                    prop_assert!(m.line.end <= body.len());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The single-pass scanner gives exactly what the scanner before it gave (`reference.rs`): the
// same JSON (every model field, attribute and format lists included), the same errors.

fn same_as_reference(body: &[u8], max_media: usize, max_lines: usize) -> Result<(), String> {
    let new = parse_with(
        body,
        &SdpLimits {
            max_media,
            max_lines,
        },
    );
    let old = reference::parse_with(
        body,
        &reference::SdpLimits {
            max_media,
            max_lines,
        },
    );
    let shown = || String::from_utf8_lossy(body).into_owned();
    match (new, old) {
        (Ok(n), Ok(o)) => {
            let (jn, jo) = (
                serde_json::to_value(&n).unwrap(),
                serde_json::to_value(&o).unwrap(),
            );
            if jn != jo {
                return Err(format!("{:?}: {jn} != {jo}", shown()));
            }
            for (mn, mo) in n.media.iter().zip(&o.media) {
                for name in ["rtpmap", "RTCP", "T38FaxVersion", "x"] {
                    if mn.attribute(name) != mo.attribute(name).map(|v| v.map(Cow::from)) {
                        return Err(format!("{:?}: attribute {name}", shown()));
                    }
                }
                if mn.formats.len() != mo.formats.len()
                    || mn.is_t38() != mo.is_t38()
                    || mn.t38_attributes().count() != mo.t38_attributes().count()
                {
                    return Err(format!("{:?}: formats or T.38", shown()));
                }
            }
            if n.attributes.len() != o.attributes.len() {
                return Err(format!("{:?}: session attribute count", shown()));
            }
            Ok(())
        }
        (Err(a), Err(b)) if a == b => Ok(()),
        (a, b) => Err(format!(
            "{:?}: {:?} vs reference {:?}",
            shown(),
            a.map(|_| ()),
            b.map(|_| ())
        )),
    }
}

#[test]
fn same_as_reference_on_test_bodies() {
    for body in test_bodies() {
        same_as_reference(&body, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES).unwrap();
        same_as_reference(&body, 1, 6).unwrap();
    }
}

#[test]
fn attribute_fast_paths() {
    let body = b"v=0\r\na=SendOnly\r\na=fingerprint:sha-1 AB:CD\r\na=fingerprint\r\n\
m=audio 4000 RTP/AVP 0\r\na=rtcp-mux:x\r\na=recvonly:x\r\na=sendrecv\r\na=inactive\r\n\
a=rtcp:x\r\na=rtcp:4001 IN IP4 192.0.2.7\r\na=rtcp:4003\r\na=ike-setup: passive \r\n\
a=psk-fingerprint:sha-1 EF\r\na=fingerprint:sha-256\r\n\
m=video 0 RTP/AVP 31\r\na=RTCP-MUX\r\na=rtcp:5 IN IP6 ::1/3\r\n";
    let sd = parse(body).unwrap();
    assert_eq!(sd.direction, Some(Direction::SendOnly));
    assert_eq!(sd.fingerprints.len(), 1);
    assert_eq!(sd.attributes.len(), 3);
    let m = &sd.media[0];
    assert!(m.rtcp_mux);
    // A direction attribute with a value is not one; the first valid one counts.
    assert_eq!(m.direction_attribute, Some(Direction::SendRecv));
    let rtcp = m.rtcp.as_ref().unwrap();
    assert_eq!(rtcp.port, 4001);
    let c = rtcp.connection.as_ref().unwrap();
    assert_eq!(c.ip, Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))));
    assert_eq!(at(body, &c.line), "a=rtcp:4001 IN IP4 192.0.2.7");
    assert_eq!(m.ike_setup, Some(IkeSetup::Passive));
    assert_eq!(m.psk_fingerprints.len(), 1);
    assert!(m.fingerprints.is_empty());
    assert_eq!(m.attributes.len(), 10);
    let v = &sd.media[1];
    assert!(v.rtcp_mux);
    assert_eq!(
        v.rtcp.as_ref().unwrap().connection.as_ref().unwrap().count,
        Some(3)
    );
    assert_eq!(v.rtcp_port, None);
    same_as_reference(body, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES).unwrap();
}

#[test]
fn lazy_lists_of_a_non_utf8_body() {
    let body = b"v=0\r\ns=\xff\r\nm=audio 4000 RTP/AVP 0 \xfe 8\r\na=x:\xff y\r\na=sendonly\r\n";
    let sd = parse(body).unwrap();
    assert!(sd.normalized);
    let m = &sd.media[0];
    assert_eq!(m.formats, ["0", "\u{fffd}", "8"]);
    assert_eq!(
        m.attributes.iter().next().unwrap(),
        (Cow::from("x"), Some(Cow::from("\u{fffd} y")))
    );
    same_as_reference(body, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES).unwrap();
}

mod reference_proptests {
    use super::*;
    use proptest::prelude::*;

    /// Line values built from fragments the scanner treats specially, joined by blanks of
    /// every kind the scanner tolerates.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        let fragment = prop_oneof![
            Just(&b"0"[..]),
            Just(&b"IN IP4 192.0.2.1"[..]),
            Just(&b"IN IP4 224.2.1.1/127/3"[..]),
            Just(&b"IN IP6 ff15::101/3"[..]),
            Just(&b"IN IP4 host.example"[..]),
            Just(&b"audio 49170 RTP/AVP 0 8"[..]),
            Just(&b"image 0/2 udptl t38"[..]),
            Just(&b"audio 70000 RTP/AVP 0"[..]),
            Just(&b"- 1 2 IN IP4 192.0.2.1"[..]),
            Just(&b"rtpmap:0 PCMU/8000"[..]),
            Just(&b"sendrecv"[..]),
            Just(&b"SendOnly"[..]),
            Just(&b"inactive"[..]),
            Just(&b"recvonly:1"[..]),
            Just(&b"rtcp-mux"[..]),
            Just(&b"rtcp:9"[..]),
            Just(&b"rtcp:9 IN IP4 192.0.2.9"[..]),
            Just(&b"rtcp:x"[..]),
            Just(&b"fingerprint:sha-1 AB"[..]),
            Just(&b"psk-fingerprint:sha-1 CD"[..]),
            Just(&b"ike-setup:actpass"[..]),
            Just(&b"T38FaxVersion:0"[..]),
            // `attribute_shape`'s cases: names of each read length, in either case.
            Just(&b"RTCP:9"[..]),
            Just(&b"fmtp:0 x"[..]),
            Just(&b"rtcp-MUX:1"[..]),
            Just(&b"ptime:20"[..]),
            Just(&b"Inactive:"[..]),
            Just(&b"candidate:1 1 UDP"[..]),
            // `MediaKind::known`'s word compare: near misses and the 11-byte name.
            Just(&b"AUDIO 4000/2 RTP/AVP 0"[..]),
            Just(&b"audiox 1 RTP/AVP 0"[..]),
            Just(&b"Application 9 TCP/DTLS x"[..]),
            Just(&b"applicatioN 9 TCP x"[..]),
            Just(&b"applicatiox 9 TCP x"[..]),
            Just(&b"text 9 RTP/AVP 98"[..]),
            Just(&b"message 9 TCP/MSRP *"[..]),
            Just(&b"audi 9 RTP/AVP 0"[..]),
            Just(&b"audio +0000049170/2 RTP/AVP 0"[..]),
            Just(&b"AS:64"[..]),
            Just(&b":"[..]),
            Just(&b" "[..]),
            Just(&b"\t"[..]),
            Just(&b"\r"[..]),
            Just(&b"\0"[..]),
            Just(&b"\xff"[..]),
            Just(&b"\x0b"[..]),
        ];
        proptest::collection::vec(fragment, 0..4).prop_map(|v| v.concat())
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let line = (
            prop_oneof![
                8 => Just(b'a'),
                3 => Just(b'm'),
                2 => Just(b'c'),
                1 => Just(b'o'),
                1 => Just(b's'),
                1 => Just(b'b'),
                1 => Just(b'i'),
                1 => Just(b'k'),
                1 => Just(b't'),
                1 => Just(b'A'),
                1 => Just(b' '),
            ],
            value(),
            prop_oneof![Just(&b"\r\n"[..]), Just(&b"\n"[..]), Just(&b" \r\n"[..])],
        );
        (any::<bool>(), proptest::collection::vec(line, 0..16)).prop_map(|(v, lines)| {
            let mut body = if v { b"v=0\r\n".to_vec() } else { Vec::new() };
            for (k, val, eol) in lines {
                body.push(k);
                body.push(b'=');
                body.extend_from_slice(&val);
                body.extend_from_slice(eol);
            }
            body
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn same_as_reference_on_generated(b in body(), media in 1usize..4, lines in 2usize..20) {
            if let Err(e) = same_as_reference(&b, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES) {
                return Err(TestCaseError::fail(e));
            }
            if let Err(e) = same_as_reference(&b, media, lines) {
                return Err(TestCaseError::fail(e));
            }
        }

        #[test]
        fn same_as_reference_on_well_formed(b in super::prop::well_formed_sdp()) {
            if let Err(e) = same_as_reference(&b, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES) {
                return Err(TestCaseError::fail(e));
            }
        }

        #[test]
        fn same_as_reference_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut with_v = b"v=0\n".to_vec();
            with_v.extend_from_slice(&b);
            for body in [&b, &with_v] {
                if let Err(e) = same_as_reference(body, DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES) {
                    return Err(TestCaseError::fail(e));
                }
            }
        }
    }
}

mod swar_proptests {
    use super::*;
    use proptest::prelude::*;

    /// The plain statement of `AttributeShape::Unread`: a `name:value` line whose trimmed name none
    /// of the attribute readers looks at (lengths 8, 9, 11, 15 and `rtcp` in any case).
    fn unread_reference(v: &[u8]) -> bool {
        let (n, val) = split_attribute(v);
        let name = &v[n];
        val.is_some()
            && !matches!(name.len(), 8 | 9 | 11 | 15)
            && !name.eq_ignore_ascii_case(b"rtcp")
    }

    /// `attribute_shape` only skips lines the general path ignores.
    #[test]
    fn attribute_shape_unread() {
        for (v, unread) in [
            (&b"rtpmap:0 PCMU/8000"[..], true),
            (b"fmtp:101 0-16", true),
            (b"ptime:20", true),
            (b"rtcp:9", false),
            (b"RtCp:9", false),
            (b"rtcp-mux", false),
            (b"rtcp-mux:1", false),
            (b"sendrecv", false),
            (b"fingerprint:sha-1 AB", false),
            (b" fmtp:1", false),
            (b"fmtp :1", false),
            (b":x", false),
            (b"", false),
            (b"x", false),
            (b"candidate:1", false),
            (b"rtcp\r:1", false),
            (b"rt\rp:1", true),
            (b"rtCp:", false),
            (b"maxptime:20", false),
            (b"rtcp-fb:96 nack", true),
        ] {
            assert_eq!(
                attribute_shape(v) == AttributeShape::Unread,
                unread,
                "{:?}",
                String::from_utf8_lossy(v)
            );
            if unread {
                assert!(unread_reference(v));
            }
        }
    }

    /// `AttributeShape::Flag` is exactly what `split_attribute` makes of the value: the whole
    /// of it as the name, no value.
    #[test]
    fn attribute_shape_flags() {
        for (v, flag) in [
            (&b"sendrecv"[..], true),
            (b"rtcp-mux", true),
            (b"x", true),
            (b"sendrecv ", false),
            (b" sendrecv", false),
            (b"inactive\0", false),
            (b"", false),
            (b"sendrecv:", false),
            (b"longer-flag", false),
        ] {
            assert_eq!(
                attribute_shape(v) == AttributeShape::Flag,
                flag,
                "{:?}",
                String::from_utf8_lossy(v)
            );
            if flag {
                assert_eq!(split_attribute(v), (0..v.len(), None));
            }
        }
    }

    proptest! {
        #[test]
        fn attribute_shape_flag_is_split_attribute(v in "[ \t]?[a-zA-Z:\t -]{0,10}[ \t]?") {
            if attribute_shape(v.as_bytes()) == AttributeShape::Flag {
                prop_assert_eq!(split_attribute(v.as_bytes()), (0..v.len(), None));
            }
        }

        #[test]
        fn unread_attribute_is_never_read(
            v in "[ \t]?(rtcp|RTCP|rtcp-mux|fmtp|rtpmap|ptime|x|sendrecv|fingerprint|[a-zA-Z:-]{0,17})[ \t]?(:[ -~]{0,12})?"
        ) {
            if attribute_shape(v.as_bytes()) == AttributeShape::Unread {
                prop_assert!(unread_reference(v.as_bytes()), "{:?}", v);
            }
        }
    }

    /// The plain statement of `irregular_blanks`.
    fn irregular_reference(v: &[u8]) -> bool {
        v.first().copied().is_some_and(is_blank)
            || v.contains(&b'\t')
            || v.windows(2).any(|w| w == b"  ")
    }

    /// The plain statement of `has_stray_bytes`.
    fn stray_reference(b: &[u8]) -> bool {
        b.contains(&0)
            || b.iter()
                .enumerate()
                .any(|(i, &c)| c == b'\r' && i + 1 < b.len() && b[i + 1] != b'\n')
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b' '),
                Just(b'\t'),
                Just(b'\r'),
                Just(b'\n'),
                Just(0u8),
                Just(0x0b),
                Just(b'a'),
                Just(b':'),
                Just(0xa0),
                Just(0xff),
                any::<u8>(),
            ],
            0..40,
        )
    }

    proptest! {
        #[test]
        fn irregular_blanks_is_its_statement(v in bytes()) {
            prop_assert_eq!(irregular_blanks(&v), irregular_reference(&v));
        }

        #[test]
        fn stray_bytes_is_its_statement(v in bytes()) {
            prop_assert_eq!(has_stray_bytes(&v), stray_reference(&v));
        }

        /// `body_flags` goes 32 bytes per step with a padded last step: bodies over several
        /// steps, with the flagged bytes at any place (step edges included).
        #[test]
        fn body_flags_is_its_statement(
            v in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n'), Just(0u8), Just(0x80), any::<u8>()],
                0..140,
            ),
        ) {
            let expect = u8::from(stray_reference(&v)) | (u8::from(!v.is_ascii()) << 1);
            prop_assert_eq!(body_flags(&v), expect);
        }

        #[test]
        fn field_len_is_first_separator(v in bytes()) {
            let expect = v.iter().position(|&b| is_separator(b)).unwrap_or(v.len());
            prop_assert_eq!(field_len(&v), expect);
        }

        #[test]
        fn find_colon_is_first_colon(v in bytes()) {
            prop_assert_eq!(find_colon(&v), v.iter().position(|&b| b == b':'));
        }

        #[test]
        fn lf_in_tail_is_first_lf(v in bytes(), at in 0usize..48) {
            let want = v.iter().skip(at).position(|&b| b == b'\n').map_or(v.len(), |i| at + i);
            prop_assert_eq!(lf_in_tail(&v, at), want);
        }

        #[test]
        fn direction_word_compare_is_case_insensitive(v in "[a-zA-Z@`\\[{-]{8}") {
            let lc = v.to_ascii_lowercase();
            let expect = match lc.as_str() {
                "sendrecv" => Some(Direction::SendRecv),
                "sendonly" => Some(Direction::SendOnly),
                "recvonly" => Some(Direction::RecvOnly),
                "inactive" => Some(Direction::Inactive),
                _ => None,
            };
            prop_assert_eq!(Direction::from_name(v.as_bytes()), expect);
        }
    }

    #[test]
    fn swar_edges() {
        // A double space across the 8-byte word boundary, and at the tail.
        assert!(irregular_blanks(b"IN IP4  192.0.2.1"));
        assert!(irregular_blanks(b"abcdefg  x"));
        assert!(!irregular_blanks(b"abcdefg x y z 1 2 3"));
        assert!(irregular_blanks(b"abcdefgh\tx"));
        assert!(irregular_blanks(b" x"));
        assert_eq!(Direction::from_name(b"SENDRECV"), Some(Direction::SendRecv));
        // Bit 5 set on a non-letter does not make a letter: `@` vs `` ` ``.
        assert_eq!(Direction::from_name(b"sendrec\x16"), None);
    }
}

#[test]
fn irregular_blanks_flagged_on_every_structured_line() {
    let base = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0 8 9 10 11 12\r\n";
    assert!(!parse(base.as_bytes()).unwrap().normalized);
    for (from, to) in [
        ("o=- 1", "o=-  1"),
        ("o=- 1", "o= - 1"),
        ("IN IP4 192.0.2.1\r\ns", "IN\tIP4 192.0.2.1\r\ns"),
        ("c=IN", "c= IN"),
        ("t=0 0", "t=0  0"),
        ("m=audio", "m=\taudio"),
        ("11 12", "11  12"),
        ("11 12", "11 \t12"),
    ] {
        let body = base.replacen(from, to, 1);
        assert_ne!(body, base);
        let sd = parse(body.as_bytes()).unwrap();
        assert!(sd.normalized, "{body:?}");
        same_as_reference(body.as_bytes(), DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES).unwrap();
    }
    // An `o=` line inside a media section is not read, but its blanks are checked.
    let body = format!("{base}o=-  1 2 IN IP4 192.0.2.1\r\n");
    assert!(parse(body.as_bytes()).unwrap().normalized);
    same_as_reference(body.as_bytes(), DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES).unwrap();
}

mod fields_proptests {
    use super::*;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                6 => Just(b'a'),
                4 => Just(b' '),
                1 => Just(b'\t'),
                1 => Just(b'\r'),
                1 => Just(0u8),
                1 => Just(0x0b),
                1 => Just(0xc3),
                1 => Just(b'!'),
                1 => Just(b'0'),
            ],
            0..40,
        )
    }

    proptest! {
        /// The word-at-a-time split gives what the byte loop gives, wherever it answers, and
        /// the byte loop flags no regular line; the split is the same inside a longer body.
        #[test]
        fn regular_fields_is_fields_bytewise(l in line(), pre in 0usize..9, post in 0usize..9) {
            let mut body = vec![b'#'; pre];
            body.extend_from_slice(&l);
            body.extend(std::iter::repeat_n(b' ', post));
            let r = pre..pre + l.len();
            let s = Scanner::new(&body);
            let mut a: [Range<usize>; MAX_FIELDS] = Default::default();
            let mut b: [Range<usize>; MAX_FIELDS] = Default::default();
            let nb = s.fields_bytewise(r.clone(), &mut b, true);
            if let Some(na) = s.regular_fields(r, &mut a) {
                prop_assert_eq!(na, nb);
                prop_assert_eq!(&a[..na.min(MAX_FIELDS)], &b[..nb.min(MAX_FIELDS)]);
                prop_assert!(!s.irregular.get());
            }
        }
    }

    #[test]
    fn regular_and_irregular_lines() {
        let body = b"alice 2890844526 2890844526 IN IP4 192.0.2.10 x y";
        let s = Scanner::new(body);
        let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
        assert_eq!(s.regular_fields(0..body.len() - 4, &mut f), Some(6));
        assert_eq!(at(body, &f[5]), "192.0.2.10");
        assert_eq!(
            s.regular_fields(0..body.len(), &mut f),
            Some(MAX_FIELDS + 1)
        );
        for bad in [&b" a b"[..], b"a  b", b"a\tb", b"a b ", b"a\0b", b""] {
            assert_eq!(Scanner::new(bad).regular_fields(0..bad.len(), &mut f), None);
        }
    }
}

#[test]
fn word_compare_ignores_case_exactly() {
    assert!(word_eq_ignore_case(b"RTCP-Mux", b"rtcp-mux"));
    assert!(word_eq_ignore_case(b"rtcp", b"rtcp"));
    assert!(!word_eq_ignore_case(b"rtcp\rmux", b"rtcp-mux"));
    assert!(!word_eq_ignore_case(b"rtcp", b"rtcp-mux"));
    assert!(!word_eq_ignore_case(b"rtcP-muy", b"rtcp-mux"));
    assert!(!word_eq_ignore_case(b"123456789", b"123456789"));
    for b in 0..=255u8 {
        let s = [b'r', b'T', b, b'p'];
        assert_eq!(
            word_eq_ignore_case(&s, b"rtcp"),
            s.eq_ignore_ascii_case(b"rtcp"),
            "{b}"
        );
        let s = [b'r', b't', b'c', b'p', b, b'm', b'u', b'x'];
        assert_eq!(
            word_eq_ignore_case(&s, b"rtcp-mux"),
            s.eq_ignore_ascii_case(b"rtcp-mux"),
            "{b}"
        );
    }
}

/// `Message::sdp` (which fills the model in its returned place through `parse_into`) gives
/// what `parse` gives on the body, with errors moved to message offsets, and `None` without
/// an SDP body.
#[test]
fn message_sdp_is_parse_of_body() {
    use crate::sip::{Limits, Message, Transport};
    let msg = |body: &[u8], ct: &str| {
        let mut m = format!(
            "INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
             From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x@y\r\n\
             CSeq: 1 INVITE\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        m.extend_from_slice(body);
        m
    };
    let good = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n";
    let bad_body = b"v=0\r\ns=-\r\nm=audio x RTP/AVP 0\r\n";
    let raw = msg(good, "application/sdp");
    let m = Message::parse(&raw, Transport::Datagram, &Limits::default()).unwrap();
    assert_eq!(m.sdp().unwrap().unwrap(), parse(good).unwrap());

    let raw = msg(bad_body, "application/sdp");
    let m = Message::parse(&raw, Transport::Datagram, &Limits::default()).unwrap();
    let e = m.sdp().unwrap().unwrap_err();
    let at = parse(bad_body).unwrap_err();
    assert_eq!(e.kind, at.kind);
    assert_eq!(e.offset, raw.len() - bad_body.len() + at.offset);

    let raw = msg(b"hello", "text/plain");
    let m = Message::parse(&raw, Transport::Datagram, &Limits::default()).unwrap();
    assert!(m.sdp().is_none());
}

/// The bench INVITE's structured lines take the word-at-a-time split.
#[test]
fn bench_lines_are_regular() {
    let body =
        b"alice 2890844526 1 IN IP4 192.0.2.10 IN IP4 192.0.2.10 audio 49170 RTP/AVP 0 8 101";
    let s = Scanner::new(body);
    let mut f: [Range<usize>; MAX_FIELDS] = Default::default();
    assert_eq!(s.regular_fields(0..36, &mut f), Some(6));
    assert_eq!(s.regular_fields(37..54, &mut f), Some(3));
    assert_eq!(s.regular_fields(55..body.len(), &mut f), Some(6));
}

/// The `c=IN IP4 <literal>` fast path and every way out of it to the field split: the model
/// and the `normalized` flag are the reference's.
#[test]
fn connection_fast_path_and_fallbacks() {
    for c in [
        "IN IP4 192.0.2.10",
        "IN IP4 0.0.0.0",
        "IN IP4  192.0.2.10",
        "IN IP4 192.0.2.10 ",
        "IN IP4 192.0.2.10 x",
        "IN IP4 224.2.1.1/127/3",
        "IN IP4 host.example.com",
        "IN IP4 192.0.2.010",
        "IN IP4 ",
        "IN IP4",
        "IN\tIP4 192.0.2.10",
        "in ip4 192.0.2.10",
        "IN IP6 ::1",
        "IN IP4 192.0.2.10\0",
    ] {
        for media_level in [false, true] {
            let body = if media_level {
                format!("v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc={c}\r\n")
            } else {
                format!("v=0\r\ns=-\r\nc={c}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
            };
            same_as_reference(body.as_bytes(), DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES)
                .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        }
    }
    let sd = parse(b"v=0\r\nc=IN IP4 192.0.2.10\r\n").unwrap();
    let c = sd.connection.unwrap();
    assert_eq!(
        (c.nettype, c.addrtype, c.address),
        (Text(b"IN"), Text(b"IP4"), Text(b"192.0.2.10"))
    );
    assert_eq!((c.address_span, c.line), (14..24, 5..24));
    assert!(!sd.normalized);
}

/// Line ends found by the inlined word search and its byte tail: LF-only and CRLF lines, a
/// last line without LF, lines shorter and longer than a word, blank lines, CR-only.
#[test]
fn line_ends_everywhere_in_the_word() {
    let lines = [
        "v=0",
        "o=- 1 2 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28",
        "a=rtpmap:0 PCMU/8000",
        "a=x",
        "a=sendonly",
    ];
    for pad in 0..9 {
        for ends in ["\r\n", "\n"] {
            for last in ["", "\r\n", "\n", "\r", "  ", "\r\n\r\n", "\n\n \n"] {
                let mut body = lines.join(ends);
                body.insert_str(body.find("s=").unwrap() + 2, &"x".repeat(pad));
                body.push_str(last);
                same_as_reference(body.as_bytes(), DEFAULT_MAX_MEDIA, DEFAULT_MAX_LINES)
                    .unwrap_or_else(|e| panic!("{body:?}: {e}"));
            }
        }
    }
}
