//! A node as a child process: JSON lines on stdin/stdout, stderr to its log.

use std::cell::Cell;
use std::path::Path;
use std::process::Stdio;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_proto::parse_node_line;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::lines::{read_frames, Frame, MAX_LINE_BYTES};
use super::stderr::StderrTail;
use super::{HostEnv, HostFuture, NodeHost};
use crate::error::HarnessError;
use crate::protocol::Kind;

/// A running child process, leader of its own process group.
///
/// The node runs in a group of its own so that everything it starts (a helper
/// process, a shell pipeline) is stopped, resumed and killed with it: a signal
/// to the group reaches them all, and no child of a node outlives the test.
pub struct ProcessHost {
    id: String,
    group: Group,
    stopping: Rc<Cell<bool>>,
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
        command.env(
            crate::clock::TEST_START_ENV,
            env.clock.wall_start_ns().to_string(),
        );
        if let Some(dir) = &env.storage_dir {
            // Absolute: the node runs in another directory than the harness,
            // and a relative store (`--store store`, the default) would put its
            // storage under the temp dir instead.
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            command.env("MAELSTROM_STORAGE_DIR", dir);
        }
        let mut child = command
            .args(args)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group (id = its pid): signals to the group reach whatever
            // the node starts, and a Ctrl-C at the terminal reaches only the
            // harness, which then stops every group itself.
            .process_group(0)
            // Backstop for the node itself; `Drop` kills the rest of its group.
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                node: id.to_string(),
                bin: bin.display().to_string(),
                source,
            })?;
        let group = Group::of(child.id());
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => unreachable!("all three pipes were requested"),
            };
        let tail = StderrTail::new(env.log_dir.as_ref().map(|d| d.join(format!("{id}.log"))));
        let stopping = Rc::new(Cell::new(false));
        let (stderr_done_tx, stderr_done_rx) = oneshot::channel();
        let (exited_tx, exited_rx) = oneshot::channel();

        let stderr_task = {
            let (id, tail, mirror) = (id.to_string(), tail.clone(), env.log_stderr);
            tokio::task::spawn_local(async move {
                let mut log = tail.open_log();
                // Read to the end whatever the bytes, so the node never gets
                // EPIPE on a log line because the harness stopped reading.
                read_frames(stderr, MAX_LINE_BYTES, |frame| {
                    let line = match frame {
                        Frame::Line(l) => String::from_utf8_lossy(l).into_owned(),
                        Frame::TooLong { head, len } => format!(
                            "{} [... a line of {len} bytes, cut by the harness]",
                            String::from_utf8_lossy(head)
                        ),
                    };
                    tail.push(&id, &line, &mut log, mirror);
                })
                .await;
                let _ = stderr_done_tx.send(());
            })
        };
        let stdin_task = tokio::task::spawn_local(pump_stdin(id.to_string(), stdin, env.clone()));
        let stdout_task =
            tokio::task::spawn_local(pump_stdout(id.to_string(), stdout, env.clone()));
        let watch_task = tokio::task::spawn_local(watch_exit(WatchExit {
            id: id.to_string(),
            child,
            group: group.clone(),
            env,
            tail,
            stopping: stopping.clone(),
            exited_tx,
            stderr_done_rx,
        }));
        Ok(ProcessHost {
            id: id.to_string(),
            group,
            stopping,
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
            // SIGKILL, as upstream's teardown (no SIGTERM first): it cannot be
            // ignored and works on a paused group too.
            self.group.signal(libc::SIGKILL);
            if let Some(rx) = self.exited_rx.take() {
                // The watcher reaps the node; waiting here is async. A node stuck
                // in the kernel past this is left to `Drop` and tokio's reaper.
                let _ = tokio::time::timeout(KILL_WAIT, rx).await;
            }
            for t in self.tasks.drain(..) {
                t.abort();
            }
        })
    }

    fn pause(&mut self) {
        self.group.signal(libc::SIGSTOP);
    }

    fn resume(&mut self) {
        self.group.signal(libc::SIGCONT);
    }
}

impl Drop for ProcessHost {
    fn drop(&mut self) {
        // Every way out of a test ends here, an interrupted or panicking one
        // included: kill the group (a syscall, it does not block), then drop
        // the watcher, whose `Child` is reaped by tokio in the background.
        self.stopping.set(true);
        self.group.signal(libc::SIGKILL);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// How long `kill` waits for the node to be reaped after SIGKILL.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// A node's process group, known while its leader (the node) is unreaped.
///
/// The group id is the node's pid. Signalling it only while the node is
/// unreaped (a zombie still holds its pid) means a signal can never reach an
/// unrelated process that got the pid later.
#[derive(Clone)]
struct Group(Rc<Cell<Option<libc::pid_t>>>);

impl Group {
    fn of(pid: Option<u32>) -> Self {
        // Never 0 or 1: kill(0, ..) and kill(-1, ..) would hit the harness's
        // own group or every process it may signal.
        let pgid = pid
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .filter(|&p| p > 1);
        Group(Rc::new(Cell::new(pgid)))
    }

    /// Sends `sig` to every process of the group, if the node is still there.
    fn signal(&self, sig: libc::c_int) {
        if let Some(pgid) = self.0.get() {
            signal_group(pgid, sig);
        }
    }

    /// The node has been reaped: kill what is left of its group (helpers it
    /// started) right away, and never signal the group again.
    fn reaped(&self) {
        if let Some(pgid) = self.0.take() {
            signal_group(pgid, libc::SIGKILL);
        }
    }
}

/// kill(2) on a whole process group. Failure (ESRCH: the group is already
/// gone) is what we wanted anyway.
fn signal_group(pgid: libc::pid_t, sig: libc::c_int) {
    debug_assert!(pgid > 1);
    // SAFETY: kill(2) takes two integers and touches no memory of this process.
    unsafe {
        libc::kill(-pgid, sig);
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

/// Reads the node's stdout to its end. Every line must be a message the node may
/// send; any other line is the node's protocol violation: recorded and dropped,
/// and reading goes on.
async fn pump_stdout(id: String, stdout: ChildStdout, env: HostEnv) {
    read_frames(stdout, MAX_LINE_BYTES, |frame| match frame {
        Frame::Line(bytes) => take_line(&id, bytes, &env),
        Frame::TooLong { head, len } => env.protocol.record(
            &id,
            Kind::LineTooLong,
            &format!("it is {len} bytes long, over the harness's limit of {MAX_LINE_BYTES} bytes"),
            head,
            len,
        ),
    })
    .await;
}

/// Sends one stdout line of node `id` into the network, or records why not.
fn take_line(id: &str, bytes: &[u8], env: &HostEnv) {
    let len = bytes.len() as u64;
    let Ok(line) = std::str::from_utf8(bytes) else {
        let problem = "it is not valid UTF-8 (so not JSON either)";
        return env.protocol.record(id, Kind::NotUtf8, problem, bytes, len);
    };
    let (kind, problem) = match parse_node_line(line, id, |d| env.protocol.is_node(d)) {
        Ok(msg) => match env.net.send(msg) {
            Ok(()) => return,
            Err(e) => crate::protocol::refused(e),
        },
        Err(e) => (Kind::from(&e), e.to_string()),
    };
    env.protocol.record(id, kind, &problem, bytes, len);
}

struct WatchExit {
    id: String,
    child: Child,
    group: Group,
    env: HostEnv,
    tail: StderrTail,
    stopping: Rc<Cell<bool>>,
    exited_tx: oneshot::Sender<()>,
    stderr_done_rx: oneshot::Receiver<()>,
}

/// Waits for the node to exit, reaps it and what it started, and reports a
/// crash unless the harness was stopping it.
async fn watch_exit(mut w: WatchExit) {
    let status = w.child.wait().await;
    // Nothing runs between the reap inside `wait` and this: the group id is
    // still the node's.
    w.group.reaped();
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
    let _ = w.exited_tx.send(());
}
