//! The ledger: admits each request against what a budget has left, holding a reservation for
//! it while it runs.
//!
//! A request reserves its prompt (measured for a conversation seen before, else an upper bound),
//! plus `max_tokens` and the model's thinking allowance per choice, priced at the output rate;
//! one that does not fit is shrunk (fewer choices, fewer tokens) or refused. When it ends its
//! reservation is returned and its real usage is in the spend.

use super::{Budget, Limit, Spend};
use crate::model::Request;
use crate::pricing::Pricing;

/// Fewest tokens per choice worth starting a completion for; below this the budget is spent.
const MIN_USEFUL_TOKENS: u64 = 16;
/// Tokens reserved per choice for a request that sets no `max_tokens` (and, under a token or
/// dollar limit, the `max_tokens` it is then sent with, so that the server is held to it).
const DEFAULT_MAX_TOKENS: u64 = 1024;
/// How many measured prompts the ledger remembers (a run sends few distinct prompts; a search
/// sends one per state, and the oldest are forgotten first).
const MEASURED_PROMPTS: usize = 256;

/// An upper bound on a prompt's tokens before any was measured: byte-level tokenizers never make
/// more tokens than bytes; each message adds its chat-template markers, and the server may add a
/// default system message of its own.
fn prompt_upper_bound(request: &Request) -> u64 {
    const PER_MESSAGE: u64 = 8;
    const SERVER_FRAMING: u64 = 64;
    let bytes: u64 = request.messages.iter().map(|m| m.content.len() as u64 + PER_MESSAGE).sum();
    bytes + SERVER_FRAMING
}

/// A stable key for a conversation, to remember its measured prompt size (FNV-1a over roles and
/// texts; written out because it is a few lines and must not depend on std's hasher).
pub(crate) fn prompt_key(request: &Request) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for message in &request.messages {
        let role = format!("{:?}", message.role);
        for byte in role.bytes().chain([0]).chain(message.content.bytes()).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

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
    /// Prompt sizes the model reported, by [`prompt_key`], oldest first.
    measured: Vec<(u64, u64)>,
}

impl Ledger {
    pub(crate) fn new(budget: Budget, prices: Vec<Option<Pricing>>) -> Self {
        Self { budget, prices, reserved: Reservation::default(), measured: Vec::new() }
    }

    /// The prompt tokens to reserve for `request`: what the model reported for the same
    /// conversation before (never less than the usual estimate, in case that report left out
    /// cached tokens), else an upper bound — a token budget is a promise, so the first request
    /// of a conversation reserves the most it could cost.
    pub(crate) fn prompt_tokens(&self, request: &Request) -> u64 {
        let key = prompt_key(request);
        match self.measured.iter().rev().find(|(k, _)| *k == key) {
            Some(&(_, tokens)) => tokens.max(request.estimated_prompt_tokens()),
            None => prompt_upper_bound(request),
        }
    }

    /// Remembers what the model reported for a conversation's prompt (the largest report wins).
    pub(crate) fn observe_prompt(&mut self, key: u64, tokens: u64) {
        if tokens == 0 {
            return;
        }
        if let Some(entry) = self.measured.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = entry.1.max(tokens);
            return;
        }
        if self.measured.len() >= MEASURED_PROMPTS {
            self.measured.remove(0);
        }
        self.measured.push((key, tokens));
    }

    /// Reserves budget for `request` given what is already `spent`, shrinking its `n` and
    /// `max_tokens` to what is left; `thinking` is what the model spends on reasoning per choice
    /// on top of `max_tokens` ([`Model::thinking_tokens`](crate::model::Model::thinking_tokens)).
    /// Under a token or dollar limit a request without `max_tokens` is given one, so the server
    /// is held to what was reserved. `Err` names the limit that leaves no room at all.
    pub(crate) fn admit(
        &mut self,
        request: &mut Request,
        spent: &Spend,
        thinking: u64,
    ) -> Result<Reservation, Limit> {
        if let Some(max) = self.budget.max_samples {
            let left = max.saturating_sub(spent.samples);
            if left == 0 {
                return Err(Limit::Samples);
            }
            request.n = request.n.clamp(1, left);
        }
        let choices = u64::from(request.n.max(1));
        let prompt = self.prompt_tokens(request);
        let limited = self.budget.max_tokens.is_some() || self.budget.max_cost_usd.is_some();
        if limited && request.max_tokens.is_none() {
            request.max_tokens = Some(DEFAULT_MAX_TOKENS as u32);
        }
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

    /// The limit that `spent` plus what is held for requests in flight would pass: after a retry,
    /// whose voided attempt is spent and whose next attempt may use its whole reservation again.
    pub(crate) fn committed_over(&self, spent: &Spend) -> Option<Limit> {
        let committed = spent.total_tokens().saturating_add(self.reserved.tokens);
        if self.budget.max_tokens.is_some_and(|max| committed > max) {
            return Some(Limit::Tokens);
        }
        if let Some(max) = self.budget.max_cost_usd
            && spent.cost_usd.unwrap_or(0.0) + self.reserved.cost > max
        {
            return Some(Limit::Cost);
        }
        None
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
    use crate::model::{Message, Reasoning};

    fn request(max_tokens: u32) -> Request {
        // 30 bytes of prompt: at most 30 + 8 + 64 = 102 tokens before it was measured.
        Request::new(vec![Message::user("x".repeat(30))]).max_tokens(max_tokens)
    }

    /// A ledger that has seen the model report 14 prompt tokens for [`request`]'s prompt.
    fn measured(budget: Budget, prices: Vec<Option<Pricing>>) -> Ledger {
        let mut ledger = Ledger::new(budget, prices);
        ledger.observe_prompt(prompt_key(&request(1)), 14);
        ledger
    }

    #[test]
    fn reservations_hold_back_budget_for_branches_in_flight() {
        let mut ledger = measured(Budget::unlimited().max_tokens(1000), vec![None]);
        let spent = Spend::default();
        let mut first = request(400);
        let first_res = ledger.admit(&mut first, &spent, 0).unwrap();
        assert_eq!(first.max_tokens, Some(400));
        let mut second = request(400);
        ledger.admit(&mut second, &spent, 0).unwrap();
        // 1000 − 414 − 414 leaves 172, minus the 14-token prompt: the third branch is shortened.
        let mut third = request(400);
        ledger.admit(&mut third, &spent, 0).unwrap();
        assert_eq!(third.max_tokens, Some(158));
        assert_eq!(ledger.admit(&mut request(400), &spent, 0), Err(Limit::Tokens));
        ledger.release(first_res);
        assert!(ledger.admit(&mut request(400), &spent, 0).is_ok());
    }

    #[test]
    fn an_unmeasured_prompt_reserves_its_upper_bound_and_a_measured_one_its_size() {
        let mut ledger = Ledger::new(Budget::unlimited().max_tokens(10_000), vec![None]);
        let held = ledger.admit(&mut request(100), &Spend::default(), 0).unwrap();
        assert_eq!(held.tokens, 102 + 100, "every byte a token, plus framing");
        ledger.observe_prompt(prompt_key(&request(1)), 20);
        assert_eq!(ledger.prompt_tokens(&request(1)), 20);
        // A report below the usual estimate (cached tokens left out) does not lower it.
        ledger.observe_prompt(prompt_key(&request(1)), 3);
        assert_eq!(ledger.prompt_tokens(&request(1)), 20);
        let other = Request::new(vec![Message::user("y".repeat(30))]);
        assert_eq!(ledger.prompt_tokens(&other), 102, "another conversation is not measured");
    }

    #[test]
    fn under_a_token_limit_every_request_is_sent_with_a_max_tokens() {
        let mut limited = Ledger::new(Budget::unlimited().max_tokens(100_000), vec![None]);
        let mut open = Request::new(vec![Message::user("hi")]);
        limited.admit(&mut open, &Spend::default(), 0).unwrap();
        assert_eq!(open.max_tokens, Some(1024));
        let mut free = Ledger::new(Budget::unlimited(), vec![None]);
        let mut open = Request::new(vec![Message::user("hi")]);
        free.admit(&mut open, &Spend::default(), 0).unwrap();
        assert_eq!(open.max_tokens, None, "without a limit the provider's default stands");
    }

    #[test]
    fn a_retry_that_could_pass_the_limit_is_detected() {
        let mut ledger = measured(Budget::unlimited().max_tokens(1000), vec![None]);
        ledger.admit(&mut request(400), &Spend::default(), 0).unwrap();
        let wasted = Spend { prompt_tokens: 14, completion_tokens: 600, ..Spend::default() };
        assert_eq!(ledger.committed_over(&wasted), Some(Limit::Tokens));
        let little = Spend { prompt_tokens: 14, completion_tokens: 100, ..Spend::default() };
        assert_eq!(ledger.committed_over(&little), None);
    }

    #[test]
    fn samples_limit_shrinks_n_then_refuses() {
        let mut ledger = Ledger::new(Budget::unlimited().max_samples(5), vec![None]);
        let spent = Spend { samples: 3, ..Spend::default() };
        let mut batch = request(10).n(4);
        ledger.admit(&mut batch, &spent, 0).unwrap();
        assert_eq!(batch.n, 2);
        let spent = Spend { samples: 5, ..Spend::default() };
        assert_eq!(ledger.admit(&mut request(10), &spent, 0), Err(Limit::Samples));
    }

    #[test]
    fn dollar_limit_is_priced_at_the_output_rate() {
        // $10 per million output tokens: one cent buys 1000 tokens.
        let price = Pricing::new(0.0, 10.0);
        let mut ledger = measured(Budget::unlimited().max_cost_usd(0.01), vec![Some(price)]);
        let mut big = request(5000);
        ledger.admit(&mut big, &Spend::default(), 0).unwrap();
        let granted = big.max_tokens.unwrap();
        assert!((999..=1000).contains(&granted), "{granted}");
        assert_eq!(ledger.admit(&mut request(10), &Spend::default(), 0), Err(Limit::Cost));
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
    fn the_models_thinking_allowance_is_reserved_on_top_of_the_visible_tokens() {
        // Anthropic raises a 1000-token budget to 1024 and says so through `thinking_tokens`.
        let thinking = |max_tokens: u32| {
            let mut request = request(max_tokens);
            request.reasoning = Some(Reasoning::Budget { tokens: 1000 });
            request
        };
        let spent = Spend::default();
        let mut tight = measured(Budget::unlimited().max_tokens(1030), vec![None]);
        assert_eq!(tight.admit(&mut thinking(100), &spent, 1024).map(drop), Err(Limit::Tokens));
        let mut roomy = measured(Budget::unlimited().max_tokens(1500), vec![None]);
        let mut shrunk = thinking(600);
        let held = roomy.admit(&mut shrunk, &spent, 1024).unwrap();
        assert_eq!(shrunk.max_tokens, Some(1500 - 14 - 1024));
        assert_eq!(held.tokens, 1500, "prompt, thinking and the shrunk visible tokens");
    }

    #[test]
    fn a_tier_past_the_last_model_is_priced_by_the_last_model() {
        let (cheap, dear) = (Pricing::new(0.0, 0.0), Pricing::new(1.0, 2.0));
        assert_eq!(price_of(&[Some(cheap), Some(dear)], 5), Some(dear));
        assert_eq!(price_of(&[], 0), None);
    }
}
