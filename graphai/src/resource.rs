//! Resources: what a node needs that is not JSON (an HTTP or LLM client, a
//! database pool, a config), typed and checked before a run.
//!
//! A graph holds one value per type ([`Resources`]); a node parameter of type
//! [`Res<T>`] receives the value of type `T`. `compile()` proves that every
//! such parameter is served, the way axum's `State` extractor is proved at
//! router build time. Resources never enter the run state, results, schemas
//! or checkpoints.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::error::{CompileProblem, GraphError};

/// A shared resource, injected into a node or tool parameter of this type.
///
/// `Res<T>` derefs to `T` and clones cheaply (it holds an [`Arc<T>`]).
///
/// ```
/// use graphai::{Graph, Res, Value, json, node};
///
/// struct Greeter {
///     greeting: String,
/// }
///
/// #[node(start, end)]
/// async fn greet(name: String, greeter: Res<Greeter>) -> Value {
///     json!({ "text": format!("{} {name}", greeter.greeting) })
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = Graph::new()
///     .resource(Greeter { greeting: "hello".into() })
///     .add_node(greet)
///     .compile()?;
/// let result = graph.execute(json!({ "name": "ada" })).await?;
/// assert_eq!(result["text"], "hello ada");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Res<T: ?Sized>(Arc<T>);

impl<T> Res<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(Arc::new(value))
    }
}

impl<T: ?Sized> Res<T> {
    /// Wraps a value that is already shared.
    pub fn from_arc(value: Arc<T>) -> Self {
        Self(value)
    }

    /// The shared value.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }

    /// The shared value, owned.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Clone for Res<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Res<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> AsRef<T> for Res<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Res<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Res").field(&&*self.0).finish()
    }
}

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl Clone for Entry {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            type_name: self.type_name,
        }
    }
}

/// A type map of resources: at most one value per type.
///
/// Cloning a `Resources` shares the values (each is an `Arc`).
///
/// ```
/// use graphai::Resources;
///
/// let resources = Resources::new().with(42_u32).with(String::from("config"));
/// assert_eq!(*resources.get::<u32>().unwrap(), 42);
/// assert!(resources.get::<i64>().is_none());
/// ```
#[derive(Clone, Default)]
pub struct Resources {
    map: HashMap<TypeId, Entry>,
}

impl Resources {
    /// No resources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value`, replacing the value of the same type, if any.
    pub fn with<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.insert(value);
        self
    }

    /// Adds `value` and returns the value of the same type it replaces.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<Res<T>> {
        self.insert_arc(Arc::new(value))
    }

    /// Adds a value that is already shared (an `Arc` the caller keeps too).
    pub fn insert_arc<T: Send + Sync + 'static>(&mut self, value: Arc<T>) -> Option<Res<T>> {
        let entry = Entry {
            value,
            type_name: std::any::type_name::<T>(),
        };
        self.map
            .insert(TypeId::of::<T>(), entry)
            .and_then(|old| old.value.downcast().ok().map(Res::from_arc))
    }

    /// The value of type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|entry| Arc::clone(&entry.value).downcast().ok())
            .map(Res::from_arc)
    }

    /// Whether a value of type `T` is here.
    pub fn contains<T: 'static>(&self) -> bool {
        self.map.contains_key(&TypeId::of::<T>())
    }

    pub(crate) fn contains_id(&self, id: TypeId) -> bool {
        self.map.contains_key(&id)
    }

    /// Removes the value of type `T`, returning it.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<Res<T>> {
        self.map
            .remove(&TypeId::of::<T>())
            .and_then(|entry| entry.value.downcast().ok())
            .map(Res::from_arc)
    }

    /// Adds every value of `other`, replacing values of the same types.
    pub fn extend(&mut self, other: &Resources) {
        self.map
            .extend(other.map.iter().map(|(id, entry)| (*id, entry.clone())));
    }

    /// How many values are here.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The type names of the values, sorted.
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.map.values().map(|e| e.type_name).collect();
        names.sort_unstable();
        names
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are not `Debug`; their types say what is registered.
        f.debug_set().entries(self.type_names()).finish()
    }
}

/// Where a running node's resources come from: the graph's, overlaid by the
/// run's own (given through the run options), which win for the same type.
#[derive(Clone, Copy)]
pub struct ResourceScope<'a> {
    graph: &'a Resources,
    run: Option<&'a Resources>,
}

impl<'a> ResourceScope<'a> {
    /// The graph-level `graph` resources, overlaid by `run` when given.
    pub fn new(graph: &'a Resources, run: Option<&'a Resources>) -> Self {
        Self { graph, run }
    }

    /// The value of type `T`: the run's if it has one, else the graph's.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Res<T>> {
        self.run
            .and_then(Resources::get::<T>)
            .or_else(|| self.graph.get::<T>())
    }

    fn contains_id(&self, id: TypeId) -> bool {
        self.run.is_some_and(|run| run.contains_id(id)) || self.graph.contains_id(id)
    }
}

impl fmt::Debug for ResourceScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceScope")
            .field("graph", self.graph)
            .field("run", &self.run)
            .finish()
    }
}

/// One `Res<T>` parameter of a node or tool: what `compile()` checks.
#[derive(Debug, Clone, Copy)]
pub struct ResourceInfo {
    /// The parameter's name.
    pub param: &'static str,
    /// The parameter's type as written (`Res<ChatClient>`).
    pub ty: &'static str,
    /// `std::any::type_name` of the resource type.
    pub type_name: fn() -> &'static str,
    /// `TypeId::of` the resource type.
    pub type_id: fn() -> TypeId,
}

/// What a graph knows about resources before it runs: the values it holds and
/// the types that each run must bring.
#[derive(Clone, Default)]
pub(crate) struct ResourceRegistry {
    pub(crate) shared: Resources,
    /// Types declared with `Graph::resource_per_run`, by id, with their names.
    pub(crate) per_run: HashMap<TypeId, &'static str>,
}

impl ResourceRegistry {
    /// A [`CompileProblem::MissingResource`] for every resource parameter of
    /// `nodes` that neither a graph-level value nor a per-run declaration serves.
    pub(crate) fn missing<'n>(
        &self,
        nodes: impl IntoIterator<Item = (&'n str, &'static [ResourceInfo])>,
    ) -> Vec<CompileProblem> {
        let mut problems = Vec::new();
        for (node, needs) in nodes {
            for need in needs {
                let id = (need.type_id)();
                if !self.shared.contains_id(id) && !self.per_run.contains_key(&id) {
                    problems.push(CompileProblem::MissingResource {
                        node: node.to_owned(),
                        parameter: need.param.to_owned(),
                        ty: need.ty.to_owned(),
                        type_name: (need.type_name)().to_owned(),
                    });
                }
            }
        }
        problems
    }

    /// Checks, before a run starts, that `run` brings every per-run resource
    /// that some node of `nodes` needs and the graph does not hold.
    ///
    /// # Errors
    /// [`GraphError::MissingResource`] for the first node parameter left unserved.
    pub(crate) fn check_run<'n>(
        &self,
        nodes: impl IntoIterator<Item = (&'n str, &'static [ResourceInfo])>,
        run: Option<&Resources>,
    ) -> Result<(), GraphError> {
        // Without per-run types, `compile()` proved the graph serves every need.
        if self.per_run.is_empty() {
            return Ok(());
        }
        let scope = ResourceScope::new(&self.shared, run);
        for (node, needs) in nodes {
            if let Some(need) = needs.iter().find(|n| !scope.contains_id((n.type_id)())) {
                return Err(missing_at_run(node, need.param, (need.type_name)()));
            }
        }
        Ok(())
    }
}

pub(crate) fn missing_at_run(node: &str, parameter: &str, type_name: &str) -> GraphError {
    GraphError::MissingResource {
        node: node.to_owned(),
        parameter: parameter.to_owned(),
        type_name: type_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need<T: 'static>(param: &'static str) -> ResourceInfo {
        ResourceInfo {
            param,
            ty: "Res<T>",
            type_name: std::any::type_name::<T>,
            type_id: TypeId::of::<T>,
        }
    }

    #[test]
    fn one_value_per_type_and_the_replaced_one_comes_back() {
        let mut resources = Resources::new();
        assert!(resources.insert(1_u8).is_none());
        assert_eq!(resources.insert(2_u8).map(|r| *r), Some(1));
        assert_eq!(resources.len(), 1);
        assert_eq!(resources.remove::<u8>().map(|r| *r), Some(2));
        assert!(resources.is_empty());
    }

    #[test]
    fn the_run_overlay_wins_and_falls_back_to_the_graph() {
        let graph = Resources::new().with(1_u8).with("graph");
        let run = Resources::new().with(2_u8);
        let scope = ResourceScope::new(&graph, Some(&run));
        assert_eq!(scope.get::<u8>().map(|r| *r), Some(2));
        assert_eq!(scope.get::<&str>().map(|r| *r), Some("graph"));
        let plain = ResourceScope::new(&graph, None);
        assert_eq!(plain.get::<u8>().map(|r| *r), Some(1));
    }

    #[test]
    fn clones_share_values() {
        let a = Resources::new().with(String::from("x"));
        let b = a.clone();
        let (ra, rb) = (a.get::<String>().unwrap(), b.get::<String>().unwrap());
        assert!(Arc::ptr_eq(ra.arc(), rb.arc()));
    }

    #[test]
    fn missing_lists_every_unserved_parameter_and_per_run_types_count() {
        static NEEDS: std::sync::OnceLock<Vec<ResourceInfo>> = std::sync::OnceLock::new();
        let needs: &'static [ResourceInfo] =
            NEEDS.get_or_init(|| vec![need::<u8>("a"), need::<u16>("b"), need::<u32>("c")]);
        let mut registry = ResourceRegistry::default();
        registry.shared.insert(1_u8);
        registry
            .per_run
            .insert(TypeId::of::<u16>(), std::any::type_name::<u16>());
        let problems = registry.missing([("n", needs)]);
        assert_eq!(
            problems,
            [CompileProblem::MissingResource {
                node: "n".into(),
                parameter: "c".into(),
                ty: "Res<T>".into(),
                type_name: "u32".into(),
            }]
        );
        let err = registry
            .check_run([("n", &needs[..2])], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`b`") && err.contains("u16"), "{err}");
        let run = Resources::new().with(7_u16);
        assert!(registry.check_run([("n", &needs[..2])], Some(&run)).is_ok());
    }
}
