//! history.jsonl written while the test runs, on a thread of its own.
//!
//! Writing a long history took a core for ~12 ms after a broadcast test had
//! ended (a million read values to print), while the checker and the report
//! pages waited for the other. Now the operations move to the writer in
//! chunks as they are recorded, are written there, and move back when the
//! history is taken: nothing is copied, and by the end of the test the file
//! is all but written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use maelstrom_check::history::Op;
use maelstrom_proto::Body;
use serde_json::Value;

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

/// The writer thread's end of a history.
pub(super) struct Writer {
    tx: mpsc::Sender<Chunk>,
    thread: JoinHandle<(Vec<Chunk>, std::io::Result<()>)>,
}

impl Writer {
    /// Starts writing `path`.
    pub fn start(path: &Path) -> std::io::Result<Self> {
        let out = BufWriter::with_capacity(1 << 16, File::create(path)?);
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("maelstrom-history".into())
            .spawn(move || serve(out, rx))?;
        Ok(Writer { tx, thread })
    }

    /// Hands a chunk to the thread.
    pub fn write(&self, chunk: Chunk) {
        // The thread ends only after the sender is dropped (or by a panic,
        // which `finish` passes on).
        let _ = self.tx.send(chunk);
    }

    /// Waits for every line to be written and returns the chunks in order,
    /// with the first write error, if any.
    pub fn finish(self) -> (Vec<Chunk>, std::io::Result<()>) {
        drop(self.tx);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// The thread: writes each chunk's lines and keeps the chunk. After a write
/// error it writes nothing more but still keeps every chunk: the test's
/// analysis needs them all.
fn serve(mut out: BufWriter<File>, rx: mpsc::Receiver<Chunk>) -> (Vec<Chunk>, std::io::Result<()>) {
    let mut chunks = Vec::new();
    let mut result = Ok(());
    let mut line = Vec::with_capacity(1 << 12);
    for chunk in rx {
        if result.is_ok() {
            result = write_chunk(&mut out, &chunk, &mut line);
        }
        chunks.push(chunk);
    }
    if result.is_ok() {
        result = out.flush();
    }
    (chunks, result)
}

fn write_chunk(
    out: &mut BufWriter<File>,
    chunk: &Chunk,
    line: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut pending = chunk.in_replies.iter().peekable();
    for op in &chunk.ops {
        // A read whose elements are in its reply is written from there.
        let elements = pending
            .next_if(|(index, ..)| *index as u64 == op.index)
            .map(|(_, reply, key)| match reply.get(key) {
                Some(v @ Value::Array(_)) => v,
                _ => &EMPTY,
            });
        line.clear();
        super::History::line(op, elements, line);
        out.write_all(line)?;
    }
    Ok(())
}

/// The elements of a reply without an array.
static EMPTY: Value = Value::Array(Vec::new());
