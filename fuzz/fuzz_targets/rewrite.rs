//! parse -> rewrite(edits) -> parse: no panic; Content-Length always equals the new body
//! length; rewrite with no edits is the identity.
//!
//! Input layout: the first 16 bytes choose the edits, the rest is a datagram.
#![no_main]

use std::ops::Range;

use libfuzzer_sys::fuzz_target;
use sipwall_wire::rewrite::{rewrite, Edit};
use sipwall_wire::sip::{Contact, HeaderName, Limits, Message, Transport};
use sipwall_wire::ErrorKind;

const REPLACEMENTS: [&[u8]; 8] = [
    b"",
    b"x",
    b"203.0.113.77",
    b"[2001:db8::1]",
    b"65535",
    b"sip:a@198.51.100.1:5062;transport=tcp",
    b"0",
    b"a very much longer replacement value than the original token was",
];

/// Candidate edit spans: header values (never Content-Length, which rewrite owns), the host and
/// port tokens a NAT rewrites, and the SDP address and port spans.
fn candidates(m: &Message<'_>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut push = |t: &[u8]| {
        if let Some(r) = m.span_of(t) {
            out.push(r);
        }
    };
    for h in m.headers() {
        if h.name != HeaderName::ContentLength {
            push(h.value);
        }
    }
    if let Ok(vias) = m.vias() {
        for v in &vias {
            push(v.host_raw());
            if let Some(p) = v.port_raw() {
                push(p);
            }
        }
    }
    let mut addrs = Vec::new();
    if let Ok(Some(Contact::Addrs(a))) = m.contacts() {
        addrs.extend(a);
    }
    addrs.extend(m.from().ok());
    addrs.extend(m.to().ok());
    for a in &addrs {
        if let Some(h) = a.uri.host_raw() {
            push(h);
        }
    }
    if let (Some(b), Some(Ok(sdp))) = (m.sdp_bytes(), m.sdp()) {
        if let Some(base) = m.span_of(b).map(|r| r.start) {
            let shift = |r: &Range<usize>| r.start + base..r.end + base;
            if let Some(c) = &sdp.connection {
                out.push(shift(&c.address_span));
            }
            if let Some(o) = &sdp.origin {
                out.push(shift(&o.address_span));
            }
            for md in &sdp.media {
                out.push(shift(&md.port_span));
                for c in &md.connections {
                    out.push(shift(&c.address_span));
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (ctl, raw) = data.split_at(data.len().min(16));
    let limits = Limits::default();
    let Ok(m) = Message::parse(raw, Transport::Datagram, &limits) else {
        return;
    };

    // No edits: the identity.
    let same = rewrite(&m, &[]).expect("rewrite with no edits succeeds");
    assert_eq!(
        same.as_slice(),
        m.as_bytes(),
        "rewrite with no edits changed the message"
    );

    // Up to 4 edits over candidate spans, kept non-overlapping.
    let spans = candidates(&m);
    let mut edits: Vec<Edit<'_>> = Vec::new();
    if !spans.is_empty() {
        let n = ctl.first().map_or(0, |b| usize::from(b % 5));
        for i in 0..n {
            let pick = |k: usize| usize::from(ctl.get(1 + 3 * i + k).copied().unwrap_or(0));
            let span = spans[pick(0) % spans.len()].clone();
            let repl = REPLACEMENTS[pick(1) % REPLACEMENTS.len()];
            // Sometimes only part of the span (a prefix), as a sloppy ALG might.
            let cut = pick(2);
            let range = if cut & 0x80 != 0 && !span.is_empty() {
                span.start..span.start + (cut & 0x7f) % (span.len() + 1)
            } else {
                span
            };
            let overlaps = edits.iter().any(|e| {
                range.start < e.range.end && e.range.start < range.end
                    || e.range.start == range.start
            });
            if !overlaps {
                edits.push(Edit::new(range, repl));
            }
        }
    }

    let out = match rewrite(&m, &edits) {
        Ok(out) => out,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::BadEdit, "unexpected rewrite error {e:?}");
            return;
        }
    };
    let body_start = m.body_offset();
    let delta: isize = edits
        .iter()
        .filter(|e| e.range.start >= body_start)
        .map(|e| e.replacement.len() as isize - e.range.len() as isize)
        .sum();
    let m2 = match Message::parse(&out, Transport::Datagram, &limits) {
        Ok(m2) => m2,
        Err(e) => panic!(
            "rewritten message does not parse: {e:?}\nedits {edits:?}\nbefore {:?}\nafter {:?}",
            String::from_utf8_lossy(m.as_bytes()),
            String::from_utf8_lossy(&out)
        ),
    };
    assert_eq!(
        m2.as_bytes(),
        out.as_slice(),
        "rewritten message was cut short"
    );
    // In a multipart body, rewrite also corrects part Content-Length values, so the body
    // length then moves by more than the edits.
    let multipart = m
        .content_type()
        .and_then(Result::ok)
        .is_some_and(|c| c.is_multipart());
    if !multipart {
        assert_eq!(
            m2.body().len() as isize,
            m.body().len() as isize + delta,
            "body length does not follow the edits"
        );
    }
    match (m.content_length(), m2.content_length()) {
        (Some(_), Some(cl)) => assert_eq!(cl, m2.body().len(), "Content-Length is wrong"),
        (None, None) => {}
        (a, b) => panic!("Content-Length presence changed: {a:?} -> {b:?}"),
    }
    let again = rewrite(&m2, &[]).expect("rewrite with no edits succeeds");
    assert_eq!(
        again, out,
        "rewrite with no edits is not the identity after a rewrite"
    );
});
