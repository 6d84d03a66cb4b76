//! Semantic checks a firewall applies after parsing (RFC 3261 §8.1.1, §7.3.1, §20), and the
//! body accessors.
//!
//! `Message::parse` accepts anything whose framing and line structure are sound; `validate()`
//! decides whether the message is one a conforming element would act on: the mandatory
//! headers are there, single-value headers are not repeated, the CSeq method matches, and the
//! values the ALG will read (Via, From, To, Contact, Route, Record-Route, CSeq, Max-Forwards,
//! Expires, Content-Type, Date) follow their grammar.

use super::header::HeaderName;
use super::message::{Message, StartLine};
use super::method::Method;
use super::uri::Scheme;
use crate::body::{find_sdp, ContentType};
use crate::error::{ErrorKind, ParseError};
use crate::sdp::{self, SessionDescription};

/// Which checks `validate_with` applies. The defaults are the strict profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateOptions {
    /// RFC 3261 §8.1.1 lists Max-Forwards among the headers a UAC MUST send, but RFC 2543
    /// elements (RFC 4475 §3.4.1) omit it and proxies add it (§16.6), so by default its absence
    /// is tolerated.
    pub require_max_forwards: bool,
    /// A non-empty body must have a Content-Type (RFC 3261 §7.4.1, §20.15).
    pub require_content_type: bool,
    /// Decode the values the ALG reads and reject those that break their grammar.
    pub check_values: bool,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            require_max_forwards: false,
            require_content_type: true,
            check_values: true,
        }
    }
}

/// RFC 3261 §20.17 / RFC 2616 §3.3.1: `SIP-date = rfc1123-date`,
/// `wkday "," SP 2DIGIT SP month SP 4DIGIT SP 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"`.
/// Only GMT is allowed (RFC 4475 §3.1.2.12 baddate uses "EST").
pub fn check_sip_date(v: &[u8]) -> Result<(), ParseError> {
    const WKDAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let bad = |at: usize| Err(ParseError::new(ErrorKind::BadHeaderValue, at));
    // "Thu, 21 Feb 2002 13:02:03 GMT" is exactly 29 bytes.
    if v.len() != 29 {
        return bad(0);
    }
    let digits = |r: std::ops::Range<usize>| v[r].iter().all(u8::is_ascii_digit);
    if !WKDAYS.contains(&&v[0..3]) || &v[3..5] != b", " {
        return bad(0);
    }
    if !digits(5..7) || v[7] != b' ' || !MONTHS.contains(&&v[8..11]) || v[11] != b' ' {
        return bad(5);
    }
    if !digits(12..16) || v[16] != b' ' {
        return bad(12);
    }
    if !digits(17..19) || v[19] != b':' || !digits(20..22) || v[22] != b':' || !digits(23..25) {
        return bad(17);
    }
    if &v[25..29] != b" GMT" {
        return bad(25);
    }
    Ok(())
}

/// RFC 3261 §25.1 `callid = word [ "@" word ]`: no whitespace, not empty.
fn check_call_id(v: &[u8]) -> Result<(), ParseError> {
    if v.is_empty() {
        return Err(ParseError::new(ErrorKind::BadHeaderValue, 0));
    }
    match v
        .iter()
        .position(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        Some(i) => Err(ParseError::new(ErrorKind::BadHeaderValue, i)),
        None => Ok(()),
    }
}

impl<'a> Message<'a> {
    /// The strict semantic checks; the first problem found, at its message offset.
    pub fn validate(&self) -> Result<(), ParseError> {
        self.validate_with(&ValidateOptions::default())
    }

    /// Semantic checks, as chosen by `opts`.
    pub fn validate_with(&self, opts: &ValidateOptions) -> Result<(), ParseError> {
        // Request-URI (RFC 3261 §19.1.1: headers are not allowed in a Request-URI; RFC 4475
        // §3.1.2.11 escruri).
        if let Some(uri) = self.request_uri() {
            let uri = uri?;
            if matches!(uri.scheme, Scheme::Sip | Scheme::Sips) && uri.headers().is_some() {
                let at = uri
                    .headers()
                    .and_then(|h| self.span_of(h))
                    .map_or(0, |r| r.start);
                return Err(ParseError::new(ErrorKind::BadRequestUri, at));
            }
        }

        // Single-value headers appear once (RFC 3261 §7.3.1; RFC 4475 §3.3.8 multi01).
        let headers = self.headers();
        for (i, h) in headers.iter().enumerate() {
            if h.name.is_single() && headers[..i].iter().any(|p| p.name == h.name) {
                return Err(ParseError::new(
                    ErrorKind::RepeatedHeader,
                    h.line_start as usize,
                ));
            }
        }

        // Mandatory headers (RFC 3261 §8.1.1 for requests; §8.2.6.2 responses copy them).
        let mut required: &[HeaderName] = &[
            HeaderName::To,
            HeaderName::From,
            HeaderName::CSeq,
            HeaderName::CallId,
            HeaderName::Via,
        ];
        let with_mf = [
            HeaderName::To,
            HeaderName::From,
            HeaderName::CSeq,
            HeaderName::CallId,
            HeaderName::Via,
            HeaderName::MaxForwards,
        ];
        if opts.require_max_forwards && self.is_request() {
            required = &with_mf;
        }
        for name in required {
            if self.header(*name).is_none() {
                return Err(ParseError::new(
                    ErrorKind::MissingHeader,
                    self.start_offset(),
                ));
            }
        }

        // CSeq: decodes, and its method is the request's (RFC 3261 §8.1.1.5; RFC 4475
        // §3.1.2.17, §3.1.2.18).
        let cseq = self.cseq()?;
        if let StartLine::Request { method, .. } = self.start_line() {
            if cseq.method != *method {
                let at = self.span_of(cseq.method_raw).map_or(0, |r| r.start);
                return Err(ParseError::new(ErrorKind::CSeqMethodMismatch, at));
            }
        }

        if let Some(ci) = self.call_id() {
            check_call_id(ci).map_err(|e| self.locate(ci, e))?;
        }

        if opts.check_values {
            self.from()?;
            self.to()?;
            self.vias()?;
            self.contacts()?;
            self.routes()?;
            self.record_routes()?;
            if let Some(mf) = self.max_forwards() {
                mf?;
            }
            if let Some(e) = self.expires() {
                e?;
            }
            if let Some(ct) = self.content_type() {
                ct?;
            }
            if let Some(d) = self.header_value(HeaderName::Date) {
                check_sip_date(d).map_err(|e| self.locate(d, e))?;
            }
        }

        if opts.require_content_type
            && !self.body().is_empty()
            && self.header(HeaderName::ContentType).is_none()
        {
            return Err(ParseError::new(
                ErrorKind::MissingHeader,
                self.body_offset(),
            ));
        }
        Ok(())
    }

    /// Content-Type (RFC 3261 §20.15).
    pub fn content_type(&self) -> Option<Result<ContentType<'a>, ParseError>> {
        let v = self.content_type_value()?;
        Some(ContentType::parse(v).map_err(|e| self.locate(v, e)))
    }

    /// The SDP body, wherever it stands: the body itself (application/sdp) or the first SDP
    /// part of a multipart body (RFC 5621). Returns the SDP bytes, a sub-slice of the message.
    pub fn sdp_bytes(&self) -> Option<&'a [u8]> {
        let body = self.body();
        if body.is_empty() {
            return None;
        }
        find_sdp(self.content_type_value(), body).map(|(_, b)| b)
    }

    /// The decoded SDP, if the message carries one; errors are at message offsets.
    pub fn sdp(&self) -> Option<Result<SessionDescription<'a>, ParseError>> {
        // Built in the returned place and filled there: moving the (large) model into an
        // `Option` after the parse cost a copy or two of it on every call.
        let b = self.sdp_bytes();
        let mut out = b.map(|_| Ok(SessionDescription::empty()));
        if let (Some(b), Some(r)) = (b, &mut out) {
            if let Ok(sd) = r {
                if let Err(e) = sdp::parse_into(b, &sdp::SdpLimits::default(), sd) {
                    *r = Err(self.locate(b, e));
                }
            }
        }
        out
    }

    /// Is this a request with this method?
    pub fn is_method(&self, m: Method<'_>) -> bool {
        self.method().is_some_and(|x| x == m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::{Limits, Transport};

    fn parse(b: &[u8]) -> Message<'_> {
        Message::parse(b, Transport::Datagram, &Limits::default()).expect("parses")
    }

    const OK: &[u8] = b"OPTIONS sip:a@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:b@example.com>;tag=1\r\n\
To: <sip:a@example.com>\r\n\
Call-ID: x@y\r\n\
CSeq: 1 OPTIONS\r\n\
Date: Thu, 21 Feb 2002 13:02:03 GMT\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn good_message_validates() {
        parse(OK).validate().unwrap();
    }

    #[test]
    fn each_check_fires() {
        let swap = |from: &str, to: &str| {
            let s = String::from_utf8(OK.to_vec())
                .unwrap()
                .replacen(from, to, 1);
            let m = Message::parse(s.as_bytes(), Transport::Datagram, &Limits::default())
                .unwrap()
                .validate()
                .unwrap_err();
            m.kind
        };
        assert_eq!(
            swap("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"),
            ErrorKind::CSeqMethodMismatch
        );
        assert_eq!(swap("Call-ID: x@y\r\n", ""), ErrorKind::MissingHeader);
        assert_eq!(
            swap("Call-ID: x@y\r\n", "Call-ID: x@y\r\ni: z\r\n"),
            ErrorKind::RepeatedHeader
        );
        assert_eq!(swap("GMT", "EST"), ErrorKind::BadHeaderValue);
        assert_eq!(
            swap("sip:a@example.com SIP", "sip:a@example.com?Route=x SIP"),
            ErrorKind::BadRequestUri
        );
        assert_eq!(swap("tag=1", "tag=1;;"), ErrorKind::BadParam);
        assert_eq!(
            swap("Content-Length: 0\r\n\r\n", "Content-Length: 1\r\n\r\nx"),
            ErrorKind::MissingHeader
        );
        assert_eq!(
            swap("Call-ID: x@y", "Call-ID: x y"),
            ErrorKind::BadHeaderValue
        );
    }

    #[test]
    fn dates() {
        check_sip_date(b"Sat, 13 Nov 2010 23:29:00 GMT").unwrap();
        assert!(check_sip_date(b"Fri, 01 Jan 2010 16:00:00 EST").is_err());
        assert!(check_sip_date(b"Fri, 1 Jan 2010 16:00:00 GMT").is_err());
        assert!(check_sip_date(b"").is_err());
    }
}
