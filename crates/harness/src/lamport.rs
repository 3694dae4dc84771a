//! `messages.html`: the Lamport diagram of a test, drawn in the browser one
//! time window at a time.
//!
//! One column per participant (clients share one column unless the reader
//! asks for a column each), time flowing down, an arrow for every delivered
//! message from its send to its delivery, and a dashed line ending in a cross
//! for every dropped one, at the time and place it was dropped, with the
//! reason. Partitions are shaded bands, crashed and paused nodes' lines are
//! drawn red and dashed grey while they are down. Labels are placed where
//! they do not overlap; every arrow shows its whole label on hover.
//!
//! The page carries its data as compact JSON (one array per message) and draws
//! only the messages crossing the window on a canvas, so a run of any length
//! opens at once; beyond [`MAX_MESSAGES`] messages the rest is left out and
//! the page says so. `init`/`init_ok` are left out (every test has them).
//!
//! [`read`] is a pure function of the journal's lines (see [`crate::net::Journal`]
//! for their format), over a [`DiagramBuilder`] fed one line at a time;
//! [`write_html`] streams a stored `messages.jsonl` into it. A running test's
//! journal writer feeds its builder the events as it writes them, and the
//! test draws the page with [`write_html_from`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

use maelstrom_check::Op;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::fnv::IdMap;
use crate::net::is_client;
use crate::report::data::{cut_chars, push_json_str};
use crate::report::html::esc;

/// How many messages (after removing init traffic) the page carries.
pub const MAX_MESSAGES: usize = 250_000;
/// Characters of each message's text (type and payload) kept for its label
/// and tooltip.
const MAX_TEXT: usize = 160;

/// One message as drawn: times in microseconds since the test started.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// When it was sent.
    pub send: u64,
    /// When it was delivered or dropped; `None` if the journal says neither.
    pub end: Option<u64>,
    /// Index into [`Diagram::participants`].
    pub src: usize,
    /// Index into [`Diagram::participants`].
    pub dest: usize,
    /// Index into [`Diagram::types`].
    pub kind: usize,
    /// `None` when delivered, else the index of the drop's reason in
    /// [`Diagram::reasons`].
    pub dropped: Option<usize>,
    /// The body's type and payload, cut to [`MAX_TEXT`] characters.
    pub text: String,
}

/// What the page draws from the journal.
#[derive(Debug, Default)]
pub struct Diagram {
    /// Participant ids in first-seen order (the page sorts them).
    pub participants: Vec<String>,
    /// Body types in first-seen order.
    pub types: Vec<String>,
    /// Drop reasons in first-seen order.
    pub reasons: Vec<String>,
    /// Every message, in send order (a duplicated message's copies follow).
    pub arrows: Vec<Arrow>,
    /// Messages left out past [`MAX_MESSAGES`].
    pub left_out: u64,
}

/// An index of names: a few short ids looked up three times a message.
type NameIndex = IdMap<String, usize>;

/// A table of names, each given the next index when first seen.
fn intern(names: &mut Vec<String>, index: &mut NameIndex, name: &str) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    names.push(name.to_string());
    index.insert(name.to_string(), names.len() - 1);
    names.len() - 1
}

/// The fields of a journal line the diagram needs; the body is parsed only
/// for sends (a delivery repeats it).
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    time: u64,
    #[serde(default)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default, borrow)]
    message: Option<MessageHead<'a>>,
}

#[derive(Deserialize)]
struct MessageHead<'a> {
    id: u64,
    #[serde(borrow)]
    src: Cow<'a, str>,
    #[serde(borrow)]
    dest: Cow<'a, str>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
}

/// Reads journal lines into a [`Diagram`]. Lines that are not journal events
/// are skipped: a diagram is a convenience and must not fail on an odd line.
pub fn read<I>(lines: I) -> Diagram
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut b = DiagramBuilder::default();
    for line in lines {
        b.line(line.as_ref());
    }
    b.finish()
}

/// Builds a [`Diagram`] one journal event at a time, in journal order: fed
/// the lines of a stored `messages.jsonl` ([`DiagramBuilder::line`], what
/// [`read`] does), or the events themselves by the journal's writer as it
/// writes them ([`DiagramBuilder::send`] and the others), so a test's
/// diagram never re-reads the file it just wrote. Both give the same diagram.
#[derive(Debug, Default)]
pub struct DiagramBuilder {
    d: Diagram,
    pidx: NameIndex,
    tidx: NameIndex,
    ridx: NameIndex,
    /// Message id -> its first arrow. Init traffic never enters, so its
    /// deliveries and drops find nothing and are skipped.
    by_id: ArrowIndex,
    /// Past the limit, only the fates of messages already kept are read, for
    /// as long as one could still be in flight: until this time (µs).
    stop_after: Option<u64>,
    /// Set once an event comes after `stop_after`: the rest is ignored.
    done: bool,
}

impl DiagramBuilder {
    /// Reads one journal line; a line that is not a send, delivery or drop
    /// (a duplicate, or not an event at all) is skipped.
    pub fn line(&mut self, line: &str) {
        match event(line) {
            Some(Event::Send {
                time,
                id,
                src,
                dest,
                body,
            }) => self.send(time, id, &src, &dest, body),
            Some(Event::Recv { time, id }) => self.deliver(time, id),
            Some(Event::Drop { time, id, reason }) => self.drop(time, id, &reason),
            None => {}
        }
    }

    /// A send at `time_ns` of message `id`, whose body is the JSON text `body`.
    pub fn send(&mut self, time_ns: u64, id: u64, src: &str, dest: &str, body: &str) {
        let Some(us) = self.open(time_ns) else { return };
        // Only the type and the first characters of the payload are
        // kept, so the body is scanned, never parsed into values.
        let (body_type, text) = describe(body).unwrap_or_else(|| ("?".into(), "?".into()));
        if body_type == "init" || body_type == "init_ok" {
            return;
        }
        self.push_arrow(us, id, src, dest, &body_type, text);
    }

    /// Draws message `id`, sent at `us`, unless the diagram is full.
    fn push_arrow(&mut self, us: u64, id: u64, src: &str, dest: &str, kind: &str, text: String) {
        let d = &mut self.d;
        if d.arrows.len() >= MAX_MESSAGES {
            d.left_out += 1;
            // A minute is longer than any RPC timeout: messages
            // still unresolved by then are drawn as never delivered.
            self.stop_after.get_or_insert(us + 60_000_000);
            return;
        }
        let arrow = Arrow {
            send: us,
            end: None,
            src: intern(&mut d.participants, &mut self.pidx, src),
            dest: intern(&mut d.participants, &mut self.pidx, dest),
            kind: intern(&mut d.types, &mut self.tidx, kind),
            dropped: None,
            text,
        };
        self.by_id.insert(id, d.arrows.len());
        d.arrows.push(arrow);
    }

    /// [`DiagramBuilder::send`] for `body`, whose JSON the caller wrote as
    /// `json`, its fields beginning at `fields_at` (the `,` before the first,
    /// or the closing `}`: [`Body::write_json_marking_fields`]): the label is
    /// cut from the fields' text and the type taken from the body, so the
    /// body is not scanned. Errors (labelled by code and text) and bodies
    /// with a reserved key among their fields are scanned as before.
    ///
    /// [`Body::write_json_marking_fields`]: maelstrom_proto::Body::write_json_marking_fields
    pub fn send_fields(
        &mut self,
        time_ns: u64,
        id: u64,
        (src, dest): (&str, &str),
        body: &maelstrom_proto::Body,
        json: &str,
        fields_at: usize,
    ) {
        let kind = body.kind.as_str();
        let reserved = ["type", "msg_id", "in_reply_to"];
        if body.is_error() || reserved.iter().any(|k| body.fields.contains_key(*k)) {
            return self.send(time_ns, id, src, dest, json);
        }
        let fields = &json[fields_at..];
        let Some(us) = self.open(time_ns) else { return };
        if kind == "init" || kind == "init_ok" {
            return;
        }
        let text = label(kind, fields);
        self.push_arrow(us, id, src, dest, kind, text);
    }

    /// A delivery at `time_ns` of (a copy of) message `id`.
    pub fn deliver(&mut self, time_ns: u64, id: u64) {
        if let Some(us) = self.open(time_ns) {
            fate(&mut self.d, &self.by_id, id, us, None);
        }
    }

    /// A drop at `time_ns` of (a copy of) message `id`, for `reason`.
    pub fn drop(&mut self, time_ns: u64, id: u64, reason: &str) {
        if let Some(us) = self.open(time_ns) {
            let r = intern(&mut self.d.reasons, &mut self.ridx, reason);
            fate(&mut self.d, &self.by_id, id, us, Some(r));
        }
    }

    /// The diagram so far.
    pub fn finish(self) -> Diagram {
        self.d
    }

    /// The event's time in µs, or `None` once reading has stopped (the
    /// journal is in time order, so everything after is past it too).
    fn open(&mut self, time_ns: u64) -> Option<u64> {
        let us = time_ns / 1000;
        if self.stop_after.is_some_and(|t| us > t) {
            self.done = true;
        }
        (!self.done).then_some(us)
    }
}

/// One journal event, as the diagram needs it.
enum Event<'a> {
    Send {
        time: u64,
        id: u64,
        src: Cow<'a, str>,
        dest: Cow<'a, str>,
        /// The body's JSON text.
        body: &'a str,
    },
    Recv {
        time: u64,
        id: u64,
    },
    Drop {
        time: u64,
        id: u64,
        reason: Cow<'a, str>,
    },
}

/// Reads one journal line: sends and deliveries as [`crate::net::Journal`]
/// writes them through [`fast_event`] (a delivery's body, half the journal,
/// is never parsed), anything else through serde.
fn event(line: &str) -> Option<Event<'_>> {
    if let Some(ev) = fast_event(line) {
        return Some(ev);
    }
    let ev: Line = serde_json::from_str(line).ok()?;
    match (ev.kind.as_ref(), ev.message) {
        ("send", Some(m)) => Some(Event::Send {
            time: ev.time,
            id: m.id,
            src: m.src,
            dest: m.dest,
            body: m.body.map_or("null", RawValue::get),
        }),
        ("recv", Some(m)) => Some(Event::Recv {
            time: ev.time,
            id: m.id,
        }),
        ("drop", None) => Some(Event::Drop {
            time: ev.time,
            id: ev.id?,
            reason: ev.reason.unwrap_or(Cow::Borrowed("dropped")),
        }),
        _ => None,
    }
}

/// The fixed prefix the journal writes before a send's or a delivery's
/// fields: `{"type":"send","time":N,"message":{"id":M,"src":"S","dest":"D","body":B}}`.
/// `None` for any other shape (escaped ids included), left to serde.
fn fast_event(line: &str) -> Option<Event<'_>> {
    let (is_send, rest) = if let Some(r) = line.strip_prefix(r#"{"type":"send","time":"#) {
        (true, r)
    } else {
        (false, line.strip_prefix(r#"{"type":"recv","time":"#)?)
    };
    let (time, rest) = number(rest)?;
    let (id, rest) = number(rest.strip_prefix(r#","message":{"id":"#)?)?;
    if !is_send {
        return Some(Event::Recv { time, id });
    }
    let (src, rest) = plain_string(rest.strip_prefix(r#","src":"#)?)?;
    let (dest, rest) = plain_string(rest.strip_prefix(r#","dest":"#)?)?;
    let body = rest.strip_prefix(r#","body":"#)?.strip_suffix("}}")?;
    Some(Event::Send {
        time,
        id,
        src: Cow::Borrowed(src),
        dest: Cow::Borrowed(dest),
        body,
    })
}

/// A leading decimal number and the rest.
fn number(s: &str) -> Option<(u64, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// A leading JSON string without escapes, its content and the rest.
fn plain_string(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let end = s.bytes().position(|b| b == b'"' || b == b'\\')?;
    (s.as_bytes()[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
}

/// Message id -> its first arrow. The network numbers messages 0, 1, 2, ...,
/// so ids are dense and a table serves (a hash map cost the journal's
/// thread a tenth of its time); an id past [`ArrowIndex::DENSE`] (a journal
/// from elsewhere) goes to a map, so no id can make the table huge.
#[derive(Debug, Default)]
struct ArrowIndex {
    dense: Vec<u32>,
    sparse: HashMap<u64, usize>,
}

impl ArrowIndex {
    const NONE: u32 = u32::MAX;
    /// Four times the messages a diagram keeps: 4 MB of table at most.
    const DENSE: u64 = 4 * MAX_MESSAGES as u64;

    fn insert(&mut self, id: u64, arrow: usize) {
        match u32::try_from(arrow) {
            Ok(a) if id < Self::DENSE && a != Self::NONE => {
                let id = id as usize;
                if id >= self.dense.len() {
                    self.dense.resize(id + 1, Self::NONE);
                }
                self.dense[id] = a;
            }
            _ => {
                self.sparse.insert(id, arrow);
            }
        }
    }

    fn get(&self, id: u64) -> Option<usize> {
        let dense = usize::try_from(id).ok().and_then(|i| self.dense.get(i));
        match dense {
            Some(&a) if a != Self::NONE => Some(a as usize),
            _ => self.sparse.get(&id).copied(),
        }
    }
}

/// Records a delivery or drop of message `id`: the first fate goes to its
/// arrow; a later one (a duplicate's copy) gets an arrow of its own.
fn fate(d: &mut Diagram, by_id: &ArrowIndex, id: u64, us: u64, dropped: Option<usize>) {
    let Some(i) = by_id.get(id) else { return };
    if d.arrows[i].end.is_none() {
        d.arrows[i].end = Some(us);
        d.arrows[i].dropped = dropped;
    } else if d.arrows.len() < MAX_MESSAGES {
        let mut copy = d.arrows[i].clone();
        copy.end = Some(us);
        copy.dropped = dropped;
        d.arrows.push(copy);
    }
}

/// A body's `type`, and its text: the type and what the message carries, an
/// error's code and text, otherwise the fields but the keys every message has
/// (they would crowd out the payload), in the body's order, cut to
/// [`MAX_TEXT`] characters. The body is scanned as bytes: a payload can hold
/// thousands of values and only its first characters are kept, so once the
/// type is known and the label full the rest is not read. `None` if the body
/// is not a JSON object (as far as it is read).
fn describe(body: &str) -> Option<(String, String)> {
    describe_scan(body, true)
}

/// [`describe`]; without `stop_early`, every body is scanned to its end (what
/// the tests compare against).
fn describe_scan(body: &str, stop_early: bool) -> Option<(String, String)> {
    let b = body.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let budget = 4 * (MAX_TEXT + 1);
    let (mut kind, mut code, mut error_text) = (None, None, None);
    let mut payload = String::with_capacity(2 * MAX_TEXT);
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b'}' => break,
            b'"' => {}
            _ => return None,
        }
        let key_end = string_end(b, i)?;
        let key = &body[i..key_end];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let v0 = skip_ws(b, i + 1);
        // Once the type is known (and is not an error's, labelled by its
        // code and text), nothing after a payload that fills the label can
        // change it: a long value (a read's thousands of numbers) is read
        // only as far as the label takes, not scanned to its end.
        let settled = stop_early && kind.as_deref().is_some_and(|k| k != "error");
        if settled
            && payload.len() < budget
            && !matches!(key, r#""type""# | r#""msg_id""# | r#""in_reply_to""#)
        {
            let room = budget.saturating_sub(payload.len() + key.len() + 2);
            if value_is_long(b, v0, room) {
                push_field(&mut payload, key, &body[v0..], room);
                break;
            }
        }
        let v1 = value_end(b, v0)?;
        let value = &body[v0..v1];
        match key {
            r#""type""# => {
                // Most types need no unescaping: taken between the quotes.
                let plain = value.len() >= 2 && value.starts_with('"') && !value.contains('\\');
                kind = Some(if plain {
                    value[1..value.len() - 1].to_string()
                } else {
                    serde_json::from_str::<String>(value).ok()?
                });
            }
            r#""msg_id""# | r#""in_reply_to""# => {}
            _ => {
                if key == r#""code""# {
                    code = Some(value);
                } else if key == r#""text""# {
                    error_text = Some(value);
                }
                if payload.len() < budget {
                    let room = budget.saturating_sub(payload.len() + key.len() + 2);
                    push_field(&mut payload, key, value, room);
                }
            }
        }
        i = skip_ws(b, v1);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    let kind = kind.unwrap_or_else(|| "?".to_string());
    let mut out = String::with_capacity(kind.len() + 1 + payload.len() + 1);
    out.push_str(&kind);
    if kind == "error" {
        if let Some(c) = code {
            out.push(' ');
            out.push_str(c);
        }
        match error_text.map(|t| (t, serde_json::from_str::<String>(t))) {
            Some((_, Ok(t))) => {
                out.push(' ');
                out.push_str(&t);
            }
            Some(("null", _)) | None => {}
            Some((raw, Err(_))) => {
                out.push(' ');
                out.push_str(raw);
            }
        }
    } else if !payload.is_empty() {
        payload.push('}');
        out.push(' ');
        out.push_str(&payload);
    }
    // Cut only when too long (cut_chars copies either way).
    let text = if out.len() <= MAX_TEXT {
        out
    } else {
        cut_chars(&out, MAX_TEXT)
    };
    Some((kind, text))
}

/// The label of a body of type `kind` (not an error) whose fields' JSON is
/// `fields` (from the `,` before the first to the closing `}`): what
/// [`describe`] gives for its JSON. Only the first [`MAX_TEXT`] characters
/// can show, so no more of a long payload is copied than could.
fn label(kind: &str, fields: &str) -> String {
    if fields.len() <= 1 {
        // No fields: the type alone.
        return cut_chars(kind, MAX_TEXT);
    }
    // Four bytes a character at most: past this many bytes the label is cut
    // whatever follows.
    let room = 4 * (MAX_TEXT + 1);
    let mut take = (fields.len() - 1).min(room);
    while !fields[1..].is_char_boundary(take) {
        take -= 1;
    }
    let mut out = String::with_capacity(kind.len() + 2 + take);
    out.push_str(kind);
    out.push_str(" {");
    out.push_str(&fields[1..1 + take]);
    if out.len() <= MAX_TEXT {
        out
    } else {
        cut_chars(&out, MAX_TEXT)
    }
}

/// Appends `key:value` to a label's payload (`{` first, `,` after), the value
/// cut to `room` bytes (at a character boundary).
fn push_field(payload: &mut String, key: &str, value: &str, room: usize) {
    payload.push(if payload.is_empty() { '{' } else { ',' });
    payload.push_str(key);
    payload.push(':');
    let mut take = value.len().min(room);
    while !value.is_char_boundary(take) {
        take -= 1;
    }
    payload.push_str(&value[..take]);
}

/// Whether the JSON value starting at `b[i]` is longer than `room` bytes,
/// looking no further than one byte past that. Not when the text ends
/// first: a short rest is read in full (and checked) as before.
fn value_is_long(b: &[u8], i: usize, room: usize) -> bool {
    let cut = i + room + 1;
    if cut >= b.len() {
        return false;
    }
    // A string or container cut short has no end; a number or literal cut
    // short ends at the cut.
    !matches!(value_end(&b[..cut], i), Some(end) if end < cut)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index just past the JSON string starting at `b[i]` (a `"`).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The index just past the JSON value starting at `b[i]`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Participant order: by letter prefix, then by number (so n2 comes before
/// n10); ids without digits (the services) come last, by name.
pub fn participant_key(id: &str) -> (bool, &str, u64, &str) {
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

/// A fault the page marks: a partition (a band over every line), or one
/// node crashed or paused (its line drawn differently). Times in µs.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// `partition`, `crashed` or `paused`.
    pub kind: &'static str,
    /// The node, for `crashed` and `paused`.
    pub node: Option<String>,
    /// Start, µs.
    pub start: u64,
    /// End, µs (the end of the history if never undone).
    pub end: u64,
    /// What a reader sees on hover: the partition's shape and sides.
    pub detail: String,
}

/// The faults of a history, from the nemesis's operations: a partition from
/// `start-partition` to `stop-partition`, each killed node from `kill` to the
/// `start` that lists it, each paused node from `pause` to `resume`.
pub fn faults(ops: &[Op]) -> Vec<Fault> {
    let end = ops.iter().map(|o| o.time).max().unwrap_or(0) / 1000;
    let mut out = Vec::new();
    let mut partition: Option<(u64, String)> = None;
    // (kind, node) -> start.
    let mut down: BTreeMap<(&'static str, String), u64> = BTreeMap::new();
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for op in ops.iter().filter(|o| !o.is_client()) {
        let t = op.time / 1000;
        match op.f.as_str() {
            "start-partition" => {
                if let Some((s, detail)) = partition.take() {
                    out.push(partition_fault(s, t, detail));
                }
                partition = Some((t, partition_detail(&op.value)));
            }
            "stop-partition" => {
                if let Some((s, detail)) = partition.take() {
                    out.push(partition_fault(s, t, detail));
                }
            }
            f @ ("kill" | "pause") => {
                let kind = if f == "kill" { "crashed" } else { "paused" };
                for n in names(&op.value) {
                    down.entry((kind, n)).or_insert(t);
                }
            }
            f @ ("start" | "resume") => {
                let kind = if f == "start" { "crashed" } else { "paused" };
                for n in names(&op.value) {
                    if let Some(s) = down.remove(&(kind, n.clone())) {
                        out.push(node_fault(kind, n, s, t));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((s, detail)) = partition {
        out.push(partition_fault(s, end, detail));
    }
    for ((kind, n), s) in down {
        out.push(node_fault(kind, n, s, end));
    }
    out.sort_by_key(|f| (f.start, f.end));
    out
}

fn partition_fault(start: u64, end: u64, detail: String) -> Fault {
    Fault {
        kind: "partition",
        node: None,
        start,
        end,
        detail,
    }
}

fn node_fault(kind: &'static str, node: String, start: u64, end: u64) -> Fault {
    let detail = format!("{node} {kind}");
    Fault {
        kind,
        node: Some(node),
        start,
        end,
        detail,
    }
}

/// A partition in words: its shape and its sides, the nodes that drop the
/// same peers grouped together (`majority: n0 n2 | n1 n3 n4`).
fn partition_detail(v: &Value) -> String {
    let spec = v["spec"].as_str().unwrap_or("partition").to_string();
    let Some(grudge) = v["grudge"].as_object() else {
        return spec;
    };
    let mut sides: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (node, dropped) in grudge {
        sides.entry(dropped.to_string()).or_default().push(node);
    }
    let mut groups: Vec<Vec<&str>> = sides.into_values().collect();
    for g in &mut groups {
        g.sort_by_key(|id| participant_key(id));
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let words: Vec<String> = groups.iter().map(|g| g.join(" ")).collect();
    cut_chars(&format!("{spec}: {}", words.join(" | ")), 600)
}

/// Reads `dir/messages.jsonl` and writes `dir/messages.html` beside it,
/// marking the faults found in `ops`: for a stored test, whose journal is
/// all there is.
pub fn write_html(dir: &Path, workload: &str, ops: &[Op]) -> std::io::Result<()> {
    let file = std::fs::File::open(dir.join("messages.jsonl"))?;
    let mut read_error = None;
    let lines = std::io::BufReader::with_capacity(1 << 16, file)
        .lines()
        .map_while(|l| l.map_err(|e| read_error = Some(e)).ok());
    let d = read(lines);
    if let Some(e) = read_error {
        return Err(e);
    }
    write_html_from(dir, workload, ops, &d)
}

/// Writes `dir/messages.html` from a diagram already built (by the journal's
/// writer as it wrote `messages.jsonl`), marking the faults found in `ops`.
pub fn write_html_from(dir: &Path, workload: &str, ops: &[Op], d: &Diagram) -> std::io::Result<()> {
    let end = ops.iter().map(|o| o.time / 1000).max().unwrap_or(0);
    let page = render(workload, d, &faults(ops), end);
    std::fs::write(dir.join("messages.html"), page)
}

/// The page's data as JSON: participants, types, reasons, messages as
/// `[send, end|-1, src, dest, type, reason|-1, text]`, faults as
/// `[kind, node|null, start, end, detail]`, times in µs.
pub fn data_json(d: &Diagram, faults: &[Fault], end: u64) -> String {
    let mut s = String::with_capacity(256 + d.arrows.len() * 96);
    let list = |s: &mut String, names: &[String]| {
        s.push('[');
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            push_json_str(s, n);
        }
        s.push(']');
    };
    let last = d
        .arrows
        .iter()
        .map(|a| a.end.unwrap_or(a.send))
        .max()
        .unwrap_or(0)
        .max(end);
    let _ = write!(s, "{{\"end\":{last},\"leftOut\":{},\"nodes\":", d.left_out);
    list(&mut s, &d.participants);
    s.push_str(",\"clients\":[");
    let mut first = true;
    for (i, p) in d.participants.iter().enumerate() {
        if is_client(p) {
            if !first {
                s.push(',');
            }
            first = false;
            let _ = write!(s, "{i}");
        }
    }
    s.push_str("],\"types\":");
    list(&mut s, &d.types);
    s.push_str(",\"reasons\":");
    list(&mut s, &d.reasons);
    s.push_str(",\"msgs\":[");
    for (i, a) in d.arrows.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        // Pushed digit by digit: the formatting machinery cost more than
        // the rest of the page (six numbers for each of 20,000 arrows).
        s.push('[');
        push_u64(&mut s, a.send);
        s.push(',');
        push_opt(&mut s, a.end);
        for n in [a.src, a.dest, a.kind] {
            s.push(',');
            push_u64(&mut s, n as u64);
        }
        s.push(',');
        push_opt(&mut s, a.dropped.map(|r| r as u64));
        s.push(',');
        push_json_str(&mut s, &a.text);
        s.push(']');
    }
    s.push_str("],\"faults\":[");
    for (i, f) in faults.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        push_json_str(&mut s, f.kind);
        s.push(',');
        match &f.node {
            Some(n) => push_json_str(&mut s, n),
            None => s.push_str("null"),
        }
        let _ = write!(s, ",{},{},", f.start, f.end);
        push_json_str(&mut s, &f.detail);
        s.push(']');
    }
    s.push_str("]}");
    s
}

/// `n` in decimal.
fn push_u64(s: &mut String, n: u64) {
    maelstrom_proto::json_out::push_u64(s, n);
}

/// `n` in decimal, or `-1` for none.
fn push_opt(s: &mut String, n: Option<u64>) {
    match n {
        Some(n) => push_u64(s, n),
        None => s.push_str("-1"),
    }
}

const MESSAGES_JS: &str = include_str!("report/messages.js");
const MESSAGES_CSS: &str = include_str!("report/pages.css");

/// The whole page.
pub fn render(workload: &str, d: &Diagram, faults: &[Fault], end: u64) -> String {
    let data = data_json(d, faults, end);
    let mut h = String::with_capacity(data.len() + MESSAGES_JS.len() + 4096);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{w} — messages</title><style>{MESSAGES_CSS}</style></head><body>\n\
         <header><a href=\"index.html\">{w} report</a> · <a href=\"timeline.html\">timeline</a> · \
         <b>messages</b> <span id=\"summary\"></span><div class=\"controls\">\
         <button id=\"prev\" title=\"earlier window (PageUp)\">◀ earlier</button>\
         <button id=\"next\" title=\"later window (PageDown)\">later ▶</button>\
         <button id=\"zin\" title=\"zoom in (+)\">+</button><button id=\"zout\" title=\"zoom out (-)\">−</button>\
         <label>from <input id=\"from\" size=\"8\"> ms</label> <label>window <input id=\"span\" size=\"6\"> ms</label>\
         <label><input type=\"checkbox\" id=\"eachClient\"> a column per client</label>\
         <label><input type=\"checkbox\" id=\"showClients\" checked> client messages</label>\
         <label><input type=\"checkbox\" id=\"showLabels\" checked> labels</label>\
         </div><div id=\"legend\"></div></header>\n\
         <div id=\"wrap\"><canvas id=\"canvas\"></canvas></div><div id=\"tip\" hidden></div>\n\
         <noscript>This page draws with JavaScript; messages.jsonl holds the same data.</noscript>\n\
         <script type=\"application/json\" id=\"data\">",
        w = esc(workload)
    );
    h.push_str(&data);
    h.push_str("</script>\n<script>");
    h.push_str(MESSAGES_JS);
    h.push_str("</script>\n</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_index_finds_dense_and_far_ids_and_nothing_else() {
        let mut index = ArrowIndex::default();
        index.insert(0, 0);
        index.insert(7, 1);
        index.insert(u64::MAX, 2);
        index.insert(ArrowIndex::DENSE, 3);
        assert_eq!(index.get(0), Some(0));
        assert_eq!(index.get(7), Some(1));
        assert_eq!(index.get(u64::MAX), Some(2));
        assert_eq!(index.get(ArrowIndex::DENSE), Some(3));
        assert_eq!(index.get(3), None);
        assert_eq!(index.get(8), None);
        assert_eq!(index.get(1 << 40), None);
        assert!(index.dense.len() <= 8);
    }
    use maelstrom_check::OpType;
    use serde_json::json;

    fn event(kind: &str, ms: u64, id: u64, src: &str, dest: &str, body: &str) -> String {
        format!(
            r#"{{"type":"{kind}","time":{},"message":{{"id":{id},"src":"{src}","dest":"{dest}","body":{body}}}}}"#,
            ms * 1_000_000
        )
    }

    fn drop(ms: u64, id: u64, reason: &str) -> String {
        format!(
            r#"{{"type":"drop","time":{},"reason":"{reason}","id":{id},"src":"x","dest":"y"}}"#,
            ms * 1_000_000
        )
    }

    fn journal() -> Vec<String> {
        vec![
            event(
                "send",
                0,
                0,
                "c1",
                "n1",
                r#"{"type":"init","msg_id":1,"node_id":"n1"}"#,
            ),
            event(
                "recv",
                0,
                0,
                "c1",
                "n1",
                r#"{"type":"init","msg_id":1,"node_id":"n1"}"#,
            ),
            event(
                "send",
                1,
                1,
                "c2",
                "n1",
                r#"{"type":"echo","msg_id":1,"echo":"</script>"}"#,
            ),
            event(
                "recv",
                1,
                1,
                "c2",
                "n1",
                r#"{"type":"echo","msg_id":1,"echo":"</script>"}"#,
            ),
            event(
                "send",
                2,
                2,
                "n1",
                "n10",
                r#"{"type":"gossip","value":[1,2]}"#,
            ),
            event(
                "send",
                2,
                3,
                "n1",
                "n2",
                r#"{"type":"gossip","value":[1,2]}"#,
            ),
            "not a journal line".to_string(),
            r#"{"type":"duplicate","time":2000000,"id":2,"src":"n1","dest":"n10"}"#.to_string(),
            event(
                "recv",
                102,
                2,
                "n1",
                "n10",
                r#"{"type":"gossip","value":[1,2]}"#,
            ),
            drop(102, 3, "partitioned"),
            drop(103, 2, "crashed"),
            event(
                "send",
                104,
                4,
                "n2",
                "n1",
                r#"{"type":"error","in_reply_to":1,"code":11,"text":"no leader"}"#,
            ),
        ]
    }

    #[test]
    fn lamport_reads_deliveries_drops_and_duplicates() {
        let d = read(journal());
        assert_eq!(d.participants, vec!["c2", "n1", "n10", "n2"]);
        assert_eq!(d.types, vec!["echo", "gossip", "error"]);
        assert_eq!(d.reasons, vec!["partitioned", "crashed"]);
        let got: Vec<_> = d
            .arrows
            .iter()
            .map(|a| (a.send, a.end, a.src, a.dest, a.dropped, a.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1000, Some(1000), 0, 1, None, r#"echo {"echo":"</script>"}"#),
                (2000, Some(102_000), 1, 2, None, r#"gossip {"value":[1,2]}"#),
                (
                    2000,
                    Some(102_000),
                    1,
                    3,
                    Some(0),
                    r#"gossip {"value":[1,2]}"#
                ),
                // The duplicate's copy, dropped because n10 crashed.
                (
                    2000,
                    Some(103_000),
                    1,
                    2,
                    Some(1),
                    r#"gossip {"value":[1,2]}"#
                ),
                (104_000, None, 3, 1, None, "error 11 no leader"),
            ]
        );
        assert_eq!(d.left_out, 0);
    }

    #[test]
    fn lamport_labels_are_cut() {
        let xs = serde_json::to_string(&vec![7; 500]).unwrap();
        let long = format!(r#"{{"type":"big","msg_id":3,"xs":{xs}}}"#);
        let d = read([event("send", 0, 9, "n1", "n2", &long)]);
        assert_eq!(d.arrows[0].text.chars().count(), MAX_TEXT);
        assert!(d.arrows[0].text.starts_with(r#"big {"xs":[7,7"#));
        assert!(d.arrows[0].text.ends_with('…'));
    }

    #[test]
    fn lamport_orders_participants() {
        let mut ids = vec!["lin-kv", "n10", "c3", "n2", "n1", "c10"];
        ids.sort_by_key(|id| participant_key(id));
        assert_eq!(ids, vec!["c3", "c10", "n1", "n2", "n10", "lin-kv"]);
    }

    fn nemesis(f: &str, value: Value, ms: u64) -> Op {
        let mut o = Op::new(0, OpType::Info, maelstrom_check::history::NEMESIS, f, value);
        o.time = ms * 1_000_000;
        o
    }

    #[test]
    fn lamport_faults_from_the_nemesis() {
        let grudge = json!({"spec": "majority", "grudge": {
            "n1": ["n3"], "n2": ["n3"], "n3": ["n1", "n2"]}});
        let ops = vec![
            nemesis("start-partition", grudge, 10),
            nemesis("kill", json!(["n2"]), 20),
            nemesis("stop-partition", json!("healed"), 30),
            nemesis("pause", json!(["n1", "n3"]), 40),
            nemesis("start", json!(["n2"]), 50),
            nemesis("resume", json!(["n1"]), 60),
            nemesis("noop", Value::Null, 70),
        ];
        let f = faults(&ops);
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.kind, f.node.as_deref(), f.start, f.end, f.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("partition", None, 10_000, 30_000, "majority: n1 n2 | n3"),
                ("crashed", Some("n2"), 20_000, 50_000, "n2 crashed"),
                ("paused", Some("n1"), 40_000, 60_000, "n1 paused"),
                // Never resumed: until the end of the history.
                ("paused", Some("n3"), 40_000, 70_000, "n3 paused"),
            ]
        );
    }

    #[test]
    fn lamport_page_carries_its_data_as_json() {
        let d = read(journal());
        let f = faults(&[nemesis("kill", json!(["n1"]), 5)]);
        let page = render("echo <1>", &d, &f, 200_000);
        assert!(page.contains("<title>echo &lt;1&gt; — messages</title>"));
        // Only the page's own two scripts end: the data cannot close one.
        assert_eq!(page.matches("</script>").count(), 2);
        let start = page.find("id=\"data\">").unwrap() + "id=\"data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let v: Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(v["end"], 200_000);
        assert_eq!(v["clients"], json!([0]));
        assert_eq!(v["msgs"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["msgs"][2],
            json!([2000, 102_000, 1, 3, 1, 0, "gossip {\"value\":[1,2]}"])
        );
        assert_eq!(v["msgs"][4][1], -1);
        assert_eq!(
            v["faults"],
            json!([["crashed", "n1", 5000, 5000, "n1 crashed"]])
        );
    }
}

#[cfg(test)]
mod fast_tests {
    use super::*;

    #[test]
    fn lamport_fast_and_serde_paths_agree() {
        let plain = r#"{"type":"send","time":5000,"message":{"id":3,"src":"n1","dest":"n2","body":{"type":"a"}}}"#;
        let escaped = r#"{"type":"send","time":5000,"message":{"id":3,"src":"n\"1","dest":"n2","body":{"type":"a"}}}"#;
        assert!(fast_event(plain).is_some());
        // An escaped id is left to serde, which reads it whole.
        assert!(fast_event(escaped).is_none());
        let d = read([plain, escaped]);
        assert_eq!(d.participants, vec!["n1", "n2", "n\"1"]);
        assert_eq!(d.arrows.len(), 2);
        assert_eq!((d.arrows[1].send, d.arrows[1].text.as_str()), (5, "a"));
        let recv = r#"{"type":"recv","time":9000,"message":{"id":3,"src":"n1","dest":"n2","body":{"type":"a"}}}"#;
        assert!(matches!(
            fast_event(recv),
            Some(Event::Recv { time: 9000, id: 3 })
        ));
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn lamport_describe_scans_bodies() {
        let d = |s: &str| describe(s).map(|(k, t)| format!("{k}|{t}"));
        assert_eq!(
            d(r#"{"type":"g","msg_id":1,"s":"a\"}]{","n":[1,{"x":"]"}],"z":null}"#).as_deref(),
            Some(r#"g|g {"s":"a\"}]{","n":[1,{"x":"]"}],"z":null}"#)
        );
        // The body's order, and the type found after the payload.
        assert_eq!(
            d(r#"{ "b" : 2 , "a" : true, "type" : "t" }"#).as_deref(),
            Some(r#"t|t {"b":2,"a":true}"#)
        );
        assert_eq!(
            d(r#"{"type":"error","in_reply_to":4,"code":22,"text":"not \"1\""}"#).as_deref(),
            Some(r#"error|error 22 not "1""#)
        );
        assert_eq!(
            d(r#"{"type":"read_ok"}"#).as_deref(),
            Some("read_ok|read_ok")
        );
        assert_eq!(d("[1]"), None);
        assert_eq!(d(r#"{"type":"x","a":"#), None);
    }

    /// A random JSON value, sometimes long, with multi-byte characters.
    fn value(rng: &mut impl rand::Rng, depth: u32) -> String {
        match rng.random_range(0..if depth > 2 { 4 } else { 6 }) {
            0 => rng.random_range(0..100_000u64).to_string(),
            1 => ["null", "true", "-1.5e3"][rng.random_range(0..3)].to_string(),
            2 => {
                let n = rng.random_range(0..300);
                let s: String = (0..n)
                    .map(|i| ['a', 'é', '"', '😀', ' ', '\\'][(i * 7 + n) % 6])
                    .collect();
                serde_json::Value::from(s).to_string()
            }
            3 => format!(
                "[{}]",
                (0..rng.random_range(0..400))
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            4 => format!("[{},{}]", value(rng, depth + 1), value(rng, depth + 1)),
            _ => format!(
                "{{\"k\":{},\"l\":{}}}",
                value(rng, depth + 1),
                value(rng, depth + 1)
            ),
        }
    }

    /// Up to four random `"key":value` fields, and an error's code and text
    /// when `kind` is `error`.
    fn random_fields(rng: &mut impl rand::Rng, kind: &str) -> Vec<String> {
        let mut fields: Vec<String> = (0..rng.random_range(0..5))
            .map(|i| format!("\"f{i}\":{}", value(rng, 0)))
            .collect();
        if kind == "error" {
            fields.push(format!("\"code\":{}", rng.random_range(0..30)));
            fields.push(format!("\"text\":{}", value(rng, 3)));
        }
        fields
    }

    #[test]
    fn lamport_describe_stops_early_with_the_same_label() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..3000 {
            let kind = ["gossip", "error", "read_ok"][rng.random_range(0..3)];
            let mut fields = random_fields(&mut rng, kind);
            let at = rng.random_range(0..=fields.len());
            fields.insert(at, format!("\"type\":\"{kind}\""));
            let body = format!("{{{}}}", fields.join(","));
            assert_eq!(describe(&body), describe_scan(&body, false), "{body}");
            assert!(describe(&body).is_some(), "{body}");
        }
    }

    /// A body the journal wrote gets the same arrow from its fields as from
    /// scanning its JSON: errors, empty bodies, long and multi-byte payloads,
    /// and reserved keys among the fields included.
    #[test]
    fn lamport_labels_from_fields_as_from_json() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for n in 0..3000 {
            let kind = ["gossip", "error", "read_ok", "init", "ty\"pe é"][rng.random_range(0..5)];
            let mut fields = random_fields(&mut rng, kind);
            fields.push(format!("\"type\":{}", serde_json::Value::from(kind)));
            fields.push(format!("\"msg_id\":{n}"));
            let json = format!("{{{}}}", fields.join(","));
            let mut body =
                maelstrom_proto::Body::from_value(serde_json::from_str(&json).unwrap()).unwrap();
            if n % 10 == 0 {
                // A reserved key among the fields: the scan decides.
                body = body.with("in_reply_to", serde_json::json!("x"));
            }
            let mut written = Vec::new();
            let at = body.write_json_marking_fields(&mut written).unwrap();
            let written = String::from_utf8(written).unwrap();
            let (mut by_fields, mut by_json) =
                (DiagramBuilder::default(), DiagramBuilder::default());
            by_fields.send_fields(1000, 1, ("n1", "n2"), &body, &written, at);
            by_json.send(1000, 1, "n1", "n2", &written);
            let (a, b) = (by_fields.finish(), by_json.finish());
            assert_eq!(a.arrows, b.arrows, "{written}");
            assert_eq!(a.types, b.types, "{written}");
        }
    }
}
