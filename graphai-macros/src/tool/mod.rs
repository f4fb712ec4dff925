//! `#[tool]`: a plain fn (async or not) an LLM can call. Parse -> validate -> expand.
//!
//! Parameters follow the rules of `#[node]` (plain names, `Option`,
//! `#[default]`, `#[key]`, `///` docs, `state` and `Res<T>` injected); what
//! differs is that the function may be sync, returns any serializable value,
//! and every argument's type must have a JSON Schema.

mod expand;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ItemFn, Lit, LitStr, ReturnType, Token, Type};

use crate::errors::Errors;
use crate::node::Kind;
use crate::node::parse::{self as node_parse, Param, Role};
use crate::node::validate;

/// A function marked `#[tool]`, understood.
pub(crate) struct ToolFn {
    pub(crate) name: Option<LitStr>,
    /// The user's function, with our parameter attributes removed.
    pub(crate) func: ItemFn,
    pub(crate) docs: Vec<Attribute>,
    pub(crate) cfgs: Vec<Attribute>,
    pub(crate) params: Vec<Param>,
    pub(crate) output: ToolOutput,
}

/// What the tool returns.
pub(crate) enum ToolOutput {
    /// No `->`: the LLM is shown `null`.
    Unit,
    /// A type that is not spelled `Result<..>`.
    Plain(Type),
    /// `Result<..>`: an error is the call's failure.
    Fallible(Type),
}

/// Expands `#[tool(args)]` on `item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(func) => func,
        Err(err) => {
            let err = match syn::parse2::<syn::Item>(item.clone()) {
                Ok(other) => {
                    syn::Error::new(first_span(&other), "`#[tool]` goes on a fn (async or not)")
                }
                Err(_) => err,
            };
            let err = err.to_compile_error();
            return quote!(#err #item);
        }
    };
    let mut errors = Errors::default();
    let tool = ToolFn::parse(args, func, &mut errors);
    tool.validate(&mut errors);
    match errors.finish() {
        Ok(()) => tool.expand(),
        Err(err) => tool.fallback(&err),
    }
}

fn first_span(item: &syn::Item) -> Span {
    match item {
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Mod(m) => m.mod_token.span,
        other => other.span(),
    }
}

impl ToolFn {
    /// Understands `func`, recording every mistake of syntax in `errors`.
    pub(crate) fn parse(args: TokenStream, mut func: ItemFn, errors: &mut Errors) -> Self {
        let name = parse_args(args, errors);
        let docs: Vec<Attribute> = func
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        let cfgs = func
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        let mut params = node_parse::parse_params(&mut func, Kind::Tool, errors);
        node_parse::fill_argument_docs(&docs, &mut params);
        let output = match &func.sig.output {
            ReturnType::Default => ToolOutput::Unit,
            ReturnType::Type(_, ty) if node_parse::last_segment_is(ty, "Result") => {
                ToolOutput::Fallible((**ty).clone())
            }
            ReturnType::Type(_, ty) => ToolOutput::Plain((**ty).clone()),
        };
        Self {
            name,
            func,
            docs,
            cfgs,
            params,
            output,
        }
    }

    /// The tool's name: `name = ".."`, else the function's name.
    pub(crate) fn name(&self) -> String {
        use syn::ext::IdentExt;
        self.name
            .as_ref()
            .map_or_else(|| self.func.sig.ident.unraw().to_string(), LitStr::value)
    }

    /// Records every rule `self` breaks in `errors`.
    pub(crate) fn validate(&self, errors: &mut Errors) {
        validate::validate_shape(&self.func.sig, Kind::Tool, errors);
        let owner = format!("tool `{}`", self.name());
        for param in &self.params {
            if param.role == Role::Callback {
                errors.push(syn::Error::new_spanned(
                    &param.ident,
                    "tools do not stream, so `callback` is not injected into a `#[tool]`: remove it, or make the function a `#[node(stream)]` (to read an argument named `callback`, rename the parameter and add `#[key(\"callback\")]`)",
                ));
                continue;
            }
            if param.role == Role::Interrupt {
                errors.push(syn::Error::new_spanned(
                    &param.ty,
                    "a `#[tool]` runs inside one LLM turn and cannot stop to ask a person, so it takes no `Interrupt`: ask in the node that calls the tools (a `#[node]` taking `human: Interrupt`)",
                ));
                continue;
            }
            param.validate(Kind::Tool, &owner, errors);
        }
    }
}

/// `name = ".."`, the only argument of `#[tool(..)]`.
fn parse_args(tokens: TokenStream, errors: &mut Errors) -> Option<LitStr> {
    let mut name: Option<LitStr> = None;
    let mut found = Errors::default();
    let parsed = syn::meta::parser(|meta| {
        let result = one_arg(&meta, &mut name);
        found.ok(result);
        Ok(())
    })
    .parse2(tokens);
    errors.ok(parsed);
    if let Err(e) = found.finish() {
        errors.push(e);
    }
    name
}

fn one_arg(meta: &ParseNestedMeta<'_>, name: &mut Option<LitStr>) -> syn::Result<()> {
    let usage = "`#[tool(name = \"my_tool\")]`";
    if !meta.path.is_ident("name") {
        if meta.input.peek(Token![=]) {
            meta.value()?.parse::<Expr>()?;
        } else if meta.input.peek(syn::token::Paren) {
            let _group: proc_macro2::Group = meta.input.parse()?;
        }
        let written = quote::ToTokens::to_token_stream(&meta.path).to_string();
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!(
                "unknown argument `{}` for `#[tool]`: the only argument is `name = \"..\"`",
                written.replace(' ', "")
            ),
        ));
    }
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`name` needs a string value: write {usage}")));
    }
    let value: Expr = meta.value()?.parse()?;
    let lit = match &value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => s.clone(),
            _ => {
                return Err(syn::Error::new_spanned(
                    &value,
                    format!("the tool name must be a string literal: write {usage}"),
                ));
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                &value,
                format!("the tool name must be a string literal: write {usage}"),
            ));
        }
    };
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new_spanned(
            &lit,
            "the tool name is empty: give a name such as `name = \"my_tool\"`, or remove `name` to use the function's name",
        ));
    }
    if name.is_some() {
        return Err(meta.error("duplicate argument `name`: remove this one"));
    }
    *name = Some(lit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn check(args: TokenStream, func: ItemFn) -> (ToolFn, Vec<String>) {
        let mut errors = Errors::default();
        let tool = ToolFn::parse(args, func, &mut errors);
        tool.validate(&mut errors);
        (tool, errors.messages())
    }

    #[test]
    fn sync_and_async_fns_with_injections_pass() {
        let (tool, errors) = check(
            TokenStream::new(),
            parse_quote! { fn add(a: f64, #[default(1.0)] b: f64, state: State, db: Res<Db>) -> f64 { a + b } },
        );
        assert!(errors.is_empty(), "{errors:?}");
        let roles: Vec<_> = tool.params.iter().map(|p| p.role).collect();
        assert_eq!(roles, [Role::Read, Role::Read, Role::State, Role::Resource]);
        let (tool, errors) = check(
            quote!(name = "sum"),
            parse_quote! { async fn add(a: f64) {} },
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tool.name(), "sum");
        assert!(matches!(tool.output, ToolOutput::Unit));
    }

    #[test]
    fn arguments_docs_fill_parameters_without_their_own() {
        let (tool, _) = check(
            TokenStream::new(),
            parse_quote! {
                /// Adds.
                ///
                /// # Arguments
                /// * `a` - From the list.
                /// * `b` - Not used: `b` has its own.
                fn add(a: f64, /// Its own.
                    b: f64) -> f64 { a + b }
            },
        );
        assert_eq!(tool.params[0].doc, "From the list.");
        assert_eq!(tool.params[1].doc, "Its own.");
    }

    #[test]
    fn mistakes_are_reported_together() {
        let (_, errors) = check(
            quote!(name = "", stream),
            parse_quote! { unsafe fn t<T>(&self, (a, b): (u8, u8), callback: Callback) {} },
        );
        assert_eq!(
            errors,
            [
                "the tool name is empty: give a name such as `name = \"my_tool\"`, or remove `name` to use the function's name",
                "unknown argument `stream` for `#[tool]`: the only argument is `name = \"..\"`",
                "`#[tool]` goes on a free fn, not a method: remove `self` and pass what the tool needs as parameters",
                "`#[tool]` parameters must be plain names, because each name is the argument the LLM fills in: name it, as in `pair: (u8, u8)`, and destructure it in the body",
                "a tool cannot be an `unsafe fn`: a tool set calls it with no way to uphold a safety contract, so remove `unsafe` (an `unsafe` block inside the body is fine)",
                "`#[tool]` functions cannot be generic: parameters are read from the call's arguments at run time, so give them concrete types (`serde_json::Value` takes any JSON)",
                "tools do not stream, so `callback` is not injected into a `#[tool]`: remove it, or make the function a `#[node(stream)]` (to read an argument named `callback`, rename the parameter and add `#[key(\"callback\")]`)",
            ]
        );
    }
}
