//! The decision over a run's samples, shared by the voting strategies: a vote on extracted
//! answers, or — for free-form replies — clusters of what the samples say ([`Aggregate`]).

use std::collections::HashMap;

use crate::cluster::{
    Aggregate, Cluster, DEFAULT_THRESHOLD, Similarity, Statement, cluster, statement_of,
};
use crate::event::{NodeId, NodeKind};
use crate::run::{Journal, Verdict};
use crate::state::{Node, NodeStatus, RunState};
use crate::vote::{Ballot, Tally, Weighting, tally};

/// The tally over every finished sample that gave an answer.
pub(crate) fn current_tally(state: &RunState, weighting: Weighting) -> Vec<Tally> {
    vote_of(finished(state), weighting)
}

fn vote_of<'s>(samples: impl Iterator<Item = &'s Node>, weighting: Weighting) -> Vec<Tally> {
    tally(ballots_of(samples, weighting))
}

/// A ballot for every sample that gave an answer.
fn ballots_of<'s>(
    samples: impl Iterator<Item = &'s Node>,
    weighting: Weighting,
) -> impl Iterator<Item = Ballot<'s>> {
    samples.filter_map(move |n| {
        n.answer.as_ref().map(|answer| Ballot {
            node: n.id,
            answer,
            weight: weighting.weight(n.mean_logprob, n.confidence),
        })
    })
}

/// The field-by-field vote first (when the answers are JSON objects), then the whole values.
fn fields_of<'s>(
    samples: impl Iterator<Item = &'s Node> + Clone,
    weighting: Weighting,
) -> Vec<Tally> {
    let whole = vote_of(samples.clone(), weighting);
    let ballots: Vec<Ballot<'_>> = ballots_of(samples, weighting).collect();
    let Some(composite) = crate::field_vote::field_vote(&ballots) else { return whole };
    let key = composite.answer.key.clone();
    std::iter::once(composite).chain(whole.into_iter().filter(|t| t.answer.key != key)).collect()
}

/// The run's finished samples.
pub(crate) fn finished(state: &RunState) -> impl Iterator<Item = &Node> + Clone {
    state.nodes.iter().filter(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done)
}

/// Finished samples, answered or not (the denominator of the stopping rules).
pub(crate) fn finished_samples(state: &RunState) -> u32 {
    u32::try_from(finished(state).count()).unwrap_or(u32::MAX)
}

/// Whether `id` is a sample that finished with an answer.
pub(crate) fn answered(state: &RunState, id: NodeId) -> bool {
    state.node(id).is_some_and(|n| n.status == NodeStatus::Done && n.answer.is_some())
}

/// Whether `id` is a sample that finished, answered or not.
pub(crate) fn finished_sample(state: &RunState, id: NodeId) -> bool {
    state.node(id).is_some_and(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done)
}

/// The verdict of a vote: the leading answer, taken from its earliest sample.
pub(crate) fn vote_verdict(state: &RunState, weighting: Weighting) -> Verdict {
    Verdict::of_vote(current_tally(state, weighting))
}

/// What counting some samples gave: the standings, and the clusters behind them if the samples
/// were clustered.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counted {
    /// Best first: answers, or clusters as standings.
    pub(crate) tallies: Vec<Tally>,
    /// The clusters, when the samples were clustered.
    pub(crate) clusters: Option<Vec<Cluster>>,
}

/// Counts samples as an [`Aggregate`] says, remembering each pair's similarity so that counting
/// again after every sample compares each pair once.
pub(crate) struct Counting<'r> {
    weighting: Weighting,
    aggregate: Aggregate,
    similarity: &'r dyn Similarity,
    /// Each pair's similarity, and whether whole replies (not answers) were compared.
    similarities: HashMap<(NodeId, NodeId, bool), f64>,
}

impl std::fmt::Debug for Counting<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counting").field("aggregate", &self.aggregate).finish_non_exhaustive()
    }
}

impl<'r> Counting<'r> {
    /// Counting with this weighting and aggregate, clustering by `similarity`.
    pub(crate) fn new(
        weighting: Weighting,
        aggregate: Aggregate,
        similarity: &'r dyn Similarity,
    ) -> Self {
        Self { weighting, aggregate, similarity, similarities: HashMap::new() }
    }

    /// Counts `samples` (finished samples): votes, or clusters for free-form replies.
    pub(crate) fn count<'s>(&mut self, samples: impl Iterator<Item = &'s Node> + Clone) -> Counted {
        // What clustering compares: the answers when the caller asked for clusters of them, the
        // replies themselves when `auto` found the answers too few or all different (an open
        // request whose "answers" are fragments of prose).
        let (threshold, whole_replies) = match self.aggregate {
            Aggregate::Vote => {
                return Counted { tallies: vote_of(samples, self.weighting), clusters: None };
            }
            Aggregate::Fields => {
                return Counted { tallies: fields_of(samples, self.weighting), clusters: None };
            }
            Aggregate::Cluster { threshold } => (threshold, false),
            Aggregate::Auto => {
                let votes = vote_of(samples.clone(), self.weighting);
                let answered: u32 = votes.iter().map(|t| t.votes).sum();
                let all = u32::try_from(samples.clone().count()).unwrap_or(u32::MAX);
                let agreed = votes.first().is_some_and(|leader| leader.votes >= 2);
                let voting = answered * 2 >= all && (agreed || answered < 3);
                if voting {
                    return Counted { tallies: votes, clusters: None };
                }
                (DEFAULT_THRESHOLD, true)
            }
        };
        let nodes: Vec<&Node> = samples.collect();
        let statements: Vec<Statement<'_>> = nodes
            .iter()
            .map(|n| Statement {
                node: n.id,
                text: statement_of(&n.text, n.answer.as_ref().filter(|_| !whole_replies)),
                weight: self.weighting.weight(n.mean_logprob, n.confidence),
            })
            .collect();
        let text_of: HashMap<NodeId, &str> = statements.iter().map(|s| (s.node, s.text)).collect();
        let cache = &mut self.similarities;
        let similarity = self.similarity;
        let clusters = cluster(&statements, threshold, |a, b| {
            let pair = if a <= b { (a, b, whole_replies) } else { (b, a, whole_replies) };
            *cache.entry(pair).or_insert_with(|| {
                let text = |id| text_of.get(&id).copied().unwrap_or_default();
                similarity.similarity(text(pair.0), text(pair.1))
            })
        });
        let answer_of = |id: NodeId| {
            nodes
                .iter()
                .find(|n| n.id == id)
                .and_then(|n| n.answer.as_ref())
                .filter(|_| !whole_replies)
        };
        let tallies = clusters.iter().map(|c| c.tally(answer_of(c.central))).collect();
        Counted { tallies, clusters: Some(clusters) }
    }

    /// Counts the run's finished samples and records the result: the clusters (if any), then
    /// the standings.
    pub(crate) fn record(&mut self, journal: &mut Journal<'_>) -> Counted {
        let counted = self.count(finished(journal.state()));
        if let Some(clusters) = &counted.clusters {
            journal.clusters(clusters);
        }
        journal.tally(&counted.tallies);
        counted
    }

    /// Whether a finished sample changes what [`record`](Self::record) would report: an answered
    /// one always can; an unanswered one only when counting may cluster.
    pub(crate) fn counts(&self, state: &RunState, id: NodeId) -> bool {
        answered(state, id) || (finished_sample(state, id) && self.aggregate != Aggregate::Vote)
    }

    /// The verdict over the run's finished samples.
    pub(crate) fn verdict(&mut self, state: &RunState) -> Verdict {
        let counted = self.count(finished(state));
        verdict_of(counted)
    }
}

/// The verdict of counted samples: the leading cluster's central member (its reply answers), or
/// the vote's leader from its earliest sample.
pub(crate) fn verdict_of(counted: Counted) -> Verdict {
    match counted.clusters.as_ref().and_then(|c| c.first()) {
        Some(leader) => Verdict {
            answer: counted.tallies.first().map(|t| t.answer.clone()),
            chosen: Some(leader.central),
            votes: counted.tallies,
        },
        None => Verdict::of_vote(counted.tallies),
    }
}
