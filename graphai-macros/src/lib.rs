//! Procedural macros for [graphai](https://docs.rs/graphai): `#[node]`, `#[router]`,
//! `#[tool]`, `#[derive(FunctionSchema)]` and `graph!`.
//! Use them through the `graphai` crate, which re-exports them.

mod errors;
mod graph;
mod node;
mod schema;
mod tool;

use proc_macro::TokenStream;

/// Turns an `async fn` into a graph node.
///
/// ```
/// use graphai::{Graph, Node, Value, json, node};
///
/// /// Cleans up the user's question.
/// #[node(start)]
/// async fn receive(query: String) -> Value {
///     json!({ "query": query.trim() })
/// }
///
/// #[node(end)]
/// async fn answer(query: String, #[default(1)] attempts: u32) -> graphai::Result<Value> {
///     if query.is_empty() {
///         return Err("the query is empty".into());
///     }
///     Ok(json!({ "answer": format!("{query} ({attempts})") }))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = Graph::new()
///     .add_node(receive)
///     .add_node(answer)
///     .add_edge(receive, answer)
///     .compile()?;
/// let result = graph.execute(json!({ "query": " why? " })).await?;
/// assert_eq!(result["answer"], "why? (1)");
///
/// // The body stays callable on its own, for unit tests.
/// assert_eq!(receive::call(" hi ".into()).await["query"], "hi");
/// // The node's description is its doc comment.
/// assert_eq!(receive::DOC, "Cleans up the user's question.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Arguments
///
/// Any combination, in any order:
///
/// | argument | effect |
/// |---|---|
/// | `start` | the run begins at this node |
/// | `end` | reaching this node ends the run (`#[node(start, end)]` is a one-node graph) |
/// | `stream` | the node receives a `callback: Callback` parameter to send tokens through |
/// | `name = "..."` | the node's name in the graph, instead of the function's name |
///
/// # Parameters
///
/// Each run carries a JSON object, the run state. A parameter is read from the
/// key of the same name:
///
/// - `x: T` needs the key `"x"`; `T` is any type that implements
///   `serde::Deserialize` (`String`, numbers, `Vec<T>`, `serde_json::Value`,
///   your own structs). When keys are missing, the run fails with one error
///   naming the node and every missing parameter; a value of the wrong type
///   fails with an error naming the node, the parameter and the type.
/// - `x: Option<T>` is `None` when the key is missing or `null`.
/// - `#[default(expr)] x: T` uses `expr` when the key is missing.
/// - `#[key("other")] x: T` reads the key `"other"`. Use it when the key's name
///   cannot or should not be the parameter's, for example to read a key that is
///   also the name of a node.
/// - `///` comments on a parameter are kept as its description (an entry
///   `` * `name` - text `` in the function doc's `# Arguments` list works too).
/// - `callback: graphai::Callback` is injected (streaming nodes only).
/// - `state: graphai::State` is injected: the graph's shared state.
/// - `x: graphai::Res<T>` (any name) is injected: the graph's resource of
///   type `T` (`Graph::resource`), which `compile()` checks is registered.
/// - `upstream: Value` is read like any key; the runtime sets it to the
///   previous node's `{"node": name, "output": {..}}`.
///
/// # Function schema
///
/// `my_node::SCHEMA` (and `NodeDef::schema`) describes the node to an LLM:
/// its description (the doc comment without `# Arguments`), signature and
/// run-state parameters, with the JSON Schema of each parameter's type when
/// it implements `schemars::JsonSchema`. A parameter type without one (a
/// struct that only derives `Deserialize`) is fine for a node: the schema
/// then accepts any JSON for it. Injected parameters are never in it.
///
/// # Return type
///
/// The output is merged into the run state, so it must be a JSON object:
/// a `serde_json::Value` object, a `Map<String, Value>`, or any type that
/// serializes to a map (a struct with `#[derive(Serialize)]`). Something else
/// (a number, a string) is a run-time error naming the node.
///
/// `Result<T, E>` of those, where `E` is `graphai::Error`, `anyhow::Error`,
/// `Box<dyn Error + Send + Sync>` or any `std::error::Error + Send + Sync +
/// 'static` type, fails the run with `GraphError::Node`, whose `source()` is
/// the node's error. The return type is recognised as a `Result` by its name:
/// write `Result<..>`, `graphai::Result<..>`, `anyhow::Result<..>`, and so on.
///
/// # What it generates
///
/// For `#[node] pub async fn search(..) -> Value { .. }`:
///
/// - `pub struct search {}`, which implements `graphai::Node`: `NAME`, `DOC`,
///   `IS_START`, `IS_END`, `IS_STREAM`, `IS_ROUTER`, `PARAMS`, `SCHEMA`,
///   `RESOURCES` (so `graph!` and
///   other code can check a node at compile time). It is a braced struct: it
///   lives only among types, so a `let search` or a parameter `search`
///   elsewhere stays an ordinary binding.
/// - `search::call(..)`: your function, unchanged, for unit tests. To recurse,
///   call `search::call`.
/// - `pub fn search() -> graphai::NodeDef`: the node as a value. This is what
///   `.add_node(search)` and `.add_edge(a, b)` take.
///
/// # Mistakes caught at compile time
///
/// Each is an error on the offending token, saying what to do: a function that
/// is not `async`, a `self` receiver, generics, a pattern instead of a
/// parameter name, unknown or repeated arguments, `stream` without `callback`
/// and `callback` without `stream`, a `callback` or `state` of another type,
/// a parameter type that is not `Deserialize` (naming the parameter), a
/// return type that is not `Serialize`, no return type, `#[default]` on an
/// `Option`.
///
/// ```compile_fail
/// use graphai::{Callback, Value, json, node};
///
/// // error: `callback` is only injected into streaming nodes: use `#[node(stream)]`
/// #[node]
/// async fn writer(text: String, callback: Callback) -> graphai::Result<Value> {
///     callback.acall(text).await?;
///     Ok(json!({}))
/// }
/// ```
///
/// The fix:
///
/// ```
/// use graphai::{Callback, Value, json, node};
///
/// #[node(stream)]
/// async fn writer(text: String, callback: Callback) -> graphai::Result<Value> {
///     callback.acall(text).await?;
///     Ok(json!({}))
/// }
/// ```
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into(), node::Kind::Node).into()
}

/// Turns an `async fn` into a router: a node whose output picks the next node.
///
/// Everything about [`node`](macro@node) applies (arguments, parameters,
/// return types, `::call`). A router's output holds `"choice": "<node name>"`,
/// or `"choices": [..]` to run several nodes in parallel; the choice does not
/// stay in the run state.
///
/// ```
/// use graphai::{Graph, Value, json, node, router};
///
/// #[node(start)]
/// async fn receive(query: String) -> Value {
///     json!({ "query": query })
/// }
///
/// #[router]
/// async fn decide(query: String) -> Value {
///     json!({ "choice": if query.ends_with('?') { "search" } else { "reply" } })
/// }
///
/// #[node(end)]
/// async fn search(query: String) -> Value {
///     json!({ "found": format!("results for {query}") })
/// }
///
/// #[node(end)]
/// async fn reply(query: String) -> Value {
///     json!({ "found": query })
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = Graph::new()
///     .add_node(receive)
///     .add_node(decide)
///     .add_node(search)
///     .add_node(reply)
///     .add_router([receive], decide, [search, reply])
///     .compile()?;
/// let result = graph.execute(json!({ "query": "rust?" })).await?;
/// assert_eq!(result["found"], "results for rust?");
/// assert!(result.get("choice").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// A router is wired with `add_router`; `add_router` with a node that is not
/// a `#[router]` is reported by `compile()`.
#[proc_macro_attribute]
pub fn router(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into(), node::Kind::Router).into()
}

#[doc = include_str!("tool/doc.md")]
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    tool::expand(args.into(), item.into()).into()
}

#[doc = include_str!("schema/doc.md")]
#[proc_macro_derive(FunctionSchema, attributes(serde))]
pub fn function_schema(input: TokenStream) -> TokenStream {
    schema::expand(input.into()).into()
}

#[doc = include_str!("graph/doc.md")]
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    graph::expand(input.into()).into()
}
