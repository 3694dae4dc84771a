//! The `maelstrom test` harness: a drop-in, JVM-free reimplementation of upstream
//! Maelstrom's test runner.
//!
//! A test is a [`TestConfig`]; [`run`] (inside a `LocalSet`) or [`run_blocking`]
//! runs it and returns an [`Outcome`] (verdict, results.json content, store
//! directory) or a [`HarnessError`] (upstream's "crash", exit 255).
//!
//! Layout: [`net`] (the simulated network), [`host`] (what runs behind a node id:
//! a child process or an in-process node on channels), [`services`] (lin-kv,
//! seq-kv, lww-kv, lin-tso), [`client`], [`workload`] (one module per workload),
//! [`workers`] (staggered generator and worker pool), [`nemesis`], [`history`],
//! [`store`], [`lamport`] (messages.html), [`run`] (the orchestration) and
//! [`analysis`] (checking recorded histories again: `check` and `analyze`).
//!
//! Everything runs on one thread with tokio time only, and every random choice
//! comes from [`TestConfig::seed`], so a paused runtime replays a test exactly.

pub mod analysis;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod explain;
pub mod faults;
mod fnv;
pub mod handoff;
pub mod history;
pub mod host;
pub mod lamport;
pub mod logging;
pub mod nemesis;
pub mod net;
mod progress;
pub mod protocol;
pub mod report;
pub mod rng;
mod run;
pub mod services;
pub mod store;
pub mod workers;
pub mod workload;

pub use config::{
    parse_availability, Availability, LatencyDist, NodeProgram, TestConfig, Topology,
};
pub use error::HarnessError;
pub use maelstrom_check::Validity;
pub use run::{minimum_duration, run, run_blocking, run_simulated, Outcome};
