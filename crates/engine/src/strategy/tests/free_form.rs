//! Questions without a short extractable answer, and short answers that are text: the default
//! votes on text answers whatever their phrasing, clusters free-form replies, and adaptive
//! consistency stops once a cluster is settled.

use super::*;
use crate::cluster::Aggregate;

const HAIKUS: [&str; 4] = [
    "Crimson leaves drifting\non the cold autumn river\nthe year lets go",
    "A list of bread recipes would not fit here.\nSorry, I cannot write that.\nTry again later",
    "Crimson leaves drifting\nupon the cold autumn river\nthe year lets go",
    "crimson leaves drifting\non the cold autumn river —\nthe year lets go",
];

#[test]
fn a_text_question_votes_on_its_answer_however_it_is_phrased() {
    let model = ScriptedModel::cycling([
        "The answer is: Canberra",
        "The capital of Australia is Canberra.",
        "canberra.",
        "Sydney",
    ]);
    let strategy = SelfConsistency { samples: 4, ..Default::default() };
    let ran = run(&model, &strategy, &Task::new("What is the capital of Australia?"));
    assert_eq!(ran.answer(), Some("canberra"));
    assert_eq!(ran.outcome.votes[0].votes, 3);
    assert_eq!(ran.count("clustered"), 0, "stated answers are voted on, not clustered");
}

#[test]
fn free_form_replies_are_clustered_and_the_central_one_answers() {
    let model = ScriptedModel::cycling(HAIKUS);
    let strategy = SelfConsistency { samples: 4, ..Default::default() };
    let ran = run(&model, &strategy, &Task::new("Write a haiku about autumn."));
    let chosen = ran.outcome.chosen.expect("a reply was chosen");
    assert!([NodeId(0), NodeId(2), NodeId(3)].contains(&chosen), "{chosen}");
    assert!(ran.outcome.text.as_deref().unwrap().contains("Crimson leaves"));
    let answer = ran.outcome.answer.as_ref().expect("not 'Answer: none'");
    assert!(answer.text.to_lowercase().starts_with("crimson leaves"), "{answer:?}");
    assert_eq!(ran.outcome.votes[0].votes, 3, "the vote shows clusters");
    assert_eq!(ran.outcome.votes.len(), 2);
    assert!(ran.count("clustered") >= 1);
    let state = ran.state();
    assert_eq!(state.clusters[0].central, chosen, "the replayed clusters match");
    assert_eq!(state.clusters[0].members.len(), 3);
}

#[test]
fn a_named_extractor_keeps_the_vote() {
    let model = ScriptedModel::cycling(HAIKUS);
    let strategy = SelfConsistency { samples: 4, ..Default::default() };
    let task = Task::new("Write a haiku about autumn.").extractor(Extractor::number());
    let ran = run(&model, &strategy, &task);
    assert_eq!(ran.outcome.answer, None, "no sample stated a number");
    assert_eq!(ran.count("clustered"), 0);
}

#[test]
fn explicit_clusters_group_stated_answers_too() {
    let model = ScriptedModel::cycling(answers(&["12", "12", "13"]));
    let strategy = SelfConsistency {
        samples: 3,
        aggregate: Aggregate::Cluster { threshold: 0.9 },
        ..Default::default()
    };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(ran.answer(), Some("12"), "the central member's own answer");
    assert_eq!(ran.outcome.votes[0].votes, 2);
}

#[test]
fn adaptive_consistency_stops_once_a_cluster_is_settled() {
    let model = ScriptedModel::cycling([HAIKUS[0], HAIKUS[2], HAIKUS[3]]);
    let strategy = AdaptiveConsistency { max_samples: 16, wave: 2, ..Default::default() };
    let ran = run(&model, &strategy, &Task::new("Write a haiku about autumn."));
    assert!(
        matches!(&ran.outcome.stop, StopReason::Settled { rule, .. } if *rule == SettleRule::Beta),
        "{:?}",
        ran.outcome.stop
    );
    assert_eq!(model.calls(), 4, "four agreeing replies settle it, as four agreeing answers do");
}

#[test]
fn adaptive_allocation_measures_agreement_on_clusters() {
    // Three alike haikus: the first wave agrees, so the run stops there.
    let alike = ScriptedModel::cycling([HAIKUS[0], HAIKUS[2], HAIKUS[3]]);
    let strategy = AdaptiveAllocation::default();
    let ran = run(&alike, &strategy, &Task::new("Write a haiku about autumn."));
    assert_eq!(alike.calls(), 3, "the first wave only");
    assert_eq!(ran.state().decisions[0].reason, "easy: 3 of 3 replies alike");
    assert!(ran.outcome.text.as_deref().unwrap().to_lowercase().starts_with("crimson leaves"));
    assert!(ran.count("clustered") >= 1, "the view sees the clusters");

    // One odd reply out of three: hard, so five more are sampled, and they join the clusters.
    let mixed = ScriptedModel::cycling(HAIKUS);
    let ran = run(&mixed, &strategy, &Task::new("Write a haiku about autumn."));
    assert_eq!(mixed.calls(), 8);
    assert_eq!(ran.state().decisions[0].reason, "hard: 2 of 3 replies alike");
    assert_eq!(ran.outcome.votes[0].votes, 6, "{:?}", ran.outcome.votes);
    assert!(ran.outcome.text.as_deref().unwrap().to_lowercase().starts_with("crimson leaves"));
}

/// Two sunsets worded alike, three poems about leaves worded apart.
const POEMS: [&str; 5] = [
    "Red sun sinking low / the sea is burning / evening comes",
    "Leaves fall from the oak",
    "Red sun sinking low / the sky is burning / evening comes",
    "A maple lets go of its last leaf",
    "Wind takes the yellow leaves away",
];

#[test]
fn a_callers_similarity_decides_the_clusters() {
    // By wording, the two sunsets are alike and win; by the caller's measure (what the poem is
    // about), the three poems about leaves are one cluster and win instead.
    let model = ScriptedModel::cycling(POEMS);
    let strategy = SelfConsistency { samples: 5, ..Default::default() };
    let task = Task::new("Write a haiku about autumn.").extractor(Extractor::FreeForm);
    let by_wording = run(&model, &strategy, &task);
    assert!(by_wording.outcome.text.as_deref().unwrap().starts_with("Red sun"));

    let leafy =
        |text: &str| text.to_lowercase().contains("leaf") || text.to_lowercase().contains("leaves");
    let about_leaves = move |a: &str, b: &str| f64::from(u8::from(leafy(a) == leafy(b)));
    let model = ScriptedModel::cycling(POEMS);
    let runner = Runner::new(&model).similarity(about_leaves);
    let by_meaning = run_with(&ManualClock::new(), runner, &strategy, &task);
    let leader = by_meaning.outcome.text.as_deref().unwrap();
    assert!(leafy(leader), "{leader}");
    assert_eq!(by_meaning.outcome.votes[0].votes, 3);
}

#[test]
fn bad_thresholds_are_refused_before_any_call() {
    let model = ScriptedModel::cycling(HAIKUS);
    let strategy =
        SelfConsistency { aggregate: Aggregate::Cluster { threshold: 1.5 }, ..Default::default() };
    let error = Runner::new(&model).validate(&strategy, &Task::new("q")).unwrap_err();
    assert!(error.to_string().contains("selfConsistency.aggregate.threshold"), "{error}");
    assert_eq!(model.calls(), 0);
}

#[test]
fn json_answers_vote_whatever_their_key_order() {
    let model = ScriptedModel::cycling([
        "```json\n{\"a\": 1, \"b\": [true]}\n```",
        "Result: {\"b\": [true], \"a\": 1.0}",
        "```json\n{\"a\": 2}\n```",
    ]);
    let strategy = SelfConsistency { samples: 3, ..Default::default() };
    let task = Task::new("Give a and b as JSON.").extractor(Extractor::Json { schema: None });
    let ran = run(&model, &strategy, &task);
    assert_eq!(ran.answer(), Some(r#"{"a":1,"b":[true]}"#));
    assert_eq!(ran.outcome.votes[0].votes, 2);
    assert!(
        model.requests()[0].messages[0].content.contains("```json"),
        "the prompt asks for JSON"
    );
}

#[test]
fn json_answers_vote_field_by_field_when_asked() {
    // No two samples agree on the whole object; each field has a clear majority.
    let model = ScriptedModel::cycling([
        "```json\n{\"city\": \"Paris\", \"year\": 1889}\n```",
        "```json\n{\"year\": 1890, \"city\": \"Paris\", \"tower\": true}\n```",
        "```json\n{\"city\": \"Lyon\", \"year\": 1889, \"tower\": true}\n```",
    ]);
    let task = Task::new("Where and when?").extractor(Extractor::Json { schema: None });
    let whole = SelfConsistency { samples: 3, ..Default::default() };
    let ran = run(&model, &whole, &task);
    assert_eq!(ran.outcome.votes[0].votes, 1, "whole values all differ");

    let by_field = SelfConsistency { samples: 3, aggregate: Aggregate::Fields, ..whole };
    let model = ScriptedModel::cycling([
        "```json\n{\"city\": \"Paris\", \"year\": 1889}\n```",
        "```json\n{\"year\": 1890, \"city\": \"Paris\", \"tower\": true}\n```",
        "```json\n{\"city\": \"Lyon\", \"year\": 1889, \"tower\": true}\n```",
    ]);
    let ran = run(&model, &by_field, &task);
    assert_eq!(ran.answer(), Some(r#"{"city":"Paris","tower":true,"year":1889}"#));
    assert_eq!(ran.outcome.votes[0].votes, 2, "every field has two votes");
    assert_eq!(ran.outcome.votes.len(), 4, "then the whole values, each with one");
    assert!(ran.outcome.text.as_deref().unwrap().contains("Paris"), "a best-agreeing reply");
}

#[test]
fn answers_that_all_differ_are_clustered_as_whole_replies() {
    // An open request whose replies each end with an "answer" line that is a different fragment.
    let model = ScriptedModel::cycling([
        "Crimson leaves drifting\non the cold autumn river\nThe answer is: the year lets go",
        "Crimson leaves drifting\non the cold autumn river\nThe answer is: and the year goes",
        "Bread, flour and water\nThe answer is: salt",
    ]);
    let strategy = SelfConsistency { samples: 3, ..Default::default() };
    let ran = run(&model, &strategy, &Task::new("Write a haiku about autumn."));
    assert!(ran.count("clustered") >= 1, "no two answers agree: the replies are compared");
    assert_eq!(ran.outcome.votes[0].votes, 2, "{:?}", ran.outcome.votes);
    assert!(ran.outcome.text.as_deref().unwrap().starts_with("Crimson leaves"));
}

#[test]
fn free_form_tasks_cluster_whole_replies_even_when_they_state_answers() {
    // Two replies reason alike and land on 18; one says 18 after different reasoning; one says
    // 20. A vote would count three 18s; free-form clusters compare the replies themselves.
    let reasoning = "Janet has 16 eggs, eats 3 and bakes with 4, so 9 are sold at $2 each.";
    let replies = [
        format!("{reasoning}\nThe answer is: 18"),
        "Totally different: 20 minus 2 gives 18 here.\nThe answer is: 18".to_owned(),
        format!("{reasoning}\nThe answer is: 18"),
        format!("{reasoning} Wait, 10 are sold.\nThe answer is: 20"),
    ];
    let model = ScriptedModel::cycling(replies.iter().map(String::as_str));
    let strategy = SelfConsistency { samples: 4, ..Default::default() };
    let task = Task::new("How much does Janet make?").extractor(Extractor::FreeForm);
    let ran = run(&model, &strategy, &task);
    assert!(ran.count("clustered") >= 1, "free-form replies are clustered");
    let state = ran.state();
    assert!(state.nodes.iter().all(|n| n.answer.is_none()), "no answer key is extracted");
    let leader = &state.clusters[0];
    assert_eq!(leader.members, [NodeId(0), NodeId(2), NodeId(3)], "{:?}", state.clusters);
    assert!(ran.outcome.text.as_deref().unwrap().starts_with("Janet has 16 eggs"));
    assert!(
        !model.requests()[0].messages[0].content.contains("The answer is"),
        "a free-form task asks for no answer format"
    );
}
