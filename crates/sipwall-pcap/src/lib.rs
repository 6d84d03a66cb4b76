//! `sipwall-pcap`: capture files in and out, and a packet builder for tests and examples.
//!
//! - [`CaptureReader`] streams frames from pcap (either byte order, micro- or nanosecond) and
//!   pcap-ng (several interfaces, each with its own link type and timestamp resolution;
//!   Enhanced, Simple and obsolete Packet Blocks) using `pcap-parser`, and Microsoft Network
//!   Monitor 1.x/2.x files (read whole into memory; see `netmon.rs`).
//! - [`CaptureWriter`] writes pcap files with `pcap-file`.
//! - [`build`] makes Ethernet frames (UDP, TCP, IPv4, IPv6, fragments) with etherparse's
//!   `PacketBuilder`, so the project can generate its own example captures.
//! - [`scenarios`] builds the example captures under `examples/captures/` (test and example
//!   tooling, deterministic).
//!
//! Frames are decoded with [`sipwall_wire::packet::decode`].

#![forbid(unsafe_code)]

pub mod build;
mod netmon;
mod reader;
pub mod replay;
pub mod report;
pub mod scenarios;
mod writer;

pub use reader::{CaptureError, CaptureErrorKind, CaptureFormat, CaptureReader, Frame, OwnedFrame};
pub use sipwall_wire::packet::LinkType;
pub use writer::{CaptureWriter, WriterOptions};
