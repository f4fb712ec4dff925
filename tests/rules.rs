//! The wiring rules are written once: for each mistake, `Graph::compile`
//! reports exactly the messages `graph!` does. Each case is a graph of
//! `tests/ui/graph/fail/`, wired three ways: with the builder (its
//! `CompileProblem`s), as the tables `graph!` expands it to (the shared const
//! fns' answers, asked the way the expansion's const items ask), and as the
//! compiler printed it (the case's `.stderr`). The three must say the same.

use std::collections::BTreeSet;

use graphai::__private::{Checked, Edge, GraphNode, RouterUse, Wiring};
use graphai::{Graph, Value, json, node, router};

/// Every message `graph!`'s const items would panic with, for `wiring`.
fn by_macro<const N: usize, const E: usize, const U: usize>(
    wiring: &Wiring<N, E, U>,
    strict: bool,
) -> BTreeSet<String> {
    // Any power of two of at least `table_size(N, E)` will do.
    let checked: Checked<N, E, U> = wiring.check::<1024>(strict);
    let mut found = BTreeSet::new();
    let mut note = |message: Option<graphai::__private::Message>| {
        if let Some(message) = message {
            found.insert(message.as_str().to_owned());
        }
    };
    for i in 0..N {
        note(checked.node_problem(i));
        note(checked.stop_problem(i));
    }
    note(checked.no_start());
    note(checked.no_end());
    (0..U).for_each(|i| note(checked.use_problem(i)));
    (0..E).for_each(|k| note(checked.edge_problem(k)));
    (0..E).for_each(|j| note(checked.join_problem(j)));
    assert_eq!(checked.ok(), found.is_empty());
    found
}

/// Every message of `compile()` (or `compile_strict()`).
fn by_builder(graph: Graph, strict: bool) -> BTreeSet<String> {
    let result = if strict {
        graph.compile_strict()
    } else {
        graph.compile()
    };
    let err = result.expect_err("the builder rejects it");
    err.problems().iter().map(ToString::to_string).collect()
}

/// The const-evaluation panics in a UI case's `.stderr`.
fn by_compiler(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error[E0080]: evaluation panicked: "))
        .map(str::to_owned)
        .collect()
}

fn agree(builder: BTreeSet<String>, by_macro: BTreeSet<String>, stderr: &str) {
    assert!(!builder.is_empty());
    assert_eq!(builder, by_macro, "builder vs `graph!`'s const fns");
    assert_eq!(by_macro, by_compiler(stderr), "const fns vs the `.stderr`");
}

const fn plain(node: usize) -> RouterUse {
    RouterUse {
        node,
        routed: false,
    }
}

const fn routed(node: usize) -> RouterUse {
    RouterUse { node, routed: true }
}

/// A `#[node]` that does nothing, with the given flags.
macro_rules! nodes {
    ($($(#[$flags:meta])* $name:ident;)*) => {
        $(
            $(#[$flags])*
            pub async fn $name() -> Value {
                json!({})
            }
        )*
    };
}

mod route_from_non_router {
    use super::*;
    nodes! { #[node(start)] first; #[node] check; #[node(end)] yes; #[node(end)] no; }

    #[test]
    fn agree() {
        // graph! { first -> check => [yes, no]; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<check>("check"),
                GraphNode::of::<yes>("yes"),
                GraphNode::of::<no>("no"),
            ],
            edges: [Edge::next(0, 1), Edge::next(1, 2), Edge::next(1, 3)],
            uses: [plain(0), routed(1)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(check)
            .add_node(yes)
            .add_node(no)
            .add_router([first], check, [yes, no]);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/route_from_non_router.stderr"),
        );
    }
}

mod no_start_node {
    use super::*;
    nodes! { #[node] first; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { first -> last; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<last>("last"),
            ],
            edges: [Edge::next(0, 1)],
            uses: [plain(0)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_edge(first, last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/no_start_node.stderr"),
        );
    }
}

mod several_start_nodes {
    use super::*;
    nodes! { #[node(start)] first; #[node(start)] second; #[node(start)] third; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { first -> last; second -> last; third -> last; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<last>("last"),
                GraphNode::of::<second>("second"),
                GraphNode::of::<third>("third"),
            ],
            edges: [Edge::next(0, 1), Edge::next(2, 1), Edge::next(3, 1)],
            uses: [plain(0), plain(2), plain(3)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_node(second)
            .add_node(third)
            .add_edge(first, last)
            .add_edge(second, last)
            .add_edge(third, last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/several_start_nodes.stderr"),
        );
    }
}

mod no_end_node {
    use super::*;
    nodes! { #[node(start)] first; #[node] left; #[node] right; }

    #[test]
    fn agree() {
        // graph! { first -> [left, right]; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<left>("left"),
                GraphNode::of::<right>("right"),
            ],
            edges: [Edge::next(0, 1), Edge::next(0, 2)],
            uses: [plain(0)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(left)
            .add_node(right)
            .add_parallel(first, [left, right]);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/no_end_node.stderr"),
        );
    }
}

mod no_end_node_among_routers {
    use super::*;
    nodes! { #[router(start)] ping; #[router] pong; }

    #[test]
    fn agree() {
        // graph! { ping => pong; pong => ping; }
        let wiring = Wiring {
            nodes: [GraphNode::of::<ping>("ping"), GraphNode::of::<pong>("pong")],
            edges: [Edge::next(0, 1), Edge::next(1, 0)],
            uses: [routed(0), routed(1)],
        };
        let builder = Graph::new()
            .add_node(ping)
            .add_node(pong)
            .add_router(Vec::<&str>::new(), ping, [pong])
            .add_router(Vec::<&str>::new(), pong, [ping]);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/no_end_node_among_routers.stderr"),
        );
    }
}

mod unreachable_node {
    use super::*;
    nodes! { #[node(start)] first; #[node(end)] last; #[node] orphan; }

    #[test]
    fn agree() {
        // graph! { first -> last; orphan -> last; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<last>("last"),
                GraphNode::of::<orphan>("orphan"),
            ],
            edges: [Edge::next(0, 1), Edge::next(2, 1)],
            uses: [plain(0), plain(2)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_node(orphan)
            .add_edge(first, last)
            .add_edge(orphan, last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/unreachable_node.stderr"),
        );
    }
}

mod cycle_in_strict_mode {
    use super::*;
    nodes! { #[node(start)] first; #[node] draft; #[node] review; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { strict: true, first -> draft -> review -> last; review -> draft; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<draft>("draft"),
                GraphNode::of::<review>("review"),
                GraphNode::of::<last>("last"),
            ],
            edges: [
                Edge::next(0, 1),
                Edge::next(1, 2),
                Edge::next(2, 3),
                Edge::next(2, 1),
            ],
            uses: [plain(0), plain(1), plain(2)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(draft)
            .add_node(review)
            .add_node(last)
            .add_edge(first, draft)
            .add_edge(draft, review)
            .add_edge(review, last)
            .add_edge(review, draft);
        super::agree(
            by_builder(builder, true),
            by_macro(&wiring, true),
            include_str!("ui/graph/fail/cycle_in_strict_mode.stderr"),
        );
    }
}

mod same_runtime_name {
    use super::*;
    nodes! { #[node(start)] first; #[node(end, name = "search")] web; #[node(end)] search; }

    #[test]
    fn agree() {
        // graph! { first -> [search, web]; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<search>("search"),
                GraphNode::of::<web>("web"),
            ],
            edges: [Edge::next(0, 1), Edge::next(0, 2)],
            uses: [plain(0)],
        };
        // By name, the builder cannot wire the second `search` apart.
        let builder = Graph::new()
            .add_node(first)
            .add_node(search)
            .add_node(web)
            .add_edge(first, search);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/same_runtime_name.stderr"),
        );
    }
}

mod duplicate_edge {
    use super::*;
    nodes! { #[node(start)] first; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { first -> last; first -> last; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<last>("last"),
            ],
            edges: [Edge::next(0, 1), Edge::next(0, 1)],
            uses: [plain(0)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_edge(first, last)
            .add_edge(first, last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/duplicate_edge.stderr"),
        );
    }
}

mod duplicate_route_join_and_branch {
    use super::*;
    nodes! {
        #[node(start)] first; #[router] choose; #[node] a; #[node] b;
        #[node(end)] last; #[node] log;
    }

    #[test]
    fn agree() {
        // graph! {
        //     first -> choose => [a, b]; choose => a;
        //     [a, b] -> join(last); [a] -> join(last);
        //     last ~> log; last ~> log;
        // }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<choose>("choose"),
                GraphNode::of::<a>("a"),
                GraphNode::of::<b>("b"),
                GraphNode::of::<last>("last"),
                GraphNode::of::<log>("log"),
            ],
            edges: [
                Edge::next(0, 1),
                Edge::next(1, 2),
                Edge::next(1, 3),
                Edge::next(1, 2),
                Edge::join(2, 4, 0),
                Edge::join(3, 4, 0),
                Edge::join(2, 4, 1),
                Edge::branch(4, 5),
                Edge::branch(4, 5),
            ],
            uses: [plain(0), routed(1)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(choose)
            .add_node(a)
            .add_node(b)
            .add_node(last)
            .add_node(log)
            .add_router([first], choose, [a, b])
            .add_router(Vec::<&str>::new(), choose, [a])
            .add_join([a, b], last)
            .add_join([a], last)
            .add_branch(last, log)
            .add_branch(last, log);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/duplicate_route_join_and_branch.stderr"),
        );
    }
}

mod join_of_one_node {
    use super::*;
    nodes! { #[node(start)] first; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { first -> join(last); }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<last>("last"),
            ],
            edges: [Edge::join(0, 1, 0)],
            uses: [plain(0)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_join([first], last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/join_of_one_node.stderr"),
        );
    }
}

mod join_without_fan_out {
    use super::*;
    nodes! { #[node(start)] first; #[node] middle; #[node] other; #[node(end)] last; }

    #[test]
    fn agree() {
        // graph! { first -> middle -> other; [middle, other] -> join(last); }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<middle>("middle"),
                GraphNode::of::<other>("other"),
                GraphNode::of::<last>("last"),
            ],
            edges: [
                Edge::next(0, 1),
                Edge::next(1, 2),
                Edge::join(1, 3, 0),
                Edge::join(2, 3, 0),
            ],
            uses: [plain(0), plain(1)],
        };
        let builder = Graph::new()
            .add_node(first)
            .add_node(middle)
            .add_node(other)
            .add_node(last)
            .add_edge(first, middle)
            .add_edge(middle, other)
            .add_join([middle, other], last);
        super::agree(
            by_builder(builder, false),
            by_macro(&wiring, false),
            include_str!("ui/graph/fail/join_without_fan_out.stderr"),
        );
    }
}

/// An unknown name: `graph!` leaves it to name resolution, which says
/// "cannot find type `middle` in this scope" at the name; the builder looks
/// it up and names the edge.
mod unknown_node {
    use super::*;
    nodes! { #[node(start)] first; #[node(end)] last; }

    #[test]
    fn both_name_it() {
        let builder = Graph::new()
            .add_node(first)
            .add_node(last)
            .add_edge(first, "middle")
            .add_edge("middle", last);
        assert_eq!(
            by_builder(builder, false),
            BTreeSet::from([
                "edge `first` -> `middle` names `middle`, which is not a node of this graph: add it with `add_node` first".to_owned(),
                "edge `middle` -> `last` names `middle`, which is not a node of this graph: add it with `add_node` first".to_owned(),
                // Without its edges through `middle`, `last` is cut off too.
                "`last` cannot be reached from the start node `first`: add an edge into it, or remove it from the graph".to_owned(),
            ])
        );
        let stderr = include_str!("ui/graph/fail/unknown_node.stderr");
        assert!(
            stderr.contains("cannot find type `middle` in this scope"),
            "{stderr}"
        );
    }
}

/// `->` from a router: a rule of `graph!`'s syntax only (the builder's
/// `add_edge` from a router declares one of its destinations).
mod plain_edge_from_router {
    use super::*;
    nodes! { #[node(start)] first; #[router] choose; #[node(end)] last; }

    #[test]
    fn the_const_fns_say_what_the_compiler_printed() {
        // graph! { first -> choose -> last; }
        let wiring = Wiring {
            nodes: [
                GraphNode::of::<first>("first"),
                GraphNode::of::<choose>("choose"),
                GraphNode::of::<last>("last"),
            ],
            edges: [Edge::next(0, 1), Edge::next(1, 2)],
            uses: [plain(0), plain(1)],
        };
        let stderr = include_str!("ui/graph/fail/plain_edge_from_router.stderr");
        assert_eq!(by_macro(&wiring, false), by_compiler(stderr));
        Graph::new()
            .add_node(first)
            .add_node(choose)
            .add_node(last)
            .add_edge(first, choose)
            .add_edge(choose, last)
            .compile()
            .expect("the builder's `add_edge` declares a destination");
    }
}
