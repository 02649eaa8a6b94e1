//! The strategy picker: which way to spend compute, and each strategy's parameters (the settings
//! and their engine config are in `strategy_settings`).

use leptos::prelude::*;

use thinkscale_engine::model::Effort;
use thinkscale_engine::strategy::PromptPreset;

use crate::controls::NumberField;
use crate::strategy_settings::{AnswerKind, Options, SearchKind, StrategyKind, StrategySettings};

/// A select bound to one typed field of the settings: its options are the type's
/// [`Options`], and only those values can be written back.
fn choice<T: Options>(
    settings: RwSignal<StrategySettings>,
    id: String,
    label: &'static str,
    read: fn(&StrategySettings) -> T,
    write: fn(&mut StrategySettings, T),
) -> impl IntoView {
    let form_value = move || read(&settings.get()).form();
    let set = move |form: String| {
        if let Some(value) = T::from_form(&form) {
            settings.update(|s| write(s, value));
        }
    };
    view! {
        <label for=id.clone()>{label}</label>
        <select id=id on:change=move |ev| set(event_target_value(&ev)) prop:value=form_value>
            {T::OPTIONS
                .iter()
                .map(|(_, form, text)| view! { <option value=*form>{*text}</option> })
                .collect_view()}
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
    let is = move |kinds: &'static [StrategyKind]| move || kinds.contains(&settings.get().kind);
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
    view! {
        <fieldset class="strategy">
            <legend>"Strategy"</legend>
            {choice(settings, format!("{id}-kind"), "Kind", |s| s.kind, |s, v: StrategyKind| s.kind = v)}
            <Show when=is(&[StrategyKind::SelfConsistency, StrategyKind::UniversalSelfConsistency, StrategyKind::AdaptiveConsistency, StrategyKind::BestOfN, StrategyKind::AdaptiveAllocation])>
                {field("samples", "Samples (at most)", (1.0, 64.0, 1.0), |s| s.samples.into(), |s, v| s.samples = v as u32)}
            </Show>
            {field("temperature", "Temperature", (0.0, 2.0, 0.1), |s| (f64::from(s.temperature) * 100.0).round() / 100.0, |s, v| s.temperature = v as f32)}
            // Up to 2^20: long-context servers answer at length (the engine caps a branch's text
            // at 1 MiB whatever the limit).
            {field("tokens", "Max tokens per call", (8.0, 1_048_576.0, 1.0), |s| s.max_tokens.into(), |s, v| s.max_tokens = v as u32)}
            {choice(settings, format!("{id}-answer"), "Answer", |s| s.answer, |s, v: AnswerKind| s.answer = v)}
            <Show when=is(&[StrategyKind::AdaptiveConsistency, StrategyKind::AdaptiveAllocation])>
                {field("wave", "First wave / samples per wave", (1.0, 16.0, 1.0), |s| s.wave.into(), |s, v| s.wave = v as u32)}
            </Show>
            <Show when=is(&[StrategyKind::AdaptiveConsistency])>
                {field(
                    "threshold",
                    "Stop when the leader is the majority with probability",
                    (0.51, 0.999, 0.01),
                    |s| s.threshold,
                    |s, v| s.threshold = v,
                )}
            </Show>
            <Show when=is(&[StrategyKind::TreeOfThoughts])>
                {choice(settings, format!("{id}-search"), "Search", |s| s.search, |s, v: SearchKind| s.search = v)}
                {field("width", "Beam width", (1.0, 20.0, 1.0), |s| s.width.into(), |s, v| s.width = v as u32)}
                {field("depth", "Steps", (1.0, 10.0, 1.0), |s| s.depth.into(), |s, v| s.depth = v as u32)}
                {field("proposals", "Next steps per state", (1.0, 20.0, 1.0), |s| s.proposals.into(), |s, v| s.proposals = v as u32)}
                {choice(settings, format!("{id}-preset"), "Prompts", |s| s.preset, |s, v: PromptPreset| s.preset = v)}
            </Show>
            <Show when=is(&[StrategyKind::SelfRefine])>
                {field("rounds", "Revisions at most", (0.0, 10.0, 1.0), |s| s.rounds.into(), |s, v| s.rounds = v as u32)}
            </Show>
            <Show when=is(&[StrategyKind::NativeReasoning])>
                {choice(settings, format!("{id}-effort"), "Reasoning effort", |s| s.effort, |s, v: Effort| s.effort = v)}
            </Show>
        </fieldset>
    }
}
