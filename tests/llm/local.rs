//! Against a real model: ignored unless asked for. First run
//! `scripts/local-llm.sh` and export the `OPENAI_BASE_URL` and `OPENAI_MODEL`
//! it prints, then `cargo test --features openai --test llm -- --ignored --nocapture`.

use std::time::Duration;

use futures::StreamExt;
use graphai::llm::{ChatClient, Message, ToolChoice};
use graphai::{Callback, Graph, Value, json, node};

use super::receive;

/// The node the module docs show, configured from the environment.
#[node(stream, end)]
async fn local_llm(query: String, callback: Callback) -> graphai::Result<Value> {
    let client = ChatClient::from_env()?
        .with_param("max_tokens", 48)
        .with_param("temperature", 0.0);
    let messages = [
        Message::system("You are a helpful assistant. Answer in one short sentence."),
        Message::user(query),
    ];
    let reply = client.stream_chat(&messages, &callback).await?;
    Ok(json!({ "answer": reply.text, "finish_reason": reply.finish_reason, "model": reply.model }))
}

/// Against a real model. First run `scripts/local-llm.sh` and export the
/// `OPENAI_BASE_URL` and `OPENAI_MODEL` it prints, then
/// `cargo test --features openai --test llm -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "needs a real OpenAI-compatible server: run `scripts/local-llm.sh` and export what it prints"]
async fn a_local_model_streams_through_a_graph() {
    require_local_server();
    let _turn = LOCAL_SERVER.lock().await;
    let graph = Graph::new()
        .add_node(receive)
        .add_node(local_llm)
        .add_edge(receive, local_llm)
        .compile()
        .expect("compiles");
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");
    let printer = stream.inspect(|token| println!("token: {token:?}"));

    let (result, tokens) = tokio::time::timeout(Duration::from_secs(300), async {
        tokio::join!(
            graph.execute_with(
                json!({ "question": "What is the capital of France?" }),
                &callback
            ),
            printer.collect::<Vec<String>>()
        )
    })
    .await
    .expect("the local model answered within five minutes");

    let state = match result {
        Ok(state) => state,
        Err(err) => {
            let mut chain = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                chain.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            panic!("the run failed: {chain}");
        }
    };
    println!("state: {}", json!(state));
    let answer = state["answer"].as_str().expect("an answer");
    assert!(!answer.trim().is_empty(), "the model said nothing");
    assert!(state["finish_reason"].is_string(), "{state:?}");
    let streamed: String = tokens
        .iter()
        .filter(|token| !token.starts_with("<graphai:"))
        .cloned()
        .collect();
    assert_eq!(streamed, answer, "every token went through the callback");
    assert!(
        tokens.len() > 5,
        "the answer came in pieces, not at once: {tokens:?}"
    );
}

/// Runs `future` against the local model, which may be slow on a busy machine.
async fn local_in_time<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(300), future)
        .await
        .expect("the local model answered within five minutes")
}

/// The local tests take turns: llama-cpp-python's server interrupts a
/// streaming answer when another request comes in (it then ends that stream
/// with `[DONE]` and no finish reason).
static LOCAL_SERVER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Fails with what to do when no local server was configured.
fn require_local_server() {
    assert!(
        std::env::var("OPENAI_BASE_URL").is_ok_and(|url| !url.is_empty()),
        "`OPENAI_BASE_URL` is not set: run `scripts/local-llm.sh` first and export the `OPENAI_BASE_URL` and `OPENAI_MODEL` it prints"
    );
}

/// Tools against a real model (`scripts/local-llm.sh` serves SmolLM2-135M
/// with llama-cpp-python's `chatml-function-calling` format). An automatic
/// tool choice is asked for a whole answer, since that server cannot stream
/// one; then the conversation goes on with a tool result; a forced tool call
/// is streamed.
#[tokio::test]
#[ignore = "needs a real OpenAI-compatible server: run `scripts/local-llm.sh` and export what it prints"]
async fn a_local_model_answers_a_tools_request() {
    require_local_server();
    let _turn = LOCAL_SERVER.lock().await;
    // llama-cpp-python refuses `"content": null` in the assistant message
    // that carries the tool calls.
    let client = ChatClient::from_env()
        .expect("configured from the environment")
        .with_param("temperature", 0.0)
        .with_param("max_tokens", 64)
        .with_null_content(false);
    let weather = json!({
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": { "city": { "type": "string", "description": "The city, such as Paris" } },
                "required": ["city"],
            },
        },
    });
    // The chatml-function-calling format shows the tools in the system message.
    let messages = [
        Message::system("You are a helpful assistant. Call a function when it helps."),
        Message::user("What is the weather in Paris?"),
    ];

    let reply = local_in_time(client.request(&messages).tools([&weather]).send())
        .await
        .expect("a whole reply");
    println!("automatic choice: {reply:?}");
    assert!(
        reply.has_tool_calls() || !reply.text.trim().is_empty(),
        "neither a tool call nor text: {reply:?}"
    );
    for call in &reply.tool_calls {
        assert_eq!(call.name, "get_weather", "{reply:?}");
        assert!(!call.id.is_empty(), "{reply:?}");
        let arguments = call.arguments_json().expect("the arguments are JSON");
        assert!(arguments.is_object(), "{arguments}");
    }

    // The conversation goes on with the call and its result.
    if reply.has_tool_calls() {
        let mut conversation = messages.to_vec();
        conversation.push(Message::from(&reply));
        for call in &reply.tool_calls {
            conversation.push(Message::tool_result(
                &call.id,
                r#"{"celsius": 18, "sky": "clear"}"#,
            ));
        }
        let next = local_in_time(client.request(&conversation).tools([&weather]).send())
            .await
            .expect("the server takes the tool results");
        println!("after the tool result: {next:?}");
        assert!(
            next.has_tool_calls() || !next.text.trim().is_empty(),
            "neither a tool call nor text: {next:?}"
        );
    }

    let callback = Callback::new();
    let forced = client
        .request(&messages)
        .tools([&weather])
        .tool_choice(ToolChoice::function("get_weather"))
        .stream(&callback);
    let reply = local_in_time(forced).await.expect("a streamed reply");
    println!("forced choice: {reply:?}");
    assert_eq!(reply.tool_calls.len(), 1, "{reply:?}");
    let call = &reply.tool_calls[0];
    assert_eq!(call.name, "get_weather");
    let arguments = call.arguments_json().expect("the grammar keeps them JSON");
    assert!(arguments["city"].is_string(), "{arguments}");
}
