//! [`Callback`]: the queue through which streaming nodes send tokens to a consumer.

mod builder;
mod decode;
mod error;
mod event;
mod format;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

pub(crate) use crate::sync::lock;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

pub use builder::CallbackBuilder;
pub use decode::GraphEventDecoder;
pub use error::CallbackError;
pub use event::{EventType, GraphEvent};
pub use stream::{EventStream, TokenStream};

use event::Formats;
use stream::{Closing, Item, NodeNames, NodeTag, Receiver};

/// GraphAI's default `special_token_format`.
const DEFAULT_SPECIAL_TOKEN_FORMAT: &str = "<{identifier}:{token}:{params}>";
/// GraphAI's default `token_format`.
const DEFAULT_TOKEN_FORMAT: &str = "{token}";

/// The sending end of the queue.
#[derive(Debug)]
enum Sender {
    Bounded(mpsc::Sender<Item>),
    Unbounded(mpsc::UnboundedSender<Item>),
}

/// Where the receiving end is.
#[derive(Debug)]
enum Slot {
    Ready(Receiver),
    Taken(&'static str),
    /// A discarding callback has no receiver.
    Discard,
}

struct Shared {
    formats: Arc<Formats>,
    capacity: Option<usize>,
    /// `None` for a discarding callback. Never taken away: sends use it
    /// without a lock, and `closing` says when the stream ends.
    sender: Option<Sender>,
    receiver: Mutex<Slot>,
    closing: Arc<Closing>,
    discard: bool,
    /// Error events, delivered after the queue's last event and before the end.
    errors: Arc<Mutex<Vec<GraphEvent>>>,
    /// Nodes started with `start_node_inactive` whose end is still to come.
    inactive: Mutex<HashSet<String>>,
    /// The names `for_node` handles attribute tokens to, by tag.
    names: Arc<NodeNames>,
}

/// The streaming queue shared by a run's streaming nodes and its consumer.
///
/// Producers send tokens with [`acall`](Self::acall) (or [`call`](Self::call)
/// from sync code); the graph adds start and end markers around each
/// streaming node and [`close`](Self::close)s the callback when the run ends.
/// One consumer reads the queue either as GraphAI's strings,
/// [`aiter`](Self::aiter), or as [`GraphEvent`]s, [`events`](Self::events).
/// Cloning a `Callback` gives another handle to the same queue.
///
/// ```
/// use futures::StreamExt;
/// use graphai::Callback;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let callback = Callback::new();
/// let tokens = callback.aiter()?;
///
/// callback.start_node("node_a").await?;
/// callback.acall("Hello").await?;
/// callback.call(" world")?;
/// callback.end_node("node_a").await?;
/// callback.close().await;
///
/// let tokens: Vec<String> = tokens.collect().await;
/// assert_eq!(tokens, [
///     "<graphai:node_a:start:>", "<graphai:node_a:>", "Hello", " world",
///     "<graphai:node_a:end:>", "<graphai:END:>",
/// ]);
/// # Ok::<(), graphai::CallbackError>(())
/// # }).unwrap();
/// ```
///
/// By default the queue is unbounded, like GraphAI's. With
/// [`capacity`](CallbackBuilder::capacity) it holds at most that many events:
/// `acall` then waits for the consumer and `call` fails with
/// [`CallbackError::Full`]. Once the consumer drops its stream, every send
/// fails with [`CallbackError::ConsumerGone`], so a run whose reader left
/// ends instead of waiting.
#[derive(Clone)]
pub struct Callback {
    shared: Arc<Shared>,
    /// The node this handle's tokens are attributed to: its name, and the
    /// tag its tokens carry.
    node: Option<(Arc<str>, NodeTag)>,
}

impl Default for Callback {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("identifier", &self.shared.formats.identifier)
            .field("node", &self.node())
            .field("capacity", &self.shared.capacity)
            .field("discard", &self.shared.discard)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Callback {
    /// A callback with GraphAI's defaults: identifier `graphai`, special
    /// tokens `<{identifier}:{token}:{params}>`, tokens as they are, unbounded.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the default formats are valid"))
    }

    /// A builder for a callback with another identifier, formats or a capacity.
    pub fn builder() -> CallbackBuilder {
        CallbackBuilder::default()
    }

    /// A callback whose tokens go nowhere and that never blocks: what
    /// streaming nodes get under plain `execute`.
    pub(crate) fn discard() -> Self {
        let formats = CallbackBuilder::default()
            .formats()
            .unwrap_or_else(|_| unreachable!("the default formats are valid"));
        Self::from_parts(formats, None, None, Slot::Discard)
    }

    fn from_parts(
        formats: Formats,
        capacity: Option<usize>,
        sender: Option<Sender>,
        receiver: Slot,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                formats: Arc::new(formats),
                capacity,
                discard: sender.is_none(),
                sender,
                receiver: Mutex::new(receiver),
                closing: Arc::new(Closing::default()),
                errors: Arc::new(Mutex::new(Vec::new())),
                inactive: Mutex::new(HashSet::new()),
                names: Arc::new(NodeNames::default()),
            }),
            node: None,
        }
    }

    /// Another handle to the same queue whose tokens and events carry `node`
    /// (the `node` field of [`GraphEvent`]). The graph gives each streaming
    /// node such a handle, so parallel nodes' tokens can be told apart.
    pub fn for_node(&self, node: &str) -> Self {
        let (tag, name) = self.shared.names.tag(node);
        Self {
            shared: Arc::clone(&self.shared),
            node: Some((name, tag)),
        }
    }

    /// The node this handle attributes its tokens to, if any.
    pub fn node(&self) -> Option<&str> {
        self.node.as_ref().map(|(name, _)| &**name)
    }

    /// The identifier in special tokens and events (`graphai` by default).
    pub fn identifier(&self) -> &str {
        &self.shared.formats.identifier
    }

    /// The queue's capacity; `None` when unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.shared.capacity
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.closing.closed.load(Ordering::SeqCst)
    }

    fn event(&self, kind: EventType) -> GraphEvent {
        GraphEvent {
            r#type: kind,
            identifier: self.shared.formats.identifier.clone(),
            token: None,
            params: None,
            node: self.node().map(str::to_owned),
        }
    }

    /// Sends `item`, waiting for room when the queue is bounded and full.
    async fn send(&self, item: Item, action: impl FnOnce() -> String) -> Result<(), CallbackError> {
        // Sending to an unbounded (or discarding) queue never waits, so a node
        // streaming in a tight loop would never yield: give the scheduler a
        // turn now and then, as a bounded send or a receive would.
        tokio::task::consume_budget().await;
        let closing = &self.shared.closing;
        if !closing.begin() {
            return Err(CallbackError::Closed { action: action() });
        }
        let result = match &self.shared.sender {
            None => Ok(()),
            Some(Sender::Unbounded(sender)) => {
                sender.send(item).map_err(|_| CallbackError::ConsumerGone)
            }
            Some(Sender::Bounded(sender)) => match sender.try_send(item) {
                Ok(()) => Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => Err(CallbackError::ConsumerGone),
                Err(mpsc::error::TrySendError::Full(item)) => {
                    // Waiting for room only makes sense if someone will read.
                    if matches!(*lock(&self.shared.receiver), Slot::Ready(_)) {
                        Err(CallbackError::NoConsumer {
                            capacity: self.shared.capacity.unwrap_or_default(),
                        })
                    } else {
                        sender
                            .send(item)
                            .await
                            .map_err(|_| CallbackError::ConsumerGone)
                    }
                }
            },
        };
        closing.end();
        result
    }

    fn check_open(&self, action: impl FnOnce() -> String) -> Result<(), CallbackError> {
        if self.is_closed() {
            return Err(CallbackError::Closed { action: action() });
        }
        Ok(())
    }

    fn token(&self, token: String) -> Item {
        Item::Token {
            node: self.node.as_ref().map(|(_, tag)| *tag),
            token,
        }
    }

    /// Sends a token, waiting for room when the queue is bounded and full.
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`; [`CallbackError::ConsumerGone`]
    /// when the consumer dropped its stream.
    pub async fn acall(&self, token: impl Into<String>) -> Result<(), CallbackError> {
        let item = self.token(token.into());
        self.send(item, || "send a token".to_owned()).await
    }

    /// Sends a token from synchronous code; never blocks.
    ///
    /// # Errors
    /// As [`acall`](Self::acall), and [`CallbackError::Full`] when the queue
    /// is bounded and full (the token is not sent).
    pub fn call(&self, token: impl Into<String>) -> Result<(), CallbackError> {
        let item = self.token(token.into());
        let closing = &self.shared.closing;
        if !closing.begin() {
            return Err(CallbackError::Closed {
                action: "send a token".to_owned(),
            });
        }
        let result = match &self.shared.sender {
            None => Ok(()),
            Some(Sender::Unbounded(sender)) => {
                sender.send(item).map_err(|_| CallbackError::ConsumerGone)
            }
            Some(Sender::Bounded(sender)) => sender.try_send(item).map_err(|err| match err {
                mpsc::error::TrySendError::Full(_) => CallbackError::Full {
                    capacity: self.shared.capacity.unwrap_or_default(),
                },
                mpsc::error::TrySendError::Closed(_) => CallbackError::ConsumerGone,
            }),
        };
        closing.end();
        result
    }

    /// Sends a custom event (any type but `end`, any token and params).
    ///
    /// An empty `identifier` is replaced by the callback's, and a missing
    /// `node` by this handle's. In the string stream the event shows as a
    /// special token named by its type, followed by `:token` when it has one:
    /// `<graphai:tool_call:search:query=rust>`.
    ///
    /// # Errors
    /// [`CallbackError::ReservedEvent`] for an `end` event (use `close()`),
    /// otherwise as [`acall`](Self::acall).
    pub async fn emit(&self, mut event: GraphEvent) -> Result<(), CallbackError> {
        if event.r#type == EventType::End {
            return Err(CallbackError::ReservedEvent);
        }
        if event.identifier.is_empty() {
            event.identifier.clone_from(&self.shared.formats.identifier);
        }
        if event.node.is_none() {
            event.node = self.node().map(str::to_owned);
        }
        let kind = event.r#type.clone();
        self.send(Item::Event(Box::new(event)), || {
            format!("emit a `{kind}` event")
        })
        .await
    }

    /// Marks the start of node `name`: `<graphai:name:start:>` then
    /// `<graphai:name:>` in the string stream, one `start_node` event.
    ///
    /// # Errors
    /// As [`acall`](Self::acall).
    pub async fn start_node(&self, name: &str) -> Result<(), CallbackError> {
        self.check_open(|| format!("start node `{name}`"))?;
        lock(&self.shared.inactive).remove(name);
        let mut event = self.event(EventType::StartNode);
        event.token = Some(name.to_owned());
        event.node = Some(name.to_owned());
        self.send(Item::Event(Box::new(event)), || {
            format!("start node `{name}`")
        })
        .await
    }

    /// Starts node `name` without markers (GraphAI's `start_node(name,
    /// active=False)`): neither its start nor its end marker is sent. As in
    /// GraphAI, tokens sent while it runs still go through.
    ///
    /// # Errors
    /// [`CallbackError::Closed`] after `close()`.
    pub async fn start_node_inactive(&self, name: &str) -> Result<(), CallbackError> {
        self.check_open(|| format!("start node `{name}`"))?;
        lock(&self.shared.inactive).insert(name.to_owned());
        Ok(())
    }

    /// Marks the end of node `name`: `<graphai:name:end:>`, one `end_node`
    /// event; nothing if the node was started inactive.
    ///
    /// # Errors
    /// As [`acall`](Self::acall).
    pub async fn end_node(&self, name: &str) -> Result<(), CallbackError> {
        self.check_open(|| format!("end node `{name}`"))?;
        if lock(&self.shared.inactive).remove(name) {
            return Ok(());
        }
        let mut event = self.event(EventType::EndNode);
        event.token = Some(name.to_owned());
        event.node = Some(name.to_owned());
        self.send(Item::Event(Box::new(event)), || {
            format!("end node `{name}`")
        })
        .await
    }

    /// Records the error of a failed run; the consumer gets it as one `error`
    /// event (`<graphai:error:message=..,node=..>`) after every event sent
    /// before and just before the end. The message is the error followed by
    /// its sources (`node `a` failed: boom`), since the consumer has nothing
    /// else to go on. Ignored once closed.
    pub(crate) fn send_error(&self, error: &dyn std::error::Error, node: Option<&str>) {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        self.send_error_text(&message, node);
    }

    /// [`send_error`](Self::send_error) with the message as text.
    pub(crate) fn send_error_text(&self, message: &str, node: Option<&str>) {
        if self.shared.discard || self.is_closed() {
            return;
        }
        let mut params = Map::new();
        params.insert("message".to_owned(), Value::from(message));
        if let Some(node) = node {
            params.insert("node".to_owned(), Value::from(node));
        }
        let mut event = self.event(EventType::Error);
        event.params = Some(params);
        event.node = node.map(str::to_owned);
        lock(&self.shared.errors).push(event);
    }

    /// Closes the stream: nothing more can be sent, and the consumer gets the
    /// end (`<graphai:END:>`) after what was already sent. Calling it again
    /// does nothing.
    pub async fn close(&self) {
        self.close_now();
    }

    /// [`close`](Self::close) from synchronous code (a `Drop`).
    pub(crate) fn close_now(&self) {
        // The stream ends once it has read what was sent before.
        self.shared.closing.close();
    }

    fn take_stream(&self, by: &'static str) -> Result<EventStream, CallbackError> {
        let mut slot = lock(&self.shared.receiver);
        match std::mem::replace(&mut *slot, Slot::Taken(by)) {
            Slot::Ready(receiver) => Ok(EventStream::new(
                receiver,
                Arc::clone(&self.shared.closing),
                Arc::clone(&self.shared.errors),
                Arc::clone(&self.shared.formats),
                Arc::clone(&self.shared.names),
            )),
            Slot::Taken(first) => {
                *slot = Slot::Taken(first);
                Err(CallbackError::AlreadyTaken { by: first })
            }
            Slot::Discard => {
                *slot = Slot::Discard;
                Err(CallbackError::NoStream)
            }
        }
    }

    /// The stream as GraphAI's strings: `<graphai:node_a:start:>`,
    /// `<graphai:node_a:>`, the node's tokens, `<graphai:node_a:end:>`, ..,
    /// and `<graphai:END:>` last. A failed run's error shows as
    /// `<graphai:error:message=..,node=..>` just before the end.
    ///
    /// # Errors
    /// A callback has one consumer: [`CallbackError::AlreadyTaken`] when
    /// `aiter()` or `events()` was called before.
    pub fn aiter(&self) -> Result<TokenStream, CallbackError> {
        self.take_stream("aiter").map(TokenStream::new)
    }

    /// The stream as [`GraphEvent`]s, ending with one `end` event; send them
    /// over HTTP with [`GraphEvent::to_sse`].
    ///
    /// # Errors
    /// As [`aiter`](Self::aiter).
    pub fn events(&self) -> Result<EventStream, CallbackError> {
        self.take_stream("events")
    }
}
