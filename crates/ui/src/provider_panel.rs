//! The provider settings: which model, which server, and the API key — held in memory as an
//! [`ApiKey`] (whose `Debug` never prints it), sent only to the (provider kind, URL origin) pair
//! it was typed for ([`KeySlot`]), and saved on this device only when the user ticks the box, one
//! storage item per pair. Pointing the demo at another server or provider empties the key field
//! unless a key for the new pair was remembered.

use leptos::prelude::*;
use thinkscale_providers::ApiKey;

use crate::key_slot::{ANTHROPIC_ORIGIN, KeySlot, ProviderKind};
use crate::run::ProviderChoice;

/// The single storage item earlier versions kept "the" key in, whatever it was for.
const LEGACY_KEY_ITEM: &str = "thinkscale.apiKey";

/// The provider settings as edited.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    /// Which provider.
    pub kind: ProviderKind,
    /// The built-in model's weights URL.
    pub builtin_model: String,
    /// The OpenAI-compatible server's base URL.
    pub base_url: String,
    /// The remote model's name.
    pub model: String,
    /// The key of the current slot, in memory (empty when none was typed or remembered for it).
    pub api_key: ApiKey,
    /// Whether the current slot's key is saved in this browser's local storage.
    pub remember: bool,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The key remembered for `slot`, if the user saved one.
fn remembered(slot: Option<&KeySlot>) -> Option<ApiKey> {
    let slot = slot?;
    let saved = storage()?.get_item(&slot.storage_name()).ok().flatten()?;
    Some(ApiKey::new(saved)).filter(|key| !key.is_empty())
}

impl ProviderSettings {
    /// The built-in model, with no key (a key comes back only with the slot it was saved for).
    /// The single key slot of earlier versions is deleted: nothing says which server it was for.
    pub fn load(builtin_model: &str) -> Self {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(LEGACY_KEY_ITEM);
        }
        Self {
            kind: ProviderKind::Builtin,
            builtin_model: builtin_model.into(),
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key: ApiKey::new(""),
            remember: false,
        }
    }

    /// Where a key typed now belongs: `None` for the built-in model and for a Server URL that
    /// is not plain `http(s)://host`.
    pub fn slot(&self) -> Option<KeySlot> {
        KeySlot::new(self.kind, &self.base_url)
    }

    /// Applies `change` (to the kind or the URL); if that moved the settings to another slot, the
    /// key becomes the one remembered for the new slot, or none.
    fn retarget(&mut self, change: impl FnOnce(&mut Self)) {
        let before = self.slot();
        change(self);
        let after = self.slot();
        if after != before {
            let key = remembered(after.as_ref());
            self.remember = key.is_some();
            self.api_key = key.unwrap_or_else(|| ApiKey::new(""));
        }
    }

    /// A key typed for the current slot (saved at once when the slot is remembered).
    fn type_key(&mut self, text: &str) {
        self.api_key = ApiKey::new(text);
        self.persist();
    }

    /// Ticks or unticks "remember" for the current slot only.
    fn set_remember(&mut self, remember: bool) {
        self.remember = remember;
        self.persist();
    }

    /// Saves the current slot's key or forgets it, as `remember` says; other slots are untouched.
    fn persist(&self) {
        let (Some(storage), Some(slot)) = (storage(), self.slot()) else { return };
        let name = slot.storage_name();
        let _ = if self.remember && !self.api_key.is_empty() {
            storage.set_item(&name, self.api_key.reveal())
        } else {
            storage.remove_item(&name)
        };
    }

    /// The model to run. The key goes only with the slot it belongs to: none for a Server URL
    /// that has no slot.
    pub fn choice(&self) -> ProviderChoice {
        let api_key = if self.slot().is_some() { self.api_key.clone() } else { ApiKey::new("") };
        match self.kind {
            ProviderKind::OpenAi => ProviderChoice::OpenAi {
                base_url: self.base_url.clone(),
                model: self.model.clone(),
                api_key,
            },
            ProviderKind::Anthropic => {
                ProviderChoice::Anthropic { model: self.model.clone(), api_key }
            }
            ProviderKind::Builtin => ProviderChoice::Builtin { model: self.builtin_model.clone() },
        }
    }

    /// Where the key goes, in words.
    fn destination(&self) -> String {
        match (self.kind, self.slot()) {
            (ProviderKind::Anthropic, _) => ANTHROPIC_ORIGIN.trim_start_matches("https://").into(),
            (_, Some(_)) => self.base_url.clone(),
            (_, None) => "no server: the Server URL is not an http(s) address".into(),
        }
    }
}

/// Provider choice, server, model and key.
#[component]
pub fn ProviderPanel(
    /// The settings being edited.
    settings: RwSignal<ProviderSettings>,
) -> impl IntoView {
    let remote = move || settings.with(|s| s.kind != ProviderKind::Builtin);
    let choose_kind = move |ev: leptos::ev::Event| {
        let Some(kind) = ProviderKind::from_form(&event_target_value(&ev)) else { return };
        settings.update(|s| {
            s.retarget(|s| {
                if kind == ProviderKind::Anthropic && s.kind != ProviderKind::Anthropic {
                    s.model = "claude-sonnet-4-5".into();
                }
                s.kind = kind;
            })
        })
    };
    view! {
        <fieldset class="provider">
            <legend>"Model"</legend>
            <label for="provider-kind">"Provider"</label>
            <select id="provider-kind" prop:value=move || settings.with(|s| s.kind.form_value()) on:change=choose_kind>
                {ProviderKind::ALL
                    .into_iter()
                    .map(|kind| view! { <option value=kind.form_value()>{kind.label()}</option> })
                    .collect_view()}
            </select>
            <Show when=move || settings.with(|s| s.kind == ProviderKind::OpenAi)>
                <label for="provider-url">"Server URL"</label>
                <input
                    id="provider-url"
                    type="url"
                    prop:value=move || settings.with(|s| s.base_url.clone())
                    on:change=move |ev| {
                        let url = event_target_value(&ev);
                        settings.update(|s| s.retarget(|s| s.base_url = url))
                    }
                />
            </Show>
            <Show when=remote>
                <label for="provider-model">"Model name"</label>
                <input
                    id="provider-model"
                    prop:value=move || settings.with(|s| s.model.clone())
                    on:change=move |ev| settings.update(|s| s.model = event_target_value(&ev))
                />
                <label for="provider-key">"API key"</label>
                <input
                    id="provider-key"
                    type="password"
                    autocomplete="off"
                    prop:value=move || settings.with(|s| s.api_key.reveal().to_owned())
                    on:change=move |ev| settings.update(|s| s.type_key(&event_target_value(&ev)))
                />
                <label class="remember">
                    <input
                        type="checkbox"
                        prop:checked=move || settings.with(|s| s.remember)
                        on:change=move |ev| settings.update(|s| s.set_remember(event_target_checked(&ev)))
                    />
                    "Remember the key for this server on this device"
                </label>
                <p class="notice">
                    "The key is sent only to " <strong>{move || settings.with(ProviderSettings::destination)}</strong>
                    ", never into traces or exports. "
                    {move || if settings.with(|s| s.remember) { "It is saved in this browser." } else { "It is kept in memory only." }}
                </p>
            </Show>
        </fieldset>
    }
}
