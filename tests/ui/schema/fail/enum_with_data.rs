#[derive(graphai::FunctionSchema)]
enum Shape {
    Circle { radius: f64 },
    Point,
}

fn main() {}
