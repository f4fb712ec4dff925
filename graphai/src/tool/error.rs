//! [`ToolError`]: why a tool call failed.

use std::fmt;

use crate::error::Error;

/// Why [`ToolSet::call`](crate::ToolSet::call) failed. Every variant names the tool.
///
/// To hand the failure back to the LLM as the tool's result, use
/// [`report`](ToolError::report), which includes the tool's own error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The call names no tool of the set.
    #[error("there is no tool `{name}`: {}", known_text(.known))]
    UnknownTool {
        /// The name the call gave.
        name: String,
        /// The names of the set's tools, in the order they were added.
        known: Vec<String>,
    },
    /// The arguments are not JSON, not an object, or miss or mistype a parameter.
    #[error("tool `{tool}` got bad arguments: {problem}")]
    InvalidArguments {
        /// The tool called.
        tool: String,
        /// What is wrong with the arguments.
        problem: ArgumentError,
    },
    /// The tool returned an error (the [`source`](std::error::Error::source)),
    /// or a value that is not JSON.
    #[error("tool `{tool}` failed")]
    Failed {
        /// The tool that failed.
        tool: String,
        /// The tool's own error.
        #[source]
        source: Error,
    },
    /// The tool panicked. The panic is caught: other calls go on.
    #[error("tool `{tool}` panicked: {message}")]
    Panicked {
        /// The tool that panicked.
        tool: String,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The tool takes a `Res<T>` that the tool set does not hold.
    #[error(
        "tool `{tool}` needs the resource `{type_name}` (parameter `{parameter}`), which this tool set does not hold: add it with `ToolSet::resource(..)`"
    )]
    MissingResource {
        /// The tool.
        tool: String,
        /// The `Res<T>` parameter.
        parameter: String,
        /// The resource type's name.
        type_name: String,
    },
}

impl ToolError {
    /// The tool's name (for an unknown tool, the name the call gave).
    pub fn tool(&self) -> &str {
        match self {
            ToolError::UnknownTool { name, .. } => name,
            ToolError::InvalidArguments { tool, .. }
            | ToolError::Failed { tool, .. }
            | ToolError::Panicked { tool, .. }
            | ToolError::MissingResource { tool, .. } => tool,
        }
    }

    /// The whole message with every source error after it, joined by `: `:
    /// what an LLM needs to read to correct its call.
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(error) = source {
            text.push_str(": ");
            text.push_str(&error.to_string());
            source = error.source();
        }
        text
    }
}

/// What is wrong with a tool call's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgumentError {
    /// The arguments text is not JSON.
    NotJson {
        /// serde's description of the syntax error.
        message: String,
    },
    /// The arguments are JSON but not an object.
    NotAnObject {
        /// What they are instead (`"an array"`, `"a string"`, ..).
        found: &'static str,
    },
    /// Required parameters are missing.
    Missing {
        /// Every missing parameter, in declaration order.
        parameters: Vec<String>,
    },
    /// An argument does not fit its parameter's type.
    WrongType {
        /// The parameter.
        parameter: String,
        /// GraphAI's flat name of the expected JSON type ("number", "string", ..).
        expected: &'static str,
        /// The parameter's Rust type.
        rust_type: String,
        /// serde's description of the mismatch.
        message: String,
    },
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgumentError::NotJson { message } => write!(
                f,
                "the arguments are not JSON ({message}); send a JSON object such as {{\"name\": value}}"
            ),
            ArgumentError::NotAnObject { found } => {
                write!(f, "the arguments must be a JSON object, got {found}")
            }
            ArgumentError::Missing { parameters } => {
                write!(f, "missing required arguments: {}", quoted(parameters))
            }
            ArgumentError::WrongType {
                parameter,
                expected,
                rust_type,
                message,
            } => write!(
                f,
                "argument `{parameter}` must be of type {expected} (`{rust_type}`): {message}"
            ),
        }
    }
}

fn known_text(known: &[String]) -> String {
    if known.is_empty() {
        "the tool set is empty".to_owned()
    } else {
        format!("the tools are {}", quoted(known))
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
