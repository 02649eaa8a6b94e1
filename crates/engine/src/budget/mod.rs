//! Hard budgets — samples, tokens, dollars, seconds — and what a run has spent.
//!
//! Enforcement is by reservation (the ledger, `ledger.rs`): before a branch starts, its worst case is held
//! against what is left; a branch that does not fit is not started, and one that fits only partly
//! gets a smaller `max_tokens`. Every attempt's consumption is spent — finished, failed, retried
//! or cancelled — and the engine cuts a choice that streams past its request's limit, so spending
//! passes a limit only if a provider reports more tokens than it was allowed to use, and then the
//! run stops at once.

use serde::{Deserialize, Serialize};

mod ledger;

pub(crate) use ledger::{Ledger, Reservation, price_of, prompt_key};

use crate::error::{Error, Result};
use crate::model::Usage;

/// Limits for one run. Every limit is optional; the default is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Budget {
    /// Most model completions (every sample, judge call or step counts one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_samples: Option<u32>,
    /// Most tokens: prompt + completion + reasoning, summed over all branches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Most US dollars, priced with the model's [`Pricing`](crate::pricing::Pricing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
    /// Most wall-clock milliseconds from the start of the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wall_ms: Option<u64>,
}

impl Budget {
    /// No limits.
    pub fn unlimited() -> Self {
        Self::default()
    }
    /// Limits the number of completions.
    pub fn max_samples(mut self, samples: u32) -> Self {
        self.max_samples = Some(samples);
        self
    }
    /// Limits the tokens.
    pub fn max_tokens(mut self, tokens: u64) -> Self {
        self.max_tokens = Some(tokens);
        self
    }
    /// Limits the dollars.
    pub fn max_cost_usd(mut self, dollars: f64) -> Self {
        self.max_cost_usd = Some(dollars);
        self
    }
    /// Limits the wall time.
    pub fn max_wall_ms(mut self, milliseconds: u64) -> Self {
        self.max_wall_ms = Some(milliseconds);
        self
    }

    /// Checks that the limits make sense.
    pub fn validate(&self) -> Result<()> {
        if self.max_samples == Some(0) {
            return Err(Error::config("budget.maxSamples", "must be at least 1"));
        }
        if self.max_tokens == Some(0) {
            return Err(Error::config("budget.maxTokens", "must be at least 1"));
        }
        if let Some(dollars) = self.max_cost_usd
            && !(dollars.is_finite() && dollars > 0.0)
        {
            return Err(Error::config("budget.maxCostUsd", "must be a positive number"));
        }
        if self.max_wall_ms == Some(0) {
            return Err(Error::config("budget.maxWallMs", "must be at least 1"));
        }
        Ok(())
    }
}

/// Which limit stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Limit {
    /// [`Budget::max_samples`].
    Samples,
    /// [`Budget::max_tokens`].
    Tokens,
    /// [`Budget::max_cost_usd`].
    Cost,
    /// [`Budget::max_wall_ms`].
    WallTime,
}

/// In words: `sample`, `token`, `dollar`, `wall-time` (as in "the token budget ran out").
impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Samples => "sample",
            Self::Tokens => "token",
            Self::Cost => "dollar",
            Self::WallTime => "wall-time",
        })
    }
}

/// What a run (or a branch) has spent so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct Spend {
    /// Completions started.
    pub samples: u32,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Visible output tokens.
    pub completion_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Dollars, when the model has a price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Milliseconds since the run started.
    pub elapsed_ms: u64,
}

impl Spend {
    /// Adds what one call consumed.
    pub fn add(&mut self, usage: &Usage, cost_usd: Option<f64>) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(usage.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_add(usage.completion_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(usage.reasoning_tokens);
        if let Some(cost) = cost_usd {
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + cost);
        }
    }

    /// Takes back what [`Spend::add`] added (for a revised count).
    pub fn remove(&mut self, usage: &Usage, cost_usd: Option<f64>) {
        self.prompt_tokens = self.prompt_tokens.saturating_sub(usage.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_sub(usage.completion_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_sub(usage.reasoning_tokens);
        if let (Some(total), Some(cost)) = (self.cost_usd, cost_usd) {
            self.cost_usd = Some((total - cost).max(0.0));
        }
    }

    /// Prompt + completion + reasoning tokens.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens
            .saturating_add(self.completion_tokens)
            .saturating_add(self.reasoning_tokens)
    }
}
