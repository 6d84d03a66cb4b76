//! `sipwall run`: the live firewall (NFQUEUE + nftables fast path) until SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sipwall_linux::control::DEFAULT_SOCKET;
use sipwall_linux::daemon::{self, DaemonError, RunOptions};

#[derive(Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long)]
    config: PathBuf,
    /// NFQUEUE number for the iptables rules.
    #[arg(long, default_value_t = 0)]
    queue: u16,
    /// Control socket for `sipwall show` / `sipwall clear`.
    #[arg(long, default_value = DEFAULT_SOCKET)]
    control: PathBuf,
    /// Serve Prometheus metrics (`--metrics` alone: 127.0.0.1:9157).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:9157")]
    metrics: Option<SocketAddr>,
    /// Let traffic pass uninspected while sipwall is not running or overloaded (queue
    /// bypass). Default: fail-closed.
    #[arg(long)]
    fail_open: bool,
    /// Queue all traffic, no nftables fast path for media.
    #[arg(long)]
    no_fastpath: bool,
    /// Write events as JSON lines to this file (`-`: standard output).
    #[arg(long, value_name = "PATH")]
    events: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let opts = RunOptions {
        config: args.config,
        queue: args.queue,
        control: Some(args.control),
        metrics: args.metrics,
        fail_open: args.fail_open,
        no_fastpath: args.no_fastpath,
        events: args.events,
    };
    match daemon::run(opts) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(DaemonError::Config(errors)) => {
            for e in errors {
                eprintln!("{e}");
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
