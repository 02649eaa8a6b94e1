//! Adaptive allocation on scripted models: it stops after the first wave when the answers agree,
//! escalates only on disagreement (more samples, a stronger model of a cascade, another
//! strategy), prices each tier by its own model, and stops cleanly on a budget.

use super::*;
use crate::budget::Limit;
use crate::model::Cascade;
use crate::pricing::{PriceTable, Pricing};
use crate::state::Decision;
use crate::strategy::{AdaptiveAllocation, Estimate, Rung, SelfConsistency};

fn decisions(ran: &Ran) -> Vec<String> {
    ran.state().decisions.iter().map(|d: &Decision| d.action.clone()).collect()
}

#[test]
fn agreeing_first_wave_stops_and_disagreement_escalates() {
    let easy = ScriptedModel::cycling(answers(&["4"]));
    let ran = run(&easy, &AdaptiveAllocation::default(), &number_task());
    assert_eq!(easy.calls(), 3, "the first wave only");
    assert_eq!(decisions(&ran), ["stop"]);
    assert!(
        matches!(&ran.outcome.stop, StopReason::Settled { rule, .. } if *rule == SettleRule::Difficulty)
    );
    assert_eq!(ran.state().decisions[0].difficulty, 0.0);

    let hard = ScriptedModel::cycling(answers(&["4", "5", "4", "6", "4", "4", "4", "4"]));
    let ran = run(&hard, &AdaptiveAllocation::default(), &number_task());
    assert_eq!(hard.calls(), 8, "three, then five more");
    assert_eq!(decisions(&ran), ["5 more samples", "stop"]);
    let first = &ran.state().decisions[0];
    assert!((first.difficulty - 1.0 / 3.0).abs() < 1e-9, "2 of 3 agree: {first:?}");
    assert_eq!(first.reason, "hard: 2 of 3 samples agree");
    assert_eq!(ran.answer(), Some("4"));
    assert_eq!(ran.outcome.votes[0].votes, 6, "the new samples join the vote");
}

#[test]
fn a_cascade_escalates_to_the_stronger_model_only_on_disagreement() {
    let strategy = AdaptiveAllocation {
        ladder: vec![Rung::Model { tier: 1, samples: 2 }],
        ..AdaptiveAllocation::default()
    };
    let mut prices = PriceTable::new();
    prices.insert("small", Pricing::new(0.0, 0.0)).insert("large", Pricing::new(1.0, 10.0));
    let clock = ManualClock::new();

    let agreeing = Cascade::new(
        ScriptedModel::cycling(answers(&["7"])).with_id("small"),
        ScriptedModel::cycling(answers(&["8"])).with_id("large"),
    );
    let ran = run_cascade(&clock, &agreeing, &prices, &strategy);
    assert_eq!(ran.answer(), Some("7"));
    assert_eq!(ran.outcome.spend.cost_usd, Some(0.0), "the large model was never called");

    let split = Cascade::new(
        ScriptedModel::cycling(answers(&["7", "7", "9"])).with_id("small"),
        ScriptedModel::cycling(answers(&["8"])).with_id("large"),
    );
    let ran = run_cascade(&clock, &split, &prices, &strategy);
    assert_eq!(ran.answer(), Some("8"), "the stronger model's vote decides, not 2 small votes");
    assert_eq!(decisions(&ran)[0], "escalate to tier 1 (large): 2 samples");
    let state = ran.state();
    let costly = state.nodes.iter().filter(|n| n.cost_usd.is_some_and(|c| c > 0.0)).count();
    assert_eq!(costly, 2, "only the two large-model samples cost anything");
    let shown =
        state.standings.iter().map(|s| (s.answer.key.as_str(), s.votes)).collect::<Vec<_>>();
    assert_eq!(shown, [("8", 2)], "the vote shown is the one that decides");
}

fn run_cascade(
    clock: &ManualClock,
    model: &Cascade<ScriptedModel, ScriptedModel>,
    prices: &PriceTable,
    strategy: &AdaptiveAllocation,
) -> Ran {
    let runner = Runner::new(model).prices(prices.clone()).clock(Arc::new(clock.clone()));
    let mut sink = RecordingSink::new();
    let task = number_task();
    let outcome = clock.block_on(runner.run(strategy, &task, &mut sink)).unwrap();
    Ran { outcome, events: sink.events }
}

#[test]
fn stated_confidence_can_estimate_difficulty() {
    let sure = ScriptedModel::cycling(["The answer is: 3\nConfidence: 95%"]);
    let strategy = AdaptiveAllocation {
        estimate: Estimate::Confidence,
        easy_below: 0.1,
        ..AdaptiveAllocation::default()
    };
    let ran = run(&sure, &strategy, &number_task());
    assert_eq!(sure.calls(), 3);
    assert!(ran.state().decisions[0].reason.contains("mean stated confidence 95%"));
    let prompt = sure.requests()[0].messages.last().unwrap().content.clone();
    assert!(prompt.contains("Confidence"), "the prompt asks for it");
}

#[test]
fn a_strategy_rung_answers_when_the_votes_split() {
    let model = ScriptedModel::cycling(answers(&["1", "2", "3", "5", "5", "5", "5"]));
    let strategy = AdaptiveAllocation {
        ladder: vec![Rung::Strategy {
            strategy: Box::new(StrategyConfig::SelfConsistency(SelfConsistency {
                samples: 4,
                ..Default::default()
            })),
        }],
        ..AdaptiveAllocation::default()
    };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(decisions(&ran), ["switch to selfConsistency"]);
    assert_eq!(ran.answer(), Some("5"));
    assert_eq!(model.calls(), 7);
}

#[test]
fn a_tree_search_rung_answers_from_its_own_tree() {
    use crate::strategy::{Search, TreeOfThoughts};
    let model = ScriptedModel::from_fn(|call| {
        let prompt = &call.request.messages.last().unwrap().content;
        if prompt.contains("Propose") {
            return Reply::text("add them");
        }
        if prompt.contains("Partial solution") {
            return Reply::text("sure");
        }
        if prompt.contains("Using these steps") {
            return Reply::text("The answer is: 9");
        }
        Reply::text(format!("The answer is: {}", call.index))
    });
    let tree = TreeOfThoughts {
        search: Search::DepthFirst { threshold: 0.5, max_states: 3 },
        depth: 1,
        ..TreeOfThoughts::default()
    };
    let strategy = AdaptiveAllocation {
        ladder: vec![Rung::Strategy { strategy: Box::new(StrategyConfig::TreeOfThoughts(tree)) }],
        ..AdaptiveAllocation::default()
    };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(ran.answer(), Some("9"), "not a first-wave sample");
    let chosen = ran.state().node(ran.outcome.chosen.unwrap()).unwrap().clone();
    assert_eq!(chosen.label, "answer");
}

#[test]
fn the_budget_bounds_the_escalation() {
    let model = ScriptedModel::cycling(answers(&["4", "5", "6", "4", "4"]));
    let clock = ManualClock::new();
    let runner = Runner::new(&model).budget(Budget::unlimited().max_samples(5));
    let ran = run_with(&clock, runner, &AdaptiveAllocation::default(), &number_task());
    assert_eq!(model.calls(), 5);
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Samples });
    assert_eq!(ran.answer(), Some("4"), "the partial vote is kept");
}

#[test]
fn ladders_that_cannot_run_are_refused() {
    let model = ScriptedModel::cycling(["x"]);
    let runner = Runner::new(&model);
    let task = number_task();
    let check = |ladder: Vec<Rung>| {
        let strategy = AdaptiveAllocation { ladder, ..AdaptiveAllocation::default() };
        runner.validate(&strategy, &task).unwrap_err().to_string()
    };
    let error = check(vec![Rung::Model { tier: 1, samples: 2 }]);
    assert!(error.contains("adaptiveAllocation.ladder[0].tier"), "{error}");
    let error = check(vec![Rung::Effort { level: crate::model::Effort::High, samples: 2 }]);
    assert!(error.contains("reasoning effort"), "{error}");
    let nested = Rung::Strategy {
        strategy: Box::new(StrategyConfig::AdaptiveAllocation(AdaptiveAllocation::default())),
    };
    assert!(check(vec![nested]).contains("cannot be adaptiveAllocation"));
}
