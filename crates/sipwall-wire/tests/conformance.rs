//! RFC 4475 and RFC 5118 torture-test conformance.
//!
//! Every message in `tests/fixtures/rfc4475` and `tests/fixtures/rfc5118/ersip-crlf` is
//! classified as its `manifest.tsv` says: `valid` messages parse and pass `validate()`;
//! `valid-syntax` messages parse (what an element does with them next is policy); `invalid`
//! messages are rejected by `parse` with a specific error kind or flagged by `validate()`.
//! Messages are read as datagrams (RFC 4475 §3.1.1.8 dblreq depends on it).
//!
//! Deviations from the manifests, each following an RFC:
//! - RFC 5118 §4.10 `ipv6-bug-abnf-3-colons`: the manifest leaves it open ("implementations
//!   disagree"). RFC 5954 §4.1 corrected the RFC 3261 ABNF so that `[2001:db8:::192.0.2.1]` is
//!   not an IPv6reference, so sipwall rejects it (`bad_host`).
//!
//! Prints `rfc4475: N passed, N failed` and `rfc5118: N passed, N failed`; exits non-zero on
//! any failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sipwall_wire::sip::{Limits, Message, Transport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Valid,
    ValidSyntax,
    Invalid,
}

fn classify(expected: &str) -> Option<Expect> {
    let e = expected.trim();
    if e.starts_with("valid-syntax") {
        Some(Expect::ValidSyntax)
    } else if e.starts_with("valid") {
        Some(Expect::Valid)
    } else if e.starts_with("invalid") {
        Some(Expect::Invalid)
    } else {
        None
    }
}

/// What sipwall made of a message.
enum Outcome {
    Valid,
    /// Parsed; `validate()` flagged it.
    Flagged(String),
    /// `parse` rejected it.
    Rejected(String),
}

fn examine(bytes: &[u8]) -> Outcome {
    match Message::parse(bytes, Transport::Datagram, &Limits::default()) {
        Err(e) => Outcome::Rejected(format!("{} at byte {}", e.kind, e.offset)),
        Ok(m) => match m.validate() {
            Ok(()) => Outcome::Valid,
            Err(e) => Outcome::Flagged(format!("{} at byte {}", e.kind, e.offset)),
        },
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Run one suite: (file name, expected) rows against the files in `dir`.
fn run_suite(label: &str, dir: &Path, rows: &[(String, Expect)]) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    for (file, expect) in rows {
        let path = dir.join(file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                println!("FAIL {label} {file}: cannot read {}: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        let outcome = examine(&bytes);
        let (ok, what) = match (&outcome, expect) {
            (Outcome::Valid, Expect::Valid | Expect::ValidSyntax) => (true, "valid".to_string()),
            (Outcome::Flagged(e), Expect::ValidSyntax) => {
                (true, format!("parses; validate() flags {e}"))
            }
            (Outcome::Flagged(e), Expect::Invalid) => (true, format!("flagged: {e}")),
            (Outcome::Rejected(e), Expect::Invalid) => (true, format!("rejected: {e}")),
            (Outcome::Valid, Expect::Invalid) => (false, "accepted, expected invalid".into()),
            (Outcome::Flagged(e), Expect::Valid) => (false, format!("flagged {e}, expected valid")),
            (Outcome::Rejected(e), _) => (false, format!("rejected {e}, expected to parse")),
        };
        println!(
            "{} {label} {file:<34} {:<12} {what}",
            if ok { "ok  " } else { "FAIL" },
            format!("{expect:?}")
        );
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    (passed, failed)
}

fn manifest(path: &Path, file_suffix: &str, overrides: &[(&str, Expect)]) -> Vec<(String, Expect)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {}: {e}", path.display());
        String::new()
    });
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(name), Some(expected)) = (cols.first(), cols.get(3)) else {
            continue;
        };
        let name = name.trim();
        let expect = overrides
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
            .or_else(|| classify(expected));
        // Rows without an outcome (RFC 4475 test.dat) are excluded.
        if let Some(expect) = expect {
            let file = if name.ends_with(".dat") {
                name.to_string()
            } else {
                format!("{name}{file_suffix}")
            };
            rows.push((file, expect));
        }
    }
    rows
}

fn main() -> ExitCode {
    let base = fixtures();
    let rfc4475 = manifest(&base.join("rfc4475/manifest.tsv"), "", &[]);
    let rfc5118 = manifest(
        &base.join("rfc5118/manifest.tsv"),
        ".dat",
        // RFC 5954 §4.1 (see the module comment).
        &[("ipv6-bug-abnf-3-colons", Expect::Invalid)],
    );

    let (p1, f1) = run_suite("rfc4475", &base.join("rfc4475"), &rfc4475);
    let (p2, f2) = run_suite("rfc5118", &base.join("rfc5118/ersip-crlf"), &rfc5118);
    println!();
    println!("rfc4475: {p1} passed, {f1} failed");
    println!("rfc5118: {p2} passed, {f2} failed");
    let expected_4475 = 49;
    if p1 + f1 != expected_4475 || rfc5118.len() != 12 {
        println!(
            "conformance: fixture count wrong ({} RFC 4475 rows, {} RFC 5118 rows)",
            p1 + f1,
            rfc5118.len()
        );
        return ExitCode::FAILURE;
    }
    if f1 + f2 == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
