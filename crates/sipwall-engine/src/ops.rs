//! Operations on a running engine: configuration reload, the views behind the `show`
//! commands, and `clear zone-pair`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use sipwall_config::{Config, ZoneRef};

use crate::flow::{App, TcpState};
use crate::policy::{Decision, Facts, L4Action, Policy};
use crate::{transport_of, Engine, Event, PinholeKind, PinholePattern};

/// What a reload kept and closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReloadReport {
    pub flows_kept: usize,
    pub flows_closed: usize,
    pub calls_ended: usize,
}

/// A zone-pair for `show zone-pair security`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ZonePairView {
    pub name: String,
    pub source: String,
    pub destination: String,
    pub policy: Option<String>,
    /// Inspected sessions it created that are still open.
    pub sessions: usize,
    /// Packets accepted by its policy (first packets and sessions).
    pub packets: u64,
}

/// An inspected session for `show policy-map type inspect zone-pair sessions`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    pub id: u64,
    pub zone_pair: Option<String>,
    pub class: Option<String>,
    pub proto: u8,
    pub src: IpAddr,
    pub sport: u16,
    pub dst: IpAddr,
    pub dport: u16,
    /// `sip` when SIP is inspected on it, `media` when a pinhole admitted it.
    pub inspect: Option<&'static str>,
    /// TCP state, for TCP sessions.
    pub tcp_state: Option<&'static str>,
    pub age_secs: u64,
    pub idle_secs: u64,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
}

/// A call for `show sip calls`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallDetail {
    pub call_id: String,
    pub state: &'static str,
    pub parties: Vec<IpAddr>,
    pub age_secs: u64,
    pub pinholes: Vec<PinholeDetail>,
    pub media_packets: u64,
    pub media_bytes: u64,
}

/// A pinhole for `show pinholes`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PinholeDetail {
    pub id: u64,
    pub call_id: Option<String>,
    pub kind: PinholeKind,
    #[serde(flatten)]
    pub pattern: PinholePattern,
    pub provisional: bool,
    pub packets: u64,
    pub bytes: u64,
    /// Seconds until it expires without further traffic.
    pub expires_in_secs: u64,
}

fn tcp_state_name(s: TcpState) -> &'static str {
    match s {
        TcpState::SynSent => "syn-sent",
        TcpState::SynReceived => "syn-received",
        TcpState::Established => "established",
        TcpState::FinWait => "fin-wait",
        TcpState::Closing => "closing",
        TcpState::Closed => "closed",
    }
}

impl Engine {
    /// Replace the configuration. Flows the new policy still inspects stay (with their TCP,
    /// SIP and media state); the others close (`reload`). Calls whose signalling flow closed
    /// end with their pinholes; registrations stay until they expire.
    pub fn reload(&mut self, config: Arc<Config>, now: Instant) -> ReloadReport {
        let _ = now;
        let policy = Policy::compile(&config);
        let mut report = ReloadReport::default();
        let mut closed = Vec::new();
        let mut updates = Vec::new();
        for f in self.flows.iter() {
            if f.pinhole.is_some() {
                continue; // admitted by signalling: lives and dies with its call
            }
            let facts = Facts {
                transport: transport_of(f.proto),
                dport: matches!(f.proto, 6 | 17).then_some(f.resp.port),
            };
            let (decision, action) = policy.decide(f.sides.0, f.sides.1, &facts);
            let keep = match action {
                Some((L4Action::Inspect { .. }, sip)) => {
                    // A flow inspected as SIP stays SIP (and plain stays plain).
                    let was_sip = matches!(f.app, App::Sip(_));
                    was_sip == sip
                }
                _ => false,
            };
            if keep {
                let (pair, class) = match decision {
                    Decision::Class { pair, class } => (Some(pair), Some(class)),
                    Decision::ClassDefault { pair } => (Some(pair), None),
                    _ => (None, None),
                };
                updates.push((f.id, pair, class));
            } else {
                closed.push(f.id);
            }
        }
        for (id, pair, class) in updates {
            if let Some(f) = self.flows.get_mut(id) {
                f.pair = pair;
                f.class = class;
            }
            report.flows_kept += 1;
        }
        for id in &closed {
            self.close_flow(*id, "reload");
            report.flows_closed += 1;
        }
        // Calls whose signalling flow is gone end too.
        let orphaned: Vec<u32> = self
            .calls
            .iter()
            .flatten()
            .filter(|c| {
                let (slot, serial) = c.flow;
                self.flows.get(slot).is_none_or(|f| f.serial != serial)
            })
            .map(|c| c.slot)
            .collect();
        for slot in orphaned {
            self.end_call(slot, "reload");
            report.calls_ended += 1;
        }
        self.policy = policy;
        self.config = config;
        report
    }

    fn ref_name(z: &ZoneRef) -> String {
        z.to_string()
    }

    /// Zone-pairs with their session counts.
    pub fn zone_pairs(&self) -> Vec<ZonePairView> {
        self.config
            .zone_pairs
            .iter()
            .map(|zp| {
                let idx = (0..u16::try_from(self.config.zone_pairs.len()).unwrap_or(u16::MAX))
                    .find(|i| self.zone_pair_name(*i) == Some(zp.name.as_str()));
                let count = idx.map_or(0, |i| {
                    self.flows.iter().filter(|f| f.pair == Some(i)).count()
                });
                let packets = idx.map_or(0, |i| {
                    self.flows
                        .iter()
                        .filter(|f| f.pair == Some(i))
                        .map(|f| f.packets[0] + f.packets[1])
                        .sum()
                });
                ZonePairView {
                    name: zp.name.clone(),
                    source: Self::ref_name(&zp.source),
                    destination: Self::ref_name(&zp.destination),
                    policy: zp.policy.clone(),
                    sessions: count,
                    packets,
                }
            })
            .collect()
    }

    /// Open sessions, optionally only those of one zone-pair.
    pub fn sessions(&self, now: Instant, zone_pair: Option<&str>) -> Vec<SessionView> {
        let mut out: Vec<SessionView> = self
            .flows
            .iter()
            .filter(|f| match zone_pair {
                None => true,
                Some(name) => f.pair.and_then(|p| self.zone_pair_name(p)) == Some(name),
            })
            .map(|f| SessionView {
                id: f.serial,
                zone_pair: f
                    .pair
                    .and_then(|p| self.zone_pair_name(p))
                    .map(str::to_string),
                class: match (f.pair, f.class) {
                    (Some(p), Some(c)) => self.class_name(p, c).map(str::to_string),
                    (Some(_), None) => Some("class-default".into()),
                    _ => None,
                },
                proto: f.proto,
                src: f.orig.addr,
                sport: f.orig.port,
                dst: f.resp.addr,
                dport: f.resp.port,
                inspect: match f.app {
                    App::Sip(_) => Some("sip"),
                    App::Media { .. } => Some("media"),
                    App::None => None,
                },
                tcp_state: f.tcp.as_ref().map(|t| tcp_state_name(t.state)),
                age_secs: now.saturating_duration_since(f.created).as_secs(),
                idle_secs: now.saturating_duration_since(f.last_seen).as_secs(),
                packets: f.packets,
                bytes: f.bytes,
            })
            .collect();
        out.sort_by_key(|s| s.id);
        out
    }

    /// Close the sessions of one zone-pair, or of all (`clear zone-pair`). Calls whose
    /// signalling flow closes end as well. Returns how many sessions closed.
    pub fn clear_zone_pair(&mut self, zone_pair: Option<&str>) -> usize {
        let ids: Vec<u32> = self
            .flows
            .iter()
            .filter(|f| f.pair.is_some())
            .filter(|f| match zone_pair {
                None => true,
                Some(name) => f.pair.and_then(|p| self.zone_pair_name(p)) == Some(name),
            })
            .map(|f| f.id)
            .collect();
        for id in &ids {
            self.close_flow(*id, "cleared");
        }
        let orphaned: Vec<u32> = self
            .calls
            .iter()
            .flatten()
            .filter(|c| {
                self.flows
                    .get(c.flow.0)
                    .is_none_or(|f| f.serial != c.flow.1)
            })
            .map(|c| c.slot)
            .collect();
        for slot in orphaned {
            self.end_call(slot, "cleared");
        }
        ids.len()
    }

    /// Calls with their pinholes.
    pub fn call_details(&self, now: Instant) -> Vec<CallDetail> {
        let mut out: Vec<CallDetail> = self
            .calls
            .iter()
            .flatten()
            .map(|c| CallDetail {
                call_id: c.call_id.to_string(),
                state: c.state.as_str(),
                parties: c.parties.iter().flatten().copied().collect(),
                age_secs: now.saturating_duration_since(c.created).as_secs(),
                pinholes: c
                    .pinholes
                    .iter()
                    .filter_map(|p| self.pinhole_detail(*p, now))
                    .collect(),
                media_packets: c.media_packets,
                media_bytes: c.media_bytes,
            })
            .collect();
        out.sort_by(|a, b| a.call_id.cmp(&b.call_id));
        out
    }

    fn pinhole_detail(&self, slot: u32, now: Instant) -> Option<PinholeDetail> {
        let p = self.pinholes.get(slot)?;
        let call_id = match p.owner {
            crate::pinhole::Owner::Call(c) => self.call(c).map(|c| c.call_id.to_string()),
            crate::pinhole::Owner::Registration => None,
        };
        Some(PinholeDetail {
            id: p.serial,
            call_id,
            kind: p.kind,
            pattern: p.pattern,
            provisional: p.provisional,
            packets: p.packets,
            bytes: p.bytes,
            expires_in_secs: p.expires_at().saturating_duration_since(now).as_secs(),
        })
    }

    /// Every open pinhole.
    pub fn pinhole_details(&self, now: Instant) -> Vec<PinholeDetail> {
        let mut out: Vec<PinholeDetail> = self
            .pinholes
            .iter()
            .filter_map(|p| self.pinhole_detail(p.id, now))
            .collect();
        out.sort_by_key(|p| p.id);
        out
    }

    /// Traffic a driver's kernel fast path carried for a pinhole (by its event id): keeps the
    /// pinhole, its call and the call's media alive as if the packets had come through
    /// `handle_packet`. Unknown ids are ignored (the pinhole may have closed meanwhile).
    pub fn pinhole_seen(&mut self, id: u64, now: Instant, packets: u64, bytes: u64) {
        let Some(slot) = self.pinholes.iter().find(|p| p.serial == id).map(|p| p.id) else {
            return;
        };
        let mut owner = None;
        if let Some(p) = self.pinholes.get_mut(slot) {
            p.last_used = now;
            p.packets += packets;
            p.bytes += bytes;
            owner = Some(p.owner);
        }
        if let Some(crate::pinhole::Owner::Call(c)) = owner {
            if let Some(call) = self.call_mut(c) {
                call.last_media = now;
                call.media_packets += packets;
                call.media_bytes += bytes;
            }
        }
    }

    /// Drain pending events into a vector (for drivers that batch).
    pub fn drain_events(&mut self, out: &mut Vec<Event>) {
        while let Some(e) = self.poll_event() {
            out.push(e);
        }
    }
}
