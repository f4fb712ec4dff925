//! An offline agent in a few nodes: a router decides, tools run, the router
//! decides again, and an answer comes out. No network, no API key.
//!
//! Run it with `cargo run --example quickstart`. Set `GRAPHAI_LOG_LEVEL=debug`
//! (or `RUST_LOG`) to see the runtime's own spans.

use graphai::{Graph, State, Value, json, node, router};

/// Takes the user's question and starts a fresh scratchpad.
#[node(start)]
async fn receive(question: String) -> Value {
    println!("[receive]    question: {question:?}");
    json!({ "question": question, "notes": [] })
}

/// Decides what to do next, the way an LLM agent would: use a tool while
/// something is left to find out, answer once nothing is.
#[router]
async fn agent(question: String, notes: Vec<String>) -> Value {
    let wants_math = question.chars().any(|c| c.is_ascii_digit());
    let has_math = notes.iter().any(|n| n.starts_with("calculator"));
    let wants_facts = question.to_lowercase().contains("capital");
    let has_facts = notes.iter().any(|n| n.starts_with("lookup"));
    let choice = if wants_math && !has_math {
        "calculator"
    } else if wants_facts && !has_facts {
        "lookup"
    } else {
        "respond"
    };
    println!("[agent]      {} note(s) so far -> {choice}", notes.len());
    json!({ "choice": choice })
}

/// Adds up every number in the question.
#[node]
async fn calculator(question: String, mut notes: Vec<String>) -> Value {
    let sum: i64 = question
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .filter_map(|word| word.parse::<i64>().ok())
        .sum();
    println!("[calculator] sum of the numbers in the question = {sum}");
    notes.push(format!("calculator: the numbers add up to {sum}"));
    json!({ "notes": notes })
}

/// Looks a country up in a tiny built-in knowledge base; counts lookups in
/// the graph's shared state, which outlives the run.
#[node]
async fn lookup(question: String, mut notes: Vec<String>, state: State) -> Value {
    const CAPITALS: [(&str, &str); 3] = [("france", "Paris"), ("japan", "Tokyo"), ("peru", "Lima")];
    let lower = question.to_lowercase();
    let found = CAPITALS.iter().find(|(country, _)| lower.contains(country));
    let note = match found {
        Some((country, capital)) => format!("lookup: the capital of {country} is {capital}"),
        None => "lookup: no country I know of".to_owned(),
    };
    let lookups = state.update_with(|map| {
        let n = map.get("lookups").and_then(Value::as_u64).unwrap_or(0) + 1;
        map.insert("lookups".into(), json!(n));
        n
    });
    println!("[lookup]     {note} (lookup #{lookups} since the graph was built)");
    notes.push(note);
    json!({ "notes": notes })
}

/// Writes the answer from the notes.
#[node(end)]
async fn respond(question: String, notes: Vec<String>) -> Value {
    let answer = if notes.is_empty() {
        format!("I have nothing to add to {question:?}.")
    } else {
        notes.join("; ")
    };
    println!("[respond]    {answer}");
    json!({ "answer": answer })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    graphai::logging::init();
    let graph = Graph::new()
        .add_node(receive)
        .add_node(agent)
        .add_node(calculator)
        .add_node(lookup)
        .add_node(respond)
        .add_edge(receive, agent)
        .add_router([calculator, lookup], agent, [calculator, lookup, respond])
        .compile()?;

    for question in [
        "What is 12 + 30?",
        "What is the capital of France, and what is 2 + 2?",
        "Hello there",
    ] {
        let result = graph.execute(json!({ "question": question })).await?;
        println!("=> {}\n", result["answer"]);
    }
    println!(
        "shared state after three runs: {}",
        Value::Object(graph.get_state())
    );
    Ok(())
}
