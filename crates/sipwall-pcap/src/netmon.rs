//! Microsoft Network Monitor capture files ("NetMon" 1.x and 2.x), read from memory.
//!
//! Layout (all integers little-endian; facts from the Network Monitor 3.x help pages on the
//! 2.x capture file format and the public description in Wireshark's wiretap):
//!
//! - File header, 128 bytes including the magic: `magic[4]` (`RTSS` = 1.x, `GMBU` = 2.x),
//!   `ver_minor u8`, `ver_major u8`, `media type u16`, capture start as a Windows `SYSTEMTIME`
//!   (`year, month, day_of_week, day, hour, minute, second, milliseconds`, eight `u16`s),
//!   `frame table offset u32`, `frame table length u32` (bytes), then user data, comment,
//!   process-info and network-info locations, which this reader does not need.
//! - Frame table: `length / 4` `u32` file offsets, one per record, in frame order (records may
//!   be anywhere in the file, not necessarily in order or contiguous).
//! - Record header: 1.x `ts_delta u32` (milliseconds since the start) `orig_len u16`
//!   `incl_len u16`; 2.x `ts_delta u64` (microseconds since the start) `orig_len u32`
//!   `incl_len u32`. Then `incl_len` bytes of frame.
//! - Record trailer after the frame, 2.1 and later: `media type u16` (per-packet, the header's
//!   value is then only a compatibility hint); 2.2 adds `process index u32`; 2.3 adds
//!   `utc_timestamp u64` (a `FILETIME`, 100 ns units since 1601-01-01 UTC) and
//!   `timezone index u8`.
//!
//! The start time is a `SYSTEMTIME` with no time zone; it is taken as UTC here (the reader has
//! no clock and no zone database). 2.3 files carry a UTC stamp per frame, which wins.

use std::ops::Range;
use std::time::Duration;

use sipwall_wire::packet::LinkType;

use crate::reader::{CaptureErrorKind, MAX_BLOCK_LEN};

/// Magic of a Network Monitor 1.x file.
pub(crate) const MAGIC_1X: [u8; 4] = *b"RTSS";
/// Magic of a Network Monitor 2.x file.
pub(crate) const MAGIC_2X: [u8; 4] = *b"GMBU";
/// The file header, magic included, is padded to this size.
const HEADER_LEN: usize = 128;
/// Largest NetMon file the reader loads (the whole file is held in memory because the frame
/// table sits at the end).
pub const MAX_NETMON_LEN: usize = 256 * 1024 * 1024;

/// Seconds from 1601-01-01 (the `FILETIME` epoch) to 1970-01-01.
const FILETIME_UNIX_DELTA_SECS: i128 = 11_644_473_600;

/// True when `prefix` (the first four bytes of an input) is a NetMon magic.
pub(crate) fn is_netmon(prefix: &[u8]) -> bool {
    prefix == MAGIC_1X || prefix == MAGIC_2X
}

/// A NetMon reading failure: kind, file offset of the header or record, detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetMonError {
    pub kind: CaptureErrorKind,
    pub offset: u64,
    pub detail: String,
}

fn err(kind: CaptureErrorKind, offset: usize, detail: impl Into<String>) -> NetMonError {
    NetMonError {
        kind,
        offset: offset as u64,
        detail: detail.into(),
    }
}

/// What a NetMon media type ("MAC type") means for the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// Frames with this pcap link type.
    Link(LinkType),
    /// A metadata record Wireshark shows as a frame (ETW event, adapter list, filter): it takes
    /// a frame number but is not a packet.
    Numbered,
    /// A metadata record Wireshark hides (payload header, network info, DNS cache).
    Hidden,
    /// A media type with no pcap link type the decoder knows (ATM/NDIS WAN, 802.11 with the
    /// NetMon radio header, IEEE 1394, IrDA, Microsoft Message Analyzer exports, ...).
    Unsupported,
}

/// Map a NetMon media type to a pcap link type.
fn media(v: u16) -> Media {
    match v {
        // 0 is "unknown" in NDIS terms, but NetMon 3.4 writes it for Ethernet frames.
        0 | 1 => Media::Link(LinkType::ETHERNET),
        // NDIS Token Ring -> LINKTYPE_IEEE802_5.
        2 => Media::Link(LinkType(6)),
        // NDIS FDDI -> LINKTYPE_FDDI (NetMon stores the addresses bit-swapped).
        3 => Media::Link(LinkType(10)),
        // 2.x: tunnelling interfaces, wireless WAN, raw IP frames: all start with an IP header.
        7..=9 => Media::Link(LinkType::RAW),
        // Microsoft Message Analyzer exported media types.
        0xE080..=0xE08A => Media::Unsupported,
        // A converted pcap file: the low 12 bits are the LINKTYPE_ value.
        0xE000..=0xEFFF => Media::Link(LinkType(u32::from(v & 0x0FFF))),
        // NetEvent (ETW), network info ex, NetMon filter.
        0xFFE0 | 0xFFFB | 0xFFFF => Media::Numbered,
        // Payload header, network info, DNS cache.
        0xFFFC..=0xFFFE => Media::Hidden,
        _ => Media::Unsupported,
    }
}

/// One record of the frame table, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    Frame {
        ts: Duration,
        linktype: LinkType,
        /// Where the captured bytes are; see [`NetMonReader::data`].
        data: Range<usize>,
        orig_len: u32,
    },
    /// A metadata record that takes a frame number (as Wireshark counts) but is not a packet.
    Numbered,
    /// A metadata record that takes no frame number.
    Hidden,
}

/// A NetMon file held in memory, read record by record through its frame table.
#[derive(Debug)]
pub(crate) struct NetMonReader {
    bytes: Vec<u8>,
    major: u8,
    minor: u8,
    /// The header's media type.
    media: u16,
    /// Capture start, nanoseconds since the UNIX epoch (may be negative for absurd dates).
    start_ns: i128,
    table_offset: usize,
    entries: usize,
    next: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(s))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(s))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (month 1..=12, day 1..=31).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Shift the year to start in March so the leap day is the last day of the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe - 719_468
}

/// A `SYSTEMTIME` (eight little-endian u16 at `at`) as nanoseconds since the UNIX epoch, UTC.
fn systemtime_ns(b: &[u8], at: usize) -> Option<i128> {
    let f = |i: usize| u16_at(b, at + 2 * i).map(i64::from);
    let (year, month, day) = (f(0)?, f(1)?, f(3)?);
    let (hour, minute, second, ms) = (f(4)?, f(5)?, f(6)?, f(7)?);
    // Ranges as the SYSTEMTIME documentation gives them (second 60 tolerated for a leap second).
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
        || ms > 999
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(i128::from(secs) * 1_000_000_000 + i128::from(ms) * 1_000_000)
}

/// Nanoseconds since the UNIX epoch as a `Duration` (times before 1970 clamp to zero).
fn to_duration(ns: i128) -> Duration {
    if ns <= 0 {
        return Duration::ZERO;
    }
    let secs = u64::try_from(ns / 1_000_000_000).unwrap_or(u64::MAX);
    // The remainder of a positive value by 1e9 fits a u32 below 1e9.
    let nanos = u32::try_from(ns % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, nanos)
}

impl NetMonReader {
    /// Parse the file header and locate the frame table. `bytes` is the whole file.
    pub(crate) fn parse(bytes: Vec<u8>) -> Result<Self, NetMonError> {
        use CaptureErrorKind as K;
        let magic = bytes.get(..4).unwrap_or(&bytes[..]);
        if !is_netmon(magic) {
            return Err(err(K::NotACapture, 0, "not a Network Monitor file"));
        }
        if bytes.len() < HEADER_LEN {
            return Err(err(
                K::Truncated,
                0,
                format!(
                    "NetMon header needs {HEADER_LEN} bytes, file has {}",
                    bytes.len()
                ),
            ));
        }
        // The header is at least HEADER_LEN bytes long (checked above), so the fixed fields
        // below are all present; `?`-style lookups keep that explicit without indexing.
        let field = |v: Option<u32>| v.ok_or_else(|| err(K::Truncated, 0, "NetMon header"));
        let minor = bytes.get(4).copied().unwrap_or(0);
        let major = bytes.get(5).copied().unwrap_or(0);
        if !(1..=2).contains(&major) {
            return Err(err(
                K::Unsupported,
                4,
                format!("NetMon file format version {major}.{minor}"),
            ));
        }
        let media_type = u16_at(&bytes, 6).unwrap_or(0);
        let per_packet = major == 2 && minor >= 1;
        if !per_packet && !matches!(media(media_type), Media::Link(_)) {
            return Err(err(
                K::Unsupported,
                6,
                format!("NetMon media type {media_type:#06x}"),
            ));
        }
        let Some(start_ns) = systemtime_ns(&bytes, 8) else {
            return Err(err(
                K::Corrupt,
                8,
                "NetMon capture start time is not a valid date",
            ));
        };
        let table_offset = field(u32_at(&bytes, 24))? as usize;
        let table_len = field(u32_at(&bytes, 28))? as usize;
        if table_len % 4 != 0 {
            return Err(err(
                K::Corrupt,
                28,
                format!("NetMon frame table length {table_len} is not a multiple of 4"),
            ));
        }
        if table_len != 0
            && (table_offset < HEADER_LEN
                || table_offset
                    .checked_add(table_len)
                    .is_none_or(|end| end > bytes.len()))
        {
            return Err(err(
                K::Truncated,
                24,
                format!(
                    "NetMon frame table at {table_offset} ({table_len} bytes) is outside the {}-byte file",
                    bytes.len()
                ),
            ));
        }
        Ok(NetMonReader {
            bytes,
            major,
            minor,
            media: media_type,
            start_ns,
            table_offset,
            entries: table_len / 4,
            next: 0,
        })
    }

    /// `(major, minor)` file format version.
    pub(crate) fn version(&self) -> (u8, u8) {
        (self.major, self.minor)
    }

    /// The header's link type (1.x and 2.0; for 2.1 and later a compatibility hint only).
    pub(crate) fn linktype(&self) -> Option<LinkType> {
        match media(self.media) {
            Media::Link(l) => Some(l),
            _ => None,
        }
    }

    /// The next record, with the file offset it starts at; `None` after the last.
    pub(crate) fn next_record(&mut self) -> Option<Result<(u64, Record), NetMonError>> {
        if self.next >= self.entries {
            return None;
        }
        let entry_at = self.table_offset + 4 * self.next;
        self.next += 1;
        // parse() checked that the whole table lies inside the file.
        let at = u32_at(&self.bytes, entry_at)? as usize;
        Some(self.record(at).map(|r| (at as u64, r)))
    }

    /// The bytes of a frame's `data` range (empty for a range this reader did not hand out).
    pub(crate) fn data(&self, range: Range<usize>) -> &[u8] {
        self.bytes.get(range).unwrap_or(&[])
    }

    fn record(&self, at: usize) -> Result<Record, NetMonError> {
        use CaptureErrorKind as K;
        let b = &self.bytes[..];
        let short = |what: &str| err(K::Truncated, at, format!("NetMon record {what}"));
        // Below this check `at` and every offset derived from it stay under the file length
        // (at most MAX_NETMON_LEN) plus a few bytes, so the additions cannot overflow.
        if at >= b.len() {
            return Err(short("offset"));
        }
        let (delta_ns, orig_len, incl_len, head) = if self.major == 1 {
            let ms = u32_at(b, at).ok_or_else(|| short("header"))?;
            let orig = u16_at(b, at + 4).ok_or_else(|| short("header"))?;
            let incl = u16_at(b, at + 6).ok_or_else(|| short("header"))?;
            (
                i128::from(ms) * 1_000_000,
                u32::from(orig),
                usize::from(incl),
                8,
            )
        } else {
            let us = u64_at(b, at).ok_or_else(|| short("header"))?;
            let orig = u32_at(b, at + 8).ok_or_else(|| short("header"))?;
            let incl = u32_at(b, at + 12).ok_or_else(|| short("header"))?;
            // Microsecond count that writers treat as "times ten, then signed 100 ns units",
            // so a huge unsigned value is a small negative offset (frames before the start).
            let hundred_ns = us.wrapping_mul(10) as i64;
            (i128::from(hundred_ns) * 100, orig, incl as usize, 16)
        };
        if incl_len > MAX_BLOCK_LEN {
            return Err(err(
                K::BlockTooLarge,
                at,
                format!("NetMon record of {incl_len} bytes"),
            ));
        }
        let data_at = at.checked_add(head).ok_or_else(|| short("header"))?;
        let data_end = data_at.checked_add(incl_len).ok_or_else(|| short("data"))?;
        if data_end > b.len() {
            return Err(short("data"));
        }

        let mut ts_ns = self.start_ns + delta_ns;
        let mut media_type = self.media;
        if self.major == 2 && self.minor >= 1 {
            media_type = u16_at(b, data_end).ok_or_else(|| short("trailer"))?;
            if self.minor >= 3 {
                // Trailer: media(2) process index(4) utc_timestamp(8) timezone index(1).
                let ft = u64_at(b, data_end + 6).ok_or_else(|| short("trailer"))?;
                b.get(data_end + 14).ok_or_else(|| short("trailer"))?;
                ts_ns = (i128::from(ft) * 100) - FILETIME_UNIX_DELTA_SECS * 1_000_000_000;
            } else if self.minor == 2 {
                b.get(data_end..data_end + 6)
                    .ok_or_else(|| short("trailer"))?;
            }
        }
        match media(media_type) {
            Media::Link(linktype) => Ok(Record::Frame {
                ts: to_duration(ts_ns),
                linktype,
                data: data_at..data_end,
                orig_len,
            }),
            Media::Numbered => Ok(Record::Numbered),
            Media::Hidden => Ok(Record::Hidden),
            Media::Unsupported => Err(err(
                K::Unsupported,
                at,
                format!("NetMon media type {media_type:#06x}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
