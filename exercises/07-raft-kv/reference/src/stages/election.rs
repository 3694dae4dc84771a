//! Stage 1: leader election.

use super::{Scenario, Sim, Stage};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "initial_election_3",
            stage: Stage::Election,
            nodes: 3,
            checks: "3 nodes elect one leader within 5 election timeouts and keep it and \
                     its term while the network is healthy",
            story: initial_election,
        },
        Scenario {
            name: "initial_election_5",
            stage: Stage::Election,
            nodes: 5,
            checks: "5 nodes elect one leader within 5 election timeouts and keep it and \
                     its term while the network is healthy",
            story: initial_election,
        },
        Scenario {
            name: "reelection",
            stage: Stage::Election,
            nodes: 3,
            checks: "a new leader is elected when the leader is cut off, none without a \
                     majority, and one again once a majority is back",
            story: reelection,
        },
        Scenario {
            name: "isolated_rejoins",
            stage: Stage::Election,
            nodes: 3,
            checks: "a follower cut off for 20 election timeouts keeps its term (pre-vote), \
                     and on rejoining deposes nobody: same leader, same term",
            story: isolated_rejoins,
        },
        Scenario {
            name: "many_elections",
            stage: Stage::Election,
            nodes: 5,
            checks: "with 2 of 5 nodes cut off at random, again and again, the other 3 \
                     always elect one leader",
            story: many_elections,
        },
    ]
}

/// Elects within a few timeouts, then nothing changes while all is well.
fn initial_election(sim: &mut dyn Sim) -> Result<(), String> {
    let leader = sim.check_one_leader()?;
    let bound = 5 * sim.election_timeout();
    if sim.now() > bound {
        return Err(format!(
            "the first leader took {} ms, more than 5 election timeouts ({bound} ms)",
            sim.now()
        ));
    }
    // Let the election settle: every node must have heard of the new term.
    sim.run_for(sim.election_timeout())?;
    let term = sim.check_terms()?;
    if term == 0 {
        return Err("a leader was elected but the term is still 0".into());
    }
    sim.run_for(5 * sim.election_timeout())?;
    let later = sim.check_terms()?;
    if later != term {
        return Err(format!(
            "the term moved from {term} to {later} on a healthy network \
             (are heartbeats sent often enough, and do they reset followers' timers?)"
        ));
    }
    let still = sim.check_one_leader()?;
    if still != leader {
        return Err(format!(
            "leadership moved from {leader} to {still} on a healthy network"
        ));
    }
    Ok(())
}

fn reelection(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count();
    let first = sim.check_one_leader()?;

    // The leader is cut off: the other two elect a new one.
    sim.disconnect(first);
    sim.check_one_leader()?;

    // The old leader comes back: still one leader (it must step down when it hears
    // of the newer term).
    sim.connect(first);
    let third = sim.check_one_leader()?;

    // No majority, no leader.
    let other = (third + 1) % n;
    sim.disconnect(third);
    sim.disconnect(other);
    sim.run_for(2 * sim.election_timeout())?;
    sim.check_no_leader()
        .map_err(|e| format!("{e} (1 of 3 nodes connected: no majority)"))?;

    // A majority again: a leader again.
    sim.connect(other);
    sim.check_one_leader()?;
    sim.connect(third);
    sim.check_one_leader()?;
    Ok(())
}

/// A node cut off keeps asking whether it could win an election (pre-vote), hears
/// no yes, and so never raises its term; back, it follows the leader it finds.
fn isolated_rejoins(sim: &mut dyn Sim) -> Result<(), String> {
    let leader = sim.check_one_leader()?;
    sim.run_for(sim.election_timeout())?;
    let term = sim.check_terms()?;
    let cut = (leader + 1) % sim.node_count();
    sim.disconnect(cut);
    sim.run_for(20 * sim.election_timeout())?;
    let (cut_term, _) = sim.state(cut).ok_or("the cut-off node is down")?;
    if cut_term != term {
        return Err(format!(
            "node {cut}, cut off in term {term}, reached term {cut_term} on its own \
             (start an election only after a pre-vote that a majority grants)"
        ));
    }
    sim.connect(cut);
    sim.run_for(2 * sim.election_timeout())?;
    let now_leader = sim.check_one_leader()?;
    let now_term = sim.check_terms()?;
    if (now_leader, now_term) != (leader, term) {
        return Err(format!(
            "node {cut} rejoined and leadership moved from {leader} in term {term} to \
             {now_leader} in term {now_term}: a rejoining node must not depose a live leader"
        ));
    }
    Ok(())
}

fn many_elections(sim: &mut dyn Sim) -> Result<(), String> {
    let n = sim.node_count() as u64;
    sim.check_one_leader()?;
    for _ in 0..6 {
        let a = sim.random(n) as usize;
        let b = sim.random(n) as usize;
        sim.disconnect(a);
        sim.disconnect(b);
        sim.check_one_leader()?;
        sim.connect(a);
        sim.connect(b);
    }
    sim.check_one_leader()?;
    Ok(())
}
