//! The reference passes the kafka levels, run in simulation over the seeds
//! and judged by the criteria grade.toml gives (see exercise-testkit).

use exercise_testkit::Levels;
use kafka_log_reference::KafkaLog;

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_one_node() {
    levels().pass::<KafkaLog>(&["a"]);
}

/// Levels b and c run the same flags; c's figures are only reported (printed
/// here), so they share one run per seed.
#[test]
fn b_and_c_two_nodes() {
    levels().pass::<KafkaLog>(&["b", "c"]);
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a", "b", "c"]);
}
