//! The flow (session) table and TCP state tracking.
//!
//! A flow is created by an `inspect` decision or by a pinhole; its return traffic is accepted
//! while it lives. UDP and ICMP flows live by idle timeout. TCP flows follow the handshake,
//! FIN and RST, and check that each segment falls in the window the peer advertised (a
//! simplified form of the Linux conntrack rules: a segment must not start beyond what the
//! receiver allowed, nor end before what it already acknowledged minus the largest window).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use crate::event::{Dir, PinholeKind};
use crate::stream::SipStream;

/// A flow endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

/// Canonical flow key: the lower endpoint first, so both directions find the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub proto: u8,
    pub a: Endpoint,
    pub b: Endpoint,
}

impl FlowKey {
    pub fn new(proto: u8, src: Endpoint, dst: Endpoint) -> Self {
        if src <= dst {
            FlowKey {
                proto,
                a: src,
                b: dst,
            }
        } else {
            FlowKey {
                proto,
                a: dst,
                b: src,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    SynSent,
    SynReceived,
    Established,
    /// One side sent FIN.
    FinWait,
    /// Both sides sent FIN.
    Closing,
    /// RST seen.
    Closed,
}

/// Per-direction TCP sequence state.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpDir {
    /// Highest sequence number sent + length (next byte).
    pub end: u32,
    /// Highest acknowledged + window advertised by the peer (how far this side may send).
    pub maxend: u32,
    /// Largest window this side advertised (scaled).
    pub maxwin: u32,
    pub wscale: u8,
    pub seen: bool,
    pub fin: bool,
}

#[derive(Debug, Clone)]
pub struct Tcp {
    pub state: TcpState,
    pub dir: [TcpDir; 2],
    /// Picked up in the middle: each direction's window starts from its first segment.
    pub midstream: bool,
}

/// What a flow carries beyond plain L4 inspection.
#[derive(Debug)]
pub enum App {
    None,
    /// SIP is inspected on this flow.
    Sip(Box<SipFlow>),
    /// Media admitted by a pinhole of a call.
    Media {
        call: u32,
        pinhole: u32,
    },
}

#[derive(Debug)]
pub struct SipFlow {
    /// The SIP checks and layer-7 policy applied on this flow.
    pub profile: std::sync::Arc<crate::sippolicy::SipProfile>,
    /// Stream buffers per direction (TCP only).
    pub streams: [SipStream; 2],
    /// Set when the stream could not be framed any more: SIP is no longer parsed on it.
    pub desynced: bool,
}

#[derive(Debug)]
pub struct Flow {
    pub id: u32,
    /// The id events use (never reused).
    pub serial: u64,
    pub key: FlowKey,
    pub orig: Endpoint,
    pub resp: Endpoint,
    pub proto: u8,
    pub pair: Option<u16>,
    pub class: Option<u16>,
    pub created: Instant,
    pub last_seen: Instant,
    pub idle: Duration,
    pub tcp: Option<Box<Tcp>>,
    pub app: App,
    pub pinhole: Option<(u32, PinholeKind)>,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    /// The timer currently armed for this flow.
    pub timer_at: Instant,
    /// The interfaces its first packet crossed (a reload re-decides the flow with them).
    pub sides: (crate::policy::Side, crate::policy::Side),
}

impl Flow {
    pub fn dir_of(&self, src: Endpoint) -> Dir {
        if src == self.orig {
            Dir::Orig
        } else {
            Dir::Reply
        }
    }

    pub fn expires_at(&self) -> Instant {
        self.last_seen + self.idle
    }
}

/// Make room for one more slot in a slab that is full, growing it by an eighth (at least 64
/// slots) instead of doubling: at 100 000 calls a doubled slab of 160-byte pinholes or
/// 224-byte flows can hold up to twice the memory its entries need. Growth stays geometric,
/// so pushes remain amortised O(1).
pub(crate) fn grow_slab<T>(slots: &mut Vec<T>) {
    if slots.len() == slots.capacity() {
        slots.reserve_exact((slots.len() / 8).max(64));
    }
}

/// Flows by id and by key, with a fixed capacity.
#[derive(Debug)]
pub struct FlowTable {
    slots: Vec<Option<Flow>>,
    free: Vec<u32>,
    by_key: FxHashMap<FlowKey, u32>,
    pub limit: usize,
    len: usize,
}

impl FlowTable {
    pub fn new(limit: usize) -> Self {
        FlowTable {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: FxHashMap::default(),
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

    pub fn lookup(&self, key: &FlowKey) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    pub fn get(&self, id: u32) -> Option<&Flow> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut Flow> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    /// Insert a flow; `None` when the table is full. The flow's `id` is set here.
    pub fn insert(&mut self, mut flow: Flow) -> Option<u32> {
        if self.len >= self.limit {
            return None;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                let id = u32::try_from(self.slots.len()).ok()?;
                grow_slab(&mut self.slots);
                self.slots.push(None);
                id
            }
        };
        flow.id = id;
        self.by_key.insert(flow.key, id);
        self.slots[id as usize] = Some(flow);
        self.len += 1;
        Some(id)
    }

    pub fn remove(&mut self, id: u32) -> Option<Flow> {
        let flow = self.slots.get_mut(id as usize)?.take()?;
        if self.by_key.get(&flow.key) == Some(&id) {
            self.by_key.remove(&flow.key);
        }
        self.free.push(id);
        self.len -= 1;
        Some(flow)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Flow> {
        self.slots.iter().filter_map(Option::as_ref)
    }

    pub fn ids(&self) -> Vec<u32> {
        self.iter().map(|f| f.id).collect()
    }
}

/// TCP flags of a segment.
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub len: u32,
    /// Window scale option on a SYN, if present.
    pub wscale: Option<u8>,
}

/// Result of tracking one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpCheck {
    Ok,
    OutOfWindow,
    BadFlags,
}

fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn seq_after_eq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

impl Tcp {
    /// A flow opened by this SYN.
    pub fn new(seg: &Seg) -> Tcp {
        let mut t = Tcp {
            state: TcpState::SynSent,
            dir: [TcpDir::default(); 2],
            midstream: false,
        };
        let d = &mut t.dir[0];
        d.end = seg.seq.wrapping_add(1);
        d.maxwin = u32::from(seg.window).max(1);
        d.wscale = seg.wscale.unwrap_or(0).min(14);
        d.maxend = d.end;
        d.seen = true;
        t
    }

    /// A connection already established before the firewall saw it (like conntrack's loose
    /// mode): the first segment's direction becomes the originator; windows are learnt.
    pub fn midstream(seg: &Seg) -> Tcp {
        let mut t = Tcp {
            state: TcpState::Established,
            dir: [TcpDir::default(); 2],
            midstream: true,
        };
        t.learn(0, seg);
        t
    }

    fn learn(&mut self, i: usize, seg: &Seg) {
        let d = &mut self.dir[i];
        d.end = seg.seq.wrapping_add(seg.len);
        // Window scale is unknown mid-stream: assume the largest (RFC 7323 §2.3: 14).
        d.maxwin = (u32::from(seg.window).max(1)) << 14;
        d.maxend = d.end.wrapping_add(d.maxwin);
        d.seen = true;
    }

    pub fn bad_flags(seg: &Seg) -> bool {
        (seg.syn && (seg.fin || seg.rst)) || (!seg.syn && !seg.ack_flag && !seg.rst && !seg.fin)
    }

    /// Track a segment in direction `dir`; updates state and windows.
    pub fn track(&mut self, dir: Dir, seg: &Seg) -> TcpCheck {
        if Tcp::bad_flags(seg) {
            return TcpCheck::BadFlags;
        }
        let i = dir.index();
        let o = 1 - i;
        // SYN-ACK from the responder starts its direction.
        if seg.syn {
            if dir == Dir::Reply
                && seg.ack_flag
                && matches!(self.state, TcpState::SynSent | TcpState::SynReceived)
            {
                let other_scales = self.dir[o].wscale > 0;
                let d = &mut self.dir[i];
                d.end = seg.seq.wrapping_add(1);
                d.maxwin = u32::from(seg.window).max(1);
                d.wscale = if other_scales || seg.wscale.is_some() {
                    seg.wscale.unwrap_or(0).min(14)
                } else {
                    0
                };
                d.maxend = d.end;
                d.seen = true;
                self.state = TcpState::SynReceived;
                // The SYN-ACK acknowledges the originator's SYN.
                let win = u32::from(seg.window) << self.dir[i].wscale;
                self.dir[o].maxend = seg.ack.wrapping_add(win.max(1));
                return TcpCheck::Ok;
            }
            if dir == Dir::Orig && self.state == TcpState::SynSent {
                // Retransmitted SYN.
                return TcpCheck::Ok;
            }
            return TcpCheck::BadFlags;
        }
        if !self.dir[i].seen {
            if !self.midstream {
                // Data from the responder before its SYN-ACK.
                return TcpCheck::OutOfWindow;
            }
            self.learn(i, seg);
            return TcpCheck::Ok;
        }
        let scale = if self.dir[0].wscale > 0 && self.dir[1].wscale > 0 {
            self.dir[i].wscale
        } else {
            0
        };
        let win = (u32::from(seg.window) << scale).max(1);
        let end = seg
            .seq
            .wrapping_add(seg.len)
            .wrapping_add(u32::from(seg.fin));
        let sender = self.dir[i];
        let receiver = self.dir[o];
        // The segment must not start beyond what the receiver allowed, and must not end before
        // the oldest byte the receiver might still need (maxwin back from what it acked).
        let upper_ok = !seq_after(seg.seq, sender.maxend.max_seq(sender.end));
        let lower_ok = seq_after_eq(
            end,
            sender
                .end
                .wrapping_sub(receiver.maxwin.max(sender.maxwin).max(1)),
        );
        if !(upper_ok && lower_ok) {
            // RSTs outside the window are ignored by the peer; drop them too.
            return TcpCheck::OutOfWindow;
        }
        let d = &mut self.dir[i];
        if seq_after(end, d.end) {
            d.end = end;
        }
        if win > d.maxwin {
            d.maxwin = win;
        }
        if seg.ack_flag {
            let reach = seg.ack.wrapping_add(win);
            if seq_after(reach, self.dir[o].maxend) || !self.dir[o].seen {
                self.dir[o].maxend = reach;
            }
        }
        if seg.rst {
            self.state = TcpState::Closed;
            return TcpCheck::Ok;
        }
        if seg.fin {
            self.dir[i].fin = true;
        }
        self.state = match self.state {
            TcpState::SynReceived if dir == Dir::Orig && seg.ack_flag => TcpState::Established,
            s @ (TcpState::Established
            | TcpState::FinWait
            | TcpState::SynReceived
            | TcpState::SynSent) => {
                if self.dir[0].fin && self.dir[1].fin {
                    TcpState::Closing
                } else if self.dir[0].fin || self.dir[1].fin {
                    TcpState::FinWait
                } else {
                    s
                }
            }
            s => s,
        };
        TcpCheck::Ok
    }
}

trait MaxSeq {
    fn max_seq(self, other: u32) -> u32;
}

impl MaxSeq for u32 {
    fn max_seq(self, other: u32) -> u32 {
        if seq_after(other, self) {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slab_grows_by_an_eighth_not_double() {
        let mut v: Vec<u64> = Vec::new();
        grow_slab(&mut v);
        assert_eq!(v.capacity(), 64);
        v.resize(64, 0);
        grow_slab(&mut v);
        assert_eq!(v.capacity(), 128);
        v.resize(1024, 0);
        v.shrink_to_fit();
        grow_slab(&mut v);
        assert_eq!(v.capacity(), 1024 + 128);
        // Not full: untouched.
        let cap = v.capacity();
        grow_slab(&mut v);
        assert_eq!(v.capacity(), cap);
    }

    fn seg(syn: bool, ack_flag: bool, seq: u32, ack: u32, len: u32) -> Seg {
        Seg {
            syn,
            ack_flag,
            fin: false,
            rst: false,
            seq,
            ack,
            window: 65535,
            len,
            wscale: None,
        }
    }

    #[test]
    fn handshake_data_and_window() {
        let mut t = Tcp::new(&seg(true, false, 1000, 0, 0));
        assert_eq!(
            t.track(Dir::Reply, &seg(true, true, 5000, 1001, 0)),
            TcpCheck::Ok
        );
        assert_eq!(t.state, TcpState::SynReceived);
        assert_eq!(
            t.track(Dir::Orig, &seg(false, true, 1001, 5001, 0)),
            TcpCheck::Ok
        );
        assert_eq!(t.state, TcpState::Established);
        assert_eq!(
            t.track(Dir::Orig, &seg(false, true, 1001, 5001, 500)),
            TcpCheck::Ok
        );
        // Retransmission of the same bytes is in window.
        assert_eq!(
            t.track(Dir::Orig, &seg(false, true, 1001, 5001, 500)),
            TcpCheck::Ok
        );
        // Far beyond the advertised window: out of window.
        assert_eq!(
            t.track(Dir::Orig, &seg(false, true, 1001 + 200_000, 5001, 10)),
            TcpCheck::OutOfWindow
        );
        // Far in the past: out of window.
        assert_eq!(
            t.track(
                Dir::Orig,
                &seg(false, true, 1001u32.wrapping_sub(300_000), 5001, 10)
            ),
            TcpCheck::OutOfWindow
        );
    }

    #[test]
    fn fin_both_ways_closes_and_rst_closes() {
        let mut t = Tcp::new(&seg(true, false, 1, 0, 0));
        t.track(Dir::Reply, &seg(true, true, 100, 2, 0));
        t.track(Dir::Orig, &seg(false, true, 2, 101, 0));
        let mut fin = seg(false, true, 2, 101, 0);
        fin.fin = true;
        assert_eq!(t.track(Dir::Orig, &fin), TcpCheck::Ok);
        assert_eq!(t.state, TcpState::FinWait);
        let mut fin2 = seg(false, true, 101, 3, 0);
        fin2.fin = true;
        assert_eq!(t.track(Dir::Reply, &fin2), TcpCheck::Ok);
        assert_eq!(t.state, TcpState::Closing);
        let mut t = Tcp::new(&seg(true, false, 1, 0, 0));
        t.track(Dir::Reply, &seg(true, true, 100, 2, 0));
        let mut rst = seg(false, true, 101, 2, 0);
        rst.rst = true;
        assert_eq!(t.track(Dir::Reply, &rst), TcpCheck::Ok);
        assert_eq!(t.state, TcpState::Closed);
    }

    #[test]
    fn bad_flags() {
        let mut s = seg(true, false, 1, 0, 0);
        s.fin = true;
        assert!(Tcp::bad_flags(&s));
        let s = seg(false, false, 1, 0, 0);
        assert!(Tcp::bad_flags(&s));
    }

    #[test]
    fn table_capacity_and_reuse() {
        let now = Instant::now_for_tests();
        let ep = |p| Endpoint {
            addr: "192.0.2.1".parse().unwrap(),
            port: p,
        };
        let mk = |p| Flow {
            id: 0,
            serial: 0,
            key: FlowKey::new(17, ep(p), ep(9)),
            orig: ep(p),
            resp: ep(9),
            proto: 17,
            pair: None,
            class: None,
            created: now,
            last_seen: now,
            idle: Duration::from_secs(30),
            tcp: None,
            app: App::None,
            pinhole: None,
            packets: [0; 2],
            bytes: [0; 2],
            timer_at: now,
            sides: (crate::policy::Side::Unknown, crate::policy::Side::Unknown),
        };
        let mut t = FlowTable::new(2);
        let a = t.insert(mk(1)).unwrap();
        t.insert(mk(2)).unwrap();
        assert!(t.insert(mk(3)).is_none());
        t.remove(a).unwrap();
        assert_eq!(t.insert(mk(3)), Some(a));
        assert_eq!(t.lookup(&FlowKey::new(17, ep(9), ep(3))), Some(a));
    }

    trait NowForTests {
        fn now_for_tests() -> Instant;
    }
    impl NowForTests for Instant {
        #[allow(clippy::disallowed_methods)]
        fn now_for_tests() -> Instant {
            Instant::now()
        }
    }
}
