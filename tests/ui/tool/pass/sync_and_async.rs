//! Sync and async tools, with defaults, options, docs, state and resources,
//! called through a `ToolSet`.

use graphai::{OpenAIApi, Res, State, Tool, ToolSet, json, tool};

struct Prefix(&'static str);

/// Greets someone.
///
/// # Arguments
/// * `name` - Who to greet.
#[tool]
fn greet(name: String, #[default(1)] times: usize, prefix: Res<Prefix>) -> String {
    format!("{}{}", prefix.0, name.repeat(times))
}

/// Remembers a word.
#[tool(name = "remember")]
pub async fn remember_word(
    /// The word.
    word: String,
    note: Option<String>,
    state: State,
) -> graphai::Result<usize> {
    state.insert("word", word.clone());
    Ok(word.len() + note.map_or(0, |n| n.len()))
}

#[tool]
fn nothing() {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(greet::SCHEMA.name(), "greet");
    assert_eq!(<remember_word as Tool>::SCHEMA.name(), "remember");
    let tools = ToolSet::new()
        .resource(Prefix("hi "))
        .add(greet)
        .add(remember_word)
        .add(nothing);
    let schemas = tools.schemas(OpenAIApi::Completions);
    assert_eq!(schemas.len(), 3);
    assert_eq!(
        schemas[0]["function"]["parameters"]["properties"]["name"]["description"],
        "Who to greet."
    );
    assert_eq!(
        tools.call("greet", r#"{"name": "ada", "times": 2}"#).await.unwrap(),
        json!("hi adaada")
    );
    assert_eq!(
        tools.call("remember", r#"{"word": "graph"}"#).await.unwrap(),
        json!(5)
    );
    assert_eq!(tools.state().get("word"), Some(json!("graph")));
    assert_eq!(tools.call("nothing", "").await.unwrap(), json!(null));
}
