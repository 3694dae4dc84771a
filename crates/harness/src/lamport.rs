//! `messages.svg`: a Lamport diagram of the message journal.
//!
//! One vertical line per participant, time flowing down one step (20 px) per
//! journal event, and an arrow for every delivered message from its send to its
//! receipt. `init`/`init_ok` are left out (every test has them; they say
//! nothing about the system under test), dropped messages are not drawn, and only
//! the first [`MAX_EVENTS`] events are: beyond that an SVG becomes too big to
//! open, so the diagram says so instead.
//!
//! [`render`] is a pure function of the journal's lines; [`write_svg`] streams
//! `messages.jsonl` into it and stops reading at the limit, so memory stays
//! bounded however long the test ran.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::net::is_client;

/// How many journal events (after removing init traffic) are drawn.
pub const MAX_EVENTS: usize = 10_000;

const WIDTH: f64 = 1200.0;
/// Vertical distance between consecutive events.
const STEP: f64 = 20.0;
/// Space above the first event, for the first row of node labels.
const TOP: f64 = 30.0;
/// Space left and right of the outermost participant lines.
const SIDE: f64 = 30.0;
/// Node labels are repeated every this many steps, so a long diagram stays legible
/// after scrolling.
const LABEL_EVERY: usize = 50;
/// Arrow labels longer than this (in characters) are cut, ending with "…".
const MAX_LABEL: usize = 48;

const ERROR_COLOUR: &str = "#FF1E90";
const CLIENT_COLOUR: &str = "#81BFFC";
const NODE_COLOUR: &str = "black";

/// One delivered message, as it will be drawn.
struct Arrow {
    src: String,
    dest: String,
    send_step: usize,
    recv_step: usize,
    colour: &'static str,
    label: String,
    /// `src → dest body`, already escaped for XML.
    title: String,
}

/// What was read from the journal: the arrows, every participant seen, the
/// number of events kept and whether more were left out.
#[derive(Default)]
struct Diagram {
    arrows: Vec<Arrow>,
    participants: BTreeSet<String>,
    steps: usize,
    truncated: bool,
}

/// Reads `dir/messages.jsonl` and writes `dir/messages.svg` beside it.
pub fn write_svg(dir: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(dir.join("messages.jsonl"))?;
    let mut read_error = None;
    // `render` stops pulling lines at the limit, so the rest of the file is never read.
    let lines = std::io::BufReader::new(file)
        .lines()
        .map_while(|l| l.map_err(|e| read_error = Some(e)).ok());
    let svg = render(lines);
    if let Some(e) = read_error {
        return Err(e);
    }
    std::fs::write(dir.join("messages.svg"), svg)
}

/// Renders journal lines (`{"type":"send"|"recv","time":…,"message":{…}}`, as
/// written by [`crate::net::Journal`]) as an SVG Lamport diagram.
///
/// Lines that are not journal events are skipped: a diagram is a convenience
/// and must not fail because one line is odd.
pub fn render<I>(lines: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    draw(&read(lines))
}

/// The parts of a journal line that decide whether and where it is drawn.
/// Deserialising into this skips the rest of the line (a body may hold
/// thousands of values) without building it; only the lines that become
/// arrows are parsed whole.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    message: MessageHead<'a>,
}

#[derive(Deserialize)]
struct MessageHead<'a> {
    #[serde(default)]
    id: Value,
    #[serde(borrow)]
    src: Cow<'a, str>,
    #[serde(borrow)]
    dest: Cow<'a, str>,
    #[serde(default, borrow)]
    body: BodyHead<'a>,
}

#[derive(Deserialize, Default)]
struct BodyHead<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
}

/// Keeps the first [`MAX_EVENTS`] events, pairing each receipt with its send by
/// the envelope's id (duplicated messages share an id: each copy is an arrow).
fn read<I>(lines: I) -> Diagram
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut d = Diagram::default();
    // Message id -> step of its send. Bounded by MAX_EVENTS.
    let mut sent: HashMap<u64, usize> = HashMap::new();
    for line in lines {
        let line = line.as_ref();
        let Ok(event) = serde_json::from_str::<Head>(line) else {
            continue;
        };
        let msg = &event.message;
        let body_type = msg.body.kind.as_deref().unwrap_or("");
        if body_type == "init" || body_type == "init_ok" {
            continue;
        }
        if d.steps == MAX_EVENTS {
            // Seeing one event past the limit is all the notice needs.
            d.truncated = true;
            break;
        }
        let step = d.steps;
        d.steps += 1;
        for id in [&msg.src, &msg.dest] {
            if !d.participants.contains(id.as_ref()) {
                d.participants.insert(id.to_string());
            }
        }
        match (event.kind.as_ref(), msg.id.as_u64()) {
            ("send", Some(id)) => {
                sent.insert(id, step);
            }
            ("recv", Some(id)) => {
                let Some(&send_step) = sent.get(&id) else {
                    continue;
                };
                // The head parsed, so the line's body can be borrowed as its
                // text: the title shows it as written, and only the label
                // looks inside it.
                let Ok(full) = serde_json::from_str::<Full>(line) else {
                    continue;
                };
                d.arrows.push(arrow(
                    &msg.src,
                    &msg.dest,
                    full.message.body,
                    send_step,
                    step,
                ));
            }
            _ => {}
        }
    }
    d
}

fn arrow(src: &str, dest: &str, body: &RawValue, send_step: usize, recv_step: usize) -> Arrow {
    let fields = Fields::of(body);
    let body_type = fields
        .as_ref()
        .and_then(|f| f.get("type"))
        .and_then(|t| serde_json::from_str::<Cow<str>>(t.get()).ok())
        .unwrap_or(Cow::Borrowed("?"));
    let is_error = body_type == "error";
    let colour = if is_error {
        ERROR_COLOUR
    } else if is_client(src) || is_client(dest) {
        CLIENT_COLOUR
    } else {
        NODE_COLOUR
    };
    // `src → dest body`, escaped as it goes, the body as the journal wrote it.
    let body_text = body.get();
    let mut title = String::with_capacity(src.len() + dest.len() + body_text.len() + 8);
    escape_into(&mut title, src);
    title.push_str(" → ");
    escape_into(&mut title, dest);
    title.push(' ');
    escape_into(&mut title, body_text);
    Arrow {
        src: src.to_string(),
        dest: dest.to_string(),
        send_step,
        recv_step,
        colour,
        label: truncate(&label(&body_type, is_error, fields.as_ref()), MAX_LABEL),
        title,
    }
}

/// The part of a `recv` line an arrow needs beyond [`Head`]: the body, as text.
#[derive(Deserialize)]
struct Full<'a> {
    #[serde(borrow)]
    message: FullMessage<'a>,
}

#[derive(Deserialize)]
struct FullMessage<'a> {
    #[serde(borrow)]
    body: &'a RawValue,
}

/// A body's fields, each still JSON text, in key order (as a `Value` object
/// orders them). Reading a body this way only scans its values: a `read_ok`
/// carrying thousands of numbers builds nothing for them.
struct Fields<'a>(BTreeMap<Cow<'a, str>, &'a RawValue>);

impl<'a> Fields<'a> {
    /// The fields of `body`, or `None` when it is not an object.
    fn of(body: &'a RawValue) -> Option<Self> {
        serde_json::from_str(body.get()).ok().map(Fields)
    }

    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.get(key).copied()
    }
}

/// The keys every message has, left out of labels.
const RESERVED: [&str; 3] = ["type", "msg_id", "in_reply_to"];

/// A body without its [`RESERVED`] keys, serialised as an object.
struct Payload<'a, 'b>(&'b Fields<'a>);

impl Serialize for Payload<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.0
                 .0
                .iter()
                .filter(|(k, _)| !RESERVED.contains(&k.as_ref())),
        )
    }
}

/// A writer that takes `left` more bytes, then fails: a label shows only its
/// first characters, so serialising a long body further would be wasted.
struct Limited<'a> {
    buf: &'a mut Vec<u8>,
    left: usize,
}

impl std::io::Write for Limited<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let n = bytes.len().min(self.left);
        self.buf.extend_from_slice(&bytes[..n]);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `type` and what the message carries: an error's text, otherwise the body
/// without the keys every message has (they would crowd out the payload).
/// Long enough to be cut to [`MAX_LABEL`] characters, not necessarily whole.
fn label(body_type: &str, is_error: bool, fields: Option<&Fields>) -> String {
    let Some(fields) = fields else {
        return body_type.to_string();
    };
    if is_error {
        match fields.get("text") {
            Some(text) if text.get() != "null" => {
                return match serde_json::from_str::<Cow<str>>(text.get()) {
                    Ok(text) => format!("{body_type} {text}"),
                    Err(_) => format!("{body_type} {}", text.get()),
                };
            }
            _ => {}
        }
    }
    if fields.0.keys().all(|k| RESERVED.contains(&k.as_ref())) {
        return body_type.to_string();
    }
    let mut out = format!("{body_type} ").into_bytes();
    // MAX_LABEL + 1 characters of at most 4 bytes each are enough for
    // `truncate` to cut exactly where it would cut the whole text; a character
    // split at the limit becomes U+FFFD past that point and is cut off.
    let limited = Limited {
        buf: &mut out,
        left: 4 * (MAX_LABEL + 1),
    };
    let _ = serde_json::to_writer(limited, &Payload(fields));
    String::from_utf8_lossy(&out).into_owned()
}

/// Cuts `s` to at most `max` characters, the last being "…" when anything was cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Participant order: by letter prefix, then by number (so n2 comes before n10);
/// ids without digits (the services) come last, by name.
fn participant_key(id: &str) -> (bool, &str, u64, &str) {
    match id.find(|c: char| c.is_ascii_digit()) {
        None => (true, id, 0, id),
        Some(i) => {
            let number = id[i..]
                .chars()
                .take_while(char::is_ascii_digit)
                .fold(0u64, |n, c| {
                    n.saturating_mul(10)
                        .saturating_add(u64::from(c as u8 - b'0'))
                });
            (false, &id[..i], number, id)
        }
    }
}

/// Escapes text for XML content and attribute values. Characters XML 1.0 does
/// not allow at all (most control characters, which a node may put in an error
/// text) become U+FFFD, or the file would not open.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`. Works on bytes: everything it replaces is
/// ASCII or U+FFFE/U+FFFF (EF BF BE/BF in UTF-8), and copies the runs between
/// whole.
fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let (replacement, len) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\t' | b'\n' | b'\r' => ("", 0),
            c if c < 0x20 => ("\u{FFFD}", 1),
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                ("\u{FFFD}", 3)
            }
            _ => ("", 0),
        };
        if len == 0 {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        i += len;
        start = i;
    }
    out.push_str(&s[start..]);
}

fn draw(d: &Diagram) -> String {
    let mut order: Vec<&str> = d.participants.iter().map(String::as_str).collect();
    order.sort_by_key(|id| participant_key(id));
    let column: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let col_width = (WIDTH - 2.0 * SIDE) / order.len().max(1) as f64;
    let x_of_col = |col: usize| SIDE + (col as f64 + 0.5) * col_width;
    let x = |id: &str| x_of_col(column[id]);
    // Step 0 sits one step below TOP, leaving room for the first labels.
    let y = |step: usize| TOP + (step as f64 + 1.0) * STEP;
    // Formatting a float to a precision is most of drawing an arrow, and the
    // x coordinates take few values: each column's, and each pair's midpoint.
    let n = order.len();
    let x_text: Vec<String> = (0..n).map(|c| format!("{:.1}", x_of_col(c))).collect();
    let mid_text: Vec<String> = (0..n * n)
        .map(|i| format!("{:.1}", (x_of_col(i / n) + x_of_col(i % n)) / 2.0))
        .collect();
    let bottom = y(d.steps);
    let height = bottom + if d.truncated { 50.0 } else { 20.0 };

    let mut s = String::with_capacity(4096 + d.arrows.len() * 400);
    // Writing to a String cannot fail; the results are ignored throughout.
    let _ = writeln!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">
<defs>"#
    );
    // One arrowhead per colour: a marker does not inherit its line's stroke in SVG 1.1.
    for (name, colour) in [
        ("error", ERROR_COLOUR),
        ("client", CLIENT_COLOUR),
        ("node", NODE_COLOUR),
    ] {
        let _ = writeln!(
            s,
            r#"<marker id="head-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    let _ = writeln!(
        s,
        r#"</defs>
<rect width="100%" height="100%" fill="white"/>"#
    );

    for id in &order {
        let xi = x(id);
        let _ = writeln!(
            s,
            r##"<line x1="{xi:.1}" y1="{TOP}" x2="{xi:.1}" y2="{bottom}" stroke="#BBBBBB"/>"##
        );
    }
    // Labels sit half a step above their row's first event, with a white halo so
    // arrows crossing them do not make them unreadable.
    for step in (0..d.steps.max(1)).step_by(LABEL_EVERY) {
        let ly = y(step) - STEP / 2.0 + 4.0;
        for id in &order {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{ly}" text-anchor="middle" font-size="12" font-weight="bold" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"#,
                x(id),
                escape(id)
            );
        }
    }

    for a in &d.arrows {
        let (c1, c2) = (column[a.src.as_str()], column[a.dest.as_str()]);
        let (x1, y1, x2, y2) = (x_of_col(c1), y(a.send_step), x_of_col(c2), y(a.recv_step));
        let (x1_text, x2_text, mx_text) = (&x_text[c1], &x_text[c2], &mid_text[c1 * n + c2]);
        let head = match a.colour {
            ERROR_COLOUR => "error",
            CLIENT_COLOUR => "client",
            _ => "node",
        };
        // The label runs along the arrow, turned so it never reads upside down; a
        // white halo keeps it legible where it crosses participant lines.
        let mut angle = (y2 - y1).atan2(x2 - x1).to_degrees();
        if x2 < x1 {
            angle -= 180.0;
        }
        // Steps are whole, so every y is a multiple of 10 and prints as an
        // integer, as `{}` prints such an f64.
        let (y1, y2) = (y1 as u64, y2 as u64);
        let my = (y1 + y2) / 2;
        let _ = writeln!(
            s,
            r#"<g><title>{}</title><line x1="{x1_text}" y1="{y1}" x2="{x2_text}" y2="{y2}" stroke="{c}" stroke-width="1.5" marker-end="url(#head-{head})"/><text x="{mx_text}" y="{my}" dy="-3" text-anchor="middle" font-size="10" fill="{c}" stroke="white" stroke-width="2.5" paint-order="stroke" transform="rotate({angle:.2} {mx_text} {my})">{}</text></g>"#,
            a.title,
            escape(&a.label),
            c = a.colour,
        );
    }

    if d.truncated {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="16" fill="orange">Additional network events not shown</text>"#,
            WIDTH / 2.0,
            bottom + 30.0
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, id: u64, src: &str, dest: &str, body: &str) -> String {
        format!(
            r#"{{"type":"{kind}","time":{id},"message":{{"id":{id},"src":"{src}","dest":"{dest}","body":{body}}}}}"#
        )
    }

    /// Send and delivery of one message.
    fn delivered(id: u64, src: &str, dest: &str, body: &str) -> [String; 2] {
        [
            event("send", id, src, dest, body),
            event("recv", id, src, dest, body),
        ]
    }

    fn journal() -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(delivered(
            0,
            "c1",
            "n1",
            r#"{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}"#,
        ));
        lines.extend(delivered(
            1,
            "n1",
            "c1",
            r#"{"type":"init_ok","in_reply_to":1}"#,
        ));
        lines.extend(delivered(
            2,
            "c2",
            "n1",
            r#"{"type":"echo","msg_id":1,"echo":"a < b & \"c\""}"#,
        ));
        lines.extend(delivered(3, "n1", "n2", r#"{"type":"gossip","value":1}"#));
        lines.extend(delivered(
            4,
            "n2",
            "n1",
            r#"{"type":"error","in_reply_to":1,"code":10,"text":"no <handler>"}"#,
        ));
        // Sent, never delivered (a partition): no arrow.
        lines.push(event(
            "send",
            5,
            "n1",
            "n2",
            r#"{"type":"gossip","value":2}"#,
        ));
        lines
    }

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn draws_one_arrow_per_delivered_message() {
        let svg = render(journal());
        assert_eq!(count(&svg, "marker-end="), 3);
        assert_eq!(count(&svg, r##"stroke="#81BFFC" stroke-width"##), 1);
        assert_eq!(count(&svg, r#"stroke="black" stroke-width"#), 1);
        assert_eq!(count(&svg, r##"stroke="#FF1E90" stroke-width"##), 1);
        assert!(svg.contains(">gossip {&quot;value&quot;:1}</text>"));
        assert!(svg.contains(">error no &lt;handler&gt;</text>"));
        assert!(!svg.contains("Additional network events"));
    }

    #[test]
    fn leaves_out_init() {
        let svg = render(journal());
        assert!(!svg.contains("init"));
        // Seven events remain, so the diagram ends seven steps below the top.
        let d = read(journal());
        assert_eq!(d.steps, 7);
        assert_eq!(d.arrows[0].send_step, 0);
        assert_eq!(d.arrows[0].recv_step, 1);
    }

    #[test]
    fn escapes_text() {
        let svg = render(journal());
        assert!(svg.contains("<title>c2 → n1 {"));
        assert!(svg.contains(r#"&quot;a &lt; b &amp; \&quot;c\&quot;&quot;"#));
        assert!(!svg.contains("a < b"));
        assert_eq!(escape("x\u{1}'y"), "x\u{FFFD}&apos;y");
    }

    #[test]
    fn truncates_long_labels() {
        let long = "x".repeat(100);
        let label = truncate(&format!("echo {long}"), MAX_LABEL);
        assert_eq!(label.chars().count(), MAX_LABEL);
        assert!(label.ends_with('…'));
        assert_eq!(truncate("short", MAX_LABEL), "short");
    }

    #[test]
    fn stops_at_the_limit_with_a_notice() {
        let mut lines = journal();
        for i in 0..(MAX_EVENTS as u64) {
            lines.extend(delivered(100 + i, "n1", "n2", r#"{"type":"ping"}"#));
        }
        let d = read(lines.iter());
        assert_eq!(d.steps, MAX_EVENTS);
        assert!(d.truncated);
        let svg = draw(&d);
        assert!(svg.contains(r#"fill="orange">Additional network events not shown"#));
        // 3 arrows from the small journal, then (10 000 - 7) / 2 whole pairs.
        assert_eq!(count(&svg, "marker-end="), 3 + (MAX_EVENTS - 7) / 2);

        // Exactly at the limit nothing is left out, so no notice.
        let exact: Vec<_> = lines.iter().take(MAX_EVENTS + 4).collect();
        assert!(!render(exact).contains("Additional network events"));
    }

    #[test]
    fn orders_participants() {
        let mut ids = vec!["lin-kv", "n10", "c1", "n2", "seq-kv", "n1", "c10", "c2"];
        ids.sort_by_key(|id| participant_key(id));
        assert_eq!(
            ids,
            ["c1", "c2", "c10", "n1", "n2", "n10", "lin-kv", "seq-kv"]
        );

        let mut lines = Vec::new();
        lines.extend(delivered(1, "n10", "lin-kv", r#"{"type":"read"}"#));
        lines.extend(delivered(2, "n2", "n10", r#"{"type":"read"}"#));
        let svg = render(lines);
        let pos = |id: &str| svg.find(&format!(">{id}</text>")).unwrap();
        assert!(pos("n2") < pos("n10"));
        assert!(pos("n10") < pos("lin-kv"));
    }

    #[test]
    fn repeats_labels_and_skips_odd_lines() {
        let mut lines = vec!["not json".to_string(), "{}".to_string()];
        for i in 0..60 {
            lines.extend(delivered(i, "n1", "n2", r#"{"type":"ping"}"#));
        }
        let svg = render(lines);
        // 120 events: labels at steps 0, 50 and 100.
        assert_eq!(count(&svg, ">n1</text>"), 3);
        assert_eq!(count(&svg, "marker-end="), 60);
    }

    /// The label serialises only the start of a long body, and cuts it where
    /// the whole text would have been cut, multi-byte characters included.
    #[test]
    fn labels_of_long_bodies_match_the_whole_text_cut() {
        for payload in [
            "x".repeat(300),
            "é€😀".repeat(100),
            format!("a{}", "😀".repeat(60)),
        ] {
            let body = serde_json::json!({"type": "t", "msg_id": 3, "z": payload, "a": [1, 2]});
            let mut rest = body.as_object().unwrap().clone();
            rest.retain(|k, _| !RESERVED.contains(&k.as_str()));
            let whole = format!("t {}", Value::Object(rest));
            let raw = serde_json::value::to_raw_value(&body).unwrap();
            assert_eq!(
                truncate(&label("t", false, Fields::of(&raw).as_ref()), MAX_LABEL),
                truncate(&whole, MAX_LABEL)
            );
        }
        let raw = serde_json::value::to_raw_value(&serde_json::json!({"type": "t", "msg_id": 1}));
        assert_eq!(label("t", false, Fields::of(&raw.unwrap()).as_ref()), "t");
        assert_eq!(
            escape("a\u{FFFE}b\u{FFFF}\u{FFFD}\t"),
            "a\u{FFFD}b\u{FFFD}\u{FFFD}\t"
        );
    }
}
