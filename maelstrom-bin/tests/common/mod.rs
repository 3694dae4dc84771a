//! Shared helpers: small Python nodes written to a temp dir, short test configs,
//! and workspace binaries built on demand.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use maelstrom::cli::grade::config::Exercise;
use maelstrom_harness::{NodeProgram, TestConfig};

/// A fresh scratch directory for one test, removed when dropped (a failing
/// test's too: dropping happens while the panic unwinds). Derefs to its path.
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh scratch directory for one test; `name` shows in its folder name.
pub fn scratch(name: &str) -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix(&format!("maelstrom-e2e-{name}-"))
        .tempdir()
        .expect("a temp dir");
    Scratch(dir)
}

/// A tiny node framework: `handle(msg)` per message, `send`/`reply` helpers,
/// and `periodic(fn)` run every 100 ms on a thread.
const PRELUDE: &str = r#"#!/usr/bin/env python3
import sys, json, threading, time
lock = threading.Lock()
node_id = None
node_ids = []
neighbours = []
def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()
def reply(msg, body):
    body["in_reply_to"] = msg["body"].get("msg_id")
    send(msg["src"], body)
def periodic(fn, every=0.1):
    def loop():
        while True:
            time.sleep(every)
            with state_lock:
                fn()
    threading.Thread(target=loop, daemon=True).start()
state_lock = threading.Lock()
def main(handle):
    global node_id, node_ids
    for line in sys.stdin:
        msg = json.loads(line)
        b = msg["body"]
        if b["type"] == "init":
            node_id = b["node_id"]; node_ids = b["node_ids"]
            reply(msg, {"type": "init_ok"})
            continue
        with state_lock:
            handle(msg)
"#;

/// Writes an executable Python node: the prelude plus `body`.
pub fn python_node(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{PRELUDE}\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// A short test: 3 s, 10 ops/s, 1 s recovery wait, fixed seed, store in `dir`.
pub fn short_config(workload: &str, bin: PathBuf, dir: &Path) -> TestConfig {
    let mut cfg = TestConfig::new(workload, NodeProgram::Process { bin, args: vec![] });
    cfg.nodes = TestConfig::node_ids(3);
    cfg.concurrency = 3;
    cfg.time_limit = Duration::from_secs(3);
    cfg.rate = 10.0;
    cfg.recovery_wait = Duration::from_secs(1);
    // Generous: Python nodes start slowly on a loaded 2-core machine, and a
    // correct node answers long before either timeout.
    cfg.init_timeout = Duration::from_secs(10);
    cfg.rpc_timeout = Duration::from_secs(3);
    cfg.seed = 42;
    cfg.store_root = Some(dir.join("store"));
    cfg
}

/// Partitions every ~0.5 s.
pub fn with_partitions(mut cfg: TestConfig) -> TestConfig {
    cfg.nemesis_partition = true;
    cfg.nemesis_interval = Duration::from_millis(500);
    cfg
}

pub const ECHO: &str = r#"
def handle(msg):
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#;

pub const UNIQUE_IDS: &str = r#"
counter = [0]
def handle(msg):
    counter[0] += 1
    reply(msg, {"type": "generate_ok", "id": "%s-%d" % (node_id, counter[0])})
main(handle)
"#;

/// State-based gossip of the whole set to neighbours (or everyone for g-set),
/// every 100 ms: survives partitions. `ADD`/`FIELD` are filled in per workload.
pub const GOSSIP_SET: &str = r#"
seen = set()
def gossip():
    for n in (neighbours or [x for x in node_ids if x != node_id]):
        send(n, {"type": "gossip", "messages": sorted(seen)})
periodic(gossip)
def handle(msg):
    global neighbours
    b = msg["body"]
    t = b["type"]
    if t == "topology":
        neighbours = b["topology"].get(node_id, [])
        reply(msg, {"type": "topology_ok"})
    elif t == "ADD":
        seen.add(b["ELEMENT"])
        reply(msg, {"type": "ADD_ok"})
    elif t == "read":
        reply(msg, {"type": "read_ok", "FIELD": sorted(seen)})
    elif t == "gossip":
        seen.update(b["messages"])
main(handle)
"#;

/// The broadcast node.
pub fn broadcast_node() -> String {
    GOSSIP_SET
        .replace("ADD", "broadcast")
        .replace("ELEMENT", "message")
        .replace("FIELD", "messages")
}

/// The g-set node.
pub fn g_set_node() -> String {
    GOSSIP_SET
        .replace("ADD", "add")
        .replace("ELEMENT", "element")
        .replace("FIELD", "value")
}

/// A PN-counter CRDT: per-node increments and decrements, gossiped to all.
pub const PN_COUNTER: &str = r#"
p = {}
n = {}
def gossip():
    for x in node_ids:
        if x != node_id:
            send(x, {"type": "merge", "p": p, "n": n})
periodic(gossip)
def handle(msg):
    b = msg["body"]
    t = b["type"]
    if t == "add":
        d = b["delta"]
        if d >= 0:
            p[node_id] = p.get(node_id, 0) + d
        else:
            n[node_id] = n.get(node_id, 0) - d
        reply(msg, {"type": "add_ok"})
    elif t == "read":
        reply(msg, {"type": "read_ok", "value": sum(p.values()) - sum(n.values())})
    elif t == "merge":
        for k, v in b["p"].items(): p[k] = max(p.get(k, 0), v)
        for k, v in b["n"].items(): n[k] = max(n.get(k, 0), v)
main(handle)
"#;

/// The workspace root, where `maelstrom grade` and cargo find the workspace.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("maelstrom-bin sits in the workspace")
        .to_path_buf()
}

/// Builds binary `bin` of workspace package `package` (debug) with the cargo
/// running the tests and returns its path, so that tests needing another crate's
/// binary never skip. (maelstrom-bin cannot depend on the root package's
/// `built_binary`, which does the same.)
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    // Tests run on parallel threads; one cargo at a time.
    static BUILD_LOCK: Mutex<()> = Mutex::new(());
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .current_dir(workspace())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p {package} failed");
    // This test binary is target/<profile>/deps/<name>-<hash>; the build above
    // used the same target directory, debug profile.
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("test binary inside a target dir");
    let path = target.join("debug").join(bin);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Prefix of the pristine copies' package, binary and example names, so their
/// build outputs never replace the learner's in the shared target directory.
pub const PREFIX: &str = "pristine-";

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// The root of the git checkout around `workspace`, or why there is none.
pub fn git_checkout(workspace: &Path) -> Result<PathBuf, String> {
    let out = git(workspace, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim()))
}

/// The starters as committed (read with `git show` from `HEAD`, or from
/// `MAELSTROM_STARTERS_REV`), in a temporary cargo workspace whose dependencies
/// point at the real crates. The starters in `exercises/` are where learners
/// work, so tests that need a starter's behaviour build these copies.
pub struct Pristine {
    /// The temporary workspace (removed on drop).
    dir: Scratch,
}

impl Pristine {
    /// Writes the committed files of every exercise's `starter/` into a
    /// temporary workspace, or says why it cannot (no git, not a clone).
    pub fn new(workspace: &Path, exercises: &[Exercise]) -> Result<Pristine, String> {
        let rev = std::env::var("MAELSTROM_STARTERS_REV").unwrap_or_else(|_| "HEAD".into());
        let top = git_checkout(workspace)?;
        let dir = scratch("pristine-starters");
        let mut members = Vec::new();
        for ex in exercises {
            let starter = ex.dir.join("starter");
            let rel = starter
                .canonicalize()
                .map_err(|e| format!("{}: {e}", starter.display()))?;
            let rel = rel
                .strip_prefix(top.canonicalize().unwrap_or(top.clone()))
                .map_err(|_| format!("{} is outside the git checkout", starter.display()))?
                .to_path_buf();
            let rel_str = rel.to_string_lossy().to_string();
            let listing = git(
                &top,
                &["ls-tree", "-r", "--name-only", &rev, "--", &rel_str],
            )?;
            let files: Vec<String> = String::from_utf8_lossy(&listing)
                .lines()
                .map(str::to_string)
                .collect();
            if files.is_empty() {
                return Err(format!("{rel_str} is not committed at {rev}"));
            }
            let folder = ex.dir.file_name().expect("an exercise folder");
            let to = dir.join(folder).join("starter");
            for file in &files {
                let blob = git(&top, &["show", &format!("{rev}:{file}")])?;
                let inside = Path::new(file).strip_prefix(&rel).expect("listed under it");
                let path = to.join(inside);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, blob).unwrap();
            }
            let manifest = to.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
            let has_stages = to.join("examples/stages.rs").is_file();
            std::fs::write(&manifest, pristine_manifest(&text, &starter, has_stages)).unwrap();
            members.push(format!(
                "{:?}",
                Path::new(folder).join("starter").to_string_lossy()
            ));
        }
        // The real workspace's shared settings and dependencies, with their
        // paths made absolute, so `.workspace = true` resolves as it does there.
        let root = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
        let shared = root
            .find("[workspace.package]")
            .map(|i| &root[i..])
            .ok_or("the workspace Cargo.toml has no [workspace.package]")?;
        let shared = shared.replace("path = \"", &format!("path = \"{}/", workspace.display()));
        let manifest = format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n{shared}",
            members.join(", ")
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        // The same dependency versions as the real build, so artifacts are shared.
        if let Ok(lock) = std::fs::read(workspace.join("Cargo.lock")) {
            std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
        }
        Ok(Pristine { dir })
    }

    /// Runs cargo in the temporary workspace, building into the real target
    /// directory (the dependencies are already built there).
    pub fn cargo(&self, args: &[&str]) -> std::process::Output {
        let exe = std::env::current_exe().expect("test binary path");
        let target = exe
            .ancestors()
            .nth(3)
            .expect("test binary inside a target dir");
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&*self.dir)
            .env("CARGO_TARGET_DIR", target)
            .args(args)
            .output()
            .expect("cargo runs")
    }

    /// Builds `bin` of the pristine copy of `package` and returns its path.
    pub fn binary(&self, package: &str, bin: &str) -> PathBuf {
        let (package, bin) = (format!("{PREFIX}{package}"), format!("{PREFIX}{bin}"));
        let out = self.cargo(&["build", "--quiet", "-p", &package, "--bin", &bin]);
        assert!(
            out.status.success(),
            "cargo build -p {package} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exe = std::env::current_exe().expect("test binary path");
        let path = exe.ancestors().nth(3).unwrap().join("debug").join(&bin);
        assert!(path.exists(), "{} was not built", path.display());
        path
    }
}

/// A starter's manifest for the temporary workspace: package, binaries and the
/// stages example renamed with [`PREFIX`], relative dependency paths anchored at
/// the real starter folder.
pub fn pristine_manifest(text: &str, real_dir: &Path, has_stages: bool) -> String {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_string();
        }
        let mut line = line.to_string();
        if (section == "[package]" || section == "[[bin]]") && trimmed.starts_with("name = \"") {
            line = line.replacen("name = \"", &format!("name = \"{PREFIX}"), 1);
        }
        if line.contains("path = \"../") {
            line = line.replace(
                "path = \"../",
                &format!("path = \"{}/../", real_dir.display()),
            );
        }
        out.push(line);
        if section == "[package]" && trimmed.starts_with("name = ") && has_stages {
            out.push("autoexamples = false".into());
        }
    }
    if has_stages {
        out.push(format!(
            "\n[[example]]\nname = \"{PREFIX}stages\"\npath = \"examples/stages.rs\""
        ));
    }
    out.join("\n") + "\n"
}
