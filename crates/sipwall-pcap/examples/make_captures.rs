//! Write the project's example captures and their README.
//!
//! ```text
//! cargo run -p sipwall-pcap --example make_captures -- examples/captures
//! ```
//!
//! The scenarios live in `sipwall_pcap::scenarios`; this is only the command line.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("examples/captures"), PathBuf::from);
    match sipwall_pcap::scenarios::write_dir(&dir) {
        Ok(paths) => {
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("make_captures: {e}");
            ExitCode::FAILURE
        }
    }
}
