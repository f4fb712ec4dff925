//! Durable runs: a run with a thread writes a checkpoint after every step, so
//! it can be resumed after a crash, an error or an interrupt.
//!
//! A checkpoint holds what its step changed (the node's output, stored key by
//! key against the values it replaced: see `exec/record.rs`), the position of
//! the run by node name (without its states), and the graph's fingerprint. A
//! resumed run is rebuilt by replaying its steps through the executor's own
//! rules, so nothing is stored twice and no completed step runs again.
//!
//! A thread holds runs one after another: each new run (`graph.run(input)
//! .thread(id)`) starts from the state the thread's last run ended with, with
//! the new input on top, as a chat that keeps its messages.

mod fingerprint;
mod journal;
mod thread;

use std::sync::Arc;

use serde_json::Value;

use crate::checkpoint::CheckpointStore;
use crate::exec::RunOutput;

pub(crate) use fingerprint::fingerprint;
pub(crate) use thread::{Start, run_thread, update_thread};

/// When a thread's checkpoints are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// Each step's checkpoint is written before the next step starts: a crash
    /// loses at most the steps in flight. The default.
    #[default]
    Sync,
    /// Checkpoints are written in order by a background task while the run
    /// goes on: faster, and a crash may lose the last few steps. The run
    /// waits for the writes before it returns, and reports a failed write.
    Async,
    /// Checkpoints are kept in memory and written when the run ends (also when
    /// it fails or is interrupted): fastest; a crash loses the whole run.
    Exit,
}

/// How a run ended, for [`RunOptions::outcome`](crate::RunOptions::outcome).
#[derive(Debug)]
#[non_exhaustive]
pub enum RunOutcome {
    /// The run reached its end.
    Finished(RunOutput),
    /// The run stopped to wait for a person: a node asked
    /// ([`Interrupt::ask`](crate::Interrupt::ask)) or a breakpoint was reached.
    /// Resume the thread with
    /// `graph.resume(thread).with_answer(value)`.
    Interrupted {
        /// The thread to resume (`None` for a run without one, which cannot be resumed).
        thread: Option<String>,
        /// The node that asked, or the breakpoint's node.
        node: String,
        /// What the node asked (`null` at a breakpoint).
        payload: Value,
        /// The checkpoint the run stopped at.
        checkpoint: Option<String>,
    },
}

impl RunOutcome {
    /// The finished run's output, if it finished.
    pub fn finished(self) -> Option<RunOutput> {
        match self {
            RunOutcome::Finished(output) => Some(output),
            RunOutcome::Interrupted { .. } => None,
        }
    }

    /// Whether the run stopped to wait.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, RunOutcome::Interrupted { .. })
    }
}

/// What the builder collected for durable runs.
#[derive(Default, Clone)]
pub(crate) struct DurableSettings {
    pub(crate) store: Option<Arc<dyn CheckpointStore>>,
    pub(crate) durability: Durability,
    pub(crate) before: Vec<std::borrow::Cow<'static, str>>,
    pub(crate) after: Vec<std::borrow::Cow<'static, str>>,
}

impl DurableSettings {
    pub(crate) fn config(&self) -> Option<DurableConfig> {
        self.store.clone().map(|store| DurableConfig {
            store,
            durability: self.durability,
        })
    }
}

/// A compiled graph's checkpoint store and durability.
#[derive(Clone)]
pub(crate) struct DurableConfig {
    pub(crate) store: Arc<dyn CheckpointStore>,
    pub(crate) durability: Durability,
}
