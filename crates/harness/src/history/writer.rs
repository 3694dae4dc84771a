//! history.jsonl written while the test runs, on a thread of its own.
//!
//! Writing a long history took a core for ~12 ms after a broadcast test had
//! ended (a million read values to print), while the checker and the report
//! pages waited for the other. Now the operations move to the writer in
//! chunks as they are recorded, are written there, and move back when the
//! history is taken: nothing is copied, and by the end of the test the file
//! is all but written. A workload's checker that reads the history as it
//! goes ([`crate::workload::CheckAsItGoes`]) is fed there too, so its
//! verdict is ready as well.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use maelstrom_check::history::Op;
use maelstrom_proto::Body;
use serde_json::Value;

use crate::workload::{CheckAsItGoes, CheckOutput};

/// Operations per hand-off: enough that the channel costs nothing per op,
/// few enough that the file keeps up with the test.
pub(super) const CHUNK: usize = 128;

/// Consecutive operations of the history, moved to the writer and back.
#[derive(Default)]
pub(super) struct Chunk {
    /// The operations, in history order.
    pub ops: Vec<Op>,
    /// Ok reads among them whose elements are still in their reply:
    /// (position in the whole history, reply, key).
    pub in_replies: Vec<(usize, Body, &'static str)>,
}

/// What the writer thread hands back: every chunk in order, the first
/// write error, and the checker's verdict if it had one.
pub(super) struct Written {
    pub chunks: Vec<Chunk>,
    pub result: std::io::Result<()>,
    pub checked: Option<CheckOutput>,
}

/// The writer thread's end of a history.
pub(super) struct Writer {
    tx: mpsc::Sender<Chunk>,
    thread: JoinHandle<Written>,
}

impl Writer {
    /// Starts writing `path`, feeding `checker` too.
    pub fn start(path: &Path, checker: Option<Box<dyn CheckAsItGoes>>) -> std::io::Result<Self> {
        let out = BufWriter::with_capacity(1 << 16, File::create(path)?);
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("maelstrom-history".into())
            .spawn(move || serve(out, rx, checker))?;
        Ok(Writer { tx, thread })
    }

    /// Hands a chunk to the thread.
    pub fn write(&self, chunk: Chunk) {
        // The thread ends only after the sender is dropped (or by a panic,
        // which `finish` passes on).
        let _ = self.tx.send(chunk);
    }

    /// Waits for every line to be written and the checker to be done.
    pub fn finish(self) -> Written {
        drop(self.tx);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The thread: writes each chunk's lines, feeds the checker and keeps the
/// chunk. After a write error it writes nothing more but still keeps every
/// chunk (the test's analysis needs them all) and feeds the checker.
fn serve(
    mut out: BufWriter<File>,
    rx: mpsc::Receiver<Chunk>,
    mut checker: Option<Box<dyn CheckAsItGoes>>,
) -> Written {
    let mut chunks = Vec::new();
    let mut result = Ok(());
    let mut line = Vec::with_capacity(1 << 12);
    let mut ops = 0;
    for chunk in rx {
        let mut pending = chunk.in_replies.iter().peekable();
        for op in &chunk.ops {
            // A read whose elements are in its reply is read from there.
            let value = pending
                .next_if(|(index, ..)| *index as u64 == op.index)
                .map_or(&op.value, |(_, reply, key)| match reply.get(key) {
                    Some(v @ Value::Array(_)) => v,
                    _ => &EMPTY,
                });
            if result.is_ok() {
                line.clear();
                super::History::line(op, Some(value), &mut line);
                result = out.write_all(&line);
            }
            if let Some(c) = &mut checker {
                c.feed(op, value);
            }
        }
        ops += chunk.ops.len() as u64;
        chunks.push(chunk);
    }
    if result.is_ok() {
        result = out.flush();
    }
    Written {
        chunks,
        result,
        checked: checker.map(|c| c.finish(ops)),
    }
}

/// The elements of a reply without an array.
static EMPTY: Value = Value::Array(Vec::new());
