//! `index.html`: one self-contained page per test (inline CSS and SVG, no
//! script, nothing fetched): the verdict and why, the command with its seed,
//! the key figures, latency over time, every results section as a collapsible
//! table, and links to the other files of the test's folder. Everything taken
//! from the results or the history is HTML-escaped.

use std::fmt::Write as _;

use maelstrom_check::{Op, OpType};
use serde_json::Value;

/// What a page is drawn from.
pub struct Page<'a> {
    /// The workload name.
    pub workload: &'a str,
    /// The command line that ran the test, seed included.
    pub command: &'a str,
    /// results.json's content.
    pub results: &'a Value,
    /// The folder's other files, relative paths, directories ending in `/`.
    pub files: &'a [String],
}

/// Arrays and maps longer than this are cut in section tables.
const MAX_ITEMS: usize = 64;
/// Nested values deeper than this are shown as (cut) JSON.
const MAX_DEPTH: usize = 4;
/// Bytes of page one results section may take before the rest is cut.
const MAX_SECTION: usize = 256 * 1024;
/// Longest JSON text shown for one deep value.
const MAX_JSON: usize = 2000;
/// At most this many points in the latency plot (evenly thinned).
const MAX_POINTS: usize = 8000;

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;\
padding:0 1em;color:#222}h1{margin:.2em 0}.valid{color:#18794e}.invalid{color:#c62828}\
.unknown{color:#b26a00}pre{background:#f5f5f5;padding:.6em;overflow-x:auto;white-space:pre-wrap}\
table{border-collapse:collapse;margin:.2em 0}th,td{border:1px solid #ddd;padding:.15em .5em;\
text-align:left;vertical-align:top}th{background:#fafafa;font-weight:600}\
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}.more{color:#777}\
td table{margin:0}svg text{font-size:11px;font-family:sans-serif}";

/// Escapes text for HTML content and double-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a relative path for an `href`.
pub fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `valid`, `invalid` or `unknown` for a `valid` field.
fn verdict(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Bool(true)) => "valid",
        Some(Value::Bool(false)) => "invalid",
        _ => "unknown",
    }
}

/// Renders the page of a test whose history is `ops`.
pub fn render(p: &Page, ops: &[Op]) -> String {
    render_around(p, &render_body(p.results, ops))
}

/// The part of the page that does not depend on the folder's files: its
/// figures, plots and results sections, most of its cost, so a test can draw
/// it while its other pages are still being written.
pub fn render_body(r: &Value, ops: &[Op]) -> String {
    let mut h = String::with_capacity(16 * 1024);
    figures(&mut h, r, ops);
    latency_svg(&mut h, ops);
    super::plots::quantiles_svg(&mut h, ops);
    super::plots::rate_svg(&mut h, ops);
    h.push_str("<h2>Results</h2>\n");
    if let Value::Object(map) = r {
        for (k, v) in map {
            if !v.is_object() {
                continue;
            }
            let s = verdict(v.get("valid"));
            let open = if s == "valid" { "" } else { " open" };
            let _ = write!(
                h,
                "<details{open}><summary>{} — <span class=\"{s}\">{s}</span></summary>",
                esc(k)
            );
            let limit = h.len() + MAX_SECTION;
            value(&mut h, v, 0, limit);
            h.push_str("</details>\n");
        }
    }
    h
}

/// The page around its [`render_body`]: the verdict, the links to the
/// folder's pages and files, and the command.
pub fn render_around(p: &Page, body: &str) -> String {
    let r = p.results;
    let overall = verdict(r.get("valid"));
    let mut h = String::with_capacity(body.len() + 16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} — {overall}</title><style>{CSS}</style></head><body>\n",
        esc(p.workload)
    );
    let _ = writeln!(
        h,
        "<h1 class=\"{overall}\">{}: {overall}</h1>",
        esc(p.workload)
    );
    why(&mut h, r, overall);
    views(&mut h, p.files);
    let _ = writeln!(
        h,
        "<h2>Command</h2><pre><code>{}</code></pre>",
        esc(p.command)
    );
    h.push_str(body);
    h.push_str("<h2>Files</h2>\n<ul>\n");
    for f in p.files {
        let _ = writeln!(h, "<li><a href=\"{}\">{}</a></li>", href(f), esc(f));
    }
    h.push_str("</ul>\n</body></html>\n");
    h
}

/// Links to the interactive pages the folder holds.
fn views(h: &mut String, files: &[String]) {
    let views = [
        (
            "timeline.html",
            "timeline",
            "every operation on its process's lane",
        ),
        (
            "messages.html",
            "messages",
            "the Lamport diagram of every message, dropped ones too",
        ),
    ];
    let present: Vec<_> = views
        .iter()
        .filter(|(f, _, _)| files.iter().any(|x| x == f))
        .collect();
    if present.is_empty() {
        return;
    }
    h.push_str("<p class=\"views\">");
    for (i, (file, name, what)) in present.iter().enumerate() {
        if i > 0 {
            h.push_str(" · ");
        }
        let _ = write!(
            h,
            "<a id=\"view-{name}\" href=\"{file}\"><b>{name}</b></a>: {what}"
        );
    }
    h.push_str("</p>\n");
}

/// Why the verdict: the sections that are not valid, and the workload's summary.
fn why(h: &mut String, r: &Value, overall: &str) {
    let mut reasons = Vec::new();
    if let Value::Object(map) = r {
        for (k, v) in map {
            let s = verdict(v.get("valid"));
            if !v.is_object() || s == "valid" {
                continue;
            }
            reasons.push(format!("{k} is {s}"));
            if let Some(Value::Object(by_f)) = v.get("by-f") {
                for (f, st) in by_f {
                    if verdict(st.get("valid")) != "valid" {
                        reasons.push(format!("no {f} operation succeeded"));
                    }
                }
            }
            for (count, list) in [("lost-count", "lost"), ("duplicated-count", "duplicated")] {
                if let Some(n) = v.get(count).and_then(Value::as_u64).filter(|n| *n > 0) {
                    let what = list.replace('-', " ");
                    reasons.push(format!("{n} {what}: {}", first_items(v.get(list))));
                }
            }
            if let Some(Value::Array(errors)) = v.get("errors") {
                if let Some(first) = errors.first() {
                    let mut text = first.to_string();
                    cut(&mut text, 300);
                    reasons.push(format!("{} errors, the first: {text}", errors.len()));
                }
            }
            if let Some(reason) = v.get("reason").and_then(Value::as_str) {
                reasons.push(format!("{k}: {reason}"));
            }
        }
    }
    if overall == "valid" {
        h.push_str("<p>Every check passed.</p>\n");
    } else if !reasons.is_empty() {
        h.push_str("<ul>");
        for reason in &reasons {
            let _ = write!(h, "<li>{}</li>", esc(reason));
        }
        h.push_str("</ul>\n");
    }
    if let Some(s) = r.pointer("/workload/summary").and_then(Value::as_str) {
        let _ = writeln!(h, "<pre>{}</pre>", esc(s));
    }
}

/// The first ten items of a list, as JSON.
fn first_items(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().take(10).map(Value::to_string).collect();
            let tail = if a.len() > 10 { ", …" } else { "" };
            format!("[{}{tail}]", items.join(", "))
        }
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// Cuts `text` to at most `max` bytes (on a char boundary), marking the cut.
fn cut(text: &mut String, max: usize) {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push_str(" …");
    }
}

/// One row of the key-figures table.
fn row(h: &mut String, name: &str, v: &str) {
    let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(name), esc(v));
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{}", (f * 1e4).round() / 1e4),
            _ => n.to_string(),
        },
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", scalar(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn figures(h: &mut String, r: &Value, ops: &[Op]) {
    h.push_str("<h2>Key figures</h2>\n<table>\n");
    if let Some(st) = r.get("stats") {
        let n = |k: &str| st.get(k).map(scalar).unwrap_or_else(|| "?".into());
        row(
            h,
            "operations",
            &format!(
                "{} completed: {} ok, {} info, {} fail",
                n("count"),
                n("ok-count"),
                n("info-count"),
                n("fail-count")
            ),
        );
    }
    if let Some(f) = r
        .pointer("/availability/ok-fraction")
        .and_then(Value::as_f64)
    {
        row(h, "availability", &format!("{:.2}% ok", f * 100.0));
    }
    let lat = latencies(ops);
    let mut ok: Vec<u64> = lat
        .iter()
        .filter(|l| l.kind == OpType::Ok)
        .map(|l| l.latency)
        .collect();
    if !ok.is_empty() {
        ok.sort_unstable();
        let q = |q: f64| ok[((ok.len() as f64 * q) as usize).min(ok.len() - 1)] as f64 / 1e6;
        row(
            h,
            "ok latency (ms)",
            &format!(
                "0: {:.2}, 0.5: {:.2}, 0.95: {:.2}, 0.99: {:.2}, 1: {:.2}",
                q(0.0),
                q(0.5),
                q(0.95),
                q(0.99),
                q(1.0)
            ),
        );
    }
    for part in ["all", "servers"] {
        if let Some(m) = r.pointer(&format!("/net/{part}/msgs-per-op")) {
            row(h, &format!("net {part} msgs-per-op"), &scalar(m));
        }
    }
    if let Some(Value::Object(w)) = r.get("workload") {
        for (k, v) in w {
            let shown = match v {
                Value::Number(_) => true,
                Value::Object(m) => k.ends_with("latencies") && m.values().all(Value::is_number),
                Value::Array(a) => {
                    matches!(k.as_str(), "anomaly-types" | "not" | "also-not")
                        && a.iter().all(Value::is_string)
                }
                _ => false,
            };
            if shown {
                let name = if v.is_object() {
                    format!("{k} (ms)")
                } else {
                    k.clone()
                };
                row(h, &name, &scalar(v));
            }
        }
    }
    h.push_str("</table>\n");
}

/// A results value as nested tables, long arrays and deep values cut.
/// Past `limit` bytes of page, the rest of a section is left out.
fn value(h: &mut String, v: &Value, depth: usize, limit: usize) {
    if h.len() > limit {
        h.push_str("<span class=\"more\">… (cut: see results.json)</span>");
        return;
    }
    match v {
        Value::Object(m) if depth < MAX_DEPTH => {
            h.push_str("<table>");
            for (k, v) in m.iter().take(MAX_ITEMS) {
                let _ = write!(h, "<tr><th>{}</th><td>", esc(k));
                value(h, v, depth + 1, limit);
                h.push_str("</td></tr>");
            }
            h.push_str("</table>");
            more(h, m.len());
        }
        Value::Array(a) if depth < MAX_DEPTH && a.iter().any(|x| x.is_object() || x.is_array()) => {
            h.push_str("<ol start=\"0\">");
            for x in a.iter().take(MAX_ITEMS) {
                h.push_str("<li>");
                value(h, x, depth + 1, limit);
                h.push_str("</li>");
            }
            h.push_str("</ol>");
            more(h, a.len());
        }
        Value::Array(a) if depth < MAX_DEPTH => {
            let items: Vec<String> = a.iter().take(MAX_ITEMS).map(|x| x.to_string()).collect();
            let _ = write!(h, "[{}]", esc(&items.join(", ")));
            more(h, a.len());
        }
        Value::String(s) if s.contains('\n') => {
            let _ = write!(h, "<pre>{}</pre>", esc(s));
        }
        Value::String(s) => h.push_str(&esc(s)),
        Value::Object(_) | Value::Array(_) => {
            let mut text = v.to_string();
            cut(&mut text, MAX_JSON);
            let _ = write!(h, "<code>{}</code>", esc(&text));
        }
        other => h.push_str(&esc(&other.to_string())),
    }
}

fn more(h: &mut String, len: usize) {
    if len > MAX_ITEMS {
        let _ = write!(
            h,
            " <span class=\"more\">… and {} more</span>",
            len - MAX_ITEMS
        );
    }
}

/// One completed client operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// Invocation time, ns since the test started.
    pub start: u64,
    /// Completion minus invocation, ns.
    pub latency: u64,
    /// `Ok`, `Info` or `Fail`.
    pub kind: OpType,
}

/// Each client operation's latency, pairing completions with the open
/// invocation of their process.
pub fn latencies(ops: &[Op]) -> Vec<Latency> {
    let mut open: std::collections::HashMap<i64, u64> = Default::default();
    let mut out = Vec::new();
    for op in ops.iter().filter(|o| o.is_client()) {
        if op.kind == OpType::Invoke {
            open.insert(op.process, op.time);
        } else if let Some(start) = open.remove(&op.process) {
            out.push(Latency {
                start,
                latency: op.time.saturating_sub(start),
                kind: op.kind,
            });
        }
    }
    out
}

/// Nemesis intervals `(start, end, name)` in ns: a partition, kill or pause
/// until the op that undoes it (or the end of the history).
pub fn nemesis_intervals(ops: &[Op]) -> Vec<(u64, u64, String)> {
    let end = ops.iter().map(|o| o.time).max().unwrap_or(0);
    let mut open: Vec<(&str, u64)> = Vec::new();
    let mut out = Vec::new();
    for op in ops.iter().filter(|o| !o.is_client()) {
        let closes = match op.f.as_str() {
            "stop-partition" => Some("start-partition"),
            "start" => Some("kill"),
            "resume" => Some("pause"),
            _ => None,
        };
        match closes {
            Some(opener) => {
                if let Some(i) = open.iter().position(|(f, _)| *f == opener) {
                    let (f, t) = open.remove(i);
                    out.push((t, op.time, f.to_string()));
                }
            }
            None if matches!(op.f.as_str(), "start-partition" | "kill" | "pause")
                && !open.iter().any(|(f, _)| *f == op.f) =>
            {
                open.push((op.f.as_str(), op.time));
            }
            None => {}
        }
    }
    out.extend(open.into_iter().map(|(f, t)| (t, end, f.to_string())));
    out
}

/// `10^d` written plainly: `0.01`, `1`, `1000`.
pub(crate) fn decade_label(d: f64) -> String {
    let places = if d < 0.0 { (-d) as usize } else { 0 };
    format!("{:.places$}", 10f64.powi(d as i32))
}

/// Latency (log scale) against invocation time, one dot per operation coloured
/// by outcome, nemesis intervals shaded.
fn latency_svg(h: &mut String, ops: &[Op]) {
    let lat = latencies(ops);
    if lat.is_empty() {
        return;
    }
    let (w, ht, left, top, bottom) = (900.0, 320.0, 60.0, 10.0, 30.0);
    let pw = w - left - 10.0;
    let ph = ht - top - bottom;
    let t_max = ops.iter().map(|o| o.time).max().unwrap_or(1).max(1) as f64;
    let ms = |l: u64| (l as f64 / 1e6).max(0.01);
    let lo = lat
        .iter()
        .map(|l| ms(l.latency))
        .fold(f64::MAX, f64::min)
        .log10()
        .floor();
    let hi = lat
        .iter()
        .map(|l| ms(l.latency))
        .fold(0.0, f64::max)
        .log10()
        .ceil()
        .max(lo + 1.0);
    let x = |t: u64| left + t as f64 / t_max * pw;
    let y = |l: u64| top + ph - (ms(l).log10() - lo) / (hi - lo) * ph;
    h.push_str("<h2>Latency</h2>\n");
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{ht}\" \
         viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"latency over time\">"
    );
    for (a, b, f) in nemesis_intervals(ops) {
        let _ = writeln!(
            h,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{ph}\" fill=\"#999\" \
             fill-opacity=\"0.18\"><title>{}</title></rect>",
            x(a),
            (x(b) - x(a)).max(1.0),
            esc(&f)
        );
    }
    let _ = writeln!(
        h,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#888\"/>"
    );
    let mut decade = lo;
    while decade <= hi {
        let yy = top + ph - (decade - lo) / (hi - lo) * ph;
        let _ = writeln!(
            h,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} ms</text>",
            left + pw,
            left - 4.0,
            yy + 4.0,
            decade_label(decade)
        );
        decade += 1.0;
    }
    for i in 0..=5 {
        let t = t_max * i as f64 / 5.0;
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.1} s</text>",
            left + t / t_max * pw,
            ht - 10.0,
            t / 1e9
        );
    }
    let step = lat.len().div_ceil(MAX_POINTS);
    for l in lat.iter().step_by(step) {
        let colour = match l.kind {
            OpType::Ok => "#1e88e5",
            OpType::Info => "#fb8c00",
            _ => "#e53935",
        };
        let _ = writeln!(
            h,
            "<circle cx=\"{}\" cy=\"{}\" r=\"1.6\" fill=\"{colour}\"/>",
            Tenths(x(l.start)),
            Tenths(y(l.latency))
        );
    }
    h.push_str(
        "</svg>\n<p>Each dot is one operation: <span style=\"color:#1e88e5\">ok</span>, \
        <span style=\"color:#fb8c00\">info</span>, <span style=\"color:#e53935\">fail</span>; \
        shaded: nemesis active.</p>\n",
    );
}

/// A coordinate written with one decimal, as `{:.1}` writes it but through
/// integers: the latency plot has a dot per operation (up to [`MAX_POINTS`]),
/// and formatting floats with a precision was most of index.html's cost.
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round();
        if !tenths.is_finite() || tenths.abs() >= 1e15 {
            return write!(f, "{:.1}", self.0);
        }
        let tenths = tenths as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let (whole, frac) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
        write!(f, "{sign}{whole}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tenths_write_as_one_decimal_does() {
        for v in [
            0.0,
            0.04,
            1.26,
            59.99,
            123.45678,
            899.96,
            -3.21,
            1e20,
            f64::NAN,
        ] {
            assert_eq!(Tenths(v).to_string(), format!("{v:.1}"), "{v}");
        }
    }

    fn op(index: u64, kind: OpType, process: i64, f: &str, time: u64) -> Op {
        let mut o = Op::new(index, kind, process, f, Value::Null);
        o.time = time;
        o
    }

    fn history() -> Vec<Op> {
        vec![
            op(0, OpType::Invoke, 0, "read", 1_000_000),
            op(1, OpType::Invoke, 1, "add", 2_000_000),
            op(2, OpType::Ok, 0, "read", 4_000_000),
            op(3, OpType::Info, -1, "start-partition", 5_000_000),
            op(4, OpType::Info, 1, "add", 9_000_000),
            op(5, OpType::Invoke, 0, "read", 10_000_000),
            op(6, OpType::Fail, 0, "read", 11_000_000),
            op(7, OpType::Info, -1, "stop-partition", 12_000_000),
        ]
    }

    fn invalid_results() -> Value {
        json!({
            "valid": false,
            "seed": 7,
            "stats": {"valid": false, "count": 3, "ok-count": 1, "info-count": 1, "fail-count": 1,
                      "by-f": {"read": {"valid": true}, "add": {"valid": false}}},
            "availability": {"valid": true, "ok-fraction": 0.3333},
            "net": {"valid": true, "all": {"msgs-per-op": 4.5},
                    "servers": {"msgs-per-op": 2.25}},
            "workload": {"valid": false, "lost-count": 2, "lost": [3, 4],
                         "stable-latencies": {"0": 0, "0.5": 10},
                         "summary": "lost <script>alert(1)</script> & more"},
        })
    }

    #[test]
    fn report_html_invalid_verdict_escaping_and_links() {
        let ops = history();
        let results = invalid_results();
        let files = vec![
            "history.jsonl".to_string(),
            "node-logs/".to_string(),
            "node-logs/n 1.log".to_string(),
            "results.edn".to_string(),
        ];
        let page = render(
            &Page {
                workload: "g-set",
                command: "maelstrom test -w g-set --bin ./a&b --seed 7",
                results: &results,
                files: &files,
            },
            &ops,
        );
        assert!(
            page.contains("<h1 class=\"invalid\">g-set: invalid</h1>"),
            "{page}"
        );
        assert!(page.contains("<li>stats is invalid</li>"));
        assert!(page.contains("<li>no add operation succeeded</li>"));
        assert!(page.contains("<li>workload is invalid</li>"));
        assert!(page.contains("<li>2 lost: [3, 4]</li>"));
        assert!(!page.contains("<li>availability"));
        assert!(page.contains("lost &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
        assert!(!page.contains("<script"));
        assert!(page.contains("--bin ./a&amp;b --seed 7"));
        assert!(page.contains("<a href=\"history.jsonl\">history.jsonl</a>"));
        assert!(page.contains("<a href=\"node-logs/n%201.log\">node-logs/n 1.log</a>"));
        assert!(page.contains("<a href=\"results.edn\">"));
        assert!(page.contains("3 completed: 1 ok, 1 info, 1 fail"));
        assert!(page.contains("<th>lost-count</th><td>2</td>"));
        assert!(page.contains("<th>stable-latencies (ms)</th><td>0: 0, 0.5: 10</td>"));
        assert!(page.contains("<th>net servers msgs-per-op</th><td>2.25</td>"));
        assert!(page.contains("<details open><summary>workload"));
        assert!(page.contains("<details><summary>net"));
        // The plot: three dots and one shaded partition.
        assert_eq!(page.matches("<circle").count(), 3);
        assert!(page.contains("<title>start-partition</title>"));
        assert!(page.contains("fill=\"#fb8c00\""));
        assert!(page.contains("fill=\"#e53935\""));
    }

    #[test]
    fn report_html_valid_and_unknown() {
        let valid = json!({"valid": true, "stats": {"valid": true, "count": 0}});
        let page = render(
            &Page {
                workload: "echo",
                command: "maelstrom test -w echo --seed 1",
                results: &valid,
                files: &[],
            },
            &[],
        );
        assert!(page.contains("<h1 class=\"valid\">echo: valid</h1>"));
        assert!(page.contains("Every check passed."));
        assert!(!page.contains("<svg"));
        let unknown = json!({"valid": "unknown",
                             "workload": {"valid": "unknown", "reason": "budget <exceeded>"},
                             "echo": {"valid": false, "errors": [{"got": "<é>".repeat(200)}]}});
        let page = render(
            &Page {
                workload: "lin-kv",
                command: "",
                results: &unknown,
                files: &[],
            },
            &[],
        );
        assert!(page.contains("<h1 class=\"unknown\">lin-kv: unknown</h1>"));
        assert!(page.contains("<li>workload: budget &lt;exceeded&gt;</li>"));
        assert!(page.contains("<li>1 errors, the first: {&quot;got&quot;:&quot;&lt;é&gt;"));
        assert!(page.contains("&lt;é&gt; …</li>"));
    }

    #[test]
    fn report_html_cuts_big_sections() {
        let big: serde_json::Map<String, Value> = (0..500)
            .map(|i| {
                (
                    format!("k{i}"),
                    json!({"xs": (0..2000).collect::<Vec<_>>()}),
                )
            })
            .collect();
        let results = json!({"valid": true, "workload": {"valid": true, "results": big}});
        let page = render(
            &Page {
                workload: "lin-kv",
                command: "",
                results: &results,
                files: &[],
            },
            &[],
        );
        assert!(page.len() < MAX_SECTION + 64 * 1024, "{}", page.len());
        assert!(page.contains("… and 436 more"));
        assert!(page.contains("… and 1936 more"));
    }

    #[test]
    fn report_html_decade_labels() {
        assert_eq!(decade_label(-2.0), "0.01");
        assert_eq!(decade_label(-1.0), "0.1");
        assert_eq!(decade_label(0.0), "1");
        assert_eq!(decade_label(3.0), "1000");
    }

    #[test]
    fn report_html_latencies_and_intervals() {
        let ops = history();
        let lat = latencies(&ops);
        assert_eq!(
            lat.iter()
                .map(|l| (l.start, l.latency, l.kind))
                .collect::<Vec<_>>(),
            vec![
                (1_000_000, 3_000_000, OpType::Ok),
                (2_000_000, 7_000_000, OpType::Info),
                (10_000_000, 1_000_000, OpType::Fail),
            ]
        );
        assert_eq!(
            nemesis_intervals(&ops),
            vec![(5_000_000, 12_000_000, "start-partition".to_string())]
        );
    }
}
