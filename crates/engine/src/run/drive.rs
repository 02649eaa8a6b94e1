//! The branch driver: runs model calls concurrently, streams them into events, enforces budgets,
//! and stops cleanly.
//!
//! All branches of a run are polled inside the run's own future (no task spawning, so no runtime):
//! each model call is a stream merged into one `SelectAll`, raced against cancellation and the
//! wall-clock deadline. Stopping — for any reason — drops the merged stream, which drops every
//! in-flight request future; that is what closes the HTTP requests or halts local generation. A
//! request whose every choice has ended (finished, cut at its limit, failed) is dropped the same
//! way, alone. What each item of a stream does to the run is in `settle.rs`.

use std::collections::VecDeque;
use std::task::Poll;

use futures::stream::{self, AbortHandle, Abortable, SelectAll};
use futures::{StreamExt, future};

use super::flight::{ChoiceLimit, ChoiceState, Flight, Streamed};
use super::settle::Settled;
use super::{Journal, Run};
use crate::budget::{Limit, prompt_key};
use crate::compat::{BoxStream, MaybeSend};
use crate::event::{EventKind, NodeId, NodeKind, StopReason};
use crate::model::{Chunk, Model, ModelError, Reasoning, Request};

/// The most requests one run keeps in flight at once, whatever a strategy asks for: more only
/// queue (browsers open about six connections per server over HTTP/1.1, and APIs rate-limit), and
/// each holds a reservation of the budget.
pub const MAX_CONCURRENCY: u32 = 64;

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

impl BranchPlan {
    /// A call that makes `kind` nodes labelled `label`, at the root; the nodes of a
    /// multi-choice request are `{label} (i of n)`.
    pub fn new(kind: NodeKind, label: impl Into<String>, request: Request) -> Self {
        Self { kind, parent: None, label: label.into(), first_number: None, request }
    }

    /// The same call with its nodes under `parent` (`None`: the root).
    pub fn under(self, parent: Option<NodeId>) -> Self {
        Self { parent, ..self }
    }

    /// The same call with its choices numbered from `first`: `{label} {first}`, `{label}
    /// {first + 1}`, …
    pub fn numbered_from(self, first: u32) -> Self {
        Self { first_number: Some(first), ..self }
    }
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

/// An item of one flight's stream: the flight's key and the item (`None`: the stream ended).
pub(crate) type FlightItem = (usize, Option<Result<Chunk, ModelError>>);

enum Wake {
    Cancelled,
    Deadline,
    Item(FlightItem),
    Idle,
}

impl<'r, M: Model> Run<'r, M> {
    /// Runs `plans` with at most `concurrency` requests in flight (and never more than
    /// [`MAX_CONCURRENCY`]), calling `on_finish` after every branch that finishes or fails
    /// (read its node from the journal's state). Returns the ids of the nodes it started.
    /// Returns at once if the run has already stopped.
    pub async fn drive<F>(
        &mut self,
        plans: Vec<BranchPlan>,
        concurrency: usize,
        mut on_finish: F,
    ) -> Vec<NodeId>
    where
        F: FnMut(&mut Journal<'r>, NodeId) -> Step + MaybeSend,
    {
        let concurrency = concurrency.clamp(1, MAX_CONCURRENCY as usize);
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
                let thinking = self.model.thinking_tokens(&plan.request);
                match self.ledger.admit(&mut plan.request, &spent, thinking) {
                    Ok(reservation) => {
                        let Some(plan) = queue.pop_front() else { break };
                        let key = flights.len();
                        let (flight, calls) = self.launch(plan, key, thinking, reservation);
                        started.extend(flight.nodes.iter().copied());
                        flights.push(Some(flight));
                        merged.push(calls);
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
            let Settled { nodes, ended, fatal, over } = self.settle(&mut flights, key, item);
            if ended {
                in_flight -= 1;
            }
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
            let overspent = over.or_else(|| self.ledger.overspent(&self.journal.state().spend));
            if let Some(reason) = stop.or(overspent.map(|limit| StopReason::Budget { limit })) {
                self.halt(reason, &mut flights);
                break;
            }
        }
        // Dropping `merged` here drops every request still in flight.
        started
    }

    /// Starts one planned request: its nodes, its flight record and its stream of items.
    fn launch(
        &mut self,
        plan: BranchPlan,
        key: usize,
        thinking: u64,
        reservation: crate::budget::Reservation,
    ) -> (Flight, BoxStream<'r, FlightItem>) {
        let model: &'r M = self.model;
        let nodes = self.start_nodes(&plan);
        let choices = nodes.len();
        let budgeted = matches!(plan.request.reasoning, Some(Reasoning::Budget { .. }));
        let limit = ChoiceLimit {
            text_tokens: plan.request.max_tokens.map(u64::from),
            // Reasoning has a token limit only when the request set a thinking budget; otherwise
            // only the per-branch byte cap holds it (some servers stream thinking they were
            // never asked to bound).
            reasoning_tokens: (budgeted || thinking > 0)
                .then(|| thinking.saturating_add(plan.request.max_tokens.map_or(0, u64::from))),
        };
        let (abort, registration) = AbortHandle::new_pair();
        let flight = Flight {
            nodes,
            states: vec![ChoiceState::Streaming; choices],
            streamed: vec![Streamed::default(); choices],
            kind: plan.kind,
            tier: plan.request.tier,
            reservation,
            limit,
            prompt_tokens: self.ledger.prompt_tokens(&plan.request),
            prompt_key: prompt_key(&plan.request),
            prompt_counted: false,
            abort,
        };
        let calls = Abortable::new(model.stream(plan.request), registration)
            .map(move |item| (key, Some(item)))
            .chain(stream::once(future::ready((key, None))));
        (flight, Box::pin(calls))
    }

    /// Emits `branchStarted` for each choice of a plan and returns the new node ids.
    fn start_nodes(&mut self, plan: &BranchPlan) -> Vec<NodeId> {
        let choices = plan.request.n.max(1);
        (0..choices)
            .map(|choice| {
                let id = self.journal.state().next_id();
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

    /// Stops the run: records why, cancels every choice still streaming (finished ones stay
    /// finished) with what it consumed, and returns every open flight's reservation.
    fn halt(&mut self, reason: StopReason, flights: &mut [Option<Flight>]) {
        self.journal.emit(EventKind::EarlyStop { reason: reason.clone() });
        for mut flight in flights.iter_mut().filter_map(Option::take) {
            self.ledger.release(flight.reservation);
            flight.abort.abort();
            for choice in flight.streaming() {
                let Some(&id) = flight.nodes.get(choice) else { continue };
                let usage = flight.consumed(choice);
                let cost_usd = self.price(flight.tier).map(|p| p.cost(&usage));
                self.journal.emit(EventKind::BranchCancelled { id, usage, cost_usd });
            }
        }
        let spent = self.journal.state().spend;
        self.journal.emit(EventKind::BudgetSpent { spent });
        self.stopped = Some(reason);
    }
}
