//! [`ToolCall`] and [`ToolChoice`]: a tool the model asked to run, and which
//! tools a request lets it call.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

use super::chunk::prefix;
use super::error::LlmError;

/// A tool the model called: the call's id (answer it with
/// [`Message::tool_result`](super::Message::tool_result) under that id), the
/// tool's name and its arguments, a string of JSON exactly as the model wrote it.
///
/// It serializes to OpenAI's form,
/// `{"id": .., "type": "function", "function": {"name": .., "arguments": ".."}}`,
/// and parses from it.
///
/// ```
/// use graphai::llm::ToolCall;
/// use graphai::json;
///
/// let call = ToolCall::new("call_1", "get_weather", r#"{"city": "Paris"}"#);
/// assert_eq!(call.arguments_json()?, json!({ "city": "Paris" }));
///
/// #[derive(serde::Deserialize)]
/// struct Args { city: String }
/// assert_eq!(call.parse_arguments::<Args>()?.city, "Paris");
///
/// let broken = ToolCall::new("call_2", "get_weather", r#"{"city": "Par"#);
/// assert_eq!(
///     broken.arguments_json().unwrap_err().to_string(),
///     "cannot read the arguments of tool call `call_2` to `get_weather`: they are not valid JSON \
///      (EOF while parsing a string at line 1 column 13); they are `{\"city\": \"Par`"
/// );
/// # Ok::<(), graphai::llm::LlmError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "WireToolCall")]
pub struct ToolCall {
    /// The call's id, such as `call_F9ZaqPWo69u0urxAhVt8meDW`.
    pub id: String,
    /// The name of the tool to run.
    pub name: String,
    /// The arguments: a JSON object as text, as the model wrote it (so it may
    /// not be valid JSON; [`arguments_json`](Self::arguments_json) checks).
    /// Empty when the model sent none.
    pub arguments: String,
}

impl ToolCall {
    /// A call of tool `name` with `arguments` (JSON text), under `id`.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// The arguments as JSON. Empty (or blank) arguments are `{}`: some
    /// servers send nothing for a tool without parameters.
    ///
    /// # Errors
    /// [`LlmError::ToolArguments`] when they are not valid JSON, quoting them.
    pub fn arguments_json(&self) -> Result<Value, LlmError> {
        if self.arguments.trim().is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_str(&self.arguments)
            .map_err(|err| self.arguments_error(format!("they are not valid JSON ({err})")))
    }

    /// The arguments as a `T`, such as a struct with one field per parameter.
    /// Empty arguments read as `{}`.
    ///
    /// # Errors
    /// [`LlmError::ToolArguments`] when they are not valid JSON or do not fit `T`.
    pub fn parse_arguments<T: DeserializeOwned>(&self) -> Result<T, LlmError> {
        let value = self.arguments_json()?;
        serde_json::from_value(value).map_err(|err| {
            self.arguments_error(format!(
                "they do not fit `{}` ({err})",
                std::any::type_name::<T>()
            ))
        })
    }

    fn arguments_error(&self, reason: String) -> LlmError {
        LlmError::ToolArguments {
            id: self.id.clone(),
            name: self.name.clone(),
            reason,
            arguments: prefix(&self.arguments, 200),
        }
    }
}

impl Serialize for ToolCall {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Function<'a> {
            name: &'a str,
            arguments: &'a str,
        }
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry(
            "function",
            &Function {
                name: &self.name,
                arguments: &self.arguments,
            },
        )?;
        map.end()
    }
}

#[derive(Deserialize)]
struct WireToolCall {
    id: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Option<String>,
}

impl TryFrom<WireToolCall> for ToolCall {
    type Error = String;

    fn try_from(wire: WireToolCall) -> Result<Self, String> {
        match wire.kind.as_deref() {
            None | Some("function") => Ok(Self::new(
                wire.id,
                wire.function.name,
                wire.function.arguments.unwrap_or_default(),
            )),
            Some(other) => Err(format!(
                "the tool call `{}` is of type `{other}`; only `function` calls are supported",
                wire.id
            )),
        }
    }
}

/// Which tools the model may call: the request's `tool_choice`.
///
/// ```
/// use graphai::llm::ToolChoice;
/// use graphai::json;
///
/// assert_eq!(ToolChoice::Required.to_json(), json!("required"));
/// assert_eq!(
///     ToolChoice::function("get_weather").to_json(),
///     json!({ "type": "function", "function": { "name": "get_weather" } })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToolChoice {
    /// `"auto"`: the model answers or calls tools, as it sees fit (the
    /// default when a request has tools).
    Auto,
    /// `"none"`: the model answers in text and calls no tool.
    None,
    /// `"required"`: the model must call at least one tool.
    Required,
    /// The model must call this tool.
    Function(String),
}

impl ToolChoice {
    /// [`ToolChoice::Function`]: the model must call the tool `name`.
    pub fn function(name: impl Into<String>) -> Self {
        Self::Function(name.into())
    }

    /// The choice as the request's `tool_choice` JSON.
    pub fn to_json(&self) -> Value {
        match self {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Function(name) => {
                json!({ "type": "function", "function": { "name": name } })
            }
        }
    }

    /// How the choice reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            ToolChoice::Function(name) => format!("the function `{name}`"),
            other => format!("`{}`", other.to_json().as_str().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arguments_are_an_empty_object() {
        let call = ToolCall::new("c", "clock", "");
        assert_eq!(call.arguments_json().expect("empty is {}"), json!({}));
        let call = ToolCall::new("c", "clock", "  \n");
        assert_eq!(call.arguments_json().expect("blank is {}"), json!({}));
    }

    #[test]
    fn arguments_that_do_not_fit_the_type_say_so() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Args {
            city: String,
        }
        let call = ToolCall::new("call_9", "get_weather", r#"{"town": "Paris"}"#);
        let err = call.parse_arguments::<Args>().unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "cannot read the arguments of tool call `call_9` to `get_weather`: they do not fit `"
            ),
            "{text}"
        );
        assert!(text.contains("missing field `city`"), "{text}");
        assert!(matches!(err, LlmError::ToolArguments { ref name, .. } if name == "get_weather"));
    }

    #[test]
    fn tool_calls_round_trip_through_openai_json() {
        let call = ToolCall::new("call_1", "f", "{\"a\":1}");
        let json = json!(call);
        assert_eq!(
            json,
            json!({ "id": "call_1", "type": "function", "function": { "name": "f", "arguments": "{\"a\":1}" } })
        );
        assert_eq!(
            serde_json::from_value::<ToolCall>(json).expect("parses"),
            call
        );
        let custom = json!({ "id": "c", "type": "custom", "function": { "name": "f" } });
        let err = serde_json::from_value::<ToolCall>(custom).unwrap_err();
        assert!(
            err.to_string()
                .contains("is of type `custom`; only `function` calls are supported"),
            "{err}"
        );
    }

    #[test]
    fn choices_describe_themselves() {
        assert_eq!(ToolChoice::Auto.to_json(), json!("auto"));
        assert_eq!(ToolChoice::None.to_json(), json!("none"));
        assert_eq!(ToolChoice::Required.describe(), "`required`");
        assert_eq!(ToolChoice::function("f").describe(), "the function `f`");
    }
}
