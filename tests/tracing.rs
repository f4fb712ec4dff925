//! The runtime's tracing, seen by a capturing layer: the `graphai.run` and
//! `graphai.node` spans, their fields and their nesting (also for branches
//! that run at the same time, and for runs on several threads at once), and
//! the events for router choices, merge conflicts, retries, branch pipeline
//! failures and the end of a run.
//!
//! The fields are the ones `graphai::tracing_fields` documents.

#[path = "tracing/capture.rs"]
mod capture;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use graphai::tracing_fields::{NODE_SPAN, RUN_SPAN};
use graphai::{Backoff, Branch, Graph, Policy, Value, json, node, router};

use capture::{SeenEvent, capture, fields, steady};

mod fan {
    use super::*;

    pub static RIGHT_FAILED_ONCE: AtomicBool = AtomicBool::new(false);

    #[node(start)]
    pub async fn fan_open(topic: String) -> Value {
        json!({ "topic": topic })
    }

    /// Sends the run to both branches at once.
    #[router]
    pub async fn fan_route() -> Value {
        json!({ "choices": ["fan_left", "fan_right"] })
    }

    #[node]
    pub async fn fan_left() -> Value {
        tracing::info!(side = "left", "inside a node");
        tokio::time::sleep(Duration::from_millis(20)).await;
        json!({ "verdict": "left", "left": true })
    }

    /// Fails its first attempt; its retry writes a `verdict` that disagrees with `fan_left`.
    #[node]
    pub async fn fan_right() -> graphai::Result<Value> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if !RIGHT_FAILED_ONCE.swap(true, Ordering::SeqCst) {
            return Err("the first try fails".into());
        }
        Ok(json!({ "verdict": "right", "right": true }))
    }

    #[node(end)]
    pub async fn fan_close(verdict: String) -> Value {
        json!({ "closed": verdict })
    }

    #[node]
    pub async fn fan_broken() -> graphai::Result<Value> {
        Err("the side job broke".into())
    }
}

#[tokio::test]
async fn a_fan_out_run_nests_every_node_attempt_in_its_run_span() {
    use fan::*;
    let capture = capture();
    let graph = Graph::new()
        .add_node(fan_open)
        .add_node(fan_route)
        .add_node(fan_left)
        .add_node(fan_right)
        .add_node(fan_close)
        .add_node(fan_broken)
        .add_router([fan_open], fan_route, [fan_left, fan_right])
        .add_join([fan_left, fan_right], fan_close)
        .add_branch(fan_open, Branch::to(fan_broken).detached())
        .policy(fan_right, Policy::new().retries(1).backoff(Backoff::none()))
        .compile()
        .expect("compiles");
    let out = graph
        .run(json!({ "topic": "spans" }))
        .detailed()
        .await
        .expect("runs");
    assert_eq!(out.state["closed"], "right", "the later branch wins");
    assert_eq!(out.branch_errors.len(), 1);

    let run_id = out.run_id.to_string();
    let trace = capture.trace(|run, _| run.fields["run"] == run_id);
    assert!(trace.run.target.starts_with("graphai"), "{:?}", trace.run);
    assert_eq!(trace.run.parent, None, "nothing encloses the run");
    let steps = out.steps.to_string();
    assert_eq!(
        out.steps, 6,
        "open, route, left, right (once), close, broken"
    );
    assert_eq!(
        steady(&trace.run),
        fields(&[("run", &run_id), ("outcome", "ok"), ("steps", &steps)]),
        "no `thread` yet, no error"
    );

    // Every node attempt is a child of the run span, also the two branches
    // that ran at the same time and the detached branch pipeline.
    let mut names: Vec<&str> = trace
        .nodes
        .iter()
        .map(|s| s.fields["node"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "fan_broken",
            "fan_close",
            "fan_left",
            "fan_open",
            "fan_right",
            "fan_right",
            "fan_route"
        ]
    );
    for (node, step) in [
        ("fan_open", "0"),
        ("fan_route", "1"),
        ("fan_left", "2"),
        ("fan_close", "3"),
    ] {
        let span = trace.only(node);
        assert!(span.target.starts_with("graphai"), "{span:?}");
        assert_eq!(
            steady(span),
            fields(&[
                ("node", node),
                ("step", step),
                ("attempt", "1"),
                ("outcome", "ok")
            ]),
        );
    }
    let broken = trace.only("fan_broken");
    assert_eq!(
        steady(broken),
        fields(&[
            ("node", "fan_broken"),
            ("step", "0"),
            ("attempt", "1"),
            ("outcome", "error"),
            ("error", "node `fan_broken` failed"),
            ("otel.status_code", "ERROR"),
        ])
    );

    // The retried node: two attempts, the first failed.
    let right = trace.attempts("fan_right");
    assert_eq!(right.len(), 2, "{right:?}");
    assert_eq!(right[0].fields["outcome"], "error");
    assert_eq!(right[0].fields["error"], "node `fan_right` failed");
    assert_eq!(right[0].fields["step"], "2");
    assert_eq!(right[1].fields["attempt"], "2");
    assert_eq!(right[1].fields["outcome"], "ok");
    assert!(!right[1].fields.contains_key("error"), "{:?}", right[1]);

    // The retry is said inside the attempt that failed.
    let retries: Vec<&SeenEvent> = trace
        .node_events
        .iter()
        .filter(|e| e.message() == "node attempt failed; retrying")
        .collect();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0].span, Some(right[0].serial));
    assert_eq!(retries[0].level, tracing::Level::WARN);
    assert_eq!(
        retries[0].fields,
        fields(&[
            ("message", "node attempt failed; retrying"),
            ("node", "fan_right"),
            ("attempt", "1"),
            ("delay_ms", "0"),
            ("error", "node `fan_right` failed"),
        ])
    );

    // A node's own events are inside its attempt's span.
    let inside: Vec<&SeenEvent> = trace
        .node_events
        .iter()
        .filter(|e| e.message() == "inside a node")
        .collect();
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].span, Some(trace.only("fan_left").serial));

    // The events inside the run span.
    let chose = trace.events("router chose");
    assert_eq!(chose.len(), 1, "{:?}", trace.events);
    assert_eq!(chose[0].level, tracing::Level::DEBUG);
    assert!(chose[0].target.starts_with("graphai"));
    assert_eq!(
        chose[0].fields,
        fields(&[
            ("message", "router chose"),
            ("router", "fan_route"),
            ("choices", "fan_left, fan_right"),
        ])
    );

    let conflicts: Vec<&SeenEvent> = trace
        .events
        .iter()
        .filter(|e| e.fields.get("key").map(String::as_str) == Some("verdict"))
        .collect();
    assert_eq!(conflicts.len(), 1, "{:?}", trace.events);
    assert_eq!(conflicts[0].level, tracing::Level::WARN);
    assert_eq!(conflicts[0].fields["first"], "fan_left");
    assert_eq!(conflicts[0].fields["second"], "fan_right");
    assert!(
        conflicts[0].message().contains("`verdict`"),
        "{conflicts:?}"
    );

    let failed = trace.events("branch pipeline failed");
    assert_eq!(failed.len(), 1, "{:?}", trace.events);
    assert_eq!(failed[0].level, tracing::Level::WARN);
    assert_eq!(
        failed[0].fields,
        fields(&[
            ("message", "branch pipeline failed"),
            ("source", "fan_open"),
            ("destination", "fan_broken"),
            ("error", "node `fan_broken` failed"),
        ])
    );

    let finished = trace.events("run finished");
    assert_eq!(finished.len(), 1, "{:?}", trace.events);
    assert_eq!(finished[0].level, tracing::Level::INFO);
    let mut end = finished[0].fields.clone();
    assert_eq!(
        end.remove("duration_us"),
        trace.run.fields.get("duration_us").cloned()
    );
    assert_eq!(
        end,
        fields(&[
            ("message", "run finished"),
            ("outcome", "ok"),
            ("steps", &steps)
        ])
    );
}

mod failing {
    use super::*;

    #[node(start)]
    pub async fn fail_ask(question: String) -> Value {
        json!({ "question": question })
    }

    #[router]
    pub async fn fail_pick(question: String) -> Value {
        json!({ "choice": if question.is_empty() { "fail_fine" } else { "fail_here" } })
    }

    #[node(end)]
    pub async fn fail_fine() -> Value {
        json!({})
    }

    #[node(end)]
    pub async fn fail_here() -> graphai::Result<Value> {
        Err("no answer today".into())
    }
}

#[tokio::test]
async fn a_failed_run_marks_its_span_the_failing_node_and_the_end_event() {
    use failing::*;
    let capture = capture();
    let graph = Graph::new()
        .add_node(fail_ask)
        .add_node(fail_pick)
        .add_node(fail_fine)
        .add_node(fail_here)
        .add_router([fail_ask], fail_pick, [fail_fine, fail_here])
        .compile()
        .expect("compiles");
    let err = graph
        .execute(json!({ "question": "why?" }))
        .await
        .expect_err("fail_here fails");
    let message = err.to_string();
    assert_eq!(message, "node `fail_here` failed");

    let trace = capture.trace(|run, spans| {
        spans.iter().any(|s| {
            s.parent == Some(run.serial)
                && s.fields.get("node").map(String::as_str) == Some("fail_here")
        })
    });
    assert_eq!(
        steady(&trace.run),
        fields(&[
            ("run", &trace.run.fields["run"]),
            ("outcome", "error"),
            ("steps", "3"),
            ("error", &message),
            ("otel.status_code", "ERROR"),
        ])
    );
    assert_eq!(
        steady(trace.only("fail_here")),
        fields(&[
            ("node", "fail_here"),
            ("step", "2"),
            ("attempt", "1"),
            ("outcome", "error"),
            ("error", &message),
            ("otel.status_code", "ERROR"),
        ])
    );

    let chose = trace.events("router chose");
    assert_eq!(chose.len(), 1, "{:?}", trace.events);
    assert_eq!(
        chose[0].fields,
        fields(&[
            ("message", "router chose"),
            ("router", "fail_pick"),
            ("choice", "fail_here"),
        ])
    );

    let finished = trace.events("run finished");
    assert_eq!(finished.len(), 1, "{:?}", trace.events);
    let mut end = finished[0].fields.clone();
    end.remove("duration_us").expect("a duration");
    assert_eq!(
        end,
        fields(&[
            ("message", "run finished"),
            ("outcome", "error"),
            ("steps", "3"),
            ("error", &message),
        ])
    );
}

mod many {
    use super::*;

    #[node(start)]
    pub async fn many_begin(x: u64) -> Value {
        json!({ "x": x })
    }

    #[node(end)]
    pub async fn many_wait(x: u64) -> Value {
        tokio::time::sleep(Duration::from_millis(5 * (4 - x))).await;
        tracing::info!(x, "many waited");
        json!({ "x": x })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_on_several_threads_keep_their_nodes_apart() {
    use many::*;
    let capture = capture();
    let graph = Graph::new()
        .add_node(many_begin)
        .add_node(many_wait)
        .add_edge(many_begin, many_wait)
        .compile()
        .expect("compiles");
    let results = graph
        .execute_many((0..4u64).map(|x| json!({ "x": x })), 4)
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let seen = capture.seen.lock().expect("seen");
    let waited: Vec<&SeenEvent> = seen
        .events
        .iter()
        .filter(|e| e.message() == "many waited")
        .collect();
    assert_eq!(waited.len(), 4);
    let mut runs = Vec::new();
    for event in waited {
        let node = seen
            .spans
            .iter()
            .find(|s| Some(s.serial) == event.span)
            .expect("the event is inside a span");
        assert_eq!(node.name, NODE_SPAN);
        assert_eq!(node.fields["node"], "many_wait");
        let run = seen
            .spans
            .iter()
            .find(|s| Some(s.serial) == node.parent)
            .expect("the node span has a parent");
        assert_eq!(run.name, RUN_SPAN);
        let nodes: Vec<&str> = seen
            .spans
            .iter()
            .filter(|s| s.parent == Some(run.serial))
            .map(|s| s.fields["node"].as_str())
            .collect();
        assert_eq!(
            nodes,
            ["many_begin", "many_wait"],
            "each run has its own two"
        );
        runs.push(run.serial);
    }
    runs.sort_unstable();
    runs.dedup();
    assert_eq!(runs.len(), 4, "four runs, four run spans");
}

mod durable {
    use super::*;

    #[node(start)]
    pub async fn t_first() -> Value {
        json!({ "first": true })
    }

    #[node(end)]
    pub async fn t_second() -> Value {
        json!({ "second": true })
    }
}

#[tokio::test]
async fn a_durable_run_names_its_thread_in_each_run_span() {
    use durable::*;
    let capture = capture();
    let store = std::sync::Arc::new(graphai::checkpoint::MemoryStore::new());
    let graph = Graph::new()
        .checkpointer(store)
        .add_node(t_first)
        .add_node(t_second)
        .add_edge(t_first, t_second)
        .interrupt_before(t_second)
        .compile()
        .expect("compiles");
    let stopped = graph
        .run(json!({}))
        .thread("traced-thread")
        .outcome()
        .await
        .expect("runs");
    assert!(stopped.is_interrupted(), "{stopped:?}");
    graph
        .resume("traced-thread")
        .execute()
        .await
        .expect("resumes");

    let of_thread = |outcome: &'static str| {
        move |run: &capture::SeenSpan, _: &[capture::SeenSpan]| {
            run.fields.get("thread").map(String::as_str) == Some("traced-thread")
                && run.fields.get("outcome").map(String::as_str) == Some(outcome)
        }
    };
    let first = capture.trace(of_thread("interrupted"));
    assert_eq!(first.run.fields["steps"], "1", "{:?}", first.run);
    assert_eq!(first.only("t_first").fields["outcome"], "ok");
    assert!(first.attempts("t_second").is_empty(), "stopped before it");
    let second = capture.trace(of_thread("ok"));
    assert_eq!(second.only("t_second").fields["outcome"], "ok");
    assert!(second.attempts("t_first").is_empty(), "not run again");
    assert_ne!(first.run.fields["run"], second.run.fields["run"]);
}
