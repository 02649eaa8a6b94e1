//! Anthropic and Gemini against recorded-format responses replayed by a loopback server, in
//! 7-byte pieces: text, thinking, usage, the headers each provider sends — and API keys that go
//! only where they belong and never into traces or errors.

use thinkscale_engine::model::{FinishReason, ModelErrorKind, Reasoning};
use thinkscale_engine::prelude::*;
use thinkscale_engine::strategy::{ChainOfThought, Sampling};
use thinkscale_providers::anthropic::AnthropicConfig;
use thinkscale_providers::{Anthropic, OpenAiCompatible, gemini};
use thinkscale_testkit::ReplayServer;

use crate::support::round_trip;

const ANTHROPIC_KEY: &str = "sk-ant-api03-test-0123456789abcdef";
const GEMINI_KEY: &str = "AIzaSy-test-0123456789abcdefghij";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture")
}

async fn run_once(model: &impl Model, reasoning: Option<Reasoning>) -> (Outcome, Vec<Event>) {
    let strategy = ChainOfThought {
        sampling: Sampling { max_tokens: 512, reasoning, ..Sampling::default() },
        ..Default::default()
    };
    let task = Task::new("What is 17 + 25?").extractor(Extractor::number());
    let mut recording = RecordingSink::new();
    let outcome = Runner::new(model).run(&strategy, &task, &mut recording).await.expect("run");
    (outcome, recording.events)
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_streams_thinking_and_text_and_sends_its_headers() {
    let server = ReplayServer::start(fixture("anthropic_thinking.sse"), 7).expect("server");
    let config = AnthropicConfig {
        base_url: server.url().to_owned(),
        ..AnthropicConfig::new(ANTHROPIC_KEY, "claude-sonnet-4-5")
    };
    let model = Anthropic::new(config).expect("config");
    let (outcome, events) = run_once(&model, Some(Reasoning::Budget { tokens: 2048 })).await;
    assert_eq!(outcome.answer.map(|a| a.text), Some("42".to_owned()));

    let state = round_trip(events.clone()).replay().expect("replay");
    let node = &state.nodes[0];
    assert_eq!(node.reasoning, "17 + 25: 17 + 20 = 37, and 37 + 5 = 42.");
    assert!(node.text.ends_with("The answer is: 42"));
    assert_eq!(node.finish_reason, Some(FinishReason::Stop));
    assert_eq!(node.usage.prompt_tokens, 42);
    assert_eq!(node.usage.completion_tokens + node.usage.reasoning_tokens, 60);
    assert!(node.usage.reasoning_tokens > 0, "thinking is counted as reasoning");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("anthropic-dangerous-direct-browser-access"), Some("true"));
    assert_eq!(sent.header("authorization"), None, "the key travels in one header only");
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("json body");
    assert_eq!(body["thinking"]["budget_tokens"], 2048);
    assert_eq!(body["max_tokens"], 512 + 2048, "thinking counts against max_tokens");
    assert!(body.get("temperature").is_none(), "no temperature with thinking");

    let trace = round_trip(events).to_json().expect("json");
    assert!(!trace.contains(ANTHROPIC_KEY) && !format!("{model:?}").contains(ANTHROPIC_KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_goes_through_its_openai_compatible_endpoint_with_a_bearer_key() {
    let server = ReplayServer::start(fixture("gemini_openai.sse"), 7).expect("server");
    let mut config = gemini::config(GEMINI_KEY, "gemini-2.5-flash");
    config.base_url = format!("{}/v1beta/openai", server.url());
    let model = OpenAiCompatible::new(config).expect("config");
    let (outcome, events) = run_once(&model, Some(Reasoning::Budget { tokens: 1024 })).await;
    assert_eq!(outcome.answer.map(|a| a.text), Some("42".to_owned()));
    let state = round_trip(events.clone()).replay().expect("replay");
    let usage = state.nodes[0].usage;
    assert_eq!(
        (usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens),
        (31, 14, 48)
    );

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1beta/openai/chat/completions");
    assert_eq!(
        sent.header("authorization").map(str::to_owned),
        Some(format!("Bearer {GEMINI_KEY}"))
    );
    assert!(!sent.path.contains(GEMINI_KEY), "never in the URL");
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("json body");
    assert_eq!(body["reasoning_effort"], "low");
    assert_eq!(body["stream"], true);
    assert!(!round_trip(events).to_json().expect("json").contains(GEMINI_KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_key_is_reported_without_the_key_and_not_retried() {
    // Some providers echo the key they were sent in their error body.
    let echo =
        format!(r#"{{"error":{{"message":"Incorrect API key provided: {ANTHROPIC_KEY}"}}}}"#);
    let server = ReplayServer::start_with_status(401, echo, 7).expect("server");
    let config = AnthropicConfig {
        base_url: server.url().to_owned(),
        ..AnthropicConfig::new(ANTHROPIC_KEY, "claude-sonnet-4-5")
    };
    let model = Anthropic::new(config).expect("config");
    let (outcome, events) = run_once(&model, None).await;
    assert_eq!(outcome.failed, 1);
    assert!(
        matches!(&outcome.stop, StopReason::ModelFailed { error } if error.kind == ModelErrorKind::Auth)
    );
    assert_eq!(server.requests().len(), 1, "an auth failure is not retried");
    let trace = round_trip(events).to_json().expect("json");
    assert!(trace.contains("Incorrect API key provided: ***"), "the message survives, scrubbed");
    for piece in ANTHROPIC_KEY.as_bytes().windows(8) {
        assert!(!trace.contains(std::str::from_utf8(piece).unwrap()), "no fragment of the key");
    }
}
