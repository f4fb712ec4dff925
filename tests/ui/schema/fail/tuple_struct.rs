#[derive(graphai::FunctionSchema)]
struct Point(f64, f64);

fn main() {}
