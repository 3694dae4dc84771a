//! Network statistics as upstream's `:net` checker computes them, plus what
//! became of every message: delivered, or dropped for a recorded reason.

use serde_json::{json, Map, Value};

/// Why a sent message (or one copy of a duplicated one) was never delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// Random message loss between test nodes (`--loss-rate`).
    Lost,
    /// A partition separated sender and recipient when it came due.
    Partitioned,
    /// The recipient node was crashed when it came due.
    Crashed,
    /// The recipient had left the network (a closed client), before the
    /// message was sent or while it was queued.
    RecipientGone,
    /// Still queued when the test ended.
    InFlightAtEnd,
}

impl DropReason {
    /// Every reason, in the order of [`Counts::dropped`].
    pub const ALL: [DropReason; 5] = [
        DropReason::Lost,
        DropReason::Partitioned,
        DropReason::Crashed,
        DropReason::RecipientGone,
        DropReason::InFlightAtEnd,
    ];

    /// The name used in the journal and in results.json.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::Crashed => "crashed",
            DropReason::RecipientGone => "recipient-gone",
            DropReason::InFlightAtEnd => "in-flight-at-end",
        }
    }
}

/// Counts for one class of traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Send events (including messages later dropped by a partition).
    pub send: u64,
    /// Deliveries.
    pub recv: u64,
    /// Distinct messages (each send has a fresh id, so this equals `send`).
    pub msgs: u64,
    /// Extra copies made by random duplication (`--duplication-rate`).
    pub duplicated: u64,
    /// Copies dropped, indexed as [`DropReason::ALL`].
    pub dropped: [u64; DropReason::ALL.len()],
}

impl Counts {
    /// Copies dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    /// Copies dropped, whatever the reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// Whether every copy sent was delivered or dropped for a reason:
    /// `send + duplicated == recv + dropped`. Holds once the network is
    /// finished ([`super::Net::finish`]); before, queued messages are missing.
    pub fn accounted(&self) -> bool {
        self.send + self.duplicated == self.recv + self.dropped_total()
    }
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

    pub(crate) fn record_duplicate(&mut self, src: &str, dest: &str) {
        for c in self.classes(src, dest) {
            c.duplicated += 1;
        }
    }

    pub(crate) fn record_drop(&mut self, src: &str, dest: &str, reason: DropReason) {
        for c in self.classes(src, dest) {
            c.dropped[reason as usize] += 1;
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
    ///
    /// Upstream's keys come first; `dup-count` and `drop-counts` (per reason)
    /// are ours, so that `send + dup = recv + drops` can be checked from the file.
    pub fn to_json(&self, op_count: u64) -> Value {
        let counts = |c: &Counts| {
            let drops: Map<String, Value> = DropReason::ALL
                .iter()
                .map(|r| (r.name().to_string(), json!(c.dropped(*r))))
                .collect();
            json!({
                "send-count": c.send,
                "recv-count": c.recv,
                "msg-count": c.msgs,
                "dup-count": c.duplicated,
                "drop-counts": drops,
            })
        };
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
