//! The node trait that `#[node]` and `#[router]` implement, and the handles the
//! builder takes.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio_util::sync::ReusableBoxFuture;

use serde_json::{Map, Value};

use crate::callback::Callback;
use crate::error::GraphError;
use crate::interrupt::Interrupt;
use crate::policy::Policy;
use crate::resource::{Res, ResourceInfo, ResourceScope};
use crate::route::Route;
use crate::run_state::RunState;
use crate::schema::FunctionSchema;
use crate::state::State;

/// The future a node's [`Node::invoke`] returns: the node's output object.
pub type NodeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Map<String, Value>, GraphError>> + Send + 'a>>;

/// What a node call produces: its output object, or why it failed.
pub type NodeResult = Result<Map<String, Value>, GraphError>;

/// What a node's future in a [`NodeSlot`] produces: its output object and,
/// for a router that returned a [`Route`], the route, kept out of the object
/// so that it costs no JSON.
///
/// Made by the code `#[node]` writes; a node written by hand never needs it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Produced {
    pub(crate) output: Map<String, Value>,
    pub(crate) route: Option<Route>,
}

impl Produced {
    /// A router's answer by value: no output keys of its own.
    pub(crate) fn routed(route: Route) -> Self {
        Self {
            output: Map::new(),
            route: Some(route),
        }
    }

    /// The output object, with the route written into it as its JSON
    /// `choice`/`choices` (what a boxed future or a record carries).
    pub(crate) fn into_map(self) -> Map<String, Value> {
        let mut output = self.output;
        if let Some(route) = &self.route {
            route.write_into(&mut output);
        }
        output
    }
}

impl From<Map<String, Value>> for Produced {
    fn from(output: Map<String, Value>) -> Self {
        Self {
            output,
            route: None,
        }
    }
}

/// What a [`NodeSlot`] gives when its future completes.
#[doc(hidden)]
pub type SlotResult = Result<Produced, GraphError>;

/// Where a node's future is put before it is polled: a box of its own, or,
/// for a run's sequential steps, one allocation the steps reuse while their
/// futures have the same size.
///
/// Made by the executor and filled by [`Node::invoke_in`]; a node written by
/// hand never needs it.
pub struct NodeSlot<'a> {
    inner: SlotInner<'a>,
}

enum SlotInner<'a> {
    Boxing(Option<NodeFuture<'a>>),
    Reusing(Option<ReusableBoxFuture<'a, SlotResult>>),
}

impl<'a> NodeSlot<'a> {
    /// A slot that boxes the future put into it, for [`Node::invoke`].
    #[doc(hidden)]
    pub fn boxing() -> Self {
        Self {
            inner: SlotInner::Boxing(None),
        }
    }

    /// A slot that keeps its allocation from one future to the next.
    pub(crate) fn reusing() -> Self {
        Self {
            inner: SlotInner::Reusing(None),
        }
    }

    /// Puts `future` in the slot, dropping the one before.
    pub fn put<F>(&mut self, future: F)
    where
        F: Future<Output = SlotResult> + Send + 'a,
    {
        match &mut self.inner {
            SlotInner::Reusing(Some(slot)) => slot.set(future),
            SlotInner::Reusing(slot) => *slot = Some(ReusableBoxFuture::new(future)),
            SlotInner::Boxing(slot) => *slot = Some(boxed(future)),
        }
    }

    /// Puts a future that fails with `error` at once: what `#[node]` puts
    /// when the node's parameters cannot be bound.
    #[doc(hidden)]
    #[cold]
    #[inline(never)]
    pub fn fail(&mut self, error: GraphError) {
        self.put(std::future::ready(Err(error)));
    }

    /// Puts a future that is boxed already.
    pub fn put_boxed(&mut self, future: NodeFuture<'a>) {
        match &mut self.inner {
            SlotInner::Boxing(slot) => *slot = Some(future),
            SlotInner::Reusing(_) => self.put(async move { future.await.map(Produced::from) }),
        }
    }

    /// Moves the future out into a slot of its own, leaving this one empty
    /// (a reusing slot allocates anew for its next future).
    pub(crate) fn take(&mut self) -> NodeSlot<'a> {
        let inner = match &mut self.inner {
            SlotInner::Boxing(slot) => SlotInner::Boxing(slot.take()),
            SlotInner::Reusing(slot) => SlotInner::Reusing(slot.take()),
        };
        NodeSlot { inner }
    }

    /// Whether no future was put in the slot.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(
            self.inner,
            SlotInner::Boxing(None) | SlotInner::Reusing(None)
        )
    }

    /// The future put in the slot, boxed; for an empty slot, one that fails
    /// saying that node `node` made no future.
    pub fn into_boxed(self, node: &'static str) -> NodeFuture<'a> {
        match self.inner {
            SlotInner::Boxing(Some(future)) => future,
            SlotInner::Reusing(Some(future)) => {
                Box::pin(async move { future.await.map(Produced::into_map) })
            }
            SlotInner::Boxing(None) | SlotInner::Reusing(None) => {
                Box::pin(std::future::ready(Err(no_future(node))))
            }
        }
    }
}

/// `future` boxed as a [`NodeFuture`]: the output object, route included.
/// Out of line, so that the reusing slot's path (a run's steps) stays small.
#[inline(never)]
fn boxed<'a, F>(future: F) -> NodeFuture<'a>
where
    F: Future<Output = SlotResult> + Send + 'a,
{
    Box::pin(async move { future.await.map(Produced::into_map) })
}

/// The error of a node whose `invoke_in` put no future in its slot.
pub(crate) fn no_future(node: &str) -> GraphError {
    GraphError::Panic {
        node: node.to_owned(),
        message: "the node's `Node::invoke_in` put no future in its slot".to_owned(),
    }
}

impl Future for NodeSlot<'_> {
    type Output = SlotResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<SlotResult> {
        match &mut self.inner {
            SlotInner::Boxing(Some(future)) => future
                .as_mut()
                .poll(cx)
                .map(|result| result.map(Produced::from)),
            SlotInner::Reusing(Some(future)) => future.poll(cx),
            // The executor checks `is_empty` first, to name the node.
            SlotInner::Boxing(None) | SlotInner::Reusing(None) => {
                Poll::Ready(Err(no_future("(a node)")))
            }
        }
    }
}

/// A node of a graph. Implemented by `#[node]` and `#[router]`; rarely by hand.
///
/// The flags are associated consts so that `graph!` can check the wiring at
/// compile time, across modules and crates.
pub trait Node: Send + Sync + 'static {
    /// The node's name in the graph (the function name, or `name = ".."`).
    const NAME: &'static str;
    /// The node's description: its doc comment.
    const DOC: &'static str;
    /// `#[node(start)]`: the run begins here.
    const IS_START: bool;
    /// `#[node(end)]`: reaching this node finishes the run.
    const IS_END: bool;
    /// `#[node(stream)]`: the node receives a [`Callback`].
    const IS_STREAM: bool;
    /// `#[router]`: the node's output picks the next node.
    const IS_ROUTER: bool;
    /// The parameters the node reads from the run state, in declaration order.
    const PARAMS: &'static [ParamInfo];
    /// Retries and timeout (`#[node(retries = 3, timeout = "30s")]`); one
    /// attempt without a timeout unless set. `Graph::policy` overrides it.
    const POLICY: Policy = Policy::new();
    /// The node's function schema (for LLM tool calling). `#[node]` writes the
    /// whole schema; for a hand-written node it defaults to one built from
    /// `NAME`, `DOC` and `PARAMS`, whose parameters accept any JSON.
    const SCHEMA: FunctionSchema =
        FunctionSchema::new(Self::NAME, Self::DOC, "", "", Self::PARAMS, &[]);
    /// Whether the node takes an [`Interrupt`] (it may stop the run to ask a person).
    const TAKES_INTERRUPT: bool = false;
    /// The node's `Res<T>` parameters, which `compile()` checks are served.
    const RESOURCES: &'static [ResourceInfo] = &[];

    /// Binds the node's parameters from `ctx` and runs it.
    fn invoke(ctx: Context<'_>) -> NodeFuture<'_>;

    /// [`invoke`](Node::invoke), with the future put in `slot` instead of a
    /// box of its own: `#[node]` writes it so that a run's sequential steps
    /// allocate nothing. The default puts `invoke`'s box there.
    #[doc(hidden)]
    fn invoke_in<'a>(ctx: Context<'a>, slot: &mut NodeSlot<'a>) {
        slot.put_boxed(Self::invoke(ctx));
    }

    /// The node as a value the builder takes.
    fn def() -> NodeDef
    where
        Self: Sized,
    {
        NodeDef::of::<Self>()
    }
}

/// One parameter a node reads from the run state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// The Rust parameter name.
    pub name: &'static str,
    /// The run-state key it is read from (the name, unless `#[key("..")]` renames it).
    pub key: &'static str,
    /// The declared Rust type, as written.
    pub ty: &'static str,
    /// Whether a run fails when the key is missing (false for `Option<T>` and `#[default]`).
    pub required: bool,
    /// The `#[default(..)]` expression, as written.
    pub default: Option<&'static str>,
    /// The parameter's description: the `///` comment on it, else its entry
    /// in the function doc's `# Arguments` list (empty when neither is there).
    pub doc: &'static str,
}

type InvokeFn = for<'a> fn(Context<'a>) -> NodeFuture<'a>;
type InvokeInFn = for<'a> fn(Context<'a>, &mut NodeSlot<'a>);

/// A node as the graph stores it: its name, flags and entry point.
///
/// `#[node] async fn search(..)` also defines `fn search() -> NodeDef`, so the
/// builder takes `search` itself: `.add_node(search)`.
#[derive(Clone)]
pub struct NodeDef {
    pub(crate) name: Cow<'static, str>,
    pub(crate) doc: &'static str,
    pub(crate) is_start: bool,
    pub(crate) is_end: bool,
    pub(crate) is_stream: bool,
    pub(crate) is_router: bool,
    pub(crate) params: &'static [ParamInfo],
    pub(crate) policy: Policy,
    pub(crate) schema: FunctionSchema,
    pub(crate) resources: &'static [ResourceInfo],
    pub(crate) takes_interrupt: bool,
    pub(crate) invoke: InvokeFn,
    /// [`Node::invoke_in`]; `None` for a node built at run time.
    pub(crate) invoke_in: Option<InvokeInFn>,
}

impl NodeDef {
    /// The definition of node type `N`.
    pub fn of<N: Node>() -> Self {
        Self {
            name: Cow::Borrowed(N::NAME),
            doc: N::DOC,
            is_start: N::IS_START,
            is_end: N::IS_END,
            is_stream: N::IS_STREAM,
            is_router: N::IS_ROUTER,
            params: N::PARAMS,
            policy: N::POLICY,
            schema: N::SCHEMA,
            resources: N::RESOURCES,
            takes_interrupt: N::TAKES_INTERRUPT,
            invoke: N::invoke,
            invoke_in: Some(N::invoke_in),
        }
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's doc comment.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    /// Whether the node starts the graph.
    pub fn is_start(&self) -> bool {
        self.is_start
    }

    /// Whether the node ends the graph.
    pub fn is_end(&self) -> bool {
        self.is_end
    }

    /// Whether the node streams through a callback.
    pub fn is_stream(&self) -> bool {
        self.is_stream
    }

    /// Whether the node is a router.
    pub fn is_router(&self) -> bool {
        self.is_router
    }

    /// The parameters the node reads from the run state.
    pub fn params(&self) -> &'static [ParamInfo] {
        self.params
    }

    /// The node's own retry and timeout policy (before any `Graph::policy`).
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The node's function schema, for handing it to an LLM as a tool.
    pub fn schema(&self) -> &FunctionSchema {
        &self.schema
    }

    /// The node's `Res<T>` parameters.
    pub fn resources(&self) -> &'static [ResourceInfo] {
        self.resources
    }

    /// Whether the node takes an [`Interrupt`].
    pub fn takes_interrupt(&self) -> bool {
        self.takes_interrupt
    }

    /// Puts the node's future for `ctx` in `slot`.
    pub(crate) fn invoke_into<'a>(&self, ctx: Context<'a>, slot: &mut NodeSlot<'a>) {
        match self.invoke_in {
            Some(invoke_in) => invoke_in(ctx, slot),
            None => slot.put_boxed((self.invoke)(ctx)),
        }
    }

    pub(crate) fn reads(&self, key: &str) -> bool {
        self.params.iter().any(|p| p.key == key)
    }
}

impl std::fmt::Debug for NodeDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeDef")
            .field("name", &self.name)
            .field("is_start", &self.is_start)
            .field("is_end", &self.is_end)
            .field("is_stream", &self.is_stream)
            .field("is_router", &self.is_router)
            .finish_non_exhaustive()
    }
}

/// Something the builder accepts as a node: a `#[node]` function or a [`NodeDef`].
pub trait IntoNode {
    /// The node's definition.
    fn into_node(self) -> NodeDef;
}

impl IntoNode for NodeDef {
    fn into_node(self) -> NodeDef {
        self
    }
}

impl<F: FnOnce() -> NodeDef> IntoNode for F {
    fn into_node(self) -> NodeDef {
        self()
    }
}

/// Something that names a node in an edge: a `#[node]` function, a [`NodeDef`],
/// or the node's name as a string.
pub trait NodeRef {
    /// The node's name.
    fn node_name(self) -> Cow<'static, str>;
}

impl<F: FnOnce() -> NodeDef> NodeRef for F {
    fn node_name(self) -> Cow<'static, str> {
        self().name
    }
}

impl NodeRef for NodeDef {
    fn node_name(self) -> Cow<'static, str> {
        self.name
    }
}

impl NodeRef for &NodeDef {
    fn node_name(self) -> Cow<'static, str> {
        self.name.clone()
    }
}

impl NodeRef for &str {
    fn node_name(self) -> Cow<'static, str> {
        Cow::Owned(self.to_owned())
    }
}

impl NodeRef for String {
    fn node_name(self) -> Cow<'static, str> {
        Cow::Owned(self)
    }
}

impl NodeRef for &String {
    fn node_name(self) -> Cow<'static, str> {
        Cow::Owned(self.clone())
    }
}

/// What a node sees when it runs: the run state (by reference), the shared
/// [`State`], its resources, and for streaming nodes the [`Callback`].
///
/// Built by the executor; the code `#[node]` generates reads parameters from it.
pub struct Context<'a> {
    pub(crate) node: &'a str,
    /// The path's state, shared with the path while the node runs (so that
    /// the node's future borrows nothing from the run's position).
    pub(crate) state: Arc<RunState>,
    pub(crate) upstream: Option<Arc<Value>>,
    pub(crate) callback: Option<Callback>,
    pub(crate) shared: &'a State,
    pub(crate) resources: ResourceScope<'a>,
    /// For a node that takes an `Interrupt`: its handle.
    pub(crate) interrupt: Option<&'a Interrupt>,
}

impl<'a> Context<'a> {
    /// The running node's name.
    pub fn node(&self) -> &'a str {
        self.node
    }

    /// The run-state value under `key`. `upstream` is the previous node's
    /// `{"node": name, "output": {..}}`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match (key, &self.upstream) {
            ("upstream", Some(upstream)) => Some(upstream),
            _ => self.state.get(key),
        }
    }

    /// The callback for a streaming node; one that discards tokens otherwise.
    pub fn callback(&self) -> Callback {
        self.callback.clone().unwrap_or_else(Callback::discard)
    }

    /// The running node's [`Interrupt`], when it takes one.
    pub fn interrupt(&self) -> Option<&'a Interrupt> {
        self.interrupt
    }

    /// The graph's shared state.
    pub fn state(&self) -> State {
        self.shared.clone()
    }

    /// The resource of type `T`: the run's, else the graph's.
    pub fn resource<T: Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.resources.get::<T>()
    }
}
