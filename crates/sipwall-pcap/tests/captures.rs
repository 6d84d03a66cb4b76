//! Capture-level tests: builder + writer + reader + decoder round trips, fragment reassembly
//! through a capture, and every third-party capture under `../shared/corpora/captures`
//! (skipped, with a message, when that folder is absent — a fresh clone does not have it).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sipwall_pcap::build::{build_fragmented_udp_ipv4, build_fragmented_udp_ipv6};
use sipwall_pcap::{CaptureReader, CaptureWriter, LinkType, WriterOptions};
use sipwall_wire::packet::{decode, DefragOutcome, Defragmenter, PacketView, L4};

fn corpora() -> Option<PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpora"
    ));
    p.is_dir().then(|| p.to_path_buf())
}

/// An arbitrary origin for the virtual clock (the defragmenter never reads the clock).
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn sip_invite(len: usize) -> Vec<u8> {
    let mut m =
        b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1\r\n\r\n".to_vec();
    m.resize(len, b'a');
    m
}

/// Write frames to an in-memory pcap and read them back, decoding each; fragments go through
/// a defragmenter. Returns the UDP payloads seen.
fn replay(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut w =
        CaptureWriter::new(Vec::new(), LinkType::ETHERNET, WriterOptions::default()).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write(Duration::from_millis(1_000 + i as u64), f).unwrap();
    }
    let bytes = w.finish().unwrap();
    let mut r = CaptureReader::new(Cursor::new(bytes)).unwrap();
    let mut d = Defragmenter::default();
    let start = t0();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        let now = start + f.ts;
        let v = decode(f.linktype, f.data).unwrap();
        if v.fragment.is_some() {
            if let DefragOutcome::Complete(p) = d.handle_fragment(now, &v) {
                let v = decode(LinkType::RAW, &p).unwrap();
                assert!(matches!(v.l4, L4::Udp { .. }));
                out.push(v.payload.to_vec());
            }
        } else {
            out.push(v.payload.to_vec());
        }
    }
    out
}

#[test]
fn fragmented_invite_reassembles_from_a_capture() {
    let msg = sip_invite(3000);
    let src = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 5060);
    let dst = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 2), 5060);
    let mut v4 = build_fragmented_udp_ipv4(src, dst, &msg, 0x1234, 1480).unwrap();
    assert_eq!(v4.len(), 3);
    v4.swap(0, 2); // out of order: 2, 1, 0
    let six = |l: u16| SocketAddrV6::new(format!("2001:db8::{l}").parse().unwrap(), 5060, 0, 0);
    let mut v6 = build_fragmented_udp_ipv6(six(1), six(2), &msg, 77, 1232).unwrap();
    assert_eq!(v6.len(), 3);
    v6.rotate_left(1); // 1, 2, 0
    let mut all = v4;
    all.extend(v6);
    let payloads = replay(&all);
    assert_eq!(payloads, vec![msg.clone(), msg]);
}

// ------------------------------------------------------------------ third-party captures

#[derive(Default, Debug)]
struct Summary {
    frames: u64,
    udp: u64,
    tcp: u64,
    sctp: u64,
    ipv6: u64,
    tunneled: u64,
    fragments: u64,
    reassembled: u64,
    decode_errors: BTreeMap<&'static str, u64>,
    read_error: Option<String>,
    /// (proto, src port, dst port, first bytes of payload) of SIP-looking payloads.
    sip: Vec<(u8, u16, u16, String)>,
}

fn looks_like_sip(p: &[u8]) -> bool {
    const STARTS: [&[u8]; 14] = [
        b"INVITE ",
        b"ACK ",
        b"BYE ",
        b"CANCEL ",
        b"OPTIONS ",
        b"REGISTER ",
        b"PRACK ",
        b"SUBSCRIBE ",
        b"NOTIFY ",
        b"PUBLISH ",
        b"INFO ",
        b"REFER ",
        b"MESSAGE ",
        b"SIP/2.0 ",
    ];
    STARTS.iter().any(|s| p.starts_with(s))
}

fn note(s: &mut Summary, v: &PacketView<'_>) {
    if v.is_ipv6() {
        s.ipv6 += 1;
    }
    if v.encap_depth > 0 {
        s.tunneled += 1;
    }
    let ports = match v.l4 {
        L4::Udp { src_port, dst_port } => {
            s.udp += 1;
            Some((src_port, dst_port))
        }
        L4::Tcp {
            src_port, dst_port, ..
        } => {
            s.tcp += 1;
            Some((src_port, dst_port))
        }
        L4::Sctp { src_port, dst_port } => {
            s.sctp += 1;
            Some((src_port, dst_port))
        }
        _ => None,
    };
    if let Some((sp, dp)) = ports {
        if looks_like_sip(v.payload) {
            let head = String::from_utf8_lossy(&v.payload[..v.payload.len().min(12)]).into_owned();
            s.sip.push((v.proto, sp, dp, head));
        }
    }
}

fn scan(path: &Path) -> Summary {
    let mut s = Summary::default();
    let mut r = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            s.read_error = Some(e.to_string());
            return s;
        }
    };
    let mut d = Defragmenter::default();
    let start = t0();
    loop {
        let f = match r.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                s.read_error = Some(e.to_string());
                break;
            }
        };
        s.frames += 1;
        let now = start + f.ts;
        match decode(f.linktype, f.data) {
            Ok(v) if v.fragment.is_some() => {
                s.fragments += 1;
                if let DefragOutcome::Complete(p) = d.handle_fragment(now, &v) {
                    s.reassembled += 1;
                    match decode(LinkType::RAW, &p) {
                        Ok(v) => note(&mut s, &v),
                        Err(e) => *s.decode_errors.entry(e.kind.as_str()).or_default() += 1,
                    }
                }
            }
            Ok(v) => note(&mut s, &v),
            Err(e) => *s.decode_errors.entry(e.kind.as_str()).or_default() += 1,
        }
    }
    s
}

fn is_capture(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    matches!(
        bytes.get(..4),
        Some([0xD4, 0xC3, 0xB2, 0xA1])
            | Some([0xA1, 0xB2, 0xC3, 0xD4])
            | Some([0x4D, 0x3C, 0xB2, 0xA1])
            | Some([0xA1, 0xB2, 0x3C, 0x4D])
            | Some([0x0A, 0x0D, 0x0D, 0x0A])
            | Some(b"GMBU")
            | Some(b"RTSS")
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if is_capture(&p) {
            out.push(p);
        }
    }
}

#[test]
fn third_party_captures_decode() {
    let Some(root) = corpora() else {
        eprintln!("SKIP third_party_captures_decode: ../shared/corpora is absent");
        return;
    };
    let mut files = Vec::new();
    walk(&root.join("captures"), &mut files);
    assert!(
        !files.is_empty(),
        "no captures found under {}",
        root.display()
    );
    let mut by_name = BTreeMap::new();
    for f in &files {
        let s = scan(f);
        let rel = f
            .strip_prefix(root.join("captures"))
            .unwrap_or(f)
            .display()
            .to_string();
        eprintln!(
            "{rel}: frames={} udp={} tcp={} sctp={} ipv6={} tunneled={} frags={} reasm={} sip={} errors={:?}{}",
            s.frames,
            s.udp,
            s.tcp,
            s.sctp,
            s.ipv6,
            s.tunneled,
            s.fragments,
            s.reassembled,
            s.sip.len(),
            s.decode_errors,
            s.read_error
                .as_deref()
                .map(|e| format!(" READ ERROR: {e}"))
                .unwrap_or_default()
        );
        by_name.insert(rel, s);
    }
    let get = |name: &str| {
        by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} not found among the captures"))
    };

    let g711 = get("sipnab/SIP_CALL_RTP_G711");
    assert!(g711.read_error.is_none());
    assert!(g711.sip.iter().any(|(p, sp, dp, h)| *p == 17
        && (*sp == 5060 || *dp == 5060)
        && h.starts_with("INVITE ")));

    let erspan = get("heplify/erspan_sip_ipv4_udp.pcapng");
    assert!(erspan.tunneled > 0, "{erspan:?}");
    assert!(
        erspan.sip.iter().filter(|(p, ..)| *p == 17).count() >= 100,
        "{:?}",
        erspan.sip.len()
    );

    let ipip = get("sngrep/ipip.pcap");
    assert!(ipip.tunneled > 0);
    assert!(ipip.sip.iter().any(|(p, ..)| *p == 6), "{ipip:?}");

    let v6 = get("heplify/sip_ipv6_udp.pcap");
    assert!(v6.ipv6 > 0 && v6.udp > 0);
    assert_eq!(
        v6.sip.iter().filter(|(p, ..)| *p == 17).count(),
        6,
        "{v6:?}"
    );

    let sctp = get("heplify/sip_sctp.pcap");
    assert!(sctp.sctp > 0);

    // sipnab/c07-sip-r2.cap is a Microsoft Network Monitor 2.0 file ("GMBU"); it now reads
    // (its content is checked in `netmon_c07_protos_invites`).
    let c07 = get("sipnab/c07-sip-r2.cap");
    assert!(c07.read_error.is_none(), "{c07:?}");
    assert_eq!(c07.frames, 39, "{c07:?}");
    assert!(c07.decode_errors.is_empty(), "{c07:?}");

    // No capture may fail to read, and the SIP frame counts of the inventory are met or
    // exceeded where the inventory says the SIP is in single UDP datagrams.
    for (name, s) in &by_name {
        assert!(s.read_error.is_none(), "{name}: {:?}", s.read_error);
    }
}

/// `sipnab/c07-sip-r2.cap`, a Network Monitor 2.0 capture of the PROTOS c07-sip test tool
/// (Univ. Oulu): 2 NetBIOS name-service frames, then 37 UDP datagrams 127.0.0.1:5060 ->
/// 127.0.0.1:80, each an INVITE `sip:tori@localhost` whose method token is the test case:
/// frame 3 is the valid `INVITE`, then an empty method, `a` runs of growing length, Latin-1
/// `åäö` runs, and space runs. Five test cases (frames 16-19 and 31) are 16 000 bytes of the
/// method filler alone, with no request-URI left.
#[test]
fn netmon_c07_protos_invites() {
    let Some(root) = corpora() else {
        eprintln!("SKIP netmon_c07_protos_invites: ../shared/corpora is absent");
        return;
    };
    let path = root.join("captures/sipnab/c07-sip-r2.cap");
    if !path.is_file() {
        eprintln!(
            "SKIP netmon_c07_protos_invites: {} is absent",
            path.display()
        );
        return;
    }
    let mut r = CaptureReader::open(&path).unwrap();
    assert_eq!(r.format(), sipwall_pcap::CaptureFormat::NetMon2);
    assert_eq!(r.linktype(), Some(LinkType::ETHERNET));
    // Capture start 2005-07-17 15:39:20.502 (the file's SYSTEMTIME, taken as UTC).
    let start = Duration::new(1_121_614_760, 502_000_000);
    let (mut frames, mut nbns, mut invites, mut overflow, mut valid) = (0u64, 0, 0, 0, 0);
    let mut last_ts = Duration::ZERO;
    while let Some(f) = r.next_frame().unwrap() {
        frames += 1;
        assert_eq!(f.index, frames);
        assert_eq!(f.linktype, LinkType::ETHERNET);
        assert_eq!(f.orig_len as usize, f.data.len());
        assert!(
            f.ts >= start && f.ts >= last_ts,
            "frame {} at {:?}",
            f.index,
            f.ts
        );
        last_ts = f.ts;
        let v = decode(f.linktype, f.data).unwrap();
        let L4::Udp { src_port, dst_port } = v.l4 else {
            panic!("frame {} is not UDP: {v:?}", f.index);
        };
        match (src_port, dst_port) {
            (137, 137) => nbns += 1,
            (5060, 80) => {
                let Some(line_end) = v.payload.windows(2).position(|w| w == b"\r\n") else {
                    assert_eq!(v.payload.len(), 16_000, "frame {}", f.index);
                    overflow += 1;
                    continue;
                };
                let line = &v.payload[..line_end];
                assert!(
                    line.ends_with(b" sip:tori@localhost SIP/2.0"),
                    "frame {}: {}",
                    f.index,
                    String::from_utf8_lossy(&line[line.len().saturating_sub(40)..])
                );
                invites += 1;
                if line.starts_with(b"INVITE ") {
                    valid += 1;
                    assert_eq!(f.index, 3);
                }
            }
            other => panic!("frame {}: unexpected ports {other:?}", f.index),
        }
    }
    assert_eq!((frames, nbns, invites, overflow, valid), (39, 2, 32, 5, 1));
    assert_eq!(last_ts, start + Duration::from_micros(11_952_000));
}
