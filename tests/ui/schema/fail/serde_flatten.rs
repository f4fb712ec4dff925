#[derive(graphai::FunctionSchema, serde::Deserialize)]
struct Request {
    query: String,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

fn main() {}
