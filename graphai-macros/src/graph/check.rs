//! [`GraphInput`] -> [`Plan`]: the rules of the syntax itself (how arrows and
//! lists combine, a node twice in one list, settings), and the tables that
//! `expand` writes out. The wiring rules (duplicate edges, start and end nodes,
//! reachability, routers, joins, cycles) are graphai's, shared with
//! `Graph::compile`: the const items `expand` emits run them on the tables.

use std::collections::HashSet;

use proc_macro2::{Group, Span};
use syn::{Expr, Path};

use crate::errors::Errors;

use super::parse::{Arrow, Chain, Element, GraphInput, Link, NodePath, Setting};

/// A checked graph: the tables `expand` writes out and the spans its const
/// checks point at.
pub(crate) struct Plan {
    /// Each node once, in order of first appearance.
    pub(crate) nodes: Vec<PlannedNode>,
    /// Every edge, in the order the builder takes them: regular edges as
    /// written, then joins, then branches.
    pub(crate) edges: Vec<Edge>,
    /// The tokens of each join (`join(d)`), by join number.
    pub(crate) joins: Vec<Spans>,
    /// The branch edges, in order, with their options.
    pub(crate) branches: Vec<BranchCall>,
    /// Nodes used before `=>` (must be routers) or `->` (must not be), at their first such use.
    pub(crate) router_uses: Vec<RouterUse>,
    pub(crate) max_steps: Option<Expr>,
    pub(crate) initial_state: Option<Group>,
    pub(crate) strict: bool,
}

pub(crate) struct PlannedNode {
    pub(crate) path: Path,
    pub(crate) text: String,
    /// First and last token of its first appearance.
    pub(crate) spans: Spans,
}

pub(crate) struct BranchCall {
    pub(crate) source: usize,
    pub(crate) destination: usize,
    pub(crate) detached: bool,
    pub(crate) condition: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// `->` and `=>`: the runtime's successors.
    Next,
    /// A source of the join with this number.
    Join(usize),
    Branch,
}

pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    /// The arrow's first and last token.
    pub(crate) arrow: Spans,
}

pub(crate) struct RouterUse {
    pub(crate) node: usize,
    /// `true` for `=>`.
    pub(crate) routed: bool,
    pub(crate) spans: Spans,
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

#[derive(Default)]
struct Checker {
    nodes: Vec<PlannedNode>,
    /// Regular edges, in order.
    next: Vec<Edge>,
    /// Join edges, in order.
    join_edges: Vec<Edge>,
    joins: Vec<Spans>,
    branch_edges: Vec<Edge>,
    branches: Vec<BranchCall>,
    router_uses: Vec<RouterUse>,
    /// `(node, routed)` pairs already in `router_uses`.
    used: HashSet<(usize, bool)>,
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
    let mut edges = checker.next;
    edges.extend(checker.join_edges);
    edges.extend(checker.branch_edges);
    Ok(Plan {
        nodes: checker.nodes,
        edges,
        joins: checker.joins,
        branches: checker.branches,
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
        for link in chain.links {
            let right = self.side(&link.target);
            self.link(&left, &link, &right);
            left = right;
        }
    }

    /// One arrow: `left arrow right`.
    fn link(&mut self, left: &Side, link: &Link, right: &Side) {
        let arrow = link.arrow.spans();
        if let (Some(span), false) = (link.options.span, matches!(link.arrow, Arrow::Branch(_))) {
            self.errors.push(syn::Error::new(
                span,
                "`detached` and `if` are options of a branch edge: `a ~> b detached if |output, state| ..`",
            ));
        }
        match link.arrow {
            Arrow::Next(_) => self.next(left, link, right),
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
                for destination in right.nodes() {
                    self.edge(router, destination, EdgeKind::Next, link);
                }
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
                self.branches.push(BranchCall {
                    source,
                    destination: *destination,
                    detached: link.options.detached,
                    condition: link.options.condition.clone(),
                });
            }
        }
    }

    /// `left -> right`.
    fn next(&mut self, left: &Side, link: &Link, right: &Side) {
        for (node, spans) in left.uses() {
            self.router_use(node, false, spans);
        }
        match (left, right) {
            (Side::List(..), Side::List(..)) => self.errors.push(error_at(
                link.arrow.spans(),
                "a list cannot lead to a list: fan out from one node (`a -> [b, c]`) or in to one (`[b, c] -> d`)",
            )),
            (_, Side::Join(destination, spans)) => {
                let join = self.joins.len();
                self.joins.push(*spans);
                for source in left.nodes() {
                    self.edge(source, *destination, EdgeKind::Join(join), link);
                }
            }
            (_, Side::List(..)) => {
                let source = left.single().expect("a list on the left is handled above");
                for destination in right.nodes() {
                    self.edge(source, destination, EdgeKind::Next, link);
                }
            }
            (_, Side::One(destination, _)) => {
                for source in left.nodes() {
                    self.edge(source, *destination, EdgeKind::Next, link);
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
        let edge = Edge {
            from,
            to,
            kind,
            arrow: link.arrow.spans(),
        };
        match kind {
            EdgeKind::Next => self.next.push(edge),
            EdgeKind::Join(_) => self.join_edges.push(edge),
            EdgeKind::Branch => self.branch_edges.push(edge),
        }
    }
}

#[cfg(test)]
mod tests;
