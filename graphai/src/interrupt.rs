//! [`Interrupt`]: a node asks a person, and the run waits for the answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::sync::lock;

/// What a node asks when it needs a person: `human.ask(payload).await`.
///
/// A node parameter of type `Interrupt` (any name) is injected, never read
/// from the run state. The first time a node asks, the run stops: a thread run
/// saves a checkpoint and returns
/// [`RunOutcome::Interrupted`](crate::RunOutcome::Interrupted) with the
/// payload (the callback gets an `interrupt` event). Resuming the thread with
/// [`with_answer`](crate::RunOptions::with_answer) runs the node again from
/// its start, and this time `ask` returns the answer. A node that asks several
/// times gets its answers in order, one resume each.
///
/// ```
/// use graphai::{Interrupt, Value, json, node};
///
/// #[node(start, end)]
/// async fn approve(tool: String, human: Interrupt) -> Value {
///     let answer = human.ask(json!({ "question": format!("run {tool}?") })).await;
///     json!({ "approved": answer == "yes" })
/// }
/// ```
#[derive(Clone)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    /// Answers from earlier resumes, for the asks in order.
    answers: Vec<Value>,
    asked: AtomicUsize,
    /// The payload of the ask that stopped the node.
    raised: std::sync::Mutex<Option<Value>>,
    notify: Notify,
    /// Not given by a run: an ask without an answer returns `null`.
    detached: bool,
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupt")
            .field("node", &self.inner.node)
            .field("answers", &self.inner.answers.len())
            .finish_non_exhaustive()
    }
}

impl Interrupt {
    /// The handle for one call of `node`, knowing the answers given so far.
    pub(crate) fn new(node: &str, answers: Vec<Value>) -> Self {
        Self {
            inner: Arc::new(Inner {
                node: node.to_owned(),
                answers,
                asked: AtomicUsize::new(0),
                raised: std::sync::Mutex::new(None),
                notify: Notify::new(),
                detached: false,
            }),
        }
    }

    /// A handle outside any run, whose asks get `answers` in order and then
    /// `null`: for calling a node's body directly (`my_node::call(..)`) in a
    /// unit test. A node called as a tool gets such a handle with no answers.
    pub fn answered(node: &str, answers: Vec<Value>) -> Self {
        let mut handle = Self::new(node, answers);
        if let Some(inner) = Arc::get_mut(&mut handle.inner) {
            inner.detached = true;
        }
        handle
    }

    /// Asks a person: the answer, when a resume gave one; otherwise the run
    /// stops here (this future never completes: the node is cancelled, and
    /// runs again from its start when the thread is resumed). Outside a run
    /// (see [`answered`](Self::answered)) it returns the next given answer, or `null`.
    ///
    /// `payload` is what the person sees (any serializable value); one that
    /// does not serialize is sent as `null`.
    pub async fn ask(&self, payload: impl Serialize) -> Value {
        let index = self.inner.asked.fetch_add(1, Ordering::SeqCst);
        if let Some(answer) = self.inner.answers.get(index) {
            return answer.clone();
        }
        if self.inner.detached {
            tracing::warn!(
                node = self.inner.node.as_str(),
                "`Interrupt::ask` outside a graph run has no one to ask: it returns null"
            );
            return Value::Null;
        }
        let payload = serde_json::to_value(payload).unwrap_or(Value::Null);
        lock(&self.inner.raised).get_or_insert(payload);
        self.inner.notify.notify_one();
        std::future::pending().await
    }

    /// The node this handle belongs to.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Waits until the node asks without an answer; the payload it asked with.
    pub(crate) async fn raised(&self) -> Value {
        loop {
            let notified = self.inner.notify.notified();
            if let Some(payload) = lock(&self.inner.raised).clone() {
                return payload;
            }
            notified.await;
        }
    }
}
