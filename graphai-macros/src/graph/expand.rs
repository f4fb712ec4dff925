//! [`Plan`] -> tokens: the wiring as `const` tables, `const` checks of the
//! shared rules spanned at the user's tokens, and at run time the builder fed
//! from a `static` copy of the tables. Cannot fail.
//!
//! The items the expansion declares are named `__GRAPHAI_*`, so none can
//! shadow or be shadowed by the caller's; user code (settings, branch
//! conditions) sees only its own names. Everything of graphai is reached
//! through `::graphai::__private`.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Expr;

use super::check::{BranchCall, EdgeKind, Plan};

type Spans = (Span, Span);

/// The expansion's own items.
struct Names {
    /// `const`: the tables.
    wiring: Ident,
    /// `const`: what the rules found in them.
    graph: Ident,
    /// `const`: a reference to `graph`, which each check reads, so that no
    /// check copies all of it (that copy made checks quadratic).
    found: Ident,
    /// `const`: whether the graph passed every rule.
    ok: Ident,
    /// `static`: the tables at run time, read in place, so the generated
    /// function's stack frame does not grow with the graph.
    tables: Ident,
}

pub(crate) fn expand(plan: &Plan) -> TokenStream {
    let names = Names {
        wiring: Ident::new("__GRAPHAI_WIRING", Span::mixed_site()),
        graph: Ident::new("__GRAPHAI_GRAPH", Span::mixed_site()),
        found: Ident::new("__GRAPHAI_FOUND", Span::mixed_site()),
        ok: Ident::new("__GRAPHAI_OK", Span::mixed_site()),
        tables: Ident::new("__GRAPHAI_TABLES", Span::mixed_site()),
    };
    let Names {
        wiring,
        graph,
        found,
        ok,
        tables,
    } = &names;
    let sizes = sizes(plan);
    let wiring_value = wiring_value(plan);
    let strict = plan.strict;
    let checks = checks(plan, &names);
    let max_steps = plan
        .max_steps
        .as_ref()
        .map(|steps| quote!(.max_steps(#steps)));
    let initial_state = plan
        .initial_state
        .as_ref()
        .map(|state| quote!(.initial_state(::graphai::__private::serde_json::json!(#state))));
    let branches = plan.branches.iter().map(|b| branch(tables, b));
    let compile = if plan.strict {
        quote!(compile_strict)
    } else {
        quote!(compile)
    };
    let (n, e) = (index(plan.nodes.len()), index(plan.edges.len()));
    quote! {
        {
            const #wiring: ::graphai::__private::Wiring<#sizes> = #wiring_value;
            const #graph: ::graphai::__private::Checked<#sizes> =
                #wiring.check::<{ ::graphai::__private::table_size(#n, #e) }>(#strict);
            const #found: &::graphai::__private::Checked<#sizes> = &#graph;
            const #ok: bool = #found.ok();
            #(#checks)*
            static #tables: ::graphai::__private::Wiring<#sizes> = #wiring;
            ::graphai::__private::compiled(
                ::graphai::__private::wire(
                    ::graphai::__private::Graph::new()
                        #max_steps
                        #initial_state,
                    &#tables.nodes,
                    &#tables.edges,
                    &#tables.uses,
                )
                #(#branches)*
                .#compile(),
            )
        }
    }
}

/// `N, E, U`: how many nodes, edges and router uses.
fn sizes(plan: &Plan) -> TokenStream {
    let (n, e, u) = (
        index(plan.nodes.len()),
        index(plan.edges.len()),
        index(plan.router_uses.len()),
    );
    quote!(#n, #e, #u)
}

/// The `Wiring`: each node through its type (the one place the expansion
/// names it), the edges and the router uses by index.
fn wiring_value(plan: &Plan) -> TokenStream {
    let nodes = plan.nodes.iter().map(|node| {
        let (path, text) = (&node.path, &node.text);
        quote_spanned!(node.spans.0=> ::graphai::__private::GraphNode::of::<#path>(#text))
    });
    let edges = plan.edges.iter().map(|edge| {
        let (from, to) = (index(edge.from), index(edge.to));
        match edge.kind {
            EdgeKind::Next => quote!(::graphai::__private::Edge::next(#from, #to)),
            EdgeKind::Join(j) => {
                let j = index(j);
                quote!(::graphai::__private::Edge::join(#from, #to, #j))
            }
            EdgeKind::Branch => quote!(::graphai::__private::Edge::branch(#from, #to)),
        }
    });
    let uses = plan.router_uses.iter().map(|used| {
        let (node, routed) = (index(used.node), used.routed);
        quote!(::graphai::__private::RouterUse { node: #node, routed: #routed })
    });
    quote! {
        ::graphai::__private::Wiring {
            nodes: [#(#nodes),*],
            edges: [#(#edges),*],
            uses: [#(#uses),*],
        }
    }
}

/// One `const _: () = ..;` per question the rules answer, panicking with the
/// answer at the user's tokens. None asks anything when the graph is fine.
fn checks(plan: &Plan, names: &Names) -> Vec<TokenStream> {
    let mut checks = Vec::new();
    let mut ask = |spans: Spans, question: TokenStream| checks.push(check(names, spans, question));
    for (i, node) in plan.nodes.iter().enumerate() {
        let i = index(i);
        ask(node.spans, quote!(node_problem(#i)));
        ask(node.spans, quote!(stop_problem(#i)));
    }
    ask(plan.nodes[0].spans, quote!(no_start()));
    ask(plan.nodes[plan.nodes.len() - 1].spans, quote!(no_end()));
    for (i, used) in plan.router_uses.iter().enumerate() {
        let i = index(i);
        ask(used.spans, quote!(use_problem(#i)));
    }
    for (k, edge) in plan.edges.iter().enumerate() {
        let k = index(k);
        ask(edge.arrow, quote!(edge_problem(#k)));
    }
    for (j, spans) in plan.joins.iter().enumerate() {
        let j = index(j);
        ask(*spans, quote!(join_problem(#j)));
    }
    checks
}

/// `const _: () = if !OK { if let Some(p) = &FOUND.<question> { panic!(..) } };`,
/// with the panic covering `spans` so the error underlines the user's tokens.
fn check(names: &Names, spans: Spans, question: TokenStream) -> TokenStream {
    let Names { found, ok, .. } = names;
    let (first, last) = spans;
    let problem = Ident::new("problem", Span::mixed_site());
    let mut args = Group::new(Delimiter::Parenthesis, quote!("{}", #problem.as_str()));
    args.set_span(last);
    let panic = quote_spanned!(first=> ::core::panic!);
    quote_spanned! {first=>
        const _: () = if !#ok {
            if let ::core::option::Option::Some(#problem) = &#found.#question {
                #panic #args
            }
        };
    }
}

fn index(i: usize) -> Literal {
    Literal::usize_unsuffixed(i)
}

/// `.add_branch(..)`, with the branch's options.
fn branch(tables: &Ident, call: &BranchCall) -> TokenStream {
    let node = |i: usize| {
        let i = index(i);
        quote!(#tables.nodes[#i])
    };
    let (source, destination) = (node(call.source), node(call.destination));
    if !call.detached && call.condition.is_none() {
        return quote!(.add_branch(#source, #destination));
    }
    let condition = call.condition.as_ref().map(|condition| match condition {
        Expr::Closure(closure) if closure.asyncness.is_some() => {
            quote!(.when_async(#condition))
        }
        _ => quote!(.when(#condition)),
    });
    let detached = call.detached.then(|| quote!(.detached()));
    quote! {
        .add_branch(#source, ::graphai::__private::Branch::to(#destination)#condition #detached)
    }
}
