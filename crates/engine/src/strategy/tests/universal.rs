//! Universal self-consistency: the selector reads every finished reply and its choice answers;
//! a selector that fails or names no candidate leaves the samples' own decision in place.

use super::*;
use crate::UniversalSelfConsistency;
use crate::model::Message;
use crate::state::NodeStatus;
use crate::{ModelError, ModelErrorKind};

const REPLIES: [&str; 4] = [
    "Autumn wind: the leaves\nlet go of the maple tree\none by one, and rest",
    "Cold rain on the roof\nthe cat asleep by the stove\nautumn evening",
    "Autumn wind: the leaves\nlet go of the old maple\none by one, to rest",
    "Grey geese overhead\ncalling south across the field\nthe first frost tonight",
];

/// Samples answer with `REPLIES`; the selector (its prompt lists "Response 1") says `selector`.
fn model(selector: &'static str) -> ScriptedModel {
    ScriptedModel::from_fn(move |call| {
        if call.request.messages[0].content.contains("Response 1:") {
            return Reply::text(selector);
        }
        Reply::text(REPLIES[call.index % REPLIES.len()])
    })
}

fn usc(samples: u32) -> UniversalSelfConsistency {
    UniversalSelfConsistency { samples, concurrency: 1, ..Default::default() }
}

#[test]
fn the_selector_reads_every_reply_and_its_choice_answers() {
    let model = model("The most consistent response is Response 3. It shares its image with 1.");
    let ran = run(&model, &usc(4), &Task::new("Write a haiku about autumn."));
    assert_eq!(ran.outcome.chosen, Some(NodeId(2)));
    assert!(ran.outcome.text.as_deref().unwrap().contains("old maple"));
    assert!(ran.outcome.answer.is_some(), "a free-form answer, not none");
    let prompt = model.requests().last().unwrap().messages[0].content.clone();
    assert!(prompt.contains("Write a haiku about autumn."), "{prompt}");
    for reply in REPLIES {
        assert!(prompt.contains(reply), "every reply is shown to the selector");
    }
    let state = ran.state();
    let selector = state.nodes.iter().find(|n| n.kind == NodeKind::Selector).unwrap();
    assert_eq!(selector.status, NodeStatus::Done);
    let selection = state.selection.unwrap();
    assert_eq!((selection.by, selection.chosen), (selector.id, Some(NodeId(2))));
    assert!(selection.reason.contains("shares its image"), "{}", selection.reason);
    assert_eq!(ran.count("selected"), 1);
}

#[test]
fn a_selector_that_names_no_candidate_leaves_the_clusters_to_decide() {
    for said in ["The most consistent response is Response 9.", "They are all lovely."] {
        let model = model(said);
        let ran = run(&model, &usc(4), &Task::new("Write a haiku about autumn."));
        let state = ran.state();
        let selection = state.selection.clone().expect("recorded");
        assert_eq!(selection.chosen, None, "{said}");
        assert!(selection.reason.contains("named no candidate"), "{}", selection.reason);
        // Replies 1 and 3 are alike: their cluster wins, as it would without a selector.
        let chosen = ran.outcome.chosen.unwrap();
        assert!([NodeId(0), NodeId(2)].contains(&chosen), "{said}: {chosen}");
        assert_eq!(state.clusters[0].members, [NodeId(0), NodeId(2)]);
    }
}

#[test]
fn a_failed_selector_keeps_every_sample() {
    let model = ScriptedModel::from_fn(|call| {
        if call.request.messages[0].content.contains("Response 1:") {
            return Reply::error(ModelError::new(ModelErrorKind::Server, "down").with_status(503));
        }
        Reply::text(REPLIES[call.index % REPLIES.len()])
    });
    let ran = run(&model, &usc(4), &Task::new("Write a haiku about autumn."));
    assert_eq!((ran.outcome.succeeded, ran.outcome.failed), (4, 1));
    assert!(ran.outcome.answer.is_some());
    assert_eq!(ran.count("selected"), 0);
}

#[test]
fn the_selector_sees_the_conversation() {
    let model = model("The most consistent response is Response 1.");
    let task = Task::conversation(vec![
        Message::user("Write a haiku about spring."),
        Message::assistant("Cherry petals fall"),
        Message::user("Now one about autumn."),
    ]);
    let ran = run(&model, &usc(2), &task);
    assert_eq!(ran.outcome.chosen, Some(NodeId(0)));
    let prompt = model.requests().last().unwrap().messages[0].content.clone();
    assert!(prompt.contains("Assistant: Cherry petals fall"), "{prompt}");
    assert!(prompt.contains("User: Now one about autumn."), "{prompt}");
    // The samples themselves were asked in the conversation, turn by turn.
    assert_eq!(model.requests()[0].messages.len(), 3);
}

#[test]
fn a_short_answer_keeps_its_key() {
    let model = ScriptedModel::from_fn(|call| {
        if call.request.messages[0].content.contains("Response 1:") {
            return Reply::text("The most consistent response is Response 2.");
        }
        Reply::text(
            ["The answer is: 12", "So 12.\nThe answer is: 12", "The answer is: 13"][call.index % 3],
        )
    });
    let ran = run(&model, &usc(3), &number_task());
    assert_eq!(ran.answer(), Some("12"));
    assert_eq!(ran.outcome.chosen, Some(NodeId(1)));
}

#[test]
fn a_selector_prompt_without_the_replies_is_refused() {
    let model = model("");
    let strategy = UniversalSelfConsistency { selector_prompt: Some("Pick one.".into()), ..usc(4) };
    let error = Runner::new(&model).validate(&strategy, &Task::new("q")).unwrap_err();
    assert!(error.to_string().contains("universalSelfConsistency.selectorPrompt"), "{error}");
}
