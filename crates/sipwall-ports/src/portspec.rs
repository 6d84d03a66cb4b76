//! Port specifications as written in `data/expressway-ports.toml`.
//!
//! Grammar (documented at the top of the data file):
//! ```text
//! spec   = "any" / "eph" / "n/a" / "configured" / item *( "," item )
//! item   = port [ "-" port [ "/" ( "even" / "odd" ) ] ]
//! port   = 1*5DIGIT            ; 1..=65535
//! ```
//! Whitespace around items is ignored. At most [`MAX_ITEMS`] items per list.

use std::fmt;

/// Upper bound on the number of items in one port list.
pub const MAX_ITEMS: usize = 16;

/// Which ports of a range are meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parity {
    All,
    Even,
    Odd,
}

/// An inclusive port range, `lo <= hi`, optionally restricted to even or odd ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PortRange {
    pub lo: u16,
    pub hi: u16,
    pub parity: Parity,
}

impl PortRange {
    /// Does `port` belong to this range?
    #[must_use]
    pub fn contains(&self, port: u16) -> bool {
        port >= self.lo
            && port <= self.hi
            && match self.parity {
                Parity::All => true,
                Parity::Even => port % 2 == 0,
                Parity::Odd => port % 2 == 1,
            }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)?;
        } else {
            write!(f, "{}-{}", self.lo, self.hi)?;
        }
        match self.parity {
            Parity::All => Ok(()),
            Parity::Even => f.write_str("/even"),
            Parity::Odd => f.write_str("/odd"),
        }
    }
}

/// A parsed port specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// One or more ports/ranges (never empty).
    Ports(Vec<PortRange>),
    /// Any port: chosen by the peer, not stated.
    Any,
    /// Ephemeral port of the sender; the seed gives no range.
    Ephemeral,
    /// The protocol has no ports (e.g. IPsec AH).
    NotApplicable,
    /// Set by the operator; the seed states no default.
    Configured,
}

impl PortSpec {
    /// The port ranges, if the spec names concrete ports.
    #[must_use]
    pub fn ranges(&self) -> Option<&[PortRange]> {
        match self {
            PortSpec::Ports(r) => Some(r),
            _ => None,
        }
    }

    /// Does this spec admit `port`? `Any` and `Ephemeral` admit every port; `NotApplicable` and
    /// `Configured` admit none (nothing can be checked against them).
    #[must_use]
    pub fn admits(&self, port: u16) -> bool {
        match self {
            PortSpec::Ports(r) => r.iter().any(|r| r.contains(port)),
            PortSpec::Any | PortSpec::Ephemeral => true,
            PortSpec::NotApplicable | PortSpec::Configured => false,
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Ports(r) => {
                for (i, item) in r.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
            PortSpec::Any => f.write_str("any"),
            PortSpec::Ephemeral => f.write_str("eph"),
            PortSpec::NotApplicable => f.write_str("n/a"),
            PortSpec::Configured => f.write_str("configured"),
        }
    }
}

impl serde::Serialize for PortSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What is wrong with a port specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSpecErrorKind {
    Empty,
    NotANumber,
    OutOfRange,
    Reversed,
    BadParity,
    TooManyItems,
}

/// A port specification error: its kind and the byte offset in the spec text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad port spec at byte {offset}: {kind:?}")]
pub struct PortSpecError {
    pub kind: PortSpecErrorKind,
    pub offset: usize,
}

fn err(kind: PortSpecErrorKind, offset: usize) -> PortSpecError {
    PortSpecError { kind, offset }
}

fn parse_port(text: &str, offset: usize) -> Result<u16, PortSpecError> {
    let t = text.trim();
    let lead = text.len() - text.trim_start().len();
    if t.is_empty() {
        return Err(err(PortSpecErrorKind::Empty, offset + lead));
    }
    if t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(PortSpecErrorKind::NotANumber, offset + lead));
    }
    match t.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => {
            u16::try_from(n).map_err(|_| err(PortSpecErrorKind::OutOfRange, offset + lead))
        }
        Ok(_) => Err(err(PortSpecErrorKind::OutOfRange, offset + lead)),
        Err(_) => Err(err(PortSpecErrorKind::NotANumber, offset + lead)),
    }
}

fn parse_item(text: &str, offset: usize) -> Result<PortRange, PortSpecError> {
    let (range_text, parity) = match text.split_once('/') {
        None => (text, Parity::All),
        Some((r, p)) => {
            let parity = match p.trim() {
                "even" => Parity::Even,
                "odd" => Parity::Odd,
                _ => return Err(err(PortSpecErrorKind::BadParity, offset + r.len() + 1)),
            };
            (r, parity)
        }
    };
    let (lo, hi) = match range_text.split_once('-') {
        None => {
            let p = parse_port(range_text, offset)?;
            (p, p)
        }
        Some((a, b)) => (parse_port(a, offset)?, parse_port(b, offset + a.len() + 1)?),
    };
    if lo > hi {
        return Err(err(PortSpecErrorKind::Reversed, offset));
    }
    if parity != Parity::All && lo == hi {
        return Err(err(PortSpecErrorKind::BadParity, offset));
    }
    Ok(PortRange { lo, hi, parity })
}

impl std::str::FromStr for PortSpec {
    type Err = PortSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "" => return Err(err(PortSpecErrorKind::Empty, 0)),
            "any" => return Ok(PortSpec::Any),
            "eph" => return Ok(PortSpec::Ephemeral),
            "n/a" => return Ok(PortSpec::NotApplicable),
            "configured" => return Ok(PortSpec::Configured),
            _ => {}
        }
        let mut items = Vec::new();
        let mut offset = 0;
        for part in text.split(',') {
            if items.len() == MAX_ITEMS {
                return Err(err(PortSpecErrorKind::TooManyItems, offset));
            }
            items.push(parse_item(part, offset)?);
            offset += part.len() + 1;
        }
        Ok(PortSpec::Ports(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(lo: u16, hi: u16, parity: Parity) -> PortRange {
        PortRange { lo, hi, parity }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "5061".parse(),
            Ok(PortSpec::Ports(vec![r(5061, 5061, Parity::All)]))
        );
        assert_eq!(
            "30000-35999".parse(),
            Ok(PortSpec::Ports(vec![r(30000, 35999, Parity::All)]))
        );
        assert_eq!(
            "36000-36010/even".parse(),
            Ok(PortSpec::Ports(vec![r(36000, 36010, Parity::Even)]))
        );
        assert_eq!(
            "443, 8443".parse(),
            Ok(PortSpec::Ports(vec![
                r(443, 443, Parity::All),
                r(8443, 8443, Parity::All)
            ]))
        );
        assert_eq!("any".parse(), Ok(PortSpec::Any));
        assert_eq!("eph".parse(), Ok(PortSpec::Ephemeral));
        assert_eq!("n/a".parse(), Ok(PortSpec::NotApplicable));
        assert_eq!("configured".parse(), Ok(PortSpec::Configured));
    }

    #[test]
    fn rejects_bad_specs_with_offsets() {
        let e = |s: &str| s.parse::<PortSpec>().err().map(|e| (e.kind, e.offset));
        assert_eq!(e(""), Some((PortSpecErrorKind::Empty, 0)));
        assert_eq!(e("0"), Some((PortSpecErrorKind::OutOfRange, 0)));
        assert_eq!(e("65536"), Some((PortSpecErrorKind::OutOfRange, 0)));
        assert_eq!(e("999999"), Some((PortSpecErrorKind::NotANumber, 0)));
        assert_eq!(e("80,x"), Some((PortSpecErrorKind::NotANumber, 3)));
        assert_eq!(e("5000-4000"), Some((PortSpecErrorKind::Reversed, 0)));
        assert_eq!(e("1-9/prime"), Some((PortSpecErrorKind::BadParity, 4)));
        assert_eq!(e("80/even"), Some((PortSpecErrorKind::BadParity, 0)));
        assert_eq!(e("1,"), Some((PortSpecErrorKind::Empty, 2)));
        let many = vec!["1"; MAX_ITEMS + 1].join(",");
        assert_eq!(
            e(&many),
            Some((PortSpecErrorKind::TooManyItems, 2 * MAX_ITEMS))
        );
    }

    #[test]
    fn round_trips_and_admits() {
        for s in [
            "5061",
            "2776-2777,36000-36001",
            "36001-36011/odd",
            "any",
            "eph",
            "n/a",
            "configured",
        ] {
            let p: PortSpec = s.parse().unwrap_or(PortSpec::NotApplicable);
            assert_eq!(p.to_string(), s);
        }
        let odd: PortSpec = "36001-36011/odd".parse().unwrap_or(PortSpec::NotApplicable);
        assert!(odd.admits(36003));
        assert!(!odd.admits(36002));
        assert!(!odd.admits(36013));
        assert!(PortSpec::Any.admits(1));
        assert!(!PortSpec::Configured.admits(1));
    }
}
