//! Budgets: every limit stops a run cleanly, with the best partial answer and the reason.

use super::*;
use crate::budget::Limit;
use crate::model::Usage;
use crate::pricing::Pricing;

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage { prompt_tokens: prompt, completion_tokens: completion, reasoning_tokens: 0 }
}

#[test]
fn sample_limit_keeps_the_partial_vote() {
    let model = ScriptedModel::cycling(answers(&["3", "3", "8"]));
    let clock = ManualClock::new();
    let runner = Runner::new(&model).budget(Budget::unlimited().max_samples(3));
    let ran = run_with(
        &clock,
        runner,
        &SelfConsistency { samples: 8, ..Default::default() },
        &number_task(),
    );
    assert_eq!(model.calls(), 3);
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Samples });
    assert_eq!(ran.answer(), Some("3"));
}

#[test]
fn token_limit_counts_reasoning_and_shrinks_the_last_request() {
    // Each sample: ~30-token prompt estimate, 100 reported tokens (40 of them reasoning).
    let reply = Reply::text("The answer is: 6").usage(Usage {
        prompt_tokens: 30,
        completion_tokens: 30,
        reasoning_tokens: 40,
    });
    let model = ScriptedModel::cycling([reply]);
    let clock = ManualClock::new();
    let runner = Runner::new(&model).budget(Budget::unlimited().max_tokens(500));
    let strategy = SelfConsistency {
        samples: 10,
        concurrency: 1,
        sampling: crate::strategy::Sampling { max_tokens: 100, ..Default::default() },
        ..Default::default()
    };
    let ran = run_with(&clock, runner, &strategy, &number_task());
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Tokens });
    assert!(ran.outcome.spend.total_tokens() <= 500, "{:?}", ran.outcome.spend);
    assert_eq!(ran.outcome.spend.reasoning_tokens, 40 * u64::from(ran.outcome.succeeded));
    let granted: Vec<Option<u32>> = model.requests().iter().map(|r| r.max_tokens).collect();
    assert!(granted.last().unwrap().unwrap() < 100, "the last request was shortened: {granted:?}");
    assert_eq!(ran.answer(), Some("6"));
}

#[test]
fn dollar_limit_uses_the_price_table_and_reports_cost_per_branch() {
    // $1 per million input, $4 per million output: a full sample costs 40·1 + 500·4 = $0.00204.
    let model = ScriptedModel::cycling([Reply::text("The answer is: 2").usage(usage(40, 500))])
        .with_id("priced-model");
    let mut prices = crate::pricing::PriceTable::new();
    let price = Pricing::new(1.0, 4.0);
    prices.insert("priced-model", price);
    let clock = ManualClock::new();
    let runner =
        Runner::new(&model).prices(prices).budget(Budget::unlimited().max_cost_usd(0.0125));
    let strategy = SelfConsistency {
        samples: 20,
        concurrency: 1,
        sampling: crate::strategy::Sampling { max_tokens: 500, ..Default::default() },
        ..Default::default()
    };
    let ran = run_with(&clock, runner, &strategy, &number_task());
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Cost });
    let spent = ran.outcome.spend.cost_usd.unwrap();
    assert!((0.012..=0.0125).contains(&spent), "spent ${spent}");
    assert_eq!(ran.outcome.succeeded, 7, "six full samples and a shortened seventh");
    let state = ran.state();
    for node in &state.nodes {
        assert!((node.cost_usd.unwrap() - price.cost(&node.usage)).abs() < 1e-15);
    }
}

#[test]
fn a_dollar_limit_without_a_price_is_rejected_up_front() {
    let model = ScriptedModel::cycling(answers(&["1"])).with_id("unknown-model");
    let runner = Runner::new(&model).budget(Budget::unlimited().max_cost_usd(1.0));
    let error = runner.validate(&Direct::default(), &number_task()).unwrap_err();
    assert!(error.to_string().contains("budget.maxCostUsd"), "{error}");
    assert!(error.to_string().contains("unknown-model"), "{error}");
    assert_eq!(model.calls(), 0);
}

#[test]
fn wall_time_limit_cancels_in_flight_requests() {
    let clock = ManualClock::new();
    let model = model_on(
        &clock,
        ScriptedModel::cycling([Reply::text("The answer is: 5").latency(ms(100))]),
    );
    let runner = Runner::new(&model).budget(Budget::unlimited().max_wall_ms(250));
    let strategy = SelfConsistency { samples: 8, concurrency: 2, ..Default::default() };
    let ran = run_with(&clock, runner, &strategy, &number_task());
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::WallTime });
    assert_eq!(ran.outcome.succeeded, 4, "two waves of two finished at 100 and 200 ms");
    assert_eq!(model.cancelled(), 2, "the third pair was dropped at 250 ms");
    assert_eq!(ran.outcome.spend.elapsed_ms, 250);
    assert_eq!(ran.answer(), Some("5"));
}

#[test]
fn overspending_reported_by_the_model_stops_the_run() {
    // The prompt turns out far longer than estimated: the run stops right away.
    let model = ScriptedModel::cycling([Reply::text("The answer is: 1").usage(usage(5000, 5))]);
    let clock = ManualClock::new();
    let runner = Runner::new(&model).budget(Budget::unlimited().max_tokens(2000));
    let ran = run_with(
        &clock,
        runner,
        &SelfConsistency { samples: 4, concurrency: 1, ..Default::default() },
        &number_task(),
    );
    assert_eq!(model.calls(), 1);
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::Tokens });
    assert_eq!(ran.answer(), Some("1"), "what was bought is kept");
}
