//! One streamed HTTP call with timeouts and retries, shared by every provider.
//!
//! A provider supplies the request and a [`Decoder`] for its event format; this module sends it,
//! maps HTTP failures to [`ModelError`]s (with the status and the server's message, scrubbed of
//! the key), feeds the body through the [`SseParser`], and retries transient failures under the
//! [`RetryPolicy`], announcing each retry as a [`Chunk::Retry`].

use std::sync::Arc;
use std::time::Duration;

use futures::future::{Either, select};
use futures::{FutureExt, StreamExt};
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{Chunk, Completion, ModelError, ModelErrorKind, Response};

use crate::generator::Emitter;
use crate::http::{HttpRequest, Transport};
use crate::sse::{SseEvent, SseParser};
use crate::{ApiKey, RetryPolicy, Timeouts};

/// The most of an error body kept in a message.
const ERROR_BODY_LIMIT: usize = 2000;

/// Turns one provider's events into deltas and, at the end, a response.
pub(crate) trait Decoder: MaybeSend {
    /// What a finished stream decodes to.
    type Output;
    /// Handles one event, emitting deltas. Errors end the attempt.
    fn event(&mut self, event: SseEvent, emit: &Emitter) -> Result<(), ModelError>;
    /// Whether the provider's end-of-stream marker has arrived.
    fn finished(&self) -> bool;
    /// The response, once the body has ended. Errors when it is incomplete.
    fn finish(self) -> Result<Self::Output, ModelError>;
}

/// What every call of one provider shares: the transport, the key and the policies.
pub(crate) struct Endpoint<T> {
    pub(crate) transport: Arc<T>,
    pub(crate) key: ApiKey,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
}

impl<T> Clone for Endpoint<T> {
    fn clone(&self) -> Self {
        Self {
            transport: Arc::clone(&self.transport),
            key: self.key.clone(),
            retry: self.retry,
            timeouts: self.timeouts,
        }
    }
}

impl<T: Transport> Endpoint<T> {
    /// Sends `request` until it succeeds, fails permanently or runs out of attempts. `choice`
    /// names the choice a retry voids (`None`: the whole request).
    pub(crate) async fn call<D: Decoder>(
        &self,
        request: &HttpRequest,
        new_decoder: impl Fn() -> D,
        choice: Option<u32>,
        emit: &Emitter,
    ) -> Result<D::Output, ModelError> {
        let mut attempt = 1;
        loop {
            let error = match self.attempt(request, new_decoder(), emit).await {
                Ok(response) => return Ok(response),
                Err(error) => self.scrub(error),
            };
            let next = attempt + 1;
            let Some(delay) = self.retry.delay(next, &error, self.transport.random()) else {
                return Err(error);
            };
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            let _ = emit.unbounded_send(Chunk::Retry { choice, attempt: next, error, delay_ms });
            self.transport.sleep(delay).await;
            attempt = next;
        }
    }

    /// Sends a small JSON request and returns the whole body (used for auxiliary endpoints such
    /// as llama.cpp's `/tokenize`). Not retried.
    pub(crate) async fn fetch_json(&self, request: HttpRequest) -> Result<Vec<u8>, ModelError> {
        let mut response =
            self.within(self.timeouts.response, self.transport.send(request)).await??;
        let body = self.read_all(&mut response.body).await?;
        if (200..300).contains(&response.status) {
            Ok(body)
        } else {
            Err(self.scrub(status_error(response.status, &body, None)))
        }
    }

    async fn attempt<D: Decoder>(
        &self,
        request: &HttpRequest,
        mut decoder: D,
        emit: &Emitter,
    ) -> Result<D::Output, ModelError> {
        let send = self.transport.send(request.clone());
        let mut response = self.within(self.timeouts.response, send).await??;
        if !(200..300).contains(&response.status) {
            let body = self.read_all(&mut response.body).await.unwrap_or_default();
            return Err(status_error(response.status, &body, response.retry_after));
        }
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        while !decoder.finished() {
            let Some(piece) = self.within(self.timeouts.idle, response.body.next()).await? else {
                break;
            };
            parser.push(&piece?, &mut events).map_err(ModelError::from)?;
            for event in events.drain(..) {
                decoder.event(event, emit)?;
            }
        }
        if !decoder.finished() {
            parser.finish().map_err(|_| truncated())?;
        }
        decoder.finish()
    }

    /// Reads a whole (error or auxiliary) body, keeping at most a few kilobytes.
    async fn read_all(
        &self,
        body: &mut thinkscale_engine::compat::BoxStream<'static, Result<Vec<u8>, ModelError>>,
    ) -> Result<Vec<u8>, ModelError> {
        let mut all = Vec::new();
        while let Some(piece) = self.within(self.timeouts.idle, body.next()).await? {
            all.extend_from_slice(&piece?);
            if all.len() > 1 << 20 {
                break;
            }
        }
        Ok(all)
    }

    /// Races `future` against the timeout.
    async fn within<F: Future>(&self, limit: Duration, future: F) -> Result<F::Output, ModelError> {
        let timer = self.transport.sleep(limit);
        match select(std::pin::pin!(future), timer).await {
            Either::Left((output, _)) => Ok(output),
            Either::Right(((), _)) => Err(ModelError::new(
                ModelErrorKind::Timeout,
                format!("the server sent nothing for {:.1} s", limit.as_secs_f64()),
            )),
        }
    }

    /// Removes the key (and fragments of it) from an error's message.
    pub(crate) fn scrub(&self, mut error: ModelError) -> ModelError {
        error.message = self.key.scrub(&error.message);
        error
    }
}

/// The error for a stream that ended before the provider's end marker.
pub(crate) fn truncated() -> ModelError {
    ModelError::new(
        ModelErrorKind::Network,
        "the response stream was cut off before it was complete",
    )
}

/// The error for a decoded event that does not follow the provider's format.
pub(crate) fn malformed(what: &str, detail: impl std::fmt::Display) -> ModelError {
    ModelError::new(ModelErrorKind::Protocol, format!("malformed {what}: {detail}"))
}

/// Maps an HTTP error status and body to a [`ModelError`], keeping the server's own message.
pub(crate) fn status_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
    let kind = ModelErrorKind::from_status(status);
    let text = String::from_utf8_lossy(body);
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|json| {
            let error = json.get("error")?;
            error.get("message").and_then(|m| m.as_str()).or(error.as_str()).map(str::to_owned)
        })
        .unwrap_or_else(|| text.trim().chars().take(ERROR_BODY_LIMIT).collect());
    let message = if message.is_empty() { format!("HTTP status {status}") } else { message };
    let mut error = ModelError::new(kind, message).with_status(status);
    error.retry_after_ms = retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    error
}

/// Collects the results of one request's choices, each sent as its own request: failed choices
/// are reported as [`Chunk::Failed`] and the rest kept. Errs only when every choice failed.
pub(crate) fn gather(
    results: Vec<(u32, Result<Vec<Completion>, ModelError>)>,
    emit: &Emitter,
) -> Result<Response, ModelError> {
    let mut completions = Vec::new();
    let mut first_error = None;
    for (choice, result) in results {
        match result {
            Ok(done) => completions.extend(done),
            Err(error) => {
                let _ = emit.unbounded_send(Chunk::Failed { choice, error: error.clone() });
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if completions.is_empty() => Err(error),
        _ => Ok(Response { completions }),
    }
}

/// Boxes a provider body into the shape [`generate`](crate::generator::generate) expects.
pub(crate) fn boxed<F>(future: F) -> thinkscale_engine::compat::BoxFuture<'static, F::Output>
where
    F: Future + MaybeSend + 'static,
{
    #[cfg(not(target_arch = "wasm32"))]
    return future.boxed();
    #[cfg(target_arch = "wasm32")]
    return future.boxed_local();
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
