//! An incremental parser for server-sent events (the `text/event-stream` format every provider
//! streams with), shared by the browser and native transports.
//!
//! It follows the WHATWG event-stream rules: lines end in CRLF, LF or CR (also when the pair is
//! split across network chunks); `:` lines are comments; `data` lines of one event are joined with
//! `\n`; a blank line dispatches; invalid UTF-8 becomes U+FFFD rather than an error; a leading BOM
//! is skipped. Feeding is linear in the input, so a 10 MB line costs one pass, and a line longer than
//! the limit is an error instead of unbounded memory — as is an event whose `data` lines keep
//! coming without the blank line that would end it. [`SseParser::finish`] tells a clean end from
//! a stream cut in the middle of an event.

use crate::Error;

/// The longest line accepted by default: 16 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The most `data` one event may accumulate by default (its lines and the newlines joining
/// them): 16 MiB, like a line.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `message` when the event named none.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last `id:` seen, if any.
    pub id: Option<String>,
}

/// Turns a byte stream, fed in arbitrary pieces, into [`SseEvent`]s.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of the line not yet terminated.
    line: Vec<u8>,
    /// The previous piece ended in CR, so a leading LF in the next piece belongs to it.
    after_cr: bool,
    /// No line has been completed yet (the BOM check applies to the first line).
    first_line: bool,
    data: String,
    has_data: bool,
    event: String,
    id: Option<String>,
    max_line_bytes: usize,
    max_event_bytes: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default line and event limits.
    pub fn new() -> Self {
        Self::with_max_line_bytes(DEFAULT_MAX_LINE_BYTES)
    }

    /// A parser that rejects lines longer than `max_line_bytes` (and events over the default
    /// event limit).
    pub fn with_max_line_bytes(max_line_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            data: String::new(),
            has_data: false,
            event: String::new(),
            id: None,
            max_line_bytes,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }

    /// Rejects events whose `data` would grow past `max_event_bytes` (default
    /// [`DEFAULT_MAX_EVENT_BYTES`]).
    pub fn with_max_event_bytes(mut self, max_event_bytes: usize) -> Self {
        self.max_event_bytes = max_event_bytes;
        self
    }

    /// Feeds the next piece of the stream, appending every event it completes to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), Error> {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = bytes.split_at(end);
            self.extend_line(head)?;
            let line = std::mem::take(&mut self.line);
            self.line_complete(&line, out)?;
            self.line = line;
            self.line.clear();
            let ended_with_cr = tail.first() == Some(&b'\r');
            bytes = tail.get(1..).unwrap_or_default();
            if ended_with_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = bytes.get(1..).unwrap_or_default(),
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.extend_line(bytes)
    }

    /// Ends the stream. Succeeds when it ended on an event boundary; an unterminated line or an
    /// event without its closing blank line means the stream was cut, and that event is dropped.
    pub fn finish(self) -> Result<(), Error> {
        if self.line.is_empty() && !self.has_data && self.event.is_empty() {
            Ok(())
        } else {
            Err(Error::SseIncomplete)
        }
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.line.len().saturating_add(bytes.len()) > self.max_line_bytes {
            return Err(Error::SseLineTooLong { limit: self.max_line_bytes });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line_complete(&mut self, mut line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), Error> {
        if std::mem::take(&mut self.first_line) {
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (field, rest) = line.split_at(colon);
                let value = rest.get(1..).unwrap_or_default();
                (field, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                let grown = self.data.len() + value.len() + usize::from(self.has_data);
                if grown > self.max_event_bytes {
                    return Err(Error::SseEventTooLarge { limit: self.max_event_bytes });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"event" => self.event = value.into_owned(),
            b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        out.push(SseEvent {
            event: if event.is_empty() { "message".to_owned() } else { event },
            data: std::mem::take(&mut self.data),
            id: self.id.clone(),
        });
    }
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
