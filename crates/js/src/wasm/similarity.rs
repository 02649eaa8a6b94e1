//! The caller's measure of how alike two replies are, from JavaScript: `similarity(a, b)` (a
//! number in [0, 1]) or `embed(text)` (a vector; replies are compared by the cosine of theirs,
//! each text embedded once per run). The engine clusters free-form replies with it.
//!
//! The engine calls a similarity synchronously while it counts, so both functions must answer at
//! once: a Promise is refused (embed first, then pass `similarity`). Anything wrong — a throw, a
//! Promise, NaN, a number outside [0, 1], an empty or mismatched vector — is never counted as 0
//! silently: the first one is kept, the run is stopped (what finished is kept) and `engine.run`
//! rejects with a `CallbackError` saying which function did what.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Float64Array, Function, Reflect};
use thinkscale_engine::{CancelToken, Similarity};
use wasm_bindgen::JsValue;

/// Which function the caller gave.
#[derive(Debug, Clone)]
pub(crate) enum CallerSimilarity {
    /// `similarity(a, b) => number`.
    Pairwise(Function),
    /// `embed(text) => number[]`.
    Embed(Function),
}

impl CallerSimilarity {
    /// The option's name, as errors say it.
    fn name(&self) -> &'static str {
        match self {
            Self::Pairwise(_) => "similarity",
            Self::Embed(_) => "embed",
        }
    }
}

/// A [`Similarity`] that calls the caller's function and stops the run on its first failure.
pub(crate) struct JsSimilarity {
    function: CallerSimilarity,
    cancel: CancelToken,
    /// The first failure, shared with the run that reports it.
    failure: Rc<RefCell<Option<String>>>,
    /// Each text's embedding (`embed` only).
    vectors: RefCell<HashMap<String, Rc<Vec<f64>>>>,
}

impl JsSimilarity {
    /// Calls `function`; a failure cancels `cancel` and is left in `failure`.
    pub(crate) fn new(
        function: CallerSimilarity,
        cancel: CancelToken,
        failure: Rc<RefCell<Option<String>>>,
    ) -> Self {
        Self { function, cancel, failure, vectors: RefCell::new(HashMap::new()) }
    }

    fn measure(&self, a: &str, b: &str) -> Result<f64, String> {
        match &self.function {
            CallerSimilarity::Pairwise(function) => {
                let value = function
                    .call2(&JsValue::UNDEFINED, &a.into(), &b.into())
                    .map_err(|thrown| format!("similarity threw: {}", thrown_message(&thrown)))?;
                refuse_promise("similarity", &value, "a number")?;
                match value.as_f64() {
                    Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
                    _ => Err(format!(
                        "similarity returned {}: it must return a number between 0 and 1",
                        shown(&value)
                    )),
                }
            }
            CallerSimilarity::Embed(function) => {
                let (left, right) = (self.vector(function, a)?, self.vector(function, b)?);
                if left.len() != right.len() {
                    return Err(format!(
                        "embed returned vectors of different lengths ({} and {})",
                        left.len(),
                        right.len()
                    ));
                }
                cosine(&left, &right)
            }
        }
    }

    /// `text`'s embedding, computed once.
    fn vector(&self, function: &Function, text: &str) -> Result<Rc<Vec<f64>>, String> {
        if let Some(vector) = self.vectors.borrow().get(text) {
            return Ok(Rc::clone(vector));
        }
        let value = function
            .call1(&JsValue::UNDEFINED, &text.into())
            .map_err(|thrown| format!("embed threw: {}", thrown_message(&thrown)))?;
        refuse_promise("embed", &value, "an array of numbers")?;
        // An array, or a typed array (Float32Array from most embedding libraries).
        if !js_sys::Array::is_array(&value) && !js_sys::ArrayBuffer::is_view(&value) {
            return Err(format!(
                "embed returned {}: it must return an array of numbers",
                shown(&value)
            ));
        }
        let vector = Float64Array::new(&value).to_vec();
        if vector.is_empty() {
            return Err("embed returned an empty vector".to_owned());
        }
        if let Some(at) = vector.iter().position(|x| !x.is_finite()) {
            return Err(format!("embed returned a vector whose entry {at} is not a finite number"));
        }
        let vector = Rc::new(vector);
        self.vectors.borrow_mut().insert(text.to_owned(), Rc::clone(&vector));
        Ok(vector)
    }
}

impl Similarity for JsSimilarity {
    fn similarity(&self, a: &str, b: &str) -> f64 {
        if self.failure.borrow().is_some() {
            return 0.0; // the run is stopping; what it counts now is not reported as an answer
        }
        match self.measure(a, b) {
            Ok(value) => value,
            Err(message) => {
                *self.failure.borrow_mut() = Some(message);
                self.cancel.cancel();
                0.0
            }
        }
    }
}

impl std::fmt::Debug for JsSimilarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsSimilarity").field("function", &self.function.name()).finish()
    }
}

/// The cosine of two vectors, clamped to [0, 1] (opposite meanings are simply not alike); a
/// zero vector has no direction and is an error.
fn cosine(a: &[f64], b: &[f64]) -> Result<f64, String> {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        return Err("embed returned a zero vector, which has no direction to compare".to_owned());
    }
    Ok((dot / (na * nb)).clamp(0.0, 1.0))
}

/// A Promise (or any thenable) is refused: the engine counts synchronously.
fn refuse_promise(name: &str, value: &JsValue, wanted: &str) -> Result<(), String> {
    let thenable = value.is_object()
        && Reflect::get(value, &"then".into()).is_ok_and(|then| then.is_function());
    if thenable {
        return Err(format!(
            "{name} returned a Promise: it must return {wanted} at once (compute embeddings \
             before the run and look them up in `similarity`)"
        ));
    }
    Ok(())
}

/// What was thrown, as text.
pub(crate) fn thrown_message(thrown: &JsValue) -> String {
    Reflect::get(thrown, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value".to_owned())
}

/// A returned value, shown briefly in an error.
fn shown(value: &JsValue) -> String {
    if let Some(x) = value.as_f64() {
        return x.to_string();
    }
    if let Some(text) = value.as_string() {
        let short: String = text.chars().take(40).collect();
        return format!("the string {short:?}");
    }
    if value.is_undefined() {
        return "undefined".to_owned();
    }
    if value.is_null() {
        return "null".to_owned();
    }
    "an object".to_owned()
}
