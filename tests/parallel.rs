//! Parallel fan-out, joins and deterministic merging (GraphAI's parallel tests,
//! rewritten), plus the cases GraphAI leaves to chance.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use graphai::{Graph, GraphError, State, Value, json, node, router};

#[node(start)]
async fn start() -> Value {
    json!({})
}

#[node]
async fn branch_a() -> Value {
    json!({ "a": 1 })
}

#[node]
async fn branch_b() -> Value {
    json!({ "b": 2 })
}

#[node]
async fn mid() -> Value {
    json!({ "mid": true })
}

#[node(end)]
async fn end() -> Value {
    json!({})
}

#[tokio::test]
async fn two_successors_run_and_their_results_merge() {
    let graph = Graph::new()
        .add_node(start)
        .add_node(branch_a)
        .add_node(branch_b)
        .add_node(end)
        .add_edge(start, branch_a)
        .add_edge(start, branch_b)
        .add_edge(branch_a, end)
        .add_edge(branch_b, end)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(result["a"], 1);
    assert_eq!(result["b"], 2);
}

#[tokio::test]
async fn a_fork_after_a_linear_step_merges_everything() {
    let graph = Graph::new()
        .add_node(start)
        .add_node(mid)
        .add_node(branch_a)
        .add_node(branch_b)
        .add_node(end)
        .add_edge(start, mid)
        .add_parallel(mid, [branch_a, branch_b])
        .add_edge(branch_a, end)
        .add_edge(branch_b, end)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(
        Value::Object(result),
        json!({ "mid": true, "a": 1, "b": 2 })
    );
}

mod history {
    use super::*;

    fn push(state: &State, entry: &str) {
        state.update_with(|map| {
            let list = map.entry("history").or_insert_with(|| json!([]));
            if let Value::Array(items) = list {
                items.push(json!(entry));
            }
        });
    }

    #[node(start)]
    pub async fn start(state: State) -> Value {
        state.insert("history", json!(["start"]));
        json!({})
    }

    #[node]
    pub async fn branch_a(state: State) -> Value {
        push(&state, "branch_a");
        json!({})
    }

    #[node]
    pub async fn branch_b(state: State) -> Value {
        push(&state, "branch_b");
        json!({})
    }

    #[node(end)]
    pub async fn end(state: State) -> Value {
        push(&state, "end");
        json!({})
    }

    pub fn ends(graph: &graphai::CompiledGraph) -> usize {
        let state = graph.get_state();
        state["history"]
            .as_array()
            .map(|items| items.iter().filter(|i| *i == "end").count())
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn a_fork_without_a_join_runs_each_branch_to_its_own_end() {
    use history::*;
    let graph = Graph::new()
        .add_node(start)
        .add_node(branch_a)
        .add_node(branch_b)
        .add_node(end)
        .add_edge(start, branch_a)
        .add_edge(start, branch_b)
        .add_edge(branch_a, end)
        .add_edge(branch_b, end)
        .compile()
        .expect("compiles");
    graph.execute(json!({})).await.expect("runs");
    assert_eq!(ends(&graph), 2);
}

#[tokio::test]
async fn a_join_after_a_fork_runs_its_destination_once() {
    use history::*;
    let graph = Graph::new()
        .add_node(start)
        .add_node(branch_a)
        .add_node(branch_b)
        .add_node(end)
        .add_edge(start, branch_a)
        .add_edge(start, branch_b)
        .add_join([branch_a, branch_b], end)
        .compile()
        .expect("join edges make `end` reachable");
    graph.execute(json!({})).await.expect("runs");
    assert_eq!(ends(&graph), 1);
    let history = graph.get_state()["history"].clone();
    for entry in ["start", "branch_a", "branch_b", "end"] {
        assert!(
            history
                .as_array()
                .is_some_and(|h| h.contains(&json!(entry))),
            "{history}"
        );
    }
}

mod nested {
    use super::*;

    #[node(start)]
    pub async fn root() -> Value {
        json!({ "root": true })
    }

    #[node]
    pub async fn left() -> Value {
        json!({ "left": true })
    }

    #[node]
    pub async fn right() -> Value {
        json!({ "right": true })
    }

    #[node]
    pub async fn left_1() -> Value {
        json!({ "left_1": true })
    }

    #[node]
    pub async fn left_2(left: bool, root: bool) -> Value {
        json!({ "left_2": left && root })
    }

    #[node]
    pub async fn left_join(left_1: bool, left_2: bool) -> Value {
        json!({ "left_done": left_1 && left_2 })
    }

    #[node]
    pub async fn right_next(right: bool) -> Value {
        json!({ "right_done": right })
    }

    #[node(end)]
    pub async fn done(left_done: bool, right_done: bool) -> Value {
        json!({ "all": left_done && right_done })
    }
}

#[tokio::test]
async fn forks_nest_and_inner_joins_complete_before_the_outer_join() {
    use nested::*;
    let graph = Graph::new()
        .add_node(root)
        .add_node(left)
        .add_node(right)
        .add_node(left_1)
        .add_node(left_2)
        .add_node(left_join)
        .add_node(right_next)
        .add_node(done)
        .add_parallel(root, [left, right])
        .add_parallel(left, [left_1, left_2])
        .add_join([left_1, left_2], left_join)
        .add_edge(right, right_next)
        .add_join([left_join, right_next], done)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(result["all"], true);
    assert_eq!(result["left_2"], true);
}

mod ordering {
    use super::*;

    /// Sleeps `slow_ms`, then writes `winner`.
    #[node]
    pub async fn slow(slow_ms: u64) -> Value {
        tokio::time::sleep(Duration::from_millis(slow_ms)).await;
        json!({ "winner": "slow", "slow_ran": true })
    }

    #[node]
    pub async fn fast() -> Value {
        json!({ "winner": "fast", "fast_ran": true })
    }

    #[node(end)]
    pub async fn join_here(winner: String) -> Value {
        json!({ "seen": winner })
    }
}

#[tokio::test]
async fn branches_merge_in_declaration_order_not_completion_order() {
    use ordering::*;
    // `fast` finishes first, but it is declared last, so it wins; and the
    // other way round.
    for (first, second, expected) in [("slow", "fast", "fast"), ("fast", "slow", "slow")] {
        let graph = Graph::new()
            .add_node(start)
            .add_node(slow)
            .add_node(fast)
            .add_node(join_here)
            .add_edge("start", first)
            .add_edge("start", second)
            .add_join([slow, fast], join_here)
            .compile()
            .expect("compiles");
        let result = graph.execute(json!({ "slow_ms": 30 })).await.expect("runs");
        assert_eq!(result["winner"], expected, "edges {first}, {second}");
        assert_eq!(result["seen"], expected);
        assert_eq!(result["slow_ran"], true);
        assert_eq!(result["fast_ran"], true);
    }
}

mod routers {
    use super::*;

    pub static ROUTER_CALLS: AtomicUsize = AtomicUsize::new(0);
    pub static TOOL_A_CALLS: AtomicUsize = AtomicUsize::new(0);

    #[router]
    pub async fn parallel_router(round: Option<u64>) -> Value {
        ROUTER_CALLS.fetch_add(1, Ordering::SeqCst);
        match round {
            Some(_) => json!({ "choice": "finish" }),
            None => json!({ "choices": ["tool_a", "tool_b"] }),
        }
    }

    #[node]
    pub async fn tool_a() -> Value {
        let n = TOOL_A_CALLS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(10 * (3 - n as u64 % 3))).await;
        json!({ "a_result": 1, "round": 1 })
    }

    #[node]
    pub async fn tool_b() -> Value {
        json!({ "b_result": 2, "round": 1 })
    }

    #[node]
    pub async fn tool_c() -> Value {
        json!({ "c_result": 3 })
    }

    #[node(end)]
    pub async fn finish() -> Value {
        json!({ "final": "done" })
    }
}

#[tokio::test]
async fn a_router_with_choices_fans_out_and_a_join_brings_it_back() {
    use routers::*;
    let graph = Graph::new()
        .add_node(start)
        .add_node(parallel_router)
        .add_node(tool_a)
        .add_node(tool_b)
        .add_node(tool_c)
        .add_node(finish)
        .add_edge(start, parallel_router)
        .add_router(
            Vec::<&str>::new(),
            parallel_router,
            [tool_a, tool_b, tool_c, finish],
        )
        .add_join([tool_a, tool_b, tool_c], parallel_router)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(ROUTER_CALLS.load(Ordering::SeqCst), 2);
    // GraphAI runs a node listed twice in `choices` twice; graphai refuses
    // such a list (`GraphError::DuplicateChoice`, tested in tests/defects.rs):
    // both runs would write the same keys, so one result would be lost.
    assert_eq!(TOOL_A_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(result["a_result"], 1);
    assert_eq!(result["b_result"], 2);
    assert!(!result.contains_key("c_result"));
    assert_eq!(result["final"], "done");
    assert!(
        !result.contains_key("choices"),
        "choices leaked: {result:?}"
    );
}

mod conflicts {
    use super::*;

    #[node]
    pub async fn says_yes() -> Value {
        json!({ "answer": "yes", "same": 1 })
    }

    #[node]
    pub async fn says_no() -> Value {
        json!({ "answer": "no", "same": 1 })
    }

    #[node(end)]
    pub async fn decide(answer: String) -> Value {
        json!({ "decided": answer })
    }
}

#[tokio::test]
async fn two_branches_writing_different_values_to_a_key_are_reported() {
    use conflicts::*;
    let logs = capture::Logs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let graph = Graph::new()
        .add_node(start)
        .add_node(says_yes)
        .add_node(says_no)
        .add_node(decide)
        .add_parallel(start, [says_yes, says_no])
        .add_join([says_yes, says_no], decide)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({})).await.expect("runs");
    assert_eq!(result["decided"], "no");
    let warnings = logs.lines();
    assert_eq!(
        warnings.len(),
        1,
        "one conflicting key, one warning: {warnings:?}"
    );
    let warning = &warnings[0];
    for needle in ["`answer`", "says_yes", "says_no", "WARN"] {
        assert!(warning.contains(needle), "{needle} not in {warning}");
    }
}

mod capture {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// Collects formatted `tracing` warnings for one test.
    #[derive(Clone, Default)]
    pub struct Logs(Arc<Mutex<Vec<u8>>>);

    impl Write for Logs {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Logs {
        pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
            let logs = self.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::WARN)
                .with_ansi(false)
                .with_writer(move || logs.clone())
                .finish()
        }

        pub fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().expect("log buffer").clone();
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }
}

mod failing {
    use super::*;

    pub static HANG_DROPPED: AtomicUsize = AtomicUsize::new(0);

    /// Says when its future is dropped.
    pub struct Dropped;

    impl Drop for Dropped {
        fn drop(&mut self) {
            HANG_DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Never finishes on its own.
    #[node]
    pub async fn hang() -> Value {
        let _dropped = Dropped;
        std::future::pending::<()>().await;
        json!({})
    }

    /// Fails at its first poll (`panics` says how).
    #[node]
    pub async fn boom(panics: bool) -> graphai::Result<Value> {
        if panics {
            panic!("boom went off");
        }
        Err("boom failed".into())
    }

    /// Never finishes (and counts nothing, unlike `hang`).
    #[node]
    pub async fn stall() -> Value {
        std::future::pending::<()>().await;
        json!({})
    }

    /// Pending at its first poll; panics when polled again.
    #[node]
    pub async fn late_boom() -> Value {
        tokio::task::yield_now().await;
        panic!("late_boom went off");
    }

    #[node(end)]
    pub async fn after(x: Option<i64>) -> Value {
        json!({ "x": x })
    }
}

#[tokio::test]
async fn a_branch_that_fails_at_once_fails_the_run_and_drops_its_pending_sibling() {
    use failing::*;
    // `hang` starts first and stays pending; `boom` fails (or panics) the
    // first time it is polled: the run ends with `boom`'s error and `hang`'s
    // future is dropped, not left waiting.
    for (panics, needle) in [(false, "boom failed"), (true, "boom went off")] {
        let graph = Graph::new()
            .add_node(start)
            .add_node(hang)
            .add_node(boom)
            .add_node(after)
            .add_parallel(start, [hang, boom])
            .add_join([hang, boom], after)
            .compile()
            .expect("compiles");
        let dropped = HANG_DROPPED.load(Ordering::SeqCst);
        let run = graph.execute(json!({ "panics": panics }));
        let error = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the run ends: the failure does not wait for `hang`")
            .expect_err("`boom` fails the run");
        let message = error_chain(&error);
        assert!(message.contains("boom"), "names the node: {message}");
        assert!(message.contains(needle), "{needle} not in {message}");
        assert_eq!(
            HANG_DROPPED.load(Ordering::SeqCst),
            dropped + 1,
            "`hang` was dropped"
        );
    }
}

#[tokio::test]
async fn a_branch_that_panics_after_it_was_pending_names_the_node() {
    use failing::*;
    // `late_boom` is pending at its first poll, so it runs beside `stall`
    // as an effect of its own; its panic later is still its own error.
    let graph = Graph::new()
        .add_node(start)
        .add_node(stall)
        .add_node(late_boom)
        .add_node(after)
        .add_parallel(start, [stall, late_boom])
        .add_join([stall, late_boom], after)
        .compile()
        .expect("compiles");
    let run = graph.execute(json!({}));
    let error = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the run ends: the panic does not wait for `stall`")
        .expect_err("`late_boom` fails the run");
    let message = error_chain(&error);
    assert!(
        message.contains("node `late_boom` panicked: late_boom went off"),
        "{message}"
    );
}

/// `error` and its sources, joined with ": ".
fn error_chain(error: &GraphError) -> String {
    let causes = std::iter::successors(std::error::Error::source(error), |e| e.source());
    causes.fold(error.to_string(), |m, cause| format!("{m}: {cause}"))
}
