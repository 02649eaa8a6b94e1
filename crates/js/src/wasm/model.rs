//! [`ProviderModel`]: the engine [`Model`] behind a `provider` option — an HTTP provider of the
//! providers crate, or a JavaScript function (`custom`, and `builtin`, which the package's
//! browser entry turns into one). The `Engine` class and the live view both run on it.

use futures::Stream;
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, Request, Response};
use thinkscale_providers::{AnyModel, ProviderSpec};
use wasm_bindgen::JsValue;

use super::builtin::builtin_provider;
use super::convert::from_js;
use super::js_model::JsModel;
use crate::error::Failure;

/// The model an engine runs on, made from a `provider` option.
#[derive(Debug)]
pub struct ProviderModel(Inner);

/// The two kinds of model behind a provider option.
#[derive(Debug)]
enum Inner {
    /// An HTTP provider.
    Remote(AnyModel),
    /// A JavaScript function (custom provider or the built-in model's Worker).
    Js(JsModel),
}

impl Model for ProviderModel {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        match &self.0 {
            Inner::Remote(model) => model.complete(request).await,
            Inner::Js(model) => model.complete(request).await,
        }
    }

    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> {
        use futures::StreamExt;
        match &self.0 {
            Inner::Remote(model) => model.stream(request).left_stream(),
            Inner::Js(model) => model.stream(request).right_stream(),
        }
    }

    fn capabilities(&self) -> Capabilities {
        match &self.0 {
            Inner::Remote(model) => model.capabilities(),
            Inner::Js(model) => model.capabilities(),
        }
    }

    fn id(&self) -> &str {
        match &self.0 {
            Inner::Remote(model) => model.id(),
            Inner::Js(model) => model.id(),
        }
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        match &self.0 {
            Inner::Remote(model) => model.thinking_tokens(request),
            Inner::Js(model) => model.thinking_tokens(request),
        }
    }
}

impl ProviderModel {
    /// The model a `provider` option describes (`{ kind: "openai" | "anthropic" | "gemini" |
    /// "builtin" | "custom", … }`); the failure names the field at fault.
    pub fn from_options(provider: &JsValue) -> Result<Self, Failure> {
        let text = |key: &str| {
            js_sys::Reflect::get(provider, &key.into()).ok().and_then(|v| v.as_string())
        };
        let key = text("apiKey").filter(|k| !k.trim().is_empty());
        Self::build(provider, &text("kind").unwrap_or_default()).map_err(|mut failure| {
            // serde quotes the values it rejects: a key put under the wrong option must not
            // come back in the message.
            if let Some(key) = &key {
                failure.message = failure.message.replace(key.trim(), "***");
            }
            failure
        })
    }

    fn build(provider: &JsValue, kind: &str) -> Result<Self, Failure> {
        match kind {
            "custom" => JsModel::from_provider(provider, "provider").map(|m| Self(Inner::Js(m))),
            "builtin" => {
                let custom = builtin_provider(provider)?;
                JsModel::from_provider(&custom, "provider").map(|m| Self(Inner::Js(m)))
            }
            _ => {
                let spec: ProviderSpec = from_js(provider, "provider")?;
                Ok(Self(Inner::Remote(spec.build()?)))
            }
        }
    }
}
