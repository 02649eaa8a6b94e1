//! Embedding in other pages: `mount(element, options)` returns a handle with `unmount()`, and
//! `<thinkscale-run>` is a custom element whose shadow root keeps the host page's CSS out and
//! ours in. Given a trace (`trace` / `trace-src`), an embed replays it — no model, no key: what a
//! docs site wants. Without one, it shows the full demo (question, settings, live run).

use leptos::mount::mount_to;
use leptos::prelude::*;
use serde::Deserialize;
use thinkscale_engine::Trace;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::app::{App, Assets, RunView, STYLE, StatusLine};
use crate::live::LiveRun;
use crate::run::{Phase, replay, start};

/// `mount` options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MountOptions {
    /// A trace to replay (object or JSON text).
    #[serde(default)]
    trace: Option<serde_json::Value>,
    /// A URL to fetch the trace to replay from.
    #[serde(default)]
    trace_url: Option<String>,
    /// Replay speed (1 = as it ran; 0 = at once). Default 4.
    #[serde(default)]
    speed: Option<f64>,
    /// Where `builtin.js` is served (live mode).
    #[serde(default)]
    assets: Option<String>,
    /// The built-in model's weights URL (live mode).
    #[serde(default)]
    model: Option<String>,
    /// The question to start with (live mode).
    #[serde(default)]
    question: Option<String>,
    /// The strategy to start with: `selfConsistency`, `adaptiveConsistency`, `bestOfN` or
    /// `chainOfThought` (live mode).
    #[serde(default)]
    strategy: Option<String>,
}

/// A mounted view; `unmount()` removes it and frees its state.
#[wasm_bindgen]
pub struct Mounted {
    handle: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen]
impl Mounted {
    /// Removes the view from the page.
    pub fn unmount(&mut self) {
        self.handle = None;
    }
}

fn error(message: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&message.to_string()).into()
}

/// The value of `response`'s `Content-Length`, when it has a number there.
fn content_length(response: &web_sys::Response) -> Option<u64> {
    response.headers().get("content-length").ok().flatten()?.trim().parse().ok()
}

/// Fetches a trace, refusing it before reading when its `Content-Length` is over
/// [`MAX_TRACE_BYTES`](thinkscale_engine::trace::MAX_TRACE_BYTES), and stopping the download once the body grows past it (a server that
/// sends no length, or a wrong one).
async fn fetch_trace(url: &str) -> Result<Trace, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(js_message)?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let body = response.body().ok_or("the response has no body")?;
    if let Some(length) = content_length(&response)
        && let Err(error) = Trace::check_size(length)
    {
        let _ = body.cancel();
        return Err(error.to_string());
    }
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| "the body cannot be read")?;
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(js_message)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool());
        if done != Some(false) {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(js_message)?;
        let piece: js_sys::Uint8Array = value.dyn_into().map_err(|_| "the body is not bytes")?;
        let total = bytes.len() as u64 + u64::from(piece.length());
        if let Err(error) = Trace::check_size(total) {
            let _ = reader.cancel();
            return Err(error.to_string());
        }
        let start = bytes.len();
        bytes.resize(start + piece.length() as usize, 0);
        if let Some(room) = bytes.get_mut(start..) {
            piece.copy_to(room);
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| "the trace is not UTF-8 text")?;
    Trace::from_json(&text).map_err(|e| e.to_string())
}

/// A JS failure's message.
fn js_message(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the request failed".into())
}

/// A replay-only view of one trace.
#[component]
fn Replay(source: Result<Trace, String>, url: Option<String>, speed: f64) -> impl IntoView {
    let live = LiveRun::new();
    let phase = RwSignal::new(Phase::Idle);
    let generation = RwSignal::new(0_u64);
    // Also called when a download ends, which may be after the view went away: then the signals
    // are gone and nothing starts.
    let play = move |trace: Trace| {
        if let Some(mine) = generation.try_update(|g| {
            *g += 1;
            *g
        }) {
            start(replay(trace, speed, live, phase, generation, mine));
        }
    };
    // Unmounting stops the replay.
    on_cleanup(move || {
        generation.try_update(|g| *g += 1);
    });
    match (source, url) {
        (Ok(trace), _) if !trace.events.is_empty() => play(trace),
        (_, Some(url)) => start(async move {
            match fetch_trace(&url).await {
                Ok(trace) => play(trace),
                Err(message) => {
                    phase.try_set(Phase::Failed(format!(
                        "The trace could not be loaded: {message}"
                    )));
                }
            }
        }),
        (Err(message), None) => phase.set(Phase::Failed(message)),
        (Ok(_), None) => phase.set(Phase::Failed("The trace has no events.".into())),
    }
    view! {
        <div class="thinkscale embed">
            <style>{STYLE}</style>
            <p class="question">{move || live.question.get()}</p>
            <StatusLine phase/>
            <RunView live/>
        </div>
    }
}

/// Mounts thinkscale into `element`: a replay when `options.trace` or `options.traceUrl` is
/// given, else the live demo. Throws on options it does not understand.
#[wasm_bindgen]
pub fn mount(element: web_sys::HtmlElement, options: JsValue) -> Result<Mounted, JsValue> {
    let options: MountOptions = if options.is_undefined() || options.is_null() {
        MountOptions::default()
    } else {
        let json =
            js_sys::JSON::stringify(&options).map_err(|_| error("options are not JSON data"))?;
        serde_json::from_str(&json.as_string().unwrap_or_default())
            .map_err(|e| error(format!("invalid mount options: {e}")))?
    };
    let speed = options.speed.unwrap_or(4.0).max(0.0);
    let handle: Box<dyn std::any::Any> = if options.trace.is_some() || options.trace_url.is_some() {
        let source = match options.trace {
            Some(serde_json::Value::String(json)) => {
                Trace::from_json(&json).map_err(|e| e.to_string())
            }
            Some(value) => Trace::from_json(&value.to_string()).map_err(|e| e.to_string()),
            None => Ok(Trace::new(Vec::new())),
        };
        let url = options.trace_url;
        Box::new(mount_to(element, move || view! { <Replay source url speed/> }))
    } else {
        let mut assets = Assets::default();
        if let Some(dir) = options.assets {
            assets.model = format!("{}/models/smollm2-135m.gguf", dir.trim_end_matches('/'));
            assets.builtin = dir;
        }
        if let Some(model) = options.model {
            assets.model = model;
        }
        let (question, strategy) = (options.question, options.strategy);
        Box::new(mount_to(element, move || view! { <App assets question strategy/> }))
    };
    Ok(Mounted { handle: Some(handle) })
}

#[wasm_bindgen(inline_js = r#"
export function defineElement(tag, mount) {
  if (customElements.get(tag)) return;
  customElements.define(tag, class extends HTMLElement {
    connectedCallback() {
      const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
      const host = document.createElement("div");
      root.replaceChildren(host);
      const options = {};
      const src = this.getAttribute("trace-src");
      if (src) options.traceUrl = new URL(src, document.baseURI).href;
      if (this.hasAttribute("speed")) options.speed = Number(this.getAttribute("speed"));
      if (this.hasAttribute("assets")) options.assets = this.getAttribute("assets");
      if (this.hasAttribute("model")) options.model = this.getAttribute("model");
      if (this.hasAttribute("question")) options.question = this.getAttribute("question");
      if (this.hasAttribute("strategy")) options.strategy = this.getAttribute("strategy");
      this._mounted = mount(host, options);
    }
    disconnectedCallback() {
      this._mounted?.unmount();
      this._mounted?.free();
      this._mounted = undefined;
    }
  });
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = defineElement)]
    fn define_element(
        tag: &str,
        mount: &Closure<dyn Fn(web_sys::HtmlElement, JsValue) -> Result<Mounted, JsValue>>,
    );
}

/// Defines `<thinkscale-run>` (attributes: `trace-src`, `speed`, `question`, `strategy`,
/// `assets`, `model`); without `trace-src` it holds the live demo. Safe to call twice.
#[wasm_bindgen(js_name = defineThinkscaleRun)]
pub fn define_thinkscale_run() {
    let mount =
        Closure::<dyn Fn(web_sys::HtmlElement, JsValue) -> Result<Mounted, JsValue>>::new(mount);
    define_element("thinkscale-run", &mount);
    mount.forget();
}
