//! Stage 3 (Persistence): each scenario against the reference core, over many seeds
//! (`RAFT_SEEDS` overrides the count).

mod support;

use raft_kv_reference::stages::Stage;

#[test]
fn restart_keeps_state() {
    support::run("restart_keeps_state", 100);
}

#[test]
fn churn() {
    support::run("churn", 100);
}

#[test]
fn unreliable_agreement() {
    support::run("unreliable_agreement", 100);
}

#[test]
fn figure_8() {
    support::run("figure_8", 100);
}

#[test]
fn figure_8_unreliable() {
    support::run("figure_8_unreliable", 100);
}

#[test]
fn every_scenario_of_the_stage_is_tested() {
    support::covers(
        Stage::Persistence,
        &[
            "restart_keeps_state",
            "churn",
            "unreliable_agreement",
            "figure_8",
            "figure_8_unreliable",
        ],
    );
}
