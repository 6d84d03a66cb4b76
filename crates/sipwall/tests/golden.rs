//! Golden tests: every directory under `tests/golden/<case>/` (repository root) is replayed with
//! `sipwall replay --config config.cfg --json CAPTURE` and the normalised output is compared with
//! `expected.jsonl`, line by line.
//!
//! Re-bless after an intended change with
//! `SIPWALL_BLESS=1 cargo test -p sipwall --test golden` and review the diff of the expected
//! files. The key facts of each case (see its README) are also asserted directly on the replay
//! output, so a wrong re-bless still fails.
//!
//! Normalisation (kept in `expected.jsonl`): one line per frame verdict and per event, in output
//! order; keys with a `null` value and the human-readable `detail` of violations are left out;
//! `frame` comes first, then `verdict` or `event`, then the other keys sorted.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn golden_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden")
}

/// Every case directory must be listed here (and so have key-fact assertions).
const CASES: &[&str] = &[
    "udp-call",
    "tcp-call",
    "hold-resume",
    "t38-reinvite",
    "register-inbound",
    "unsolicited-rtp",
    "multipart-sdp",
    "early-media",
    "register-inbound-no-inbound-policy",
    "udp-call-no-policy",
    "sip-violations",
];

/// One JSON object rendered with a stable key order.
fn render(v: &Value) -> String {
    let Value::Object(map) = v else {
        return v.to_string();
    };
    let mut keys: Vec<&String> = map
        .iter()
        .filter(|(k, v)| !v.is_null() && k.as_str() != "detail")
        .map(|(k, _)| k)
        .collect();
    let rank = |k: &str| match k {
        "frame" => 0,
        "verdict" | "event" => 1,
        _ => 2,
    };
    keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let fields: Vec<String> = keys
        .iter()
        .map(|k| format!("{}:{}", Value::String((*k).clone()), map[k.as_str()]))
        .collect();
    format!("{{{}}}", fields.join(","))
}

struct Replay {
    lines: Vec<String>,
    values: Vec<Value>,
}

fn run_case(dir: &Path) -> Replay {
    let capture_ref = std::fs::read_to_string(dir.join("capture"))
        .unwrap_or_else(|e| panic!("{}: reading `capture`: {e}", dir.display()));
    let capture = dir.join(capture_ref.trim());
    assert!(
        capture.is_file(),
        "{}: capture {} does not exist",
        dir.display(),
        capture.display()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .arg("replay")
        .arg("--config")
        .arg(dir.join("config.cfg"))
        .arg("--json")
        .arg(&capture)
        .output()
        .expect("running sipwall replay");
    assert!(
        out.status.success(),
        "{}: sipwall replay failed ({:?}): {}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("replay output is UTF-8");
    let mut lines = Vec::new();
    let mut values = Vec::new();
    for (i, l) in stdout.lines().enumerate() {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| {
            panic!(
                "{}: output line {} is not JSON: {e}: {l}",
                dir.display(),
                i + 1
            )
        });
        let mut v = v;
        if let Value::Object(m) = &mut v {
            m.retain(|k, x| !x.is_null() && k != "detail");
        }
        lines.push(render(&v));
        values.push(v);
    }
    Replay { lines, values }
}

/// Compares with `expected.jsonl`, or rewrites it under `SIPWALL_BLESS=1`.
fn compare(case: &str, dir: &Path, actual: &[String]) {
    let expected_path = dir.join("expected.jsonl");
    let mut text = actual.join("\n");
    text.push('\n');
    if std::env::var_os("SIPWALL_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&expected_path, &text).expect("writing expected.jsonl");
        eprintln!("blessed {}", expected_path.display());
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with SIPWALL_BLESS=1 cargo test -p sipwall --test golden",
            expected_path.display()
        )
    });
    let expected: Vec<&str> = expected.lines().collect();
    let first_diff = expected
        .iter()
        .zip(actual.iter())
        .position(|(e, a)| *e != a.as_str())
        .or_else(|| (expected.len() != actual.len()).then(|| expected.len().min(actual.len())));
    let Some(at) = first_diff else {
        return;
    };
    let actual_path = std::env::temp_dir().join(format!("sipwall-golden-{case}.actual.jsonl"));
    let _ = std::fs::write(&actual_path, &text);
    let from = at.saturating_sub(3);
    let mut msg = format!(
        "golden case {case}: output differs from {} at line {} (expected {} lines, got {})\n",
        expected_path.display(),
        at + 1,
        expected.len(),
        actual.len()
    );
    msg.push_str("--- expected\n");
    for (i, l) in expected.iter().enumerate().skip(from).take(at - from + 4) {
        msg.push_str(&format!(
            "{}{:>5} {l}\n",
            if i == at { '>' } else { ' ' },
            i + 1
        ));
    }
    msg.push_str("+++ actual\n");
    for (i, l) in actual.iter().enumerate().skip(from).take(at - from + 4) {
        msg.push_str(&format!(
            "{}{:>5} {l}\n",
            if i == at { '>' } else { ' ' },
            i + 1
        ));
    }
    msg.push_str(&format!(
        "full actual output: {}\nif the change is intended: SIPWALL_BLESS=1 cargo test -p sipwall --test golden (and review the diff)",
        actual_path.display()
    ));
    panic!("{msg}");
}

// ---------------------------------------------------------------------------------------------
// Helpers for the key-fact assertions.

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX)
}

impl Replay {
    fn verdict(&self, frame: u64) -> &Value {
        self.values
            .iter()
            .find(|v| v.get("verdict").is_some() && n(v, "frame") == frame)
            .unwrap_or_else(|| panic!("no verdict for frame {frame}"))
    }

    fn frames(&self) -> impl Iterator<Item = &Value> {
        self.values.iter().filter(|v| v.get("verdict").is_some())
    }

    fn events<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.values.iter().filter(move |v| s(v, "event") == name)
    }

    /// `accept`/`drop` and reason (and pinhole kind) of a frame, e.g. `accept pinhole rtp`.
    fn what(&self, frame: u64) -> String {
        let v = self.verdict(frame);
        let mut w = format!("{} {}", s(v, "verdict"), s(v, "reason"));
        if let Some(p) = v.get("pinhole").and_then(Value::as_str) {
            w.push(' ');
            w.push_str(p);
        }
        w
    }

    fn assert_frames(&self, range: std::ops::RangeInclusive<u64>, want: &str) {
        for f in range {
            assert_eq!(self.what(f), want, "frame {f}");
        }
    }

    fn assert_all_accepted(&self) {
        for v in self.frames() {
            assert_eq!(s(v, "verdict"), "accept", "every frame is accepted: {v}");
        }
    }

    /// SIP messages (`summary`) seen at a frame, in order.
    fn sip_at(&self, frame: u64) -> Vec<&str> {
        self.events("sip")
            .filter(|v| n(v, "frame") == frame)
            .map(|v| s(v, "summary"))
            .collect()
    }

    /// Pinhole events of a kind towards `dst:dport`.
    fn pinholes<'a>(
        &'a self,
        event: &'a str,
        kind: &'a str,
        dst: &'a str,
        dport: u64,
    ) -> Vec<&'a Value> {
        self.events(event)
            .filter(|v| s(v, "kind") == kind && s(v, "dst") == dst && n(v, "dport") == dport)
            .collect()
    }
}

const PHONE: &str = "192.0.2.10";
const TRUNK: &str = "198.51.100.20";
const REGISTRAR: &str = "198.51.100.30";
const ATTACKER: &str = "198.51.100.66";

/// `sip-violations`: frames of the trunk's call set up during the flood (INVITE, 100, 180,
/// 200, ACK) and its BYE / 200.
const LEGIT_SIP: [u64; 7] = [68, 71, 85, 161, 164, 415, 416];

fn sip_violations_facts(r: &Replay) {
    // The violation (code, parser kind) refusing a frame.
    let violation = |f: u64| -> (String, String) {
        let v: Vec<&Value> = r
            .events("violation")
            .filter(|v| n(v, "frame") == f)
            .collect();
        assert_eq!(v.len(), 1, "one violation at frame {f}: {v:?}");
        (s(v[0], "code").to_string(), s(v[0], "kind").to_string())
    };
    // Malformed and policy-violating messages, each with its reason and parser error kind.
    for (f, code, kind) in [
        (1, "sip_malformed", "bad_start_line"),
        (2, "sip_invalid", "cseq_method_mismatch"),
        (3, "sip_malformed", "repeated_content_length"),
        (4, "sip_limit", "content_length_too_large"),
        (5, "sip_policy_drop", ""),
        (6, "sip_policy_reset", ""),
    ] {
        assert_eq!(r.what(f), format!("drop {code}"), "frame {f}");
        assert_eq!(
            violation(f),
            (code.to_string(), kind.to_string()),
            "frame {f}"
        );
    }
    // The refused premium-rate offer left no pinhole behind.
    assert!(
        r.events("pinhole_open").all(|v| n(v, "dport") != 40002),
        "pinhole from a refused offer"
    );
    // The flood: accepted up to the burst, then rate-limited, then blocked for good.
    let blocked: Vec<&Value> = r.events("blocked").collect();
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert_eq!(s(blocked[0], "source"), ATTACKER);
    assert_eq!(n(blocked[0], "violations"), 30);
    assert_eq!(n(blocked[0], "duration_secs"), 60);
    let blocked_at = n(blocked[0], "frame");
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    let mut first_limited = None;
    for f in (7..=311).filter(|f| !LEGIT_SIP.contains(f)) {
        let w = r.what(f);
        *counts.entry(w.clone()).or_default() += 1;
        if w == "drop sip_rate_limited" && first_limited.is_none() {
            first_limited = Some(f);
        }
        // Frames 1-4's refusals left no flow behind (a refused first datagram keeps no
        // state), so the flood's first INVITE opens the attacker's flow by class.
        if f == 7 {
            assert_eq!(w, "accept class", "flood frame 7 opens the flow");
        } else if f <= 48 {
            assert_eq!(
                w, "accept session",
                "flood frame {f}: within the burst of 40"
            );
        }
        if f > blocked_at {
            assert_eq!(w, "drop sip_blocked", "flood frame {f} after the block");
        }
    }
    assert_eq!(
        first_limited,
        Some(49),
        "the 41st flood INVITE is over the burst"
    );
    assert!(blocked_at > 49 && blocked_at < 311, "{blocked_at}");
    // 5 violations before the flood + 25 rate-limited = 30: blocked.
    assert_eq!(counts["drop sip_rate_limited"], 25, "{counts:?}");
    assert_eq!(
        counts.values().sum::<u64>(),
        300,
        "all 300 flood INVITEs: {counts:?}"
    );
    assert!(counts["drop sip_blocked"] > 200, "{counts:?}");
    assert_eq!(
        r.what(414),
        "drop sip_blocked",
        "the attacker after the flood"
    );
    // Every reason code is there.
    for code in [
        "sip_malformed",
        "sip_invalid",
        "sip_limit",
        "sip_policy_drop",
        "sip_policy_reset",
        "sip_rate_limited",
        "sip_blocked",
    ] {
        assert!(
            r.frames().any(|v| s(v, "reason") == code),
            "no frame dropped with {code}"
        );
    }
    // The legitimate call is untouched by the flood: signalling accepted, media through
    // pinholes opened from its SDP, closed at its BYE.
    for f in LEGIT_SIP {
        assert_eq!(s(r.verdict(f), "verdict"), "accept", "legit SIP frame {f}");
    }
    assert_eq!(
        r.what(68),
        "accept class",
        "the trunk's INVITE starts its own flow"
    );
    assert_eq!(r.sip_at(68), ["INVITE"]);
    assert_eq!(r.sip_at(161), ["200 OK"]);
    let mut rtp_in = 0;
    for f in 312..=413 {
        let w = r.what(f);
        assert!(
            w == "accept pinhole rtp" || w == "accept pinhole rtcp",
            "media frame {f}: {w}"
        );
        rtp_in += u64::from(w == "accept pinhole rtp");
    }
    assert_eq!(rtp_in, 100, "50 RTP packets each way");
    for (dst, kind, port, opened) in [
        (PHONE, "rtp", 40000, 161),
        (PHONE, "rtcp", 40001, 161),
        (TRUNK, "rtp", 50000, 68),
        (TRUNK, "rtcp", 50001, 68),
    ] {
        let o = r.pinholes("pinhole_open", kind, dst, port);
        assert_eq!(o.len(), 1, "{kind} {dst}:{port}");
        assert_eq!(n(o[0], "frame"), opened, "{kind} {dst}:{port} opened");
        let c = r.pinholes("pinhole_close", kind, dst, port);
        assert_eq!(c.len(), 1, "{kind} {dst}:{port}");
        assert_eq!(
            n(c[0], "frame"),
            415,
            "{kind} {dst}:{port} closed at the BYE"
        );
        assert_eq!(n(c[0], "packets"), if kind == "rtp" { 50 } else { 1 });
    }
}

/// The trunk -> phone media of a basic call (frames `range`, RTP and one RTCP) came in through
/// pinholes, and the RTP/RTCP pinholes towards the phone were opened from the offer and closed
/// at `close_frame`.
fn assert_basic_call(r: &Replay, media: std::ops::RangeInclusive<u64>, close_frame: u64) {
    for f in media {
        let w = r.what(f);
        assert!(
            w == "accept pinhole rtp" || w == "accept pinhole rtcp",
            "media frame {f}: {w}"
        );
    }
    for (kind, port) in [("rtp", 40000), ("rtcp", 40001)] {
        assert_eq!(
            r.pinholes("pinhole_open", kind, PHONE, port).len(),
            1,
            "{kind}"
        );
        let close = r.pinholes("pinhole_close", kind, PHONE, port);
        assert_eq!(close.len(), 1, "{kind} closed once");
        assert_eq!(
            n(close[0], "frame"),
            close_frame,
            "{kind} closed at the BYE"
        );
    }
}

fn key_facts(case: &str, r: &Replay) {
    match case {
        "udp-call" | "multipart-sdp" => {
            r.assert_all_accepted();
            assert_basic_call(r, 6..=107, 108);
            assert_eq!(r.sip_at(1), ["INVITE"]);
            // The offer (multipart/mixed in multipart-sdp) opened the pinhole to the phone.
            let open = r.pinholes("pinhole_open", "rtp", PHONE, 40000);
            assert_eq!(n(open[0], "frame"), 1);
            assert_eq!(
                r.events("dialog").last().map(|v| s(v, "state")),
                Some("terminated")
            );
        }
        "tcp-call" => {
            r.assert_all_accepted();
            // The INVITE is parsed once, when its second segment completes it.
            assert_eq!(
                r.sip_at(4),
                Vec::<&str>::new(),
                "half an INVITE is not parsed"
            );
            assert_eq!(r.sip_at(5), ["INVITE"]);
            // 180 and 200 in one segment: both parsed, in order.
            assert_eq!(r.sip_at(9), ["180 Ringing", "200 OK"]);
            // The retransmitted ACK segment is not parsed again.
            assert_eq!(r.sip_at(10), ["ACK"]);
            assert_eq!(
                r.sip_at(11),
                Vec::<&str>::new(),
                "retransmission parsed twice"
            );
            let summaries: Vec<&str> = r.events("sip").map(|v| s(v, "summary")).collect();
            assert_eq!(
                summaries,
                [
                    "INVITE",
                    "100 Trying",
                    "180 Ringing",
                    "200 OK",
                    "ACK",
                    "BYE",
                    "200 OK"
                ]
            );
            assert!(r.events("violation").next().is_none(), "no violations");
            assert_basic_call(r, 13..=114, 115);
        }
        "hold-resume" => {
            r.assert_all_accepted();
            // Hold (answer at frame 110, a=recvonly): only the RTP pinhole towards the phone,
            // which put the call on hold, closes; RTCP towards the phone stays open.
            let rtp_close = r.pinholes("pinhole_close", "rtp", PHONE, 40000);
            assert_eq!(n(rtp_close[0], "frame"), 110);
            assert_eq!(s(rtp_close[0], "reason"), "renegotiated");
            let at_hold: Vec<&Value> = r
                .events("pinhole_close")
                .filter(|v| n(v, "frame") == 110)
                .collect();
            assert_eq!(
                at_hold.len(),
                1,
                "only one pinhole closes on hold: {at_hold:?}"
            );
            // Resume (re-INVITE at 164): the RTP pinhole towards the phone is open again.
            let reopen = r.pinholes("pinhole_open", "rtp", PHONE, 40000);
            assert_eq!(reopen.len(), 2);
            assert_eq!(n(reopen[1], "frame"), 164);
            // RTCP from the trunk during the hold and RTP from it after the resume get in.
            r.assert_frames(168..=168, "accept pinhole rtp");
            for (kind, port) in [("rtp", 40000), ("rtcp", 40001)] {
                let last = r.pinholes("pinhole_close", kind, PHONE, port);
                assert_eq!(
                    last.last().map(|v| n(v, "frame")),
                    Some(270),
                    "{kind} at BYE"
                );
            }
            for f in 112..=163 {
                let w = r.what(f);
                assert!(w.starts_with("accept pinhole rt"), "hold frame {f}: {w}");
            }
        }
        "t38-reinvite" => {
            r.assert_all_accepted();
            // The trunk's re-INVITE (frame 108) offers image 50010: a provisional T.38 pinhole
            // towards the trunk; the phone's answer (110) makes it final and opens 40010.
            let to_trunk = r.pinholes("pinhole_open", "t38", TRUNK, 50010);
            assert_eq!(to_trunk.len(), 1);
            assert_eq!(n(to_trunk[0], "frame"), 108);
            assert_eq!(to_trunk[0]["provisional"], true);
            let to_phone = r.pinholes("pinhole_open", "t38", PHONE, 40010);
            assert_eq!(to_phone.len(), 1);
            assert_eq!(n(to_phone[0], "frame"), 110);
            // Audio (port 0 in the answer) is closed at 110.
            for (dst, port) in [
                (PHONE, 40000),
                (PHONE, 40001),
                (TRUNK, 50000),
                (TRUNK, 50001),
            ] {
                let kind = if port % 2 == 0 { "rtp" } else { "rtcp" };
                let c = r.pinholes("pinhole_close", kind, dst, port);
                assert_eq!(c.len(), 1, "{kind} {dst}:{port}");
                assert_eq!(n(c[0], "frame"), 110);
                assert_eq!(s(c[0], "reason"), "renegotiated");
            }
            r.assert_frames(112..=161, "accept pinhole t38");
            for (dst, port) in [(PHONE, 40010), (TRUNK, 50010)] {
                let c = r.pinholes("pinhole_close", "t38", dst, port);
                assert_eq!(c.len(), 1);
                assert_eq!(n(c[0], "frame"), 162, "T.38 closed at the trunk's BYE");
            }
        }
        "register-inbound" | "register-inbound-no-inbound-policy" => {
            r.assert_all_accepted();
            let reg = r.pinholes("pinhole_open", "registration", PHONE, 5060);
            assert_eq!(reg.len(), 1);
            assert_eq!(
                n(reg[0], "frame"),
                2,
                "registration pinhole from the 200 OK"
            );
            assert_eq!(s(reg[0], "src"), REGISTRAR);
            assert_eq!(r.sip_at(3), ["INVITE"]);
            if case == "register-inbound-no-inbound-policy" {
                // The REGISTER's flow expired (sip idle-time 30); nothing but the registration
                // pinhole can admit the INVITE, as out-in inspects nothing.
                assert_eq!(r.what(3), "accept pinhole registration");
                let closed: Vec<u64> = r
                    .events("flow_close")
                    .filter(|v| s(v, "reason") == "idle")
                    .map(|v| n(v, "frame"))
                    .collect();
                assert_eq!(closed, [3], "the REGISTER flow expired before the INVITE");
            } else {
                // The REGISTER's SIP flow (sip idle-time 3600) is still up 60 s later.
                assert_eq!(r.what(3), "accept session");
            }
            // The registrar's media (52000 -> 40000) gets in through pinholes.
            for f in 8..=109 {
                let w = r.what(f);
                assert!(w.starts_with("accept pinhole rt"), "media frame {f}: {w}");
            }
            for (kind, port) in [("rtp", 40000), ("rtcp", 40001)] {
                let c = r.pinholes("pinhole_close", kind, PHONE, port);
                assert_eq!(c.len(), 1, "{kind}");
                assert_eq!(
                    n(c[0], "frame"),
                    110,
                    "{kind} closed at the registrar's BYE"
                );
            }
        }
        "unsolicited-rtp" => {
            // Before the call: no pinhole, out-in admits only SIP.
            r.assert_frames(1..=10, "drop class_default");
            // After the BYE: the pinholes are gone and the phone's UDP flow is no excuse.
            r.assert_frames(120..=129, "drop class_default");
            for f in 11..=119 {
                assert_eq!(s(r.verdict(f), "verdict"), "accept", "frame {f}");
            }
            assert_basic_call(r, 16..=117, 118);
        }
        "early-media" => {
            // The 183's SDP answer makes the pinhole final: the early media gets in.
            let upd = r.pinholes("pinhole_update", "rtp", PHONE, 40000);
            assert_eq!(n(upd[0], "frame"), 3);
            assert_eq!(upd[0]["provisional"], false);
            r.assert_frames(4..=53, "accept pinhole rtp");
            r.assert_all_accepted();
            for f in 56..=157 {
                let w = r.what(f);
                assert!(w.starts_with("accept pinhole rt"), "media frame {f}: {w}");
            }
            // Same pinholes through the 200 OK; closed at the BYE.
            assert_eq!(r.pinholes("pinhole_open", "rtp", PHONE, 40000).len(), 1);
            let c = r.pinholes("pinhole_close", "rtp", PHONE, 40000);
            assert_eq!(n(c[0], "frame"), 158);
            // Second call: the pinholes prepared from its offer are gone once it is cancelled
            // (at the CANCEL, frame 163, at the latest at the 487, frame 165).
            for (kind, port) in [("rtp", 40002), ("rtcp", 40003)] {
                assert_eq!(r.pinholes("pinhole_open", kind, PHONE, port).len(), 1);
                let c = r.pinholes("pinhole_close", kind, PHONE, port);
                assert_eq!(c.len(), 1, "{kind} {port}");
                assert!((163..=165).contains(&n(c[0], "frame")), "{:?}", c[0]);
            }
            assert_eq!(r.sip_at(165), ["487 Request Terminated"]);
        }
        "udp-call-no-policy" => {
            // Nothing is inspected: no SIP parsed, no pinholes, and the trunk's media is
            // dropped by out-in class-default while the phone's passes (stateless `pass`).
            assert!(r.events("sip").next().is_none());
            assert!(r.events("pinhole_open").next().is_none());
            for f in 1..=5 {
                assert_eq!(s(r.verdict(f), "verdict"), "accept", "SIP frame {f}");
            }
            let mut dropped = 0;
            for f in 6..=107 {
                let v = r.verdict(f);
                if s(v, "verdict") == "drop" {
                    assert_eq!(s(v, "reason"), "class_default");
                    assert_eq!(s(v, "zone_pair"), "out-in");
                    dropped += 1;
                } else {
                    assert_eq!(s(v, "zone_pair"), "in-out", "frame {f}");
                }
            }
            assert_eq!(dropped, 51, "50 RTP + 1 RTCP from the trunk dropped");
        }
        "sip-violations" => sip_violations_facts(r),
        other => panic!("golden case {other}: add its key facts to key_facts() in golden.rs"),
    }
}

fn golden(case: &str) {
    let dir = golden_root().join(case);
    for f in ["README.md", "config.cfg", "capture"] {
        assert!(dir.join(f).is_file(), "{}: missing {f}", dir.display());
    }
    let r = run_case(&dir);
    // Key facts first: they say what is wrong in words, and they also guard a re-bless.
    key_facts(case, &r);
    compare(case, &dir, &r.lines);
}

macro_rules! golden_tests {
    ($($name:ident => $case:literal),* $(,)?) => {
        $(#[test] fn $name() { golden($case); })*
    };
}

golden_tests! {
    udp_call => "udp-call",
    tcp_call => "tcp-call",
    hold_resume => "hold-resume",
    t38_reinvite => "t38-reinvite",
    register_inbound => "register-inbound",
    unsolicited_rtp => "unsolicited-rtp",
    multipart_sdp => "multipart-sdp",
    early_media => "early-media",
    register_inbound_no_inbound_policy => "register-inbound-no-inbound-policy",
    udp_call_no_policy => "udp-call-no-policy",
    sip_violations => "sip-violations",
}

/// Every directory under tests/golden is a listed case (so none is silently skipped).
#[test]
fn every_case_dir_is_tested() {
    let mut dirs: Vec<String> = std::fs::read_dir(golden_root())
        .expect("tests/golden exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.to_string()).collect();
    listed.sort();
    assert_eq!(
        dirs, listed,
        "tests/golden directories vs CASES in golden.rs"
    );
}
