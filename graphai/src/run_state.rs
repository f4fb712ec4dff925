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

    /// Takes the newest layer back out, the inverse of [`freeze`](Self::freeze),
    /// when neither it nor the list is held by another state (the branches
    /// forked from it are done): `None`, and nothing changes, otherwise.
    fn thaw(&mut self) -> Option<Map<String, Value>> {
        let layers = Arc::get_mut(self.0.as_mut()?)?;
        let newest = std::mem::take(Arc::get_mut(layers.last_mut()?)?);
        let below = layers.len() - 1;
        *self = if below == 0 {
            Self(None)
        } else {
            Self::from_vec(self.as_slice()[..below].to_vec())
        };
        Some(newest)
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

/// Up to this many keys, a map is searched by comparing keys in turn: that
/// is cheaper than hashing the key (SipHash, as `serde_json::Map` does).
const SCAN_LEN: usize = 8;

/// `map.get(key)`, by a scan when the map is small.
fn lookup<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() <= SCAN_LEN {
        map.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        map.get(key)
    }
}

/// `map.get_mut(key)`, by a scan when the map is small.
fn lookup_mut<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Value> {
    if map.len() <= SCAN_LEN {
        map.iter_mut().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        map.get_mut(key)
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
        lookup(&self.top, key).or_else(|| {
            let layers = self.frozen.as_slice();
            layers.iter().rev().find_map(|layer| lookup(layer, key))
        })
    }

    /// Merges a node's output: later keys win.
    pub(crate) fn merge(&mut self, output: Map<String, Value>) {
        if self.top.is_empty() {
            self.top = output;
        } else {
            // One insert per key: `extend` would reserve room first, and
            // rehash a map that only gets existing keys back. A key the
            // (small) top has already gets its new value in place, found
            // without hashing it.
            for (key, value) in output {
                match lookup_mut(&mut self.top, &key) {
                    Some(slot) => *slot = value,
                    None => {
                        self.top.insert(key, value);
                    }
                }
            }
        }
    }

    /// Merges what the branches of a fan-out wrote (`writes[i]`: branch
    /// `i`'s layers, oldest first) into this state, in branch order, so the
    /// branch declared later wins a key two of them wrote. Returns those keys
    /// where the values differ.
    ///
    /// The fork froze this path's own writes; with the branches done, that
    /// layer is taken back as the top when nothing else holds it, so the
    /// branches' keys go into it once instead of into a map of their own
    /// that the end of the run would copy again. The top then holds `base`
    /// keys from before the fork, then what the branches added: entries
    /// `starts[j]..starts[j + 1]` are the keys branch `j` added first, and a
    /// key already there when branch `i` writes it came from an earlier
    /// branch (or from branch `i` itself, in an earlier layer). A key from
    /// before the fork has its first writer noted in `rewritten`.
    pub(crate) fn merge_branches(&mut self, writes: Vec<Writes>) -> Vec<Conflict> {
        if self.top.is_empty()
            && let Some(newest) = self.frozen.thaw()
        {
            self.top = newest;
        }
        let base = self.top.len();
        let total: usize = base + writes.iter().map(Writes::len).sum::<usize>();
        if base > 0 && base * 2 < total {
            // Room for every branch's keys at once: no regrowth.
            let mut top = Map::with_capacity(total);
            top.extend(std::mem::take(&mut self.top));
            self.top = top;
        }
        let mut conflicts = Vec::new();
        let mut rewritten: Vec<(usize, usize)> = Vec::new();
        let mut starts: Vec<usize> = Vec::with_capacity(writes.len());
        for (i, branch) in writes.into_iter().enumerate() {
            starts.push(self.top.len());
            for layer in branch.frozen.into_iter().chain(std::iter::once(branch.top)) {
                if self.top.is_empty() {
                    self.top = if layer.len() < total {
                        let mut top = Map::with_capacity(total);
                        top.extend(layer);
                        top
                    } else {
                        layer
                    };
                    continue;
                }
                // Keys that were there already, and whether the value differs.
                let mut rewrites = Vec::new();
                for (key, value) in layer {
                    match self.top.entry(key) {
                        Entry::Vacant(entry) => {
                            entry.insert(value);
                        }
                        Entry::Occupied(mut entry) => {
                            rewrites.push((entry.key().clone(), *entry.get() != value));
                            entry.insert(value);
                        }
                    }
                }
                for (key, differs) in rewrites {
                    let Some(index) = self.top.keys().position(|k| *k == key) else {
                        continue;
                    };
                    let first = if index < base {
                        match rewritten.iter().find(|(at, _)| *at == index) {
                            Some(&(_, first)) => first,
                            None => {
                                rewritten.push((index, i));
                                continue;
                            }
                        }
                    } else {
                        starts
                            .partition_point(|&start| start <= index)
                            .saturating_sub(1)
                    };
                    if differs && first != i {
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
    ///
    /// The branches' states come one at a time, for the caller to put each
    /// where it goes (no list of them in between); dropping the iterator
    /// drops the rest.
    pub(crate) fn fork(&mut self, n: usize) -> impl Iterator<Item = RunState> + use<> {
        if !self.top.is_empty() {
            let writes = std::mem::take(&mut self.top);
            self.frozen.freeze(writes);
        }
        std::iter::repeat_n(self.frozen.clone(), n).map(|frozen| RunState {
            frozen,
            top: Map::new(),
        })
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
        let total = self
            .frozen
            .as_slice()
            .iter()
            .map(|l| l.len())
            .sum::<usize>()
            + self.top.len();
        let mut layers = self.frozen.into_owned(0);
        let oldest = layers.next().unwrap_or_default();
        // Growing the oldest layer rehashes it each time it doubles; when
        // the layers above it hold more, one map sized for all is cheaper.
        let mut map = if oldest.len() * 2 >= total {
            oldest
        } else {
            let mut map = Map::with_capacity(total);
            map.extend(oldest);
            map
        };
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
        let mut branches: Vec<_> = state.fork(2).collect();
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
        let mut branches: Vec<_> = state.fork(3).collect();
        branches[0].merge(map(json!({ "a": 1, "same": true })));
        branches[1].merge(map(json!({ "a": 2, "b": 1 })));
        // Branch 2 writes in two layers (it forked again) and agrees on `same`.
        branches[2].merge(map(json!({ "b": 1, "same": true })));
        branches[2].fork(1).for_each(drop);
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

    /// Forks `base`, lets branch `i` write `writes[i]`, and joins them;
    /// with `hold`, another state keeps the forked layer, so the join
    /// cannot take it back.
    fn join(base: Value, writes: &[Value], hold: bool) -> (RunState, Vec<Conflict>) {
        let mut state = RunState::new(map(base));
        let mut branches: Vec<_> = state.fork(writes.len()).collect();
        let held = hold.then(|| state.clone());
        for (branch, write) in branches.iter_mut().zip(writes) {
            branch.merge(map(write.clone()));
        }
        let base = state.layers();
        let writes = branches.into_iter().map(|b| b.into_writes(base)).collect();
        let conflicts = state.merge_branches(writes);
        drop(held);
        (state, conflicts)
    }

    #[test]
    fn a_join_takes_back_the_forked_layer_unless_another_state_holds_it() {
        let writes = [json!({ "c": 1 }), json!({ "a": 5, "d": 2 })];
        let (thawed, conflicts) = join(json!({ "a": 0, "b": 0 }), &writes, false);
        assert!(conflicts.is_empty());
        assert_eq!(thawed.layers(), 0, "the forked layer is the top again");
        let (held, _) = join(json!({ "a": 0, "b": 0 }), &writes, true);
        assert_eq!(held.layers(), 1, "a layer another state holds stays frozen");
        let order = |state: RunState| {
            let keys: Vec<String> = state.into_map().keys().cloned().collect();
            keys
        };
        assert_eq!(order(thawed), ["a", "b", "c", "d"]);
        assert_eq!(order(held), ["a", "b", "c", "d"]);
    }

    #[test]
    fn branches_rewriting_a_key_from_before_the_fork_conflict_by_first_writer() {
        // Branch 0 writes the value the key had; branches 1 and 2 change it;
        // branch 3 writes an untouched key back as it was.
        let writes = [
            json!({ "k": 0 }),
            json!({ "k": 1 }),
            json!({ "k": 2, "n": 1 }),
            json!({ "other": true }),
        ];
        for hold in [false, true] {
            let (state, conflicts) = join(json!({ "k": 0, "other": true }), &writes, hold);
            let found: Vec<_> = conflicts
                .iter()
                .map(|c| (c.key.as_str(), c.first, c.second))
                .collect();
            assert_eq!(found, [("k", 0, 1), ("k", 0, 2)], "hold: {hold}");
            assert_eq!(
                state.into_map(),
                map(json!({ "k": 2, "other": true, "n": 1 })),
                "hold: {hold}"
            );
        }
    }

    #[test]
    fn an_inner_join_takes_back_only_its_own_layer() {
        let mut outer = RunState::new(map(json!({ "base": 0 })));
        let mut branches: Vec<_> = outer.fork(2).collect();
        let outer_base = outer.layers();
        let branch = &mut branches[0];
        branch.merge(map(json!({ "mine": 1 })));
        let mut inner: Vec<_> = branch.fork(1).collect();
        inner[0].merge(map(json!({ "inner": 2 })));
        let inner_base = branch.layers();
        let writes = inner
            .into_iter()
            .map(|b| b.into_writes(inner_base))
            .collect();
        assert!(branch.merge_branches(writes).is_empty());
        assert_eq!(
            branch.layers(),
            outer_base,
            "the outer fork's layer stays shared"
        );
        let writes = branches.remove(0).into_writes(outer_base);
        assert_eq!(
            writes,
            Writes {
                frozen: Vec::new(),
                top: map(json!({ "mine": 1, "inner": 2 }))
            }
        );
    }

    #[test]
    fn merge_and_get_agree_with_the_map_on_either_side_of_the_scan_length() {
        for len in [1, SCAN_LEN, SCAN_LEN + 1, 3 * SCAN_LEN] {
            let keys: Vec<String> = (0..len).map(|i| format!("k{i}")).collect();
            let input: Map<String, Value> = keys.iter().map(|k| (k.clone(), json!(0))).collect();
            let mut state = RunState::new(input.clone());
            let mut expected = input;
            let output = map(json!({ "k0": 1, "new": 2, (keys[len - 1].clone()): 3 }));
            state.merge(output.clone());
            expected.extend(output);
            assert_eq!(state.get("new"), Some(&json!(2)), "len {len}");
            assert_eq!(state.get(&keys[len - 1]), Some(&json!(3)), "len {len}");
            assert_eq!(state.get("missing"), None, "len {len}");
            let merged = state.into_map();
            assert!(merged.keys().eq(expected.keys()), "len {len}: key order");
            assert_eq!(merged, expected, "len {len}");
        }
    }

    #[test]
    fn repeated_forks_do_not_stack_layers() {
        let mut state = RunState::new(map(json!({ "a": 0 })));
        for i in 0..10 {
            state.fork(2).for_each(drop);
            state.merge(map(json!({ "a": i })));
        }
        state.fork(1).for_each(drop);
        assert_eq!(state.layers(), 1);
        assert_eq!(state.get("a"), Some(&json!(9)));
    }

    #[test]
    fn branches_share_the_frozen_state_instead_of_copying_it() {
        let mut state = RunState::new(map(json!({ "big": "x".repeat(1000) })));
        let branches: Vec<_> = state.fork(3).collect();
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
