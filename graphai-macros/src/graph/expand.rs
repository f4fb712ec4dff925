//! [`Plan`] -> tokens: the builder calls a person would write, preceded by
//! `const` checks spanned at the user's tokens. Cannot fail.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Expr;

use super::check::{Call, Edge, EdgeKind, Plan};

type Spans = (Span, Span);

pub(crate) fn expand(plan: &Plan) -> TokenStream {
    let nodes = Ident::new("nodes", Span::mixed_site());
    let fields: Vec<TokenStream> = plan
        .nodes
        .iter()
        .map(|node| {
            let field = &node.field;
            quote!(#nodes.#field)
        })
        .collect();
    let wiring = wiring(plan);
    let checks = checks(plan);
    let fields_struct = fields_struct(plan);
    let max_steps = plan
        .max_steps
        .as_ref()
        .map(|steps| quote!(.max_steps(#steps)));
    let initial_state = plan
        .initial_state
        .as_ref()
        .map(|state| quote!(.initial_state(::graphai::__private::serde_json::json!(#state))));
    let calls = plan.calls.iter().map(|call| builder_call(&fields, call));
    let compile = if plan.strict {
        quote!(compile_strict)
    } else {
        quote!(compile)
    };
    quote! {
        {
            let #nodes = {
                #wiring
                #(#checks)*
                #fields_struct
            };
            ::graphai::__private::compiled(
                ::graphai::__private::Graph::new()
                    #max_steps
                    #initial_state
                    #(.add_node(#fields))*
                    #(#calls)*
                    .#compile(),
            )
        }
    }
}

/// The nodes as fields named after them, so the builder calls read
/// `nodes.search`. (A `let search` could collide with a unit struct or a
/// const in scope; a field cannot. The struct sits in a block of its own so
/// its name shadows nothing the user wrote.)
fn fields_struct(plan: &Plan) -> TokenStream {
    let fields: Vec<&Ident> = plan.nodes.iter().map(|node| &node.field).collect();
    let indices = (0..plan.nodes.len()).map(index);
    let name = Ident::new("Nodes", Span::mixed_site());
    quote! {
        {
            struct #name {
                #(#fields: ::graphai::__private::GraphNode,)*
            }
            #name {
                #(#fields: GRAPH.wiring.nodes[#indices],)*
            }
        }
    }
}

/// `const GRAPH`: each node through its type (the one place the expansion
/// names it), and the edges by index, regular edges first.
fn wiring(plan: &Plan) -> TokenStream {
    let count = index(plan.nodes.len());
    let nodes = plan.nodes.iter().map(|node| {
        let (path, text) = (&node.path, &node.text);
        quote_spanned!(node.spans.0=> ::graphai::__private::GraphNode::of::<#path>(#text))
    });
    let edges = wiring_order(plan);
    let edge_count = index(edges.len());
    let next = index(
        plan.edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Next)
            .count(),
    );
    let edges = edges.iter().map(|edge| {
        let (from, to) = (index(edge.from), index(edge.to));
        quote!((#from, #to))
    });
    quote! {
        const GRAPH: ::graphai::__private::Checked<#count, #edge_count> = ::graphai::__private::Wiring {
            nodes: [#(#nodes),*],
            edges: [#(#edges),*],
            next: #next,
        }
        .check();
    }
}

/// One `const _: () = ..;` per check, panicking at the user's token.
fn checks(plan: &Plan) -> Vec<TokenStream> {
    let mut checks = Vec::new();
    let problem = syn::Ident::new("problem", Span::mixed_site());
    for (i, node) in plan.nodes.iter().enumerate() {
        let i = index(i);
        checks.push(check(
            node.spans,
            quote!(let ::core::option::Option::Some(#problem) = &GRAPH.problem(#i)),
            quote!("{}", #problem.as_str()),
        ));
    }
    checks.push(check(
        plan.nodes[0].spans,
        quote!(!GRAPH.has_start()),
        message(
            "this graph has no start node: mark the node where runs begin `#[node(start)]`"
                .to_owned(),
        ),
    ));
    checks.extend(end_checks(plan));
    for used in &plan.router_uses {
        let (i, text) = (index(used.node), &plan.nodes[used.node].text);
        checks.push(if used.routed {
            check(
                used.spans,
                quote!(!GRAPH.is_router(#i)),
                message(format!(
                    "`{text}` is used with `=>`, which lists a router's destinations, but it is not a router: declare it with `#[router]`, or use `->`"
                )),
            )
        } else {
            check(
                used.spans,
                quote!(GRAPH.is_router(#i)),
                message(format!(
                    "`{text}` is a router: list the nodes it may choose with `=>`, as in `{text} => [a, b]`, not with `->`"
                )),
            )
        });
    }
    if plan.strict {
        let cycle = syn::Ident::new("cycle", Span::mixed_site());
        for (k, edge) in wiring_order(plan).into_iter().enumerate() {
            let k = index(k);
            checks.push(check(
                edge.arrow,
                quote!(let ::core::option::Option::Some(#cycle) = &GRAPH.cycle(#k)),
                quote!("{}", #cycle.as_str()),
            ));
        }
    }
    checks
}

/// With no end node, every run fails: blame each node where a run stops
/// (no outgoing `->`, `=>` or join edge, and not a router, which may go
/// anywhere), or the last node when there is none.
fn end_checks(plan: &Plan) -> Vec<TokenStream> {
    let leaves: Vec<usize> = (0..plan.nodes.len())
        .filter(|&i| {
            !plan
                .edges
                .iter()
                .any(|edge| edge.from == i && edge.kind != EdgeKind::Branch)
        })
        .collect();
    let mut checks: Vec<TokenStream> = leaves
        .iter()
        .map(|&leaf| {
            let (i, text) = (index(leaf), &plan.nodes[leaf].text);
            check(
                plan.nodes[leaf].spans,
                quote!(!GRAPH.has_end() && !GRAPH.is_router(#i)),
                message(format!(
                    "this graph has no end node: `{text}` has no outgoing edge, so runs stop there; mark it `#[node(end)]`"
                )),
            )
        })
        .collect();
    let leaves = leaves.into_iter().map(index);
    checks.push(check(
        plan.nodes[plan.nodes.len() - 1].spans,
        quote!(!GRAPH.has_end() && GRAPH.all_routers(&[#(#leaves),*])),
        message(
            "this graph has no end node: mark the nodes where runs finish `#[node(end)]`"
                .to_owned(),
        ),
    ));
    checks
}

/// The edges in `GRAPH`'s order: regular edges, then joins and branches.
fn wiring_order(plan: &Plan) -> Vec<&Edge> {
    let next = plan.edges.iter().filter(|e| e.kind == EdgeKind::Next);
    let side = plan.edges.iter().filter(|e| e.kind != EdgeKind::Next);
    next.chain(side).collect()
}

/// `const _: () = if <condition> { panic!(<args>) };`, with the panic
/// covering `spans` so the error underlines the user's tokens.
fn check(spans: Spans, condition: TokenStream, args: TokenStream) -> TokenStream {
    let (first, last) = spans;
    let mut args = Group::new(Delimiter::Parenthesis, args);
    args.set_span(last);
    let panic = quote_spanned!(first=> ::core::panic!);
    quote_spanned! {first=>
        const _: () = if #condition { #panic #args };
    }
}

fn message(text: String) -> TokenStream {
    Literal::string(&text).into_token_stream()
}

fn index(i: usize) -> Literal {
    Literal::usize_unsuffixed(i)
}

fn builder_call(fields: &[TokenStream], call: &Call) -> TokenStream {
    let node = |i: &usize| &fields[*i];
    let list = |nodes: &[usize]| {
        let nodes = nodes.iter().map(node);
        quote!([#(#nodes),*])
    };
    match call {
        Call::Edge(from, to) => {
            let (from, to) = (node(from), node(to));
            quote!(.add_edge(#from, #to))
        }
        Call::Parallel(from, to) => {
            let (from, to) = (node(from), list(to));
            quote!(.add_parallel(#from, #to))
        }
        Call::Router {
            sources,
            router,
            destinations,
        } => {
            let sources = if sources.is_empty() {
                quote!(::graphai::__private::NO_SOURCES)
            } else {
                list(sources)
            };
            let (router, destinations) = (node(router), list(destinations));
            quote!(.add_router(#sources, #router, #destinations))
        }
        Call::Join(sources, destination) => {
            let (sources, destination) = (list(sources), node(destination));
            quote!(.add_join(#sources, #destination))
        }
        Call::Branch {
            source,
            destination,
            detached,
            condition,
        } => {
            let (source, destination) = (node(source), node(destination));
            if !detached && condition.is_none() {
                return quote!(.add_branch(#source, #destination));
            }
            let condition = condition.as_ref().map(|condition| match condition {
                Expr::Closure(closure) if closure.asyncness.is_some() => {
                    quote!(.when_async(#condition))
                }
                _ => quote!(.when(#condition)),
            });
            let detached = detached.then(|| quote!(.detached()));
            quote! {
                .add_branch(#source, ::graphai::__private::Branch::to(#destination)#condition #detached)
            }
        }
    }
}
