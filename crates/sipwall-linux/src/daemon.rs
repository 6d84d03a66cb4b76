//! `sipwall run`: one engine fed by NFQUEUE, driven by the monotonic clock.
//!
//! Start-up: parse the configuration; bind the queue (fails if another instance holds it, so
//! a second instance never touches the first one's rules); remove stale rules of a previous
//! run; install the fast path (unless disabled) and the rules. The engine (with the interface
//! map) sits behind one lock shared by two threads. The queue thread ([`crate::queue`]) takes
//! it for each batch: fires due timers, gets a verdict for each packet from the engine and
//! drains the engine's events, then sends the verdicts, so no thread hand-off sits on the
//! packet path; the events follow over a bounded channel to this thread, which applies them to
//! the fast path and the event log. This thread takes the lock briefly to fire the engine's
//! timers from [`Instant::now`] (at least every [`MAX_WAIT`]), to feed fast-path usage back
//! ([`Engine::pinhole_seen`]) and render metrics once a second, to answer control requests
//! and to reload; netlink and file work happens outside the lock. SIGTERM/SIGINT
//! remove the rules and the fast path and return; SIGHUP reloads the configuration, keeping
//! the running one if the file is bad. A fatal error returns with the rules left in place:
//! fail-closed until the next start cleans them up.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sipwall_config::Config;
use sipwall_engine::{Action, Engine, Event, PacketMeta, Side};

use crate::control::{self, Request};
use crate::fastpath::FastPath;
use crate::metrics::{DriverCounters, Metrics};
use crate::queue::{self, BatchHandler, Message, QueueOptions, Verdict as NfVerdict};
use crate::rules::{self, Rules, RulesError};

/// The engine is told about time at least this often even when nothing happens.
const MAX_WAIT: Duration = Duration::from_millis(100);
/// Fast-path usage, metrics and queue-drop counters are refreshed this often.
const TICK: Duration = Duration::from_secs(1);
/// An interface index we cannot name triggers a rescan of `/sys/class/net` at most this often.
const RESCAN_INTERVAL: Duration = Duration::from_secs(1);
/// Control requests (and wake-ups) waiting for the daemon thread at most.
const INPUT_BACKLOG: usize = 64;
/// Engine events drained by the queue thread and not yet taken by the daemon thread, at most;
/// beyond it they wait in the engine's own bounded queue.
const MAX_PENDING_EVENTS: usize = 65_536;
/// More interfaces than this in `/sys/class/net` are not cached (a bound on the table).
const MAX_IFACES: usize = 4096;

/// `sipwall run` options.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub config: PathBuf,
    /// NFQUEUE number.
    pub queue: u16,
    /// Control socket path; `None`: no control socket.
    pub control: Option<PathBuf>,
    /// Prometheus endpoint; `None`: no metrics.
    pub metrics: Option<SocketAddr>,
    /// `--queue-bypass` and accept-when-full: traffic passes uninspected while sipwall is not
    /// there or overloaded. Off: fail-closed.
    pub fail_open: bool,
    /// Everything through the queue, no nftables fast path.
    pub no_fastpath: bool,
    /// Engine events as JSON lines (replay's schema plus `"ts"`); `-` is standard output.
    pub events: Option<PathBuf>,
}

impl RunOptions {
    pub fn new(config: PathBuf) -> Self {
        RunOptions {
            config,
            queue: 0,
            control: None,
            metrics: None,
            fail_open: false,
            no_fastpath: false,
            events: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("reading {path}: {error}")]
    ReadConfig { path: PathBuf, error: io::Error },
    /// The configuration has errors (each one `FILE:LINE:COL: message`).
    #[error("{} error(s) in the configuration", .0.len())]
    Config(Vec<String>),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Queue(#[from] queue::QueueError),
    #[error("the queue failed: {0}")]
    QueueFailed(io::Error),
    #[error("fast path: {0} (run with --no-fastpath to do without it)")]
    FastPath(String),
    #[error("{what}: {error}")]
    Io { what: String, error: io::Error },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> DaemonError {
    let what = what.into();
    move |source| DaemonError::Io {
        what,
        error: source,
    }
}

/// Read and validate a configuration file; warnings go to standard error.
pub fn load_config(path: &Path) -> Result<Config, DaemonError> {
    let bytes = std::fs::read(path).map_err(|source| DaemonError::ReadConfig {
        path: path.to_path_buf(),
        error: source,
    })?;
    let name = path.display().to_string();
    match sipwall_config::parse_bytes(&bytes, &name) {
        Ok((config, warnings)) => {
            for w in warnings {
                log(&format!("{w}"));
            }
            Ok(config)
        }
        Err(errors) => Err(DaemonError::Config(
            errors.iter().map(|e| e.to_string()).collect(),
        )),
    }
}

fn log(msg: &str) {
    eprintln!("sipwall: {msg}");
}

/// The monotonic clock. Drivers own the clock; the engine is handed `now`.
#[allow(clippy::disallowed_methods)] // drivers own the clock (STYLE.md: only drivers read it)
fn clock() -> Instant {
    Instant::now()
}

/// Wall-clock seconds since the Unix epoch for the event log's `"ts"`.
#[allow(clippy::disallowed_methods)] // drivers own the clock (STYLE.md: only drivers read it)
fn wall_ts() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Interface index (from the queue) -> the engine's side, from `/sys/class/net/*/ifindex`.
#[derive(Debug, Default)]
pub struct InterfaceMap {
    by_index: HashMap<u32, Side>,
    last_scan: Option<Instant>,
}

impl InterfaceMap {
    /// The side for a packet's in/out interface index; 0 (no interface: locally generated or
    /// locally delivered) is the firewall itself.
    pub fn side(&mut self, engine: &Engine, index: u32, now: Instant) -> Side {
        if index == 0 {
            return Side::Local;
        }
        if let Some(s) = self.by_index.get(&index) {
            return *s;
        }
        let due = self
            .last_scan
            .is_none_or(|t| now.saturating_duration_since(t) >= RESCAN_INTERVAL);
        if due {
            self.last_scan = Some(now);
            self.by_index = scan_interfaces(Path::new("/sys/class/net"))
                .into_iter()
                .map(|(i, name)| {
                    (
                        i,
                        engine
                            .interface_id(&name)
                            .map_or(Side::Unknown, Side::Interface),
                    )
                })
                .collect();
            if let Some(s) = self.by_index.get(&index) {
                return *s;
            }
        }
        Side::Unknown
    }

    /// Forget everything (the engine's interface ids change with a reload).
    pub fn clear(&mut self) {
        self.by_index.clear();
        self.last_scan = None;
    }
}

/// `(ifindex, name)` of every interface under `dir` (`/sys/class/net`); unreadable entries
/// are skipped.
pub fn scan_interfaces(dir: &Path) -> Vec<(u32, String)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let idx = std::fs::read_to_string(e.path().join("ifindex")).ok()?;
            Some((idx.trim().parse().ok()?, name))
        })
        .take(MAX_IFACES)
        .collect()
}

/// Engine events as JSON lines: replay's schema plus `"ts"` (Unix seconds).
pub struct EventLog {
    out: Box<dyn Write + Send>,
    dirty: bool,
}

impl EventLog {
    /// `-` is standard output; a file is appended to.
    pub fn open(path: &Path) -> io::Result<EventLog> {
        let out: Box<dyn Write + Send> = if path == Path::new("-") {
            Box::new(io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        Ok(EventLog::new(out))
    }

    pub fn new(out: Box<dyn Write + Send>) -> EventLog {
        EventLog {
            out: Box::new(io::BufWriter::new(out)),
            dirty: false,
        }
    }

    pub fn write(&mut self, ev: &Event, ts: f64) {
        let mut j = serde_json::to_value(ev).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut j {
            map.insert("ts".into(), ts.into());
        }
        // A full disk or a closed pipe must not stop the firewall.
        let _ = writeln!(self.out, "{j}");
        self.dirty = true;
    }

    pub fn flush(&mut self) {
        if std::mem::take(&mut self.dirty) {
            let _ = self.out.flush();
        }
    }
}

/// What the daemon thread is told by the queue and control threads.
enum Input {
    /// The queue thread left engine events in [`Shared::pending`].
    Wake,
    /// The queue socket failed for good, or the engine's lock was poisoned.
    QueueFailed(io::Error),
    Control(Request, Sender<Value>),
}

/// The state the queue thread and the daemon thread share under one lock.
///
/// Engine events go through `pending` in the order the engine produced them (both threads
/// append under the lock; only the daemon thread takes them out and applies them, in order), so
/// the fast path never sees a pinhole's removal before its creation.
struct Shared {
    engine: Engine,
    ifmap: InterfaceMap,
    pending: Vec<Event>,
}

impl Shared {
    fn timers(&mut self, now: Instant) {
        if self.engine.poll_timeout().is_some_and(|t| t <= now) {
            self.engine.handle_timeout(now);
        }
    }

    /// Move the engine's events to `pending` (up to [`MAX_PENDING_EVENTS`]).
    fn collect_events(&mut self) {
        while self.pending.len() < MAX_PENDING_EVENTS {
            let Some(ev) = self.engine.poll_event() else {
                break;
            };
            self.pending.push(ev);
        }
    }

    /// Collect and take every pending event into `out` (emptied first).
    fn take_events(&mut self, out: &mut Vec<Event>) {
        self.collect_events();
        out.clear();
        std::mem::swap(&mut self.pending, out);
    }
}

fn lock(shared: &Mutex<Shared>) -> Result<MutexGuard<'_, Shared>, DaemonError> {
    shared.lock().map_err(|_| {
        DaemonError::QueueFailed(io::Error::other(
            "the queue thread failed holding the engine",
        ))
    })
}

/// Runs on the queue thread: the engine decides each batch there.
struct Decider {
    shared: Arc<Mutex<Shared>>,
    tx: SyncSender<Input>,
    /// Set when a [`Input::Wake`] is on its way; the daemon thread clears it before draining.
    woken: Arc<AtomicBool>,
    has_events: bool,
    poisoned: bool,
}

impl BatchHandler for Decider {
    fn decide(&mut self, batch: &mut [Message]) {
        let Ok(mut guard) = self.shared.lock() else {
            // Fail-closed: no engine, no verdict but drop (nfq's default is accept).
            for msg in batch.iter_mut() {
                msg.set_verdict(NfVerdict::Drop);
            }
            self.poisoned = true;
            return;
        };
        let s = &mut *guard;
        let now = clock();
        s.timers(now);
        for msg in batch.iter_mut() {
            let meta = PacketMeta {
                ingress: s.ifmap.side(&s.engine, msg.get_indev(), now),
                egress: s.ifmap.side(&s.engine, msg.get_outdev(), now),
            };
            let v = s.engine.handle_packet(now, &meta, msg.get_payload());
            msg.set_verdict(match v.action {
                Action::Accept => NfVerdict::Accept,
                Action::Drop => NfVerdict::Drop,
            });
        }
        s.collect_events();
        self.has_events = !s.pending.is_empty();
    }

    fn after_verdicts(&mut self) -> bool {
        if self.poisoned {
            let _ = self.tx.send(Input::QueueFailed(io::Error::other(
                "the engine's lock was poisoned",
            )));
            return false;
        }
        if std::mem::take(&mut self.has_events) && !self.woken.swap(true, Ordering::AcqRel) {
            // Full: control requests are queued, and the daemon thread drains the events
            // before it waits again.
            if let Err(mpsc::TrySendError::Disconnected(_)) = self.tx.try_send(Input::Wake) {
                return false;
            }
        }
        true
    }

    fn failed(&mut self, error: io::Error) {
        let _ = self.tx.send(Input::QueueFailed(error));
    }
}

fn signal_flags() -> Result<(Arc<AtomicBool>, Arc<AtomicBool>), DaemonError> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let term = Arc::new(AtomicBool::new(false));
    let hup = Arc::new(AtomicBool::new(false));
    for sig in [SIGTERM, SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&term))
            .map_err(io_err("installing signal handlers"))?;
    }
    signal_hook::flag::register(SIGHUP, Arc::clone(&hup))
        .map_err(io_err("installing signal handlers"))?;
    Ok((term, hup))
}

/// Run until SIGTERM/SIGINT (`Ok`) or a fatal error.
pub fn run(opts: RunOptions) -> Result<(), DaemonError> {
    let config = load_config(&opts.config)?;
    // Validate the interfaces before touching the kernel.
    rules::zone_interfaces(&config)?;
    let (term, hup) = signal_flags()?;

    let qopts = QueueOptions::new(opts.queue, opts.fail_open);
    let nfqueue = queue::open(&qopts)?;
    let stale = rules::cleanup_stale()?;
    if stale > 0 {
        log(&format!("removed {stale} stale rule(s) of a previous run"));
    }

    let (tx, rx) = mpsc::sync_channel::<Input>(INPUT_BACKLOG);
    let shared = Arc::new(Mutex::new(Shared {
        engine: Engine::new(Arc::new(config), clock()),
        ifmap: InterfaceMap::default(),
        pending: Vec::new(),
    }));
    let woken = Arc::new(AtomicBool::new(false));
    let decider = Decider {
        shared: Arc::clone(&shared),
        tx: tx.clone(),
        woken: Arc::clone(&woken),
        has_events: false,
        poisoned: false,
    };
    let qcounters = queue::spawn(nfqueue, qopts.max_batch, decider)?;

    let fastpath = if opts.no_fastpath {
        None
    } else {
        Some(FastPath::install(()).map_err(|e| DaemonError::FastPath(e.to_string()))?)
    };
    let mut events = match &opts.events {
        Some(p) => Some(EventLog::open(p).map_err(io_err(format!("opening {}", p.display())))?),
        None => None,
    };
    let metrics = match opts.metrics {
        Some(addr) => Some(Metrics::spawn(addr).map_err(io_err(format!("metrics on {addr}")))?),
        None => None,
    };
    if let Some(path) = &opts.control {
        let ctl = control::spawn_server(path)
            .map_err(io_err(format!("control socket {}", path.display())))?;
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("sipwall-control".into())
            .spawn(move || {
                for (req, reply) in ctl {
                    if tx.send(Input::Control(req, reply)).is_err() {
                        return;
                    }
                }
            })
            .map_err(io_err("starting the control thread"))?;
    }
    drop(tx);

    let config = Arc::clone(lock(&shared)?.engine.config());
    let rules = match rules::install_with(&config, opts.queue, opts.fail_open, fastpath.is_some()) {
        Ok(r) => r,
        Err(e) => {
            if let Some(fp) = fastpath {
                let _ = fp.remove();
            }
            return Err(e.into());
        }
    };
    log(&format!(
        "running: queue {}, interfaces {}, {}, fast path {}",
        opts.queue,
        rules.interfaces().join(" "),
        if opts.fail_open {
            "fail-open"
        } else {
            "fail-closed"
        },
        if fastpath.is_some() { "on" } else { "off" },
    ));

    let mut d = Daemon {
        shared,
        fastpath,
        events: events.take(),
        metrics,
        counters: DriverCounters::default(),
        rules,
        config_path: opts.config.clone(),
        queue: opts.queue,
        fastpath_errors: 0,
    };
    let result = d.main_loop(&rx, &qcounters, &woken, &term, &hup);
    match result {
        Ok(()) => {
            if d.events.is_some() {
                // Events the queue thread collected but this thread has not logged yet.
                let mut evs = Vec::new();
                if let Ok(mut s) = d.shared.lock() {
                    s.take_events(&mut evs);
                }
                d.apply_events(&evs, wall_ts());
            }
            log("stopping: removing rules");
            let mut first = None;
            if let Err(e) = d.rules.remove() {
                first = Some(DaemonError::from(e));
            }
            if let Some(fp) = d.fastpath {
                if let Err(e) = fp.remove() {
                    first.get_or_insert(DaemonError::FastPath(e.to_string()));
                }
            }
            if let Some(path) = &opts.control {
                let _ = std::fs::remove_file(path);
            }
            if let Some(ev) = &mut d.events {
                ev.flush();
            }
            first.map_or(Ok(()), Err)
        }
        Err(e) => {
            log(&format!(
                "fatal: {e}; rules left in place (fail-closed) until the next start"
            ));
            Err(e)
        }
    }
}

struct Daemon {
    shared: Arc<Mutex<Shared>>,
    fastpath: Option<FastPath>,
    events: Option<EventLog>,
    metrics: Option<Metrics>,
    counters: DriverCounters,
    rules: Rules,
    config_path: PathBuf,
    queue: u16,
    fastpath_errors: u64,
}

impl Daemon {
    fn main_loop(
        &mut self,
        rx: &mpsc::Receiver<Input>,
        qcounters: &queue::QueueCounters,
        woken: &AtomicBool,
        term: &AtomicBool,
        hup: &AtomicBool,
    ) -> Result<(), DaemonError> {
        let mut next_tick = clock();
        let mut evs = Vec::new();
        loop {
            if term.load(Ordering::Relaxed) {
                return Ok(());
            }
            if hup.swap(false, Ordering::Relaxed) {
                self.reload(clock())?;
            }
            let now = clock();
            if now >= next_tick {
                self.tick(now, qcounters)?;
                next_tick = now + TICK;
            }
            let mut wait = MAX_WAIT.min(next_tick.saturating_duration_since(now));
            woken.store(false, Ordering::Release);
            {
                let mut s = lock(&self.shared)?;
                s.timers(now);
                s.take_events(&mut evs);
                if let Some(t) = s.engine.poll_timeout() {
                    wait = wait.min(t.saturating_duration_since(now));
                }
            }
            self.apply_events(&evs, wall_ts());

            match rx.recv_timeout(wait) {
                Ok(Input::Wake) => {} // the events are taken at the top of the loop
                Ok(Input::QueueFailed(e)) => return Err(DaemonError::QueueFailed(e)),
                Ok(Input::Control(req, reply)) => {
                    let answer = {
                        let mut s = lock(&self.shared)?;
                        let answer = control::handle(&mut s.engine, clock(), &req);
                        s.take_events(&mut evs);
                        answer
                    };
                    let _ = reply.send(answer);
                    self.apply_events(&evs, wall_ts());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(DaemonError::QueueFailed(io::Error::other(
                        "the queue thread ended",
                    )))
                }
            }
        }
    }

    /// Engine events (drained at wall-clock time `ts`) to the fast path and the event log.
    fn apply_events(&mut self, evs: &[Event], ts: f64) {
        if evs.is_empty() {
            return;
        }
        if let Some(fp) = &mut self.fastpath {
            if let Err(e) = fp.apply_all(evs) {
                self.fastpath_errors += 1;
                // The packets still pass through the queue: only slower.
                if self.fastpath_errors <= 10 || self.fastpath_errors % 1000 == 0 {
                    log(&format!("fast path ({} errors): {e}", self.fastpath_errors));
                }
            }
        }
        // SIP policy `reset` on TCP: forge the RSTs (the engine says which).
        for ev in evs {
            if let Err(e) = crate::inject::send_reset(ev) {
                log(&format!("reset not sent: {e}"));
            }
        }
        if let Some(log) = &mut self.events {
            for ev in evs {
                log.write(ev, ts);
            }
            log.flush();
        }
    }

    /// Once a second: fast-path usage (read outside the lock) back to the engine, driver
    /// counters, metrics.
    fn tick(&mut self, now: Instant, qcounters: &queue::QueueCounters) -> Result<(), DaemonError> {
        let mut usage = Vec::new();
        if let Some(fp) = &mut self.fastpath {
            match fp.poll_usage() {
                Ok(u) => usage = u,
                Err(e) => log(&format!("fast path usage: {e}")),
            }
            self.counters.fastpath_elements = fp.element_count() as u64;
        }
        self.counters.queued = qcounters.received.load(Ordering::Relaxed);
        self.counters.verdict_errors = qcounters.verdict_errors.load(Ordering::Relaxed);
        if let Some(drops) = queue::kernel_drops(self.queue) {
            self.counters.queue_drops = drops;
        }
        let mut s = lock(&self.shared)?;
        for (id, packets, bytes) in usage {
            s.engine.pinhole_seen(id, now, packets, bytes);
        }
        if let Some(m) = &self.metrics {
            m.update(&s.engine, &self.counters);
        }
        Ok(())
    }

    /// SIGHUP: a bad file (or rules that cannot follow it) is rejected and the running
    /// configuration kept.
    fn reload(&mut self, now: Instant) -> Result<(), DaemonError> {
        let config = match load_config(&self.config_path) {
            Ok(c) => c,
            Err(DaemonError::Config(errors)) => {
                for e in &errors {
                    log(e);
                }
                log(&format!(
                    "reload rejected: {} error(s); keeping the running configuration",
                    errors.len()
                ));
                self.counters.reload_failures += 1;
                return Ok(());
            }
            Err(e) => {
                log(&format!(
                    "reload rejected: {e}; keeping the running configuration"
                ));
                self.counters.reload_failures += 1;
                return Ok(());
            }
        };
        let changed = match rules::zone_interfaces(&config) {
            Ok(ifaces) => ifaces != self.rules.interfaces(),
            Err(e) => {
                log(&format!(
                    "reload rejected: {e}; keeping the running configuration"
                ));
                self.counters.reload_failures += 1;
                return Ok(());
            }
        };
        if changed {
            if let Err(e) = self.rules.update(&config) {
                log(&format!(
                    "reload rejected: {e}; keeping the running configuration"
                ));
                self.counters.reload_failures += 1;
                return Ok(());
            }
        }
        let mut evs = Vec::new();
        let report = {
            let mut s = lock(&self.shared)?;
            let report = s.engine.reload(Arc::new(config), now);
            s.ifmap.clear();
            s.take_events(&mut evs);
            report
        };
        self.counters.reloads += 1;
        log(&format!(
            "reloaded {}: {} flow(s) kept, {} closed, {} call(s) ended; interfaces {}",
            self.config_path.display(),
            report.flows_kept,
            report.flows_closed,
            report.calls_ended,
            self.rules.interfaces().join(" ")
        ));
        self.apply_events(&evs, wall_ts());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let text = "zone security inside\ninterface eth0\n zone-member security inside\n";
        let (cfg, _) = sipwall_config::parse(text, "t.cfg").expect("valid config");
        Engine::new(Arc::new(cfg), clock())
    }

    #[test]
    fn index_zero_is_local_and_unknown_is_unknown() {
        let e = engine();
        let mut m = InterfaceMap::default();
        let now = clock();
        assert_eq!(m.side(&e, 0, now), Side::Local);
        assert_eq!(m.side(&e, u32::MAX, now), Side::Unknown);
        // A second miss within the rescan interval does not rescan.
        let scanned = m.last_scan;
        assert_eq!(m.side(&e, u32::MAX - 1, now), Side::Unknown);
        assert_eq!(m.last_scan, scanned);
    }

    #[test]
    fn scan_reads_ifindex_files() {
        let dir = std::env::temp_dir().join(format!("sipwall-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, idx) in [("eth0", "2\n"), ("lo", "1\n"), ("bad", "x\n")] {
            std::fs::create_dir_all(dir.join(name)).expect("temp dir");
            std::fs::write(dir.join(name).join("ifindex"), idx).expect("temp file");
        }
        std::fs::create_dir_all(dir.join("noindex")).expect("temp dir");
        let mut got = scan_interfaces(&dir);
        got.sort();
        assert_eq!(got, [(1, "lo".to_string()), (2, "eth0".to_string())]);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(scan_interfaces(Path::new("/nonexistent/sipwall")).is_empty());
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn event_log_lines_carry_ts() {
        let buf = Shared::default();
        let mut log = EventLog::new(Box::new(buf.clone()));
        log.write(
            &Event::Dialog {
                call_id: "a@b".into(),
                state: "confirmed",
                reason: "200",
            },
            1700000000.25,
        );
        log.flush();
        let text = String::from_utf8(buf.0.lock().expect("not poisoned").clone()).expect("utf8");
        let v: Value = serde_json::from_str(text.trim_end()).expect("one JSON line");
        assert_eq!(v["event"], "dialog");
        assert_eq!(v["call_id"], "a@b");
        assert_eq!(v["ts"], 1700000000.25);
        assert!(text.ends_with('\n'));
    }
}
