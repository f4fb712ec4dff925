use graphai::tool;

#[tool]
fn add((a, b): (f64, f64)) -> f64 {
    a + b
}

fn main() {}
