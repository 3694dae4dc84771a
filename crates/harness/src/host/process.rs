//! A node as a child process: JSON lines on stdin/stdout, stderr to its log.

use std::cell::Cell;
use std::path::Path;
use std::process::Stdio;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_proto::Envelope;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::stderr::StderrTail;
use super::{HostEnv, HostFuture, NodeHost};
use crate::error::HarnessError;

/// A running child process.
pub struct ProcessHost {
    id: String,
    pid: Option<u32>,
    stopping: Rc<Cell<bool>>,
    kill_tx: Option<oneshot::Sender<()>>,
    exited_rx: Option<oneshot::Receiver<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl ProcessHost {
    /// Spawns `bin args...` as node `id` and starts pumping its stdio.
    pub fn spawn(
        id: &str,
        bin: &Path,
        args: &[String],
        env: HostEnv,
    ) -> Result<Self, HarnessError> {
        let mut command = Command::new(bin);
        let seed = crate::rng::node_seed(env.seed, id);
        command.env("MAELSTROM_SEED", seed.to_string());
        if let Some(dir) = &env.storage_dir {
            command.env("MAELSTROM_STORAGE_DIR", dir);
        }
        let mut child = command
            .args(args)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Backstop for every path out of the harness, Ctrl-C included.
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                node: id.to_string(),
                bin: bin.display().to_string(),
                source,
            })?;
        let pid = child.id();
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => unreachable!("all three pipes were requested"),
            };
        let tail = StderrTail::new(env.log_dir.as_ref().map(|d| d.join(format!("{id}.log"))));
        let stopping = Rc::new(Cell::new(false));
        let (stderr_done_tx, stderr_done_rx) = oneshot::channel();
        let (kill_tx, kill_rx) = oneshot::channel();
        let (exited_tx, exited_rx) = oneshot::channel();

        let stderr_task = {
            let (id, tail, mirror) = (id.to_string(), tail.clone(), env.log_stderr);
            tokio::task::spawn_local(async move {
                let mut log = tail.open_log();
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tail.push(&id, &line, &mut log, mirror);
                }
                let _ = stderr_done_tx.send(());
            })
        };
        let stdin_task = tokio::task::spawn_local(pump_stdin(id.to_string(), stdin, env.clone()));
        let stdout_task = tokio::task::spawn_local(pump_stdout(
            id.to_string(),
            stdout,
            env.clone(),
            tail.clone(),
            stopping.clone(),
        ));
        let watch_task = tokio::task::spawn_local(watch_exit(WatchExit {
            id: id.to_string(),
            child,
            env,
            tail,
            stopping: stopping.clone(),
            kill_rx,
            exited_tx,
            stderr_done_rx,
        }));
        Ok(ProcessHost {
            id: id.to_string(),
            pid,
            stopping,
            kill_tx: Some(kill_tx),
            exited_rx: Some(exited_rx),
            tasks: vec![stderr_task, stdin_task, stdout_task, watch_task],
        })
    }
}

impl NodeHost for ProcessHost {
    fn id(&self) -> &str {
        &self.id
    }

    fn kill(&mut self) -> HostFuture<'_> {
        Box::pin(async move {
            self.stopping.set(true);
            if let Some(tx) = self.kill_tx.take() {
                let _ = tx.send(());
            }
            if let Some(rx) = self.exited_rx.take() {
                let _ = tokio::time::timeout(Duration::from_secs(5), rx).await;
            }
            for t in self.tasks.drain(..) {
                t.abort();
            }
        })
    }

    fn pause(&mut self) {
        self.signal("-STOP");
    }

    fn resume(&mut self) {
        self.signal("-CONT");
    }
}

impl ProcessHost {
    /// Sends a signal with kill(1): no libc binding needed for two signals.
    fn signal(&self, sig: &str) {
        if let Some(pid) = self.pid {
            let _ = std::process::Command::new("kill")
                .args([sig, &pid.to_string()])
                .status();
        }
    }
}

impl Drop for ProcessHost {
    fn drop(&mut self) {
        // Aborting the watcher drops the Child, whose kill_on_drop kills it.
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Delivers the node's messages to its stdin, one line each.
async fn pump_stdin(id: String, stdin: ChildStdin, env: HostEnv) {
    let mut w = BufWriter::new(stdin);
    while let Some(env_msg) = env.net.recv(&id).await {
        let mut line = env_msg.to_line();
        line.push('\n');
        if w.write_all(line.as_bytes()).await.is_err() {
            return; // The node is gone; the exit watcher reports it.
        }
        if w.flush().await.is_err() {
            return;
        }
    }
}

/// Reads the node's stdout: every line must be an envelope to a known id.
async fn pump_stdout(
    id: String,
    stdout: ChildStdout,
    env: HostEnv,
    tail: StderrTail,
    stopping: Rc<Cell<bool>>,
) {
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let problem = match Envelope::parse(&line) {
            Err(e) if serde_json::from_str::<serde_json::Value>(&line).is_err() => format!(
                "Node {id} printed a line to STDOUT which was not well-formed JSON: {e}. \
                 Did you mean to encode this line as JSON? Or was this line intended for STDERR? \
                 See doc/protocol.md."
            ),
            Err(e) => format!(
                "Malformed network message: node {id} sent a message via STDOUT that is not a \
                 valid envelope {{\"src\": string, \"dest\": string, \"body\": {{\"type\": string, ...}}}}: {e}."
            ),
            Ok(msg) => match env.net.send(msg) {
                Ok(()) => continue,
                Err(e) => format!("Node {id} sent a message with an {e}."),
            },
        };
        if stopping.get() {
            return;
        }
        // Give the stderr reader a moment to catch up, so the context shows what
        // the node logged just before this line.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = env.faults.send(HarnessError::BadOutput {
            node: id.clone(),
            problem,
            line,
            context: tail.context(),
        });
        return;
    }
}

struct WatchExit {
    id: String,
    child: Child,
    env: HostEnv,
    tail: StderrTail,
    stopping: Rc<Cell<bool>>,
    kill_rx: oneshot::Receiver<()>,
    exited_tx: oneshot::Sender<()>,
    stderr_done_rx: oneshot::Receiver<()>,
}

/// Waits for the child to exit (a crash) or to be killed (teardown).
async fn watch_exit(mut w: WatchExit) {
    tokio::select! {
        biased;
        status = w.child.wait() => {
            if !w.stopping.get() {
                // Let stderr drain so the report shows the node's last words.
                let _ = tokio::time::timeout(Duration::from_secs(1), w.stderr_done_rx).await;
                let status = match status {
                    Ok(s) => s.code().map_or_else(|| s.to_string(), |c| c.to_string()),
                    Err(e) => e.to_string(),
                };
                let _ = w.env.faults.send(HarnessError::NodeCrashed {
                    node: w.id.clone(),
                    status,
                    context: w.tail.context(),
                });
            }
        }
        _ = w.kill_rx => {
            let _ = w.child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), w.child.wait()).await;
        }
    }
    let _ = w.exited_tx.send(());
}
