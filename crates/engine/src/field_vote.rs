//! Field-by-field voting for JSON answers ([`Aggregate::Fields`](crate::cluster::Aggregate)):
//! each top-level field of the samples' objects is voted on by itself, and the answer is the
//! object of every field's winner — so `{"city": "Paris", "year": 1889}` can win although each
//! sample got one field wrong somewhere, where a vote on whole values would split.
//!
//! A field counts when at least half the objects state it. The composite's `votes` is its weakest
//! field's: every field of the answer was stated so by at least that many samples. Its samples are
//! those that agree with it on every field, the best-agreeing one first (the reply shown with it).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::answer::Answer;
use crate::node::NodeId;
use crate::vote::{Ballot, Tally};

/// How one field's values stand.
struct FieldStanding<'v> {
    value: &'v Value,
    votes: u32,
    weight: f64,
    first: NodeId,
}

/// The object of each field's winner over `ballots` whose answers are JSON objects, or `None`
/// when none is.
pub(crate) fn field_vote(ballots: &[Ballot<'_>]) -> Option<Tally> {
    let mut objects: Vec<(NodeId, f64, Map<String, Value>)> = ballots
        .iter()
        .filter_map(|ballot| match serde_json::from_str::<Value>(&ballot.answer.key) {
            Ok(Value::Object(map)) => {
                let weight = if ballot.weight.is_finite() { ballot.weight.max(0.0) } else { 0.0 };
                Some((ballot.node, weight, map))
            }
            _ => None,
        })
        .collect();
    objects.sort_by_key(|(node, ..)| *node);
    if objects.is_empty() {
        return None;
    }
    let mut fields: BTreeMap<&str, Vec<(NodeId, f64, &Value)>> = BTreeMap::new();
    for (node, weight, map) in &objects {
        for (field, value) in map {
            fields.entry(field.as_str()).or_default().push((*node, *weight, value));
        }
    }
    let mut composite = Map::new();
    let (mut votes, mut weight) = (u32::MAX, f64::INFINITY);
    for (field, stated) in fields {
        if stated.len() * 2 < objects.len() {
            continue; // a field most samples leave out is not part of the answer
        }
        let mut standings: BTreeMap<String, FieldStanding<'_>> = BTreeMap::new();
        for (node, w, value) in stated {
            let standing = standings.entry(value.to_string()).or_insert(FieldStanding {
                value,
                votes: 0,
                weight: 0.0,
                first: node,
            });
            standing.votes += 1;
            standing.weight += w;
        }
        let Some(winner) = standings.into_values().max_by(|a, b| {
            a.weight.total_cmp(&b.weight).then(a.votes.cmp(&b.votes)).then(b.first.cmp(&a.first))
        }) else {
            continue;
        };
        votes = votes.min(winner.votes);
        weight = weight.min(winner.weight);
        composite.insert(field.to_owned(), winner.value.clone());
    }
    if composite.is_empty() {
        return None;
    }
    let agreement = |map: &Map<String, Value>| {
        composite.iter().filter(|(field, value)| map.get(*field) == Some(value)).count()
    };
    let mut ranked: Vec<(usize, NodeId)> =
        objects.iter().map(|(node, _, map)| (agreement(map), *node)).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let full = composite.len();
    let nodes = ranked
        .iter()
        .enumerate()
        .filter(|(at, (agreed, _))| *at == 0 || *agreed == full)
        .map(|(_, (_, node))| *node)
        .collect();
    let key = Value::Object(composite).to_string();
    Some(Tally { answer: Answer { text: key.clone(), key }, votes, weight, nodes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballots(answers: &[Answer]) -> Vec<Ballot<'_>> {
        answers
            .iter()
            .enumerate()
            .map(|(i, answer)| Ballot { node: NodeId(i as u32), answer, weight: 1.0 })
            .collect()
    }

    fn json(text: &str) -> Answer {
        Answer { text: text.to_owned(), key: text.to_owned() }
    }

    #[test]
    fn each_field_wins_on_its_own_and_the_best_agreeing_sample_comes_first() {
        let answers = [
            json(r#"{"city":"Paris","year":1889}"#),
            json(r#"{"city":"Paris","year":1890}"#),
            json(r#"{"city":"Lyon","year":1889}"#),
            json(r#"{"city":"Paris","year":1889,"note":"iron"}"#),
            json("42"),
        ];
        let tally = field_vote(&ballots(&answers)).unwrap();
        assert_eq!(tally.answer.key, r#"{"city":"Paris","year":1889}"#, "a lone field is left out");
        assert_eq!(tally.votes, 3, "each field was stated so by at least 3 samples");
        assert_eq!(tally.nodes, [NodeId(0), NodeId(3)], "the samples that agree on every field");
    }

    #[test]
    fn a_composite_no_sample_stated_whole_still_answers() {
        let answers =
            [json(r#"{"a":1,"b":1}"#), json(r#"{"a":1,"b":2}"#), json(r#"{"a":2,"b":2}"#)];
        let tally = field_vote(&ballots(&answers)).unwrap();
        assert_eq!(tally.answer.key, r#"{"a":1,"b":2}"#);
        assert_eq!(tally.votes, 2);
        assert_eq!(tally.nodes, [NodeId(1)]);
    }

    #[test]
    fn answers_that_are_not_objects_have_no_field_vote() {
        let answers = [json("[1,2]"), json("3"), json("not json")];
        assert!(field_vote(&ballots(&answers)).is_none());
        assert!(field_vote(&[]).is_none());
    }
}
