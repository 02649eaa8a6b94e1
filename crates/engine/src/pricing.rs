//! What tokens cost: per-model prices and a table of common models.
//!
//! Prices are US dollars per million tokens, as the providers published them in 2025. They change:
//! callers override any entry (or add their own model) with [`PriceTable::insert`]. Reasoning
//! tokens are billed at the output rate unless a separate rate is given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Usage;

/// The price of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pricing {
    /// Input (prompt) tokens.
    pub input_per_mtok: f64,
    /// Output (completion) tokens.
    pub output_per_mtok: f64,
    /// Reasoning tokens; the output rate when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_per_mtok: Option<f64>,
}

impl Pricing {
    /// A price with reasoning billed as output.
    pub const fn new(input_per_mtok: f64, output_per_mtok: f64) -> Self {
        Self { input_per_mtok, output_per_mtok, reasoning_per_mtok: None }
    }

    /// Free: local models.
    pub const FREE: Pricing = Pricing::new(0.0, 0.0);

    /// The dollar cost of `usage`.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let reasoning = self.reasoning_per_mtok.unwrap_or(self.output_per_mtok);
        (usage.prompt_tokens as f64 * self.input_per_mtok
            + usage.completion_tokens as f64 * self.output_per_mtok
            + usage.reasoning_tokens as f64 * reasoning)
            / 1e6
    }

    /// The dearest rate any generated token can have (output or reasoning), per token.
    pub(crate) fn max_output_per_token(&self) -> f64 {
        self.output_per_mtok.max(self.reasoning_per_mtok.unwrap_or(0.0)) / 1e6
    }

    /// Checks that every rate is a finite non-negative number.
    pub fn validate(&self, field: &str) -> Result<()> {
        let rates =
            [self.input_per_mtok, self.output_per_mtok, self.reasoning_per_mtok.unwrap_or(0.0)];
        if rates.iter().all(|r| r.is_finite() && *r >= 0.0) {
            Ok(())
        } else {
            Err(Error::config(
                field,
                "rates must be finite numbers ≥ 0 (dollars per million tokens)",
            ))
        }
    }
}

/// Prices by model id, with lookup that tolerates dated versions and provider prefixes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTable {
    entries: BTreeMap<String, Pricing>,
}

/// Common hosted models (USD per million tokens, input / output, as published in 2025).
const COMMON: &[(&str, f64, f64)] = &[
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("o1", 15.00, 60.00),
    ("o3", 2.00, 8.00),
    ("o3-mini", 1.10, 4.40),
    ("o4-mini", 1.10, 4.40),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-pro", 1.25, 10.00),
    ("deepseek-chat", 0.27, 1.10),
    ("deepseek-reasoner", 0.55, 2.19),
    ("llama-3.3-70b-versatile", 0.59, 0.79),
];

impl PriceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in table of common hosted models (see the module docs for its date).
    pub fn common() -> Self {
        let mut table = Self::new();
        for &(model, input, output) in COMMON {
            table.insert(model, Pricing::new(input, output));
        }
        table
    }

    /// Adds or replaces the price of `model`.
    pub fn insert(&mut self, model: impl Into<String>, pricing: Pricing) -> &mut Self {
        self.entries.insert(model.into(), pricing);
        self
    }

    /// The price of `model`: an exact entry, else the longest entry that `model` extends with a
    /// version suffix (`gpt-4o-2024-08-06` → `gpt-4o`, `llama3:8b` → `llama3`), also after
    /// dropping a provider prefix (`openai/gpt-4o`).
    pub fn lookup(&self, model: &str) -> Option<Pricing> {
        let bare = model.rsplit('/').next().unwrap_or(model);
        for id in [model, bare] {
            if let Some(p) = self.entries.get(id) {
                return Some(*p);
            }
        }
        for id in [model, bare] {
            let best = self
                .entries
                .iter()
                .filter(|(key, _)| {
                    id.strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with(['-', ':', '@']))
                })
                .max_by_key(|(key, _)| key.len());
            if let Some((_, p)) = best {
                return Some(*p);
            }
        }
        None
    }

    /// Checks every entry's rates.
    pub fn validate(&self) -> Result<()> {
        self.entries.iter().try_for_each(|(model, p)| p.validate(&format!("pricing.{model}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_tolerates_versions_and_prefixes() {
        let table = PriceTable::common();
        assert_eq!(table.lookup("gpt-4o-2024-08-06"), Some(Pricing::new(2.5, 10.0)));
        assert_eq!(table.lookup("gpt-4o-mini-2024-07-18"), Some(Pricing::new(0.15, 0.6)));
        assert_eq!(table.lookup("openai/o3-mini"), Some(Pricing::new(1.1, 4.4)));
        assert_eq!(table.lookup("claude-3-5-sonnet-20241022"), Some(Pricing::new(3.0, 15.0)));
        assert_eq!(table.lookup("gpt-4oops"), None);
        assert_eq!(table.lookup("my-local-model"), None);
    }

    #[test]
    fn callers_override_prices() {
        let mut table = PriceTable::common();
        table.insert("gpt-4o", Pricing::new(1.0, 2.0)).insert("local", Pricing::FREE);
        assert_eq!(table.lookup("gpt-4o"), Some(Pricing::new(1.0, 2.0)));
        assert_eq!(table.lookup("local"), Some(Pricing::FREE));
    }

    #[test]
    fn cost_bills_reasoning_at_its_rate() {
        let usage = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 500_000,
            reasoning_tokens: 500_000,
        };
        assert!((Pricing::new(1.0, 4.0).cost(&usage) - 5.0).abs() < 1e-9);
        let split = Pricing { reasoning_per_mtok: Some(2.0), ..Pricing::new(1.0, 4.0) };
        assert!((split.cost(&usage) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn negative_rates_are_rejected() {
        let mut table = PriceTable::new();
        table.insert("x", Pricing::new(-1.0, 1.0));
        assert!(table.validate().unwrap_err().to_string().contains("pricing.x"));
    }
}
