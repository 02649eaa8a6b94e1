//! [`RunStream`]: a run as an async iterator of events (`for await (const e of engine.stream(…))`).
//!
//! The run pushes events into a queue; `next()` takes from it or waits for the next one. When the
//! run ends, the iterator is done — or, if the run rejected (aborted, no answer), `next()` rejects
//! with the same error the promise of `engine.run` would have. Leaving the loop early (`break`
//! calls `return()`) aborts the run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use thinkscale_engine::CancelToken;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function asyncIterable(it) { \
    it[Symbol.asyncIterator] = function () { return this; }; return it; }")]
extern "C" {
    /// Makes the iterator usable with `for await`.
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(iterator: JsValue) -> JsValue;
}

/// The queue between a running run and its iterator.
#[derive(Debug, Default)]
pub(crate) struct StreamState {
    events: VecDeque<JsValue>,
    /// How the run ended, once it has and the iterator has not yet reported it.
    end: Option<Result<(), JsValue>>,
    /// `next()` calls waiting for events, oldest first: their promises' resolve and reject.
    waiting: VecDeque<(Function, Function)>,
    /// The consumer called `return()`: events and the ending are dropped.
    closed: bool,
}

fn iterator_result(value: &JsValue, done: bool) -> JsValue {
    let result = Object::new();
    let _ = Reflect::set(&result, &"value".into(), value);
    let _ = Reflect::set(&result, &"done".into(), &done.into());
    result.into()
}

impl StreamState {
    /// Hands an event to a waiting `next()`, or queues it.
    pub(crate) fn push(&mut self, event: JsValue) {
        if self.closed {
            return;
        }
        match self.waiting.pop_front() {
            Some((resolve, _)) => {
                let _ = resolve.call1(&JsValue::UNDEFINED, &iterator_result(&event, false));
            }
            None => self.events.push_back(event),
        }
    }

    /// Records how the run ended; waiting `next()` calls learn it now (the first gets the
    /// error, if there is one; the others, and later calls, are done).
    pub(crate) fn finish(&mut self, end: Result<(), JsValue>) {
        if self.closed {
            return;
        }
        if self.waiting.is_empty() {
            self.end = Some(end);
            return;
        }
        self.closed = true;
        let mut end = Some(end);
        while let Some((resolve, reject)) = self.waiting.pop_front() {
            match end.take() {
                Some(Err(error)) => {
                    let _ = reject.call1(&JsValue::UNDEFINED, &error);
                }
                _ => self.resolve_done(&resolve),
            }
        }
    }

    fn resolve_done(&self, resolve: &Function) {
        let _ = resolve.call1(&JsValue::UNDEFINED, &iterator_result(&JsValue::UNDEFINED, true));
    }
}

/// The promise for a call that arrived while the queue was in use (a call from inside a call:
/// never from plain JavaScript, which cannot interleave, but the boundary must not panic).
fn busy() -> Promise {
    Promise::reject(&js_sys::Error::new("the run's event stream is busy; call again").into())
}

/// The iterator `engine.stream()` returns.
#[wasm_bindgen]
#[derive(Debug)]
pub struct RunStream {
    state: Rc<RefCell<StreamState>>,
    cancel: CancelToken,
}

impl RunStream {
    /// An iterator over the events pushed into `state`; `cancel` stops the run behind it.
    pub(crate) fn iterator(state: Rc<RefCell<StreamState>>, cancel: CancelToken) -> JsValue {
        async_iterable(Self { state, cancel }.into())
    }
}

#[wasm_bindgen]
impl RunStream {
    /// The next event; `{ done: true }` after the run ended.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<RunEvent, undefined>>")]
    pub fn next(&self) -> Promise {
        let Ok(mut state) = self.state.try_borrow_mut() else { return busy() };
        if let Some(event) = state.events.pop_front() {
            return Promise::resolve(&iterator_result(&event, false));
        }
        let done = || Promise::resolve(&iterator_result(&JsValue::UNDEFINED, true));
        if state.closed {
            return done();
        }
        match state.end.take() {
            Some(Ok(())) => {
                state.closed = true;
                done()
            }
            Some(Err(error)) => {
                state.closed = true;
                Promise::reject(&error)
            }
            None => Promise::new(&mut |resolve, reject| state.waiting.push_back((resolve, reject))),
        }
    }

    /// Stops the run and ends the iteration (what `break` in a `for await` loop calls).
    #[wasm_bindgen(
        js_name = "return",
        unchecked_return_type = "Promise<IteratorResult<RunEvent, undefined>>"
    )]
    pub fn finish_early(&self) -> Promise {
        self.cancel.cancel();
        let Ok(mut state) = self.state.try_borrow_mut() else { return busy() };
        state.closed = true;
        state.events.clear();
        while let Some((resolve, _)) = state.waiting.pop_front() {
            state.resolve_done(&resolve);
        }
        Promise::resolve(&iterator_result(&JsValue::UNDEFINED, true))
    }
}
