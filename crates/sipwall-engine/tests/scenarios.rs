//! Whole calls through the engine with a virtual clock: zone policy, SIP over UDP and TCP,
//! offer/answer, pinholes opening and closing, registration, timeouts.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etherparse::PacketBuilder;
use sipwall_engine::{
    Engine, EngineLimits, Event, PacketMeta, PinholeKind, Reason, Side, Verdict, Violation,
};

const CONFIG: &str = "\
class-map type inspect match-any out-cm
 match protocol sip
 match protocol udp
 match protocol tcp
class-map type inspect match-any sip-cm
 match protocol sip
policy-map type inspect out-pm
 class type inspect out-cm
  inspect
 class class-default
  drop
policy-map type inspect in-pm
 class type inspect sip-cm
  inspect
 class class-default
  drop
zone security inside
zone security outside
zone-pair security in-out source inside destination outside
 service-policy type inspect out-pm
zone-pair security out-in source outside destination inside
 service-policy type inspect in-pm
interface eth0
 ip address 192.0.2.1 255.255.255.0
 zone-member security inside
interface eth1
 ip address 198.51.100.1 255.255.255.0
 zone-member security outside
ip route 0.0.0.0 0.0.0.0 198.51.100.254
";

const PHONE: [u8; 4] = [192, 0, 2, 10];
const TRUNK: [u8; 4] = [198, 51, 100, 20];

struct Lab {
    engine: Engine,
    now: Instant,
    t0: Instant,
    events: Vec<Event>,
}

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

impl Lab {
    fn new(cfg: &str) -> Lab {
        Lab::with_limits(cfg, EngineLimits::default())
    }

    fn with_limits(cfg: &str, limits: EngineLimits) -> Lab {
        let (config, _) = sipwall_config::parse(cfg, "test.cfg").expect("config");
        let t0 = origin();
        Lab {
            engine: Engine::with_limits(Arc::new(config), t0, limits),
            now: t0,
            t0,
            events: Vec::new(),
        }
    }

    fn advance(&mut self, secs: f64) {
        self.now += Duration::from_secs_f64(secs);
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.engine.handle_timeout(self.now);
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(e) = self.engine.poll_event() {
            self.events.push(e);
        }
    }

    fn meta(&self, src: [u8; 4], dst: [u8; 4]) -> PacketMeta {
        self.engine.sides_by_route(
            IpAddr::V4(Ipv4Addr::from(src)),
            IpAddr::V4(Ipv4Addr::from(dst)),
        )
    }

    fn udp(
        &mut self,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        payload: &[u8],
    ) -> Verdict {
        let b = PacketBuilder::ipv4(src, dst, 64).udp(sport, dport);
        let mut pkt = Vec::new();
        b.write(&mut pkt, payload).expect("build");
        let meta = self.meta(src, dst);
        let v = self.engine.handle_packet(self.now, &meta, &pkt);
        self.drain();
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        seq: u32,
        ack: Option<u32>,
        flags: &str,
        payload: &[u8],
    ) -> Verdict {
        let mut b = PacketBuilder::ipv4(src, dst, 64).tcp(sport, dport, seq, 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if flags.contains('R') {
            b = b.rst();
        }
        if let Some(a) = ack {
            b = b.ack(a);
        }
        let mut pkt = Vec::new();
        b.write(&mut pkt, payload).expect("build");
        let meta = self.meta(src, dst);
        let v = self.engine.handle_packet(self.now, &meta, &pkt);
        self.drain();
        v
    }

    /// Pinholes opened, each with its latest provisional flag (updates folded in).
    fn opened(&self) -> Vec<(PinholeKind, String, u16, bool)> {
        let mut out: Vec<(u64, (PinholeKind, String, u16, bool))> = Vec::new();
        for e in &self.events {
            match e {
                Event::PinholeOpen {
                    pinhole,
                    kind,
                    pattern,
                    provisional,
                    ..
                } => out.push((
                    *pinhole,
                    (*kind, pattern.dst.to_string(), pattern.dport, *provisional),
                )),
                Event::PinholeUpdate {
                    pinhole,
                    provisional,
                    ..
                } => {
                    if let Some(o) = out.iter_mut().rev().find(|(id, _)| id == pinhole) {
                        o.1 .3 = *provisional;
                    }
                }
                _ => {}
            }
        }
        out.into_iter().map(|(_, o)| o).collect()
    }

    fn closed(&self) -> Vec<(PinholeKind, u16, &'static str)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::PinholeClose {
                    kind,
                    pattern,
                    reason,
                    ..
                } => Some((*kind, pattern.dport, *reason)),
                _ => None,
            })
            .collect()
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
    }
}

fn sdp(addr: &str, port: u16, version: u32, extra: &str) -> String {
    format!(
        "v=0\r\no=- 42 {version} IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n{extra}"
    )
}

fn request(
    method: &str,
    call: &str,
    cseq: u32,
    from_tag: &str,
    to_tag: Option<&str>,
    body: &str,
    via: &str,
) -> String {
    let to = match to_tag {
        Some(t) => format!("<sip:2000@198.51.100.20>;tag={t}"),
        None => "<sip:2000@198.51.100.20>".to_string(),
    };
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_string()
    };
    format!(
        "{method} sip:2000@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/{via} 192.0.2.10:5060;branch=z9hG4bK{cseq}{method}\r\nMax-Forwards: 70\r\nFrom: <sip:1000@192.0.2.10>;tag={from_tag}\r\nTo: {to}\r\nCall-ID: {call}\r\nCSeq: {cseq} {method}\r\nContact: <sip:1000@192.0.2.10:5060>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn response(
    code: &str,
    method: &str,
    call: &str,
    cseq: u32,
    to_tag: &str,
    body: &str,
    via: &str,
) -> String {
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_string()
    };
    format!(
        "SIP/2.0 {code}\r\nVia: SIP/2.0/{via} 192.0.2.10:5060;branch=z9hG4bK{cseq}{method}\r\nFrom: <sip:1000@192.0.2.10>;tag=a1\r\nTo: <sip:2000@198.51.100.20>;tag={to_tag}\r\nCall-ID: {call}\r\nCSeq: {cseq} {method}\r\nContact: <sip:2000@198.51.100.20:5060>\r\n{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

const RTP: &[u8] = &[0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4];

fn establish_udp_call(lab: &mut Lab, call: &str) {
    let offer = sdp("192.0.2.10", 40000, 1, "");
    let answer = sdp("198.51.100.20", 50000, 1, "");
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            request("INVITE", call, 1, "a1", None, &offer, "UDP").as_bytes()
        )
        .is_accept());
    assert!(lab
        .udp(
            TRUNK,
            5060,
            PHONE,
            5060,
            response("180 Ringing", "INVITE", call, 1, "b1", "", "UDP").as_bytes()
        )
        .is_accept());
    assert!(lab
        .udp(
            TRUNK,
            5060,
            PHONE,
            5060,
            response("200 OK", "INVITE", call, 1, "b1", &answer, "UDP").as_bytes()
        )
        .is_accept());
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            request("ACK", call, 1, "a1", Some("b1"), "", "UDP").as_bytes()
        )
        .is_accept());
}

#[test]
fn udp_call_media_both_ways_then_closed_by_bye() {
    let mut lab = Lab::new(CONFIG);
    // Unsolicited RTP before the call: outside -> inside has no policy for UDP.
    let v = lab.udp(TRUNK, 50000, PHONE, 40000, RTP);
    assert!(!v.is_accept());
    assert_eq!(v.reason, Reason::ClassDefault { pair: 1 });
    establish_udp_call(&mut lab, "call-1@phone");
    // Offer opens pinholes towards the phone (provisional, source = signalling peer), the
    // answer makes them final and opens the trunk's.
    let opened = lab.opened();
    assert!(
        opened.contains(&(PinholeKind::Rtp, "192.0.2.10".into(), 40000, false)),
        "{opened:?}"
    );
    assert!(
        opened.contains(&(PinholeKind::Rtcp, "192.0.2.10".into(), 40001, false)),
        "{opened:?}"
    );
    assert!(
        opened.contains(&(PinholeKind::Rtp, "198.51.100.20".into(), 50000, false)),
        "{opened:?}"
    );
    assert!(
        opened.contains(&(PinholeKind::Rtcp, "198.51.100.20".into(), 50001, false)),
        "{opened:?}"
    );
    for _ in 0..10 {
        lab.advance(0.02);
        assert_eq!(
            lab.udp(TRUNK, 50000, PHONE, 40000, RTP).reason,
            Reason::Pinhole {
                kind: PinholeKind::Rtp
            }
        );
        assert!(lab.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
    }
    // RTP from an address the SDP does not name is dropped.
    assert!(!lab
        .udp([198, 51, 100, 99], 50000, PHONE, 40000, RTP)
        .is_accept());
    // A port the SDP does not name is dropped.
    assert!(!lab.udp(TRUNK, 50000, PHONE, 40002, RTP).is_accept());
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            request("BYE", "call-1@phone", 2, "a1", Some("b1"), "", "UDP").as_bytes()
        )
        .is_accept());
    assert!(
        lab.closed()
            .iter()
            .all(|(_, _, r)| *r == "bye" || *r == "renegotiated"),
        "{:?}",
        lab.closed()
    );
    assert!(lab.closed().iter().filter(|(_, _, r)| *r == "bye").count() >= 4);
    // Media after BYE is dropped, in both directions: its flows closed with the call.
    assert!(!lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert_eq!(lab.engine.pinhole_count(), 0);
    assert_eq!(lab.engine.call_count(), 0);
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::Dialog {
            state: "terminated",
            reason: "bye",
            ..
        }
    )));
}

#[test]
fn inbound_invite_without_policy_for_it_is_dropped() {
    let cfg = CONFIG.replace(" service-policy type inspect in-pm\n", "");
    let mut lab = Lab::new(&cfg);
    let v = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        request(
            "INVITE",
            "in-1",
            1,
            "x",
            None,
            &sdp("198.51.100.20", 50000, 1, ""),
            "UDP",
        )
        .as_bytes(),
    );
    assert!(!v.is_accept());
    assert_eq!(v.reason, Reason::NoPolicy { pair: 1 });
}

#[test]
fn hold_and_resume_keep_media_the_new_sdp_covers() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "hold-1");
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert!(lab.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
    let before = lab.closed().len();
    // Phone holds: sendonly. The trunk answers recvonly.
    let hold = sdp("192.0.2.10", 40000, 2, "a=sendonly\r\n");
    let held = sdp("198.51.100.20", 50000, 2, "a=recvonly\r\n");
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            request("INVITE", "hold-1", 2, "a1", Some("b1"), &hold, "UDP").as_bytes()
        )
        .is_accept());
    assert!(lab
        .udp(
            TRUNK,
            5060,
            PHONE,
            5060,
            response("200 OK", "INVITE", "hold-1", 2, "b1", &held, "UDP").as_bytes()
        )
        .is_accept());
    // Only the RTP pinhole towards the holder closed; the phone->trunk flow goes on.
    let closed: Vec<_> = lab.closed()[before..].to_vec();
    assert_eq!(closed, vec![(PinholeKind::Rtp, 40000, "renegotiated")]);
    assert!(lab.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
    assert!(
        lab.udp(TRUNK, 50001, PHONE, 40001, RTP).is_accept(),
        "RTCP continues on hold"
    );
    // The holder receives no RTP: the reverse direction of the live flow is not a way in.
    assert_eq!(
        lab.udp(TRUNK, 50000, PHONE, 40000, RTP).reason,
        Reason::NoPinhole
    );
    // Resume.
    let resume = sdp("192.0.2.10", 40000, 3, "a=sendrecv\r\n");
    let resumed = sdp("198.51.100.20", 50000, 3, "a=sendrecv\r\n");
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "hold-1", 3, "a1", Some("b1"), &resume, "UDP").as_bytes(),
    );
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response("200 OK", "INVITE", "hold-1", 3, "b1", &resumed, "UDP").as_bytes(),
    );
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert!(lab.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
}

#[test]
fn t38_reinvite_rejected_withdraws_the_image_pinholes() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "fax-1");
    let fax = "v=0\r\no=- 42 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=image 40010 udptl t38\r\na=T38FaxVersion:0\r\n";
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "fax-1", 2, "a1", Some("b1"), fax, "UDP").as_bytes(),
    );
    let opened = lab.opened();
    assert!(
        opened.contains(&(PinholeKind::T38, "192.0.2.10".into(), 40010, true)),
        "{opened:?}"
    );
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response(
            "488 Not Acceptable Here",
            "INVITE",
            "fax-1",
            2,
            "b1",
            "",
            "UDP",
        )
        .as_bytes(),
    );
    assert!(
        lab.closed()
            .contains(&(PinholeKind::T38, 40010, "renegotiated")),
        "{:?}",
        lab.closed()
    );
    // The audio call is intact.
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert!(!lab.udp(TRUNK, 50010, PHONE, 40010, RTP).is_accept());
}

#[test]
fn t38_reinvite_accepted_passes_fax() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "fax-2");
    let fax_a = "v=0\r\no=- 42 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\nm=image 50010 udptl t38\r\n";
    let fax_b = "v=0\r\no=- 42 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=image 40010 udptl t38\r\n";
    // The trunk re-INVITEs to T.38 (requests from the trunk go down the existing flow).
    let reinvite = request("INVITE", "fax-2", 7, "b1", Some("a1"), fax_a, "UDP");
    assert!(lab
        .udp(TRUNK, 5060, PHONE, 5060, reinvite.as_bytes())
        .is_accept());
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            response("200 OK", "INVITE", "fax-2", 7, "a1", fax_b, "UDP").as_bytes()
        )
        .is_accept());
    assert_eq!(
        lab.udp(TRUNK, 50010, PHONE, 40010, b"udptl").reason,
        Reason::Pinhole {
            kind: PinholeKind::T38
        }
    );
    assert!(lab.udp(PHONE, 40010, TRUNK, 50010, b"udptl").is_accept());
    // Audio was replaced: its pinholes closed.
    assert!(!lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
}

#[test]
fn cancelled_and_rejected_calls_open_nothing_that_stays() {
    let mut lab = Lab::new(CONFIG);
    let offer = sdp("192.0.2.10", 40000, 1, "");
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "c-1", 1, "a1", None, &offer, "UDP").as_bytes(),
    );
    assert!(lab.engine.pinhole_count() > 0);
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("CANCEL", "c-1", 1, "a1", None, "", "UDP").as_bytes(),
    );
    // The CANCEL's effect is the INVITE's 487: the call ends there.
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response(
            "487 Request Terminated",
            "INVITE",
            "c-1",
            1,
            "b1",
            "",
            "UDP",
        )
        .as_bytes(),
    );
    assert_eq!(lab.engine.pinhole_count(), 0);
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::Dialog {
            state: "terminated",
            reason: "cancelled",
            ..
        }
    )));
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "c-2", 1, "a1", None, &offer, "UDP").as_bytes(),
    );
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response("486 Busy Here", "INVITE", "c-2", 1, "b1", "", "UDP").as_bytes(),
    );
    assert_eq!(lab.engine.pinhole_count(), 0);
    assert_eq!(lab.engine.call_count(), 0);
}

#[test]
fn early_media_on_183() {
    let mut lab = Lab::new(CONFIG);
    let offer = sdp("192.0.2.10", 40000, 1, "");
    let answer = sdp("198.51.100.20", 50000, 1, "");
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "em-1", 1, "a1", None, &offer, "UDP").as_bytes(),
    );
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response(
            "183 Session Progress",
            "INVITE",
            "em-1",
            1,
            "b1",
            &answer,
            "UDP",
        )
        .as_bytes(),
    );
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    // The 200 repeats the answer: no media pinhole changes (the confirmed dialog adds
    // signalling pinholes to the Contacts), the early-media flow goes on.
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response("200 OK", "INVITE", "em-1", 1, "b1", &answer, "UDP").as_bytes(),
    );
    assert!(lab.closed().is_empty(), "{:?}", lab.closed());
    assert_eq!(
        lab.engine.pinholes().filter(|p| p.kind.is_media()).count(),
        4
    );
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
}

#[test]
fn late_offer_in_200_answer_in_ack() {
    let mut lab = Lab::new(CONFIG);
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("INVITE", "lo-1", 1, "a1", None, "", "UDP").as_bytes(),
    );
    assert_eq!(lab.engine.pinhole_count(), 0);
    let offer = sdp("198.51.100.20", 50000, 1, "");
    let answer = sdp("192.0.2.10", 40000, 1, "");
    let _ = lab.udp(
        TRUNK,
        5060,
        PHONE,
        5060,
        response("200 OK", "INVITE", "lo-1", 1, "b1", &offer, "UDP").as_bytes(),
    );
    let _ = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("ACK", "lo-1", 1, "a1", Some("b1"), &answer, "UDP").as_bytes(),
    );
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert!(lab.udp(PHONE, 40000, TRUNK, 50000, RTP).is_accept());
}

#[test]
fn register_then_inbound_invite_through_the_binding() {
    // No inbound policy at all: only the registration pinhole lets the registrar in.
    let cfg = CONFIG.replace(" service-policy type inspect in-pm\n", "");
    let mut lab = Lab::new(&cfg);
    let registrar = [198, 51, 100, 30];
    let reg = "REGISTER sip:198.51.100.30 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1\r\nMax-Forwards: 70\r\nFrom: <sip:1000@198.51.100.30>;tag=r1\r\nTo: <sip:1000@198.51.100.30>\r\nCall-ID: reg-1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1000@192.0.2.10:5060>;expires=300\r\nContent-Length: 0\r\n\r\n";
    let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1\r\nFrom: <sip:1000@198.51.100.30>;tag=r1\r\nTo: <sip:1000@198.51.100.30>;tag=s1\r\nCall-ID: reg-1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1000@192.0.2.10:5060>;expires=300\r\nContent-Length: 0\r\n\r\n";
    assert!(lab
        .udp(PHONE, 5060, registrar, 5060, reg.as_bytes())
        .is_accept());
    assert!(lab
        .udp(registrar, 5060, PHONE, 5060, ok.as_bytes())
        .is_accept());
    assert!(lab
        .opened()
        .iter()
        .any(|o| o.0 == PinholeKind::Registration && o.2 == 5060));
    // Long after the UDP flow could have expired, the registrar calls in from another port.
    lab.advance(3700.0);
    assert!(lab.elapsed() > Duration::from_secs(3600));
    // ...the binding lasted 300 s: expired now.
    let inv = request(
        "INVITE",
        "in-2",
        1,
        "x",
        None,
        &sdp("198.51.100.30", 52000, 1, ""),
        "UDP",
    );
    assert!(!lab
        .udp(registrar, 5070, PHONE, 5060, inv.as_bytes())
        .is_accept());
    // Register again and call within the binding.
    let _ = lab.udp(PHONE, 5060, registrar, 5060, reg.as_bytes());
    let _ = lab.udp(registrar, 5060, PHONE, 5060, ok.as_bytes());
    lab.advance(60.0);
    let v = lab.udp(registrar, 5070, PHONE, 5060, inv.as_bytes());
    assert_eq!(
        v.reason,
        Reason::Pinhole {
            kind: PinholeKind::Registration
        }
    );
    // The INVITE that came in through the binding is inspected: its SDP opened media.
    assert!(lab
        .opened()
        .iter()
        .any(|o| o.1 == "198.51.100.30" && o.2 == 52000));
    // Another source is not the registrar.
    assert!(!lab
        .udp([198, 51, 100, 31], 5060, PHONE, 5060, inv.as_bytes())
        .is_accept());
}

#[test]
fn tcp_call_two_messages_in_one_segment_and_a_split_one() {
    let mut lab = Lab::new(CONFIG);
    let (p, t) = (PHONE, TRUNK);
    let mut cs: u32 = 1000; // phone's sequence
    let mut ts: u32 = 9000; // trunk's sequence
    assert!(lab.tcp(p, 49200, t, 5060, cs, None, "S", b"").is_accept());
    assert!(lab
        .tcp(t, 5060, p, 49200, ts, Some(cs + 1), "SA", b"")
        .is_accept());
    cs += 1;
    ts += 1;
    assert!(lab
        .tcp(p, 49200, t, 5060, cs, Some(ts), "A", b"")
        .is_accept());
    let invite = request(
        "INVITE",
        "tcp-1",
        1,
        "a1",
        None,
        &sdp("192.0.2.10", 40000, 1, ""),
        "TCP",
    );
    let (first, second) = invite.as_bytes().split_at(invite.len() - 40);
    assert!(lab
        .tcp(p, 49200, t, 5060, cs, Some(ts), "A", first)
        .is_accept());
    assert_eq!(
        lab.engine.pinhole_count(),
        0,
        "incomplete INVITE is buffered, not parsed"
    );
    cs += first.len() as u32;
    assert!(lab
        .tcp(p, 49200, t, 5060, cs, Some(ts), "A", second)
        .is_accept());
    cs += second.len() as u32;
    let sips = |lab: &Lab| {
        lab.events
            .iter()
            .filter(|e| matches!(e, Event::Sip { .. }))
            .count()
    };
    assert_eq!(sips(&lab), 1);
    // Retransmission of the second part: not parsed again.
    assert!(lab
        .tcp(
            p,
            49200,
            t,
            5060,
            cs - second.len() as u32,
            Some(ts),
            "A",
            second
        )
        .is_accept());
    assert_eq!(sips(&lab), 1);
    // 180 and 200 in one segment.
    let mut both = response("180 Ringing", "INVITE", "tcp-1", 1, "b1", "", "TCP").into_bytes();
    both.extend_from_slice(
        response(
            "200 OK",
            "INVITE",
            "tcp-1",
            1,
            "b1",
            &sdp("198.51.100.20", 50000, 1, ""),
            "TCP",
        )
        .as_bytes(),
    );
    assert!(lab
        .tcp(t, 5060, p, 49200, ts, Some(cs), "A", &both)
        .is_accept());
    ts += both.len() as u32;
    assert_eq!(sips(&lab), 3);
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::Dialog {
            state: "confirmed",
            ..
        }
    )));
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    // A segment far outside the window is dropped.
    let v = lab.tcp(
        t,
        5060,
        p,
        49200,
        ts.wrapping_add(10_000_000),
        Some(cs),
        "A",
        b"junk",
    );
    assert_eq!(v.reason, Reason::Violation(Violation::TcpOutOfWindow));
}

#[test]
fn tcp_needs_a_syn_and_idle_flows_expire() {
    let mut lab = Lab::new(CONFIG);
    let v = lab.tcp(PHONE, 40000, TRUNK, 80, 5, Some(1), "A", b"GET /");
    assert_eq!(v.reason, Reason::Violation(Violation::TcpNoSyn));
    // A UDP flow (non-SIP) expires after the 30 s default.
    assert!(lab.udp(PHONE, 12345, TRUNK, 53, b"q").is_accept());
    assert!(lab.udp(TRUNK, 53, PHONE, 12345, b"r").is_accept());
    lab.advance(31.0);
    assert!(!lab.udp(TRUNK, 53, PHONE, 12345, b"r").is_accept());
    assert!(lab
        .events
        .iter()
        .any(|e| matches!(e, Event::FlowClose { reason: "idle", .. })));
}

#[test]
fn malformed_sip_is_dropped_with_a_reason() {
    let mut lab = Lab::new(CONFIG);
    let v = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        b"INVITE  sip:x@y  SIP/2.0\r\n\r\n",
    );
    assert_eq!(v.reason, Reason::Violation(Violation::SipMalformed));
    let bad =
        request("INVITE", "m-1", 1, "a1", None, "", "UDP").replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
    let v = lab.udp(PHONE, 5060, TRUNK, 5060, bad.as_bytes());
    assert_eq!(v.reason, Reason::Violation(Violation::SipInvalid));
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::Violation {
            kind: Some("cseq_method_mismatch"),
            ..
        }
    )));
    // Each refused first datagram opened a flow and closed it at once: nothing stays.
    assert_eq!(lab.engine.flow_count(), 0);
    let refused = lab
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::FlowClose {
                    reason: "refused",
                    packets: [1, 0],
                    ..
                }
            )
        })
        .count();
    assert_eq!(refused, 2);
    // A good INVITE on the same 5-tuple then opens its flow as usual.
    let good = request("INVITE", "m-2", 1, "a2", None, "", "UDP");
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, good.as_bytes())
        .is_accept());
    assert_eq!(lab.engine.flow_count(), 1);
}

#[test]
fn refused_first_datagrams_leave_no_flows() {
    // A flow table of 8 and ten times as many refused first datagrams (one source port
    // each; no blocklist, which would otherwise stop the source before its flows are
    // tried): none leaves its flow, so the table never fills and a good INVITE afterwards
    // still gets its flow.
    let limits = EngineLimits {
        max_flows: 8,
        ..EngineLimits::default()
    };
    let mut lab = lab_with(CONFIG, limits, |p| p.blocklist = None);
    for port in 0..80u16 {
        let v = lab.udp(
            PHONE,
            10000 + port,
            TRUNK,
            5060,
            b"INVITE  sip:x@y  SIP/2.0\r\n\r\n",
        );
        assert_eq!(v.reason, Reason::Violation(Violation::SipMalformed));
    }
    assert_eq!(lab.engine.flow_count(), 0);
    let good = request("INVITE", "after-flood", 1, "a1", None, "", "UDP");
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, good.as_bytes())
        .is_accept());
    assert_eq!(lab.engine.flow_count(), 1);
    assert!(!lab
        .events
        .iter()
        .any(|e| matches!(e, Event::TableFull { .. })));
}

#[test]
fn zone_rules() {
    let mut lab = Lab::new(CONFIG);
    // Interface in no zone (unknown) to a zone: dropped.
    let meta = PacketMeta {
        ingress: Side::Unknown,
        egress: Side::Interface(lab.engine.interface_id("eth0").unwrap()),
    };
    let mut pkt = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], PHONE, 64)
        .udp(1, 2)
        .write(&mut pkt, b"x")
        .unwrap();
    assert_eq!(
        lab.engine.handle_packet(lab.now, &meta, &pkt).reason,
        Reason::ZoneMismatch
    );
    let both_unknown = PacketMeta {
        ingress: Side::Unknown,
        egress: Side::Unknown,
    };
    assert_eq!(
        lab.engine
            .handle_packet(lab.now, &both_unknown, &pkt)
            .reason,
        Reason::NoZones
    );
    let intra = PacketMeta {
        ingress: meta.egress,
        egress: meta.egress,
    };
    assert_eq!(
        lab.engine.handle_packet(lab.now, &intra, &pkt).reason,
        Reason::IntraZone
    );
    let to_self = PacketMeta {
        ingress: meta.egress,
        egress: Side::Local,
    };
    assert_eq!(
        lab.engine.handle_packet(lab.now, &to_self, &pkt).reason,
        Reason::SelfDefault
    );
}

#[test]
fn sip_stream_over_its_buffer_limit_is_reset() {
    let mut limits = EngineLimits::default();
    limits.stream.max_buffer = 256;
    let mut lab = Lab::with_limits(CONFIG, limits);
    let (p, t) = (PHONE, TRUNK);
    assert!(lab.tcp(p, 49300, t, 5060, 1, None, "S", b"").is_accept());
    assert!(lab
        .tcp(t, 5060, p, 49300, 100, Some(2), "SA", b"")
        .is_accept());
    assert!(lab
        .tcp(p, 49300, t, 5060, 2, Some(101), "A", b"")
        .is_accept());
    // A header section that never ends.
    let junk = format!(
        "INVITE sip:2000@198.51.100.20 SIP/2.0\r\nX-Pad: {}",
        "a".repeat(400)
    );
    let v = lab.tcp(p, 49300, t, 5060, 2, Some(101), "A", junk.as_bytes());
    assert_eq!(v.reason, Reason::Violation(Violation::SipStream));
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::FlowClose {
            reason: "sip_stream_error",
            ..
        }
    )));
    // The connection is gone: later segments are not let through.
    let v = lab.tcp(
        p,
        49300,
        t,
        5060,
        2 + junk.len() as u32,
        Some(101),
        "A",
        b"more",
    );
    assert_eq!(v.reason, Reason::Violation(Violation::TcpNoSyn));
}

#[test]
fn a_2xx_crossing_the_cancel_keeps_the_call_and_a_lost_response_ends_it() {
    let mut lab = Lab::new(CONFIG);
    let offer = sdp("192.0.2.10", 40000, 1, "");
    let answer = sdp("198.51.100.20", 50000, 1, "");
    let inv = request("INVITE", "x-1", 1, "a1", None, &offer, "UDP");
    let _ = lab.udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes());
    let cancel = request("CANCEL", "x-1", 1, "a1", None, "", "UDP");
    let _ = lab.udp(PHONE, 5060, TRUNK, 5060, cancel.as_bytes());
    let ok = response("200 OK", "INVITE", "x-1", 1, "b1", &answer, "UDP");
    let _ = lab.udp(TRUNK, 5060, PHONE, 5060, ok.as_bytes());
    lab.advance(40.0);
    assert_eq!(
        lab.engine.call_count(),
        1,
        "the 200 won the race: the call is up"
    );
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    // A CANCEL whose INVITE never gets a final response: the call ends 32 s later.
    let inv = request("INVITE", "x-2", 1, "a1", None, &offer, "UDP");
    let _ = lab.udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes());
    let cancel = request("CANCEL", "x-2", 1, "a1", None, "", "UDP");
    let _ = lab.udp(PHONE, 5060, TRUNK, 5060, cancel.as_bytes());
    lab.advance(33.0);
    assert!(lab
        .events
        .iter()
        .any(|e| matches!(e, Event::Dialog { call_id, state: "terminated", reason: "cancel" } if call_id == "x-2")));
}

#[test]
fn udp_keepalives_on_a_sip_flow_pass_unparsed() {
    let mut lab = Lab::new(CONFIG);
    let opts = request("OPTIONS", "k-1", 1, "a1", None, "", "UDP");
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, opts.as_bytes())
        .is_accept());
    for ka in [
        &b"\r\n\r\n"[..],
        b"\r\n",
        b"\0\0\0\0",
        b"\r\n\0\0\0\0\0\0",
        b"hello\0\0\0\0\0",
    ] {
        assert!(lab.udp(PHONE, 5060, TRUNK, 5060, ka).is_accept(), "{ka:?}");
        assert!(lab.udp(TRUNK, 5060, PHONE, 5060, ka).is_accept(), "{ka:?}");
    }
    assert!(!lab
        .events
        .iter()
        .any(|e| matches!(e, Event::Violation { .. })));
}

#[test]
fn tcp_midstream_pickup_is_opt_in_and_syncs_sip_on_a_start_line() {
    let (p, t) = (PHONE, TRUNK);
    let mut strict = Lab::new(CONFIG);
    let v = strict.tcp(
        p,
        49400,
        t,
        5060,
        7000,
        Some(300),
        "A",
        b"a=rtpmap:0 PCMU/8000\r\n",
    );
    assert_eq!(v.reason, Reason::Violation(Violation::TcpNoSyn));

    let limits = EngineLimits {
        tcp_midstream_pickup: true,
        ..EngineLimits::default()
    };
    let mut lab = Lab::with_limits(CONFIG, limits);
    // The tail of a message from before the capture: adopted, not parsed.
    let tail = b"a=rtpmap:0 PCMU/8000\r\n";
    assert!(lab
        .tcp(p, 49400, t, 5060, 7000, Some(300), "A", tail)
        .is_accept());
    let mut seq = 7000 + tail.len() as u32;
    // The other direction's first segment is learnt too.
    assert!(lab
        .tcp(t, 5060, p, 49400, 300, Some(seq), "A", b"")
        .is_accept());
    let invite = request(
        "INVITE",
        "mid-1",
        1,
        "a1",
        None,
        &sdp("192.0.2.10", 40000, 1, ""),
        "TCP",
    );
    assert!(lab
        .tcp(p, 49400, t, 5060, seq, Some(300), "A", invite.as_bytes())
        .is_accept());
    seq += invite.len() as u32;
    let _ = seq;
    assert!(lab
        .events
        .iter()
        .any(|e| matches!(e, Event::Sip { summary, .. } if summary == "INVITE")));
    assert!(!lab
        .events
        .iter()
        .any(|e| matches!(e, Event::Violation { .. })));
    assert!(lab.engine.pinhole_count() > 0);
}

#[test]
fn reload_keeps_what_the_new_policy_allows_and_closes_the_rest() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "rl-1");
    assert!(lab.udp(PHONE, 12345, TRUNK, 53, b"dns").is_accept());
    let flows = lab.engine.flow_count();
    // Same policy: everything stays.
    let (same, _) = sipwall_config::parse(CONFIG, "same.cfg").unwrap();
    let r = lab.engine.reload(Arc::new(same), lab.now);
    assert_eq!((r.flows_closed, r.calls_ended), (0, 0));
    assert_eq!(lab.engine.flow_count(), flows);
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    // Outbound UDP no longer inspected (SIP still is): the DNS session closes, the call lives.
    let (no_udp, _) =
        sipwall_config::parse(&CONFIG.replace(" match protocol udp\n", ""), "no-udp.cfg").unwrap();
    let r = lab.engine.reload(Arc::new(no_udp), lab.now);
    lab.drain();
    assert_eq!(r.flows_closed, 1, "{r:?}");
    assert_eq!(r.calls_ended, 0);
    assert!(!lab.udp(TRUNK, 53, PHONE, 12345, b"r").is_accept());
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    // SIP no longer inspected at all: the signalling flow closes and the call ends with it.
    let (none, _) =
        sipwall_config::parse(&CONFIG.replace(" match protocol sip\n", ""), "none.cfg").unwrap();
    let r = lab.engine.reload(Arc::new(none), lab.now);
    lab.drain();
    assert!(r.calls_ended >= 1, "{r:?}");
    assert!(!lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::PinholeClose {
            reason: "reload",
            ..
        }
    )));
}

#[test]
fn show_views_and_clear_zone_pair() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "sv-1");
    assert!(lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    let pairs = lab.engine.zone_pairs();
    let in_out = pairs.iter().find(|p| p.name == "in-out").unwrap();
    assert_eq!(in_out.sessions, 1);
    assert_eq!(in_out.source, "inside");
    let sessions = lab.engine.sessions(lab.now, Some("in-out"));
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].inspect, Some("sip"));
    assert_eq!(sessions[0].dport, 5060);
    let calls = lab.engine.call_details(lab.now);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].state, "confirmed");
    assert!(calls[0]
        .pinholes
        .iter()
        .any(|p| p.kind == PinholeKind::Rtp && p.packets == 1));
    assert!(lab.engine.pinhole_details(lab.now).len() >= 4);
    assert_eq!(lab.engine.clear_zone_pair(Some("in-out")), 1);
    lab.drain();
    assert_eq!(
        lab.engine.call_count(),
        0,
        "the call's signalling was cleared"
    );
    assert!(!lab.udp(TRUNK, 50000, PHONE, 40000, RTP).is_accept());
    let stats = lab.engine.stats();
    assert_eq!(stats.sip_requests.get("INVITE"), Some(&1));
    assert_eq!(stats.sip_responses.get(&200), Some(&1));
    assert!(stats
        .by_reason
        .iter()
        .any(|((a, r), n)| *a == sipwall_engine::Action::Accept && *r == "pinhole" && *n >= 1));
}

#[test]
fn fast_path_traffic_keeps_pinholes_alive() {
    let mut lab = Lab::new(CONFIG);
    establish_udp_call(&mut lab, "fp-1");
    let rtp = lab
        .engine
        .pinhole_details(lab.now)
        .into_iter()
        .find(|p| p.kind == PinholeKind::Rtp && p.pattern.dport == 40000)
        .unwrap();
    // The kernel carries the media; the driver reports it every 60 s.
    for _ in 0..10 {
        lab.advance(60.0);
        lab.engine.pinhole_seen(rtp.id, lab.now, 3000, 600_000);
    }
    assert!(lab
        .engine
        .pinhole_details(lab.now)
        .iter()
        .any(|p| p.id == rtp.id && p.packets == 30_000));
    // Without reports, the media idle timeout (180 s) closes it.
    lab.advance(200.0);
    assert!(!lab
        .engine
        .pinhole_details(lab.now)
        .iter()
        .any(|p| p.id == rtp.id));
}

/// A lab whose global parameter-map's SIP settings are changed by `f`.
fn lab_with_sip(cfg: &str, f: impl FnOnce(&mut sipwall_config::SipParams)) -> Lab {
    lab_with(cfg, EngineLimits::default(), f)
}

/// A lab whose global SIP parameters are changed by `f`, with engine `limits`.
fn lab_with(
    cfg: &str,
    limits: EngineLimits,
    f: impl FnOnce(&mut sipwall_config::SipParams),
) -> Lab {
    let (mut config, _) = sipwall_config::parse(cfg, "test.cfg").expect("config");
    let global = config
        .parameter_maps
        .get_mut(sipwall_config::GLOBAL_PARAMETER_MAP)
        .expect("global map");
    f(&mut global.sip);
    let t0 = origin();
    Lab {
        engine: Engine::with_limits(Arc::new(config), t0, limits),
        now: t0,
        t0,
        events: Vec::new(),
    }
}

fn violations(lab: &Lab) -> Vec<Violation> {
    lab.events
        .iter()
        .filter_map(|e| match e {
            Event::Violation { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

#[test]
fn invite_flood_is_rate_limited_then_the_source_blocked() {
    let mut lab = lab_with_sip(CONFIG, |p| {
        p.rate_limits = vec![sipwall_config::MethodRate {
            method: "INVITE".into(),
            per_second: 10,
            burst: 20,
        }];
        p.blocklist = Some(sipwall_config::Blocklist {
            violations: 30,
            within_secs: 10,
            duration_secs: 60,
        });
    });
    let mut accepted = 0;
    for i in 0..100 {
        let inv = request("INVITE", &format!("flood-{i}"), 1, "a1", None, "", "UDP");
        if lab
            .udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes())
            .is_accept()
        {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 20, "the burst passes, the rest is over the rate");
    assert!(violations(&lab)
        .iter()
        .all(|v| *v == Violation::SipRateLimited || *v == Violation::SipBlocked));
    assert!(lab.events.iter().any(|e| matches!(
        e,
        Event::Blocked {
            duration_secs: 60,
            ..
        }
    )));
    assert_eq!(lab.engine.blocked_sources(lab.now).len(), 1);
    // Blocked: even an OPTIONS, and a new flow from another port, are dropped.
    let opt = request("OPTIONS", "o-1", 1, "a1", None, "", "UDP");
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, opt.as_bytes()).reason,
        Reason::Violation(Violation::SipBlocked)
    );
    assert_eq!(
        lab.udp(PHONE, 5099, TRUNK, 5060, opt.as_bytes()).reason,
        Reason::Violation(Violation::SipBlocked)
    );
    // Another phone is not affected.
    let other = [192, 0, 2, 11];
    let inv = request("INVITE", "legit-1", 1, "b1", None, "", "UDP");
    assert!(lab
        .udp(other, 5060, TRUNK, 5060, inv.as_bytes())
        .is_accept());
    // The block expires; clear works too.
    lab.advance(61.0);
    assert!(lab.engine.blocked_sources(lab.now).is_empty());
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, opt.as_bytes())
        .is_accept());
    assert_eq!(lab.engine.clear_blocked(None, lab.now), 0);
}

#[test]
fn conformance_settings() {
    // Unknown methods and Max-Forwards 0, when configured to drop.
    let mut lab = lab_with_sip(CONFIG, |p| {
        p.unknown_methods_allowed = false;
        p.max_forwards_zero = sipwall_config::MaxForwardsZero::Drop;
        p.max_via_depth = 2;
    });
    let v = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request("FOOBAR", "u-1", 1, "a1", None, "", "UDP").as_bytes(),
    );
    assert_eq!(v.reason, Reason::Violation(Violation::SipUnknownMethod));
    let mf0 = request("OPTIONS", "m-1", 1, "a1", None, "", "UDP")
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, mf0.as_bytes()).reason,
        Reason::Violation(Violation::SipMaxForwards)
    );
    let deep = request("OPTIONS", "d-1", 1, "a1", None, "", "UDP").replace(
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1OPTIONS\r\n",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1OPTIONS\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKa, SIP/2.0/UDP 10.1.1.2;branch=z9hG4bKb\r\n",
    );
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, deep.as_bytes()).reason,
        Reason::Violation(Violation::SipLimit)
    );
    // The default profile allows both.
    let mut lab = Lab::new(CONFIG);
    assert!(lab
        .udp(
            PHONE,
            5060,
            TRUNK,
            5060,
            request("FOOBAR", "u-1", 1, "a1", None, "", "UDP").as_bytes()
        )
        .is_accept());
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, mf0.as_bytes())
        .is_accept());
    // Strict validation off: a CSeq mismatch passes.
    let mut lab = lab_with_sip(CONFIG, |p| p.strict_header_validation = false);
    let bad =
        request("INVITE", "s-1", 1, "a1", None, "", "UDP").replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, bad.as_bytes())
        .is_accept());
    // Message size.
    let mut lab = lab_with_sip(CONFIG, |p| p.max_message_size = 300);
    let v = lab.udp(
        PHONE,
        5060,
        TRUNK,
        5060,
        request(
            "INVITE",
            "z-1",
            1,
            "a1",
            None,
            &sdp("192.0.2.10", 40000, 1, ""),
            "UDP",
        )
        .as_bytes(),
    );
    assert_eq!(v.reason, Reason::Violation(Violation::SipLimit));
    assert_eq!(
        lab.engine.call_count(),
        0,
        "a refused INVITE leaves no dialog"
    );
    assert_eq!(lab.engine.pinhole_count(), 0, "and no pinhole");
}

#[test]
fn dialog_and_registration_limits_per_source() {
    let mut lab = lab_with_sip(CONFIG, |p| {
        p.max_dialogs_per_source = Some(2);
        p.max_registrations_per_source = Some(1);
    });
    for i in 0..2 {
        let inv = request("INVITE", &format!("d-{i}"), 1, "a1", None, "", "UDP");
        assert!(lab
            .udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes())
            .is_accept());
    }
    let inv = request("INVITE", "d-2", 1, "a1", None, "", "UDP");
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes()).reason,
        Reason::Violation(Violation::SipTooManyDialogs)
    );
    // In-dialog requests of existing calls still pass.
    let bye = request("BYE", "d-0", 2, "a1", Some("b1"), "", "UDP");
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, bye.as_bytes())
        .is_accept());
    // One dialog ended: a new one fits again.
    assert!(lab
        .udp(PHONE, 5060, TRUNK, 5060, inv.as_bytes())
        .is_accept());
    let registrar = [198, 51, 100, 30];
    let reg = |cid: &str, port: u16| {
        format!("REGISTER sip:198.51.100.30 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:{port};branch=z9hG4bK{cid}\r\nMax-Forwards: 70\r\nFrom: <sip:1000@198.51.100.30>;tag=r1\r\nTo: <sip:1000@198.51.100.30>\r\nCall-ID: {cid}\r\nCSeq: 1 REGISTER\r\nContact: <sip:1000@192.0.2.10:{port}>;expires=300\r\nContent-Length: 0\r\n\r\n")
    };
    let ok = |cid: &str, port: u16| {
        format!("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:{port};branch=z9hG4bK{cid}\r\nFrom: <sip:1000@198.51.100.30>;tag=r1\r\nTo: <sip:1000@198.51.100.30>;tag=s1\r\nCall-ID: {cid}\r\nCSeq: 1 REGISTER\r\nContact: <sip:1000@192.0.2.10:{port}>;expires=300\r\nContent-Length: 0\r\n\r\n")
    };
    assert!(lab
        .udp(PHONE, 5060, registrar, 5060, reg("r-1", 5060).as_bytes())
        .is_accept());
    assert!(lab
        .udp(registrar, 5060, PHONE, 5060, ok("r-1", 5060).as_bytes())
        .is_accept());
    let v = lab.udp(PHONE, 5062, registrar, 5060, reg("r-2", 5062).as_bytes());
    assert_eq!(
        v.reason,
        Reason::Violation(Violation::SipTooManyRegistrations)
    );
}

#[test]
fn sip_policy_classes_drop_and_rate_limit() {
    let cfg = format!(
        "{CONFIG}
class-map type inspect sip match-any no-message
 match request method message
class-map type inspect sip match-all evil-callee
 match request method invite
 match callee regex ^sip:900
policy-map type inspect sip sip-checks
 class type inspect sip no-message
  drop log
 class type inspect sip evil-callee
  reset
 class class-default
  allow
policy-map type inspect out-pm
 class type inspect out-cm
  inspect
  service-policy sip sip-checks
"
    );
    let mut lab = Lab::new(&cfg);
    let msg = request("MESSAGE", "p-1", 1, "a1", None, "", "UDP");
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, msg.as_bytes()).reason,
        Reason::Violation(Violation::SipPolicyDrop)
    );
    let evil = request("INVITE", "p-2", 1, "a1", None, "", "UDP")
        .replace("To: <sip:2000@", "To: <sip:900123@");
    assert_eq!(
        lab.udp(PHONE, 5060, TRUNK, 5060, evil.as_bytes()).reason,
        Reason::Violation(Violation::SipPolicyReset)
    );
    let ok = request("INVITE", "p-3", 1, "a1", None, "", "UDP");
    assert!(lab.udp(PHONE, 5060, TRUNK, 5060, ok.as_bytes()).is_accept());
    assert_eq!(lab.engine.call_count(), 1);
}

#[test]
fn sip_policy_reset_on_tcp_resets_both_ways() {
    let cfg = format!(
        "{CONFIG}
class-map type inspect sip match-all evil-callee
 match request method invite
 match callee regex ^sip:900
policy-map type inspect sip sip-checks
 class type inspect sip evil-callee
  reset
 class class-default
  allow
policy-map type inspect out-pm
 class type inspect out-cm
  inspect
  service-policy sip sip-checks
"
    );
    let mut lab = Lab::new(&cfg);
    let (p, t) = (PHONE, TRUNK);
    let mut cs: u32 = 0xffff_fff0; // the phone's sequence wraps during the call
    let mut ts: u32 = 7000;
    assert!(lab.tcp(p, 49300, t, 5060, cs, None, "S", b"").is_accept());
    assert!(lab
        .tcp(t, 5060, p, 49300, ts, Some(cs.wrapping_add(1)), "SA", b"")
        .is_accept());
    cs = cs.wrapping_add(1);
    ts += 1;
    assert!(lab
        .tcp(p, 49300, t, 5060, cs, Some(ts), "A", b"")
        .is_accept());
    // An allowed OPTIONS and its answer move both sequences on.
    let ok = request("OPTIONS", "r-1", 1, "a1", None, "", "TCP");
    assert!(lab
        .tcp(p, 49300, t, 5060, cs, Some(ts), "A", ok.as_bytes())
        .is_accept());
    cs = cs.wrapping_add(ok.len() as u32);
    let resp = response("200 OK", "OPTIONS", "r-1", 1, "b1", "", "TCP");
    assert!(lab
        .tcp(t, 5060, p, 49300, ts, Some(cs), "A", resp.as_bytes())
        .is_accept());
    ts += resp.len() as u32;
    assert!(!lab
        .events
        .iter()
        .any(|e| matches!(e, Event::TcpReset { .. })));
    let evil = request("INVITE", "r-2", 1, "a1", None, "", "TCP")
        .replace("To: <sip:2000@", "To: <sip:900123@");
    let v = lab.tcp(p, 49300, t, 5060, cs, Some(ts), "A", evil.as_bytes());
    assert_eq!(v.reason, Reason::Violation(Violation::SipPolicyReset));
    let resets: Vec<&Event> = lab
        .events
        .iter()
        .filter(|e| matches!(e, Event::TcpReset { .. }))
        .collect();
    assert_eq!(resets.len(), 1);
    let Event::TcpReset {
        src,
        sport,
        dst,
        dport,
        seq_to_dst,
        seq_to_src,
        ..
    } = resets[0].clone()
    else {
        unreachable!()
    };
    assert_eq!(src, IpAddr::V4(Ipv4Addr::from(PHONE)));
    assert_eq!(sport, 49300);
    assert_eq!(dst, IpAddr::V4(Ipv4Addr::from(TRUNK)));
    assert_eq!(dport, 5060);
    // The trunk never got the INVITE: it expects its first byte; the phone expects the
    // trunk's next byte after the 200.
    assert_eq!(seq_to_dst, cs);
    assert_eq!(seq_to_src, ts);
    // The reset comes before the flow closes, and the flow is gone.
    let at = |f: &dyn Fn(&Event) -> bool| lab.events.iter().position(f);
    let reset_at = at(&|e| matches!(e, Event::TcpReset { .. }));
    let close_at = at(&|e| {
        matches!(
            e,
            Event::FlowClose {
                reason: "sip_policy_reset",
                ..
            }
        )
    });
    assert!(reset_at.is_some() && close_at.is_some() && reset_at < close_at);
    assert_eq!(lab.engine.flow_count(), 0);
    let json = serde_json::to_string(resets[0]).expect("json");
    assert!(json.contains("\"event\":\"tcp_reset\""), "{json}");
}
