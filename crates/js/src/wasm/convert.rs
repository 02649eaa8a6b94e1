//! Crossing the boundary: Rust values to plain JS objects and back.
//!
//! Values go out through serde-wasm-bindgen, JSON-shaped (objects, not `Map`s; integers as
//! numbers), exactly as the generated TypeScript declarations describe them. Values come in as
//! JSON text (`JSON.stringify`) read by serde_json: the providers and trace import need serde_json's
//! deserializers anyway, and one set of them instead of two keeps the wasm small. Values that do
//! not fit become an `invalid_config` failure naming the option.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::error::Failure;

/// A Rust value as a plain JS value.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&text).map_err(|e| format!("{e:?}"))
}

/// A JS value as JSON text (functions and `undefined` fields left out).
pub(crate) fn json_of(value: &JsValue, field: &str) -> Result<String, Failure> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| Failure::config(field, "is not JSON data (a cycle, or a BigInt?)"))
}

/// serde_json's message without its position (`… at line 1 column 42`), which means nothing to
/// someone who passed an object rather than text.
pub(crate) fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) if error.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

/// A JS value read as `T`; the failure names `field`, and serde's message names what inside it
/// is wrong (an unknown key, a missing one, a wrong type).
pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue, field: &str) -> Result<T, Failure> {
    let text = json_of(value, field)?;
    serde_json::from_str(&text).map_err(|e| Failure::config(field, without_position(&e)))
}
