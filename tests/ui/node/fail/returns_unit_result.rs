use graphai::node;

#[node]
async fn log(message: String) -> anyhow::Result<()> {
    println!("{message}");
    Ok(())
}

fn main() {}
