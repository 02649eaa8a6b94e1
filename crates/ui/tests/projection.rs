//! The view is a projection of the engine's state: every strategy runs on a scripted model with
//! the view as its sink, and afterwards every signal of the view equals the engine's final state —
//! both when the view projects the engine's own state live and when it replays the recorded trace
//! through the same reducer.
//!
//! Run: `scripts/test` (or `cargo test -p thinkscale-ui --target wasm32-unknown-unknown` with the
//! runner set up as scripts/test does).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use leptos::prelude::*;
use thinkscale_engine::cluster::Aggregate;
use thinkscale_engine::model::{Capabilities, ModelError, ModelErrorKind};
use thinkscale_engine::prelude::*;
use thinkscale_engine::state::{Changed, NodeStatus, RunState};
use thinkscale_engine::strategy::{Search, SelfRefine, UniversalSelfConsistency};
use thinkscale_engine::testing::{Reply, ScriptedModel};
use thinkscale_ui::LiveRun;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One model for every strategy: proposals, values, scores and answers, disagreeing now and then
/// and failing every seventh call, so votes split, states are pruned and branches fail.
fn model() -> ScriptedModel {
    ScriptedModel::from_fn(|call| {
        let prompt = call.request.messages.last().map(|m| m.content.as_str()).unwrap_or_default();
        if call.index % 7 == 6 {
            return Reply::error(ModelError::new(ModelErrorKind::Server, "overloaded"));
        }
        if prompt.contains("Propose") {
            return Reply::text("4 + 4 = 8 (left: 6 8 8)\n6 * 4 = 24 (left: 4 24)");
        }
        if prompt.contains("most consistent response") {
            return Reply::text("The most consistent response is Response 2: it agrees with 1.");
        }
        if prompt.contains("Partial solution") {
            return Reply::text(if call.index % 3 == 0 { "impossible" } else { "sure" });
        }
        let answer = if call.index % 4 == 1 { 5 } else { 4 };
        Reply::text(format!("Two and two.\nScore: {}\nThe answer is: {answer}", call.index % 10))
            .reasoning("Counting on my fingers.")
    })
    .with_capabilities(Capabilities {
        max_n: 2,
        logprobs: false,
        streaming: true,
        reasoning: true,
    })
}

/// Records the run's events and has the view project the engine's own state after each.
struct ViewSink {
    live: LiveRun,
    events: RecordingSink,
}

impl Sink for ViewSink {
    fn event(&mut self, event: &Event) -> Flow {
        self.events.event(event)
    }
    fn observe(&mut self, event: &Event, state: &RunState, changed: Changed) -> Flow {
        self.live.observe(event, state, changed);
        self.events.event(event)
    }
}

fn strategies() -> Vec<StrategyConfig> {
    let tree = |search| TreeOfThoughts { search, depth: 2, ..TreeOfThoughts::default() };
    vec![
        StrategyConfig::Direct(Direct::default()),
        StrategyConfig::ChainOfThought(ChainOfThought::default()),
        StrategyConfig::SelfConsistency(SelfConsistency { samples: 6, ..Default::default() }),
        StrategyConfig::SelfConsistency(SelfConsistency {
            samples: 6,
            aggregate: Aggregate::Cluster { threshold: 0.5 },
            ..Default::default()
        }),
        StrategyConfig::UniversalSelfConsistency(UniversalSelfConsistency {
            samples: 4,
            ..Default::default()
        }),
        StrategyConfig::AdaptiveConsistency(AdaptiveConsistency::default()),
        StrategyConfig::BestOfN(BestOfN::default()),
        StrategyConfig::TreeOfThoughts(tree(Search::Beam { width: 2 })),
        StrategyConfig::TreeOfThoughts(tree(Search::DepthFirst { threshold: 0.5, max_states: 12 })),
        StrategyConfig::SelfRefine(SelfRefine::default()),
        StrategyConfig::AdaptiveAllocation(AdaptiveAllocation::default()),
        StrategyConfig::NativeReasoning(NativeReasoning::default()),
    ]
}

/// Every signal of `live` against `state`.
fn assert_projects(live: &LiveRun, state: &RunState, what: &str) {
    assert_eq!(live.question.get_untracked(), state.question, "{what}: question");
    assert_eq!(live.strategy.get_untracked(), state.strategy, "{what}: strategy");
    assert_eq!(live.model.get_untracked(), state.model, "{what}: model");
    assert_eq!(live.budget.get_untracked(), state.budget, "{what}: budget");
    assert_eq!(live.spend.get_untracked(), state.spend, "{what}: spend");
    assert_eq!(live.now_ms.get_untracked(), state.spend.elapsed_ms, "{what}: clock");
    assert_eq!(live.standings.get_untracked(), state.standings, "{what}: standings");
    assert_eq!(live.clusters.get_untracked(), state.clusters, "{what}: clusters");
    assert_eq!(live.answers.get_untracked(), state.answers, "{what}: answers");
    assert_eq!(live.decisions.get_untracked(), state.decisions, "{what}: decisions");
    assert_eq!(live.early_stop.get_untracked(), state.early_stop, "{what}: early stop");
    assert_eq!(live.outcome.get_untracked(), state.outcome, "{what}: outcome");
    let branches = live.branches.get_untracked();
    assert_eq!(branches.len(), state.nodes.len(), "{what}: branches");
    for (branch, node) in branches.iter().zip(&state.nodes) {
        let at = format!("{what}: node {}", node.id);
        assert_eq!(
            (branch.id, branch.parent, branch.kind),
            (node.id, node.parent, node.kind),
            "{at}"
        );
        assert_eq!((&branch.label, branch.started_ms), (&node.label, node.started_ms), "{at}");
        assert_eq!(branch.status.get_untracked(), node.status, "{at}: status");
        let text = branch.text.with_untracked(|t| t.as_str() == node.text);
        assert!(text, "{at}: text");
        let reasoning = branch.reasoning.with_untracked(|t| t.as_str() == node.reasoning);
        assert!(reasoning, "{at}: reasoning");
        assert_eq!(branch.answer.get_untracked(), node.answer, "{at}: answer");
        assert_eq!(branch.tokens.get_untracked(), node.usage.total(), "{at}: tokens");
        assert_eq!(branch.cost_usd.get_untracked(), node.cost_usd, "{at}: cost");
        assert_eq!(branch.finished_ms.get_untracked(), node.finished_ms, "{at}: finished");
        assert_eq!(branch.score.get_untracked(), node.score, "{at}: score");
        let backtracked = state.backtracks.iter().any(|(from, _)| *from == node.id);
        let abandoned = node.pruned.is_some() || backtracked;
        assert_eq!(branch.abandoned.get_untracked(), abandoned, "{at}: abandoned");
        let noted = branch.note.get_untracked().is_some();
        let failed = node.status == NodeStatus::Failed;
        assert_eq!(noted, abandoned || failed || node.retried_after.is_some(), "{at}: note");
    }
}

#[wasm_bindgen_test]
async fn the_view_is_the_engines_state_for_every_strategy_live_and_replayed() {
    let owner = Owner::new();
    let (live, replayed) = owner.with(|| (LiveRun::new(), LiveRun::new()));
    let task = Task::new("Use 4 4 6 8 to make 24. What is 2 + 2?").extractor(Extractor::number());
    let mut kinds = std::collections::BTreeSet::new();
    for strategy in strategies() {
        live.reset();
        replayed.reset();
        let model = model();
        let runner = Runner::new(&model).budget(Budget::unlimited().max_samples(40));
        let mut sink = ViewSink { live, events: RecordingSink::new() };
        let finished = runner.run_with_state(&strategy, &task, &mut sink).await.unwrap();
        let name = strategy.name();
        assert_projects(&live, &finished.state, &format!("{name}, live"));
        for event in &sink.events.events {
            replayed.replay(event);
        }
        assert_projects(&replayed, &finished.state, &format!("{name}, replayed"));
        assert_eq!(live.trace(), sink.events.into_trace(), "{name}: the view's trace is the run's");
        for node in &finished.state.nodes {
            kinds.insert(format!("{:?} {:?}", node.kind, node.status));
        }
    }
    // The runs between them exercised what the view must show: failures, prunes, every kind.
    for expected in [
        "Sample Failed",
        "Judge Done",
        "Thought Done",
        "Evaluation Done",
        "Critique Done",
        "Selector Done",
    ] {
        assert!(kinds.contains(expected), "no {expected} node in {kinds:?}");
    }
}
