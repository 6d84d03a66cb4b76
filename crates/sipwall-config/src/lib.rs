//! The sipwall configuration language: Cisco IOS XE zone-based firewall syntax (zones,
//! zone-pairs, inspect class-maps and policy-maps, SIP layer-7 class/policy-maps, interfaces,
//! static routes, inspect parameter-maps, `ip port-map sip`) parsed into a typed, validated
//! [`Config`].
//!
//! ```
//! let text = "zone security inside\nzone security outside\n\
//!             interface eth0\n zone-member security inside\n ip address 192.0.2.1 255.255.255.0\n";
//! let (config, warnings) = sipwall_config::parse(text, "lab.cfg").map_err(|e| e[0].to_string())?;
//! assert!(warnings.is_empty());
//! assert_eq!(config.interface_for_address("192.0.2.7".parse()?).map(|i| i.name.as_str()), Some("eth0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How the text is read
//! Like IOS, by modes: indentation means nothing; a command that is not valid in the current
//! sub-mode is tried in the enclosing modes, outward to global configuration, and the mode it is
//! valid in becomes current (so `class class-default` after `inspect` closes the policy-map
//! class and opens the default class). `!` lines are comments and change no mode; `exit` leaves
//! one mode, `end` returns to global. Pasted session noise is tolerated: prompts
//! (`Device(config)#`), `enable`, `configure terminal`/`conf t`, `hostname`, `version`,
//! `Building configuration...`, `Current configuration : N bytes`.
//!
//! Keywords are case-insensitive and must be written in full (no IOS abbreviations beyond
//! `conf t`); object names are case-sensitive. An error or warning is reported as
//! `FILE:LINE:COL: message` with 1-based line and character column. Parsing never returns a
//! half-built model: either a whole valid [`Config`] with its warnings, or every error found.
//!
//! # Choices where IOS differs between releases
//! * A zone-pair whose source and destination are the same named zone is accepted (intra-zone
//!   policy, as in IOS 15.0(1)M and later); `self` to `self` is an error.
//! * `zone security ZONE` inside interface mode is read as `zone-member security ZONE`, with a
//!   warning (the form used by Cisco's own SIP ALG configuration example).
//! * `shutdown` / `no shutdown` under an interface are accepted and ignored with a warning:
//!   sipwall does not manage link state.
//! * A re-entered object (`class-map`, `policy-map`, `zone-pair` ... with a name seen before)
//!   continues that object as IOS does; repeated identical lines are merged.
//! * `ip port-map sip` without `udp`/`tcp` maps the port for both (SIP runs on both, RFC 3261 §18).
//!
//! # Extension: `match port`
//! IOS matches ports in an inspect class-map only through `match protocol` (well-known ports and
//! `ip port-map`) or `match access-group` (ACLs, which sipwall does not have). sipwall adds one
//! line to `class-map type inspect`:
//!
//! ```text
//! match port {tcp|udp} PORT
//! match port {tcp|udp} range LOW HIGH
//! ```
//!
//! It matches TCP or UDP packets whose destination port is `PORT`, or in `LOW..=HIGH`
//! (1..=65535, `LOW <= HIGH`). Such traffic is inspected at layer 4 only (never as SIP, even on
//! a SIP port): put `match protocol sip` in the class when SIP inspection is wanted. It is what
//! `sipwall ports config --format sipwall` generates for port-exact rules.
//!
//! # Extension: SIP conformance, limits and flood protection
//! IOS has no equivalent; sipwall adds `sip ...` lines to `parameter-map type inspect NAME` (and
//! `parameter-map type inspect-global`). They set [`SipParams`], the SIP inspection of every
//! flow inspected with that map. A line not written keeps its default (see [`SipParams`]); the
//! later of two lines setting the same value wins.
//!
//! ```text
//! sip strict-header-validation                  | no sip strict-header-validation
//! sip max-message-size N                        (bytes, 256..=1048576; default 131072)
//! sip max-header-count N                        (1..=4096; default 256)
//! sip max-line-length N                         (bytes, 80..=65535; default 8192)
//! sip max-via-depth N                           (1..=1024; default 32)
//! sip max-route-depth N                         (1..=1024; default 32)
//! sip max-forwards-zero {allow|drop}            (default allow)
//! sip unknown-method {allow|drop}               (default allow)
//! sip max-dialogs per-source N                  (1..=2147483647; default unlimited)
//! sip max-dialogs per-zone N                    (1..=2147483647; default unlimited)
//! sip max-registrations per-source N            (1..=2147483647; default unlimited)
//! sip rate-limit METHOD N per-second [burst B]  | no sip rate-limit
//! sip blocklist after N violations within S seconds duration D  | no sip blocklist
//! sip max-sources N                             (16..=10000000; default 65536)
//! ```
//!
//! * `strict-header-validation` (on by default) drops SIP that breaks the RFC 3261 grammar
//!   and rules listed in [`SipParams`]; `no sip strict-header-validation` turns it off.
//! * `sip rate-limit` limits requests of one method per source address: `N` per second
//!   (1..=1000000) with a bucket of `B` (1..=2000000; default `2 * N`). `METHOD` is a SIP
//!   method (an RFC 3261 §25.1 token, case-insensitive, stored upper-case: `invite` is
//!   `INVITE`) or `any` for every request (stored as `*`). A later line for the same method
//!   replaces the earlier one; at most [`limits::MAX_SIP_RATE_LIMITS`] methods per map.
//!   **The first `sip rate-limit` line of a map replaces the default limits** (INVITE 500/s
//!   burst 1000, REGISTER 100/s burst 200): restate those you want to keep. `no sip rate-limit`
//!   removes every limit, the defaults included.
//! * `sip blocklist after N violations within S seconds duration D`: a source that commits `N`
//!   violations (1..=1000000) within `S` seconds (1..=86400) is blocked for `D` seconds
//!   (1..=2147483). `no sip blocklist` turns blocking off.
//! * `max-sources` bounds the table of source addresses tracked for rates and the blocklist.
//!
//! `sip idle-time N` is the older, IOS-style timeout of a SIP signalling flow and stays a
//! field of [`ParameterMap`].
//!
//! ```
//! let text = "parameter-map type inspect voice\n\
//!             sip max-message-size 16384\n\
//!             sip max-forwards-zero drop\n\
//!             sip rate-limit invite 20 per-second\n\
//!             sip rate-limit any 200 per-second burst 400\n\
//!             sip blocklist after 20 violations within 10 seconds duration 600\n";
//! let (config, _) = sipwall_config::parse(text, "voice.cfg").map_err(|e| e[0].to_string())?;
//! let sip = &config.parameter_map(Some("voice")).sip;
//! assert_eq!(sip.max_message_size, 16384);
//! assert_eq!(sip.max_forwards_zero, sipwall_config::MaxForwardsZero::Drop);
//! // The first rate-limit line replaced the default INVITE/REGISTER pair: no REGISTER limit.
//! let rates: Vec<_> = sip.rate_limits.iter().map(|r| (r.method.as_str(), r.per_second, r.burst)).collect();
//! assert_eq!(rates, [("INVITE", 20, 40), ("*", 200, 400)]);
//! assert_eq!(sip.blocklist.map(|b| b.duration_secs), Some(600));
//! // A map without `sip` lines keeps the defaults.
//! assert_eq!(config.parameter_map(None).sip, sipwall_config::SipParams::default());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod iface;
mod lexer;
mod model;
mod parser;
mod protocol;
mod suggest;
mod validate;

pub use error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
pub use iface::{interface_key, MAX_LINUX_IFNAME};
pub use model::{
    Action, Blocklist, ClassMap, ClassMatch, Config, Interface, MatchKind, MaxForwardsZero,
    MediaType, MethodRate, ParameterMap, PolicyClass, PolicyMap, RateLimit, Route, RouteTarget,
    SipAction, SipClassMap, SipMatch, SipParams, SipPolicyClass, SipPolicyMap, SipPort, Zone,
    ZonePair, ZoneRef, GLOBAL_PARAMETER_MAP, SIP_DEFAULT_PORT,
};
pub use protocol::{Protocol, Transport, ALL_PROTOCOLS};

/// Size limits; exceeding any is an error, never a panic or an unbounded allocation.
pub mod limits {
    /// Largest configuration text accepted, in bytes.
    pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;
    /// Longest line, in characters.
    pub const MAX_LINE_CHARS: usize = 4096;
    /// Most words on one line.
    pub const MAX_TOKENS_PER_LINE: usize = 64;
    /// Most configured objects and entries (maps, classes, match lines, zones, pairs,
    /// interfaces, addresses, routes, port-maps) in one configuration.
    pub const MAX_OBJECTS: usize = 100_000;
    /// Most zones.
    pub const MAX_ZONES: usize = 1024;
    /// Most zone-pairs.
    pub const MAX_ZONE_PAIRS: usize = 4096;
    /// Most interfaces.
    pub const MAX_INTERFACES: usize = 1024;
    /// Most interface addresses, all interfaces together.
    pub const MAX_INTERFACE_ADDRESSES: usize = 4096;
    /// Most static routes.
    pub const MAX_ROUTES: usize = 16384;
    /// Most `class` entries in one policy-map.
    pub const MAX_CLASSES_PER_POLICY: usize = 256;
    /// Most `match` lines in one class-map.
    pub const MAX_MATCHES_PER_CLASS_MAP: usize = 256;
    /// Most SIP (transport, port) pairs from `ip port-map sip`.
    pub const MAX_SIP_PORTS: usize = 256;
    /// Most methods with a `sip rate-limit` in one parameter-map.
    pub const MAX_SIP_RATE_LIMITS: usize = 64;
    /// Deepest `match class-map` nesting.
    pub const MAX_CLASS_NESTING: usize = 16;
    /// Most errors reported before giving up.
    pub const MAX_ERRORS: usize = 100;
    /// Largest compiled size of one `regex` in a SIP class-map, in bytes.
    pub const MAX_REGEX_SIZE: usize = 256 * 1024;
}

/// Parse and validate configuration `text`; `file` names it in messages.
///
/// Returns the model and its warnings, or every error found (at most
/// [`limits::MAX_ERRORS`]), each `FILE:LINE:COL: message` when displayed.
pub fn parse(text: &str, file: &str) -> Result<(Config, Vec<Warning>), Vec<ConfigError>> {
    if text.len() > limits::MAX_CONFIG_BYTES {
        return Err(vec![ConfigError {
            file: file.to_string(),
            at: Location::new(1, 1),
            kind: ErrorKind::Limit,
            message: format!(
                "configuration is {} bytes; the limit is {} bytes",
                text.len(),
                limits::MAX_CONFIG_BYTES
            ),
        }]);
    }
    let parsed = parser::parse(text, file)?;
    validate::validate(parsed, file)
}

/// Like [`parse`], for bytes that may not be UTF-8 (an invalid sequence is an error at its
/// line and column).
pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<(Config, Vec<Warning>), Vec<ConfigError>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text, file),
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            // The prefix is valid UTF-8 by construction of `valid_up_to`.
            let good = std::str::from_utf8(good).unwrap_or("");
            let line = good.matches('\n').count() + 1;
            let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(vec![ConfigError {
                file: file.to_string(),
                at: Location::new(line as u32, col as u32),
                kind: ErrorKind::Encoding,
                message: "configuration is not valid UTF-8".to_string(),
            }])
        }
    }
}
