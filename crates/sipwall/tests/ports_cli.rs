//! `sipwall ports config --format sipwall` and `sipwall ports check` end to end.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use sipwall_pcap::build::{build_tcp, TcpSegment};
use sipwall_pcap::{CaptureWriter, LinkType};
use sipwall_wire::packet::TcpFlags;

fn sipwall(args: &[&str]) -> (i32, String, String) {
    let out = match Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args(args)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn syn(src: &str, dst: &str) -> Vec<u8> {
    let (Ok(s), Ok(d)) = (src.parse::<SocketAddr>(), dst.parse::<SocketAddr>()) else {
        panic!("bad address")
    };
    let mut seg = TcpSegment::data(s, d, 1, 0);
    seg.flags = TcpFlags(TcpFlags::SYN);
    build_tcp(&seg, b"").unwrap_or_default()
}

#[test]
fn config_sipwall_passes_check_config() {
    let dir = std::env::temp_dir().join(format!("sipwall-ports-cli-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (code, text, err) = sipwall(&[
        "ports",
        "config",
        "--deployment",
        "mra",
        "--role",
        "expressway-c=10.0.30.2",
        "--role",
        "expressway-e=10.0.10.2",
        "--role",
        "unified-cm=10.0.40.5",
        "--size",
        "large",
        "--format",
        "sipwall",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("class-map type inspect match-any mra-c-to-e-row2-tcp"),
        "{text}"
    );
    let cfg = dir.join("mra.cfg");
    if let Err(e) = std::fs::write(&cfg, &text) {
        panic!("{e}");
    }
    let (code, out, err) = sipwall(&["check-config", &cfg.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_reports_seed_003_fault_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("sipwall-ports-check-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let cap = dir.join("e-side.pcap");
    let mut w = match CaptureWriter::create(&cap, LinkType::ETHERNET) {
        Ok(w) => w,
        Err(e) => panic!("{e}"),
    };
    for (i, f) in [syn("64.100.0.10:4401", "10.0.10.2:7001")]
        .iter()
        .enumerate()
    {
        if let Err(e) = w.write(Duration::from_secs(1 + i as u64), f) {
            panic!("{e}");
        }
    }
    if let Err(e) = w.finish() {
        panic!("{e}");
    }
    let cap_s = cap.display().to_string();
    let args = [
        "ports",
        "check",
        "--deployment",
        "mra-c-to-e",
        "--role",
        "expressway-c=10.0.30.2",
        "--role",
        "expressway-e-private=10.0.10.2",
        "--role",
        "expressway-e-public=64.100.0.10",
        "--size",
        "large",
        &cap_s,
    ];
    let (code, text, err) = sipwall(&args);
    assert_eq!(code, 1, "{text}{err}");
    assert!(
        text.contains("FAULT frame 1: TCP 64.100.0.10:4401 -> 10.0.10.2:7001"),
        "{text}"
    );
    assert!(text.contains("dual-NIC"), "{text}");
    let mut json_args = args.to_vec();
    json_args.insert(2, "--json");
    let (code, json, err) = sipwall(&json_args);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(v["nat"][0]["kind"], "source-translated", "{json}");
    let _ = std::fs::remove_dir_all(&dir);
}
