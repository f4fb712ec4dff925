use graphai::{Route, Value, json, node, router};

#[router]
async fn triage(query: String) -> Route {
    if query.ends_with('?') {
        // A misspelt destination: no node `serach`.
        Route::node::<serach>()
    } else {
        Route::to("answer")
    }
}

#[node]
async fn search(query: String) -> Value {
    json!({ "found": query })
}

fn main() {}
