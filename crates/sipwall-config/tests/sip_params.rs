//! `sip ...` lines of `parameter-map type inspect`: each sets its field of [`SipParams`],
//! absent ones keep their defaults, `no` forms, `sip rate-limit` replacement rules, and every
//! error with its `LINE:COL`, kind and message.

use sipwall_config::{
    limits::MAX_SIP_RATE_LIMITS, parse, Blocklist, Config, ErrorKind, MaxForwardsZero, MethodRate,
    SipParams,
};

fn load(text: &str) -> Config {
    match parse(text, "t.cfg") {
        Ok((c, w)) => {
            assert!(w.is_empty(), "{w:?}");
            c
        }
        Err(e) => panic!("{text}\n{e:?}"),
    }
}

/// The SIP settings of parameter-map `pm` after `lines` inside it.
fn sip_of(lines: &str) -> SipParams {
    let text = format!("parameter-map type inspect pm\n{lines}");
    load(&text).parameter_map(Some("pm")).sip.clone()
}

fn rate(method: &str, per_second: u32, burst: u32) -> MethodRate {
    MethodRate {
        method: method.into(),
        per_second,
        burst,
    }
}

#[test]
fn defaults_when_absent() {
    let d = SipParams::default();
    assert!(d.strict_header_validation);
    assert_eq!(
        (
            d.max_message_size,
            d.max_header_count,
            d.max_line_length,
            d.max_via_depth,
            d.max_route_depth,
            d.max_sources
        ),
        (131_072, 256, 8_192, 32, 32, 65_536)
    );
    assert_eq!(d.max_forwards_zero, MaxForwardsZero::Allow);
    assert!(d.unknown_methods_allowed);
    assert_eq!(d.max_dialogs_per_source, None);
    assert_eq!(d.max_dialogs_per_zone, None);
    assert_eq!(d.max_registrations_per_source, None);
    assert_eq!(
        d.rate_limits,
        vec![rate("INVITE", 500, 1000), rate("REGISTER", 100, 200)]
    );
    assert_eq!(
        d.blocklist,
        Some(Blocklist {
            violations: 50,
            within_secs: 10,
            duration_secs: 300
        })
    );
    // A map with other lines only, the built-in global map and a map only named: all default.
    assert_eq!(sip_of(" udp idle-time 5\n sip idle-time 99\n"), d);
    let c = load("parameter-map type inspect empty\n");
    assert_eq!(c.parameter_map(None).sip, d);
    assert_eq!(c.parameter_map(Some("empty")).sip, d);
}

#[test]
fn every_line_sets_its_field() {
    let s = sip_of(
        " no sip strict-header-validation\n\
         sip max-message-size 1048576\n\
         sip max-header-count 4096\n\
         sip max-line-length 80\n\
         sip max-via-depth 1\n\
         sip max-route-depth 1024\n\
         sip max-forwards-zero drop\n\
         sip unknown-method drop\n\
         sip max-dialogs per-source 10\n\
         sip max-dialogs per-zone 2000\n\
         sip max-registrations per-source 3\n\
         sip rate-limit OPTIONS 5 per-second burst 7\n\
         sip blocklist after 5 violations within 60 seconds duration 3600\n\
         sip max-sources 16\n",
    );
    let expected = SipParams {
        strict_header_validation: false,
        max_message_size: 1_048_576,
        max_header_count: 4096,
        max_line_length: 80,
        max_via_depth: 1,
        max_route_depth: 1024,
        max_forwards_zero: MaxForwardsZero::Drop,
        unknown_methods_allowed: false,
        max_dialogs_per_source: Some(10),
        max_dialogs_per_zone: Some(2000),
        max_registrations_per_source: Some(3),
        rate_limits: vec![rate("OPTIONS", 5, 7)],
        blocklist: Some(Blocklist {
            violations: 5,
            within_secs: 60,
            duration_secs: 3600,
        }),
        max_sources: 16,
    };
    assert_eq!(s, expected);
    // The other bounds of each range, and the allow forms; keywords in any case.
    let s = sip_of(
        " SIP Max-Message-Size 256\n sip max-header-count 1\n sip max-line-length 65535\n\
         sip max-via-depth 1024\n sip max-route-depth 1\n sip max-forwards-zero ALLOW\n\
         sip unknown-method allow\n sip max-sources 10000000\n",
    );
    assert_eq!(
        (
            s.max_message_size,
            s.max_header_count,
            s.max_line_length,
            s.max_via_depth,
            s.max_route_depth,
            s.max_forwards_zero,
            s.unknown_methods_allowed,
            s.max_sources
        ),
        (
            256,
            1,
            65_535,
            1024,
            1,
            MaxForwardsZero::Allow,
            true,
            10_000_000
        )
    );
    // `sip idle-time` is still the SIP flow timeout of the map, not part of `sip`.
    let c = load("parameter-map type inspect pm\n sip idle-time 120\n");
    assert_eq!(c.parameter_map(Some("pm")).sip_idle_time, 120);
}

#[test]
fn strict_header_validation_on_and_off() {
    assert!(!sip_of(" no sip strict-header-validation\n").strict_header_validation);
    assert!(
        sip_of(" no sip strict-header-validation\n sip strict-header-validation\n")
            .strict_header_validation
    );
    // The later line wins.
    assert!(
        !sip_of(" sip strict-header-validation\n no sip strict-header-validation\n")
            .strict_header_validation
    );
}

#[test]
fn blocklist_off_and_on() {
    assert_eq!(sip_of(" no sip blocklist\n").blocklist, None);
    assert_eq!(
        sip_of(
            " no sip blocklist\n sip blocklist after 1 violations within 1 seconds duration 1\n"
        )
        .blocklist,
        Some(Blocklist {
            violations: 1,
            within_secs: 1,
            duration_secs: 1
        })
    );
}

#[test]
fn rate_limit_lines_replace_the_defaults_then_accumulate() {
    // The first line replaces the default INVITE/REGISTER pair; the method is upper-cased and
    // the burst defaults to twice the rate.
    assert_eq!(
        sip_of(" sip rate-limit invite 10 per-second\n").rate_limits,
        vec![rate("INVITE", 10, 20)]
    );
    // Later lines add methods; `any` is stored as `*`; the same method again replaces its entry
    // in place.
    assert_eq!(
        sip_of(
            " sip rate-limit invite 10 per-second\n sip rate-limit Subscribe 3 per-second burst 3\n\
             sip rate-limit any 1000 per-second burst 5000\n sip rate-limit INVITE 20 per-second\n"
        )
        .rate_limits,
        vec![
            rate("INVITE", 20, 40),
            rate("SUBSCRIBE", 3, 3),
            rate("*", 1000, 5000)
        ]
    );
    // `no sip rate-limit` removes every limit, defaults included; later lines add afresh.
    assert!(sip_of(" no sip rate-limit\n").rate_limits.is_empty());
    assert_eq!(
        sip_of(
            " sip rate-limit bye 1 per-second\n no sip rate-limit\n sip rate-limit register 7 per-second\n"
        )
        .rate_limits,
        vec![rate("REGISTER", 7, 14)]
    );
    // A re-entered parameter-map continues: its second block adds to the first.
    let c = load(
        "parameter-map type inspect pm\n sip rate-limit invite 10 per-second\n\
         parameter-map type inspect other\n sip rate-limit options 1 per-second\n\
         parameter-map type inspect pm\n sip rate-limit register 5 per-second burst 6\n",
    );
    assert_eq!(
        c.parameter_map(Some("pm")).sip.rate_limits,
        vec![rate("INVITE", 10, 20), rate("REGISTER", 5, 6)]
    );
    assert_eq!(
        c.parameter_map(Some("other")).sip.rate_limits,
        vec![rate("OPTIONS", 1, 2)]
    );
    // Other maps keep the defaults.
    assert_eq!(
        c.parameter_map(None).sip.rate_limits,
        SipParams::default().rate_limits
    );
    // The global map's limits are configured like any other.
    let c = load("parameter-map type inspect-global\n sip rate-limit any 9 per-second\n");
    assert_eq!(
        c.parameter_map(None).sip.rate_limits,
        vec![rate("*", 9, 18)]
    );
}

#[test]
fn every_bad_sip_line_is_reported_and_good_ones_stay_in_mode() {
    // Each bad line gives one error; the mode stays the parameter-map, so the good lines
    // between them are read as parameter-map commands (no "unknown command" errors).
    let errors = parse(
        "parameter-map type inspect pm\n sip max-sources 1\n sip max-via-depth 4\n\
         sip rate-limit invite 10 per-second bogus\n sip unknown-method drop\n",
        "t.cfg",
    )
    .unwrap_err();
    let at: Vec<(u32, u32)> = errors.iter().map(|e| (e.at.line, e.at.col)).collect();
    assert_eq!(at, vec![(2, 18), (4, 37)], "{errors:?}");
}

#[test]
fn rate_limit_table_is_bounded() {
    let mut text = String::from("parameter-map type inspect pm\n");
    for i in 0..MAX_SIP_RATE_LIMITS {
        text.push_str(&format!(" sip rate-limit m{i} 1 per-second\n"));
    }
    // Replacing an existing method at the limit is fine.
    text.push_str(" sip rate-limit m0 2 per-second\n");
    assert_eq!(
        load(&text).parameter_map(Some("pm")).sip.rate_limits.len(),
        MAX_SIP_RATE_LIMITS
    );
    text.push_str(" sip rate-limit one-more 1 per-second\n");
    let errors = parse(&text, "t.cfg").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, ErrorKind::Limit);
    assert_eq!(
        (errors[0].at.line as usize, errors[0].at.col),
        (MAX_SIP_RATE_LIMITS + 3, 17)
    );
    assert!(
        errors[0]
            .message
            .contains("more than 64 sip rate-limit methods in one parameter-map"),
        "{}",
        errors[0].message
    );
}

/// (line inside `parameter-map type inspect pm`, col, kind, text the message must contain);
/// the bad line is always line 2.
const ERRORS: &[(&str, u32, ErrorKind, &str)] = &[
    (
        " sip max-mesage-size 1000",
        6,
        ErrorKind::UnexpectedArgument,
        "after \"sip\", found \"max-mesage-size\"; did you mean \"max-message-size\"?",
    ),
    (
        " sip stric-header-validation",
        6,
        ErrorKind::UnexpectedArgument,
        "did you mean \"strict-header-validation\"?",
    ),
    (
        " sip idle-tim 5",
        6,
        ErrorKind::UnexpectedArgument,
        "did you mean \"idle-time\"?",
    ),
    (
        " sip",
        5,
        ErrorKind::MissingArgument,
        "missing one of \"idle-time\", \"strict-header-validation\", \"max-message-size\"",
    ),
    (
        " sip max-message-size 255",
        23,
        ErrorKind::InvalidValue,
        "message size in bytes must be a number from 256 to 1048576, found \"255\"",
    ),
    (
        " sip max-message-size 1048577",
        23,
        ErrorKind::InvalidValue,
        "must be a number from 256 to 1048576, found \"1048577\"",
    ),
    (
        " sip max-message-size",
        22,
        ErrorKind::MissingArgument,
        "missing message size in bytes after \"sip max-message-size\"",
    ),
    (
        " sip max-header-count 0",
        23,
        ErrorKind::InvalidValue,
        "header count must be a number from 1 to 4096, found \"0\"",
    ),
    (
        " sip max-header-count 4097",
        23,
        ErrorKind::InvalidValue,
        "from 1 to 4096",
    ),
    (
        " sip max-line-length 79",
        22,
        ErrorKind::InvalidValue,
        "line length in bytes must be a number from 80 to 65535, found \"79\"",
    ),
    (
        " sip max-line-length 65536",
        22,
        ErrorKind::InvalidValue,
        "from 80 to 65535",
    ),
    (
        " sip max-via-depth 1025",
        20,
        ErrorKind::InvalidValue,
        "Via depth must be a number from 1 to 1024, found \"1025\"",
    ),
    (
        " sip max-route-depth 0",
        22,
        ErrorKind::InvalidValue,
        "Route depth must be a number from 1 to 1024, found \"0\"",
    ),
    (
        " sip max-route-depth -1",
        22,
        ErrorKind::InvalidValue,
        "found \"-1\"",
    ),
    (
        " sip max-forwards-zero reject",
        24,
        ErrorKind::UnexpectedArgument,
        "expected one of \"allow\", \"drop\" after \"sip max-forwards-zero\", found \"reject\"",
    ),
    (
        " sip unknown-method dorp",
        21,
        ErrorKind::UnexpectedArgument,
        "found \"dorp\"; did you mean \"drop\"?",
    ),
    (
        " sip unknown-method",
        20,
        ErrorKind::MissingArgument,
        "missing one of \"allow\", \"drop\" after \"sip unknown-method\"",
    ),
    (
        " sip max-dialogs per-host 5",
        18,
        ErrorKind::UnexpectedArgument,
        "expected one of \"per-source\", \"per-zone\" after \"sip max-dialogs\"",
    ),
    (
        " sip max-dialogs per-zone 0",
        27,
        ErrorKind::InvalidValue,
        "dialogs must be a number from 1 to 2147483647, found \"0\"",
    ),
    (
        " sip max-registrations per-zone 5",
        24,
        ErrorKind::UnexpectedArgument,
        "expected \"per-source\" after \"sip max-registrations\", found \"per-zone\"",
    ),
    (
        " sip max-registrations per-source x",
        35,
        ErrorKind::InvalidValue,
        "registrations must be a number from 1 to 2147483647, found \"x\"",
    ),
    (
        " sip rate-limit inv@ite 10 per-second",
        17,
        ErrorKind::InvalidValue,
        "invalid SIP method \"inv@ite\" (RFC 3261 §25.1 token, or \"any\")",
    ),
    (
        " sip rate-limit",
        16,
        ErrorKind::MissingArgument,
        "missing SIP method or \"any\" after \"sip rate-limit\"",
    ),
    (
        " sip rate-limit invite 0 per-second",
        24,
        ErrorKind::InvalidValue,
        "rate must be a number from 1 to 1000000, found \"0\"",
    ),
    (
        " sip rate-limit invite 10",
        26,
        ErrorKind::MissingArgument,
        "missing \"per-second\" after \"sip rate-limit invite 10\"",
    ),
    (
        " sip rate-limit invite 10 per-minute",
        27,
        ErrorKind::UnexpectedArgument,
        "expected \"per-second\" after \"sip rate-limit invite 10\", found \"per-minute\"",
    ),
    (
        " sip rate-limit invite 10 per-second brust 5",
        38,
        ErrorKind::UnexpectedArgument,
        "found \"brust\"; did you mean \"burst\"?",
    ),
    (
        " sip rate-limit invite 10 per-second burst 0",
        44,
        ErrorKind::InvalidValue,
        "burst must be a number from 1 to 2000000, found \"0\"",
    ),
    (
        " sip rate-limit invite 10 per-second burst 5 extra",
        46,
        ErrorKind::UnexpectedArgument,
        "unexpected \"extra\" after \"sip rate-limit invite 10 per-second burst 5\"",
    ),
    (
        " sip blocklist 5 violations within 10 seconds duration 60",
        16,
        ErrorKind::UnexpectedArgument,
        "expected \"after\" after \"sip blocklist\", found \"5\"",
    ),
    (
        " sip blocklist after 0 violations within 10 seconds duration 60",
        22,
        ErrorKind::InvalidValue,
        "violations must be a number from 1 to 1000000, found \"0\"",
    ),
    (
        " sip blocklist after 5 violation within 10 seconds duration 60",
        24,
        ErrorKind::UnexpectedArgument,
        "found \"violation\"; did you mean \"violations\"?",
    ),
    (
        " sip blocklist after 5 violations within 86401 seconds duration 60",
        42,
        ErrorKind::InvalidValue,
        "seconds must be a number from 1 to 86400, found \"86401\"",
    ),
    (
        " sip blocklist after 5 violations within 10 secs duration 60",
        45,
        ErrorKind::UnexpectedArgument,
        "expected \"seconds\"",
    ),
    (
        " sip blocklist after 5 violations within 10 seconds duration 0",
        62,
        ErrorKind::InvalidValue,
        "blocking duration in seconds must be a number from 1 to 2147483, found \"0\"",
    ),
    (
        " sip blocklist after 5 violations within 10 seconds duration",
        61,
        ErrorKind::MissingArgument,
        "missing blocking duration in seconds after",
    ),
    (
        " sip max-sources 15",
        18,
        ErrorKind::InvalidValue,
        "tracked sources must be a number from 16 to 10000000, found \"15\"",
    ),
    (
        " sip max-sources 10000001",
        18,
        ErrorKind::InvalidValue,
        "from 16 to 10000000",
    ),
    (
        " sip strict-header-validation on",
        31,
        ErrorKind::UnexpectedArgument,
        "unexpected \"on\" after \"sip strict-header-validation\"",
    ),
    (
        " no sip max-message-size 1000",
        9,
        ErrorKind::UnexpectedArgument,
        "expected one of \"strict-header-validation\", \"rate-limit\", \"blocklist\" after \"no sip\", found \"max-message-size\"",
    ),
    (
        " no sip rate-limit invite",
        20,
        ErrorKind::UnexpectedArgument,
        "unexpected \"invite\" after \"no sip rate-limit\"",
    ),
    (
        " no sip blocklst",
        9,
        ErrorKind::UnexpectedArgument,
        "did you mean \"blocklist\"?",
    ),
    (
        " no alert",
        5,
        ErrorKind::UnexpectedArgument,
        "expected \"sip\" after \"no\", found \"alert\"",
    ),
];

#[test]
fn errors_point_at_the_bad_word() {
    for &(line, col, kind, text) in ERRORS {
        let config = format!("parameter-map type inspect pm\n{line}\n");
        let errors = match parse(&config, "t.cfg") {
            Ok(_) => panic!("{line:?} loaded"),
            Err(e) => e,
        };
        assert_eq!(errors.len(), 1, "{line:?}: {errors:?}");
        let e = &errors[0];
        assert_eq!(
            (e.at.line, e.at.col, e.kind),
            (2, col, kind),
            "{line:?}: {}",
            e.message
        );
        assert!(e.message.contains(text), "{line:?}: {}", e.message);
        assert!(
            e.to_string().starts_with(&format!("t.cfg:2:{col}: ")),
            "{e}"
        );
    }
}

#[test]
fn sip_lines_outside_a_parameter_map_are_not_commands() {
    let errors = parse("zone security a\n sip max-sources 100\n", "t.cfg").unwrap_err();
    assert_eq!(errors[0].kind, ErrorKind::UnknownCommand);
    assert_eq!((errors[0].at.line, errors[0].at.col), (2, 2));
    assert!(
        errors[0].message.contains("it is a parameter-map command"),
        "{}",
        errors[0].message
    );
}
