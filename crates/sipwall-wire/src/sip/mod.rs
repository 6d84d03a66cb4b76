//! SIP messages (RFC 3261): start line, header index, framing, typed header values, validation.
//!
//! Module map:
//! - `message`, `header`, `framing`, `validate`: the message view and its index of header spans.
//! - `text`: lexical rules shared by every header grammar (RFC 3261 §25.1: token, LWS,
//!   quoted-string, comma-separated lists).
//! - `params`, `uri`, `name_addr`, `via`, `cseq`: typed header values.
//!
//! Contract shared by all value parsers: they take the value bytes of one header (or one
//! element of a list header), return sub-slices of that input (never copies: a rewrite needs the
//! byte range of every token, see `Message::span_of`), report errors as `ParseError` with an
//! offset relative to their input, and never panic.

pub mod cseq;
pub mod framing;
pub mod header;
pub mod message;
pub mod method;
pub mod name_addr;
pub mod params;
pub mod text;
pub mod uri;
pub mod validate;
pub mod via;

pub use cseq::CSeq;
pub use framing::{frame, Framing, Transport};
pub use header::{Header, HeaderName};
pub use message::{Limits, Message, StartLine};
pub use method::Method;
pub use name_addr::{Contact, NameAddr};
pub use params::{Param, Params};
pub use uri::{Host, Scheme, Uri};
pub use validate::{check_sip_date, ValidateOptions};
pub use via::Via;
