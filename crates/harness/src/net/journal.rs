//! The message journal: every send, every delivery and every drop, one JSON
//! object per line.
//!
//! ```text
//! {"type":"send","time":1200,"message":{"id":7,"src":"n1","dest":"n2","body":{…}}}
//! {"type":"recv","time":5300,"message":{"id":7,"src":"n1","dest":"n2","body":{…}}}
//! {"type":"drop","time":5300,"reason":"partitioned","id":7,"src":"n1","dest":"n2"}
//! {"type":"duplicate","time":1200,"id":7,"src":"n1","dest":"n2"}
//! ```
//!
//! `time` is nanoseconds since the test started. A drop or a duplicate names
//! its message by id (its body is in the `send` line), so lines that carry a
//! `message` are exactly the sends and deliveries, which is all the Lamport
//! diagram reads. Over a finished test, per message class, sends + duplicates
//! = deliveries + drops: nothing leaves the network unrecorded.
//!
//! Serialising every message is most of what the journal costs, so it is not
//! done on the simulation's thread: [`Journal`] collects the events (a send
//! carries a clone of its envelope, a delivery or a drop only the message's
//! id) and hands them in batches to a writer thread, which serialises each
//! message once, keeps its line until every copy of it is delivered or
//! dropped, and writes the lines in the order the events happened. The
//! writer can also build the Lamport diagram ([`DiagramBuilder`]) from the
//! same events, so messages.html is drawn without reading the file back.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use maelstrom_proto::Envelope;

use crate::lamport::{Diagram, DiagramBuilder};

/// Events per hand-off to the writer thread: large enough that the channel
/// and the writer's wake-ups cost little per event, small enough that a
/// batch's envelopes stay a small fraction of the test's memory.
const BATCH: usize = 512;

/// Writes `messages.jsonl`, or nothing when the test keeps no store.
///
/// Until [`Journal::finish`] the lines are written by a thread of the
/// journal's own; after it, on the caller's thread (a late send is still
/// recorded). Dropping the journal writes everything recorded.
#[derive(Debug)]
pub struct Journal {
    inner: Inner,
    /// The writer's first write error, reported by the caller's thread (so
    /// the warning reaches the subscriber the test runs under).
    error: Arc<Mutex<Option<std::io::Error>>>,
    /// Whether that error has been reported: once per journal.
    reported: bool,
    /// The harness's log, where that error is reported: a send may record
    /// from inside a node's task, whose default dispatcher is the node's own
    /// log.
    log: tracing::Dispatch,
}

#[derive(Debug, Default)]
enum Inner {
    /// Records nothing.
    #[default]
    Disabled,
    /// Events collected into `batch`, handed to the writer thread.
    Threaded {
        batch: Vec<Event>,
        tx: mpsc::Sender<ToWriter>,
        /// Batches the writer is done with, envelopes and all: freed (and
        /// the vectors reused) here, by the thread that allocated them, so
        /// that glibc's malloc is not made to pass memory between threads
        /// (measured: that cost more CPU than the serialising moved away).
        back: mpsc::Receiver<Vec<Event>>,
        thread: JoinHandle<Writer>,
    },
    /// Written on the caller's thread.
    Inline(Box<Writer>),
}

/// One journal event, with what the writer needs to write its line.
#[derive(Debug)]
enum Event {
    /// A send; the envelope carries the message's id.
    Send { time: u64, env: Envelope },
    /// A delivery of one copy of message `id`.
    Recv { time: u64, id: u64 },
    /// A drop of one copy of message `id`, for a reason.
    Drop {
        time: u64,
        id: u64,
        reason: &'static str,
    },
    /// A second copy of message `id`, to be delivered or dropped in its turn.
    Duplicate { time: u64, id: u64 },
}

/// What the journal sends its writer thread.
#[derive(Debug)]
enum ToWriter {
    Batch(Vec<Event>),
    /// Write out everything so far, then answer.
    Flush(mpsc::SyncSender<()>),
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            inner: Inner::Disabled,
            error: Arc::default(),
            reported: false,
            log: tracing::Dispatch::none(),
        }
    }
}

impl Journal {
    /// A journal that records nothing, at no cost.
    pub fn disabled() -> Self {
        Journal::default()
    }

    /// A journal writing to `path`.
    pub fn to_file(path: &Path) -> std::io::Result<Self> {
        Self::start(path, false)
    }

    /// A journal writing to `path` that also builds the Lamport diagram of
    /// what it writes, for [`Journal::take_diagram`].
    pub fn to_file_with_diagram(path: &Path) -> std::io::Result<Self> {
        Self::start(path, true)
    }

    fn start(path: &Path, diagram: bool) -> std::io::Result<Self> {
        let error = Arc::default();
        let writer = Writer {
            out: BufWriter::with_capacity(1 << 16, File::create(path)?),
            failed: false,
            error: Arc::clone(&error),
            messages: Messages::default(),
            diagram: diagram.then(DiagramBuilder::default),
        };
        let (tx, rx) = mpsc::channel();
        let (back_tx, back) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("maelstrom-journal".into())
            .spawn(move || writer.serve(rx, back_tx))?;
        Ok(Journal {
            inner: Inner::Threaded {
                batch: Vec::with_capacity(BATCH),
                tx,
                back,
                thread,
            },
            error,
            reported: false,
            log: tracing::dispatcher::get_default(|d| d.clone()),
        })
    }

    /// Records a send of `env`, whose `id` the network has set.
    pub(crate) fn send(&mut self, time: u64, env: &Envelope) {
        if !matches!(self.inner, Inner::Disabled) {
            // A clone is several times cheaper than serialising here.
            self.push(Event::Send {
                time,
                env: env.clone(),
            });
        }
    }

    /// Records the delivery of one copy of message `id`.
    pub(crate) fn deliver(&mut self, time: u64, id: u64) {
        self.push(Event::Recv { time, id });
    }

    /// Records that one copy of message `id` was dropped, and why.
    pub(crate) fn drop_msg(&mut self, time: u64, id: u64, reason: &'static str) {
        self.push(Event::Drop { time, id, reason });
    }

    /// Records a second copy of message `id`.
    pub(crate) fn duplicate(&mut self, time: u64, id: u64) {
        self.push(Event::Duplicate { time, id });
    }

    fn push(&mut self, ev: Event) {
        match &mut self.inner {
            Inner::Disabled => {}
            Inner::Threaded {
                batch, tx, back, ..
            } => {
                batch.push(ev);
                if batch.len() >= BATCH {
                    // Every batch the writer has finished is freed now, not
                    // one per batch sent: after the writer falls behind (a
                    // busy machine), taking one per batch would leave the
                    // backlog of finished batches, envelopes and all, alive
                    // to the end of the run. Under valgrind, which runs one
                    // thread at a time, that was 25 MB of the broadcast
                    // benchmark's 52 MB peak heap.
                    let mut next = None;
                    for mut done in back.try_iter() {
                        done.clear();
                        next.get_or_insert(done);
                    }
                    let next = next.unwrap_or_else(|| Vec::with_capacity(BATCH));
                    let full = std::mem::replace(batch, next);
                    // A writer that is gone panicked; its join reports it.
                    let _ = tx.send(ToWriter::Batch(full));
                    self.report_error();
                }
            }
            Inner::Inline(w) => {
                w.apply(&ev);
                self.report_error();
            }
        }
    }

    /// Writes out every event recorded so far, waiting for the writer.
    pub fn flush(&mut self) {
        match &mut self.inner {
            Inner::Disabled => {}
            Inner::Threaded { batch, tx, .. } => {
                if !batch.is_empty() {
                    let _ = tx.send(ToWriter::Batch(std::mem::take(batch)));
                }
                let (ack_tx, ack_rx) = mpsc::sync_channel(1);
                if tx.send(ToWriter::Flush(ack_tx)).is_ok() {
                    let _ = ack_rx.recv();
                }
            }
            Inner::Inline(w) => w.flush(),
        }
        self.report_error();
    }

    /// Writes out every event recorded so far and stops the writer thread;
    /// later events are written on the caller's thread.
    pub fn finish(&mut self) {
        if let Inner::Threaded { .. } = self.inner {
            let Inner::Threaded {
                batch, tx, thread, ..
            } = std::mem::take(&mut self.inner)
            else {
                unreachable!()
            };
            if !batch.is_empty() {
                let _ = tx.send(ToWriter::Batch(batch));
            }
            drop(tx);
            let writer = thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            self.inner = Inner::Inline(Box::new(writer));
        }
        self.flush();
    }

    /// The Lamport diagram of everything written, if this journal builds one
    /// ([`Journal::to_file_with_diagram`]); finishes the journal first.
    /// Events recorded later are written but not drawn.
    pub fn take_diagram(&mut self) -> Option<Diagram> {
        self.finish();
        match &mut self.inner {
            Inner::Inline(w) => w.diagram.take().map(DiagramBuilder::finish),
            _ => None,
        }
    }

    /// Reports the writer's first write error, once. A full disk must not
    /// stop the test.
    fn report_error(&mut self) {
        if self.reported {
            return;
        }
        let first = self.error.lock().map(|mut e| e.take()).unwrap_or_default();
        if let Some(e) = first {
            self.reported = true;
            let r: std::io::Result<()> = Err(e);
            tracing::dispatcher::with_default(&self.log, || {
                tracing::warn!("could not write the message journal: {r:?}");
            });
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Nothing recorded is lost: the writer writes what it was handed,
        // and its buffer is flushed when it is dropped.
        if let Inner::Threaded {
            batch, tx, thread, ..
        } = std::mem::take(&mut self.inner)
        {
            if !batch.is_empty() {
                let _ = tx.send(ToWriter::Batch(batch));
            }
            drop(tx);
            // Not re-raised: a drop may run while a panic unwinds.
            let _ = thread.join();
        }
    }
}

/// The identity of a journaled message, for events that do not repeat its body.
#[derive(Debug, Clone, Copy)]
pub struct MsgRef<'a> {
    /// The network's message id.
    pub id: u64,
    /// Sender.
    pub src: &'a str,
    /// Recipient.
    pub dest: &'a str,
}

/// Serialises events into `messages.jsonl` (and the diagram), in order.
#[derive(Debug)]
struct Writer {
    out: BufWriter<File>,
    /// Whether a write failed: only the first error is passed on.
    failed: bool,
    error: Arc<Mutex<Option<std::io::Error>>>,
    messages: Messages,
    diagram: Option<DiagramBuilder>,
}

impl Writer {
    /// The writer thread: applies batches until the journal hangs up, then
    /// hands itself back.
    fn serve(mut self, rx: mpsc::Receiver<ToWriter>, back: mpsc::Sender<Vec<Event>>) -> Self {
        for msg in rx {
            match msg {
                ToWriter::Batch(events) => {
                    for ev in &events {
                        self.apply(ev);
                    }
                    // Freed by the journal's thread (see `Inner::Threaded`).
                    let _ = back.send(events);
                }
                ToWriter::Flush(ack) => {
                    self.flush();
                    let _ = ack.send(());
                }
            }
        }
        self
    }

    fn apply(&mut self, ev: &Event) {
        let r = match *ev {
            Event::Send { time, ref env } => self.send(time, env),
            Event::Recv { time, id } => self.recv(time, id),
            Event::Drop { time, id, reason } => self.fate(time, id, Some(reason)),
            Event::Duplicate { time, id } => self.fate(time, id, None),
        };
        if let Err(e) = r {
            if !self.failed {
                self.failed = true;
                if let Ok(mut slot) = self.error.lock() {
                    *slot = Some(e);
                }
            }
        }
    }

    fn send(&mut self, time: u64, env: &Envelope) -> std::io::Result<()> {
        let id = env.id.unwrap_or_default();
        let m = Message::new(id, env);
        if let Some(d) = &mut self.diagram {
            let (src, dest) = (env.src.as_str(), env.dest.as_str());
            match m.fields {
                Some(at) => d.send_fields(time, id, (src, dest), &env.body, m.body(), at - m.body),
                None => d.send(time, id, src, dest, m.body()),
            }
        }
        let r = write_message(&mut self.out, b"send", time, &m.line);
        self.messages.insert(id, m);
        r
    }

    fn recv(&mut self, time: u64, id: u64) -> std::io::Result<()> {
        if let Some(d) = &mut self.diagram {
            d.deliver(time, id);
        }
        let Some(m) = self.messages.get(id) else {
            debug_assert!(false, "delivery of message {id}, never sent");
            return Ok(());
        };
        let r = write_message(&mut self.out, b"recv", time, &m.line);
        self.messages.resolve_copy(id);
        r
    }

    /// A drop (with its reason) or, without one, a duplicate.
    fn fate(&mut self, time: u64, id: u64, reason: Option<&str>) -> std::io::Result<()> {
        let Some(m) = self.messages.get(id) else {
            debug_assert!(false, "fate of message {id}, never sent");
            return Ok(());
        };
        let written = write_fate(&mut self.out, time, id, reason, m);
        // Kept up to date whether or not the line could be written.
        match reason {
            Some(r) => {
                if let Some(d) = &mut self.diagram {
                    d.drop(time, id, r);
                }
                self.messages.resolve_copy(id);
            }
            None => self.messages.add_copy(id),
        }
        written
    }

    fn flush(&mut self) {
        // As before the writer had a thread: a failed flush is not reported
        // (the next write would fail and be).
        let _ = self.out.flush();
    }
}

/// Writes a send or delivery line around the message's serialised envelope.
fn write_message(out: &mut impl Write, kind: &[u8], time: u64, line: &str) -> std::io::Result<()> {
    out.write_all(b"{\"type\":\"")?;
    out.write_all(kind)?;
    out.write_all(b"\",\"time\":")?;
    write_u64(out, time)?;
    out.write_all(b",\"message\":")?;
    out.write_all(line.as_bytes())?;
    out.write_all(b"}\n")
}

/// Writes a drop line (with its reason) or a duplicate line (without).
fn write_fate(
    out: &mut impl Write,
    time: u64,
    id: u64,
    reason: Option<&str>,
    m: &Message,
) -> std::io::Result<()> {
    let kind: &[u8] = if reason.is_some() {
        b"drop"
    } else {
        b"duplicate"
    };
    out.write_all(b"{\"type\":\"")?;
    out.write_all(kind)?;
    out.write_all(b"\",\"time\":")?;
    write_u64(out, time)?;
    if let Some(r) = reason {
        out.write_all(b",\"reason\":\"")?;
        out.write_all(r.as_bytes())?;
        out.write_all(b"\"")?;
    }
    out.write_all(b",\"id\":")?;
    write_u64(out, id)?;
    out.write_all(b",\"src\":")?;
    out.write_all(m.src_json().as_bytes())?;
    out.write_all(b",\"dest\":")?;
    out.write_all(m.dest_json().as_bytes())?;
    out.write_all(b"}\n")
}

/// `n` in decimal, without the formatting machinery (two numbers a line).
fn write_u64(out: &mut impl Write, n: u64) -> std::io::Result<()> {
    out.write_all(itoa::Buffer::new().format(n).as_bytes())
}

/// A message's serialised envelope, kept until every copy is resolved.
#[derive(Debug)]
struct Message {
    /// `{"id":…,"src":…,"dest":…,"body":…}`, exactly [`Envelope::to_line`].
    line: String,
    /// Where the JSON strings of `src` and `dest` and the body's JSON sit in
    /// `line`, so drops quote them without serialising again.
    src: (usize, usize),
    dest: (usize, usize),
    body: usize,
    /// Where the body's fields begin ([`Body::write_json_marking_fields`]).
    ///
    /// [`Body::write_json_marking_fields`]: maelstrom_proto::Body::write_json_marking_fields
    fields: Option<usize>,
    /// Copies not yet delivered or dropped.
    copies: u32,
}

impl Message {
    /// Serialises `env` (with message id `id`) as [`Envelope::to_line`] does,
    /// field by field so the positions of its parts are known.
    fn new(id: u64, env: &Envelope) -> Self {
        let mut b: Vec<u8> = Vec::with_capacity(128);
        b.extend_from_slice(b"{\"id\":");
        let _ = write_u64(&mut b, id);
        b.extend_from_slice(b",\"src\":");
        let src = json_str(&mut b, &env.src);
        b.extend_from_slice(b",\"dest\":");
        let dest = json_str(&mut b, &env.dest);
        b.extend_from_slice(b",\"body\":");
        let body = b.len();
        // The bytes serde_json would write, written directly: serialising
        // bodies was most of this thread's time.
        let fields = env.body.write_json_marking_fields(&mut b);
        b.push(b'}');
        // Only UTF-8 is written.
        let line = String::from_utf8(b)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Message {
            line,
            src,
            dest,
            body,
            fields,
            copies: 1,
        }
    }

    fn src_json(&self) -> &str {
        &self.line[self.src.0..self.src.1]
    }

    fn dest_json(&self) -> &str {
        &self.line[self.dest.0..self.dest.1]
    }

    /// The body's JSON text.
    fn body(&self) -> &str {
        &self.line[self.body..self.line.len() - 1]
    }
}

/// Appends `s` as a JSON string (escaped as serde_json escapes it) and
/// returns where it sits.
fn json_str(b: &mut Vec<u8>, s: &str) -> (usize, usize) {
    let start = b.len();
    maelstrom_proto::json_out::write_str(b, s);
    (start, b.len())
}

/// The messages with copies still in flight, by id. Ids are dense and
/// increasing and a message lives about one latency, so a queue indexed from
/// the oldest live id beats a hash map.
#[derive(Debug, Default)]
struct Messages {
    /// The id of `live[0]`.
    base: u64,
    live: VecDeque<Option<Message>>,
}

impl Messages {
    fn insert(&mut self, id: u64, m: Message) {
        if self.live.is_empty() {
            self.base = id;
        }
        let Some(i) = id.checked_sub(self.base) else {
            debug_assert!(false, "message {id} sent after {}", self.base);
            return;
        };
        let i = i as usize;
        while self.live.len() <= i {
            self.live.push_back(None);
        }
        self.live[i] = Some(m);
    }

    fn get(&self, id: u64) -> Option<&Message> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        self.live.get(i)?.as_ref()
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Message> {
        let i = usize::try_from(id.checked_sub(self.base)?).ok()?;
        self.live.get_mut(i)?.as_mut()
    }

    fn add_copy(&mut self, id: u64) {
        if let Some(m) = self.get_mut(id) {
            m.copies += 1;
        }
    }

    /// One copy delivered or dropped; the last one frees the message.
    fn resolve_copy(&mut self, id: u64) {
        let Some(m) = self.get_mut(id) else { return };
        m.copies -= 1;
        if m.copies > 0 {
            return;
        }
        let i = (id - self.base) as usize;
        self.live[i] = None;
        while matches!(self.live.front(), Some(None)) {
            self.live.pop_front();
            self.base += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maelstrom_proto::Body;

    #[test]
    fn journal_serialises_envelopes_as_to_line() {
        let bodies = [
            Body::new("echo").with("echo", "a \"quoted\" </script> é"),
            Body::new("gossip").with("xs", serde_json::json!([1, 2, {"k": null}])),
            Body::default(),
        ];
        for (i, body) in bodies.into_iter().enumerate() {
            for (src, dest) in [("n1", "n2"), ("c\"1", "n\\2\n")] {
                let mut env = Envelope::new(src, dest, body.clone());
                env.id = Some(1000 * i as u64 + 7);
                let m = Message::new(env.id.unwrap(), &env);
                assert_eq!(m.line, env.to_line());
                assert_eq!(m.src_json(), serde_json::Value::from(src).to_string());
                assert_eq!(m.dest_json(), serde_json::Value::from(dest).to_string());
                assert_eq!(m.body(), serde_json::to_string(&env.body).unwrap());
            }
        }
    }

    /// A buffer a test's subscriber writes its lines to.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capturing() -> (tracing::Dispatch, Captured) {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (tracing::Dispatch::new(subscriber), out)
    }

    /// A journal that cannot write says so in the log of whoever started it
    /// (the harness's), even when the event that finds out is recorded
    /// under another default dispatcher (a node's own log, in simulation).
    #[test]
    fn a_write_error_goes_to_the_log_the_journal_started_under() {
        let (harness, harness_out) = capturing();
        let (node, node_out) = capturing();
        let mut journal = tracing::dispatcher::with_default(&harness, || {
            Journal::to_file(Path::new("/dev/full")).unwrap()
        });
        tracing::dispatcher::with_default(&node, || {
            for id in 0..(4 * BATCH as u64) {
                let mut env =
                    Envelope::new("n1", "n2", Body::new("x").with("pad", "y".repeat(200)));
                env.id = Some(id);
                journal.send(id, &env);
            }
            journal.finish();
        });
        let said = |c: &Captured| String::from_utf8(c.0.lock().unwrap().clone()).unwrap();
        assert!(
            said(&harness_out).contains("could not write the message journal"),
            "{}",
            said(&harness_out)
        );
        assert!(said(&node_out).is_empty(), "{}", said(&node_out));
    }

    #[test]
    fn journal_numbers_are_decimal() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            let mut b = Vec::new();
            write_u64(&mut b, n).unwrap();
            assert_eq!(String::from_utf8(b).unwrap(), n.to_string());
        }
    }

    #[test]
    fn journal_forgets_a_message_when_its_last_copy_is_resolved() {
        let env = |id| {
            let mut e = Envelope::new("n1", "n2", Body::new("x"));
            e.id = Some(id);
            e
        };
        let mut ms = Messages::default();
        for id in 3..6 {
            ms.insert(id, Message::new(id, &env(id)));
        }
        ms.add_copy(3);
        ms.resolve_copy(3);
        assert!(ms.get(3).is_some(), "one copy left");
        ms.resolve_copy(4);
        assert!(ms.get(4).is_none());
        assert_eq!(ms.base, 3);
        ms.resolve_copy(3);
        assert_eq!((ms.base, ms.live.len()), (5, 1));
        ms.resolve_copy(5);
        assert!(ms.live.is_empty());
        ms.insert(9, Message::new(9, &env(9)));
        assert_eq!(ms.base, 9);
        assert!(ms.get(9).is_some());
    }
}
