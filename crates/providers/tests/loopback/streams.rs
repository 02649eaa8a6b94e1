//! Hostile streams cost bounded memory and time: an event that never ends is cut at the
//! parser's limit, keep-alive comments do not keep a request alive, and no attempt outlives its
//! total deadline however steadily the server streams.

use std::time::Duration;

use thinkscale_engine::model::{Chunk, ModelErrorKind};
use thinkscale_testkit::{HostileServer, Misbehaviour};

use crate::support::{chunks, failure, openai, question, timeouts};

#[tokio::test]
async fn an_event_whose_data_lines_never_end_is_refused_at_the_limit() {
    let server = HostileServer::start(Misbehaviour::EndlessEvent).unwrap();
    let error = failure(&openai(&server.base_url(), |_| {}), question()).await;
    assert_eq!(error.kind, ModelErrorKind::Protocol, "{error}");
    assert!(error.message.contains("event is longer than"), "{error}");
}

#[tokio::test]
async fn keep_alive_comments_alone_time_out_after_the_idle_limit() {
    let every = Duration::from_millis(20);
    let server = HostileServer::start(Misbehaviour::KeepAliveOnly { every }).unwrap();
    let model = openai(&server.base_url(), |config| {
        config.timeouts = timeouts(Duration::from_millis(300), Duration::from_secs(600));
    });
    let error = failure(&model, question()).await;
    assert_eq!(error.kind, ModelErrorKind::Timeout, "{error}");
    assert!(error.message.contains("sent no data for 0.3 s"), "{error}");
}

#[tokio::test]
async fn a_stream_that_never_ends_stops_at_the_total_deadline_keeping_what_finished() {
    // Choice 0 finishes at once; choice 1 streams a delta every 20 ms for far longer than the
    // deadline, so the stream is never idle.
    let slow =
        Misbehaviour::StaggeredChoices { pause: Duration::from_millis(20), deltas: 1_000_000 };
    let server = HostileServer::start(slow).unwrap();
    let model = openai(&server.base_url(), |config| {
        config.max_n = 2;
        config.timeouts = timeouts(Duration::from_secs(30), Duration::from_millis(500));
    });
    let chunks = chunks(&model, question().n(2)).await;
    let failed = chunks.iter().find_map(|chunk| match chunk {
        Ok(Chunk::Failed { choice, error }) => Some((*choice, error.clone())),
        _ => None,
    });
    let (choice, error) = failed.expect("choice 1 failed");
    assert_eq!((choice, error.kind), (1, ModelErrorKind::Timeout), "{error}");
    assert!(error.message.contains("longer than the 0.5 s allowed"), "{error}");
    let Some(Ok(Chunk::Done(response))) = chunks.last() else { panic!("{chunks:?}") };
    assert_eq!(response.completions.len(), 1);
    assert!(response.completions[0].text.starts_with("Request 1, choice 0"));
}

#[tokio::test]
async fn answers_that_ignore_max_tokens_arrive_whole_in_small_or_one_huge_delta() {
    // The provider passes such answers on (bounded by the parser's and the deadline's limits);
    // cutting them at the request's own token limit is the engine's job.
    for (behaviour, bytes) in [
        (Misbehaviour::huge_answer(64 << 10), 64 << 10),
        (Misbehaviour::huge_delta(5 << 20), 5 << 20),
    ] {
        let server = HostileServer::start(behaviour.clone()).unwrap();
        let model = openai(&server.base_url(), |config| config.max_n = 2);
        let chunks = chunks(&model, question().n(2).max_tokens(16)).await;
        let deltas =
            chunks.iter().filter(|c| matches!(c, Ok(Chunk::Delta { choice: 0, .. }))).count();
        let Some(Ok(Chunk::Done(response))) = chunks.last() else { panic!("{behaviour:?}") };
        assert_eq!(response.completions.len(), 2);
        assert!(response.completions.iter().all(|c| c.text.len() == bytes), "{behaviour:?}");
        let expected = if bytes == 5 << 20 { 1 } else { bytes / 4 };
        assert_eq!(deltas, expected, "{behaviour:?}");
        let asked: serde_json::Value = serde_json::from_str(&server.requests()[0].body).unwrap();
        assert_eq!(asked["max_tokens"], 16);
    }
}
