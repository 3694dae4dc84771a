//! The report written beside results.json when a test keeps a store:
//! `results.edn` (upstream's keys and shapes, see [`edn`]), `index.html`
//! (a self-contained page: verdict, command, key figures, latency and rate
//! plots, results sections and links to every file, see [`html`] and
//! [`plots`]), `timeline.html` (see [`timeline`]) and `summary.json` (the few
//! figures `maelstrom serve` lists). `messages.html` comes from
//! [`crate::lamport`].
//!
//! It runs after every stored test, so it stays cheap: one pass over the
//! history, long arrays and deep values cut, the plots thinned or bucketed,
//! the pages' data compact JSON drawn by the browser.

pub mod data;
pub mod edn;
pub mod html;
pub mod plots;
pub mod timeline;

use std::path::Path;
use std::time::Duration;

use maelstrom_check::Op;
use serde_json::Value;

use crate::config::{Availability, LatencyDist, NodeProgram, TestConfig, Topology};

/// Whether the pages are written at all: `MAELSTROM_SKIP_REPORT=1` leaves
/// out results.edn, index.html, timeline.html and messages.html (results.json,
/// summary.json, the history and the journal are always written). It exists
/// to measure what the report costs.
pub fn enabled() -> bool {
    std::env::var_os("MAELSTROM_SKIP_REPORT").is_none_or(|v| v != "1")
}

/// Writes `timeline.html` in `dir`.
pub fn write_timeline(dir: &Path, workload: &str, ops: &[Op]) -> std::io::Result<()> {
    std::fs::write(dir.join("timeline.html"), timeline::render(workload, ops))
}

/// What `maelstrom serve` lists for a test, written as `summary.json`: small,
/// so listing a thousand tests reads a few hundred kilobytes.
pub fn summary(cfg: &TestConfig, results: &Value) -> Value {
    let r = results;
    serde_json::json!({
        "workload": cfg.workload,
        "valid": r.get("valid").cloned().unwrap_or(Value::Null),
        "seed": cfg.seed,
        "node-count": cfg.nodes.len(),
        "time-limit": cfg.time_limit.as_secs_f64(),
        "rate": cfg.rate,
        "ops": r.pointer("/stats/count").cloned().unwrap_or(Value::Null),
        "ok-fraction": r.pointer("/availability/ok-fraction").cloned().unwrap_or(Value::Null),
        "msgs-per-op": r.pointer("/net/servers/msgs-per-op").cloned().unwrap_or(Value::Null),
        "sim": matches!(cfg.program, NodeProgram::InProcess(_)),
        "command": command_line(cfg),
    })
}

/// Writes `results.edn` and then `index.html` (which links every file the
/// folder holds by then) in `dir`, for a test known by its workload and
/// rerun command. `body` is the page's [`html::render_body`], drawn before:
/// a test draws it while its other pages are still being written.
pub fn write_page(
    dir: &Path,
    workload: &str,
    command: &str,
    results: &Value,
    body: &str,
) -> std::io::Result<()> {
    std::fs::write(dir.join("results.edn"), edn::results_edn(results))?;
    let files = folder_files(dir);
    let page = html::render_around(
        &html::Page {
            workload,
            command,
            results,
            files: &files,
        },
        body,
    );
    std::fs::write(dir.join("index.html"), page)
}

/// The folder's files and directories (directories with a `/`), sorted, with
/// the files of `node-logs/` one level down; `index.html` itself left out.
fn folder_files(dir: &Path) -> Vec<String> {
    let list = |d: &Path| -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = std::fs::read_dir(d)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                        (e.file_name().to_string_lossy().into_owned(), is_dir)
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut out = Vec::new();
    for (name, is_dir) in list(dir) {
        if name == "index.html" {
            continue;
        }
        if !is_dir {
            out.push(name);
            continue;
        }
        out.push(format!("{name}/"));
        if name == "node-logs" {
            for (sub, sub_dir) in list(&dir.join(&name)) {
                out.push(format!("{name}/{sub}{}", if sub_dir { "/" } else { "" }));
            }
        }
    }
    out
}

/// Quotes a word for a POSIX shell when it needs it.
fn sh(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=,@%+-".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn secs(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// The `maelstrom test` command that reruns this test: the flags that differ
/// from the defaults, always the seed. In-process nodes are named by the
/// binary that ran them (`--sim`).
pub fn command_line(cfg: &TestConfig) -> String {
    let defaults = TestConfig::new(cfg.workload.clone(), NodeProgram::default());
    let mut a: Vec<String> = vec!["maelstrom".into(), "test".into(), "-w".into()];
    a.push(cfg.workload.clone());
    let mut push = |flag: &str, v: String| {
        a.push(flag.to_string());
        if !v.is_empty() {
            a.push(v);
        }
    };
    let node_args = match &cfg.program {
        NodeProgram::Process { bin, args } => {
            push("--bin", bin.display().to_string());
            args.clone()
        }
        NodeProgram::InProcess(_) => {
            push("--sim", String::new());
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "NODE_BINARY".into());
            push("--bin", exe);
            Vec::new()
        }
    };
    if cfg.nodes == TestConfig::node_ids(cfg.nodes.len()) {
        push("--node-count", cfg.nodes.len().to_string());
    } else if cfg.nodes != defaults.nodes {
        push("--nodes", cfg.nodes.join(","));
    }
    push("--time-limit", secs(cfg.time_limit));
    push("--rate", cfg.rate.to_string());
    push("--concurrency", cfg.concurrency.to_string());
    if !cfg.latency.is_zero() {
        push(
            "--latency",
            (cfg.latency.as_secs_f64() * 1000.0).to_string(),
        );
    }
    match cfg.latency_dist {
        LatencyDist::Constant => {}
        LatencyDist::Uniform => push("--latency-dist", "uniform".into()),
        LatencyDist::Exponential => push("--latency-dist", "exponential".into()),
    }
    let faults: Vec<&str> = [
        (cfg.nemesis_partition, "partition"),
        (cfg.nemesis_kill, "kill"),
        (cfg.nemesis_pause, "pause"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !faults.is_empty() {
        push("--nemesis", faults.join(","));
        if cfg.nemesis_interval != defaults.nemesis_interval {
            push("--nemesis-interval", secs(cfg.nemesis_interval));
        }
    }
    if cfg.topology != defaults.topology {
        let t = match cfg.topology {
            Topology::Grid => "grid".to_string(),
            Topology::Line => "line".to_string(),
            Topology::Tree(2) => "tree".to_string(),
            Topology::Tree(n) => format!("tree{n}"),
            Topology::Total => "total".to_string(),
        };
        push("--topology", t);
    }
    match cfg.availability {
        Availability::None => {}
        Availability::Total => push("--availability", "total".into()),
        Availability::Fraction(f) => push("--availability", f.to_string()),
    }
    if let Some(k) = cfg.key_count {
        push("--key-count", k.to_string());
    }
    let counts = [
        (
            "--min-txn-length",
            cfg.min_txn_length,
            defaults.min_txn_length,
        ),
        (
            "--max-txn-length",
            cfg.max_txn_length,
            defaults.max_txn_length,
        ),
        (
            "--max-writes-per-key",
            cfg.max_writes_per_key,
            defaults.max_writes_per_key,
        ),
    ];
    for (flag, v, d) in counts {
        if v != d {
            push(flag, v.to_string());
        }
    }
    if cfg.consistency_models != defaults.consistency_models {
        push("--consistency-models", cfg.consistency_models.join(","));
    }
    for (flag, p) in [
        ("--loss-rate", cfg.loss_rate),
        ("--duplication-rate", cfg.duplication_rate),
    ] {
        if p != 0.0 {
            push(flag, p.to_string());
        }
    }
    for (flag, on) in [
        ("--log-stderr", cfg.log_stderr),
        ("--log-net-send", cfg.log_net_send),
        ("--log-net-recv", cfg.log_net_recv),
    ] {
        if on {
            push(flag, String::new());
        }
    }
    for (flag, v, d) in [
        ("--recovery-wait", cfg.recovery_wait, defaults.recovery_wait),
        ("--init-timeout", cfg.init_timeout, defaults.init_timeout),
    ] {
        if v != d {
            push(flag, secs(v));
        }
    }
    if let Some(root) = &cfg.store_root {
        if root != Path::new("store") {
            push("--store", root.display().to_string());
        }
    }
    push("--seed", cfg.seed.to_string());
    if !node_args.is_empty() {
        a.push("--".into());
        a.extend(node_args);
    }
    a.iter().map(|w| sh(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_command_line_has_flags_and_seed() {
        let mut cfg = TestConfig::new(
            "broadcast",
            NodeProgram::Process {
                bin: "target/debug/my node".into(),
                args: vec!["--verbose".into(), "it's".into()],
            },
        );
        cfg.seed = 42;
        cfg.nodes = TestConfig::node_ids(3);
        cfg.time_limit = Duration::from_millis(2500);
        cfg.latency = Duration::from_millis(100);
        cfg.nemesis_partition = true;
        cfg.topology = Topology::Tree(4);
        cfg.availability = Availability::Total;
        assert_eq!(
            command_line(&cfg),
            "maelstrom test -w broadcast --bin 'target/debug/my node' --node-count 3 \
             --time-limit 2.5 --rate 5 --concurrency 5 --latency 100 --nemesis partition \
             --topology tree4 --availability total --seed 42 -- --verbose 'it'\\''s'"
        );
        cfg.nodes = TestConfig::new("echo", NodeProgram::default()).nodes;
        cfg.store_root = Some("/tmp/s".into());
        let line = command_line(&cfg);
        assert!(!line.contains("--node"), "{line}");
        assert!(line.contains("--store /tmp/s --seed 42"), "{line}");
    }

    #[test]
    fn report_write_makes_edn_and_page_linking_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("node-logs")).unwrap();
        std::fs::write(dir.path().join("node-logs/n1.log"), "hi").unwrap();
        std::fs::write(dir.path().join("results.json"), "{}").unwrap();
        std::fs::write(dir.path().join("history.jsonl"), "").unwrap();
        let mut cfg = TestConfig::new("echo", NodeProgram::default());
        cfg.seed = 3;
        let results =
            json!({"valid": true, "net": {"valid": true, "servers": {"msgs-per-op": 1.5}}});
        let body = html::render_body(&results, &[]);
        write_page(
            dir.path(),
            &cfg.workload,
            &command_line(&cfg),
            &results,
            &body,
        )
        .unwrap();
        let edn = std::fs::read_to_string(dir.path().join("results.edn")).unwrap();
        assert!(
            edn.contains(":net {:servers {:msgs-per-op 1.5}, :valid? true}"),
            "{edn}"
        );
        assert!(edn.ends_with(":valid? true}\n"));
        let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        for f in [
            "history.jsonl",
            "node-logs/",
            "node-logs/n1.log",
            "results.edn",
            "results.json",
        ] {
            assert!(
                page.contains(&format!("<a href=\"{f}\">{f}</a>")),
                "{f}: {page}"
            );
        }
        assert!(!page.contains("href=\"index.html\""));
        assert!(page.contains("--seed 3"));
    }
}
