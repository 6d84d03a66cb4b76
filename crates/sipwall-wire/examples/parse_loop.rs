//! Run one stage of the `parse` benchmark's INVITE full parse `N` times, for instruction
//! counts under `valgrind --tool=callgrind` (load-independent, unlike timings):
//!
//! ```text
//! cargo build --release -p sipwall-wire --example parse_loop
//! valgrind --tool=callgrind target/release/examples/parse_loop full 10000
//! ```
//!
//! Stages: `full` (index + headers + SDP), `index` (`Message::parse`), `headers` (decoding
//! on a parsed message), `sdp`, `none` (start-up cost, to subtract). Instructions per
//! iteration = (total(stage, N) - total(none, N)) / N. Without valgrind, the wall time per
//! iteration is printed as a rough check (use the criterion benchmark for figures).

use std::hint::black_box;

use sipwall_wire::sip::{Limits, Message, Transport};

const INVITE: &[u8] = include_bytes!("../benches/data/invite.sip");

// A benchmark driver, not wire code: it may read the clock (the rule is for the library).
#[allow(clippy::disallowed_methods)]
fn main() {
    let mut args = std::env::args().skip(1);
    let stage = args.next().unwrap_or_else(|| "full".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let limits = Limits::default();
    let input = black_box(INVITE);
    let parsed = Message::parse(input, Transport::Datagram, &limits).expect("fixture parses");
    let sdp = parsed.sdp_bytes().expect("fixture has SDP");
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        match stage.as_str() {
            "full" => {
                let m = Message::parse(black_box(input), Transport::Datagram, &limits)
                    .expect("fixture parses");
                headers(&m);
                if let Some(s) = m.sdp() {
                    let _ = black_box(&s.expect("fixture SDP parses"));
                }
            }
            "index+headers" => {
                let m = Message::parse(black_box(input), Transport::Datagram, &limits)
                    .expect("fixture parses");
                headers(&m);
            }
            "index+sdp" => {
                let m = Message::parse(black_box(input), Transport::Datagram, &limits)
                    .expect("fixture parses");
                if let Some(s) = m.sdp() {
                    let _ = black_box(&s.expect("fixture SDP parses"));
                }
            }
            "index" => {
                let _ = black_box(Message::parse(
                    black_box(input),
                    Transport::Datagram,
                    &limits,
                ));
            }
            "headers" => headers(black_box(&parsed)),
            "sdp" => {
                let _ = black_box(&sipwall_wire::sdp::parse(black_box(sdp)));
            }
            _ => {}
        }
    }
    let ns = t0.elapsed().as_nanos() as f64 / n.max(1) as f64;
    eprintln!("{stage}: {ns:.0} ns/iteration (wall)");
}

fn headers(m: &Message<'_>) {
    let vias = m.vias().expect("via");
    let cseq = m.cseq().expect("cseq");
    let from = m.from().expect("from");
    let to = m.to().expect("to");
    let contact = m.contacts().expect("contact");
    black_box((&vias, &cseq, &from, &to, m.call_id(), &contact));
}
