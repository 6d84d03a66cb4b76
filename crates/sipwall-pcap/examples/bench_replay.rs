//! Engine replay benchmark (a benchmark, not a test: it prints numbers and asserts nothing).
//!
//! ```text
//! cargo run --release -p sipwall-pcap --example bench_replay
//! cargo run --release -p sipwall-pcap --example bench_replay -- --calls 4000 --rtp 250 --mem-calls 100000 --repeat 3
//! ```
//!
//! 1. Writes a synthetic capture (pcap, Ethernet) to a temporary directory: `--calls` calls
//!    (default 2000) started 5 ms apart, each one INVITE with an SDP offer from an inside phone,
//!    180 Ringing, 200 OK with the SDP answer, ACK, `--rtp` RTP packets each way (default 250,
//!    20 ms apart, 160-byte G.711 payload), BYE and its 200 OK. 2000 calls give 1 012 000
//!    packets. Deterministic: the same arguments give the same file.
//! 2. Times, on the calling thread:
//!    - `replay`: [`sipwall_pcap::replay::replay`] over the file (read, decode, interface
//!      lookup, engine, the driver's per-call bookkeeping; no output);
//!    - `driver only`: reading, decoding and `sides_by_route` without the engine;
//!    - `engine only`: the packets pre-loaded in memory as (meta, IP bytes, time), timing
//!      `handle_packet`, timers and draining events.
//! 3. Memory per active call: a counting global allocator measures the bytes the engine keeps
//!    for `--mem-calls` concurrent calls (INVITE with SDP, 200 OK with SDP, ACK, no BYE):
//!    - with every call on one shared signalling flow (dialog + pinholes),
//!    - with every call from its own phone address (including its signalling flow),
//!    - the same after one RTP and one RTCP packet each way (including the media flows).
//!
//! The configuration is `examples/bench.cfg` (inside 10.0.0.0/8, outside 100.64.0.0/10).
//!
//! `--checks on|off|both` (default: `bench.cfg` as is, the default SIP checks) selects the SIP
//! application-security checks for the throughput runs:
//! - `off`: the parameter-map adds `no sip strict-header-validation`, `no sip rate-limit` and
//!   `no sip blocklist`, and no SIP policy is attached;
//! - `on`: the defaults (strict validation, INVITE/REGISTER rate limits, blocklist) plus a SIP
//!   policy (`service-policy sip bench-sip`) under both inspect classes whose classes match by
//!   method, callee regex, User-Agent regex and request-URI regex, with `class-default allow`;
//! - `both`: each in turn, then the on/off throughput ratio.

use std::alloc::{GlobalAlloc, Layout, System};
use std::error::Error;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipwall_config::Config;
use sipwall_engine::{Engine, EngineLimits, Event, PacketMeta};
use sipwall_pcap::build::build_udp_ipv4;
use sipwall_pcap::replay::{replay, FrameRecord, ReplayOptions, ReplaySink};
use sipwall_pcap::{CaptureReader, CaptureWriter, LinkType};
use sipwall_wire::packet::decode;

// ---- counting allocator ------------------------------------------------------------------

/// Bytes currently allocated (only counted while [`COUNTING`] is set, so that the timed runs
/// pay one relaxed load per allocation and nothing more).
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

struct Counting;

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged;
// the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::alloc.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::alloc_zeroed.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract of GlobalAlloc::dealloc.
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract of GlobalAlloc::realloc.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

// ---- arguments ---------------------------------------------------------------------------

struct Args {
    calls: u32,
    rtp: u32,
    mem_calls: u32,
    repeat: u32,
    skip_mem: bool,
    skip_speed: bool,
    /// Run one part only: `replay`, `driver`, `engine` or `memory` (for profiling).
    only: Option<String>,
    keep: Option<PathBuf>,
    /// `--checks`: `on`, `off` or `both`; `None` runs `bench.cfg` as is.
    checks: Option<String>,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        calls: 2000,
        rtp: 250,
        mem_calls: 100_000,
        repeat: 3,
        skip_mem: false,
        skip_speed: false,
        only: None,
        keep: None,
        checks: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<u32, Box<dyn Error>> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            Ok(v.parse::<u32>().map_err(|e| format!("{name} {v}: {e}"))?)
        };
        match arg.as_str() {
            "--calls" => a.calls = num("--calls")?.clamp(1, 1_000_000),
            "--rtp" => a.rtp = num("--rtp")?.min(60_000),
            "--mem-calls" => a.mem_calls = num("--mem-calls")?.clamp(1, 1_000_000),
            "--repeat" => a.repeat = num("--repeat")?.clamp(1, 100),
            "--skip-mem" => a.skip_mem = true,
            "--skip-speed" => a.skip_speed = true,
            "--only" => {
                let v = it.next().ok_or("--only needs a value")?;
                if !matches!(v.as_str(), "replay" | "driver" | "engine" | "memory") {
                    return Err(format!("--only {v}: one of replay, driver, engine, memory").into());
                }
                a.only = Some(v);
            }
            "--checks" => {
                let v = it.next().ok_or("--checks needs a value")?;
                if !matches!(v.as_str(), "on" | "off" | "both") {
                    return Err(format!("--checks {v}: one of on, off, both").into());
                }
                a.checks = Some(v);
            }
            "--keep" => a.keep = Some(PathBuf::from(it.next().ok_or("--keep needs a path")?)),
            // `cargo bench`-style harness flags are ignored.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument {other}; use --calls N --rtp N --mem-calls N --repeat N \
                     --skip-mem --skip-speed --only PART --keep FILE --checks on|off|both"
                )
                .into())
            }
        }
    }
    Ok(a)
}

// ---- synthetic calls ---------------------------------------------------------------------

const TRUNKS: u32 = 16;

/// The addresses of one call.
#[derive(Clone, Copy)]
struct CallAddrs {
    phone_sig: SocketAddrV4,
    phone_media: SocketAddrV4,
    trunk_sig: SocketAddrV4,
    trunk_media: SocketAddrV4,
}

fn add(base: [u8; 4], n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::from(base)).wrapping_add(n))
}

/// Every call from its own phone (10.1.0.0 + i) to one of 16 trunks; media on the phone's
/// address and on the trunk's address (a port per call).
fn own_phone(i: u32) -> CallAddrs {
    let phone = add([10, 1, 0, 0], i);
    let trunk = add([100, 64, 0, 10], i % TRUNKS);
    let port = 10_000 + 2 * ((i / TRUNKS) % 25_000);
    CallAddrs {
        phone_sig: SocketAddrV4::new(phone, 5060),
        phone_media: SocketAddrV4::new(phone, 40_000),
        trunk_sig: SocketAddrV4::new(trunk, 5060),
        trunk_media: SocketAddrV4::new(trunk, u16::try_from(port).unwrap_or(10_000)),
    }
}

/// Every call between one PBX (10.0.1.10) and one trunk (100.64.0.10): one signalling flow
/// for all; media per call on its own inside address (10.2.0.0 + i).
fn shared_signalling(i: u32) -> CallAddrs {
    let mut a = own_phone(i);
    a.phone_sig = SocketAddrV4::new(Ipv4Addr::new(10, 0, 1, 10), 5060);
    a.phone_media = SocketAddrV4::new(add([10, 2, 0, 0], i), 40_000);
    a.trunk_sig = SocketAddrV4::new(Ipv4Addr::new(100, 64, 0, 10), 5060);
    a
}

fn sdp(sess: u32, media: SocketAddrV4) -> String {
    let ip = media.ip();
    format!(
        "v=0\r\no=- {sess} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n",
        media.port()
    )
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Invite,
    Ringing,
    InviteOk,
    Ack,
    RtpOut,
    RtpIn,
    RtcpOut,
    RtcpIn,
    Bye,
    ByeOk,
}

struct Msg<'a> {
    i: u32,
    a: &'a CallAddrs,
}

impl Msg<'_> {
    fn call_id(&self) -> String {
        format!("bench-{}@{}", self.i, self.a.phone_sig.ip())
    }

    fn request(&self, method: &str, cseq: u32, to_tag: bool, body: &str) -> String {
        let a = self.a;
        let to_tag = if to_tag {
            format!(";tag=t{}", self.i)
        } else {
            String::new()
        };
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} sip:2000@{t} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {p};branch=z9hG4bK{i}x{cseq}{method}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:1000@{pi}>;tag=f{i}\r\n\
             To: <sip:2000@{ti}>{to_tag}\r\n\
             Call-ID: {cid}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:1000@{p}>\r\n\
             {ct}Content-Length: {len}\r\n\r\n{body}",
            t = a.trunk_sig,
            p = a.phone_sig,
            i = self.i,
            pi = a.phone_sig.ip(),
            ti = a.trunk_sig.ip(),
            cid = self.call_id(),
            len = body.len(),
        )
    }

    fn response(&self, status: &str, method: &str, cseq: u32, body: &str) -> String {
        let a = self.a;
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "SIP/2.0 {status}\r\n\
             Via: SIP/2.0/UDP {p};branch=z9hG4bK{i}x{cseq}{method}\r\n\
             From: <sip:1000@{pi}>;tag=f{i}\r\n\
             To: <sip:2000@{ti}>;tag=t{i}\r\n\
             Call-ID: {cid}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:2000@{t}>\r\n\
             {ct}Content-Length: {len}\r\n\r\n{body}",
            t = a.trunk_sig,
            p = a.phone_sig,
            i = self.i,
            pi = a.phone_sig.ip(),
            ti = a.trunk_sig.ip(),
            cid = self.call_id(),
            len = body.len(),
        )
    }
}

/// 12-byte RTP header (RFC 3550 §5.1, PCMU) and a 160-byte payload.
fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut p = Vec::with_capacity(172);
    p.extend_from_slice(&[0x80, 0]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.resize(172, 0xff);
    p
}

/// An RTCP receiver report with no report blocks (RFC 3550 §6.4.2).
fn rtcp(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

fn rtcp_addr(s: SocketAddrV4) -> SocketAddrV4 {
    SocketAddrV4::new(*s.ip(), s.port().wrapping_add(1))
}

/// The Ethernet frame of packet `kind` (number `seq` of its kind) of call `i`.
fn frame(i: u32, a: &CallAddrs, kind: Kind, seq: u16) -> Result<Vec<u8>, Box<dyn Error>> {
    let m = Msg { i, a };
    let (src, dst, payload) = match kind {
        Kind::Invite => (
            a.phone_sig,
            a.trunk_sig,
            m.request("INVITE", 1, false, &sdp(i, a.phone_media))
                .into_bytes(),
        ),
        Kind::Ringing => (
            a.trunk_sig,
            a.phone_sig,
            m.response("180 Ringing", "INVITE", 1, "").into_bytes(),
        ),
        Kind::InviteOk => (
            a.trunk_sig,
            a.phone_sig,
            m.response("200 OK", "INVITE", 1, &sdp(i, a.trunk_media))
                .into_bytes(),
        ),
        Kind::Ack => (
            a.phone_sig,
            a.trunk_sig,
            m.request("ACK", 1, true, "").into_bytes(),
        ),
        Kind::RtpOut => (a.phone_media, a.trunk_media, rtp(2 * i, seq)),
        Kind::RtpIn => (a.trunk_media, a.phone_media, rtp(2 * i + 1, seq)),
        Kind::RtcpOut => (
            rtcp_addr(a.phone_media),
            rtcp_addr(a.trunk_media),
            rtcp(2 * i),
        ),
        Kind::RtcpIn => (
            rtcp_addr(a.trunk_media),
            rtcp_addr(a.phone_media),
            rtcp(2 * i + 1),
        ),
        Kind::Bye => (
            a.phone_sig,
            a.trunk_sig,
            m.request("BYE", 2, true, "").into_bytes(),
        ),
        Kind::ByeOk => (
            a.trunk_sig,
            a.phone_sig,
            m.response("200 OK", "BYE", 2, "").into_bytes(),
        ),
    };
    Ok(build_udp_ipv4(src, dst, &payload)?)
}

/// Capture time origin: 2023-11-14 22:13:20 UTC.
const EPOCH: Duration = Duration::from_secs(1_700_000_000);
const CALL_SPACING_US: u64 = 5_000;
const RTP_INTERVAL_US: u64 = 20_000;

/// Write the synthetic capture; returns the number of frames.
fn write_capture(path: &Path, calls: u32, rtp_per_dir: u32) -> Result<u64, Box<dyn Error>> {
    // (time in µs, call, kind, sequence): sorted, then built one by one.
    let per_call = 6 + 2 * rtp_per_dir as usize;
    let mut plan: Vec<(u64, u32, Kind, u16)> = Vec::with_capacity(calls as usize * per_call);
    for i in 0..calls {
        let t0 = u64::from(i) * CALL_SPACING_US;
        plan.push((t0, i, Kind::Invite, 0));
        plan.push((t0 + 50_000, i, Kind::Ringing, 0));
        plan.push((t0 + 1_000_000, i, Kind::InviteOk, 0));
        plan.push((t0 + 1_010_000, i, Kind::Ack, 0));
        let media0 = t0 + 1_020_000;
        for k in 0..rtp_per_dir {
            let t = media0 + u64::from(k) * RTP_INTERVAL_US;
            let seq = u16::try_from(k % 65_536).unwrap_or(0);
            plan.push((t, i, Kind::RtpOut, seq));
            plan.push((t + 7_000, i, Kind::RtpIn, seq));
        }
        let end = media0 + u64::from(rtp_per_dir) * RTP_INTERVAL_US + 20_000;
        plan.push((end, i, Kind::Bye, 0));
        plan.push((end + 30_000, i, Kind::ByeOk, 0));
    }
    plan.sort_unstable();
    let mut w = CaptureWriter::create(path, LinkType::ETHERNET)?;
    for (t, i, kind, seq) in &plan {
        let a = own_phone(*i);
        let f = frame(*i, &a, *kind, *seq)?;
        w.write(EPOCH + Duration::from_micros(*t), &f)?;
    }
    let n = w.written();
    w.finish()?;
    Ok(n)
}

// ---- speed -------------------------------------------------------------------------------

struct NullSink;

impl ReplaySink for NullSink {
    fn frame(&mut self, _engine: &Engine, _rec: &FrameRecord) {}
    fn event(&mut self, _engine: &Engine, _frame: u64, _ts: Duration, _ev: &Event) {}
}

const TARGET_PPS: f64 = 1_000_000.0;

/// On-CPU time of the calling thread (first field of `/proc/thread-self/schedstat`, ns), so
/// that figures taken on a busy machine count only the time the benchmark ran. `None` where
/// the file does not exist (not Linux, no schedstats).
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall and on-CPU time of one run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timing {
    cpu: Duration,
    wall: Duration,
}

struct Stopwatch {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            cpu: cpu_time(),
            wall: clock(),
        }
    }

    fn stop(&self) -> Timing {
        let wall = self.wall.elapsed();
        let cpu = match (self.cpu, cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        Timing { cpu, wall }
    }
}

/// Packets per on-CPU second of the fastest run.
fn best_rate(packets: u64, runs: &[Timing]) -> f64 {
    runs.iter()
        .map(|t| t.cpu)
        .min()
        .map_or(0.0, |d| packets as f64 / d.as_secs_f64().max(1e-9))
}

fn report(label: &str, packets: u64, runs: &mut [Timing]) {
    // Sorted by CPU time: on a shared machine wall time includes other processes' turns.
    runs.sort_unstable();
    let best = runs.first().copied().unwrap_or(Timing {
        cpu: Duration::ZERO,
        wall: Duration::ZERO,
    });
    let median = runs.get(runs.len() / 2).copied().unwrap_or(best);
    let pps = |d: Duration| packets as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "{label:<28} {packets} packets: best {:.3} s cpu = {:>9.0} pkt/s ({:.2}x of 1 M/s), \
         median {:.3} s cpu = {:>9.0} pkt/s ({:.2}x); best wall {:.3} s = {:.0} pkt/s [{} runs]",
        best.cpu.as_secs_f64(),
        pps(best.cpu),
        pps(best.cpu) / TARGET_PPS,
        median.cpu.as_secs_f64(),
        pps(median.cpu),
        pps(median.cpu) / TARGET_PPS,
        best.wall.as_secs_f64(),
        pps(best.wall),
        runs.len(),
    );
}

fn limits_for(calls: u32) -> EngineLimits {
    let calls = calls as usize;
    EngineLimits {
        max_calls: (calls * 2).max(250_000),
        max_pinholes: (calls * 8).max(2_000_000),
        max_flows: (calls * 8).max(1_000_000),
        max_events: 1_000_000,
        ..EngineLimits::default()
    }
}

#[allow(clippy::disallowed_methods)] // the benchmark is a driver: it reads the clock
fn clock() -> Instant {
    Instant::now()
}

/// One timed run of the full replay driver.
fn time_replay(config: &Arc<Config>, path: &Path, calls: u32) -> Result<(Timing, u64), String> {
    let opts = ReplayOptions {
        limits: limits_for(calls),
    };
    let start = Stopwatch::start();
    let summary =
        replay(config.clone(), path, &opts, None, &mut NullSink).map_err(|e| e.to_string())?;
    let d = start.stop();
    if let Some(e) = &summary.capture_error {
        return Err(format!("capture error: {e}"));
    }
    let not_accepted: u64 = summary
        .by_reason
        .iter()
        .filter(|((v, _), _)| v != "accept")
        .map(|(_, n)| n)
        .sum();
    if not_accepted > 0 {
        eprintln!(
            "warning: {not_accepted} frames not accepted: {:?}",
            summary.by_reason
        );
    }
    Ok((d, summary.frames))
}

/// Read + decode + interface lookup, no engine.
fn time_driver(config: &Arc<Config>, path: &Path) -> Result<(Timing, u64), Box<dyn Error>> {
    let engine = Engine::new(config.clone(), clock());
    let start = Stopwatch::start();
    let mut r = CaptureReader::open(path)?;
    let mut n = 0u64;
    let mut sides = 0u64;
    while let Some(f) = r.next_frame()? {
        if let Ok(v) = decode(f.linktype, f.data) {
            let m = engine.sides_by_route(v.src, v.dst);
            sides += u64::from(m.ingress != m.egress);
        }
        n += 1;
    }
    let d = start.stop();
    std::hint::black_box(sides);
    Ok((d, n))
}

struct Loaded {
    bytes: Vec<u8>,
    /// (offset, length, meta, time) of each IP packet in `bytes`.
    packets: Vec<(usize, usize, PacketMeta, Instant)>,
    origin: Instant,
}

fn preload(config: &Arc<Config>, path: &Path) -> Result<Loaded, Box<dyn Error>> {
    let origin = clock();
    let engine = Engine::new(config.clone(), origin);
    let mut r = CaptureReader::open(path)?;
    let mut bytes = Vec::new();
    let mut packets = Vec::new();
    let mut t0 = None;
    while let Some(f) = r.next_frame()? {
        let v = decode(f.linktype, f.data)?;
        let first = *t0.get_or_insert(f.ts);
        let meta = engine.sides_by_route(v.src, v.dst);
        packets.push((
            bytes.len(),
            v.ip.len(),
            meta,
            origin + f.ts.saturating_sub(first),
        ));
        bytes.extend_from_slice(v.ip);
    }
    Ok(Loaded {
        bytes,
        packets,
        origin,
    })
}

/// One timed run of the engine over pre-loaded packets; returns time and accepted count.
fn time_engine(config: &Arc<Config>, l: &Loaded, calls: u32) -> (Timing, u64, u64) {
    let mut engine = Engine::with_limits(config.clone(), l.origin, limits_for(calls));
    let mut accepted = 0u64;
    let mut events = 0u64;
    let start = Stopwatch::start();
    for (off, len, meta, now) in &l.packets {
        if engine.poll_timeout().is_some_and(|at| at <= *now) {
            engine.handle_timeout(*now);
        }
        let pkt = l.bytes.get(*off..off + len).unwrap_or(&[]);
        let v = engine.handle_packet(*now, meta, pkt);
        accepted += u64::from(v.is_accept());
        while let Some(e) = engine.poll_event() {
            events += 1;
            std::hint::black_box(&e);
        }
    }
    let d = start.stop();
    drop(engine);
    (d, accepted, events)
}

// ---- memory ------------------------------------------------------------------------------

/// Bytes the engine keeps for `n` concurrent calls made with `addrs`, with `media` packets
/// (RTP and RTCP each way) after the ACK.
fn memory(
    config: &Arc<Config>,
    n: u32,
    addrs: fn(u32) -> CallAddrs,
    media: bool,
) -> Result<MemResult, Box<dyn Error>> {
    let origin = clock();
    let mut engine = Engine::with_limits(config.clone(), origin, limits_for(n));
    let mut kinds = vec![Kind::Invite, Kind::Ringing, Kind::InviteOk, Kind::Ack];
    if media {
        kinds.extend([Kind::RtpOut, Kind::RtpIn, Kind::RtcpOut, Kind::RtcpIn]);
    }
    let mut dropped = 0u64;
    COUNTING.store(true, Ordering::Relaxed);
    let before = allocated();
    let watch = Stopwatch::start();
    for i in 0..n {
        let a = addrs(i);
        let now = origin + Duration::from_micros(u64::from(i) * 10);
        for k in &kinds {
            let f = frame(i, &a, *k, 0)?;
            let ip = f.get(14..).unwrap_or(&[]);
            let meta = engine.sides_by_route(
                IpAddr::V4(*src_of(&a, *k).ip()),
                IpAddr::V4(*dst_of(&a, *k).ip()),
            );
            let v = engine.handle_packet(now, &meta, ip);
            dropped += u64::from(!v.is_accept());
            while let Some(e) = engine.poll_event() {
                if i == 0 && std::env::var_os("BENCH_TRACE").is_some() {
                    eprintln!("{e:?}");
                }
                drop(e);
            }
        }
    }
    let after = allocated();
    COUNTING.store(false, Ordering::Relaxed);
    let time = watch.stop();
    let r = MemResult {
        // Modular: frees of memory allocated before counting started are subtracted too.
        bytes: after.wrapping_sub(before),
        calls: engine.call_count(),
        pinholes: engine.pinhole_count(),
        flows: engine.flow_count(),
        dropped,
        time,
    };
    // The engine is freed without counting (COUNTING is off), so the counter stays as is.
    drop(engine);
    Ok(r)
}

fn src_of(a: &CallAddrs, k: Kind) -> SocketAddrV4 {
    match k {
        Kind::Invite | Kind::Ack | Kind::Bye => a.phone_sig,
        Kind::Ringing | Kind::InviteOk | Kind::ByeOk => a.trunk_sig,
        Kind::RtpOut => a.phone_media,
        Kind::RtpIn => a.trunk_media,
        Kind::RtcpOut => rtcp_addr(a.phone_media),
        Kind::RtcpIn => rtcp_addr(a.trunk_media),
    }
}

fn dst_of(a: &CallAddrs, k: Kind) -> SocketAddrV4 {
    match k {
        Kind::Invite | Kind::Ack | Kind::Bye => a.trunk_sig,
        Kind::Ringing | Kind::InviteOk | Kind::ByeOk => a.phone_sig,
        Kind::RtpOut => a.trunk_media,
        Kind::RtpIn => a.phone_media,
        Kind::RtcpOut => rtcp_addr(a.trunk_media),
        Kind::RtcpIn => rtcp_addr(a.phone_media),
    }
}

const TARGET_CALL_BYTES: f64 = 2048.0;

struct MemResult {
    bytes: usize,
    calls: usize,
    pinholes: usize,
    flows: usize,
    dropped: u64,
    /// Time to set the calls up (packets built and decided).
    time: Timing,
}

fn print_memory(label: &str, r: MemResult, n: u32) {
    let per = r.bytes as f64 / f64::from(n);
    println!(
        "{label:<38} {n} calls: {:.1} MiB = {per:>5.0} B/call ({:.2}x of 2 KiB); \
         {} calls, {} pinholes, {} flows held; {} packets dropped; set up in {:.1} s cpu",
        r.bytes as f64 / (1024.0 * 1024.0),
        per / TARGET_CALL_BYTES,
        r.calls,
        r.pinholes,
        r.flows,
        r.dropped,
        r.time.cpu.as_secs_f64(),
    );
}

// ---- SIP checks on / off ------------------------------------------------------------------

/// `bench.cfg` with the SIP application-security checks switched off.
fn checks_off(base: &str) -> Result<String, Box<dyn Error>> {
    let anchor = "parameter-map type inspect bench-timeouts\n";
    if !base.contains(anchor) {
        return Err("bench.cfg: no parameter-map bench-timeouts".into());
    }
    Ok(base.replace(
        anchor,
        &format!(
            "{anchor} no sip strict-header-validation\n no sip rate-limit\n no sip blocklist\n"
        ),
    ))
}

/// A SIP policy of a few regex classes, none of which the benchmark's calls match (so every
/// message is evaluated against all of them and allowed by class-default).
const SIP_POLICY: &str = "\
class-map type inspect sip match-any bench-no-im
 match request method message
class-map type inspect sip match-all bench-premium
 match request method invite
 match callee regex ^sip:(\\+|00)?1900
class-map type inspect sip match-any bench-scanners
 match request header User-Agent regex (?i)(friendly-scanner|sipvicious|sipcli|sundayddr)
 match caller regex ^sip:(100|admin)@
class-map type inspect sip match-any bench-odd-uri
 match request uri regex ;maddr=|%00
!
policy-map type inspect sip bench-sip
 class type inspect sip bench-no-im
  drop log
 class type inspect sip bench-premium
  reset log
 class type inspect sip bench-scanners
  drop log
 class type inspect sip bench-odd-uri
  drop
 class class-default
  allow
!
";

/// `bench.cfg` with the default checks and the SIP policy under both inspect classes.
fn checks_on(base: &str) -> Result<String, Box<dyn Error>> {
    let anchor = "  inspect bench-timeouts\n";
    if base.matches(anchor).count() != 2 {
        return Err("bench.cfg: expected two `inspect bench-timeouts` lines".into());
    }
    let with_policy = base.replace(anchor, &format!("{anchor}  service-policy sip bench-sip\n"));
    let at = with_policy
        .find("policy-map type inspect in-out-policy")
        .ok_or("bench.cfg: no policy-map in-out-policy")?;
    let mut out = with_policy;
    out.insert_str(at, SIP_POLICY);
    Ok(out)
}

fn load_config(text: &str, name: &str) -> Result<Arc<Config>, Box<dyn Error>> {
    let (config, _warnings) =
        sipwall_config::parse(text, name).map_err(|e| format!("{name}: {e:?}"))?;
    Ok(Arc::new(config))
}

// ---- main --------------------------------------------------------------------------------

fn main() -> Result<(), Box<dyn Error>> {
    let a = args()?;
    let cfg_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bench.cfg");
    let text = std::fs::read_to_string(&cfg_path)?;
    let config = load_config(&text, "bench.cfg")?;
    // The configurations the throughput runs use, with a label.
    let speed_configs: Vec<(&str, Arc<Config>)> = match a.checks.as_deref() {
        None => vec![("", config.clone())],
        Some("on") => vec![("checks on", load_config(&checks_on(&text)?, "on")?)],
        Some("off") => vec![("checks off", load_config(&checks_off(&text)?, "off")?)],
        _ => vec![
            ("checks off", load_config(&checks_off(&text)?, "off")?),
            ("checks on", load_config(&checks_on(&text)?, "on")?),
        ],
    };
    println!(
        "sipwall engine benchmark (one thread; sizes: Call {} B, Flow {} B, Pinhole {} B, Event {} B)",
        std::mem::size_of::<sipwall_engine::dialog::Call>(),
        std::mem::size_of::<sipwall_engine::flow::Flow>(),
        std::mem::size_of::<sipwall_engine::pinhole::Pinhole>(),
        std::mem::size_of::<Event>(),
    );

    let run = |part: &str| a.only.as_deref().is_none_or(|o| o == part);
    let speed = !a.skip_speed && (run("replay") || run("driver") || run("engine"));
    if speed {
        let (dir, path) = match &a.keep {
            Some(p) => (None, p.clone()),
            None => {
                let d = std::env::temp_dir().join(format!("sipwall-bench-{}", std::process::id()));
                std::fs::create_dir_all(&d)?;
                let p = d.join("bench.pcap");
                (Some(d), p)
            }
        };
        let t = clock();
        let frames = write_capture(&path, a.calls, a.rtp)?;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "capture: {} calls, {} RTP packets per direction, {frames} frames, {:.1} MiB, \
             written in {:.1} s to {}",
            a.calls,
            a.rtp,
            size as f64 / (1024.0 * 1024.0),
            t.elapsed().as_secs_f64(),
            path.display()
        );

        // Best on-CPU packets/s of replay and engine-only, per configuration.
        let mut best: Vec<(&str, f64, f64)> = Vec::new();
        for (label, config) in &speed_configs {
            let name = |what: &str| {
                if label.is_empty() {
                    what.to_string()
                } else {
                    format!("{what} [{label}]")
                }
            };
            let (mut replay_rate, mut engine_rate) = (0.0, 0.0);
            if run("replay") {
                let mut runs = Vec::new();
                let mut frames_seen = 0;
                for _ in 0..a.repeat {
                    let (d, n) = time_replay(config, &path, a.calls)?;
                    runs.push(d);
                    frames_seen = n;
                }
                replay_rate = best_rate(frames_seen, &runs);
                report(&name("replay (read+decode+engine)"), frames_seen, &mut runs);
            }
            if run("engine") {
                let loaded = preload(config, &path)?;
                let n = loaded.packets.len() as u64;
                let mut runs = Vec::new();
                for _ in 0..a.repeat {
                    let (d, accepted, events) = time_engine(config, &loaded, a.calls);
                    if accepted != n {
                        eprintln!("warning: engine accepted {accepted} of {n} packets");
                    }
                    std::hint::black_box(events);
                    runs.push(d);
                }
                engine_rate = best_rate(n, &runs);
                report(&name("engine only (in memory)"), n, &mut runs);
                drop(loaded);
            }
            best.push((label, replay_rate, engine_rate));
        }
        if let [(_, r_off, e_off), (_, r_on, e_on)] = best[..] {
            let ratio = |on: f64, off: f64| if off > 0.0 { on / off } else { 0.0 };
            println!(
                "checks on / off (best on-CPU packets/s): replay {:.3}, engine only {:.3} \
                 (target >= 0.8)",
                ratio(r_on, r_off),
                ratio(e_on, e_off)
            );
        }

        if run("driver") {
            let mut runs = Vec::new();
            let mut frames_seen = 0;
            for _ in 0..a.repeat {
                let (d, n) = time_driver(&config, &path)?;
                runs.push(d);
                frames_seen = n;
            }
            report("driver only (read+decode)", frames_seen, &mut runs);
        }

        if let Some(d) = dir {
            std::fs::remove_dir_all(d)?;
        }
    }

    if !a.skip_mem && run("memory") {
        let n = a.mem_calls;
        print_memory(
            "dialog + pinholes (shared signalling flow)",
            memory(&config, n, shared_signalling, false)?,
            n,
        );
        print_memory(
            "including its signalling flow",
            memory(&config, n, own_phone, false)?,
            n,
        );
        print_memory(
            "including signalling and media flows",
            memory(&config, n, own_phone, true)?,
            n,
        );
    }
    Ok(())
}
