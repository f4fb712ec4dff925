use super::*;

fn plan(tokens: &str) -> syn::Result<Plan> {
    syn::parse_str::<GraphInput>(tokens).and_then(check)
}

/// The edges, written out with node paths: `a -> b`, `a join0 d`, `a ~> b`.
fn edges(tokens: &str) -> Vec<String> {
    let plan = plan(tokens).unwrap_or_else(|err| panic!("`{tokens}`: {err}"));
    plan.edges
        .iter()
        .map(|edge| {
            let (from, to) = (&plan.nodes[edge.from].text, &plan.nodes[edge.to].text);
            match edge.kind {
                EdgeKind::Next => format!("{from} -> {to}"),
                EdgeKind::Join(j) => format!("{from} join{j} {to}"),
                EdgeKind::Branch => format!("{from} ~> {to}"),
            }
        })
        .collect()
}

fn errors(tokens: &str) -> Vec<String> {
    match plan(tokens) {
        Ok(_) => panic!("`{tokens}` was accepted"),
        Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn edges_come_regular_first_then_joins_then_branches_each_in_order() {
    assert_eq!(
        edges(
            "a -> r => [x, y]; [x, y] -> join(d); d -> [e, f]; g ~> log detached if |o, _| true; [e, f] -> g; log ~> h;"
        ),
        [
            "a -> r",
            "r -> x",
            "r -> y",
            "d -> e",
            "d -> f",
            "e -> g",
            "f -> g",
            "x join0 d",
            "y join0 d",
            "g ~> log",
            "log ~> h",
        ]
    );
}

#[test]
fn joins_are_numbered_in_order_with_their_tokens() {
    let plan = plan("s -> [a, b] -> join(d) -> [e, f]; [e, f] -> join(g); x -> join(y);").unwrap();
    let joins: Vec<(String, String)> = plan
        .edges
        .iter()
        .filter_map(|edge| match edge.kind {
            EdgeKind::Join(j) => Some((format!("{j}"), plan.nodes[edge.from].text.clone())),
            _ => None,
        })
        .collect();
    let expected = [("0", "a"), ("0", "b"), ("1", "e"), ("1", "f"), ("2", "x")];
    assert_eq!(joins, expected.map(|(j, n)| (j.to_owned(), n.to_owned())));
    assert_eq!(plan.joins.len(), 3, "one span per join");
}

#[test]
fn branches_keep_their_options() {
    let plan = plan("a -> b; a ~> log detached if |o, _| o.is_empty(); a ~> b;").unwrap();
    let branches: Vec<(usize, usize, bool, bool)> = plan
        .branches
        .iter()
        .map(|b| (b.source, b.destination, b.detached, b.condition.is_some()))
        .collect();
    assert_eq!(branches, [(0, 2, true, true), (0, 1, false, false)]);
}

#[test]
fn nodes_are_added_once_in_order_of_first_appearance() {
    let plan = plan("c -> tools::a; b; tools::a -> c; [b, d] -> join(e);").unwrap();
    let order: Vec<&str> = plan.nodes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(order, ["c", "tools::a", "b", "d", "e"]);
    assert!(plan.edges.len() == 4 && !plan.strict && plan.max_steps.is_none());
}

#[test]
fn router_uses_are_checked_once_per_node_and_arrow() {
    let plan = plan("a -> r => x; a -> y; r => y; [x, y] -> z;").unwrap();
    let uses: Vec<(&str, bool)> = plan
        .router_uses
        .iter()
        .map(|u| (plan.nodes[u.node].text.as_str(), u.routed))
        .collect();
    assert_eq!(
        uses,
        [("a", false), ("r", true), ("x", false), ("y", false)]
    );
}

#[test]
fn settings_are_read_and_strict_defaults_to_false() {
    let plan = plan("max_steps: 3, strict: true, initial_state: { \"a\": 1 }, a;").unwrap();
    assert!(plan.strict && plan.max_steps.is_some() && plan.initial_state.is_some());
    assert!(!super::tests::plan("strict: false, a;").unwrap().strict);
}

#[test]
fn reports_every_mistake_the_syntax_shows() {
    assert_eq!(
        errors(
            "a -> [b, c] -> [d]; e -> [f, f]; [g, h] => i; j ~> [k]; l -> m detached; max_steps: 1, max_steps: 2;"
        ),
        [
            "`max_steps` is set twice: keep one",
            "a list cannot lead to a list: fan out from one node (`a -> [b, c]`) or in to one (`[b, c] -> d`)",
            "`f` is twice in this list: remove one",
            "`=>` follows a single router, not a list: write `g => ..` and `h => ..`",
            "a branch edge `~>` connects one node to one node: write one `~>` per branch",
            "`detached` and `if` are options of a branch edge: `a ~> b detached if |output, state| ..`",
        ]
    );
}

#[test]
fn a_join_needs_its_branches_and_cannot_be_a_router_choice() {
    assert_eq!(
        errors("join(d);"),
        ["`join(d)` needs the branches it waits for: `[a, b] -> join(d)`"]
    );
    assert_eq!(
        errors("r => join(d);"),
        ["`=>` lists the nodes a router may choose; `join(..)` cannot be one of them"]
    );
}

#[test]
fn repeated_edges_are_left_to_the_shared_rules() {
    // The const check reports them with `Graph::compile`'s words.
    assert_eq!(edges("x -> y; x -> y;"), ["x -> y", "x -> y"]);
    assert_eq!(edges("a -> join(d);"), ["a join0 d"]);
}

#[test]
fn an_empty_graph_is_an_error() {
    assert_eq!(
        errors("max_steps: 3"),
        ["this graph has no nodes: wire some, as in `graph! { first -> second; }`"]
    );
}
