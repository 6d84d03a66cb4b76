//! Forged TCP resets for the SIP policy's `reset` action.
//!
//! The engine emits [`Event::TcpReset`] with the sequence number each endpoint expects; here
//! the two RST segments are built (IPv4 or IPv6, checksums computed by `etherparse`) and sent
//! on raw sockets whose IP header we write ourselves (`IPPROTO_RAW`: `IP_HDRINCL` is implied
//! for IPv4 by raw(7), and Linux does the same for IPv6). Each socket sets `SO_MARK` to
//! [`INJECT_MARK`], which the first rule of the `SIPWALL` chain accepts (see `rules.rs`):
//! otherwise our own `OUTPUT` jump would queue the forged RST back to the engine, which has
//! closed the flow and would drop it.

use std::io;
use std::net::{IpAddr, SocketAddr};

use etherparse::PacketBuilder;
use sipwall_engine::Event;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// The packet mark of forged resets (distinct from [`crate::fastpath::FASTPATH_MARK`]).
pub const INJECT_MARK: u32 = 0x5157_0002;

/// Linux `IPPROTO_RAW`.
const IPPROTO_RAW: i32 = 255;

/// TTL / hop limit of forged segments.
const TTL: u8 = 64;

#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error("reset between {src} and {dst}: address families differ")]
    Family { src: IpAddr, dst: IpAddr },
    #[error("building the reset: {0}")]
    Build(String),
    #[error("raw socket: {0}")]
    Socket(io::Error),
    #[error("sending the reset to {dst}: {error}")]
    Send { dst: IpAddr, error: io::Error },
}

/// One RST segment from `src:sport` to `dst:dport` with sequence number `seq`, acknowledging
/// `ack` (RFC 9293 §3.5.3: a RST is accepted when its sequence number is the one its
/// receiver expects next; RFC 5961 §3.2 makes that an exact match on Linux).
pub fn build_rst(
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    seq: u32,
    ack: u32,
) -> Result<Vec<u8>, InjectError> {
    let builder = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), TTL),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), TTL),
        _ => return Err(InjectError::Family { src, dst }),
    };
    let tcp = builder.tcp(sport, dport, seq, 0).rst().ack(ack);
    let mut out = Vec::with_capacity(tcp.size(0));
    tcp.write(&mut out, &[])
        .map_err(|e| InjectError::Build(e.to_string()))?;
    Ok(out)
}

/// The two segments a [`Event::TcpReset`] asks for: `(to_dst, to_src)`, each with the
/// destination address to send it to. `None` for any other event.
#[allow(clippy::type_complexity)]
pub fn build_resets(ev: &Event) -> Option<Result<[(IpAddr, Vec<u8>); 2], InjectError>> {
    let Event::TcpReset {
        src,
        sport,
        dst,
        dport,
        seq_to_dst,
        seq_to_src,
        ..
    } = *ev
    else {
        return None;
    };
    let build = || -> Result<[(IpAddr, Vec<u8>); 2], InjectError> {
        Ok([
            (
                dst,
                build_rst(src, sport, dst, dport, seq_to_dst, seq_to_src)?,
            ),
            (
                src,
                build_rst(dst, dport, src, sport, seq_to_src, seq_to_dst)?,
            ),
        ])
    };
    Some(build())
}

/// Send the resets of a [`Event::TcpReset`]; any other event does nothing. Both are tried
/// even when the first fails; the first error is returned.
pub fn send_reset(ev: &Event) -> Result<(), InjectError> {
    let Some(built) = build_resets(ev) else {
        return Ok(());
    };
    let segs = built?;
    let mut first_err = None;
    for (to, pkt) in &segs {
        if let Err(e) = send_raw(*to, pkt) {
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Send one packet that starts with its IP header.
pub fn send_raw(dst: IpAddr, pkt: &[u8]) -> Result<(), InjectError> {
    let domain = match dst {
        IpAddr::V4(_) => Domain::IPV4,
        IpAddr::V6(_) => Domain::IPV6,
    };
    let sock = Socket::new(domain, Type::RAW, Some(Protocol::from(IPPROTO_RAW)))
        .map_err(InjectError::Socket)?;
    sock.set_mark(INJECT_MARK).map_err(InjectError::Socket)?;
    sock.send_to(pkt, &SockAddr::from(SocketAddr::new(dst, 0)))
        .map_err(|error| InjectError::Send { dst, error })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    fn reset_event(src: &str, dst: &str) -> Event {
        Event::TcpReset {
            flow: 1,
            src: src.parse().unwrap(),
            sport: 49300,
            dst: dst.parse().unwrap(),
            dport: 5060,
            seq_to_dst: 0x1122_3344,
            seq_to_src: 0xfeed_f00d,
        }
    }

    /// (src, dst, sport, dport, seq, ack, rst, ack flag, checksum ok)
    fn check(pkt: &[u8]) -> (IpAddr, IpAddr, u16, u16, u32, u32, bool, bool, bool) {
        let s = SlicedPacket::from_ip(pkt).unwrap();
        let (src, dst, ok): (IpAddr, IpAddr, bool) = match (&s.net, &s.transport) {
            (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(t))) => {
                let h = ip.header();
                assert_eq!(h.header_checksum(), h.to_header().calc_header_checksum());
                let want = t
                    .to_header()
                    .calc_checksum_ipv4_raw(h.source(), h.destination(), t.payload())
                    .unwrap();
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    want == t.checksum(),
                )
            }
            (Some(NetSlice::Ipv6(ip)), Some(TransportSlice::Tcp(t))) => {
                let h = ip.header();
                let want = t
                    .to_header()
                    .calc_checksum_ipv6_raw(h.source(), h.destination(), t.payload())
                    .unwrap();
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    want == t.checksum(),
                )
            }
            _ => panic!("not TCP over IP"),
        };
        let Some(TransportSlice::Tcp(t)) = &s.transport else {
            unreachable!()
        };
        (
            src,
            dst,
            t.source_port(),
            t.destination_port(),
            t.sequence_number(),
            t.acknowledgment_number(),
            t.rst(),
            t.ack(),
            ok,
        )
    }

    #[test]
    fn ipv4_resets_both_ways() {
        let [(to_dst, a), (to_src, b)] = build_resets(&reset_event("192.0.2.10", "198.51.100.20"))
            .unwrap()
            .unwrap();
        let p: IpAddr = "192.0.2.10".parse().unwrap();
        let t: IpAddr = "198.51.100.20".parse().unwrap();
        assert_eq!((to_dst, to_src), (t, p));
        assert_eq!(a.len(), 40);
        assert_eq!(
            check(&a),
            (
                p,
                t,
                49300,
                5060,
                0x1122_3344,
                0xfeed_f00d,
                true,
                true,
                true
            )
        );
        assert_eq!(
            check(&b),
            (
                t,
                p,
                5060,
                49300,
                0xfeed_f00d,
                0x1122_3344,
                true,
                true,
                true
            )
        );
    }

    #[test]
    fn ipv6_resets_both_ways() {
        let [(_, a), (_, b)] = build_resets(&reset_event("2001:db8::10", "2001:db8:1::20"))
            .unwrap()
            .unwrap();
        let p: IpAddr = "2001:db8::10".parse().unwrap();
        let t: IpAddr = "2001:db8:1::20".parse().unwrap();
        assert_eq!(a.len(), 60);
        assert_eq!(
            check(&a),
            (
                p,
                t,
                49300,
                5060,
                0x1122_3344,
                0xfeed_f00d,
                true,
                true,
                true
            )
        );
        assert_eq!(
            check(&b),
            (
                t,
                p,
                5060,
                49300,
                0xfeed_f00d,
                0x1122_3344,
                true,
                true,
                true
            )
        );
    }

    #[test]
    fn mixed_families_and_other_events() {
        assert!(matches!(
            build_resets(&reset_event("192.0.2.10", "2001:db8::1")),
            Some(Err(InjectError::Family { .. }))
        ));
        let other = Event::EventsDropped { count: 1 };
        assert!(build_resets(&other).is_none());
        assert!(send_reset(&other).is_ok());
    }

    #[test]
    fn mark_differs_from_the_fast_path() {
        assert_ne!(INJECT_MARK, crate::fastpath::FASTPATH_MARK);
    }
}
