//! [`CallbackBuilder`]: a callback with its identifier, formats and capacity.

use tokio::sync::mpsc;

use super::event::Formats;
use super::format::{SPECIAL_FIELDS, TOKEN_FIELDS, Template};
use super::stream::Receiver;
use super::{
    Callback, CallbackError, DEFAULT_SPECIAL_TOKEN_FORMAT, DEFAULT_TOKEN_FORMAT, Sender, Slot,
};

/// Builds a [`Callback`]; made by [`Callback::builder`].
#[derive(Debug, Clone)]
pub struct CallbackBuilder {
    identifier: String,
    special_token_format: String,
    token_format: String,
    capacity: Option<usize>,
}

impl Default for CallbackBuilder {
    fn default() -> Self {
        Self {
            identifier: "graphai".to_owned(),
            special_token_format: DEFAULT_SPECIAL_TOKEN_FORMAT.to_owned(),
            token_format: DEFAULT_TOKEN_FORMAT.to_owned(),
            capacity: None,
        }
    }
}

impl CallbackBuilder {
    /// The identifier in special tokens and events (default `graphai`).
    #[must_use]
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = identifier.into();
        self
    }

    /// The format of markers and other special tokens (default
    /// `<{identifier}:{token}:{params}>`). Placeholders: `{identifier}`,
    /// `{token}` (`node_a:start`, `END`, ..) and `{params}` (`k=v,k2=v2`);
    /// `{{` and `}}` are literal braces.
    #[must_use]
    pub fn special_token_format(mut self, format: impl Into<String>) -> Self {
        self.special_token_format = format.into();
        self
    }

    /// The format of streamed tokens in [`Callback::aiter`] (default
    /// `{token}`); its one placeholder is `{token}`. (GraphAI 0.0.12 accepts
    /// this option but does not apply it; this crate does.)
    #[must_use]
    pub fn token_format(mut self, format: impl Into<String>) -> Self {
        self.token_format = format.into();
        self
    }

    /// Bounds the queue to `capacity` events: [`Callback::acall`] then waits
    /// for the consumer, and [`Callback::call`] fails when the queue is full.
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity);
        self
    }

    pub(super) fn formats(&self) -> Result<Formats, CallbackError> {
        let parse = |option, format: &str, fields| {
            Template::parse(format, fields).map_err(|reason| CallbackError::InvalidFormat {
                option,
                format: format.to_owned(),
                reason,
            })
        };
        Ok(Formats {
            identifier: self.identifier.clone(),
            special: parse(
                "special_token_format",
                &self.special_token_format,
                SPECIAL_FIELDS,
            )?,
            token: parse("token_format", &self.token_format, TOKEN_FIELDS)?,
        })
    }

    /// Builds the callback.
    ///
    /// # Errors
    /// [`CallbackError::InvalidFormat`] when a format string has an unknown
    /// placeholder or an unbalanced brace; [`CallbackError::ZeroCapacity`]
    /// for `capacity(0)`.
    pub fn build(self) -> Result<Callback, CallbackError> {
        let formats = self.formats()?;
        let (sender, receiver) = match self.capacity {
            Some(0) => return Err(CallbackError::ZeroCapacity),
            Some(capacity) => {
                let (sender, receiver) = mpsc::channel(capacity);
                (Sender::Bounded(sender), Receiver::Bounded(receiver))
            }
            None => {
                let (sender, receiver) = mpsc::unbounded_channel();
                (Sender::Unbounded(sender), Receiver::Unbounded(receiver))
            }
        };
        Ok(Callback::from_parts(
            formats,
            self.capacity,
            Some(sender),
            Slot::Ready(receiver),
        ))
    }
}
