//! The SDP model and multipart splitting never panic; every span the SDP model reports lies
//! within its input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipwall_wire::body::{find_sdp, split_multipart, ContentType};
use sipwall_wire::sdp;

fn in_bounds(r: &std::ops::Range<usize>, len: usize) {
    assert!(r.start <= r.end && r.end <= len, "span {r:?} outside {len}");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = sdp::parse(data) {
        if let Some(o) = &s.origin {
            in_bounds(&o.address_span, data.len());
            in_bounds(&o.line, data.len());
            let _ = o.ip();
        }
        if let Some(c) = &s.connection {
            in_bounds(&c.address_span, data.len());
            let _ = (c.is_hold_address(), c.is_multicast(), c.is_unspecified());
        }
        for m in &s.media {
            in_bounds(&m.port_span, data.len());
            in_bounds(&m.line, data.len());
            for c in &m.connections {
                in_bounds(&c.address_span, data.len());
            }
            if let Some(r) = &m.rtcp {
                in_bounds(&r.port_span, data.len());
            }
            let _ = (
                m.effective_connection(&s),
                m.is_disabled(),
                m.is_hold(&s),
                m.is_t38(),
                m.is_ike(),
                m.is_rtp(),
                m.bandwidth_as(),
            );
        }
    }

    // First byte: boundary length; then the boundary; the rest is a multipart body.
    if let Some((&n, rest)) = data.split_first() {
        let n = usize::from(n % 72).min(rest.len());
        let (boundary, body) = rest.split_at(n);
        if let Ok(parts) = split_multipart(body, boundary, 16) {
            assert!(parts.len() <= 16);
            for p in &parts {
                assert!(p.offset + p.body.len() <= body.len());
                assert_eq!(body.get(p.offset..p.offset + p.body.len()), Some(p.body));
                let _ = (
                    p.header_value(b"content-type"),
                    p.header_value(b"content-length"),
                );
            }
        }
    }

    // A Content-Type value on the first line, a body after it.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (ct, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    if let Ok(c) = ContentType::parse(ct) {
        let _ = (
            c.is_sdp(),
            c.is_multipart(),
            c.boundary(),
            c.params().count(),
        );
    }
    for ct in [Some(ct), None] {
        if let Some((off, sdp_bytes)) = find_sdp(ct, body) {
            assert_eq!(body.get(off..off + sdp_bytes.len()), Some(sdp_bytes));
            let _ = sdp::parse(sdp_bytes);
        }
    }
});
