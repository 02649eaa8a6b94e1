//! Shared helpers of the integration tests: the real local model server, and trace checks.

use futures::{Stream, StreamExt};
use thinkscale_engine::model::{Chunk, Completion, ModelError, Response};
use thinkscale_engine::{Event, EventKind, Trace};
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_providers::{OpenAiCompatible, RetryPolicy, Timeouts};

/// The real model server the tests use: `THINKSCALE_MODEL_URL`, or `scripts/model-server`'s
/// default port. The test command (`scripts/test`) starts it.
pub(crate) fn server_root() -> String {
    std::env::var("THINKSCALE_MODEL_URL").unwrap_or_else(|_| "http://127.0.0.1:8790".to_owned())
}

/// Fails with instructions when the real server is not running (rather than skipping).
pub(crate) async fn require_server(root: &str) {
    let health = reqwest::get(format!("{root}/health")).await;
    assert!(
        health.is_ok_and(|r| r.status().is_success()),
        "no model server at {root}: run `scripts/model-server start` (scripts/test does) or set THINKSCALE_MODEL_URL"
    );
}

/// A provider for llama.cpp's server at `root`, with fast retries for tests.
pub(crate) fn local_model(root: &str, slots: u32) -> OpenAiCompatible {
    let config = OpenAiConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            initial_delay: std::time::Duration::from_millis(100),
            ..RetryPolicy::default()
        },
        timeouts: Timeouts::default(),
        ..OpenAiConfig::llama_cpp(format!("{root}/v1"), slots)
    };
    OpenAiCompatible::new(config).expect("valid config")
}

/// POSTs JSON to the real server at `root` and returns its JSON reply (panicking on failure: tests).
pub(crate) async fn post_json(
    root: &str,
    path: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let client = reqwest::Client::new();
    let reply = client.post(format!("{root}{path}")).json(body).send().await;
    reply
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// The server's own token ids for a text (llama.cpp's `/tokenize`), independently of the provider.
pub(crate) async fn token_ids(root: &str, text: &str) -> Vec<u32> {
    let body = serde_json::json!({ "content": text, "add_special": false });
    let reply = post_json(root, "/tokenize", &body).await;
    let tokens = reply["tokens"].as_array().expect("tokens");
    tokens.iter().map(|t| t.as_u64().expect("a token id") as u32).collect()
}

/// Counts a text's tokens with the server's own tokenizer, independently of the provider.
pub(crate) async fn tokenize(root: &str, text: &str) -> u64 {
    token_ids(root, text).await.len() as u64
}

/// Sums what a trace says its model calls consumed, node by node: every attempt's usage —
/// retried, cancelled, failed or finished — except that a `UsageRevised` replaces everything its
/// node consumed so far (earlier attempts included, as the event says), plus run-level failures.
pub(crate) fn branch_tokens(events: &[Event]) -> u64 {
    let mut per_node = std::collections::HashMap::new();
    let mut run_level = 0;
    for event in events {
        match &event.kind {
            EventKind::BranchFinished { id, usage, .. }
            | EventKind::BranchRetried { id, usage, .. }
            | EventKind::BranchCancelled { id, usage, .. }
            | EventKind::Error { id: Some(id), usage, .. } => {
                *per_node.entry(*id).or_insert(0) += usage.total();
            }
            EventKind::UsageRevised { id, usage, .. } => {
                per_node.insert(*id, usage.total());
            }
            EventKind::Error { id: None, usage, .. } => run_level += usage.total(),
            _ => {}
        }
    }
    per_node.values().sum::<u64>() + run_level
}

/// Exports and re-imports a trace, which validates it by replay.
pub(crate) fn round_trip(events: Vec<Event>) -> Trace {
    let json = Trace::new(events).to_json().expect("export");
    Trace::from_json(&json).expect("a real run's trace imports")
}

/// What a stream of `n` choices said: each choice's streamed text, the completion it was
/// announced with when it ended, and the final response.
pub(crate) struct Streamed {
    pub(crate) texts: Vec<String>,
    pub(crate) finished: Vec<Option<Completion>>,
    pub(crate) done: Option<Response>,
}

/// Reads a model's stream of `n` choices to its end, asserting that each choice ends at most
/// once and streams nothing after it ended.
pub(crate) async fn read_choices(
    stream: impl Stream<Item = Result<Chunk, ModelError>>,
    n: usize,
) -> Streamed {
    let mut stream = std::pin::pin!(stream);
    let mut read = Streamed { texts: vec![String::new(); n], finished: vec![None; n], done: None };
    while let Some(chunk) = stream.next().await {
        match chunk.expect("the model answers") {
            Chunk::Delta { choice, text, .. } => {
                let ended = read.finished[choice as usize].is_some();
                assert!(!ended, "choice {choice} streamed after it finished");
                read.texts[choice as usize].push_str(&text);
            }
            Chunk::Finished { choice, completion } => {
                let before = read.finished[choice as usize].replace(completion);
                assert!(before.is_none(), "choice {choice} finished twice");
            }
            Chunk::Done(response) => read.done = Some(response),
            other => panic!("unexpected {other:?}"),
        }
    }
    read
}
