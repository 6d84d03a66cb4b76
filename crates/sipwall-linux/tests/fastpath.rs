//! The kernel fast path for real, in two network namespaces made for the test (never the
//! host's rules): `fw` runs `examples/fastpath_probe` (a `FastPath` driven over stdin) under
//! `ip netns exec`, `peer` sends UDP to it across a veth pair. Marks are counted by a separate
//! nft table in `fw`. Skips (with a message) unless root with `nft` and `ip`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

const FW4: &str = "10.251.0.1";
const PEER4: &str = "10.251.0.2";
const FW6: &str = "fd51::1";
const PEER6: &str = "fd51::2";

fn ok(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn in_ns(ns: &str, cmd: &[&str]) -> String {
    let mut args = vec!["netns", "exec", ns];
    args.extend_from_slice(cmd);
    run("ip", &args)
}

/// Deletes the namespaces (and with them the veths and every rule in them).
struct Netns(Vec<String>);

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

struct Probe {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Probe {
    fn cmd(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").expect("write to probe");
        self.stdin.flush().expect("flush");
        let mut out = String::new();
        self.stdout.read_line(&mut out).expect("read from probe");
        let out = out.trim_end().to_owned();
        assert!(out.starts_with("ok"), "probe `{line}` -> `{out}`");
        out.trim_start_matches("ok").trim().to_owned()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn probe_path() -> Option<PathBuf> {
    // target/<profile>/deps/fastpath-HASH -> target/<profile>/examples/fastpath_probe
    let exe = std::env::current_exe().ok()?;
    let p = exe
        .parent()?
        .parent()?
        .join("examples")
        .join("fastpath_probe");
    p.exists().then_some(p)
}

/// Packets counted by the rule with `comment "NAME"` in the test table.
fn counter(ns: &str, name: &str) -> u64 {
    let listing = in_ns(ns, &["nft", "list", "table", "inet", "sipwall_fptest"]);
    let line = listing
        .lines()
        .find(|l| l.contains(&format!("comment \"{name}\"")))
        .unwrap_or_else(|| panic!("no rule {name} in {listing}"));
    let after = line.split("packets ").nth(1).expect("packets");
    after
        .split_whitespace()
        .next()
        .expect("n")
        .parse()
        .expect("number")
}

fn set(ns: &str, name: &str) -> String {
    in_ns(ns, &["nft", "list", "set", "inet", "sipwall_fp", name])
}

#[test]
fn fast_path_in_a_namespace() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root || !ok("nft", &["--version"]) || !ok("ip", &["-V"]) {
        eprintln!("skipping fast_path_in_a_namespace: needs root, nft and ip");
        return;
    }
    let Some(probe) = probe_path() else {
        eprintln!("skipping fast_path_in_a_namespace: examples/fastpath_probe not built");
        return;
    };
    let probe = probe.to_str().expect("utf-8 path").to_owned();
    let id = std::process::id();
    let fw = format!("sipwall-fpt-fw-{id}");
    let peer = format!("sipwall-fpt-peer-{id}");
    let _guard = Netns(vec![fw.clone(), peer.clone()]);
    run("ip", &["netns", "add", &fw]);
    run("ip", &["netns", "add", &peer]);
    run(
        "ip",
        &[
            "link", "add", "fpt0", "netns", &fw, "type", "veth", "peer", "name", "fpt1", "netns",
            &peer,
        ],
    );
    for (ns, dev, a4, a6) in [(&fw, "fpt0", FW4, FW6), (&peer, "fpt1", PEER4, PEER6)] {
        in_ns(ns, &["ip", "addr", "add", &format!("{a4}/24"), "dev", dev]);
        in_ns(
            ns,
            &[
                "ip",
                "addr",
                "add",
                &format!("{a6}/64"),
                "dev",
                dev,
                "nodad",
            ],
        );
        in_ns(ns, &["ip", "link", "set", dev, "up"]);
        in_ns(ns, &["ip", "link", "set", "lo", "up"]);
    }
    // Counters of marked / all packets, in a table of the test's own, at priority filter (0),
    // i.e. where the iptables filter chains see the packets.
    let mut nft = Command::new("ip")
        .args(["netns", "exec", &fw, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft");
    let rules = "table inet sipwall_fptest {
  chain in { type filter hook input priority 0; policy accept;
    udp dport 4000 meta mark 0x51570001 counter comment \"m4000\"
    udp dport 4000 counter comment \"t4000\"
    udp dport 4001 meta mark 0x51570001 counter comment \"m4001\"
    udp dport 4001 counter comment \"t4001\"
    udp dport 4002 meta mark 0x51570001 counter comment \"m4002\"
  }
  chain out { type filter hook output priority 0; policy accept;
    udp dport 5000 meta mark 0x51570001 counter comment \"o5000\"
  }
}
";
    nft.stdin
        .take()
        .expect("stdin")
        .write_all(rules.as_bytes())
        .expect("write");
    assert!(nft.wait().expect("nft").success());

    let mut child = Command::new("ip")
        .args(["netns", "exec", &fw, &probe])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("probe");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut p = Probe {
        child,
        stdin,
        stdout,
    };

    p.cmd("install");
    assert_eq!(
        p.cmd(&format!("open 1 17 {PEER4} {FW4} 4000 30")),
        "elements 1"
    );
    assert_eq!(p.cmd(&format!("open 2 17 - {FW6} 4002 30")), "elements 2");
    assert_eq!(p.cmd(&format!("open 3 17 - {PEER4} 5000 30")), "elements 3");
    assert_eq!(
        p.cmd(&format!("open 4 50 {PEER4} {FW4} 0 30")),
        "elements 4"
    );
    // The same pattern again (a re-INVITE): shares the element.
    assert_eq!(p.cmd(&format!("open 9 17 - {PEER4} 5000 30")), "elements 4");

    let s = set(&fw, "fp4_sdp");
    assert!(s.contains(&format!("{PEER4} . {FW4} . udp . 4000")), "{s}");
    assert!(s.contains("timeout 32s"), "{s}");
    let s = set(&fw, "fp6_dp");
    assert!(s.contains(&format!("{FW6} . udp . 4002")), "{s}");
    let s = set(&fw, "fp4_sd_esp");
    assert!(s.contains(&format!("{PEER4} . {FW4} . esp")), "{s}");

    // Traffic: peer -> fw (prerouting), v4 with an element, v4 without, v6 from any source.
    let send = |ns: &str, addr: &str, port: &str, n: &str| {
        let out = in_ns(ns, &[&probe, "send", addr, port, n]);
        assert!(out.starts_with("ok"), "{out}");
    };
    send(&peer, FW4, "4000", "5");
    send(&peer, FW4, "4001", "3");
    send(&peer, FW6, "4002", "4");
    // fw -> peer (output hook).
    p.cmd(&format!("send {PEER4} 5000 2"));
    sleep(Duration::from_millis(200));
    assert_eq!(counter(&fw, "m4000"), 5);
    assert_eq!(counter(&fw, "t4000"), 5);
    assert_eq!(counter(&fw, "m4001"), 0, "no element, no mark");
    assert_eq!(counter(&fw, "t4001"), 3);
    assert_eq!(counter(&fw, "m4002"), 4);
    assert_eq!(counter(&fw, "o5000"), 2);

    // Usage per pinhole: 72 bytes payload + 8 UDP + 20 IPv4 / 40 IPv6.
    let u = p.cmd("poll");
    let usage: Vec<&str> = u.split_whitespace().collect();
    assert_eq!(usage, ["1:5:500", "2:4:480", "3:2:200", "9:2:200"], "{u}");
    assert_eq!(p.cmd("poll"), "", "deltas only");

    // Refresh: an element with a 1 s idle timeout (3 s in the kernel) lives while used.
    assert_eq!(p.cmd(&format!("open 5 17 - {FW4} 4005 1")), "elements 5");
    for _ in 0..5 {
        send(&peer, FW4, "4005", "1");
        assert_eq!(p.cmd("poll"), "5:1:100");
        sleep(Duration::from_millis(900));
    }
    assert!(
        set(&fw, "fp4_dp").contains(&format!("{FW4} . udp . 4005")),
        "refreshed"
    );
    sleep(Duration::from_millis(3500));
    assert_eq!(p.cmd("poll"), "");
    assert!(!set(&fw, "fp4_dp").contains("4005"), "expired when idle");
    assert_eq!(p.cmd("count"), "4", "expired element forgotten");

    // Close deletes; traffic is no longer marked.
    assert_eq!(p.cmd("close 1"), "elements 3");
    assert!(!set(&fw, "fp4_sdp").contains("4000"));
    send(&peer, FW4, "4000", "3");
    sleep(Duration::from_millis(100));
    assert_eq!(counter(&fw, "m4000"), 5);
    assert_eq!(counter(&fw, "t4000"), 8);
    // Shared element: closing one owner keeps it.
    assert_eq!(p.cmd("close 3"), "elements 3");
    assert_eq!(p.cmd("close 9"), "elements 2");
    // Closing twice, or a pinhole never seen, is harmless.
    assert_eq!(p.cmd("close 1"), "elements 2");

    let bench = p.cmd("bench 1000");
    eprintln!("fast path bench (debug build): {bench}");

    assert_eq!(p.cmd("remove"), "removed");
    let tables = in_ns(&fw, &["nft", "list", "tables"]);
    assert!(
        !tables.contains("sipwall_fp\n") && !tables.contains("sipwall_fp "),
        "{tables}"
    );
    assert!(tables.contains("sipwall_fptest"));
}
