//! `graph!` syntax -> [`GraphInput`]: settings and chains, with the spans
//! that errors will point at.

use proc_macro2::{Delimiter, Group, Span, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, Path, Token, bracketed, parenthesized, token};

mod kw {
    syn::custom_keyword!(join);
    syn::custom_keyword!(detached);
}

/// Everything inside `graph! { .. }`, in the order written.
pub(crate) struct GraphInput {
    pub(crate) settings: Vec<Setting>,
    pub(crate) chains: Vec<Chain>,
}

/// `key: value,` before, between or after the chains.
pub(crate) enum Setting {
    /// `max_steps: <expr>`
    MaxSteps { key: Ident, value: Expr },
    /// `strict: true`
    Strict { key: Ident, value: LitBool },
    /// `initial_state: { "key": value, .. }`
    InitialState { key: Ident, value: Group },
}

impl Setting {
    pub(crate) fn key(&self) -> &Ident {
        match self {
            Setting::MaxSteps { key, .. }
            | Setting::Strict { key, .. }
            | Setting::InitialState { key, .. } => key,
        }
    }
}

/// `a -> b => [c, d] -> join(e);`: elements joined by arrows.
pub(crate) struct Chain {
    pub(crate) first: Element,
    pub(crate) links: Vec<Link>,
}

/// One arrow and the element after it.
pub(crate) struct Link {
    pub(crate) arrow: Arrow,
    pub(crate) target: Element,
    /// Only after `~>`.
    pub(crate) options: BranchOptions,
}

#[derive(Clone, Copy)]
pub(crate) enum Arrow {
    /// `->`
    Next([Span; 2]),
    /// `=>`
    Route([Span; 2]),
    /// `~>`
    Branch([Span; 2]),
}

impl Arrow {
    /// The first and last span of the arrow's tokens.
    pub(crate) fn spans(self) -> (Span, Span) {
        match self {
            Arrow::Next([first, last])
            | Arrow::Route([first, last])
            | Arrow::Branch([first, last]) => (first, last),
        }
    }
}

pub(crate) enum Element {
    Node(NodePath),
    /// `[a, b]`
    List {
        span: Span,
        nodes: Vec<NodePath>,
    },
    /// `join(d)`; `spans` are `join` and `)`.
    Join {
        spans: (Span, Span),
        node: NodePath,
    },
}

/// A node as written: `search`, `tools::search`, `crate::tools::search`.
#[derive(Clone)]
pub(crate) struct NodePath {
    pub(crate) path: Path,
    /// `tools::search`, for messages and to tell nodes apart.
    pub(crate) text: String,
}

impl NodePath {
    /// The first and last span of the path's tokens, so that an error can
    /// underline all of it.
    pub(crate) fn spans(&self) -> (Span, Span) {
        let first = match &self.path.leading_colon {
            Some(colon) => colon.spans[0],
            None => self.path.segments[0].ident.span(),
        };
        (first, self.last().span())
    }

    pub(crate) fn last(&self) -> &Ident {
        &self.path.segments[self.path.segments.len() - 1].ident
    }
}

/// `detached` and `if <condition>` after the destination of a `~>`.
#[derive(Default)]
pub(crate) struct BranchOptions {
    pub(crate) detached: bool,
    pub(crate) condition: Option<Expr>,
    /// Where options were written, to reject them after other arrows.
    pub(crate) span: Option<Span>,
}

const SETTINGS: &str = "expected one of `max_steps`, `strict`, `initial_state`";
const ELEMENT: &str =
    "expected a node (the name or path of a `#[node]` function), a list `[a, b]`, or `join(d)`";
const AFTER_ELEMENT: &str = "expected `->`, `=>`, `~>` or `;`";

impl Parse for GraphInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut settings = Vec::new();
        let mut chains = Vec::new();
        while !input.is_empty() {
            if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
                settings.push(input.parse()?);
            } else {
                chains.push(input.parse()?);
            }
        }
        Ok(Self { settings, chains })
    }
}

impl Parse for Setting {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let setting = match key.to_string().as_str() {
            "max_steps" => Setting::MaxSteps {
                value: input.parse()?,
                key,
            },
            "strict" => match input.parse::<LitBool>() {
                Ok(value) => Setting::Strict { key, value },
                Err(_) => return Err(input.error("`strict` takes `true` or `false`")),
            },
            "initial_state" => match input.parse::<TokenTree>()? {
                TokenTree::Group(value) if value.delimiter() == Delimiter::Brace => {
                    Setting::InitialState { key, value }
                }
                TokenTree::Ident(json) if json == "json" && input.peek(Token![!]) => {
                    return Err(syn::Error::new(
                        json.span(),
                        "`initial_state` takes the object itself: drop the `json!(..)` around it, as in `initial_state: { \"key\": value }`",
                    ));
                }
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "`initial_state` takes a JSON object written as `json!` takes it: `initial_state: { \"key\": value }`",
                    ));
                }
            },
            _ => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown setting `{key}`: {SETTINGS}"),
                ));
            }
        };
        if !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![;]) {
            return Err(input.error(format!(
                "expected `,` after the `{}` setting",
                setting.key()
            )));
        }
        if !input.peek(Token![;]) {
            input.parse::<Option<Token![,]>>()?;
        } else {
            input.parse::<Token![;]>()?;
        }
        Ok(setting)
    }
}

impl Parse for Chain {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let first = input.parse()?;
        let mut links = Vec::new();
        loop {
            let arrow = if input.peek(Token![->]) {
                Arrow::Next(input.parse::<Token![->]>()?.spans)
            } else if input.peek(Token![=>]) {
                Arrow::Route(input.parse::<Token![=>]>()?.spans)
            } else if input.peek(Token![~]) && input.peek2(Token![>]) {
                let tilde = input.parse::<Token![~]>()?.span;
                Arrow::Branch([tilde, input.parse::<Token![>]>()?.span])
            } else {
                break;
            };
            let target = input.parse()?;
            let options = BranchOptions::parse(input)?;
            let ends = options.span.is_some();
            links.push(Link {
                arrow,
                target,
                options,
            });
            if ends {
                break;
            }
        }
        if input.is_empty() || input.parse::<Option<Token![;]>>()?.is_some() {
            return Ok(Self { first, links });
        }
        let message = match links.last() {
            Some(link) if link.options.condition.is_some() => {
                "expected `;`: a branch condition ends the statement"
            }
            Some(link) if link.options.detached => "expected `if` or `;` after `detached`",
            _ => AFTER_ELEMENT,
        };
        Err(input.error(message))
    }
}

impl Parse for Element {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let span = bracket.span.join();
            let nodes = Punctuated::<NodePath, Token![,]>::parse_terminated(&content)?;
            if nodes.is_empty() {
                return Err(syn::Error::new(
                    span,
                    "an empty list: name at least one node",
                ));
            }
            return Ok(Element::List {
                span,
                nodes: nodes.into_iter().collect(),
            });
        }
        if input.peek(kw::join) && input.peek2(token::Paren) {
            let join = input.parse::<kw::join>()?.span;
            let content;
            let paren = parenthesized!(content in input);
            let node = content.parse()?;
            if !content.is_empty() {
                return Err(content
                    .error("`join(..)` takes one node: the one that runs after the branches"));
            }
            return Ok(Element::Join {
                spans: (join, paren.span.close()),
                node,
            });
        }
        input.parse().map(Element::Node)
    }
}

impl Parse for NodePath {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let starts_path = input.peek(Token![::])
            || input.peek(Ident)
            || input.peek(Token![crate])
            || input.peek(Token![self])
            || input.peek(Token![super]);
        if !starts_path {
            return Err(input.error(ELEMENT));
        }
        let path = input.call(Path::parse_mod_style)?;
        let last = &path.segments[path.segments.len() - 1].ident;
        if ["crate", "self", "super", "Self"].contains(&last.unraw().to_string().as_str())
            && !last.to_string().starts_with("r#")
        {
            return Err(syn::Error::new(
                last.span(),
                format!("expected a node name after `{last}::`"),
            ));
        }
        let text = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect::<Vec<_>>()
            .join("::");
        let text = match path.leading_colon {
            Some(_) => format!("::{text}"),
            None => text,
        };
        Ok(Self { path, text })
    }
}

impl BranchOptions {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Self::default();
        if input.peek(kw::detached) && !input.peek2(Token![::]) {
            options.span = Some(input.parse::<kw::detached>()?.span);
            options.detached = true;
        }
        if input.peek(Token![if]) {
            let if_token = input.parse::<Token![if]>()?;
            options.span.get_or_insert(if_token.span);
            if input.is_empty() || input.peek(Token![;]) {
                return Err(input.error(
                    "expected a condition after `if`: a closure `|output, state| ..` that returns `bool`",
                ));
            }
            options.condition = Some(input.parse()?);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: &str) -> syn::Result<GraphInput> {
        syn::parse_str(tokens)
    }

    fn error(tokens: &str) -> String {
        match parse(tokens) {
            Ok(_) => panic!("`{tokens}` parsed"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn parses_settings_and_chains_in_order() {
        let input = parse(
            "max_steps: 2 * 10, strict: true; initial_state: { \"n\": 1 }, a -> tools::b => [c, d]; c ~> e detached if |o, _| o.is_empty();",
        )
        .unwrap();
        let keys: Vec<String> = input.settings.iter().map(|s| s.key().to_string()).collect();
        assert_eq!(keys, ["max_steps", "strict", "initial_state"]);
        assert_eq!(input.chains.len(), 2);
        let chain = &input.chains[0];
        assert!(matches!(&chain.first, Element::Node(n) if n.text == "a"));
        assert!(matches!(chain.links[0].arrow, Arrow::Next(_)));
        assert!(matches!(&chain.links[0].target, Element::Node(n) if n.text == "tools::b"));
        assert!(matches!(chain.links[1].arrow, Arrow::Route(_)));
        assert!(matches!(&chain.links[1].target, Element::List { nodes, .. } if nodes.len() == 2));
        let branch = &input.chains[1].links[0];
        assert!(matches!(branch.arrow, Arrow::Branch(_)));
        assert!(branch.options.detached);
        assert!(matches!(branch.options.condition, Some(Expr::Closure(_))));
    }

    #[test]
    fn parses_joins_paths_and_a_lone_node() {
        let input = parse("::x::a -> [crate::b, self::c,] -> join(d); only").unwrap();
        let chain = &input.chains[0];
        assert!(matches!(&chain.first, Element::Node(n) if n.text == "::x::a"));
        assert!(
            matches!(&chain.links[0].target, Element::List { nodes, .. } if nodes[0].text == "crate::b" && nodes[1].text == "self::c")
        );
        assert!(matches!(&chain.links[1].target, Element::Join { node, .. } if node.text == "d"));
        assert!(input.chains[1].links.is_empty());
    }

    #[test]
    fn a_node_named_like_a_keyword_of_the_syntax_is_a_node() {
        let input = parse("join -> detached; a ~> detached;").unwrap();
        assert!(matches!(&input.chains[0].first, Element::Node(n) if n.text == "join"));
        let link = &input.chains[1].links[0];
        assert!(matches!(&link.target, Element::Node(n) if n.text == "detached"));
        assert!(!link.options.detached);
    }

    #[test]
    fn says_what_was_expected() {
        assert_eq!(error("a -> 1;"), ELEMENT);
        assert_eq!(error("a b;"), AFTER_ELEMENT);
        assert_eq!(error("a -> b<c>;"), AFTER_ELEMENT);
        assert_eq!(
            error("a ~> b if |o, _| true c;"),
            "expected `;`: a branch condition ends the statement"
        );
        assert_eq!(
            error("a ~> b detached -> c;"),
            "expected `if` or `;` after `detached`"
        );
        assert_eq!(
            error("a ~> b if;"),
            "expected a condition after `if`: a closure `|output, state| ..` that returns `bool`"
        );
        assert_eq!(error("tools::self;"), "expected a node name after `self::`");
        assert_eq!(error("a -> [];"), "an empty list: name at least one node");
        assert_eq!(error("a -> ::;"), "expected identifier");
        assert_eq!(error("a -> tools::;"), "expected path segment after `::`");
        assert_eq!(
            error("[a, b] -> join(c, d);"),
            "`join(..)` takes one node: the one that runs after the branches"
        );
    }

    #[test]
    fn rejects_bad_settings() {
        assert_eq!(
            error("steps: 3, a;"),
            format!("unknown setting `steps`: {SETTINGS}")
        );
        assert_eq!(error("strict: 1, a;"), "`strict` takes `true` or `false`");
        assert!(error("initial_state: json!({}), a;").contains("drop the `json!(..)` around it"));
        assert!(error("initial_state: [1], a;").starts_with("`initial_state` takes a JSON object"));
        assert_eq!(
            error("max_steps: 3 a;"),
            "expected `,` after the `max_steps` setting"
        );
    }
}
