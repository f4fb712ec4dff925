//! [`GraphEvent`] and [`EventType`]: one item of a callback's stream.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::format::{Template, render_params};
use crate::sse_decoder::{Located, SseDecoder, SseError, SseFrame};

/// The kind of a [`GraphEvent`]; serialized as its name (`"start_node"`, ..).
///
/// Two `EventType`s are equal when their names are: `Custom("end".into())`
/// equals [`EventType::End`], and parsing a name always gives the named variant.
#[derive(Debug, Clone, Eq)]
#[non_exhaustive]
pub enum EventType {
    /// `"start"`: the start of a run (available to custom emitters).
    Start,
    /// `"end"`: the end of the stream; sent by [`Callback::close`](super::Callback::close).
    End,
    /// `"start_node"`: a streaming node started; `token` and `node` hold its name.
    StartNode,
    /// `"end_node"`: a streaming node finished; `token` and `node` hold its name.
    EndNode,
    /// `"callback"`: a token streamed by a node.
    Callback,
    /// `"error"`: the run failed; `params` hold `message` and `node`.
    Error,
    /// Any other name, for events sent with [`Callback::emit`](super::Callback::emit).
    Custom(String),
}

impl EventType {
    /// The event's name, as it appears in the JSON `type` field.
    pub fn as_str(&self) -> &str {
        match self {
            EventType::Start => "start",
            EventType::End => "end",
            EventType::StartNode => "start_node",
            EventType::EndNode => "end_node",
            EventType::Callback => "callback",
            EventType::Error => "error",
            EventType::Custom(name) => name,
        }
    }

    fn known(name: &str) -> Option<Self> {
        Some(match name {
            "start" => EventType::Start,
            "end" => EventType::End,
            "start_node" => EventType::StartNode,
            "end_node" => EventType::EndNode,
            "callback" => EventType::Callback,
            "error" => EventType::Error,
            _ => return None,
        })
    }
}

impl PartialEq for EventType {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Hash for EventType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for EventType {
    fn from(name: &str) -> Self {
        Self::known(name).unwrap_or_else(|| EventType::Custom(name.to_owned()))
    }
}

impl From<String> for EventType {
    fn from(name: String) -> Self {
        Self::known(&name).unwrap_or(EventType::Custom(name))
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<'de, str>::deserialize(deserializer).map(|name| EventType::from(name.into_owned()))
    }
}

/// One item of a callback's stream (GraphAI's `GraphEvent`, plus the node
/// that sent it).
///
/// Its JSON form has the fields `type`, `identifier`, `token`, `params` and
/// `node` (absent values are `null`); `token`, `params` and `node` may be
/// missing when parsing, so frames from Python GraphAI's `EventCallback` parse too.
///
/// ```
/// use graphai::{EventType, GraphEvent, json};
///
/// let event = GraphEvent::new("tool_call")
///     .with_token("search")
///     .with_param("query", json!("rust streams"));
/// assert_eq!(event.r#type, EventType::Custom("tool_call".into()));
///
/// let frame = event.to_sse();
/// assert!(frame.starts_with(r#"data: {"type":"tool_call","identifier":"","token":"search""#));
/// assert_eq!(GraphEvent::from_sse(&frame)?, event);
/// # Ok::<(), graphai::sse::SseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub r#type: EventType,
    /// The callback's identifier (`"graphai"` by default); it can tell streams apart,
    /// for example one per conversation.
    pub identifier: String,
    /// The streamed text, or the node's name for `start_node`/`end_node` events.
    #[serde(default)]
    pub token: Option<String>,
    /// Extra data: tool-call arguments, an error's `message` and `node`, ..
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    /// The node that sent the event, when a node did.
    #[serde(default)]
    pub node: Option<String>,
}

impl GraphEvent {
    /// An event of type `kind` with an empty identifier and no token, params or node.
    ///
    /// [`Callback::emit`](super::Callback::emit) fills in the identifier and node.
    pub fn new(kind: impl Into<EventType>) -> Self {
        Self {
            r#type: kind.into(),
            identifier: String::new(),
            token: None,
            params: None,
            node: None,
        }
    }

    /// Sets the token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets all params.
    #[must_use]
    pub fn with_params(mut self, params: Map<String, Value>) -> Self {
        self.params = Some(params);
        self
    }

    /// Adds one param.
    #[must_use]
    pub fn with_param(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets the node.
    #[must_use]
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    /// Sets the identifier.
    #[must_use]
    pub fn with_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = identifier.into();
        self
    }

    /// The event as compact JSON, non-ASCII characters kept as they are.
    pub fn to_json(&self) -> String {
        // Every field serializes infallibly: string map keys, plain values.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The event as one Server-Sent Events frame: `data: {compact json}\n\n`.
    ///
    /// JSON escapes line breaks inside strings, so a token holding `\n` or
    /// `\r\n` stays on the frame's single `data:` line.
    pub fn to_sse(&self) -> String {
        format!("data: {}\n\n", self.to_json())
    }

    /// Parses one Server-Sent Events frame made by [`to_sse`](Self::to_sse)
    /// (or by Python GraphAI's `GraphEvent.encode`). The closing blank line
    /// may be left out. To read a stream of frames use [`sse::GraphEventDecoder`](crate::sse::GraphEventDecoder).
    ///
    /// # Errors
    /// [`SseError`] when the text is not exactly one frame with a `data:` line
    /// holding a `GraphEvent` as JSON.
    pub fn from_sse(frame: &str) -> Result<Self, SseError> {
        let mut decoder = SseDecoder::new();
        let mut frames = decoder.push_located(frame.as_bytes());
        frames.extend(decoder.push_located(b"\n\n"));
        let mut events = frames.into_iter().map(|frame| frame.and_then(graph_event));
        match (events.next(), events.next()) {
            (None, _) => Err(SseError::NoFrame),
            (Some(event), None) => event,
            (Some(_), Some(_)) => Err(SseError::MultipleFrames {
                count: 2 + events.count(),
            }),
        }
    }

    /// Adds this event's strings in GraphAI's string stream to `out`.
    pub(crate) fn render(&self, formats: &Formats, out: &mut VecDeque<String>) {
        let params = render_params(self.params.as_ref());
        let special = |name: &str| formats.special.render(&formats.identifier, name, &params);
        let subject = || {
            self.node
                .as_deref()
                .or(self.token.as_deref())
                .unwrap_or_default()
        };
        match &self.r#type {
            EventType::StartNode => {
                out.push_back(special(&format!("{}:start", subject())));
                out.push_back(special(subject()));
            }
            EventType::EndNode => out.push_back(special(&format!("{}:end", subject()))),
            EventType::End => out.push_back(special("END")),
            EventType::Callback => {
                if let Some(token) = &self.token {
                    out.push_back(formats.token.render(&formats.identifier, token, ""));
                }
            }
            other => match &self.token {
                Some(token) => out.push_back(special(&format!("{other}:{token}"))),
                None => out.push_back(special(other.as_str())),
            },
        }
    }
}

/// What the string stream needs to render events.
#[derive(Debug)]
pub(crate) struct Formats {
    pub(crate) identifier: String,
    pub(crate) special: Template,
    pub(crate) token: Template,
}

/// Parses a frame's data as a [`GraphEvent`]; `line` is where the frame ended.
fn graph_event_at(frame: SseFrame, line: usize) -> Result<GraphEvent, SseError> {
    let data = frame.data.ok_or(SseError::MissingData { line })?;
    serde_json::from_str(&data).map_err(|err| SseError::InvalidEvent {
        line,
        message: err.to_string(),
        data: data.chars().take(200).collect(),
    })
}

/// The [`GraphEvent`] of a decoded frame.
pub(crate) fn graph_event(located: Located) -> Result<GraphEvent, SseError> {
    graph_event_at(located.frame, located.line)
}

#[cfg(test)]
mod tests {
    use super::super::format::{SPECIAL_FIELDS, TOKEN_FIELDS};
    use super::*;
    use serde_json::json;

    #[test]
    fn event_types_compare_and_serialize_by_name() {
        assert_eq!(EventType::Custom("end".into()), EventType::End);
        assert_eq!(EventType::from("start_node"), EventType::StartNode);
        assert!(matches!(
            EventType::from("start_node"),
            EventType::StartNode
        ));
        assert!(matches!(EventType::from("tool"), EventType::Custom(name) if name == "tool"));
        assert_eq!(
            serde_json::to_string(&EventType::EndNode).unwrap(),
            "\"end_node\""
        );
        let parsed: EventType = serde_json::from_str("\"error\"").unwrap();
        assert!(matches!(parsed, EventType::Error));
    }

    #[test]
    fn to_sse_matches_python_graph_event_encode() {
        // From graphai-lib 0.0.12:
        // GraphEvent(type="callback", identifier="graphai", token="héllo\nwörld\r\n", params={"a": 1}).encode()
        let python = "data: {\"type\":\"callback\",\"identifier\":\"graphai\",\"token\":\"h\u{e9}llo\\nw\u{f6}rld\\r\\n\",\"params\":{\"a\":1}}\n\n";
        let event = GraphEvent::new(EventType::Callback)
            .with_identifier("graphai")
            .with_token("h\u{e9}llo\nw\u{f6}rld\r\n")
            .with_param("a", 1);
        let ours = event.to_sse();
        // Ours adds the `node` field at the end; the rest is byte for byte Python's.
        assert_eq!(
            ours,
            python.replace("}}\n\n", "},\"node\":null}\n\n"),
            "python: {python}"
        );
        assert_eq!(
            ours.matches('\n').count(),
            2,
            "only the frame's own line ends"
        );
        assert_eq!(GraphEvent::from_sse(&ours), Ok(event.clone()));
        assert_eq!(GraphEvent::from_sse(python), Ok(event));
    }

    #[test]
    fn from_sse_wants_exactly_one_frame() {
        let frame = GraphEvent::new("x").with_identifier("i").to_sse();
        assert_eq!(
            GraphEvent::from_sse(frame.trim_end()).map(|e| e.r#type),
            Ok(EventType::from("x"))
        );
        assert_eq!(
            GraphEvent::from_sse(": only a comment\n"),
            Err(SseError::NoFrame)
        );
        assert_eq!(GraphEvent::from_sse(""), Err(SseError::NoFrame));
        assert_eq!(
            GraphEvent::from_sse(&format!("{frame}{frame}{frame}")),
            Err(SseError::MultipleFrames { count: 3 })
        );
        assert_eq!(
            GraphEvent::from_sse("event: x\n\n"),
            Err(SseError::MissingData { line: 2 })
        );
        assert!(matches!(
            GraphEvent::from_sse("data: [DONE]\n\n"),
            Err(SseError::InvalidEvent { .. })
        ));
    }

    fn formats() -> Formats {
        Formats {
            identifier: "graphai".into(),
            special: Template::parse("<{identifier}:{token}:{params}>", SPECIAL_FIELDS).unwrap(),
            token: Template::parse("T:{token}", TOKEN_FIELDS).unwrap(),
        }
    }

    fn rendered(event: GraphEvent) -> Vec<String> {
        let mut out = VecDeque::new();
        event.render(&formats(), &mut out);
        out.into()
    }

    #[test]
    fn events_render_as_graphai_strings() {
        assert_eq!(
            rendered(GraphEvent::new(EventType::StartNode).with_token("a")),
            ["<graphai:a:start:>", "<graphai:a:>"]
        );
        assert_eq!(
            rendered(GraphEvent::new(EventType::EndNode).with_node("a")),
            ["<graphai:a:end:>"]
        );
        assert_eq!(
            rendered(GraphEvent::new(EventType::End)),
            ["<graphai:END:>"]
        );
        assert_eq!(
            rendered(
                GraphEvent::new(EventType::Callback)
                    .with_token("hi")
                    .with_node("a")
            ),
            ["T:hi"]
        );
        assert!(rendered(GraphEvent::new(EventType::Callback)).is_empty());
        assert_eq!(
            rendered(
                GraphEvent::new(EventType::Error)
                    .with_param("message", "boom")
                    .with_param("node", "a")
            ),
            ["<graphai:error:message=boom,node=a>"]
        );
        assert_eq!(
            rendered(
                GraphEvent::new("tool_call")
                    .with_token("search")
                    .with_params(json!({"q": "rust"}).as_object().unwrap().clone())
            ),
            ["<graphai:tool_call:search:q=rust>"]
        );
        assert_eq!(
            rendered(GraphEvent::new(EventType::Start)),
            ["<graphai:start:>"]
        );
    }
}
