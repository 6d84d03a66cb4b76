//! Property tests over generated SIP messages: random header order, compact forms, folding,
//! random case, and random bytes inserted or cut. Properties:
//! - nothing panics (parse, frame, validate, every accessor, SDP, rewrite);
//! - rewrite with no edits reproduces the message, and parse(emit(parse(x))) equals parse(x);
//! - rewriting a header value changes exactly that value and keeps Content-Length right;
//! - on a stream, framing any prefix never claims a complete message shorter than the real one.

use proptest::prelude::*;
use sipwall_wire::rewrite::{rewrite, Edit};
use sipwall_wire::sip::{frame, Framing, HeaderName, Limits, Message, Transport};

/// A header as generated: long name, compact name (if any), value.
fn header_strategy() -> impl Strategy<Value = (String, String)> {
    let via = (1u8..=3, prop::bool::ANY).prop_map(|(n, tcp)| {
        let mut hops = Vec::new();
        for i in 0..n {
            hops.push(format!(
                "SIP/2.0/{} 192.0.2.{}:5060;branch=z9hG4bK{}",
                if tcp { "TCP" } else { "UDP" },
                i + 1,
                i
            ));
        }
        hops.join(", ")
    });
    prop_oneof![
        via.prop_map(|v| ("Via".to_string(), v)),
        Just((
            "From".into(),
            "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928".into()
        )),
        Just(("To".into(), "<sip:bob@biloxi.example.com>".into())),
        Just(("Call-ID".into(), "a84b4c76e66710@pc33.example.com".into())),
        Just((
            "Contact".into(),
            "<sip:alice@192.0.2.4:5060>;expires=60".into()
        )),
        Just(("Max-Forwards".into(), "70".into())),
        Just(("Subject".into(), "lunch, today".into())),
        Just(("Supported".into(), "timer, 100rel".into())),
        Just((
            "Record-Route".into(),
            "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>".into()
        )),
        Just(("X-Custom".into(), "a \"quoted, value\" <x,y>".into())),
        Just(("User-Agent".into(), "sipwall-proptest/1.0".into())),
    ]
}

fn compact(name: &str) -> Option<&'static str> {
    Some(match name {
        "Via" => "v",
        "From" => "f",
        "To" => "t",
        "Call-ID" => "i",
        "Contact" => "m",
        "Subject" => "s",
        "Supported" => "k",
        "Content-Type" => "c",
        "Content-Length" => "l",
        _ => return None,
    })
}

/// Render the name in a random form: compact, upper, lower, or as written.
fn render_name(name: &str, form: u8) -> String {
    match form % 4 {
        0 => compact(name)
            .map(str::to_string)
            .unwrap_or_else(|| name.to_string()),
        1 => name.to_ascii_uppercase(),
        2 => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

/// Fold a value at its first space, if any (RFC 3261 §7.3.1).
fn fold(value: &str) -> String {
    match value.find(' ') {
        Some(i) => format!("{}\r\n   {}", &value[..i], &value[i + 1..]),
        None => value.to_string(),
    }
}

prop_compose! {
    fn message_strategy()(
        headers in prop::collection::vec((header_strategy(), any::<u8>(), any::<bool>()), 0..12),
        with_body in any::<bool>(),
        cseq in 1u32..100_000,
        request in any::<bool>(),
    ) -> Vec<u8> {
        let mut s = if request {
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n".to_string()
        } else {
            "SIP/2.0 200 OK\r\n".to_string()
        };
        s.push_str(&format!("CSeq: {cseq} INVITE\r\n"));
        for ((name, value), form, folded) in &headers {
            let v = if *folded { fold(value) } else { value.clone() };
            s.push_str(&format!("{}: {}\r\n", render_name(name, *form), v));
        }
        let body = if with_body {
            "v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
        } else {
            ""
        };
        if with_body {
            s.push_str("Content-Type: application/sdp\r\n");
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n{}", body.len(), body));
        s.into_bytes()
    }
}

/// Everything parse() exposes, by value: start line, (name, written name, value) per header,
/// body.
type Summary = (String, Vec<(HeaderName, Vec<u8>, Vec<u8>)>, Vec<u8>);

/// Everything parse() exposes, by value, for equality checks.
fn summary(m: &Message<'_>) -> Summary {
    (
        format!("{:?}", m.start_line()),
        m.headers()
            .iter()
            .map(|h| (h.name, h.name_raw.to_vec(), h.value.to_vec()))
            .collect(),
        m.body().to_vec(),
    )
}

/// Touch every accessor so that none of them can panic on the input.
fn exercise(m: &Message<'_>) {
    let _ = m.validate();
    let _ = sipwall_wire_exercise(m);
}

fn sipwall_wire_exercise(m: &Message<'_>) -> usize {
    let mut n = 0;
    n += m.vias().map(|v| v.len()).unwrap_or(0);
    n += m.from().is_ok() as usize;
    n += m.to().is_ok() as usize;
    n += m.cseq().is_ok() as usize;
    n += m.contacts().is_ok() as usize;
    n += m.routes().map(|v| v.len()).unwrap_or(0);
    n += m.record_routes().map(|v| v.len()).unwrap_or(0);
    n += m.max_forwards().is_some() as usize;
    n += m.expires().is_some() as usize;
    n += m.request_uri().is_some() as usize;
    n += m.sdp().is_some() as usize;
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_parse_and_round_trip(msg in message_strategy()) {
        let m = Message::parse(&msg, Transport::Datagram, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&msg))))?;
        exercise(&m);
        let emitted = rewrite(&m, &[]).unwrap();
        prop_assert_eq!(&emitted[..], m.as_bytes());
        let m2 = Message::parse(&emitted, Transport::Datagram, &Limits::default()).unwrap();
        prop_assert_eq!(summary(&m), summary(&m2));
        // The same bytes frame as one complete message on a stream.
        prop_assert_eq!(
            frame(&msg, Transport::Stream, &Limits::default()),
            Framing::Complete { len: msg.len() }
        );
        let s = Message::parse(&msg, Transport::Stream, &Limits::default()).unwrap();
        prop_assert_eq!(summary(&m), summary(&s));
    }

    #[test]
    fn rewriting_a_value_changes_only_that_value(msg in message_strategy(), idx in any::<prop::sample::Index>(), new in "[a-z0-9.]{0,40}") {
        let m = Message::parse(&msg, Transport::Datagram, &Limits::default()).unwrap();
        let editable: Vec<usize> = (0..m.headers().len())
            .filter(|i| m.headers()[*i].name != HeaderName::ContentLength)
            .collect();
        prop_assume!(!editable.is_empty());
        let i = editable[idx.index(editable.len())];
        let range = m.span_of(m.headers()[i].value).unwrap();
        let out = rewrite(&m, &[Edit::new(range, new.as_bytes())]).unwrap();
        // An empty or whitespace-only value is still a header line; parse it back.
        let m2 = Message::parse(&out, Transport::Datagram, &Limits::default()).unwrap();
        let (sl1, mut h1, b1) = summary(&m);
        h1[i].2 = new.as_bytes().to_vec();
        let (sl2, h2, b2) = summary(&m2);
        prop_assert_eq!(sl1, sl2);
        prop_assert_eq!(h1, h2);
        prop_assert_eq!(b1, b2);
    }

    #[test]
    fn mutated_messages_never_panic(
        msg in message_strategy(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8), 0..4),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..8)), 0..4),
    ) {
        let mut bytes = msg.clone();
        for (at, len) in cuts {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        for (at, ins) in inserts {
            let i = at.index(bytes.len() + 1);
            bytes.splice(i..i, ins);
        }
        for t in [Transport::Datagram, Transport::Stream] {
            let _ = frame(&bytes, t, &Limits::default());
            if let Ok(m) = Message::parse(&bytes, t, &Limits::default()) {
                exercise(&m);
                let out = rewrite(&m, &[]).unwrap();
                prop_assert_eq!(&out[..], m.as_bytes());
            }
        }
    }

    #[test]
    fn stream_prefixes_never_frame_short(msg in message_strategy(), cut in any::<prop::sample::Index>()) {
        let n = cut.index(msg.len());
        match frame(&msg[..n], Transport::Stream, &Limits::default()) {
            Framing::Incomplete { .. } => {}
            other => prop_assert!(false, "prefix {} of {}: {:?}", n, msg.len(), other),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for t in [Transport::Datagram, Transport::Stream] {
            let _ = frame(&bytes, t, &Limits::default());
            if let Ok(m) = Message::parse(&bytes, t, &Limits::default()) {
                exercise(&m);
            }
        }
    }
}
