//! [`BoxModel`]: any [`Model`] behind one type, chosen at run time.
//!
//! Front ends pick their model from settings — an HTTP provider, the built-in model, a JavaScript
//! function — and then run generic code on it. Instead of one forwarding enum per front end, each
//! boxes its choice, as tower's `BoxService` does for services. The cost is one allocation per
//! request for the boxed stream, nothing next to a model call.

use futures::Stream;

use super::{Capabilities, Chunk, Model, ModelError, Request, Response};
use crate::compat::{BoxFuture, BoxStream, MaybeSend, MaybeSync};

/// A model whose type was erased: every [`Model`] method forwards to the boxed one.
pub struct BoxModel(Box<dyn ErasedModel>);

impl BoxModel {
    /// Boxes `model`.
    pub fn new(model: impl Model + 'static) -> Self {
        Self(Box::new(model))
    }
}

impl std::fmt::Debug for BoxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BoxModel").field(&self.0.id()).finish()
    }
}

impl Model for BoxModel {
    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        self.0.stream_boxed(request)
    }

    fn complete(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, ModelError>> + MaybeSend {
        self.0.complete_boxed(request)
    }

    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }

    fn id(&self) -> &str {
        self.0.id()
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        self.0.thinking_tokens(request)
    }

    fn tiers(&self) -> u32 {
        self.0.tiers()
    }

    fn tier_id(&self, tier: u32) -> &str {
        self.0.tier_id(tier)
    }
}

/// The object-safe form of [`Model`]: its stream and future boxed.
trait ErasedModel: MaybeSend + MaybeSync {
    fn stream_boxed(&self, request: Request) -> BoxStream<'_, Result<Chunk, ModelError>>;
    fn complete_boxed(&self, request: Request) -> BoxFuture<'_, Result<Response, ModelError>>;
    fn capabilities(&self) -> Capabilities;
    fn id(&self) -> &str;
    fn thinking_tokens(&self, request: &Request) -> u64;
    fn tiers(&self) -> u32;
    fn tier_id(&self, tier: u32) -> &str;
}

impl<M: Model> ErasedModel for M {
    fn stream_boxed(&self, request: Request) -> BoxStream<'_, Result<Chunk, ModelError>> {
        Box::pin(Model::stream(self, request))
    }
    fn complete_boxed(&self, request: Request) -> BoxFuture<'_, Result<Response, ModelError>> {
        Box::pin(Model::complete(self, request))
    }
    fn capabilities(&self) -> Capabilities {
        Model::capabilities(self)
    }
    fn id(&self) -> &str {
        Model::id(self)
    }
    fn thinking_tokens(&self, request: &Request) -> u64 {
        Model::thinking_tokens(self, request)
    }
    fn tiers(&self) -> u32 {
        Model::tiers(self)
    }
    fn tier_id(&self, tier: u32) -> &str {
        Model::tier_id(self, tier)
    }
}

#[cfg(test)]
mod tests {
    use super::BoxModel;
    use crate::model::{Capabilities, Cascade, Chunk, Completion, Message, Model, Request};
    use crate::testing::ScriptedModel;
    use futures::StreamExt;
    use futures::executor::block_on;

    #[test]
    fn a_boxed_model_answers_streams_and_reports_as_the_model_inside() {
        let boxed = BoxModel::new(
            ScriptedModel::cycling(["The answer is: 4"])
                .with_capabilities(Capabilities { streaming: true, ..Capabilities::default() }),
        );
        let response = block_on(boxed.complete(Request::new(vec![Message::user("q")]))).unwrap();
        assert_eq!(response.completions.first().map(|c| c.text.as_str()), Some("The answer is: 4"));
        let chunks: Vec<_> =
            block_on(boxed.stream(Request::new(vec![Message::user("q")])).collect::<Vec<_>>());
        assert!(chunks.len() > 1, "streamed in pieces: {chunks:?}");
        assert!(matches!(chunks.last(), Some(Ok(Chunk::Done(_)))));
        assert!(boxed.capabilities().streaming);
        assert_eq!(format!("{boxed:?}"), format!("BoxModel({:?})", boxed.id()));
    }

    #[test]
    fn a_boxed_cascade_keeps_its_tiers() {
        let cheap = ScriptedModel::cycling(["cheap"]).with_id("small");
        let strong = ScriptedModel::cycling(["strong"]).with_id("large");
        let boxed = BoxModel::new(Cascade::new(cheap, strong));
        assert_eq!((boxed.tiers(), boxed.tier_id(0), boxed.tier_id(1)), (2, "small", "large"));
        let second =
            block_on(boxed.complete(Request::new(vec![Message::user("q")]).tier(1))).unwrap();
        let text = |c: &Completion| c.text.clone();
        assert_eq!(second.completions.iter().map(text).collect::<Vec<_>>(), ["strong"]);
    }
}
