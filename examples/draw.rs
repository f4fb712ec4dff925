//! Draws two graphs as SVG and PNG, in pure Rust: the quickstart agent
//! (`examples/quickstart.rs`, rebuilt here with the same nodes and wiring)
//! and a graph that uses every kind of node and edge. Also writes their
//! Mermaid and DOT text.
//!
//! Run it with `cargo run --example draw --features svg -- [DIR]`; the files
//! go to `DIR` (default `target/draw/`): `quickstart.svg`, `quickstart.png`,
//! `quickstart.mmd`, `quickstart.dot`, and the same for `every_edge`.

use std::path::{Path, PathBuf};

use graphai::{Branch, CompiledGraph, Graph, Value, json, node, router};

/// The quickstart's nodes, without their bodies: drawing needs only the wiring.
mod quickstart {
    use super::*;

    /// Takes the user's question and starts a fresh scratchpad.
    #[node(start)]
    pub async fn receive(question: String) -> Value {
        json!({ "question": question, "notes": [] })
    }

    /// Decides what to do next.
    #[router]
    pub async fn agent(question: String) -> Value {
        json!({ "choice": if question.is_empty() { "respond" } else { "lookup" } })
    }

    /// Adds up every number in the question.
    #[node]
    pub async fn calculator(notes: Vec<String>) -> Value {
        json!({ "notes": notes })
    }

    /// Looks a country up.
    #[node]
    pub async fn lookup(notes: Vec<String>) -> Value {
        json!({ "notes": notes })
    }

    /// Writes the answer from the notes.
    #[node(end)]
    pub async fn respond(notes: Vec<String>) -> Value {
        json!({ "answer": notes.join("; ") })
    }

    /// The same wiring as `examples/quickstart.rs`.
    pub fn graph() -> Graph {
        Graph::new()
            .add_node(receive)
            .add_node(agent)
            .add_node(calculator)
            .add_node(lookup)
            .add_node(respond)
            .add_edge(receive, agent)
            .add_router([calculator, lookup], agent, [calculator, lookup, respond])
    }
}

/// A research assistant that uses every kind of node and edge.
mod every_edge {
    use super::*;

    /// Start: plans the searches.
    #[node(start)]
    pub async fn plan(question: String) -> Value {
        json!({ "query": question })
    }

    /// One of two parallel searches.
    #[node]
    pub async fn search_web(query: String) -> Value {
        json!({ "web": query })
    }

    /// The other parallel search.
    #[node]
    pub async fn search_docs(query: String) -> Value {
        json!({ "docs": query })
    }

    /// Runs once both searches arrived.
    #[node]
    pub async fn combine(web: String, docs: String) -> Value {
        json!({ "found": format!("{web} {docs}") })
    }

    /// Routes to an answer or a shrug.
    #[router]
    pub async fn decide(found: String) -> Value {
        json!({ "choice": if found.is_empty() { "give_up" } else { "write" } })
    }

    /// Streams the answer.
    #[node(end, stream)]
    pub async fn write(found: String, callback: graphai::Callback) -> graphai::Result<Value> {
        callback.acall(found.clone()).await?;
        Ok(json!({ "answer": found }))
    }

    /// Ends without an answer.
    #[node(end)]
    pub async fn give_up() -> Value {
        json!({ "answer": "no idea" })
    }

    /// A waited-for side pipeline: records what was found.
    #[node]
    pub async fn record(found: String) -> Value {
        json!({ "recorded": found })
    }

    /// A detached side pipeline, only for long questions.
    #[node]
    pub async fn audit(query: String) -> Value {
        json!({ "audited": query })
    }

    pub fn graph() -> Graph {
        Graph::new()
            .add_node(plan)
            .add_node(search_web)
            .add_node(search_docs)
            .add_node(combine)
            .add_node(decide)
            .add_node(write)
            .add_node(give_up)
            .add_node(record)
            .add_node(audit)
            .add_parallel(plan, [search_web, search_docs])
            .add_join([search_web, search_docs], combine)
            .add_router([combine], decide, [write, give_up])
            .add_branch(combine, record)
            .add_branch(
                plan,
                Branch::to(audit)
                    .when(|output, _| output["query"].as_str().is_some_and(|q| q.len() > 40))
                    .detached(),
            )
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    graphai::logging::init();
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/draw"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let fonts = fonts();
    for (name, graph) in [
        ("quickstart", quickstart::graph()),
        ("every_edge", every_edge::graph()),
    ] {
        let graph = graph.compile()?;
        draw(&graph, &dir, name, &fonts)?;
    }
    Ok(())
}

fn draw(
    graph: &CompiledGraph,
    dir: &Path,
    name: &str,
    fonts: &std::sync::Arc<resvg::usvg::fontdb::Database>,
) -> Result<(), Box<dyn std::error::Error>> {
    let svg = graph.to_svg();
    let file = |ext: &str| dir.join(format!("{name}.{ext}"));
    std::fs::write(file("svg"), &svg)?;
    std::fs::write(file("mmd"), graph.to_mermaid())?;
    std::fs::write(file("dot"), graph.to_dot())?;
    std::fs::write(file("png"), png(&svg, fonts)?)?;
    println!("wrote {}.{{svg,png,mmd,dot}}", dir.join(name).display());
    Ok(())
}

/// The system's fonts, for the PNG's text (the SVG names its font families).
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    let mut fonts = resvg::usvg::fontdb::Database::new();
    fonts.load_system_fonts();
    std::sync::Arc::new(fonts)
}

/// The SVG rasterised at twice its size.
fn png(
    svg: &str,
    fonts: &std::sync::Arc<resvg::usvg::fontdb::Database>,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let options = resvg::usvg::Options {
        fontdb: fonts.clone(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options)?;
    let scale = 2.0;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("the picture is empty")?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the picture is empty")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap.encode_png()?)
}
