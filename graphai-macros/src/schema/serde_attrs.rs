//! The `#[serde(..)]` attributes that change what JSON a struct or enum
//! accepts, read so that its schema says the same as its `Deserialize`.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Lit, LitStr, Token};

use crate::errors::Errors;

/// serde's `rename_all` rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

const RULES: &[(&str, RenameRule)] = &[
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    fn parse(lit: &LitStr) -> syn::Result<Self> {
        let value = lit.value();
        RULES
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, rule)| *rule)
            .ok_or_else(|| {
                let names: Vec<String> = RULES.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                syn::Error::new_spanned(
                    lit,
                    format!(
                        "unknown `rename_all` rule \"{value}\": expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }

    /// A field name (snake_case in Rust) under this rule, as serde does it.
    pub(crate) fn field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => pascal(field),
            RenameRule::Camel => {
                let pascal = pascal(field);
                let mut chars = pascal.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// A variant name (PascalCase in Rust) under this rule, as serde does it.
    pub(crate) fn variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => {
                let mut chars = variant.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_lowercase().to_string() + chars.as_str()
                })
            }
            RenameRule::Snake => snake(variant),
            RenameRule::ScreamingSnake => snake(variant).to_ascii_uppercase(),
            RenameRule::Kebab => snake(variant).replace('_', "-"),
            RenameRule::ScreamingKebab => snake(variant).to_ascii_uppercase().replace('_', "-"),
        }
    }
}

fn pascal(field: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for ch in field.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn snake(variant: &str) -> String {
    let mut out = String::new();
    for (i, ch) in variant.char_indices() {
        if i > 0 && ch.is_uppercase() {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// What `#[serde(..)]` says on the struct or enum.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) rename_all: Option<RenameRule>,
    pub(crate) default: bool,
    pub(crate) deny_unknown_fields: bool,
}

/// What `#[serde(..)]` says on a field or variant.
#[derive(Default)]
pub(crate) struct MemberAttrs {
    pub(crate) rename: Option<String>,
    /// `default` (`Default::default()`) or `default = "path"` (`path()`).
    pub(crate) default: Option<String>,
    /// `skip` or `skip_deserializing`: not part of the accepted JSON.
    pub(crate) skip: bool,
}

/// serde options whose JSON our schema cannot describe from the type alone.
const UNSUPPORTED: &[&str] = &[
    "flatten",
    "with",
    "deserialize_with",
    "transparent",
    "from",
    "try_from",
    "tag",
    "content",
    "untagged",
    "remote",
];

fn unsupported(meta: &ParseNestedMeta<'_>, word: &str) -> syn::Error {
    meta.error(format!(
        "`#[derive(FunctionSchema)]` cannot describe `#[serde({word})]`, which changes the JSON this type accepts: derive `schemars::JsonSchema` instead (its schema follows serde, and the type works as a parameter just the same)"
    ))
}

/// Skips the value of an option we do not read (`= ..` or `(..)`).
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _group: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

/// A string value: `= "x"`, or `(deserialize = "x")` (the deserialize side
/// of a split rename). `None` when only `serialize = ..` is given.
fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(Token![=]) {
        let expr: Expr = meta.value()?.parse()?;
        return match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => Ok(Some(s)),
            other => Err(syn::Error::new_spanned(other, "expected a string literal")),
        };
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("deserialize") {
            found = Some(inner.value()?.parse::<LitStr>()?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(found)
}

fn each_serde(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut f: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let result = attr.parse_nested_meta(|meta| {
            let word = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if UNSUPPORTED.contains(&word.as_str()) {
                skip_value(&meta)?;
                errors.push(unsupported(&meta, &word));
                return Ok(());
            }
            f(&meta, &word)
        });
        errors.ok(result);
    }
}

impl ContainerAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = Self::default();
        let mut found = Errors::default();
        each_serde(attrs, errors, |meta, word| {
            match word {
                "rename_all" => {
                    if let Some(lit) = string_value(meta)? {
                        match RenameRule::parse(&lit) {
                            Ok(rule) => out.rename_all = Some(rule),
                            Err(e) => found.push(e),
                        }
                    }
                }
                "default" => {
                    skip_value(meta)?;
                    out.default = true;
                }
                "deny_unknown_fields" => out.deny_unknown_fields = true,
                _ => skip_value(meta)?,
            }
            Ok(())
        });
        if let Err(e) = found.finish() {
            errors.push(e);
        }
        out
    }
}

impl MemberAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = Self::default();
        each_serde(attrs, errors, |meta, word| {
            match word {
                "rename" => {
                    if let Some(lit) = string_value(meta)? {
                        out.rename = Some(lit.value());
                    }
                }
                "default" => {
                    if meta.input.peek(Token![=]) {
                        let path: LitStr = meta.value()?.parse()?;
                        out.default = Some(format!("{}()", path.value()));
                    } else {
                        out.default = Some("Default::default()".to_owned());
                    }
                }
                "skip" | "skip_deserializing" => out.skip = true,
                _ => skip_value(meta)?,
            }
            Ok(())
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_rules_follow_serde() {
        let cases = [
            (RenameRule::Lower, "first_name"),
            (RenameRule::Upper, "FIRST_NAME"),
            (RenameRule::Pascal, "FirstName"),
            (RenameRule::Camel, "firstName"),
            (RenameRule::Snake, "first_name"),
            (RenameRule::ScreamingSnake, "FIRST_NAME"),
            (RenameRule::Kebab, "first-name"),
            (RenameRule::ScreamingKebab, "FIRST-NAME"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.field("first_name"), expected, "{rule:?}");
        }
    }

    #[test]
    fn variant_rules_follow_serde() {
        let cases = [
            (RenameRule::Lower, "verycold"),
            (RenameRule::Upper, "VERYCOLD"),
            (RenameRule::Pascal, "VeryCold"),
            (RenameRule::Camel, "veryCold"),
            (RenameRule::Snake, "very_cold"),
            (RenameRule::ScreamingSnake, "VERY_COLD"),
            (RenameRule::Kebab, "very-cold"),
            (RenameRule::ScreamingKebab, "VERY-COLD"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.variant("VeryCold"), expected, "{rule:?}");
        }
    }
}
