//! Nothing finished is lost, and every attempt is paid for: choices that finish before their
//! request keep their answers through a stop, failures stay on their own nodes, retried and
//! cancelled attempts count in the spend, and servers that ignore their limits are cut.

use futures::stream::{self, StreamExt};

use super::*;
use crate::budget::Limit;
use crate::compat::MaybeSend;
use crate::model::{
    Capabilities, Channel, Chunk, Completion, FinishReason, Model, ModelError, ModelErrorKind,
    Request, Response, Usage,
};
use crate::state::NodeStatus;

/// A model whose every request streams the same steps: each a wait on the clock, then a chunk.
struct Steps {
    clock: ManualClock,
    steps: Vec<(u64, Result<Chunk, ModelError>)>,
    max_n: u32,
}

impl Model for Steps {
    fn stream(
        &self,
        _: Request,
    ) -> impl futures::Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        let clock = self.clock.clone();
        stream::iter(self.steps.clone()).then(move |(wait, chunk)| {
            let sleep = clock.sleep(ms(wait));
            async move {
                sleep.await;
                chunk
            }
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { max_n: self.max_n, streaming: true, ..Capabilities::default() }
    }
}

fn delta(choice: u32, text: &str) -> Result<Chunk, ModelError> {
    Ok(Chunk::Delta { choice, channel: Channel::Text, text: text.to_owned() })
}

fn answer(text: &str, usage: Usage) -> Completion {
    Completion { usage, ..Completion::new(text, Usage::default()) }
}

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage { prompt_tokens: prompt, completion_tokens: completion, reasoning_tokens: 0 }
}

fn run_on<S: Strategy>(clock: &ManualClock, model: &Steps, budget: Budget, strategy: &S) -> Ran {
    let runner = Runner::new(model).budget(budget).clock(Arc::new(clock.clone()));
    let mut sink = RecordingSink::new();
    let outcome = clock.block_on(runner.run(strategy, &number_task(), &mut sink)).unwrap();
    let replayed = sink.clone().into_trace().replay().unwrap();
    assert_eq!(replayed.outcome.as_ref(), Some(&outcome), "the trace replays to the outcome");
    Ran { outcome, events: sink.events }
}

#[test]
fn a_stop_keeps_every_choice_that_finished_before_its_request() {
    // Eight samples in one request (as the built-in model batches them): seven finish at once,
    // the eighth is still generating when the wall-time limit hits.
    let clock = ManualClock::new();
    let model = model_on(
        &clock,
        ScriptedModel::from_fn(|call| {
            let latency =
                if call.choice == 7 { ms(60_000) } else { ms(10 * u64::from(call.choice)) };
            Reply::text(format!("Thinking. The answer is: {}", if call.choice < 5 { 4 } else { 9 }))
                .latency(latency)
        })
        .with_capabilities(Capabilities {
            max_n: 16,
            streaming: true,
            ..Capabilities::default()
        }),
    );
    let strategy = SelfConsistency { samples: 8, ..Default::default() };
    let runner = Runner::new(&model).budget(Budget::unlimited().max_wall_ms(5_000));
    let ran = run_with(&clock, runner, &strategy, &number_task());
    assert_eq!(model.calls(), 1, "one request for all eight");
    assert_eq!(ran.outcome.stop, StopReason::Budget { limit: Limit::WallTime });
    assert_eq!((ran.outcome.succeeded, ran.outcome.cancelled), (7, 1));
    assert_eq!(ran.answer(), Some("4"));
    assert_eq!(ran.outcome.votes.iter().map(|t| t.votes).sum::<u32>(), 7, "all seven voted");
}

#[test]
fn a_server_that_ignores_max_tokens_is_cut_at_the_requests_limit() {
    let clock = ManualClock::new();
    // Four-byte words: one token each by the engine's count as by the deltas.
    let words = "ham ".repeat(100_000);
    let model = model_on(&clock, ScriptedModel::cycling([Reply::text(words)]));
    let strategy = SelfConsistency {
        samples: 4,
        sampling: crate::strategy::Sampling { max_tokens: 64, ..Default::default() },
        ..Default::default()
    };
    let ran = run_with(&clock, Runner::new(&model), &strategy, &number_task());
    let state = ran.state();
    for node in &state.nodes {
        assert_eq!(node.finish_reason, Some(FinishReason::Length));
        assert_eq!(node.text.split_whitespace().count(), 64, "64 deltas, then cut");
        assert_eq!(node.usage.completion_tokens, 64);
    }
    assert_eq!(model.cancelled(), 4, "each request was dropped once its choice was cut");
}

#[test]
fn one_enormous_delta_is_cut_to_what_the_limit_can_hold() {
    let clock = ManualClock::new();
    let huge = "x".repeat(5_000_000);
    let steps =
        vec![(10, delta(0, &huge)), (10, Ok(Chunk::Done(Response { completions: vec![] })))];
    let model = Steps { clock: clock.clone(), steps, max_n: 1 };
    let strategy = ChainOfThought {
        sampling: crate::strategy::Sampling { max_tokens: 100, ..Default::default() },
        ..Default::default()
    };
    let ran = run_on(&clock, &model, Budget::unlimited(), &strategy);
    let node = &ran.state().nodes[0];
    assert_eq!(node.text.len(), 1600, "16 bytes a token at most");
    assert_eq!(node.finish_reason, Some(FinishReason::Length));
    assert_eq!(ran.outcome.stop, StopReason::Completed);
}

#[test]
fn retried_failed_and_cancelled_attempts_are_spent() {
    let clock = ManualClock::new();
    let retry = Chunk::Retry {
        choice: None,
        attempt: 2,
        error: ModelError::new(ModelErrorKind::Network, "reset"),
        delay_ms: 5,
    };
    let steps = vec![
        (1, delta(0, "a ")),
        (1, delta(0, "b ")),
        (1, delta(0, "c ")),
        (1, delta(0, "d ")),
        (1, delta(1, "e ")),
        (1, Ok(retry)),
        (1, delta(0, "f ")),
        (1, Ok(Chunk::Failed { choice: 1, error: ModelError::new(ModelErrorKind::Server, "x") })),
        (60_000, Ok(Chunk::Done(Response { completions: vec![answer("never", usage(1, 1))] }))),
    ];
    let model = Steps { clock: clock.clone(), steps, max_n: 2 };
    let strategy = SelfConsistency { samples: 2, ..Default::default() };
    let ran = run_on(&clock, &model, Budget::unlimited().max_wall_ms(1_000), &strategy);
    let state = ran.state();
    let prompt = state.nodes[0].usage.prompt_tokens;
    assert!(prompt > 0, "the prompt of each attempt is counted");
    // Node 0: a voided attempt (4 deltas + prompt), then 1 delta when cancelled (+ the retry's
    // prompt). Node 1: 1 voided delta, then it failed with nothing more streamed.
    assert_eq!(state.nodes[0].status, NodeStatus::Cancelled);
    assert_eq!(state.nodes[0].usage.completion_tokens, 5);
    assert_eq!(state.nodes[1].status, NodeStatus::Failed);
    assert_eq!(state.nodes[1].usage.completion_tokens, 1);
    assert_eq!(state.spend.completion_tokens, 6);
    assert_eq!(
        state.spend.prompt_tokens,
        state.nodes.iter().map(|n| n.usage.prompt_tokens).sum::<u64>()
    );
    assert_eq!(ran.count("branchCancelled"), 1, "the failed node is not cancelled too");
}

#[test]
fn a_later_exact_count_revises_an_early_finished_choice() {
    let clock = ManualClock::new();
    let early = answer("The answer is: 3", usage(10, 4));
    let steps = vec![
        (1, Ok(Chunk::Finished { choice: 0, completion: early.clone() })),
        (1, Ok(Chunk::Finished { choice: 1, completion: answer("The answer is: 3", usage(0, 4)) })),
        (
            1,
            Ok(Chunk::Done(Response {
                completions: vec![
                    answer("The answer is: 3", usage(25, 5)),
                    answer("", usage(0, 4)),
                ],
            })),
        ),
    ];
    let model = Steps { clock: clock.clone(), steps, max_n: 2 };
    let ran = run_on(
        &clock,
        &model,
        Budget::unlimited(),
        &SelfConsistency { samples: 2, ..Default::default() },
    );
    assert_eq!(ran.count("usageRevised"), 1, "only the count that changed");
    let state = ran.state();
    assert_eq!(state.nodes[0].usage, usage(25, 5));
    assert_eq!(state.spend.total_tokens(), 25 + 5 + 4);
    assert_eq!(state.nodes[1].text, "The answer is: 3", "a finished node keeps its text");
}

#[test]
fn a_rejected_request_fails_its_node_and_the_siblings_go_on() {
    let model = ScriptedModel::from_fn(|call| match call.index {
        1 => Reply::error(
            ModelError::new(ModelErrorKind::InvalidRequest, "prompt is too long").with_status(400),
        ),
        _ => Reply::text("The answer is: 8"),
    });
    let ran = run(
        &model,
        &SelfConsistency { samples: 5, concurrency: 1, ..Default::default() },
        &number_task(),
    );
    assert_eq!(model.calls(), 5, "the 400 did not stop the run");
    assert_eq!((ran.outcome.succeeded, ran.outcome.failed), (4, 1));
    assert_eq!(ran.outcome.stop, StopReason::Completed);
}

#[test]
fn an_unknown_model_stops_the_run() {
    let model = ScriptedModel::cycling([Reply::error(
        ModelError::new(ModelErrorKind::NotFound, "model `gpt-9` does not exist").with_status(404),
    )]);
    let strategy = SelfConsistency { samples: 20, concurrency: 1, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(model.calls(), 1);
    assert!(
        matches!(&ran.outcome.stop, StopReason::ModelFailed { error } if error.status == Some(404))
    );
}

#[test]
fn vote_events_stay_small_however_many_answers_there_are() {
    let model =
        ScriptedModel::from_fn(|call| Reply::text(format!("The answer is: {}", call.index)));
    let ran = run(
        &model,
        &SelfConsistency { samples: 200, concurrency: 8, ..Default::default() },
        &number_task(),
    );
    let tallies: Vec<(usize, u32)> = ran
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::VoteTallied { standings, answers, .. } => Some((standings.len(), *answers)),
            _ => None,
        })
        .collect();
    assert_eq!(tallies.len(), 200);
    assert!(tallies.iter().all(|(listed, _)| *listed <= crate::vote::MAX_STANDINGS));
    assert_eq!(tallies.last(), Some(&(crate::vote::MAX_STANDINGS, 200)));
}

#[test]
fn concurrency_is_capped_and_the_error_says_so() {
    let model = ScriptedModel::cycling(answers(&["1"]));
    let strategy = SelfConsistency { samples: 4096, concurrency: 4096, ..Default::default() };
    let error = Runner::new(&model).validate(&strategy, &number_task()).unwrap_err().to_string();
    assert!(error.contains("selfConsistency.concurrency") && error.contains("64"), "{error}");
}
