//! [`LiveRun`]: a run as reactive signals, fed one event at a time — by a live run's sink or by a
//! trace being replayed — so the views update exactly the parts an event touches (one branch's
//! text for a token, one status for a finish) and 64 streaming branches stay cheap.
//!
//! The engine's `RunState` is the reference reducer; this is its view-side twin, keeping only
//! what the components show, with each branch's fields as their own signals.

use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use thinkscale_engine::answer::Answer;
use thinkscale_engine::event::{Event, EventKind, NodeId, NodeKind, Outcome, StopReason};
use thinkscale_engine::model::Channel;
use thinkscale_engine::state::{Decision, NodeStatus};
use thinkscale_engine::vote::Standing;
use thinkscale_engine::{Budget, Spend, Trace};

/// One branch (model call) as the tree shows it.
#[derive(Debug, Clone)]
pub struct BranchView {
    /// Which run of this view it belongs to (ids restart at 0 with every run).
    pub epoch: u64,
    /// Its id (its index among the run's branches).
    pub id: NodeId,
    /// What it is for.
    pub kind: NodeKind,
    /// "sample 3", "judge of #2", …
    pub label: String,
    /// Nesting depth: 0 under the root, 1 for a judge of a sample, …
    pub depth: usize,
    /// Milliseconds into the run when it started.
    pub started_ms: u64,
    /// Running, done, failed or cancelled.
    pub status: RwSignal<NodeStatus>,
    /// Visible text so far.
    pub text: RwSignal<String>,
    /// Reasoning text so far (reasoning models).
    pub reasoning: RwSignal<String>,
    /// The extracted answer, once finished.
    pub answer: RwSignal<Option<Answer>>,
    /// Tokens used (prompt + completion + reasoning), once finished.
    pub tokens: RwSignal<u64>,
    /// Dollars, once finished, when the model has a price.
    pub cost_usd: RwSignal<Option<f64>>,
    /// Milliseconds into the run when it finished.
    pub finished_ms: RwSignal<Option<u64>>,
    /// Why it was pruned, failed, or retried — in words.
    pub note: RwSignal<Option<String>>,
    /// Its score, when a judge, verifier or evaluator gave one.
    pub score: RwSignal<Option<f64>>,
    /// Whether a search pruned it or backed out of it.
    pub abandoned: RwSignal<bool>,
}

/// The run the views show.
#[derive(Debug, Clone, Copy)]
pub struct LiveRun {
    /// The question.
    pub question: RwSignal<String>,
    /// The strategy's name.
    pub strategy: RwSignal<String>,
    /// The model's id.
    pub model: RwSignal<String>,
    /// The limits.
    pub budget: RwSignal<Budget>,
    /// Every branch, indexed by id.
    pub branches: RwSignal<Vec<BranchView>>,
    /// Display order: each branch right after its parent's subtree.
    pub order: RwSignal<Vec<NodeId>>,
    /// The current vote, best first.
    pub standings: RwSignal<Vec<Standing>>,
    /// Spending so far.
    pub spend: RwSignal<Spend>,
    /// Milliseconds into the run of the latest event (the clock of the budget meter).
    pub now_ms: RwSignal<u64>,
    /// Why the run stopped early, if it did.
    pub early_stop: RwSignal<Option<StopReason>>,
    /// An adaptive strategy's decisions, in order.
    pub decisions: RwSignal<Vec<Decision>>,
    /// The result, once finished.
    pub outcome: RwSignal<Option<Outcome>>,
    /// Counts runs and replays shown in this view, so rows of one never stand for another's.
    pub epoch: RwSignal<u64>,
    /// Every event so far, for export.
    events: StoredValue<Vec<Event>>,
    /// The reactive owner the branches' signals belong to (the component's), held weakly: the
    /// view's own storage must not keep its owner alive.
    owner: StoredValue<WeakOwner>,
}

impl LiveRun {
    /// An empty run, owned by the current reactive owner.
    pub fn new() -> Self {
        Self {
            question: RwSignal::new(String::new()),
            strategy: RwSignal::new(String::new()),
            model: RwSignal::new(String::new()),
            budget: RwSignal::new(Budget::unlimited()),
            branches: RwSignal::new(Vec::new()),
            order: RwSignal::new(Vec::new()),
            standings: RwSignal::new(Vec::new()),
            spend: RwSignal::new(Spend::default()),
            now_ms: RwSignal::new(0),
            early_stop: RwSignal::new(None),
            decisions: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            epoch: RwSignal::new(0),
            events: StoredValue::new(Vec::new()),
            owner: StoredValue::new(Owner::current().unwrap_or_default().downgrade()),
        }
    }

    /// Forgets everything, for a new run or replay. Like every method here, it does nothing once
    /// the view is gone (a run or replay may still be finishing in the background).
    pub fn reset(&self) {
        self.epoch.update(|e| *e += 1);
        self.question.set(String::new());
        self.strategy.set(String::new());
        self.model.set(String::new());
        self.budget.set(Budget::unlimited());
        self.order.set(Vec::new());
        self.branches.set(Vec::new());
        self.standings.set(Vec::new());
        self.spend.set(Spend::default());
        self.now_ms.set(0);
        self.early_stop.set(None);
        self.decisions.set(Vec::new());
        self.outcome.set(None);
        let _ = self.events.try_update_value(Vec::clear);
    }

    /// The events so far, as a trace.
    pub fn trace(&self) -> Trace {
        Trace::new(self.events.try_get_value().unwrap_or_default())
    }

    fn branch(&self, id: NodeId) -> Option<BranchView> {
        self.branches.try_with_untracked(|all| all.get(id.0 as usize).cloned()).flatten()
    }

    /// Folds one event into the signals.
    pub fn apply(&self, event: &Event) {
        let Some(owner) = self.owner.try_with_value(WeakOwner::upgrade).flatten() else { return };
        let _ = self.events.try_update_value(|events| events.push(event.clone()));
        self.now_ms.set(event.at_ms);
        owner.with(|| self.apply_kind(event));
    }

    fn apply_kind(&self, event: &Event) {
        match &event.kind {
            EventKind::RunStarted { question, strategy, budget, model, .. } => {
                self.question.set(question.clone());
                self.strategy.set(strategy.clone());
                self.model.set(model.clone());
                self.budget.set(*budget);
            }
            EventKind::BranchStarted { id, parent, kind, label, .. } => {
                self.start_branch(*id, *parent, *kind, label, event.at_ms);
            }
            EventKind::TokenDelta { id, channel, text } => {
                if let Some(branch) = self.branch(*id) {
                    let target = match channel {
                        Channel::Text => branch.text,
                        Channel::Reasoning => branch.reasoning,
                    };
                    target.update(|all| all.push_str(text));
                }
            }
            EventKind::BranchRetried { id, attempt, error, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.text.set(String::new());
                    branch.reasoning.set(String::new());
                    branch.note.set(Some(format!("retry {attempt}: {error}")));
                }
            }
            EventKind::BranchFinished { id, text, reasoning, answer, usage, cost_usd, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.text.set(text.clone());
                    branch.reasoning.set(reasoning.clone().unwrap_or_default());
                    branch.answer.set(answer.clone());
                    branch.tokens.set(usage.total());
                    branch.cost_usd.set(*cost_usd);
                    branch.finished_ms.set(Some(event.at_ms));
                    branch.status.set(NodeStatus::Done);
                }
            }
            EventKind::BranchCancelled { id, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.finished_ms.set(Some(event.at_ms));
                    branch.status.set(NodeStatus::Cancelled);
                }
            }
            EventKind::NodeScored { id, score, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.score.set(Some(*score));
                }
            }
            EventKind::NodePruned { id, reason } => {
                if let Some(branch) = self.branch(*id) {
                    branch.note.set(Some(format!("pruned: {reason}")));
                    branch.abandoned.set(true);
                }
            }
            EventKind::Backtracked { from, to } => {
                if let Some(branch) = self.branch(*from) {
                    let to = to.map_or_else(|| "the root".to_owned(), |to| to.to_string());
                    branch.note.set(Some(format!("dead end: backtracked to {to}")));
                    branch.abandoned.set(true);
                }
            }
            EventKind::Decided { difficulty, action, reason } => {
                self.decisions.update(|all| {
                    all.push(Decision {
                        at_ms: event.at_ms,
                        difficulty: *difficulty,
                        action: action.clone(),
                        reason: reason.clone(),
                    });
                });
            }
            EventKind::VoteTallied { standings, .. } => self.standings.set(standings.clone()),
            EventKind::EarlyStop { reason } => self.early_stop.set(Some(reason.clone())),
            EventKind::BudgetSpent { spent } => self.spend.set(*spent),
            EventKind::Error { id: Some(id), error, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.note.set(Some(error.to_string()));
                    branch.finished_ms.set(Some(event.at_ms));
                    branch.status.set(NodeStatus::Failed);
                }
            }
            EventKind::RunFinished { outcome } => {
                self.spend.set(outcome.spend);
                self.standings.set(
                    outcome
                        .votes
                        .iter()
                        .map(|t| Standing {
                            answer: t.answer.clone(),
                            votes: t.votes,
                            weight: t.weight,
                        })
                        .collect(),
                );
                self.outcome.set(Some(outcome.clone()));
            }
            _ => {}
        }
    }

    fn start_branch(
        &self,
        id: NodeId,
        parent: Option<NodeId>,
        kind: NodeKind,
        label: &str,
        at_ms: u64,
    ) {
        let depth = parent.and_then(|p| self.branch(p)).map_or(0, |p| p.depth + 1);
        let branch = BranchView {
            epoch: self.epoch.try_get_untracked().unwrap_or_default(),
            id,
            kind,
            label: label.to_owned(),
            depth,
            started_ms: at_ms,
            status: RwSignal::new(NodeStatus::Running),
            text: RwSignal::new(String::new()),
            reasoning: RwSignal::new(String::new()),
            answer: RwSignal::new(None),
            tokens: RwSignal::new(0),
            cost_usd: RwSignal::new(None),
            finished_ms: RwSignal::new(None),
            note: RwSignal::new(None),
            score: RwSignal::new(None),
            abandoned: RwSignal::new(false),
        };
        self.branches.update(|all| all.push(branch));
        let depths: Vec<usize> = self
            .branches
            .try_with_untracked(|all| all.iter().map(|b| b.depth).collect())
            .unwrap_or_default();
        self.order.update(|order| {
            let at = match parent.and_then(|p| order.iter().position(|&n| n == p)) {
                // After the parent and everything deeper that follows it (its subtree).
                Some(p) => {
                    let mut at = p + 1;
                    while order
                        .get(at)
                        .and_then(|n| depths.get(n.0 as usize))
                        .is_some_and(|&d| d > depth.saturating_sub(1))
                    {
                        at += 1;
                    }
                    at
                }
                None => order.len(),
            };
            order.insert(at.min(order.len()), id);
        });
    }
}

impl Default for LiveRun {
    fn default() -> Self {
        Self::new()
    }
}
