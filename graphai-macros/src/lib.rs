//! Procedural macros for [graphai](https://docs.rs/graphai): `#[node]` and `#[router]`.
//! Use them through the `graphai` crate, which re-exports them.

mod errors;
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
