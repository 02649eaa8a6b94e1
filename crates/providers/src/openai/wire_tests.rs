//! Tests of the chat-completions wire format: request bodies and stream decoding.

use futures::channel::mpsc::unbounded;
use thinkscale_engine::model::{Message, Reasoning};

use super::*;

fn event(data: &str) -> SseEvent {
    SseEvent { event: "message".into(), data: data.into(), id: None }
}

#[test]
fn the_body_carries_only_the_fields_that_are_set() {
    let request = Request::new(vec![Message::user("hi")])
        .max_tokens(64)
        .seed(7)
        .reasoning(Reasoning::Budget { tokens: 9000 });
    let body: Value =
        serde_json::from_str(&body("m", &request, 3, MaxTokensField::MaxCompletionTokens))
            .expect("json");
    assert_eq!(body["n"], 3);
    assert_eq!(body["max_completion_tokens"], 64);
    assert_eq!(body["reasoning_effort"], "high");
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert!(body.get("temperature").is_none() && body.get("max_tokens").is_none());
}

#[test]
fn reasoning_text_usage_and_choices_are_decoded() {
    let (emit, _deltas) = unbounded();
    let mut decoder = ChatDecoder::new(0, 10);
    for data in [
        r#"{"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"42"},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":30,"completion_tokens_details":{"reasoning_tokens":20}}}"#,
        "[DONE]",
    ] {
        decoder.event(event(data), &emit).expect("decodes");
    }
    assert!(decoder.finished());
    let (response, facts) = decoder.finish().expect("complete");
    let completion = &response.completions[0];
    assert_eq!((completion.text.as_str(), completion.reasoning.as_deref()), ("42", Some("think")));
    assert_eq!(
        (
            completion.usage.prompt_tokens,
            completion.usage.completion_tokens,
            completion.usage.reasoning_tokens
        ),
        (5, 10, 20)
    );
    assert!(!facts.llama_cpp);
}

#[test]
fn a_stream_without_finish_reasons_is_truncated_and_mid_stream_errors_fail() {
    let (emit, _deltas) = unbounded();
    let mut decoder = ChatDecoder::new(0, 10);
    decoder
        .event(event(r#"{"choices":[{"index":0,"delta":{"content":"4"}}]}"#), &emit)
        .expect("ok");
    assert_eq!(decoder.finish().map(|_| ()).map_err(|e| e.kind), Err(ModelErrorKind::Network));
    let mut decoder = ChatDecoder::new(0, 10);
    let error =
        decoder.event(event(r#"{"error":{"message":"overloaded"}}"#), &emit).expect_err("fails");
    assert_eq!((error.kind, error.message.as_str()), (ModelErrorKind::Server, "overloaded"));
}
