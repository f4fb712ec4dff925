//! `graph!`: parse the wiring, check what the syntax shows, expand to builder
//! calls behind `const` checks of what the node types say.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<parse::GraphInput>(input).and_then(check::check) {
        Ok(plan) => expand::expand(&plan),
        Err(errors) => fallback(&errors),
    }
}

/// The errors, in an expression of the right type (it never runs: the crate
/// does not compile), so that code using the graph adds no errors of its own.
fn fallback(errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        {
            #errors
            ::graphai::__private::compiled(::graphai::__private::Graph::new().compile())
        }
    }
}
