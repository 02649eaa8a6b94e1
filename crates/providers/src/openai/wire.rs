//! The OpenAI chat-completions wire format: the request body and a decoder for its SSE chunks.
//!
//! Reads `delta.content`, reasoning text from `delta.reasoning_content` (DeepSeek, vLLM, llama.cpp)
//! or `delta.reasoning` (OpenRouter), `logprobs.content`, `finish_reason`, `usage` (with
//! `completion_tokens_details.reasoning_tokens`) and llama.cpp's `timings`, and turns an `error`
//! object sent mid-stream into a failure.

use crate::think::ThinkTags;
use serde::Deserialize;
use serde_json::{Value, json};
use thinkscale_engine::model::{
    Channel, Chunk, Completion, Effort, FinishReason, ModelError, ModelErrorKind, Reasoning,
    Request, Response, Role, TokenLogprob, Usage,
};

use crate::call::{Decoder, malformed, truncated};
use crate::generator::Emitter;
use crate::sse::SseEvent;

/// Which field carries the output-token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_tokens`: understood by nearly every compatible server.
    MaxTokens,
    /// `max_completion_tokens`: OpenAI's current name, required by its reasoning models.
    MaxCompletionTokens,
}

/// Maps a thinking budget to OpenAI's effort levels (OpenAI has no token budget).
fn effort_of(reasoning: Reasoning) -> Effort {
    match reasoning {
        Reasoning::Effort { level } => level,
        Reasoning::Budget { tokens } if tokens < 2048 => Effort::Low,
        Reasoning::Budget { tokens } if tokens < 8192 => Effort::Medium,
        Reasoning::Budget { .. } => Effort::High,
    }
}

/// The JSON body of a streamed chat-completions request.
pub(crate) fn body(
    model: &str,
    request: &Request,
    n: u32,
    max_tokens_field: MaxTokensField,
) -> String {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({ "role": role, "content": m.content })
        })
        .collect();
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    let fields = [
        ("n", (n > 1).then(|| json!(n))),
        ("temperature", request.temperature.map(|t| json!(t))),
        ("top_p", request.top_p.map(|p| json!(p))),
        ("seed", request.seed.map(|s| json!(s))),
        ("stop", (!request.stop.is_empty()).then(|| json!(request.stop))),
        ("logprobs", request.logprobs.then_some(json!(true))),
        (
            match max_tokens_field {
                MaxTokensField::MaxTokens => "max_tokens",
                MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
            },
            request.max_tokens.map(|m| json!(m)),
        ),
        (
            "reasoning_effort",
            request.reasoning.map(|r| {
                json!(match effort_of(r) {
                    Effort::Low => "low",
                    Effort::Medium => "medium",
                    Effort::High => "high",
                })
            }),
        ),
    ];
    if let Some(object) = body.as_object_mut() {
        for (name, value) in fields {
            if let Some(value) = value {
                object.insert(name.to_owned(), value);
            }
        }
    }
    body.to_string()
}

#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Vec<ChoiceDelta>,
    usage: Option<WireUsage>,
    timings: Option<Value>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChoiceDelta {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    finish_reason: Option<String>,
    logprobs: Option<WireLogprobs>,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
}

#[derive(Deserialize)]
struct WireLogprobs {
    #[serde(default)]
    content: Option<Vec<WireTokenLogprob>>,
}

#[derive(Deserialize)]
struct WireTokenLogprob {
    token: String,
    logprob: f64,
}

#[derive(Deserialize, Clone, Copy, Default)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize, Clone, Copy, Default)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

/// One choice as it accumulates.
#[derive(Default)]
struct Partial {
    text: String,
    reasoning: String,
    finish_reason: Option<FinishReason>,
    logprobs: Vec<TokenLogprob>,
    deltas: u64,
    /// Splits inline `<think>` reasoning out of the content, when enabled.
    think: Option<ThinkTags>,
}

/// What the stream said about itself, beyond the choices.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StreamFacts {
    /// The server sent llama.cpp `timings` (its `usage` counts one choice only).
    pub(crate) llama_cpp: bool,
}

/// Decodes one chat-completions stream; choice indices are shifted by `offset` when this request
/// fills part of a larger `n`.
pub(crate) struct ChatDecoder {
    offset: u32,
    think_tags: bool,
    prompt_estimate: u64,
    choices: Vec<Partial>,
    usage: Option<WireUsage>,
    facts: StreamFacts,
    done: bool,
}

impl ChatDecoder {
    pub(crate) fn new(offset: u32, prompt_estimate: u64) -> Self {
        Self {
            offset,
            think_tags: false,
            prompt_estimate,
            choices: Vec::new(),
            usage: None,
            facts: StreamFacts::default(),
            done: false,
        }
    }

    /// Reads a `<think>…</think>` block that opens a choice's content as its reasoning.
    pub(crate) fn think_tags(mut self, enabled: bool) -> Self {
        self.think_tags = enabled;
        self
    }

    fn choice(&mut self, index: u32) -> Result<&mut Partial, ModelError> {
        let think_tags = self.think_tags;
        let index = index as usize;
        if index >= 128 {
            return Err(malformed("chunk", format!("choice index {index} is out of range")));
        }
        if self.choices.len() <= index {
            self.choices.resize_with(index + 1, || Partial {
                think: think_tags.then(ThinkTags::default),
                ..Partial::default()
            });
        }
        self.choices.get_mut(index).ok_or_else(|| malformed("chunk", "choice index"))
    }

    /// The response and what the stream revealed about the server.
    pub(crate) fn into_parts(self) -> Result<(Response, StreamFacts), ModelError> {
        if self.choices.is_empty() || self.choices.iter().any(|c| c.finish_reason.is_none()) {
            return Err(truncated());
        }
        let reported = self.usage.unwrap_or_default();
        let reasoning_total =
            reported.completion_tokens_details.map(|d| d.reasoning_tokens).unwrap_or(0);
        let text_total = reported.completion_tokens.saturating_sub(reasoning_total);
        let weights: Vec<u64> = self.choices.iter().map(|c| c.text.len() as u64 + 1).collect();
        let weight_sum: u64 = weights.iter().sum();
        let reasoning_weights: Vec<u64> =
            self.choices.iter().map(|c| c.reasoning.len() as u64).collect();
        let reasoning_sum: u64 = reasoning_weights.iter().sum();
        let reported_usage = self.usage.is_some();
        let completions = self
            .choices
            .into_iter()
            .enumerate()
            .map(|(i, partial)| {
                let share = |total: u64, weight: u64, sum: u64| {
                    total.saturating_mul(weight).checked_div(sum).unwrap_or(total)
                };
                let usage = if reported_usage {
                    Usage {
                        prompt_tokens: if i == 0 { reported.prompt_tokens } else { 0 },
                        completion_tokens: share(
                            text_total,
                            weights.get(i).copied().unwrap_or(1),
                            weight_sum,
                        ),
                        reasoning_tokens: share(
                            reasoning_total,
                            reasoning_weights.get(i).copied().unwrap_or(0),
                            reasoning_sum,
                        ),
                    }
                } else {
                    // No usage from the server: one streamed delta is about one token.
                    Usage {
                        prompt_tokens: if i == 0 { self.prompt_estimate } else { 0 },
                        completion_tokens: partial.deltas,
                        reasoning_tokens: 0,
                    }
                };
                Completion {
                    text: partial.text,
                    reasoning: (!partial.reasoning.is_empty()).then_some(partial.reasoning),
                    finish_reason: partial.finish_reason.unwrap_or(FinishReason::Other),
                    usage,
                    logprobs: (!partial.logprobs.is_empty()).then_some(partial.logprobs),
                }
            })
            .collect();
        Ok((Response { completions }, self.facts))
    }
}

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "eos" | "end_turn" | "stop_sequence" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

impl Decoder for ChatDecoder {
    type Output = (Response, StreamFacts);

    fn event(&mut self, event: SseEvent, emit: &Emitter) -> Result<(), ModelError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: StreamChunk = serde_json::from_str(data).map_err(|e| malformed("chunk", e))?;
        if let Some(error) = chunk.error {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_owned);
            return Err(ModelError::new(ModelErrorKind::Server, message));
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        self.facts.llama_cpp |= chunk.timings.is_some();
        let offset = self.offset;
        for choice in chunk.choices {
            let index = choice.index;
            let partial = self.choice(index)?;
            let delta = choice.delta.unwrap_or_default();
            let reasoning = delta.reasoning_content.or(delta.reasoning).filter(|r| !r.is_empty());
            let content = delta.content.filter(|c| !c.is_empty());
            if reasoning.is_some() || content.is_some() {
                partial.deltas += 1;
            }
            let mut parts: Vec<(Channel, String)> = Vec::new();
            parts.extend(reasoning.map(|text| (Channel::Reasoning, text)));
            match (content, partial.think.as_mut()) {
                (Some(text), Some(think)) => parts.extend(think.split(&text)),
                (Some(text), None) => parts.push((Channel::Text, text)),
                (None, _) => {}
            }
            if let Some(logprobs) = choice.logprobs.and_then(|l| l.content) {
                partial.logprobs.extend(
                    logprobs
                        .into_iter()
                        .map(|t| TokenLogprob { token: t.token, logprob: t.logprob }),
                );
            }
            if let Some(reason) = choice.finish_reason {
                partial.finish_reason = Some(finish_reason(&reason));
                parts.extend(partial.think.as_mut().map(ThinkTags::finish).unwrap_or_default());
            }
            let choice = index.saturating_add(offset);
            for (channel, text) in parts {
                match channel {
                    Channel::Reasoning => partial.reasoning.push_str(&text),
                    Channel::Text => partial.text.push_str(&text),
                }
                let _ = emit.unbounded_send(Chunk::Delta { choice, channel, text });
            }
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(self) -> Result<Self::Output, ModelError> {
        self.into_parts()
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
