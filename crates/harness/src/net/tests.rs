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

/// Totals of a journal's lines, per event type (and drop reason), for one
/// class of traffic: `(send, recv, duplicate, drops)`.
fn journal_totals(text: &str) -> (u64, u64, u64, BTreeMap<String, u64>) {
    let (mut send, mut recv, mut dup) = (0, 0, 0);
    let mut drops = BTreeMap::new();
    for line in text.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        match e["type"].as_str().unwrap() {
            "send" => send += 1,
            "recv" => recv += 1,
            "duplicate" => dup += 1,
            "drop" => {
                let reason = e["reason"].as_str().unwrap().to_string();
                *drops.entry(reason).or_insert(0) += 1;
            }
            other => panic!("unknown journal event {other}"),
        }
    }
    (send, recv, dup, drops)
}

#[tokio::test(start_paused = true)]
async fn every_message_is_delivered_or_dropped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messages.jsonl");
    let lat = Latency::new(
        Duration::from_millis(10),
        LatencyDist::Constant,
        rand::rngs::StdRng::seed_from_u64(1),
    );
    let journal = Journal::to_file_with_diagram(&path).unwrap();
    let net = Net::new(Clock::start(), lat, journal);
    for id in ["n1", "n2", "n3", "c1", "c2"] {
        net.register(id);
    }
    // Certain duplication on one pair, then certain loss on another.
    net.set_message_faults(MessageFaults {
        loss: 0.0,
        duplication: 1.0,
        nodes: BTreeSet::from(["n1".to_string(), "n2".to_string()]),
        rng: rand::rngs::StdRng::seed_from_u64(2),
    });
    net.send(msg("n1", "n2", 1)).unwrap(); // two copies, both delivered
    net.set_message_faults(MessageFaults {
        loss: 1.0,
        duplication: 0.0,
        nodes: BTreeSet::from(["n1".to_string(), "n3".to_string()]),
        rng: rand::rngs::StdRng::seed_from_u64(3),
    });
    net.send(msg("n1", "n3", 2)).unwrap(); // lost
    net.set_message_faults(MessageFaults {
        loss: 0.0,
        duplication: 0.0,
        nodes: BTreeSet::new(),
        rng: rand::rngs::StdRng::seed_from_u64(4),
    });
    assert_eq!(
        net.recv("n2").await.unwrap().body.get("n"),
        Some(&serde_json::json!(1))
    );
    assert_eq!(
        net.recv("n2").await.unwrap().body.get("n"),
        Some(&serde_json::json!(1))
    );

    // Partitioned at delivery.
    net.partition(BTreeMap::from([(
        "n2".to_string(),
        BTreeSet::from(["n3".to_string()]),
    )]));
    net.send(msg("n3", "n2", 3)).unwrap();
    net.send(msg("c1", "n2", 4)).unwrap();
    assert_eq!(net.recv("n2").await.unwrap().src, "c1");
    // n3's comes due 10 ms later, still cut off.
    let waited = tokio::time::timeout(Duration::from_millis(20), net.recv("n2")).await;
    assert!(waited.is_err(), "nothing crosses the partition");
    net.heal();
    // To a crashed node, then drained by a receiver after its restart.
    net.set_down("n3", true);
    net.send(msg("n1", "n3", 5)).unwrap();
    net.send(msg("c1", "n3", 6)).unwrap();
    // Its host keeps reading while it is down: both come due and are dropped.
    let waited = tokio::time::timeout(Duration::from_millis(20), net.recv("n3")).await;
    assert!(waited.is_err(), "nothing is delivered to a crashed node");
    net.set_down("n3", false);
    net.send(msg("c2", "n3", 7)).unwrap();
    assert_eq!(net.recv("n3").await.unwrap().src, "c2");
    // A client leaves with a reply queued; a late reply follows.
    net.send(msg("n1", "c1", 8)).unwrap();
    net.retire("c1");
    net.send(msg("n2", "c1", 9)).unwrap();
    // Still queued at the end.
    net.send(msg("n2", "n1", 10)).unwrap();
    net.send(msg("n3", "c2", 11)).unwrap();
    net.finish();

    let s = net.stats();
    for c in [s.all, s.clients, s.servers] {
        assert!(c.accounted(), "{c:?}");
    }
    let by = |r| s.all.dropped(r);
    assert_eq!(
        (
            by(DropReason::Lost),
            by(DropReason::Partitioned),
            by(DropReason::Crashed),
            by(DropReason::RecipientGone),
            by(DropReason::InFlightAtEnd)
        ),
        (1, 1, 2, 2, 2)
    );
    assert_eq!((s.all.send, s.all.duplicated, s.all.recv), (11, 1, 4));
    assert_eq!((s.clients.send, s.clients.recv), (6, 2));

    // The journal alone tells the same story.
    let (send, recv, dup, drops) = journal_totals(&std::fs::read_to_string(&path).unwrap());
    assert_eq!((send, recv, dup), (11, 4, 1));
    assert_eq!(send + dup, recv + drops.values().sum::<u64>());
    assert_eq!(drops["crashed"], 2);
    assert_eq!(drops["in-flight-at-end"], 2);
    let json = s.to_json(0);
    assert_eq!(json["all"]["drop-counts"]["recipient-gone"], 2);
    assert_eq!(json["all"]["dup-count"], 1);

    // The diagram built while writing is the one read back from the file.
    let built = net.take_diagram().expect("asked for");
    let text = std::fs::read_to_string(&path).unwrap();
    let read = crate::lamport::read(text.lines());
    assert_eq!(built.arrows, read.arrows);
    assert_eq!(built.arrows.len(), 12, "11 sends and the duplicate's copy");
    assert_eq!(
        (built.participants, built.types, built.reasons),
        (read.participants, read.types, read.reasons)
    );
}

/// The lines the journal wrote before it had a thread of its own.
fn message_line(kind: &str, time: u64, env: &Envelope) -> String {
    format!(
        r#"{{"type":"{kind}","time":{time},"message":{}}}"#,
        env.to_line()
    )
}

#[tokio::test(start_paused = true)]
async fn the_journal_writes_every_event_in_order_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messages.jsonl");
    let lat = Latency::new(
        Duration::ZERO,
        LatencyDist::Constant,
        rand::rngs::StdRng::seed_from_u64(1),
    );
    let clock = Clock::start();
    let net = Net::new(clock, lat, Journal::to_file(&path).unwrap());
    for id in ["n1", "c1", "c2"] {
        net.register(id);
    }
    net.retire("c2");
    let mut expected = Vec::new();
    // Several batches' worth, time moving on between messages.
    for n in 0..1500u64 {
        tokio::time::advance(Duration::from_micros(7)).await;
        net.send(msg("c1", "n1", n)).unwrap();
        let t = clock.now_ns();
        let got = net.recv("n1").await.unwrap();
        expected.push(message_line("send", t, &got));
        expected.push(message_line("recv", clock.now_ns(), &got));
    }
    net.flush_journal();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    // After the end, a late message is still written, on this thread.
    net.finish();
    net.send(msg("n1", "c2", 7)).unwrap();
    net.flush_journal();
    let text = std::fs::read_to_string(&path).unwrap();
    let late: Vec<_> = text.lines().skip(expected.len()).collect();
    assert_eq!(late.len(), 2, "{late:?}");
    assert!(late[0].starts_with(r#"{"type":"send""#), "{late:?}");
    assert!(
        late[1].ends_with(r#""reason":"recipient-gone","id":1500,"src":"n1","dest":"c2"}"#),
        "{late:?}"
    );
}
