//! The `Engine` class: a provider chosen from plain options, and `run` / `stream`, which turn a
//! question and run options into the engine's strategy, task and budget, run it, and report every
//! event to `onEvent` (or the stream) and the result to the promise.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use js_sys::{Function, Object, Promise, Reflect};
use thinkscale_engine::model::{BoxModel, Model};
use thinkscale_engine::{
    Budget, CancelToken, ChainOfThought, Event, Flow, Pricing, RecordingSink, Runner, Sink,
    Strategy, StrategyConfig, Task,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use thinkscale_web::{
    BuiltinLoader, ErrorCode, Failure, JsClock, abort_error, failure_to_js, provider_model, to_js,
};

use super::read::{check_keys, field, function_option, optional, task_of};
use super::similarity::{CallerSimilarity, JsSimilarity, thrown_message};
use super::stream::{RunStream, StreamState};
use crate::options::{EngineOptions, RunOptions, RunResult};

/// What every run of an engine shares.
#[derive(Debug)]
struct Shared {
    model: BoxModel,
    budget: Budget,
    price: Option<Pricing>,
}

/// Runs strategies on one model. `new Engine({ provider, budget?, pricing? })`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    shared: Rc<Shared>,
}

/// A run's inputs, checked.
struct Prepared {
    strategy: StrategyConfig,
    task: Task,
    budget: Budget,
    signal: Option<AbortSignal>,
    on_event: Option<Function>,
    similarity: Option<CallerSimilarity>,
}

const RUN_OPTIONS: [&str; 9] = [
    "strategy",
    "budget",
    "extractor",
    "system",
    "instruction",
    "signal",
    "onEvent",
    "similarity",
    "embed",
];
const ENGINE_OPTIONS: [&str; 3] = ["provider", "budget", "pricing"];

impl Engine {
    fn create(options: &JsValue, builtin: Option<&BuiltinLoader>) -> Result<Self, Failure> {
        check_keys(options, &ENGINE_OPTIONS, "engine options")?;
        let provider = field(options, "provider").ok_or_else(|| {
            Failure::config(
                "provider",
                "is required: { kind: \"openai\" | \"anthropic\" | \"gemini\" | \"builtin\" | \"custom\", … }",
            )
        })?;
        let model = provider_model(&provider, builtin)?;
        let data = EngineOptions {
            provider: None,
            budget: optional(options, "budget")?,
            pricing: optional(options, "pricing")?,
        };
        let budget = data.budget.unwrap_or_default();
        budget.validate().map_err(|e| Failure::from(e).in_field("budget"))?;
        if let Some(price) = &data.pricing {
            price.validate("pricing")?;
        }
        Ok(Self { shared: Rc::new(Shared { model, budget, price: data.pricing }) })
    }

    fn prepare(&self, input: &JsValue, options: Option<JsValue>) -> Result<Prepared, Failure> {
        let task = task_of(input)?;
        let options = options.filter(|o| !o.is_undefined() && !o.is_null());
        let options = options.unwrap_or_else(|| Object::new().into());
        check_keys(&options, &RUN_OPTIONS, "run options")?;
        let signal = match field(&options, "signal") {
            Some(signal) => Some(
                signal
                    .dyn_into::<AbortSignal>()
                    .map_err(|_| Failure::config("signal", "must be an AbortSignal"))?,
            ),
            None => None,
        };
        let on_event = function_option(&options, "onEvent")?;
        let similarity =
            match (function_option(&options, "similarity")?, function_option(&options, "embed")?) {
                (Some(_), Some(_)) => {
                    return Err(Failure::config("embed", "give `similarity` or `embed`, not both"));
                }
                (Some(pairwise), None) => Some(CallerSimilarity::Pairwise(pairwise)),
                (None, Some(embed)) => Some(CallerSimilarity::Embed(embed)),
                (None, None) => None,
            };
        let parsed = RunOptions {
            strategy: optional(&options, "strategy")?,
            budget: optional(&options, "budget")?,
            extractor: optional(&options, "extractor")?,
            system: optional(&options, "system")?,
            instruction: optional(&options, "instruction")?,
            signal: None,
            on_event: None,
            similarity: None,
            embed: None,
        };
        let strategy = parsed
            .strategy
            .unwrap_or_else(|| StrategyConfig::ChainOfThought(ChainOfThought::default()));
        let mut task = match parsed.system {
            Some(system) => task.system(system),
            None => task,
        };
        task.instruction = parsed.instruction;
        task.extractor = parsed.extractor.unwrap_or_default();
        let prepared = Prepared {
            strategy,
            task,
            budget: parsed.budget.unwrap_or(self.shared.budget),
            signal,
            on_event,
            similarity,
        };
        self.runner(&prepared, CancelToken::new())
            .validate(&prepared.strategy, &prepared.task)
            .map_err(|e| Failure::from(e).in_run_options(prepared.strategy.name()))?;
        Ok(prepared)
    }

    fn runner(&self, prepared: &Prepared, cancel: CancelToken) -> Runner<&BoxModel> {
        let runner = Runner::new(&self.shared.model)
            .budget(prepared.budget)
            .clock(Arc::new(JsClock::new()))
            .cancel_token(cancel);
        match self.shared.price {
            Some(price) => runner.price(price),
            None => runner,
        }
    }

    /// Runs a prepared run to its result; the error is the value to reject with.
    async fn execute(
        engine: Engine,
        prepared: Prepared,
        stream: Option<Rc<RefCell<StreamState>>>,
        cancel: CancelToken,
    ) -> Result<JsValue, JsValue> {
        let _listener = prepared.signal.as_ref().map(|signal| AbortListener::new(signal, &cancel));
        if prepared.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(abort_error(None));
        }
        let similarity_failure = Rc::new(RefCell::new(None::<String>));
        let mut runner = engine.runner(&prepared, cancel.clone());
        if let Some(function) = prepared.similarity.clone() {
            runner = runner.similarity(JsSimilarity::new(
                function,
                cancel,
                Rc::clone(&similarity_failure),
            ));
        }
        let mut sink = JsSink {
            recording: RecordingSink::new(),
            on_event: prepared.on_event.clone(),
            stream,
            thrown: None,
        };
        let finished = runner
            .run_with_state(&prepared.strategy, &prepared.task, &mut sink)
            .await
            .map_err(|e| failure_to_js(&Failure::from(e), None))?;
        let thrown = sink.thrown.take();
        let result =
            RunResult::new(finished.outcome, finished.state.nodes, sink.recording.into_trace());
        let result_js = to_js(&result).map_err(|e| JsValue::from(js_sys::Error::new(&e)))?;
        if let Some(said) = similarity_failure.borrow_mut().take() {
            // The samples that finished are kept in `result`; nothing was counted with a bad
            // similarity.
            let failure =
                Failure::new(ErrorCode::CallbackFailed, format!("{said}, so the run was stopped"));
            return Err(failure_to_js(&failure, Some(&result_js)));
        }
        if let Some(thrown) = thrown {
            // What the run did before the callback threw is kept (`result`); what it threw is
            // the `cause`.
            let said = thrown_message(&thrown);
            let failure = Failure::new(
                ErrorCode::CallbackFailed,
                format!("onEvent threw, so the run was stopped: {said}"),
            );
            let error = failure_to_js(&failure, Some(&result_js));
            let _ = Reflect::set(&error, &"cause".into(), &thrown);
            return Err(error);
        }
        match Failure::of_stop(&result.stop, result.answer.is_some()) {
            Some(failure) if failure.code == ErrorCode::Aborted => {
                Err(abort_error(Some(&result_js)))
            }
            Some(failure) => Err(failure_to_js(&failure, Some(&result_js))),
            None => Ok(result_js),
        }
    }

    fn clone_handle(&self) -> Engine {
        Engine { shared: Rc::clone(&self.shared) }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The run options object, typed for TypeScript (read field by field in `prepare`).
    #[wasm_bindgen(typescript_type = "RunOptions")]
    pub type RunOptionsArg;
}

#[wasm_bindgen]
impl Engine {
    /// An engine on one provider. Throws an `InvalidConfigError` naming the option at fault.
    /// `builtinLoader` starts the built-in model for `{ kind: "builtin" }`: the package's browser
    /// entry passes its own, so applications leave it out.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
        #[wasm_bindgen(js_name = builtinLoader)] builtin_loader: Option<Function>,
    ) -> Result<Engine, JsValue> {
        let builtin = builtin_loader.map(BuiltinLoader::new);
        Self::create(&options, builtin.as_ref()).map_err(|f| failure_to_js(&f, None))
    }

    /// The model's id (as traces record it and prices are looked up).
    #[wasm_bindgen(getter)]
    pub fn model(&self) -> String {
        self.shared.model.id().to_owned()
    }

    /// Runs a strategy on a question — a string, or a conversation of `{ role, content }` turns
    /// ending with the user's (as an array or as `{ messages }`). Resolves to the result; rejects
    /// with an `InvalidConfigError` before anything runs, with an `AbortError` when `signal`
    /// aborts, and with the failure's code when the run ends without an answer (`error.result`
    /// holds what it did).
    #[wasm_bindgen(unchecked_return_type = "Promise<RunResult>")]
    pub fn run(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RunInput")] input: JsValue,
        options: Option<RunOptionsArg>,
    ) -> Promise {
        match self.prepare(&input, options.map(JsValue::from)) {
            Ok(prepared) => wasm_bindgen_futures::future_to_promise(Self::execute(
                self.clone_handle(),
                prepared,
                None,
                CancelToken::new(),
            )),
            Err(failure) => Promise::reject(&failure_to_js(&failure, None)),
        }
    }

    /// The same run as an async iterator of its events. Invalid options throw at once; leaving
    /// the loop early aborts the run.
    #[wasm_bindgen(unchecked_return_type = "AsyncIterableIterator<RunEvent>")]
    pub fn stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RunInput")] input: JsValue,
        options: Option<RunOptionsArg>,
    ) -> Result<JsValue, JsValue> {
        let prepared = self
            .prepare(&input, options.map(JsValue::from))
            .map_err(|f| failure_to_js(&f, None))?;
        let state = Rc::new(RefCell::new(StreamState::default()));
        let cancel = CancelToken::new();
        let run =
            Self::execute(self.clone_handle(), prepared, Some(Rc::clone(&state)), cancel.clone());
        let ending = Rc::clone(&state);
        wasm_bindgen_futures::spawn_local(async move {
            let end = run.await.map(drop);
            if let Ok(mut ending) = ending.try_borrow_mut() {
                ending.finish(end);
            }
        });
        Ok(RunStream::iterator(state, cancel))
    }
}

/// Records every event, forwards it to `onEvent` and to the stream, and stops the run if
/// `onEvent` throws (the run then rejects with a `CallbackError` carrying the partial `result`,
/// its `cause` what was thrown).
struct JsSink {
    recording: RecordingSink,
    on_event: Option<Function>,
    stream: Option<Rc<RefCell<StreamState>>>,
    thrown: Option<JsValue>,
}

impl Sink for JsSink {
    fn event(&mut self, event: &Event) -> Flow {
        self.recording.event(event);
        if self.on_event.is_none() && self.stream.is_none() {
            return Flow::Continue;
        }
        let Ok(value) = to_js(event) else { return Flow::Continue };
        if let Some(callback) = &self.on_event
            && let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &value)
        {
            self.thrown.get_or_insert(thrown);
            return Flow::Stop;
        }
        if let Some(stream) = &self.stream
            && let Ok(mut stream) = stream.try_borrow_mut()
        {
            stream.push(value);
        }
        Flow::Continue
    }
}

/// Cancels the run when the signal aborts; removes its listener when dropped.
struct AbortListener {
    signal: AbortSignal,
    callback: Closure<dyn FnMut()>,
}

impl AbortListener {
    fn new(signal: &AbortSignal, cancel: &CancelToken) -> Self {
        let cancel = cancel.clone();
        let callback = Closure::<dyn FnMut()>::new(move || cancel.cancel());
        let _ = signal.add_event_listener_with_callback("abort", callback.as_ref().unchecked_ref());
        Self { signal: signal.clone(), callback }
    }
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.callback.as_ref().unchecked_ref());
    }
}
