//! A graph's fingerprint (a hash of its shape), and what changed between two
//! shapes, for refusing a resume with a graph that is not the one that wrote
//! the thread.

use crate::shape::{GraphShape, ShapeEdge, ShapeNode};

/// FNV-1a over the shape's JSON: stable across processes and builds.
pub(crate) fn fingerprint(shape: &GraphShape) -> String {
    let text = serde_json::to_string(shape).unwrap_or_default();
    format!("{:016x}", fnv1a(text.as_bytes()))
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn kind(node: &ShapeNode) -> String {
    let mut flags = Vec::new();
    for (on, name) in [
        (node.start, "start"),
        (node.end, "end"),
        (node.router, "router"),
        (node.stream, "stream"),
    ] {
        if on {
            flags.push(name);
        }
    }
    if flags.is_empty() {
        "a plain node".to_owned()
    } else {
        flags.join(", ")
    }
}

fn edge(edge: &ShapeEdge) -> String {
    format!("edge `{}` -> `{}` ({:?})", edge.from, edge.to, edge.kind)
}

/// What changed from `old` (the graph that wrote the thread) to `new`, in
/// words; empty when only the order of declarations changed.
pub(crate) fn changes(old: &GraphShape, new: &GraphShape) -> Vec<String> {
    let mut changes = Vec::new();
    for node in new.nodes() {
        match old.node(&node.name) {
            None => changes.push(format!("node `{}` was added", node.name)),
            Some(before) if kind(before) != kind(node) => changes.push(format!(
                "node `{}` changed from {} to {}",
                node.name,
                kind(before),
                kind(node)
            )),
            Some(_) => {}
        }
    }
    for node in old.nodes() {
        if new.node(&node.name).is_none() {
            changes.push(format!("node `{}` was removed", node.name));
        }
    }
    for e in new.edges() {
        if !old.edges().contains(e) {
            changes.push(format!("{} was added", edge(e)));
        }
    }
    for e in old.edges() {
        if !new.edges().contains(e) {
            changes.push(format!("{} was removed", edge(e)));
        }
    }
    if changes.is_empty() {
        changes.push("the order of its nodes or edges changed".to_owned());
    }
    changes
}
