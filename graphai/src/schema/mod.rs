//! Function schemas: what an LLM is told about a node, a `#[tool]` fn or a
//! `#[derive(FunctionSchema)]` struct (Python GraphAI's `FunctionSchema`).
//!
//! Everything a schema says is written down by the macros at compile time as
//! `const` data: name, description, signature, output type and parameters.
//! The JSON Schema of each parameter's type comes from [`schemars`] at run
//! time, through a function pointer per parameter; GraphAI's flat type names
//! ("number", "string", "boolean", "object") are derived from it.

mod json;

use std::fmt;

use serde_json::{Map, Value, json};

use crate::node::ParamInfo;

pub use schemars::{JsonSchema, Schema, SchemaGenerator};

/// The JSON Schema of one parameter's type, or `None` when the type has no
/// [`JsonSchema`] (then the parameter accepts any JSON: `{}`, "object").
pub type SchemaFn = fn(&mut SchemaGenerator) -> Option<Schema>;

/// Which OpenAI API a tool definition is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OpenAIApi {
    /// Chat completions: `{"type": "function", "function": {name, description, parameters}}`.
    #[default]
    Completions,
    /// Responses: `{"type": "function", name, description, parameters}`.
    Responses,
}

/// The function schema of a node, a `#[tool]` fn or a `#[derive(FunctionSchema)]`
/// struct: Python GraphAI's `FunctionSchema`.
///
/// ```
/// use graphai::{FunctionSchema, OpenAIApi, Tool, json, tool};
///
/// /// Adds two numbers.
/// ///
/// /// # Arguments
/// /// * `a` - The first number.
/// #[tool]
/// fn add(
///     a: f64,
///     /// The second number.
///     b: f64,
/// ) -> f64 {
///     a + b
/// }
///
/// let schema: FunctionSchema = add::SCHEMA;
/// assert_eq!(schema.description(), "Adds two numbers.");
/// assert_eq!(schema.signature(), "(a: f64, b: f64) -> f64");
/// assert_eq!(
///     schema.to_dict(),
///     json!({
///         "type": "function",
///         "function": {
///             "name": "add",
///             "description": "Adds two numbers.",
///             "parameters": {
///                 "type": "object",
///                 "properties": {
///                     "a": { "description": "The first number.", "type": "number" },
///                     "b": { "description": "The second number.", "type": "number" },
///                 },
///                 "required": ["a", "b"],
///             },
///         },
///     })
/// );
/// assert_eq!(schema.to_openai(OpenAIApi::Responses)["name"], "add");
/// ```
#[derive(Clone, Copy)]
pub struct FunctionSchema {
    name: &'static str,
    description: &'static str,
    signature: &'static str,
    output: &'static str,
    params: &'static [ParamInfo],
    types: &'static [SchemaFn],
    closed: bool,
}

impl FunctionSchema {
    /// A schema from its parts. `types[i]` gives the JSON Schema of
    /// `params[i]`; a parameter past the end of `types` accepts any JSON.
    ///
    /// The macros build this; a hand-written [`Node`](crate::Node) may too.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        signature: &'static str,
        output: &'static str,
        params: &'static [ParamInfo],
        types: &'static [SchemaFn],
    ) -> Self {
        Self {
            name,
            description,
            signature,
            output,
            params,
            types,
            closed: false,
        }
    }

    /// The same schema, saying that no arguments other than the parameters are
    /// accepted (`"additionalProperties": false`, for `#[serde(deny_unknown_fields)]`).
    pub const fn closed(mut self) -> Self {
        self.closed = true;
        self
    }

    /// The schema of a `#[derive(FunctionSchema)]` struct (GraphAI's
    /// `FunctionSchema.from_pydantic`): one parameter per field.
    pub const fn of<T: StructSchema>() -> Self {
        T::FUNCTION_SCHEMA
    }

    /// The function's (or struct's) name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The doc comment, without its `# Arguments` section (which went into
    /// the parameters' descriptions).
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The parameters and return type as text: `(city: String, days: u32 = 3) -> Value`.
    /// Injected parameters are left out.
    pub fn signature(&self) -> &'static str {
        self.signature
    }

    /// The return type as written (`Value`, `graphai::Result<Weather>`).
    pub fn output(&self) -> &'static str {
        self.output
    }

    /// The parameters an LLM fills in, in declaration order.
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = Parameter> + '_ {
        (0..self.params.len()).map(|i| self.parameter_at(i))
    }

    /// The parameter whose argument name is `name`.
    pub fn parameter(&self, name: &str) -> Option<Parameter> {
        self.parameters().find(|p| p.name() == name)
    }

    fn parameter_at(&self, i: usize) -> Parameter {
        Parameter {
            info: &self.params[i],
            schema: self.types.get(i).copied(),
        }
    }

    /// Whether arguments other than the parameters are rejected.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The OpenAI chat-completions tool JSON with GraphAI's flat types
    /// (integers and floats are "number", strings "string", booleans
    /// "boolean", everything else "object"): Python GraphAI's `to_dict()`.
    ///
    /// A parameter without a description has no `"description"` key (Python
    /// GraphAI writes `null`).
    pub fn to_dict(&self) -> Value {
        self.to_openai(OpenAIApi::Completions)
    }

    /// [`to_dict`](Self::to_dict) for either OpenAI API: Python GraphAI's `to_openai(api)`.
    pub fn to_openai(&self, api: OpenAIApi) -> Value {
        self.tool_json(api, self.flat_parameters())
    }

    /// The tool JSON for `api` with the full JSON Schema of the parameters
    /// ([`json_schema`](Self::json_schema)) instead of the flat types: arrays
    /// keep their item types, nested structs their fields, enums their values.
    /// This is what [`ToolSet::schemas`](crate::ToolSet::schemas) sends.
    pub fn to_tool(&self, api: OpenAIApi) -> Value {
        self.tool_json(api, self.json_schema())
    }

    /// The full JSON Schema (draft 2020-12) of the parameters, as one object:
    /// integer vs number, arrays with item types, nested structs and enums
    /// (inlined; a recursive type is a `$ref` into `$defs`), `Option` and
    /// `#[default]` parameters not required. A parameter whose type has no
    /// [`JsonSchema`] accepts anything (`{}`).
    pub fn json_schema(&self) -> Value {
        let mut generator = json::generator();
        let mut object = json::object_schema(self, &mut generator);
        let definitions = generator.take_definitions(true);
        if !definitions.is_empty() {
            object.insert("$defs".into(), Value::Object(definitions));
        }
        Value::Object(object)
    }

    fn flat_parameters(&self) -> Value {
        let mut generator = json::generator();
        let mut properties = Map::new();
        for param in self.parameters() {
            let schema = param.schema_in(&mut generator);
            let mut property = Map::new();
            if let Some(description) = param.description() {
                property.insert("description".into(), description.into());
            }
            let ty = json::flat_type(&schema, generator.definitions());
            property.insert("type".into(), ty.into());
            properties.insert(param.name().to_owned(), Value::Object(property));
        }
        json!({
            "type": "object",
            "properties": properties,
            "required": self.required(),
        })
    }

    fn required(&self) -> Vec<&'static str> {
        self.parameters()
            .filter(Parameter::required)
            .map(|p| p.name())
            .collect()
    }

    fn tool_json(&self, api: OpenAIApi, parameters: Value) -> Value {
        match api {
            OpenAIApi::Completions => json!({
                "type": "function",
                "function": {
                    "name": self.name,
                    "description": self.description,
                    "parameters": parameters,
                },
            }),
            OpenAIApi::Responses => json!({
                "type": "function",
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            }),
        }
    }
}

impl fmt::Debug for FunctionSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionSchema")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("signature", &self.signature)
            .field("output", &self.output)
            .field("parameters", &self.parameters().collect::<Vec<_>>())
            .finish()
    }
}

/// One parameter of a [`FunctionSchema`]: an argument the LLM fills in.
#[derive(Clone, Copy)]
pub struct Parameter {
    info: &'static ParamInfo,
    schema: Option<SchemaFn>,
}

impl Parameter {
    /// The argument's name: the run-state key for a node (`#[key("..")]`
    /// renames it), the serialized name for a struct field.
    #[expect(
        clippy::misnamed_getters,
        reason = "the argument's name is the key; the Rust name is `rust_name`"
    )]
    pub fn name(&self) -> &'static str {
        self.info.key
    }

    /// The Rust parameter or field name.
    pub fn rust_name(&self) -> &'static str {
        self.info.name
    }

    /// The Rust type as written (`Option<String>`).
    pub fn ty(&self) -> &'static str {
        self.info.ty
    }

    /// The `#[default(..)]` expression (or `#[serde(default)]`), as written.
    pub fn default(&self) -> Option<&'static str> {
        self.info.default
    }

    /// Whether a call must give this argument (false for `Option` and defaults).
    pub fn required(&self) -> bool {
        self.info.required
    }

    /// The description from the doc comment (a `///` on the parameter, or its
    /// entry in the function doc's `# Arguments` list), if there is one.
    pub fn description(&self) -> Option<&'static str> {
        Some(self.info.doc).filter(|d| !d.is_empty())
    }

    /// Whether the type has a JSON Schema (implements [`JsonSchema`]).
    /// A `#[tool]` parameter always has one; a node parameter whose type has
    /// none accepts any JSON.
    pub fn has_schema(&self) -> bool {
        let mut generator = json::generator();
        self.schema.and_then(|f| f(&mut generator)).is_some()
    }

    /// The JSON Schema of the type, with the description, on its own
    /// (subschemas inlined, a recursive type's definitions under `$defs`).
    pub fn json_schema(&self) -> Value {
        let mut generator = json::generator();
        let mut schema = json::described(self, self.schema_in(&mut generator));
        let definitions = generator.take_definitions(true);
        if let (false, Value::Object(object)) = (definitions.is_empty(), &mut schema) {
            object.insert("$defs".into(), Value::Object(definitions));
        }
        schema
    }

    /// GraphAI's flat type name: "number", "string", "boolean" or "object".
    pub fn openai_type(&self) -> &'static str {
        let mut generator = json::generator();
        let schema = self.schema_in(&mut generator);
        json::flat_type(&schema, generator.definitions())
    }

    /// The type's schema made with `generator` (`{}` when there is none).
    fn schema_in(&self, generator: &mut SchemaGenerator) -> Value {
        self.schema
            .and_then(|f| f(generator))
            .map_or_else(|| Value::Object(Map::new()), Schema::to_value)
    }
}

impl fmt::Debug for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parameter")
            .field("name", &self.name())
            .field("ty", &self.ty())
            .field("default", &self.default())
            .field("required", &self.required())
            .field("description", &self.description())
            .finish()
    }
}

/// A struct with a function schema: implemented by `#[derive(FunctionSchema)]`,
/// which also implements [`JsonSchema`] for it.
pub trait StructSchema {
    /// One parameter per field (GraphAI's `FunctionSchema.from_pydantic`).
    const FUNCTION_SCHEMA: FunctionSchema;
}

/// The JSON Schema of a `#[derive(FunctionSchema)]` struct: the object its
/// fields describe, with its title and description.
pub(crate) fn struct_json_schema(
    schema: &FunctionSchema,
    generator: &mut SchemaGenerator,
) -> Schema {
    let mut object = Map::new();
    object.insert("title".into(), schema.name.into());
    if !schema.description.is_empty() {
        object.insert("description".into(), schema.description.into());
    }
    object.extend(json::object_schema(schema, generator));
    Schema::from(object)
}
