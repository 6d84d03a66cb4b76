//! Packet builder for tests and example captures: Ethernet frames carrying UDP or TCP over IPv4
//! or IPv6, and IP fragments, made with etherparse's `PacketBuilder`.
//!
//! Frames use fixed locally administered MAC addresses ([`MAC_SRC`], [`MAC_DST`]) and TTL 64.

use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};

use etherparse::{PacketBuilder, PacketBuilderStep, TcpHeader};
use sipwall_wire::packet::{fragment_ipv4, fragment_ipv6, TcpFlags};

/// Source MAC of built frames (02:00:00:00:00:01).
pub const MAC_SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
/// Destination MAC of built frames (02:00:00:00:00:02).
pub const MAC_DST: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
const TTL: u8 = 64;

/// Why a packet could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The payload does not fit in one IP packet.
    #[error("payload too large for one IP packet")]
    PayloadTooLarge,
    /// Source and destination are of different address families.
    #[error("source and destination address families differ")]
    FamilyMismatch,
    /// etherparse refused the headers.
    #[error("cannot build packet: {0}")]
    Build(String),
}

fn ip_step(
    src: SocketAddr,
    dst: SocketAddr,
) -> Result<PacketBuilderStep<etherparse::IpHeaders>, BuildError> {
    let eth = PacketBuilder::ethernet2(MAC_SRC, MAC_DST);
    match (src, dst) {
        (SocketAddr::V4(s), SocketAddr::V4(d)) => {
            Ok(eth.ipv4(s.ip().octets(), d.ip().octets(), TTL))
        }
        (SocketAddr::V6(s), SocketAddr::V6(d)) => {
            Ok(eth.ipv6(s.ip().octets(), d.ip().octets(), TTL))
        }
        _ => Err(BuildError::FamilyMismatch),
    }
}

fn check_len(payload: &[u8], overhead: usize) -> Result<(), BuildError> {
    if payload.len() + overhead > 65_535 {
        return Err(BuildError::PayloadTooLarge);
    }
    Ok(())
}

/// An Ethernet frame carrying `payload` in UDP over IPv4.
pub fn build_udp_ipv4(
    src: SocketAddrV4,
    dst: SocketAddrV4,
    payload: &[u8],
) -> Result<Vec<u8>, BuildError> {
    build_udp(SocketAddr::V4(src), SocketAddr::V4(dst), payload)
}

/// An Ethernet frame carrying `payload` in UDP over IPv6.
pub fn build_udp_ipv6(
    src: SocketAddrV6,
    dst: SocketAddrV6,
    payload: &[u8],
) -> Result<Vec<u8>, BuildError> {
    build_udp(SocketAddr::V6(src), SocketAddr::V6(dst), payload)
}

/// An Ethernet frame carrying `payload` in UDP over IPv4 or IPv6.
pub fn build_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Result<Vec<u8>, BuildError> {
    check_len(payload, 8 + if src.is_ipv4() { 20 } else { 0 })?;
    let b = ip_step(src, dst)?.udp(src.port(), dst.port());
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload)
        .map_err(|e| BuildError::Build(e.to_string()))?;
    Ok(out)
}

/// A TCP segment's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    /// Acknowledgment number; meaningful when `flags` has ACK.
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
}

impl TcpSegment {
    /// A segment with ACK|PSH set (the usual data segment) and a 64 KiB window.
    pub fn data(src: SocketAddr, dst: SocketAddr, seq: u32, ack: u32) -> Self {
        TcpSegment {
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags(TcpFlags::ACK | TcpFlags::PSH),
            window: 65_535,
        }
    }
}

/// An Ethernet frame carrying one TCP segment.
pub fn build_tcp(seg: &TcpSegment, payload: &[u8]) -> Result<Vec<u8>, BuildError> {
    check_len(payload, 20 + if seg.src.is_ipv4() { 20 } else { 0 })?;
    let mut h = TcpHeader::new(seg.src.port(), seg.dst.port(), seg.seq, seg.window);
    let f = seg.flags;
    h.fin = f.contains(TcpFlags::FIN);
    h.syn = f.contains(TcpFlags::SYN);
    h.rst = f.contains(TcpFlags::RST);
    h.psh = f.contains(TcpFlags::PSH);
    h.ack = f.contains(TcpFlags::ACK);
    h.urg = f.contains(TcpFlags::URG);
    h.ece = f.contains(TcpFlags::ECE);
    h.cwr = f.contains(TcpFlags::CWR);
    h.acknowledgment_number = seg.ack;
    let b = ip_step(seg.src, seg.dst)?.tcp_header(h);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload)
        .map_err(|e| BuildError::Build(e.to_string()))?;
    Ok(out)
}

/// Wrap a raw IP packet in an Ethernet II header (EtherType by the IP version nibble).
pub fn ethernet_wrap(ip_packet: &[u8]) -> Vec<u8> {
    let v6 = ip_packet.first().is_some_and(|b| b >> 4 == 6);
    let mut out = Vec::with_capacity(14 + ip_packet.len());
    out.extend_from_slice(&MAC_DST);
    out.extend_from_slice(&MAC_SRC);
    out.extend_from_slice(if v6 { &[0x86, 0xDD] } else { &[0x08, 0x00] });
    out.extend_from_slice(ip_packet);
    out
}

/// A UDP datagram over IPv4 with identification `id`, split into Ethernet frames whose IP
/// fragments carry at most `max_data` bytes each (rounded down to a multiple of 8). The
/// fragments come out in order; shuffle them to test reordering.
pub fn build_fragmented_udp_ipv4(
    src: SocketAddrV4,
    dst: SocketAddrV4,
    payload: &[u8],
    id: u16,
    max_data: usize,
) -> Result<Vec<Vec<u8>>, BuildError> {
    let frame = build_udp_ipv4(src, dst, payload)?;
    let mut ip = frame.get(14..).unwrap_or(&[]).to_vec();
    // Identification (RFC 791 §3.1) is set before fragmenting; fragment_ipv4 recomputes the
    // header checksum of every fragment.
    if let Some(idf) = ip.get_mut(4..6) {
        idf.copy_from_slice(&id.to_be_bytes());
    }
    let frags = fragment_ipv4(&ip, max_data).ok_or(BuildError::Build("fragment".into()))?;
    Ok(frags.iter().map(|f| ethernet_wrap(f)).collect())
}

/// A UDP datagram over IPv6 split into Ethernet frames with Fragment headers (identification
/// `id`), each carrying at most `max_data` bytes of the fragmentable part.
pub fn build_fragmented_udp_ipv6(
    src: SocketAddrV6,
    dst: SocketAddrV6,
    payload: &[u8],
    id: u32,
    max_data: usize,
) -> Result<Vec<Vec<u8>>, BuildError> {
    let frame = build_udp_ipv6(src, dst, payload)?;
    let ip = frame.get(14..).unwrap_or(&[]);
    let frags = fragment_ipv6(ip, max_data, id).ok_or(BuildError::Build("fragment".into()))?;
    Ok(frags.iter().map(|f| ethernet_wrap(f)).collect())
}
