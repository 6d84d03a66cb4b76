//! The control socket behind `sipwall show …` and `sipwall clear …`.
//!
//! Protocol: a unix stream socket (mode 0600, so only its owner, root, may connect); the client
//! writes one JSON [`Request`] per line and reads one JSON object per line back. Errors are
//! answered as `{"error": "..."}`.
//!
//! The daemon owns the engine, so the socket threads never touch it: each request travels to
//! the daemon's loop through the channel [`spawn_server`] returns, together with a one-shot
//! sender for the answer; the daemon calls [`handle`] and sends the value back.
//!
//! Bounds: at most [`MAX_CONNECTIONS`] connections at once (more are answered "busy" and
//! closed), request lines up to [`MAX_REQUEST_LINE`] bytes, read/write timeouts, a deadline for
//! the daemon's answer, and at most [`MAX_LISTED`] items in any list (`"truncated": true` then).

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sipwall_config::{ClassMatch, Config};
use sipwall_engine::{Engine, SessionView};

/// Where `sipwall run` listens and `sipwall show` connects unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/sipwall.sock";
/// Longest request line the server reads (bytes, newline included).
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Most items in one list of an answer (sessions, calls, pinholes).
pub const MAX_LISTED: usize = 10_000;
/// Longest answer the client accepts (bytes).
pub const MAX_RESPONSE: u64 = 256 * 1024 * 1024;
/// Requests waiting for the daemon's loop.
const QUEUE_DEPTH: usize = 64;
/// Socket read/write timeout on the server side.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection waits for the daemon to answer.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(10);
/// Client-side timeout (the server's own deadlines are shorter).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A request, serialised as `{"cmd": "show-sessions", "zone_pair": "in-out"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Request {
    /// `show zone-pair security`.
    ShowZonePairs,
    /// `show policy-map type inspect zone-pair [NAME] [sessions]`.
    ShowSessions { zone_pair: Option<String> },
    /// `show sip calls`.
    ShowCalls,
    /// `show pinholes`.
    ShowPinholes,
    /// `clear zone-pair [NAME]`.
    ClearZonePair { zone_pair: Option<String> },
    /// `show sip blocked`.
    ShowSipBlocked,
    /// `clear sip blocked [SOURCE]`.
    ClearSipBlocked { source: Option<std::net::IpAddr> },
    /// Engine counters.
    Stats,
}

/// A request on its way to the daemon, with where its answer goes.
pub type Pending = (Request, Sender<Value>);

/// `{"error": msg}`.
pub fn error(msg: impl Into<String>) -> Value {
    json!({ "error": msg.into() })
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| error(format!("cannot serialise: {e}")))
}

/// Answer a request from the engine. The daemon calls this on its own thread (it owns the
/// engine). `clear-zone-pair` closes flows, calls and pinholes: drain the engine's events
/// afterwards as after any packet, so the fast path drops the closed pinholes.
///
/// Answers: `{"zone_pairs": [...]}` (zone-pair views; for `show-sessions` each with its
/// policy's classes and their sessions), `{"calls": [...], "total", "truncated"}`,
/// `{"pinholes": [...], "total", "truncated"}`, `{"cleared": n, "zone_pair": name}`, stats.
pub fn handle(engine: &mut Engine, now: Instant, req: &Request) -> Value {
    match req {
        Request::ShowZonePairs => json!({ "zone_pairs": to_value(&engine.zone_pairs()) }),
        Request::ShowSessions { zone_pair } => show_sessions(engine, now, zone_pair.as_deref()),
        Request::ShowCalls => listed("calls", engine.call_details(now)),
        Request::ShowPinholes => listed("pinholes", engine.pinhole_details(now)),
        Request::ClearZonePair { zone_pair } => {
            if let Some(name) = zone_pair {
                if !has_zone_pair(engine.config(), name) {
                    return error(format!("no zone-pair named {name}"));
                }
            }
            let cleared = engine.clear_zone_pair(zone_pair.as_deref());
            json!({ "cleared": cleared, "zone_pair": zone_pair })
        }
        Request::ShowSipBlocked => listed("blocked", engine.blocked_sources(now)),
        Request::ClearSipBlocked { source } => {
            let cleared = engine.clear_blocked(*source, now);
            json!({ "unblocked": cleared, "source": source })
        }
        Request::Stats => stats(engine),
    }
}

fn has_zone_pair(config: &Config, name: &str) -> bool {
    config.zone_pairs.iter().any(|z| z.name == name)
}

fn listed<T: Serialize>(key: &str, mut items: Vec<T>) -> Value {
    let total = items.len();
    items.truncate(MAX_LISTED);
    let mut out = serde_json::Map::new();
    out.insert(key.to_string(), to_value(&items));
    out.insert("total".into(), json!(total));
    out.insert("truncated".into(), json!(total > MAX_LISTED));
    Value::Object(out)
}

/// One `match` line of a class-map as IOS prints it after `Match:`.
fn describe_match(m: &ClassMatch) -> String {
    match m {
        ClassMatch::Protocol { protocol, .. } => format!("protocol {}", protocol.name()),
        ClassMatch::ClassMap { name, .. } => format!("class-map {name}"),
        ClassMatch::Port {
            transport,
            low,
            high,
            ..
        } if low == high => format!("port {transport} {low}"),
        ClassMatch::Port {
            transport,
            low,
            high,
            ..
        } => format!("port {transport} range {low} {high}"),
    }
}

/// Zone-pairs with their policy's classes (in policy order, `class-default` last) and the
/// open sessions each class created; sessions a pinhole admitted (no zone-pair) are listed
/// under `pinhole_sessions` when no zone-pair is named.
fn show_sessions(engine: &Engine, now: Instant, zone_pair: Option<&str>) -> Value {
    let config = Arc::clone(engine.config());
    if let Some(name) = zone_pair {
        if !has_zone_pair(&config, name) {
            return error(format!("no zone-pair named {name}"));
        }
    }
    let sessions = engine.sessions(now, zone_pair);
    let total = sessions.len();
    let mut budget = MAX_LISTED;
    let mut take = |pred: &dyn Fn(&SessionView) -> bool| -> Vec<Value> {
        let picked: Vec<Value> = sessions
            .iter()
            .filter(|s| pred(s))
            .take(budget)
            .map(to_value)
            .collect();
        budget -= picked.len();
        picked
    };
    let mut pairs = Vec::new();
    for zp in config
        .zone_pairs
        .iter()
        .filter(|z| zone_pair.is_none_or(|n| z.name == n))
    {
        let in_pair = |s: &SessionView| s.zone_pair.as_deref() == Some(zp.name.as_str());
        let policy = zp.policy.as_ref().and_then(|p| config.policy_maps.get(p));
        let mut classes = Vec::new();
        if let Some(pm) = policy {
            for pc in &pm.classes {
                let cm = config.class_maps.get(&pc.class);
                let sessions =
                    take(&|s: &SessionView| in_pair(s) && s.class.as_deref() == Some(&pc.class));
                classes.push(json!({
                    "name": pc.class,
                    "match": cm.map_or("match-any", |c| c.kind.as_str()),
                    "matches": cm.map_or_else(Vec::new, |c| c.matches.iter().map(describe_match).collect()),
                    "action": pc.action.to_string(),
                    "sessions": sessions,
                }));
            }
            // class-default, and any session whose class is no longer in the policy.
            let named: Vec<&str> = pm.classes.iter().map(|c| c.class.as_str()).collect();
            let sessions = take(&|s: &SessionView| {
                in_pair(s) && s.class.as_deref().is_none_or(|c| !named.contains(&c))
            });
            classes.push(json!({
                "name": "class-default",
                "match": "match-any",
                "matches": ["any"],
                "action": pm.class_default.to_string(),
                "sessions": sessions,
            }));
        }
        pairs.push(json!({
            "name": zp.name,
            "source": zp.source.to_string(),
            "destination": zp.destination.to_string(),
            "policy": zp.policy,
            "classes": classes,
        }));
    }
    let mut out = json!({ "zone_pairs": pairs, "total": total });
    if zone_pair.is_none() {
        let pinholed = take(&|s: &SessionView| s.zone_pair.is_none());
        out["pinhole_sessions"] = Value::Array(pinholed);
    }
    out["truncated"] = json!(total > MAX_LISTED);
    out
}

fn stats(engine: &Engine) -> Value {
    let s = engine.stats();
    let mut by_reason: Vec<(&str, &str, u64)> = s
        .by_reason
        .iter()
        .map(|((a, r), n)| (a.as_str(), *r, *n))
        .collect();
    by_reason.sort_unstable();
    let mut requests: Vec<(&str, u64)> = s.sip_requests.iter().map(|(m, n)| (*m, *n)).collect();
    requests.sort_unstable();
    let mut responses: Vec<(u16, u64)> = s.sip_responses.iter().map(|(c, n)| (*c, *n)).collect();
    responses.sort_unstable();
    json!({
        "packets": s.packets,
        "accepted": s.accepted,
        "dropped": s.dropped,
        "sip_messages": s.sip_messages,
        "calls_total": s.calls_total,
        "pinholes_total": s.pinholes_total,
        "active_flows": engine.flow_count(),
        "active_calls": engine.call_count(),
        "active_pinholes": engine.pinhole_count(),
        "by_reason": by_reason
            .iter()
            .map(|(a, r, n)| json!({ "verdict": a, "reason": r, "packets": n }))
            .collect::<Vec<_>>(),
        "sip_requests": requests
            .iter()
            .map(|(m, n)| json!({ "method": m, "count": n }))
            .collect::<Vec<_>>(),
        "sip_responses": responses
            .iter()
            .map(|(c, n)| json!({ "code": c, "count": n }))
            .collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------------
// Server

/// Listen on a unix socket at `path` (mode 0600). A stale socket file left by a process that
/// died is replaced; a live one (something accepts connections on it) is an `AddrInUse`
/// error, and a path that is not a socket is never removed (`AlreadyExists`).
///
/// The socket is bound inside a fresh 0700 directory next to `path`, set to 0600 and then
/// renamed into place, so no other user can connect in the moment between bind and chmod.
/// (A unix socket path is limited to 107 bytes; the temporary one is about 20 longer.)
///
/// Each request is handed to the daemon through the returned channel. When the daemon drops
/// the receiver, the server answers `{"error": ...}` and stops accepting. The daemon removes
/// the socket file on exit ([`remove_socket`]).
pub fn spawn_server(path: &Path) -> io::Result<Receiver<Pending>> {
    let listener = bind_private(path)?;
    let (tx, rx) = mpsc::sync_channel(QUEUE_DEPTH);
    thread::Builder::new()
        .name("sipwall-control".into())
        .spawn(move || accept_loop(&listener, &tx))?;
    Ok(rx)
}

/// Remove the socket file at `path` if it is a socket (the daemon calls this on exit).
pub fn remove_socket(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => fs::remove_file(path),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn bind_private(path: &Path) -> io::Result<UnixListener> {
    match fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_socket() => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        Ok(_) => {
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another process is listening on {}", path.display()),
                ));
            }
            // Stale: the rename below replaces it.
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: no file name", path.display()),
        )
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = private_dir(&parent, &name.to_string_lossy())?;
    let tmp = dir.join("s");
    let result = (|| {
        let listener = UnixListener::bind(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))?;
        fs::rename(&tmp, path)?;
        Ok(listener)
    })();
    let _ = fs::remove_file(&tmp);
    let _ = fs::remove_dir(&dir);
    result
}

/// A new directory with mode 0700 in `parent` (never an existing one).
fn private_dir(parent: &Path, name: &str) -> io::Result<PathBuf> {
    let mut last = None;
    for attempt in 0..16u32 {
        let dir = parent.join(format!(".{name}.{}.{attempt}", std::process::id()));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary directory")))
}

/// Decrements the connection count when a connection thread ends (or never starts).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn accept_loop(listener: &UnixListener, tx: &SyncSender<Pending>) {
    let active = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicBool::new(false));
    for conn in listener.incoming() {
        if closed.load(Ordering::Acquire) {
            break;
        }
        let mut stream = match conn {
            Ok(s) => s,
            Err(_) => {
                // E.g. out of file descriptors: do not spin.
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
            let _ = write_line(&mut stream, &error("busy: too many control connections"));
            continue;
        }
        let slot = Slot(Arc::clone(&active));
        let tx = tx.clone();
        let closed = Arc::clone(&closed);
        let spawned = thread::Builder::new()
            .name("sipwall-control-conn".into())
            .spawn(move || {
                let _slot = slot;
                if serve(stream, &tx).is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
                    // Only a dropped daemon channel maps to BrokenPipe here (see `serve`).
                    closed.store(true, Ordering::Release);
                }
            });
        // A failed spawn drops the closure (and its slot) unrun.
        drop(spawned);
    }
}

/// Serve one connection: requests until EOF, an I/O error or a timeout.
fn serve(stream: UnixStream, tx: &SyncSender<Pending>) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let line = match read_line(&mut reader, MAX_REQUEST_LINE as u64) {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let _ = write_line(&mut writer, &error(e.to_string()));
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let answer = match serde_json::from_slice::<Request>(&line) {
            Err(e) => error(format!("bad request: {e}")),
            Ok(req) => {
                let (reply, answer) = mpsc::channel();
                if tx.send((req, reply)).is_err() {
                    let _ = write_line(&mut writer, &error("sipwall is shutting down"));
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "daemon gone"));
                }
                answer
                    .recv_timeout(DAEMON_TIMEOUT)
                    .unwrap_or_else(|_| error("sipwall did not answer in time"))
            }
        };
        if write_line(&mut writer, &answer).is_err() {
            return Ok(());
        }
    }
}

/// One line (newline stripped) of at most `limit` bytes; `None` at EOF; `InvalidData` when the
/// line is longer.
fn read_line<R: BufRead>(reader: &mut R, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take(limit.saturating_add(1))
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("request line longer than {limit} bytes"),
        ));
    }
    Ok(Some(buf))
}

fn write_line<W: Write>(w: &mut W, v: &Value) -> io::Result<()> {
    let mut out = serde_json::to_vec(v).map_err(io::Error::other)?;
    out.push(b'\n');
    w.write_all(&out)?;
    w.flush()
}

// ---------------------------------------------------------------------------------------------
// Client

/// Send one request to the daemon at `path` and read its answer. An `{"error": msg}` answer
/// becomes an `io::Error` (kind `Other`) carrying `msg`.
pub fn request(path: &Path, req: &Request) -> io::Result<Value> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut line = serde_json::to_vec(req).map_err(io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let answer = read_line(&mut reader, MAX_RESPONSE)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "sipwall closed the connection",
        )
    })?;
    let value: Value = serde_json::from_slice(&answer)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad answer: {e}")))?;
    if let Some(msg) = value.get("error").and_then(Value::as_str) {
        return Err(io::Error::other(msg.to_string()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_limits_and_strips() {
        let mut r = io::Cursor::new(b"{\"cmd\":\"stats\"}\nabc".to_vec());
        assert_eq!(
            read_line(&mut r, 64).unwrap().as_deref(),
            Some(&b"{\"cmd\":\"stats\"}"[..])
        );
        // A last line without a newline still counts.
        assert_eq!(read_line(&mut r, 64).unwrap().as_deref(), Some(&b"abc"[..]));
        assert_eq!(read_line(&mut r, 64).unwrap(), None);
        // Exactly the limit with its newline is fine; one byte more is not.
        let mut r = io::Cursor::new(b"abcd\n".to_vec());
        assert_eq!(read_line(&mut r, 5).unwrap().as_deref(), Some(&b"abcd"[..]));
        let mut r = io::Cursor::new(b"abcdef\n".to_vec());
        let e = read_line(&mut r, 5).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn class_matches_read_like_ios() {
        use sipwall_config::{Location, Protocol, Transport};
        let at = Location::default();
        assert_eq!(
            describe_match(&ClassMatch::Protocol {
                protocol: Protocol::Sip,
                at
            }),
            "protocol sip"
        );
        assert_eq!(
            describe_match(&ClassMatch::Port {
                transport: Transport::Udp,
                low: 5060,
                high: 5060,
                at
            }),
            "port udp 5060"
        );
        assert_eq!(
            describe_match(&ClassMatch::Port {
                transport: Transport::Tcp,
                low: 1,
                high: 9,
                at
            }),
            "port tcp range 1 9"
        );
    }
}
