//! Stage 3: persistence, crashes and unreliable networks.

use serde_json::json;

use super::{Scenario, Sim, Stage};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "restart_keeps_state",
            stage: Stage::Persistence,
            nodes: 3,
            checks: "a restarted node keeps its term, and committed entries survive \
                     restarts of every node, of the leader, and of a minority",
            story: restart_keeps_state,
        },
        Scenario {
            name: "churn",
            stage: Stage::Persistence,
            nodes: 5,
            checks: "agreement survives nodes crashing and restarting at random while \
                     commands are proposed, on a lossy network",
            story: churn,
        },
        Scenario {
            name: "unreliable_agreement",
            stage: Stage::Persistence,
            nodes: 5,
            checks: "commands proposed over a network with loss, long delays and \
                     reordering are agreed on",
            story: unreliable_agreement,
        },
        Scenario {
            name: "figure_8",
            stage: Stage::Persistence,
            nodes: 5,
            checks: "leaders crashing right after proposing never make a node apply an \
                     entry another node replaced (the Figure 8 rule: count only \
                     current-term entries)",
            story: figure_8,
        },
        Scenario {
            name: "figure_8_unreliable",
            stage: Stage::Persistence,
            nodes: 5,
            checks: "the same with partitions instead of crashes, over a lossy, \
                     reordering network",
            story: figure_8_unreliable,
        },
    ]
}

fn restart_all(sim: &mut dyn Sim) {
    for i in 0..sim.node_count() {
        sim.crash(i);
    }
    for i in 0..sim.node_count() {
        sim.restart(i);
    }
}

fn restart_keeps_state(sim: &mut dyn Sim) -> Result<(), String> {
    sim.one(json!(11), 3, true)?;
    let terms: Vec<u64> = (0..3).map(|i| sim.state(i).map_or(0, |s| s.0)).collect();
    restart_all(sim);
    for (i, &before) in terms.iter().enumerate() {
        let after = sim.state(i).map_or(0, |s| s.0);
        if after < before {
            return Err(format!(
                "node {i} was in term {before} before a restart and in term {after} after \
                 (is the term saved with the persister and loaded when the core is built?)"
            ));
        }
    }
    sim.one(json!(12), 3, true)?;

    let leader = sim.check_one_leader()?;
    sim.crash(leader);
    sim.restart(leader);
    sim.one(json!(13), 3, true)?;

    let leader = sim.check_one_leader()?;
    sim.crash(leader);
    sim.one(json!(14), 2, true)?;
    sim.restart(leader);
    sim.wait_applied_everywhere(4_000)?;

    let follower = (sim.check_one_leader()? + 1) % 3;
    sim.crash(follower);
    sim.one(json!(15), 2, true)?;
    sim.restart(follower);
    sim.one(json!(16), 3, true)?;
    Ok(())
}

fn churn(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count() as u64;
    sim.set_unreliable(true);
    for round in 0..20u64 {
        let victim = sim.random(n) as usize;
        if sim.is_up(victim) {
            let up = (0..sim.node_count()).filter(|&i| sim.is_up(i)).count();
            if up > 3 {
                sim.crash(victim);
            }
        } else {
            sim.restart(victim);
        }
        for i in 0..sim.node_count() {
            sim.propose(i, json!(round * 100 + i as u64));
        }
        let pause = sim.random(300);
        sim.run_for(pause)?;
    }
    sim.set_unreliable(false);
    for i in 0..sim.node_count() {
        if !sim.is_up(i) {
            sim.restart(i);
        }
    }
    sim.one(json!(1_000_000), 5, true)?;
    sim.wait_applied_everywhere(4_000)
}

fn unreliable_agreement(sim: &mut dyn Sim) -> Result<(), String> {
    sim.set_unreliable(true);
    for k in 0..50u64 {
        for i in 0..sim.node_count() {
            sim.propose(i, json!(k * 10 + i as u64));
        }
        sim.run_for(10)?;
    }
    sim.one(json!(100_000), 5, true)?;
    sim.set_unreliable(false);
    sim.wait_applied_everywhere(4_000)
}

/// Proposes on whoever leads, then lets a short or long time pass.
fn propose_and_wait(sim: &mut dyn Sim, command: u64) -> Result<Option<usize>, String> {
    let mut leader = None;
    for i in 0..sim.node_count() {
        if sim.propose(i, json!(command)).is_some() {
            leader = Some(i);
        }
    }
    let pause = if sim.random(10) < 1 {
        sim.random(sim.election_timeout() / 2)
    } else {
        sim.random(13)
    };
    sim.run_for(pause)?;
    Ok(leader)
}

fn figure_8(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count();
    sim.one(json!(0), 1, true)?;
    let mut up = n;
    for k in 1..=120u64 {
        if let Some(leader) = propose_and_wait(sim, k)? {
            if sim.random(2) == 0 && sim.is_up(leader) {
                sim.crash(leader);
                up -= 1;
            }
        }
        if up < 3 {
            let s = sim.random(n as u64) as usize;
            if !sim.is_up(s) {
                sim.restart(s);
                up += 1;
            }
        }
    }
    for i in 0..n {
        if !sim.is_up(i) {
            sim.restart(i);
        }
    }
    sim.one(json!(1_000_000), n, true)?;
    Ok(())
}

fn figure_8_unreliable(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count();
    sim.one(json!(0), 1, true)?;
    sim.set_unreliable(true);
    for k in 1..=120u64 {
        if let Some(leader) = propose_and_wait(sim, k)? {
            if sim.random(2) == 0 {
                sim.disconnect(leader);
            }
        }
        let connected = (0..n).filter(|&i| sim.is_connected(i)).count();
        if connected < 3 {
            let s = sim.random(n as u64) as usize;
            sim.connect(s);
        }
    }
    sim.set_unreliable(false);
    sim.heal();
    sim.one(json!(1_000_000), n, true)?;
    Ok(())
}
