//! Traces in the view: export the current run to a JSON file, import one (checked event by event
//! by the engine), and replay either at an adjustable speed — no model and no key needed.

use leptos::prelude::*;
use thinkscale_engine::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::live::LiveRun;
use crate::run::{Phase, replay, start};

/// Offers `json` as a file download.
fn download(json: &str, name: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&json.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| format!("{e:?}"))?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Export, import and replay.
#[component]
pub fn TracePanel(
    /// The run to save, and the view replays go into.
    live: LiveRun,
    /// The status line's phase.
    phase: RwSignal<Phase>,
    /// Bumped by every new run or replay, so an older replay stops.
    generation: RwSignal<u64>,
) -> impl IntoView {
    let speed = RwSignal::new(4.0_f64);
    // A replay takes over the view: bumping the generation also stops a live run in it.
    // Also called when a file has been read, which may be after the view went away: then the
    // signals are gone and nothing starts.
    let play = move |trace: Trace| {
        let Some(speed) = speed.try_get_untracked() else { return };
        if let Some(mine) = generation.try_update(|g| {
            *g += 1;
            *g
        }) {
            start(replay(trace, speed, live, phase, generation, mine));
        }
    };
    let export = move |_| {
        let trace = live.trace();
        match trace.to_json() {
            Ok(json) if !trace.events.is_empty() => {
                if let Err(message) = download(&json, "thinkscale-trace.json") {
                    phase.set(Phase::Failed(format!("The trace could not be saved: {message}")));
                }
            }
            Ok(_) => phase.set(Phase::Failed("There is no run to export yet.".into())),
            Err(error) => phase.set(Phase::Failed(error.to_string())),
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        // Too large a file is refused by its size, before a byte of it is read.
        if let Err(error) = Trace::check_size(file.size() as u64) {
            phase.set(Phase::Failed(format!("That file cannot be opened: {error}.")));
            return;
        }
        start(async move {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            match Trace::from_json(&text) {
                Ok(trace) => play(trace),
                Err(error) => {
                    phase.try_set(Phase::Failed(format!(
                        "That file is not a thinkscale trace ({error}). Export one with “Save trace”."
                    )));
                }
            }
        });
    };
    let again = move |_| {
        let trace = live.trace();
        if trace.events.is_empty() {
            phase.set(Phase::Failed("There is no run to replay yet.".into()));
        } else {
            play(trace);
        }
    };
    view! {
        <section class="trace-panel" aria-label="Trace">
            <h3>"Trace"</h3>
            <button type="button" class="export" on:click=export>"Save trace"</button>
            <label class="import">
                "Open trace " <input type="file" accept="application/json,.json" on:change=import/>
            </label>
            <button type="button" class="replay" on:click=again>"Replay"</button>
            <label>
                "Speed "
                <select
                    class="speed"
                    on:change=move |ev| speed.set(event_target_value(&ev).parse().unwrap_or(1.0))
                    prop:value=move || speed.get().to_string()
                >
                    <option value="1">"1×"</option>
                    <option value="4">"4×"</option>
                    <option value="16">"16×"</option>
                    <option value="0">"instant"</option>
                </select>
            </label>
        </section>
    }
}
