//! A tool-calling agent: the model answers or calls tools (a calculator, a
//! clock, a table of chemical elements), the graph runs the calls and sends
//! the results back, until the model answers in text, which streams to stdout.
//! The graph is in `graph.rs`, the tools in `tools.rs`.
//!
//! It needs an OpenAI-compatible chat-completions server with tool calls
//! (the `openai` feature):
//!
//! ```text
//! scripts/local-llm.sh        # a small local model (SmolLM2-135M); prints the exports
//! export OPENAI_BASE_URL=http://127.0.0.1:8088/v1 OPENAI_MODEL=smollm2-135m-instruct
//! cargo run --example agent --features openai
//! cargo run --example agent --features openai -- "What is the atomic mass of gold times 3?"
//! ```
//!
//! Against OpenAI: `OPENAI_API_KEY=sk-.. OPENAI_MODEL=gpt-4o-mini cargo run --example agent
//! --features openai` (`OPENAI_BASE_URL` defaults to `https://api.openai.com/v1`).
//! `AGENT_TOOL_ROUNDS` (default 4) bounds the rounds of tool calls per question.
//! Without a reachable server it says so and exits with 1.

mod graph;
mod tools;

use std::io::Write;
use std::process::ExitCode;

use futures::StreamExt;
use graphai::llm::{ChatClient, LlmError};
use graphai::{Callback, EventStream, EventType, GraphError, GraphEvent, Value};

/// Prints the model's text as it streams and one line per tool call.
async fn print_events(mut events: EventStream) {
    let mut stdout = std::io::stdout();
    let mut in_text = false;
    while let Some(event) = events.next().await {
        let text = match &event.r#type {
            EventType::Callback => match event.token {
                Some(token) if in_text => token,
                Some(token) => {
                    in_text = true;
                    format!("assistant: {token}")
                }
                None => continue,
            },
            EventType::EndNode if in_text => {
                in_text = false;
                "\n".to_owned()
            }
            EventType::Custom(kind) if kind == "tool_result" => tool_line(&event),
            _ => continue,
        };
        // A closed stdout (`| head`) only stops the printing, not the run.
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }
}

/// `  tool calculate {"expression":"2*3"} -> 6`
fn tool_line(event: &GraphEvent) -> String {
    let param = |key: &str| {
        event
            .params
            .as_ref()
            .and_then(|p| p.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let arrow = if param("ok") == Value::Bool(true) {
        "->"
    } else {
        "-> error:"
    };
    format!(
        "  tool {} {} {arrow} {}\n",
        event.token.as_deref().unwrap_or_default(),
        param("arguments").as_str().unwrap_or_default(),
        param("result").as_str().unwrap_or_default(),
    )
}

/// Prints `err` with its causes, and a hint when the server was unreachable
/// (returned: then no other question can be answered either).
fn report(err: &(dyn std::error::Error + 'static)) -> bool {
    eprintln!("error: {err}");
    let mut unreachable = matches!(
        err.downcast_ref::<LlmError>(),
        Some(LlmError::Connect { .. })
    );
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
            "hint: start a local model with `scripts/local-llm.sh` and export the `OPENAI_BASE_URL` and `OPENAI_MODEL` it prints, or set `OPENAI_API_KEY` and `OPENAI_MODEL` to use OpenAI"
        );
    }
    if matches!(
        err.downcast_ref::<GraphError>(),
        Some(GraphError::MaxSteps { .. })
    ) {
        eprintln!(
            "hint: the model was still calling tools; a higher `AGENT_TOOL_ROUNDS` (default 4) allows more rounds"
        );
    }
    unreachable
}

/// `AGENT_TOOL_ROUNDS`, default 4; `None` when it is not a number.
fn tool_rounds() -> Option<usize> {
    match std::env::var("AGENT_TOOL_ROUNDS") {
        Err(_) => Some(4),
        Ok(text) => text.trim().parse().ok(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    graphai::logging::init();
    // llama-cpp-python refuses `"content": null` in an assistant message
    // that calls tools; `""` works with every server.
    let client = match ChatClient::from_env() {
        Ok(client) => client
            .with_null_content(false)
            .with_param("max_tokens", 512),
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };
    let Some(tool_rounds) = tool_rounds() else {
        eprintln!("error: `AGENT_TOOL_ROUNDS` is not a number of rounds, such as 4");
        return ExitCode::FAILURE;
    };
    let mut questions: Vec<String> = std::env::args().skip(1).collect();
    if questions.is_empty() {
        questions = vec![
            "What is 17.5 * (3 + 4.25)?".to_owned(),
            "What is the atomic mass of iron, and what time is it now in UTC?".to_owned(),
        ];
    }
    let graph = match graph::build(client, tools::tools(), tool_rounds) {
        Ok(graph) => graph,
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };

    let mut failed = false;
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
        let run = graph
            .run(graph::input(&question))
            .callback(&callback)
            .detailed();
        let (result, ()) = tokio::join!(run, print_events(events));
        match result {
            Ok(output) if output.state["answer"] == "" => {
                println!(
                    "(the model answered with no text, after {} steps)",
                    output.steps
                );
            }
            Ok(output) => println!("({} steps)", output.steps),
            // An unreachable server fails every question: stop at the first.
            Err(err) if report(&err) => return ExitCode::FAILURE,
            Err(_) => failed = true,
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
