//! nf_tables set-element messages over a netfilter netlink socket.
//!
//! Messages are built with `netlink-packet-netfilter` (its `nftables` module has
//! `NFT_MSG_NEWSETELEM` / `NFT_MSG_DELSETELEM` / `NFT_MSG_GETSETELEM` with
//! `NFTA_SET_ELEM_TIMEOUT` / `NFTA_SET_ELEM_EXPIRATION`, and the `NFNL_MSG_BATCH_BEGIN/END`
//! control messages) and sent on a `netlink-sys` socket. Replies (acks, errors, element dumps)
//! are walked by hand with `netlink-packet-core` buffers: the crate's own parser of
//! `NFTA_SET_ELEM_EXPR` keeps only the expression's name and drops the counter values, which
//! are what `poll_usage` needs.
//!
//! Attribute numbers: Linux `include/uapi/linux/netfilter/nf_tables.h`.

use std::io;
use std::time::Duration;

use netlink_packet_core::{
    Emitable, NetlinkBuffer, NetlinkMessage, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_CREATE,
    NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_netfilter::nftables::{
    DataAttribute, ListAttribute, NfTablesMessage, SetElementAttribute, SetElementList,
    SetElementMessage,
};
use netlink_packet_netfilter::none::ControlMessage;
use netlink_packet_netfilter::{NetfilterHeader, NetfilterMessage, NetfilterProtoFamily};
use netlink_sys::{protocols::NETLINK_NETFILTER, Socket};

/// `NFNL_SUBSYS_NFTABLES`: the batch messages name the subsystem in `res_id`.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
/// `(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM`: the type of a dumped element list.
const MSG_NEWSETELEM: u16 = (10 << 8) | 12;
/// Attribute type without the nested / byte-order flag bits.
const NLA_TYPE_MASK: u16 = 0x3fff;

const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_SET_ELEM_EXPR: u16 = 7;
const NFTA_SET_ELEM_EXPRESSIONS: u16 = 11;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_COUNTER_BYTES: u16 = 1;
const NFTA_COUNTER_PACKETS: u16 = 2;

/// Largest reply datagram we accept (the kernel fills dump skbs up to 32 KiB).
const RECV_BUF: usize = 128 * 1024;
/// Safety net: how long a reply may take before the operation fails.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// Messages per batch (keeps one datagram well under the socket buffer).
pub(crate) const MAX_BATCH: usize = 256;

/// One element operation.
#[derive(Debug, Clone)]
pub(crate) enum ElemOp<'a> {
    /// Create (or, on kernels that support it, refresh the timeout of) an element.
    Add {
        set: &'a str,
        key: &'a [u8],
        timeout_ms: u64,
        refresh: bool,
    },
    Del {
        set: &'a str,
        key: &'a [u8],
    },
}

/// One element from a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DumpedElem {
    pub key: Vec<u8>,
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug)]
pub(crate) enum NlError {
    Io(io::Error),
    /// The kernel answered with this (positive) errno.
    Errno(i32),
    /// A reply that does not parse, at this byte offset of its datagram.
    Decode(usize),
    /// No reply within [`REPLY_TIMEOUT`].
    Timeout,
}

impl From<io::Error> for NlError {
    fn from(e: io::Error) -> Self {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            NlError::Timeout
        } else {
            NlError::Io(e)
        }
    }
}

pub(crate) struct Nl {
    sock: Socket,
    seq: u32,
    table: String,
    buf: Vec<u8>,
}

impl Nl {
    pub(crate) fn open(table: &str) -> Result<Nl, NlError> {
        let mut sock = Socket::new(NETLINK_NETFILTER)?;
        sock.bind_auto()?;
        sock.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        socket2::SockRef::from(&sock).set_read_timeout(Some(REPLY_TIMEOUT))?;
        Ok(Nl {
            sock,
            seq: 1,
            table: table.to_owned(),
            buf: Vec::with_capacity(RECV_BUF),
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn push_msg(
        out: &mut Vec<u8>,
        mut msg: NetlinkMessage<NetfilterMessage>,
        flags: u16,
        seq: u32,
    ) {
        msg.header.flags = flags;
        msg.header.sequence_number = seq;
        msg.finalize();
        let start = out.len();
        out.resize(start + msg.buffer_len(), 0);
        // `out` was just grown by exactly `buffer_len()` bytes, which is what `emit` writes.
        msg.emit(&mut out[start..]);
    }

    fn elem_msg(&self, op: &ElemOp<'_>) -> NlaMsg {
        let (set, attrs, new) = match *op {
            ElemOp::Add {
                set,
                key,
                timeout_ms,
                refresh,
            } => {
                let mut a = vec![
                    SetElementAttribute::Key(DataAttribute::Value(key.to_vec())),
                    SetElementAttribute::Timeout(timeout_ms),
                ];
                if refresh {
                    a.push(SetElementAttribute::Expiration(timeout_ms));
                }
                (set, a, true)
            }
            ElemOp::Del { set, key } => (
                set,
                vec![SetElementAttribute::Key(DataAttribute::Value(key.to_vec()))],
                false,
            ),
        };
        let body = SetElementMessage {
            attributes: vec![
                SetElementList::Table(self.table.clone()),
                SetElementList::Set(set.to_owned()),
                SetElementList::Elements(vec![ListAttribute::Element(attrs)]),
            ],
        };
        let inner = if new {
            NfTablesMessage::NewSetElement(body)
        } else {
            NfTablesMessage::DeleteSetElement(body)
        };
        let msg = NetlinkMessage::from(NetfilterMessage::new(
            NetfilterHeader::new(NetfilterProtoFamily::Inet, 0, 0),
            inner,
        ));
        let flags = if new {
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE
        } else {
            NLM_F_REQUEST | NLM_F_ACK
        };
        NlaMsg { msg, flags }
    }

    /// Send `ops` as one nf_tables transaction. Returns the errno of each failed op (by index
    /// into `ops`); when any op fails the kernel aborts the whole transaction. A failure of
    /// the batch itself is returned as `Err`.
    pub(crate) fn batch(&mut self, ops: &[ElemOp<'_>]) -> Result<Vec<(usize, i32)>, NlError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(64 + ops.len() * 112);
        let begin_seq = self.next_seq();
        let control = |m: ControlMessage| {
            NetlinkMessage::from(NetfilterMessage::new(
                NetfilterHeader::new(NetfilterProtoFamily::Unspec, 0, NFNL_SUBSYS_NFTABLES),
                m,
            ))
        };
        Self::push_msg(
            &mut out,
            control(ControlMessage::BatchBegin),
            NLM_F_REQUEST,
            begin_seq,
        );
        let first = begin_seq.wrapping_add(1);
        for op in ops {
            let m = self.elem_msg(op);
            let seq = self.next_seq();
            Self::push_msg(&mut out, m.msg, m.flags, seq);
        }
        let last = self.seq;
        let end_seq = self.next_seq();
        Self::push_msg(
            &mut out,
            control(ControlMessage::BatchEnd),
            NLM_F_REQUEST,
            end_seq,
        );
        self.sock.send(&out, 0)?;

        let mut failed = Vec::new();
        loop {
            self.recv()?;
            let mut done = false;
            let mut fatal = None;
            walk(&self.buf, |ty, seq, payload| {
                if ty != NLMSG_ERROR {
                    return Ok(());
                }
                let code = payload
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(i32::from_ne_bytes)
                    .ok_or(NlError::Decode(0))?;
                if seq == begin_seq || seq == end_seq {
                    if code != 0 {
                        fatal = Some(-code);
                    }
                    done = true;
                } else if let Some(idx) = seq_index(seq, first, last) {
                    if code != 0 {
                        failed.push((idx, -code));
                    }
                    if seq == last {
                        done = true;
                    }
                }
                Ok(())
            })?;
            if let Some(errno) = fatal {
                return Err(NlError::Errno(errno));
            }
            if done {
                return Ok(failed);
            }
        }
    }

    /// Dump the elements of one set with their counters.
    pub(crate) fn dump(&mut self, set: &str) -> Result<Vec<DumpedElem>, NlError> {
        let body = SetElementMessage {
            attributes: vec![
                SetElementList::Table(self.table.clone()),
                SetElementList::Set(set.to_owned()),
            ],
        };
        let msg = NetlinkMessage::from(NetfilterMessage::new(
            NetfilterHeader::new(NetfilterProtoFamily::Inet, 0, 0),
            NfTablesMessage::GetSetElement(body),
        ));
        let seq = self.next_seq();
        let mut out = Vec::new();
        Self::push_msg(&mut out, msg, NLM_F_REQUEST | NLM_F_DUMP, seq);
        self.sock.send(&out, 0)?;
        let mut elems = Vec::new();
        loop {
            self.recv()?;
            let mut done = false;
            let mut errno = None;
            walk(&self.buf, |ty, s, payload| {
                if s != seq {
                    return Ok(());
                }
                match ty {
                    NLMSG_DONE => done = true,
                    NLMSG_ERROR => {
                        let code = payload
                            .get(..4)
                            .and_then(|b| <[u8; 4]>::try_from(b).ok())
                            .map(i32::from_ne_bytes)
                            .ok_or(NlError::Decode(0))?;
                        if code != 0 {
                            errno = Some(-code);
                        }
                        done = true;
                    }
                    MSG_NEWSETELEM => parse_elem_list(payload, &mut elems)?,
                    _ => {}
                }
                Ok(())
            })?;
            if let Some(e) = errno {
                return Err(NlError::Errno(e));
            }
            if done {
                return Ok(elems);
            }
        }
    }

    fn recv(&mut self) -> Result<(), NlError> {
        self.buf.clear();
        self.buf.reserve(RECV_BUF);
        self.sock.recv(&mut self.buf, 0)?;
        Ok(())
    }
}

struct NlaMsg {
    msg: NetlinkMessage<NetfilterMessage>,
    flags: u16,
}

fn seq_index(seq: u32, first: u32, last: u32) -> Option<usize> {
    let idx = seq.wrapping_sub(first);
    let n = last.wrapping_sub(first);
    (idx <= n).then_some(idx as usize)
}

/// Walk the netlink messages of one datagram: `f(type, seq, payload)`.
fn walk(
    buf: &[u8],
    mut f: impl FnMut(u16, u32, &[u8]) -> Result<(), NlError>,
) -> Result<(), NlError> {
    let mut off = 0usize;
    while off < buf.len() {
        let rest = buf.get(off..).ok_or(NlError::Decode(off))?;
        let nl = NetlinkBuffer::new_checked(rest).map_err(|_| NlError::Decode(off))?;
        let len = nl.length() as usize;
        f(nl.message_type(), nl.sequence_number(), nl.payload())?;
        // nlmsg lengths are padded to 4 bytes (NLMSG_ALIGN).
        let step = len.checked_add(3).ok_or(NlError::Decode(off))? & !3;
        if step == 0 {
            return Err(NlError::Decode(off));
        }
        off = off.saturating_add(step);
    }
    Ok(())
}

/// Iterate the attributes (`struct nlattr`: u16 length, u16 type, value padded to 4 bytes)
/// of `buf`; stops at the first malformed one.
fn nlas(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        let hdr = rest.get(..4)?;
        let len = usize::from(u16::from_ne_bytes([*hdr.first()?, *hdr.get(1)?]));
        let kind = u16::from_ne_bytes([*hdr.get(2)?, *hdr.get(3)?]) & NLA_TYPE_MASK;
        let value = rest.get(4..len)?;
        let step = (len + 3) & !3;
        rest = rest.get(step..).unwrap_or(&[]);
        Some((kind, value))
    })
}

/// Parse one `NFT_MSG_NEWSETELEM` payload (nfgenmsg + `NFTA_SET_ELEM_LIST_*`).
pub(crate) fn parse_elem_list(payload: &[u8], out: &mut Vec<DumpedElem>) -> Result<(), NlError> {
    // struct nfgenmsg: family, version, res_id (4 bytes).
    let attrs = payload.get(4..).ok_or(NlError::Decode(0))?;
    for (kind, value) in nlas(attrs) {
        if kind != NFTA_SET_ELEM_LIST_ELEMENTS {
            continue;
        }
        for (k, elem) in nlas(value) {
            if k != NFTA_LIST_ELEM {
                continue;
            }
            let mut e = DumpedElem {
                key: Vec::new(),
                packets: 0,
                bytes: 0,
            };
            for (a, v) in nlas(elem) {
                match a {
                    NFTA_SET_ELEM_KEY => {
                        if let Some((_, key)) = nlas(v).find(|(t, _)| *t == NFTA_DATA_VALUE) {
                            e.key = key.to_vec();
                        }
                    }
                    NFTA_SET_ELEM_EXPR => counter(v, &mut e),
                    NFTA_SET_ELEM_EXPRESSIONS => {
                        for (t, ex) in nlas(v) {
                            if t == NFTA_LIST_ELEM {
                                counter(ex, &mut e);
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !e.key.is_empty() {
                out.push(e);
            }
        }
    }
    Ok(())
}

/// Read a `counter` expression (`NFTA_EXPR_NAME` + `NFTA_EXPR_DATA`) into `e`.
fn counter(expr: &[u8], e: &mut DumpedElem) {
    let is_counter = nlas(expr).any(|(t, v)| t == NFTA_EXPR_NAME && v.starts_with(b"counter\0"));
    if !is_counter {
        return;
    }
    let be64 = |v: &[u8]| {
        v.get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
    };
    for (t, data) in nlas(expr) {
        if t != NFTA_EXPR_DATA {
            continue;
        }
        for (c, v) in nlas(data) {
            match c {
                NFTA_COUNTER_BYTES => e.bytes = be64(v).unwrap_or(0),
                NFTA_COUNTER_PACKETS => e.packets = be64(v).unwrap_or(0),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `NFT_MSG_NEWSETELEM` dump payload with one element (key 4 bytes) and a counter
    /// (5 packets, 155 bytes), laid out as the kernel's `nf_tables_fill_setelem` does.
    #[rustfmt::skip]
    const DUMP: &[u8] = &[
        // nfgenmsg: NFPROTO_INET, version 0, res_id
        0x01, 0x00, 0x00, 0x05,
        // NFTA_SET_ELEM_LIST_TABLE "t"
        0x06, 0x00, 0x01, 0x00, b't', 0x00, 0x00, 0x00,
        // NFTA_SET_ELEM_LIST_ELEMENTS (nested), len 4 + 64
        0x44, 0x00, 0x03, 0x80,
        //   NFTA_LIST_ELEM (nested), len 4 + 12 + 48
        0x40, 0x00, 0x01, 0x80,
        //     NFTA_SET_ELEM_KEY (nested) len 12: NFTA_DATA_VALUE len 8
        0x0c, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x0a, 0x63, 0x00, 0x01,
        //     NFTA_SET_ELEM_EXPR (nested) len 4 + 12 + 32
        0x30, 0x00, 0x07, 0x80,
        //       NFTA_EXPR_NAME "counter" len 12
        0x0c, 0x00, 0x01, 0x00, b'c', b'o', b'u', b'n', b't', b'e', b'r', 0x00,
        //       NFTA_EXPR_DATA (nested) len 4 + 12 + 12 + 4
        0x20, 0x00, 0x02, 0x80,
        //         NFTA_COUNTER_BYTES 155
        0x0c, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 155,
        //         NFTA_COUNTER_PACKETS 5
        0x0c, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 5,
        //         NFTA_COUNTER_PAD (ignored)
        0x04, 0x00, 0x03, 0x00,
    ];

    #[test]
    fn parses_dumped_element_with_counter() {
        let mut out = Vec::new();
        parse_elem_list(DUMP, &mut out).unwrap();
        assert_eq!(
            out,
            vec![DumpedElem {
                key: vec![10, 99, 0, 1],
                packets: 5,
                bytes: 155
            }]
        );
    }

    #[test]
    fn truncated_dump_never_panics() {
        for n in 0..DUMP.len() {
            let mut out = Vec::new();
            let _ = parse_elem_list(&DUMP[..n], &mut out);
        }
        let mut out = Vec::new();
        assert!(parse_elem_list(&[1, 0], &mut out).is_err());
    }

    #[test]
    fn walk_rejects_garbage_and_reads_messages() {
        // One NLMSG_DONE (len 20) with seq 7.
        let mut done = vec![20, 0, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut seen = Vec::new();
        walk(&done, |t, s, _| {
            seen.push((t, s));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(NLMSG_DONE, 7)]);
        done.truncate(10);
        assert!(walk(&done, |_, _, _| Ok(())).is_err());
    }

    #[test]
    fn seq_index_wraps() {
        assert_eq!(seq_index(5, 5, 7), Some(0));
        assert_eq!(seq_index(7, 5, 7), Some(2));
        assert_eq!(seq_index(8, 5, 7), None);
        assert_eq!(seq_index(1, u32::MAX, 2), Some(2));
    }
}
