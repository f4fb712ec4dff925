//! The position of a run is a value: saved at every step, read back, and
//! resumed, it gives the run's own result.

use serde_json::{Map, Value, json};

use super::saved::SavedPosition;
use super::{Position, RunConfig, drive};
use crate::tests_support::{obj, test_node};
use crate::{Branch, CompiledGraph, Graph};

fn int(ctx: &crate::Context<'_>, key: &str) -> i64 {
    ctx.get(key).and_then(Value::as_i64).unwrap_or(0)
}

test_node!(
    s {
        start: true,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({ "n": 0, "trail": ["s"] })))
);
test_node!(
    a {
        start: false,
        end: false,
        router: false
    } | ctx
        | {
            tokio::task::yield_now().await;
            Ok(obj(json!({ "a": int(&ctx, "n") + 1 })))
        }
);
test_node!(
    b {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "b": int(&ctx, "n") + 2 })))
);
test_node!(
    c {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "c": int(&ctx, "a") + int(&ctx, "b") })))
);
test_node!(
    r {
        start: false,
        end: false,
        router: true
    } | ctx
        | Ok(obj(
            json!({ "choice": if int(&ctx, "n") < 3 { "w" } else { "e" } })
        ))
);
test_node!(
    w {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "n": int(&ctx, "n") + 1 })))
);
test_node!(
    log {
        start: false,
        end: false,
        router: false
    } | ctx
        | {
            tokio::task::yield_now().await;
            Ok(obj(json!({ "logged": int(&ctx, "n") })))
        }
);
test_node!(
    e {
        start: false,
        end: true,
        router: false
    } | ctx
        | Ok(obj(json!({ "done": int(&ctx, "n") + int(&ctx, "c") })))
);

/// A fan-out and join, a router loop, a waiting branch with a condition and
/// a detached one.
fn graph() -> CompiledGraph {
    Graph::new()
        .max_steps(50)
        .add_node(s)
        .add_node(a)
        .add_node(b)
        .add_node(c)
        .add_node(r)
        .add_node(w)
        .add_node(log)
        .add_node(e)
        .add_parallel(s, [a, b])
        .add_join([a, b], c)
        .add_router([c, w], r, [w, e])
        .add_branch(w, Branch::to(log).when(|out, _| out["n"] != json!(2)))
        .add_branch(c, Branch::to(log).detached())
        .compile()
        .expect("compiles")
}

/// Saves the position after every step.
struct Recorder<'g> {
    graph: &'g crate::tables::Inner,
    saved: Vec<SavedPosition>,
}

impl super::Journal for Recorder<'_> {
    fn step<'a>(
        &'a mut self,
        _record: super::StepRecord,
        position: &'a Position,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::GraphError>> {
        self.saved.push(position.save(self.graph));
        Box::pin(std::future::ready(Ok(())))
    }

    fn interrupt<'a>(
        &'a mut self,
        _interrupted: &'a super::Interruption,
        _position: &'a Position,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::GraphError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Runs `position` to its end, recording into `recorder`; the final state.
async fn run_to_end(
    graph: &crate::tables::Inner,
    position: Position,
    recorder: Option<&mut Recorder<'_>>,
) -> Result<Map<String, Value>, crate::GraphError> {
    let config = RunConfig::default();
    let env = super::RunEnv::new(graph, &config);
    let mut scheduler = super::Scheduler::new(&env, position);
    let journal = recorder.map(|r| r as &mut dyn super::Journal);
    match drive(&mut scheduler, journal).await? {
        super::Ended::Finished(output) => Ok(output.state),
        super::Ended::Interrupted { .. } => unreachable!("these graphs never ask"),
    }
}

async fn run_observed(graph: &CompiledGraph) -> (Map<String, Value>, Vec<SavedPosition>) {
    let inner = &*graph.inner;
    let mut recorder = Recorder {
        graph: inner,
        saved: Vec::new(),
    };
    let state = run_to_end(
        inner,
        Position::start(inner, Map::new()),
        Some(&mut recorder),
    )
    .await
    .expect("runs");
    (state, recorder.saved)
}

#[tokio::test]
async fn the_position_serializes_at_every_step_and_a_restored_run_finishes_the_same() {
    let graph = graph();
    let inner = &*graph.inner;
    let expected = graph.execute(json!({})).await.expect("runs");
    assert_eq!(expected["done"], json!(3 + 3));
    let (state, positions) = run_observed(&graph).await;
    assert_eq!(state, expected);
    // s, a, b, c, r + 3 * (w, r), log twice by condition, log detached from c,
    // and e; plus the condition evaluated after each `w`.
    assert!(positions.len() > 15, "{} steps", positions.len());
    let mut saw_fork = false;
    let mut saw_edges = false;
    for (step, saved) in positions.iter().enumerate() {
        let text = serde_json::to_string(saved).expect("serializes");
        // By node name: no graph index leaks into the saved form.
        assert!(
            saved.paths.is_empty() || text.contains("\"node\":\""),
            "{text}"
        );
        saw_fork |= text.contains("\"kind\":\"fork\"");
        saw_edges |= text.contains("\"kind\":\"edges\"");
        let read: SavedPosition = serde_json::from_str(&text).expect("reads back");
        assert_eq!(&read, saved, "step {step}");
        let restored = Position::restore(&read, inner).expect("fits the graph");
        let resumed = run_to_end(inner, restored, None)
            .await
            .unwrap_or_else(|err| panic!("step {step}: resumed run failed: {err}"));
        assert_eq!(resumed, expected, "resumed from step {step}");
    }
    assert!(
        saw_fork && saw_edges,
        "the run waited at a fork and at branch edges"
    );
}

#[tokio::test]
async fn a_position_that_does_not_fit_the_graph_is_refused() {
    let graph = graph();
    let (_, positions) = run_observed(&graph).await;
    let mut saved = positions[0].clone();
    saved.paths[0].node = "renamed".to_owned();
    let err = Position::restore(&saved, &graph.inner).expect_err("unknown node");
    assert_eq!(
        err.to_string(),
        "the saved run position does not fit this graph: it names node `renamed`, which the graph does not have"
    );
    let mut saved = positions[0].clone();
    saved.ready.push(99);
    let err = Position::restore(&saved, &graph.inner).expect_err("unknown path");
    assert!(err.to_string().contains("path 99"), "{err}");
}
