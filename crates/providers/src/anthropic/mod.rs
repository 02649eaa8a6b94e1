//! [`Anthropic`]: the Messages API, streamed, with extended thinking.
//!
//! Thinking blocks stream as reasoning deltas; text blocks as visible text. A
//! [`Reasoning`] budget becomes `thinking.budget_tokens`
//! (at least 1024, Anthropic's minimum; effort levels map to 1024 / 4096 / 16384) and is added to
//! `max_tokens`, which Anthropic counts thinking against. With thinking on, `temperature` and
//! `top_p` are left out (the API rejects them). Anthropic reports one `output_tokens` figure
//! covering thinking and text; it is split between them by the length of each. The
//! `anthropic-dangerous-direct-browser-access` header lets a page call the API with the user's
//! own key. There is no `n`: several choices are parallel requests.

use std::sync::Arc;

mod wire;

use futures::Stream;
use futures::future::join_all;
use serde_json::{Value, json};
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{
    Capabilities, Chunk, Effort, Model, ModelError, Reasoning, Request, Response, Role,
};
use wire::MessageDecoder;

use crate::call::{Endpoint, boxed, gather};
use crate::generator::{Emitter, generate};
use crate::{ApiKey, DefaultTransport, Error, HttpRequest, RetryPolicy, Timeouts, Transport};

/// The API version header value this decoder follows.
pub const API_VERSION: &str = "2023-06-01";

/// Settings of the Anthropic provider.
#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    /// The API root (`https://api.anthropic.com`); requests go to `{base_url}/v1/messages`.
    pub base_url: String,
    /// The model, e.g. `claude-sonnet-4-5`.
    pub model: String,
    /// The key, sent as `x-api-key` to `base_url` only.
    pub api_key: ApiKey,
    /// `max_tokens` when a request sets none (the API requires one).
    pub default_max_tokens: u32,
    /// How transient failures (429, 529 overloaded, resets) are retried.
    pub retry: RetryPolicy,
    /// How long to wait for the server.
    pub timeouts: Timeouts,
}

impl AnthropicConfig {
    /// Anthropic's API with `key` and `model`.
    pub fn new(key: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: "https://api.anthropic.com".into(),
            model: model.into(),
            api_key: ApiKey::new(key),
            default_max_tokens: 4096,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
        }
    }
}

/// A [`Model`] over Anthropic's Messages API.
pub struct Anthropic<T: Transport = DefaultTransport> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    endpoint: Endpoint<T>,
    config: AnthropicConfig,
    url: String,
}

impl<T: Transport> Clone for Anthropic<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T: Transport> std::fmt::Debug for Anthropic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anthropic").field("model", &self.inner.config.model).finish_non_exhaustive()
    }
}

impl Anthropic<DefaultTransport> {
    /// A provider with the platform's default transport.
    pub fn new(config: AnthropicConfig) -> Result<Self, Error> {
        Self::with_transport(config, DefaultTransport::new())
    }
}

impl<T: Transport> Anthropic<T> {
    /// A provider over a given transport; fails on an unusable setting.
    pub fn with_transport(config: AnthropicConfig, transport: T) -> Result<Self, Error> {
        let base = crate::address::checked_base_url(&config.base_url, &config.api_key)?;
        if config.model.trim().is_empty() {
            return Err(Error::InvalidConfig { field: "model", reason: "is empty".into() });
        }
        if config.api_key.is_empty() {
            return Err(Error::InvalidConfig { field: "api_key", reason: "is empty".into() });
        }
        let endpoint = Endpoint {
            transport: Arc::new(transport),
            key: config.api_key.clone(),
            retry: config.retry,
            timeouts: config.timeouts,
        };
        let url = crate::address::endpoint_url(&base, &["v1", "messages"]);
        Ok(Self { inner: Arc::new(Inner { endpoint, config, url }) })
    }
}

fn thinking_budget(reasoning: Reasoning) -> u32 {
    match reasoning {
        Reasoning::Budget { tokens } => tokens.max(1024),
        Reasoning::Effort { level: Effort::Low } => 1024,
        Reasoning::Effort { level: Effort::Medium } => 4096,
        Reasoning::Effort { level: Effort::High } => 16384,
    }
}

impl<T: Transport> Inner<T> {
    fn http(&self, request: &Request) -> HttpRequest {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| {
                let role = if m.role == Role::Assistant { "assistant" } else { "user" };
                json!({ "role": role, "content": m.content })
            })
            .collect();
        let visible = request.max_tokens.unwrap_or(self.config.default_max_tokens);
        let budget = request.reasoning.map(thinking_budget);
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "max_tokens": visible.saturating_add(budget.unwrap_or(0)),
            "stream": true,
        });
        if let Some(object) = body.as_object_mut() {
            if !system.is_empty() {
                object.insert("system".into(), json!(system.join("\n\n")));
            }
            if !request.stop.is_empty() {
                object.insert("stop_sequences".into(), json!(request.stop));
            }
            match budget {
                Some(tokens) => {
                    object.insert(
                        "thinking".into(),
                        json!({ "type": "enabled", "budget_tokens": tokens }),
                    );
                }
                None => {
                    if let Some(t) = request.temperature {
                        object.insert("temperature".into(), json!(t.clamp(0.0, 1.0)));
                    }
                    if let Some(p) = request.top_p {
                        object.insert("top_p".into(), json!(p));
                    }
                }
            }
        }
        HttpRequest {
            url: self.url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-api-key".into(), self.config.api_key.expose().to_owned()),
                ("anthropic-version".into(), API_VERSION.into()),
                ("anthropic-dangerous-direct-browser-access".into(), "true".into()),
            ],
            body: body.to_string(),
        }
    }

    async fn run(&self, request: Request, emit: Emitter) -> Result<Response, ModelError> {
        let http = self.http(&request);
        let calls = (0..request.n.max(1)).map(|choice| {
            let http = &http;
            let emit = &emit;
            async move {
                let decoder = || MessageDecoder::new(choice);
                let result = self.endpoint.call(http, decoder, Some(choice), emit).await;
                (choice, result.map(|completion| vec![completion]))
            }
        });
        gather(join_all(calls).await, &emit)
    }
}

impl<T: Transport> Model for Anthropic<T> {
    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        let inner = Arc::clone(&self.inner);
        generate(move |emit| boxed(async move { inner.run(request, emit).await }))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { max_n: 1, logprobs: false, streaming: true, reasoning: true }
    }

    /// What `thinking_budget` really asks for: at least 1024, and a budget for effort levels.
    fn thinking_tokens(&self, request: &Request) -> u64 {
        request.reasoning.map_or(0, |r| u64::from(thinking_budget(r)))
    }

    fn id(&self) -> &str {
        &self.inner.config.model
    }
}

#[cfg(test)]
mod tests {
    use thinkscale_engine::model::Message;

    use super::*;

    #[test]
    fn the_thinking_tokens_reserved_are_the_thinking_tokens_requested() {
        let model = Anthropic::new(AnthropicConfig::new("sk-ant-test", "claude")).expect("config");
        let plain = Request::new(vec![Message::user("hi")]).max_tokens(300);
        let mut cases = vec![(plain.clone(), None)];
        for (reasoning, budget) in [
            (Reasoning::Budget { tokens: 100 }, 1024),
            (Reasoning::Budget { tokens: 5000 }, 5000),
            (Reasoning::Effort { level: Effort::Low }, 1024),
            (Reasoning::Effort { level: Effort::Medium }, 4096),
            (Reasoning::Effort { level: Effort::High }, 16384),
        ] {
            cases.push((plain.clone().reasoning(reasoning), Some(budget)));
        }
        for (request, budget) in cases {
            let body: Value = serde_json::from_str(&model.inner.http(&request).body).expect("json");
            let sent = body["thinking"]["budget_tokens"].as_u64();
            assert_eq!(sent, budget, "{:?}", request.reasoning);
            assert_eq!(
                model.thinking_tokens(&request),
                sent.unwrap_or(0),
                "{:?}",
                request.reasoning
            );
            // Anthropic counts thinking against max_tokens, so it is added on top.
            assert_eq!(body["max_tokens"].as_u64(), Some(300 + sent.unwrap_or(0)));
        }
    }
}
