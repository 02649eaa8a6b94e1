//! [`OpenAiCompatible`]: any server that speaks OpenAI's chat-completions API — OpenAI,
//! OpenRouter, Groq, Together, Ollama, LM Studio, llama.cpp's server, vLLM.
//!
//! Every call streams (SSE), so each branch's tokens reach the trace as they are generated. A
//! request for `n` choices is sent as one request when the server supports `n`; when a server
//! ignores it (returns fewer choices), the rest are fetched by parallel single requests and the
//! provider remembers to split from then on. llama.cpp's server counts only one choice in `usage`
//! for `n` > 1, so there the choices are counted with its `/tokenize` endpoint instead.

mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use futures::Stream;
use futures::future::join_all;
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{
    Capabilities, Chunk, Model, ModelError, ModelErrorKind, Request, Response,
};

pub use wire::MaxTokensField;
use wire::{ChatDecoder, StreamFacts};

use crate::call::{Endpoint, boxed, gather};
use crate::generator::{Emitter, generate};
use crate::{ApiKey, DefaultTransport, Error, HttpRequest, RetryPolicy, Timeouts, Transport};

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
        let base_url = crate::any::checked_base_url(&config.base_url, &config.api_key)?;
        let chat_url = crate::any::endpoint_url(&base_url, &["chat", "completions"]);
        let mut root = base_url;
        if root.path_segments().and_then(|mut path| path.next_back()) == Some("v1")
            && let Ok(mut path) = root.path_segments_mut()
        {
            path.pop();
        }
        let tokenize_url = crate::any::endpoint_url(&root, &["tokenize"]);
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
            body: wire::body(&self.config.model, request, n, self.config.max_tokens_field),
        }
    }

    async fn run(&self, request: Request, emit: Emitter) -> Result<Response, ModelError> {
        let n = request.n.max(1);
        let estimate = request.estimated_prompt_tokens();
        let think_tags = self.config.think_tags;
        if n > 1 && (self.native_n.load(Ordering::Relaxed) == N_IGNORED || n > self.config.max_n) {
            return self.split(&request, 0, n, &emit).await;
        }
        let http = self.http(&request, n);
        let (mut response, facts) = self
            .endpoint
            .call(&http, || ChatDecoder::new(0, estimate).think_tags(think_tags), None, &emit)
            .await?;
        if n > 1 {
            self.recount(&mut response, facts).await;
            let got = u32::try_from(response.completions.len()).unwrap_or(u32::MAX);
            if got < n {
                self.native_n.store(N_IGNORED, Ordering::Relaxed);
                let rest = self.split(&request, got, n - got, &emit).await;
                response.completions.extend(rest.map(|r| r.completions).unwrap_or_default());
            } else {
                self.native_n.store(N_NATIVE, Ordering::Relaxed);
            }
        }
        Ok(response)
    }

    /// Fetches choices `offset..offset + count` as parallel single-choice requests. Choices that
    /// fail are reported as [`Chunk::Failed`]; the others are kept.
    async fn split(
        &self,
        request: &Request,
        offset: u32,
        count: u32,
        emit: &Emitter,
    ) -> Result<Response, ModelError> {
        let estimate = request.estimated_prompt_tokens();
        let think_tags = self.config.think_tags;
        let http = self.http(request, 1);
        let calls = (offset..offset.saturating_add(count)).map(|choice| {
            let http = &http;
            async move {
                let decoder = || ChatDecoder::new(choice, estimate).think_tags(think_tags);
                let result = self.endpoint.call(http, decoder, Some(choice), emit).await;
                (choice, result.map(|(response, _)| response.completions))
            }
        });
        gather(join_all(calls).await, emit)
    }

    /// Replaces the split of a multi-choice `usage` by exact per-choice counts where the server's
    /// `usage` is known to count one choice only.
    async fn recount(&self, response: &mut Response, facts: StreamFacts) {
        let tokenize = match self.config.token_counting {
            TokenCounting::Reported => false,
            TokenCounting::Tokenize => true,
            TokenCounting::Auto => facts.llama_cpp,
        };
        if !tokenize || response.completions.len() < 2 {
            return;
        }
        for completion in &mut response.completions {
            if let Ok(tokens) = self.count_tokens(&completion.text).await {
                completion.usage.completion_tokens = tokens;
            }
            if let Some(reasoning) = &completion.reasoning
                && let Ok(tokens) = self.count_tokens(reasoning).await
            {
                completion.usage.reasoning_tokens = tokens;
            }
        }
    }

    async fn count_tokens(&self, text: &str) -> Result<u64, ModelError> {
        let headers = self.headers();
        let body = serde_json::json!({ "content": text, "add_special": false }).to_string();
        let request = HttpRequest { url: self.tokenize_url.clone(), headers, body };
        let bytes = self.endpoint.fetch_json(request).await?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::new(ModelErrorKind::Protocol, e.to_string()))?;
        let tokens = json.get("tokens").and_then(|t| t.as_array()).map(Vec::len);
        tokens.map(|t| t as u64).ok_or_else(|| {
            ModelError::new(ModelErrorKind::Protocol, "the /tokenize answer has no `tokens`")
        })
    }
}

impl<T: Transport> Model for OpenAiCompatible<T> {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        thinkscale_engine::model::response_of(self.stream(request)).await
    }

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
