//! The report written beside results.json when a test keeps a store:
//! `results.edn` (upstream's keys and shapes, see [`edn`]) and `index.html`
//! (a self-contained page: verdict, command, key figures, latency plot,
//! results sections and links to every file, see [`html`]).

pub mod edn;
pub mod html;
