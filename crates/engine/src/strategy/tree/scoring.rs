//! How a tree search reads its own tree: the steps on the path to a state, and the scores of
//! new states from their value evaluations or their siblings' votes.

use crate::event::{NodeId, NodeKind};
use crate::state::{NodeStatus, RunState};
use crate::strategy::thoughts::{parse_choice, parse_value};

/// The step texts from the root down to `at`.
pub(super) fn steps_to(state: &RunState, at: Option<NodeId>) -> Vec<String> {
    let mut steps = Vec::new();
    let mut cursor = at.and_then(|id| state.node(id));
    while let Some(node) = cursor {
        if node.kind == NodeKind::Thought {
            steps.push(node.text.trim().to_owned());
        }
        cursor = node.parent.and_then(|id| state.node(id));
    }
    steps.reverse();
    steps
}

pub(super) fn step_texts(state: &RunState, ids: &[NodeId]) -> Vec<String> {
    ids.iter().filter_map(|&id| state.node(id)).map(|n| n.text.trim().to_owned()).collect()
}

/// Each state's mean value over its finished evaluations (and the evaluation, when one).
pub(super) fn value_scores(
    state: &RunState,
    states: &[NodeId],
) -> Vec<(NodeId, f64, Option<NodeId>)> {
    states
        .iter()
        .filter_map(|&id| {
            let node = state.node(id)?;
            let values: Vec<(NodeId, f64)> = node
                .children
                .iter()
                .filter_map(|&child| state.node(child))
                .filter(|c| c.kind == NodeKind::Evaluation && c.status == NodeStatus::Done)
                .filter_map(|c| parse_value(&c.text).map(|v| (c.id, v)))
                .collect();
            if values.is_empty() {
                return None;
            }
            let mean = values.iter().map(|(_, v)| v).sum::<f64>() / values.len() as f64;
            let by = match values.as_slice() {
                [(only, _)] => Some(*only),
                _ => None,
            };
            Some((id, mean, by))
        })
        .collect()
}

/// Each state's share of the votes cast among its siblings; a lone state gets 1.
pub(super) fn vote_scores(
    state: &RunState,
    parent: Option<NodeId>,
    states: &[NodeId],
    samples: u32,
) -> Vec<(NodeId, f64, Option<NodeId>)> {
    if let [only] = states {
        return vec![(*only, 1.0, None)];
    }
    // A run has one evaluator: under the vote evaluator, the evaluations hanging under `parent`
    // are exactly the votes among its states (value evaluations would hang under each state).
    let votes = state.nodes.iter().filter(|n| {
        n.kind == NodeKind::Evaluation && n.parent == parent && n.status == NodeStatus::Done
    });
    let mut counts = vec![0u32; states.len()];
    let mut cast = 0;
    for vote in votes {
        // A state is expanded once, so the votes under `parent` are this expansion's.
        if let Some(count) = parse_choice(&vote.text, states.len()).and_then(|c| counts.get_mut(c))
        {
            *count += 1;
            cast += 1;
        }
    }
    if cast == 0 {
        return Vec::new();
    }
    let total = f64::from(samples.max(cast));
    states.iter().zip(counts).map(|(&id, votes)| (id, f64::from(votes) / total, None)).collect()
}
