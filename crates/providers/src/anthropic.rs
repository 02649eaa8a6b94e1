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

use futures::Stream;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::{Value, json};
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{
    Capabilities, Channel, Chunk, Completion, Effort, FinishReason, Model, ModelError,
    ModelErrorKind, Reasoning, Request, Response, Role, Usage,
};

use crate::call::{Decoder, Endpoint, boxed, malformed, truncated};
use crate::generator::{Emitter, generate};
use crate::sse::SseEvent;
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
        let base = crate::any::checked_base_url(&config.base_url, &config.api_key)?;
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
        let url = format!("{base}/v1/messages");
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
                (choice, self.endpoint.call(http, decoder, Some(choice), emit).await)
            }
        });
        let mut completions = Vec::new();
        let mut first_error = None;
        for (choice, result) in join_all(calls).await {
            match result {
                Ok(completion) => completions.push(completion),
                Err(error) => {
                    let _ = emit.unbounded_send(Chunk::Failed { choice, error: error.clone() });
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) if completions.is_empty() => Err(error),
            _ => Ok(Response { completions }),
        }
    }
}

impl<T: Transport> Model for Anthropic<T> {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        crate::any::last_response(self.stream(request)).await
    }

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

    fn id(&self) -> &str {
        &self.inner.config.model
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart { message: MessageStart },
    ContentBlockStart { content_block: Value },
    ContentBlockDelta { delta: BlockDelta },
    ContentBlockStop {},
    MessageDelta { delta: MessageDeltaBody, usage: Option<OutputUsage> },
    MessageStop {},
    Ping {},
    Error { error: Value },
}

#[derive(Deserialize)]
struct MessageStart {
    usage: Option<InputUsage>,
}

#[derive(Deserialize, Default)]
struct InputUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct OutputUsage {
    output_tokens: u64,
}

/// Decodes one Messages stream into a single completion.
struct MessageDecoder {
    choice: u32,
    text: String,
    thinking: String,
    input_tokens: u64,
    output_tokens: u64,
    stop_reason: Option<FinishReason>,
    started: bool,
    done: bool,
}

impl MessageDecoder {
    fn new(choice: u32) -> Self {
        Self {
            choice,
            text: String::new(),
            thinking: String::new(),
            input_tokens: 0,
            output_tokens: 0,
            stop_reason: None,
            started: false,
            done: false,
        }
    }
}

impl Decoder for MessageDecoder {
    type Output = Completion;

    fn event(&mut self, event: SseEvent, emit: &Emitter) -> Result<(), ModelError> {
        let parsed: StreamEvent =
            serde_json::from_str(&event.data).map_err(|e| malformed("Anthropic event", e))?;
        let (channel, text) = match parsed {
            StreamEvent::MessageStart { message } => {
                let usage = message.usage.unwrap_or_default();
                self.input_tokens = usage.input_tokens
                    + usage.cache_creation_input_tokens
                    + usage.cache_read_input_tokens;
                self.output_tokens = usage.output_tokens;
                self.started = true;
                return Ok(());
            }
            StreamEvent::ContentBlockStart { content_block } => {
                // A block may start with text already in it.
                let kind = content_block.get("type").and_then(Value::as_str).unwrap_or_default();
                let field = if kind == "thinking" { "thinking" } else { "text" };
                let text = content_block.get(field).and_then(Value::as_str).unwrap_or_default();
                let channel = if kind == "thinking" { Channel::Reasoning } else { Channel::Text };
                if kind != "thinking" && kind != "text" {
                    return Ok(());
                }
                (channel, text.to_owned())
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text } } => {
                (Channel::Text, text)
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::ThinkingDelta { thinking } } => {
                (Channel::Reasoning, thinking)
            }
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.output_tokens = usage.output_tokens;
                }
                self.stop_reason = delta.stop_reason.map(|reason| match reason.as_str() {
                    "end_turn" | "stop_sequence" => FinishReason::Stop,
                    "max_tokens" => FinishReason::Length,
                    "refusal" => FinishReason::ContentFilter,
                    _ => FinishReason::Other,
                });
                return Ok(());
            }
            StreamEvent::MessageStop {} => {
                self.done = true;
                return Ok(());
            }
            StreamEvent::Error { error } => {
                let kind_name = error.get("type").and_then(Value::as_str).unwrap_or_default();
                let kind = match kind_name {
                    "overloaded_error" | "api_error" => ModelErrorKind::Server,
                    "rate_limit_error" => ModelErrorKind::RateLimited,
                    "authentication_error" | "permission_error" => ModelErrorKind::Auth,
                    "invalid_request_error" | "not_found_error" => ModelErrorKind::InvalidRequest,
                    _ => ModelErrorKind::Other,
                };
                let message = error.get("message").and_then(Value::as_str).unwrap_or(kind_name);
                return Err(ModelError::new(kind, message));
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::Other }
            | StreamEvent::ContentBlockStop {}
            | StreamEvent::Ping {} => return Ok(()),
        };
        if text.is_empty() {
            return Ok(());
        }
        match channel {
            Channel::Text => self.text.push_str(&text),
            Channel::Reasoning => self.thinking.push_str(&text),
        }
        let _ = emit.unbounded_send(Chunk::Delta { choice: self.choice, channel, text });
        Ok(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(self) -> Result<Completion, ModelError> {
        if !self.started || !self.done {
            return Err(truncated());
        }
        let (text_len, thinking_len) = (self.text.len() as u64, self.thinking.len() as u64);
        let reasoning_tokens = if thinking_len == 0 {
            0
        } else {
            self.output_tokens.saturating_mul(thinking_len) / (text_len + thinking_len)
        };
        Ok(Completion {
            usage: Usage {
                prompt_tokens: self.input_tokens,
                completion_tokens: self.output_tokens - reasoning_tokens,
                reasoning_tokens,
            },
            reasoning: (!self.thinking.is_empty()).then_some(self.thinking),
            text: self.text,
            finish_reason: self.stop_reason.unwrap_or(FinishReason::Other),
            logprobs: None,
        })
    }
}
