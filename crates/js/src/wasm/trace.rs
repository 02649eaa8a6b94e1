//! Trace import, export and replay for JavaScript: a trace is checked event by event on the way
//! in (`importTrace` throws `InvalidTraceError` with the index of the first bad event), and a
//! stored trace replays to the same result a live run returned — no model, no key needed.

use thinkscale_engine::{RunState, Trace};
use wasm_bindgen::prelude::*;

use thinkscale_web::{ErrorCode, Failure, failure_to_js, json_of, to_js};

use crate::options::RunResult;

/// A trace (JSON text or object), checked, and the state it replays to: read and folded once.
fn open(trace: &JsValue) -> Result<(Trace, RunState), Failure> {
    let json = match trace.as_string() {
        Some(json) => json,
        None => {
            json_of(trace, "trace").map_err(|f| Failure::new(ErrorCode::InvalidTrace, f.message))?
        }
    };
    Ok(Trace::open(&json)?)
}

fn parse(trace: &JsValue) -> Result<Trace, Failure> {
    open(trace).map(|(trace, _)| trace)
}

fn js_result<T: serde::Serialize>(value: Result<T, Failure>) -> Result<JsValue, JsValue> {
    let value = value.map_err(|f| failure_to_js(&f, None))?;
    to_js(&value).map_err(|e| js_sys::Error::new(&e).into())
}

/// Checks a trace (JSON text or object) and returns it as an object.
#[wasm_bindgen(js_name = importTrace, unchecked_return_type = "Trace")]
pub fn import_trace(
    #[wasm_bindgen(unchecked_param_type = "string | Trace")] trace: JsValue,
) -> Result<JsValue, JsValue> {
    js_result(parse(&trace))
}

/// A trace as JSON text, checked first. With `withoutDeltas`, streamed token deltas are left out:
/// much smaller, and it replays to the same result.
#[wasm_bindgen(js_name = exportTrace)]
pub fn export_trace(
    #[wasm_bindgen(unchecked_param_type = "string | Trace")] trace: JsValue,
    without_deltas: Option<bool>,
) -> Result<String, JsValue> {
    let trace = parse(&trace).map_err(|f| failure_to_js(&f, None))?;
    let trace = if without_deltas.unwrap_or(false) { trace.without_deltas() } else { trace };
    trace.to_json().map_err(|e| failure_to_js(&e.into(), None))
}

/// The result a stored trace describes, rebuilt by replaying its events.
#[wasm_bindgen(js_name = replayTrace, unchecked_return_type = "RunResult")]
pub fn replay_trace(
    #[wasm_bindgen(unchecked_param_type = "string | Trace")] trace: JsValue,
) -> Result<JsValue, JsValue> {
    js_result(open(&trace).and_then(|(trace, state)| {
        let outcome = state.outcome.ok_or_else(|| {
            Failure::new(ErrorCode::InvalidTrace, "the trace has no runFinished event")
        })?;
        Ok(RunResult::new(outcome, state.nodes, trace))
    }))
}
