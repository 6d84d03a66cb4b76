//! From a deployment and concrete addresses to allowed flows, and flows to an nftables ruleset.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Serialize;

use crate::model::{PortMap, SizeClass, SizedPorts, TableKind, Transport};
use crate::portspec::{Parity, PortRange, PortSpec};

/// Most addresses accepted for one role (e.g. the peers of a cluster).
pub const MAX_ADDRS_PER_ROLE: usize = 64;
/// Longest nftables comment we emit (nftables caps comments at 128 bytes).
pub const MAX_NFT_COMMENT: usize = 127;

/// Addresses given for roles: role id -> addresses.
pub type RoleAddrs = BTreeMap<String, Vec<IpAddr>>;

/// An endpoint of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Addr {
    /// No address restriction.
    Any,
    Ip(IpAddr),
}

/// One allowed connection between concrete addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    pub src: Addr,
    pub src_role: String,
    pub src_ports: PortSpec,
    pub transport: Transport,
    pub dst: Addr,
    pub dst_role: String,
    pub dst_ports: PortSpec,
    pub deployment: String,
    pub chapter: u8,
    pub table: Option<u16>,
    pub row: usize,
    pub purpose: String,
    /// The seed shows the destination port in brackets (disabled by default / optional).
    pub optional: bool,
}

impl Flow {
    /// `chapter 6 table 11 row 3`.
    #[must_use]
    pub fn reference(&self) -> String {
        let table = self
            .table
            .map_or_else(|| "prose".to_string(), |n| format!("table {n}"));
        format!("chapter {} {table} row {}", self.chapter, self.row)
    }
}

/// Why a row produced no flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "reason", content = "detail")]
pub enum SkipReason {
    /// No address was given for this role (nor for its fallback).
    MissingRole(String),
    /// The row has per-size ports and no size was given.
    NeedSize,
    /// The seed gives no port for the requested size.
    NoPortsForSize,
    /// The port is operator-configured with no default.
    ConfiguredPort,
    /// Source and destination addresses are of different IP families.
    AddressFamilyMismatch,
    /// Both ends resolve to any address (e.g. ICE passthrough between two off-premises
    /// endpoints): such a rule would open everything, and the traffic does not cross a firewall
    /// in front of the Expressways anyway.
    Unrestricted,
}

/// A row that produced no flow, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub deployment: String,
    pub row: usize,
    pub purpose: String,
    pub reason: SkipReason,
}

/// The result of [`flows`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowSet {
    pub flows: Vec<Flow>,
    pub skipped: Vec<Skipped>,
}

/// Errors of flow generation and role parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("unknown deployment {0:?}")]
    UnknownDeployment(String),
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    #[error("role assignment {0:?} is not ROLE=ADDRESS")]
    BadAssignment(String),
    #[error("too many addresses for role {0:?}")]
    TooManyAddresses(String),
}

/// Parse `ROLE=ADDRESS` and add it to `roles`, checking the role exists in `map`.
pub fn parse_role_assignment(
    map: &PortMap,
    text: &str,
    roles: &mut RoleAddrs,
) -> Result<(), FlowError> {
    let (role, addr) = text
        .split_once('=')
        .ok_or_else(|| FlowError::BadAssignment(text.to_string()))?;
    let role = role.trim();
    if !map.roles.contains_key(role) {
        return Err(FlowError::UnknownRole(role.to_string()));
    }
    let addr: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| FlowError::BadAssignment(text.to_string()))?;
    let list = roles.entry(role.to_string()).or_default();
    if list.len() >= MAX_ADDRS_PER_ROLE {
        return Err(FlowError::TooManyAddresses(role.to_string()));
    }
    if !list.contains(&addr) {
        list.push(addr);
    }
    Ok(())
}

/// Resolve a role to addresses: given addresses, else its expansion, else its fallback, else
/// any (for `any` / `default_any` roles). `None` when nothing resolves.
fn resolve(map: &PortMap, roles: &RoleAddrs, id: &str, depth: usize) -> Option<Vec<Addr>> {
    if depth > crate::model::MAX_ROLE_DEPTH {
        return None;
    }
    let role = map.roles.get(id)?;
    if role.any {
        return Some(vec![Addr::Any]);
    }
    if let Some(list) = roles.get(id).filter(|l| !l.is_empty()) {
        return Some(list.iter().copied().map(Addr::Ip).collect());
    }
    if !role.expands.is_empty() {
        let mut out: Vec<Addr> = Vec::new();
        for e in &role.expands {
            for a in resolve(map, roles, e, depth + 1).unwrap_or_default() {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        if !out.is_empty() {
            return Some(out);
        }
    }
    if let Some(fb) = &role.fallback {
        if let Some(v) = resolve(map, roles, fb, depth + 1) {
            return Some(v);
        }
    }
    role.default_any.then(|| vec![Addr::Any])
}

fn same_family(a: Addr, b: Addr) -> bool {
    match (a, b) {
        (Addr::Ip(x), Addr::Ip(y)) => x.is_ipv4() == y.is_ipv4(),
        _ => true,
    }
}

/// The concrete flows allowed for a deployment (or group) id, given role addresses and the
/// system size. Rows whose roles have no address are reported in [`FlowSet::skipped`].
pub fn flows(
    map: &PortMap,
    deployment: &str,
    roles: &RoleAddrs,
    size: Option<SizeClass>,
) -> Result<FlowSet, FlowError> {
    let tables = map.select(deployment);
    if tables.is_empty() {
        return Err(FlowError::UnknownDeployment(deployment.to_string()));
    }
    let mut set = FlowSet::default();
    for t in tables.into_iter().filter(|t| t.kind == TableKind::Flows) {
        for r in &t.rows {
            let skip = |reason| Skipped {
                deployment: t.deployment.clone(),
                row: r.index,
                purpose: r.purpose.clone(),
                reason,
            };
            let dst_ports = match r.dst_ports.for_size(size) {
                SizedPorts::Ports(PortSpec::Configured) => {
                    set.skipped.push(skip(SkipReason::ConfiguredPort));
                    continue;
                }
                SizedPorts::Ports(p) => p,
                SizedPorts::NeedSize => {
                    set.skipped.push(skip(SkipReason::NeedSize));
                    continue;
                }
                SizedPorts::Missing => {
                    set.skipped.push(skip(SkipReason::NoPortsForSize));
                    continue;
                }
            };
            if r.src_ports == PortSpec::Configured {
                set.skipped.push(skip(SkipReason::ConfiguredPort));
                continue;
            }
            let Some(srcs) = resolve(map, roles, &r.src, 0) else {
                set.skipped
                    .push(skip(SkipReason::MissingRole(r.src.clone())));
                continue;
            };
            let Some(dsts) = resolve(map, roles, &r.dst, 0) else {
                set.skipped
                    .push(skip(SkipReason::MissingRole(r.dst.clone())));
                continue;
            };
            let mut transports: Vec<Transport> = r.protocol.iter().map(|p| p.transport()).collect();
            transports.sort();
            transports.dedup();
            if srcs.iter().all(|a| *a == Addr::Any) && dsts.iter().all(|a| *a == Addr::Any) {
                set.skipped.push(skip(SkipReason::Unrestricted));
                continue;
            }
            let before = set.flows.len();
            for &s in &srcs {
                for &d in &dsts {
                    if !same_family(s, d) || (s == Addr::Any && d == Addr::Any) {
                        continue;
                    }
                    for &transport in &transports {
                        set.flows.push(Flow {
                            src: s,
                            src_role: r.src.clone(),
                            src_ports: r.src_ports.clone(),
                            transport,
                            dst: d,
                            dst_role: r.dst.clone(),
                            dst_ports: dst_ports.clone(),
                            deployment: t.deployment.clone(),
                            chapter: t.chapter,
                            table: t.number,
                            row: r.index,
                            purpose: r.purpose.clone(),
                            optional: r.bracketed,
                        });
                    }
                }
            }
            if set.flows.len() == before {
                set.skipped.push(skip(SkipReason::AddressFamilyMismatch));
            }
        }
    }
    Ok(set)
}

// ---------------------------------------------------------------------------------------------
// nftables rendering.

/// Port match alternatives for one side: `None` = no port match; otherwise one rule per entry
/// (an entry is the text after `dport`/`sport` plus an optional parity expression).
fn nft_port_matches(spec: &PortSpec) -> Option<Vec<(String, Parity)>> {
    let ranges = spec.ranges()?;
    let fmt = |r: &PortRange| {
        if r.lo == r.hi {
            r.lo.to_string()
        } else {
            format!("{}-{}", r.lo, r.hi)
        }
    };
    if ranges.iter().all(|r| r.parity == Parity::All) {
        let text = match ranges {
            [one] => fmt(one),
            many => format!(
                "{{ {} }}",
                many.iter().map(fmt).collect::<Vec<_>>().join(", ")
            ),
        };
        Some(vec![(text, Parity::All)])
    } else {
        Some(ranges.iter().map(|r| (fmt(r), r.parity)).collect())
    }
}

fn nft_ports(out: &mut String, proto: &str, dir: &str, m: &(String, Parity)) {
    let _ = write!(out, " {proto} {dir} {}", m.0);
    match m.1 {
        Parity::All => {}
        Parity::Even => {
            let _ = write!(out, " {proto} {dir} & 1 == 0");
        }
        Parity::Odd => {
            let _ = write!(out, " {proto} {dir} & 1 == 1");
        }
    }
}

fn nft_addr(out: &mut String, dir: &str, a: Addr) {
    match a {
        Addr::Any => {}
        Addr::Ip(IpAddr::V4(v4)) => {
            let _ = write!(out, " ip {dir} {v4}");
        }
        Addr::Ip(IpAddr::V6(v6)) => {
            let _ = write!(out, " ip6 {dir} {v6}");
        }
    }
}

/// Comment text safe for nftables: printable, no double quotes, at most [`MAX_NFT_COMMENT`] bytes.
fn nft_comment(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        };
        if out.len() + c.len_utf8() > MAX_NFT_COMMENT {
            break;
        }
        out.push(c);
    }
    out
}

/// Render flows as an nftables ruleset: `table inet sipwall_expressway`, a forward chain with
/// policy drop, established/related accepted, then one rule per flow (more when a port list
/// mixes parities) commented with its chapter/table/row and purpose. Optional flows (ports in
/// brackets in the seed) are emitted commented out.
#[must_use]
pub fn to_nft(flows: &[Flow]) -> String {
    let mut out = String::new();
    out.push_str(
        "# Generated by `sipwall ports config` from the Cisco Expressway IP port reference.\n",
    );
    out.push_str("table inet sipwall_expressway {\n");
    out.push_str("\tchain forward {\n");
    out.push_str("\t\ttype filter hook forward priority filter; policy drop;\n");
    out.push_str("\t\tct state established,related accept\n");
    for f in flows {
        let comment = nft_comment(&format!("{}: {}", f.reference(), f.purpose));
        let proto = match f.transport {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Ah => "ah",
        };
        let (srcs, dsts) = match f.transport {
            Transport::Ah => (None, None),
            _ => (
                nft_port_matches(&f.src_ports),
                nft_port_matches(&f.dst_ports),
            ),
        };
        let srcs: Vec<Option<&(String, Parity)>> = srcs
            .as_ref()
            .map_or(vec![None], |v| v.iter().map(Some).collect());
        let dsts: Vec<Option<&(String, Parity)>> = dsts
            .as_ref()
            .map_or(vec![None], |v| v.iter().map(Some).collect());
        for s in &srcs {
            for d in &dsts {
                let mut rule = String::new();
                nft_addr(&mut rule, "saddr", f.src);
                nft_addr(&mut rule, "daddr", f.dst);
                if s.is_none() && d.is_none() {
                    let _ = write!(rule, " meta l4proto {proto}");
                }
                if let Some(m) = s {
                    nft_ports(&mut rule, proto, "sport", m);
                }
                if let Some(m) = d {
                    nft_ports(&mut rule, proto, "dport", m);
                }
                let rule = format!("{} accept comment \"{comment}\"", rule.trim_start());
                if f.optional {
                    out.push_str("\t\t# optional (port shown in brackets in the reference, off by default):\n");
                    let _ = writeln!(out, "\t\t# {rule}");
                } else {
                    let _ = writeln!(out, "\t\t{rule}");
                }
            }
        }
    }
    out.push_str("\t}\n}\n");
    out
}
