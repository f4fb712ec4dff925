//! Used by the code that `graphai-macros` generates. Not public API: it changes
//! without notice.

use std::any::Any;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use crate::graph_check::*;
pub use crate::node::{
    Context, Node, NodeDef, NodeFuture, NodeResult, NodeSlot, ParamInfo, Produced, SlotResult,
};
pub use crate::policy::Policy;
pub use crate::resource::{Res, ResourceInfo};
pub use crate::rules::table_size;
pub use crate::schema::{FunctionSchema, SchemaFn, StructSchema};
pub use crate::tool::{Tool, ToolDef, ToolFuture};
pub use core::time::Duration;
pub use schemars;
pub use serde_json;

use crate::callback::Callback;
use crate::compiled::CompiledGraph;
use crate::error::{Error, GraphCompileError, GraphError, json_kind};
use crate::route::Route;
use crate::state::State;

/// A type a node parameter can have: anything serde can deserialize from JSON.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a node parameter",
    label = "parameters are read from the run state, so their type must implement `serde::Deserialize`",
    note = "derive it with `#[derive(serde::Deserialize)]`, or take a `serde_json::Value` and convert it yourself"
)]
pub trait FromState: Sized {
    /// Reads the parameter from a run-state value.
    ///
    /// # Errors
    /// serde's error when the value does not fit `Self`.
    fn from_state(value: &Value) -> Result<Self, serde_json::Error>;
}

impl<T: DeserializeOwned> FromState for T {
    fn from_state(value: &Value) -> Result<Self, serde_json::Error> {
        T::deserialize(value)
    }
}

/// A type a node body can return (an object is checked at run time). The
/// generated code bounds on it through a per-node trait whose diagnostic names
/// the node.
pub trait NodeOutput: Serialize + 'static {}

impl<T: Serialize + 'static> NodeOutput for T {}

/// The type of a `callback` parameter: [`Callback`].
#[diagnostic::on_unimplemented(
    message = "the `callback` parameter has type `{Self}`, but the graph injects a `graphai::Callback`",
    label = "declare it as `callback: graphai::Callback`",
    note = "a parameter named `callback` is injected, not read from the run state; to read the run-state key `callback`, rename the parameter and add `#[key(\"callback\")]`"
)]
pub trait InjectCallback: Sized {
    /// The callback of the running node.
    fn inject(ctx: &Context<'_>) -> Self;
}

impl InjectCallback for Callback {
    fn inject(ctx: &Context<'_>) -> Self {
        ctx.callback()
    }
}

/// The value of a `callback: T` parameter.
pub fn inject_callback<T: InjectCallback>(ctx: &Context<'_>) -> T {
    T::inject(ctx)
}

/// The type of a `state` parameter: [`State`].
#[diagnostic::on_unimplemented(
    message = "the `state` parameter has type `{Self}`, but the graph injects a `graphai::State`",
    label = "declare it as `state: graphai::State`",
    note = "a parameter named `state` is injected with the graph's shared state, not read from the run state; to read the run-state key `state`, rename the parameter and add `#[key(\"state\")]`"
)]
pub trait InjectState: Sized {
    /// The shared state of the running graph.
    fn inject(ctx: &Context<'_>) -> Self;
}

impl InjectState for State {
    fn inject(ctx: &Context<'_>) -> Self {
        ctx.state()
    }
}

/// The type of an interrupt parameter: [`Interrupt`](crate::Interrupt).
pub trait InjectInterrupt: Sized {
    /// The running node's interrupt handle.
    fn inject(ctx: &Context<'_>) -> Self;
}

impl InjectInterrupt for crate::Interrupt {
    fn inject(ctx: &Context<'_>) -> Self {
        // The executor gives every node that takes one its handle; a node
        // called some other way (as a tool) has no one to ask.
        ctx.interrupt()
            .cloned()
            .unwrap_or_else(|| crate::Interrupt::answered(ctx.node(), Vec::new()))
    }
}

/// The value of an `Interrupt` parameter.
pub fn inject_interrupt<T: InjectInterrupt>(ctx: &Context<'_>) -> T {
    T::inject(ctx)
}

/// The value of a `state: T` parameter.
pub fn inject_state<T: InjectState>(ctx: &Context<'_>) -> T {
    T::inject(ctx)
}

/// Binds a node's parameters from its [`Context`], collecting every missing
/// parameter so the error names them all.
pub struct Binder<'c, 'a> {
    ctx: &'c Context<'a>,
    missing: Vec<&'static str>,
    invalid: Option<GraphError>,
}

impl<'c, 'a> Binder<'c, 'a> {
    /// A binder for the node running with `ctx`.
    pub fn new(ctx: &'c Context<'a>) -> Self {
        Self {
            ctx,
            missing: Vec::new(),
            invalid: None,
        }
    }

    fn read<T: FromState>(&mut self, key: &'static str, value: &Value) -> Option<T> {
        match T::from_state(value) {
            Ok(v) => Some(v),
            Err(err) => {
                self.wrong_type(key, std::any::type_name::<T>(), &err);
                None
            }
        }
    }

    // The failure paths stay out of line: they would otherwise be copied
    // into every node's future, and a run's code would fill the I-cache.
    #[cold]
    #[inline(never)]
    fn wrong_type(&mut self, key: &'static str, expected: &'static str, err: &serde_json::Error) {
        if self.invalid.is_none() {
            self.invalid = Some(GraphError::InvalidParameter {
                node: self.ctx.node().to_owned(),
                parameter: key.to_owned(),
                expected,
                message: err.to_string(),
            });
        }
    }

    #[cold]
    #[inline(never)]
    fn note_missing(&mut self, key: &'static str) {
        self.missing.push(key);
    }

    /// A parameter that must be present. `None` means an error was recorded.
    pub fn required<T: FromState>(&mut self, key: &'static str) -> Option<T> {
        match self.ctx.get(key) {
            Some(value) => self.read(key, value),
            None => {
                self.note_missing(key);
                None
            }
        }
    }

    /// An `Option<T>` parameter: `Some(None)` when the key is missing or null.
    pub fn optional<T: FromState>(&mut self, key: &'static str) -> Option<Option<T>> {
        match self.ctx.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(value) => self.read(key, value).map(Some),
        }
    }

    /// A `#[default(..)]` parameter: `default()` when the key is missing.
    pub fn or_default<T: FromState>(
        &mut self,
        key: &'static str,
        default: impl FnOnce() -> T,
    ) -> Option<T> {
        match self.ctx.get(key) {
            Some(value) => self.read(key, value),
            None => Some(default()),
        }
    }

    /// The error for a binding that failed: every missing parameter, else the
    /// first value of the wrong type.
    #[cold]
    #[inline(never)]
    pub fn into_error(self) -> GraphError {
        let node = self.ctx.node().to_owned();
        if !self.missing.is_empty() {
            return GraphError::MissingParameters {
                node,
                missing: self.missing.iter().map(|k| (*k).to_owned()).collect(),
            };
        }
        self.invalid.unwrap_or(GraphError::MissingParameters {
            node,
            missing: Vec::new(),
        })
    }
}

/// Turns what a node body returned into its output object (a [`Route`] is
/// kept as it is, outside the object).
///
/// # Errors
/// [`GraphError::InvalidOutput`] when it is not a JSON object.
pub fn output<T: Serialize + 'static>(node: &str, value: T) -> SlotResult {
    let mut slot = Some(value);
    let any: &mut dyn Any = &mut slot;
    // `Value`, `Map` and `Route` are taken as they are: serializing them
    // would copy them.
    let value = if let Some(map) = any.downcast_mut::<Option<Map<String, Value>>>() {
        return map
            .take()
            .map(Produced::from)
            .ok_or_else(|| invalid(node, "nothing"));
    } else if let Some(route) = any.downcast_mut::<Option<Route>>() {
        return route
            .take()
            .map(Produced::routed)
            .ok_or_else(|| invalid(node, "nothing"));
    } else if let Some(value) = any.downcast_mut::<Option<Value>>() {
        value.take()
    } else {
        match slot.map(|v| serde_json::to_value(v)) {
            Some(Ok(value)) => Some(value),
            Some(Err(err)) => {
                return Err(invalid(
                    node,
                    &format!("a value that does not serialize to JSON ({err})"),
                ));
            }
            None => None,
        }
    };
    match value {
        Some(Value::Object(map)) => Ok(Produced::from(map)),
        Some(other) => Err(invalid(node, json_kind(&other))),
        None => Err(invalid(node, "nothing")),
    }
}

/// [`output`] for a body that returns `Result<T, E>`: an `Err` becomes
/// [`GraphError::Node`] with the error as its source.
///
/// # Errors
/// The node's own error, or [`GraphError::InvalidOutput`].
pub fn fallible_output<T: Serialize + 'static, E: Into<Error>>(
    node: &str,
    result: Result<T, E>,
) -> SlotResult {
    match result {
        Ok(value) => output(node, value),
        Err(err) => Err(GraphError::Node {
            node: node.to_owned(),
            source: err.into(),
        }),
    }
}

#[cold]
#[inline(never)]
fn invalid(node: &str, found: &str) -> GraphError {
    GraphError::InvalidOutput {
        node: node.to_owned(),
        found: found.to_owned(),
    }
}

/// [`output`] for a tool: any serializable value (not only an object).
///
/// # Errors
/// [`GraphError::InvalidOutput`] when it does not serialize to JSON.
pub fn tool_output<T: Serialize>(tool: &str, value: T) -> Result<Value, GraphError> {
    serde_json::to_value(value).map_err(|err| {
        invalid(
            tool,
            &format!("a value that does not serialize to JSON ({err})"),
        )
    })
}

/// [`tool_output`] for a tool that returns `Result<T, E>`.
///
/// # Errors
/// The tool's own error as [`GraphError::Node`], or [`GraphError::InvalidOutput`].
pub fn fallible_tool_output<T: Serialize, E: Into<Error>>(
    tool: &str,
    result: Result<T, E>,
) -> Result<Value, GraphError> {
    match result {
        Ok(value) => tool_output(tool, value),
        Err(err) => Err(GraphError::Node {
            node: tool.to_owned(),
            source: err.into(),
        }),
    }
}

/// A type that can be a resource. The generated code bounds on it through a
/// per-parameter trait whose diagnostic names the parameter.
pub trait ResourceType: Send + Sync + 'static {}

impl<T: Send + Sync + 'static> ResourceType for T {}

/// The value of a `Res<T>` parameter.
///
/// # Errors
/// [`GraphError::MissingResource`] when neither the run nor the graph holds a `T`.
pub fn inject_resource<T: ResourceType>(
    ctx: &Context<'_>,
    parameter: &'static str,
) -> Result<Res<T>, GraphError> {
    ctx.resource::<T>().ok_or_else(|| {
        crate::resource::missing_at_run(ctx.node(), parameter, std::any::type_name::<T>())
    })
}

/// `std::any::type_name::<T>`, as a fn pointer for [`ResourceInfo`].
pub fn type_name_of<T: ?Sized>() -> &'static str {
    std::any::type_name::<T>()
}

/// `TypeId::of::<T>`, as a fn pointer for [`ResourceInfo`].
pub fn type_id_of<T: ?Sized + 'static>() -> std::any::TypeId {
    std::any::TypeId::of::<T>()
}

/// The JSON Schema of `T`, for a parameter that must have one (`#[tool]`).
pub fn schema_of<T: ?Sized + schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> Option<schemars::Schema> {
    Some(generator.subschema_for::<T>())
}

/// Asks whether `T` has a JSON Schema without requiring one (node
/// parameters): `(&SchemaProbe::<T>::new()).probe(generator)` picks
/// [`ViaJsonSchema`] when `T: JsonSchema` and [`ViaNoSchema`] otherwise
/// (method resolution tries `&SchemaProbe<T>` before `&&SchemaProbe<T>`).
pub struct SchemaProbe<T: ?Sized>(std::marker::PhantomData<T>);

impl<T: ?Sized> Default for SchemaProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: ?Sized> SchemaProbe<T> {
    /// The probe for `T`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

/// The probe's answer when `T: JsonSchema`.
pub trait ViaJsonSchema {
    /// `T`'s schema.
    fn probe(&self, generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema>;
}

impl<T: ?Sized + schemars::JsonSchema> ViaJsonSchema for SchemaProbe<T> {
    fn probe(&self, generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        Some(generator.subschema_for::<T>())
    }
}

/// The probe's answer when `T` has no JSON Schema.
pub trait ViaNoSchema {
    /// No schema.
    fn probe(&self, generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema>;
}

impl<T: ?Sized> ViaNoSchema for &SchemaProbe<T> {
    fn probe(&self, _: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

/// The JSON Schema `#[derive(FunctionSchema)]` gives a struct.
pub fn struct_json_schema(
    schema: &FunctionSchema,
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    crate::schema::struct_json_schema(schema, generator)
}

/// The JSON Schema `#[derive(FunctionSchema)]` gives an enum of unit variants:
/// a string, one of `values`.
pub fn enum_json_schema(description: &str, values: &[&str]) -> schemars::Schema {
    let mut object = Map::new();
    object.insert("type".into(), "string".into());
    object.insert(
        "enum".into(),
        Value::Array(values.iter().map(|v| Value::from(*v)).collect()),
    );
    if !description.is_empty() {
        object.insert("description".into(), description.into());
    }
    schemars::Schema::from(object)
}

/// Unwraps the `compile` of a graph that `graph!` already checked.
///
/// # Panics
/// Only if `graph!`'s compile-time checks and `compile` disagree: a graphai bug.
#[track_caller]
pub fn compiled(result: Result<CompiledGraph, GraphCompileError>) -> CompiledGraph {
    match result {
        Ok(graph) => graph,
        Err(err) => panic!(
            "`graph!` checked this graph at compile time but `compile` rejected it ({err}); this is a bug in graphai, please report it"
        ),
    }
}
