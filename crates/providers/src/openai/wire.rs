//! The OpenAI chat-completions stream format: typed chunks and the decoder that turns them into
//! deltas, per-choice finishes and completions.
//!
//! Reads `delta.content`, reasoning text from `delta.reasoning_content` (DeepSeek, vLLM, llama.cpp)
//! or `delta.reasoning` (OpenRouter), `logprobs.content`, `finish_reason`, `usage` (with
//! `completion_tokens_details.reasoning_tokens`) and llama.cpp's `timings`, and turns an `error`
//! object sent mid-stream into a failure.

use serde::Deserialize;
use serde_json::Value;
use thinkscale_engine::model::{
    Channel, Chunk, Completion, FinishReason, ModelError, ModelErrorKind, TokenLogprob, Usage,
};

use crate::call::{Decoder, malformed, truncated};
use crate::generator::Emitter;
use crate::sse::SseEvent;
use crate::think::ThinkTags;

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

impl Partial {
    /// The completion so far, with `usage`.
    fn completion(&self, usage: Usage) -> Completion {
        Completion {
            text: self.text.clone(),
            reasoning: (!self.reasoning.is_empty()).then(|| self.reasoning.clone()),
            finish_reason: self.finish_reason.unwrap_or(FinishReason::Other),
            usage,
            logprobs: (!self.logprobs.is_empty()).then(|| self.logprobs.clone()),
        }
    }
}

/// What the stream said about itself, beyond the choices.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StreamFacts {
    /// The server sent llama.cpp `timings` (its `usage` counts one choice only).
    pub(crate) llama_cpp: bool,
}

/// Decodes one chat-completions stream into the caller's choices: the stream's choice `i` is
/// the caller's `targets[i]` (a retry asks only for the choices still unfinished). Each choice
/// is announced as [`Chunk::Finished`] the moment its `finish_reason` arrives, with its usage
/// estimated; [`ChatDecoder::into_choices`] gives the best counts once the stream has ended.
pub(crate) struct ChatDecoder {
    targets: Vec<u32>,
    think_tags: bool,
    prompt_estimate: u64,
    choices: Vec<Partial>,
    usage: Option<WireUsage>,
    facts: StreamFacts,
    done: bool,
}

impl ChatDecoder {
    pub(crate) fn new(targets: Vec<u32>, prompt_estimate: u64) -> Self {
        Self {
            targets,
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

    /// What the stream has revealed about the server so far.
    pub(crate) fn facts(&self) -> StreamFacts {
        self.facts
    }

    /// Whether every choice seen has its finish reason (and at least one was seen).
    pub(crate) fn complete(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some())
    }

    /// The choices that finished so far (the caller's indices), with estimated usage: what a
    /// stream cut afterwards still delivered.
    pub(crate) fn finished_choices(&self) -> Vec<(u32, Completion)> {
        (0u32..)
            .zip(&self.choices)
            .filter(|(_, partial)| partial.finish_reason.is_some())
            .filter_map(|(index, partial)| {
                let usage = self.estimated_usage(index, partial);
                Some((self.target(index)?, partial.completion(usage)))
            })
            .collect()
    }

    /// Usage before the server reports it: one streamed delta is about one token, and the
    /// stream's first choice carries the prompt (reported, else the request's estimate).
    fn estimated_usage(&self, index: u32, partial: &Partial) -> Usage {
        let prompt = self.usage.map_or(self.prompt_estimate, |u| u.prompt_tokens);
        Usage {
            prompt_tokens: if index == 0 { prompt } else { 0 },
            completion_tokens: partial.deltas,
            reasoning_tokens: 0,
        }
    }

    /// The caller's index of the stream's choice `index`, if it was asked for.
    fn target(&self, index: u32) -> Option<u32> {
        self.targets.get(index as usize).copied()
    }

    fn choice(&mut self, index: u32) -> Result<&mut Partial, ModelError> {
        let think_tags = self.think_tags;
        if self.target(index).is_none() {
            return Err(malformed("chunk", format!("choice index {index} was not asked for")));
        }
        let index = index as usize;
        if self.choices.len() <= index {
            self.choices.resize_with(index + 1, || Partial {
                think: think_tags.then(ThinkTags::default),
                ..Partial::default()
            });
        }
        self.choices.get_mut(index).ok_or_else(|| malformed("chunk", "choice index"))
    }

    /// Every choice (the caller's indices, in stream order) with the best counts: the reported
    /// `usage` split over the choices by length, else the estimate. Errs when the stream ended
    /// before every choice finished.
    pub(crate) fn into_choices(self) -> Result<(Vec<(u32, Completion)>, StreamFacts), ModelError> {
        if !self.complete() {
            return Err(truncated());
        }
        let Some(reported) = self.usage else {
            let choices = self.finished_choices();
            return Ok((choices, self.facts));
        };
        let reasoning_total =
            reported.completion_tokens_details.map(|d| d.reasoning_tokens).unwrap_or(0);
        let text_total = reported.completion_tokens.saturating_sub(reasoning_total);
        let weights: Vec<u64> = self.choices.iter().map(|c| c.text.len() as u64 + 1).collect();
        let weight_sum: u64 = weights.iter().sum();
        let reasoning_weights: Vec<u64> =
            self.choices.iter().map(|c| c.reasoning.len() as u64).collect();
        let reasoning_sum: u64 = reasoning_weights.iter().sum();
        let share = |total: u64, weight: u64, sum: u64| {
            total.saturating_mul(weight).checked_div(sum).unwrap_or(total)
        };
        let targets = self.targets;
        let choices = (0u32..)
            .zip(self.choices)
            .zip(weights.into_iter().zip(reasoning_weights))
            .filter_map(|((index, partial), (weight, reasoning_weight))| {
                let usage = Usage {
                    prompt_tokens: if index == 0 { reported.prompt_tokens } else { 0 },
                    completion_tokens: share(text_total, weight, weight_sum),
                    reasoning_tokens: share(reasoning_total, reasoning_weight, reasoning_sum),
                };
                let completion = Completion {
                    text: partial.text,
                    reasoning: (!partial.reasoning.is_empty()).then_some(partial.reasoning),
                    finish_reason: partial.finish_reason.unwrap_or(FinishReason::Other),
                    usage,
                    logprobs: (!partial.logprobs.is_empty()).then_some(partial.logprobs),
                };
                Some((targets.get(index as usize).copied()?, completion))
            })
            .collect();
        Ok((choices, self.facts))
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
    type Output = (Vec<(u32, Completion)>, StreamFacts);

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
        for choice in chunk.choices {
            let index = choice.index;
            let target = self.target(index).unwrap_or(index);
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
            let finishes = partial.finish_reason.is_none() && choice.finish_reason.is_some();
            if let Some(reason) = choice.finish_reason {
                partial.finish_reason = Some(finish_reason(&reason));
                parts.extend(partial.think.as_mut().map(ThinkTags::finish).unwrap_or_default());
            }
            for (channel, text) in parts {
                match channel {
                    Channel::Reasoning => partial.reasoning.push_str(&text),
                    Channel::Text => partial.text.push_str(&text),
                }
                let _ = emit.unbounded_send(Chunk::Delta { choice: target, channel, text });
            }
            if finishes && let Some(partial) = self.choices.get(index as usize) {
                let completion = partial.completion(self.estimated_usage(index, partial));
                let _ = emit.unbounded_send(Chunk::Finished { choice: target, completion });
            }
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(self) -> Result<Self::Output, ModelError> {
        self.into_choices()
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
