//! [`Message`], [`Role`] and [`ChatReply`]: what goes into a chat completion and what comes out.

use serde::{Deserialize, Serialize};

/// Who wrote a [`Message`]; serialized as `"system"`, `"user"` or `"assistant"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user's words.
    User,
    /// The model's earlier answers, to continue a conversation.
    Assistant,
}

/// One message of a conversation, as the chat-completions API takes it:
/// `{"role": "user", "content": ".."}`.
///
/// It is `Deserialize`, so a node can read a conversation from the run state
/// with a `history: Vec<Message>` parameter.
///
/// ```
/// use graphai::llm::{Message, Role};
///
/// let message = Message::user("hi");
/// assert_eq!(message.role, Role::User);
/// assert_eq!(graphai::json!(message), graphai::json!({ "role": "user", "content": "hi" }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
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
}

/// A finished chat completion: [`ChatClient::stream_chat`](super::ChatClient::stream_chat)
/// has streamed every piece of `text` through the callback.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ChatReply {
    /// The whole answer: every `choices[0].delta.content`, joined.
    pub text: String,
    /// Why the model stopped (`"stop"`, `"length"`, ..), when the server said.
    pub finish_reason: Option<String>,
    /// The model that answered, as the server named it in its chunks.
    pub model: Option<String>,
}
