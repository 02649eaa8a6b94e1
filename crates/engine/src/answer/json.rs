//! Structured answers: the JSON value a reply ends with — a fenced ```` ```json ```` block, else
//! the last JSON object or array in the text — keyed by its canonical form, so that two replies
//! with the same value vote together whatever their key order, spacing or `1` versus `1.0`.
//!
//! An optional JSON Schema (checked with the `jsonschema` crate, behind the `json-schema` feature)
//! makes a value that does not fit it "no answer".

use serde_json::Value;

/// The part of a reply searched for a bare JSON value: its end, where answers are. Bounds the
/// work on a megabyte of model output.
const WINDOW_BYTES: usize = 64 * 1024;

/// Parse attempts that may fail before the search gives up (each costs at most the window).
const MAX_FAILED_ATTEMPTS: usize = 256;

/// The JSON answer of `text`: the last fenced JSON block that parses, else the last object or
/// array in its final [`WINDOW_BYTES`].
pub(crate) fn last_json(text: &str) -> Option<Value> {
    fenced(text).or_else(|| last_bare_value(text))
}

/// The content of the last ```` ```json ```` (or bare ```` ``` ````) block, if it parses.
fn fenced(text: &str) -> Option<Value> {
    let mut found = None;
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = rest.get(open + 3..)?;
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let language = after.get(..body_start).unwrap_or_default().trim();
        let body = after.get(body_start..).unwrap_or_default();
        let Some(close) = body.find("```") else { break };
        let parsed = serde_json::from_str::<Value>(body.get(..close).unwrap_or_default());
        if let (true, Ok(value)) =
            (language.is_empty() || language.eq_ignore_ascii_case("json"), parsed)
        {
            found = Some(value);
        }
        rest = body.get(close + 3..).unwrap_or_default();
    }
    found.filter(|v| v.is_object() || v.is_array())
}

/// The last object or array in the end of `text`: each `{` or `[` is tried as the start of a
/// value; a value that parses is skipped over whole, so its own brackets are not retried.
fn last_bare_value(text: &str) -> Option<Value> {
    let mut start = text.len().saturating_sub(WINDOW_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = text.get(start..)?;
    let mut last = None;
    let mut failed = 0;
    let mut at = 0;
    while let Some(offset) = window.get(at..)?.find(['{', '[']) {
        let from = at + offset;
        let mut values =
            serde_json::Deserializer::from_str(window.get(from..)?).into_iter::<Value>();
        match values.next() {
            Some(Ok(value)) => {
                last = Some(value);
                at = from + values.byte_offset().max(1);
            }
            _ => {
                failed += 1;
                if failed > MAX_FAILED_ATTEMPTS {
                    break;
                }
                at = from + 1;
            }
        }
    }
    last
}

/// `value` in canonical form: object keys sorted (serde_json's map is ordered), and numbers that
/// are whole written as integers.
pub(crate) fn canonical(value: Value) -> Value {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(f) if number.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Value::from(f as i64)
            }
            _ => Value::Number(number),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Object(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        other => other,
    }
}

/// A compiled JSON Schema that answers must fit.
#[derive(Clone)]
pub(crate) struct Schema(#[cfg(feature = "json-schema")] std::sync::Arc<jsonschema::Validator>);

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schema")
    }
}

impl Schema {
    /// Compiles `schema`; the error says why it is not a valid JSON Schema.
    pub(crate) fn compile(schema: &Value) -> Result<Self, String> {
        #[cfg(feature = "json-schema")]
        {
            jsonschema::validator_for(schema)
                .map(|v| Self(std::sync::Arc::new(v)))
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "json-schema"))]
        {
            let _ = schema;
            Err("this build of thinkscale-engine has no JSON Schema support (feature `json-schema`)"
                .to_owned())
        }
    }

    /// Whether `value` fits the schema.
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        #[cfg(feature = "json-schema")]
        {
            self.0.is_valid(value)
        }
        #[cfg(not(feature = "json-schema"))]
        {
            let _ = value;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fenced_blocks_win_then_the_last_bare_value() {
        let text = "Plan: {\"draft\": 1}\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```\nDone.";
        assert_eq!(last_json(text), Some(json!({"name": "Ada", "age": 36})));
        let bare = "First {\"a\": 1} then the answer: {\"a\": {\"b\": [1, 2]}}.";
        assert_eq!(last_json(bare), Some(json!({"a": {"b": [1, 2]}})));
        assert_eq!(last_json("no json here, just {braces"), None);
        assert_eq!(last_json("```python\nprint({1: 2})\n```"), None);
    }

    #[test]
    fn canonical_values_ignore_order_spacing_and_whole_floats() {
        let a = canonical(serde_json::from_str(r#"{"b": 2.0, "a": [1.0, "x"]}"#).unwrap());
        let b = canonical(serde_json::from_str(r#"{ "a":[1,"x"],"b":2 }"#).unwrap());
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a.to_string(), r#"{"a":[1,"x"],"b":2}"#);
    }

    #[test]
    fn a_megabyte_of_brackets_is_searched_in_bounded_time() {
        let hostile = "{\"a\": [".repeat(200_000);
        assert_eq!(last_json(&hostile), None);
    }
}
