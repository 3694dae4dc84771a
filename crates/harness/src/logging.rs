//! The harness's own log: `tracing` events to stderr.
//!
//! The harness emits events (warnings, `--log-net-send`/`--log-net-recv`,
//! the node log lines `--log-stderr` echoes); whoever runs it installs a
//! subscriber, usually [`init_stderr`]: the `maelstrom` binary, and a node
//! binary that `maelstrom test --sim` hands a test to.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The environment variable that filters log events, as in the wider Rust
/// world: `info` (the default), `debug`, `warn`, or per target
/// (`info,broadcast_reference=debug`).
pub const LOG_FILTER_ENV: &str = "RUST_LOG";

/// The filter [`LOG_FILTER_ENV`] asks for, `info` when it is unset; a value
/// that does not parse is reported once on stderr and `info` is used.
pub fn filter_from_env() -> Targets {
    let default = Targets::new().with_default(LevelFilter::INFO);
    match std::env::var(LOG_FILTER_ENV) {
        Ok(spec) if !spec.trim().is_empty() => spec.parse().unwrap_or_else(|e| {
            eprintln!("{LOG_FILTER_ENV}={spec:?} is not a log filter ({e}); logging at info");
            default
        }),
        _ => default,
    }
}

/// Installs a subscriber writing the harness's events to stderr, one line
/// each (`INFO message`), filtered by [`LOG_FILTER_ENV`]. Does nothing if the
/// process already has a global subscriber.
pub fn init_stderr() {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_filter(filter_from_env());
    // A subscriber installed first (by a test, or a program embedding the
    // harness) wins.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
