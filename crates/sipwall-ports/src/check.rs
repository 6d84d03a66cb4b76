//! A capture's flows against the port map (`sipwall ports check`).
//!
//! [`Observer`] collects flows from decoded frames (no I/O: the caller reads the capture) and a
//! few facts from plaintext SIP; [`check`] compares them with the flows a deployment allows and
//! reports: flows the map does not allow, required flows never seen, and the seed 003 fault
//! (NAT reflection with source translation between Expressway-C and Expressway-E).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use sipwall_wire::packet::{decode, LinkType, L4};
use sipwall_wire::sip::{HeaderName, Limits, Message, Transport as SipTransport};

use crate::flow::{flows, Addr, Flow, FlowError, RoleAddrs};
use crate::model::{PortMap, SizeClass, SizedPorts, TableKind, Transport};

/// Most distinct flows kept from one capture; later new flows are counted, not kept.
pub const MAX_FLOWS: usize = 100_000;
/// Most SIP messages kept as evidence.
pub const MAX_SIP: usize = 10_000;

/// Roles of Expressway-E addresses (any of them is "Expressway-E").
pub const E_ROLES: &[&str] = &[
    "expressway-e",
    "expressway-e-private",
    "expressway-e-public",
    "expressway-e-internal-nic",
    "expressway-e-external-nic",
];

/// One flow seen in a capture, oriented client -> server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedFlow {
    /// 1-based number of the first frame of the flow.
    pub frame: u64,
    pub transport: Transport,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The orientation comes from a SYN (else from the first packet and the port map).
    pub syn: bool,
    /// The server answered with a reset (TCP).
    pub reset: bool,
    pub packets: u64,
    /// Orientation fixed by SYN / SYN-ACK, or still open to the map's opinion.
    #[serde(skip)]
    oriented: bool,
}

/// A SIP message seen in plaintext, reduced to what the checks use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipSeen {
    pub frame: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `SERVICE`, or `408 (SERVICE)` for a response.
    pub summary: String,
    pub cseq_method: Option<String>,
    pub status: Option<u16>,
    /// Values of Route, Record-Route and Via headers, as text.
    pub route_like: Vec<(String, String)>,
}

/// Collects flows from frames.
#[derive(Debug, Default)]
pub struct Observer {
    flows: Vec<ObservedFlow>,
    index: BTreeMap<(Transport, SocketAddr, SocketAddr), usize>,
    sip: Vec<SipSeen>,
    /// Frames that were not TCP/UDP over IP (or did not decode).
    pub skipped_frames: u64,
    /// New flows not kept because of [`MAX_FLOWS`].
    pub flows_dropped: u64,
}

fn key(t: Transport, a: SocketAddr, b: SocketAddr) -> (Transport, SocketAddr, SocketAddr) {
    if a <= b {
        (t, a, b)
    } else {
        (t, b, a)
    }
}

impl Observer {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one captured frame.
    pub fn frame(&mut self, frame: u64, linktype: LinkType, data: &[u8]) {
        let Ok(p) = decode(linktype, data) else {
            self.skipped_frames += 1;
            return;
        };
        let (t, sp, dp, flags) = match p.l4 {
            L4::Tcp {
                src_port,
                dst_port,
                flags,
                ..
            } => (Transport::Tcp, src_port, dst_port, Some(flags)),
            L4::Udp { src_port, dst_port } => (Transport::Udp, src_port, dst_port, None),
            _ => {
                self.skipped_frames += 1;
                return;
            }
        };
        let src = SocketAddr::new(p.src, sp);
        let dst = SocketAddr::new(p.dst, dp);
        let k = key(t, src, dst);
        let syn = flags.is_some_and(|f| f.syn() && !f.ack());
        let synack = flags.is_some_and(|f| f.syn() && f.ack());
        let rst = flags.is_some_and(|f| f.rst());
        match self.index.get(&k).and_then(|&i| self.flows.get_mut(i)) {
            Some(f) => {
                f.packets += 1;
                if !f.oriented && (syn || synack) {
                    let (c, s) = if syn { (src, dst) } else { (dst, src) };
                    f.client = c;
                    f.server = s;
                    f.syn = true;
                    f.oriented = true;
                }
                if rst && src == f.server {
                    f.reset = true;
                }
            }
            None => {
                if self.flows.len() >= MAX_FLOWS {
                    self.flows_dropped += 1;
                } else {
                    let (client, server) = if synack { (dst, src) } else { (src, dst) };
                    self.index.insert(k, self.flows.len());
                    self.flows.push(ObservedFlow {
                        frame,
                        transport: t,
                        client,
                        server,
                        syn: syn || synack,
                        reset: rst && src == server,
                        packets: 1,
                        oriented: syn || synack,
                    });
                }
            }
        }
        if !p.payload.is_empty() && self.sip.len() < MAX_SIP {
            self.sip_payload(frame, t, src, dst, p.payload);
        }
    }

    fn sip_payload(
        &mut self,
        frame: u64,
        t: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) {
        // Cheap filter: a SIP start line is "METHOD sip:..." or "SIP/2.0 NNN" (RFC 3261 §7.1-2).
        let head = payload.get(..payload.len().min(256)).unwrap_or(&[]);
        if !head.windows(7).any(|w| w == b"SIP/2.0") {
            return;
        }
        let transport = match t {
            Transport::Udp => SipTransport::Datagram,
            _ => SipTransport::Stream,
        };
        let Ok(m) = Message::parse(payload, transport, &Limits::default()) else {
            return;
        };
        let cseq_method = m.cseq().ok().map(|c| c.method.to_string());
        let status = m.status();
        let summary = match (m.method(), status) {
            (Some(method), _) => method.to_string(),
            (None, Some(s)) => format!("{s} ({})", cseq_method.as_deref().unwrap_or("?")),
            (None, None) => "?".to_string(),
        };
        let mut route_like = Vec::new();
        for (name, label) in [
            (HeaderName::Route, "Route"),
            (HeaderName::RecordRoute, "Record-Route"),
            (HeaderName::Via, "Via"),
        ] {
            for h in m.headers_named(name) {
                route_like.push((
                    label.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                ));
            }
        }
        self.sip.push(SipSeen {
            frame,
            src,
            dst,
            summary,
            cseq_method,
            status,
            route_like,
        });
    }

    /// The flows seen so far, in order of first frame.
    #[must_use]
    pub fn flows(&self) -> &[ObservedFlow] {
        &self.flows
    }

    /// The plaintext SIP messages seen so far.
    #[must_use]
    pub fn sip(&self) -> &[SipSeen] {
        &self.sip
    }
}

/// A flow the map does not allow.
#[derive(Debug, Clone, Serialize)]
pub struct NotAllowed {
    pub flow: ObservedFlow,
    /// The closest row, as `chapter 7 table 17 row 2: SIP signalling`, and what differs.
    pub closest: Option<String>,
}

/// A required flow never seen.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    pub reference: String,
    pub purpose: String,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transports: Vec<Transport>,
    pub dst_ports: String,
}

/// The seed 003 fault, or its risk.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum NatFinding {
    /// Traffic arriving at Expressway-E on a C->E traversal port from an address that is not
    /// Expressway-C: the firewall translated the source address and port.
    SourceTranslated {
        flow: ObservedFlow,
        /// Why it is recognised (E's own public address, traversal-only port...).
        why: String,
        /// SIP headers naming the translated address (Route/Record-Route/Via), by frame.
        evidence: Vec<String>,
    },
    /// Expressway-C connects to a port of Expressway-E that no row lists and is refused: it
    /// follows a Route header naming a translated address (seed 003's failing TCP SYN / RST).
    RefusedReturnConnection { flow: ObservedFlow },
    /// A SERVICE request answered 408: the seed 003 symptom.
    ServiceTimeout {
        frame: u64,
        src: SocketAddr,
        dst: SocketAddr,
    },
    /// Expressway-C reaches Expressway-E through its public address (NAT reflection): fine only
    /// if the firewall does not translate the source.
    ReflectionInUse { flow: ObservedFlow },
}

/// The two fixes of seed 003.
pub const SEED_003_FIXES: [&str; 2] = [
    "disable source IP/port translation on the firewall for Expressway-C -> Expressway-E traffic (NAT reflection without source NAT), so Expressway-E sees Expressway-C's real address and port",
    "move Expressway-E to a dual-NIC configuration (no NAT reflection), and make sure the internal firewall between Expressway-C and Expressway-E does not translate the source either",
];

/// Result of [`check`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub flows_seen: usize,
    pub not_allowed: Vec<NotAllowed>,
    pub missing: Vec<Missing>,
    pub nat: Vec<NatFinding>,
    /// [`SEED_003_FIXES`] when `nat` has a fault (not only a risk).
    pub fixes: Vec<String>,
}

impl CheckReport {
    /// Anything wrong (the risk note alone does not count)?
    #[must_use]
    pub fn has_findings(&self) -> bool {
        !self.not_allowed.is_empty()
            || !self.missing.is_empty()
            || self
                .nat
                .iter()
                .any(|n| !matches!(n, NatFinding::ReflectionInUse { .. }))
    }
}

fn addr_matches(a: Addr, ip: IpAddr) -> bool {
    match a {
        Addr::Any => true,
        Addr::Ip(x) => x == ip,
    }
}

fn allows(f: &Flow, t: Transport, client: SocketAddr, server: SocketAddr) -> bool {
    f.transport == t
        && addr_matches(f.src, client.ip())
        && addr_matches(f.dst, server.ip())
        && f.dst_ports.admits(server.port())
        && f.src_ports.admits(client.port())
}

/// Score of a map flow as explanation of an observed one, with the differences.
fn closeness(f: &Flow, o: &ObservedFlow) -> (u8, Vec<String>) {
    let mut score = 0;
    let mut diff = Vec::new();
    if f.transport != o.transport {
        return (0, diff);
    }
    if f.dst_ports.admits(o.server.port()) {
        score += 4;
    } else {
        diff.push(format!(
            "destination port {} not in {}",
            o.server.port(),
            f.dst_ports
        ));
    }
    if addr_matches(f.dst, o.server.ip()) {
        score += 2;
    } else {
        diff.push(format!(
            "destination {} is not {}",
            o.server.ip(),
            f.dst_role
        ));
    }
    if addr_matches(f.src, o.client.ip()) {
        score += 2;
    } else {
        diff.push(format!("source {} is not {}", o.client.ip(), f.src_role));
    }
    if f.src_ports.admits(o.client.port()) {
        score += 1;
    } else {
        diff.push(format!(
            "source port {} not in {}",
            o.client.port(),
            f.src_ports
        ));
    }
    (score, diff)
}

/// (transport, port) admitted by the destination ports of C->E rows of any table, and not by
/// any row from another source to an Expressway-E role: the traversal-only ports.
fn traversal_only(map: &PortMap, size: Option<SizeClass>, t: Transport, port: u16) -> bool {
    let mut ce = false;
    for table in map.tables.iter().filter(|t| t.kind == TableKind::Flows) {
        for r in &table.rows {
            if !E_ROLES.contains(&r.dst.as_str()) || !r.protocol.iter().any(|p| p.transport() == t)
            {
                continue;
            }
            let admits = match r.dst_ports.for_size(size) {
                SizedPorts::Ports(p) => p.admits(port),
                // Without a size, either variant counts.
                SizedPorts::NeedSize | SizedPorts::Missing => match &r.dst_ports {
                    crate::model::DstPorts::BySize {
                        small_medium,
                        large,
                    } => small_medium
                        .iter()
                        .chain(large.iter())
                        .any(|p| p.admits(port)),
                    crate::model::DstPorts::All(p) => p.admits(port),
                },
            };
            if !admits {
                continue;
            }
            if r.src == "expressway-c" {
                ce = true;
            } else if !matches!(r.dst_ports.for_size(size), SizedPorts::Ports(p) if matches!(p, crate::portspec::PortSpec::Any | crate::portspec::PortSpec::Ephemeral))
            {
                return false;
            }
        }
    }
    ce
}

/// Compare observed flows with the flows `deployment` allows between `roles`.
///
/// Orientation: a flow without a SYN is turned around when only the reverse direction is
/// allowed by the map.
pub fn check(
    map: &PortMap,
    deployment: &str,
    roles: &RoleAddrs,
    size: Option<SizeClass>,
    observer: &Observer,
) -> Result<CheckReport, FlowError> {
    let set = flows(map, deployment, roles, size)?;
    let allowed = |t, c, s| set.flows.iter().any(|f| allows(f, t, c, s));
    let mut report = CheckReport {
        flows_seen: observer.flows.len(),
        ..CheckReport::default()
    };
    let mut oriented: Vec<ObservedFlow> = Vec::with_capacity(observer.flows.len());
    for o in &observer.flows {
        let mut o = o.clone();
        if !o.oriented
            && !allowed(o.transport, o.client, o.server)
            && (allowed(o.transport, o.server, o.client)
                || (o.client.port() < o.server.port() && o.client.port() < 1024))
        {
            std::mem::swap(&mut o.client, &mut o.server);
        }
        oriented.push(o);
    }

    let addrs_of = |ids: &[&str]| -> Vec<IpAddr> {
        ids.iter()
            .filter_map(|r| roles.get(*r))
            .flatten()
            .copied()
            .collect()
    };
    let c_addrs = addrs_of(&["expressway-c"]);
    let e_addrs = addrs_of(E_ROLES);
    let e_public = addrs_of(&["expressway-e-public"]);

    // (a) not allowed.
    for o in &oriented {
        if allowed(o.transport, o.client, o.server) {
            continue;
        }
        let best = set
            .flows
            .iter()
            .map(|f| (closeness(f, o), f))
            .filter(|((s, _), _)| *s >= 4)
            .max_by_key(|((s, _), _)| *s);
        let closest = best.map(|((_, diff), f)| {
            format!("{}: {} ({})", f.reference(), f.purpose, diff.join("; "))
        });
        report.not_allowed.push(NotAllowed {
            flow: o.clone(),
            closest,
        });
    }

    // (b) required flows never seen: both ends concrete, not optional; one per row and pair.
    let mut groups: Vec<(String, &Flow, Vec<Transport>, bool)> = Vec::new();
    for f in &set.flows {
        let (Addr::Ip(_), Addr::Ip(_)) = (f.src, f.dst) else {
            continue;
        };
        if f.optional {
            continue;
        }
        let seen = oriented
            .iter()
            .any(|o| allows(f, o.transport, o.client, o.server));
        let k = format!("{}|{}|{:?}|{:?}", f.deployment, f.row, f.src, f.dst);
        match groups.iter_mut().find(|(gk, ..)| *gk == k) {
            Some((_, _, ts, s)) => {
                ts.push(f.transport);
                *s |= seen;
            }
            None => groups.push((k, f, vec![f.transport], seen)),
        }
    }
    for (_, f, transports, seen) in groups {
        if seen {
            continue;
        }
        if let (Addr::Ip(src), Addr::Ip(dst)) = (f.src, f.dst) {
            report.missing.push(Missing {
                reference: f.reference(),
                purpose: f.purpose.clone(),
                src,
                dst,
                transports,
                dst_ports: f.dst_ports.to_string(),
            });
        }
    }

    // (c) seed 003.
    let mut fault = false;
    let mut translated: Vec<SocketAddr> = Vec::new();
    for o in &oriented {
        let to_e = e_addrs.contains(&o.server.ip());
        if !to_e || c_addrs.contains(&o.client.ip()) || o.client.ip() == o.server.ip() {
            continue;
        }
        let why = if e_public.contains(&o.client.ip()) {
            Some(format!(
                "the source is Expressway-E's own public address {} (NAT reflection with source translation)",
                o.client.ip()
            ))
        } else if traversal_only(map, size, o.transport, o.server.port())
            && !allowed(o.transport, o.client, o.server)
        {
            Some(format!(
                "{} port {} is used only by Expressway-C -> Expressway-E rows, but the source {} is not Expressway-C",
                o.transport_str(),
                o.server.port(),
                o.client.ip()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            fault = true;
            translated.push(o.client);
            let needle_full = o.client.to_string();
            let evidence = observer
                .sip
                .iter()
                .flat_map(|m| {
                    m.route_like
                        .iter()
                        .filter(|(_, v)| v.contains(&needle_full))
                        .map(move |(h, v)| format!("frame {} {}: {h}: {v}", m.frame, m.summary))
                })
                .collect();
            report.nat.push(NatFinding::SourceTranslated {
                flow: o.clone(),
                why,
                evidence,
            });
        }
    }
    for o in &oriented {
        let c_to_e = c_addrs.contains(&o.client.ip()) && e_addrs.contains(&o.server.ip());
        if !c_to_e {
            continue;
        }
        let unlisted = !map.tables.iter().any(|t| {
            t.rows.iter().any(|r| {
                E_ROLES.contains(&r.dst.as_str())
                    && r.protocol.iter().any(|p| p.transport() == o.transport)
                    && match r.dst_ports.for_size(size) {
                        SizedPorts::Ports(p) => p.ranges().is_some() && p.admits(o.server.port()),
                        _ => false,
                    }
            })
        });
        if o.transport == Transport::Tcp && o.reset && unlisted {
            fault = true;
            report
                .nat
                .push(NatFinding::RefusedReturnConnection { flow: o.clone() });
        } else if e_public.contains(&o.server.ip())
            && !e_addrs
                .iter()
                .filter(|a| !e_public.contains(a))
                .any(|a| *a == o.server.ip())
            && traversal_only(map, size, o.transport, o.server.port())
        {
            report
                .nat
                .push(NatFinding::ReflectionInUse { flow: o.clone() });
        }
    }
    for m in &observer.sip {
        if m.status == Some(408) && m.cseq_method.as_deref() == Some("SERVICE") {
            fault = true;
            report.nat.push(NatFinding::ServiceTimeout {
                frame: m.frame,
                src: m.src,
                dst: m.dst,
            });
        }
    }
    if fault {
        report.fixes = SEED_003_FIXES.iter().map(|s| (*s).to_string()).collect();
    }
    Ok(report)
}

impl ObservedFlow {
    /// `tcp` / `udp` / `ah`.
    #[must_use]
    pub fn transport_str(&self) -> &'static str {
        match self.transport {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
            Transport::Ah => "AH",
        }
    }
}
