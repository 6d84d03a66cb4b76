//! Kernel fast path: media pinholes as nftables set elements with timeouts, so RTP, RTCP,
//! T.38 (UDPTL), other UDP media, IKE and ESP are marked in the kernel and accepted by the
//! iptables chains of [`crate::rules`] without being queued to user space.
//!
//! # How we talk to nftables (the choice, and why)
//! - **Hot path: netlink.** `netlink-packet-netfilter` 0.4 has an `nftables` module with
//!   `NFT_MSG_NEWSETELEM` / `NFT_MSG_DELSETELEM` / `NFT_MSG_GETSETELEM`, the element attributes
//!   `NFTA_SET_ELEM_TIMEOUT` / `NFTA_SET_ELEM_EXPIRATION`, and the `NFNL_MSG_BATCH_BEGIN/END`
//!   control messages, so element add/delete go to the kernel directly on one long-lived
//!   `netlink-sys` socket, one nf_tables transaction per event burst ([`FastPath::apply_all`]),
//!   with no process spawned per pinhole. Replies are walked by hand (see `netlink.rs`)
//!   because the crate's parser drops per-element counter values.
//! - **Table, sets and chains: `nft -f -`** once at [`FastPath::install`] and
//!   [`FastPath::remove`]: writing base chains with concatenated-key lookups as raw netlink
//!   expressions is long and brittle, and `nft` is the reference for that syntax. `rustables`
//!   was not needed.
//!
//! # What is in the kernel
//! Table `inet sipwall_fp` (see [`TABLE`]) with eight sets, all `flags timeout; counter;`
//! (every element carries its own packet/byte counter, bumped by the rule's lookup) and
//! `size` [`MAX_ELEMENTS`]:
//!
//! | set | key | for |
//! |---|---|---|
//! | `fp4_sdp` / `fp6_sdp` | `saddr . daddr . l4proto . th dport` | UDP pinholes with a source address |
//! | `fp4_dp` / `fp6_dp` | `daddr . l4proto . th dport` | UDP pinholes from any source |
//! | `fp4_sd_esp` / `fp6_sd_esp` | `saddr . daddr . l4proto` | ESP (proto 50, no port) with a source |
//! | `fp4_d_esp` / `fp6_d_esp` | `daddr . l4proto` | ESP from any source |
//!
//! Chain `fp` holds the lookups (`… @set meta mark set FASTPATH_MARK return`); base chains
//! `pre` (hook prerouting, forwarded and input traffic) and `out` (hook output, locally
//! originated traffic), both `type filter … priority mangle` (-150), jump to it, so the mark is
//! set before the iptables filter chains (priority 0) run. The fast path never accepts or
//! drops: an nft `accept` would not stop iptables' own base chain at the same hook. The
//! iptables side must put `-m mark --mark 0x51570001 -j ACCEPT` first in its chain.
//!
//! # What is offloaded
//! Media pinholes ([`PinholeKind::is_media`]) on UDP (17) and ESP (50) only. TCP media
//! (T.38 over TCP, BFCP) stays in the queue path: a pinhole admits one direction only, and
//! the reply direction of a TCP connection whose opening the engine never saw would be
//! refused by the engine. UDP media is opened per receiving side by the engine, so each
//! direction of RTP/RTCP/UDPTL/IKE has its own pinhole (and element). Signalling and
//! registration pinholes stay in the queue path (SIP must be inspected).
//!
//! # Timeouts and usage
//! An element's timeout is the pinhole's `idle_timeout` (plus [`TIMEOUT_MARGIN_MS`]).
//! [`FastPath::poll_usage`] (about once a second) dumps the counters, reports per-pinhole
//! deltas for `Engine::pinhole_seen`, and re-adds the elements whose counters moved with a
//! fresh `NFTA_SET_ELEM_EXPIRATION`, which refreshes the expiry without resetting the counter
//! on kernels that support element timeout updates (checked on 6.18). A `dynset update` in
//! the rule was tried and rejected: without an explicit timeout the kernel expires the
//! element at once, and with one every pinhole would get the same timeout. On kernels without
//! timeout updates an element expires `idle_timeout` after it was added, and the traffic falls
//! back to the queue path, where the engine (which keeps the pinhole while it is used) still
//! passes it.

mod netlink;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use sipwall_engine::{Event, PinholeKind, PinholePattern};

use netlink::{ElemOp, Nl, NlError, MAX_BATCH};

/// Packets matching a fast-path element carry this mark (`meta mark`).
pub const FASTPATH_MARK: u32 = 0x5157_0001;
/// The nftables table (family `inet`).
pub const TABLE: &str = "sipwall_fp";
/// Capacity of each set, and of the whole fast path (elements we track).
pub const MAX_ELEMENTS: usize = 65_536;
/// Added to each element's timeout so the kernel never expires an element before the engine
/// has had a chance (one `poll_usage` period) to learn that it was used.
pub const TIMEOUT_MARGIN_MS: u64 = 2_000;
/// Longest element timeout we ask for (the kernel refuses timeouts that overflow jiffies).
const MAX_TIMEOUT_MS: u64 = 7 * 24 * 3600 * 1000;

const IPPROTO_UDP: u8 = 17;
const IPPROTO_ESP: u8 = 50;
/// `ENOENT`: deleting an element the kernel already expired is not an error.
const ENOENT: i32 = 2;

/// Errors of the fast path. Kernel errors carry the errno.
#[derive(Debug, thiserror::Error)]
pub enum FastPathError {
    #[error("cannot run nft: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("nft failed (exit {status:?}): {stderr}")]
    Nft { status: Option<i32>, stderr: String },
    #[error("netlink socket: {0}")]
    Io(#[source] std::io::Error),
    #[error("nf_tables {op} in set {set}: errno {errno}")]
    Kernel {
        op: &'static str,
        set: &'static str,
        errno: i32,
    },
    #[error("nf_tables request rejected: errno {errno}")]
    Rejected { errno: i32 },
    #[error("malformed netlink reply at byte {offset}")]
    Decode { offset: usize },
    #[error("no netlink reply in time")]
    Timeout,
    #[error("fast path full ({limit} elements)")]
    Full { limit: usize },
}

impl From<NlError> for FastPathError {
    fn from(e: NlError) -> Self {
        match e {
            NlError::Io(e) => FastPathError::Io(e),
            NlError::Errno(errno) => FastPathError::Rejected { errno },
            NlError::Decode(offset) => FastPathError::Decode { offset },
            NlError::Timeout => FastPathError::Timeout,
        }
    }
}

/// One of the eight sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SetKind {
    V4Sdp,
    V4Dp,
    V4SdEsp,
    V4DEsp,
    V6Sdp,
    V6Dp,
    V6SdEsp,
    V6DEsp,
}

const ALL_SETS: [SetKind; 8] = [
    SetKind::V4Sdp,
    SetKind::V4Dp,
    SetKind::V4SdEsp,
    SetKind::V4DEsp,
    SetKind::V6Sdp,
    SetKind::V6Dp,
    SetKind::V6SdEsp,
    SetKind::V6DEsp,
];

impl SetKind {
    fn name(self) -> &'static str {
        match self {
            SetKind::V4Sdp => "fp4_sdp",
            SetKind::V4Dp => "fp4_dp",
            SetKind::V4SdEsp => "fp4_sd_esp",
            SetKind::V4DEsp => "fp4_d_esp",
            SetKind::V6Sdp => "fp6_sdp",
            SetKind::V6Dp => "fp6_dp",
            SetKind::V6SdEsp => "fp6_sd_esp",
            SetKind::V6DEsp => "fp6_d_esp",
        }
    }

    fn v6(self) -> bool {
        matches!(
            self,
            SetKind::V6Sdp | SetKind::V6Dp | SetKind::V6SdEsp | SetKind::V6DEsp
        )
    }

    fn with_src(self) -> bool {
        matches!(
            self,
            SetKind::V4Sdp | SetKind::V4SdEsp | SetKind::V6Sdp | SetKind::V6SdEsp
        )
    }

    fn esp(self) -> bool {
        matches!(
            self,
            SetKind::V4SdEsp | SetKind::V4DEsp | SetKind::V6SdEsp | SetKind::V6DEsp
        )
    }

    /// The set's declaration and its rule in chain `fp`.
    fn nft(self) -> (String, String) {
        let (addr, ip) = if self.v6() {
            ("ipv6_addr", "ip6")
        } else {
            ("ipv4_addr", "ip")
        };
        let mut ty = Vec::new();
        let mut expr = Vec::new();
        if self.with_src() {
            ty.push(addr);
            expr.push(format!("{ip} saddr"));
        }
        ty.push(addr);
        expr.push(format!("{ip} daddr"));
        ty.push("inet_proto");
        expr.push("meta l4proto".to_owned());
        if !self.esp() {
            ty.push("inet_service");
            expr.push("th dport".to_owned());
        }
        let name = self.name();
        let decl = format!(
            "  set {name} {{ type {}; flags timeout; counter; size {MAX_ELEMENTS}; }}\n",
            ty.join(" . ")
        );
        let proto = if self.esp() { "esp" } else { "udp" };
        let nfproto = if self.v6() { "ipv6" } else { "ipv4" };
        let rule = format!(
            "    meta nfproto {nfproto} meta l4proto {proto} {} @{name} meta mark set {FASTPATH_MARK:#010x} return\n",
            expr.join(" . ")
        );
        (decl, rule)
    }
}

/// The nft script that (re)creates the table: the leading `table` + `delete table` removes
/// a stale one in the same transaction.
fn install_script() -> String {
    let mut sets = String::new();
    let mut rules = String::new();
    for s in ALL_SETS {
        let (d, r) = s.nft();
        sets.push_str(&d);
        rules.push_str(&r);
    }
    format!(
        "table inet {TABLE}\ndelete table inet {TABLE}\ntable inet {TABLE} {{\n{sets}  chain fp {{\n{rules}  }}\n  \
         chain pre {{\n    type filter hook prerouting priority mangle; policy accept;\n    jump fp\n  }}\n  \
         chain out {{\n    type filter hook output priority mangle; policy accept;\n    jump fp\n  }}\n}}\n"
    )
}

fn remove_script() -> String {
    format!("table inet {TABLE}\ndelete table inet {TABLE}\n")
}

fn run_nft(script: &str) -> Result<(), FastPathError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FastPathError::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(FastPathError::Spawn)?;
    }
    let out = child.wait_with_output().map_err(FastPathError::Spawn)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(FastPathError::Nft {
            status: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// An element: which set, and its key bytes as the kernel stores them (each field of a
/// concatenation padded to 4 bytes; addresses and port in network byte order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ElemKey {
    set: SetKind,
    key: Vec<u8>,
}

/// Whether a pinhole of this kind and pattern is carried by the kernel fast path.
pub fn offloads(kind: PinholeKind, pattern: &PinholePattern) -> bool {
    kind.is_media() && elem_key(pattern).is_some()
}

fn elem_key(p: &PinholePattern) -> Option<ElemKey> {
    let esp = match p.proto {
        IPPROTO_UDP if p.dport != 0 => false,
        IPPROTO_ESP => true,
        _ => return None,
    };
    let v6 = p.dst.is_ipv6();
    if p.src.is_some_and(|s| s.is_ipv6() != v6) {
        return None;
    }
    let set = match (v6, p.src.is_some(), esp) {
        (false, true, false) => SetKind::V4Sdp,
        (false, false, false) => SetKind::V4Dp,
        (false, true, true) => SetKind::V4SdEsp,
        (false, false, true) => SetKind::V4DEsp,
        (true, true, false) => SetKind::V6Sdp,
        (true, false, false) => SetKind::V6Dp,
        (true, true, true) => SetKind::V6SdEsp,
        (true, false, true) => SetKind::V6DEsp,
    };
    let mut key = Vec::with_capacity(40);
    let mut addr = |a: IpAddr| match a {
        IpAddr::V4(a) => key.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => key.extend_from_slice(&a.octets()),
    };
    if let Some(s) = p.src {
        addr(s);
    }
    addr(p.dst);
    key.extend_from_slice(&[p.proto, 0, 0, 0]);
    if !esp {
        let [hi, lo] = p.dport.to_be_bytes();
        key.extend_from_slice(&[hi, lo, 0, 0]);
    }
    Some(ElemKey { set, key })
}

fn timeout_ms(idle_timeout: u64) -> u64 {
    idle_timeout
        .saturating_mul(1000)
        .saturating_add(TIMEOUT_MARGIN_MS)
        .min(MAX_TIMEOUT_MS)
}

#[derive(Debug)]
struct Elem {
    /// Pinholes sharing this element (the same pattern opened twice, e.g. by a re-INVITE).
    owners: Vec<u64>,
    timeout_ms: u64,
    /// Counter values at the last `poll_usage`.
    packets: u64,
    bytes: u64,
}

#[derive(Debug, Clone)]
enum Pending {
    Add {
        key: ElemKey,
        timeout_ms: u64,
        refresh: bool,
    },
    Del {
        key: ElemKey,
    },
}

/// Bookkeeping without I/O: which pinhole owns which element. Split out so that the event
/// handling is unit-testable without a kernel.
#[derive(Debug, Default)]
struct Book {
    pinholes: HashMap<u64, Vec<ElemKey>>,
    elems: HashMap<ElemKey, Elem>,
}

impl Book {
    /// Turn one event into kernel operations (appended to `ops`).
    fn event(&mut self, ev: &Event, ops: &mut Vec<Pending>) -> Result<(), FastPathError> {
        match ev {
            Event::PinholeOpen {
                pinhole,
                kind,
                pattern,
                idle_timeout,
                ..
            } => {
                if !kind.is_media() {
                    return Ok(());
                }
                let Some(key) = elem_key(pattern) else {
                    return Ok(());
                };
                let t = timeout_ms(*idle_timeout);
                if let Some(old) = self.pinholes.get(pinhole) {
                    if old.contains(&key) {
                        return Ok(());
                    }
                    self.close(*pinhole, ops);
                }
                self.open(*pinhole, key, t, ops)
            }
            Event::PinholeUpdate {
                pinhole,
                kind,
                pattern,
                ..
            } => {
                if !kind.is_media() {
                    return Ok(());
                }
                let Some(old) = self.pinholes.get(pinhole) else {
                    return Ok(());
                };
                let new = elem_key(pattern);
                if new.as_ref().is_some_and(|k| old.contains(k)) {
                    return Ok(());
                }
                let t = old
                    .first()
                    .and_then(|k| self.elems.get(k))
                    .map_or(timeout_ms(0), |e| e.timeout_ms);
                self.close(*pinhole, ops);
                match new {
                    Some(key) => self.open(*pinhole, key, t, ops),
                    None => Ok(()),
                }
            }
            Event::PinholeClose { pinhole, .. } => {
                self.close(*pinhole, ops);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn open(
        &mut self,
        id: u64,
        key: ElemKey,
        timeout_ms: u64,
        ops: &mut Vec<Pending>,
    ) -> Result<(), FastPathError> {
        if let Some(e) = self.elems.get_mut(&key) {
            if !e.owners.contains(&id) {
                e.owners.push(id);
            }
            if timeout_ms > e.timeout_ms {
                e.timeout_ms = timeout_ms;
                ops.push(Pending::Add {
                    key: key.clone(),
                    timeout_ms,
                    refresh: true,
                });
            }
        } else {
            if self.elems.len() >= MAX_ELEMENTS {
                return Err(FastPathError::Full {
                    limit: MAX_ELEMENTS,
                });
            }
            self.elems.insert(
                key.clone(),
                Elem {
                    owners: vec![id],
                    timeout_ms,
                    packets: 0,
                    bytes: 0,
                },
            );
            ops.push(Pending::Add {
                key: key.clone(),
                timeout_ms,
                refresh: false,
            });
        }
        self.pinholes.entry(id).or_default().push(key);
        Ok(())
    }

    fn close(&mut self, id: u64, ops: &mut Vec<Pending>) {
        let Some(keys) = self.pinholes.remove(&id) else {
            return;
        };
        for key in keys {
            let last = match self.elems.get_mut(&key) {
                Some(e) => {
                    e.owners.retain(|o| *o != id);
                    e.owners.is_empty()
                }
                None => false,
            };
            if last {
                self.elems.remove(&key);
                ops.push(Pending::Del { key });
            }
        }
    }

    /// Forget an element the kernel does not have (it expired, or adding it failed).
    fn forget(&mut self, key: &ElemKey) {
        if let Some(e) = self.elems.remove(key) {
            for o in e.owners {
                if let Some(keys) = self.pinholes.get_mut(&o) {
                    keys.retain(|k| k != key);
                    if keys.is_empty() {
                        self.pinholes.remove(&o);
                    }
                }
            }
        }
    }
}

/// The kernel fast path: one nftables table in the current network namespace.
pub struct FastPath {
    nl: Nl,
    book: Book,
}

impl FastPath {
    /// Create (or recreate, removing a stale one) the table `inet sipwall_fp` with its sets
    /// and chains (see the module documentation), and open the netlink socket. Operates in
    /// the network namespace of the calling process.
    pub fn install(netns_note: ()) -> Result<FastPath, FastPathError> {
        let () = netns_note;
        run_nft(&install_script())?;
        let nl = Nl::open(TABLE)?;
        Ok(FastPath {
            nl,
            book: Book::default(),
        })
    }

    /// Remove a table left by an earlier run (e.g. after `kill -9`) without installing one;
    /// for a start with `--no-fastpath`. No error when there is none.
    pub fn cleanup_stale() -> Result<(), FastPathError> {
        run_nft(&remove_script())
    }

    /// Apply one engine event: `PinholeOpen` / `PinholeUpdate` add an element (timeout =
    /// `idle_timeout`), `PinholeClose` deletes it. Other events and non-media or non-UDP/ESP
    /// pinholes are ignored (see [`offloads`]).
    pub fn apply(&mut self, ev: &Event) -> Result<(), FastPathError> {
        self.apply_all(std::slice::from_ref(ev))
    }

    /// Apply a burst of events as one nf_tables transaction (per [`MAX_BATCH`] operations).
    /// Every event is applied even when one fails; the first error is returned.
    pub fn apply_all(&mut self, evs: &[Event]) -> Result<(), FastPathError> {
        let mut ops = Vec::new();
        let mut first_err = None;
        for ev in evs {
            if let Err(e) = self.book.event(ev, &mut ops) {
                first_err.get_or_insert(e);
            }
        }
        let r = self.send(&ops);
        match first_err {
            Some(e) => Err(e),
            None => r,
        }
    }

    /// Per-pinhole traffic since the last call, from the element counters, as
    /// `(pinhole id, packets, bytes)` for `Engine::pinhole_seen`; refreshes the timeouts of
    /// the elements that carried traffic, and forgets those the kernel expired.
    pub fn poll_usage(&mut self) -> Result<Vec<(u64, u64, u64)>, FastPathError> {
        let mut usage: HashMap<u64, (u64, u64)> = HashMap::new();
        let mut ops = Vec::new();
        let active: HashSet<SetKind> = self.book.elems.keys().map(|k| k.set).collect();
        for set in ALL_SETS {
            if !active.contains(&set) {
                continue;
            }
            let dumped = self.nl.dump(set.name())?;
            let mut seen = HashSet::with_capacity(dumped.len());
            for d in dumped {
                let key = ElemKey { set, key: d.key };
                let Some(e) = self.book.elems.get_mut(&key) else {
                    // Not ours (left from elsewhere): no unknown pinholes in the kernel.
                    ops.push(Pending::Del { key });
                    continue;
                };
                // A counter below the last value means the element was recreated.
                let dp = d.packets.checked_sub(e.packets).unwrap_or(d.packets);
                let db = d.bytes.checked_sub(e.bytes).unwrap_or(d.bytes);
                e.packets = d.packets;
                e.bytes = d.bytes;
                if dp > 0 {
                    for o in &e.owners {
                        let u = usage.entry(*o).or_default();
                        u.0 = u.0.saturating_add(dp);
                        u.1 = u.1.saturating_add(db);
                    }
                    ops.push(Pending::Add {
                        key: key.clone(),
                        timeout_ms: e.timeout_ms,
                        refresh: true,
                    });
                }
                seen.insert(key);
            }
            let gone: Vec<ElemKey> = self
                .book
                .elems
                .keys()
                .filter(|k| k.set == set && !seen.contains(*k))
                .cloned()
                .collect();
            for k in &gone {
                self.book.forget(k);
            }
        }
        self.send(&ops)?;
        let mut out: Vec<(u64, u64, u64)> =
            usage.into_iter().map(|(id, (p, b))| (id, p, b)).collect();
        out.sort_unstable();
        Ok(out)
    }

    /// Elements currently in the kernel (as far as we know).
    pub fn element_count(&self) -> usize {
        self.book.elems.len()
    }

    /// Remove the table (and with it every element).
    pub fn remove(self) -> Result<(), FastPathError> {
        drop(self.nl);
        run_nft(&remove_script())
    }

    /// Send operations, one transaction per [`MAX_BATCH`]. When a transaction fails (the
    /// kernel aborts all of it) its operations are retried one by one: a delete of an element
    /// the kernel already expired is fine; a failed add is forgotten and reported.
    fn send(&mut self, ops: &[Pending]) -> Result<(), FastPathError> {
        let mut first_err = None;
        for chunk in ops.chunks(MAX_BATCH) {
            let failed = self.nl.batch(&elem_ops(chunk))?;
            if failed.is_empty() {
                continue;
            }
            for op in chunk {
                let failed = self.nl.batch(&elem_ops(std::slice::from_ref(op)))?;
                let Some(&(_, errno)) = failed.first() else {
                    continue;
                };
                match op {
                    Pending::Del { .. } if errno == ENOENT => {}
                    Pending::Del { key } => {
                        first_err.get_or_insert(FastPathError::Kernel {
                            op: "delete",
                            set: key.set.name(),
                            errno,
                        });
                    }
                    Pending::Add { key, .. } => {
                        self.book.forget(key);
                        first_err.get_or_insert(FastPathError::Kernel {
                            op: "add",
                            set: key.set.name(),
                            errno,
                        });
                    }
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn elem_ops(ops: &[Pending]) -> Vec<ElemOp<'_>> {
    ops.iter()
        .map(|op| match op {
            Pending::Add {
                key,
                timeout_ms,
                refresh,
            } => ElemOp::Add {
                set: key.set.name(),
                key: &key.key,
                timeout_ms: *timeout_ms,
                refresh: *refresh,
            },
            Pending::Del { key } => ElemOp::Del {
                set: key.set.name(),
                key: &key.key,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn pat(proto: u8, src: Option<IpAddr>, dst: IpAddr, dport: u16) -> PinholePattern {
        PinholePattern {
            proto,
            src,
            dst,
            dport,
        }
    }

    fn open(id: u64, kind: PinholeKind, pattern: PinholePattern) -> Event {
        Event::PinholeOpen {
            pinhole: id,
            call_id: Some("c".into()),
            kind,
            pattern,
            provisional: false,
            idle_timeout: 30,
        }
    }

    fn close(id: u64, pattern: PinholePattern) -> Event {
        Event::PinholeClose {
            pinhole: id,
            call_id: None,
            kind: PinholeKind::Rtp,
            pattern,
            reason: "bye",
            packets: 0,
            bytes: 0,
        }
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

    #[test]
    fn keys_are_padded_concatenations() {
        let k = elem_key(&pat(17, Some(A), B, 4000)).unwrap();
        assert_eq!(k.set, SetKind::V4Sdp);
        assert_eq!(
            k.key,
            [192, 0, 2, 10, 198, 51, 100, 20, 17, 0, 0, 0, 0x0f, 0xa0, 0, 0]
        );
        let k = elem_key(&pat(17, None, B, 4001)).unwrap();
        assert_eq!(k.set, SetKind::V4Dp);
        assert_eq!(k.key, [198, 51, 100, 20, 17, 0, 0, 0, 0x0f, 0xa1, 0, 0]);
        let k = elem_key(&pat(50, Some(A), B, 0)).unwrap();
        assert_eq!(k.set, SetKind::V4SdEsp);
        assert_eq!(k.key, [192, 0, 2, 10, 198, 51, 100, 20, 50, 0, 0, 0]);
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        let k = elem_key(&pat(50, None, v6, 0)).unwrap();
        assert_eq!(k.set, SetKind::V6DEsp);
        assert_eq!(k.key.len(), 20);
        let k = elem_key(&pat(17, Some(v6), v6, 5)).unwrap();
        assert_eq!((k.set, k.key.len()), (SetKind::V6Sdp, 40));
    }

    #[test]
    fn tcp_mixed_families_and_port_zero_are_not_offloaded() {
        assert!(elem_key(&pat(6, None, B, 4000)).is_none());
        assert!(elem_key(&pat(17, None, B, 0)).is_none());
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert!(elem_key(&pat(17, Some(v6), B, 4000)).is_none());
        assert!(!offloads(PinholeKind::Signalling, &pat(17, None, B, 5060)));
        assert!(offloads(PinholeKind::Rtp, &pat(17, None, B, 4000)));
    }

    #[test]
    fn open_close_and_shared_elements() {
        let mut b = Book::default();
        let mut ops = Vec::new();
        let p = pat(17, None, B, 4000);
        b.event(&open(1, PinholeKind::Rtp, p), &mut ops).unwrap();
        b.event(&open(2, PinholeKind::Rtp, p), &mut ops).unwrap();
        // Signalling pinholes stay in the queue path.
        b.event(
            &open(3, PinholeKind::Signalling, pat(17, None, B, 5060)),
            &mut ops,
        )
        .unwrap();
        assert_eq!(ops.len(), 1);
        assert!(matches!(
            &ops[0],
            Pending::Add {
                timeout_ms: 32_000,
                refresh: false,
                ..
            }
        ));
        assert_eq!(b.elems.len(), 1);
        ops.clear();
        b.event(&close(1, p), &mut ops).unwrap();
        assert!(ops.is_empty(), "still used by pinhole 2");
        b.event(&close(2, p), &mut ops).unwrap();
        assert!(matches!(&ops[..], [Pending::Del { .. }]));
        assert!(b.elems.is_empty() && b.pinholes.is_empty());
        ops.clear();
        b.event(&close(9, p), &mut ops).unwrap();
        assert!(ops.is_empty());
    }

    #[test]
    fn update_moves_the_element() {
        let mut b = Book::default();
        let mut ops = Vec::new();
        b.event(&open(1, PinholeKind::Rtp, pat(17, None, B, 4000)), &mut ops)
            .unwrap();
        ops.clear();
        let ev = Event::PinholeUpdate {
            pinhole: 1,
            call_id: None,
            kind: PinholeKind::Rtp,
            pattern: pat(17, Some(A), B, 4000),
            provisional: false,
        };
        b.event(&ev, &mut ops).unwrap();
        assert!(matches!(
            &ops[..],
            [
                Pending::Del { .. },
                Pending::Add {
                    timeout_ms: 32_000,
                    ..
                }
            ]
        ));
        assert_eq!(b.pinholes[&1][0].set, SetKind::V4Sdp);
        ops.clear();
        b.event(&ev, &mut ops).unwrap();
        assert!(ops.is_empty(), "same pattern: nothing to do");
    }

    #[test]
    fn forget_drops_owner_links() {
        let mut b = Book::default();
        let mut ops = Vec::new();
        let p = pat(17, None, B, 4000);
        b.event(&open(1, PinholeKind::Rtp, p), &mut ops).unwrap();
        let k = elem_key(&p).unwrap();
        b.forget(&k);
        assert!(b.elems.is_empty() && b.pinholes.is_empty());
        ops.clear();
        b.event(&close(1, p), &mut ops).unwrap();
        assert!(ops.is_empty());
    }

    #[test]
    fn timeouts_are_clamped() {
        assert_eq!(timeout_ms(0), 2_000);
        assert_eq!(timeout_ms(u64::MAX), MAX_TIMEOUT_MS);
    }

    #[test]
    fn script_names_table_sets_and_hooks() {
        let s = install_script();
        assert!(s.starts_with("table inet sipwall_fp\ndelete table inet sipwall_fp\n"));
        for set in ALL_SETS {
            assert!(s.contains(&format!("set {} {{", set.name())));
        }
        assert!(s.contains("ip saddr . ip daddr . meta l4proto . th dport @fp4_sdp meta mark set 0x51570001 return"));
        assert!(s.contains("ip6 daddr . meta l4proto @fp6_d_esp"));
        assert!(s.contains("hook prerouting priority mangle"));
        assert!(s.contains("hook output priority mangle"));
    }
}
