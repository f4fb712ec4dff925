//! [`ToolSet`]: the tools an LLM may call, and the dispatch of its calls.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde_json::{Map, Value};

use super::error::{ArgumentError, ToolError};
use super::{IntoTool, Invoke, ToolDef};
use crate::error::{GraphError, json_kind};
use crate::node::Context;
use crate::resource::{ResourceScope, Resources};
use crate::run_state::RunState;
use crate::schema::OpenAIApi;
use crate::state::State;

/// The tools an LLM may call: `#[tool]` fns and nodes, with the shared
/// [`State`] and the resources they use.
///
/// [`schemas`](ToolSet::schemas) gives the request's tool list, and
/// [`call`](ToolSet::call) runs a tool call that comes back.
///
/// ```
/// use graphai::{OpenAIApi, Res, ToolError, ToolSet, json, tool};
///
/// struct Rates(Vec<(&'static str, f64)>);
///
/// /// Converts an amount of euros into another currency.
/// #[tool]
/// fn convert(
///     /// The amount in euros.
///     euros: f64,
///     /// The ISO code of the currency.
///     currency: String,
///     rates: Res<Rates>,
/// ) -> Result<f64, String> {
///     match rates.0.iter().find(|(code, _)| *code == currency) {
///         Some((_, rate)) => Ok(euros * rate),
///         None => Err(format!("no rate for {currency}")),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let tools = ToolSet::new()
///     .resource(Rates(vec![("USD", 1.5)]))
///     .add(convert);
/// assert_eq!(tools.schemas(OpenAIApi::Completions)[0]["function"]["name"], "convert");
///
/// let value = tools.call("convert", r#"{"euros": 2, "currency": "USD"}"#).await?;
/// assert_eq!(value, json!(3.0));
///
/// let error = tools.call("convert", r#"{"euros": "two"}"#).await.unwrap_err();
/// assert!(matches!(error, ToolError::InvalidArguments { .. }));
/// # Ok::<(), ToolError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ToolSet {
    tools: Vec<ToolDef>,
    state: State,
    resources: Resources,
}

impl std::fmt::Debug for ToolSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolSet")
            .field("tools", &self.names().collect::<Vec<_>>())
            .field("resources", &self.resources)
            .finish_non_exhaustive()
    }
}

impl ToolSet {
    /// An empty tool set with an empty [`State`] and no resources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool: a `#[tool]` fn, a `#[node]` fn, a [`ToolDef`] or a
    /// [`NodeDef`](crate::NodeDef). A tool with the name of one already in the
    /// set replaces it.
    #[expect(
        clippy::should_implement_trait,
        reason = "a builder method like `Graph::add_node`, not arithmetic"
    )]
    pub fn add(mut self, tool: impl IntoTool) -> Self {
        let tool = tool.into_tool();
        match self.tools.iter_mut().find(|t| t.name() == tool.name()) {
            Some(slot) => {
                tracing::warn!(
                    tool = tool.name(),
                    "a tool named `{}` was added twice; the later one replaces the earlier",
                    tool.name()
                );
                *slot = tool;
            }
            None => self.tools.push(tool),
        }
        self
    }

    /// Adds a resource, served to the tools' `Res<T>` parameters. One value
    /// per type; a second value of a type replaces the first.
    pub fn resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources.insert(value);
        self
    }

    /// Adds every value of `resources`, for example a compiled graph's
    /// ([`CompiledGraph::resources`](crate::CompiledGraph::resources)).
    pub fn resources(mut self, resources: &Resources) -> Self {
        self.resources.extend(resources);
        self
    }

    /// The shared [`State`] that nodes with a `state` parameter see, for
    /// example a compiled graph's ([`CompiledGraph::state`](crate::CompiledGraph::state)).
    pub fn with_state(mut self, state: State) -> Self {
        self.state = state;
        self
    }

    /// The shared state the tools see.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The tools' names, in the order they were added.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &'static str> + '_ {
        self.tools.iter().map(ToolDef::name)
    }

    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&ToolDef> {
        self.tools.iter().find(|t| t.name() == name)
    }

    /// How many tools the set holds.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether the set holds no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The tool definitions for an OpenAI request, in the order the tools were
    /// added, each with the full JSON Schema of its parameters
    /// ([`FunctionSchema::to_tool`](crate::FunctionSchema::to_tool)).
    pub fn schemas(&self, api: OpenAIApi) -> Vec<Value> {
        self.tools.iter().map(|t| t.schema.to_tool(api)).collect()
    }

    /// Runs the tool `name` with `arguments`: the JSON text an LLM sent (an
    /// empty text means no arguments), a `Value` or a `Map`. A node's result is
    /// its output object.
    ///
    /// # Errors
    /// [`ToolError::UnknownTool`] (listing the tools),
    /// [`ToolError::InvalidArguments`] (not JSON, not an object, a missing or
    /// mistyped parameter: naming the parameter and its type),
    /// [`ToolError::Failed`] with the tool's own error as the source,
    /// [`ToolError::Panicked`], [`ToolError::MissingResource`].
    pub async fn call(
        &self,
        name: &str,
        arguments: impl IntoArguments,
    ) -> Result<Value, ToolError> {
        let Some(tool) = self.get(name) else {
            return Err(ToolError::UnknownTool {
                name: name.to_owned(),
                known: self.names().map(str::to_owned).collect(),
            });
        };
        let arguments = arguments
            .into_arguments()
            .map_err(|problem| invalid(tool, problem))?;
        self.invoke(tool, arguments).await
    }

    /// Runs several calls of one LLM turn concurrently, `(name, arguments)`
    /// each, and returns their results in call order (one failure loses no
    /// other result).
    pub async fn call_all<I, N, A>(&self, calls: I) -> Vec<Result<Value, ToolError>>
    where
        I: IntoIterator<Item = (N, A)>,
        N: AsRef<str>,
        A: IntoArguments,
    {
        let calls = calls
            .into_iter()
            .map(|(name, arguments)| async move { self.call(name.as_ref(), arguments).await });
        futures::future::join_all(calls).await
    }

    async fn invoke(
        &self,
        tool: &ToolDef,
        arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let ctx = Context {
            node: tool.name(),
            state: std::sync::Arc::new(RunState::new(arguments)),
            upstream: None,
            callback: None,
            shared: &self.state,
            resources: ResourceScope::new(&self.resources, None),
            interrupt: None,
        };
        let future = match tool.invoke {
            Invoke::Tool(invoke) => invoke(ctx),
            Invoke::Node(invoke) => Box::pin(invoke(ctx).map(|r| r.map(Value::Object))),
        };
        match AssertUnwindSafe(future).catch_unwind().await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(tool_error(tool, error)),
            Err(payload) => Err(ToolError::Panicked {
                tool: tool.name().to_owned(),
                message: panic_message(payload.as_ref()),
            }),
        }
    }
}

fn invalid(tool: &ToolDef, problem: ArgumentError) -> ToolError {
    ToolError::InvalidArguments {
        tool: tool.name().to_owned(),
        problem,
    }
}

/// A binding or run error of a tool, in the tool's terms.
fn tool_error(tool: &ToolDef, error: GraphError) -> ToolError {
    let name = tool.name().to_owned();
    match error {
        GraphError::MissingParameters { missing, .. } => invalid(
            tool,
            ArgumentError::Missing {
                parameters: missing,
            },
        ),
        GraphError::InvalidParameter {
            parameter,
            expected,
            message,
            ..
        } => {
            let param = tool.schema.parameter(&parameter);
            invalid(
                tool,
                ArgumentError::WrongType {
                    expected: param.map_or("object", |p| p.openai_type()),
                    rust_type: param.map_or(expected, |p| p.ty()).to_owned(),
                    parameter,
                    message,
                },
            )
        }
        GraphError::Node { source, .. } => ToolError::Failed { tool: name, source },
        GraphError::Panic { message, .. } => ToolError::Panicked {
            tool: name,
            message,
        },
        GraphError::MissingResource {
            parameter,
            type_name,
            ..
        } => ToolError::MissingResource {
            tool: name,
            parameter,
            type_name,
        },
        other => ToolError::Failed {
            tool: name,
            source: Box::new(other),
        },
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}

/// What [`ToolSet::call`] takes as arguments: the JSON text of a tool call
/// (`&str`, `String`), or a parsed `Value` or `Map`.
pub trait IntoArguments {
    /// The arguments as an object.
    ///
    /// # Errors
    /// [`ArgumentError::NotJson`] or [`ArgumentError::NotAnObject`].
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError>;
}

impl IntoArguments for Map<String, Value> {
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        Ok(self)
    }
}

impl IntoArguments for Value {
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        match self {
            Value::Object(map) => Ok(map),
            other => Err(ArgumentError::NotAnObject {
                found: json_kind(&other),
            }),
        }
    }
}

impl IntoArguments for &Value {
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        match self {
            Value::Object(map) => Ok(map.clone()),
            other => Err(ArgumentError::NotAnObject {
                found: json_kind(other),
            }),
        }
    }
}

impl IntoArguments for &str {
    /// Parses the text; an empty or blank text is no arguments (some servers
    /// send `""` for a function without parameters).
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        if self.trim().is_empty() {
            return Ok(Map::new());
        }
        serde_json::from_str::<Value>(self)
            .map_err(|e| ArgumentError::NotJson {
                message: e.to_string(),
            })?
            .into_arguments()
    }
}

impl IntoArguments for String {
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        self.as_str().into_arguments()
    }
}

impl IntoArguments for &String {
    fn into_arguments(self) -> Result<Map<String, Value>, ArgumentError> {
        self.as_str().into_arguments()
    }
}
