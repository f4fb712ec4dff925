//! The parts of the expansion that nodes and tools share: the function
//! schema, the `Res<T>` list, and the injection of resources.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Ident};

use super::docs;
use super::parse::{Param, Role};

/// How a parameter's JSON Schema is found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemaNeed {
    /// Use `JsonSchema` when the type has it, else accept anything (nodes).
    Probe,
    /// The type must implement `JsonSchema`: a compile error otherwise (tools).
    Required,
}

/// The description: the doc comment without its `# Arguments` section, as an
/// expression (a `concat!` when some `#[doc]` is a macro; then it is whole).
pub(crate) fn description_expr(doc_attrs: &[Attribute]) -> TokenStream {
    if docs::all_literal(doc_attrs) {
        let (description, _) = docs::split_arguments(&docs::text(doc_attrs));
        quote!(#description)
    } else {
        docs::doc_expr(doc_attrs)
    }
}

/// `(city: String, days: u32 = 3) -> Value`: the parameters an LLM fills in
/// (by argument name), with defaults, and the return type as written.
pub(crate) fn signature_text(params: &[Param], output: &str) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter(|p| p.role == Role::Read)
        .map(|p| {
            let ty = &p.ty;
            let ty = docs::compact_tokens(quote!(#ty));
            match &p.default {
                Some((_, expr)) => {
                    format!(
                        "{}: {ty} = {}",
                        p.key(),
                        docs::compact_tokens(quote!(#expr))
                    )
                }
                None => format!("{}: {ty}", p.key()),
            }
        })
        .collect();
    format!("({}) -> {output}", parts.join(", "))
}

/// What the `FunctionSchema` of a node or tool is made of.
pub(crate) struct SchemaSpec<'a> {
    /// What a parameter is called in messages: "parameter", "field".
    pub(crate) member: &'static str,
    /// `node `n`` or `tool `t``, for messages.
    pub(crate) owner: &'a str,
    pub(crate) name: &'a str,
    pub(crate) description: TokenStream,
    pub(crate) signature: String,
    pub(crate) output: String,
    pub(crate) params: &'a [Param],
    /// The `&[ParamInfo]` the schema describes.
    pub(crate) params_path: TokenStream,
    pub(crate) need: SchemaNeed,
}

impl SchemaSpec<'_> {
    /// The `FunctionSchema` expression: a block with one schema fn per read
    /// parameter, and `FunctionSchema::new(..)`.
    pub(crate) fn expr(&self) -> TokenStream {
        let SchemaSpec {
            member,
            owner,
            name,
            description,
            signature,
            output,
            params,
            params_path,
            need,
        } = self;
        let need = *need;
        let mut items = Vec::new();
        let mut fns = Vec::new();
        for (index, param) in params.iter().filter(|p| p.role == Role::Read).enumerate() {
            let schema_fn = format_ident!("__graphai_schema{}", index, span = Span::mixed_site());
            let schema_ty = &param.ty;
            let generator = quote!(::graphai::__private::schemars::SchemaGenerator);
            let schema = quote!(::graphai::__private::schemars::Schema);
            let body = match need {
                SchemaNeed::Probe => quote! {
                    #[allow(unused_imports)]
                    use ::graphai::__private::{ViaJsonSchema as _, ViaNoSchema as _};
                    (&::graphai::__private::SchemaProbe::<#schema_ty>::new()).probe(generator)
                },
                SchemaNeed::Required => {
                    let check_trait = format_ident!("__graphai_schema_{}", param.name());
                    let check_fn = format_ident!("__graphai_check_schema{}", index);
                    let pname = param.name();
                    let message = format!(
                        "{member} `{pname}` of {} has no JSON schema: `{{Self}}` does not implement `schemars::JsonSchema`",
                        escape_braces(owner)
                    );
                    let label = format!(
                        "an LLM is told the type of every {member}, so the type of `{pname}` must implement `JsonSchema`"
                    );
                    let note = "derive it with `#[derive(graphai::FunctionSchema)]` (a struct or an enum of unit variants) or with schemars' `#[derive(JsonSchema)]`, or take a `serde_json::Value`";
                    items.push(quote! {
                    #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                    #[allow(non_camel_case_types)]
                    trait #check_trait: ::graphai::__private::schemars::JsonSchema {}
                    impl<T: ?::core::marker::Sized + ::graphai::__private::schemars::JsonSchema> #check_trait for T {}
                    fn #check_fn<T: ?::core::marker::Sized + #check_trait>(
                        generator: &mut #generator,
                    ) -> ::core::option::Option<#schema> {
                        ::graphai::__private::schema_of::<T>(generator)
                    }
                });
                    quote!(#check_fn::<#schema_ty>(generator))
                }
            };
            items.push(quote! {
                fn #schema_fn(generator: &mut #generator) -> ::core::option::Option<#schema> {
                    #body
                }
            });
            fns.push(schema_fn);
        }
        let types = Ident::new("__GRAPHAI_TYPES", Span::mixed_site());
        quote! {{
            #(#items)*
            const #types: &[::graphai::__private::SchemaFn] = &[#(#fns),*];
            ::graphai::__private::FunctionSchema::new(
                #name,
                #description,
                #signature,
                #output,
                #params_path,
                #types,
            )
        }}
    }
}

/// The `&[ResourceInfo]` of the `Res<T>` parameters.
pub(crate) fn resources_expr(params: &[Param]) -> TokenStream {
    let infos = params
        .iter()
        .filter(|p| p.role == Role::Resource)
        .filter_map(|p| p.resource_inner().map(|inner| (p, inner)))
        .map(|(param, inner)| {
            let name = param.name();
            let ty = &param.ty;
            let ty = docs::compact_tokens(quote!(#ty));
            quote! {
                ::graphai::__private::ResourceInfo {
                    param: #name,
                    ty: #ty,
                    type_name: ::graphai::__private::type_name_of::<#inner>,
                    type_id: ::graphai::__private::type_id_of::<#inner>,
                }
            }
        });
    quote!(&[#(#infos),*])
}

/// The helper items and the expression that injects the resource parameter
/// `param` (a `Result`: the error names a resource the run does not serve).
/// The helper's trait says, naming the parameter, when the type cannot be a
/// resource.
pub(crate) fn inject_resource(
    index: usize,
    param: &Param,
    owner: &str,
    ctx: &Ident,
) -> (TokenStream, TokenStream) {
    let Some(inner) = param.resource_inner() else {
        return (TokenStream::new(), TokenStream::new());
    };
    let name = param.name();
    let check_trait = format_ident!("__graphai_resource_{}", name);
    let inject_fn = format_ident!("__graphai_inject{}", index);
    let message = format!(
        "`{{Self}}` cannot be a resource: parameter `{name}` of {} takes `Res<{{Self}}>`, and resources must be `Send + Sync + 'static`",
        escape_braces(owner)
    );
    let label = "resources are shared by every run, also concurrent ones, so this type must be `Send + Sync + 'static`";
    let note = "own the data (no borrowed references), and wrap what is not thread-safe: `Arc<Mutex<T>>` instead of `Rc<RefCell<T>>`";
    let res = quote!(::graphai::__private::Res<T>);
    let helper = quote! {
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #[allow(non_camel_case_types)]
        trait #check_trait: ::graphai::__private::ResourceType {}
        impl<T: ::graphai::__private::ResourceType> #check_trait for T {}
        fn #inject_fn<T: #check_trait>(
            ctx: &::graphai::__private::Context<'_>,
            parameter: &'static str,
        ) -> ::core::result::Result<#res, ::graphai::GraphError> {
            ::graphai::__private::inject_resource::<T>(ctx, parameter)
        }
    };
    (helper, quote!(#inject_fn::<#inner>(&#ctx, #name)))
}

/// `text` for a diagnostic message, where `{` and `}` are format syntax.
pub(crate) fn escape_braces(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}
