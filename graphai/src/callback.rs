//! [`Callback`]: the queue through which streaming nodes send tokens to a consumer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::Stream;
use tokio::sync::mpsc;

/// Why a callback operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The stream was closed (the run ended or `close` was called).
    #[error("the callback stream is closed: no tokens can be sent after `close()`")]
    Closed,
    /// The consumer dropped the stream.
    #[error("the consumer of the callback stream went away: nobody is reading tokens any more")]
    ConsumerGone,
    /// The stream was already taken by an earlier `aiter()`.
    #[error("the callback stream was already taken: call `aiter()` once per callback")]
    AlreadyTaken,
}

struct Shared {
    identifier: String,
    sender: Option<mpsc::UnboundedSender<String>>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
    closed: AtomicBool,
}

/// The streaming queue shared by a run's streaming nodes and its consumer.
///
/// Cloning a `Callback` gives another handle to the same queue.
#[derive(Clone)]
pub struct Callback {
    shared: Arc<Shared>,
}

impl Default for Callback {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("identifier", &self.shared.identifier)
            .field("closed", &self.shared.closed.load(Ordering::Acquire))
            .finish()
    }
}

impl Callback {
    /// A callback with GraphAI's defaults (identifier `graphai`).
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            shared: Arc::new(Shared {
                identifier: "graphai".to_owned(),
                sender: Some(sender),
                receiver: Mutex::new(Some(receiver)),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// A callback whose tokens go nowhere: what streaming nodes get under plain `execute`.
    pub(crate) fn discard() -> Self {
        Self {
            shared: Arc::new(Shared {
                identifier: "graphai".to_owned(),
                sender: None,
                receiver: Mutex::new(None),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// The same queue, with tokens attributed to `node`.
    pub(crate) fn for_node(&self, _node: &str) -> Self {
        self.clone()
    }

    fn push(&self, token: String) -> Result<(), CallbackError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(CallbackError::Closed);
        }
        match &self.shared.sender {
            Some(sender) => sender.send(token).map_err(|_| CallbackError::ConsumerGone),
            None => Ok(()),
        }
    }

    fn special(&self, token: &str) -> String {
        format!("<{}:{}:>", self.shared.identifier, token)
    }

    /// Sends a token (async form).
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`.
    pub async fn acall(&self, token: impl Into<String>) -> Result<(), CallbackError> {
        self.push(token.into())
    }

    /// Sends a token from synchronous code.
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`.
    pub fn call(&self, token: impl Into<String>) -> Result<(), CallbackError> {
        self.push(token.into())
    }

    /// Emits the start markers of `node`.
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`.
    pub async fn start_node(&self, node: &str) -> Result<(), CallbackError> {
        self.push(self.special(&format!("{node}:start")))?;
        self.push(self.special(node))
    }

    /// Emits the end marker of `node`.
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`.
    pub async fn end_node(&self, node: &str) -> Result<(), CallbackError> {
        self.push(self.special(&format!("{node}:end")))
    }

    /// Reports a failed run to the consumer, before the end marker.
    pub(crate) fn send_error(&self, message: &str, node: Option<&str>) {
        let params = match node {
            Some(node) => format!("message={message},node={node}"),
            None => format!("message={message}"),
        };
        let _ = self.push(format!("<{}:error:{params}>", self.shared.identifier));
    }

    /// Emits the end marker and closes the stream. Idempotent.
    pub async fn close(&self) {
        if !self.shared.closed.load(Ordering::Acquire) {
            let _ = self.push(self.special("END"));
            self.shared.closed.store(true, Ordering::Release);
        }
    }

    /// The stream of tokens, in GraphAI's string format.
    ///
    /// # Errors
    /// [`CallbackError::AlreadyTaken`] on a second call.
    pub fn aiter(&self) -> Result<impl Stream<Item = String> + use<>, CallbackError> {
        let receiver = self
            .shared
            .receiver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or(CallbackError::AlreadyTaken)?;
        let end = self.special("END");
        Ok(futures::stream::unfold(
            (receiver, end, false),
            |(mut receiver, end, done)| async move {
                if done {
                    return None;
                }
                let token = receiver.recv().await?;
                let done = token == end;
                Some((token, (receiver, end, done)))
            },
        ))
    }
}
