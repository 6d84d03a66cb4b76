//! `sipwall-wire`: views over SIP messages, SDP bodies and packets.
//!
//! Everything here borrows from the input bytes: a parsed [`sip::Message`] is an index of spans
//! over the datagram or stream buffer, and every token an ALG may rewrite is a sub-slice of that
//! buffer, so its byte range is known (see [`sip::Message::span_of`]). No I/O, no clock.
//!
//! No function in this crate panics on any input bytes; every limit is a [`sip::Limits`] value.
//!
//! ```
//! use sipwall_wire::sip::{Limits, Message, Method, Transport};
//!
//! let bytes = b"BYE sip:bob@192.0.2.4 SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK7\r\n\
//! f: <sip:alice@example.com>;tag=1\r\nt: <sip:bob@example.com>;tag=2\r\ni: c1\r\n\
//! CSeq: 2 BYE\r\nl: 0\r\n\r\n";
//! let msg = Message::parse(bytes, Transport::Datagram, &Limits::default())?;
//! assert_eq!(msg.method(), Some(Method::Bye));
//! let via = msg.top_via().expect("a Via")?;
//! assert_eq!(via.branch(), Some(&b"z9hG4bK7"[..]));
//! // Every token is a sub-slice of the input: its byte range is known for rewriting.
//! assert_eq!(msg.span_of(via.host_raw()), Some(46..55));
//! msg.validate()?;
//! # Ok::<(), sipwall_wire::ParseError>(())
//! ```

#![forbid(unsafe_code)]

pub mod body;
pub mod error;
pub mod packet;
pub mod rewrite;
pub mod sdp;
pub mod sip;

pub use error::{ErrorKind, ParseError};
