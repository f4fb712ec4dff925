//! Seeing the graph: `GraphShape`, `to_mermaid`, `to_dot` and `to_svg`.
//!
//! The text is parsed back (with small parsers for what we write, below) and
//! compared with the graph's nodes and edges; then real tools read it:
//! Graphviz's `dot -Tsvg` and Mermaid's own parser (`tests/mermaid/`, in
//! Node). Without those tools the tests say they skipped, except in CI
//! (`CI=true` or `GRAPHAI_REQUIRE_DRAW_TOOLS=1`), where that is a failure.

#[path = "draw/fixtures.rs"]
mod fixtures;
#[path = "draw/parse.rs"]
mod parse;

use std::path::{Path, PathBuf};
use std::process::Command;

use graphai::{EdgeKind, Graph, GraphShape};

use fixtures::{builder_fork, every_kind, hostile, macro_fork, named, quickstart, solo};
use parse::{Facts, dot, mermaid};

/// Every fixture, compiled, by name.
fn all() -> Vec<(&'static str, GraphShape)> {
    let compiled = |graph: Graph| graph.compile().expect("the fixture compiles");
    vec![
        ("quickstart", compiled(quickstart()).shape().clone()),
        ("every_kind", compiled(every_kind()).shape().clone()),
        ("hostile", compiled(hostile()).shape().clone()),
        ("solo", compiled(solo()).shape().clone()),
        ("macro_fork", macro_fork().shape().clone()),
    ]
}

/// A name as the pictures (DOT, SVG) show it: control characters other than
/// a newline as their Unicode control pictures.
fn shown(name: &str) -> String {
    name.chars()
        .map(|c| match u32::from(c) {
            0x0A => c,
            n @ 0..=0x1F => char::from_u32(0x2400 + n).unwrap(),
            0x7F => '\u{2421}',
            0x80..=0x9F => '\u{FFFD}',
            _ => c,
        })
        .collect()
}

fn facts(shape: &GraphShape) -> Facts {
    facts_with(shape, str::to_owned)
}

/// [`facts`] with the names as `show` gives them.
fn facts_with(shape: &GraphShape, show: impl Fn(&str) -> String) -> Facts {
    Facts::new(
        shape
            .nodes()
            .iter()
            .map(|n| (show(&n.name), [n.start, n.end, n.router, n.stream]))
            .collect(),
        shape
            .edges()
            .iter()
            .map(|e| (show(&e.from), show(&e.to), e.kind))
            .collect(),
    )
}

#[test]
fn the_shape_lists_every_node_and_edge_with_its_kind() {
    let shape = every_kind().shape();
    let nodes: Vec<(&str, [bool; 4])> = shape
        .nodes()
        .iter()
        .map(|n| (n.name.as_str(), [n.start, n.end, n.router, n.stream]))
        .collect();
    // [start, end, router, stream]
    assert_eq!(
        nodes,
        [
            ("plan", [true, false, false, false]),
            ("search_web", [false, false, false, false]),
            ("search_docs", [false, false, false, false]),
            ("combine", [false, false, false, false]),
            ("triage", [false, false, true, true]),
            ("write", [false, true, false, true]),
            ("give_up", [false, true, false, false]),
            ("record", [false, false, false, false]),
            ("audit", [false, false, false, false]),
            ("alert", [false, false, false, false]),
            ("archive", [false, false, false, false]),
        ]
    );
    let edges: Vec<(&str, &str, EdgeKind)> = shape
        .edges()
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
        .collect();
    let waiting = |conditional| EdgeKind::WaitingBranch { conditional };
    let detached = |conditional| EdgeKind::DetachedBranch { conditional };
    assert_eq!(
        edges,
        [
            ("plan", "search_web", EdgeKind::Parallel),
            ("plan", "search_docs", EdgeKind::Parallel),
            ("plan", "audit", detached(true)),
            ("plan", "archive", detached(false)),
            ("search_web", "combine", EdgeKind::Join),
            ("search_docs", "combine", EdgeKind::Join),
            ("combine", "triage", EdgeKind::Regular),
            ("combine", "record", waiting(false)),
            ("combine", "alert", waiting(true)),
            ("triage", "write", EdgeKind::RouterChoice),
            ("triage", "give_up", EdgeKind::RouterChoice),
        ]
    );
}

#[test]
fn the_shape_is_the_same_before_and_after_compiling() {
    for graph in [quickstart(), every_kind(), hostile(), solo()] {
        let before = graph.shape();
        let compiled = graph.compile().unwrap();
        assert_eq!(&before, compiled.shape());
        assert_eq!(before.to_mermaid(), compiled.to_mermaid());
        assert_eq!(before.to_dot(), compiled.to_dot());
    }
}

#[test]
fn graph_macro_graphs_have_the_shape_of_their_builder_calls() {
    assert_eq!(macro_fork().shape(), &builder_fork().shape());
}

#[test]
fn interleaving_builder_calls_differently_gives_the_same_shape() {
    let a = named(&["s", "x", "y", "z"])
        .add_edge("s", "x")
        .add_branch("s", "z")
        .add_edge("s", "y")
        .add_join(["x", "y"], "z");
    let b = named(&["s", "x", "y", "z"])
        .add_join(["x", "y"], "z")
        .add_parallel("s", ["x", "y"])
        .add_branch("s", "z");
    assert_eq!(a.shape(), b.shape());
    // The order of a node's successors is the merge order: it counts.
    let c = named(&["s", "x", "y", "z"])
        .add_parallel("s", ["y", "x"])
        .add_join(["x", "y"], "z")
        .add_branch("s", "z");
    assert_ne!(a.shape(), c.shape());
    // So does the order the nodes were added in.
    let d = named(&["s", "y", "x", "z"])
        .add_parallel("s", ["x", "y"])
        .add_join(["x", "y"], "z")
        .add_branch("s", "z");
    assert_ne!(b.shape(), d.shape());
}

#[test]
fn set_start_node_and_set_end_node_show_in_the_shape() {
    let shape = named(&["s", "x", "y"])
        .add_edge("s", "x")
        .add_edge("x", "y")
        .set_start_node("x")
        .set_end_node("s")
        .shape();
    let flags: Vec<(bool, bool)> = shape.nodes().iter().map(|n| (n.start, n.end)).collect();
    // `s` is marked start and `y` end; `set_start_node` overrides the flags.
    assert_eq!(flags, [(false, true), (true, false), (false, true)]);
}

#[test]
fn edges_naming_unknown_nodes_are_left_out_of_the_shape() {
    let graph = named(&["s", "x"])
        .add_edge("s", "x")
        .add_edge("s", "nowhere")
        .add_join(["x", "ghost"], "x")
        .add_branch("ghost", "x");
    let shape = graph.shape();
    assert_eq!(shape.edges().len(), 1, "{:?}", shape.edges());
    assert_eq!(shape.edges()[0].kind, EdgeKind::Regular);
    assert!(!graph.to_mermaid().contains("nowhere"));
    assert!(!graph.to_dot().contains("ghost"));
    // A join naming an unknown node is left out whole, as `compile` drops it.
    assert!(!shape.edges().iter().any(|e| e.kind == EdgeKind::Join));
}

#[test]
fn the_shape_round_trips_through_serde() {
    for (name, shape) in all() {
        let text = serde_json::to_string(&shape).unwrap();
        let back: GraphShape = serde_json::from_str(&text).unwrap();
        assert_eq!(back, shape, "{name}");
    }
    let json = serde_json::to_value(quickstart().shape()).unwrap();
    assert_eq!(
        json["nodes"][1],
        serde_json::json!({ "name": "agent", "start": false, "end": false, "router": true, "stream": false })
    );
    assert_eq!(json["edges"][1]["kind"], "router_choice");
    let json = serde_json::to_value(every_kind().shape()).unwrap();
    assert_eq!(
        json["edges"][2]["kind"],
        serde_json::json!({ "detached_branch": { "conditional": true } })
    );
}

#[test]
fn a_shape_with_unknown_or_repeated_names_does_not_deserialize() {
    let node = |name: &str| serde_json::json!({ "name": name, "start": false, "end": false, "router": false, "stream": false });
    let twice = serde_json::json!({ "nodes": [node("a"), node("a")], "edges": [] });
    let err = serde_json::from_value::<GraphShape>(twice).unwrap_err();
    assert_eq!(err.to_string(), "the graph shape has two nodes named `a`");
    let stray = serde_json::json!({
        "nodes": [node("a")],
        "edges": [{ "from": "a", "to": "b", "kind": "regular" }],
    });
    let err = serde_json::from_value::<GraphShape>(stray).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the graph shape's edge `a` -> `b` names `b`, which is not one of its nodes"
    );
}

#[test]
fn mermaid_text_parses_back_to_the_graph() {
    for (name, shape) in all() {
        let text = shape.to_mermaid();
        assert_eq!(mermaid(&text), facts(&shape), "{name}:\n{text}");
    }
}

#[test]
fn dot_text_parses_back_to_the_graph() {
    for (name, shape) in all() {
        let text = shape.to_dot();
        assert_eq!(dot(&text), facts_with(&shape, shown), "{name}:\n{text}");
    }
}

#[test]
fn the_parsers_notice_a_wrong_kind() {
    // The round trips above would pass if both sides lost the kinds.
    let text = quickstart().shape().to_mermaid();
    let changed = text.replacen("-.->|\"choice\"|", "-->", 1);
    assert_ne!(mermaid(&changed), facts(&quickstart().shape()));
    let text = quickstart().shape().to_dot();
    let changed = text.replacen("shape=diamond", "shape=box", 1);
    assert_ne!(dot(&changed), facts_with(&quickstart().shape(), shown));
}

/// Whether a missing tool fails the test rather than skipping it.
fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var_os("GRAPHAI_REQUIRE_DRAW_TOOLS").is_some()
}

/// Skips (or, in CI, fails) a test that needs a tool that is not there.
fn unavailable(why: &str) {
    assert!(!required(), "{why} (CI needs it: `.ci/run` installs it)");
    eprintln!("skipped: {why}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("draw");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn has(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn graphviz_reads_the_dot_and_draws_every_name() {
    if !has("dot", "-V") {
        return unavailable("Graphviz `dot` is not installed (Debian package `graphviz`)");
    }
    for (name, shape) in all() {
        let file = scratch(&format!("{name}.dot"));
        std::fs::write(&file, shape.to_dot()).unwrap();
        let out = Command::new("dot")
            .arg("-Tsvg")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        let svg = String::from_utf8(out.stdout).unwrap();
        let drawn = parse::graphviz_svg(&svg);
        assert_eq!(drawn.len(), shape.nodes().len(), "{name}");
        for (i, node) in shape.nodes().iter().enumerate() {
            // Graphviz draws each line of a label as its own text.
            assert_eq!(drawn[&format!("n{i}")], shown(&node.name), "{name}");
        }
    }
    let broken = scratch("broken.dot");
    std::fs::write(&broken, "digraph { \"a\" -> \"b }\n").unwrap();
    let out = Command::new("dot")
        .arg("-Tsvg")
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success(), "Graphviz must reject broken DOT");
}

#[test]
fn mermaid_reads_the_text_as_the_graph() {
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mermaid");
    if !has("node", "--version") {
        return unavailable("Node.js is not installed, so Mermaid's parser cannot run");
    }
    if !checker.join("node_modules/mermaid").is_dir() {
        return unavailable("Mermaid is not installed: run `npm ci` in tests/mermaid");
    }
    let shapes = all();
    let mut files = Vec::new();
    for (name, shape) in &shapes {
        let file = scratch(&format!("{name}.mmd"));
        std::fs::write(&file, shape.to_mermaid()).unwrap();
        files.push(file);
    }
    let broken = scratch("broken.mmd");
    std::fs::write(&broken, "flowchart TD\n    n0[\"a\"b\"]\n").unwrap();
    files.push(broken);
    let out = Command::new("node")
        .arg(checker.join("check.mjs"))
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Mermaid checker failed: {stderr}");
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), files.len());
    for ((name, shape), result) in shapes.iter().zip(&results) {
        assert!(result.get("error").is_none(), "{name}: {}", result["error"]);
        assert_eq!(result["type"], "flowchart-v2", "{name}");
        assert_eq!(parse::mermaid_db(result), facts(shape), "{name}");
    }
    let rejected = results.last().unwrap();
    assert!(
        rejected["error"]
            .as_str()
            .is_some_and(|e| e.contains("Parse error")),
        "Mermaid must reject broken text: {rejected}"
    );
}

#[cfg(feature = "svg")]
#[path = "draw/svg.rs"]
mod svg;
