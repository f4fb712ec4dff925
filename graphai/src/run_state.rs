//! The run state: the JSON object that flows through one run.
//!
//! Branches of a fan-out each see their own copy of the run state. Copying the
//! map per branch would make a big input cost per step, so the state is layered
//! instead: shared frozen layers (`Arc`) below, the branch's own writes on top.
//! A fork freezes the writes into a new shared layer and hands every branch a
//! new empty top; a join merges what each branch wrote. No step copies the input.

use std::sync::Arc;

use serde_json::map::Entry;
use serde_json::{Map, Value};

/// What one parallel branch wrote: the layers it froze (it forked again),
/// oldest first, then its own top.
#[derive(Debug, PartialEq)]
pub(crate) struct Writes {
    pub(crate) frozen: Vec<Map<String, Value>>,
    pub(crate) top: Map<String, Value>,
}

impl Writes {
    /// How many keys it wrote, counting a key once per layer.
    fn len(&self) -> usize {
        self.frozen.iter().map(Map::len).sum::<usize>() + self.top.len()
    }
}

/// A key two parallel branches wrote with different values.
#[derive(Debug, PartialEq)]
pub(crate) struct Conflict {
    pub(crate) key: String,
    /// The branch that wrote it first (its index in the fan-out).
    pub(crate) first: usize,
    /// The branch declared later, whose value is kept.
    pub(crate) second: usize,
}

/// One frozen layer of a run state, shared by the branches forked from it.
pub(crate) type Layer = Arc<Map<String, Value>>;

/// The frozen layers of a state, oldest first: one shared list, so the
/// branches of a fan-out share it without a copy each (`None` when empty,
/// which allocates nothing).
#[derive(Debug, Default, Clone)]
struct Frozen(Option<Arc<[Layer]>>);

impl Frozen {
    fn from_vec(layers: Vec<Layer>) -> Self {
        Self((!layers.is_empty()).then(|| layers.into()))
    }

    fn as_slice(&self) -> &[Layer] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// Adds `writes` as the newest layer; into the newest layer itself when
    /// nothing else holds it (earlier branches are done), so repeated forks
    /// do not stack layers.
    fn freeze(&mut self, writes: Map<String, Value>) {
        if let Some(layer) = self
            .0
            .as_mut()
            .and_then(Arc::get_mut)
            .and_then(|layers| layers.last_mut())
            .and_then(Arc::get_mut)
        {
            layer.extend(writes);
            return;
        }
        let mut layers = self.as_slice().to_vec();
        layers.push(Arc::new(writes));
        *self = Self::from_vec(layers);
    }

    /// The layers from index `from` on, owned: copied only where another
    /// state still holds them.
    fn into_owned(self, from: usize) -> impl Iterator<Item = Map<String, Value>> {
        let layers: Vec<Layer> = self.as_slice().get(from..).unwrap_or(&[]).to_vec();
        drop(self);
        layers
            .into_iter()
            .map(|layer| Arc::try_unwrap(layer).unwrap_or_else(|shared| (*shared).clone()))
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RunState {
    /// Shared layers, oldest first. Lookups go newest first.
    frozen: Frozen,
    /// What this path wrote since the last fork.
    top: Map<String, Value>,
}

impl RunState {
    pub(crate) fn new(input: Map<String, Value>) -> Self {
        Self {
            frozen: Frozen::default(),
            top: input,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.top.get(key).or_else(|| {
            let layers = self.frozen.as_slice();
            layers.iter().rev().find_map(|layer| layer.get(key))
        })
    }

    /// Merges a node's output: later keys win.
    pub(crate) fn merge(&mut self, output: Map<String, Value>) {
        if self.top.is_empty() {
            self.top = output;
        } else {
            // One insert per key: `extend` would reserve room first, and
            // rehash a map that only gets existing keys back.
            for (key, value) in output {
                self.top.insert(key, value);
            }
        }
    }

    /// Merges what the branches of a fan-out wrote (`writes[i]`: branch
    /// `i`'s layers, oldest first) into this state, in branch order, so the
    /// branch declared later wins a key two of them wrote. Returns those keys
    /// where the values differ.
    ///
    /// The fork froze this path's own writes, so the top holds only what the
    /// branches merged: entries `starts[j]..starts[j + 1]` are the keys
    /// branch `j` added first, and a key already there when branch `i`
    /// writes it came from an earlier branch (or from branch `i` itself, in
    /// an earlier layer).
    pub(crate) fn merge_branches(&mut self, writes: Vec<Writes>) -> Vec<Conflict> {
        let mut conflicts = Vec::new();
        let total: usize = writes.iter().map(Writes::len).sum();
        let mut starts: Vec<usize> = Vec::with_capacity(writes.len());
        for (i, branch) in writes.into_iter().enumerate() {
            starts.push(self.top.len());
            for layer in branch.frozen.into_iter().chain(std::iter::once(branch.top)) {
                if self.top.is_empty() {
                    // Room for every branch's keys at once: no regrowth.
                    self.top = if layer.len() < total {
                        let mut top = Map::with_capacity(total);
                        top.extend(layer);
                        top
                    } else {
                        layer
                    };
                    continue;
                }
                let mut differing = Vec::new();
                for (key, value) in layer {
                    match self.top.entry(key) {
                        Entry::Vacant(entry) => {
                            entry.insert(value);
                        }
                        Entry::Occupied(mut entry) => {
                            if *entry.get() != value {
                                differing.push(entry.key().clone());
                            }
                            entry.insert(value);
                        }
                    }
                }
                for key in differing {
                    let Some(index) = self.top.keys().position(|k| *k == key) else {
                        continue;
                    };
                    let first = starts
                        .partition_point(|&start| start <= index)
                        .saturating_sub(1);
                    if first != i {
                        conflicts.push(Conflict {
                            key,
                            first,
                            second: i,
                        });
                    }
                }
            }
        }
        conflicts
    }

    /// Freezes this path's writes and returns `n` states that share them.
    pub(crate) fn fork(&mut self, n: usize) -> Vec<RunState> {
        if !self.top.is_empty() {
            let writes = std::mem::take(&mut self.top);
            self.frozen.freeze(writes);
        }
        (0..n)
            .map(|_| RunState {
                frozen: self.frozen.clone(),
                top: Map::new(),
            })
            .collect()
    }

    /// What a branch forked from a state with `base_layers` frozen layers
    /// wrote, consuming the branch: the layers it froze since, oldest first
    /// (most often none, which allocates nothing), and its own top.
    pub(crate) fn into_writes(self, base_layers: usize) -> Writes {
        let frozen = if self.frozen.as_slice().len() > base_layers {
            self.frozen.into_owned(base_layers).collect()
        } else {
            Vec::new()
        };
        Writes {
            frozen,
            top: self.top,
        }
    }

    pub(crate) fn layers(&self) -> usize {
        self.frozen.as_slice().len()
    }

    /// The shared layers, oldest first, and this path's own writes.
    pub(crate) fn parts(&self) -> (&[Layer], &Map<String, Value>) {
        (self.frozen.as_slice(), &self.top)
    }

    /// A state made of `frozen` shared layers and `top`.
    pub(crate) fn from_parts(frozen: Vec<Layer>, top: Map<String, Value>) -> Self {
        Self {
            frozen: Frozen::from_vec(frozen),
            top,
        }
    }

    /// The whole state as one map. Copies nothing that no other branch holds.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        if self.frozen.0.is_none() {
            return self.top;
        }
        let mut layers = self.frozen.into_owned(0);
        let mut map = layers.next().unwrap_or_default();
        for layer in layers {
            map.extend(layer);
        }
        map.extend(self.top);
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::tests_support::obj as map;

    #[test]
    fn later_writes_win_and_forks_see_the_base() {
        let mut state = RunState::new(map(json!({ "a": 1, "b": 1 })));
        state.merge(map(json!({ "b": 2 })));
        let mut branches = state.fork(2);
        branches[0].merge(map(json!({ "c": 3 })));
        assert_eq!(branches[0].get("b"), Some(&json!(2)));
        assert_eq!(branches[0].get("c"), Some(&json!(3)));
        assert_eq!(branches[1].get("c"), None);
        let base = state.layers();
        let writes: Vec<_> = branches.into_iter().map(|b| b.into_writes(base)).collect();
        assert_eq!(
            writes[0],
            Writes {
                frozen: Vec::new(),
                top: map(json!({ "c": 3 }))
            }
        );
        for w in writes {
            w.frozen.into_iter().for_each(|layer| state.merge(layer));
            state.merge(w.top);
        }
        assert_eq!(state.into_map(), map(json!({ "a": 1, "b": 2, "c": 3 })));
    }

    #[test]
    fn branches_merge_in_order_and_report_differing_writes() {
        let mut state = RunState::new(map(json!({ "input": 0 })));
        let base = state.layers();
        let mut branches = state.fork(3);
        branches[0].merge(map(json!({ "a": 1, "same": true })));
        branches[1].merge(map(json!({ "a": 2, "b": 1 })));
        // Branch 2 writes in two layers (it forked again) and agrees on `same`.
        branches[2].merge(map(json!({ "b": 1, "same": true })));
        drop(branches[2].fork(1));
        branches[2].merge(map(json!({ "a": 3, "c": 1 })));
        let writes = branches.into_iter().map(|b| b.into_writes(base)).collect();
        let conflicts = state.merge_branches(writes);
        let found: Vec<_> = conflicts
            .iter()
            .map(|c| (c.key.as_str(), c.first, c.second))
            .collect();
        assert_eq!(found, vec![("a", 0, 1), ("a", 0, 2)]);
        assert_eq!(
            state.into_map(),
            map(json!({ "input": 0, "a": 3, "same": true, "b": 1, "c": 1 }))
        );
    }

    #[test]
    fn repeated_forks_do_not_stack_layers() {
        let mut state = RunState::new(map(json!({ "a": 0 })));
        for i in 0..10 {
            let branches = state.fork(2);
            drop(branches);
            state.merge(map(json!({ "a": i })));
        }
        state.fork(1);
        assert_eq!(state.layers(), 1);
        assert_eq!(state.get("a"), Some(&json!(9)));
    }

    #[test]
    fn branches_share_the_frozen_state_instead_of_copying_it() {
        let mut state = RunState::new(map(json!({ "big": "x".repeat(1000) })));
        let branches = state.fork(3);
        let shared = state.frozen.0.as_ref().expect("a frozen layer");
        for branch in &branches {
            assert_eq!(branch.layers(), 1);
            let list = branch.frozen.0.as_ref().expect("the same layer");
            assert!(
                Arc::ptr_eq(list, shared),
                "one list of layers, not a copy each"
            );
            assert!(branch.top.is_empty());
        }
        assert_eq!(Arc::strong_count(shared), 4);
    }

    #[test]
    fn into_map_does_not_copy_an_unshared_input() {
        let state = RunState::new(map(json!({ "big": "x" })));
        assert_eq!(state.into_map(), map(json!({ "big": "x" })));
    }
}
