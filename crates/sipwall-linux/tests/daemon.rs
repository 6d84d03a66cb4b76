//! The live daemon in network namespaces of its own: rules installed and removed, UDP
//! accepted and dropped through NFQUEUE, SIGHUP reload (bad file kept out, good file applied),
//! SIGTERM clean exit, `kill -9` fail-closed, restart cleaning stale rules.
//!
//! Needs root, `ip` and `iptables`; otherwise it prints why and passes. Three namespaces
//! `<prefix>-in | <prefix>-fw | <prefix>-out` (documentation addresses, only inside them) are
//! created per run and always deleted (a Drop guard, which also kills the processes started).
//!
//! The processes in the namespaces are this test binary itself, re-run by `ip netns exec` with
//! `SIPWALL_TEST_ROLE` set (`daemon`, `echo`, `probe`): see [`role`].

// Real processes in real time: this test, like the driver, reads the clock.
#![allow(clippy::disallowed_methods)]

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sipwall_linux::daemon::{self, RunOptions};

const ROLE: &str = "SIPWALL_TEST_ROLE";
const ARG: &str = "SIPWALL_TEST_ARG";
const EVENTS: &str = "SIPWALL_TEST_EVENTS";
const PORT: u16 = 4000;
const INSIDE_HOST: &str = "192.0.2.10";
const OUTSIDE_HOST: &str = "198.51.100.20";

/// Outbound UDP is inspected (replies pass); inbound only SIP, unless `inbound_udp`.
fn config(inbound_udp: bool) -> String {
    format!(
        "class-map type inspect match-any out-any\n match protocol udp\n\
         class-map type inspect match-any in-sip\n match protocol sip\n{}\
         policy-map type inspect p-out\n class type inspect out-any\n  inspect\n class class-default\n  drop\n\
         policy-map type inspect p-in\n class type inspect in-sip\n  inspect\n class class-default\n  drop\n\
         zone security inside\nzone security outside\n\
         zone-pair security in-out source inside destination outside\n service-policy type inspect p-out\n\
         zone-pair security out-in source outside destination inside\n service-policy type inspect p-in\n\
         interface eth0\n ip address 192.0.2.1 255.255.255.0\n zone-member security inside\n\
         interface eth1\n ip address 198.51.100.1 255.255.255.0\n zone-member security outside\n",
        if inbound_udp {
            " match protocol udp\n"
        } else {
            ""
        }
    )
}

/// The processes the main test starts in the namespaces. Without `SIPWALL_TEST_ROLE` this is
/// an empty test.
#[test]
fn role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let arg = std::env::var(ARG).unwrap_or_default();
    let code = match role.as_str() {
        "daemon" => {
            let mut opts = RunOptions::new(PathBuf::from(arg));
            opts.no_fastpath = true;
            opts.events = std::env::var(EVENTS).ok().map(PathBuf::from);
            match daemon::run(opts) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("daemon: {e}");
                    1
                }
            }
        }
        "echo" => echo(&arg),
        "probe" => probe(&arg),
        _ => 2,
    };
    std::process::exit(code);
}

/// Echo UDP datagrams on `0.0.0.0:PORT` for at most 60 s.
fn echo(port: &str) -> i32 {
    let Ok(sock) = UdpSocket::bind(("0.0.0.0", port.parse().unwrap_or(PORT))) else {
        return 1;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let until = Instant::now() + Duration::from_secs(60);
    let mut buf = [0u8; 2048];
    while Instant::now() < until {
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            let _ = sock.send_to(buf.get(..n).unwrap_or_default(), from);
        }
    }
    0
}

/// Send to `ADDR:PORT` and wait for the echo: exit 0 with a reply, 3 without.
fn probe(target: &str) -> i32 {
    let Ok(to) = target.parse::<SocketAddr>() else {
        return 2;
    };
    let Ok(sock) = UdpSocket::bind("0.0.0.0:0") else {
        return 1;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(300)));
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        let _ = sock.send_to(b"sipwall-probe", to);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if buf.get(..n) == Some(b"sipwall-probe".as_slice()) {
                return 0;
            }
        }
    }
    3
}

/// Namespaces and processes of one run; dropping it kills the processes and deletes the
/// namespaces (which takes their interfaces and iptables rules with them).
struct Lab {
    prefix: String,
    dir: PathBuf,
    children: Vec<Child>,
}

impl Lab {
    fn ns(&self, n: &str) -> String {
        format!("{}-{n}", self.prefix)
    }

    fn up(prefix: &str) -> Result<Lab, String> {
        let dir = std::env::temp_dir().join(format!("{prefix}-sipwall-test"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let lab = Lab {
            prefix: prefix.to_string(),
            dir,
            children: Vec::new(),
        };
        let (i, f, o) = (lab.ns("in"), lab.ns("fw"), lab.ns("out"));
        for n in [&i, &f, &o] {
            sh(&["ip", "netns", "add", n])?;
            sh(&["ip", "-n", n, "link", "set", "lo", "up"])?;
        }
        // Veths created inside fw with the peer moved at once: nothing appears in the host's
        // namespace.
        sh(&[
            "ip", "-n", &f, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns",
            &i,
        ])?;
        sh(&[
            "ip", "-n", &f, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns",
            &o,
        ])?;
        sh(&["ip", "-n", &f, "addr", "add", "192.0.2.1/24", "dev", "eth0"])?;
        sh(&[
            "ip",
            "-n",
            &f,
            "addr",
            "add",
            "198.51.100.1/24",
            "dev",
            "eth1",
        ])?;
        sh(&[
            "ip",
            "-n",
            &i,
            "addr",
            "add",
            "192.0.2.10/24",
            "dev",
            "eth0",
        ])?;
        sh(&[
            "ip",
            "-n",
            &o,
            "addr",
            "add",
            "198.51.100.20/24",
            "dev",
            "eth0",
        ])?;
        for (n, d) in [(&f, "eth0"), (&f, "eth1"), (&i, "eth0"), (&o, "eth0")] {
            sh(&["ip", "-n", n, "link", "set", d, "up"])?;
        }
        sh(&[
            "ip",
            "-n",
            &i,
            "route",
            "add",
            "default",
            "via",
            "192.0.2.1",
        ])?;
        sh(&[
            "ip",
            "-n",
            &o,
            "route",
            "add",
            "default",
            "via",
            "198.51.100.1",
        ])?;
        sh(&[
            "ip",
            "netns",
            "exec",
            &f,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ])?;
        Ok(lab)
    }

    /// Start this binary in namespace `ns` with a role; stderr to `<dir>/<log>`.
    fn spawn(&mut self, ns: &str, role: &str, arg: &str, log: &str) -> Result<u32, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let err = std::fs::File::create(self.dir.join(log)).map_err(|e| e.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(ns)])
            .arg(exe)
            .args(["--exact", "role", "--nocapture", "--test-threads", "1"])
            .env(ROLE, role)
            .env(ARG, arg)
            .env(EVENTS, self.dir.join("events.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .map_err(|e| e.to_string())?;
        let pid = child.id();
        self.children.push(child);
        Ok(pid)
    }

    /// `ip netns exec` execs the program: the child's pid is the daemon's.
    fn child(&mut self, pid: u32) -> Option<&mut Child> {
        self.children.iter_mut().find(|c| c.id() == pid)
    }

    fn probe(&mut self, from: &str, to: &str) -> bool {
        let exe = std::env::current_exe().expect("the test binary has a path");
        Command::new("ip")
            .args(["netns", "exec", &self.ns(from)])
            .arg(exe)
            .args(["--exact", "role", "--nocapture", "--test-threads", "1"])
            .env(ROLE, "probe")
            .env(ARG, format!("{to}:{PORT}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// `iptables -S` (or `ip6tables`) inside fw.
    fn rules(&self, prog: &str) -> String {
        Command::new("ip")
            .args(["netns", "exec", &self.ns("fw"), prog, "-w", "-S"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    fn wait_rules(&self, present: bool) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            let v4 = self.rules("iptables");
            let jumps = v4.lines().filter(|l| l.ends_with("-j SIPWALL")).count();
            let done = if present {
                jumps == 8 && v4.contains("-A SIPWALL -j NFQUEUE --queue-num 0")
            } else {
                !v4.contains("SIPWALL")
            };
            if done {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Wait until the daemon logged that it runs (rules installed, queue bound).
    fn wait_running(&self, log: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if self.log(log).contains("sipwall: running:") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for n in ["in", "fw", "out"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(n)])
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sh(args: &[&str]) -> Result<(), String> {
    let (prog, rest) = args.split_first().ok_or("empty command")?;
    let out = Command::new(prog)
        .args(rest)
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn signal(sig: &str, pid: u32) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn skip_reason() -> Option<String> {
    let uid = Command::new("id").arg("-u").output();
    match uid {
        Ok(o) if String::from_utf8_lossy(&o.stdout).trim() == "0" => {}
        _ => return Some("not running as root".into()),
    }
    for prog in ["ip", "iptables"] {
        match Command::new(prog).arg("-V").output() {
            Err(e) if e.kind() == ErrorKind::NotFound => return Some(format!("no {prog}")),
            Err(e) => return Some(format!("{prog}: {e}")),
            Ok(_) => {}
        }
    }
    None
}

#[test]
fn live_queue_in_namespaces() {
    if let Some(why) = skip_reason() {
        eprintln!("SKIPPED live_queue_in_namespaces: {why}");
        return;
    }
    let prefix = format!("lct{}", std::process::id());
    let mut lab = match Lab::up(&prefix) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("SKIPPED live_queue_in_namespaces: cannot build namespaces: {e}");
            return;
        }
    };
    let cfg = lab.dir.join("fw.cfg");
    std::fs::write(&cfg, config(false)).expect("write the config");
    let cfg_arg = cfg.display().to_string();
    let port = PORT.to_string();
    lab.spawn("in", "echo", &port, "echo-in.log")
        .expect("echo in");
    lab.spawn("out", "echo", &port, "echo-out.log")
        .expect("echo out");

    // Without sipwall everything passes (the namespaces' chains accept).
    assert!(!lab.rules("iptables").contains("SIPWALL"));
    assert!(lab.probe("in", OUTSIDE_HOST), "baseline in -> out");
    assert!(lab.probe("out", INSIDE_HOST), "baseline out -> in");

    // Running: outbound UDP inspected, inbound non-SIP dropped.
    let pid = lab
        .spawn("fw", "daemon", &cfg_arg, "daemon1.log")
        .expect("daemon");
    assert!(
        lab.wait_running("daemon1.log"),
        "{}",
        lab.log("daemon1.log")
    );
    assert!(
        lab.wait_rules(true),
        "rules installed:\n{}\n{}",
        lab.rules("iptables"),
        lab.log("daemon1.log")
    );
    let v4 = lab.rules("iptables");
    // No fast path in this test: only the mark rule of forged resets.
    assert!(!v4.contains("--mark 0x51570001"), "{v4}");
    assert!(
        v4.contains("-A SIPWALL -m mark --mark 0x51570002 -j ACCEPT"),
        "{v4}"
    );
    assert!(!v4.contains("--queue-bypass"), "{v4}");
    assert!(v4.contains("-A FORWARD -i eth0 -j SIPWALL"), "{v4}");
    assert!(v4.contains("-A OUTPUT -o eth1 -j SIPWALL"), "{v4}");
    assert!(
        lab.probe("in", OUTSIDE_HOST),
        "in -> out inspected: {}",
        lab.log("daemon1.log")
    );
    assert!(
        !lab.probe("out", INSIDE_HOST),
        "out -> in UDP must be dropped"
    );

    // SIGHUP with a broken file: rejected, the running configuration stays.
    std::fs::write(&cfg, format!("{}bogus command\n", config(true))).expect("write");
    signal("-HUP", pid);
    std::thread::sleep(Duration::from_millis(300));
    assert!(lab
        .child(pid)
        .is_some_and(|c| matches!(c.try_wait(), Ok(None))));
    assert!(
        lab.log("daemon1.log").contains("reload rejected"),
        "{}",
        lab.log("daemon1.log")
    );
    assert!(!lab.probe("out", INSIDE_HOST), "still the old policy");
    // SIGHUP with a good file: applied.
    std::fs::write(&cfg, config(true)).expect("write");
    signal("-HUP", pid);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        lab.log("daemon1.log").contains("reloaded"),
        "{}",
        lab.log("daemon1.log")
    );
    assert!(
        lab.probe("out", INSIDE_HOST),
        "out -> in UDP allowed after reload"
    );

    // Events: JSON lines with "ts".
    let events = lab.log("events.jsonl");
    let first: serde_json::Value =
        serde_json::from_str(events.lines().next().unwrap_or("null")).expect("a JSON line");
    assert_eq!(first["event"], "flow_open", "{events}");
    assert!(first["ts"].as_f64().is_some_and(|t| t > 1.0e9), "{events}");

    // SIGTERM: exit 0, rules gone.
    signal("-TERM", pid);
    let st = lab
        .child(pid)
        .and_then(|c| wait_exit(c, Duration::from_secs(5)));
    assert!(
        st.is_some_and(|s| s.success()),
        "clean exit: {st:?} {}",
        lab.log("daemon1.log")
    );
    assert!(
        lab.wait_rules(false),
        "rules removed: {}",
        lab.rules("iptables")
    );
    assert!(!lab.rules("ip6tables").contains("SIPWALL"));

    // kill -9: the rules stay and nothing is forwarded (fail-closed).
    std::fs::write(&cfg, config(false)).expect("write");
    let pid = lab
        .spawn("fw", "daemon", &cfg_arg, "daemon2.log")
        .expect("daemon");
    assert!(
        lab.wait_running("daemon2.log"),
        "{}",
        lab.log("daemon2.log")
    );
    assert!(lab.wait_rules(true), "{}", lab.log("daemon2.log"));
    assert!(lab.probe("in", OUTSIDE_HOST));
    if let Some(c) = lab.child(pid) {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert!(lab.rules("iptables").contains("-j NFQUEUE"));
    assert!(!lab.probe("in", OUTSIDE_HOST), "fail-closed after kill -9");

    // The next start removes the stale rules and works.
    let pid = lab
        .spawn("fw", "daemon", &cfg_arg, "daemon3.log")
        .expect("daemon");
    assert!(
        lab.wait_running("daemon3.log"),
        "{}",
        lab.log("daemon3.log")
    );
    assert!(lab.wait_rules(true), "{}", lab.log("daemon3.log"));
    assert!(
        lab.log("daemon3.log").contains("stale rule"),
        "{}",
        lab.log("daemon3.log")
    );
    assert!(lab.probe("in", OUTSIDE_HOST), "works after restart");
    signal("-TERM", pid);
    let st = lab
        .child(pid)
        .and_then(|c| wait_exit(c, Duration::from_secs(5)));
    assert!(st.is_some_and(|s| s.success()));
    assert!(lab.wait_rules(false));
    drop(lab);
    assert!(!Path::new(&format!("/run/netns/{prefix}-fw")).exists());
}
