#!/usr/bin/env bash
# Runs issue 11's workloads (benches/workloads) in fresh processes and writes
# BENCHMARKS.md at the repo root: per figure the median over the processes, the
# targets, the machine, the date and the commit.
#
#   scripts/bench.sh              # every workload, 3 processes
#   scripts/bench.sh W1 W3        # some workloads (passed on to the benchmark)
#
# Settings (environment): BENCH_RUNS (processes, default 3), BENCH_OUT (default
# BENCHMARKS.md). Run it on a quiet machine: the load is recorded in the report.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${BENCH_RUNS:-3}"
out="${BENCH_OUT:-$root/BENCHMARKS.md}"

# Build once; later runs use the binary directly.
exe="$(cargo bench --bench workloads --no-run --message-format=json \
    | grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)"
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
    echo "bench.sh: could not find the built benchmark binary" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

export BENCH_LOAD_BEFORE="$(uptime)"
for i in $(seq 1 "$runs"); do
    echo "== process $i of $runs" >&2
    "$exe" --tsv "$tmp/run$i.tsv" "$@"
done
export BENCH_LOAD_AFTER="$(uptime)"

export BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# Uncommitted changes other than the report itself make the commit inexact.
if [ -n "$(git status --porcelain -- . ":(exclude)$(basename "$out")" 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
export BENCH_COMMIT="$commit"
export BENCH_NPROC="$(nproc)"
export BENCH_CPU="$(grep -m 1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
export BENCH_RUSTC="$(rustc --version)"
# The build settings both sides are measured with: the workspace's [profile.bench].
export BENCH_PROFILE="$(awk '/^\[/{on = ($0 == "[profile.bench]"); next} on && /=/{printf "%s%s", sep, $0; sep = ", "}' Cargo.toml)"

"$exe" --report "$tmp"/run*.tsv > "$out"
echo "wrote $out" >&2
