//! Anthropic's Messages stream format: typed events and the decoder that turns them into
//! reasoning and text deltas and one completion with its usage.

use serde::Deserialize;
use serde_json::Value;
use thinkscale_engine::model::{
    Channel, Chunk, Completion, FinishReason, ModelError, ModelErrorKind, Usage,
};

use crate::call::{Decoder, malformed, truncated};
use crate::generator::Emitter;
use crate::sse::SseEvent;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart { message: MessageStart },
    ContentBlockStart { content_block: Value },
    ContentBlockDelta { delta: BlockDelta },
    ContentBlockStop {},
    MessageDelta { delta: MessageDeltaBody, usage: Option<OutputUsage> },
    MessageStop {},
    Ping {},
    Error { error: Value },
}

#[derive(Deserialize)]
struct MessageStart {
    usage: Option<InputUsage>,
}

#[derive(Deserialize, Default)]
struct InputUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct OutputUsage {
    output_tokens: u64,
}

/// Decodes one Messages stream into a single completion.
pub(crate) struct MessageDecoder {
    choice: u32,
    text: String,
    thinking: String,
    input_tokens: u64,
    output_tokens: u64,
    stop_reason: Option<FinishReason>,
    started: bool,
    done: bool,
}

impl MessageDecoder {
    pub(crate) fn new(choice: u32) -> Self {
        Self {
            choice,
            text: String::new(),
            thinking: String::new(),
            input_tokens: 0,
            output_tokens: 0,
            stop_reason: None,
            started: false,
            done: false,
        }
    }
}

impl Decoder for MessageDecoder {
    type Output = Completion;

    fn event(&mut self, event: SseEvent, emit: &Emitter) -> Result<(), ModelError> {
        let parsed: StreamEvent =
            serde_json::from_str(&event.data).map_err(|e| malformed("Anthropic event", e))?;
        let (channel, text) = match parsed {
            StreamEvent::MessageStart { message } => {
                let usage = message.usage.unwrap_or_default();
                self.input_tokens = usage.input_tokens
                    + usage.cache_creation_input_tokens
                    + usage.cache_read_input_tokens;
                self.output_tokens = usage.output_tokens;
                self.started = true;
                return Ok(());
            }
            StreamEvent::ContentBlockStart { content_block } => {
                // A block may start with text already in it.
                let kind = content_block.get("type").and_then(Value::as_str).unwrap_or_default();
                let field = if kind == "thinking" { "thinking" } else { "text" };
                let text = content_block.get(field).and_then(Value::as_str).unwrap_or_default();
                let channel = if kind == "thinking" { Channel::Reasoning } else { Channel::Text };
                if kind != "thinking" && kind != "text" {
                    return Ok(());
                }
                (channel, text.to_owned())
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text } } => {
                (Channel::Text, text)
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::ThinkingDelta { thinking } } => {
                (Channel::Reasoning, thinking)
            }
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.output_tokens = usage.output_tokens;
                }
                self.stop_reason = delta.stop_reason.map(|reason| match reason.as_str() {
                    "end_turn" | "stop_sequence" => FinishReason::Stop,
                    "max_tokens" => FinishReason::Length,
                    "refusal" => FinishReason::ContentFilter,
                    _ => FinishReason::Other,
                });
                return Ok(());
            }
            StreamEvent::MessageStop {} => {
                self.done = true;
                // The only choice is complete (stop reason and usage came in `message_delta`).
                if let Some(completion) = self.completion() {
                    let _ =
                        emit.unbounded_send(Chunk::Finished { choice: self.choice, completion });
                }
                return Ok(());
            }
            StreamEvent::Error { error } => {
                let kind_name = error.get("type").and_then(Value::as_str).unwrap_or_default();
                let kind = match kind_name {
                    "overloaded_error" | "api_error" => ModelErrorKind::Server,
                    "rate_limit_error" => ModelErrorKind::RateLimited,
                    "authentication_error" | "permission_error" => ModelErrorKind::Auth,
                    "invalid_request_error" | "not_found_error" => ModelErrorKind::InvalidRequest,
                    _ => ModelErrorKind::Other,
                };
                let message = error.get("message").and_then(Value::as_str).unwrap_or(kind_name);
                return Err(ModelError::new(kind, message));
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::Other }
            | StreamEvent::ContentBlockStop {}
            | StreamEvent::Ping {} => return Ok(()),
        };
        if text.is_empty() {
            return Ok(());
        }
        match channel {
            Channel::Text => self.text.push_str(&text),
            Channel::Reasoning => self.thinking.push_str(&text),
        }
        let _ = emit.unbounded_send(Chunk::Delta { choice: self.choice, channel, text });
        Ok(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(self) -> Result<Completion, ModelError> {
        self.completion().ok_or_else(truncated)
    }
}

impl MessageDecoder {
    /// The completion, once the message has started and stopped.
    fn completion(&self) -> Option<Completion> {
        if !self.started || !self.done {
            return None;
        }
        let (text_len, thinking_len) = (self.text.len() as u64, self.thinking.len() as u64);
        let reasoning_tokens = if thinking_len == 0 {
            0
        } else {
            self.output_tokens.saturating_mul(thinking_len) / (text_len + thinking_len)
        };
        Some(Completion {
            usage: Usage {
                prompt_tokens: self.input_tokens,
                completion_tokens: self.output_tokens.saturating_sub(reasoning_tokens),
                reasoning_tokens,
            },
            reasoning: (!self.thinking.is_empty()).then(|| self.thinking.clone()),
            text: self.text.clone(),
            finish_reason: self.stop_reason.unwrap_or(FinishReason::Other),
            logprobs: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use futures::channel::mpsc::unbounded;

    use super::*;

    #[test]
    fn the_message_finishes_its_choice_at_message_stop_before_the_stream_ends() {
        let mut decoder = MessageDecoder::new(2);
        let (emit, chunks) = unbounded();
        for data in [
            r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"six sevens"}}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"42"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":24}}"#,
            r#"{"type":"message_stop"}"#,
        ] {
            let event = SseEvent { event: "message".into(), data: data.into(), id: None };
            decoder.event(event, &emit).expect("decodes");
        }
        drop(emit);
        let chunks: Vec<Chunk> = futures::executor::block_on(chunks.collect());
        let Some(Chunk::Finished { choice, completion }) = chunks.last() else {
            panic!("no Finished at message_stop: {chunks:?}")
        };
        assert_eq!(*choice, 2);
        assert_eq!(
            (completion.text.as_str(), completion.reasoning.as_deref()),
            ("42", Some("six sevens"))
        );
        assert_eq!(completion.finish_reason, FinishReason::Stop);
        assert_eq!(completion.usage.prompt_tokens, 12);
        assert_eq!(completion.usage.completion_tokens + completion.usage.reasoning_tokens, 24);
        assert_eq!(decoder.finish().as_ref(), Ok(completion));
    }
}
