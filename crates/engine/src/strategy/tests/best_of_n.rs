//! Best-of-N: model judges, verifier functions, and falling back to the vote.

use super::*;
use crate::model::{ModelError, ModelErrorKind};
use crate::state::Node;

/// Candidates answer 10, 12, 10, 10; the judge likes only solutions that mention "double-checked".
fn judged_model() -> ScriptedModel {
    ScriptedModel::from_fn(|call| {
        let prompt = &call.request.messages[0].content;
        if prompt.contains("Proposed solution") {
            let score = if prompt.contains("double-checked") { 9 } else { 3 };
            return Reply::text(format!("Reasonable.\nScore: {score}"));
        }
        match call.index {
            1 => Reply::text("I double-checked: 12.\nThe answer is: 12"),
            _ => Reply::text("Quick guess.\nThe answer is: 10"),
        }
    })
}

#[test]
fn model_judge_picks_the_best_scored_candidate_over_the_majority() {
    let model = judged_model();
    let ran = run(&model, &BestOfN::default(), &number_task());
    assert_eq!(ran.answer(), Some("12"));
    assert_eq!(model.calls(), 8, "four candidates and four judge calls");
    let state = ran.state();
    let judges: Vec<&Node> = state.nodes.iter().filter(|n| n.kind == NodeKind::Judge).collect();
    assert_eq!(judges.len(), 4);
    for judge in judges {
        let candidate = state.node(judge.parent.unwrap()).unwrap();
        assert_eq!(candidate.kind, NodeKind::Sample);
        assert_eq!(candidate.scored_by, Some(judge.id));
        assert!(candidate.children.contains(&judge.id));
    }
    assert_eq!(state.node(ran.outcome.chosen.unwrap()).unwrap().score, Some(0.9));
    assert_eq!(ran.outcome.votes[0].answer.key, "10", "the vote is still reported");
}

#[test]
fn verifier_function_scores_candidates() {
    let model = ScriptedModel::cycling(answers(&["41", "42", "43", "41"]));
    let verifier = |_question: &str, node: &Node| {
        node.answer.as_ref().map(|a| if a.key == "42" { 1.0 } else { 0.0 })
    };
    let strategy = BestOfN { judge: Judge::Verifier, ..Default::default() };
    let clock = ManualClock::new();
    let ran = run_with(&clock, Runner::new(&model).verifier(verifier), &strategy, &number_task());
    assert_eq!(ran.answer(), Some("42"));
    assert_eq!(model.calls(), 4, "a verifier costs no model calls");
    assert_eq!(ran.count("nodeScored"), 4);
}

#[test]
fn failed_judges_fall_back_to_the_vote() {
    let model = ScriptedModel::from_fn(|call| {
        if call.request.messages[0].content.contains("Proposed solution") {
            return Reply::error(
                ModelError::new(ModelErrorKind::Server, "judge down").with_status(503),
            );
        }
        Reply::text(if call.index == 0 { "The answer is: 1" } else { "The answer is: 2" })
    });
    let ran = run(&model, &BestOfN::default(), &number_task());
    assert_eq!(ran.answer(), Some("2"));
    assert_eq!(ran.outcome.failed, 4);
    assert_eq!(ran.outcome.succeeded, 4);
}

#[test]
fn unparseable_judgements_leave_candidates_unscored() {
    let model = ScriptedModel::from_fn(|call| {
        if call.request.messages[0].content.contains("Proposed solution") {
            return Reply::text("I cannot decide.");
        }
        Reply::text("The answer is: 5")
    });
    let ran = run(&model, &BestOfN { candidates: 2, ..Default::default() }, &number_task());
    assert_eq!(ran.count("nodeScored"), 0);
    assert_eq!(ran.answer(), Some("5"));
}
