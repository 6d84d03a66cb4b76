//! Protocol names accepted by `match protocol NAME` in an inspect class-map, with the
//! transport and well-known ports each stands for.

use std::fmt;

use serde::Serialize;

/// The IP protocol a packet is carried in (as far as matching is concerned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
    Icmp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol name of `match protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// SIP on the SIP ports (5060 UDP and TCP, RFC 3261 §19.1.2, plus `ip port-map sip`).
    Sip,
    /// Any TCP.
    Tcp,
    /// Any UDP.
    Udp,
    /// Any ICMP / ICMPv6.
    Icmp,
    Http,
    Https,
    Dns,
    Ftp,
    H323,
    Rtsp,
    Ssh,
    Telnet,
    Ntp,
    Snmp,
    Tftp,
    /// SIP over TLS, TCP 5061 (RFC 3261 §26.2): matched by port only, never inspected.
    SipTls,
}

/// All protocols, in the order listed to the user.
pub const ALL_PROTOCOLS: &[Protocol] = &[
    Protocol::Sip,
    Protocol::Tcp,
    Protocol::Udp,
    Protocol::Icmp,
    Protocol::Http,
    Protocol::Https,
    Protocol::Dns,
    Protocol::Ftp,
    Protocol::H323,
    Protocol::Rtsp,
    Protocol::Ssh,
    Protocol::Telnet,
    Protocol::Ntp,
    Protocol::Snmp,
    Protocol::Tftp,
    Protocol::SipTls,
];

impl Protocol {
    /// Parse an IOS protocol name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Protocol> {
        ALL_PROTOCOLS
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The IOS spelling.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Sip => "sip",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Dns => "dns",
            Protocol::Ftp => "ftp",
            Protocol::H323 => "h323",
            Protocol::Rtsp => "rtsp",
            Protocol::Ssh => "ssh",
            Protocol::Telnet => "telnet",
            Protocol::Ntp => "ntp",
            Protocol::Snmp => "snmp",
            Protocol::Tftp => "tftp",
            Protocol::SipTls => "sip-tls",
        }
    }

    /// Well-known (transport, port) pairs. Empty for `tcp`, `udp`, `icmp` (they match the whole
    /// transport) and for `sip`, whose ports are configuration ([`crate::Config::sip_ports`]).
    pub fn well_known_ports(self) -> &'static [(Transport, u16)] {
        use Transport::{Tcp, Udp};
        match self {
            Protocol::Sip | Protocol::Tcp | Protocol::Udp | Protocol::Icmp => &[],
            Protocol::Http => &[(Tcp, 80)],
            Protocol::Https => &[(Tcp, 443)],
            Protocol::Dns => &[(Udp, 53), (Tcp, 53)],
            Protocol::Ftp => &[(Tcp, 21)],
            Protocol::H323 => &[(Tcp, 1720)],
            Protocol::Rtsp => &[(Tcp, 554)],
            Protocol::Ssh => &[(Tcp, 22)],
            Protocol::Telnet => &[(Tcp, 23)],
            Protocol::Ntp => &[(Udp, 123)],
            Protocol::Snmp => &[(Udp, 161)],
            Protocol::Tftp => &[(Udp, 69)],
            Protocol::SipTls => &[(Tcp, 5061)],
        }
    }

    /// The comma-separated list of known names, for error messages.
    pub fn known_names() -> String {
        ALL_PROTOCOLS
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in ALL_PROTOCOLS {
            assert_eq!(Protocol::from_name(p.name()), Some(*p));
        }
        assert_eq!(Protocol::from_name("SIP"), Some(Protocol::Sip));
        assert_eq!(Protocol::from_name("sipp"), None);
        assert!(Protocol::known_names().starts_with("sip, tcp, udp, icmp"));
    }

    #[test]
    fn ports() {
        assert_eq!(Protocol::Dns.well_known_ports().len(), 2);
        assert!(Protocol::Sip.well_known_ports().is_empty());
        assert_eq!(Protocol::H323.well_known_ports(), &[(Transport::Tcp, 1720)]);
    }
}
