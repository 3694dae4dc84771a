//! Stage 2 (Replication): each scenario against the reference core, over many seeds
//! (`RAFT_SEEDS` overrides the count).

mod support;

use raft_kv_reference::stages::Stage;

#[test]
fn basic_agreement() {
    support::run("basic_agreement", 100);
}

#[test]
fn follower_cut_off() {
    support::run("follower_cut_off", 100);
}

#[test]
fn no_commit_without_majority() {
    support::run("no_commit_without_majority", 100);
}

#[test]
fn concurrent_proposals() {
    support::run("concurrent_proposals", 100);
}

#[test]
fn rejoin() {
    support::run("rejoin", 100);
}

#[test]
fn far_behind_follower() {
    support::run("far_behind_follower", 100);
}

#[test]
fn message_count() {
    support::run("message_count", 100);
}

#[test]
fn every_scenario_of_the_stage_is_tested() {
    support::covers(
        Stage::Replication,
        &[
            "basic_agreement",
            "follower_cut_off",
            "no_commit_without_majority",
            "concurrent_proposals",
            "rejoin",
            "far_behind_follower",
            "message_count",
        ],
    );
}
