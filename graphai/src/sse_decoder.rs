//! Server-Sent Events: an incremental decoder for any SSE stream. The LLM
//! client reads OpenAI's `data: {..}` / `data: [DONE]` streams with it, and
//! [`GraphEventDecoder`](crate::sse::GraphEventDecoder) reads GraphAI's event
//! frames with it. Public as [`graphai::sse`](crate::sse).

/// Why SSE input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line was not valid UTF-8; the rest of its frame was skipped.
    #[error(
        "line {line} of the SSE stream is not valid UTF-8 (bad byte at column {column}): SSE is UTF-8 text, so check the server's encoding"
    )]
    InvalidUtf8 {
        /// The 1-based line number in the stream.
        line: usize,
        /// The 1-based byte offset of the first bad byte in the line.
        column: usize,
    },
    /// A frame had fields but no `data:` line.
    #[error(
        "the SSE frame ending at line {line} has no `data:` line: a `GraphEvent` frame is `data: {{json}}` followed by a blank line"
    )]
    MissingData {
        /// The line of the blank line that ended the frame.
        line: usize,
    },
    /// A frame's data was not a `GraphEvent` in JSON.
    #[error(
        "the `data:` of the SSE frame ending at line {line} is not a `GraphEvent` (JSON with at least `type` and `identifier`): {message}; the data was `{data}`"
    )]
    InvalidEvent {
        /// The line of the blank line that ended the frame.
        line: usize,
        /// serde's description of the problem.
        message: String,
        /// The frame's data (cut to its first 200 characters).
        data: String,
    },
    /// The input ended inside a frame.
    #[error(
        "the SSE stream ended in the middle of a frame (line {line}): a frame ends with a blank line, so the server closed the connection early"
    )]
    Truncated {
        /// The line where the input ended.
        line: usize,
    },
    /// A line or a frame grew past the decoder's limit; the frame was skipped.
    #[error(
        "line {line} of the SSE stream makes its frame longer than {limit} bytes: the frame was skipped; raise the limit with `SseDecoder::with_limit` (or `GraphEventDecoder::with_limit`) if the server really sends frames this big"
    )]
    TooLong {
        /// The line where the limit was passed.
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// [`GraphEvent::from_sse`](crate::GraphEvent::from_sse) found no frame.
    #[error("no SSE frame found: expected `data: {{json}}` followed by a blank line")]
    NoFrame,
    /// [`GraphEvent::from_sse`](crate::GraphEvent::from_sse) found several frames.
    #[error(
        "expected one SSE frame but found {count}: decode a stream of frames with `GraphEventDecoder`"
    )]
    MultipleFrames {
        /// How many frames the text held.
        count: usize,
    },
}

/// One dispatched SSE frame: the fields of the lines before a blank line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` field, if the frame had one.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`; `None` when the frame had no `data:`
    /// line (the SSE standard drops such frames; they are given here so a
    /// consumer may reject them).
    pub data: Option<String>,
    /// The `id:` field, if the frame had one (not carried over between frames).
    pub id: Option<String>,
    /// The `retry:` field, if it was a number.
    pub retry: Option<u64>,
}

/// A frame with the line it ended on, so errors about its content can say where.
#[derive(Debug)]
pub(crate) struct Located {
    pub(crate) frame: SseFrame,
    pub(crate) line: usize,
}

/// Incremental Server-Sent Events decoder.
///
/// Follows the SSE standard: lines end with `\n`, `\r\n` or `\r`; a blank line
/// ends a frame; lines starting with `:` are comments; `data:` lines are
/// joined by `\n`; one space after the colon is dropped; unknown fields are
/// ignored; a leading byte-order mark is skipped. Frames with nothing but
/// comments are not reported. Unlike the standard, a frame without `data:`
/// is reported (with `data: None`) rather than dropped silently.
///
/// A frame (its lines and its data together) may hold at most
/// [`SseDecoder::DEFAULT_LIMIT`] bytes, so a server that never ends a line
/// cannot make the decoder grow without bound; a longer frame is skipped with
/// [`SseError::TooLong`].
#[derive(Debug)]
pub struct SseDecoder {
    line: Vec<u8>,
    after_cr: bool,
    lines: usize,
    frame: SseFrame,
    frame_bytes: usize,
    has_field: bool,
    skip_frame: bool,
    too_long: bool,
    limit: usize,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

impl SseDecoder {
    /// The default limit on one frame's size: 16 MiB.
    pub const DEFAULT_LIMIT: usize = 16 << 20;

    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that skips (with [`SseError::TooLong`]) frames bigger than
    /// `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            lines: 0,
            frame: SseFrame::default(),
            frame_bytes: 0,
            has_field: false,
            skip_frame: false,
            too_long: false,
            limit,
        }
    }

    /// Feeds the next chunk of the stream; returns the frames it completed, in
    /// order, with an error in place of each frame that could not be read.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Result<SseFrame, SseError>> {
        self.push_located(chunk)
            .into_iter()
            .map(|item| item.map(|located| located.frame))
            .collect()
    }

    pub(crate) fn push_located(&mut self, chunk: &[u8]) -> Vec<Result<Located, SseError>> {
        let mut out = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' if self.too_long => {
                    // Inside a frame that passed the limit: only look for the
                    // blank line that ends it.
                    self.after_cr = byte == b'\r';
                    self.lines += 1;
                    if self.line.is_empty() {
                        *self = Self {
                            lines: self.lines,
                            after_cr: self.after_cr,
                            ..Self::with_limit(self.limit)
                        };
                    }
                    self.line.clear();
                }
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(item) = self.end_line(&line) {
                        out.push(item);
                    }
                }
                _ if self.too_long => {
                    self.after_cr = false;
                    // One byte marks the line as not blank; nothing more is kept.
                    if self.line.is_empty() {
                        self.line.push(byte);
                    }
                }
                _ => {
                    self.after_cr = false;
                    self.frame_bytes += 1;
                    if self.frame_bytes > self.limit {
                        // Drop what the frame holds and ignore the rest of it.
                        self.too_long = true;
                        self.has_field = false;
                        self.frame = SseFrame::default();
                        self.line = vec![byte];
                        out.push(Err(SseError::TooLong {
                            line: self.lines + 1,
                            limit: self.limit,
                        }));
                    } else {
                        self.line.push(byte);
                    }
                }
            }
        }
        out
    }

    /// Declares the end of the stream.
    ///
    /// # Errors
    /// [`SseError::Truncated`] when the stream stopped inside a frame (the
    /// unfinished frame is dropped). The decoder is then reset.
    pub fn finish(&mut self) -> Result<(), SseError> {
        let truncated = !self.line.is_empty() || self.has_field;
        let line = self.lines + usize::from(!self.line.is_empty());
        *self = Self::with_limit(self.limit);
        if truncated {
            Err(SseError::Truncated { line })
        } else {
            Ok(())
        }
    }

    fn end_line(&mut self, bytes: &[u8]) -> Option<Result<Located, SseError>> {
        self.lines += 1;
        if bytes.is_empty() {
            self.frame_bytes = 0;
            let frame = std::mem::take(&mut self.frame);
            let dispatch = self.has_field && !self.skip_frame;
            self.has_field = false;
            self.skip_frame = false;
            return dispatch.then_some(Ok(Located {
                frame,
                line: self.lines,
            }));
        }
        if self.skip_frame {
            return None;
        }
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if self.lines == 1 => rest,
            _ => bytes,
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                self.skip_frame = true;
                self.has_field = false;
                self.frame = SseFrame::default();
                return Some(Err(SseError::InvalidUtf8 {
                    line: self.lines,
                    column: err.valid_up_to() + 1,
                }));
            }
        };
        if text.starts_with(':') {
            return None;
        }
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text, ""),
        };
        match field {
            "data" => match &mut self.frame.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.frame.data = Some(value.to_owned()),
            },
            "event" => self.frame.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.frame.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.frame.retry = value.parse().ok();
            }
            _ => return None,
        }
        self.has_field = true;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(decoder: &mut SseDecoder, chunk: &[u8]) -> Vec<SseFrame> {
        decoder
            .push(chunk)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("valid frames")
    }

    fn data(text: &str) -> SseFrame {
        SseFrame {
            data: Some(text.to_owned()),
            ..SseFrame::default()
        }
    }

    #[test]
    fn every_split_of_the_input_gives_the_same_frames() {
        let input = "\u{feff}event: delta\r\nid: 7\r\ndata: h\u{e9}llo \u{1F600}\r\ndata: w\u{f6}rld\r\n\r\n: keep-alive\n\ndata:[DONE]\r\r";
        let expected = vec![
            SseFrame {
                event: Some("delta".into()),
                data: Some("h\u{e9}llo \u{1F600}\nw\u{f6}rld".into()),
                id: Some("7".into()),
                retry: None,
            },
            data("[DONE]"),
        ];
        let bytes = input.as_bytes();
        for cut in 0..=bytes.len() {
            let mut decoder = SseDecoder::new();
            let mut got = frames(&mut decoder, &bytes[..cut]);
            got.extend(frames(&mut decoder, &bytes[cut..]));
            assert_eq!(got, expected, "split at byte {cut}");
            decoder.finish().expect("complete stream");
        }
        let mut decoder = SseDecoder::new();
        let got: Vec<_> = bytes
            .iter()
            .flat_map(|byte| frames(&mut decoder, std::slice::from_ref(byte)))
            .collect();
        assert_eq!(got, expected, "one byte at a time");
    }

    #[test]
    fn a_cr_ending_one_chunk_and_a_lf_starting_the_next_are_one_line_end() {
        let mut decoder = SseDecoder::new();
        assert!(frames(&mut decoder, b"data: a\r").is_empty());
        assert!(
            frames(&mut decoder, b"\n").is_empty(),
            "the LF is not a blank line"
        );
        assert_eq!(frames(&mut decoder, b"\r\n"), vec![data("a")]);
    }

    #[test]
    fn fields_follow_the_sse_rules() {
        let mut decoder = SseDecoder::new();
        let got = frames(
            &mut decoder,
            b"data\n\ndata:x\n\ndata:  two spaces\n\nretry: 3000\ndata: r\n\nretry: soon\nid: a\0b\ndata: r\n\nbogus: 1\n\n",
        );
        assert_eq!(
            got,
            vec![
                data(""),
                data("x"),
                data(" two spaces"),
                SseFrame {
                    retry: Some(3000),
                    ..data("r")
                },
                data("r"),
            ]
        );
    }

    #[test]
    fn comment_only_frames_are_not_reported() {
        let mut decoder = SseDecoder::new();
        assert!(frames(&mut decoder, b": ping\n\n:\n\n\n\n").is_empty());
        decoder.finish().expect("nothing pending");
    }

    #[test]
    fn a_frame_without_data_is_reported_without_data() {
        let mut decoder = SseDecoder::new();
        let got = frames(&mut decoder, b"event: ping\n\n");
        assert_eq!(
            got,
            vec![SseFrame {
                event: Some("ping".into()),
                ..SseFrame::default()
            }]
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_and_skips_the_rest_of_its_frame() {
        let mut decoder = SseDecoder::new();
        let got = decoder.push(b"data: ok\n\ndata: bad \xff\xfe\ndata: more\n\ndata: after\n\n");
        assert_eq!(
            got,
            vec![
                Ok(data("ok")),
                Err(SseError::InvalidUtf8 {
                    line: 3,
                    column: 11
                }),
                Ok(data("after")),
            ]
        );
        assert_eq!(
            SseError::InvalidUtf8 {
                line: 3,
                column: 11
            }
            .to_string(),
            "line 3 of the SSE stream is not valid UTF-8 (bad byte at column 11): SSE is UTF-8 text, so check the server's encoding"
        );
    }

    #[test]
    fn a_frame_past_the_limit_is_skipped_with_an_error_and_the_next_one_is_read() {
        let mut decoder = SseDecoder::with_limit(16);
        let mut items = decoder.push(b"data: 0123456789");
        items.extend(decoder.push(b"abcdef\ndata: more\n\ndata: ok\n\n"));
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0], Err(SseError::TooLong { line: 1, limit: 16 }));
        assert_eq!(items[1], Ok(data("ok")));
        // Memory stays bounded however long the line goes on.
        let mut decoder = SseDecoder::with_limit(1024);
        for _ in 0..1000 {
            decoder.push(&[b'x'; 1024]);
        }
        assert!(
            decoder.line.capacity() <= 2048,
            "{}",
            decoder.line.capacity()
        );
    }

    #[test]
    fn a_stream_that_stops_inside_a_frame_is_truncated() {
        let mut decoder = SseDecoder::new();
        assert!(decoder.push(b"data: a\n\ndata: partial").len() == 1);
        assert_eq!(decoder.finish(), Err(SseError::Truncated { line: 3 }));
        decoder.finish().expect("the decoder was reset");

        let mut decoder = SseDecoder::new();
        assert!(decoder.push(b"data: no blank line\n").is_empty());
        assert_eq!(decoder.finish(), Err(SseError::Truncated { line: 1 }));
    }
}
