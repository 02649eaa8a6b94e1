//! What a server sends instead of an event stream is reported for what it is, and what servers
//! write into errors is bounded and never carries the key.

use thinkscale_engine::model::{MAX_MESSAGE_CHARS, Message, ModelErrorKind, Request};
use thinkscale_testkit::{HostileServer, Misbehaviour};

use crate::support::{KEY, answer, failure, openai, question};

#[tokio::test]
async fn an_html_page_at_200_is_a_protocol_error_naming_what_came_back() {
    let server = HostileServer::start(Misbehaviour::HtmlPage).unwrap();
    let error = failure(&openai(&server.base_url(), |_| {}), question()).await;
    assert_eq!(error.kind, ModelErrorKind::Protocol, "{error}");
    assert!(error.message.contains("text/html"), "{error}");
    assert!(error.message.contains("<title>Sign in</title>"), "{error}");
    assert!(!error.message.contains("cut off"), "{error}");
}

#[tokio::test]
async fn a_json_error_at_200_reports_its_message_without_the_key() {
    let message = format!("the model is still loading (key {KEY})");
    let server = HostileServer::start(Misbehaviour::JsonErrorAt200 { message }).unwrap();
    let model = openai(&server.base_url(), |config| {
        config.api_key = thinkscale_providers::ApiKey::new(KEY)
    });
    let error = failure(&model, question()).await;
    assert!(error.message.starts_with("the model is still loading"), "{error}");
    assert!(!error.message.contains(KEY) && !error.message.contains("89abcdef"), "{error}");
}

#[tokio::test]
async fn a_huge_error_message_at_400_is_cut() {
    let server = HostileServer::start(Misbehaviour::HugeErrorMessage { bytes: 10 << 20 }).unwrap();
    let error = failure(&openai(&server.base_url(), |_| {}), question()).await;
    assert_eq!((error.kind, error.status), (ModelErrorKind::InvalidRequest, Some(400)));
    assert!(error.message.starts_with("{\"error\":{\"message\":\"EEEE"), "{error}");
    assert!(error.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
}

#[tokio::test]
async fn a_huge_mid_stream_error_is_cut() {
    let server = HostileServer::start(Misbehaviour::MidStreamError { bytes: 5 << 20 }).unwrap();
    let error = failure(&openai(&server.base_url(), |_| {}), question()).await;
    assert_eq!(error.kind, ModelErrorKind::Server, "{error}");
    assert!(error.message.starts_with("EEEE"));
    assert!(error.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
}

#[tokio::test]
async fn only_the_request_whose_prompt_is_too_long_is_refused() {
    let server =
        HostileServer::start(Misbehaviour::ContextLength { max_prompt_bytes: 100 }).unwrap();
    let model = openai(&server.base_url(), |_| {});
    let long = Request::new(vec![Message::user("why? ".repeat(100))]);
    let error = failure(&model, long).await;
    assert_eq!((error.kind, error.status), (ModelErrorKind::InvalidRequest, Some(400)));
    assert!(error.message.contains("exceeds the available context size"), "{error}");
    assert!(!error.kind.is_fatal());
    let answer = answer(&model, question()).await;
    assert!(answer.completions[0].text.ends_with("the answer is 42."));
}
