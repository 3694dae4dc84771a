//! The journal accounts for every message: over a finished test, for client
//! traffic and for node-to-node traffic, sends + duplicates = deliveries +
//! drops by reason, and results.json's `net` section says the same. This is
//! the invariant `maelstrom-load-bench` reports at 25 nodes and rate 1000;
//! here it is checked small (3 nodes, 2 s) with every kind of drop it can
//! provoke cheaply: partitions, random loss, duplication, closed clients and
//! messages still queued at the end.

mod common;

use std::collections::BTreeMap;

use common::*;
use maelstrom_harness::run_blocking;
use serde_json::Value;

/// `(send, recv, duplicate, drops by reason)` for one class of traffic.
#[derive(Debug, Default)]
struct Totals {
    send: u64,
    recv: u64,
    dup: u64,
    drops: BTreeMap<String, u64>,
}

impl Totals {
    fn dropped(&self) -> u64 {
        self.drops.values().sum()
    }

    /// Matches one class of results.json's `net` section.
    fn assert_matches(&self, net: &Value) {
        assert_eq!(net["send-count"], self.send, "{net}");
        assert_eq!(net["recv-count"], self.recv, "{net}");
        assert_eq!(net["dup-count"], self.dup, "{net}");
        let from_results: BTreeMap<String, u64> = net["drop-counts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(r, n)| (r.clone(), n.as_u64().unwrap()))
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(from_results, self.drops, "{net}");
    }
}

#[test]
fn journal_totals_balance_sends_against_deliveries_and_drops() {
    let dir = scratch("net-journal");
    let bin = python_node(&dir, "bcast.py", &broadcast_node());
    let mut cfg = with_partitions(short_config("broadcast", bin, &dir));
    cfg.time_limit = std::time::Duration::from_secs(2);
    cfg.latency = std::time::Duration::from_millis(5);
    cfg.loss_rate = 0.1;
    cfg.duplication_rate = 0.1;
    let outcome = run_blocking(cfg).expect("the test ran");
    let latest = dir.join("store/latest");

    // Client traffic, and everything else (node to node, node to service).
    let (mut clients, mut servers) = (Totals::default(), Totals::default());
    let journal = std::fs::read_to_string(latest.join("messages.jsonl")).unwrap();
    for line in journal.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        // Sends and deliveries carry the message; drops and duplicates its id.
        let m = e.get("message").unwrap_or(&e);
        let (src, dest) = (m["src"].as_str().unwrap(), m["dest"].as_str().unwrap());
        let t = if src.starts_with('c') || dest.starts_with('c') {
            &mut clients
        } else {
            &mut servers
        };
        match e["type"].as_str().unwrap() {
            "send" => t.send += 1,
            "recv" => t.recv += 1,
            "duplicate" => t.dup += 1,
            "drop" => {
                *t.drops
                    .entry(e["reason"].as_str().unwrap().into())
                    .or_default() += 1
            }
            other => panic!("unknown journal event {other:?}: {line}"),
        }
    }
    for (name, t) in [("clients", &clients), ("servers", &servers)] {
        assert_eq!(
            t.send + t.dup,
            t.recv + t.dropped(),
            "{name}: a message left the network unrecorded: {t:?}"
        );
        t.assert_matches(&outcome.results["net"][name]);
    }
    // The faults did happen, so the balance above covered them.
    assert!(servers.send > 0 && servers.dup > 0, "{servers:?}");
    assert!(
        servers.drops.get("lost").is_some_and(|n| *n > 0),
        "{servers:?}"
    );
    assert!(clients.recv > 0, "{clients:?}");
}
