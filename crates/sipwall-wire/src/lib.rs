//! `sipwall-wire`: views over SIP messages, SDP bodies and packets.
//!
//! Everything here borrows from the input bytes: a parsed [`sip::Message`] is an index of spans
//! over the datagram or stream buffer, and every token an ALG may rewrite is a sub-slice of that
//! buffer, so its byte range is known (see [`sip::Message::span_of`]). No I/O, no clock.
//!
//! No function in this crate panics on any input bytes; every limit is a [`sip::Limits`] value.

#![forbid(unsafe_code)]

pub mod body;
pub mod error;
pub mod packet;
pub mod rewrite;
pub mod sdp;
pub mod sip;

pub use error::{ErrorKind, ParseError};
