//! The `tracing` spans and events a run emits: their names, levels and fields,
//! which are stable so that filters and dashboards can rely on them.
//!
//! Every target starts with `graphai` (`RUST_LOG=graphai=debug` shows them
//! all). With no subscriber installed, or one that filters them out, they
//! cost one level check each: fields are formatted and clocks read only for a
//! subscriber that takes them.
//!
//! # Spans
//!
//! **`graphai.run`** ([`RUN_SPAN`], level `INFO`): one run, from its first
//! node to its end.
//!
//! | field | value |
//! |---|---|
//! | `run` | the run's id, unique in the process ([`RunOutput::run_id`](crate::RunOutput::run_id)) |
//! | `thread` | the durable thread the run belongs to (`graph.run(input).thread(id)`, `resume`) |
//! | `outcome` | `"ok"`, `"interrupted"` or `"error"`, once the run ended |
//! | `steps` | node calls made, on every path (a retried call counts once) |
//! | `duration_us` | wall time of the run, in microseconds |
//! | `error` | the error that failed the run (its `Display`) |
//! | `otel.status_code` | `"ERROR"` when the run failed, for `tracing-opentelemetry` |
//!
//! **`graphai.node`** ([`NODE_SPAN`], level `DEBUG`): one attempt of one node,
//! a child of its run's span (also when branches run concurrently); the node's
//! own spans and events nest inside it.
//!
//! | field | value |
//! |---|---|
//! | `node` | the node's name |
//! | `step` | the step of its path at which the node runs (0 for the start node) |
//! | `attempt` | 1 for the first try, 2 for the first retry, .. |
//! | `outcome` | `"ok"`, `"error"` or `"timeout"` |
//! | `duration_us` | wall time of the attempt, in microseconds |
//! | `error` | what failed the attempt (its `Display`) |
//! | `otel.status_code` | `"ERROR"` when the attempt failed |
//!
//! The LLM client (feature `openai`) adds a `chat` span per request, target
//! `graphai::llm`, with OpenTelemetry's GenAI attribute names
//! (`gen_ai.operation.name`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`,
//! `gen_ai.usage.output_tokens`, ..): see the `llm` module. Called from a
//! node, it nests inside that node's `graphai.node` span.
//!
//! # Events
//!
//! Each event has a fixed message (its name in OpenTelemetry) and the fields
//! below; all but the retry are inside the run's span.
//!
//! | message | level | fields | when |
//! |---|---|---|---|
//! | `router chose` | `DEBUG` | `router`, and `choice` (one node) or `choices` (names joined by `", "`) | a router's choice was resolved |
//! | ``parallel branches wrote different values to `KEY`; ..`` | `WARN` | `key`, `first`, `second` (the branch nodes; `second`, declared later, wins) | a fan-out's branches disagree on a key at the join |
//! | `node attempt failed; retrying` | `WARN` | `node`, `attempt` (the one that failed), `delay_ms`, `error` | a node's policy retries it; inside the failed attempt's `graphai.node` span |
//! | `branch pipeline failed` | `WARN` | `source`, `destination` (the branch edge), `error` | a branch pipeline failed; the run goes on |
//! | `run finished` | `INFO` | `outcome`, `steps`, `duration_us`, and `error` when it failed | the run ended |
//! | `run interrupted` | `INFO` | `node`, `kind` (`Ask`, `Before`, `After`), `thread` | the run stopped to wait for a person |
//! | `checkpoint written` | `DEBUG` | `thread`, `checkpoint`, `kind` (input, step, interrupt, done, error, update), `node`, `durability` | a thread's checkpoint was written (or queued, for `Async` and `Exit`) |
//!
//! # Filtering
//!
//! As `RUST_LOG` directives (`tracing-subscriber`'s `EnvFilter`, which
//! `graphai::logging`, feature `logging`, reads): `graphai=info` shows runs,
//! their ends and the warnings; `graphai=debug` adds node attempts and router
//! choices; `warn,graphai::llm=info` shows the LLM requests and warnings only.

/// The name of the span of a run.
pub const RUN_SPAN: &str = "graphai.run";

/// The name of the span of a node attempt.
pub const NODE_SPAN: &str = "graphai.node";
