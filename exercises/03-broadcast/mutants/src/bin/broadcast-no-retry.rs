//! A broadcast node that gossips each value once, with no retry (see the crate docs).

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<broadcast_mutants::NoRetry>()
}
