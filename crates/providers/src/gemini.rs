//! Gemini, through Google's OpenAI-compatible endpoint.
//!
//! Why the compatible endpoint rather than the native `generateContent` API: it takes the key as
//! an `Authorization: Bearer` header (the native API's usual `?key=` puts it in the URL, where it
//! leaks into logs and error messages), it streams the same SSE chunks as every other
//! OpenAI-compatible server, and it maps `reasoning_effort` onto Gemini's thinking budget. So
//! Gemini is an [`OpenAiCompatible`](crate::OpenAiCompatible) with these settings; nothing else
//! differs. The endpoint does not honour `n` reliably, so choices are parallel requests.

use crate::openai::{MaxTokensField, OpenAiConfig};

/// Google's OpenAI-compatible API root.
pub const BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta/openai";

/// Settings for Gemini `model` (e.g. `gemini-2.5-flash`) with `key`.
pub fn config(key: impl Into<String>, model: impl Into<String>) -> OpenAiConfig {
    OpenAiConfig {
        reasoning: true,
        max_tokens_field: MaxTokensField::MaxTokens,
        ..OpenAiConfig::new(BASE_URL, model).api_key(key)
    }
}
