use super::*;
use crate::config::LatencyDist;
use maelstrom_proto::Body;
use rand::SeedableRng;
use std::time::Duration;

fn net(latency_ms: u64) -> Net {
    let lat = Latency::new(
        Duration::from_millis(latency_ms),
        LatencyDist::Constant,
        rand::rngs::StdRng::seed_from_u64(1),
    );
    let net = Net::new(Clock::start(), lat, Journal::disabled());
    for id in ["n1", "n2", "c1"] {
        net.register(id);
    }
    net
}

fn msg(src: &str, dest: &str, n: u64) -> Envelope {
    Envelope::new(src, dest, Body::new("m").with("n", n))
}

#[tokio::test(start_paused = true)]
async fn latency_applies_between_nodes_but_not_to_clients() {
    let net = net(50);
    let t0 = Instant::now();
    net.send(msg("n1", "n2", 1)).unwrap();
    net.send(msg("c1", "n2", 2)).unwrap();
    // The client's message overtakes: zero latency.
    let first = net.recv("n2").await.unwrap();
    assert_eq!(first.body.get("n"), Some(&serde_json::json!(2)));
    assert_eq!(Instant::now(), t0);
    let second = net.recv("n2").await.unwrap();
    assert_eq!(second.body.get("n"), Some(&serde_json::json!(1)));
    assert!(Instant::now() - t0 >= Duration::from_millis(50));
    let s = net.stats();
    assert_eq!((s.all.send, s.clients.send, s.servers.recv), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn partitions_drop_at_delivery_and_heal() {
    let net = net(0);
    let mut g = BTreeMap::new();
    g.insert("n2".to_string(), BTreeSet::from(["n1".to_string()]));
    net.partition(g);
    net.send(msg("n1", "n2", 1)).unwrap();
    net.send(msg("c1", "n2", 2)).unwrap();
    let got = net.recv("n2").await.unwrap();
    assert_eq!(got.src, "c1");
    net.heal();
    net.send(msg("n1", "n2", 3)).unwrap();
    assert_eq!(net.recv("n2").await.unwrap().src, "n1");
    // Sent, including the dropped one; only two delivered.
    assert_eq!((net.stats().all.send, net.stats().all.recv), (3, 2));
}

#[tokio::test(start_paused = true)]
async fn unknown_ids_are_errors_and_retired_ids_swallow_messages() {
    let net = net(0);
    assert_eq!(
        net.send(msg("n1", "n9", 1)),
        Err(NetError::UnknownDest("n9".into()))
    );
    assert_eq!(
        net.send(msg("n9", "n1", 1)),
        Err(NetError::UnknownSource("n9".into()))
    );
    net.retire("c1");
    assert!(net.send(msg("n1", "c1", 1)).is_ok());
    assert!(net.recv("c1").await.is_none());
}
