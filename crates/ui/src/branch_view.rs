//! [`BranchView`]: one branch (model call) of a [`LiveRun`](crate::LiveRun) as the tree shows it,
//! each field its own signal so that an event updates exactly what it touches.

use leptos::prelude::*;
use thinkscale_engine::answer::Answer;
use thinkscale_engine::event::{NodeId, NodeKind};
use thinkscale_engine::model::Usage;
use thinkscale_engine::state::NodeStatus;

use crate::streamed_text::StreamedText;

/// One branch (model call) as the tree shows it.
#[derive(Debug, Clone)]
pub struct BranchView {
    /// Which run of this view it belongs to (ids restart at 0 with every run).
    pub epoch: u64,
    /// Its id (its index among the run's branches).
    pub id: NodeId,
    /// The branch it hangs under.
    pub parent: Option<NodeId>,
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
    pub text: RwSignal<StreamedText>,
    /// Reasoning text so far (reasoning models).
    pub reasoning: RwSignal<StreamedText>,
    /// The extracted answer, once finished.
    pub answer: RwSignal<Option<Answer>>,
    /// Tokens used by every attempt (prompt + completion + reasoning), as far as counted.
    pub tokens: RwSignal<u64>,
    /// Dollars, when the model has a price.
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

impl BranchView {
    /// A branch that just started.
    pub(crate) fn started(
        epoch: u64,
        id: NodeId,
        parent: Option<NodeId>,
        depth: usize,
        kind: NodeKind,
        label: &str,
        started_ms: u64,
    ) -> Self {
        Self {
            epoch,
            id,
            parent,
            kind,
            label: label.to_owned(),
            depth,
            started_ms,
            status: RwSignal::new(NodeStatus::Running),
            text: RwSignal::new(StreamedText::default()),
            reasoning: RwSignal::new(StreamedText::default()),
            answer: RwSignal::new(None),
            tokens: RwSignal::new(0),
            cost_usd: RwSignal::new(None),
            finished_ms: RwSignal::new(None),
            note: RwSignal::new(None),
            score: RwSignal::new(None),
            abandoned: RwSignal::new(false),
        }
    }

    /// Adds what one attempt consumed (a retried, failed, cancelled or finished one), as the
    /// engine's reducer counts a node's usage.
    pub(crate) fn consume(&self, usage: &Usage, cost_usd: Option<f64>) {
        self.tokens.update(|tokens| *tokens = tokens.saturating_add(usage.total()));
        if let Some(cost) = cost_usd {
            self.cost_usd.update(|total| *total = Some(total.unwrap_or(0.0) + cost));
        }
    }

    /// Replaces the totals with revised ones (`usageRevised`).
    pub(crate) fn revise(&self, usage: &Usage, cost_usd: Option<f64>) {
        self.tokens.set(usage.total());
        self.cost_usd.set(cost_usd);
    }

    /// Marks the branch ended at `at_ms` with `status`.
    pub(crate) fn end(&self, status: NodeStatus, at_ms: u64) {
        self.finished_ms.set(Some(at_ms));
        self.status.set(status);
    }
}
