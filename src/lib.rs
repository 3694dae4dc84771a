//! Helpers for the workspace's end-to-end tests and benchmarks: building the
//! workspace's binaries on demand and finding them.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// Serialises nested cargo builds: tests run in parallel threads.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The target directory the current test or bench binary was built into.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// Builds binary `bin` of workspace package `package` (in `release` or debug) and
/// returns its path. Tests call it so that `cargo test --workspace` on a fresh clone
/// needs nothing built beforehand.
pub fn built_binary(package: &str, bin: &str, release: bool) -> anyhow::Result<PathBuf> {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status()?;
    anyhow::ensure!(
        status.success(),
        "cargo build -p {package} --bin {bin} failed"
    );
    let profile = if release { "release" } else { "debug" };
    let path = target_dir().join(profile).join(bin);
    anyhow::ensure!(path.exists(), "{} was not built", path.display());
    Ok(path)
}
