//! A streaming client for OpenAI-compatible chat-completions endpoints
//! (the `openai` feature).
//!
//! [`ChatClient`] talks to any server that speaks OpenAI's
//! `POST {base_url}/chat/completions` with `"stream": true`: the OpenAI API,
//! or a local llama.cpp, Ollama or vLLM server. [`ChatClient::stream_chat`]
//! sends each piece of the answer to a [`Callback`] as it arrives and returns
//! the whole [`ChatReply`], so a streaming node is a few lines:
//!
//! ```no_run
//! use graphai::llm::{ChatClient, Message};
//! use graphai::{Callback, Value, json, node};
//!
//! #[node(stream)]
//! async fn llm(query: String, callback: Callback) -> graphai::Result<Value> {
//!     let client = ChatClient::from_env()?;
//!     let messages = [Message::system("Answer in one sentence."), Message::user(query)];
//!     let reply = client.stream_chat(&messages, &callback).await?;
//!     Ok(json!({ "answer": reply.text }))
//! }
//! ```
//!
//! Run the graph with [`execute_with`](crate::CompiledGraph::execute_with)
//! and read the callback's [`aiter`](Callback::aiter) or
//! [`events`](Callback::events) to see the tokens as they come.
//!
//! [`ChatClient::from_env`] reads `OPENAI_BASE_URL` (default
//! `https://api.openai.com/v1`), `OPENAI_API_KEY` (optional: local servers
//! need none) and `OPENAI_MODEL`. Every failure is an [`LlmError`] that says
//! what went wrong: an error status with the server's message, a server that
//! cannot be reached, a stream cut before `data: [DONE]`, a malformed chunk,
//! or a callback whose consumer went away.
//!
//! The client uses reqwest with rustls (pure-Rust TLS and the webpki root
//! certificates), so the feature needs no system OpenSSL.

mod chunk;
mod error;
mod message;

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Map, Value, json};

use crate::callback::Callback;
use crate::sse::SseDecoder;

pub use error::LlmError;
pub use message::{ChatReply, Message, Role};

use chunk::Chunk;

/// The base URL [`ChatClient::from_env`] uses when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// How long to wait for a TCP (and TLS) connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this much of an error response's body is read for its message.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// A client for one model behind an OpenAI-compatible chat-completions API.
///
/// Cheap to clone: clones share the connection pool.
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
/// # Ok::<(), graphai::llm::LlmError>(())
/// ```
#[derive(Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: Option<String>,
    params: Map<String, Value>,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatClient")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("params", &self.params)
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
            endpoint: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            model,
            api_key: None,
            params: Map::new(),
        })
    }

    /// A client configured from the environment: `OPENAI_BASE_URL` (default
    /// [`DEFAULT_BASE_URL`]), `OPENAI_API_KEY` (optional; local servers need
    /// none) and `OPENAI_MODEL`. Empty variables count as unset.
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

    /// Sends `key` as `Authorization: Bearer <key>`.
    #[must_use]
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Adds a field to every request's JSON body: `temperature`,
    /// `max_tokens`, `stop`, `seed`, or anything else the server takes.
    /// `model`, `messages` and `stream` are set by the client and override
    /// fields of the same name given here.
    #[must_use]
    pub fn with_param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.insert(key.into(), value.into());
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
        &self.endpoint
    }

    /// The model requests name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Streams a chat completion of `messages`: each piece of the answer
    /// (each non-empty `choices[0].delta.content`) goes to
    /// [`callback.acall`](Callback::acall) as it arrives; the whole answer is
    /// returned once the server sends `data: [DONE]`.
    ///
    /// A server that closes the stream cleanly right after the chunk with
    /// the `finish_reason` is accepted too (the answer is complete).
    ///
    /// # Errors
    /// [`LlmError::Connect`] when the server cannot be reached,
    /// [`LlmError::Status`] for an error status (with the server's message),
    /// [`LlmError::Incomplete`] when the stream stops before the end,
    /// [`LlmError::InvalidChunk`], [`LlmError::InvalidStream`] or
    /// [`LlmError::ServerError`] for a bad or failing stream, and
    /// [`LlmError::Callback`] when the callback refuses a token (its consumer
    /// went away); streaming stops at the first error.
    pub async fn stream_chat(
        &self,
        messages: &[Message],
        callback: &Callback,
    ) -> Result<ChatReply, LlmError> {
        self.complete(messages, Some(callback)).await
    }

    /// [`stream_chat`](Self::stream_chat) without a callback: waits for the
    /// whole answer. Useful for a router that asks the model where to go.
    ///
    /// # Errors
    /// As [`stream_chat`](Self::stream_chat), except [`LlmError::Callback`].
    pub async fn chat(&self, messages: &[Message]) -> Result<ChatReply, LlmError> {
        self.complete(messages, None).await
    }

    fn request_body(&self, messages: &[Message]) -> Vec<u8> {
        let mut body = self.params.clone();
        body.insert("model".to_owned(), json!(self.model));
        body.insert("messages".to_owned(), json!(messages));
        body.insert("stream".to_owned(), json!(true));
        // A map of JSON values always serializes.
        serde_json::to_vec(&body).unwrap_or_default()
    }

    async fn complete(
        &self,
        messages: &[Message],
        callback: Option<&Callback>,
    ) -> Result<ChatReply, LlmError> {
        let mut request = self
            .http
            .post(&self.endpoint)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(self.request_body(messages));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|source| LlmError::Connect {
            url: self.endpoint.clone(),
            source,
        })?;

        let status = response.status();
        if !status.is_success() {
            let body = read_some(&mut response, ERROR_BODY_LIMIT).await;
            return Err(LlmError::Status {
                url: self.endpoint.clone(),
                status: status.as_u16(),
                message: chunk::body_message(&body),
            });
        }

        let mut reader = Reader {
            url: &self.endpoint,
            callback,
            decoder: SseDecoder::new(),
            reply: ChatReply::default(),
            chunks: 0,
        };
        loop {
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    if reader.push(&bytes).await? {
                        return Ok(reader.reply);
                    }
                }
                Ok(None) => return reader.end(None),
                Err(err) => return reader.end(Some(err)),
            }
        }
    }
}

/// Reads up to `limit` bytes of a response's body; a broken body gives what came.
async fn read_some(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(bytes)) => body.extend_from_slice(&bytes),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(limit);
    body
}

/// Turns the bytes of one streamed response into tokens and a reply.
struct Reader<'a> {
    url: &'a str,
    callback: Option<&'a Callback>,
    decoder: SseDecoder,
    reply: ChatReply,
    chunks: usize,
}

impl Reader<'_> {
    /// Feeds bytes from the network; `Ok(true)` once `data: [DONE]` arrived.
    async fn push(&mut self, bytes: &[u8]) -> Result<bool, LlmError> {
        // The decoder keeps a line's bytes until its end, so a character
        // split between two network reads comes out whole.
        for frame in self.decoder.push(bytes) {
            let frame = frame.map_err(|source| LlmError::InvalidStream {
                url: self.url.to_owned(),
                source,
            })?;
            let Some(data) = frame.data else { continue };
            if data.trim() == "[DONE]" {
                return Ok(true);
            }
            self.chunk(&data).await?;
        }
        Ok(false)
    }

    async fn chunk(&mut self, data: &str) -> Result<(), LlmError> {
        self.chunks += 1;
        let chunk: Chunk = serde_json::from_str(data).map_err(|err| LlmError::InvalidChunk {
            url: self.url.to_owned(),
            chunk: self.chunks,
            message: err.to_string(),
            prefix: chunk::prefix(data, 80),
        })?;
        if let Some(error) = &chunk.error {
            let message = chunk::error_message(&json!({ "error": error }))
                .unwrap_or_else(|| error.to_string());
            return Err(LlmError::ServerError {
                url: self.url.to_owned(),
                message,
            });
        }
        if self.reply.model.is_none() {
            self.reply.model = chunk.model.clone();
        }
        let Some(choice) = chunk.first_choice() else {
            return Ok(());
        };
        if let Some(reason) = &choice.finish_reason {
            self.reply.finish_reason = Some(reason.clone());
        }
        let content = choice
            .delta
            .as_ref()
            .and_then(|delta| delta.content.as_deref());
        if let Some(token) = content.filter(|token| !token.is_empty()) {
            self.reply.text.push_str(token);
            if let Some(callback) = self.callback {
                callback
                    .acall(token)
                    .await
                    .map_err(|source| LlmError::Callback { source })?;
            }
        }
        Ok(())
    }

    /// The body ended (`error` when the connection broke) without `[DONE]`.
    fn end(mut self, error: Option<reqwest::Error>) -> Result<ChatReply, LlmError> {
        let framed = self.decoder.finish().is_ok();
        if error.is_none() && framed && self.reply.finish_reason.is_some() {
            return Ok(self.reply);
        }
        Err(LlmError::Incomplete {
            url: self.url.to_owned(),
            chunks: self.chunks,
            partial: std::mem::take(&mut self.reply.text),
            source: error,
        })
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
        assert_eq!(client.api_key.as_deref(), Some("sk-test"));
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
        assert_eq!(client.api_key, None, "an empty key counts as unset");
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
    fn the_request_body_has_the_model_messages_and_stream_over_extra_params() {
        let client = ChatClient::new("http://host/v1", "m")
            .expect("valid")
            .with_param("temperature", 0.5)
            .with_param("stream", false);
        let body: Value =
            serde_json::from_slice(&client.request_body(&[Message::user("hi")])).expect("json");
        assert_eq!(
            body,
            json!({
                "temperature": 0.5,
                "stream": true,
                "model": "m",
                "messages": [{ "role": "user", "content": "hi" }],
            })
        );
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
