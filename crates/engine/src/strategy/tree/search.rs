//! The two searches of [`TreeOfThoughts`] — beam and depth-first with backtracking — and how the
//! final answer is chosen among the answers they reached.

use super::{NO_VERDICT, TreeOfThoughts, steps_to};
use crate::event::{NodeId, NodeKind};
use crate::model::Model;
use crate::run::{Run, Verdict};
use crate::state::{NodeStatus, RunState};
use crate::strategy::voting::current_tally;
use crate::vote::{Weighting, votes_for};

/// The verifier score from which a depth-first search accepts an answer and stops.
const ACCEPT_SCORE: f64 = 0.5;

/// Breadth-first search keeping the `width` best states per depth, then an answer at each.
pub(super) async fn beam<M: Model>(
    tot: &TreeOfThoughts,
    run: &mut Run<'_, M>,
    width: usize,
) -> Verdict {
    let first = run.state().nodes.len();
    let mut frontier: Vec<Option<NodeId>> = vec![None];
    for _ in 0..tot.depth {
        let groups = tot.expand(run, &frontier).await;
        let fresh: Vec<NodeId> = groups.iter().flat_map(|(_, states)| states.clone()).collect();
        if run.is_stopped() || fresh.is_empty() {
            break;
        }
        let scores = tot.evaluate(run, &groups).await;
        if run.is_stopped() {
            break;
        }
        let ranked = rank(&fresh, |id| scores.get(&id).copied());
        let total = ranked.len();
        for (place, &(id, score)) in ranked.iter().enumerate().skip(width) {
            let reason =
                format!("outside the beam: score {score:.2}, ranked {} of {total}", place + 1);
            run.journal().prune(id, reason);
        }
        frontier = ranked.iter().take(width).map(|&(id, _)| Some(id)).collect();
    }
    if !run.is_stopped() {
        tot.answer(run, &frontier).await;
    }
    choose(run.state(), first)
}

/// Depth-first search: the best state first, states below `threshold` pruned, a backtrack from
/// every dead end, at most `max_states` expansions; stops at the first accepted answer.
pub(super) async fn depth_first<M: Model>(
    tot: &TreeOfThoughts,
    run: &mut Run<'_, M>,
    threshold: f64,
    max_states: u32,
) -> Verdict {
    let first = run.state().nodes.len();
    let mut stack: Vec<Option<NodeId>> = vec![None];
    let mut expanded = 0;
    while let Some(state) = stack.pop() {
        if run.is_stopped() {
            break;
        }
        if steps_to(run.state(), state).len() >= tot.depth as usize {
            let answers = tot.answer(run, &[state]).await;
            if answers.iter().any(|&id| accepted(run.state(), id, run.verifier().is_some())) {
                break;
            }
            resume(run, state, &stack);
            continue;
        }
        if expanded >= max_states {
            break;
        }
        expanded += 1;
        let groups = tot.expand(run, &[state]).await;
        let fresh: Vec<NodeId> = groups.iter().flat_map(|(_, states)| states.clone()).collect();
        let scores = tot.evaluate(run, &groups).await;
        if run.is_stopped() {
            break;
        }
        let ranked = rank(&fresh, |id| scores.get(&id).copied());
        // A state no evaluation gave a verdict on is not judged: it stays, ranked by NO_VERDICT.
        let weak = |id: NodeId, score: f64| scores.contains_key(&id) && score < threshold;
        let viable: Vec<NodeId> =
            ranked.iter().filter(|&&(id, score)| !weak(id, score)).map(|&(id, _)| id).collect();
        for &(id, score) in ranked.iter().filter(|&&(id, score)| weak(id, score)) {
            let reason = format!("below the threshold {threshold:.2}: score {score:.2}");
            run.journal().prune(id, reason);
        }
        if viable.is_empty() {
            resume(run, state, &stack);
        }
        stack.extend(viable.into_iter().rev().map(Some));
    }
    let answered = run.state().nodes.iter().skip(first).any(|n| n.kind == NodeKind::Sample);
    if !answered && !run.is_stopped() {
        // The search ran out of states without reaching the depth: answer from the deepest,
        // best-scored state it kept, rather than from nothing.
        let best = best_open_state(run.state(), first);
        tot.answer(run, &[best]).await;
    }
    choose(run.state(), first)
}

/// States best first (unscored ones at [`NO_VERDICT`]); ties go to the earlier state.
fn rank(states: &[NodeId], score: impl Fn(NodeId) -> Option<f64>) -> Vec<(NodeId, f64)> {
    let mut ranked: Vec<(NodeId, f64)> =
        states.iter().map(|&id| (id, score(id).unwrap_or(NO_VERDICT))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// Whether an answer node ends a depth-first search: the verifier passed it, or (without a
/// verifier) it stated an answer.
fn accepted(state: &RunState, id: NodeId, verified: bool) -> bool {
    state.node(id).is_some_and(|n| {
        n.status == NodeStatus::Done
            && if verified {
                n.score.is_some_and(|s| s >= ACCEPT_SCORE)
            } else {
                n.answer.is_some()
            }
    })
}

/// Records a backtrack from the dead end `from` to where the search resumes: the parent of the
/// next state on the stack. Nothing when the stack is empty (the search is over).
fn resume<M: Model>(run: &mut Run<'_, M>, from: Option<NodeId>, stack: &[Option<NodeId>]) {
    let (Some(from), Some(&next)) = (from, stack.last()) else { return };
    let to = next.and_then(|id| run.state().node(id)).and_then(|n| n.parent);
    run.journal().backtrack(from, to);
}

/// The deepest state of this search (nodes from `first`) neither pruned nor backed out of,
/// best-scored among equals; `None` (the root) when there is none.
fn best_open_state(state: &RunState, first: usize) -> Option<NodeId> {
    let depth = |id: NodeId| steps_to(state, Some(id)).len();
    let dead_end = |id: NodeId| state.backtracks.iter().any(|(from, _)| *from == id);
    state
        .nodes
        .iter()
        .skip(first)
        .filter(|n| n.kind == NodeKind::Thought && n.status == NodeStatus::Done)
        .filter(|n| n.pruned.is_none() && !dead_end(n.id))
        .max_by(|a, b| {
            let score = |n: &crate::state::Node| n.score.unwrap_or(NO_VERDICT);
            depth(a.id).cmp(&depth(b.id)).then(score(a).total_cmp(&score(b))).then(b.id.cmp(&a.id))
        })
        .map(|n| n.id)
}

/// The answer to return: among this search's finished answer nodes (from node `first`: a search
/// run as a rung of another strategy ignores what came before it), the verifier's best, then
/// the one under the best-scored state, then the one whose answer has most votes, then the
/// earliest.
fn choose(state: &RunState, first: usize) -> Verdict {
    let votes = current_tally(state, Weighting::Uniform);
    let support = |id: NodeId| votes_for(&votes, id);
    let leaf_score = |parent: Option<NodeId>| {
        parent.and_then(|p| state.node(p)).and_then(|n| n.score).unwrap_or(NO_VERDICT)
    };
    let best = state
        .nodes
        .iter()
        .skip(first)
        .filter(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done)
        .max_by(|a, b| {
            let verified = |n: &crate::state::Node| n.score.unwrap_or(f64::NEG_INFINITY);
            verified(a)
                .total_cmp(&verified(b))
                .then(a.answer.is_some().cmp(&b.answer.is_some()))
                .then(leaf_score(a.parent).total_cmp(&leaf_score(b.parent)))
                .then(support(a.id).cmp(&support(b.id)))
                .then(b.id.cmp(&a.id))
        });
    Verdict { answer: best.and_then(|n| n.answer.clone()), chosen: best.map(|n| n.id), votes }
}
