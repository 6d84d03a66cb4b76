//! The iptables rules that hand the zone interfaces' traffic to NFQUEUE.
//!
//! This kernel has no nft `queue` statement, so queueing goes through `iptables -j NFQUEUE`
//! (and `ip6tables`). Everything lives in one chain of our own, [`CHAIN`] in the `filter`
//! table, for IPv4 and IPv6:
//!
//! ```text
//! -N SIPWALL
//! -A SIPWALL -m mark --mark 0x51570002 -j ACCEPT          (our forged resets, see inject.rs)
//! -A SIPWALL -m mark --mark 0x51570001 -j ACCEPT          (fast-path traffic, see fastpath.rs)
//! -A SIPWALL -j NFQUEUE --queue-num N [--queue-bypass]     (bypass only with --fail-open)
//! -I FORWARD 1 -i IF -j SIPWALL    -I FORWARD 1 -o IF -j SIPWALL    (each zone interface IF)
//! -I INPUT 1 -i IF -j SIPWALL      -I OUTPUT 1 -o IF -j SIPWALL
//! ```
//!
//! Fail-closed: without `--queue-bypass` the kernel drops queued packets while no process is
//! bound to the queue, so after a crash traffic of the zone interfaces stops until the next
//! start, which removes the stale rules ([`cleanup_stale`]) and installs fresh ones.

use std::io;
use std::process::Command;

use sipwall_config::Config;

use crate::fastpath::FASTPATH_MARK;
use crate::inject::INJECT_MARK;

/// Our chain in the `filter` table (IPv4 and IPv6).
pub const CHAIN: &str = "SIPWALL";

/// The built-in chains that jump to [`CHAIN`].
const HOOK_CHAINS: [&str; 3] = ["FORWARD", "INPUT", "OUTPUT"];

/// Linux `IFNAMSIZ - 1`.
const MAX_IFNAME: usize = 15;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot run {cmd}: {error}")]
    Spawn { cmd: String, error: io::Error },
    #[error("`{cmd}` failed: {stderr}")]
    Command { cmd: String, stderr: String },
    #[error("interface name {name:?} is not a Linux interface name")]
    BadInterface { name: String },
    #[error("no interface of the configuration is in a zone: nothing to inspect")]
    NoZoneInterfaces,
}

/// IPv4 (`iptables`) or IPv6 (`ip6tables`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn program(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }
}

/// The installed rules. Dropping it leaves them in place (fail-closed); [`Rules::remove`]
/// takes them away.
#[derive(Debug)]
pub struct Rules {
    families: Vec<Family>,
    interfaces: Vec<String>,
    queue: u16,
    fail_open: bool,
}

/// The Linux names of the configuration's interfaces that are members of a zone, sorted.
pub fn zone_interfaces(config: &Config) -> Result<Vec<String>, RulesError> {
    let mut out = Vec::new();
    for iface in config.interfaces.values() {
        if iface.zone.is_none() {
            continue;
        }
        if !valid_ifname(&iface.name) {
            return Err(RulesError::BadInterface {
                name: iface.name.clone(),
            });
        }
        out.push(iface.name.clone());
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(RulesError::NoZoneInterfaces);
    }
    Ok(out)
}

/// What the kernel accepts as an interface name (`dev_valid_name`), minus what would confuse
/// an iptables argument (a leading `-` or `!`, `+` which is a wildcard there).
fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_IFNAME
        && name != "."
        && name != ".."
        && !name.starts_with(['-', '!'])
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b':' | b'+'))
}

/// The rules of [`CHAIN`] itself (arguments after the program name). Without the fast path
/// the mark rule is left out, so a stale fast-path table of an earlier run cannot let packets
/// bypass the queue.
pub fn chain_rules(queue: u16, fail_open: bool, fastpath: bool) -> Vec<Vec<String>> {
    let mut nfq = args(&["-A", CHAIN, "-j", "NFQUEUE", "--queue-num"]);
    nfq.push(queue.to_string());
    if fail_open {
        nfq.push("--queue-bypass".into());
    }
    // Our own resets (sent on the OUTPUT path) must not be queued back to the engine.
    let mut out = vec![args(&[
        "-A",
        CHAIN,
        "-m",
        "mark",
        "--mark",
        &format!("{INJECT_MARK:#x}"),
        "-j",
        "ACCEPT",
    ])];
    if fastpath {
        out.push(args(&[
            "-A",
            CHAIN,
            "-m",
            "mark",
            "--mark",
            &format!("{FASTPATH_MARK:#x}"),
            "-j",
            "ACCEPT",
        ]));
    }
    out.push(nfq);
    out
}

/// The jumps for one interface, each as (`-I` or `-D`, rest); `op` is `-I` (inserted at the
/// top of the built-in chain) or `-D`.
pub fn jump_rules(iface: &str, insert: bool) -> Vec<Vec<String>> {
    let op = if insert { "-I" } else { "-D" };
    let pos: &[&str] = if insert { &["1"] } else { &[] };
    let mk = |chain: &str, dir: &str| {
        let mut v = args(&[op, chain]);
        v.extend(pos.iter().map(|s| (*s).to_string()));
        v.extend(args(&[dir, iface, "-j", CHAIN]));
        v
    };
    vec![
        mk("FORWARD", "-i"),
        mk("FORWARD", "-o"),
        mk("INPUT", "-i"),
        mk("OUTPUT", "-o"),
    ]
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_string()).collect()
}

/// Run `program -w ARGS`; `Ok(None)` when the program is not installed.
fn run(family: Family, a: &[String]) -> Result<Option<String>, RulesError> {
    let prog = family.program();
    let cmd_text = || format!("{prog} {}", a.join(" "));
    let out = match Command::new(prog).arg("-w").args(a).output() {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RulesError::Spawn {
                cmd: cmd_text(),
                error: source,
            })
        }
    };
    if !out.status.success() {
        return Err(RulesError::Command {
            cmd: cmd_text(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// Run, treating a missing program as an error (IPv4) or a reason to skip (IPv6).
fn run_required(family: Family, a: &[String]) -> Result<Option<String>, RulesError> {
    match run(family, a)? {
        Some(s) => Ok(Some(s)),
        None if family == Family::V4 => Err(RulesError::Spawn {
            cmd: family.program().to_string(),
            error: io::Error::new(io::ErrorKind::NotFound, "not found in PATH"),
        }),
        None => Ok(None),
    }
}

/// The `-D` commands that delete every jump to [`CHAIN`] found in an `iptables -S CHAIN`
/// listing of a built-in chain (pure, for tests). Our rules have no quoted arguments, so
/// splitting on whitespace is exact for them; lines that are not ours are ignored.
pub fn stale_jumps(listing: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in listing.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let jumps_to_us = toks.windows(2).any(|w| w == ["-j", CHAIN]);
        if let [first, rest @ ..] = toks.as_slice() {
            if *first == "-A" && jumps_to_us && toks.last() == Some(&CHAIN) {
                let mut cmd = vec!["-D".to_string()];
                cmd.extend(rest.iter().map(|s| (*s).to_string()));
                out.push(cmd);
            }
        }
    }
    out
}

/// Remove every trace of a previous run (jumps and the chain), IPv4 and IPv6. Returns the
/// number of rules removed. Safe to call when there is nothing to clean.
pub fn cleanup_stale() -> Result<usize, RulesError> {
    let mut removed = 0;
    for family in [Family::V4, Family::V6] {
        removed += cleanup_family(family)?;
    }
    Ok(removed)
}

fn cleanup_family(family: Family) -> Result<usize, RulesError> {
    let mut removed = 0;
    for chain in HOOK_CHAINS {
        let Some(listing) = run_required(family, &args(&["-S", chain]))? else {
            return Ok(0); // ip6tables not installed
        };
        for cmd in stale_jumps(&listing) {
            run(family, &cmd)?;
            removed += 1;
        }
    }
    // The chain: listing fails when it does not exist.
    if let Ok(Some(listing)) = run(family, &args(&["-S", CHAIN])) {
        removed += listing.lines().filter(|l| l.starts_with("-A ")).count();
        run(family, &args(&["-F", CHAIN]))?;
        run(family, &args(&["-X", CHAIN]))?;
    }
    Ok(removed)
}

/// Install the chain and the jumps for the configuration's zone interfaces. Call
/// [`cleanup_stale`] first (the chain must not exist). On failure what was installed is
/// removed again.
pub fn install(config: &Config, queue: u16, fail_open: bool) -> Result<Rules, RulesError> {
    install_with(config, queue, fail_open, true)
}

/// [`install`], with the fast-path mark rule only when `fastpath`.
pub fn install_with(
    config: &Config,
    queue: u16,
    fail_open: bool,
    fastpath: bool,
) -> Result<Rules, RulesError> {
    let interfaces = zone_interfaces(config)?;
    let mut rules = Rules {
        families: Vec::new(),
        interfaces: Vec::new(),
        queue,
        fail_open,
    };
    for family in [Family::V4, Family::V6] {
        match install_family(family, &interfaces, queue, fail_open, fastpath) {
            Ok(true) => rules.families.push(family),
            Ok(false) => {}
            Err(e) => {
                let _ = cleanup_family(family);
                let _ = rules.remove();
                return Err(e);
            }
        }
    }
    rules.interfaces = interfaces;
    Ok(rules)
}

/// `Ok(false)`: the family's program is not installed (IPv6 only).
fn install_family(
    family: Family,
    interfaces: &[String],
    queue: u16,
    fail_open: bool,
    fastpath: bool,
) -> Result<bool, RulesError> {
    if run_required(family, &args(&["-N", CHAIN]))?.is_none() {
        return Ok(false);
    }
    for r in chain_rules(queue, fail_open, fastpath) {
        run(family, &r)?;
    }
    for iface in interfaces {
        for j in jump_rules(iface, true) {
            run(family, &j)?;
        }
    }
    Ok(true)
}

impl Rules {
    /// The interfaces whose traffic is queued.
    pub fn interfaces(&self) -> &[String] {
        &self.interfaces
    }

    pub fn queue(&self) -> u16 {
        self.queue
    }

    pub fn fail_open(&self) -> bool {
        self.fail_open
    }

    /// Follow a new configuration's zone interfaces: jumps for new interfaces are added before
    /// those of interfaces that left are removed.
    pub fn update(&mut self, config: &Config) -> Result<(), RulesError> {
        let new = zone_interfaces(config)?;
        for family in self.families.clone() {
            for iface in new.iter().filter(|i| !self.interfaces.contains(i)) {
                for j in jump_rules(iface, true) {
                    run(family, &j)?;
                }
            }
        }
        for family in self.families.clone() {
            for iface in self.interfaces.iter().filter(|i| !new.contains(i)) {
                for j in jump_rules(iface, false) {
                    run(family, &j)?;
                }
            }
        }
        self.interfaces = new;
        Ok(())
    }

    /// Remove the jumps and the chain. Everything is attempted; the first error is returned.
    pub fn remove(self) -> Result<(), RulesError> {
        let mut first = None;
        for family in &self.families {
            if let Err(e) = cleanup_family(*family) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_rules_fail_closed_and_open() {
        let closed = chain_rules(7, false, true);
        assert_eq!(
            closed[0].join(" "),
            "-A SIPWALL -m mark --mark 0x51570002 -j ACCEPT"
        );
        assert_eq!(
            closed[1].join(" "),
            "-A SIPWALL -m mark --mark 0x51570001 -j ACCEPT"
        );
        assert_eq!(closed[2].join(" "), "-A SIPWALL -j NFQUEUE --queue-num 7");
        let open = chain_rules(0, true, true);
        assert_eq!(
            open[2].join(" "),
            "-A SIPWALL -j NFQUEUE --queue-num 0 --queue-bypass"
        );
        let no_fp = chain_rules(3, false, false);
        assert_eq!(no_fp.len(), 2);
        assert_eq!(
            no_fp[0].join(" "),
            "-A SIPWALL -m mark --mark 0x51570002 -j ACCEPT"
        );
        assert_eq!(no_fp[1].join(" "), "-A SIPWALL -j NFQUEUE --queue-num 3");
    }

    #[test]
    fn jumps_cover_forward_input_output() {
        let ins: Vec<String> = jump_rules("eth0", true)
            .iter()
            .map(|v| v.join(" "))
            .collect();
        assert_eq!(
            ins,
            [
                "-I FORWARD 1 -i eth0 -j SIPWALL",
                "-I FORWARD 1 -o eth0 -j SIPWALL",
                "-I INPUT 1 -i eth0 -j SIPWALL",
                "-I OUTPUT 1 -o eth0 -j SIPWALL",
            ]
        );
        let del = jump_rules("eth0", false);
        assert_eq!(del[3].join(" "), "-D OUTPUT -o eth0 -j SIPWALL");
    }

    #[test]
    fn stale_jumps_only_ours() {
        let listing = "-P FORWARD DROP\n\
                       -A FORWARD -i eth0 -j SIPWALL\n\
                       -A FORWARD -o eth1 -j SIPWALL\n\
                       -A FORWARD -i eth0 -j SIPWALL_OTHER\n\
                       -A FORWARD -m comment --comment \"-j SIPWALL\" -j ACCEPT\n\
                       -A FORWARD -j DOCKER\n";
        let d: Vec<String> = stale_jumps(listing).iter().map(|v| v.join(" ")).collect();
        assert_eq!(
            d,
            [
                "-D FORWARD -i eth0 -j SIPWALL",
                "-D FORWARD -o eth1 -j SIPWALL"
            ]
        );
        assert!(stale_jumps("").is_empty());
    }

    #[test]
    fn interface_names() {
        assert!(valid_ifname("eth0"));
        assert!(valid_ifname("veth-fw.100"));
        assert!(!valid_ifname(""));
        assert!(!valid_ifname("GigabitEthernet0/0/1"));
        assert!(!valid_ifname("a-very-long-interface"));
        assert!(!valid_ifname("-j"));
        assert!(!valid_ifname("eth+"));
        assert!(!valid_ifname("eth 0"));
    }

    #[test]
    fn zone_interfaces_of_a_config() {
        let text = "zone security inside\nzone security outside\n\
                    interface eth1\n zone-member security outside\n\
                    interface eth0\n zone-member security inside\n\
                    interface mgmt0\n";
        let (cfg, _) = sipwall_config::parse(text, "t.cfg").expect("valid config");
        assert_eq!(
            zone_interfaces(&cfg).expect("zone members"),
            ["eth0", "eth1"]
        );
        let (none, _) = sipwall_config::parse("interface eth0\n", "t.cfg").expect("valid");
        assert!(matches!(
            zone_interfaces(&none),
            Err(RulesError::NoZoneInterfaces)
        ));
    }
}
