//! CSeq (RFC 3261 §20.16, §8.1.1.5) and small decimal header values (Max-Forwards §20.22,
//! Expires §20.19, Content-Length framing is elsewhere).

use super::method::Method;
use super::text::{is_token, offset_in, skip_lws, token_end, trim_lws};
use crate::error::{ErrorKind, ParseError};

/// A CSeq value: `CSeq = "CSeq" HCOLON 1*DIGIT LWS Method` (RFC 3261 §25.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// The sequence number. RFC 3261 §8.1.1.5 requires senders to stay below 2^31; we accept
    /// the full `u32` range (§20.16: "expressible as a 32-bit unsigned integer") and leave the
    /// 2^31 check to policy. Leading zeros are allowed (RFC 4475 §3.1.1.1 wsinv `0009`).
    pub seq: u32,
    pub method: Method<'a>,
    /// The digits as written.
    pub seq_raw: &'a [u8],
    /// The method token as written.
    pub method_raw: &'a [u8],
}

/// Accumulate decimal digits with overflow detection; `None` on a non-digit, empty input or a
/// value above `max`.
fn decimal(s: &[u8], max: u32) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        let v = acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        (v <= max).then_some(v)
    })
}

impl<'a> CSeq<'a> {
    /// Parse a CSeq value (surrounding LWS trimmed; the LWS between number and method may be a
    /// fold). Errors: `BadCSeq` — no digits, a number that does not fit `u32` (RFC 4475
    /// §3.1.2.4 scalar02 `36893488147419103232`, §3.1.2.5 scalarlg), missing LWS, a method
    /// that is not a token, or trailing bytes.
    #[inline]
    pub fn parse(input: &'a [u8]) -> Result<CSeq<'a>, ParseError> {
        Self::parse_at(input, 0)
    }

    /// [`CSeq::parse`] with the error offset shifted by `base` (where `input` lies in the
    /// message), for `Message::cseq`.
    #[inline]
    pub(crate) fn parse_at(input: &'a [u8], base: usize) -> Result<CSeq<'a>, ParseError> {
        match Self::parse_fast(input) {
            Some(c) => Ok(c),
            None => Self::parse_general(input).map_err(|e| e.shifted(base)),
        }
    }

    /// The usual form `<1 to 9 digits> SP <token>` with nothing around it, giving exactly
    /// what [`CSeq::parse_general`] gives; `None` means "use the general path", not an error.
    /// Nine digits cannot overflow a `u32`, so no checked arithmetic (see
    /// `examples/parse_loop.rs`: the general path cost about 220 instructions).
    #[inline]
    fn parse_fast(t: &'a [u8]) -> Option<CSeq<'a>> {
        let mut seq = 0u32;
        let mut dend = 0;
        while let Some(&b) = t.get(dend) {
            if !b.is_ascii_digit() || dend == 9 {
                break;
            }
            seq = seq * 10 + u32::from(b - b'0');
            dend += 1;
        }
        if dend == 0 || t.get(dend) != Some(&b' ') {
            return None;
        }
        let mstart = dend + 1;
        let method_raw = t.get(mstart..)?;
        // A known method is exactly its name, a token: only an extension method (or bytes
        // that are none) needs the byte-by-byte token check.
        let method = Method::from_token(method_raw);
        if matches!(method, Method::Other(_)) && !is_token(method_raw) {
            return None;
        }
        Some(CSeq {
            seq,
            method,
            seq_raw: t.get(..dend)?,
            method_raw,
        })
    }

    /// Every form of [`CSeq::parse`]: surrounding and folded LWS, long numbers, errors.
    #[cold]
    #[inline(never)]
    fn parse_general(input: &'a [u8]) -> Result<CSeq<'a>, ParseError> {
        let bad = |at: usize| ParseError::new(ErrorKind::BadCSeq, at);
        let t = trim_lws(input);
        let lead = offset_in(input, t).unwrap_or(0);
        let dend = t.iter().take_while(|b| b.is_ascii_digit()).count();
        let seq_raw = t.get(..dend).unwrap_or(&[]);
        let seq = decimal(seq_raw, u32::MAX).ok_or(bad(lead))?;
        let mstart = skip_lws(t, dend);
        if mstart == dend {
            return Err(bad(lead + dend));
        }
        let mend = token_end(t, mstart);
        if mend == mstart {
            return Err(bad(lead + mstart));
        }
        if mend != t.len() {
            return Err(bad(lead + mend));
        }
        let method_raw = t.get(mstart..mend).unwrap_or(&[]);
        Ok(CSeq {
            seq,
            method: Method::from_token(method_raw),
            seq_raw,
            method_raw,
        })
    }
}

/// Parse a decimal header value (`1*DIGIT`, surrounding LWS trimmed) that must not exceed
/// `max`. Leading zeros are allowed. Errors: `BadNumber` at the offset of the first bad digit,
/// or of the number when it exceeds `max`.
///
/// Use with `max = 255` for Max-Forwards (RFC 3261 §20.22 / §25.1 gives `1*DIGIT`; RFC 4475
/// §3.1.2.4 scalar02 treats 300 as overlarge), `u32::MAX` for Expires / delta-seconds
/// (RFC 3261 §20.19).
pub fn parse_decimal_max(value: &[u8], max: u32) -> Result<u32, ParseError> {
    let t = trim_lws(value);
    let lead = offset_in(value, t).unwrap_or(0);
    if let Some(i) = t.iter().position(|b| !b.is_ascii_digit()) {
        return Err(ParseError::new(ErrorKind::BadNumber, lead + i));
    }
    decimal(t, max).ok_or(ParseError::new(ErrorKind::BadNumber, lead))
}

/// [`parse_decimal_max`] with the full `u32` range (Expires, `expires=` parameters).
pub fn parse_u32_decimal(value: &[u8]) -> Result<u32, ParseError> {
    parse_decimal_max(value, u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: ErrorKind, offset: usize) -> ParseError {
        ParseError::new(kind, offset)
    }

    #[test]
    fn valid_cseqs() {
        // RFC 4475 wsinv: leading zeros, folded LWS.
        let v: &[u8] = b" 0009\r\n  INVITE";
        let c = CSeq::parse(v).unwrap();
        assert_eq!(c.seq, 9);
        assert_eq!(c.method, Method::Invite);
        assert_eq!(offset_in(v, c.seq_raw), Some(1));
        assert_eq!(offset_in(v, c.method_raw), Some(9));
        // RFC 4475 intmeth: extension method.
        let c = CSeq::parse(b"139122385 !interesting-Method0123456789_*+`.%indeed'~").unwrap();
        assert_eq!(c.seq, 139_122_385);
        assert_eq!(
            c.method,
            Method::Other(b"!interesting-Method0123456789_*+`.%indeed'~")
        );
        assert_eq!(CSeq::parse(b"4294967295 ACK").unwrap().seq, u32::MAX);
        assert_eq!(
            CSeq::parse(b"2130706432 INVITE").unwrap().seq,
            2_130_706_432
        );
    }

    #[test]
    fn invalid_cseqs() {
        // RFC 4475 scalar02 / scalarlg: overlarge.
        assert_eq!(
            CSeq::parse(b"36893488147419103232 REGISTER").unwrap_err(),
            e(ErrorKind::BadCSeq, 0)
        );
        assert_eq!(
            CSeq::parse(b"9292394834772304023312 OPTIONS")
                .unwrap_err()
                .kind,
            ErrorKind::BadCSeq
        );
        assert_eq!(
            CSeq::parse(b"4294967296 ACK").unwrap_err().kind,
            ErrorKind::BadCSeq
        );
        assert_eq!(
            CSeq::parse(b"INVITE").unwrap_err(),
            e(ErrorKind::BadCSeq, 0)
        );
        assert_eq!(
            CSeq::parse(b"1INVITE").unwrap_err(),
            e(ErrorKind::BadCSeq, 1)
        );
        assert_eq!(CSeq::parse(b" 1 ").unwrap_err(), e(ErrorKind::BadCSeq, 2));
        assert_eq!(
            CSeq::parse(b"1 INV ITE").unwrap_err(),
            e(ErrorKind::BadCSeq, 5)
        );
        assert_eq!(
            CSeq::parse(b"1 <INVITE>").unwrap_err(),
            e(ErrorKind::BadCSeq, 2)
        );
        assert_eq!(
            CSeq::parse(b"-1 INVITE").unwrap_err(),
            e(ErrorKind::BadCSeq, 0)
        );
        assert_eq!(CSeq::parse(b"").unwrap_err().kind, ErrorKind::BadCSeq);
        assert_eq!(
            CSeq::parse(b"1\r\nINVITE").unwrap_err().kind,
            ErrorKind::BadCSeq
        );
    }

    proptest::proptest! {
        /// The fast path, when it answers, gives exactly what the general path gives.
        #[test]
        fn fast_path_agrees_with_general(v in "[ 0-9]{0,12}[ \t\r\n]{0,2}[A-Z<a-]{0,4}[ \t\r\n]{0,2}") {
            let v = v.as_bytes();
            if let Some(fast) = CSeq::parse_fast(v) {
                proptest::prop_assert_eq!(Ok(fast), CSeq::parse_general(v));
            }
            proptest::prop_assert_eq!(CSeq::parse(v), CSeq::parse_general(v));
        }
    }

    #[test]
    fn fast_path_and_fallbacks() {
        // Fast: digits, one SP, token.
        assert_eq!(
            CSeq::parse_fast(b"1 INVITE").map(|c| (c.seq, c.method)),
            Some((1, Method::Invite))
        );
        assert_eq!(
            CSeq::parse_fast(b"999999999 X").map(|c| c.seq),
            Some(999_999_999)
        );
        // General: ten digits, two spaces, surrounding LWS, a fold, a non-token method.
        for v in [
            &b"4294967295 ACK"[..],
            b"1  ACK",
            b" 1 ACK",
            b"1 ACK ",
            b"1\r\n ACK",
            b"1 <A>",
            b"1 ",
            b"1",
        ] {
            assert_eq!(CSeq::parse_fast(v), None);
        }
        assert_eq!(CSeq::parse(b"4294967295 ACK").unwrap().seq, u32::MAX);
        assert_eq!(CSeq::parse(b"1  ACK").unwrap().method, Method::Ack);
        // Known and extension methods, and near misses, agree with the general path.
        for m in [
            &b"INVITE"[..],
            b"ACK",
            b"BYE",
            b"CANCEL",
            b"OPTIONS",
            b"REGISTER",
            b"PRACK",
            b"SUBSCRIBE",
            b"NOTIFY",
            b"PUBLISH",
            b"INFO",
            b"REFER",
            b"MESSAGE",
            b"UPDATE",
            b"invite",
            b"INVITE<",
            b"INV\x00",
            b"X~Y",
            b"",
            b"\xffACK",
        ] {
            let mut v = b"42 ".to_vec();
            v.extend_from_slice(m);
            assert_eq!(CSeq::parse(&v), CSeq::parse_general(&v), "{m:?}");
            if let Some(fast) = CSeq::parse_fast(&v) {
                assert_eq!(Ok(fast), CSeq::parse_general(&v));
            }
        }
    }

    #[test]
    fn decimals() {
        // RFC 4475 wsinv `MaX-fOrWaRdS: 0068`, zeromf `0`, scalar02 `300`.
        assert_eq!(parse_decimal_max(b" 0068 ", 255), Ok(68));
        assert_eq!(parse_decimal_max(b"0", 255), Ok(0));
        assert_eq!(parse_decimal_max(b"255", 255), Ok(255));
        assert_eq!(
            parse_decimal_max(b"300", 255),
            Err(e(ErrorKind::BadNumber, 0))
        );
        // scalar02 Expires.
        let big = b"10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
        assert_eq!(parse_u32_decimal(big), Err(e(ErrorKind::BadNumber, 0)));
        assert_eq!(parse_u32_decimal(b"4294967295"), Ok(u32::MAX));
        assert_eq!(
            parse_u32_decimal(b"4294967296").unwrap_err().kind,
            ErrorKind::BadNumber
        );
        assert_eq!(parse_u32_decimal(b"  12a"), Err(e(ErrorKind::BadNumber, 4)));
        assert_eq!(parse_u32_decimal(b"-5"), Err(e(ErrorKind::BadNumber, 0)));
        assert_eq!(parse_u32_decimal(b""), Err(e(ErrorKind::BadNumber, 0)));
        assert_eq!(parse_u32_decimal(b"1 2"), Err(e(ErrorKind::BadNumber, 1)));
    }
}
