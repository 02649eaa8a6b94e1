//! [`OpenAiCompatible`]: any server that speaks OpenAI's chat-completions API — OpenAI,
//! OpenRouter, Groq, Together, Ollama, LM Studio, llama.cpp's server, vLLM.
//!
//! Every call streams (SSE), so each branch's tokens reach the trace as they are generated. A
//! request for `n` choices is sent as one request when the server supports `n`; when a server
//! ignores it (returns fewer choices), the rest are fetched by parallel single requests and the
//! provider remembers to split from then on. llama.cpp's server counts only one choice in `usage`
//! for `n` > 1, so there the choices are counted with its `/tokenize` endpoint instead.
//!
//! Each choice finishes on its own (`Chunk::Finished`) as soon as its `finish_reason` arrives,
//! and a stream cut after some choices finished is retried for the unfinished ones only
//! (`run.rs`).

mod body;
mod config;
mod preset;
mod run;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use futures::Stream;
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, Request};

pub use body::MaxTokensField;
pub use config::{OpenAiConfig, TokenCounting};
pub use preset::Preset;

use crate::call::{Endpoint, boxed};
use crate::generator::generate;
use crate::{DefaultTransport, Error, HttpRequest, Transport};

const N_UNKNOWN: u8 = 0;
const N_NATIVE: u8 = 1;
const N_IGNORED: u8 = 2;

/// A [`Model`] over an OpenAI-compatible chat-completions endpoint.
pub struct OpenAiCompatible<T: Transport = DefaultTransport> {
    inner: Arc<Inner<T>>,
}

impl<T: Transport> Clone for OpenAiCompatible<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T: Transport> std::fmt::Debug for OpenAiCompatible<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatible")
            .field("url", &self.inner.chat_url)
            .field("model", &self.inner.config.model)
            .finish_non_exhaustive()
    }
}

struct Inner<T> {
    endpoint: Endpoint<T>,
    config: OpenAiConfig,
    /// `{base_url}/chat/completions`.
    chat_url: String,
    /// llama.cpp's `/tokenize`, at the server's root (the base URL without its `/v1`).
    tokenize_url: String,
    /// Whether the server honours `n`, learnt from its first multi-choice answer.
    native_n: AtomicU8,
}

impl OpenAiCompatible<DefaultTransport> {
    /// A provider with the platform's default transport.
    pub fn new(config: OpenAiConfig) -> Result<Self, Error> {
        Self::with_transport(config, DefaultTransport::new())
    }
}

impl<T: Transport> OpenAiCompatible<T> {
    /// A provider over a given transport. Fails on an unusable setting: a base URL that is not
    /// http(s), a key that would travel in clear text to a non-local host, an empty model name.
    pub fn with_transport(config: OpenAiConfig, transport: T) -> Result<Self, Error> {
        let base_url = crate::address::checked_base_url(&config.base_url, &config.api_key)?;
        let chat_url = crate::address::endpoint_url(&base_url, &["chat", "completions"]);
        let mut root = base_url;
        if root.path_segments().and_then(|mut path| path.next_back()) == Some("v1")
            && let Ok(mut path) = root.path_segments_mut()
        {
            path.pop();
        }
        let tokenize_url = crate::address::endpoint_url(&root, &["tokenize"]);
        if config.model.trim().is_empty() {
            return Err(Error::InvalidConfig { field: "model", reason: "is empty".into() });
        }
        if config.max_n == 0 {
            return Err(Error::InvalidConfig {
                field: "max_n",
                reason: "must be at least 1".into(),
            });
        }
        let endpoint = Endpoint {
            transport: Arc::new(transport),
            key: config.api_key.clone(),
            retry: config.retry,
            timeouts: config.timeouts,
        };
        let native_n = AtomicU8::new(if config.max_n > 1 { N_UNKNOWN } else { N_IGNORED });
        Ok(Self { inner: Arc::new(Inner { endpoint, config, chat_url, tokenize_url, native_n }) })
    }

    /// The settings this provider was built with.
    pub fn config(&self) -> &OpenAiConfig {
        &self.inner.config
    }
}

impl<T: Transport> Inner<T> {
    /// JSON content type, and the key as a bearer token when there is one.
    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if !self.config.api_key.is_empty() {
            let bearer = format!("Bearer {}", self.config.api_key.expose());
            headers.push(("authorization".to_owned(), bearer));
        }
        headers
    }

    fn http(&self, request: &Request, n: u32) -> HttpRequest {
        HttpRequest {
            url: self.chat_url.clone(),
            headers: self.headers(),
            body: body::body(&self.config.model, request, n, self.config.max_tokens_field),
        }
    }
}

impl<T: Transport> Model for OpenAiCompatible<T> {
    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        let inner = Arc::clone(&self.inner);
        generate(move |emit| boxed(async move { inner.run(request, emit).await }))
    }

    fn capabilities(&self) -> Capabilities {
        let native = self.inner.native_n.load(Ordering::Relaxed) != N_IGNORED;
        Capabilities {
            max_n: if native { self.inner.config.max_n } else { 1 },
            logprobs: self.inner.config.logprobs,
            streaming: true,
            reasoning: self.inner.config.reasoning,
        }
    }

    fn id(&self) -> &str {
        &self.inner.config.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_tokenize_urls_are_built_from_the_parsed_base() {
        let model = OpenAiCompatible::new(OpenAiConfig::llama_cpp("http://127.0.0.1:8080/v1/", 2))
            .expect("config");
        assert_eq!(model.inner.chat_url, "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(model.inner.tokenize_url, "http://127.0.0.1:8080/tokenize");
        let bare =
            OpenAiCompatible::new(OpenAiConfig::new("http://127.0.0.1:8080", "m")).expect("config");
        assert_eq!(bare.inner.tokenize_url, "http://127.0.0.1:8080/tokenize");
    }
}
