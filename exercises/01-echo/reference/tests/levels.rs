//! The reference passes every level of grade.toml, run in simulation over the
//! seeds and judged by the criteria grade.toml gives (see exercise-testkit).

use echo_reference::Echo;
use exercise_testkit::{number, Levels};

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_echo_on_one_node() {
    for results in levels().pass::<Echo>(&["a"]) {
        // Every request answered: no timeouts hide behind a valid verdict.
        assert_eq!(number(&results, "stats.info-count"), 0.0);
    }
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a"]);
}

/// The level tests judge grade.toml's thresholds, so one the reference
/// cannot meet fails them.
#[test]
#[should_panic(expected = "criteria not met")]
fn an_unmet_threshold_fails_the_level() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../grade.toml"))
        .unwrap()
        .replace(
            "criteria = [",
            r#"criteria = [ { path = "stats.ok-count", below = 1 },"#,
        );
    Levels::parse(&text).pass::<Echo>(&["a"]);
}
