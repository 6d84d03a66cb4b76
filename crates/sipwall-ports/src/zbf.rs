//! Flows rendered as a sipwall zone-firewall configuration (`sipwall ports config --format
//! sipwall`).
//!
//! The zone-firewall language matches zones (chosen per packet by the route to its source and
//! destination address) and, in inspect class-maps, protocols or destination ports
//! (`match port`). It has no address ACLs, so addresses become zones:
//!
//! * every distinct address of the flows gets a zone named after its (first) role, an
//!   interface with no address in that zone (`pm0`, `pm1`, ...: Linux names are at most 15
//!   bytes) and a host route (`/32` or `/128`) out of that interface;
//! * "any address" (roles such as `remote-endpoint` when no address is given) is zone `any`,
//!   reached by the default routes;
//! * each (source zone, destination zone) with flows gets a zone-pair and a policy-map with one
//!   class per table row and transport, `match port` lines for the row's destination ports, and
//!   `class-default` `drop log`; every other pair of zones has no zone-pair, so it is dropped.
//!
//! Not expressible, and said so in the output: source ports (return traffic is admitted by
//! inspection state), even/odd port parity (the whole range is opened), IPsec AH (no such
//! transport in the language). Optional rows (bracketed ports in the seed) are written
//! commented out. No class uses `match protocol sip`: chapter 2 asks for SIP/H.323 ALG
//! inspection to be off on the Expressway-E path, and the Expressways' SIP is TLS elsewhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::flow::{Addr, Flow};
use crate::model::{Advice, Transport};
use crate::portspec::{Parity, PortSpec};

/// Idle timeout for long-lived signalling connections (chapter 2: at least 2 hours).
pub const SIGNALLING_IDLE_SECS: u64 = 7200;
/// Name of the parameter-map used for long-lived signalling flows.
pub const SIGNALLING_PARAMETER_MAP: &str = "expressway-signalling";
/// Name of the parameter-map used for every other flow.
pub const DEFAULT_PARAMETER_MAP: &str = "expressway-default";
/// Zone of "any address".
pub const ANY_ZONE: &str = "any";

/// Words of a row purpose that mark a long-lived signalling connection.
const SIGNALLING_WORDS: &[&str] = &[
    "sip",
    "h.323",
    "h323",
    "h.225",
    "h.245",
    "q.931",
    "signal",
    "xmpp",
    "tunnel",
    "traversal",
];

/// Is this flow long-lived signalling (chapter 2's idle-timeout advice applies)?
#[must_use]
pub fn is_long_lived_signalling(f: &Flow) -> bool {
    if f.transport != Transport::Tcp {
        return false;
    }
    let p = f.purpose.to_ascii_lowercase();
    !p.contains("media") && SIGNALLING_WORDS.iter().any(|w| p.contains(w))
}

/// One line of `!` comment text: no line breaks.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The class-map name of a flow: unique per deployment, row and transport.
#[must_use]
pub fn class_name(f: &Flow) -> String {
    let t = match f.transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
        Transport::Ah => "ah",
    };
    format!("{}-row{}-{t}", f.deployment, f.row)
}

/// `match` lines for a flow's destination ports; `None` when the language cannot express it.
fn match_lines(f: &Flow) -> Option<(Vec<String>, Vec<String>)> {
    let t = match f.transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
        Transport::Ah => return None,
    };
    let mut notes = Vec::new();
    let lines = match &f.dst_ports {
        PortSpec::Ports(ranges) => ranges
            .iter()
            .map(|r| {
                if r.parity != Parity::All {
                    notes.push(format!(
                        "{r}: parity cannot be matched; the whole range {}-{} is opened",
                        r.lo, r.hi
                    ));
                }
                if r.lo == r.hi {
                    format!(" match port {t} {}", r.lo)
                } else {
                    format!(" match port {t} range {} {}", r.lo, r.hi)
                }
            })
            .collect(),
        PortSpec::Any | PortSpec::Ephemeral => {
            notes.push(format!("destination port {}: any {t} port", f.dst_ports));
            vec![format!(" match protocol {t}")]
        }
        PortSpec::NotApplicable | PortSpec::Configured => return None,
    };
    Some((lines, notes))
}

struct Zones {
    /// address -> zone name, in first-seen order.
    by_addr: Vec<(IpAddr, String)>,
    /// zone name -> roles of its address.
    roles: BTreeMap<String, Vec<String>>,
    any: bool,
}

impl Zones {
    fn of(&self, a: Addr) -> &str {
        match a {
            Addr::Any => ANY_ZONE,
            Addr::Ip(ip) => self
                .by_addr
                .iter()
                .find(|(x, _)| *x == ip)
                .map_or(ANY_ZONE, |(_, z)| z.as_str()),
        }
    }

    fn build(flows: &[Flow]) -> Zones {
        let mut z = Zones {
            by_addr: Vec::new(),
            roles: BTreeMap::new(),
            any: false,
        };
        for f in flows {
            for (a, role) in [(f.src, &f.src_role), (f.dst, &f.dst_role)] {
                let Addr::Ip(ip) = a else {
                    z.any = true;
                    continue;
                };
                let name = match z.by_addr.iter().find(|(x, _)| *x == ip) {
                    Some((_, n)) => n.clone(),
                    None => {
                        let mut name = role.clone();
                        let mut n = 2;
                        while z.roles.contains_key(&name) || name == ANY_ZONE {
                            name = format!("{role}-{n}");
                            n += 1;
                        }
                        z.by_addr.push((ip, name.clone()));
                        name
                    }
                };
                let roles = z.roles.entry(name).or_default();
                if !roles.contains(role) {
                    roles.push(role.clone());
                }
            }
        }
        z
    }
}

/// Render flows as a sipwall configuration (see the module documentation for the mapping).
/// `advice` is written as comments at the top.
#[must_use]
pub fn to_sipwall(deployment: &str, flows: &[Flow], advice: &[&Advice]) -> String {
    let zones = Zones::build(flows);
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "! Generated by `sipwall ports config --deployment {} --format sipwall` from the Cisco",
        comment(deployment)
    );
    w.push_str(
        "! Expressway IP port reference. Check it with `sipwall check-config FILE`.\n\
         !\n\
         ! Mapping (the zone-firewall language has no address ACLs):\n\
         ! - each address is a zone (named after its role) behind an address-less interface\n\
         !   reached by a host route; \"any address\" is zone \"any\" behind the default routes;\n\
         ! - each source/destination zone pair with flows has a zone-pair whose policy-map has one\n\
         !   class per table row and transport (`match port`: destination ports only; return\n\
         !   traffic is admitted by inspection state); everything else is dropped;\n\
         ! - no class matches `protocol sip`: SIP/H.323 ALG inspection stays off (chapter 2:\n\
         !   the ALG breaks the Expressway-E path; elsewhere the Expressways' SIP is TLS).\n\
         !\n",
    );
    for a in advice {
        let _ = writeln!(w, "! advice ({}): {}", a.id, comment(&a.text));
    }
    w.push_str("!\n");
    let _ = writeln!(
        w,
        "! Long-lived signalling (SIP, H.323, XMPP, traversal, SSH tunnels): chapter 2 asks for an\n\
         ! idle timeout of at least 2 hours, so calls are not cut when signalling is quiet.\n\
         parameter-map type inspect {SIGNALLING_PARAMETER_MAP}\n \
         tcp idle-time {SIGNALLING_IDLE_SECS}\n \
         sip idle-time {SIGNALLING_IDLE_SECS}\n\
         !\n\
         parameter-map type inspect {DEFAULT_PARAMETER_MAP}\n \
         tcp idle-time 3600\n \
         udp idle-time 30\n\
         !"
    );

    // Class-maps, once per (deployment, row, transport).
    let mut seen: Vec<String> = Vec::new();
    let mut not_expressible: Vec<&Flow> = Vec::new();
    for f in flows {
        let name = class_name(f);
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        let Some((lines, notes)) = match_lines(f) else {
            not_expressible.push(f);
            continue;
        };
        let prefix = if f.optional { "! " } else { "" };
        let _ = writeln!(w, "! {}: {}", f.reference(), comment(&f.purpose));
        if f.optional {
            w.push_str("! optional (port shown in brackets in the reference, off by default):\n");
        }
        for n in notes {
            let _ = writeln!(w, "! note: {}", comment(&n));
        }
        let _ = writeln!(w, "{prefix}class-map type inspect match-any {name}");
        for l in lines {
            let _ = writeln!(w, "{prefix}{l}");
        }
        w.push_str("!\n");
    }
    for f in &not_expressible {
        let _ = writeln!(
            w,
            "! not expressible in the zone-firewall language: {} ({}, {:?}): {}",
            f.reference(),
            comment(&f.purpose),
            f.transport,
            f.dst_ports
        );
    }

    // Policy-maps and zone-pairs, per (source zone, destination zone), in first-seen order.
    let mut pairs: Vec<((String, String), Vec<&Flow>)> = Vec::new();
    for f in flows {
        if match_lines(f).is_none() {
            continue;
        }
        let key = (zones.of(f.src).to_string(), zones.of(f.dst).to_string());
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => pairs.push((key, vec![f])),
        }
    }
    for ((s, d), fs) in &pairs {
        if s == d {
            let _ = writeln!(
                w,
                "! {s} -> {s}: same address on both ends; traffic within one zone is not policed"
            );
            continue;
        }
        let policy = format!("{s}-to-{d}");
        let _ = writeln!(w, "policy-map type inspect {policy}");
        let mut done: Vec<String> = Vec::new();
        for f in fs {
            let name = class_name(f);
            if done.contains(&name) {
                continue;
            }
            done.push(name.clone());
            let pm = if is_long_lived_signalling(f) {
                SIGNALLING_PARAMETER_MAP
            } else {
                DEFAULT_PARAMETER_MAP
            };
            let prefix = if f.optional { "! " } else { "" };
            let _ = writeln!(w, " ! {}: {}", f.reference(), comment(&f.purpose));
            let _ = writeln!(w, "{prefix} class type inspect {name}");
            let _ = writeln!(w, "{prefix}  inspect {pm}");
        }
        w.push_str(" class class-default\n  drop log\n!\n");
    }

    // Zones, interfaces, routes.
    if zones.any {
        let _ = writeln!(
            w,
            "zone security {ANY_ZONE}\n description any address (roles with no address given)"
        );
    }
    for (name, roles) in &zones.roles {
        let _ = writeln!(
            w,
            "zone security {name}\n description {}",
            comment(&roles.join(", "))
        );
    }
    w.push_str("!\n");
    for ((s, d), _) in pairs.iter().filter(|((s, d), _)| s != d) {
        let _ = writeln!(
            w,
            "zone-pair security {s}-to-{d} source {s} destination {d}\n \
             service-policy type inspect {s}-to-{d}"
        );
    }
    w.push_str("!\n");
    let mut iface_no = 0usize;
    if zones.any {
        let _ = writeln!(
            w,
            "interface pm{iface_no}\n description any address\n zone-member security {ANY_ZONE}\n\
             !\nip route 0.0.0.0 0.0.0.0 pm{iface_no}\nipv6 route ::/0 pm{iface_no}\n!"
        );
        iface_no += 1;
    }
    for (ip, zone) in &zones.by_addr {
        let _ = writeln!(
            w,
            "interface pm{iface_no}\n description {zone} {ip}\n zone-member security {zone}\n!"
        );
        match ip {
            IpAddr::V4(v4) => {
                let _ = writeln!(w, "ip route {v4} 255.255.255.255 pm{iface_no}");
            }
            IpAddr::V6(v6) => {
                let _ = writeln!(w, "ipv6 route {v6}/128 pm{iface_no}");
            }
        }
        w.push_str("!\n");
        iface_no += 1;
    }
    w.push_str("end\n");
    out
}
