//! The `--report` HTML page of a replay (being written: a first plain version).

use crate::replay::ReplaySummary;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained HTML page for a replay summary.
pub fn render(s: &ReplaySummary, capture: &str, config: &str) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html><html><head><meta charset=\"utf-8\"><title>sipwall replay</title></head><body>");
    h.push_str(&format!(
        "<h1>sipwall replay of {}</h1><p>configuration {}</p>",
        esc(capture),
        esc(config)
    ));
    for c in &s.calls {
        h.push_str(&format!("<h2>Call {}</h2><ol>", esc(&c.call_id)));
        for m in &c.messages {
            h.push_str(&format!(
                "<li>frame {} {} &rarr; {}: {}</li>",
                m.frame,
                esc(&m.src),
                esc(&m.dst),
                esc(&m.summary)
            ));
        }
        h.push_str("</ol>");
    }
    h.push_str("</body></html>\n");
    h
}
