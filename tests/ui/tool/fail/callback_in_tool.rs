use graphai::{Callback, tool};

#[tool]
async fn write(text: String, callback: Callback) -> String {
    let _ = callback;
    text
}

fn main() {}
