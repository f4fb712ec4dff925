//! # graphai
//!
//! A minimal async graph framework for AI apps: a Rust port of Python
//! [GraphAI](https://github.com/aurelio-labs/graphai). Plain `async fn`s become
//! nodes with [`#[node]`](node), routers pick the next node at run time, and
//! streaming nodes push tokens to a consumer through a [`Callback`].
//!
//! ```
//! use graphai::{Graph, json, node, router, Value};
//!
//! #[node(start)]
//! async fn receive(query: String) -> Value {
//!     json!({ "query": query.trim() })
//! }
//!
//! #[router]
//! async fn decide(query: String) -> Value {
//!     json!({ "choice": if query.ends_with('?') { "answer" } else { "echo" } })
//! }
//!
//! #[node(end)]
//! async fn answer(query: String) -> Value {
//!     json!({ "reply": format!("good question: {query}") })
//! }
//!
//! #[node(end)]
//! async fn echo(query: String) -> Value {
//!     json!({ "reply": query })
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let graph = Graph::new()
//!     .add_node(receive)
//!     .add_node(decide)
//!     .add_node(answer)
//!     .add_node(echo)
//!     .add_router([receive], decide, [answer, echo])
//!     .compile()?;
//!
//! let result = graph.execute(json!({ "query": " why? " })).await?;
//! assert_eq!(result["reply"], "good question: why?");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

// Lets this crate's own tests and doc tests use the macros, which name `::graphai`.
extern crate self as graphai;

mod builder;
mod callback;
pub mod checkpoint;
mod compile;
mod compiled;
mod draw;
mod durable;
mod error;
mod exec;
mod graph_check;
mod interrupt;
#[cfg(feature = "openai")]
pub mod llm;
#[cfg(feature = "logging")]
pub mod logging;
mod node;
#[cfg(feature = "otel")]
pub mod otel;
mod policy;
mod resource;
mod route;
mod rules;
mod run_state;
mod schema;
mod shape;
mod sse_decoder;
mod state;
mod sync;
mod tables;
mod tool;
pub mod tracing_fields;

#[doc(hidden)]
pub mod __private;

/// Server-Sent Events: an incremental decoder for any SSE stream, and
/// [`GraphEventDecoder`](sse::GraphEventDecoder) for streams of
/// [`GraphEvent`] frames.
///
/// [`SseDecoder`](sse::SseDecoder) takes the body of an SSE response in
/// chunks of any size (a chunk may end inside a line, a `\r\n` pair or a
/// multi-byte character) and gives back each complete frame. It knows nothing
/// about the payload, so it reads GraphAI's event frames and, for example,
/// OpenAI's `data: {..}` / `data: [DONE]` streams alike (the LLM client uses it).
///
/// ```
/// use graphai::sse::SseDecoder;
///
/// let mut decoder = SseDecoder::new();
/// assert!(decoder.push(b"event: delta\r\ndata: hel").is_empty());
/// let frames = decoder.push(b"lo\r\ndata: world\r\n\r\n: a comment\n\ndata: [DONE]\n\n");
/// let frames: Vec<_> = frames.into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(frames[0].event.as_deref(), Some("delta"));
/// assert_eq!(frames[0].data.as_deref(), Some("hello\nworld"));
/// assert_eq!(frames[1].data.as_deref(), Some("[DONE]"));
/// decoder.finish()?;
/// # Ok::<(), graphai::sse::SseError>(())
/// ```
pub mod sse {
    pub use crate::callback::GraphEventDecoder;
    pub use crate::sse_decoder::{SseDecoder, SseError, SseFrame};
}

pub use builder::{Branch, DEFAULT_MAX_STEPS, Graph};
pub use callback::{
    Callback, CallbackBuilder, CallbackError, EventStream, EventType, GraphEvent, TokenStream,
};
pub use compiled::CompiledGraph;
pub use durable::{Durability, RunOutcome};
pub use error::{CompileProblem, Error, GraphCompileError, GraphError, Result};
pub use exec::{BranchError, RunOptions, RunOutput, RunStream, StreamItem};
pub use interrupt::Interrupt;
pub use node::{Context, IntoNode, Node, NodeDef, NodeFuture, NodeRef, ParamInfo};
pub use policy::{Backoff, Policy};
pub use resource::{Res, ResourceInfo, ResourceScope, Resources};
pub use route::Route;
pub use schema::{FunctionSchema, JsonSchema, OpenAIApi, Parameter, SchemaFn, StructSchema};
/// The JSON Schema crate the function schemas build on, re-exported so that
/// `#[derive(JsonSchema)]` works with `#[schemars(crate = "graphai::schemars")]`.
pub use schemars;
pub use shape::{EdgeKind, GraphShape, ShapeEdge, ShapeNode};
pub use state::State;
pub use tool::{
    ArgumentError, IntoArguments, IntoTool, Tool, ToolDef, ToolError, ToolFuture, ToolSet,
};

#[doc(inline)]
pub use graphai_macros::{FunctionSchema, graph, node, router, tool};
#[doc(no_inline)]
pub use serde_json::{Map, Value, json};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests_support;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
