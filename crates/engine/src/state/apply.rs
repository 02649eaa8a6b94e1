//! [`RunState::apply`]: the one reducer of a run's events — it checks that each event fits the
//! run so far, folds it in, and says what it [`Changed`].

use super::{Changed, Decision, Node, NodeStatus, RunError, RunState, Selection};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind, NodeId};
use crate::model::{Channel, Usage};
use crate::vote::{MAX_STANDINGS, Tally};

fn bad(at: usize, reason: impl Into<String>) -> Error {
    Error::InvalidTrace { at: Some(at), reason: reason.into() }
}

impl RunState {
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

    /// Folds one event into the state and says what changed. Fails — leaving the state
    /// unchanged — when the event does not fit the run so far (an unknown node, a second start,
    /// anything after the finish).
    pub fn apply(&mut self, event: &Event) -> Result<Changed> {
        let at = self.events;
        let started = at > 0;
        match &event.kind {
            EventKind::RunStarted { .. } if started => return Err(bad(at, "a second runStarted")),
            EventKind::RunStarted { .. } => {}
            _ if !started => return Err(bad(at, "the first event must be runStarted")),
            _ if self.outcome.is_some() => return Err(bad(at, "an event after runFinished")),
            _ => {}
        }
        let changed = match &event.kind {
            EventKind::RunStarted { question, messages, strategy, config, budget, model } => {
                self.question.clone_from(question);
                self.messages = if messages.is_empty() {
                    vec![crate::model::Message::user(question.clone())]
                } else {
                    messages.clone()
                };
                self.strategy.clone_from(strategy);
                self.config = config.clone();
                self.budget = *budget;
                self.model.clone_from(model);
                Changed::RUN
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
                    retried_after: None,
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
                Changed { node: Some(*id), added: true, run: true }
            }
            EventKind::TokenDelta { id, channel, text } => {
                let node = self.running(at, *id)?;
                match channel {
                    Channel::Text => node.text.push_str(text),
                    Channel::Reasoning => node.reasoning.push_str(text),
                }
                Changed::node(*id)
            }
            EventKind::BranchRetried { id, error, usage, cost_usd, .. } => {
                let node = self.running(at, *id)?;
                node.text.clear();
                node.reasoning.clear();
                node.retries = node.retries.saturating_add(1);
                node.retried_after = Some(error.clone());
                node.consume(usage, *cost_usd);
                self.spend.add(usage, *cost_usd);
                Changed::node_and_run(*id)
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
                Changed::node_and_run(*id)
            }
            EventKind::BranchCancelled { id, usage, cost_usd } => {
                let node = self.running(at, *id)?;
                node.status = NodeStatus::Cancelled;
                node.finished_ms = Some(event.at_ms);
                node.consume(usage, *cost_usd);
                self.spend.add(usage, *cost_usd);
                Changed::node_and_run(*id)
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
                Changed::node_and_run(*id)
            }
            EventKind::NodeScored { id, score, by } => {
                if let Some(judge) = by {
                    self.existing(at, *judge)?;
                }
                let node = self.existing(at, *id)?;
                node.score = Some(*score);
                node.scored_by = *by;
                Changed::node(*id)
            }
            EventKind::NodePruned { id, reason } => {
                self.existing(at, *id)?.pruned = Some(reason.clone());
                Changed::node(*id)
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
                Changed::RUN
            }
            EventKind::Backtracked { from, to } => {
                self.existing(at, *from)?;
                if let Some(to) = to {
                    self.existing(at, *to)?;
                }
                self.backtracks.push((*from, *to));
                Changed::node_and_run(*from)
            }
            EventKind::VoteTallied { standings, answers, .. } => {
                self.standings.clone_from(standings);
                // Traces written before `answers` existed list every standing.
                self.answers = (*answers).max(u32::try_from(standings.len()).unwrap_or(u32::MAX));
                Changed::RUN
            }
            EventKind::Selected { by, chosen, reason } => {
                self.existing(at, *by)?;
                if let Some(chosen) = chosen {
                    self.existing(at, *chosen)?;
                }
                self.selection =
                    Some(Selection { by: *by, chosen: *chosen, reason: reason.clone() });
                Changed::node_and_run(*by)
            }
            EventKind::Clustered { clusters } => {
                for cluster in clusters {
                    for member in cluster.members.iter().chain([&cluster.central]) {
                        self.existing(at, *member)?;
                    }
                }
                self.clusters.clone_from(clusters);
                Changed::RUN
            }
            EventKind::EarlyStop { reason } => {
                self.early_stop = Some(reason.clone());
                Changed::RUN
            }
            // The spend it reports is the sum of what the other events carry.
            EventKind::BudgetSpent { .. } => Changed::default(),
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
                Changed { node: *id, added: false, run: true }
            }
            EventKind::RunFinished { outcome } => {
                if !outcome.votes.is_empty() {
                    let distinct = u32::try_from(outcome.votes.len()).unwrap_or(u32::MAX);
                    self.answers = self.answers.max(distinct);
                    self.standings =
                        outcome.votes.iter().take(MAX_STANDINGS).map(Tally::standing).collect();
                }
                self.outcome = Some(outcome.clone());
                Changed::RUN
            }
        };
        self.spend.elapsed_ms = self.spend.elapsed_ms.max(event.at_ms);
        self.events += 1;
        Ok(changed)
    }
}
