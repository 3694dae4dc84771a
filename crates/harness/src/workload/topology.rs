//! Broadcast topologies, computed from the node list in order (upstream §4.2).

use std::collections::BTreeMap;

use crate::config::Topology;

/// Each node's neighbours under `topology`.
pub fn neighbours(topology: Topology, nodes: &[String]) -> BTreeMap<String, Vec<String>> {
    let n = nodes.len();
    let name = |i: usize| nodes[i].clone();
    let mut out = BTreeMap::new();
    match topology {
        Topology::Grid => {
            let side = (1..=n).find(|s| s * s >= n).unwrap_or(1);
            for idx in 0..n {
                let (i, j) = ((idx / side) as isize, (idx % side) as isize);
                let cells = [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)];
                let ns = cells
                    .into_iter()
                    .filter(|&(r, c)| r >= 0 && c >= 0 && (c as usize) < side)
                    .map(|(r, c)| r as usize * side + c as usize)
                    .filter(|&k| k < n)
                    .map(name)
                    .collect();
                out.insert(name(idx), ns);
            }
        }
        Topology::Line => {
            if n >= 2 {
                for i in 0..n {
                    let mut ns = Vec::new();
                    if i > 0 {
                        ns.push(name(i - 1));
                    }
                    if i + 1 < n {
                        ns.push(name(i + 1));
                    }
                    out.insert(name(i), ns);
                }
            }
        }
        Topology::Tree(b) => {
            for p in 0..n {
                let mut ns = Vec::new();
                if p > 0 {
                    ns.push(name((p - 1) / b));
                }
                ns.extend((b * p + 1..=b * p + b).filter(|&c| c < n).map(name));
                out.insert(name(p), ns);
            }
        }
        Topology::Total => {
            for i in 0..n {
                out.insert(name(i), (0..n).filter(|&k| k != i).map(name).collect());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn grid_of_five_matches_upstream() {
        let t = neighbours(Topology::Grid, &ids(5));
        assert_eq!(t["n1"], s(&["n4", "n2"]));
        assert_eq!(t["n2"], s(&["n5", "n3", "n1"]));
        assert_eq!(t["n3"], s(&["n2"]));
        assert_eq!(t["n4"], s(&["n1", "n5"]));
        assert_eq!(t["n5"], s(&["n2", "n4"]));
        assert_eq!(
            neighbours(Topology::Grid, &ids(1))["n1"],
            Vec::<String>::new()
        );
    }

    #[test]
    fn line_tree_total() {
        let l = neighbours(Topology::Line, &ids(3));
        assert_eq!(l["n1"], s(&["n2"]));
        assert_eq!(l["n2"], s(&["n1", "n3"]));
        assert!(neighbours(Topology::Line, &ids(1)).is_empty());
        let t = neighbours(Topology::Tree(2), &ids(5));
        assert_eq!(t["n1"], s(&["n2", "n3"]));
        assert_eq!(t["n2"], s(&["n1", "n4", "n5"]));
        assert_eq!(t["n5"], s(&["n2"]));
        let t4 = neighbours(Topology::Tree(4), &ids(6));
        assert_eq!(t4["n1"], s(&["n2", "n3", "n4", "n5"]));
        assert_eq!(t4["n6"], s(&["n2"]));
        assert_eq!(neighbours(Topology::Total, &ids(3))["n2"], s(&["n1", "n3"]));
    }
}
