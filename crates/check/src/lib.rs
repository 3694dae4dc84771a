//! Histories and checkers for the Maelstrom workbench.
//!
//! Every checker is a pure function of a history (a slice of [`Op`]s, as the
//! harness writes them to `history.jsonl`) and an options struct holding a
//! [`Budget`]. Checkers never panic on a history: they return a result whose
//! `valid` field is a [`Validity`] — `true`, `false` or `"unknown"` in JSON —
//! and say `unknown` with a reason when the budget runs out.
//!
//! Modules: [`history`] (the model), [`echo`], [`unique_ids`], [`set_full`],
//! [`counter`], [`stats`] (stats and availability), [`linearizable`] (WGL
//! search with memoisation and per-key partitioning), [`porcupine`] (parsers
//! for Porcupine's benchmark logs) and [`kafka`].
//!
//! ```
//! use maelstrom_check::history::parse_jsonl;
//! use maelstrom_check::unique_ids::{self, UniqueIdsOpts};
//! use maelstrom_check::Validity;
//!
//! let history = parse_jsonl(r#"
//! {"index":0,"type":"invoke","f":"generate","value":null,"process":0,"time":0}
//! {"index":1,"type":"ok","f":"generate","value":"n1-1","process":0,"time":1}
//! {"index":2,"type":"invoke","f":"generate","value":null,"process":1,"time":2}
//! {"index":3,"type":"ok","f":"generate","value":"n1-1","process":1,"time":3}
//! "#).unwrap();
//! let result = unique_ids::check(&history, &UniqueIdsOpts::default());
//! assert_eq!(result.valid, Validity::Invalid);
//! assert_eq!(serde_json::to_value(&result).unwrap()["duplicated-count"], 1);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod budget;
pub mod counter;
pub mod echo;
pub mod history;
pub mod kafka;
pub mod linearizable;
pub mod porcupine;
pub mod set_full;
pub mod stats;
pub mod unique_ids;
pub mod util;
pub mod verdict;

pub use budget::Budget;
pub use history::{Op, OpType};
pub use verdict::Validity;
