//! The agent's graph, ReAct style: the model answers or calls tools, the
//! calls run, their results go back to the model, until it answers in text.
//!
//! ```text
//! receive -> llm -> route => run_tools -> llm -> route => ..
//!                         => answer (end)
//! ```
//!
//! The conversation lives in the run state as `messages` (a `Vec<Message>`,
//! serde both ways); each node reads it and writes it back longer. The client
//! and the tools are resources of the graph. `max_steps` bounds the loop: each
//! tool round is three steps (`route`, `run_tools`, `llm`), see [`steps_for`].
//!
//! Used by `examples/agent/main.rs` and by `tests/agent.rs`, which runs this
//! very graph against a mock OpenAI server.

use graphai::llm::{ChatClient, ChatReply, LlmError, Message};
use graphai::{
    Callback, CompiledGraph, Graph, GraphCompileError, GraphEvent, OpenAIApi, Res, State, ToolSet,
    Value, json, node, router,
};

/// The system prompt when the input gives none. (Some servers, such as
/// llama-cpp-python's function-calling format, show the model the tools only
/// when there is a system message.)
pub const SYSTEM: &str = "You are a helpful assistant. Use the tools for arithmetic, the current time and facts about chemical elements, then answer briefly.";

/// The key of the graph's shared state that says the server cannot stream
/// a request with tools, so the LLM node asks for whole answers.
pub const NO_STREAMING: &str = "agent_server_cannot_stream_tools";

/// The steps a run with `tool_rounds` rounds of tool calls takes:
/// `receive`, `llm`, three per round (`route`, `run_tools`, `llm`), then
/// `route` and `answer`. A run that needs more fails with `MaxSteps`.
pub const fn steps_for(tool_rounds: usize) -> usize {
    2 + 3 * tool_rounds + 2
}

/// The agent graph, with `client` and `tools` as its resources, allowing
/// `tool_rounds` rounds of tool calls per run (the graph's `max_steps`;
/// a run may set its own with `graph.run(input).max_steps(n)`).
///
/// # Errors
/// None in practice: the wiring is fixed; `compile()` checks it anyway.
pub fn build(
    client: ChatClient,
    tools: ToolSet,
    tool_rounds: usize,
) -> Result<CompiledGraph, GraphCompileError> {
    Graph::new()
        .max_steps(steps_for(tool_rounds))
        .resource(client)
        .resource(tools)
        .add_node(receive)
        .add_node(llm)
        .add_node(route)
        .add_node(run_tools)
        .add_node(answer)
        .add_edge(receive, llm)
        .add_router([llm], route, [run_tools, answer])
        .add_edge(run_tools, llm)
        .compile()
}

/// A run's input: the question, and optionally a system prompt.
pub fn input(question: &str) -> Value {
    json!({ "question": question })
}

/// Starts the conversation: the system prompt and the user's question.
#[node(start)]
async fn receive(question: String, system: Option<String>) -> Value {
    let system = system.unwrap_or_else(|| SYSTEM.to_owned());
    json!({ "messages": [Message::system(system), Message::user(question)] })
}

/// Asks the model for its next turn, offering it the tools. The text of the
/// turn streams to the callback as it arrives; the turn (text and tool calls)
/// is appended to the conversation.
#[node(stream)]
async fn llm(
    messages: Vec<Message>,
    client: Res<ChatClient>,
    tools: Res<ToolSet>,
    state: State,
    callback: Callback,
) -> graphai::Result<Value> {
    let definitions = tools.schemas(OpenAIApi::Completions);
    let reply = next_turn(&client, &messages, &definitions, &state, &callback).await?;
    let mut messages = messages;
    messages.push(Message::from(reply));
    Ok(json!({ "messages": messages }))
}

/// Streams the turn; a server that cannot stream a request with tools (it
/// answers 200 and sends nothing, as llama-cpp-python does for an automatic
/// tool choice) is asked again for a whole answer, whose text then goes to the
/// callback in one piece. The graph remembers that in its shared state, so
/// later turns and runs ask for whole answers at once.
async fn next_turn(
    client: &ChatClient,
    messages: &[Message],
    definitions: &[Value],
    state: &State,
    callback: &Callback,
) -> graphai::Result<ChatReply> {
    // `run_tools` reports every call with its result, whether streamed or not.
    let request = || {
        client
            .request(messages)
            .tools(definitions)
            .tool_call_events(false)
    };
    if state.get(NO_STREAMING) != Some(Value::Bool(true)) {
        match request().stream(callback).await {
            Err(LlmError::Incomplete { chunks: 0, .. }) => {
                tracing::info!(
                    endpoint = client.endpoint(),
                    "the server sent nothing for a streamed request with tools; asking for whole answers from now on"
                );
                state.insert(NO_STREAMING, true);
                // The server closes the connection of the failed stream, and
                // the client may send the next request on it before it sees
                // that: such a request is sent once more.
                match request().send().await {
                    Err(LlmError::Connect { .. }) => {}
                    other => return finish_whole(other?, callback).await,
                }
            }
            other => return Ok(other?),
        }
    }
    finish_whole(request().send().await?, callback).await
}

/// A whole answer's text goes to the callback in one piece.
async fn finish_whole(reply: ChatReply, callback: &Callback) -> graphai::Result<ChatReply> {
    if !reply.text.is_empty() {
        callback.acall(reply.text.as_str()).await?;
    }
    Ok(reply)
}

/// Runs the tools while the model's last turn called any, else ends the run.
#[router]
async fn route(messages: Vec<Message>) -> Value {
    let calls = messages.last().is_some_and(|m| !m.tool_calls.is_empty());
    json!({ "choice": if calls { "run_tools" } else { "answer" } })
}

/// Runs the tool calls of the model's last turn concurrently and appends
/// their results, in call order, as `tool` messages. A call that fails (an
/// unknown tool, arguments that are not JSON or do not fit, a tool's error
/// or panic) answers with the error's whole text, so the model can correct
/// itself; the run goes on. Each call goes to the callback as a
/// `tool_result` event: the tool's name as token, `id`, `arguments`,
/// `result` and `ok` as params.
#[node(stream)]
async fn run_tools(
    messages: Vec<Message>,
    tools: Res<ToolSet>,
    callback: Callback,
) -> graphai::Result<Value> {
    let calls = messages
        .last()
        .map(|m| m.tool_calls.clone())
        .unwrap_or_default();
    let results = tools
        .call_all(
            calls
                .iter()
                .map(|call| (call.name.as_str(), call.arguments.as_str())),
        )
        .await;
    let mut messages = messages;
    for (call, result) in calls.iter().zip(results) {
        let (content, ok) = match result {
            Ok(Value::String(text)) => (text, true),
            Ok(value) => (value.to_string(), true),
            Err(error) => {
                tracing::info!(tool = %call.name, id = %call.id, "tool call failed: {}", error.report());
                (error.report(), false)
            }
        };
        let event = GraphEvent::new("tool_result")
            .with_token(call.name.as_str())
            .with_param("id", call.id.as_str())
            .with_param("arguments", call.arguments.as_str())
            .with_param("result", content.as_str())
            .with_param("ok", ok);
        callback.emit(event).await?;
        messages.push(Message::tool_result(&call.id, content));
    }
    Ok(json!({ "messages": messages }))
}

/// Ends the run with the model's answer: the text of its last turn.
#[node(end)]
async fn answer(messages: Vec<Message>) -> Value {
    let text = messages
        .last()
        .map(|m| m.content.clone())
        .unwrap_or_default();
    json!({ "answer": text })
}
