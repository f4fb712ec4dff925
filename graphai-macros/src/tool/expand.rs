//! IR to tokens for `#[tool]`. Nothing here fails.
//!
//! For `#[tool] pub fn add(a: f64, b: f64) -> f64 { .. }` this emits
//! - `pub struct add {}` (braced: it lives only in the type namespace);
//! - `impl add { pub fn call(a: f64, b: f64) -> f64 { .. } }`: the body;
//! - `impl graphai::Tool for add`: `SCHEMA`, `RESOURCES`, and `invoke`, which
//!   binds the arguments and calls `call`;
//! - `pub fn add() -> graphai::ToolDef`: the tool as a value for a `ToolSet`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{ToolFn, ToolOutput};
use crate::node::Kind;
use crate::node::docs;
use crate::node::expand::{ctx_ident, param_infos, read_param};
use crate::node::parse::{Role, result_args};
use crate::node::schema::{self, SchemaNeed, SchemaSpec, escape_braces};

impl ToolFn {
    /// The tool's items.
    pub(crate) fn expand(&self) -> TokenStream {
        let items = self.common_items();
        let tool_impl = self.tool_impl(&self.schema_items(), &self.invoke_body());
        quote!(#items #tool_impl)
    }

    /// The errors, and items of the same shape so that code using the tool
    /// does not report more errors.
    pub(crate) fn fallback(&self, errors: &syn::Error) -> TokenStream {
        let errors = errors.to_compile_error();
        if self.func.sig.receiver().is_some() {
            let func = &self.func;
            return quote!(#errors #func);
        }
        let items = self.common_items();
        let name = self.name();
        let schema = quote! {
            const SCHEMA: ::graphai::__private::FunctionSchema =
                ::graphai::__private::FunctionSchema::new(#name, "", "", "", &[], &[]);
            const RESOURCES: &'static [::graphai::__private::ResourceInfo] = &[];
        };
        let tool_impl = self.tool_impl(
            &schema,
            &quote!(::std::boxed::Box::pin(::core::future::pending())),
        );
        quote!(#errors #items #tool_impl)
    }

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
                "Runs the body of the `{name}` tool directly, without a tool set (for unit tests)."
            );
            quote!(#[doc = #doc])
        });
        let mut call_sig = func.sig.clone();
        call_sig.ident = Ident::new("call", ident.span());
        let block = &func.block;
        let def_doc = format!(
            "The `{name}` tool as a value: pass it to `ToolSet::add`. Its body is `{ident}::call`."
        );
        let doc_flags = self.docs.iter().filter(|a| !docs::is_text(a));
        quote! {
            #(#cfgs)*
            #(#docs)*
            #[allow(non_camel_case_types, dead_code, unreachable_pub)]
            #vis struct #ident {}

            #(#cfgs)*
            impl #ident {
                #(#call_attrs)*
                #call_doc
                #[allow(clippy::unused_async, dead_code, unreachable_pub)]
                #vis #call_sig #block
            }

            #(#cfgs)*
            #(#doc_flags)*
            #[doc = #def_doc]
            #[must_use]
            #vis fn #ident() -> ::graphai::ToolDef {
                ::graphai::ToolDef::of::<#ident>()
            }
        }
    }

    fn schema_items(&self) -> TokenStream {
        let name = self.name();
        let output = match &self.output {
            ToolOutput::Plain(ty) | ToolOutput::Fallible(ty) => Some(ty),
            ToolOutput::Unit => None,
        };
        let infos = param_infos(&self.params);
        let output = output.map_or_else(|| "()".to_owned(), |ty| docs::compact_tokens(quote!(#ty)));
        let spec = SchemaSpec {
            member: "parameter",
            owner: &format!("tool `{name}`"),
            name: &name,
            description: schema::description_expr(&self.docs),
            signature: schema::signature_text(&self.params, &output),
            output,
            params: &self.params,
            params_path: quote! {{
                const PARAMS: &[::graphai::ParamInfo] = &[#(#infos),*];
                PARAMS
            }},
            need: SchemaNeed::Required,
        };
        let schema = spec.expr();
        let resources = schema::resources_expr(&self.params);
        quote! {
            const SCHEMA: ::graphai::__private::FunctionSchema = #schema;
            const RESOURCES: &'static [::graphai::__private::ResourceInfo] = #resources;
        }
    }

    fn tool_impl(&self, schema: &TokenStream, invoke_body: &TokenStream) -> TokenStream {
        let ident = &self.func.sig.ident;
        let cfgs = &self.cfgs;
        let ctx = ctx_ident();
        quote! {
            #(#cfgs)*
            impl ::graphai::__private::Tool for #ident {
                #schema

                fn invoke(#ctx: ::graphai::__private::Context<'_>) -> ::graphai::__private::ToolFuture<'_> {
                    #invoke_body
                }
            }
        }
    }

    fn invoke_body(&self) -> TokenStream {
        let ctx = ctx_ident();
        let binder = Ident::new("__graphai_binder", Span::mixed_site());
        let owner = format!("tool `{}`", self.name());
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
                // `validate` rejected a callback and an interrupt.
                Role::Callback | Role::Interrupt => {}
                Role::State => injections.push(quote! {
                    let #var = ::graphai::__private::inject_state::<#ty>(&#ctx);
                }),
                Role::Resource => {
                    let (helper, inject) = schema::inject_resource(index, param, &owner, &ctx);
                    helpers.push(helper);
                    injections.push(quote!(let #var = #inject?;));
                }
                Role::Read => {
                    let (helper, read) = read_param(index, param, Kind::Tool, &owner, &binder);
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
                        _ => return ::core::result::Result::Err(#binder.into_error()),
                    }
                };
            }
        });
        let sig = &self.func.sig;
        let (call, send) = match sig.asyncness {
            Some(asyncness) => {
                let future = quote_spanned!(asyncness.span=> Self::call(#(#all_vars),*));
                let send = quote! {
                    fn __graphai_send<F: ::core::future::Future + ::core::marker::Send>(future: F) -> F {
                        future
                    }
                };
                (quote!(__graphai_send(#future).await), send)
            }
            None => (quote!(Self::call(#(#all_vars),*)), TokenStream::new()),
        };
        let (output_items, finish) = self.output(&ctx, &call);
        quote! {
            #(#helpers)*
            #output_items
            #send
            ::std::boxed::Box::pin(async move {
                #bind
                #(#injections)*
                #finish
            })
        }
    }

    /// Items that check the return type (naming the tool), and the expression
    /// that turns `call`'s value into the tool's result.
    fn output(&self, ctx: &Ident, call: &TokenStream) -> (TokenStream, TokenStream) {
        let tool = escape_braces(&self.name());
        let value_ty = quote!(::core::result::Result<::graphai::Value, ::graphai::GraphError>);
        let (ret, fallible) = match &self.output {
            ToolOutput::Unit => {
                let finish = quote! {{
                    #call;
                    ::core::result::Result::Ok(::graphai::Value::Null)
                }};
                return (TokenStream::new(), finish);
            }
            ToolOutput::Plain(ty) => (ty, false),
            ToolOutput::Fallible(ty) => (ty, true),
        };
        let (ok_ty, err_ty) = if fallible {
            let (ok, err) = result_args(ret);
            (ok.unwrap_or(ret), err.unwrap_or(ret))
        } else {
            (ret, ret)
        };
        let ok_span = Span::mixed_site().located_at(ok_ty.span());
        let output_fn = Ident::new("__graphai_output", Span::mixed_site());
        let value = Ident::new("__graphai_value", ok_span);
        let output_message = format!(
            "tool `{tool}` returns `{{Self}}`, which does not implement `serde::Serialize`"
        );
        let output_items = quote! {
            #[diagnostic::on_unimplemented(
                message = #output_message,
                label = "a tool's result is shown to the LLM as JSON, so it must implement `serde::Serialize`",
                note = "return a `String`, a number, a `serde_json::Value`, or a type with `#[derive(serde::Serialize)]`; a `Result` is recognised when its type is spelled `Result<..>`",
            )]
            #[allow(non_camel_case_types)]
            trait __graphai_Output: ::graphai::__private::NodeOutput {}
            impl<T: ::graphai::__private::NodeOutput> __graphai_Output for T {}
            fn #output_fn<T: __graphai_Output>(tool: &str, value: T) -> #value_ty {
                ::graphai::__private::tool_output(tool, value)
            }
        };
        if !fallible {
            let finish = quote! {{
                let #value = #call;
                #output_fn(#ctx.node(), #value)
            }};
            return (output_items, finish);
        }
        let err_span = Span::mixed_site().located_at(err_ty.span());
        let error_fn = Ident::new("__graphai_error", Span::mixed_site());
        let error = Ident::new("__graphai_error_value", err_span);
        let error_message = format!(
            "tool `{tool}` fails with `{{Self}}`, which does not convert into `graphai::Error`"
        );
        let items = quote! {
            #output_items
            #[diagnostic::on_unimplemented(
                message = #error_message,
                label = "a tool's error becomes the `source` of `ToolError::Failed`",
                note = "use `graphai::Error`, `anyhow::Error`, `String`, or a type that implements `std::error::Error + Send + Sync + 'static`",
            )]
            #[allow(non_camel_case_types)]
            trait __graphai_Error: ::core::convert::Into<::graphai::Error> {}
            impl<E: ::core::convert::Into<::graphai::Error>> __graphai_Error for E {}
            fn #error_fn<E: __graphai_Error>(tool: &str, error: E) -> #value_ty {
                ::graphai::__private::fallible_tool_output::<::graphai::Value, E>(
                    tool,
                    ::core::result::Result::Err(error),
                )
            }
        };
        let finish = quote! {
            match #call {
                ::core::result::Result::Ok(#value) => #output_fn(#ctx.node(), #value),
                ::core::result::Result::Err(#error) => #error_fn(#ctx.node(), #error),
            }
        };
        (items, finish)
    }
}
