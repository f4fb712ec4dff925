//! The `special_token_format` and `token_format` strings, checked once when the
//! callback is built and rendered for every token of the string stream.
//!
//! The syntax is the subset of Python's `str.format` that GraphAI uses: named
//! placeholders such as `{token}`, and `{{` / `}}` for literal braces.

use serde_json::{Map, Value};

/// A value a format string can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Identifier,
    Token,
    Params,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Identifier => "identifier",
            Field::Token => "token",
            Field::Params => "params",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(Field),
}

/// A parsed format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

/// The placeholders `special_token_format` may use.
pub(crate) const SPECIAL_FIELDS: &[Field] = &[Field::Identifier, Field::Token, Field::Params];
/// The placeholders `token_format` may use.
pub(crate) const TOKEN_FIELDS: &[Field] = &[Field::Token];

impl Template {
    /// Whether the template is exactly `{token}`.
    pub(crate) fn is_plain_token(&self) -> bool {
        matches!(self.pieces.as_slice(), [Piece::Field(Field::Token)])
    }

    /// Parses `format`, accepting the placeholders in `allowed`.
    ///
    /// The error says what is wrong and how to fix it.
    pub(crate) fn parse(format: &str, allowed: &[Field]) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = format.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.next_if(|&(_, c)| c == '{').is_some() => text.push('{'),
                '}' if chars.next_if(|&(_, c)| c == '}').is_some() => text.push('}'),
                '}' => {
                    return Err(format!(
                        "unmatched `}}` at byte {at}: write `}}}}` for a literal brace"
                    ));
                }
                '{' => {
                    let mut name = String::new();
                    let closed = loop {
                        match chars.next() {
                            Some((_, '}')) => break true,
                            Some((_, '{')) | None => break false,
                            Some((_, c)) => name.push(c),
                        }
                    };
                    if !closed {
                        return Err(format!(
                            "the `{{` at byte {at} is never closed: end the placeholder with `}}`, or write `{{{{` for a literal brace"
                        ));
                    }
                    let field = placeholder(&name, allowed)?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Field(field));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self { pieces })
    }

    /// Renders the template; fields it does not use are ignored.
    pub(crate) fn render(&self, identifier: &str, token: &str, params: &str) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            out.push_str(match piece {
                Piece::Text(text) => text,
                Piece::Field(Field::Identifier) => identifier,
                Piece::Field(Field::Token) => token,
                Piece::Field(Field::Params) => params,
            });
        }
        out
    }
}

fn placeholder(name: &str, allowed: &[Field]) -> Result<Field, String> {
    let choices = allowed
        .iter()
        .map(|field| format!("`{{{}}}`", field.name()))
        .collect::<Vec<_>>()
        .join(", ");
    if name.is_empty() {
        return Err(format!(
            "empty placeholder `{{}}`: name the value to insert, one of {choices}"
        ));
    }
    if let Some(field) = allowed.iter().find(|field| field.name() == name) {
        return Ok(*field);
    }
    let base = name.split(['!', ':', '.', '[']).next().unwrap_or(name);
    if base != name && allowed.iter().any(|field| field.name() == base) {
        return Err(format!(
            "placeholder `{{{name}}}` uses a conversion, format spec, attribute or index, which is not supported: write `{{{base}}}`"
        ));
    }
    Err(format!(
        "unknown placeholder `{{{name}}}`: use {choices} (write `{{{{` and `}}}}` for literal braces)"
    ))
}

/// Renders params as GraphAI does: `key=value` pairs joined by `,`, in the
/// map's order; strings as they are, other values as compact JSON (Python
/// prints `True`/`None` where this prints `true`/`null`); nothing for none or
/// an empty map.
pub(crate) fn render_params(params: Option<&Map<String, Value>>) -> String {
    let Some(params) = params else {
        return String::new();
    };
    let mut out = String::new();
    for (key, value) in params {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(key);
        out.push('=');
        match value {
            Value::String(text) => out.push_str(text),
            other => out.push_str(&other.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn special(format: &str) -> Result<Template, String> {
        Template::parse(format, SPECIAL_FIELDS)
    }

    #[test]
    fn renders_every_placeholder_and_literal_text() {
        let template = special("<[{identifier}|{token}|{params}]>").unwrap();
        assert_eq!(
            template.render("app", "a:start", "k=v"),
            "<[app|a:start|k=v]>"
        );
    }

    #[test]
    fn doubled_braces_are_literal_braces() {
        // Python: "{{{identifier}}}{token}".format(identifier="graphai", token="n") == "{graphai}n"
        let template = special("{{{identifier}}}{token}").unwrap();
        assert_eq!(template.render("graphai", "n", ""), "{graphai}n");
        assert_eq!(special("}}{{").unwrap().render("", "", ""), "}{");
    }

    #[test]
    fn a_placeholder_may_repeat_or_be_left_out() {
        let template = special("{token}/{token}").unwrap();
        assert_eq!(template.render("id", "x", "p"), "x/x");
        assert_eq!(special("plain").unwrap().render("id", "x", "p"), "plain");
    }

    #[test]
    fn unknown_placeholder_is_named() {
        let err = special("<{bogus}>").unwrap_err();
        assert_eq!(
            err,
            "unknown placeholder `{bogus}`: use `{identifier}`, `{token}`, `{params}` (write `{{` and `}}` for literal braces)"
        );
    }

    #[test]
    fn token_format_only_knows_token() {
        let err = Template::parse("{identifier}: {token}", TOKEN_FIELDS).unwrap_err();
        assert!(
            err.starts_with("unknown placeholder `{identifier}`: use `{token}`"),
            "{err}"
        );
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert_eq!(
            special("<{token").unwrap_err(),
            "the `{` at byte 1 is never closed: end the placeholder with `}`, or write `{{` for a literal brace"
        );
        assert!(special("<{to{ken}>").unwrap_err().contains("never closed"));
        assert_eq!(
            special("<token}>").unwrap_err(),
            "unmatched `}` at byte 6: write `}}` for a literal brace"
        );
    }

    #[test]
    fn empty_placeholder_is_an_error() {
        assert_eq!(
            special("<{}>").unwrap_err(),
            "empty placeholder `{}`: name the value to insert, one of `{identifier}`, `{token}`, `{params}`"
        );
    }

    #[test]
    fn conversions_and_format_specs_are_refused_with_the_fix() {
        for format in ["{token!r}", "{token:>6}", "{token.upper}", "{token[0]}"] {
            let err = special(format).unwrap_err();
            assert!(
                err.ends_with("which is not supported: write `{token}`"),
                "{err}"
            );
        }
    }

    #[test]
    fn params_render_as_key_value_pairs_in_map_order() {
        let params = json!({"message": "boom", "node": "a", "n": 1, "f": 1.5, "b": true, "x": null, "l": [1, "a"]});
        let params = params.as_object().unwrap();
        // The workspace enables serde_json's `preserve_order`: insertion order, as in Python.
        assert_eq!(
            render_params(Some(params)),
            "message=boom,node=a,n=1,f=1.5,b=true,x=null,l=[1,\"a\"]"
        );
        assert_eq!(render_params(Some(&Map::new())), "");
        assert_eq!(render_params(None), "");
    }
}
