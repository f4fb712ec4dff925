//! Putting streamed `tool_calls` deltas together into whole [`ToolCall`]s, and
//! reading the `tool_calls` of a whole (non-streamed) completion.
//!
//! OpenAI streams a call in pieces: its first delta carries `index`, `id`,
//! `type: "function"`, `function.name` and the start of `function.arguments`
//! (often empty); later deltas carry only `index` and further pieces of
//! `arguments`. Several calls of one turn have different indexes and their
//! deltas may interleave. The deltas are kept as JSON and checked here, so a
//! malformed one gets an error saying what is wrong with it.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use serde_json::{Map, Value};

use super::chunk::prefix;
use super::tool_call::ToolCall;

/// What is wrong with a tool call, and which one (its index) when known.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) index: Option<u64>,
    pub(crate) problem: String,
}

impl Problem {
    fn at(index: u64, problem: String) -> Self {
        Self {
            index: Some(index),
            problem,
        }
    }
}

/// The calls of one streamed turn, by index.
#[derive(Debug, Default)]
pub(crate) struct ToolCallAssembler {
    calls: BTreeMap<u64, Partial>,
}

#[derive(Debug)]
struct Partial {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// The fields of one `tool_calls` entry, checked for their types.
struct Fields<'a> {
    id: Option<&'a str>,
    name: Option<&'a str>,
    arguments: Option<&'a str>,
}

impl ToolCallAssembler {
    /// Adds one entry of a delta's `tool_calls` array.
    pub(crate) fn push(&mut self, entry: &Value) -> Result<(), Problem> {
        let object = entry.as_object().ok_or_else(|| Problem {
            index: None,
            problem: format!("a `tool_calls` entry is {}, not an object", kind(entry)),
        })?;
        let index = match object.get("index") {
            Some(Value::Number(number)) if number.as_u64().is_some() => {
                number.as_u64().unwrap_or_default()
            }
            None | Some(Value::Null) => {
                return Err(Problem {
                    index: None,
                    problem: "a `tool_calls` delta has no `index`, so it cannot be told which call it belongs to".to_owned(),
                });
            }
            Some(other) => {
                return Err(Problem {
                    index: None,
                    problem: format!(
                        "a `tool_calls` delta has the index `{other}`, not a non-negative integer"
                    ),
                });
            }
        };
        let fields = fields(object).map_err(|problem| Problem::at(index, problem))?;
        match self.calls.entry(index) {
            Entry::Vacant(slot) => {
                let name = fields.name.ok_or_else(|| {
                    Problem::at(
                        index,
                        "its first delta has no `function.name`: a call must be introduced with its name and id before its arguments arrive".to_owned(),
                    )
                })?;
                slot.insert(Partial {
                    id: fields.id.map(str::to_owned),
                    name: name.to_owned(),
                    arguments: fields.arguments.unwrap_or_default().to_owned(),
                });
            }
            Entry::Occupied(mut slot) => {
                let call = slot.get_mut();
                if let Some(id) = fields.id {
                    match &call.id {
                        None => call.id = Some(id.to_owned()),
                        Some(known) if known == id => {}
                        Some(known) => {
                            return Err(Problem::at(
                                index,
                                format!(
                                    "a delta gives it the id `{id}`, but it is the call `{known}`: the server reused the index for another call"
                                ),
                            ));
                        }
                    }
                }
                if let Some(name) = fields.name.filter(|name| *name != call.name) {
                    return Err(Problem::at(
                        index,
                        format!(
                            "a delta names the tool `{name}`, but the call at this index is to `{}`",
                            call.name
                        ),
                    ));
                }
                if let Some(arguments) = fields.arguments {
                    call.arguments.push_str(arguments);
                }
            }
        }
        Ok(())
    }

    /// Whether any call has started.
    pub(crate) fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The whole calls, in index order.
    pub(crate) fn finish(self) -> Result<Vec<ToolCall>, Problem> {
        self.calls
            .into_iter()
            .map(|(index, call)| match call.id {
                Some(id) => Ok(ToolCall::new(id, call.name, call.arguments)),
                None => Err(Problem::at(
                    index,
                    format!(
                        "the call to `{}` never got an `id`, so its result could not be sent back",
                        call.name
                    ),
                )),
            })
            .collect()
    }
}

/// One entry of a whole message's `tool_calls` (the `position`th).
pub(crate) fn whole_tool_call(entry: &Value, position: usize) -> Result<ToolCall, Problem> {
    let index = u64::try_from(position).unwrap_or(u64::MAX);
    let object = entry.as_object().ok_or_else(|| {
        Problem::at(
            index,
            format!("the entry is {}, not an object", kind(entry)),
        )
    })?;
    let fields = fields(object).map_err(|problem| Problem::at(index, problem))?;
    let (Some(id), Some(name)) = (fields.id, fields.name) else {
        let missing = if fields.id.is_none() {
            "`id`"
        } else {
            "`function.name`"
        };
        return Err(Problem::at(index, format!("it has no {missing}")));
    };
    Ok(ToolCall::new(
        id,
        name,
        fields.arguments.unwrap_or_default(),
    ))
}

/// Checks an entry's `type`, `id`, `function.name` and `function.arguments`.
fn fields(object: &Map<String, Value>) -> Result<Fields<'_>, String> {
    match object.get("type") {
        None | Some(Value::Null) => {}
        Some(Value::String(kind)) if kind == "function" => {}
        Some(other) => {
            return Err(format!(
                "its `type` is `{}`; only `function` tool calls are supported",
                other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned)
            ));
        }
    }
    let id = text(object, "id", "`id`")?;
    let function = match object.get("function") {
        None | Some(Value::Null) => None,
        Some(Value::Object(function)) => Some(function),
        Some(other) => {
            return Err(format!("its `function` is {}, not an object", kind(other)));
        }
    };
    let name = match function {
        Some(function) => text(function, "name", "`function.name`")?,
        None => None,
    };
    let arguments = match function.and_then(|function| function.get("arguments")) {
        None | Some(Value::Null) => None,
        Some(Value::String(arguments)) => Some(arguments.as_str()),
        Some(other) => {
            return Err(format!(
                "its `function.arguments` is {} (`{}`), not a string: the arguments must come as a string of JSON text",
                kind(other),
                prefix(&other.to_string(), 80)
            ));
        }
    };
    Ok(Fields {
        id,
        name,
        arguments,
    })
}

/// A string field; `None` when absent, null or empty.
fn text<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    shown: &str,
) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str()).filter(|text| !text.is_empty())),
        Some(other) => Err(format!("its {shown} is {}, not a string", kind(other))),
    }
}

/// What kind of JSON value `value` is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assemble(entries: &[Value]) -> Result<Vec<ToolCall>, Problem> {
        let mut calls = ToolCallAssembler::default();
        for entry in entries {
            calls.push(entry)?;
        }
        calls.finish()
    }

    fn problem(index: Option<u64>, problem: &str) -> Problem {
        Problem {
            index,
            problem: problem.to_owned(),
        }
    }

    #[test]
    fn interleaved_calls_come_out_whole_in_index_order() {
        let calls = assemble(&[
            json!({ "index": 1, "id": "b", "type": "function", "function": { "name": "g", "arguments": "" } }),
            json!({ "index": 0, "id": "a", "type": "function", "function": { "name": "f", "arguments": "{\"x\"" } }),
            json!({ "index": 1, "function": { "arguments": "{}" } }),
            json!({ "index": 0, "function": { "arguments": ":1}" } }),
            json!({ "index": 0, "id": "a", "function": { "name": "f", "arguments": null } }),
        ])
        .expect("well formed");
        assert_eq!(
            calls,
            [
                ToolCall::new("a", "f", "{\"x\":1}"),
                ToolCall::new("b", "g", "{}")
            ]
        );
    }

    #[test]
    fn an_id_may_come_after_the_name() {
        let calls = assemble(&[
            json!({ "index": 0, "function": { "name": "f" } }),
            json!({ "index": 0, "id": "late", "function": { "arguments": "{}" } }),
        ])
        .expect("well formed");
        assert_eq!(calls, [ToolCall::new("late", "f", "{}")]);
    }

    #[test]
    fn malformed_deltas_say_what_is_wrong() {
        let cases = [
            (
                vec![json!({ "index": 0, "function": { "arguments": "{}" } })],
                problem(
                    Some(0),
                    "its first delta has no `function.name`: a call must be introduced with its name and id before its arguments arrive",
                ),
            ),
            (
                vec![
                    json!({ "index": 0, "id": "a", "function": { "name": "f", "arguments": { "x": 1 } } }),
                ],
                problem(
                    Some(0),
                    "its `function.arguments` is an object (`{\"x\":1}`), not a string: the arguments must come as a string of JSON text",
                ),
            ),
            (
                vec![
                    json!({ "index": 2, "type": "function", "function": { "name": "f", "arguments": "{}" } }),
                ],
                problem(
                    Some(2),
                    "the call to `f` never got an `id`, so its result could not be sent back",
                ),
            ),
            (
                vec![json!({ "id": "a", "function": { "name": "f" } })],
                problem(
                    None,
                    "a `tool_calls` delta has no `index`, so it cannot be told which call it belongs to",
                ),
            ),
            (
                vec![json!({ "index": -1, "id": "a" })],
                problem(
                    None,
                    "a `tool_calls` delta has the index `-1`, not a non-negative integer",
                ),
            ),
            (
                vec![json!("call")],
                problem(None, "a `tool_calls` entry is a string, not an object"),
            ),
            (
                vec![
                    json!({ "index": 0, "id": "a", "type": "custom", "function": { "name": "f" } }),
                ],
                problem(
                    Some(0),
                    "its `type` is `custom`; only `function` tool calls are supported",
                ),
            ),
            (
                vec![json!({ "index": 0, "id": 7, "function": { "name": "f" } })],
                problem(Some(0), "its `id` is a number, not a string"),
            ),
            (
                vec![json!({ "index": 0, "id": "a", "function": "f" })],
                problem(Some(0), "its `function` is a string, not an object"),
            ),
            (
                vec![
                    json!({ "index": 0, "id": "a", "function": { "name": "f" } }),
                    json!({ "index": 0, "id": "b", "function": { "arguments": "{}" } }),
                ],
                problem(
                    Some(0),
                    "a delta gives it the id `b`, but it is the call `a`: the server reused the index for another call",
                ),
            ),
            (
                vec![
                    json!({ "index": 0, "id": "a", "function": { "name": "f" } }),
                    json!({ "index": 0, "function": { "name": "g" } }),
                ],
                problem(
                    Some(0),
                    "a delta names the tool `g`, but the call at this index is to `f`",
                ),
            ),
        ];
        for (entries, expected) in cases {
            assert_eq!(assemble(&entries).unwrap_err(), expected, "{entries:?}");
        }
    }

    #[test]
    fn whole_calls_need_an_id_and_a_name() {
        let call = whole_tool_call(
            &json!({ "id": "a", "type": "function", "function": { "name": "f", "arguments": "{}" } }),
            0,
        )
        .expect("well formed");
        assert_eq!(call, ToolCall::new("a", "f", "{}"));
        assert_eq!(
            whole_tool_call(&json!({ "id": "a", "function": { "name": "f" } }), 0)
                .expect("no arguments")
                .arguments,
            ""
        );
        assert_eq!(
            whole_tool_call(&json!({ "function": { "name": "f" } }), 1).unwrap_err(),
            problem(Some(1), "it has no `id`")
        );
        assert_eq!(
            whole_tool_call(&json!({ "id": "a", "function": {} }), 2).unwrap_err(),
            problem(Some(2), "it has no `function.name`")
        );
        assert_eq!(
            whole_tool_call(&json!(null), 0).unwrap_err(),
            problem(Some(0), "the entry is null, not an object")
        );
    }
}
