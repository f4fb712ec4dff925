//! [`GraphEventDecoder`]: a stream of [`GraphEvent`] frames read back, over
//! the generic SSE decoder.

use super::event::{GraphEvent, graph_event};
use crate::sse_decoder::{SseDecoder, SseError};

/// Incremental decoder for a stream of [`GraphEvent`] frames, such as a
/// callback's [`events`](super::Callback::events) sent with
/// [`GraphEvent::to_sse`].
///
/// ```
/// use graphai::{EventType, sse::GraphEventDecoder};
///
/// let mut decoder = GraphEventDecoder::new();
/// let body = "data: {\"type\":\"callback\",\"identifier\":\"graphai\",\"token\":\"h\u{e9}\",\"params\":null,\"node\":\"a\"}\n\n";
/// let (first, second) = body.as_bytes().split_at(70); // any split works
/// assert!(decoder.push(first).is_empty());
/// let events = decoder.push(second);
/// let event = events.into_iter().next().unwrap()?;
/// assert_eq!(event.r#type, EventType::Callback);
/// assert_eq!(event.token.as_deref(), Some("h\u{e9}"));
/// decoder.finish()?;
/// # Ok::<(), graphai::sse::SseError>(())
/// ```
#[derive(Debug, Default)]
pub struct GraphEventDecoder {
    sse: SseDecoder,
}

impl GraphEventDecoder {
    /// A decoder at the start of a stream, for frames of at most
    /// [`SseDecoder::DEFAULT_LIMIT`] bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that skips (with [`SseError::TooLong`]) frames bigger than
    /// `limit` bytes: raise it to read back events bigger than 16 MiB.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            sse: SseDecoder::with_limit(limit),
        }
    }

    /// Feeds the next chunk; returns the events it completed, in order, with
    /// an error in place of each frame that is not a `GraphEvent` (the
    /// decoder goes on with the next frame).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Result<GraphEvent, SseError>> {
        self.sse
            .push_located(chunk)
            .into_iter()
            .map(|item| item.and_then(graph_event))
            .collect()
    }

    /// Declares the end of the stream.
    ///
    /// # Errors
    /// [`SseError::Truncated`] when the stream stopped inside a frame.
    pub fn finish(&mut self) -> Result<(), SseError> {
        self.sse.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_event_decoder_reports_bad_frames_and_goes_on() {
        let mut decoder = GraphEventDecoder::new();
        let got = decoder.push(
            b"data: {\"type\":\"callback\",\"identifier\":\"graphai\",\"token\":\"a\"}\n\n\
              data: {not json}\n\n\
              event: x\n\n\
              data: {\"identifier\":\"graphai\"}\n\n\
              data: {\"type\":\"end\",\"identifier\":\"graphai\"}\n\n",
        );
        assert_eq!(got.len(), 5);
        let first = got[0].as_ref().expect("a valid event");
        assert_eq!(first.token.as_deref(), Some("a"));
        assert_eq!(first.node, None, "a frame without `node` (Python's) parses");
        match &got[1] {
            Err(SseError::InvalidEvent {
                line,
                data,
                message,
            }) => {
                assert_eq!((*line, data.as_str()), (4, "{not json}"));
                assert!(message.contains("key must be a string"), "{message}");
            }
            other => panic!("expected InvalidEvent, got {other:?}"),
        }
        assert_eq!(got[2], Err(SseError::MissingData { line: 6 }));
        match &got[3] {
            Err(SseError::InvalidEvent { message, .. }) => {
                assert!(message.contains("missing field `type`"), "{message}");
            }
            other => panic!("expected InvalidEvent, got {other:?}"),
        }
        assert_eq!(
            got[4].as_ref().expect("a valid event").r#type,
            crate::EventType::End
        );
    }
}
