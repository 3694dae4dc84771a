//! Start-up benchmark of `maelstrom serve`: a generated store of many tests
//! (1,000 by default), the server started as a process, and the time until
//! it listens and until its list of every test has been read back whole.
//!
//! Each generated test folder holds what a real one lists from: summary.json,
//! a results.json of about 14 KB, index.html and node-logs/.
//!
//! ```text
//! cargo build --release -p maelstrom
//! ./target/release/maelstrom-serve-bench              # 1000 tests, 5 runs
//! ./target/release/maelstrom-serve-bench --tests 5000 --runs 3
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let mut tests = 1000usize;
    let mut runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || -> Result<usize> { Ok(args.next().context("a number")?.parse()?) };
        match a.as_str() {
            "--tests" => tests = value()?,
            "--runs" => runs = value()?,
            other => bail!("unknown argument {other} (--tests N, --runs N)"),
        }
    }
    let store = tempfile::tempdir()?;
    generate(store.path(), tests)?;
    let exe = std::env::current_exe()?.with_file_name("maelstrom");
    let (mut listening, mut listed) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (l, t) = run(&exe, store.path(), tests)?;
        listening.push(l);
        listed.push(t);
    }
    println!("maelstrom serve, a store of {tests} tests, median of {runs} runs");
    println!("  listening after:        {:.1} ms", median(&mut listening));
    println!("  whole list read after:  {:.1} ms", median(&mut listed));
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `n` test folders over four workloads, a second apart.
fn generate(root: &Path, n: usize) -> Result<()> {
    let workloads = ["broadcast", "echo", "g-set", "lin-kv"];
    let results = format!(
        "{{\"valid\":true,\"seed\":1,\"workload\":{{\"padding\":\"{}\"}}}}",
        "x".repeat(14_000)
    );
    for i in 0..n {
        let w = workloads[i % workloads.len()];
        let stamp = maelstrom_harness::store::basic_date_time(
            std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64),
        );
        let dir = root.join(w).join(stamp);
        std::fs::create_dir_all(dir.join("node-logs"))?;
        let summary = serde_json::json!({
            "workload": w, "valid": i % 7 != 0, "seed": i, "node-count": 5,
            "time-limit": 20.0, "rate": 100.0, "ops": 2000, "ok-fraction": 0.99,
            "msgs-per-op": 7.5, "sim": true,
            "command": format!("maelstrom test -w {w} --sim --bin x --seed {i}"),
        });
        std::fs::write(dir.join("summary.json"), summary.to_string())?;
        std::fs::write(dir.join("results.json"), &results)?;
        std::fs::write(dir.join("index.html"), "<h1>report</h1>")?;
    }
    Ok(())
}

/// One start: ms until the server printed its address, and until `GET /`
/// came back whole with a row per test.
fn run(exe: &Path, store: &Path, tests: usize) -> Result<(f64, f64)> {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(["serve", "--port", "0", "--store"])
        .arg(store)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let listening = start.elapsed().as_secs_f64() * 1e3;
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .context("no address printed")?
        .trim_end_matches('/')
        .to_string();
    let mut s = TcpStream::connect(&addr)?;
    // HTTP/1.0: the body comes whole, not in chunks, so rows can be counted.
    write!(s, "GET / HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    let listed = start.elapsed().as_secs_f64() * 1e3;
    let _ = child.kill();
    let _ = child.wait();
    let rows = body.matches("<tr data-verdict").count();
    if rows != tests {
        bail!(
            "the list has {rows} rows, expected {tests} ({} bytes read)",
            body.len()
        );
    }
    Ok((listening, listed))
}
