//! SIP application security: the layer-7 SIP policy (`policy-map type inspect sip`),
//! conformance limits, per-source rate limits and the blocklist.
//!
//! A SIP profile is what an `inspect` class applies to the SIP it inspects: the parameter-map's
//! `sip ...` settings plus the `service-policy sip` attached under the class. Checks run on every
//! message before the dialog and pinhole logic sees it, so a refused message never leaves a
//! half-open dialog or pinhole.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use regex::bytes::Regex;
use rustc_hash::FxHashMap;
use sipwall_config::{
    Config, MatchKind, MediaType, MethodRate, RateLimit, SipAction, SipMatch, SipParams,
};
use sipwall_wire::sdp::MediaKind;
use sipwall_wire::sip::{HeaderName, Limits, Message};

/// One compiled `match` line of a SIP class-map.
#[derive(Debug)]
enum Matcher {
    Method(String),
    RequestUri(Regex),
    Caller(Regex),
    Callee(Regex),
    Header(String, Regex),
    Status(u16, u16),
    SizeGt(u32),
    ContentType(Regex),
    SdpMedia(MediaType),
    /// A regex that did not compile (validation prevents this); matches nothing.
    Never,
}

#[derive(Debug)]
struct Class {
    name: String,
    kind: MatchKind,
    matchers: Vec<Matcher>,
    action: SipAction,
    rate: Option<RateLimit>,
}

/// A compiled `policy-map type inspect sip`.
#[derive(Debug)]
pub struct SipPolicy {
    pub name: String,
    classes: Vec<Class>,
    default: SipAction,
}

/// What an `inspect` class applies to the SIP it inspects.
#[derive(Debug)]
pub struct SipProfile {
    pub params: SipParams,
    pub policy: Option<SipPolicy>,
    pub limits: Limits,
}

fn compile_match(m: &SipMatch) -> Matcher {
    let rx = |s: &str| Regex::new(s).ok();
    match m {
        SipMatch::RequestMethod { method, .. } => Matcher::Method(method.clone()),
        SipMatch::RequestUri { regex, .. } => rx(regex).map_or(Matcher::Never, Matcher::RequestUri),
        SipMatch::Caller { regex, .. } => rx(regex).map_or(Matcher::Never, Matcher::Caller),
        SipMatch::Callee { regex, .. } => rx(regex).map_or(Matcher::Never, Matcher::Callee),
        SipMatch::RequestHeader { name, regex, .. } => {
            rx(regex).map_or(Matcher::Never, |r| Matcher::Header(name.clone(), r))
        }
        SipMatch::ResponseStatus { low, high, .. } => Matcher::Status(*low, *high),
        SipMatch::MessageSizeGt { bytes, .. } => Matcher::SizeGt(*bytes),
        SipMatch::ContentType { regex, .. } => {
            rx(regex).map_or(Matcher::Never, Matcher::ContentType)
        }
        SipMatch::SdpMediaType { media, .. } => Matcher::SdpMedia(*media),
    }
}

impl SipProfile {
    pub fn compile(cfg: &Config, params: &SipParams, policy: Option<&str>) -> SipProfile {
        let policy = policy
            .and_then(|name| cfg.sip_policy_maps.get(name))
            .map(|pm| SipPolicy {
                name: pm.name.clone(),
                classes: pm
                    .classes
                    .iter()
                    .filter_map(|c| {
                        let cm = cfg.sip_class_maps.get(&c.class)?;
                        Some(Class {
                            name: c.class.clone(),
                            kind: cm.kind,
                            matchers: cm.matches.iter().map(compile_match).collect(),
                            action: c.action,
                            rate: c.rate_limit,
                        })
                    })
                    .collect(),
                default: pm.class_default,
            });
        let limits = Limits {
            max_message_size: params.max_message_size as usize,
            max_headers: params.max_header_count as usize,
            max_line_length: params.max_line_length as usize,
            max_list_values: params.max_via_depth.max(params.max_route_depth) as usize,
        };
        SipProfile {
            params: params.clone(),
            policy,
            limits,
        }
    }
}

fn text_match(r: &Regex, b: Option<&[u8]>) -> bool {
    b.is_some_and(|b| r.is_match(b))
}

fn matches(m: &Matcher, msg: &Message<'_>) -> bool {
    match m {
        Matcher::Method(name) => msg
            .method()
            .is_some_and(|x| x.as_bytes() == name.as_bytes()),
        Matcher::RequestUri(r) => text_match(r, msg.request_uri_raw()),
        Matcher::Caller(r) => text_match(r, msg.from().ok().map(|n| n.uri.raw)),
        Matcher::Callee(r) => text_match(r, msg.to().ok().map(|n| n.uri.raw)),
        Matcher::Header(name, r) => msg
            .headers()
            .iter()
            .filter(|h| h.is_named(name.as_bytes()))
            .any(|h| r.is_match(h.value)),
        Matcher::Status(lo, hi) => msg.status().is_some_and(|s| (*lo..=*hi).contains(&s)),
        Matcher::SizeGt(n) => msg.as_bytes().len() > *n as usize,
        Matcher::ContentType(r) => text_match(r, msg.header_value(HeaderName::ContentType)),
        Matcher::SdpMedia(t) => match msg.sdp() {
            Some(Ok(s)) => s.media.iter().any(|m| {
                matches!(
                    (t, &m.kind),
                    (MediaType::Audio, MediaKind::Audio)
                        | (MediaType::Video, MediaKind::Video)
                        | (MediaType::Image, MediaKind::Image)
                        | (MediaType::Application, MediaKind::Application)
                )
            }),
            _ => false,
        },
        Matcher::Never => false,
    }
}

/// The outcome of the SIP policy for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyHit {
    pub class: String,
    pub action: SipAction,
    pub rate: Option<RateLimit>,
}

impl SipPolicy {
    /// The first class whose matches hold (`match-any`: one; `match-all`: every), else
    /// `class-default`.
    pub fn evaluate(&self, msg: &Message<'_>) -> PolicyHit {
        for c in &self.classes {
            let hit = match c.kind {
                MatchKind::MatchAny => c.matchers.iter().any(|m| matches(m, msg)),
                MatchKind::MatchAll => {
                    !c.matchers.is_empty() && c.matchers.iter().all(|m| matches(m, msg))
                }
            };
            if hit {
                return PolicyHit {
                    class: c.name.clone(),
                    action: c.action,
                    rate: c.rate,
                };
            }
        }
        PolicyHit {
            class: "class-default".into(),
            action: self.default,
            rate: None,
        }
    }
}

/// A token bucket: `rate` tokens a second, at most `burst`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant, rate: u32, burst: u32) -> bool {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + dt * f64::from(rate)).min(f64::from(burst.max(1)));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Most distinct rate-limit keys per source (methods and per-source classes).
const MAX_BUCKETS_PER_SOURCE: usize = 16;

#[derive(Debug)]
struct Source {
    buckets: Vec<(String, Bucket)>,
    violations: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    last_seen: Instant,
}

/// Per-source state for rate limits and the blocklist, bounded.
#[derive(Debug, Default)]
pub struct Sources {
    map: FxHashMap<IpAddr, Source>,
    /// Buckets of classes limited as a whole (not per source).
    shared: FxHashMap<String, Bucket>,
    /// Dialogs and registrations per source.
    pub dialogs: FxHashMap<IpAddr, u32>,
    pub registrations: FxHashMap<IpAddr, u32>,
}

/// A blocked source, for `show sip blocked`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlockedSource {
    pub source: IpAddr,
    pub remaining_secs: u64,
    pub violations: usize,
}

impl Sources {
    pub fn is_blocked(&self, src: IpAddr, now: Instant) -> bool {
        self.map
            .get(&src)
            .and_then(|s| s.blocked_until)
            .is_some_and(|t| t > now)
    }

    /// Make room for a new source: forget idle, unblocked ones. `false` if still full.
    fn room(&mut self, now: Instant, max: usize) -> bool {
        if self.map.len() < max {
            return true;
        }
        self.map.retain(|_, s| {
            s.blocked_until.is_some_and(|t| t > now)
                || now.saturating_duration_since(s.last_seen) < Duration::from_secs(60)
        });
        self.map.len() < max
    }

    fn source(&mut self, src: IpAddr, now: Instant, max: usize) -> Option<&mut Source> {
        if !self.map.contains_key(&src) && !self.room(now, max) {
            return None;
        }
        let s = self.map.entry(src).or_insert_with(|| Source {
            buckets: Vec::new(),
            violations: VecDeque::new(),
            blocked_until: None,
            last_seen: now,
        });
        s.last_seen = now;
        Some(s)
    }

    /// Take a token for `key` from `src`'s bucket. `None` when the source table is full.
    pub fn allow(
        &mut self,
        src: IpAddr,
        key: &str,
        rate: u32,
        burst: u32,
        now: Instant,
        max: usize,
    ) -> Option<bool> {
        let s = self.source(src, now, max)?;
        if let Some((_, b)) = s.buckets.iter_mut().find(|(k, _)| k == key) {
            return Some(b.take(now, rate, burst));
        }
        if s.buckets.len() >= MAX_BUCKETS_PER_SOURCE {
            return Some(true);
        }
        let mut b = Bucket {
            tokens: f64::from(burst.max(1)),
            at: now,
        };
        let ok = b.take(now, rate, burst);
        s.buckets.push((key.to_string(), b));
        Some(ok)
    }

    /// A class limited as a whole.
    pub fn allow_shared(&mut self, key: &str, rate: u32, burst: u32, now: Instant) -> bool {
        if !self.shared.contains_key(key) && self.shared.len() >= 1024 {
            return true;
        }
        let b = self.shared.entry(key.to_string()).or_insert(Bucket {
            tokens: f64::from(burst.max(1)),
            at: now,
        });
        b.take(now, rate, burst)
    }

    /// Count a violation; `Some(duration)` when it blocks the source now.
    pub fn violation(&mut self, src: IpAddr, now: Instant, params: &SipParams) -> Option<Duration> {
        let bl = params.blocklist?;
        let s = self.source(src, now, params.max_sources as usize)?;
        if s.blocked_until.is_some_and(|t| t > now) {
            return None;
        }
        let window = Duration::from_secs(u64::from(bl.within_secs));
        while s
            .violations
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > window)
        {
            s.violations.pop_front();
        }
        s.violations.push_back(now);
        if s.violations.len() >= bl.violations.max(1) as usize {
            let d = Duration::from_secs(u64::from(bl.duration_secs));
            s.blocked_until = Some(now + d);
            return Some(d);
        }
        None
    }

    pub fn blocked(&self, now: Instant) -> Vec<BlockedSource> {
        let mut v: Vec<BlockedSource> = self
            .map
            .iter()
            .filter_map(|(ip, s)| {
                let until = s.blocked_until.filter(|t| *t > now)?;
                Some(BlockedSource {
                    source: *ip,
                    remaining_secs: until.saturating_duration_since(now).as_secs(),
                    violations: s.violations.len(),
                })
            })
            .collect();
        v.sort_by_key(|b| b.source);
        v
    }

    /// Unblock one source or all; returns how many were unblocked.
    pub fn clear_blocked(&mut self, which: Option<IpAddr>, now: Instant) -> usize {
        let mut n = 0;
        for (ip, s) in &mut self.map {
            if which.is_some_and(|w| w != *ip) {
                continue;
            }
            if s.blocked_until.take().is_some_and(|t| t > now) {
                n += 1;
            }
            s.violations.clear();
        }
        n
    }

    pub fn tracked(&self) -> usize {
        self.map.len()
    }
}

/// The per-source rate for a request method under `params`, if limited.
pub fn method_rate<'p>(params: &'p SipParams, method: &[u8]) -> Option<&'p MethodRate> {
    params
        .rate_limits
        .iter()
        .find(|r| r.method.as_bytes() == method)
        .or_else(|| params.rate_limits.iter().find(|r| r.method == "*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn buckets_refill_at_their_rate() {
        let mut s = Sources::default();
        let now = t0();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let ok = (0..30)
            .filter(|_| s.allow(ip, "INVITE", 10, 20, now, 100) == Some(true))
            .count();
        assert_eq!(ok, 20, "the burst");
        let later = now + Duration::from_millis(500);
        let ok = (0..30)
            .filter(|_| s.allow(ip, "INVITE", 10, 20, later, 100) == Some(true))
            .count();
        assert_eq!(ok, 5, "half a second at 10/s");
        // Another source has its own bucket.
        assert_eq!(
            s.allow("192.0.2.2".parse().unwrap(), "INVITE", 10, 20, later, 100),
            Some(true)
        );
    }

    #[test]
    fn violations_block_then_clear() {
        let mut s = Sources::default();
        let now = t0();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let params = SipParams {
            blocklist: Some(sipwall_config::Blocklist {
                violations: 3,
                within_secs: 10,
                duration_secs: 60,
            }),
            ..SipParams::default()
        };
        assert_eq!(s.violation(ip, now, &params), None);
        assert_eq!(s.violation(ip, now, &params), None);
        assert_eq!(s.violation(ip, now, &params), Some(Duration::from_secs(60)));
        assert!(s.is_blocked(ip, now + Duration::from_secs(59)));
        assert!(!s.is_blocked(ip, now + Duration::from_secs(61)));
        assert_eq!(s.blocked(now).len(), 1);
        assert_eq!(s.clear_blocked(None, now), 1);
        assert!(!s.is_blocked(ip, now));
        // Violations spread beyond the window do not block.
        for i in 0..5u64 {
            assert_eq!(
                s.violation(ip, now + Duration::from_secs(i * 20), &params),
                None
            );
        }
    }

    #[test]
    fn source_table_is_bounded() {
        let mut s = Sources::default();
        let now = t0();
        for i in 0..10u8 {
            assert!(s
                .allow(IpAddr::from([10, 0, 0, i]), "INVITE", 1, 1, now, 10)
                .is_some());
        }
        assert_eq!(
            s.allow(IpAddr::from([10, 0, 1, 0]), "INVITE", 1, 1, now, 10),
            None
        );
        // A minute later the idle ones make room.
        let later = now + Duration::from_secs(61);
        assert!(s
            .allow(IpAddr::from([10, 0, 1, 0]), "INVITE", 1, 1, later, 10)
            .is_some());
        assert!(s.tracked() <= 10);
    }
}
