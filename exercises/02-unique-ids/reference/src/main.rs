//! The node as a binary: `02-unique-ids`'s reference, run by `maelstrom test`.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<unique_ids_reference::UniqueIds>()
}
