//! The echo checker (upstream §4.1): every echo must come back unchanged.

use crate::budget::{Budget, Meter};
use crate::history::{pairs, Op, OpType};
use crate::verdict::Validity;
use serde::Serialize;
use serde_json::{json, Value};

/// Options for [`check`].
#[derive(Debug, Clone, Default)]
pub struct EchoOpts {
    /// Time and memory limits.
    pub budget: Budget,
}

/// The result of [`check`]: upstream's `{valid?, errors}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EchoResult {
    /// Valid iff there are no errors.
    pub valid: Validity,
    /// `["Expected a message with :echo", sent, "But received", received]` per bad pair.
    pub errors: Vec<Value>,
    /// Why the verdict is unknown, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Checks an echo history: for every invocation, the completion must be `ok`
/// and its value's `echo` field must equal the invocation's value. Timed-out
/// and failed echoes count as errors, as upstream.
pub fn check(history: &[Op], opts: &EchoOpts) -> EchoResult {
    let mut meter = Meter::new(&opts.budget);
    let mut errors = Vec::new();
    for p in pairs(history) {
        if meter.tick() {
            return EchoResult {
                valid: Validity::Unknown,
                errors,
                reason: Some("time budget exceeded".into()),
            };
        }
        let received = p.result().cloned().unwrap_or(Value::Null);
        let echoed = match (p.kind(), &received) {
            (OpType::Ok, Value::Object(m)) => m.get("echo"),
            _ => None,
        };
        if echoed != Some(&p.invoke.value) {
            errors.push(json!([
                "Expected a message with :echo",
                p.invoke.value,
                "But received",
                received
            ]));
        }
    }
    EchoResult {
        valid: Validity::from_bool(errors.is_empty()),
        errors,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType::*;

    fn h(resp: Value, kind: OpType) -> Vec<Op> {
        vec![
            Op::new(0, Invoke, 0, "echo", json!("Please echo 5")),
            Op::new(1, kind, 0, "echo", resp),
        ]
    }

    #[test]
    fn good_echo() {
        let r = check(
            &h(json!({"type": "echo_ok", "echo": "Please echo 5"}), Ok),
            &EchoOpts::default(),
        );
        assert_eq!(r.valid, Validity::Valid);
    }

    #[test]
    fn bad_echo_and_timeout() {
        let r = check(&h(json!({"echo": "nope"}), Ok), &EchoOpts::default());
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.errors[0][0], json!("Expected a message with :echo"));
        let r = check(&h(json!(null), Info), &EchoOpts::default());
        assert_eq!(r.valid, Validity::Invalid);
    }
}
