//! [`State`]: the graph-level shared state (GraphAI's `graph.state`).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::sync::lock;

use serde_json::{Map, Value};

/// The graph's shared state: a JSON object that lives as long as the graph.
///
/// A node that declares a `state: State` parameter gets this handle. Changes are
/// visible to later nodes, to later runs, and through
/// [`CompiledGraph::get_state`](crate::CompiledGraph::get_state). Cloning a
/// `State` clones the handle, not the data.
///
/// Every method takes the lock for its own duration only, so concurrent runs can
/// share one `State`. For a read-modify-write that must not interleave with other
/// runs (a counter), use [`State::update_with`].
///
/// ```
/// # use graphai::{State, json};
/// let state = State::new(json!({ "count": 1 }).as_object().cloned().unwrap_or_default());
/// state.update_with(|map| {
///     let count = map.get("count").and_then(|v| v.as_i64()).unwrap_or(0);
///     map.insert("count".into(), json!(count + 1));
/// });
/// assert_eq!(state.get("count"), Some(json!(2)));
/// ```
#[derive(Clone, Default)]
pub struct State {
    inner: Arc<Mutex<Map<String, Value>>>,
}

impl State {
    /// A state holding `initial`.
    pub fn new(initial: Map<String, Value>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(initial)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map<String, Value>> {
        // Every method below is a single map operation.
        lock(&self.inner)
    }

    /// A copy of the value under `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.lock().get(key).cloned()
    }

    /// A copy of the whole state.
    pub fn snapshot(&self) -> Map<String, Value> {
        self.lock().clone()
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.lock().insert(key.into(), value.into())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.lock().shift_remove(key)
    }

    /// Replaces the whole state.
    pub fn set(&self, state: Map<String, Value>) {
        *self.lock() = state;
    }

    /// Merges `values` into the state (later keys win), like Python's `dict.update`.
    pub fn update(&self, values: Map<String, Value>) {
        self.lock().extend(values);
    }

    /// Empties the state.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Runs `f` on the state under the lock: an atomic read-modify-write.
    ///
    /// Keep `f` short and do not call other methods of this `State` inside it
    /// (that would wait for the lock `f` holds).
    pub fn update_with<R>(&self, f: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
        f(&mut self.lock())
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("State").field(&*self.lock()).finish()
    }
}
