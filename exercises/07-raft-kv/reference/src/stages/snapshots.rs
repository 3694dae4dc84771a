//! Stage 4: log compaction with snapshots.
//!
//! In these scenarios every node's application hands its core a snapshot every
//! few applied entries ([`Sim::set_snapshot_every`]); the simulator checks that
//! every snapshot a core hands back holds exactly the committed state up to its
//! index, so a core may only drop entries, never lose or invent their effect.

use serde_json::json;

use super::{Scenario, Sim, Stage};

/// The most a node may persist once its log is compacted, in bytes of JSON: room
/// for a few hundred small entries, a fraction of the uncompacted log of the
/// longest scenario (1500 entries, about 40 KB).
const STATE_LIMIT: usize = 12 * 1024;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "bounded_state",
            stage: Stage::Snapshots,
            nodes: 3,
            checks: "over 1500 commands with a snapshot every 50 entries, what each node \
                     persists stays bounded (compact() drops the covered entries)",
            story: bounded_state,
        },
        Scenario {
            name: "lagging_follower",
            stage: Stage::Snapshots,
            nodes: 3,
            checks: "a follower cut off while the others compact their logs catches up \
                     from the leader's snapshot when it comes back",
            story: lagging_follower,
        },
        Scenario {
            name: "restart_from_snapshot",
            stage: Stage::Snapshots,
            nodes: 3,
            checks: "restarted nodes hand their application the persisted snapshot first, \
                     then the entries after it; a follower restarted far behind catches up",
            story: restart_from_snapshot,
        },
        Scenario {
            name: "snapshot_churn",
            stage: Stage::Snapshots,
            nodes: 5,
            checks: "agreement and correct snapshots while nodes crash, restart and are cut \
                     off at random on a lossy network, snapshotting every 5 entries",
            story: snapshot_churn,
        },
    ]
}

/// Fails if a node that is up persists more than [`STATE_LIMIT`].
fn check_bounded(sim: &dyn Sim, after: &str) -> Result<(), String> {
    for i in 0..sim.node_count() {
        let bytes = sim.persisted_bytes(i);
        if sim.is_up(i) && bytes > STATE_LIMIT {
            return Err(format!(
                "node {i} persists {bytes} bytes {after} (limit {STATE_LIMIT}): does \
                 compact() drop the log entries the snapshot covers?"
            ));
        }
    }
    Ok(())
}

/// Proposes `count` commands from `first` on, one every 5 ms, each on whichever
/// node takes it, checking the persisted state every 25 commands.
fn stream(sim: &mut dyn Sim, first: u64, count: u64) -> Result<(), String> {
    for k in 0..count {
        for i in 0..sim.node_count() {
            if sim.propose(i, json!(first + k)).is_some() {
                break;
            }
        }
        sim.run_for(5)?;
        if k % 25 == 24 {
            check_bounded(sim, &format!("after {} commands", k + 1))?;
        }
    }
    Ok(())
}

fn bounded_state(sim: &mut dyn Sim) -> Result<(), String> {
    sim.set_snapshot_every(Some(50));
    sim.one(json!(0), 3, true)?;
    stream(sim, 1, 1500)?;
    sim.one(json!(100_000), 3, true)?;
    sim.wait_applied_everywhere(4_000)?;
    check_bounded(sim, "at the end")
}

fn lagging_follower(sim: &mut dyn Sim) -> Result<(), String> {
    sim.set_snapshot_every(Some(20));
    sim.one(json!(0), 3, true)?;
    let leader = sim.check_one_leader()?;
    let follower = (leader + 1) % 3;
    sim.disconnect(follower);
    stream(sim, 1, 300)?;
    sim.one(json!(1_000), 2, true)?;
    // By now the others have compacted away what the follower lacks: only a
    // snapshot can bring it up to date.
    sim.connect(follower);
    sim.one(json!(2_000), 3, true)?;
    sim.wait_applied_everywhere(4_000)?;
    check_bounded(sim, "after the follower caught up")
}

fn restart_from_snapshot(sim: &mut dyn Sim) -> Result<(), String> {
    sim.set_snapshot_every(Some(10));
    sim.one(json!(0), 3, true)?;
    stream(sim, 1, 100)?;
    sim.wait_applied_everywhere(4_000)?;
    for i in 0..3 {
        sim.crash(i);
    }
    for i in 0..3 {
        sim.restart(i);
    }
    sim.one(json!(1_000), 3, true)?;

    let follower = (sim.check_one_leader()? + 2) % 3;
    sim.crash(follower);
    stream(sim, 2_000, 100)?;
    sim.one(json!(3_000), 2, true)?;
    sim.restart(follower);
    sim.one(json!(4_000), 3, true)?;
    sim.wait_applied_everywhere(4_000)
}

fn snapshot_churn(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count();
    sim.set_snapshot_every(Some(5));
    sim.set_unreliable(true);
    for round in 0..30u64 {
        let victim = sim.random(n as u64) as usize;
        match sim.random(3) {
            0 if sim.is_up(victim) && (0..n).filter(|&i| sim.is_up(i)).count() > 3 => {
                sim.crash(victim)
            }
            0 | 1 if !sim.is_up(victim) => sim.restart(victim),
            1 => sim.disconnect(victim),
            _ => sim.connect(victim),
        }
        for k in 0..5 {
            for i in 0..n {
                sim.propose(i, json!(round * 100 + k * 10 + i as u64));
            }
            let pause = sim.random(60);
            sim.run_for(pause)?;
        }
    }
    sim.set_unreliable(false);
    sim.heal();
    for i in 0..n {
        if !sim.is_up(i) {
            sim.restart(i);
        }
    }
    sim.one(json!(1_000_000), n, true)?;
    sim.wait_applied_everywhere(4_000)
}
