//! A streaming client for OpenAI-compatible chat-completions endpoints
//! (the `openai` feature), with tool calls.
//!
//! [`ChatClient`] talks to any server that speaks OpenAI's
//! `POST {base_url}/chat/completions`: the OpenAI API, or a local llama.cpp,
//! Ollama or vLLM server. [`ChatClient::stream_chat`] sends each piece of the
//! answer to a [`Callback`] as it arrives and returns the whole
//! [`ChatReply`], so a streaming node is a few lines:
//!
//! ```no_run
//! use graphai::llm::{ChatClient, Message};
//! use graphai::{Callback, Graph, Res, Value, json, node};
//!
//! /// The client is a resource of the graph: built once, shared by every run.
//! #[node(start, end, stream)]
//! async fn llm(query: String, client: Res<ChatClient>, callback: Callback) -> graphai::Result<Value> {
//!     let messages = [Message::system("Answer in one sentence."), Message::user(query)];
//!     let reply = client.stream_chat(&messages, &callback).await?;
//!     Ok(json!({ "answer": reply.text }))
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let graph = Graph::new().resource(ChatClient::from_env()?).add_node(llm).compile()?;
//!     // .. run it with `graph.execute_with(input, &callback)`
//!     # let _ = graph;
//!     Ok(())
//! }
//! ```
//!
//! Run the graph with [`execute_with`](crate::CompiledGraph::execute_with)
//! and read the callback's [`aiter`](Callback::aiter) or
//! [`events`](Callback::events) to see the tokens as they come.
//!
//! ## Tools
//!
//! [`ChatClient::request`] builds a [`ChatRequest`] that takes tool
//! definitions (chat-completions JSON, `{"type": "function", "function":
//! {"name", "description", "parameters"}}`), a [`ToolChoice`] and per-request
//! fields. The model's tool calls come back whole in
//! [`ChatReply::tool_calls`] as [`ToolCall`]s (`id`, `name`, `arguments`),
//! put together from the pieces OpenAI streams them in; the text of the
//! same turn still streams to the callback. The conversation goes on with
//! `Message::from(reply)` (the assistant message with its calls) and one
//! [`Message::tool_result`] per call.
//!
//! ## Configuration and errors
//!
//! [`ChatClient::from_env`] reads `OPENAI_BASE_URL` (default
//! `https://api.openai.com/v1`), `OPENAI_API_KEY` (optional: local servers
//! need none) and `OPENAI_MODEL`. Every failure is an [`LlmError`] that says
//! what went wrong: an error status with the server's message, a server that
//! cannot be reached, a stream cut before `data: [DONE]`, a malformed chunk
//! or tool call, or a callback whose consumer went away.
//!
//! ## Tracing
//!
//! Each request runs in an `info` span named `chat` (target `graphai::llm`)
//! with OpenTelemetry's GenAI attribute names: `gen_ai.operation.name`
//! (`"chat"`), `gen_ai.request.model`, `gen_ai.request.temperature` and
//! `gen_ai.request.max_tokens` when set, `server.address`, `server.port`,
//! and once the answer is in `gen_ai.response.model`, `gen_ai.response.id`,
//! `gen_ai.response.finish_reasons` (the finish reason of the one choice),
//! `gen_ai.usage.input_tokens` and `gen_ai.usage.output_tokens` (when the
//! server reports usage), or `error.type` ([`LlmError::kind`]) and
//! `otel.status_code = "ERROR"`. `otel.name` is `chat {model}`, the span
//! name the conventions give, for `tracing-opentelemetry`.
//!
//! The client uses reqwest with rustls (pure-Rust TLS and the webpki root
//! certificates), so the feature needs no system OpenSSL.

mod assemble;
mod chunk;
mod error;
mod message;
mod request;
mod response;
mod tool_call;
mod validate;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::callback::Callback;

pub use error::LlmError;
pub use message::{ChatReply, Message, Role, Usage};
pub use request::ChatRequest;
pub use tool_call::{ToolCall, ToolChoice};

/// The base URL [`ChatClient::from_env`] uses when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// How long to wait for a TCP (and TLS) connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this much of an error response's body is read for its message.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// A client for one model behind an OpenAI-compatible chat-completions API.
///
/// Build it once and share it: a clone is two reference-count increments
/// (one HTTP client with its connection pool, and the configuration behind
/// an `Arc`), and every clone uses the same connections. That makes it the
/// thing to hand to nodes as a graph resource (`Graph::resource(client)`,
/// read with a `Res<ChatClient>` parameter) rather than to build in each
/// node call, which would open new connections (and a new TLS session) every
/// time. The `with_*` methods return a changed copy and leave other clones
/// as they were.
///
/// ```
/// use graphai::llm::ChatClient;
///
/// let client = ChatClient::new("http://127.0.0.1:8080/v1", "smollm2")?
///     .with_api_key("sk-local")
///     .with_param("temperature", 0.2)
///     .with_param("max_tokens", 200);
/// assert_eq!(client.endpoint(), "http://127.0.0.1:8080/v1/chat/completions");
/// assert_eq!(client.model(), "smollm2");
///
/// let shared = client.clone(); // same connections, same configuration
/// assert_eq!(shared.model(), "smollm2");
/// # Ok::<(), graphai::llm::LlmError>(())
/// ```
#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    config: Arc<Config>,
}

/// What a client sends with every request.
#[derive(Clone)]
struct Config {
    endpoint: String,
    server_address: String,
    server_port: Option<u16>,
    model: String,
    api_key: Option<String>,
    params: Map<String, Value>,
    include_usage: bool,
    null_content: bool,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        f.debug_struct("ChatClient")
            .field("endpoint", &config.endpoint)
            .field("model", &config.model)
            .field("api_key", &config.api_key.as_ref().map(|_| "<redacted>"))
            .field("params", &config.params)
            .field("include_usage", &config.include_usage)
            .field("null_content", &config.null_content)
            .finish_non_exhaustive()
    }
}

impl ChatClient {
    /// A client for `model` behind the API rooted at `base_url` (the part
    /// before `/chat/completions`, such as `https://api.openai.com/v1`), with
    /// no API key.
    ///
    /// # Errors
    /// [`LlmError::InvalidBaseUrl`] unless `base_url` is an `http://` or
    /// `https://` URL, [`LlmError::EmptyModel`] for an empty model name, and
    /// [`LlmError::HttpClient`] if the TLS setup fails.
    pub fn new(base_url: impl AsRef<str>, model: impl Into<String>) -> Result<Self, LlmError> {
        let base_url = base_url.as_ref().trim();
        let invalid = |reason: String| LlmError::InvalidBaseUrl {
            url: base_url.to_owned(),
            reason,
        };
        let url = reqwest::Url::parse(base_url).map_err(|err| invalid(err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "the scheme is `{}`, not `http` or `https`",
                url.scheme()
            )));
        }
        let model = model.into();
        if model.trim().is_empty() {
            return Err(LlmError::EmptyModel);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|source| LlmError::HttpClient { source })?;
        Ok(Self {
            http,
            config: Arc::new(Config {
                endpoint: format!("{}/chat/completions", base_url.trim_end_matches('/')),
                server_address: url.host_str().unwrap_or_default().to_owned(),
                server_port: url.port_or_known_default(),
                model,
                api_key: None,
                params: Map::new(),
                include_usage: true,
                null_content: true,
            }),
        })
    }

    /// A client configured from the environment: `OPENAI_BASE_URL` (default
    /// [`DEFAULT_BASE_URL`]), `OPENAI_API_KEY` (optional; local servers need
    /// none) and `OPENAI_MODEL`. Empty variables count as unset.
    ///
    /// Call it once (in `main`, or where the graph is built) and share the
    /// client; see [`ChatClient`].
    ///
    /// # Errors
    /// [`LlmError::MissingEnv`] when `OPENAI_MODEL` is not set, otherwise as
    /// [`new`](Self::new).
    pub fn from_env() -> Result<Self, LlmError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading variables through `lookup`.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LlmError> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let model = var("OPENAI_MODEL").ok_or(LlmError::MissingEnv {
            name: "OPENAI_MODEL",
            fix: "export the model to use, such as `OPENAI_MODEL=gpt-4o-mini` for OpenAI or the name a local server serves",
        })?;
        let base_url = var("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let client = Self::new(base_url, model)?;
        Ok(match var("OPENAI_API_KEY") {
            Some(key) => client.with_api_key(key),
            None => client,
        })
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Sends `key` as `Authorization: Bearer <key>`.
    #[must_use]
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.config_mut().api_key = Some(key.into());
        self
    }

    /// Adds a field to every request's JSON body: `temperature`,
    /// `max_tokens`, `stop`, `seed`, or anything else the server takes.
    /// `model`, `messages` and `stream` are set by the client and override
    /// fields of the same name given here; a request's own
    /// [`param`](ChatRequest::param) overrides these.
    #[must_use]
    pub fn with_param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.config_mut().params.insert(key.into(), value.into());
        self
    }

    /// Whether streamed requests ask for the token usage with
    /// `stream_options: {"include_usage": true}` (on by default), which
    /// fills [`ChatReply::usage`] and the span's `gen_ai.usage.*`. Turn it
    /// off for a server that refuses `stream_options`. Whole (non-streamed)
    /// answers always carry their usage, and never get `stream_options`,
    /// which OpenAI refuses without `stream`.
    #[must_use]
    pub fn with_include_usage(mut self, include: bool) -> Self {
        self.config_mut().include_usage = include;
        self
    }

    /// How an assistant message that only calls tools is sent: with
    /// `"content": null` (the default, as OpenAI writes it and most servers
    /// take it) or, with `false`, `"content": ""`, for servers that refuse
    /// `null`, such as llama-cpp-python (`scripts/local-llm.sh`). OpenAI
    /// takes both.
    #[must_use]
    pub fn with_null_content(mut self, null: bool) -> Self {
        self.config_mut().null_content = null;
        self
    }

    /// Uses `http` for requests, for your own timeouts, proxy or TLS roots.
    /// The default client has a 10 s connect timeout and no overall timeout,
    /// since a long answer may take minutes to stream.
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The URL requests go to: `{base_url}/chat/completions`.
    pub fn endpoint(&self) -> &str {
        &self.config.endpoint
    }

    /// The model requests name.
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// A request for a completion of `messages`, to add tools, a tool
    /// choice or fields to before sending it; see [`ChatRequest`].
    pub fn request<'a>(&'a self, messages: &'a [Message]) -> ChatRequest<'a> {
        ChatRequest::new(self, messages)
    }

    /// Streams a chat completion of `messages`: each piece of the answer
    /// goes to [`callback.acall`](Callback::acall) as it arrives; the whole
    /// answer is returned once the server sends `data: [DONE]`. The same as
    /// `self.request(messages).stream(callback)`; see
    /// [`ChatRequest::stream`].
    ///
    /// # Errors
    /// As [`ChatRequest::stream`].
    pub async fn stream_chat(
        &self,
        messages: &[Message],
        callback: &Callback,
    ) -> Result<ChatReply, LlmError> {
        self.request(messages).stream(callback).await
    }

    /// A chat completion of `messages`, answered whole (`"stream": false`).
    /// Useful for a router that asks the model where to go. The same as
    /// `self.request(messages).send()`; see [`ChatRequest::send`].
    ///
    /// # Errors
    /// As [`ChatRequest::send`].
    pub async fn chat(&self, messages: &[Message]) -> Result<ChatReply, LlmError> {
        self.request(messages).send().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn from_env_reads_the_three_variables() {
        let client = ChatClient::from_lookup(lookup(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:8088/v1/"),
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_MODEL", "smollm2"),
        ]))
        .expect("configured");
        assert_eq!(
            client.endpoint(),
            "http://127.0.0.1:8088/v1/chat/completions"
        );
        assert_eq!(client.model(), "smollm2");
        assert_eq!(client.config.api_key.as_deref(), Some("sk-test"));
    }

    #[test]
    fn from_env_defaults_to_openai_without_a_key() {
        let client = ChatClient::from_lookup(lookup(&[
            ("OPENAI_MODEL", "gpt-4o-mini"),
            ("OPENAI_API_KEY", ""),
        ]))
        .expect("configured");
        assert_eq!(
            client.endpoint(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(client.config.api_key, None, "an empty key counts as unset");
    }

    #[test]
    fn from_env_without_a_model_says_which_variable_to_set() {
        let err = ChatClient::from_lookup(lookup(&[("OPENAI_MODEL", " ")])).unwrap_err();
        assert!(matches!(
            err,
            LlmError::MissingEnv {
                name: "OPENAI_MODEL",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "`OPENAI_MODEL` is not set: export the model to use, such as `OPENAI_MODEL=gpt-4o-mini` for OpenAI or the name a local server serves"
        );
    }

    #[test]
    fn bad_base_urls_and_empty_models_are_refused() {
        let err = ChatClient::new("api.openai.com/v1", "m").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`api.openai.com/v1` is not a usable base URL (relative URL without a base): give the API root, such as `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`"
        );
        let err = ChatClient::new("ftp://host/v1", "m").unwrap_err();
        assert!(
            err.to_string()
                .contains("the scheme is `ftp`, not `http` or `https`"),
            "{err}"
        );
        assert!(matches!(
            ChatClient::new("http://host/v1", "").unwrap_err(),
            LlmError::EmptyModel
        ));
    }

    #[test]
    fn clones_share_the_configuration_until_one_is_changed() {
        let client = ChatClient::new("http://host/v1", "m")
            .expect("valid")
            .with_param("temperature", 0.5);
        let shared = client.clone();
        assert!(
            Arc::ptr_eq(&client.config, &shared.config),
            "a clone copies no configuration"
        );
        let changed = shared
            .with_param("temperature", 0.9)
            .with_null_content(false);
        assert!(!Arc::ptr_eq(&client.config, &changed.config));
        assert_eq!(
            client.config.params["temperature"], 0.5,
            "the original is as it was"
        );
        assert!(client.config.null_content);
        assert_eq!(changed.config.params["temperature"], 0.9);
        assert!(!changed.config.null_content);
    }

    #[test]
    fn debug_hides_the_api_key() {
        let client = ChatClient::new("http://host/v1", "m")
            .expect("valid")
            .with_api_key("sk-secret");
        let shown = format!("{client:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn status_errors_say_what_to_check() {
        let err = LlmError::Status {
            url: "http://h/v1/chat/completions".into(),
            status: 401,
            message: "Incorrect API key provided".into(),
        };
        assert_eq!(
            err.to_string(),
            "the LLM server at http://h/v1/chat/completions answered HTTP 401: Incorrect API key provided; check `OPENAI_API_KEY`"
        );
        let err = LlmError::Status {
            url: "u".into(),
            status: 500,
            message: "boom".into(),
        };
        assert_eq!(
            err.to_string(),
            "the LLM server at u answered HTTP 500: boom"
        );
    }
}
