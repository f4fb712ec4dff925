use graphai::tool;

#[derive(serde::Deserialize)]
struct Query {
    text: String,
}

/// Searches.
#[tool]
fn search(query: Query) -> String {
    query.text
}

fn main() {}
