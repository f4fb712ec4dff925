use graphai::tool;

struct Total(f64);

#[tool]
fn add(a: f64, b: f64) -> Total {
    Total(a + b)
}

fn main() {}
