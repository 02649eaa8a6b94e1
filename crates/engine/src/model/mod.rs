//! The one abstraction over language models.
//!
//! A [`Model`] turns a provider-neutral [`Request`] into a [`Response`]. HTTP providers, the
//! built-in in-page model and test doubles all implement this trait, and every strategy runs on any
//! of them. Only [`Model::stream`] is required; completion, capabilities and the model id have
//! defaults. [`BoxModel`] erases a model's type, for front ends that pick one at run time.

mod boxed;
mod cascade;
mod error;
mod request;
mod response;

use std::sync::Arc;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::compat::{MaybeSend, MaybeSync};

pub use boxed::BoxModel;
pub use cascade::Cascade;
pub use error::{MAX_MESSAGE_CHARS, ModelError, ModelErrorKind};
pub use request::{Effort, Message, Reasoning, Request, Role};
pub use response::{Channel, Chunk, Completion, FinishReason, Response, TokenLogprob, Usage};

/// What a model can do beyond plain completion. Strategies use it to pick the cheapest way to get
/// what they need (one request with `n` choices instead of `n` requests, for example).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// The most choices one request may ask for (`n`); 1 when the model has no native `n`.
    pub max_n: u32,
    /// Whether completions can carry per-token log-probabilities.
    pub logprobs: bool,
    /// Whether [`Model::stream`] yields text as it is generated (not just the final response).
    pub streaming: bool,
    /// Whether the model accepts a [`Reasoning`] setting and may return reasoning text.
    pub reasoning: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self { max_n: 1, logprobs: false, streaming: false, reasoning: false }
    }
}

/// A language model: the single required method streams a request's completions.
///
/// Implementations must be cheap to call concurrently through `&self`: strategies issue many
/// requests at once and drop the streams of requests they no longer need, which must cancel the
/// underlying work (close the HTTP request, stop generating).
pub trait Model: MaybeSend + MaybeSync {
    /// Runs one request and yields text as it is generated, ending with [`Chunk::Done`] carrying
    /// the whole response (`request.n` completions, or fewer when the model cannot produce them
    /// all — the engine marks the missing ones as failed). A model that cannot stream yields only
    /// the final response: wrap its one future with [`single_response`].
    fn stream(&self, request: Request)
    -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend;

    /// Runs one request to completion. The default drains [`Model::stream`] and keeps its final
    /// response; models with a cheaper non-streaming path override it.
    fn complete(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, ModelError>> + MaybeSend {
        response_of(self.stream(request))
    }

    /// What this model supports. The default is the most conservative: one choice per request, no
    /// logprobs, no streaming, no reasoning settings.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The model's id, used to look up its price (for example `gpt-4o-mini`). Empty by default.
    fn id(&self) -> &str {
        ""
    }

    /// The most reasoning tokens one choice of `request` may spend on top of its `max_tokens`:
    /// what budgets reserve and what the engine lets a choice stream before it cuts it. The
    /// default is a thinking budget's own size (and nothing for effort levels, which OpenAI
    /// counts within `max_tokens`); providers that round a budget up, or turn an effort level
    /// into a budget, say so here.
    fn thinking_tokens(&self, request: &Request) -> u64 {
        match request.reasoning {
            Some(Reasoning::Budget { tokens }) => u64::from(tokens),
            _ => 0,
        }
    }

    /// How many models answer through this one, cheapest first: 1, except for a [`Cascade`],
    /// whose requests pick one with [`Request::tier`].
    fn tiers(&self) -> u32 {
        1
    }

    /// The id of the model that answers requests of `tier` (used to price them).
    fn tier_id(&self, tier: u32) -> &str {
        let _ = tier;
        self.id()
    }
}

/// The final [`Response`] of a model's stream (what [`Model::complete`] returns by default). Text
/// deltas are skipped; a stream that ends without [`Chunk::Done`] is a protocol error.
pub async fn response_of<S>(stream: S) -> Result<Response, ModelError>
where
    S: Stream<Item = Result<Chunk, ModelError>>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        if let Chunk::Done(response) = item? {
            return Ok(response);
        }
    }
    Err(ModelError::new(ModelErrorKind::Protocol, "the stream ended without a response"))
}

/// Forwards [`Model`] through a pointer type, so `&model` and `Arc<model>` are models too.
macro_rules! forward_model {
    ($($pointer:ty),+) => {$(
        impl<M: Model> Model for $pointer {
            fn complete(
                &self,
                request: Request,
            ) -> impl Future<Output = Result<Response, ModelError>> + MaybeSend {
                (**self).complete(request)
            }
            fn stream(
                &self,
                request: Request,
            ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
                (**self).stream(request)
            }
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }
            fn id(&self) -> &str {
                (**self).id()
            }
            fn thinking_tokens(&self, request: &Request) -> u64 {
                (**self).thinking_tokens(request)
            }
            fn tiers(&self) -> u32 {
                (**self).tiers()
            }
            fn tier_id(&self, tier: u32) -> &str {
                (**self).tier_id(tier)
            }
        }
    )+};
}

forward_model!(&M, Arc<M>);

/// The stream of a model that cannot stream: `response`'s result as one [`Chunk::Done`] (or its
/// error). For [`Model::stream`] of models that answer in one piece.
pub fn single_response<F>(response: F) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend
where
    F: Future<Output = Result<Response, ModelError>> + MaybeSend,
{
    futures::stream::once(response).map(|result| result.map(Chunk::Done))
}
