//! `sipwall check-config`: a valid file prints its summary and exits 0; a broken one prints
//! `FILE:LINE:COL: message` on stderr and exits 2.

use std::process::Command;

#[test]
fn check_config_summary_and_errors() {
    let bin = env!("CARGO_BIN_EXE_sipwall");
    let lab = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/config/lab.cfg");

    let out = Command::new(bin)
        .args(["check-config", lab])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("in-out: inside -> outside"), "{stdout}");
    assert!(
        stdout.contains("SIP ports: 5060/tcp, 5060/udp, 5080/udp"),
        "{stdout}"
    );
    // The worked `sip ...` example of the voice-timeouts parameter-map: non-default settings only.
    assert!(
        stdout.contains(
            "    sip: max-message-size 65535, max-forwards-zero drop, max-dialogs per-source 500, \
             rate-limit INVITE 100/s burst 200, REGISTER 50/s burst 100, OPTIONS 20/s burst 40\n"
        ),
        "{stdout}"
    );

    let out = Command::new(bin)
        .args(["check-config", "--json", lab])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.trim_start().starts_with('{') && json.contains("\"zone_pairs\""));

    let dir = std::env::temp_dir().join(format!("sipwall-check-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.cfg");
    std::fs::write(
        &bad,
        "policy-map type inspect p\n class type inspect c\n  inpsect\n",
    )
    .unwrap();
    let out = Command::new(bin)
        .arg("check-config")
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "{}:3:3: unknown command \"inpsect\" in policy-map class mode; did you mean \"inspect\"?",
        bad.display()
    );
    assert!(stderr.lines().any(|l| l == expected), "{stderr}");
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
