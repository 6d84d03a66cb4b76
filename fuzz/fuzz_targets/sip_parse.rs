//! Framing (datagram and stream), parse, validate and every accessor never panic; a stream
//! never frames past its input, and the framer and the parser agree about a stream message's
//! length. Every slice an accessor hands out is a sub-slice of the message (`span_of` finds it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipwall_wire::sip::{
    frame, Contact, Framing, Limits, Message, NameAddr, Transport, Uri, ValidateOptions, Via,
};

fn check_span(m: &Message<'_>, token: &[u8]) {
    let r = m
        .span_of(token)
        .expect("every accessor returns a sub-slice of the message");
    assert_eq!(&m.bytes_in_input()[r], token);
}

fn check_uri(m: &Message<'_>, u: &Uri<'_>) {
    check_span(m, u.raw);
    if let Some(h) = u.host_raw() {
        check_span(m, h);
    }
    if let Some(p) = u.port_raw() {
        check_span(m, p);
    }
    if let Some(h) = u.host() {
        let _ = h.ip();
    }
    let _ = u.is_sip();
    for p in u.params().iter() {
        let _ = p;
    }
}

fn check_name_addr(m: &Message<'_>, a: &NameAddr<'_>) {
    check_span(m, a.raw);
    check_uri(m, &a.uri);
    let _ = (a.tag(), a.expires(), a.q(), a.display_name());
}

fn check_via(m: &Message<'_>, v: &Via<'_>) {
    check_span(m, v.raw);
    check_span(m, v.host_raw());
    if let Some(p) = v.port_raw() {
        check_span(m, p);
    }
    let _ = (
        v.branch(),
        v.received(),
        v.rport(),
        v.maddr(),
        v.ttl(),
        v.is_sip_2_0(),
        v.host().ip(),
    );
}

fn exercise(m: &Message<'_>) {
    let _ = m.validate();
    let _ = m.validate_with(&ValidateOptions {
        require_max_forwards: true,
        require_content_type: false,
        check_values: true,
    });
    let _ = (m.method(), m.status(), m.is_request(), m.start_line());
    assert!(m.start_offset() <= m.len_in_input());
    assert!(m.body_offset() <= m.len_in_input());
    if let Some(cl) = m.content_length() {
        assert_eq!(cl, m.body().len());
    }
    for h in m.headers() {
        check_span(m, h.value);
        check_span(m, h.name_raw);
        assert!(h.line_start <= h.line_end);
    }
    if let Some(Ok(u)) = m.request_uri() {
        check_uri(m, &u);
    }
    if let Ok(vias) = m.vias() {
        vias.iter().for_each(|v| check_via(m, v));
    }
    if let Some(Ok(v)) = m.top_via() {
        check_via(m, &v);
    }
    for a in [m.from(), m.to()].iter().flatten() {
        check_name_addr(m, a);
    }
    if let Ok(c) = m.cseq() {
        let _ = c;
    }
    if let Some(id) = m.call_id() {
        check_span(m, id);
    }
    if let Ok(Some(Contact::Addrs(list))) = m.contacts() {
        list.iter().for_each(|a| check_name_addr(m, a));
    }
    for list in [m.routes(), m.record_routes()].iter().flatten() {
        list.iter().for_each(|a| check_name_addr(m, a));
    }
    let _ = (m.max_forwards(), m.expires());
    if let Some(Ok(ct)) = m.content_type() {
        let _ = (ct.is_sdp(), ct.is_multipart(), ct.boundary());
    }
    if let Some(b) = m.sdp_bytes() {
        check_span(m, b);
    }
    if let Some(Ok(sdp)) = m.sdp() {
        let _ = sdp.media.len();
    }
}

fuzz_target!(|data: &[u8]| {
    let tight = Limits {
        max_message_size: 512,
        max_headers: 8,
        max_line_length: 80,
        max_list_values: 3,
    };
    for limits in [Limits::default(), tight] {
        for t in [Transport::Datagram, Transport::Stream] {
            match frame(data, t, &limits) {
                Framing::Complete { len } => {
                    assert!(len <= data.len(), "framed past the input");
                    assert!(len > 0);
                    if t == Transport::Stream {
                        // The framer and the parser share their code: they must agree.
                        let m = Message::parse(&data[..len], t, &limits)
                            .expect("a framed stream message parses");
                        assert_eq!(m.len_in_input(), len);
                        exercise(&m);
                    }
                }
                Framing::Keepalive { len } => {
                    assert!(len > 0 && len <= data.len());
                }
                Framing::Incomplete { .. } | Framing::Invalid { .. } => {}
            }
            if let Ok(m) = Message::parse(data, t, &limits) {
                assert!(m.len_in_input() <= data.len());
                exercise(&m);
            }
        }
    }
});
