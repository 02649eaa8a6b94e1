//! Strategies: how to spend more compute on a question.
//!
//! Each strategy is a plain, serializable config struct implementing [`Strategy`]; JS sends them as
//! JSON (`{"kind": "selfConsistency", "samples": 8}`) through [`StrategyConfig`]. Strategies plan
//! branches and let [`Run::drive`] execute them, so budgets, cancellation, streaming and events
//! work the same for all of them.

mod adaptive;
mod allocation;
mod best_of_n;
mod refine;
mod sampling;
mod self_consistency;
mod single;
mod thoughts;
mod tree;
mod universal;
mod voting;

use serde::{Deserialize, Serialize};

use crate::compat::{MaybeSend, MaybeSync};
use crate::error::Result;
use crate::model::{Capabilities, Model};
use crate::run::{Run, Verdict};

pub use adaptive::AdaptiveConsistency;
pub use allocation::{AdaptiveAllocation, Estimate, Rung};
pub use best_of_n::{BestOfN, Judge};
pub use refine::{DEFAULT_CRITIQUE_PROMPT, Keep, SelfRefine};
pub use sampling::Sampling;
pub use self_consistency::SelfConsistency;
pub use single::{ChainOfThought, Direct, NativeReasoning};
pub use thoughts::{PromptPreset, ThoughtPrompts};
pub use tree::{Evaluator, Generator, Search, TreeOfThoughts};
pub use universal::{DEFAULT_SELECTOR_PROMPT, UniversalSelfConsistency};

pub use crate::verifier::Verifier;

/// What a strategy may check its configuration against before a run.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The model's capabilities.
    pub capabilities: Capabilities,
    /// The model's id.
    pub model: &'a str,
    /// Whether the runner has a verifier function.
    pub has_verifier: bool,
    /// How many models of a cascade requests may pick from (1 for a single model).
    pub tiers: u32,
}

/// Checks a strategy's `concurrency` setting: at least one request at a time, and at most
/// [`MAX_CONCURRENCY`](crate::run::MAX_CONCURRENCY) — more would only queue (a browser opens
/// about six connections per server) while each held part of the budget.
pub(crate) fn validate_concurrency(field: &str, concurrency: u32) -> Result<()> {
    let max = crate::run::MAX_CONCURRENCY;
    if (1..=max).contains(&concurrency) {
        return Ok(());
    }
    Err(crate::error::Error::config(
        field,
        format!(
            "must be between 1 and {max} (got {concurrency}): more requests at once only queue \
             at the server, while each holds part of the budget"
        ),
    ))
}

/// A way of answering a question with one or more model calls.
pub trait Strategy: Serialize + MaybeSync {
    /// The strategy's name as JSON spells its `kind` (for example `selfConsistency`).
    fn name(&self) -> &'static str;

    /// Checks the configuration; errors name the offending field.
    fn validate(&self, context: &ValidationContext<'_>) -> Result<()>;

    /// Runs the strategy and returns what it concluded. Never fails: failures, budget stops and
    /// cancellations are recorded in the run, and the verdict uses whatever succeeded.
    fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> impl Future<Output = Verdict> + MaybeSend;
}

/// Any built-in strategy, chosen by its `kind` — the form JS and stored configs use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StrategyConfig {
    /// [`Direct`].
    Direct(Direct),
    /// [`ChainOfThought`].
    ChainOfThought(ChainOfThought),
    /// [`SelfConsistency`].
    SelfConsistency(SelfConsistency),
    /// Universal self-consistency: a selector call picks the most consistent reply.
    UniversalSelfConsistency(UniversalSelfConsistency),
    /// [`AdaptiveConsistency`].
    AdaptiveConsistency(AdaptiveConsistency),
    /// [`BestOfN`].
    BestOfN(BestOfN),
    /// [`TreeOfThoughts`].
    TreeOfThoughts(TreeOfThoughts),
    /// [`SelfRefine`].
    SelfRefine(SelfRefine),
    /// [`AdaptiveAllocation`].
    AdaptiveAllocation(AdaptiveAllocation),
    /// [`NativeReasoning`].
    NativeReasoning(NativeReasoning),
}

impl Strategy for StrategyConfig {
    fn name(&self) -> &'static str {
        match self {
            Self::Direct(s) => s.name(),
            Self::ChainOfThought(s) => s.name(),
            Self::SelfConsistency(s) => s.name(),
            Self::UniversalSelfConsistency(s) => s.name(),
            Self::AdaptiveConsistency(s) => s.name(),
            Self::BestOfN(s) => s.name(),
            Self::TreeOfThoughts(s) => s.name(),
            Self::SelfRefine(s) => s.name(),
            Self::AdaptiveAllocation(s) => s.name(),
            Self::NativeReasoning(s) => s.name(),
        }
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        match self {
            Self::Direct(s) => s.validate(context),
            Self::ChainOfThought(s) => s.validate(context),
            Self::SelfConsistency(s) => s.validate(context),
            Self::UniversalSelfConsistency(s) => s.validate(context),
            Self::AdaptiveConsistency(s) => s.validate(context),
            Self::BestOfN(s) => s.validate(context),
            Self::TreeOfThoughts(s) => s.validate(context),
            Self::SelfRefine(s) => s.validate(context),
            Self::AdaptiveAllocation(s) => s.validate(context),
            Self::NativeReasoning(s) => s.validate(context),
        }
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        match self {
            Self::AdaptiveAllocation(s) => s.execute(run).await,
            other => other.execute_leaf(run).await,
        }
    }
}

impl StrategyConfig {
    /// Runs any strategy but [`AdaptiveAllocation`], which runs the others as its rungs: kept
    /// apart so that allocation's future does not contain itself (a recursive type).
    /// Allocation's own validation refuses it as a rung; here it does nothing.
    pub(crate) async fn execute_leaf<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        match self {
            Self::Direct(s) => s.execute(run).await,
            Self::ChainOfThought(s) => s.execute(run).await,
            Self::SelfConsistency(s) => s.execute(run).await,
            Self::UniversalSelfConsistency(s) => s.execute(run).await,
            Self::AdaptiveConsistency(s) => s.execute(run).await,
            Self::BestOfN(s) => s.execute(run).await,
            Self::TreeOfThoughts(s) => s.execute(run).await,
            Self::SelfRefine(s) => s.execute(run).await,
            Self::NativeReasoning(s) => s.execute(run).await,
            Self::AdaptiveAllocation(_) => Verdict::default(),
        }
    }
}

#[cfg(test)]
mod tests;
