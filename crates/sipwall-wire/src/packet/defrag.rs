//! IPv4 and IPv6 fragment reassembly (RFC 791 §3.2 "Fragmentation and Reassembly", RFC 8200
//! §4.5, RFC 5722 for overlaps). No clock: every call takes `now`.
//!
//! Policy, in the order checks are made for each fragment:
//! 1. A fragment whose M flag is set and whose data length is not a non-zero multiple of 8 is
//!    dropped (RFC 8200 §4.5; RFC 791 sets fragment boundaries on 8-octet units).
//! 2. A fragment that would make the reassembled packet longer than
//!    [`DefragLimits::max_datagram_len`] (65,535 by default) is dropped (RFC 8200 §4.5; for IPv4
//!    the Total Length field cannot express more).
//! 3. An exact duplicate (same offset, same bytes) is ignored (RFC 8200 §4.5 allows this).
//! 4. Any other overlap: for IPv6 the whole datagram is discarded (RFC 5722 §3, RFC 8200 §4.5).
//!    For IPv4, an overlap whose bytes agree with what is already held is accepted; an overlap
//!    with different bytes discards the whole datagram (so no reassembly policy — first-wins or
//!    last-wins — can make the firewall see other bytes than the receiving host).
//! 5. Two different ends (two last fragments, or data past the last fragment's end) discard the
//!    whole datagram.
//! 6. More than [`DefragLimits::max_fragments`] fragments discard the whole datagram.
//!
//! A datagram not complete [`DefragLimits::timeout`] after its first fragment arrived is
//! discarded by [`Defragmenter::handle_timeout`]. When [`DefragLimits::max_datagrams`] datagrams
//! are pending (or [`DefragLimits::max_total_bytes`] are held), the oldest is evicted to make room.
//!
//! Datagrams are keyed by (source, destination, protocol, identification) for IPv4 (RFC 791)
//! and (source, destination, identification) for IPv6 (RFC 8200 §4.5: the Next Header of
//! non-first fragments may differ and is not part of the key).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{ipv4_header_checksum, PacketView};

/// Limits of the defragmenter. Every table it keeps is bounded by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragLimits {
    /// How long a datagram may wait for its missing fragments (RFC 8200 §4.5 uses 60 s; the
    /// default here is 30 s).
    pub timeout: Duration,
    /// Most datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// Largest reassembled packet, IP header included.
    pub max_datagram_len: usize,
    /// Most fragments one datagram may have.
    pub max_fragments: usize,
    /// Most bytes held across all pending datagrams.
    pub max_total_bytes: usize,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            timeout: Duration::from_secs(30),
            max_datagrams: 1024,
            max_datagram_len: 65_535,
            max_fragments: 64,
            max_total_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why a fragment (and maybe its datagram) was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// The view passed in is not a fragment.
    NotAFragment,
    /// A non-last fragment whose length is zero or not a multiple of 8.
    BadLength,
    /// The reassembled packet would exceed `max_datagram_len`.
    TooLarge,
    /// Overlapping fragments (IPv6: any; IPv4: with conflicting bytes). Datagram discarded.
    Overlap,
    /// The fragments disagree on where the datagram ends. Datagram discarded.
    Inconsistent,
    /// More than `max_fragments` fragments. Datagram discarded.
    TooManyFragments,
}

impl DropReason {
    /// A stable snake_case name for logs and counters.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotAFragment => "not_a_fragment",
            DropReason::BadLength => "bad_length",
            DropReason::TooLarge => "too_large",
            DropReason::Overlap => "overlap",
            DropReason::Inconsistent => "inconsistent",
            DropReason::TooManyFragments => "too_many_fragments",
        }
    }
}

/// What became of one fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum DefragOutcome {
    /// The datagram is complete: a raw IP packet (decode it with `LinkType::RAW`).
    Complete(Vec<u8>),
    /// Held, waiting for more fragments (duplicates also answer `Pending`).
    Pending,
    /// Dropped; see the reason.
    Dropped(DropReason),
}

/// Running counts, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DefragCounters {
    pub fragments: u64,
    pub completed: u64,
    pub duplicates: u64,
    pub dropped_bad_length: u64,
    pub dropped_too_large: u64,
    pub dropped_overlap: u64,
    pub dropped_inconsistent: u64,
    pub dropped_too_many_fragments: u64,
    pub dropped_not_fragment: u64,
    /// Datagrams discarded because they did not complete in time.
    pub timed_out: u64,
    /// Datagrams evicted to respect `max_datagrams` / `max_total_bytes`.
    pub evicted: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    /// IPv4 protocol; 0 for IPv6 (not part of the IPv6 key).
    proto: u8,
    id: u32,
}

#[derive(Debug)]
struct Datagram {
    deadline: Instant,
    serial: u64,
    v6: bool,
    /// IP header (IPv4) or Unfragmentable Part (IPv6) of the offset-0 fragment.
    header: Option<Vec<u8>>,
    /// IPv6: position of the Next Header byte to patch, and the protocol to write there.
    next_header: Option<(usize, u8)>,
    /// (offset, data), sorted by offset.
    frags: Vec<(u32, Vec<u8>)>,
    /// End of the datagram's payload, once the last fragment is seen.
    end: Option<u32>,
    bytes: usize,
}

/// Reassembles IPv4 and IPv6 fragments. See the module docs for the policy.
#[derive(Debug)]
pub struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<Key, Datagram>,
    /// Expiry order: (deadline, serial) -> key.
    expiry: BTreeMap<(Instant, u64), Key>,
    next_serial: u64,
    total_bytes: usize,
    counters: DefragCounters,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter::new(DefragLimits::default())
    }
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::new(),
            expiry: BTreeMap::new(),
            next_serial: 0,
            total_bytes: 0,
            counters: DefragCounters::default(),
        }
    }

    pub fn limits(&self) -> &DefragLimits {
        &self.limits
    }

    pub fn counters(&self) -> &DefragCounters {
        &self.counters
    }

    /// Datagrams waiting for fragments.
    pub fn pending_datagrams(&self) -> usize {
        self.pending.len()
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has something to expire.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiry.keys().next().map(|(t, _)| *t)
    }

    /// Discard every datagram whose deadline is at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((&(deadline, serial), _)) = self.expiry.iter().next() {
            if deadline > now {
                break;
            }
            if let Some(key) = self.expiry.remove(&(deadline, serial)) {
                if let Some(d) = self.pending.remove(&key) {
                    self.total_bytes = self.total_bytes.saturating_sub(d.bytes);
                }
            }
            self.counters.timed_out += 1;
        }
    }

    /// Take one fragment (a view whose `fragment` is set) and say what became of it.
    pub fn handle_fragment(&mut self, now: Instant, view: &PacketView<'_>) -> DefragOutcome {
        self.handle_timeout(now);
        let Some(frag) = view.fragment else {
            self.counters.dropped_not_fragment += 1;
            return DefragOutcome::Dropped(DropReason::NotAFragment);
        };
        self.counters.fragments += 1;
        let data = view.ip.get(frag.data_offset..).unwrap_or(&[]);
        let v6 = view.is_ipv6();
        if frag.more && (data.is_empty() || data.len() % 8 != 0) {
            self.counters.dropped_bad_length += 1;
            return DefragOutcome::Dropped(DropReason::BadLength);
        }
        let start = frag.offset;
        let end_usize = (start as usize).saturating_add(data.len());
        if frag.header_len.saturating_add(end_usize) > self.limits.max_datagram_len {
            self.counters.dropped_too_large += 1;
            return DefragOutcome::Dropped(DropReason::TooLarge);
        }
        // Fits in u32: bounded by max_datagram_len above only if that limit is sane; clamp.
        let end = u32::try_from(end_usize).unwrap_or(u32::MAX);
        let key = Key {
            src: view.src,
            dst: view.dst,
            proto: if v6 { 0 } else { view.proto },
            id: frag.id,
        };
        let held = data
            .len()
            .saturating_add(if start == 0 { frag.header_len } else { 0 });
        if !self.pending.contains_key(&key) {
            self.make_room(held);
            let serial = self.next_serial;
            self.next_serial = self.next_serial.wrapping_add(1);
            let deadline = now.checked_add(self.limits.timeout).unwrap_or(now);
            self.expiry.insert((deadline, serial), key);
            self.pending.insert(
                key,
                Datagram {
                    deadline,
                    serial,
                    v6,
                    header: None,
                    next_header: None,
                    frags: Vec::new(),
                    end: None,
                    bytes: 0,
                },
            );
        }
        let max_fragments = self.limits.max_fragments;
        let Some(d) = self.pending.get_mut(&key) else {
            // Inserted just above.
            return DefragOutcome::Pending;
        };
        match check(d, start, end, frag.more, data, max_fragments) {
            Check::Ok => {}
            Check::Duplicate => {
                self.counters.duplicates += 1;
                return DefragOutcome::Pending;
            }
            Check::Discard(reason) => {
                match reason {
                    DropReason::Overlap => self.counters.dropped_overlap += 1,
                    DropReason::Inconsistent => self.counters.dropped_inconsistent += 1,
                    DropReason::TooManyFragments => self.counters.dropped_too_many_fragments += 1,
                    _ => {}
                }
                self.remove(&key);
                return DefragOutcome::Dropped(reason);
            }
        }
        if !frag.more {
            d.end = Some(end);
        }
        if start == 0 && d.header.is_none() {
            d.header = Some(view.ip.get(..frag.header_len).unwrap_or(&[]).to_vec());
            if let Some(pos) = frag.next_header_pos {
                d.next_header = Some((pos, view.proto));
            }
        }
        let idx = d.frags.partition_point(|(s, _)| *s <= start);
        d.frags.insert(idx, (start, data.to_vec()));
        d.bytes = d.bytes.saturating_add(held);
        self.total_bytes = self.total_bytes.saturating_add(held);

        let Some(packet) = assemble(d) else {
            return DefragOutcome::Pending;
        };
        self.remove(&key);
        self.counters.completed += 1;
        DefragOutcome::Complete(packet)
    }

    fn remove(&mut self, key: &Key) {
        if let Some(d) = self.pending.remove(key) {
            self.expiry.remove(&(d.deadline, d.serial));
            self.total_bytes = self.total_bytes.saturating_sub(d.bytes);
        }
    }

    /// Evict the oldest datagrams until one more, holding `extra` bytes, fits.
    fn make_room(&mut self, extra: usize) {
        while !self.pending.is_empty()
            && (self.pending.len() >= self.limits.max_datagrams
                || self.total_bytes.saturating_add(extra) > self.limits.max_total_bytes)
        {
            let Some((_, key)) = self.expiry.pop_first() else {
                break;
            };
            if let Some(d) = self.pending.remove(&key) {
                self.total_bytes = self.total_bytes.saturating_sub(d.bytes);
            }
            self.counters.evicted += 1;
        }
    }
}

enum Check {
    Ok,
    Duplicate,
    Discard(DropReason),
}

fn check(d: &Datagram, start: u32, end: u32, more: bool, data: &[u8], max: usize) -> Check {
    // Ends (RFC 791: the last fragment fixes the total length).
    if let Some(e) = d.end {
        if (!more && e != end) || end > e {
            return Check::Discard(DropReason::Inconsistent);
        }
    }
    if !more
        && d.frags
            .iter()
            .any(|(s, b)| (*s as usize) + b.len() > end as usize)
    {
        return Check::Discard(DropReason::Inconsistent);
    }
    for (s, b) in &d.frags {
        let s_end = (*s as usize) + b.len();
        let (lo, hi) = ((start as usize).max(*s as usize), (end as usize).min(s_end));
        if lo >= hi {
            continue;
        }
        if *s == start && b.as_slice() == data {
            return Check::Duplicate;
        }
        if d.v6 {
            return Check::Discard(DropReason::Overlap);
        }
        let mine = data.get(lo - start as usize..hi - start as usize);
        let theirs = b.get(lo - *s as usize..hi - *s as usize);
        if mine.is_none() || mine != theirs {
            return Check::Discard(DropReason::Overlap);
        }
    }
    if d.frags.len() >= max {
        return Check::Discard(DropReason::TooManyFragments);
    }
    Check::Ok
}

/// The reassembled packet, if every byte from 0 to the end is held.
fn assemble(d: &Datagram) -> Option<Vec<u8>> {
    let end = d.end? as usize;
    let header = d.header.as_ref()?;
    let mut covered = 0usize;
    for (s, b) in &d.frags {
        if *s as usize > covered {
            return None;
        }
        covered = covered.max(*s as usize + b.len());
    }
    if covered < end {
        return None;
    }
    let hlen = header.len();
    let mut out = Vec::with_capacity(hlen + end);
    out.extend_from_slice(header);
    out.resize(hlen + end, 0);
    for (s, b) in &d.frags {
        let at = hlen + *s as usize;
        if let Some(dst) = out.get_mut(at..at + b.len()) {
            dst.copy_from_slice(b);
        }
    }
    if d.v6 {
        // RFC 8200 §4.5: Payload Length = Unfragmentable Part (less the IPv6 header) + payload;
        // the Next Header that pointed at the Fragment header takes the fragmented protocol.
        let plen = u16::try_from(hlen.saturating_sub(40) + end).ok()?;
        out.get_mut(4..6)?.copy_from_slice(&plen.to_be_bytes());
        let (pos, proto) = d.next_header?;
        *out.get_mut(pos)? = proto;
    } else {
        // RFC 791 §3.2: Total Length = header + data; MF and Fragment Offset cleared (the
        // reserved and DF bits are kept); header checksum recomputed.
        let total = u16::try_from(hlen + end).ok()?;
        out.get_mut(2..4)?.copy_from_slice(&total.to_be_bytes());
        let flags = out.get(6).copied()? & 0xC0;
        out.get_mut(6..8)?.copy_from_slice(&[flags, 0]);
        let sum = ipv4_header_checksum(out.get(..hlen)?);
        out.get_mut(10..12)?.copy_from_slice(&sum.to_be_bytes());
    }
    Some(out)
}

/// Split an unfragmented IPv4 packet (`packet` starts at the IP header) into fragments whose
/// data is at most `max_data` bytes (rounded down to a multiple of 8, at least 8), as a router
/// would (RFC 791 §3.2). Every fragment gets a copy of the full header, options included.
/// Returns `None` when `packet` is not a well-formed IPv4 packet. Meant for tests and examples.
pub fn fragment_ipv4(packet: &[u8], max_data: usize) -> Option<Vec<Vec<u8>>> {
    let h = etherparse::Ipv4HeaderSlice::from_slice(packet).ok()?;
    let hlen = usize::from(h.ihl()) * 4;
    let total = usize::from(h.total_len());
    let payload = packet.get(hlen..total)?;
    let header = packet.get(..hlen)?;
    let chunk = (max_data / 8).max(1) * 8;
    let n = payload.len().div_ceil(chunk).max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let from = i * chunk;
        let data = payload.get(from..(from + chunk).min(payload.len()))?;
        let more = i + 1 < n;
        let mut f = Vec::with_capacity(hlen + data.len());
        f.extend_from_slice(header);
        f.extend_from_slice(data);
        let len = u16::try_from(f.len()).ok()?;
        f.get_mut(2..4)?.copy_from_slice(&len.to_be_bytes());
        let word = u16::try_from(from / 8).ok()? | if more { 0x2000 } else { 0 };
        f.get_mut(6..8)?.copy_from_slice(&word.to_be_bytes());
        let sum = ipv4_header_checksum(f.get(..hlen)?);
        f.get_mut(10..12)?.copy_from_slice(&sum.to_be_bytes());
        out.push(f);
    }
    Some(out)
}

/// Split an IPv6 packet (`packet` starts at the IPv6 header) into fragments carrying at most
/// `max_data` bytes each (rounded down to a multiple of 8, at least 8), with Fragment headers
/// (RFC 8200 §4.5) using identification `id`. The Unfragmentable Part is taken to be the
/// 40-byte IPv6 header alone: extension headers, if any, travel in the fragmentable part.
/// Returns `None` when `packet` is not an IPv6 packet. Meant for tests and examples.
pub fn fragment_ipv6(packet: &[u8], max_data: usize, id: u32) -> Option<Vec<Vec<u8>>> {
    let h = etherparse::Ipv6HeaderSlice::from_slice(packet).ok()?;
    let plen = usize::from(h.payload_length());
    let payload = packet.get(40..40 + plen)?;
    let header = packet.get(..40)?;
    let next = h.next_header().0;
    let chunk = (max_data / 8).max(1) * 8;
    let n = payload.len().div_ceil(chunk).max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let from = i * chunk;
        let data = payload.get(from..(from + chunk).min(payload.len()))?;
        let more = i + 1 < n;
        let mut f = Vec::with_capacity(48 + data.len());
        f.extend_from_slice(header);
        let word = (u16::try_from(from / 8).ok()? << 3) | u16::from(more);
        f.extend_from_slice(&[next, 0]);
        f.extend_from_slice(&word.to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(data);
        let plen = u16::try_from(8 + data.len()).ok()?;
        f.get_mut(4..6)?.copy_from_slice(&plen.to_be_bytes());
        *f.get_mut(6)? = super::ip_proto::IPV6_FRAG;
        out.push(f);
    }
    Some(out)
}
