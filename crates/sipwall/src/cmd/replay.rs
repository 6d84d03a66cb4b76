//! `sipwall replay --config FILE CAPTURE`: a capture through the firewall, offline.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};
use sipwall_engine::{Engine, Event, Reason, Verdict};
use sipwall_pcap::replay::{
    replay, FrameOutcome, FrameRecord, ReplayOptions, ReplaySink, ReplaySummary,
};
use sipwall_pcap::report::proto_name;
use sipwall_pcap::CaptureWriter;

#[derive(Args)]
pub struct ReplayArgs {
    /// The firewall configuration (IOS-style; see `sipwall check-config`).
    #[arg(long)]
    config: PathBuf,
    /// The capture to replay (pcap or pcapng).
    capture: PathBuf,
    /// One JSON object per line: a verdict per frame and every event.
    #[arg(long)]
    json: bool,
    /// Write the frames the firewall accepted to this pcap file.
    #[arg(long, value_name = "OUT.pcap")]
    write_accepted: Option<PathBuf>,
    /// Write a self-contained HTML report (ladder diagram and pinhole timeline per call).
    #[arg(long, value_name = "OUT.html")]
    report: Option<PathBuf>,
    /// Adopt TCP connections whose handshake is not in the capture (Linux conntrack's loose
    /// mode) instead of dropping them as IOS does; SIP on them is inspected from the first
    /// segment that starts with a SIP message.
    #[arg(long)]
    tcp_pickup: bool,
}

/// Verdict fields shared by JSON and text output.
pub fn verdict_json(engine: &Engine, v: &Verdict) -> Value {
    let mut j = json!({
        "verdict": v.action.as_str(),
        "reason": v.reason.code(),
    });
    let pair = match v.reason {
        Reason::NoPolicy { pair } | Reason::ClassDefault { pair } => Some(pair),
        Reason::Class { pair, .. } => Some(pair),
        Reason::Session { pair } => pair,
        _ => None,
    };
    if let Some(p) = pair.and_then(|p| engine.zone_pair_name(p)) {
        j["zone_pair"] = p.into();
    }
    match v.reason {
        Reason::Class { pair, class } => {
            if let Some(c) = engine.class_name(pair, class) {
                j["class"] = c.into();
            }
        }
        Reason::ClassDefault { .. } => j["class"] = "class-default".into(),
        Reason::Pinhole { kind } => j["pinhole"] = kind.as_str().into(),
        _ => {}
    }
    j
}

struct JsonSink<W: Write> {
    out: W,
    progress: Option<indicatif::ProgressBar>,
}

impl<W: Write> ReplaySink for JsonSink<W> {
    fn frame(&mut self, engine: &Engine, rec: &FrameRecord) {
        if let Some(p) = &self.progress {
            p.inc(1);
        }
        let mut j = match &rec.outcome {
            FrameOutcome::Decided(v) => verdict_json(engine, v),
            FrameOutcome::NotIp(why) => json!({"verdict": "skip", "reason": why}),
            FrameOutcome::Held => json!({"verdict": "held", "reason": "fragment"}),
            FrameOutcome::FragmentDropped(why) => json!({"verdict": "drop", "reason": why}),
        };
        j["frame"] = rec.frame.into();
        if !rec.with_frames.is_empty() {
            j["fragments"] = rec.with_frames.clone().into();
        }
        let _ = writeln!(self.out, "{j}");
    }

    fn event(&mut self, _engine: &Engine, frame: u64, _ts: Duration, ev: &Event) {
        let mut j = serde_json::to_value(ev).unwrap_or(Value::Null);
        j["frame"] = frame.into();
        let _ = writeln!(self.out, "{j}");
    }
}

struct Quiet {
    progress: Option<indicatif::ProgressBar>,
}

impl ReplaySink for Quiet {
    fn frame(&mut self, _engine: &Engine, _rec: &FrameRecord) {
        if let Some(p) = &self.progress {
            p.inc(1);
        }
    }

    fn event(&mut self, _engine: &Engine, _frame: u64, _ts: Duration, _ev: &Event) {}
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let p = indicatif::ProgressBar::new_spinner();
    p.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} frames ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    p.enable_steady_tick(Duration::from_millis(200));
    Some(p)
}

fn print_summary(s: &ReplaySummary, config: &str, capture: &str) {
    println!(
        "replayed {} frames ({:.1} s of capture) from {capture} with {config}",
        s.frames,
        s.duration.as_secs_f64()
    );
    if let Some(e) = &s.capture_error {
        println!("capture error: {e} (frames before it were replayed)");
    }
    println!();
    println!("{:<8} {:<22} {:>8}", "verdict", "reason", "frames");
    for ((v, r), n) in &s.by_reason {
        println!("{v:<8} {r:<22} {n:>8}");
    }
    if !s.violations.is_empty() {
        println!();
        println!("violations:");
        for (k, n) in &s.violations {
            println!("  {k:<22} {n:>8}");
        }
    }
    let is_call = |c: &&sipwall_pcap::replay::CallSummary| {
        !c.pinholes.is_empty() || c.messages.iter().any(|m| m.summary == "INVITE")
    };
    let others: Vec<_> = s.calls.iter().filter(|c| !is_call(c)).collect();
    if !others.is_empty() {
        println!();
        println!("other SIP dialogs and transactions:");
        for c in others {
            let mut what: Vec<&str> = c.messages.iter().map(|m| m.summary.as_str()).collect();
            what.dedup();
            println!("  {}: {}", c.call_id, what.join(", "));
        }
    }
    for c in s.calls.iter().filter(is_call) {
        println!();
        let end = match c.end {
            Some((f, r)) => format!("ended at frame {f} ({r})"),
            None => "still up at the end of the capture".to_string(),
        };
        println!(
            "call {}: {} SIP messages, {end}",
            c.call_id,
            c.messages.len()
        );
        for p in &c.pinholes {
            let src = p.pattern.src.map_or("any".to_string(), |a| a.to_string());
            let closed = match p.closed {
                Some((f, _, r)) => format!("closed frame {f} ({r})"),
                None => "open at end".to_string(),
            };
            println!(
                "  pinhole {:<6} {} {src} -> {}:{}{}  opened frame {}, {closed}, {} packets {} bytes",
                p.kind.as_str(),
                proto_name(p.pattern.proto),
                p.pattern.dst,
                p.pattern.dport,
                if p.provisional { " (provisional)" } else { "" },
                p.opened_frame,
                p.packets,
                p.bytes
            );
        }
    }
    if !s.registrations.is_empty() {
        println!();
        println!("registrations:");
        for p in &s.registrations {
            println!(
                "  {} {} -> {}:{} opened frame {}, {} packets",
                proto_name(p.pattern.proto),
                p.pattern.src.map_or("any".to_string(), |a| a.to_string()),
                p.pattern.dst,
                p.pattern.dport,
                p.opened_frame,
                p.packets
            );
        }
    }
}

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let name = args.config.display().to_string();
    let config = match sipwall_config::parse_bytes(&text, &name) {
        Ok((c, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            c
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let config = Arc::new(config);
    let mut writer = match &args.write_accepted {
        Some(path) => {
            let lt = sipwall_pcap::replay::capture_linktype(&args.capture)?;
            Some(
                CaptureWriter::create(path, lt)
                    .with_context(|| format!("creating {}", path.display()))?,
            )
        }
        None => None,
    };
    let mut opts = ReplayOptions::default();
    opts.limits.tcp_midstream_pickup = args.tcp_pickup;
    let summary = if args.json {
        let stdout = std::io::stdout();
        let mut sink = JsonSink {
            out: std::io::BufWriter::new(stdout.lock()),
            progress: progress_bar(),
        };
        let s = replay(config, &args.capture, &opts, writer.as_mut(), &mut sink)?;
        if let Some(p) = sink.progress.take() {
            p.finish_and_clear();
        }
        sink.out.flush()?;
        s
    } else {
        let mut sink = Quiet {
            progress: progress_bar(),
        };
        let s = replay(config, &args.capture, &opts, writer.as_mut(), &mut sink)?;
        if let Some(p) = sink.progress.take() {
            p.finish_and_clear();
        }
        print_summary(&s, &name, &args.capture.display().to_string());
        s
    };
    if let Some(w) = writer {
        w.finish()?;
    }
    if let Some(path) = &args.report {
        let html =
            sipwall_pcap::report::render(&summary, &args.capture.display().to_string(), &name);
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
