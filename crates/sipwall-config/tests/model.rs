//! What each command puts in the model, and the lookups the engine uses.

use std::net::IpAddr;

use sipwall_config::{
    parse, Action, Config, MediaType, RateLimit, RouteTarget, SipAction, SipMatch, Transport,
    Warning, WarningKind, ZoneRef,
};

fn load(text: &str) -> (Config, Vec<Warning>) {
    match parse(text, "t.cfg") {
        Ok(ok) => ok,
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("did not load:\n{}", list.join("\n"));
        }
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn sip_class_map_matches() {
    let (c, w) = load(
        "class-map type inspect sip match-all voice\n\
         match request method invite\n\
         match request uri regex \"^sip:[0-9]+@\"\n\
         match caller regex alice\n\
         match callee regex bob\n\
         match request header User-Agent regex \"friendly scanner\"\n\
         match response status 400-499\n\
         match response status 503\n\
         match message-size gt 4096\n\
         match content-type regex application/sdp\n\
         match sdp media-type image\n\
         match request method invite\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let m = &c.sip_class_maps["voice"].matches;
    assert_eq!(m.len(), 10, "the repeated method line merges");
    assert!(matches!(&m[0], SipMatch::RequestMethod { method, .. } if method == "INVITE"));
    assert!(
        matches!(&m[1], SipMatch::RequestUri { regex, at } if regex == "^sip:[0-9]+@" && at.col == 25)
    );
    assert!(
        matches!(&m[4], SipMatch::RequestHeader { name, regex, .. } if name == "User-Agent" && regex == "friendly scanner")
    );
    assert!(matches!(
        m[5],
        SipMatch::ResponseStatus {
            low: 400,
            high: 499,
            ..
        }
    ));
    assert!(matches!(
        m[6],
        SipMatch::ResponseStatus {
            low: 503,
            high: 503,
            ..
        }
    ));
    assert!(matches!(m[7], SipMatch::MessageSizeGt { bytes: 4096, .. }));
    assert!(matches!(
        m[9],
        SipMatch::SdpMediaType {
            media: MediaType::Image,
            ..
        }
    ));
}

#[test]
fn sip_policy_map_and_attachment() {
    let (c, w) = load(
        "class-map type inspect sip match-any scanners\n\
         match request header User-Agent regex sipvicious\n\
         class-map type inspect sip match-any registers\n\
         match request method register\n\
         policy-map type inspect sip sip-l7\n\
         class type inspect sip scanners\n\
         reset log\n\
         class type inspect registers\n\
         rate-limit 5 per-second per-source burst 10\n\
         class class-default\n\
         drop\n\
         class-map type inspect match-any sip\n\
         match protocol sip\n\
         policy-map type inspect l4\n\
         class type inspect sip\n\
         inspect\n\
         service-policy sip sip-l7\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let sp = &c.sip_policy_maps["sip-l7"];
    assert_eq!(sp.classes[0].action, SipAction::Reset { log: true });
    assert_eq!(sp.classes[1].action, SipAction::Allow { log: false });
    assert_eq!(
        sp.classes[1].rate_limit,
        Some(RateLimit {
            per_second: 5,
            per_source: true,
            burst: Some(10)
        })
    );
    assert_eq!(sp.class_default, SipAction::Drop { log: false });
    let pc = &c.policy_maps["l4"].classes[0];
    assert_eq!(pc.sip_policy.as_deref(), Some("sip-l7"));
    assert_eq!(
        pc.action,
        Action::Inspect {
            parameter_map: None
        }
    );
    // The L7 class-default is allow unless configured.
    let (c, _) = load("policy-map type inspect sip x\n");
    assert_eq!(
        c.sip_policy_maps["x"].class_default,
        SipAction::Allow { log: false }
    );
}

#[test]
fn modes_exit_end_and_noise() {
    let (c, w) = load(
        "Building configuration...\n\
         Current configuration : 1234 bytes\n\
         version 17.3\n\
         hostname fw\n\
         enable\n\
         conf t\n\
         policy-map type inspect p\n\
         class type inspect c\n\
         pass log\n\
         exit\n\
         class class-default\n\
         inspect\n\
         end\n\
         configure terminal\n\
         class-map type inspect c\n\
         match protocol icmp\n\
         exit\n\
         exit\n\
         exit\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.hostname.as_deref(), Some("fw"));
    let p = &c.policy_maps["p"];
    assert_eq!(p.classes[0].action, Action::Pass { log: true });
    assert_eq!(
        p.class_default,
        Action::Inspect {
            parameter_map: None
        }
    );
    // `class-map type inspect NAME` without match-any/all is match-all (IOS default).
    assert_eq!(c.class_maps["c"].kind, sipwall_config::MatchKind::MatchAll);
    assert!(c.class_matches("c", Transport::Icmp, None));
    assert!(c.class_matches("class-default", Transport::Tcp, Some(1)));
}

#[test]
fn parameter_maps_and_defaults() {
    let (c, w) = load(
        "parameter-map type inspect voice\n\
         tcp idle-time 600\n udp idle-time 60\n icmp idle-time 5\n sip idle-time 7200\n\
         media idle-time 90\n tcp synwait-time 10\n tcp finwait-time 2\n\
         max-incomplete low 800\n max-incomplete high 1000\n tcp max-incomplete host 50 block-time 0\n\
         sessions maximum 2000\n alert off\n audit-trail on\n\
         parameter-map type inspect global\n udp idle-time 45\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let v = c.parameter_map(Some("voice"));
    assert_eq!(
        (
            v.tcp_idle_time,
            v.udp_idle_time,
            v.icmp_idle_time,
            v.sip_idle_time,
            v.media_idle_time
        ),
        (600, 60, 5, 7200, 90)
    );
    assert_eq!((v.tcp_synwait_time, v.tcp_finwait_time), (10, 2));
    assert_eq!(
        (
            v.max_incomplete_low,
            v.max_incomplete_high,
            v.tcp_max_incomplete_host,
            v.sessions_maximum
        ),
        (Some(800), Some(1000), Some(50), Some(2000))
    );
    assert!(!v.alert && v.audit_trail);
    let g = c.parameter_map(None);
    assert_eq!(g.udp_idle_time, 45);
    assert_eq!(g.tcp_idle_time, 3600, "unset values keep their defaults");
    let (c, _) = load("");
    let d = c.parameter_map(None);
    assert_eq!(
        (
            d.tcp_idle_time,
            d.udp_idle_time,
            d.icmp_idle_time,
            d.sip_idle_time,
            d.media_idle_time
        ),
        (3600, 30, 10, 3600, 180)
    );
    assert!(d.at.is_none());
    let err = parse(
        "parameter-map type inspect x\n max-incomplete high 5\n max-incomplete low 10\n",
        "t.cfg",
    )
    .unwrap_err();
    assert_eq!((err[0].at.line, err[0].at.col), (3, 2));
}

#[test]
fn interfaces_addresses_and_names() {
    let (c, w) = load(
        "zone security lan\n\
         interface GigabitEthernet0/0/0\n\
         description LAN side\n\
         ip address 192.0.2.1 255.255.255.0\n\
         ip address 192.0.2.129 255.255.255.128 secondary\n\
         ipv6 address 2001:db8:1::1/64\n\
         zone-member security lan\n\
         interface gigabitethernet 0/0/0\n\
         ip address 192.0.2.2/24\n\
         interface veth-in\n\
         ip address 198.51.100.1/30\n\
         shutdown\n\
         no shutdown\n",
    );
    assert_eq!(c.interfaces.len(), 2);
    let gi = c.interface("Gi0/0/0").unwrap();
    assert_eq!(
        gi.name, "GigabitEthernet0/0/0",
        "the first spelling is kept"
    );
    assert_eq!(gi.description.as_deref(), Some("LAN side"));
    let v4: Vec<String> = gi.ipv4.iter().map(ToString::to_string).collect();
    assert_eq!(
        v4,
        vec!["192.0.2.2/24", "192.0.2.129/25"],
        "a new primary replaces the old"
    );
    assert_eq!(gi.ipv6[0].to_string(), "2001:db8:1::1/64");
    assert_eq!(
        c.zone_of_interface("GIGABITETHERNET 0/0/0"),
        Some(ZoneRef::Named("lan".into()))
    );
    assert_eq!(
        c.zone_of_interface("veth-in"),
        None,
        "an interface in no zone is fine"
    );
    assert_eq!(c.zone_of_interface("nope"), None);
    // The secondary /25 lies inside the primary /24: an overlap warning; shutdown is ignored.
    let kinds: Vec<WarningKind> = w.iter().map(|w| w.kind).collect();
    assert!(kinds.contains(&WarningKind::Overlap), "{w:?}");
    assert!(kinds.contains(&WarningKind::Ignored), "{w:?}");
    assert_eq!(
        c.interface_for_address(ip("192.0.2.200"))
            .map(|i| i.key.as_str()),
        Some("gigabitethernet0/0/0")
    );
    assert_eq!(
        c.interface_for_address(ip("2001:db8:1::99"))
            .map(|i| i.name.as_str()),
        Some("GigabitEthernet0/0/0")
    );
    assert_eq!(
        c.interface_for_address(ip("198.51.100.2"))
            .map(|i| i.name.as_str()),
        Some("veth-in")
    );
    assert!(c.interface_for_address(ip("203.0.113.1")).is_none());
    assert!(c.is_own_address(ip("192.0.2.2")));
}

#[test]
fn default_zone_and_self() {
    let (c, w) = load(
        "zone security default\n\
         zone security dmz\n\
         interface eth0\n zone-member security dmz\n\
         interface eth1\n\
         policy-map type inspect p\n\
         zone-pair security to-fw source default destination self\n service-policy type inspect p\n\
         zone-pair security intra source dmz destination dmz\n service-policy type inspect p\n\
         zone-pair security empty source self destination dmz\n",
    );
    assert_eq!(c.zone_of_interface("eth1"), Some(ZoneRef::Default));
    assert_eq!(
        c.zone_of_interface("eth0"),
        Some(ZoneRef::Named("dmz".into()))
    );
    assert!(c.zone_pair(&ZoneRef::Default, &ZoneRef::SelfZone).is_some());
    let dmz = ZoneRef::Named("dmz".into());
    assert_eq!(
        c.zone_pair(&dmz, &dmz).map(|z| z.name.as_str()),
        Some("intra")
    );
    // A zone-pair without a policy drops everything: worth a warning.
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("has no service-policy"));
}

#[test]
fn routes_longest_prefix_and_next_hops() {
    let (c, w) = load(
        "interface eth0\n ip address 192.0.2.1 255.255.255.0\n ipv6 address 2001:db8::1/64\n\
         interface gigabitethernet 0/1\n ip address 198.51.100.1 255.255.255.0\n\
         ip route 0.0.0.0 0.0.0.0 198.51.100.254\n\
         ip route 10.0.0.0 255.0.0.0 192.0.2.254\n\
         ip route 10.1.0.0/16 GigabitEthernet0/1 198.51.100.9\n\
         ip route 10.2.0.0 255.255.0.0 eth0 250\n\
         ip route 10.2.0.0 255.255.0.0 198.51.100.7 5\n\
         ipv6 route ::/0 2001:db8::ff\n\
         ipv6 route 2001:db8:99::/48 Gi 0/1\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let out = |a: &str| c.route_lookup(ip(a)).map(|i| i.key.clone());
    assert_eq!(out("8.8.8.8").as_deref(), Some("gigabitethernet0/1"));
    assert_eq!(out("10.9.9.9").as_deref(), Some("eth0"));
    assert_eq!(out("10.1.2.3").as_deref(), Some("gigabitethernet0/1"));
    assert_eq!(
        out("10.2.3.4").as_deref(),
        Some("gigabitethernet0/1"),
        "distance 5 beats 250"
    );
    assert_eq!(out("192.0.2.9").as_deref(), Some("eth0"));
    assert_eq!(out("2001:db8:5::1").as_deref(), Some("eth0"));
    assert_eq!(out("2001:db8:99::1").as_deref(), Some("gigabitethernet0/1"));
    assert_eq!(c.routes[3].distance, 250);
    assert_eq!(
        c.routes[2].target,
        RouteTarget::Interface {
            interface: "gigabitethernet0/1".into(),
            next_hop: Some(ip("198.51.100.9"))
        }
    );
    let (c, _) = load("");
    assert!(c.route_lookup(ip("1.1.1.1")).is_none());
}

#[test]
fn sip_ports_and_port_map() {
    let (c, _) = load(
        "ip port-map sip udp 5080\n\
         ip port-map sip port tcp 5090 5091\n\
         ip port-map sip port 5070\n\
         ip port-map sip udp 5060\n",
    );
    assert!(c.is_sip_port(Transport::Udp, 5060));
    assert!(c.is_sip_port(Transport::Tcp, 5060));
    assert!(c.is_sip_port(Transport::Udp, 5080));
    assert!(!c.is_sip_port(Transport::Tcp, 5080));
    assert!(c.is_sip_port(Transport::Tcp, 5091));
    assert!(c.is_sip_port(Transport::Udp, 5070) && c.is_sip_port(Transport::Tcp, 5070));
    assert_eq!(
        c.sip_ports.len(),
        7,
        "sorted and without duplicates: {:?}",
        c.sip_ports
    );
    assert!(c.protocol_matches(sipwall_config::Protocol::Sip, Transport::Udp, Some(5080)));
    assert!(c.protocol_matches(sipwall_config::Protocol::Dns, Transport::Udp, Some(53)));
    assert!(!c.protocol_matches(sipwall_config::Protocol::Dns, Transport::Tcp, Some(80)));
}

#[test]
fn nested_class_maps_and_suspicious_classes() {
    let (c, w) = load(
        "class-map type inspect match-any voice\n match protocol sip\n match protocol h323\n\
         class-map type inspect match-any all\n match class-map voice\n match protocol icmp\n\
         class-map type inspect match-all never\n match protocol tcp\n match protocol udp\n\
         class-map type inspect match-any empty\n\
         policy-map type inspect p\n class type inspect all\n",
    );
    assert!(c.class_matches("all", Transport::Tcp, Some(1720)));
    assert!(c.class_matches("all", Transport::Icmp, None));
    assert!(!c.class_matches("all", Transport::Tcp, Some(80)));
    assert!(!c.class_matches("never", Transport::Tcp, Some(80)));
    let messages: Vec<&str> = w.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(w.len(), 3, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("never match")),
        "{messages:?}"
    );
    assert!(messages
        .iter()
        .any(|m| m.contains("has no match statement")));
    assert!(messages
        .iter()
        .any(|m| m.contains("has no action; matching traffic is dropped")));
    assert_eq!(
        c.policy_maps["p"].classes[0].action,
        Action::Drop { log: false }
    );
}

#[test]
fn deep_nesting_is_an_error() {
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&format!(
            "class-map type inspect match-any c{i}\n match class-map c{}\n",
            i + 1
        ));
    }
    text.push_str("class-map type inspect match-any c20\n match protocol sip\n");
    let errors = parse(&text, "t.cfg").unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("nesting deeper than 16")),
        "{errors:?}"
    );
}

#[test]
fn model_serialises_to_json() {
    let (c, _) = load(include_str!("data/seed-001.cfg"));
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(
        v["zone_pairs"][0]["source"],
        serde_json::json!({"zone": "named", "name": "zone1"})
    );
    assert_eq!(
        v["policy_maps"]["sip-policy"]["class_default"],
        serde_json::json!({"action": "drop", "log": false})
    );
    assert_eq!(
        v["sip_ports"][0],
        serde_json::json!({"transport": "tcp", "port": 5060})
    );
}
