//! A txn-list-append node keeping the database in its own memory (see the
//! crate docs).

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<txn_list_append_mutants::PerNode>()
}
