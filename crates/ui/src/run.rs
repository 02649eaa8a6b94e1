//! Starting runs and replays from the view: the provider option becomes a model (the same
//! `provider_model` the npm package's `Engine` uses), the engine runs in the page with the JS
//! clock, and every event goes into a [`LiveRun`]. A replay feeds a stored trace's events into
//! the same `LiveRun`, paced by their timestamps.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use thinkscale_engine::Runner;
use thinkscale_engine::model::{BoxModel, Message};
use thinkscale_engine::state::{Changed, Node, NodeStatus, RunState};
use thinkscale_engine::{
    Budget, CancelToken, Event, Extractor, Flow, Outcome, Sink, StopReason, StrategyConfig, Task,
    Trace,
};
use thinkscale_providers::{AnthropicSpec, ApiKey, OpenAiSpec, ProviderSpec};
use thinkscale_web::{BuiltinLoader, JsClock, provider_model};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::live::LiveRun;

#[wasm_bindgen(inline_js = "export function importModule(url) { \
    return import(new URL(url, document.baseURI).href); }")]
extern "C" {
    /// `import(url)`, relative to the page: loads an ES module at run time.
    #[wasm_bindgen(js_name = importModule)]
    fn import_module(url: &str) -> js_sys::Promise;
}

/// What the run is doing, for the status line and the buttons.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing yet.
    Idle,
    /// Downloading the built-in model's weights.
    Loading {
        /// Bytes so far.
        loaded: f64,
        /// Bytes in all, when known.
        total: Option<f64>,
    },
    /// Thinking.
    Running,
    /// Replaying a trace.
    Replaying,
    /// Finished, with why it stopped.
    Finished(StopReason),
    /// Could not run: what went wrong and what to do.
    Failed(String),
}

/// Which model to run, as the settings describe it.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderChoice {
    /// The in-page model: a GGUF file's URL.
    Builtin {
        /// Where the weights are.
        model: String,
    },
    /// Any OpenAI-compatible server.
    OpenAi {
        /// `https://api.openai.com/v1`, `http://127.0.0.1:8080/v1`, …
        base_url: String,
        /// The model name.
        model: String,
        /// The key (held in memory; sent to `base_url` only; its `Debug` prints `***`).
        api_key: ApiKey,
    },
    /// Anthropic's Messages API.
    Anthropic {
        /// The model name.
        model: String,
        /// The key (sent to api.anthropic.com only; its `Debug` prints `***`).
        api_key: ApiKey,
    },
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &key.into(), value);
}

/// The built-in model's loader: the `builtinProvider` export of its module (`builtin.js`).
async fn load_builtin(assets: &str) -> Result<BuiltinLoader, String> {
    let url = format!("{}/builtin.js", assets.trim_end_matches('/'));
    let module = JsFuture::from(import_module(&url)).await.map_err(|e| {
        format!(
            "The built-in model's script did not load from {url} ({e:?}). Serve the page with \
                 `scripts/demo`, which builds it, or choose a provider with a key."
        )
    })?;
    js_sys::Reflect::get(&module, &"builtinProvider".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .map(BuiltinLoader::new)
        .ok_or_else(|| format!("{url} has no builtinProvider export"))
}

/// The model a choice names: an HTTP provider built from its typed spec, or the built-in model
/// (a JavaScript provider from its Worker module, whose download progress goes to `phase`).
fn choice_model(
    choice: &ProviderChoice,
    phase: RwSignal<Phase>,
    builtin: Option<&BuiltinLoader>,
) -> Result<BoxModel, String> {
    let spec = match choice {
        ProviderChoice::Builtin { model } => {
            return provider_model(&builtin_options(model, phase), builtin).map_err(|f| f.message);
        }
        ProviderChoice::OpenAi { base_url, model, api_key } => ProviderSpec::Openai(OpenAiSpec {
            preset: None,
            base_url: Some(base_url.clone()),
            // An empty key is no key: a keyless local server.
            api_key: Some(api_key.clone()),
            model: model.clone(),
            max_n: None,
            logprobs: None,
            reasoning: None,
        }),
        ProviderChoice::Anthropic { model, api_key } => ProviderSpec::Anthropic(AnthropicSpec {
            api_key: api_key.clone(),
            model: model.clone(),
            base_url: None,
            default_max_tokens: None,
        }),
    };
    spec.build().map_err(|e| e.to_string())
}

/// The built-in model's provider option (a JavaScript object: its loader is a JavaScript
/// function); download progress goes to `phase`.
fn builtin_options(model: &str, phase: RwSignal<Phase>) -> JsValue {
    let options = js_sys::Object::new();
    set(&options, "kind", &"builtin".into());
    set(&options, "model", &model.into());
    let progress = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
        let get = |k: &str| js_sys::Reflect::get(&p, &k.into()).ok().and_then(|v| v.as_f64());
        let loaded = get("loaded").unwrap_or(0.0);
        // Only a run in progress shows the download (it goes on after a Stop).
        if matches!(phase.try_get_untracked(), Some(Phase::Running | Phase::Loading { .. })) {
            phase.try_set(Phase::Loading { loaded, total: get("total").filter(|t| *t > 0.0) });
        }
    });
    set(&options, "onProgress", progress.as_ref());
    progress.forget();
    options.into()
}

/// One run to start.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The turns before the question (empty: a fresh question).
    pub history: Vec<Message>,
    /// The question.
    pub question: String,
    /// The strategy.
    pub strategy: StrategyConfig,
    /// Where the answer is found.
    pub extractor: Extractor,
    /// The limits.
    pub budget: Budget,
    /// The model.
    pub provider: ProviderChoice,
    /// Where `builtin.js` and its Worker are served.
    pub assets: String,
}

/// The model of the last run, kept for the next one with the same settings: the built-in model's
/// Worker (and its 145 MB of weights) is made once, not once per run. It also holds the built-in
/// model's loader once its module has loaded.
#[derive(Debug, Clone, Default)]
pub struct ModelCache(Rc<RefCell<Cached>>);

/// What a [`ModelCache`] holds.
#[derive(Debug, Default)]
struct Cached {
    /// The last model and the settings it was made from.
    model: Option<(ProviderChoice, Rc<BoxModel>)>,
    /// The built-in model's loader, once `builtin.js` has loaded.
    builtin: Option<BuiltinLoader>,
}

impl ModelCache {
    /// The model `choice` names, made unless it is the last one; the built-in model's script is
    /// loaded from `assets` the first time it is needed.
    async fn model(
        &self,
        choice: &ProviderChoice,
        phase: RwSignal<Phase>,
        assets: &str,
    ) -> Result<Rc<BoxModel>, String> {
        if let Some((cached, model)) = self.0.borrow().model.as_ref()
            && cached == choice
        {
            return Ok(Rc::clone(model));
        }
        let builtin = match choice {
            ProviderChoice::Builtin { .. } => Some(self.builtin_loader(assets).await?),
            _ => None,
        };
        let model = choice_model(choice, phase, builtin.as_ref()).map(Rc::new)?;
        self.0.borrow_mut().model = Some((choice.clone(), Rc::clone(&model)));
        Ok(model)
    }

    async fn builtin_loader(&self, assets: &str) -> Result<BuiltinLoader, String> {
        let loaded = self.0.borrow().builtin.clone();
        if let Some(loader) = loaded {
            return Ok(loader);
        }
        let loader = load_builtin(assets).await?;
        self.0.borrow_mut().builtin = Some(loader.clone());
        Ok(loader)
    }
}

/// What a run is tied to: its cancel token, the model cache, and the view's generation counter
/// (another run or replay, or the view going away, bumps it: this run then stops and reports
/// nothing more).
#[derive(Debug, Clone)]
pub struct RunControl {
    /// Cancels the run.
    pub cancel: CancelToken,
    /// Models to reuse.
    pub models: ModelCache,
    /// The view's generation counter.
    pub generation: RwSignal<u64>,
    /// This run's generation.
    pub mine: u64,
}

impl RunControl {
    fn current(&self) -> bool {
        self.generation.try_get_untracked() == Some(self.mine)
    }
}

/// Runs `spec` into `live`, reporting the phase; returns when the run has ended. Cancelling
/// stops it (in-flight requests are dropped; finished branches stay).
pub async fn run(spec: RunSpec, live: LiveRun, phase: RwSignal<Phase>, control: RunControl) {
    let fail = |message: String| {
        if control.current() {
            phase.try_set(Phase::Failed(message));
        }
    };
    live.reset();
    let model = match control.models.model(&spec.provider, phase, &spec.assets).await {
        Ok(model) => model,
        Err(message) => return fail(message),
    };
    let runner = Runner::new(&*model)
        .budget(spec.budget)
        .clock(Arc::new(JsClock::new()))
        .cancel_token(control.cancel.clone());
    let mut turns = spec.history;
    turns.push(Message::user(spec.question));
    let task = Task::conversation(turns).extractor(spec.extractor);
    if let Err(error) = runner.validate(&spec.strategy, &task) {
        return fail(error.to_string());
    }
    phase.try_set(Phase::Running);
    // Let the page repaint (buttons, status) before the run starts its branches: two short tasks
    // instead of one long one.
    gloo_timers::future::TimeoutFuture::new(0).await;
    let mut sink = ViewSink { live, phase, control: &control };
    let ended = runner.run(&spec.strategy, &task, &mut sink).await;
    if control.current() {
        phase.try_set(match ended {
            Ok(outcome) => finished(&outcome),
            Err(error) => Phase::Failed(error.to_string()),
        });
    }
}

/// The sink of a run the view shows: it projects the engine's own state into the view, and
/// stops the run once the view moved on to another run or went away.
struct ViewSink<'a> {
    live: LiveRun,
    phase: RwSignal<Phase>,
    control: &'a RunControl,
}

impl Sink for ViewSink<'_> {
    /// Without the engine's state (a caller that only has events), the view folds them itself.
    fn event(&mut self, event: &Event) -> Flow {
        self.live.replay(event);
        self.flow()
    }

    fn observe(&mut self, event: &Event, state: &RunState, changed: Changed) -> Flow {
        // Text streaming or a branch finishing means the weights are loaded (their progress may
        // arrive after the branches started).
        let answered = |n: &Node| !n.text.is_empty() || n.status == NodeStatus::Done;
        if changed.node.and_then(|id| state.node(id)).is_some_and(answered)
            && matches!(self.phase.try_get_untracked(), Some(Phase::Loading { .. }))
        {
            self.phase.try_set(Phase::Running);
        }
        self.live.observe(event, state, changed);
        self.flow()
    }
}

impl ViewSink<'_> {
    fn flow(&self) -> Flow {
        if self.control.current() { Flow::Continue } else { Flow::Stop }
    }
}

/// The phase a finished run ends in: a run whose every call failed is a failure, in words.
fn finished(outcome: &Outcome) -> Phase {
    match &outcome.stop {
        StopReason::ModelFailed { error } => Phase::Failed(format!(
            "{error}. Check the provider settings (URL, model name, key), or use the built-in model."
        )),
        stop => Phase::Finished(stop.clone()),
    }
}

/// How long an instant replay (or a run of events at the same millisecond) applies events before
/// it lets the page paint and handle input: a trace of tens of thousands of events becomes many
/// short tasks instead of one that freezes the page.
const SLICE_MS: f64 = 8.0;

/// Milliseconds on the page's clock.
fn page_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

/// Replays `trace` into `live`, `speed` times faster than it ran (0: at once, in slices of
/// about 8 ms). Stops early when `generation` no longer equals `mine` (another run or replay
/// started, or the view went away).
pub async fn replay(
    trace: Trace,
    speed: f64,
    live: LiveRun,
    phase: RwSignal<Phase>,
    generation: RwSignal<u64>,
    mine: u64,
) {
    live.reset();
    phase.try_set(Phase::Replaying);
    let mut previous = 0;
    let mut slice_start = page_now();
    for event in &trace.events {
        if generation.try_get_untracked() != Some(mine) {
            return;
        }
        let wait = event.at_ms.saturating_sub(previous);
        previous = event.at_ms;
        if speed > 0.0 && wait > 0 {
            let millis = (wait as f64 / speed).min(2_000.0);
            gloo_timers::future::sleep(Duration::from_secs_f64(millis / 1000.0)).await;
            slice_start = page_now();
        } else if page_now() - slice_start >= SLICE_MS {
            gloo_timers::future::TimeoutFuture::new(0).await;
            slice_start = page_now();
            if generation.try_get_untracked() != Some(mine) {
                return;
            }
        }
        live.replay(event);
    }
    let stop = live.outcome.try_get_untracked().flatten().map_or(StopReason::Completed, |o| o.stop);
    phase.try_set(Phase::Finished(stop));
}

/// Starts `future` on the page's event loop.
pub fn start(future: impl Future<Output = ()> + 'static) {
    spawn_local(future);
}
