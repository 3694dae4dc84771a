//! The reference lin-kv node; see `raft_kv_reference::server`.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<raft_kv_reference::server::RaftKv>()
}
