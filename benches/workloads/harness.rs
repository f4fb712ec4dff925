//! Timing and reporting inside one process: interleaved repetitions of a
//! workload's floor and its graphai version, medians, and the figures printed.

use std::fs::File;
use std::io::Write;
use std::time::Duration;

use crate::rows::{self, Row};

/// Which side of a workload to run (`--only` picks one, for profiling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    Both,
    Floor,
    Graphai,
}

/// How one process measures: repetitions per workload and where figures go.
pub struct Bench {
    /// `--reps`: repetitions per side, overriding each workload's default.
    pub reps: Option<usize>,
    /// `--warmups`: untimed repetitions per side first.
    pub warmups: Option<usize>,
    pub only: Only,
    /// `--no-rss`: skip the fresh processes that measure W2's peak RSS.
    pub rss: bool,
    /// `--tsv FILE`: one `key<TAB>column<TAB>value` line per figure.
    pub tsv: Option<File>,
}

impl Bench {
    /// Runs `floor` and `engine` alternately (which goes first flips every
    /// repetition, so a load spike or a warm cache favours neither), after
    /// untimed warm-up rounds, and returns the median time of each in
    /// seconds (NaN for a side `--only` skipped). Each closure runs one
    /// repetition and returns the time of its timed part only.
    pub async fn interleave(
        &self,
        default_reps: usize,
        mut floor: impl AsyncFnMut() -> Duration,
        mut engine: impl AsyncFnMut() -> Duration,
    ) -> (f64, f64) {
        self.interleave_cases(
            default_reps,
            &[()],
            async |()| floor().await,
            async |()| engine().await,
        )
        .await[0]
    }

    /// [`interleave`](Self::interleave) over several cases of one workload
    /// (W5's payload sizes): every round runs each case on both sides, so a
    /// slow stretch of the machine lands on all cases alike instead of on
    /// whichever was measured then. Returns the medians per case, in order.
    pub async fn interleave_cases<C: Copy>(
        &self,
        default_reps: usize,
        cases: &[C],
        mut floor: impl AsyncFnMut(C) -> Duration,
        mut engine: impl AsyncFnMut(C) -> Duration,
    ) -> Vec<(f64, f64)> {
        let warmups = self.warmups.unwrap_or(1);
        let reps = self.reps.unwrap_or(default_reps).max(1);
        let mut times = vec![(Vec::new(), Vec::new()); cases.len()];
        for round in 0..warmups + reps {
            let timed = round >= warmups;
            let order = if round % 2 == 0 {
                [Only::Floor, Only::Graphai]
            } else {
                [Only::Graphai, Only::Floor]
            };
            for (&case, (floors, engines)) in cases.iter().zip(&mut times) {
                for side in order {
                    if self.only != Only::Both && self.only != side {
                        continue;
                    }
                    let (time, of_side) = match side {
                        Only::Floor => (floor(case).await, &mut *floors),
                        _ => (engine(case).await, &mut *engines),
                    };
                    if timed {
                        of_side.push(time.as_secs_f64());
                    }
                }
            }
        }
        times
            .into_iter()
            .map(|(floors, engines)| (median(floors), median(engines)))
            .collect()
    }

    /// Prints one figure of row `key` and writes it to the TSV file.
    /// `ratio` is graphai / floor unless the row says otherwise.
    pub fn figure(&mut self, key: &str, floor: f64, graphai: f64, ratio: Option<f64>) {
        let row = rows::row_of(key);
        let line = human_line(row, floor, graphai, ratio);
        println!("{line}");
        if let Some(tsv) = &mut self.tsv {
            let mut write = |column: &str, value: f64| {
                if value.is_finite() {
                    writeln!(tsv, "{key}\t{column}\t{value}").expect("the TSV file is writable");
                }
            };
            write("floor", floor);
            write("graphai", graphai);
            if let Some(ratio) = ratio {
                write("ratio", ratio);
            }
        }
    }
}

fn human_line(row: &Row, floor: f64, graphai: f64, ratio: Option<f64>) -> String {
    let ratio = match ratio {
        Some(r) if r.is_finite() => format!("{r:>6.2}x"),
        _ => "      -".to_owned(),
    };
    format!(
        "{:<44} floor {:>9} graphai {:>9} {:<22} ratio {ratio}  target {}",
        row.label,
        fmt(floor, row.decimals),
        fmt(graphai, row.decimals),
        row.unit,
        row.target.text(),
    )
}

/// `value` with `decimals` places, or `-` when it was not measured.
pub fn fmt(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        "-".to_owned()
    }
}

/// The median of `values`; NaN when there are none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `graphai / floor`; NaN when either is missing.
pub fn ratio(floor: f64, graphai: f64) -> f64 {
    graphai / floor
}

/// Peak resident set size of this process so far, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A single-threaded Tokio runtime: what every workload but W4 runs on.
pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}
