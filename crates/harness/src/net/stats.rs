//! Network statistics as upstream's `:net` checker computes them.

use serde_json::{json, Value};

/// Counts for one class of traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Send events (including messages later dropped by a partition).
    pub send: u64,
    /// Deliveries.
    pub recv: u64,
    /// Distinct messages (each send has a fresh id, so this equals `send`).
    pub msgs: u64,
}

/// Counts for all traffic, client traffic and server traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Everything.
    pub all: Counts,
    /// Messages whose source or destination is a client (id starting with `c`).
    pub clients: Counts,
    /// Everything else, node-to-service traffic included.
    pub servers: Counts,
}

/// Whether an id names a client, by upstream's rule.
pub fn is_client(id: &str) -> bool {
    id.starts_with('c')
}

impl NetStats {
    pub(crate) fn record_send(&mut self, src: &str, dest: &str) {
        for c in self.classes(src, dest) {
            c.send += 1;
            c.msgs += 1;
        }
    }

    pub(crate) fn record_recv(&mut self, src: &str, dest: &str) {
        for c in self.classes(src, dest) {
            c.recv += 1;
        }
    }

    fn classes(&mut self, src: &str, dest: &str) -> [&mut Counts; 2] {
        if is_client(src) || is_client(dest) {
            [&mut self.all, &mut self.clients]
        } else {
            [&mut self.all, &mut self.servers]
        }
    }

    /// The `net` section of results.json; `op_count` is the number of client
    /// invocations (msgs-per-op is omitted when it is zero, as upstream does).
    pub fn to_json(&self, op_count: u64) -> Value {
        let counts =
            |c: &Counts| json!({"send-count": c.send, "recv-count": c.recv, "msg-count": c.msgs});
        let mut all = counts(&self.all);
        let clients = counts(&self.clients);
        let mut servers = counts(&self.servers);
        if op_count > 0 {
            all["msgs-per-op"] = json!(self.all.msgs as f64 / op_count as f64);
            servers["msgs-per-op"] = json!(self.servers.msgs as f64 / op_count as f64);
        }
        json!({"all": all, "clients": clients, "servers": servers, "valid": true})
    }
}
