//! Stage 1 (Election): each scenario against the reference core, over many seeds
//! (`RAFT_SEEDS` overrides the count).

mod support;

use raft_kv_reference::stages::Stage;

#[test]
fn initial_election_3() {
    support::run("initial_election_3", 100);
}

#[test]
fn initial_election_5() {
    support::run("initial_election_5", 100);
}

#[test]
fn reelection() {
    support::run("reelection", 100);
}

#[test]
fn isolated_rejoins() {
    support::run("isolated_rejoins", 100);
}

#[test]
fn many_elections() {
    support::run("many_elections", 100);
}

#[test]
fn every_scenario_of_the_stage_is_tested() {
    support::covers(
        Stage::Election,
        &[
            "initial_election_3",
            "initial_election_5",
            "reelection",
            "isolated_rejoins",
            "many_elections",
        ],
    );
}
