//! Tools: `#[tool]` fns and nodes an LLM can call, and the [`ToolSet`] that
//! dispatches the calls that come back.

mod error;
mod set;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::error::GraphError;
use crate::node::{Context, NodeDef, NodeFuture};
use crate::resource::ResourceInfo;
use crate::schema::FunctionSchema;

pub use error::{ArgumentError, ToolError};
pub use set::{IntoArguments, ToolSet};

/// The future a tool's [`Tool::invoke`] returns: the value the LLM is shown.
pub type ToolFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, GraphError>> + Send + 'a>>;

/// A plain function an LLM can call. Implemented by `#[tool]`; rarely by hand.
pub trait Tool: Send + Sync + 'static {
    /// The tool's function schema; its name is the tool's name.
    const SCHEMA: FunctionSchema;
    /// The tool's `Res<T>` parameters.
    const RESOURCES: &'static [ResourceInfo];

    /// Binds the tool's parameters from `ctx` (its run state holds the
    /// arguments) and runs it.
    fn invoke(ctx: Context<'_>) -> ToolFuture<'_>;

    /// The tool as a value a [`ToolSet`] takes.
    fn def() -> ToolDef
    where
        Self: Sized,
    {
        ToolDef::of::<Self>()
    }
}

type ToolInvokeFn = for<'a> fn(Context<'a>) -> ToolFuture<'a>;
type NodeInvokeFn = for<'a> fn(Context<'a>) -> NodeFuture<'a>;

#[derive(Clone, Copy)]
pub(crate) enum Invoke {
    Tool(ToolInvokeFn),
    Node(NodeInvokeFn),
}

/// A tool as a [`ToolSet`] holds it: a `#[tool]` fn or a node.
///
/// `#[tool] fn add(..)` also defines `fn add() -> ToolDef`, so a tool set
/// takes `add` itself: `ToolSet::new().add(add)`.
#[derive(Clone)]
pub struct ToolDef {
    pub(crate) schema: FunctionSchema,
    pub(crate) resources: &'static [ResourceInfo],
    pub(crate) invoke: Invoke,
}

impl ToolDef {
    /// The definition of tool type `T`.
    pub fn of<T: Tool>() -> Self {
        Self {
            schema: T::SCHEMA,
            resources: T::RESOURCES,
            invoke: Invoke::Tool(T::invoke),
        }
    }

    /// The tool's name: its schema's name.
    pub fn name(&self) -> &'static str {
        self.schema.name()
    }

    /// The tool's function schema.
    pub fn schema(&self) -> &FunctionSchema {
        &self.schema
    }

    /// The tool's `Res<T>` parameters.
    pub fn resources(&self) -> &'static [ResourceInfo] {
        self.resources
    }
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl From<NodeDef> for ToolDef {
    /// A node as a tool: its arguments become its run state and its output
    /// object is the tool's result.
    fn from(node: NodeDef) -> Self {
        Self {
            schema: node.schema,
            resources: node.resources,
            invoke: Invoke::Node(node.invoke),
        }
    }
}

/// Something a [`ToolSet`] accepts: a `#[tool]` fn, a `#[node]` fn, a
/// [`ToolDef`] or a [`NodeDef`].
pub trait IntoTool {
    /// The tool's definition.
    fn into_tool(self) -> ToolDef;
}

impl IntoTool for ToolDef {
    fn into_tool(self) -> ToolDef {
        self
    }
}

impl IntoTool for NodeDef {
    fn into_tool(self) -> ToolDef {
        self.into()
    }
}

impl<F, R> IntoTool for F
where
    F: FnOnce() -> R,
    R: Into<ToolDef>,
{
    fn into_tool(self) -> ToolDef {
        self().into()
    }
}
