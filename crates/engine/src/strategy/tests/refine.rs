//! Self-refine on a scripted model: rounds as a chain of nodes, stopping when the critique is
//! satisfied, keeping the best-scored version, and nothing lost when a round fails.

use super::*;
use crate::model::{ModelError, ModelErrorKind};
use crate::state::Node;
use crate::strategy::{Keep, SelfRefine};

/// Versions answer `answers` in turn; the critique of each gives the matching score.
fn refining_model(answers: &'static [&str], scores: &'static [u32]) -> ScriptedModel {
    ScriptedModel::from_fn(move |call| {
        let messages = &call.request.messages;
        let prompt = &messages[0].content;
        if prompt.contains("Proposed answer") {
            let version = answers.iter().position(|a| prompt.contains(&format!("is: {a}")));
            let score = version.map_or(0, |v| scores[v]);
            let done = if score == 10 { "DONE\n" } else { "Step 2 is wrong.\n" };
            return Reply::text(format!("{done}Score: {score}"));
        }
        // A revision follows the version it revises (the assistant message).
        let previous = messages.iter().rev().find(|m| m.role == crate::model::Role::Assistant);
        let round = previous.map_or(0, |m| {
            answers.iter().position(|a| m.content.contains(&format!("is: {a}"))).unwrap() + 1
        });
        match answers.get(round) {
            Some(answer) => Reply::text(format!("Working.\nThe answer is: {answer}")),
            None => Reply::error(ModelError::new(ModelErrorKind::Server, "overloaded")),
        }
    })
}

fn kinds(state: &RunState) -> Vec<(NodeKind, Option<u32>)> {
    state.nodes.iter().map(|n| (n.kind, n.parent.map(|p| p.0))).collect()
}

#[test]
fn rounds_form_a_chain_and_the_best_scored_version_is_kept() {
    let model = refining_model(&["12", "14", "13"], &[2, 8, 3]);
    let ran = run(&model, &SelfRefine::default(), &number_task());
    let state = ran.state();
    use NodeKind::*;
    assert_eq!(
        kinds(&state),
        [
            (Draft, None),
            (Critique, Some(0)),
            (Revision, Some(1)),
            (Critique, Some(2)),
            (Revision, Some(3)),
            (Critique, Some(4))
        ]
    );
    assert_eq!(ran.answer(), Some("14"), "the revision the critiques scored best");
    assert_eq!(ran.outcome.stop, StopReason::Completed);
    let last = SelfRefine { keep: Keep::Last, ..SelfRefine::default() };
    assert_eq!(
        run(&refining_model(&["12", "14", "13"], &[2, 8, 3]), &last, &number_task()).answer(),
        Some("13")
    );
}

#[test]
fn a_satisfied_critique_ends_the_refinement() {
    let model = refining_model(&["12", "14"], &[4, 10]);
    let ran = run(&model, &SelfRefine { rounds: 5, ..SelfRefine::default() }, &number_task());
    assert_eq!(model.calls(), 4, "draft, critique, revision, critique");
    assert!(
        matches!(&ran.outcome.stop, StopReason::Settled { rule, .. } if *rule == SettleRule::Critique)
    );
    assert_eq!(ran.answer(), Some("14"));
}

#[test]
fn the_verifier_scores_versions_instead_of_the_critique() {
    let model = refining_model(&["12", "14", "13"], &[2, 8, 3]);
    let verifier = |_: &str, node: &Node| node.answer.as_ref().map(|a| f64::from(a.key == "13"));
    let clock = ManualClock::new();
    let runner = Runner::new(&model).verifier(verifier);
    let ran = run_with(&clock, runner, &SelfRefine::default(), &number_task());
    assert_eq!(ran.answer(), Some("13"));
    let state = ran.state();
    let draft = state.node(NodeId(0)).unwrap();
    assert_eq!((draft.score, draft.scored_by), (Some(0.0), None));
}

#[test]
fn a_failed_revision_keeps_the_versions_before_it() {
    let model = refining_model(&["12"], &[6]);
    let ran = run(&model, &SelfRefine::default(), &number_task());
    assert_eq!(ran.answer(), Some("12"));
    assert_eq!((ran.outcome.succeeded, ran.outcome.failed), (2, 1));
}

#[test]
fn too_many_rounds_are_refused() {
    let model = ScriptedModel::cycling(["x"]);
    let strategy = SelfRefine { rounds: 50, ..SelfRefine::default() };
    let error = Runner::new(&model).validate(&strategy, &number_task()).unwrap_err();
    assert!(error.to_string().contains("selfRefine.rounds"), "{error}");
}
