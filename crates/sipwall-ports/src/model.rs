//! Typed model of the port reference, loaded from the TOML data file and validated.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::portspec::{PortSpec, PortSpecError};

/// Upper bounds on the data (the file is ours, but the loader is also usable on other files).
pub const MAX_TABLES: usize = 256;
pub const MAX_ROWS_PER_TABLE: usize = 256;
pub const MAX_ROLES: usize = 256;
/// Longest fallback chain followed when resolving a role.
pub const MAX_ROLE_DEPTH: usize = 8;

/// Transport-level protocol of a row, as the seed names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    /// TLS over TCP.
    Tls,
    /// Mutual TLS over TCP.
    Mtls,
    /// HTTPS (TLS over TCP).
    Https,
    /// IPsec Authentication Header, IP protocol 51.
    Ah,
}

/// What a firewall matches on: the IP-level protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
    Ah,
}

impl Protocol {
    /// The IP-level protocol carrying this one.
    #[must_use]
    pub fn transport(self) -> Transport {
        match self {
            Protocol::Tcp | Protocol::Tls | Protocol::Mtls | Protocol::Https => Transport::Tcp,
            Protocol::Udp => Transport::Udp,
            Protocol::Ah => Transport::Ah,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Tls => "TLS",
            Protocol::Mtls => "MTLS",
            Protocol::Https => "HTTPS",
            Protocol::Ah => "AH(51)",
        }
    }
}

/// Expressway system size as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Medium,
    Large,
}

/// The two port variants the seed distinguishes: small/medium systems and large systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeClass {
    SmallMedium,
    Large,
}

impl From<Size> for SizeClass {
    fn from(s: Size) -> Self {
        match s {
            Size::Small | Size::Medium => SizeClass::SmallMedium,
            Size::Large => SizeClass::Large,
        }
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(Size::Small),
            "medium" => Ok(Size::Medium),
            "large" => Ok(Size::Large),
            _ => Err(format!("unknown size {s:?} (small, medium or large)")),
        }
    }
}

/// Destination ports of a flow row: one value for all sizes, or per-size variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DstPorts {
    All(PortSpec),
    BySize {
        small_medium: Option<PortSpec>,
        large: Option<PortSpec>,
    },
}

impl DstPorts {
    /// The destination ports for a size (`None`: size not given).
    #[must_use]
    pub fn for_size(&self, size: Option<SizeClass>) -> SizedPorts<'_> {
        match (self, size) {
            (DstPorts::All(p), _) => SizedPorts::Ports(p),
            (DstPorts::BySize { .. }, None) => SizedPorts::NeedSize,
            (DstPorts::BySize { small_medium, .. }, Some(SizeClass::SmallMedium)) => small_medium
                .as_ref()
                .map_or(SizedPorts::Missing, SizedPorts::Ports),
            (DstPorts::BySize { large, .. }, Some(SizeClass::Large)) => large
                .as_ref()
                .map_or(SizedPorts::Missing, SizedPorts::Ports),
        }
    }

    /// Human rendering: `3478` or `3478 (S/M) | 3478-3483 (L)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            DstPorts::All(p) => p.to_string(),
            DstPorts::BySize {
                small_medium,
                large,
            } => {
                let sm = small_medium
                    .as_ref()
                    .map_or("-".to_string(), |p| p.to_string());
                let l = large.as_ref().map_or("-".to_string(), |p| p.to_string());
                format!("{sm} (S/M) | {l} (L)")
            }
        }
    }
}

/// Result of choosing destination ports for a system size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizedPorts<'a> {
    Ports(&'a PortSpec),
    /// The row has per-size variants and no size was given.
    NeedSize,
    /// The seed gives no value for the requested size.
    Missing,
}

/// One connection of a port table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// 1-based position in its table.
    pub index: usize,
    pub purpose: String,
    pub src: String,
    pub src_ports: PortSpec,
    pub protocol: Vec<Protocol>,
    pub dst: String,
    pub dst_ports: DstPorts,
    pub configurable: bool,
    pub bracketed: bool,
    pub footnotes: Vec<String>,
    pub notes: Option<String>,
    pub correction: Option<String>,
}

/// How a default range is used by its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeUse {
    Source,
    Listen,
    Both,
}

/// One default port range (chapter 3).
#[derive(Debug, Clone, Serialize)]
pub struct RangeRow {
    pub index: usize,
    pub protocol: Vec<Protocol>,
    pub purpose: String,
    pub owner: String,
    pub ports: PortSpec,
    #[serde(rename = "use")]
    pub usage: RangeUse,
    pub size: Option<SizeClass>,
    pub configurable: bool,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Flows,
    Ranges,
}

/// One table of the seed.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub deployment: String,
    pub group: String,
    pub chapter: u8,
    /// Table number in the seed; `None` when derived from prose.
    pub number: Option<u16>,
    pub title: String,
    pub kind: TableKind,
    pub expected_rows: usize,
    pub notes: Option<String>,
    pub rows: Vec<Row>,
    pub ranges: Vec<RangeRow>,
}

impl Table {
    /// Number of rows of whichever kind the table holds.
    #[must_use]
    pub fn row_count(&self) -> usize {
        self.rows.len() + self.ranges.len()
    }

    /// `table 11`, or `prose` for rows derived from text.
    #[must_use]
    pub fn label(&self) -> String {
        self.number
            .map_or_else(|| "prose".to_string(), |n| format!("table {n}"))
    }

    /// Does any row have size-dependent destination ports?
    #[must_use]
    pub fn has_size_variants(&self) -> bool {
        self.rows
            .iter()
            .any(|r| matches!(r.dst_ports, DstPorts::BySize { .. }))
            || self.ranges.iter().any(|r| r.size.is_some())
    }
}

/// A role a row can name.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub description: String,
    pub any: bool,
    pub default_any: bool,
    pub fallback: Option<String>,
    pub expands: Vec<String>,
}

/// Firewall advice that is not a port row.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub id: String,
    /// Chapter of seed 004; `None` when the advice comes from elsewhere (see `source`).
    pub chapter: Option<u8>,
    /// Where the advice comes from when not seed 004 (e.g. `seed-003`).
    pub source: Option<String>,
    pub text: String,
    pub applies_to: Vec<String>,
    pub min_idle_timeout_secs: Option<u64>,
}

/// The whole reference.
#[derive(Debug, Clone, Serialize)]
pub struct PortMap {
    pub tables: Vec<Table>,
    pub roles: BTreeMap<String, Role>,
    pub advice: Vec<Advice>,
}

/// Where a problem was found and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// e.g. `sip-calls row 3 dst_ports`.
    pub location: String,
    pub kind: IssueKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    BadPortSpec(PortSpecError),
    UnknownRole(String),
    RowCount { expected: usize, found: usize },
    DuplicateDeployment,
    DeploymentIsGroupOfOther,
    MissingDstPorts,
    ConflictingDstPorts,
    RowsOfWrongKind,
    EmptyProtocol,
    RoleCycle,
    TooMany,
    UnknownDeployment(String),
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        match &self.kind {
            IssueKind::BadPortSpec(e) => write!(f, "{e}"),
            IssueKind::UnknownRole(r) => write!(f, "role {r:?} is not declared in [roles]"),
            IssueKind::RowCount { expected, found } => {
                write!(
                    f,
                    "expected_rows = {expected} but the table has {found} rows"
                )
            }
            IssueKind::DuplicateDeployment => f.write_str("deployment id used twice"),
            IssueKind::DeploymentIsGroupOfOther => {
                f.write_str("deployment id equals the group id of another table")
            }
            IssueKind::MissingDstPorts => f.write_str("no destination ports"),
            IssueKind::ConflictingDstPorts => {
                f.write_str("both dst_ports and a per-size variant are given")
            }
            IssueKind::RowsOfWrongKind => f.write_str("rows do not match the table kind"),
            IssueKind::EmptyProtocol => f.write_str("no protocol"),
            IssueKind::RoleCycle => f.write_str("role fallback/expansion is cyclic or too deep"),
            IssueKind::TooMany => f.write_str("too many entries"),
            IssueKind::UnknownDeployment(d) => write!(f, "unknown deployment {d:?}"),
        }
    }
}

/// Why the data could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    #[error("port data is not valid TOML for the schema: {0}")]
    Toml(String),
    #[error("port data is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Issue>),
}

// ---------------------------------------------------------------------------------------------
// Raw (file) form.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[allow(dead_code)] // read to reject unknown top-level keys; only version 1 exists
    schema: u32,
    #[serde(default)]
    roles: BTreeMap<String, RawRole>,
    #[serde(default)]
    advice: Vec<RawAdvice>,
    #[serde(default)]
    table: Vec<RawTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    description: String,
    #[serde(default)]
    any: bool,
    #[serde(default)]
    default_any: bool,
    fallback: Option<String>,
    #[serde(default)]
    expands: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdvice {
    id: String,
    chapter: Option<u8>,
    source: Option<String>,
    text: String,
    #[serde(default)]
    applies_to: Vec<String>,
    min_idle_timeout_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    deployment: String,
    group: String,
    chapter: u8,
    number: Option<u16>,
    title: String,
    kind: TableKind,
    expected_rows: usize,
    notes: Option<String>,
    #[serde(default)]
    row: Vec<RawRow>,
    #[serde(default)]
    range: Vec<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    purpose: String,
    src: String,
    src_ports: String,
    protocol: Vec<Protocol>,
    dst: String,
    dst_ports: Option<String>,
    dst_ports_small_medium: Option<String>,
    dst_ports_large: Option<String>,
    #[serde(default)]
    configurable: bool,
    #[serde(default)]
    bracketed: bool,
    #[serde(default)]
    footnotes: Vec<String>,
    notes: Option<String>,
    correction: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    protocol: Vec<Protocol>,
    purpose: String,
    owner: String,
    ports: String,
    #[serde(rename = "use")]
    usage: RangeUse,
    size: Option<SizeClass>,
    #[serde(default)]
    configurable: bool,
    notes: Option<String>,
}

struct Ctx {
    issues: Vec<Issue>,
}

impl Ctx {
    fn spec(&mut self, text: &str, location: impl FnOnce() -> String) -> PortSpec {
        match text.parse::<PortSpec>() {
            Ok(p) => p,
            Err(e) => {
                self.issues.push(Issue {
                    location: location(),
                    kind: IssueKind::BadPortSpec(e),
                });
                PortSpec::NotApplicable
            }
        }
    }
}

impl PortMap {
    /// Parse and validate a data file.
    pub fn from_toml(text: &str) -> Result<PortMap, LoadError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| LoadError::Toml(e.to_string()))?;
        let mut cx = Ctx { issues: Vec::new() };
        if raw.table.len() > MAX_TABLES || raw.roles.len() > MAX_ROLES {
            cx.issues.push(Issue {
                location: "file".into(),
                kind: IssueKind::TooMany,
            });
        }
        let roles = raw
            .roles
            .into_iter()
            .map(|(id, r)| {
                let role = Role {
                    id: id.clone(),
                    description: r.description,
                    any: r.any,
                    default_any: r.default_any,
                    fallback: r.fallback,
                    expands: r.expands,
                };
                (id, role)
            })
            .collect();
        let advice = raw
            .advice
            .into_iter()
            .map(|a| Advice {
                id: a.id,
                chapter: a.chapter,
                source: a.source,
                text: a.text,
                applies_to: a.applies_to,
                min_idle_timeout_secs: a.min_idle_timeout_secs,
            })
            .collect();
        let mut tables = Vec::new();
        for t in raw.table.into_iter().take(MAX_TABLES) {
            let dep = t.deployment.clone();
            if t.row.len() > MAX_ROWS_PER_TABLE || t.range.len() > MAX_ROWS_PER_TABLE {
                cx.issues.push(Issue {
                    location: dep.clone(),
                    kind: IssueKind::TooMany,
                });
            }
            let rows = t
                .row
                .into_iter()
                .take(MAX_ROWS_PER_TABLE)
                .enumerate()
                .map(|(i, r)| {
                    let index = i + 1;
                    let loc = |field: &str| format!("{dep} row {index} {field}");
                    let src_ports = cx.spec(&r.src_ports, || loc("src_ports"));
                    let mut variant = |text: &Option<String>, field: &str| {
                        text.as_ref().map(|s| cx.spec(s, || loc(field)))
                    };
                    let all = variant(&r.dst_ports, "dst_ports");
                    let sm = variant(&r.dst_ports_small_medium, "dst_ports_small_medium");
                    let l = variant(&r.dst_ports_large, "dst_ports_large");
                    let dst_ports = match (all, sm, l) {
                        (Some(p), None, None) => DstPorts::All(p),
                        (None, None, None) => {
                            cx.issues.push(Issue {
                                location: loc("dst_ports"),
                                kind: IssueKind::MissingDstPorts,
                            });
                            DstPorts::All(PortSpec::NotApplicable)
                        }
                        (None, small_medium, large) => DstPorts::BySize {
                            small_medium,
                            large,
                        },
                        (Some(p), _, _) => {
                            cx.issues.push(Issue {
                                location: loc("dst_ports"),
                                kind: IssueKind::ConflictingDstPorts,
                            });
                            DstPorts::All(p)
                        }
                    };
                    if r.protocol.is_empty() {
                        cx.issues.push(Issue {
                            location: loc("protocol"),
                            kind: IssueKind::EmptyProtocol,
                        });
                    }
                    Row {
                        index,
                        purpose: r.purpose,
                        src: r.src,
                        src_ports,
                        protocol: r.protocol,
                        dst: r.dst,
                        dst_ports,
                        configurable: r.configurable,
                        bracketed: r.bracketed,
                        footnotes: r.footnotes,
                        notes: r.notes,
                        correction: r.correction,
                    }
                })
                .collect();
            let ranges = t
                .range
                .into_iter()
                .take(MAX_ROWS_PER_TABLE)
                .enumerate()
                .map(|(i, r)| {
                    let index = i + 1;
                    if r.protocol.is_empty() {
                        cx.issues.push(Issue {
                            location: format!("{dep} range {index} protocol"),
                            kind: IssueKind::EmptyProtocol,
                        });
                    }
                    RangeRow {
                        index,
                        ports: cx.spec(&r.ports, || format!("{dep} range {index} ports")),
                        protocol: r.protocol,
                        purpose: r.purpose,
                        owner: r.owner,
                        usage: r.usage,
                        size: r.size,
                        configurable: r.configurable,
                        notes: r.notes,
                    }
                })
                .collect();
            tables.push(Table {
                deployment: t.deployment,
                group: t.group,
                chapter: t.chapter,
                number: t.number,
                title: t.title,
                kind: t.kind,
                expected_rows: t.expected_rows,
                notes: t.notes,
                rows,
                ranges,
            });
        }
        let map = PortMap {
            tables,
            roles,
            advice,
        };
        cx.issues.extend(map.validate());
        if cx.issues.is_empty() {
            Ok(map)
        } else {
            Err(LoadError::Invalid(cx.issues))
        }
    }

    /// Structural checks on a loaded map: declared roles, row counts, unique ids, ordered
    /// ranges, acyclic role fallbacks. Empty when the map is sound.
    #[must_use]
    pub fn validate(&self) -> Vec<Issue> {
        let mut issues = Vec::new();
        let mut push = |location: String, kind: IssueKind| issues.push(Issue { location, kind });
        let mut seen = BTreeSet::new();
        let groups: BTreeSet<&str> = self.tables.iter().map(|t| t.group.as_str()).collect();
        for t in &self.tables {
            let dep = &t.deployment;
            if !seen.insert(dep.as_str()) {
                push(dep.clone(), IssueKind::DuplicateDeployment);
            }
            if groups.contains(dep.as_str())
                && self
                    .tables
                    .iter()
                    .any(|o| o.group == *dep && o.deployment != *dep)
            {
                push(dep.clone(), IssueKind::DeploymentIsGroupOfOther);
            }
            let wrong_kind = match t.kind {
                TableKind::Flows => !t.ranges.is_empty(),
                TableKind::Ranges => !t.rows.is_empty(),
            };
            if wrong_kind {
                push(dep.clone(), IssueKind::RowsOfWrongKind);
            }
            if t.row_count() != t.expected_rows {
                push(
                    dep.clone(),
                    IssueKind::RowCount {
                        expected: t.expected_rows,
                        found: t.row_count(),
                    },
                );
            }
            for r in &t.rows {
                for (field, role) in [("src", &r.src), ("dst", &r.dst)] {
                    if !self.roles.contains_key(role) {
                        push(
                            format!("{dep} row {} {field}", r.index),
                            IssueKind::UnknownRole(role.clone()),
                        );
                    }
                }
                let mut specs = vec![&r.src_ports];
                match &r.dst_ports {
                    DstPorts::All(p) => specs.push(p),
                    DstPorts::BySize {
                        small_medium,
                        large,
                    } => {
                        specs.extend(small_medium.iter().chain(large.iter()));
                    }
                }
                for s in specs {
                    if s.ranges()
                        .is_some_and(|rs| rs.iter().any(|x| x.lo > x.hi || x.lo == 0))
                    {
                        push(
                            format!("{dep} row {}", r.index),
                            IssueKind::BadPortSpec(crate::portspec::PortSpecError {
                                kind: crate::portspec::PortSpecErrorKind::Reversed,
                                offset: 0,
                            }),
                        );
                    }
                }
            }
            for r in &t.ranges {
                if !self.roles.contains_key(&r.owner) {
                    push(
                        format!("{dep} range {} owner", r.index),
                        IssueKind::UnknownRole(r.owner.clone()),
                    );
                }
            }
        }
        for role in self.roles.values() {
            for other in role.fallback.iter().chain(role.expands.iter()) {
                if !self.roles.contains_key(other) {
                    push(
                        format!("role {}", role.id),
                        IssueKind::UnknownRole(other.clone()),
                    );
                }
            }
            if !self.role_is_acyclic(&role.id, 0) {
                push(format!("role {}", role.id), IssueKind::RoleCycle);
            }
        }
        for a in &self.advice {
            for d in &a.applies_to {
                if !self.tables.iter().any(|t| t.deployment == *d) {
                    push(
                        format!("advice {}", a.id),
                        IssueKind::UnknownDeployment(d.clone()),
                    );
                }
            }
        }
        issues
    }

    fn role_is_acyclic(&self, id: &str, depth: usize) -> bool {
        if depth > MAX_ROLE_DEPTH {
            return false;
        }
        match self.roles.get(id) {
            None => true,
            Some(r) => r
                .fallback
                .iter()
                .chain(r.expands.iter())
                .all(|o| self.role_is_acyclic(o, depth + 1)),
        }
    }

    /// Tables whose deployment or group id equals `id`, in file order; empty if none.
    #[must_use]
    pub fn select(&self, id: &str) -> Vec<&Table> {
        self.tables
            .iter()
            .filter(|t| t.deployment == id || t.group == id)
            .collect()
    }

    /// Every deployment id, in file order.
    #[must_use]
    pub fn deployment_ids(&self) -> Vec<&str> {
        self.tables.iter().map(|t| t.deployment.as_str()).collect()
    }

    /// Every group id, sorted, deduplicated.
    #[must_use]
    pub fn group_ids(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.tables.iter().map(|t| t.group.as_str()).collect();
        set.into_iter().collect()
    }
}
