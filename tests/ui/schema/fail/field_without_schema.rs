struct Color(u8, u8, u8);

/// A pen.
#[derive(graphai::FunctionSchema)]
struct Pen {
    color: Color,
}

fn main() {}
