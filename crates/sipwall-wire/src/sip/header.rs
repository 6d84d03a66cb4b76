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

use super::text::load_upto8;

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

/// A header name as up to three little-endian words, each byte ORed with 0x20 (ASCII case
/// fold for letters; `-` and digits already have that bit). Names of up to 16 bytes are their
/// bytes 0 to 7 and 8 to 15, zero-padded (so the header loop builds the key from the two words
/// it reads anyway, with one mask); 17 to 20 bytes the first, second and last 8 (windows
/// overlap, so every byte is covered and the length, matched separately, makes the key exact).
type Key = (u64, u64, u64);

const FOLD: u64 = 0x2020_2020_2020_2020;

/// Compile-time form of [`runtime_key`], for the known names (2..=20 bytes).
const fn name_key(s: &[u8]) -> Key {
    use super::text::const_word as word;
    let n = s.len();
    let (a, b, c) = if n <= 8 {
        (word(s, 0, n), 0, 0)
    } else if n <= 16 {
        (word(s, 0, 8), word(s, 8, n - 8), 0)
    } else {
        (word(s, 0, 8), word(s, 8, 8), word(s, n - 8, 8))
    };
    (a | FOLD, b | FOLD, c | FOLD)
}

#[inline]
fn load8(s: &[u8], at: usize) -> u64 {
    s.get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_le_bytes)
}

/// [`name_key`] at run time (same words, read with unaligned loads).
#[inline]
fn runtime_key(s: &[u8]) -> Key {
    let n = s.len();
    let (a, b, c) = if n <= 8 {
        (load_upto8(s, 0, n), 0, 0)
    } else if n <= 16 {
        (load8(s, 0), load_upto8(s, 8, n - 8), 0)
    } else {
        (load8(s, 0), load8(s, 8), load8(s, n - 8))
    };
    (a | FOLD, b | FOLD, c | FOLD)
}

/// Every known name of 2 to [`MAX_KNOWN_NAME`] bytes (lower case), for [`KNOWN_SLOTS`].
const KNOWN: [(&[u8], HeaderName); 66] = {
    use HeaderName::*;
    [
        (b"to", To),
        (b"via", Via),
        (b"cseq", CSeq),
        (b"date", Date),
        (b"from", From),
        (b"path", Path),
        (b"rack", RAck),
        (b"rseq", RSeq),
        (b"allow", Allow),
        (b"event", Event),
        (b"route", Route),
        (b"accept", Accept),
        (b"min-se", MinSe),
        (b"reason", Reason),
        (b"server", Server),
        (b"call-id", CallId),
        (b"contact", Contact),
        (b"expires", Expires),
        (b"privacy", Privacy),
        (b"require", Require),
        (b"subject", Subject),
        (b"warning", Warning),
        (b"identity", Identity),
        (b"priority", Priority),
        (b"refer-to", ReferTo),
        (b"reply-to", ReplyTo),
        (b"replaces", Replaces),
        (b"sip-etag", SipETag),
        (b"call-info", CallInfo),
        (b"supported", Supported),
        (b"timestamp", Timestamp),
        (b"alert-info", AlertInfo),
        (b"error-info", ErrorInfo),
        (b"user-agent", UserAgent),
        (b"in-reply-to", InReplyTo),
        (b"min-expires", MinExpires),
        (b"referred-by", ReferredBy),
        (b"retry-after", RetryAfter),
        (b"unsupported", Unsupported),
        (b"allow-events", AllowEvents),
        (b"content-type", ContentType),
        (b"max-forwards", MaxForwards),
        (b"mime-version", MimeVersion),
        (b"organization", Organization),
        (b"record-route", RecordRoute),
        (b"sip-if-match", SipIfMatch),
        (b"authorization", Authorization),
        (b"proxy-require", ProxyRequire),
        (b"service-route", ServiceRoute),
        (b"accept-contact", AcceptContact),
        (b"content-length", ContentLength),
        (b"reject-contact", RejectContact),
        (b"accept-encoding", AcceptEncoding),
        (b"accept-language", AcceptLanguage),
        (b"session-expires", SessionExpires),
        (b"content-encoding", ContentEncoding),
        (b"content-language", ContentLanguage),
        (b"www-authenticate", WwwAuthenticate),
        (b"proxy-authenticate", ProxyAuthenticate),
        (b"subscription-state", SubscriptionState),
        (b"authentication-info", AuthenticationInfo),
        (b"content-disposition", ContentDisposition),
        (b"p-asserted-identity", PAssertedIdentity),
        (b"proxy-authorization", ProxyAuthorization),
        (b"request-disposition", RequestDisposition),
        (b"p-preferred-identity", PPreferredIdentity),
    ]
};

/// The name hash picks one of `1 << HASH_BITS` slots from the key's first two words and the
/// length. `HASH_MUL` was chosen by trial so that no two known names share a slot; building
/// [`KNOWN_SLOTS`] fails to compile if that ever stops being true (e.g. a name is added).
const HASH_BITS: u32 = 8;
const HASH_MUL: u64 = 0x3070_a5e1_a8ac_a0e3;

#[inline]
const fn slot(k: Key, len: usize) -> usize {
    let x = k.0 ^ k.1.rotate_left(29) ^ len as u64;
    (x.wrapping_mul(HASH_MUL) >> (64 - HASH_BITS)) as usize
}

/// One known name: its key, its length and what it classifies as.
struct Known {
    key: Key,
    len: usize,
    name: HeaderName,
    /// `0x20` in each of the first 16 bytes that is `-` in the name: the only byte a CR
    /// (0x0d) can pass for under the key's `| 0x20` fold, so a name whose bytes there all
    /// have that bit holds no CR ([`HeaderName::from_line_words`]).
    dash: (u64, u64),
}

/// [`Known::dash`] of a known name.
const fn dash_mask(s: &[u8]) -> (u64, u64) {
    let (mut lo, mut hi) = (0u64, 0u64);
    let mut i = 0;
    while i < s.len() && i < 16 {
        if s[i] == b'-' {
            if i < 8 {
                lo |= 0x20 << (8 * i);
            } else {
                hi |= 0x20 << (8 * (i - 8));
            }
        }
        i += 1;
    }
    (lo, hi)
}

/// `KNOWN_SLOTS[slot]` is 1 + the index in [`KNOWN_ENTRIES`] of the name hashed there, or 0.
/// A table lookup instead of a `match` per length: a few hundred bytes of code instead of
/// several kilobytes, which matters for the i-cache footprint of a whole parse.
static KNOWN_SLOTS: [u8; 1 << HASH_BITS] = {
    let mut t = [0u8; 1 << HASH_BITS];
    let mut i = 0;
    while i < KNOWN.len() {
        let s = slot(name_key(KNOWN[i].0), KNOWN[i].0.len());
        assert!(
            t[s] == 0,
            "two known header names share a hash slot: change HASH_MUL"
        );
        t[s] = (i + 1) as u8;
        i += 1;
    }
    t
};

static KNOWN_ENTRIES: [Known; 66] = {
    let mut t = [const {
        Known {
            key: (0, 0, 0),
            len: 0,
            name: HeaderName::Other,
            dash: (0, 0),
        }
    }; 66];
    let mut i = 0;
    while i < KNOWN.len() {
        t[i] = Known {
            key: name_key(KNOWN[i].0),
            len: KNOWN[i].0.len(),
            name: KNOWN[i].1,
            dash: dash_mask(KNOWN[i].0),
        };
        i += 1;
    }
    t
};

impl HeaderName {
    /// Classify a header name (case-insensitive, compact forms included).
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        let known = Self::from_token(name);
        // The key folds case with `| 0x20`, which also maps CR (0x0d) onto `-` (0x2d): the
        // only byte outside a known name that can alias one of its bytes. Header names from
        // `Message::parse` are tokens (no CR); arbitrary callers are checked here.
        if known != HeaderName::Other && name.contains(&b'\r') {
            return HeaderName::Other;
        }
        known
    }

    /// [`HeaderName::from_bytes`] without the CR check: exact for a `token` (RFC 3261 §25.1).
    /// On other bytes it never panics, and a known result is wrong only if the name holds a CR
    /// (which folds onto `-`); `Message::parse` rules CR out itself.
    #[inline]
    pub(crate) fn from_token(name: &[u8]) -> HeaderName {
        use HeaderName::*;
        match name.len() {
            // Cannot panic: the length is 1.
            1 => Self::compact(name[0]),
            2..=MAX_KNOWN_NAME => Self::classify_long(name),
            _ => Other,
        }
    }

    /// RFC 3261 §7.3.3 and the IANA registry: the one-letter compact forms.
    #[inline]
    fn compact(c: u8) -> HeaderName {
        use HeaderName::*;
        match c.to_ascii_lowercase() {
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
        }
    }

    /// Classify a name of 2 to [`MAX_KNOWN_NAME`] bytes without copying it: the whole name,
    /// read as at most three case-folded machine words, is hashed to one slot of a table and
    /// compared with the known name there. Exact for `token` bytes (RFC 3261 §25.1); a CR
    /// would alias `-` (see [`HeaderName::from_bytes`]).
    #[inline]
    fn classify_long(name: &[u8]) -> HeaderName {
        Self::lookup(runtime_key(name), name.len())
    }

    /// Classify the name made of the first `n` bytes of a header line whose first 16 bytes
    /// the caller has already loaded as two little-endian words `w0`, `w1` to find the colon:
    /// the key of [`runtime_key`] is those words under one mask, so the header loop reads
    /// each short name once and classifies it without a branch on its length. Same result as
    /// [`HeaderName::from_bytes`] on those `n` bytes for `n` from 1 to 15, CR included (a
    /// name with a CR is `Other`, so the caller needs no CR test of its own; tests
    /// `from_line_words_agrees_with_from_token` and `from_line_words_rejects_cr`); other
    /// lengths are `Other` here.
    #[inline(always)]
    pub(crate) fn from_line_words(w0: u64, w1: u64, n: usize) -> HeaderName {
        /// `NAME_MASKS[n]` keeps the first `n` bytes of two words.
        static NAME_MASKS: [(u64, u64); 16] = {
            let mut t = [(0, 0); 16];
            let mut n = 1;
            while n < 16 {
                t[n] = if n <= 8 {
                    (u64::MAX >> (64 - 8 * n), 0)
                } else {
                    (u64::MAX, u64::MAX >> (128 - 8 * n))
                };
                n += 1;
            }
            t
        };
        match (n, NAME_MASKS.get(n)) {
            (1, _) => Self::compact(w0.to_le_bytes()[0]),
            (2.., Some(&(lo, hi))) => {
                match Self::entry(((w0 & lo) | FOLD, (w1 & hi) | FOLD, FOLD), n) {
                    // A CR folds onto `-`: the name is known only if each `-` is one.
                    Some(e) if (!w0 & e.dash.0) | (!w1 & e.dash.1) == 0 => e.name,
                    _ => HeaderName::Other,
                }
            }
            _ => HeaderName::Other,
        }
    }

    /// The known name with key `k` and length `n`, or `Other`.
    #[inline]
    fn lookup(k: Key, n: usize) -> HeaderName {
        Self::entry(k, n).map_or(HeaderName::Other, |e| e.name)
    }

    /// The entry of the known name with key `k` and length `n`.
    #[inline(always)]
    fn entry(k: Key, n: usize) -> Option<&'static Known> {
        let at = KNOWN_SLOTS.get(slot(k, n)).copied().unwrap_or(0);
        KNOWN_ENTRIES
            .get(usize::from(at).wrapping_sub(1))
            .filter(|e| e.len == n && e.key == k)
    }

    /// The oracle the hash table is tested against, stated as [`HeaderName::from_token`]'s
    /// contract: the name whose bytes, each ORed with 0x20, spell a known name (so a CR reads
    /// as `-`, as documented there), found by a plain search of [`KNOWN`].
    #[cfg(test)]
    fn classify_by_search(name: &[u8]) -> HeaderName {
        KNOWN
            .iter()
            .find(|(n, _)| n.len() == name.len() && n.iter().zip(name).all(|(a, b)| *a == b | 0x20))
            .map_or(HeaderName::Other, |(_, h)| *h)
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

    /// The loop's classifier from already-loaded words gives what `from_token` gives, for every
    /// known name (any case, the compact forms too) and near misses, whatever follows the name.
    #[test]
    fn from_line_words_agrees_with_from_token() {
        let mut names: Vec<Vec<u8>> = KNOWN.iter().map(|(n, _)| n.to_vec()).collect();
        names.extend(b"abcdefijklmnoqrstuvwxyz".iter().map(|c| vec![*c]));
        for (n, _) in KNOWN.iter() {
            names.push(n.to_ascii_uppercase());
            let mut near = n.to_vec();
            near[0] ^= 1;
            names.push(near);
            names.push([&n[..n.len() - 1], b"-"].concat());
        }
        names.extend([b"x-foo".to_vec(), b"content-typ".to_vec(), b"tO".to_vec()]);
        for name in &names {
            for tail in [&b": value\r\n"[..], b":", b":xxxxxxxxxxxxxxxx"] {
                let mut line = [0u8; 16];
                let line_bytes = [&name[..], tail, &[b'z'; 16]].concat();
                line.copy_from_slice(&line_bytes[..16]);
                let w0 = u64::from_le_bytes(line[..8].try_into().unwrap());
                let w1 = u64::from_le_bytes(line[8..].try_into().unwrap());
                if name.len() <= 15 {
                    assert_eq!(
                        HeaderName::from_line_words(w0, w1, name.len()),
                        HeaderName::from_token(name),
                        "{:?}",
                        String::from_utf8_lossy(name)
                    );
                }
            }
        }
    }

    /// A CR folds onto `-` under the key's `| 0x20`: the words classifier finds no known name
    /// in a name with a CR anywhere, as `from_bytes` does, and still finds the name when the
    /// CR is outside it.
    #[test]
    fn from_line_words_rejects_cr() {
        for (n, _) in KNOWN.iter().filter(|(n, _)| n.len() <= 15) {
            for at in 0..n.len() {
                let mut line = [b'z'; 16];
                line[..n.len()].copy_from_slice(n);
                line[n.len()] = b':';
                let clean = line;
                line[at] = b'\r';
                let w0 = u64::from_le_bytes(line[..8].try_into().unwrap());
                let w1 = u64::from_le_bytes(line[8..].try_into().unwrap());
                let got = HeaderName::from_line_words(w0, w1, n.len());
                assert_eq!(got, HeaderName::from_bytes(&line[..n.len()]));
                assert_eq!(got, HeaderName::Other, "{:?}", String::from_utf8_lossy(n));
                let mut after = clean;
                if n.len() + 1 < 16 {
                    after[n.len() + 1] = b'\r';
                }
                let w0 = u64::from_le_bytes(after[..8].try_into().unwrap());
                let w1 = u64::from_le_bytes(after[8..].try_into().unwrap());
                assert_eq!(
                    HeaderName::from_line_words(w0, w1, n.len()),
                    HeaderName::from_bytes(n)
                );
            }
        }
    }

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
    fn every_long_name_classifies_in_any_case() {
        const NAMES: [&str; 66] = [
            "to",
            "via",
            "cseq",
            "date",
            "from",
            "path",
            "rack",
            "rseq",
            "allow",
            "event",
            "route",
            "accept",
            "min-se",
            "reason",
            "server",
            "call-id",
            "contact",
            "expires",
            "privacy",
            "require",
            "subject",
            "warning",
            "identity",
            "priority",
            "refer-to",
            "reply-to",
            "replaces",
            "sip-etag",
            "call-info",
            "supported",
            "timestamp",
            "alert-info",
            "error-info",
            "user-agent",
            "in-reply-to",
            "min-expires",
            "referred-by",
            "retry-after",
            "unsupported",
            "allow-events",
            "content-type",
            "max-forwards",
            "mime-version",
            "organization",
            "record-route",
            "sip-if-match",
            "authorization",
            "proxy-require",
            "service-route",
            "accept-contact",
            "content-length",
            "reject-contact",
            "accept-encoding",
            "accept-language",
            "session-expires",
            "content-encoding",
            "content-language",
            "www-authenticate",
            "proxy-authenticate",
            "subscription-state",
            "authentication-info",
            "content-disposition",
            "p-asserted-identity",
            "proxy-authorization",
            "request-disposition",
            "p-preferred-identity",
        ];
        for name in NAMES {
            let n = HeaderName::from_bytes(name.as_bytes());
            assert_ne!(n, HeaderName::Other, "{name}");
            let canonical = n.canonical().expect("known");
            assert!(canonical.eq_ignore_ascii_case(name));
            assert_eq!(HeaderName::from_bytes(name.to_uppercase().as_bytes()), n);
            // One byte changed, added or removed: not this header.
            let mut other = name.as_bytes().to_vec();
            other[0] ^= 0x01;
            assert_ne!(HeaderName::from_bytes(&other), n, "{name}");
            other[0] ^= 0x01;
            other.push(b's');
            assert_ne!(HeaderName::from_bytes(&other), n, "{name}");
            if name.len() > 2 {
                // (A 1-byte remainder would be a compact form.)
                let short = &other[..other.len() - 2];
                assert_ne!(HeaderName::from_bytes(short), n, "{name}");
            }
            // The case fold maps CR onto `-`: never a match.
            if let Some(i) = name.find('-') {
                let mut cr = name.as_bytes().to_vec();
                cr[i] = b'\r';
                assert_eq!(HeaderName::from_bytes(&cr), HeaderName::Other, "{name}");
                cr[i] = b'_';
                assert_eq!(HeaderName::from_bytes(&cr), HeaderName::Other, "{name}");
            }
        }
    }

    proptest::proptest! {
        /// The hash table classifies exactly as a plain search of the known names does, for
        /// known names in any case, names one byte away from them, and arbitrary bytes.
        #[test]
        fn hash_table_agrees_with_search(
            which in 0usize..66,
            flips in proptest::collection::vec((0usize..20, proptest::bool::ANY), 0..3),
            cut in 0usize..3,
            noise in proptest::collection::vec(proptest::num::u8::ANY, 2..=20),
        ) {
            let mut name = KNOWN[which].0.to_vec();
            for (at, upper) in flips {
                let at = at % name.len();
                name[at] = if upper { name[at].to_ascii_uppercase() } else { name[at] ^ 0x01 };
            }
            name.truncate(name.len().saturating_sub(cut).max(2));
            proptest::prop_assert_eq!(
                HeaderName::classify_long(&name),
                HeaderName::classify_by_search(&name)
            );
            proptest::prop_assert_eq!(
                HeaderName::classify_long(&noise),
                HeaderName::classify_by_search(&noise)
            );
        }
    }

    #[test]
    fn hash_table_holds_every_known_name() {
        for (name, h) in KNOWN {
            assert_eq!(HeaderName::classify_long(name), h);
            assert_eq!(HeaderName::classify_by_search(name), h);
            assert!(h
                .canonical()
                .is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(name)));
        }
        assert_eq!(KNOWN_SLOTS.iter().filter(|s| **s != 0).count(), KNOWN.len());
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
