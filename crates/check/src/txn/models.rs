//! Consistency models and the anomalies each forbids, after Adya's
//! isolation levels as Elle arranges them.
//!
//! Every model lists the models directly weaker than it and the anomalies
//! it adds; a model forbids its own anomalies and everything its weaker
//! models forbid. Anomalies that show a broken store rather than weak
//! isolation (reading a value nobody wrote, duplicated or incompatible list
//! orders) are forbidden by every model.

/// A known model: name, directly weaker models, anomalies it adds.
struct Model {
    name: &'static str,
    weaker: &'static [&'static str],
    adds: &'static [&'static str],
}

const MODELS: &[Model] = &[
    Model {
        name: "read-uncommitted",
        weaker: &[],
        adds: &[
            "G0",
            "garbage-read",
            "duplicate-elements",
            "incompatible-order",
        ],
    },
    Model {
        name: "read-committed",
        weaker: &["read-uncommitted"],
        adds: &["G1a", "G1b", "G1c", "dirty-update"],
    },
    Model {
        name: "read-atomic",
        weaker: &["read-uncommitted"],
        adds: &["internal", "G1a", "G1b"],
    },
    Model {
        name: "monotonic-atomic-view",
        weaker: &["read-committed", "read-atomic"],
        adds: &[],
    },
    Model {
        name: "cursor-stability",
        weaker: &["read-committed"],
        adds: &["lost-update"],
    },
    Model {
        name: "repeatable-read",
        weaker: &["cursor-stability", "monotonic-atomic-view"],
        adds: &["G-single", "G2-item"],
    },
    Model {
        name: "snapshot-isolation",
        weaker: &["cursor-stability", "monotonic-atomic-view"],
        adds: &["G-single"],
    },
    Model {
        name: "serializable",
        weaker: &["repeatable-read", "snapshot-isolation"],
        adds: &["G2-item"],
    },
    Model {
        name: "strong-session-serializable",
        weaker: &["serializable"],
        adds: &[
            "G0-process",
            "G1c-process",
            "G-single-process",
            "G2-item-process",
        ],
    },
    Model {
        name: "strict-serializable",
        weaker: &["strong-session-serializable"],
        adds: &[
            "G0-realtime",
            "G1c-realtime",
            "G-single-realtime",
            "G2-item-realtime",
        ],
    },
];

/// The names of every model the checker knows, weakest first.
#[must_use]
pub fn known_models() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

/// Upstream's default: `strict-serializable`.
pub const DEFAULT_MODEL: &str = "strict-serializable";

fn model(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.name == name)
}

/// True if `name` is a model this checker knows.
#[must_use]
pub fn is_known(name: &str) -> bool {
    model(name).is_some()
}

/// Every anomaly `name` forbids (empty for an unknown model).
#[must_use]
pub fn forbidden_by(name: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut todo = vec![name];
    while let Some(n) = todo.pop() {
        if let Some(m) = model(n) {
            out.extend(m.adds.iter().copied());
            todo.extend(m.weaker.iter().copied());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// True if `strong` is `weak` or stronger than it.
fn implies(strong: &str, weak: &str) -> bool {
    if strong == weak {
        return true;
    }
    model(strong).is_some_and(|m| m.weaker.iter().any(|w| implies(w, weak)))
}

/// The models the anomaly types rule out: (`not`, `also-not`), where `not`
/// holds the weakest ruled-out models and `also-not` the stronger ones.
#[must_use]
pub fn ruled_out(anomaly_types: &[String]) -> (Vec<String>, Vec<String>) {
    let out: Vec<&str> = MODELS
        .iter()
        .map(|m| m.name)
        .filter(|m| {
            forbidden_by(m)
                .iter()
                .any(|a| anomaly_types.iter().any(|t| t == a))
        })
        .collect();
    let (mut not, mut also) = (Vec::new(), Vec::new());
    for m in &out {
        let minimal = !out.iter().any(|o| o != m && implies(m, o));
        if minimal { &mut not } else { &mut also }.push((*m).to_string());
    }
    not.sort();
    also.sort();
    (not, also)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice() {
        assert_eq!(forbidden_by("read-uncommitted").len(), 4);
        assert!(forbidden_by("read-committed").contains(&"G0"));
        assert!(!forbidden_by("read-committed").contains(&"internal"));
        assert!(forbidden_by("serializable").contains(&"G1c"));
        assert!(!forbidden_by("serializable").contains(&"G-single-realtime"));
        assert!(forbidden_by("strict-serializable").contains(&"G2-item-process"));
        let (not, also) = ruled_out(&["G1c".to_string()]);
        assert_eq!(not, vec!["read-committed"]);
        assert!(also.contains(&"strict-serializable".to_string()));
        assert!(!also.contains(&"read-atomic".to_string()));
        let (not, _) = ruled_out(&["internal".to_string(), "G1b".to_string()]);
        assert_eq!(not, vec!["read-atomic", "read-committed"]);
        let (not, also) = ruled_out(&["G-single-realtime".to_string()]);
        assert_eq!(
            (not, also),
            (vec!["strict-serializable".to_string()], vec![])
        );
    }
}
