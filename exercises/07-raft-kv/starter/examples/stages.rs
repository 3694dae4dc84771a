//! Runs the stage tests against your core:
//! `cargo run -p raft-kv-starter --example stages -- <stage 1-3> [seeds]`.

use raft_kv_reference::stages::{run_stage, Stage};
use raft_kv_starter::Raft;

fn main() {
    let mut args = std::env::args().skip(1);
    let stage = args
        .next()
        .and_then(|s| s.parse().ok())
        .and_then(Stage::from_number)
        .unwrap_or_else(|| {
            eprintln!("usage: stages <stage 1-3> [seeds]");
            std::process::exit(2)
        });
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    match run_stage(stage, &Raft::new, 0..seeds) {
        Ok(()) => println!(
            "stage {} ({stage:?}) passed with {seeds} seeds",
            stage as u32
        ),
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1);
        }
    }
}
