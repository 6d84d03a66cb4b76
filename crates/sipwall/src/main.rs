//! The `sipwall` command: argument parsing and output only; the logic lives in the library crates.
//!
//! Exit codes: 0 success, 1 the input was examined and found invalid (e.g. `sip parse` of a
//! malformed message), 2 usage or configuration errors.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

#[derive(Parser)]
#[command(name = "sipwall", version, about = "SIP-aware zone-based firewall")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// SIP message tools.
    Sip(cmd::sip::SipArgs),
    /// Load a configuration file and print a summary, or its errors as FILE:LINE:COL: message.
    CheckConfig(cmd::check_config::CheckConfigArgs),
    /// Replay a capture through the firewall offline: a verdict per packet, pinholes per call.
    Replay(cmd::replay::ReplayArgs),
    /// Cisco Expressway port reference: list tables, generate firewall config, check captures.
    Ports(cmd::ports::PortsArgs),
    /// Run the live firewall: NFQUEUE rules for the zone interfaces, until SIGTERM.
    Run(cmd::run::RunArgs),
    /// Ask a running `sipwall run` (control socket): zone-pairs, sessions, calls, pinholes.
    Show(cmd::show::ShowArgs),
    /// Clear sessions in a running `sipwall run` (control socket).
    Clear(cmd::clear::ClearArgs),
}

/// Output piped into `head` or `less` that closes early should end the program quietly, as
/// it does for other Unix tools, not panic on the failed write: restore SIGPIPE's default
/// action, which Rust's runtime sets to "ignore".
fn restore_sigpipe() {
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid handler
    // for SIGPIPE.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sip(args) => cmd::sip::run(args),
        Command::CheckConfig(args) => cmd::check_config::run(args),
        Command::Ports(args) => cmd::ports::run(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Show(args) => cmd::show::run(args),
        Command::Clear(args) => cmd::clear::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sipwall: {err:#}");
            ExitCode::from(2)
        }
    }
}
