//! What the terminal shows at the end of a test.

use maelstrom_harness::{HarnessError, Outcome, Validity};

use super::EXIT_CRASH;

/// Prints results.json, a summary and upstream's closing line.
pub fn summary(outcome: &Outcome) {
    let r = &outcome.results;
    println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
    let stats = &r["stats"];
    println!();
    println!(
        "Ops: {} completed, {} ok, {} info, {} fail. Seed: {}.",
        stats["count"], stats["ok-count"], stats["info-count"], stats["fail-count"], r["seed"]
    );
    if let Some(dir) = &outcome.store_dir {
        println!(
            "Results, history, message journal and node logs: {}",
            dir.display()
        );
    }
    for (section, v) in r.as_object().into_iter().flatten() {
        if v.get("valid") == Some(&serde_json::Value::Bool(false)) {
            println!("Invalid section: {section}");
        }
    }
    if outcome.valid != Validity::Valid {
        if let Some(line) = first_error(outcome) {
            println!("{line}");
        }
    }
    // A workload may explain its verdict in a few lines (lin-kv: the key and
    // the operations that cannot be linearized).
    if let Some(text) = r["workload"].get("summary").and_then(|s| s.as_str()) {
        println!("{text}");
    }
    // Last, so it is what the reader sees: a node that broke the protocol.
    if let Some(text) = maelstrom_harness::protocol::explain(&r["protocol"]) {
        println!();
        println!("{text}");
    }
    println!();
    println!("{}", closing_line(outcome.valid));
}

/// The first client operation that got an error, in words: often the quickest
/// way to see why a run failed (a request type the node does not support, a
/// timeout, a malformed reply).
fn first_error(outcome: &Outcome) -> Option<String> {
    let dir = outcome.store_dir.as_ref()?;
    let text = std::fs::read_to_string(dir.join("history.jsonl")).ok()?;
    let ops = maelstrom_check::history::parse_jsonl(&text).ok()?;
    let op = ops.iter().find(|op| {
        op.is_client()
            && matches!(
                op.kind,
                maelstrom_check::OpType::Fail | maelstrom_check::OpType::Info
            )
            && op.error.is_some()
    })?;
    let error = op.error.as_ref()?;
    let error = match error {
        serde_json::Value::Array(parts) => parts
            .iter()
            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(": "),
        other => other.to_string(),
    };
    Some(format!(
        "First failed operation: {} {} (process {}) got {error}",
        op.f, op.value, op.process
    ))
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
