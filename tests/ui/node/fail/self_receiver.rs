use graphai::{Value, json, node};

struct Search;

impl Search {
    #[node]
    async fn search(&self, query: String) -> Value {
        json!({ "query": query })
    }
}

fn main() {
    let _ = Search.search(String::new());
}
