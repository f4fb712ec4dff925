//! Checking a request's tools and tool choice before anything is sent, so a
//! mistake gets an error naming the tool rather than the server's 400.

use std::collections::HashMap;

use serde_json::Value;

use super::chunk;
use super::error::LlmError;
use super::tool_call::ToolChoice;

/// Checks that every tool is `{"type": "function", "function": {"name": ..}}`
/// and that no name is used twice.
pub(crate) fn check_tools(tools: &[Value]) -> Result<(), LlmError> {
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (index, tool) in tools.iter().enumerate() {
        let invalid = |problem: String| LlmError::InvalidTool { index, problem };
        let Some(object) = tool.as_object() else {
            return Err(invalid(format!(
                "it is `{}`, not a JSON object",
                chunk::prefix(&tool.to_string(), 60)
            )));
        };
        match object.get("type").and_then(Value::as_str) {
            Some("function") => {}
            Some(other) => {
                return Err(invalid(format!(
                    "its `type` is `{other}`; this client sends `function` tools"
                )));
            }
            None => return Err(invalid("it has no `type`".to_owned())),
        }
        let Some(function) = object.get("function") else {
            let problem = if object.contains_key("name") {
                "it has `name` at the top level, which is the Responses API form: give the chat-completions form (`OpenAIApi::Completions`), with `name`, `description` and `parameters` inside `function`"
            } else {
                "it has no `function` object"
            };
            return Err(invalid(problem.to_owned()));
        };
        let name = function
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid("its `function` has no `name` string".to_owned()))?;
        if function.get("parameters").is_some_and(|p| !p.is_object()) {
            return Err(invalid(format!(
                "the `parameters` of `{name}` are not a JSON Schema object"
            )));
        }
        if let Some(first) = names.insert(name, index) {
            return Err(invalid(format!(
                "the name `{name}` is already used by tool {first}; every tool needs its own name"
            )));
        }
    }
    Ok(())
}

/// Whether `tool_choice` goes into the request: `auto` and `none` without
/// tools mean no tools and are left out; `required` or a named function
/// without that tool cannot be honoured.
pub(crate) fn check_choice(choice: &ToolChoice, tools: &[Value]) -> Result<bool, LlmError> {
    let invalid = |problem: String| LlmError::InvalidToolChoice {
        choice: choice.describe(),
        problem,
    };
    let names: Vec<&str> = tools
        .iter()
        .filter_map(|tool| tool.pointer("/function/name").and_then(Value::as_str))
        .collect();
    match choice {
        ToolChoice::Auto | ToolChoice::None => Ok(!tools.is_empty()),
        ToolChoice::Required if tools.is_empty() => Err(invalid(
            "needs tools, and the request has none: add them with `.tools(..)`".to_owned(),
        )),
        ToolChoice::Function(name) if !names.contains(&name.as_str()) => {
            let known = if names.is_empty() {
                "the request has no tools".to_owned()
            } else {
                format!(
                    "its tools are {}",
                    names
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            Err(invalid(format!("names no tool of the request: {known}")))
        }
        _ => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str) -> Value {
        json!({ "type": "function", "function": { "name": name, "parameters": { "type": "object", "properties": {} } } })
    }

    #[test]
    fn bad_tools_are_refused_before_sending() {
        let cases = [
            (
                json!("search"),
                "tool 0 of the request is not a chat-completions tool definition: it is `\"search\"`, not a JSON object",
            ),
            (
                json!({ "function": { "name": "f" } }),
                "tool 0 of the request is not a chat-completions tool definition: it has no `type`",
            ),
            (
                json!({ "type": "web_search" }),
                "tool 0 of the request is not a chat-completions tool definition: its `type` is `web_search`; this client sends `function` tools",
            ),
            (
                json!({ "type": "function", "name": "f", "parameters": {} }),
                "tool 0 of the request is not a chat-completions tool definition: it has `name` at the top level, which is the Responses API form: give the chat-completions form (`OpenAIApi::Completions`), with `name`, `description` and `parameters` inside `function`",
            ),
            (
                json!({ "type": "function" }),
                "tool 0 of the request is not a chat-completions tool definition: it has no `function` object",
            ),
            (
                json!({ "type": "function", "function": { "name": "" } }),
                "tool 0 of the request is not a chat-completions tool definition: its `function` has no `name` string",
            ),
            (
                json!({ "type": "function", "function": { "name": "f", "parameters": "none" } }),
                "tool 0 of the request is not a chat-completions tool definition: the `parameters` of `f` are not a JSON Schema object",
            ),
        ];
        let fix = "; give `{\"type\": \"function\", \"function\": {\"name\": .., \"description\": .., \"parameters\": {..}}}`";
        for (tool, expected) in cases {
            let err = check_tools(&[tool]).unwrap_err();
            assert_eq!(err.to_string(), format!("{expected}{fix}"));
        }
        let err = check_tools(&[tool("a"), tool("b"), tool("a")]).unwrap_err();
        assert!(
            matches!(err, LlmError::InvalidTool { index: 2, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("the name `a` is already used by tool 0; every tool needs its own name"),
            "{err}"
        );
    }

    #[test]
    fn a_choice_the_tools_cannot_honour_is_refused() {
        let err = check_choice(&ToolChoice::Required, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the request's tool choice `required` needs tools, and the request has none: add them with `.tools(..)`"
        );
        let err = check_choice(&ToolChoice::function("c"), &[tool("a"), tool("b")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the request's tool choice the function `c` names no tool of the request: its tools are `a`, `b`"
        );
        let err = check_choice(&ToolChoice::function("c"), &[]).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("names no tool of the request: the request has no tools")
        );
        assert!(check_choice(&ToolChoice::Required, &[tool("a")]).expect("valid"));
    }
}
