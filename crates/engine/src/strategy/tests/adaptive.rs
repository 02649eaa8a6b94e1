//! Adaptive consistency: the Beta rule, the window rule, and cancelling what is in flight.

use super::*;
use crate::stopping::StopRule;

#[test]
fn beta_rule_stops_once_the_leader_is_settled() {
    let model = ScriptedModel::cycling(answers(&["7"]));
    let strategy = AdaptiveConsistency { max_samples: 16, wave: 2, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    // 1 − 2^−5 = 0.969 ≥ 0.95 after four unanimous samples; three give only 0.9375.
    assert_eq!(model.calls(), 4);
    assert_eq!(ran.answer(), Some("7"));
    assert!(
        matches!(&ran.outcome.stop, StopReason::Settled { rule, .. } if *rule == SettleRule::Beta),
        "{:?}",
        ran.outcome.stop
    );
    assert_eq!(ran.count("earlyStop"), 1);
}

#[test]
fn disagreement_spends_the_whole_budget_of_samples() {
    let model = ScriptedModel::cycling(answers(&["1", "2", "1", "3"]));
    let strategy = AdaptiveConsistency { max_samples: 12, wave: 4, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(model.calls(), 12);
    assert_eq!(ran.outcome.stop, StopReason::Completed);
    assert_eq!(ran.answer(), Some("1"));
}

#[test]
fn settling_cancels_the_samples_still_in_flight() {
    let clock = ManualClock::new();
    // Eight samples in one wave, finishing 10 ms apart; all agree.
    let model = model_on(
        &clock,
        ScriptedModel::from_fn(|call| {
            Reply::text("The answer is: 9").latency(ms(10 * (call.index as u64 + 1)))
        }),
    );
    let strategy = AdaptiveConsistency { max_samples: 8, wave: 8, ..Default::default() };
    let ran = run_with(&clock, Runner::new(&model), &strategy, &number_task());
    assert_eq!(model.calls(), 8, "the whole wave was sent");
    assert_eq!(model.completed(), 4, "the rule fired after the fourth answer");
    assert_eq!(model.cancelled(), 4, "the other four requests were dropped in flight");
    assert_eq!(ran.count("branchCancelled"), 4);
    assert_eq!(ran.outcome.cancelled, 4);
    assert_eq!(ran.outcome.spend.elapsed_ms, 40);
    assert_eq!(ran.answer(), Some("9"));
}

#[test]
fn min_samples_delays_the_stop() {
    let model = ScriptedModel::cycling(answers(&["7"]));
    let rule = StopRule::Beta { threshold: 0.95, min_samples: 6 };
    let strategy = AdaptiveConsistency { max_samples: 16, wave: 2, rule, ..Default::default() };
    run(&model, &strategy, &number_task());
    assert_eq!(model.calls(), 6);
}

#[test]
fn window_rule_stops_after_a_unanimous_window() {
    let model = ScriptedModel::cycling(answers(&["1", "2", "1", "1", "1", "1", "5", "5", "5"]));
    let strategy = AdaptiveConsistency {
        max_samples: 30,
        wave: 3,
        rule: StopRule::Window,
        ..Default::default()
    };
    let ran = run(&model, &strategy, &number_task());
    // Window 1 (1, 2, 1) is split; window 2 (1, 1, 1) is unanimous.
    assert_eq!(model.calls(), 6);
    assert!(
        matches!(&ran.outcome.stop, StopReason::Settled { rule, .. } if *rule == SettleRule::Window)
    );
    assert_eq!(ran.answer(), Some("1"));
}

#[test]
fn a_window_with_a_missing_answer_is_not_unanimous() {
    let model = ScriptedModel::cycling(["The answer is: 1", "no idea", "The answer is: 1"]);
    let strategy = AdaptiveConsistency {
        max_samples: 9,
        wave: 3,
        rule: StopRule::Window,
        ..Default::default()
    };
    run(&model, &strategy, &number_task());
    assert_eq!(model.calls(), 9);
}
