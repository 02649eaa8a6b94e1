//! The nodes of a run: [`NodeId`] and [`NodeKind`], the vocabulary that events, votes and the run
//! state all speak. Their own module, below all three, so that none of them imports another for
//! them.

use serde::{Deserialize, Serialize};

/// A node's id: its index in the run, in the order nodes started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a node is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum NodeKind {
    /// An independent attempt at the whole answer.
    Sample,
    /// A call that scores its parent.
    Judge,
    /// One step of reasoning in a search tree (a state of the search).
    Thought,
    /// A call that proposes several next steps for its parent state; the steps it proposed hang
    /// beside it, under the same parent, as [`NodeKind::Thought`] nodes without calls of their own.
    Proposal,
    /// A call that evaluates its parent state.
    Evaluation,
    /// A first answer, to be refined.
    Draft,
    /// A critique of its parent.
    Critique,
    /// A revised answer.
    Revision,
    /// A call that reads the samples and names the most consistent one (universal
    /// self-consistency).
    Selector,
}

impl NodeKind {
    /// Whether this kind of node states an answer to the question (so the engine extracts one).
    pub fn yields_answer(self) -> bool {
        matches!(self, Self::Sample | Self::Draft | Self::Revision)
    }
}
