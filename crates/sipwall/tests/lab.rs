//! End-to-end tests on the lab topology (issue 4, items a–h): three network namespaces
//! (`lab/topo.sh`), `sipwall run` in the firewall namespace with `examples/config/lab.cfg` (or
//! a variant), SIPp driving calls, and nftables counters in the end namespaces as the ground
//! truth for what crossed the firewall.
//!
//! Requirements: root, and `ip`, `iptables`, `nft`, `sipp` (Debian `sip-tester`), `python3`.
//! Without them every test prints `SKIP` and passes.
//!
//! Environment:
//! - `SIPWALL_LAB=0`: skip all of them.
//! - `SIPWALL_LAB_PLAIN=1`: run without sipwall (the firewall namespace only forwards). This
//!   checks the harness itself: calls and media must still work, and the "must be dropped"
//!   probes must instead arrive (proving that each probe can see a packet cross).
//! - `SIPWALL_LAB_KEEP=1`: keep each test's work directory (logs, events) after success too.
//!
//! The tests are serialised by a mutex: the machine has few cores and SIPp is timing-bound.

// A driver of real processes: timeouts need the monotonic clock (the engine never sees it).
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

const PHONE: &str = "192.0.2.10";
const TRUNK: &str = "198.51.100.20";
const REGISTRAR: &str = "198.51.100.30";
/// The attacker on the outside segment (`lab/topo.sh up PREFIX attacker`).
const ATTACKER: &str = "198.51.100.66";
const QUEUE: &str = "7";

fn workspace() -> PathBuf {
    // crates/sipwall -> workspace root
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lab_dir() -> PathBuf {
    workspace().join("lab")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `Some(reason)` when the lab cannot run here.
fn skip_reason() -> Option<String> {
    if std::env::var("SIPWALL_LAB").as_deref() == Ok("0") {
        return Some("SIPWALL_LAB=0".into());
    }
    if !is_root() {
        return Some("not root".into());
    }
    for tool in ["ip", "iptables", "nft", "sipp", "python3", "sysctl"] {
        if !have(tool) {
            return Some(format!("`{tool}` not found"));
        }
    }
    None
}

fn plain() -> bool {
    std::env::var("SIPWALL_LAB_PLAIN").as_deref() == Ok("1")
}

/// Take the lab lock, or print SKIP and return None.
fn begin(test: &str) -> Option<std::sync::MutexGuard<'static, ()>> {
    if let Some(why) = skip_reason() {
        eprintln!("SKIP lab test {test}: {why}");
        return None;
    }
    // A failed (panicked) test poisons the lock; the next one still runs.
    Some(SERIAL.lock().unwrap_or_else(|e| e.into_inner()))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tail(path: &Path, n: usize) -> String {
    let s = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A running topology; dropping it kills what it started and removes the namespaces.
struct Lab {
    prefix: String,
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

/// Which namespace.
#[derive(Clone, Copy)]
enum Ns {
    In,
    Fw,
    Out,
    /// The attacker's namespace (only with `Lab::up_with_attacker`).
    Atk,
}

impl Lab {
    fn up(test: &str) -> Lab {
        Lab::up_opt(test, false)
    }

    /// The topology with a fourth namespace, PREFIX-atk (198.51.100.66), on the outside segment.
    fn up_with_attacker(test: &str) -> Lab {
        Lab::up_opt(test, true)
    }

    fn up_opt(test: &str, attacker: bool) -> Lab {
        let prefix = format!("swl{}{}", test, std::process::id() % 100_000);
        let dir = std::env::temp_dir().join(format!("sipwall-lab-{prefix}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("pcap")).expect("create the lab work directory");
        let topo = lab_dir().join("topo.sh");
        // A leftover from an earlier crashed run with the same prefix.
        let _ = Command::new("bash")
            .arg(&topo)
            .args(["down", &prefix])
            .output();
        let lab = Lab {
            prefix: prefix.clone(),
            dir,
            children: Vec::new(),
        };
        let mut up = vec!["up", prefix.as_str()];
        if attacker {
            up.push("attacker");
        }
        let o = Command::new("bash")
            .arg(&topo)
            .args(&up)
            .output()
            .expect("run lab/topo.sh");
        assert!(
            o.status.success(),
            "lab/topo.sh up {prefix} failed:\n{}",
            text(&o)
        );
        // Media for the scenarios: our own captures, and the ones sip-tester ships for the
        // built-in uac_pcap scenario (pcap/g711a.pcap, pcap/dtmf_2833_1.pcap).
        let o = Command::new("python3")
            .arg(lab_dir().join("mkpcap.py"))
            .arg(lab.dir.join("pcap"))
            .output()
            .expect("run lab/mkpcap.py");
        assert!(o.status.success(), "lab/mkpcap.py failed:\n{}", text(&o));
        if let Ok(rd) = fs::read_dir("/usr/share/sip-tester") {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "pcap") {
                    if let Some(name) = p.file_name() {
                        let _ = std::os::unix::fs::symlink(&p, lab.dir.join("pcap").join(name));
                    }
                }
            }
        }
        lab
    }

    fn ns(&self, ns: Ns) -> String {
        let s = match ns {
            Ns::In => "in",
            Ns::Fw => "fw",
            Ns::Out => "out",
            Ns::Atk => "atk",
        };
        format!("{}-{s}", self.prefix)
    }

    fn cmd(&self, ns: Ns, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns(ns)]).args(args);
        c.current_dir(&self.dir);
        c
    }

    /// Run to completion; panics with the output if it fails.
    fn run(&self, ns: Ns, args: &[&str]) -> String {
        let o = self.cmd(ns, args).output().expect("spawn ip netns exec");
        assert!(
            o.status.success(),
            "`{}` in {} failed:\n{}",
            args.join(" "),
            self.ns(ns),
            text(&o)
        );
        text(&o)
    }

    /// Start in the background, output to `<dir>/<name>.log`; killed when the lab drops.
    fn spawn(&mut self, ns: Ns, name: &str, args: &[&str]) {
        let log = fs::File::create(self.dir.join(format!("{name}.log"))).expect("create a log");
        let err = log.try_clone().expect("clone a log handle");
        let child = self
            .cmd(ns, args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn ip netns exec");
        self.children.push((name.to_string(), child));
    }

    /// Wait for a background process started with `spawn` to exit by itself.
    fn wait_child(&mut self, name: &str, timeout: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + timeout;
        let idx = self.children.iter().position(|(n, _)| n == name)?;
        loop {
            if let Ok(Some(st)) = self.children[idx].1.try_wait() {
                return Some(st);
            }
            if Instant::now() > end {
                return None;
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// A named nftables counter in an end namespace for packets arriving at `rule`
    /// (an nft match expression), e.g. `ip saddr 192.0.2.10 udp dport 6000`.
    fn counter(&self, ns: Ns, name: &str, rule: &str) {
        let n = self.ns(ns);
        let script = format!(
            "add table ip lab\n\
             add chain ip lab input {{ type filter hook input priority -300; }}\n\
             add counter ip lab {name}\n\
             add rule ip lab input {rule} counter name {name}\n"
        );
        let path = self.dir.join(format!("nft-{n}-{name}.nft"));
        fs::write(&path, script).expect("write an nft script");
        let path = path.to_string_lossy().into_owned();
        self.run(ns, &["nft", "-f", &path]);
    }

    fn count(&self, ns: Ns, name: &str) -> u64 {
        let out = self.run(ns, &["nft", "list", "counter", "ip", "lab", name]);
        out.split_whitespace()
            .skip_while(|w| *w != "packets")
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no packet count in `nft list counter ip lab {name}`: {out}"))
    }

    /// Run SIPp in the foreground (client side); returns its call statistics.
    fn sipp(&self, ns: Ns, name: &str, args: &[&str], timeout: Duration) -> SippResult {
        let stat = format!("{name}.csv");
        let t = format!("{}s", timeout.as_secs().max(1));
        let mut full: Vec<&str> = vec!["sipp"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["-nostdin", "-timeout", &t, "-trace_stat", "-stf", &stat]);
        full.extend_from_slice(&["-trace_err", "-error_file", "sipp-errors.log"]);
        let log = self.dir.join(format!("{name}.log"));
        let f = fs::File::create(&log).expect("create a log");
        let e = f.try_clone().expect("clone a log handle");
        let mut child = self
            .cmd(ns, &full)
            .stdin(Stdio::null())
            .stdout(f)
            .stderr(e)
            .spawn()
            .expect("spawn sipp");
        let end = Instant::now() + timeout + Duration::from_secs(5);
        let status = loop {
            if let Ok(Some(st)) = child.try_wait() {
                break st.code();
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            sleep(Duration::from_millis(50));
        };
        let (successful, failed) = parse_stat(&self.dir.join(&stat));
        SippResult {
            status,
            successful,
            failed,
            log: format!("{} (last lines):\n{}", log.display(), tail(&log, 25)),
        }
    }

    /// Poll `f` until it returns true or `timeout` passes.
    fn until(&self, timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if f() {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// `lab/udp.py ARGS` in a namespace.
    fn udp(&self, ns: Ns, args: &[&str]) -> Output {
        let py = lab_dir().join("udp.py");
        let py = py.to_string_lossy().into_owned();
        let mut full = vec!["python3", py.as_str()];
        full.extend_from_slice(args);
        self.cmd(ns, &full).output().expect("spawn python3")
    }

    fn config_path(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        fs::write(&p, text).expect("write a config");
        p.to_string_lossy().into_owned()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Kills whatever still runs in the namespaces (by PID) and deletes them.
        let _ = Command::new("bash")
            .arg(lab_dir().join("topo.sh"))
            .args(["down", &self.prefix])
            .output();
        if std::thread::panicking() || std::env::var("SIPWALL_LAB_KEEP").as_deref() == Ok("1") {
            eprintln!("lab work directory kept: {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

struct SippResult {
    /// Exit code: 0 all calls succeeded, 1 some failed, None killed/timeout.
    status: Option<i32>,
    successful: u64,
    failed: u64,
    log: String,
}

/// The last line of a SIPp `-trace_stat` CSV: cumulative SuccessfulCall(C), FailedCall(C).
fn parse_stat(path: &Path) -> (u64, u64) {
    let s = fs::read_to_string(path).unwrap_or_default();
    let mut lines = s.lines().filter(|l| !l.trim().is_empty());
    let Some(head) = lines.next() else {
        return (0, 0);
    };
    let Some(last) = lines.next_back() else {
        return (0, 0);
    };
    let cols: Vec<&str> = head.split(';').collect();
    let vals: Vec<&str> = last.split(';').collect();
    let get = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .and_then(|i| vals.get(i))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (get("SuccessfulCall(C)"), get("FailedCall(C)"))
}

/// The value of column `name` in the last row of a SIPp `-trace_stat` CSV.
fn stat_value(path: &Path, name: &str) -> Option<String> {
    let s = fs::read_to_string(path).ok()?;
    let mut lines = s.lines().filter(|l| !l.trim().is_empty());
    let head = lines.next()?;
    let last = lines.next_back()?;
    let i = head.split(';').position(|c| c == name)?;
    last.split(';').nth(i).map(|v| v.trim().to_string())
}

/// `examples/config/lab.cfg` as shipped.
fn lab_cfg() -> String {
    fs::read_to_string(workspace().join("examples/config/lab.cfg")).expect("read lab.cfg")
}

/// lab.cfg without the `out-in` zone-pair: nothing may start from the outside.
fn lab_cfg_no_out_in() -> String {
    let mut out = String::new();
    let mut skip = false;
    for line in lab_cfg().lines() {
        if line.starts_with("zone-pair security out-in") {
            skip = true;
        } else if skip && line.starts_with('!') {
            skip = false;
        }
        if !skip {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.contains("zone-pair security out-in"), "config variant");
    out
}

/// The `sipwall run` daemon in the firewall namespace.
struct Sipwall {
    child: Option<Child>,
    events: PathBuf,
    log: PathBuf,
    control: PathBuf,
    fw_ns: String,
}

/// Start `sipwall run` in PREFIX-fw with this configuration and wait until its rules are in
/// place. In plain mode (`SIPWALL_LAB_PLAIN=1`) it starts nothing.
fn start_sipwall(lab: &Lab, config: &str, extra: &[&str]) -> Sipwall {
    let n = lab.children.len() + fs::read_dir(&lab.dir).map(|d| d.count()).unwrap_or(0);
    let cfg = lab.config_path(&format!("sipwall-{n}.cfg"), config);
    let events = lab.dir.join(format!("events-{n}.jsonl"));
    let log = lab.dir.join(format!("sipwall-{n}.log"));
    let control = lab.dir.join(format!("control-{n}.sock"));
    let mut sw = Sipwall {
        child: None,
        events: events.clone(),
        log: log.clone(),
        control: control.clone(),
        fw_ns: lab.ns(Ns::Fw),
    };
    if plain() {
        return sw;
    }
    let bin = env!("CARGO_BIN_EXE_sipwall");
    let f = fs::File::create(&log).expect("create the sipwall log");
    let e = f.try_clone().expect("clone a log handle");
    let events_s = events.to_string_lossy().into_owned();
    let control_s = control.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec![
        bin,
        "run",
        "--config",
        &cfg,
        "--queue",
        QUEUE,
        "--control",
        &control_s,
        "--metrics",
        "127.0.0.1:9157",
        "--events",
        &events_s,
    ];
    args.extend_from_slice(extra);
    let child = lab
        .cmd(Ns::Fw, &args)
        .stdin(Stdio::null())
        .stdout(f)
        .stderr(e)
        .spawn()
        .expect("spawn sipwall run");
    sw.child = Some(child);
    // Ready: its chain jumps to NFQUEUE and the control socket exists.
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(c) = sw.child.as_mut() {
            if let Ok(Some(st)) = c.try_wait() {
                panic!(
                    "`sipwall {}` exited during start-up ({st}); its log {}:\n{}",
                    args[1..].join(" "),
                    log.display(),
                    tail(&log, 40)
                );
            }
        }
        let rules = lab
            .cmd(Ns::Fw, &["iptables-save"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if rules.contains("NFQUEUE") && control.exists() {
            break;
        }
        if Instant::now() > end {
            panic!(
                "`sipwall {}` did not become ready in 15 s (expected an iptables NFQUEUE rule \
                 and the control socket {}); iptables-save in {}:\n{rules}\nits log {}:\n{}",
                args[1..].join(" "),
                control.display(),
                lab.ns(Ns::Fw),
                log.display(),
                tail(&log, 40)
            );
        }
        sleep(Duration::from_millis(100));
    }
    sw
}

impl Sipwall {
    fn running(&self) -> bool {
        self.child.is_some()
    }

    /// The JSON events written so far.
    fn events(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(&self.events)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn has_event(&self, event: &str, kind: Option<&str>) -> bool {
        self.events()
            .iter()
            .any(|e| e["event"] == event && kind.is_none_or(|k| e["kind"] == k))
    }

    /// Sum of `packets` over `pinhole_close` events of this kind.
    fn closed_pinhole_packets(&self, kind: &str) -> u64 {
        self.events()
            .iter()
            .filter(|e| e["event"] == "pinhole_close" && e["kind"] == kind)
            .filter_map(|e| e["packets"].as_u64())
            .sum()
    }

    fn describe(&self) -> String {
        format!(
            "sipwall log {}:\n{}\nevents {} (last lines):\n{}",
            self.log.display(),
            tail(&self.log, 30),
            self.events.display(),
            tail(&self.events, 30)
        )
    }

    /// `sipwall ARGS --control SOCK` (show/clear) run in the firewall namespace.
    fn cli(&self, args: &[&str]) -> String {
        let control = self.control.to_string_lossy().into_owned();
        let o = Command::new("ip")
            .args(["netns", "exec", &self.fw_ns, env!("CARGO_BIN_EXE_sipwall")])
            .args(args)
            .args(["--control", &control])
            .output()
            .expect("spawn sipwall");
        text(&o)
    }

    /// SIGTERM, wait for a clean exit; returns its exit status.
    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to clean up.
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Sipwall {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The phone's RTP port (SIPp -mp on the inside) and the trunk's.
const PHONE_RTP: &str = "6000";
const TRUNK_RTP: &str = "6000";

fn mode() -> &'static str {
    if plain() {
        "plain forwarding (SIPWALL_LAB_PLAIN=1)"
    } else {
        "sipwall"
    }
}

fn assert_call_ok(what: &str, r: &SippResult, calls: u64, sw: &Sipwall) {
    assert!(
        r.status == Some(0) && r.successful == calls && r.failed == 0,
        "{what} [{}]: expected {calls} successful call(s), got successful={} failed={} \
         exit={:?}\nSIPp {}\n{}",
        mode(),
        r.successful,
        r.failed,
        r.status,
        r.log,
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
}

/// Media counters in both end namespaces for calls between the phone and `far`, whose
/// SIPp echoes RTP from its port TRUNK_RTP: inside->outside to that port, and the echo back
/// from it (whatever port the phone's SIPp picked).
fn media_counters(lab: &Lab, far: &str) {
    lab.counter(
        Ns::Out,
        "rtp_out",
        &format!("ip saddr {PHONE} ip daddr {far} udp dport {TRUNK_RTP}"),
    );
    lab.counter(
        Ns::In,
        "rtp_in",
        &format!("ip saddr {far} ip daddr {PHONE} udp sport {TRUNK_RTP}"),
    );
}

fn assert_media(lab: &Lab, min: u64, sw: &Sipwall, what: &str) {
    let out = lab.count(Ns::Out, "rtp_out");
    let inn = lab.count(Ns::In, "rtp_in");
    assert!(
        out >= min && inn >= min,
        "{what} [{}]: RTP must cross both ways: inside->outside {out} packets, \
         outside->inside (echo) {inn} packets, expected at least {min} each\n{}",
        mode(),
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
}

// ---------------------------------------------------------------------------------------------

fn scenario(name: &str) -> String {
    lab_dir()
        .join("sipp")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Unsolicited datagrams from the outside (trunk address, a port no call uses) to the phone's
/// RTP port; returns how many the phone's namespace received.
fn unsolicited_to_phone(lab: &Lab, counter: &str, count: u32) -> u64 {
    let before = lab.count(Ns::In, counter);
    let o = lab.udp(
        Ns::Out,
        &[
            "send",
            "--src",
            &format!("{TRUNK}:40000"),
            "--dst",
            &format!("{PHONE}:{PHONE_RTP}"),
            "--count",
            &count.to_string(),
            "--interval",
            "0.01",
            "--payload",
            "rtp",
        ],
    );
    assert!(o.status.success(), "lab/udp.py send failed:\n{}", text(&o));
    sleep(Duration::from_millis(300));
    lab.count(Ns::In, counter) - before
}

/// a. UDP calls with RTP both ways succeed and the media counters show the audio crossed.
#[test]
fn a_udp_calls_with_rtp() {
    let Some(_g) = begin("a") else { return };
    let mut lab = Lab::up("a");
    let mut sw = start_sipwall(&lab, &lab_cfg(), &[]);
    media_counters(&lab, TRUNK);
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sn",
            "uas",
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "2",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    // Built-in uac_pcap: pcap/g711a.pcap + a DTMF digit (236 RTP packets) per call, two calls
    // at once (media ports 6000 and 6004 on the phone).
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sn",
            "uac_pcap",
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "2",
            "-l",
            "2",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(30),
    );
    assert_call_ok(
        "a: two UDP calls with audio (built-in uac_pcap -> uas -rtp_echo)",
        &r,
        2,
        &sw,
    );
    assert_media(&lab, 2 * 220, &sw, "a: two UDP calls with audio");
    if sw.running() {
        // sipwall's own pinhole counters (kernel fast path usage or queued packets).
        let ok = lab.until(Duration::from_secs(6), || {
            sw.closed_pinhole_packets("rtp") > 0
        });
        assert!(
            ok,
            "a: the calls ended but no pinhole_close event of kind rtp with packets > 0 \
             (sipwall's media counters do not show the audio)\n{}",
            sw.describe()
        );
        let st = sw.stop();
        assert!(
            st.is_some_and(|s| s.success()),
            "a: sipwall did not exit 0 on SIGTERM within 5 s: {st:?}\n{}",
            sw.describe()
        );
        let rules = lab.run(Ns::Fw, &["iptables-save"]);
        assert!(
            !rules.contains("NFQUEUE") && !rules.contains("SIPWALL"),
            "a: sipwall left iptables rules behind after SIGTERM:\n{rules}"
        );
        let nft = lab.run(Ns::Fw, &["nft", "list", "tables"]);
        assert!(
            !nft.contains("sipwall_fp"),
            "a: sipwall left its fast-path table after SIGTERM:\n{nft}"
        );
    }
}

/// b. A SIP-over-TCP call succeeds (with audio).
#[test]
fn b_tcp_call() {
    let Some(_g) = begin("b") else { return };
    let mut lab = Lab::up("b");
    let sw = start_sipwall(&lab, &lab_cfg(), &[]);
    media_counters(&lab, TRUNK);
    let uas = scenario("uas_echo.xml");
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sf",
            &uas,
            "-t",
            "t1",
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_audio.xml");
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sf",
            &uac,
            "-t",
            "t1",
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(15),
    );
    assert_call_ok("b: SIP over TCP call (uac_audio.xml -t t1)", &r, 1, &sw);
    assert_media(&lab, 95, &sw, "b: SIP over TCP call");
}

/// c. Unsolicited UDP from outside to the RTP port is dropped before the call and after BYE.
#[test]
fn c_unsolicited_udp_dropped() {
    let Some(_g) = begin("c") else { return };
    let mut lab = Lab::up("c");
    let sw = start_sipwall(&lab, &lab_cfg(), &[]);
    media_counters(&lab, TRUNK);
    lab.counter(
        Ns::In,
        "probe",
        &format!("ip saddr {TRUNK} udp sport 40000 udp dport {PHONE_RTP}"),
    );
    let before = unsolicited_to_phone(&lab, "probe", 20);
    let uas = scenario("uas_echo.xml");
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sf",
            &uas,
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_audio.xml");
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sf",
            &uac,
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(15),
    );
    assert_call_ok("c: the call between the probes", &r, 1, &sw);
    assert_media(&lab, 95, &sw, "c: the call between the probes");
    sleep(Duration::from_millis(500));
    let after = unsolicited_to_phone(&lab, "probe", 20);
    if plain() {
        assert!(
            before == 20 && after == 20,
            "c [plain]: without a firewall all 20 probes must arrive (before {before}, after {after})"
        );
        return;
    }
    assert_eq!(
        before,
        0,
        "c: {before} of 20 unsolicited UDP packets from {TRUNK}:40000 reached {PHONE}:{PHONE_RTP} \
         BEFORE the call (must be dropped)\n{}",
        sw.describe()
    );
    assert_eq!(
        after,
        0,
        "c: {after} of 20 unsolicited UDP packets from {TRUNK}:40000 reached {PHONE}:{PHONE_RTP} \
         AFTER the BYE (the media pinhole must be closed)\n{}",
        sw.describe()
    );
}

/// d. An INVITE from outside to inside with no zone-pair policy for that direction is dropped.
#[test]
fn d_inbound_invite_without_policy_dropped() {
    let Some(_g) = begin("d") else { return };
    let mut lab = Lab::up("d");
    let sw = start_sipwall(&lab, &lab_cfg_no_out_in(), &[]);
    lab.counter(
        Ns::In,
        "sip_in",
        &format!("ip saddr {TRUNK} udp dport 5060"),
    );
    let uas = scenario("uas_echo.xml");
    lab.spawn(
        Ns::In,
        "uas",
        &[
            "sipp", "-sf", &uas, "-i", PHONE, "-p", "5060", "-mp", PHONE_RTP, "-m", "1", "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_audio.xml");
    let r = lab.sipp(
        Ns::Out,
        "uac",
        &[
            "-sf",
            &uac,
            "-s",
            "phone",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            "6100",
            "-m",
            "1",
            &format!("{PHONE}:5060"),
        ],
        Duration::from_secs(4),
    );
    let arrived = lab.count(Ns::In, "sip_in");
    if plain() {
        assert_call_ok("d [plain]: inbound call without a firewall", &r, 1, &sw);
        return;
    }
    assert!(
        r.successful == 0 && arrived == 0,
        "d: an INVITE from {TRUNK} to {PHONE} with no out-in zone-pair must be dropped: \
         {arrived} SIP packets reached the phone's namespace, SIPp successful calls {}\n\
         SIPp {}\n{}",
        r.successful,
        r.log,
        sw.describe()
    );
}

/// e. REGISTER from inside to an outside registrar, then an inbound INVITE to the registered
/// Contact passes (with no out-in zone-pair: only the registration admits it).
#[test]
fn e_register_then_inbound_call() {
    let Some(_g) = begin("e") else { return };
    let mut lab = Lab::up("e");
    let sw = start_sipwall(&lab, &lab_cfg_no_out_in(), &[]);
    lab.counter(
        Ns::Out,
        "rtp_out",
        &format!("ip saddr {PHONE} udp sport {PHONE_RTP}"),
    );
    lab.counter(
        Ns::In,
        "rtp_in",
        &format!("ip saddr {REGISTRAR} udp dport {PHONE_RTP}"),
    );
    let registrar = scenario("registrar.xml");
    lab.spawn(
        Ns::Out,
        "registrar",
        &[
            "sipp", "-sf", &registrar, "-i", REGISTRAR, "-p", "5060", "-m", "1", "-nostdin",
        ],
    );
    // The phone answers on 5060 (its registered Contact) and echoes the caller's audio.
    let uas = scenario("uas_echo.xml");
    lab.spawn(
        Ns::In,
        "phone",
        &[
            "sipp",
            "-sf",
            &uas,
            "-rtp_echo",
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let reg = scenario("register_phone.xml");
    let r = lab.sipp(
        Ns::In,
        "register",
        &[
            "-sf",
            &reg,
            "-s",
            "phone",
            "-set",
            "contact_port",
            "5060",
            "-i",
            PHONE,
            "-p",
            "5062",
            "-m",
            "1",
            &format!("{REGISTRAR}:5060"),
        ],
        Duration::from_secs(8),
    );
    assert_call_ok(
        "e: REGISTER phone@192.0.2.10:5060 to the outside registrar",
        &r,
        1,
        &sw,
    );
    if sw.running() {
        let ok = lab.until(Duration::from_secs(2), || {
            sw.has_event("pinhole_open", Some("registration"))
        });
        assert!(
            ok,
            "e: no pinhole_open event of kind registration after the 200 to REGISTER\n{}",
            sw.describe()
        );
    }
    if sw.running() {
        // For the test log: the registration pinhole as the operator sees it.
        eprintln!(
            "e: sipwall show pinholes:\n{}",
            sw.cli(&["show", "pinholes"])
        );
    }
    let uac = scenario("uac_audio.xml");
    let r = lab.sipp(
        Ns::Out,
        "inbound",
        &[
            "-sf",
            &uac,
            "-s",
            "phone",
            "-i",
            REGISTRAR,
            "-p",
            "5070",
            "-mp",
            "6100",
            "-m",
            "1",
            &format!("{PHONE}:5060"),
        ],
        Duration::from_secs(15),
    );
    assert_call_ok(
        "e: inbound INVITE from the registrar to the registered Contact",
        &r,
        1,
        &sw,
    );
    let out = lab.count(Ns::Out, "rtp_out");
    let inn = lab.count(Ns::In, "rtp_in");
    assert!(
        out >= 95 && inn >= 95,
        "e [{}]: RTP of the inbound call must cross both ways: outside->inside {inn}, \
         inside->outside (echo) {out}, expected at least 95 each\n{}",
        mode(),
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
}

/// f. A re-INVITE hold and resume keeps media flowing afterwards.
#[test]
fn f_hold_resume() {
    let Some(_g) = begin("f") else { return };
    let mut lab = Lab::up("f");
    let sw = start_sipwall(&lab, &lab_cfg(), &[]);
    media_counters(&lab, TRUNK);
    // pcap/rtp_resume.pcap, played after the resume, has 80-byte payloads: udp length 100.
    lab.counter(
        Ns::Out,
        "resume_out",
        &format!("ip saddr {PHONE} udp dport {TRUNK_RTP} udp length 100"),
    );
    lab.counter(
        Ns::In,
        "resume_in",
        &format!("ip saddr {TRUNK} udp sport {TRUNK_RTP} udp length 100"),
    );
    let uas = scenario("uas_hold_resume.xml");
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sf",
            &uas,
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_hold_resume.xml");
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sf",
            &uac,
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(20),
    );
    assert_call_ok("f: call with hold and resume re-INVITEs", &r, 1, &sw);
    assert_media(&lab, 2 * 95, &sw, "f: hold/resume call, all media");
    let out = lab.count(Ns::Out, "resume_out");
    let inn = lab.count(Ns::In, "resume_in");
    assert!(
        out >= 95 && inn >= 95,
        "f [{}]: RTP AFTER the resume must cross both ways: inside->outside {out}, \
         outside->inside (echo) {inn} of 100 packets\n{}",
        mode(),
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
}

/// g. A re-INVITE to T.38 opens the image pinhole and fax packets pass.
#[test]
fn g_reinvite_t38() {
    let Some(_g) = begin("g") else { return };
    let mut lab = Lab::up("g");
    let sw = start_sipwall(&lab, &lab_cfg(), &[]);
    // The callee's image port is its -mp + 2 (6002, also echoed by -rtp_echo); the phone's 6010.
    lab.counter(
        Ns::Out,
        "fax_out",
        &format!("ip saddr {PHONE} udp sport 6010 udp dport 6002"),
    );
    lab.counter(
        Ns::In,
        "fax_in",
        &format!("ip saddr {TRUNK} udp sport 6002 udp dport 6010"),
    );
    let uas = scenario("uas_t38.xml");
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sf",
            &uas,
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_t38.xml");
    let udp_py = lab_dir().join("udp.py").to_string_lossy().into_owned();
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sf",
            &uac,
            "-set",
            "t38port",
            "6010",
            "-set",
            "udppy",
            &udp_py,
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(20),
    );
    assert_call_ok("g: call with a re-INVITE to T.38", &r, 1, &sw);
    let out = lab.count(Ns::Out, "fax_out");
    let inn = lab.count(Ns::In, "fax_in");
    assert!(
        out >= 45 && inn >= 45,
        "g [{}]: T.38 (UDPTL) packets must cross both ways after the re-INVITE: \
         {PHONE}:6010 -> {TRUNK}:6002 {out}, echo back {inn} of 50\n{}",
        mode(),
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
    if sw.running() {
        assert!(
            sw.has_event("pinhole_open", Some("t38")),
            "g: no pinhole_open event of kind t38 for the re-INVITE's m=image\n{}",
            sw.describe()
        );
    }
}

/// h. After `kill -9` of sipwall, traffic between zones is not forwarded (fail-closed), and
/// the next start cleans up and works.
#[test]
fn h_fail_closed_after_kill9() {
    let Some(_g) = begin("h") else { return };
    let mut lab = Lab::up("h");
    lab.spawn(
        Ns::Out,
        "echo",
        &[
            "python3",
            &lab_dir().join("udp.py").to_string_lossy(),
            "echo",
            "--bind",
            &format!("{TRUNK}:7000"),
            "--duration",
            "60",
        ],
    );
    sleep(Duration::from_millis(300));
    let probe = |lab: &Lab, sport: u16| {
        lab.udp(
            Ns::In,
            &[
                "probe",
                "--src",
                &format!("{PHONE}:{sport}"),
                "--dst",
                &format!("{TRUNK}:7000"),
                "--tries",
                "3",
                "--timeout",
                "0.5",
            ],
        )
        .status
        .success()
    };
    let mut sw = start_sipwall(&lab, &lab_cfg(), &[]);
    assert!(
        probe(&lab, 7001),
        "h [{}]: UDP from inside to outside must pass while sipwall runs\n{}",
        mode(),
        if sw.running() {
            sw.describe()
        } else {
            String::new()
        }
    );
    if plain() {
        return;
    }
    let rules_first = lab.run(Ns::Fw, &["iptables-save"]);
    sw.kill9();
    sleep(Duration::from_millis(300));
    assert!(
        !probe(&lab, 7002),
        "h: after kill -9 of sipwall, UDP from inside to outside was still forwarded \
         (must fail closed); iptables-save:\n{}",
        lab.run(Ns::Fw, &["iptables-save"])
    );
    let mut sw2 = start_sipwall(&lab, &lab_cfg(), &[]);
    let rules_second = lab.run(Ns::Fw, &["iptables-save"]);
    let nfq = |s: &str| s.lines().filter(|l| l.contains("NFQUEUE")).count();
    assert_eq!(
        nfq(&rules_first),
        nfq(&rules_second),
        "h: the restart must replace the stale rules, not add to them:\nfirst start:\n\
         {rules_first}\nafter restart:\n{rules_second}"
    );
    assert!(
        probe(&lab, 7003),
        "h: after the restart UDP from inside to outside must pass again\n{}",
        sw2.describe()
    );
    media_counters(&lab, TRUNK);
    let uas = scenario("uas_echo.xml");
    lab.spawn(
        Ns::Out,
        "uas",
        &[
            "sipp",
            "-sf",
            &uas,
            "-rtp_echo",
            "-i",
            TRUNK,
            "-p",
            "5060",
            "-mp",
            TRUNK_RTP,
            "-m",
            "1",
            "-nostdin",
        ],
    );
    sleep(Duration::from_millis(300));
    let uac = scenario("uac_audio.xml");
    let r = lab.sipp(
        Ns::In,
        "uac",
        &[
            "-sf",
            &uac,
            "-i",
            PHONE,
            "-p",
            "5060",
            "-mp",
            PHONE_RTP,
            "-m",
            "1",
            &format!("{TRUNK}:5060"),
        ],
        Duration::from_secs(15),
    );
    assert_call_ok("h: a call after the restart", &r, 1, &sw2);
    assert_media(&lab, 95, &sw2, "h: a call after the restart");
    let st = sw2.stop();
    assert!(
        st.is_some_and(|s| s.success()),
        "h: restarted sipwall did not exit 0 on SIGTERM: {st:?}"
    );
    let _ = lab.wait_child("uas", Duration::from_secs(1));
}

/// lab.cfg with flood settings that bite within seconds: INVITEs 50/s burst 100 per source,
/// a source with 100 violations within 5 s blocked for 60 s.
fn lab_cfg_flood() -> String {
    let cfg = lab_cfg();
    let out = cfg
        .replace(
            " sip rate-limit invite 100 per-second burst 200\n",
            " sip rate-limit invite 50 per-second burst 100\n",
        )
        .replace(
            " sip blocklist after 50 violations within 10 seconds duration 300\n",
            " sip blocklist after 100 violations within 5 seconds duration 60\n",
        );
    assert!(
        out.contains("invite 50 per-second burst 100") && out.contains("after 100 violations"),
        "config variant: lab.cfg's sip rate-limit/blocklist lines changed"
    );
    out
}

/// sipwall's resident set size in kB (`VmRSS` of /proc/PID/status).
fn rss_kb(sw: &Sipwall) -> u64 {
    let Some(pid) = sw.child.as_ref().map(Child::id) else {
        return 0;
    };
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A packet counter in the firewall namespace, before routing (and before sipwall's queue):
/// what reached the firewall.
fn fw_counter(lab: &Lab, name: &str, rule: &str) {
    let script = format!(
        "add table ip labfw\n\
         add chain ip labfw pre {{ type filter hook prerouting priority -300; }}\n\
         add counter ip labfw {name}\n\
         add rule ip labfw pre {rule} counter name {name}\n"
    );
    let path = lab.dir.join(format!("nft-fw-{name}.nft"));
    fs::write(&path, script).expect("write an nft script");
    lab.run(Ns::Fw, &["nft", "-f", &path.to_string_lossy()]);
}

fn fw_count(lab: &Lab, name: &str) -> u64 {
    let out = lab.run(Ns::Fw, &["nft", "list", "counter", "ip", "labfw", name]);
    out.split_whitespace()
        .skip_while(|w| *w != "packets")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Calls per second of the legitimate traffic, each direction.
const LEGIT_RATE: &str = "12";
/// Calls in each direction (12.5 s at 12/s).
const LEGIT_CALLS: u64 = 150;
/// The flood: INVITEs per second and how many.
const FLOOD_RATE: &str = "2000";
const FLOOD_CALLS: &str = "20000";

/// i. An INVITE flood from a third host on the outside segment (PREFIX-atk, 198.51.100.66)
/// of at least 2000 INVITEs/s towards the phone's SIP port through the out-in zone-pair
/// (inspected), while legitimate calls run both ways at 24 calls/s in all (phone to trunk on
/// in-out, trunk to phone on out-in): at least 99% of the legitimate calls succeed, the
/// attacker is rate-limited then blocked (`show sip blocked --json` lists it), and sipwall's
/// memory stays bounded. Prints the figures.
#[test]
fn i_invite_flood_blocked_while_calls_go_on() {
    let Some(_g) = begin("i") else { return };
    if plain() {
        eprintln!("SKIP lab test i: needs sipwall (SIPWALL_LAB_PLAIN=1)");
        return;
    }
    let mut lab = Lab::up_with_attacker("i");
    let sw = start_sipwall(&lab, &lab_cfg_flood(), &[]);
    fw_counter(
        &lab,
        "flood_fw",
        &format!("ip saddr {ATTACKER} udp dport 5080"),
    );
    lab.counter(
        Ns::In,
        "flood_in",
        &format!("ip saddr {ATTACKER} udp dport 5080"),
    );
    // The called sides: the trunk on 5060, the phone on 5080 (SIP by lab.cfg's port-map).
    lab.spawn(
        Ns::Out,
        "uas_trunk",
        &["sipp", "-sn", "uas", "-i", TRUNK, "-p", "5060", "-nostdin"],
    );
    lab.spawn(
        Ns::In,
        "uas_phone",
        &["sipp", "-sn", "uas", "-i", PHONE, "-p", "5080", "-nostdin"],
    );
    sleep(Duration::from_millis(500));
    let rss_before = rss_kb(&sw);
    let uac = |name: &str, local: &str, port: &str, target: String| -> Vec<String> {
        [
            "sipp",
            "-sn",
            "uac",
            "-i",
            local,
            "-p",
            port,
            "-r",
            LEGIT_RATE,
            "-m",
            &LEGIT_CALLS.to_string(),
            "-nostdin",
            "-timeout",
            "60s",
            "-trace_stat",
            "-stf",
            &format!("{name}.csv"),
            &target,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let out_args = uac("uac_out", PHONE, "5060", format!("{TRUNK}:5060"));
    let in_args = uac("uac_in", TRUNK, "5070", format!("{PHONE}:5080"));
    let t0 = Instant::now();
    lab.spawn(
        Ns::In,
        "uac_out",
        &out_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    lab.spawn(
        Ns::Out,
        "uac_in",
        &in_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    sleep(Duration::from_secs(1));
    // The flood: no retransmissions, each call given up after 500 ms without an answer.
    let flood_start = Instant::now();
    lab.spawn(
        Ns::Atk,
        "flood",
        &[
            "sipp",
            "-sn",
            "uac",
            "-i",
            ATTACKER,
            "-p",
            "5060",
            "-r",
            FLOOD_RATE,
            "-rp",
            "1000",
            "-m",
            FLOOD_CALLS,
            "-nr",
            "-recv_timeout",
            "500",
            "-nostdin",
            "-timeout",
            "40s",
            "-trace_stat",
            "-stf",
            "flood.csv",
            &format!("{PHONE}:5080"),
        ],
    );
    // Time to block: until `show sip blocked` lists the attacker.
    let mut time_to_block = None;
    let mut blocked_json = String::new();
    lab.until(Duration::from_secs(20), || {
        blocked_json = sw.cli(&["show", "sip", "blocked", "--json"]);
        if blocked_json.contains(ATTACKER) {
            time_to_block = Some(flood_start.elapsed());
            true
        } else {
            false
        }
    });
    // The flood's steady rate at the firewall: its counter over 3 s in the middle of it.
    let (c1, a) = (fw_count(&lab, "flood_fw"), Instant::now());
    sleep(Duration::from_secs(3));
    let (c2, b) = (fw_count(&lab, "flood_fw"), Instant::now());
    let steady_rate = c2.saturating_sub(c1) as f64 / (b - a).as_secs_f64();
    let flood_exit = lab.wait_child("flood", Duration::from_secs(45));
    let flood_secs = flood_start.elapsed().as_secs_f64();
    let out_exit = lab.wait_child("uac_out", Duration::from_secs(60));
    let in_exit = lab.wait_child("uac_in", Duration::from_secs(30));
    let legit_secs = t0.elapsed().as_secs_f64();
    let rss_after = rss_kb(&sw);
    let blocked_end = sw.cli(&["show", "sip", "blocked", "--json"]);
    let (ok_out, fail_out) = parse_stat(&lab.dir.join("uac_out.csv"));
    let (ok_in, fail_in) = parse_stat(&lab.dir.join("uac_in.csv"));
    let flood_fw = fw_count(&lab, "flood_fw");
    let flood_in = lab.count(Ns::In, "flood_in");
    let flood_sent = stat_value(&lab.dir.join("flood.csv"), "OutgoingCall(C)").unwrap_or_default();
    let rejected = sw
        .events()
        .iter()
        .filter(|v| v["event"] == "violation" && v["code"] == "sip_blocked")
        .count();
    let rate_limited = sw
        .events()
        .iter()
        .filter(|v| v["event"] == "violation" && v["code"] == "sip_rate_limited")
        .count();
    let legit_total = 2 * LEGIT_CALLS;
    let legit_ok = ok_out + ok_in;
    let pct = 100.0 * legit_ok as f64 / legit_total as f64;
    // The flood's packets that reached the firewall, over the time the flood ran (its SIPp
    // start-up and the last 500 ms receive timeout included, so a lower bound).
    let flood_rate = flood_fw as f64 / flood_secs;
    let figures = format!(
        "i: FIGURES\n\
         legitimate calls: {legit_ok}/{legit_total} succeeded ({pct:.2}%): phone->trunk {ok_out} ok \
         {fail_out} failed, trunk->phone {ok_in} ok {fail_in} failed, {legit_secs:.1} s \
         ({:.1} calls/s offered)\n\
         flood: SIPp OutgoingCall(C) {flood_sent}; {flood_fw} SIP packets from it reached the firewall in \
         {flood_secs:.1} s = {flood_rate:.0}/s on average, {steady_rate:.0}/s steady (3 s \
         sample); {flood_in} reached the phone; \
         {rate_limited} sip_rate_limited and {rejected} sip_blocked violation events\n\
         time to block (flood start -> `show sip blocked` lists {ATTACKER}): {}\n\
         sipwall VmRSS before {rss_before} kB, after {rss_after} kB\n\
         exits: flood {flood_exit:?}, uac_out {out_exit:?}, uac_in {in_exit:?}",
        2.0 * LEGIT_RATE.parse::<f64>().unwrap_or(0.0),
        time_to_block.map_or("never".to_string(), |d| format!("{:.2} s", d.as_secs_f64())),
    );
    println!("{figures}");
    let ctx = || format!("{figures}\n{}", sw.describe());
    assert!(
        flood_fw as f64 >= 0.9 * FLOOD_CALLS.parse::<f64>().unwrap_or(0.0),
        "i: the flood did not reach the firewall\n{}",
        ctx()
    );
    assert!(
        flood_rate >= 1500.0 && steady_rate >= 1900.0,
        "i: flood rate {flood_rate:.0}/s on average, {steady_rate:.0}/s steady at the \
         firewall, wanted 2000/s\n{}",
        ctx()
    );
    assert!(
        pct >= 99.0,
        "i: only {pct:.2}% of the legitimate calls succeeded\n{}",
        ctx()
    );
    assert!(
        time_to_block.is_some(),
        "i: `show sip blocked --json` never listed {ATTACKER}: {blocked_json}\n{}",
        ctx()
    );
    assert!(
        blocked_end.contains(ATTACKER),
        "i: {ATTACKER} no longer blocked at the end: {blocked_end}"
    );
    assert!(
        flood_in < flood_fw / 10,
        "i: {flood_in} of {flood_fw} flood INVITEs reached the phone\n{}",
        ctx()
    );
    assert!(
        rss_before > 0 && rss_after < 2 * rss_before + 20 * 1024,
        "i: sipwall's RSS grew from {rss_before} kB to {rss_after} kB\n{}",
        ctx()
    );
}

/// j. A SIP policy `reset` on TCP resets the connection both ways: both endpoints see a RST
/// (forged by sipwall on marked raw sockets), after an allowed OPTIONS went through.
#[test]
fn j_sip_policy_reset_resets_tcp_both_ways() {
    let Some(_g) = begin("j") else { return };
    let mut lab = Lab::up("j");
    let cfg = format!(
        "{}
class-map type inspect sip match-any premium
 match callee regex ^sip:900
policy-map type inspect sip sip-checks
 class type inspect sip premium
  reset log
 class class-default
  allow
policy-map type inspect in-out-policy
 class type inspect inside-to-outside
  inspect voice-timeouts
  service-policy sip sip-checks
",
        lab_cfg().replace("\nend\n", "\n")
    );
    let sw = start_sipwall(&lab, &cfg, &[]);
    let script = lab_dir().join("tcp_reset.py").display().to_string();
    lab.spawn(
        Ns::Out,
        "server",
        &["python3", &script, "server", TRUNK, "5060"],
    );
    sleep(Duration::from_millis(500));
    let out = lab.run(Ns::In, &["python3", &script, "client", TRUNK, "5060"]);
    let _ = lab.wait_child("server", Duration::from_secs(15));
    let server = fs::read_to_string(lab.dir.join("server.log")).unwrap_or_default();
    if plain() {
        // Without sipwall nothing resets the connection.
        assert!(!out.contains("RESET"), "j (plain): {out}");
        return;
    }
    assert!(
        out.contains("answer: SIP/2.0 200 OK"),
        "j: the allowed OPTIONS: {out}\n{}",
        sw.describe()
    );
    assert_eq!(
        out.lines().last(),
        Some("RESET"),
        "j: client side: {out}\n{}",
        sw.describe()
    );
    assert_eq!(
        server.lines().last(),
        Some("RESET"),
        "j: server side: {server}\n{}",
        sw.describe()
    );
    assert!(
        sw.has_event("tcp_reset", None),
        "j: no tcp_reset event\n{}",
        sw.describe()
    );
}
