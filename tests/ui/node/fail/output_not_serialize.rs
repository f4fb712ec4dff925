use graphai::node;

struct Answer {
    text: String,
}

#[node]
async fn answer(query: String) -> Answer {
    Answer { text: query }
}

fn main() {}
