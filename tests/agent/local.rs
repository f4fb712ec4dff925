//! The agent against a real model: ignored unless asked for. First run
//! `scripts/local-llm.sh` and export the `OPENAI_BASE_URL` and `OPENAI_MODEL`
//! it prints, then `cargo test --features openai --test agent -- --ignored --nocapture`.

use std::time::Duration;

use futures::StreamExt;
use graphai::llm::ChatClient;
use graphai::{Callback, EventType, GraphError};

use super::{graph, tool_results, tools};

/// The question, the tools the model calls and what they return, and how the
/// run ends: with an answer, or (a tiny model that keeps calling tools) with
/// the max-steps error. Any other error, such as a server that refuses the
/// conversation the agent sends, fails the test.
#[tokio::test]
#[ignore = "needs a real OpenAI-compatible server: run `scripts/local-llm.sh` and export what it prints"]
async fn the_agent_runs_against_a_real_model() {
    assert!(
        std::env::var("OPENAI_BASE_URL").is_ok_and(|url| !url.is_empty()),
        "`OPENAI_BASE_URL` is not set: run `scripts/local-llm.sh` first and export the `OPENAI_BASE_URL` and `OPENAI_MODEL` it prints"
    );
    let client = ChatClient::from_env()
        .expect("configured from the environment")
        .with_null_content(false)
        .with_param("temperature", 0.0)
        .with_param("max_tokens", 96);
    let graph = graph::build(client, tools::tools(), 2).expect("compiles");

    for question in [
        "What is 17.5 * (3 + 4.25)?",
        "What is the atomic number of gold?",
        "What time is it?",
    ] {
        println!("> {question}");
        let callback = Callback::new();
        let events = callback.events().expect("a free stream");
        let printed = events.inspect(|event| match (&event.r#type, &event.token) {
            (EventType::Callback, Some(token)) => println!("  text: {token:?}"),
            (EventType::Custom(kind), Some(tool)) if kind == "tool_result" => {
                let params = event.params.clone().unwrap_or_default();
                println!(
                    "  tool {tool} {} -> {}",
                    params["arguments"], params["result"]
                );
            }
            _ => {}
        });
        let (result, events) = tokio::time::timeout(Duration::from_secs(600), async {
            tokio::join!(
                graph
                    .run(graph::input(question))
                    .callback(&callback)
                    .detailed(),
                printed.collect::<Vec<_>>()
            )
        })
        .await
        .expect("the local model answered within ten minutes");

        let calls = tool_results(&events);
        match result {
            Ok(output) => {
                println!(
                    "  answer after {} steps: {}",
                    output.steps, output.state["answer"]
                );
                let answer = output.state["answer"].as_str().expect("an answer");
                assert!(!answer.trim().is_empty(), "the model said nothing");
                let messages = output.state["messages"].as_array().expect("messages");
                let asked: usize = messages
                    .iter()
                    .filter_map(|m| m["tool_calls"].as_array())
                    .map(Vec::len)
                    .sum();
                assert_eq!(asked, calls.len(), "every call was run and reported");
            }
            Err(GraphError::MaxSteps { limit, .. }) => {
                println!("  no answer: still calling tools after {limit} steps");
                assert_eq!(limit, graph::steps_for(2));
                assert!(
                    calls.len() >= 3,
                    "three turns of calls, each run: {calls:?}"
                );
            }
            Err(err) => {
                let mut chain = err.to_string();
                let mut source = std::error::Error::source(&err);
                while let Some(cause) = source {
                    chain.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                panic!("the run failed: {chain}");
            }
        }
    }
    println!(
        "the server streams requests with tools: {}",
        graph.get_state().get(graph::NO_STREAMING).is_none()
    );
}
