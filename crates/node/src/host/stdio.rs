//! The process host: stdin and stdout on threads of their own.
//!
//! Reading and parsing happen on a reader thread and serialising and writing on a
//! writer thread, so a busy node uses both cores of a small machine. The writer
//! writes whole lines only and flushes whenever it has no more queued, so no reply
//! waits in a buffer while the node is idle.

use std::io::{BufRead, BufWriter, Write};
use std::rc::Rc;
use std::thread::JoinHandle;

use maelstrom_proto::Envelope;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use super::{Host, Inbound};
use crate::StorageBackend;

/// The stdout writer thread, to wait for when the node stops.
pub struct StdioHost {
    writer: JoinHandle<()>,
}

impl StdioHost {
    /// Starts the reader and writer threads; returns the [`Host`] to serve on.
    pub fn start() -> (Host, StdioHost) {
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        // The reader thread is detached: it may block in read() forever if stdin
        // never closes, and must not keep the process alive.
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_stdin(in_tx))
            .expect("spawn stdin thread");
        let writer = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_stdout(out_rx))
            .expect("spawn stdout thread");
        let host = Host {
            inbox: in_rx,
            outbox: out_tx,
            seed: seed_from_env(),
            storage: StorageBackend::from_env(),
            log: Rc::new(|line: &str| eprintln!("{line}")),
        };
        (host, StdioHost { writer })
    }

    /// Waits until everything written has reached stdout. Call after the host (and
    /// with it the outbox sender) is dropped, so the writer drains and ends.
    pub fn finish(self) {
        let _ = self.writer.join();
    }
}

fn seed_from_env() -> u64 {
    std::env::var("MAELSTROM_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(rand::random)
}

fn read_stdin(tx: mpsc::UnboundedSender<Inbound>) {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {
                let text = line.trim_end_matches(['\n', '\r']);
                let item = match Envelope::parse(text) {
                    Ok(env) => Inbound::Message(env),
                    Err(e) => Inbound::Malformed {
                        line: text.to_string(),
                        error: e.to_string(),
                    },
                };
                if tx.send(item).is_err() {
                    return;
                }
            }
            Err(e) => {
                eprintln!("maelstrom-node: cannot read stdin: {e}");
                return;
            }
        }
    }
}

fn write_stdout(mut rx: UnboundedReceiver<Envelope>) {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut buf = Vec::with_capacity(256);
    while let Some(env) = rx.blocking_recv() {
        let mut next = Some(env);
        while let Some(env) = next {
            buf.clear();
            if serde_json::to_writer(&mut buf, &env).is_ok() {
                buf.push(b'\n');
                if out.write_all(&buf).is_err() {
                    return;
                }
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
    let _ = out.flush();
}
