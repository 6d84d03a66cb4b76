//! Broken configurations: each gives the expected `LINE:COL`, kind and message, and never a
//! half-built model.

use sipwall_config::{parse, parse_bytes, ErrorKind};

/// (config text, line, col, kind, text the message must contain)
const CASES: &[(&str, u32, u32, ErrorKind, &str)] = &[
    (
        "policy-map type inspect p\n class type inspect c\n  inpsect\nclass-map type inspect c\n match protocol sip\n",
        3, 3, ErrorKind::UnknownCommand,
        "unknown command \"inpsect\" in policy-map class mode; did you mean \"inspect\"?",
    ),
    (
        "class-map type inspect match-any c\n match protocol sipp\n",
        2, 17, ErrorKind::UnknownProtocol,
        "unknown protocol \"sipp\"; did you mean \"sip\"? (known: sip, tcp, udp, icmp,",
    ),
    (
        "zone security a\nzone security b\nzone-pair security zp source a destination b\n service-policy type inspect x\npolicy-map type inspect sip-policy\n",
        4, 30, ErrorKind::Undefined,
        "policy-map \"x\" is not defined (defined: sip-policy)",
    ),
    (
        "class-map type inspect match-any a\n match class-map b\nclass-map type inspect match-any b\n match class-map a\n",
        4, 18, ErrorKind::Cycle,
        "class-map \"a\" includes itself: a -> b -> a",
    ),
    (
        "class-map type inspect match-any a\n match class-map a\n",
        2, 18, ErrorKind::Cycle,
        "includes itself: a -> a",
    ),
    (
        "class-map type inspect sip match-any s\n match request uri regex a(b\n",
        2, 26, ErrorKind::InvalidRegex,
        "invalid regular expression \"a(b\"",
    ),
    (
        "class-map type inspect sip match-any s\n match request header  Via regex \"(x\"\n",
        2, 34, ErrorKind::InvalidRegex,
        "invalid regular expression \"(x\"",
    ),
    (
        "interface eth0\n ip address 192.0.2.0 255.255.255.0\n",
        2, 13, ErrorKind::InvalidAddress,
        "it is the network address of 192.0.2.0/24",
    ),
    (
        "interface eth0\n ip address 192.0.2.1 255.0.255.0\n",
        2, 23, ErrorKind::InvalidAddress,
        "not contiguous",
    ),
    (
        "interface eth0\n ip address 192.0.2.300 255.255.255.0\n",
        2, 13, ErrorKind::InvalidAddress,
        "invalid address \"192.0.2.300\"",
    ),
    (
        "interface eth0\n ipv6 address 2001:db8::1\n",
        2, 15, ErrorKind::InvalidAddress,
        "expected X:X::X/LEN",
    ),
    (
        "ip route 10.0.0.1 255.0.0.0 192.0.2.1\n",
        1, 10, ErrorKind::InvalidAddress,
        "host bits set (the network is 10.0.0.0/8)",
    ),
    (
        "polcy-map type inspect x\n",
        1, 1, ErrorKind::UnknownCommand,
        "did you mean \"policy-map\"?",
    ),
    (
        "match protocol sip\n",
        1, 1, ErrorKind::UnknownCommand,
        "\"match\" is not valid in global configuration mode (it is a class-map command)",
    ),
    (
        "class-map match-any x\n match protocol sip\n",
        1, 11, ErrorKind::UnexpectedArgument,
        "only inspect maps are supported",
    ),
    (
        "zone security self\n",
        1, 15, ErrorKind::InvalidValue,
        "\"self\" is the firewall's own zone",
    ),
    (
        "zone-pair security a source self destination self\n service-policy type inspect p\npolicy-map type inspect p\n",
        1, 29, ErrorKind::Conflict,
        "goes from self to self",
    ),
    (
        "zone security inside\ninterface eth0\n zone-member security nowhere\n",
        3, 23, ErrorKind::Undefined,
        "zone \"nowhere\" is not defined (defined: inside)",
    ),
    (
        "zone security a\nzone security b\npolicy-map type inspect p\nzone-pair security p1 source a destination b\n service-policy type inspect p\nzone-pair security p2 source a destination b\n service-policy type inspect p\n",
        6, 20, ErrorKind::Conflict,
        "zone-pair \"p2\" has the same source (a) and destination (b) as zone-pair \"p1\" at line 4",
    ),
    (
        "zone-pair security p1 source default destination self\n",
        1, 30, ErrorKind::Undefined,
        "configure \"zone security default\" first",
    ),
    (
        "ip route 0.0.0.0 0.0.0.0 eth9\n",
        1, 26, ErrorKind::Undefined,
        "interface \"eth9\" is not defined",
    ),
    (
        "policy-map type inspect p\n class class-default\n  service-policy sip x\n",
        3, 3, ErrorKind::UnknownCommand,
        "in policy-map class-default mode",
    ),
    (
        "policy-map type inspect p\n class type inspect c\n  drop\n  service-policy sip s\nclass-map type inspect c\n match protocol sip\npolicy-map type inspect sip s\n",
        2, 21, ErrorKind::Conflict,
        "a SIP policy applies only with \"inspect\"",
    ),
    (
        "policy-map type inspect p\n class type inspect c\n  inspect\n  drop\n",
        4, 3, ErrorKind::Conflict,
        "already has action \"inspect\"",
    ),
    (
        "parameter-map type inspect pm\n tcp idle-time 0\n",
        2, 16, ErrorKind::InvalidValue,
        "must be a number from 1 to 2147483, found \"0\"",
    ),
    (
        "parameter-map type inspect pm\n udp idle-tim 5\n",
        2, 6, ErrorKind::UnexpectedArgument,
        "did you mean \"idle-time\"?",
    ),
    (
        "policy-map type inspect p\n class type inspect c\n  inspect pm9\nclass-map type inspect c\n match protocol tcp\n",
        3, 11, ErrorKind::Undefined,
        "parameter-map \"pm9\" is not defined (defined: global)",
    ),
    (
        "policy-map type inspect sip sp\n class type inspect sip nothere\n  drop log\n",
        2, 25, ErrorKind::Undefined,
        "SIP class-map \"nothere\" is not defined (no SIP class-map is defined)",
    ),
    (
        "class-map type inspect sip match-any s\n match response status 700\n",
        2, 24, ErrorKind::InvalidValue,
        "status code must be a number from 100 to 699",
    ),
    (
        "class-map type inspect sip match-any s\n match response status 500-400\n",
        2, 24, ErrorKind::InvalidValue,
        "500 is above 400",
    ),
    (
        "class-map type inspect sip match-any s\n match request method IN@VITE\n",
        2, 23, ErrorKind::InvalidValue,
        "invalid SIP method",
    ),
    (
        "class-map type inspect sip match-any s\n match sdp media-type voice\n",
        2, 23, ErrorKind::UnexpectedArgument,
        "expected one of \"audio\", \"video\", \"image\", \"application\"",
    ),
    (
        "policy-map type inspect sip sp\n class type inspect sip s\n  rate-limit 10 per-minute\nclass-map type inspect sip match-any s\n match request method invite\n",
        3, 17, ErrorKind::UnexpectedArgument,
        "expected \"per-second\"",
    ),
    (
        "ip port-map http port 8080\n",
        1, 13, ErrorKind::InvalidValue,
        "supported for \"sip\" only",
    ),
    (
        "ip port-map sip udp 70000\n",
        1, 21, ErrorKind::InvalidValue,
        "port number must be a number from 1 to 65535",
    ),
    (
        "zone-pair security zp source a\n",
        1, 31, ErrorKind::MissingArgument,
        "missing \"destination\" after \"zone-pair security zp source a\"",
    ),
    (
        "class-map type inspect match-any a\nclass-map type inspect match-all a\n",
        2, 34, ErrorKind::Conflict,
        "was defined as match-any at line 1",
    ),
    (
        "interface eth0\n zone-member security a\n zone-member security b\nzone security a\nzone security b\n",
        3, 23, ErrorKind::Conflict,
        "already a member of zone \"a\"",
    ),
    (
        // Inside interface mode `zone security X` is the zone-member alias, not a new zone.
        "zone security a\ninterface eth0\n zone-member security a\nzone security b\n",
        4, 15, ErrorKind::Conflict,
        "under an interface means \"zone-member security\"; write \"exit\" before defining a zone",
    ),
    (
        "interface this-name-is-too-long0\n",
        1, 11, ErrorKind::InvalidValue,
        "longer than 15 bytes",
    ),
    (
        "class-map type inspect sip match-any s\n match caller regex \"unterminated\n",
        2, 21, ErrorKind::InvalidValue,
        "unterminated quoted string",
    ),
    (
        "Router(config-pmap-c)# inpsect\n",
        1, 24, ErrorKind::UnknownCommand,
        "unknown command \"inpsect\"",
    ),
    (
        "zone security a\n é-bad\n",
        2, 2, ErrorKind::UnknownCommand,
        "in security zone mode",
    ),
    (
        "interface eth0\n ip address 192.0.2.1/24\nip route 0.0.0.0 0.0.0.0 192.0.2.1\n",
        3, 10, ErrorKind::InvalidAddress,
        "next hop 192.0.2.1 is the firewall's own address",
    ),
];

#[test]
fn each_broken_config_reports_line_col_and_message() {
    let mut failures = Vec::new();
    for (i, (text, line, col, kind, needle)) in CASES.iter().enumerate() {
        match parse(text, "bad.cfg") {
            Ok(_) => failures.push(format!("case {i}: loaded, expected error {needle:?}")),
            Err(errors) => {
                let first = &errors[0];
                let rendered = first.to_string();
                let expected_prefix = format!("bad.cfg:{line}:{col}: ");
                if !rendered.starts_with(&expected_prefix)
                    || first.kind != *kind
                    || !first.message.contains(needle)
                {
                    failures.push(format!(
                        "case {i}: got {rendered:?} ({:?}); expected {expected_prefix}... {kind:?} containing {needle:?}",
                        first.kind
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn all_errors_are_collected_in_order() {
    let text = "zone security a\n\
                interface eth0\n zone-member security x\n\
                interface eth1\n zone-member security y\n\
                zone-pair security p source a destination z\n";
    let errors = parse(text, "f.cfg").unwrap_err();
    let at: Vec<(u32, u32)> = errors.iter().map(|e| (e.at.line, e.at.col)).collect();
    assert_eq!(at, vec![(3, 23), (5, 23), (6, 43)]);
}

#[test]
fn one_mistake_in_a_mode_command_gives_one_error() {
    // The class-map line is wrong; its match lines are not reported again.
    let text = "class-map type inspect match-some c\n match protocol sip\n match protocol udp\n";
    let errors = parse(text, "f.cfg").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn syntax_errors_are_capped() {
    let text = "bogus\n".repeat(1000);
    let errors = parse(&text, "f.cfg").unwrap_err();
    assert!(errors.len() <= sipwall_config::limits::MAX_ERRORS + 1);
    assert_eq!(errors.last().map(|e| e.kind), Some(ErrorKind::Limit));
}

#[test]
fn size_and_line_limits() {
    let big = "!".repeat(sipwall_config::limits::MAX_CONFIG_BYTES + 1);
    let errors = parse(&big, "big.cfg").unwrap_err();
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    let long = format!("hostname {}\n", "x".repeat(5000));
    let errors = parse(&long, "long.cfg").unwrap_err();
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    assert_eq!(errors[0].at.line, 1);
}

#[test]
fn invalid_utf8_is_an_error_with_position() {
    let errors = parse_bytes(b"zone security a\nzone security \xff\n", "f.cfg").unwrap_err();
    assert_eq!(errors[0].kind, ErrorKind::Encoding);
    assert_eq!((errors[0].at.line, errors[0].at.col), (2, 15));
}

#[test]
fn garbage_never_panics() {
    // A crude sweep: every prefix of a realistic config, and mangled variants.
    let lab = include_str!("../../../examples/config/lab.cfg");
    for cut in (0..lab.len()).step_by(7) {
        if let Some(prefix) = lab.get(..cut) {
            let _ = parse(prefix, "cut.cfg");
            let swapped = prefix.replace(' ', "\n");
            let _ = parse(&swapped, "swap.cfg");
        }
    }
    for junk in [
        "\"",
        "#",
        ">",
        "(",
        "a(b)#",
        "ip",
        "ipv6 route",
        "ip route 1",
        "interface",
        "interface gi",
        "zone-pair security",
        "class-map type inspect sip",
        "match response status -",
        "\u{0}",
        "Device(config)#\"",
        "exit\nexit\nend",
        "no",
        "policy-map type inspect sip",
    ] {
        let _ = parse(junk, "junk.cfg");
    }
}

#[test]
fn table_limits_are_errors() {
    use sipwall_config::limits::{MAX_MATCHES_PER_CLASS_MAP, MAX_ZONES};
    let mut text = String::from("class-map type inspect sip match-any big\n");
    for i in 0..=MAX_MATCHES_PER_CLASS_MAP {
        text.push_str(&format!(" match request method m{i}\n"));
    }
    let errors = parse(&text, "f.cfg").unwrap_err();
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    assert_eq!(errors[0].at.line as usize, MAX_MATCHES_PER_CLASS_MAP + 2);

    let mut text = String::new();
    for i in 0..=MAX_ZONES {
        text.push_str(&format!("zone security z{i}\n"));
    }
    let errors = parse(&text, "f.cfg").unwrap_err();
    assert!(
        errors[0].message.contains("more than 1024 zones"),
        "{errors:?}"
    );
}
