//! The txn-list-append reference node as a process: the last stage of the
//! chapter, [`txn_list_append_reference::optimized::CachedTransactor`], which
//! passes every level.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<txn_list_append_reference::optimized::CachedTransactor>()
}
