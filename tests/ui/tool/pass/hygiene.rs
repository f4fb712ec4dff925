//! A tool expands correctly next to user items that shadow common names.

#![allow(dead_code)]

mod serde_json {}
mod schemars {}
mod graphai_private {}
type Result<T> = std::result::Result<T, String>;
struct Option;
struct Value;

#[graphai::tool]
fn add(a: f64, b: f64) -> Result<f64> {
    Ok(a + b)
}

#[derive(graphai::FunctionSchema, serde::Deserialize)]
struct Args {
    a: f64,
}

fn main() {
    assert_eq!(add::call(1.0, 2.0), Ok(3.0));
}
