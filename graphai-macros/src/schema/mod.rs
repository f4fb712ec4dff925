//! `#[derive(FunctionSchema)]`: parse -> validate -> expand.
//!
//! On a struct with named fields it implements `graphai::StructSchema` (one
//! parameter per field: GraphAI's `FunctionSchema.from_pydantic`) and
//! `schemars::JsonSchema` (the object the fields describe), so the struct
//! nests in the schema of any node or tool that takes it. On an enum of unit
//! variants it implements `JsonSchema` (a string, one of the variants' names).
//! serde's renames, defaults and skips are honoured; options that reshape the
//! JSON (`flatten`, `tag`, `with`, ..) are an error that says to derive
//! `schemars::JsonSchema` instead.

mod serde_attrs;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, parse_quote};

use crate::errors::Errors;
use crate::node::docs;
use crate::node::expand::param_infos;
use crate::node::parse::{Param, Role};
use crate::node::schema::{SchemaNeed, SchemaSpec, signature_text};
use serde_attrs::{ContainerAttrs, MemberAttrs};

/// Expands `#[derive(FunctionSchema)]` on `input`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut errors = Errors::default();
    let item = SchemaItem::parse(&input, &mut errors);
    match (errors.finish(), item) {
        (Ok(()), Some(item)) => item.expand(),
        (Err(err), _) => err.to_compile_error(),
        (Ok(()), None) => TokenStream::new(),
    }
}

/// The type being derived, understood.
struct SchemaItem {
    ident: Ident,
    docs: Vec<Attribute>,
    shape: Shape,
}

enum Shape {
    Struct {
        /// The fields the JSON holds (skipped ones left out), as parameters.
        fields: Vec<Param>,
        closed: bool,
    },
    /// The serialized names of the variants.
    Enum(Vec<String>),
}

impl SchemaItem {
    fn parse(input: &DeriveInput, errors: &mut Errors) -> Option<Self> {
        let ident = input.ident.clone();
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &input.generics,
                "`#[derive(FunctionSchema)]` does not take generic types: derive `schemars::JsonSchema` on a generic type instead (it works as a parameter just the same)",
            ));
            return None;
        }
        let docs: Vec<Attribute> = input
            .attrs
            .iter()
            .filter(|a| docs::is_text(a))
            .cloned()
            .collect();
        let container = ContainerAttrs::parse(&input.attrs, errors);
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => {
                    let mut fields = Vec::new();
                    for field in &named.named {
                        let Some(ident) = field.ident.clone() else {
                            continue;
                        };
                        let attrs = MemberAttrs::parse(&field.attrs, errors);
                        if attrs.skip {
                            continue;
                        }
                        fields.push(field_param(&input.ident, ident, field, attrs, &container));
                    }
                    Shape::Struct {
                        fields,
                        closed: container.deny_unknown_fields,
                    }
                }
                other => {
                    errors.push(syn::Error::new_spanned(
                        other,
                        "`#[derive(FunctionSchema)]` goes on a struct with named fields (each field is a parameter): name the fields, or derive `schemars::JsonSchema` for this shape",
                    ));
                    return None;
                }
            },
            Data::Enum(data) => {
                let mut names = Vec::new();
                for variant in &data.variants {
                    if !matches!(variant.fields, Fields::Unit) {
                        errors.push(syn::Error::new_spanned(
                            &variant.fields,
                            format!(
                                "`#[derive(FunctionSchema)]` on an enum takes unit variants only (the JSON is one of their names), but `{}` has fields: derive `schemars::JsonSchema` for an enum with data",
                                variant.ident
                            ),
                        ));
                        continue;
                    }
                    let attrs = MemberAttrs::parse(&variant.attrs, errors);
                    if attrs.skip {
                        continue;
                    }
                    let name = variant.ident.unraw().to_string();
                    names.push(attrs.rename.unwrap_or_else(|| {
                        container
                            .rename_all
                            .map_or_else(|| name.clone(), |rule| rule.variant(&name))
                    }));
                }
                Shape::Enum(names)
            }
            Data::Union(data) => {
                errors.push(syn::Error::new(
                    data.union_token.span,
                    "`#[derive(FunctionSchema)]` goes on a struct with named fields or an enum of unit variants, not a union",
                ));
                return None;
            }
        };
        Some(Self { ident, docs, shape })
    }

    fn expand(&self) -> TokenStream {
        let ident = &self.ident;
        let name = ident.unraw().to_string();
        let description = docs::text(&self.docs);
        let json_schema = match &self.shape {
            Shape::Struct { fields, closed } => {
                let infos = param_infos(fields);
                let spec = SchemaSpec {
                    member: "field",
                    owner: &format!("`{name}`"),
                    name: &name,
                    description: quote!(#description),
                    signature: signature_text(fields, &name),
                    output: name.clone(),
                    params: fields,
                    params_path: quote! {{
                        const PARAMS: &[::graphai::ParamInfo] = &[#(#infos),*];
                        PARAMS
                    }},
                    need: SchemaNeed::Required,
                };
                let schema = spec.expr();
                let schema = if *closed {
                    quote!(#schema.closed())
                } else {
                    schema
                };
                let struct_impl = quote! {
                    impl ::graphai::__private::StructSchema for #ident {
                        const FUNCTION_SCHEMA: ::graphai::__private::FunctionSchema = #schema;
                    }
                };
                let body = quote! {
                    ::graphai::__private::struct_json_schema(
                        &<Self as ::graphai::__private::StructSchema>::FUNCTION_SCHEMA,
                        generator,
                    )
                };
                (struct_impl, body)
            }
            Shape::Enum(values) => (
                TokenStream::new(),
                quote! {
                    let _ = generator;
                    ::graphai::__private::enum_json_schema(#description, &[#(#values),*])
                },
            ),
        };
        let (struct_impl, body) = json_schema;
        let cow = quote!(::std::borrow::Cow<'static, str>);
        quote! {
            #struct_impl

            impl ::graphai::__private::schemars::JsonSchema for #ident {
                fn schema_name() -> #cow {
                    ::std::borrow::Cow::Borrowed(#name)
                }

                fn schema_id() -> #cow {
                    ::std::borrow::Cow::Borrowed(::core::concat!(::core::module_path!(), "::", #name))
                }

                fn json_schema(
                    generator: &mut ::graphai::__private::schemars::SchemaGenerator,
                ) -> ::graphai::__private::schemars::Schema {
                    #body
                }
            }
        }
    }
}

/// A field as a parameter: its serialized name as the key, its default, its docs.
fn field_param(
    owner: &Ident,
    ident: Ident,
    field: &syn::Field,
    attrs: MemberAttrs,
    container: &ContainerAttrs,
) -> Param {
    let rust_name = ident.unraw().to_string();
    let serialized = attrs.rename.unwrap_or_else(|| {
        container
            .rename_all
            .map_or_else(|| rust_name.clone(), |rule| rule.field(&rust_name))
    });
    let span = Span::call_site();
    let key_attr: Attribute = parse_quote!(#[key]);
    let key = (serialized != rust_name).then(|| (key_attr, LitStr::new(&serialized, span)));
    let default_text = attrs.default.or_else(|| {
        container
            .default
            .then(|| format!("{}::default().{rust_name}", owner.unraw()))
    });
    let default = default_text.map(|text| {
        let attr: Attribute = parse_quote!(#[default]);
        // The text is only shown (in the signature and `Parameter::default`);
        // a verbatim expression keeps it as written.
        let expr = syn::Expr::Verbatim(text.parse().unwrap_or_else(|_| text.to_token_stream()));
        (attr, expr)
    });
    let field_docs: Vec<Attribute> = field
        .attrs
        .iter()
        .filter(|a| docs::is_text(a))
        .cloned()
        .collect();
    Param {
        ident,
        ty: field.ty.clone(),
        role: Role::Read,
        default,
        key,
        doc: docs::text(&field_docs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: DeriveInput) -> (Option<SchemaItem>, Vec<String>) {
        let mut errors = Errors::default();
        let item = SchemaItem::parse(&input, &mut errors);
        (item, errors.messages())
    }

    #[test]
    fn fields_follow_serde_names_defaults_and_skips() {
        let (item, errors) = parse(parse_quote! {
            /// A user.
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            struct User {
                /// The first name.
                first_name: String,
                #[serde(default)]
                age_years: u32,
                #[serde(rename = "nick")]
                nickname: Option<String>,
                #[serde(skip)]
                cache: u8,
                #[serde(default = "ten")]
                score: u8,
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let Some(SchemaItem {
            shape: Shape::Struct { fields, closed },
            ..
        }) = item
        else {
            panic!("a struct");
        };
        assert!(closed);
        let keys: Vec<_> = fields.iter().map(Param::key).collect();
        assert_eq!(keys, ["firstName", "ageYears", "nick", "score"]);
        assert_eq!(fields[0].doc, "The first name.");
        assert!(fields[1].default.is_some() && fields[0].default.is_none());
        assert_eq!(
            signature_text(&fields, "User"),
            "(firstName: String, ageYears: u32 = Default::default(), nick: Option<String>, score: u8 = ten()) -> User"
        );
    }

    #[test]
    fn unit_enums_use_variant_names() {
        let (item, errors) = parse(parse_quote! {
            #[serde(rename_all = "snake_case")]
            enum Unit { Celsius, #[serde(rename = "F")] Fahrenheit, VeryCold, #[serde(skip)] Hidden }
        });
        assert!(errors.is_empty(), "{errors:?}");
        match item.map(|i| i.shape) {
            Some(Shape::Enum(names)) => assert_eq!(names, ["celsius", "F", "very_cold"]),
            _ => panic!("an enum"),
        }
    }

    #[test]
    fn shapes_it_cannot_describe_are_errors() {
        let (_, errors) = parse(parse_quote! { struct P(u32, u32); });
        assert!(
            errors[0].starts_with("`#[derive(FunctionSchema)]` goes on a struct with named fields")
        );
        let (_, errors) = parse(parse_quote! { struct G<T> { t: T } });
        assert!(errors[0].contains("does not take generic types"));
        let (_, errors) = parse(parse_quote! { enum E { A(u8), B } });
        assert!(errors[0].contains("but `A` has fields"), "{errors:?}");
        let (_, errors) = parse(parse_quote! {
            #[serde(tag = "type")]
            struct S { #[serde(flatten)] inner: Inner, #[serde(rename_all = "nope")] x: u8 }
        });
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("cannot describe `#[serde(tag)]`"));
        assert!(errors[1].contains("cannot describe `#[serde(flatten)]`"));
        let (_, errors) =
            parse(parse_quote! { #[serde(rename_all = "Title Case")] struct S { x: u8 } });
        assert!(
            errors[0].starts_with("unknown `rename_all` rule \"Title Case\""),
            "{errors:?}"
        );
    }
}
