//! Every exercise's starter, as the project ships it, fails its first level with
//! a message that says why: a starter node answers error 10 (not supported), and
//! a learner must hear that rather than see a bare "invalid"; the Raft starter's
//! core never elects a leader, and stage 1 says so.
//!
//! The starters in `exercises/` are where learners work, so a solved exercise
//! must not turn this test red: it builds the starters as committed (read with
//! `git show`), copied into a temporary workspace whose dependencies point at the
//! real crates. A learner's own code is judged by `maelstrom grade` only.
//! `MAELSTROM_STARTERS_REV` names the commit to read them from (default `HEAD`;
//! a learner who commits solutions can point it at the commit they cloned).
//! Without git (a source tarball) the test says it skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use maelstrom_harness::cli::grade::config::{load_exercises, Exercise};

/// Prefix of the pristine copies' package, binary and example names, so their
/// build outputs never replace the learner's in the shared target directory.
const PREFIX: &str = "pristine-";

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// The root of the git checkout around `workspace`, or why there is none.
fn git_checkout(workspace: &Path) -> Result<PathBuf, String> {
    let out = git(workspace, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim()))
}

/// The starters as committed, in a temporary cargo workspace.
struct Pristine {
    /// The temporary workspace (removed on drop).
    dir: common::Scratch,
}

impl Pristine {
    /// Writes the committed files of every exercise's `starter/` into a
    /// temporary workspace, or says why it cannot (no git, not a clone).
    fn new(workspace: &Path, exercises: &[Exercise]) -> Result<Pristine, String> {
        let rev = std::env::var("MAELSTROM_STARTERS_REV").unwrap_or_else(|_| "HEAD".into());
        let top = git_checkout(workspace)?;
        let dir = common::scratch("pristine-starters");
        let mut members = Vec::new();
        for ex in exercises {
            let starter = ex.dir.join("starter");
            let rel = starter
                .canonicalize()
                .map_err(|e| format!("{}: {e}", starter.display()))?;
            let rel = rel
                .strip_prefix(top.canonicalize().unwrap_or(top.clone()))
                .map_err(|_| format!("{} is outside the git checkout", starter.display()))?
                .to_path_buf();
            let rel_str = rel.to_string_lossy().to_string();
            let listing = git(
                &top,
                &["ls-tree", "-r", "--name-only", &rev, "--", &rel_str],
            )?;
            let files: Vec<String> = String::from_utf8_lossy(&listing)
                .lines()
                .map(str::to_string)
                .collect();
            if files.is_empty() {
                return Err(format!("{rel_str} is not committed at {rev}"));
            }
            let folder = ex.dir.file_name().expect("an exercise folder");
            let to = dir.join(folder).join("starter");
            for file in &files {
                let blob = git(&top, &["show", &format!("{rev}:{file}")])?;
                let inside = Path::new(file).strip_prefix(&rel).expect("listed under it");
                let path = to.join(inside);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, blob).unwrap();
            }
            let manifest = to.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
            let has_stages = to.join("examples/stages.rs").is_file();
            std::fs::write(&manifest, pristine_manifest(&text, &starter, has_stages)).unwrap();
            members.push(format!(
                "{:?}",
                Path::new(folder).join("starter").to_string_lossy()
            ));
        }
        // The real workspace's shared settings and dependencies, with their
        // paths made absolute, so `.workspace = true` resolves as it does there.
        let root = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
        let shared = root
            .find("[workspace.package]")
            .map(|i| &root[i..])
            .ok_or("the workspace Cargo.toml has no [workspace.package]")?;
        let shared = shared.replace("path = \"", &format!("path = \"{}/", workspace.display()));
        let manifest = format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n\n{shared}",
            members.join(", ")
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        // The same dependency versions as the real build, so artifacts are shared.
        if let Ok(lock) = std::fs::read(workspace.join("Cargo.lock")) {
            std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
        }
        Ok(Pristine { dir })
    }

    /// Runs cargo in the temporary workspace, building into the real target
    /// directory (the dependencies are already built there).
    fn cargo(&self, args: &[&str]) -> std::process::Output {
        let exe = std::env::current_exe().expect("test binary path");
        let target = exe
            .ancestors()
            .nth(3)
            .expect("test binary inside a target dir");
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&*self.dir)
            .env("CARGO_TARGET_DIR", target)
            .args(args)
            .output()
            .expect("cargo runs")
    }

    /// Builds `bin` of the pristine copy of `package` and returns its path.
    fn binary(&self, package: &str, bin: &str) -> PathBuf {
        let (package, bin) = (format!("{PREFIX}{package}"), format!("{PREFIX}{bin}"));
        let out = self.cargo(&["build", "--quiet", "-p", &package, "--bin", &bin]);
        assert!(
            out.status.success(),
            "cargo build -p {package} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exe = std::env::current_exe().expect("test binary path");
        let path = exe.ancestors().nth(3).unwrap().join("debug").join(&bin);
        assert!(path.exists(), "{} was not built", path.display());
        path
    }
}

/// A starter's manifest for the temporary workspace: package, binaries and the
/// stages example renamed with [`PREFIX`], relative dependency paths anchored at
/// the real starter folder.
fn pristine_manifest(text: &str, real_dir: &Path, has_stages: bool) -> String {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_string();
        }
        let mut line = line.to_string();
        if (section == "[package]" || section == "[[bin]]") && trimmed.starts_with("name = \"") {
            line = line.replacen("name = \"", &format!("name = \"{PREFIX}"), 1);
        }
        if line.contains("path = \"../") {
            line = line.replace(
                "path = \"../",
                &format!("path = \"{}/../", real_dir.display()),
            );
        }
        out.push(line);
        if section == "[package]" && trimmed.starts_with("name = ") && has_stages {
            out.push("autoexamples = false".into());
        }
    }
    if has_stages {
        out.push(format!(
            "\n[[example]]\nname = \"{PREFIX}stages\"\npath = \"examples/stages.rs\""
        ));
    }
    out.join("\n") + "\n"
}

#[test]
fn every_starter_fails_level_one_saying_why() {
    let workspace = common::workspace();
    let exercises = load_exercises(&workspace.join("exercises")).expect("grade.toml files parse");
    // Without git or outside a clone, nothing says what the starters were;
    // inside one, a starter that cannot be read is a failure.
    if let Err(why) = git_checkout(&workspace) {
        eprintln!("skipped: the committed starters cannot be read ({why})");
        return;
    }
    let pristine = Pristine::new(&workspace, &exercises).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for ex in &exercises {
        let cfg = &ex.config;
        let level = &cfg.levels[0];
        if let Some(stage) = &level.stage {
            // Raft's first levels are stages of the core's own scenarios, run by
            // the starter's `stages` example.
            let stage = stage.as_str().unwrap_or_default();
            let package = format!("{PREFIX}{}", cfg.starter_package);
            let example = format!("{PREFIX}stages");
            let out = pristine.cargo(&[
                "run",
                "--quiet",
                "-p",
                &package,
                "--example",
                &example,
                "--",
                stage,
                "3",
            ]);
            let text = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}: stage {stage}\n{text}",
                cfg.exercise
            );
            assert!(
                text.contains("expected one leader") && text.contains("tick()"),
                "{}: the failure should say what is missing\n{text}",
                cfg.exercise
            );
            checked += 1;
            continue;
        }
        let bin = pristine.binary(&cfg.starter_package, &cfg.starter_bin);
        let store = common::scratch(&format!("starter-{}", cfg.exercise));
        let workload = level.workload.as_deref().unwrap_or(&cfg.workload);
        let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
            .args(["test", "--sim", "-w", workload, "--bin"])
            .arg(&bin)
            .args(&level.args)
            .args(["--seed", "1", "--store"])
            .arg(&*store)
            .output()
            .expect("maelstrom runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let code = out.status.code();
        assert!(
            code == Some(1) || code == Some(255),
            "{}: the committed starter should fail level {}, got {code:?}\n{text}",
            cfg.exercise,
            level.name
        );
        assert!(
            text.contains("not-supported") || text.contains("does not handle"),
            "{}: the failure should say the starter does not support the request\n{text}",
            cfg.exercise
        );
        checked += 1;
    }
    assert!(
        checked >= 6,
        "only {checked} exercises with a runnable first level"
    );
}

#[test]
fn pristine_manifests_rename_outputs_and_anchor_paths() {
    let text = "[package]\nname = \"raft-kv-starter\"\nedition.workspace = true\n\n\
                [lib]\nname = \"raft_kv_starter\"\npath = \"src/lib.rs\"\n\n\
                [[bin]]\nname = \"raft-kv\"\npath = \"src/main.rs\"\n\n\
                [dependencies]\nraft-kv-reference = { path = \"../reference\", default-features = false }\n";
    let out = pristine_manifest(text, Path::new("/w/exercises/07/starter"), true);
    assert!(
        out.contains("name = \"pristine-raft-kv-starter\"\nautoexamples = false"),
        "{out}"
    );
    // The library keeps its name: the example imports it.
    assert!(out.contains("name = \"raft_kv_starter\""), "{out}");
    assert!(out.contains("name = \"pristine-raft-kv\""), "{out}");
    assert!(
        out.contains("path = \"/w/exercises/07/starter/../reference\""),
        "{out}"
    );
    assert!(
        out.contains("[[example]]\nname = \"pristine-stages\""),
        "{out}"
    );
    let plain = pristine_manifest(
        "[package]\nname = \"echo-starter\"\n",
        Path::new("/x"),
        false,
    );
    assert_eq!(plain, "[package]\nname = \"pristine-echo-starter\"\n");
}
