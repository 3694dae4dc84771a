//! What the terminal shows at the end of a test.

use maelstrom_harness::{HarnessError, Outcome, Validity};

use super::EXIT_CRASH;
use maelstrom_harness::explain;

/// How a test ran, which decides what its seed can promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// Every node a child process, on the real clock.
    Processes,
    /// In-process nodes on virtual time: the seed fixes everything.
    Simulation,
    /// Nothing ran: a stored test checked again (`maelstrom analyze`).
    Stored,
}

/// Prints results.json, a summary and upstream's closing line.
pub fn summary(outcome: &Outcome, mode: RunMode) {
    let r = &outcome.results;
    println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
    let stats = &r["stats"];
    println!();
    println!(
        "Ops: {} completed, {} ok, {} info, {} fail. Seed: {}.",
        stats["count"], stats["ok-count"], stats["info-count"], stats["fail-count"], r["seed"]
    );
    if mode == RunMode::Processes {
        println!("{}", seed_note(&r["seed"]));
    }
    if let Some(dir) = &outcome.store_dir {
        println!(
            "Results, history, message journal and node logs: {}",
            dir.display()
        );
    }
    // The harness words a test it ran while the history is in memory; a
    // stored test's history is read back (only an invalid run's whole).
    let words = outcome.words.clone().unwrap_or_else(|| {
        let history = match (&outcome.store_dir, outcome.valid) {
            (None, _) => Vec::new(),
            (Some(dir), Validity::Valid) => explain::read_history_of_valid(dir, r),
            (Some(dir), _) => explain::read_history(dir),
        };
        explain::verdict_words(r, &history, outcome.valid)
    });
    print_verdict(r, &words, outcome.valid);
}

/// Prints why results are what they are, in words, and upstream's closing
/// line: what `maelstrom test` ends with, and `maelstrom check` too.
/// `history` is the one the results came from (empty if unknown).
pub fn verdict(r: &serde_json::Value, history: &[maelstrom_check::Op], valid: Validity) {
    print_verdict(r, &explain::verdict_words(r, history, valid), valid);
}

/// [`verdict`] with its words already found.
fn print_verdict(r: &serde_json::Value, words: &[String], valid: Validity) {
    for line in words {
        println!("{line}");
    }
    // Last, so it is what the reader sees: a node that broke the protocol.
    if let Some(text) = maelstrom_harness::protocol::explain(&r["protocol"]) {
        println!();
        println!("{text}");
    }
    println!();
    println!("{}", closing_line(valid));
}

/// What a process run's seed fixes and what it does not.
fn seed_note(seed: &serde_json::Value) -> String {
    format!(
        "Seed {seed} fixes the harness's choices (the operations and their values, when they \
         are sent, message latencies, partitions and faults), not the processes' own timing: \
         a rerun with --seed {seed} can go differently. Nodes built with maelstrom-node replay \
         exactly with --sim."
    )
}

/// Upstream's last line for a verdict.
pub fn closing_line(valid: Validity) -> &'static str {
    match valid {
        Validity::Valid => "Everything looks good! ヽ(‘ー`)ノ",
        Validity::Invalid => "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻",
        Validity::Unknown => "Errors occurred during analysis, but no anomalies found. ಠ~ಠ",
    }
}

/// Prints a harness error as upstream does and returns the crash exit code.
pub fn crash(e: &HarnessError) -> i32 {
    crash_message(&e.to_string())
}

/// [`crash`] for an error already in words (from a node binary's reply).
pub fn crash_message(message: &str) -> i32 {
    eprintln!("Oh jeez, I'm sorry, Maelstrom broke. Here's why:\n\n{message}");
    EXIT_CRASH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_seed_says_what_it_does_not_fix() {
        let note = seed_note(&serde_json::json!(7));
        assert!(
            note.starts_with("Seed 7 fixes the harness's choices"),
            "{note}"
        );
        assert!(note.contains("not the processes' own timing"), "{note}");
    }
}
