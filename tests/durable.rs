//! Durable runs: threads checkpointed after every step, resumed after an
//! error or an interrupt, forked, edited; the ways they refuse bad input.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use graphai::checkpoint::{CheckpointStore, MemoryStore};
use graphai::{
    Callback, CompiledGraph, Durability, EventType, Graph, GraphError, Interrupt, Map, RunOutcome,
    Value, json, node,
};

#[path = "support/stores.rs"]
mod stores;

fn obj(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

mod chat {
    use super::*;

    /// Appends the user's message to the conversation.
    #[node(start)]
    pub async fn listen(messages: Option<Vec<Value>>, say: String) -> Value {
        let mut messages = messages.unwrap_or_default();
        messages.push(json!({ "role": "user", "content": say }));
        json!({ "messages": messages })
    }

    /// Answers it.
    #[node(end)]
    pub async fn reply(messages: Vec<Value>) -> Value {
        let mut messages = messages;
        let n = messages.len();
        messages.push(json!({ "role": "assistant", "content": format!("reply {n}") }));
        json!({ "messages": messages })
    }

    pub fn graph(store: Arc<dyn CheckpointStore>) -> CompiledGraph {
        Graph::new()
            .checkpointer(store)
            .add_node(listen)
            .add_node(reply)
            .add_edge(listen, reply)
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn a_thread_keeps_its_state_from_run_to_run() {
    let store = Arc::new(MemoryStore::new());
    let graph = chat::graph(store.clone());
    for (turn, say) in ["hi", "how are you?", "bye"].iter().enumerate() {
        let state = graph
            .run(json!({ "say": say }))
            .thread("t1")
            .execute()
            .await
            .expect("runs");
        let messages = state["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2 * (turn + 1), "{messages:?}");
    }
    // Another thread starts from nothing.
    let other = graph
        .run(json!({ "say": "new" }))
        .thread("t2")
        .execute()
        .await
        .expect("runs");
    assert_eq!(other["messages"].as_array().map(Vec::len), Some(2));
    // 3 runs of input, 2 steps and done.
    let history = store.history("t1").await.expect("history");
    assert_eq!(history.len(), 3 * 4);
    assert_eq!(
        history[0].node.as_deref(),
        None,
        "newest first: the end of the last run"
    );
    assert_eq!(history[1].node.as_deref(), Some("reply"));
}

#[tokio::test]
async fn checkpoints_store_what_each_step_changed_not_the_whole_state() {
    let store = Arc::new(MemoryStore::new());
    let graph = chat::graph(store.clone());
    let mut sizes = Vec::new();
    for turn in 0..120 {
        graph
            .run(json!({ "say": format!("message number {turn}") }))
            .thread("long")
            .execute()
            .await
            .expect("runs");
        let chain = store
            .chain("long", None)
            .await
            .expect("reads")
            .expect("a thread");
        let bytes: usize = chain
            .checkpoints
            .iter()
            .map(|c| c.delta.to_string().len() + c.position.to_string().len())
            .sum();
        sizes.push(bytes);
    }
    // Linear: the last 60 turns stored about as much as the first 60.
    let first = sizes[59];
    let second = sizes[119] - sizes[59];
    assert!(
        second < first + first / 5,
        "the first 60 turns stored {first} bytes, the next 60 {second}"
    );
    // And a step's delta holds only the message it added.
    let chain = store
        .chain("long", None)
        .await
        .expect("reads")
        .expect("a thread");
    let reply = chain
        .checkpoints
        .iter()
        .rev()
        .find(|c| c.node.as_deref() == Some("reply"))
        .expect("a reply step");
    assert_eq!(
        reply.delta["out"],
        json!([["messages", "+", [{ "role": "assistant", "content": "reply 239" }]]])
    );
    // The position after `listen`: its path goes on to `reply`, by node name.
    let listen = chain
        .checkpoints
        .iter()
        .rev()
        .find(|c| c.node.as_deref() == Some("listen"))
        .expect("a listen step");
    assert!(
        listen.position.to_string().contains("\"node\":\"reply\""),
        "{}",
        listen.position
    );
}

static BEFORE_ASK: AtomicUsize = AtomicUsize::new(0);
static AFTER_ASK: AtomicUsize = AtomicUsize::new(0);

mod approval {
    use super::*;

    #[node(start)]
    pub async fn plan(task: String) -> Value {
        BEFORE_ASK.fetch_add(1, Ordering::SeqCst);
        json!({ "tool": format!("deploy {task}") })
    }

    /// Asks twice: whether to run the tool, and who approves.
    #[node]
    pub async fn confirm(tool: String, human: Interrupt) -> Value {
        let go = human
            .ask(json!({ "question": format!("run `{tool}`?") }))
            .await;
        let who = human.ask(json!({ "question": "who approves?" })).await;
        json!({ "approved": go == "yes", "by": who })
    }

    #[node(end)]
    pub async fn act(approved: bool) -> Value {
        AFTER_ASK.fetch_add(1, Ordering::SeqCst);
        json!({ "done": approved })
    }

    pub fn graph(store: Arc<dyn CheckpointStore>) -> Graph {
        Graph::new()
            .checkpointer(store)
            .add_node(plan)
            .add_node(confirm)
            .add_node(act)
            .add_edge(plan, confirm)
            .add_edge(confirm, act)
    }
}

#[tokio::test]
async fn an_interrupt_stops_the_run_and_an_answer_resumes_it() {
    let store = Arc::new(MemoryStore::new());
    let graph = approval::graph(store.clone()).compile().expect("compiles");
    let callback = Callback::new();
    let events = callback.events().expect("stream");
    let outcome = graph
        .run(json!({ "task": "v2" }))
        .thread("ask")
        .callback(&callback)
        .outcome()
        .await
        .expect("runs");
    let RunOutcome::Interrupted {
        thread,
        node,
        payload,
        checkpoint,
    } = outcome
    else {
        panic!("expected an interrupt, got {outcome:?}");
    };
    assert_eq!((thread.as_deref(), node.as_str()), (Some("ask"), "confirm"));
    assert_eq!(payload, json!({ "question": "run `deploy v2`?" }));
    assert!(checkpoint.is_some());
    let events: Vec<_> = events.collect().await;
    let interrupt = events
        .iter()
        .find(|e| e.r#type == EventType::from("interrupt"))
        .expect("an interrupt event");
    assert_eq!(interrupt.node.as_deref(), Some("confirm"));
    assert_eq!(interrupt.params.as_ref().expect("params")["thread"], "ask");

    // `execute` says so too, and nothing else runs.
    let err = graph
        .resume("ask")
        .execute()
        .await
        .expect_err("still waiting without an answer");
    assert!(
        matches!(&err, GraphError::Interrupted { node, .. } if node == "confirm"),
        "{err:?}"
    );

    // The first answer: the node runs again and asks its second question.
    let second = graph
        .resume("ask")
        .with_answer("yes")
        .outcome()
        .await
        .expect("resumes");
    assert!(
        matches!(&second, RunOutcome::Interrupted { payload, .. } if payload == &json!({ "question": "who approves?" })),
        "{second:?}"
    );
    let done = graph
        .resume("ask")
        .with_answer("ada")
        .execute()
        .await
        .expect("finishes");
    assert_eq!(done["approved"], true);
    assert_eq!(done["by"], "ada");
    assert_eq!(done["done"], true);
    assert_eq!(BEFORE_ASK.load(Ordering::SeqCst), 1, "`plan` ran once");
    assert_eq!(AFTER_ASK.load(Ordering::SeqCst), 1, "`act` ran once");
    // A finished thread gives its result without running anything.
    let again = graph.resume("ask").execute().await.expect("finished");
    assert_eq!(again, done);
    assert_eq!(AFTER_ASK.load(Ordering::SeqCst), 1);
    // An answer for a thread that waits for none is refused.
    let err = graph
        .resume("ask")
        .with_answer("no")
        .execute()
        .await
        .expect_err("not waiting");
    assert_eq!(
        err.to_string(),
        "thread `ask` is not waiting for an answer: its last run finished"
    );
}

mod steps {
    use super::*;

    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[node(start)]
    pub async fn one(n: i64) -> Value {
        json!({ "n": n + 1, "one": true })
    }

    #[node]
    pub async fn two(n: i64) -> Value {
        CALLS.fetch_add(1, Ordering::SeqCst);
        json!({ "n": n * 10 })
    }

    #[node(end)]
    pub async fn three(n: i64) -> Value {
        json!({ "n": n + 3 })
    }

    pub fn builder(store: Arc<dyn CheckpointStore>) -> Graph {
        Graph::new()
            .checkpointer(store)
            .add_node(one)
            .add_node(two)
            .add_node(three)
            .add_edge(one, two)
            .add_edge(two, three)
    }
}

#[tokio::test]
async fn breakpoints_stop_before_and_after_a_node() {
    let store = Arc::new(MemoryStore::new());
    let graph = steps::builder(store.clone())
        .interrupt_before(steps::two)
        .interrupt_after(steps::three)
        .compile()
        .expect("compiles");
    let before = graph
        .run(json!({ "n": 1 }))
        .thread("bp")
        .outcome()
        .await
        .expect("runs");
    assert!(
        matches!(&before, RunOutcome::Interrupted { node, payload, .. } if node == "two" && payload.is_null()),
        "{before:?}"
    );
    let after = graph.resume("bp").outcome().await.expect("resumes");
    assert!(
        matches!(&after, RunOutcome::Interrupted { node, .. } if node == "three"),
        "{after:?}"
    );
    let done = graph.resume("bp").execute().await.expect("finishes");
    assert_eq!(done["n"], 23);
}

#[tokio::test]
async fn a_run_resumes_after_an_error_without_running_its_finished_steps_again() {
    static FAIL: AtomicUsize = AtomicUsize::new(1);
    static FIRST: AtomicUsize = AtomicUsize::new(0);

    #[node(start)]
    async fn first(n: i64) -> Value {
        FIRST.fetch_add(1, Ordering::SeqCst);
        json!({ "n": n + 1 })
    }

    #[node(end)]
    async fn fragile(n: i64) -> graphai::Result<Value> {
        if FAIL.fetch_sub(1, Ordering::SeqCst) > 0 {
            return Err("the service is down".into());
        }
        Ok(json!({ "n": n * 2 }))
    }

    let store = Arc::new(MemoryStore::new());
    let graph = Graph::new()
        .checkpointer(store.clone())
        .add_node(first)
        .add_node(fragile)
        .add_edge(first, fragile)
        .compile()
        .expect("compiles");
    let err = graph
        .run(json!({ "n": 1 }))
        .thread("flaky")
        .execute()
        .await
        .expect_err("fails once");
    assert_eq!(err.node(), Some("fragile"));
    // A new run on the thread is refused while this one has not ended.
    let busy = graph
        .run(json!({ "n": 5 }))
        .thread("flaky")
        .execute()
        .await
        .expect_err("busy");
    assert!(matches!(busy, GraphError::ThreadBusy { .. }), "{busy:?}");
    let done = graph.resume("flaky").execute().await.expect("resumes");
    assert_eq!(done["n"], 4);
    assert_eq!(FIRST.load(Ordering::SeqCst), 1, "`first` ran once");
}

#[tokio::test]
async fn durability_modes_write_the_same_checkpoints() {
    let mut counts = Vec::new();
    for durability in [Durability::Sync, Durability::Async, Durability::Exit] {
        let store = Arc::new(MemoryStore::new());
        let graph = steps::builder(store.clone())
            .durability(durability)
            .compile()
            .expect("compiles");
        let state = graph
            .run(json!({ "n": 1 }))
            .thread("mode")
            .execute()
            .await
            .expect("runs");
        assert_eq!(state["n"], 23);
        let again = graph.resume("mode").execute().await.expect("finished");
        assert_eq!(again, state);
        counts.push(store.history("mode").await.expect("history").len());
    }
    assert_eq!(counts, [5, 5, 5], "input, 3 steps, done");
}

#[tokio::test]
async fn a_thread_forks_from_an_earlier_checkpoint_and_can_be_edited() {
    let store = Arc::new(MemoryStore::new());
    let graph = steps::builder(store.clone()).compile().expect("compiles");
    graph
        .run(json!({ "n": 1 }))
        .thread("tt")
        .execute()
        .await
        .expect("runs");
    let history = store.history("tt").await.expect("history");
    // The checkpoint after `one`: n = 2.
    let after_one = history
        .iter()
        .find(|h| h.node.as_deref() == Some("one"))
        .expect("a step of `one`");
    let calls = steps::CALLS.load(Ordering::SeqCst);
    let forked = graph
        .resume_from("tt", after_one.id.clone())
        .execute()
        .await
        .expect("forks");
    assert_eq!(forked["n"], 23, "the same steps again");
    assert!(
        steps::CALLS.load(Ordering::SeqCst) > calls,
        "`two` ran again"
    );
    // The fork moved the head: the thread is finished, and it has more history.
    assert!(store.history("tt").await.expect("history").len() > history.len());

    // Edit a finished thread: the next run starts from the edit.
    graph
        .update_thread("tt", obj(json!({ "extra": "edited" })))
        .await
        .expect("updates");
    let next = graph
        .run(json!({ "n": 0 }))
        .thread("tt")
        .execute()
        .await
        .expect("runs");
    assert_eq!(next["extra"], "edited");
    assert_eq!(next["n"], 13);
}

#[tokio::test]
async fn an_edit_reaches_a_waiting_run() {
    let store = Arc::new(MemoryStore::new());
    let graph = steps::builder(store.clone())
        .interrupt_before(steps::two)
        .compile()
        .expect("compiles");
    graph
        .run(json!({ "n": 1 }))
        .thread("edit")
        .outcome()
        .await
        .expect("stops before `two`");
    graph
        .update_thread("edit", obj(json!({ "n": 5 })))
        .await
        .expect("updates");
    let done = graph.resume("edit").execute().await.expect("resumes");
    assert_eq!(done["n"], 53);
}

/// The changes a `GraphChanged` error of thread `thread` lists.
fn changes_of<'e>(err: &'e GraphError, thread: &str) -> &'e [String] {
    let GraphError::GraphChanged {
        thread: named,
        changes,
    } = err
    else {
        panic!("expected GraphChanged, got {err:?}");
    };
    assert_eq!(named, thread);
    changes
}

#[tokio::test]
async fn a_changed_graph_is_refused_with_what_changed() {
    let store = Arc::new(MemoryStore::new());
    let old = steps::builder(store.clone())
        .interrupt_before(steps::three)
        .compile()
        .expect("compiles");
    old.run(json!({ "n": 1 }))
        .thread("shape")
        .outcome()
        .await
        .expect("stops");

    #[node]
    async fn extra(n: i64) -> Value {
        json!({ "n": n })
    }

    let new = Graph::new()
        .checkpointer(store.clone())
        .add_node(steps::one)
        .add_node(steps::two)
        .add_node(extra)
        .add_node(steps::three)
        .add_edge(steps::one, steps::two)
        .add_edge(steps::two, extra)
        .add_edge(extra, steps::three)
        .interrupt_before(steps::three)
        .compile()
        .expect("compiles");
    let err = new.resume("shape").execute().await.expect_err("changed");
    assert_eq!(
        changes_of(&err, "shape"),
        [
            "node `extra` was added",
            "edge `two` -> `extra` (Regular) was added",
            "edge `extra` -> `three` (Regular) was added",
            "edge `two` -> `three` (Regular) was removed",
        ]
    );
    assert!(
        err.to_string().starts_with(
            "thread `shape` was checkpointed by a different graph: node `extra` was added;"
        ),
        "{err}"
    );

    // The other way round: a thread of the bigger graph, resumed by the old one.
    new.run(json!({ "n": 1 }))
        .thread("shrunk")
        .outcome()
        .await
        .expect("stops");
    let err = old.resume("shrunk").execute().await.expect_err("changed");
    assert_eq!(
        changes_of(&err, "shrunk"),
        [
            "node `extra` was removed",
            "edge `two` -> `three` (Regular) was added",
            "edge `two` -> `extra` (Regular) was removed",
            "edge `extra` -> `three` (Regular) was removed",
        ]
    );
}

#[tokio::test]
async fn two_resumes_of_one_thread_one_wins_and_the_other_gets_a_conflict() {
    let memory: Arc<dyn CheckpointStore> = Arc::new(MemoryStore::new());
    approval::graph(memory.clone())
        .compile()
        .expect("compiles")
        .run(json!({ "task": "race" }))
        .thread("race")
        .outcome()
        .await
        .expect("stops");
    // Both resumes read the thread's head before either writes.
    let gated = stores::Wrapped::new(
        memory,
        stores::Trouble::Gate(Arc::new(tokio::sync::Barrier::new(2))),
    );
    let graph = approval::graph(Arc::new(gated))
        .compile()
        .expect("compiles");
    let (a, b) = tokio::join!(
        graph.resume("race").with_answer("yes").outcome(),
        graph.resume("race").with_answer("no").outcome(),
    );
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| {
            matches!(r, Err(GraphError::Checkpoint { source, .. })
                if matches!(**source, graphai::checkpoint::StoreError::Conflict { .. }))
        })
        .count();
    assert_eq!(conflicts, 1, "{a:?} / {b:?}");
}

#[tokio::test]
async fn bad_thread_input_gets_clear_errors() {
    let store = Arc::new(MemoryStore::new());
    let graph = steps::builder(store.clone()).compile().expect("compiles");
    let missing = graph
        .resume("nobody")
        .execute()
        .await
        .expect_err("no thread");
    assert_eq!(
        missing.to_string(),
        "thread `nobody` does not exist in the checkpoint store: start it with `graph.run(input).thread(\"nobody\")`"
    );
    let no_store = Graph::new()
        .add_node(steps::one)
        .add_node(steps::two)
        .add_node(steps::three)
        .add_edge(steps::one, steps::two)
        .add_edge(steps::two, steps::three)
        .compile()
        .expect("compiles");
    let err = no_store
        .run(json!({ "n": 1 }))
        .thread("t")
        .execute()
        .await
        .expect_err("no store");
    assert!(matches!(err, GraphError::NoCheckpointer { .. }), "{err:?}");
    let answer = graph
        .run(json!({ "n": 1 }))
        .with_answer("yes")
        .execute()
        .await
        .expect_err("nothing to answer");
    assert!(
        matches!(answer, GraphError::NotWaiting { .. }),
        "{answer:?}"
    );

    // A checkpoint whose delta is not what graphai writes.
    graph
        .run(json!({ "n": 1 }))
        .thread("corrupt")
        .execute()
        .await
        .expect("runs");
    let head = store
        .latest("corrupt")
        .await
        .expect("reads")
        .expect("a head");
    let mut bad = head.child("bad-step");
    bad.metadata.insert("kind".into(), "step".into());
    bad.delta = json!({ "path": 0, "node": "one", "out": "not a list" });
    store.put(&bad, Some(&head.id)).await.expect("stored");
    let err = graph
        .resume("corrupt")
        .execute()
        .await
        .expect_err("corrupt");
    assert!(
        matches!(&err, GraphError::CorruptCheckpoint { thread, checkpoint, .. } if thread == "corrupt" && checkpoint == "bad-step"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("thread `corrupt`, checkpoint `bad-step` cannot be resumed:"),
        "{err}"
    );
}

#[test]
fn a_node_that_asks_can_be_called_directly_with_answers() {
    let human = Interrupt::answered("confirm", vec![json!("yes"), json!("ada")]);
    let out = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(approval::confirm::call("rm".to_owned(), human));
    assert_eq!(out, json!({ "approved": true, "by": "ada" }));
}

#[tokio::test]
async fn a_store_that_fails_mid_run_leaves_the_thread_resumable() {
    let reference = steps::builder(Arc::new(MemoryStore::new()))
        .compile()
        .expect("compiles")
        .run(json!({ "n": 1 }))
        .thread("ref")
        .execute()
        .await
        .expect("runs");
    for after in [false, true] {
        for n in 1..=5 {
            let memory: Arc<dyn CheckpointStore> = Arc::new(MemoryStore::new());
            let failing =
                stores::Wrapped::new(memory.clone(), stores::Trouble::FailFrom { n, after });
            let broken = steps::builder(Arc::new(failing))
                .compile()
                .expect("compiles");
            let err = broken
                .run(json!({ "n": 1 }))
                .thread("t")
                .execute()
                .await
                .expect_err("the store fails");
            assert!(
                matches!(&err, GraphError::Checkpoint { thread, .. } if thread == "t"),
                "put {n} (after: {after}): {err:?}"
            );
            let healed = steps::builder(memory).compile().expect("compiles");
            let done = if n == 1 && !after {
                // Nothing was written: the thread does not exist yet.
                let missing = healed.resume("t").execute().await.expect_err("no thread");
                assert!(matches!(missing, GraphError::ThreadNotFound { .. }));
                continue;
            } else {
                healed.resume("t").execute().await
            };
            assert_eq!(
                done.expect("resumes"),
                reference,
                "put {n} (after: {after})"
            );
        }
    }
}
