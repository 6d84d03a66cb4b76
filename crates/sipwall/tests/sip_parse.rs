//! `sipwall sip parse`: the decoded view of a valid message, and the error of an invalid one.

use std::process::Command;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sipwall(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipwall"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run sipwall");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn bundled_invite_decodes_with_sdp() {
    let (code, out) = sipwall(&["sip", "parse", "--json", "examples/sip/invite-sdp.sip"]);
    assert_eq!(code, 0, "{out}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(j["method"], "INVITE");
    assert_eq!(j["validate"], "ok");
    let via = &j["headers"][0];
    assert_eq!(via["name"], "Via");
    assert_eq!(via["decoded"][0]["branch"], "z9hG4bK776asdhds");
    assert_eq!(via["decoded"][0]["rport"], true);
    assert_eq!(j["sdp"]["media"][0]["port"], 49170);
    assert_eq!(j["sdp"]["media"][0]["rtcp_port"], 49171);
    // The human form names the same facts.
    let (code, text) = sipwall(&["sip", "parse", "examples/sip/invite-sdp.sip"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("request  INVITE sip:bob@biloxi.example.com SIP/2.0"),
        "{text}"
    );
    assert!(text.contains("m=audio port 49170"), "{text}");
    assert!(text.contains("validate: ok"), "{text}");
}

#[test]
fn invalid_message_reports_kind_and_offset() {
    let (code, out) = sipwall(&[
        "sip",
        "parse",
        "--json",
        "tests/fixtures/rfc4475/lwsstart.dat",
    ]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(j["error"], "bad_start_line");
    assert_eq!(j["offset"], 7);
    assert_eq!(j["line"], 1);
    // Parsed but semantically wrong: exit 1 with the validate() finding.
    let (code, out) = sipwall(&["sip", "parse", "tests/fixtures/rfc4475/mismatch01.dat"]);
    assert_eq!(code, 1);
    assert!(out.contains("validate: cseq_method_mismatch"), "{out}");
}

#[test]
fn tcp_transport_requires_content_length_and_reports_trailing_bytes() {
    let (code, out) = sipwall(&[
        "sip",
        "parse",
        "--json",
        "--transport",
        "tcp",
        "tests/fixtures/rfc4475/dblreq.dat",
    ]);
    // dblreq holds a REGISTER followed by an INVITE: on a stream the first message frames.
    assert_eq!(code, 0, "{out}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(j["method"], "REGISTER");
    assert!(j["ignored_trailing_bytes"].as_u64().unwrap_or(0) > 0);
}
