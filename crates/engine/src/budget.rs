//! Hard budgets — samples, tokens, dollars, seconds — and what a run has spent.
//!
//! Enforcement is by reservation: before a branch starts, the ledger reserves its prompt (a
//! generous estimate) plus `max_tokens` per choice against what is left; a branch that does not
//! fit is not started, and one that fits only partly gets a smaller `max_tokens`. When a branch
//! finishes, its reservation is replaced by its real usage. Spending can therefore exceed a limit
//! only if a provider reports more tokens than requested — and then the run stops at once.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Reasoning, Request, Usage};
use crate::pricing::Pricing;

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
    /// Most US dollars, priced with the model's [`Pricing`].
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

/// Fewest tokens per choice worth starting a completion for; below this the budget is spent.
const MIN_USEFUL_TOKENS: u64 = 16;
/// Tokens reserved per choice for a request that sets no `max_tokens`.
const DEFAULT_MAX_TOKENS: u64 = 1024;

/// The price of `tier` in a cascade's price list; a tier past the last model is served by the
/// last one (a cascade's last model answers every higher tier), so it is priced by it too.
pub(crate) fn price_of(prices: &[Option<Pricing>], tier: u32) -> Option<Pricing> {
    let last = prices.len().checked_sub(1)?;
    prices.get((tier as usize).min(last)).copied().flatten()
}

/// Budget held back for branches in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Reservation {
    tokens: u64,
    cost: f64,
}

/// Admits branches against a budget, holding reservations for those in flight.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    budget: Budget,
    /// Each tier's price (index = [`Request::tier`]); one entry for a single model.
    prices: Vec<Option<Pricing>>,
    reserved: Reservation,
}

impl Ledger {
    pub(crate) fn new(budget: Budget, prices: Vec<Option<Pricing>>) -> Self {
        Self { budget, prices, reserved: Reservation::default() }
    }

    /// Reserves budget for `request` given what is already `spent`, shrinking its `n` and
    /// `max_tokens` to what is left; `Err` names the limit that leaves no room at all.
    pub(crate) fn admit(
        &mut self,
        request: &mut Request,
        spent: &Spend,
    ) -> Result<Reservation, Limit> {
        if let Some(max) = self.budget.max_samples {
            let left = max.saturating_sub(spent.samples);
            if left == 0 {
                return Err(Limit::Samples);
            }
            request.n = request.n.clamp(1, left);
        }
        let choices = u64::from(request.n.max(1));
        let prompt = request.estimated_prompt_tokens();
        // A thinking budget (Anthropic) is spent on top of the visible `max_tokens`.
        let thinking = match request.reasoning {
            Some(Reasoning::Budget { tokens }) => u64::from(tokens),
            _ => 0,
        };
        let visible = request.max_tokens.map_or(DEFAULT_MAX_TOKENS, u64::from);
        let asked = visible + thinking;
        let mut per_choice = asked;
        if let Some(max) = self.budget.max_tokens {
            let free =
                max.saturating_sub(spent.total_tokens()).saturating_sub(self.reserved.tokens);
            let room = free.saturating_sub(prompt) / choices;
            if room < thinking + MIN_USEFUL_TOKENS.min(visible) {
                return Err(Limit::Tokens);
            }
            per_choice = per_choice.min(room);
        }
        let mut cost = 0.0;
        if let Some(price) = price_of(&self.prices, request.tier) {
            let prompt_cost = prompt as f64 * price.input_per_mtok / 1e6;
            let per_token = price.max_output_per_token();
            if let Some(max) = self.budget.max_cost_usd {
                let free = max - spent.cost_usd.unwrap_or(0.0) - self.reserved.cost - prompt_cost;
                if per_token > 0.0 {
                    let room = (free / (per_token * choices as f64)).floor();
                    // `room` is NaN when nothing is free and the rate is tiny: refuse then too.
                    if room.is_nan() || room < (thinking + MIN_USEFUL_TOKENS.min(visible)) as f64 {
                        return Err(Limit::Cost);
                    }
                    per_choice = per_choice.min(room as u64);
                } else if free < 0.0 {
                    return Err(Limit::Cost);
                }
            }
            cost = prompt_cost + per_token * (per_choice * choices) as f64;
        }
        if per_choice < asked {
            let visible_room = per_choice.saturating_sub(thinking);
            request.max_tokens = Some(u32::try_from(visible_room).unwrap_or(u32::MAX));
        }
        let reservation = Reservation { tokens: prompt + per_choice * choices, cost };
        self.reserved.tokens += reservation.tokens;
        self.reserved.cost += reservation.cost;
        Ok(reservation)
    }

    /// Returns a reservation once its branch has finished (its real usage is now in the spend).
    pub(crate) fn release(&mut self, reservation: Reservation) {
        self.reserved.tokens = self.reserved.tokens.saturating_sub(reservation.tokens);
        self.reserved.cost = (self.reserved.cost - reservation.cost).max(0.0);
    }

    /// The limit that `spent` is already over, if any (samples are never "over": they are only
    /// refused at admission).
    pub(crate) fn overspent(&self, spent: &Spend) -> Option<Limit> {
        if self.budget.max_tokens.is_some_and(|max| spent.total_tokens() > max) {
            return Some(Limit::Tokens);
        }
        if let (Some(max), Some(cost)) = (self.budget.max_cost_usd, spent.cost_usd)
            && cost > max
        {
            return Some(Limit::Cost);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Message;

    fn request(max_tokens: u32) -> Request {
        // 30 bytes of prompt: estimated at 10 + 4 = 14 tokens.
        Request::new(vec![Message::user("x".repeat(30))]).max_tokens(max_tokens)
    }

    #[test]
    fn reservations_hold_back_budget_for_branches_in_flight() {
        let mut ledger = Ledger::new(Budget::unlimited().max_tokens(1000), vec![None]);
        let spent = Spend::default();
        let mut first = request(400);
        let first_res = ledger.admit(&mut first, &spent).unwrap();
        assert_eq!(first.max_tokens, Some(400));
        let mut second = request(400);
        ledger.admit(&mut second, &spent).unwrap();
        // 1000 − 414 − 414 leaves 172, minus the 14-token prompt: the third branch is shortened.
        let mut third = request(400);
        ledger.admit(&mut third, &spent).unwrap();
        assert_eq!(third.max_tokens, Some(158));
        assert_eq!(ledger.admit(&mut request(400), &spent), Err(Limit::Tokens));
        ledger.release(first_res);
        assert!(ledger.admit(&mut request(400), &spent).is_ok());
    }

    #[test]
    fn samples_limit_shrinks_n_then_refuses() {
        let mut ledger = Ledger::new(Budget::unlimited().max_samples(5), vec![None]);
        let spent = Spend { samples: 3, ..Spend::default() };
        let mut batch = request(10).n(4);
        ledger.admit(&mut batch, &spent).unwrap();
        assert_eq!(batch.n, 2);
        let spent = Spend { samples: 5, ..Spend::default() };
        assert_eq!(ledger.admit(&mut request(10), &spent), Err(Limit::Samples));
    }

    #[test]
    fn dollar_limit_is_priced_at_the_output_rate() {
        // $10 per million output tokens: one cent buys 1000 tokens.
        let price = Pricing::new(0.0, 10.0);
        let mut ledger = Ledger::new(Budget::unlimited().max_cost_usd(0.01), vec![Some(price)]);
        let mut big = request(5000);
        ledger.admit(&mut big, &Spend::default()).unwrap();
        let granted = big.max_tokens.unwrap();
        assert!((999..=1000).contains(&granted), "{granted}");
        assert_eq!(ledger.admit(&mut request(10), &Spend::default()), Err(Limit::Cost));
    }

    #[test]
    fn overspending_is_detected() {
        let ledger = Ledger::new(Budget::unlimited().max_tokens(100).max_cost_usd(1.0), vec![None]);
        let over = Spend { prompt_tokens: 90, completion_tokens: 11, ..Spend::default() };
        assert_eq!(ledger.overspent(&over), Some(Limit::Tokens));
        let exact = Spend { prompt_tokens: 90, completion_tokens: 10, ..Spend::default() };
        assert_eq!(ledger.overspent(&exact), None);
        let costly = Spend { cost_usd: Some(1.5), ..Spend::default() };
        assert_eq!(ledger.overspent(&costly), Some(Limit::Cost));
    }

    #[test]
    fn invalid_budgets_name_the_field() {
        let error = Budget::unlimited().max_cost_usd(f64::NAN).validate().unwrap_err();
        assert!(error.to_string().contains("budget.maxCostUsd"));
        assert!(Budget::unlimited().max_samples(0).validate().is_err());
    }

    #[test]
    fn a_thinking_budget_is_reserved_on_top_of_the_visible_tokens() {
        let thinking = |max_tokens: u32| {
            let mut request = request(max_tokens);
            request.reasoning = Some(Reasoning::Budget { tokens: 1000 });
            request
        };
        let spent = Spend::default();
        let mut tight = Ledger::new(Budget::unlimited().max_tokens(900), vec![None]);
        assert_eq!(tight.admit(&mut thinking(100), &spent).map(drop), Err(Limit::Tokens));
        let mut roomy = Ledger::new(Budget::unlimited().max_tokens(1100), vec![None]);
        let mut shrunk = thinking(400);
        let held = roomy.admit(&mut shrunk, &spent).unwrap();
        let prompt = shrunk.estimated_prompt_tokens();
        assert_eq!(shrunk.max_tokens, Some(u32::try_from(1100 - prompt - 1000).unwrap()));
        assert_eq!(held.tokens, 1100, "prompt, thinking and the shrunk visible tokens");
    }

    #[test]
    fn a_tier_past_the_last_model_is_priced_by_the_last_model() {
        let (cheap, dear) = (Pricing::new(0.0, 0.0), Pricing::new(1.0, 2.0));
        assert_eq!(price_of(&[Some(cheap), Some(dear)], 5), Some(dear));
        assert_eq!(price_of(&[], 0), None);
    }
}
