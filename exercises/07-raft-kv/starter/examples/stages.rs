//! Runs the stage tests against your core:
//! `cargo run -p raft-kv-starter --example stages -- <stage> [seeds]`, where
//! `<stage>` is a number 1-4 or a name: election, replication, persistence,
//! snapshots.

use raft_kv_reference::stages::{run_stage, Stage};
use raft_kv_starter::Raft;

fn main() {
    let mut args = std::env::args().skip(1);
    let stage = args
        .next()
        .and_then(|s| Stage::parse(&s))
        .unwrap_or_else(|| {
            eprintln!(
                "usage: stages <stage: 1-4 or election, replication, persistence, snapshots> [seeds]"
            );
            std::process::exit(2)
        });
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    match run_stage(stage, &Raft::new, 0..seeds) {
        Ok(()) => println!(
            "stage {} ({}) passed with {seeds} seeds",
            stage as u32,
            stage.name()
        ),
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1);
        }
    }
}
