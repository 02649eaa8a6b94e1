//! One streamed HTTP call with retries, shared by every provider.
//!
//! A provider supplies the request and a [`Decoder`] for its event format; this module runs
//! attempts (each one is `response.rs`: send, map failures, stream the body into the decoder
//! under the timeouts), scrubs the key from every error, and retries transient failures under
//! the [`RetryPolicy`], announcing each retry as a [`Chunk::Retry`].

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use thinkscale_engine::compat::MaybeSend;
use thinkscale_engine::model::{Chunk, Completion, ModelError, ModelErrorKind, Response};

use crate::generator::Emitter;
use crate::http::{HttpRequest, Transport};
use crate::sse::SseEvent;
use crate::{ApiKey, RetryPolicy, Timeouts};

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
            let mut decoder = new_decoder();
            let outcome =
                self.attempt(request, &mut decoder, emit).await.and_then(|()| decoder.finish());
            let error = match outcome {
                Ok(output) => return Ok(output),
                Err(error) => self.scrub(error),
            };
            let next = attempt + 1;
            let Some(delay) = self.retry_delay(next, &error) else {
                return Err(error);
            };
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            let _ = emit.unbounded_send(Chunk::Retry { choice, attempt: next, error, delay_ms });
            self.pause(delay).await;
            attempt = next;
        }
    }

    /// The wait before attempt `next_attempt` after `error`, or `None` when it must not be
    /// retried (the policy's verdict, jittered by the transport's randomness).
    pub(crate) fn retry_delay(&self, next_attempt: u32, error: &ModelError) -> Option<Duration> {
        self.retry.delay(next_attempt, error, self.transport.random())
    }

    /// Waits `delay` on the transport's timer.
    pub(crate) async fn pause(&self, delay: Duration) {
        self.transport.sleep(delay).await;
    }

    /// Removes the key (and fragments of it) from an error's message, which stays bounded.
    pub(crate) fn scrub(&self, error: ModelError) -> ModelError {
        // Rebuilt through `ModelError::new`: with a very short key, `***` can lengthen it.
        let mut scrubbed = ModelError::new(error.kind, self.key.scrub(&error.message));
        scrubbed.status = error.status;
        scrubbed.retry_after_ms = error.retry_after_ms;
        scrubbed
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
    use thinkscale_engine::model::MAX_MESSAGE_CHARS;

    use super::*;
    use crate::DefaultTransport;

    #[test]
    fn scrubbing_keeps_messages_bounded_even_when_the_mask_is_longer_than_the_key() {
        let endpoint = Endpoint {
            transport: Arc::new(DefaultTransport::new()),
            key: ApiKey::new("k"),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
        };
        let echoed =
            ModelError::new(ModelErrorKind::Auth, "k".repeat(MAX_MESSAGE_CHARS)).with_status(401);
        let scrubbed = endpoint.scrub(echoed);
        assert!(!scrubbed.message.contains('k'));
        assert!(scrubbed.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert_eq!((scrubbed.kind, scrubbed.status), (ModelErrorKind::Auth, Some(401)));
    }
}
