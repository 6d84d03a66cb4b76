//! Third-party captures (`../shared/corpora` from the repository root, or `$SIPWALL_CORPORA`)
//! through the replay driver. Every test here prints `SKIP` and passes when the folder is
//! absent: a fresh clone does not have it.
//!
//! * every capture under `captures/**` replays with `tests/data/corpus.cfg` without a panic;
//!   a table of frames, verdicts, SIP messages, calls and pinholes is printed
//!   (`cargo test -p sipwall --test corpus -- --nocapture`);
//! * sipnab `SIP_CALL_RTP_G711`: with SIP inspected, all the call's RTP passes through pinholes;
//!   without SIP inspection none of the inbound RTP does;
//! * suricata-verify `sip-tcp-method`: the REGISTER split over two TCP segments is parsed once;
//! * heplify `FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`: the T.38 re-INVITE opens provisional image
//!   pinholes that close when the 488 rejects it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sipwall_engine::{Engine, Event, PinholeKind, Reason};
use sipwall_pcap::replay::{replay, FrameOutcome, FrameRecord, ReplayOptions, ReplaySink};
use sipwall_pcap::CaptureReader;
use sipwall_wire::packet::{decode, L4};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The corpora folder, or `None` (and a SKIP line) when it is absent.
fn corpora(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SIPWALL_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpora"));
    if dir.join("captures").is_dir() {
        Some(dir)
    } else {
        println!(
            "SKIP {test}: third-party corpora not found at {} (set SIPWALL_CORPORA)",
            dir.display()
        );
        None
    }
}

fn config_from_text(text: &str, name: &str) -> Arc<sipwall_config::Config> {
    match sipwall_config::parse_bytes(text.as_bytes(), name) {
        Ok((c, _warnings)) => Arc::new(c),
        Err(errors) => {
            let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("{name}: {}", msgs.join("\n"))
        }
    }
}

fn corpus_config() -> Arc<sipwall_config::Config> {
    let path = repo_root().join("tests/data/corpus.cfg");
    let text = std::fs::read_to_string(&path).expect("tests/data/corpus.cfg");
    config_from_text(&text, &path.display().to_string())
}

/// Everything a replay produced.
#[derive(Default)]
struct Collect {
    /// Frame number -> `accept|drop|skip|held reason [pinhole kind]`.
    frames: BTreeMap<u64, String>,
    events: Vec<(u64, Event)>,
}

impl ReplaySink for Collect {
    fn frame(&mut self, _engine: &Engine, rec: &FrameRecord) {
        let w = match &rec.outcome {
            FrameOutcome::Decided(v) => {
                let mut w = format!("{} {}", v.action.as_str(), v.reason.code());
                if let Reason::Pinhole { kind } = v.reason {
                    w.push(' ');
                    w.push_str(kind.as_str());
                }
                w
            }
            FrameOutcome::NotIp(why) => format!("skip {why}"),
            FrameOutcome::Held => "held fragment".to_string(),
            FrameOutcome::FragmentDropped(why) => format!("drop {why}"),
        };
        self.frames.insert(rec.frame, w);
    }

    fn event(&mut self, _engine: &Engine, frame: u64, _ts: Duration, ev: &Event) {
        self.events.push((frame, ev.clone()));
    }
}

impl Collect {
    fn sip(&self) -> impl Iterator<Item = (u64, &str)> {
        self.events.iter().filter_map(|(f, e)| match e {
            Event::Sip { summary, .. } => Some((*f, summary.as_str())),
            _ => None,
        })
    }
}

fn run(config: Arc<sipwall_config::Config>, capture: &Path) -> Collect {
    let mut sink = Collect::default();
    let summary = replay(config, capture, &ReplayOptions::default(), None, &mut sink)
        .unwrap_or_else(|e| panic!("{}: {e}", capture.display()));
    assert_eq!(
        summary.frames as usize,
        sink.frames.len(),
        "one record per frame"
    );
    sink
}

/// Whether a file starts like a pcap or pcapng capture.
fn is_capture(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    use std::io::Read;
    if f.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    )
}

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            captures_under(&p, out);
        } else if is_capture(&p) {
            out.push(p);
        }
    }
}

#[test]
fn every_capture_replays_without_panic() {
    let Some(root) = corpora("every_capture_replays_without_panic") else {
        return;
    };
    let captures_dir = root.join("captures");
    let mut captures = Vec::new();
    captures_under(&captures_dir, &mut captures);
    assert!(
        captures.len() >= 40,
        "found only {} captures",
        captures.len()
    );
    let config = corpus_config();
    let mut failures = Vec::new();
    println!(
        "{:<72} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4}",
        "capture", "frames", "accept", "drop", "skip", "held", "sip", "calls", "pinh", "viol"
    );
    for cap in &captures {
        let name = cap
            .strip_prefix(&captures_dir)
            .unwrap_or(cap)
            .display()
            .to_string();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut sink = Collect::default();
            let summary = replay(
                config.clone(),
                cap,
                &ReplayOptions::default(),
                None,
                &mut sink,
            );
            (summary, sink)
        }));
        let (summary, sink) = match result {
            Ok(r) => r,
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{name}: PANIC {msg}"));
                continue;
            }
        };
        let summary = match summary {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: replay error {e}"));
                continue;
            }
        };
        let count = |verdict: &str| {
            sink.frames
                .values()
                .filter(|w| w.split(' ').next() == Some(verdict))
                .count()
        };
        let mut call_ids: Vec<&str> = sink
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Sip {
                    call_id: Some(c), ..
                } => Some(c.as_str()),
                _ => None,
            })
            .collect();
        call_ids.sort_unstable();
        call_ids.dedup();
        let pinholes = sink
            .events
            .iter()
            .filter(|(_, e)| matches!(e, Event::PinholeOpen { .. }))
            .count();
        let violations = sink
            .events
            .iter()
            .filter(|(_, e)| matches!(e, Event::Violation { .. }))
            .count();
        println!(
            "{:<72} {:>6} {:>6} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4}{}",
            name,
            summary.frames,
            count("accept"),
            count("drop"),
            count("skip"),
            count("held"),
            sink.sip().count(),
            call_ids.len(),
            pinholes,
            violations,
            summary
                .capture_error
                .as_ref()
                .map(|e| format!("  (capture error: {e})"))
                .unwrap_or_default()
        );
        if summary.frames as usize != sink.frames.len() {
            failures.push(format!(
                "{name}: {} frames but {} verdict records",
                summary.frames,
                sink.frames.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// sipnab SIP_CALL_RTP_G711: 200.57.7.195:5060 (a proxy in front of the media gateway
// 200.57.7.196) calls 200.57.7.204:5061 (X-Lite). Offer (frame 1): audio 200.57.7.196:40376;
// answer (200 Ok, frame 498): audio 200.57.7.204:8000. The call's RTP: 891 packets
// 196:40376 -> 204:8000 and 548 packets 204:8000 -> 196:40376 (frames 499..4269), no BYE.
// Other UDP in the capture (MGCP, SNMP, the gateway's other RTP leg) is not this call's.

const G711_CALLER: &str = "200.57.7.196";
const G711_CALLEE: &str = "200.57.7.204";

/// The caller side (proxy and gateway) is inside, the callee outside; no out-in zone-pair at
/// all. The in-out policy has one class, `match protocol {matched}`, with action `action`.
fn g711_config(matched: &str, action: &str) -> Arc<sipwall_config::Config> {
    let text = format!(
        "hostname g711\n\
         ip port-map sip udp 5061\n\
         class-map type inspect match-any outbound\n match protocol {matched}\n\
         policy-map type inspect in-out-policy\n class type inspect outbound\n  {action}\n class class-default\n  drop log\n\
         zone security inside\nzone security outside\n\
         zone-pair security in-out source inside destination outside\n service-policy type inspect in-out-policy\n\
         interface in0\n ip address 10.255.0.1 255.255.255.252\n zone-member security inside\n\
         interface out0\n ip address 10.255.1.1 255.255.255.252\n zone-member security outside\n\
         ip route 200.57.7.195 255.255.255.255 in0\n\
         ip route 200.57.7.196 255.255.255.255 in0\n\
         ip route 200.57.7.204 255.255.255.255 out0\n\
         end\n"
    );
    config_from_text(&text, &format!("g711 (match protocol {matched}, {action})"))
}

/// Frame numbers of the call's RTP, by direction: (caller -> callee, callee -> caller).
fn g711_rtp_frames(capture: &Path) -> (Vec<u64>, Vec<u64>) {
    let caller: IpAddr = G711_CALLER.parse().expect("literal address");
    let callee: IpAddr = G711_CALLEE.parse().expect("literal address");
    let mut reader = CaptureReader::open(capture).expect("opening the capture");
    let (mut out, mut inb) = (Vec::new(), Vec::new());
    while let Ok(Some(f)) = reader.next_frame() {
        let Ok(v) = decode(f.linktype, f.data) else {
            continue;
        };
        let L4::Udp { src_port, dst_port } = v.l4 else {
            continue;
        };
        let t = (v.src, src_port, v.dst, dst_port);
        if t == (caller, 40376, callee, 8000) {
            out.push(f.index);
        } else if t == (callee, 8000, caller, 40376) {
            inb.push(f.index);
        }
    }
    (out, inb)
}

#[test]
fn g711_call_rtp_through_pinholes_only_when_sip_is_inspected() {
    let Some(root) = corpora("g711_call_rtp_through_pinholes_only_when_sip_is_inspected") else {
        return;
    };
    let cap = root.join("captures/sipnab/SIP_CALL_RTP_G711");
    let (out, inb) = g711_rtp_frames(&cap);
    assert_eq!((out.len(), inb.len()), (891, 548), "RTP frames of the call");

    // SIP inspected caller -> callee; plain UDP matched by nothing in either direction.
    let r = run(g711_config("sip", "inspect"), &cap);
    assert_eq!(r.frames.get(&1).map(String::as_str), Some("accept class"));
    assert!(
        r.sip().any(|(f, s)| f == 498 && s == "200 Ok"),
        "answer seen"
    );
    let mut bad = Vec::new();
    for f in out.iter().chain(&inb) {
        let w = r.frames.get(f).map(String::as_str).unwrap_or("none");
        if w != "accept pinhole rtp" {
            bad.push(format!("{f}: {w}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} RTP frames not through a pinhole: {:?}",
        bad.len(),
        out.len() + inb.len(),
        &bad[..bad.len().min(10)]
    );
    let opened: Vec<(IpAddr, u16)> = r
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::PinholeOpen { kind, pattern, .. } if *kind == PinholeKind::Rtp => {
                Some((pattern.dst, pattern.dport))
            }
            _ => None,
        })
        .collect();
    let caller: IpAddr = G711_CALLER.parse().expect("literal address");
    let callee: IpAddr = G711_CALLEE.parse().expect("literal address");
    assert!(opened.contains(&(caller, 40376)), "{opened:?}");
    assert!(opened.contains(&(callee, 8000)), "{opened:?}");

    // SIP not inspected: matched by a stateless `pass`, no zone-pair for outside -> inside.
    // No SIP parsed, no pinhole, and none of the inbound RTP passes.
    let r = run(g711_config("sip", "pass"), &cap);
    assert_eq!(r.sip().count(), 0, "pass: SIP is not parsed");
    let passed: Vec<u64> = inb
        .iter()
        .copied()
        .filter(|f| r.frames.get(f).is_some_and(|w| w.starts_with("accept")))
        .collect();
    assert!(
        passed.is_empty(),
        "pass: {} inbound RTP frames passed, first {:?}",
        passed.len(),
        &passed[..passed.len().min(10)]
    );

    // Plain `match protocol udp` with inspect: UDP sessions but no SIP inspection (not even on
    // 5060), hence no pinhole. The inbound RTP before the caller's first RTP packet (frame 522)
    // is dropped; after it, it is return traffic of the caller's own UDP session (ordinary
    // stateful filtering, not a SIP decision).
    let r = run(g711_config("udp", "inspect"), &cap);
    assert_eq!(r.sip().count(), 0, "udp: SIP is not parsed");
    assert!(
        !r.events
            .iter()
            .any(|(_, e)| matches!(e, Event::PinholeOpen { .. })),
        "udp: no pinholes"
    );
    let first_out = out.first().copied().unwrap_or(u64::MAX);
    for f in inb.iter().filter(|f| **f < first_out) {
        let w = r.frames.get(f).map(String::as_str).unwrap_or("none");
        assert!(
            w.starts_with("drop"),
            "udp: inbound RTP frame {f} before any outbound: {w}"
        );
    }
    for f in out.iter().chain(&inb) {
        let w = r.frames.get(f).map(String::as_str).unwrap_or("none");
        assert!(!w.contains("pinhole"), "udp: frame {f}: {w}");
    }
}

// ---------------------------------------------------------------------------------------------
// suricata-verify sip-tcp-method: 127.0.0.1:58882 -> 127.0.0.1:5060 over TCP; the REGISTER's
// headers in frame 4 (400 bytes), the rest in frame 6 (185 bytes); 200 OK in frame 8.

#[test]
fn split_tcp_register_parsed_once() {
    let Some(root) = corpora("split_tcp_register_parsed_once") else {
        return;
    };
    let cap = root.join("captures/suricata-verify/tests/sip-tcp-method/sip-tcp.pcap");
    let r = run(corpus_config(), &cap);
    let sip: Vec<(u64, &str)> = r.sip().collect();
    assert_eq!(sip, [(6, "REGISTER"), (8, "200 OK")], "{sip:?}");
    for (f, w) in &r.frames {
        assert!(w.starts_with("accept"), "frame {f}: {w}");
    }
    let violations: Vec<&Event> = r
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Violation { .. }))
        .map(|(_, e)| e)
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
}

// ---------------------------------------------------------------------------------------------
// heplify FAX-Call-t38-CA-TDM-SIP-FB-1.pcap: the leg 138.132.169.101 (trunk, outside) <->
// 192.168.100.219 (PBX, inside). INVITE from the trunk at frame 27 (audio 15580), 200 OK at 48
// (audio 192.168.100.219:5002); the trunk's re-INVITE at 3107 offers m=image 15580 udptl t38
// only, the PBX rejects it with 488 at 3112 (ACK 3113); a new re-INVITE at 3126 goes back to
// audio. The capture's other legs (10.35.x) are on no interface here.

const FAX_TRUNK: &str = "138.132.169.101";

fn fax_config() -> Arc<sipwall_config::Config> {
    let text = "hostname fax\n\
         class-map type inspect match-any inside-to-outside\n match protocol sip\n match protocol udp\n\
         class-map type inspect match-any sip-only\n match protocol sip\n\
         policy-map type inspect in-out-policy\n class type inspect inside-to-outside\n  inspect\n class class-default\n  drop log\n\
         policy-map type inspect out-in-policy\n class type inspect sip-only\n  inspect\n class class-default\n  drop log\n\
         zone security inside\nzone security outside\n\
         zone-pair security in-out source inside destination outside\n service-policy type inspect in-out-policy\n\
         zone-pair security out-in source outside destination inside\n service-policy type inspect out-in-policy\n\
         interface in0\n ip address 10.255.0.1 255.255.255.252\n zone-member security inside\n\
         interface out0\n ip address 10.255.1.1 255.255.255.252\n zone-member security outside\n\
         ip route 192.168.100.219 255.255.255.255 in0\n\
         ip route 138.132.169.101 255.255.255.255 out0\n\
         end\n";
    config_from_text(text, "fax")
}

#[test]
fn fax_t38_reinvite_rejected_with_488_closes_image_pinholes() {
    let Some(root) = corpora("fax_t38_reinvite_rejected_with_488_closes_image_pinholes") else {
        return;
    };
    let cap = root.join("captures/heplify/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap");
    let r = run(fax_config(), &cap);
    assert!(
        r.sip().any(|(f, s)| f == 3107 && s == "INVITE"),
        "re-INVITE seen"
    );
    assert!(
        r.sip()
            .any(|(f, s)| f == 3112 && s == "488 Not Acceptable Here"),
        "488 seen"
    );
    let trunk: IpAddr = FAX_TRUNK.parse().expect("literal address");
    let t38: Vec<(u64, u64, IpAddr, u16, bool)> = r
        .events
        .iter()
        .filter_map(|(f, e)| match e {
            Event::PinholeOpen {
                pinhole,
                kind: PinholeKind::T38,
                pattern,
                provisional,
                ..
            } => Some((*f, *pinhole, pattern.dst, pattern.dport, *provisional)),
            _ => None,
        })
        .collect();
    let offered: Vec<_> = t38
        .iter()
        .filter(|(f, _, dst, port, prov)| *f == 3107 && *dst == trunk && *port == 15580 && *prov)
        .collect();
    assert_eq!(
        offered.len(),
        1,
        "provisional T.38 pinhole from the re-INVITE: {t38:?}"
    );
    let id = offered[0].1;
    let closes: Vec<(u64, &str)> = r
        .events
        .iter()
        .filter_map(|(f, e)| match e {
            Event::PinholeClose {
                pinhole,
                kind: PinholeKind::T38,
                reason,
                ..
            } if *pinhole == id => Some((*f, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(closes, [(3112, "renegotiated")], "closed at the 488");
    // Every T.38 pinhole opened from the rejected offer is closed again.
    assert!(t38
        .iter()
        .all(|(_, id, ..)| r.events.iter().any(|(_, e)| matches!(
            e,
            Event::PinholeClose { pinhole, kind: PinholeKind::T38, .. } if pinhole == id
        ))));
}

// ---------------------------------------------------------------------------------------------
// PROTOS and Metasploit: malformed and spoofed SIP through the conformance checks.

/// `tests/data/corpus.cfg` with UDP `port` mapped to SIP. For c07 (port 80), 127.0.0.1 is reached by the
/// `0.0.0.0/1` route to `in0` (inside), so both ends of loopback traffic are inside and the
/// `in-in` zone-pair inspects it; the firewall's own addresses stay out of 127/8, which
/// `Engine::sides_by_route` would treat as `self`.
fn sip_port_config(port: u16) -> Arc<sipwall_config::Config> {
    let path = repo_root().join("tests/data/corpus.cfg");
    let text = std::fs::read_to_string(&path).expect("tests/data/corpus.cfg");
    let map = format!("ip port-map sip udp {port}\n");
    let text = text.replace(
        "ip port-map sip udp 5080\n",
        &format!("ip port-map sip udp 5080\n{map}"),
    );
    assert!(text.contains(&map));
    config_from_text(&text, &format!("corpus.cfg + {}", map.trim()))
}

/// Per frame: the verdict and the violations (`code/kind`) it raised.
fn violations_by_frame(c: &Collect) -> BTreeMap<u64, (String, Vec<String>)> {
    let mut out: BTreeMap<u64, (String, Vec<String>)> = c
        .frames
        .iter()
        .map(|(f, w)| (*f, (w.clone(), Vec::new())))
        .collect();
    for (f, e) in &c.events {
        if let Event::Violation { code, kind, .. } = e {
            let v = match kind {
                Some(k) => format!("{}/{k}", code.as_str()),
                None => code.as_str().to_string(),
            };
            out.entry(*f).or_default().1.push(v);
        }
    }
    out
}

/// The verdict and violations of frames `range`, all alike.
fn expect_frames(
    want: &mut BTreeMap<u64, (String, Vec<String>)>,
    range: std::ops::RangeInclusive<u64>,
    verdict: &str,
    violation: &str,
) {
    for f in range {
        let v = if violation.is_empty() {
            Vec::new()
        } else {
            vec![violation.to_string()]
        };
        want.insert(f, (verdict.to_string(), v));
    }
}

/// sipnab `c07-sip-r2.cap` (NetMon 2.0): two NBNS frames, then the 37 INVITEs of the PROTOS
/// c07-sip test-suite (University of Oulu), 127.0.0.1:5060 -> 127.0.0.1:80. The first is the
/// suite's valid reference INVITE; the other 36 are malformed. Each is refused with the reason
/// and parser error kind pinned below (read from a run, checked against the bytes: test cases
/// with a non-token method name, CSeq naming another method, header lines over the length
/// limit, start lines that are not `Method SP URI SP SIP/2.0`).
#[test]
fn protos_c07_invites_each_refused_with_its_reason() {
    let Some(root) = corpora("protos_c07_invites_each_refused_with_its_reason") else {
        return;
    };
    let c = run(
        sip_port_config(80),
        &root.join("captures/sipnab/c07-sip-r2.cap"),
    );
    assert_eq!(c.frames.len(), 39);
    let mut want = BTreeMap::new();
    expect_frames(&mut want, 1..=1, "accept class", "");
    expect_frames(&mut want, 2..=2, "accept session", "");
    expect_frames(&mut want, 3..=3, "accept class", "");
    expect_frames(
        &mut want,
        4..=4,
        "drop sip_malformed",
        "sip_malformed/bad_start_line",
    );
    expect_frames(
        &mut want,
        5..=15,
        "drop sip_invalid",
        "sip_invalid/cseq_method_mismatch",
    );
    expect_frames(
        &mut want,
        16..=19,
        "drop sip_limit",
        "sip_limit/line_too_long",
    );
    expect_frames(
        &mut want,
        20..=29,
        "drop sip_malformed",
        "sip_malformed/bad_method",
    );
    expect_frames(
        &mut want,
        30..=31,
        "drop sip_limit",
        "sip_limit/line_too_long",
    );
    expect_frames(
        &mut want,
        32..=39,
        "drop sip_malformed",
        "sip_malformed/bad_start_line",
    );
    let got = violations_by_frame(&c);
    for (f, w) in &want {
        assert_eq!(got.get(f), Some(w), "frame {f}");
    }
    assert_eq!(got.len(), want.len());
    // The valid INVITE is parsed and opens its SDP's pinhole (audio 127.0.0.1:9876).
    let sip: Vec<(u64, &str)> = c.sip().collect();
    assert_eq!(sip.first(), Some(&(3, "INVITE")), "{sip:?}");
    assert!(c.events.iter().any(|(f, e)| *f == 3
        && matches!(e, Event::PinholeOpen { pattern, .. } if pattern.dport == 9876)));
    // 36 violations from one source stay under the default blocklist (50 in 10 s).
    assert!(!c
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Blocked { .. })));
}

/// sipnab `metasploit-sip-invite-spoof.pcap`: Metasploit's `sip_invite_spoof` sends one
/// INVITE with a forged display name (`"testtest"<sip:10.0.1.199>`) and an empty user part
/// (`sip:@127.0.0.1`) from 10.0.1.199:62986 to X-Lite on 10.0.1.45:10270, which answers 180
/// Ringing to port 5060 of the sender (the Via has no port), where nothing listens: ICMP port
/// unreachable. Port 10270 is not a SIP port, so `corpus.cfg` inspects the INVITE as plain UDP
/// and only the 180 as SIP, and nothing is refused. With `ip port-map sip udp 10270` the INVITE
/// is inspected too and refused: `sip_invalid` / `bad_request_uri`, the empty user part
/// (RFC 3261 §25.1: `user = 1*( unreserved / escaped / user-unreserved )`). The forged display
/// name itself is well-formed.
#[test]
fn metasploit_invite_spoof_is_wellformed_sip() {
    let Some(root) = corpora("metasploit_invite_spoof_is_wellformed_sip") else {
        return;
    };
    let cap = root.join("captures/sipnab/metasploit-sip-invite-spoof.pcap");
    let mut want = BTreeMap::new();
    // The ICMP error starts an ICMP flow of its own (`match protocol icmp`).
    expect_frames(&mut want, 1..=3, "accept class", "");
    let c = run(corpus_config(), &cap);
    assert_eq!(violations_by_frame(&c), want);
    let sip: Vec<(u64, &str)> = c.sip().collect();
    assert_eq!(sip, [(2, "180 Ringing")], "10270/udp is not SIP by default");
    let c = run(sip_port_config(10270), &cap);
    expect_frames(
        &mut want,
        1..=1,
        "drop sip_invalid",
        "sip_invalid/bad_request_uri",
    );
    assert_eq!(violations_by_frame(&c), want);
    let sip: Vec<(u64, &str)> = c.sip().collect();
    assert_eq!(sip, [(1, "INVITE"), (2, "180 Ringing")]);
}
