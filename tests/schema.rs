//! Function schemas of nodes, `#[tool]` fns and `#[derive(FunctionSchema)]`
//! structs, compared with Python GraphAI's `FunctionSchema` field by field.

use std::path::{Path, PathBuf};
use std::process::Command;

use graphai::{
    Callback, FunctionSchema, JsonSchema, Map, Node, OpenAIApi, Res, State, Tool, Value, json,
    node, tool,
};
use serde::Deserialize;

// ---- The Rust twins of scripts/python_schemas.py ---------------------------

/// Looks up the weather for a city.
#[tool]
fn get_weather(
    city: String,
    #[default(3)] days: u32,
    #[default("metric".to_owned())] units: String,
    #[default(false)] detailed: bool,
    #[default(0.5)] threshold: f64,
) -> Value {
    json!({ "city": city, "days": days, "units": units, "detailed": detailed, "threshold": threshold })
}

/// Searches the knowledge base.
#[tool]
fn search(
    query: String,
    tags: Vec<String>,
    filters: Map<String, Value>,
    #[default(10)] limit: u32,
) -> String {
    format!("{query} {tags:?} {} {limit}", filters.len())
}

#[tool]
fn no_doc(x: i64) -> i64 {
    x
}

/// Forecast node.
#[node(start, end)]
async fn node_weather(city: String, #[default(3)] days: u32) -> Value {
    json!({ "forecast": format!("{city} {days}") })
}

fn thirty() -> u32 {
    30
}
fn one_and_a_half() -> f64 {
    1.5
}
fn yes() -> bool {
    true
}

/// A user of the app.
#[derive(graphai::FunctionSchema, Deserialize)]
#[allow(dead_code)]
struct User {
    /// The user's name
    name: String,
    /// Age in years
    #[serde(default = "thirty")]
    age: u32,
    /// Contact address
    email: Option<String>,
    #[serde(default = "one_and_a_half")]
    score: f64,
    #[serde(default = "yes")]
    active: bool,
}

// ---- The comparison --------------------------------------------------------

fn fixture() -> Value {
    let text = include_str!("fixtures/python_schemas.json");
    serde_json::from_str(text).expect("the fixture is JSON")
}

/// Python GraphAI's `openai_type_mapping`, applied to its type names.
fn python_type_mapping(name: &str) -> &'static str {
    match name {
        "int" | "float" => "number",
        "str" => "string",
        "bool" => "boolean",
        _ => "object",
    }
}

/// Python writes `"description": null` for a parameter without one; we leave
/// the key out (a JSON Schema `description` must be a string), so drop those
/// nulls before comparing.
fn without_null_descriptions(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("description") == Some(&Value::Null) {
                    map.remove("description");
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// Compares our schema with Python's, field by field.
fn compare(ours: &FunctionSchema, python: &Value) {
    let name = ours.name();
    let schema = &python["schema"];
    assert_eq!(ours.name(), schema["name"], "{name}: name");
    assert_eq!(
        ours.description(),
        schema["description"],
        "{name}: description"
    );
    let theirs = schema["parameters"].as_array().expect("parameters");
    let params: Vec<_> = ours.parameters().collect();
    assert_eq!(params.len(), theirs.len(), "{name}: parameter count");
    for (param, their) in params.iter().zip(theirs) {
        let pname = param.name();
        assert_eq!(pname, their["name"], "{name}: parameter order");
        assert_eq!(
            param.required(),
            their["required"],
            "{name}.{pname}: required"
        );
        // Python's `Optional[str] = None` has no default in from_pydantic,
        // like our `Option<String>`.
        assert_eq!(
            param.default().is_some(),
            their["has_default"],
            "{name}.{pname}: has a default"
        );
        // A literal default reads the same in both languages (`3`, `false`, `0.5`).
        if let Some(Ok(value)) = param.default().map(serde_json::from_str::<Value>) {
            assert_eq!(value, their["default"], "{name}.{pname}: default");
        }
        let their_type = their["type"].as_str().expect("a type name");
        assert_eq!(
            param.openai_type(),
            python_type_mapping(their_type),
            "{name}.{pname}: flat type"
        );
        assert_eq!(
            param.description().map(Value::from).unwrap_or(Value::Null),
            their["description"],
            "{name}.{pname}: description"
        );
    }
    assert_eq!(
        ours.to_dict(),
        without_null_descriptions(python["to_dict"].clone()),
        "{name}: to_dict"
    );
    assert_eq!(
        ours.to_openai(OpenAIApi::Responses),
        without_null_descriptions(python["responses"].clone()),
        "{name}: to_openai(responses)"
    );
}

#[test]
fn tools_match_python_graphai() {
    let python = fixture();
    compare(&get_weather::SCHEMA, &python["functions"]["get_weather"]);
    // Python's `list` and `dict` map to "object", and so do our `Vec` and `Map`
    // (the flat mapping keeps this quirk; `json_schema()` has the item types).
    compare(&search::SCHEMA, &python["functions"]["search"]);
    compare(&no_doc::SCHEMA, &python["functions"]["no_doc"]);
}

#[test]
fn nodes_match_python_graphai() {
    let python = fixture();
    // Python names a node's schema after its function even with `name=`; ours
    // is the node's name (the same here).
    compare(&node_weather::SCHEMA, &python["nodes"]["node_weather"]);
    compare(node_weather().schema(), &python["nodes"]["node_weather"]);
}

#[test]
fn structs_match_python_from_pydantic() {
    compare(&FunctionSchema::of::<User>(), &fixture()["models"]["User"]);
}

#[test]
fn signatures_and_outputs_are_rust_where_python_is_python() {
    // Deliberately different from Python, whose signature is
    // `(city: str, days: int = 3, ..) -> dict` and whose output is
    // `<class 'dict'>` (`str()` of the annotation): ours are the Rust types as
    // written, with the defaults' expressions.
    assert_eq!(
        get_weather::SCHEMA.signature(),
        "(city: String, days: u32 = 3, units: String = \"metric\".to_owned(), detailed: bool = false, threshold: f64 = 0.5) -> Value"
    );
    assert_eq!(get_weather::SCHEMA.output(), "Value");
    assert_eq!(
        node_weather::SCHEMA.signature(),
        "(city: String, days: u32 = 3) -> Value"
    );
    let user = FunctionSchema::of::<User>();
    assert_eq!(
        user.signature(),
        "(name: String, age: u32 = thirty(), email: Option<String>, score: f64 = one_and_a_half(), active: bool = yes()) -> User"
    );
    assert_eq!(user.output(), "User");
    assert_eq!(
        get_weather::SCHEMA
            .parameter("units")
            .and_then(|p| p.default()),
        Some("\"metric\".to_owned()")
    );
}

#[test]
fn the_python_fixture_is_current() {
    let Some(python) = python_with_graphai() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&python)
        .arg(root.join("scripts/python_schemas.py"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "scripts/python_schemas.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    assert_eq!(
        fresh,
        fixture(),
        "tests/fixtures/python_schemas.json is stale: regenerate it with `{} scripts/python_schemas.py > tests/fixtures/python_schemas.json`",
        python.display()
    );
}

/// A Python that can `import graphai` (graphai-lib 0.0.12): `$GRAPHAI_PYTHON`,
/// else `target/pyref/bin/python` (the venv `.ci/run` makes), else `python3`.
/// When none can, CI (`GRAPHAI_REQUIRE_PYTHON=1`) fails and elsewhere the test
/// says it skipped.
fn python_with_graphai() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates: Vec<PathBuf> = match std::env::var_os("GRAPHAI_PYTHON") {
        Some(path) => vec![PathBuf::from(path)],
        None => vec![
            root.join("target/pyref/bin/python"),
            PathBuf::from("python3"),
        ],
    };
    let found = candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import graphai.utils"])
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if found.is_none() {
        let why =
            "no Python with graphai-lib (pip install graphai-lib==0.0.12, or set GRAPHAI_PYTHON)";
        assert!(
            std::env::var_os("GRAPHAI_REQUIRE_PYTHON").is_none(),
            "GRAPHAI_REQUIRE_PYTHON is set but there is {why}"
        );
        eprintln!("skipped: {why}");
    }
    found
}

// ---- Beyond Python: descriptions, full JSON Schema, injected parameters ----

/// The temperature unit.
#[derive(graphai::FunctionSchema, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

/// Where to look.
#[derive(graphai::FunctionSchema, Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Place {
    /// The city's name.
    city_name: String,
    /// Two letters.
    #[serde(rename = "cc")]
    country_code: Option<String>,
    #[serde(default)]
    population: u64,
    #[serde(skip)]
    cached: bool,
}

/// A type that derives schemars' `JsonSchema` itself, as rig and async-openai
/// users have: it nests just the same.
#[derive(JsonSchema, Deserialize)]
#[schemars(crate = "graphai::schemars")]
#[allow(dead_code)]
struct Window {
    start: u32,
    end: u32,
}

/// A tree, to show that a recursive type is a `$ref`.
#[derive(graphai::FunctionSchema, Deserialize)]
#[allow(dead_code)]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

struct Client;

/// Plans a trip.
///
/// The plan is a list of stops.
///
/// # Arguments
///
/// * `place` - Where to go.
/// * `unit` - Which unit the temperatures are in.
/// * `ignored` - An entry for no parameter is ignored.
#[tool]
async fn plan(
    place: Place,
    unit: Unit,
    /// The days, as numbers.
    days: Vec<u8>,
    window: Option<Window>,
    #[default(1.5)] pace: f32,
    state: State,
    client: Res<Client>,
) -> graphai::Result<Value> {
    let _ = (state, client);
    Ok(
        json!({ "stops": days.len(), "unit": format!("{unit:?}"), "city": place.city_name, "window": window.is_some(), "pace": pace }),
    )
}

#[test]
fn descriptions_come_from_both_doc_styles_and_leave_the_description() {
    let schema = plan::SCHEMA;
    assert_eq!(
        schema.description(),
        "Plans a trip.\n\nThe plan is a list of stops."
    );
    let described: Vec<_> = schema
        .parameters()
        .map(|p| (p.name(), p.description()))
        .collect();
    assert_eq!(
        described,
        [
            ("place", Some("Where to go.")),
            ("unit", Some("Which unit the temperatures are in.")),
            ("days", Some("The days, as numbers.")),
            ("window", None),
            ("pace", None),
        ]
    );
}

#[test]
fn injected_parameters_never_appear() {
    let schema = plan::SCHEMA;
    let names: Vec<_> = schema.parameters().map(|p| p.name()).collect();
    assert!(
        !names.contains(&"state") && !names.contains(&"client"),
        "{names:?}"
    );
    assert!(!schema.signature().contains("state") && !schema.signature().contains("Res<"));
    let text = schema.json_schema().to_string() + &schema.to_dict().to_string();
    assert!(
        !text.contains("\"state\"") && !text.contains("client"),
        "{text}"
    );

    #[node(stream)]
    async fn writer(text: String, callback: Callback, state: State) -> graphai::Result<Value> {
        let _ = state;
        callback.acall(text).await?;
        Ok(json!({}))
    }
    let names: Vec<_> = writer().schema().parameters().map(|p| p.name()).collect();
    assert_eq!(names, ["text"]);
}

#[test]
fn json_schema_has_full_fidelity() {
    let schema = plan::SCHEMA.json_schema();
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "place": {
                    "title": "Place",
                    "description": "Where to go.",
                    "type": "object",
                    "properties": {
                        "cityName": { "description": "The city's name.", "type": "string" },
                        "cc": { "description": "Two letters.", "type": ["string", "null"] },
                        "population": { "type": "integer", "format": "uint64", "minimum": 0 },
                    },
                    "required": ["cityName"],
                    "additionalProperties": false,
                },
                "unit": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "description": "Which unit the temperatures are in.",
                },
                "days": {
                    "description": "The days, as numbers.",
                    "type": "array",
                    "items": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 },
                },
                // schemars' own derive: an `Option` adds "null" to the type.
                "window": {
                    "description": "A type that derives schemars' `JsonSchema` itself, as rig and async-openai\nusers have: it nests just the same.",
                    "type": ["object", "null"],
                    "properties": {
                        "start": { "type": "integer", "format": "uint32", "minimum": 0 },
                        "end": { "type": "integer", "format": "uint32", "minimum": 0 },
                    },
                    "required": ["start", "end"],
                },
                "pace": { "type": "number", "format": "float" },
            },
            "required": ["place", "unit", "days"],
        })
    );
    // The flat form keeps GraphAI's names: a string enum is a "string", a
    // struct or list is an "object", an optional struct too.
    let flat = plan::SCHEMA.to_dict();
    let props = &flat["function"]["parameters"]["properties"];
    let types: Vec<_> = ["place", "unit", "days", "window", "pace"]
        .iter()
        .map(|k| props[k]["type"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(types, ["object", "string", "object", "object", "number"]);
}

#[test]
fn a_recursive_struct_is_a_reference_into_defs() {
    #[tool]
    fn grow(tree: Tree) -> usize {
        tree.children.len()
    }
    let schema = grow::SCHEMA.json_schema();
    // The parameter is inlined; the type's use of itself refers to `$defs`.
    let tree = &schema["properties"]["tree"];
    assert_eq!(tree["title"], "Tree", "{schema:#}");
    assert_eq!(
        tree["properties"]["children"]["items"],
        json!({ "$ref": "#/$defs/Tree" })
    );
    assert_eq!(
        schema["$defs"]["Tree"]["required"],
        json!(["label", "children"])
    );
    assert_eq!(
        grow::SCHEMA.parameters().next().map(|p| p.openai_type()),
        Some("object")
    );
}

#[test]
fn the_derived_schema_of_a_struct_lists_its_fields() {
    let place = FunctionSchema::of::<Place>();
    assert!(place.is_closed());
    let fields: Vec<_> = place
        .parameters()
        .map(|p| (p.name(), p.rust_name(), p.required(), p.default()))
        .collect();
    assert_eq!(
        fields,
        [
            ("cityName", "city_name", true, None),
            ("cc", "country_code", false, None),
            (
                "population",
                "population",
                false,
                Some("Default::default()")
            ),
        ]
    );
    assert_eq!(place.description(), "Where to look.");
    // What the schema says is what serde accepts.
    let parsed: Place = serde_json::from_value(json!({ "cityName": "Oslo", "cc": "NO" })).unwrap();
    assert_eq!(parsed.population, 0);
    assert!(serde_json::from_value::<Place>(json!({ "cityName": "Oslo", "extra": 1 })).is_err());
    assert_eq!(
        serde_json::from_value::<Unit>(json!("fahrenheit")).unwrap(),
        Unit::Fahrenheit
    );
}

/// A parameter type with no JSON Schema: fine for a node (nodes need only
/// `Deserialize`), whose schema then accepts any JSON for it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Plain {
    x: u32,
}

#[test]
fn a_node_parameter_without_a_schema_accepts_anything() {
    /// Uses a plain struct.
    #[node(start, end)]
    async fn uses_plain(plain: Plain, note: Option<String>) -> Value {
        json!({ "x": plain.x, "note": note })
    }
    let schema = *uses_plain().schema();
    let plain = schema.parameter("plain").expect("plain");
    assert!(!plain.has_schema());
    assert_eq!(plain.openai_type(), "object");
    assert_eq!(
        schema.json_schema(),
        json!({
            "type": "object",
            "properties": { "plain": {}, "note": { "type": ["string", "null"] } },
            "required": ["plain"],
        })
    );
    assert!(schema.parameter("note").is_some_and(|p| p.has_schema()));
}

#[test]
fn both_openai_forms_and_the_full_tool_form() {
    let completions = no_doc::SCHEMA.to_tool(OpenAIApi::Completions);
    assert_eq!(completions["type"], "function");
    assert_eq!(completions["function"]["name"], "no_doc");
    assert_eq!(
        completions["function"]["parameters"]["properties"]["x"],
        json!({ "type": "integer", "format": "int64" })
    );
    let responses = no_doc::SCHEMA.to_tool(OpenAIApi::Responses);
    assert_eq!(responses["name"], "no_doc");
    assert!(responses.get("function").is_none());
    assert_eq!(
        no_doc::SCHEMA.to_openai(OpenAIApi::Completions),
        no_doc::SCHEMA.to_dict()
    );
}

#[test]
fn a_hand_written_node_gets_a_schema_from_its_params() {
    struct Manual;
    impl Node for Manual {
        const NAME: &'static str = "manual";
        const DOC: &'static str = "Written by hand.";
        const IS_START: bool = true;
        const IS_END: bool = true;
        const IS_STREAM: bool = false;
        const IS_ROUTER: bool = false;
        const PARAMS: &'static [graphai::ParamInfo] = &[graphai::ParamInfo {
            name: "q",
            key: "q",
            ty: "String",
            required: true,
            default: None,
            doc: "The query.",
        }];
        fn invoke(_: graphai::Context<'_>) -> graphai::NodeFuture<'_> {
            Box::pin(async { Ok(Map::new()) })
        }
    }
    let schema = Manual::SCHEMA;
    assert_eq!(schema.name(), "manual");
    assert_eq!(
        schema.to_dict()["function"]["parameters"]["properties"]["q"],
        json!({ "description": "The query.", "type": "object" })
    );
}
