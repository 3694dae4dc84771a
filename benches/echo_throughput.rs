//! Echo throughput of the built `echo-reference` binary beside a plain
//! read-parse-write loop over the same lines (`plain-echo`, the limit here).
//!
//! `cargo bench --bench echo_throughput` (env `ECHO_BENCH_MESSAGES`, default
//! 200000; `ECHO_BENCH_RUNS`, default 5). Prints msgs/s medians and the ratio.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pipes the input file into `bin`, reads every reply line, returns seconds.
fn run_once(bin: &Path, input: &Path, expected: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .stdin(std::fs::File::open(input)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut replies = 0;
    for line in BufReader::new(stdout).lines() {
        line?;
        replies += 1;
    }
    child.wait()?;
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        replies == expected,
        "{} answered {replies} of {expected}",
        bin.display()
    );
    Ok(secs)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let messages = env_usize("ECHO_BENCH_MESSAGES", 200_000);
    let runs = env_usize("ECHO_BENCH_RUNS", 5);
    let echo = maelstrom_workbench::built_binary("echo-reference", "echo-reference", true)?;
    let plain = maelstrom_workbench::built_binary("maelstrom-workbench", "plain-echo", true)?;

    // Removed when dropped, on an early `?` return too.
    let scratch = tempfile::Builder::new().prefix("echo-bench-").tempdir()?;
    let input = scratch.path().join("input.jsonl");
    let mut text = String::with_capacity(messages * 100);
    text.push_str(r#"{"id":0,"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#);
    text.push('\n');
    for i in 0..messages {
        let client = i % 5;
        text.push_str(&format!(
            r#"{{"id":{},"src":"c{client}","dest":"n1","body":{{"type":"echo","msg_id":{},"echo":"Please echo {}"}}}}"#,
            i + 1,
            i + 1,
            i % 128
        ));
        text.push('\n');
    }
    std::fs::write(&input, text)?;

    let (mut lib, mut limit) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        // Alternate, so both see the same background noise.
        lib.push(run_once(&echo, &input, messages + 1)?);
        limit.push(run_once(&plain, &input, messages + 1)?);
    }
    drop(scratch);
    let lib_rate = messages as f64 / median(lib);
    let limit_rate = messages as f64 / median(limit);
    println!("echo throughput, {messages} requests, median of {runs} runs");
    println!("  echo-reference (node library): {lib_rate:>10.0} msgs/s");
    println!("  plain-echo (read-parse-write): {limit_rate:>10.0} msgs/s");
    println!("  ratio: {:.2} of the limit", lib_rate / limit_rate);
    Ok(())
}
