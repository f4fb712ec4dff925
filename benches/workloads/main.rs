//! Issue 11's workloads, each run on graphai and on its floor (the same work
//! written by hand with tokio and serde_json maps) in one process, printing
//! both figures and their ratio. Only graphai's public API is used, so the
//! benchmark runs unchanged across rewrites of the runtime.
//!
//! ```text
//! cargo bench --bench workloads                 # every workload
//! cargo bench --bench workloads -- W1 W3        # some (`--list` names them)
//! cargo bench --bench workloads -- --only graphai --reps 1 --warmups 0 W2
//! ```
//!
//! Options: `--reps N` and `--warmups N` per side (each workload has its own
//! default reps, one warm-up), `--only graphai|floor` (for profiling; skips
//! the RSS processes), `--no-rss`, `--tsv FILE` (figures as
//! `key<TAB>column<TAB>value`), `--report FILE..` (`BENCHMARKS.md` from TSV
//! files on stdout), `--list`. `scripts/bench.sh` runs three processes and
//! writes `BENCHMARKS.md`.

mod chain;
mod fanout;
mod harness;
mod report;
mod router;
mod rows;
mod stream;

use std::path::PathBuf;

use harness::{Bench, Only};

type Workload = fn(&mut Bench);

/// In the order they run. `W1-tracing` is last: installing a subscriber
/// changes tracing's global caches for the rest of the process.
const WORKLOADS: &[(&str, Workload)] = &[
    ("W1", chain::w1),
    ("W2", stream::w2),
    ("W3", fanout::w3),
    ("W4", chain::w4),
    ("W5", chain::w5),
    ("W6", router::w6),
    ("W6-json", router::w6_json),
    ("W1-tracing", chain::w1_tracing),
];

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: workloads [W1 W2 ..] [--reps N] [--warmups N] [--only graphai|floor] \
         [--no-rss] [--tsv FILE] | --report FILE.. | --list"
    );
    std::process::exit(2)
}

fn number(value: Option<String>, option: &str) -> usize {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| usage(&format!("`{option}` takes a whole number")))
}

/// Whether `filter` picks workload `name` (case does not matter).
fn matches(name: &str, filter: &str) -> bool {
    name.eq_ignore_ascii_case(filter)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut bench = Bench {
        reps: None,
        warmups: None,
        only: Only::Both,
        rss: true,
        tsv: None,
    };
    let mut filters = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes it to every bench target.
            "--bench" => {}
            "--child" => match args.next().as_deref().and_then(|m| m.strip_prefix("w2:")) {
                Some(mode) => return stream::child(mode),
                None => usage("`--child` takes `w2:<mode>`"),
            },
            "--report" => {
                let files: Vec<PathBuf> =
                    args.filter(|a| a != "--bench").map(PathBuf::from).collect();
                if files.is_empty() {
                    usage("`--report` takes the TSV files to summarize");
                }
                print!("{}", report::report(&files));
                return;
            }
            "--list" => {
                WORKLOADS.iter().for_each(|(name, _)| println!("{name}"));
                return;
            }
            "--reps" => bench.reps = Some(number(args.next(), "--reps")),
            "--warmups" => bench.warmups = Some(number(args.next(), "--warmups")),
            "--no-rss" => bench.rss = false,
            "--only" => {
                bench.only = match args.next().as_deref() {
                    Some("graphai") => Only::Graphai,
                    Some("floor") => Only::Floor,
                    _ => usage("`--only` takes `graphai` or `floor`"),
                }
            }
            "--tsv" => {
                let path = args.next().unwrap_or_else(|| usage("`--tsv` takes a file"));
                let file = std::fs::File::create(&path)
                    .unwrap_or_else(|err| usage(&format!("cannot create {path}: {err}")));
                bench.tsv = Some(file);
            }
            flag if flag.starts_with('-') => usage(&format!("unknown option `{flag}`")),
            _ => filters.push(arg),
        }
    }
    if let Some(unknown) = filters
        .iter()
        .find(|f| !WORKLOADS.iter().any(|(name, _)| matches(name, f)))
    {
        usage(&format!("no workload `{unknown}` (see `--list`)"));
    }
    for (name, workload) in WORKLOADS {
        if filters.is_empty() || filters.iter().any(|f| matches(name, f)) {
            workload(&mut bench);
        }
    }
}
