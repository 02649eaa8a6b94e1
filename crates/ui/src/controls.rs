//! The inputs: the question (with example questions), the strategy picker with each strategy's
//! parameters, and the provider settings — where an API key is held in memory, saved on this
//! device only when the user ticks the box, and is sent only to the provider named beside it.

use leptos::prelude::*;
use thinkscale_engine::{Extractor, StrategyConfig};

use crate::run::ProviderChoice;

/// Example questions: simple sums the built-in model sometimes gets wrong and a vote often fixes,
/// and harder ones that show why more compute or a stronger model is needed.
pub const EXAMPLES: [(&str, &str); 5] = [
    ("7 + 8", "What is 7 + 8? Give the final answer as a number."),
    ("6 + 9", "What is 6 + 9? Give the final answer as a number."),
    ("23 + 48", "What is 23 + 48? Give the final answer as a number."),
    (
        "word problem",
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
    ),
    ("Game of 24", "Use 4, 9, 10 and 13 with + - * / to make 24. Give the expression."),
];

/// The question box with its examples.
#[component]
pub fn QuestionBox(
    /// The question being edited.
    question: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="question">
            <span>"Question"</span>
            <textarea
                rows="2"
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
            ></textarea>
        </label>
        <div class="examples" role="group" aria-label="Example questions">
            {EXAMPLES
                .iter()
                .map(|(name, text)| {
                    view! {
                        <button type="button" on:click=move |_| question.set((*text).to_owned())>
                            {*name}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Most requests a run keeps in flight.
const MAX_IN_FLIGHT: u32 = 16;

/// A strategy and its parameters, as the picker edits them.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySettings {
    /// `chainOfThought`, `selfConsistency`, `adaptiveConsistency` or `bestOfN`.
    pub kind: String,
    /// Samples (self-consistency), most samples (adaptive) or candidates (best-of-N).
    pub samples: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens per sample.
    pub max_tokens: u32,
    /// What the answer is: `number` or `text` (anything after "the answer is").
    pub answer: String,
    /// Adaptive consistency: samples per wave.
    pub wave: u32,
    /// Adaptive consistency: how sure the Beta rule must be that the leader is the majority.
    pub threshold: f64,
}

impl Default for StrategySettings {
    fn default() -> Self {
        Self {
            kind: "selfConsistency".into(),
            samples: 8,
            temperature: 0.7,
            max_tokens: 128,
            answer: "number".into(),
            wave: 4,
            threshold: 0.95,
        }
    }
}

impl StrategySettings {
    /// The engine's config for these settings; the error says which parameter is wrong.
    pub fn config(&self) -> Result<StrategyConfig, String> {
        let sampling =
            serde_json::json!({ "temperature": self.temperature, "maxTokens": self.max_tokens });
        // Requests in flight: a browser opens 6 connections per HTTP/1.1 host anyway, and the
        // built-in model batches up to 16 samples in one request.
        let concurrency = self.samples.min(MAX_IN_FLIGHT);
        let config = match self.kind.as_str() {
            "selfConsistency" => serde_json::json!({
                "kind": "selfConsistency", "samples": self.samples, "concurrency": concurrency, "sampling": sampling }),
            "adaptiveConsistency" => serde_json::json!({
                "kind": "adaptiveConsistency", "maxSamples": self.samples, "wave": self.wave,
                "rule": { "kind": "beta", "threshold": self.threshold }, "sampling": sampling }),
            "bestOfN" => serde_json::json!({
                "kind": "bestOfN", "candidates": self.samples, "concurrency": concurrency, "sampling": sampling }),
            _ => serde_json::json!({ "kind": "chainOfThought", "sampling": sampling }),
        };
        serde_json::from_value(config).map_err(|e| e.to_string())
    }

    /// Where the answer is found in a completion.
    pub fn extractor(&self) -> Extractor {
        if self.answer == "number" { Extractor::number() } else { Extractor::Auto }
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
    let kind_id = format!("{id}-kind");
    let answer_id = format!("{id}-answer");
    let adaptive = move || settings.get().kind == "adaptiveConsistency";
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
            <label for=kind_id.clone()>"Kind"</label>
            <select
                id=kind_id
                on:change=move |ev| settings.update(|s| s.kind = event_target_value(&ev))
                prop:value=move || settings.get().kind
            >
                <option value="selfConsistency">"Self-consistency (vote)"</option>
                <option value="adaptiveConsistency">"Adaptive consistency (stop when settled)"</option>
                <option value="bestOfN">"Best-of-N (a judge picks)"</option>
                <option value="chainOfThought">"Chain of thought (one sample)"</option>
            </select>
            {field("samples", "Samples", (1.0, 64.0, 1.0), |s| s.samples.into(), |s, v| s.samples = v as u32)}
            {field("temperature", "Temperature", (0.0, 2.0, 0.1), |s| (f64::from(s.temperature) * 100.0).round() / 100.0, |s, v| s.temperature = v as f32)}
            {field("tokens", "Max tokens per sample", (8.0, 4096.0, 1.0), |s| s.max_tokens.into(), |s, v| s.max_tokens = v as u32)}
            <label for=answer_id.clone()>"Answer"</label>
            <select
                id=answer_id
                on:change=move |ev| settings.update(|s| s.answer = event_target_value(&ev))
                prop:value=move || settings.get().answer
            >
                <option value="number">"a number"</option>
                <option value="text">"text"</option>
            </select>
            <Show when=adaptive>
                {field("wave", "Samples per wave", (1.0, 16.0, 1.0), |s| s.wave.into(), |s, v| s.wave = v as u32)}
                {field(
                    "threshold",
                    "Stop when the leader is the majority with probability",
                    (0.51, 0.999, 0.01),
                    |s| s.threshold,
                    |s, v| s.threshold = v,
                )}
            </Show>
        </fieldset>
    }
}

/// A labelled number input whose value is clamped to its range.
#[component]
fn NumberField(
    /// The input's id.
    id: String,
    /// Its label.
    label: &'static str,
    /// Smallest value, largest value, and the arrows' step.
    range: (f64, f64, f64),
    /// The current value.
    value: Signal<f64>,
    /// Receives a new value, clamped to the range.
    set: Callback<f64>,
) -> impl IntoView {
    let (min, max, step) = range;
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="number"
            min=min
            max=max
            step=step
            prop:value=move || value.get().to_string()
            on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                    set.run(v.clamp(min, max))
                }
            }
        />
    }
}

/// The provider settings as edited (the key stays in memory unless `remember` is ticked).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    /// `builtin`, `openai` or `anthropic`.
    pub kind: String,
    /// The built-in model's weights URL.
    pub builtin_model: String,
    /// The OpenAI-compatible server's base URL.
    pub base_url: String,
    /// The remote model's name.
    pub model: String,
    /// The key, in memory.
    pub api_key: String,
    /// Whether the key is saved in this browser's local storage.
    pub remember: bool,
}

const KEY_STORAGE: &str = "thinkscale.apiKey";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

impl ProviderSettings {
    /// The built-in model, with a key restored only if the user saved one before.
    pub fn load(builtin_model: &str) -> Self {
        let saved = storage().and_then(|s| s.get_item(KEY_STORAGE).ok().flatten());
        Self {
            kind: "builtin".into(),
            builtin_model: builtin_model.into(),
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            remember: saved.is_some(),
            api_key: saved.unwrap_or_default(),
        }
    }

    /// Saves or forgets the key, as `remember` says.
    fn persist(&self) {
        if let Some(storage) = storage() {
            let _ = if self.remember && !self.api_key.is_empty() {
                storage.set_item(KEY_STORAGE, &self.api_key)
            } else {
                storage.remove_item(KEY_STORAGE)
            };
        }
    }

    /// The model to run.
    pub fn choice(&self) -> ProviderChoice {
        match self.kind.as_str() {
            "openai" => ProviderChoice::OpenAi {
                base_url: self.base_url.clone(),
                model: self.model.clone(),
                api_key: self.api_key.clone(),
            },
            "anthropic" => ProviderChoice::Anthropic {
                model: self.model.clone(),
                api_key: self.api_key.clone(),
            },
            _ => ProviderChoice::Builtin { model: self.builtin_model.clone() },
        }
    }

    /// Where the key goes, in words.
    fn destination(&self) -> String {
        match self.kind.as_str() {
            "anthropic" => "api.anthropic.com".into(),
            _ => self.base_url.clone(),
        }
    }
}

/// Provider choice, server, model and key.
#[component]
pub fn ProviderPanel(
    /// The settings being edited.
    settings: RwSignal<ProviderSettings>,
) -> impl IntoView {
    let edit = move |change: fn(&mut ProviderSettings, String)| {
        move |ev: leptos::ev::Event| {
            settings.update(|s| {
                change(s, event_target_value(&ev));
                s.persist();
            })
        }
    };
    let remote = move || settings.get().kind != "builtin";
    view! {
        <fieldset class="provider">
            <legend>"Model"</legend>
            <label for="provider-kind">"Provider"</label>
            <select
                id="provider-kind"
                prop:value=move || settings.get().kind
                on:change=edit(|s, v| {
                    if v == "anthropic" && s.kind != "anthropic" {
                        s.model = "claude-sonnet-4-5".into();
                    }
                    s.kind = v;
                })
            >
                <option value="builtin">"Built-in (in this page, no key)"</option>
                <option value="openai">"OpenAI-compatible server"</option>
                <option value="anthropic">"Anthropic"</option>
            </select>
            <Show when=move || settings.get().kind == "openai">
                <label for="provider-url">"Server URL"</label>
                <input
                    id="provider-url"
                    type="url"
                    prop:value=move || settings.get().base_url
                    on:change=edit(|s, v| s.base_url = v)
                />
            </Show>
            <Show when=remote>
                <label for="provider-model">"Model name"</label>
                <input
                    id="provider-model"
                    prop:value=move || settings.get().model
                    on:change=edit(|s, v| s.model = v)
                />
                <label for="provider-key">"API key"</label>
                <input
                    id="provider-key"
                    type="password"
                    autocomplete="off"
                    prop:value=move || settings.get().api_key
                    on:change=edit(|s, v| s.api_key = v)
                />
                <label class="remember">
                    <input
                        type="checkbox"
                        prop:checked=move || settings.get().remember
                        on:change=move |ev| {
                            settings.update(|s| {
                                s.remember = event_target_checked(&ev);
                                s.persist();
                            })
                        }
                    />
                    "Remember the key on this device"
                </label>
                <p class="notice">
                    "The key is sent only to " <strong>{move || settings.get().destination()}</strong>
                    ", never into traces or exports. "
                    {move || if settings.get().remember { "It is saved in this browser." } else { "It is kept in memory only." }}
                </p>
            </Show>
        </fieldset>
    }
}
