//! Prometheus text exposition (format 0.0.4) of the engine's and the driver's counters, served
//! on `GET /metrics` by a tiny HTTP/1.1 server.
//!
//! The daemon renders the text about once a second ([`Metrics::update`]) on its own thread,
//! where it owns the engine; the HTTP thread only copies the last rendering out. So a scrape
//! never waits for the engine and never sees it half-updated.
//!
//! Address: `sipwall run --metrics ADDR` listens where it is told; the default
//! ([`DEFAULT_ADDR`]) is loopback. Giving a non-loopback address on the command line is the
//! explicit choice to expose it (the page holds counters only, no addresses or call ids).

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sipwall_engine::{Action, Engine, Violation};

/// `127.0.0.1:9157`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9157";
/// Longest HTTP request head read (bytes).
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Scrapes served at once.
const MAX_CONNECTIONS: usize = 8;
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Counters the driver keeps (the engine does not see them).
#[derive(Debug, Default, Clone)]
pub struct DriverCounters {
    /// Packets received from NFQUEUE.
    pub queued: u64,
    /// Packets the kernel dropped because the queue was full (nfnetlink_queue statistics).
    pub queue_drops: u64,
    /// Verdicts the kernel refused.
    pub verdict_errors: u64,
    /// Elements in the nftables fast-path sets now.
    pub fastpath_elements: u64,
    /// Configuration reloads (SIGHUP) applied.
    pub reloads: u64,
    /// Reloads rejected (the running configuration was kept).
    pub reload_failures: u64,
}

/// The `/metrics` page; cheap to clone (shared text behind a mutex).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    text: Arc<Mutex<String>>,
}

impl Metrics {
    /// Serve `GET /metrics` on `addr` from a background thread. Other paths answer 404, other
    /// methods 405; requests are read with a size limit and timeouts, a few at once.
    pub fn spawn(addr: SocketAddr) -> io::Result<Metrics> {
        let listener = TcpListener::bind(addr)?;
        Metrics::serve(listener)
    }

    /// Serve on a listener already bound (tests bind port 0 and ask it for the port).
    pub fn serve(listener: TcpListener) -> io::Result<Metrics> {
        let metrics = Metrics::default();
        let shared = metrics.clone();
        thread::Builder::new()
            .name("sipwall-metrics".into())
            .spawn(move || accept_loop(&listener, &shared))?;
        Ok(metrics)
    }

    /// Render from the engine and driver counters (the daemon calls it about once a second).
    pub fn update(&self, engine: &Engine, driver: &DriverCounters) {
        let text = render(engine, driver);
        *self.text.lock().unwrap_or_else(|e| e.into_inner()) = text;
    }

    /// The text served now.
    pub fn text(&self) -> String {
        self.text.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Every violation code.
fn violation_codes() -> impl Iterator<Item = &'static str> {
    Violation::ALL.iter().map(|v| v.as_str())
}

/// A label value escaped per the text format: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Help text escaped per the text format: `\` -> `\\`, newline -> `\n`.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.0, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", escape_label(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: u64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The page: every family with `# HELP` and `# TYPE`, samples sorted by label so successive
/// renderings differ only in values.
pub fn render(engine: &Engine, driver: &DriverCounters) -> String {
    let stats = engine.stats();
    let mut out = Out(String::with_capacity(4096));

    let mut by_reason: Vec<(&str, &str, u64)> = stats
        .by_reason
        .iter()
        .map(|((a, r), n)| (a.as_str(), *r, *n))
        .collect();
    by_reason.sort_unstable();
    out.family(
        "sipwall_packets_total",
        "counter",
        "Packets given a verdict by the engine, by verdict and reason code.",
    );
    for (verdict, reason, n) in &by_reason {
        out.sample(
            "sipwall_packets_total",
            &[("verdict", verdict), ("reason", reason)],
            *n,
        );
    }

    out.family(
        "sipwall_violations_total",
        "counter",
        "Packets dropped for a protocol violation, by violation code.",
    );
    for code in violation_codes() {
        let n = stats
            .by_reason
            .get(&(Action::Drop, code))
            .copied()
            .unwrap_or(0);
        out.sample("sipwall_violations_total", &[("code", code)], n);
    }

    let mut requests: Vec<(&str, u64)> = stats.sip_requests.iter().map(|(m, n)| (*m, *n)).collect();
    requests.sort_unstable();
    out.family(
        "sipwall_sip_requests_total",
        "counter",
        "SIP requests inspected, by method (unknown methods count as OTHER).",
    );
    for (method, n) in &requests {
        out.sample("sipwall_sip_requests_total", &[("method", method)], *n);
    }

    let mut responses: Vec<(u16, u64)> =
        stats.sip_responses.iter().map(|(c, n)| (*c, *n)).collect();
    responses.sort_unstable();
    out.family(
        "sipwall_sip_responses_total",
        "counter",
        "SIP responses inspected, by status code.",
    );
    for (code, n) in &responses {
        out.sample(
            "sipwall_sip_responses_total",
            &[("code", &code.to_string())],
            *n,
        );
    }

    out.single(
        "sipwall_sip_messages_total",
        "counter",
        "SIP messages inspected.",
        stats.sip_messages,
    );
    out.single(
        "sipwall_calls_total",
        "counter",
        "Calls (INVITE dialogs) seen.",
        stats.calls_total,
    );
    out.single(
        "sipwall_pinholes_opened_total",
        "counter",
        "Pinholes opened from SIP signalling.",
        stats.pinholes_total,
    );
    out.single(
        "sipwall_active_flows",
        "gauge",
        "Sessions (flows) open now.",
        count(engine.flow_count()),
    );
    out.single(
        "sipwall_active_calls",
        "gauge",
        "Calls open now.",
        count(engine.call_count()),
    );
    out.single(
        "sipwall_active_pinholes",
        "gauge",
        "Pinholes open now.",
        count(engine.pinhole_count()),
    );
    out.single(
        "sipwall_queue_packets_total",
        "counter",
        "Packets received from NFQUEUE.",
        driver.queued,
    );
    out.single(
        "sipwall_queue_drops_total",
        "counter",
        "Packets the kernel dropped because the NFQUEUE was full.",
        driver.queue_drops,
    );
    out.single(
        "sipwall_verdict_errors_total",
        "counter",
        "Verdicts the kernel refused.",
        driver.verdict_errors,
    );
    out.single(
        "sipwall_fastpath_elements",
        "gauge",
        "Elements in the nftables fast-path sets.",
        driver.fastpath_elements,
    );
    out.single(
        "sipwall_reloads_total",
        "counter",
        "Configuration reloads applied.",
        driver.reloads,
    );
    out.single(
        "sipwall_reload_failures_total",
        "counter",
        "Configuration reloads rejected (the running configuration was kept).",
        driver.reload_failures,
    );
    out.0
}

// ---------------------------------------------------------------------------------------------
// HTTP

struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn accept_loop(listener: &TcpListener, metrics: &Metrics) {
    let active = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(s) => s,
            Err(_) => {
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            let mut stream = stream;
            let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
            let _ = respond(&mut stream, "503 Service Unavailable", "busy\n");
            continue;
        }
        let slot = Slot(Arc::clone(&active));
        let metrics = metrics.clone();
        let spawned = thread::Builder::new()
            .name("sipwall-metrics-conn".into())
            .spawn(move || {
                let _slot = slot;
                let _ = serve(stream, &metrics);
            });
        drop(spawned);
    }
}

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    NotFound,
    BadMethod,
    BadRequest,
}

/// Route an HTTP/1.x request head (RFC 9112 §3: `method SP request-target SP HTTP-version`).
fn route(head: &[u8]) -> Route {
    let line_end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(head.len());
    let Some(line) = head.get(..line_end) else {
        return Route::BadRequest;
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return Route::BadRequest;
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    if method != "GET" {
        return Route::BadMethod;
    }
    // RFC 9110 §4.1: the query is not part of the path.
    let path = target.split('?').next().unwrap_or(target);
    if path == "/metrics" {
        Route::Metrics
    } else {
        Route::NotFound
    }
}

/// Read the request head (up to the blank line) within the size limit.
fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(head);
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return Ok(head);
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too long",
            ));
        }
    }
}

fn serve(mut stream: TcpStream, metrics: &Metrics) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let head = match read_head(&mut stream) {
        Ok(h) => h,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "too large\n",
            )?;
            // Lingering close: closing with unread input would reset the connection and
            // could discard the answer before the client reads it.
            stream.shutdown(Shutdown::Write)?;
            let _ = io::copy(&mut (&mut stream).take(64 * 1024), &mut io::sink());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    match route(&head) {
        Route::Metrics => {
            let body = metrics.text();
            let headers = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(headers.as_bytes())?;
            stream.write_all(body.as_bytes())?;
            stream.flush()
        }
        Route::NotFound => respond(&mut stream, "404 Not Found", "not found; try /metrics\n"),
        // RFC 9110 §15.5.6: a 405 lists the allowed methods.
        Route::BadMethod => respond(
            &mut stream,
            "405 Method Not Allowed\r\nAllow: GET",
            "use GET\n",
        ),
        Route::BadRequest => respond(&mut stream, "400 Bad Request", "bad request\n"),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(msg.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
        let mut out = Out(String::new());
        out.sample("m_total", &[("k", "v\"1"), ("j", "2")], 7);
        assert_eq!(out.0, "m_total{k=\"v\\\"1\",j=\"2\"} 7\n");
    }

    #[test]
    fn routes_requests() {
        assert_eq!(route(b"GET /metrics HTTP/1.1\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET /metrics?a=b HTTP/1.0\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET /metricsx HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"HEAD /metrics HTTP/1.1\r\n\r\n"), Route::BadMethod);
        assert_eq!(route(b"GET /metrics HTTP/2\r\n\r\n"), Route::BadRequest);
        assert_eq!(route(b"GET  /metrics HTTP/1.1\r\n"), Route::BadRequest);
        assert_eq!(route(b"\xff\xfe"), Route::BadRequest);
        assert_eq!(route(b""), Route::BadRequest);
    }
}
