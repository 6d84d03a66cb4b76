//! The zone policy, compiled from the configuration into index tables for the packet path.
//!
//! Semantics (IOS XE zone-based firewall, as documented in the README):
//!
//! | ingress zone | egress zone | result |
//! |---|---|---|
//! | none | none | accept (`no_zones`): zone policy does not apply |
//! | zone | none, or none | zone | drop (`zone_mismatch`) |
//! | Z | Z (same) | the pair Z->Z if configured, else accept (`intra_zone`) |
//! | self | any, or any | self | the pair with `self` if configured, else accept (`self_default`) |
//! | A | B | the pair A->B: none -> drop (`no_zone_pair`); no policy -> drop (`no_policy`); else the first matching class, else `class-default` |

use std::net::IpAddr;
use std::sync::Arc;

use crate::sippolicy::SipProfile;
use rustc_hash::FxHashMap;
use sipwall_config::{
    Action as CfgAction, ClassMatch, Config, MatchKind, ParameterMap, Protocol, Transport, ZoneRef,
};

/// A zone as the engine knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneId {
    Named(u16),
    SelfZone,
    Default,
}

/// Where a packet enters or leaves the firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A configured interface (index from [`crate::Engine::interface_id`]).
    Interface(u16),
    /// The firewall itself (locally originated or locally delivered).
    Local,
    /// An interface the configuration does not name: in no zone.
    Unknown,
}

/// The L4 action of a compiled class.
#[derive(Debug, Clone)]
pub enum L4Action {
    Inspect {
        timeouts: Timeouts,
        /// The SIP checks and layer-7 policy applied to SIP this class inspects.
        sip: Arc<SipProfile>,
    },
    Pass,
    Drop,
}

/// Timeouts and limits of a parameter-map, in the engine's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp_idle: u64,
    pub udp_idle: u64,
    pub icmp_idle: u64,
    pub sip_idle: u64,
    pub media_idle: u64,
    pub tcp_synwait: u64,
    pub tcp_finwait: u64,
}

impl From<&ParameterMap> for Timeouts {
    fn from(p: &ParameterMap) -> Self {
        Timeouts {
            tcp_idle: u64::from(p.tcp_idle_time),
            udp_idle: u64::from(p.udp_idle_time),
            icmp_idle: u64::from(p.icmp_idle_time),
            sip_idle: u64::from(p.sip_idle_time),
            media_idle: u64::from(p.media_idle_time),
            tcp_synwait: u64::from(p.tcp_synwait_time),
            tcp_finwait: u64::from(p.tcp_finwait_time),
        }
    }
}

/// A class-map, flattened: `match-any` / `match-all` over protocols and nested maps.
#[derive(Debug, Clone)]
enum Matcher {
    Protocol(Protocol),
    /// `match port`: transport and inclusive destination port range; never SIP-inspected.
    Port(Transport, u16, u16),
    Any(Vec<Matcher>),
    All(Vec<Matcher>),
}

#[derive(Debug, Clone)]
pub struct CompiledClass {
    pub name: String,
    matcher: Matcher,
    pub action: L4Action,
}

#[derive(Debug, Clone)]
pub struct CompiledPair {
    pub name: String,
    /// `None`: no service-policy (drop).
    pub classes: Option<Vec<CompiledClass>>,
    pub default_action: L4Action,
}

/// What the policy decided for the first packet of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    NoZones,
    IntraZone,
    SelfDefault,
    ZoneMismatch,
    NoZonePair,
    NoPolicy { pair: u16 },
    Class { pair: u16, class: u16 },
    ClassDefault { pair: u16 },
}

/// The packet facts a class matches on.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub transport: Option<Transport>,
    pub dport: Option<u16>,
}

#[derive(Debug)]
pub struct Policy {
    pub interfaces: Vec<String>,
    iface_zone: Vec<Option<ZoneId>>,
    iface_by_name: FxHashMap<String, u16>,
    pub zone_names: Vec<String>,
    pairs: Vec<CompiledPair>,
    pair_index: FxHashMap<(ZoneId, ZoneId), u16>,
    sip_ports: Vec<(Transport, u16)>,
    pub global_timeouts: Timeouts,
    /// SIP profile of the global parameter-map, for SIP no class applies to.
    pub global_sip: Arc<SipProfile>,
    own_addresses: Vec<IpAddr>,
}

impl Matcher {
    /// Some(is_sip) when the packet matches.
    fn eval(&self, facts: &Facts, sip_ports: &[(Transport, u16)]) -> Option<bool> {
        match self {
            Matcher::Protocol(p) => {
                protocol_matches(*p, facts, sip_ports).then_some(*p == Protocol::Sip)
            }
            Matcher::Port(t, low, high) => (facts.transport == Some(*t)
                && facts.dport.is_some_and(|d| (*low..=*high).contains(&d)))
            .then_some(false),
            Matcher::Any(ms) => {
                let mut hit = None;
                for m in ms {
                    if let Some(sip) = m.eval(facts, sip_ports) {
                        if sip {
                            return Some(true);
                        }
                        hit = Some(false);
                    }
                }
                hit
            }
            Matcher::All(ms) => {
                if ms.is_empty() {
                    return None;
                }
                let mut sip = false;
                for m in ms {
                    sip |= m.eval(facts, sip_ports)?;
                }
                Some(sip)
            }
        }
    }
}

fn protocol_matches(p: Protocol, facts: &Facts, sip_ports: &[(Transport, u16)]) -> bool {
    let Some(t) = facts.transport else {
        return false;
    };
    match p {
        Protocol::Tcp => t == Transport::Tcp,
        Protocol::Udp => t == Transport::Udp,
        Protocol::Icmp => t == Transport::Icmp,
        Protocol::Sip => facts.dport.is_some_and(|d| sip_ports.contains(&(t, d))),
        other => facts
            .dport
            .is_some_and(|d| other.well_known_ports().contains(&(t, d))),
    }
}

fn compile_matcher(cfg: &Config, class: &str, depth: usize) -> Matcher {
    let Some(cm) = cfg.class_maps.get(class) else {
        return Matcher::Any(Vec::new());
    };
    // Nesting depth is bounded by the configuration's validation; this guard keeps the
    // recursion finite even if it were not.
    let parts = cm
        .matches
        .iter()
        .map(|m| match m {
            ClassMatch::Protocol { protocol, .. } => Matcher::Protocol(*protocol),
            ClassMatch::Port {
                transport,
                low,
                high,
                ..
            } => Matcher::Port(*transport, *low, *high),
            ClassMatch::ClassMap { name, .. } if depth < 32 => {
                compile_matcher(cfg, name, depth + 1)
            }
            ClassMatch::ClassMap { .. } => Matcher::Any(Vec::new()),
        })
        .collect();
    match cm.kind {
        MatchKind::MatchAny => Matcher::Any(parts),
        MatchKind::MatchAll => Matcher::All(parts),
    }
}

fn compile_action(cfg: &Config, a: &CfgAction, sip_policy: Option<&String>) -> L4Action {
    match a {
        CfgAction::Inspect { parameter_map } => {
            let pm = cfg.parameter_map(parameter_map.as_deref());
            L4Action::Inspect {
                timeouts: Timeouts::from(pm),
                sip: Arc::new(SipProfile::compile(
                    cfg,
                    &pm.sip,
                    sip_policy.map(String::as_str),
                )),
            }
        }
        CfgAction::Pass { .. } => L4Action::Pass,
        CfgAction::Drop { .. } => L4Action::Drop,
    }
}

impl Policy {
    pub fn compile(cfg: &Config) -> Policy {
        let zone_names: Vec<String> = cfg
            .zones
            .keys()
            .filter(|z| *z != "default")
            .cloned()
            .collect();
        let zone_id = |z: &ZoneRef| -> Option<ZoneId> {
            match z {
                ZoneRef::Named(n) if n == "default" => Some(ZoneId::Default),
                ZoneRef::Named(n) => zone_names
                    .iter()
                    .position(|x| x == n)
                    .and_then(|i| u16::try_from(i).ok())
                    .map(ZoneId::Named),
                ZoneRef::SelfZone => Some(ZoneId::SelfZone),
                ZoneRef::Default => Some(ZoneId::Default),
            }
        };
        let mut interfaces = Vec::new();
        let mut iface_zone = Vec::new();
        let mut iface_by_name = FxHashMap::default();
        let mut own_addresses = Vec::new();
        for (i, iface) in cfg.interfaces.values().enumerate() {
            let Ok(idx) = u16::try_from(i) else { break };
            interfaces.push(iface.name.clone());
            iface_zone.push(
                cfg.zone_of_interface(&iface.name)
                    .as_ref()
                    .and_then(zone_id),
            );
            iface_by_name.insert(iface.name.clone(), idx);
            iface_by_name.insert(iface.key.clone(), idx);
            own_addresses.extend(iface.addresses().map(|n| n.addr()));
        }
        let mut pairs = Vec::new();
        let mut pair_index = FxHashMap::default();
        for zp in &cfg.zone_pairs {
            let (Some(s), Some(d)) = (zone_id(&zp.source), zone_id(&zp.destination)) else {
                continue;
            };
            let Ok(idx) = u16::try_from(pairs.len()) else {
                break;
            };
            let (classes, default_action) =
                match zp.policy.as_ref().and_then(|p| cfg.policy_maps.get(p)) {
                    Some(pm) => (
                        Some(
                            pm.classes
                                .iter()
                                .map(|c| CompiledClass {
                                    name: c.class.clone(),
                                    matcher: compile_matcher(cfg, &c.class, 0),
                                    action: compile_action(cfg, &c.action, c.sip_policy.as_ref()),
                                })
                                .collect(),
                        ),
                        compile_action(cfg, &pm.class_default, None),
                    ),
                    None => (None, L4Action::Drop),
                };
            pairs.push(CompiledPair {
                name: zp.name.clone(),
                classes,
                default_action,
            });
            pair_index.insert((s, d), idx);
        }
        let mut sip_ports: Vec<(Transport, u16)> = cfg
            .sip_ports
            .iter()
            .map(|p| (p.transport, p.port))
            .collect();
        sip_ports.sort_unstable();
        Policy {
            interfaces,
            iface_zone,
            iface_by_name,
            zone_names,
            pairs,
            pair_index,
            sip_ports,
            global_timeouts: Timeouts::from(cfg.parameter_map(None)),
            global_sip: Arc::new(SipProfile::compile(cfg, &cfg.parameter_map(None).sip, None)),
            own_addresses,
        }
    }

    pub fn interface_id(&self, name: &str) -> Option<u16> {
        self.iface_by_name
            .get(name)
            .or_else(|| self.iface_by_name.get(&sipwall_config::interface_key(name)))
            .copied()
    }

    pub fn is_own_address(&self, a: IpAddr) -> bool {
        self.own_addresses.contains(&a)
    }

    pub fn zone_of(&self, side: Side) -> Option<ZoneId> {
        match side {
            Side::Interface(i) => self.iface_zone.get(usize::from(i)).copied().flatten(),
            Side::Local => Some(ZoneId::SelfZone),
            Side::Unknown => None,
        }
    }

    pub fn pair(&self, idx: u16) -> Option<&CompiledPair> {
        self.pairs.get(usize::from(idx))
    }

    pub fn is_sip_port(&self, t: Transport, port: u16) -> bool {
        self.sip_ports.binary_search(&(t, port)).is_ok()
    }

    /// Decide the first packet of a flow from `ingress` to `egress`.
    pub fn decide(
        &self,
        ingress: Side,
        egress: Side,
        facts: &Facts,
    ) -> (Decision, Option<(&L4Action, bool)>) {
        let (src, dst) = (self.zone_of(ingress), self.zone_of(egress));
        let pair = match (src, dst) {
            (None, None) => return (Decision::NoZones, None),
            (Some(ZoneId::SelfZone), Some(ZoneId::SelfZone)) => {
                return (Decision::SelfDefault, None)
            }
            (Some(s), Some(d)) => match self.pair_index.get(&(s, d)) {
                Some(p) => *p,
                None if s == d => return (Decision::IntraZone, None),
                None if s == ZoneId::SelfZone || d == ZoneId::SelfZone => {
                    return (Decision::SelfDefault, None)
                }
                None => return (Decision::NoZonePair, None),
            },
            // The firewall itself talking to an interface in no zone is not policed (IOS).
            (Some(ZoneId::SelfZone), None) | (None, Some(ZoneId::SelfZone)) => {
                return (Decision::SelfDefault, None)
            }
            (Some(_), None) | (None, Some(_)) => return (Decision::ZoneMismatch, None),
        };
        let Some(cp) = self.pairs.get(usize::from(pair)) else {
            return (Decision::NoZonePair, None);
        };
        let Some(classes) = &cp.classes else {
            return (Decision::NoPolicy { pair }, None);
        };
        for (i, c) in classes.iter().enumerate() {
            if let Some(sip) = c.matcher.eval(facts, &self.sip_ports) {
                let class = u16::try_from(i).unwrap_or(u16::MAX);
                return (Decision::Class { pair, class }, Some((&c.action, sip)));
            }
        }
        (
            Decision::ClassDefault { pair },
            Some((&cp.default_action, false)),
        )
    }

    pub fn class(&self, pair: u16, class: u16) -> Option<&CompiledClass> {
        self.pairs
            .get(usize::from(pair))?
            .classes
            .as_ref()?
            .get(usize::from(class))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "zone security a\nzone security b\n\
class-map type inspect match-any ports\n match port tcp 7001\n match port udp range 36000 36011\n\
class-map type inspect match-any sip\n match protocol sip\n\
policy-map type inspect p\n class type inspect ports\n  inspect\n class type inspect sip\n  inspect\n class class-default\n  drop\n\
zone-pair security ab source a destination b\n service-policy type inspect p\n\
interface ea\n zone-member security a\n ip address 192.0.2.1 255.255.255.0\n\
interface eb\n zone-member security b\n ip address 198.51.100.1 255.255.255.0\n";

    fn decide(p: &Policy, t: Transport, dport: u16) -> (Decision, Option<bool>) {
        let (Some(a), Some(b)) = (p.interface_id("ea"), p.interface_id("eb")) else {
            panic!("interfaces missing")
        };
        let facts = Facts {
            transport: Some(t),
            dport: Some(dport),
        };
        let (d, act) = p.decide(Side::Interface(a), Side::Interface(b), &facts);
        (d, act.map(|(_, sip)| sip))
    }

    #[test]
    fn match_port_selects_by_transport_and_range_and_never_inspects_sip() {
        let cfg = match sipwall_config::parse(CFG, "t.cfg") {
            Ok((c, _)) => c,
            Err(e) => panic!("{e:?}"),
        };
        let p = Policy::compile(&cfg);
        let class = |class| Decision::Class { pair: 0, class };
        assert_eq!(decide(&p, Transport::Tcp, 7001), (class(0), Some(false)));
        assert_eq!(decide(&p, Transport::Udp, 36000), (class(0), Some(false)));
        assert_eq!(decide(&p, Transport::Udp, 36011), (class(0), Some(false)));
        assert_eq!(
            decide(&p, Transport::Udp, 36012),
            (Decision::ClassDefault { pair: 0 }, Some(false))
        );
        assert_eq!(
            decide(&p, Transport::Udp, 7001),
            (Decision::ClassDefault { pair: 0 }, Some(false))
        );
        assert_eq!(decide(&p, Transport::Udp, 5060), (class(1), Some(true)));
    }
}
