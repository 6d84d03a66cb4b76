//! SIP parse benchmarks: sipwall-wire against rsip 0.4 and ezk-sip-types 0.6.
//!
//! Groups (each input is one benchmark id `<library>/<input>`):
//! * `full_parse`: parse the message and decode what a SIP firewall reads: every Via hop, CSeq,
//!   From, To, Call-ID, Contact, and the SDP body when there is one. For rsip and ezk the SDP is
//!   parsed with `sdp-types`, so that the work compared is the same.
//! * `parse_only`: the header index alone (sipwall `Message::parse`; rsip `SipMessage::try_from`,
//!   whose headers stay untyped; ezk `PullParser` + `Line::parse` into `Headers`).
//! * `frame`: stream framing (sipwall only).
//!
//! A library that rejects an input is recorded as "rejected" and left out. After the run, a
//! ratio table is printed from criterion's `estimates.json` files.
//!
//! Every library's results are kept alive with `black_box(&result)`: they are built and
//! stay where they were built. `black_box(result)` would also time a copy of the value into
//! `black_box`'s argument (a ~640-byte memcpy for sipwall's SDP model), which is the
//! harness's cost, not the parser's.
//!
//! `cargo bench -p sipwall-wire --bench parse`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkGroup, Criterion, Throughput};
use sipwall_wire::sip::{frame, Framing, Limits, Message, Transport};

const INPUTS: [(&str, &[u8]); 4] = [
    ("invite", include_bytes!("data/invite.sip")),
    ("ok200", include_bytes!("data/ok200.sip")),
    ("register", include_bytes!("data/register.sip")),
    (
        "wsinv",
        include_bytes!("../../../tests/fixtures/rfc4475/wsinv.dat"),
    ),
];

const LIBS: [&str; 3] = ["sipwall", "rsip", "ezk"];

/// A benchmark failure to report: the library rejected the input.
type Outcome = Result<(), String>;

// ---------------------------------------------------------------------------------------------
// sipwall

fn sipwall_full(b: &[u8], limits: &Limits) -> Outcome {
    let m = Message::parse(b, Transport::Datagram, limits).map_err(|e| format!("{e:?}"))?;
    let vias = m.vias().map_err(|e| format!("via {e:?}"))?;
    let cseq = m.cseq().map_err(|e| format!("cseq {e:?}"))?;
    let from = m.from().map_err(|e| format!("from {e:?}"))?;
    let to = m.to().map_err(|e| format!("to {e:?}"))?;
    let call_id = m.call_id().ok_or("no call-id")?;
    let contact = m.contacts().map_err(|e| format!("contact {e:?}"))?;
    black_box((&vias, &cseq, &from, &to, call_id, &contact));
    if let Some(sdp) = m.sdp() {
        black_box(&sdp.map_err(|e| format!("sdp {e:?}"))?);
    }
    Ok(())
}

fn sipwall_parse_only(b: &[u8], limits: &Limits) -> Outcome {
    let m = Message::parse(b, Transport::Datagram, limits).map_err(|e| format!("{e:?}"))?;
    black_box(&m);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// rsip

fn rsip_parse_only(b: &[u8]) -> Outcome {
    let m = rsip::SipMessage::try_from(b).map_err(|e| e.to_string())?;
    black_box(&m);
    Ok(())
}

fn rsip_full(b: &[u8]) -> Outcome {
    use rsip::prelude::*;
    let m = rsip::SipMessage::try_from(b).map_err(|e| e.to_string())?;
    let mut vias = Vec::new();
    let mut contacts = Vec::new();
    for h in m.headers().iter() {
        match h {
            rsip::Header::Via(v) => vias.push(v.typed().map_err(|e| format!("via {e}"))?),
            rsip::Header::Contact(c) => {
                contacts.push(c.typed().map_err(|e| format!("contact {e}"))?)
            }
            _ => {}
        }
    }
    let cseq = m
        .cseq_header()
        .and_then(|h| h.typed())
        .map_err(|e| format!("cseq {e}"))?;
    let from = m
        .from_header()
        .and_then(|h| h.typed())
        .map_err(|e| format!("from {e}"))?;
    let to = m
        .to_header()
        .and_then(|h| h.typed())
        .map_err(|e| format!("to {e}"))?;
    let call_id = m.call_id_header().map_err(|e| format!("call-id {e}"))?;
    black_box((&vias, &contacts, &cseq, &from, &to, call_id.value()));
    let body = m.body();
    if !body.is_empty() {
        black_box(&sdp_types::Session::parse(body).map_err(|e| format!("sdp {e:?}"))?);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ezk-sip-types: no one-call message parser; this is the pull parser loop its stack runs.

struct EzkMessage {
    line: ezk_sip_types::msg::MessageLine,
    headers: ezk_sip_types::Headers,
    body: bytes::Bytes,
}

fn ezk_parse(src: &bytes::Bytes) -> Result<EzkMessage, String> {
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;

    let mut p = PullParser::new(src, 0);
    let first = p
        .next()
        .ok_or("empty")?
        .map_err(|_| "incomplete start line")?;
    let first = std::str::from_utf8(first).map_err(|e| e.to_string())?;
    let (_, line) = MessageLine::parse(src)(first).map_err(|e| format!("start line {e:?}"))?;
    let mut headers = ezk_sip_types::Headers::with_capacity(16);
    for l in p.by_ref() {
        let l = l.map_err(|_| "incomplete head")?;
        let l = std::str::from_utf8(l).map_err(|e| e.to_string())?;
        let (_, l) = Line::parse(src, l).map_err(|e| format!("header line {e:?}"))?;
        headers.insert(l.name, l.value);
    }
    let body = src.slice(p.head_end()..);
    Ok(EzkMessage {
        line,
        headers,
        body,
    })
}

fn ezk_parse_only(src: &bytes::Bytes) -> Outcome {
    black_box(&ezk_parse(src)?);
    Ok(())
}

fn ezk_full(src: &bytes::Bytes) -> Outcome {
    use ezk_sip_types::header::typed::{CSeq, CallID, Contact, ContentLength, FromTo, Via};
    use ezk_sip_types::Name;

    let m = ezk_parse(src)?;
    let h = &m.headers;
    let vias: Vec<Via> = h.get_named().map_err(|e| format!("via {e:?}"))?;
    let cseq: CSeq = h.get_named().map_err(|e| format!("cseq {e:?}"))?;
    let from: FromTo = h.get(Name::FROM).map_err(|e| format!("from {e:?}"))?;
    let to: FromTo = h.get(Name::TO).map_err(|e| format!("to {e:?}"))?;
    let call_id: CallID = h.get_named().map_err(|e| format!("call-id {e:?}"))?;
    let contacts: Vec<Contact> = h.get_named().map_err(|e| format!("contact {e:?}"))?;
    if vias.is_empty() {
        return Err("via: none decoded".into());
    }
    black_box((&m.line, &vias, &cseq, &from, &to, &call_id, &contacts));
    let cl: ContentLength = h.get_named().map_err(|e| format!("content-length {e:?}"))?;
    let body = m
        .body
        .get(..cl.0)
        .ok_or("body shorter than Content-Length")?;
    if !body.is_empty() {
        black_box(&sdp_types::Session::parse(body).map_err(|e| format!("sdp {e:?}"))?);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Groups

/// Run `f` once; if the library rejects the input, record it and skip the benchmark.
fn bench_or_reject<M: Measurement>(
    g: &mut BenchmarkGroup<'_, M>,
    rejected: &mut Vec<String>,
    group: &str,
    id: &str,
    mut f: impl FnMut() -> Outcome,
) {
    match f() {
        Ok(()) => {
            g.bench_function(id, |b| b.iter(&mut f));
        }
        Err(e) => {
            // The first line is enough (rsip's errors quote the whole message).
            let e: String = e
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(120)
                .collect();
            rejected.push(format!("{group}/{id}: rejected ({e})"));
        }
    }
}

fn groups<M: Measurement>(c: &mut Criterion<M>, rejected: &mut Vec<String>) {
    let limits = Limits::default();

    let mut g = c.benchmark_group("full_parse");
    g.throughput(Throughput::Elements(1));
    for (name, raw) in INPUTS {
        let src = bytes::Bytes::from_static(raw);
        bench_or_reject(
            &mut g,
            rejected,
            "full_parse",
            &format!("sipwall/{name}"),
            || sipwall_full(black_box(raw), &limits),
        );
        bench_or_reject(
            &mut g,
            rejected,
            "full_parse",
            &format!("rsip/{name}"),
            || rsip_full(black_box(raw)),
        );
        bench_or_reject(
            &mut g,
            rejected,
            "full_parse",
            &format!("ezk/{name}"),
            || ezk_full(black_box(&src)),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("parse_only");
    g.throughput(Throughput::Elements(1));
    for (name, raw) in INPUTS {
        let src = bytes::Bytes::from_static(raw);
        bench_or_reject(
            &mut g,
            rejected,
            "parse_only",
            &format!("sipwall/{name}"),
            || sipwall_parse_only(black_box(raw), &limits),
        );
        bench_or_reject(
            &mut g,
            rejected,
            "parse_only",
            &format!("rsip/{name}"),
            || rsip_parse_only(black_box(raw)),
        );
        bench_or_reject(
            &mut g,
            rejected,
            "parse_only",
            &format!("ezk/{name}"),
            || ezk_parse_only(black_box(&src)),
        );
    }
    g.finish();

    // Where sipwall's full parse spends its time: the header decoding alone (on a message
    // parsed beforehand) and the SDP alone.
    let mut g = c.benchmark_group("breakdown");
    g.throughput(Throughput::Elements(1));
    for (name, raw) in INPUTS {
        let Ok(m) = Message::parse(raw, Transport::Datagram, &limits) else {
            continue;
        };
        bench_or_reject(
            &mut g,
            rejected,
            "breakdown",
            &format!("headers/{name}"),
            || {
                let m = black_box(&m);
                let vias = m.vias().map_err(|e| format!("{e:?}"))?;
                let cseq = m.cseq().map_err(|e| format!("{e:?}"))?;
                let from = m.from().map_err(|e| format!("{e:?}"))?;
                let to = m.to().map_err(|e| format!("{e:?}"))?;
                let contact = m.contacts().map_err(|e| format!("{e:?}"))?;
                black_box((&vias, &cseq, &from, &to, m.call_id(), &contact));
                Ok(())
            },
        );
        if let Some(sdp) = m.sdp_bytes() {
            bench_or_reject(
                &mut g,
                rejected,
                "breakdown",
                &format!("sdp/{name}"),
                || {
                    black_box(
                        &sipwall_wire::sdp::parse(black_box(sdp)).map_err(|e| format!("{e:?}"))?,
                    );
                    Ok(())
                },
            );
            bench_or_reject(
                &mut g,
                rejected,
                "breakdown",
                &format!("sdp_types/{name}"),
                || {
                    black_box(
                        &sdp_types::Session::parse(black_box(sdp)).map_err(|e| format!("{e:?}"))?,
                    );
                    Ok(())
                },
            );
        }
    }
    g.finish();

    // Stream framing: a buffer holding the message followed by the start of the next one.
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(1));
    for (name, raw) in INPUTS {
        if name == "wsinv" {
            continue; // no Content-Length rules differ; keep the frame group to real traffic
        }
        let mut buf = raw.to_vec();
        buf.extend_from_slice(b"OPTIONS sip:x SIP/2.0\r\n");
        let want = raw.len();
        bench_or_reject(
            &mut g,
            rejected,
            "frame",
            &format!("sipwall/{name}"),
            || match frame(black_box(&buf), Transport::Stream, &limits) {
                Framing::Complete { len } if len == want => Ok(()),
                other => Err(format!("{other:?}")),
            },
        );
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Report

/// Where criterion writes its results: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else `<target>/criterion` next to this executable (`<target>/release/deps/parse-*`).
fn criterion_dir() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(h));
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(t).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Mean time per iteration in ns, from `<dir>/<group>/<lib>_<input>/new/estimates.json`.
/// (criterion turns the `/` in a benchmark id into `_` in directory names.)
fn mean_ns(dir: &std::path::Path, group: &str, lib: &str, input: &str) -> Option<f64> {
    let path = dir
        .join(group)
        .join(format!("{lib}_{input}"))
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    // {"mean":{"confidence_interval":{...},"point_estimate":123.4,...},...}
    let mean = text.find("\"mean\"")?;
    let rest = &text[mean..];
    let pe = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let rest = &rest[pe..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn report(rejected: &[String]) {
    let Some(dir) = criterion_dir() else {
        println!("(no criterion directory found: no summary)");
        return;
    };
    println!();
    println!("==================== sipwall-wire parse summary ====================");
    println!("criterion results: {}", dir.display());
    for group in ["full_parse", "parse_only", "frame"] {
        println!();
        println!("[{group}]");
        println!(
            "{:<10} {:>14} {:>12} {:>14} {:>12} {:>14} {:>12}",
            "input", "sipwall ns", "sipwall M/s", "rsip ns", "vs rsip", "ezk ns", "vs ezk"
        );
        for (input, raw) in INPUTS {
            let t: Vec<Option<f64>> = LIBS
                .iter()
                .map(|l| mean_ns(&dir, group, l, input))
                .collect();
            let Some(sw) = t[0] else {
                continue;
            };
            let cell = |x: Option<f64>| match x {
                Some(ns) => (format!("{ns:.0}"), format!("{:.1}x", ns / sw)),
                None if group == "frame" => ("n/a".into(), "n/a".into()),
                None => ("rejected".into(), "-".into()),
            };
            let (rn, rr) = cell(t[1]);
            let (en, er) = cell(t[2]);
            println!(
                "{:<10} {:>14.0} {:>12.2} {:>14} {:>12} {:>14} {:>12}   ({} bytes)",
                input,
                sw,
                1e3 / sw,
                rn,
                rr,
                en,
                er,
                raw.len()
            );
        }
    }
    println!();
    println!("[breakdown: sipwall full parse = parse_only + headers + sdp]");
    println!(
        "{:<10} {:>12} {:>12} {:>12} {:>14} {:>12}",
        "input", "parse_only", "headers", "sdp", "(of which", "sdp-types)"
    );
    for (input, _) in INPUTS {
        let f = |x: Option<f64>| x.map_or("-".to_string(), |ns| format!("{ns:.0}"));
        println!(
            "{:<10} {:>12} {:>12} {:>12} {:>14} {:>12}",
            input,
            f(mean_ns(&dir, "parse_only", "sipwall", input)),
            f(mean_ns(&dir, "breakdown", "headers", input)),
            f(mean_ns(&dir, "breakdown", "sdp", input)),
            "",
            f(mean_ns(&dir, "breakdown", "sdp_types", input)),
        );
    }
    println!();
    if let Some(sw) = mean_ns(&dir, "full_parse", "sipwall", "invite") {
        let rate = 1e3 / sw;
        println!(
            "target: >= 1.5 M INVITE full parses/s on one core: {:.2} M/s -> {}",
            rate,
            if rate >= 1.5 { "MET" } else { "MISSED" }
        );
        for (lib, i) in [("rsip", 1), ("ezk", 2)] {
            if let Some(other) = mean_ns(&dir, "full_parse", lib, "invite") {
                let x = other / sw;
                println!(
                    "sipwall vs {lib}: INVITE full parse {x:.1}x faster; sipwall {rate:.2} M/s, {lib} {:.3} M/s{}",
                    1e3 / other,
                    if i == 1 {
                        if x >= 10.0 {
                            " (target >= 10x: MET)"
                        } else {
                            " (target >= 10x: MISSED)"
                        }
                    } else {
                        ""
                    }
                );
            }
        }
    }
    for r in rejected {
        println!("{r}");
    }
    println!("=====================================================================");
}

// ---------------------------------------------------------------------------------------------
// Thread CPU time: on a shared machine, wall time counts the time other processes hold the
// core; the CPU time of the benchmark thread does not. `SIPWALL_BENCH_CLOCK=cpu` selects it.

struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported
    // on Linux. On failure `ts` stays zero, which only spoils this one sample.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "ns (cpu)"
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let (n, unit) = match *t {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => (b as f64, "B/s (cpu)"),
            Throughput::ElementsAndBytes { elements, .. } => (elements as f64, "elem/s (cpu)"),
            Throughput::Elements(e) => (e as f64, "elem/s (cpu)"),
            _ => (1.0, "/s (cpu)"),
        };
        for v in values.iter_mut() {
            *v = if *v > 0.0 { n * 1e9 / *v } else { 0.0 };
        }
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, i: u64) -> u64 {
        thread_cpu_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

fn run<M: Measurement>(c: Criterion<M>) {
    let mut c = c
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        // Fewer bootstrap resamples than the default 100 000: the analysis after each
        // benchmark is a noticeable share of the run on a small shared machine.
        .nresamples(20_000)
        .configure_from_args();
    let mut rejected = Vec::new();
    groups(&mut c, &mut rejected);
    c.final_summary();
    report(&rejected);
}

fn main() {
    if std::env::var("SIPWALL_BENCH_CLOCK").as_deref() == Ok("cpu") {
        println!("measuring thread CPU time (SIPWALL_BENCH_CLOCK=cpu)");
        run(Criterion::default().with_measurement(ThreadCpuTime));
    } else {
        run(Criterion::<WallTime>::default());
    }
}
