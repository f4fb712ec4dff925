//! The two views of a callback's queue: [`EventStream`] and [`TokenStream`],
//! and what travels in the queue.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::Stream;
use futures::task::AtomicWaker;
use tokio::sync::mpsc;

use super::event::{EventType, Formats, GraphEvent};
use super::lock;

/// One item of the queue. A token is what a streaming node sends most, so it
/// travels small: its text and the sending node's [`NodeTag`], with no copy
/// of the identifier (the stream adds both names when it makes a
/// [`GraphEvent`]).
#[derive(Debug)]
pub(crate) enum Item {
    Token {
        node: Option<NodeTag>,
        token: String,
    },
    Event(Box<GraphEvent>),
}

/// A node's name as a token carries it: its place in the callback's
/// [`NodeNames`]. A shared name would have its count changed twice per
/// token, by the sender and by the reader, which costs a streaming run a
/// tenth of its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeTag(usize);

/// The names of the nodes a callback's handles attribute tokens to, each
/// kept once for the callback's life.
#[derive(Debug, Default)]
pub(crate) struct NodeNames(Mutex<Vec<Arc<str>>>);

impl NodeNames {
    /// The tag of `name` (a new one the first time) and the name, shared.
    pub(crate) fn tag(&self, name: &str) -> (NodeTag, Arc<str>) {
        let mut names = lock(&self.0);
        if let Some(index) = names.iter().position(|known| &**known == name) {
            return (NodeTag(index), Arc::clone(&names[index]));
        }
        let shared: Arc<str> = Arc::from(name);
        names.push(Arc::clone(&shared));
        (NodeTag(names.len() - 1), shared)
    }

    /// The names tagged so far, by tag.
    pub(crate) fn snapshot(&self) -> Vec<Arc<str>> {
        lock(&self.0).clone()
    }
}

/// The receiving end of the queue.
#[derive(Debug)]
pub(crate) enum Receiver {
    Bounded(mpsc::Receiver<Item>),
    Unbounded(mpsc::UnboundedReceiver<Item>),
}

impl Receiver {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        match self {
            Receiver::Bounded(receiver) => receiver.poll_recv(cx),
            Receiver::Unbounded(receiver) => receiver.poll_recv(cx),
        }
    }
}

/// How `close()` reaches the stream without taking the queue's sender away
/// from the producers (which would need a lock on every send).
#[derive(Debug, Default)]
pub(crate) struct Closing {
    pub(crate) closed: AtomicBool,
    /// Sends that passed the `closed` check and have not finished: the stream
    /// ends only once they have delivered.
    pub(crate) sending: AtomicUsize,
    pub(crate) waker: AtomicWaker,
}

impl Closing {
    /// A send begins; `false` if the callback is closed (nothing to send).
    pub(crate) fn begin(&self) -> bool {
        self.sending.fetch_add(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.end();
            return false;
        }
        true
    }

    /// A send that began is over.
    pub(crate) fn end(&self) {
        self.sending.fetch_sub(1, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            self.waker.wake();
        }
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Closed, and no send is still delivering.
    fn done(&self) -> bool {
        self.closed.load(Ordering::SeqCst) && self.sending.load(Ordering::SeqCst) == 0
    }
}

/// The callback's events, in the order they were sent, ending with one
/// [`EventType::End`] event. Made by [`Callback::events`](super::Callback::events).
///
/// The stream ends after `close()` (or once every handle of the callback is
/// dropped) and every event sent before has been read; a failed run's
/// [`EventType::Error`] event comes just before the end. Dropping the stream
/// makes later sends fail with
/// [`CallbackError::ConsumerGone`](super::CallbackError::ConsumerGone).
#[derive(Debug)]
pub struct EventStream {
    receiver: Option<Receiver>,
    closing: Arc<Closing>,
    errors: Arc<Mutex<Vec<GraphEvent>>>,
    formats: Arc<Formats>,
    tail: VecDeque<GraphEvent>,
    /// The callback's node names, and the ones this stream has read.
    names: Arc<NodeNames>,
    known: Vec<Arc<str>>,
}

impl EventStream {
    pub(crate) fn new(
        receiver: Receiver,
        closing: Arc<Closing>,
        errors: Arc<Mutex<Vec<GraphEvent>>>,
        formats: Arc<Formats>,
        names: Arc<NodeNames>,
    ) -> Self {
        Self {
            receiver: Some(receiver),
            closing,
            errors,
            formats,
            tail: VecDeque::new(),
            names,
            known: Vec::new(),
        }
    }

    /// The name of the node tagged `tag` (read again from the callback
    /// when the tag is newer than the ones this stream knows).
    fn name(&mut self, NodeTag(index): NodeTag) -> Option<String> {
        if index >= self.known.len() {
            self.known = self.names.snapshot();
        }
        self.known.get(index).map(|name| name.to_string())
    }

    /// The queue is done: the errors, then the end.
    fn finish(&mut self) {
        self.receiver = None;
        self.tail.extend(std::mem::take(&mut *lock(&self.errors)));
        self.tail.push_back(
            GraphEvent::new(EventType::End).with_identifier(self.formats.identifier.clone()),
        );
    }

    /// The next item as it travelled: tokens stay small for [`TokenStream`].
    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        if let Some(receiver) = &mut self.receiver {
            match receiver.poll_recv(cx) {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                // Every handle of the callback is gone.
                Poll::Ready(None) => self.finish(),
                Poll::Pending => {
                    self.closing.waker.register(cx.waker());
                    if !self.closing.done() {
                        return Poll::Pending;
                    }
                    // Closed: read what the last sends delivered, then end.
                    match receiver.poll_recv(cx) {
                        Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                        _ => self.finish(),
                    }
                }
            }
        }
        Poll::Ready(
            self.tail
                .pop_front()
                .map(|event| Item::Event(Box::new(event))),
        )
    }

    fn event(&mut self, item: Item) -> GraphEvent {
        match item {
            Item::Token { node, token } => GraphEvent {
                r#type: EventType::Callback,
                identifier: self.formats.identifier.clone(),
                token: Some(token),
                params: None,
                node: node.and_then(|tag| self.name(tag)),
            },
            Item::Event(event) => *event,
        }
    }
}

impl Stream for EventStream {
    type Item = GraphEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<GraphEvent>> {
        let this = &mut *self;
        this.poll_item(cx)
            .map(|item| item.map(|item| this.event(item)))
    }
}

/// The callback's stream as GraphAI's strings: markers such as
/// `<graphai:node_a:start:>`, the tokens (with `token_format` applied), and
/// `<graphai:END:>` last. Made by [`Callback::aiter`](super::Callback::aiter).
///
/// Same ending and drop behaviour as [`EventStream`].
#[derive(Debug)]
pub struct TokenStream {
    events: EventStream,
    pending: VecDeque<String>,
    /// `token_format` is the default `{token}`: a token is its own string.
    plain: bool,
}

impl TokenStream {
    pub(crate) fn new(events: EventStream) -> Self {
        let plain = events.formats.token.is_plain_token();
        Self {
            events,
            pending: VecDeque::new(),
            plain,
        }
    }
}

impl Stream for TokenStream {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let this = &mut *self;
        loop {
            if let Some(token) = this.pending.pop_front() {
                return Poll::Ready(Some(token));
            }
            match this.events.poll_item(cx) {
                Poll::Ready(Some(Item::Token { token, .. })) if this.plain => {
                    return Poll::Ready(Some(token));
                }
                Poll::Ready(Some(Item::Token { token, .. })) => {
                    let formats = &this.events.formats;
                    return Poll::Ready(Some(formats.token.render(
                        &formats.identifier,
                        &token,
                        "",
                    )));
                }
                Poll::Ready(Some(Item::Event(event))) => {
                    event.render(&this.events.formats, &mut this.pending);
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
