//! The Raft exercise: a Raft log and, on it, a linearizable key-value store.
//!
//! - [`api`]: the interface every Raft core implements ([`RaftCore`]): a pure state
//!   machine driven by messages and ticks, with a [`Persister`] for durable state.
//! - [`sim`]: a deterministic simulated network that drives several cores on
//!   virtual time (seeded loss, delays, reordering, partitions, crash and restart)
//!   and checks Raft's safety properties as it goes.
//! - [`stages`]: the graded scenarios, stage by stage, generic over the core:
//!   [`stages::run_stage`] runs a stage against any factory of cores.
//! - `raft` and `kv` (feature `solution`, on by default): the reference core and
//!   the key-value state machine the node binary replicates; `server` (same
//!   feature), the lin-kv node that wires them to the node library.
//!
//! The starter crate depends on this library without the `solution` feature, so it
//! gets the interface and the tests but not the answers.
//!
//! # Example: run stage 1 against the reference core
//!
//! ```
//! # #[cfg(feature = "solution")] {
//! use raft_kv_reference::raft::Raft;
//! use raft_kv_reference::stages::{run_stage, Stage};
//!
//! run_stage(Stage::Election, &|setup| Raft::new(setup), 0..2).unwrap();
//! # }
//! ```

pub mod api;
#[cfg(feature = "solution")]
pub mod kv;
#[cfg(feature = "solution")]
pub mod raft;
#[cfg(feature = "solution")]
pub mod server;
pub mod sim;
pub mod stages;

pub use api::{
    Applied, NodeId, NotLeader, Outgoing, Persister, Proposed, RaftCore, Setup, Snapshot, Timing,
};
