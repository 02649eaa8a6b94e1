//! [`Runner`]: what a caller configures — model, budget, prices, clock, cancel token, verifier —
//! and then runs strategies with. It validates everything before a run starts, sets up the
//! [`Run`] a strategy acts on, and ends it with the [`Outcome`].

use std::sync::Arc;

use crate::answer::AnswerParser;
use crate::budget::{Budget, Ledger};
use crate::cancel::CancelToken;
use crate::clock::Clock;
use crate::cluster::{Similarity, TextSimilarity};
use crate::error::{Error, Result};
use crate::event::{EventKind, Outcome};
use crate::model::Model;
use crate::pricing::{PriceTable, Pricing};
use crate::prompt::Task;
use crate::run::{Journal, Run};
use crate::sink::Sink;
use crate::state::RunState;
use crate::strategy::{Strategy, ValidationContext};
use crate::verifier::Verifier;

/// A finished run: what [`Runner::run`] returns, and the state the engine kept.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    /// The outcome.
    pub outcome: Outcome,
    /// The run's final state (its `outcome` is the same).
    pub state: RunState,
}

/// Runs strategies on a model under a budget. Configure once, run many times.
///
/// ```
/// # #[cfg(feature = "test-utils")] {
/// use thinkscale_engine::prelude::*;
/// use thinkscale_engine::testing::ScriptedModel;
///
/// let model = ScriptedModel::cycling(["The answer is: 4", "The answer is: 4", "The answer is: 5"]);
/// let runner = Runner::new(&model).budget(Budget::unlimited().max_samples(10));
/// let strategy = SelfConsistency { samples: 3, ..SelfConsistency::default() };
/// let outcome = futures::executor::block_on(
///     runner.run(&strategy, &Task::new("What is 2 + 2?"), &mut NullSink),
/// )?;
/// assert_eq!(outcome.answer.map(|a| a.key).as_deref(), Some("4"));
/// # }
/// # Ok::<(), thinkscale_engine::Error>(())
/// ```
pub struct Runner<M> {
    model: M,
    budget: Budget,
    prices: PriceTable,
    price: Option<Pricing>,
    clock: Option<Arc<dyn Clock>>,
    cancel: CancelToken,
    verifier: Option<Arc<dyn Verifier>>,
    similarity: Option<Arc<dyn Similarity>>,
}

impl<M> std::fmt::Debug for Runner<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").field("budget", &self.budget).finish_non_exhaustive()
    }
}

impl<M: Model> Runner<M> {
    /// A runner with no budget limits, the common price table, and (natively) the system clock.
    /// On wasm32 there is no default clock: set one with [`Runner::clock`] to get timestamps and
    /// wall-time budgets.
    pub fn new(model: M) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        let clock: Option<Arc<dyn Clock>> = Some(Arc::new(crate::clock::SystemClock::new()));
        #[cfg(target_arch = "wasm32")]
        let clock: Option<Arc<dyn Clock>> = None;
        Self {
            model,
            budget: Budget::unlimited(),
            prices: PriceTable::common(),
            price: None,
            clock,
            cancel: CancelToken::new(),
            verifier: None,
            similarity: None,
        }
    }
    /// Sets the budget (default: unlimited).
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }
    /// Replaces the price table used to look up the model's price (default: [`PriceTable::common`]).
    pub fn prices(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }
    /// Sets this model's price directly, overriding the table.
    pub fn price(mut self, price: Pricing) -> Self {
        self.price = Some(price);
        self
    }
    /// Sets the clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Sets the token that cancels runs (default: a fresh token nobody else holds).
    pub fn cancel_token(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }
    /// Sets the verifier: best-of-N's `judge: verifier`, the check that ends a depth-first tree
    /// search (answers it scores below 0.5 are dead ends) and picks among a search's answers, and
    /// self-refine's score for each version. Scores are read as higher-is-better, in [0, 1] by
    /// convention.
    pub fn verifier(mut self, verifier: impl Verifier + 'static) -> Self {
        self.verifier = Some(Arc::new(verifier));
        self
    }
    /// Sets how alike two replies' statements are when samples are clustered (default: text
    /// similarity, [`TextSimilarity`]) — an embedding's cosine, say, for clusters by meaning.
    pub fn similarity(mut self, similarity: impl Similarity + 'static) -> Self {
        self.similarity = Some(Arc::new(similarity));
        self
    }
    /// Each tier's price (one entry unless the model is a [`Cascade`](crate::model::Cascade)):
    /// the explicit price for every tier if one was set, else the table's entry for the tier's
    /// model.
    pub fn tier_prices(&self) -> Vec<Option<Pricing>> {
        (0..self.model.tiers().max(1))
            .map(|tier| self.price.or_else(|| self.prices.lookup(self.model.tier_id(tier))))
            .collect()
    }

    /// Checks a strategy and task against this runner's model, budget and settings without
    /// running anything. [`run`](Self::run) does the same checks first.
    pub fn validate<S: Strategy>(&self, strategy: &S, task: &Task) -> Result<()> {
        self.prepare(strategy, task).map(drop)
    }

    /// Validates everything and compiles the task's extractor (once) for the run.
    fn prepare<S: Strategy>(&self, strategy: &S, task: &Task) -> Result<AnswerParser> {
        task.validate()?;
        let parser = task.extractor.compile()?.for_question(task.question());
        self.budget.validate()?;
        self.prices.validate()?;
        if let Some(price) = &self.price {
            price.validate("price")?;
        }
        if self.budget.max_cost_usd.is_some() {
            let prices = self.tier_prices();
            if let Some(tier) = prices.iter().position(Option::is_none) {
                let id = self.model.tier_id(u32::try_from(tier).unwrap_or(u32::MAX));
                return Err(Error::config(
                    "budget.maxCostUsd",
                    format!("needs a price for model `{id}`: add one to the pricing table"),
                ));
            }
        }
        if self.budget.max_wall_ms.is_some() && self.clock.is_none() {
            return Err(Error::config(
                "budget.maxWallMs",
                "needs a clock: set one with Runner::clock",
            ));
        }
        strategy.validate(&ValidationContext {
            capabilities: self.model.capabilities(),
            model: self.model.id(),
            has_verifier: self.verifier.is_some(),
            tiers: self.model.tiers().max(1),
        })?;
        Ok(parser)
    }

    /// Runs `strategy` on `task`, sending every event to `sink`. Fails only on invalid input,
    /// before anything runs; everything that happens during the run ends in the [`Outcome`].
    pub async fn run<S: Strategy, K: Sink>(
        &self,
        strategy: &S,
        task: &Task,
        sink: &mut K,
    ) -> Result<Outcome> {
        self.run_with_state(strategy, task, sink).await.map(|finished| finished.outcome)
    }

    /// Runs like [`run`](Self::run) and also returns the run's final state: every node with
    /// its text, answer, score and spend, the vote, the decisions. The state the engine kept
    /// while it ran, not a replay of the trace.
    pub async fn run_with_state<S: Strategy, K: Sink>(
        &self,
        strategy: &S,
        task: &Task,
        sink: &mut K,
    ) -> Result<FinishedRun> {
        let parser = self.prepare(strategy, task)?;
        let clock = self.clock.as_deref();
        let prices = self.tier_prices();
        let mut run = Run {
            model: &self.model,
            task,
            transcript: task.transcript(),
            parser,
            prices: prices.clone(),
            verifier: self.verifier.as_deref(),
            similarity: self.similarity.as_deref().unwrap_or(&TextSimilarity),
            cancel: &self.cancel,
            ledger: Ledger::new(self.budget, prices),
            journal: Journal::new(sink, clock),
            deadline: None,
            stopped: None,
        };
        run.journal.emit(EventKind::RunStarted {
            question: task.question().to_owned(),
            messages: task.messages.clone(),
            strategy: strategy.name().to_owned(),
            config: config_with_kind(strategy),
            budget: self.budget,
            model: self.model.id().to_owned(),
        });
        if let (Some(clock), Some(ms)) = (clock, self.budget.max_wall_ms) {
            run.deadline = Some(clock.sleep(std::time::Duration::from_millis(ms)));
        }
        let verdict = strategy.execute(&mut run).await;
        let (outcome, state) = run.finish(verdict);
        Ok(FinishedRun { outcome, state })
    }
}

/// The strategy's config as JSON, tagged with its `kind` so that it parses as a
/// [`StrategyConfig`](crate::StrategyConfig) again.
fn config_with_kind<S: Strategy>(strategy: &S) -> serde_json::Value {
    let mut config = serde_json::to_value(strategy).unwrap_or_default();
    if let Some(fields) = config.as_object_mut() {
        fields.entry("kind").or_insert_with(|| strategy.name().into());
    }
    config
}
