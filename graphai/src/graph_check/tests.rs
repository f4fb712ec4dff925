// `test_node!` also defines each node's `fn`, which these tests do not call.
#![allow(dead_code)]

use super::*;
use crate::tests_support::test_node;

test_node!(
    begin {
        start: true,
        end: false,
        router: false
    } | _ctx
        | Ok(Default::default())
);
test_node!(
    finish {
        start: false,
        end: true,
        router: false
    } | _ctx
        | Ok(Default::default())
);
test_node!(
    choose {
        start: false,
        end: false,
        router: true
    } | _ctx
        | Ok(Default::default())
);
test_node!(
    a {
        start: false,
        end: false,
        router: false
    } | _ctx
        | Ok(Default::default())
);
test_node!(
    b {
        start: false,
        end: false,
        router: false
    } | _ctx
        | Ok(Default::default())
);

const BEGIN: GraphNode = GraphNode::of::<begin>("begin");
const FINISH: GraphNode = GraphNode::of::<finish>("finish");
const CHOOSE: GraphNode = GraphNode::of::<choose>("choose");
const A: GraphNode = GraphNode::of::<a>("a");
const B: GraphNode = GraphNode::of::<b>("b");

/// What `graph!` asks of a wiring, each answer as text.
fn answers<const N: usize, const E: usize, const U: usize>(
    wiring: &Wiring<N, E, U>,
    strict: bool,
) -> Vec<String> {
    let checked = wiring.check::<64>(strict);
    let mut found = Vec::new();
    let mut note = |what: String, message: Option<Message>| {
        if let Some(message) = message {
            found.push(format!("{what}: {}", message.as_str()));
        }
    };
    for i in 0..N {
        note(format!("node {i}"), checked.node_problem(i));
    }
    for i in 0..N {
        note(format!("stop {i}"), checked.stop_problem(i));
    }
    note("start".into(), checked.no_start());
    note("end".into(), checked.no_end());
    for i in 0..U {
        note(format!("use {i}"), checked.use_problem(i));
    }
    for k in 0..E {
        note(format!("edge {k}"), checked.edge_problem(k));
    }
    for j in 0..E {
        note(format!("join {j}"), checked.join_problem(j));
    }
    assert_eq!(checked.ok(), found.is_empty(), "`ok` agrees: {found:?}");
    found
}

#[test]
fn a_wired_graph_has_nothing_to_say() {
    let wiring = Wiring {
        nodes: [BEGIN, A, B, FINISH],
        edges: [
            Edge::next(0, 1),
            Edge::next(0, 2),
            Edge::join(1, 3, 0),
            Edge::join(2, 3, 0),
        ],
        uses: [RouterUse {
            node: 0,
            routed: false,
        }],
    };
    assert_eq!(answers(&wiring, true), Vec::<String>::new());
}

#[test]
fn each_mistake_is_told_at_its_node_edge_use_or_join() {
    let wiring = Wiring {
        nodes: [BEGIN, A, CHOOSE, B],
        edges: [
            Edge::next(0, 1),
            Edge::next(0, 1),
            Edge::next(1, 2),
            Edge::next(2, 1),
            Edge::join(1, 0, 0),
        ],
        uses: [
            RouterUse {
                node: 1,
                routed: true,
            },
            RouterUse {
                node: 2,
                routed: false,
            },
        ],
    };
    let no_end = "this graph has no end node: runs stop at `b`, which has no outgoing edge; mark it `#[node(end)]` (with the builder, `set_end_node` also works)";
    assert_eq!(
        answers(&wiring, true),
        [
            "node 3: `b` cannot be reached from the start node `begin`: add an edge into it, or remove it from the graph".to_owned(),
            format!("stop 3: {no_end}"),
            "use 0: `a` is wired as a router (`=>`, `add_router`) but is not one: declare it with `#[router]`, or wire it with `->` (`add_edge`)".to_owned(),
            "use 1: `choose` is a router: list the nodes it may choose with `=>`, as in `choose => [a, b]`, not with `->`".to_owned(),
            "edge 1: the edge `begin -> a` is declared twice: remove one".to_owned(),
            "edge 3: cycle `a -> choose -> a`: strict mode (`strict: true`, `compile_strict`) forbids cycles; remove an edge of the cycle, or drop strict mode".to_owned(),
            "edge 4: cycle `begin -> a -> begin`: strict mode (`strict: true`, `compile_strict`) forbids cycles; remove an edge of the cycle, or drop strict mode".to_owned(),
        ]
    );
}

#[test]
fn start_and_end_problems_name_every_node_involved() {
    let mut again = BEGIN;
    again.path = "tools::begin";
    let wiring = Wiring {
        nodes: [BEGIN, again, A, B],
        edges: [Edge::next(0, 2), Edge::next(0, 3), Edge::branch(2, 1)],
        uses: [],
    };
    let no_end = "this graph has no end node: runs stop at `a`, `b`, which have no outgoing edge; mark the ones where runs finish `#[node(end)]` (with the builder, `set_end_node` also works)";
    assert_eq!(
        answers(&wiring, false),
        [
            "node 1: two nodes are named `begin`: if they are one node, use it once, by one path; if not, rename one with `#[node(name = \"..\")]`".to_owned(),
            format!("stop 2: {no_end}"),
            format!("stop 3: {no_end}"),
        ]
    );
    let no_start = Wiring {
        nodes: [A, FINISH],
        edges: [Edge::next(0, 1)],
        uses: [],
    };
    assert_eq!(
        answers(&no_start, false),
        [
            "start: this graph has no start node: mark the node where runs begin `#[node(start)]` (with the builder, `set_start_node` also works)"
        ]
    );
}

#[test]
fn a_join_without_a_fork_is_told_at_the_join() {
    let wiring = Wiring {
        nodes: [BEGIN, A, FINISH],
        edges: [Edge::next(0, 1), Edge::join(1, 2, 0)],
        uses: [],
    };
    assert_eq!(
        answers(&wiring, false),
        [
            "join 0: the join into `finish` waits for parallel branches, but no fan-out before it has a branch that ends at `a`: fan out first, as in `x -> [a, y]`, or replace the join with the edge `a -> finish`"
        ]
    );
}

#[test]
fn wire_makes_the_builder_calls_of_the_tables() {
    static WIRING: Wiring<5, 6, 1> = Wiring {
        nodes: [BEGIN, CHOOSE, A, B, FINISH],
        edges: [
            Edge::next(0, 1),
            Edge::next(1, 2),
            Edge::next(1, 3),
            Edge::join(2, 4, 0),
            Edge::join(3, 4, 0),
            Edge::branch(0, 4),
        ],
        uses: [RouterUse {
            node: 1,
            routed: true,
        }],
    };
    let graph = wire(Graph::new(), &WIRING.nodes, &WIRING.edges, &WIRING.uses);
    let names: Vec<&str> = graph.nodes.iter().map(NodeDef::name).collect();
    assert_eq!(names, ["begin", "choose", "a", "b", "finish"]);
    let edges: Vec<(&str, &str)> = graph
        .edges
        .iter()
        .map(|(from, to)| (from.as_ref(), to.as_ref()))
        .collect();
    assert_eq!(
        edges,
        [("begin", "choose"), ("choose", "a"), ("choose", "b")]
    );
    assert_eq!(graph.joins.len(), 1);
    assert_eq!(graph.joins[0].0, ["a", "b"]);
    assert_eq!(graph.joins[0].1, "finish");
    assert_eq!(graph.routers, ["choose"]);
    assert!(graph.branches.is_empty(), "branches are the expansion's");
    graph.compile().expect("the wiring compiles");
}

#[test]
#[should_panic(expected = "this is a bug in graphai")]
fn compiled_says_a_disagreement_is_a_bug() {
    let _ = crate::__private::compiled(Err(crate::error::GraphCompileError::new(vec![
        crate::error::CompileProblem::NoStartNode,
    ])));
}
