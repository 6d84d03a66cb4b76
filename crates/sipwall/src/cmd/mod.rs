//! One module per subcommand: each defines its clap `Args` and `run(args) -> Result<ExitCode>`.

pub mod check_config;
pub mod clear;
pub mod ports;
pub mod replay;
pub mod run;
pub mod show;
pub mod sip;
