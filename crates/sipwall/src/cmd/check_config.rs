//! `sipwall check-config FILE [--json]`: load a configuration and print a summary of what it
//! does, or its errors as `FILE:LINE:COL: message` (exit 2).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sipwall_config::{
    limits::MAX_CONFIG_BYTES, Action, ClassMatch, Config, MaxForwardsZero, RouteTarget, SipMatch,
    SipParams, Warning, ZoneRef,
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
        if let Some(sip) = sip_params(&pm.sip) {
            let _ = writeln!(out, "    sip: {sip}");
        }
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

/// The SIP settings that differ from the defaults, e.g. `strict off, max-message-size 16384,
/// rate-limit INVITE 50/s burst 100, REGISTER 20/s burst 40, blocklist 50 in 10 s for 300 s`;
/// `None` when all are default.
fn sip_params(sip: &SipParams) -> Option<String> {
    let d = SipParams::default();
    let mut parts: Vec<String> = Vec::new();
    if sip.strict_header_validation != d.strict_header_validation {
        let on = if sip.strict_header_validation {
            "on"
        } else {
            "off"
        };
        parts.push(format!("strict {on}"));
    }
    for (name, value, default) in [
        ("max-message-size", sip.max_message_size, d.max_message_size),
        ("max-header-count", sip.max_header_count, d.max_header_count),
        ("max-line-length", sip.max_line_length, d.max_line_length),
        ("max-via-depth", sip.max_via_depth, d.max_via_depth),
        ("max-route-depth", sip.max_route_depth, d.max_route_depth),
    ] {
        if value != default {
            parts.push(format!("{name} {value}"));
        }
    }
    if sip.max_forwards_zero != d.max_forwards_zero {
        let word = match sip.max_forwards_zero {
            MaxForwardsZero::Allow => "allow",
            MaxForwardsZero::Drop => "drop",
        };
        parts.push(format!("max-forwards-zero {word}"));
    }
    if sip.unknown_methods_allowed != d.unknown_methods_allowed {
        let word = if sip.unknown_methods_allowed {
            "allow"
        } else {
            "drop"
        };
        parts.push(format!("unknown-method {word}"));
    }
    for (name, value) in [
        ("max-dialogs per-source", sip.max_dialogs_per_source),
        ("max-dialogs per-zone", sip.max_dialogs_per_zone),
        (
            "max-registrations per-source",
            sip.max_registrations_per_source,
        ),
    ] {
        if let Some(n) = value {
            parts.push(format!("{name} {n}"));
        }
    }
    if sip.rate_limits != d.rate_limits {
        if sip.rate_limits.is_empty() {
            parts.push("rate-limit none".to_string());
        } else {
            let rates: Vec<String> = sip
                .rate_limits
                .iter()
                .map(|r| {
                    let method = if r.method == "*" { "any" } else { &r.method };
                    format!("{method} {}/s burst {}", r.per_second, r.burst)
                })
                .collect();
            parts.push(format!("rate-limit {}", rates.join(", ")));
        }
    }
    if sip.blocklist != d.blocklist {
        match sip.blocklist {
            Some(b) => parts.push(format!(
                "blocklist {} in {} s for {} s",
                b.violations, b.within_secs, b.duration_secs
            )),
            None => parts.push("blocklist off".to_string()),
        }
    }
    if sip.max_sources != d.max_sources {
        parts.push(format!("max-sources {}", sip.max_sources));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sip_line(lines: &str) -> Option<String> {
        let text = format!("parameter-map type inspect pm\n{lines}");
        let (config, _) = sipwall_config::parse(&text, "t.cfg").unwrap();
        sip_params(&config.parameter_map(Some("pm")).sip)
    }

    #[test]
    fn sip_settings_show_only_what_differs_from_the_defaults() {
        assert_eq!(sip_line(""), None);
        // Restating defaults shows nothing either.
        assert_eq!(
            sip_line(
                " sip strict-header-validation\n sip max-message-size 131072\n\
                 sip rate-limit invite 500 per-second\n sip rate-limit register 100 per-second\n"
            ),
            None
        );
        assert_eq!(
            sip_line(
                " no sip strict-header-validation\n sip max-message-size 16384\n\
                 sip max-header-count 64\n sip max-line-length 1024\n sip max-via-depth 8\n\
                 sip max-route-depth 9\n sip max-forwards-zero drop\n sip unknown-method drop\n\
                 sip max-dialogs per-source 5\n sip max-dialogs per-zone 6\n\
                 sip max-registrations per-source 7\n sip rate-limit invite 10 per-second\n\
                 sip rate-limit any 100 per-second burst 150\n\
                 sip blocklist after 5 violations within 60 seconds duration 900\n\
                 sip max-sources 1024\n"
            )
            .as_deref(),
            Some(
                "strict off, max-message-size 16384, max-header-count 64, max-line-length 1024, \
                 max-via-depth 8, max-route-depth 9, max-forwards-zero drop, unknown-method drop, \
                 max-dialogs per-source 5, max-dialogs per-zone 6, max-registrations per-source 7, \
                 rate-limit INVITE 10/s burst 20, any 100/s burst 150, \
                 blocklist 5 in 60 s for 900 s, max-sources 1024"
            )
        );
        assert_eq!(
            sip_line(" no sip rate-limit\n no sip blocklist\n").as_deref(),
            Some("rate-limit none, blocklist off")
        );
    }
}
