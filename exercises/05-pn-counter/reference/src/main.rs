//! The pn-counter reference node as a process; the node itself is in lib.rs.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<pn_counter_reference::PnCounter>()
}
