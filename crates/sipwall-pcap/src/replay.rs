//! Offline replay: a capture through the engine, packet by packet, with capture time as the
//! clock.
//!
//! For each frame: decode the link layer (tunnels are decapsulated, the inner packet is what the
//! firewall sees), reassemble IP fragments, pick the interfaces from the configuration
//! (the firewall's own addresses are `self`; otherwise the interface the route to the address
//! leaves by — see [`sipwall_engine::Engine::sides_by_route`]), run due timers, decide the
//! packet, and hand the verdict and the events it caused to a [`ReplaySink`].

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipwall_config::Config;
use sipwall_engine::{Engine, EngineLimits, Event, PinholeKind, PinholePattern, Verdict};
use sipwall_wire::packet::{decode, DefragLimits, DefragOutcome, Defragmenter};

use crate::{CaptureError, CaptureReader, CaptureWriter, LinkType};

/// What happened to one frame.
#[derive(Debug, Clone)]
pub enum FrameOutcome {
    /// The engine's verdict.
    Decided(Verdict),
    /// Not an IP packet the firewall would see (ARP, LLC, undecodable link layer).
    NotIp(&'static str),
    /// An IP fragment held until its datagram is complete.
    Held,
    /// A fragment the reassembler dropped (overlap, limits, timeout).
    FragmentDropped(&'static str),
}

/// The record of one frame.
#[derive(Debug, Clone)]
pub struct FrameRecord {
    /// 1-based frame number, as Wireshark counts.
    pub frame: u64,
    pub ts: Duration,
    pub outcome: FrameOutcome,
    /// Frames of the same datagram decided with this one (fragments), excluding itself.
    pub with_frames: Vec<u64>,
}

/// Receives the replay as it goes.
pub trait ReplaySink {
    fn frame(&mut self, engine: &Engine, rec: &FrameRecord);
    fn event(&mut self, engine: &Engine, frame: u64, ts: Duration, ev: &Event);
}

#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub limits: EngineLimits,
}

/// A pinhole over its life, for the summary and the report.
#[derive(Debug, Clone)]
pub struct PinholeLife {
    pub id: u64,
    pub kind: PinholeKind,
    pub pattern: PinholePattern,
    pub opened_frame: u64,
    pub opened_ts: Duration,
    pub closed: Option<(u64, Duration, &'static str)>,
    pub packets: u64,
    pub bytes: u64,
    pub provisional: bool,
}

/// One SIP message of a call, for the ladder diagram.
#[derive(Debug, Clone)]
pub struct SipLine {
    pub frame: u64,
    pub ts: Duration,
    pub src: String,
    pub dst: String,
    pub summary: String,
    pub sdp: bool,
}

/// A call as seen in the capture.
#[derive(Debug, Clone, Default)]
pub struct CallSummary {
    pub call_id: String,
    pub messages: Vec<SipLine>,
    pub pinholes: Vec<PinholeLife>,
    pub end: Option<(u64, &'static str)>,
}

/// Totals of a replay.
#[derive(Debug, Clone, Default)]
pub struct ReplaySummary {
    pub frames: u64,
    /// (verdict, reason code) -> frames.
    pub by_reason: BTreeMap<(String, String), u64>,
    pub calls: Vec<CallSummary>,
    /// Registration pinholes (no call).
    pub registrations: Vec<PinholeLife>,
    pub violations: BTreeMap<String, u64>,
    pub capture_error: Option<String>,
    pub duration: Duration,
    /// Capture time of the first frame (the origin of relative times in the report).
    pub start: Duration,
}

#[derive(Debug)]
pub enum ReplayError {
    Capture(CaptureError),
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::Capture(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Keeps the per-call summary up to date from events.
struct Tracker {
    summary: ReplaySummary,
    call_index: BTreeMap<String, usize>,
    pinhole_owner: BTreeMap<u64, (Option<usize>, usize)>,
    flows: BTreeMap<u64, (String, String)>,
}

impl Tracker {
    fn call(&mut self, id: &str) -> usize {
        if let Some(i) = self.call_index.get(id) {
            return *i;
        }
        let i = self.summary.calls.len();
        self.summary.calls.push(CallSummary {
            call_id: id.to_string(),
            ..CallSummary::default()
        });
        self.call_index.insert(id.to_string(), i);
        i
    }

    fn event(&mut self, frame: u64, ts: Duration, ev: &Event) {
        match ev {
            Event::FlowOpen {
                flow,
                src,
                sport,
                dst,
                dport,
                ..
            } => {
                let fmt = |a: &std::net::IpAddr, p: u16| match a {
                    std::net::IpAddr::V6(_) => format!("[{a}]:{p}"),
                    _ => format!("{a}:{p}"),
                };
                self.flows
                    .insert(*flow, (fmt(src, *sport), fmt(dst, *dport)));
            }
            Event::FlowClose { flow, .. } => {
                self.flows.remove(flow);
            }
            Event::Sip {
                flow,
                dir,
                summary,
                call_id: Some(cid),
                sdp,
                ..
            } => {
                let (a, b) = self.flows.get(flow).cloned().unwrap_or_default();
                let (src, dst) = match dir {
                    sipwall_engine::Dir::Orig => (a, b),
                    sipwall_engine::Dir::Reply => (b, a),
                };
                let i = self.call(cid);
                if self.summary.calls[i].messages.len() < 10_000 {
                    self.summary.calls[i].messages.push(SipLine {
                        frame,
                        ts,
                        src,
                        dst,
                        summary: summary.clone(),
                        sdp: *sdp,
                    });
                }
            }
            Event::PinholeOpen {
                pinhole,
                call_id,
                kind,
                pattern,
                provisional,
                ..
            } => {
                let life = PinholeLife {
                    id: *pinhole,
                    kind: *kind,
                    pattern: *pattern,
                    opened_frame: frame,
                    opened_ts: ts,
                    closed: None,
                    packets: 0,
                    bytes: 0,
                    provisional: *provisional,
                };
                match call_id {
                    Some(cid) => {
                        let i = self.call(cid);
                        let j = self.summary.calls[i].pinholes.len();
                        self.summary.calls[i].pinholes.push(life);
                        self.pinhole_owner.insert(*pinhole, (Some(i), j));
                    }
                    None => {
                        let j = self.summary.registrations.len();
                        self.summary.registrations.push(life);
                        self.pinhole_owner.insert(*pinhole, (None, j));
                    }
                }
            }
            Event::PinholeUpdate {
                pinhole,
                provisional,
                ..
            } => {
                if let Some(life) = self.life(*pinhole) {
                    life.provisional = *provisional;
                }
            }
            Event::PinholeClose {
                pinhole,
                reason,
                packets,
                bytes,
                ..
            } => {
                if let Some(life) = self.life(*pinhole) {
                    life.closed = Some((frame, ts, reason));
                    life.packets = *packets;
                    life.bytes = *bytes;
                }
                self.pinhole_owner.remove(pinhole);
            }
            Event::Dialog {
                call_id,
                state: "terminated",
                reason,
            } => {
                let i = self.call(call_id);
                self.summary.calls[i].end = Some((frame, reason));
            }
            Event::Violation { code, .. } => {
                *self
                    .summary
                    .violations
                    .entry(code.as_str().to_string())
                    .or_default() += 1;
            }
            _ => {}
        }
    }

    fn life(&mut self, pinhole: u64) -> Option<&mut PinholeLife> {
        let (call, j) = *self.pinhole_owner.get(&pinhole)?;
        match call {
            Some(i) => self.summary.calls.get_mut(i)?.pinholes.get_mut(j),
            None => self.summary.registrations.get_mut(j),
        }
    }

    /// Counters of pinholes still open at the end.
    fn finish(&mut self, engine: &Engine) {
        for p in engine.pinholes() {
            if let Some(life) = self.life(p.id) {
                life.packets = p.packets;
                life.bytes = p.bytes;
            }
        }
    }
}

/// The verdict as the JSON/summary reason string (`class`, `session`, `pinhole`, ...).
pub fn reason_code(v: &Verdict) -> &'static str {
    v.reason.code()
}

/// Replay `capture` through a new engine built from `config`.
pub fn replay(
    config: Arc<Config>,
    capture: &Path,
    opts: &ReplayOptions,
    mut write_accepted: Option<&mut CaptureWriter<std::io::BufWriter<std::fs::File>>>,
    sink: &mut dyn ReplaySink,
) -> Result<ReplaySummary, ReplayError> {
    let mut reader = CaptureReader::open(capture).map_err(ReplayError::Capture)?;
    // The driver owns the clock: capture time is mapped onto a monotonic origin read once.
    #[allow(clippy::disallowed_methods)]
    let origin = Instant::now();
    let mut engine = Engine::with_limits(config, origin, opts.limits);
    let mut defrag = Defragmenter::new(DefragLimits::default());
    let mut tracker = Tracker {
        summary: ReplaySummary::default(),
        call_index: BTreeMap::new(),
        pinhole_owner: BTreeMap::new(),
        flows: BTreeMap::new(),
    };
    let mut first_ts: Option<Duration> = None;
    let mut now = origin;
    // Fragments held per datagram (frame numbers and frame bytes), for --write-accepted.
    let mut held: Vec<(u64, Duration, Vec<u8>)> = Vec::new();
    let mut last_ts = Duration::ZERO;
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracker.summary.capture_error = Some(e.to_string());
                break;
            }
        };
        let index = frame.index;
        let ts = frame.ts;
        let t0 = *first_ts.get_or_insert(ts);
        // Capture time may go backwards; the engine's clock may not.
        let t = origin + ts.saturating_sub(t0);
        if t > now {
            now = t;
        }
        last_ts = ts;
        tracker.summary.frames += 1;
        if engine.poll_timeout().is_some_and(|at| at <= now) {
            engine.handle_timeout(now);
            while let Some(ev) = engine.poll_event() {
                tracker.event(index, ts, &ev);
                sink.event(&engine, index, ts, &ev);
            }
        }
        let view = match decode(frame.linktype, frame.data) {
            Ok(v) => v,
            Err(e) => {
                let rec = FrameRecord {
                    frame: index,
                    ts,
                    outcome: FrameOutcome::NotIp(e.kind.as_str()),
                    with_frames: Vec::new(),
                };
                *tracker
                    .summary
                    .by_reason
                    .entry(("skip".into(), e.kind.as_str().into()))
                    .or_default() += 1;
                sink.frame(&engine, &rec);
                continue;
            }
        };
        let mut with_frames = Vec::new();
        let reassembled;
        let ip: &[u8] = if view.fragment.is_some() {
            match defrag.handle_fragment(now, &view) {
                DefragOutcome::Pending => {
                    if held.len() < 4096 {
                        held.push((index, ts, frame.data.to_vec()));
                    }
                    *tracker
                        .summary
                        .by_reason
                        .entry(("held".into(), "fragment".into()))
                        .or_default() += 1;
                    sink.frame(
                        &engine,
                        &FrameRecord {
                            frame: index,
                            ts,
                            outcome: FrameOutcome::Held,
                            with_frames: Vec::new(),
                        },
                    );
                    continue;
                }
                DefragOutcome::Dropped(r) => {
                    let code = r.as_str();
                    *tracker
                        .summary
                        .by_reason
                        .entry(("drop".into(), code.into()))
                        .or_default() += 1;
                    sink.frame(
                        &engine,
                        &FrameRecord {
                            frame: index,
                            ts,
                            outcome: FrameOutcome::FragmentDropped(code),
                            with_frames: Vec::new(),
                        },
                    );
                    continue;
                }
                DefragOutcome::Complete(buf) => {
                    reassembled = buf;
                    // The held fragments of this datagram go with it (same addresses).
                    let (src, dst) = (view.src, view.dst);
                    let mut rest = Vec::new();
                    for h in held.drain(..) {
                        let same = decode(frame.linktype, &h.2).is_ok_and(|v| {
                            v.src == src
                                && v.dst == dst
                                && v.fragment.map(|f| f.id) == view.fragment.map(|f| f.id)
                        });
                        if same {
                            with_frames.push(h);
                        } else {
                            rest.push(h);
                        }
                    }
                    held = rest;
                    &reassembled
                }
            }
        } else {
            view.ip
        };
        let meta = engine.sides_by_route(view.src, view.dst);
        let verdict = engine.handle_packet(now, &meta, ip);
        *tracker
            .summary
            .by_reason
            .entry((verdict.action.as_str().into(), verdict.reason.code().into()))
            .or_default() += 1;
        if verdict.is_accept() {
            if let Some(w) = write_accepted.as_deref_mut() {
                for (_, hts, data) in &with_frames {
                    w.write(*hts, data).map_err(ReplayError::Capture)?;
                }
                w.write(ts, frame.data).map_err(ReplayError::Capture)?;
            }
        }
        let rec = FrameRecord {
            frame: index,
            ts,
            outcome: FrameOutcome::Decided(verdict),
            with_frames: with_frames.iter().map(|h| h.0).collect(),
        };
        sink.frame(&engine, &rec);
        while let Some(ev) = engine.poll_event() {
            tracker.event(index, ts, &ev);
            sink.event(&engine, index, ts, &ev);
        }
    }
    tracker.finish(&engine);
    tracker.summary.duration = last_ts.saturating_sub(first_ts.unwrap_or(last_ts));
    tracker.summary.start = first_ts.unwrap_or_default();
    Ok(tracker.summary)
}

/// The link type replay output should be written with for a capture (its first frame's).
pub fn capture_linktype(capture: &Path) -> Result<LinkType, ReplayError> {
    let mut r = CaptureReader::open(capture).map_err(ReplayError::Capture)?;
    if let Some(l) = r.linktype() {
        return Ok(l);
    }
    Ok(match r.next_frame().map_err(ReplayError::Capture)? {
        Some(f) => f.linktype,
        None => LinkType::ETHERNET,
    })
}
