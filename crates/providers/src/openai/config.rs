//! [`OpenAiConfig`]: the settings of an OpenAI-compatible provider, with presets for the
//! vendors and local servers it is known to work with.

use super::MaxTokensField;
use crate::{ApiKey, RetryPolicy, Timeouts};

/// How completion tokens are counted when one request returns several choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCounting {
    /// Trust `usage`, except on llama.cpp's server (recognised by its `timings`), whose `usage`
    /// counts one choice only: there, count each choice with `/tokenize`.
    Auto,
    /// Trust `usage` as the sum over all choices (OpenAI's documented behaviour).
    Reported,
    /// Always count each choice with the server's `/tokenize` endpoint (llama.cpp).
    Tokenize,
}

/// Settings of an OpenAI-compatible provider. Start from a preset ([`OpenAiConfig::openai`],
/// [`OpenAiConfig::llama_cpp`], …) or [`OpenAiConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The API root, ending before `/chat/completions` (e.g. `https://api.openai.com/v1`).
    pub base_url: String,
    /// The model name sent in each request; also the id looked up in price tables.
    pub model: String,
    /// The key, sent as `Authorization: Bearer` to `base_url` only; empty for keyless servers.
    pub api_key: ApiKey,
    /// The most choices one request may ask for; 1 for servers without `n`.
    pub max_n: u32,
    /// Which field carries the output-token limit.
    pub max_tokens_field: MaxTokensField,
    /// How tokens are counted for multi-choice requests.
    pub token_counting: TokenCounting,
    /// Whether the server returns log-probabilities.
    pub logprobs: bool,
    /// Whether the model takes `reasoning_effort`.
    pub reasoning: bool,
    /// Whether a `<think>…</think>` block opening the content is the model's reasoning (open
    /// reasoning models on servers that leave it inline). Default true.
    pub think_tags: bool,
    /// How transient failures are retried.
    pub retry: RetryPolicy,
    /// How long to wait for the server.
    pub timeouts: Timeouts,
}

impl OpenAiConfig {
    /// A generic compatible server: `max_tokens`, no `n`, no logprobs, no reasoning knob.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: ApiKey::new(""),
            max_n: 1,
            max_tokens_field: MaxTokensField::MaxTokens,
            token_counting: TokenCounting::Auto,
            logprobs: false,
            reasoning: false,
            think_tags: true,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// Sets the API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = ApiKey::new(key);
        self
    }

    /// OpenAI itself: `n` up to 128, logprobs, `reasoning_effort`, `max_completion_tokens`.
    pub fn openai(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            max_n: 128,
            max_tokens_field: MaxTokensField::MaxCompletionTokens,
            logprobs: true,
            reasoning: true,
            ..Self::new("https://api.openai.com/v1", model).api_key(key)
        }
    }

    /// OpenRouter (one choice per request; reasoning text arrives as `reasoning`).
    pub fn openrouter(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self { reasoning: true, ..Self::new("https://openrouter.ai/api/v1", model).api_key(key) }
    }

    /// Groq (one choice per request).
    pub fn groq(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self::new("https://api.groq.com/openai/v1", model).api_key(key)
    }

    /// Together AI (`n` and logprobs supported).
    pub fn together(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            max_n: 16,
            logprobs: true,
            ..Self::new("https://api.together.xyz/v1", model).api_key(key)
        }
    }

    /// DeepSeek (reasoning text from `reasoning_content`).
    pub fn deepseek(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self { reasoning: true, ..Self::new("https://api.deepseek.com/v1", model).api_key(key) }
    }

    /// A local Ollama (no key; ignores `n`).
    pub fn ollama(model: impl Into<String>) -> Self {
        Self::new("http://127.0.0.1:11434/v1", model)
    }

    /// A local LM Studio (no key).
    pub fn lm_studio(model: impl Into<String>) -> Self {
        Self::new("http://127.0.0.1:1234/v1", model)
    }

    /// llama.cpp's server at `base_url` (e.g. `http://127.0.0.1:8080/v1`): `n` up to its slot
    /// count, logprobs, reasoning text from `reasoning_content`, tokens counted with `/tokenize`.
    pub fn llama_cpp(base_url: impl Into<String>, slots: u32) -> Self {
        Self { max_n: slots.max(1), logprobs: true, ..Self::new(base_url, "local") }
    }
}
