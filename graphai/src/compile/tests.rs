//! `compile()`: the builder's side of the shared rules, and the defects found
//! in the old compile step.

use std::borrow::Cow;

use serde_json::json;

use crate::tests_support::{obj, test_node};
use crate::{CompileProblem, Graph, NodeDef};

fn count(ctx: &crate::Context<'_>, key: &str) -> i64 {
    ctx.get(key).and_then(|v| v.as_i64()).unwrap_or(0)
}

test_node!(
    fork {
        start: true,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({})))
);
test_node!(
    wa {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "na": count(&ctx, "na") + 1 })))
);
test_node!(
    wb {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "nb": count(&ctx, "nb") + 1 })))
);
test_node!(
    ra {
        start: false,
        end: false,
        router: true
    } | ctx
        | {
            Ok(obj(
                json!({ "choice": if count(&ctx, "na") >= 3 { "da" } else { "wa" } }),
            ))
        }
);
test_node!(
    rb {
        start: false,
        end: false,
        router: true
    } | ctx
        | {
            Ok(obj(
                json!({ "choice": if count(&ctx, "nb") >= 2 { "db" } else { "wb" } }),
            ))
        }
);
test_node!(
    da {
        start: false,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({ "da": true })))
);
test_node!(
    db {
        start: false,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({ "db": true })))
);
test_node!(
    fin {
        start: false,
        end: true,
        router: false
    } | ctx
        | {
            Ok(obj(
                json!({ "fin": [count(&ctx, "na"), count(&ctx, "nb")] }),
            ))
        }
);
test_node!(
    mid {
        start: false,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({})))
);
test_node!(
    link {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "n": count(&ctx, "n") + 1 })))
);

fn problems(graph: Graph) -> Vec<(CompileProblem, String)> {
    match graph.compile() {
        Ok(_) => panic!("compiled"),
        Err(err) => err
            .problems()
            .iter()
            .map(|p| (p.clone(), p.to_string()))
            .collect(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Defect 1's graph: `ra => [wa, da]; wa -> ra; rb => [wb, db]; wb -> rb;
/// fork -> [wa, wb]; [da, db] -> join(fin);`, its nodes added in `order`.
fn looping_routers(order: &[fn() -> NodeDef]) -> Graph {
    order
        .iter()
        .fold(Graph::new().max_steps(50), |graph, node| {
            graph.add_node(node())
        })
        .add_router([wa], ra, [wa, da])
        .add_router([wb], rb, [wb, db])
        .add_parallel(fork, [wa, wb])
        .add_join([da, db], fin)
}

#[test]
fn defect_1_a_join_after_router_loops_runs_whatever_order_nodes_were_added_in() {
    let routers_first: [fn() -> NodeDef; 8] = [ra, wa, da, rb, wb, db, fork, fin];
    let fork_first: [fn() -> NodeDef; 8] = [fork, ra, wa, da, rb, wb, db, fin];
    for order in [routers_first, fork_first] {
        let graph = looping_routers(&order).compile().expect("compiles");
        let result = runtime().block_on(graph.execute(json!({}))).expect("runs");
        assert_eq!(
            result.get("fin"),
            Some(&json!([3, 2])),
            "`fin` ran after both loops: {result:?}"
        );
        assert_eq!(
            (result.get("da"), result.get("db")),
            (Some(&json!(true)), Some(&json!(true)))
        );
    }
}

#[test]
fn defect_6_a_10_000_node_chain_compiles_and_runs_on_a_2_mib_stack() {
    const LEN: usize = 10_000;
    let run = || {
        let graph = (0..LEN).fold(Graph::new().max_steps(LEN + 1), |graph, i| {
            graph.add_node(NodeDef {
                name: Cow::Owned(format!("n{i}")),
                is_start: i == 0,
                is_end: i == LEN - 1,
                ..link()
            })
        });
        let graph = (1..LEN)
            .fold(graph, |graph, i| {
                graph.add_edge(format!("n{}", i - 1), format!("n{i}"))
            })
            .compile_strict()
            .expect("compiles");
        runtime()
            .block_on(graph.execute(json!({})))
            .map(|result| result["n"].clone())
    };
    assert_eq!(on_a_2_mib_stack(run).expect("runs"), json!(LEN));
}

/// Runs `run` on a thread with a 2 MiB stack (a tokio worker's default).
fn on_a_2_mib_stack<T: Send + 'static>(run: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

/// Laps of defect 6's router loop: a router and a step each, a million steps.
const LAPS: i64 = 500_000;

test_node!(
    lap_start {
        start: true,
        end: false,
        router: false
    } | _ctx
        | Ok(obj(json!({ "laps": 0 })))
);
test_node!(
    lap {
        start: false,
        end: false,
        router: true
    } | ctx
        | Ok(obj(
            json!({ "choice": if count(&ctx, "laps") < LAPS { "tick" } else { "lap_end" } })
        ))
);
test_node!(
    tick {
        start: false,
        end: false,
        router: false
    } | ctx
        | Ok(obj(json!({ "laps": count(&ctx, "laps") + 1 })))
);
test_node!(
    lap_end {
        start: false,
        end: true,
        router: false
    } | _ctx
        | Ok(obj(json!({ "done": true })))
);

#[test]
fn defect_6_a_1_000_000_step_router_loop_runs_on_a_2_mib_stack() {
    let steps = 2 * LAPS as usize + 3;
    let run = move || {
        let graph = Graph::new()
            .max_steps(steps + 1)
            .add_node(lap_start)
            .add_node(lap)
            .add_node(tick)
            .add_node(lap_end)
            .add_edge(lap_start, lap)
            .add_router([tick], lap, [tick, lap_end])
            .compile()
            .expect("compiles");
        runtime().block_on(graph.execute_detailed(json!({})))
    };
    let ran = on_a_2_mib_stack(run).expect("runs");
    assert_eq!(ran.state["laps"], json!(LAPS));
    assert_eq!(ran.state["done"], json!(true));
    assert_eq!(
        ran.steps, steps,
        "start, a router and a step per lap, the last router, the end"
    );
}

#[test]
fn defect_11_a_join_without_a_fan_out_before_it_does_not_compile() {
    let found = problems(
        Graph::new()
            .add_node(fork)
            .add_node(mid)
            .add_node(fin)
            .add_edge(fork, mid)
            .add_join([mid], fin),
    );
    assert_eq!(
        found,
        [(
            CompileProblem::JoinWithoutFork {
                sources: vec!["mid".into()],
                destination: "fin".into(),
            },
            "the join into `fin` waits for parallel branches, but no fan-out before it has a branch that ends at `mid`: fan out first, as in `x -> [mid, y]`, or replace the join with the edge `mid -> fin`".into()
        )]
    );
    // With a fan-out before it, the same join is fine.
    Graph::new()
        .add_node(fork)
        .add_node(mid)
        .add_node(da)
        .add_node(fin)
        .add_parallel(fork, [mid, da])
        .add_join([mid, da], fin)
        .compile()
        .expect("a fan-out leads into the join");
}

#[test]
fn an_edge_added_twice_is_an_error_naming_it() {
    let duplicate = |edge: &str| {
        (
            CompileProblem::DuplicateEdge { edge: edge.into() },
            format!("{edge} is declared twice: remove one"),
        )
    };
    assert_eq!(
        problems(
            Graph::new()
                .add_node(fork)
                .add_node(fin)
                .add_edge(fork, fin)
                .add_edge(fork, fin)
        ),
        [duplicate("the edge `fork -> fin`")]
    );
    assert_eq!(
        problems(
            Graph::new()
                .add_node(fork)
                .add_node(ra)
                .add_node(da)
                .add_node(fin)
                .add_router([fork], ra, [da, da])
                .add_edge(da, fin)
        ),
        [duplicate("the edge `ra => da`")]
    );
    assert_eq!(
        problems(
            Graph::new()
                .add_node(fork)
                .add_node(da)
                .add_node(db)
                .add_node(fin)
                .add_node(mid)
                .add_parallel(fork, [da, db])
                .add_join([da, db, da], fin)
                .add_branch(fork, mid)
                .add_branch(fork, crate::Branch::to(mid).detached())
        ),
        [
            duplicate("`da` joining into `fin`"),
            duplicate("the branch `fork ~> mid`"),
        ]
    );
}

#[test]
fn a_name_taken_twice_is_reported_once_and_resolves_to_the_first_node() {
    let found = problems(
        Graph::new()
            .add_node(fork)
            .add_node(fin)
            .add_node(fin)
            .add_edge(fork, fin),
    );
    assert_eq!(
        found.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        [CompileProblem::DuplicateNode("fin".into())],
        "not also unreachable: {found:?}"
    );
}
