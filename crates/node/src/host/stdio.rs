//! The process host: stdin and stdout.
//!
//! Blocking reads and writes happen on two threads of their own, but they only move
//! big chunks of bytes: splitting lines, parsing, and serialising happen on the
//! node's thread. Handing each message across threads would cost a wake-up and a
//! cross-thread free per message, which on a small machine takes more time than the
//! JSON work itself.
//!
//! Lines are split in linear time, and a line longer than [`MAX_LINE`] is
//! skipped (one line on stderr says so) instead of being buffered: a runaway
//! writer cannot make the node run out of memory or time.
//!
//! The writer writes whole lines only. It gathers what the node produced while it
//! was busy and writes it in one go, and writes as soon as the node has nothing
//! more to say, so no reply waits in a buffer while the node is idle.

use std::io::{Read, Write};
use std::thread::JoinHandle;

use maelstrom_proto::Envelope;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle as TaskHandle;

use super::lines::{LineSplitter, Piece, MAX_LINE};
use super::{Host, Inbound};
use crate::StorageBackend;

/// Bytes read from stdin at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Chunks read ahead of the node.
const CHUNKS_IN_FLIGHT: usize = 2;

/// The stdio plumbing behind a [`Host`], to be finished when the node stops.
pub struct StdioHost {
    writer_task: TaskHandle<()>,
    finish: oneshot::Sender<()>,
    writer_thread: JoinHandle<()>,
}

impl StdioHost {
    /// Starts the stdin and stdout threads and the tasks that feed them. Must be
    /// called inside a [`tokio::task::LocalSet`]. Returns the [`Host`] to serve on.
    pub fn start() -> (Host, StdioHost) {
        // Bounded, so a fast writer on the other end of stdin cannot make the node
        // buffer its whole input: the reader waits until the node catches up.
        let (chunk_tx, chunk_rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let (in_tx, in_rx) = mpsc::channel(super::INBOX_CAPACITY);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (bytes_tx, bytes_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (finish_tx, finish_rx) = oneshot::channel();

        // The reader thread is detached: it may block in read() forever if stdin
        // never closes, and must not keep the process alive.
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_stdin(chunk_tx))
            .expect("spawn stdin thread");
        let writer_thread = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_stdout(bytes_rx))
            .expect("spawn stdout thread");
        tokio::task::spawn_local(split_lines(chunk_rx, in_tx));
        let writer_task = tokio::task::spawn_local(serialise(out_rx, bytes_tx, finish_rx));

        let host = Host {
            inbox: in_rx,
            outbox: out_tx,
            seed: seed_from_env(),
            storage: StorageBackend::from_env(),
        };
        let stdio = StdioHost {
            writer_task,
            finish: finish_tx,
            writer_thread,
        };
        (host, stdio)
    }

    /// Writes out everything the node sent, then waits until it reached stdout.
    pub async fn finish(self) {
        let _ = self.finish.send(());
        let _ = self.writer_task.await;
        // The task dropped its sender, so the thread drains and ends.
        let _ = tokio::task::spawn_blocking(move || self.writer_thread.join()).await;
    }
}

/// `MAELSTROM_SEED` (set by `maelstrom test` from `--seed` and the node id), or,
/// when it is unset or not a number, a fresh random seed: a node started by hand
/// or by another harness draws differently on every run.
fn seed_from_env() -> u64 {
    std::env::var("MAELSTROM_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(rand::random)
}

fn read_stdin(tx: mpsc::Sender<Vec<u8>>) {
    let mut stdin = std::io::stdin().lock();
    loop {
        let mut chunk = vec![0; READ_CHUNK];
        match stdin.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                chunk.truncate(n);
                if tx.blocking_send(chunk).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::error!("maelstrom-node: cannot read stdin: {e}");
                return;
            }
        }
    }
}

/// Splits chunks of stdin into lines and parses each into an [`Inbound`].
async fn split_lines(mut chunks: mpsc::Receiver<Vec<u8>>, inbox: mpsc::Sender<Inbound>) {
    let mut lines = LineSplitter::new(MAX_LINE);
    while let Some(chunk) = chunks.recv().await {
        lines.push(&chunk);
        while let Some(piece) = lines.next_piece() {
            if inbox.send(parse_piece(piece)).await.is_err() {
                return;
            }
        }
    }
    // A last line without a newline still counts.
    if let Some(piece) = lines.finish() {
        let _ = inbox.send(parse_piece(piece)).await;
    }
}

fn parse_piece(piece: Piece<'_>) -> Inbound {
    match piece {
        Piece::Line(line) => parse_line(line),
        // Logged by the node as one malformed line, with its first bytes only.
        Piece::TooLong(preview) => Inbound::Malformed {
            line: format!("{}...", String::from_utf8_lossy(&preview)),
            error: format!(
                "line longer than {} MiB, skipped up to its newline",
                MAX_LINE >> 20
            ),
        },
    }
}

fn parse_line(line: &[u8]) -> Inbound {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match serde_json::from_slice::<Envelope>(line) {
        Ok(env) => Inbound::Message(env),
        Err(e) => Inbound::Malformed {
            line: String::from_utf8_lossy(line).into_owned(),
            error: e.to_string(),
        },
    }
}

/// Serialises what the node sends into batches of whole lines for the writer thread.
async fn serialise(
    mut outbox: mpsc::UnboundedReceiver<Envelope>,
    bytes: std::sync::mpsc::Sender<Vec<u8>>,
    mut finish: oneshot::Receiver<()>,
) {
    loop {
        let first = tokio::select! {
            biased;
            env = outbox.recv() => env,
            _ = &mut finish => None,
        };
        let Some(first) = first else { break };
        let mut batch = Vec::with_capacity(4096);
        let mut next = Some(first);
        while let Some(env) = next {
            write_line(&mut batch, &env);
            next = outbox.try_recv().ok();
        }
        if bytes.send(batch).is_err() {
            return;
        }
    }
    // Stopping: whatever is still queued goes out too.
    let mut batch = Vec::new();
    while let Ok(env) = outbox.try_recv() {
        write_line(&mut batch, &env);
    }
    if !batch.is_empty() {
        let _ = bytes.send(batch);
    }
}

fn write_line(batch: &mut Vec<u8>, env: &Envelope) {
    // An Envelope of JSON values always serialises.
    if serde_json::to_writer(&mut *batch, env).is_ok() {
        batch.push(b'\n');
    }
}

fn write_stdout(batches: std::sync::mpsc::Receiver<Vec<u8>>) {
    let mut stdout = std::io::stdout().lock();
    for batch in batches {
        if stdout
            .write_all(&batch)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return;
        }
    }
}
