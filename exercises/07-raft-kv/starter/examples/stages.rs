//! Runs the stage tests against your core:
//! `cargo run -p raft-kv-starter --example stages -- <stage> [seeds]`, where
//! `<stage>` is a number 1-4 or a name: election, replication, persistence,
//! snapshots. `maelstrom grade raft-kv` runs it for the stage levels.

fn main() {
    raft_kv_reference::stages::example_main(&raft_kv_starter::Raft::new)
}
