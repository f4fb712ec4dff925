//! Procedural macros for [graphai](https://docs.rs/graphai): `#[node]`, `#[router]`
//! and `graph!`.
//! Use them through the `graphai` crate, which re-exports them.

mod errors;
mod graph;
mod node;

use proc_macro::TokenStream;

/// Turns an `async fn` into a graph node.
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into(), node::Kind::Node).into()
}

/// Turns an `async fn` into a router node.
#[proc_macro_attribute]
pub fn router(args: TokenStream, item: TokenStream) -> TokenStream {
    node::expand(args.into(), item.into(), node::Kind::Router).into()
}

#[doc = include_str!("graph/doc.md")]
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    graph::expand(input.into()).into()
}
