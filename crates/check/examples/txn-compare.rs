//! Side by side: this crate's transactional checker and the `adya` crate's
//! (an independent Rust checker after Elle), on the same list-append
//! histories, strict-serializable.
//!
//! Usage: `cargo run --release -p maelstrom-check --example txn-compare -- [TXNS...] [--runs R]`
//!
//! For each size (default 10k, 100k, 1M) the history comes from adya's own
//! simulator (`adya run sim -n N -p 10`: a serializable in-memory store, 10
//! processes, 8 hot keys retired after 32 appends, 5% aborts, 1% commits
//! reported indeterminate), written once as JSON lines to a temporary file.
//! Each checker then runs R times (default 3), each run in a child process
//! of its own, so that peak memory (VmHWM) is that checker's alone. A run
//! reads the file (`read_s`: text to the checker's history form) and checks
//! it (`check_s`). The table shows per checker the median times, the
//! largest peak, the verdict and anomaly types, then adya's median total
//! time over ours.

use maelstrom_check::history::Op;
use maelstrom_check::txn::{check_history, TxnHistoryBuilder, TxnKind, TxnOpts};
use std::io::BufRead;
use std::process::Command;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The process's peak resident memory in MiB (Linux), or 0.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// One checker run, in this (child) process: prints
/// `read_s check_s peak_MiB verdict types`.
fn child(which: &str, path: &str) -> Res<()> {
    let start = Instant::now();
    let (read, verdict, types) = match which {
        "adya" => {
            let text = std::fs::read_to_string(path)?;
            let h = adya::History::from_json(&text).map_err(|e| format!("{e:?}"))?;
            drop(text);
            let read = start.elapsed();
            let opts = adya::Opts {
                models: vec!["strict-serializable".into()],
                ..adya::Opts::default()
            };
            let r = adya::check(&h, adya::Workload::ListAppend, &opts);
            let v = match r.valid {
                adya::Valid::True => "true",
                adya::Valid::False => "false",
                adya::Valid::Unknown => "unknown",
            };
            (read, v.to_string(), r.anomaly_types.join(","))
        }
        _ => {
            let mut b = TxnHistoryBuilder::new(TxnKind::ListAppend);
            let file = std::io::BufReader::new(std::fs::File::open(path)?);
            for line in file.lines() {
                let line = line?;
                if !line.trim().is_empty() {
                    b.push(&serde_json::from_str::<Op>(&line)?);
                }
            }
            let h = b.finish();
            let read = start.elapsed();
            let r = check_history(&h, &TxnOpts::default());
            let v = serde_json::to_value(r.valid)?.to_string().replace('"', "");
            (read, v, r.anomaly_types.join(","))
        }
    };
    let total = start.elapsed();
    let types = if types.is_empty() { "-" } else { &types };
    println!(
        "{:.3} {:.3} {} {verdict} {types}",
        read.as_secs_f64(),
        (total - read).as_secs_f64(),
        peak_mib()
    );
    Ok(())
}

/// What one child reported.
struct Run {
    read: f64,
    check: f64,
    peak: u64,
    verdict: String,
    types: String,
}

fn spawn(which: &str, path: &str) -> Res<Run> {
    let out = Command::new(std::env::current_exe()?)
        .args(["--child", which, path])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "{which} child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8(out.stdout)?;
    let f: Vec<&str> = text.split_whitespace().collect();
    let [read, check, peak, verdict, types] = f[..] else {
        return Err(format!("{which} child said {text:?}").into());
    };
    Ok(Run {
        read: read.parse()?,
        check: check.parse()?,
        peak: peak.parse()?,
        verdict: verdict.to_string(),
        types: types.to_string(),
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1], &args[2]);
    }
    let mut runs = 3;
    let mut sizes = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--runs" {
            runs = it.next().ok_or("--runs needs a number")?.parse()?;
        } else {
            sizes.push(a.parse::<usize>()?);
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000, 1_000_000];
    }
    println!("txns\tchecker\tread_s\tcheck_s\ttotal_s\tpeak_MiB\tvalid\tanomalies");
    for n in sizes {
        let sim = adya::sim::SimOpts {
            isolation: adya::sim::Isolation::Serializable,
            processes: 10,
            txns: n,
            seed: 1,
            ..adya::sim::SimOpts::default()
        };
        let path =
            std::env::temp_dir().join(format!("txn-compare-{}-{n}.jsonl", std::process::id()));
        std::fs::write(&path, adya::sim::run(&sim))?;
        let p = path.to_string_lossy().to_string();
        let mut totals = Vec::new();
        for which in ["adya", "ours"] {
            // Alternate nothing: each checker's runs back to back, so a
            // burst of load on the shared machine shows in one median only.
            let rs: Vec<Run> = (0..runs).map(|_| spawn(which, &p)).collect::<Res<_>>()?;
            let read = median(rs.iter().map(|r| r.read).collect());
            let check = median(rs.iter().map(|r| r.check).collect());
            let total = median(rs.iter().map(|r| r.read + r.check).collect());
            let peak = rs.iter().map(|r| r.peak).max().unwrap_or(0);
            println!(
                "{n}\t{which}\t{read:.2}\t{check:.2}\t{total:.2}\t{peak}\t{}\t{}",
                rs[0].verdict, rs[0].types
            );
            totals.push((total, check, peak));
        }
        let (a, o) = (totals[0], totals[1]);
        println!(
            "{n}\tratio\tadya/ours: total {:.1}x, check {:.1}x, peak memory {:.1}x",
            a.0 / o.0,
            a.1 / o.1,
            a.2 as f64 / o.2.max(1) as f64
        );
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
