//! `sipwall-linux`: the live driver. The only crate that talks to the operating system.
//!
//! - [`rules`]: iptables chains that send the zone interfaces' traffic to NFQUEUE (this kernel
//!   has no nft `queue` statement), installed on start and removed on exit;
//! - [`queue`]: the NFQUEUE receive/verdict loop (the `nfq` crate);
//! - [`fastpath`]: media pinholes as nftables set elements with timeouts, so RTP/RTCP/T.38 is
//!   accepted in the kernel without queueing;
//! - [`inject`]: forged TCP resets for the SIP policy's `reset` action;
//! - [`control`]: the unix control socket behind `sipwall show …` / `sipwall clear …`;
//! - [`metrics`]: Prometheus text exposition;
//! - [`daemon`]: `sipwall run`: one engine, driven by the monotonic clock.

#![forbid(unsafe_code)]

pub mod control;
pub mod daemon;
pub mod fastpath;
pub mod inject;
pub mod metrics;
pub mod queue;
pub mod rules;
