//! The `--report` HTML page: rendered from real replays of the bundled example captures with
//! `examples/config/lab.cfg`, and from hand-built summaries with hostile strings.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sipwall_engine::{Engine, Event, PinholeKind, PinholePattern};
use sipwall_pcap::replay::{
    replay, CallSummary, FrameRecord, PinholeLife, ReplayOptions, ReplaySink, ReplaySummary,
    SipLine,
};
use sipwall_pcap::report::{message_label, pinhole_label, render, MAX_MESSAGES};

struct Nop;

impl ReplaySink for Nop {
    fn frame(&mut self, _: &Engine, _: &FrameRecord) {}
    fn event(&mut self, _: &Engine, _: u64, _: Duration, _: &Event) {}
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn replayed(capture: &str) -> ReplaySummary {
    let text = std::fs::read_to_string(root().join("examples/config/lab.cfg")).expect("lab.cfg");
    let (cfg, _warnings) = sipwall_config::parse(&text, "lab.cfg").expect("lab.cfg parses");
    replay(
        Arc::new(cfg),
        &root().join("examples/captures").join(capture),
        &ReplayOptions::default(),
        None,
        &mut Nop,
    )
    .expect("replay")
}

const ALLOWED_TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tr", "th",
    "td", "code", "span", "details", "summary", "div", "ul", "li", "svg", "defs", "pattern",
    "rect", "line", "polygon", "path", "text", "g",
];
const VOID: &[&str] = &["meta"];

/// Checks the page's markup: every `<` opens a known tag or the doctype, every element is
/// closed in order. Returns the tag names in document order.
fn check_markup(html: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    let mut in_style = false;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        if in_style {
            assert!(after.starts_with("/style>"), "`<` inside the style sheet");
        }
        if after.starts_with("!DOCTYPE html>") {
            rest = after;
            continue;
        }
        let end = after.find('>').expect("tag closed");
        let tag = &after[..end];
        rest = &after[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("close without open");
            assert_eq!(open, name, "mismatched close");
            if name == "style" {
                in_style = false;
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            ALLOWED_TAGS.contains(&name.as_str()),
            "unexpected tag <{tag}> (an unescaped `<` from the capture?)"
        );
        seen.push(name.clone());
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" {
            in_style = true;
        }
        stack.push(name);
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    seen
}

/// Keeps a copy under the target directory for looking at in a browser.
fn save(name: &str, html: &str) {
    if let Some(dir) = option_env!("CARGO_TARGET_TMPDIR") {
        let _ = std::fs::write(PathBuf::from(dir).join(name), html);
    }
}

fn count(h: &str, needle: &str) -> usize {
    h.matches(needle).count()
}

/// Positions of `needles` found one after the other in `hay`.
fn in_order(hay: &str, needles: &[String]) {
    let mut at = 0;
    for n in needles {
        match hay[at..].find(n.as_str()) {
            Some(i) => at += i + n.len(),
            None => panic!("{n:?} not found (in order) after byte {at}"),
        }
    }
}

fn ladder_of(html: &str, call: usize) -> &str {
    let start = html
        .find(&format!("<details id=\"call-{call}\""))
        .expect("call section");
    let section = &html[start..];
    let l = section.find("class=\"ladder\"").expect("ladder");
    let e = section[l..].find("</svg>").expect("ladder closed");
    &section[l..l + e]
}

#[test]
fn udp_call_report() {
    let s = replayed("udp-call.pcap");
    let html = render(&s, "udp-call.pcap", "lab.cfg");
    save("udp-call.html", &html);
    let tags = check_markup(&html);
    assert_eq!(s.calls.len(), 1);
    // One ladder and one timeline for the call.
    assert_eq!(tags.iter().filter(|t| *t == "svg").count(), 2);
    assert_eq!(count(&html, "<svg"), count(&html, "</svg>"));
    assert!(html.contains("<code>udp-call.pcap</code>"));
    assert!(html.contains("<code>lab.cfg</code>"));
    assert!(html.contains("<tr><th>frames</th><td>109</td></tr>"));
    assert!(html.contains("<tr><th>capture duration</th><td>3.102 s</td></tr>"));
    assert!(
        html.contains("<td class=\"accept\">accept</td><td>pinhole</td><td class=\"n\">102</td>")
    );
    assert!(html.contains("910a2dec89025cc1@192.0.2.10"));
    assert!(html.contains("ended at frame 108 (bye)"));

    // The ladder: both endpoints as lifelines, the seven messages in order.
    let ladder = ladder_of(&html, 1);
    let a = ladder
        .find(">192.0.2.10:5060</text>")
        .expect("phone lifeline");
    let b = ladder
        .find(">198.51.100.20:5060</text>")
        .expect("trunk lifeline");
    assert!(a < b, "lifelines in order of first appearance");
    let labels: Vec<String> = s.calls[0]
        .messages
        .iter()
        .map(|m| format!(">{}</text>", message_label(m)))
        .collect();
    assert_eq!(
        labels,
        [
            ">INVITE (SDP)</text>",
            ">100 Trying</text>",
            ">180 Ringing</text>",
            ">200 OK (SDP)</text>",
            ">ACK</text>",
            ">BYE</text>",
            ">200 OK</text>",
        ]
    );
    in_order(ladder, &labels);
    // Frame numbers and times on the left.
    in_order(
        ladder,
        &[
            ">108</text>".to_string(),
            ">3.087</text>".to_string(),
            ">109</text>".to_string(),
            ">3.102</text>".to_string(),
        ],
    );
    assert_eq!(count(ladder, "<polygon"), 7, "one arrowhead per message");

    // Pinholes: the timeline labels and the table.
    for want in [
        "rtp udp 198.51.100.20 -&gt; 192.0.2.10:40000 — 50 pkts, closed: bye",
        "rtcp udp 198.51.100.20 -&gt; 192.0.2.10:40001 — 1 pkts, closed: bye",
        "rtp udp 192.0.2.10 -&gt; 198.51.100.20:50000 — 50 pkts, closed: bye",
    ] {
        assert_eq!(count(&html, want), 2, "{want} (label and tooltip)");
    }
    // The Contacts are reached by the call's own UDP session: no signalling pinhole.
    assert!(!html.contains("signalling udp"));
    for p in &s.calls[0].pinholes {
        let label = pinhole_label(p).replace('>', "&gt;");
        assert!(html.contains(&label), "{label}");
    }
    assert!(html.contains(
        "<td class=\"mono\">198.51.100.20</td><td class=\"mono\">192.0.2.10:40000</td>\
<td>1, 0.000</td><td>108, 3.087, bye</td><td class=\"n\">50</td><td class=\"n\">10000</td><td>no</td>"
    ));
    assert!(html.contains("<h2>Violations</h2>\n<p class=\"note\">none</p>"));
}

#[test]
fn t38_reinvite_report() {
    let s = replayed("t38-reinvite.pcap");
    let html = render(&s, "t38-reinvite.pcap", "lab.cfg");
    check_markup(&html);
    assert_eq!(count(&html, "<svg"), 2 * s.calls.len());
    let labels: Vec<String> = s.calls[0]
        .messages
        .iter()
        .map(|m| format!(">{}</text>", message_label(m)))
        .collect();
    assert_eq!(labels.len(), 11);
    assert_eq!(labels[5], ">INVITE (SDP)</text>", "the re-INVITE");
    in_order(ladder_of(&html, 1), &labels);
    assert!(html
        .contains("rtp udp 198.51.100.20 -&gt; 192.0.2.10:40000 — 50 pkts, closed: renegotiated"));
    assert!(html.contains("t38 udp"));
    assert!(html.contains("fill=\"#7c3aed\""), "T.38 colour");
    for p in &s.calls[0].pinholes {
        assert!(html.contains(&pinhole_label(p).replace('>', "&gt;")));
    }
}

#[test]
fn registration_goes_to_the_compact_list() {
    let s = replayed("register-inbound.pcap");
    let html = render(&s, "register-inbound.pcap", "lab.cfg");
    save("register-inbound.html", &html);
    check_markup(&html);
    // One INVITE call (ladder + timeline) and the registration timeline.
    assert_eq!(count(&html, "<svg"), 3);
    assert!(html.contains("<h2>Calls (1)</h2>"));
    assert!(html.contains("<h2>Other SIP dialogs and transactions (1)</h2>"));
    assert!(html.contains("<li><code>3b92d3f0106bc147@192.0.2.10</code>: REGISTER, 200 OK"));
    assert!(html.contains("<h2>Registration pinholes (1)</h2>"));
    assert!(html.contains("registration udp"));
}

#[test]
fn output_is_deterministic() {
    let a = render(&replayed("udp-call.pcap"), "c", "k");
    let b = render(&replayed("udp-call.pcap"), "c", "k");
    assert_eq!(a, b);
}

fn pinhole(id: u64, open: (u64, u64), closed: Option<(u64, u64, &'static str)>) -> PinholeLife {
    PinholeLife {
        id,
        kind: PinholeKind::Rtp,
        pattern: PinholePattern {
            proto: 17,
            src: None,
            dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
            dport: 40000,
        },
        opened_frame: open.0,
        opened_ts: Duration::from_millis(open.1),
        closed: closed.map(|(f, ms, r)| (f, Duration::from_millis(ms), r)),
        packets: 3,
        bytes: 480,
        provisional: true,
    }
}

fn line(frame: u64, src: &str, dst: &str, summary: &str) -> SipLine {
    SipLine {
        frame,
        ts: Duration::from_millis(frame * 10),
        src: src.into(),
        dst: dst.into(),
        summary: summary.into(),
        sdp: false,
    }
}

#[test]
fn hostile_strings_are_text() {
    let evil = "<script>alert(1)</script>\"'&";
    let s = ReplaySummary {
        frames: 3,
        by_reason: BTreeMap::from([(("accept".into(), "<b>".into()), 3)]),
        calls: vec![
            CallSummary {
                call_id: evil.into(),
                messages: vec![
                    line(1, "<img src=x>:5060", "10.0.0.1:5060", "INVITE"),
                    line(
                        2,
                        "10.0.0.1:5060",
                        "<img src=x>:5060",
                        "</svg><script>x</script>",
                    ),
                ],
                pinholes: vec![pinhole(7, (1, 10), None)],
                end: None,
            },
            CallSummary {
                call_id: "reg<i>".into(),
                messages: vec![line(3, "a", "b", "REGISTER <x>")],
                ..CallSummary::default()
            },
        ],
        violations: BTreeMap::from([("<v>".into(), 1)]),
        capture_error: Some("<e>".into()),
        duration: Duration::from_millis(500),
        ..ReplaySummary::default()
    };
    let html = render(&s, "<cap>.pcap", "<cfg>");
    save("hostile.html", &html);
    check_markup(&html);
    assert!(!html.contains("<script"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    assert!(html.contains("&lt;/svg&gt;&lt;script&gt;x&lt;/script&gt;"));
    assert!(html.contains("reg&lt;i&gt;"));
    assert!(html.contains("REGISTER &lt;x&gt;"));
    assert_eq!(count(&html, "<svg"), 2);
    // The open pinhole runs to the end of the capture, drawn open-ended and hatched.
    assert!(html.contains("rtp udp any -&gt; 192.0.2.10:40000 — 3 pkts, open at end, provisional"));
    assert!(html.contains("url(#hatch-c1)"));
    assert!(html.contains("still up at the end of the capture"));
}

#[test]
fn long_calls_are_capped() {
    let messages: Vec<SipLine> = (1..=MAX_MESSAGES as u64 + 20)
        .map(|f| line(f, "10.0.0.1:5060", "10.0.0.2:5060", "OPTIONS"))
        .chain(std::iter::once(line(9999, "x", "y", "INVITE")))
        .collect();
    // Many endpoints: they share the last lifeline past the limit.
    let mut many: Vec<SipLine> = (0..40)
        .map(|i| line(i, &format!("10.1.0.{i}:5060"), "10.0.0.1:5060", "INVITE"))
        .collect();
    many.push(line(
        41,
        "10.0.0.1:5060",
        "10.0.0.1:5060",
        "MESSAGE to itself",
    ));
    let s = ReplaySummary {
        calls: vec![
            CallSummary {
                call_id: "long".into(),
                messages,
                ..CallSummary::default()
            },
            CallSummary {
                call_id: "wide".into(),
                messages: many,
                ..CallSummary::default()
            },
        ],
        ..ReplaySummary::default()
    };
    let html = render(&s, "c", "k");
    save("capped.html", &html);
    check_markup(&html);
    assert!(html.contains("Only the first 500 of 521 SIP messages are drawn."));
    assert_eq!(count(ladder_of(&html, 1), ">OPTIONS</text>"), MAX_MESSAGES);
    let wide = ladder_of(&html, 2);
    assert!(wide.contains(">other endpoints</text>"));
    assert!(
        wide.contains("<path d=\"M"),
        "a message to itself is a loop"
    );
    assert_eq!(count(wide, "<polygon"), 41);
}
