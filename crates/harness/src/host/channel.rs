//! An in-process node reached over `mpsc` channels of envelopes.

use std::cell::Cell;
use std::rc::Rc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{HostEnv, HostFuture, NodeChannels, NodeFactory, NodeHost};
use crate::error::HarnessError;

/// A node running as a task on the harness's own runtime.
pub struct ChannelHost {
    id: String,
    stopping: Rc<Cell<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl ChannelHost {
    /// Starts node `id` from `factory` and pumps its channels to the network.
    pub fn start(id: &str, factory: &dyn NodeFactory, env: HostEnv) -> Self {
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let node = factory.start(NodeChannels {
            id: id.to_string(),
            inbox: in_rx,
            outbox: out_tx,
        });
        let stopping = Rc::new(Cell::new(false));
        let deliver = {
            let (id, net) = (id.to_string(), env.net.clone());
            tokio::task::spawn_local(async move {
                while let Some(msg) = net.recv(&id).await {
                    if in_tx.send(msg).is_err() {
                        return;
                    }
                }
            })
        };
        let collect = {
            let (id, stopping) = (id.to_string(), stopping.clone());
            tokio::task::spawn_local(async move {
                while let Some(msg) = out_rx.recv().await {
                    if let Err(e) = env.net.send(msg.clone()) {
                        if !stopping.get() {
                            let _ = env.faults.send(HarnessError::BadOutput {
                                node: id.clone(),
                                problem: format!("Node {id} sent a message with an {e}."),
                                line: msg.to_line(),
                                context: String::new(),
                            });
                        }
                        return;
                    }
                }
                if !stopping.get() {
                    let _ = env.faults.send(HarnessError::NodeCrashed {
                        node: id.clone(),
                        status: "(in-process node stopped)".into(),
                        context: String::new(),
                    });
                }
            })
        };
        ChannelHost {
            id: id.to_string(),
            stopping,
            tasks: vec![node, deliver, collect],
        }
    }
}

impl NodeHost for ChannelHost {
    fn id(&self) -> &str {
        &self.id
    }

    fn kill(&mut self) -> HostFuture<'_> {
        Box::pin(async move {
            self.stopping.set(true);
            for t in self.tasks.drain(..) {
                t.abort();
            }
        })
    }
}

impl Drop for ChannelHost {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
