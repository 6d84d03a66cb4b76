//! `sipwall-engine`: the sans-IO zone firewall with SIP inspection.
//!
//! One input call and one drain loop (after quinn-proto): the driver hands every IP packet to
//! [`Engine::handle_packet`] with the time and the interfaces it crossed, applies the returned
//! [`Verdict`], drains [`Engine::poll_event`], and calls [`Engine::handle_timeout`] when
//! [`Engine::poll_timeout`] says. The engine never reads a clock and never does I/O; replay and
//! the live NFQUEUE driver run this same code.

#![forbid(unsafe_code)]

pub mod dialog;
pub mod event;
pub mod flow;
mod ops;
pub mod pinhole;
pub mod policy;
pub mod sippolicy;
pub mod stream;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use sipwall_config::{Config, Transport as CfgTransport};
use sipwall_wire::packet::{decode, LinkType, PacketView, L4};
use sipwall_wire::sip::{Contact, Limits as SipLimits, Message, Method, Transport};

pub use event::{Action, Dir, Event, PinholeKind, PinholePattern, Reason, Verdict, Violation};
pub use ops::{CallDetail, PinholeDetail, ReloadReport, SessionView, ZonePairView};
pub use policy::Side;

use dialog::{Call, CallState, MediaDesc, Offer, SigAddr};
use flow::{App, Endpoint, Flow, FlowKey, FlowTable, Seg, SipFlow, Tcp, TcpCheck, TcpState};
use pinhole::{Owner, Pinhole, PinholeTable};
use policy::{Decision, Facts, L4Action, Policy};
use stream::{SipStream, StreamError, StreamLimits};

/// The interfaces a packet crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    pub ingress: Side,
    pub egress: Side,
}

/// Table sizes and parser limits. Every table is bounded; hitting a bound emits
/// [`Event::TableFull`].
#[derive(Debug, Clone, Copy)]
pub struct EngineLimits {
    pub max_flows: usize,
    pub max_calls: usize,
    pub max_pinholes: usize,
    pub max_pinholes_per_call: usize,
    pub max_registrations: usize,
    pub max_pending_registers: usize,
    /// Events kept for the driver before the oldest are dropped.
    pub max_events: usize,
    pub stream: StreamLimits,
    pub sip: SipLimits,
    /// When a SIP stream cannot be inspected any more (buffer limit, lost framing), let the
    /// connection go on uninspected instead of resetting it. Weakens security: an attacker
    /// who overflows the buffer gets an uninspected signalling channel.
    pub danger_pass_uninspected_streams: bool,
    /// Adopt TCP connections first seen after their handshake (connections older than the
    /// firewall, or than a capture's start), as Linux conntrack's loose mode does. IOS drops
    /// them (`tcp_no_syn`), and so does sipwall by default. SIP on an adopted connection is
    /// inspected from the first segment that starts with a SIP start line.
    pub tcp_midstream_pickup: bool,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            max_flows: 1_000_000,
            max_calls: 250_000,
            max_pinholes: 2_000_000,
            max_pinholes_per_call: 64,
            max_registrations: 250_000,
            max_pending_registers: 65_536,
            max_events: 1_000_000,
            stream: StreamLimits::default(),
            sip: SipLimits::default(),
            danger_pass_uninspected_streams: false,
            tcp_midstream_pickup: false,
        }
    }
}

/// How long a flow whose TCP connection was reset is kept (to absorb stray segments).
const TCP_CLOSED_LINGER: Duration = Duration::from_secs(10);
/// How long a REGISTER waits for its response.
const REGISTER_WAIT: Duration = Duration::from_secs(32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    Flow,
    Pinhole,
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Instant,
    kind: TimerKind,
    id: u32,
}

struct PendingRegister {
    ua: IpAddr,
    registrar: IpAddr,
    proto: u8,
    at: Instant,
}

/// Counters for `show` and metrics.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub packets: u64,
    pub accepted: u64,
    pub dropped: u64,
    pub sip_messages: u64,
    pub calls_total: u64,
    pub pinholes_total: u64,
    /// Packets by verdict and reason code.
    pub by_reason: FxHashMap<(Action, &'static str), u64>,
    /// SIP requests by method (methods sipwall does not know count as `OTHER`).
    pub sip_requests: FxHashMap<&'static str, u64>,
    /// SIP responses by status code.
    pub sip_responses: FxHashMap<u16, u64>,
}

type Resolver = Box<dyn Fn(&str) -> Option<IpAddr> + Send>;

/// The firewall engine.
pub struct Engine {
    config: Arc<Config>,
    policy: Policy,
    limits: EngineLimits,
    flows: FlowTable,
    pinholes: PinholeTable,
    calls: Vec<Option<Call>>,
    calls_free: Vec<u32>,
    calls_by_id: FxHashMap<Arc<str>, u32>,
    calls_len: usize,
    registrations: FxHashMap<(u8, IpAddr, u16), u32>,
    pending_registers: FxHashMap<(String, u32), PendingRegister>,
    timers: BinaryHeap<Reverse<Timer>>,
    events: VecDeque<Event>,
    events_dropped: u64,
    resolver: Option<Resolver>,
    stats: Stats,
    /// Ids shown in events: never reused within a run (table slots are).
    next_flow_serial: u64,
    next_pinhole_serial: u64,
    /// Per-source rate limits, blocklist, dialog and registration counts.
    sources: sippolicy::Sources,
    dialogs_per_zone: FxHashMap<policy::ZoneId, u32>,
}

pub(crate) fn transport_of(proto: u8) -> Option<CfgTransport> {
    match proto {
        6 => Some(CfgTransport::Tcp),
        17 => Some(CfgTransport::Udp),
        1 | 58 => Some(CfgTransport::Icmp),
        _ => None,
    }
}

/// Ports of a packet (ICMP echo identifier is not used: ICMP flows key on addresses).
fn ports(view: &PacketView<'_>) -> (u16, u16) {
    match view.l4 {
        L4::Udp { src_port, dst_port }
        | L4::Tcp {
            src_port, dst_port, ..
        }
        | L4::Sctp { src_port, dst_port } => (src_port, dst_port),
        _ => (0, 0),
    }
}

fn tcp_seg(view: &PacketView<'_>) -> Option<Seg> {
    match view.l4 {
        L4::Tcp {
            seq,
            ack,
            flags,
            window,
            ..
        } => Some(Seg {
            syn: flags.syn(),
            ack_flag: flags.ack(),
            fin: flags.fin(),
            rst: flags.rst(),
            seq,
            ack,
            window,
            len: u32::try_from(view.payload.len()).unwrap_or(u32::MAX),
            wscale: None,
        }),
        _ => None,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Engine {
    pub fn new(config: Arc<Config>, now: Instant) -> Self {
        Engine::with_limits(config, now, EngineLimits::default())
    }

    pub fn with_limits(config: Arc<Config>, _now: Instant, limits: EngineLimits) -> Self {
        let policy = Policy::compile(&config);
        Engine {
            config,
            policy,
            limits,
            flows: FlowTable::new(limits.max_flows),
            pinholes: PinholeTable::new(limits.max_pinholes),
            calls: Vec::new(),
            calls_free: Vec::new(),
            calls_by_id: FxHashMap::default(),
            calls_len: 0,
            registrations: FxHashMap::default(),
            pending_registers: FxHashMap::default(),
            timers: BinaryHeap::new(),
            events: VecDeque::new(),
            events_dropped: 0,
            resolver: None,
            stats: Stats::default(),
            next_flow_serial: 0,
            next_pinhole_serial: 0,
            sources: sippolicy::Sources::default(),
            dialogs_per_zone: FxHashMap::default(),
        }
    }

    /// Resolve hostnames found in SDP (the engine itself never does DNS).
    pub fn set_resolver(&mut self, r: Resolver) {
        self.resolver = Some(r);
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The engine's index of a configured interface (any spelling of its name).
    pub fn interface_id(&self, name: &str) -> Option<u16> {
        self.policy.interface_id(name)
    }

    pub fn zone_pair_name(&self, pair: u16) -> Option<&str> {
        self.policy.pair(pair).map(|p| p.name.as_str())
    }

    pub fn class_name(&self, pair: u16, class: u16) -> Option<&str> {
        self.policy.class(pair, class).map(|c| c.name.as_str())
    }

    /// The interfaces a packet from `src` to `dst` crosses, by the configuration's addresses
    /// and routes: the firewall's own addresses are [`Side::Local`]; otherwise the interface
    /// the route to the address leaves by; [`Side::Unknown`] when no route covers it.
    pub fn sides_by_route(&self, src: IpAddr, dst: IpAddr) -> PacketMeta {
        let side = |a: IpAddr| {
            if self.policy.is_own_address(a) {
                Side::Local
            } else {
                match self.config.route_lookup(a) {
                    Some(i) => self
                        .policy
                        .interface_id(&i.name)
                        .map_or(Side::Unknown, Side::Interface),
                    None => Side::Unknown,
                }
            }
        };
        PacketMeta {
            ingress: side(src),
            egress: side(dst),
        }
    }

    fn emit(&mut self, e: Event) {
        if self.events.len() >= self.limits.max_events {
            self.events.pop_front();
            self.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    /// The next event for the driver.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events_dropped > 0 {
            let count = std::mem::take(&mut self.events_dropped);
            return Some(Event::EventsDropped { count });
        }
        self.events.pop_front()
    }

    /// When [`Engine::handle_timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse(t)| t.at)
    }

    fn arm(&mut self, kind: TimerKind, id: u32, at: Instant) {
        self.timers.push(Reverse(Timer { at, kind, id }));
    }

    /// Expire flows, pinholes and calls whose time has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse(t)) = self.timers.peek().copied() {
            if t.at > now {
                break;
            }
            self.timers.pop();
            match t.kind {
                TimerKind::Flow => {
                    let Some(f) = self.flows.get_mut(t.id) else {
                        continue;
                    };
                    if f.timer_at != t.at {
                        continue; // superseded
                    }
                    let exp = f.expires_at();
                    if exp > now {
                        f.timer_at = exp;
                        self.arm(TimerKind::Flow, t.id, exp);
                    } else {
                        self.close_flow(t.id, "idle");
                    }
                }
                TimerKind::Pinhole => {
                    let Some(p) = self.pinholes.get(t.id) else {
                        continue;
                    };
                    let exp = p.expires_at();
                    if exp > now {
                        self.arm(TimerKind::Pinhole, t.id, exp);
                    } else {
                        let reason = if p.deadline.is_some_and(|d| d <= now) {
                            "expired"
                        } else {
                            "idle"
                        };
                        self.close_pinhole(t.id, reason);
                    }
                }
                TimerKind::Call => {
                    let Some(c) = self.call(t.id) else { continue };
                    let exp = c.expires_at();
                    if exp > now {
                        self.arm(TimerKind::Call, t.id, exp);
                    } else {
                        let reason = if c.cancelled.is_some() {
                            "cancel"
                        } else {
                            "timeout"
                        };
                        self.end_call(t.id, reason);
                    }
                }
            }
        }
        self.pending_registers
            .retain(|_, p| now.saturating_duration_since(p.at) < REGISTER_WAIT);
    }

    /// Decide one IP packet (starting at the IP header) that crossed `meta` at `now`.
    pub fn handle_packet(&mut self, now: Instant, meta: &PacketMeta, pkt: &[u8]) -> Verdict {
        self.stats.packets += 1;
        let v = self.decide(now, meta, pkt);
        if v.is_accept() {
            self.stats.accepted += 1;
        } else {
            self.stats.dropped += 1;
        }
        *self
            .stats
            .by_reason
            .entry((v.action, v.reason.code()))
            .or_default() += 1;
        v
    }

    fn decide(&mut self, now: Instant, meta: &PacketMeta, pkt: &[u8]) -> Verdict {
        let view = match decode(LinkType::RAW, pkt) {
            Ok(v) => v,
            Err(_) => return Verdict::drop(Reason::Violation(Violation::Malformed)),
        };
        if view.fragment.is_some() {
            return Verdict::drop(Reason::Violation(Violation::Fragment));
        }
        let (sport, dport) = ports(&view);
        let src = Endpoint {
            addr: view.src,
            port: sport,
        };
        let dst = Endpoint {
            addr: view.dst,
            port: dport,
        };
        let key = FlowKey::new(view.proto, src, dst);
        if let Some(id) = self.flows.lookup(&key) {
            return self.on_flow_packet(now, id, src, &view);
        }
        // A pinhole opened from signalling?
        if let Some(pid) = self.pinholes.find(view.proto, view.src, view.dst, dport) {
            return self.open_from_pinhole(now, pid, key, src, dst, &view);
        }
        if self.sources.is_blocked(view.src, now) {
            return Verdict::drop(Reason::Violation(Violation::SipBlocked));
        }
        let facts = Facts {
            transport: transport_of(view.proto),
            dport: matches!(view.proto, 6 | 17).then_some(dport),
        };
        let (decision, action) = self.policy.decide(meta.ingress, meta.egress, &facts);
        let (action, sip) = match action {
            Some((a, sip)) => (a.clone(), sip),
            None => {
                return match decision {
                    Decision::NoZones => Verdict::accept(Reason::NoZones),
                    Decision::IntraZone => Verdict::accept(Reason::IntraZone),
                    Decision::SelfDefault => Verdict::accept(Reason::SelfDefault),
                    Decision::ZoneMismatch => Verdict::drop(Reason::ZoneMismatch),
                    Decision::NoPolicy { pair } => Verdict::drop(Reason::NoPolicy { pair }),
                    _ => Verdict::drop(Reason::NoZonePair),
                }
            }
        };
        let (reason, pair, class) = match decision {
            Decision::Class { pair, class } => {
                (Reason::Class { pair, class }, Some(pair), Some(class))
            }
            Decision::ClassDefault { pair } => (Reason::ClassDefault { pair }, Some(pair), None),
            _ => (Reason::NoZonePair, None, None),
        };
        match action {
            L4Action::Drop => Verdict::drop(reason),
            L4Action::Pass => Verdict::accept(reason),
            L4Action::Inspect {
                timeouts,
                sip: profile,
            } => {
                let seg = tcp_seg(&view);
                let mut midstream = false;
                if let Some(s) = &seg {
                    if Tcp::bad_flags(s) {
                        return Verdict::drop(Reason::Violation(Violation::TcpBadFlags));
                    }
                    if !s.syn || s.ack_flag {
                        let adoptable =
                            self.limits.tcp_midstream_pickup && !s.syn && !s.rst && s.ack_flag;
                        if !adoptable {
                            return Verdict::drop(Reason::Violation(Violation::TcpNoSyn));
                        }
                        midstream = true;
                    }
                }
                let sip = sip && matches!(view.proto, 6 | 17);
                let idle = match view.proto {
                    6 => timeouts.tcp_synwait,
                    17 if sip => timeouts.sip_idle,
                    17 => timeouts.udp_idle,
                    1 | 58 => timeouts.icmp_idle,
                    _ => timeouts.udp_idle,
                };
                let app = if sip {
                    let mut streams = [SipStream::default(), SipStream::default()];
                    if midstream {
                        streams.iter_mut().for_each(SipStream::start_unsynced);
                    }
                    App::Sip(Box::new(SipFlow {
                        profile,
                        streams,
                        desynced: false,
                    }))
                } else {
                    App::None
                };
                let flow = Flow {
                    id: 0,
                    serial: 0,
                    key,
                    orig: src,
                    resp: dst,
                    proto: view.proto,
                    pair,
                    class,
                    created: now,
                    last_seen: now,
                    idle: Duration::from_secs(idle),
                    tcp: seg.map(|s| {
                        Box::new(if midstream {
                            Tcp::midstream(&s)
                        } else {
                            Tcp::new(&s)
                        })
                    }),
                    app,
                    pinhole: None,
                    packets: [0; 2],
                    bytes: [0; 2],
                    timer_at: now,
                    sides: (meta.ingress, meta.egress),
                };
                let Some(id) = self.insert_flow(flow) else {
                    return Verdict::drop(Reason::TableFull);
                };
                let pair_name = pair
                    .and_then(|p| self.zone_pair_name(p))
                    .map(str::to_string);
                let class_name = match (pair, class) {
                    (Some(p), Some(c)) => self.class_name(p, c).map(str::to_string),
                    (Some(_), None) => Some("class-default".to_string()),
                    _ => None,
                };
                let serial = self.flow_serial(id);
                self.emit(Event::FlowOpen {
                    flow: serial,
                    proto: view.proto,
                    src: src.addr,
                    sport: src.port,
                    dst: dst.addr,
                    dport: dst.port,
                    zone_pair: pair_name,
                    class: class_name,
                    pinhole: None,
                    inspect: sip.then_some("sip"),
                });
                let v = self.on_flow_packet(now, id, src, &view);
                if v.is_accept() {
                    Verdict::accept(reason)
                } else {
                    // The packet that would have opened the flow was refused (a malformed or
                    // forbidden first SIP datagram, say): it leaves no state behind, so a
                    // stream of refused first packets cannot fill the flow table. The serial
                    // check keeps a slot reused meanwhile untouched.
                    if self.flow_serial(id) == serial {
                        self.close_flow(id, "refused");
                    }
                    v
                }
            }
        }
    }

    fn flow_serial(&self, id: u32) -> u64 {
        self.flows.get(id).map_or(u64::MAX, |f| f.serial)
    }

    fn pinhole_serial(&self, id: u32) -> u64 {
        self.pinholes.get(id).map_or(u64::MAX, |p| p.serial)
    }

    fn insert_flow(&mut self, mut flow: Flow) -> Option<u32> {
        flow.serial = self.next_flow_serial;
        self.next_flow_serial += 1;
        let at = flow.expires_at();
        match self.flows.insert(flow) {
            Some(id) => {
                if let Some(f) = self.flows.get_mut(id) {
                    f.timer_at = at;
                }
                self.arm(TimerKind::Flow, id, at);
                Some(id)
            }
            None => {
                self.emit(Event::TableFull {
                    table: "flows",
                    limit: self.flows.limit,
                });
                None
            }
        }
    }

    fn open_from_pinhole(
        &mut self,
        now: Instant,
        pid: u32,
        key: FlowKey,
        src: Endpoint,
        dst: Endpoint,
        view: &PacketView<'_>,
    ) -> Verdict {
        let Some(p) = self.pinholes.get(pid) else {
            return Verdict::drop(Reason::NoZonePair);
        };
        let kind = p.kind;
        let owner = p.owner;
        let seg = tcp_seg(view);
        if let Some(s) = &seg {
            if !s.syn || s.ack_flag {
                return Verdict::drop(Reason::Violation(Violation::TcpNoSyn));
            }
        }
        let (timeouts, profile) = match owner {
            Owner::Call(c) => match self.call(c) {
                Some(call) => (call.timeouts, call.profile.clone()),
                None => (
                    self.policy.global_timeouts.into(),
                    self.policy.global_sip.clone(),
                ),
            },
            Owner::Registration => (
                self.policy.global_timeouts.into(),
                self.policy.global_sip.clone(),
            ),
        };
        let (app, idle, inspect) = match (kind.is_media(), owner) {
            (true, Owner::Call(c)) => (
                App::Media {
                    call: c,
                    pinhole: pid,
                },
                timeouts.media_idle,
                "media",
            ),
            _ => (
                App::Sip(Box::new(SipFlow {
                    profile,
                    streams: [SipStream::default(), SipStream::default()],
                    desynced: false,
                })),
                if view.proto == 6 {
                    timeouts.tcp_synwait
                } else {
                    timeouts.sip_idle
                },
                "sip",
            ),
        };
        let flow = Flow {
            id: 0,
            serial: 0,
            key,
            orig: src,
            resp: dst,
            proto: view.proto,
            pair: None,
            class: None,
            created: now,
            last_seen: now,
            idle: Duration::from_secs(idle),
            tcp: seg.map(|s| Box::new(Tcp::new(&s))),
            app,
            pinhole: Some((pid, kind)),
            packets: [0; 2],
            bytes: [0; 2],
            timer_at: now,
            sides: (Side::Unknown, Side::Unknown),
        };
        let Some(id) = self.insert_flow(flow) else {
            return Verdict::drop(Reason::TableFull);
        };
        if let Some(p) = self.pinholes.get_mut(pid) {
            p.flows.push(id);
        }
        let (serial, ph_serial) = (self.flow_serial(id), self.pinhole_serial(pid));
        self.emit(Event::FlowOpen {
            flow: serial,
            proto: view.proto,
            src: src.addr,
            sport: src.port,
            dst: dst.addr,
            dport: dst.port,
            zone_pair: None,
            class: None,
            pinhole: Some(ph_serial),
            inspect: Some(inspect),
        });
        let v = self.on_flow_packet(now, id, src, view);
        if v.is_accept() {
            Verdict::accept(Reason::Pinhole { kind })
        } else {
            v
        }
    }

    /// A packet of a known flow.
    fn on_flow_packet(
        &mut self,
        now: Instant,
        id: u32,
        src: Endpoint,
        view: &PacketView<'_>,
    ) -> Verdict {
        let Some(flow) = self.flows.get_mut(id) else {
            return Verdict::drop(Reason::NoZonePair);
        };
        let dir = flow.dir_of(src);
        let reason = match flow.pinhole {
            Some((_, kind)) => Reason::Pinhole { kind },
            None => Reason::Session { pair: flow.pair },
        };
        let mut closing_idle = None;
        let mut stream_start = None;
        if let (Some(tcp), Some(seg)) = (flow.tcp.as_mut(), tcp_seg(view)) {
            match tcp.track(dir, &seg) {
                TcpCheck::Ok => {}
                TcpCheck::OutOfWindow => {
                    return Verdict::drop(Reason::Violation(Violation::TcpOutOfWindow))
                }
                TcpCheck::BadFlags => {
                    return Verdict::drop(Reason::Violation(Violation::TcpBadFlags))
                }
            }
            if seg.syn {
                stream_start = Some(seg.seq.wrapping_add(1));
            }
            closing_idle = Some(tcp.state);
        }
        let i = dir.index();
        flow.packets[i] += 1;
        flow.bytes[i] += pkt_len(view);
        flow.last_seen = now;
        if let Some(state) = closing_idle {
            // Idle timeout follows the TCP state.
            let (synwait, finwait, idle) = self.flow_timeouts(id);
            if let Some(flow) = self.flows.get_mut(id) {
                flow.idle = match state {
                    TcpState::SynSent | TcpState::SynReceived => synwait,
                    TcpState::Established | TcpState::FinWait => idle,
                    TcpState::Closing => finwait,
                    TcpState::Closed => TCP_CLOSED_LINGER,
                };
            }
        }
        let Some(flow) = self.flows.get_mut(id) else {
            return Verdict::accept(reason);
        };
        match &mut flow.app {
            App::None => Verdict::accept(reason),
            App::Media { call, .. } => {
                // Each direction of a media flow needs its own pinhole: the SDP of the
                // receiving party decides (a party on hold receives no RTP).
                let call = *call;
                let (_, dport) = ports(view);
                let Some(pinhole) = self.pinholes.find(view.proto, view.src, view.dst, dport)
                else {
                    return Verdict::drop(Reason::NoPinhole);
                };
                let kind = self
                    .pinholes
                    .get(pinhole)
                    .map(|p| p.kind)
                    .unwrap_or(PinholeKind::Media);
                let reason = Reason::Pinhole { kind };
                let bytes = pkt_len(view);
                if let Some(p) = self.pinholes.get_mut(pinhole) {
                    p.last_used = now;
                    p.packets += 1;
                    p.bytes += bytes;
                }
                if let Some(c) = self.call_mut(call) {
                    c.last_media = now;
                    c.media_packets += 1;
                    c.media_bytes += bytes;
                }
                Verdict::accept(reason)
            }
            App::Sip(sf) => {
                if sf.desynced || view.payload.is_empty() && stream_start.is_none() {
                    return Verdict::accept(reason);
                }
                let proto = flow.proto;
                if proto == 17 {
                    let payload = view.payload;
                    if is_keepalive(payload) {
                        return Verdict::accept(reason);
                    }
                    return match self.on_sip_bytes(
                        now,
                        id,
                        dir,
                        view.src,
                        view.dst,
                        payload,
                        Transport::Datagram,
                    ) {
                        Ok(()) => Verdict::accept(reason),
                        Err(v) => Verdict::drop(Reason::Violation(v)),
                    };
                }
                // TCP: cut the stream into messages.
                let stream = &mut sf.streams[i];
                if let Some(start) = stream_start {
                    stream.start(start);
                }
                let Some(seg) = tcp_seg(view) else {
                    return Verdict::accept(reason);
                };
                let pushed =
                    stream.push(seg.seq, view.payload, &self.limits.stream, &self.limits.sip);
                if let Some(err) = pushed.error {
                    let pass = self.limits.danger_pass_uninspected_streams;
                    sf.desynced = true;
                    let (kind, offset, detail) = match err {
                        StreamError::BufferFull => {
                            (None, None, "stream buffer limit exceeded".to_string())
                        }
                        StreamError::OutOfOrderFull => (
                            None,
                            None,
                            "too many out-of-order segments held".to_string(),
                        ),
                        StreamError::Framing { kind, offset } => (
                            Some(kind.as_str()),
                            Some(offset),
                            format!("stream framing lost ({kind})"),
                        ),
                    };
                    let detail = if pass {
                        format!("{detail}; SIP no longer inspected on this flow (danger_pass_uninspected_streams)")
                    } else {
                        format!("{detail}; connection reset")
                    };
                    let serial = self.flow_serial(id);
                    self.emit(Event::Violation {
                        flow: Some(serial),
                        code: Violation::SipStream,
                        kind,
                        offset,
                        detail,
                    });
                    if pass {
                        return Verdict::accept(reason);
                    }
                    self.close_flow(id, "sip_stream_error");
                    return Verdict::drop(Reason::Violation(Violation::SipStream));
                }
                let mut verdict = Verdict::accept(reason);
                for m in pushed.messages {
                    match self.on_sip_bytes(now, id, dir, view.src, view.dst, &m, Transport::Stream)
                    {
                        Ok(()) => {}
                        Err(Violation::SipPolicyReset) => {
                            // The receiver never gets this segment: it still expects its
                            // first byte.
                            self.tcp_reset(id, dir, view, seg.seq);
                            self.close_flow(id, "sip_policy_reset");
                            return Verdict::drop(Reason::Violation(Violation::SipPolicyReset));
                        }
                        Err(v) => verdict = Verdict::drop(Reason::Violation(v)),
                    }
                }
                verdict
            }
        }
    }

    fn flow_timeouts(&self, id: u32) -> (Duration, Duration, Duration) {
        let t = self
            .flows
            .get(id)
            .and_then(|f| f.pair.zip(f.class))
            .and_then(|(p, c)| self.policy.class(p, c))
            .and_then(|c| match &c.action {
                L4Action::Inspect { timeouts, .. } => Some(*timeouts),
                _ => None,
            })
            .unwrap_or(self.policy.global_timeouts);
        let sip = self
            .flows
            .get(id)
            .is_some_and(|f| matches!(f.app, App::Sip(_)));
        let idle = if sip {
            t.sip_idle.max(t.tcp_idle)
        } else {
            t.tcp_idle
        };
        (
            Duration::from_secs(t.tcp_synwait),
            Duration::from_secs(t.tcp_finwait),
            Duration::from_secs(idle),
        )
    }

    // ---- calls -------------------------------------------------------------------------

    fn call(&self, slot: u32) -> Option<&Call> {
        self.calls.get(slot as usize).and_then(Option::as_ref)
    }

    fn call_mut(&mut self, slot: u32) -> Option<&mut Call> {
        self.calls.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn new_call(
        &mut self,
        now: Instant,
        call_id: &str,
        a: IpAddr,
        b: IpAddr,
        cseq: u32,
        flow: u32,
    ) -> Option<u32> {
        if self.calls_len >= self.limits.max_calls {
            self.emit(Event::TableFull {
                table: "calls",
                limit: self.limits.max_calls,
            });
            return None;
        }
        let (timeouts, profile) = match self.flows.get(flow) {
            Some(f) => {
                let t = f
                    .pair
                    .zip(f.class)
                    .and_then(|(p, c)| self.policy.class(p, c))
                    .and_then(|c| match &c.action {
                        L4Action::Inspect { timeouts, .. } => Some(*timeouts),
                        _ => None,
                    })
                    .unwrap_or(self.policy.global_timeouts);
                let sp = match &f.app {
                    App::Sip(s) => s.profile.clone(),
                    _ => self.policy.global_sip.clone(),
                };
                (t, sp)
            }
            None => (self.policy.global_timeouts, self.policy.global_sip.clone()),
        };
        let call_id: Arc<str> = Arc::from(call_id);
        let slot = match self.calls_free.pop() {
            Some(s) => s,
            None => {
                let s = u32::try_from(self.calls.len()).ok()?;
                self.calls.push(None);
                s
            }
        };
        let call = Call {
            slot,
            call_id: call_id.clone(),
            created: now,
            last_sip: now,
            last_media: now,
            state: CallState::Trying,
            parties: [Some(a), Some(b)],
            invite_cseq: cseq,
            committed: [None, None],
            pending: None,
            contacts: [None, None],
            record_routed: false,
            pinholes: Vec::new(),
            timeouts: timeouts.into(),
            profile,
            media_packets: 0,
            media_bytes: 0,
            cancelled: None,
            flow: (flow, self.flows.get(flow).map_or(u64::MAX, |f| f.serial)),
            zone: self
                .flows
                .get(flow)
                .and_then(|f| self.policy.zone_of(f.sides.0)),
            flow_endpoints: self.flows.get(flow).map(|f| {
                (
                    f.proto,
                    (f.orig.addr, f.orig.port),
                    (f.resp.addr, f.resp.port),
                )
            }),
        };
        let exp = call.expires_at();
        *self.sources.dialogs.entry(a).or_default() += 1;
        if let Some(z) = call.zone {
            *self.dialogs_per_zone.entry(z).or_default() += 1;
        }
        self.calls[slot as usize] = Some(call);
        self.calls_by_id.insert(call_id, slot);
        self.calls_len += 1;
        self.stats.calls_total += 1;
        self.arm(TimerKind::Call, slot, exp);
        Some(slot)
    }

    /// End a call: its pinholes close, and so do the flows they admitted.
    fn end_call(&mut self, slot: u32, reason: &'static str) {
        let pinholes = match self.call(slot) {
            Some(c) => c.pinholes.clone(),
            None => return,
        };
        for pid in pinholes {
            self.close_pinhole(pid, reason);
        }
        let Some(call) = self.calls.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.calls_len -= 1;
        self.calls_free.push(slot);
        if let Some(a) = call.parties[0] {
            if let Some(n) = self.sources.dialogs.get_mut(&a) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.sources.dialogs.remove(&a);
                }
            }
        }
        if let Some(z) = call.zone {
            if let Some(n) = self.dialogs_per_zone.get_mut(&z) {
                *n = n.saturating_sub(1);
            }
        }
        if self.calls_by_id.get(&call.call_id) == Some(&slot) {
            self.calls_by_id.remove(&call.call_id);
        }
        self.emit(Event::Dialog {
            call_id: call.call_id.to_string(),
            state: "terminated",
            reason,
        });
    }

    fn close_pinhole(&mut self, pid: u32, reason: &'static str) {
        let Some(p) = self.pinholes.remove(pid) else {
            return;
        };
        let call_id = match p.owner {
            Owner::Call(c) => self.call(c).map(|c| c.call_id.to_string()),
            Owner::Registration => None,
        };
        if let Owner::Call(c) = p.owner {
            if let Some(call) = self.call_mut(c) {
                call.pinholes.retain(|x| *x != pid);
            }
        } else {
            self.registrations.retain(|_, v| *v != pid);
            if let Some(n) = self.sources.registrations.get_mut(&p.pattern.dst) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.sources.registrations.remove(&p.pattern.dst);
                }
            }
        }
        for f in &p.flows {
            // Only flows still admitted through this pinhole.
            if self
                .flows
                .get(*f)
                .is_some_and(|fl| fl.pinhole.map(|x| x.0) == Some(pid))
            {
                self.close_flow(*f, reason);
            }
        }
        self.emit(Event::PinholeClose {
            pinhole: p.serial,
            call_id,
            kind: p.kind,
            pattern: p.pattern,
            reason,
            packets: p.packets,
            bytes: p.bytes,
        });
    }

    /// Ask the driver to reset TCP flow `id` both ways: `view` (sent in direction `dir`) is
    /// dropped, so its receiver expects `seq_to_dst`; its sender expects the other side's
    /// next sequence number. Nothing is emitted while that side has sent nothing.
    fn tcp_reset(&mut self, id: u32, dir: Dir, view: &PacketView<'_>, seq_to_dst: u32) {
        let Some(f) = self.flows.get(id) else {
            return;
        };
        let Some(back) = f.tcp.as_ref().map(|t| t.dir[1 - dir.index()]) else {
            return;
        };
        if !back.seen {
            return;
        }
        let (sport, dport) = ports(view);
        let flow = f.serial;
        self.emit(Event::TcpReset {
            flow,
            src: view.src,
            sport,
            dst: view.dst,
            dport,
            seq_to_dst,
            seq_to_src: back.end,
        });
    }

    fn close_flow(&mut self, id: u32, reason: &'static str) {
        if let Some(f) = self.flows.remove(id) {
            self.emit(Event::FlowClose {
                flow: f.serial,
                reason,
                packets: f.packets,
                bytes: f.bytes,
            });
        }
    }

    /// Make the call's pinholes match what its offer/answer state wants: keep those still
    /// wanted (their flows go on), open new ones, close the rest.
    fn reconcile(&mut self, now: Instant, slot: u32) {
        let Some(call) = self.call(slot) else { return };
        let wants = call.wants();
        let provisional_from = call.pending.as_ref().map(|o| o.from);
        let pending_wants: Vec<_> = match &call.pending {
            Some(o) => {
                let mut v = Vec::new();
                let other = 1 - o.from;
                dialog::media_wants(
                    &o.desc,
                    call.committed[other].as_ref(),
                    call.parties[other],
                    &mut v,
                );
                v
            }
            None => Vec::new(),
        };
        let committed_wants: Vec<_> = wants
            .iter()
            .filter(|w| !pending_wants.contains(w))
            .cloned()
            .collect();
        let media_idle = Duration::from_secs(call.timeouts.media_idle);
        let sip_idle = Duration::from_secs(call.timeouts.sip_idle);
        let call_id = call.call_id.to_string();
        let existing: Vec<u32> = call.pinholes.clone();
        let _ = provisional_from;
        // Close what is no longer wanted.
        for pid in existing.iter().copied() {
            let keep = self.pinholes.get(pid).is_some_and(|p| {
                wants
                    .iter()
                    .any(|(pat, k)| *pat == p.pattern && *k == p.kind)
            });
            if !keep {
                self.close_pinhole(pid, "renegotiated");
            } else if let Some(p) = self.pinholes.get_mut(pid) {
                // An answered offer makes its pinholes final.
                let provisional = !committed_wants
                    .iter()
                    .any(|(pat, k)| *pat == p.pattern && *k == p.kind);
                if provisional != p.provisional {
                    p.provisional = provisional;
                    let (kind, pattern, serial) = (p.kind, p.pattern, p.serial);
                    self.emit(Event::PinholeUpdate {
                        pinhole: serial,
                        call_id: Some(call_id.clone()),
                        kind,
                        pattern,
                        provisional,
                    });
                }
            }
        }
        // Open what is missing.
        let mut opened = 0usize;
        for (pat, kind) in wants {
            // The call's own list (at most max_pinholes_per_call), not the destination's
            // index entry, which all calls towards one trunk or PBX share (O(calls) per scan).
            let have = self.call(slot).is_some_and(|c| {
                c.pinholes.iter().any(|id| {
                    self.pinholes
                        .get(*id)
                        .is_some_and(|p| p.pattern == pat && p.kind == kind)
                })
            });
            if have {
                continue;
            }
            let count = self.call(slot).map_or(0, |c| c.pinholes.len());
            if count >= self.limits.max_pinholes_per_call {
                self.emit(Event::TableFull {
                    table: "pinholes_per_call",
                    limit: self.limits.max_pinholes_per_call,
                });
                break;
            }
            let provisional = !committed_wants.iter().any(|(p, k)| *p == pat && *k == kind);
            let idle = if kind.is_media() {
                media_idle
            } else {
                sip_idle
            };
            let ph = Pinhole {
                id: 0,
                serial: 0,
                pattern: pat,
                kind,
                owner: Owner::Call(slot),
                provisional,
                last_used: now,
                idle,
                deadline: None,
                flows: Vec::new(),
                packets: 0,
                bytes: 0,
            };
            let exp = ph.expires_at();
            let mut ph = ph;
            ph.serial = self.next_pinhole_serial;
            self.next_pinhole_serial += 1;
            match self.pinholes.insert(ph) {
                Some(pid) => {
                    if let Some(c) = self.call_mut(slot) {
                        c.pinholes.push(pid);
                    }
                    self.arm(TimerKind::Pinhole, pid, exp);
                    self.stats.pinholes_total += 1;
                    opened += 1;
                    let serial = self.pinhole_serial(pid);
                    self.emit(Event::PinholeOpen {
                        pinhole: serial,
                        call_id: Some(call_id.clone()),
                        kind,
                        pattern: pat,
                        provisional,
                        idle_timeout: idle.as_secs(),
                    });
                }
                None => {
                    self.emit(Event::TableFull {
                        table: "pinholes",
                        limit: self.pinholes.limit,
                    });
                    break;
                }
            }
        }
        let _ = opened;
    }

    // ---- SIP ---------------------------------------------------------------------------

    /// One SIP message from `src` to `dst` on flow `flow`.
    #[allow(clippy::too_many_arguments)]
    fn on_sip_bytes(
        &mut self,
        now: Instant,
        flow: u32,
        dir: Dir,
        src: IpAddr,
        dst: IpAddr,
        bytes: &[u8],
        transport: Transport,
    ) -> Result<(), Violation> {
        self.stats.sip_messages += 1;
        let flow_serial = self.flow_serial(flow);
        let profile = match self.flows.get(flow).map(|f| &f.app) {
            Some(App::Sip(s)) => s.profile.clone(),
            _ => self.policy.global_sip.clone(),
        };
        let params = &profile.params;
        if self.sources.is_blocked(src, now) {
            return Err(self.refuse(
                now,
                flow_serial,
                src,
                params,
                Violation::SipBlocked,
                None,
                None,
                "source is on the blocklist".into(),
            ));
        }
        let limits = SipLimits {
            max_message_size: profile
                .limits
                .max_message_size
                .min(self.limits.sip.max_message_size),
            max_headers: profile.limits.max_headers.min(self.limits.sip.max_headers),
            max_line_length: profile
                .limits
                .max_line_length
                .min(self.limits.sip.max_line_length),
            max_list_values: profile
                .limits
                .max_list_values
                .min(self.limits.sip.max_list_values),
        };
        let msg = match Message::parse(bytes, transport, &limits) {
            Ok(m) => m,
            Err(e) => {
                use sipwall_wire::ErrorKind as K;
                let code = match e.kind {
                    K::MessageTooLarge
                    | K::TooManyHeaders
                    | K::LineTooLong
                    | K::ContentLengthTooLarge => Violation::SipLimit,
                    _ => Violation::SipMalformed,
                };
                let detail = format!(
                    "SIP message does not parse: {} at byte {}",
                    e.kind, e.offset
                );
                return Err(self.refuse(
                    now,
                    flow_serial,
                    src,
                    params,
                    code,
                    Some(e.kind.as_str()),
                    Some(e.offset),
                    detail,
                ));
            }
        };
        let summary = match msg.status() {
            Some(code) => match msg.start_line() {
                sipwall_wire::sip::StartLine::Response { reason, .. } => {
                    format!("{code} {}", text(reason))
                }
                _ => code.to_string(),
            },
            None => msg.method().map(|m| m.to_string()).unwrap_or_default(),
        };
        match msg.method() {
            Some(m) => {
                let name = m.name().unwrap_or("OTHER");
                *self.stats.sip_requests.entry(name).or_default() += 1;
            }
            None => {
                if let Some(code) = msg.status() {
                    *self.stats.sip_responses.entry(code).or_default() += 1;
                }
            }
        }
        let call_id = msg.call_id().map(text);
        let cseq = msg.cseq().ok();
        let sdp_bytes = msg.sdp_bytes();
        self.emit(Event::Sip {
            flow: flow_serial,
            dir,
            summary,
            call_id: call_id.clone(),
            cseq: cseq.map(|c| format!("{} {}", c.seq, c.method)),
            length: msg.as_bytes().len(),
            sdp: sdp_bytes.is_some(),
        });
        if let Some((code, kind, offset, detail)) = self.check_message(&msg, &profile) {
            return Err(self.refuse(now, flow_serial, src, params, code, kind, offset, detail));
        }
        // Rate limits and the SIP policy (requests and responses alike for the policy).
        if let Some(m) = msg.method() {
            if let Some(r) = sippolicy::method_rate(params, m.as_bytes()) {
                let key = if r.method == "*" {
                    "*"
                } else {
                    r.method.as_str()
                };
                if self.sources.allow(
                    src,
                    key,
                    r.per_second,
                    r.burst,
                    now,
                    params.max_sources as usize,
                ) == Some(false)
                {
                    let detail = format!(
                        "{} from {src} over {}/s (burst {})",
                        r.method, r.per_second, r.burst
                    );
                    return Err(self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipRateLimited,
                        None,
                        None,
                        detail,
                    ));
                }
            }
        }
        if let Some(policy) = &profile.policy {
            let hit = policy.evaluate(&msg);
            if let Some(rl) = hit.rate {
                let burst = rl.burst.unwrap_or(rl.per_second);
                let key = format!("{}/{}", policy.name, hit.class);
                let ok = if rl.per_source {
                    self.sources.allow(
                        src,
                        &key,
                        rl.per_second,
                        burst,
                        now,
                        params.max_sources as usize,
                    ) != Some(false)
                } else {
                    self.sources.allow_shared(&key, rl.per_second, burst, now)
                };
                if !ok {
                    let detail = format!(
                        "class {} of SIP policy {}: over {}/s",
                        hit.class, policy.name, rl.per_second
                    );
                    return Err(self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipRateLimited,
                        None,
                        None,
                        detail,
                    ));
                }
            }
            match hit.action {
                sipwall_config::SipAction::Allow { .. } => {}
                sipwall_config::SipAction::Drop { .. } => {
                    let detail = format!("class {} of SIP policy {}: drop", hit.class, policy.name);
                    return Err(self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipPolicyDrop,
                        None,
                        None,
                        detail,
                    ));
                }
                sipwall_config::SipAction::Reset { .. } => {
                    let detail =
                        format!("class {} of SIP policy {}: reset", hit.class, policy.name);
                    let v = self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipPolicyReset,
                        None,
                        None,
                        detail,
                    );
                    // On TCP the caller resets and closes the flow (it knows the segment).
                    return Err(v);
                }
            }
        }
        // Dialog and registration limits, before anything is created for the message.
        match msg.method() {
            Some(Method::Invite)
                if call_id
                    .as_deref()
                    .is_some_and(|c| !self.calls_by_id.contains_key(c)) =>
            {
                let per_source = self.sources.dialogs.get(&src).copied().unwrap_or(0);
                let zone = self
                    .flows
                    .get(flow)
                    .and_then(|f| self.policy.zone_of(f.sides.0));
                let per_zone = zone
                    .and_then(|z| self.dialogs_per_zone.get(&z))
                    .copied()
                    .unwrap_or(0);
                let over = params
                    .max_dialogs_per_source
                    .is_some_and(|m| per_source >= m)
                    || params.max_dialogs_per_zone.is_some_and(|m| per_zone >= m);
                if over {
                    let detail =
                        format!("{per_source} dialogs from {src}, {per_zone} from its zone");
                    return Err(self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipTooManyDialogs,
                        None,
                        None,
                        detail,
                    ));
                }
            }
            Some(Method::Register) => {
                let n = self.sources.registrations.get(&src).copied().unwrap_or(0);
                if params.max_registrations_per_source.is_some_and(|m| n >= m) {
                    let detail = format!("{n} registrations from {src}");
                    return Err(self.refuse(
                        now,
                        flow_serial,
                        src,
                        params,
                        Violation::SipTooManyRegistrations,
                        None,
                        None,
                        detail,
                    ));
                }
            }
            _ => {}
        }
        let (Some(call_id), Some(cseq)) = (call_id, cseq) else {
            return Ok(());
        };
        // SDP, reduced to what the pinholes need.
        let mut unresolved = Vec::new();
        let media = match msg.sdp() {
            None => None,
            Some(Ok(s)) => {
                let resolver = &self.resolver;
                let resolve = |h: &str| resolver.as_ref().and_then(|r| r(h));
                Some(MediaDesc::from_sdp(&s, &resolve, &mut unresolved))
            }
            Some(Err(e)) => {
                self.emit(Event::Violation {
                    flow: Some(flow_serial),
                    code: Violation::SipInvalid,
                    kind: Some(e.kind.as_str()),
                    offset: Some(e.offset),
                    detail: format!("SDP does not parse: {} at byte {}", e.kind, e.offset),
                });
                return Err(Violation::SipInvalid);
            }
        };
        for host in unresolved {
            self.emit(Event::Unresolved {
                call_id: call_id.clone(),
                host,
            });
        }
        let proto = if transport == Transport::Stream {
            6
        } else {
            17
        };
        if msg.is_request() {
            self.on_request(
                now,
                flow,
                &msg,
                &call_id,
                cseq.seq,
                cseq.method,
                src,
                dst,
                proto,
                media,
            );
        } else {
            let code = msg.status().unwrap_or(0);
            self.on_response(
                now,
                &msg,
                &call_id,
                cseq.seq,
                cseq.method,
                code,
                src,
                proto,
                media,
            );
        }
        Ok(())
    }

    /// The conformance checks of a profile: `Some((code, parser kind, offset, detail))` for
    /// the first one a message fails.
    fn check_message(
        &self,
        msg: &Message<'_>,
        profile: &sippolicy::SipProfile,
    ) -> Option<(Violation, Option<&'static str>, Option<usize>, String)> {
        let p = &profile.params;
        if p.strict_header_validation {
            if let Err(e) = msg.validate() {
                let d = format!(
                    "SIP message fails validation: {} at byte {}",
                    e.kind, e.offset
                );
                return Some((
                    Violation::SipInvalid,
                    Some(e.kind.as_str()),
                    Some(e.offset),
                    d,
                ));
            }
            if let Some(Ok(ct)) = msg.content_type() {
                if ct.is_sdp() && !msg.body().is_empty() {
                    if let Err(e) = sipwall_wire::sdp::validate_strict(msg.body()) {
                        let at = e.offset + msg.body_offset();
                        let d = format!("SDP body is not valid SDP: {} at byte {at}", e.kind);
                        return Some((Violation::SipInvalid, Some(e.kind.as_str()), Some(at), d));
                    }
                }
            }
        }
        let depth = |n: usize, max: u32, what: &str| {
            (n > max as usize).then(|| {
                (
                    Violation::SipLimit,
                    None,
                    None,
                    format!("{n} {what} (limit {max})"),
                )
            })
        };
        if let Some(v) = msg
            .vias()
            .ok()
            .and_then(|v| depth(v.len(), p.max_via_depth, "Via hops"))
        {
            return Some(v);
        }
        let routes = msg
            .routes()
            .map_or(0, |r| r.len())
            .max(msg.record_routes().map_or(0, |r| r.len()));
        if let Some(v) = depth(routes, p.max_route_depth, "Route entries") {
            return Some(v);
        }
        if let Some(m) = msg.method() {
            if !p.unknown_methods_allowed && !m.is_known() {
                return Some((
                    Violation::SipUnknownMethod,
                    None,
                    None,
                    format!("unknown method {m}"),
                ));
            }
            if p.max_forwards_zero == sipwall_config::MaxForwardsZero::Drop
                && msg.max_forwards().and_then(Result::ok) == Some(0)
            {
                return Some((
                    Violation::SipMaxForwards,
                    None,
                    None,
                    "Max-Forwards is 0".into(),
                ));
            }
        }
        None
    }

    /// Refuse a message: a `violation` event, counted towards the source's blocklist.
    #[allow(clippy::too_many_arguments)]
    fn refuse(
        &mut self,
        now: Instant,
        flow_serial: u64,
        src: IpAddr,
        params: &sipwall_config::SipParams,
        code: Violation,
        kind: Option<&'static str>,
        offset: Option<usize>,
        detail: String,
    ) -> Violation {
        self.emit(Event::Violation {
            flow: Some(flow_serial),
            code,
            kind,
            offset,
            detail,
        });
        if code != Violation::SipBlocked {
            if let Some(d) = self.sources.violation(src, now, params) {
                let violations = params.blocklist.map_or(0, |b| b.violations);
                self.emit(Event::Blocked {
                    source: src,
                    duration_secs: d.as_secs(),
                    violations,
                });
            }
        }
        code
    }

    /// Sources on the blocklist (`show sip blocked`).
    pub fn blocked_sources(&self, now: Instant) -> Vec<sippolicy::BlockedSource> {
        self.sources.blocked(now)
    }

    /// Take one source, or all, off the blocklist (`clear sip blocked`).
    pub fn clear_blocked(&mut self, source: Option<IpAddr>, now: Instant) -> usize {
        self.sources.clear_blocked(source, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request(
        &mut self,
        now: Instant,
        flow: u32,
        msg: &Message<'_>,
        call_id: &str,
        cseq: u32,
        method: Method<'_>,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        media: Option<MediaDesc>,
    ) {
        let slot = self.calls_by_id.get(call_id).copied();
        match method {
            Method::Register => {
                if self.pending_registers.len() >= self.limits.max_pending_registers {
                    self.emit(Event::TableFull {
                        table: "pending_registers",
                        limit: self.limits.max_pending_registers,
                    });
                    return;
                }
                self.pending_registers.insert(
                    (call_id.to_string(), cseq),
                    PendingRegister {
                        ua: src,
                        registrar: dst,
                        proto,
                        at: now,
                    },
                );
            }
            Method::Invite => {
                let slot = match slot {
                    Some(s) => s,
                    None => {
                        let Some(s) = self.new_call(now, call_id, src, dst, cseq, flow) else {
                            return;
                        };
                        s
                    }
                };
                let c = contact_of(self, msg, proto, call_id);
                let Some(call) = self.call_mut(slot) else {
                    return;
                };
                call.last_sip = now;
                let party = call.party_of(src);
                if party == 0 && call.state != CallState::Confirmed {
                    call.invite_cseq = cseq;
                }
                if call.contacts[party].is_none() || c.is_some() {
                    call.contacts[party] = c.or(call.contacts[party]);
                }
                if let Some(desc) = media {
                    self.sdp_seen(now, slot, party, desc, cseq);
                }
            }
            Method::Ack | Method::Prack | Method::Update => {
                let Some(slot) = slot else { return };
                let Some(call) = self.call_mut(slot) else {
                    return;
                };
                call.last_sip = now;
                let party = call.party_of(src);
                if let Some(desc) = media {
                    self.sdp_seen(now, slot, party, desc, cseq);
                }
            }
            Method::Bye => {
                if let Some(slot) = slot {
                    self.end_call(slot, "bye");
                }
            }
            Method::Cancel => {
                let Some(slot) = slot else { return };
                let Some(call) = self.call_mut(slot) else {
                    return;
                };
                call.last_sip = now;
                if call.state != CallState::Confirmed {
                    // The INVITE's 487 (or other final response) ends the call; a 2xx that
                    // crossed the CANCEL keeps it (RFC 3261 §9.1).
                    call.cancelled = Some(now);
                    let at = call.expires_at();
                    self.arm(TimerKind::Call, slot, at);
                } else {
                    // CANCEL of a re-INVITE: its offer is withdrawn.
                    call.pending = None;
                    self.reconcile(now, slot);
                }
            }
            _ => {
                if let Some(c) = slot.and_then(|s| self.call_mut(s)) {
                    c.last_sip = now;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        call_id: &str,
        cseq: u32,
        method: Method<'_>,
        code: u16,
        src: IpAddr,
        proto: u8,
        media: Option<MediaDesc>,
    ) {
        if method == Method::Register {
            if (200..300).contains(&code) {
                self.registered(now, msg, call_id, cseq, src);
            } else if code >= 300 {
                self.pending_registers.remove(&(call_id.to_string(), cseq));
            }
            return;
        }
        let Some(slot) = self.calls_by_id.get(call_id).copied() else {
            return;
        };
        let contact = if method == Method::Invite && (200..300).contains(&code) {
            contact_of(self, msg, proto, call_id)
        } else {
            None
        };
        let Some(call) = self.call_mut(slot) else {
            return;
        };
        call.last_sip = now;
        let party = call.party_of(src);
        match method {
            Method::Invite => {
                if code >= 300 {
                    if cseq == call.invite_cseq && call.state != CallState::Confirmed {
                        let reason = if code == 487 { "cancelled" } else { "rejected" };
                        self.end_call(slot, reason);
                    } else {
                        // A failed re-INVITE: its offer is withdrawn, the old media stays.
                        if call.pending.as_ref().is_some_and(|o| o.cseq == cseq) {
                            call.pending = None;
                        }
                        self.reconcile(now, slot);
                    }
                    return;
                }
                if code > 100 {
                    if (200..300).contains(&code) {
                        call.cancelled = None;
                        call.record_routed = msg
                            .header(sipwall_wire::sip::HeaderName::RecordRoute)
                            .is_some();
                        if let Some(c) = contact {
                            call.contacts[party] = Some(c);
                        }
                        if call.state != CallState::Confirmed {
                            call.state = CallState::Confirmed;
                            let id = call.call_id.to_string();
                            self.emit(Event::Dialog {
                                call_id: id,
                                state: "confirmed",
                                reason: "2xx",
                            });
                        }
                    } else if call.state == CallState::Trying
                        && msg.to().ok().and_then(|t| t.tag()).is_some()
                    {
                        call.state = CallState::Early;
                        let id = call.call_id.to_string();
                        self.emit(Event::Dialog {
                            call_id: id,
                            state: "early",
                            reason: "1xx",
                        });
                    }
                    if let Some(desc) = media {
                        self.sdp_seen(now, slot, party, desc, cseq);
                    } else {
                        self.reconcile(now, slot);
                    }
                }
            }
            Method::Update | Method::Prack => {
                if code >= 300 {
                    if call.pending.as_ref().is_some_and(|o| o.cseq == cseq) {
                        call.pending = None;
                    }
                    self.reconcile(now, slot);
                } else if (200..300).contains(&code) {
                    if let Some(desc) = media {
                        self.sdp_seen(now, slot, party, desc, cseq);
                    }
                }
            }
            _ => {}
        }
    }

    /// An SDP from `party`: an answer to the other party's outstanding offer, a repeat, or a
    /// new offer (RFC 3264).
    fn sdp_seen(&mut self, now: Instant, slot: u32, party: usize, desc: MediaDesc, cseq: u32) {
        let Some(call) = self.call_mut(slot) else {
            return;
        };
        match &call.pending {
            Some(o) if o.from != party => {
                let offer = (**o).clone();
                call.committed[offer.from] = Some(offer.desc);
                call.committed[party] = Some(desc);
                call.pending = None;
            }
            Some(o) if o.from == party && o.desc.same_version(&desc) => {}
            _ => {
                let repeat = call.committed[party]
                    .as_ref()
                    .is_some_and(|c| c.same_version(&desc));
                if !repeat {
                    call.pending = Some(Box::new(Offer {
                        from: party,
                        desc,
                        cseq,
                    }));
                }
            }
        }
        self.reconcile(now, slot);
    }

    /// A 2xx to REGISTER: requests from the registrar to each Contact registered from the
    /// UA's own address are admitted until the binding expires.
    fn registered(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        call_id: &str,
        cseq: u32,
        registrar_src: IpAddr,
    ) {
        let Some(pending) = self.pending_registers.remove(&(call_id.to_string(), cseq)) else {
            return;
        };
        let header_expires = msg.expires().and_then(Result::ok);
        let Ok(Some(Contact::Addrs(contacts))) = msg.contacts() else {
            return;
        };
        for c in &contacts {
            let Some(addr) = c.uri.host().and_then(|h| h.ip()) else {
                continue;
            };
            if addr != pending.ua {
                continue; // third-party registrations open nothing
            }
            let port = c.uri.port.unwrap_or(5060);
            let proto = match c.uri.params().get(b"transport").flatten() {
                Some(t) if t.eq_ignore_ascii_case(b"tcp") => 6,
                Some(t) if t.eq_ignore_ascii_case(b"udp") => 17,
                _ => pending.proto,
            };
            let expires = c.expires().or(header_expires).unwrap_or(3600);
            let key = (proto, addr, port);
            if let Some(old) = self.registrations.get(&key).copied() {
                self.close_pinhole(old, "reregistered");
            }
            if expires == 0 {
                continue;
            }
            if self.registrations.len() >= self.limits.max_registrations {
                self.emit(Event::TableFull {
                    table: "registrations",
                    limit: self.limits.max_registrations,
                });
                return;
            }
            let life = Duration::from_secs(u64::from(expires));
            let pattern = PinholePattern {
                proto,
                src: Some(if registrar_src == pending.registrar {
                    registrar_src
                } else {
                    pending.registrar
                }),
                dst: addr,
                dport: port,
            };
            let ph = Pinhole {
                id: 0,
                serial: 0,
                pattern,
                kind: PinholeKind::Registration,
                owner: Owner::Registration,
                provisional: false,
                last_used: now,
                idle: life,
                deadline: Some(now + life),
                flows: Vec::new(),
                packets: 0,
                bytes: 0,
            };
            let exp = ph.expires_at();
            let mut ph = ph;
            ph.serial = self.next_pinhole_serial;
            self.next_pinhole_serial += 1;
            match self.pinholes.insert(ph) {
                Some(pid) => {
                    self.registrations.insert(key, pid);
                    *self.sources.registrations.entry(addr).or_default() += 1;
                    self.arm(TimerKind::Pinhole, pid, exp);
                    self.stats.pinholes_total += 1;
                    let serial = self.pinhole_serial(pid);
                    self.emit(Event::PinholeOpen {
                        pinhole: serial,
                        call_id: None,
                        kind: PinholeKind::Registration,
                        pattern,
                        provisional: false,
                        idle_timeout: life.as_secs(),
                    });
                }
                None => {
                    self.emit(Event::TableFull {
                        table: "pinholes",
                        limit: self.pinholes.limit,
                    });
                    return;
                }
            }
        }
    }

    // ---- views for show commands and reports ---------------------------------------------

    /// Active calls.
    pub fn calls(&self) -> impl Iterator<Item = CallView<'_>> {
        self.calls
            .iter()
            .filter_map(Option::as_ref)
            .map(|c| CallView {
                call_id: &c.call_id,
                state: c.state.as_str(),
                pinholes: c.pinholes.len(),
                media_packets: c.media_packets,
                media_bytes: c.media_bytes,
                created: c.created,
            })
    }

    /// Open pinholes.
    pub fn pinholes(&self) -> impl Iterator<Item = PinholeView> + '_ {
        self.pinholes.iter().map(|p| PinholeView {
            id: p.serial,
            kind: p.kind,
            pattern: p.pattern,
            provisional: p.provisional,
            packets: p.packets,
            bytes: p.bytes,
            expires_at: p.expires_at(),
        })
    }

    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    pub fn call_count(&self) -> usize {
        self.calls_len
    }

    pub fn pinhole_count(&self) -> usize {
        self.pinholes.len()
    }
}

/// A call, for display.
#[derive(Debug, Clone)]
pub struct CallView<'a> {
    pub call_id: &'a str,
    pub state: &'static str,
    pub pinholes: usize,
    pub media_packets: u64,
    pub media_bytes: u64,
    pub created: Instant,
}

/// A pinhole, for display.
#[derive(Debug, Clone)]
pub struct PinholeView {
    /// The id events use.
    pub id: u64,
    pub kind: PinholeKind,
    pub pattern: PinholePattern,
    pub provisional: bool,
    pub packets: u64,
    pub bytes: u64,
    pub expires_at: Instant,
}

/// A NAT keepalive on a SIP port rather than a SIP message: CRLF pings (RFC 5626 §3.5.1 and
/// the common UDP variant), NUL or space padding, a STUN message (RFC 5389 magic cookie;
/// RFC 5626 §4.4.2 STUN keepalives), or a payload too short to be any SIP message.
fn is_keepalive(p: &[u8]) -> bool {
    let filler =
        !p.is_empty() && p.len() <= 64 && p.iter().all(|b| matches!(b, b'\r' | b'\n' | 0 | b' '));
    let stun = p.len() >= 20 && p[0] & 0xc0 == 0 && p[4..8] == [0x21, 0x12, 0xa4, 0x42];
    // Too short to hold any SIP message and no line end: vendor pings such as "hello\0".
    let ping = p.len() <= 16 && !p.contains(&b'\n');
    filler || stun || ping
}

fn pkt_len(view: &PacketView<'_>) -> u64 {
    view.ip.len() as u64
}

/// The Contact of a message as a signalling address. A hostname goes through the resolver
/// hook; one nobody resolves is reported and gives none.
fn contact_of(engine: &mut Engine, msg: &Message<'_>, proto: u8, call_id: &str) -> Option<SigAddr> {
    let Ok(Some(Contact::Addrs(list))) = msg.contacts() else {
        return None;
    };
    let c = list.first()?;
    let host = c.uri.host()?;
    let addr = match host.ip() {
        Some(a) => a,
        None => {
            let name = String::from_utf8_lossy(c.uri.host_raw().unwrap_or_default()).into_owned();
            match engine.resolver.as_ref().and_then(|r| r(&name)) {
                Some(a) => a,
                None => {
                    engine.emit(Event::Unresolved {
                        call_id: call_id.to_string(),
                        host: name,
                    });
                    return None;
                }
            }
        }
    };
    let proto = match c.uri.params().get(b"transport").flatten() {
        Some(t) if t.eq_ignore_ascii_case(b"tcp") => 6,
        Some(t) if t.eq_ignore_ascii_case(b"udp") => 17,
        _ => proto,
    };
    Some(SigAddr {
        addr,
        port: c.uri.port.unwrap_or(5060),
        proto,
    })
}
