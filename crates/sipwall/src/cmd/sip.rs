//! `sipwall sip parse FILE`: decode one SIP message and say what is in it, or what is wrong.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Map, Value};
use sipwall_wire::body::{split_multipart, ContentType};
use sipwall_wire::sip::{
    Contact, HeaderName, Host, Limits, Message, NameAddr, Params, StartLine, Transport, Uri, Via,
};
use sipwall_wire::ParseError;

#[derive(Args)]
pub struct SipArgs {
    #[command(subcommand)]
    command: SipCommand,
}

#[derive(Subcommand)]
enum SipCommand {
    /// Decode a SIP message from FILE ("-" for standard input): start line, every header
    /// decoded, body parts and the SDP model. Exits 1 if the message is invalid.
    Parse(ParseArgs),
}

#[derive(Args)]
struct ParseArgs {
    /// The message file ("-" reads standard input).
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Transport the message arrived on: udp (one datagram) or tcp (a stream: Content-Length
    /// is required, bytes after the message are reported).
    #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
    transport: TransportArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransportArg {
    Udp,
    Tcp,
}

pub fn run(args: SipArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SipCommand::Parse(a) => parse(a),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn host_json(h: &Host<'_>) -> Value {
    match h {
        Host::Ipv4(a) => json!({"ipv4": a.to_string()}),
        Host::Ipv6(a) => json!({"ipv6": a.to_string()}),
        Host::Name(n) => json!({"name": text(n)}),
    }
}

fn params_json(p: &Params<'_>) -> Value {
    let mut m = Map::new();
    for param in p.iter() {
        m.insert(
            text(param.name),
            param.value.map_or(Value::Null, |v| Value::String(text(v))),
        );
    }
    Value::Object(m)
}

fn uri_json(u: &Uri<'_>) -> Value {
    json!({
        "raw": text(u.raw),
        "scheme": text(u.scheme_raw()),
        "user": u.user().map(text),
        "password": u.password().map(text),
        "host": u.host().as_ref().map(host_json),
        "port": u.port,
        "params": params_json(&u.params()),
        "headers": u.headers().map(text),
    })
}

fn name_addr_json(n: &NameAddr<'_>) -> Value {
    json!({
        "display_name": n.display_name().map(text),
        "uri": uri_json(&n.uri),
        "params": params_json(&n.params()),
    })
}

fn via_json(v: &Via<'_>) -> Value {
    json!({
        "protocol": format!("{}/{}", text(v.protocol_name()), text(v.protocol_version())),
        "transport": text(v.transport()),
        "host": host_json(&v.host()),
        "port": v.port,
        "branch": v.branch().map(text),
        "received": v.received().map(|a| a.to_string()),
        "rport": v.rport().map(|p| p.map_or(Value::Bool(true), Value::from)),
        "maddr": v.maddr().as_ref().map(host_json),
        "params": params_json(&v.params()),
    })
}

fn err_json(m: &Message<'_>, e: ParseError) -> Value {
    let _ = m;
    json!({"error": e.kind.as_str(), "offset": e.offset})
}

/// The decoded form of one header, if sipwall decodes that header.
fn decoded(m: &Message<'_>, name: HeaderName, value: &[u8]) -> Option<Value> {
    let r =
        |res: Result<Value, ParseError>| res.unwrap_or_else(|e| err_json(m, m_locate(m, value, e)));
    let limits = Limits::default();
    Some(match name {
        HeaderName::Via => r(sipwall_wire::sip::via::parse_via_list(value, limits.max_list_values)
            .map(|v| Value::Array(v.iter().map(via_json).collect()))),
        HeaderName::From | HeaderName::To => {
            r(NameAddr::parse(value).map(|n| {
                let mut j = name_addr_json(&n);
                j["tag"] = n.tag().map(text).into();
                j
            }))
        }
        HeaderName::Contact => r(Contact::parse(value, limits.max_list_values).map(|c| match c {
            Contact::Star => json!("*"),
            Contact::Addrs(a) => Value::Array(
                a.iter()
                    .map(|n| {
                        let mut j = name_addr_json(n);
                        j["expires"] = n.expires().into();
                        j
                    })
                    .collect(),
            ),
        })),
        HeaderName::Route | HeaderName::RecordRoute => r(sipwall_wire::sip::name_addr::parse_name_addr_list(
            value,
            limits.max_list_values,
        )
        .map(|v| Value::Array(v.iter().map(name_addr_json).collect()))),
        HeaderName::CSeq => r(sipwall_wire::sip::CSeq::parse(value)
            .map(|c| json!({"seq": c.seq, "method": c.method.to_string()}))),
        HeaderName::MaxForwards => r(sipwall_wire::sip::cseq::parse_decimal_max(value, 255).map(Value::from)),
        HeaderName::Expires | HeaderName::ContentLength => {
            r(sipwall_wire::sip::cseq::parse_u32_decimal(value).map(Value::from))
        }
        HeaderName::ContentType => r(ContentType::parse(value).map(|c| {
            json!({
                "type": text(c.mtype),
                "subtype": text(c.subtype),
                "params": c.params().map(|(k, v)| (text(k), Value::String(text(v)))).collect::<Map<_, _>>(),
            })
        })),
        _ => return None,
    })
}

/// Shift an error inside `value` to a message offset.
fn m_locate(m: &Message<'_>, value: &[u8], e: ParseError) -> ParseError {
    match m.span_of(value) {
        Some(r) => e.shifted(r.start),
        None => e,
    }
}

fn body_json(m: &Message<'_>) -> Value {
    let body = m.body();
    let mut j = json!({"offset": m.body_offset(), "length": body.len()});
    if let Some(Ok(ct)) = m.content_type() {
        if let Some(boundary) = ct.boundary().filter(|_| ct.is_multipart()) {
            j["parts"] = match split_multipart(body, boundary, 64) {
                Ok(parts) => Value::Array(
                    parts
                        .iter()
                        .map(|p| {
                            json!({
                                "content_type": p.content_type.map(text),
                                "offset": m.body_offset() + p.offset,
                                "length": p.body.len(),
                            })
                        })
                        .collect(),
                ),
                Err(e) => err_json(m, e.shifted(m.body_offset())),
            };
        }
    }
    j
}

fn message_json(m: &Message<'_>, transport: TransportArg, trailing: usize) -> Value {
    let mut j = match m.start_line() {
        StartLine::Request {
            method_raw,
            uri,
            version,
            ..
        } => json!({
            "kind": "request",
            "method": text(method_raw),
            "request_uri": match m.request_uri() {
                Some(Ok(u)) => uri_json(&u),
                Some(Err(e)) => json!({"raw": text(uri), "error": e.kind.as_str(), "offset": e.offset}),
                None => Value::Null,
            },
            "version": text(version),
        }),
        StartLine::Response {
            version,
            code,
            reason,
        } => json!({
            "kind": "response",
            "version": text(version),
            "status": code,
            "reason": text(reason),
        }),
    };
    j["transport"] = match transport {
        TransportArg::Udp => "udp",
        TransportArg::Tcp => "tcp",
    }
    .into();
    j["length"] = m.as_bytes().len().into();
    if trailing > 0 {
        j["ignored_trailing_bytes"] = trailing.into();
    }
    j["headers"] = Value::Array(
        m.headers()
            .iter()
            .map(|h| {
                let mut hj = json!({
                    "name": h.name.canonical().map_or_else(|| text(h.name_raw), str::to_string),
                    "written": text(h.name_raw),
                    "offset": h.line_start,
                    "value": text(h.value),
                });
                if let Some(d) = decoded(m, h.name, h.value) {
                    hj["decoded"] = d;
                }
                hj
            })
            .collect(),
    );
    j["body"] = body_json(m);
    if let Some(sdp) = m.sdp() {
        j["sdp"] = match sdp {
            Ok(s) => serde_json::to_value(&s).unwrap_or(Value::Null),
            Err(e) => err_json(m, e),
        };
    }
    j["validate"] = match m.validate() {
        Ok(()) => json!("ok"),
        Err(e) => err_json(m, e),
    };
    j
}

/// Line and column (1-based) of a byte offset, for humans.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, col)
}

/// A one-line rendering of a decoded value for people: `key=value` pairs, nulls and empty
/// maps left out, URIs shown as written.
fn brief(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(brief).collect::<Vec<_>>().join(" | "),
        Value::Object(o) => {
            if let Some(Value::String(raw)) = o.get("raw") {
                return raw.clone();
            }
            if let Some(e) = o.get("error") {
                return format!("INVALID {} at byte {}", brief(e), brief(&o["offset"]));
            }
            if o.len() == 1 {
                if let Some((k, v)) = o.iter().next() {
                    if matches!(k.as_str(), "ipv4" | "ipv6" | "name") {
                        return brief(v);
                    }
                }
            }
            o.iter()
                .filter(|(k, v)| {
                    !v.is_null()
                        && *k != "params"
                        && !(v.is_object() && v.as_object().is_some_and(|m| m.is_empty()))
                })
                .map(|(k, v)| format!("{k}={}", brief(v)))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

fn print_human(j: &Value) {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    if j["kind"] == "request" {
        println!(
            "request  {} {} {}   ({} bytes over {})",
            s(&j["method"]),
            s(&j["request_uri"]["raw"]),
            s(&j["version"]),
            j["length"],
            s(&j["transport"])
        );
    } else {
        println!(
            "response {} {} {}   ({} bytes over {})",
            s(&j["version"]),
            j["status"],
            s(&j["reason"]),
            j["length"],
            s(&j["transport"])
        );
    }
    if let Some(n) = j.get("ignored_trailing_bytes") {
        println!("         {n} bytes after Content-Length ignored");
    }
    let headers = j["headers"].as_array().cloned().unwrap_or_default();
    println!("headers ({}):", headers.len());
    for h in &headers {
        let name = s(&h["name"]);
        let written = s(&h["written"]);
        let label = if written != name {
            format!("{name} ({written})")
        } else {
            name
        };
        println!("  {label:<24} {}", s(&h["value"]).replace("\r\n", " "));
        if let Some(d) = h.get("decoded") {
            let b = brief(d);
            if !b.is_empty() && b != s(&h["value"]) {
                println!("  {:<24} -> {b}", "");
            }
        }
    }
    println!(
        "body: {} bytes at offset {}",
        j["body"]["length"], j["body"]["offset"]
    );
    if let Some(parts) = j["body"].get("parts") {
        println!("  parts: {parts}");
    }
    if let Some(sdp) = j.get("sdp") {
        if let Some(e) = sdp.get("error") {
            println!("sdp: invalid: {} at byte {}", s(e), sdp["offset"]);
        } else {
            if let Some(c) = sdp.get("connection").filter(|c| !c.is_null()) {
                println!("sdp: session c={}", s(&c["address"]));
            } else {
                println!("sdp:");
            }
            for m in sdp["media"].as_array().cloned().unwrap_or_default() {
                println!(
                    "  m={} port {}{} {} fmt {} dir {} rtcp {}{}",
                    s(&m["kind"]),
                    m["port"],
                    if m["port_count"].as_u64().unwrap_or(1) > 1 {
                        format!("/{}", m["port_count"])
                    } else {
                        String::new()
                    },
                    s(&m["proto"]),
                    m["formats"],
                    s(&m["direction"]),
                    s(&m["rtcp_port"]),
                    if m["rtcp_mux"] == true { " (mux)" } else { "" }
                );
            }
        }
    }
    match &j["validate"] {
        Value::String(ok) => println!("validate: {ok}"),
        e => println!("validate: {} at byte {}", s(&e["error"]), e["offset"]),
    }
}

fn parse(a: ParseArgs) -> anyhow::Result<ExitCode> {
    let bytes = if a.file.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
            .context("reading standard input")?;
        v
    } else {
        std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?
    };
    let transport = match a.transport {
        TransportArg::Udp => Transport::Datagram,
        TransportArg::Tcp => Transport::Stream,
    };
    let limits = Limits::default();
    let result = match transport {
        Transport::Datagram => Message::parse(&bytes, transport, &limits),
        Transport::Stream => match sipwall_wire::sip::frame(&bytes, transport, &limits) {
            sipwall_wire::sip::Framing::Complete { len } => {
                Message::parse(&bytes[..len], transport, &limits)
            }
            sipwall_wire::sip::Framing::Incomplete { needed } => Err(ParseError::new(
                sipwall_wire::ErrorKind::TruncatedBody,
                bytes.len() + needed.unwrap_or(0),
            )),
            sipwall_wire::sip::Framing::Keepalive { len } => {
                println!("keepalive: {len} CR/LF bytes");
                return Ok(ExitCode::SUCCESS);
            }
            sipwall_wire::sip::Framing::Invalid { offset, kind } => {
                Err(ParseError::new(kind, offset))
            }
        },
    };
    match result {
        Ok(m) => {
            let trailing = bytes.len() - m.len_in_input();
            let j = message_json(&m, a.transport, trailing);
            if a.json {
                println!("{j}");
            } else {
                print_human(&j);
            }
            Ok(if j["validate"] == "ok" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(e) => {
            let (line, col) = line_col(&bytes, e.offset);
            if a.json {
                println!(
                    "{}",
                    json!({"error": e.kind.as_str(), "offset": e.offset, "line": line, "column": col})
                );
            } else {
                println!(
                    "invalid: {} at byte {} (line {line}, column {col})",
                    e.kind, e.offset
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}
