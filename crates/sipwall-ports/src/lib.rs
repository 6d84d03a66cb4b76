//! The Cisco Expressway IP port reference (X14.3 / X15.0) as data.
//!
//! The data lives in `data/expressway-ports.toml` at the repository root (schema documented at
//! its top) and is embedded at compile time. This crate parses and validates it
//! ([`PortMap`]), filters it by deployment and system size, turns a deployment plus concrete
//! addresses into allowed flows ([`flows`]) and renders flows as an nftables ruleset
//! ([`to_nft`]) or a sipwall zone-firewall configuration ([`to_sipwall`]), and checks a
//! capture's flows against the map ([`check`]). No I/O.

pub mod check;
pub mod flow;
pub mod model;
pub mod portspec;
pub mod zbf;

use std::sync::OnceLock;

pub use check::{check, CheckReport, Missing, NatFinding, NotAllowed, ObservedFlow, Observer};
pub use flow::{
    flows, parse_role_assignment, to_nft, Addr, Flow, FlowError, FlowSet, RoleAddrs, SkipReason,
    Skipped,
};
pub use model::{
    Advice, DstPorts, Issue, IssueKind, LoadError, PortMap, Protocol, RangeRow, RangeUse, Role,
    Row, Size, SizeClass, SizedPorts, Table, TableKind, Transport,
};
pub use portspec::{Parity, PortRange, PortSpec, PortSpecError, PortSpecErrorKind};
pub use zbf::to_sipwall;

/// The data file, embedded.
pub const DATA: &str = include_str!("../../../data/expressway-ports.toml");

/// The embedded reference, parsed and validated once.
pub fn embedded() -> Result<&'static PortMap, LoadError> {
    static MAP: OnceLock<Result<PortMap, LoadError>> = OnceLock::new();
    MAP.get_or_init(|| PortMap::from_toml(DATA))
        .as_ref()
        .map_err(Clone::clone)
}
