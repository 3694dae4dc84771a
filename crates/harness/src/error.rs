//! Errors that stop a test (upstream's "crash": exit code 255).

use thiserror::Error;

/// Why a test could not run to its analysis.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// The node binary could not be started.
    #[error("could not start node {node} from {bin}: {source}")]
    Spawn {
        /// The node id.
        node: String,
        /// The binary path.
        bin: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `init` (or `topology`) got no reply or a wrong one.
    #[error("{message}")]
    SetupFailed {
        /// The node id.
        node: String,
        /// What went wrong, in upstream's words.
        message: String,
    },
    /// A node exited before the test ended.
    #[error("Node {node} crashed with exit status {status}.{context}")]
    NodeCrashed {
        /// The node id.
        node: String,
        /// Its exit status, as text.
        status: String,
        /// Its last stderr lines and where the full log is.
        context: String,
    },
    /// The configuration cannot be run.
    #[error("{0}")]
    Config(String),
    /// The harness got SIGINT (Ctrl-C), SIGTERM or SIGHUP; every node was
    /// killed before this was returned.
    #[error("interrupted by signal {signal}; every node has been stopped")]
    Interrupted {
        /// The signal's number; a command line exits with 128 + it.
        signal: i32,
    },
    /// Writing the store failed.
    #[error("could not write {path}: {source}")]
    Store {
        /// The path being written.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl HarnessError {
    /// The id of the node this error is about, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            HarnessError::Spawn { node, .. }
            | HarnessError::SetupFailed { node, .. }
            | HarnessError::NodeCrashed { node, .. } => Some(node),
            HarnessError::Config(_)
            | HarnessError::Store { .. }
            | HarnessError::Interrupted { .. } => None,
        }
    }
}
