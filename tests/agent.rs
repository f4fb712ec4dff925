//! The agent example's own graph (`examples/agent/graph.rs`, with its tools
//! from `examples/agent/tools.rs`) against the mock OpenAI server: the whole
//! loop of tool call, dispatch, tool result and answer, several calls in one
//! turn; a server that cannot stream tool turns (`agent/whole_answers.rs`);
//! bad input (`agent/bad_input.rs`); and an ignored run against a real model
//! (`agent/local.rs`).
//!
//! Run with `cargo test --features openai --test agent`.

#[path = "agent/bad_input.rs"]
mod bad_input;
#[path = "../examples/agent/graph.rs"]
mod graph;
#[path = "agent/local.rs"]
mod local;
#[path = "support/mock_openai.rs"]
mod mock_openai;
#[path = "../examples/agent/tools.rs"]
mod tools;
#[path = "agent/whole_answers.rs"]
mod whole_answers;

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use graphai::{
    Callback, CompiledGraph, EventType, GraphError, GraphEvent, OpenAIApi, Res, Resources,
    RunOutput, ToolSet, Value, json, tool,
};
use tokio::sync::Notify;

use mock_openai::{Server, Turn, within};

const CALL_A: &str = "call_F9ZaqPWo69u0urxAhVt8meDW";
const CALL_B: &str = "call_3xMKqJbuMbq2e2zY7rJ3ot0L";

/// The agent graph on `server`, with the example's tools.
fn agent(server: &Server, tool_rounds: usize) -> CompiledGraph {
    agent_with(server, tools::tools(), tool_rounds)
}

/// The agent graph on `server` with other tools.
fn agent_with(server: &Server, tools: ToolSet, tool_rounds: usize) -> CompiledGraph {
    let client = server.client().with_null_content(false);
    graph::build(client, tools, tool_rounds).expect("the agent graph compiles")
}

/// Runs `question` through `graph`, returning the run and every event.
async fn ask(
    graph: &CompiledGraph,
    question: &str,
) -> (Result<RunOutput, GraphError>, Vec<GraphEvent>) {
    let callback = Callback::new();
    let events = callback.events().expect("a free stream");
    let run = graph
        .run(graph::input(question))
        .callback(&callback)
        .detailed();
    within(async { tokio::join!(run, events.collect::<Vec<_>>()) }).await
}

/// The text the LLM node streamed.
fn streamed_text(events: &[GraphEvent]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e.r#type == EventType::Callback && e.node.as_deref() == Some("llm"))
        .filter_map(|e| e.token.as_deref())
        .collect()
}

/// The `tool_result` events: (tool, arguments, result, ok).
fn tool_results(events: &[GraphEvent]) -> Vec<(String, String, String, bool)> {
    events
        .iter()
        .filter(|e| e.r#type == EventType::Custom("tool_result".into()))
        .map(|e| {
            let params = e.params.clone().unwrap_or_default();
            let text = |key: &str| params[key].as_str().unwrap_or_default().to_owned();
            (
                e.token.clone().unwrap_or_default(),
                text("arguments"),
                text("result"),
                params["ok"] == true,
            )
        })
        .collect()
}

/// The first two messages of every conversation.
fn opening(question: &str) -> Vec<Value> {
    vec![
        json!({ "role": "system", "content": graph::SYSTEM }),
        json!({ "role": "user", "content": question }),
    ]
}

/// A streamed text answer.
fn text_turn(pieces: &[&str]) -> Turn {
    pieces
        .iter()
        .fold(Turn::with_usage(90, 8).role(), |turn, piece| {
            turn.content(piece)
        })
        .finish("stop")
}

/// An assistant message that calls tools, as the client sends it back
/// (`"content": ""`: the example's client never sends `null`).
fn asked(calls: &[(&str, &str, &str)]) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({ "id": id, "type": "function", "function": { "name": name, "arguments": arguments } })
        })
        .collect();
    json!({ "role": "assistant", "content": "", "tool_calls": calls })
}

fn tool_message(id: &str, content: &str) -> Value {
    json!({ "role": "tool", "content": content, "tool_call_id": id })
}

/// The question, the model's call of `calculate` (its arguments in four
/// pieces), the tool's result, and the model's answer.
#[tokio::test]
async fn a_tool_call_goes_round_the_loop_and_the_run_ends_with_the_answer() {
    let question = "What is 17.5 * (3 + 4.25)?";
    let call = Turn::with_usage(180, 20)
        .role_and_call(0, CALL_A, "calculate", "")
        .arguments(0, "{\"expr")
        .arguments(0, "ession\": \"17.5")
        .arguments(0, " * (3 + 4.25)")
        .arguments(0, "\"}")
        .finish("tool_calls");
    let answer = text_turn(&["It is", " 126.875."]);
    let server = Server::start_many(vec![call.reply(), answer.reply()]).await;
    let graph = agent(&server, 1);

    let (result, events) = ask(&graph, question).await;
    let output = result.expect("the run ends with an answer");

    assert_eq!(output.state["answer"], "It is 126.875.");
    assert_eq!(
        output.steps,
        graph::steps_for(1),
        "receive, llm, route, run_tools, llm, route, answer"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "two turns of the model");

    // The first request: the question, the three tools, streamed.
    let first = &seen[0].body;
    assert_eq!(first["messages"], json!(opening(question)));
    assert_eq!(
        first["tools"],
        json!(tools::tools().schemas(OpenAIApi::Completions))
    );
    let names: Vec<&str> = first["tools"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert_eq!(names, ["calculate", "clock", "element"]);
    assert_eq!(first["tool_choice"], "auto");
    assert_eq!(first["stream"], true);

    // The second: the same, plus the model's call and the tool's result.
    let arguments = "{\"expression\": \"17.5 * (3 + 4.25)\"}";
    let mut conversation = opening(question);
    conversation.push(asked(&[(CALL_A, "calculate", arguments)]));
    conversation.push(tool_message(CALL_A, "126.875"));
    assert_eq!(seen[1].body["messages"], json!(conversation));
    assert_eq!(seen[1].body["tools"], first["tools"]);

    // The run state holds the whole conversation, the answer last (as serde
    // writes a `Message`: `null` for the content of a turn of calls only).
    conversation[2]["content"] = Value::Null;
    conversation.push(json!({ "role": "assistant", "content": "It is 126.875." }));
    assert_eq!(output.state["messages"], json!(conversation));

    // The callback saw the tool's result, then the answer as it streamed.
    assert_eq!(
        tool_results(&events),
        [(
            "calculate".to_owned(),
            arguments.to_owned(),
            "126.875".to_owned(),
            true
        )]
    );
    assert_eq!(streamed_text(&events), ["It is", " 126.875."]);
    let result_at = events
        .iter()
        .position(|e| e.r#type == EventType::Custom("tool_result".into()));
    let text_at = events
        .iter()
        .position(|e| e.token.as_deref() == Some("It is"));
    assert!(result_at < text_at, "{events:?}");
    assert_eq!(events.last().map(|e| &e.r#type), Some(&EventType::End));
}

#[tokio::test]
async fn two_calls_of_one_turn_answer_in_call_order() {
    let question = "What is iron's atomic mass times 2, and what is 2 + 2?";
    let calls = Turn::with_usage(180, 30)
        .role_and_call(0, CALL_A, "element", "")
        .arguments(0, "{\"name\": \"Fe\"}")
        .call(1, CALL_B, "calculate", "{\"expression\":")
        .arguments(1, " \"2 + 2\"}")
        .finish("tool_calls");
    let answer = text_turn(&["111.69 and 4."]);
    let server = Server::start_many(vec![calls.reply(), answer.reply()]).await;
    let graph = agent(&server, 1);

    let (result, events) = ask(&graph, question).await;
    assert_eq!(result.expect("answered").state["answer"], "111.69 and 4.");

    let iron = r#"{"name":"iron","symbol":"Fe","number":26,"mass":55.845}"#;
    let mut conversation = opening(question);
    conversation.push(asked(&[
        (CALL_A, "element", "{\"name\": \"Fe\"}"),
        (CALL_B, "calculate", "{\"expression\": \"2 + 2\"}"),
    ]));
    conversation.push(tool_message(CALL_A, iron));
    conversation.push(tool_message(CALL_B, "4.0"));
    assert_eq!(server.seen()[1].body["messages"], json!(conversation));
    let results: Vec<(String, String)> = tool_results(&events)
        .into_iter()
        .map(|(name, _, result, _)| (name, result))
        .collect();
    assert_eq!(
        results,
        [
            ("element".to_owned(), iron.to_owned()),
            ("calculate".to_owned(), "4.0".to_owned())
        ]
    );
}

/// Makes `slow` wait until `quick` has run, and records who finished when.
#[derive(Default)]
struct Handoff {
    quick_done: Notify,
    finished: Mutex<Vec<&'static str>>,
}

/// Finishes only once `quick` has: run one after the other, in call order,
/// the two would never finish.
#[tool]
async fn slow(handoff: Res<Handoff>) -> String {
    handoff.quick_done.notified().await;
    handoff.finished.lock().expect("lock").push("slow");
    "slow is done".to_owned()
}

/// Finishes at once.
#[tool]
async fn quick(handoff: Res<Handoff>) -> String {
    handoff.finished.lock().expect("lock").push("quick");
    handoff.quick_done.notify_one();
    "quick is done".to_owned()
}

#[tokio::test]
async fn the_calls_of_one_turn_run_concurrently() {
    let calls = Turn::with_usage(100, 20)
        .role_and_call(0, CALL_A, "slow", "{}")
        .call(1, CALL_B, "quick", "")
        .finish("tool_calls");
    let server = Server::start_many(vec![calls.reply(), text_turn(&["Both done."]).reply()]).await;
    let handoff = Arc::new(Handoff::default());
    let mut shared = Resources::new();
    shared.insert_arc(Arc::clone(&handoff));
    let tools = ToolSet::new().resources(&shared).add(slow).add(quick);
    let graph = agent_with(&server, tools, 1);

    // `within` fails the test if `slow` waits for a `quick` that never runs.
    let (result, _) = ask(&graph, "Run both.").await;
    assert_eq!(result.expect("answered").state["answer"], "Both done.");
    assert_eq!(
        *handoff.finished.lock().expect("lock"),
        ["quick", "slow"],
        "`slow` was still waiting when `quick` ran"
    );
    let messages = &server.seen()[1].body["messages"];
    assert_eq!(messages[3], tool_message(CALL_A, "slow is done"));
    assert_eq!(
        messages[4],
        tool_message(CALL_B, "quick is done"),
        "results in call order, not in the order the calls finished"
    );
}

#[tokio::test]
async fn an_answer_without_tool_calls_ends_the_run_at_once() {
    let server = Server::start(text_turn(&["Hello", "!"]).reply()).await;
    let graph = agent(&server, 0);
    let (result, events) = ask(&graph, "Say hello.").await;
    let output = result.expect("answered");
    assert_eq!(output.state["answer"], "Hello!");
    assert_eq!(
        output.steps,
        graph::steps_for(0),
        "receive, llm, route, answer"
    );
    assert!(tool_results(&events).is_empty());
    assert_eq!(server.seen().len(), 1);
    let mut conversation = opening("Say hello.");
    conversation.push(json!({ "role": "assistant", "content": "Hello!" }));
    assert_eq!(output.state["messages"], json!(conversation));
}

#[tokio::test]
async fn a_system_prompt_in_the_input_replaces_the_default() {
    let server = Server::start(text_turn(&["Ahoy."]).reply()).await;
    let graph = agent(&server, 0);
    let state = within(
        graph
            .run(json!({ "question": "Hi", "system": "Talk like a pirate." }))
            .execute(),
    )
    .await
    .expect("answered");
    assert_eq!(state["answer"], "Ahoy.");
    assert_eq!(
        server.seen()[0].body["messages"][0],
        json!({ "role": "system", "content": "Talk like a pirate." })
    );
}
