//! The clustering vote: responses whose final statements say the same thing form one cluster,
//! the heaviest cluster wins, and its most central member is the answer.
//!
//! This is how a run decides when there is no key to vote on — a haiku, an explanation, a piece
//! of code. What is compared is each sample's *statement*: its extracted answer when it has one,
//! else the end of its visible text. The default similarity is the Sørensen–Dice coefficient of
//! character bigrams (the `strsim` crate) of the normalised statements: robust to case, spacing
//! and small rewordings, and cheap enough for every pair.
//!
//! A caller can replace the similarity ([`Similarity`], `Runner::similarity`): embeddings'
//! cosine, a cross-encoder, a rule of their own — for clusters by meaning rather than wording.
//!
//! Like the vote, clustering is a function of the *set* of samples, never of their arrival order:
//! members are taken in node-id order, each joining the cluster it is most similar to on average
//! (if that reaches the threshold) or starting its own.

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::compat::{MaybeSend, MaybeSync};
use crate::node::NodeId;
use crate::vote::Tally;

/// How a voting strategy turns its samples into a decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Aggregate {
    /// Vote on extracted answers while at least half the finished samples state one and (from
    /// three answers on) two of them agree; otherwise — free-form replies, or "answers" that are
    /// all different fragments of prose — cluster the replies themselves. The default: it answers
    /// "What is the capital of Australia?" by vote and "Write a haiku about autumn." by cluster.
    /// With an extractor other than `auto` named, it always votes.
    #[default]
    Auto,
    /// Vote on extracted answers only; samples without one do not count.
    Vote,
    /// JSON answers: vote on each top-level field by itself; the answer is the object of every
    /// field's winner. Answers that are not objects are voted on whole.
    Fields,
    /// Always cluster the samples' statements.
    Cluster {
        /// The similarity in [0, 1] at which a sample joins a cluster. Default 0.6.
        #[serde(default = "default_threshold")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<f64>", optional))]
        threshold: f64,
    },
}

/// The similarity at which [`Aggregate::Auto`] (and `cluster` by default) groups samples.
pub const DEFAULT_THRESHOLD: f64 = 0.6;

fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}

impl Aggregate {
    /// What this aggregate means for a task read by `extractor`: `auto` decides between vote and
    /// clusters only when no extractor was named, always clusters free-form replies, and votes
    /// when an extractor was named (numbers, letters, a regex want their vote).
    pub fn for_extractor(self, extractor: &crate::Extractor) -> Self {
        match (self, extractor) {
            (Self::Auto, crate::Extractor::Auto) => Self::Auto,
            (Self::Auto, crate::Extractor::FreeForm) => {
                Self::Cluster { threshold: DEFAULT_THRESHOLD }
            }
            (Self::Auto, _) => Self::Vote,
            (chosen, _) => chosen,
        }
    }

    /// Checks the threshold; `field` is where this aggregate sits in the config.
    pub fn validate(&self, field: &str) -> crate::Result<()> {
        match self {
            Self::Cluster { threshold } if !(0.0..=1.0).contains(threshold) => {
                Err(crate::Error::config(format!("{field}.threshold"), "must be between 0 and 1"))
            }
            _ => Ok(()),
        }
    }
}

/// One cluster of samples, as `clustered` events carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// The member most similar to the others: the one whose reply answers for the cluster.
    pub central: NodeId,
    /// Every member, in id order.
    pub members: Vec<NodeId>,
    /// The members' summed weight (their count under uniform weighting).
    pub weight: f64,
    /// What the central member says, short, for display.
    pub label: String,
}

impl Cluster {
    /// This cluster as a vote standing: its label as the answer (keyed by its central member,
    /// which no extracted answer's key can equal), its members as the votes.
    pub fn tally(&self, answer: Option<&Answer>) -> Tally {
        let answer = answer.cloned().unwrap_or_else(|| {
            Answer { text: self.label.clone(), key: format!("≈{}", self.central) }.bounded()
        });
        Tally {
            answer,
            votes: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            weight: self.weight,
            nodes: self.members.clone(),
        }
    }
}

/// One sample to cluster.
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    /// The sample.
    pub node: NodeId,
    /// What it says: its answer, or the end of its text.
    pub text: &'a str,
    /// How much it counts.
    pub weight: f64,
}

/// Groups `statements` at `threshold` by `similarity` (symmetric, in [0, 1]; NaN counts as 0),
/// heaviest cluster first (ties: more members, then the earliest member).
pub fn cluster(
    statements: &[Statement<'_>],
    threshold: f64,
    mut similarity: impl FnMut(NodeId, NodeId) -> f64,
) -> Vec<Cluster> {
    let mut ordered: Vec<Statement<'_>> = statements.to_vec();
    ordered.sort_by_key(|s| s.node);
    let mut sim = |a: NodeId, b: NodeId| {
        let value = similarity(a, b);
        if value.is_finite() { value.clamp(0.0, 1.0) } else { 0.0 }
    };
    let mut groups: Vec<Vec<Statement<'_>>> = Vec::new();
    for statement in ordered {
        let best = groups
            .iter()
            .enumerate()
            .map(|(at, group)| {
                let total: f64 = group.iter().map(|m| sim(m.node, statement.node)).sum();
                (at, total / group.len() as f64)
            })
            .filter(|&(_, mean)| mean >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best.and_then(|(at, _)| groups.get_mut(at)) {
            Some(group) => group.push(statement),
            None => groups.push(vec![statement]),
        }
    }
    let mut clusters: Vec<Cluster> = groups
        .into_iter()
        .map(|group| {
            let centrality = |s: &Statement<'_>, sim: &mut dyn FnMut(NodeId, NodeId) -> f64| {
                group.iter().filter(|m| m.node != s.node).map(|m| sim(m.node, s.node)).sum::<f64>()
            };
            let mut central =
                group.first().map_or((NodeId(0), f64::MIN, ""), |s| (s.node, f64::MIN, s.text));
            for member in &group {
                let score = centrality(member, &mut sim);
                if score > central.1 {
                    central = (member.node, score, member.text);
                }
            }
            Cluster {
                central: central.0,
                members: group.iter().map(|s| s.node).collect(),
                weight: group
                    .iter()
                    .map(|s| if s.weight.is_finite() { s.weight.max(0.0) } else { 0.0 })
                    .sum(),
                label: label_of(central.2),
            }
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(b.members.len().cmp(&a.members.len()))
            .then(a.members.first().cmp(&b.members.first()))
    });
    clusters
}

/// The first line of a statement, short: what a cluster is shown as.
fn label_of(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    Answer { text: line.to_owned(), key: String::new() }.bounded().text
}

/// How alike two statements are, in [0, 1] (1: the same). Symmetric. Values outside [0, 1] are
/// clamped and a non-finite one counts as 0 — callers who must not accept such values (the JS
/// bindings) check them before returning.
pub trait Similarity: MaybeSend + MaybeSync {
    /// The similarity of `a` and `b`.
    fn similarity(&self, a: &str, b: &str) -> f64;
}

impl<F> Similarity for F
where
    F: Fn(&str, &str) -> f64 + MaybeSend + MaybeSync,
{
    fn similarity(&self, a: &str, b: &str) -> f64 {
        self(a, b)
    }
}

/// The similarity used unless the caller gives one: [`text_similarity`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TextSimilarity;

impl Similarity for TextSimilarity {
    fn similarity(&self, a: &str, b: &str) -> f64 {
        text_similarity(a, b)
    }
}

/// The text similarity used unless the caller gives one: Sørensen–Dice over character bigrams of
/// the lowercased, whitespace-collapsed statements.
pub fn text_similarity(a: &str, b: &str) -> f64 {
    strsim::sorensen_dice(&normalized(a), &normalized(b))
}

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The longest statement (in bytes, from the end of a reply) that clustering compares.
pub const MAX_STATEMENT_BYTES: usize = 2000;

/// What a reply says for clustering: its extracted answer's key, else its last
/// [`MAX_STATEMENT_BYTES`] (cut at a character boundary).
pub fn statement_of<'a>(text: &'a str, answer: Option<&'a Answer>) -> &'a str {
    if let Some(answer) = answer {
        return &answer.key;
    }
    let text = text.trim();
    let mut start = text.len().saturating_sub(MAX_STATEMENT_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn statements<'a>(texts: &[&'a str]) -> Vec<Statement<'a>> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| Statement { node: NodeId(i as u32), text, weight: 1.0 })
            .collect()
    }

    fn by_text<'a>(texts: &'a [&'a str]) -> impl FnMut(NodeId, NodeId) -> f64 + 'a {
        move |a, b| text_similarity(texts[a.0 as usize], texts[b.0 as usize])
    }

    #[test]
    fn similar_replies_form_the_winning_cluster_and_its_centre_answers() {
        let texts = [
            "Crimson leaves drifting / on the cold autumn river / the year lets go",
            "A recipe for bread: flour, water, salt and patience.",
            "Crimson leaves drifting / upon the cold autumn river / the year lets go",
            "crimson leaves drifting on the cold autumn river, the year lets go",
        ];
        let clusters = cluster(&statements(&texts), DEFAULT_THRESHOLD, by_text(&texts));
        assert_eq!(clusters.len(), 2, "{clusters:?}");
        assert_eq!(clusters[0].members, [NodeId(0), NodeId(2), NodeId(3)]);
        assert_eq!(clusters[0].weight, 3.0);
        assert!(clusters[0].members.contains(&clusters[0].central));
        assert_eq!(clusters[1].members, [NodeId(1)]);
        assert_eq!(clusters[1].label, "A recipe for bread: flour, water, salt and patience.");
    }

    #[test]
    fn a_similarity_that_is_nan_or_out_of_range_cannot_merge_or_break_anything() {
        let texts = ["a", "b", "c"];
        let clusters = cluster(&statements(&texts), 0.5, |_, _| f64::NAN);
        assert_eq!(clusters.len(), 3);
        let clusters = cluster(&statements(&texts), 0.5, |_, _| 7.0);
        assert_eq!(clusters.len(), 1, "clamped to 1: everything is alike");
    }

    #[test]
    fn statements_are_answers_or_the_end_of_the_reply() {
        let answer = Answer { text: "Canberra".into(), key: "canberra".into() };
        assert_eq!(statement_of("long reasoning…", Some(&answer)), "canberra");
        let long = format!("{}é end", "x".repeat(3000));
        let end = statement_of(&long, None);
        assert!(end.len() <= MAX_STATEMENT_BYTES && end.ends_with("é end"));
    }

    proptest! {
        /// Clusters are a function of the set of samples: any order in gives the same clusters.
        #[test]
        fn clusters_do_not_depend_on_arrival_order(
            picks in prop::collection::vec(0usize..5, 1..24),
            seed in any::<u64>(),
        ) {
            let pool = ["autumn leaves fall", "autumn leaves falling", "spring rain", "spring rains", "code"];
            let texts: Vec<&str> = picks.iter().map(|&i| pool[i]).collect();
            let items = statements(&texts);
            let mut shuffled = items.clone();
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            let sim = |a: NodeId, b: NodeId| text_similarity(texts[a.0 as usize], texts[b.0 as usize]);
            prop_assert_eq!(cluster(&items, 0.6, sim), cluster(&shuffled, 0.6, sim));
        }
    }
}
