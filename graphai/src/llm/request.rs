//! [`ChatRequest`]: one chat completion with its tools and options, sent
//! whole or streamed.

use std::borrow::Borrow;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tracing::Instrument;
use tracing::field::Empty;

use super::chunk;
use super::error::LlmError;
use super::message::{ChatReply, Message};
use super::response;
use super::tool_call::ToolChoice;
use super::validate::{check_choice, check_tools};
use super::{ChatClient, ERROR_BODY_LIMIT};
use crate::callback::Callback;

/// Request fields the client sets itself; a [`param`](ChatRequest::param) of
/// the same name is overridden.
const OWN_FIELDS: [&str; 3] = ["model", "messages", "stream"];

/// One chat completion, built from [`ChatClient::request`]: the messages,
/// plus tools, a tool choice and extra fields for this request only. End it
/// with [`stream`](Self::stream) (pieces of text to a callback as they
/// arrive) or [`send`](Self::send) (one whole answer).
///
/// Tools are JSON tool definitions in the chat-completions form,
/// `{"type": "function", "function": {"name": .., "description": ..,
/// "parameters": {..}}}`, such as a `ToolSet`'s schemas or hand-written
/// `json!`.
///
/// ```no_run
/// use graphai::llm::{ChatClient, Message, ToolChoice};
/// use graphai::{Callback, json};
///
/// # async fn demo(client: &ChatClient, callback: &Callback) -> Result<(), graphai::llm::LlmError> {
/// let weather = json!({
///     "type": "function",
///     "function": {
///         "name": "get_weather",
///         "description": "The weather in a city now.",
///         "parameters": {
///             "type": "object",
///             "properties": { "city": { "type": "string" } },
///             "required": ["city"],
///         },
///     },
/// });
/// let mut messages = vec![Message::user("Is it raining in Paris?")];
/// let reply = client
///     .request(&messages)
///     .tools([&weather])
///     .tool_choice(ToolChoice::Auto)
///     .param("temperature", 0.0)
///     .stream(callback)
///     .await?;
/// for call in &reply.tool_calls {
///     let args = call.arguments_json()?;
///     println!("{} wants {}({args})", call.id, call.name);
/// }
/// messages.push(Message::from(&reply));
/// for call in &reply.tool_calls {
///     messages.push(Message::tool_result(&call.id, r#"{"rain": false}"#));
/// }
/// let answer = client.request(&messages).tools([&weather]).stream(callback).await?;
/// println!("{}", answer.text);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send()` or `.stream(&callback)` is awaited"]
pub struct ChatRequest<'a> {
    client: &'a ChatClient,
    messages: &'a [Message],
    tools: Vec<Value>,
    tool_choice: Option<ToolChoice>,
    params: Map<String, Value>,
    include_usage: Option<bool>,
    tool_call_events: bool,
}

impl<'a> ChatRequest<'a> {
    pub(crate) fn new(client: &'a ChatClient, messages: &'a [Message]) -> Self {
        Self {
            client,
            messages,
            tools: Vec::new(),
            tool_choice: None,
            params: Map::new(),
            include_usage: None,
            tool_call_events: true,
        }
    }

    /// Adds tools the model may call: chat-completions tool definitions
    /// (owned or borrowed `Value`s). They are checked when the request is
    /// sent; see [`LlmError::InvalidTool`].
    pub fn tools<T: Borrow<Value>>(mut self, tools: impl IntoIterator<Item = T>) -> Self {
        self.tools
            .extend(tools.into_iter().map(|tool| tool.borrow().clone()));
        self
    }

    /// Adds one tool; see [`tools`](Self::tools).
    pub fn tool(mut self, tool: Value) -> Self {
        self.tools.push(tool);
        self
    }

    /// Which tools the model may call (`tool_choice`). A request with tools
    /// and no choice sends [`ToolChoice::Auto`], OpenAI's default, which some
    /// servers need to be told.
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Adds a field to this request's JSON body (`temperature`,
    /// `parallel_tool_calls`, ..), over the client's
    /// [`with_param`](ChatClient::with_param) of the same name. `model`,
    /// `messages` and `stream` are the client's own.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }

    /// Whether a streamed request asks for the token usage
    /// (`stream_options: {"include_usage": true}`), over the client's
    /// [`with_include_usage`](ChatClient::with_include_usage).
    pub fn include_usage(mut self, include: bool) -> Self {
        self.include_usage = Some(include);
        self
    }

    /// Whether [`stream`](Self::stream) sends each tool call to the callback
    /// as a `tool_call` event (the default; see there).
    pub fn tool_call_events(mut self, send: bool) -> Self {
        self.tool_call_events = send;
        self
    }

    /// Streams the completion: each piece of text (each non-empty
    /// `choices[0].delta.content`) goes to
    /// [`callback.acall`](Callback::acall) as it arrives, and the whole
    /// [`ChatReply`] is returned once the server sends `data: [DONE]` (or
    /// closes the stream cleanly after the chunk with the `finish_reason`).
    ///
    /// Tool calls are not text: their pieces are put together into
    /// [`ChatReply::tool_calls`]. Once the turn is over, each call also goes
    /// to the callback as one custom event of type `tool_call`, attributed to
    /// the callback's node, with the tool's name as token and `id` and
    /// `arguments` as params (`<graphai:tool_call:get_weather:id=call_1,arguments={..}>`
    /// in the string stream); [`tool_call_events(false)`](Self::tool_call_events)
    /// turns that off.
    ///
    /// # Errors
    /// [`LlmError::InvalidTool`] or [`LlmError::InvalidToolChoice`] before
    /// anything is sent; [`LlmError::Connect`] when the server cannot be
    /// reached; [`LlmError::Status`] for an error status (with the server's
    /// message); [`LlmError::Incomplete`] when the stream stops before the
    /// end; [`LlmError::InvalidChunk`], [`LlmError::InvalidStream`],
    /// [`LlmError::ServerError`] or [`LlmError::InvalidToolCall`] for a bad
    /// or failing stream; [`LlmError::Callback`] when the callback refuses a
    /// token (its consumer went away). Streaming stops at the first error.
    pub async fn stream(self, callback: &Callback) -> Result<ChatReply, LlmError> {
        self.run(Some(callback)).await
    }

    /// Sends the request with `"stream": false` and returns the whole answer
    /// (`choices[0].message`, with its `tool_calls`).
    ///
    /// # Errors
    /// As [`stream`](Self::stream), except [`LlmError::Callback`]; a whole
    /// answer that is not a chat completion is [`LlmError::InvalidResponse`].
    pub async fn send(self) -> Result<ChatReply, LlmError> {
        self.run(None).await
    }

    async fn run(self, callback: Option<&Callback>) -> Result<ChatReply, LlmError> {
        let config = &self.client.config;
        let span = tracing::info_span!(
            target: "graphai::llm",
            "chat",
            otel.name = %format_args!("chat {}", config.model),
            otel.kind = "client",
            otel.status_code = Empty,
            gen_ai.operation.name = "chat",
            gen_ai.request.model = %config.model,
            gen_ai.request.temperature = Empty,
            gen_ai.request.max_tokens = Empty,
            gen_ai.response.id = Empty,
            gen_ai.response.model = Empty,
            gen_ai.response.finish_reasons = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            server.address = %config.server_address,
            server.port = config.server_port,
            error.type = Empty,
        );
        let result = self
            .exchange(callback, &span)
            .instrument(span.clone())
            .await;
        match &result {
            Ok(reply) => {
                if let Some(model) = &reply.model {
                    span.record("gen_ai.response.model", model.as_str());
                }
                if let Some(id) = &reply.id {
                    span.record("gen_ai.response.id", id.as_str());
                }
                if let Some(reason) = &reply.finish_reason {
                    span.record("gen_ai.response.finish_reasons", reason.as_str());
                }
                if let Some(usage) = &reply.usage {
                    span.record("gen_ai.usage.input_tokens", usage.prompt_tokens);
                    span.record("gen_ai.usage.output_tokens", usage.completion_tokens);
                }
            }
            Err(err) => {
                span.record("error.type", err.kind().as_ref());
                span.record("otel.status_code", "ERROR");
            }
        }
        result
    }

    async fn exchange(
        &self,
        callback: Option<&Callback>,
        span: &tracing::Span,
    ) -> Result<ChatReply, LlmError> {
        let streaming = callback.is_some();
        let params = self.fields(streaming)?;
        if let Some(temperature) = params.get("temperature").and_then(Value::as_f64) {
            span.record("gen_ai.request.temperature", temperature);
        }
        let max_tokens = params
            .get("max_tokens")
            .or_else(|| params.get("max_completion_tokens"));
        if let Some(max_tokens) = max_tokens.and_then(Value::as_u64) {
            span.record("gen_ai.request.max_tokens", max_tokens);
        }
        let body = Body {
            params: &params,
            model: &self.client.config.model,
            messages: Messages {
                messages: self.messages,
                null_content: self.client.config.null_content,
            },
            stream: streaming,
        };
        // Messages and JSON values always serialize.
        let body = serde_json::to_vec(&body).unwrap_or_default();

        let url = self.client.config.endpoint.as_str();
        let accept = if streaming {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut request = self
            .client
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body(body);
        if let Some(key) = &self.client.config.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|source| LlmError::Connect {
            url: url.to_owned(),
            source,
        })?;

        let status = response.status();
        if !status.is_success() {
            let body = response::read_some(&mut response, ERROR_BODY_LIMIT).await;
            return Err(LlmError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
                message: chunk::body_message(&body),
            });
        }
        // Read what the server sent, whatever was asked: a server that
        // streams anyway, or answers a stream request whole, still works.
        let events = callback.filter(|_| self.tool_call_events);
        if response::is_event_stream(&response) {
            response::read_stream(response, url, callback, events).await
        } else {
            response::read_whole(response, url, callback, events).await
        }
    }

    /// The body's fields besides `model`, `messages` and `stream`: the
    /// client's and this request's params, the tools, the tool choice and
    /// the stream options.
    fn fields(&self, streaming: bool) -> Result<Map<String, Value>, LlmError> {
        check_tools(&self.tools)?;
        let config = &self.client.config;
        let mut params = config.params.clone();
        params.extend(self.params.iter().map(|(k, v)| (k.clone(), v.clone())));
        for field in OWN_FIELDS {
            params.shift_remove(field);
        }
        if !self.tools.is_empty() {
            params.insert("tools".to_owned(), Value::Array(self.tools.clone()));
        }
        match &self.tool_choice {
            Some(choice) => {
                match check_choice(choice, &self.tools)? {
                    true => params.insert("tool_choice".to_owned(), choice.to_json()),
                    false => params.shift_remove("tool_choice"),
                };
            }
            // OpenAI's default with tools, said out loud: some servers
            // (llama-cpp-python's function-calling formats) ignore the tools
            // of a request without a `tool_choice`.
            None if !self.tools.is_empty() && !params.contains_key("tool_choice") => {
                params.insert("tool_choice".to_owned(), ToolChoice::Auto.to_json());
            }
            None => {}
        }
        if !streaming {
            // OpenAI refuses `stream_options` unless `stream` is true.
            params.shift_remove("stream_options");
        } else if self.include_usage.unwrap_or(config.include_usage)
            && !params.contains_key("stream_options")
        {
            params.insert(
                "stream_options".to_owned(),
                json!({ "include_usage": true }),
            );
        }
        Ok(params)
    }
}

/// The request's JSON body.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    params: &'a Map<String, Value>,
    model: &'a str,
    messages: Messages<'a>,
    stream: bool,
}

/// The messages, with the client's way of writing an empty content.
struct Messages<'a> {
    messages: &'a [Message],
    null_content: bool,
}

impl Serialize for Messages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct One<'a>(&'a Message, bool);
        impl Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize_with(serializer, self.1)
            }
        }
        serializer.collect_seq(
            self.messages
                .iter()
                .map(|message| One(message, self.null_content)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str) -> Value {
        json!({ "type": "function", "function": { "name": name, "parameters": { "type": "object", "properties": {} } } })
    }

    fn client() -> ChatClient {
        ChatClient::new("http://host/v1", "m")
            .expect("valid")
            .with_param("temperature", 0.5)
            .with_param("stream", false)
    }

    fn body(request: &ChatRequest<'_>, streaming: bool) -> Value {
        let params = request.fields(streaming).expect("valid request");
        let body = Body {
            params: &params,
            model: &request.client.config.model,
            messages: Messages {
                messages: request.messages,
                null_content: request.client.config.null_content,
            },
            stream: streaming,
        };
        serde_json::to_value(&body).expect("serializes")
    }

    #[test]
    fn the_body_has_the_tools_the_choice_and_the_stream_options() {
        let client = client();
        let messages = [Message::user("hi")];
        let request = client
            .request(&messages)
            .tools([tool("a")])
            .tool(tool("b"))
            .tool_choice(ToolChoice::function("b"))
            .param("temperature", 0.1)
            .param("model", "not this one");
        assert_eq!(
            body(&request, true),
            json!({
                "temperature": 0.1,
                "tools": [tool("a"), tool("b")],
                "tool_choice": { "type": "function", "function": { "name": "b" } },
                "stream_options": { "include_usage": true },
                "model": "m",
                "messages": [{ "role": "user", "content": "hi" }],
                "stream": true,
            })
        );
        let whole = body(&request, false);
        assert_eq!(whole["stream"], false);
        assert!(whole.get("stream_options").is_none(), "{whole}");
    }

    #[test]
    fn a_tool_only_assistant_message_is_sent_with_null_or_empty_content() {
        let messages = [
            Message::assistant_tool_calls("", [crate::llm::ToolCall::new("c", "f", "{}")]),
            Message::assistant_tool_calls("text", [crate::llm::ToolCall::new("d", "f", "{}")]),
        ];
        let client = client();
        let sent = body(&client.request(&messages), true);
        assert_eq!(sent["messages"][0]["content"], Value::Null);
        assert_eq!(sent["messages"][1]["content"], "text");
        let client = client.with_null_content(false);
        let sent = body(&client.request(&messages), true);
        assert_eq!(sent["messages"][0]["content"], "");
        assert_eq!(sent["messages"][0]["tool_calls"][0]["id"], "c");
        assert_eq!(sent["messages"][1]["content"], "text");
    }

    #[test]
    fn tools_without_a_choice_send_auto() {
        let client = client();
        let messages = [Message::user("hi")];
        let request = client.request(&messages).tools([tool("a")]);
        assert_eq!(body(&request, false)["tool_choice"], "auto");
        let request = client
            .request(&messages)
            .tools([tool("a")])
            .param("tool_choice", "required");
        assert_eq!(body(&request, false)["tool_choice"], "required");
        let request = client.request(&messages);
        assert!(body(&request, false).get("tool_choice").is_none());
    }

    #[test]
    fn usage_can_be_left_out_and_own_stream_options_are_kept() {
        let client = client().with_include_usage(false);
        let messages = [Message::user("hi")];
        let request = client.request(&messages);
        assert!(body(&request, true).get("stream_options").is_none());
        let request = client.request(&messages).include_usage(true);
        assert_eq!(
            body(&request, true)["stream_options"]["include_usage"],
            true
        );
        let request = client
            .request(&messages)
            .param("stream_options", json!({ "include_usage": false }));
        assert_eq!(
            body(&request, true)["stream_options"]["include_usage"],
            false
        );
    }

    #[test]
    fn auto_or_none_without_tools_is_left_out() {
        let client = client();
        let messages = [Message::user("hi")];
        for choice in [ToolChoice::Auto, ToolChoice::None] {
            let request = client.request(&messages).tool_choice(choice);
            let body = body(&request, true);
            assert!(body.get("tool_choice").is_none(), "{body}");
            assert!(body.get("tools").is_none(), "{body}");
        }
        let request = client
            .request(&messages)
            .tools(&[tool("a")])
            .tool_choice(ToolChoice::None);
        assert_eq!(body(&request, true)["tool_choice"], "none");
    }
}
