//! GraphAI's graph behaviour, rewritten in Rust: chains, names, merging,
//! routers, max_steps, and the messages of every compile check.

use graphai::{CompileProblem, Graph, GraphError, Value, json, node, router};

fn input(value: Value) -> Value {
    value
}

mod linear {
    use super::*;

    #[node(start)]
    pub async fn node_start(input: String) -> Value {
        json!({ "input": format!("{input}D") })
    }

    #[node]
    pub async fn node_a(input: String) -> Value {
        json!({ "input": format!("{input}E") })
    }

    #[node]
    pub async fn node_b(input: String) -> Value {
        json!({ "input": format!("{input}F") })
    }

    #[node(end)]
    pub async fn node_end(input: String) -> Value {
        json!({ "input": format!("{input}G") })
    }
}

#[tokio::test]
async fn a_linear_chain_threads_its_state_through_every_node() {
    use linear::*;
    let graph = Graph::new()
        .add_node(node_start)
        .add_node(node_a)
        .add_node(node_b)
        .add_node(node_end)
        .add_edge(node_start, node_a)
        .add_edge(node_a, node_b)
        .add_edge(node_b, node_end)
        .compile()
        .expect("compiles");
    let result = graph
        .execute(input(json!({ "input": "ABC" })))
        .await
        .expect("runs");
    assert_eq!(Value::Object(result), json!({ "input": "ABCDEFG" }));
}

#[tokio::test]
async fn edges_can_name_nodes_by_string() {
    use linear::*;
    let graph = Graph::new()
        .add_node(node_start)
        .add_node(node_a)
        .add_node(node_end)
        .add_edge("node_start", "node_a")
        .add_edge(String::from("node_a"), node_end)
        .compile()
        .expect("compiles");
    let result = graph.execute(json!({ "input": "" })).await.expect("runs");
    assert_eq!(result["input"], "DEG");
}

mod renamed {
    use super::*;

    #[node(start, name = "start")]
    pub async fn start_node(input: String) -> Value {
        json!({ "output": format!("Started with: {input}") })
    }

    #[node(name = "process")]
    pub async fn process_node(output: String) -> Value {
        json!({ "result": format!("Processed: {output}") })
    }

    #[node(end, name = "end")]
    pub async fn end_node(result: String) -> Value {
        json!({ "final": format!("Completed: {result}") })
    }
}

#[tokio::test]
async fn name_overrides_the_function_name_everywhere() {
    use renamed::*;
    let graph = Graph::new()
        .add_node(start_node)
        .add_node(process_node)
        .add_node(end_node)
        .add_edge("start", "process")
        .add_edge(process_node, "end")
        .compile()
        .expect("compiles");
    assert_eq!(
        graph.node_names().collect::<Vec<_>>(),
        ["start", "process", "end"]
    );
    let result = graph
        .execute(json!({ "input": "test" }))
        .await
        .expect("runs");
    assert_eq!(result["final"], "Completed: Processed: Started with: test");
    // The function's name is not a node name.
    let err = Graph::new()
        .add_node(start_node)
        .add_node(end_node)
        .add_edge("start_node", "end")
        .compile()
        .expect_err("start_node is not a name in the graph");
    assert!(
        err.to_string()
            .contains("names `start_node`, which is not a node"),
        "{err}"
    );
}

mod merging {
    use super::*;

    #[node(start)]
    pub async fn writes_a(a: i64) -> Value {
        json!({ "a": a + 1, "from_start": true })
    }

    #[node]
    pub async fn overwrites_a(a: i64) -> Value {
        json!({ "a": a * 100 })
    }

    #[node(end)]
    pub async fn reads_all(a: i64, untouched: String, from_start: bool) -> Value {
        json!({ "summary": format!("{a} {untouched} {from_start}") })
    }
}

#[tokio::test]
async fn outputs_merge_into_the_state_and_later_keys_win() {
    use merging::*;
    let graph = Graph::new()
        .add_node(writes_a)
        .add_node(overwrites_a)
        .add_node(reads_all)
        .add_edge(writes_a, overwrites_a)
        .add_edge(overwrites_a, reads_all)
        .compile()
        .expect("compiles");
    let result = graph
        .execute(json!({ "a": 1, "untouched": "kept" }))
        .await
        .expect("runs");
    assert_eq!(
        Value::Object(result),
        json!({ "a": 200, "untouched": "kept", "from_start": true, "summary": "200 kept true" })
    );
}

#[tokio::test]
async fn nothing_leaks_from_one_run_into_the_next() {
    use merging::*;
    let graph = Graph::new()
        .add_node(writes_a)
        .add_node(overwrites_a)
        .add_node(reads_all)
        .add_edge(writes_a, overwrites_a)
        .add_edge(overwrites_a, reads_all)
        .compile()
        .expect("compiles");
    let first = graph
        .execute(json!({ "a": 1, "untouched": "one", "extra": 1 }))
        .await
        .expect("runs");
    assert_eq!(first["extra"], 1);
    let second = graph
        .execute(json!({ "a": 2, "untouched": "two" }))
        .await
        .expect("runs");
    assert!(!second.contains_key("extra"), "{second:?}");
    assert_eq!(second["summary"], "300 two true");
}

#[tokio::test]
async fn the_input_must_be_an_object() {
    use linear::*;
    let graph = Graph::new()
        .add_node(node_start)
        .add_node(node_end)
        .add_edge(node_start, node_end)
        .compile()
        .expect("compiles");
    let err = graph
        .execute(json!("just text"))
        .await
        .expect_err("not an object");
    assert_eq!(
        err.to_string(),
        "the graph input must be a JSON object, got a string: pass `json!({ \"key\": value })`"
    );
}

mod quickstart {
    use super::*;

    #[node(start)]
    pub async fn node_start(input: String) -> Value {
        json!({ "input": input })
    }

    /// Picks where the query goes.
    #[router]
    pub async fn node_router(input: String) -> Value {
        let choice = if input.contains("search") {
            "search"
        } else {
            "memory"
        };
        json!({ "choice": choice, "query": input })
    }

    #[node]
    pub async fn search(query: String) -> Value {
        json!({ "input": format!("search result for {query}") })
    }

    #[node]
    pub async fn memory(query: String) -> Value {
        json!({ "input": format!("memory result for {query}") })
    }

    #[node(end)]
    pub async fn node_end(input: String) -> Value {
        json!({ "output": input })
    }
}

fn quickstart_graph() -> Graph {
    use quickstart::*;
    Graph::new()
        .add_node(node_start)
        .add_node(node_router)
        .add_node(search)
        .add_node(memory)
        .add_node(node_end)
        .add_router([node_start], node_router, [search, memory])
        .add_edge(search, node_end)
        .add_edge(memory, node_end)
}

#[tokio::test]
async fn the_router_quickstart_takes_the_branch_the_router_picks() {
    let graph = quickstart_graph().compile().expect("compiles");
    let searched = graph
        .execute(json!({ "input": "please search the web" }))
        .await
        .expect("runs");
    assert_eq!(
        searched["output"],
        "search result for please search the web"
    );
    assert!(
        !searched.contains_key("choice"),
        "choice leaked: {searched:?}"
    );
    let remembered = graph
        .execute(json!({ "input": "what did I say" }))
        .await
        .expect("runs");
    assert_eq!(remembered["output"], "memory result for what did I say");
}

mod bad_router {
    use super::*;

    #[node(start)]
    pub async fn begin() -> Value {
        json!({})
    }

    #[router]
    pub async fn wanders(to: Value) -> Value {
        json!({ "choice": to })
    }

    #[router]
    pub async fn silent() -> Value {
        json!({ "nothing": true })
    }

    #[node(end)]
    pub async fn one() -> Value {
        json!({ "at": "one" })
    }

    #[node(end)]
    pub async fn two() -> Value {
        json!({ "at": "two" })
    }
}

#[tokio::test]
async fn a_router_may_only_choose_its_declared_destinations() {
    use bad_router::*;
    let err = Graph::new()
        .add_node(begin)
        .add_node(wanders)
        .add_node(one)
        .add_node(two)
        .add_edge(begin, wanders)
        .add_edge(wanders, one)
        .compile()
        .expect_err("a router with declared destinations reaches only those");
    assert!(
        err.to_string()
            .contains("`two` cannot be reached from the start node `begin`"),
        "{err}"
    );
    let graph = Graph::new()
        .add_node(begin)
        .add_node(wanders)
        .add_node(one)
        .add_node(two)
        .add_router([begin], wanders, [one, two])
        .compile()
        .expect("compiles");
    let ok = graph
        .execute(json!({ "to": "two" }))
        .await
        .expect("two is declared");
    assert_eq!(ok["at"], "two");
    let err = graph
        .execute(json!({ "to": "nowhere" }))
        .await
        .expect_err("undeclared");
    assert_eq!(
        err.to_string(),
        "router `wanders` chose `nowhere`, which is not one of its destinations: `one`, `two`"
    );
    let err = graph
        .execute(json!({ "to": 3 }))
        .await
        .expect_err("not a name");
    assert_eq!(
        err.to_string(),
        "router `wanders` returned an invalid `choice`: expected a node name, got 3"
    );
}

#[tokio::test]
async fn a_router_without_destinations_may_route_to_any_node() {
    use bad_router::*;
    let graph = Graph::new()
        .add_node(begin)
        .add_node(wanders)
        .add_node(one)
        .add_node(two)
        .add_edge(begin, wanders)
        .compile()
        .expect("a router with no destinations reaches every node");
    let result = graph.execute(json!({ "to": "two" })).await.expect("runs");
    assert_eq!(result["at"], "two");
    let err = graph
        .execute(json!({ "to": "three" }))
        .await
        .expect_err("no such node");
    assert!(
        matches!(&err, GraphError::UnknownChoice { router, allowed, .. }
        if router == "wanders" && allowed.len() == 4),
        "{err}"
    );
}

#[tokio::test]
async fn a_router_that_chooses_nothing_is_an_error_naming_it() {
    use bad_router::*;
    let graph = Graph::new()
        .add_node(begin)
        .add_node(silent)
        .add_node(one)
        .add_router([begin], silent, [one])
        .compile()
        .expect("compiles");
    let err = graph.execute(json!({})).await.expect_err("no choice");
    assert_eq!(
        err.to_string(),
        "router `silent` returned no `choice` (a node name) or `choices` (a list of node names) in its output"
    );
}

mod looping {
    use super::*;

    #[node(start)]
    pub async fn start() -> Value {
        json!({ "x": 0 })
    }

    #[router]
    pub async fn llm(x: i64, stop_after: i64) -> Value {
        json!({ "choice": if x >= stop_after { "end" } else { "tool" } })
    }

    #[node]
    pub async fn tool(x: i64) -> Value {
        json!({ "x": x + 1 })
    }

    #[node(end)]
    pub async fn end(x: i64) -> Value {
        json!({ "x": x })
    }

    pub fn graph(max_steps: usize) -> graphai::CompiledGraph {
        Graph::new()
            .max_steps(max_steps)
            .add_node(start)
            .add_node(llm)
            .add_node(tool)
            .add_node(end)
            .add_edge(start, llm)
            .add_router([tool], llm, [tool, end])
            .compile()
            .expect("compiles")
    }
}

#[tokio::test]
async fn max_steps_counts_like_graphai() {
    // start, llm, tool, llm, tool, llm, end: 7 nodes fit in max_steps = 7.
    let result = looping::graph(7)
        .execute(json!({ "stop_after": 2 }))
        .await
        .expect("fits");
    assert_eq!(result["x"], 2);
    let err = looping::graph(6)
        .execute(json!({ "stop_after": 2 }))
        .await
        .expect_err("one step too many");
    assert!(
        matches!(
            &err,
            GraphError::MaxSteps {
                limit: 6,
                node,
                branch: None
            } if node == "llm"
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("raise the limit with `Graph::max_steps`"),
        "{err}"
    );
}

#[tokio::test]
async fn the_default_limit_is_ten_steps() {
    let err = Graph::new()
        .add_node(looping::start)
        .add_node(looping::llm)
        .add_node(looping::tool)
        .add_node(looping::end)
        .add_edge(looping::start, looping::llm)
        .add_router([looping::tool], looping::llm, [looping::tool, looping::end])
        .compile()
        .expect("compiles")
        .execute(json!({ "stop_after": 1000 }))
        .await
        .expect_err("loops forever");
    assert_eq!(
        err.to_string(),
        "max steps reached at node `llm`: a path of the run reached the limit of 10 steps without reaching an end node; raise the limit with `Graph::max_steps` (or `max_steps: N` in `graph!`) if the graph really needs more"
    );
}

mod dead_end {
    use super::*;

    #[node(start)]
    pub async fn begin() -> Value {
        json!({})
    }

    #[node]
    pub async fn stuck() -> Value {
        json!({})
    }

    #[node(end)]
    pub async fn finish() -> Value {
        json!({})
    }
}

#[tokio::test]
async fn a_node_with_nowhere_to_go_is_an_error_naming_it() {
    use dead_end::*;
    let graph = Graph::new()
        .add_node(begin)
        .add_node(stuck)
        .add_node(finish)
        .add_edge(begin, stuck)
        .add_edge(begin, finish)
        .compile()
        .expect("compiles");
    let err = graph
        .execute(json!({}))
        .await
        .expect_err("stuck has no edge");
    assert_eq!(
        err.to_string(),
        "node `stuck` is not an end node and has no outgoing edge: add an edge from it, or mark it `#[node(end)]`"
    );
}

mod compile_checks {
    use super::*;

    #[node(start)]
    pub async fn first() -> Value {
        json!({})
    }

    #[node(start)]
    pub async fn second_start() -> Value {
        json!({})
    }

    #[node]
    pub async fn middle() -> Value {
        json!({})
    }

    #[node]
    pub async fn island() -> Value {
        json!({})
    }

    #[node(end)]
    pub async fn last() -> Value {
        json!({})
    }
}

fn problems(graph: Graph) -> Vec<String> {
    graph
        .compile()
        .expect_err("must not compile")
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn an_empty_graph_does_not_compile() {
    assert_eq!(
        problems(Graph::new()),
        ["the graph has no nodes: add some with `add_node`"]
    );
}

#[test]
fn every_compile_problem_is_reported_at_once() {
    use compile_checks::*;
    let found = problems(
        Graph::new()
            .add_node(first)
            .add_node(first)
            .add_node(second_start)
            .add_node(middle)
            .add_edge(first, middle)
            .add_edge(middle, "ghost")
            .add_router([first], middle, [second_start]),
    );
    assert_eq!(
        found,
        [
            "edge `middle` -> `ghost` names `ghost`, which is not a node of this graph: add it with `add_node` first",
            "two nodes are named `first`: if they are one node, use it once, by one path; if not, rename one with `#[node(name = \"..\")]`",
            // `add_router([first], middle, ..)` adds `first -> middle` again.
            "the edge `first -> middle` is declared twice: remove one",
            "`middle` is wired as a router (`=>`, `add_router`) but is not one: declare it with `#[router]`, or wire it with `->` (`add_edge`)",
            "several start nodes: `first`, `second_start`; a graph has exactly one, keep `start` on one of them",
            "this graph has no end node: runs stop at `second_start`, which has no outgoing edge; mark it `#[node(end)]` (with the builder, `set_end_node` also works)",
        ]
    );
}

#[test]
fn missing_start_and_unreachable_nodes_are_named() {
    use compile_checks::*;
    assert_eq!(
        problems(
            Graph::new()
                .add_node(middle)
                .add_node(last)
                .add_edge(middle, last)
        ),
        [
            "this graph has no start node: mark the node where runs begin `#[node(start)]` (with the builder, `set_start_node` also works)"
        ]
    );
    let err = Graph::new()
        .add_node(first)
        .add_node(middle)
        .add_node(island)
        .add_node(last)
        .add_edge(first, last)
        .compile()
        .expect_err("two nodes are unreachable");
    assert_eq!(
        err.problems(),
        [CompileProblem::Unreachable {
            start: "first".into(),
            nodes: vec!["middle".into(), "island".into()],
        }]
    );
    assert_eq!(
        err.to_string(),
        "graph does not compile: `middle`, `island` cannot be reached from the start node `first`: add edges into them, or remove them from the graph"
    );
}

#[test]
fn set_start_node_and_set_end_node_override_the_flags() {
    use compile_checks::*;
    Graph::new()
        .add_node(middle)
        .add_node(island)
        .set_start_node(middle)
        .set_end_node(island)
        .add_edge(middle, island)
        .compile()
        .expect("start and end set explicitly");
    Graph::new()
        .add_node(first)
        .add_node(second_start)
        .add_node(last)
        .set_start_node(second_start)
        .add_edge(second_start, first)
        .add_edge(first, last)
        .compile()
        .expect("set_start_node settles several start flags");
}

#[test]
fn strict_compile_rejects_cycles_and_names_them() {
    use compile_checks::*;
    let cyclic = || {
        Graph::new()
            .add_node(first)
            .add_node(middle)
            .add_node(island)
            .add_node(last)
            .add_edge(first, middle)
            .add_edge(middle, island)
            .add_edge(island, middle)
            .add_edge(island, last)
    };
    cyclic().compile().expect("cycles are fine without strict");
    let err = cyclic()
        .compile_strict()
        .expect_err("strict rejects the cycle");
    assert_eq!(
        err.to_string(),
        "graph does not compile: cycle `middle -> island -> middle`: strict mode (`strict: true`, `compile_strict`) forbids cycles; remove an edge of the cycle, or drop strict mode"
    );
}

#[test]
fn initial_state_must_be_an_object() {
    use compile_checks::*;
    let found = problems(
        Graph::new()
            .initial_state(json!([1, 2]))
            .add_node(first)
            .add_node(last)
            .add_edge(first, last),
    );
    assert_eq!(
        found,
        ["`initial_state` must be a JSON object, got an array: pass `json!({ \"key\": value })`"]
    );
}
