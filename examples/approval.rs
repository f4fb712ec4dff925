//! An agent that stops for a person's approval before it runs a tool, and is
//! resumed by a second invocation, from a SQLite file, with no server.
//!
//! ```text
//! cargo run --example approval                                   # plans, then asks
//! cargo run --example approval -- --thread t1 --answer yes       # approves: the tool runs
//! cargo run --example approval -- --thread t2 --task "rotate the keys"
//! cargo run --example approval -- --thread t2 --answer no        # refuses
//! ```
//!
//! The first invocation plans a tool call, prints the pending question and
//! exits; the run waits in `target/approval.db` (change it with `--db PATH`).
//! The second gives the answer: the approval node runs again from its start,
//! `ask` returns the answer, and the run goes on. The planning step is not
//! run again: its result is in the checkpoint.

use std::process::ExitCode;
use std::sync::Arc;

use graphai::checkpoint::{CheckpointStore, SqliteStore};
use graphai::{CompiledGraph, Graph, GraphError, Interrupt, RunOutcome, Value, json, node};

/// Decides which tool to run for the task (a real agent would ask an LLM).
#[node(start)]
async fn plan(task: String) -> Value {
    let tool = if task.contains("key") {
        "rotate_keys"
    } else {
        "delete_old_logs"
    };
    println!("[plan]    task {task:?} -> tool `{tool}`");
    json!({ "tool": tool, "arguments": { "older_than_days": 30 } })
}

/// Asks a person before anything is changed.
#[node]
async fn approve(tool: String, arguments: Value, human: Interrupt) -> Value {
    let answer = human
        .ask(json!({ "question": format!("run `{tool}` with {arguments}?"), "choices": ["yes", "no"] }))
        .await;
    let approved = answer
        .as_str()
        .is_some_and(|a| a.eq_ignore_ascii_case("yes"));
    println!(
        "[approve] the answer was {answer}: {}",
        if approved { "approved" } else { "refused" }
    );
    json!({ "approved": approved })
}

/// Runs the tool, if it was approved.
#[node(end)]
async fn act(tool: String, approved: bool) -> Value {
    let report = if approved {
        format!("`{tool}` ran: 12 items changed")
    } else {
        format!("`{tool}` was not run")
    };
    println!("[act]     {report}");
    json!({ "report": report })
}

fn graph(store: Arc<SqliteStore>) -> Result<CompiledGraph, graphai::GraphCompileError> {
    Graph::new()
        .checkpointer(store)
        .add_node(plan)
        .add_node(approve)
        .add_node(act)
        .add_edge(plan, approve)
        .add_edge(approve, act)
        .compile()
}

struct Args {
    db: String,
    thread: String,
    task: String,
    answer: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        db: "target/approval.db".to_owned(),
        thread: "t1".to_owned(),
        task: "clean up the logs".to_owned(),
        answer: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().ok_or(format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--db" => args.db = value()?,
            "--thread" => args.thread = value()?,
            "--task" => args.task = value()?,
            "--answer" => args.answer = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument `{other}`: use --thread ID, --answer yes|no, --task TEXT or --db PATH"
                ));
            }
        }
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(parent) = std::path::Path::new(&args.db).parent() {
        std::fs::create_dir_all(parent)?;
    }
    let store = Arc::new(SqliteStore::open(&args.db)?);
    let graph = graph(store.clone())?;
    let thread = args.thread.as_str();
    let outcome = match (&args.answer, store.latest(thread).await?) {
        (Some(answer), _) => {
            graph
                .resume(thread)
                .with_answer(answer.as_str())
                .outcome()
                .await
        }
        (None, Some(_)) => graph.resume(thread).outcome().await,
        (None, None) => {
            graph
                .run(json!({ "task": args.task }))
                .thread(thread)
                .outcome()
                .await
        }
    };
    match outcome {
        Ok(RunOutcome::Interrupted { node, payload, .. }) => {
            println!(
                "\nthread `{thread}` waits at `{node}`: {}",
                payload["question"]
            );
            println!("answer with: cargo run --example approval -- --thread {thread} --answer yes");
        }
        Ok(RunOutcome::Finished(output)) => {
            println!("\nthread `{thread}` finished: {}", output.state["report"]);
            let steps = store.history(thread).await?.len();
            println!("({steps} checkpoints in {})", args.db);
        }
        Ok(_) => {}
        Err(GraphError::NotWaiting { state, .. }) => {
            println!("thread `{thread}` has nothing to answer: {state}");
        }
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    graphai::logging::init();
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
