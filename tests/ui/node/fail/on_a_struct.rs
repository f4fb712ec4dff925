use graphai::node;

#[node]
struct Search {
    query: String,
}

fn main() {}
