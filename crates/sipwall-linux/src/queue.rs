//! The NFQUEUE socket (the `nfq` crate) on a thread of its own.
//!
//! `nfq` 0.2.5 (the newest release) exposes neither the socket's file descriptor (so no
//! `poll` with a timeout) nor batch verdicts (`NFQNL_MSG_VERDICT_BATCH`). So a reader thread
//! owns the [`nfq::Queue`]: it blocks in `recv` for the first packet, drains whatever else is
//! already queued without blocking (up to a batch limit), has a [`BatchHandler`] set the
//! verdicts right there on the same thread (no hand-off to another thread on the packet
//! path), and sends them (one verdict message each: the socket that received a packet must be
//! the one that verdicts it, so the verdicts cannot be sent from another socket). Timers and
//! everything else run on the daemon's thread, which shares the handler's state under a lock.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

pub use nfq::{Message, Verdict};

/// How the queue is set up.
#[derive(Debug, Clone, Copy)]
pub struct QueueOptions {
    pub num: u16,
    /// Accept instead of drop when the kernel queue is full (`NFQA_CFG_F_FAIL_OPEN`).
    pub fail_open: bool,
    /// Packets the kernel holds for us before it drops (or, fail-open, accepts) new ones.
    pub max_len: u32,
    /// Packets handed to the daemon in one batch at most.
    pub max_batch: usize,
}

impl QueueOptions {
    pub fn new(num: u16, fail_open: bool) -> Self {
        QueueOptions {
            num,
            fail_open,
            max_len: 4096,
            max_batch: 64,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("opening the netfilter queue socket: {0}")]
    Open(io::Error),
    #[error("binding NFQUEUE {num} (is another sipwall running on it?): {error}")]
    Bind { num: u16, error: io::Error },
    #[error("configuring NFQUEUE {num} ({what}): {error}")]
    Configure {
        num: u16,
        what: &'static str,
        error: io::Error,
    },
    #[error("starting the queue thread: {0}")]
    Thread(io::Error),
}

/// What the reader thread does with a batch; it runs on the reader thread.
pub trait BatchHandler: Send + 'static {
    /// Set the verdict of every packet of the batch.
    fn decide(&mut self, batch: &mut [Message]);
    /// After the batch's verdicts are sent; `false` ends the thread.
    fn after_verdicts(&mut self) -> bool;
    /// The socket failed for good; the thread ends after this.
    fn failed(&mut self, error: io::Error);
}

/// Counters kept by the reader thread.
#[derive(Debug, Default)]
pub struct QueueCounters {
    pub received: AtomicU64,
    pub verdict_errors: AtomicU64,
    pub recv_errors: AtomicU64,
}

/// Open and bind the queue (this fails if another process is bound to it).
pub fn open(opts: &QueueOptions) -> Result<nfq::Queue, QueueError> {
    let num = opts.num;
    let mut q = nfq::Queue::open().map_err(QueueError::Open)?;
    q.bind(num)
        .map_err(|source| QueueError::Bind { num, error: source })?;
    let cfg = |what, r: io::Result<()>| {
        r.map_err(|source| QueueError::Configure {
            num,
            what,
            error: source,
        })
    };
    cfg("fail-open", q.set_fail_open(num, opts.fail_open))?;
    cfg("queue length", q.set_queue_max_len(num, opts.max_len))?;
    Ok(q)
}

/// Start the reader thread; `handler` decides each batch on it.
pub fn spawn<H: BatchHandler>(
    mut queue: nfq::Queue,
    max_batch: usize,
    mut handler: H,
) -> Result<Arc<QueueCounters>, QueueError> {
    let counters = Arc::new(QueueCounters::default());
    let c = Arc::clone(&counters);
    let max_batch = max_batch.max(1);
    thread::Builder::new()
        .name("sipwall-nfqueue".into())
        .spawn(move || reader(&mut queue, max_batch, &mut handler, &c))
        .map_err(QueueError::Thread)?;
    Ok(counters)
}

fn reader<H: BatchHandler>(
    queue: &mut nfq::Queue,
    max_batch: usize,
    handler: &mut H,
    counters: &QueueCounters,
) {
    let mut batch = Vec::with_capacity(max_batch);
    loop {
        queue.set_nonblocking(false);
        let first = match queue.recv() {
            Ok(m) => m,
            Err(e) if transient(&e) => {
                counters.recv_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Err(e) => {
                handler.failed(e);
                return;
            }
        };
        batch.push(first);
        queue.set_nonblocking(true);
        while batch.len() < max_batch {
            match queue.recv() {
                Ok(m) => batch.push(m),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    counters.recv_errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
        counters
            .received
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        handler.decide(&mut batch);
        for m in batch.drain(..) {
            if queue.verdict(m).is_err() {
                counters.verdict_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !handler.after_verdicts() {
            return;
        }
    }
}

/// Errors after which the socket is still usable: an interrupted call, a message too big for
/// the buffer (`ENOSPC` from `nfq`), the kernel's socket buffer overrun (`ENOBUFS`).
fn transient(e: &io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const ENOBUFS: i32 = 105;
    e.kind() == io::ErrorKind::Interrupted
        || e.kind() == io::ErrorKind::WouldBlock
        || matches!(e.raw_os_error(), Some(ENOSPC | ENOBUFS))
}

/// The kernel's drop counters for queue `num` (`queue_dropped + user_dropped` of
/// `/proc/net/netfilter/nfnetlink_queue`), `None` when the file or the queue is not there.
pub fn kernel_drops(num: u16) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/netfilter/nfnetlink_queue").ok()?;
    parse_kernel_drops(&text, num)
}

/// Lines are `queue_number peer_portid queue_total copy_mode copy_range queue_dropped
/// user_dropped id_sequence 1` (net/netfilter/nfnetlink_queue.c, `seq_show`).
pub fn parse_kernel_drops(text: &str, num: u16) -> Option<u64> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first()?.parse::<u16>().ok()? != num {
            return None;
        }
        let queue_dropped: u64 = f.get(5)?.parse().ok()?;
        let user_dropped: u64 = f.get(6)?.parse().ok()?;
        Some(queue_dropped.saturating_add(user_dropped))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_drops_of_the_right_queue() {
        let text = "    0  12345     0 2 65535     3     4   100 1\n\
                    \x20   7  23456     2 2 65535    10     1   999 1\n";
        assert_eq!(parse_kernel_drops(text, 0), Some(7));
        assert_eq!(parse_kernel_drops(text, 7), Some(11));
        assert_eq!(parse_kernel_drops(text, 8), None);
        assert_eq!(parse_kernel_drops("garbage\n1 2\n", 1), None);
        assert_eq!(parse_kernel_drops("", 0), None);
    }

    #[test]
    fn transient_errors() {
        assert!(transient(&io::Error::from_raw_os_error(105)));
        assert!(transient(&io::Error::from(io::ErrorKind::Interrupted)));
        assert!(!transient(&io::Error::from_raw_os_error(9)));
    }
}
