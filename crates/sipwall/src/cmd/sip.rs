//! (being written)

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SipArgs {}

pub fn run(_args: SipArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
