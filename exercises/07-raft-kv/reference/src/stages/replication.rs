//! Stage 2: log replication and commitment.

use serde_json::json;

use super::{Scenario, Sim, Stage};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "basic_agreement",
            stage: Stage::Replication,
            nodes: 3,
            checks: "commands proposed one after the other are applied by every node, \
                     at increasing indices",
            story: basic_agreement,
        },
        Scenario {
            name: "follower_cut_off",
            stage: Stage::Replication,
            nodes: 3,
            checks: "2 of 3 nodes keep agreeing while a follower is cut off; it catches \
                     up when it comes back",
            story: follower_cut_off,
        },
        Scenario {
            name: "no_commit_without_majority",
            stage: Stage::Replication,
            nodes: 5,
            checks: "a leader with 1 of 4 followers commits nothing; the cluster agrees \
                     again once healed",
            story: no_commit_without_majority,
        },
        Scenario {
            name: "concurrent_proposals",
            stage: Stage::Replication,
            nodes: 3,
            checks: "commands proposed at once are all applied, in the same order, on \
                     every node",
            story: concurrent_proposals,
        },
        Scenario {
            name: "rejoin",
            stage: Stage::Replication,
            nodes: 3,
            checks: "a cut-off leader's uncommitted entries are replaced when it rejoins",
            story: rejoin,
        },
        Scenario {
            name: "far_behind_follower",
            stage: Stage::Replication,
            nodes: 5,
            checks: "a follower with 50 conflicting entries is repaired in a few round \
                     trips (a whole term skipped per rejection, not one entry)",
            story: far_behind_follower,
        },
        Scenario {
            name: "message_count",
            stage: Stage::Replication,
            nodes: 3,
            checks: "an agreement costs a bounded number of messages, and so does an \
                     idle second",
            story: message_count,
        },
    ]
}

fn basic_agreement(sim: &mut dyn Sim) -> Result<(), String> {
    sim.check_one_leader()?;
    let mut last = 0;
    for i in 1..=3 {
        let index = sim.one(json!(100 + i), 3, false)?;
        if index <= last {
            return Err(format!(
                "command {} got index {index} after {last}",
                100 + i
            ));
        }
        last = index;
    }
    Ok(())
}

fn follower_cut_off(sim: &mut dyn Sim) -> Result<(), String> {
    sim.one(json!(101), 3, false)?;
    let leader = sim.check_one_leader()?;
    let follower = (leader + 1) % 3;
    sim.disconnect(follower);
    sim.one(json!(102), 2, false)?;
    sim.one(json!(103), 2, false)?;
    sim.run_for(sim.election_timeout())?;
    sim.one(json!(104), 2, false)?;
    sim.one(json!(105), 2, false)?;
    sim.connect(follower);
    sim.one(json!(106), 3, true)?;
    sim.run_for(sim.election_timeout())?;
    sim.one(json!(107), 3, true)?;
    Ok(())
}

fn no_commit_without_majority(sim: &mut dyn Sim) -> Result<(), String> {
    sim.one(json!(10), 5, false)?;
    let leader = sim.check_one_leader()?;
    // Leave the leader with one follower: 2 of 5 is not a majority.
    let cut: Vec<usize> = (1..=3).map(|k| (leader + k) % 5).collect();
    for &c in &cut {
        sim.disconnect(c);
    }
    let index = sim
        .propose(leader, json!(20))
        .ok_or("the leader refused a proposal right after one() succeeded")?;
    sim.run_for(4 * sim.election_timeout())?;
    let (count, _) = sim.n_committed(index);
    if count > 0 {
        return Err(format!(
            "{count} nodes applied index {index}, proposed with only 2 of 5 nodes connected"
        ));
    }
    for &c in &cut {
        sim.connect(c);
    }
    sim.one(json!(30), 5, true)?;
    sim.one(json!(1000), 5, true)?;
    Ok(())
}

fn concurrent_proposals(sim: &mut dyn Sim) -> Result<(), String> {
    // Leadership may change in between (rarely, on a healthy network): try again.
    'attempt: for attempt in 0..5 {
        let leader = sim.check_one_leader()?;
        let term = sim.state(leader).map(|s| s.0);
        let mut indices = Vec::new();
        for k in 0..10 {
            match sim.propose(leader, json!(1000 * (attempt + 1) + k)) {
                Some(i) => indices.push((i, json!(1000 * (attempt + 1) + k))),
                None => continue 'attempt,
            }
        }
        sim.run_for(sim.election_timeout())?;
        if sim.state(leader).map(|s| s.0) != term {
            continue;
        }
        for pair in indices.windows(2) {
            if pair[1].0 != pair[0].0 + 1 {
                return Err(format!(
                    "proposals on one leader got indices {} then {}",
                    pair[0].0, pair[1].0
                ));
            }
        }
        for (index, command) in indices {
            let (count, got) = sim.n_committed(index);
            if count != 3 || got.as_ref() != Some(&command) {
                return Err(format!(
                    "index {index}: {count} of 3 nodes applied {got:?}, expected {command}"
                ));
            }
        }
        return Ok(());
    }
    Err("leadership changed in each of 5 attempts on a healthy network".into())
}

fn rejoin(sim: &mut dyn Sim) -> Result<(), String> {
    sim.one(json!(101), 3, true)?;
    let leader1 = sim.check_one_leader()?;
    // Cut off, the old leader still accepts proposals; none can commit.
    sim.disconnect(leader1);
    for c in [102, 103, 104] {
        sim.propose(leader1, json!(c));
    }
    sim.one(json!(203), 2, true)?;
    // The new leader is cut off too, and the old one comes back.
    let leader2 = sim.check_one_leader()?;
    sim.disconnect(leader2);
    sim.connect(leader1);
    sim.one(json!(204), 2, true)?;
    sim.connect(leader2);
    sim.one(json!(205), 3, true)?;
    Ok(())
}

fn far_behind_follower(sim: &mut dyn Sim) -> Result<(), String> {
    sim.one(json!(1), 5, true)?;
    let old = sim.check_one_leader()?;
    let lagger = (old + 1) % 5;
    // The old leader and one follower on one side: 50 entries that never commit.
    let mut groups = vec![0; 5];
    groups[old] = 1;
    groups[lagger] = 1;
    sim.partition(&groups);
    for k in 0..50 {
        sim.propose(old, json!(1000 + k));
    }
    sim.run_for(sim.election_timeout())?;
    // The majority side commits 50 entries of its own, in a newer term.
    for k in 0..50 {
        sim.one(json!(2000 + k), 3, true)?;
    }
    // The follower joins the majority; the old leader stays away.
    groups[lagger] = 0;
    groups[old] = 2;
    sim.partition(&groups);
    let before = sim.messages_sent_to(lagger);
    let start = sim.now();
    sim.wait_applied_everywhere(5_000)?;
    let messages = sim.messages_sent_to(lagger) - before;
    let took = sim.now() - start;
    // A rejection per entry would need 50 round trips; a term per rejection needs a
    // handful. Heartbeats arriving meanwhile count too, hence the slack.
    if messages > 20 {
        return Err(format!(
            "repairing a follower 50 entries behind took {messages} messages to it \
             ({took} ms): back off a whole term per rejection"
        ));
    }
    sim.heal();
    sim.one(json!(3000), 5, true)?;
    Ok(())
}

fn message_count(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count() as u64;
    'attempt: for attempt in 0..3 {
        let leader = sim.check_one_leader()?;
        let term = sim.state(leader).map(|s| s.0);
        let before = sim.messages_sent();
        let commands = 10u64;
        for k in 0..commands {
            let command = json!(100 * (attempt + 1) + k);
            let Some(index) = sim.propose(leader, command) else {
                continue 'attempt;
            };
            let deadline = sim.now() + 2_000;
            while sim.n_committed(index).0 < n as usize {
                if sim.now() > deadline {
                    continue 'attempt;
                }
                sim.run_for(5)?;
            }
        }
        if sim.state(leader).map(|s| s.0) != term {
            continue;
        }
        let used = sim.messages_sent() - before;
        // One AppendEntries and one reply per follower, and a heartbeat round (which
        // carries the new commit index) per command, with room to spare.
        let bound = commands * 3 * 2 * (n - 1);
        if used > bound {
            return Err(format!(
                "{commands} agreements took {used} messages, more than {bound}"
            ));
        }
        let before = sim.messages_sent();
        sim.run_for(1_000)?;
        let idle = sim.messages_sent() - before;
        // Heartbeats at up to 25 per second per follower, each with a reply.
        let bound = 25 * 2 * (n - 1);
        if idle > bound {
            return Err(format!(
                "an idle second took {idle} messages, more than {bound} (too many heartbeats?)"
            ));
        }
        return Ok(());
    }
    Err("leadership changed in each of 3 attempts on a healthy network".into())
}
