//! Bad input at the graph level. A tool call that fails (no such tool,
//! arguments that are not JSON or do not fit, a tool's error or panic) is answered
//! with the error's text as the tool's result, so the model can correct
//! itself, and the run goes on; a model that never stops calling tools is
//! stopped by `max_steps`; a malformed call from the server fails the run.

use graphai::{GraphError, ToolSet, tool};

use super::mock_openai::{Server, Turn, within};
use super::{CALL_A, CALL_B, agent, agent_with, ask, asked, opening, text_turn, tool_message};

/// A turn that calls `name` with `arguments`, sent in one piece.
fn call_turn(name: &str, arguments: &str) -> Turn {
    Turn::with_usage(180, 20)
        .role_and_call(0, CALL_A, name, arguments)
        .finish("tool_calls")
}

/// Runs a model that calls `name` with `arguments`, then answers `Sorry.`:
/// checks that the run answered and the call was reported as failed, and
/// returns what the tool message of the second request told the model.
async fn tool_message_after(name: &str, arguments: &str) -> String {
    let server = Server::start_many(vec![
        call_turn(name, arguments).reply(),
        text_turn(&["Sorry."]).reply(),
    ])
    .await;
    let graph = agent(&server, 1);
    let (result, events) = ask(&graph, "Go.").await;
    assert_eq!(
        result
            .expect("a failed tool call does not fail the run")
            .state["answer"],
        "Sorry."
    );
    let results = super::tool_results(&events);
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(!results[0].3, "the event says the call failed");

    let messages = server.seen()[1].body["messages"].clone();
    let mut expected = opening("Go.");
    expected.push(asked(&[(CALL_A, name, arguments)]));
    assert_eq!(
        messages.as_array().map(|m| &m[..3]),
        Some(&expected[..]),
        "{messages}"
    );
    assert_eq!(messages[3]["role"], "tool");
    assert_eq!(messages[3]["tool_call_id"], CALL_A);
    assert_eq!(
        messages[3]["content"], results[0].2,
        "the event shows what the model is told"
    );
    messages[3]["content"].as_str().expect("text").to_owned()
}

#[tokio::test]
async fn a_call_of_an_unknown_tool_tells_the_model_the_tools_there_are() {
    assert_eq!(
        tool_message_after("get_weather", r#"{"city": "Oslo"}"#).await,
        "there is no tool `get_weather`: the tools are `calculate`, `clock`, `element`"
    );
}

#[tokio::test]
async fn arguments_that_are_not_json_are_refused_with_the_syntax_error() {
    assert_eq!(
        tool_message_after("calculate", r#"{"expression": "1 + 2""#).await,
        r#"tool `calculate` got bad arguments: the arguments are not JSON (EOF while parsing an object at line 1 column 22); send a JSON object such as {"name": value}"#
    );
}

#[tokio::test]
async fn arguments_that_do_not_fit_name_the_parameter_and_its_type() {
    assert_eq!(
        tool_message_after("calculate", r#"{"expression": 12}"#).await,
        "tool `calculate` got bad arguments: argument `expression` must be of type string (`String`): invalid type: integer `12`, expected a string"
    );
    assert_eq!(
        tool_message_after("element", "{}").await,
        "tool `element` got bad arguments: missing required arguments: `name`"
    );
}

#[tokio::test]
async fn a_tools_own_error_is_its_result() {
    assert_eq!(
        tool_message_after("element", r#"{"name": "unobtainium"}"#).await,
        "tool `element` failed: no element `unobtainium` in the table; it knows hydrogen, helium, lithium, beryllium, boron, carbon, nitrogen, oxygen, fluorine, neon, sodium, magnesium, aluminium, silicon, phosphorus, sulfur, chlorine, argon, potassium, calcium, iron, copper, silver, gold, mercury, lead, uranium"
    );
}

/// Panics whatever it is asked.
#[tool]
fn explode() -> String {
    panic!("the fuse was lit")
}

#[tokio::test]
async fn a_tool_that_panics_fails_its_call_only_and_the_run_goes_on() {
    let calls = Turn::with_usage(180, 20)
        .role_and_call(0, CALL_A, "explode", "{}")
        .call(1, CALL_B, "calculate", r#"{"expression": "6 * 7"}"#)
        .finish("tool_calls");
    let server = Server::start_many(vec![calls.reply(), text_turn(&["It is 42."]).reply()]).await;
    let tools = ToolSet::new().add(explode).add(super::tools::calculate);
    let graph = agent_with(&server, tools, 1);

    let (result, events) = ask(&graph, "Light it.").await;
    assert_eq!(
        result.expect("the run goes on").state["answer"],
        "It is 42."
    );
    let messages = &server.seen()[1].body["messages"];
    assert_eq!(
        messages[3],
        tool_message(CALL_A, "tool `explode` panicked: the fuse was lit")
    );
    assert_eq!(
        messages[4],
        tool_message(CALL_B, "42.0"),
        "the other call of the turn ran"
    );
    let ok: Vec<bool> = super::tool_results(&events).iter().map(|r| r.3).collect();
    assert_eq!(ok, [false, true]);

    // The graph is as good as new.
    let (result, _) = ask(&graph, "Again.").await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_model_that_calls_tools_forever_is_stopped_by_max_steps() {
    // Every turn of the mock calls the clock again.
    let server = Server::start(call_turn("clock", "{}").reply()).await;
    let graph = agent(&server, 2);

    let (result, events) = ask(&graph, "Loop.").await;
    let err = result.expect_err("it never answers");
    assert!(
        matches!(&err, GraphError::MaxSteps { limit: 10, node, branch: None } if node == "run_tools"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "max steps reached at node `run_tools`: a path of the run reached the limit of 10 steps without reaching an end node; raise the limit with `Graph::max_steps` (or `max_steps: N` in `graph!`) if the graph really needs more"
    );
    assert_eq!(
        server.seen().len(),
        3,
        "steps_for(2) lets the model take three turns"
    );
    assert_eq!(super::tool_results(&events).len(), 3);
    let error = events
        .iter()
        .find(|e| e.r#type == graphai::EventType::Error)
        .expect("the callback got the error");
    assert!(
        error.params.as_ref().expect("params")["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("max steps reached")),
        "{error:?}"
    );
    assert_eq!(
        events.last().map(|e| &e.r#type),
        Some(&graphai::EventType::End),
        "the stream ends: no consumer waits forever"
    );

    // A run may set its own limit.
    let err = within(
        graph
            .run(super::graph::input("Loop."))
            .max_steps(5)
            .execute(),
    )
    .await
    .expect_err("it never answers");
    assert!(
        matches!(&err, GraphError::MaxSteps { limit: 5, .. }),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 5, "two more turns");
}

#[tokio::test]
async fn a_malformed_call_from_the_server_fails_the_run_naming_the_llm_node() {
    let broken = Turn::with_usage(180, 20)
        .role_and_call(0, CALL_A, "clock", "{}")
        .arguments(1, "{}")
        .finish("tool_calls");
    let server = Server::start(broken.reply()).await;
    let graph = agent(&server, 1);

    let (result, _) = ask(&graph, "Go.").await;
    let err = result.expect_err("the model's turn cannot be read");
    assert!(
        matches!(&err, GraphError::Node { node, .. } if node == "llm"),
        "{err:?}"
    );
    let source = std::error::Error::source(&err).expect("the client's error");
    assert_eq!(
        source.to_string(),
        format!(
            "the LLM server at {} sent a malformed tool call (tool call 1, in chunk 2): {}",
            server.endpoint(),
            "its first delta has no `function.name`: a call must be introduced with its name and id before its arguments arrive"
        )
    );
    assert_eq!(server.seen().len(), 1, "no tool ran, nothing was sent back");
}
