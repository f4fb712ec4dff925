//! Syntax to IR: the function, its parameters and its return type.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ItemFn, LitStr, Meta, Pat, PathArguments,
    ReturnType, Type,
};

use super::Kind;
use super::args::NodeArgs;
use super::docs;
use crate::errors::Errors;

/// A function marked `#[node]` or `#[router]`, understood.
pub(crate) struct NodeFn {
    pub(crate) kind: Kind,
    pub(crate) args: NodeArgs,
    /// The user's function, with our parameter attributes removed.
    pub(crate) func: ItemFn,
    /// The user's `#[doc]` attributes.
    pub(crate) docs: Vec<Attribute>,
    /// The user's `#[cfg]` attributes: every generated item carries them.
    pub(crate) cfgs: Vec<Attribute>,
    /// The parameters, in declaration order (receivers and patterns are left out).
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
}

/// One parameter of the function.
pub(crate) struct Param {
    /// The name it binds in the body.
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) role: Role,
    /// `#[default(expr)]`, with the attribute (for errors).
    pub(crate) default: Option<(Attribute, Expr)>,
    /// `#[key("..")]`, with the attribute (for errors).
    pub(crate) key: Option<(Attribute, LitStr)>,
    /// The `///` comment written on the parameter.
    pub(crate) doc: String,
}

/// How a parameter gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Read from the run state.
    Read,
    /// `callback`: the streaming callback, injected.
    Callback,
    /// `state`: the graph's shared state, injected.
    State,
    /// `x: Res<T>` (any name): a resource, injected.
    Resource,
    /// `x: Interrupt` (any name): asks a person, injected.
    Interrupt,
}

/// What the function returns.
pub(crate) enum Output {
    /// No `->`: the span just after the parameter list.
    Missing(Span),
    /// A type that is not spelled `Result<..>`.
    Plain(Type),
    /// `Result<..>` (any path ending in `Result`): errors become the node's error.
    Fallible(Type),
}

impl Param {
    /// The parameter's name as the user wrote it, without `r#`.
    pub(crate) fn name(&self) -> String {
        self.ident.unraw().to_string()
    }

    /// The run-state key it is read from.
    pub(crate) fn key(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|| self.name(), |(_, key)| key.value())
    }

    /// `T` when the type is spelled `Res<T>`.
    pub(crate) fn resource_inner(&self) -> Option<&Type> {
        resource_inner(&self.ty)
    }

    /// `T` when the type is spelled `Option<T>`.
    pub(crate) fn option_inner(&self) -> Option<&Type> {
        last_segment_args(&self.ty, "Option").and_then(|args| match args.as_slice() {
            [GenericArgument::Type(inner)] => Some(inner),
            _ => None,
        })
    }
}

impl NodeFn {
    /// Understands `func`, recording every mistake of syntax in `errors`.
    /// Semantic rules are [`NodeFn::validate`]'s.
    pub(crate) fn parse(
        args: TokenStream,
        mut func: ItemFn,
        kind: Kind,
        errors: &mut Errors,
    ) -> Self {
        let args = NodeArgs::parse(args, kind, errors);
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
        let mut params = parse_params(&mut func, kind, errors);
        fill_argument_docs(&docs, &mut params);
        let output = match &func.sig.output {
            ReturnType::Default => Output::Missing(func.sig.paren_token.span.close()),
            ReturnType::Type(_, ty) if last_segment_is(ty, "Result") => {
                Output::Fallible((**ty).clone())
            }
            ReturnType::Type(_, ty) => Output::Plain((**ty).clone()),
        };
        Self {
            kind,
            args,
            func,
            docs,
            cfgs,
            params,
            output,
        }
    }

    /// The node's name in the graph: `name = ".."`, else the function's name.
    pub(crate) fn name(&self) -> String {
        self.args
            .name
            .as_ref()
            .map_or_else(|| self.func.sig.ident.unraw().to_string(), LitStr::value)
    }

    /// The parameter named `callback`, if any.
    pub(crate) fn callback(&self) -> Option<&Param> {
        self.params.iter().find(|p| p.role == Role::Callback)
    }
}

/// The parameters of `func`, with our attributes removed from it. A `self`
/// receiver and patterns are reported and left out.
pub(crate) fn parse_params(func: &mut ItemFn, kind: Kind, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    let free_fn = if kind == Kind::Tool {
        "fn"
    } else {
        "`async fn`"
    };
    for arg in &mut func.sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new(
                receiver.self_token.span,
                format!(
                    "{} goes on a free {free_fn}, not a method: remove `self` and pass what the {} needs as parameters",
                    kind.attr(),
                    kind.what(),
                ),
            )),
            FnArg::Typed(typed) => {
                let ours = take_our_attrs(&mut typed.attrs);
                if let Some(param) = Param::parse(typed, ours, kind, errors) {
                    params.push(param);
                }
            }
        }
    }
    params
}

/// Gives each parameter without a `///` comment its entry in the function
/// doc's `# Arguments` list, if there is one.
pub(crate) fn fill_argument_docs(docs: &[Attribute], params: &mut [Param]) {
    let (_, entries) = docs::split_arguments(&docs::text(docs));
    for param in params.iter_mut().filter(|p| p.doc.is_empty()) {
        let name = param.name();
        if let Some((_, text)) = entries.iter().find(|(n, _)| *n == name) {
            param.doc.clone_from(text);
        }
    }
}

/// The attributes `#[node]` reads on a parameter, removed from it.
struct OurAttrs {
    default: Vec<Attribute>,
    key: Vec<Attribute>,
    docs: Vec<Attribute>,
}

fn take_our_attrs(attrs: &mut Vec<Attribute>) -> OurAttrs {
    let mut ours = OurAttrs {
        default: Vec::new(),
        key: Vec::new(),
        docs: Vec::new(),
    };
    attrs.retain(|attr| {
        let slot = if attr.path().is_ident("default") {
            &mut ours.default
        } else if attr.path().is_ident("key") {
            &mut ours.key
        } else if attr.path().is_ident("doc") {
            &mut ours.docs
        } else {
            return true;
        };
        slot.push(attr.clone());
        false
    });
    ours
}

impl Param {
    fn parse(
        typed: &syn::PatType,
        ours: OurAttrs,
        kind: Kind,
        errors: &mut Errors,
    ) -> Option<Self> {
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            pat => {
                let ty = quote::ToTokens::to_token_stream(&typed.ty).to_string();
                let why = if kind == Kind::Tool {
                    "each name is the argument the LLM fills in: name it, as in"
                } else {
                    "each name is the run-state key it is read from: name it after its key, as in"
                };
                errors.push(syn::Error::new_spanned(
                    pat,
                    format!(
                        "{} parameters must be plain names, because {why} `pair: {}`, and destructure it in the body",
                        kind.attr(),
                        docs::compact(&ty),
                    ),
                ));
                return None;
            }
        };
        let role = match ident.to_string().as_str() {
            "callback" => Role::Callback,
            "state" => Role::State,
            _ if resource_inner(&typed.ty).is_some() => Role::Resource,
            _ if is_interrupt(&typed.ty) => Role::Interrupt,
            _ => Role::Read,
        };
        let default = one_attr(&ours.default, errors).and_then(|attr| {
            let expr = match &attr.meta {
                Meta::List(list) if !list.tokens.is_empty() => errors.ok(list.parse_args::<Expr>()),
                _ => {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[default]` needs the value to use when the key is missing: write `#[default(value)]`, for example `#[default(3)]`",
                    ));
                    None
                }
            };
            expr.map(|e| (attr.clone(), e))
        });
        let key = one_attr(&ours.key, errors).and_then(|attr| {
            let key = match &attr.meta {
                Meta::List(list) => list.parse_args::<LitStr>().ok(),
                _ => None,
            };
            match key {
                Some(key) if !key.value().is_empty() => Some((attr.clone(), key)),
                _ => {
                    // `#[key(summary)]`: the user meant the string.
                    let written = match &attr.meta {
                        Meta::List(list) => syn::parse2::<Ident>(list.tokens.clone()).ok(),
                        _ => None,
                    };
                    let example = written.map_or_else(|| "summary".to_owned(), |i| i.to_string());
                    errors.push(syn::Error::new_spanned(
                        attr,
                        format!(
                            "`#[key]` needs the run-state key to read, as a non-empty string: write `#[key(\"{example}\")]`"
                        ),
                    ));
                    None
                }
            }
        });
        Some(Self {
            ident,
            ty: (*typed.ty).clone(),
            role,
            default,
            key,
            doc: docs::text(&ours.docs),
        })
    }
}

/// The first of `attrs`, with an error on every repeat.
fn one_attr<'a>(attrs: &'a [Attribute], errors: &mut Errors) -> Option<&'a Attribute> {
    for repeat in attrs.iter().skip(1) {
        let name = repeat
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        errors.push(syn::Error::new_spanned(
            repeat,
            format!("duplicate `#[{name}]` on one parameter: keep one"),
        ));
    }
    attrs.first()
}

/// Whether `ty` is a path whose last segment is `name` (`Result`, `anyhow::Result`).
pub(crate) fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name),
        Type::Group(group) => last_segment_is(&group.elem, name),
        Type::Paren(paren) => last_segment_is(&paren.elem, name),
        _ => false,
    }
}

/// `T` and `E` of a return type spelled `Result<T, E>`; `E` is `None` for an
/// alias such as `graphai::Result<T>`.
pub(crate) fn result_args(ty: &Type) -> (Option<&Type>, Option<&Type>) {
    let args = last_segment_args(ty, "Result").unwrap_or_default();
    let mut types = args.into_iter().filter_map(|arg| match arg {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    (types.next(), types.next())
}

/// `T` when `ty` is spelled `Res<T>` (any path ending in `Res`).
/// Whether the type is spelled `Interrupt` (any path ending so, no arguments).
pub(crate) fn is_interrupt(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Interrupt" && s.arguments.is_none()),
        Type::Group(group) => is_interrupt(&group.elem),
        Type::Paren(paren) => is_interrupt(&paren.elem),
        _ => false,
    }
}

pub(crate) fn resource_inner(ty: &Type) -> Option<&Type> {
    last_segment_args(ty, "Res").and_then(|args| match args.as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    })
}

/// The generic arguments of the last segment when it is `name`.
fn last_segment_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a GenericArgument>> {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            let segment = path.path.segments.last()?;
            if segment.ident != name {
                return None;
            }
            match &segment.arguments {
                PathArguments::AngleBracketed(args) => Some(args.args.iter().collect()),
                _ => None,
            }
        }
        Type::Group(group) => last_segment_args(&group.elem, name),
        Type::Paren(paren) => last_segment_args(&paren.elem, name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn parse(args: TokenStream, func: ItemFn) -> (NodeFn, Vec<String>) {
        let mut errors = Errors::default();
        let node = NodeFn::parse(args, func, Kind::Node, &mut errors);
        (node, errors.messages())
    }

    #[test]
    fn reads_parameters_roles_and_attributes() {
        let (node, errors) = parse(
            quote!(stream),
            parse_quote! {
                async fn weather(
                    city: String,
                    #[default(3)] days: u32,
                    units: Option<String>,
                    #[key("summary")] text: String,
                    callback: Callback,
                    state: State,
                ) -> Value { json!({}) }
            },
        );
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = node.params.iter().map(Param::name).collect();
        assert_eq!(
            names,
            ["city", "days", "units", "text", "callback", "state"]
        );
        let roles: Vec<_> = node.params.iter().map(|p| p.role).collect();
        assert_eq!(
            roles,
            [
                Role::Read,
                Role::Read,
                Role::Read,
                Role::Read,
                Role::Callback,
                Role::State
            ]
        );
        assert!(node.params[1].default.is_some());
        assert!(node.params[2].option_inner().is_some());
        assert!(node.params[0].option_inner().is_none());
        assert_eq!(node.params[3].key(), "summary");
        assert_eq!(node.params[0].key(), "city");
        assert!(matches!(node.output, Output::Plain(_)));
        // Our attributes are removed from the function that is re-emitted.
        let sig = &node.func.sig;
        assert!(sig.inputs.iter().all(|arg| match arg {
            FnArg::Typed(t) => t.attrs.is_empty(),
            FnArg::Receiver(_) => false,
        }));
    }

    #[test]
    fn raw_identifiers_lose_their_prefix() {
        let (node, errors) = parse(
            TokenStream::new(),
            parse_quote! { async fn r#type(r#match: String) -> Value { v } },
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(node.name(), "type");
        assert_eq!(node.params[0].key(), "match");
    }

    #[test]
    fn the_name_argument_wins() {
        let (node, _) = parse(
            quote!(name = "weather"),
            parse_quote! { async fn get_weather() -> Value { v } },
        );
        assert_eq!(node.name(), "weather");
    }

    #[test]
    fn recognises_result_by_its_last_segment() {
        for ty in [
            quote!(graphai::Result<Value>),
            quote!(anyhow::Result<Value>),
            quote!(Result<Value, MyError>),
            quote!(::std::result::Result<Map<String, Value>, Box<dyn Error + Send + Sync>>),
        ] {
            let (node, _) = parse(
                TokenStream::new(),
                parse_quote! { async fn n() -> #ty { v } },
            );
            assert!(matches!(node.output, Output::Fallible(_)), "{ty}");
        }
        let (node, _) = parse(TokenStream::new(), parse_quote! { async fn n() { } });
        assert!(matches!(node.output, Output::Missing(_)));
    }

    #[test]
    fn reports_receivers_and_patterns() {
        let (node, errors) = parse(
            TokenStream::new(),
            parse_quote! { async fn n(&self, (a, b): (u32, u32), ref c: u32, ok: u32) -> Value { v } },
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("not a method: remove `self`"));
        assert!(
            errors[1].contains("as in `pair: (u32, u32)`"),
            "{}",
            errors[1]
        );
        assert_eq!(node.params.len(), 1);
    }

    #[test]
    fn reports_malformed_parameter_attributes() {
        let (_, errors) = parse(
            TokenStream::new(),
            parse_quote! {
                async fn n(
                    #[default] a: u32,
                    #[default = 3] b: u32,
                    #[default()] c: u32,
                    #[key] d: u32,
                    #[key("")] e: u32,
                    #[key(other)] f: u32,
                    #[default(1)] #[default(2)] g: u32,
                ) -> Value { v }
            },
        );
        let expected_default = "`#[default]` needs the value to use when the key is missing: write `#[default(value)]`, for example `#[default(3)]`";
        assert_eq!(
            errors,
            [
                expected_default,
                expected_default,
                expected_default,
                "`#[key]` needs the run-state key to read, as a non-empty string: write `#[key(\"summary\")]`",
                "`#[key]` needs the run-state key to read, as a non-empty string: write `#[key(\"summary\")]`",
                "`#[key]` needs the run-state key to read, as a non-empty string: write `#[key(\"other\")]`",
                "duplicate `#[default]` on one parameter: keep one",
            ]
        );
    }

    #[test]
    fn parameter_docs_are_kept_apart() {
        let (node, errors) = parse(
            TokenStream::new(),
            parse_quote! {
                async fn n(
                    /// The city to look up.
                    city: String,
                ) -> Value { v }
            },
        );
        assert!(errors.is_empty());
        assert_eq!(node.params[0].doc, "The city to look up.");
    }
}
