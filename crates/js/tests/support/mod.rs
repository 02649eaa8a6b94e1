//! What the bindings' browser tests share: reading JS values and making fixtures.

#![allow(dead_code)] // each test file uses some of these

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// `value[key]`.
pub(crate) fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// `value[key]` as a string (empty if it is not one).
pub(crate) fn string(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_default()
}

/// Evaluates a JS expression (test fixtures are easiest to write in JS).
pub(crate) fn js(expression: &str) -> JsValue {
    Function::new_no_args(&format!("return ({expression});")).call0(&JsValue::NULL).unwrap()
}

/// The promise's outcome.
pub(crate) async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}
