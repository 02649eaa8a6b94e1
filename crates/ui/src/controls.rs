//! The inputs: the question (with example questions), a number field, and the provider settings —
//! where an API key is held in memory, saved on this device only when the user ticks the box, and
//! is sent only to the provider named beside it. (The strategy picker is in `strategy_picker`.)

use leptos::prelude::*;

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
    (
        "Game of 24",
        "Use the numbers 4 9 10 13 and + - * / to make 24, each number exactly once. Give the expression.",
    ),
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

/// A labelled number input whose value is clamped to its range.
#[component]
pub(crate) fn NumberField(
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
