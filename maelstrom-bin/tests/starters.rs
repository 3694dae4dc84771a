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

use std::path::Path;
use std::process::Command;

use common::{git_checkout, pristine_manifest, Pristine, PREFIX};
use maelstrom::cli::grade::config::load_exercises;

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
