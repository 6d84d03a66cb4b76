//! Packet views: a captured frame, decoded by link type down to the transport payload.
//!
//! [`decode`] turns a frame into a [`PacketView`] that borrows from the frame (zero-copy): the
//! addresses, the transport header fields, the payload slice, and the byte offsets of each layer
//! inside the frame (so a NAT rewrite can patch the frame in place). Tunnels seen in SIP captures
//! (IP-in-IP, GRE, ERSPAN) are decapsulated in a small loop with a depth limit; the view then
//! describes the innermost packet and keeps the outermost addresses in [`PacketView::outer`].
//!
//! IP fragments are reported as such ([`PacketView::fragment`]); the [`Defragmenter`] reassembles
//! them into an owned raw-IP buffer, which is decoded again with [`LinkType::RAW`].
//!
//! Header layouts are read with `etherparse` slices where it has them (Ethernet, VLAN, IPv4,
//! IPv6, TCP, UDP); the rest (Linux cooked capture, GRE, ERSPAN, IPv6 extension headers) is read
//! here with bounds-checked accessors. No function in this module panics on any input.

mod defrag;

pub use defrag::{
    fragment_ipv4, fragment_ipv6, DefragCounters, DefragLimits, DefragOutcome, Defragmenter,
    DropReason,
};

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use etherparse::{
    Ethernet2HeaderSlice, Ipv4HeaderSlice, Ipv6HeaderSlice, SingleVlanHeaderSlice, TcpHeaderSlice,
    UdpHeaderSlice,
};

/// A capture link type (the `LINKTYPE_*` registry of tcpdump.org / pcap-ng IDB `LinkType`).
/// Open: unknown values are kept, and [`decode`] reports them as unsupported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// IEEE 802.3 Ethernet (DIX Ethernet II).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as written by some BSDs (DLT_RAW = 12).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP (IPv4 or IPv6 by the version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linktype {}", self.0)
    }
}

/// IP protocol numbers used here (IANA "Assigned Internet Protocol Numbers").
pub mod ip_proto {
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const IPV6_ROUTE: u8 = 43;
    pub const IPV6_FRAG: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const IPV6_NONXT: u8 = 59;
    pub const IPV6_OPTS: u8 = 60;
    pub const MOBILITY: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
    pub const SCTP: u8 = 132;
}

/// TCP flag bits (RFC 9293 §3.1; ECE/CWR from RFC 3168 §23.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;

    /// True when every bit of `bits` is set.
    pub fn contains(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
    pub fn syn(self) -> bool {
        self.contains(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.contains(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.contains(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.contains(Self::RST)
    }
}

/// The transport layer of a packet, with the fields the firewall needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4 {
    /// RFC 768.
    Udp { src_port: u16, dst_port: u16 },
    /// RFC 9293 §3.1.
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        window: u16,
    },
    /// ICMP (RFC 792) or ICMPv6 (RFC 4443), told apart by [`PacketView::proto`].
    Icmp { icmp_type: u8, code: u8 },
    /// SCTP common header (RFC 9260 §3.1).
    Sctp { src_port: u16, dst_port: u16 },
    /// Any other protocol, or a fragment (see [`PacketView::fragment`]): `payload` is the whole
    /// IP payload.
    Other,
}

/// Where an IP fragment sits in its datagram (RFC 791 §3.2, RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Identification: the IPv4 16-bit field, or the IPv6 Fragment header's 32-bit field.
    pub id: u32,
    /// Byte offset of this fragment's data in the original payload (fragment offset × 8).
    pub offset: u32,
    /// More Fragments flag.
    pub more: bool,
    /// Length of the header part kept on reassembly, from the start of the IP header: the IPv4
    /// header with options, or the IPv6 header plus the extension headers before the Fragment
    /// header (the "Unfragmentable Part").
    pub header_len: usize,
    /// Offset of the fragment data from the start of the IP header (`header_len` for IPv4,
    /// `header_len + 8` for IPv6).
    pub data_offset: usize,
    /// IPv6 only: offset (from the start of the IP header) of the Next Header byte whose value
    /// is 44 (Fragment); reassembly writes the fragmented protocol there.
    pub next_header_pos: Option<usize>,
}

/// The outermost IP layer of a decapsulated packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outer {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The protocol that carried the tunnel (4, 41 or 47).
    pub proto: u8,
}

/// A decoded packet, borrowing from the frame it was decoded from.
///
/// Offsets are byte positions in that frame. For a fragment, `proto` is the protocol of the
/// fragmented datagram, `l4` is [`L4::Other`] and `payload` is the fragment data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketView<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    pub l4: L4,
    /// Transport payload (bounded by the IP and UDP lengths, so link padding is excluded).
    pub payload: &'a [u8],
    /// The innermost IP datagram, from its header to its end (IPv4 total length / IPv6 payload
    /// length), excluding link-layer padding.
    pub ip: &'a [u8],
    pub ip_offset: usize,
    pub l4_offset: usize,
    pub payload_offset: usize,
    pub fragment: Option<Fragment>,
    /// The outermost VLAN id of the outermost Ethernet header, if tagged (IEEE 802.1Q).
    pub vlan: Option<u16>,
    /// Set when the packet was decapsulated: the outermost IP layer.
    pub outer: Option<Outer>,
    /// Number of tunnel layers removed.
    pub encap_depth: u8,
}

impl PacketView<'_> {
    pub fn is_ipv6(&self) -> bool {
        self.src.is_ipv6()
    }
}

/// What was wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The link type is not one [`decode`] knows.
    UnsupportedLinkType,
    /// The frame does not carry IPv4 or IPv6 (ARP, LLDP, 802.3 length frames, ...).
    NotIp,
    /// A header or a length field runs past the captured bytes.
    Truncated,
    /// A link-layer header (Ethernet, VLAN, MPLS, PPPoE, cooked capture) is malformed.
    BadLinkHeader,
    /// The IP version nibble is neither 4 nor 6 (or not the one the link announced).
    BadIpVersion,
    /// IPv4 header: IHL < 5 or total length < header length (RFC 791 §3.1).
    BadIpv4Header,
    /// An IPv6 extension header is malformed (RFC 8200 §4).
    BadIpv6Extension,
    /// More IPv6 extension headers than [`MAX_IPV6_EXTENSIONS`].
    TooManyExtensions,
    /// TCP data offset < 5 or past the segment (RFC 9293 §3.1).
    BadTcpHeader,
    /// UDP length < 8 or past the IP payload (RFC 768).
    BadUdpHeader,
    /// More nested tunnels than [`DecodeOptions::max_encap_depth`].
    TunnelTooDeep,
}

impl DecodeErrorKind {
    /// A stable snake_case name for logs and counters.
    pub fn as_str(self) -> &'static str {
        match self {
            DecodeErrorKind::UnsupportedLinkType => "unsupported_link_type",
            DecodeErrorKind::NotIp => "not_ip",
            DecodeErrorKind::Truncated => "truncated",
            DecodeErrorKind::BadLinkHeader => "bad_link_header",
            DecodeErrorKind::BadIpVersion => "bad_ip_version",
            DecodeErrorKind::BadIpv4Header => "bad_ipv4_header",
            DecodeErrorKind::BadIpv6Extension => "bad_ipv6_extension",
            DecodeErrorKind::TooManyExtensions => "too_many_extensions",
            DecodeErrorKind::BadTcpHeader => "bad_tcp_header",
            DecodeErrorKind::BadUdpHeader => "bad_udp_header",
            DecodeErrorKind::TunnelTooDeep => "tunnel_too_deep",
        }
    }
}

/// A decode error: what, and the byte offset in the frame of the header where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub offset: usize,
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError { kind, offset }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.as_str(), self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// Most IPv6 extension headers walked before giving up.
pub const MAX_IPV6_EXTENSIONS: usize = 16;
/// Most VLAN tags / MPLS labels walked in one link header.
const MAX_LINK_TAGS: usize = 8;

/// Decoder switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Remove IP-in-IP, GRE and ERSPAN encapsulation and report the inner packet.
    pub decapsulate: bool,
    /// Most tunnel layers removed; one more is [`DecodeErrorKind::TunnelTooDeep`].
    pub max_encap_depth: u8,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            decapsulate: true,
            max_encap_depth: 4,
        }
    }
}

/// Decode `frame` of link type `linktype` with the default [`DecodeOptions`].
pub fn decode(linktype: LinkType, frame: &[u8]) -> Result<PacketView<'_>, DecodeError> {
    decode_with(linktype, frame, &DecodeOptions::default())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    /// IPv4 announced by the link layer.
    V4,
    /// IPv6 announced by the link layer.
    V6,
    /// Decide by the version nibble (raw IP, MPLS payload).
    Any,
}

/// Read a big-endian u16 at `pos`, or `None` past the end.
fn be16(b: &[u8], pos: usize) -> Option<u16> {
    let s = b.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

fn be32(b: &[u8], pos: usize) -> Option<u32> {
    let s = b.get(pos..pos.checked_add(4)?)?;
    let a: [u8; 4] = s.try_into().ok()?;
    Some(u32::from_be_bytes(a))
}

fn trunc(offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Truncated, offset)
}

/// Decode `frame` of link type `linktype`.
pub fn decode_with<'a>(
    linktype: LinkType,
    frame: &'a [u8],
    opts: &DecodeOptions,
) -> Result<PacketView<'a>, DecodeError> {
    let mut vlan = None;
    let (mut net, mut off) = link_layer(linktype, frame, &mut vlan)?;
    // The slice the current layer must stay inside: the frame, then each outer IP payload.
    let mut bytes: &'a [u8] = frame;
    let mut outer: Option<Outer> = None;
    let mut depth: u8 = 0;
    loop {
        let ip = ip_layer(bytes, off, net)?;
        let inner = if opts.decapsulate && ip.fragment.is_none() {
            tunnel_payload(bytes, &ip)?
        } else {
            None
        };
        let Some(inner) = inner else {
            return transport(bytes, ip, vlan, outer, depth);
        };
        depth = depth.saturating_add(1);
        if depth > opts.max_encap_depth {
            return Err(DecodeError::new(
                DecodeErrorKind::TunnelTooDeep,
                ip.payload_off,
            ));
        }
        if outer.is_none() {
            outer = Some(Outer {
                src: ip.src,
                dst: ip.dst,
                proto: ip.proto,
            });
        }
        // The inner packet may not extend past the outer datagram.
        bytes = bytes.get(..ip.end).ok_or_else(|| trunc(ip.start))?;
        match inner {
            Inner::Ip(n, o) => {
                net = n;
                off = o;
            }
            Inner::Ether(o) => {
                let mut inner_vlan = None;
                let (n, o2) = ethernet(bytes, o, &mut inner_vlan)?;
                net = n;
                off = o2;
            }
        }
    }
}

/// Link layer: returns what the network layer is and where it starts.
fn link_layer(
    linktype: LinkType,
    frame: &[u8],
    vlan: &mut Option<u16>,
) -> Result<(Net, usize), DecodeError> {
    match linktype {
        LinkType::ETHERNET => ethernet(frame, 0, vlan),
        LinkType::RAW | LinkType::RAW_12 => Ok((Net::Any, 0)),
        LinkType::IPV4 => Ok((Net::V4, 0)),
        LinkType::IPV6 => Ok((Net::V6, 0)),
        LinkType::NULL | LinkType::LOOP => {
            // The family is a 4-byte value in host order (NULL) or network order (LOOP);
            // accept both orders. AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24
            // (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
            let b: [u8; 4] = frame
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| trunc(0))?;
            let le = u32::from_le_bytes(b);
            let be = u32::from_be_bytes(b);
            let fam = if le < 256 { le } else { be };
            match fam {
                2 => Ok((Net::V4, 4)),
                10 | 24 | 28 | 30 => Ok((Net::V6, 4)),
                _ => Err(DecodeError::new(DecodeErrorKind::NotIp, 0)),
            }
        }
        LinkType::LINUX_SLL => {
            // tcpdump.org LINKTYPE_LINUX_SLL: packet type(2) ARPHRD(2) addr len(2) addr(8)
            // protocol(2). For ARPHRD values other than the special ones the protocol is an
            // EtherType.
            let proto = be16(frame, 14).ok_or_else(|| trunc(0))?;
            ether_type(frame, proto, 16, vlan)
        }
        LinkType::LINUX_SLL2 => {
            // tcpdump.org LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2)
            // packet type(1) addr len(1) addr(8).
            let proto = be16(frame, 0).ok_or_else(|| trunc(0))?;
            if frame.len() < 20 {
                return Err(trunc(0));
            }
            ether_type(frame, proto, 20, vlan)
        }
        _ => Err(DecodeError::new(DecodeErrorKind::UnsupportedLinkType, 0)),
    }
}

/// Ethernet II header at `off` (IEEE 802.3 clause 3.2.6 type field).
fn ethernet(b: &[u8], off: usize, vlan: &mut Option<u16>) -> Result<(Net, usize), DecodeError> {
    let rest = b.get(off..).ok_or_else(|| trunc(off))?;
    let eth = Ethernet2HeaderSlice::from_slice(rest).map_err(|_| trunc(off))?;
    ether_type(b, eth.ether_type().0, off + 14, vlan)
}

/// Dispatch on an EtherType at `off`, walking VLAN tags (IEEE 802.1Q / 802.1ad), MPLS label
/// stacks (RFC 3032 §2.1) and PPPoE sessions (RFC 2516 §4).
fn ether_type(
    b: &[u8],
    mut et: u16,
    mut off: usize,
    vlan: &mut Option<u16>,
) -> Result<(Net, usize), DecodeError> {
    for _ in 0..MAX_LINK_TAGS {
        match et {
            0x0800 => return Ok((Net::V4, off)),
            0x86DD => return Ok((Net::V6, off)),
            // 802.1Q C-tag, 802.1ad S-tag, legacy QinQ.
            0x8100 | 0x88A8 | 0x9100 => {
                let rest = b.get(off..).ok_or_else(|| trunc(off))?;
                let tag = SingleVlanHeaderSlice::from_slice(rest).map_err(|_| trunc(off))?;
                if vlan.is_none() {
                    *vlan = Some(tag.vlan_identifier().value());
                }
                et = tag.ether_type().0;
                off += 4;
            }
            // MPLS unicast / multicast: 4-byte label entries until the S bit; the payload
            // type is not signalled, so go by the IP version nibble.
            0x8847 | 0x8848 => {
                let mut bottom = false;
                for _ in 0..MAX_LINK_TAGS {
                    let entry = be32(b, off).ok_or_else(|| trunc(off))?;
                    off += 4;
                    if entry & 0x100 != 0 {
                        bottom = true;
                        break;
                    }
                }
                if !bottom {
                    return Err(DecodeError::new(DecodeErrorKind::BadLinkHeader, off));
                }
                return Ok((Net::Any, off));
            }
            // PPPoE session: ver/type(1) code(1) session(2) length(2), then the PPP protocol
            // field (RFC 1661 §2): 0x0021 IPv4, 0x0057 IPv6.
            0x8864 => {
                let ppp = be16(b, off + 6).ok_or_else(|| trunc(off))?;
                off += 8;
                return match ppp {
                    0x0021 => Ok((Net::V4, off)),
                    0x0057 => Ok((Net::V6, off)),
                    _ => Err(DecodeError::new(DecodeErrorKind::NotIp, off)),
                };
            }
            _ => return Err(DecodeError::new(DecodeErrorKind::NotIp, off)),
        }
    }
    Err(DecodeError::new(DecodeErrorKind::BadLinkHeader, off))
}

/// The IP layer of one packet: positions are absolute in the slice it was read from.
#[derive(Debug, Clone, Copy)]
struct IpLayer {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    ttl: u8,
    /// Start of the IP header.
    start: usize,
    /// Start of the upper-layer header (or of the fragment data).
    payload_off: usize,
    /// End of the datagram (exclusive).
    end: usize,
    fragment: Option<Fragment>,
}

fn ip_layer(b: &[u8], off: usize, net: Net) -> Result<IpLayer, DecodeError> {
    let first = *b.get(off).ok_or_else(|| trunc(off))?;
    let version = first >> 4;
    match (net, version) {
        (Net::V4 | Net::Any, 4) => ipv4(b, off),
        (Net::V6 | Net::Any, 6) => ipv6(b, off),
        _ => Err(DecodeError::new(DecodeErrorKind::BadIpVersion, off)),
    }
}

/// IPv4 header (RFC 791 §3.1).
fn ipv4(b: &[u8], off: usize) -> Result<IpLayer, DecodeError> {
    let rest = b.get(off..).ok_or_else(|| trunc(off))?;
    let h = Ipv4HeaderSlice::from_slice(rest).map_err(|e| match e {
        etherparse::err::ipv4::HeaderSliceError::Len(_) => trunc(off),
        etherparse::err::ipv4::HeaderSliceError::Content(_) => {
            DecodeError::new(DecodeErrorKind::BadIpv4Header, off)
        }
    })?;
    let hlen = usize::from(h.ihl()) * 4;
    let total = usize::from(h.total_len());
    // A total length of 0 is what captures of TCP segmentation offload show: use the captured
    // length (as Wireshark does).
    let total = if total == 0 { rest.len() } else { total };
    if total < hlen {
        return Err(DecodeError::new(DecodeErrorKind::BadIpv4Header, off));
    }
    if total > rest.len() {
        return Err(trunc(off));
    }
    let frag_off = u32::from(h.fragments_offset().value()) * 8;
    let more = h.more_fragments();
    let fragment = (more || frag_off != 0).then_some(Fragment {
        id: u32::from(h.identification()),
        offset: frag_off,
        more,
        header_len: hlen,
        data_offset: hlen,
        next_header_pos: None,
    });
    Ok(IpLayer {
        src: IpAddr::V4(h.source_addr()),
        dst: IpAddr::V4(h.destination_addr()),
        proto: h.protocol().0,
        ttl: h.ttl(),
        start: off,
        payload_off: off + hlen,
        end: off + total,
        fragment,
    })
}

/// IPv6 header (RFC 8200 §3) and extension headers (RFC 8200 §4).
fn ipv6(b: &[u8], off: usize) -> Result<IpLayer, DecodeError> {
    let rest = b.get(off..).ok_or_else(|| trunc(off))?;
    let h = Ipv6HeaderSlice::from_slice(rest).map_err(|e| match e {
        etherparse::err::ipv6::HeaderSliceError::Len(_) => trunc(off),
        etherparse::err::ipv6::HeaderSliceError::Content(_) => {
            DecodeError::new(DecodeErrorKind::BadIpVersion, off)
        }
    })?;
    let plen = usize::from(h.payload_length());
    // Payload length 0: a jumbogram (RFC 2675) or a segmentation-offload capture; use the
    // captured length.
    let end = if plen == 0 {
        b.len()
    } else {
        let end = off + 40 + plen;
        if end > b.len() {
            return Err(trunc(off));
        }
        end
    };
    let src = IpAddr::V6(Ipv6Addr::from(h.source()));
    let dst = IpAddr::V6(Ipv6Addr::from(h.destination()));
    let mut nh = h.next_header().0;
    let mut nh_pos = off + 6;
    let mut pos = off + 40;
    let mut fragment = None;
    let mut walked = 0usize;
    loop {
        let ext_len = match nh {
            // Hop-by-Hop, Routing, Destination Options, Mobility, HIP, Shim6: Hdr Ext Len in
            // 8-octet units, not counting the first 8 (RFC 8200 §4.3-4.6, RFC 6275, 7401, 5533).
            ip_proto::HOPOPT
            | ip_proto::IPV6_ROUTE
            | ip_proto::IPV6_OPTS
            | ip_proto::MOBILITY
            | ip_proto::HIP
            | ip_proto::SHIM6 => {
                let l = *b
                    .get(pos + 1)
                    .filter(|_| pos + 2 <= end)
                    .ok_or_else(|| trunc(pos))?;
                (usize::from(l) + 1) * 8
            }
            // AH: Payload Len in 4-octet units minus 2 (RFC 4302 §2.2).
            ip_proto::AH => {
                let l = *b
                    .get(pos + 1)
                    .filter(|_| pos + 2 <= end)
                    .ok_or_else(|| trunc(pos))?;
                (usize::from(l) + 2) * 4
            }
            // Fragment header: 8 octets (RFC 8200 §4.5).
            ip_proto::IPV6_FRAG => 8,
            _ => break,
        };
        walked += 1;
        if walked > MAX_IPV6_EXTENSIONS {
            return Err(DecodeError::new(DecodeErrorKind::TooManyExtensions, pos));
        }
        if pos + ext_len > end {
            return Err(DecodeError::new(DecodeErrorKind::BadIpv6Extension, pos));
        }
        let next = *b.get(pos).ok_or_else(|| trunc(pos))?;
        if nh == ip_proto::IPV6_FRAG {
            // Next Header(1) Reserved(1) Fragment Offset(13 bits) Res(2) M(1) Identification(4)
            let word = be16(b, pos + 2).ok_or_else(|| trunc(pos))?;
            let id = be32(b, pos + 4).ok_or_else(|| trunc(pos))?;
            let frag_off = u32::from(word >> 3) * 8;
            let more = word & 1 != 0;
            if frag_off != 0 || more {
                fragment = Some(Fragment {
                    id,
                    offset: frag_off,
                    more,
                    header_len: pos - off,
                    data_offset: pos - off + 8,
                    next_header_pos: Some(nh_pos - off),
                });
                nh = next;
                pos += 8;
                break;
            }
            // An atomic fragment (offset 0, M = 0) is processed as a whole packet
            // (RFC 6946 §4).
        }
        nh_pos = pos;
        nh = next;
        pos += ext_len;
    }
    Ok(IpLayer {
        src,
        dst,
        proto: nh,
        ttl: h.hop_limit(),
        start: off,
        payload_off: pos,
        end,
        fragment,
    })
}

enum Inner {
    Ip(Net, usize),
    Ether(usize),
}

/// If the IP payload is a tunnel this decoder removes, where the inner packet starts.
/// Unsupported GRE variants are not tunnels here: the outer packet is reported.
fn tunnel_payload(b: &[u8], ip: &IpLayer) -> Result<Option<Inner>, DecodeError> {
    let p = ip.payload_off;
    match ip.proto {
        ip_proto::IPIP => Ok(Some(Inner::Ip(Net::V4, p))),
        ip_proto::IPV6 => Ok(Some(Inner::Ip(Net::V6, p))),
        ip_proto::GRE => gre(b.get(..ip.end).unwrap_or(b), p),
        _ => Ok(None),
    }
}

/// GRE (RFC 2784 §2, key and sequence number from RFC 2890 §2), carrying IP, Ethernet
/// (transparent bridging, 0x6558) or ERSPAN type I/II (0x88BE) and type III (0x22EB).
fn gre(b: &[u8], p: usize) -> Result<Option<Inner>, DecodeError> {
    let flags = be16(b, p).ok_or_else(|| trunc(p))?;
    let proto = be16(b, p + 2).ok_or_else(|| trunc(p))?;
    let version = flags & 0x7;
    let routing = flags & 0x4000 != 0;
    if version != 0 || routing {
        // Enhanced GRE (PPTP, RFC 2637) or RFC 1701 source routing: not decapsulated.
        return Ok(None);
    }
    let has_csum = flags & 0x8000 != 0;
    let has_key = flags & 0x2000 != 0;
    let has_seq = flags & 0x1000 != 0;
    let hlen = 4 + 4 * (usize::from(has_csum) + usize::from(has_key) + usize::from(has_seq));
    let inner = p + hlen;
    if inner > b.len() {
        return Err(trunc(p));
    }
    match proto {
        0x0800 => Ok(Some(Inner::Ip(Net::V4, inner))),
        0x86DD => Ok(Some(Inner::Ip(Net::V6, inner))),
        0x6558 => Ok(Some(Inner::Ether(inner))),
        0x88BE => {
            // ERSPAN type I has no sequence number and no ERSPAN header; type II has an
            // 8-byte header (Ver(4)=1 VLAN(12) COS(3) En(2) T(1) Session(10) Rsvd(12)
            // Index(20)) — draft-foschiano-erspan §4.1.
            if has_seq {
                if inner + 8 > b.len() {
                    return Err(trunc(inner));
                }
                Ok(Some(Inner::Ether(inner + 8)))
            } else {
                Ok(Some(Inner::Ether(inner)))
            }
        }
        0x22EB => {
            // ERSPAN type III: 12-byte header (Ver(4)=2 VLAN COS BSO T Session | Timestamp |
            // SGT(16) P(1) FT(5) HwID(6) D(1) Gra(2) O(1)), plus an 8-byte platform-specific
            // subheader when O is set; FT 0 = Ethernet, 2 = IP (draft-foschiano-erspan §4.2).
            let w3 = be32(b, inner + 8).ok_or_else(|| trunc(inner))?;
            let has_platform = w3 & 1 != 0;
            let ft = (w3 >> 10) & 0x1F;
            let start = inner + 12 + if has_platform { 8 } else { 0 };
            if start > b.len() {
                return Err(trunc(inner));
            }
            match ft {
                0 => Ok(Some(Inner::Ether(start))),
                2 => Ok(Some(Inner::Ip(Net::Any, start))),
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// Transport header of a non-tunnel packet, and the final view.
fn transport<'a>(
    b: &'a [u8],
    ip: IpLayer,
    vlan: Option<u16>,
    outer: Option<Outer>,
    encap_depth: u8,
) -> Result<PacketView<'a>, DecodeError> {
    let ip_bytes = b.get(ip.start..ip.end).ok_or_else(|| trunc(ip.start))?;
    let l4_bytes = b
        .get(ip.payload_off..ip.end)
        .ok_or_else(|| trunc(ip.payload_off))?;
    let l4_off = ip.payload_off;
    let mut view = PacketView {
        src: ip.src,
        dst: ip.dst,
        proto: ip.proto,
        ttl: ip.ttl,
        l4: L4::Other,
        payload: l4_bytes,
        ip: ip_bytes,
        ip_offset: ip.start,
        l4_offset: l4_off,
        payload_offset: l4_off,
        fragment: ip.fragment,
        vlan,
        outer,
        encap_depth,
    };
    if ip.fragment.is_some() {
        return Ok(view);
    }
    let (l4, hlen, plen) = match ip.proto {
        ip_proto::UDP => {
            let h = UdpHeaderSlice::from_slice(l4_bytes).map_err(|_| trunc(l4_off))?;
            let ulen = usize::from(h.length());
            // RFC 768: Length counts header and data. 0 is allowed for IPv6 jumbograms
            // (RFC 2675 §4); then the IP payload length rules.
            let ulen = if ulen == 0 { l4_bytes.len() } else { ulen };
            if ulen < 8 || ulen > l4_bytes.len() {
                return Err(DecodeError::new(DecodeErrorKind::BadUdpHeader, l4_off));
            }
            (
                L4::Udp {
                    src_port: h.source_port(),
                    dst_port: h.destination_port(),
                },
                8,
                ulen - 8,
            )
        }
        ip_proto::TCP => {
            let h = TcpHeaderSlice::from_slice(l4_bytes).map_err(|e| match e {
                etherparse::err::tcp::HeaderSliceError::Len(_) => trunc(l4_off),
                etherparse::err::tcp::HeaderSliceError::Content(_) => {
                    DecodeError::new(DecodeErrorKind::BadTcpHeader, l4_off)
                }
            })?;
            let hlen = usize::from(h.data_offset()) * 4;
            let flags = *h.slice().get(13).unwrap_or(&0);
            (
                L4::Tcp {
                    src_port: h.source_port(),
                    dst_port: h.destination_port(),
                    seq: h.sequence_number(),
                    ack: h.acknowledgment_number(),
                    flags: TcpFlags(flags),
                    window: h.window_size(),
                },
                hlen,
                l4_bytes.len().saturating_sub(hlen),
            )
        }
        ip_proto::ICMP | ip_proto::ICMPV6 => {
            // Type(1) Code(1) Checksum(2) and 4 message-specific bytes (RFC 792, RFC 4443 §2.1).
            if l4_bytes.len() < 8 {
                return Err(trunc(l4_off));
            }
            let icmp_type = *l4_bytes.first().unwrap_or(&0);
            let code = *l4_bytes.get(1).unwrap_or(&0);
            (L4::Icmp { icmp_type, code }, 8, l4_bytes.len() - 8)
        }
        ip_proto::SCTP => {
            let src_port = be16(l4_bytes, 0).ok_or_else(|| trunc(l4_off))?;
            let dst_port = be16(l4_bytes, 2).ok_or_else(|| trunc(l4_off))?;
            if l4_bytes.len() < 12 {
                return Err(trunc(l4_off));
            }
            (L4::Sctp { src_port, dst_port }, 12, l4_bytes.len() - 12)
        }
        _ => return Ok(view),
    };
    view.l4 = l4;
    view.payload_offset = l4_off + hlen;
    view.payload = l4_bytes
        .get(hlen..hlen + plen)
        .ok_or_else(|| trunc(l4_off))?;
    Ok(view)
}

/// IPv4 header checksum (RFC 791 §3.1, RFC 1071): the one's complement of the one's complement
/// sum of the header's 16-bit words, with the checksum field taken as zero.
pub(crate) fn ipv4_header_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for (i, pair) in header.chunks(2).enumerate() {
        if i == 5 {
            continue; // the checksum field itself
        }
        let hi = *pair.first().unwrap_or(&0);
        let lo = *pair.get(1).unwrap_or(&0);
        sum += u32::from(u16::from_be_bytes([hi, lo]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests;
