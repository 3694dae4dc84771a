//! Mutation tests: the reference core with a deliberate bug must fail the stage
//! meant to catch that bug (and the bug-free core passes it: see the stage tests).
//! If one of these fails, the stage tests have become too weak.

use raft_kv_reference::raft::{Bug, Raft};
use raft_kv_reference::stages::{run_stage, seed_count, Stage};
use raft_kv_reference::Setup;

/// Runs `stage` against the reference core with `bug`, expecting a failure whose
/// message contains `symptom`.
fn caught(stage: Stage, bug: Bug, symptom: &str) {
    let factory = move |setup: Setup| Raft::new(setup).with_bug(bug);
    match run_stage(stage, &factory, 0..seed_count(50)) {
        Ok(()) => panic!("stage {stage:?} did not catch the mutation {bug:?}"),
        Err(failure) => {
            eprintln!("{bug:?} caught: {failure}");
            assert!(
                failure.message.contains(symptom),
                "{bug:?} was caught, but not by the expected check: {failure}"
            );
        }
    }
}

#[test]
fn a_vote_granted_twice_in_one_term_is_caught_by_stage_1() {
    caught(Stage::Election, Bug::DoubleVote, "two leaders in term");
}

#[test]
fn a_commit_without_a_majority_is_caught_by_stage_2() {
    caught(
        Stage::Replication,
        Bug::CommitWithoutMajority,
        "applied index",
    );
}

#[test]
fn a_log_not_persisted_is_caught_by_stage_3() {
    caught(
        Stage::Persistence,
        Bug::LogNotPersisted,
        "another node applied",
    );
}

#[test]
fn elections_without_a_pre_vote_are_caught_by_stage_1() {
    caught(Stage::Election, Bug::NoPreVote, "reached term");
}
