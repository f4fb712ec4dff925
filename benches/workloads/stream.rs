//! W2: one streaming node sends 1,000,000 tokens through the callback while a
//! consumer task drains `aiter()`; tokens per second end to end and the peak
//! RSS of each mode, unbounded and with `capacity(1024)`.

use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use graphai::{Callback, CompiledGraph, Graph, Value, json, node};
use tokio::sync::mpsc;

use crate::harness::{Bench, Only, current_thread, peak_rss_kib, ratio};

const TOKENS: u64 = 1_000_000;
const CAPACITY: usize = 1024;
const END: &str = "<graphai:END:>";

#[node(start)]
async fn begin(n: u64) -> Value {
    json!({ "n": n })
}

/// Sends `n` tokens "tok", waiting for room when the queue is bounded.
#[node(stream)]
async fn produce(n: u64, callback: Callback) -> graphai::Result<Value> {
    for _ in 0..n {
        callback.acall("tok").await?;
    }
    Ok(json!({ "sent": n }))
}

#[node(end)]
async fn finish(sent: u64) -> Value {
    json!({ "sent": sent })
}

fn graph() -> CompiledGraph {
    Graph::new()
        .add_node(begin)
        .add_node(produce)
        .add_node(finish)
        .add_edge(begin, produce)
        .add_edge(produce, finish)
        .compile()
        .expect("the streaming chain compiles")
}

/// One graphai pass: the consumer task counts the "tok"s of `aiter()` until
/// the end marker while this task runs the graph. Timed from the start of
/// the run to the consumer's last token.
async fn engine_pass(graph: &CompiledGraph, capacity: Option<usize>) -> Duration {
    let callback = match capacity {
        Some(capacity) => Callback::builder()
            .capacity(capacity)
            .build()
            .expect("a valid capacity"),
        None => Callback::new(),
    };
    let mut tokens = callback.aiter().expect("a fresh callback");
    let start = Instant::now();
    let consumer = tokio::spawn(async move {
        let mut count = 0u64;
        while let Some(token) = tokens.next().await {
            if token == END {
                break;
            }
            count += u64::from(token == "tok");
        }
        count
    });
    let output = graph
        .execute_with(json!({ "n": TOKENS }), &callback)
        .await
        .expect("the stream runs");
    let count = consumer.await.expect("the consumer does not panic");
    let elapsed = start.elapsed();
    assert_eq!((count, &output["sent"]), (TOKENS, &json!(TOKENS)));
    elapsed
}

/// The floor: a tokio mpsc channel of `String`s between two tasks. This task
/// sends `"tok".to_owned()` a million times (`send(..).await` when bounded)
/// and drops the sender, which ends the stream; the consumer task counts
/// what it receives until then. The same allocation per token as `acall("tok")`.
async fn floor_pass(capacity: Option<usize>) -> Duration {
    match capacity {
        None => {
            let (sender, mut receiver) = mpsc::unbounded_channel::<String>();
            let start = Instant::now();
            let consumer = tokio::spawn(async move {
                let mut count = 0u64;
                while let Some(token) = receiver.recv().await {
                    count += u64::from(token == "tok");
                }
                count
            });
            for _ in 0..TOKENS {
                sender
                    .send("tok".to_owned())
                    .expect("the consumer is there");
            }
            drop(sender);
            let count = consumer.await.expect("the consumer does not panic");
            let elapsed = start.elapsed();
            assert_eq!(count, TOKENS);
            elapsed
        }
        Some(capacity) => {
            let (sender, mut receiver) = mpsc::channel::<String>(capacity);
            let start = Instant::now();
            let consumer = tokio::spawn(async move {
                let mut count = 0u64;
                while let Some(token) = receiver.recv().await {
                    count += u64::from(token == "tok");
                }
                count
            });
            for _ in 0..TOKENS {
                sender
                    .send("tok".to_owned())
                    .await
                    .expect("the consumer is there");
            }
            drop(sender);
            let count = consumer.await.expect("the consumer does not panic");
            let elapsed = start.elapsed();
            assert_eq!(count, TOKENS);
            elapsed
        }
    }
}

/// The four modes a fresh process can measure alone.
const MODES: [(&str, bool, Option<usize>); 4] = [
    ("floor-unbounded", false, None),
    ("floor-bounded", false, Some(CAPACITY)),
    ("graphai-unbounded", true, None),
    ("graphai-bounded", true, Some(CAPACITY)),
];

/// `--child w2:<mode>`: one pass of one mode in this fresh process, then its
/// peak RSS in KiB on stdout.
pub fn child(mode: &str) {
    let (_, engine, capacity) = MODES
        .iter()
        .copied()
        .find(|(name, _, _)| *name == mode)
        .unwrap_or_else(|| panic!("unknown W2 mode `{mode}`"));
    let graph = graph();
    current_thread().block_on(async {
        if engine {
            engine_pass(&graph, capacity).await;
        } else {
            floor_pass(capacity).await;
        }
    });
    println!("{}", peak_rss_kib().expect("/proc/self/status has VmHWM"));
}

/// Peak RSS in MiB of a fresh process running one pass of `mode`.
fn rss_of(mode: &str) -> f64 {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = Command::new(exe)
        .args(["--child", &format!("w2:{mode}")])
        .output()
        .expect("the benchmark can run itself");
    assert!(
        out.status.success(),
        "the W2 child `{mode}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kib: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the child prints its peak RSS in KiB");
    kib / 1024.0
}

pub fn w2(bench: &mut Bench) {
    let graph = graph();
    let runtime = current_thread();
    for (key, capacity) in [("W2-unbounded", None), ("W2-bounded", Some(CAPACITY))] {
        let (floor, engine) = runtime.block_on(bench.interleave(
            5,
            async || floor_pass(capacity).await,
            async || engine_pass(&graph, capacity).await,
        ));
        let rate = |secs: f64| TOKENS as f64 / secs / 1e6;
        let (floor, engine) = (rate(floor), rate(engine));
        bench.figure(key, floor, engine, Some(ratio(floor, engine)));
    }
    if !bench.rss || bench.only != Only::Both {
        return;
    }
    for (key, mode) in [
        ("W2-unbounded-rss", "unbounded"),
        ("W2-bounded-rss", "bounded"),
    ] {
        let floor = rss_of(&format!("floor-{mode}"));
        let engine = rss_of(&format!("graphai-{mode}"));
        bench.figure(key, floor, engine, Some(ratio(floor, engine)));
    }
}
