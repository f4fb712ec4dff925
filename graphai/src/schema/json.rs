//! Assembling JSON Schemas from parameters, and GraphAI's flat type names.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::{FunctionSchema, Parameter};

/// A generator for draft 2020-12 that inlines every subschema it can (tool
/// definitions are read by LLM servers, several of which do not follow `$ref`).
pub(super) fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator()
}

/// `{"type": "object", "properties": .., "required": [..]}` for the
/// parameters of `schema`, their subschemas made with `generator`.
pub(super) fn object_schema(
    schema: &FunctionSchema,
    generator: &mut SchemaGenerator,
) -> Map<String, Value> {
    let mut properties = Map::new();
    for param in schema.parameters() {
        let property = described(&param, param.schema_in(generator));
        properties.insert(param.name().to_owned(), property);
    }
    let mut object = Map::new();
    object.insert("type".into(), "object".into());
    object.insert("properties".into(), Value::Object(properties));
    let required: Vec<Value> = schema.required().into_iter().map(Value::from).collect();
    object.insert("required".into(), Value::Array(required));
    if schema.closed {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    object
}

/// `schema` with the parameter's description, which wins over the one the
/// type's own docs gave.
pub(super) fn described(param: &Parameter, schema: Value) -> Value {
    let Some(description) = param.description() else {
        return schema;
    };
    let mut object = match schema {
        Value::Object(object) => object,
        // `true` (anything) becomes `{}` so it can carry a description.
        _ => Map::new(),
    };
    object.insert("description".into(), description.into());
    Value::Object(object)
}

/// GraphAI's flat type name for a JSON Schema: "integer" and "number" are
/// "number", "string" and "boolean" are themselves, everything else
/// (arrays, objects, anything) is "object". `null` alongside one type
/// (an `Option`) is dropped; a `$ref` is followed into `definitions`; an
/// `enum` or `const` of strings is "string".
pub(crate) fn flat_type(schema: &Value, definitions: &Map<String, Value>) -> &'static str {
    flat(schema, definitions, 0)
}

fn flat(schema: &Value, definitions: &Map<String, Value>, depth: u8) -> &'static str {
    const OBJECT: &str = "object";
    let Value::Object(object) = schema else {
        return OBJECT;
    };
    if let Some(Value::String(reference)) = object.get("$ref") {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| definitions.get(name));
        return match target {
            Some(target) if depth < 8 => flat(target, definitions, depth + 1),
            _ => OBJECT,
        };
    }
    match object.get("type") {
        Some(Value::String(ty)) => return name(ty),
        Some(Value::Array(types)) => {
            let mut types = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null");
            return match (types.next(), types.next()) {
                (Some(one), None) => name(one),
                _ => OBJECT,
            };
        }
        _ => {}
    }
    let strings = |values: &[Value]| !values.is_empty() && values.iter().all(Value::is_string);
    match (object.get("enum"), object.get("const")) {
        (Some(Value::Array(values)), _) if strings(values) => return "string",
        (_, Some(Value::String(_))) => return "string",
        _ => {}
    }
    // `anyOf`/`oneOf` of alternatives with one flat name (an `Option` of a
    // `$ref`, or a documented enum whose variants are each a `const`).
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alternatives)) = object.get(key) {
            let mut names = alternatives
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .map(|a| flat(a, definitions, depth + 1));
            let first = names.next();
            return match first {
                Some(first) if names.all(|n| n == first) => first,
                _ => OBJECT,
            };
        }
    }
    OBJECT
}

fn name(ty: &str) -> &'static str {
    match ty {
        "integer" | "number" => "number",
        "string" => "string",
        "boolean" => "boolean",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flat_of(schema: Value) -> &'static str {
        let definitions = json!({ "Unit": { "type": "string", "enum": ["c", "f"] } });
        flat_type(&schema, definitions.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn graphai_flat_names() {
        assert_eq!(flat_of(json!({ "type": "integer" })), "number");
        assert_eq!(flat_of(json!({ "type": "number" })), "number");
        assert_eq!(flat_of(json!({ "type": "string" })), "string");
        assert_eq!(flat_of(json!({ "type": "boolean" })), "boolean");
        assert_eq!(flat_of(json!({ "type": "array" })), "object");
        assert_eq!(flat_of(json!({ "type": "object" })), "object");
        assert_eq!(flat_of(json!(true)), "object");
        assert_eq!(flat_of(json!({})), "object");
    }

    #[test]
    fn options_refs_and_enums() {
        assert_eq!(flat_of(json!({ "type": ["string", "null"] })), "string");
        assert_eq!(flat_of(json!({ "type": ["string", "integer"] })), "object");
        assert_eq!(flat_of(json!({ "$ref": "#/$defs/Unit" })), "string");
        assert_eq!(flat_of(json!({ "$ref": "#/$defs/Missing" })), "object");
        assert_eq!(
            flat_of(json!({ "anyOf": [{ "$ref": "#/$defs/Unit" }, { "type": "null" }] })),
            "string"
        );
        assert_eq!(
            flat_of(json!({ "oneOf": [{ "const": "a" }, { "const": "b" }] })),
            "string"
        );
        assert_eq!(flat_of(json!({ "enum": ["a", 1] })), "object");
    }

    #[test]
    fn a_reference_cycle_does_not_loop() {
        let definitions = json!({ "A": { "$ref": "#/$defs/A" } });
        let definitions = definitions.as_object().cloned().unwrap_or_default();
        assert_eq!(
            flat_type(&json!({ "$ref": "#/$defs/A" }), &definitions),
            "object"
        );
    }
}
