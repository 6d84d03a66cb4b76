//! `sipwall show …`: ask a running `sipwall run` over its control socket and print the answer,
//! shaped like the IOS commands where IOS has one:
//!
//! - `show zone-pair security`
//! - `show policy-map type inspect zone-pair [NAME] [sessions]`
//! - `show sip calls`
//! - `show pinholes`
//!
//! Each takes `--json` (the daemon's answer as is) and `--control PATH`. The text renderers
//! are pure functions of that JSON, so they are tested without a daemon.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;
use sipwall_linux::control::{self, Request, DEFAULT_SOCKET};

#[derive(clap::Args)]
pub struct ShowArgs {
    #[command(subcommand)]
    pub what: ShowWhat,
    /// Print the daemon's JSON answer instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The control socket of `sipwall run`.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub control: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum ShowWhat {
    /// `zone-pair security`: the zone-pairs, their zones and policies.
    ZonePair {
        #[command(subcommand)]
        what: ZonePairWhat,
    },
    /// `policy-map type inspect zone-pair [NAME] [sessions]`: classes and inspected sessions.
    PolicyMap {
        #[command(subcommand)]
        what: PolicyMapType,
    },
    /// `sip calls`: calls with their pinholes and media counters.
    Sip {
        #[command(subcommand)]
        what: SipWhat,
    },
    /// Open pinholes (media and signalling) with their traffic and expiry.
    Pinholes,
}

#[derive(clap::Subcommand)]
pub enum ZonePairWhat {
    /// Zone-pairs with source and destination zones and service-policy.
    Security,
}

#[derive(clap::Subcommand)]
pub enum PolicyMapType {
    /// `type inspect zone-pair …`.
    Type {
        #[command(subcommand)]
        what: PolicyMapInspect,
    },
}

#[derive(clap::Subcommand)]
pub enum PolicyMapInspect {
    /// `inspect zone-pair …`.
    Inspect {
        #[command(subcommand)]
        what: InspectZonePair,
    },
}

#[derive(clap::Subcommand)]
pub enum InspectZonePair {
    /// `zone-pair [NAME] [sessions]`: one zone-pair or all; `sessions` lists each session.
    ZonePair {
        /// `[NAME] [sessions]`.
        #[arg(num_args = 0..=2, value_name = "NAME|sessions")]
        words: Vec<String>,
    },
}

#[derive(clap::Subcommand)]
pub enum SipWhat {
    /// Calls with their state, parties and pinholes.
    Calls,
    /// Sources on the SIP blocklist (flood protection) and how long they stay there.
    Blocked,
}

/// `[NAME] [sessions]`: a last word `sessions` is the keyword (a zone-pair literally named
/// "sessions" is `zone-pair sessions sessions`).
fn zone_pair_words(words: &[String]) -> (Option<String>, bool) {
    match words {
        [] => (None, false),
        [w] if w == "sessions" => (None, true),
        [name] => (Some(name.clone()), false),
        [name, kw, ..] => (Some(name.clone()), kw == "sessions"),
    }
}

/// Text for the daemon's answer.
type Renderer = Box<dyn Fn(&Value) -> String>;

/// `show sip blocked`: one line per blocked source.
pub fn render_blocked(v: &Value) -> String {
    let mut out = String::new();
    let list = v["blocked"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        out.push_str("No blocked sources\n");
        return out;
    }
    out.push_str(&format!(
        "{:<40} {:>10} {:>10}\n",
        "Source", "Remaining", "Violations"
    ));
    for b in &list {
        let secs = b["remaining_secs"].as_u64().unwrap_or(0);
        out.push_str(&format!(
            "{:<40} {:>7}:{:02} {:>10}\n",
            b["source"].as_str().unwrap_or("?"),
            secs / 60,
            secs % 60,
            b["violations"].as_u64().unwrap_or(0)
        ));
    }
    out.push_str(&format!("Total blocked sources: {}\n", list.len()));
    out
}

pub fn run(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (req, render): (Request, Renderer) = match args.what {
        ShowWhat::ZonePair {
            what: ZonePairWhat::Security,
        } => (Request::ShowZonePairs, Box::new(render_zone_pairs)),
        ShowWhat::PolicyMap {
            what:
                PolicyMapType::Type {
                    what:
                        PolicyMapInspect::Inspect {
                            what: InspectZonePair::ZonePair { words },
                        },
                },
        } => {
            let (zone_pair, sessions) = zone_pair_words(&words);
            if words.len() == 2 && !sessions {
                anyhow::bail!(
                    "expected `zone-pair [NAME] [sessions]`, got `{}`",
                    words.join(" ")
                );
            }
            (
                Request::ShowSessions { zone_pair },
                Box::new(move |v: &Value| render_policy_map(v, sessions)),
            )
        }
        ShowWhat::Sip {
            what: SipWhat::Calls,
        } => (Request::ShowCalls, Box::new(render_calls)),
        ShowWhat::Sip {
            what: SipWhat::Blocked,
        } => (Request::ShowSipBlocked, Box::new(render_blocked)),
        ShowWhat::Pinholes => (Request::ShowPinholes, Box::new(render_pinholes)),
    };
    let answer = ask(&args.control, &req)?;
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&answer)?;
        s.push('\n');
        s
    } else {
        render(&answer)
    };
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Send a request to the daemon, with the socket path in the error.
pub fn ask(path: &Path, req: &Request) -> anyhow::Result<Value> {
    control::request(path, req).map_err(|e| match e.kind() {
        // The daemon's own `{"error": ...}` answer.
        std::io::ErrorKind::Other => anyhow::anyhow!("{e}"),
        _ => anyhow::anyhow!(
            "{e} (control socket {}; is `sipwall run` running?)",
            path.display()
        ),
    })
}

/// Write to stdout; a closed pipe is not an error of ours.
pub fn print_out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Renderers: pure functions of the daemon's JSON. Missing fields render as empty or zero.

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// `hh:mm:ss` (hours are not wrapped).
pub fn hms(secs: u64) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `addr:port`, IPv6 in brackets.
fn endpoint(addr: &str, port: u64) -> String {
    if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    }
}

fn proto_name(proto: u64) -> String {
    match proto {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        50 => "esp".into(),
        58 => "icmpv6".into(),
        132 => "sctp".into(),
        p => format!("proto-{p}"),
    }
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `show zone-pair security`.
pub fn render_zone_pairs(v: &Value) -> String {
    let mut out = String::new();
    for zp in list(&v["zone_pairs"]) {
        let _ = writeln!(out, "Zone-pair name {}", s(&zp["name"]));
        let _ = writeln!(
            out,
            "    Source-Zone {}  Destination-Zone {}",
            s(&zp["source"]),
            s(&zp["destination"])
        );
        match zp["policy"].as_str() {
            Some(p) => {
                let _ = writeln!(out, "    service-policy {p}");
            }
            None => out.push_str("    service-policy not configured\n"),
        }
        let _ = writeln!(
            out,
            "    Sessions {}, packets {}",
            n(&zp["sessions"]),
            n(&zp["packets"])
        );
    }
    if out.is_empty() {
        out.push_str("No zone-pairs configured\n");
    }
    out
}

/// The IOS session state of a session view.
fn session_state(sess: &Value) -> &'static str {
    match sess["tcp_state"].as_str() {
        Some("syn-sent" | "syn-received") => "SIS_OPENING",
        Some("fin-wait" | "closing" | "closed") => "SIS_CLOSING",
        _ => "SIS_OPEN",
    }
}

fn render_session(out: &mut String, sess: &Value, indent: &str) {
    let app = match sess["inspect"].as_str() {
        Some("sip") => "sip".to_string(),
        _ => proto_name(n(&sess["proto"])),
    };
    let _ = writeln!(
        out,
        "{indent}Session ID 0x{:08X} ({})=>({}) {app} {}",
        n(&sess["id"]),
        endpoint(s(&sess["src"]), n(&sess["sport"])),
        endpoint(s(&sess["dst"]), n(&sess["dport"])),
        session_state(sess)
    );
    let _ = writeln!(
        out,
        "{indent} Created {}, Last heard {}",
        hms(n(&sess["age_secs"])),
        hms(n(&sess["idle_secs"]))
    );
    let _ = writeln!(
        out,
        "{indent} Bytes sent (initiator:responder) [{}:{}]",
        n(&sess["bytes"][0]),
        n(&sess["bytes"][1])
    );
}

const GROUPS: [(&str, &str); 3] = [
    ("SIS_OPEN", "Established"),
    ("SIS_OPENING", "Half-open"),
    ("SIS_CLOSING", "Terminating"),
];

/// `show policy-map type inspect zone-pair [NAME] [sessions]`.
pub fn render_policy_map(v: &Value, with_sessions: bool) -> String {
    let mut out = String::new();
    for zp in list(&v["zone_pairs"]) {
        let name = s(&zp["name"]);
        let Some(policy) = zp["policy"].as_str() else {
            let _ = writeln!(out, "\n  Zone-pair: {name}\n\n  No service-policy\n");
            continue;
        };
        let _ = writeln!(out, "\npolicy exists on zp {name}");
        let _ = writeln!(out, "  Zone-pair: {name}\n");
        let _ = writeln!(out, "  Service-policy inspect : {policy}");
        for class in list(&zp["classes"]) {
            let _ = writeln!(
                out,
                "\n    Class-map: {} ({})",
                s(&class["name"]),
                s(&class["match"])
            );
            for m in list(&class["matches"]) {
                let _ = writeln!(out, "      Match: {}", s(m));
            }
            let action = s(&class["action"]);
            let _ = writeln!(out, "      {}", capitalised(action));
            let sessions = list(&class["sessions"]);
            if !action.starts_with("inspect") {
                continue;
            }
            let count = |state: &str| {
                sessions
                    .iter()
                    .filter(|x| session_state(x) == state)
                    .count()
            };
            if !with_sessions {
                let _ = writeln!(
                    out,
                    "        Current session counts (estab/half-open/terminating) [{}:{}:{}]",
                    count("SIS_OPEN"),
                    count("SIS_OPENING"),
                    count("SIS_CLOSING")
                );
                continue;
            }
            let mut any = false;
            for (state, group) in GROUPS {
                let members: Vec<&Value> = sessions
                    .iter()
                    .filter(|x| session_state(x) == state)
                    .collect();
                if members.is_empty() {
                    continue;
                }
                any = true;
                out.push('\n');
                let _ = writeln!(
                    out,
                    "        Number of {group} Sessions = {}",
                    members.len()
                );
                let _ = writeln!(out, "        {group} Sessions");
                for sess in members {
                    render_session(&mut out, sess, "         ");
                }
            }
            if !any {
                out.push_str("\n        Number of Established Sessions = 0\n");
            }
        }
    }
    if with_sessions {
        let media = list(&v["pinhole_sessions"]);
        if !media.is_empty() {
            let _ = writeln!(out, "\nSessions admitted by SIP pinholes = {}", media.len());
            for sess in media {
                render_session(&mut out, sess, " ");
            }
        }
    }
    if v["truncated"].as_bool() == Some(true) {
        let _ = writeln!(
            out,
            "\n(list truncated; {} sessions in total)",
            n(&v["total"])
        );
    }
    if out.is_empty() {
        out.push_str("No zone-pairs configured\n");
    }
    out
}

fn pinhole_line(p: &Value) -> String {
    let src = p["src"].as_str().unwrap_or("any");
    format!(
        "0x{:08X} {} {} {} => {}, {} packets, {} bytes, expires in {}{}",
        n(&p["id"]),
        s(&p["kind"]),
        proto_name(n(&p["proto"])),
        src,
        endpoint(s(&p["dst"]), n(&p["dport"])),
        n(&p["packets"]),
        n(&p["bytes"]),
        hms(n(&p["expires_in_secs"])),
        if p["provisional"].as_bool() == Some(true) {
            ", provisional"
        } else {
            ""
        }
    )
}

/// `show sip calls`.
pub fn render_calls(v: &Value) -> String {
    let mut out = String::new();
    let calls = list(&v["calls"]);
    for c in calls {
        let _ = writeln!(out, "Call-ID {}", s(&c["call_id"]));
        let _ = writeln!(
            out,
            "  State {}, age {}",
            s(&c["state"]),
            hms(n(&c["age_secs"]))
        );
        let parties: Vec<&str> = list(&c["parties"]).iter().map(s).collect();
        let _ = writeln!(out, "  Parties {}", parties.join(", "));
        let _ = writeln!(
            out,
            "  Media {} packets, {} bytes",
            n(&c["media_packets"]),
            n(&c["media_bytes"])
        );
        let pinholes = list(&c["pinholes"]);
        let _ = writeln!(out, "  Pinholes {}", pinholes.len());
        for p in pinholes {
            let _ = writeln!(out, "    {}", pinhole_line(p));
        }
    }
    let _ = writeln!(
        out,
        "Total calls: {}",
        n(&v["total"]).max(calls.len() as u64)
    );
    if v["truncated"].as_bool() == Some(true) {
        let _ = writeln!(out, "(list truncated to {})", calls.len());
    }
    out
}

/// `show pinholes`.
pub fn render_pinholes(v: &Value) -> String {
    let mut out = String::new();
    let pinholes = list(&v["pinholes"]);
    let _ = writeln!(
        out,
        "{:<10}  {:<13}  {:<5}  {:<15}  {:<21}  {:>9}  {:>11}  {:<8}  Call-ID",
        "ID", "Kind", "Proto", "Source", "Destination", "Packets", "Bytes", "Expires"
    );
    for p in pinholes {
        let kind = if p["provisional"].as_bool() == Some(true) {
            format!("{}*", s(&p["kind"]))
        } else {
            s(&p["kind"]).to_string()
        };
        let _ = writeln!(
            out,
            "0x{:08X}  {:<13}  {:<5}  {:<15}  {:<21}  {:>9}  {:>11}  {:<8}  {}",
            n(&p["id"]),
            kind,
            proto_name(n(&p["proto"])),
            p["src"].as_str().unwrap_or("any"),
            endpoint(s(&p["dst"]), n(&p["dport"])),
            n(&p["packets"]),
            n(&p["bytes"]),
            hms(n(&p["expires_in_secs"])),
            p["call_id"].as_str().unwrap_or("-")
        );
    }
    let _ = writeln!(
        out,
        "Total pinholes: {}{}",
        n(&v["total"]).max(pinholes.len() as u64),
        if pinholes
            .iter()
            .any(|p| p["provisional"].as_bool() == Some(true))
        {
            " (* provisional: opened from an offer not yet answered)"
        } else {
            ""
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sip_session() -> Value {
        json!({"id": 0, "zone_pair": "in-out", "class": "out-cm", "proto": 17,
               "src": "192.0.2.10", "sport": 5060, "dst": "198.51.100.20", "dport": 5060,
               "inspect": "sip", "tcp_state": null, "age_secs": 3727, "idle_secs": 4,
               "packets": [2, 2], "bytes": [744, 695]})
    }

    fn sessions_answer() -> Value {
        let half_open = json!({"id": 7, "zone_pair": "in-out", "class": "out-cm", "proto": 6,
               "src": "2001:db8::1", "sport": 40000, "dst": "2001:db8:1::2", "dport": 443,
               "inspect": null, "tcp_state": "syn-sent", "age_secs": 1, "idle_secs": 1,
               "packets": [1, 0], "bytes": [60, 0]});
        let media = json!({"id": 1, "zone_pair": null, "class": null, "proto": 17,
               "src": "198.51.100.20", "sport": 50000, "dst": "192.0.2.10", "dport": 40000,
               "inspect": "media", "tcp_state": null, "age_secs": 3, "idle_secs": 0,
               "packets": [3, 3], "bytes": [120, 120]});
        json!({"zone_pairs": [
            {"name": "in-out", "source": "inside", "destination": "outside", "policy": "out-pm",
             "classes": [
                {"name": "out-cm", "match": "match-any",
                 "matches": ["protocol sip", "protocol udp"], "action": "inspect",
                 "sessions": [sip_session(), half_open]},
                {"name": "class-default", "match": "match-any", "matches": ["any"],
                 "action": "drop", "sessions": []}]},
            {"name": "self-out", "source": "self", "destination": "outside", "policy": null,
             "classes": []}],
            "pinhole_sessions": [media], "total": 3, "truncated": false})
    }

    #[test]
    fn zone_pairs_like_ios() {
        let v = json!({"zone_pairs": [
            {"name": "in-out", "source": "inside", "destination": "outside",
             "policy": "out-pm", "sessions": 1, "packets": 4},
            {"name": "self-out", "source": "self", "destination": "outside",
             "policy": null, "sessions": 0, "packets": 0}]});
        assert_eq!(
            render_zone_pairs(&v),
            "Zone-pair name in-out\n\
             \x20   Source-Zone inside  Destination-Zone outside\n\
             \x20   service-policy out-pm\n\
             \x20   Sessions 1, packets 4\n\
             Zone-pair name self-out\n\
             \x20   Source-Zone self  Destination-Zone outside\n\
             \x20   service-policy not configured\n\
             \x20   Sessions 0, packets 0\n"
        );
        assert_eq!(
            render_zone_pairs(&json!({"zone_pairs": []})),
            "No zone-pairs configured\n"
        );
        // Garbage renders without panicking.
        assert_eq!(render_zone_pairs(&json!(42)), "No zone-pairs configured\n");
    }

    #[test]
    fn policy_map_summary_counts_by_state() {
        let text = render_policy_map(&sessions_answer(), false);
        let expected = "
policy exists on zp in-out
  Zone-pair: in-out

  Service-policy inspect : out-pm

    Class-map: out-cm (match-any)
      Match: protocol sip
      Match: protocol udp
      Inspect
        Current session counts (estab/half-open/terminating) [1:1:0]

    Class-map: class-default (match-any)
      Match: any
      Drop

  Zone-pair: self-out

  No service-policy

";
        assert_eq!(text, expected);
    }

    #[test]
    fn policy_map_sessions_like_ios() {
        let text = render_policy_map(&sessions_answer(), true);
        let expected = "
policy exists on zp in-out
  Zone-pair: in-out

  Service-policy inspect : out-pm

    Class-map: out-cm (match-any)
      Match: protocol sip
      Match: protocol udp
      Inspect

        Number of Established Sessions = 1
        Established Sessions
         Session ID 0x00000000 (192.0.2.10:5060)=>(198.51.100.20:5060) sip SIS_OPEN
          Created 01:02:07, Last heard 00:00:04
          Bytes sent (initiator:responder) [744:695]

        Number of Half-open Sessions = 1
        Half-open Sessions
         Session ID 0x00000007 ([2001:db8::1]:40000)=>([2001:db8:1::2]:443) tcp SIS_OPENING
          Created 00:00:01, Last heard 00:00:01
          Bytes sent (initiator:responder) [60:0]

    Class-map: class-default (match-any)
      Match: any
      Drop

  Zone-pair: self-out

  No service-policy


Sessions admitted by SIP pinholes = 1
 Session ID 0x00000001 (198.51.100.20:50000)=>(192.0.2.10:40000) udp SIS_OPEN
  Created 00:00:03, Last heard 00:00:00
  Bytes sent (initiator:responder) [120:120]
";
        assert_eq!(text, expected);
    }

    #[test]
    fn policy_map_empty_class_and_truncation() {
        let v = json!({"zone_pairs": [
            {"name": "out-in", "source": "outside", "destination": "inside", "policy": "in-pm",
             "classes": [{"name": "sip-cm", "match": "match-all", "matches": ["protocol sip"],
                          "action": "inspect", "sessions": []}]}],
            "total": 20000, "truncated": true});
        let text = render_policy_map(&v, true);
        assert!(text.contains("    Class-map: sip-cm (match-all)\n      Match: protocol sip\n      Inspect\n\n        Number of Established Sessions = 0\n"), "{text}");
        assert!(
            text.ends_with("\n(list truncated; 20000 sessions in total)\n"),
            "{text}"
        );
    }

    #[test]
    fn zone_pair_words_parse() {
        let w = |v: &[&str]| zone_pair_words(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&[]), (None, false));
        assert_eq!(w(&["sessions"]), (None, true));
        assert_eq!(w(&["in-out"]), (Some("in-out".into()), false));
        assert_eq!(w(&["in-out", "sessions"]), (Some("in-out".into()), true));
        assert_eq!(
            w(&["sessions", "sessions"]),
            (Some("sessions".into()), true)
        );
    }

    fn pinholes() -> Vec<Value> {
        vec![
            json!({"id": 0, "call_id": "c1@phone", "kind": "rtp", "proto": 17,
                   "src": "198.51.100.20", "dst": "192.0.2.10", "dport": 40000,
                   "provisional": false, "packets": 3, "bytes": 120, "expires_in_secs": 177}),
            json!({"id": 4, "call_id": null, "kind": "registration", "proto": 6,
                   "src": null, "dst": "192.0.2.10", "dport": 5060,
                   "provisional": true, "packets": 0, "bytes": 0, "expires_in_secs": 3600}),
        ]
    }

    #[test]
    fn calls_listing() {
        let v = json!({"calls": [{"call_id": "c1@phone", "state": "confirmed",
            "parties": ["192.0.2.10", "198.51.100.20"], "age_secs": 7,
            "pinholes": pinholes(), "media_packets": 6, "media_bytes": 240}],
            "total": 1, "truncated": false});
        assert_eq!(
            render_calls(&v),
            "Call-ID c1@phone
  State confirmed, age 00:00:07
  Parties 192.0.2.10, 198.51.100.20
  Media 6 packets, 240 bytes
  Pinholes 2
    0x00000000 rtp udp 198.51.100.20 => 192.0.2.10:40000, 3 packets, 120 bytes, expires in 00:02:57
    0x00000004 registration tcp any => 192.0.2.10:5060, 0 packets, 0 bytes, expires in 01:00:00, provisional
Total calls: 1
"
        );
        assert_eq!(
            render_calls(&json!({"calls": [], "total": 0})),
            "Total calls: 0\n"
        );
    }

    #[test]
    fn pinhole_table() {
        let v = json!({"pinholes": pinholes(), "total": 2, "truncated": false});
        let text = render_pinholes(&v);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "ID          Kind           Proto  Source           Destination              Packets        Bytes  Expires   Call-ID",
                "0x00000000  rtp            udp    198.51.100.20    192.0.2.10:40000               3          120  00:02:57  c1@phone",
                "0x00000004  registration*  tcp    any              192.0.2.10:5060                0            0  01:00:00  -",
                "Total pinholes: 2 (* provisional: opened from an offer not yet answered)",
            ]
        );
    }

    #[test]
    fn times() {
        assert_eq!(hms(0), "00:00:00");
        assert_eq!(hms(3661), "01:01:01");
        assert_eq!(hms(100 * 3600), "100:00:00");
    }

    #[test]
    fn blocked_sources_render() {
        let v = serde_json::json!({"blocked": [
            {"source": "198.51.100.66", "remaining_secs": 125, "violations": 50}
        ], "total": 1, "truncated": false});
        let text = render_blocked(&v);
        assert!(text.contains("198.51.100.66"), "{text}");
        assert!(text.contains("2:05"), "{text}");
        assert!(text.contains("Total blocked sources: 1"), "{text}");
        assert_eq!(
            render_blocked(&serde_json::json!({"blocked": []})),
            "No blocked sources\n"
        );
    }
}
