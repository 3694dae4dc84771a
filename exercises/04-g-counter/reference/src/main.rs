//! The g-counter reference node as a process; the node itself is in lib.rs.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<g_counter_reference::GCounter>()
}
