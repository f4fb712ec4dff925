use graphai::node;

#[node]
async fn log(message: String) {
    println!("{message}");
}

fn main() {}
