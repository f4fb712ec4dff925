//! [`LlmError`]: why a chat completion failed.

use std::borrow::Cow;

use crate::callback::CallbackError;
use crate::sse::SseError;

/// Why a [`ChatClient`](super::ChatClient) could not be built or a chat
/// completion failed.
///
/// In a node, `?` turns it into the node's error, so the run fails with
/// [`GraphError::Node`](crate::GraphError::Node) naming the node and this
/// error as its [`source`](std::error::Error::source). Errors that wrap
/// another (the HTTP client's, the callback's) return it from `source()`
/// rather than printing it, so print the whole chain to see the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// A required environment variable is not set (or is empty).
    #[error("`{name}` is not set: {fix}")]
    MissingEnv {
        /// The variable, such as `OPENAI_MODEL`.
        name: &'static str,
        /// How to set it.
        fix: &'static str,
    },
    /// The model name given to [`ChatClient::new`](super::ChatClient::new) is empty.
    #[error(
        "the model name is empty: pass the model to use, such as `gpt-4o-mini` for OpenAI or the name a local server serves"
    )]
    EmptyModel,
    /// The base URL is not an `http://` or `https://` URL.
    #[error(
        "`{url}` is not a usable base URL ({reason}): give the API root, such as `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`"
    )]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be set up (its TLS configuration failed).
    #[error("cannot set up the HTTP client for the LLM endpoint")]
    HttpClient {
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The request never got an answer: nothing listens at the URL, the
    /// name does not resolve, TLS failed, or the server did not answer in time.
    #[error(
        "cannot reach the LLM server at {url}: start the server, or point `OPENAI_BASE_URL` at one that runs"
    )]
    Connect {
        /// The chat-completions URL.
        url: String,
        /// The HTTP client's error (its own source says why: connection refused, ..).
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("the LLM server at {url} answered HTTP {status}: {message}{}", status_hint(*.status))]
    Status {
        /// The chat-completions URL.
        url: String,
        /// The HTTP status code, such as 401.
        status: u16,
        /// The server's `error.message` when its body is OpenAI's error JSON,
        /// otherwise the start of its body.
        message: String,
    },
    /// The stream ended before `data: [DONE]` and before the model finished.
    #[error("{}", incomplete(url, *.chunks))]
    Incomplete {
        /// The chat-completions URL.
        url: String,
        /// How many chunks arrived before the cut.
        chunks: usize,
        /// The text received before the cut (already streamed to the callback).
        partial: String,
        /// The HTTP client's error, when the connection broke (rather than
        /// closing cleanly too early).
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The stream is not valid Server-Sent Events (a line is not UTF-8).
    #[error("the stream from {url} is not valid Server-Sent Events")]
    InvalidStream {
        /// The chat-completions URL.
        url: String,
        /// What the SSE decoder found.
        #[source]
        source: SseError,
    },
    /// A `data:` line of the stream is not a chat-completion chunk in JSON.
    #[error(
        "chunk {chunk} from {url} is not a chat-completion chunk ({message}); it starts with `{prefix}`"
    )]
    InvalidChunk {
        /// The chat-completions URL.
        url: String,
        /// Which chunk (1 for the first).
        chunk: usize,
        /// serde's description of the problem.
        message: String,
        /// The chunk's first 80 characters.
        prefix: String,
    },
    /// The server sent an error object inside the stream.
    #[error("the LLM server at {url} reported an error mid-stream: {message}")]
    ServerError {
        /// The chat-completions URL.
        url: String,
        /// The server's `error.message`.
        message: String,
    },
    /// A whole (non-streamed) answer is not a chat completion in JSON.
    #[error(
        "the answer from {url} is not a chat completion ({message}); it starts with `{prefix}`"
    )]
    InvalidResponse {
        /// The chat-completions URL.
        url: String,
        /// What is wrong with it.
        message: String,
        /// The body's first 80 characters.
        prefix: String,
    },
    /// A whole (non-streamed) answer broke off before its end.
    #[error("the answer from {url} broke off before its end")]
    Body {
        /// The chat-completions URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server sent a tool call that cannot be put together: a delta for
    /// a call never introduced with its name, arguments that are not a
    /// string, a call without an id, ..
    #[error("the LLM server at {url} sent a malformed tool call{}: {problem}", place(*.chunk, *.index))]
    InvalidToolCall {
        /// The chat-completions URL.
        url: String,
        /// Which chunk of the stream (1 for the first); `None` for a whole answer.
        chunk: Option<usize>,
        /// The call's index in the turn, when the entry had a usable one.
        index: Option<u64>,
        /// What is wrong.
        problem: String,
    },
    /// A tool definition given to a request is not in the chat-completions
    /// form `{"type": "function", "function": {"name": .., "parameters": ..}}`.
    #[error(
        "tool {index} of the request is not a chat-completions tool definition: {problem}; give `{{\"type\": \"function\", \"function\": {{\"name\": .., \"description\": .., \"parameters\": {{..}}}}}}`"
    )]
    InvalidTool {
        /// Its position among the request's tools (0 for the first).
        index: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// The request's `tool_choice` cannot be honoured with its tools.
    #[error("the request's tool choice {choice} {problem}")]
    InvalidToolChoice {
        /// The choice, as given: `` `required` ``, `` the function `f` ``.
        choice: String,
        /// Why it cannot be honoured.
        problem: String,
    },
    /// A tool call's arguments are not valid JSON, or do not fit the type
    /// asked for ([`ToolCall::arguments_json`](super::ToolCall::arguments_json),
    /// [`ToolCall::parse_arguments`](super::ToolCall::parse_arguments)).
    #[error(
        "cannot read the arguments of tool call `{id}` to `{name}`: {reason}; they are `{arguments}`"
    )]
    ToolArguments {
        /// The call's id.
        id: String,
        /// The tool it calls.
        name: String,
        /// What is wrong: not JSON, or which field does not fit.
        reason: String,
        /// The arguments (their first 200 characters).
        arguments: String,
    },
    /// The callback refused a token: its consumer went away or it was closed.
    #[error("streaming stopped: the callback refused a token")]
    Callback {
        /// The callback's error.
        #[source]
        source: CallbackError,
    },
}

/// What to say about a stream that stopped early.
fn incomplete(url: &str, chunks: usize) -> String {
    if chunks == 0 {
        return format!(
            "the stream from {url} ended before its first chunk: the server accepted the request but sent nothing, so it probably failed after answering (see its log)"
        );
    }
    format!(
        "the stream from {url} was cut before `data: [DONE]` after {chunks} chunks: the server closed the connection before the model finished, so the reply is incomplete"
    )
}

/// Where a malformed tool call was: ` (tool call 1, in chunk 5)`.
fn place(chunk: Option<usize>, index: Option<u64>) -> String {
    match (index, chunk) {
        (Some(index), Some(chunk)) => format!(" (tool call {index}, in chunk {chunk})"),
        (Some(index), None) => format!(" (tool call {index})"),
        (None, Some(chunk)) => format!(" (in chunk {chunk})"),
        (None, None) => String::new(),
    }
}

impl LlmError {
    /// A short, stable name of the error's kind, for logs and the
    /// `error.type` attribute of the client's tracing span: `connect`,
    /// `http_401`, `incomplete`, `invalid_tool_call`, ..
    pub fn kind(&self) -> Cow<'static, str> {
        let kind = match self {
            LlmError::MissingEnv { .. } => "missing_env",
            LlmError::EmptyModel => "empty_model",
            LlmError::InvalidBaseUrl { .. } => "invalid_base_url",
            LlmError::HttpClient { .. } => "http_client",
            LlmError::Connect { .. } => "connect",
            LlmError::Status { status, .. } => return Cow::Owned(format!("http_{status}")),
            LlmError::Incomplete { .. } => "incomplete",
            LlmError::InvalidStream { .. } => "invalid_stream",
            LlmError::InvalidChunk { .. } => "invalid_chunk",
            LlmError::ServerError { .. } => "server_error",
            LlmError::InvalidResponse { .. } => "invalid_response",
            LlmError::Body { .. } => "body",
            LlmError::InvalidToolCall { .. } => "invalid_tool_call",
            LlmError::InvalidTool { .. } => "invalid_tool",
            LlmError::InvalidToolChoice { .. } => "invalid_tool_choice",
            LlmError::ToolArguments { .. } => "tool_arguments",
            LlmError::Callback { .. } => "callback",
        };
        Cow::Borrowed(kind)
    }
}

/// What to do about an error status, when the status says it.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => "; check `OPENAI_API_KEY`",
        404 => "; check `OPENAI_BASE_URL` (it usually ends in `/v1`) and `OPENAI_MODEL`",
        429 => "; the server is rate limiting or out of quota: wait and retry",
        _ => "",
    }
}
