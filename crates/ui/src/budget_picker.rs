//! The run's hard limits, as the user sets them: tokens, dollars (for priced models) and seconds.
//! An empty field means no limit. The budget meter shows spending against these.

use leptos::prelude::*;
use thinkscale_engine::Budget;

/// The limits being edited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetSettings {
    /// Most tokens in all (prompt, completion and reasoning).
    pub tokens: Option<u64>,
    /// Most dollars (needs a model with a price).
    pub dollars: Option<f64>,
    /// Most seconds of wall time.
    pub seconds: Option<f64>,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self { tokens: None, dollars: None, seconds: Some(300.0) }
    }
}

impl BudgetSettings {
    /// The engine's budget.
    pub fn budget(&self) -> Budget {
        let mut budget = Budget::unlimited();
        if let Some(tokens) = self.tokens {
            budget = budget.max_tokens(tokens);
        }
        if let Some(dollars) = self.dollars {
            budget = budget.max_cost_usd(dollars);
        }
        if let Some(seconds) = self.seconds {
            budget = budget.max_wall_ms((seconds * 1000.0) as u64);
        }
        budget
    }
}

/// A positive number from an input, or `None` when it is empty (no limit).
fn limit(ev: &leptos::ev::Event) -> Option<f64> {
    event_target_value(ev).trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

/// Token, dollar and time limits.
#[component]
pub fn BudgetPicker(
    /// The limits being edited.
    settings: RwSignal<BudgetSettings>,
) -> impl IntoView {
    let shown = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    view! {
        <fieldset class="budget-picker">
            <legend>"Budget (empty: no limit)"</legend>
            <label for="budget-tokens">"Tokens"</label>
            <input
                id="budget-tokens"
                type="number"
                min="1"
                placeholder="no limit"
                prop:value=move || shown(settings.get().tokens.map(|t| t as f64))
                on:change=move |ev| settings.update(|s| s.tokens = limit(&ev).map(|t| t as u64))
            />
            <label for="budget-dollars">"Dollars (priced models)"</label>
            <input
                id="budget-dollars"
                type="number"
                min="0"
                step="0.01"
                placeholder="no limit"
                prop:value=move || shown(settings.get().dollars)
                on:change=move |ev| settings.update(|s| s.dollars = limit(&ev))
            />
            <label for="budget-seconds">"Seconds"</label>
            <input
                id="budget-seconds"
                type="number"
                min="1"
                placeholder="no limit"
                prop:value=move || shown(settings.get().seconds)
                on:change=move |ev| settings.update(|s| s.seconds = limit(&ev))
            />
        </fieldset>
    }
}
