//! Tree of Thoughts on a scripted model: the beam keeps the best states, depth-first search
//! backtracks from states judged impossible, votes score siblings, budgets stop the search.

use std::collections::HashMap;

use super::*;
use crate::budget::Limit;
use crate::state::Node;
use crate::strategy::{Evaluator, Generator, Search, TreeOfThoughts};

/// The last line of the block that follows `heading` in `prompt`.
fn last_step(prompt: &str, heading: &str) -> String {
    let block = prompt.split(heading).nth(1).unwrap_or_default();
    let block = block.split("\n\n").next().unwrap_or_default();
    block.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_owned()
}

/// A model over a fixed tree: `children` lists each state's proposals ("" is the root), `values`
/// each state's verdict, `answers` the answer given after each leaf.
fn tree_model(
    children: &'static [(&str, &str)],
    values: &'static [(&str, &str)],
    answers: &'static [(&str, &str)],
) -> ScriptedModel {
    let children: HashMap<&str, &str> = children.iter().copied().collect();
    let values: HashMap<&str, &str> = values.iter().copied().collect();
    let answers: HashMap<&str, &str> = answers.iter().copied().collect();
    ScriptedModel::from_fn(move |call| {
        let prompt = &call.request.messages[0].content;
        if prompt.contains("Propose") {
            let last = last_step(prompt, "Steps so far:\n");
            let last = if last == "(none yet)" { "" } else { last.as_str() };
            return Reply::text(children.get(last).copied().unwrap_or("").replace(' ', "\n"));
        }
        if prompt.contains("Partial solution") {
            let state = last_step(prompt, "Partial solution:\n");
            return Reply::text(format!("Thinking.\n{}", values.get(state.as_str()).unwrap()));
        }
        let leaf = last_step(prompt, "Steps:\n");
        Reply::text(format!("The answer is: {}", answers.get(leaf.as_str()).unwrap_or(&"0")))
    })
}

fn by_label<'a>(state: &'a RunState, text: &str) -> &'a Node {
    state.nodes.iter().find(|n| n.kind == NodeKind::Thought && n.text == text).unwrap()
}

fn tot(search: Search, depth: u32) -> TreeOfThoughts {
    TreeOfThoughts { search, depth, ..TreeOfThoughts::default() }
}

#[test]
fn the_beam_keeps_the_best_states_and_prunes_the_rest() {
    let model = tree_model(
        &[("", "A B C"), ("A", "A1 A2"), ("B", "B1 B2")],
        &[
            ("A", "sure"),
            ("B", "likely"),
            ("C", "impossible"),
            ("A1", "impossible"),
            ("A2", "likely"),
            ("B1", "sure"),
            ("B2", "impossible"),
        ],
        &[("B1", "7"), ("A2", "3")],
    );
    let ran = run(&model, &tot(Search::Beam { width: 2 }, 2), &number_task());
    let state = ran.state();
    let pruned: Vec<&str> =
        state.nodes.iter().filter(|n| n.pruned.is_some()).map(|n| n.text.as_str()).collect();
    assert_eq!(pruned, ["C", "A1", "B2"]);
    let under_c = by_label(&state, "C").children.iter().map(|&id| state.node(id).unwrap().kind);
    assert_eq!(
        under_c.collect::<Vec<_>>(),
        [NodeKind::Evaluation],
        "a pruned state is not expanded"
    );
    let leaves: Vec<&str> = state
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Sample)
        .map(|n| state.node(n.parent.unwrap()).unwrap().text.as_str())
        .collect();
    assert_eq!(leaves, ["B1", "A2"], "answers only at the beam's states, best first");
    assert_eq!(ran.answer(), Some("7"), "the answer under the best-valued state");
    assert_eq!(by_label(&state, "B1").score, Some(1.0));
    // Calls: 1 + 2 proposals, 3 + 4 values, 2 answers; steps cost nothing and are not samples.
    assert_eq!(model.calls(), 12);
    assert_eq!(ran.outcome.spend.samples, 12);
    assert_eq!(ran.outcome.succeeded, 12);
    let step = by_label(&state, "A");
    assert_eq!(state.node(step.written_by.unwrap()).unwrap().kind, NodeKind::Proposal);
    assert_eq!(step.usage.total(), 0);
}

#[test]
fn depth_first_backtracks_from_a_state_judged_impossible() {
    let model = tree_model(
        &[("", "A B"), ("B", "B1 B2"), ("A", "A1")],
        &[
            ("A", "likely"),
            ("B", "sure"),
            ("B1", "impossible"),
            ("B2", "impossible"),
            ("A1", "sure"),
        ],
        &[("A1", "5")],
    );
    let search = Search::DepthFirst { threshold: 0.5, max_states: 10 };
    let ran = run(&model, &tot(search, 2), &number_task());
    let state = ran.state();
    let b = by_label(&state, "B").id;
    let backtracks: Vec<(NodeId, Option<NodeId>)> = ran
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Backtracked { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(backtracks, [(b, None)], "from the dead end B back to the root, to try A");
    assert!(by_label(&state, "B1").pruned.as_deref().unwrap().contains("below the threshold"));
    assert_eq!(ran.answer(), Some("5"));
    let chosen = state.node(ran.outcome.chosen.unwrap()).unwrap();
    assert_eq!(state.node(chosen.parent.unwrap()).unwrap().text, "A1");
    // B (sure) was explored before A (likely): its proposal comes first.
    let proposals: Vec<Option<NodeId>> =
        state.nodes.iter().filter(|n| n.kind == NodeKind::Proposal).map(|n| n.parent).collect();
    assert_eq!(proposals, [None, Some(b), Some(by_label(&state, "A").id)]);
}

#[test]
fn depth_first_backs_out_of_an_answer_the_verifier_rejects() {
    let model =
        tree_model(&[("", "A B")], &[("A", "sure"), ("B", "likely")], &[("A", "4"), ("B", "6")]);
    let verifier = |_: &str, node: &Node| node.answer.as_ref().map(|a| f64::from(a.key == "6"));
    let search = Search::DepthFirst { threshold: 0.5, max_states: 10 };
    let clock = ManualClock::new();
    let ran =
        run_with(&clock, Runner::new(&model).verifier(verifier), &tot(search, 1), &number_task());
    assert_eq!(ran.answer(), Some("6"));
    assert_eq!(ran.count("backtracked"), 1);
}

#[test]
fn votes_score_siblings_by_their_share() {
    let model = ScriptedModel::from_fn(|call| {
        let prompt = &call.request.messages[0].content;
        if prompt.contains("Propose") {
            return Reply::text("left\nright\nmiddle");
        }
        if prompt.contains("Candidate next steps") {
            let choice = if call.index % 3 == 0 { 1 } else { 2 };
            return Reply::text(format!("Hmm.\nThe best choice is {choice}"));
        }
        Reply::text("The answer is: 1")
    });
    let strategy = TreeOfThoughts {
        evaluator: Evaluator::Vote { samples: 3, max_tokens: 50 },
        ..tot(Search::Beam { width: 1 }, 1)
    };
    let ran = run(&model, &strategy, &number_task());
    let state = ran.state();
    let scores: Vec<Option<f64>> =
        ["left", "right", "middle"].iter().map(|t| by_label(&state, t).score).collect();
    assert_eq!(scores, [Some(1.0 / 3.0), Some(2.0 / 3.0), Some(0.0)]);
    assert!(
        by_label(&state, "left").pruned.is_some() && by_label(&state, "right").pruned.is_none()
    );
    let votes = state.nodes.iter().filter(|n| n.kind == NodeKind::Evaluation);
    assert!(votes.clone().all(|n| n.parent.is_none()), "sibling votes hang under their parent");
    assert_eq!(votes.count(), 3);
}

#[test]
fn sampled_steps_are_calls_of_their_own() {
    let model = ScriptedModel::from_fn(|call| {
        let prompt = &call.request.messages[0].content;
        if prompt.contains("Write only the next single step") {
            return Reply::text(format!("step {}", call.choice));
        }
        if prompt.contains("Partial solution") {
            return Reply::text("likely");
        }
        Reply::text("The answer is: 2")
    });
    let strategy = TreeOfThoughts {
        generator: Generator::Sample,
        proposals: 3,
        ..tot(Search::Beam { width: 2 }, 1)
    };
    let ran = run(&model, &strategy, &number_task());
    let state = ran.state();
    let steps: Vec<&Node> = state.nodes.iter().filter(|n| n.kind == NodeKind::Thought).collect();
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|n| n.written_by.is_none() && n.parent.is_none()));
    assert_eq!(state.nodes.iter().filter(|n| n.pruned.is_some()).count(), 1);
    assert_eq!(ran.answer(), Some("2"));
}

#[test]
fn a_budget_stops_the_search_and_keeps_the_tree() {
    let model = tree_model(
        &[("", "A B C"), ("A", "A1 A2"), ("B", "B1 B2")],
        &[("A", "sure"), ("B", "likely"), ("C", "impossible")],
        &[],
    );
    let clock = ManualClock::new();
    let runner = Runner::new(&model).budget(Budget::unlimited().max_samples(3));
    let ran = run_with(&clock, runner, &tot(Search::Beam { width: 2 }, 2), &number_task());
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Samples });
    assert_eq!(model.calls(), 3, "one proposal and two of the three values");
    assert_eq!(ran.answer(), None);
    let state = ran.state();
    assert_eq!(state.nodes.iter().filter(|n| n.kind == NodeKind::Thought).count(), 3);
    assert!(state.nodes.iter().all(|n| n.pruned.is_none()), "no pruning on partial scores");
}

#[test]
fn bad_settings_are_refused_by_name() {
    let model = ScriptedModel::cycling(["x"]);
    let runner = Runner::new(&model);
    let task = number_task();
    let check =
        |strategy: TreeOfThoughts| runner.validate(&strategy, &task).unwrap_err().to_string();
    assert!(check(tot(Search::Beam { width: 0 }, 3)).contains("treeOfThoughts.search.width"));
    assert!(check(tot(Search::Beam { width: 2 }, 0)).contains("treeOfThoughts.depth"));
    let search = Search::DepthFirst { threshold: 1.5, max_states: 3 };
    assert!(check(tot(search, 2)).contains("treeOfThoughts.search.threshold"));
    let json = r#"{"kind": "treeOfThoughts", "search": {"kind": "beam", "width": 3}, "depth": 2,
        "prompts": {"preset": "game24"}}"#;
    let config: StrategyConfig = serde_json::from_str(json).unwrap();
    assert_eq!(config.name(), "treeOfThoughts");
    assert!(
        serde_json::from_str::<StrategyConfig>(r#"{"kind": "treeOfThoughts", "beam": 3}"#).is_err()
    );
}
