//! Drive a [`FastPath`] from stdin, one command per line, in the current network namespace
//! (run it under `ip netns exec NS`); used by `tests/fastpath.rs`. Each command prints one
//! line starting with `ok` or `err`.
//!
//! ```text
//! install
//! open ID PROTO SRC|- DST DPORT IDLE_SECS     (a media pinhole, kind rtp / esp for proto 50)
//! update ID PROTO SRC|- DST DPORT
//! close ID
//! poll                                         -> ok ID:PACKETS:BYTES ...
//! count                                        -> ok N
//! send ADDR PORT N                             (N UDP datagrams of 100 bytes)
//! bench N                                      -> timings of N adds / deletes
//! remove
//! ```
//! `fastpath_probe send ADDR PORT N` (arguments instead of stdin) sends and exits.

use std::io::BufRead;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use sipwall_engine::{Event, PinholeKind, PinholePattern};
use sipwall_linux::fastpath::FastPath;

fn pattern(proto: &str, src: &str, dst: &str, dport: &str) -> Result<PinholePattern, String> {
    let src = if src == "-" {
        None
    } else {
        Some(src.parse::<IpAddr>().map_err(|e| e.to_string())?)
    };
    Ok(PinholePattern {
        proto: proto.parse().map_err(|e| format!("proto: {e}"))?,
        src,
        dst: dst.parse().map_err(|e| format!("dst: {e}"))?,
        dport: dport.parse().map_err(|e| format!("dport: {e}"))?,
    })
}

fn kind(p: &PinholePattern) -> PinholeKind {
    if p.proto == 50 {
        PinholeKind::Esp
    } else {
        PinholeKind::Rtp
    }
}

fn open_ev(id: u64, pattern: PinholePattern, idle_timeout: u64) -> Event {
    Event::PinholeOpen {
        pinhole: id,
        call_id: Some("probe".into()),
        kind: kind(&pattern),
        pattern,
        provisional: false,
        idle_timeout,
    }
}

fn close_ev(id: u64) -> Event {
    Event::PinholeClose {
        pinhole: id,
        call_id: Some("probe".into()),
        kind: PinholeKind::Rtp,
        pattern: PinholePattern {
            proto: 17,
            src: None,
            dst: IpAddr::from([0, 0, 0, 0]),
            dport: 1,
        },
        reason: "probe",
        packets: 0,
        bytes: 0,
    }
}

fn send(addr: &str, port: &str, n: &str) -> Result<String, String> {
    let ip: IpAddr = addr.parse().map_err(|e| format!("addr: {e}"))?;
    let port: u16 = port.parse().map_err(|e| format!("port: {e}"))?;
    let n: u32 = n.parse().map_err(|e| format!("n: {e}"))?;
    let bind: SocketAddr = if ip.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" }
        .parse()
        .map_err(|e| format!("{e}"))?;
    let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
    let payload = [0x80u8; 72]; // 72 + 8 UDP + 20 IPv4 = 100 bytes on the wire
    for _ in 0..n {
        sock.send_to(&payload, (ip, port))
            .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(format!("sent {n}"))
}

#[allow(clippy::disallowed_methods)] // a driver: reading the clock to time the kernel calls
fn bench(fp: &mut FastPath, n: u64) -> Result<String, String> {
    use std::time::Instant;
    let pats: Vec<PinholePattern> = (0..n)
        .map(|i| PinholePattern {
            proto: 17,
            src: Some(IpAddr::from([10, 1, (i >> 8) as u8, i as u8])),
            dst: IpAddr::from([10, 2, 0, 1]),
            dport: 20_000 + (i % 40_000) as u16,
        })
        .collect();
    let base = 1_000_000;
    let t = Instant::now();
    for (i, p) in pats.iter().enumerate() {
        fp.apply(&open_ev(base + i as u64, *p, 60))
            .map_err(|e| e.to_string())?;
    }
    let add_each = t.elapsed();
    let t = Instant::now();
    let polled = fp.poll_usage().map_err(|e| e.to_string())?;
    let poll = t.elapsed();
    let t = Instant::now();
    for i in 0..n {
        fp.apply(&close_ev(base + i)).map_err(|e| e.to_string())?;
    }
    let del_each = t.elapsed();
    let opens: Vec<Event> = pats
        .iter()
        .enumerate()
        .map(|(i, p)| open_ev(base + i as u64, *p, 60))
        .collect();
    let t = Instant::now();
    fp.apply_all(&opens).map_err(|e| e.to_string())?;
    let add_batch = t.elapsed();
    let count = fp.element_count();
    let closes: Vec<Event> = (0..n).map(|i| close_ev(base + i)).collect();
    let t = Instant::now();
    fp.apply_all(&closes).map_err(|e| e.to_string())?;
    let del_batch = t.elapsed();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    Ok(format!(
        "n={n} count_after_batch_add={count} polled={} add_each_us={:.1} del_each_us={:.1} \
         add_batched_us={:.1} del_batched_us={:.1} poll_usage_ms={:.2}",
        polled.len(),
        per(add_each),
        per(del_each),
        per(add_batch),
        per(del_batch),
        poll.as_secs_f64() * 1e3
    ))
}

fn command(fp: &mut Option<FastPath>, words: &[&str]) -> Result<String, String> {
    let need = |fp: &mut Option<FastPath>| -> Result<(), String> {
        if fp.is_none() {
            return Err("not installed".into());
        }
        Ok(())
    };
    match words {
        ["install"] => {
            *fp = Some(FastPath::install(()).map_err(|e| e.to_string())?);
            Ok("installed".into())
        }
        ["send", addr, port, n] => send(addr, port, n),
        _ => {
            need(fp)?;
            let Some(f) = fp.as_mut() else {
                return Err("not installed".into());
            };
            match words {
                ["open", id, proto, src, dst, dport, idle] => {
                    let p = pattern(proto, src, dst, dport)?;
                    let id = id.parse().map_err(|e| format!("id: {e}"))?;
                    let idle = idle.parse().map_err(|e| format!("idle: {e}"))?;
                    f.apply(&open_ev(id, p, idle)).map_err(|e| e.to_string())?;
                    Ok(format!("elements {}", f.element_count()))
                }
                ["update", id, proto, src, dst, dport] => {
                    let pattern = pattern(proto, src, dst, dport)?;
                    let ev = Event::PinholeUpdate {
                        pinhole: id.parse().map_err(|e| format!("id: {e}"))?,
                        call_id: None,
                        kind: kind(&pattern),
                        pattern,
                        provisional: false,
                    };
                    f.apply(&ev).map_err(|e| e.to_string())?;
                    Ok(format!("elements {}", f.element_count()))
                }
                ["close", id] => {
                    f.apply(&close_ev(id.parse().map_err(|e| format!("id: {e}"))?))
                        .map_err(|e| e.to_string())?;
                    Ok(format!("elements {}", f.element_count()))
                }
                ["poll"] => {
                    let u = f.poll_usage().map_err(|e| e.to_string())?;
                    let s: Vec<String> = u.iter().map(|(i, p, b)| format!("{i}:{p}:{b}")).collect();
                    Ok(s.join(" "))
                }
                ["count"] => Ok(f.element_count().to_string()),
                ["bench", n] => bench(f, n.parse().map_err(|e| format!("n: {e}"))?),
                ["remove"] => {
                    let Some(f) = fp.take() else {
                        return Err("not installed".into());
                    };
                    f.remove().map_err(|e| e.to_string())?;
                    Ok("removed".into())
                }
                _ => Err(format!("unknown command {words:?}")),
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, addr, port, n] = args.as_slice() {
        if cmd == "send" {
            match send(addr, port, n) {
                Ok(s) => println!("ok {s}"),
                Err(e) => {
                    println!("err {e}");
                    std::process::exit(1);
                }
            }
            return;
        }
    }
    let mut fp = None;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        match command(&mut fp, &words) {
            Ok(s) => println!("ok {s}"),
            Err(e) => println!("err {e}"),
        }
    }
    if let Some(f) = fp {
        let _ = f.remove();
    }
}
