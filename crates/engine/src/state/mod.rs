//! The state of a run, rebuilt from its events.
//!
//! [`RunState::apply`] folds one event into the state and says what it [`Changed`]. The engine
//! keeps its own state this way while it runs and hands it, with each change, to its sink
//! ([`Sink::observe`](crate::Sink::observe)); the live view projects that state into signals;
//! replaying a stored trace folds the same way — one reducer, so live and replayed runs cannot
//! disagree. `apply` checks that
//! each event fits the run so far, so an imported trace that does not describe a real run is
//! rejected with the index of the first bad event instead of producing a wrong picture.

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::budget::{Budget, Spend};
use crate::event::{NodeId, NodeKind, Outcome, StopReason};
use crate::model::{FinishReason, ModelError, Usage};
use crate::vote::Standing;

/// Where a node is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum NodeStatus {
    /// Its model call is in flight.
    Running,
    /// Its model call completed.
    Done,
    /// Its model call failed.
    Failed,
    /// It was abandoned in flight.
    Cancelled,
}

/// One node of the run's tree: a model call and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "BranchNode"))]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// The node it hangs under.
    pub parent: Option<NodeId>,
    /// What it is for.
    pub kind: NodeKind,
    /// A short human label.
    pub label: String,
    /// Where it is in its life.
    pub status: NodeStatus,
    /// Its visible text (streamed so far, or final).
    pub text: String,
    /// Its reasoning text (streamed so far, or final).
    pub reasoning: String,
    /// Why generation ended, once done.
    pub finish_reason: Option<FinishReason>,
    /// Its extracted answer.
    pub answer: Option<Answer>,
    /// Mean token logprob.
    pub mean_logprob: Option<f64>,
    /// Stated confidence in [0, 1].
    pub confidence: Option<f64>,
    /// Its score, once scored.
    pub score: Option<f64>,
    /// The judge node that scored it.
    pub scored_by: Option<NodeId>,
    /// Why it was pruned, if it was.
    pub pruned: Option<String>,
    /// Its failure, if it failed.
    pub error: Option<ModelError>,
    /// How many times its model call was retried after a transient failure.
    pub retries: u32,
    /// The failure its latest retry answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub retried_after: Option<ModelError>,
    /// Tokens it used: every attempt of its call, including retried (voided), failed and
    /// cancelled ones.
    pub usage: Usage,
    /// Dollars it cost (every attempt).
    pub cost_usd: Option<f64>,
    /// When it started (ms since the run started).
    pub started_ms: u64,
    /// When it ended.
    pub finished_ms: Option<u64>,
    /// Nodes hanging under it, in start order.
    pub children: Vec<NodeId>,
    /// For a node with no model call of its own (a step a proposal listed), the call that wrote
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub written_by: Option<NodeId>,
}

impl Node {
    /// Adds what one attempt of its call consumed.
    fn consume(&mut self, usage: &Usage, cost_usd: Option<f64>) {
        self.usage.add(usage);
        if let Some(cost) = cost_usd {
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + cost);
        }
    }
}

/// A run-level failure record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    /// The node that failed, if any.
    pub id: Option<NodeId>,
    /// The failure.
    pub error: ModelError,
}

/// One decision of an adaptive strategy (see [`crate::event::EventKind::Decided`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// When (ms since the run started).
    pub at_ms: u64,
    /// The estimated difficulty in [0, 1].
    pub difficulty: f64,
    /// What it did.
    pub action: String,
    /// Why.
    pub reason: String,
}

/// A selector's choice (see [`crate::event::EventKind::Selected`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// The selector's node.
    pub by: NodeId,
    /// The sample it chose, if it named one that exists.
    pub chosen: Option<NodeId>,
    /// Why.
    pub reason: String,
}

/// Everything known about a run, built by applying its events in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// The question (the conversation's last turn).
    pub question: String,
    /// The whole conversation, the question last.
    pub messages: Vec<crate::model::Message>,
    /// The strategy's name.
    pub strategy: String,
    /// The strategy's configuration.
    pub config: serde_json::Value,
    /// The budget.
    pub budget: Budget,
    /// The model's id.
    pub model: String,
    /// Every node, indexed by id.
    pub nodes: Vec<Node>,
    /// The latest clusters, heaviest first, when the run decides by clusters.
    pub clusters: Vec<crate::cluster::Cluster>,
    /// The latest vote, best first: the leaders only (at most
    /// [`MAX_STANDINGS`](crate::vote::MAX_STANDINGS)) when it is spread wide; the final vote once
    /// the run finished.
    pub standings: Vec<Standing>,
    /// Distinct answers in the latest vote (more than `standings` lists when it is spread wide).
    #[serde(default)]
    pub answers: u32,
    /// Spending so far.
    pub spend: Spend,
    /// Every failure, in order.
    pub errors: Vec<RunError>,
    /// Every backtrack, in order: (dead end, resumed at).
    pub backtracks: Vec<(NodeId, Option<NodeId>)>,
    /// A selector's choice, once one was made.
    pub selection: Option<Selection>,
    /// Every allocation decision of an adaptive strategy, in order.
    pub decisions: Vec<Decision>,
    /// Why the run stopped early, if it did.
    pub early_stop: Option<StopReason>,
    /// The result, once finished.
    pub outcome: Option<Outcome>,
    /// Events applied.
    pub events: usize,
}

/// What applying one event changed — which node, and whether anything run-wide — so that a view
/// projecting the state updates exactly those parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    /// The node whose fields changed, if one did.
    pub node: Option<NodeId>,
    /// Whether that node is new.
    pub added: bool,
    /// Whether run-wide fields changed: the header, spend, the vote, errors, backtracks,
    /// decisions, the early stop or the outcome.
    pub run: bool,
}

impl Changed {
    /// Run-wide fields only.
    const RUN: Self = Self { node: None, added: false, run: true };

    /// One node's fields.
    fn node(id: NodeId) -> Self {
        Self { node: Some(id), added: false, run: false }
    }

    /// One node's fields and, with them, run-wide ones (the spend, say).
    fn node_and_run(id: NodeId) -> Self {
        Self { node: Some(id), added: false, run: true }
    }
}

impl RunState {
    /// An empty state, before `runStarted`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    /// The id the next node gets: ids count nodes in the order they start (`branchStarted`
    /// must carry it).
    pub fn next_id(&self) -> NodeId {
        NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX))
    }

    /// How many model calls (nodes with a call of their own) ended in each status: (done, failed,
    /// cancelled).
    pub fn status_counts(&self) -> (u32, u32, u32) {
        let calls = self.nodes.iter().filter(|n| n.written_by.is_none());
        calls.fold((0, 0, 0), |(d, f, c), n| match n.status {
            NodeStatus::Done => (d + 1, f, c),
            NodeStatus::Failed => (d, f + 1, c),
            NodeStatus::Cancelled => (d, f, c + 1),
            NodeStatus::Running => (d, f, c),
        })
    }
}

mod apply;
#[cfg(test)]
mod tests;
