//! [`JsModel`]: an engine [`Model`] whose calls go to a JavaScript `generate` function — the
//! `{ kind: "custom" }` provider, and the built-in model (whose Worker handle the package's entry
//! wraps in the same shape).
//!
//! Each call gets its own `AbortController`; dropping the call's stream (the engine cancelling a
//! branch) aborts it. Deltas reported through `onDelta` become the stream's chunks, in order,
//! before the final response.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{Stream, StreamExt, stream};
use js_sys::{Function, Object, Reflect};
use thinkscale_engine::model::{
    Capabilities, Channel, Chunk, Completion, Model, ModelError, ModelErrorKind, Request, Response,
    Usage,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use super::convert::{from_js, to_js};
use crate::error::Failure;
use crate::options::{CustomProvider, Delta};

#[wasm_bindgen(inline_js = "export function guarded(f) { \
    let alive = true; const g = (x) => { if (alive) f(x); }; \
    g.revoke = () => { alive = false; }; return g; }")]
extern "C" {
    /// Wraps `f` so that calls after `revoke()` do nothing: a provider may report a delta after
    /// the engine dropped its call (and the Rust closure behind `f`).
    fn guarded(f: &JsValue) -> JsValue;
}

/// A model implemented by a JavaScript function.
#[derive(Debug, Clone)]
pub(crate) struct JsModel {
    generate: Function,
    id: String,
    capabilities: Capabilities,
}

impl JsModel {
    /// Reads a `{ kind: "custom", generate, … }` object; the error names the field at fault.
    pub(crate) fn from_provider(provider: &JsValue, field: &str) -> Result<Self, Failure> {
        let generate = Reflect::get(provider, &"generate".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                Failure::config(format!("{field}.generate"), "must be an async function")
            })?;
        let plain = without_functions(provider, &["generate"], field)?;
        let spec: CustomProvider = from_js(&plain, field)?;
        let max_n = spec.max_n.unwrap_or(1);
        if max_n == 0 {
            return Err(Failure::config(format!("{field}.maxN"), "must be at least 1"));
        }
        Ok(Self {
            generate,
            id: spec.id.unwrap_or_else(|| "custom".to_owned()),
            capabilities: Capabilities {
                max_n,
                logprobs: spec.logprobs.unwrap_or(false),
                streaming: true,
                reasoning: spec.reasoning.unwrap_or(false),
            },
        })
    }
}

/// A shallow copy of `value` without its function-valued properties, so that serde reads only
/// the data fields. A function under a name not in `functions` is refused (a misspelled
/// `generate` or `onProgress` must not be ignored silently); `field` names the option.
pub(crate) fn without_functions(
    value: &JsValue,
    functions: &[&str],
    field: &str,
) -> Result<JsValue, Failure> {
    let copy = Object::new();
    if let Some(object) = value.dyn_ref::<Object>() {
        for key in Object::keys(object).iter() {
            let Ok(item) = Reflect::get(value, &key) else { continue };
            let name = key.as_string().unwrap_or_default();
            if !item.is_function() {
                let _ = Reflect::set(&copy, &key, &item);
            } else if !functions.contains(&name.as_str()) {
                return Err(Failure::config(
                    format!("{field}.{name}"),
                    format!("is not an option here (functions: {})", functions.join(", ")),
                ));
            }
        }
    }
    Ok(copy.into())
}

/// Aborts the call's controller when the stream is dropped before the call settled.
struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

/// Turns whatever `generate` threw or rejected with into a model error: an `AbortError` is a
/// cancellation; a `kind` or an HTTP `status` on the error says which failure it was.
fn model_error(value: &JsValue) -> ModelError {
    let get = |key: &str| Reflect::get(value, &key.into()).ok();
    let name = get("name").and_then(|v| v.as_string()).unwrap_or_default();
    let message = get("message")
        .and_then(|v| v.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "the custom provider failed".to_owned());
    let status = get("status").and_then(|v| v.as_f64()).map(|s| s as u16);
    let named = get("kind").and_then(|v| from_js::<ModelErrorKind>(&v, "kind").ok());
    let kind = match (named, status) {
        _ if name == "AbortError" => ModelErrorKind::Cancelled,
        (Some(kind), _) => kind,
        (None, Some(status)) => ModelErrorKind::from_status(status),
        _ if name == "TypeError" => ModelErrorKind::Network,
        _ => ModelErrorKind::Other,
    };
    let error = ModelError::new(kind, message);
    match status {
        Some(status) => error.with_status(status),
        None => error,
    }
}

/// Reads what `generate` resolved to: a response with `n` completions, or a string when `n` = 1.
fn response(value: &JsValue, n: u32, streamed: &[String]) -> Result<Response, ModelError> {
    let protocol = |reason: String| ModelError::new(ModelErrorKind::Protocol, reason);
    let response = if let Some(text) = value.as_string() {
        let usage = Usage::default();
        Response { completions: vec![Completion::new(text, usage)] }
    } else if value.is_undefined() || value.is_null() {
        // Nothing returned: the streamed text is the answer.
        let completions = (0..n as usize)
            .map(|i| {
                Completion::new(streamed.get(i).cloned().unwrap_or_default(), Usage::default())
            })
            .collect();
        Response { completions }
    } else {
        from_js::<Response>(value, "response").map_err(|e| {
            protocol(format!("generate() resolved to something that is not a ModelResponse: {e}"))
        })?
    };
    if response.completions.len() != n as usize {
        return Err(protocol(format!(
            "generate() returned {} completions for a request of n = {n}",
            response.completions.len()
        )));
    }
    Ok(response)
}

impl Model for JsModel {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        thinkscale_engine::model::response_of(self.stream(request)).await
    }

    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> {
        let call = self.start(&request);
        stream::unfold(Some(call), |state| async move {
            let mut call = match state? {
                Ok(call) => call,
                Err(error) => return Some((Err(error), None)),
            };
            if let Some(promise) = call.promise.as_mut() {
                match select(call.deltas.next(), promise).await {
                    Either::Left((Some(chunk), _)) => return Some((Ok(chunk), Some(Ok(call)))),
                    Either::Left((None, _)) => {
                        if let Some(promise) = call.promise.take() {
                            call.settled = Some(promise.await);
                        }
                    }
                    Either::Right((settled, _)) => call.settled = Some(settled),
                }
                call.promise = None;
            }
            // Settled: deltas reported before the promise resolved come first.
            if let Ok(chunk) = call.deltas.try_recv() {
                return Some((Ok(chunk), Some(Ok(call))));
            }
            let bad_delta = call.bad_delta.borrow_mut().take();
            let item = match call.settled.take()? {
                Ok(_) if bad_delta.is_some() => Err(ModelError::new(
                    ModelErrorKind::Protocol,
                    format!(
                        "onDelta() was called with something that is not a Delta: {}",
                        bad_delta.unwrap_or_default()
                    ),
                )),
                Ok(value) => response(&value, call.n, &call.streamed.borrow()).map(Chunk::Done),
                Err(error) => Err(model_error(&error)),
            };
            call.guard.disarm();
            Some((item, None))
        })
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn id(&self) -> &str {
        &self.id
    }
}

/// One `generate` call in flight.
struct Call {
    promise: Option<JsFuture>,
    settled: Option<Result<JsValue, JsValue>>,
    deltas: mpsc::UnboundedReceiver<Chunk>,
    streamed: Rc<RefCell<Vec<String>>>,
    /// The first `onDelta` argument that was not a delta: the call fails with it.
    bad_delta: Rc<RefCell<Option<String>>>,
    n: u32,
    guard: AbortOnDrop,
    /// The `onDelta` JS sees: a guard around the closure, revoked before the closure is freed.
    on_delta: JsValue,
    /// Kept alive for as long as `generate` may call it.
    _closure: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Call {
    fn drop(&mut self) {
        if let Ok(revoke) = Reflect::get(&self.on_delta, &"revoke".into())
            && let Some(revoke) = revoke.dyn_ref::<js_sys::Function>()
        {
            let _ = revoke.call0(&JsValue::UNDEFINED);
        }
    }
}

impl JsModel {
    /// Calls `generate` with the request and a context of `{ signal, onDelta }`.
    fn start(&self, request: &Request) -> Result<Call, ModelError> {
        let n = request.n.max(1);
        let (sender, deltas) = mpsc::unbounded::<Chunk>();
        let streamed = Rc::new(RefCell::new(vec![String::new(); n as usize]));
        let controller = AbortController::new()
            .map_err(|e| ModelError::new(ModelErrorKind::Other, format!("{e:?}")))?;
        let signal = controller.signal();
        let guard = AbortOnDrop(Some(controller));
        let texts = Rc::clone(&streamed);
        let malformed = Rc::new(RefCell::new(None::<String>));
        let bad_delta = Rc::clone(&malformed);
        let on_delta = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
            let delta = match value.as_string() {
                Some(text) => Delta { choice: None, text, channel: None },
                None => match from_js::<Delta>(&value, "delta") {
                    Ok(delta) => delta,
                    Err(failure) => {
                        malformed.borrow_mut().get_or_insert(failure.message);
                        return;
                    }
                },
            };
            let choice = delta.choice.unwrap_or(0);
            let channel = delta.channel.unwrap_or(Channel::Text);
            if channel == Channel::Text
                && let Some(text) = texts.borrow_mut().get_mut(choice as usize)
            {
                text.push_str(&delta.text);
            }
            let _ = sender.unbounded_send(Chunk::Delta { choice, channel, text: delta.text });
        });
        let on_delta_js = guarded(on_delta.as_ref());
        let context = Object::new();
        let _ = Reflect::set(&context, &"signal".into(), &signal);
        let _ = Reflect::set(&context, &"onDelta".into(), &on_delta_js);
        let request_js = to_js(request).map_err(|e| ModelError::new(ModelErrorKind::Other, e))?;
        let result = self
            .generate
            .call2(&JsValue::UNDEFINED, &request_js, &context)
            .map_err(|e| model_error(&e))?;
        Ok(Call {
            promise: Some(JsFuture::from(js_sys::Promise::resolve(&result))),
            settled: None,
            deltas,
            streamed,
            bad_delta,
            n,
            guard,
            on_delta: on_delta_js,
            _closure: on_delta,
        })
    }
}
