//! Procedural macros for [graphai](https://docs.rs/graphai): `#[node]`, `#[router]`.
//! Use them through the `graphai` crate, which re-exports them.

mod graph;

use proc_macro::TokenStream;

/// Turns an `async fn` into a graph node.
#[proc_macro_attribute]
pub fn node(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// Turns an `async fn` into a router node.
#[proc_macro_attribute]
pub fn router(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

#[doc = include_str!("graph/doc.md")]
#[proc_macro]
pub fn graph(input: TokenStream) -> TokenStream {
    graph::expand(input.into()).into()
}
