//! pcap writer over `pcap-file`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use sipwall_wire::packet::LinkType;

use crate::reader::{CaptureError, CaptureErrorKind, Frame};

/// Options of a [`CaptureWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// Write nanosecond timestamps (pcap magic 0xa1b23c4d) instead of microseconds.
    pub nanosecond: bool,
    /// Snap length declared in the header; longer frames are cut to it.
    pub snaplen: u32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            nanosecond: false,
            snaplen: 262_144,
        }
    }
}

/// Writes frames to a pcap file (little-endian). Used for `--write-accepted` and to generate
/// test captures. Call [`finish`](Self::finish) to flush.
pub struct CaptureWriter<W: Write> {
    inner: PcapWriter<W>,
    snaplen: u32,
    written: u64,
}

impl<W: Write> std::fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureWriter")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

fn write_err(frame: u64, e: impl std::fmt::Display) -> CaptureError {
    CaptureError {
        kind: CaptureErrorKind::Io,
        frame,
        offset: 0,
        detail: Some(e.to_string()),
    }
}

impl CaptureWriter<BufWriter<File>> {
    /// Create (or truncate) a pcap file.
    pub fn create(path: impl AsRef<Path>, linktype: LinkType) -> Result<Self, CaptureError> {
        let file = File::create(path.as_ref())
            .map_err(|e| write_err(0, format!("{}: {e}", path.as_ref().display())))?;
        CaptureWriter::new(BufWriter::new(file), linktype, WriterOptions::default())
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Write the pcap file header for `linktype` to `writer`.
    pub fn new(writer: W, linktype: LinkType, opts: WriterOptions) -> Result<Self, CaptureError> {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: opts.snaplen,
            datalink: DataLink::from(linktype.0),
            ts_resolution: if opts.nanosecond {
                TsResolution::NanoSecond
            } else {
                TsResolution::MicroSecond
            },
            endianness: Endianness::Little,
        };
        let inner = PcapWriter::with_header(writer, header).map_err(|e| write_err(0, e))?;
        Ok(CaptureWriter {
            inner,
            snaplen: opts.snaplen,
            written: 0,
        })
    }

    /// Append one frame captured at `ts` (since the UNIX epoch; must fit pcap's 32-bit seconds).
    pub fn write(&mut self, ts: Duration, data: &[u8]) -> Result<(), CaptureError> {
        let orig_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let cut = data.get(..self.snaplen as usize).unwrap_or(data);
        let pkt = PcapPacket::new(ts, orig_len, cut);
        let frame = self.written + 1;
        self.inner
            .write_packet(&pkt)
            .map_err(|e| write_err(frame, e))?;
        self.written = frame;
        Ok(())
    }

    /// Append a frame read from another capture, keeping its time and original length.
    /// The link type is not checked against this file's.
    pub fn write_frame(&mut self, f: &Frame<'_>) -> Result<(), CaptureError> {
        let cut = f.data.get(..self.snaplen as usize).unwrap_or(f.data);
        let orig_len = f.orig_len.max(u32::try_from(cut.len()).unwrap_or(u32::MAX));
        let pkt = PcapPacket::new(f.ts, orig_len, cut);
        let frame = self.written + 1;
        self.inner
            .write_packet(&pkt)
            .map_err(|e| write_err(frame, e))?;
        self.written = frame;
        Ok(())
    }

    /// Frames written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flush and return the underlying writer.
    pub fn finish(self) -> Result<W, CaptureError> {
        let frame = self.written;
        let mut w = self.inner.into_writer();
        w.flush().map_err(|e| write_err(frame, e))?;
        Ok(w)
    }
}
