//! `maelstrom`: a JVM-free, drop-in replacement for Jepsen's Maelstrom.
//!
//! Exit codes as upstream: 0 valid, 1 invalid, 2 unknown, 255 crash, 254 bad
//! arguments. The command line itself lives in `maelstrom_harness::cli`, which
//! node binaries built with `maelstrom-node` also run in simulation.

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(maelstrom_harness::cli::main(argv, None));
}
