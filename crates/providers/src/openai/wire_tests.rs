//! Tests of the chat-completions stream decoding: deltas, per-choice finishes, usage.

use futures::StreamExt;
use futures::channel::mpsc::unbounded;
use thinkscale_engine::model::Usage;

use super::*;

fn event(data: &str) -> SseEvent {
    SseEvent { event: "message".into(), data: data.into(), id: None }
}

/// Feeds `events` to `decoder` and returns the chunks it emitted.
fn feed(decoder: &mut ChatDecoder, events: &[&str]) -> Vec<Chunk> {
    let (emit, chunks) = unbounded();
    for data in events {
        decoder.event(event(data), &emit).expect("decodes");
    }
    drop(emit);
    futures::executor::block_on(chunks.collect())
}

#[test]
fn reasoning_text_usage_and_choices_are_decoded() {
    let mut decoder = ChatDecoder::new(vec![0], 10);
    feed(
        &mut decoder,
        &[
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"42"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":30,"completion_tokens_details":{"reasoning_tokens":20}}}"#,
            "[DONE]",
        ],
    );
    assert!(decoder.finished());
    let (choices, facts) = decoder.finish().expect("complete");
    let (index, completion) = &choices[0];
    assert_eq!(*index, 0);
    assert_eq!((completion.text.as_str(), completion.reasoning.as_deref()), ("42", Some("think")));
    let usage = completion.usage;
    assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens), (5, 10, 20));
    assert!(!facts.llama_cpp);
}

#[test]
fn a_choice_finishes_when_its_finish_reason_arrives_with_an_estimate_then_the_best_counts() {
    // The caller asked again for its choices 1 and 3 (a retry): the stream's 0 and 1.
    let mut decoder = ChatDecoder::new(vec![1, 3], 50);
    let chunks = feed(
        &mut decoder,
        &[
            r#"{"choices":[{"index":0,"delta":{"content":"The "}},{"index":1,"delta":{"content":"It "}}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"is 7"},"finish_reason":"stop","logprobs":{"content":[{"token":"7","logprob":-0.5}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"answer"}}]}"#,
        ],
    );
    let finished: Vec<(u32, &Completion)> = chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Finished { choice, completion } => Some((*choice, completion)),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 1, "only the stream's choice 1 finished: {chunks:?}");
    let (choice, completion) = finished[0];
    assert_eq!((choice, completion.text.as_str()), (3, "It is 7"));
    assert_eq!(completion.finish_reason, FinishReason::Stop);
    assert_eq!(completion.logprobs.as_ref().map(Vec::len), Some(1));
    // Two deltas streamed; the prompt is counted on the stream's first choice only.
    assert_eq!(
        completion.usage,
        Usage { prompt_tokens: 0, completion_tokens: 2, reasoning_tokens: 0 }
    );
    // The Finished chunk comes after the choice's last delta.
    let last_delta = chunks.iter().rposition(|c| matches!(c, Chunk::Delta { choice: 3, .. }));
    let finish = chunks.iter().position(|c| matches!(c, Chunk::Finished { .. }));
    assert!(last_delta < finish);
    // Cut here, the finished choice is what the stream delivered.
    assert!(!decoder.complete());
    assert_eq!(decoder.finished_choices().iter().map(|(i, _)| *i).collect::<Vec<_>>(), [3]);

    feed(
        &mut decoder,
        &[
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":9}}"#,
            "[DONE]",
        ],
    );
    let (choices, _) = decoder.finish().expect("complete");
    let indices: Vec<u32> = choices.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, [1, 3]);
    // The reported usage replaces the estimates: 9 tokens split by length, prompt on the first.
    let usage: Vec<Usage> = choices.iter().map(|(_, c)| c.usage).collect();
    assert_eq!((usage[0].prompt_tokens, usage[1].prompt_tokens), (40, 0));
    assert_eq!(usage[0].completion_tokens + usage[1].completion_tokens, 8);
}

#[test]
fn a_choice_is_finished_once_and_unasked_choices_are_refused() {
    let mut decoder = ChatDecoder::new(vec![0], 10);
    let chunks = feed(
        &mut decoder,
        &[
            r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        ],
    );
    let finishes = chunks.iter().filter(|c| matches!(c, Chunk::Finished { .. })).count();
    assert_eq!(finishes, 1);
    let estimate = decoder.finished_choices()[0].1.usage;
    assert_eq!((estimate.prompt_tokens, estimate.completion_tokens), (10, 1));
    let (emit, _chunks) = unbounded();
    let error = decoder
        .event(event(r#"{"choices":[{"index":1,"delta":{"content":"b"}}]}"#), &emit)
        .expect_err("choice 1 was not asked for");
    assert_eq!(error.kind, ModelErrorKind::Protocol);
}

#[test]
fn a_stream_without_finish_reasons_is_truncated_and_mid_stream_errors_fail() {
    let (emit, _deltas) = unbounded();
    let mut decoder = ChatDecoder::new(vec![0], 10);
    decoder
        .event(event(r#"{"choices":[{"index":0,"delta":{"content":"4"}}]}"#), &emit)
        .expect("ok");
    assert_eq!(decoder.finish().map(|_| ()).map_err(|e| e.kind), Err(ModelErrorKind::Network));
    let mut decoder = ChatDecoder::new(vec![0], 10);
    let error =
        decoder.event(event(r#"{"error":{"message":"overloaded"}}"#), &emit).expect_err("fails");
    assert_eq!((error.kind, error.message.as_str()), (ModelErrorKind::Server, "overloaded"));
}
