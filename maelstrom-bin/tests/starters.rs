//! Every exercise's starter fails its first level, with a message that says why:
//! a starter node answers error 10 (not supported), and a learner must hear that
//! rather than see a bare "invalid"; the Raft starter's core never elects a leader,
//! and stage 1 says so.

mod common;

use std::process::Command;

use maelstrom::cli::grade::config::load_exercises;

#[test]
fn every_starter_fails_level_one_saying_why() {
    let exercises =
        load_exercises(&common::workspace().join("exercises")).expect("grade.toml files parse");
    let mut checked = 0;
    for ex in &exercises {
        let cfg = &ex.config;
        let level = &cfg.levels[0];
        if let Some(stage) = &level.stage {
            // Raft's first levels are stages of the core's own scenarios, run by
            // the starter's `stages` example.
            let stage = stage.as_str().unwrap_or_default();
            let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(common::workspace())
                .args([
                    "run",
                    "--quiet",
                    "-p",
                    &cfg.starter_package,
                    "--example",
                    "stages",
                    "--",
                    stage,
                    "3",
                ])
                .output()
                .expect("cargo runs");
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
        let bin = common::workspace_binary(&cfg.starter_package, &cfg.starter_bin);
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
            "{}: the starter should fail level {}, got {code:?}\n{text}",
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
