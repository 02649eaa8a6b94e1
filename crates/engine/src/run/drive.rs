//! The branch driver: runs model calls concurrently, streams them into events, enforces budgets,
//! and stops cleanly.
//!
//! All branches of a run are polled inside the run's own future (no task spawning, so no runtime):
//! each model call is a stream merged into one `SelectAll`, raced against cancellation and the
//! wall-clock deadline. Stopping — for any reason — drops the merged stream, which drops every
//! in-flight request future; that is what closes the HTTP requests or halts local generation.

use std::collections::VecDeque;
use std::task::Poll;

use futures::stream::{self, SelectAll};
use futures::{StreamExt, future};

use super::{Journal, Run};
use crate::budget::{Limit, Reservation};
use crate::compat::{BoxStream, MaybeSend};
use crate::event::{EventKind, NodeId, NodeKind, StopReason};
use crate::model::{
    Chunk, Completion, Model, ModelError, ModelErrorKind, Request, Response, Usage,
};
use crate::prompt::parse_confidence;

/// One model call to make: the node(s) it creates and the request. A request with `n` choices
/// creates `n` nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchPlan {
    /// What the node is for.
    pub kind: NodeKind,
    /// The node it hangs under.
    pub parent: Option<NodeId>,
    /// A short human label.
    pub label: String,
    /// Numbers the plan's choices: with `Some(k)`, choice `i` is labelled `{label} {k + i}` (so
    /// eight samples in one request are `sample 1` … `sample 8`); with `None`, the nodes of a
    /// multi-choice plan are `{label} (i of n)`.
    pub first_number: Option<u32>,
    /// The request.
    pub request: Request,
}

/// What a strategy wants after a branch finishes.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Go on with the planned branches.
    Continue,
    /// Start these branches next (before the ones still waiting).
    Spawn(Vec<BranchPlan>),
    /// Stop the run: cancel what is in flight, start nothing more.
    Stop(StopReason),
}

type FlightItem = (usize, Option<Result<Chunk, ModelError>>);

struct Flight {
    nodes: Vec<NodeId>,
    /// Nodes whose choice the model reported failed before the response completed.
    failed: Vec<NodeId>,
    kind: NodeKind,
    /// The cascade tier that answers (prices its completions).
    tier: u32,
    reservation: Reservation,
}

enum Wake {
    Cancelled,
    Deadline,
    Item(FlightItem),
    Idle,
}

impl<'r, M: Model> Run<'r, M> {
    /// Runs `plans` with at most `concurrency` requests in flight, calling `on_finish` after every
    /// branch that finishes or fails (read its node from the journal's state). Returns the ids of
    /// the nodes it started. Returns at once if the run has already stopped.
    pub async fn drive<F>(
        &mut self,
        plans: Vec<BranchPlan>,
        concurrency: usize,
        mut on_finish: F,
    ) -> Vec<NodeId>
    where
        F: FnMut(&mut Journal<'r>, NodeId) -> Step + MaybeSend,
    {
        let model: &'r M = self.model;
        let concurrency = concurrency.max(1);
        let mut queue: VecDeque<BranchPlan> = plans.into();
        let mut merged: SelectAll<BoxStream<'r, FlightItem>> = SelectAll::new();
        let mut flights: Vec<Option<Flight>> = Vec::new();
        let mut in_flight = 0usize;
        let mut started = Vec::new();

        loop {
            if self.stopped.is_none() {
                if self.cancel.is_cancelled() {
                    self.halt(StopReason::Cancelled, &mut flights);
                } else if self.journal.sink_stopped() {
                    self.halt(StopReason::StoppedBySink, &mut flights);
                }
            }
            if self.stopped.is_some() {
                break;
            }
            // Launch what the concurrency limit and the budget allow.
            while in_flight < concurrency {
                let Some(plan) = queue.front_mut() else { break };
                let spent = self.journal.state().spend;
                match self.ledger.admit(&mut plan.request, &spent) {
                    Ok(reservation) => {
                        let Some(plan) = queue.pop_front() else { break };
                        let key = flights.len();
                        let nodes = self.start_nodes(&plan);
                        started.extend(nodes.iter().copied());
                        flights.push(Some(Flight {
                            nodes,
                            failed: Vec::new(),
                            kind: plan.kind,
                            tier: plan.request.tier,
                            reservation,
                        }));
                        let calls = model
                            .stream(plan.request)
                            .map(move |item| (key, Some(item)))
                            .chain(stream::once(future::ready((key, None))));
                        merged.push(Box::pin(calls));
                        in_flight += 1;
                    }
                    Err(limit) => {
                        if in_flight == 0 {
                            self.halt(StopReason::Budget { limit }, &mut flights);
                        }
                        break;
                    }
                }
            }
            if self.stopped.is_some() || in_flight == 0 {
                break;
            }

            let cancel = self.cancel;
            let deadline = &mut self.deadline;
            let wake = future::poll_fn(|cx| {
                if cancel.poll_cancelled(cx).is_ready() {
                    return Poll::Ready(Wake::Cancelled);
                }
                if let Some(timer) = deadline.as_mut()
                    && timer.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Wake::Deadline);
                }
                merged.poll_next_unpin(cx).map(|item| item.map_or(Wake::Idle, Wake::Item))
            })
            .await;

            let (key, item) = match wake {
                Wake::Cancelled => {
                    self.halt(StopReason::Cancelled, &mut flights);
                    break;
                }
                Wake::Deadline => {
                    self.deadline = None;
                    self.halt(StopReason::Budget { limit: Limit::WallTime }, &mut flights);
                    break;
                }
                Wake::Idle => break,
                Wake::Item(item) => item,
            };
            let finished = match item {
                Some(Ok(Chunk::Delta { choice, channel, text })) => {
                    let node = flights
                        .get(key)
                        .and_then(Option::as_ref)
                        .and_then(|f| f.nodes.get(choice as usize).copied());
                    if let (Some(id), false) = (node, text.is_empty()) {
                        self.journal.emit(EventKind::TokenDelta { id, channel, text });
                    }
                    continue;
                }
                Some(Ok(Chunk::Retry { choice, attempt, error, delay_ms })) => {
                    let nodes = flights.get(key).and_then(Option::as_ref).map(|f| f.nodes.clone());
                    let retried = nodes.unwrap_or_default().into_iter().enumerate();
                    for (_, id) in retried.filter(|(i, _)| choice.is_none_or(|c| c as usize == *i))
                    {
                        let error = error.clone();
                        self.journal.emit(EventKind::BranchRetried {
                            id,
                            attempt,
                            error,
                            delay_ms,
                            usage: Usage::default(),
                            cost_usd: None,
                        });
                    }
                    continue;
                }
                Some(Ok(Chunk::Failed { choice, error })) => {
                    let flight = flights.get_mut(key).and_then(Option::as_mut);
                    if let Some(flight) = flight
                        && let Some(&id) = flight.nodes.get(choice as usize)
                        && !flight.failed.contains(&id)
                    {
                        flight.failed.push(id);
                        self.journal.emit(EventKind::Error {
                            id: Some(id),
                            error,
                            usage: Usage::default(),
                            cost_usd: None,
                        });
                    }
                    continue;
                }
                Some(Ok(Chunk::Finished { .. })) => continue,
                Some(Ok(Chunk::Done(response))) => {
                    self.settle(flights.get_mut(key).and_then(Option::take), Ok(response))
                }
                Some(Err(error)) => {
                    self.settle(flights.get_mut(key).and_then(Option::take), Err(error))
                }
                None => {
                    let error = ModelError::new(
                        ModelErrorKind::Protocol,
                        "the response stream ended before the response was complete",
                    );
                    self.settle(flights.get_mut(key).and_then(Option::take), Err(error))
                }
            };
            let Some((nodes, fatal)) = finished else { continue };
            in_flight -= 1;

            let mut stop = fatal.map(|error| StopReason::ModelFailed { error });
            for id in nodes {
                match on_finish(&mut self.journal, id) {
                    Step::Continue => {}
                    Step::Spawn(children) => {
                        for plan in children.into_iter().rev() {
                            queue.push_front(plan);
                        }
                    }
                    Step::Stop(reason) => stop = stop.or(Some(reason)),
                }
            }
            let overspent = self.ledger.overspent(&self.journal.state().spend);
            if let Some(reason) = stop.or(overspent.map(|limit| StopReason::Budget { limit })) {
                self.halt(reason, &mut flights);
                break;
            }
        }
        // Dropping `merged` here drops every request still in flight.
        started
    }

    /// Emits `branchStarted` for each choice of a plan and returns the new node ids.
    fn start_nodes(&mut self, plan: &BranchPlan) -> Vec<NodeId> {
        let choices = plan.request.n.max(1);
        (0..choices)
            .map(|choice| {
                let id =
                    NodeId(u32::try_from(self.journal.state().nodes.len()).unwrap_or(u32::MAX));
                let label = match plan.first_number {
                    Some(first) => format!("{} {}", plan.label, first.saturating_add(choice)),
                    None if choices > 1 => format!("{} ({} of {choices})", plan.label, choice + 1),
                    None => plan.label.clone(),
                };
                self.journal.emit(EventKind::BranchStarted {
                    id,
                    parent: plan.parent,
                    kind: plan.kind,
                    label,
                    written_by: None,
                });
                id
            })
            .collect()
    }

    /// Records the end of a flight; returns its nodes and, if the failure is fatal, the error.
    /// `None` when the flight had already ended (late items after a failure are ignored).
    fn settle(
        &mut self,
        flight: Option<Flight>,
        result: Result<Response, ModelError>,
    ) -> Option<(Vec<NodeId>, Option<ModelError>)> {
        let flight = flight?;
        self.ledger.release(flight.reservation);
        let mut fatal = None;
        match result {
            Ok(response) => {
                let mut completions = response.completions.into_iter();
                for &id in flight.nodes.iter().filter(|id| !flight.failed.contains(id)) {
                    match completions.next() {
                        Some(completion) => {
                            self.finish_node(id, (flight.kind, flight.tier), completion);
                        }
                        None => {
                            let error = ModelError::new(
                                ModelErrorKind::Protocol,
                                format!("the response had no completion for node {id}"),
                            );
                            self.journal.emit(EventKind::Error {
                                id: Some(id),
                                error,
                                usage: Usage::default(),
                                cost_usd: None,
                            });
                        }
                    }
                }
                let spent = self.journal.state().spend;
                self.journal.emit(EventKind::BudgetSpent { spent });
            }
            Err(error) => {
                if error.kind.is_fatal() {
                    fatal = Some(error.clone());
                }
                for &id in flight.nodes.iter().filter(|id| !flight.failed.contains(id)) {
                    self.journal.emit(EventKind::Error {
                        id: Some(id),
                        error: error.clone(),
                        usage: Usage::default(),
                        cost_usd: None,
                    });
                }
            }
        }
        Some((flight.nodes, fatal))
    }

    fn finish_node(&mut self, id: NodeId, (kind, tier): (NodeKind, u32), completion: Completion) {
        let price = crate::budget::price_of(&self.prices, tier);
        let answers = kind.yields_answer();
        let answer = answers
            .then(|| self.parser.extract(&completion.text, completion.finish_reason))
            .flatten();
        let confidence = answers.then(|| parse_confidence(&completion.text)).flatten();
        self.journal.emit(EventKind::BranchFinished {
            id,
            mean_logprob: completion.mean_logprob(),
            cost_usd: price.map(|p| p.cost(&completion.usage)),
            answer,
            confidence,
            usage: completion.usage,
            finish_reason: completion.finish_reason,
            reasoning: completion.reasoning,
            text: completion.text,
        });
    }

    /// Stops the run: records why, cancels every flight still open and returns its reservation.
    fn halt(&mut self, reason: StopReason, flights: &mut [Option<Flight>]) {
        self.journal.emit(EventKind::EarlyStop { reason: reason.clone() });
        for flight in flights.iter_mut().filter_map(Option::take) {
            self.ledger.release(flight.reservation);
            for id in flight.nodes {
                self.journal.emit(EventKind::BranchCancelled {
                    id,
                    usage: Usage::default(),
                    cost_usd: None,
                });
            }
        }
        self.stopped = Some(reason);
    }
}
