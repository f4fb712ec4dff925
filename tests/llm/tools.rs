//! Tool calls against the mock server: tools in the request, streamed
//! `tool_calls` deltas put together, whole completions, the conversation
//! going on with tool results, and malformed deltas.

use futures::StreamExt;
use graphai::llm::{ChatReply, LlmError, Message, ToolCall, ToolChoice, Usage};
use graphai::{Callback, EventType, Graph, GraphEvent, Value, json, node};

use super::mock_openai::{
    ANSWERING_MODEL, COMPLETION_ID, Reply, Server, Turn, tokens_of, tool, within,
};

const CALL_A: &str = "call_F9ZaqPWo69u0urxAhVt8meDW";
const CALL_B: &str = "call_3xMKqJbuMbq2e2zY7rJ3ot0L";

/// The usage the mock reports: 61 prompt and 16 completion tokens.
fn usage() -> Usage {
    serde_json::from_value(
        json!({ "prompt_tokens": 61, "completion_tokens": 16, "total_tokens": 77 }),
    )
    .expect("a usage")
}

/// A call of `get_weather` for Paris, its arguments in seven pieces, as a
/// captured OpenAI stream has them.
fn weather_turn() -> Turn {
    Turn::with_usage(61, 16)
        .role_and_call(0, CALL_A, "get_weather", "")
        .arguments(0, "{\"")
        .arguments(0, "city")
        .arguments(0, "\":\"")
        .arguments(0, "Par")
        .arguments(0, "is")
        .arguments(0, "\"}")
        .finish("tool_calls")
}

/// Streams one turn with the weather tool; returns the reply and the tokens.
async fn stream_turn(server: &Server) -> (Result<ChatReply, LlmError>, Vec<String>) {
    let client = server.client();
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");
    let messages = [Message::user("Weather in Paris?")];
    let result = within(
        client
            .request(&messages)
            .tools([tool("get_weather", "city")])
            .stream(&callback),
    )
    .await;
    (result, tokens_of(&callback, stream).await)
}

#[tokio::test]
async fn a_streamed_tool_call_is_put_together_from_its_pieces() {
    let server = Server::start(weather_turn().reply()).await;
    let (result, tokens) = stream_turn(&server).await;
    let reply = result.expect("a complete reply");

    assert_eq!(
        reply.tool_calls,
        [ToolCall::new(CALL_A, "get_weather", "{\"city\":\"Paris\"}")]
    );
    assert_eq!(
        reply.tool_calls[0].arguments_json().expect("JSON"),
        json!({ "city": "Paris" })
    );
    assert_eq!(reply.text, "", "a turn of tool calls only has no text");
    assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(reply.usage, Some(usage()));
    assert_eq!(reply.model.as_deref(), Some(ANSWERING_MODEL));
    assert_eq!(reply.id.as_deref(), Some(COMPLETION_ID));
    assert_eq!(
        tokens,
        [
            format!("<graphai:tool_call:get_weather:id={CALL_A},arguments={{\"city\":\"Paris\"}}>"),
            "<graphai:END:>".to_owned(),
        ],
        "no piece of the call goes to the callback as text; the whole call goes as one event"
    );

    let body = &server.seen()[0].body;
    assert_eq!(body["tools"], json!([tool("get_weather", "city")]));
    assert_eq!(
        body["tool_choice"], "auto",
        "said out loud for servers that need it"
    );
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({ "include_usage": true }));
}

#[tokio::test]
async fn tool_call_events_can_be_turned_off() {
    let server = Server::start(weather_turn().reply()).await;
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");
    let messages = [Message::user("Weather in Paris?")];
    let reply = within(
        server
            .client()
            .request(&messages)
            .tools([tool("get_weather", "city")])
            .tool_call_events(false)
            .stream(&callback),
    )
    .await
    .expect("a complete reply");
    assert_eq!(reply.tool_calls.len(), 1, "the reply still has the call");
    assert_eq!(tokens_of(&callback, stream).await, ["<graphai:END:>"]);
}

#[tokio::test]
async fn arguments_cut_anywhere_between_tcp_writes_arrive_whole() {
    let arguments = ["{\"city\":", " \"Z\u{fc}rich", " \u{1F3D4}\u{fe0f}", "\"}"];
    let mut turn = Turn::with_usage(61, 16)
        .role_and_call(0, CALL_A, "get_weather", "")
        .arguments(0, arguments[0]);
    for piece in &arguments[1..] {
        turn = turn.arguments(0, piece);
    }
    let turn = turn.finish("tool_calls");
    // Every write is 7 bytes: frames, JSON strings and the characters ü and
    // 🏔 are cut in the middle, some of them more than once.
    let server = Server::start(Reply::Stream(turn.split_every(7))).await;
    let (result, _) = stream_turn(&server).await;
    let reply = result.expect("a complete reply");
    assert_eq!(
        reply.tool_calls[0].arguments,
        "{\"city\": \"Z\u{fc}rich \u{1F3D4}\u{fe0f}\"}"
    );
    assert_eq!(
        reply.tool_calls[0].arguments_json().expect("JSON")["city"],
        "Z\u{fc}rich \u{1F3D4}\u{fe0f}"
    );
    assert_eq!(reply.usage, Some(usage()));
}

#[tokio::test]
async fn two_calls_in_one_turn_come_back_in_index_order() {
    // As OpenAI sends parallel calls: one after the other.
    let in_turn = Turn::with_usage(61, 16)
        .role_and_call(0, CALL_A, "get_weather", "")
        .arguments(0, "{\"city\": \"Paris\"}")
        .call(1, CALL_B, "get_time", "")
        .arguments(1, "{\"zone\": ")
        .arguments(1, "\"CET\"}")
        .finish("tool_calls");
    // And interleaved, the second call introduced first: what a server may do.
    let interleaved = Turn::with_usage(61, 16)
        .role_and_call(1, CALL_B, "get_time", "{\"zone\": ")
        .call(0, CALL_A, "get_weather", "{\"city\"")
        .arguments(1, "\"CET\"}")
        .arguments(0, ": \"Paris\"}")
        .finish("tool_calls");
    for turn in [in_turn, interleaved] {
        let server = Server::start(turn.reply()).await;
        let (result, tokens) = stream_turn(&server).await;
        let reply = result.expect("a complete reply");
        assert_eq!(
            reply.tool_calls,
            [
                ToolCall::new(CALL_A, "get_weather", "{\"city\": \"Paris\"}"),
                ToolCall::new(CALL_B, "get_time", "{\"zone\": \"CET\"}"),
            ]
        );
        assert_eq!(
            tokens,
            [
                format!(
                    "<graphai:tool_call:get_weather:id={CALL_A},arguments={{\"city\": \"Paris\"}}>"
                ),
                format!("<graphai:tool_call:get_time:id={CALL_B},arguments={{\"zone\": \"CET\"}}>"),
                "<graphai:END:>".to_owned(),
            ]
        );
    }
}

#[tokio::test]
async fn text_then_a_tool_call_in_one_turn_streams_the_text() {
    let turn = Turn::with_usage(61, 16)
        .role()
        .content("Let me")
        .content(" check.")
        .call(0, CALL_A, "get_weather", "")
        .arguments(0, "{\"city\":\"Paris\"}")
        .finish("tool_calls");
    let server = Server::start(turn.reply()).await;
    let (result, tokens) = stream_turn(&server).await;
    let reply = result.expect("a complete reply");
    assert_eq!(reply.text, "Let me check.");
    assert_eq!(
        reply.tool_calls,
        [ToolCall::new(CALL_A, "get_weather", "{\"city\":\"Paris\"}")]
    );
    assert_eq!(
        tokens,
        [
            "Let me".to_owned(),
            " check.".to_owned(),
            format!("<graphai:tool_call:get_weather:id={CALL_A},arguments={{\"city\":\"Paris\"}}>"),
            "<graphai:END:>".to_owned(),
        ]
    );
    assert_eq!(
        json!(Message::from(&reply)),
        json!({
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{
                "id": CALL_A,
                "type": "function",
                "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" },
            }],
        })
    );
}

#[tokio::test]
async fn a_call_without_arguments_reads_as_an_empty_object() {
    for sent in ["{}", ""] {
        let turn = Turn::with_usage(40, 5)
            .role_and_call(0, CALL_A, "clock", sent)
            .finish("tool_calls");
        let server = Server::start(turn.reply()).await;
        let (result, _) = stream_turn(&server).await;
        let reply = result.expect("a complete reply");
        assert_eq!(reply.tool_calls, [ToolCall::new(CALL_A, "clock", sent)]);
        assert_eq!(reply.tool_calls[0].arguments_json().expect("{}"), json!({}));
    }
}

#[tokio::test]
async fn malformed_tool_call_deltas_are_clear_errors() {
    let never_introduced = Turn::with_usage(61, 16)
        .role_and_call(0, CALL_A, "get_weather", "{\"city\":\"Paris\"}")
        .arguments(1, "{\"zone\":\"CET\"}")
        .finish("tool_calls");
    let not_a_string = Turn::with_usage(61, 16)
        .role()
        .delta(json!({ "tool_calls": [{ "index": 0, "id": CALL_A, "type": "function", "function": { "name": "get_weather", "arguments": { "city": "Paris" } } }] }))
        .finish("tool_calls");
    let no_id = Turn::with_usage(61, 16)
        .role()
        .delta(json!({ "tool_calls": [{ "index": 0, "type": "function", "function": { "name": "get_weather", "arguments": "" } }] }))
        .arguments(0, "{\"city\":\"Paris\"}")
        .finish("tool_calls");
    let no_index = Turn::with_usage(61, 16)
        .role()
        .delta(json!({ "tool_calls": [{ "id": CALL_A, "type": "function", "function": { "name": "get_weather", "arguments": "{}" } }] }))
        .finish("tool_calls");
    let cases = [
        (
            never_introduced,
            "(tool call 1, in chunk 2): its first delta has no `function.name`: a call must be introduced with its name and id before its arguments arrive",
        ),
        (
            not_a_string,
            "(tool call 0, in chunk 2): its `function.arguments` is an object (`{\"city\":\"Paris\"}`), not a string: the arguments must come as a string of JSON text",
        ),
        (
            no_id,
            "(tool call 0): the call to `get_weather` never got an `id`, so its result could not be sent back",
        ),
        (
            no_index,
            "(in chunk 2): a `tool_calls` delta has no `index`, so it cannot be told which call it belongs to",
        ),
    ];
    for (turn, expected) in cases {
        let server = Server::start(turn.reply()).await;
        let (result, tokens) = stream_turn(&server).await;
        let err = result.unwrap_err();
        assert!(matches!(err, LlmError::InvalidToolCall { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "the LLM server at {} sent a malformed tool call {expected}",
                server.endpoint()
            )
        );
        assert_eq!(
            tokens,
            ["<graphai:END:>"],
            "no half call went to the callback"
        );
    }
}

/// A whole completion whose message calls two tools, as OpenAI answers
/// `"stream": false`.
fn whole_completion() -> String {
    json!({
        "id": COMPLETION_ID,
        "object": "chat.completion",
        "created": 1_727_894_187,
        "model": ANSWERING_MODEL,
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [
                    { "id": CALL_A, "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } },
                    { "id": CALL_B, "type": "function", "function": { "name": "get_time", "arguments": "{}" } },
                ],
                "refusal": null,
            },
            "logprobs": null,
            "finish_reason": "tool_calls",
        }],
        "usage": { "prompt_tokens": 61, "completion_tokens": 16, "total_tokens": 77 },
        "system_fingerprint": "fp_f85bea6784",
    })
    .to_string()
}

#[tokio::test]
async fn a_whole_completion_carries_its_tool_calls() {
    let server = Server::start(Reply::Json(whole_completion())).await;
    let client = server.client().with_param("temperature", 0);
    let messages = [Message::user("Weather and time in Paris?")];
    let reply = within(
        client
            .request(&messages)
            .tools([tool("get_weather", "city"), tool("get_time", "zone")])
            .tool_choice(ToolChoice::Required)
            .send(),
    )
    .await
    .expect("a whole reply");
    assert_eq!(
        reply.tool_calls,
        [
            ToolCall::new(CALL_A, "get_weather", "{\"city\":\"Paris\"}"),
            ToolCall::new(CALL_B, "get_time", "{}"),
        ]
    );
    assert_eq!(reply.text, "");
    assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(reply.usage, Some(usage()));

    let seen = &server.seen()[0];
    assert_eq!(seen.accept.as_deref(), Some("application/json"));
    assert_eq!(seen.body["stream"], false);
    assert_eq!(seen.body["tool_choice"], "required");
    assert!(
        seen.body.get("stream_options").is_none(),
        "OpenAI refuses it without `stream`"
    );
}

#[tokio::test]
async fn a_malformed_call_in_a_whole_completion_is_a_clear_error() {
    let body = whole_completion().replace(&format!("\"id\":\"{CALL_B}\","), "");
    let server = Server::start(Reply::Json(body)).await;
    let err = within(server.client().chat(&[Message::user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the LLM server at {} sent a malformed tool call (tool call 1): it has no `id`",
            server.endpoint()
        )
    );
}

#[tokio::test]
async fn a_server_that_ignores_stream_is_read_all_the_same() {
    // Asked to stream, it answers whole: the text still reaches the callback.
    let whole = json!({
        "id": COMPLETION_ID, "object": "chat.completion", "model": ANSWERING_MODEL,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Hi there." }, "finish_reason": "stop" }],
    });
    let server = Server::start(Reply::Json(whole.to_string())).await;
    let callback = Callback::new();
    let stream = callback.aiter().expect("free stream");
    let reply = within(
        server
            .client()
            .stream_chat(&[Message::user("hi")], &callback),
    )
    .await
    .expect("a reply");
    assert_eq!(reply.text, "Hi there.");
    assert_eq!(
        tokens_of(&callback, stream).await,
        ["Hi there.", "<graphai:END:>"]
    );

    // Asked for a whole answer, it streams.
    let server = Server::start(weather_turn().reply()).await;
    let reply = within(server.client().chat(&[Message::user("hi")]))
        .await
        .expect("a reply");
    assert_eq!(reply.tool_calls[0].arguments, "{\"city\":\"Paris\"}");
}

#[tokio::test]
async fn the_conversation_goes_on_with_the_tool_results() {
    let answer = Turn::with_usage(90, 8)
        .role()
        .content("It is 18 \u{b0}C in Paris.")
        .finish("stop");
    let server = Server::start_many(vec![weather_turn().reply(), answer.reply()]).await;
    let client = server.client();
    let tools = [tool("get_weather", "city")];
    let callback = Callback::new();

    let mut messages = vec![
        Message::system("Use the tools."),
        Message::user("Weather in Paris?"),
    ];
    let reply = within(client.request(&messages).tools(&tools).stream(&callback))
        .await
        .expect("the first turn");
    messages.push(Message::from(&reply));
    for call in &reply.tool_calls {
        let city = call.arguments_json().expect("JSON")["city"].clone();
        messages.push(Message::tool_result(
            &call.id,
            json!({ "city": city, "celsius": 18 }).to_string(),
        ));
    }
    let answer = within(client.request(&messages).tools(&tools).stream(&callback))
        .await
        .expect("the second turn");
    assert_eq!(answer.text, "It is 18 \u{b0}C in Paris.");
    assert!(!answer.has_tool_calls());

    let second = &server.seen()[1].body;
    assert_eq!(
        second["messages"],
        json!([
            { "role": "system", "content": "Use the tools." },
            { "role": "user", "content": "Weather in Paris?" },
            {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": CALL_A,
                    "type": "function",
                    "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" },
                }],
            },
            { "role": "tool", "content": "{\"city\":\"Paris\",\"celsius\":18}", "tool_call_id": CALL_A },
        ])
    );
}

#[tokio::test]
async fn bad_tools_fail_before_anything_is_sent() {
    let server = Server::start(weather_turn().reply()).await;
    let client = server.client();
    let messages = [Message::user("hi")];
    let err = within(
        client
            .request(&messages)
            .tools([json!({ "type": "function", "name": "get_weather", "parameters": {} })])
            .send(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, LlmError::InvalidTool { index: 0, .. }),
        "{err:?}"
    );
    let err = within(
        client
            .request(&messages)
            .tools([tool("get_weather", "city")])
            .tool_choice(ToolChoice::function("get_time"))
            .stream(&Callback::new()),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the request's tool choice the function `get_time` names no tool of the request: its tools are `get_weather`"
    );
    assert!(server.seen().is_empty(), "nothing reached the server");
}

#[node(start, stream, end)]
async fn agent(question: String, base_url: String, callback: Callback) -> graphai::Result<Value> {
    let client = graphai::llm::ChatClient::new(base_url, "mock-model")?;
    let messages = [Message::user(question)];
    let reply = client
        .request(&messages)
        .tools([tool("get_weather", "city")])
        .stream(&callback)
        .await?;
    Ok(json!({ "calls": reply.tool_calls, "text": reply.text }))
}

#[tokio::test]
async fn a_node_s_tool_calls_reach_the_consumer_as_events_of_that_node() {
    let turn = Turn::with_usage(61, 16)
        .role()
        .content("Checking.")
        .call(0, CALL_A, "get_weather", "{\"city\":\"Paris\"}")
        .finish("tool_calls");
    let server = Server::start(turn.reply()).await;
    let graph = Graph::new().add_node(agent).compile().expect("compiles");
    let callback = Callback::new();
    let events = callback.events().expect("free stream");
    let input = json!({ "question": "Weather?", "base_url": server.base_url });

    let (result, events) = within(async {
        tokio::join!(
            graph.execute_with(input, &callback),
            events.collect::<Vec<GraphEvent>>()
        )
    })
    .await;

    let state = result.expect("the run succeeds");
    assert_eq!(state["text"], "Checking.");
    assert_eq!(
        state["calls"],
        json!([{ "id": CALL_A, "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } }])
    );
    let call = events
        .iter()
        .find(|event| event.r#type == EventType::Custom("tool_call".into()))
        .expect("a tool_call event");
    assert_eq!(call.node.as_deref(), Some("agent"));
    assert_eq!(call.token.as_deref(), Some("get_weather"));
    let params = call.params.as_ref().expect("params");
    assert_eq!(params["id"], CALL_A);
    assert_eq!(params["arguments"], "{\"city\":\"Paris\"}");
    let text: Vec<_> = events
        .iter()
        .filter(|event| event.r#type == EventType::Callback)
        .filter_map(|event| event.token.as_deref())
        .collect();
    assert_eq!(text, ["Checking."]);
}
