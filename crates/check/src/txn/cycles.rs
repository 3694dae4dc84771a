//! Finding and naming dependency cycles.
//!
//! Each anomaly class is a cycle with a given mix of edges: G0 only ww;
//! G1c ww and wr, at least one wr; G-single exactly one rw; G2-item two or
//! more rw. Each class is searched where it can exist: G0 in the
//! components of the ww graph, G1c in those of the ww+wr graph (through a
//! wr edge), G-single and G2-item in those of the full data graph (through
//! an rw edge: the shortest cycle with exactly one rw edge, else the
//! shortest with more). An edge inside a component always lies on a cycle,
//! so a nontrivial component always yields an anomaly.
//!
//! The `-process` and `-realtime` variants are cycles that need process
//! (resp. real-time) edges: searched in the components of the graph with
//! those edges added, through an edge that is only a process (resp. only a
//! real-time) edge. One example per class and component.

use super::graph::{pick, Graph, Search, Spent, Step, DATA, PROC, RT, RW, WR, WW};
use super::{Anomaly, Explain, Recorder};
use crate::budget::Meter;

/// Which order edges the requested models need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Data,
    Process,
    Realtime,
}

/// Searches `g` for cycles of every class up to `level`, recording them.
pub(crate) fn search(
    g: &Graph,
    level: Level,
    ex: &dyn Explain,
    rec: &mut Recorder,
    meter: &mut Meter,
) -> Result<(), Spent> {
    let all = match level {
        Level::Data => DATA,
        Level::Process => DATA | PROC,
        Level::Realtime => DATA | PROC | RT,
    };
    // Every class lives in a subgraph of the whole: no cycle there, none
    // anywhere, and a valid history costs one pass.
    if g.sccs(all, meter)?.is_empty() {
        return Ok(());
    }
    let mut s = Search::new(g.len());
    let mut prev: Vec<u32> = Vec::new();
    let mut enter = |s: &mut Search, comp: &[u32]| {
        s.set_component(&prev, comp);
        prev = comp.to_vec();
    };
    // G0: through any edge of a ww component.
    for comp in g.sccs(WW, meter)? {
        enter(&mut s, &comp);
        if let Some(seed) = seeds(g, &comp, WW, 0).next() {
            if let [Some(c), _, _] = s.cycles_through(g, seed, WW, meter)? {
                rec.record("G0", || anomaly(ex, &c));
            }
        }
    }
    // G1c: through a wr edge of a ww+wr component.
    for comp in g.sccs(WW | WR, meter)? {
        enter(&mut s, &comp);
        if let Some((a, b, _)) = seeds(g, &comp, WR, 0).next() {
            if let [Some(c), _, _] = s.cycles_through(g, (a, b, WR), WW | WR, meter)? {
                rec.record("G1c", || anomaly(ex, &c));
            }
        }
    }
    // G-single, else G2-item: through rw edges that are nothing else.
    for comp in g.sccs(DATA, meter)? {
        enter(&mut s, &comp);
        let mut g2 = None;
        let mut single = false;
        for seed in seeds(g, &comp, RW, WW | WR).collect::<Vec<_>>() {
            let [_, one, two] = s.cycles_through(g, (seed.0, seed.1, RW), DATA, meter)?;
            if let Some(c) = one {
                rec.record("G-single", || anomaly(ex, &c));
                single = true;
                break;
            }
            g2 = g2.or(two);
        }
        if let (false, Some(c)) = (single, g2) {
            rec.record("G2-item", || anomaly(ex, &c));
        }
    }
    for (lvl, new, below, suffix) in [
        (Level::Process, PROC, DATA, "-process"),
        (Level::Realtime, RT, DATA | PROC, "-realtime"),
    ] {
        if level < lvl {
            break;
        }
        let extra = (below | new) & !DATA;
        for comp in g.sccs(below | new, meter)? {
            enter(&mut s, &comp);
            let mut found = [false; 4];
            let mut g2 = None;
            for (a, b, _) in seeds(g, &comp, new, below).collect::<Vec<_>>() {
                if found.iter().all(|&f| f) {
                    break;
                }
                let seed = (a, b, new);
                if !found[0] {
                    if let [Some(c), _, _] = s.cycles_through(g, seed, WW | extra, meter)? {
                        rec.record(&format!("G0{suffix}"), || anomaly(ex, &c));
                        found[0] = true;
                    }
                }
                if !found[1] {
                    if let [Some(c), _, _] = s.cycles_through(g, seed, WW | WR | extra, meter)? {
                        if c.iter().any(|st| st.2 == WR) {
                            rec.record(&format!("G1c{suffix}"), || anomaly(ex, &c));
                            found[1] = true;
                        }
                    }
                }
                if !found[2] {
                    let [_, one, two] = s.cycles_through(g, seed, below | new, meter)?;
                    if let Some(c) = one {
                        rec.record(&format!("G-single{suffix}"), || anomaly(ex, &c));
                        found[2] = true;
                    }
                    g2 = g2.or(two);
                }
            }
            if let (false, Some(c)) = (found[2], g2) {
                rec.record(&format!("G2-item{suffix}"), || anomaly(ex, &c));
            }
        }
    }
    Ok(())
}

/// Edges inside `comp` having a kind in `want` and none in `not`.
fn seeds<'g>(g: &'g Graph, comp: &'g [u32], want: u8, not: u8) -> impl Iterator<Item = Step> + 'g {
    comp.iter().flat_map(move |&v| {
        g.out(v)
            .filter(move |&(w, k)| k & want != 0 && k & not == 0 && comp.binary_search(&w).is_ok())
            .map(move |(w, k)| (v, w, pick(k & want)))
    })
}

/// A cycle as an anomaly: its transactions and one line per edge.
fn anomaly(ex: &dyn Explain, cycle: &[Step]) -> Anomaly {
    let txns: Vec<usize> = cycle.iter().map(|s| s.0 as usize).collect();
    let mut a = ex.anomaly(&txns, String::new());
    a.explanation = cycle
        .iter()
        .map(|&(x, y, k)| edge_line(ex, x as usize, y as usize, k))
        .collect();
    a
}

fn edge_line(ex: &dyn Explain, a: usize, b: usize, kind: u8) -> String {
    let p = ex.parsed();
    let (na, nb) = (ex.name(a), ex.name(b));
    match kind {
        PROC => format!(
            "{na} < {nb}: process {} ran {na} before {nb}",
            p.txns[a].process
        ),
        RT => format!(
            "{na} < {nb}: {na} completed (history position {}) before {nb} began (position {})",
            p.txns[a].complete_pos, p.txns[b].invoke_pos
        ),
        _ => ex.explain(a, b, kind),
    }
}
