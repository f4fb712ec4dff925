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

#[cfg(test)]
mod tests {
    use proc_macro2::{Spacing, TokenStream, TokenTree};

    const KEYWORDS: [&str; 6] = ["let", "if", "const", "static", "as", "mut"];

    /// Every path in `tokens`, as its segments (`::a::b` as `["", "a", "b"]`).
    fn paths(tokens: TokenStream, found: &mut Vec<Vec<String>>) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let colons = |i: usize| {
            matches!((tokens.get(i), tokens.get(i + 1)),
                (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                    if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
        };
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(group) => paths(group.stream(), found),
                TokenTree::Punct(_) | TokenTree::Ident(_)
                    if colons(i) || matches!(tokens[i], TokenTree::Ident(_)) && colons(i + 1) =>
                {
                    // Inside a path, or a method's turbofish (`.check::<H>`).
                    let continues_one = (i >= 2 && colons(i - 2))
                        || matches!(i.checked_sub(1).map(|p| &tokens[p]), Some(TokenTree::Punct(p)) if p.as_char() == '.');
                    if !continues_one {
                        let mut path = Vec::new();
                        let mut at = i;
                        match &tokens[at] {
                            // A keyword before an absolute path: `let ::core::..`.
                            TokenTree::Ident(ident)
                                if KEYWORDS.contains(&ident.to_string().as_str()) =>
                            {
                                at += 1;
                                path.push(String::new());
                            }
                            TokenTree::Ident(ident) => {
                                path.push(ident.to_string());
                                at += 1;
                            }
                            _ => path.push(String::new()),
                        }
                        while colons(at) {
                            at += 2;
                            // A turbofish `::<..>` ends the path.
                            let Some(TokenTree::Ident(ident)) = tokens.get(at) else {
                                break;
                            };
                            path.push(ident.to_string());
                            at += 1;
                        }
                        // A lone `::` is a turbofish, not a path.
                        if path != [""] {
                            found.push(path);
                        }
                        i = at;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    #[test]
    fn the_expansion_reaches_graphai_only_through_private_and_names_no_relative_path() {
        let input: TokenStream = "max_steps: 3, strict: true, initial_state: { \"a\": 1 }, \
             a -> r => [x, y]; [x, y] -> join(d); d ~> e detached if |o, s| true; d ~> e2;"
            .parse()
            .unwrap();
        let mut found = Vec::new();
        paths(super::expand(input), &mut found);
        assert!(found.len() > 10, "{found:?}");
        for path in found {
            match path.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["", "graphai", "__private", ..] | ["", "core" | "std", ..] => {}
                _ => panic!("the expansion names `{}`", path.join("::")),
            }
        }
    }

    #[test]
    fn paths_finds_relative_and_absolute_paths_but_not_turbofish_or_fields() {
        let tokens: TokenStream = "let ::core::x = Graph::new(); a: ::std::y; w.check::<{ ::graphai::z(1) }>(b); T::of::<u8>()"
            .parse()
            .unwrap();
        let mut found = Vec::new();
        paths(tokens, &mut found);
        let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
        assert_eq!(
            found,
            [
                "::core::x",
                "Graph::new",
                "::std::y",
                "::graphai::z",
                "T::of"
            ]
        );
    }
}
