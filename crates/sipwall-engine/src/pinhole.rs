//! Pinholes: narrow, temporary admissions opened from SIP signalling.
//!
//! A pinhole admits packets of one IP protocol to one destination address and port, from one
//! source address when the SDP names it (any source port: SDP does not give it). It is looked
//! up by (protocol, destination, port) on the first packet of a flow no session knows.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use crate::event::{PinholeKind, PinholePattern};

#[derive(Debug, Clone)]
pub struct Pinhole {
    pub id: u32,
    /// The id events use (never reused).
    pub serial: u64,
    pub pattern: PinholePattern,
    pub kind: PinholeKind,
    /// The call it belongs to (a slot in the call table), or a registration.
    pub owner: Owner,
    pub provisional: bool,
    pub last_used: Instant,
    pub idle: Duration,
    /// Hard expiry (registrations: the binding's lifetime).
    pub deadline: Option<Instant>,
    /// Flows it admitted (closed with it).
    pub flows: Vec<u32>,
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Call(u32),
    Registration,
}

impl Pinhole {
    pub fn expires_at(&self) -> Instant {
        let idle = self.last_used + self.idle;
        match self.deadline {
            Some(d) if d < idle => d,
            _ => idle,
        }
    }
}

/// Index key: protocol, destination, port, and the source the pattern names (`None` for any
/// source). Keying on the source keeps lookups O(1) even when thousands of calls hold
/// pinholes towards one trunk's SIP port from other sources: a packet from an unknown source
/// looks up two keys and never walks the calls.
type Index = (u8, IpAddr, u16, Option<IpAddr>);

fn key(pattern: &PinholePattern) -> Index {
    (pattern.proto, pattern.dst, pattern.dport, pattern.src)
}

#[derive(Debug)]
pub struct PinholeTable {
    slots: Vec<Option<Pinhole>>,
    free: Vec<u32>,
    index: FxHashMap<Index, Vec<u32>>,
    pub limit: usize,
    len: usize,
}

impl PinholeTable {
    pub fn new(limit: usize) -> Self {
        PinholeTable {
            slots: Vec::new(),
            free: Vec::new(),
            index: FxHashMap::default(),
            limit,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, id: u32) -> Option<&Pinhole> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut Pinhole> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    pub fn insert(&mut self, mut p: Pinhole) -> Option<u32> {
        if self.len >= self.limit {
            return None;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                let id = u32::try_from(self.slots.len()).ok()?;
                crate::flow::grow_slab(&mut self.slots);
                self.slots.push(None);
                id
            }
        };
        p.id = id;
        let k = key(&p.pattern);
        // Most destinations have one pinhole: start with room for one id, not four.
        self.index
            .entry(k)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(id);
        self.slots[id as usize] = Some(p);
        self.len += 1;
        Some(id)
    }

    pub fn remove(&mut self, id: u32) -> Option<Pinhole> {
        let p = self.slots.get_mut(id as usize)?.take()?;
        let k = key(&p.pattern);
        if let Some(v) = self.index.get_mut(&k) {
            v.retain(|x| *x != id);
            if v.is_empty() {
                self.index.remove(&k);
            }
        }
        self.free.push(id);
        self.len -= 1;
        Some(p)
    }

    /// The pinhole admitting a packet of `proto` from `src` to `dst:dport`, if any. A pinhole
    /// naming the source wins over one that does not.
    pub fn find(&self, proto: u8, src: IpAddr, dst: IpAddr, dport: u16) -> Option<u32> {
        self.index
            .get(&(proto, dst, dport, Some(src)))
            .or_else(|| self.index.get(&(proto, dst, dport, None)))
            .and_then(|ids| ids.first().copied())
    }

    /// A pinhole with exactly this pattern, kind and owner.
    pub fn find_exact(
        &self,
        pattern: &PinholePattern,
        kind: PinholeKind,
        owner: Owner,
    ) -> Option<u32> {
        let ids = self.index.get(&key(pattern))?;
        ids.iter().copied().find(|id| {
            self.get(*id)
                .is_some_and(|p| p.pattern == *pattern && p.kind == kind && p.owner == owner)
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pinhole> {
        self.slots.iter().filter_map(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn now() -> Instant {
        Instant::now()
    }

    fn ph(src: Option<&str>, dport: u16) -> Pinhole {
        let t = now();
        Pinhole {
            id: 0,
            serial: 0,
            pattern: PinholePattern {
                proto: 17,
                src: src.map(|s| s.parse().unwrap()),
                dst: "198.51.100.20".parse().unwrap(),
                dport,
            },
            kind: PinholeKind::Signalling,
            owner: Owner::Call(0),
            provisional: false,
            last_used: t,
            idle: Duration::from_secs(60),
            deadline: None,
            flows: Vec::new(),
            packets: 0,
            bytes: 0,
        }
    }

    #[test]
    fn lookups_by_source_then_any_source() {
        let mut t = PinholeTable::new(100_000);
        // Thousands of pinholes towards one trunk port, each from its own phone.
        for i in 0..5000u32 {
            let src = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            t.insert(ph(Some(&src), 5060)).unwrap();
        }
        let any = t.insert(ph(None, 5060)).unwrap();
        let specific = t
            .find(
                17,
                "10.0.19.135".parse().unwrap(),
                "198.51.100.20".parse().unwrap(),
                5060,
            )
            .unwrap();
        assert_eq!(
            t.get(specific).unwrap().pattern.src,
            Some("10.0.19.135".parse().unwrap())
        );
        // An unknown source falls back to the any-source pinhole, without walking the others.
        assert_eq!(
            t.find(
                17,
                "192.0.2.99".parse().unwrap(),
                "198.51.100.20".parse().unwrap(),
                5060
            ),
            Some(any)
        );
        t.remove(any).unwrap();
        assert_eq!(
            t.find(
                17,
                "192.0.2.99".parse().unwrap(),
                "198.51.100.20".parse().unwrap(),
                5060
            ),
            None
        );
        assert_eq!(
            t.find(
                17,
                "10.0.0.1".parse().unwrap(),
                "198.51.100.20".parse().unwrap(),
                5061
            ),
            None
        );
    }
}
