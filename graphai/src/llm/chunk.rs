//! The JSON the chat-completions API streams, and its error bodies.

use serde::Deserialize;
use serde_json::Value;

/// One `data:` payload of the stream: `{"choices": [{"delta": {"content": ..}}], ..}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Chunk {
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<Choice>,
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
