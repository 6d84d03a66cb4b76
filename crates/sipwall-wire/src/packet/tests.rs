use super::*;
use etherparse::PacketBuilder;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n";

fn eth_udp4(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(5060, 5070)
        .write(&mut v, payload)
        .unwrap(); // test fixture
    v
}

fn raw_udp4(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(5060, 5060)
        .write(&mut v, payload)
        .unwrap(); // test fixture
    v
}

fn raw_udp6(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[15] = 1;
    let mut b = a;
    b[15] = 2;
    PacketBuilder::ipv6(a, b, 64)
        .udp(5060, 5060)
        .write(&mut v, payload)
        .unwrap(); // test fixture
    v
}

/// A 20-byte IPv4 header (no options) with the given protocol and payload length.
fn ipv4_hdr(proto: u8, payload_len: usize, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let total = (20 + payload_len) as u16;
    let mut h = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0];
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let sum = ipv4_header_checksum(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}

#[test]
fn ethernet_udp_ipv4() {
    let f = eth_udp4(INVITE);
    let v = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(v.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(v.dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(v.proto, 17);
    assert_eq!(
        v.l4,
        L4::Udp {
            src_port: 5060,
            dst_port: 5070
        }
    );
    assert_eq!(v.payload, INVITE);
    assert_eq!((v.ip_offset, v.l4_offset, v.payload_offset), (14, 34, 42));
    assert_eq!(
        &f[v.payload_offset..v.payload_offset + v.payload.len()],
        INVITE
    );
    assert_eq!(v.ip.len(), 20 + 8 + INVITE.len());
    assert!(v.fragment.is_none() && v.outer.is_none() && v.vlan.is_none());
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut f = eth_udp4(b"hi");
    f.extend_from_slice(&[0u8; 16]); // minimum frame size padding
    let v = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(v.payload, b"hi");
}

#[test]
fn vlan_tags() {
    let mut f = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .single_vlan(etherparse::VlanId::try_new(42).unwrap())
        .ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
        .udp(1, 5060)
        .write(&mut f, INVITE)
        .unwrap();
    let v = decode(LinkType::ETHERNET, &f).unwrap();
    assert_eq!(v.vlan, Some(42));
    assert_eq!(v.ip_offset, 18);
    assert_eq!(v.payload, INVITE);
    // QinQ: S-tag 0x88a8 (vid 7) then C-tag 0x8100 (vid 42).
    let mut q = f[..12].to_vec();
    q.extend_from_slice(&[0x88, 0xA8, 0x00, 0x07]);
    q.extend_from_slice(&f[12..]);
    let v = decode(LinkType::ETHERNET, &q).unwrap();
    assert_eq!(v.vlan, Some(7));
    assert_eq!(v.ip_offset, 22);
    assert_eq!(v.payload, INVITE);
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = raw_udp4(INVITE);
    // SLL: packet type 0 (to us), ARPHRD_ETHER 1, addr len 6, addr (8), protocol 0x0800.
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    let v = decode(LinkType::LINUX_SLL, &sll).unwrap();
    assert_eq!(v.ip_offset, 16);
    assert_eq!(v.payload, INVITE);
    // SLL2: protocol 0x0800, reserved, ifindex 3, ARPHRD 1, pkttype 4, addr len 6, addr (8).
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    let v = decode(LinkType::LINUX_SLL2, &sll2).unwrap();
    assert_eq!(v.ip_offset, 20);
    assert_eq!(v.payload, INVITE);
    // ARP over SLL is not IP.
    sll[14..16].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(
        decode(LinkType::LINUX_SLL, &sll).unwrap_err().kind,
        DecodeErrorKind::NotIp
    );
}

#[test]
fn null_loopback_and_raw() {
    let ip = raw_udp6(INVITE);
    for fam in [[30u8, 0, 0, 0], [0, 0, 0, 24], [10, 0, 0, 0]] {
        let mut f = fam.to_vec();
        f.extend_from_slice(&ip);
        let v = decode(LinkType::NULL, &f).unwrap();
        assert!(v.is_ipv6());
        assert_eq!(v.payload, INVITE);
    }
    for lt in [LinkType::RAW, LinkType::RAW_12, LinkType::IPV6] {
        assert_eq!(decode(lt, &ip).unwrap().ip_offset, 0);
    }
    assert_eq!(
        decode(LinkType::IPV4, &ip).unwrap_err().kind,
        DecodeErrorKind::BadIpVersion
    );
    assert_eq!(
        decode(LinkType(147), &ip).unwrap_err().kind,
        DecodeErrorKind::UnsupportedLinkType
    );
}

#[test]
fn ipv6_extension_headers_are_walked() {
    let ip = raw_udp6(INVITE);
    // Insert a Hop-by-Hop header (8 bytes: next=17, len=0, PadN) and a Destination Options
    // header after the fixed header.
    let mut p = ip[..40].to_vec();
    p[6] = 0; // next: HBH
    let plen = u16::from_be_bytes([ip[4], ip[5]]) + 16;
    p[4..6].copy_from_slice(&plen.to_be_bytes());
    p.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // HBH -> DestOpts
    p.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // DestOpts -> UDP
    p.extend_from_slice(&ip[40..]);
    let v = decode(LinkType::RAW, &p).unwrap();
    assert_eq!(v.proto, 17);
    assert_eq!(v.l4_offset, 56);
    assert_eq!(v.payload, INVITE);
    // An extension header running past the payload is an error, not a panic.
    let mut bad = p.clone();
    bad[41] = 200;
    assert_eq!(
        decode(LinkType::RAW, &bad).unwrap_err().kind,
        DecodeErrorKind::BadIpv6Extension
    );
}

#[test]
fn tcp_fields() {
    let mut f = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 5060, 1000, 512)
        .syn()
        .ack(77)
        .write(&mut f, b"")
        .unwrap();
    let v = decode(LinkType::ETHERNET, &f).unwrap();
    match v.l4 {
        L4::Tcp {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window,
        } => {
            assert_eq!(
                (src_port, dst_port, seq, ack, window),
                (40000, 5060, 1000, 77, 512)
            );
            assert!(flags.syn() && flags.ack() && !flags.fin() && !flags.rst());
        }
        other => panic!("not tcp: {other:?}"),
    }
    assert!(v.payload.is_empty());
    // Data offset 4 (< 5) is malformed.
    let mut bad = f.clone();
    bad[14 + 20 + 12] = 0x40;
    assert_eq!(
        decode(LinkType::ETHERNET, &bad).unwrap_err().kind,
        DecodeErrorKind::BadTcpHeader
    );
}

#[test]
fn icmp_and_sctp() {
    let mut f = Vec::new();
    PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
        .icmpv4_echo_request(1, 2)
        .write(&mut f, b"ping")
        .unwrap();
    let v = decode(LinkType::RAW, &f).unwrap();
    assert_eq!(
        v.l4,
        L4::Icmp {
            icmp_type: 8,
            code: 0
        }
    );
    assert_eq!(v.payload, b"ping");
    let mut sctp = ipv4_hdr(132, 16, [1, 1, 1, 1], [2, 2, 2, 2]);
    sctp.extend_from_slice(&[
        0x13, 0xC4, 0x13, 0xC5, 0, 0, 0, 1, 0, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD,
    ]);
    let v = decode(LinkType::RAW, &sctp).unwrap();
    assert_eq!(
        v.l4,
        L4::Sctp {
            src_port: 5060,
            dst_port: 5061
        }
    );
    assert_eq!(v.payload, &[0xAA, 0xBB, 0xCC, 0xDD]);
}

#[test]
fn udp_length_rules() {
    let mut f = raw_udp4(INVITE);
    // UDP length shorter than the IP payload: payload is cut to the UDP length.
    f[24..26].copy_from_slice(&10u16.to_be_bytes());
    assert_eq!(decode(LinkType::RAW, &f).unwrap().payload, b"IN");
    f[24..26].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(
        decode(LinkType::RAW, &f).unwrap_err().kind,
        DecodeErrorKind::BadUdpHeader
    );
    f[24..26].copy_from_slice(&2000u16.to_be_bytes());
    assert_eq!(
        decode(LinkType::RAW, &f).unwrap_err().kind,
        DecodeErrorKind::BadUdpHeader
    );
}

#[test]
fn truncation_is_reported_with_offset() {
    let f = eth_udp4(INVITE);
    let e = decode(LinkType::ETHERNET, &f[..f.len() - 1]).unwrap_err();
    assert_eq!(e, DecodeError::new(DecodeErrorKind::Truncated, 14));
    assert_eq!(
        decode(LinkType::ETHERNET, &f[..10]).unwrap_err().kind,
        DecodeErrorKind::Truncated
    );
    let mut bad = f.clone();
    bad[14] = 0x44; // IHL 4
    assert_eq!(
        decode(LinkType::ETHERNET, &bad).unwrap_err().kind,
        DecodeErrorKind::BadIpv4Header
    );
}

#[test]
fn ip_in_ip_is_decapsulated() {
    let inner = raw_udp4(INVITE);
    let mut f = ipv4_hdr(4, inner.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
    f.extend_from_slice(&inner);
    let v = decode(LinkType::RAW, &f).unwrap();
    assert_eq!(v.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(v.ip_offset, 20);
    assert_eq!(v.encap_depth, 1);
    let o = v.outer.unwrap();
    assert_eq!(
        (o.src, o.proto),
        (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 4)
    );
    assert_eq!(v.payload, INVITE);
    // With decapsulation off, the outer packet is reported.
    let opts = DecodeOptions {
        decapsulate: false,
        ..DecodeOptions::default()
    };
    let v = decode_with(LinkType::RAW, &f, &opts).unwrap();
    assert_eq!(
        (v.proto, v.l4, v.payload.len()),
        (4, L4::Other, inner.len())
    );
}

#[test]
fn tunnel_depth_is_limited() {
    let mut p = raw_udp4(INVITE);
    for _ in 0..5 {
        let mut outer = ipv4_hdr(4, p.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
        outer.extend_from_slice(&p);
        p = outer;
    }
    assert_eq!(
        decode(LinkType::RAW, &p).unwrap_err().kind,
        DecodeErrorKind::TunnelTooDeep
    );
    let opts = DecodeOptions {
        max_encap_depth: 5,
        ..DecodeOptions::default()
    };
    assert_eq!(
        decode_with(LinkType::RAW, &p, &opts).unwrap().encap_depth,
        5
    );
}

fn gre_frame(gre: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut f = ipv4_hdr(47, gre.len() + inner.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
    f.extend_from_slice(gre);
    f.extend_from_slice(inner);
    f
}

#[test]
fn gre_ip_and_key() {
    let inner = raw_udp6(INVITE);
    // Key present (K bit), protocol IPv6.
    let f = gre_frame(&[0x20, 0x00, 0x86, 0xDD, 0, 0, 0, 9], &inner);
    let v = decode(LinkType::RAW, &f).unwrap();
    assert!(v.is_ipv6());
    assert_eq!(v.ip_offset, 28);
    assert_eq!(v.payload, INVITE);
    assert_eq!(v.outer.unwrap().proto, 47);
    // Enhanced GRE (version 1) is not decapsulated: the outer packet is reported.
    let f = gre_frame(&[0x30, 0x01, 0x88, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0], &inner);
    let v = decode(LinkType::RAW, &f).unwrap();
    assert_eq!((v.proto, v.encap_depth), (47, 0));
}

#[test]
fn gre_erspan_and_teb() {
    let inner = eth_udp4(INVITE);
    // Transparent Ethernet bridging.
    let fr = gre_frame(&[0, 0, 0x65, 0x58], &inner);
    let v = decode(LinkType::RAW, &fr).unwrap();
    assert_eq!(v.payload, INVITE);
    assert_eq!(v.ip_offset, 20 + 4 + 14);
    // ERSPAN type II: GRE with sequence number, 8-byte ERSPAN header.
    let mut g = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1];
    g.extend_from_slice(&[0x10, 0x00, 0x00, 0x01, 0, 0, 0, 0]);
    let fr = gre_frame(&g, &inner);
    let v = decode(LinkType::RAW, &fr).unwrap();
    assert_eq!(v.payload, INVITE);
    assert_eq!(v.ip_offset, 20 + 8 + 8 + 14);
    // ERSPAN type I: no sequence number, no ERSPAN header.
    let fr = gre_frame(&[0, 0, 0x88, 0xBE], &inner);
    let v = decode(LinkType::RAW, &fr).unwrap();
    assert_eq!(v.payload, INVITE);
    // ERSPAN type III with the platform-specific subheader (O bit).
    let mut g = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1];
    g.extend_from_slice(&[0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    g.extend_from_slice(&[0u8; 8]);
    let fr = gre_frame(&g, &inner);
    let v = decode(LinkType::RAW, &fr).unwrap();
    assert_eq!(v.payload, INVITE);
    assert_eq!(v.ip_offset, 20 + 8 + 20 + 14);
    // ERSPAN inside Ethernet inside pcap: the outer VLAN is reported, the inner one is not.
    let mut e = eth_udp4(b"");
    e.truncate(14);
    e.extend_from_slice(&gre_frame(&g, &inner));
    assert_eq!(decode(LinkType::ETHERNET, &e).unwrap().payload, INVITE);
}

#[test]
fn fragments_are_flagged() {
    let big = vec![b'x'; 3000];
    let frags = fragment_ipv4(&raw_udp4(&big), 1480).unwrap();
    assert_eq!(frags.len(), 3);
    let v0 = decode(LinkType::RAW, &frags[0]).unwrap();
    let f0 = v0.fragment.unwrap();
    assert_eq!((f0.offset, f0.more, f0.header_len), (0, true, 20));
    assert_eq!((v0.proto, v0.l4), (17, L4::Other));
    let v2 = decode(LinkType::RAW, &frags[2]).unwrap();
    let f2 = v2.fragment.unwrap();
    assert_eq!((f2.offset, f2.more), (2960, false));
    assert_eq!(v2.payload.len(), 3008 - 2960);

    let frags6 = fragment_ipv6(&raw_udp6(&big), 1400, 0xdead).unwrap();
    let v = decode(LinkType::RAW, &frags6[1]).unwrap();
    let f = v.fragment.unwrap();
    assert_eq!((f.id, f.offset, f.more), (0xdead, 1400, true));
    assert_eq!(
        (f.header_len, f.data_offset, f.next_header_pos),
        (40, 48, Some(6))
    );
    assert_eq!(v.proto, 17);
}

// ---------------------------------------------------------------- defragmentation

/// An arbitrary time origin for the virtual clock (the defragmenter never reads the clock).
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn sip_invite(len: usize) -> Vec<u8> {
    let mut m = b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n".to_vec();
    m.resize(len, b'a');
    m
}

/// Same IPv4 datagram, except for the DF bit (a fragmenter clears it) and so the checksum,
/// which must be valid.
fn assert_same_v4(p: &[u8], whole: &[u8]) {
    assert_eq!(p.len(), whole.len());
    assert_eq!(&p[..6], &whole[..6]);
    assert_eq!(&p[8..10], &whole[8..10]);
    assert_eq!(&p[12..], &whole[12..]);
    assert_eq!(p[6] & 0x3F, 0);
    assert_eq!(p[7], 0);
    assert_eq!(ipv4_header_checksum(&p[..20]).to_be_bytes(), [p[10], p[11]]);
}

fn feed(d: &mut Defragmenter, now: Instant, pkts: &[&Vec<u8>]) -> Vec<DefragOutcome> {
    pkts.iter()
        .map(|p| {
            let v = decode(LinkType::RAW, p).unwrap();
            d.handle_fragment(now, &v)
        })
        .collect()
}

#[test]
fn defrag_ipv4_out_of_order() {
    let msg = sip_invite(3000);
    let whole = raw_udp4(&msg);
    let f = fragment_ipv4(&whole, 1480).unwrap();
    assert_eq!(f.len(), 3);
    let mut d = Defragmenter::default();
    let now = t0();
    let out = feed(&mut d, now, &[&f[2], &f[0], &f[1]]);
    assert_eq!(out[0], DefragOutcome::Pending);
    assert_eq!(out[1], DefragOutcome::Pending);
    let DefragOutcome::Complete(p) = &out[2] else {
        panic!("{out:?}")
    };
    assert_same_v4(p, &whole);
    let v = decode(LinkType::RAW, p).unwrap();
    assert_eq!(v.payload, msg.as_slice());
    assert!(v.fragment.is_none());
    assert_eq!(d.counters().completed, 1);
    assert_eq!(d.pending_datagrams(), 0);
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn defrag_ipv6() {
    let msg = sip_invite(3000);
    let whole = raw_udp6(&msg);
    let f = fragment_ipv6(&whole, 1232, 7).unwrap();
    assert_eq!(f.len(), 3);
    let mut d = Defragmenter::default();
    let now = t0();
    let out = feed(&mut d, now, &[&f[1], &f[2], &f[0]]);
    let DefragOutcome::Complete(p) = &out[2] else {
        panic!("{out:?}")
    };
    assert_eq!(p, &whole);
    assert_eq!(decode(LinkType::RAW, p).unwrap().payload, msg.as_slice());
}

#[test]
fn defrag_duplicates_and_overlaps() {
    let whole4 = raw_udp4(&sip_invite(3000));
    let f = fragment_ipv4(&whole4, 1480).unwrap();
    let now = t0();
    // Exact duplicate: ignored.
    let mut d = Defragmenter::default();
    let out = feed(&mut d, now, &[&f[0], &f[0], &f[1], &f[2]]);
    assert_eq!(out[1], DefragOutcome::Pending);
    assert!(matches!(out[3], DefragOutcome::Complete(_)));
    assert_eq!(d.counters().duplicates, 1);
    // IPv4 overlap with agreeing bytes: accepted. Fragment at offset 8 carrying bytes 8..16.
    let mut mid = f[0][..20].to_vec();
    mid.extend_from_slice(&f[0][28..36]);
    mid[2..4].copy_from_slice(&28u16.to_be_bytes());
    mid[6..8].copy_from_slice(&(0x2000u16 | 1).to_be_bytes());
    let mut d = Defragmenter::default();
    let out = feed(&mut d, now, &[&f[0], &mid, &f[1], &f[2]]);
    let DefragOutcome::Complete(p) = &out[3] else {
        panic!("{out:?}")
    };
    assert_same_v4(p, &whole4);
    // IPv4 overlap with different bytes: datagram dropped.
    let mut evil = mid.clone();
    evil[20] ^= 0xFF;
    let mut d = Defragmenter::default();
    let out = feed(&mut d, now, &[&f[0], &evil, &f[1], &f[2]]);
    assert_eq!(out[1], DefragOutcome::Dropped(DropReason::Overlap));
    assert_eq!(out[3], DefragOutcome::Pending);
    assert_eq!(d.counters().dropped_overlap, 1);
    // IPv6: any overlap drops the datagram (RFC 5722).
    let whole6 = raw_udp6(&sip_invite(3000));
    let g = fragment_ipv6(&whole6, 1232, 9).unwrap();
    let mut g1 = g[1].clone(); // move fragment 1 back by 8 bytes: overlaps fragment 0
    let word = ((1232u16 - 8) / 8) << 3 | 1;
    g1[42..44].copy_from_slice(&word.to_be_bytes());
    let mut d = Defragmenter::default();
    let out = feed(&mut d, now, &[&g[0], &g1]);
    assert_eq!(out[1], DefragOutcome::Dropped(DropReason::Overlap));
    assert_eq!(d.pending_datagrams(), 0);
}

#[test]
fn defrag_bad_lengths_and_ends() {
    let whole = raw_udp4(&sip_invite(3000));
    let f = fragment_ipv4(&whole, 1480).unwrap();
    let now = t0();
    let mut d = Defragmenter::default();
    // A non-last fragment of 1481 bytes.
    let mut odd = f[0].clone();
    odd.push(0);
    let l = (odd.len()) as u16;
    odd[2..4].copy_from_slice(&l.to_be_bytes());
    assert_eq!(
        feed(&mut d, now, &[&odd])[0],
        DefragOutcome::Dropped(DropReason::BadLength)
    );
    // Offset so large that the datagram would pass 65535 bytes.
    let mut far = f[2].clone();
    far[6..8].copy_from_slice(&8190u16.to_be_bytes());
    assert_eq!(
        feed(&mut d, now, &[&far])[0],
        DefragOutcome::Dropped(DropReason::TooLarge)
    );
    // Two last fragments with different ends.
    let mut d = Defragmenter::default();
    let mut early_end = f[1].clone();
    early_end[6..8].copy_from_slice(&(1480u16 / 8).to_be_bytes()); // MF cleared
    let out = feed(&mut d, now, &[&f[2], &early_end]);
    assert_eq!(out[1], DefragOutcome::Dropped(DropReason::Inconsistent));
    // A non-fragment.
    let plain = raw_udp4(b"x");
    assert_eq!(
        feed(&mut d, now, &[&plain])[0],
        DefragOutcome::Dropped(DropReason::NotAFragment)
    );
}

#[test]
fn defrag_timeout_and_limits() {
    let now = t0();
    let whole = raw_udp4(&sip_invite(3000));
    let f = fragment_ipv4(&whole, 1480).unwrap();
    let mut d = Defragmenter::default();
    assert_eq!(feed(&mut d, now, &[&f[0]])[0], DefragOutcome::Pending);
    assert_eq!(d.poll_timeout(), Some(now + Duration::from_secs(30)));
    d.handle_timeout(now + Duration::from_secs(29));
    assert_eq!(d.pending_datagrams(), 1);
    // The rest arrives too late: the first fragment is gone, so no completion.
    let late = now + Duration::from_secs(31);
    let out = feed(&mut d, late, &[&f[1], &f[2]]);
    assert_eq!(out, vec![DefragOutcome::Pending, DefragOutcome::Pending]);
    assert_eq!(d.counters().timed_out, 1);

    // max_datagrams: the oldest is evicted.
    let limits = DefragLimits {
        max_datagrams: 2,
        ..DefragLimits::default()
    };
    let mut d = Defragmenter::new(limits);
    for id in 0..3u16 {
        let mut p = f[0].clone();
        p[4..6].copy_from_slice(&id.to_be_bytes());
        assert_eq!(feed(&mut d, now, &[&p])[0], DefragOutcome::Pending);
    }
    assert_eq!(d.pending_datagrams(), 2);
    assert_eq!(d.counters().evicted, 1);

    // max_fragments.
    let limits = DefragLimits {
        max_fragments: 2,
        ..DefragLimits::default()
    };
    let mut d = Defragmenter::new(limits);
    let out = feed(&mut d, now, &[&f[0], &f[1], &f[2]]);
    assert_eq!(out[2], DefragOutcome::Dropped(DropReason::TooManyFragments));
}

#[test]
fn fragmented_tunnel_reassembles_then_decapsulates() {
    let inner = raw_udp4(&sip_invite(2000));
    let mut outer = ipv4_hdr(4, inner.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
    outer.extend_from_slice(&inner);
    let f = fragment_ipv4(&outer, 1000).unwrap();
    let v = decode(LinkType::RAW, &f[0]).unwrap();
    assert_eq!((v.proto, v.encap_depth), (4, 0));
    let mut d = Defragmenter::default();
    let now = t0();
    let out = feed(&mut d, now, &f.iter().collect::<Vec<_>>());
    let Some(DefragOutcome::Complete(p)) = out.last() else {
        panic!("{out:?}")
    };
    let v = decode(LinkType::RAW, p).unwrap();
    assert_eq!(v.encap_depth, 1);
    assert_eq!(v.payload, sip_invite(2000).as_slice());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    const LINKS: [LinkType; 9] = [
        LinkType::NULL,
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
        LinkType::IPV4,
        LinkType::IPV6,
        LinkType::LINUX_SLL2,
        LinkType(9999),
    ];

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), l in 0usize..9) {
            if let Ok(v) = decode(LINKS[l], &bytes) {
                prop_assert!(v.payload_offset + v.payload.len() <= bytes.len());
                prop_assert!(v.ip_offset + v.ip.len() <= bytes.len());
            }
        }

        /// Mutated valid packets reach deeper than random bytes; feed both decode and defrag.
        #[test]
        fn mutated_fragments_never_panic(
            edits in proptest::collection::vec((0usize..1600, any::<u8>()), 0..8),
            which in 0usize..6,
            step in 0u64..40,
        ) {
            let msg = sip_invite(3000);
            let mut all = fragment_ipv4(&raw_udp4(&msg), 1480).unwrap();
            all.extend(fragment_ipv6(&raw_udp6(&msg), 1400, 3).unwrap());
            let mut d = Defragmenter::new(DefragLimits { max_fragments: 4, ..DefragLimits::default() });
            let t0 = t0();
            for (i, p) in all.iter().enumerate() {
                let mut p = p.clone();
                if i == which {
                    for (pos, val) in &edits {
                        if let Some(b) = p.get_mut(*pos) { *b = *val; }
                    }
                }
                let now = t0 + Duration::from_secs(step * i as u64);
                if let Ok(v) = decode(LinkType::RAW, &p) {
                    if let DefragOutcome::Complete(out) = d.handle_fragment(now, &v) {
                        let _ = decode(LinkType::RAW, &out);
                    }
                }
            }
        }
    }
}
