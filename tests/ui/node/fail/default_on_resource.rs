use graphai::{Res, Value, json, node};

struct Client;

#[node(start, end)]
async fn ask(question: String, #[default(Client)] client: Res<Client>) -> Value {
    let _ = client;
    json!({ "question": question })
}

fn main() {}
