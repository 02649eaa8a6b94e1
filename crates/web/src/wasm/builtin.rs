//! The `{ kind: "builtin" }` provider. The built-in model runs in a Web Worker that only its
//! browser entry knows how to start (`web/builtin/builtin.js`); whoever owns that entry — the npm
//! package's `index.js`, the live view — hands its loader over as a [`BuiltinLoader`] value. The
//! loader turns the options into a custom provider (a `generate` function that loads the weights on
//! first use), so the engine treats both alike. Without one (Node), `"builtin"` is a clear error.

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::convert::from_js;
use super::js_model::without_functions;
use crate::error::Failure;
use crate::provider_options::BuiltinProvider;

/// The JavaScript function `(options) => CustomProvider` that starts the built-in model's Worker:
/// `builtinProvider` of `web/builtin/builtin.js`. A value its owner passes in, not a page-wide
/// registry, so two engines on one page can load the model differently.
#[derive(Debug, Clone)]
pub struct BuiltinLoader(Function);

impl BuiltinLoader {
    /// Wraps the loader function.
    pub fn new(loader: Function) -> Self {
        Self(loader)
    }

    /// The custom provider for a `{ kind: "builtin", model, … }` option.
    pub(crate) fn provider(&self, provider: &JsValue) -> Result<JsValue, Failure> {
        let spec: BuiltinProvider =
            from_js(&without_functions(provider, &["onProgress"], "provider")?, "provider")?;
        if spec.model.trim().is_empty() {
            return Err(Failure::config("provider.model", "must be the URL of a GGUF file"));
        }
        self.0.call1(&JsValue::UNDEFINED, provider).map_err(|e| {
            Failure::config("provider", format!("the built-in model could not start: {e:?}"))
        })
    }
}

/// What a `{ kind: "builtin" }` option gets where no loader was given.
pub(crate) fn no_builtin_loader() -> Failure {
    Failure::config(
        "provider.kind",
        "\"builtin\" runs in a browser Web Worker and is not available here (Node): use an HTTP \
         provider or { kind: \"custom\" }",
    )
}
