//! IR to tokens. Nothing here fails: `parse` and `validate` said every "no".
//!
//! For `#[node] pub async fn search(query: String) -> Value { .. }` this emits
//! - `pub struct search {}`: braced, so it lives only in the type namespace and a
//!   `let search` or parameter `search` elsewhere stays a plain binding;
//! - `impl search { pub async fn call(query: String) -> Value { .. } }`: the body;
//! - `impl graphai::Node for search`: name, flags, parameters, and
//!   `invoke_in`, which binds the parameters from the run state and puts the
//!   future that calls `call` in the run's slot (`invoke` boxes the same);
//! - `pub fn search() -> graphai::NodeDef`: the node as a value for the builder.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::Kind;
use super::docs;
use super::parse::{NodeFn, Output, Param, Role, result_args};
use super::schema::{self, SchemaNeed, SchemaSpec, escape_braces};

impl NodeFn {
    /// The node's items.
    pub(crate) fn expand(&self) -> TokenStream {
        let items = self.common_items();
        let schema = self.schema_items();
        let node_impl = self.node_impl(&self.param_infos(), &self.invoke_body(), &schema);
        quote!(#items #node_impl)
    }

    /// What is emitted when the node has errors: the errors, and items of the
    /// same shape so that code using the node does not report more errors.
    pub(crate) fn fallback(&self, errors: &syn::Error) -> TokenStream {
        let errors = errors.to_compile_error();
        if self.func.sig.receiver().is_some() {
            // A method: the function stays in its `impl`, where a struct cannot go.
            let func = &self.func;
            return quote!(#errors #func);
        }
        let items = self.common_items();
        let (ctx, slot) = (ctx_ident(), slot_ident());
        let node_impl = self.node_impl(
            &[],
            &quote!({
                let _ = (#ctx, #slot);
            }),
            &TokenStream::new(),
        );
        quote!(#errors #items #node_impl)
    }

    /// The struct, its `call`, and the `NodeDef` function.
    fn common_items(&self) -> TokenStream {
        let func = &self.func;
        let ident = &func.sig.ident;
        let vis = &func.vis;
        let cfgs = &self.cfgs;
        let docs = &self.docs;
        let name = self.name();

        let call_attrs = func.attrs.iter().filter(|a| !a.path().is_ident("cfg"));
        let call_doc = (!self.docs.iter().any(docs::is_text)).then(|| {
            let doc = format!(
                "Runs the body of the `{name}` node directly, without a graph (for unit tests)."
            );
            quote!(#[doc = #doc])
        });
        let mut call_sig = func.sig.clone();
        call_sig.ident = Ident::new("call", ident.span());
        let block = &func.block;

        let def_doc = format!(
            "The `{name}` node as a value: pass it to `Graph::add_node` and to edges. Its body is `{ident}::call`."
        );

        // The struct and the function are spanned at the user's name, so lints
        // (`missing_docs`, `dead_code`) point there. The struct is a type-level
        // name, never constructed: the function speaks for the node in lints.
        let node_struct = quote_spanned! {ident.span()=>
            #(#cfgs)*
            #(#docs)*
            #[allow(non_camel_case_types, dead_code, unreachable_pub)]
            #vis struct #ident {}
        };
        let doc_flags = self.docs.iter().filter(|a| !docs::is_text(a));
        let node_fn = quote_spanned! {ident.span()=>
            #(#cfgs)*
            #(#doc_flags)*
            #[doc = #def_doc]
            #[must_use]
            #vis fn #ident() -> ::graphai::NodeDef {
                ::graphai::NodeDef::of::<#ident>()
            }
        };
        quote! {
            #node_struct

            #(#cfgs)*
            impl #ident {
                #(#call_attrs)*
                #call_doc
                // `#[node]` asks for an `async fn` even when the body does not await.
                // An unused node is reported once, on the function below.
                #[allow(clippy::unused_async, dead_code, unreachable_pub)]
                #vis #call_sig #block
            }

            #node_fn
        }
    }

    /// `SCHEMA` and `RESOURCES`, for the `Node` impl.
    fn schema_items(&self) -> TokenStream {
        let output = match &self.output {
            Output::Plain(ty) | Output::Fallible(ty) => Some(ty),
            Output::Missing(_) => None,
        };
        let name = self.name();
        let output = output.map_or_else(String::new, |ty| docs::compact_tokens(quote!(#ty)));
        let spec = SchemaSpec {
            member: "parameter",
            owner: &format!("node `{name}`"),
            name: &name,
            description: schema::description_expr(&self.docs),
            signature: schema::signature_text(&self.params, &output),
            output,
            params: &self.params,
            params_path: quote!(<Self as ::graphai::Node>::PARAMS),
            need: SchemaNeed::Probe,
        };
        let schema = spec.expr();
        let resources = schema::resources_expr(&self.params);
        quote! {
            const SCHEMA: ::graphai::__private::FunctionSchema = #schema;
            const RESOURCES: &'static [::graphai::__private::ResourceInfo] = #resources;
        }
    }

    fn node_impl(
        &self,
        params: &[TokenStream],
        invoke_body: &TokenStream,
        schema: &TokenStream,
    ) -> TokenStream {
        let ident = &self.func.sig.ident;
        let cfgs = &self.cfgs;
        let name = self.name();
        let doc = docs::doc_expr(&self.docs);
        let is_start = self.args.start.is_some();
        let is_end = self.args.end.is_some();
        let is_stream = self.args.stream.is_some();
        let is_router = self.kind == Kind::Router;
        let ctx = ctx_ident();
        let slot = slot_ident();
        let policy = self.policy();
        let interrupt = self
            .params
            .iter()
            .any(|p| p.role == Role::Interrupt)
            .then(|| {
                quote!(
                    const TAKES_INTERRUPT: bool = true;
                )
            });
        quote! {
            #(#cfgs)*
            impl ::graphai::Node for #ident {
                #policy
                #interrupt
                const NAME: &'static str = #name;
                const DOC: &'static str = #doc;
                const IS_START: bool = #is_start;
                const IS_END: bool = #is_end;
                const IS_STREAM: bool = #is_stream;
                const IS_ROUTER: bool = #is_router;
                const PARAMS: &'static [::graphai::ParamInfo] = &[#(#params),*];
                #schema

                fn invoke(#ctx: ::graphai::Context<'_>) -> ::graphai::NodeFuture<'_> {
                    let mut #slot = ::graphai::__private::NodeSlot::boxing();
                    <Self as ::graphai::Node>::invoke_in(#ctx, &mut #slot);
                    #slot.into_boxed(<Self as ::graphai::Node>::NAME)
                }

                fn invoke_in<'__graphai_a>(
                    #ctx: ::graphai::Context<'__graphai_a>,
                    #slot: &mut ::graphai::__private::NodeSlot<'__graphai_a>,
                ) {
                    #invoke_body
                }
            }
        }
    }

    /// `const POLICY` when `retries` or `timeout` was given.
    fn policy(&self) -> Option<TokenStream> {
        if self.args.retries.is_none() && self.args.timeout.is_none() {
            return None;
        }
        let retries = self.args.retries.map(|n| quote!(.retries(#n)));
        let timeout = self
            .args
            .timeout
            .map(|nanos| quote!(.timeout(::graphai::__private::Duration::from_nanos(#nanos))));
        Some(quote! {
            const POLICY: ::graphai::__private::Policy =
                ::graphai::__private::Policy::new() #retries #timeout;
        })
    }

    pub(crate) fn param_infos(&self) -> Vec<TokenStream> {
        param_infos(&self.params)
    }
}

/// The `ParamInfo` of each parameter read from the run state (or arguments).
pub(crate) fn param_infos(params: &[Param]) -> Vec<TokenStream> {
    params
        .iter()
        .filter(|p| p.role == Role::Read)
        .map(|param| {
            let name = param.name();
            let key = param.key();
            let ty = &param.ty;
            let ty = docs::compact_tokens(quote!(#ty));
            let required = param.default.is_none() && param.option_inner().is_none();
            let default = match &param.default {
                Some((_, expr)) => {
                    let text = docs::compact_tokens(quote!(#expr));
                    quote!(::core::option::Option::Some(#text))
                }
                None => quote!(::core::option::Option::None),
            };
            let doc = &param.doc;
            quote! {
                ::graphai::ParamInfo {
                    name: #name,
                    key: #key,
                    ty: #ty,
                    required: #required,
                    default: #default,
                    doc: #doc,
                }
            }
        })
        .collect()
}

impl NodeFn {
    /// `invoke_in`: bind every parameter, then put the future that calls the
    /// body and turns its return into the output.
    ///
    /// The parameters are bound before the future is made, so that the
    /// future holds the bound values and the node's name, not the
    /// `Context`: a small future is cheap to move into its slot. A binding
    /// that fails puts its error in the slot instead.
    fn invoke_body(&self) -> TokenStream {
        let ctx = ctx_ident();
        let slot = slot_ident();
        let binder = Ident::new("__graphai_binder", Span::mixed_site());
        let node_var = Ident::new("__graphai_node", Span::mixed_site());
        let node = self.name();
        let owner = format!("node `{node}`");
        let mut helpers = Vec::new();
        let mut reads = Vec::new();
        let mut read_vars = Vec::new();
        let mut injections = Vec::new();
        let mut all_vars = Vec::new();

        for (index, param) in self.params.iter().enumerate() {
            let var = format_ident!("__graphai_arg{}", index, span = Span::mixed_site());
            all_vars.push(var.clone());
            let ty = &param.ty;
            match param.role {
                Role::Callback => injections.push(quote! {
                    let #var = ::graphai::__private::inject_callback::<#ty>(&#ctx);
                }),
                Role::State => injections.push(quote! {
                    let #var = ::graphai::__private::inject_state::<#ty>(&#ctx);
                }),
                Role::Interrupt => injections.push(quote! {
                    let #var = ::graphai::__private::inject_interrupt::<#ty>(&#ctx);
                }),
                Role::Resource => {
                    let (helper, inject) = schema::inject_resource(index, param, &owner, &ctx);
                    helpers.push(helper);
                    injections.push(quote! {
                        let #var = match #inject {
                            ::core::result::Result::Ok(value) => value,
                            ::core::result::Result::Err(error) => return #slot.fail(error),
                        };
                    });
                }
                Role::Read => {
                    let (helper, read) = read_param(index, param, self.kind, &owner, &binder);
                    helpers.push(helper);
                    reads.push(quote!(let #var = #read;));
                    read_vars.push(var);
                }
            }
        }

        let bind = (!read_vars.is_empty()).then(|| {
            quote! {
                let (#(#read_vars,)*) = {
                    let mut #binder = ::graphai::__private::Binder::new(&#ctx);
                    #(#reads)*
                    match (#(#read_vars,)*) {
                        (#(::core::option::Option::Some(#read_vars),)*) => (#(#read_vars,)*),
                        _ => return #slot.fail(#binder.into_error()),
                    }
                };
            }
        });

        // rustc explains a future that is not `Send` (which value, held across
        // which `.await`) when a bound asks for it; the caret goes on `async`.
        let async_span = self
            .func
            .sig
            .asyncness
            .map_or_else(Span::call_site, |a| a.span);
        let send = quote! {
            fn __graphai_send<F: ::core::future::Future + ::core::marker::Send>(future: F) -> F {
                future
            }
        };
        let future = quote_spanned!(async_span=> Self::call(#(#all_vars),*));
        let call = quote!(__graphai_send(#future).await);
        let (output_helpers, finish) = self.output(&node, &node_var, &call);
        let body = quote_spanned! {async_span=>
            #slot.put(async move {
                #finish
            })
        };
        quote! {
            #(#helpers)*
            #output_helpers
            #send
            #bind
            #(#injections)*
            let #node_var: &str = #ctx.node();
            #body
        }
    }

    /// Items that check the return type (with messages naming the node), and
    /// the expression that turns `call`'s value into the node's output
    /// (`node_var` holds the running node's name).
    fn output(
        &self,
        node: &str,
        node_var: &Ident,
        call: &TokenStream,
    ) -> (TokenStream, TokenStream) {
        let (ret, fallible) = match &self.output {
            Output::Plain(ty) => (ty, false),
            Output::Fallible(ty) => (ty, true),
            // `validate` rejected this; `expand` never sees it.
            Output::Missing(_) => return (TokenStream::new(), TokenStream::new()),
        };
        let node_lit = escape_braces(node);
        let map = quote!(::graphai::__private::SlotResult);
        let (ok_ty, err_ty) = if fallible {
            let (ok, err) = result_args(ret);
            (ok.unwrap_or(ret), err.unwrap_or(ret))
        } else {
            (ret, ret)
        };
        // The checks' errors land on the user's type: the argument carries its
        // span (with macro hygiene).
        let ok_span = Span::mixed_site().located_at(ok_ty.span());
        let output_fn = Ident::new("__graphai_output", Span::mixed_site());
        let value = Ident::new("__graphai_value", ok_span);
        let output_message = format!(
            "node `{node_lit}` returns `{{Self}}`, which does not implement `serde::Serialize`"
        );
        let output_note = "return a `serde_json::Value` object, a `Map<String, Value>`, or a struct with `#[derive(serde::Serialize)]`; a `Result` is recognised when its type is spelled `Result<..>`";
        let output_items = quote! {
            #[diagnostic::on_unimplemented(
                message = #output_message,
                label = "a node's output is merged into the run state, so it must implement `serde::Serialize`",
                note = #output_note,
            )]
            #[allow(non_camel_case_types)]
            trait __graphai_Output: ::graphai::__private::NodeOutput {}
            impl<T: ::graphai::__private::NodeOutput> __graphai_Output for T {}
            fn #output_fn<T: __graphai_Output>(node: &str, value: T) -> #map {
                ::graphai::__private::output(node, value)
            }
        };
        if !fallible {
            let finish = quote! {{
                let #value = #call;
                #output_fn(#node_var, #value)
            }};
            return (output_items, finish);
        }
        let err_span = Span::mixed_site().located_at(err_ty.span());
        let error_fn = Ident::new("__graphai_error", Span::mixed_site());
        let error = Ident::new("__graphai_error_value", err_span);
        let error_message = format!(
            "node `{node_lit}` fails with `{{Self}}`, which does not convert into `graphai::Error`"
        );
        let items = quote! {
            #output_items
            #[diagnostic::on_unimplemented(
                message = #error_message,
                label = "a node's error becomes the `source` of `GraphError::Node`",
                note = "use `graphai::Error`, `anyhow::Error`, or a type that implements `std::error::Error + Send + Sync + 'static`",
            )]
            #[allow(non_camel_case_types)]
            trait __graphai_Error: ::core::convert::Into<::graphai::Error> {}
            impl<E: ::core::convert::Into<::graphai::Error>> __graphai_Error for E {}
            fn #error_fn<E: __graphai_Error>(node: &str, error: E) -> #map {
                ::graphai::__private::fallible_output::<::graphai::Value, E>(
                    node,
                    ::core::result::Result::Err(error),
                )
            }
        };
        let finish = quote! {
            match #call {
                ::core::result::Result::Ok(#value) => #output_fn(#node_var, #value),
                ::core::result::Result::Err(#error) => #error_fn(#node_var, #error),
            }
        };
        (items, finish)
    }
}

/// The trait and function that read parameter `index`, and the expression that
/// calls the function. The trait's diagnostic names the parameter and the node.
pub(crate) fn read_param(
    index: usize,
    param: &Param,
    kind: Kind,
    owner: &str,
    binder: &Ident,
) -> (TokenStream, TokenStream) {
    let name = param.name();
    let key = param.key();
    let source = kind.source();
    let trait_ident = format_ident!("__graphai_param_{}", name);
    let read_ident = format_ident!("__graphai_read{}", index);
    let message = format!(
        "parameter `{name}` of {} cannot be read from {source}: `{{Self}}` does not implement `serde::Deserialize`",
        escape_braces(owner)
    );
    let label =
        format!("`{name}` is read from {source}, so its type must implement `serde::Deserialize`");
    let mut notes = vec![
        "derive it with `#[derive(serde::Deserialize)]`, or take a `serde_json::Value` and convert it in the body".to_owned(),
    ];
    let read_ty = param.option_inner().unwrap_or(&param.ty);
    for (injected, param_name) in [("Callback", "callback"), ("State", "state")] {
        if super::parse::last_segment_is(read_ty, injected) {
            notes.push(format!(
                "a `graphai::{injected}` is injected only into a parameter named `{param_name}`: rename `{name}` to `{param_name}`"
            ));
        }
    }
    if super::parse::resource_inner(read_ty).is_some() {
        notes.push(format!(
            "a `Res<T>` is injected only when it is the parameter's whole type: declare `{name}: Res<T>`"
        ));
    }
    let bound = quote!(::graphai::__private::FromState);
    let (helper_fn, call) = if let Some(inner) = param.option_inner() {
        (
            quote! {
                fn #read_ident<T: #trait_ident>(
                    binder: &mut ::graphai::__private::Binder<'_, '_>,
                    key: &'static str,
                ) -> ::core::option::Option<::core::option::Option<T>> {
                    binder.optional::<T>(key)
                }
            },
            quote!(#read_ident::<#inner>(&mut #binder, #key)),
        )
    } else if let Some((_, expr)) = &param.default {
        let ty = &param.ty;
        (
            quote! {
                fn #read_ident<T: #trait_ident, F: ::core::ops::FnOnce() -> T>(
                    binder: &mut ::graphai::__private::Binder<'_, '_>,
                    key: &'static str,
                    default: F,
                ) -> ::core::option::Option<T> {
                    binder.or_default::<T>(key, default)
                }
            },
            quote!(#read_ident::<#ty, _>(&mut #binder, #key, || #expr)),
        )
    } else {
        let ty = &param.ty;
        (
            quote! {
                fn #read_ident<T: #trait_ident>(
                    binder: &mut ::graphai::__private::Binder<'_, '_>,
                    key: &'static str,
                ) -> ::core::option::Option<T> {
                    binder.required::<T>(key)
                }
            },
            quote!(#read_ident::<#ty>(&mut #binder, #key)),
        )
    };
    let helper = quote! {
        #[diagnostic::on_unimplemented(message = #message, label = #label, #(note = #notes,)*)]
        #[allow(non_camel_case_types)]
        trait #trait_ident: #bound {}
        impl<T: #bound> #trait_ident for T {}
        #helper_fn
    };
    (helper, call)
}

/// The `Context` parameter of `invoke`, invisible to the user's code.
pub(crate) fn ctx_ident() -> Ident {
    Ident::new("__graphai_ctx", Span::mixed_site())
}

/// The `NodeSlot` parameter of a generated `invoke_in`.
fn slot_ident() -> Ident {
    Ident::new("__graphai_slot", Span::mixed_site())
}
