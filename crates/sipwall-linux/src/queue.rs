//! The NFQUEUE socket (the `nfq` crate) on a thread of its own.
//!
//! `nfq` 0.2.5 (the newest release) exposes neither the socket's file descriptor (so no
//! `poll` with a timeout) nor batch verdicts (`NFQNL_MSG_VERDICT_BATCH`). So a reader thread
//! owns the [`nfq::Queue`]: it blocks in `recv` for the first packet, drains whatever else is
//! already queued without blocking (up to a batch limit), hands the batch to the daemon
//! thread, waits for the batch back with the verdicts set, and sends them (one verdict
//! message each: the socket that received a packet must be the one that verdicts it, so the
//! verdicts cannot be sent from another socket). The daemon thread meanwhile waits on a
//! channel with a timeout, which is what drives the engine's timers.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
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

/// What the reader thread hands to the daemon.
#[derive(Debug)]
pub enum FromQueue {
    /// Packets to decide: set each one's verdict and give the batch back with
    /// [`VerdictReturn::send`].
    Batch(Vec<Message>),
    /// The socket failed for good; the thread has ended.
    Failed(io::Error),
}

/// Counters kept by the reader thread.
#[derive(Debug, Default)]
pub struct QueueCounters {
    pub received: AtomicU64,
    pub verdict_errors: AtomicU64,
    pub recv_errors: AtomicU64,
}

/// Where the daemon returns decided batches.
#[derive(Debug, Clone)]
pub struct VerdictReturn {
    tx: SyncSender<Vec<Message>>,
}

impl VerdictReturn {
    /// Give a batch back; its verdicts are sent by the reader thread. `false` if the thread
    /// has ended (the packets are then dropped by the kernel when the socket closes).
    pub fn send(&self, batch: Vec<Message>) -> bool {
        self.tx.send(batch).is_ok()
    }
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

/// Start the reader thread. Batches arrive on `tx` wrapped by `wrap`.
pub fn spawn<T: Send + 'static>(
    mut queue: nfq::Queue,
    max_batch: usize,
    tx: Sender<T>,
    wrap: fn(FromQueue) -> T,
) -> Result<(VerdictReturn, Arc<QueueCounters>), QueueError> {
    let counters = Arc::new(QueueCounters::default());
    let (ret_tx, ret_rx) = mpsc::sync_channel::<Vec<Message>>(1);
    let c = Arc::clone(&counters);
    let max_batch = max_batch.max(1);
    thread::Builder::new()
        .name("sipwall-nfqueue".into())
        .spawn(move || reader(&mut queue, max_batch, &tx, wrap, &ret_rx, &c))
        .map_err(QueueError::Thread)?;
    Ok((VerdictReturn { tx: ret_tx }, counters))
}

fn reader<T>(
    queue: &mut nfq::Queue,
    max_batch: usize,
    tx: &Sender<T>,
    wrap: fn(FromQueue) -> T,
    ret_rx: &Receiver<Vec<Message>>,
    counters: &QueueCounters,
) {
    loop {
        queue.set_nonblocking(false);
        let first = match queue.recv() {
            Ok(m) => m,
            Err(e) if transient(&e) => {
                counters.recv_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Err(e) => {
                let _ = tx.send(wrap(FromQueue::Failed(e)));
                return;
            }
        };
        let mut batch = Vec::with_capacity(max_batch);
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
        if tx.send(wrap(FromQueue::Batch(batch))).is_err() {
            return; // the daemon has gone
        }
        let Ok(decided) = ret_rx.recv() else {
            return;
        };
        for m in decided {
            if queue.verdict(m).is_err() {
                counters.verdict_errors.fetch_add(1, Ordering::Relaxed);
            }
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
