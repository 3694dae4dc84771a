//! The broadcast reference node as a process; the node itself is in lib.rs.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<broadcast_reference::Broadcast>()
}
