//! `sipwall clear zone-pair [NAME]`: close the inspected sessions of one zone-pair (or of
//! all) in a running `sipwall run`, like IOS `clear zone-pair … sessions`. Calls whose
//! signalling session closes end, and their pinholes close.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;
use sipwall_linux::control::{Request, DEFAULT_SOCKET};

use super::show::{ask, print_out};

#[derive(clap::Args)]
pub struct ClearArgs {
    #[command(subcommand)]
    pub what: ClearWhat,
    /// Print the daemon's JSON answer instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The control socket of `sipwall run`.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub control: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum ClearWhat {
    /// Close the sessions of zone-pair NAME, or of every zone-pair.
    ZonePair {
        /// The zone-pair (all when omitted).
        name: Option<String>,
    },
    /// SIP flood protection state.
    Sip {
        #[command(subcommand)]
        what: ClearSip,
    },
}

#[derive(clap::Subcommand)]
pub enum ClearSip {
    /// Take SOURCE (or every source) off the SIP blocklist.
    Blocked {
        /// The blocked address (all when omitted).
        source: Option<std::net::IpAddr>,
    },
}

pub fn run(args: ClearArgs) -> anyhow::Result<ExitCode> {
    let (req, render): (Request, fn(&Value) -> String) = match args.what {
        ClearWhat::ZonePair { name } => {
            (Request::ClearZonePair { zone_pair: name }, render_cleared)
        }
        ClearWhat::Sip {
            what: ClearSip::Blocked { source },
        } => (Request::ClearSipBlocked { source }, render_unblocked),
    };
    let answer = ask(&args.control, &req)?;
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&answer)?;
        s.push('\n');
        s
    } else {
        render(&answer)
    };
    print_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `Unblocked N source(s)`.
pub fn render_unblocked(v: &Value) -> String {
    let n = v["unblocked"].as_u64().unwrap_or(0);
    format!("Unblocked {n} source{}\n", if n == 1 { "" } else { "s" })
}

/// `Cleared N sessions of zone-pair NAME` (or `of all zone-pairs`).
pub fn render_cleared(v: &Value) -> String {
    let n = v["cleared"].as_u64().unwrap_or(0);
    let plural = if n == 1 { "" } else { "s" };
    match v["zone_pair"].as_str() {
        Some(name) => format!("Cleared {n} session{plural} of zone-pair {name}\n"),
        None => format!("Cleared {n} session{plural} of all zone-pairs\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cleared_text() {
        assert_eq!(
            render_cleared(&json!({"cleared": 1, "zone_pair": "in-out"})),
            "Cleared 1 session of zone-pair in-out\n"
        );
        assert_eq!(
            render_cleared(&json!({"cleared": 3, "zone_pair": null})),
            "Cleared 3 sessions of all zone-pairs\n"
        );
    }
}
