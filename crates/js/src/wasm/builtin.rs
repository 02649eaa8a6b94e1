//! The `{ kind: "builtin" }` provider. The built-in model runs in a Web Worker that the package's
//! browser entry knows how to start (`web/builtin/builtin.js`); that entry registers a loader here
//! with `registerBuiltinLoader`. The loader turns the options into a custom provider (a
//! `generate` function that loads the weights on first use), so the engine treats both alike.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::convert::from_js;
use super::js_model::without_functions;
use crate::error::Failure;
use crate::options::BuiltinProvider;

thread_local! {
    static LOADER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the function that makes a custom provider of the built-in model's Worker. Called
/// by the package's browser entry; not needed by applications.
#[wasm_bindgen(js_name = registerBuiltinLoader)]
pub fn register_builtin_loader(loader: Function) {
    LOADER.with(|slot| *slot.borrow_mut() = Some(loader));
}

/// The custom provider for a `{ kind: "builtin", model, … }` option.
pub(crate) fn builtin_provider(provider: &JsValue) -> Result<JsValue, Failure> {
    let spec: BuiltinProvider =
        from_js(&without_functions(provider, &["onProgress"], "provider")?, "provider")?;
    if spec.model.trim().is_empty() {
        return Err(Failure::config("provider.model", "must be the URL of a GGUF file"));
    }
    let loader = LOADER.with(|slot| slot.borrow().clone()).ok_or_else(|| {
        Failure::config(
            "provider.kind",
            "\"builtin\" runs in a browser Web Worker and is not available here (Node): use an \
             HTTP provider or { kind: \"custom\" }",
        )
    })?;
    loader.call1(&JsValue::UNDEFINED, provider).map_err(|e| {
        Failure::config("provider", format!("the built-in model could not start: {e:?}"))
    })
}
