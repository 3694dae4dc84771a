//! A broadcast node that keeps only the first value of each batch it receives
//! (see the crate docs).

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<broadcast_mutants::FirstOfBatch>()
}
