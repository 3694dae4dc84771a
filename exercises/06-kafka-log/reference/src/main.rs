//! The kafka-log reference node as a process; the node itself is in lib.rs.

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<kafka_log_reference::KafkaLog>()
}
