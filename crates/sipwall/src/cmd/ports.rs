//! (being written)

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PortsArgs {}

pub fn run(_args: PortsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
