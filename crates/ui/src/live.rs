//! [`LiveRun`]: a run as reactive signals — a projection of the engine's [`RunState`], updated
//! one event at a time, so the views update exactly the parts an event touches (one branch's text
//! for a token, one status for a finish) and 64 streaming branches stay cheap.
//!
//! There is one reducer, the engine's [`RunState::apply`]. A live run's sink hands the view the
//! engine's own state after each event and what the event [`Changed`] ([`LiveRun::observe`]); a
//! replay folds the trace's events into a state of the view's own with the same reducer
//! ([`LiveRun::replay`]). Either way the view only copies what changed into its signals: it has
//! no rules of its own about what an event means. Every event costs work in proportion to the
//! event: a branch's start does not walk the branches so far (the display order is derived when
//! the view renders), and a token appends to its branch's text.

use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use thinkscale_engine::cluster::Cluster;
use thinkscale_engine::event::{Event, NodeId, Outcome, StopReason};
use thinkscale_engine::state::{Changed, Decision, Node, RunState, Selection};
use thinkscale_engine::vote::Standing;
use thinkscale_engine::{Budget, Spend, Trace};

pub use crate::branch_view::BranchView;
use crate::branch_view::set_if_changed;
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
    /// The samples' clusters, heaviest first, when the run decides by clusters (free-form
    /// replies); `standings` are then the clusters.
    pub clusters: RwSignal<Vec<Cluster>>,
    /// A selector's choice and its reason (universal self-consistency).
    pub selection: RwSignal<Option<Selection>>,
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
    /// The state a replay folds its events into (a live run projects the engine's own state).
    replayed: StoredValue<RunState>,
    /// Whether this run already reported an event that did not fit it.
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
            clusters: RwSignal::new(Vec::new()),
            selection: RwSignal::new(None),
            spend: RwSignal::new(Spend::default()),
            now_ms: RwSignal::new(0),
            early_stop: RwSignal::new(None),
            decisions: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            epoch: RwSignal::new(0),
            events: StoredValue::new(Vec::new()),
            replayed: StoredValue::new(RunState::new()),
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
        self.clusters.try_set(Vec::new());
        self.selection.try_set(None);
        self.spend.try_set(Spend::default());
        self.now_ms.try_set(0);
        self.early_stop.try_set(None);
        self.decisions.try_set(Vec::new());
        self.outcome.try_set(None);
        let _ = self.events.try_update_value(Vec::clear);
        let _ = self.replayed.try_set_value(RunState::new());
        let _ = self.warned.try_set_value(false);
    }

    /// The events so far, as a trace.
    pub fn trace(&self) -> Trace {
        Trace::new(self.events.try_get_value().unwrap_or_default())
    }

    /// A live run's event: recorded for export, then the engine's `state` after it projected
    /// into the signals, as far as `changed` says it moved.
    pub fn observe(&self, event: &Event, state: &RunState, changed: Changed) {
        let Some(owner) = self.owner.try_with_value(WeakOwner::upgrade).flatten() else { return };
        let _ = self.events.try_update_value(|events| events.push(event.clone()));
        owner.with(|| self.project(state, changed));
    }

    /// A replayed event: folded into this view's own state by the engine's reducer, then
    /// projected. An event that does not fit the run so far is skipped (the console says so
    /// once); imported traces were checked whole before they replay.
    pub fn replay(&self, event: &Event) {
        let Some(owner) = self.owner.try_with_value(WeakOwner::upgrade).flatten() else { return };
        let applied = self.replayed.try_update_value(|state| state.apply(event));
        let changed = match applied {
            Some(Ok(changed)) => changed,
            Some(Err(error)) => return self.warn_once(&error.to_string()),
            None => return,
        };
        let _ = self.events.try_update_value(|events| events.push(event.clone()));
        owner.with(|| {
            let _ = self.replayed.try_with_value(|state| self.project(state, changed));
        });
    }

    fn warn_once(&self, reason: &str) {
        if self.warned.try_get_value() == Some(false) {
            let _ = self.warned.try_set_value(true);
            leptos::logging::warn!(
                "thinkscale: an event that does not fit the run was skipped: {reason}"
            );
        }
    }

    /// Copies what `changed` says moved from `state` into the signals.
    fn project(&self, state: &RunState, changed: Changed) {
        set_if_changed(self.now_ms, &state.spend.elapsed_ms);
        if let Some(node) = changed.node.and_then(|id| state.node(id)) {
            if changed.added {
                self.add_branch(node);
            }
            if let Some(branch) = self.branch(node.id) {
                branch.project(node, state);
            }
        }
        if changed.run {
            self.project_run(state);
        }
    }

    fn project_run(&self, state: &RunState) {
        set_if_changed(self.question, &state.question);
        set_if_changed(self.strategy, &state.strategy);
        set_if_changed(self.model, &state.model);
        set_if_changed(self.budget, &state.budget);
        set_if_changed(self.spend, &state.spend);
        set_if_changed(self.standings, &state.standings);
        set_if_changed(self.answers, &state.answers);
        set_if_changed(self.clusters, &state.clusters);
        set_if_changed(self.selection, &state.selection);
        set_if_changed(self.early_stop, &state.early_stop);
        // Decisions only grow: compare their count, not their text.
        if self.decisions.try_with_untracked(Vec::len) != Some(state.decisions.len()) {
            self.decisions.try_set(state.decisions.clone());
        }
        if self.outcome.try_with_untracked(Option::is_some) != Some(state.outcome.is_some()) {
            self.outcome.try_set(state.outcome.clone());
        }
    }

    fn branch(&self, id: NodeId) -> Option<BranchView> {
        self.branches.try_with_untracked(|all| all.get(id.0 as usize).cloned()).flatten()
    }

    fn add_branch(&self, node: &Node) {
        let depth = node.parent.and_then(|p| self.branch(p)).map_or(0, |p| p.depth + 1);
        let epoch = self.epoch.try_get_untracked().unwrap_or_default();
        let branch = BranchView::started(epoch, node, depth);
        self.branches.update(|all| all.push(branch));
    }
}

impl Default for LiveRun {
    fn default() -> Self {
        Self::new()
    }
}
