//! The txn-rw-register reference node as a process; the node itself is in lib.rs.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<txn_rw_register_reference::TxnNode>()
}
