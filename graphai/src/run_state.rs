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

#[derive(Debug, Default, Clone)]
pub(crate) struct RunState {
    /// Shared layers, oldest first. Lookups go newest first.
    frozen: Vec<Arc<Map<String, Value>>>,
    /// What this path wrote since the last fork.
    top: Map<String, Value>,
}

impl RunState {
    pub(crate) fn new(input: Map<String, Value>) -> Self {
        Self {
            frozen: Vec::new(),
            top: input,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.top
            .get(key)
            .or_else(|| self.frozen.iter().rev().find_map(|layer| layer.get(key)))
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
    pub(crate) fn merge_branches(&mut self, writes: Vec<Vec<Map<String, Value>>>) -> Vec<Conflict> {
        let mut conflicts = Vec::new();
        let total: usize = writes.iter().flatten().map(Map::len).sum();
        let mut starts: Vec<usize> = Vec::with_capacity(writes.len());
        for (i, layers) in writes.into_iter().enumerate() {
            starts.push(self.top.len());
            for layer in layers {
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
            // The newest layer is ours alone once earlier branches are done:
            // extend it instead of stacking layers in a loop.
            match self.frozen.last_mut().and_then(Arc::get_mut) {
                Some(layer) => layer.extend(writes),
                None => self.frozen.push(Arc::new(writes)),
            }
        }
        (0..n)
            .map(|_| RunState {
                frozen: self.frozen.clone(),
                top: Map::new(),
            })
            .collect()
    }

    /// What a branch forked from a state with `base_layers` frozen layers wrote,
    /// oldest first, consuming the branch.
    pub(crate) fn into_writes(self, base_layers: usize) -> Vec<Map<String, Value>> {
        let mut writes: Vec<Map<String, Value>> = self
            .frozen
            .into_iter()
            .skip(base_layers)
            .map(|layer| Arc::try_unwrap(layer).unwrap_or_else(|shared| (*shared).clone()))
            .collect();
        writes.push(self.top);
        writes
    }

    pub(crate) fn layers(&self) -> usize {
        self.frozen.len()
    }

    /// The shared layers, oldest first, and this path's own writes.
    pub(crate) fn parts(&self) -> (&[Layer], &Map<String, Value>) {
        (&self.frozen, &self.top)
    }

    /// A state made of `frozen` shared layers and `top`.
    pub(crate) fn from_parts(frozen: Vec<Layer>, top: Map<String, Value>) -> Self {
        Self { frozen, top }
    }

    /// The whole state as one map. Copies nothing that no other branch holds.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        let mut layers = self.frozen.into_iter();
        let mut map = match layers.next() {
            Some(first) => Arc::try_unwrap(first).unwrap_or_else(|shared| (*shared).clone()),
            None => return self.top,
        };
        for layer in layers {
            match Arc::try_unwrap(layer) {
                Ok(owned) => map.extend(owned),
                Err(shared) => map.extend(shared.iter().map(|(k, v)| (k.clone(), v.clone()))),
            }
        }
        map.extend(self.top);
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test maps are objects"),
        }
    }

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
        assert_eq!(writes[0], vec![map(json!({ "c": 3 }))]);
        for w in writes.into_iter().flatten() {
            state.merge(w);
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
        for branch in &branches {
            assert_eq!(branch.frozen.len(), 1);
            assert!(Arc::ptr_eq(&branch.frozen[0], &state.frozen[0]));
            assert!(branch.top.is_empty());
        }
        assert_eq!(Arc::strong_count(&state.frozen[0]), 4);
    }

    #[test]
    fn into_map_does_not_copy_an_unshared_input() {
        let state = RunState::new(map(json!({ "big": "x" })));
        assert_eq!(state.into_map(), map(json!({ "big": "x" })));
    }
}
