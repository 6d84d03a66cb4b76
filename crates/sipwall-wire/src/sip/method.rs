//! SIP methods (RFC 3261 §7.1, §25.1 `Method = INVITEm / ... / extension-method`).
//!
//! An open enum: unknown tokens are kept as they were written, so `RE%47IST%45R` (RFC 4475
//! §3.1.1.5) is an extension method, not REGISTER. Method names are case-sensitive.

use std::fmt;

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
    pub fn from_token(token: &'a [u8]) -> Method<'a> {
        match token {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"PRACK" => Method::Prack,
            b"UPDATE" => Method::Update,
            b"INFO" => Method::Info,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"PUBLISH" => Method::Publish,
            other => Method::Other(other),
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
}
