//! What a [`Model`](super::Model) returns: completions, their usage and, when streaming, chunks.

use serde::{Deserialize, Serialize};

/// Why a completion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum FinishReason {
    /// The model ended its answer (or produced a stop string).
    Stop,
    /// The token limit cut it off: the text is truncated.
    Length,
    /// The provider filtered the content.
    ContentFilter,
    /// Anything else the provider reported.
    Other,
}

/// In words: `stop`, `length` (cut at the token limit), `content filter`, `other`.
impl std::fmt::Display for FinishReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ContentFilter => "content filter",
            Self::Other => "other",
        })
    }
}

/// Tokens consumed by one completion. `completion_tokens` counts visible output only; hidden
/// reasoning is in `reasoning_tokens`, so the total is the sum of the three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Visible output tokens.
    pub completion_tokens: u64,
    /// Reasoning (thinking) tokens, billed as output by most providers.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Prompt + completion + reasoning tokens.
    pub fn total(&self) -> u64 {
        self.prompt_tokens
            .saturating_add(self.completion_tokens)
            .saturating_add(self.reasoning_tokens)
    }

    /// Whether nothing was used (the default of optional usage fields in events).
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// Adds another usage to this one.
    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_add(other.completion_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(other.reasoning_tokens);
    }
}

/// The log-probability of one generated token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TokenLogprob {
    /// The token's text.
    pub token: String,
    /// Its natural-log probability (≤ 0).
    pub logprob: f64,
}

/// One generated answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// The visible text.
    pub text: String,
    /// Reasoning text, when a reasoning model shows it (DeepSeek `reasoning_content`, Anthropic
    /// thinking blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Why generation ended.
    pub finish_reason: FinishReason,
    /// Tokens this completion consumed. When one request returns several choices, providers put
    /// the shared prompt tokens on the first choice so that sums stay true.
    pub usage: Usage,
    /// Per-token log-probabilities, when asked for and supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Vec<TokenLogprob>>,
}

impl Completion {
    /// A finished completion with the given text and usage and nothing else.
    pub fn new(text: impl Into<String>, usage: Usage) -> Self {
        Self {
            text: text.into(),
            reasoning: None,
            finish_reason: FinishReason::Stop,
            usage,
            logprobs: None,
        }
    }

    /// The mean log-probability of its tokens, ignoring non-finite values; `None` without logprobs.
    pub fn mean_logprob(&self) -> Option<f64> {
        let logprobs = self.logprobs.as_ref()?;
        let finite: Vec<f64> =
            logprobs.iter().map(|t| t.logprob).filter(|l| l.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        Some(finite.iter().sum::<f64>() / finite.len() as f64)
    }
}

/// A model's answer to one request: one completion per requested choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "ModelResponse"))]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The completions, in choice order.
    pub completions: Vec<Completion>,
}

/// Which text a streamed delta belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    /// The visible answer text.
    Text,
    /// Reasoning (thinking) text.
    Reasoning,
}

/// One item of a streamed response.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    /// New text for one choice.
    Delta {
        /// The choice index within the request.
        choice: u32,
        /// Visible text or reasoning.
        channel: Channel,
        /// The new text.
        text: String,
    },
    /// The request failed in a way that is safe to retry and is being sent again after
    /// `delay_ms`. Text streamed so far is void: the next deltas start the response afresh.
    Retry {
        /// The choice being retried, or `None` when the whole request is.
        choice: Option<u32>,
        /// The attempt about to start (2 for the first retry).
        attempt: u32,
        /// Why the previous attempt failed.
        error: super::ModelError,
        /// How long the provider waits before the next attempt.
        delay_ms: u64,
    },
    /// One choice of a multi-choice request failed for good while the others go on. The final
    /// response then omits that choice: its completions fill the remaining choices in order.
    Failed {
        /// The choice that failed.
        choice: u32,
        /// Why.
        error: super::ModelError,
    },
    /// One choice is complete while others may still be generating: its node finishes now, so
    /// a run stopped before the whole request ends keeps it. The final [`Chunk::Done`] still
    /// lists this choice (its usage there, when it differs, replaces this one's: providers often
    /// learn exact counts only at the end).
    Finished {
        /// The choice.
        choice: u32,
        /// Its completion.
        completion: Completion,
    },
    /// The whole response; always the last item of a successful stream.
    Done(Response),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_logprob_ignores_non_finite_values() {
        let mut completion = Completion::new("x", Usage::default());
        assert_eq!(completion.mean_logprob(), None);
        completion.logprobs = Some(vec![
            TokenLogprob { token: "a".into(), logprob: -1.0 },
            TokenLogprob { token: "b".into(), logprob: f64::NEG_INFINITY },
            TokenLogprob { token: "c".into(), logprob: -3.0 },
        ]);
        assert_eq!(completion.mean_logprob(), Some(-2.0));
    }

    #[test]
    fn usage_total_counts_reasoning() {
        let usage = Usage { prompt_tokens: 10, completion_tokens: 5, reasoning_tokens: 100 };
        assert_eq!(usage.total(), 115);
    }
}
