//! Histories and checkers for the Maelstrom workbench.
//!
//! Every checker is a pure function of a history (a slice of [`Op`]s, as the
//! harness writes them to `history.jsonl`) and an options struct holding a
//! [`Budget`]. Checkers never panic on a history: they return a result whose
//! `valid` field is a [`Validity`] — `true`, `false` or `"unknown"` in JSON —
//! and say `unknown` with a reason when the budget runs out.
//!
//! Modules: [`history`] (the model), [`echo`], [`unique_ids`], [`set_full`],
//! [`counter`], [`edn`] and [`jepsen`] (histories written by Jepsen and
//! Knossos), [`stats`] (stats and availability), [`linearizable`] (WGL
//! search with memoisation and per-key partitioning), [`porcupine`] (parsers
//! for Porcupine's benchmark logs), [`kafka`] and [`txn`] (transactional
//! anomalies, Elle-style).
//!
//! ```
//! use maelstrom_check::history::parse_jsonl;
//! use maelstrom_check::linearizable::{self, LinOpts, ModelKind};
//! use maelstrom_check::Validity;
//!
//! // Key 0 is written 1, then a later read returns 2: not linearizable.
//! let history = parse_jsonl(r#"
//! {"index":0,"type":"invoke","f":"write","value":[0,1],"process":0,"time":0}
//! {"index":1,"type":"ok","f":"write","value":[0,1],"process":0,"time":1}
//! {"index":2,"type":"invoke","f":"read","value":[0,null],"process":1,"time":2}
//! {"index":3,"type":"ok","f":"read","value":[0,2],"process":1,"time":3}
//! "#).unwrap();
//! let result = linearizable::check(&history, ModelKind::CasRegister, &LinOpts::default());
//! assert_eq!(result.valid, Validity::Invalid);
//! assert_eq!(result.failures, vec!["0".to_string()]);
//! assert_eq!(serde_json::to_value(&result).unwrap()["valid"], false);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod budget;
pub mod counter;
pub mod echo;
pub mod edn;
pub mod history;
pub mod jepsen;
pub mod kafka;
pub mod linearizable;
pub mod porcupine;
pub mod set_full;
pub mod stats;
pub mod txn;
pub mod unique_ids;
pub mod util;
pub mod verdict;

pub use budget::Budget;
pub use history::{Op, OpType};
pub use verdict::Validity;
