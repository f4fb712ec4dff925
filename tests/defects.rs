//! Defects found by trying to break the runtime (issue 9), each with the test
//! that failed before its fix. Numbers are the issue's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use graphai::sse::{GraphEventDecoder, SseError};
use graphai::{
    Callback, CallbackError, EventType, Graph, GraphError, GraphEvent, Value, json, node, router,
};

#[node(start)]
async fn begin() -> Value {
    json!({})
}

mod cancelled {
    use super::*;

    #[node(stream, end)]
    pub async fn stuck(callback: Callback) -> graphai::Result<Value> {
        callback.acall("first").await?;
        std::future::pending::<()>().await;
        Ok(json!({}))
    }
}

/// Defect 2: Dropping the future of `execute_with` closes the callback after an
/// error event, so the consumer is not left waiting for an end that never comes.
#[tokio::test]
async fn cancelling_execute_with_tells_the_consumer_and_ends_its_stream() {
    let graph = Graph::new()
        .add_node(begin)
        .add_node(cancelled::stuck)
        .add_edge(begin, cancelled::stuck)
        .compile()
        .expect("compiles");
    let callback = Callback::new();
    let events = callback.events().expect("stream");
    let run = graph.execute_with(json!({}), &callback);
    assert!(
        tokio::time::timeout(Duration::from_millis(50), run)
            .await
            .is_err(),
        "the node never finishes"
    );
    let events: Vec<GraphEvent> = tokio::time::timeout(Duration::from_secs(5), events.collect())
        .await
        .expect("the stream ends although `callback` is still alive");
    let kinds: Vec<&EventType> = events.iter().map(|e| &e.r#type).collect();
    assert_eq!(
        kinds,
        [
            &EventType::StartNode,
            &EventType::Callback,
            &EventType::Error,
            &EventType::End
        ]
    );
    let message = events[2].params.as_ref().expect("params")["message"].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.starts_with("run cancelled")),
        "{message}"
    );
    drop(callback);
}

mod closes {
    use super::*;

    #[node(stream, end)]
    pub async fn closer(close: bool, callback: Callback) -> graphai::Result<Value> {
        callback.acall("bye").await?;
        if close {
            callback.close().await;
        }
        Ok(json!({ "closed": close }))
    }
}

/// Defect 3: A streaming node that closes its callback under plain `execute` used to
/// close the one callback every later run (and clone) of the graph shared.
#[tokio::test]
async fn a_node_closing_its_callback_does_not_break_later_runs() {
    let graph = Graph::new()
        .add_node(begin)
        .add_node(closes::closer)
        .add_edge(begin, closes::closer)
        .compile()
        .expect("compiles");
    let clone = graph.clone();
    for _ in 0..3 {
        // The run whose node closed its callback cannot send the end marker,
        // as with a callback of its own...
        let err = graph
            .execute(json!({ "close": true }))
            .await
            .expect_err("closed mid-run");
        assert!(
            matches!(&err, GraphError::Callback { node, source: CallbackError::Closed { .. } } if node == "closer"),
            "{err:?}"
        );
        // ...but the next runs, of the graph and of its clones, have their own.
        for graph in [&graph, &clone] {
            let out = graph
                .execute(json!({ "close": false }))
                .await
                .expect("runs");
            assert_eq!(out["closed"], false);
        }
    }
}

static FINISHED: AtomicUsize = AtomicUsize::new(0);

mod many {
    use super::*;

    #[node(start, end)]
    pub async fn slow() -> Value {
        tokio::time::sleep(Duration::from_millis(100)).await;
        FINISHED.fetch_add(1, Ordering::SeqCst);
        json!({})
    }
}

/// Defect 4: Dropping the future of `execute_many` stops its runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_execute_many_stops_its_runs() {
    let graph = Graph::new()
        .add_node(many::slow)
        .compile()
        .expect("compiles");
    let inputs = (0..16).map(|_| json!({}));
    let run = graph.execute_many(inputs, 8);
    assert!(
        tokio::time::timeout(Duration::from_millis(20), run)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(FINISHED.load(Ordering::SeqCst), 0, "a dropped run went on");
}

mod fans {
    use super::*;

    #[router]
    pub async fn again() -> Value {
        json!({ "choices": ["again", "leaf"] })
    }

    #[node(end)]
    pub async fn leaf() -> Value {
        json!({})
    }
}

/// Defect 7: A router that fans out to itself without a join nested one future per
/// pass and aborted the process; now each pass is a frame of the position,
/// and `max_steps` stops it with an error naming the router.
#[tokio::test]
async fn a_router_fanning_out_to_itself_is_stopped_by_max_steps() {
    let graph = Graph::new()
        .max_steps(5_000)
        .add_node(begin)
        .add_node(fans::again)
        .add_node(fans::leaf)
        .add_edge(begin, fans::again)
        .add_router(Vec::<&str>::new(), fans::again, [fans::again, fans::leaf])
        .compile()
        .expect("compiles");
    let err = graph.execute(json!({})).await.expect_err("never ends");
    assert!(
        matches!(&err, GraphError::MaxSteps { limit: 5_000, node, branch: Some(branch) }
            if node == "again" && branch == "again"),
        "{err:?}"
    );
}

mod choices {
    use super::*;

    #[router]
    pub async fn pick(choices: Value) -> Value {
        json!({ "choices": choices })
    }

    #[node(end)]
    pub async fn x() -> Value {
        json!({ "x": 1 })
    }

    #[node(end)]
    pub async fn y() -> Value {
        json!({ "y": 1 })
    }

    pub fn graph() -> graphai::CompiledGraph {
        Graph::new()
            .add_node(begin)
            .add_node(pick)
            .add_node(x)
            .add_node(y)
            .add_router([begin], pick, [x, y])
            .compile()
            .expect("compiles")
    }
}

/// Defect 8: `choices: []` used to report "not an end node and has no outgoing edge".
#[tokio::test]
async fn an_empty_choices_list_says_the_router_chose_nothing() {
    let err = choices::graph()
        .execute(json!({ "choices": [] }))
        .await
        .expect_err("nothing chosen");
    assert_eq!(
        err.to_string(),
        "router `pick` chose nothing: its `choices` is an empty list; return at least one node name (or a `choice`)"
    );
}

/// Defect 9: `choices` naming one node twice used to run it twice, silently (both
/// runs write the same keys, so one result was lost): now it is an error.
#[tokio::test]
async fn choices_naming_a_node_twice_is_an_error() {
    let graph = choices::graph();
    let err = graph
        .execute(json!({ "choices": ["x", "y", "x"] }))
        .await
        .expect_err("x twice");
    assert!(
        matches!(&err, GraphError::DuplicateChoice { router, choice } if router == "pick" && choice == "x"),
        "{err:?}"
    );
    let both = graph
        .execute(json!({ "choices": ["x", "y"] }))
        .await
        .expect("runs");
    assert_eq!((both["x"].clone(), both["y"].clone()), (json!(1), json!(1)));
}

mod end_router {
    use super::*;

    #[router(end)]
    pub async fn last(choice: String) -> Value {
        json!({ "choice": choice, "last": true })
    }

    #[node]
    pub async fn known() -> Value {
        json!({})
    }
}

/// Defect 10: An end router's invalid choice used to be ignored; a valid one still
/// ends the run, as in GraphAI.
#[tokio::test]
async fn an_end_routers_choice_is_validated() {
    let graph = Graph::new()
        .add_node(begin)
        .add_node(end_router::last)
        .add_node(end_router::known)
        .add_router([begin], end_router::last, [end_router::known])
        .add_edge(end_router::known, end_router::last)
        .compile()
        .expect("compiles");
    let err = graph
        .execute(json!({ "choice": "nowhere" }))
        .await
        .expect_err("unknown choice");
    assert_eq!(
        err.to_string(),
        "router `last` chose `nowhere`, which is not one of its destinations: `known`"
    );
    let ok = graph
        .execute(json!({ "choice": "known" }))
        .await
        .expect("a valid choice ends the run");
    assert_eq!(ok["last"], true);
}

mod branch_loop {
    use super::*;

    #[router]
    pub async fn spin() -> Value {
        json!({ "choice": "spin" })
    }

    #[node(end)]
    pub async fn fine() -> Value {
        json!({})
    }
}

/// Defect 12: `MaxSteps` inside a parallel branch used to name neither the branch
/// nor the node.
#[tokio::test]
async fn max_steps_in_a_parallel_branch_names_the_branch_and_the_node() {
    let graph = Graph::new()
        .add_node(begin)
        .add_node(branch_loop::spin)
        .add_node(branch_loop::fine)
        .add_parallel(begin, [branch_loop::fine, branch_loop::spin])
        .add_router(Vec::<&str>::new(), branch_loop::spin, [branch_loop::spin])
        .compile()
        .expect("compiles");
    let err = graph.execute(json!({})).await.expect_err("spins");
    assert_eq!(err.node(), Some("spin"));
    assert_eq!(
        err.to_string(),
        "max steps reached at node `spin` (in the branch that starts at `spin`): a path of the run reached the limit of 10 steps without reaching an end node; raise the limit with `Graph::max_steps` (or `max_steps: N` in `graph!`) if the graph really needs more"
    );
}

/// Defect 13: An event bigger than the decoder's default limit can be read back, and
/// the error names the constructor that raises the limit.
#[test]
fn a_twenty_megabyte_event_reads_back_with_a_raised_limit() {
    let event = GraphEvent::new(EventType::Callback).with_token("x".repeat(20 << 20));
    let frame = event.to_sse();
    let mut default = GraphEventDecoder::new();
    let too_long = default.push(frame.as_bytes());
    assert!(matches!(too_long[..], [Err(SseError::TooLong { .. })]));
    let message = too_long[0].as_ref().expect_err("too long").to_string();
    assert!(
        message.contains("`GraphEventDecoder::with_limit`"),
        "{message}"
    );
    let mut raised = GraphEventDecoder::with_limit(32 << 20);
    let events = raised.push(frame.as_bytes());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].as_ref().expect("reads"), &event);
    raised.finish().expect("complete");
}

mod full {
    use super::*;

    #[node(stream, end)]
    pub async fn chatty(callback: Callback) -> graphai::Result<Value> {
        for i in 0..10 {
            callback.acall(format!("token {i}")).await?;
        }
        Ok(json!({}))
    }
}

/// Defect 14: A bounded callback whose stream nobody took used to block the run
/// forever once full.
#[tokio::test]
async fn a_full_bounded_callback_that_nobody_reads_fails_the_run() {
    let graph = Graph::new()
        .add_node(begin)
        .add_node(full::chatty)
        .add_edge(begin, full::chatty)
        .compile()
        .expect("compiles");
    let callback = Callback::builder().capacity(4).build().expect("builds");
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        graph.execute_with(json!({}), &callback),
    )
    .await
    .expect("fails instead of waiting forever")
    .expect_err("nobody reads");
    let source = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<CallbackError>())
        .expect("the callback's error");
    assert_eq!(source, &CallbackError::NoConsumer { capacity: 4 });
    assert!(
        source
            .to_string()
            .contains("take its stream with `aiter()` or `events()`")
    );
}
