//! [`GraphInput`] -> [`Plan`]: the rules the syntax shows (how arrows and
//! lists combine, duplicates, settings), and the builder calls and edges that
//! `expand` writes out. What needs the node types (flags, names) is checked by
//! the const items `expand` emits.

use std::collections::HashSet;

use proc_macro2::{Group, Ident, Span};
use syn::ext::IdentExt;
use syn::{Expr, Path};

use crate::errors::Errors;

use super::parse::{Arrow, Chain, Element, GraphInput, Link, NodePath, Setting};

/// A checked graph: what `expand` turns into builder calls and const checks.
pub(crate) struct Plan {
    /// Each node once, in order of first appearance.
    pub(crate) nodes: Vec<PlannedNode>,
    /// Builder calls, in the order they were written.
    pub(crate) calls: Vec<Call>,
    /// Every edge, in the order the builder adds them.
    pub(crate) edges: Vec<Edge>,
    /// Nodes used before `=>` (must be routers) or `->` (must not be), at their first such use.
    pub(crate) router_uses: Vec<RouterUse>,
    pub(crate) max_steps: Option<Expr>,
    pub(crate) initial_state: Option<Group>,
    pub(crate) strict: bool,
}

pub(crate) struct PlannedNode {
    pub(crate) path: Path,
    pub(crate) text: String,
    /// The node's field in the expansion's struct of nodes.
    pub(crate) field: Ident,
    /// First and last token of its first appearance.
    pub(crate) spans: (Span, Span),
}

pub(crate) enum Call {
    Edge(usize, usize),
    Parallel(usize, Vec<usize>),
    Router {
        sources: Vec<usize>,
        router: usize,
        destinations: Vec<usize>,
    },
    Join(Vec<usize>, usize),
    Branch {
        source: usize,
        destination: usize,
        detached: bool,
        condition: Option<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum EdgeKind {
    /// `->` and `=>`: the runtime's successors.
    Next,
    Join,
    Branch,
}

pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    /// The arrow's first and last token.
    pub(crate) arrow: (Span, Span),
}

pub(crate) struct RouterUse {
    pub(crate) node: usize,
    /// `true` for `=>`.
    pub(crate) routed: bool,
    pub(crate) spans: (Span, Span),
}

/// An error underlining from the first to the last token of `spans`.
fn error_at(spans: Spans, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new_spanned(Between(spans), message)
}

/// Stands for the tokens from `.0` to `.1`, for `syn::Error::new_spanned`.
struct Between(Spans);

impl quote::ToTokens for Between {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        let (first, last) = self.0;
        tokens.extend([punct(first), punct(last)]);
    }
}

fn punct(span: Span) -> proc_macro2::TokenTree {
    let mut punct = proc_macro2::Punct::new('.', proc_macro2::Spacing::Alone);
    punct.set_span(span);
    punct.into()
}

type Spans = (Span, Span);

/// An element of a chain, resolved to node indices with the tokens that name them.
enum Side {
    One(usize, Spans),
    /// The list's brackets, then each node once.
    List(Spans, Vec<(usize, Spans)>),
    /// `join(d)`: `d` on the right of `->`, plain `d` on the left of an arrow.
    Join(usize, Spans),
}

impl Side {
    fn uses(&self) -> Vec<(usize, Spans)> {
        match self {
            Side::One(node, spans) | Side::Join(node, spans) => vec![(*node, *spans)],
            Side::List(_, nodes) => nodes.clone(),
        }
    }

    fn nodes(&self) -> Vec<usize> {
        self.uses().into_iter().map(|(node, _)| node).collect()
    }

    /// The single node on the left of an arrow, if there is one.
    fn single(&self) -> Option<usize> {
        match self {
            Side::One(node, _) | Side::Join(node, _) => Some(*node),
            Side::List(..) => None,
        }
    }

    fn spans(&self) -> Spans {
        match self {
            Side::One(_, spans) | Side::Join(_, spans) | Side::List(spans, _) => *spans,
        }
    }
}

/// How a link's builder call relates to its neighbour in `a -> r => [x, y]`,
/// which is one `add_router([a], r, [x, y])`.
#[derive(Clone, Copy)]
enum Role<'a> {
    Alone,
    /// The `a -> r` part: its edges go into the router's call.
    IntoRouter,
    /// The `r => [x, y]` part, with the sources of `a -> r`.
    FromSources(&'a Side),
}

#[derive(Default)]
struct Checker {
    nodes: Vec<PlannedNode>,
    calls: Vec<Call>,
    edges: Vec<Edge>,
    router_uses: Vec<RouterUse>,
    /// `(node, routed)` pairs already in `router_uses`.
    used: HashSet<(usize, bool)>,
    declared: HashSet<(usize, usize, EdgeKind)>,
    errors: Errors,
}

pub(crate) fn check(input: GraphInput) -> syn::Result<Plan> {
    let mut checker = Checker::default();
    let (max_steps, strict, initial_state) = checker.settings(input.settings);
    for chain in input.chains {
        checker.chain(chain);
    }
    if checker.nodes.is_empty() {
        checker.errors.push(syn::Error::new(
            Span::call_site(),
            "this graph has no nodes: wire some, as in `graph! { first -> second; }`",
        ));
    }
    checker.errors.finish()?;
    name_fields(&mut checker.nodes);
    Ok(Plan {
        nodes: checker.nodes,
        calls: checker.calls,
        edges: checker.edges,
        router_uses: checker.router_uses,
        max_steps,
        initial_state,
        strict,
    })
}

impl Checker {
    fn settings(&mut self, settings: Vec<Setting>) -> (Option<Expr>, bool, Option<Group>) {
        let (mut max_steps, mut strict, mut initial_state) = (None, false, None);
        let mut seen = HashSet::new();
        for setting in settings {
            let key = setting.key();
            if !seen.insert(key.to_string()) {
                self.errors.push(syn::Error::new(
                    key.span(),
                    format!("`{key}` is set twice: keep one"),
                ));
                continue;
            }
            match setting {
                Setting::MaxSteps { value, .. } => max_steps = Some(value),
                Setting::Strict { value, .. } => strict = value.value,
                Setting::InitialState { value, .. } => initial_state = Some(value),
            }
        }
        (max_steps, strict, initial_state)
    }

    /// The index of `node`, adding it on first appearance.
    fn node(&mut self, node: &NodePath) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n.text == node.text) {
            return i;
        }
        self.nodes.push(PlannedNode {
            path: node.path.clone(),
            text: node.text.clone(),
            field: node.last().clone(),
            spans: node.spans(),
        });
        self.nodes.len() - 1
    }

    fn side(&mut self, element: &Element) -> Side {
        match element {
            Element::Node(node) => Side::One(self.node(node), node.spans()),
            Element::Join { node, spans } => Side::Join(self.node(node), *spans),
            Element::List { span, nodes } => {
                let mut uses: Vec<(usize, Spans)> = Vec::with_capacity(nodes.len());
                for node in nodes {
                    let i = self.node(node);
                    if uses.iter().any(|&(seen, _)| seen == i) {
                        self.errors.push(error_at(
                            node.spans(),
                            format!("`{}` is twice in this list: remove one", node.text),
                        ));
                    } else {
                        uses.push((i, node.spans()));
                    }
                }
                Side::List((*span, *span), uses)
            }
        }
    }

    fn chain(&mut self, chain: Chain) {
        let mut left = self.side(&chain.first);
        if let (Element::Join { spans, node }, true) = (&chain.first, chain.links.is_empty()) {
            self.errors.push(error_at(
                *spans,
                format!(
                    "`join({0})` needs the branches it waits for: `[a, b] -> join({0})`",
                    node.text
                ),
            ));
        }
        let mut links = chain.links.into_iter().peekable();
        while let Some(link) = links.next() {
            let right = self.side(&link.target);
            let into_router = matches!(
                (&link.arrow, &link.target, links.peek()),
                (
                    Arrow::Next(_),
                    Element::Node(_),
                    Some(Link {
                        arrow: Arrow::Route(_),
                        ..
                    })
                )
            );
            match links.next_if(|_| into_router) {
                Some(route) => {
                    let destinations = self.side(&route.target);
                    self.link(&left, &link, &right, Role::IntoRouter);
                    self.link(&right, &route, &destinations, Role::FromSources(&left));
                    left = destinations;
                }
                None => {
                    self.link(&left, &link, &right, Role::Alone);
                    left = right;
                }
            }
        }
    }

    /// One arrow: `left arrow right`.
    fn link(&mut self, left: &Side, link: &Link, right: &Side, role: Role<'_>) {
        let arrow = link.arrow.spans();
        if let (Some(span), false) = (link.options.span, matches!(link.arrow, Arrow::Branch(_))) {
            self.errors.push(syn::Error::new(
                span,
                "`detached` and `if` are options of a branch edge: `a ~> b detached if |output, state| ..`",
            ));
        }
        match link.arrow {
            Arrow::Next(_) => self.next(left, link, right, role),
            Arrow::Route(_) => {
                let Some(router) = left.single() else {
                    let each: Vec<String> = left
                        .nodes()
                        .iter()
                        .map(|&node| format!("`{} => ..`", self.nodes[node].text))
                        .collect();
                    self.errors.push(error_at(
                        left.spans(),
                        format!(
                            "`=>` follows a single router, not a list: write {}",
                            each.join(" and ")
                        ),
                    ));
                    return;
                };
                self.router_use(router, true, left.spans());
                if let Side::Join(..) = right {
                    self.errors.push(error_at(
                        right.spans(),
                        "`=>` lists the nodes a router may choose; `join(..)` cannot be one of them",
                    ));
                    return;
                }
                let destinations = right.nodes();
                for &destination in &destinations {
                    self.edge(router, destination, EdgeKind::Next, link);
                }
                let sources = match role {
                    Role::FromSources(sources) => sources.nodes(),
                    Role::Alone | Role::IntoRouter => Vec::new(),
                };
                self.calls.push(Call::Router {
                    sources,
                    router,
                    destinations,
                });
            }
            Arrow::Branch(_) => {
                let (Some(source), Side::One(destination, _)) = (left.single(), right) else {
                    self.errors.push(error_at(
                        arrow,
                        "a branch edge `~>` connects one node to one node: write one `~>` per branch",
                    ));
                    return;
                };
                self.edge(source, *destination, EdgeKind::Branch, link);
                self.calls.push(Call::Branch {
                    source,
                    destination: *destination,
                    detached: link.options.detached,
                    condition: link.options.condition.clone(),
                });
            }
        }
    }

    /// `left -> right`.
    fn next(&mut self, left: &Side, link: &Link, right: &Side, role: Role<'_>) {
        for (node, spans) in left.uses() {
            self.router_use(node, false, spans);
        }
        match (left, right) {
            (Side::List(..), Side::List(..)) => self.errors.push(error_at(
                link.arrow.spans(),
                "a list cannot lead to a list: fan out from one node (`a -> [b, c]`) or in to one (`[b, c] -> d`)",
            )),
            (Side::List(spans, sources), Side::Join(destination, _)) => {
                if let [(source, _)] = sources[..] {
                    self.errors.push(error_at(*spans, lone_join(&self.nodes, source, *destination)));
                }
                let sources = left.nodes();
                for &source in &sources {
                    self.edge(source, *destination, EdgeKind::Join, link);
                }
                self.calls.push(Call::Join(sources, *destination));
            }
            (_, Side::Join(destination, spans)) => {
                let source = left.nodes()[0];
                self.errors
                    .push(error_at(*spans, lone_join(&self.nodes, source, *destination)));
            }
            (_, Side::List(..)) => {
                let source = left.single().expect("a list on the left is handled above");
                let destinations = right.nodes();
                for &destination in &destinations {
                    self.edge(source, destination, EdgeKind::Next, link);
                }
                self.calls.push(Call::Parallel(source, destinations));
            }
            (_, Side::One(destination, _)) => {
                for source in left.nodes() {
                    self.edge(source, *destination, EdgeKind::Next, link);
                    if let Role::Alone = role {
                        self.calls.push(Call::Edge(source, *destination));
                    }
                }
            }
        }
    }

    fn router_use(&mut self, node: usize, routed: bool, spans: Spans) {
        if self.used.insert((node, routed)) {
            self.router_uses.push(RouterUse {
                node,
                routed,
                spans,
            });
        }
    }

    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind, link: &Link) {
        let arrow = link.arrow.spans();
        if !self.declared.insert((from, to, kind)) {
            let (from, to) = (&self.nodes[from].text, &self.nodes[to].text);
            let edge = match kind {
                EdgeKind::Next => format!("the edge `{from} {} {to}`", link.arrow.text()),
                EdgeKind::Join => format!("`{from}` joining into `{to}`"),
                EdgeKind::Branch => format!("the branch `{from} ~> {to}`"),
            };
            self.errors.push(error_at(
                arrow,
                format!("{edge} is declared twice: remove one"),
            ));
        }
        self.edges.push(Edge {
            from,
            to,
            kind,
            arrow,
        });
    }
}

fn lone_join(nodes: &[PlannedNode], source: usize, destination: usize) -> String {
    let (source, destination) = (&nodes[source].text, &nodes[destination].text);
    format!(
        "`join({destination})` waits for several branches, but only `{source}` leads into it: list the branches, as in `[a, b] -> join({destination})`, or write `{source} -> {destination}`"
    )
}

/// Names each node's field after its last path segment, numbering repeats
/// (`run`, `run_2`). Spanned at the macro (`Span::mixed_site`), so lints
/// about the user's names do not fire on them.
fn name_fields(nodes: &mut [PlannedNode]) {
    let mut taken = HashSet::new();
    for node in nodes {
        let base = node.field.unraw().to_string();
        let mut name = base.clone();
        let mut n = 1;
        while !taken.insert(name.clone()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        node.field = if node.field.to_string().starts_with("r#") && name == base {
            Ident::new_raw(&name, Span::mixed_site())
        } else {
            Ident::new(&name, Span::mixed_site())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(tokens: &str) -> syn::Result<Plan> {
        syn::parse_str::<GraphInput>(tokens).and_then(check)
    }

    /// The builder calls, written out with node paths.
    fn calls(tokens: &str) -> Vec<String> {
        let plan = plan(tokens).unwrap_or_else(|err| panic!("`{tokens}`: {err}"));
        let name = |i: &usize| plan.nodes[*i].text.clone();
        let names = |nodes: &[usize]| nodes.iter().map(name).collect::<Vec<_>>().join(" ");
        plan.calls
            .iter()
            .map(|call| match call {
                Call::Edge(a, b) => format!("edge {} {}", name(a), name(b)),
                Call::Parallel(a, to) => format!("parallel {} [{}]", name(a), names(to)),
                Call::Router {
                    sources,
                    router,
                    destinations,
                } => format!(
                    "router [{}] {} [{}]",
                    names(sources),
                    name(router),
                    names(destinations)
                ),
                Call::Join(sources, to) => format!("join [{}] {}", names(sources), name(to)),
                Call::Branch {
                    source,
                    destination,
                    detached,
                    condition,
                } => format!(
                    "branch {} {} detached={detached} condition={}",
                    name(source),
                    name(destination),
                    condition.is_some()
                ),
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
    fn each_arrow_becomes_the_builder_call_a_person_would_write() {
        assert_eq!(
            calls(
                "a -> r => [x, y]; [x, y] -> join(d); d -> [e, f]; [e, f] -> g; g ~> log detached if |o, _| true; log ~> h;"
            ),
            [
                "router [a] r [x y]",
                "join [x y] d",
                "parallel d [e f]",
                "edge e g",
                "edge f g",
                "branch g log detached=true condition=true",
                "branch log h detached=false condition=false",
            ]
        );
    }

    #[test]
    fn a_router_declared_apart_from_its_sources_gets_none() {
        assert_eq!(
            calls("a -> r; r => x; [b, c] -> r => y -> z;"),
            [
                "edge a r",
                "router [] r [x]",
                "router [b c] r [y]",
                "edge y z"
            ]
        );
    }

    #[test]
    fn a_join_destination_continues_the_chain_into_a_router() {
        assert_eq!(
            calls("s -> [a, b] -> join(d) -> e => [f];"),
            ["parallel s [a b]", "join [a b] d", "router [d] e [f]"]
        );
    }

    #[test]
    fn nodes_are_added_once_in_order_of_first_appearance() {
        let plan = plan("c -> tools::a; b; tools::a -> c; [b, d] -> join(e);").unwrap();
        let order: Vec<&str> = plan.nodes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(order, ["c", "tools::a", "b", "d", "e"]);
        assert!(plan.calls.len() == 3 && !plan.strict && plan.max_steps.is_none());
    }

    #[test]
    fn edges_keep_the_builder_order_and_their_kind() {
        let plan = plan("a -> r => [x, y]; x ~> y; [x, y] -> join(a);").unwrap();
        let edges: Vec<(usize, usize, EdgeKind)> =
            plan.edges.iter().map(|e| (e.from, e.to, e.kind)).collect();
        use EdgeKind::*;
        assert_eq!(
            edges,
            [
                (0, 1, Next),
                (1, 2, Next),
                (1, 3, Next),
                (2, 3, Branch),
                (2, 0, Join),
                (3, 0, Join)
            ]
        );
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
    fn nodes_with_one_last_segment_get_numbered_fields() {
        let plan = plan("a::run -> b::run -> r#type; c::run;").unwrap();
        let fields: Vec<String> = plan.nodes.iter().map(|n| n.field.to_string()).collect();
        assert_eq!(fields, ["run", "run_2", "r#type", "run_3"]);
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
                "a -> [b, c] -> [d]; x -> y; x -> y; e -> [f, f]; [g, h] => i; j ~> [k]; l -> m detached;"
            ),
            [
                "a list cannot lead to a list: fan out from one node (`a -> [b, c]`) or in to one (`[b, c] -> d`)",
                "the edge `x -> y` is declared twice: remove one",
                "`f` is twice in this list: remove one",
                "`=>` follows a single router, not a list: write `g => ..` and `h => ..`",
                "a branch edge `~>` connects one node to one node: write one `~>` per branch",
                "`detached` and `if` are options of a branch edge: `a ~> b detached if |output, state| ..`",
            ]
        );
    }

    #[test]
    fn a_join_needs_several_branches() {
        let lone = "`join(d)` waits for several branches, but only `a` leads into it: list the branches, as in `[a, b] -> join(d)`, or write `a -> d`";
        assert_eq!(errors("a -> join(d);"), [lone]);
        assert_eq!(errors("[a] -> join(d);"), [lone]);
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
    fn duplicates_are_named() {
        assert_eq!(
            errors("max_steps: 1, max_steps: 2, a;"),
            ["`max_steps` is set twice: keep one"]
        );
        assert_eq!(
            errors("r => x; r => x;"),
            ["the edge `r => x` is declared twice: remove one"]
        );
        assert_eq!(
            errors("[a, b] -> join(d); [a, c] -> join(d);"),
            ["`a` joining into `d` is declared twice: remove one"]
        );
        assert_eq!(
            errors("a ~> b; a ~> b;"),
            ["the branch `a ~> b` is declared twice: remove one"]
        );
        assert!(
            plan("a -> b; a ~> b;").is_ok(),
            "an edge and a branch are different"
        );
    }

    #[test]
    fn an_empty_graph_is_an_error() {
        assert_eq!(
            errors("max_steps: 3"),
            ["this graph has no nodes: wire some, as in `graph! { first -> second; }`"]
        );
    }
}
