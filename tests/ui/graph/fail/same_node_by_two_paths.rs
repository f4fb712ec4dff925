use graphai::{Value, graph, json, node};

mod tools {
    use graphai::{Value, json, node};

    #[node(end)]
    pub async fn search() -> Value {
        json!({})
    }
}

#[node(start)]
async fn first() -> Value {
    json!({})
}

use tools::search;

fn main() {
    let _ = graph! { first -> [search, tools::search]; };
}
