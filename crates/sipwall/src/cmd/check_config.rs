//! `sipwall check-config FILE [--json]`: load a configuration and print a summary of what it
//! does, or its errors as `FILE:LINE:COL: message` (exit 2).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sipwall_config::{
    limits::MAX_CONFIG_BYTES, Action, ClassMatch, Config, RouteTarget, SipMatch, Warning, ZoneRef,
};

#[derive(clap::Args)]
pub struct CheckConfigArgs {
    /// The configuration file (IOS-style zone-based firewall syntax).
    pub file: PathBuf,
    /// Print the validated model as JSON instead of a summary (warnings go to stderr).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CheckConfigArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {name}"))?;
    let mut bytes = Vec::new();
    // One byte over the limit is enough for the parser to report the size error.
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    let (config, warnings) = match sipwall_config::parse_bytes(&bytes, &name) {
        Ok(ok) => ok,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{name}: {} error{}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::from(2));
        }
    };
    let text = if args.json {
        for w in &warnings {
            eprintln!("{w}");
        }
        let mut json = serde_json::to_string_pretty(&config)?;
        json.push('\n');
        json
    } else {
        summary(&config, &warnings)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`| head`) is not an error of ours.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The human summary of a loaded configuration.
fn summary(config: &Config, warnings: &[Warning]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: configuration OK", config.source);
    if let Some(h) = &config.hostname {
        let _ = writeln!(out, "hostname {h}");
    }

    let _ = writeln!(out, "\nzones:");
    if config.zones.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for zone in config.zones.values() {
        let desc = zone
            .description
            .as_deref()
            .map(|d| format!(" — {d}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{desc}", zone.name);
        let members: Vec<String> = config
            .interfaces
            .values()
            .filter(|i| {
                i.zone.as_deref() == Some(zone.name.as_str())
                    || (zone.name == "default" && i.zone.is_none())
            })
            .map(interface_line)
            .collect();
        if members.is_empty() {
            let _ = writeln!(out, "    (no interfaces)");
        }
        for m in members {
            let _ = writeln!(out, "    {m}");
        }
    }
    if !config.zones.contains_key("default") {
        let unzoned: Vec<String> = config
            .interfaces
            .values()
            .filter(|i| i.zone.is_none())
            .map(interface_line)
            .collect();
        if !unzoned.is_empty() {
            let _ = writeln!(out, "  (in no zone)");
            for m in unzoned {
                let _ = writeln!(out, "    {m}");
            }
        }
    }

    let _ = writeln!(out, "\nzone-pairs:");
    if config.zone_pairs.is_empty() {
        let _ = writeln!(out, "  (none: traffic between zones is dropped)");
    }
    for zp in &config.zone_pairs {
        let _ = writeln!(
            out,
            "  {}: {} -> {}",
            zp.name,
            zone_name(&zp.source),
            zone_name(&zp.destination)
        );
        let Some(policy) = zp.policy.as_deref().and_then(|p| config.policy_maps.get(p)) else {
            let _ = writeln!(out, "    no service-policy: everything is dropped");
            continue;
        };
        let _ = writeln!(out, "    policy {}", policy.name);
        for pc in &policy.classes {
            let _ = writeln!(
                out,
                "      class {} ({}) -> {}",
                pc.class,
                class_criteria(config, &pc.class),
                action(config, &pc.action)
            );
            if let Some(sp) = pc
                .sip_policy
                .as_deref()
                .and_then(|s| config.sip_policy_maps.get(s))
            {
                let _ = writeln!(out, "        SIP policy {}", sp.name);
                for sc in &sp.classes {
                    let criteria = config
                        .sip_class_maps
                        .get(&sc.class)
                        .map(|cm| {
                            let ms: Vec<String> = cm.matches.iter().map(sip_match).collect();
                            format!("{}: {}", cm.kind.as_str(), ms.join(", "))
                        })
                        .unwrap_or_default();
                    let rate = sc.rate_limit.map(|r| format!(", {r}")).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "          class {} ({criteria}) -> {}{rate}",
                        sc.class, sc.action
                    );
                }
                let _ = writeln!(out, "          class-default -> {}", sp.class_default);
            }
        }
        let _ = writeln!(
            out,
            "      class-default -> {}",
            action(config, &policy.class_default)
        );
    }

    let _ = writeln!(out, "\nparameter-maps (seconds):");
    for pm in config.parameter_maps.values() {
        let limit = |v: Option<u32>| v.map_or("unlimited".to_string(), |n| n.to_string());
        let _ = writeln!(
            out,
            "  {}{}: tcp idle {}, udp idle {}, icmp idle {}, sip idle {}, media idle {}, tcp synwait {}, tcp finwait {}, sessions maximum {}, max-incomplete low {} high {}, per-host {}",
            pm.name,
            if pm.at.is_none() { " (built-in)" } else { "" },
            pm.tcp_idle_time,
            pm.udp_idle_time,
            pm.icmp_idle_time,
            pm.sip_idle_time,
            pm.media_idle_time,
            pm.tcp_synwait_time,
            pm.tcp_finwait_time,
            limit(pm.sessions_maximum),
            limit(pm.max_incomplete_low),
            limit(pm.max_incomplete_high),
            limit(pm.tcp_max_incomplete_host),
        );
    }

    let ports: Vec<String> = config
        .sip_ports
        .iter()
        .map(|p| format!("{}/{}", p.port, p.transport))
        .collect();
    let _ = writeln!(out, "\nSIP ports: {}", ports.join(", "));

    let _ = writeln!(out, "\nroutes:");
    if config.routes.is_empty() {
        let _ = writeln!(out, "  (connected subnets only)");
    }
    for r in &config.routes {
        let target = match &r.target {
            RouteTarget::NextHop { next_hop } => format!("via {next_hop}"),
            RouteTarget::Interface {
                interface,
                next_hop,
            } => {
                let name = config
                    .interfaces
                    .get(interface)
                    .map_or(interface.as_str(), |i| i.name.as_str());
                match next_hop {
                    Some(h) => format!("via {h} on {name}"),
                    None => format!("out {name}"),
                }
            }
        };
        // The route's own egress (not the overall lookup: a longer prefix may win for some
        // addresses).
        let egress = match &r.target {
            RouteTarget::NextHop { next_hop } => config.interface_for_address(*next_hop),
            RouteTarget::Interface { interface, .. } => config.interfaces.get(interface),
        }
        .map(|i| format!(" [egress {}]", i.name))
        .unwrap_or_else(|| " [unresolved]".to_string());
        let distance = if r.distance == 1 {
            String::new()
        } else {
            format!(" distance {}", r.distance)
        };
        let _ = writeln!(out, "  {} {target}{distance}{egress}", r.prefix);
    }

    let _ = writeln!(out, "\nwarnings: {}", warnings.len());
    for w in warnings {
        let _ = writeln!(out, "  {w}");
    }
    out
}

fn interface_line(i: &sipwall_config::Interface) -> String {
    let addrs: Vec<String> = i.addresses().map(|a| a.to_string()).collect();
    let mut s = i.name.clone();
    if !addrs.is_empty() {
        let _ = write!(s, " {}", addrs.join(" "));
    }
    if let Some(d) = &i.description {
        let _ = write!(s, " — {d}");
    }
    s
}

fn zone_name(z: &ZoneRef) -> String {
    z.to_string()
}

fn action(config: &Config, a: &Action) -> String {
    match a {
        Action::Inspect { parameter_map } => {
            let pm = config.parameter_map(parameter_map.as_deref());
            format!("inspect (parameter-map {})", pm.name)
        }
        other => other.to_string(),
    }
}

fn class_criteria(config: &Config, class: &str) -> String {
    let Some(cm) = config.class_maps.get(class) else {
        return String::new();
    };
    let ms: Vec<String> = cm
        .matches
        .iter()
        .map(|m| match m {
            ClassMatch::Protocol { protocol, .. } => protocol.to_string(),
            ClassMatch::ClassMap { name, .. } => format!("class-map {name}"),
            ClassMatch::Port {
                transport,
                low,
                high,
                ..
            } if low == high => format!("port {transport} {low}"),
            ClassMatch::Port {
                transport,
                low,
                high,
                ..
            } => format!("port {transport} range {low} {high}"),
        })
        .collect();
    format!("{}: {}", cm.kind.as_str(), ms.join(", "))
}

fn sip_match(m: &SipMatch) -> String {
    match m {
        SipMatch::RequestMethod { method, .. } => format!("request method {method}"),
        SipMatch::RequestUri { regex, .. } => format!("request uri regex {regex:?}"),
        SipMatch::Caller { regex, .. } => format!("caller regex {regex:?}"),
        SipMatch::Callee { regex, .. } => format!("callee regex {regex:?}"),
        SipMatch::RequestHeader { name, regex, .. } => {
            format!("request header {name} regex {regex:?}")
        }
        SipMatch::ResponseStatus { low, high, .. } if low == high => {
            format!("response status {low}")
        }
        SipMatch::ResponseStatus { low, high, .. } => format!("response status {low}-{high}"),
        SipMatch::MessageSizeGt { bytes, .. } => format!("message-size gt {bytes}"),
        SipMatch::ContentType { regex, .. } => format!("content-type regex {regex:?}"),
        SipMatch::SdpMediaType { media, .. } => {
            let m = serde_json::to_value(media)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("sdp media-type {m}")
        }
    }
}
