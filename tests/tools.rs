//! `ToolSet`: the tool list for a request, and the dispatch of the tool calls
//! an LLM sends back.

use std::sync::Arc;
use std::time::Duration;

use graphai::{
    ArgumentError, Map, OpenAIApi, Res, State, ToolError, ToolSet, Value, json, node, tool,
};

/// Adds two numbers.
#[tool]
fn add(a: f64, b: f64) -> f64 {
    a + b
}

/// Says what time it is in a city (a fixed clock, for tests).
#[tool]
async fn clock(city: String, #[default(false)] seconds: bool) -> String {
    if seconds {
        format!("12:00:00 in {city}")
    } else {
        format!("12:00 in {city}")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no entry for `{0}`")]
struct NotFound(String);

/// Looks a word up in a table.
#[tool]
fn lookup(word: String, table: Res<Vec<(&'static str, &'static str)>>) -> Result<String, NotFound> {
    table
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, meaning)| (*meaning).to_owned())
        .ok_or(NotFound(word))
}

/// Writes down a note in the shared state.
#[tool]
fn note(text: String, state: State) {
    state.insert("note", text);
}

/// Always panics.
#[tool]
fn explode(reason: String) -> String {
    panic!("exploded: {reason}")
}

/// Summarises a text: a node used as a tool.
#[node(start, end)]
async fn summarize(text: String, #[default(3)] words: usize, state: State) -> Value {
    let summary: Vec<&str> = text.split_whitespace().take(words).collect();
    state.insert("summarized", true);
    json!({ "summary": summary.join(" ") })
}

fn table() -> Vec<(&'static str, &'static str)> {
    vec![("graph", "nodes and edges"), ("node", "a step")]
}

fn tools() -> ToolSet {
    ToolSet::new()
        .resource(table())
        .add(add)
        .add(clock)
        .add(lookup)
        .add(note)
        .add(explode)
        .add(summarize)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn schemas_list_every_tool_in_both_openai_forms() {
    let tools = tools();
    assert_eq!(
        tools.names().collect::<Vec<_>>(),
        ["add", "clock", "lookup", "note", "explode", "summarize"]
    );
    let completions = tools.schemas(OpenAIApi::Completions);
    assert_eq!(completions.len(), 6);
    assert_eq!(completions[0]["function"]["name"], "add");
    assert_eq!(
        completions[0]["function"]["parameters"]["required"],
        json!(["a", "b"])
    );
    // A node's schema: its run-state parameters, not `state`.
    assert_eq!(
        completions[5]["function"]["parameters"]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["text".to_owned(), "words".to_owned()])
    );
    let responses = tools.schemas(OpenAIApi::Responses);
    assert_eq!(responses[2]["name"], "lookup");
    assert_eq!(
        responses[2]["parameters"]["properties"],
        json!({ "word": { "type": "string" } })
    );
}

#[test]
fn calls_run_sync_and_async_tools_and_nodes() {
    block_on(async {
        let tools = tools();
        assert_eq!(
            tools.call("add", r#"{"a": 2, "b": 0.5}"#).await.unwrap(),
            json!(2.5)
        );
        assert_eq!(
            tools
                .call("clock", json!({ "city": "Oslo" }))
                .await
                .unwrap(),
            json!("12:00 in Oslo")
        );
        assert_eq!(
            tools
                .call("lookup", r#"{"word": "graph"}"#.to_owned())
                .await
                .unwrap(),
            json!("nodes and edges")
        );
        // A tool that returns nothing shows `null`; the state it wrote stays.
        assert_eq!(
            tools.call("note", r#"{"text": "hi"}"#).await.unwrap(),
            Value::Null
        );
        assert_eq!(tools.state().get("note"), Some(json!("hi")));
        // A node's result is its output object; it shares the tool set's state.
        let summary = tools
            .call("summarize", r#"{"text": "one two three four", "words": 2}"#)
            .await
            .unwrap();
        assert_eq!(summary, json!({ "summary": "one two" }));
        assert_eq!(tools.state().get("summarized"), Some(json!(true)));
    });
}

#[test]
fn an_unknown_tool_lists_the_known_ones() {
    let error = block_on(tools().call("multiply", "{}")).unwrap_err();
    assert!(matches!(&error, ToolError::UnknownTool { name, .. } if name == "multiply"));
    assert_eq!(
        error.to_string(),
        "there is no tool `multiply`: the tools are `add`, `clock`, `lookup`, `note`, `explode`, `summarize`"
    );
    let empty = block_on(ToolSet::new().call("add", "{}")).unwrap_err();
    assert_eq!(
        empty.to_string(),
        "there is no tool `add`: the tool set is empty"
    );
}

#[test]
fn bad_arguments_name_the_tool_the_parameter_and_the_type() {
    block_on(async {
        let tools = tools();
        let not_json = tools.call("add", "{a: 1").await.unwrap_err();
        let ToolError::InvalidArguments { tool, problem } = &not_json else {
            panic!("{not_json:?}");
        };
        assert_eq!(tool, "add");
        assert!(matches!(problem, ArgumentError::NotJson { .. }));
        assert!(
            not_json.to_string().starts_with(
                "tool `add` got bad arguments: the arguments are not JSON (key must be a string"
            ),
            "{not_json}"
        );

        let not_object = tools.call("add", "[1, 2]").await.unwrap_err();
        assert_eq!(
            not_object.to_string(),
            "tool `add` got bad arguments: the arguments must be a JSON object, got an array"
        );

        let missing = tools.call("add", "{}").await.unwrap_err();
        assert_eq!(
            missing.to_string(),
            "tool `add` got bad arguments: missing required arguments: `a`, `b`"
        );

        let mistyped = tools
            .call("add", r#"{"a": "two", "b": 1}"#)
            .await
            .unwrap_err();
        let ToolError::InvalidArguments {
            problem:
                ArgumentError::WrongType {
                    parameter,
                    expected,
                    rust_type,
                    ..
                },
            ..
        } = &mistyped
        else {
            panic!("{mistyped:?}");
        };
        assert_eq!(
            (parameter.as_str(), *expected, rust_type.as_str()),
            ("a", "number", "f64")
        );
        assert!(
            mistyped.to_string().starts_with(
                "tool `add` got bad arguments: argument `a` must be of type number (`f64`): invalid type: string \"two\""
            ),
            "{mistyped}"
        );

        // Empty arguments are no arguments (some servers send "" for a call without any).
        let defaulted = tools.call("clock", "").await.unwrap_err();
        assert_eq!(
            defaulted.to_string(),
            "tool `clock` got bad arguments: missing required arguments: `city`"
        );
    });
}

#[test]
fn the_tools_own_error_is_the_source() {
    let error = block_on(tools().call("lookup", r#"{"word": "edge"}"#)).unwrap_err();
    assert_eq!(error.to_string(), "tool `lookup` failed");
    let source = std::error::Error::source(&error).expect("a source");
    assert!(source.downcast_ref::<NotFound>().is_some(), "{source:?}");
    assert_eq!(error.report(), "tool `lookup` failed: no entry for `edge`");
}

#[test]
fn a_panicking_tool_is_an_error_for_that_call_only() {
    block_on(async {
        let tools = tools();
        let results = tools
            .call_all([
                ("add", r#"{"a": 1, "b": 1}"#),
                ("explode", r#"{"reason": "test"}"#),
                ("clock", r#"{"city": "Rome", "seconds": true}"#),
            ])
            .await;
        assert_eq!(results[0].as_ref().ok(), Some(&json!(2.0)));
        match &results[1] {
            Err(ToolError::Panicked { tool, message }) => {
                assert_eq!(
                    (tool.as_str(), message.as_str()),
                    ("explode", "exploded: test")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(results[2].as_ref().ok(), Some(&json!("12:00:00 in Rome")));
        // The tool set still works after the panic.
        assert!(tools.call("add", r#"{"a": 0, "b": 0}"#).await.is_ok());
    });
}

/// Two calls that each wait until the other has started.
struct Meeting(tokio::sync::Barrier);

/// Waits for the other caller, then answers with its position.
#[tool]
async fn meet(position: u32, meeting: Res<Meeting>) -> u32 {
    meeting.0.wait().await;
    position
}

/// Finishes after `later` has been told to finish.
struct Order {
    first_may_finish: tokio::sync::Notify,
}

/// Waits to be released when `wait` is true; releases the others otherwise.
#[tool]
async fn step(name: String, wait: bool, order: Res<Order>) -> String {
    if wait {
        order.first_may_finish.notified().await;
    } else {
        order.first_may_finish.notify_one();
    }
    name
}

#[test]
fn calls_of_one_turn_run_concurrently_and_come_back_in_call_order() {
    block_on(async {
        let tools = ToolSet::new()
            .resource(Meeting(tokio::sync::Barrier::new(2)))
            .resource(Order {
                first_may_finish: tokio::sync::Notify::new(),
            })
            .add(meet)
            .add(step);
        // Sequential calls would wait at the barrier forever: the guard turns
        // that into a failure instead of a hang.
        let both = tokio::time::timeout(
            Duration::from_secs(10),
            tools.call_all([
                ("meet", r#"{"position": 1}"#),
                ("meet", r#"{"position": 2}"#),
            ]),
        )
        .await
        .expect("the two calls ran concurrently");
        let both: Vec<Value> = both.into_iter().map(Result::unwrap).collect();
        assert_eq!(both, [json!(1), json!(2)]);

        // The first call finishes last; the results are still in call order.
        let ordered = tokio::time::timeout(
            Duration::from_secs(10),
            tools.call_all(vec![
                ("step".to_owned(), json!({ "name": "first", "wait": true })),
                (
                    "step".to_owned(),
                    json!({ "name": "second", "wait": false }),
                ),
            ]),
        )
        .await
        .expect("no call hangs");
        let ordered: Vec<Value> = ordered.into_iter().map(Result::unwrap).collect();
        assert_eq!(ordered, [json!("first"), json!("second")]);
    });
}

#[test]
fn a_missing_resource_is_reported_not_panicked() {
    let tools = ToolSet::new().add(lookup);
    let error = block_on(tools.call("lookup", r#"{"word": "graph"}"#)).unwrap_err();
    assert!(
        matches!(error, ToolError::MissingResource { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(
            "tool `lookup` needs the resource `alloc::vec::Vec<(&str, &str)>` (parameter `table`)"
        ),
        "{error}"
    );
}

#[test]
fn a_tool_set_can_share_a_graphs_resources_and_state() {
    block_on(async {
        let graph = graphai::Graph::new()
            .resource(table())
            .add_node(summarize)
            .compile()
            .unwrap();
        let tools = ToolSet::new()
            .resources(graph.resources())
            .with_state(graph.state().clone())
            .add(lookup)
            .add(summarize);
        assert_eq!(
            tools.call("lookup", r#"{"word": "node"}"#).await.unwrap(),
            json!("a step")
        );
        tools.call("summarize", r#"{"text": "a b"}"#).await.unwrap();
        assert_eq!(graph.get_state().get("summarized"), Some(&json!(true)));
    });
}

#[test]
fn a_later_tool_of_the_same_name_replaces_the_earlier() {
    /// Adds, differently.
    #[tool(name = "add")]
    fn add_again(a: f64) -> f64 {
        a
    }
    let tools = ToolSet::new().add(add).add(add_again);
    assert_eq!(tools.len(), 1);
    assert_eq!(
        block_on(tools.call("add", r#"{"a": 5}"#)).unwrap(),
        json!(5.0)
    );
    assert_eq!(
        tools.get("add").map(|t| t.schema().description()),
        Some("Adds, differently.")
    );
}

#[test]
fn arguments_come_as_text_values_or_maps() {
    block_on(async {
        let tools = ToolSet::new().add(add);
        let mut map = Map::new();
        map.insert("a".into(), json!(1));
        map.insert("b".into(), json!(2));
        let by_ref = json!({ "a": 1, "b": 2 });
        let text = String::from(r#"{"a": 1, "b": 2}"#);
        for result in [
            tools.call("add", map).await,
            tools.call("add", &by_ref).await,
            tools.call("add", &text).await,
        ] {
            assert_eq!(result.unwrap(), json!(3.0));
        }
        assert!(matches!(
            tools.call("add", json!("a string")).await,
            Err(ToolError::InvalidArguments {
                problem: ArgumentError::NotAnObject { found: "a string" },
                ..
            })
        ));
    });
}

#[test]
fn the_body_stays_callable_directly() {
    assert_eq!(add::call(1.0, 2.0), 3.0);
    assert_eq!(
        block_on(clock::call("Paris".into(), false)),
        "12:00 in Paris"
    );
    let table = Res::new(table());
    assert_eq!(lookup::call("node".into(), table).unwrap(), "a step");
    let shared = Arc::new(1_u8);
    assert_eq!(*Res::from_arc(shared.clone()), 1);
}
