//! The `--report` HTML page of a replay: one self-contained file (inline CSS and SVG, no
//! scripts, no external resources) with, per call, a ladder diagram of its SIP messages and a
//! timeline of its pinholes.
//!
//! Everything taken from the capture (Call-IDs, message summaries, addresses) is escaped: a
//! Call-ID is attacker-controlled text. The output depends only on the summary and the two
//! names (no generation time, stable ordering), so it can be compared with a golden file.
//!
//! Limits keep the page usable whatever the capture holds: [`MAX_CALLS`] calls drawn,
//! [`MAX_MESSAGES`] ladder rows and [`MAX_PINHOLES`] pinholes per call, [`MAX_LIFELINES`]
//! endpoints per ladder (further endpoints share one "other" lifeline).

use std::fmt::Write;
use std::time::Duration;

use sipwall_engine::PinholeKind;

use crate::replay::{CallSummary, PinholeLife, ReplaySummary, SipLine};

/// Calls drawn in full; further calls are only counted.
pub const MAX_CALLS: usize = 1000;
/// SIP messages drawn in one ladder.
pub const MAX_MESSAGES: usize = 500;
/// Pinholes drawn (and listed) per call or for the registrations.
pub const MAX_PINHOLES: usize = 500;
/// Distinct endpoints with their own lifeline; the rest share the last one.
pub const MAX_LIFELINES: usize = 12;
/// Other SIP dialogs (no INVITE, no pinhole) listed.
const MAX_OTHERS: usize = 1000;
/// Characters of an arrow label before it is cut (the full text is in its tooltip).
const LABEL_CHARS: usize = 34;
/// Characters of an endpoint name in a lifeline header.
const ENDPOINT_CHARS: usize = 28;

/// Writing into a `String` cannot fail (`<String as fmt::Write>` always returns `Ok`).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// Text for an HTML text node or a quoted attribute value.
///
/// Besides the markup characters, control characters and bidirectional overrides are shown as
/// `\u{..}` so a hostile Call-ID can neither break the page nor reorder what is displayed.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                w!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

/// At most `max` characters of `s`, with an ellipsis when cut (unescaped).
fn cut(s: &str, max: usize) -> (String, bool) {
    match s.char_indices().nth(max) {
        None => (s.to_string(), false),
        Some((at, _)) => {
            let mut t = s.get(..at).unwrap_or(s).to_string();
            t.push('…');
            (t, true)
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Seconds since the first frame of the capture.
fn rel(ts: Duration, start: Duration) -> String {
    secs(ts.saturating_sub(start))
}

/// IP protocol name of a pinhole pattern.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "tcp",
        17 => "udp",
        50 => "esp",
        1 => "icmp",
        58 => "icmpv6",
        132 => "sctp",
        _ => "ip",
    }
}

fn kind_colour(k: PinholeKind) -> &'static str {
    match k {
        PinholeKind::Rtp => "#2563eb",
        PinholeKind::Rtcp => "#0891b2",
        PinholeKind::T38 => "#7c3aed",
        PinholeKind::Media => "#16a34a",
        PinholeKind::Ike | PinholeKind::Esp => "#dc2626",
        PinholeKind::Signalling => "#ea580c",
        PinholeKind::Registration => "#92400e",
    }
}

const KINDS: [PinholeKind; 8] = [
    PinholeKind::Rtp,
    PinholeKind::Rtcp,
    PinholeKind::T38,
    PinholeKind::Media,
    PinholeKind::Signalling,
    PinholeKind::Registration,
    PinholeKind::Ike,
    PinholeKind::Esp,
];

/// `192.0.2.10:40000`, `[2001:db8::1]:40000`; ESP has no port.
fn pattern_dst(p: &PinholeLife) -> String {
    let a = p.pattern.dst;
    if p.pattern.proto == 50 {
        a.to_string()
    } else if a.is_ipv6() {
        format!("[{a}]:{}", p.pattern.dport)
    } else {
        format!("{a}:{}", p.pattern.dport)
    }
}

fn pattern_src(p: &PinholeLife) -> String {
    p.pattern.src.map_or("any".to_string(), |a| a.to_string())
}

/// The one-line description of a pinhole, as the timeline labels it (unescaped), e.g.
/// `rtp udp 198.51.100.20 -> 192.0.2.10:40000 — 50 pkts, closed: bye`.
pub fn pinhole_label(p: &PinholeLife) -> String {
    let end = match p.closed {
        Some((_, _, reason)) => format!("closed: {reason}"),
        None => "open at end".to_string(),
    };
    format!(
        "{} {} {} -> {} — {} pkts, {end}{}",
        p.kind.as_str(),
        proto_name(p.pattern.proto),
        pattern_src(p),
        pattern_dst(p),
        p.packets,
        if p.provisional { ", provisional" } else { "" }
    )
}

/// The arrow label of a SIP message: its summary, and `(SDP)` when it carries one.
pub fn message_label(m: &SipLine) -> String {
    if m.sdp {
        format!("{} (SDP)", m.summary)
    } else {
        m.summary.clone()
    }
}

/// A call (as opposed to a REGISTER or OPTIONS transaction): an INVITE or a pinhole.
fn is_call(c: &CallSummary) -> bool {
    !c.pinholes.is_empty() || c.messages.iter().any(|m| m.summary == "INVITE")
}

const CSS: &str = "\
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;\
margin:24px;color:#1f2328;background:#fff;max-width:1500px}
h1{font-size:22px;margin:0 0 12px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;font-size:13px}
code{overflow-wrap:anywhere}
details{border:1px solid #d0d7de;border-radius:6px;margin:10px 0;padding:0 12px}
details[open]{padding-bottom:12px}
summary{cursor:pointer;padding:8px 0}
summary .cid{font-weight:600}
.scroll{overflow-x:auto}
.note{color:#57606a}
.accept{color:#15803d;font-weight:600}
.drop,.reject{color:#b91c1c;font-weight:600}
.sw{display:inline-block;width:14px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:baseline}
.sw.prov{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.7) 0 2px,transparent 2px 5px)}
svg{display:block}
svg text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;font-size:13px;fill:#1f2328}
svg text.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;font-size:12px}
svg text.small{font-size:11px;fill:#57606a}
svg text.halo{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
";

/// A self-contained HTML page for a replay summary. `capture` and `config` are the names shown
/// in the header (file paths as given on the command line).
pub fn render(s: &ReplaySummary, capture: &str, config: &str) -> String {
    let mut h = String::with_capacity(16 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    w!(h, "<title>sipwall replay of {}</title>\n", esc(capture));
    w!(h, "<style>\n{CSS}</style>\n</head>\n<body>\n");
    w!(
        h,
        "<h1>sipwall replay of <code>{}</code></h1>\n",
        esc(capture)
    );

    let calls: Vec<&CallSummary> = s.calls.iter().filter(|c| is_call(c)).collect();
    let others: Vec<&CallSummary> = s.calls.iter().filter(|c| !is_call(c)).collect();

    h.push_str("<table>\n");
    w!(
        h,
        "<tr><th>capture</th><td><code>{}</code></td></tr>\n",
        esc(capture)
    );
    w!(
        h,
        "<tr><th>configuration</th><td><code>{}</code></td></tr>\n",
        esc(config)
    );
    w!(h, "<tr><th>frames</th><td>{}</td></tr>\n", s.frames);
    w!(
        h,
        "<tr><th>capture duration</th><td>{} s</td></tr>\n",
        secs(s.duration)
    );
    w!(
        h,
        "<tr><th>calls</th><td>{}</td></tr>\n<tr><th>other SIP dialogs</th><td>{}</td></tr>\n",
        calls.len(),
        others.len()
    );
    w!(
        h,
        "<tr><th>registration pinholes</th><td>{}</td></tr>\n",
        s.registrations.len()
    );
    if let Some(e) = &s.capture_error {
        w!(
            h,
            "<tr><th>capture error</th><td>{} (frames before it were replayed)</td></tr>\n",
            esc(e)
        );
    }
    h.push_str("</table>\n");
    h.push_str("<p class=\"note\">Times are seconds since the first frame of the capture.</p>\n");

    h.push_str(
        "<h2>Verdicts</h2>\n<table>\n<tr><th>verdict</th><th>reason</th><th>frames</th></tr>\n",
    );
    for ((v, r), n) in &s.by_reason {
        let class = match v.as_str() {
            "accept" => "accept",
            "drop" => "drop",
            "reject" => "reject",
            _ => "",
        };
        w!(
            h,
            "<tr><td class=\"{class}\">{}</td><td>{}</td><td class=\"n\">{n}</td></tr>\n",
            esc(v),
            esc(r)
        );
    }
    h.push_str("</table>\n");

    h.push_str("<h2>Violations</h2>\n");
    if s.violations.is_empty() {
        h.push_str("<p class=\"note\">none</p>\n");
    } else {
        h.push_str("<table>\n<tr><th>violation</th><th>count</th></tr>\n");
        for (k, n) in &s.violations {
            w!(h, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>\n", esc(k));
        }
        h.push_str("</table>\n");
    }

    w!(h, "<h2>Calls ({})</h2>\n", calls.len());
    if calls.is_empty() {
        h.push_str(
            "<p class=\"note\">No call (INVITE dialog or media pinhole) in the capture.</p>\n",
        );
    } else {
        legend(&mut h);
        // With a few calls every one is open; with many, the page starts as a list.
        let open = calls.len() <= 10;
        for (i, c) in calls.iter().take(MAX_CALLS).enumerate() {
            call_section(&mut h, i + 1, c, s, open);
        }
        if calls.len() > MAX_CALLS {
            w!(
                h,
                "<p class=\"note\">{} further calls are not drawn (limit {MAX_CALLS}).</p>\n",
                calls.len() - MAX_CALLS
            );
        }
    }

    if !others.is_empty() {
        w!(
            h,
            "<h2>Other SIP dialogs and transactions ({})</h2>\n<ul>\n",
            others.len()
        );
        for c in others.iter().take(MAX_OTHERS) {
            let mut what: Vec<String> = c.messages.iter().map(message_label).collect();
            what.dedup();
            let frames = match (c.messages.first(), c.messages.last()) {
                (Some(a), Some(b)) if a.frame != b.frame => {
                    format!("frames {}–{}", a.frame, b.frame)
                }
                (Some(a), _) => format!("frame {}", a.frame),
                _ => "no message".to_string(),
            };
            w!(
                h,
                "<li><code>{}</code>: {} <span class=\"note\">({frames})</span></li>\n",
                esc(&c.call_id),
                esc(&what.join(", "))
            );
        }
        h.push_str("</ul>\n");
        if others.len() > MAX_OTHERS {
            w!(
                h,
                "<p class=\"note\">{} further dialogs are not listed.</p>\n",
                others.len() - MAX_OTHERS
            );
        }
    }

    if !s.registrations.is_empty() {
        w!(
            h,
            "<h2>Registration pinholes ({})</h2>\n",
            s.registrations.len()
        );
        let from = s.start;
        let to = s.start.saturating_add(s.duration);
        let shown = s.registrations.len().min(MAX_PINHOLES);
        let ph = s.registrations.get(..shown).unwrap_or(&[]);
        h.push_str("<div class=\"scroll\">\n");
        timeline(&mut h, "reg", ph, &[], from, to, to, s.start);
        h.push_str("</div>\n");
        pinhole_table(&mut h, ph, s.start);
        if s.registrations.len() > shown {
            w!(
                h,
                "<p class=\"note\">{} further registration pinholes are not shown.</p>\n",
                s.registrations.len() - shown
            );
        }
    }

    h.push_str("<p class=\"note\">Generated by <code>sipwall replay --report</code>.</p>\n");
    h.push_str("</body>\n</html>\n");
    h
}

fn legend(h: &mut String) {
    h.push_str("<p class=\"note\">Pinhole colours:");
    for k in KINDS {
        w!(
            h,
            "<span class=\"sw\" style=\"background-color:{}\"></span>{}",
            kind_colour(k),
            k.as_str()
        );
    }
    h.push_str(
        "<span class=\"sw prov\" style=\"background-color:#9ca3af\"></span>provisional (hatched)</p>\n",
    );
}

/// Capture time of a frame of the call, if one of its messages or pinhole closes is that frame.
fn frame_ts(c: &CallSummary, frame: u64) -> Option<Duration> {
    c.messages
        .iter()
        .find(|m| m.frame == frame)
        .map(|m| m.ts)
        .or_else(|| {
            c.pinholes
                .iter()
                .filter_map(|p| p.closed)
                .find(|(f, _, _)| *f == frame)
                .map(|(_, t, _)| t)
        })
}

fn call_section(h: &mut String, n: usize, c: &CallSummary, s: &ReplaySummary, open: bool) {
    let end = match c.end {
        Some((f, r)) => format!("ended at frame {f} ({r})"),
        None => "still up at the end of the capture".to_string(),
    };
    w!(
        h,
        "<details id=\"call-{n}\"{}>\n<summary>Call {n}: <code class=\"cid\">{}</code> — {} SIP messages, {} pinholes, {}</summary>\n",
        if open { " open" } else { "" },
        esc(&c.call_id),
        c.messages.len(),
        c.pinholes.len(),
        esc(&end)
    );
    w!(
        h,
        "<p>Call-ID <code>{}</code>; {}",
        esc(&c.call_id),
        esc(&end)
    );
    if let Some(t) = c.end.and_then(|(f, _)| frame_ts(c, f)) {
        w!(h, " at {} s", rel(t, s.start));
    }
    h.push_str(".</p>\n");

    h.push_str("<h3>SIP ladder</h3>\n");
    let shown = c.messages.len().min(MAX_MESSAGES);
    let msgs = c.messages.get(..shown).unwrap_or(&[]);
    if msgs.is_empty() {
        h.push_str("<p class=\"note\">No SIP message of this call in the capture.</p>\n");
    } else {
        h.push_str("<div class=\"scroll\">\n");
        ladder(h, msgs, s.start);
        h.push_str("</div>\n");
    }
    if c.messages.len() > shown {
        w!(
            h,
            "<p class=\"note\">Only the first {MAX_MESSAGES} of {} SIP messages are drawn.</p>\n",
            c.messages.len()
        );
    }

    h.push_str("<h3>Pinholes</h3>\n");
    if c.pinholes.is_empty() {
        h.push_str("<p class=\"note\">This call opened no pinhole.</p>\n");
    } else {
        let shown = c.pinholes.len().min(MAX_PINHOLES);
        let ph = c.pinholes.get(..shown).unwrap_or(&[]);
        // From the first frame of the call to its last event; pinholes still open run to the
        // end of the capture.
        let first = msgs
            .iter()
            .map(|m| m.ts)
            .chain(ph.iter().map(|p| p.opened_ts))
            .min()
            .unwrap_or(s.start);
        let capture_end = s.start.saturating_add(s.duration);
        let mut last = msgs
            .iter()
            .map(|m| m.ts)
            .chain(ph.iter().map(|p| p.opened_ts))
            .chain(ph.iter().filter_map(|p| p.closed.map(|c| c.1)))
            .max()
            .unwrap_or(first);
        if ph.iter().any(|p| p.closed.is_none()) && capture_end > last {
            last = capture_end;
        }
        let marks: Vec<(Duration, String)> = msgs
            .iter()
            .map(|m| (m.ts, format!("frame {}: {}", m.frame, message_label(m))))
            .collect();
        h.push_str("<div class=\"scroll\">\n");
        timeline(h, &format!("c{n}"), ph, &marks, first, last, last, s.start);
        h.push_str("</div>\n");
        pinhole_table(h, ph, s.start);
        if c.pinholes.len() > shown {
            w!(
                h,
                "<p class=\"note\">Only the first {MAX_PINHOLES} of {} pinholes are shown.</p>\n",
                c.pinholes.len()
            );
        }
    }
    h.push_str("</details>\n");
}

/// Colour of a ladder arrow: requests blue, responses by class.
fn message_colour(summary: &str) -> &'static str {
    match summary.as_bytes().first() {
        Some(b'1') => "#6b7280",
        Some(b'2') => "#15803d",
        Some(b'3') => "#a16207",
        Some(b'4'..=b'6') => "#b91c1c",
        _ => "#1d4ed8",
    }
}

// Ladder geometry (px).
const L_LEFT: u32 = 130;
const L_COL: u32 = 240;
const L_TOP: u32 = 70;
const L_ROW: u32 = 32;

/// The column of endpoint `e`, added if new; past [`MAX_LIFELINES`], the shared last column.
fn lifeline<'a>(ends: &mut Vec<&'a str>, overflow: &mut bool, e: &'a str) -> usize {
    match ends.iter().position(|x| *x == e) {
        Some(i) => i,
        None if ends.len() < MAX_LIFELINES => {
            ends.push(e);
            ends.len() - 1
        }
        None => {
            *overflow = true;
            MAX_LIFELINES
        }
    }
}

fn ladder(h: &mut String, msgs: &[SipLine], start: Duration) {
    // Lifelines in order of first appearance; past the limit, one shared "other" lifeline.
    let mut ends: Vec<&str> = Vec::new();
    let mut overflow = false;
    let mut rows: Vec<(usize, usize)> = Vec::with_capacity(msgs.len());
    for m in msgs {
        let a = lifeline(&mut ends, &mut overflow, &m.src);
        let b = lifeline(&mut ends, &mut overflow, &m.dst);
        rows.push((a, b));
    }
    let ncols = ends.len() + usize::from(overflow);
    let ncols_u = u32::try_from(ncols).unwrap_or(1);
    let width = L_LEFT + ncols_u * L_COL + 10;
    let nrows = u32::try_from(rows.len()).unwrap_or(u32::MAX / 2);
    let bottom = L_TOP + nrows.saturating_mul(L_ROW);
    let repeat_heads = nrows > 20;
    let height = bottom + if repeat_heads { 50 } else { 10 };
    let x_of = |i: usize| L_LEFT + L_COL / 2 + u32::try_from(i).unwrap_or(0) * L_COL;

    w!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"SIP ladder diagram\">\n"
    );
    // Zebra rows behind everything.
    for r in 0..nrows {
        if r % 2 == 1 {
            w!(
                h,
                "<rect x=\"0\" y=\"{}\" width=\"{width}\" height=\"{L_ROW}\" fill=\"#f6f8fa\"/>\n",
                L_TOP + r * L_ROW - L_ROW / 2 - 4
            );
        }
    }
    w!(
        h,
        "<text x=\"10\" y=\"{}\" class=\"small\">frame</text><text x=\"60\" y=\"{}\" class=\"small\">time (s)</text>\n",
        L_TOP - 22,
        L_TOP - 22
    );
    let names: Vec<&str> = ends
        .iter()
        .copied()
        .chain(overflow.then_some("other endpoints"))
        .collect();
    let heads = |h: &mut String, y: u32| {
        for (i, name) in names.iter().enumerate() {
            let x = x_of(i);
            let shown = if name.is_empty() { "?" } else { name };
            let (t, _) = cut(shown, ENDPOINT_CHARS);
            w!(
                h,
                "<rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"26\" rx=\"4\" fill=\"#eef2ff\" stroke=\"#6366f1\"/>\
<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" class=\"mono\"><title>{}</title>{}</text>\n",
                x - L_COL / 2 + 12,
                L_COL - 24,
                y + 17,
                esc(shown),
                esc(&t)
            );
        }
    };
    heads(h, 8);
    for i in 0..names.len() {
        let x = x_of(i);
        w!(
            h,
            "<line x1=\"{x}\" y1=\"34\" x2=\"{x}\" y2=\"{}\" stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/>\n",
            bottom.saturating_sub(L_ROW / 2) + if repeat_heads { 8 } else { 0 }
        );
    }
    for (r, (m, (a, b))) in msgs.iter().zip(rows.iter().copied()).enumerate() {
        let y = L_TOP + u32::try_from(r).unwrap_or(0) * L_ROW;
        let label = message_label(m);
        let (short, _) = cut(&label, LABEL_CHARS);
        let colour = message_colour(&m.summary);
        let tip = format!(
            "frame {} at {} s: {} -> {}: {}",
            m.frame,
            rel(m.ts, start),
            m.src,
            m.dst,
            label
        );
        w!(
            h,
            "<g><title>{}</title>\n<text x=\"50\" y=\"{}\" text-anchor=\"end\" class=\"mono\">{}</text><text x=\"60\" y=\"{}\" class=\"mono\">{}</text>\n",
            esc(&tip),
            y + 4,
            m.frame,
            y + 4,
            rel(m.ts, start)
        );
        let (x1, x2) = (x_of(a), x_of(b));
        if a == b {
            // To itself: a loop on the right of the lifeline.
            w!(
                h,
                "<path d=\"M{x1} {} h36 v14 h-30\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"/>\
<polygon points=\"{x1},{} {},{} {},{}\" fill=\"{colour}\"/>\
<text x=\"{}\" y=\"{}\" class=\"halo\">{}</text>\n",
                y - 7,
                y + 7,
                x1 + 8,
                y + 3,
                x1 + 8,
                y + 11,
                x1 + 42,
                y + 4,
                esc(&short)
            );
        } else {
            let (tip_x, back) = if x2 > x1 {
                (x2 - 1, x2 - 10)
            } else {
                (x2 + 1, x2 + 10)
            };
            // Over one column the label sits at the middle; longer arrows carry it half a
            // column from their source, where the eye starts.
            let label_x = if x1.abs_diff(x2) <= L_COL {
                (x1 + x2) / 2
            } else if x2 > x1 {
                x1 + L_COL / 2
            } else {
                x1 - L_COL / 2
            };
            w!(
                h,
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{back}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"1.6\"/>\
<polygon points=\"{tip_x},{y} {back},{} {back},{}\" fill=\"{colour}\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"halo\">{}</text>\n",
                y - 5,
                y + 5,
                label_x,
                y - 6,
                esc(&short)
            );
        }
        h.push_str("</g>\n");
    }
    if repeat_heads {
        heads(h, bottom + 10);
    }
    h.push_str("</svg>\n");
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) for about eight ticks over `span` s.
fn tick_step(span: f64) -> f64 {
    let raw = (span / 8.0).max(1e-3);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

// Timeline geometry (px).
const T_WIDTH: u32 = 1000;
const T_LEFT: f64 = 20.0;
const T_RIGHT: f64 = 980.0;
const T_TOP: u32 = 40;
const T_ROW: u32 = 40;

/// One bar per pinhole over `[from, to]` (capture time); pinholes without a close run to
/// `open_end`. `marks` are thin vertical lines (the call's SIP messages).
#[allow(clippy::too_many_arguments)]
fn timeline(
    h: &mut String,
    id: &str,
    ph: &[PinholeLife],
    marks: &[(Duration, String)],
    from: Duration,
    to: Duration,
    open_end: Duration,
    start: Duration,
) {
    let t0 = from.as_secs_f64();
    let span = (to.as_secs_f64() - t0).max(1e-3);
    let x_of = |t: Duration| -> f64 {
        let f = ((t.as_secs_f64() - t0) / span).clamp(0.0, 1.0);
        T_LEFT + f * (T_RIGHT - T_LEFT)
    };
    let nrows = u32::try_from(ph.len()).unwrap_or(0);
    let height = T_TOP + nrows * T_ROW + 8;
    w!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{T_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {T_WIDTH} {height}\" role=\"img\" aria-label=\"pinhole timeline\">\n\
<defs><pattern id=\"hatch-{id}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#fff\" fill-opacity=\"0.75\"/></pattern></defs>\n"
    );
    // Axis: ticks in seconds since the start of the capture.
    let rel0 = from.saturating_sub(start).as_secs_f64();
    let step = tick_step(span);
    let decimals = if step >= 1.0 {
        0
    } else {
        usize::try_from((-step.log10().floor()) as i64)
            .unwrap_or(3)
            .min(3)
    };
    w!(
        h,
        "<line x1=\"{T_LEFT}\" y1=\"24\" x2=\"{T_RIGHT}\" y2=\"24\" stroke=\"#6b7280\"/>\n"
    );
    let mut k = (rel0 / step).ceil();
    let mut ticks = 0;
    while ticks < 40 {
        let rt = k * step;
        if rt > rel0 + span + 1e-9 {
            break;
        }
        let x = T_LEFT + (rt - rel0) / span * (T_RIGHT - T_LEFT);
        w!(
            h,
            "<line x1=\"{x:.1}\" y1=\"20\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#e5e7eb\"/>\
<line x1=\"{x:.1}\" y1=\"20\" x2=\"{x:.1}\" y2=\"28\" stroke=\"#6b7280\"/>\
<text x=\"{x:.1}\" y=\"14\" text-anchor=\"middle\" class=\"small\">{rt:.decimals$} s</text>\n",
            height - 4
        );
        k += 1.0;
        ticks += 1;
    }
    for (t, what) in marks {
        let x = x_of(*t);
        w!(
            h,
            "<line x1=\"{x:.1}\" y1=\"26\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#94a3b8\" stroke-width=\"1\" stroke-dasharray=\"2 3\"><title>{} at {} s</title></line>\n",
            height - 4,
            esc(what),
            rel(*t, start)
        );
    }
    for (r, p) in ph.iter().enumerate() {
        let y = T_TOP + u32::try_from(r).unwrap_or(0) * T_ROW;
        let colour = kind_colour(p.kind);
        let x1 = x_of(p.opened_ts);
        let (x2, open) = match p.closed {
            Some((_, t, _)) => (x_of(t), false),
            None => (x_of(open_end), true),
        };
        let wdt = (x2 - x1).max(3.0);
        let label = pinhole_label(p);
        let tip = format!(
            "{label}; opened frame {} at {} s{}; {} bytes",
            p.opened_frame,
            rel(p.opened_ts, start),
            match p.closed {
                Some((f, t, _)) => format!(", closed frame {f} at {} s", rel(t, start)),
                None => String::new(),
            },
            p.bytes
        );
        w!(
            h,
            "<g><title>{}</title>\n<text x=\"{T_LEFT}\" y=\"{}\" class=\"mono halo\">{}</text>\n",
            esc(&tip),
            y + 10,
            esc(&label)
        );
        let opacity = if p.provisional { "0.55" } else { "1" };
        w!(
            h,
            "<rect x=\"{x1:.1}\" y=\"{}\" width=\"{wdt:.1}\" height=\"14\" rx=\"2\" fill=\"{colour}\" fill-opacity=\"{opacity}\"/>\n",
            y + 16
        );
        if p.provisional {
            w!(
                h,
                "<rect x=\"{x1:.1}\" y=\"{}\" width=\"{wdt:.1}\" height=\"14\" fill=\"url(#hatch-{id})\"/>\n",
                y + 16
            );
        }
        if open {
            // Open-ended: an arrowhead past the end of the bar.
            let xe = x1 + wdt;
            w!(
                h,
                "<polygon points=\"{xe:.1},{} {:.1},{} {xe:.1},{}\" fill=\"{colour}\"/>\n",
                y + 13,
                xe + 9.0,
                y + 23,
                y + 33
            );
        }
        h.push_str("</g>\n");
    }
    h.push_str("</svg>\n");
}

fn pinhole_table(h: &mut String, ph: &[PinholeLife], start: Duration) {
    h.push_str(
        "<table class=\"pinholes\">\n<tr><th>id</th><th>kind</th><th>proto</th><th>src</th><th>dst</th>\
<th>opened (frame, s)</th><th>closed (frame, s, reason)</th><th>packets</th><th>bytes</th><th>provisional</th></tr>\n",
    );
    for p in ph {
        let closed = match p.closed {
            Some((f, t, r)) => format!("{f}, {}, {}", rel(t, start), esc(r)),
            None => "open at end".to_string(),
        };
        w!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
<td>{}, {}</td><td>{closed}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            p.id,
            p.kind.as_str(),
            proto_name(p.pattern.proto),
            esc(&pattern_src(p)),
            esc(&pattern_dst(p)),
            p.opened_frame,
            rel(p.opened_ts, start),
            p.packets,
            p.bytes,
            if p.provisional { "yes" } else { "no" }
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_controls_and_bidi() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(esc("a\u{0}b\u{202e}c"), "a\\u{0}b\\u{202e}c");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("abc", 3), ("abc".to_string(), false));
        assert_eq!(cut("ééééé", 2), ("éé…".to_string(), true));
    }

    #[test]
    fn tick_steps_are_nice() {
        assert_eq!(tick_step(8.0), 1.0);
        assert_eq!(tick_step(3.1), 0.5);
        assert_eq!(tick_step(100.0), 20.0);
        assert!(tick_step(0.0) > 0.0);
    }

    #[test]
    fn response_colours_by_class() {
        assert_eq!(message_colour("INVITE"), "#1d4ed8");
        assert_eq!(message_colour("180 Ringing"), "#6b7280");
        assert_eq!(message_colour("486 Busy Here"), "#b91c1c");
    }
}
