//! Reading an answer: a stream of chunks (text to the callback, tool-call
//! deltas put together) or a whole completion.

use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::assemble::{Problem, ToolCallAssembler, whole_tool_call};
use super::chunk::{self, Chunk, Completion};
use super::error::LlmError;
use super::message::ChatReply;
use super::tool_call::ToolCall;
use crate::callback::{Callback, GraphEvent};
use crate::sse::SseDecoder;

/// At most this much of a whole (non-streamed) answer is read.
const WHOLE_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Reads up to `limit` bytes of a response's body; a broken body gives what came.
pub(crate) async fn read_some(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
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

/// Whether the server answered with Server-Sent Events.
pub(crate) fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("text/event-stream"))
}

/// Reads a streamed answer: text to `callback` as it arrives, the tool calls
/// to `events` (as `tool_call` events) once the turn is over.
pub(crate) async fn read_stream(
    mut response: reqwest::Response,
    url: &str,
    callback: Option<&Callback>,
    events: Option<&Callback>,
) -> Result<ChatReply, LlmError> {
    let mut reader = Reader {
        url,
        callback,
        events,
        decoder: SseDecoder::new(),
        reply: ChatReply::default(),
        calls: ToolCallAssembler::default(),
        chunks: 0,
    };
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                if reader.push(&bytes).await? {
                    return reader.finish().await;
                }
            }
            Ok(None) => return reader.end(None).await,
            Err(err) => return reader.end(Some(err)).await,
        }
    }
}

/// Reads a whole completion (`choices[0].message`); its text goes to
/// `callback` as one piece, for a streamed request the server answered whole.
pub(crate) async fn read_whole(
    mut response: reqwest::Response,
    url: &str,
    callback: Option<&Callback>,
    events: Option<&Callback>,
) -> Result<ChatReply, LlmError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                if body.len() + bytes.len() > WHOLE_BODY_LIMIT {
                    return Err(LlmError::InvalidResponse {
                        url: url.to_owned(),
                        message: format!(
                            "the body is larger than {} MiB",
                            WHOLE_BODY_LIMIT / (1024 * 1024)
                        ),
                        prefix: chunk::prefix(&String::from_utf8_lossy(&body), 80),
                    });
                }
                body.extend_from_slice(&bytes);
            }
            Ok(None) => break,
            Err(source) => {
                return Err(LlmError::Body {
                    url: url.to_owned(),
                    source,
                });
            }
        }
    }
    let reply = whole_reply(&body, url)?;
    if let Some(callback) = callback.filter(|_| !reply.text.is_empty()) {
        callback
            .acall(reply.text.as_str())
            .await
            .map_err(|source| LlmError::Callback { source })?;
    }
    emit_tool_calls(events, &reply.tool_calls).await?;
    Ok(reply)
}

/// The reply in a whole completion's JSON.
fn whole_reply(body: &[u8], url: &str) -> Result<ChatReply, LlmError> {
    let invalid = |message: String| LlmError::InvalidResponse {
        url: url.to_owned(),
        message,
        prefix: chunk::prefix(&String::from_utf8_lossy(body), 80),
    };
    let value: Value = serde_json::from_slice(body).map_err(|err| invalid(err.to_string()))?;
    if let Some(message) = value
        .get("choices")
        .is_none()
        .then(|| chunk::error_message(&value))
        .flatten()
    {
        return Err(LlmError::ServerError {
            url: url.to_owned(),
            message,
        });
    }
    let completion: Completion =
        serde_json::from_value(value).map_err(|err| invalid(err.to_string()))?;
    let choice = completion
        .first_choice()
        .ok_or_else(|| invalid("it has no choice with index 0".to_owned()))?;
    let message = choice
        .message
        .as_ref()
        .ok_or_else(|| invalid("its first choice has no `message`".to_owned()))?;
    let tool_calls = message
        .tool_calls
        .iter()
        .flatten()
        .enumerate()
        .map(|(position, entry)| whole_tool_call(entry, position))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|problem| malformed(url, None, problem))?;
    Ok(ChatReply {
        text: message.content.clone().unwrap_or_default(),
        tool_calls,
        finish_reason: choice.finish_reason.clone(),
        model: completion.model,
        id: completion.id,
        usage: completion.usage.as_ref().and_then(chunk::WireUsage::usage),
    })
}

fn malformed(url: &str, chunk: Option<usize>, problem: Problem) -> LlmError {
    LlmError::InvalidToolCall {
        url: url.to_owned(),
        chunk,
        index: problem.index,
        problem: problem.problem,
    }
}

/// Sends each call to `events` as a `tool_call` event.
async fn emit_tool_calls(events: Option<&Callback>, calls: &[ToolCall]) -> Result<(), LlmError> {
    let Some(events) = events else {
        return Ok(());
    };
    for call in calls {
        let event = GraphEvent::new("tool_call")
            .with_token(call.name.as_str())
            .with_param("id", call.id.as_str())
            .with_param("arguments", call.arguments.as_str());
        events
            .emit(event)
            .await
            .map_err(|source| LlmError::Callback { source })?;
    }
    Ok(())
}

/// Turns the bytes of one streamed response into tokens and a reply.
struct Reader<'a> {
    url: &'a str,
    callback: Option<&'a Callback>,
    events: Option<&'a Callback>,
    decoder: SseDecoder,
    reply: ChatReply,
    calls: ToolCallAssembler,
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
        if self.reply.id.is_none() {
            self.reply.id = chunk.id.clone();
        }
        if let Some(usage) = chunk.usage.as_ref().and_then(chunk::WireUsage::usage) {
            self.reply.usage = Some(usage);
        }
        let Some(choice) = chunk.first_choice() else {
            return Ok(());
        };
        if let Some(reason) = &choice.finish_reason {
            self.reply.finish_reason = Some(reason.clone());
        }
        let Some(delta) = &choice.delta else {
            return Ok(());
        };
        for entry in delta.tool_calls.iter().flatten() {
            self.calls
                .push(entry)
                .map_err(|problem| malformed(self.url, Some(self.chunks), problem))?;
        }
        if let Some(token) = delta.content.as_deref().filter(|token| !token.is_empty()) {
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

    /// The turn is over: the tool calls are whole.
    async fn finish(mut self) -> Result<ChatReply, LlmError> {
        let calls = std::mem::take(&mut self.calls);
        if !calls.is_empty() {
            self.reply.tool_calls = calls
                .finish()
                .map_err(|problem| malformed(self.url, None, problem))?;
        }
        emit_tool_calls(self.events, &self.reply.tool_calls).await?;
        Ok(self.reply)
    }

    /// The body ended (`error` when the connection broke) without `[DONE]`.
    async fn end(mut self, error: Option<reqwest::Error>) -> Result<ChatReply, LlmError> {
        let framed = self.decoder.finish().is_ok();
        if error.is_none() && framed && self.reply.finish_reason.is_some() {
            return self.finish().await;
        }
        Err(LlmError::Incomplete {
            url: self.url.to_owned(),
            chunks: self.chunks,
            partial: std::mem::take(&mut self.reply.text),
            source: error,
        })
    }
}
