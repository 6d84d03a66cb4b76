//! Typed parse errors: a kind and a byte offset into the input (../shared/STYLE.md, after rustls).

use std::fmt;

/// What was wrong with the input. Stable names: they appear in `sipwall sip parse` output,
/// verdict reasons and metrics, so rename only with care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    // ---- start line (RFC 3261 §7.1, §7.2, §25.1) ----
    /// The start line is neither a Request-Line nor a Status-Line.
    BadStartLine,
    /// Method is not a `token`.
    BadMethod,
    /// Request-URI is missing or malformed (e.g. enclosed in `<>`, or contains LWS).
    BadRequestUri,
    /// SIP-Version is not `SIP/2.0` (RFC 3261 §7.1: answer 505).
    UnsupportedVersion,
    /// SIP-Version is not of the form `SIP/1*DIGIT.1*DIGIT`.
    BadVersion,
    /// Status-Code is not three digits in 100..=699.
    BadStatusCode,
    /// Reason-Phrase contains a byte it may not.
    BadReasonPhrase,
    // ---- header section (RFC 3261 §7.3) ----
    /// A header line has no `:` or a name that is not a token.
    BadHeaderLine,
    /// A header value does not follow its grammar.
    BadHeaderValue,
    /// The header section does not end with an empty line.
    MissingEndOfHeaders,
    /// A bare CR, or a line that is not CRLF/LF terminated where required.
    BadLineEnding,
    // ---- framing (RFC 3261 §18.3, §20.14) ----
    /// Content-Length is not a decimal number (negative, non-digit).
    BadContentLength,
    /// Content-Length exceeds the configured message-size limit or overflows.
    ContentLengthTooLarge,
    /// More than one Content-Length header, or several values.
    RepeatedContentLength,
    /// On a stream, Content-Length is mandatory.
    MissingContentLength,
    /// On a datagram, Content-Length is larger than the bytes present.
    TruncatedBody,
    // ---- limits (sipwall config values) ----
    MessageTooLarge,
    TooManyHeaders,
    LineTooLong,
    TooManyValues,
    // ---- values ----
    BadUri,
    BadHost,
    BadPort,
    BadParam,
    BadQuotedString,
    BadNameAddr,
    BadVia,
    BadCSeq,
    BadNumber,
    // ---- semantic (validate()) ----
    /// A header required by RFC 3261 §8.1.1 is absent.
    MissingHeader,
    /// CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    CSeqMethodMismatch,
    /// A header that allows one value appears more than once.
    RepeatedHeader,
    // ---- bodies ----
    BadContentType,
    BadMultipart,
    BadSdp,
    // ---- rewrite ----
    /// Rewrite edits overlap or fall outside the message.
    BadEdit,
}

impl ErrorKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        // Invariant: every variant serialises to a plain string via serde's snake_case rename;
        // this table mirrors it without allocating.
        use ErrorKind::*;
        match self {
            BadStartLine => "bad_start_line",
            BadMethod => "bad_method",
            BadRequestUri => "bad_request_uri",
            UnsupportedVersion => "unsupported_version",
            BadVersion => "bad_version",
            BadStatusCode => "bad_status_code",
            BadReasonPhrase => "bad_reason_phrase",
            BadHeaderLine => "bad_header_line",
            BadHeaderValue => "bad_header_value",
            MissingEndOfHeaders => "missing_end_of_headers",
            BadLineEnding => "bad_line_ending",
            BadContentLength => "bad_content_length",
            ContentLengthTooLarge => "content_length_too_large",
            RepeatedContentLength => "repeated_content_length",
            MissingContentLength => "missing_content_length",
            TruncatedBody => "truncated_body",
            MessageTooLarge => "message_too_large",
            TooManyHeaders => "too_many_headers",
            LineTooLong => "line_too_long",
            TooManyValues => "too_many_values",
            BadUri => "bad_uri",
            BadHost => "bad_host",
            BadPort => "bad_port",
            BadParam => "bad_param",
            BadQuotedString => "bad_quoted_string",
            BadNameAddr => "bad_name_addr",
            BadVia => "bad_via",
            BadCSeq => "bad_cseq",
            BadNumber => "bad_number",
            MissingHeader => "missing_header",
            CSeqMethodMismatch => "cseq_method_mismatch",
            RepeatedHeader => "repeated_header",
            BadContentType => "bad_content_type",
            BadMultipart => "bad_multipart",
            BadSdp => "bad_sdp",
            BadEdit => "bad_edit",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with the byte offset where it was found. Offsets are relative to the slice that
/// was handed to the parsing function; `Message` parsing converts them to message offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub offset: usize,
}

impl ParseError {
    pub fn new(kind: ErrorKind, offset: usize) -> Self {
        ParseError { kind, offset }
    }

    /// The same error, shifted by `base` bytes (value offset -> message offset).
    #[must_use]
    pub fn shifted(self, base: usize) -> Self {
        ParseError {
            kind: self.kind,
            offset: self.offset.saturating_add(base),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for ParseError {}
