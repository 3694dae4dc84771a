//! The progress line printed to stderr while a test runs.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::history::History;

/// Prints elapsed time and completion counts every second until aborted.
pub async fn report(history: History, limit: Duration) {
    let start = tokio::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let (ok, info, fail) = history.completion_counts();
        let line = format!(
            "[{:>5.0}/{:.0} s] ops: {ok} ok, {info} info, {fail} fail",
            start.elapsed().as_secs_f64(),
            limit.as_secs_f64()
        );
        let mut err = std::io::stderr();
        if tty {
            let _ = write!(err, "\r{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }
}

/// Ends the progress line on a terminal.
pub fn finish() {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}
