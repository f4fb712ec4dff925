//! `Option`, `#[default]`, `#[key]` and documented parameters.

use graphai::{Graph, Node, Value, json, node};

const DEFAULT_DAYS: u32 = 3;

/// Looks up the weather.
#[node(start, end)]
async fn weather(
    /// The city to look up.
    city: String,
    #[default(DEFAULT_DAYS)] days: u32,
    #[default("metric".to_owned())] units: String,
    language: Option<String>,
    #[key("summary")] text: Option<String>,
    mut count: u32,
) -> Value {
    count += 1;
    json!({
        "report": format!("{city} {days} {units} {language:?} {text:?} {count}"),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let names: Vec<_> = weather::PARAMS
        .iter()
        .map(|p| (p.name, p.key, p.required))
        .collect();
    assert_eq!(
        names,
        [
            ("city", "city", true),
            ("days", "days", false),
            ("units", "units", false),
            ("language", "language", false),
            ("text", "summary", false),
            ("count", "count", true),
        ]
    );
    assert_eq!(weather::PARAMS[0].doc, "The city to look up.");
    assert_eq!(weather::PARAMS[1].default, Some("DEFAULT_DAYS"));
    assert_eq!(weather::PARAMS[2].default, Some("\"metric\".to_owned()"));
    assert_eq!(weather::PARAMS[3].ty, "Option<String>");

    let graph = Graph::new().add_node(weather).compile().unwrap();
    let result = graph
        .execute(json!({ "city": "Oslo", "summary": "cold", "count": 1 }))
        .await
        .unwrap();
    assert_eq!(result["report"], "Oslo 3 metric None Some(\"cold\") 2");

    let direct = weather::call(
        "Rome".into(),
        5,
        "imperial".into(),
        Some("it".into()),
        None,
        0,
    )
    .await;
    assert_eq!(direct["report"], "Rome 5 imperial Some(\"it\") None 1");
}
