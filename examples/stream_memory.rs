//! Memory stays flat when a streaming node sends a million tokens through a
//! bounded callback: the producer waits for the consumer instead of queueing.
//!
//! Run it with `cargo run --release --example stream_memory`. It prints the
//! process's peak resident memory (Linux `VmHWM`) after each scenario; the
//! bounded runs must not grow it, the unbounded run with a late consumer shows
//! what the bound prevents.

use std::time::Instant;

use futures::StreamExt;
use graphai::{Callback, CompiledGraph, Graph, Value, json, node};

/// Streams `count` tokens of 32 bytes each.
#[node(start, end, stream)]
async fn producer(count: u64, callback: Callback) -> graphai::Result<Value> {
    for i in 0..count {
        callback
            .acall(format!("token {i:>10} ............."))
            .await?;
    }
    Ok(json!({ "sent": count }))
}

fn graph() -> CompiledGraph {
    Graph::new()
        .add_node(producer)
        .compile()
        .expect("one-node graph")
}

/// Peak resident set size of this process so far, in MiB (0 off Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Runs the graph with `callback`; the consumer starts reading at once, or
/// only after the run has finished when `late`.
async fn run(graph: &CompiledGraph, count: u64, callback: Callback, late: bool) -> (u64, f64) {
    let tokens = callback.aiter().expect("a fresh callback");
    let start = Instant::now();
    let consume = async move {
        tokens
            .filter(|t| std::future::ready(!t.starts_with('<')))
            .count()
            .await
    };
    let received = if late {
        graph
            .execute_with(json!({ "count": count }), &callback)
            .await
            .expect("runs");
        consume.await
    } else {
        let (result, received) = tokio::join!(
            graph.execute_with(json!({ "count": count }), &callback),
            consume
        );
        result.expect("runs");
        received
    };
    (received as u64, start.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    graphai::logging::init();
    let graph = graph();
    println!(
        "peak RSS at start                          : {:>7.1} MiB",
        peak_rss_mib()
    );
    for count in [10_000u64, 1_000_000] {
        let callback = Callback::builder()
            .capacity(64)
            .build()
            .expect("capacity 64");
        let (received, secs) = run(&graph, count, callback, false).await;
        assert_eq!(received, count);
        println!(
            "bounded (64),   {count:>9} tokens, live reader: {:>7.1} MiB peak, {:.0} tokens/s",
            peak_rss_mib(),
            count as f64 / secs
        );
    }
    let (received, _) = run(&graph, 1_000_000, Callback::new(), true).await;
    assert_eq!(received, 1_000_000);
    println!(
        "unbounded, 1000000 tokens, late reader     : {:>7.1} MiB peak",
        peak_rss_mib()
    );
}
