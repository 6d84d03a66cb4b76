//! Streaming capture reader over `pcap-parser`.
//!
//! Formats: pcap ("libpcap file format", draft-ietf-opsawg-pcap) and pcap-ng
//! (draft-ietf-opsawg-pcapng): Section Header, Interface Description, Enhanced Packet (§4.3),
//! Simple Packet (§4.4) and the obsolete Packet Block (Appendix A). Other blocks are skipped.
//! Microsoft Network Monitor 1.x and 2.x files are recognised by their magic and read by
//! [`crate::netmon`].

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Block, PcapBlockOwned, PcapError};
use sipwall_wire::packet::LinkType;

use crate::netmon::{self, NetMonReader, Record, MAX_NETMON_LEN};

/// Initial read buffer.
const INITIAL_BUFFER: usize = 256 * 1024;
/// Largest block the reader will buffer (a frame or pcap-ng block larger than this is an error).
pub const MAX_BLOCK_LEN: usize = 16 * 1024 * 1024;
/// Most interfaces one pcap-ng section may describe.
const MAX_INTERFACES: usize = 4096;
/// pcap-ng obsolete Packet Block type (draft-ietf-opsawg-pcapng Appendix A).
const OPB_TYPE: u32 = 0x0000_0002;

/// One captured frame, borrowed from the reader until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based frame number, as Wireshark counts.
    pub index: u64,
    /// Capture time since the UNIX epoch.
    pub ts: Duration,
    pub linktype: LinkType,
    /// Captured bytes (may be shorter than `orig_len` when the capture had a snap length).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// pcap-ng interface id (0 for pcap).
    pub interface_id: u32,
}

impl Frame<'_> {
    pub fn to_owned(&self) -> OwnedFrame {
        OwnedFrame {
            index: self.index,
            ts: self.ts,
            linktype: self.linktype,
            data: self.data.to_vec(),
            orig_len: self.orig_len,
            interface_id: self.interface_id,
        }
    }
}

/// A [`Frame`] that owns its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFrame {
    pub index: u64,
    pub ts: Duration,
    pub linktype: LinkType,
    pub data: Vec<u8>,
    pub orig_len: u32,
    pub interface_id: u32,
}

impl OwnedFrame {
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            index: self.index,
            ts: self.ts,
            linktype: self.linktype,
            data: &self.data,
            orig_len: self.orig_len,
            interface_id: self.interface_id,
        }
    }
}

/// What went wrong reading a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// Opening or reading the file failed.
    Io,
    /// The input starts with neither a pcap nor a pcap-ng header (or is empty).
    NotACapture,
    /// The file ends in the middle of a record or block.
    Truncated,
    /// A record or block is malformed (bad length, bad magic, inconsistent trailer).
    Corrupt,
    /// A record or block is larger than [`MAX_BLOCK_LEN`].
    BlockTooLarge,
    /// A pcap-ng packet names an interface no Interface Description Block declared.
    UnknownInterface,
    /// A pcap-ng interface declares a timestamp resolution that cannot be represented.
    BadTimestampResolution,
    /// More interfaces than the reader keeps.
    TooManyInterfaces,
    /// A well-formed capture using something the reader does not support (a NetMon format
    /// version or media type with no pcap link type).
    Unsupported,
}

impl CaptureErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureErrorKind::Io => "io",
            CaptureErrorKind::NotACapture => "not_a_capture",
            CaptureErrorKind::Truncated => "truncated",
            CaptureErrorKind::Corrupt => "corrupt",
            CaptureErrorKind::BlockTooLarge => "block_too_large",
            CaptureErrorKind::UnknownInterface => "unknown_interface",
            CaptureErrorKind::BadTimestampResolution => "bad_timestamp_resolution",
            CaptureErrorKind::TooManyInterfaces => "too_many_interfaces",
            CaptureErrorKind::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for CaptureErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capture read error: what, at which frame (the 1-based number the next frame would have
/// had), and at which byte offset of the file (start of the record or block that failed).
#[derive(Debug, thiserror::Error)]
#[error("{kind} at frame {frame} (file offset {offset}){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct CaptureError {
    pub kind: CaptureErrorKind,
    pub frame: u64,
    pub offset: u64,
    /// A human-readable detail (I/O error text, parser message).
    pub detail: Option<String>,
}

impl CaptureError {
    fn new(kind: CaptureErrorKind, frame: u64, offset: u64, detail: Option<String>) -> Self {
        CaptureError {
            kind,
            frame,
            offset,
            detail,
        }
    }
}

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    PcapNg,
    /// Microsoft Network Monitor 1.x (magic `RTSS`).
    NetMon1,
    /// Microsoft Network Monitor 2.x (magic `GMBU`).
    NetMon2,
}

/// Where frames come from.
enum Source {
    /// pcap and pcap-ng, streamed.
    Pcap(Box<dyn PcapReaderIterator + Send>),
    /// NetMon, held in memory (its frame table is at the end of the file).
    NetMon(NetMonReader),
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: LinkType,
    /// Timestamp units per second.
    resolution: Option<u64>,
    /// Seconds added to every timestamp (if_tsoffset).
    offset_secs: i64,
    /// 0 = unlimited.
    snaplen: u32,
}

/// Streaming reader of pcap and pcap-ng captures.
///
/// ```no_run
/// # fn main() -> Result<(), sipwall_pcap::CaptureError> {
/// let mut r = sipwall_pcap::CaptureReader::open("call.pcap")?;
/// while let Some(frame) = r.next_frame()? {
///     let _view = sipwall_wire::packet::decode(frame.linktype, frame.data);
/// }
/// # Ok(()) }
/// ```
///
/// After an error, [`next_frame`](Self::next_frame) returns `Ok(None)`: all frames before the
/// damage have been delivered.
pub struct CaptureReader {
    source: Source,
    format: CaptureFormat,
    /// pcap: link type and whether fractions are nanoseconds.
    legacy: Option<(LinkType, bool)>,
    interfaces: Vec<Interface>,
    /// Whether the current pcap-ng section is big-endian (for the obsolete Packet Block).
    big_endian: bool,
    next_index: u64,
    /// Bytes of the input consumed so far.
    offset: u64,
    last_ts: Duration,
    buffer_len: usize,
    scratch: Vec<u8>,
    done: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("next_index", &self.next_index)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

enum Step {
    Frame {
        ts: Duration,
        linktype: LinkType,
        orig_len: u32,
        interface_id: u32,
    },
    Skip,
    Fail(CaptureErrorKind, Option<String>),
}

impl CaptureReader {
    /// Open a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let file = File::open(path.as_ref()).map_err(|e| {
            CaptureError::new(
                CaptureErrorKind::Io,
                1,
                0,
                Some(format!("{}: {e}", path.as_ref().display())),
            )
        })?;
        Self::new(file)
    }

    /// Read a capture from any reader (file, pipe, in-memory bytes).
    pub fn new<R: Read + Send + 'static>(mut reader: R) -> Result<Self, CaptureError> {
        let io_err =
            |e: io::Error| CaptureError::new(CaptureErrorKind::Io, 1, 0, Some(e.to_string()));
        // Look at the magic: NetMon files are read whole, anything else streams through
        // pcap-parser with the magic put back in front.
        let mut magic = Vec::with_capacity(4);
        (&mut reader)
            .take(4)
            .read_to_end(&mut magic)
            .map_err(io_err)?;
        if netmon::is_netmon(&magic) {
            let mut bytes = magic;
            (&mut reader)
                .take(MAX_NETMON_LEN as u64 - 3)
                .read_to_end(&mut bytes)
                .map_err(io_err)?;
            if bytes.len() > MAX_NETMON_LEN {
                let d = format!("NetMon file larger than {MAX_NETMON_LEN} bytes");
                return Err(CaptureError::new(
                    CaptureErrorKind::BlockTooLarge,
                    1,
                    0,
                    Some(d),
                ));
            }
            let nm = NetMonReader::parse(bytes)
                .map_err(|e| CaptureError::new(e.kind, 1, e.offset, Some(e.detail)))?;
            let format = if nm.version().0 == 1 {
                CaptureFormat::NetMon1
            } else {
                CaptureFormat::NetMon2
            };
            return Ok(Self::with_source(Source::NetMon(nm), format));
        }
        let reader = Prefixed {
            head: magic,
            pos: 0,
            rest: reader,
        };
        let inner = pcap_parser::create_reader(INITIAL_BUFFER, reader).map_err(|e| {
            let kind = match e {
                PcapError::ReadError => CaptureErrorKind::Io,
                PcapError::Incomplete(_) | PcapError::UnexpectedEof => CaptureErrorKind::Truncated,
                _ => CaptureErrorKind::NotACapture,
            };
            CaptureError::new(kind, 1, 0, Some(format!("{e:?}")))
        })?;
        let format = if inner.data().starts_with(&[0x0A, 0x0D, 0x0D, 0x0A]) {
            CaptureFormat::PcapNg
        } else {
            CaptureFormat::Pcap
        };
        Ok(Self::with_source(Source::Pcap(inner), format))
    }

    fn with_source(source: Source, format: CaptureFormat) -> Self {
        CaptureReader {
            source,
            format,
            legacy: None,
            interfaces: Vec::new(),
            big_endian: false,
            next_index: 1,
            offset: 0,
            last_ts: Duration::ZERO,
            buffer_len: INITIAL_BUFFER,
            scratch: Vec::new(),
            done: false,
        }
    }

    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// The link type of a pcap file (or of the first pcap-ng interface seen so far, or of a
    /// NetMon file's header — NetMon 2.1 and later also give each frame its own).
    pub fn linktype(&self) -> Option<LinkType> {
        if let Source::NetMon(nm) = &self.source {
            return nm.linktype();
        }
        self.legacy
            .map(|(l, _)| l)
            .or_else(|| self.interfaces.first().map(|i| i.linktype))
    }

    fn fail(&mut self, kind: CaptureErrorKind, detail: Option<String>) -> CaptureError {
        self.done = true;
        CaptureError::new(kind, self.next_index, self.offset, detail)
    }

    /// The next frame, `Ok(None)` at the end of the capture (or after an error).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let mut stalls = 0u32;
        loop {
            if self.done {
                return Ok(None);
            }
            let inner = match &mut self.source {
                Source::Pcap(inner) => inner,
                Source::NetMon(_) => return self.next_netmon_frame(),
            };
            let step = match inner.next() {
                Ok((len, block)) => {
                    let step = Self::step(
                        block,
                        &mut self.legacy,
                        &mut self.interfaces,
                        &mut self.big_endian,
                        self.last_ts,
                        &mut self.scratch,
                    );
                    inner.consume(len);
                    self.offset = self.offset.saturating_add(len as u64);
                    stalls = 0;
                    step
                }
                Err(PcapError::Eof) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(PcapError::Incomplete(_)) => {
                    let before = inner.data().len();
                    if let Err(e) = inner.refill() {
                        let d = format!("{e:?}");
                        return Err(self.fail(CaptureErrorKind::Io, Some(d)));
                    }
                    if inner.data().len() == before {
                        stalls += 1;
                        if stalls > 2 && !Self::grow(inner.as_mut(), &mut self.buffer_len) {
                            return Err(self.fail(CaptureErrorKind::BlockTooLarge, None));
                        }
                    }
                    continue;
                }
                Err(PcapError::BufferTooSmall) => {
                    if !Self::grow(inner.as_mut(), &mut self.buffer_len) {
                        return Err(self.fail(CaptureErrorKind::BlockTooLarge, None));
                    }
                    if let Err(e) = inner.refill() {
                        let d = format!("{e:?}");
                        return Err(self.fail(CaptureErrorKind::Io, Some(d)));
                    }
                    continue;
                }
                Err(PcapError::UnexpectedEof) => {
                    if inner.data().is_empty() {
                        self.done = true;
                        return Ok(None);
                    }
                    let left = inner.data().len();
                    let d = format!("{left} bytes of an incomplete record at the end");
                    return Err(self.fail(CaptureErrorKind::Truncated, Some(d)));
                }
                Err(PcapError::ReadError) => {
                    return Err(self.fail(CaptureErrorKind::Io, None));
                }
                Err(e) => {
                    let d = match &e {
                        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
                            format!("parse error ({k:?})")
                        }
                        other => format!("{other:?}"),
                    };
                    return Err(self.fail(CaptureErrorKind::Corrupt, Some(d)));
                }
            };
            match step {
                Step::Skip => continue,
                Step::Fail(kind, d) => return Err(self.fail(kind, d)),
                Step::Frame {
                    ts,
                    linktype,
                    orig_len,
                    interface_id,
                } => {
                    let index = self.next_index;
                    self.next_index = self.next_index.saturating_add(1);
                    self.last_ts = ts;
                    return Ok(Some(Frame {
                        index,
                        ts,
                        linktype,
                        data: &self.scratch,
                        orig_len,
                        interface_id,
                    }));
                }
            }
        }
    }

    /// The next NetMon frame (metadata records are skipped; those Wireshark numbers still
    /// take a frame number, so indexes match Wireshark's).
    fn next_netmon_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Source::NetMon(nm) = &mut self.source else {
                return Ok(None);
            };
            match nm.next_record() {
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    self.offset = e.offset;
                    return Err(self.fail(e.kind, Some(e.detail)));
                }
                Some(Ok((at, Record::Numbered))) => {
                    self.offset = at;
                    self.next_index = self.next_index.saturating_add(1);
                }
                Some(Ok((at, Record::Hidden))) => self.offset = at,
                Some(Ok((
                    at,
                    Record::Frame {
                        ts,
                        linktype,
                        data,
                        orig_len,
                    },
                ))) => {
                    self.offset = at;
                    let index = self.next_index;
                    self.next_index = self.next_index.saturating_add(1);
                    self.last_ts = ts;
                    let Source::NetMon(nm) = &self.source else {
                        return Ok(None);
                    };
                    return Ok(Some(Frame {
                        index,
                        ts,
                        linktype,
                        data: nm.data(data),
                        orig_len,
                        interface_id: 0,
                    }));
                }
            }
        }
    }

    /// Double the read buffer, up to [`MAX_BLOCK_LEN`]. False when already at the limit.
    fn grow(inner: &mut (dyn PcapReaderIterator + Send), buffer_len: &mut usize) -> bool {
        if *buffer_len >= MAX_BLOCK_LEN {
            return false;
        }
        let new = (buffer_len.saturating_mul(2)).min(MAX_BLOCK_LEN);
        if inner.grow(new) {
            *buffer_len = new;
            true
        } else {
            false
        }
    }

    /// Interpret one block; packet bytes are copied into `scratch`.
    fn step(
        block: PcapBlockOwned<'_>,
        legacy: &mut Option<(LinkType, bool)>,
        interfaces: &mut Vec<Interface>,
        big_endian: &mut bool,
        last_ts: Duration,
        scratch: &mut Vec<u8>,
    ) -> Step {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                *legacy = Some((linktype(h.network.0), h.is_nanosecond_precision()));
                Step::Skip
            }
            PcapBlockOwned::Legacy(b) => {
                let (lt, nanos) = legacy.unwrap_or((LinkType::ETHERNET, false));
                let frac = if nanos {
                    u64::from(b.ts_usec)
                } else {
                    u64::from(b.ts_usec) * 1000
                };
                // Duration::new carries whole seconds out of the fraction; a u32 second count
                // plus at most ~4 s of carry cannot overflow.
                let ts = Duration::from_secs(u64::from(b.ts_sec))
                    .saturating_add(Duration::from_nanos(frac));
                scratch.clear();
                scratch.extend_from_slice(b.data);
                Step::Frame {
                    ts,
                    linktype: lt,
                    orig_len: b.origlen,
                    interface_id: 0,
                }
            }
            PcapBlockOwned::NG(block) => {
                Self::step_ng(block, interfaces, big_endian, last_ts, scratch)
            }
        }
    }

    fn step_ng(
        block: Block<'_>,
        interfaces: &mut Vec<Interface>,
        big_endian: &mut bool,
        last_ts: Duration,
        scratch: &mut Vec<u8>,
    ) -> Step {
        match block {
            Block::SectionHeader(shb) => {
                // A new section starts a new interface numbering (pcap-ng §4.1).
                interfaces.clear();
                *big_endian = shb.big_endian();
                Step::Skip
            }
            Block::InterfaceDescription(idb) => {
                if interfaces.len() >= MAX_INTERFACES {
                    return Step::Fail(CaptureErrorKind::TooManyInterfaces, None);
                }
                interfaces.push(Interface {
                    linktype: linktype(idb.linktype.0),
                    resolution: idb.ts_resolution(),
                    offset_secs: idb.ts_offset(),
                    snaplen: idb.snaplen,
                });
                Step::Skip
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = interfaces.get(epb.if_id as usize) else {
                    return Step::Fail(
                        CaptureErrorKind::UnknownInterface,
                        Some(format!("interface {}", epb.if_id)),
                    );
                };
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let Some(ts) = ng_ts(units, iface) else {
                    return Step::Fail(CaptureErrorKind::BadTimestampResolution, None);
                };
                scratch.clear();
                scratch.extend_from_slice(epb.packet_data());
                Step::Frame {
                    ts,
                    linktype: iface.linktype,
                    orig_len: epb.origlen,
                    interface_id: epb.if_id,
                }
            }
            Block::SimplePacket(spb) => {
                // A Simple Packet Block belongs to interface 0 and has no timestamp
                // (pcap-ng §4.4): it takes the previous frame's time.
                let Some(iface) = interfaces.first() else {
                    return Step::Fail(
                        CaptureErrorKind::UnknownInterface,
                        Some("interface 0".into()),
                    );
                };
                let mut data = spb.packet_data();
                if iface.snaplen != 0 {
                    data = data.get(..iface.snaplen as usize).unwrap_or(data);
                }
                scratch.clear();
                scratch.extend_from_slice(data);
                Step::Frame {
                    ts: last_ts,
                    linktype: iface.linktype,
                    orig_len: spb.origlen,
                    interface_id: 0,
                }
            }
            Block::Unknown(u) if u.block_type == OPB_TYPE => {
                // Obsolete Packet Block body: Interface ID(2) Drops Count(2) Timestamp (High)(4)
                // Timestamp (Low)(4) Captured Len(4) Packet Len(4) Packet Data, Options.
                let be = *big_endian;
                let r16 = |p: usize| -> Option<u16> {
                    let b: [u8; 2] = u.data.get(p..p + 2)?.try_into().ok()?;
                    Some(if be {
                        u16::from_be_bytes(b)
                    } else {
                        u16::from_le_bytes(b)
                    })
                };
                let r32 = |p: usize| -> Option<u32> {
                    let b: [u8; 4] = u.data.get(p..p + 4)?.try_into().ok()?;
                    Some(if be {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    })
                };
                let fields = (|| Some((r16(0)?, r32(4)?, r32(8)?, r32(12)?, r32(16)?)))();
                let Some((if_id, hi, lo, caplen, origlen)) = fields else {
                    return Step::Fail(CaptureErrorKind::Corrupt, Some("packet block".into()));
                };
                let Some(data) = u.data.get(20..20usize.saturating_add(caplen as usize)) else {
                    return Step::Fail(CaptureErrorKind::Corrupt, Some("packet block".into()));
                };
                let Some(iface) = interfaces.get(usize::from(if_id)) else {
                    return Step::Fail(
                        CaptureErrorKind::UnknownInterface,
                        Some(format!("interface {if_id}")),
                    );
                };
                let units = (u64::from(hi) << 32) | u64::from(lo);
                let Some(ts) = ng_ts(units, iface) else {
                    return Step::Fail(CaptureErrorKind::BadTimestampResolution, None);
                };
                scratch.clear();
                scratch.extend_from_slice(data);
                Step::Frame {
                    ts,
                    linktype: iface.linktype,
                    orig_len: origlen,
                    interface_id: u32::from(if_id),
                }
            }
            _ => Step::Skip,
        }
    }
}

/// A reader with bytes already taken from it put back in front. Unlike `Read::chain`, one
/// `read` returns the put-back bytes *and* what the inner reader gives (pcap-parser sniffs the
/// format from the data of a single read).
struct Prefixed<R> {
    head: Vec<u8>,
    pos: usize,
    rest: R,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head = self.head.get(self.pos..).unwrap_or(&[]);
        if head.is_empty() {
            return self.rest.read(buf);
        }
        let n = head.len().min(buf.len());
        let (now, later) = buf.split_at_mut(n);
        for (d, s) in now.iter_mut().zip(head) {
            *d = *s;
        }
        self.pos += n;
        if later.is_empty() {
            return Ok(n);
        }
        // An error from the inner reader surfaces on the next call.
        Ok(n + self.rest.read(later).unwrap_or(0))
    }
}

fn linktype(v: i32) -> LinkType {
    LinkType(u32::try_from(v).unwrap_or(u32::MAX))
}

/// A pcap-ng timestamp: `units` of 1/resolution second, plus the interface's offset in seconds.
fn ng_ts(units: u64, iface: &Interface) -> Option<Duration> {
    let res = iface.resolution.filter(|r| *r > 0)?;
    let secs = units / res;
    let frac = units % res;
    // frac < res, so nanos < 1e9 and Duration::new does not carry.
    let nanos = u32::try_from(u128::from(frac) * 1_000_000_000 / u128::from(res)).ok()?;
    let base = Duration::new(secs, nanos);
    let off = Duration::from_secs(iface.offset_secs.unsigned_abs());
    Some(if iface.offset_secs >= 0 {
        base.saturating_add(off)
    } else {
        base.saturating_sub(off)
    })
}

/// Frames as owned values, for `for` loops and iterator adaptors.
impl Iterator for CaptureReader {
    type Item = Result<OwnedFrame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_frame() {
            Ok(Some(f)) => Some(Ok(f.to_owned())),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

impl From<CaptureError> for io::Error {
    fn from(e: CaptureError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

#[cfg(test)]
mod tests;
