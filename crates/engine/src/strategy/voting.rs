//! The vote over a run's samples, shared by the voting strategies.

use crate::event::{NodeId, NodeKind};
use crate::run::{Journal, Verdict};
use crate::state::{NodeStatus, RunState};
use crate::vote::{Ballot, Tally, Weighting, tally};

/// The tally over every finished sample that gave an answer.
pub(crate) fn current_tally(state: &RunState, weighting: Weighting) -> Vec<Tally> {
    tally(
        state
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done)
            .filter_map(|n| {
                n.answer.as_ref().map(|answer| Ballot {
                    node: n.id,
                    answer,
                    weight: weighting.weight(n.mean_logprob, n.confidence),
                })
            }),
    )
}

/// Finished samples, answered or not (the denominator of the stopping rules).
pub(crate) fn finished_samples(state: &RunState) -> u32 {
    let finished =
        state.nodes.iter().filter(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done);
    u32::try_from(finished.count()).unwrap_or(u32::MAX)
}

/// Whether `id` is a sample that finished with an answer.
pub(crate) fn answered(state: &RunState, id: NodeId) -> bool {
    state.node(id).is_some_and(|n| n.status == NodeStatus::Done && n.answer.is_some())
}

/// Re-tallies after a new answer and records the vote; returns it.
pub(crate) fn record_vote(journal: &mut Journal<'_>, weighting: Weighting) -> Vec<Tally> {
    let tallies = current_tally(journal.state(), weighting);
    journal.tally(&tallies);
    tallies
}

/// The verdict of a vote: the leading answer, taken from its earliest sample.
pub(crate) fn vote_verdict(state: &RunState, weighting: Weighting) -> Verdict {
    Verdict::of_vote(current_tally(state, weighting))
}
