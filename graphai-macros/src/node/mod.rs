//! `#[node]` and `#[router]`: parse -> validate -> expand.

mod args;
pub(crate) mod docs;
pub(crate) mod expand;
pub(crate) mod parse;
pub(crate) mod schema;
pub(crate) mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;
use parse::NodeFn;

/// Which attribute is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    Router,
    /// `#[tool]`, which shares the parameter rules.
    Tool,
}

impl Kind {
    /// The attribute as users write it, in backticks: `` `#[node]` ``.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Node => "`#[node]`",
            Kind::Router => "`#[router]`",
            Kind::Tool => "`#[tool]`",
        }
    }

    /// The attribute with `args`, in backticks: `` `#[node(stream)]` ``.
    pub(crate) fn attr_with(self, args: &str) -> String {
        match self {
            Kind::Node => format!("`#[node({args})]`"),
            Kind::Router => format!("`#[router({args})]`"),
            Kind::Tool => format!("`#[tool({args})]`"),
        }
    }

    /// What is defined: "node" or "tool".
    pub(crate) fn what(self) -> &'static str {
        match self {
            Kind::Node | Kind::Router => "node",
            Kind::Tool => "tool",
        }
    }

    /// Where parameters are read from.
    pub(crate) fn source(self) -> &'static str {
        match self {
            Kind::Node | Kind::Router => "the run state",
            Kind::Tool => "the call's arguments",
        }
    }
}

/// Expands `#[node(args)]` or `#[router(args)]` on `item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> TokenStream {
    let func = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(func) => func,
        Err(err) => return not_a_function(err, item, kind),
    };
    let mut errors = Errors::default();
    let node = NodeFn::parse(args, func, kind, &mut errors);
    node.validate(&mut errors);
    match errors.finish() {
        Ok(()) => node.expand(),
        Err(err) => node.fallback(&err),
    }
}

/// The input was not a function: say where the attribute goes, and leave the item as it was.
fn not_a_function(err: syn::Error, item: TokenStream, kind: Kind) -> TokenStream {
    let err = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(other) => syn::Error::new_spanned(
            first_tokens(&other),
            format!("{} goes on an `async fn`", kind.attr()),
        ),
        Err(_) => err,
    };
    let err = err.to_compile_error();
    quote!(#err #item)
}

/// The tokens that introduce an item, for an error that should not cover its whole body.
fn first_tokens(item: &syn::Item) -> TokenStream {
    use proc_macro2::TokenTree;
    let mut tokens = quote!(#item).into_iter().peekable();
    let mut out = TokenStream::new();
    while let Some(tt) = tokens.next() {
        match tt {
            // An outer attribute: `#` and its `[..]`.
            TokenTree::Punct(p) if p.as_char() == '#' && out.is_empty() => {
                tokens.next();
            }
            TokenTree::Group(_) => break,
            tt => out.extend([tt]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_gets_a_clear_error_and_stays_as_it_was() {
        let item = quote!(
            struct Foo {
                a: u32,
            }
        );
        let out = expand(TokenStream::new(), item.clone(), Kind::Node).to_string();
        assert!(out.contains("`#[node]` goes on an `async fn`"), "{out}");
        assert!(out.ends_with(&item.to_string()), "{out}");
    }

    #[test]
    fn a_broken_node_still_defines_its_items() {
        let out = expand(
            quote!(bogus),
            quote!(
                async fn n(x: u32) -> Value {
                    json!({})
                }
            ),
            Kind::Node,
        )
        .to_string();
        assert!(out.contains("unknown argument `bogus`"), "{out}");
        assert!(out.contains("struct n { }"), "{out}");
        assert!(out.contains("fn call"), "{out}");
        assert!(out.contains("impl :: graphai :: Node for n"), "{out}");
    }
}
