//! The reference's stages against the txn-list-append levels, run in
//! simulation over the seeds grade.toml gives (see exercise-testkit): each
//! level's own design on that level, and the binary's design (the last one)
//! on every level, since `maelstrom grade --reference` runs only the binary.

use exercise_testkit::Levels;
use txn_list_append_reference::{
    local::LocalTransactor, optimized::CachedTransactor, shared::SharedTransactor,
    trees::TreeTransactor,
};

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_single_node_transactor() {
    levels().pass::<LocalTransactor>(&["a"]);
}

#[test]
fn b_shared_state() {
    levels().pass::<SharedTransactor>(&["b"]);
}

#[test]
fn c_persistent_trees() {
    levels().pass::<TreeTransactor>(&["c"]);
}

#[test]
fn the_optimized_transactor_passes_every_level() {
    levels().pass::<CachedTransactor>(&["a", "b", "c", "d"]);
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a", "b", "c", "d"]);
}
