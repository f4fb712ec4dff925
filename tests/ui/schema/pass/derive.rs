//! `#[derive(FunctionSchema)]` on a struct and a unit enum, nested in a node's
//! and a tool's schema.

use graphai::{FunctionSchema, Node, Tool, Value, json, node, tool};
use serde::Deserialize;

/// How hot.
#[derive(FunctionSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Heat {
    Mild,
    VeryHot,
}

/// An order.
#[derive(FunctionSchema, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Order {
    /// The dish.
    dish_name: String,
    heat: Heat,
    #[serde(default)]
    extra_rice: bool,
}

#[node(start, end)]
async fn kitchen(order: Order) -> Value {
    json!({ "dish": order.dish_name, "rice": order.extra_rice, "hot": matches!(order.heat, Heat::VeryHot) })
}

#[tool]
fn waiter(order: Order) -> String {
    order.dish_name
}

fn main() {
    let schema = FunctionSchema::of::<Order>();
    assert_eq!(schema.name(), "Order");
    let names: Vec<_> = schema.parameters().map(|p| p.name()).collect();
    assert_eq!(names, ["dishName", "heat", "extraRice"]);
    let nested = kitchen::SCHEMA.json_schema();
    assert_eq!(
        nested["properties"]["order"]["properties"]["heat"]["enum"],
        json!(["mild", "very_hot"])
    );
    assert_eq!(waiter::SCHEMA.json_schema(), nested);
}
