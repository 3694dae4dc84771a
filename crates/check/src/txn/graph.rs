//! The dependency graph: edges between transactions labelled with a set
//! of kinds, stored as compressed adjacency lists; strongly connected
//! components (Tarjan, iterative); shortest cycles through an edge (BFS).

use crate::budget::Meter;

/// Write-write dependency: the second transaction overwrote the first's version.
pub(crate) const WW: u8 = 1;
/// Write-read dependency: the second read the first's version.
pub(crate) const WR: u8 = 2;
/// Read-write anti-dependency: the second overwrote what the first read.
pub(crate) const RW: u8 = 4;
/// Process order: the same process ran the first, then the second.
pub(crate) const PROC: u8 = 8;
/// Real-time order: the first completed before the second began.
pub(crate) const RT: u8 = 16;
/// The data dependencies.
pub(crate) const DATA: u8 = WW | WR | RW;

/// Signals that the time budget ran out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spent;

/// Adjacency lists with the kinds of each edge.
pub(crate) struct Graph {
    offs: Vec<u32>,
    dst: Vec<u32>,
    kind: Vec<u8>,
}

impl Graph {
    /// Builds the graph of `n` nodes from `(src, dst, kind)` triples;
    /// parallel edges merge their kinds, self-loops are dropped.
    pub(crate) fn build(n: usize, edges: Vec<(u32, u32, u8)>) -> Graph {
        // Counting sort by source, then a small sort of each node's own
        // edges: linear, and each small sort stays in cache, where one
        // sort of tens of millions of triples does not.
        let mut offs = vec![0u32; n + 1];
        for &(s, d, _) in &edges {
            if s != d {
                offs[s as usize + 1] += 1;
            }
        }
        for i in 0..n {
            offs[i + 1] += offs[i];
        }
        let mut fill = offs.clone();
        let mut packed = vec![0u64; offs[n] as usize];
        for (s, d, k) in edges {
            if s != d {
                let at = &mut fill[s as usize];
                packed[*at as usize] = (u64::from(d) << 8) | u64::from(k);
                *at += 1;
            }
        }
        let mut dst = Vec::with_capacity(packed.len());
        let mut kind: Vec<u8> = Vec::with_capacity(packed.len());
        let mut out_offs = vec![0u32; n + 1];
        for v in 0..n {
            let run = &mut packed[offs[v] as usize..offs[v + 1] as usize];
            run.sort_unstable();
            let mut last = None;
            for &x in run.iter() {
                let (d, k) = ((x >> 8) as u32, x as u8);
                if last == Some(d) {
                    if let Some(lk) = kind.last_mut() {
                        *lk |= k;
                    }
                    continue;
                }
                last = Some(d);
                dst.push(d);
                kind.push(k);
            }
            out_offs[v + 1] = dst.len() as u32;
        }
        Graph {
            offs: out_offs,
            dst,
            kind,
        }
    }

    /// The number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.offs.len() - 1
    }

    /// The out-edges of `v` as (destination, kinds).
    pub(crate) fn out(&self, v: u32) -> impl Iterator<Item = (u32, u8)> + '_ {
        let (a, b) = (
            self.offs[v as usize] as usize,
            self.offs[v as usize + 1] as usize,
        );
        self.dst[a..b]
            .iter()
            .copied()
            .zip(self.kind[a..b].iter().copied())
    }

    /// The kinds of the edge `a -> b` (0 if there is none).
    pub(crate) fn kinds(&self, a: u32, b: u32) -> u8 {
        self.out(a).find(|&(d, _)| d == b).map_or(0, |(_, k)| k)
    }

    /// The number of edges.
    pub(crate) fn edge_count(&self) -> usize {
        self.dst.len()
    }

    /// The strongly connected components of more than one node, using only
    /// edges with a kind in `mask`; each sorted, in order of smallest node.
    pub(crate) fn sccs(&self, mask: u8, meter: &mut Meter) -> Result<Vec<Vec<u32>>, Spent> {
        const NONE: u32 = u32::MAX;
        let n = self.len();
        let mut index = vec![NONE; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        // Call stack of (node, next edge position).
        let mut calls: Vec<(u32, u32)> = Vec::new();
        let mut next = 0u32;
        let mut comps = Vec::new();
        for root in 0..n as u32 {
            if index[root as usize] != NONE {
                continue;
            }
            calls.push((root, self.offs[root as usize]));
            index[root as usize] = next;
            low[root as usize] = next;
            next += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut e)) = calls.last_mut() {
                if meter.tick() {
                    return Err(Spent);
                }
                let end = self.offs[v as usize + 1];
                let mut descended = false;
                while *e < end {
                    let (w, k) = (self.dst[*e as usize], self.kind[*e as usize]);
                    *e += 1;
                    if k & mask == 0 {
                        continue;
                    }
                    if index[w as usize] == NONE {
                        index[w as usize] = next;
                        low[w as usize] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w as usize] = true;
                        calls.push((w, self.offs[w as usize]));
                        descended = true;
                        break;
                    } else if on_stack[w as usize] {
                        low[v as usize] = low[v as usize].min(index[w as usize]);
                    }
                }
                if descended {
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        comp.sort_unstable();
                        comps.push(comp);
                    }
                }
            }
        }
        comps.sort_unstable_by_key(|c| c[0]);
        Ok(comps)
    }
}

/// Breadth-first search for shortest paths inside one component, counting
/// anti-dependencies taken (0, 1, or 2 meaning "two or more"). Reused
/// across searches: its arrays are sized once and reset per search.
pub(crate) struct Search {
    /// Parent state of each visited state (node * 3 + rw count).
    parent: Vec<u32>,
    touched: Vec<u32>,
    member: Vec<bool>,
}

/// One step of a found cycle: from, to, and the kind it was taken as.
pub(crate) type Step = (u32, u32, u8);

const UNSEEN: u32 = u32::MAX;

impl Search {
    pub(crate) fn new(n: usize) -> Search {
        Search {
            parent: vec![UNSEEN; n * 3],
            touched: Vec::new(),
            member: vec![false; n],
        }
    }

    /// Restricts the following searches to `comp`.
    pub(crate) fn set_component(&mut self, old: &[u32], comp: &[u32]) {
        for &v in old {
            self.member[v as usize] = false;
        }
        for &v in comp {
            self.member[v as usize] = true;
        }
    }

    /// Cycles through the seed edge `a -> b` (taken as `seed_kind`), using
    /// edges with kinds in `mask`: for each rw count 0, 1 and 2+ (seed
    /// included), the shortest such cycle, if any, as steps from `a`.
    pub(crate) fn cycles_through(
        &mut self,
        g: &Graph,
        (a, b, seed_kind): Step,
        mask: u8,
        meter: &mut Meter,
    ) -> Result<[Option<Vec<Step>>; 3], Spent> {
        for &s in &self.touched {
            self.parent[s as usize] = UNSEEN;
        }
        self.touched.clear();
        let start = b * 3 + u32::from(seed_kind == RW);
        self.parent[start as usize] = start;
        self.touched.push(start);
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found: [Option<u32>; 3] = [None, None, None];
        while let Some(s) = queue.pop_front() {
            if meter.tick() {
                return Err(Spent);
            }
            let (v, c) = (s / 3, s % 3);
            if v == a {
                if found[c as usize].is_none() {
                    found[c as usize] = Some(s);
                }
                continue;
            }
            for (w, k) in g.out(v) {
                let k = k & mask;
                if k == 0 || !self.member[w as usize] {
                    continue;
                }
                // Take the edge as a dependency when it is one: fewer
                // anti-dependencies make the stronger anomaly.
                let c2 = if k & !RW != 0 { c } else { (c + 1).min(2) };
                let t = w * 3 + c2;
                if self.parent[t as usize] == UNSEEN {
                    self.parent[t as usize] = s;
                    self.touched.push(t);
                    queue.push_back(t);
                }
            }
        }
        let path = |end: u32| {
            let mut states = vec![end];
            let mut s = end;
            while self.parent[s as usize] != s {
                s = self.parent[s as usize];
                states.push(s);
            }
            states.reverse();
            let mut steps = vec![(a, b, seed_kind)];
            for w in states.windows(2) {
                let (x, y) = (w[0] / 3, w[1] / 3);
                let k = g.kinds(x, y) & mask;
                let taken = if k & !RW != 0 { pick(k & !RW) } else { RW };
                steps.push((x, y, taken));
            }
            steps
        };
        Ok(found.map(|f| f.map(path)))
    }
}

/// The kind an edge is named by: the strongest of its kinds.
pub(crate) fn pick(k: u8) -> u8 {
    [WW, WR, RW, PROC, RT]
        .into_iter()
        .find(|x| k & x != 0)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;

    #[test]
    fn sccs_and_cycles() {
        // 0 -> 1 -> 2 -> 0 (ww, ww, rw), 2 -> 3, 3 -> 4 -> 3 (wr).
        let g = Graph::build(
            5,
            vec![
                (0, 1, WW),
                (1, 2, WW),
                (2, 0, RW),
                (2, 3, WW),
                (3, 4, WR),
                (4, 3, WR),
                (1, 1, WW),
            ],
        );
        let mut m = Meter::new(&Budget::default());
        assert_eq!(
            g.sccs(DATA, &mut m).unwrap(),
            vec![vec![0, 1, 2], vec![3, 4]]
        );
        assert_eq!(g.sccs(WW, &mut m).unwrap(), Vec::<Vec<u32>>::new());
        let mut s = Search::new(5);
        s.set_component(&[], &[0, 1, 2]);
        let [zero, one, two] = s.cycles_through(&g, (2, 0, RW), DATA, &mut m).unwrap();
        assert!(zero.is_none() && two.is_none());
        assert_eq!(one.unwrap(), vec![(2, 0, RW), (0, 1, WW), (1, 2, WW)]);
    }
}
