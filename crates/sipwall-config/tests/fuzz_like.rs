//! Property: any text made of configuration words, junk and line breaks parses to a model or
//! to errors with positions inside the text — never a panic.

use proptest::prelude::*;

const WORDS: &[&str] = &[
    "class-map",
    "policy-map",
    "type",
    "inspect",
    "sip",
    "match-any",
    "match-all",
    "match",
    "protocol",
    "class-map",
    "class",
    "class-default",
    "drop",
    "pass",
    "log",
    "allow",
    "reset",
    "rate-limit",
    "per-second",
    "burst",
    "service-policy",
    "zone",
    "zone-pair",
    "security",
    "source",
    "destination",
    "self",
    "default",
    "interface",
    "gigabitethernet",
    "0/0/0",
    "eth0",
    "ip",
    "ipv6",
    "address",
    "route",
    "port-map",
    "192.0.2.1",
    "255.255.255.0",
    "0.0.0.0",
    "2001:db8::1/64",
    "parameter-map",
    "idle-time",
    "tcp",
    "udp",
    "media",
    "request",
    "method",
    "uri",
    "regex",
    "\"(a\"",
    "header",
    "response",
    "status",
    "100-199",
    "exit",
    "end",
    "!",
    "Device(config)#",
    "a",
    "b",
    "5060",
    "x(",
    "é",
    "no",
    "strict-header-validation",
    "max-message-size",
    "max-forwards-zero",
    "max-dialogs",
    "per-source",
    "blocklist",
    "after",
    "violations",
    "within",
    "seconds",
    "duration",
    "any",
    "4294967296",
];

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..8).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn parse_never_panics(lines in prop::collection::vec(line(), 0..40), junk in ".{0,40}") {
        let mut text = lines.join("\n");
        text.push_str(&junk);
        let line_count = text.split('\n').count() as u32;
        if let Err(errors) = sipwall_config::parse(&text, "p.cfg") {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(e.at.line >= 1 && e.at.line <= line_count, "{e}");
                prop_assert!(e.at.col >= 1, "{e}");
            }
        }
    }
}
