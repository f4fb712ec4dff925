//! The semantic rules of a node: everything `parse` understood but that cannot run.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{GenericArgument, GenericParam, PathArguments, Safety, Type};

use super::Kind;
use super::parse::{NodeFn, Output, Param, Role, result_args};
use crate::errors::Errors;

impl NodeFn {
    /// Records every rule `self` breaks in `errors`.
    pub(crate) fn validate(&self, errors: &mut Errors) {
        validate_signature(&self.func.sig, self.kind, errors);
        self.validate_stream(errors);
        let owner = format!("node `{}`", self.name());
        for param in &self.params {
            param.validate(self.kind, &owner, errors);
        }
        self.validate_output(errors);
    }

    fn validate_stream(&self, errors: &mut Errors) {
        match (self.args.stream, self.callback()) {
            (Some(stream), None) => errors.push(syn::Error::new(
                stream,
                "a `stream` node sends its tokens through a `callback: graphai::Callback` parameter: add one, or remove `stream`",
            )),
            (None, Some(callback)) => errors.push(syn::Error::new_spanned(
                &callback.ident,
                format!(
                    "`callback` is only injected into streaming nodes: use {}",
                    self.kind.attr_with("stream")
                ),
            )),
            _ => {}
        }
    }

    fn validate_output(&self, errors: &mut Errors) {
        let name = self.name();
        let fix = "a node's output is merged into the run state, so return an object: `-> Value` with `json!({ \"key\": value })`, a `Map<String, Value>`, or a struct that derives `Serialize`";
        match &self.output {
            Output::Missing(span) => errors.push(syn::Error::new(
                *span,
                format!("node `{name}` returns nothing: {fix}"),
            )),
            Output::Plain(ty) | Output::Fallible(ty) => {
                let ok = match &self.output {
                    Output::Fallible(_) => result_args(ty).0,
                    _ => Some(ty),
                };
                if let Some(unit) = ok.filter(|t| is_unit(t)) {
                    errors.push(syn::Error::new_spanned(
                        unit,
                        format!("node `{name}` returns `()`: {fix}"),
                    ));
                }
            }
        }
    }
}

/// The rules of a node's signature: an `async fn`, and [`validate_shape`].
pub(crate) fn validate_signature(sig: &syn::Signature, kind: Kind, errors: &mut Errors) {
    let attr = kind.attr();
    if let Some(constness) = &sig.constness {
        let message = if sig.asyncness.is_none() {
            format!("{attr} needs an `async fn`, not a `const fn`: replace `const` with `async`")
        } else {
            format!("{attr} cannot be a `const fn`: remove `const`")
        };
        errors.push(syn::Error::new_spanned(constness, message));
    } else if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!("{attr} needs an `async fn`: add `async` before `fn`"),
        ));
    }
    validate_shape(sig, kind, errors);
}

/// The rules every node and tool signature follows: not `unsafe`, no ABI,
/// no generics or `where` clause, not variadic.
pub(crate) fn validate_shape(sig: &syn::Signature, kind: Kind, errors: &mut Errors) {
    let attr = kind.attr();
    let (what, caller) = match kind {
        Kind::Tool => ("tool", "a tool set"),
        Kind::Node | Kind::Router => ("node", "the graph"),
    };
    let source = kind.source();
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            format!("a {what} cannot be an `unsafe fn`: {caller} calls it with no way to uphold a safety contract, so remove `unsafe` (an `unsafe` block inside the body is fine)"),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("a {what} cannot have an ABI: {caller} calls it as a Rust function, so remove `extern`"),
        ));
    }
    let generics = &sig.generics;
    if !generics.params.is_empty() {
        let (lt, params, gt) = (&generics.lt_token, &generics.params, &generics.gt_token);
        let only_lifetimes = params
            .iter()
            .all(|p| matches!(p, GenericParam::Lifetime(_)));
        let message = if only_lifetimes {
            format!(
                "{attr} functions cannot have lifetime parameters: a {what}'s parameters are read from {source} into owned values, so remove the lifetimes and use owned types (`String` for `&str`)"
            )
        } else {
            format!(
                "{attr} functions cannot be generic: parameters are read from {source} at run time, so give them concrete types (`serde_json::Value` takes any JSON)"
            )
        };
        errors.push(syn::Error::new_spanned(quote!(#lt #params #gt), message));
    } else if let Some(where_clause) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            format!("{attr} functions cannot have a `where` clause: remove it"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            format!("a {what} cannot be variadic: remove `...`"),
        ));
    }
}

impl Param {
    /// Records the rules this parameter of `owner` (`node `n``, `tool `t``) breaks.
    pub(crate) fn validate(&self, kind: Kind, owner: &str, errors: &mut Errors) {
        let name = self.name();
        let source = kind.source();
        if self.role != Role::Read {
            let what = match self.role {
                Role::Callback => "the streaming callback",
                Role::State => "the graph's shared state",
                Role::Interrupt => "the node's interrupt",
                _ => "a resource",
            };
            let rename = if self.role == Role::Resource {
                String::new()
            } else {
                format!(
                    " (to read the key `{name}` from {source}, rename the parameter and add `#[key(\"{name}\")]`)"
                )
            };
            for (attr, label) in [
                (self.default.as_ref().map(|(a, _)| a), "#[default]"),
                (self.key.as_ref().map(|(a, _)| a), "#[key]"),
            ] {
                if let Some(attr) = attr {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        format!(
                            "`{name}` is injected with {what}, not read from {source}, so `{label}` does not apply: remove it{rename}"
                        ),
                    ));
                }
            }
            return;
        }
        if let (Some((attr, _)), Some(_)) = (&self.default, self.option_inner()) {
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "`#[default]` does not apply to the `Option` parameter `{name}`, which is `None` when the key is missing: remove `#[default]`, or drop the `Option` to get the default"
                ),
            ));
        }
        if let Some(and) = find_reference(&self.ty) {
            errors.push(syn::Error::new_spanned(
                and,
                format!(
                    "parameter `{name}` of {owner} borrows, but parameters are read from {source} into owned values: use an owned type (`String` for `&str`, `Vec<T>` for `&[T]`)"
                ),
            ));
        }
        if let Some(impl_trait) = find_impl_trait(&self.ty) {
            errors.push(syn::Error::new_spanned(
                impl_trait,
                format!(
                    "parameter `{name}` cannot be `impl Trait`: it is read from {source}, so give it a concrete type (`serde_json::Value` takes any JSON)"
                ),
            ));
        }
    }
}

fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(paren) => is_unit(&paren.elem),
        Type::Group(group) => is_unit(&group.elem),
        _ => false,
    }
}

/// The `&` of the first reference inside `ty`, if any.
fn find_reference(ty: &Type) -> Option<TokenStream> {
    find_in(ty, &|t| match t {
        Type::Reference(r) => Some(r.and_token.to_token_stream()),
        _ => None,
    })
}

/// The first `impl Trait` inside `ty`, if any.
fn find_impl_trait(ty: &Type) -> Option<TokenStream> {
    find_in(ty, &|t| match t {
        Type::ImplTrait(i) => Some(i.to_token_stream()),
        _ => None,
    })
}

/// The first type inside `ty` (itself included) for which `hit` says something.
fn find_in(ty: &Type, hit: &dyn Fn(&Type) -> Option<TokenStream>) -> Option<TokenStream> {
    if let Some(found) = hit(ty) {
        return Some(found);
    }
    match ty {
        Type::Array(a) => find_in(&a.elem, hit),
        Type::Slice(s) => find_in(&s.elem, hit),
        Type::Group(g) => find_in(&g.elem, hit),
        Type::Paren(p) => find_in(&p.elem, hit),
        Type::Tuple(t) => t.elems.iter().find_map(|e| find_in(e, hit)),
        Type::Path(p) => p
            .path
            .segments
            .iter()
            .find_map(|segment| match &segment.arguments {
                PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                    GenericArgument::Type(t) => find_in(t, hit),
                    _ => None,
                }),
                _ => None,
            }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::{ItemFn, parse_quote};

    use super::super::Kind;
    use super::*;

    fn check(args: TokenStream, func: ItemFn) -> Vec<String> {
        check_kind(args, func, Kind::Node)
    }

    fn check_kind(args: TokenStream, func: ItemFn, kind: Kind) -> Vec<String> {
        let mut errors = Errors::default();
        let node = NodeFn::parse(args, func, kind, &mut errors);
        node.validate(&mut errors);
        errors.messages()
    }

    #[test]
    fn a_correct_node_passes() {
        let errors = check(
            quote!(start, stream, name = "w"),
            parse_quote! {
                async fn weather(
                    city: String,
                    #[default(3)] days: u32,
                    units: Option<String>,
                    callback: Callback,
                    state: State,
                ) -> graphai::Result<Value> { Ok(json!({})) }
            },
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn the_fn_must_be_a_plain_async_fn() {
        let errors = check(
            TokenStream::new(),
            parse_quote! { const unsafe extern "C" fn n() -> Value { v } },
        );
        assert_eq!(
            errors,
            [
                "`#[node]` needs an `async fn`, not a `const fn`: replace `const` with `async`",
                "a node cannot be an `unsafe fn`: the graph calls it with no way to uphold a safety contract, so remove `unsafe` (an `unsafe` block inside the body is fine)",
                "a node cannot have an ABI: the graph calls it as a Rust function, so remove `extern`",
            ]
        );
    }

    #[test]
    fn const_is_rejected_once() {
        let errors = check(
            TokenStream::new(),
            parse_quote! { const async fn n() -> Value { v } },
        );
        assert_eq!(errors, ["`#[node]` cannot be a `const fn`: remove `const`"]);
    }

    #[test]
    fn generics_are_rejected() {
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n<T: Clone>(x: T) -> Value { v } },
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("`#[node]` functions cannot be generic"));
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n<'a>(x: String) -> Value { v } },
        );
        assert!(errors[0].starts_with("`#[node]` functions cannot have lifetime parameters"));
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n<const N: usize>(x: String) -> Value { v } },
        );
        assert!(errors[0].starts_with("`#[node]` functions cannot be generic"));
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n(x: String) -> Value where String: Clone { v } },
        );
        assert_eq!(
            errors,
            ["`#[node]` functions cannot have a `where` clause: remove it"]
        );
    }

    #[test]
    fn stream_and_callback_go_together() {
        let errors = check(
            quote!(stream),
            parse_quote! { async fn n(x: String) -> Value { v } },
        );
        assert_eq!(
            errors,
            [
                "a `stream` node sends its tokens through a `callback: graphai::Callback` parameter: add one, or remove `stream`"
            ]
        );
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n(callback: Callback) -> Value { v } },
        );
        assert_eq!(
            errors,
            ["`callback` is only injected into streaming nodes: use `#[node(stream)]`"]
        );
        let errors = check_kind(
            TokenStream::new(),
            parse_quote! { async fn n(callback: Callback) -> Value { v } },
            Kind::Router,
        );
        assert_eq!(
            errors,
            ["`callback` is only injected into streaming nodes: use `#[router(stream)]`"]
        );
    }

    #[test]
    fn parameter_rules() {
        let errors = check(
            TokenStream::new(),
            parse_quote! {
                async fn n(
                    #[default(Some(1))] a: Option<u32>,
                    b: &str,
                    c: Vec<&'static str>,
                    d: impl Into<String>,
                    #[key("s")] state: State,
                ) -> Value { v }
            },
        );
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors[0].starts_with("`#[default]` does not apply to the `Option` parameter `a`"));
        assert!(errors[1].starts_with("parameter `b` of node `n` borrows"));
        assert!(errors[2].starts_with("parameter `c` of node `n` borrows"));
        assert!(errors[3].starts_with("parameter `d` cannot be `impl Trait`"));
        assert!(
            errors[4].starts_with("`state` is injected with the graph's shared state, not read from the run state, so `#[key]` does not apply"),
            "{}",
            errors[4]
        );
    }

    #[test]
    fn a_node_must_return_something() {
        let errors = check(TokenStream::new(), parse_quote! { async fn n() {} });
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("node `n` returns nothing: "),
            "{errors:?}"
        );
        let errors = check(TokenStream::new(), parse_quote! { async fn n() -> () {} });
        assert!(
            errors[0].starts_with("node `n` returns `()`: "),
            "{errors:?}"
        );
        let errors = check(
            TokenStream::new(),
            parse_quote! { async fn n() -> anyhow::Result<()> { Ok(()) } },
        );
        assert!(
            errors[0].starts_with("node `n` returns `()`: "),
            "{errors:?}"
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errors = check(
            quote!(stream, bogus),
            parse_quote! { fn n<T>(&self, (a, b): (u32, u32)) {} },
        );
        assert_eq!(errors.len(), 7, "{errors:?}");
    }
}
