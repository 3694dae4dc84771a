//! Stage 4 (Snapshots): each scenario against the reference core, over many seeds
//! (`RAFT_SEEDS` overrides the count).

mod support;

use raft_kv_reference::stages::Stage;

#[test]
fn bounded_state() {
    support::run("bounded_state", 10);
}

#[test]
fn lagging_follower() {
    support::run("lagging_follower", 100);
}

#[test]
fn restart_from_snapshot() {
    support::run("restart_from_snapshot", 100);
}

#[test]
fn snapshot_churn() {
    support::run("snapshot_churn", 100);
}

#[test]
fn every_scenario_of_the_stage_is_tested() {
    support::covers(
        Stage::Snapshots,
        &[
            "bounded_state",
            "lagging_follower",
            "restart_from_snapshot",
            "snapshot_churn",
        ],
    );
}
