use super::*;
use crate::build::{build_tcp, build_udp_ipv4, build_udp_ipv6, TcpSegment};
use crate::{CaptureWriter, WriterOptions};
use sipwall_wire::packet::{decode, TcpFlags, L4};
use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";

fn a4(last: u8, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, last), port)
}

fn read_all(bytes: Vec<u8>) -> (Vec<OwnedFrame>, Option<CaptureError>) {
    let mut r = match CaptureReader::new(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut frames = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => frames.push(f.to_owned()),
            Ok(None) => return (frames, None),
            Err(e) => {
                // After an error the reader is fused.
                assert!(matches!(r.next_frame(), Ok(None)));
                return (frames, Some(e));
            }
        }
    }
}

fn sample_pcap(opts: WriterOptions) -> Vec<u8> {
    let mut w = CaptureWriter::new(Vec::new(), LinkType::ETHERNET, opts).unwrap();
    let f1 = build_udp_ipv4(a4(1, 5060), a4(2, 5060), INVITE).unwrap();
    let f2 = build_tcp(
        &TcpSegment::data(
            SocketAddr::V4(a4(2, 5060)),
            SocketAddr::V4(a4(1, 40000)),
            7,
            9,
        ),
        b"SIP/2.0 200 OK\r\n\r\n",
    )
    .unwrap();
    let six = |l: u16| SocketAddrV6::new(format!("2001:db8::{l}").parse().unwrap(), 5060, 0, 0);
    let f3 = build_udp_ipv6(six(1), six(2), INVITE).unwrap();
    w.write(Duration::new(1_700_000_000, 123_456_789), &f1)
        .unwrap();
    w.write(Duration::new(1_700_000_001, 0), &f2).unwrap();
    w.write(Duration::new(1_700_000_002, 5_000), &f3).unwrap();
    assert_eq!(w.written(), 3);
    w.finish().unwrap()
}

#[test]
fn pcap_round_trip() {
    let (frames, err) = read_all(sample_pcap(WriterOptions::default()));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].index, 1);
    assert_eq!(frames[2].index, 3);
    // Microsecond file: nanoseconds are cut.
    assert_eq!(frames[0].ts, Duration::new(1_700_000_000, 123_456_000));
    let v = decode(frames[0].linktype, &frames[0].data).unwrap();
    assert_eq!(v.src, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(
        v.l4,
        L4::Udp {
            src_port: 5060,
            dst_port: 5060
        }
    );
    assert_eq!(v.payload, INVITE);
    let v = decode(frames[1].linktype, &frames[1].data).unwrap();
    match v.l4 {
        L4::Tcp {
            dst_port,
            seq,
            ack,
            flags,
            ..
        } => {
            assert_eq!((dst_port, seq, ack), (40000, 7, 9));
            assert_eq!(flags, TcpFlags(TcpFlags::ACK | TcpFlags::PSH));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(v.payload, b"SIP/2.0 200 OK\r\n\r\n");
    let v = decode(frames[2].linktype, &frames[2].data).unwrap();
    assert!(v.is_ipv6());
    assert_eq!(v.payload, INVITE);
}

#[test]
fn pcap_nanosecond_round_trip() {
    let opts = WriterOptions {
        nanosecond: true,
        ..WriterOptions::default()
    };
    let (frames, err) = read_all(sample_pcap(opts));
    assert!(err.is_none());
    assert_eq!(frames[0].ts, Duration::new(1_700_000_000, 123_456_789));
}

#[test]
fn pcap_big_endian() {
    // Header: magic a1b2c3d4 (big-endian), v2.4, zone 0, sigfigs 0, snaplen 65535, linktype 101.
    let mut f = vec![0xA1, 0xB2, 0xC3, 0xD4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];
    f.extend_from_slice(&[0, 0, 0xFF, 0xFF, 0, 0, 0, 101]);
    let ip = &build_udp_ipv4(a4(1, 1), a4(2, 5060), INVITE).unwrap()[14..];
    let len = ip.len() as u32;
    f.extend_from_slice(&10u32.to_be_bytes());
    f.extend_from_slice(&20u32.to_be_bytes());
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(ip);
    let (frames, err) = read_all(f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].linktype, LinkType::RAW);
    assert_eq!(frames[0].ts, Duration::new(10, 20_000));
    assert_eq!(
        decode(LinkType::RAW, &frames[0].data).unwrap().payload,
        INVITE
    );
}

#[test]
fn truncated_pcap_yields_frames_before_the_damage() {
    let full = sample_pcap(WriterOptions::default());
    let cut = full[..full.len() - 10].to_vec();
    let (frames, err) = read_all(cut);
    assert_eq!(frames.len(), 2);
    let e = err.unwrap();
    assert_eq!(e.kind, CaptureErrorKind::Truncated);
    assert_eq!(e.frame, 3);
    assert!(e.to_string().contains("frame 3"), "{e}");
}

#[test]
fn not_a_capture() {
    let (_, err) = read_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec());
    assert_eq!(err.unwrap().kind, CaptureErrorKind::NotACapture);
    let (_, err) = read_all(Vec::new());
    assert_eq!(err.unwrap().kind, CaptureErrorKind::NotACapture);
}

// ---- pcap-ng built by hand (little-endian), draft-ietf-opsawg-pcapng §4 ----

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn shb() -> Vec<u8> {
    let mut body = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    body.extend_from_slice(&[1, 0, 0, 0]);
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(0x0A0D_0D0A, &body)
}

fn idb(linktype: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = linktype.to_le_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&0u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend_from_slice(&9u16.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
    }
    block(1, &body)
}

fn epb(if_id: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let mut body = if_id.to_le_bytes().to_vec();
    body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    block(6, &body)
}

fn spb(data: &[u8]) -> Vec<u8> {
    let mut body = (data.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(data);
    block(3, &body)
}

fn opb(if_id: u16, ts: u64, data: &[u8]) -> Vec<u8> {
    let mut body = if_id.to_le_bytes().to_vec();
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    block(2, &body)
}

fn sample_ng() -> Vec<u8> {
    let eth = build_udp_ipv4(a4(1, 5060), a4(2, 5060), INVITE).unwrap();
    let raw = eth[14..].to_vec();
    let mut f = shb();
    f.extend(idb(1, None)); // interface 0: Ethernet, microseconds
    f.extend(idb(101, Some(9))); // interface 1: raw IP, nanoseconds
    f.extend(epb(0, 1_700_000_000_500_000, &eth));
    f.extend(block(0x0000_0004, &[0, 0, 0, 0])); // name resolution block: skipped
    f.extend(epb(1, 1_700_000_001_000_000_007, &raw));
    f.extend(spb(&eth));
    f.extend(opb(1, 1_700_000_002_000_000_000, &raw));
    f
}

#[test]
fn pcapng_interfaces_and_block_kinds() {
    let (frames, err) = read_all(sample_ng());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 4);
    let lt: Vec<_> = frames
        .iter()
        .map(|f| (f.linktype, f.interface_id))
        .collect();
    assert_eq!(
        lt,
        vec![
            (LinkType::ETHERNET, 0),
            (LinkType::RAW, 1),
            (LinkType::ETHERNET, 0),
            (LinkType::RAW, 1)
        ]
    );
    assert_eq!(frames[0].ts, Duration::new(1_700_000_000, 500_000_000));
    assert_eq!(frames[1].ts, Duration::new(1_700_000_001, 7));
    assert_eq!(frames[2].ts, frames[1].ts, "SPB takes the previous time");
    assert_eq!(frames[3].ts, Duration::new(1_700_000_002, 0));
    for f in &frames {
        assert_eq!(decode(f.linktype, &f.data).unwrap().payload, INVITE);
    }
    let mut r = CaptureReader::new(Cursor::new(sample_ng())).unwrap();
    assert_eq!(r.format(), CaptureFormat::PcapNg);
    assert!(r.next_frame().unwrap().is_some());
    assert_eq!(r.linktype(), Some(LinkType::ETHERNET));
}

#[test]
fn pcapng_unknown_interface_and_truncation() {
    let eth = build_udp_ipv4(a4(1, 5060), a4(2, 5060), INVITE).unwrap();
    let mut f = shb();
    f.extend(idb(1, None));
    f.extend(epb(0, 0, &eth));
    f.extend(epb(3, 0, &eth));
    let (frames, err) = read_all(f);
    assert_eq!(frames.len(), 1);
    let e = err.unwrap();
    assert_eq!((e.kind, e.frame), (CaptureErrorKind::UnknownInterface, 2));

    let full = sample_ng();
    let (frames, err) = read_all(full[..full.len() - 3].to_vec());
    assert_eq!(frames.len(), 3);
    assert_eq!(err.unwrap().kind, CaptureErrorKind::Truncated);
}

#[test]
fn iterator_yields_owned_frames() {
    let r = CaptureReader::new(Cursor::new(sample_pcap(WriterOptions::default()))).unwrap();
    let n = r.filter_map(Result::ok).count();
    assert_eq!(n, 3);
}

#[test]
fn large_frame_grows_the_buffer() {
    // A 300 KiB frame exceeds the initial 256 KiB buffer.
    let mut w = CaptureWriter::new(
        Vec::new(),
        LinkType::RAW,
        WriterOptions {
            snaplen: 1 << 20,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    let big = vec![0x45u8; 300 * 1024];
    w.write(Duration::ZERO, &big).unwrap();
    w.write(Duration::ZERO, b"x").unwrap();
    let (frames, err) = read_all(w.finish().unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].data.len(), big.len());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
        #[test]
        fn mutated_captures_never_panic(
            edits in proptest::collection::vec((0usize..600, any::<u8>()), 1..10),
            ng in any::<bool>(),
            cut in 0usize..600,
        ) {
            let mut bytes = if ng { sample_ng() } else { sample_pcap(WriterOptions::default()) };
            for (pos, val) in &edits {
                if let Some(b) = bytes.get_mut(*pos) { *b = *val; }
            }
            if cut < bytes.len() && cut % 3 == 0 {
                bytes.truncate(bytes.len() - cut);
            }
            let (frames, _) = read_all(bytes);
            for f in frames {
                let _ = decode(f.linktype, &f.data);
            }
        }
    }
}
