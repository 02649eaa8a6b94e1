//! Properties of whole runs, over random answers and random arrival orders.

use proptest::prelude::*;

use super::*;
use crate::state::NodeStatus;
use crate::stopping::StopRule;
use crate::vote::Tally;

/// A model whose sample `i` answers `answers[i]` after `latencies[i]` ms.
fn scripted(clock: &ManualClock, answers: Vec<u8>, latencies: Vec<u64>) -> ScriptedModel {
    model_on(
        clock,
        ScriptedModel::from_fn(move |call| {
            let answer = answers.get(call.index).copied().unwrap_or(0);
            let latency = latencies.get(call.index).copied().unwrap_or(1);
            Reply::text(format!("The answer is: {answer}")).latency(ms(latency))
        }),
    )
}

fn summary(votes: &[Tally]) -> Vec<(String, u32, Vec<NodeId>)> {
    votes.iter().map(|t| (t.answer.key.clone(), t.votes, t.nodes.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Self-consistency's verdict depends on which samples said what, never on when they arrived.
    #[test]
    fn the_vote_does_not_depend_on_arrival_order(
        answers in prop::collection::vec(0u8..3, 2..12),
        latencies in prop::collection::vec(1u64..500, 12),
        other in prop::collection::vec(1u64..500, 12),
    ) {
        let samples = answers.len() as u32;
        let strategy = SelfConsistency { samples, concurrency: samples, ..Default::default() };
        let runs: Vec<Ran> = [latencies, other].into_iter().map(|lat| {
            let clock = ManualClock::new();
            let model = scripted(&clock, answers.clone(), lat);
            run_with(&clock, Runner::new(&model), &strategy, &number_task())
        }).collect();
        prop_assert_eq!(summary(&runs[0].outcome.votes), summary(&runs[1].outcome.votes));
        prop_assert_eq!(&runs[0].outcome.answer, &runs[1].outcome.answer);
        prop_assert_eq!(runs[0].outcome.chosen, runs[1].outcome.chosen);
    }

    /// Adaptive consistency with the Beta rule never stops while its leader lacks a majority of
    /// the samples finished so far, whatever the answers, their timing and the threshold.
    #[test]
    fn beta_never_settles_without_a_majority(
        // Skewed towards one answer, so that many runs do settle early.
        answers in prop::collection::vec(prop_oneof![2 => Just(0u8), 1 => 0u8..3], 16),
        latencies in prop::collection::vec(1u64..300, 16),
        threshold in 0.51f64..0.999,
        wave in 1u32..6,
    ) {
        let clock = ManualClock::new();
        let model = scripted(&clock, answers, latencies);
        let rule = StopRule::Beta { threshold, min_samples: 0 };
        let strategy = AdaptiveConsistency { max_samples: 16, wave, rule, ..Default::default() };
        let ran = run_with(&clock, Runner::new(&model), &strategy, &number_task());
        if let StopReason::Settled { .. } = ran.outcome.stop {
            // Replay up to the stop decision and look at the vote as it stood then.
            let mut state = RunState::new();
            for event in &ran.events {
                if matches!(event.kind, EventKind::EarlyStop { .. }) {
                    break;
                }
                state.apply(event).unwrap();
            }
            let finished = state.nodes.iter().filter(|n| n.status == NodeStatus::Done).count() as u32;
            let leader = state.standings.first().map_or(0, |t| t.votes);
            prop_assert!(2 * leader > finished, "stopped with {leader} of {finished}");
        }
    }
}

/// Natively, a run is `Send`: it can be spawned on a multi-threaded runtime.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn runs_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let model = ScriptedModel::cycling(answers(&["1"]));
    let runner = Runner::new(&model);
    let task = number_task();
    let strategy = StrategyConfig::SelfConsistency(SelfConsistency::default());
    let mut sink = RecordingSink::new();
    let run = runner.run(&strategy, &task, &mut sink);
    assert_send(&run);
}
