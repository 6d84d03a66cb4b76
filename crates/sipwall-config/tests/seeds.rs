//! The configuration examples of Cisco's "Firewall-SIP Enhancements ALG" guide (seed documents
//! 000, Japanese edition without indentation, and 001, English edition with indentation) load
//! verbatim, each alone and both concatenated; and the lab example loads.

use sipwall_config::{
    parse, Action, ClassMatch, Config, MatchKind, MaxForwardsZero, Protocol, Transport,
    WarningKind, ZoneRef,
};

const SEED_000: &str = include_str!("data/seed-000.cfg");
const SEED_001: &str = include_str!("data/seed-001.cfg");
const LAB: &str = include_str!("../../../examples/config/lab.cfg");

fn load(text: &str, name: &str) -> (Config, Vec<sipwall_config::Warning>) {
    match parse(text, name) {
        Ok(ok) => ok,
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("{name} did not load:\n{}", list.join("\n"));
        }
    }
}

fn check_seed_model(config: &Config) {
    let cm = &config.class_maps["sip-class1"];
    assert_eq!(cm.kind, MatchKind::MatchAny);
    assert_eq!(cm.matches.len(), 1, "repeated match lines merge");
    assert!(matches!(
        cm.matches[0],
        ClassMatch::Protocol {
            protocol: Protocol::Sip,
            ..
        }
    ));
    let pm = &config.policy_maps["sip-policy"];
    assert_eq!(pm.classes.len(), 1);
    assert_eq!(pm.classes[0].class, "sip-class1");
    assert_eq!(
        pm.classes[0].action,
        Action::Inspect {
            parameter_map: None
        }
    );
    // `class class-default` after `!` belongs to the policy-map; default action drop.
    assert_eq!(pm.class_default, Action::Drop { log: false });
    assert_eq!(
        config.zones.keys().collect::<Vec<_>>(),
        vec!["zone1", "zone2"]
    );
    assert_eq!(config.zone_pairs.len(), 1);
    let zp = &config.zone_pairs[0];
    assert_eq!(zp.name, "in-out");
    assert_eq!(zp.source, ZoneRef::Named("zone1".into()));
    assert_eq!(zp.destination, ZoneRef::Named("zone2".into()));
    assert_eq!(zp.policy.as_deref(), Some("sip-policy"));
    assert_eq!(config.interfaces.len(), 2);
    assert_eq!(
        config.zone_of_interface("GigabitEthernet0/0/0"),
        Some(ZoneRef::Named("zone1".into()))
    );
    assert_eq!(
        config.zone_of_interface("gigabitethernet 0/1/1"),
        Some(ZoneRef::Named("zone2".into()))
    );
    assert_eq!(
        config.interface("Gi0/1/1").map(|i| i.name.as_str()),
        Some("gigabitethernet 0/1/1")
    );
    let pair = config.zone_pair(
        &ZoneRef::Named("zone1".into()),
        &ZoneRef::Named("zone2".into()),
    );
    assert_eq!(pair.map(|p| p.name.as_str()), Some("in-out"));
    assert!(config
        .zone_pair(
            &ZoneRef::Named("zone2".into()),
            &ZoneRef::Named("zone1".into())
        )
        .is_none());
    assert!(config.class_matches("sip-class1", Transport::Udp, Some(5060)));
    assert!(config.class_matches("sip-class1", Transport::Tcp, Some(5060)));
    assert!(!config.class_matches("sip-class1", Transport::Udp, Some(5061)));
}

#[test]
fn seed_001_english_indented_loads() {
    let (config, warnings) = load(SEED_001, "seed-001.cfg");
    check_seed_model(&config);
    // `zone security ZONE` under an interface is the zone-member alias: one warning each.
    assert_eq!(warnings.len(), 2);
    assert!(warnings.iter().all(|w| w.kind == WarningKind::Alias));
    assert_eq!((warnings[0].at.line, warnings[0].at.col), (17, 3));
    assert_eq!((warnings[1].at.line, warnings[1].at.col), (20, 3));
}

#[test]
fn seed_000_japanese_unindented_loads() {
    let (config, warnings) = load(SEED_000, "seed-000.cfg");
    check_seed_model(&config);
    assert_eq!(warnings.len(), 2);
    assert_eq!((warnings[0].at.line, warnings[0].at.col), (18, 1));
}

#[test]
fn both_seeds_concatenated_load_as_one_file() {
    let text = format!("{SEED_000}{SEED_001}");
    let (config, warnings) = load(&text, "seeds.cfg");
    check_seed_model(&config);
    assert_eq!(warnings.len(), 4);
    let other_order = format!("{SEED_001}\n{SEED_000}");
    let (config, _) = load(&other_order, "seeds.cfg");
    check_seed_model(&config);
}

#[test]
fn seeds_pasted_as_a_session_with_prompts_load() {
    let session = "Device> enable\n\
        Device# configure terminal\n\
        Device(config)# class-map type inspect match-any sip-class1\n\
        Device(config-cmap)# match protocol sip\n\
        Device(config-cmap)# exit\n\
        Device(config)# policy-map type inspect sip-policy\n\
        Device(config-pmap)# class type inspect sip-class1\n\
        Device(config-pmap-c)# inspect\n\
        Device(config-pmap-c)# exit\n\
        Device(config-pmap)# class class-default\n\
        Device(config-pmap)# end\n\
        Device# configure terminal\n\
        Device(config)# zone security zone1\n\
        Device(config-sec-zone)# exit\n\
        Device(config)# zone security zone2\n\
        Device(config-sec-zone)# exit\n\
        Device(config)# zone-pair security in-out source zone1 destination zone2\n\
        Device(config-sec-zone-pair)# service-policy type inspect sip-policy\n\
        Device(config-sec-zone-pair)# exit\n\
        Device(config)# interface gigabitethernet 0/0/0\n\
        Device(config-if)# zone-member security zone1\n\
        Device(config-if)# exit\n\
        Device(config)# interface gigabitethernet 0/1/1\n\
        Device(config-if)# zone-member security zone2\n\
        Device(config-if)# end\n";
    let (config, warnings) = load(session, "session.txt");
    check_seed_model(&config);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn lab_example_loads_and_routes() {
    let (config, warnings) = load(LAB, "lab.cfg");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.hostname.as_deref(), Some("sipwall-lab"));
    let inside = config.interface_for_address("192.0.2.10".parse().unwrap());
    assert_eq!(inside.map(|i| i.name.as_str()), Some("eth0"));
    assert_eq!(
        config.zone_of_interface("eth1"),
        Some(ZoneRef::Named("outside".into()))
    );
    let egress = |a: &str| {
        config
            .route_lookup(a.parse().unwrap())
            .map(|i| i.name.clone())
    };
    assert_eq!(egress("203.0.113.5").as_deref(), Some("eth0"));
    assert_eq!(egress("8.8.8.8").as_deref(), Some("eth1"));
    assert_eq!(egress("192.0.2.77").as_deref(), Some("eth0"));
    assert!(config.is_sip_port(Transport::Udp, 5080));
    assert!(!config.is_sip_port(Transport::Tcp, 5080));
    assert!(config.is_sip_port(Transport::Tcp, 5060));
    let out_in = config
        .zone_pair(
            &ZoneRef::Named("outside".into()),
            &ZoneRef::Named("inside".into()),
        )
        .unwrap();
    let policy = &config.policy_maps[out_in.policy.as_deref().unwrap()];
    assert_eq!(
        policy.classes[0].sip_policy.as_deref(),
        Some("sip-inbound-checks")
    );
    assert_eq!(
        config
            .parameter_map(Some("voice-timeouts"))
            .sessions_maximum,
        Some(100_000)
    );
    // The worked `sip ...` example: the first rate-limit line replaced the defaults.
    let sip = &config.parameter_map(Some("voice-timeouts")).sip;
    assert_eq!(sip.max_forwards_zero, MaxForwardsZero::Drop);
    assert_eq!(sip.max_dialogs_per_source, Some(500));
    let rates: Vec<(&str, u32, u32)> = sip
        .rate_limits
        .iter()
        .map(|r| (r.method.as_str(), r.per_second, r.burst))
        .collect();
    assert_eq!(
        rates,
        [
            ("INVITE", 100, 200),
            ("REGISTER", 50, 100),
            ("OPTIONS", 20, 40)
        ]
    );
    // The model serialises.
    let json = serde_json::to_string(&config).unwrap();
    assert!(json.contains("\"sip-inbound-checks\""));
}
