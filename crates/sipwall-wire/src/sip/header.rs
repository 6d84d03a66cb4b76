//! Header names: case-insensitive lookup, compact forms, and each header's value shape.
//!
//! RFC 3261 §7.3.1: field names are case-insensitive. §7.3.3 and §20 define the compact forms;
//! later extensions add more (the IANA "Header Fields" registry lists them all):
//!
//! | compact | header | defined in |
//! |---|---|---|
//! | a | Accept-Contact | RFC 3841 |
//! | b | Referred-By | RFC 3892 |
//! | c | Content-Type | RFC 3261 |
//! | d | Request-Disposition | RFC 3841 |
//! | e | Content-Encoding | RFC 3261 |
//! | f | From | RFC 3261 |
//! | i | Call-ID | RFC 3261 |
//! | j | Reject-Contact | RFC 3841 |
//! | k | Supported | RFC 3261 |
//! | l | Content-Length | RFC 3261 |
//! | m | Contact | RFC 3261 |
//! | o | Event | RFC 6665 |
//! | r | Refer-To | RFC 3515 |
//! | s | Subject | RFC 3261 |
//! | t | To | RFC 3261 |
//! | u | Allow-Events | RFC 6665 |
//! | v | Via | RFC 3261 |
//! | x | Session-Expires | RFC 4028 |
//! | y | Identity | RFC 8224 |

use std::fmt;

/// A header's name, classified. Unknown names are `Other`; the written name is kept in
/// [`Header::name_raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Accept,
    AcceptContact,
    AcceptEncoding,
    AcceptLanguage,
    AlertInfo,
    Allow,
    AllowEvents,
    AuthenticationInfo,
    Authorization,
    CallId,
    CallInfo,
    Contact,
    ContentDisposition,
    ContentEncoding,
    ContentLanguage,
    ContentLength,
    ContentType,
    CSeq,
    Date,
    ErrorInfo,
    Event,
    Expires,
    From,
    Identity,
    InReplyTo,
    MaxForwards,
    MimeVersion,
    MinExpires,
    MinSe,
    Organization,
    PAssertedIdentity,
    PPreferredIdentity,
    Path,
    Priority,
    Privacy,
    ProxyAuthenticate,
    ProxyAuthorization,
    ProxyRequire,
    RAck,
    Reason,
    RecordRoute,
    ReferTo,
    ReferredBy,
    RejectContact,
    ReplyTo,
    Replaces,
    RequestDisposition,
    Require,
    RetryAfter,
    Route,
    RSeq,
    Server,
    ServiceRoute,
    SessionExpires,
    SipETag,
    SipIfMatch,
    Subject,
    SubscriptionState,
    Supported,
    Timestamp,
    To,
    Unsupported,
    UserAgent,
    Via,
    Warning,
    WwwAuthenticate,
    /// Any other header; see [`Header::name_raw`].
    Other,
}

/// Longest known full header name, in bytes ("Authentication-Info", "Subscription-State",
/// "P-Preferred-Identity" are 20). Names longer than this are `Other` without a lookup.
const MAX_KNOWN_NAME: usize = 20;

impl HeaderName {
    /// Classify a header name (case-insensitive, compact forms included).
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        use HeaderName::*;
        if name.len() == 1 {
            return match name[0].to_ascii_lowercase() {
                b'a' => AcceptContact,
                b'b' => ReferredBy,
                b'c' => ContentType,
                b'd' => RequestDisposition,
                b'e' => ContentEncoding,
                b'f' => From,
                b'i' => CallId,
                b'j' => RejectContact,
                b'k' => Supported,
                b'l' => ContentLength,
                b'm' => Contact,
                b'o' => Event,
                b'r' => ReferTo,
                b's' => Subject,
                b't' => To,
                b'u' => AllowEvents,
                b'v' => Via,
                b'x' => SessionExpires,
                b'y' => Identity,
                _ => Other,
            };
        }
        if name.is_empty() || name.len() > MAX_KNOWN_NAME {
            return Other;
        }
        let mut buf = [0u8; MAX_KNOWN_NAME];
        let lower = &mut buf[..name.len()];
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        match &*lower {
            b"accept" => Accept,
            b"accept-contact" => AcceptContact,
            b"accept-encoding" => AcceptEncoding,
            b"accept-language" => AcceptLanguage,
            b"alert-info" => AlertInfo,
            b"allow" => Allow,
            b"allow-events" => AllowEvents,
            b"authentication-info" => AuthenticationInfo,
            b"authorization" => Authorization,
            b"call-id" => CallId,
            b"call-info" => CallInfo,
            b"contact" => Contact,
            b"content-disposition" => ContentDisposition,
            b"content-encoding" => ContentEncoding,
            b"content-language" => ContentLanguage,
            b"content-length" => ContentLength,
            b"content-type" => ContentType,
            b"cseq" => CSeq,
            b"date" => Date,
            b"error-info" => ErrorInfo,
            b"event" => Event,
            b"expires" => Expires,
            b"from" => From,
            b"identity" => Identity,
            b"in-reply-to" => InReplyTo,
            b"max-forwards" => MaxForwards,
            b"mime-version" => MimeVersion,
            b"min-expires" => MinExpires,
            b"min-se" => MinSe,
            b"organization" => Organization,
            b"p-asserted-identity" => PAssertedIdentity,
            b"p-preferred-identity" => PPreferredIdentity,
            b"path" => Path,
            b"priority" => Priority,
            b"privacy" => Privacy,
            b"proxy-authenticate" => ProxyAuthenticate,
            b"proxy-authorization" => ProxyAuthorization,
            b"proxy-require" => ProxyRequire,
            b"rack" => RAck,
            b"reason" => Reason,
            b"record-route" => RecordRoute,
            b"refer-to" => ReferTo,
            b"referred-by" => ReferredBy,
            b"reject-contact" => RejectContact,
            b"reply-to" => ReplyTo,
            b"replaces" => Replaces,
            b"request-disposition" => RequestDisposition,
            b"require" => Require,
            b"retry-after" => RetryAfter,
            b"route" => Route,
            b"rseq" => RSeq,
            b"server" => Server,
            b"service-route" => ServiceRoute,
            b"session-expires" => SessionExpires,
            b"sip-etag" => SipETag,
            b"sip-if-match" => SipIfMatch,
            b"subject" => Subject,
            b"subscription-state" => SubscriptionState,
            b"supported" => Supported,
            b"timestamp" => Timestamp,
            b"to" => To,
            b"unsupported" => Unsupported,
            b"user-agent" => UserAgent,
            b"via" => Via,
            b"warning" => Warning,
            b"www-authenticate" => WwwAuthenticate,
            _ => Other,
        }
    }

    /// The canonical (long) name, or `None` for `Other`.
    pub fn canonical(self) -> Option<&'static str> {
        use HeaderName::*;
        Some(match self {
            Accept => "Accept",
            AcceptContact => "Accept-Contact",
            AcceptEncoding => "Accept-Encoding",
            AcceptLanguage => "Accept-Language",
            AlertInfo => "Alert-Info",
            Allow => "Allow",
            AllowEvents => "Allow-Events",
            AuthenticationInfo => "Authentication-Info",
            Authorization => "Authorization",
            CallId => "Call-ID",
            CallInfo => "Call-Info",
            Contact => "Contact",
            ContentDisposition => "Content-Disposition",
            ContentEncoding => "Content-Encoding",
            ContentLanguage => "Content-Language",
            ContentLength => "Content-Length",
            ContentType => "Content-Type",
            CSeq => "CSeq",
            Date => "Date",
            ErrorInfo => "Error-Info",
            Event => "Event",
            Expires => "Expires",
            From => "From",
            Identity => "Identity",
            InReplyTo => "In-Reply-To",
            MaxForwards => "Max-Forwards",
            MimeVersion => "MIME-Version",
            MinExpires => "Min-Expires",
            MinSe => "Min-SE",
            Organization => "Organization",
            PAssertedIdentity => "P-Asserted-Identity",
            PPreferredIdentity => "P-Preferred-Identity",
            Path => "Path",
            Priority => "Priority",
            Privacy => "Privacy",
            ProxyAuthenticate => "Proxy-Authenticate",
            ProxyAuthorization => "Proxy-Authorization",
            ProxyRequire => "Proxy-Require",
            RAck => "RAck",
            Reason => "Reason",
            RecordRoute => "Record-Route",
            ReferTo => "Refer-To",
            ReferredBy => "Referred-By",
            RejectContact => "Reject-Contact",
            ReplyTo => "Reply-To",
            Replaces => "Replaces",
            RequestDisposition => "Request-Disposition",
            Require => "Require",
            RetryAfter => "Retry-After",
            Route => "Route",
            RSeq => "RSeq",
            Server => "Server",
            ServiceRoute => "Service-Route",
            SessionExpires => "Session-Expires",
            SipETag => "SIP-ETag",
            SipIfMatch => "SIP-If-Match",
            Subject => "Subject",
            SubscriptionState => "Subscription-State",
            Supported => "Supported",
            Timestamp => "Timestamp",
            To => "To",
            Unsupported => "Unsupported",
            UserAgent => "User-Agent",
            Via => "Via",
            Warning => "Warning",
            WwwAuthenticate => "WWW-Authenticate",
            Other => return None,
        })
    }

    /// Whether the header's grammar is a comma-separated list (`#element`, RFC 3261 §7.3.1),
    /// so that several values may share one header line and several lines combine into one
    /// list. Headers whose values contain bare commas by grammar (the authentication headers'
    /// auth-params, Date's RFC 1123 date, Subject/Organization/Server/User-Agent text) are not
    /// lists and are never split.
    pub fn is_list(self) -> bool {
        use HeaderName::*;
        matches!(
            self,
            Accept
                | AcceptContact
                | AcceptEncoding
                | AcceptLanguage
                | AlertInfo
                | Allow
                | AllowEvents
                | CallInfo
                | Contact
                | ContentEncoding
                | ContentLanguage
                | ErrorInfo
                | InReplyTo
                | PAssertedIdentity
                | PPreferredIdentity
                | Path
                | ProxyRequire
                | Reason
                | RecordRoute
                | RejectContact
                | Require
                | Route
                | ServiceRoute
                | Supported
                | Unsupported
                | Via
                | Warning
        )
    }

    /// Whether the header may appear at most once (its grammar has no `#` list and RFC 3261
    /// §7.3.1 forbids combining it). Used by `validate()` (RFC 4475 §3.3.8 multi01).
    pub fn is_single(self) -> bool {
        use HeaderName::*;
        matches!(
            self,
            CallId
                | ContentDisposition
                | ContentLength
                | ContentType
                | CSeq
                | Date
                | Expires
                | From
                | MaxForwards
                | MimeVersion
                | MinExpires
                | MinSe
                | Organization
                | Priority
                | RAck
                | ReferTo
                | ReferredBy
                | ReplyTo
                | RetryAfter
                | RSeq
                | Server
                | SessionExpires
                | SipETag
                | SipIfMatch
                | Subject
                | Timestamp
                | To
                | UserAgent
        )
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical().unwrap_or("(other)"))
    }
}

/// One header field as it stands in the message: its name (classified and as written) and its
/// value with surrounding whitespace removed. The value may span folded lines (RFC 3261
/// §7.3.1); value parsers treat the folds as LWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: HeaderName,
    /// The name as written (`"MaX-fOrWaRdS"`, `"v"`).
    pub name_raw: &'a [u8],
    /// The value, trimmed of leading and trailing whitespace; may contain line folds.
    pub value: &'a [u8],
    /// Byte range of the whole header field in the message, from the first byte of the name to
    /// the end of its last line terminator.
    pub line_start: u32,
    pub line_end: u32,
}

impl Header<'_> {
    /// Does this header have the name `name` (case-insensitive; compact forms match their long
    /// name when known)?
    pub fn is_named(&self, name: &[u8]) -> bool {
        match HeaderName::from_bytes(name) {
            HeaderName::Other => self.name_raw.eq_ignore_ascii_case(name),
            known => known == self.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_with_compact_forms() {
        assert_eq!(
            HeaderName::from_bytes(b"MaX-fOrWaRdS"),
            HeaderName::MaxForwards
        );
        assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"V"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"l"), HeaderName::ContentLength);
        assert_eq!(HeaderName::from_bytes(b"i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"y"), HeaderName::Identity);
        assert_eq!(HeaderName::from_bytes(b"x"), HeaderName::SessionExpires);
        assert_eq!(HeaderName::from_bytes(b"n"), HeaderName::Other);
        assert_eq!(
            HeaderName::from_bytes(b"NewFangledHeader"),
            HeaderName::Other
        );
        assert_eq!(HeaderName::from_bytes(b""), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(&[0xff; 40]), HeaderName::Other);
    }

    #[test]
    fn every_compact_form_of_the_issue_is_known() {
        for c in b"abcdefijklmorstuvxy" {
            let n = HeaderName::from_bytes(&[*c]);
            assert_ne!(n, HeaderName::Other, "compact form {}", *c as char);
            // The long name maps back to the same header.
            let long = n.canonical().expect("known");
            assert_eq!(HeaderName::from_bytes(long.as_bytes()), n);
        }
    }

    #[test]
    fn canonical_names_round_trip() {
        for name in [
            "Via",
            "WWW-Authenticate",
            "P-Asserted-Identity",
            "Authentication-Info",
            "Subscription-State",
        ] {
            let n = HeaderName::from_bytes(name.as_bytes());
            assert_eq!(n.canonical(), Some(name));
        }
    }

    #[test]
    fn list_and_single_are_disjoint() {
        use HeaderName::*;
        for h in [Via, Contact, Route, RecordRoute, Allow, Supported] {
            assert!(h.is_list() && !h.is_single());
        }
        for h in [From, To, CallId, CSeq, ContentLength, MaxForwards] {
            assert!(h.is_single() && !h.is_list());
        }
        for h in [WwwAuthenticate, Authorization, Date] {
            assert!(!h.is_list());
        }
    }
}
