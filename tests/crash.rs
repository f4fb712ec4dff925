//! Crash tests: a process runs a thread and aborts (`std::process::abort`) at
//! its N-th node call; a second process resumes the thread from the store.
//! For every N, the final state equals a run that never crashed, and a ledger
//! each node appends to shows no checkpointed step ran twice: only the nodes
//! in flight at the crash ran again.
//!
//! The processes are this test binary again, running the ignored `child`
//! test with the `CRASH_*` environment variables set. With SQLite each N gets
//! its own file; with PostgreSQL (`GRAPHAI_TEST_POSTGRES_URL`) the two
//! processes are two workers sharing one database.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use graphai::checkpoint::CheckpointStore;
use graphai::{Callback, CompiledGraph, Graph, Interrupt, RunOutcome, Value, json, node, router};

static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Every node's first act: write its name to the ledger, then abort if this
/// is the call the test crashes at.
fn enter(node: &str) {
    let Ok(ledger) = std::env::var("CRASH_LEDGER") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&ledger)
        .expect("the ledger opens");
    writeln!(file, "{node}").expect("the ledger takes a line");
    file.sync_all().expect("the ledger is on disk");
    let call = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if std::env::var("CRASH_AT").ok().and_then(|n| n.parse().ok()) == Some(call) {
        std::process::abort();
    }
}

#[node(start)]
async fn begin(n: i64) -> Value {
    enter("begin");
    json!({ "n": n })
}

#[node]
async fn left(n: i64) -> Value {
    enter("left");
    tokio::task::yield_now().await;
    json!({ "left": n + 1 })
}

#[node]
async fn right(n: i64) -> Value {
    enter("right");
    json!({ "right": n + 2 })
}

#[node]
async fn merge(left: i64, right: i64) -> Value {
    enter("merge");
    json!({ "sum": left + right, "rounds": 0 })
}

/// A branch edge off `merge`: a side pipeline the main path waits for.
#[node]
async fn audit(sum: i64) -> Value {
    enter("audit");
    json!({ "audited": sum })
}

#[node(stream)]
async fn speak(sum: i64, callback: Callback) -> graphai::Result<Value> {
    enter("speak");
    for word in ["the", "sum", "is", &sum.to_string()] {
        callback.acall(word).await?;
    }
    Ok(json!({ "spoken": true }))
}

#[router]
async fn again(rounds: i64) -> Value {
    enter("again");
    json!({ "choice": if rounds < 3 { "work" } else { "confirm" } })
}

#[node]
async fn work(rounds: i64, sum: i64) -> Value {
    enter("work");
    json!({ "rounds": rounds + 1, "sum": sum * 2 })
}

#[node]
async fn confirm(sum: i64, human: Interrupt) -> Value {
    enter("confirm");
    let answer = human
        .ask(json!({ "question": format!("keep {sum}?") }))
        .await;
    json!({ "kept": answer == "yes" })
}

#[node(end)]
async fn finish(sum: i64, kept: bool) -> Value {
    enter("finish");
    json!({ "result": if kept { sum } else { 0 } })
}

fn graph(store: Arc<dyn CheckpointStore>) -> CompiledGraph {
    Graph::new()
        .max_steps(50)
        .checkpointer(store)
        .add_node(begin)
        .add_node(left)
        .add_node(right)
        .add_node(merge)
        .add_node(audit)
        .add_node(speak)
        .add_node(again)
        .add_node(work)
        .add_node(confirm)
        .add_node(finish)
        .add_parallel(begin, [left, right])
        .add_join([left, right], merge)
        .add_branch(merge, audit)
        .add_edge(merge, speak)
        .add_edge(speak, again)
        .add_router([work], again, [work, confirm])
        .add_edge(confirm, finish)
        .compile()
        .expect("compiles")
}

async fn open(target: &str) -> Arc<dyn CheckpointStore> {
    if target.starts_with("postgres") {
        #[cfg(feature = "postgres")]
        return Arc::new(
            graphai::checkpoint::PostgresStore::connect(target)
                .await
                .expect("the database opens"),
        );
        #[cfg(not(feature = "postgres"))]
        panic!("PostgreSQL crash runs need the `postgres` feature");
    }
    Arc::new(graphai::checkpoint::SqliteStore::open(target).expect("the file opens"))
}

/// Drives thread `thread` to its end: a new run (`start`) or a resume, then
/// a resume with the answer whenever it stops to ask. Prints the result.
async fn drive(graph: &CompiledGraph, thread: &str, start: bool) -> Value {
    let mut outcome = if start {
        graph.run(json!({ "n": 1 })).thread(thread).outcome().await
    } else {
        graph.resume(thread).outcome().await
    }
    .expect("runs");
    loop {
        match outcome {
            RunOutcome::Finished(output) => return Value::Object(output.state),
            RunOutcome::Interrupted { .. } => {
                outcome = graph
                    .resume(thread)
                    .with_answer("yes")
                    .outcome()
                    .await
                    .expect("resumes");
            }
            _ => unreachable!("a run finishes or waits"),
        }
    }
}

/// The other process: `CRASH_STORE`, `CRASH_THREAD`, `CRASH_MODE` (start or resume).
#[tokio::test]
#[ignore = "run by the crash tests in a process of its own"]
async fn child() {
    let (Ok(target), Ok(thread), Ok(mode)) = (
        std::env::var("CRASH_STORE"),
        std::env::var("CRASH_THREAD"),
        std::env::var("CRASH_MODE"),
    ) else {
        return;
    };
    let graph = graph(open(&target).await);
    let state = drive(&graph, &thread, mode == "start").await;
    println!("RESULT {state}");
}

/// Runs the child; whether it ended normally.
fn spawn(
    target: &str,
    thread: &str,
    mode: &str,
    ledger: &std::path::Path,
    crash_at: Option<usize>,
) -> bool {
    let mut command = Command::new(std::env::current_exe().expect("this binary"));
    command
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRASH_STORE", target)
        .env("CRASH_THREAD", thread)
        .env("CRASH_MODE", mode)
        .env("CRASH_LEDGER", ledger)
        .env_remove("CRASH_AT");
    if let Some(n) = crash_at {
        command.env("CRASH_AT", n.to_string());
    }
    let output = command.output().expect("the child runs");
    output.status.success()
}

fn counts(ledger: &std::path::Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(ledger).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        *counts.entry(line.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// The node calls the store holds as completed steps.
async fn completed(store: &dyn CheckpointStore, thread: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let Some(chain) = store.chain(thread, None).await.expect("reads") else {
        return counts;
    };
    for checkpoint in chain.checkpoints {
        let step = checkpoint.metadata.get("kind").and_then(Value::as_str) == Some("step");
        if let (true, Some(node)) = (step, checkpoint.node) {
            *counts.entry(node).or_insert(0) += 1;
        }
    }
    counts
}

async fn crash_at_every_step(target_for: impl Fn(usize) -> String, label: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let suffix = format!("{}-{}", std::process::id(), label);
    // The run that never crashes.
    let reference_ledger = dir.path().join("reference.ledger");
    let reference_target = target_for(0);
    let thread = format!("reference-{suffix}");
    assert!(spawn(
        &reference_target,
        &thread,
        "start",
        &reference_ledger,
        None
    ));
    let reference = counts(&reference_ledger);
    let expected = drive(&graph(open(&reference_target).await), &thread, false).await;
    let calls: usize = reference.values().sum();
    assert!(calls >= 12, "{reference:?}");
    for n in 1..=calls {
        let target = target_for(n);
        let thread = format!("crash-{n}-{suffix}");
        let ledger = dir.path().join(format!("{n}.ledger"));
        let clean = spawn(&target, &thread, "start", &ledger, Some(n));
        assert!(!clean, "the first process aborts at call {n}");
        let first = counts(&ledger);
        let store = open(&target).await;
        let done_at_crash = completed(&*store, &thread).await;
        let resumed =
            if done_at_crash.is_empty() && store.latest(&thread).await.expect("reads").is_none() {
                // It crashed before the first checkpoint: the thread starts over.
                spawn(&target, &thread, "start", &ledger, None)
            } else {
                spawn(&target, &thread, "resume", &ledger, None)
            };
        assert!(
            resumed,
            "the second process finishes the thread (crash at {n})"
        );
        let state = drive(&graph(store.clone()), &thread, false).await;
        assert_eq!(state, expected, "crash at call {n}");
        let total = counts(&ledger);
        let mut extra = 0;
        for (node, &runs) in &total {
            let once = reference.get(node).copied().unwrap_or(0);
            let in_flight = first.get(node).copied().unwrap_or(0)
                - done_at_crash
                    .get(node)
                    .copied()
                    .unwrap_or(0)
                    .min(first.get(node).copied().unwrap_or(0));
            assert!(
                runs >= once && runs - once <= in_flight,
                "crash at {n}: `{node}` ran {runs} times, {once} without a crash, {in_flight} in flight (ledger {total:?}, before the crash {first:?}, checkpointed {done_at_crash:?})"
            );
            extra += runs - once;
        }
        assert!(
            extra <= 2,
            "crash at {n}: {extra} runs again, more than were in flight"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_step_resumes_from_sqlite_to_the_same_result() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().to_owned();
    crash_at_every_step(
        move |n| path.join(format!("run-{n}.db")).display().to_string(),
        "sqlite",
    )
    .await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_crashes_is_finished_by_another_sharing_postgres() {
    let Some(url) = graphai::checkpoint::testing::postgres_url_for_tests("crash") else {
        return;
    };
    crash_at_every_step(move |_| url.clone(), "postgres").await;
}
