//! [`provider_model`]: the engine model behind a `provider` option — an HTTP provider of the
//! providers crate, or a JavaScript function (`custom`, and `builtin`, which a [`BuiltinLoader`]
//! turns into one). The `Engine` class and the live view both run on it.

use thinkscale_engine::model::BoxModel;
use thinkscale_providers::ProviderSpec;
use wasm_bindgen::JsValue;

use super::builtin::{BuiltinLoader, no_builtin_loader};
use super::convert::from_js;
use super::js_model::JsModel;
use crate::error::Failure;

/// The model a `provider` option describes (`{ kind: "openai" | "anthropic" | "gemini" |
/// "builtin" | "custom", … }`), boxed; the failure names the field at fault. `builtin` starts the
/// built-in model, where there is one (a browser page).
pub fn provider_model(
    provider: &JsValue,
    builtin: Option<&BuiltinLoader>,
) -> Result<BoxModel, Failure> {
    let text =
        |key: &str| js_sys::Reflect::get(provider, &key.into()).ok().and_then(|v| v.as_string());
    let key = text("apiKey").filter(|k| !k.trim().is_empty());
    build(provider, &text("kind").unwrap_or_default(), builtin).map_err(|mut failure| {
        // serde quotes the values it rejects: a key put under the wrong option must not
        // come back in the message.
        if let Some(key) = &key {
            failure.message = failure.message.replace(key.trim(), "***");
        }
        failure
    })
}

/// Makes the model of `kind`.
fn build(
    provider: &JsValue,
    kind: &str,
    builtin: Option<&BuiltinLoader>,
) -> Result<BoxModel, Failure> {
    match kind {
        "custom" => JsModel::from_provider(provider, "provider").map(BoxModel::new),
        "builtin" => {
            let custom = builtin.ok_or_else(no_builtin_loader)?.provider(provider)?;
            JsModel::from_provider(&custom, "provider").map(BoxModel::new)
        }
        _ => {
            let spec: ProviderSpec = from_js(provider, "provider")?;
            Ok(spec.build()?)
        }
    }
}
