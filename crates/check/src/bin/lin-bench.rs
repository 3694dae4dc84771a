//! Benchmark: checks every Porcupine history, printing the verdict and the
//! median time per file, and totals per set.
//!
//! Usage: `cargo run --release -p maelstrom-check --bin lin-bench -- [DATA_DIR] [RUNS]`
//! (DATA_DIR defaults to `$MAELSTROM_PORCUPINE_DATA` or `../shared/data/porcupine`
//! beside the repository; RUNS defaults to 7).

use maelstrom_check::linearizable::{check_partitions, LinOpts, Partition};
use maelstrom_check::porcupine::{corpus, parse_etcd, parse_kv};
use maelstrom_check::{Budget, Validity};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn data_dir(arg: Option<String>) -> PathBuf {
    arg.filter(|a| !a.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(corpus::default_dir)
}

/// Runs `f` `runs` times; returns (median, minimum, last result).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    let out = last.unwrap_or_else(|| unreachable!("at least one run"));
    (times[times.len() / 2], times[0], out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "linearizable",
        Validity::Invalid => "NOT linearizable",
        Validity::Unknown => "unknown",
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = data_dir(args.next());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(7);
    let opts = LinOpts::default();
    if !corpus::is_data_dir(&dir) {
        eprintln!("no Porcupine data at {}", dir.display());
        std::process::exit(2);
    }
    println!(
        "data: {}  runs per file: {runs}  threads: {:?}",
        dir.display(),
        std::thread::available_parallelism().map(|n| n.get()).ok()
    );

    let mut names: Vec<String> = std::fs::read_dir(dir.join("jepsen"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let (mut sum_med, mut sum_min) = (Duration::ZERO, Duration::ZERO);
    let mut counts = [0usize; 3];
    println!("\n== etcd (one CAS register per file) ==");
    for name in &names {
        let Ok(text) = std::fs::read_to_string(dir.join("jepsen").join(name)) else {
            continue;
        };
        let (med, min, v) = time(runs, || {
            let p = parse_etcd(&text).map(|p| vec![p]).unwrap_or_default();
            check_partitions(p, &opts).valid
        });
        sum_med += med;
        sum_min += min;
        counts[v as usize] += 1;
        println!(
            "{name:<14} {:<17} median {:>8.3} ms  min {:>8.3} ms",
            verdict(v),
            ms(med),
            ms(min)
        );
    }
    println!(
        "etcd total ({} files; {} linearizable, {} not, {} unknown): sum of medians {:.1} ms, sum of minima {:.1} ms",
        names.len(),
        counts[0],
        counts[2],
        counts[1],
        ms(sum_med),
        ms(sum_min)
    );

    println!("\n== kv (string register per key, partitioned, parallel) ==");
    let kv_files = [
        "c01-ok.txt",
        "c01-bad.txt",
        "c10-ok.txt",
        "c10-bad.txt",
        "c50-ok.txt",
        "c50-bad.txt",
    ];
    let mut kv_sum = Duration::ZERO;
    for name in kv_files {
        let Ok(text) = std::fs::read_to_string(dir.join("kv").join(name)) else {
            println!("{name}: missing");
            continue;
        };
        let (med, min, r) = time(runs, || {
            let parts = parse_kv(&text).unwrap_or_default();
            check_partitions(parts, &opts)
        });
        kv_sum += med;
        println!(
            "{name:<14} {:<17} median {:>8.3} ms  min {:>8.3} ms  (keys: {} not linearizable, {} unknown)",
            verdict(r.valid),
            ms(med),
            ms(min),
            r.failures.len(),
            r.unknown.len()
        );
    }
    println!(
        "kv total (6 files, every key decided): sum of medians {:.1} ms",
        ms(kv_sum)
    );

    println!("\n== kv c50-bad, each key alone (10 s budget per key, 1 thread) ==");
    if let Ok(text) = std::fs::read_to_string(dir.join("kv").join("c50-bad.txt")) {
        let keys = parse_kv(&text).unwrap_or_default();
        let one = LinOpts {
            budget: Budget::with_time(Duration::from_secs(10)),
            threads: Some(1),
            ..LinOpts::default()
        };
        let mut total = Duration::ZERO;
        for k in &keys {
            let (med, _, r) = time(runs, || check_partitions(vec![Partition::clone(k)], &one));
            total += med;
            let kr = r.results.values().next();
            println!(
                "key {:<3} {:<17} median {:>8.3} ms  ops {:>4}  configurations {}",
                k.key,
                verdict(r.valid),
                ms(med),
                kr.map_or(0, |k| k.op_count),
                kr.map_or(0, |k| k.configurations)
            );
        }
        println!(
            "c50-bad all {} keys: sum of medians {:.1} ms",
            keys.len(),
            ms(total)
        );
    }
}
