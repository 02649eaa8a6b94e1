//! Failures as JavaScript `Error`s: `name` and `code` per kind (see [`ErrorCode`]), plus `field`,
//! `status`, `providerMessage` and, for runs that ended without an answer, `result`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::error::{ErrorCode, Failure};

fn set(error: &js_sys::Error, key: &str, value: &JsValue) {
    let _ = Reflect::set(error, &key.into(), value);
}

/// The `Error` to throw for `failure`; `result` is the partial run result, when there is one.
pub fn failure_to_js(failure: &Failure, result: Option<&JsValue>) -> JsValue {
    let error = js_sys::Error::new(&failure.message);
    error.set_name(failure.code.error_name());
    set(&error, "code", &failure.code.as_str().into());
    if let Some(field) = &failure.field {
        set(&error, "field", &field.into());
    }
    if let Some(status) = failure.status {
        set(&error, "status", &status.into());
    }
    if let Some(message) = &failure.provider_message {
        set(&error, "providerMessage", &message.into());
    }
    if let Some(result) = result {
        set(&error, "result", result);
    }
    error.into()
}

/// The `AbortError` of an aborted run (the name `fetch` uses, so one `catch` handles both).
pub fn abort_error(result: Option<&JsValue>) -> JsValue {
    failure_to_js(&Failure::new(ErrorCode::Aborted, "the run was aborted"), result)
}
