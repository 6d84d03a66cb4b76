//! Operations against a real engine driven through a small UDP call: the control requests,
//! the control socket round trip, the metrics page and its HTTP server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etherparse::PacketBuilder;
use serde_json::Value;
use sipwall_engine::{Engine, PacketMeta, Verdict};
use sipwall_linux::control::{self, Request};
use sipwall_linux::metrics::{self, DriverCounters, Metrics};

const CONFIG: &str = "\
class-map type inspect match-any out-cm
 match protocol sip
 match protocol udp
 match protocol tcp
class-map type inspect match-any sip-cm
 match protocol sip
policy-map type inspect out-pm
 class type inspect out-cm
  inspect
 class class-default
  drop
policy-map type inspect in-pm
 class type inspect sip-cm
  inspect
 class class-default
  drop
zone security inside
zone security outside
zone-pair security in-out source inside destination outside
 service-policy type inspect out-pm
zone-pair security out-in source outside destination inside
 service-policy type inspect in-pm
interface eth0
 ip address 192.0.2.1 255.255.255.0
 zone-member security inside
interface eth1
 ip address 198.51.100.1 255.255.255.0
 zone-member security outside
ip route 0.0.0.0 0.0.0.0 198.51.100.254
";

const PHONE: [u8; 4] = [192, 0, 2, 10];
const TRUNK: [u8; 4] = [198, 51, 100, 20];
const RTP: &[u8] = &[0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];

struct Lab {
    engine: Engine,
    now: Instant,
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

impl Lab {
    fn new() -> Lab {
        let (config, _) = sipwall_config::parse(CONFIG, "test.cfg").expect("config");
        let now = origin();
        Lab {
            engine: Engine::new(Arc::new(config), now),
            now,
        }
    }

    fn advance(&mut self, secs: u64) {
        self.now += Duration::from_secs(secs);
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.engine.handle_timeout(self.now);
        }
        self.drain();
    }

    fn drain(&mut self) {
        while self.engine.poll_event().is_some() {}
    }

    fn udp(
        &mut self,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        payload: &[u8],
    ) -> Verdict {
        let mut pkt = Vec::new();
        PacketBuilder::ipv4(src, dst, 64)
            .udp(sport, dport)
            .write(&mut pkt, payload)
            .expect("build");
        let meta: PacketMeta = self.engine.sides_by_route(
            IpAddr::V4(Ipv4Addr::from(src)),
            IpAddr::V4(Ipv4Addr::from(dst)),
        );
        let v = self.engine.handle_packet(self.now, &meta, &pkt);
        self.drain();
        v
    }

    /// INVITE / 180 / 200 / ACK between the phone and the trunk, then RTP both ways.
    fn call(&mut self, call_id: &str) {
        let offer = sdp("192.0.2.10", 40000);
        let answer = sdp("198.51.100.20", 50000);
        let msgs: [(bool, String); 4] = [
            (true, request("INVITE", call_id, None, &offer)),
            (false, response("180 Ringing", call_id, "")),
            (false, response("200 OK", call_id, &answer)),
            (true, request("ACK", call_id, Some("b1"), "")),
        ];
        for (from_phone, m) in msgs {
            let v = if from_phone {
                self.udp(PHONE, 5060, TRUNK, 5060, m.as_bytes())
            } else {
                self.udp(TRUNK, 5060, PHONE, 5060, m.as_bytes())
            };
            assert!(v.is_accept(), "{m}");
            self.advance(1);
        }
        for _ in 0..3 {
            assert!(self.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
            assert!(self.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
        }
    }

    fn handle(&mut self, req: &Request) -> Value {
        let v = control::handle(&mut self.engine, self.now, req);
        self.drain();
        v
    }
}

fn sdp(addr: &str, port: u16) -> String {
    format!(
        "v=0\r\no=- 42 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
}

fn request(method: &str, call: &str, to_tag: Option<&str>, body: &str) -> String {
    let to = match to_tag {
        Some(t) => format!("<sip:2000@198.51.100.20>;tag={t}"),
        None => "<sip:2000@198.51.100.20>".to_string(),
    };
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} sip:2000@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1{method}\r\nMax-Forwards: 70\r\nFrom: <sip:1000@192.0.2.10>;tag=a1\r\nTo: {to}\r\nCall-ID: {call}\r\nCSeq: 1 {method}\r\nContact: <sip:1000@192.0.2.10:5060>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn response(status: &str, call: &str, body: &str) -> String {
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "SIP/2.0 {status}\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1INVITE\r\nFrom: <sip:1000@192.0.2.10>;tag=a1\r\nTo: <sip:2000@198.51.100.20>;tag=b1\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\nContact: <sip:2000@198.51.100.20:5060>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn temp_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sipwall-ops-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// handle()

#[test]
fn requests_serialise_tagged_kebab_case() {
    let r = Request::ShowSessions {
        zone_pair: Some("in-out".into()),
    };
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"cmd":"show-sessions","zone_pair":"in-out"}"#
    );
    assert_eq!(
        serde_json::from_str::<Request>(r#"{"cmd":"clear-zone-pair"}"#).unwrap(),
        Request::ClearZonePair { zone_pair: None }
    );
    assert_eq!(
        serde_json::from_str::<Request>(r#"{"cmd":"show-zone-pairs"}"#).unwrap(),
        Request::ShowZonePairs
    );
    assert!(serde_json::from_str::<Request>(r#"{"cmd":"reboot"}"#).is_err());
}

#[test]
fn show_zone_pairs_counts_sessions() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    let v = lab.handle(&Request::ShowZonePairs);
    let pairs = v["zone_pairs"].as_array().expect("list");
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0]["name"], "in-out");
    assert_eq!(pairs[0]["source"], "inside");
    assert_eq!(pairs[0]["destination"], "outside");
    assert_eq!(pairs[0]["policy"], "out-pm");
    assert_eq!(pairs[0]["sessions"], 1, "{v}");
    assert_eq!(pairs[1]["name"], "out-in");
    assert_eq!(pairs[1]["sessions"], 0);
}

#[test]
fn show_sessions_groups_by_class_with_pinhole_sessions_apart() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    let v = lab.handle(&Request::ShowSessions { zone_pair: None });
    let pairs = v["zone_pairs"].as_array().expect("list");
    assert_eq!(pairs.len(), 2);
    let classes = pairs[0]["classes"].as_array().expect("classes");
    assert_eq!(classes.len(), 2);
    assert_eq!(classes[0]["name"], "out-cm");
    assert_eq!(classes[0]["match"], "match-any");
    assert_eq!(
        classes[0]["matches"],
        serde_json::json!(["protocol sip", "protocol udp", "protocol tcp"])
    );
    assert_eq!(classes[0]["action"], "inspect");
    let sip = classes[0]["sessions"].as_array().expect("sessions");
    assert_eq!(sip.len(), 1);
    assert_eq!(sip[0]["src"], "192.0.2.10");
    assert_eq!(sip[0]["sport"], 5060);
    assert_eq!(sip[0]["dst"], "198.51.100.20");
    assert_eq!(sip[0]["inspect"], "sip");
    assert_eq!(classes[1]["name"], "class-default");
    assert_eq!(classes[1]["action"], "drop");
    // RTP both ways rides on pinholes: sessions without a zone-pair.
    let media = v["pinhole_sessions"].as_array().expect("pinhole sessions");
    assert!(!media.is_empty(), "{v}");
    assert!(media.iter().all(|s| s["inspect"] == "media"), "{v}");
    assert_eq!(v["truncated"], false);

    let one = lab.handle(&Request::ShowSessions {
        zone_pair: Some("out-in".into()),
    });
    assert_eq!(one["zone_pairs"].as_array().map(Vec::len), Some(1));
    assert!(one.get("pinhole_sessions").is_none());
    let bad = lab.handle(&Request::ShowSessions {
        zone_pair: Some("nope".into()),
    });
    assert_eq!(bad["error"], "no zone-pair named nope");
}

#[test]
fn show_calls_and_pinholes() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    let calls = lab.handle(&Request::ShowCalls);
    assert_eq!(calls["total"], 1);
    let c = &calls["calls"][0];
    assert_eq!(c["call_id"], "c1@phone");
    assert_eq!(c["state"], "confirmed");
    assert_eq!(c["media_packets"], 6, "{c}");
    let pinholes = lab.handle(&Request::ShowPinholes);
    let list = pinholes["pinholes"].as_array().expect("pinholes");
    assert_eq!(pinholes["total"], list.len());
    let kinds: Vec<(&str, u64)> = list
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap_or(""),
                p["dport"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(kinds.contains(&("rtp", 40000)), "{kinds:?}");
    assert!(kinds.contains(&("rtp", 50000)), "{kinds:?}");
    assert!(list.iter().all(|p| p["call_id"] == "c1@phone"));
}

#[test]
fn clear_zone_pair_closes_sessions_and_ends_the_call() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    let bad = lab.handle(&Request::ClearZonePair {
        zone_pair: Some("nope".into()),
    });
    assert_eq!(bad["error"], "no zone-pair named nope");
    let none = lab.handle(&Request::ClearZonePair {
        zone_pair: Some("out-in".into()),
    });
    assert_eq!(none["cleared"], 0);
    assert_eq!(lab.engine.call_count(), 1);
    let v = lab.handle(&Request::ClearZonePair {
        zone_pair: Some("in-out".into()),
    });
    assert_eq!(v["cleared"], 1);
    assert_eq!(v["zone_pair"], "in-out");
    assert_eq!(lab.engine.call_count(), 0);
    assert_eq!(lab.engine.pinhole_count(), 0);
    let pairs = lab.handle(&Request::ShowZonePairs);
    assert_eq!(pairs["zone_pairs"][0]["sessions"], 0);
}

#[test]
fn stats_counts_sip_by_method_and_code() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    // Unsolicited UDP from outside: class-default drop.
    assert!(!lab.udp(TRUNK, 9, PHONE, 9, b"x").is_accept());
    let s = lab.handle(&Request::Stats);
    assert_eq!(s["active_calls"], 1);
    assert!(s["sip_requests"]
        .as_array()
        .expect("list")
        .contains(&serde_json::json!({"method": "INVITE", "count": 1})));
    assert!(s["sip_responses"]
        .as_array()
        .expect("list")
        .contains(&serde_json::json!({"code": 200, "count": 1})));
    assert!(s["by_reason"].as_array().expect("list").contains(
        &serde_json::json!({"verdict": "drop", "reason": "class_default", "packets": 1})
    ));
}

// ---------------------------------------------------------------------------------------------
// The socket

#[test]
fn socket_round_trip_with_a_daemon_loop() {
    let dir = temp_dir();
    let path = dir.join("ctl.sock");
    // A stale socket file from a dead daemon is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("stale"));
    assert!(std::fs::symlink_metadata(&path).is_ok());
    let rx = control::spawn_server(&path).expect("server");
    let meta = std::fs::symlink_metadata(&path).expect("socket");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // No temporary directory is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").collect();
    assert_eq!(left.len(), 1);
    // A second server on a live socket is refused.
    let again = control::spawn_server(&path).expect_err("in use");
    assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);

    let daemon = std::thread::spawn(move || {
        let mut lab = Lab::new();
        lab.call("c1@phone");
        // Answer until every client is gone (the test drops nothing: count requests).
        for _ in 0..4 {
            let Ok((req, reply)) = rx.recv_timeout(Duration::from_secs(20)) else {
                return;
            };
            let v = lab.handle(&req);
            let _ = reply.send(v);
        }
    });
    let pairs = control::request(&path, &Request::ShowZonePairs).expect("show");
    assert_eq!(pairs["zone_pairs"][0]["name"], "in-out");
    let calls = control::request(&path, &Request::ShowCalls).expect("calls");
    assert_eq!(calls["calls"][0]["call_id"], "c1@phone");
    let err = control::request(
        &path,
        &Request::ClearZonePair {
            zone_pair: Some("nope".into()),
        },
    )
    .expect_err("unknown zone-pair");
    assert_eq!(err.to_string(), "no zone-pair named nope");

    // Raw protocol: a bad line gets an error and the connection stays usable.
    let mut s = UnixStream::connect(&path).expect("connect");
    s.write_all(b"{\"cmd\":\"launch\"}\n{\"cmd\":\"clear-zone-pair\",\"zone_pair\":\"in-out\"}\n")
        .expect("write");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut line = String::new();
    r.read_line(&mut line).expect("read");
    let v: Value = serde_json::from_str(&line).expect("json");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("bad request")),
        "{v}"
    );
    line.clear();
    r.read_line(&mut line).expect("read");
    let v: Value = serde_json::from_str(&line).expect("json");
    assert_eq!(v["cleared"], 1, "{v}");
    drop(s);
    daemon.join().expect("daemon");

    // An over-long line is refused.
    let mut s = UnixStream::connect(&path).expect("connect");
    let long = vec![b'x'; control::MAX_REQUEST_LINE + 10];
    let _ = s.write_all(&long);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.contains("longer than"), "{out}");

    // With the daemon gone, requests fail cleanly.
    let gone = control::request(&path, &Request::ShowCalls).expect_err("gone");
    assert_eq!(gone.to_string(), "sipwall is shutting down");
    control::remove_socket(&path).expect("remove");
    assert!(std::fs::symlink_metadata(&path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn connections_beyond_the_limit_are_answered_busy() {
    let dir = temp_dir();
    let path = dir.join("ctl.sock");
    let _rx = control::spawn_server(&path).expect("server");
    // Idle connections hold their slots (until the server's read timeout).
    let held: Vec<UnixStream> = (0..control::MAX_CONNECTIONS)
        .map(|_| UnixStream::connect(&path).expect("connect"))
        .collect();
    let mut extra = UnixStream::connect(&path).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut out = String::new();
    extra.read_to_string(&mut out).expect("read");
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert!(
        v["error"].as_str().is_some_and(|e| e.starts_with("busy")),
        "{v}"
    );
    drop(held);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn server_never_replaces_a_regular_file() {
    let dir = temp_dir();
    let path = dir.join("not-a-socket");
    std::fs::write(&path, b"keep me").expect("write");
    let e = control::spawn_server(&path).expect_err("refused");
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&path).expect("kept"), b"keep me");
    // remove_socket leaves it too.
    control::remove_socket(&path).expect("noop");
    assert!(path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// Parse the exposition back: every sample's family has HELP and TYPE before it; returns
/// (name{labels}, value) pairs.
fn parse_exposition(text: &str) -> Vec<(String, u64)> {
    let mut helped = std::collections::HashSet::new();
    let mut typed = std::collections::HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("help text");
            assert!(!help.is_empty());
            assert!(helped.insert(name.to_string()), "HELP twice for {name}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("type");
            assert!(matches!(kind, "counter" | "gauge"), "{line}");
            assert!(typed.insert(name.to_string(), kind.to_string()).is_none());
        } else {
            assert!(!line.starts_with('#'), "{line}");
            let (series, value) = line.rsplit_once(' ').expect("sample");
            let name = series.split('{').next().expect("name");
            assert!(helped.contains(name), "no HELP before {line}");
            assert!(typed.contains_key(name), "no TYPE before {line}");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{name}"
            );
            if typed[name] == "counter" {
                assert!(name.ends_with("_total"), "{name}");
            }
            samples.push((series.to_string(), value.parse().expect("integer")));
        }
    }
    assert!(text.ends_with('\n'));
    samples
}

#[test]
fn metrics_render_parses_back() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    assert!(!lab.udp(TRUNK, 9, PHONE, 9, b"x").is_accept());
    let driver = DriverCounters {
        queued: 42,
        queue_drops: 3,
        verdict_errors: 0,
        fastpath_elements: 4,
        reloads: 2,
        reload_failures: 1,
    };
    let text = metrics::render(&lab.engine, &driver);
    let samples = parse_exposition(&text);
    let get = |s: &str| {
        samples
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{s} missing in\n{text}"))
    };
    assert_eq!(
        get(r#"sipwall_packets_total{verdict="drop",reason="class_default"}"#),
        1
    );
    assert_eq!(get(r#"sipwall_sip_requests_total{method="INVITE"}"#), 1);
    assert_eq!(get(r#"sipwall_sip_requests_total{method="ACK"}"#), 1);
    assert_eq!(get(r#"sipwall_sip_responses_total{code="180"}"#), 1);
    assert_eq!(get(r#"sipwall_sip_responses_total{code="200"}"#), 1);
    assert_eq!(get(r#"sipwall_violations_total{code="tcp_no_syn"}"#), 0);
    assert_eq!(get("sipwall_active_calls"), 1);
    assert_eq!(
        get("sipwall_active_pinholes"),
        lab.engine.pinhole_count() as u64
    );
    assert_eq!(get("sipwall_active_flows"), lab.engine.flow_count() as u64);
    assert_eq!(get("sipwall_queue_packets_total"), 42);
    assert_eq!(get("sipwall_queue_drops_total"), 3);
    assert_eq!(get("sipwall_fastpath_elements"), 4);
    assert_eq!(get("sipwall_reloads_total"), 2);
    assert_eq!(get("sipwall_reload_failures_total"), 1);
    let accepted: u64 = samples
        .iter()
        .filter(|(k, _)| k.starts_with("sipwall_packets_total{verdict=\"accept\""))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(accepted, lab.engine.stats().accepted);
    // Deterministic order.
    assert_eq!(text, metrics::render(&lab.engine, &driver));
}

#[test]
fn metrics_violation_drops_are_counted() {
    let mut lab = Lab::new();
    // A TCP ACK with no session from inside: tcp_no_syn.
    let mut pkt = Vec::new();
    PacketBuilder::ipv4(PHONE, TRUNK, 64)
        .tcp(40000, 80, 1, 1000)
        .ack(1)
        .write(&mut pkt, b"")
        .expect("build");
    let meta = lab.engine.sides_by_route(
        IpAddr::V4(Ipv4Addr::from(PHONE)),
        IpAddr::V4(Ipv4Addr::from(TRUNK)),
    );
    let v = lab.engine.handle_packet(lab.now, &meta, &pkt);
    assert!(!v.is_accept());
    let text = metrics::render(&lab.engine, &DriverCounters::default());
    assert!(
        text.lines()
            .any(|l| l == r#"sipwall_violations_total{code="tcp_no_syn"} 1"#),
        "{text}"
    );
}

fn http_get(addr: std::net::SocketAddr, head: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(head.as_bytes()).expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn metrics_http_round_trip() {
    let mut lab = Lab::new();
    lab.call("c1@phone");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let m = Metrics::serve(listener).expect("serve");
    m.update(&lab.engine, &DriverCounters::default());
    let resp = http_get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let (head, body) = resp.split_once("\r\n\r\n").expect("head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(
        head.contains(&format!("Content-Length: {}", body.len())),
        "{head}"
    );
    assert_eq!(body, m.text());
    assert!(body.contains("sipwall_active_calls 1\n"));
    parse_exposition(body);

    let resp = http_get(addr, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 200 OK"), "{resp}");
    let resp = http_get(addr, "GET / HTTP/1.1\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 404 "), "{resp}");
    let resp = http_get(addr, "POST /metrics HTTP/1.1\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 405 "), "{resp}");
    assert!(resp.contains("\r\nAllow: GET\r\n"), "{resp}");
    let resp = http_get(addr, "garbage\r\n\r\n");
    assert!(resp.starts_with("HTTP/1.1 400 "), "{resp}");
    let big = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    let mut s = TcpStream::connect(addr).expect("connect");
    let _ = s.write_all(big.as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
}

#[test]
fn metrics_spawn_binds_the_address() {
    let m = Metrics::spawn("127.0.0.1:0".parse().expect("addr")).expect("spawn");
    assert_eq!(m.text(), "");
    assert_eq!(
        metrics::DEFAULT_ADDR
            .parse::<std::net::SocketAddr>()
            .map(|a| a.ip().is_loopback())
            .ok(),
        Some(true)
    );
}
