use graphai::{Value, graph, json, router};

#[router(start)]
async fn ping() -> Value {
    json!({})
}

#[router]
async fn pong() -> Value {
    json!({})
}

fn main() {
    let _ = graph! { ping => pong; pong => ping; };
}
