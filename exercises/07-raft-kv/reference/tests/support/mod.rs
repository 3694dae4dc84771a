//! Shared by the stage tests: run a scenario of the reference core over many seeds.

use raft_kv_reference::raft::Raft;
use raft_kv_reference::stages::{run_scenario, scenario, scenarios, seed_count, Stage};

/// Runs scenario `name` against the reference core for `RAFT_SEEDS` (default
/// `seeds`) seeds, panicking with the failure (and its seed) if one fails.
pub fn run(name: &str, seeds: u64) {
    let s = scenario(name).unwrap_or_else(|| panic!("no scenario {name}"));
    if let Err(failure) = run_scenario(&s, &Raft::new, 0..seed_count(seeds)) {
        panic!("{failure}");
    }
}

/// Fails if `stage` has a scenario that `names` does not list (a test forgotten).
pub fn covers(stage: Stage, names: &[&str]) {
    for s in scenarios().iter().filter(|s| s.stage == stage) {
        assert!(names.contains(&s.name), "no test runs scenario {}", s.name);
    }
}
