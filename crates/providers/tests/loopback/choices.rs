//! Nothing finished is lost: each choice of a multi-choice request finishes as soon as its
//! `finish_reason` arrives, and a stream cut after some choices finished is retried for the
//! others only, their new choices mapped back to the original indices.

use std::time::Duration;

use thinkscale_engine::model::{Chunk, Completion};
use thinkscale_providers::RetryPolicy;
use thinkscale_testkit::{HostileServer, Misbehaviour};

use crate::support::{chunks, openai, question};

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

/// The choices announced as finished, in order.
fn finished(chunks: &[Chunk]) -> Vec<u32> {
    chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Finished { choice, .. } => Some(*choice),
            _ => None,
        })
        .collect()
}

fn texts(completions: &[Completion]) -> Vec<&str> {
    completions.iter().map(|c| c.text.as_str()).collect()
}

#[tokio::test]
async fn a_cut_stream_retries_only_the_unfinished_choices() {
    let server = HostileServer::start(Misbehaviour::Honest).unwrap();
    server.plan([Misbehaviour::CutAfterFirstChoice]);
    let model = openai(&server.base_url(), |config| {
        config.max_n = 4;
        config.retry = quick_retries();
    });

    let chunks: Vec<Chunk> =
        chunks(&model, question().n(3)).await.into_iter().map(Result::unwrap).collect();

    let retried: Vec<Option<u32>> = chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Retry { choice, .. } => Some(*choice),
            _ => None,
        })
        .collect();
    assert_eq!(retried, [Some(1), Some(2)], "choice 0 had finished: {chunks:?}");
    let asked: Vec<serde_json::Value> =
        server.requests().iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect();
    assert_eq!(asked.len(), 2);
    assert_eq!((asked[0]["n"].as_u64(), asked[1]["n"].as_u64()), (Some(3), Some(2)));
    assert_eq!(finished(&chunks), [0, 1, 2]);
    let Some(Chunk::Done(response)) = chunks.last() else { panic!("{chunks:?}") };
    assert_eq!(
        texts(&response.completions),
        [
            "Request 1, choice 0: the answer is 42.",
            "Request 2, choice 0: the answer is 42.",
            "Request 2, choice 1: the answer is 42.",
        ]
    );
    // Each request's prompt is counted once, on its first streamed choice.
    let prompts: Vec<u64> = response.completions.iter().map(|c| c.usage.prompt_tokens).collect();
    assert!(prompts[0] > 0 && prompts[1] > 0 && prompts[2] == 0, "{prompts:?}");
}

#[tokio::test]
async fn a_choice_that_finishes_first_is_announced_before_the_others_end() {
    let staggered = Misbehaviour::StaggeredChoices { pause: Duration::from_millis(5), deltas: 20 };
    let server = HostileServer::start(staggered).unwrap();
    let model = openai(&server.base_url(), |config| config.max_n = 4);

    let chunks: Vec<Chunk> =
        chunks(&model, question().n(3)).await.into_iter().map(Result::unwrap).collect();

    let first_finish = chunks.iter().position(|c| matches!(c, Chunk::Finished { choice: 0, .. }));
    let slow_delta = chunks.iter().position(|c| matches!(c, Chunk::Delta { choice: 1, .. }));
    assert!(first_finish.is_some() && first_finish < slow_delta, "{chunks:?}");
    assert_eq!(finished(&chunks)[0], 0);
    let Some(Chunk::Done(response)) = chunks.last() else { panic!("{chunks:?}") };
    assert_eq!(response.completions.len(), 3);
    assert!(response.completions[2].text.starts_with("more more"));
}

#[tokio::test]
async fn single_choice_requests_finish_each_choice_too() {
    // max_n 1: three parallel requests, one choice each.
    let server = HostileServer::start(Misbehaviour::Honest).unwrap();
    let model = openai(&server.base_url(), |_| {});

    let chunks: Vec<Chunk> =
        chunks(&model, question().n(3)).await.into_iter().map(Result::unwrap).collect();

    let mut announced = finished(&chunks);
    announced.sort_unstable();
    assert_eq!(announced, [0, 1, 2]);
    assert_eq!(server.requests().len(), 3);
    let Some(Chunk::Done(response)) = chunks.last() else { panic!("{chunks:?}") };
    assert_eq!(response.completions.len(), 3);
}
