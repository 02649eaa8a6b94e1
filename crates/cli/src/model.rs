//! The model a command runs on: a provider over HTTP, or the built-in model in this process.
//!
//! One enum so that `run` and `eval` stay generic-free; it forwards every [`Model`] method.

use futures::future::Either;
use futures::{Stream, StreamExt};
use thinkscale_builtin::BuiltinModel;
use thinkscale_engine::model::{Capabilities, Chunk, ModelError, Request, Response};
use thinkscale_engine::prelude::*;
use thinkscale_providers::AnyModel;

/// Either kind of model.
#[derive(Debug)]
pub(crate) enum CliModel {
    /// A provider over HTTP.
    Remote(AnyModel),
    /// The built-in model, running here.
    Builtin(BuiltinModel),
}

impl Model for CliModel {
    fn complete(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, ModelError>> + Send {
        match self {
            Self::Remote(model) => Either::Left(model.complete(request)),
            Self::Builtin(model) => Either::Right(model.complete(request)),
        }
    }

    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> + Send {
        match self {
            Self::Remote(model) => model.stream(request).left_stream(),
            Self::Builtin(model) => model.stream(request).right_stream(),
        }
    }

    fn capabilities(&self) -> Capabilities {
        match self {
            Self::Remote(model) => model.capabilities(),
            Self::Builtin(model) => model.capabilities(),
        }
    }

    fn id(&self) -> &str {
        match self {
            Self::Remote(model) => model.id(),
            Self::Builtin(model) => model.id(),
        }
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        match self {
            Self::Remote(model) => model.thinking_tokens(request),
            Self::Builtin(model) => model.thinking_tokens(request),
        }
    }
}
