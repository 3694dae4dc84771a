//! A txn-list-append node answering read-only transactions from a cached
//! tree without checking it is current (see the crate docs).

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<txn_list_append_mutants::StaleReads>()
}
