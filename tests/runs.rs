//! Running graphs: node errors, panics, cancellation and `execute_many`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use graphai::{Graph, GraphError, Value, json, node};

#[derive(Debug, thiserror::Error)]
#[error("the weather service is down")]
struct ServiceDown;

#[node(start)]
async fn fetch(city: String) -> Result<Value, ServiceDown> {
    if city == "atlantis" {
        return Err(ServiceDown);
    }
    Ok(json!({ "forecast": format!("sun in {city}") }))
}

#[node(end)]
async fn report(forecast: String) -> Value {
    json!({ "report": forecast })
}

fn weather() -> graphai::CompiledGraph {
    Graph::new()
        .add_node(fetch)
        .add_node(report)
        .add_edge(fetch, report)
        .compile()
        .expect("compiles")
}

#[tokio::test]
async fn a_node_error_is_the_source_and_is_printed_once() {
    let err = weather()
        .execute(json!({ "city": "atlantis" }))
        .await
        .expect_err("fails");
    assert_eq!(err.to_string(), "node `fetch` failed");
    let source = std::error::Error::source(&err).expect("the node's error is the source");
    assert_eq!(source.to_string(), "the weather service is down");
    assert!(source.downcast_ref::<ServiceDown>().is_some());
    // A report that walks the chain names each thing once.
    let mut chain = vec![err.to_string()];
    let mut next = std::error::Error::source(&err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert_eq!(
        chain,
        ["node `fetch` failed", "the weather service is down"]
    );
}

#[node(start)]
async fn maybe_panic(city: String) -> Value {
    if city == "boom" {
        panic!("no city called {city}");
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    json!({ "forecast": city })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_names_the_node_and_does_not_take_down_other_runs() {
    let graph = Graph::new()
        .add_node(maybe_panic)
        .add_node(report)
        .add_edge(maybe_panic, report)
        .compile()
        .expect("compiles");
    let results = graph
        .execute_many(
            [
                json!({ "city": "paris" }),
                json!({ "city": "boom" }),
                json!({ "city": "rome" }),
            ],
            3,
        )
        .await;
    assert_eq!(results[0].as_ref().expect("paris")["report"], "paris");
    let err = results[1].as_ref().expect_err("boom panics");
    assert_eq!(
        err.to_string(),
        "node `maybe_panic` panicked: no city called boom"
    );
    assert_eq!(results[2].as_ref().expect("rome")["report"], "rome");
    // The graph is still usable after the panic.
    graph
        .execute(json!({ "city": "oslo" }))
        .await
        .expect("still works");
}

static STARTED: AtomicBool = AtomicBool::new(false);
static FINISHED: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicBool = AtomicBool::new(false);

struct DropFlag;

impl Drop for DropFlag {
    fn drop(&mut self) {
        DROPPED.store(true, Ordering::SeqCst);
    }
}

#[node(start, end)]
async fn long_running() -> Value {
    let _flag = DropFlag;
    STARTED.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(30)).await;
    FINISHED.store(true, Ordering::SeqCst);
    json!({})
}

#[tokio::test]
async fn dropping_the_execute_future_cancels_the_run() {
    let graph = Graph::new()
        .add_node(long_running)
        .compile()
        .expect("compiles");
    let outcome = tokio::time::timeout(Duration::from_millis(50), graph.execute(json!({}))).await;
    assert!(outcome.is_err(), "the run cannot finish in 50ms");
    assert!(STARTED.load(Ordering::SeqCst));
    assert!(
        DROPPED.load(Ordering::SeqCst),
        "the node's future was dropped"
    );
    assert!(!FINISHED.load(Ordering::SeqCst));
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[node(start, end)]
async fn measured(n: u64) -> Value {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(10)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    if n == 3 {
        return json!("not an object");
    }
    json!({ "double": n * 2, "thread": format!("{:?}", std::thread::current().id()) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_many_keeps_input_order_bounds_concurrency_and_loses_nothing() {
    let graph = Graph::new().add_node(measured).compile().expect("compiles");
    let inputs: Vec<Value> = (0..12).map(|n| json!({ "n": n })).collect();
    let results = graph.execute_many(inputs, 4).await;
    assert_eq!(results.len(), 12);
    for (n, result) in results.iter().enumerate() {
        match (n, result) {
            (3, Err(GraphError::InvalidOutput { node, found })) => {
                assert_eq!((node.as_str(), found.as_str()), ("measured", "a string"));
            }
            (_, Ok(out)) => assert_eq!(out["double"], json!(n * 2)),
            (_, other) => panic!("run {n}: {other:?}"),
        }
    }
    let peak = PEAK.load(Ordering::SeqCst);
    assert!(peak <= 4, "at most 4 at once, saw {peak}");
    assert!(peak >= 2, "runs overlapped, saw {peak}");
}

#[node(start, end)]
async fn busy(n: u64) -> Value {
    // Blocking work, so that only a second worker thread can overlap runs.
    std::thread::sleep(Duration::from_millis(30));
    json!({ "n": n, "thread": format!("{:?}", std::thread::current().id()) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_many_uses_every_worker_thread() {
    let graph = Graph::new().add_node(busy).compile().expect("compiles");
    let results = graph
        .execute_many((0..8).map(|n| json!({ "n": n })), 8)
        .await;
    let mut threads: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("runs")["thread"].as_str().unwrap_or("").to_owned())
        .collect();
    threads.sort();
    threads.dedup();
    assert_eq!(threads.len(), 2, "both workers ran graphs: {threads:?}");
}

#[node(start, end)]
async fn pure(n: u64) -> Value {
    json!({ "double": n * 2 })
}

static TICKS: AtomicUsize = AtomicUsize::new(0);

#[node(start, end)]
async fn ticks_seen() -> Value {
    json!({ "ticks": TICKS.load(Ordering::SeqCst) })
}

/// Runs that never wait share the thread: another task gets its turns while
/// `execute_many` works through its inputs, not only once it is done.
#[tokio::test]
async fn execute_many_lets_other_tasks_run_between_runs_that_never_wait() {
    let graph = Graph::new()
        .add_node(ticks_seen)
        .compile()
        .expect("compiles");
    let ticker = tokio::spawn(async {
        loop {
            TICKS.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
    });
    let results = graph.execute_many((0..2_000).map(|_| json!({})), 2).await;
    ticker.abort();
    let ticks = |i: usize| results[i].as_ref().expect("runs")["ticks"].as_u64();
    let (first, last) = (ticks(0), ticks(results.len() - 1));
    assert!(
        last > first,
        "the ticker ran {first:?} times before the first run and {last:?} before the last"
    );
    assert!(
        graph.execute_many(Vec::<Value>::new(), 4).await.is_empty(),
        "no inputs, no results"
    );
}

#[test]
fn execute_many_works_outside_a_tokio_runtime() {
    let graph = Graph::new().add_node(pure).compile().expect("compiles");
    let results =
        futures::executor::block_on(graph.execute_many([json!({ "n": 1 }), json!({ "n": 2 })], 2));
    assert_eq!(results[1].as_ref().expect("runs")["double"], 4);
}

mod streamed {
    use graphai::{Callback, Value, json, node};

    #[node(start, stream)]
    pub async fn speak(words: Vec<String>, callback: Callback) -> graphai::Result<Value> {
        for word in &words {
            callback.acall(word.as_str()).await?;
        }
        Ok(json!({ "spoken": words.len() }))
    }

    #[node(end)]
    pub async fn check(spoken: i64) -> graphai::Result<Value> {
        if spoken == 0 {
            return Err("nothing was said".into());
        }
        Ok(json!({ "checked": true }))
    }
}

#[tokio::test]
async fn a_streamed_run_gives_its_events_then_its_result_last() {
    use futures::StreamExt;
    use graphai::{EventType, StreamItem};
    let graph = Graph::new()
        .add_node(streamed::speak)
        .add_node(streamed::check)
        .add_edge(streamed::speak, streamed::check)
        .compile()
        .expect("compiles");

    let items: Vec<StreamItem> = graph
        .run(json!({ "words": ["one", "two"] }))
        .stream()
        .collect()
        .await;
    let kinds: Vec<String> = items
        .iter()
        .map(|item| match item {
            StreamItem::Event(event) => event.r#type.as_str().to_owned(),
            StreamItem::Finished(_) => "finished".to_owned(),
            _ => "other".to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "start_node",
            "callback",
            "callback",
            "end_node",
            "end",
            "finished"
        ]
    );
    let tokens: Vec<&str> = items.iter().filter_map(StreamItem::token).collect();
    assert_eq!(tokens, ["speak", "one", "two", "speak"]);
    let Some(StreamItem::Finished(Ok(output))) = items.last() else {
        panic!("the result comes last: {items:?}");
    };
    assert_eq!(output.state["checked"], true);

    // A failed run: an error event before the end, and the error last.
    let items: Vec<StreamItem> = graph.run(json!({ "words": [] })).stream().collect().await;
    let error_event = items.iter().find_map(|item| match item {
        StreamItem::Event(event) if event.r#type == EventType::Error => Some(event),
        _ => None,
    });
    assert!(error_event.is_some(), "{items:?}");
    let Some(StreamItem::Finished(Err(error))) = items.last() else {
        panic!("the error comes last: {items:?}");
    };
    assert!(error.to_string().contains("check"), "{error}");
}

#[tokio::test]
async fn dropping_a_run_stream_cancels_the_run() {
    use futures::StreamExt;
    static DROPPED: AtomicBool = AtomicBool::new(false);

    /// Says when the node's future is dropped (cancelled, here).
    struct Guard;
    impl Drop for Guard {
        fn drop(&mut self) {
            DROPPED.store(true, Ordering::SeqCst);
        }
    }

    #[node(start, end, stream)]
    async fn talks_forever(callback: graphai::Callback) -> graphai::Result<Value> {
        let _guard = Guard;
        callback.acall("first").await?;
        std::future::pending::<()>().await;
        Ok(json!({}))
    }

    let graph = Graph::new()
        .add_node(talks_forever)
        .compile()
        .expect("compiles");
    let mut stream = graph.run(json!({})).stream();
    let mut seen = Vec::new();
    while let Some(item) = stream.next().await {
        let token = item.token().map(str::to_owned);
        let first = token.as_deref() == Some("first");
        seen.push(token);
        if first {
            break;
        }
    }
    assert_eq!(
        seen,
        [Some("talks_forever".to_owned()), Some("first".to_owned())]
    );
    assert!(!DROPPED.load(Ordering::SeqCst), "the node is still running");
    drop(stream);
    assert!(
        DROPPED.load(Ordering::SeqCst),
        "dropping the stream dropped the node's future"
    );
}

static STUCK: AtomicBool = AtomicBool::new(false);

#[node(start, end)]
async fn until_two(n: u64) -> Value {
    if n >= 2 {
        STUCK.store(true, Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    json!({ "n": n })
}

/// A runtime that shuts down ends `execute_many`'s worker mid-run: the runs
/// it finished keep their results, and only the ones without a result are
/// reported as aborted.
#[test]
fn execute_many_keeps_the_results_of_a_worker_that_tokio_ended_early() {
    let graph = Graph::new()
        .add_node(until_two)
        .compile()
        .expect("compiles");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("a runtime");
    let handle = runtime.handle().clone();
    // The workers are spawned on `runtime` (entered here); the runs 0 and 1
    // finish, run 2 never does, and then the runtime goes away.
    let stopper = std::thread::spawn(move || {
        while !STUCK.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        runtime.shutdown_background();
    });
    let results = {
        let _entered = handle.enter();
        futures::executor::block_on(graph.execute_many((0..4).map(|n| json!({ "n": n })), 1))
    };
    stopper.join().expect("the runtime shut down");
    assert_eq!(results.len(), 4);
    for (n, result) in results.iter().enumerate().take(2) {
        assert_eq!(result.as_ref().expect("finished before the end")["n"], n);
    }
    for (n, result) in results.iter().enumerate().skip(2) {
        match result {
            Err(GraphError::Aborted { index, .. }) => assert_eq!(*index, n),
            other => panic!("run {n} had no result, so it is aborted: {other:?}"),
        }
    }
}

/// A city whose `Deserialize` panics on "boom": binding a parameter runs the
/// user's code before the node's body does.
struct Touchy(String);

impl<'de> serde::Deserialize<'de> for Touchy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let city = String::deserialize(deserializer)?;
        assert_ne!(city, "boom", "cannot read a city called boom");
        Ok(Touchy(city))
    }
}

#[node(start, end)]
async fn touchy(city: Touchy) -> Value {
    json!({ "forecast": city.0 })
}

#[node(start, end, retries = 1, timeout = "5s")]
async fn touchy_with_policy(city: Touchy) -> Value {
    json!({ "forecast": city.0 })
}

#[tokio::test]
async fn a_panic_while_binding_parameters_names_the_node() {
    for (node, def) in [
        ("touchy", touchy()),
        ("touchy_with_policy", touchy_with_policy()),
    ] {
        let graph = Graph::new().add_node(def).compile().expect("compiles");
        let err = graph
            .execute(json!({ "city": "boom" }))
            .await
            .expect_err("binding panics");
        // With `retries`, the panic is retried and is the last attempt's error.
        let panic = match &err {
            GraphError::GaveUp { last, .. } => last.as_ref(),
            other => other,
        };
        let GraphError::Panic {
            node: named,
            message,
        } = panic
        else {
            panic!("{node}: not a panic: {err:?}");
        };
        assert_eq!(named, node);
        assert!(
            message.contains("cannot read a city called boom"),
            "{message}"
        );
        let out = graph
            .execute(json!({ "city": "oslo" }))
            .await
            .expect("still works");
        assert_eq!(out["forecast"], "oslo");
    }
}

/// A node written by hand whose `invoke` panics before it makes a future.
struct PanicsAtOnce;

impl graphai::Node for PanicsAtOnce {
    const NAME: &'static str = "panics_at_once";
    const DOC: &'static str = "";
    const IS_START: bool = true;
    const IS_END: bool = true;
    const IS_STREAM: bool = false;
    const IS_ROUTER: bool = false;
    const PARAMS: &'static [graphai::ParamInfo] = &[];
    fn invoke(_: graphai::Context<'_>) -> graphai::NodeFuture<'_> {
        panic!("no future today")
    }
}

#[tokio::test]
async fn a_hand_written_node_that_panics_in_invoke_is_named() {
    let graph = Graph::new()
        .add_node(<PanicsAtOnce as graphai::Node>::def())
        .compile()
        .expect("compiles");
    let err = graph.execute(json!({})).await.expect_err("invoke panics");
    assert_eq!(
        err.to_string(),
        "node `panics_at_once` panicked: no future today"
    );
}
