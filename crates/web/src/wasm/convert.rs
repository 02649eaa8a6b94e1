//! Crossing the boundary: Rust values to plain JS objects and back.
//!
//! Values go out as JSON text (serde_json) that `JSON.parse` turns into plain objects — not `Map`s,
//! integers as numbers — exactly as the generated TypeScript declarations describe them. Values
//! come in as JSON text (`JSON.stringify`) read by serde_json: the providers and trace import need serde_json's
//! deserializers anyway, and one set of them instead of two keeps the wasm small. Values that do
//! not fit — NaN and infinities included — become an `invalid_config` failure naming the option.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::error::Failure;

/// A Rust value as a plain JS value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&text).map_err(|e| format!("{e:?}"))
}

#[wasm_bindgen(inline_js = r#"
export function stringifyFinite(value) {
  const paths = new Map();
  let bad;
  const text = JSON.stringify(value, function (key, item) {
    const parent = paths.get(this);
    const here = parent ? `${parent}.${key}` : key;
    if (item !== null && typeof item === "object") paths.set(item, here);
    if (typeof item === "number" && !Number.isFinite(item) && bad === undefined) bad = here;
    return item;
  });
  return [text, bad];
}
"#)]
extern "C" {
    /// `JSON.stringify`, also reporting the path of the first NaN or ±Infinity (which JSON
    /// writes as `null`, silently turning a limit into "no limit"). Throws what stringify throws.
    #[wasm_bindgen(catch, js_name = stringifyFinite)]
    fn stringify_finite(value: &JsValue) -> Result<js_sys::Array, JsValue>;
}

/// A JS value as JSON text (functions and `undefined` fields left out). A number that is NaN or
/// infinite anywhere inside is refused, naming where: JSON would write it as `null`, and an
/// option set to `NaN` must not quietly become "unset".
pub fn json_of(value: &JsValue, field: &str) -> Result<String, Failure> {
    let not_json =
        || Failure::config(field, "is not JSON data (a cycle, a BigInt, or a toJSON that throws?)");
    let parts = stringify_finite(value).map_err(|_| not_json())?;
    if let Some(path) = parts.get(1).as_string() {
        let at = if path.is_empty() { field.to_owned() } else { format!("{field}.{path}") };
        return Err(Failure::config(at, "must be a finite number (got NaN or Infinity)"));
    }
    parts.get(0).as_string().ok_or_else(not_json)
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

/// A JS value read as `T`; the failure names the field at fault — `field` and the path inside it
/// (`messages[2].role`, `strategy.sampling.topP`) — and serde's message says what is wrong with
/// it (an unknown key, a missing one, a wrong type).
pub fn from_js<T: DeserializeOwned>(value: &JsValue, field: &str) -> Result<T, Failure> {
    let text = json_of(value, field)?;
    let mut reader = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let at = field_path(field, &e.path().to_string());
        Failure::config(at, without_position(e.inner()))
    })
}

/// `field` followed by serde's path inside it (`.` is the value itself).
fn field_path(field: &str, inner: &str) -> String {
    match inner {
        "." | "" => field.to_owned(),
        index if index.starts_with('[') => format!("{field}{index}"),
        key => format!("{field}.{key}"),
    }
}
