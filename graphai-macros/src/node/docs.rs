//! Text the generated code carries: doc comments, and types and expressions
//! as written.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Attribute, Expr, Lit, LitStr, Meta};

/// The text of `///` comments: common indentation removed, blank lines at the
/// ends dropped. Non-literal `#[doc = ..]` attributes are skipped (see [`doc_expr`]).
pub(crate) fn text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(literal_doc)
        .flat_map(|doc| doc.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    unindent(&lines)
}

/// An expression for the whole doc comment: a string literal, or a
/// `concat!` when some `#[doc = ..]` is a macro such as `include_str!`.
pub(crate) fn doc_expr(attrs: &[Attribute]) -> TokenStream {
    // `#[doc(hidden)]` and `#[doc(alias = ..)]` are not text.
    let attrs = attrs.iter().filter(|a| is_text(a));
    if attrs.clone().all(|a| literal_doc(a).is_some()) {
        let attrs: Vec<Attribute> = attrs.cloned().collect();
        return LitStr::new(&text(&attrs), proc_macro2::Span::call_site()).to_token_stream();
    }
    let mut pieces = Vec::new();
    let mut run: Vec<Attribute> = Vec::new();
    for attr in attrs {
        if literal_doc(attr).is_some() {
            run.push(attr.clone());
            continue;
        }
        if !run.is_empty() {
            pieces.push(text(&run).to_token_stream());
            run.clear();
        }
        if let Meta::NameValue(nv) = &attr.meta {
            pieces.push(nv.value.to_token_stream());
        }
    }
    if !run.is_empty() {
        pieces.push(text(&run).to_token_stream());
    }
    let mut joined = Vec::with_capacity(pieces.len() * 2);
    for (i, piece) in pieces.into_iter().enumerate() {
        if i > 0 {
            joined.push(quote!("\n"));
        }
        joined.push(piece);
    }
    quote!(::core::concat!(#(#joined),*))
}

/// Whether every doc text attribute of `attrs` is a string literal (no
/// `#[doc = include_str!(..)]`), so the whole text is known here.
pub(crate) fn all_literal(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| is_text(a))
        .all(|a| literal_doc(a).is_some())
}

/// Whether `attr` is doc text (`///` or `#[doc = ..]`), not `#[doc(hidden)]`.
pub(crate) fn is_text(attr: &Attribute) -> bool {
    matches!(&attr.meta, Meta::NameValue(nv) if nv.path.is_ident("doc"))
}

fn literal_doc(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn unindent(lines: &[String]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let stripped: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    let first = stripped.iter().position(|l| !l.is_empty());
    let last = stripped.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(first), Some(last)) => stripped[first..=last].join("\n"),
        _ => String::new(),
    }
}

/// A doc comment split into the description and its `# Arguments` list.
///
/// The section starts at a heading `# Arguments` (any level; `# Parameters`
/// too) and runs to the next heading. Each entry is a list item
/// `` * `name` - text `` (`-` bullets and `:` after the name work too);
/// lines under an item continue it. Returns the doc without the section and
/// the `(name, text)` entries in order.
pub(crate) fn split_arguments(doc: &str) -> (String, Vec<(String, String)>) {
    let mut kept: Vec<&str> = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut in_section = false;
    let mut in_code = false;
    for line in doc.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
        }
        // `# hidden` lines of a code example are not headings.
        if let Some(heading) = heading(trimmed).filter(|_| !in_code) {
            in_section = heading.eq_ignore_ascii_case("arguments")
                || heading.eq_ignore_ascii_case("parameters");
            if in_section {
                continue;
            }
        }
        if !in_section {
            kept.push(line);
            continue;
        }
        if let Some((name, text)) = argument_item(trimmed) {
            entries.push((name, text));
        } else if let (Some((_, text)), false) = (entries.last_mut(), trimmed.is_empty()) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(trimmed);
        }
    }
    let description = unindent(&kept.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>());
    (description, entries)
}

/// The title of a Markdown heading line (`# Arguments` -> `Arguments`).
fn heading(line: &str) -> Option<&str> {
    let title = line.trim_start_matches('#');
    (title.len() < line.len() && title.starts_with(' ')).then(|| title.trim())
}

/// `` * `name` - text ``, `` - `name`: text `` or `* name - text`.
fn argument_item(line: &str) -> Option<(String, String)> {
    let rest = line
        .strip_prefix("* ")
        .or_else(|| line.strip_prefix("- "))?
        .trim_start();
    let (name, rest) = match rest.strip_prefix('`') {
        Some(quoted) => {
            let end = quoted.find('`')?;
            (&quoted[..end], &quoted[end + 1..])
        }
        None => {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    let name = name.strip_prefix("r#").unwrap_or(name);
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let text = rest.trim_start();
    let text = text
        .strip_prefix("- ")
        .or_else(|| text.strip_prefix(':'))
        .or_else(|| text.strip_prefix('-'))
        .unwrap_or(text);
    Some((name.to_owned(), text.trim().to_owned()))
}

/// `tokens` printed the way a person writes them: `Option<Vec<String>>`,
/// `HashMap<String, u32>`, `"metric".to_string()`.
pub(crate) fn compact_tokens(tokens: TokenStream) -> String {
    let atoms = atoms(tokens);
    let mut out = String::new();
    for (i, atom) in atoms.iter().enumerate() {
        if i > 0 && space_between(&atoms[..i], atom) {
            out.push(' ');
        }
        out.push_str(&atom.text);
    }
    out
}

/// [`compact_tokens`] for text that came from `TokenStream::to_string`.
pub(crate) fn compact(text: &str) -> String {
    text.parse::<TokenStream>()
        .map_or_else(|_| text.to_owned(), compact_tokens)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtomKind {
    Word,
    Op,
    Group(Delimiter),
}

struct Atom {
    kind: AtomKind,
    text: String,
}

/// The operators of more than one character that are printed whole.
const OPERATORS: &[&str] = &[
    "::", "->", "=>", "..", "...", "..=", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=",
    "/=",
];

/// Tokens with joint punctuation merged (`::`, `->`) and lifetimes whole (`'a`).
fn atoms(tokens: TokenStream) -> Vec<Atom> {
    let mut out: Vec<Atom> = Vec::new();
    let mut joint = false;
    for tt in tokens {
        match tt {
            TokenTree::Group(group) if group.delimiter() == Delimiter::None => {
                // An interpolated fragment: its tokens, as if written in place.
                out.extend(atoms(group.stream()));
                joint = false;
            }
            TokenTree::Group(group) => {
                let inner = compact_tokens(group.stream());
                let text = match group.delimiter() {
                    Delimiter::Parenthesis => format!("({inner})"),
                    Delimiter::Bracket => format!("[{inner}]"),
                    Delimiter::Brace if inner.is_empty() => "{}".to_owned(),
                    _ => format!("{{ {inner} }}"),
                };
                out.push(Atom {
                    kind: AtomKind::Group(group.delimiter()),
                    text,
                });
                joint = false;
            }
            TokenTree::Punct(punct) => {
                let ch = punct.as_char();
                match out.last_mut() {
                    Some(last)
                        if joint
                            && last.kind == AtomKind::Op
                            && OPERATORS.contains(&format!("{}{ch}", last.text).as_str()) =>
                    {
                        last.text.push(ch);
                    }
                    _ => out.push(Atom {
                        kind: AtomKind::Op,
                        text: ch.to_string(),
                    }),
                }
                joint = punct.spacing() == Spacing::Joint;
            }
            TokenTree::Ident(ident) => {
                match out.last_mut() {
                    // A lifetime: `'` is joint with the identifier after it.
                    Some(last) if joint && last.text == "'" => {
                        last.kind = AtomKind::Word;
                        last.text.push_str(&ident.to_string());
                    }
                    _ => out.push(Atom {
                        kind: AtomKind::Word,
                        text: ident.to_string(),
                    }),
                }
                joint = false;
            }
            TokenTree::Literal(lit) => {
                out.push(Atom {
                    kind: AtomKind::Word,
                    text: lit.to_string(),
                });
                joint = false;
            }
        }
    }
    out
}

fn space_between(before: &[Atom], next: &Atom) -> bool {
    let Some(prev) = before.last() else {
        return false;
    };
    if next.kind == AtomKind::Op
        && matches!(
            next.text.as_str(),
            "," | ";" | ":" | ">" | "::" | "." | "?" | "<"
        )
    {
        return false;
    }
    // A macro call: `vec!`.
    if prev.kind == AtomKind::Word && next.kind == AtomKind::Op && next.text == "!" {
        return false;
    }
    if prev.kind == AtomKind::Op {
        match prev.text.as_str() {
            "<" | "&" | "::" | "." | "!" | "#" => return false,
            // A unary minus: nothing, or an operator or an opening, before it.
            "-" => {
                let unary =
                    before.len() < 2 || matches!(before[before.len() - 2].kind, AtomKind::Op);
                if unary {
                    return false;
                }
            }
            _ => {}
        }
    }
    if let AtomKind::Group(Delimiter::Parenthesis | Delimiter::Bracket) = next.kind {
        // Calls, indexing, `Fn(..)` and `vec![..]`; a tuple after `,` or `->` keeps its space.
        let call_like = matches!(prev.kind, AtomKind::Word | AtomKind::Group(_))
            || (prev.kind == AtomKind::Op && prev.text == ">");
        return !call_like;
    }
    true
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    #[test]
    fn types_print_as_written() {
        let cases = [
            (quote!(Option<Vec<String>>), "Option<Vec<String>>"),
            (quote!(HashMap<String, u32>), "HashMap<String, u32>"),
            (quote!((u32, u32)), "(u32, u32)"),
            (quote!([u8; 4]), "[u8; 4]"),
            (quote!(&'static str), "&'static str"),
            (
                quote!(Box<dyn std::error::Error + Send + Sync>),
                "Box<dyn std::error::Error + Send + Sync>",
            ),
            (quote!(::serde_json::Value), "::serde_json::Value"),
            (quote!(Box<dyn Fn(u32) -> u32>), "Box<dyn Fn(u32) -> u32>"),
        ];
        for (tokens, expected) in cases {
            assert_eq!(compact_tokens(tokens), expected);
        }
    }

    #[test]
    fn expressions_print_as_written() {
        let cases = [
            (quote!("metric".to_string()), "\"metric\".to_string()"),
            (quote!(vec![1, 2]), "vec![1, 2]"),
            (quote!(-1), "-1"),
            (quote!(2 - 1), "2 - 1"),
            (quote!(Vec::<u8>::new()), "Vec::<u8>::new()"),
            (
                quote!(std::time::Duration::from_secs(3)),
                "std::time::Duration::from_secs(3)",
            ),
            (quote!(Point { x: 1 }), "Point { x: 1 }"),
        ];
        for (tokens, expected) in cases {
            assert_eq!(compact_tokens(tokens), expected);
        }
    }

    #[test]
    fn doc_comments_lose_the_leading_space_and_blank_ends() {
        let item: syn::ItemFn = parse_quote! {
            ///
            /// Looks up the weather.
            ///
            ///     indented code
            ///
            fn f() {}
        };
        assert_eq!(
            text(&item.attrs),
            "Looks up the weather.\n\n    indented code"
        );
        let empty: syn::ItemFn = parse_quote! { fn f() {} };
        assert_eq!(text(&empty.attrs), "");
    }

    #[test]
    fn doc_hidden_is_not_text() {
        let item: syn::ItemFn = parse_quote! {
            /// Text.
            #[doc(hidden)]
            /// More.
            fn f() {}
        };
        assert_eq!(
            doc_expr(&item.attrs).to_string(),
            quote!("Text.\nMore.").to_string()
        );
    }

    #[test]
    fn the_arguments_section_is_split_off() {
        let doc = "Looks up the weather.\n\n# Arguments\n\n* `city` - The city.\n* `days` - How many days,\n  counting today.\n- `units`: metric or imperial\n* plain - no backticks\n\n# Examples\n\nweather(..)";
        let (description, entries) = split_arguments(doc);
        assert_eq!(
            description,
            "Looks up the weather.\n\n# Examples\n\nweather(..)"
        );
        assert_eq!(
            entries,
            [
                ("city".to_owned(), "The city.".to_owned()),
                (
                    "days".to_owned(),
                    "How many days, counting today.".to_owned()
                ),
                ("units".to_owned(), "metric or imperial".to_owned()),
                ("plain".to_owned(), "no backticks".to_owned()),
            ]
        );
        let (description, entries) = split_arguments("No list here.\n\n## Parameters\n* `x` - X.");
        assert_eq!(description, "No list here.");
        assert_eq!(entries, [("x".to_owned(), "X.".to_owned())]);
        assert_eq!(split_arguments("#hashtag").0, "#hashtag");
        let code = "Intro.\n```\n# Arguments\n```";
        assert_eq!(split_arguments(code), (code.to_owned(), Vec::new()));
    }

    #[test]
    fn macro_docs_become_a_concat() {
        let item: syn::ItemFn = parse_quote! {
            /// Intro.
            #[doc = include_str!("x.md")]
            fn f() {}
        };
        assert_eq!(
            doc_expr(&item.attrs).to_string(),
            quote!(::core::concat!("Intro.", "\n", include_str!("x.md"))).to_string()
        );
    }
}
