//! The graphs the drawing tests draw.

use graphai::{Branch, Callback, CompiledGraph, Graph, Value, graph, json, node, router};

/// The wiring of `examples/quickstart.rs`, with the same node names and kinds.
pub fn quickstart() -> Graph {
    #[node(start)]
    async fn receive() -> Value {
        json!({})
    }
    #[router]
    async fn agent() -> Value {
        json!({ "choice": "respond" })
    }
    #[node]
    async fn calculator() -> Value {
        json!({})
    }
    #[node]
    async fn lookup() -> Value {
        json!({})
    }
    #[node(end)]
    async fn respond() -> Value {
        json!({})
    }
    Graph::new()
        .add_node(receive)
        .add_node(agent)
        .add_node(calculator)
        .add_node(lookup)
        .add_node(respond)
        .add_edge(receive, agent)
        .add_router([calculator, lookup], agent, [calculator, lookup, respond])
}

/// Every kind of node (a streaming router, a streaming end node) and every
/// kind of edge, branches with and without conditions.
pub fn every_kind() -> Graph {
    #[node(start)]
    async fn plan() -> Value {
        json!({})
    }
    #[node]
    async fn search_web() -> Value {
        json!({})
    }
    #[node]
    async fn search_docs() -> Value {
        json!({})
    }
    #[node]
    async fn combine() -> Value {
        json!({})
    }
    #[router(stream)]
    async fn triage(callback: Callback) -> graphai::Result<Value> {
        callback.acall("thinking").await?;
        Ok(json!({ "choice": "write" }))
    }
    #[node(end, stream)]
    async fn write(callback: Callback) -> graphai::Result<Value> {
        callback.acall("done").await?;
        Ok(json!({}))
    }
    #[node(end)]
    async fn give_up() -> Value {
        json!({})
    }
    #[node]
    async fn record() -> Value {
        json!({})
    }
    #[node]
    async fn audit() -> Value {
        json!({})
    }
    #[node]
    async fn alert() -> Value {
        json!({})
    }
    #[node]
    async fn archive() -> Value {
        json!({})
    }
    Graph::new()
        .add_node(plan)
        .add_node(search_web)
        .add_node(search_docs)
        .add_node(combine)
        .add_node(triage)
        .add_node(write)
        .add_node(give_up)
        .add_node(record)
        .add_node(audit)
        .add_node(alert)
        .add_node(archive)
        .add_parallel(plan, [search_web, search_docs])
        .add_join([search_web, search_docs], combine)
        .add_router([combine], triage, [write, give_up])
        .add_branch(combine, record)
        .add_branch(
            combine,
            Branch::to(alert).when(|out, _| out.contains_key("error")),
        )
        .add_branch(plan, Branch::to(audit).when(|_, _| true).detached())
        .add_branch(plan, Branch::to(archive).detached())
}

mod hostile_names {
    use super::*;

    #[node(name = "say \"hi\" \\\"q\\\"", start)]
    pub async fn h0() -> Value {
        json!({})
    }
    #[node(name = "[brackets] {braces} (parens) <angles>")]
    pub async fn h1() -> Value {
        json!({})
    }
    #[node(name = "a|b; c#d #35; %% 100%")]
    pub async fn h2() -> Value {
        json!({})
    }
    #[node(name = "back\\slash \\N \\G \\n \\l \\\\")]
    pub async fn h3() -> Value {
        json!({})
    }
    #[node(name = "two\nlines")]
    pub async fn h4() -> Value {
        json!({})
    }
    #[router(name = "ünïcödé 😀 日本語 — ok?")]
    pub async fn h5() -> Value {
        json!({ "choice": "end" })
    }
    #[node(name = "style:#f00;")]
    pub async fn h6() -> Value {
        json!({})
    }
    #[node(name = "%%{init: {\"theme\":\"dark\"}}%%")]
    pub async fn h7() -> Value {
        json!({})
    }
    #[node(name = "<b>bold</b> &amp; & &#35;")]
    pub async fn h8() -> Value {
        json!({})
    }
    #[node(name = "end", end)]
    pub async fn h9() -> Value {
        json!({})
    }
    #[node(name = "`tick` *star* _under_")]
    pub async fn h10() -> Value {
        json!({})
    }
    #[node(name = "--> -.-> ==> |x|")]
    pub async fn h11() -> Value {
        json!({})
    }
    #[node(name = "tab\there\rcr \u{1} \u{7f}")]
    pub async fn h12() -> Value {
        json!({})
    }
    #[node(name = "n1")]
    pub async fn h13() -> Value {
        json!({})
    }
    #[node(name = "graph { } digraph ; \"", end)]
    pub async fn h14() -> Value {
        json!({})
    }
}

/// Node names that text formats trip on: quotes, brackets, pipes, `#`, `;`,
/// backslashes and DOT escapes, newlines, control characters, unicode,
/// Mermaid keywords, directives, entity codes and arrows, HTML, an id.
pub fn hostile() -> Graph {
    use hostile_names::*;
    let graph = Graph::new()
        .add_node(h0)
        .add_node(h1)
        .add_node(h2)
        .add_node(h3)
        .add_node(h4)
        .add_node(h5)
        .add_node(h6)
        .add_node(h7)
        .add_node(h8)
        .add_node(h9)
        .add_node(h10)
        .add_node(h11)
        .add_node(h12)
        .add_node(h13)
        .add_node(h14);
    graph
        .add_parallel(h0, [h1, h2])
        .add_join([h1, h2], h3)
        .add_edge(h3, h4)
        .add_router([h4], h5, [h6, h7, h9])
        .add_edge(h6, h13)
        .add_edge(h13, h14)
        .add_edge(h7, h14)
        .add_branch(h3, h8)
        .add_branch(h4, Branch::to(h10).when(|_, _| true).detached())
        .add_edge(h10, h11)
        .add_branch(h13, Branch::to(h12).when(|_, _| false))
}

/// One node that starts and ends the graph.
pub fn solo() -> Graph {
    #[node(start, end)]
    async fn only() -> Value {
        json!({})
    }
    Graph::new().add_node(only)
}

mod fork_nodes {
    use super::*;

    #[node(start)]
    pub async fn fork() -> Value {
        json!({})
    }
    #[node]
    pub async fn left() -> Value {
        json!({})
    }
    #[node]
    pub async fn right() -> Value {
        json!({})
    }
    #[node(end)]
    pub async fn joined() -> Value {
        json!({})
    }
}

/// A fan-out and join wired by `graph!`.
pub fn macro_fork() -> CompiledGraph {
    use fork_nodes::*;
    graph! { fork -> [left, right] -> join(joined); }
}

/// [`macro_fork`] wired by the builder.
pub fn builder_fork() -> Graph {
    use fork_nodes::*;
    Graph::new()
        .add_node(fork)
        .add_node(left)
        .add_node(right)
        .add_node(joined)
        .add_parallel(fork, [left, right])
        .add_join([left, right], joined)
}

mod small {
    use super::*;

    #[node(start)]
    pub async fn s() -> Value {
        json!({})
    }
    #[node]
    pub async fn x() -> Value {
        json!({})
    }
    #[node(end)]
    pub async fn y() -> Value {
        json!({})
    }
    #[node(end)]
    pub async fn z() -> Value {
        json!({})
    }
}

/// A graph of the nodes `s` (start), `x`, `y` (end) and `z` (end), added in
/// the order given, with no edges.
pub fn named(order: &[&str]) -> Graph {
    order.iter().fold(Graph::new(), |graph, name| match *name {
        "s" => graph.add_node(small::s),
        "x" => graph.add_node(small::x),
        "y" => graph.add_node(small::y),
        "z" => graph.add_node(small::z),
        other => panic!("no test node `{other}`"),
    })
}
