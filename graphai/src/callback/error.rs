//! [`CallbackError`]: why a callback could not be built or could not send.

/// Why a callback could not be built or could not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The stream was closed: the run ended or `close()` was called.
    #[error(
        "cannot {action}: the callback stream is closed (the run ended or `close()` was called)"
    )]
    Closed {
        /// What was attempted: `send a token`, ``start node `a` ``, ..
        action: String,
    },
    /// The consumer dropped the stream, so nobody reads what is sent.
    #[error(
        "the consumer of the callback stream went away: nobody reads its tokens any more, so streaming stops here"
    )]
    ConsumerGone,
    /// [`Callback::call`](super::Callback::call) found the bounded queue full.
    #[error(
        "the callback queue is full ({capacity} events wait for the consumer): use `acall(..).await` to wait for room, or raise `capacity`"
    )]
    Full {
        /// The queue's capacity.
        capacity: usize,
    },
    /// A bounded queue is full and nobody has taken its stream, so waiting
    /// for room would wait forever.
    #[error(
        "the callback queue is full ({capacity} events) and nobody reads it: take its stream with `aiter()` or `events()` before the run starts, or build the callback without `capacity` to buffer every event"
    )]
    NoConsumer {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The stream was already taken by `aiter()` or `events()`.
    #[error(
        "the callback stream was already taken by `{by}()`: a callback has one consumer, which reads either `aiter()` or `events()`, once"
    )]
    AlreadyTaken {
        /// The method that took it: `"aiter"` or `"events"`.
        by: &'static str,
    },
    /// The callback discards what it is sent and has no stream.
    #[error(
        "this callback discards its tokens and has no stream to read (streaming nodes get one under `execute`): pass your own `Callback` to `execute_with`"
    )]
    NoStream,
    /// [`Callback::emit`](super::Callback::emit) was given an `end` event.
    #[error("`emit` cannot send an `end` event: the end of the stream is sent by `close()`")]
    ReservedEvent,
    /// A format string given to the builder is invalid.
    #[error("invalid `{option}` {format:?}: {reason}")]
    InvalidFormat {
        /// `special_token_format` or `token_format`.
        option: &'static str,
        /// The format string as given.
        format: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// `capacity(0)` was given to the builder.
    #[error("`capacity(0)` would never accept a token: give a capacity of at least 1")]
    ZeroCapacity,
}
