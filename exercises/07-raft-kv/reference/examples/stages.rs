//! Runs the stage tests against the reference core, as the starter's example does
//! against yours: `cargo run -p raft-kv-reference --example stages -- <stage> [seeds]`,
//! where `<stage>` is a number 1-4 or a name. `maelstrom grade raft-kv --reference`
//! runs it for the stage levels.

fn main() {
    raft_kv_reference::stages::example_main(&raft_kv_reference::raft::Raft::new)
}
