//! A router + LLM graph: `route` sends arithmetic to the `calculator` node and
//! everything else to the `chat` node, which streams the model's answer to
//! stdout token by token through the callback.
//!
//! It needs an OpenAI-compatible chat-completions server (the `openai` feature):
//!
//! ```text
//! scripts/local-llm.sh        # a small local model (SmolLM2-135M); prints the exports
//! export OPENAI_BASE_URL=http://127.0.0.1:8088/v1 OPENAI_MODEL=smollm2-135m-instruct
//! cargo run --example chat --features openai
//! cargo run --example chat --features openai -- "Why is the sky blue?" "2 * (3 + 4)"
//! ```
//!
//! Against OpenAI: `OPENAI_API_KEY=sk-.. OPENAI_MODEL=gpt-4o-mini cargo run --example chat
//! --features openai` (`OPENAI_BASE_URL` defaults to `https://api.openai.com/v1`). Any
//! llama.cpp, Ollama or vLLM server works the same way. Without arguments it asks one
//! question per route. When the server cannot be reached it says so and exits with 1.
//! `GRAPHAI_LOG_LEVEL=info` (or `RUST_LOG=graphai::llm=info`) logs each request's
//! span as it closes, with its `gen_ai.*` fields.

use std::io::Write;
use std::process::ExitCode;

use futures::StreamExt;
use graphai::llm::{ChatClient, LlmError, Message};
use graphai::{Callback, EventStream, EventType, Graph, Res, Value, json, node, router};

#[path = "support/calc.rs"]
mod calc;

#[node(start)]
async fn receive(question: String) -> Value {
    json!({ "question": question.trim() })
}

/// Arithmetic goes to the calculator, anything else to the model.
#[router]
async fn route(question: String) -> Value {
    let choice = if calc::evaluate(&question).is_some() {
        "calculator"
    } else {
        "chat"
    };
    json!({ "choice": choice })
}

/// Asks the model; every piece of its answer goes to the callback as it arrives.
/// The client is the graph's resource, built once in `main`: every question
/// reuses its connections instead of opening new ones.
#[node(stream, end)]
async fn chat(
    question: String,
    client: Res<ChatClient>,
    callback: Callback,
) -> graphai::Result<Value> {
    let messages = [
        Message::system("You are a helpful assistant. Answer briefly."),
        Message::user(question),
    ];
    let reply = client.stream_chat(&messages, &callback).await?;
    Ok(json!({ "answer": reply.text, "finish_reason": reply.finish_reason }))
}

/// Evaluates `+ - * /` and parentheses without asking anyone.
#[node(end)]
async fn calculator(question: String) -> graphai::Result<Value> {
    let value = calc::evaluate(&question).ok_or("not an arithmetic expression")?;
    Ok(json!({ "answer": value }))
}

/// Prints the chat node's tokens as they arrive; returns whether it printed any.
async fn print_tokens(mut events: EventStream) -> bool {
    let mut printed = false;
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next().await {
        let text = match (&event.r#type, event.token) {
            (EventType::Callback, Some(token)) if !printed => format!("assistant: {token}"),
            (EventType::Callback, Some(token)) => token,
            (EventType::EndNode, _) if printed => "\n".to_owned(),
            _ => continue,
        };
        printed = true;
        // A closed stdout (`| head`) only stops the printing, not the run.
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }
    printed
}

/// Prints `err` with its causes, and a hint when the server was unreachable.
fn report(err: &(dyn std::error::Error + 'static)) {
    eprintln!("error: {err}");
    let mut unreachable = false;
    let mut source = err.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        unreachable |= matches!(
            cause.downcast_ref::<LlmError>(),
            Some(LlmError::Connect { .. })
        );
        source = cause.source();
    }
    if unreachable {
        eprintln!(
            "hint: start a local model with `scripts/local-llm.sh` and export the `OPENAI_BASE_URL` it prints, or set `OPENAI_API_KEY` and `OPENAI_MODEL` to use OpenAI"
        );
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    graphai::logging::init();
    // Build the client once (and say what is missing before anything else).
    let client = match ChatClient::from_env() {
        Ok(client) => client.with_param("max_tokens", 256),
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };
    let mut questions: Vec<String> = std::env::args().skip(1).collect();
    if questions.is_empty() {
        questions = vec![
            "What is the capital of France?".to_owned(),
            "12 * (3 + 4) - 5 / 2".to_owned(),
        ];
    }
    let graph = match Graph::new()
        .resource(client)
        .add_node(receive)
        .add_node(route)
        .add_node(chat)
        .add_node(calculator)
        .add_router([receive], route, [chat, calculator])
        .compile()
    {
        Ok(graph) => graph,
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };

    for question in questions {
        println!("> {question}");
        let callback = Callback::new();
        let events = match callback.events() {
            Ok(events) => events,
            Err(err) => {
                report(&err);
                return ExitCode::FAILURE;
            }
        };
        let (result, streamed) = tokio::join!(
            graph.execute_with(json!({ "question": question }), &callback),
            print_tokens(events),
        );
        match result {
            Ok(state) if !streamed => println!("calculator: {}", state["answer"]),
            Ok(_) => {}
            Err(err) => {
                if streamed {
                    println!();
                }
                report(&err);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
