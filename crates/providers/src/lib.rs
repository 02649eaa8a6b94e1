//! HTTP model providers for thinkscale.
//!
//! Each provider is a [`Model`](thinkscale_engine::model::Model) that speaks one vendor's API over
//! server-sent events: [`OpenAiCompatible`] (OpenAI, OpenRouter, Groq, Together, Ollama, LM Studio,
//! llama.cpp, vLLM), [`Anthropic`] (Messages API with extended thinking) and [`gemini`] (Google's
//! OpenAI-compatible endpoint). They sit on a [`Transport`]: the browser's `fetch` with an
//! `AbortController` on wasm32, reqwest natively. One [`sse::SseParser`] serves both.
//!
//! Transient failures (429 with Retry-After, 5xx, timeouts, resets, truncated streams) are retried
//! with capped, jittered exponential backoff ([`RetryPolicy`]); each retry is announced to the engine
//! as a [`Chunk::Retry`](thinkscale_engine::model::Chunk::Retry), so it lands in the trace. Each
//! choice is announced as [`Chunk::Finished`](thinkscale_engine::model::Chunk::Finished) as soon
//! as it is complete, and a stream cut after some choices finished is retried for the others
//! only. API keys are held in [`ApiKey`], which never prints, and are scrubbed from every error
//! message; base URLs are parsed as browsers parse them, and redirects are never followed, so a
//! key goes only to the address it was given for.
//!
//! Hostile servers cost bounded memory and time: event lines and events are capped
//! ([`sse::DEFAULT_MAX_LINE_BYTES`], [`sse::DEFAULT_MAX_EVENT_BYTES`]), error bodies are read to a
//! bounded length and their messages cut, and every attempt has a total deadline and an idle
//! limit that only data resets ([`Timeouts`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod address;
pub mod anthropic;
mod call;
mod error;
pub mod gemini;
mod generator;
mod http;
mod key;
pub mod openai;
mod response;
mod retry;
pub mod spec;
pub mod sse;
mod think;
mod transport;

pub use anthropic::{Anthropic, AnthropicConfig};
pub use error::Error;
pub use http::{HttpRequest, HttpResponse, Transport};
pub use key::ApiKey;
pub use openai::{OpenAiCompatible, OpenAiConfig, Preset, TokenCounting};
pub use retry::{RetryPolicy, Timeouts};
pub use spec::{AnthropicSpec, GeminiSpec, OpenAiSpec, ProviderSpec};
pub use transport::DefaultTransport;
