//! Failures, cancellation and sinks that stop: nothing that succeeded is lost.

use super::*;
use crate::model::{ModelError, ModelErrorKind};
use crate::state::NodeStatus;

#[test]
fn failed_branches_never_lose_the_successful_ones() {
    let model = ScriptedModel::from_fn(|call| match call.index % 3 {
        1 => Reply::error(ModelError::new(ModelErrorKind::Server, "boom").with_status(500)),
        _ => Reply::text("The answer is: 8"),
    });
    let ran = run(&model, &SelfConsistency { samples: 9, ..Default::default() }, &number_task());
    assert_eq!(ran.answer(), Some("8"));
    assert_eq!((ran.outcome.succeeded, ran.outcome.failed), (6, 3));
    assert_eq!(ran.outcome.stop, StopReason::Completed);
    let state = ran.state();
    assert_eq!(state.errors.len(), 3);
    assert!(
        state.nodes.iter().filter(|n| n.status == NodeStatus::Failed).all(|n| n
            .error
            .as_ref()
            .unwrap()
            .status
            == Some(500))
    );
}

#[test]
fn when_every_branch_fails_the_outcome_says_why() {
    let model =
        ScriptedModel::cycling([Reply::error(ModelError::new(ModelErrorKind::Timeout, "slow"))]);
    let ran = run(&model, &SelfConsistency { samples: 3, ..Default::default() }, &number_task());
    assert_eq!(ran.answer(), None);
    assert!(
        matches!(&ran.outcome.stop, StopReason::ModelFailed { error } if error.kind == ModelErrorKind::Timeout)
    );
}

#[test]
fn an_auth_error_stops_the_run_instead_of_repeating_it() {
    let model = ScriptedModel::cycling([Reply::error(
        ModelError::new(ModelErrorKind::Auth, "bad key").with_status(401),
    )]);
    let strategy = SelfConsistency { samples: 40, concurrency: 2, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    assert!(model.calls() <= 2, "{} calls", model.calls());
    assert!(
        matches!(&ran.outcome.stop, StopReason::ModelFailed { error } if error.status == Some(401))
    );
}

#[test]
fn a_stream_that_ends_early_is_a_failed_branch() {
    struct Truncating;
    impl crate::model::Model for Truncating {
        fn stream(
            &self,
            _request: crate::model::Request,
        ) -> impl futures::Stream<Item = Result<crate::model::Chunk, ModelError>>
        + crate::compat::MaybeSend {
            let delta = crate::model::Chunk::Delta {
                choice: 0,
                channel: crate::model::Channel::Text,
                text: "The ans".into(),
            };
            futures::stream::iter([Ok(delta)])
        }
    }
    let outcome = futures::executor::block_on(Runner::new(Truncating).run(
        &Direct::default(),
        &number_task(),
        &mut NullSink,
    ))
    .unwrap();
    assert_eq!(outcome.failed, 1);
    assert!(
        matches!(&outcome.stop, StopReason::ModelFailed { error } if error.kind == ModelErrorKind::Protocol)
    );
}

#[test]
fn cancelling_from_outside_drops_requests_in_flight() {
    let clock = ManualClock::new();
    let model = model_on(
        &clock,
        ScriptedModel::cycling([Reply::text("The answer is: 3").latency(ms(100))]),
    );
    let token = CancelToken::new();
    let runner = Runner::new(&model).cancel_token(token.clone()).clock(Arc::new(clock.clone()));
    let strategy = SelfConsistency { samples: 10, concurrency: 4, ..Default::default() };
    let mut sink = RecordingSink::new();
    let task = number_task();
    let (outcome, ()) =
        clock.block_on(futures::future::join(runner.run(&strategy, &task, &mut sink), async {
            clock.sleep(ms(150)).await;
            token.cancel();
        }));
    let outcome = outcome.unwrap();
    assert_eq!(outcome.stop, StopReason::Cancelled);
    assert_eq!(outcome.succeeded, 4, "the first four finished at 100 ms");
    assert_eq!(model.cancelled(), 4, "the next four were dropped at 150 ms");
    assert_eq!(model.calls(), 8, "nothing was started after the cancellation");
    assert_eq!(outcome.answer.unwrap().key, "3");
    assert_eq!(outcome.spend.elapsed_ms, 150);
}

#[test]
fn a_sink_can_stop_the_run() {
    let model = ScriptedModel::cycling(answers(&["5"]));
    let mut finished = 0;
    let mut sink = |event: &Event| {
        if matches!(event.kind, EventKind::BranchFinished { .. }) {
            finished += 1;
        }
        if finished >= 2 { Flow::Stop } else { Flow::Continue }
    };
    let strategy = SelfConsistency { samples: 10, concurrency: 1, ..Default::default() };
    let outcome =
        futures::executor::block_on(Runner::new(&model).run(&strategy, &number_task(), &mut sink))
            .unwrap();
    assert_eq!(outcome.stop, StopReason::StoppedBySink);
    assert_eq!(model.calls(), 2);
    assert_eq!(outcome.answer.unwrap().key, "5");
}

#[test]
fn a_run_cancelled_before_it_starts_makes_no_calls() {
    let model = ScriptedModel::cycling(answers(&["5"]));
    let token = CancelToken::new();
    token.cancel();
    let runner = Runner::new(&model).cancel_token(token);
    let outcome =
        futures::executor::block_on(runner.run(&Direct::default(), &number_task(), &mut NullSink))
            .unwrap();
    assert_eq!(outcome.stop, StopReason::Cancelled);
    assert_eq!(model.calls(), 0);
}
