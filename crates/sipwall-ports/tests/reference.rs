//! Tests of the embedded Expressway port reference against our reading of seed 004.

use std::net::IpAddr;

use sipwall_ports::{
    embedded, flows, parse_role_assignment, to_nft, Addr, DstPorts, FlowError, IssueKind,
    LoadError, PortMap, PortSpec, RoleAddrs, SizeClass, SkipReason, TableKind, Transport, DATA,
};

/// Rows per table as counted in seed 004 (second source of truth besides `expected_rows`).
/// A table losing or gaining rows in the data file fails `row_counts_match_the_seed`.
const SEED_ROWS: &[(&str, Option<u16>, usize)] = &[
    ("default-ranges", Some(3), 14),
    ("basic-networking-c", Some(4), 5),
    ("traversal-pair-c", Some(5), 5),
    ("basic-networking-e", Some(6), 7),
    ("smart-licensing", Some(7), 4),
    ("email-notification", None, 3),
    ("cluster-pre-x8-8", Some(8), 5),
    ("cluster-x8-8", Some(9), 3),
    ("cluster-sip-peers", Some(10), 4),
    ("sip-calls", Some(11), 17),
    ("h323-calls", Some(12), 28),
    ("tms", Some(13), 10),
    ("ldap", Some(14), 4),
    ("mra-ice-passthrough", Some(15), 1),
    ("mra-endpoint-to-e", Some(16), 7),
    ("mra-c-to-e", Some(17), 5),
    ("mra-c-to-onprem", Some(18), 18),
    ("mra-e-to-cloud", Some(19), 2),
    ("jabber-guest-dual-nic", Some(20), 10),
    ("jabber-guest-single-nic", Some(21), 13),
    ("ms-interop-gateway", Some(22), 14),
    ("im-federation-ms", Some(23), 6),
    ("cms-web-proxy", Some(24), 13),
    ("cms-sip-edge-standards", Some(25), 15),
    ("cms-sip-edge-microsoft", Some(26), 12),
    ("cms-p2p-ms-interop", Some(27), 13),
    ("xmpp-federation", Some(28), 4),
    ("serviceability", Some(29), 5),
    ("acme", Some(30), 2),
];

fn map() -> &'static PortMap {
    match embedded() {
        Ok(m) => m,
        Err(e) => panic!("embedded data does not load: {e}"),
    }
}

#[test]
fn embedded_data_loads_and_validates() {
    let m = map();
    assert!(m.validate().is_empty(), "{:?}", m.validate());
    assert!(m
        .advice
        .iter()
        .any(|a| a.id == "idle-timeout" && a.min_idle_timeout_secs == Some(7200)));
    assert!(m.advice.iter().any(|a| a.id == "disable-sip-h323-alg"));
}

#[test]
fn row_counts_match_the_seed() {
    let m = map();
    assert_eq!(m.tables.len(), SEED_ROWS.len(), "number of tables");
    for (dep, number, rows) in SEED_ROWS {
        let t = m.tables.iter().find(|t| t.deployment == *dep);
        let Some(t) = t else {
            panic!("deployment {dep} missing")
        };
        assert_eq!(t.number, *number, "{dep}: table number");
        assert_eq!(t.row_count(), *rows, "{dep}: rows in data");
        assert_eq!(t.expected_rows, *rows, "{dep}: expected_rows");
    }
    let total: usize = SEED_ROWS.iter().map(|(_, _, n)| n).sum();
    assert_eq!(total, 249);
}

#[test]
fn tables_are_in_seed_order_and_every_seed_table_is_present() {
    let numbers: Vec<u16> = map().tables.iter().filter_map(|t| t.number).collect();
    assert_eq!(numbers, (3..=30).collect::<Vec<u16>>());
}

#[test]
fn every_deployment_named_in_the_issue_is_present() {
    // The issue's list: default ranges; basic networking C and E; traversal pair; smart
    // licensing; e-mail; clusters before/after X8.8 incl. SIP between peers; SIP; H.323; TMS;
    // LDAP; MRA x5; Jabber Guest dual/single NIC; Microsoft interop gateway; IM&P federation;
    // Meeting Server x4; XMPP federation; serviceability; ACME.
    let m = map();
    for id in [
        "default-ranges",
        "basic-networking-c",
        "basic-networking-e",
        "traversal-pair",
        "smart-licensing",
        "email-notification",
        "cluster-pre-x8-8",
        "cluster-x8-8",
        "cluster-sip-peers",
        "sip-calls",
        "h323-calls",
        "tms",
        "ldap",
        "mra-ice-passthrough",
        "mra-endpoint-to-e",
        "mra-c-to-e",
        "mra-c-to-onprem",
        "mra-e-to-cloud",
        "jabber-guest-dual-nic",
        "jabber-guest-single-nic",
        "ms-interop-gateway",
        "im-federation-ms",
        "cms-web-proxy",
        "cms-sip-edge-standards",
        "cms-sip-edge-microsoft",
        "cms-p2p-ms-interop",
        "xmpp-federation",
        "serviceability",
        "acme",
    ] {
        assert!(!m.select(id).is_empty(), "{id} missing");
    }
    assert_eq!(m.select("mra").len(), 5);
    assert_eq!(m.select("meeting-server").len(), 4);
    assert_eq!(m.select("cluster").len(), 3);
}

#[test]
fn spot_check_facts() {
    let m = map();
    let row = |dep: &str, i: usize| {
        let t = m.select(dep);
        let Some(t) = t.first() else { panic!("{dep}") };
        let Some(r) = t.rows.get(i - 1) else {
            panic!("{dep} row {i}")
        };
        r.clone()
    };
    let p = |s: &str| s.parse::<PortSpec>().unwrap_or(PortSpec::Configured);
    // MRA: endpoint -> Expressway-E SIP TLS 5061, UDS 8443.
    let r = row("mra-endpoint-to-e", 2);
    assert_eq!(
        (r.src.as_str(), r.dst.as_str()),
        ("remote-endpoint", "expressway-e-public")
    );
    assert_eq!(r.dst_ports, DstPorts::All(p("5061")));
    assert_eq!(
        row("mra-endpoint-to-e", 1).dst_ports,
        DstPorts::All(p("8443"))
    );
    // SIP calls: Assent RTP size variants.
    let r = row("sip-calls", 9);
    assert_eq!(
        r.dst_ports,
        DstPorts::BySize {
            small_medium: Some(p("2776")),
            large: Some(p("36000-36010/even"))
        }
    );
    // H.323: Expressway-C RAS 1719 -> E private 6001.
    let r = row("h323-calls", 4);
    assert_eq!(
        (r.src_ports.clone(), r.dst.as_str()),
        (p("1719"), "expressway-e-private")
    );
    assert_eq!(r.dst_ports, DstPorts::All(p("6001")));
    // Cluster pre X8.8: IPsec AH has no ports.
    let r = row("cluster-pre-x8-8", 1);
    assert_eq!(r.src_ports, PortSpec::NotApplicable);
    // Microsoft interop B2BUA listens on 65072.
    assert_eq!(
        row("ms-interop-gateway", 2).dst_ports,
        DstPorts::All(p("65072"))
    );
    // ACME: inbound TCP 80 from anywhere.
    let r = row("acme", 1);
    assert_eq!(
        (r.dst_ports.clone(), r.src.as_str()),
        (DstPorts::All(p("80")), "acme-provider")
    );
    // Default ranges: TURN relays 24000-29999 UDP, media 36000-59999.
    let d = m.select("default-ranges");
    let Some(d) = d.first() else { panic!() };
    assert_eq!(d.kind, TableKind::Ranges);
    assert!(d.ranges.iter().any(|r| r.ports == p("24000-29999")));
    assert!(d
        .ranges
        .iter()
        .any(|r| r.ports == p("36000-36011") && r.size == Some(SizeClass::Large)));
}

#[test]
fn every_port_spec_in_the_data_parses() {
    // Independent of the loader: scan the raw text for port fields and parse each.
    let mut n = 0;
    for line in DATA.lines() {
        let line = line.trim();
        for key in [
            "src_ports",
            "dst_ports",
            "dst_ports_small_medium",
            "dst_ports_large",
            "ports",
        ] {
            if let Some(rest) = line.strip_prefix(&format!("{key} = \"")) {
                let v = rest.trim_end_matches('"');
                assert!(v.parse::<PortSpec>().is_ok(), "{key} = {v:?}");
                n += 1;
            }
        }
    }
    assert!(n > 400, "only {n} port specs found");
}

#[test]
fn losing_a_row_fails_validation() {
    // Remove the last row of the ACME table: expected_rows no longer matches.
    let cut = DATA
        .rfind("[[table.row]]")
        .map(|i| &DATA[..i])
        .unwrap_or(DATA);
    match PortMap::from_toml(cut) {
        Err(LoadError::Invalid(issues)) => assert!(issues.iter().any(|i| i.location == "acme"
            && i.kind
                == IssueKind::RowCount {
                    expected: 2,
                    found: 1
                })),
        other => panic!("expected a row-count issue, got {other:?}"),
    }
}

#[test]
fn undeclared_role_and_bad_port_are_reported() {
    let text = r#"
schema = 1
[roles.a]
description = "a"
[[table]]
deployment = "x"
group = "g"
chapter = 1
number = 1
title = "t"
kind = "flows"
expected_rows = 1
[[table.row]]
purpose = "p"
src = "a"
src_ports = "9-1"
protocol = ["tcp"]
dst = "nobody"
dst_ports = "80"
"#;
    let Err(LoadError::Invalid(issues)) = PortMap::from_toml(text) else {
        panic!("should fail")
    };
    assert!(issues.iter().any(|i| i.location == "x row 1 src_ports"));
    assert!(issues
        .iter()
        .any(|i| i.kind == IssueKind::UnknownRole("nobody".into())));
    assert!(matches!(
        PortMap::from_toml("schema = 1\nbogus = 2\n"),
        Err(LoadError::Toml(_))
    ));
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

#[test]
fn flows_for_mra_c_to_e() {
    let r = roles(&[
        "expressway-c=10.0.30.2",
        "expressway-e-private=10.0.10.2",
        "expressway-e=10.0.10.2",
    ]);
    let Ok(set) = flows(map(), "mra-c-to-e", &r, Some(SizeClass::SmallMedium)) else {
        panic!()
    };
    assert!(set.skipped.is_empty(), "{:?}", set.skipped);
    // 5 rows; TURN control is UDP and TCP -> 6 flows.
    assert_eq!(set.flows.len(), 6);
    let ssh = &set.flows[0];
    let c: IpAddr = [10, 0, 30, 2].into();
    assert_eq!(
        (ssh.src, ssh.transport, ssh.row),
        (Addr::Ip(c), Transport::Tcp, 1)
    );
    assert_eq!(ssh.reference(), "chapter 7 table 17 row 1");
}

#[test]
fn missing_roles_and_sizes_are_reported() {
    let r = roles(&["expressway-c=10.0.30.2"]);
    let Ok(set) = flows(map(), "mra-c-to-e", &r, None) else {
        panic!()
    };
    assert!(set.flows.is_empty());
    assert!(set
        .skipped
        .iter()
        .any(|s| s.row == 1 && s.reason == SkipReason::MissingRole("expressway-e-private".into())));
    assert!(set
        .skipped
        .iter()
        .any(|s| s.row == 3 && s.reason == SkipReason::NeedSize));
    // Table 27 row 9 has no large-system value in the seed.
    let r = roles(&["expressway-e=192.0.2.10"]);
    let Ok(set) = flows(map(), "cms-p2p-ms-interop", &r, Some(SizeClass::Large)) else {
        panic!()
    };
    assert!(set
        .skipped
        .iter()
        .any(|s| s.row == 9 && s.reason == SkipReason::NoPortsForSize));
    assert_eq!(
        flows(map(), "nope", &r, None).err(),
        Some(FlowError::UnknownDeployment("nope".into()))
    );
    let mut bad = RoleAddrs::new();
    assert_eq!(
        parse_role_assignment(map(), "martian=1.2.3.4", &mut bad),
        Err(FlowError::UnknownRole("martian".into()))
    );
    assert!(matches!(
        parse_role_assignment(map(), "expressway-c", &mut bad),
        Err(FlowError::BadAssignment(_))
    ));
}

#[test]
fn nft_ruleset_for_mra_c_to_e() {
    let r = roles(&["expressway-c=10.0.30.2", "expressway-e=10.0.10.2"]);
    let Ok(set) = flows(map(), "mra-c-to-e", &r, Some(SizeClass::Large)) else {
        panic!()
    };
    let nft = to_nft(&set.flows);
    let lines: Vec<&str> = nft.lines().map(str::trim).collect();
    for want in [
        "table inet sipwall_expressway {",
        "chain forward {",
        "type filter hook forward priority filter; policy drop;",
        "ct state established,related accept",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 tcp sport 30000-35999 tcp dport 2222 accept comment \"chapter 7 table 17 row 1: SSH tunnel\"",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 tcp sport 25000-29999 tcp dport 7001 accept comment \"chapter 7 table 17 row 2: SIP signalling\"",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 udp sport 36000-59999 udp dport 36000-36011 accept comment \"chapter 7 table 17 row 3: SIP media\"",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 tcp sport 30000-35999 tcp dport 7400 accept comment \"chapter 7 table 17 row 4: XMPP (IM and Presence)\"",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 tcp sport 1024-65535 tcp dport 3478-3483 accept comment \"chapter 7 table 17 row 5: TURN control\"",
        "ip saddr 10.0.30.2 ip daddr 10.0.10.2 udp sport 1024-65535 udp dport 3478-3483 accept comment \"chapter 7 table 17 row 5: TURN control\"",
    ] {
        assert!(lines.contains(&want), "missing line {want:?} in\n{nft}");
    }
    assert_eq!(nft.matches(" accept comment ").count(), 6);
}

#[test]
fn nft_parity_any_ah_optional_and_ipv6() {
    // Parity: H.323 multiplexed RTP on a large system.
    let r = roles(&[
        "expressway-c=10.0.30.2",
        "expressway-e-private=10.0.10.2",
        "expressway-e-public=198.51.100.10",
    ]);
    let Ok(set) = flows(map(), "h323-calls", &r, Some(SizeClass::Large)) else {
        panic!()
    };
    let nft = to_nft(&set.flows);
    assert!(nft.contains("ip saddr 10.0.30.2 ip daddr 10.0.10.2 udp sport 36000-59998 udp sport & 1 == 0 udp dport 36000-36010 udp dport & 1 == 0 accept comment \"chapter 6 table 12 row 17: RTP, multiplexed traversal media\""), "{nft}");
    // remote-endpoint defaults to any address.
    assert!(nft.contains("\t\tip daddr 198.51.100.10 udp sport 1719 udp dport 1719 accept comment \"chapter 6 table 12 row 1: "), "{nft}");
    // AH between cluster peers, IPv6.
    let r = roles(&["this-peer=2001:db8::1", "other-peer=2001:db8::2"]);
    let Ok(set) = flows(map(), "cluster-pre-x8-8", &r, None) else {
        panic!()
    };
    let nft = to_nft(&set.flows);
    assert!(nft.contains("ip6 saddr 2001:db8::1 ip6 daddr 2001:db8::2 meta l4proto ah accept comment \"chapter 5 table 8 row 1: cluster database synchronisation (IPsec AH)\""), "{nft}");
    // Bracketed port: emitted commented out.
    let r = roles(&["expressway-c=10.0.30.2", "unified-cm=10.0.40.5"]);
    let Ok(set) = flows(map(), "mra-c-to-onprem", &r, None) else {
        panic!()
    };
    let nft = to_nft(&set.flows);
    assert!(nft.contains("\t\t# ip saddr 10.0.40.5 ip daddr 10.0.30.2 tcp dport 5060 accept comment \"chapter 7 table 18 row 2: SIP signalling (TCP) from Unified CM\""), "{nft}");
    assert!(nft.contains("tcp dport { 443, 8443 }"), "{nft}");
    // Mixed families are skipped, not emitted.
    let r = roles(&["this-peer=2001:db8::1", "other-peer=192.0.2.2"]);
    let Ok(set) = flows(map(), "cluster-x8-8", &r, None) else {
        panic!()
    };
    assert!(set.flows.is_empty());
    assert!(set
        .skipped
        .iter()
        .all(|s| s.reason == SkipReason::AddressFamilyMismatch));
}

#[test]
fn nft_comments_are_bounded_and_quoted_safely() {
    let r = roles(&["expressway-c=10.0.30.2", "unified-cm=10.0.40.5"]);
    let Ok(set) = flows(map(), "mra-c-to-onprem", &r, None) else {
        panic!()
    };
    let nft = to_nft(&set.flows);
    for line in nft.lines().filter(|l| l.contains("comment \"")) {
        let Some((_, c)) = line.split_once("comment \"") else {
            continue;
        };
        let c = c.trim_end_matches('"');
        assert!(c.len() <= 127 && !c.contains('"'), "{line}");
    }
}

#[test]
fn any_to_any_rows_are_never_emitted() {
    // Table 15: ICE passthrough between two off-premises endpoints.
    let Ok(set) = flows(map(), "mra-ice-passthrough", &RoleAddrs::new(), None) else {
        panic!()
    };
    assert!(set.flows.is_empty());
    assert_eq!(
        set.skipped.first().map(|s| &s.reason),
        Some(&SkipReason::Unrestricted)
    );
    // Over every deployment with every role given, no flow has both ends unrestricted.
    let mut r = RoleAddrs::new();
    for (i, id) in map().roles.keys().enumerate() {
        let Ok(octet) = u8::try_from(i + 1) else {
            panic!("too many roles")
        };
        r.insert(id.clone(), vec![IpAddr::from([10, 9, 0, octet])]);
    }
    for id in map().deployment_ids() {
        let Ok(set) = flows(map(), id, &r, Some(SizeClass::Large)) else {
            panic!()
        };
        assert!(
            set.flows
                .iter()
                .all(|f| f.src != Addr::Any || f.dst != Addr::Any),
            "{id}"
        );
        assert!(
            !to_nft(&set.flows).contains("\t\tmeta l4proto udp accept"),
            "{id}"
        );
    }
}
