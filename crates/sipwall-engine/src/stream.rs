//! SIP over TCP: one direction of a byte stream, cut into messages.
//!
//! Every complete message in a segment is handed out, in order; only an incomplete tail is
//! kept. Bytes are tracked by sequence number, so a retransmitted or overlapping segment never
//! yields a message twice, and a segment that arrives early is held (bounded) until the gap
//! before it is filled.

use std::collections::BTreeMap;

use sipwall_wire::sip::{frame, Framing, Limits, Transport};
use sipwall_wire::ErrorKind;

/// Limits of one stream direction.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Largest incomplete tail kept, in bytes.
    pub max_buffer: usize,
    /// Most out-of-order segments held.
    pub max_ooo_segments: usize,
    /// Most out-of-order bytes held.
    pub max_ooo_bytes: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            max_buffer: 131_072,
            max_ooo_segments: 16,
            max_ooo_bytes: 65_536,
        }
    }
}

#[derive(Debug, Default)]
pub struct SipStream {
    /// Sequence number of the next byte expected, once known.
    next_seq: Option<u32>,
    buf: Vec<u8>,
    ooo: BTreeMap<u32, Vec<u8>>,
    ooo_bytes: usize,
    /// A stream joined in the middle (TCP pick-up): bytes are skipped until a segment starts
    /// with a SIP start line, since the first bytes seen may be the middle of a message.
    unsynced: bool,
}

/// Does `data` begin like a SIP message: a Request-Line (`METHOD SP scheme:`) or a
/// Status-Line (`SIP/2.0 SP`)?
fn starts_like_sip(data: &[u8]) -> bool {
    if data.len() >= 8 && data[..8].eq_ignore_ascii_case(b"SIP/2.0 ") {
        return true;
    }
    let Some(sp) = data.iter().take(32).position(|b| *b == b' ') else {
        return false;
    };
    sp > 0
        && data[..sp]
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
        && data.get(sp + 1..).is_some_and(|rest| {
            let scheme_end = rest.iter().take(16).position(|b| *b == b':');
            scheme_end.is_some_and(|e| e > 0 && rest[..e].iter().all(|b| b.is_ascii_alphabetic()))
        })
}

/// What went wrong with a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamError {
    /// The incomplete tail grew past the limit.
    BufferFull,
    /// Too many out-of-order bytes or segments held.
    OutOfOrderFull,
    /// Framing failed: the stream cannot be resynchronised.
    Framing { kind: ErrorKind, offset: usize },
}

/// What `push` produced.
#[derive(Debug, Default)]
pub struct Pushed {
    /// Complete messages, in order.
    pub messages: Vec<Vec<u8>>,
    /// Bytes that were already seen (retransmission or overlap) and were skipped.
    pub duplicate_bytes: usize,
    /// The segment arrived ahead of a gap and was held.
    pub held: bool,
    pub error: Option<StreamError>,
}

impl SipStream {
    /// The sequence number of the first payload byte (after the SYN).
    pub fn start(&mut self, isn_plus_one: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(isn_plus_one);
        }
    }

    /// Join a stream already under way (TCP pick-up).
    pub fn start_unsynced(&mut self) {
        self.unsynced = true;
    }

    pub fn buffered(&self) -> usize {
        self.buf.len() + self.ooo_bytes
    }

    /// Take in a segment's payload at sequence number `seq`.
    pub fn push(&mut self, seq: u32, data: &[u8], limits: &StreamLimits, sip: &Limits) -> Pushed {
        let mut out = Pushed::default();
        if data.is_empty() {
            return out;
        }
        if self.unsynced {
            if !starts_like_sip(data) {
                out.duplicate_bytes = data.len();
                return out;
            }
            self.unsynced = false;
            self.next_seq = Some(seq);
        }
        let next = *self.next_seq.get_or_insert(seq);
        let rel = seq.wrapping_sub(next) as i32;
        if rel > 0 {
            // Ahead of a gap: hold it.
            if self.ooo.len() >= limits.max_ooo_segments
                || self.ooo_bytes + data.len() > limits.max_ooo_bytes
            {
                out.error = Some(StreamError::OutOfOrderFull);
                return out;
            }
            if !self.ooo.contains_key(&seq) {
                self.ooo_bytes += data.len();
                self.ooo.insert(seq, data.to_vec());
            }
            out.held = true;
            return out;
        }
        let skip = rel.unsigned_abs() as usize;
        if skip >= data.len() {
            out.duplicate_bytes = data.len();
            return out;
        }
        out.duplicate_bytes = skip;
        self.append(&data[skip..]);
        // Fill from held segments that now fit.
        while let Some((&s, _)) = self.ooo.iter().next() {
            let next = self.next_seq.unwrap_or(s);
            let rel = s.wrapping_sub(next) as i32;
            if rel > 0 {
                break;
            }
            let Some(seg) = self.ooo.remove(&s) else {
                break;
            };
            self.ooo_bytes -= seg.len();
            let skip = rel.unsigned_abs() as usize;
            if skip < seg.len() {
                self.append(&seg[skip..]);
            }
        }
        self.drain(limits, sip, &mut out);
        out
    }

    fn append(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.next_seq = self.next_seq.map(|s| s.wrapping_add(n));
    }

    fn drain(&mut self, limits: &StreamLimits, sip: &Limits, out: &mut Pushed) {
        let mut pos = 0;
        while pos < self.buf.len() {
            match frame(&self.buf[pos..], Transport::Stream, sip) {
                Framing::Complete { len } => {
                    out.messages.push(self.buf[pos..pos + len].to_vec());
                    pos += len;
                }
                Framing::Keepalive { len } => pos += len,
                Framing::Incomplete { .. } => break,
                Framing::Invalid { offset, kind } => {
                    out.error = Some(StreamError::Framing { kind, offset });
                    self.buf.clear();
                    return;
                }
            }
        }
        self.buf.drain(..pos);
        if self.buf.len() > limits.max_buffer {
            out.error = Some(StreamError::BufferFull);
            self.buf.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
    const M2: &[u8] = b"BYE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";

    fn push(s: &mut SipStream, seq: u32, d: &[u8]) -> Pushed {
        s.push(seq, d, &StreamLimits::default(), &Limits::default())
    }

    #[test]
    fn two_messages_in_one_segment_and_a_split_one() {
        let mut s = SipStream::default();
        s.start(100);
        let mut seg = M1.to_vec();
        seg.extend_from_slice(M2);
        seg.extend_from_slice(&M1[..10]);
        let p = push(&mut s, 100, &seg);
        assert_eq!(p.messages, vec![M1.to_vec(), M2.to_vec()]);
        let p = push(&mut s, 100 + seg.len() as u32, &M1[10..]);
        assert_eq!(p.messages, vec![M1.to_vec()]);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn retransmission_and_overlap_are_not_parsed_twice() {
        let mut s = SipStream::default();
        s.start(1);
        assert_eq!(push(&mut s, 1, M1).messages.len(), 1);
        let p = push(&mut s, 1, M1);
        assert!(p.messages.is_empty());
        assert_eq!(p.duplicate_bytes, M1.len());
        // Overlap: the last 5 bytes of M1 again, then M2.
        let mut seg = M1[M1.len() - 5..].to_vec();
        seg.extend_from_slice(M2);
        let p = push(&mut s, 1 + M1.len() as u32 - 5, &seg);
        assert_eq!(p.messages, vec![M2.to_vec()]);
        assert_eq!(p.duplicate_bytes, 5);
    }

    #[test]
    fn out_of_order_segment_is_held_until_the_gap_fills() {
        let mut s = SipStream::default();
        s.start(1000);
        let p = push(&mut s, 1000 + 20, &M1[20..]);
        assert!(p.held && p.messages.is_empty());
        let p = push(&mut s, 1000, &M1[..20]);
        assert_eq!(p.messages, vec![M1.to_vec()]);
    }

    #[test]
    fn limits_and_framing_errors() {
        let mut s = SipStream::default();
        s.start(0);
        let small = StreamLimits {
            max_buffer: 16,
            ..StreamLimits::default()
        };
        let p = s.push(
            0,
            b"INVITE sip:a@b SIP/2.0\r\nVia: x",
            &small,
            &Limits::default(),
        );
        assert_eq!(p.error, Some(StreamError::BufferFull));
        let mut s = SipStream::default();
        s.start(0);
        let p = push(
            &mut s,
            0,
            b"INVITE sip:a@b SIP/2.0\r\nl: 4294967328\r\n\r\n",
        );
        assert!(matches!(p.error, Some(StreamError::Framing { .. })));
        let mut s = SipStream::default();
        s.start(0);
        for i in 0..16u32 {
            assert!(push(&mut s, 100 + i * 10, b"x").held);
        }
        assert_eq!(
            push(&mut s, 1000, b"x").error,
            Some(StreamError::OutOfOrderFull)
        );
    }

    #[test]
    fn a_stream_joined_midway_syncs_on_a_start_line() {
        let mut s = SipStream::default();
        s.start_unsynced();
        // The tail of some earlier message: skipped, not an error.
        let p = push(&mut s, 500, b"o=- 1 1 IN IP4 192.0.2.1\r\n");
        assert!(p.messages.is_empty() && p.error.is_none());
        let p = push(&mut s, 526, M2);
        assert_eq!(p.messages, vec![M2.to_vec()]);
        assert!(starts_like_sip(b"SIP/2.0 200 OK\r\n"));
        assert!(starts_like_sip(b"INVITE sip:a@b SIP/2.0"));
        assert!(!starts_like_sip(b"a=rtpmap:0 PCMU/8000"));
        assert!(!starts_like_sip(b"GET / HTTP/1.1"));
    }

    #[test]
    fn sequence_wraparound() {
        let mut s = SipStream::default();
        let start = u32::MAX - 10;
        s.start(start);
        let p = push(&mut s, start, M1);
        assert_eq!(p.messages.len(), 1);
        let p = push(&mut s, start.wrapping_add(M1.len() as u32), M2);
        assert_eq!(p.messages.len(), 1);
    }
}
