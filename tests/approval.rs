//! `examples/approval.rs` for real: one process stops at the question, a
//! second one answers it from the SQLite file.

use std::process::Command;

/// The example's binary, which `cargo test` builds beside this one.
fn example() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join("approval");
    path.exists().then_some(path)
}

fn run(args: &[&str]) -> String {
    let binary = example().expect("`cargo test` builds the example");
    let output = Command::new(binary).args(args).output().expect("runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_approval_example_stops_and_a_second_invocation_resumes_it() {
    let dir = tempfile::tempdir().expect("a directory");
    let db = dir.path().join("approval.db");
    let db = db.to_str().expect("a path");
    let first = run(&["--db", db, "--thread", "t1"]);
    assert!(first.contains("[plan]"), "{first}");
    assert!(
        first.contains("thread `t1` waits at `approve`: \"run `delete_old_logs`"),
        "{first}"
    );
    let second = run(&["--db", db, "--thread", "t1", "--answer", "yes"]);
    assert!(
        !second.contains("[plan]"),
        "the plan is not made again: {second}"
    );
    assert!(
        second.contains("thread `t1` finished: \"`delete_old_logs` ran"),
        "{second}"
    );
    let refused = run(&["--db", db, "--thread", "t2", "--task", "rotate the keys"]);
    assert!(refused.contains("`rotate_keys`"), "{refused}");
    let no = run(&["--db", db, "--thread", "t2", "--answer", "no"]);
    assert!(no.contains("`rotate_keys` was not run"), "{no}");
}
