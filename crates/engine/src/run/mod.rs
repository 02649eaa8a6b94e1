//! Running a strategy: the [`Runner`] a caller configures, and the [`Run`] a strategy acts on.
//!
//! A run flows like this: the runner validates everything up front (strategy, task, budget, prices,
//! clock), emits `runStarted`, and hands a [`Run`] to the strategy. The strategy plans branches and
//! calls [`Run::drive`], which makes the model calls under the budget and streams every step into
//! the [`Journal`]. When the strategy returns its [`Verdict`], the runner emits `runFinished` with
//! the [`Outcome`] — the same outcome whether the strategy finished, settled early, ran out of
//! budget, was cancelled or lost branches to errors.

mod drive;
mod flight;
mod journal;
mod settle;

use std::sync::Arc;

pub use drive::{BranchPlan, MAX_CONCURRENCY, Step};
pub use flight::MAX_BRANCH_BYTES;
pub use journal::Journal;

use crate::answer::{Answer, AnswerParser};
use crate::budget::{Budget, Ledger};
use crate::cancel::CancelToken;
use crate::clock::Clock;
use crate::compat::BoxFuture;
use crate::error::{Error, Result};
use crate::event::{EventKind, NodeId, NodeKind, Outcome, StopReason};
use crate::model::{Capabilities, Model};
use crate::pricing::{PriceTable, Pricing};
use crate::prompt::Task;
use crate::sink::Sink;
use crate::state::{NodeStatus, RunState};
use crate::strategy::{Strategy, ValidationContext, Verifier};
use crate::vote::Tally;

/// What a strategy concluded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// The final answer.
    pub answer: Option<Answer>,
    /// The node it came from.
    pub chosen: Option<NodeId>,
    /// The final vote, best first.
    pub votes: Vec<Tally>,
}

/// The run a strategy is executing: the model, the task, the budget ledger and the journal.
pub struct Run<'r, M> {
    model: &'r M,
    task: &'r Task,
    parser: AnswerParser,
    /// Each tier's price (index = the request's tier).
    prices: Vec<Option<Pricing>>,
    verifier: Option<&'r dyn Verifier>,
    cancel: &'r CancelToken,
    ledger: Ledger,
    journal: Journal<'r>,
    deadline: Option<BoxFuture<'static, ()>>,
    stopped: Option<StopReason>,
}

impl<M> std::fmt::Debug for Run<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("stopped", &self.stopped).finish_non_exhaustive()
    }
}

impl<'r, M: Model> Run<'r, M> {
    /// The task.
    pub fn task(&self) -> &'r Task {
        self.task
    }
    /// The model's capabilities.
    pub fn capabilities(&self) -> Capabilities {
        self.model.capabilities()
    }
    /// The id of the model that answers requests of `tier` (see [`Request::tier`]).
    ///
    /// [`Request::tier`]: crate::model::Request::tier
    pub fn tier_id(&self, tier: u32) -> &str {
        self.model.tier_id(tier)
    }
    /// The caller's verifier, if one was given.
    pub fn verifier(&self) -> Option<&'r dyn Verifier> {
        self.verifier
    }
    /// The run so far.
    pub fn state(&self) -> &RunState {
        self.journal.state()
    }
    /// The journal, to record votes, scores and other events.
    pub fn journal(&mut self) -> &mut Journal<'r> {
        &mut self.journal
    }
    /// Why the run stopped, once it has.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stopped.as_ref()
    }
    /// Whether the run has stopped (further [`drive`](Self::drive) calls do nothing).
    pub fn is_stopped(&self) -> bool {
        self.stopped.is_some()
    }
    /// Stops the run between drives (for example when a wave settles the vote).
    pub fn stop(&mut self, reason: StopReason) {
        if self.stopped.is_none() {
            self.journal.emit(EventKind::EarlyStop { reason: reason.clone() });
            self.stopped = Some(reason);
        }
    }

    /// Records a node that no model call of its own produced — one step of a proposal listing,
    /// say — as finished with `text`. Its tokens belong to `written_by`, the call that wrote it,
    /// so it has no usage and does not count as a sample. Returns its id.
    pub fn record_node(
        &mut self,
        parent: Option<NodeId>,
        kind: NodeKind,
        label: &str,
        text: &str,
        written_by: NodeId,
    ) -> NodeId {
        let id = NodeId(u32::try_from(self.journal.state().nodes.len()).unwrap_or(u32::MAX));
        self.journal.emit(EventKind::BranchStarted {
            id,
            parent,
            kind,
            label: label.to_owned(),
            written_by: Some(written_by),
        });
        let answer = kind
            .yields_answer()
            .then(|| self.parser.extract(text, crate::model::FinishReason::Stop))
            .flatten();
        self.journal.emit(EventKind::BranchFinished {
            id,
            text: text.to_owned(),
            reasoning: None,
            finish_reason: crate::model::FinishReason::Stop,
            answer,
            mean_logprob: None,
            confidence: None,
            usage: crate::model::Usage::default(),
            cost_usd: self.prices.iter().any(Option::is_some).then_some(0.0),
        });
        id
    }

    /// Ends the run with the strategy's verdict and returns the outcome.
    fn finish(mut self, verdict: Verdict) -> Outcome {
        let state = self.journal.state();
        let (succeeded, failed, cancelled) = state.status_counts();
        let last_error = state.errors.last().map(|e| e.error.clone());
        let stop = match (self.stopped.take(), last_error) {
            (Some(reason), _) => reason,
            (None, Some(error)) if succeeded == 0 => StopReason::ModelFailed { error },
            (None, _) => StopReason::Completed,
        };
        let text = verdict
            .chosen
            .and_then(|id| state.node(id))
            .filter(|n| n.status == NodeStatus::Done)
            .map(|n| n.text.clone());
        let mut outcome = Outcome {
            answer: verdict.answer,
            chosen: verdict.chosen,
            text,
            votes: verdict.votes,
            stop,
            spend: state.spend,
            succeeded,
            failed,
            cancelled,
        };
        self.journal.emit_stamped(|at_ms| {
            outcome.spend.elapsed_ms = at_ms;
            EventKind::RunFinished { outcome: outcome.clone() }
        });
        outcome
    }
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
    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model's price: the explicit one, else the table's entry for its id.
    pub fn model_price(&self) -> Option<Pricing> {
        self.price.or_else(|| self.prices.lookup(self.model.id()))
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
        let parser = task.extractor.compile()?;
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
        let parser = self.prepare(strategy, task)?;
        let clock = self.clock.as_deref();
        let prices = self.tier_prices();
        let mut run = Run {
            model: &self.model,
            task,
            parser,
            prices: prices.clone(),
            verifier: self.verifier.as_deref(),
            cancel: &self.cancel,
            ledger: Ledger::new(self.budget, prices),
            journal: Journal::new(sink, clock),
            deadline: None,
            stopped: None,
        };
        run.journal.emit(EventKind::RunStarted {
            question: task.question.clone(),
            strategy: strategy.name().to_owned(),
            config: config_with_kind(strategy),
            budget: self.budget,
            model: self.model.id().to_owned(),
        });
        if let (Some(clock), Some(ms)) = (clock, self.budget.max_wall_ms) {
            run.deadline = Some(clock.sleep(std::time::Duration::from_millis(ms)));
        }
        let verdict = strategy.execute(&mut run).await;
        Ok(run.finish(verdict))
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
