//! The OpenAI chat-completions side of [`HostileServer`](super::HostileServer): what a request
//! asked for, and a writer of streamed chunks that batches small events into large writes (a
//! 5 MB answer in 4-byte deltas is over a million events).

use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpStream;

use crate::http;

/// Bytes buffered before a write: big enough that huge streams go fast, small enough that a
/// client reading slowly is not flooded.
const BATCH_BYTES: usize = 64 * 1024;

/// Filler text for answers that ignore `max_tokens`: no digits, so no answer is found in it.
const FILLER: &str = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ";

/// What a request asked for, read from its JSON body (OpenAI or Anthropic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Asked {
    /// `n`, at least 1.
    pub(super) n: usize,
    /// The bytes of every message's `content`, plus `system`.
    pub(super) prompt_bytes: usize,
}

impl Asked {
    pub(super) fn of(body: &str) -> Self {
        let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let n = json.get("n").and_then(Value::as_u64).unwrap_or(1).clamp(1, 128) as usize;
        let text_len = |value: Option<&Value>| value.and_then(Value::as_str).map_or(0, str::len);
        let messages = json.get("messages").and_then(Value::as_array);
        let prompt_bytes = messages
            .map_or(0, |m| m.iter().map(|m| text_len(m.get("content"))).sum())
            + text_len(json.get("system"));
        Self { n, prompt_bytes }
    }

    /// A rough prompt token count (4 bytes a token), for `usage`.
    pub(super) fn prompt_tokens(&self) -> u64 {
        self.prompt_bytes.div_ceil(4) as u64
    }
}

/// The honest answer of choice `choice` of request `number`.
pub(super) fn honest_text(number: usize, choice: usize) -> String {
    format!("Request {number}, choice {choice}: the answer is 42.")
}

/// Writes `data:` events into a chunked body, in batches.
pub(super) struct EventWriter<'a> {
    stream: &'a mut TcpStream,
    buffer: Vec<u8>,
}

impl<'a> EventWriter<'a> {
    pub(super) fn new(stream: &'a mut TcpStream) -> Self {
        Self { stream, buffer: Vec::with_capacity(BATCH_BYTES) }
    }

    /// Queues one event holding `data`.
    pub(super) async fn data(&mut self, data: &str) -> std::io::Result<()> {
        self.buffer.extend_from_slice(b"data: ");
        self.buffer.extend_from_slice(data.as_bytes());
        self.buffer.extend_from_slice(b"\n\n");
        if self.buffer.len() >= BATCH_BYTES { self.flush().await } else { Ok(()) }
    }

    /// Queues a content delta for `choice`.
    pub(super) async fn delta(&mut self, choice: usize, text: &str) -> std::io::Result<()> {
        let content = serde_json::to_string(text).unwrap_or_default();
        self.data(&format!(
            r#"{{"choices":[{{"index":{choice},"delta":{{"content":{content}}},"finish_reason":null}}]}}"#
        ))
        .await
    }

    /// Queues the chunk that finishes `choice` with `reason`.
    pub(super) async fn finish(&mut self, choice: usize, reason: &str) -> std::io::Result<()> {
        self.data(&format!(
            r#"{{"choices":[{{"index":{choice},"delta":{{}},"finish_reason":"{reason}"}}]}}"#
        ))
        .await
    }

    /// Queues the usage chunk.
    pub(super) async fn usage(&mut self, prompt: u64, completion: u64) -> std::io::Result<()> {
        self.data(&format!(
            r#"{{"choices":[],"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion}}}}}"#
        ))
        .await
    }

    /// Writes what is queued.
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        let result = http::write_chunk(self.stream, &self.buffer).await;
        self.buffer.clear();
        result
    }

    /// Queues `[DONE]`, writes everything and ends the body cleanly.
    pub(super) async fn end(mut self) -> std::io::Result<()> {
        self.data("[DONE]").await?;
        self.flush().await?;
        http::end_stream(self.stream).await;
        Ok(())
    }
}

/// Every choice streams `bytes` bytes of filler in `delta_bytes` pieces, interleaved.
pub(super) async fn huge_answer(
    events: &mut EventWriter<'_>,
    asked: &Asked,
    bytes: usize,
    delta_bytes: usize,
) -> std::io::Result<()> {
    let delta_bytes = delta_bytes.max(1);
    let filler = FILLER.repeat(delta_bytes.div_ceil(FILLER.len()) + 1);
    let mut sent = 0;
    let mut deltas = 0u64;
    while sent < bytes {
        let size = delta_bytes.min(bytes - sent);
        // Start each delta at a different place in the filler, so pieces are not all alike.
        let start = sent % FILLER.len();
        let piece = filler.get(start..start + size).unwrap_or_default();
        for choice in 0..asked.n {
            events.delta(choice, piece).await?;
        }
        sent += size;
        deltas += 1;
    }
    for choice in 0..asked.n {
        events.finish(choice, "stop").await?;
    }
    events.usage(asked.prompt_tokens(), deltas * asked.n as u64).await
}

/// Choice 0 answers and finishes at once; the others stream `deltas` rounds, `pause` apart.
pub(super) async fn staggered(
    events: &mut EventWriter<'_>,
    asked: &Asked,
    number: usize,
    pause: Duration,
    deltas: usize,
) -> std::io::Result<()> {
    events.delta(0, &honest_text(number, 0)).await?;
    events.finish(0, "stop").await?;
    events.flush().await?;
    if asked.n > 1 {
        for _ in 0..deltas {
            tokio::time::sleep(pause).await;
            for choice in 1..asked.n {
                events.delta(choice, "more ").await?;
            }
            events.flush().await?;
        }
    }
    for choice in 1..asked.n {
        events.delta(choice, &honest_text(number, choice)).await?;
        events.finish(choice, "stop").await?;
    }
    let completion = 12 + (asked.n as u64 - 1) * (12 + deltas as u64);
    events.usage(asked.prompt_tokens(), completion).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_for_their_choices_and_prompt_length() {
        let openai = r#"{"n":3,"messages":[{"role":"user","content":"abcd"},{"role":"assistant","content":"ef"}]}"#;
        assert_eq!(Asked::of(openai), Asked { n: 3, prompt_bytes: 6 });
        let anthropic = r#"{"system":"xyz","messages":[{"role":"user","content":"abcd"}]}"#;
        assert_eq!(Asked::of(anthropic), Asked { n: 1, prompt_bytes: 7 });
        assert_eq!(Asked::of("not json"), Asked { n: 1, prompt_bytes: 0 });
    }
}
