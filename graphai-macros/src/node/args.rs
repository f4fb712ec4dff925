//! The arguments of `#[node(..)]` and `#[router(..)]`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, Lit, LitStr, Token};

use super::Kind;
use crate::errors::Errors;

/// The flags and name written in the attribute, each with where it was written.
#[derive(Default)]
pub(crate) struct NodeArgs {
    pub(crate) start: Option<Span>,
    pub(crate) end: Option<Span>,
    pub(crate) stream: Option<Span>,
    pub(crate) name: Option<LitStr>,
    /// `retries = N`.
    pub(crate) retries: Option<u32>,
    /// `timeout = ".."`, in nanoseconds.
    pub(crate) timeout: Option<u64>,
}

impl NodeArgs {
    /// Parses the attribute's arguments. Every mistake is recorded in `errors`;
    /// the arguments that were understood are kept.
    pub(crate) fn parse(tokens: TokenStream, kind: Kind, errors: &mut Errors) -> Self {
        let mut args = Self::default();
        let mut found = Errors::default();
        let parsed = syn::meta::parser(|meta| {
            let result = args.one(&meta, kind);
            found.ok(result);
            Ok(())
        })
        .parse2(tokens);
        errors.ok(parsed);
        if let Err(e) = found.finish() {
            errors.push(e);
        }
        args
    }

    fn one(&mut self, meta: &ParseNestedMeta<'_>, kind: Kind) -> syn::Result<()> {
        let path = &meta.path;
        let word = path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let slot = match word.as_str() {
            "start" => &mut self.start,
            "end" => &mut self.end,
            "stream" => &mut self.stream,
            "name" => return self.set_name(meta, kind),
            "retries" => return self.set_retries(meta, kind),
            "timeout" => return self.set_timeout(meta, kind),
            _ => {
                skip_value(meta)?;
                let written = quote::ToTokens::to_token_stream(path).to_string();
                return Err(syn::Error::new_spanned(
                    path,
                    format!(
                        "unknown argument `{}` for {}: expected `start`, `end`, `stream`, `name = \"..\"`, `retries = N` or `timeout = \"..\"`",
                        written.replace(' ', ""),
                        kind.attr(),
                    ),
                ));
            }
        };
        if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
            skip_value(meta)?;
            return Err(meta.error(format!(
                "`{word}` is a flag and takes no value: write `{word}`"
            )));
        }
        if slot.is_some() {
            return Err(meta.error(format!("duplicate argument `{word}`: remove this one")));
        }
        *slot = Some(path.span());
        Ok(())
    }

    fn set_name(&mut self, meta: &ParseNestedMeta<'_>, kind: Kind) -> syn::Result<()> {
        let usage = kind.attr_with("name = \"my_node\"");
        if !meta.input.peek(Token![=]) {
            skip_value(meta)?;
            return Err(meta.error(format!("`name` needs a string value: write {usage}")));
        }
        let value: Expr = meta.value()?.parse()?;
        let name = match &value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(s) => s.clone(),
                _ => return Err(not_a_string(&value, &usage)),
            },
            _ => return Err(not_a_string(&value, &usage)),
        };
        if name.value().trim().is_empty() {
            return Err(syn::Error::new_spanned(
                &name,
                "the node name is empty: give a name such as `name = \"my_node\"`, or remove `name` to use the function's name",
            ));
        }
        if self.name.is_some() {
            return Err(meta.error("duplicate argument `name`: remove this one"));
        }
        self.name = Some(name);
        Ok(())
    }
}

impl NodeArgs {
    fn set_retries(&mut self, meta: &ParseNestedMeta<'_>, kind: Kind) -> syn::Result<()> {
        let usage = kind.attr_with("retries = 3");
        if !meta.input.peek(Token![=]) {
            skip_value(meta)?;
            return Err(meta.error(format!(
                "`retries` needs a number of retries: write {usage}"
            )));
        }
        let value: Expr = meta.value()?.parse()?;
        let retries = match &value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => int.base10_parse::<u32>().ok(),
                _ => None,
            },
            _ => None,
        };
        let Some(retries) = retries else {
            return Err(syn::Error::new_spanned(
                &value,
                format!(
                    "`retries` must be a whole number (how many times a failed node runs again): write {usage}"
                ),
            ));
        };
        if self.retries.replace(retries).is_some() {
            return Err(meta.error("duplicate argument `retries`: remove this one"));
        }
        Ok(())
    }

    fn set_timeout(&mut self, meta: &ParseNestedMeta<'_>, kind: Kind) -> syn::Result<()> {
        let usage = kind.attr_with("timeout = \"30s\"");
        if !meta.input.peek(Token![=]) {
            skip_value(meta)?;
            return Err(meta.error(format!("`timeout` needs a duration: write {usage}")));
        }
        let value: Expr = meta.value()?.parse()?;
        let text = match &value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(s) => Some(s.value()),
                _ => None,
            },
            _ => None,
        };
        let nanos = match text.as_deref().map(parse_duration) {
            Some(Ok(nanos)) => nanos,
            Some(Err(problem)) => {
                return Err(syn::Error::new_spanned(
                    &value,
                    format!(
                        "invalid `timeout`: {problem}; write a number and a unit (`ms`, `s`, `m` or `h`), such as {usage}, `\"500ms\"` or `\"1m30s\"`"
                    ),
                ));
            }
            None => {
                return Err(syn::Error::new_spanned(
                    &value,
                    format!("`timeout` must be a string such as `\"30s\"`: write {usage}"),
                ));
            }
        };
        if self.timeout.replace(nanos).is_some() {
            return Err(meta.error("duplicate argument `timeout`: remove this one"));
        }
        Ok(())
    }
}

/// Nanoseconds in a duration such as `"30s"`, `"500ms"`, `"1.5s"` or `"1m30s"`.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("the duration is empty".to_owned());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{text}` does not start with a number where `{rest}` is"
            ));
        }
        let number: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{}` is not a number", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("`{text}` has no unit after `{number}`")),
            other => return Err(format!("`{other}` is not a unit")),
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    if total < 1.0 {
        return Err(format!(
            "`{text}` is zero: a timeout must be longer than that"
        ));
    }
    if total > u64::MAX as f64 {
        return Err(format!("`{text}` is too long"));
    }
    Ok(total as u64)
}

fn not_a_string(value: &Expr, usage: &str) -> syn::Error {
    syn::Error::new_spanned(
        value,
        format!("the node name must be a string literal: write {usage}"),
    )
}

/// Consumes `= expr` or `(..)` after an argument we reject, so parsing can go on
/// to the next argument and report it too.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _group: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(tokens: TokenStream) -> (NodeArgs, Vec<String>) {
        let mut errors = Errors::default();
        let args = NodeArgs::parse(tokens, Kind::Node, &mut errors);
        (args, errors.messages())
    }

    #[test]
    fn reads_every_flag_and_the_name() {
        let (args, errors) = parse(quote!(start, end, stream, name = "weather"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(args.start.is_some() && args.end.is_some() && args.stream.is_some());
        assert_eq!(args.name.map(|n| n.value()).as_deref(), Some("weather"));
    }

    #[test]
    fn reads_retries_and_timeouts() {
        let (args, errors) = parse(quote!(retries = 3, timeout = "1m30s"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.retries, Some(3));
        assert_eq!(args.timeout, Some(90_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000_000));
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("3 weeks")
                .unwrap_err()
                .contains("`weeks` is not a unit")
        );
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn no_arguments_means_no_flags() {
        let (args, errors) = parse(TokenStream::new());
        assert!(errors.is_empty());
        assert!(args.start.is_none() && args.end.is_none() && args.stream.is_none());
        assert!(args.name.is_none());
    }

    #[test]
    fn reports_every_unknown_argument_and_keeps_the_rest() {
        let (args, errors) = parse(quote!(strat, start, foo = 3, bar(1)));
        assert_eq!(
            errors,
            [
                "unknown argument `strat` for `#[node]`: expected `start`, `end`, `stream`, `name = \"..\"`, `retries = N` or `timeout = \"..\"`",
                "unknown argument `foo` for `#[node]`: expected `start`, `end`, `stream`, `name = \"..\"`, `retries = N` or `timeout = \"..\"`",
                "unknown argument `bar` for `#[node]`: expected `start`, `end`, `stream`, `name = \"..\"`, `retries = N` or `timeout = \"..\"`",
            ]
        );
        assert!(args.start.is_some());
    }

    #[test]
    fn reports_duplicates() {
        let (_, errors) = parse(quote!(start, start, name = "a", name = "b"));
        assert_eq!(
            errors,
            [
                "duplicate argument `start`: remove this one",
                "duplicate argument `name`: remove this one",
            ]
        );
    }

    #[test]
    fn rejects_names_that_are_not_non_empty_strings() {
        let (_, errors) = parse(quote!(name = weather));
        assert_eq!(
            errors,
            ["the node name must be a string literal: write `#[node(name = \"my_node\")]`"]
        );
        let (_, errors) = parse(quote!(name = ""));
        assert!(
            errors[0].starts_with("the node name is empty"),
            "{errors:?}"
        );
        let (_, errors) = parse(quote!(name));
        assert_eq!(
            errors,
            ["`name` needs a string value: write `#[node(name = \"my_node\")]`"]
        );
    }

    #[test]
    fn rejects_values_on_flags() {
        let (_, errors) = parse(quote!(start = true, end));
        assert_eq!(
            errors,
            ["`start` is a flag and takes no value: write `start`"]
        );
    }
}
