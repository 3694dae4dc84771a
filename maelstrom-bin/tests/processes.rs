//! Node processes leave nothing behind: whatever a node starts is killed with
//! it, at teardown, when it crashes, when the kill nemesis restarts it, and when
//! the harness is interrupted with Ctrl-C.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use maelstrom_harness::{run_blocking, HarnessError, NodeProgram, TestConfig, Validity};

/// An echo node that first starts a `sleep 1000` of its own and appends
/// "NODE_PID CHILD_PID" to the file named by its first argument. Further
/// arguments: `ignore-term` (it and its child ignore SIGTERM), `crash` (exit
/// at the first echo).
const FORKING_ECHO: &str = r#"
import os, signal, subprocess
flags = sys.argv[2:]
if "ignore-term" in flags:
    # Inherited by the child: neither dies of SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "1000"])
with open(sys.argv[1], "a") as f:
    f.write("%d %d\n" % (os.getpid(), child.pid))
sys.stderr.write("CHILD-STARTED %d\n" % child.pid)
sys.stderr.flush()
def handle(msg):
    if node_id is None:
        return  # restarted by the kill nemesis; a request came before init
    if "crash" in flags:
        os._exit(3)
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#;

/// Waits at most this long for a killed process to be gone. Generous: it is a
/// bound on an event (the process exiting), not a pause.
const GONE_WITHIN: Duration = Duration::from_secs(10);

/// A short echo test of the forking node, its pids going to `dir/pids`.
fn forking_config(dir: &Path, flags: &[&str]) -> TestConfig {
    let bin = python_node(dir, "forking.py", FORKING_ECHO);
    let mut cfg = short_config("echo", bin.clone(), dir);
    let mut args = vec![dir.join("pids").display().to_string()];
    args.extend(flags.iter().map(|f| f.to_string()));
    cfg.program = NodeProgram::Process { bin, args };
    cfg.time_limit = Duration::from_secs(2);
    cfg
}

/// Every pid the nodes wrote (nodes and their children), across restarts.
fn pids(dir: &Path) -> Vec<i32> {
    let text = std::fs::read_to_string(dir.join("pids")).expect("the nodes wrote their pids");
    let pids: Vec<i32> = text
        .split_whitespace()
        .map(|p| p.parse().expect("a pid"))
        .collect();
    assert!(!pids.is_empty());
    pids
}

/// Whether process `pid` has exited (or never existed) within `limit`: a
/// pidfd becomes readable when its process exits, whoever its parent is.
fn gone_within(pid: i32, limit: Duration) -> bool {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    let fd = fd as libc::c_int;
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = libc::c_int::try_from(limit.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd; the fd is ours and closed right after.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    unsafe { libc::close(fd) };
    ready == 1
}

fn assert_all_gone(dir: &Path) {
    for pid in pids(dir) {
        assert!(
            gone_within(pid, GONE_WITHIN),
            "process {pid}, started by a node, is still running after the test"
        );
    }
}

#[test]
fn a_node_s_child_is_killed_with_it_at_teardown() {
    let dir = scratch("proc-teardown");
    let outcome = run_blocking(forking_config(&dir, &[])).expect("the test ran");
    assert_eq!(outcome.valid, Validity::Valid);
    assert_eq!(pids(&dir).len(), 6, "3 nodes and 3 children");
    assert_all_gone(&dir);
}

#[test]
fn a_node_ignoring_sigterm_and_its_child_are_removed_in_time() {
    let dir = scratch("proc-ignore-term");
    let cfg = forking_config(&dir, &["ignore-term"]);
    let limit = cfg.time_limit + Duration::from_secs(15);
    let started = Instant::now();
    let outcome = run_blocking(cfg).expect("the test ran");
    assert_eq!(outcome.valid, Validity::Valid);
    assert_all_gone(&dir);
    assert!(
        started.elapsed() < limit,
        "took {:?}, more than the time limit + 15 s",
        started.elapsed()
    );
}

#[test]
fn a_crashing_node_s_child_goes_with_it() {
    let dir = scratch("proc-crash");
    let err = run_blocking(forking_config(&dir, &["crash"])).expect_err("a node crashed");
    assert!(
        matches!(err, HarnessError::NodeCrashed { .. }),
        "not a crash: {err}"
    );
    assert_all_gone(&dir);
}

#[test]
fn killed_paused_and_restarted_nodes_leave_no_child_behind() {
    let dir = scratch("proc-nemesis");
    let mut cfg = forking_config(&dir, &[]);
    cfg.nemesis_kill = true;
    cfg.nemesis_pause = true;
    cfg.nemesis_interval = Duration::from_millis(300);
    cfg.time_limit = Duration::from_secs(3);
    run_blocking(cfg).expect("the test ran");
    let pids = pids(&dir);
    assert!(pids.len() > 6, "no node was restarted: {pids:?}");
    assert_all_gone(&dir);
}

/// Ctrl-C at the terminal now reaches only the harness (nodes have process
/// groups of their own), so the harness must stop every node itself.
#[test]
fn ctrl_c_stops_every_node_and_its_children() {
    let dir = scratch("proc-ctrl-c");
    let bin: PathBuf = python_node(&dir, "forking.py", FORKING_ECHO);
    let mut harness = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(&*dir)
        .args(["test", "-w", "echo", "--bin"])
        .arg(&bin)
        .args(["--node-count", "3", "--time-limit", "60", "--seed", "3"])
        .args(["--log-stderr", "--init-timeout", "10", "--"])
        .arg(dir.join("pids"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("maelstrom runs");
    let stderr = harness.stderr.take().expect("piped stderr");
    // Lines as they come: interrupt once every node has started its child.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.contains("CHILD-STARTED"));
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut started = 0;
    while started < 3 {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(true) => started += 1,
            Ok(false) => {}
            Err(e) => panic!("the nodes did not all start: {e}"),
        }
    }
    let harness_pid = libc::pid_t::try_from(harness.id()).expect("a pid");
    // SAFETY: kill(2) on our own child, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(harness_pid, libc::SIGINT) }, 0);
    let status = harness.wait().expect("the harness exits");
    let log = reader.join().expect("the stderr reader");
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(
        log.contains("Interrupted; every node has been stopped."),
        "{log}"
    );
    assert_eq!(pids(&dir).len(), 6, "3 nodes and 3 children");
    assert_all_gone(&dir);
}

/// Nodes run in the temp dir, so a relative store (the default `--store
/// store`) must reach them as an absolute storage path, or their durable
/// state would land under the temp dir.
#[test]
fn node_storage_is_in_the_store_when_the_store_path_is_relative() {
    let dir = scratch("proc-storage");
    let bin = python_node(
        &dir,
        "where.py",
        &format!(
            "import os\nopen(sys.argv[1], 'a').write(os.environ['MAELSTROM_STORAGE_DIR'] + '\\n')\n{ECHO}"
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(&*dir)
        .args(["test", "-w", "echo", "--bin"])
        .arg(&bin)
        .args(["--node-count", "1", "--time-limit", "1", "--seed", "5"])
        .args(["--recovery-wait", "0", "--"])
        .arg(dir.join("where"))
        .output()
        .expect("maelstrom runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let told = std::fs::read_to_string(dir.join("where")).unwrap();
    let storage = Path::new(told.trim());
    let store = dir.canonicalize().unwrap().join("store");
    assert!(
        storage.is_absolute() && storage.starts_with(&store),
        "{storage:?} is not in {store:?}"
    );
}
