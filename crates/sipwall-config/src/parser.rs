//! Mode-driven parsing of IOS-style configuration into a draft [`Config`] plus the references
//! that [`crate::validate`] resolves.
//!
//! IOS reads configuration by modes: each line is a command of the current mode; if it is not,
//! it is tried in the enclosing modes outward to global configuration, and the mode where it is
//! valid becomes current again. Indentation carries no meaning and `!` changes no mode.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
use crate::iface::{check_name, interface_key, ios_type};
use crate::lexer::{lex_line, Line, Token};
use crate::limits::{
    MAX_CLASSES_PER_POLICY, MAX_ERRORS, MAX_INTERFACES, MAX_INTERFACE_ADDRESSES,
    MAX_MATCHES_PER_CLASS_MAP, MAX_OBJECTS, MAX_REGEX_SIZE, MAX_ROUTES, MAX_SIP_PORTS,
    MAX_SIP_RATE_LIMITS, MAX_ZONES, MAX_ZONE_PAIRS,
};
use crate::model::{
    Action, Blocklist, ClassMap, ClassMatch, Config, Interface, MatchKind, MaxForwardsZero,
    MediaType, MethodRate, ParameterMap, PolicyClass, PolicyMap, RateLimit, Route, RouteTarget,
    SipAction, SipClassMap, SipMatch, SipParams, SipPolicyClass, SipPolicyMap, SipPort, Zone,
    ZonePair, ZoneRef, GLOBAL_PARAMETER_MAP, SIP_DEFAULT_PORT,
};
use crate::protocol::{Protocol, Transport};
use crate::suggest;

/// What kind of object a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    ClassMap,
    SipClassMap,
    PolicyMap,
    SipPolicyMap,
    Zone,
    ParameterMap,
    Interface,
}

/// A name used somewhere that must be defined somewhere.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub kind: RefKind,
    pub name: String,
    pub at: Location,
}

/// The parser's output: a model whose references are not yet checked.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub config: Config,
    pub warnings: Vec<Warning>,
    pub references: Vec<Reference>,
    /// Policy-map classes (policy, class index) given no action.
    pub classes_without_action: Vec<(String, usize)>,
    /// Zone-pair ends (pair index) with the location of the source and destination words.
    pub pair_locations: Vec<(Location, Location)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Global,
    ClassMap(String),
    SipClassMap(String),
    PolicyMap(String),
    PolicyClass(String, usize),
    PolicyClassDefault(String),
    SipPolicyMap(String),
    SipPolicyClass(String, usize),
    SipPolicyClassDefault(String),
    Zone(String),
    ZonePair(usize),
    Interface(String),
    ParameterMap(String),
    /// The sub-mode of a mode-entering command that failed: its sub-commands are swallowed
    /// so that one mistake gives one error.
    Broken,
}

impl Mode {
    fn describe(&self) -> &'static str {
        match self {
            Mode::Global => "global configuration",
            Mode::ClassMap(_) => "class-map",
            Mode::SipClassMap(_) => "SIP class-map",
            Mode::PolicyMap(_) => "policy-map",
            Mode::PolicyClass(..) => "policy-map class",
            Mode::PolicyClassDefault(_) => "policy-map class-default",
            Mode::SipPolicyMap(_) => "SIP policy-map",
            Mode::SipPolicyClass(..) => "SIP policy-map class",
            Mode::SipPolicyClassDefault(_) => "SIP policy-map class-default",
            Mode::Zone(_) => "security zone",
            Mode::ZonePair(_) => "zone-pair",
            Mode::Interface(_) => "interface",
            Mode::ParameterMap(_) => "parameter-map",
            Mode::Broken => "(invalid)",
        }
    }

    /// The first words valid in this mode (for suggestions).
    fn keywords(&self) -> &'static [&'static str] {
        match self {
            Mode::Global => &[
                "class-map",
                "policy-map",
                "zone",
                "zone-pair",
                "interface",
                "ip",
                "ipv6",
                "parameter-map",
                "hostname",
                "enable",
                "configure",
                "version",
                "exit",
                "end",
            ],
            Mode::ClassMap(_) | Mode::SipClassMap(_) => &["match", "description"],
            Mode::PolicyMap(_) | Mode::SipPolicyMap(_) => &["class", "description"],
            Mode::PolicyClass(..) => &["inspect", "drop", "pass", "service-policy"],
            Mode::PolicyClassDefault(_) => &["inspect", "drop", "pass"],
            Mode::SipPolicyClass(..) => &["allow", "drop", "reset", "rate-limit"],
            Mode::SipPolicyClassDefault(_) => &["allow", "drop", "reset"],
            Mode::Zone(_) => &["description"],
            Mode::ZonePair(_) => &["service-policy", "description"],
            Mode::Interface(_) => &["ip", "ipv6", "zone-member", "description", "shutdown", "no"],
            Mode::ParameterMap(_) => &[
                "tcp",
                "udp",
                "icmp",
                "sip",
                "media",
                "max-incomplete",
                "sessions",
                "alert",
                "audit-trail",
                "description",
                "no",
            ],
            Mode::Broken => &[],
        }
    }
}

/// One of each mode, for "this command belongs to mode X" hints.
const ALL_MODES: &[Mode] = &[
    Mode::ClassMap(String::new()),
    Mode::PolicyMap(String::new()),
    Mode::PolicyClass(String::new(), 0),
    Mode::SipPolicyClass(String::new(), 0),
    Mode::ZonePair(0),
    Mode::Interface(String::new()),
    Mode::ParameterMap(String::new()),
];

/// A problem found while reading one line.
struct Fail {
    at: Location,
    kind: ErrorKind,
    message: String,
}

fn fail(at: Location, kind: ErrorKind, message: impl Into<String>) -> Fail {
    Fail {
        at,
        kind,
        message: message.into(),
    }
}

type R<T> = Result<T, Fail>;

enum Outcome {
    /// Not a command of this mode: try the enclosing one.
    NotHere,
    /// Done; this mode stays current.
    Done,
    /// Done; enter this sub-mode.
    Enter(Mode),
    /// A command of this mode, wrongly written; `enters` if it would have opened a sub-mode.
    Failed(Fail, bool),
}

/// Cursor over a line's arguments.
struct Args<'l, 'a> {
    line: &'l Line<'a>,
    next: usize,
    /// The command words read so far, for messages ("after \"class-map type inspect\"").
    context: String,
}

impl<'l, 'a> Args<'l, 'a> {
    fn new(line: &'l Line<'a>) -> Self {
        let mut a = Args {
            line,
            next: 0,
            context: String::new(),
        };
        a.advance();
        a
    }

    fn advance(&mut self) -> Option<Token<'a>> {
        let t = *self.line.tokens.get(self.next)?;
        self.next += 1;
        if !self.context.is_empty() {
            self.context.push(' ');
        }
        self.context.push_str(t.text);
        Some(t)
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.line.tokens.get(self.next).copied()
    }

    /// The next word, or a "missing WHAT" error.
    fn value(&mut self, what: &str) -> R<Token<'a>> {
        let context = self.context.clone();
        self.advance().ok_or_else(|| {
            fail(
                self.line.end(),
                ErrorKind::MissingArgument,
                format!("missing {what} after \"{context}\""),
            )
        })
    }

    /// The next word, which must be one of `choices` (case-insensitive); returns its index.
    fn choice(&mut self, choices: &[&str]) -> R<(usize, Token<'a>)> {
        let context = self.context.clone();
        let Some(t) = self.peek() else {
            return Err(fail(
                self.line.end(),
                ErrorKind::MissingArgument,
                format!("missing {} after \"{context}\"", alternatives(choices)),
            ));
        };
        match choices.iter().position(|c| t.is(c)) {
            Some(i) => {
                self.advance();
                Ok((i, t))
            }
            None => Err(fail(
                t.at,
                ErrorKind::UnexpectedArgument,
                format!(
                    "expected {} after \"{context}\", found \"{}\"{}",
                    alternatives(choices),
                    t.text,
                    suggest::hint(t.text, choices.iter().copied())
                ),
            )),
        }
    }

    /// The next word must be `keyword`.
    fn keyword(&mut self, keyword: &str) -> R<Token<'a>> {
        self.choice(&[keyword]).map(|(_, t)| t)
    }

    /// Consume the next word if it is `keyword`.
    fn optional(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.is(keyword)) {
            self.advance();
            true
        } else {
            false
        }
    }

    /// A decimal number in `min..=max`.
    fn number(&mut self, what: &str, min: u32, max: u32) -> R<u32> {
        let t = self.value(what)?;
        parse_number(&t, what, min, max)
    }

    /// No more words.
    fn end(&self) -> R<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(fail(
                t.at,
                ErrorKind::UnexpectedArgument,
                format!("unexpected \"{}\" after \"{}\"", t.text, self.context),
            )),
        }
    }

    /// The rest of the line as free text (for `description`).
    fn rest(&mut self, what: &str) -> R<String> {
        let index = self.next;
        self.value(what)?;
        self.next = self.line.tokens.len();
        Ok(self.line.rest_from(index).to_string())
    }
}

/// A table already holding `len` entries may take one more only below `max`.
fn cap(len: usize, max: usize, what: &str, at: Location) -> R<()> {
    if len >= max {
        return Err(fail(
            at,
            ErrorKind::Limit,
            format!("more than {max} {what}"),
        ));
    }
    Ok(())
}

fn alternatives(choices: &[&str]) -> String {
    match choices {
        [one] => format!("\"{one}\""),
        _ => {
            let quoted: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

fn parse_number(t: &Token<'_>, what: &str, min: u32, max: u32) -> R<u32> {
    let bad = || {
        fail(
            t.at,
            ErrorKind::InvalidValue,
            format!(
                "{what} must be a number from {min} to {max}, found \"{}\"",
                t.text
            ),
        )
    };
    if t.text.is_empty() || !t.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = t.text.parse().map_err(|_| bad())?;
    if n < min || n > max {
        return Err(bad());
    }
    Ok(n)
}

/// A name of a configured object: printable, no quotes.
fn object_name<'a>(t: Token<'a>, what: &str) -> R<&'a str> {
    if t.text.is_empty() || t.text.len() > 128 || t.text.chars().any(|c| c.is_control() || c == '"')
    {
        return Err(fail(
            t.at,
            ErrorKind::InvalidValue,
            format!(
                "invalid {what} \"{}\" (1 to 128 printable characters)",
                t.text
            ),
        ));
    }
    Ok(t.text)
}

/// A dotted IPv4 mask with contiguous ones (RFC 4632 §3.1): its prefix length.
fn mask_len(t: &Token<'_>) -> R<u8> {
    let bad = |why: &str| {
        fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!("invalid mask \"{}\": {why}", t.text),
        )
    };
    let m: Ipv4Addr = t
        .text
        .parse()
        .map_err(|_| bad("expected a dotted mask such as 255.255.255.0"))?;
    let bits = u32::from(m);
    let len = bits.leading_ones();
    if bits.checked_shl(len).unwrap_or(0) != 0 {
        return Err(bad("the one bits are not contiguous"));
    }
    Ok(len as u8)
}

fn ipv4(t: &Token<'_>, what: &str) -> R<Ipv4Addr> {
    t.text.parse().map_err(|_| {
        fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!("invalid {what} \"{}\": expected A.B.C.D", t.text),
        )
    })
}

/// `A.B.C.D/LEN` (RFC 4632 §3.1).
fn ipv4_slash(t: &Token<'_>) -> R<Ipv4Net> {
    t.text.parse().map_err(|_| {
        fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!("invalid IPv4 prefix \"{}\": expected A.B.C.D/LEN", t.text),
        )
    })
}

/// `X:X::X/LEN` (RFC 4291 §2.2, §2.3).
fn ipv6_slash(t: &Token<'_>) -> R<Ipv6Net> {
    t.text.parse().map_err(|_| {
        fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!("invalid IPv6 prefix \"{}\": expected X:X::X/LEN", t.text),
        )
    })
}

/// RFC 3261 §25.1 `token` characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
                )
        })
}

/// Compile-check a regular expression written at `t`.
fn regex(t: &Token<'_>) -> R<String> {
    match regex::RegexBuilder::new(t.text)
        .size_limit(MAX_REGEX_SIZE)
        .build()
    {
        Ok(_) => Ok(t.text.to_string()),
        Err(e) => {
            let text = e.to_string();
            let why = text
                .lines()
                .find_map(|l| l.strip_prefix("error: "))
                .or_else(|| text.lines().last())
                .unwrap_or("does not compile")
                .trim()
                .to_string();
            Err(fail(
                t.at,
                ErrorKind::InvalidRegex,
                format!("invalid regular expression \"{}\": {why}", t.text),
            ))
        }
    }
}

struct Parser<'f> {
    file: &'f str,
    config: Config,
    warnings: Vec<Warning>,
    errors: Vec<ConfigError>,
    references: Vec<Reference>,
    /// (policy, class index) whose action was set explicitly.
    explicit_action: BTreeSet<(String, usize)>,
    /// (SIP policy, class index) whose allow/drop/reset was set explicitly.
    explicit_sip_action: BTreeSet<(String, usize)>,
    pair_locations: Vec<(Location, Location)>,
    /// Parameter-maps that have had a `sip rate-limit` / `no sip rate-limit` line: their first
    /// such line replaced the default limits, later ones add to or replace single methods.
    sip_rate_limits_set: BTreeSet<String>,
    objects: usize,
    addresses: usize,
}

/// Parse `text` into a draft configuration, or every error found.
pub(crate) fn parse(text: &str, file: &str) -> Result<Parsed, Vec<ConfigError>> {
    let mut config = Config {
        source: file.to_string(),
        ..Config::default()
    };
    config.parameter_maps.insert(
        GLOBAL_PARAMETER_MAP.to_string(),
        ParameterMap::with_defaults(GLOBAL_PARAMETER_MAP),
    );
    let mut p = Parser {
        file,
        config,
        warnings: Vec::new(),
        errors: Vec::new(),
        references: Vec::new(),
        explicit_action: BTreeSet::new(),
        explicit_sip_action: BTreeSet::new(),
        pair_locations: Vec::new(),
        sip_rate_limits_set: BTreeSet::new(),
        objects: 0,
        addresses: 0,
    };
    let mut stack: Vec<Mode> = vec![Mode::Global];
    for (index, raw) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = match lex_line(raw, number) {
            Ok(Some(line)) => line,
            Ok(None) => continue,
            Err(e) => {
                p.error(Fail {
                    at: e.at,
                    kind: e.kind,
                    message: e.message,
                });
                if p.errors.len() >= MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        p.line(&line, &mut stack);
        if p.errors.len() >= MAX_ERRORS {
            break;
        }
        if p.objects > MAX_OBJECTS {
            p.error(fail(
                Location::new(number, 1),
                ErrorKind::Limit,
                format!("more than {MAX_OBJECTS} configuration objects"),
            ));
            break;
        }
    }
    if !p.errors.is_empty() {
        if p.errors.len() >= MAX_ERRORS {
            let at = p.errors.last().map(|e| e.at).unwrap_or_default();
            p.error(fail(
                at,
                ErrorKind::Limit,
                format!("too many errors ({MAX_ERRORS}); stopped reading"),
            ));
        }
        return Err(p.errors);
    }
    // Default SIP ports, then port-maps; sorted, unique.
    p.config.sip_ports.push(SipPort {
        transport: Transport::Udp,
        port: SIP_DEFAULT_PORT,
    });
    p.config.sip_ports.push(SipPort {
        transport: Transport::Tcp,
        port: SIP_DEFAULT_PORT,
    });
    p.config.sip_ports.sort();
    p.config.sip_ports.dedup();
    let classes_without_action = p
        .config
        .policy_maps
        .values()
        .flat_map(|pm| (0..pm.classes.len()).map(move |i| (pm.name.clone(), i)))
        .filter(|k| !p.explicit_action.contains(k))
        .collect();
    Ok(Parsed {
        config: p.config,
        warnings: p.warnings,
        references: p.references,
        classes_without_action,
        pair_locations: p.pair_locations,
    })
}

impl Parser<'_> {
    fn error(&mut self, f: Fail) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            at: f.at,
            kind: f.kind,
            message: f.message,
        });
    }

    fn warn(&mut self, at: Location, kind: WarningKind, message: impl Into<String>) {
        self.warnings.push(Warning {
            file: self.file.to_string(),
            at,
            kind,
            message: message.into(),
        });
    }

    fn reference(&mut self, kind: RefKind, name: &str, at: Location) {
        self.references.push(Reference {
            kind,
            name: name.to_string(),
            at,
        });
    }

    /// Count one interface address against [`MAX_INTERFACE_ADDRESSES`].
    fn address(&mut self, at: Location) -> R<()> {
        cap(
            self.addresses,
            MAX_INTERFACE_ADDRESSES,
            "interface addresses",
            at,
        )?;
        self.addresses += 1;
        self.count();
        Ok(())
    }

    fn count(&mut self) {
        self.objects = self.objects.saturating_add(1);
    }

    /// One command line against the mode stack.
    fn line(&mut self, line: &Line<'_>, stack: &mut Vec<Mode>) {
        let Some(first) = line.tokens.first() else {
            return;
        };
        if first.is("exit") {
            if stack.len() > 1 {
                stack.pop();
            }
            return;
        }
        if first.is("end") {
            stack.truncate(1);
            return;
        }
        for depth in (0..stack.len()).rev() {
            let Some(mode) = stack.get(depth).cloned() else {
                continue;
            };
            match self.command(&mode, line) {
                Outcome::NotHere => continue,
                Outcome::Done => {
                    stack.truncate(depth + 1);
                }
                Outcome::Enter(sub) => {
                    stack.truncate(depth + 1);
                    stack.push(sub);
                }
                Outcome::Failed(f, enters) => {
                    self.error(f);
                    stack.truncate(depth + 1);
                    if enters {
                        stack.push(Mode::Broken);
                    }
                }
            }
            return;
        }
        if stack.contains(&Mode::Broken) {
            return;
        }
        let current = stack.last().unwrap_or(&Mode::Global);
        let candidates: Vec<&str> = stack
            .iter()
            .rev()
            .flat_map(|m| m.keywords().iter().copied())
            .collect();
        let elsewhere = ALL_MODES
            .iter()
            .filter(|_| !first.is("description"))
            .find(|m| m.keywords().iter().any(|k| first.is(k)));
        let message = match elsewhere {
            Some(m) => format!(
                "\"{}\" is not valid in {} mode (it is a {} command)",
                first.text,
                current.describe(),
                m.describe()
            ),
            None => format!(
                "unknown command \"{}\" in {} mode{}",
                first.text,
                current.describe(),
                suggest::hint(first.text, candidates)
            ),
        };
        self.error(fail(first.at, ErrorKind::UnknownCommand, message));
    }

    fn command(&mut self, mode: &Mode, line: &Line<'_>) -> Outcome {
        let result = match mode {
            Mode::Global => self.global(line),
            Mode::ClassMap(name) => self.class_map_cmd(name, line),
            Mode::SipClassMap(name) => self.sip_class_map_cmd(name, line),
            Mode::PolicyMap(name) => self.policy_map_cmd(name, line),
            Mode::PolicyClass(name, idx) => self.policy_class_cmd(name, Some(*idx), line),
            Mode::PolicyClassDefault(name) => self.policy_class_cmd(name, None, line),
            Mode::SipPolicyMap(name) => self.sip_policy_map_cmd(name, line),
            Mode::SipPolicyClass(name, idx) => self.sip_policy_class_cmd(name, Some(*idx), line),
            Mode::SipPolicyClassDefault(name) => self.sip_policy_class_cmd(name, None, line),
            Mode::Zone(name) => self.zone_cmd(name, line),
            Mode::ZonePair(idx) => self.zone_pair_cmd(*idx, line),
            Mode::Interface(key) => self.interface_cmd(key, line),
            Mode::ParameterMap(name) => self.parameter_map_cmd(name, line),
            Mode::Broken => return Outcome::NotHere,
        };
        match result {
            Ok(o) => o,
            Err((f, enters)) => Outcome::Failed(f, enters),
        }
    }

    // ---------------------------------------------------------------- global

    fn global(&mut self, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let enters = |f: Fail| (f, true);
        let plain = |f: Fail| (f, false);
        let word = first.text.to_ascii_lowercase();
        match word.as_str() {
            "class-map" => self.class_map(line).map_err(enters),
            "policy-map" => self.policy_map(line).map_err(enters),
            "zone" => self.zone(line).map_err(enters),
            "zone-pair" => self.zone_pair(line).map_err(enters),
            "interface" => self.interface(line).map_err(enters),
            "parameter-map" => self.parameter_map(line).map_err(enters),
            "ip" => self.ip_global(line).map_err(plain),
            "ipv6" => self.ipv6_global(line).map_err(plain),
            "hostname" => {
                let mut a = Args::new(line);
                let t = a.value("host name").map_err(plain)?;
                a.end().map_err(plain)?;
                self.config.hostname = Some(t.text.to_string());
                Ok(Outcome::Done)
            }
            // Session noise of a pasted configuration.
            "enable" | "version" | "building" | "current" => Ok(Outcome::Done),
            "configure" | "conf" | "config" => {
                let mut a = Args::new(line);
                if a.peek().is_some() {
                    a.choice(&["terminal", "t"]).map_err(plain)?;
                }
                a.end().map_err(plain)?;
                Ok(Outcome::Done)
            }
            _ => Ok(Outcome::NotHere),
        }
    }

    /// `class-map type inspect [sip] [match-any|match-all] NAME`
    fn class_map(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        a.keyword("type")
            .map_err(|f| unsupported_type(f, "class-map type inspect"))?;
        a.keyword("inspect")?;
        let sip = a.optional("sip");
        let kind = if a.optional("match-any") {
            MatchKind::MatchAny
        } else if a.optional("match-all") {
            MatchKind::MatchAll
        } else {
            // IOS default.
            MatchKind::MatchAll
        };
        let t = a.value("class-map name")?;
        let name = object_name(t, "class-map name")?.to_string();
        a.end()?;
        let kind_conflict = |old: MatchKind, at: Location| {
            fail(
                t.at,
                ErrorKind::Conflict,
                format!(
                    "class-map \"{name}\" was defined as {} at line {}; it cannot become {}",
                    old.as_str(),
                    at.line,
                    kind.as_str()
                ),
            )
        };
        if sip {
            if let Some(cm) = self.config.sip_class_maps.get(&name) {
                if cm.kind != kind {
                    return Err(kind_conflict(cm.kind, cm.at));
                }
            } else {
                self.count();
                self.config.sip_class_maps.insert(
                    name.clone(),
                    SipClassMap {
                        name: name.clone(),
                        kind,
                        matches: Vec::new(),
                        at: t.at,
                    },
                );
            }
            Ok(Outcome::Enter(Mode::SipClassMap(name)))
        } else {
            if let Some(cm) = self.config.class_maps.get(&name) {
                if cm.kind != kind {
                    return Err(kind_conflict(cm.kind, cm.at));
                }
            } else {
                self.count();
                self.config.class_maps.insert(
                    name.clone(),
                    ClassMap {
                        name: name.clone(),
                        kind,
                        matches: Vec::new(),
                        at: t.at,
                    },
                );
            }
            Ok(Outcome::Enter(Mode::ClassMap(name)))
        }
    }

    /// `policy-map type inspect [sip] NAME`
    fn policy_map(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        a.keyword("type")
            .map_err(|f| unsupported_type(f, "policy-map type inspect"))?;
        a.keyword("inspect")?;
        let sip = a.optional("sip");
        let t = a.value("policy-map name")?;
        let name = object_name(t, "policy-map name")?.to_string();
        a.end()?;
        if sip {
            if !self.config.sip_policy_maps.contains_key(&name) {
                self.count();
                self.config.sip_policy_maps.insert(
                    name.clone(),
                    SipPolicyMap {
                        name: name.clone(),
                        classes: Vec::new(),
                        class_default: SipAction::Allow { log: false },
                        at: t.at,
                    },
                );
            }
            Ok(Outcome::Enter(Mode::SipPolicyMap(name)))
        } else {
            if !self.config.policy_maps.contains_key(&name) {
                self.count();
                self.config.policy_maps.insert(
                    name.clone(),
                    PolicyMap {
                        name: name.clone(),
                        classes: Vec::new(),
                        class_default: Action::Drop { log: false },
                        at: t.at,
                    },
                );
            }
            Ok(Outcome::Enter(Mode::PolicyMap(name)))
        }
    }

    /// `zone security {NAME|default}`
    fn zone(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        a.keyword("security")?;
        let t = a.value("zone name")?;
        let name = object_name(t, "zone name")?;
        a.end()?;
        if name.eq_ignore_ascii_case("self") {
            return Err(fail(
                t.at,
                ErrorKind::InvalidValue,
                "\"self\" is the firewall's own zone; it is predefined and can only be used in a zone-pair",
            ));
        }
        // `default` is a keyword in any case.
        let name = if name.eq_ignore_ascii_case("default") {
            "default".to_string()
        } else {
            name.to_string()
        };
        if !self.config.zones.contains_key(&name) {
            cap(self.config.zones.len(), MAX_ZONES, "zones", t.at)?;
            self.count();
            self.config.zones.insert(
                name.clone(),
                Zone {
                    name: name.clone(),
                    description: None,
                    at: t.at,
                },
            );
        }
        Ok(Outcome::Enter(Mode::Zone(name)))
    }

    /// `zone-pair security NAME source {ZONE|self|default} destination {ZONE|self|default}`
    fn zone_pair(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        a.keyword("security")?;
        let t = a.value("zone-pair name")?;
        let name = object_name(t, "zone-pair name")?.to_string();
        a.keyword("source")?;
        let s = a.value("source zone")?;
        a.keyword("destination")?;
        let d = a.value("destination zone")?;
        a.end()?;
        let zone_ref = |t: Token<'_>| -> R<ZoneRef> {
            if t.is("self") {
                Ok(ZoneRef::SelfZone)
            } else if t.is("default") {
                Ok(ZoneRef::Default)
            } else {
                Ok(ZoneRef::Named(object_name(t, "zone name")?.to_string()))
            }
        };
        let (source, destination) = (zone_ref(s)?, zone_ref(d)?);
        if let Some(i) = self.config.zone_pairs.iter().position(|zp| zp.name == name) {
            let (old_s, old_d) = match self.config.zone_pairs.get(i) {
                Some(zp) => (zp.source.clone(), zp.destination.clone()),
                None => return Ok(Outcome::Done),
            };
            if old_s != source || old_d != destination {
                return Err(fail(
                    t.at,
                    ErrorKind::Conflict,
                    format!(
                        "zone-pair \"{name}\" already exists with source {old_s} destination {old_d}"
                    ),
                ));
            }
            return Ok(Outcome::Enter(Mode::ZonePair(i)));
        }
        for (end, tok) in [(&source, s), (&destination, d)] {
            match end {
                ZoneRef::Named(z) => self.reference(RefKind::Zone, z, tok.at),
                ZoneRef::Default => self.reference(RefKind::Zone, "default", tok.at),
                ZoneRef::SelfZone => {}
            }
        }
        cap(
            self.config.zone_pairs.len(),
            MAX_ZONE_PAIRS,
            "zone-pairs",
            t.at,
        )?;
        self.count();
        self.config.zone_pairs.push(ZonePair {
            name,
            source,
            destination,
            policy: None,
            description: None,
            at: t.at,
        });
        self.pair_locations.push((s.at, d.at));
        Ok(Outcome::Enter(Mode::ZonePair(
            self.config.zone_pairs.len().saturating_sub(1),
        )))
    }

    /// `interface NAME` or `interface IOS-TYPE NUMBER`
    fn interface(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        let t = a.value("interface name")?;
        let written = self.interface_name(&mut a, t)?;
        a.end()?;
        let key = interface_key(&written);
        if !self.config.interfaces.contains_key(&key) {
            cap(
                self.config.interfaces.len(),
                MAX_INTERFACES,
                "interfaces",
                t.at,
            )?;
            self.count();
            self.config.interfaces.insert(
                key.clone(),
                Interface {
                    name: written,
                    key: key.clone(),
                    description: None,
                    ipv4: Vec::new(),
                    ipv6: Vec::new(),
                    zone: None,
                    at: t.at,
                },
            );
        }
        Ok(Outcome::Enter(Mode::Interface(key)))
    }

    /// An interface name starting at `t`: one word, or an IOS type word and its number.
    fn interface_name(&self, a: &mut Args<'_, '_>, t: Token<'_>) -> R<String> {
        let mut written = t.text.to_string();
        if ios_type(t.text).is_some()
            && a.peek()
                .is_some_and(|n| n.text.starts_with(|c: char| c.is_ascii_digit()))
        {
            if let Some(n) = a.advance() {
                written = format!("{} {}", t.text, n.text);
            }
        }
        check_name(&written).map_err(|m| fail(t.at, ErrorKind::InvalidValue, m))?;
        Ok(written)
    }

    /// `ip route ...`, `ip port-map sip ...`
    fn ip_global(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        let (which, _) = a.choice(&["route", "port-map"]).map_err(|f| {
            if line.tokens.get(1).is_some_and(|t| t.is("address")) {
                fail(
                    f.at,
                    ErrorKind::UnknownCommand,
                    "\"ip address\" is an interface command; write it under \"interface NAME\"",
                )
            } else {
                f
            }
        })?;
        if which == 0 {
            // ip route PREFIX MASK | PREFIX/LEN, then target.
            let p = a.value("destination prefix")?;
            let net = if p.text.contains('/') {
                ipv4_slash(&p)?
            } else {
                let addr = ipv4(&p, "destination prefix")?;
                let m = a.value("mask")?;
                let len = mask_len(&m)?;
                Ipv4Net::new(addr, len)
                    .map_err(|_| fail(m.at, ErrorKind::InvalidAddress, "invalid mask"))?
            };
            if net.addr() != net.network() {
                return Err(fail(
                    p.at,
                    ErrorKind::InvalidAddress,
                    format!(
                        "inconsistent address and mask: {} has host bits set (the network is {})",
                        net,
                        net.trunc()
                    ),
                ));
            }
            self.route(&mut a, IpNet::V4(net), p.at)?;
            return Ok(Outcome::Done);
        }
        self.port_map(&mut a)?;
        Ok(Outcome::Done)
    }

    /// `ipv6 route PREFIX/LEN target`; `ipv6 unicast-routing` is accepted.
    fn ipv6_global(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        let (which, _) = a.choice(&["route", "unicast-routing"])?;
        if which == 1 {
            a.end()?;
            return Ok(Outcome::Done);
        }
        let p = a.value("destination prefix")?;
        let net = ipv6_slash(&p)?;
        if net.addr() != net.network() {
            return Err(fail(
                p.at,
                ErrorKind::InvalidAddress,
                format!(
                    "inconsistent prefix: {} has host bits set (the network is {})",
                    net,
                    net.trunc()
                ),
            ));
        }
        self.route(&mut a, IpNet::V6(net), p.at)?;
        Ok(Outcome::Done)
    }

    /// Route target: `NEXT-HOP [DISTANCE]` or `INTERFACE [NEXT-HOP] [DISTANCE]`.
    fn route(&mut self, a: &mut Args<'_, '_>, prefix: IpNet, at: Location) -> R<()> {
        let v4 = matches!(prefix, IpNet::V4(_));
        let parse_hop = |t: &Token<'_>| -> Option<R<IpAddr>> {
            let looks_like = if v4 {
                t.text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else {
                t.text.contains(':')
            };
            if !looks_like {
                return None;
            }
            Some(if v4 {
                ipv4(t, "next hop").map(IpAddr::V4)
            } else {
                t.text.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| {
                    fail(
                        t.at,
                        ErrorKind::InvalidAddress,
                        format!("invalid next hop \"{}\": expected an IPv6 address", t.text),
                    )
                })
            })
        };
        let t = a.value("interface or next-hop address")?;
        let target = match parse_hop(&t) {
            Some(hop) => RouteTarget::NextHop { next_hop: hop? },
            None => {
                let written = self.interface_name(a, t)?;
                let key = interface_key(&written);
                self.reference(RefKind::Interface, &written, t.at);
                let mut next_hop = None;
                if let Some(n) = a.peek() {
                    if let Some(hop) = parse_hop(&n) {
                        // A bare number is the distance, not a next hop.
                        if n.text.contains('.') || n.text.contains(':') {
                            a.advance();
                            next_hop = Some(hop?);
                        }
                    }
                }
                RouteTarget::Interface {
                    interface: key,
                    next_hop,
                }
            }
        };
        let distance = match a.peek() {
            Some(_) => a.number("administrative distance", 1, 255)? as u8,
            None => 1,
        };
        a.end()?;
        cap(self.config.routes.len(), MAX_ROUTES, "routes", at)?;
        self.count();
        self.config.routes.push(Route {
            prefix,
            target,
            distance,
            at,
        });
        Ok(())
    }

    /// `match port {tcp|udp} PORT` / `match port {tcp|udp} range LOW HIGH` (sipwall extension;
    /// the words follow IOS extended ACLs, `eq` being implied): ports are 1..=65535 (TCP RFC 9293
    /// §3.1 and UDP RFC 768 port fields; 0 is reserved), LOW <= HIGH.
    fn match_port(a: &mut Args<'_, '_>) -> R<ClassMatch> {
        let (t, t_tok) = a.choice(&["tcp", "udp"])?;
        let transport = if t == 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let at = t_tok.at;
        let (low, high) = if a.optional("range") {
            let low_at = a.peek().map(|t| t.at).unwrap_or_else(|| a.line.end());
            let low = a.number("low port", 1, 65535)?;
            let high = a.number("high port", 1, 65535)?;
            if low > high {
                return Err(fail(
                    low_at,
                    ErrorKind::InvalidValue,
                    format!("port range {low} {high}: the low port is above the high port"),
                ));
            }
            (low, high)
        } else {
            let p = a.number("port number", 1, 65535)?;
            (p, p)
        };
        a.end()?;
        // Both are in 1..=65535 by `number`, so the conversions cannot fail.
        let low = u16::try_from(low).unwrap_or(u16::MAX);
        let high = u16::try_from(high).unwrap_or(u16::MAX);
        Ok(ClassMatch::Port {
            transport,
            low,
            high,
            at,
        })
    }

    /// `ip port-map sip [port] [udp|tcp] PORT [PORT ...]`
    fn port_map(&mut self, a: &mut Args<'_, '_>) -> R<()> {
        let app = a.value("application name")?;
        if !app.is("sip") {
            return Err(fail(
                app.at,
                ErrorKind::InvalidValue,
                format!(
                    "ip port-map is supported for \"sip\" only, found \"{}\"",
                    app.text
                ),
            ));
        }
        a.optional("port");
        let transports: &[Transport] = if a.optional("udp") {
            &[Transport::Udp]
        } else if a.optional("tcp") {
            &[Transport::Tcp]
        } else {
            &[Transport::Udp, Transport::Tcp]
        };
        let first_at = a.peek().map(|t| t.at).unwrap_or_else(|| a.line.end());
        let first = a.number("port number", 1, 65535)?;
        let mut ports = vec![first];
        while a.peek().is_some() {
            ports.push(a.number("port number", 1, 65535)?);
        }
        for port in ports {
            for &transport in transports {
                cap(
                    self.config.sip_ports.len(),
                    MAX_SIP_PORTS,
                    "SIP port-maps",
                    first_at,
                )?;
                self.count();
                self.config.sip_ports.push(SipPort {
                    transport,
                    port: port as u16,
                });
            }
        }
        Ok(())
    }

    /// `parameter-map type inspect NAME`, `parameter-map type inspect-global`
    fn parameter_map(&mut self, line: &Line<'_>) -> R<Outcome> {
        let mut a = Args::new(line);
        a.keyword("type")?;
        let (which, _) = a.choice(&["inspect", "inspect-global"])?;
        let (name, at) = if which == 1 {
            (
                GLOBAL_PARAMETER_MAP.to_string(),
                line.tokens.get(2).map(|t| t.at).unwrap_or_default(),
            )
        } else {
            let t = a.value("parameter-map name")?;
            let n = object_name(t, "parameter-map name")?;
            let n = if n.eq_ignore_ascii_case(GLOBAL_PARAMETER_MAP) {
                GLOBAL_PARAMETER_MAP.to_string()
            } else {
                n.to_string()
            };
            (n, t.at)
        };
        a.end()?;
        let entry = self
            .config
            .parameter_maps
            .entry(name.clone())
            .or_insert_with(|| ParameterMap::with_defaults(&name));
        if entry.at.is_none() {
            entry.at = Some(at);
            self.objects = self.objects.saturating_add(1);
        }
        Ok(Outcome::Enter(Mode::ParameterMap(name)))
    }

    // ---------------------------------------------------------------- class-maps

    fn class_map_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        if first.is("description") {
            Args::new(line).rest("description").map_err(plain)?;
            return Ok(Outcome::Done);
        }
        if !first.is("match") {
            return Ok(Outcome::NotHere);
        }
        let mut a = Args::new(line);
        let (which, _) = a
            .choice(&["protocol", "class-map", "port"])
            .map_err(plain)?;
        let m = if which == 2 {
            Self::match_port(&mut a).map_err(plain)?
        } else {
            let t = a
                .value(if which == 0 {
                    "protocol name"
                } else {
                    "class-map name"
                })
                .map_err(plain)?;
            a.end().map_err(plain)?;
            if which == 0 {
                let Some(protocol) = Protocol::from_name(t.text) else {
                    let names = crate::protocol::ALL_PROTOCOLS.iter().map(|p| p.name());
                    let hint = suggest::hint(t.text, names);
                    return Err(plain(fail(
                        t.at,
                        ErrorKind::UnknownProtocol,
                        format!(
                            "unknown protocol \"{}\"{hint} (known: {})",
                            t.text,
                            Protocol::known_names()
                        ),
                    )));
                };
                ClassMatch::Protocol { protocol, at: t.at }
            } else {
                let target = object_name(t, "class-map name").map_err(plain)?;
                self.reference(RefKind::ClassMap, target, t.at);
                ClassMatch::ClassMap {
                    name: target.to_string(),
                    at: t.at,
                }
            }
        };
        self.count();
        if let Some(cm) = self.config.class_maps.get_mut(name) {
            let same = |x: &ClassMatch| match (x, &m) {
                (
                    ClassMatch::Protocol { protocol: a, .. },
                    ClassMatch::Protocol { protocol: b, .. },
                ) => a == b,
                (ClassMatch::ClassMap { name: a, .. }, ClassMatch::ClassMap { name: b, .. }) => {
                    a == b
                }
                (
                    ClassMatch::Port {
                        transport: ta,
                        low: la,
                        high: ha,
                        ..
                    },
                    ClassMatch::Port {
                        transport: tb,
                        low: lb,
                        high: hb,
                        ..
                    },
                ) => (ta, la, ha) == (tb, lb, hb),
                _ => false,
            };
            if !cm.matches.iter().any(same) {
                cap(
                    cm.matches.len(),
                    MAX_MATCHES_PER_CLASS_MAP,
                    "match lines in one class-map",
                    first.at,
                )
                .map_err(plain)?;
                cm.matches.push(m);
            }
        }
        Ok(Outcome::Done)
    }

    fn sip_class_map_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        if first.is("description") {
            Args::new(line).rest("description").map_err(plain)?;
            return Ok(Outcome::Done);
        }
        if !first.is("match") {
            return Ok(Outcome::NotHere);
        }
        let m = self.sip_match(line).map_err(plain)?;
        self.count();
        if let Some(cm) = self.config.sip_class_maps.get_mut(name) {
            if !cm.matches.iter().any(|x| same_sip_match(x, &m)) {
                cap(
                    cm.matches.len(),
                    MAX_MATCHES_PER_CLASS_MAP,
                    "match lines in one class-map",
                    first.at,
                )
                .map_err(plain)?;
                cm.matches.push(m);
            }
        }
        Ok(Outcome::Done)
    }

    fn sip_match(&mut self, line: &Line<'_>) -> R<SipMatch> {
        let mut a = Args::new(line);
        let (which, _) = a.choice(&[
            "request",
            "caller",
            "callee",
            "response",
            "message-size",
            "content-type",
            "sdp",
        ])?;
        let m = match which {
            0 => {
                let (sub, _) = a.choice(&["method", "uri", "header"])?;
                match sub {
                    0 => {
                        let t = a.value("SIP method")?;
                        if !is_token(t.text) {
                            return Err(fail(
                                t.at,
                                ErrorKind::InvalidValue,
                                format!("invalid SIP method \"{}\" (RFC 3261 §25.1 token)", t.text),
                            ));
                        }
                        SipMatch::RequestMethod {
                            method: t.text.to_ascii_uppercase(),
                            at: t.at,
                        }
                    }
                    1 => {
                        a.keyword("regex")?;
                        let t = a.value("regular expression")?;
                        SipMatch::RequestUri {
                            regex: regex(&t)?,
                            at: t.at,
                        }
                    }
                    _ => {
                        let h = a.value("header name")?;
                        if !is_token(h.text) {
                            return Err(fail(
                                h.at,
                                ErrorKind::InvalidValue,
                                format!(
                                    "invalid header name \"{}\" (RFC 3261 §7.3.1 token)",
                                    h.text
                                ),
                            ));
                        }
                        a.keyword("regex")?;
                        let t = a.value("regular expression")?;
                        SipMatch::RequestHeader {
                            name: h.text.to_string(),
                            regex: regex(&t)?,
                            at: h.at,
                        }
                    }
                }
            }
            1 | 2 | 5 => {
                a.keyword("regex")?;
                let t = a.value("regular expression")?;
                let regex = regex(&t)?;
                match which {
                    1 => SipMatch::Caller { regex, at: t.at },
                    2 => SipMatch::Callee { regex, at: t.at },
                    _ => SipMatch::ContentType { regex, at: t.at },
                }
            }
            3 => {
                a.keyword("status")?;
                let t = a.value("status code or range")?;
                let (lo, hi) = match t.text.split_once('-') {
                    Some((lo, hi)) => (lo, hi),
                    None => (t.text, t.text),
                };
                let code = |s: &str| -> R<u16> {
                    let tok = Token { text: s, ..t };
                    parse_number(&tok, "status code", 100, 699).map(|n| n as u16)
                };
                let (low, high) = (code(lo)?, code(hi)?);
                if low > high {
                    return Err(fail(
                        t.at,
                        ErrorKind::InvalidValue,
                        format!(
                            "status range \"{}\" is empty: {low} is above {high}",
                            t.text
                        ),
                    ));
                }
                SipMatch::ResponseStatus {
                    low,
                    high,
                    at: t.at,
                }
            }
            4 => {
                a.keyword("gt")?;
                let t = a.value("size in bytes")?;
                let bytes = parse_number(&t, "message size", 1, u32::MAX)?;
                SipMatch::MessageSizeGt { bytes, at: t.at }
            }
            _ => {
                a.keyword("media-type")?;
                let (i, t) = a.choice(&["audio", "video", "image", "application"])?;
                let media = match i {
                    0 => MediaType::Audio,
                    1 => MediaType::Video,
                    2 => MediaType::Image,
                    _ => MediaType::Application,
                };
                SipMatch::SdpMediaType { media, at: t.at }
            }
        };
        a.end()?;
        Ok(m)
    }

    // ---------------------------------------------------------------- policy-maps

    /// `class type inspect CLASS`, `class class-default`, `description` in a policy-map.
    fn policy_map_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        if first.is("description") {
            Args::new(line)
                .rest("description")
                .map_err(|f| (f, false))?;
            return Ok(Outcome::Done);
        }
        if !first.is("class") {
            return Ok(Outcome::NotHere);
        }
        let entered = |f: Fail| (f, true);
        let mut a = Args::new(line);
        if a.optional("class-default") {
            a.end().map_err(entered)?;
            return Ok(Outcome::Enter(Mode::PolicyClassDefault(name.to_string())));
        }
        a.keyword("type").map_err(|f| entered(class_hint(f)))?;
        a.keyword("inspect").map_err(entered)?;
        let t = a.value("class-map name").map_err(entered)?;
        let class = object_name(t, "class-map name")
            .map_err(entered)?
            .to_string();
        a.end().map_err(entered)?;
        let Some(pm) = self.config.policy_maps.get_mut(name) else {
            return Ok(Outcome::Done);
        };
        let idx = match pm.classes.iter().position(|c| c.class == class) {
            Some(i) => i,
            None => {
                cap(
                    pm.classes.len(),
                    MAX_CLASSES_PER_POLICY,
                    "classes in one policy-map",
                    t.at,
                )
                .map_err(entered)?;
                pm.classes.push(PolicyClass {
                    class: class.clone(),
                    action: Action::Drop { log: false },
                    sip_policy: None,
                    at: t.at,
                });
                self.objects = self.objects.saturating_add(1);
                self.references.push(Reference {
                    kind: RefKind::ClassMap,
                    name: class.clone(),
                    at: t.at,
                });
                pm.classes.len().saturating_sub(1)
            }
        };
        Ok(Outcome::Enter(Mode::PolicyClass(name.to_string(), idx)))
    }

    /// Actions in `class type inspect CLASS` (`index` Some) or `class class-default` (None).
    fn policy_class_cmd(
        &mut self,
        policy: &str,
        index: Option<usize>,
        line: &Line<'_>,
    ) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let mut a = Args::new(line);
        let action = if first.is("inspect") {
            let pm = match a.advance() {
                Some(t) => {
                    let n = object_name(t, "parameter-map name").map_err(plain)?;
                    self.reference(RefKind::ParameterMap, n, t.at);
                    Some(n.to_string())
                }
                None => None,
            };
            Action::Inspect { parameter_map: pm }
        } else if first.is("drop") || first.is("pass") {
            let log = a.optional("log");
            if first.is("drop") {
                Action::Drop { log }
            } else {
                Action::Pass { log }
            }
        } else if first.is("service-policy") && index.is_some() {
            // `service-policy sip NAME` (also `service-policy type inspect sip NAME`).
            if a.optional("type") {
                a.keyword("inspect").map_err(plain)?;
            }
            a.keyword("sip").map_err(plain)?;
            let t = a.value("SIP policy-map name").map_err(plain)?;
            let n = object_name(t, "policy-map name")
                .map_err(plain)?
                .to_string();
            a.end().map_err(plain)?;
            self.reference(RefKind::SipPolicyMap, &n, t.at);
            if let Some(c) = index.and_then(|i| {
                self.config
                    .policy_maps
                    .get_mut(policy)
                    .and_then(|pm| pm.classes.get_mut(i))
            }) {
                c.sip_policy = Some(n);
            }
            return Ok(Outcome::Done);
        } else {
            return Ok(Outcome::NotHere);
        };
        a.end().map_err(plain)?;
        let Some(pm) = self.config.policy_maps.get_mut(policy) else {
            return Ok(Outcome::Done);
        };
        match index {
            None => pm.class_default = action,
            Some(i) => {
                let key = (policy.to_string(), i);
                let Some(c) = pm.classes.get_mut(i) else {
                    return Ok(Outcome::Done);
                };
                if self.explicit_action.contains(&key) && c.action != action {
                    return Err(plain(fail(
                        first.at,
                        ErrorKind::Conflict,
                        format!(
                            "class \"{}\" of policy-map \"{policy}\" already has action \"{}\"; remove one",
                            c.class, c.action
                        ),
                    )));
                }
                c.action = action;
                self.explicit_action.insert(key);
            }
        }
        Ok(Outcome::Done)
    }

    /// `class type inspect [sip] CLASS`, `class class-default` in a SIP policy-map.
    fn sip_policy_map_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        if first.is("description") {
            Args::new(line)
                .rest("description")
                .map_err(|f| (f, false))?;
            return Ok(Outcome::Done);
        }
        if !first.is("class") {
            return Ok(Outcome::NotHere);
        }
        let entered = |f: Fail| (f, true);
        let mut a = Args::new(line);
        if a.optional("class-default") {
            a.end().map_err(entered)?;
            return Ok(Outcome::Enter(Mode::SipPolicyClassDefault(
                name.to_string(),
            )));
        }
        a.keyword("type").map_err(|f| entered(class_hint(f)))?;
        a.keyword("inspect").map_err(entered)?;
        if line.tokens.len() > 4 {
            a.keyword("sip").map_err(entered)?;
        }
        let t = a.value("SIP class-map name").map_err(entered)?;
        let class = object_name(t, "class-map name")
            .map_err(entered)?
            .to_string();
        a.end().map_err(entered)?;
        let Some(pm) = self.config.sip_policy_maps.get_mut(name) else {
            return Ok(Outcome::Done);
        };
        let idx = match pm.classes.iter().position(|c| c.class == class) {
            Some(i) => i,
            None => {
                cap(
                    pm.classes.len(),
                    MAX_CLASSES_PER_POLICY,
                    "classes in one policy-map",
                    t.at,
                )
                .map_err(entered)?;
                pm.classes.push(SipPolicyClass {
                    class: class.clone(),
                    action: SipAction::Allow { log: false },
                    rate_limit: None,
                    at: t.at,
                });
                self.objects = self.objects.saturating_add(1);
                self.references.push(Reference {
                    kind: RefKind::SipClassMap,
                    name: class.clone(),
                    at: t.at,
                });
                pm.classes.len().saturating_sub(1)
            }
        };
        Ok(Outcome::Enter(Mode::SipPolicyClass(name.to_string(), idx)))
    }

    fn sip_policy_class_cmd(
        &mut self,
        policy: &str,
        index: Option<usize>,
        line: &Line<'_>,
    ) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let mut a = Args::new(line);
        if first.is("rate-limit") && index.is_some() {
            let per_second = a.number("rate", 1, 1_000_000).map_err(plain)?;
            a.keyword("per-second").map_err(plain)?;
            let per_source = a.optional("per-source");
            let burst = if a.optional("burst") {
                Some(a.number("burst", 1, 1_000_000).map_err(plain)?)
            } else {
                None
            };
            a.end().map_err(plain)?;
            if let Some(c) = self.sip_class_mut(policy, index) {
                c.rate_limit = Some(RateLimit {
                    per_second,
                    per_source,
                    burst,
                });
            }
            return Ok(Outcome::Done);
        }
        let action = if first.is("allow") {
            SipAction::Allow {
                log: a.optional("log"),
            }
        } else if first.is("drop") {
            SipAction::Drop {
                log: a.optional("log"),
            }
        } else if first.is("reset") {
            SipAction::Reset {
                log: a.optional("log"),
            }
        } else {
            return Ok(Outcome::NotHere);
        };
        a.end().map_err(plain)?;
        match index {
            None => {
                if let Some(pm) = self.config.sip_policy_maps.get_mut(policy) {
                    pm.class_default = action;
                }
            }
            Some(i) => {
                let key = (policy.to_string(), i);
                let already = self.explicit_sip_action.contains(&key);
                if let Some(c) = self.sip_class_mut(policy, index) {
                    if already && c.action != action {
                        return Err(plain(fail(
                            first.at,
                            ErrorKind::Conflict,
                            format!(
                                "class \"{}\" of SIP policy-map \"{policy}\" already has action \"{}\"; remove one",
                                c.class, c.action
                            ),
                        )));
                    }
                    c.action = action;
                }
                self.explicit_sip_action.insert(key);
            }
        }
        Ok(Outcome::Done)
    }

    fn sip_class_mut(&mut self, policy: &str, index: Option<usize>) -> Option<&mut SipPolicyClass> {
        self.config
            .sip_policy_maps
            .get_mut(policy)?
            .classes
            .get_mut(index?)
    }

    // ---------------------------------------------------------------- zones

    fn zone_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        if !first.is("description") {
            return Ok(Outcome::NotHere);
        }
        let d = Args::new(line)
            .rest("description")
            .map_err(|f| (f, false))?;
        if let Some(z) = self.config.zones.get_mut(name) {
            z.description = Some(d);
        }
        Ok(Outcome::Done)
    }

    fn zone_pair_cmd(&mut self, index: usize, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let mut a = Args::new(line);
        if first.is("description") {
            let d = a.rest("description").map_err(plain)?;
            if let Some(zp) = self.config.zone_pairs.get_mut(index) {
                zp.description = Some(d);
            }
            return Ok(Outcome::Done);
        }
        if !first.is("service-policy") {
            return Ok(Outcome::NotHere);
        }
        a.keyword("type").map_err(plain)?;
        a.keyword("inspect").map_err(plain)?;
        let t = a.value("policy-map name").map_err(plain)?;
        let n = object_name(t, "policy-map name")
            .map_err(plain)?
            .to_string();
        a.end().map_err(plain)?;
        let Some(zp) = self.config.zone_pairs.get_mut(index) else {
            return Ok(Outcome::Done);
        };
        if let Some(old) = &zp.policy {
            if *old != n {
                return Err(plain(fail(
                    t.at,
                    ErrorKind::Conflict,
                    format!(
                        "zone-pair \"{}\" already has service-policy \"{old}\"; a zone-pair takes one policy",
                        zp.name
                    ),
                )));
            }
        }
        zp.policy = Some(n.clone());
        self.reference(RefKind::PolicyMap, &n, t.at);
        Ok(Outcome::Done)
    }

    // ---------------------------------------------------------------- interfaces

    fn interface_cmd(&mut self, key: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let mut a = Args::new(line);
        let word = first.text.to_ascii_lowercase();
        match word.as_str() {
            "description" => {
                let d = a.rest("description").map_err(plain)?;
                if let Some(i) = self.config.interfaces.get_mut(key) {
                    i.description = Some(d);
                }
            }
            "shutdown" => {
                a.end().map_err(plain)?;
                self.warn(
                    first.at,
                    WarningKind::Ignored,
                    "\"shutdown\" is ignored: sipwall does not manage link state",
                );
            }
            "no" => {
                a.keyword("shutdown").map_err(plain)?;
                a.end().map_err(plain)?;
            }
            "zone-member" | "zone" => {
                a.keyword("security").map_err(plain)?;
                let t = a.value("zone name").map_err(plain)?;
                a.end().map_err(plain)?;
                if t.is("self") {
                    return Err(plain(fail(
                        t.at,
                        ErrorKind::InvalidValue,
                        "an interface cannot be a member of \"self\"; self is the firewall's own zone, used only in zone-pairs",
                    )));
                }
                let zone = if t.is("default") {
                    "default".to_string()
                } else {
                    object_name(t, "zone name").map_err(plain)?.to_string()
                };
                if word == "zone" {
                    self.warn(
                        first.at,
                        WarningKind::Alias,
                        format!(
                            "\"zone security {zone}\" under an interface is read as \"zone-member security {zone}\"; write that instead (or \"exit\" first to define a zone)"
                        ),
                    );
                }
                self.reference(RefKind::Zone, &zone, t.at);
                if let Some(i) = self.config.interfaces.get_mut(key) {
                    if let Some(old) = &i.zone {
                        if *old != zone {
                            return Err(plain(fail(
                                t.at,
                                ErrorKind::Conflict,
                                format!(
                                    "interface {} is already a member of zone \"{old}\"; an interface belongs to one zone{}",
                                    i.name,
                                    if word == "zone" {
                                        " (\"zone security\" under an interface means \"zone-member security\"; write \"exit\" before defining a zone)"
                                    } else {
                                        ""
                                    }
                                ),
                            )));
                        }
                    }
                    i.zone = Some(zone);
                }
            }
            // `ip route`/`ip port-map` are global commands that end interface mode.
            "ip" if line
                .tokens
                .get(1)
                .is_some_and(|t| t.is("route") || t.is("port-map")) =>
            {
                return Ok(Outcome::NotHere)
            }
            "ipv6"
                if line
                    .tokens
                    .get(1)
                    .is_some_and(|t| t.is("route") || t.is("unicast-routing")) =>
            {
                return Ok(Outcome::NotHere)
            }
            "ip" => {
                a.keyword("address").map_err(plain)?;
                let t = a.value("address").map_err(plain)?;
                let net = if t.text.contains('/') {
                    ipv4_slash(&t).map_err(plain)?
                } else {
                    let addr = ipv4(&t, "address").map_err(plain)?;
                    let m = a.value("mask").map_err(plain)?;
                    let len = mask_len(&m).map_err(plain)?;
                    Ipv4Net::new(addr, len)
                        .map_err(|_| plain(fail(m.at, ErrorKind::InvalidAddress, "invalid mask")))?
                };
                let secondary = a.optional("secondary");
                a.end().map_err(plain)?;
                check_host_v4(&net, &t).map_err(plain)?;
                self.address(t.at).map_err(plain)?;
                if let Some(i) = self.config.interfaces.get_mut(key) {
                    let net = IpNet::V4(net);
                    if secondary || i.ipv4.is_empty() {
                        if !i.ipv4.contains(&net) {
                            i.ipv4.push(net);
                        }
                    } else if let Some(primary) = i.ipv4.first_mut() {
                        *primary = net;
                    }
                }
            }
            "ipv6" => {
                let (which, _) = a.choice(&["address", "enable"]).map_err(plain)?;
                if which == 1 {
                    a.end().map_err(plain)?;
                    return Ok(Outcome::Done);
                }
                let t = a.value("address/prefix-length").map_err(plain)?;
                let net = ipv6_slash(&t).map_err(plain)?;
                a.end().map_err(plain)?;
                if net.addr().is_unspecified() || net.addr().is_multicast() {
                    return Err(plain(fail(
                        t.at,
                        ErrorKind::InvalidAddress,
                        format!("{} cannot be an interface address", net.addr()),
                    )));
                }
                self.address(t.at).map_err(plain)?;
                if let Some(i) = self.config.interfaces.get_mut(key) {
                    let net = IpNet::V6(net);
                    if !i.ipv6.contains(&net) {
                        i.ipv6.push(net);
                    }
                }
            }
            _ => return Ok(Outcome::NotHere),
        }
        Ok(Outcome::Done)
    }

    // ---------------------------------------------------------------- parameter-maps

    fn parameter_map_cmd(&mut self, name: &str, line: &Line<'_>) -> Result<Outcome, (Fail, bool)> {
        let plain = |f: Fail| (f, false);
        let Some(first) = line.tokens.first() else {
            return Ok(Outcome::NotHere);
        };
        let mut a = Args::new(line);
        const MAX_SECS: u32 = 2_147_483;
        const MAX_COUNT: u32 = 2_147_483_647;
        let word = first.text.to_ascii_lowercase();
        let Some(pm) = self.config.parameter_maps.get(name).cloned() else {
            return Ok(Outcome::NotHere);
        };
        let mut pm = pm;
        match word.as_str() {
            "description" => {
                a.rest("description").map_err(plain)?;
            }
            "tcp" => {
                let (which, _) = a
                    .choice(&[
                        "idle-time",
                        "synwait-time",
                        "finwait-time",
                        "max-incomplete",
                    ])
                    .map_err(plain)?;
                match which {
                    0 => pm.tcp_idle_time = a.number("seconds", 1, MAX_SECS).map_err(plain)?,
                    1 => pm.tcp_synwait_time = a.number("seconds", 1, MAX_SECS).map_err(plain)?,
                    2 => pm.tcp_finwait_time = a.number("seconds", 1, MAX_SECS).map_err(plain)?,
                    _ => {
                        a.keyword("host").map_err(plain)?;
                        pm.tcp_max_incomplete_host = Some(
                            a.number("half-open sessions per host", 1, MAX_COUNT)
                                .map_err(plain)?,
                        );
                        if a.optional("block-time") {
                            a.number("block time in minutes", 0, 35_791)
                                .map_err(plain)?;
                        }
                    }
                }
            }
            "udp" | "icmp" | "media" => {
                a.keyword("idle-time").map_err(plain)?;
                let secs = a.number("seconds", 1, MAX_SECS).map_err(plain)?;
                match word.as_str() {
                    "udp" => pm.udp_idle_time = secs,
                    "icmp" => pm.icmp_idle_time = secs,
                    _ => pm.media_idle_time = secs,
                }
            }
            "sip" | "no" => {
                let negated = word == "no";
                if negated {
                    a.keyword("sip").map_err(plain)?;
                }
                let rates_set = self.sip_rate_limits_set.contains(name);
                let touched_rates =
                    sip_param(&mut pm, &mut a, negated, rates_set).map_err(plain)?;
                a.end().map_err(plain)?;
                self.config.parameter_maps.insert(name.to_string(), pm);
                if let Some(n) = touched_rates {
                    self.sip_rate_limits_set.insert(name.to_string());
                    self.objects = self.objects.saturating_add(n);
                }
                return Ok(Outcome::Done);
            }
            "max-incomplete" => {
                let (which, _) = a.choice(&["low", "high"]).map_err(plain)?;
                let n = a
                    .number("half-open sessions", 1, MAX_COUNT)
                    .map_err(plain)?;
                if which == 0 {
                    pm.max_incomplete_low = Some(n);
                } else {
                    pm.max_incomplete_high = Some(n);
                }
            }
            "sessions" => {
                a.keyword("maximum").map_err(plain)?;
                pm.sessions_maximum = Some(a.number("sessions", 1, MAX_COUNT).map_err(plain)?);
            }
            "alert" | "audit-trail" => {
                let (which, _) = a.choice(&["on", "off"]).map_err(plain)?;
                if word == "alert" {
                    pm.alert = which == 0;
                } else {
                    pm.audit_trail = which == 0;
                }
            }
            _ => return Ok(Outcome::NotHere),
        }
        a.end().map_err(plain)?;
        if let (Some(lo), Some(hi)) = (pm.max_incomplete_low, pm.max_incomplete_high) {
            if lo > hi {
                return Err(plain(fail(
                    first.at,
                    ErrorKind::InvalidValue,
                    format!("max-incomplete low ({lo}) is above max-incomplete high ({hi})"),
                )));
            }
        }
        self.config.parameter_maps.insert(name.to_string(), pm);
        Ok(Outcome::Done)
    }
}

/// Largest `sip rate-limit` rate, messages per second.
const MAX_SIP_RATE: u32 = 1_000_000;
/// Largest `sip blocklist ... within S seconds` window: a day.
const MAX_BLOCKLIST_WINDOW: u32 = 86_400;

/// One `sip ...` (or, `negated`, `no sip ...`) line of a parameter-map, after the word `sip`,
/// applied to `pm`. `rates_set`: this map already had a `sip rate-limit` line, so a new one adds
/// to the list instead of replacing the defaults. Returns `Some(new entries)` for a line that
/// configured the rate limits (`sip rate-limit` / `no sip rate-limit`), else `None`.
fn sip_param(
    pm: &mut ParameterMap,
    a: &mut Args<'_, '_>,
    negated: bool,
    rates_set: bool,
) -> R<Option<usize>> {
    const MAX_SECS: u32 = 2_147_483;
    const MAX_COUNT: u32 = 2_147_483_647;
    let sip = &mut pm.sip;
    if negated {
        let (which, _) = a.choice(&["strict-header-validation", "rate-limit", "blocklist"])?;
        match which {
            0 => sip.strict_header_validation = false,
            1 => {
                sip.rate_limits.clear();
                return Ok(Some(0));
            }
            _ => sip.blocklist = None,
        }
        return Ok(None);
    }
    let (which, _) = a.choice(&[
        "idle-time",
        "strict-header-validation",
        "max-message-size",
        "max-header-count",
        "max-line-length",
        "max-via-depth",
        "max-route-depth",
        "max-forwards-zero",
        "unknown-method",
        "max-dialogs",
        "max-registrations",
        "rate-limit",
        "blocklist",
        "max-sources",
    ])?;
    match which {
        0 => pm.sip_idle_time = a.number("seconds", 1, MAX_SECS)?,
        1 => sip.strict_header_validation = true,
        // RFC 3261 §18.1.1: a UDP message may be up to 65535 bytes; TCP ones have no bound but
        // this one.
        2 => sip.max_message_size = a.number("message size in bytes", 256, 1_048_576)?,
        // RFC 3261 §7.3: header fields, counted after unfolding.
        3 => sip.max_header_count = a.number("header count", 1, 4096)?,
        4 => sip.max_line_length = a.number("line length in bytes", 80, 65_535)?,
        // RFC 3261 §8.1.1.7 (Via), §20.34 (Route): entries, all header lines together.
        5 => sip.max_via_depth = a.number("Via depth", 1, 1024)?,
        6 => sip.max_route_depth = a.number("Route depth", 1, 1024)?,
        // RFC 3261 §8.1.1.6, §16.3 step 2: Max-Forwards 0.
        7 => {
            let (act, _) = a.choice(&["allow", "drop"])?;
            sip.max_forwards_zero = if act == 0 {
                MaxForwardsZero::Allow
            } else {
                MaxForwardsZero::Drop
            };
        }
        // RFC 3261 §8.2.1: a method the element does not know (it would answer 405/501).
        8 => {
            let (act, _) = a.choice(&["allow", "drop"])?;
            sip.unknown_methods_allowed = act == 0;
        }
        9 => {
            let (scope, _) = a.choice(&["per-source", "per-zone"])?;
            let n = a.number("dialogs", 1, MAX_COUNT)?;
            if scope == 0 {
                sip.max_dialogs_per_source = Some(n);
            } else {
                sip.max_dialogs_per_zone = Some(n);
            }
        }
        10 => {
            a.keyword("per-source")?;
            sip.max_registrations_per_source = Some(a.number("registrations", 1, MAX_COUNT)?);
        }
        11 => return sip_rate_limit(sip, a, rates_set).map(Some),
        12 => {
            a.keyword("after")?;
            let violations = a.number("violations", 1, 1_000_000)?;
            a.keyword("violations")?;
            a.keyword("within")?;
            let within_secs = a.number("seconds", 1, MAX_BLOCKLIST_WINDOW)?;
            a.keyword("seconds")?;
            a.keyword("duration")?;
            let duration_secs = a.number("blocking duration in seconds", 1, MAX_SECS)?;
            sip.blocklist = Some(Blocklist {
                violations,
                within_secs,
                duration_secs,
            });
        }
        _ => sip.max_sources = a.number("tracked sources", 16, 10_000_000)?,
    }
    Ok(None)
}

/// `sip rate-limit METHOD N per-second [burst B]`: METHOD is an RFC 3261 §25.1 `Method`
/// (a token; stored upper-cased) or `any` (stored `*`). Returns how many entries it added.
fn sip_rate_limit(sip: &mut SipParams, a: &mut Args<'_, '_>, rates_set: bool) -> R<usize> {
    let t = a.value("SIP method or \"any\"")?;
    let method = if t.is("any") {
        "*".to_string()
    } else if is_token(t.text) {
        t.text.to_ascii_uppercase()
    } else {
        return Err(fail(
            t.at,
            ErrorKind::InvalidValue,
            format!(
                "invalid SIP method \"{}\" (RFC 3261 §25.1 token, or \"any\")",
                t.text
            ),
        ));
    };
    let per_second = a.number("rate", 1, MAX_SIP_RATE)?;
    a.keyword("per-second")?;
    let burst = if a.peek().is_some() {
        a.keyword("burst")?;
        a.number("burst", 1, 2 * MAX_SIP_RATE)?
    } else {
        per_second.saturating_mul(2)
    };
    if !rates_set {
        // The first `sip rate-limit` line of a map replaces the default INVITE/REGISTER limits.
        sip.rate_limits.clear();
    }
    let rate = MethodRate {
        method,
        per_second,
        burst,
    };
    match sip.rate_limits.iter_mut().find(|r| r.method == rate.method) {
        Some(old) => {
            *old = rate;
            Ok(0)
        }
        None => {
            cap(
                sip.rate_limits.len(),
                MAX_SIP_RATE_LIMITS,
                "sip rate-limit methods in one parameter-map",
                t.at,
            )?;
            sip.rate_limits.push(rate);
            Ok(1)
        }
    }
}

/// An interface IPv4 address must be a host address of its subnet (not the network or
/// broadcast address, except on /31 and /32, RFC 3021).
fn check_host_v4(net: &Ipv4Net, t: &Token<'_>) -> R<()> {
    if net.prefix_len() == 0 {
        return Err(fail(
            t.at,
            ErrorKind::InvalidAddress,
            "an interface address needs a mask longer than 0",
        ));
    }
    if net.prefix_len() <= 30 && (net.addr() == net.network() || net.addr() == net.broadcast()) {
        return Err(fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!(
                "bad mask /{} for address {}: it is the {} address of {}",
                net.prefix_len(),
                net.addr(),
                if net.addr() == net.network() {
                    "network"
                } else {
                    "broadcast"
                },
                net.trunc()
            ),
        ));
    }
    if net.addr().is_multicast() || net.addr().is_unspecified() || net.addr().is_broadcast() {
        return Err(fail(
            t.at,
            ErrorKind::InvalidAddress,
            format!("{} cannot be an interface address", net.addr()),
        ));
    }
    Ok(())
}

fn same_sip_match(a: &SipMatch, b: &SipMatch) -> bool {
    use SipMatch as M;
    match (a, b) {
        (M::RequestMethod { method: x, .. }, M::RequestMethod { method: y, .. }) => x == y,
        (M::RequestUri { regex: x, .. }, M::RequestUri { regex: y, .. }) => x == y,
        (M::Caller { regex: x, .. }, M::Caller { regex: y, .. }) => x == y,
        (M::Callee { regex: x, .. }, M::Callee { regex: y, .. }) => x == y,
        (
            M::RequestHeader {
                name: n1,
                regex: r1,
                ..
            },
            M::RequestHeader {
                name: n2,
                regex: r2,
                ..
            },
        ) => n1.eq_ignore_ascii_case(n2) && r1 == r2,
        (
            M::ResponseStatus {
                low: l1, high: h1, ..
            },
            M::ResponseStatus {
                low: l2, high: h2, ..
            },
        ) => l1 == l2 && h1 == h2,
        (M::MessageSizeGt { bytes: x, .. }, M::MessageSizeGt { bytes: y, .. }) => x == y,
        (M::ContentType { regex: x, .. }, M::ContentType { regex: y, .. }) => x == y,
        (M::SdpMediaType { media: x, .. }, M::SdpMediaType { media: y, .. }) => x == y,
        _ => false,
    }
}

/// `class-map match-any X` / `policy-map X` without `type inspect`: say what is supported.
fn unsupported_type(f: Fail, form: &str) -> Fail {
    Fail {
        message: format!(
            "only inspect maps are supported: write \"{form} ...\" ({})",
            f.message
        ),
        ..f
    }
}

fn class_hint(f: Fail) -> Fail {
    Fail {
        message: format!(
            "{}; write \"class type inspect CLASS-MAP\" or \"class class-default\"",
            f.message
        ),
        ..f
    }
}
