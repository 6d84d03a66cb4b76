//! The `match port` extension of `class-map type inspect`.

use sipwall_config::{parse, ClassMatch, ErrorKind, Transport};

const TEXT: &str = "class-map type inspect match-any traversal\n\
 match port tcp 7001\n\
 match port udp range 36000 59999\n\
 match port tcp 7001\n\
 match protocol ssh\n";

#[test]
fn single_ports_and_ranges_parse_and_duplicates_merge() {
    let (config, warnings) = match parse(TEXT, "t.cfg") {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    assert!(warnings.is_empty(), "{warnings:?}");
    let Some(cm) = config.class_maps.get("traversal") else {
        panic!("class-map missing")
    };
    assert_eq!(cm.matches.len(), 3, "the repeated line is merged");
    assert!(matches!(
        cm.matches[0],
        ClassMatch::Port { transport: Transport::Tcp, low: 7001, high: 7001, at } if at.line == 2 && at.col == 12
    ));
    assert!(matches!(
        cm.matches[1],
        ClassMatch::Port {
            transport: Transport::Udp,
            low: 36000,
            high: 59999,
            ..
        }
    ));
}

#[test]
fn class_matches_uses_transport_and_destination_port() {
    let (config, _) = match parse(TEXT, "t.cfg") {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    let m = |t, p| config.class_matches("traversal", t, p);
    assert!(m(Transport::Tcp, Some(7001)));
    assert!(!m(Transport::Udp, Some(7001)));
    assert!(!m(Transport::Tcp, Some(7002)));
    assert!(m(Transport::Udp, Some(36000)));
    assert!(m(Transport::Udp, Some(59999)));
    assert!(!m(Transport::Udp, Some(35999)));
    assert!(!m(Transport::Udp, Some(60000)));
    assert!(!m(Transport::Udp, None));
    assert!(
        m(Transport::Tcp, Some(22)),
        "match protocol ssh still works"
    );
}

#[test]
fn bad_port_lines_are_errors_at_their_column() {
    let cases: &[(&str, u32, u32, ErrorKind, &str)] = &[
        (
            "match port sctp 5\n",
            2,
            13,
            ErrorKind::UnexpectedArgument,
            "expected",
        ),
        ("match port tcp 0\n", 2, 17, ErrorKind::InvalidValue, ""),
        ("match port udp 65536\n", 2, 17, ErrorKind::InvalidValue, ""),
        (
            "match port tcp range 10 5\n",
            2,
            23,
            ErrorKind::InvalidValue,
            "low port is above",
        ),
        (
            "match port tcp range 10\n",
            2,
            25,
            ErrorKind::MissingArgument,
            "high port",
        ),
        (
            "match port tcp 5 6\n",
            2,
            19,
            ErrorKind::UnexpectedArgument,
            "unexpected \"6\"",
        ),
        ("match port\n", 2, 12, ErrorKind::MissingArgument, "tcp"),
    ];
    for (line, l, c, kind, text) in cases {
        let cfg = format!("class-map type inspect match-any x\n {line}");
        let Err(errors) = parse(&cfg, "t.cfg") else {
            panic!("{line:?} should fail")
        };
        let e = &errors[0];
        assert_eq!(
            (e.at.line, e.at.col, e.kind),
            (*l, *c, *kind),
            "{line:?}: {e}"
        );
        assert!(e.message.contains(text), "{line:?}: {e}");
    }
}
