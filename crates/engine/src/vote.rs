//! Voting: many sampled answers in, a ranked tally out.
//!
//! The tally depends only on the set of ballots, never on the order they arrived in: ballots are
//! summed in node-id order (so even floating-point weights add up identically) and ties break by
//! weight, then votes, then the earliest node. Node ids are assigned when branches *start*, which
//! is deterministic, not when they finish.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::node::NodeId;

/// How much each sampled answer counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Weighting {
    /// One sample, one vote.
    #[default]
    Uniform,
    /// The geometric-mean token probability, `exp(mean logprob)`: confident samples count more.
    /// Needs a model that returns logprobs.
    MeanLogprob,
    /// The model's own stated confidence ("Confidence: 80%"), which the prompt asks for.
    Confidence,
}

/// The most standings a `voteTallied` event lists (the leaders): a vote over thousands of
/// distinct answers would otherwise make every event, and the trace, grow with the run.
pub const MAX_STANDINGS: usize = 16;

/// The weight of a sample whose signal is missing (no logprobs returned, no confidence stated):
/// neither trusted nor distrusted.
pub const NEUTRAL_WEIGHT: f64 = 0.5;

impl Weighting {
    /// The weight of one sample given its signals.
    pub fn weight(self, mean_logprob: Option<f64>, confidence: Option<f64>) -> f64 {
        let weight = match self {
            Self::Uniform => 1.0,
            Self::MeanLogprob => mean_logprob.map_or(NEUTRAL_WEIGHT, f64::exp),
            Self::Confidence => confidence.unwrap_or(NEUTRAL_WEIGHT),
        };
        if weight.is_finite() && weight >= 0.0 { weight } else { 0.0 }
    }
}

/// One sample's vote.
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    /// The sample's node.
    pub node: NodeId,
    /// Its extracted answer.
    pub answer: &'a Answer,
    /// How much it counts (see [`Weighting`]).
    pub weight: f64,
}

/// The votes gathered by one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// The answer, as first written by the earliest sample that gave it.
    pub answer: Answer,
    /// How many samples gave it.
    pub votes: u32,
    /// Their summed weight (equal to `votes` under uniform weighting).
    pub weight: f64,
    /// The samples that gave it, in id order.
    pub nodes: Vec<NodeId>,
}

/// How many votes the answer of `node` got in `votes` (0 if it gave none, or is not in them).
pub fn votes_for(votes: &[Tally], node: NodeId) -> u32 {
    votes.iter().find(|t| t.nodes.contains(&node)).map_or(0, |t| t.votes)
}

/// Where one answer stands in a vote: what `voteTallied` events carry after every sample. It
/// leaves out which samples voted (each `branchFinished` says that), so that a run's trace grows
/// linearly with its samples rather than quadratically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    /// The answer.
    pub answer: Answer,
    /// How many samples gave it.
    pub votes: u32,
    /// Their summed weight.
    pub weight: f64,
}

impl Tally {
    /// This answer's standing, without the list of samples.
    pub fn standing(&self) -> Standing {
        Standing { answer: self.answer.clone(), votes: self.votes, weight: self.weight }
    }
}

/// Counts ballots by answer key and ranks the answers, best first.
pub fn tally<'a>(ballots: impl IntoIterator<Item = Ballot<'a>>) -> Vec<Tally> {
    let mut ballots: Vec<Ballot<'a>> = ballots.into_iter().collect();
    ballots.sort_by_key(|b| b.node);
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut tallies: Vec<Tally> = Vec::new();
    for ballot in &ballots {
        let weight = if ballot.weight.is_finite() { ballot.weight.max(0.0) } else { 0.0 };
        let slot = *index.entry(ballot.answer.key.as_str()).or_insert_with(|| {
            tallies.push(Tally {
                answer: ballot.answer.clone(),
                votes: 0,
                weight: 0.0,
                nodes: Vec::new(),
            });
            tallies.len() - 1
        });
        if let Some(t) = tallies.get_mut(slot) {
            t.votes += 1;
            t.weight += weight;
            t.nodes.push(ballot.node);
        }
    }
    tallies.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(b.votes.cmp(&a.votes))
            .then(a.nodes.first().cmp(&b.nodes.first()))
    });
    tallies
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer(key: &str) -> Answer {
        Answer { text: key.to_uppercase(), key: key.to_owned() }
    }

    #[test]
    fn majority_wins_and_ties_go_to_the_earliest_sample() {
        let (a, b) = (answer("a"), answer("b"));
        let ballots = [(2, &b), (0, &a), (1, &b), (3, &a)].map(|(n, ans)| Ballot {
            node: NodeId(n),
            answer: ans,
            weight: 1.0,
        });
        let tallies = tally(ballots);
        assert_eq!(tallies[0].answer.key, "a", "tie on votes and weight: node 0 came first");
        assert_eq!(tallies[0].nodes, [NodeId(0), NodeId(3)]);
        assert_eq!(tallies[1].votes, 2);
    }

    #[test]
    fn weights_can_outvote_counts() {
        let (a, b) = (answer("a"), answer("b"));
        let ballots = vec![
            Ballot { node: NodeId(0), answer: &a, weight: 0.2 },
            Ballot { node: NodeId(1), answer: &a, weight: 0.2 },
            Ballot { node: NodeId(2), answer: &b, weight: 0.9 },
        ];
        assert_eq!(tally(ballots)[0].answer.key, "b");
    }

    #[test]
    fn weighting_signals() {
        assert_eq!(Weighting::Uniform.weight(Some(-5.0), Some(0.1)), 1.0);
        assert!((Weighting::MeanLogprob.weight(Some(-0.5), None) - (-0.5f64).exp()).abs() < 1e-12);
        assert_eq!(Weighting::MeanLogprob.weight(None, None), NEUTRAL_WEIGHT);
        assert_eq!(Weighting::Confidence.weight(None, Some(0.8)), 0.8);
        assert_eq!(Weighting::Confidence.weight(None, Some(f64::NAN)), 0.0);
    }

    proptest! {
        /// The tally is a function of the set of ballots: any arrival order gives the same result.
        #[test]
        fn vote_does_not_depend_on_arrival_order(
            keys in prop::collection::vec(0u8..4, 1..40),
            weights in prop::collection::vec(0.0f64..1.0, 40),
            seed in any::<u64>(),
        ) {
            let answers: Vec<Answer> = keys.iter().map(|k| answer(&k.to_string())).collect();
            let ballots: Vec<Ballot<'_>> = answers.iter().enumerate().map(|(i, a)| Ballot {
                node: NodeId(i as u32), answer: a, weight: weights[i],
            }).collect();
            let mut shuffled = ballots.clone();
            // Fisher–Yates with a simple LCG so the shuffle is driven by proptest's seed.
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(tally(ballots), tally(shuffled));
        }
    }
}
