//! The figures the benchmark reports, their units and issue 11's targets:
//! one table shared by the printed lines and `BENCHMARKS.md`.

/// What a row's figure must satisfy.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// No target: reported for reading only.
    None,
    /// graphai / floor at most this (times, memory).
    RatioAtMost(f64),
    /// graphai / floor at least this (throughputs).
    RatioAtLeast(f64),
    /// graphai's own figure at most this (W5's engine scaling, itself a ratio).
    GraphaiAtMost(f64),
}

impl Target {
    pub fn text(self) -> String {
        match self {
            Target::None => "-".to_owned(),
            Target::RatioAtMost(x) => format!("<= {x}x"),
            Target::RatioAtLeast(x) => format!(">= {x}x"),
            Target::GraphaiAtMost(x) => format!("graphai <= {x}x"),
        }
    }

    /// Whether the target is met by these (median) figures; `None` when the
    /// row has no target or the figure is missing.
    pub fn met(self, graphai: f64, ratio: f64) -> Option<bool> {
        let check = |value: f64, ok: bool| value.is_finite().then_some(ok);
        match self {
            Target::None => None,
            Target::RatioAtMost(x) => check(ratio, ratio <= x),
            Target::RatioAtLeast(x) => check(ratio, ratio >= x),
            Target::GraphaiAtMost(x) => check(graphai, graphai <= x),
        }
    }
}

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    /// The key in the TSV files (`W1`, `W2-bounded`, ..).
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub decimals: usize,
    pub target: Target,
}

const fn row(
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    decimals: usize,
    target: Target,
) -> Row {
    Row {
        key,
        label,
        unit,
        decimals,
        target,
    }
}

/// Every row, in table order.
pub const ROWS: &[Row] = &[
    row(
        "W1",
        "W1 chain of 10",
        "µs/execute",
        3,
        Target::RatioAtMost(1.6),
    ),
    row(
        "W1-tracing",
        "W1 with a tracing subscriber (fmt, INFO)",
        "µs/execute",
        3,
        Target::None,
    ),
    row(
        "W2-unbounded",
        "W2 1M tokens, unbounded",
        "Mtok/s",
        2,
        Target::RatioAtLeast(0.6),
    ),
    row(
        "W2-bounded",
        "W2 1M tokens, capacity(1024)",
        "Mtok/s",
        2,
        Target::RatioAtLeast(0.8),
    ),
    row(
        "W2-unbounded-rss",
        "W2 peak RSS, unbounded",
        "MiB",
        1,
        Target::None,
    ),
    row(
        "W2-bounded-rss",
        "W2 peak RSS, capacity(1024)",
        "MiB",
        1,
        Target::RatioAtMost(2.0),
    ),
    row(
        "W3",
        "W3 fan-out 8 + join",
        "µs/execute",
        3,
        Target::RatioAtMost(2.5),
    ),
    row(
        "W4",
        "W4 execute_many 20k, c=64, 2 workers",
        "kexec/s",
        1,
        Target::RatioAtLeast(0.8),
    ),
    row(
        "W5-k10",
        "W5 unread payload, K=10",
        "µs/execute",
        3,
        Target::None,
    ),
    row(
        "W5-k1000",
        "W5 unread payload, K=1,000",
        "µs/execute",
        3,
        Target::None,
    ),
    row(
        "W5-k10000",
        "W5 unread payload, K=10,000 (1 MB)",
        "µs/execute",
        3,
        Target::None,
    ),
    row(
        "W5-scaling",
        "W5 time at K=10,000 / time at K=10",
        "x",
        2,
        Target::None,
    ),
    row(
        "W5-engine",
        "W5 engine time (graphai - floor), K=10,000 / K=10",
        "x",
        2,
        Target::GraphaiAtMost(1.3),
    ),
    row(
        "W6",
        "W6 router loop (returns a Route)",
        "µs/lap (router + step)",
        3,
        Target::RatioAtMost(2.5),
    ),
    row(
        "W6-json",
        "W6 router loop (returns JSON choice)",
        "µs/lap (router + step)",
        3,
        Target::None,
    ),
];

/// The row under `key`.
pub fn row_of(key: &str) -> &'static Row {
    ROWS.iter()
        .find(|row| row.key == key)
        .unwrap_or_else(|| panic!("no row `{key}` in ROWS"))
}
