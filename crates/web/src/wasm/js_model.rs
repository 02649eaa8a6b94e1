//! [`JsModel`]: an engine [`Model`] whose calls go to a JavaScript `generate` function — the
//! `{ kind: "custom" }` provider, and the built-in model (whose Worker handle the package's entry
//! wraps in the same shape).
//!
//! Each call gets its own `AbortController`; dropping the call's stream (the engine cancelling a
//! branch) aborts it. Deltas reported through `onDelta`, and choices reported complete through
//! `onFinish`, become the stream's chunks, in order, before the final response. The callbacks
//! are the caller's to misuse — call from a `toJSON`, pass junk, call after the end — and every
//! misuse becomes that call's error, never a panic.

use std::cell::{Cell, RefCell};
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
use crate::provider_options::{CustomProvider, Delta, FinishedChoice};

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
    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> {
        let call = self.start(&request);
        stream::unfold(Some(call), |state| async move {
            let mut call = match state? {
                Ok(call) => call,
                Err(error) => return Some((Err(error), None)),
            };
            if let Some(promise) = call.promise.as_mut() {
                match select(call.chunks.next(), promise).await {
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
            // Settled: chunks reported before the promise resolved come first.
            if let Ok(chunk) = call.chunks.try_recv() {
                return Some((Ok(chunk), Some(Ok(call))));
            }
            let misuse = call.shared.misuse.try_borrow_mut().ok().and_then(|mut m| m.take());
            // Copied out first: reading the response may run the caller's `toJSON`, which may
            // call `onDelta` again, and nothing may be borrowed while it does.
            let streamed = call.shared.texts.try_borrow().map(|t| t.clone()).unwrap_or_default();
            let item = match call.settled.take()? {
                Ok(_) if misuse.is_some() => {
                    Err(ModelError::new(ModelErrorKind::Protocol, misuse.unwrap_or_default()))
                }
                Ok(value) => response(&value, call.n, &streamed).map(Chunk::Done),
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

/// What a call's callbacks share with its stream. Every access is a `try_` borrow: the callbacks
/// are JavaScript's to call — from inside each other, from a `toJSON`, after the call ended — and
/// a borrow conflict must become an error, never a panic (a panic kills the page's module).
struct Shared {
    chunks: mpsc::UnboundedSender<Chunk>,
    /// Each choice's streamed text (the answer when `generate` resolves to nothing).
    texts: RefCell<Vec<String>>,
    /// The first misuse of a callback (an argument that is not a Delta, a nested call): the call
    /// fails with it.
    misuse: RefCell<Option<String>>,
    /// A callback is running: a second call from inside it (through a `toJSON`) is refused.
    busy: Cell<bool>,
}

impl Shared {
    fn refuse(&self, message: String) {
        if let Ok(mut misuse) = self.misuse.try_borrow_mut() {
            misuse.get_or_insert(message);
        }
    }

    /// Runs one callback unless another is running; `what` names it in the error.
    fn guarded(&self, what: &str, callback: impl FnOnce(&Self) -> Result<(), String>) {
        if self.busy.replace(true) {
            self.refuse(format!(
                "{what}() was called while a callback was still running (from a toJSON?)"
            ));
            return;
        }
        if let Err(message) = callback(self) {
            self.refuse(message);
        }
        self.busy.set(false);
    }

    fn delta(&self, value: &JsValue) -> Result<(), String> {
        let delta = match value.as_string() {
            Some(text) => Delta { choice: None, text, channel: None },
            None => from_js::<Delta>(value, "delta").map_err(|failure| {
                format!(
                    "onDelta() was called with something that is not a Delta: {}",
                    failure.message
                )
            })?,
        };
        let choice = delta.choice.unwrap_or(0);
        let channel = delta.channel.unwrap_or(Channel::Text);
        if channel == Channel::Text
            && let Ok(mut texts) = self.texts.try_borrow_mut()
            && let Some(text) = texts.get_mut(choice as usize)
        {
            text.push_str(&delta.text);
        }
        let _ = self.chunks.unbounded_send(Chunk::Delta { choice, channel, text: delta.text });
        Ok(())
    }

    fn finished(&self, value: &JsValue, n: u32) -> Result<(), String> {
        let FinishedChoice { choice, completion } =
            from_js(value, "finished").map_err(|failure| {
                format!(
                    "onFinish() was called with something that is not a FinishedChoice: {}",
                    failure.message
                )
            })?;
        if choice >= n {
            return Err(format!("onFinish() reported choice {choice} of a request of n = {n}"));
        }
        let _ = self.chunks.unbounded_send(Chunk::Finished { choice, completion });
        Ok(())
    }
}

/// One `generate` call in flight.
struct Call {
    promise: Option<JsFuture>,
    settled: Option<Result<JsValue, JsValue>>,
    chunks: mpsc::UnboundedReceiver<Chunk>,
    shared: Rc<Shared>,
    n: u32,
    guard: AbortOnDrop,
    /// The callbacks JS sees: guards around the closures, revoked before the closures are freed.
    callbacks: [JsValue; 2],
    /// Kept alive for as long as `generate` may call them.
    _closures: [Closure<dyn Fn(JsValue)>; 2],
}

impl Drop for Call {
    fn drop(&mut self) {
        for callback in &self.callbacks {
            if let Ok(revoke) = Reflect::get(callback, &"revoke".into())
                && let Some(revoke) = revoke.dyn_ref::<js_sys::Function>()
            {
                let _ = revoke.call0(&JsValue::UNDEFINED);
            }
        }
    }
}

impl JsModel {
    /// Calls `generate` with the request and a context of `{ signal, onDelta, onFinish }`.
    fn start(&self, request: &Request) -> Result<Call, ModelError> {
        let n = request.n.max(1);
        let (sender, chunks) = mpsc::unbounded::<Chunk>();
        let controller = AbortController::new()
            .map_err(|e| ModelError::new(ModelErrorKind::Other, format!("{e:?}")))?;
        let signal = controller.signal();
        let guard = AbortOnDrop(Some(controller));
        let shared = Rc::new(Shared {
            chunks: sender,
            texts: RefCell::new(vec![String::new(); n as usize]),
            misuse: RefCell::new(None),
            busy: Cell::new(false),
        });
        let on_delta = {
            let shared = Rc::clone(&shared);
            Closure::<dyn Fn(JsValue)>::new(move |value: JsValue| {
                shared.guarded("onDelta", |shared| shared.delta(&value));
            })
        };
        let on_finish = {
            let shared = Rc::clone(&shared);
            Closure::<dyn Fn(JsValue)>::new(move |value: JsValue| {
                shared.guarded("onFinish", |shared| shared.finished(&value, n));
            })
        };
        let callbacks = [guarded(on_delta.as_ref()), guarded(on_finish.as_ref())];
        let context = Object::new();
        let _ = Reflect::set(&context, &"signal".into(), &signal);
        let [delta_js, finish_js] = &callbacks;
        let _ = Reflect::set(&context, &"onDelta".into(), delta_js);
        let _ = Reflect::set(&context, &"onFinish".into(), finish_js);
        let request_js = to_js(request).map_err(|e| ModelError::new(ModelErrorKind::Other, e))?;
        let result = self
            .generate
            .call2(&JsValue::UNDEFINED, &request_js, &context)
            .map_err(|e| model_error(&e))?;
        Ok(Call {
            promise: Some(JsFuture::from(js_sys::Promise::resolve(&result))),
            settled: None,
            chunks,
            shared,
            n,
            guard,
            callbacks,
            _closures: [on_delta, on_finish],
        })
    }
}
