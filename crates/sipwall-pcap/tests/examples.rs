//! The bundled example captures (`examples/captures/`): the committed files are exactly what
//! `sipwall_pcap::scenarios` generates, they read back, every SIP message in them parses and
//! validates with `sipwall-wire` (with a correct Content-Length and a parseable SDP), and the
//! media is well-formed RTP / RTCP.
//!
//! If `committed_files_match_generator` fails after an intended change to the scenarios,
//! regenerate: `cargo run -p sipwall-pcap --example make_captures -- examples/captures`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use sipwall_pcap::scenarios::{self, Scenario, START_UNIX_SECS};
use sipwall_pcap::{CaptureReader, LinkType};
use sipwall_wire::packet::{decode, L4};
use sipwall_wire::sdp::{Direction, MediaKind, SessionDescription};
use sipwall_wire::sip::{frame, Framing, Limits, Message, Transport};

fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/captures"
    ))
}

fn generated() -> Vec<Scenario> {
    scenarios::all().expect("scenarios build")
}

fn scenario(name: &str) -> Scenario {
    generated()
        .into_iter()
        .find(|s| s.file_name == name)
        .expect("scenario exists")
}

const NAMES: [&str; 9] = [
    "udp-call.pcap",
    "tcp-call.pcap",
    "hold-resume.pcap",
    "t38-reinvite.pcap",
    "register-inbound.pcap",
    "unsolicited-rtp.pcap",
    "multipart-sdp.pcap",
    "early-media.pcap",
    "sip-violations.pcap",
];

/// The capture whose SIP is broken and policy-violating on purpose.
const VIOLATIONS: &str = "sip-violations.pcap";

#[test]
fn file_names_are_fixed() {
    let names: Vec<_> = generated().iter().map(|s| s.file_name).collect();
    assert_eq!(names, NAMES);
}

#[test]
fn generator_is_deterministic() {
    let a = generated();
    let b = generated();
    assert_eq!(a, b);
    for s in &a {
        assert_eq!(s.pcap_bytes().unwrap(), s.pcap_bytes().unwrap());
    }
}

#[test]
fn committed_files_match_generator() {
    let dir = captures_dir();
    let all = generated();
    for s in &all {
        let path = dir.join(s.file_name);
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run make_captures)", path.display()));
        assert!(
            committed == s.pcap_bytes().unwrap(),
            "{} differs from the generator; regenerate with make_captures",
            s.file_name
        );
        // Small enough to commit (the flood of sip-violations.pcap is 300 INVITEs).
        let max = if s.file_name == VIOLATIONS {
            200_000
        } else {
            100_000
        };
        assert!(committed.len() < max, "{} too large", s.file_name);
    }
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
    assert!(
        readme == scenarios::readme(&all),
        "README.md differs from the generator; regenerate with make_captures"
    );
}

#[test]
fn captures_read_back() {
    for s in generated() {
        let path = captures_dir().join(s.file_name);
        let mut r = CaptureReader::open(&path).unwrap();
        let mut n = 0usize;
        let mut last = Duration::ZERO;
        while let Some(f) = r.next_frame().unwrap() {
            let want = &s.frames[n];
            n += 1;
            assert_eq!(f.index as usize, n);
            assert_eq!(f.linktype, LinkType::ETHERNET);
            assert_eq!(f.ts, want.ts, "{} frame {n}", s.file_name);
            assert_eq!(f.data, &want.data[..]);
            assert!(f.ts >= last, "{} frame {n}: time goes back", s.file_name);
            last = f.ts;
            decode(f.linktype, f.data).unwrap();
        }
        assert_eq!(n, s.frames.len(), "{}", s.file_name);
        assert_eq!(s.frames[0].ts, Duration::from_secs(START_UNIX_SECS));
        // The ladder covers every frame exactly once, in order.
        let mut next = 1;
        for row in &s.ladder {
            assert_eq!(row.frames.0, next, "{}", s.file_name);
            assert!(row.frames.1 >= row.frames.0);
            next = row.frames.1 + 1;
        }
        assert_eq!(next, n + 1, "{}", s.file_name);
    }
}

/// A SIP message found in a capture: frame number of its last byte, endpoints, bytes.
struct Sip {
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    bytes: Vec<u8>,
}

/// Every SIP message in a scenario: UDP datagrams to or from port 5060, and the TCP byte
/// streams reassembled per direction (retransmitted bytes dropped by sequence number).
fn sip_messages(s: &Scenario) -> Vec<Sip> {
    let mut out = Vec::new();
    // (src, dst) -> (next expected seq, pending bytes)
    let mut streams: BTreeMap<(SocketAddr, SocketAddr), (Option<u32>, Vec<u8>)> = BTreeMap::new();
    for f in &s.frames {
        let v = decode(LinkType::ETHERNET, &f.data).unwrap();
        match v.l4 {
            L4::Udp { src_port, dst_port } if src_port == 5060 || dst_port == 5060 => {
                out.push(Sip {
                    src: SocketAddr::new(v.src, src_port),
                    dst: SocketAddr::new(v.dst, dst_port),
                    transport: Transport::Datagram,
                    bytes: v.payload.to_vec(),
                });
            }
            L4::Tcp {
                src_port,
                dst_port,
                seq,
                flags,
                ..
            } => {
                let key = (
                    SocketAddr::new(v.src, src_port),
                    SocketAddr::new(v.dst, dst_port),
                );
                let st = streams.entry(key).or_insert((None, Vec::new()));
                if flags.syn() {
                    st.0 = Some(seq.wrapping_add(1));
                    continue;
                }
                if v.payload.is_empty() {
                    continue;
                }
                let next = st.0.expect("data after SYN");
                if seq != next {
                    // The retransmission: exactly the bytes already taken.
                    assert!(seq.wrapping_add(v.payload.len() as u32) == next);
                    continue;
                }
                st.0 = Some(next.wrapping_add(v.payload.len() as u32));
                st.1.extend_from_slice(v.payload);
                loop {
                    match frame(&st.1, Transport::Stream, &Limits::default()) {
                        Framing::Complete { len } => {
                            let rest = st.1.split_off(len);
                            out.push(Sip {
                                src: key.0,
                                dst: key.1,
                                transport: Transport::Stream,
                                bytes: std::mem::replace(&mut st.1, rest),
                            });
                        }
                        Framing::Incomplete { .. } => break,
                        other => panic!("{}: bad TCP framing {other:?}", s.file_name),
                    }
                }
            }
            _ => {}
        }
    }
    for ((a, b), (_, rest)) in streams {
        assert!(
            rest.is_empty(),
            "{}: {a} -> {b} leftover bytes",
            s.file_name
        );
    }
    out
}

fn parse(m: &Sip) -> Message<'_> {
    Message::parse(&m.bytes, m.transport, &Limits::default()).unwrap_or_else(|e| {
        panic!("{e:?} in\n{}", String::from_utf8_lossy(&m.bytes));
    })
}

/// "INVITE" for a request, "200/INVITE" for a response.
fn label(m: &Message<'_>) -> String {
    match m.status() {
        Some(code) => format!(
            "{code}/{}",
            String::from_utf8_lossy(m.cseq().unwrap().method.as_bytes())
        ),
        None => String::from_utf8_lossy(m.method().unwrap().as_bytes()).into_owned(),
    }
}

fn sdp_of<'a>(m: &Message<'a>) -> SessionDescription<'a> {
    m.sdp().expect("has SDP").expect("SDP parses")
}

#[test]
fn every_sip_message_parses_and_validates() {
    for s in generated()
        .into_iter()
        .filter(|s| s.file_name != VIOLATIONS)
    {
        let msgs = sip_messages(&s);
        assert!(!msgs.is_empty());
        for m in &msgs {
            let p = parse(m);
            p.validate()
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.file_name));
            // Content-Length is present and exact: the message is the whole datagram/frame.
            let cl = p.content_length().expect("Content-Length");
            assert_eq!(cl, p.body().len());
            assert_eq!(p.as_bytes().len(), m.bytes.len(), "{}", s.file_name);
            let via = p.top_via().unwrap().unwrap();
            assert!(via.branch().is_some_and(|b| b.starts_with(b"z9hG4bK")));
            if p.is_request() {
                assert_eq!(p.max_forwards().unwrap().unwrap(), 70);
            }
            if let Some(sdp) = p.sdp() {
                let sdp = sdp.unwrap();
                assert!(!sdp.normalized);
                assert!(sdp.origin.is_some());
            } else {
                assert!(p.body().is_empty(), "{}: non-SDP body", s.file_name);
            }
            // The transport in Via matches the one used.
            let want: &[u8] = match m.transport {
                Transport::Datagram => b"UDP",
                Transport::Stream => b"TCP",
            };
            assert!(via.transport().eq_ignore_ascii_case(want));
        }
    }
}

fn ladder(name: &str) -> Vec<String> {
    let s = scenario(name);
    sip_messages(&s).iter().map(|m| label(&parse(m))).collect()
}

#[test]
fn message_sequences() {
    let call = [
        "INVITE",
        "100/INVITE",
        "180/INVITE",
        "200/INVITE",
        "ACK",
        "BYE",
        "200/BYE",
    ];
    assert_eq!(ladder("udp-call.pcap"), call);
    assert_eq!(ladder("tcp-call.pcap"), call);
    assert_eq!(ladder("unsolicited-rtp.pcap"), call);
    assert_eq!(ladder("multipart-sdp.pcap"), call);
    assert_eq!(
        ladder("hold-resume.pcap"),
        [
            "INVITE",
            "100/INVITE",
            "180/INVITE",
            "200/INVITE",
            "ACK",
            "INVITE",
            "100/INVITE",
            "200/INVITE",
            "ACK",
            "INVITE",
            "100/INVITE",
            "200/INVITE",
            "ACK",
            "BYE",
            "200/BYE"
        ]
    );
    assert_eq!(
        ladder("t38-reinvite.pcap"),
        [
            "INVITE",
            "100/INVITE",
            "180/INVITE",
            "200/INVITE",
            "ACK",
            "INVITE",
            "100/INVITE",
            "200/INVITE",
            "ACK",
            "BYE",
            "200/BYE"
        ]
    );
    assert_eq!(
        ladder("register-inbound.pcap"),
        [
            "REGISTER",
            "200/REGISTER",
            "INVITE",
            "100/INVITE",
            "180/INVITE",
            "200/INVITE",
            "ACK",
            "BYE",
            "200/BYE"
        ]
    );
    assert_eq!(
        ladder("early-media.pcap"),
        [
            "INVITE",
            "100/INVITE",
            "183/INVITE",
            "200/INVITE",
            "ACK",
            "BYE",
            "200/BYE",
            "INVITE",
            "100/INVITE",
            "180/INVITE",
            "CANCEL",
            "200/CANCEL",
            "487/INVITE",
            "ACK"
        ]
    );
}

const PHONE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const TRUNK: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);

fn audio(sdp: &SessionDescription) -> (IpAddr, u16, Direction) {
    let m = &sdp.media[0];
    assert_eq!(m.kind, MediaKind::Audio);
    assert_eq!(m.proto, "RTP/AVP");
    assert_eq!(m.formats, ["0", "8", "101"]);
    let ip = sdp.connection.as_ref().unwrap().ip.unwrap();
    (ip, m.port, m.direction)
}

#[test]
fn udp_call_offer_answer_and_dialog() {
    let s = scenario("udp-call.pcap");
    let msgs = sip_messages(&s);
    let invite = parse(&msgs[0]);
    assert_eq!(
        audio(&sdp_of(&invite)),
        (IpAddr::V4(PHONE), 40_000, Direction::SendRecv)
    );
    let ok = parse(&msgs[3]);
    assert_eq!(
        audio(&sdp_of(&ok)),
        (IpAddr::V4(TRUNK), 50_000, Direction::SendRecv)
    );
    // Dialog identifiers: the same Call-ID everywhere, From tag constant, To tag from 180 on.
    let call_id = invite.call_id().unwrap();
    let from_tag = invite.from().unwrap().tag().unwrap().to_vec();
    assert!(invite.to().unwrap().tag().is_none());
    let to_tag = ok.to().unwrap().tag().unwrap().to_vec();
    for m in &msgs {
        let p = parse(m);
        assert_eq!(p.call_id().unwrap(), call_id);
        assert_eq!(p.from().unwrap().tag().unwrap(), &from_tag[..]);
        let l = label(&p);
        if l != "INVITE" && l != "100/INVITE" {
            assert_eq!(p.to().unwrap().tag().unwrap(), &to_tag[..]);
        }
        // rport is filled in by the responder (RFC 3581 §4).
        if p.status().is_some() {
            let via = p.top_via().unwrap().unwrap();
            assert_eq!(via.rport(), Some(Some(5060)));
        }
    }
    assert_eq!(msgs[0].src, SocketAddr::new(IpAddr::V4(PHONE), 5060));
    assert_eq!(msgs[0].dst, SocketAddr::new(IpAddr::V4(TRUNK), 5060));
}

#[test]
fn tcp_call_segmentation() {
    let s = scenario("tcp-call.pcap");
    // The INVITE is split: the first data segment ends inside the SDP body.
    let mut data = Vec::new();
    for f in &s.frames {
        let v = decode(LinkType::ETHERNET, &f.data).unwrap();
        if let L4::Tcp { seq, .. } = v.l4 {
            if !v.payload.is_empty() {
                data.push((seq, v.payload.to_vec()));
            }
        }
    }
    let first = &data[0].1;
    assert!(first.starts_with(b"INVITE "));
    let head_end = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(first.len(), head_end + 40, "cut 40 bytes into the SDP body");
    assert!(
        matches!(
            frame(first, Transport::Stream, &Limits::default()),
            Framing::Incomplete { .. }
        ),
        "first segment alone is incomplete"
    );
    // One segment holds 180 and 200.
    let both = data
        .iter()
        .find(|(_, p)| p.starts_with(b"SIP/2.0 180"))
        .unwrap();
    assert!(both.1.windows(14).any(|w| w == b"SIP/2.0 200 OK"));
    // One retransmitted segment: same seq, same bytes, ACK request.
    let dups: Vec<_> = data
        .iter()
        .enumerate()
        .filter(|(i, d)| data[..*i].contains(d))
        .collect();
    assert_eq!(dups.len(), 1);
    assert!(dups[0].1 .1.starts_with(b"ACK "));
    // Handshake and both FINs are there.
    let flags: Vec<_> = s
        .frames
        .iter()
        .filter_map(|f| match decode(LinkType::ETHERNET, &f.data).unwrap().l4 {
            L4::Tcp { flags, .. } => Some(flags),
            _ => None,
        })
        .collect();
    assert!(flags[0].syn() && !flags[0].ack());
    assert!(flags[1].syn() && flags[1].ack());
    assert_eq!(flags.iter().filter(|f| f.fin()).count(), 2);
    // The SDP answer travels in the 200 OK over TCP.
    let msgs = sip_messages(&s);
    assert_eq!(msgs[0].src.port(), 49_200);
    let ok = parse(&msgs[3]);
    assert_eq!(audio(&sdp_of(&ok)).1, 50_000);
}

#[test]
fn hold_resume_directions_and_versions() {
    let msgs = sip_messages(&scenario("hold-resume.pcap"));
    let dir_ver = |i: usize| {
        let p = parse(&msgs[i]);
        let sdp = sdp_of(&p);
        (sdp.origin.as_ref().unwrap().sess_version, audio(&sdp).2)
    };
    assert_eq!(dir_ver(0), (1, Direction::SendRecv));
    assert_eq!(dir_ver(5), (2, Direction::SendOnly));
    assert_eq!(dir_ver(7), (2, Direction::RecvOnly));
    assert_eq!(dir_ver(9), (3, Direction::SendRecv));
    assert_eq!(dir_ver(11), (3, Direction::SendRecv));
    let cseqs: Vec<u32> = msgs.iter().map(|m| parse(m).cseq().unwrap().seq).collect();
    assert_eq!(cseqs, [1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4]);
}

#[test]
fn t38_reinvite_from_trunk() {
    let msgs = sip_messages(&scenario("t38-reinvite.pcap"));
    let reinvite = parse(&msgs[5]);
    assert_eq!(msgs[5].src, SocketAddr::new(IpAddr::V4(TRUNK), 5060));
    assert_eq!(
        reinvite.request_uri_raw().unwrap(),
        b"sip:1001@192.0.2.10:5060"
    );
    for (i, port) in [(5, 50_010), (7, 40_010)] {
        let sdp = sdp_of(&parse(&msgs[i]));
        assert_eq!(sdp.media.len(), 2);
        assert_eq!(sdp.media[0].kind, MediaKind::Audio);
        assert_eq!(sdp.media[0].port, 0);
        assert!(sdp.media[0].is_disabled());
        let image = &sdp.media[1];
        assert!(image.is_t38());
        assert_eq!(image.port, port);
        let attrs: Vec<_> = image.t38_attributes().map(|(n, _)| n).collect();
        assert_eq!(
            attrs,
            [
                "T38FaxVersion",
                "T38MaxBitRate",
                "T38FaxRateManagement",
                "T38FaxMaxBuffer",
                "T38FaxMaxDatagram",
                "T38FaxUdpEC"
            ]
        );
    }
    // UDPTL both ways on 40010 <-> 50010.
    let s = scenario("t38-reinvite.pcap");
    let udptl = s
        .frames
        .iter()
        .filter(|f| {
            matches!(decode(LinkType::ETHERNET, &f.data).unwrap().l4,
                L4::Udp { src_port, dst_port } if (src_port, dst_port) == (40_010, 50_010)
                    || (src_port, dst_port) == (50_010, 40_010))
        })
        .count();
    assert_eq!(udptl, 50);
}

#[test]
fn register_then_inbound_after_idle() {
    let s = scenario("register-inbound.pcap");
    let msgs = sip_messages(&s);
    let reg = parse(&msgs[0]);
    assert_eq!(reg.request_uri_raw().unwrap(), b"sip:198.51.100.30");
    let contact = reg.header_value_by_name(b"Contact").unwrap();
    assert_eq!(contact, b"<sip:1001@192.0.2.10:5060>;expires=300");
    let invite = parse(&msgs[2]);
    assert_eq!(
        invite.request_uri_raw().unwrap(),
        b"sip:1001@192.0.2.10:5060"
    );
    assert_eq!(
        msgs[2].src,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 30)), 5060)
    );
    let sdp = sdp_of(&invite);
    assert_eq!(sdp.media[0].port, 52_000);
    // At least 60 s between the REGISTER's 200 OK (frame 2) and the INVITE (frame 3).
    assert!(s.frames[2].ts - s.frames[1].ts >= Duration::from_secs(60));
}

#[test]
fn multipart_offer_is_second_part() {
    let msgs = sip_messages(&scenario("multipart-sdp.pcap"));
    let invite = parse(&msgs[0]);
    let ct = invite.content_type().unwrap().unwrap();
    assert!(ct.is_multipart());
    let parts =
        sipwall_wire::body::split_multipart(invite.body(), ct.boundary().unwrap(), 8).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts[0].content_type.unwrap(),
        b"application/isup;version=itu-t92+"
    );
    assert_eq!(parts[1].content_type.unwrap(), b"application/sdp");
    assert_eq!(audio(&sdp_of(&invite)).1, 40_000);
    let ok = parse(&msgs[3]);
    assert!(ok.content_type().unwrap().unwrap().is_sdp());
}

#[test]
fn early_media_and_cancel() {
    let s = scenario("early-media.pcap");
    let msgs = sip_messages(&s);
    let p183 = parse(&msgs[2]);
    assert_eq!(p183.status(), Some(183));
    assert_eq!(audio(&sdp_of(&p183)).1, 50_000);
    // The CANCEL and the ACK for 487 reuse the INVITE's branch; the calls differ in Call-ID.
    let invite = parse(&msgs[7]);
    let branch = |p: &Message<'_>| p.top_via().unwrap().unwrap().branch().unwrap().to_vec();
    assert_ne!(invite.call_id(), parse(&msgs[0]).call_id());
    assert_eq!(branch(&parse(&msgs[10])), branch(&invite));
    assert_eq!(branch(&parse(&msgs[13])), branch(&invite));
    assert_eq!(
        parse(&msgs[13]).cseq().unwrap().seq,
        invite.cseq().unwrap().seq
    );
}

/// RTP on even ports, RTCP on odd, UDPTL on 40010/50010.
#[test]
fn media_is_well_formed() {
    for s in generated() {
        let mut last_seq: BTreeMap<u32, u16> = BTreeMap::new();
        let mut rtp = 0;
        let mut rtcp = 0;
        for f in &s.frames {
            let v = decode(LinkType::ETHERNET, &f.data).unwrap();
            let L4::Udp { src_port, dst_port } = v.l4 else {
                continue;
            };
            if src_port == 5060 || dst_port == 5060 || src_port == 40_010 || src_port == 50_010 {
                continue;
            }
            let p = v.payload;
            assert_eq!(p[0] >> 6, 2, "{}: RTP/RTCP version", s.file_name);
            if src_port % 2 == 0 {
                rtp += 1;
                assert_eq!(p.len(), 12 + 160);
                assert_eq!(p[1] & 0x7F, 0, "PT 0");
                let seq = u16::from_be_bytes([p[2], p[3]]);
                let ssrc = u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
                if let Some(prev) = last_seq.insert(ssrc, seq) {
                    assert_eq!(seq, prev.wrapping_add(1), "{}", s.file_name);
                }
            } else {
                rtcp += 1;
                // A compound packet: SR or RR first, lengths add up, SDES present.
                assert!(matches!(p[1], 200 | 201));
                let mut at = 0;
                let mut types = Vec::new();
                while at < p.len() {
                    let len = (usize::from(u16::from_be_bytes([p[at + 2], p[at + 3]])) + 1) * 4;
                    types.push(p[at + 1]);
                    at += len;
                }
                assert_eq!(at, p.len());
                assert!(types.contains(&202));
            }
        }
        assert!(rtp >= 50, "{}", s.file_name);
        assert!(rtcp >= 2, "{}", s.file_name);
    }
}

#[test]
fn unsolicited_rtp_before_and_after() {
    let s = scenario("unsolicited-rtp.pcap");
    let kinds: Vec<bool> = s
        .frames
        .iter()
        .map(|f| {
            matches!(
                decode(LinkType::ETHERNET, &f.data).unwrap().l4,
                L4::Udp { src_port: 5060, .. } | L4::Udp { dst_port: 5060, .. }
            )
        })
        .collect();
    assert!(kinds[..10].iter().all(|k| !k));
    assert!(kinds[10]);
    let n = kinds.len();
    assert!(kinds[n - 10..].iter().all(|k| !k));
    assert!(kinds[n - 11]);
    for f in s.frames[..10].iter().chain(&s.frames[n - 10..]) {
        let v = decode(LinkType::ETHERNET, &f.data).unwrap();
        assert_eq!(v.src, IpAddr::V4(TRUNK));
        assert_eq!(
            v.l4,
            L4::Udp {
                src_port: 50_000,
                dst_port: 40_000
            }
        );
    }
}
