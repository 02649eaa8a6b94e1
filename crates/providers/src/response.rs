//! One attempt of a call: send the request, wait for its status, turn an error status into a
//! [`ModelError`] (the server's own message, from a bounded read of the body), and stream the
//! body through the [`SseParser`] into the provider's decoder. A successful status whose body is
//! not an event stream (an HTML page, JSON) is reported for what it is — a JSON `error` object
//! by its message, anything else as a protocol error naming the content type and the first
//! bytes — rather than as a stream cut off.
//!
//! Every wait is raced against two timers of the transport, each kept across the loop and
//! replaced only when it should restart: the attempt's total deadline ([`Timeouts::total`]),
//! and silence — first until the status arrives ([`Timeouts::response`]), then since the last
//! *data* ([`Timeouts::idle`]): a server that sends only keep-alive comments is as silent as one
//! that sends nothing. No wall-clock API is used, so the same code runs in the browser.

use std::time::Duration;

use futures::{FutureExt, StreamExt};
use thinkscale_engine::compat::{BoxFuture, BoxStream};
use thinkscale_engine::model::{ModelError, ModelErrorKind};

use crate::Timeouts;
use crate::call::{Decoder, Endpoint, truncated};
use crate::generator::Emitter;
use crate::http::{HttpRequest, Transport};
use crate::sse::SseParser;

/// The most of an error body read: enough for any real server's error JSON, bounded for a
/// hostile one (its message is cut further by [`ModelError::new`]).
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The most of an auxiliary JSON answer read (llama.cpp's `/tokenize` of a long completion).
const AUXILIARY_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A response body, piece by piece.
type Body = BoxStream<'static, Result<Vec<u8>, ModelError>>;

/// What the silence timer is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// The status and headers.
    Status,
    /// The next data.
    Data,
}

/// The two timers of one attempt.
struct Clock<'t, T> {
    transport: &'t T,
    timeouts: Timeouts,
    deadline: BoxFuture<'static, ()>,
    silence: BoxFuture<'static, ()>,
    waiting: Waiting,
}

impl<'t, T: Transport> Clock<'t, T> {
    /// Starts the deadline, and the wait for the status.
    fn start(transport: &'t T, timeouts: Timeouts) -> Self {
        Self {
            transport,
            timeouts,
            deadline: transport.sleep(timeouts.total),
            silence: transport.sleep(timeouts.response),
            waiting: Waiting::Status,
        }
    }

    /// Something worth waiting for arrived (the status, data): silence counts from now.
    fn heard(&mut self) {
        self.silence = self.transport.sleep(self.timeouts.idle);
        self.waiting = Waiting::Data;
    }

    /// Races `future` against both timers.
    async fn within<F: Future>(&mut self, future: F) -> Result<F::Output, ModelError> {
        let mut future = std::pin::pin!(future);
        futures::future::poll_fn(|cx| {
            // Timers first: a server flooding the body must not starve them.
            if self.deadline.poll_unpin(cx).is_ready() {
                let limit = seconds(self.timeouts.total);
                let message = format!("the response took longer than the {limit} s allowed");
                return std::task::Poll::Ready(Err(timeout(message)));
            }
            if self.silence.poll_unpin(cx).is_ready() {
                let message = match self.waiting {
                    Waiting::Status => {
                        format!(
                            "the server did not answer within {} s",
                            seconds(self.timeouts.response)
                        )
                    }
                    Waiting::Data => format!(
                        "the server sent no data for {} s (keep-alive comments do not count)",
                        seconds(self.timeouts.idle)
                    ),
                };
                return std::task::Poll::Ready(Err(timeout(message)));
            }
            future.as_mut().poll(cx).map(Ok)
        })
        .await
    }
}

fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10.0).round() / 10.0
}

fn timeout(message: String) -> ModelError {
    ModelError::new(ModelErrorKind::Timeout, message)
}

impl<T: Transport> Endpoint<T> {
    /// One attempt: sends `request` and feeds its event stream to `decoder` until the decoder
    /// has seen the end marker or the body ends. The key is scrubbed from any error.
    pub(crate) async fn attempt<D: Decoder>(
        &self,
        request: &HttpRequest,
        decoder: &mut D,
        emit: &Emitter,
    ) -> Result<(), ModelError> {
        self.stream_into(request, decoder, emit).await.map_err(|error| self.scrub(error))
    }

    async fn stream_into<D: Decoder>(
        &self,
        request: &HttpRequest,
        decoder: &mut D,
        emit: &Emitter,
    ) -> Result<(), ModelError> {
        let mut clock = Clock::start(&*self.transport, self.timeouts);
        let mut response = clock.within(self.transport.send(request.clone())).await??;
        clock.heard();
        if !(200..300).contains(&response.status) {
            let body = read_bounded(&mut response.body, &mut clock, ERROR_BODY_LIMIT).await;
            return Err(status_error(
                response.status,
                &body.unwrap_or_default(),
                response.retry_after,
            ));
        }
        let content_type = response.content_type.take();
        if content_type.as_deref().is_some_and(never_an_event_stream) {
            let body = read_bounded(&mut response.body, &mut clock, ERROR_BODY_LIMIT).await?;
            return Err(unexpected_body(content_type.as_deref(), &body));
        }
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        // The body's start, kept until the first event: if none ever comes, it says what came.
        let mut start = Some(Vec::new());
        while !decoder.finished() {
            let Some(piece) = clock.within(response.body.next()).await? else {
                break;
            };
            let piece = piece?;
            if let Some(start) = start.as_mut() {
                let room = ERROR_BODY_LIMIT.saturating_sub(start.len());
                start.extend_from_slice(piece.get(..room).unwrap_or(&piece));
            }
            parser.push(&piece, &mut events).map_err(ModelError::from)?;
            if !events.is_empty() {
                clock.heard();
                start = None;
            }
            let emitted = !events.is_empty();
            for event in events.drain(..) {
                decoder.event(event, emit)?;
            }
            if emitted {
                crate::generator::yield_now().await;
            }
        }
        if !decoder.finished() {
            // No event at all: a JSON error (whatever its label), or an unlabelled body that
            // is not an event stream. A labelled stream that merely ended early is cut off.
            if let Some(start) = start.filter(|start| !start.trim_ascii().is_empty()) {
                if let Some(error) = error_object(&start) {
                    return Err(error);
                }
                if !content_type.as_deref().is_some_and(is_event_stream) {
                    return Err(unexpected_body(content_type.as_deref(), &start));
                }
            }
            parser.finish().map_err(|_| truncated())?;
        }
        Ok(())
    }

    /// Sends a small JSON request and returns its body (auxiliary endpoints such as llama.cpp's
    /// `/tokenize`). Not retried.
    pub(crate) async fn fetch_json(&self, request: HttpRequest) -> Result<Vec<u8>, ModelError> {
        let fetched = async {
            let mut clock = Clock::start(&*self.transport, self.timeouts);
            let mut response = clock.within(self.transport.send(request)).await??;
            clock.heard();
            if (200..300).contains(&response.status) {
                read_bounded(&mut response.body, &mut clock, AUXILIARY_BODY_LIMIT).await
            } else {
                let body = read_bounded(&mut response.body, &mut clock, ERROR_BODY_LIMIT).await;
                Err(status_error(response.status, &body.unwrap_or_default(), None))
            }
        };
        fetched.await.map_err(|error| self.scrub(error))
    }
}

/// Reads a body until it ends or `limit` bytes have arrived, whichever is first: what it returns
/// (and holds) is never more than `limit` bytes, however the body is cut into pieces.
async fn read_bounded<T: Transport>(
    body: &mut Body,
    clock: &mut Clock<'_, T>,
    limit: usize,
) -> Result<Vec<u8>, ModelError> {
    let mut all = Vec::new();
    while all.len() < limit {
        let Some(piece) = clock.within(body.next()).await? else { break };
        let piece = piece?;
        clock.heard();
        let room = limit - all.len();
        all.extend_from_slice(piece.get(..room).unwrap_or(&piece));
    }
    Ok(all)
}

/// Maps an HTTP error status and body to a [`ModelError`], keeping the server's own message.
pub(crate) fn status_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
    let kind = ModelErrorKind::from_status(status);
    let message = server_message(body).unwrap_or_else(|| text_of(body));
    let message = if message.is_empty() { format!("HTTP status {status}") } else { message };
    let mut error = ModelError::new(kind, message).with_status(status);
    error.retry_after_ms = retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    error
}

/// The message of a JSON error body: `error.message`, or `error` when it is a plain string
/// (llama.cpp does that sometimes).
fn server_message(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = json.get("error")?;
    error.get("message").and_then(|m| m.as_str()).or(error.as_str()).map(str::to_owned)
}

/// How much of an unexpected body a message quotes.
const QUOTED_BYTES: usize = 200;

/// The media type of a `content-type` value, without parameters.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

fn is_event_stream(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case("text/event-stream")
}

/// Content types no server streams events under. Others (`text/plain`, none) are read as an
/// event stream, since some servers label their streams loosely, and judged by what they hold.
fn never_an_event_stream(content_type: &str) -> bool {
    let media = media_type(content_type).to_ascii_lowercase();
    media == "text/html" || media == "application/json" || media.ends_with("+json")
}

/// The error a successful response's body holds: its JSON `error` object's message, with the
/// kind its `code` names (an HTTP status, as llama.cpp and many proxies send) or
/// [`ModelErrorKind::Other`].
fn error_object(body: &[u8]) -> Option<ModelError> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = json.get("error").filter(|error| !error.is_null())?;
    let message = server_message(body).unwrap_or_else(|| error.to_string());
    let code = error.get("code").and_then(serde_json::Value::as_u64);
    let kind = match code.and_then(|c| u16::try_from(c).ok()).filter(|c| (400..600).contains(c)) {
        Some(status) => ModelErrorKind::from_status(status),
        None => ModelErrorKind::Other,
    };
    Some(ModelError::new(kind, message).with_status(200))
}

/// A successful response whose body is not an event stream: its JSON error if it is one, else
/// a protocol error naming the content type and quoting the body's start.
fn unexpected_body(content_type: Option<&str>, body: &[u8]) -> ModelError {
    if let Some(error) = error_object(body) {
        return error;
    }
    let label = content_type.map_or_else(|| "no content type".to_owned(), |t| format!("`{t}`"));
    let quoted = String::from_utf8_lossy(body.get(..QUOTED_BYTES).unwrap_or(body));
    let quoted: Vec<&str> = quoted.split_whitespace().collect();
    let more = if body.len() > QUOTED_BYTES { "…" } else { "" };
    let message = format!(
        "the server answered with {label} instead of an event stream (is this the API's base \
         URL, and does it stream?): {}{more}",
        quoted.join(" ")
    );
    ModelError::new(ModelErrorKind::Protocol, message).with_status(200)
}

/// A body as text for a message (cut later by [`ModelError::new`]).
fn text_of(body: &[u8]) -> String {
    String::from_utf8_lossy(body).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::DefaultTransport;

    #[test]
    fn statuses_map_to_kinds_and_keep_the_servers_message() {
        let error = status_error(401, br#"{"error":{"message":"Invalid key"}}"#, None);
        assert_eq!((error.kind, error.status), (ModelErrorKind::Auth, Some(401)));
        assert_eq!(error.message, "Invalid key");
        let error = status_error(429, b"slow down", Some(Duration::from_secs(2)));
        assert_eq!((error.kind, error.retry_after_ms), (ModelErrorKind::RateLimited, Some(2000)));
        assert_eq!(status_error(503, b"", None).message, "HTTP status 503");
        assert_eq!(status_error(422, b"{}", None).kind, ModelErrorKind::InvalidRequest);
        // llama.cpp puts a plain string under "error" sometimes.
        assert_eq!(status_error(500, br#"{"error":"boom"}"#, None).message, "boom");
    }

    #[test]
    fn bodies_that_are_not_event_streams_say_what_they_are() {
        let page = format!("<!doctype html>\n<html>{}</html>", "x".repeat(500));
        let error = unexpected_body(Some("text/html; charset=utf-8"), page.as_bytes());
        assert_eq!((error.kind, error.status), (ModelErrorKind::Protocol, Some(200)));
        assert!(error.message.contains("`text/html; charset=utf-8` instead of an event stream"));
        assert!(error.message.ends_with(&format!("<!doctype html> <html>{}…", "x".repeat(178))));
        let unlabelled = unexpected_body(None, b"Not Found");
        assert!(unlabelled.message.contains("no content type"), "{unlabelled}");
        assert!(unlabelled.message.ends_with(": Not Found"), "{unlabelled}");
        let json =
            br#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#;
        let loading = unexpected_body(Some("application/json"), json);
        assert_eq!(
            (loading.kind, loading.message.as_str()),
            (ModelErrorKind::Server, "Loading model")
        );
        assert!(never_an_event_stream("Application/JSON") && !never_an_event_stream("text/plain"));
        assert!(is_event_stream("text/event-stream; charset=utf-8"));
    }

    #[test]
    fn an_error_body_is_read_only_up_to_its_limit_however_it_is_cut() {
        let transport = DefaultTransport::new();
        for pieces in [vec![vec![b'x'; 10 << 20]], vec![vec![b'y'; 1000]; 3000]] {
            let mut body: Body = futures::stream::iter(pieces.into_iter().map(Ok)).boxed();
            let mut clock = Clock::start(&transport, Timeouts::default());
            let read = block_on(read_bounded(&mut body, &mut clock, ERROR_BODY_LIMIT)).unwrap();
            assert_eq!(read.len(), ERROR_BODY_LIMIT);
        }
    }
}
