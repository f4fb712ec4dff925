use super::text::{Writer, render};
use super::*;

const fn node(name: &str, start: bool, end: bool, router: bool) -> RuleNode<'_> {
    RuleNode {
        name,
        label: name,
        start,
        end,
        router,
    }
}

const fn plain(name: &str) -> RuleNode<'_> {
    node(name, false, false, false)
}

/// Runs the rules over `nodes` and `edges` (routers used as such, start by flags).
fn analyse(
    nodes: &[RuleNode<'_>],
    edges: &[Edge],
    strict: bool,
    test: impl FnOnce(&Report<'_>, &Analysis),
) {
    let uses: Vec<RouterUse> = Vec::new();
    let tables = Tables {
        nodes,
        edges,
        uses: &uses,
        start: StartBy::Flags,
        strict,
    };
    let analysis = Analysis::of(&tables);
    test(&analysis.report(tables), &analysis);
}

fn join_of(analysis: &Analysis) -> Vec<Option<usize>> {
    analysis
        .join_of
        .iter()
        .map(|&j| (j != NONE).then_some(j))
        .collect()
}

/// Defect 1's graph, its nodes in `order`: two router loops `ra => [wa, da];
/// wa -> ra` and `rb => [wb, db]; wb -> rb`, `fork -> [wa, wb]`, and
/// `[da, db] -> join(fin)`. Returns the join of each node, by name.
fn looping_routers_into_a_join(order: [&'static str; 8]) -> Vec<(&'static str, Option<usize>)> {
    let nodes: Vec<RuleNode<'static>> = order
        .iter()
        .map(|&name| match name {
            "ra" | "rb" => node(name, false, false, true),
            "fork" => node(name, true, false, false),
            "fin" => node(name, false, true, false),
            _ => plain(name),
        })
        .collect();
    let at = |name: &str| order.iter().position(|&n| n == name).unwrap();
    let edges: Vec<Edge> = [
        ("ra", "wa"),
        ("ra", "da"),
        ("wa", "ra"),
        ("rb", "wb"),
        ("rb", "db"),
        ("wb", "rb"),
        ("fork", "wa"),
        ("fork", "wb"),
    ]
    .iter()
    .map(|&(a, b)| Edge::next(at(a), at(b)))
    .chain([
        Edge::join(at("da"), at("fin"), 0),
        Edge::join(at("db"), at("fin"), 0),
    ])
    .collect();
    let mut found = Vec::new();
    analyse(&nodes, &edges, false, |report, analysis| {
        assert!(!report.join_without_fork(0), "the fork feeds the join");
        found = order.iter().copied().zip(join_of(analysis)).collect();
    });
    found.sort();
    found
}

#[test]
fn defect_1_a_router_loop_does_not_hide_the_join_whatever_the_node_order() {
    let routers_first = ["ra", "wa", "da", "rb", "wb", "db", "fork", "fin"];
    let fork_first = ["fork", "ra", "wa", "da", "rb", "wb", "db", "fin"];
    let expected = vec![
        ("da", Some(0)),
        ("db", Some(0)),
        ("fin", None),
        ("fork", None),
        ("ra", Some(0)),
        ("rb", Some(0)),
        ("wa", Some(0)),
        ("wb", Some(0)),
    ];
    assert_eq!(looping_routers_into_a_join(routers_first), expected);
    assert_eq!(looping_routers_into_a_join(fork_first), expected);
}

#[test]
fn a_nested_fan_out_continues_after_its_own_join() {
    // s -> [a, b]; a -> [a1, a2] -> join(aj); [aj, b] -> join(end)
    let nodes = [
        node("s", true, false, false),
        plain("a"),
        plain("b"),
        plain("a1"),
        plain("a2"),
        plain("aj"),
        node("end", false, true, false),
    ];
    let edges = [
        Edge::next(0, 1),
        Edge::next(0, 2),
        Edge::next(1, 3),
        Edge::next(1, 4),
        Edge::join(3, 5, 0),
        Edge::join(4, 5, 0),
        Edge::join(5, 6, 1),
        Edge::join(2, 6, 1),
    ];
    analyse(&nodes, &edges, true, |report, analysis| {
        assert_eq!(
            join_of(analysis),
            [None, Some(1), Some(1), Some(0), Some(0), Some(1), None]
        );
        assert!(!report.join_without_fork(0) && !report.join_without_fork(1));
        assert_eq!(analysis.join_destination[..2], [5, 6]);
    });
}

#[test]
fn a_join_no_fan_out_leads_into_is_found() {
    // start -> mid; [mid] -> join(fin)
    let nodes = [
        node("start", true, false, false),
        plain("mid"),
        node("fin", false, true, false),
    ];
    let edges = [Edge::next(0, 1), Edge::join(1, 2, 0)];
    analyse(&nodes, &edges, false, |report, _| {
        assert!(report.join_without_fork(0));
        assert!(!report.join_without_fork(1), "there is no join 1");
    });
    // A router without destinations may fan out anywhere.
    let nodes = [
        node("start", true, false, true),
        plain("mid"),
        node("fin", false, true, false),
    ];
    analyse(&nodes, &[Edge::join(1, 2, 0)], false, |report, _| {
        assert!(!report.join_without_fork(0));
    });
}

#[test]
fn a_10_000_node_chain_is_checked_without_recursion() {
    let check = || {
        let names: Vec<String> = (0..10_000).map(|i| format!("n{i}")).collect();
        let nodes: Vec<RuleNode<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, name)| RuleNode {
                name,
                label: name,
                start: i == 0,
                end: i == names.len() - 1,
                router: false,
            })
            .collect();
        let edges: Vec<Edge> = (1..nodes.len()).map(|i| Edge::next(i - 1, i)).collect();
        let mut fine = false;
        analyse(&nodes, &edges, true, |report, _| {
            fine = (0..nodes.len())
                .all(|u| !report.unreachable(u) && report.name_taken_by(u).is_none())
                && (0..edges.len()).all(|k| !report.closes_cycle(k));
        });
        fine
    };
    let fine = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(check)
        .expect("spawn")
        .join()
        .expect("no stack overflow on a 64 KiB stack");
    assert!(fine);
}

#[test]
fn names_taken_twice_are_found_past_hash_collisions() {
    // 200 names in a table of 512 slots: collisions are certain to be probed past.
    let names: Vec<String> = (0..200).map(|i| format!("node{}", i % 150)).collect();
    let nodes: Vec<RuleNode<'_>> = names.iter().map(|name| plain(name)).collect();
    analyse(&nodes, &[], false, |report, _| {
        for u in 0..200 {
            let expected = (u >= 150).then(|| u - 150);
            assert_eq!(report.name_taken_by(u), expected, "node {u}");
        }
    });
}

#[test]
fn repeated_edges_are_told_apart_by_kind() {
    let nodes = [node("a", true, false, false), node("b", false, true, false)];
    let edges = [
        Edge::next(0, 1),
        Edge::branch(0, 1),
        Edge::join(0, 1, 0),
        Edge::next(0, 1),
        Edge::join(0, 1, 1),
        Edge::branch(0, 1),
        Edge::next(1, 0),
    ];
    analyse(&nodes, &edges, false, |report, _| {
        let repeated: Vec<bool> = (0..edges.len()).map(|k| report.repeated(k)).collect();
        assert_eq!(repeated, [false, false, false, true, true, true, false]);
    });
}

#[test]
fn back_edges_name_their_cycles() {
    // begin -> draft -> review -> finish; review -> draft; finish -> finish
    let nodes = [
        node("begin", true, false, false),
        plain("draft"),
        plain("review"),
        node("finish", false, true, false),
    ];
    let edges = [
        Edge::next(0, 1),
        Edge::next(1, 2),
        Edge::next(2, 3),
        Edge::next(2, 1),
        Edge::next(3, 3),
    ];
    analyse(&nodes, &edges, true, |report, _| {
        let closing: Vec<usize> = (0..edges.len())
            .filter(|&k| report.closes_cycle(k))
            .collect();
        assert_eq!(closing, [3, 4]);
        let mut path = [0; 4];
        let len = report.cycle_path(3, &mut path);
        assert_eq!(path[..len], [1, 2]);
        let len = report.cycle_path(4, &mut path);
        assert_eq!(path[..len], [3]);
    });
    analyse(&nodes, &edges, false, |report, _| {
        assert!(
            (0..edges.len()).all(|k| !report.closes_cycle(k)),
            "only under strict"
        );
    });
}

#[test]
fn stops_are_nodes_without_regular_or_join_edges_that_are_not_routers() {
    let nodes = [
        node("a", true, false, false),
        plain("b"),
        plain("c"),
        node("r", false, false, true),
        plain("log"),
    ];
    let edges = [
        Edge::next(0, 1),
        Edge::next(0, 3),
        Edge::join(1, 2, 0),
        Edge::branch(2, 4),
    ];
    analyse(&nodes, &edges, false, |report, _| {
        let stops: Vec<usize> = (0..nodes.len()).filter(|&u| report.stops_here(u)).collect();
        assert_eq!(stops, [2, 4]);
        assert!(report.no_end());
    });
}

#[test]
fn a_long_message_is_cut_at_a_char_boundary() {
    // Two ASCII bytes, then two-byte chars: the room (an odd number of bytes)
    // runs out in the middle of one.
    let mut buf = [0; 600];
    let mut w = Writer::new(&mut buf);
    w.push("xx");
    for _ in 0..400 {
        w.push("é");
    }
    let len = w.finish();
    let text = std::str::from_utf8(&buf[..len]).expect("utf-8");
    assert_eq!(text.len(), 599, "{text}");
    assert!(text.ends_with("é..."), "{text}");
}

#[test]
fn render_fits_all_of_a_long_message() {
    let names: Vec<String> = (0..500).map(|i| format!("node_{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let text = render(|w| text::unreachable(w, "start", &names));
    assert!(text.starts_with("`node_0`, `node_1`"), "{text}");
    assert!(text.contains("`node_499` cannot be reached"), "{text}");
    assert_eq!(render(|w| w.code("a")), "`a`");
}
