//! The state of a run, rebuilt from its events.
//!
//! [`RunState::apply`] folds one event into the state. The engine keeps its own state this way
//! while it runs, a UI keeps its view this way, and replaying a stored trace this way rebuilds the
//! very same state — one reducer, so live and replayed runs cannot disagree. `apply` checks that
//! each event fits the run so far, so an imported trace that does not describe a real run is
//! rejected with the index of the first bad event instead of producing a wrong picture.

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::budget::{Budget, Spend};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind, NodeId, NodeKind, Outcome, StopReason};
use crate::model::{Channel, FinishReason, ModelError, Usage};
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

/// One decision of an adaptive strategy (see [`EventKind::Decided`]).
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

/// Everything known about a run, built by applying its events in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// The question.
    pub question: String,
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
    /// The latest vote, best first.
    pub standings: Vec<Standing>,
    /// Spending so far.
    pub spend: Spend,
    /// Every failure, in order.
    pub errors: Vec<RunError>,
    /// Every backtrack, in order: (dead end, resumed at).
    pub backtracks: Vec<(NodeId, Option<NodeId>)>,
    /// Every allocation decision of an adaptive strategy, in order.
    pub decisions: Vec<Decision>,
    /// Why the run stopped early, if it did.
    pub early_stop: Option<StopReason>,
    /// The result, once finished.
    pub outcome: Option<Outcome>,
    /// Events applied.
    pub events: usize,
}

fn bad(at: usize, reason: impl Into<String>) -> Error {
    Error::InvalidTrace { at: Some(at), reason: reason.into() }
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

    /// Whether the run has finished.
    pub fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }

    fn running(&mut self, at: usize, id: NodeId) -> Result<&mut Node> {
        match self.nodes.get_mut(id.0 as usize) {
            Some(node) if node.status == NodeStatus::Running => Ok(node),
            Some(_) => Err(bad(at, format!("node {id} is not running"))),
            None => Err(bad(at, format!("node {id} does not exist"))),
        }
    }

    fn existing(&mut self, at: usize, id: NodeId) -> Result<&mut Node> {
        self.nodes
            .get_mut(id.0 as usize)
            .ok_or_else(|| bad(at, format!("node {id} does not exist")))
    }

    /// Folds one event into the state. Fails — leaving the state unchanged — when the event does
    /// not fit the run so far (an unknown node, a second start, anything after the finish).
    pub fn apply(&mut self, event: &Event) -> Result<()> {
        let at = self.events;
        let started = at > 0;
        match &event.kind {
            EventKind::RunStarted { .. } if started => return Err(bad(at, "a second runStarted")),
            EventKind::RunStarted { .. } => {}
            _ if !started => return Err(bad(at, "the first event must be runStarted")),
            _ if self.outcome.is_some() => return Err(bad(at, "an event after runFinished")),
            _ => {}
        }
        match &event.kind {
            EventKind::RunStarted { question, strategy, config, budget, model } => {
                self.question.clone_from(question);
                self.strategy.clone_from(strategy);
                self.config = config.clone();
                self.budget = *budget;
                self.model.clone_from(model);
            }
            EventKind::BranchStarted { id, parent, kind, label, written_by } => {
                if id.0 as usize != self.nodes.len() {
                    return Err(bad(at, format!("node {id} started out of order")));
                }
                if let Some(writer) = written_by {
                    self.existing(at, *writer)?;
                }
                if let Some(parent) = parent {
                    self.existing(at, *parent)?.children.push(*id);
                }
                self.nodes.push(Node {
                    id: *id,
                    parent: *parent,
                    kind: *kind,
                    label: label.clone(),
                    status: NodeStatus::Running,
                    text: String::new(),
                    reasoning: String::new(),
                    finish_reason: None,
                    answer: None,
                    mean_logprob: None,
                    confidence: None,
                    score: None,
                    retries: 0,
                    scored_by: None,
                    pruned: None,
                    error: None,
                    usage: Usage::default(),
                    cost_usd: None,
                    started_ms: event.at_ms,
                    finished_ms: None,
                    children: Vec::new(),
                    written_by: *written_by,
                });
                if written_by.is_none() {
                    self.spend.samples += 1;
                }
            }
            EventKind::TokenDelta { id, channel, text } => {
                let node = self.running(at, *id)?;
                match channel {
                    Channel::Text => node.text.push_str(text),
                    Channel::Reasoning => node.reasoning.push_str(text),
                }
            }
            EventKind::BranchRetried { id, usage, cost_usd, .. } => {
                let node = self.running(at, *id)?;
                node.text.clear();
                node.reasoning.clear();
                node.retries = node.retries.saturating_add(1);
                node.consume(usage, *cost_usd);
                self.spend.add(usage, *cost_usd);
            }
            EventKind::BranchFinished {
                id,
                text,
                reasoning,
                finish_reason,
                answer,
                mean_logprob,
                confidence,
                usage,
                cost_usd,
            } => {
                let node = self.running(at, *id)?;
                node.status = NodeStatus::Done;
                node.text.clone_from(text);
                node.reasoning = reasoning.clone().unwrap_or_default();
                node.finish_reason = Some(*finish_reason);
                node.answer.clone_from(answer);
                node.mean_logprob = *mean_logprob;
                node.confidence = *confidence;
                node.consume(usage, *cost_usd);
                node.finished_ms = Some(event.at_ms);
                self.spend.add(usage, *cost_usd);
            }
            EventKind::BranchCancelled { id, usage, cost_usd } => {
                let node = self.running(at, *id)?;
                node.status = NodeStatus::Cancelled;
                node.finished_ms = Some(event.at_ms);
                node.consume(usage, *cost_usd);
                self.spend.add(usage, *cost_usd);
            }
            EventKind::UsageRevised { id, usage, cost_usd } => {
                let node = match self.nodes.get_mut(id.0 as usize) {
                    Some(node) if node.status == NodeStatus::Done => node,
                    Some(_) => return Err(bad(at, format!("node {id} is not done"))),
                    None => return Err(bad(at, format!("node {id} does not exist"))),
                };
                self.spend.remove(&node.usage, node.cost_usd);
                node.usage = *usage;
                node.cost_usd = *cost_usd;
                self.spend.add(usage, *cost_usd);
            }
            EventKind::NodeScored { id, score, by } => {
                if let Some(judge) = by {
                    self.existing(at, *judge)?;
                }
                let node = self.existing(at, *id)?;
                node.score = Some(*score);
                node.scored_by = *by;
            }
            EventKind::NodePruned { id, reason } => {
                self.existing(at, *id)?.pruned = Some(reason.clone());
            }
            EventKind::Decided { difficulty, action, reason } => {
                if !(0.0..=1.0).contains(difficulty) {
                    return Err(bad(at, "a difficulty outside [0, 1]"));
                }
                self.decisions.push(Decision {
                    at_ms: event.at_ms,
                    difficulty: *difficulty,
                    action: action.clone(),
                    reason: reason.clone(),
                });
            }
            EventKind::Backtracked { from, to } => {
                self.existing(at, *from)?;
                if let Some(to) = to {
                    self.existing(at, *to)?;
                }
                self.backtracks.push((*from, *to));
            }
            EventKind::VoteTallied { standings, .. } => self.standings.clone_from(standings),
            EventKind::EarlyStop { reason } => self.early_stop = Some(reason.clone()),
            EventKind::BudgetSpent { .. } => {}
            EventKind::Error { id, error, usage, cost_usd } => {
                if let Some(id) = id {
                    let node = self.running(at, *id)?;
                    node.status = NodeStatus::Failed;
                    node.error = Some(error.clone());
                    node.finished_ms = Some(event.at_ms);
                    node.consume(usage, *cost_usd);
                }
                self.spend.add(usage, *cost_usd);
                self.errors.push(RunError { id: *id, error: error.clone() });
            }
            EventKind::RunFinished { outcome } => self.outcome = Some(outcome.clone()),
        }
        self.spend.elapsed_ms = self.spend.elapsed_ms.max(event.at_ms);
        self.events += 1;
        Ok(())
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

#[cfg(test)]
mod tests;
