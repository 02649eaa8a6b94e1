//! Redirects are never followed: a key must not travel to an address the user did not give.

use thinkscale_engine::model::ModelErrorKind;
use thinkscale_testkit::{HostileServer, Misbehaviour};

use crate::support::{KEY, anthropic, failure, openai, question};

#[tokio::test]
async fn a_keyed_request_is_not_redirected_and_the_error_says_where_it_pointed() {
    // Anthropic's `x-api-key` is not a header reqwest strips on a cross-origin redirect.
    let elsewhere = HostileServer::start(Misbehaviour::Honest).unwrap();
    let location = format!("{}/v1/messages", elsewhere.url());
    let redirect = Misbehaviour::Redirect { status: 307, location: location.clone() };
    let server = HostileServer::start(redirect).unwrap();

    let error = failure(&anthropic(server.url()), question()).await;

    let seen: Vec<_> =
        elsewhere.requests().iter().map(|r| r.header("x-api-key").map(str::to_owned)).collect();
    assert!(seen.is_empty(), "the redirect target received requests (keys: {seen:?})");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].header("x-api-key"), Some(KEY));
    assert_eq!((error.kind, error.status), (ModelErrorKind::NotFound, Some(307)));
    assert!(error.message.contains(&location), "{error}");
}

#[tokio::test]
async fn keyless_requests_are_not_redirected_either() {
    let elsewhere = HostileServer::start(Misbehaviour::Honest).unwrap();
    let location = format!("{}/v1/chat/completions", elsewhere.base_url());
    let server = HostileServer::start(Misbehaviour::Redirect { status: 302, location }).unwrap();

    let error = failure(&openai(&server.base_url(), |_| {}), question()).await;

    assert!(elsewhere.requests().is_empty());
    assert_eq!(error.status, Some(302), "{error}");
}
