//! Maelstrom's synchronous clients: one outstanding request at a time.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_proto::{Body, Envelope};
use tokio::time::Instant;

use crate::net::Net;

/// Hands out client ids `c0, c1, ...`, one per opened client.
#[derive(Debug, Clone, Default)]
pub struct ClientIds(Rc<Cell<u64>>);

impl ClientIds {
    fn next(&self) -> String {
        let n = self.0.get();
        self.0.set(n + 1);
        format!("c{n}")
    }
}

/// Why an RPC got no usable reply.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcFailure {
    /// Nothing matching arrived before the deadline.
    Timeout,
    /// The destination does not exist on the network.
    Unreachable(String),
}

/// One client: an id on the network and a message counter starting at 1.
pub struct Client {
    id: String,
    net: Net,
    next_msg_id: u64,
}

impl Client {
    /// Opens a client with a fresh id.
    pub fn open(net: &Net, ids: &ClientIds) -> Self {
        let id = ids.next();
        net.register(&id);
        Client {
            id,
            net: net.clone(),
            next_msg_id: 1,
        }
    }

    /// The client's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sends `body` to `dest` with a fresh `msg_id` and waits for the reply whose
    /// `in_reply_to` matches; other messages are dropped, as upstream does.
    pub async fn rpc(
        &mut self,
        dest: &str,
        mut body: Body,
        timeout: Duration,
    ) -> Result<Body, RpcFailure> {
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        body.msg_id = Some(msg_id);
        self.net
            .send(Envelope::new(self.id.clone(), dest, body))
            .map_err(|e| RpcFailure::Unreachable(e.to_string()))?;
        let deadline = Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.net.recv(&self.id)).await {
                Ok(Some(reply)) if reply.body.in_reply_to == Some(msg_id) => return Ok(reply.body),
                Ok(Some(_stale)) => continue,
                Ok(None) | Err(_) => return Err(RpcFailure::Timeout),
            }
        }
    }

    /// Closes the client; late replies to it are dropped by the network.
    pub fn close(self) {
        self.net.retire(&self.id);
    }
}
