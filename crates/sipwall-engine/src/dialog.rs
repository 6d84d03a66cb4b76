//! Calls (INVITE dialogs) and SDP offer/answer, reduced to the pinholes they need.
//!
//! Offer/answer follows RFC 3264 and RFC 6337: an SDP in a message is an answer when an offer
//! from the other party is outstanding, otherwise a new offer; an SDP whose `o=` version equals
//! the party's current one is a repeat and changes nothing (a 200 OK repeating the 183's
//! answer). While an offer is outstanding, pinholes towards the offerer are open
//! *provisionally* (a re-INVITE to T.38 shows the image port it will listen on); the answer
//! makes the negotiated set final, a failure response or CANCEL withdraws the offer.
//!
//! Media pinholes, per `m=` line i that both parties accept (port != 0):
//! - towards each party that receives (`sendrecv`/`recvonly`, address not 0.0.0.0): RTP to each
//!   of its ports (`m=audio P/n`: P, P+2, ...) from the other party's media address;
//! - RTCP to `a=rtcp` (RFC 3605) or P+1 (none extra with `a=rtcp-mux`, RFC 5761) while the
//!   party has an address, even on hold (RFC 3264 §5.1: RTCP continues);
//! - T.38 (`m=image ... udptl|tcptl t38`) to its port over UDP or TCP;
//! - RFC 6193: `ike-esp` opens the UDP port and ESP (protocol 50) between the two addresses,
//!   `ike-esp-udpencap` the UDP port only.

use std::net::IpAddr;
use std::time::Instant;

use sipwall_wire::sdp::{Direction, SessionDescription};

use crate::event::{PinholeKind, PinholePattern};
use crate::policy::Timeouts;

/// One `m=` line as the firewall needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    pub kind: LineKind,
    /// The connection address (`None`: a hostname nobody resolved).
    pub addr: Option<IpAddr>,
    pub port: u16,
    pub count: u16,
    /// Whether the author receives on it (RFC 3264 §5.1 direction).
    pub recv: bool,
    /// RTCP address and port, when RTCP is separate from RTP.
    pub rtcp: Option<(Option<IpAddr>, u16)>,
    pub rtcp_mux: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Rtp,
    T38 { tcp: bool },
    Ike { esp: bool },
    Other { tcp: bool },
}

/// A 64-bit hash of an `o=` session id (kept instead of the text: calls are many).
fn hash_id(b: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(b);
    h.finish()
}

/// The part of an SDP the firewall acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDesc {
    /// `o=` session id and version (RFC 8866 §5.2): a repeat has the same pair.
    /// (hash of the session id, session version): compared only for equality.
    pub origin: Option<(u64, u64)>,
    pub lines: Vec<MediaLine>,
}

/// Most `m=` lines and ports per line considered (beyond: ignored, bounded work).
pub const MAX_LINES: usize = 16;
pub const MAX_PORT_COUNT: u16 = 8;

impl MediaDesc {
    /// Reduce a parsed SDP. Hostnames go through `resolve`; those it cannot answer are
    /// returned in `unresolved` and get no pinhole.
    pub fn from_sdp(
        sdp: &SessionDescription,
        resolve: &dyn Fn(&str) -> Option<IpAddr>,
        unresolved: &mut Vec<String>,
    ) -> MediaDesc {
        // Exact capacity: a description lives as long as its call, and a growing Vec would
        // keep room for 4 lines where most SDPs have one.
        let mut lines = Vec::with_capacity(sdp.media.len().min(MAX_LINES));
        for m in sdp.media.iter().take(MAX_LINES) {
            let conn = m.effective_connection(sdp);
            let addr = match conn {
                Some(c) => match c.ip {
                    Some(ip) => Some(ip),
                    None => {
                        let host = c.address.to_string();
                        let r = resolve(&host);
                        if r.is_none() && !unresolved.contains(&host) {
                            unresolved.push(host);
                        }
                        r
                    }
                },
                None => None,
            };
            let fmt_has = |f: &str| m.formats.iter().any(|x| x.eq_ignore_ascii_case(f));
            let proto_lc = m.proto.to_ascii_lowercase();
            let kind = if m.is_t38() {
                LineKind::T38 {
                    tcp: proto_lc.starts_with("tcp"),
                }
            } else if m.is_ike() || fmt_has("ike-esp") || fmt_has("ike-esp-udpencap") {
                let udpencap = proto_lc == "ike-esp-udpencap" || fmt_has("ike-esp-udpencap");
                LineKind::Ike { esp: !udpencap }
            } else if m.is_rtp() {
                LineKind::Rtp
            } else {
                LineKind::Other {
                    tcp: proto_lc.starts_with("tcp"),
                }
            };
            let recv = matches!(m.direction, Direction::SendRecv | Direction::RecvOnly);
            let rtcp = if kind == LineKind::Rtp && !m.rtcp_mux {
                m.rtcp_port.map(|p| {
                    let a = m
                        .rtcp
                        .as_ref()
                        .and_then(|r| r.connection.as_ref())
                        .and_then(|c| c.ip)
                        .or(addr);
                    (a, p)
                })
            } else {
                None
            };
            lines.push(MediaLine {
                kind,
                addr,
                port: m.port,
                count: m.port_count.clamp(1, MAX_PORT_COUNT),
                recv,
                rtcp,
                rtcp_mux: m.rtcp_mux,
            });
        }
        MediaDesc {
            origin: sdp
                .origin
                .as_ref()
                .map(|o| (hash_id(o.sess_id.as_bytes()), o.sess_version)),
            lines,
        }
    }

    /// The same session version as `other` (a repeated SDP).
    pub fn same_version(&self, other: &MediaDesc) -> bool {
        self.origin.is_some() && self.origin == other.origin
    }
}

/// A pinhole a call wants: pattern and kind.
pub type Want = (PinholePattern, PinholeKind);

fn usable(a: Option<IpAddr>) -> Option<IpAddr> {
    a.filter(|a| !a.is_unspecified())
}

/// Pinholes towards the party that wrote `recv`, given the other party's SDP `send` (if known)
/// and a fallback source address (the other party's signalling address).
pub fn media_wants(
    recv: &MediaDesc,
    send: Option<&MediaDesc>,
    fallback_src: Option<IpAddr>,
    out: &mut Vec<Want>,
) {
    for (i, m) in recv.lines.iter().enumerate() {
        if m.port == 0 {
            continue;
        }
        let peer = send.and_then(|s| s.lines.get(i));
        if peer.is_some_and(|p| p.port == 0) {
            continue;
        }
        let Some(dst) = usable(m.addr) else { continue };
        let src = usable(peer.and_then(|p| p.addr)).or(fallback_src);
        let pat = |proto: u8, dst: IpAddr, dport: u16| PinholePattern {
            proto,
            src,
            dst,
            dport,
        };
        match m.kind {
            LineKind::Rtp => {
                for k in 0..m.count {
                    let Some(p) = m.port.checked_add(k * 2) else {
                        break;
                    };
                    if m.recv || m.rtcp_mux {
                        let kind = if m.recv {
                            PinholeKind::Rtp
                        } else {
                            PinholeKind::Rtcp
                        };
                        out.push((pat(17, dst, p), kind));
                    }
                    if !m.rtcp_mux {
                        let (ra, rp) = match (k, m.rtcp) {
                            (0, Some((a, rp))) => (usable(a).unwrap_or(dst), Some(rp)),
                            _ => (dst, p.checked_add(1)),
                        };
                        if let Some(rp) = rp {
                            out.push((pat(17, ra, rp), PinholeKind::Rtcp));
                        }
                    }
                }
            }
            LineKind::T38 { tcp } => {
                if m.recv {
                    out.push((pat(if tcp { 6 } else { 17 }, dst, m.port), PinholeKind::T38));
                }
            }
            LineKind::Ike { esp } => {
                out.push((pat(17, dst, m.port), PinholeKind::Ike));
                if esp {
                    out.push((pat(50, dst, 0), PinholeKind::Esp));
                }
            }
            LineKind::Other { tcp } => {
                if m.recv {
                    for k in 0..m.count {
                        let Some(p) = m.port.checked_add(k) else {
                            break;
                        };
                        out.push((pat(if tcp { 6 } else { 17 }, dst, p), PinholeKind::Media));
                    }
                }
            }
        }
    }
}

/// The timeouts a call needs (a [`Timeouts`] copy per call would cost 56 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimeouts {
    pub sip_idle: u64,
    pub media_idle: u64,
    pub tcp_synwait: u64,
}

impl From<Timeouts> for CallTimeouts {
    fn from(t: Timeouts) -> Self {
        CallTimeouts {
            sip_idle: t.sip_idle,
            media_idle: t.media_idle,
            tcp_synwait: t.tcp_synwait,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent, no answer yet.
    Trying,
    /// A provisional response with a to-tag.
    Early,
    Confirmed,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Trying => "trying",
            CallState::Early => "early",
            CallState::Confirmed => "confirmed",
        }
    }
}

/// An offer waiting for its answer.
#[derive(Debug, Clone)]
pub struct Offer {
    /// Party index of the offerer (0: the one that sent the initial INVITE).
    pub from: usize,
    pub desc: MediaDesc,
    /// CSeq number and method of the transaction that carries it.
    pub cseq: u32,
}

/// A signalling address: where a party's SIP comes from or its Contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigAddr {
    pub addr: IpAddr,
    pub port: u16,
    /// 17 UDP or 6 TCP.
    pub proto: u8,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub slot: u32,
    /// Shared with the engine's index by Call-ID.
    pub call_id: std::sync::Arc<str>,
    pub created: Instant,
    pub last_sip: Instant,
    pub last_media: Instant,
    pub state: CallState,
    /// Signalling source address of each party (0: the initial INVITE's sender).
    pub parties: [Option<IpAddr>; 2],
    pub invite_cseq: u32,
    pub committed: [Option<MediaDesc>; 2],
    pub pending: Option<Box<Offer>>,
    pub contacts: [Option<SigAddr>; 2],
    pub record_routed: bool,
    pub pinholes: Vec<u32>,
    pub timeouts: CallTimeouts,
    pub profile: std::sync::Arc<crate::sippolicy::SipProfile>,
    /// Packets and bytes of media through its pinholes.
    pub media_packets: u64,
    pub media_bytes: u64,
    /// When a CANCEL was seen for the unanswered INVITE. The call ends with the INVITE's final
    /// failure response, or after [`CANCEL_WAIT`] — unless a 2xx crossed the CANCEL
    /// (RFC 3261 §9.1), in which case the call goes on.
    pub cancelled: Option<Instant>,
    /// The flow (table slot and event id) whose signalling created the call.
    pub flow: (u32, u64),
    /// That flow's protocol and endpoints: a Contact it already connects needs no pinhole.
    pub flow_endpoints: Option<FlowEndpoints>,
    /// The zone the initial INVITE came from (for `sip max-dialogs per-zone`).
    pub zone: Option<crate::policy::ZoneId>,
}

/// A flow's IP protocol and its two (address, port) endpoints.
pub type FlowEndpoints = (u8, (IpAddr, u16), (IpAddr, u16));

/// How long a cancelled INVITE may wait for its final response (64 × T1, RFC 3261 §17.1.1.2).
pub const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(32);

impl Call {
    /// The party that sent a packet from `src`.
    pub fn party_of(&self, src: IpAddr) -> usize {
        if self.parties[0] == Some(src) {
            0
        } else {
            1
        }
    }

    /// Every pinhole the call wants now.
    pub fn wants(&self) -> Vec<Want> {
        let mut out = Vec::new();
        for p in 0..2 {
            let other = 1 - p;
            let fallback = self.parties[other];
            if let Some(desc) = &self.committed[p] {
                media_wants(desc, self.committed[other].as_ref(), fallback, &mut out);
            }
        }
        if let Some(offer) = &self.pending {
            let other = 1 - offer.from;
            media_wants(
                &offer.desc,
                self.committed[other].as_ref(),
                self.parties[other],
                &mut out,
            );
        }
        if self.state == CallState::Confirmed && !self.record_routed {
            for p in 0..2 {
                let other = 1 - p;
                if let Some(c) = self.contacts[p] {
                    let covered = self.flow_endpoints.is_some_and(|(proto, a, b)| {
                        proto == c.proto && ((c.addr, c.port) == a || (c.addr, c.port) == b)
                    });
                    if covered {
                        // The call's own signalling session already reaches this Contact.
                        continue;
                    }
                    let src = self.contacts[other].map(|c| c.addr).or(self.parties[other]);
                    out.push((
                        PinholePattern {
                            proto: c.proto,
                            src,
                            dst: c.addr,
                            dport: c.port,
                        },
                        PinholeKind::Signalling,
                    ));
                }
            }
        }
        out.dedup();
        out
    }

    /// When the call is forgotten without further activity.
    pub fn expires_at(&self) -> Instant {
        let sig = self.last_sip + std::time::Duration::from_secs(self.timeouts.sip_idle);
        let media = self.last_media + std::time::Duration::from_secs(self.timeouts.media_idle);
        let idle = sig.max(media);
        match self.cancelled {
            Some(at) => idle.min(at + CANCEL_WAIT),
            None => idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(sdp: &[u8]) -> MediaDesc {
        let s = sipwall_wire::sdp::parse(sdp).expect("sdp");
        let mut unresolved = Vec::new();
        MediaDesc::from_sdp(&s, &|_| None, &mut unresolved)
    }

    const OFFER: &[u8] = b"v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
    const ANSWER: &[u8] = b"v=0\r\no=b 7 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\n";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn media_lines_have_exact_capacity() {
        // One m= line: no room kept for more (a MediaDesc lives as long as its call).
        assert_eq!(desc(ANSWER).lines.capacity(), 1);
    }

    #[test]
    fn rtp_and_rtcp_both_ways() {
        let (a, b) = (desc(OFFER), desc(ANSWER));
        let mut w = Vec::new();
        media_wants(&a, Some(&b), None, &mut w);
        media_wants(&b, Some(&a), None, &mut w);
        let pats: Vec<(IpAddr, u16, Option<IpAddr>, PinholeKind)> =
            w.iter().map(|(p, k)| (p.dst, p.dport, p.src, *k)).collect();
        assert_eq!(
            pats,
            vec![
                (
                    ip("192.0.2.10"),
                    40000,
                    Some(ip("198.51.100.20")),
                    PinholeKind::Rtp
                ),
                (
                    ip("192.0.2.10"),
                    40001,
                    Some(ip("198.51.100.20")),
                    PinholeKind::Rtcp
                ),
                (
                    ip("198.51.100.20"),
                    50000,
                    Some(ip("192.0.2.10")),
                    PinholeKind::Rtp
                ),
                (
                    ip("198.51.100.20"),
                    50001,
                    Some(ip("192.0.2.10")),
                    PinholeKind::Rtcp
                ),
            ]
        );
    }

    #[test]
    fn hold_port_count_mux_t38_ike() {
        let sendonly = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n");
        let mut w = Vec::new();
        media_wants(&sendonly, None, None, &mut w);
        // Holder does not receive RTP; RTCP stays.
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].1, PinholeKind::Rtcp);
        let zero = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n");
        let mut w = Vec::new();
        media_wants(&zero, None, None, &mut w);
        assert!(w.is_empty());
        let pair = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=video 40000/2 RTP/AVP 31\r\n");
        let mut w = Vec::new();
        media_wants(&pair, None, None, &mut w);
        let ports: Vec<u16> = w.iter().map(|(p, _)| p.dport).collect();
        assert_eq!(ports, vec![40000, 40001, 40002, 40003]);
        let mux = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtcp-mux\r\n");
        let mut w = Vec::new();
        media_wants(&mux, None, None, &mut w);
        assert_eq!(w.len(), 1);
        let t38 = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=image 40010 udptl t38\r\nm=audio 0 RTP/AVP 0\r\n");
        let mut w = Vec::new();
        media_wants(&t38, None, None, &mut w);
        assert_eq!(
            w,
            vec![(
                PinholePattern {
                    proto: 17,
                    src: None,
                    dst: ip("192.0.2.10"),
                    dport: 40010
                },
                PinholeKind::T38
            )]
        );
        let ike = desc(b"v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=application 500 udp ike-esp\r\na=ike-setup:actpass\r\n");
        let mut w = Vec::new();
        media_wants(&ike, None, Some(ip("198.51.100.1")), &mut w);
        let kinds: Vec<PinholeKind> = w.iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds, vec![PinholeKind::Ike, PinholeKind::Esp]);
        assert_eq!(w[1].0.proto, 50);
    }

    #[test]
    fn rejected_stream_opens_nothing() {
        let a = desc(OFFER);
        let b = desc(b"v=0\r\no=b 7 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n");
        let mut w = Vec::new();
        media_wants(&a, Some(&b), None, &mut w);
        assert!(w.is_empty());
    }
}
