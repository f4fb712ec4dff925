//! `--report FILE..`: `BENCHMARKS.md` from the TSV files of several fresh
//! processes (what `scripts/bench.sh` runs). The machine's description comes
//! from the `BENCH_*` environment variables the script sets.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use crate::harness::{fmt, median};
use crate::rows::{ROWS, Target};

/// Figures by (row key, column): one value per process.
type Runs = BTreeMap<(String, String), Vec<f64>>;

fn read(files: &[PathBuf]) -> Runs {
    let mut runs = Runs::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut fields = line.split('\t');
            let (Some(key), Some(column), Some(value)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!(
                    "{}: not `key<TAB>column<TAB>value`: {line:?}",
                    file.display()
                );
            };
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("{}: not a number: {line:?}", file.display()));
            runs.entry((key.to_owned(), column.to_owned()))
                .or_default()
                .push(value);
        }
    }
    runs
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| "unknown".to_owned())
}

const WORKLOADS: &str = "\
- **W1**: start -> n1..n8 -> end, each node takes `x: i64` and returns `{\"x\": x + 1}`; \
10,000 sequential executes on one compiled graph. Floor: ten `async fn`s over a \
serde_json `Map` (read `x`, return a fresh output map, merge it), called in sequence.
- **W1 with a tracing subscriber**: W1 while a `tracing_subscriber::fmt` subscriber \
(max level INFO, writing to a sink) is installed: graphai's per-run `info_span` is \
enabled, its per-node `debug_span`s are not. The floor does not trace.
- **W2**: start -> one streaming node -> end; the node sends 1,000,000 tokens `\"tok\"` \
with `acall` while a consumer task drains `aiter()` until `<graphai:END:>`; unbounded \
and `Callback::builder().capacity(1024)`. Floor: a tokio mpsc channel of `String`s \
(unbounded / bounded 1024) between two tasks. Peak RSS (`VmHWM`) is measured in a \
fresh process per mode, doing one pass.
- **W3**: start -> 8 parallel branches -> join -> end, branch i returns `{\"b<i>\": i}`; \
2,000 executes. Floor: the 8 branch futures polled with `join_all`, their maps merged \
in order.
- **W4**: the W1 graph with `tokio::task::yield_now().await` in each middle node; \
`execute_many` over 20,000 inputs at concurrency 64 on a 2-worker multi-thread runtime. \
Floor: each run spawned as a task under a 64-permit semaphore, results collected in \
input order.
- **W5**: W1's chain with an extra `payload` of K strings of 100 bytes that no node \
reads, K = 10, 1,000, 10,000; 200 executes per repetition, inputs built before and \
outputs dropped after the timed part. Each round measures the three sizes on both \
sides, so the sizes share the machine's slow and fast stretches. Floor: W1's floor on \
the same inputs.
- **W6**: start -> router; the router sends to `step` while `counter < 1000`, else to \
the end node; `step` returns `{\"counter\": counter + 1}` and leads back to the router. \
The figure is per lap (one router call plus one step). The router returns a \
`graphai::Route` (`Route::node::<step>()`); W6-json runs the same loop with the router \
returning GraphAI's `{\"choice\": ..}` object, which costs a map's allocations per lap. \
Floor: the same nodes as `async fn`s in a loop, the router returning an enum.
";

/// The report as Markdown.
pub fn report(files: &[PathBuf]) -> String {
    let runs = read(files);
    let column = |key: &str, column: &str| -> Vec<f64> {
        runs.get(&(key.to_owned(), column.to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "graphai against its floor, the same work written by hand with tokio and \
         serde_json maps, measured in the same process. Written by `scripts/bench.sh` \
         (`cargo bench --bench workloads`); issue 11 sets the targets.\n"
    );
    let _ = writeln!(
        w,
        "Each figure is the median over {} fresh processes; inside a process each \
         workload alternates its floor and graphai over several repetitions (after a \
         warm-up) and takes the median of each. Where a repetition times runs on inputs \
         it built first (W1, W3, W5, W6), each side runs once, untimed, on a copy of the \
         last input before the timing starts, so the code that building the inputs \
         evicted from the caches is back. The ratio is graphai / floor, computed \
         in each process and then the median taken; the last column lists the \
         per-process ratios.\n",
        files.len()
    );
    let _ = writeln!(
        w,
        "| workload | unit | floor | graphai | ratio | target | met? | ratio per process |"
    );
    let _ = writeln!(w, "|---|---|---:|---:|---:|---|---|---|");
    for row in ROWS {
        let floor = median(column(row.key, "floor"));
        let graphai = median(column(row.key, "graphai"));
        let ratios = column(row.key, "ratio");
        let ratio = median(ratios.clone());
        if !floor.is_finite() && !graphai.is_finite() {
            continue;
        }
        let met = match row.target.met(graphai, ratio) {
            Some(true) => "yes".to_owned(),
            Some(false) => match row.target {
                Target::GraphaiAtMost(x) => format!("no ({:.2}x the target)", graphai / x),
                Target::RatioAtMost(x) => format!("no ({:.2}x the target)", ratio / x),
                Target::RatioAtLeast(x) => format!("no ({:.2}x the target)", ratio / x),
                Target::None => String::new(),
            },
            None => "-".to_owned(),
        };
        // Rows that are themselves ratios (W5's) list graphai's own figures.
        let per_process = if matches!(row.target, Target::GraphaiAtMost(_)) || ratios.is_empty() {
            column(row.key, "graphai")
        } else {
            ratios
        };
        let per_process: Vec<String> = per_process.iter().map(|r| format!("{r:.2}")).collect();
        let shown_ratio = if ratio.is_finite() {
            format!("{ratio:.2}x")
        } else {
            "-".to_owned()
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.label,
            row.unit,
            fmt(floor, row.decimals),
            fmt(graphai, row.decimals),
            shown_ratio,
            row.target.text(),
            met,
            per_process.join(", "),
        );
    }
    let _ = writeln!(
        w,
        "\nFor W5's time row the floor and graphai columns are each side's own time at \
         K=10,000 divided by its time at K=10. The engine row divides what graphai adds \
         to the floor (graphai's time less the floor's) at K=10,000 by the same at K=10, \
         and carries the target: the inputs are built before the timed runs, so at \
         K=10,000 each run reads an input that has left the cache, a cost of the input \
         that the floor pays as much as graphai.\n"
    );
    let _ = writeln!(w, "## Machine\n");
    let _ = writeln!(w, "- date: {}", env("BENCH_DATE"));
    let _ = writeln!(w, "- commit: {}", env("BENCH_COMMIT"));
    let _ = writeln!(
        w,
        "- CPU: {} (`nproc`: {})",
        env("BENCH_CPU"),
        env("BENCH_NPROC")
    );
    let _ = writeln!(w, "- rustc: {}", env("BENCH_RUSTC"));
    let _ = writeln!(
        w,
        "- build: `[profile.bench]` {}, for graphai and the floor alike",
        env("BENCH_PROFILE")
    );
    let _ = writeln!(w, "- load before: {}", env("BENCH_LOAD_BEFORE"));
    let _ = writeln!(w, "- load after: {}", env("BENCH_LOAD_AFTER"));
    let _ = writeln!(
        w,
        "\nThe machine may be shared: compare ratios, which hold on a loaded machine \
         better than absolute figures do.\n"
    );
    let _ = writeln!(w, "## Workloads\n");
    let _ = write!(w, "{WORKLOADS}");
    out
}
