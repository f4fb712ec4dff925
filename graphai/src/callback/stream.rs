//! The two views of a callback's queue: [`EventStream`] and [`TokenStream`].

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use super::event::{EventType, Formats, GraphEvent};
use super::lock;

/// The receiving end of the queue.
#[derive(Debug)]
pub(crate) enum Receiver {
    Bounded(mpsc::Receiver<GraphEvent>),
    Unbounded(mpsc::UnboundedReceiver<GraphEvent>),
}

impl Receiver {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<GraphEvent>> {
        match self {
            Receiver::Bounded(receiver) => receiver.poll_recv(cx),
            Receiver::Unbounded(receiver) => receiver.poll_recv(cx),
        }
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
    errors: Arc<Mutex<Vec<GraphEvent>>>,
    formats: Arc<Formats>,
    tail: VecDeque<GraphEvent>,
}

impl EventStream {
    pub(crate) fn new(
        receiver: Receiver,
        errors: Arc<Mutex<Vec<GraphEvent>>>,
        formats: Arc<Formats>,
    ) -> Self {
        Self {
            receiver: Some(receiver),
            errors,
            formats,
            tail: VecDeque::new(),
        }
    }
}

impl Stream for EventStream {
    type Item = GraphEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<GraphEvent>> {
        let this = &mut *self;
        if let Some(receiver) = &mut this.receiver {
            match receiver.poll_recv(cx) {
                Poll::Ready(Some(event)) => return Poll::Ready(Some(event)),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    // Every sender is gone: the callback was closed or dropped.
                    this.receiver = None;
                    this.tail.extend(std::mem::take(&mut *lock(&this.errors)));
                    this.tail.push_back(
                        GraphEvent::new(EventType::End)
                            .with_identifier(this.formats.identifier.clone()),
                    );
                }
            }
        }
        Poll::Ready(this.tail.pop_front())
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
}

impl TokenStream {
    pub(crate) fn new(events: EventStream) -> Self {
        Self {
            events,
            pending: VecDeque::new(),
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
            match Pin::new(&mut this.events).poll_next(cx) {
                Poll::Ready(Some(event)) => {
                    event.render(&this.events.formats, &mut this.pending);
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
