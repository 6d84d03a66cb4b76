use super::*;

#[test]
fn civil_dates() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(days_from_civil(2005, 7, 17), 12_981);
    assert_eq!(days_from_civil(1969, 12, 31), -1);
}

#[test]
fn media_types() {
    assert_eq!(media(1), Media::Link(LinkType::ETHERNET));
    assert_eq!(media(0), Media::Link(LinkType::ETHERNET));
    assert_eq!(media(9), Media::Link(LinkType::RAW));
    assert_eq!(media(0xE000 | 113), Media::Link(LinkType::LINUX_SLL));
    assert_eq!(media(0xE083), Media::Unsupported);
    assert_eq!(media(0xFFE0), Media::Numbered);
    assert_eq!(media(0xFFFD), Media::Hidden);
    assert_eq!(media(4), Media::Unsupported);
}

#[test]
fn times_before_the_epoch_clamp() {
    assert_eq!(to_duration(-5), Duration::ZERO);
    assert_eq!(to_duration(1_500_000_000), Duration::new(1, 500_000_000));
}

// ---- NetMon files built by hand (layout in the module documentation) ----

use crate::build::build_udp_ipv4;
use crate::{CaptureError, CaptureFormat, CaptureReader, OwnedFrame};
use sipwall_wire::packet::{decode, L4};
use std::io::Cursor;
use std::net::{Ipv4Addr, SocketAddrV4};

const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
/// 2005-07-17 15:39:20.502 (the start time of the PROTOS c07 capture) in UNIX seconds.
const START_SECS: u64 = 1_121_614_760;

struct Rec {
    /// 2.x: microseconds; 1.x: milliseconds.
    delta: u64,
    /// Per-packet media type (2.1 and later).
    media: u16,
    /// 2.3: FILETIME.
    filetime: u64,
    data: Vec<u8>,
}

fn rec(delta: u64, data: Vec<u8>) -> Rec {
    Rec {
        delta,
        media: 1,
        filetime: 0,
        data,
    }
}

fn invite_frame(last: u8) -> Vec<u8> {
    let a = |l: u8| SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, l), 5060);
    build_udp_ipv4(a(last), a(100), INVITE).unwrap()
}

/// A NetMon file: header, the records laid out in reverse physical order with a 3-byte hole
/// before each (the frame table gives the order), then the frame table.
fn netmon_file(major: u8, minor: u8, header_media: u16, recs: &[Rec]) -> Vec<u8> {
    let mut f = if major == 1 {
        b"RTSS".to_vec()
    } else {
        b"GMBU".to_vec()
    };
    f.extend_from_slice(&[minor, major]);
    f.extend_from_slice(&header_media.to_le_bytes());
    // SYSTEMTIME 2005-07-17 (Sunday) 15:39:20.502
    for v in [2005u16, 7, 0, 17, 15, 39, 20, 502] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.resize(128, 0);
    let mut offsets = vec![0u32; recs.len()];
    for (i, r) in recs.iter().enumerate().rev() {
        f.extend_from_slice(&[0xAA; 3]);
        offsets[i] = f.len() as u32;
        let len = r.data.len() as u32;
        if major == 1 {
            f.extend_from_slice(&(r.delta as u32).to_le_bytes());
            f.extend_from_slice(&(len as u16 + 4).to_le_bytes());
            f.extend_from_slice(&(len as u16).to_le_bytes());
        } else {
            f.extend_from_slice(&r.delta.to_le_bytes());
            f.extend_from_slice(&(len + 4).to_le_bytes());
            f.extend_from_slice(&len.to_le_bytes());
        }
        f.extend_from_slice(&r.data);
        if major == 2 && minor >= 1 {
            f.extend_from_slice(&r.media.to_le_bytes());
        }
        if major == 2 && minor >= 2 {
            f.extend_from_slice(&7u32.to_le_bytes());
        }
        if major == 2 && minor >= 3 {
            f.extend_from_slice(&r.filetime.to_le_bytes());
            f.push(0);
        }
    }
    let table = f.len() as u32;
    for o in &offsets {
        f.extend_from_slice(&o.to_le_bytes());
    }
    f[24..28].copy_from_slice(&table.to_le_bytes());
    f[28..32].copy_from_slice(&(4 * recs.len() as u32).to_le_bytes());
    f
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
                assert!(matches!(r.next_frame(), Ok(None)), "fused after an error");
                return (frames, Some(e));
            }
        }
    }
}

fn assert_invite(f: &OwnedFrame) {
    let v = decode(f.linktype, &f.data).unwrap();
    assert!(matches!(v.l4, L4::Udp { dst_port: 5060, .. }), "{v:?}");
    assert_eq!(v.payload, INVITE);
}

#[test]
fn netmon_2_0_round_trips() {
    let f1 = invite_frame(1);
    let f2 = invite_frame(2);
    let bytes = netmon_file(2, 0, 1, &[rec(0, f1.clone()), rec(1_500_000, f2.clone())]);
    let r = CaptureReader::new(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(r.format(), CaptureFormat::NetMon2);
    assert_eq!(r.linktype(), Some(LinkType::ETHERNET));
    let (frames, err) = read_all(bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].index, 1);
    assert_eq!(frames[1].index, 2);
    assert_eq!(frames[0].ts, Duration::new(START_SECS, 502_000_000));
    assert_eq!(frames[1].ts, Duration::new(START_SECS + 2, 2_000_000));
    assert_eq!(frames[0].data, f1);
    assert_eq!(frames[1].data, f2);
    assert_eq!(frames[0].orig_len, f1.len() as u32 + 4);
    for f in &frames {
        assert_eq!(f.linktype, LinkType::ETHERNET);
        assert_eq!(f.interface_id, 0);
        assert_invite(f);
    }
}

#[test]
fn netmon_2_0_negative_delta_is_before_the_start() {
    // A delta that, times ten (mod 2^64), is -1 s in 100 ns units: 1 s before the start.
    let minus_one_sec = (1u64 << 63) - 1_000_000;
    let bytes = netmon_file(2, 0, 1, &[rec(minus_one_sec, invite_frame(1))]);
    let (frames, err) = read_all(bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].ts, Duration::new(START_SECS - 1, 502_000_000));
}

#[test]
fn netmon_1_x_milliseconds() {
    let bytes = netmon_file(
        1,
        1,
        1,
        &[rec(0, invite_frame(1)), rec(250, invite_frame(2))],
    );
    let r = CaptureReader::new(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(r.format(), CaptureFormat::NetMon1);
    let (frames, err) = read_all(bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].ts, Duration::new(START_SECS, 752_000_000));
    frames.iter().for_each(assert_invite);
}

#[test]
fn netmon_2_3_per_packet_media_utc_stamps_and_metadata() {
    // FILETIME of 2020-01-01 00:00:00.25 UTC.
    let unix = 1_577_836_800u64;
    let ft = (unix + 11_644_473_600) * 10_000_000 + 2_500_000;
    let eth = invite_frame(1);
    let raw_ip = eth[14..].to_vec();
    let recs = [
        Rec {
            media: 0xFFFD, // network info: hidden, takes no number
            ..rec(0, vec![1, 2, 3])
        },
        Rec {
            filetime: ft,
            ..rec(0, eth.clone())
        },
        Rec {
            media: 0xFFE0, // ETW event: numbered but not a packet
            ..rec(0, vec![9; 20])
        },
        Rec {
            media: 9, // raw IP frames
            filetime: ft + 10,
            ..rec(0, raw_ip.clone())
        },
        Rec {
            media: 0xE000 | 101, // a converted pcap, LINKTYPE_RAW
            filetime: ft,
            ..rec(0, raw_ip.clone())
        },
    ];
    // The header media type of a 2.1+ file is only a hint; 0 must not be refused.
    let (frames, err) = read_all(netmon_file(2, 3, 0, &recs));
    assert!(err.is_none(), "{err:?}");
    let idx: Vec<u64> = frames.iter().map(|f| f.index).collect();
    assert_eq!(idx, vec![1, 3, 4]);
    assert_eq!(frames[0].linktype, LinkType::ETHERNET);
    assert_eq!(frames[1].linktype, LinkType::RAW);
    assert_eq!(frames[2].linktype, LinkType::RAW);
    assert_eq!(frames[0].ts, Duration::new(unix, 250_000_000));
    assert_eq!(frames[1].ts, Duration::new(unix, 250_001_000));
    frames.iter().for_each(assert_invite);
}

#[test]
fn netmon_2_1_and_2_2_trailers_are_skipped() {
    for minor in [1, 2] {
        let recs = [rec(0, invite_frame(1)), rec(10, invite_frame(2))];
        let (frames, err) = read_all(netmon_file(2, minor, 1, &recs));
        assert!(err.is_none(), "2.{minor}: {err:?}");
        assert_eq!(frames.len(), 2, "2.{minor}");
        assert_eq!(frames[1].ts, Duration::new(START_SECS, 502_010_000));
        frames.iter().for_each(assert_invite);
    }
}

#[test]
fn netmon_refusals() {
    let good = netmon_file(2, 0, 1, &[rec(0, invite_frame(1))]);

    let mut v3 = good.clone();
    v3[5] = 3;
    let e = read_all(v3).1.unwrap();
    assert_eq!(
        (e.kind, e.offset),
        (CaptureErrorKind::Unsupported, 4),
        "{e}"
    );

    let mut atm = good.clone();
    atm[6] = 4; // NDIS WAN / ATM
    let e = read_all(atm).1.unwrap();
    assert_eq!(e.kind, CaptureErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("0x0004"), "{e}");

    let mut date = good.clone();
    date[10] = 13; // month 13
    assert_eq!(read_all(date).1.unwrap().kind, CaptureErrorKind::Corrupt);

    let mut odd = good.clone();
    odd[28] = 3; // frame table length 3
    assert_eq!(read_all(odd).1.unwrap().kind, CaptureErrorKind::Corrupt);

    let mut beyond = good.clone();
    beyond[28] = 8; // two entries, the file has one
    assert_eq!(
        read_all(beyond).1.unwrap().kind,
        CaptureErrorKind::Truncated
    );

    let e = read_all(good[..100].to_vec()).1.unwrap();
    assert_eq!(e.kind, CaptureErrorKind::Truncated);

    let e = read_all(b"GMBU".to_vec()).1.unwrap();
    assert_eq!(e.kind, CaptureErrorKind::Truncated);
}

#[test]
fn netmon_bad_record_stops_after_the_good_frames() {
    let mut bytes = netmon_file(2, 0, 1, &[rec(0, invite_frame(1)), rec(0, invite_frame(2))]);
    let table = u32::from_le_bytes(bytes[24..28].try_into().unwrap()) as usize;
    // Second entry points past the end of the file.
    bytes[table + 4..table + 8].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    let (frames, err) = read_all(bytes.clone());
    assert_eq!(frames.len(), 1);
    let e = err.unwrap();
    assert_eq!(
        (e.kind, e.frame, e.offset),
        (CaptureErrorKind::Truncated, 2, 0x00FF_FFFF)
    );

    // Second entry's captured length larger than the reader's limit.
    let first = u32::from_le_bytes(bytes[table..table + 4].try_into().unwrap()) as usize;
    bytes[table + 4..table + 8].copy_from_slice(&(first as u32).to_le_bytes());
    bytes[first + 12..first + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    let (frames, err) = read_all(bytes);
    assert_eq!(frames.len(), 0);
    assert_eq!(err.unwrap().kind, CaptureErrorKind::BlockTooLarge);
}

#[test]
fn empty_frame_table_is_an_empty_capture() {
    let (frames, err) = read_all(netmon_file(2, 0, 1, &[]));
    assert!(frames.is_empty() && err.is_none(), "{err:?}");
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn mutated_netmon_files_never_panic(
            edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..12),
            minor in 0u8..5,
            cut in 0usize..400,
        ) {
            let recs = [rec(0, invite_frame(1)), rec(5, invite_frame(2)), rec(9, vec![0; 3])];
            let mut bytes = netmon_file(2, minor, 1, &recs);
            let n = bytes.len();
            for (pos, val) in &edits {
                // Hit the header, the records and the frame table alike.
                let p = if *pos < 200 { *pos } else { n.saturating_sub(*pos - 199) };
                if let Some(b) = bytes.get_mut(p) { *b = *val; }
            }
            if cut < bytes.len() && cut % 3 == 0 {
                bytes.truncate(bytes.len() - cut);
            }
            let (frames, _) = read_all(bytes);
            prop_assert!(frames.len() <= recs.len());
            for f in frames {
                let _ = decode(f.linktype, &f.data);
            }
        }
    }
}
