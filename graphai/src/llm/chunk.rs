//! The JSON the chat-completions API answers with (streamed chunks and whole
//! completions), and its error bodies.

use serde::Deserialize;
use serde_json::Value;

use super::message::Usage;

/// One `data:` payload of the stream: `{"choices": [{"delta": {"content": ..}}], ..}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Chunk {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<Choice>,
    /// With `stream_options.include_usage`, the last chunk before `[DONE]`
    /// has no choices and the usage; the chunks before have `"usage": null`.
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
    /// Some servers report a failure inside the stream: `{"error": {"message": ..}}`.
    #[serde(default)]
    pub(crate) error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    #[serde(default)]
    pub(crate) index: u32,
    #[serde(default)]
    pub(crate) delta: Option<Delta>,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Delta {
    #[serde(default)]
    pub(crate) content: Option<String>,
    /// Kept as JSON: the assembler checks each entry and says what is wrong.
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<Value>>,
}

/// A whole completion, the answer to a request with `"stream": false`.
#[derive(Debug, Deserialize)]
pub(crate) struct Completion {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<WholeChoice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WholeChoice {
    #[serde(default)]
    pub(crate) index: u32,
    #[serde(default)]
    pub(crate) message: Option<WholeMessage>,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WholeMessage {
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<Value>>,
}

/// `usage` as servers send it; some leave fields out or null.
#[derive(Debug, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

impl WireUsage {
    /// The usage, unless the server gave neither the prompt nor the completion tokens.
    pub(crate) fn usage(&self) -> Option<Usage> {
        if self.prompt_tokens.is_none() && self.completion_tokens.is_none() {
            return None;
        }
        let prompt_tokens = self.prompt_tokens.unwrap_or_default();
        let completion_tokens = self.completion_tokens.unwrap_or_default();
        Some(Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: self
                .total_tokens
                .unwrap_or(prompt_tokens.saturating_add(completion_tokens)),
        })
    }
}

impl Completion {
    /// The first choice (`index` 0).
    pub(crate) fn first_choice(&self) -> Option<&WholeChoice> {
        self.choices.iter().find(|choice| choice.index == 0)
    }
}

impl Chunk {
    /// The first choice (`index` 0), which is the one a plain request asks for.
    pub(crate) fn first_choice(&self) -> Option<&Choice> {
        self.choices.iter().find(|choice| choice.index == 0)
    }
}

/// The first `max` characters of `text`, with `..` when it was longer.
pub(crate) fn prefix(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push_str("..");
    }
    out
}

/// The message of an error: OpenAI's `{"error": {"message": ..}}`, or the
/// shapes other servers use (`{"error": ".."}`, `{"message": ..}`, FastAPI's
/// `{"detail": ..}`); `None` when the JSON has none of them.
pub(crate) fn error_message(value: &Value) -> Option<String> {
    let text = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let error = value.get("error");
    error
        .and_then(|error| error.get("message"))
        .and_then(text)
        .or_else(|| error.filter(|error| error.is_string()).and_then(text))
        .or_else(|| value.get("message").and_then(text))
        .or_else(|| value.get("detail").and_then(text))
}

/// What to say about an error response's body.
pub(crate) fn body_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|value| error_message(&value))
        .unwrap_or_else(|| prefix(text, 200))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_of_several_servers_give_their_message() {
        let openai = br#"{"error": {"message": "Incorrect API key provided: sk-x.", "type": "invalid_request_error", "code": "invalid_api_key"}}"#;
        assert_eq!(body_message(openai), "Incorrect API key provided: sk-x.");
        assert_eq!(
            body_message(br#"{"error": "model not loaded"}"#),
            "model not loaded"
        );
        assert_eq!(body_message(br#"{"detail": "Not Found"}"#), "Not Found");
        assert_eq!(
            body_message(br#"{"detail": [{"loc": ["body"], "msg": "bad"}]}"#),
            r#"[{"loc":["body"],"msg":"bad"}]"#
        );
        assert_eq!(body_message(b"  \n"), "(empty body)");
        assert_eq!(
            body_message(b"<html>502 Bad Gateway</html>"),
            "<html>502 Bad Gateway</html>"
        );
        let long = "x".repeat(300);
        assert_eq!(
            body_message(long.as_bytes()),
            format!("{}..", "x".repeat(200))
        );
    }

    #[test]
    fn an_error_object_without_a_message_is_not_a_message() {
        assert_eq!(error_message(&json!({ "error": { "code": 1 } })), None);
        assert_eq!(error_message(&json!({ "error": null })), None);
    }

    #[test]
    fn prefix_counts_characters_not_bytes() {
        assert_eq!(prefix("h\u{e9}llo", 2), "h\u{e9}..");
        assert_eq!(prefix("h\u{e9}", 2), "h\u{e9}");
    }

    #[test]
    fn usage_fills_in_what_the_server_left_out() {
        let usage: WireUsage =
            serde_json::from_str(r#"{"prompt_tokens":61,"completion_tokens":16}"#).expect("parses");
        let usage = usage.usage().expect("a usage");
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (61, 16, 77)
        );
        let none: WireUsage = serde_json::from_str(r#"{"total_tokens":null}"#).expect("parses");
        assert_eq!(none.usage(), None);
    }

    #[test]
    fn chunks_without_content_or_choices_parse() {
        let role_only: Chunk = serde_json::from_str(
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#,
        )
        .expect("parses");
        let choice = role_only.first_choice().expect("one choice");
        assert!(choice.delta.as_ref().expect("delta").content.is_none());
        let usage: Chunk =
            serde_json::from_str(r#"{"choices":[],"usage":{"total_tokens":3}}"#).expect("parses");
        assert!(usage.first_choice().is_none());
        let other_index: Chunk =
            serde_json::from_str(r#"{"choices":[{"index":1,"delta":{"content":"b"}}]}"#)
                .expect("parses");
        assert!(other_index.first_choice().is_none());
    }
}
