//! What the loopback tests share: providers pointed at a test server, requests, and a guard that
//! turns a hang (the defect some tests prove fixed) into a failure.

use std::time::Duration;

use futures::StreamExt;
use thinkscale_engine::model::{Chunk, Message, Model, ModelError, Request, Response};
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_providers::{Anthropic, AnthropicConfig, OpenAiCompatible, RetryPolicy, Timeouts};

/// A key long enough for the scrubber to look for pieces of it.
pub(crate) const KEY: &str = "sk-test-0123456789abcdef";

/// A one-message request.
pub(crate) fn question() -> Request {
    Request::new(vec![Message::user("What is 6 × 7?")])
}

/// An OpenAI-compatible provider for `base_url` (keyless unless `key` is set), never retrying.
pub(crate) fn openai(
    base_url: &str,
    configure: impl FnOnce(&mut OpenAiConfig),
) -> OpenAiCompatible {
    let mut config =
        OpenAiConfig { retry: RetryPolicy::none(), ..OpenAiConfig::new(base_url, "m") };
    configure(&mut config);
    OpenAiCompatible::new(config).expect("config")
}

/// An Anthropic provider for `base_url` with [`KEY`], never retrying.
pub(crate) fn anthropic(base_url: &str) -> Anthropic {
    let mut config = AnthropicConfig::new(KEY, "claude-test");
    config.base_url = base_url.into();
    config.retry = RetryPolicy::none();
    Anthropic::new(config).expect("config")
}

/// Timeouts short enough for a test, with the given idle limit and total deadline.
pub(crate) fn timeouts(idle: Duration, total: Duration) -> Timeouts {
    Timeouts { idle, total, ..Timeouts::default() }
}

/// How long a test may take before its hang counts as the defect (far above what a passing run
/// needs, so a slow machine never fails a correct build).
const HANG: Duration = Duration::from_secs(60);

/// Every chunk of `model`'s stream for `request`, the error included; fails if it never ends.
pub(crate) async fn chunks(model: &impl Model, request: Request) -> Vec<Result<Chunk, ModelError>> {
    tokio::time::timeout(HANG, model.stream(request).collect::<Vec<_>>())
        .await
        .expect("the stream never ended")
}

/// The error `model` ends `request` with; fails if it succeeds or never ends.
pub(crate) async fn failure(model: &impl Model, request: Request) -> ModelError {
    let outcome = tokio::time::timeout(HANG, model.complete(request)).await;
    outcome.expect("the request never ended").expect_err("the request succeeded")
}

/// The response `model` gives to `request`; fails if it errs or never ends.
pub(crate) async fn answer(model: &impl Model, request: Request) -> Response {
    let outcome = tokio::time::timeout(HANG, model.complete(request)).await;
    outcome.expect("the request never ended").expect("the request failed")
}
