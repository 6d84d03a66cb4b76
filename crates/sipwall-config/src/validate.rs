//! Validation of a parsed configuration: references, nesting, zone-pairs, addresses.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use crate::error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
use crate::iface::interface_key;
use crate::limits::MAX_CLASS_NESTING;
use crate::model::{Action, ClassMatch, Config, MatchKind, RouteTarget, ZoneRef};
use crate::parser::{Parsed, RefKind};
use crate::suggest;

struct Check<'a> {
    file: &'a str,
    errors: Vec<ConfigError>,
    warnings: Vec<Warning>,
}

impl Check<'_> {
    fn error(&mut self, at: Location, kind: ErrorKind, message: String) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            at,
            kind,
            message,
        });
    }

    fn warn(&mut self, at: Location, kind: WarningKind, message: String) {
        self.warnings.push(Warning {
            file: self.file.to_string(),
            at,
            kind,
            message,
        });
    }
}

/// Check everything that needs the whole configuration.
pub(crate) fn validate(
    parsed: Parsed,
    file: &str,
) -> Result<(Config, Vec<Warning>), Vec<ConfigError>> {
    let Parsed {
        config,
        warnings,
        references,
        classes_without_action,
        pair_locations,
    } = parsed;
    let mut c = Check {
        file,
        errors: Vec::new(),
        warnings,
    };

    // References to undefined objects.
    for r in &references {
        let (what, names): (&str, Vec<&str>) = match r.kind {
            RefKind::ClassMap => (
                "class-map",
                config.class_maps.keys().map(String::as_str).collect(),
            ),
            RefKind::SipClassMap => (
                "SIP class-map",
                config.sip_class_maps.keys().map(String::as_str).collect(),
            ),
            RefKind::PolicyMap => (
                "policy-map",
                config.policy_maps.keys().map(String::as_str).collect(),
            ),
            RefKind::SipPolicyMap => (
                "SIP policy-map",
                config.sip_policy_maps.keys().map(String::as_str).collect(),
            ),
            RefKind::Zone => ("zone", config.zones.keys().map(String::as_str).collect()),
            RefKind::ParameterMap => (
                "parameter-map",
                config.parameter_maps.keys().map(String::as_str).collect(),
            ),
            RefKind::Interface => (
                "interface",
                config
                    .interfaces
                    .values()
                    .map(|i| i.name.as_str())
                    .collect(),
            ),
        };
        let defined = match r.kind {
            RefKind::Interface => config.interfaces.contains_key(&interface_key(&r.name)),
            _ => names.contains(&r.name.as_str()),
        };
        if defined {
            continue;
        }
        let mut message = if r.kind == RefKind::Zone && r.name == "default" {
            "zone \"default\" is not defined; configure \"zone security default\" first".to_string()
        } else {
            format!("{what} \"{}\" is not defined", r.name)
        };
        if !(r.kind == RefKind::Zone && r.name == "default") {
            if names.is_empty() {
                message.push_str(&format!(" (no {what} is defined)"));
            } else {
                let shown: Vec<&str> = names.iter().copied().take(10).collect();
                let more = if names.len() > 10 { ", ..." } else { "" };
                message.push_str(&format!(" (defined: {}{more})", shown.join(", ")));
            }
            message.push_str(&suggest::hint(&r.name, names.iter().copied()));
        }
        c.error(r.at, ErrorKind::Undefined, message);
    }

    check_class_nesting(&config, &mut c);

    // Class-maps that cannot match.
    for cm in config.class_maps.values() {
        let protocols = cm
            .matches
            .iter()
            .filter(|m| matches!(m, ClassMatch::Protocol { .. }))
            .count();
        if cm.matches.is_empty() {
            c.warn(
                cm.at,
                WarningKind::Suspicious,
                format!(
                    "class-map \"{}\" has no match statement; it matches nothing",
                    cm.name
                ),
            );
        } else if cm.kind == MatchKind::MatchAll && protocols > 1 {
            c.warn(
                cm.at,
                WarningKind::Suspicious,
                format!(
                    "class-map \"{}\" is match-all with {protocols} protocols; a packet has one protocol, so it never matches (use match-any)",
                    cm.name
                ),
            );
        }
    }

    // Policy-map classes.
    for (policy, index) in &classes_without_action {
        if let Some(pc) = config
            .policy_maps
            .get(policy)
            .and_then(|p| p.classes.get(*index))
        {
            c.warn(
                pc.at,
                WarningKind::Suspicious,
                format!(
                    "class \"{}\" in policy-map \"{policy}\" has no action; matching traffic is dropped (add inspect, pass or drop)",
                    pc.class
                ),
            );
        }
    }
    for pm in config.policy_maps.values() {
        for pc in &pm.classes {
            if pc.sip_policy.is_some() && !matches!(pc.action, Action::Inspect { .. }) {
                c.error(
                    pc.at,
                    ErrorKind::Conflict,
                    format!(
                        "class \"{}\" in policy-map \"{}\" has a SIP service-policy but action \"{}\"; a SIP policy applies only with \"inspect\"",
                        pc.class, pm.name, pc.action
                    ),
                );
            }
        }
    }

    // Zone-pairs.
    let mut seen: BTreeMap<(ZoneRef, ZoneRef), (String, Location)> = BTreeMap::new();
    for (i, zp) in config.zone_pairs.iter().enumerate() {
        let (src_at, _) = pair_locations.get(i).copied().unwrap_or((zp.at, zp.at));
        if zp.source == ZoneRef::SelfZone && zp.destination == ZoneRef::SelfZone {
            c.error(
                src_at,
                ErrorKind::Conflict,
                format!("zone-pair \"{}\" goes from self to self; the firewall's own traffic is not zone-filtered", zp.name),
            );
        }
        let key = (zp.source.clone(), zp.destination.clone());
        if let Some((other, at)) = seen.get(&key) {
            c.error(
                zp.at,
                ErrorKind::Conflict,
                format!(
                    "zone-pair \"{}\" has the same source ({}) and destination ({}) as zone-pair \"{other}\" at line {}",
                    zp.name, zp.source, zp.destination, at.line
                ),
            );
        } else {
            seen.insert(key, (zp.name.clone(), zp.at));
        }
        if zp.policy.is_none() {
            c.warn(
                zp.at,
                WarningKind::Suspicious,
                format!(
                    "zone-pair \"{}\" has no service-policy; all traffic from {} to {} is dropped",
                    zp.name, zp.source, zp.destination
                ),
            );
        }
    }

    check_overlaps(&config, &mut c);

    // Routes whose next hop is on no connected subnet.
    let own: std::collections::HashSet<std::net::IpAddr> = config
        .interfaces
        .values()
        .flat_map(|i| i.addresses().map(|n| n.addr()))
        .collect();
    let connected: Vec<IpNet> = config
        .interfaces
        .values()
        .flat_map(|i| i.addresses().copied())
        .collect();
    for route in &config.routes {
        let hop = match &route.target {
            RouteTarget::NextHop { next_hop } => Some(*next_hop),
            RouteTarget::Interface { next_hop, .. } => *next_hop,
        };
        if let Some(hop) = hop {
            if own.contains(&hop) {
                c.error(
                    route.at,
                    ErrorKind::InvalidAddress,
                    format!(
                        "route {}: next hop {hop} is the firewall's own address",
                        route.prefix
                    ),
                );
            } else if !connected.iter().any(|n| n.contains(&hop)) {
                c.warn(
                    route.at,
                    WarningKind::Suspicious,
                    format!(
                        "route {}: next hop {hop} is on no connected subnet; the route is not used",
                        route.prefix
                    ),
                );
            }
        }
    }

    if c.errors.is_empty() {
        c.warnings.sort_by_key(|w| w.at);
        Ok((config, c.warnings))
    } else {
        c.errors.sort_by_key(|e| e.at);
        Err(c.errors)
    }
}

/// `match class-map` nesting: no cycles, at most [`MAX_CLASS_NESTING`] deep.
fn check_class_nesting(config: &Config, c: &mut Check<'_>) {
    let mut memo: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for name in config.class_maps.keys() {
        let mut path: Vec<&str> = Vec::new();
        depth(config, name, &mut path, &mut memo, &mut reported, c);
    }
}

/// Nesting depth of class-map `name` (1 = no nested class-maps); `None` on a cycle or when too
/// deep (reported once). Recursion is bounded by `MAX_CLASS_NESTING + 1` through `path`.
fn depth<'c>(
    config: &'c Config,
    name: &'c str,
    path: &mut Vec<&'c str>,
    memo: &mut BTreeMap<&'c str, usize>,
    reported: &mut BTreeSet<String>,
    c: &mut Check<'_>,
) -> Option<usize> {
    if let Some(d) = memo.get(name) {
        return Some(*d);
    }
    let cm = config.class_maps.get(name)?;
    path.push(name);
    let mut deepest = 0usize;
    let mut ok = true;
    for m in &cm.matches {
        let ClassMatch::ClassMap { name: child, at } = m else {
            continue;
        };
        if !config.class_maps.contains_key(child) {
            continue; // reported as undefined
        }
        if let Some(start) = path.iter().position(|p| *p == child.as_str()) {
            let cycle: Vec<&str> = path.get(start..).unwrap_or(&[]).to_vec();
            if cycle.iter().all(|n| !reported.contains(*n)) {
                for n in &cycle {
                    reported.insert((*n).to_string());
                }
                c.error(
                    *at,
                    ErrorKind::Cycle,
                    format!(
                        "class-map \"{child}\" includes itself: {} -> {child}",
                        cycle.join(" -> ")
                    ),
                );
            }
            ok = false;
            continue;
        }
        if path.len() >= MAX_CLASS_NESTING {
            if reported.insert(path.first().map_or(String::new(), |s| s.to_string())) {
                c.error(
                    *at,
                    ErrorKind::Cycle,
                    format!("class-map nesting deeper than {MAX_CLASS_NESTING} levels"),
                );
            }
            ok = false;
            continue;
        }
        match depth(config, child, path, memo, reported, c) {
            Some(d) => deepest = deepest.max(d),
            None => ok = false,
        }
    }
    path.pop();
    if !ok {
        return None;
    }
    let d = deepest + 1;
    if path.is_empty() && d > MAX_CLASS_NESTING {
        return None;
    }
    memo.insert(name, d);
    Some(d)
}

/// Warn about interface subnets that overlap (a sweep over subnets sorted by first address).
fn check_overlaps(config: &Config, c: &mut Check<'_>) {
    // (first, last, is_v6, interface name, subnet, location)
    let mut ranges: Vec<(u128, u128, bool, &str, IpNet, Location)> = Vec::new();
    for iface in config.interfaces.values() {
        for net in iface.addresses() {
            let (first, last, v6) = match net {
                IpNet::V4(n) => (
                    u128::from(u32::from(n.network())),
                    u128::from(u32::from(n.broadcast())),
                    false,
                ),
                IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast()), true),
            };
            ranges.push((first, last, v6, iface.name.as_str(), net.trunc(), iface.at));
        }
    }
    ranges.sort_by_key(|r| (r.2, r.0, std::cmp::Reverse(r.1)));
    let mut widest: Option<(u128, bool, &str, IpNet)> = None;
    for (first, last, v6, name, net, at) in ranges {
        if let Some((end, wv6, wname, wnet)) = widest {
            if wv6 == v6 && first <= end {
                c.warn(
                    at,
                    WarningKind::Overlap,
                    format!(
                        "subnet {net} of interface {name} overlaps {wnet} of interface {wname}"
                    ),
                );
            }
            if wv6 != v6 || last > end {
                widest = Some((last, v6, name, net));
            }
        } else {
            widest = Some((last, v6, name, net));
        }
    }
}
