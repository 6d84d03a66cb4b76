//! `sipwall ports`: the Cisco Expressway IP port reference (crate `sipwall-ports`).
//!
//! - `sipwall ports list [--deployment D] [--size small|medium|large] [--json]`
//! - `sipwall ports config --deployment D --role ROLE=ADDRESS... [--size S] [--format nft|sipwall]`
//! - `sipwall ports check --deployment D --role ROLE=ADDRESS... [--size S] [--json] CAPTURE`

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use sipwall_pcap::CaptureReader;
use sipwall_ports::{
    check, embedded, flows, parse_role_assignment, to_nft, to_sipwall, CheckReport, NatFinding,
    Observer, PortMap, RoleAddrs, Row, Size, SizeClass, SizedPorts, Table,
};

#[derive(clap::Args)]
pub struct PortsArgs {
    #[command(subcommand)]
    command: PortsCommand,
}

#[derive(clap::Subcommand)]
enum PortsCommand {
    /// Print the port tables (all, or one deployment / group).
    List(ListArgs),
    /// Generate firewall configuration allowing a deployment's flows between given addresses.
    Config(ConfigArgs),
    /// Check a capture's flows against the map: flows not allowed, required flows missing,
    /// and the seed 003 NAT reflection fault. Exit status 1 when something is found.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Deployment id or group id.
    #[arg(long)]
    deployment: String,
    /// ROLE=ADDRESS (repeatable).
    #[arg(long = "role", value_name = "ROLE=ADDRESS")]
    roles: Vec<String>,
    /// Expressway system size.
    #[arg(long, value_parser = clap::value_parser!(SizeArg))]
    size: Option<SizeArg>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// The capture (pcap or pcapng).
    capture: std::path::PathBuf,
}

#[derive(clap::Args)]
struct ListArgs {
    /// Deployment id (e.g. mra-c-to-e) or group id (e.g. mra); default: every table.
    #[arg(long)]
    deployment: Option<String>,
    /// Expressway system size; picks the size-specific ports.
    #[arg(long, value_parser = clap::value_parser!(SizeArg))]
    size: Option<SizeArg>,
    /// Print one JSON array (one object per row) instead of text tables.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SizeArg {
    Small,
    Medium,
    Large,
}

impl From<SizeArg> for SizeClass {
    fn from(s: SizeArg) -> Self {
        let size = match s {
            SizeArg::Small => Size::Small,
            SizeArg::Medium => Size::Medium,
            SizeArg::Large => Size::Large,
        };
        size.into()
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// nftables ruleset (`nft -f`).
    Nft,
    /// sipwall zone-firewall configuration (`sipwall check-config`, `sipwall replay`).
    Sipwall,
}

#[derive(clap::Args)]
struct ConfigArgs {
    /// Deployment id or group id.
    #[arg(long)]
    deployment: String,
    /// ROLE=ADDRESS (repeatable; repeat a role for several addresses, e.g. cluster peers).
    #[arg(long = "role", value_name = "ROLE=ADDRESS")]
    roles: Vec<String>,
    /// Expressway system size (needed when the deployment has size-specific ports).
    #[arg(long, value_parser = clap::value_parser!(SizeArg))]
    size: Option<SizeArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "nft")]
    format: Format,
}

pub fn run(args: PortsArgs) -> anyhow::Result<ExitCode> {
    let map = embedded().context("loading the embedded port reference")?;
    match args.command {
        PortsCommand::List(a) => list(map, &a),
        PortsCommand::Config(a) => config(map, &a),
        PortsCommand::Check(a) => check_capture(map, &a),
    }
}

fn select<'m>(map: &'m PortMap, deployment: Option<&str>) -> anyhow::Result<Vec<&'m Table>> {
    let Some(d) = deployment else {
        return Ok(map.tables.iter().collect());
    };
    let tables = map.select(d);
    if tables.is_empty() {
        bail!(
            "unknown deployment {d:?}; deployments: {}; groups: {}",
            map.deployment_ids().join(", "),
            map.group_ids().join(", ")
        );
    }
    Ok(tables)
}

fn protocols(r: &[sipwall_ports::Protocol]) -> String {
    r.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("/")
}

fn dst_text(row: &Row, size: Option<SizeClass>) -> String {
    match row.dst_ports.for_size(size) {
        SizedPorts::Ports(p) => p.to_string(),
        SizedPorts::NeedSize => row.dst_ports.describe(),
        SizedPorts::Missing => "(none for this size)".to_string(),
    }
}

fn table_heading(t: &Table) -> String {
    format!(
        "Chapter {}, {}: {} [{}]",
        t.chapter,
        t.label(),
        t.title,
        t.deployment
    )
}

/// Render rows as aligned columns.
fn render_columns(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut l = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(
        out,
        &header.iter().map(|h| (*h).to_string()).collect::<Vec<_>>(),
    );
    line(
        out,
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    );
    for r in rows {
        line(out, r);
    }
}

fn list_text(tables: &[&Table], size: Option<SizeClass>) -> String {
    let mut out = String::new();
    for t in tables {
        let _ = writeln!(out, "{}", table_heading(t));
        if let Some(n) = &t.notes {
            let _ = writeln!(out, " note: {n}");
        }
        let mut notes = Vec::new();
        let mut rows = Vec::new();
        for r in &t.ranges {
            if size.is_some() && r.size.is_some() && r.size != size {
                continue;
            }
            let size_text = match r.size {
                None => "all",
                Some(SizeClass::SmallMedium) => "S/M",
                Some(SizeClass::Large) => "L",
            };
            rows.push(vec![
                r.index.to_string(),
                protocols(&r.protocol),
                r.purpose.clone(),
                r.owner.clone(),
                r.ports.to_string(),
                format!("{:?}", r.usage).to_lowercase(),
                size_text.to_string(),
                if r.configurable { "yes" } else { "" }.to_string(),
            ]);
            if let Some(n) = &r.notes {
                notes.push(format!("[{}] {n}", r.index));
            }
        }
        if !t.ranges.is_empty() {
            render_columns(
                &mut out,
                &[
                    "#",
                    "proto",
                    "purpose",
                    "owner",
                    "ports",
                    "use",
                    "size",
                    "configurable",
                ],
                &rows,
            );
        }
        rows.clear();
        for r in &t.rows {
            let mut flags = Vec::new();
            if r.configurable {
                flags.push("cfg");
            }
            if r.bracketed {
                flags.push("[optional]");
            }
            if r.correction.is_some() {
                flags.push("corrected");
            }
            rows.push(vec![
                r.index.to_string(),
                r.purpose.clone(),
                r.src.clone(),
                r.src_ports.to_string(),
                protocols(&r.protocol),
                r.dst.clone(),
                dst_text(r, size),
                flags.join(" "),
            ]);
            for text in r.notes.iter().chain(&r.footnotes) {
                notes.push(format!("[{}] {text}", r.index));
            }
            if let Some(c) = &r.correction {
                notes.push(format!("[{}] corrected: {c}", r.index));
            }
        }
        if !t.rows.is_empty() {
            render_columns(
                &mut out,
                &[
                    "#",
                    "purpose",
                    "source",
                    "src ports",
                    "proto",
                    "destination",
                    "dst ports",
                    "flags",
                ],
                &rows,
            );
        }
        for n in notes {
            let _ = writeln!(out, " {n}");
        }
        out.push('\n');
    }
    out
}

fn list_json(tables: &[&Table], size: Option<SizeClass>) -> Value {
    let mut all = Vec::new();
    for t in tables {
        let base = json!({
            "deployment": t.deployment,
            "group": t.group,
            "chapter": t.chapter,
            "table": t.number,
            "table_title": t.title,
        });
        for r in &t.ranges {
            if size.is_some() && r.size.is_some() && r.size != size {
                continue;
            }
            let mut v = base.clone();
            if let (Some(obj), Ok(Value::Object(row))) =
                (v.as_object_mut(), serde_json::to_value(r))
            {
                obj.insert("kind".into(), json!("range"));
                obj.insert("row".into(), json!(r.index));
                obj.extend(row.into_iter().filter(|(k, _)| k != "index"));
            }
            all.push(v);
        }
        for r in &t.rows {
            let mut v = base.clone();
            if let (Some(obj), Ok(Value::Object(row))) =
                (v.as_object_mut(), serde_json::to_value(r))
            {
                obj.insert("kind".into(), json!("flow"));
                obj.insert("row".into(), json!(r.index));
                obj.extend(row.into_iter().filter(|(k, _)| k != "index"));
                if size.is_some() {
                    let dst = match r.dst_ports.for_size(size) {
                        SizedPorts::Ports(p) => json!(p.to_string()),
                        _ => Value::Null,
                    };
                    obj.insert("dst_ports".into(), dst);
                }
            }
            all.push(v);
        }
    }
    Value::Array(all)
}

fn list(map: &PortMap, a: &ListArgs) -> anyhow::Result<ExitCode> {
    let tables = select(map, a.deployment.as_deref())?;
    let size = a.size.map(SizeClass::from);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list_json(&tables, size))?
        );
    } else {
        print!("{}", list_text(&tables, size));
    }
    Ok(ExitCode::SUCCESS)
}

fn role_addrs(map: &PortMap, list: &[String]) -> anyhow::Result<RoleAddrs> {
    let mut roles = RoleAddrs::new();
    for r in list {
        parse_role_assignment(map, r, &mut roles).with_context(|| {
            format!(
                "--role {r} (roles: {})",
                map.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
    }
    Ok(roles)
}

fn config(map: &PortMap, a: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let tables = select(map, Some(&a.deployment))?;
    let roles = role_addrs(map, &a.roles)?;
    let size = a.size.map(SizeClass::from);
    let set = flows(map, &a.deployment, &roles, size)?;
    let deployments: Vec<&str> = tables.iter().map(|t| t.deployment.as_str()).collect();
    let advice: Vec<&sipwall_ports::Advice> = map
        .advice
        .iter()
        .filter(|adv| {
            adv.applies_to.is_empty()
                || adv
                    .applies_to
                    .iter()
                    .any(|d| deployments.contains(&d.as_str()))
        })
        .collect();
    let mut out = String::new();
    match a.format {
        Format::Nft => {
            for adv in &advice {
                let _ = writeln!(out, "# advice ({}): {}", adv.id, adv.text);
            }
            out.push_str(&to_nft(&set.flows));
        }
        Format::Sipwall => out.push_str(&to_sipwall(&a.deployment, &set.flows, &advice)),
    }
    print!("{out}");
    for s in &set.skipped {
        let reason = match &s.reason {
            sipwall_ports::SkipReason::MissingRole(r) => format!("no address for role {r} (use --role {r}=ADDRESS)"),
            sipwall_ports::SkipReason::NeedSize => "ports depend on system size (use --size)".to_string(),
            sipwall_ports::SkipReason::NoPortsForSize => "the reference gives no port for this size".to_string(),
            sipwall_ports::SkipReason::ConfiguredPort => "port is operator-configured (no default)".to_string(),
            sipwall_ports::SkipReason::AddressFamilyMismatch => "source and destination IP families differ".to_string(),
            sipwall_ports::SkipReason::Unrestricted => {
                "both ends are any address (traffic does not cross this firewall; a rule would open everything)".to_string()
            }
        };
        eprintln!(
            "sipwall: skipped {} row {} ({}): {reason}",
            s.deployment, s.row, s.purpose
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check_capture(map: &PortMap, a: &CheckArgs) -> anyhow::Result<ExitCode> {
    select(map, Some(&a.deployment))?;
    let roles = role_addrs(map, &a.roles)?;
    let size = a.size.map(SizeClass::from);
    let mut reader = CaptureReader::open(&a.capture)
        .with_context(|| format!("opening {}", a.capture.display()))?;
    let mut obs = Observer::new();
    while let Some(f) = reader
        .next_frame()
        .with_context(|| format!("reading {}", a.capture.display()))?
    {
        obs.frame(f.index, f.linktype, f.data);
    }
    let report = check(map, &a.deployment, &roles, size, &obs)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", check_text(&report));
    }
    Ok(if report.has_findings() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check_text(r: &CheckReport) -> String {
    let mut out = String::new();
    let flow = |f: &sipwall_ports::ObservedFlow| {
        format!(
            "frame {}: {} {} -> {}",
            f.frame,
            f.transport_str(),
            f.client,
            f.server
        )
    };
    let _ = writeln!(out, "{} flows in the capture", r.flows_seen);
    let _ = writeln!(out, "\nNot allowed by the map ({}):", r.not_allowed.len());
    for n in &r.not_allowed {
        let _ = writeln!(out, "  {}", flow(&n.flow));
        if let Some(c) = &n.closest {
            let _ = writeln!(out, "    closest: {c}");
        }
    }
    let _ = writeln!(out, "\nRequired flows never seen ({}):", r.missing.len());
    for m in &r.missing {
        let ts: Vec<&str> = m
            .transports
            .iter()
            .map(|t| match t {
                sipwall_ports::Transport::Tcp => "TCP",
                sipwall_ports::Transport::Udp => "UDP",
                sipwall_ports::Transport::Ah => "AH",
            })
            .collect();
        let _ = writeln!(
            out,
            "  {}: {}: {} -> {} {} {}",
            m.reference,
            m.purpose,
            m.src,
            m.dst,
            ts.join("/"),
            m.dst_ports
        );
    }
    let _ = writeln!(out, "\nNAT reflection (seed 003) ({}):", r.nat.len());
    for n in &r.nat {
        match n {
            NatFinding::SourceTranslated {
                flow: f,
                why,
                evidence,
            } => {
                let _ = writeln!(
                    out,
                    "  FAULT {}: traffic from Expressway-C arrives at Expressway-E with a translated source address and port: {why}",
                    flow(f)
                );
                for e in evidence {
                    let _ = writeln!(out, "    evidence: {e}");
                }
            }
            NatFinding::RefusedReturnConnection { flow: f } => {
                let _ = writeln!(
                    out,
                    "  FAULT {}: Expressway-C connects to a port Expressway-E does not listen on and is reset (it follows a Route header naming the translated address)",
                    flow(f)
                );
            }
            NatFinding::ServiceTimeout { frame, src, dst } => {
                let _ = writeln!(
                    out,
                    "  FAULT frame {frame}: SIP SERVICE answered 408 Request Timeout ({src} -> {dst}): the certificate exchange between the Expressways failed"
                );
            }
            NatFinding::ReflectionInUse { flow: f } => {
                let _ = writeln!(
                    out,
                    "  note {}: Expressway-C reaches Expressway-E at its public address (NAT reflection); the firewall must not translate the source",
                    flow(f)
                );
            }
        }
    }
    if !r.fixes.is_empty() {
        let _ = writeln!(out, "\nFixes (seed 003), either:");
        for (i, f) in r.fixes.iter().enumerate() {
            let _ = writeln!(out, "  {}. {f}", i + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> &'static PortMap {
        match embedded() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn text_listing_is_grouped_and_aligned() {
        let tables = map().select("mra-c-to-e");
        let text = list_text(&tables, Some(SizeClass::Large));
        assert!(text
            .starts_with("Chapter 7, table 17: MRA: Expressway-C to Expressway-E [mra-c-to-e]\n"));
        assert!(text.contains(" 3  SIP media "), "{text}");
        assert!(text.contains("36000-36011"), "{text}");
        assert!(!text.contains("2776-2777 (S/M)"), "{text}");
        let all = list_text(&map().select("mra-c-to-e"), None);
        assert!(all.contains("2776-2777 (S/M) | 36000-36011 (L)"), "{all}");
    }

    #[test]
    fn json_listing_is_one_array_of_rows() {
        let v = list_json(&map().tables.iter().collect::<Vec<_>>(), None);
        let Value::Array(rows) = v else {
            panic!("not an array")
        };
        assert_eq!(rows.len(), 249);
        let first = &rows[0];
        assert_eq!(first["deployment"], "default-ranges");
        assert_eq!(first["kind"], "range");
        let large = list_json(&map().select("sip-calls"), Some(SizeClass::Large));
        assert_eq!(large[8]["dst_ports"], "36000-36010/even");
        assert_eq!(large[8]["row"], 9);
    }

    #[test]
    fn unknown_deployment_lists_the_known_ones() {
        let Err(e) = select(map(), Some("nope")) else {
            panic!("should fail")
        };
        let msg = e.to_string();
        assert!(
            msg.contains("mra-c-to-e") && msg.contains("groups: "),
            "{msg}"
        );
    }
}
