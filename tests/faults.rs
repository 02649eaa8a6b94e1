//! Faults injected by the project's proxy in front of the real model server: each ends as
//! documented (retried, or reported with its status), and nothing that succeeded is lost.

use std::time::Duration;

use thinkscale_engine::NodeKind;
use thinkscale_engine::model::ModelErrorKind;
use thinkscale_engine::prelude::*;
use thinkscale_engine::strategy::{Direct, Sampling, SelfConsistency};
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_providers::{OpenAiCompatible, RetryPolicy, Timeouts};
use thinkscale_testkit::{Fault, FaultProxy};

use crate::support::{require_server, round_trip, server_root};

/// A provider for the real server through `proxy`. `idle` is how long a stream may go silent:
/// short where a stall is the fault under test, generous elsewhere (a 2-core machine running the
/// other tests and the built-in model can leave a queued request silent for seconds).
fn through(proxy: &FaultProxy, retry: RetryPolicy, idle: Duration) -> OpenAiCompatible {
    let config = OpenAiConfig {
        retry,
        timeouts: Timeouts { response: Duration::from_secs(120), idle, ..Timeouts::default() },
        ..OpenAiConfig::llama_cpp(format!("{}/v1", proxy.url()), 1)
    };
    OpenAiCompatible::new(config).expect("config")
}

/// The idle timeout when a stall is the fault under test.
const STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The idle timeout elsewhere.
const PATIENT: Duration = Duration::from_secs(60);

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// Runs one direct sample through a proxy planned with `fault`; returns the run's events.
async fn one_sample_after(fault: Fault) -> (Outcome, Vec<Event>) {
    let root = server_root();
    require_server(&root).await;
    let proxy = FaultProxy::start(&root).expect("proxy");
    let idle = if matches!(fault, Fault::StallAfter(_)) { STALL_TIMEOUT } else { PATIENT };
    proxy.plan([fault]);
    let model = through(&proxy, quick_retries(), idle);
    let strategy = Direct {
        sampling: Sampling { temperature: Some(0.0), max_tokens: 40, ..Sampling::default() },
    };
    let task = Task::new("Count from one to ten in words.");
    let mut recording = RecordingSink::new();
    let outcome = Runner::new(&model).run(&strategy, &task, &mut recording).await.expect("run");
    let retried = retries(&recording.events).len();
    assert_eq!(proxy.requests().len(), 1 + retried, "the fault, then the retries");
    (outcome, recording.events)
}

fn retries(events: &[Event]) -> Vec<(ModelErrorKind, Option<u16>, u64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::BranchRetried { error, delay_ms, .. } => {
                Some((error.kind, error.status, *delay_ms))
            }
            _ => None,
        })
        .collect()
}

/// One sample succeeded after one retry, and its text is exactly what streamed after the retry:
/// text from the failed attempt is discarded, never glued to the new one.
fn assert_recovered(outcome: &Outcome, events: Vec<Event>) {
    assert_eq!((outcome.succeeded, outcome.failed), (1, 0));
    let last_retry = events
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::BranchRetried { .. }))
        .expect("a retry");
    let after: String = events[last_retry..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TokenDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let state = round_trip(events).replay().expect("replay");
    let node = state.nodes.iter().find(|n| n.kind == NodeKind::Sample).expect("the sample");
    // One retry, or more when a loaded machine is slow enough to trip the idle timeout again.
    assert!(node.retries >= 1);
    assert!(!node.text.is_empty());
    assert_eq!(node.text, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_retried_after_the_servers_retry_after() {
    let (outcome, events) = one_sample_after(Fault::RateLimit(1)).await;
    assert_eq!(retries(&events), [(ModelErrorKind::RateLimited, Some(429), 1000)]);
    assert!(outcome.spend.elapsed_ms >= 1000, "waited the second the server asked for");
    assert_recovered(&outcome, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_is_retried_with_backoff() {
    let (outcome, events) = one_sample_after(Fault::ServerError).await;
    let seen = retries(&events);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, ModelErrorKind::Server);
    assert_eq!(seen[0].1, Some(500));
    assert!((25..=50).contains(&seen[0].2), "jittered in [initial/2, initial]: {}", seen[0].2);
    assert_recovered(&outcome, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_mid_stream_is_retried_and_the_partial_text_discarded() {
    let (outcome, events) = one_sample_after(Fault::ResetAfter(600)).await;
    assert_eq!(retries(&events).first().map(|r| r.0), Some(ModelErrorKind::Network));
    // Text streamed before the reset was really shown, then voided by the retry.
    let before_retry = events
        .iter()
        .take_while(|e| !matches!(e.kind, EventKind::BranchRetried { .. }))
        .filter(|e| matches!(e.kind, EventKind::TokenDelta { .. }))
        .count();
    assert!(before_retry > 0, "the reset came mid-stream");
    assert_recovered(&outcome, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_stream_is_retried() {
    let (outcome, events) = one_sample_after(Fault::TruncateAfter(600)).await;
    let seen = retries(&events);
    assert_eq!(seen.first().map(|r| r.0), Some(ModelErrorKind::Network));
    assert_recovered(&outcome, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_stream_times_out_and_is_retried() {
    let (outcome, events) = one_sample_after(Fault::StallAfter(600)).await;
    assert_eq!(retries(&events).first().map(|r| r.0), Some(ModelErrorKind::Timeout));
    assert_recovered(&outcome, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_branch_that_fails_for_good_keeps_the_others_and_lands_in_the_trace() {
    let root = server_root();
    require_server(&root).await;
    let proxy = FaultProxy::start(&root).expect("proxy");
    proxy.plan([Fault::ServerError]);
    let model = through(&proxy, RetryPolicy::none(), PATIENT);
    let strategy = SelfConsistency {
        samples: 3,
        sampling: Sampling { temperature: Some(0.7), max_tokens: 48, ..Sampling::default() },
        ..Default::default()
    };
    let task = Task::new("What is 4 + 4? Reply 'The answer is: N'.").extractor(Extractor::number());
    let mut recording = RecordingSink::new();
    let outcome = Runner::new(&model).run(&strategy, &task, &mut recording).await.expect("run");
    let errors: Vec<_> = recording
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Error { error, .. } => Some(format!("{:?}: {}", error.kind, error.message)),
            _ => None,
        })
        .collect();
    assert_eq!((outcome.succeeded, outcome.failed), (2, 1), "failures: {errors:?}");
    assert_eq!(outcome.stop, StopReason::Completed);
    let state = round_trip(recording.events).replay().expect("replay");
    let failed: Vec<_> = state.nodes.iter().filter_map(|n| n.error.as_ref()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].kind, failed[0].status), (ModelErrorKind::Server, Some(500)));
    assert_eq!(failed[0].message, "injected server error");
}
