//! [`LiveRun`]: a run as reactive signals, fed one event at a time — by a live run's sink or by a
//! trace being replayed — so the views update exactly the parts an event touches (one branch's
//! text for a token, one status for a finish) and 64 streaming branches stay cheap.
//!
//! The engine's `RunState` is the reference reducer; this is its view-side twin, keeping only
//! what the components show, with each branch's fields as their own signals. Every event costs
//! work in proportion to the event: a branch's start does not walk the branches so far (the
//! display order is derived when the view renders), and a token appends to its branch's text.

use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use thinkscale_engine::event::{Event, EventKind, NodeId, NodeKind, Outcome, StopReason};
use thinkscale_engine::model::Channel;
use thinkscale_engine::state::{Decision, NodeStatus};
use thinkscale_engine::vote::{MAX_STANDINGS, Standing, Tally};
use thinkscale_engine::{Budget, Spend, Trace};

pub use crate::branch_view::BranchView;
use crate::display_order::display_order;

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
    /// Display order: each branch right after its parent's earlier subtrees (derived from
    /// `branches` when read).
    pub order: Memo<Vec<NodeId>>,
    /// The current vote, best first: the leaders only (at most `MAX_STANDINGS`), when the vote is
    /// spread wide.
    pub standings: RwSignal<Vec<Standing>>,
    /// Distinct answers in the vote: more than `standings` lists when it is spread wide.
    pub answers: RwSignal<u32>,
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
    /// Whether this run already reported an event kind the view does not know.
    warned: StoredValue<bool>,
    /// The reactive owner the branches' signals belong to (the component's), held weakly: the
    /// view's own storage must not keep its owner alive.
    owner: StoredValue<WeakOwner>,
}

impl LiveRun {
    /// An empty run, owned by the current reactive owner.
    pub fn new() -> Self {
        let branches: RwSignal<Vec<BranchView>> = RwSignal::new(Vec::new());
        Self {
            question: RwSignal::new(String::new()),
            strategy: RwSignal::new(String::new()),
            model: RwSignal::new(String::new()),
            budget: RwSignal::new(Budget::unlimited()),
            branches,
            order: Memo::new(move |_| {
                branches
                    .try_with(|all| {
                        display_order(&all.iter().map(|b| b.parent).collect::<Vec<_>>())
                    })
                    .unwrap_or_default()
            }),
            standings: RwSignal::new(Vec::new()),
            answers: RwSignal::new(0),
            spend: RwSignal::new(Spend::default()),
            now_ms: RwSignal::new(0),
            early_stop: RwSignal::new(None),
            decisions: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            epoch: RwSignal::new(0),
            events: StoredValue::new(Vec::new()),
            warned: StoredValue::new(false),
            owner: StoredValue::new(Owner::current().unwrap_or_default().downgrade()),
        }
    }

    /// Forgets everything, for a new run or replay. Like every method here, it does nothing once
    /// the view is gone (a run or replay may still be finishing in the background).
    pub fn reset(&self) {
        self.epoch.try_update(|e| *e += 1);
        self.question.try_set(String::new());
        self.strategy.try_set(String::new());
        self.model.try_set(String::new());
        self.budget.try_set(Budget::unlimited());
        self.branches.try_set(Vec::new());
        self.standings.try_set(Vec::new());
        self.answers.try_set(0);
        self.spend.try_set(Spend::default());
        self.now_ms.try_set(0);
        self.early_stop.try_set(None);
        self.decisions.try_set(Vec::new());
        self.outcome.try_set(None);
        let _ = self.events.try_update_value(Vec::clear);
        let _ = self.warned.try_set_value(false);
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
        self.now_ms.try_set(event.at_ms);
        owner.with(|| self.apply_kind(event));
    }

    fn apply_kind(&self, event: &Event) {
        let at_ms = event.at_ms;
        match &event.kind {
            EventKind::RunStarted { question, strategy, budget, model, .. } => {
                self.question.set(question.clone());
                self.strategy.set(strategy.clone());
                self.model.set(model.clone());
                self.budget.set(*budget);
            }
            EventKind::BranchStarted { id, parent, kind, label, .. } => {
                self.start_branch(*id, *parent, *kind, label, at_ms);
            }
            EventKind::TokenDelta { id, channel, text } => {
                if let Some(branch) = self.branch(*id) {
                    let target = match channel {
                        Channel::Text => branch.text,
                        Channel::Reasoning => branch.reasoning,
                    };
                    target.update(|all| all.push(text));
                }
            }
            EventKind::BranchRetried { id, attempt, error, usage, cost_usd, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.text.update(|t| t.replace(""));
                    branch.reasoning.update(|t| t.replace(""));
                    branch.consume(usage, *cost_usd);
                    branch.note.set(Some(format!("retry {attempt}: {error}")));
                }
            }
            EventKind::BranchFinished { id, text, reasoning, answer, usage, cost_usd, .. } => {
                if let Some(branch) = self.branch(*id) {
                    branch.text.update(|t| t.replace(text));
                    branch.reasoning.update(|t| t.replace(reasoning.as_deref().unwrap_or("")));
                    branch.answer.set(answer.clone());
                    branch.consume(usage, *cost_usd);
                    branch.end(NodeStatus::Done, at_ms);
                }
            }
            EventKind::BranchCancelled { id, usage, cost_usd } => {
                if let Some(branch) = self.branch(*id) {
                    branch.consume(usage, *cost_usd);
                    branch.end(NodeStatus::Cancelled, at_ms);
                }
            }
            EventKind::UsageRevised { id, usage, cost_usd } => {
                if let Some(branch) = self.branch(*id) {
                    branch.revise(usage, *cost_usd);
                }
            }
            EventKind::Error { id: Some(id), error, usage, cost_usd } => {
                if let Some(branch) = self.branch(*id) {
                    branch.consume(usage, *cost_usd);
                    branch.note.set(Some(error.to_string()));
                    branch.end(NodeStatus::Failed, at_ms);
                }
            }
            // A failure of no branch in particular: the run's outcome (and so the status line)
            // reports it; what it consumed is in the next `budgetSpent`.
            EventKind::Error { id: None, .. } => {}
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
                        at_ms,
                        difficulty: *difficulty,
                        action: action.clone(),
                        reason: reason.clone(),
                    });
                });
            }
            EventKind::VoteTallied { standings, answers, .. } => {
                // Traces written before `answers` existed list every standing.
                self.answers.set((*answers).max(standings.len() as u32));
                self.standings.set(standings.clone());
            }
            EventKind::EarlyStop { reason } => self.early_stop.set(Some(reason.clone())),
            EventKind::BudgetSpent { spent } => self.spend.set(*spent),
            EventKind::RunFinished { outcome } => self.finish(outcome),
            // The engine's event kinds are non-exhaustive: a kind newer than this view is kept in
            // the trace (exports and replays stay whole) but not shown; the console says so once.
            other => self.unknown(other),
        }
    }

    fn finish(&self, outcome: &Outcome) {
        self.spend.set(outcome.spend);
        let answers = self.answers.try_get_untracked().unwrap_or(0).max(outcome.votes.len() as u32);
        self.answers.set(answers);
        let leaders = outcome.votes.iter().take(MAX_STANDINGS).map(Tally::standing).collect();
        self.standings.set(leaders);
        self.outcome.set(Some(outcome.clone()));
    }

    fn unknown(&self, kind: &EventKind) {
        if self.warned.try_get_value() == Some(false) {
            let _ = self.warned.try_set_value(true);
            let name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
                .unwrap_or_default();
            leptos::logging::warn!(
                "thinkscale: this view does not show '{name}' events (newer than the view); they \
                 stay in the trace"
            );
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
        let epoch = self.epoch.try_get_untracked().unwrap_or_default();
        let branch = BranchView::started(epoch, id, parent, depth, kind, label, at_ms);
        self.branches.update(|all| all.push(branch));
    }
}

impl Default for LiveRun {
    fn default() -> Self {
        Self::new()
    }
}
