//! The events of a run: everything that happens, as serializable data.
//!
//! Every model call is a node with an id and a parent, so the same vocabulary describes a flat vote
//! (samples under the root), best-of-N (judges under their candidates), tree search (thoughts under
//! thoughts, pruned and backtracked) and rounds of refinement (drafts, critiques, revisions). The
//! events of a run, in order, are its trace; folding them with [`RunState::apply`] rebuilds the
//! run's state, which is how live views and replays see the same thing.
//!
//! [`RunState::apply`]: crate::state::RunState::apply

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::budget::{Budget, Limit, Spend};
use crate::model::{Channel, FinishReason, ModelError, Usage};
use crate::vote::{Standing, Tally};

pub use crate::node::{NodeId, NodeKind};

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum StopReason {
    /// The strategy did all it planned.
    Completed,
    /// The strategy decided the answer was settled before using everything it could.
    Settled {
        /// The rule that fired.
        rule: SettleRule,
        /// The evidence, in words.
        detail: String,
    },
    /// A budget limit was reached.
    Budget {
        /// Which one.
        limit: Limit,
    },
    /// The caller cancelled the run.
    Cancelled,
    /// The event sink asked to stop.
    StoppedBySink,
    /// Model calls failed so that the run could not go on (an authentication error, say, or every
    /// branch failing).
    ModelFailed {
        /// The failure.
        error: ModelError,
    },
}

/// The rule that settled a run early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum SettleRule {
    /// Adaptive consistency's Beta rule: the leader is very likely the majority.
    Beta,
    /// Early-stopping self-consistency's window rule: a window of samples agreed.
    Window,
    /// Self-refine: the critique found nothing left to fix.
    Critique,
    /// Adaptive allocation: the first wave agreed, so the question looked easy.
    Difficulty,
}

impl std::fmt::Display for SettleRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Beta => "beta",
            Self::Window => "window",
            Self::Critique => "critique",
            Self::Difficulty => "difficulty",
        })
    }
}

/// In words, for people: `the token budget ran out`, `the model failed: network error: …`.
impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Completed => f.write_str("completed: every planned call was made"),
            Self::Settled { rule, detail } => write!(f, "settled early ({rule} rule): {detail}"),
            Self::Budget { limit } => write!(f, "the {limit} budget ran out"),
            Self::Cancelled => f.write_str("cancelled"),
            Self::StoppedBySink => f.write_str("stopped by the event handler"),
            Self::ModelFailed { error } => write!(f, "the model failed: {error}"),
        }
    }
}

/// The result of a run, as returned and as recorded in its last event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The final answer, if any branch gave one.
    pub answer: Option<Answer>,
    /// The node the answer was taken from, if one was chosen.
    pub chosen: Option<NodeId>,
    /// The full text of that node.
    pub text: Option<String>,
    /// The final tally, best first (empty for single-branch strategies).
    pub votes: Vec<Tally>,
    /// Why the run stopped.
    pub stop: StopReason,
    /// Everything spent.
    pub spend: Spend,
    /// Branches that finished with a completion.
    pub succeeded: u32,
    /// Branches that failed.
    pub failed: u32,
    /// Branches cancelled in flight.
    pub cancelled: u32,
}

/// One thing that happened in a run, stamped with the milliseconds since the run started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "RunEvent"))]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. Serialized with a `type` tag: `{"type": "branchStarted", "id": 3, …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum EventKind {
    /// The run began.
    RunStarted {
        /// The question (the conversation's last turn).
        question: String,
        /// The whole conversation, the question last. Traces written before conversations list
        /// none: the question alone.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[cfg_attr(
            feature = "typescript",
            ts(as = "Option<Vec<crate::model::Message>>", optional)
        )]
        messages: Vec<crate::model::Message>,
        /// The strategy's name.
        strategy: String,
        /// The strategy's full configuration.
        #[cfg_attr(feature = "typescript", ts(type = "StrategyConfig"))]
        config: serde_json::Value,
        /// The budget.
        budget: Budget,
        /// The model's id.
        model: String,
    },
    /// A node (a model call) began.
    BranchStarted {
        /// Its id.
        id: NodeId,
        /// The node it hangs under; `None` at the root.
        parent: Option<NodeId>,
        /// What it is for.
        kind: NodeKind,
        /// A short human label ("sample 3", "judge of #2").
        label: String,
        /// For a node with no model call of its own — a step listed by a proposal — the call
        /// that wrote it. Such nodes cost nothing and do not count as samples.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        written_by: Option<NodeId>,
    },
    /// New text streamed into a running node.
    TokenDelta {
        /// The node.
        id: NodeId,
        /// Visible text or reasoning.
        channel: Channel,
        /// The new text.
        text: String,
    },
    /// A node's model call failed in a retryable way and is being retried: the text streamed so
    /// far is discarded, and the node streams afresh after `delay_ms`.
    BranchRetried {
        /// The node.
        id: NodeId,
        /// The attempt about to start (2 for the first retry).
        attempt: u32,
        /// Why the previous attempt failed.
        error: ModelError,
        /// The wait before the next attempt.
        delay_ms: u64,
        /// What the voided attempt consumed, as far as the engine could count (its prompt, and
        /// the tokens it streamed): spent all the same.
        #[serde(default, skip_serializing_if = "Usage::is_zero")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<Usage>", optional))]
        usage: Usage,
        /// What that cost, when the model has a price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        cost_usd: Option<f64>,
    },
    /// A node's model call completed.
    BranchFinished {
        /// The node.
        id: NodeId,
        /// The whole visible text.
        text: String,
        /// The whole reasoning text, when the model showed any.
        reasoning: Option<String>,
        /// Why generation ended.
        finish_reason: FinishReason,
        /// The extracted answer, for nodes that answer the question.
        answer: Option<Answer>,
        /// Mean token logprob, when the model gave logprobs.
        mean_logprob: Option<f64>,
        /// The model's stated confidence in [0, 1], when it stated one.
        confidence: Option<f64>,
        /// Tokens used.
        usage: Usage,
        /// Dollars, when the model has a price.
        cost_usd: Option<f64>,
    },
    /// A node in flight was abandoned (the run stopped or was cancelled).
    BranchCancelled {
        /// The node.
        id: NodeId,
        /// What it consumed before it was abandoned (its prompt, and the tokens it streamed).
        #[serde(default, skip_serializing_if = "Usage::is_zero")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<Usage>", optional))]
        usage: Usage,
        /// What that cost, when the model has a price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        cost_usd: Option<f64>,
    },
    /// A finished node's usage, revised: the provider learnt the exact count only after the
    /// node finished (one choice of a request ends before the others; the usage comes last).
    UsageRevised {
        /// The node.
        id: NodeId,
        /// Everything the node consumed, replacing its usage so far.
        usage: Usage,
        /// Everything it cost, replacing its cost so far.
        cost_usd: Option<f64>,
    },
    /// A node received a score (from a judge call, a verifier or an evaluator).
    NodeScored {
        /// The node scored.
        id: NodeId,
        /// The score (higher is better; judges use [0, 1]).
        score: f64,
        /// The judge node that produced it, if a model call did.
        by: Option<NodeId>,
    },
    /// A node was pruned from a search: it stays in the trace, marked.
    NodePruned {
        /// The node.
        id: NodeId,
        /// Why, in words.
        reason: String,
    },
    /// A search abandoned a dead end and went back to an earlier node.
    Backtracked {
        /// The dead end.
        from: NodeId,
        /// Where the search resumes (`None`: the root).
        to: Option<NodeId>,
    },
    /// An adaptive strategy decided how much more compute to spend, and on what.
    Decided {
        /// The question's estimated difficulty in [0, 1] (1 − the leading answer's share of the
        /// samples so far, or 1 − their mean stated confidence).
        difficulty: f64,
        /// What it will do: `stop`, or a step up such as "4 more samples" or "escalate to tier
        /// 1 (gpt-4o)".
        action: String,
        /// Why, in words.
        reason: String,
    },
    /// The vote after a new sample.
    VoteTallied {
        /// The leading answers and their votes, best first: at most
        /// [`MAX_STANDINGS`](crate::vote::MAX_STANDINGS), so that a run of thousands of distinct
        /// answers keeps a trace that grows linearly.
        standings: Vec<Standing>,
        /// Samples with an answer counted so far.
        counted: u32,
        /// Distinct answers in all (more than `standings` lists when the vote is spread wide).
        #[serde(default)]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        answers: u32,
    },
    /// A selector read the samples and named the most consistent one — or named none that
    /// exists (`chosen` is then absent and the samples' own vote decides).
    Selected {
        /// The selector's node.
        by: NodeId,
        /// The sample it chose.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        chosen: Option<NodeId>,
        /// Why, in its words (or why its choice could not be used).
        reason: String,
    },
    /// The samples, clustered by what they say (a run that decides by clusters emits this before
    /// each `voteTallied`, whose standings are then the clusters).
    Clustered {
        /// The clusters, heaviest first.
        clusters: Vec<crate::cluster::Cluster>,
    },
    /// The run is stopping before doing all it could; in-flight branches will be cancelled.
    EarlyStop {
        /// Why.
        reason: StopReason,
    },
    /// Spending so far (after every finished branch).
    BudgetSpent {
        /// The totals.
        spent: Spend,
    },
    /// A model call failed. With an `id`, that node failed; other branches go on.
    Error {
        /// The failed node, if the failure belongs to one.
        id: Option<NodeId>,
        /// The failure.
        error: ModelError,
        /// What the failed call consumed (its prompt, and the tokens it streamed).
        #[serde(default, skip_serializing_if = "Usage::is_zero")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<Usage>", optional))]
        usage: Usage,
        /// What that cost, when the model has a price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        cost_usd: Option<f64>,
    },
    /// The run ended.
    RunFinished {
        /// Its result.
        outcome: Outcome,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelErrorKind;

    #[test]
    fn stop_reasons_read_as_plain_words() {
        let error = ModelError::new(ModelErrorKind::Network, "connection refused");
        assert_eq!(
            StopReason::ModelFailed { error }.to_string(),
            "the model failed: network error: connection refused"
        );
        assert_eq!(
            StopReason::Budget { limit: Limit::Tokens }.to_string(),
            "the token budget ran out"
        );
    }
}
