//! The run's tracing events that take more than one line to say, kept out of
//! the rules. The spans and fields are documented in `crate::tracing_fields`.

use std::time::Instant;

use super::invoke::RunEnv;
use crate::error::GraphError;

/// Says in the run's span where router `router` sends its path: `choice`
/// for one node, `choices` (names joined by `", "`) for a fan-out.
pub(super) fn router_chose(env: &RunEnv<'_>, router: usize, chosen: &[usize]) {
    match chosen {
        [one] => tracing::debug!(
            parent: &env.span,
            router = env.name(router),
            choice = env.name(*one),
            "router chose"
        ),
        many => tracing::debug!(
            parent: &env.span,
            router = env.name(router),
            choices = %Names { env, nodes: many },
            "router chose"
        ),
    }
}

/// Records the end of a run on its (enabled) span and says it in an event
/// inside it.
pub(super) fn run_finished(
    span: &tracing::Span,
    started: Instant,
    steps: usize,
    outcome: &'static str,
    error: Option<&GraphError>,
) {
    let duration_us = started.elapsed().as_micros() as u64;
    span.record("duration_us", duration_us);
    span.record("steps", steps);
    match error {
        None => {
            span.record("outcome", outcome);
            tracing::info!(parent: span, outcome, steps, duration_us, "run finished");
        }
        Some(error) => {
            span.record("outcome", "error");
            span.record("error", tracing::field::display(error));
            span.record("otel.status_code", "ERROR");
            tracing::info!(
                parent: span,
                outcome = "error",
                steps,
                duration_us,
                error = %error,
                "run finished"
            );
        }
    }
}

/// Node names joined by `", "`, written only if a subscriber formats them.
struct Names<'a, 'g> {
    env: &'a RunEnv<'g>,
    nodes: &'a [usize],
}

impl std::fmt::Display for Names<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, &node) in self.nodes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(self.env.name(node))?;
        }
        Ok(())
    }
}
