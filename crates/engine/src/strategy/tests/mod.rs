//! Deterministic strategy tests on a scripted model and a virtual clock.
//!
//! Every run in these tests is also exported as JSON, imported and replayed, and the replayed
//! outcome must equal the live one — so each strategy test is a trace test too.

mod adaptive;
mod allocation;
mod best_of_n;
mod budget;
mod config;
mod control;
mod free_form;
mod nothing_lost;
mod properties;
mod refine;
mod self_consistency;
mod single;
mod tree;
mod universal;

use std::sync::Arc;
use std::time::Duration;

use crate::prelude::*;
use crate::testing::{ManualClock, Reply, ScriptedModel};
use crate::{Clock, Error, NodeId, NodeKind, RunState, SettleRule};

/// A run under a virtual clock, recorded.
pub(super) struct Ran {
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

impl Ran {
    /// Events of one type, by their JSON tag.
    pub(super) fn count(&self, tag: &str) -> usize {
        self.events.iter().filter(|e| type_of(e) == tag).count()
    }
    pub(super) fn answer(&self) -> Option<&str> {
        self.outcome.answer.as_ref().map(|a| a.key.as_str())
    }
    pub(super) fn state(&self) -> RunState {
        Trace::new(self.events.clone()).replay().unwrap()
    }
}

pub(super) fn type_of(event: &Event) -> String {
    let json = serde_json::to_value(event).unwrap();
    json["type"].as_str().unwrap().to_owned()
}

/// A scripted model on `clock`.
pub(super) fn model_on(clock: &ManualClock, model: ScriptedModel) -> ScriptedModel {
    model.with_clock(Arc::new(clock.clone()))
}

/// Runs `strategy` with `runner` settings on the virtual clock and checks the trace round trip.
pub(super) fn run_with<S: Strategy>(
    clock: &ManualClock,
    runner: Runner<&ScriptedModel>,
    strategy: &S,
    task: &Task,
) -> Ran {
    let runner = runner.clock(Arc::new(clock.clone()));
    let mut sink = RecordingSink::new();
    let outcome = clock.block_on(runner.run(strategy, task, &mut sink)).expect("valid run");
    let json = sink.clone().into_trace().to_json().unwrap();
    let replayed = Trace::from_json(&json).unwrap().replay().unwrap();
    assert_eq!(replayed.outcome.as_ref(), Some(&outcome), "the replayed outcome differs");
    Ran { outcome, events: sink.events }
}

/// Runs with no budget.
pub(super) fn run<S: Strategy>(model: &ScriptedModel, strategy: &S, task: &Task) -> Ran {
    let clock = ManualClock::new();
    run_with(&clock, Runner::new(model), strategy, task)
}

pub(super) fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

pub(super) fn answers(texts: &[&str]) -> Vec<Reply> {
    texts.iter().map(|t| Reply::text(format!("Some reasoning.\nThe answer is: {t}"))).collect()
}

pub(super) fn number_task() -> Task {
    Task::new("How many?").extractor(Extractor::number())
}
