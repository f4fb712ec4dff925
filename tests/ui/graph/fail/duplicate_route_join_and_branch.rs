use graphai::{Value, graph, json, node, router};

#[node(start)]
async fn first() -> Value {
    json!({})
}

#[router]
async fn choose() -> Value {
    json!({})
}

#[node]
async fn a() -> Value {
    json!({})
}

#[node]
async fn b() -> Value {
    json!({})
}

#[node(end)]
async fn last() -> Value {
    json!({})
}

#[node]
async fn log() -> Value {
    json!({})
}

fn main() {
    let _ = graph! {
        first -> choose => [a, b];
        choose => a;
        [a, b] -> join(last);
        [a] -> join(last);
        last ~> log;
        last ~> log;
    };
}
