//! [`BranchView`]: one branch (model call) of a [`LiveRun`](crate::LiveRun) as the tree shows it,
//! each field its own signal, projected from the run state's node so that an event updates
//! exactly what it touches.

use leptos::prelude::*;
use thinkscale_engine::answer::Answer;
use thinkscale_engine::event::{NodeId, NodeKind};
use thinkscale_engine::state::{Node, NodeStatus, RunState};

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
    /// The row of a node that just started.
    pub(crate) fn started(epoch: u64, node: &Node, depth: usize) -> Self {
        Self {
            epoch,
            id: node.id,
            parent: node.parent,
            kind: node.kind,
            label: node.label.clone(),
            depth,
            started_ms: node.started_ms,
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

    /// Copies `node` (as `state` has it) into the row's signals; only the ones whose value
    /// changed notify.
    pub(crate) fn project(&self, node: &Node, state: &RunState) {
        let streaming = node.status == NodeStatus::Running;
        self.text.try_maybe_update(|text| (text.follow(&node.text, streaming), ()));
        self.reasoning.try_maybe_update(|text| (text.follow(&node.reasoning, streaming), ()));
        set_if_changed(self.status, &node.status);
        set_if_changed(self.answer, &node.answer);
        set_if_changed(self.tokens, &node.usage.total());
        set_if_changed(self.cost_usd, &node.cost_usd);
        set_if_changed(self.finished_ms, &node.finished_ms);
        set_if_changed(self.score, &node.score);
        let backtracked = state.backtracks.iter().rev().find(|(from, _)| *from == node.id);
        set_if_changed(self.abandoned, &(node.pruned.is_some() || backtracked.is_some()));
        set_if_changed(self.note, &note(node, backtracked.map(|(_, to)| *to)));
    }
}

/// Why a node was abandoned, failed or retried, in words: the latest of these that happened.
fn note(node: &Node, backtracked_to: Option<Option<NodeId>>) -> Option<String> {
    if let Some(to) = backtracked_to {
        let to = to.map_or_else(|| "the root".to_owned(), |to| to.to_string());
        return Some(format!("dead end: backtracked to {to}"));
    }
    if let Some(reason) = &node.pruned {
        return Some(format!("pruned: {reason}"));
    }
    if let Some(error) = &node.error {
        return Some(error.to_string());
    }
    let error = node.retried_after.as_ref()?;
    Some(format!("retry {}: {error}", node.retries.saturating_add(1)))
}

/// Sets `signal` to `value` only when they differ, so that nothing reading it re-renders for
/// an event that did not change it. Does nothing once the signal is gone.
pub(crate) fn set_if_changed<T>(signal: RwSignal<T>, value: &T)
where
    T: PartialEq + Clone + Send + Sync + 'static,
{
    signal.try_maybe_update(|current| {
        let changed = current != value;
        if changed {
            current.clone_from(value);
        }
        (changed, ())
    });
}
