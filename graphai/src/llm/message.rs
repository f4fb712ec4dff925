//! [`Message`], [`Role`], [`ChatReply`] and [`Usage`]: what goes into a chat
//! completion and what comes out.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::tool_call::ToolCall;

/// Who wrote a [`Message`]; serialized as `"system"`, `"user"`, `"assistant"`
/// or `"tool"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user's words.
    User,
    /// The model's earlier answers (and the tool calls it made), to continue a
    /// conversation.
    Assistant,
    /// The result of a tool call, answering the call with the same id.
    Tool,
}

/// One message of a conversation, as the chat-completions API takes it:
/// `{"role": "user", "content": ".."}`, an assistant message with
/// `"tool_calls"`, or a tool result with `"tool_call_id"`.
///
/// It is `Deserialize` (and serializes to the same JSON), so a conversation
/// can live in the run state and a node can read it with a
/// `history: Vec<Message>` parameter.
///
/// ```
/// use graphai::llm::{Message, Role, ToolCall};
/// use graphai::json;
///
/// let message = Message::user("hi");
/// assert_eq!(message.role, Role::User);
/// assert_eq!(json!(message), json!({ "role": "user", "content": "hi" }));
///
/// // The model asked for a tool; the conversation goes on with its result.
/// let call = ToolCall::new("call_1", "get_weather", r#"{"city":"Paris"}"#);
/// let asked = Message::assistant_tool_calls("", [call]);
/// assert_eq!(
///     json!(asked),
///     json!({
///         "role": "assistant",
///         "content": null,
///         "tool_calls": [{
///             "id": "call_1",
///             "type": "function",
///             "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" },
///         }],
///     })
/// );
/// let answered = Message::tool_result("call_1", "18 °C and sunny");
/// assert_eq!(
///     json!(answered),
///     json!({ "role": "tool", "content": "18 °C and sunny", "tool_call_id": "call_1" })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "WireMessage")]
#[non_exhaustive]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text. An assistant message that only calls tools has none, and
    /// serializes with `"content": null`, as OpenAI writes it (a client can
    /// send `""` instead: [`ChatClient::with_null_content`](super::ChatClient::with_null_content)).
    /// A `null` or missing `content` parses as empty.
    pub content: String,
    /// The tools an assistant message called, in call order.
    pub tool_calls: Vec<ToolCall>,
    /// For a [`Role::Tool`] message: the id of the call it answers.
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A system message: instructions for the model.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// An assistant message: an earlier answer of the model.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// An assistant message that called tools, with the text it said along
    /// (often empty). Put it in the conversation before the
    /// [`tool_result`](Self::tool_result)s that answer its calls; the
    /// [`From<ChatReply>`](#impl-From<ChatReply>-for-Message) conversion
    /// builds it from a reply.
    pub fn assistant_tool_calls(
        content: impl Into<String>,
        calls: impl IntoIterator<Item = ToolCall>,
    ) -> Self {
        Self {
            tool_calls: calls.into_iter().collect(),
            ..Self::assistant(content)
        }
    }

    /// The result of the tool call `tool_call_id`, as the model reads it
    /// (often JSON text): `{"role": "tool", "tool_call_id": .., "content": ..}`.
    pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::new(Role::Tool, content)
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_with(serializer, true)
    }
}

impl Message {
    /// Serializes the message; an assistant message that only calls tools
    /// gets `"content": null` when `null_content`, else `"content": ""`.
    pub(crate) fn serialize_with<S: Serializer>(
        &self,
        serializer: S,
        null_content: bool,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("role", &self.role)?;
        if null_content && self.content.is_empty() && !self.tool_calls.is_empty() {
            map.serialize_entry("content", &None::<&str>)?;
        } else {
            map.serialize_entry("content", &self.content)?;
        }
        if !self.tool_calls.is_empty() {
            map.serialize_entry("tool_calls", &self.tool_calls)?;
        }
        if let Some(id) = &self.tool_call_id {
            map.serialize_entry("tool_call_id", id)?;
        }
        map.end()
    }
}

/// A message as JSON has it: `content` may be `null` or missing.
#[derive(Deserialize)]
struct WireMessage {
    role: Role,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    tool_call_id: Option<String>,
}

impl From<WireMessage> for Message {
    fn from(wire: WireMessage) -> Self {
        Self {
            role: wire.role,
            content: wire.content.unwrap_or_default(),
            tool_calls: wire.tool_calls.unwrap_or_default(),
            tool_call_id: wire.tool_call_id,
        }
    }
}

/// How many tokens a completion took, as the server reported them
/// (`usage` in OpenAI's JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens of the request: the messages and the tool definitions.
    pub prompt_tokens: u64,
    /// Tokens the model generated: the text and the tool calls.
    pub completion_tokens: u64,
    /// Both together.
    pub total_tokens: u64,
}

/// A finished chat completion: [`ChatClient::stream_chat`](super::ChatClient::stream_chat)
/// has streamed every piece of `text` through the callback.
///
/// When the model called tools, `tool_calls` holds them, whole, in call
/// order, and `finish_reason` is usually `"tool_calls"`. Continue the
/// conversation with the reply as an assistant message
/// (`Message::from(reply)`), then one [`Message::tool_result`] per call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ChatReply {
    /// The whole answer: every `choices[0].delta.content`, joined.
    pub text: String,
    /// The tools the model called, in call-index order (empty when none).
    pub tool_calls: Vec<ToolCall>,
    /// Why the model stopped (`"stop"`, `"length"`, `"tool_calls"`, ..),
    /// when the server said.
    pub finish_reason: Option<String>,
    /// The model that answered, as the server named it.
    pub model: Option<String>,
    /// The server's id of the completion (`chatcmpl-..`), when it sent one.
    pub id: Option<String>,
    /// The tokens used, when the server reported them (streamed replies
    /// report them when the request asks with `stream_options.include_usage`,
    /// which [`ChatClient`](super::ChatClient) does by default).
    pub usage: Option<Usage>,
}

impl ChatReply {
    /// Whether the model called tools: the caller should run them and send
    /// their results back.
    pub fn has_tool_calls(&self) -> bool {
        !self.tool_calls.is_empty()
    }
}

impl From<ChatReply> for Message {
    /// The reply as the assistant message that continues the conversation:
    /// its text and its tool calls.
    fn from(reply: ChatReply) -> Self {
        Message::assistant_tool_calls(reply.text, reply.tool_calls)
    }
}

impl From<&ChatReply> for Message {
    /// As [`From<ChatReply>`](#impl-From<ChatReply>-for-Message), copying.
    fn from(reply: &ChatReply) -> Self {
        Message::assistant_tool_calls(reply.text.clone(), reply.tool_calls.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn messages_round_trip_through_openai_json() {
        let messages = vec![
            Message::system("be brief"),
            Message::user("weather in Paris?"),
            Message::assistant_tool_calls(
                "Let me look.",
                [ToolCall::new(
                    "call_1",
                    "get_weather",
                    "{\"city\":\"Paris\"}",
                )],
            ),
            Message::assistant_tool_calls("", [ToolCall::new("call_2", "clock", "")]),
            Message::tool_result("call_1", "18"),
            Message::assistant("It is 18 degrees."),
        ];
        let json = json!(messages);
        assert_eq!(
            json[2]["content"], "Let me look.",
            "text with calls is kept"
        );
        assert_eq!(json[3]["content"], Value::Null, "only calls: content null");
        assert_eq!(json[3]["tool_calls"][0]["function"]["arguments"], "");
        assert!(json[0].get("tool_calls").is_none());
        assert!(json[0].get("tool_call_id").is_none());
        let back: Vec<Message> = serde_json::from_value(json).expect("parses back");
        assert_eq!(back, messages);
    }

    #[test]
    fn a_missing_or_null_content_reads_as_empty() {
        let message: Message =
            serde_json::from_value(json!({ "role": "assistant", "content": null }))
                .expect("parses");
        assert_eq!(message, Message::assistant(""));
        let message: Message =
            serde_json::from_value(json!({ "role": "tool", "tool_call_id": "c" })).expect("parses");
        assert_eq!(message, Message::tool_result("c", ""));
        assert!(serde_json::from_value::<Message>(json!({ "role": "robot" })).is_err());
    }

    #[test]
    fn a_reply_becomes_the_assistant_message_that_continues_the_conversation() {
        let reply = ChatReply {
            text: "Checking.".into(),
            tool_calls: vec![ToolCall::new("c1", "clock", "{}")],
            finish_reason: Some("tool_calls".into()),
            ..ChatReply::default()
        };
        assert!(reply.has_tool_calls());
        let message = Message::from(&reply);
        assert_eq!(
            message,
            Message::assistant_tool_calls("Checking.", [ToolCall::new("c1", "clock", "{}")])
        );
        assert_eq!(Message::from(reply), message);
        assert!(!ChatReply::default().has_tool_calls());
    }
}
