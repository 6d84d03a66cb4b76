//! SIP methods (RFC 3261 §7.1, §25.1 `Method = INVITEm / ... / extension-method`).
//!
//! An open enum: unknown tokens are kept as they were written, so `RE%47IST%45R` (RFC 4475
//! §3.1.1.5) is an extension method, not REGISTER. Method names are case-sensitive.

use std::fmt;

use super::text::load_upto8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Prack,
    Update,
    Info,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    /// An extension method token, as written.
    Other(&'a [u8]),
}

impl<'a> Method<'a> {
    /// Classify a method token. The caller has checked that `token` is a `token` (RFC 3261 §25.1).
    ///
    /// The name is read as one little-endian word (the known names other than SUBSCRIBE have
    /// 3 to 8 bytes) and matched with its length: a few compares of constants instead of a
    /// byte comparison per candidate, which keeps this small (it runs on every request).
    pub fn from_token(token: &'a [u8]) -> Method<'a> {
        let n = token.len();
        let key = match n {
            3..=8 => load_upto8(token, 0, n),
            _ if token == b"SUBSCRIBE" => return Method::Subscribe,
            _ => return Method::Other(token),
        };
        match (n, key) {
            (6, keys::INVITE) => Method::Invite,
            (3, keys::ACK) => Method::Ack,
            (3, keys::BYE) => Method::Bye,
            (6, keys::CANCEL) => Method::Cancel,
            (8, keys::REGISTER) => Method::Register,
            (7, keys::OPTIONS) => Method::Options,
            (5, keys::PRACK) => Method::Prack,
            (6, keys::UPDATE) => Method::Update,
            (4, keys::INFO) => Method::Info,
            (6, keys::NOTIFY) => Method::Notify,
            (5, keys::REFER) => Method::Refer,
            (7, keys::MESSAGE) => Method::Message,
            (7, keys::PUBLISH) => Method::Publish,
            _ => Method::Other(token),
        }
    }

    /// The method as bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            Method::Invite => b"INVITE",
            Method::Ack => b"ACK",
            Method::Bye => b"BYE",
            Method::Cancel => b"CANCEL",
            Method::Register => b"REGISTER",
            Method::Options => b"OPTIONS",
            Method::Prack => b"PRACK",
            Method::Update => b"UPDATE",
            Method::Info => b"INFO",
            Method::Subscribe => b"SUBSCRIBE",
            Method::Notify => b"NOTIFY",
            Method::Refer => b"REFER",
            Method::Message => b"MESSAGE",
            Method::Publish => b"PUBLISH",
            Method::Other(t) => t,
        }
    }

    /// The name of a known method (`None` for extension methods).
    pub fn name(&self) -> Option<&'static str> {
        Some(match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Info => "INFO",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(_) => return None,
        })
    }

    /// True for methods RFC 3261 and its extensions define.
    pub fn is_known(&self) -> bool {
        !matches!(self, Method::Other(_))
    }
}

/// The known method names (but SUBSCRIBE) as [`load_upto8`] reads them.
mod keys {
    use super::super::text::const_word;

    const fn word(name: &[u8]) -> u64 {
        const_word(name, 0, name.len())
    }
    pub const INVITE: u64 = word(b"INVITE");
    pub const ACK: u64 = word(b"ACK");
    pub const BYE: u64 = word(b"BYE");
    pub const CANCEL: u64 = word(b"CANCEL");
    pub const REGISTER: u64 = word(b"REGISTER");
    pub const OPTIONS: u64 = word(b"OPTIONS");
    pub const PRACK: u64 = word(b"PRACK");
    pub const UPDATE: u64 = word(b"UPDATE");
    pub const INFO: u64 = word(b"INFO");
    pub const NOTIFY: u64 = word(b"NOTIFY");
    pub const REFER: u64 = word(b"REFER");
    pub const MESSAGE: u64 = word(b"MESSAGE");
    pub const PUBLISH: u64 = word(b"PUBLISH");
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown() {
        assert_eq!(Method::from_token(b"INVITE"), Method::Invite);
        assert_eq!(Method::from_token(b"invite"), Method::Other(b"invite"));
        assert_eq!(
            Method::from_token(b"RE%47IST%45R").as_bytes(),
            b"RE%47IST%45R"
        );
        assert!(!Method::from_token(b"NEWMETHOD").is_known());
    }

    /// The word classifier gives what a byte comparison with each known name gives: for every
    /// known name, its prefixes, extensions, case and one-byte changes, NUL padding.
    #[test]
    fn from_token_matches_byte_comparison() {
        let known: Vec<Method<'static>> = [
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "REGISTER",
            "OPTIONS",
            "PRACK",
            "UPDATE",
            "INFO",
            "SUBSCRIBE",
            "NOTIFY",
            "REFER",
            "MESSAGE",
            "PUBLISH",
        ]
        .iter()
        .map(|n| Method::from_token(n.as_bytes()))
        .collect();
        assert!(known.iter().all(Method::is_known));
        fn by_bytes<'t>(known: &[Method<'static>], t: &'t [u8]) -> Method<'t> {
            known
                .iter()
                .copied()
                .find(|m| m.as_bytes() == t)
                .unwrap_or(Method::Other(t))
        }
        let mut tokens: Vec<Vec<u8>> = vec![vec![], b"A".to_vec(), b"AC".to_vec()];
        for m in &known {
            let name = m.as_bytes();
            tokens.push(name.to_vec());
            tokens.push(name.to_ascii_lowercase());
            tokens.push([name, b"\0"].concat());
            tokens.push([name, b"X"].concat());
            tokens.push([b"\0", name].concat());
            for i in 0..name.len() {
                tokens.push(name[..i].to_vec());
                let mut t = name.to_vec();
                t[i] ^= 0x20;
                tokens.push(t.clone());
                t[i] = 0;
                tokens.push(t);
            }
        }
        for t in &tokens {
            assert_eq!(Method::from_token(t), by_bytes(&known, t), "{t:?}");
        }
    }
}
