//! The node as a binary: `01-echo`'s reference, run by `maelstrom test`.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<echo_reference::Echo>()
}
