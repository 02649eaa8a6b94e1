//! Turns an async body that emits chunks while it works into a [`Stream`], without spawning:
//! the body is polled by whoever polls the stream, so dropping the stream drops the body and
//! with it every request the body has open.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{FutureExt, Stream, StreamExt};
use thinkscale_engine::compat::BoxFuture;
use thinkscale_engine::model::{Chunk, ModelError, Response};

/// Where a call body sends its deltas and retry notices while it runs.
pub(crate) type Emitter = UnboundedSender<Chunk>;

/// A stream of a call's chunks, ending with its response (or error).
pub(crate) struct Generated {
    chunks: UnboundedReceiver<Chunk>,
    body: Option<BoxFuture<'static, Result<Response, ModelError>>>,
    result: Option<Result<Response, ModelError>>,
}

/// Runs `body` with an emitter; its chunks are yielded in order, then its result as
/// [`Chunk::Done`] or the error.
pub(crate) fn generate<F>(body: F) -> Generated
where
    F: FnOnce(Emitter) -> BoxFuture<'static, Result<Response, ModelError>>,
{
    let (emitter, chunks) = unbounded();
    Generated { chunks, body: Some(body(emitter)), result: None }
}

impl Stream for Generated {
    type Item = Result<Chunk, ModelError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Poll::Ready(Some(chunk)) = self.chunks.poll_next_unpin(cx) {
                return Poll::Ready(Some(Ok(chunk)));
            }
            let Some(body) = self.body.as_mut() else {
                // The body is done and dropped its emitter; the channel is drained.
                return Poll::Ready(self.result.take().map(|r| r.map(Chunk::Done)));
            };
            match body.poll_unpin(cx) {
                Poll::Ready(result) => {
                    self.body = None;
                    self.result = Some(result);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Resolves on its second poll, waking itself after the first: lets whoever polls the body's
/// stream take the chunks it just emitted before the body reads on. Without it a fast server
/// (loopback, a cache) keeps the body busy decoding piece after piece, and a consumer that would
/// stop — the engine cutting a choice at its token limit — hears of the first delta only after
/// megabytes.
pub(crate) fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    futures::future::poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use thinkscale_engine::model::{Channel, Completion, Usage};

    use super::*;

    #[test]
    fn chunks_come_before_the_final_response() {
        let stream = generate(|emit| {
            async move {
                for text in ["a", "b"] {
                    let delta =
                        Chunk::Delta { choice: 0, channel: Channel::Text, text: text.into() };
                    let _ = emit.unbounded_send(delta);
                }
                Ok(Response { completions: vec![Completion::new("ab", Usage::default())] })
            }
            .boxed()
        });
        let items: Vec<_> = block_on(stream.collect());
        assert_eq!(items.len(), 3);
        assert!(matches!(items.last(), Some(Ok(Chunk::Done(_)))));
    }
}
