//! Generated sipwall configurations load and replay; `check` finds planted faults.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sipwall_engine::{Action, Engine, Event};
use sipwall_pcap::build::{build_tcp, build_udp, TcpSegment};
use sipwall_pcap::replay::{replay, FrameOutcome, FrameRecord, ReplayOptions, ReplaySink};
use sipwall_pcap::{CaptureWriter, LinkType};
use sipwall_ports::{
    check, embedded, flows, parse_role_assignment, to_sipwall, NatFinding, Observer, PortMap,
    RoleAddrs, SizeClass,
};
use sipwall_wire::packet::TcpFlags;

fn map() -> &'static PortMap {
    match embedded() {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    }
}

/// Every role that is not "any" gets its own address 10.9.N.1.
fn sample_roles(m: &PortMap) -> RoleAddrs {
    let mut roles = RoleAddrs::new();
    for (i, (id, role)) in m.roles.iter().enumerate() {
        if role.any || !role.expands.is_empty() {
            continue;
        }
        let text = format!("{id}=10.9.{i}.1");
        if let Err(e) = parse_role_assignment(m, &text, &mut roles) {
            panic!("{text}: {e}");
        }
    }
    roles
}

fn roles(pairs: &[&str]) -> RoleAddrs {
    let mut r = RoleAddrs::new();
    for p in pairs {
        if let Err(e) = parse_role_assignment(map(), p, &mut r) {
            panic!("{p}: {e}");
        }
    }
    r
}

fn config_for(deployment: &str, r: &RoleAddrs, size: Option<SizeClass>) -> String {
    let set = match flows(map(), deployment, r, size) {
        Ok(s) => s,
        Err(e) => panic!("{deployment}: {e}"),
    };
    let advice: Vec<_> = map().advice.iter().collect();
    to_sipwall(deployment, &set.flows, &advice)
}

#[test]
fn generated_config_parses_for_every_deployment() {
    let m = map();
    let r = sample_roles(m);
    for dep in m.deployment_ids() {
        for size in [Some(SizeClass::SmallMedium), Some(SizeClass::Large)] {
            let text = config_for(dep, &r, size);
            match sipwall_config::parse(&text, dep) {
                Ok((_, warnings)) => assert!(warnings.is_empty(), "{dep}: {warnings:?}\n{text}"),
                Err(e) => panic!(
                    "{dep}: {}\n{text}",
                    e.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            }
        }
    }
}

#[test]
fn generated_config_names_rows_and_follows_chapter_2() {
    let r = roles(&["expressway-c=10.0.30.2", "expressway-e-private=10.0.10.2"]);
    let text = config_for("mra-c-to-e", &r, Some(SizeClass::Large));
    assert!(text.contains("! chapter 7 table 17 row 2: SIP signalling\nclass-map type inspect match-any mra-c-to-e-row2-tcp\n match port tcp 7001\n"), "{text}");
    assert!(
        text.contains(" match port udp range 36000 36011\n"),
        "{text}"
    );
    assert!(text.contains(" tcp idle-time 7200\n"), "{text}");
    assert!(text.contains("  inspect expressway-signalling\n"), "{text}");
    assert!(!text.contains("match protocol sip"), "{text}");
    assert!(
        text.contains("ip route 10.0.30.2 255.255.255.255 pm"),
        "{text}"
    );
    assert!(text.contains("zone-pair security expressway-c-to-expressway-e-private source expressway-c destination expressway-e-private"), "{text}");
}

struct Verdicts(Vec<(u64, Action)>);

impl ReplaySink for Verdicts {
    fn frame(&mut self, _: &Engine, rec: &FrameRecord) {
        if let FrameOutcome::Decided(v) = &rec.outcome {
            self.0.push((rec.frame, v.action));
        }
    }
    fn event(&mut self, _: &Engine, _: u64, _: Duration, _: &Event) {}
}

fn sa(s: &str) -> SocketAddr {
    match s.parse() {
        Ok(a) => a,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn syn(src: &str, dst: &str) -> Vec<u8> {
    let mut seg = TcpSegment::data(sa(src), sa(dst), 1, 0);
    seg.flags = TcpFlags(TcpFlags::SYN);
    build_tcp(&seg, b"").unwrap_or_default()
}

fn synack(src: &str, dst: &str) -> Vec<u8> {
    let mut seg = TcpSegment::data(sa(src), sa(dst), 1, 2);
    seg.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
    build_tcp(&seg, b"").unwrap_or_default()
}

fn rst(src: &str, dst: &str) -> Vec<u8> {
    let mut seg = TcpSegment::data(sa(src), sa(dst), 0, 2);
    seg.flags = TcpFlags(TcpFlags::RST | TcpFlags::ACK);
    build_tcp(&seg, b"").unwrap_or_default()
}

fn data(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    build_tcp(&TcpSegment::data(sa(src), sa(dst), 2, 2), payload).unwrap_or_default()
}

fn udp(src: &str, dst: &str) -> Vec<u8> {
    build_udp(sa(src), sa(dst), b"\x80\x00rtp").unwrap_or_default()
}

fn write_capture(name: &str, frames: &[Vec<u8>]) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("sipwall-ports-{}-{name}.pcap", std::process::id()));
    let mut w = match CaptureWriter::create(&path, LinkType::ETHERNET) {
        Ok(w) => w,
        Err(e) => panic!("{e}"),
    };
    for (i, f) in frames.iter().enumerate() {
        assert!(!f.is_empty(), "frame {i} did not build");
        if let Err(e) = w.write(Duration::from_millis(1_000 + i as u64), f) {
            panic!("{e}");
        }
    }
    if let Err(e) = w.finish() {
        panic!("{e}");
    }
    path
}

fn observe(frames: &[Vec<u8>]) -> Observer {
    let mut o = Observer::new();
    for (i, f) in frames.iter().enumerate() {
        o.frame(i as u64 + 1, LinkType::ETHERNET, f);
    }
    o
}

const C: &str = "10.0.30.2";
const E: &str = "10.0.10.2";
const E_PUBLIC: &str = "64.100.0.10";

fn mra_roles() -> RoleAddrs {
    roles(&[
        &format!("expressway-c={C}"),
        &format!("expressway-e={E}"),
        &format!("expressway-e-private={E}"),
        &format!("expressway-e-public={E_PUBLIC}"),
    ])
}

#[test]
fn generated_config_replays_allowed_flows_and_drops_others() {
    let text = config_for("mra-c-to-e", &mra_roles(), Some(SizeClass::Large));
    let config = match sipwall_config::parse(&text, "gen.cfg") {
        Ok((c, _)) => Arc::new(c),
        Err(e) => panic!("{e:?}"),
    };
    let frames = vec![
        syn("10.0.30.2:27901", "10.0.10.2:7001"), // row 2 SIP signalling: accept
        udp("10.0.30.2:36500", "10.0.10.2:36004"), // row 3 SIP media (large): accept
        syn("10.0.30.2:30001", "10.0.10.2:2222"), // row 1 SSH tunnel: accept
        syn("10.0.30.2:30002", "10.0.10.2:8080"), // not in the map: drop
        syn("10.0.10.2:40000", "10.0.30.2:7001"), // wrong direction: drop
        syn("192.0.2.9:40000", "10.0.10.2:7001"), // unknown source: drop
    ];
    let path = write_capture("replay", &frames);
    let mut sink = Verdicts(Vec::new());
    let result = replay(config, &path, &ReplayOptions::default(), None, &mut sink);
    let _ = std::fs::remove_file(&path);
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(
        sink.0,
        vec![
            (1, Action::Accept),
            (2, Action::Accept),
            (3, Action::Accept),
            (4, Action::Drop),
            (5, Action::Drop),
            (6, Action::Drop),
        ]
    );
}

#[test]
fn clean_capture_has_no_findings() {
    let frames = vec![
        syn("10.0.30.2:30001", "10.0.10.2:2222"),
        synack("10.0.10.2:2222", "10.0.30.2:30001"),
        syn("10.0.30.2:27901", "10.0.10.2:7001"),
        udp("10.0.30.2:36500", "10.0.10.2:36004"),
        udp("10.0.10.2:36004", "10.0.30.2:36500"),
        syn("10.0.30.2:30010", "10.0.10.2:7400"),
        udp("10.0.30.2:40000", "10.0.10.2:3478"),
    ];
    let r = roles(&[
        &format!("expressway-c={C}"),
        &format!("expressway-e={E}"),
        &format!("expressway-e-private={E}"),
    ]);
    let obs = observe(&frames);
    let report = match check(map(), "mra-c-to-e", &r, Some(SizeClass::Large), &obs) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(report.flows_seen, 5);
    assert!(!report.has_findings(), "{report:#?}");
    assert!(report.nat.is_empty() && report.fixes.is_empty());
}

#[test]
fn planted_faults_are_found() {
    // Seed 003, seen on Expressway-E: C's traffic arrives from E's public address, port 4401.
    let service = "SERVICE sip:serviceserver@cucm02.example.local SIP/2.0\r\n\
Via: SIP/2.0/TCP 10.0.10.2:7003;branch=z9hG4bK1\r\n\
Route: <sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>\r\n\
From: <sip:serviceproxy@cucm02.example.local>;tag=1\r\n\
To: <sip:serviceserver@cucm02.example.local>\r\n\
Call-ID: abcd12345678@127.0.0.1\r\n\
CSeq: 4616 SERVICE\r\n\
Max-Forwards: 15\r\n\
Content-Length: 0\r\n\r\n";
    let timeout = "SIP/2.0 408 Request Timeout\r\n\
Via: SIP/2.0/TCP 10.0.10.2:7003;branch=z9hG4bK1\r\n\
From: <sip:serviceproxy@cucm02.example.local>;tag=1\r\n\
To: <sip:serviceserver@cucm02.example.local>;tag=2\r\n\
Call-ID: abcd12345678@127.0.0.1\r\n\
CSeq: 4616 SERVICE\r\n\
Content-Length: 0\r\n\r\n";
    let frames = vec![
        // 1: allowed SSH tunnel (required row 1 seen).
        syn("10.0.30.2:30001", "10.0.10.2:2222"),
        // 2: not allowed: C -> E on 8080.
        syn("10.0.30.2:30002", "10.0.10.2:8080"),
        // 3-5: SNAT'd traversal (seed 003), with SIP evidence both ways.
        syn("64.100.0.10:4401", "10.0.10.2:7001"),
        data("10.0.10.2:7001", "64.100.0.10:4401", service.as_bytes()),
        data("64.100.0.10:4401", "10.0.10.2:7001", timeout.as_bytes()),
        // 6-7: C follows the Route header to the translated address and is refused.
        syn("10.0.30.2:27921", "64.100.0.10:4401"),
        rst("64.100.0.10:4401", "10.0.30.2:27921"),
        // Required row 4 (XMPP 7400) never appears; rows 2, 3 and 5 neither.
    ];
    let obs = observe(&frames);
    let report = match check(
        map(),
        "mra-c-to-e",
        &mra_roles(),
        Some(SizeClass::Large),
        &obs,
    ) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    // (a) not allowed: 8080, the SNAT'd flow, the refused connection.
    let na: Vec<u64> = report.not_allowed.iter().map(|n| n.flow.frame).collect();
    assert_eq!(na, vec![2, 3, 6], "{report:#?}");
    let closest = report.not_allowed[0].closest.clone().unwrap_or_default();
    assert!(closest.contains("table 17"), "{closest}");
    // (b) missing: XMPP row 4 among them; the SSH tunnel row 1 is not missing.
    assert!(
        report
            .missing
            .iter()
            .any(|m| m.reference == "chapter 7 table 17 row 4"),
        "{report:#?}"
    );
    assert!(!report
        .missing
        .iter()
        .any(|m| m.reference == "chapter 7 table 17 row 1"));
    // (c) seed 003.
    let snat = report.nat.iter().find_map(|n| match n {
        NatFinding::SourceTranslated {
            flow,
            why,
            evidence,
        } => Some((flow, why, evidence)),
        _ => None,
    });
    let Some((flow, why, evidence)) = snat else {
        panic!("no source-translation finding: {report:#?}")
    };
    assert_eq!(flow.client, sa("64.100.0.10:4401"));
    assert!(why.contains("public address"), "{why}");
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("Route: <sip:64.100.0.10:4401")),
        "{evidence:?}"
    );
    assert!(
        report
            .nat
            .iter()
            .any(|n| matches!(n, NatFinding::RefusedReturnConnection { flow } if flow.frame == 6)),
        "{report:#?}"
    );
    assert!(
        report
            .nat
            .iter()
            .any(|n| matches!(n, NatFinding::ServiceTimeout { frame: 5, .. })),
        "{report:#?}"
    );
    assert_eq!(report.fixes.len(), 2);
    assert!(report.fixes[0].contains("source IP/port translation"));
    assert!(report.fixes[1].contains("dual-NIC"));
}

#[test]
fn snat_to_a_firewall_address_is_found_by_traversal_port() {
    // The firewall translates C to its own inside address 10.0.10.254 (not E's public one).
    let frames = vec![syn("10.0.10.254:5000", "10.0.10.2:7001")];
    let r = roles(&[
        &format!("expressway-c={C}"),
        &format!("expressway-e-private={E}"),
    ]);
    let obs = observe(&frames);
    let report = match check(map(), "mra-c-to-e", &r, Some(SizeClass::Large), &obs) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(report.nat.iter().any(|n| matches!(n, NatFinding::SourceTranslated { why, .. } if why.contains("used only by Expressway-C"))), "{report:#?}");
    let _: IpAddr = E.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
}
