//! The validated configuration model and the lookups the engine needs.
//!
//! Every value here has passed validation: names referenced exist, class-map nesting is acyclic
//! and at most [`crate::limits::MAX_CLASS_NESTING`] deep, addresses are consistent.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::error::Location;
use crate::iface::interface_key;
use crate::limits::MAX_CLASS_NESTING;
use crate::protocol::{Protocol, Transport};

/// The name of the built-in inspect parameter-map used by `inspect` without a name.
pub const GLOBAL_PARAMETER_MAP: &str = "global";

/// SIP's default port, UDP and TCP (RFC 3261 §19.1.2, §18).
pub const SIP_DEFAULT_PORT: u16 = 5060;

/// A whole configuration.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Config {
    /// The file name it was read from (for messages).
    pub source: String,
    /// `hostname` if given.
    pub hostname: Option<String>,
    /// Layer-4 inspect class-maps by name.
    pub class_maps: BTreeMap<String, ClassMap>,
    /// Layer-4 inspect policy-maps by name.
    pub policy_maps: BTreeMap<String, PolicyMap>,
    /// `class-map type inspect sip` by name.
    pub sip_class_maps: BTreeMap<String, SipClassMap>,
    /// `policy-map type inspect sip` by name.
    pub sip_policy_maps: BTreeMap<String, SipPolicyMap>,
    /// Security zones by name; `default` is here if `zone security default` was configured.
    pub zones: BTreeMap<String, Zone>,
    /// Zone-pairs in configuration order.
    pub zone_pairs: Vec<ZonePair>,
    /// Interfaces by normalised key (see [`crate::interface_key`]).
    pub interfaces: BTreeMap<String, Interface>,
    /// Static routes in configuration order.
    pub routes: Vec<Route>,
    /// Inspect parameter-maps by name; always holds [`GLOBAL_PARAMETER_MAP`].
    pub parameter_maps: BTreeMap<String, ParameterMap>,
    /// Ports SIP is inspected on: 5060/udp and 5060/tcp plus every `ip port-map sip`; sorted.
    pub sip_ports: Vec<SipPort>,
}

/// `match-any` or `match-all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    MatchAny,
    MatchAll,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::MatchAny => "match-any",
            MatchKind::MatchAll => "match-all",
        }
    }
}

/// `class-map type inspect {match-any|match-all} NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct ClassMap {
    pub name: String,
    pub kind: MatchKind,
    pub matches: Vec<ClassMatch>,
    pub at: Location,
}

/// One `match` line of a layer-4 class-map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum ClassMatch {
    /// `match protocol NAME`.
    Protocol { protocol: Protocol, at: Location },
    /// `match class-map NAME`.
    ClassMap { name: String, at: Location },
    /// `match port {tcp|udp} PORT` or `match port {tcp|udp} range LOW HIGH` (a sipwall
    /// extension, not IOS): the destination port is in `low..=high`. Traffic matched this way is
    /// inspected at layer 4 only, never as SIP.
    Port {
        transport: Transport,
        low: u16,
        high: u16,
        at: Location,
    },
}

/// A layer-4 action: `inspect [PARAMETER-MAP]`, `drop [log]`, `pass [log]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// Stateful inspection; `parameter_map` is `None` for the global one.
    Inspect {
        parameter_map: Option<String>,
    },
    Drop {
        log: bool,
    },
    Pass {
        log: bool,
    },
}

impl Action {
    fn describe(&self) -> String {
        match self {
            Action::Inspect {
                parameter_map: Some(p),
            } => format!("inspect {p}"),
            Action::Inspect {
                parameter_map: None,
            } => "inspect".to_string(),
            Action::Drop { log } => format!("drop{}", if *log { " log" } else { "" }),
            Action::Pass { log } => format!("pass{}", if *log { " log" } else { "" }),
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `policy-map type inspect NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyMap {
    pub name: String,
    /// Classes in order; the first that matches decides.
    pub classes: Vec<PolicyClass>,
    /// `class class-default`: what happens to traffic no class matched (drop unless configured).
    pub class_default: Action,
    pub at: Location,
}

/// `class type inspect CLASS` inside a policy-map.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyClass {
    pub class: String,
    /// The action; a class configured without one drops (with a warning at load).
    pub action: Action,
    /// `service-policy sip NAME`: the SIP (layer-7) policy applied to inspected SIP.
    pub sip_policy: Option<String>,
    pub at: Location,
}

/// `class-map type inspect sip {match-any|match-all} NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct SipClassMap {
    pub name: String,
    pub kind: MatchKind,
    pub matches: Vec<SipMatch>,
    pub at: Location,
}

/// SDP media types of `match sdp media-type` (the `m=` line media, RFC 8866 §5.14;
/// `image` is T.38 fax, RFC 6466 / ITU-T T.38 Annex D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Audio,
    Video,
    Image,
    Application,
}

/// One `match` line of a SIP class-map. Regular expressions are kept as text (already checked
/// to compile with the `regex` crate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum SipMatch {
    /// `match request method METHOD` (RFC 3261 §7.1). IOS writes methods in lower case
    /// (`invite`); SIP methods are case-sensitive and the standard ones upper case, so the
    /// method is stored upper-cased (`INVITE`).
    RequestMethod { method: String, at: Location },
    /// `match request uri regex RE` (the Request-URI, RFC 3261 §7.1).
    RequestUri { regex: String, at: Location },
    /// `match caller regex RE` (the From URI, RFC 3261 §8.1.1.3).
    Caller { regex: String, at: Location },
    /// `match callee regex RE` (the To URI, RFC 3261 §8.1.1.2).
    Callee { regex: String, at: Location },
    /// `match request header NAME regex RE` (header names case-insensitive, RFC 3261 §7.3.1).
    RequestHeader {
        name: String,
        regex: String,
        at: Location,
    },
    /// `match response status LOW[-HIGH]` (Status-Code, RFC 3261 §7.2, 100–699).
    ResponseStatus { low: u16, high: u16, at: Location },
    /// `match message-size gt N` (bytes).
    MessageSizeGt { bytes: u32, at: Location },
    /// `match content-type regex RE` (RFC 3261 §20.15).
    ContentType { regex: String, at: Location },
    /// `match sdp media-type TYPE`.
    SdpMediaType { media: MediaType, at: Location },
}

/// An action of a SIP (layer-7) policy class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum SipAction {
    Allow {
        log: bool,
    },
    Drop {
        log: bool,
    },
    /// Drop and reset the connection (TCP) / answer with an error (UDP), at the engine's choice.
    Reset {
        log: bool,
    },
}

impl std::fmt::Display for SipAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, log) = match self {
            SipAction::Allow { log } => ("allow", log),
            SipAction::Drop { log } => ("drop", log),
            SipAction::Reset { log } => ("reset", log),
        };
        write!(f, "{word}{}", if *log { " log" } else { "" })
    }
}

/// `rate-limit N per-second [per-source] [burst B]`: messages above the rate are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub per_second: u32,
    /// Count separately for each source address (otherwise one bucket for the class).
    pub per_source: bool,
    /// Bucket depth; `None` means equal to `per_second`.
    pub burst: Option<u32>,
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rate-limit {} per-second", self.per_second)?;
        if self.per_source {
            f.write_str(" per-source")?;
        }
        if let Some(b) = self.burst {
            write!(f, " burst {b}")?;
        }
        Ok(())
    }
}

/// `policy-map type inspect sip NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct SipPolicyMap {
    pub name: String,
    pub classes: Vec<SipPolicyClass>,
    /// `class class-default`: messages no class matched. Default `allow` — the layer-4 policy
    /// already decided to inspect the traffic; the SIP policy only refines it.
    pub class_default: SipAction,
    pub at: Location,
}

/// `class type inspect sip CLASS` inside a SIP policy-map.
#[derive(Debug, Clone, Serialize)]
pub struct SipPolicyClass {
    pub class: String,
    /// `allow`/`drop`/`reset`; `allow` if only a rate-limit was configured.
    pub action: SipAction,
    pub rate_limit: Option<RateLimit>,
    pub at: Location,
}

/// `zone security NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    pub name: String,
    pub description: Option<String>,
    pub at: Location,
}

/// A zone as a zone-pair end.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "zone", content = "name")]
pub enum ZoneRef {
    /// A configured zone.
    Named(String),
    /// `self`: the firewall host itself (traffic to or from its own addresses).
    SelfZone,
    /// `default`: interfaces in no zone, once `zone security default` is configured.
    Default,
}

impl std::fmt::Display for ZoneRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZoneRef::Named(n) => f.write_str(n),
            ZoneRef::SelfZone => f.write_str("self"),
            ZoneRef::Default => f.write_str("default"),
        }
    }
}

/// `zone-pair security NAME source SRC destination DST`.
#[derive(Debug, Clone, Serialize)]
pub struct ZonePair {
    pub name: String,
    pub source: ZoneRef,
    pub destination: ZoneRef,
    /// `service-policy type inspect POLICY`; `None` means the pair drops everything.
    pub policy: Option<String>,
    pub description: Option<String>,
    pub at: Location,
}

/// `interface NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct Interface {
    /// The name as first written (for display and for the OS).
    pub name: String,
    /// The normalised key ([`crate::interface_key`]).
    pub key: String,
    pub description: Option<String>,
    /// IPv4 addresses with their prefix length (`ip address A.B.C.D MASK` or `A.B.C.D/LEN`).
    pub ipv4: Vec<IpNet>,
    /// IPv6 addresses (`ipv6 address X/LEN`).
    pub ipv6: Vec<IpNet>,
    /// `zone-member security ZONE`.
    pub zone: Option<String>,
    pub at: Location,
}

impl Interface {
    /// All addresses, IPv4 first.
    pub fn addresses(&self) -> impl Iterator<Item = &IpNet> {
        self.ipv4.iter().chain(self.ipv6.iter())
    }
}

/// Where a static route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "via")]
pub enum RouteTarget {
    /// Out of an interface (key), optionally towards a next hop on it.
    Interface {
        interface: String,
        next_hop: Option<IpAddr>,
    },
    /// Towards a next hop, resolved through the connected subnets.
    NextHop { next_hop: IpAddr },
}

/// `ip route` / `ipv6 route`.
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    /// The destination prefix (host bits cleared).
    pub prefix: IpNet,
    pub target: RouteTarget,
    /// Administrative distance (1 if not given); among equal prefixes the lowest wins.
    pub distance: u8,
    pub at: Location,
}

/// `parameter-map type inspect NAME`: timeouts (seconds) and limits for inspected sessions.
///
/// Defaults ([`ParameterMap::default`]):
/// * `tcp idle-time` 3600 — IOS default.
/// * `udp idle-time` 30 — IOS default.
/// * `icmp idle-time` 10 — IOS default.
/// * `sip idle-time` 3600 — a SIP signalling flow must outlive the default registration
///   interval (Expires 3600, RFC 3261 §10.2.1.1) so that inbound calls to a registered phone
///   still find the flow.
/// * `media idle-time` 180 — RTP/RTCP/T.38 pinholes; long enough for silence suppression
///   and hold, short enough to close pinholes of calls whose BYE was lost.
/// * `tcp synwait-time` 30, `tcp finwait-time` 1 — IOS defaults.
/// * `max-incomplete low|high`, `tcp max-incomplete host`, `sessions maximum` — unlimited
///   (`None`); the engine's own table limits still apply.
/// * `alert on`, `audit-trail off`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterMap {
    pub name: String,
    pub tcp_idle_time: u32,
    pub udp_idle_time: u32,
    pub icmp_idle_time: u32,
    pub sip_idle_time: u32,
    pub media_idle_time: u32,
    pub tcp_synwait_time: u32,
    pub tcp_finwait_time: u32,
    pub max_incomplete_low: Option<u32>,
    pub max_incomplete_high: Option<u32>,
    pub tcp_max_incomplete_host: Option<u32>,
    pub sessions_maximum: Option<u32>,
    pub alert: bool,
    pub audit_trail: bool,
    /// SIP conformance, limits and flood protection (`sip ...` lines).
    pub sip: SipParams,
    /// Where it was configured; `None` for the built-in global map.
    pub at: Option<Location>,
}

/// What to do with a request whose Max-Forwards is 0 (RFC 3261 §16.3: a proxy would answer
/// 483; the element it is addressed to may still process it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MaxForwardsZero {
    Allow,
    Drop,
}

/// A per-source rate limit for one SIP method: `sip rate-limit METHOD N per-second [burst B]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodRate {
    /// Upper-case method name (`INVITE`), or `*` for every request.
    pub method: String,
    pub per_second: u32,
    /// Bucket depth (defaults to twice the rate).
    pub burst: u32,
}

/// `sip blocklist after N violations within S seconds duration D`: a source that commits `N`
/// violations (malformed or invalid SIP, policy drops, rate-limit hits) within `S` seconds is
/// blocked for `D` seconds: every SIP message and new flow from it is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Blocklist {
    pub violations: u32,
    pub within_secs: u32,
    pub duration_secs: u32,
}

/// SIP inspection settings of a parameter-map (defaults: the strict profile with sane limits).
///
/// | line | default |
/// |---|---|
/// | `sip strict-header-validation` / `no sip strict-header-validation` | on: RFC 3261 §8.1.1 mandatory headers, CSeq method, single-value headers, header grammar, Content-Length vs body on UDP, Content-Type with a body, SDP parses when application/sdp |
/// | `sip max-message-size N` | 131072 bytes |
/// | `sip max-header-count N` | 256 |
/// | `sip max-line-length N` | 8192 bytes |
/// | `sip max-via-depth N` | 32 |
/// | `sip max-route-depth N` | 32 |
/// | `sip max-forwards-zero {allow\|drop}` | allow |
/// | `sip unknown-method {allow\|drop}` | allow |
/// | `sip max-dialogs per-source N` / `per-zone N` | unlimited |
/// | `sip max-registrations per-source N` | unlimited |
/// | `sip rate-limit METHOD N per-second [burst B]` | INVITE 500/s burst 1000, REGISTER 100/s burst 200, per source (generous: a busy trunk may need more) |
/// | `sip blocklist after N violations within S seconds duration D` | 50 within 10 s, blocked 300 s |
/// | `sip max-sources N` (sources tracked for rates and the blocklist) | 65536 |
///
/// The first `sip rate-limit` line of a map replaces the default INVITE/REGISTER limits (later
/// lines add methods or replace one); `no sip rate-limit` removes all, `no sip blocklist`
/// turns blocking off. Syntax and ranges: the crate documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipParams {
    pub strict_header_validation: bool,
    pub max_message_size: u32,
    pub max_header_count: u32,
    pub max_line_length: u32,
    pub max_via_depth: u32,
    pub max_route_depth: u32,
    pub max_forwards_zero: MaxForwardsZero,
    pub unknown_methods_allowed: bool,
    pub max_dialogs_per_source: Option<u32>,
    pub max_dialogs_per_zone: Option<u32>,
    pub max_registrations_per_source: Option<u32>,
    pub rate_limits: Vec<MethodRate>,
    pub blocklist: Option<Blocklist>,
    pub max_sources: u32,
}

impl Default for SipParams {
    fn default() -> Self {
        SipParams {
            strict_header_validation: true,
            max_message_size: 131_072,
            max_header_count: 256,
            max_line_length: 8_192,
            max_via_depth: 32,
            max_route_depth: 32,
            max_forwards_zero: MaxForwardsZero::Allow,
            unknown_methods_allowed: true,
            max_dialogs_per_source: None,
            max_dialogs_per_zone: None,
            max_registrations_per_source: None,
            rate_limits: vec![
                MethodRate {
                    method: "INVITE".into(),
                    per_second: 500,
                    burst: 1000,
                },
                MethodRate {
                    method: "REGISTER".into(),
                    per_second: 100,
                    burst: 200,
                },
            ],
            blocklist: Some(Blocklist {
                violations: 50,
                within_secs: 10,
                duration_secs: 300,
            }),
            max_sources: 65_536,
        }
    }
}

impl ParameterMap {
    /// A parameter-map with every value at its default.
    pub fn with_defaults(name: &str) -> Self {
        ParameterMap {
            name: name.to_string(),
            tcp_idle_time: 3600,
            udp_idle_time: 30,
            icmp_idle_time: 10,
            sip_idle_time: 3600,
            media_idle_time: 180,
            tcp_synwait_time: 30,
            tcp_finwait_time: 1,
            max_incomplete_low: None,
            max_incomplete_high: None,
            tcp_max_incomplete_host: None,
            sessions_maximum: None,
            alert: true,
            audit_trail: false,
            sip: SipParams::default(),
            at: None,
        }
    }
}

impl Default for ParameterMap {
    fn default() -> Self {
        ParameterMap::with_defaults(GLOBAL_PARAMETER_MAP)
    }
}

/// A transport and port SIP is inspected on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SipPort {
    pub transport: Transport,
    pub port: u16,
}

impl Config {
    /// The interface with this name in any spelling (`Gi0/0/0` finds `GigabitEthernet0/0/0`).
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.get(&interface_key(name))
    }

    /// The zone an interface belongs to: its `zone-member security` zone, else
    /// [`ZoneRef::Default`] if `zone security default` is configured, else `None` (an interface
    /// in no zone — traffic between two such interfaces is not subject to zone policy).
    /// `None` too for an unknown interface.
    pub fn zone_of_interface(&self, name: &str) -> Option<ZoneRef> {
        let iface = self.interface(name)?;
        match &iface.zone {
            Some(z) if z == "default" => Some(ZoneRef::Default),
            Some(z) => Some(ZoneRef::Named(z.clone())),
            None if self.zones.contains_key("default") => Some(ZoneRef::Default),
            None => None,
        }
    }

    /// Whether `addr` is one of the firewall's own addresses (the `self` zone).
    pub fn is_own_address(&self, addr: IpAddr) -> bool {
        self.interfaces
            .values()
            .any(|i| i.addresses().any(|n| n.addr() == addr))
    }

    /// The interface whose connected subnet holds `addr` (longest prefix if several do).
    pub fn interface_for_address(&self, addr: IpAddr) -> Option<&Interface> {
        let mut best: Option<(&Interface, u8)> = None;
        for iface in self.interfaces.values() {
            for net in iface.addresses() {
                if net.contains(&addr) && best.is_none_or(|(_, len)| net.prefix_len() > len) {
                    best = Some((iface, net.prefix_len()));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The egress interface for `addr`: longest prefix over connected subnets and static
    /// routes (connected wins a tie; among routes the lowest distance, then the first
    /// configured). A next hop is resolved to the interface whose subnet contains it; a route
    /// whose next hop is on no connected subnet is skipped.
    pub fn route_lookup(&self, addr: IpAddr) -> Option<&Interface> {
        // (interface, prefix length, distance): connected routes have distance 0.
        let mut best: Option<(&Interface, u8, u8)> = None;
        let better = |best: &Option<(&Interface, u8, u8)>, len: u8, dist: u8| match best {
            None => true,
            Some((_, blen, bdist)) => len > *blen || (len == *blen && dist < *bdist),
        };
        for iface in self.interfaces.values() {
            for net in iface.addresses() {
                if net.contains(&addr) && better(&best, net.prefix_len(), 0) {
                    best = Some((iface, net.prefix_len(), 0));
                }
            }
        }
        for route in &self.routes {
            if !route.prefix.contains(&addr)
                || !better(&best, route.prefix.prefix_len(), route.distance)
            {
                continue;
            }
            let egress = match &route.target {
                RouteTarget::Interface { interface, .. } => self.interfaces.get(interface),
                RouteTarget::NextHop { next_hop } => self.interface_for_address(*next_hop),
            };
            if let Some(iface) = egress {
                best = Some((iface, route.prefix.prefix_len(), route.distance));
            }
        }
        best.map(|(i, _, _)| i)
    }

    /// The zone-pair for traffic from `source` to `destination`, if one is configured.
    pub fn zone_pair(&self, source: &ZoneRef, destination: &ZoneRef) -> Option<&ZonePair> {
        self.zone_pairs
            .iter()
            .find(|zp| &zp.source == source && &zp.destination == destination)
    }

    /// Whether SIP is inspected on this transport and port (5060 plus `ip port-map sip`).
    pub fn is_sip_port(&self, transport: Transport, port: u16) -> bool {
        self.sip_ports
            .iter()
            .any(|p| p.transport == transport && p.port == port)
    }

    /// The parameter-map an `inspect` action uses (`None` → the global one).
    pub fn parameter_map(&self, name: Option<&str>) -> &ParameterMap {
        static BUILTIN: std::sync::OnceLock<ParameterMap> = std::sync::OnceLock::new();
        let name = name.unwrap_or(GLOBAL_PARAMETER_MAP);
        self.parameter_maps
            .get(name)
            .or_else(|| self.parameter_maps.get(GLOBAL_PARAMETER_MAP))
            .unwrap_or_else(|| BUILTIN.get_or_init(ParameterMap::default))
    }

    /// Whether a packet of `transport` to destination `port` (`None` for ICMP) matches
    /// `match protocol protocol`.
    pub fn protocol_matches(
        &self,
        protocol: Protocol,
        transport: Transport,
        port: Option<u16>,
    ) -> bool {
        match protocol {
            Protocol::Tcp => transport == Transport::Tcp,
            Protocol::Udp => transport == Transport::Udp,
            Protocol::Icmp => transport == Transport::Icmp,
            Protocol::Sip => port.is_some_and(|p| self.is_sip_port(transport, p)),
            other => port.is_some_and(|p| other.well_known_ports().contains(&(transport, p))),
        }
    }

    /// Whether a packet matches layer-4 class-map `class` (following `match class-map`).
    /// `class-default` matches everything; an unknown class matches nothing.
    pub fn class_matches(&self, class: &str, transport: Transport, port: Option<u16>) -> bool {
        if class == "class-default" {
            return true;
        }
        self.class_matches_depth(class, transport, port, 0)
    }

    fn class_matches_depth(
        &self,
        class: &str,
        transport: Transport,
        port: Option<u16>,
        depth: usize,
    ) -> bool {
        // Validation bounds nesting at MAX_CLASS_NESTING; this guard keeps a hand-built Config safe.
        if depth > MAX_CLASS_NESTING {
            return false;
        }
        let Some(cm) = self.class_maps.get(class) else {
            return false;
        };
        let mut each = cm.matches.iter().map(|m| match m {
            ClassMatch::Protocol { protocol, .. } => {
                self.protocol_matches(*protocol, transport, port)
            }
            ClassMatch::ClassMap { name, .. } => {
                self.class_matches_depth(name, transport, port, depth + 1)
            }
            ClassMatch::Port {
                transport: t,
                low,
                high,
                ..
            } => *t == transport && port.is_some_and(|p| (*low..=*high).contains(&p)),
        });
        match cm.kind {
            MatchKind::MatchAny => each.any(|b| b),
            MatchKind::MatchAll => !cm.matches.is_empty() && each.all(|b| b),
        }
    }
}
