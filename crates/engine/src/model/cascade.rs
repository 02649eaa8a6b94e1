//! [`Cascade`]: two models behind one, cheapest first — the built-in model in the page, say, and a
//! remote model that a strategy escalates to only when the cheap one's answers disagree.
//!
//! A request's [`Request::tier`] picks the model: 0 is the first, 1 the second (and, since the
//! second may itself be a cascade, 2 its second, and so on). Each tier keeps its own id, so the
//! runner prices every call by the model that made it.

use futures::Stream;

use super::{Capabilities, Chunk, Model, ModelError, Request, Response};
use crate::compat::MaybeSend;

/// Two models as tiers of one: requests of tier 0 go to `first`, higher tiers to `then`.
#[derive(Debug, Clone)]
pub struct Cascade<A, B> {
    first: A,
    then: B,
    id: String,
}

impl<A: Model, B: Model> Cascade<A, B> {
    /// `first` answers tier 0; `then` answers tier 1 (and its own higher tiers).
    pub fn new(first: A, then: B) -> Self {
        let id = format!("{} → {}", first.id(), then.id());
        Self { first, then, id }
    }

    /// The request as the tier's model sees it, and whether it goes to `first`.
    fn route(request: Request) -> (Request, bool) {
        match request.tier {
            0 => (request, true),
            tier => (request.tier(tier - 1), false),
        }
    }
}

impl<A: Model, B: Model> Model for Cascade<A, B> {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        match Self::route(request) {
            (request, true) => self.first.complete(request).await,
            (request, false) => self.then.complete(request).await,
        }
    }

    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        use futures::StreamExt;
        match Self::route(request) {
            (request, true) => self.first.stream(request).left_stream(),
            (request, false) => self.then.stream(request).right_stream(),
        }
    }

    /// What every tier can do (strategies plan requests for any tier with it).
    fn capabilities(&self) -> Capabilities {
        let (a, b) = (self.first.capabilities(), self.then.capabilities());
        Capabilities {
            max_n: a.max_n.min(b.max_n),
            logprobs: a.logprobs && b.logprobs,
            streaming: a.streaming && b.streaming,
            reasoning: a.reasoning && b.reasoning,
        }
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        match Self::route(request.clone()) {
            (request, true) => self.first.thinking_tokens(&request),
            (request, false) => self.then.thinking_tokens(&request),
        }
    }

    fn tiers(&self) -> u32 {
        1 + self.then.tiers()
    }

    fn tier_id(&self, tier: u32) -> &str {
        match tier {
            0 => self.first.id(),
            tier => self.then.tier_id(tier - 1),
        }
    }
}
