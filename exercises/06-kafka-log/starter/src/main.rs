//! Starter of the kafka-log exercise. See ../README.md for the task.
//!
//! As it stands the node answers every request with error 10, not supported.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client requests:
    //   `Send { key: String, msg: serde_json::Value }`,
    //   `Poll { offsets: BTreeMap<String, u64> }`,
    //   `CommitOffsets { offsets: BTreeMap<String, u64> }`,
    //   `ListCommittedOffsets { keys: Vec<String> }`.
}

struct KafkaLog;
// TODO (level a): keep each key's log and committed offset.
// TODO (level b): with two nodes, offsets must stay unique per key: take them
// from `ctx.lin_kv()` with `cas`, and let every node serve every key's messages.

impl Node for KafkaLog {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(KafkaLog)
    }

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: `send` appends and answers `send_ok` with the message's offset;
        // `poll` answers `poll_ok` with `msgs: {key: [[offset, msg], ...]}`, each
        // run starting at the requested offset with no gaps;
        // `commit_offsets` answers `commit_offsets_ok`;
        // `list_committed_offsets` answers `list_committed_offsets_ok` with `offsets`.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<KafkaLog>()
}
