//! The sequential and search strategies against real models: Tree of Thoughts (beam and
//! depth-first, with the exact Game of 24 checker), self-refine, adaptive allocation escalating
//! from the built-in model to the llama.cpp server, and a reasoning model's inline thinking.
//! Each trace must show its tree (pruned states, backtracks, decisions) and replay to the same
//! outcome.

use thinkscale_engine::NodeKind;
use thinkscale_engine::model::Cascade;
use thinkscale_engine::prelude::*;
use thinkscale_engine::state::{Node, NodeStatus, RunState};
use thinkscale_engine::strategy::{
    AdaptiveAllocation, Evaluator, Generator, NativeReasoning, Rung, Sampling, Search, SelfRefine,
    ThoughtPrompts, TreeOfThoughts,
};
use thinkscale_engine::tasks::Game24;
use thinkscale_providers::OpenAiCompatible;
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_testkit::FaultProxy;

use crate::support::{branch_tokens, local_model, require_server, round_trip, server_root};

/// Runs `strategy` and returns the outcome and the replayed state (checked equal to the live one).
async fn traced<M: Model, S: Strategy>(
    runner: &Runner<M>,
    strategy: &S,
    task: &Task,
) -> (Outcome, RunState) {
    let mut recording = RecordingSink::new();
    let outcome = runner.run(strategy, task, &mut recording).await.expect("run");
    assert_eq!(branch_tokens(&recording.events), outcome.spend.total_tokens(), "usage adds up");
    let state = round_trip(recording.events).replay().expect("replay");
    assert_eq!(state.outcome.as_ref(), Some(&outcome), "the replay ends the same way");
    (outcome, state)
}

fn of_kind(state: &RunState, kind: NodeKind) -> Vec<&Node> {
    state.nodes.iter().filter(|n| n.kind == kind).collect()
}

fn game24_task(puzzle: &Game24) -> Task {
    Task::new(format!("Use the numbers {puzzle} and + - * / to obtain 24, each number once."))
        .extractor(Extractor::AnswerIs)
}

#[tokio::test(flavor = "multi_thread")]
async fn beam_search_builds_a_pruned_tree_on_the_real_model() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    let puzzle = Game24::parse("4 4 6 8").unwrap();
    let strategy = TreeOfThoughts {
        search: Search::Beam { width: 2 },
        depth: 2,
        proposals: 4,
        prompts: ThoughtPrompts::game24(),
        initial_state: Some(puzzle.to_string()),
        sampling: Sampling {
            max_tokens: 80,
            temperature: Some(0.7),
            seed: Some(11),
            ..Sampling::default()
        },
        evaluator: Evaluator::Value { samples: 1, max_tokens: 48 },
        ..TreeOfThoughts::default()
    };
    let (outcome, state) = traced(&Runner::new(&model), &strategy, &game24_task(&puzzle)).await;
    let proposals = of_kind(&state, NodeKind::Proposal);
    assert!(!proposals.is_empty() && proposals.iter().all(|p| !p.text.is_empty()));
    let steps = of_kind(&state, NodeKind::Thought);
    assert!(!steps.is_empty(), "the real proposals were split into steps");
    for step in &steps {
        let writer = state.node(step.written_by.expect("a proposed step")).unwrap();
        assert_eq!((writer.kind, writer.parent), (NodeKind::Proposal, step.parent));
        assert!(step.text.len() <= writer.text.len() && step.usage.total() == 0);
    }
    let first_level: Vec<&&Node> = steps.iter().filter(|s| s.parent.is_none()).collect();
    let pruned = first_level.iter().filter(|s| s.pruned.is_some()).count();
    assert_eq!(pruned, first_level.len().saturating_sub(2), "all but the beam's two are pruned");
    assert!(first_level.iter().filter(|s| s.pruned.is_some()).all(|s| {
        !s.children.iter().any(|&c| state.node(c).unwrap().kind == NodeKind::Proposal)
    }));
    assert_eq!(of_kind(&state, NodeKind::Evaluation).len(), steps.len(), "each step valued");
    let answers = of_kind(&state, NodeKind::Sample);
    assert!((1..=2).contains(&answers.len()), "an answer at each state the beam kept");
    assert_eq!(outcome.chosen.map(|id| state.node(id).unwrap().kind), Some(NodeKind::Sample));
    assert_eq!(outcome.succeeded as usize, state.nodes.len() - steps.len(), "steps are not calls");
}

#[tokio::test(flavor = "multi_thread")]
async fn depth_first_search_backtracks_from_answers_the_checker_rejects() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    // A puzzle with no solution: the checker rejects every answer, so the search must back up.
    let puzzle = Game24::parse("1 1 1 1").unwrap();
    assert!(!puzzle.is_solvable());
    let checker = move |_: &str, node: &Node| Some(puzzle.verifier_score(&node.text));
    let strategy = TreeOfThoughts {
        search: Search::DepthFirst { threshold: 0.0, max_states: 4 },
        depth: 1,
        proposals: 3,
        // Three sampled steps (a proposal listing from this small model may hold just one).
        generator: Generator::Sample,
        prompts: ThoughtPrompts::game24(),
        initial_state: Some(puzzle.to_string()),
        sampling: Sampling {
            max_tokens: 40,
            temperature: Some(0.9),
            seed: Some(7),
            ..Sampling::default()
        },
        evaluator: Evaluator::Value { samples: 1, max_tokens: 32 },
        ..TreeOfThoughts::default()
    };
    let runner = Runner::new(&model).verifier(checker);
    let (outcome, state) = traced(&runner, &strategy, &game24_task(&puzzle)).await;
    // Three sampled steps; a blank one (possible from a small model) is pruned, not a state.
    assert_eq!(of_kind(&state, NodeKind::Thought).len(), 3);
    let steps = of_kind(&state, NodeKind::Thought).iter().filter(|n| n.pruned.is_none()).count();
    let answers = of_kind(&state, NodeKind::Sample);
    assert!(steps >= 2, "at least two non-blank steps: {steps}");
    assert_eq!(answers.len(), steps, "every step was tried, best first");
    assert!(answers.iter().all(|a| a.score == Some(0.0)), "the checker rejected each answer");
    assert_eq!(state.backtracks.len(), steps - 1, "a backtrack from each dead end but the last");
    assert!(state.backtracks.iter().all(|(_, to)| to.is_none()), "back to the root each time");
    assert_eq!(outcome.stop, StopReason::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn self_refine_drafts_critiques_and_revises_on_the_real_model() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    let strategy = SelfRefine {
        rounds: 1,
        sampling: Sampling { max_tokens: 96, ..Sampling::default() },
        critique_tokens: 96,
        ..SelfRefine::default()
    };
    let task = Task::new("What is 17 + 25?").extractor(Extractor::number());
    let (outcome, state) = traced(&Runner::new(&model), &strategy, &task).await;
    let kinds: Vec<NodeKind> = state.nodes.iter().map(|n| n.kind).collect();
    let full = [NodeKind::Draft, NodeKind::Critique, NodeKind::Revision, NodeKind::Critique];
    // Two nodes only when the first critique said DONE (a settled stop); else the full round.
    assert!(
        kinds.len() == 4
            || (kinds.len() == 2 && matches!(outcome.stop, StopReason::Settled { .. }))
    );
    assert_eq!(kinds, full[..kinds.len()]);
    for pair in state.nodes.windows(2) {
        assert_eq!(pair[1].parent, Some(pair[0].id), "each round hangs under the one before");
    }
    assert!(state.nodes.iter().all(|n| n.status == NodeStatus::Done && !n.text.is_empty()));
    let chosen = state.node(outcome.chosen.expect("a version is kept")).unwrap();
    assert!(matches!(chosen.kind, NodeKind::Draft | NodeKind::Revision));
}

#[tokio::test(flavor = "multi_thread")]
async fn allocation_escalates_from_the_built_in_model_to_the_server_only_on_disagreement() {
    let root = server_root();
    require_server(&root).await;
    let proxy = FaultProxy::start(&root).expect("proxy");
    let server = local_model(proxy.url(), 4);
    let cascade = Cascade::new(crate::builtin::model(), server);
    let task = Task::new("Write a short sentence about the sea.")
        .extractor(Extractor::Regex { pattern: "(?s)(.+)".to_owned() });
    let strategy = |temperature| AdaptiveAllocation {
        ladder: vec![Rung::Model { tier: 1, samples: 2 }],
        sampling: Sampling {
            temperature: Some(temperature),
            max_tokens: 24,
            seed: Some(5),
            ..Sampling::default()
        },
        ..AdaptiveAllocation::default()
    };
    let runner = Runner::new(&cascade);

    // Greedy: the built-in model says the same thing three times; the server is never asked.
    let (outcome, state) = traced(&runner, &strategy(0.0), &task).await;
    assert_eq!(state.decisions.len(), 1);
    assert_eq!(state.decisions[0].action, "stop");
    assert!(matches!(outcome.stop, StopReason::Settled { .. }));
    assert!(proxy.requests().is_empty(), "no request reached the server");

    // Hot sampling: three different sentences; two samples are asked of the server.
    let (outcome, state) = traced(&runner, &strategy(1.3), &task).await;
    assert!(state.decisions[0].action.starts_with("escalate to tier 1"), "{:?}", state.decisions);
    assert!(state.decisions[0].difficulty > 0.0);
    assert!(!proxy.requests().is_empty(), "the server was asked");
    let samples = of_kind(&state, NodeKind::Sample);
    assert_eq!(samples.len(), 5);
    let chosen = outcome.chosen.expect("an answer");
    assert!(samples[3..].iter().any(|n| n.id == chosen), "the stronger model's vote decides");
}

#[tokio::test(flavor = "multi_thread")]
async fn native_reasoning_shows_a_real_models_inline_thinking() {
    // Qwen2.5-Coder-1.5B on llama.cpp (the smaller models here ignore the instruction), marked as
    // a reasoning model and told to think in <think> tags, as open reasoning models do
    // unprompted: the provider streams that block as the branch's reasoning.
    let root = std::env::var("THINKSCALE_REASONING_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8792".into());
    require_server(&root).await;
    let config =
        OpenAiConfig { reasoning: true, ..OpenAiConfig::llama_cpp(format!("{root}/v1"), 1) };
    let model = OpenAiCompatible::new(config).unwrap();
    let task = Task::new("What is 6 times 7?")
        .system(
            "First think inside <think></think> tags, then give the answer after the closing tag.",
        )
        .extractor(Extractor::number());
    let strategy = NativeReasoning {
        sampling: Sampling { temperature: Some(0.0), max_tokens: 120, ..Sampling::default() },
        ..NativeReasoning::default()
    };
    let (outcome, state) = traced(&Runner::new(&model), &strategy, &task).await;
    let node = &state.nodes[0];
    assert!(!node.reasoning.trim().is_empty(), "the thinking is the branch's reasoning: {node:?}");
    assert!(!node.text.contains("<think>") && !node.text.contains("</think>"), "{:?}", node.text);
    assert!(!node.reasoning.contains("think>"), "{:?}", node.reasoning);
    assert_eq!(outcome.succeeded, 1);
}
