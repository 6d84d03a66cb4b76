//! Where one SIP message ends (RFC 3261 §18.3).
//!
//! On a datagram transport each datagram carries one message; Content-Length, when present,
//! says where its body ends and later octets are ignored (RFC 4475 §3.1.1.8 dblreq), and a body
//! shorter than Content-Length is an error (RFC 4475 §3.1.2.2 clerr; a UDP server answers 400).
//! On a stream transport Content-Length is mandatory and is the only way to find the next
//! message, so any doubt about it (missing, negative, repeated, overflowing, larger than the
//! message-size limit) makes the stream invalid rather than guessed at: the Linux helper once
//! accepted a 2^32+N length, truncated it to N, and parsed the trailing TCP data as a second
//! message.

use memchr::memmem;

use super::message::{leading_crlf, parse_head, Limits};
use crate::error::{ErrorKind, ParseError};

/// The transport a message arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP (and SCTP, message-oriented): one message per datagram.
    Datagram,
    /// TCP or TLS: a byte stream of messages, each with a Content-Length.
    Stream,
}

/// The result of [`frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// A whole message occupies `input[..len]` (for a datagram, `len` excludes octets after
    /// Content-Length).
    Complete { len: usize },
    /// Only CR/LF bytes at the start: keepalives (RFC 5626 §3.5.1, CRLFCRLF ping / CRLF pong)
    /// or CRLFs RFC 3261 §7.5 says to ignore. Consume `len` bytes and frame again.
    Keepalive { len: usize },
    /// More bytes are needed: at least `needed` more when the length is already known.
    Incomplete { needed: Option<usize> },
    /// The input cannot be framed; for a stream, the connection cannot be resynchronised.
    Invalid { offset: usize, kind: ErrorKind },
}

impl From<ParseError> for Framing {
    fn from(e: ParseError) -> Self {
        Framing::Invalid {
            offset: e.offset,
            kind: e.kind,
        }
    }
}

/// Find the end of the first message in `input`.
///
/// For a stream this parses the start line and header section (the same code as
/// [`super::Message::parse`], so the framer and the parser never disagree about a length)
/// once the empty line that ends them has arrived.
pub fn frame(input: &[u8], transport: Transport, limits: &Limits) -> Framing {
    let crlf = leading_crlf(input);
    if crlf > 0 && transport == Transport::Stream {
        return Framing::Keepalive { len: crlf };
    }
    if crlf == input.len() {
        return match transport {
            Transport::Stream => Framing::Incomplete { needed: Some(1) },
            Transport::Datagram => Framing::Invalid {
                offset: input.len(),
                kind: ErrorKind::BadStartLine,
            },
        };
    }
    if transport == Transport::Stream {
        // Cheap pre-check so a slowly arriving header section is not re-parsed for every
        // segment: the header section ends with an empty line (CRLF CRLF, or LF LF).
        let has_end =
            memmem::find(input, b"\n\r\n").is_some() || memmem::find(input, b"\n\n").is_some();
        if !has_end {
            return if input.len() >= limits.max_message_size {
                Framing::Invalid {
                    offset: limits.max_message_size,
                    kind: ErrorKind::MessageTooLarge,
                }
            } else {
                Framing::Incomplete { needed: None }
            };
        }
    }
    let head = match parse_head(input, limits, transport, false) {
        Ok(h) => h,
        Err(e) if e.kind == ErrorKind::MissingEndOfHeaders && transport == Transport::Stream => {
            return Framing::Incomplete { needed: None };
        }
        Err(e) => return e.into(),
    };
    let available = input.len() - head.body_offset();
    match (head.content_length(), transport) {
        (None, Transport::Datagram) => Framing::Complete { len: input.len() },
        (None, Transport::Stream) => Framing::Invalid {
            offset: head.start_offset(),
            kind: ErrorKind::MissingContentLength,
        },
        (Some(cl), _) if head.body_offset().saturating_add(cl) > limits.max_message_size => {
            Framing::Invalid {
                offset: head.body_offset(),
                kind: ErrorKind::MessageTooLarge,
            }
        }
        (Some(cl), Transport::Datagram) if cl > available => Framing::Invalid {
            offset: input.len(),
            kind: ErrorKind::TruncatedBody,
        },
        (Some(cl), Transport::Stream) if cl > available => Framing::Incomplete {
            needed: Some(cl - available),
        },
        (Some(cl), _) => Framing::Complete {
            len: head.body_offset() + cl,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello";

    fn tcp(b: &[u8]) -> Framing {
        frame(b, Transport::Stream, &Limits::default())
    }

    #[test]
    fn stream_complete_incomplete_and_pipelined() {
        assert_eq!(tcp(MSG), Framing::Complete { len: MSG.len() });
        assert_eq!(
            tcp(&MSG[..MSG.len() - 2]),
            Framing::Incomplete { needed: Some(2) }
        );
        assert_eq!(tcp(&MSG[..10]), Framing::Incomplete { needed: None });
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(tcp(&two), Framing::Complete { len: MSG.len() });
        assert_eq!(tcp(&two[MSG.len()..]), Framing::Complete { len: MSG.len() });
    }

    #[test]
    fn stream_every_split_point_frames_consistently() {
        for cut in 0..MSG.len() {
            match tcp(&MSG[..cut]) {
                Framing::Incomplete { .. } | Framing::Keepalive { .. } => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn stream_keepalives() {
        assert_eq!(tcp(b"\r\n\r\n"), Framing::Keepalive { len: 4 });
        assert_eq!(tcp(b"\r\nINVITE"), Framing::Keepalive { len: 2 });
        assert_eq!(tcp(b""), Framing::Incomplete { needed: Some(1) });
    }

    #[test]
    fn stream_rejects_doubtful_lengths() {
        let inv = |b: &[u8]| match tcp(b) {
            Framing::Invalid { kind, .. } => kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            inv(b"BYE sip:a@b SIP/2.0\r\nX: 1\r\n\r\n"),
            ErrorKind::MissingContentLength
        );
        // 2^32 + 32: must not wrap to 32 (the Linux helper bug).
        assert_eq!(
            inv(b"BYE sip:a@b SIP/2.0\r\nContent-Length: 4294967328\r\n\r\n"),
            ErrorKind::ContentLengthTooLarge
        );
        assert_eq!(
            inv(b"BYE sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\n"),
            ErrorKind::BadContentLength
        );
        assert_eq!(
            inv(b"BYE sip:a@b SIP/2.0\r\nl: 5\r\nl: 5\r\n\r\n"),
            ErrorKind::RepeatedContentLength
        );
        let small = Limits {
            max_message_size: 64,
            ..Limits::default()
        };
        assert!(matches!(
            frame(&[b'A'; 100], Transport::Stream, &small),
            Framing::Invalid {
                kind: ErrorKind::MessageTooLarge,
                ..
            }
        ));
    }

    #[test]
    fn datagram_rules() {
        let udp = |b: &[u8]| frame(b, Transport::Datagram, &Limits::default());
        let mut extra = MSG.to_vec();
        extra.extend_from_slice(b"TRAILING");
        assert_eq!(udp(&extra), Framing::Complete { len: MSG.len() });
        assert!(matches!(
            udp(&MSG[..MSG.len() - 1]),
            Framing::Invalid {
                kind: ErrorKind::TruncatedBody,
                ..
            }
        ));
        let no_cl = b"BYE sip:a@b SIP/2.0\r\nX: 1\r\n\r\nbody";
        assert_eq!(udp(no_cl), Framing::Complete { len: no_cl.len() });
    }
}
