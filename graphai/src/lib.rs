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
mod error;
mod exec;
mod graph_check;
#[cfg(feature = "openai")]
pub mod llm;
mod node;
mod run_state;
mod state;

#[doc(hidden)]
pub mod __private;

pub use builder::{Branch, DEFAULT_MAX_STEPS, Graph};
pub use callback::{
    Callback, CallbackBuilder, CallbackError, EventStream, EventType, GraphEvent, TokenStream, sse,
};
pub use compile::CompiledGraph;
pub use error::{CompileProblem, Error, GraphCompileError, GraphError, Result};
pub use exec::{BranchError, RunOutput};
pub use node::{Context, IntoNode, Node, NodeDef, NodeFuture, NodeRef, ParamInfo};
pub use state::State;

#[doc(inline)]
pub use graphai_macros::{graph, node, router};
#[doc(no_inline)]
pub use serde_json::{Map, Value, json};

#[cfg(test)]
mod tests_support;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
