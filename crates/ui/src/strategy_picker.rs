//! The strategy picker: which way to spend compute, and each strategy's parameters (the settings
//! and their engine config are in `strategy_settings`).

use leptos::prelude::*;

use crate::controls::NumberField;
use crate::strategy_settings::{KINDS, StrategySettings};

/// A select bound to one text field of the settings.
#[component]
fn Choice(
    /// The select's id.
    id: String,
    /// Its label.
    label: &'static str,
    /// `(value, text)` options.
    options: &'static [(&'static str, &'static str)],
    /// The current value.
    value: Signal<String>,
    /// Receives a new value.
    set: Callback<String>,
) -> impl IntoView {
    view! {
        <label for=id.clone()>{label}</label>
        <select id=id on:change=move |ev| set.run(event_target_value(&ev)) prop:value=move || value.get()>
            {options.iter().map(|(v, text)| view! { <option value=*v>{*text}</option> }).collect_view()}
        </select>
    }
}

/// Strategy choice and parameters. `id` keeps labels unique when two pickers share a page.
#[component]
pub fn StrategyPicker(
    /// The settings being edited.
    settings: RwSignal<StrategySettings>,
    /// A prefix for the inputs' ids.
    id: &'static str,
) -> impl IntoView {
    let is =
        move |kinds: &'static [&'static str]| move || kinds.contains(&settings.get().kind.as_str());
    let field = move |name: &str,
                      label: &'static str,
                      (min, max, step): (f64, f64, f64),
                      read: fn(&StrategySettings) -> f64,
                      write: fn(&mut StrategySettings, f64)| {
        view! {
            <NumberField
                id=format!("{id}-{name}")
                label
                range=(min, max, step)
                value=Signal::derive(move || read(&settings.get()))
                set=Callback::new(move |v| settings.update(|s| write(s, v)))
            />
        }
    };
    let choice = move |name: &str,
                       label: &'static str,
                       options: &'static [(&'static str, &'static str)],
                       read: fn(&StrategySettings) -> String,
                       write: fn(&mut StrategySettings, String)| {
        view! {
            <Choice
                id=format!("{id}-{name}")
                label
                options
                value=Signal::derive(move || read(&settings.get()))
                set=Callback::new(move |v| settings.update(|s| write(s, v)))
            />
        }
    };
    view! {
        <fieldset class="strategy">
            <legend>"Strategy"</legend>
            {choice("kind", "Kind", KINDS, |s| s.kind.clone(), |s, v| s.kind = v)}
            <Show when=is(&["selfConsistency", "adaptiveConsistency", "bestOfN", "adaptiveAllocation"])>
                {field("samples", "Samples (at most)", (1.0, 64.0, 1.0), |s| s.samples.into(), |s, v| s.samples = v as u32)}
            </Show>
            {field("temperature", "Temperature", (0.0, 2.0, 0.1), |s| (f64::from(s.temperature) * 100.0).round() / 100.0, |s, v| s.temperature = v as f32)}
            // Up to 2^20: long-context servers answer at length (the engine caps a branch's text
            // at 1 MiB whatever the limit).
            {field("tokens", "Max tokens per call", (8.0, 1_048_576.0, 1.0), |s| s.max_tokens.into(), |s, v| s.max_tokens = v as u32)}
            {choice("answer", "Answer", &[("number", "a number"), ("text", "text")], |s| s.answer.clone(), |s, v| s.answer = v)}
            <Show when=is(&["adaptiveConsistency", "adaptiveAllocation"])>
                {field("wave", "First wave / samples per wave", (1.0, 16.0, 1.0), |s| s.wave.into(), |s, v| s.wave = v as u32)}
            </Show>
            <Show when=is(&["adaptiveConsistency"])>
                {field(
                    "threshold",
                    "Stop when the leader is the majority with probability",
                    (0.51, 0.999, 0.01),
                    |s| s.threshold,
                    |s, v| s.threshold = v,
                )}
            </Show>
            <Show when=is(&["treeOfThoughts"])>
                {choice("search", "Search", &[("beam", "beam (breadth-first)"), ("depthFirst", "depth-first, backtracking")], |s| s.search.clone(), |s, v| s.search = v)}
                {field("width", "Beam width", (1.0, 20.0, 1.0), |s| s.width.into(), |s, v| s.width = v as u32)}
                {field("depth", "Steps", (1.0, 10.0, 1.0), |s| s.depth.into(), |s, v| s.depth = v as u32)}
                {field("proposals", "Next steps per state", (1.0, 20.0, 1.0), |s| s.proposals.into(), |s, v| s.proposals = v as u32)}
                {choice("preset", "Prompts", &[("general", "general"), ("game24", "Game of 24")], |s| s.preset.clone(), |s, v| s.preset = v)}
            </Show>
            <Show when=is(&["selfRefine"])>
                {field("rounds", "Revisions at most", (0.0, 10.0, 1.0), |s| s.rounds.into(), |s, v| s.rounds = v as u32)}
            </Show>
            <Show when=is(&["nativeReasoning"])>
                {choice("effort", "Reasoning effort", &[("low", "low"), ("medium", "medium"), ("high", "high")], |s| s.effort.clone(), |s, v| s.effort = v)}
            </Show>
        </fieldset>
    }
}
