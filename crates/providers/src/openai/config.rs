//! [`OpenAiConfig`]: the settings of an OpenAI-compatible provider, with constructors for the
//! vendors and local servers of the [`Preset`] table.

use super::{MaxTokensField, Preset};
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

    /// OpenAI itself ([`Preset::Openai`]).
    pub fn openai(key: impl Into<String>, model: impl Into<String>) -> Self {
        Preset::Openai.config(model).api_key(key)
    }

    /// OpenRouter ([`Preset::Openrouter`]).
    pub fn openrouter(key: impl Into<String>, model: impl Into<String>) -> Self {
        Preset::Openrouter.config(model).api_key(key)
    }

    /// Groq ([`Preset::Groq`]).
    pub fn groq(key: impl Into<String>, model: impl Into<String>) -> Self {
        Preset::Groq.config(model).api_key(key)
    }

    /// Together AI ([`Preset::Together`]).
    pub fn together(key: impl Into<String>, model: impl Into<String>) -> Self {
        Preset::Together.config(model).api_key(key)
    }

    /// DeepSeek ([`Preset::Deepseek`]).
    pub fn deepseek(key: impl Into<String>, model: impl Into<String>) -> Self {
        Preset::Deepseek.config(model).api_key(key)
    }

    /// A local Ollama ([`Preset::Ollama`]).
    pub fn ollama(model: impl Into<String>) -> Self {
        Preset::Ollama.config(model)
    }

    /// A local LM Studio ([`Preset::LmStudio`]).
    pub fn lm_studio(model: impl Into<String>) -> Self {
        Preset::LmStudio.config(model)
    }

    /// llama.cpp's server ([`Preset::LlamaCpp`]) at `base_url`, with `n` up to its slot count.
    pub fn llama_cpp(base_url: impl Into<String>, slots: u32) -> Self {
        Self { base_url: base_url.into(), max_n: slots.max(1), ..Preset::LlamaCpp.config("local") }
    }
}
