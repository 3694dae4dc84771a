//! `maelstrom`: a JVM-free, drop-in replacement for Jepsen's Maelstrom.
//!
//! Exit codes as upstream: 0 valid, 1 invalid, 2 unknown, 255 crash, 254 bad
//! arguments. The command line itself is [`maelstrom::cli`].

fn main() {
    // The harness's own log (warnings, --log-stderr, --log-net-*) on stderr.
    maelstrom_harness::logging::init_stderr();
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(maelstrom::cli::main(argv));
}
