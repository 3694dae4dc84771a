//! The `maelstrom` command line as a library: `test`, `grade` and `demo` over
//! the harness engine ([`maelstrom_harness`]). The binary is one call to
//! [`cli::main`]; the exercises' test kit uses the grade config and criteria.

pub mod cli;
