//! Reading what JavaScript passes to `engine.run`: the input (a question, turns, or
//! `{ messages }`) and option objects field by field, so that every wrong value is refused with
//! the name of the field at fault — never left to wasm-bindgen's own conversions.

use js_sys::{Function, Object, Reflect};
use thinkscale_engine::Task;
use wasm_bindgen::{JsCast, JsValue};

use thinkscale_web::{Failure, from_js};

/// What to answer: a question (a string), a conversation (an array of `{ role, content }`
/// turns), or `{ messages }`. Anything else is named in the error, not left to wasm-bindgen's
/// own conversion (which threw `arg.charCodeAt is not a function` for an array).
pub(super) fn task_of(input: &JsValue) -> Result<Task, Failure> {
    if let Some(question) = input.as_string() {
        return Ok(Task::new(question));
    }
    if js_sys::Array::is_array(input) {
        return Ok(Task::conversation(from_js(input, "messages")?));
    }
    if input.is_object() && !input.is_function() {
        check_keys(input, &["messages"], "run inputs")?;
        let messages = field(input, "messages").ok_or_else(|| {
            Failure::config("messages", "is required: an array of { role, content } turns")
        })?;
        return Ok(Task::conversation(from_js(&messages, "messages")?));
    }
    Err(Failure::config(
        "question",
        "must be a string, an array of { role, content } messages, or { messages }",
    ))
}

/// `object[key]` as a function, if it is set; anything else is refused naming `key`.
pub(super) fn function_option(object: &JsValue, key: &str) -> Result<Option<Function>, Failure> {
    field(object, key)
        .map(|value| {
            value.dyn_into::<Function>().map_err(|_| Failure::config(key, "must be a function"))
        })
        .transpose()
}

/// `object[key]` read as `T`, if it is set; the failure names `key`.
pub(super) fn optional<T: serde::de::DeserializeOwned>(
    object: &JsValue,
    key: &str,
) -> Result<Option<T>, Failure> {
    field(object, key).map(|value| from_js(&value, key)).transpose()
}

/// The value of `object[key]`, if it is set (not `undefined` or `null`).
pub(super) fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(object, &key.into()).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// Rejects keys that are not options: a typo must not silently fall back to a default.
pub(super) fn check_keys(object: &JsValue, known: &[&str], what: &str) -> Result<(), Failure> {
    let Some(object) = object.dyn_ref::<Object>() else {
        return Err(Failure::config(what, "must be an object"));
    };
    for key in Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(Failure::config(
                &key,
                format!("is not one of the {what} (known: {})", known.join(", ")),
            ));
        }
    }
    Ok(())
}
