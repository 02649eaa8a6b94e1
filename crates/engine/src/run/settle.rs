//! What each item of a request's stream does to the run: deltas stream into their node (and a
//! choice that passes its limit is cut), a choice that finishes finishes its node at once, a retry
//! voids a node's text but not what it spent, a failure fails only its nodes, and the final
//! response finishes the rest and revises counts that were estimates.
//!
//! Every attempt's consumption lands in the trace: finished nodes carry their usage, and retried,
//! failed and cancelled attempts carry what the engine counted them streaming (plus the prompt,
//! once per request), so a token budget holds even when requests do not complete.

use super::Run;
use super::flight::{ChoiceState, Flight};
use crate::budget::{Limit, price_of};
use crate::event::{EventKind, NodeId, NodeKind};
use crate::model::{
    Channel, Chunk, Completion, FinishReason, Model, ModelError, ModelErrorKind, Response, Usage,
};
use crate::pricing::Pricing;
use crate::prompt::parse_confidence;

/// What one stream item did.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    /// Nodes that reached their end (finished, cut or failed): the strategy hears of each.
    pub(crate) nodes: Vec<NodeId>,
    /// Whether the request is over (answered, failed, or dropped because no choice streams).
    pub(crate) ended: bool,
    /// A failure that stops the run (a rejected key, an unknown model).
    pub(crate) fatal: Option<ModelError>,
    /// A limit that the run's spending plus its reservations now passes (after a retry).
    pub(crate) over: Option<Limit>,
}

impl<M: Model> Run<'_, M> {
    /// The price of `tier`'s model, if it has one.
    pub(super) fn price(&self, tier: u32) -> Option<Pricing> {
        price_of(&self.prices, tier)
    }

    /// Applies one item of flight `key`'s stream. Items of a flight that already ended are
    /// ignored (a stream may still yield after its request failed or was dropped).
    pub(super) fn settle(
        &mut self,
        flights: &mut [Option<Flight>],
        key: usize,
        item: Option<Result<Chunk, ModelError>>,
    ) -> Settled {
        let mut settled = Settled::default();
        let Some(slot) = flights.get_mut(key) else { return settled };
        let Some(flight) = slot.as_mut() else { return settled };
        let mut spent = false;
        match item {
            Some(Ok(Chunk::Delta { choice, channel, text })) => {
                self.on_delta(flight, choice as usize, channel, &text, &mut settled);
            }
            Some(Ok(Chunk::Retry { choice, attempt, error, delay_ms })) => {
                let targets = match choice {
                    Some(choice) => vec![choice as usize],
                    None => flight.streaming(),
                };
                for choice in targets {
                    self.on_retry(flight, choice, attempt, &error, delay_ms);
                }
                // The next attempt sends the prompt again.
                flight.prompt_counted = false;
                spent = true;
                settled.over = self.ledger.committed_over(&self.journal.state().spend);
            }
            Some(Ok(Chunk::Failed { choice, error })) => {
                let choice = choice as usize;
                if flight.state(choice) == Some(ChoiceState::Streaming) {
                    self.fail(flight, choice, error, &mut settled);
                }
            }
            Some(Ok(Chunk::Finished { choice, completion })) => {
                let choice = choice as usize;
                if flight.state(choice) == Some(ChoiceState::Streaming) {
                    self.finish_choice(flight, choice, completion, &mut settled);
                }
            }
            Some(Ok(Chunk::Done(response))) => {
                self.on_done(flight, response, &mut settled);
                settled.ended = true;
            }
            Some(Err(error)) => {
                if error.kind.is_fatal() {
                    settled.fatal = Some(error.clone());
                }
                for choice in flight.streaming() {
                    self.fail(flight, choice, error.clone(), &mut settled);
                }
                settled.ended = true;
            }
            None => {
                let error = ModelError::new(
                    ModelErrorKind::Protocol,
                    "the response stream ended before the response was complete",
                );
                for choice in flight.streaming() {
                    self.fail(flight, choice, error.clone(), &mut settled);
                }
                settled.ended = true;
            }
        }
        if !settled.ended && flight.all_settled() && flight.any_cut() {
            // Every choice has ended and one was cut at its limit: the rest of that stream is
            // nobody's, so the request is dropped. (Finished and failed choices end on the
            // provider's word; its final response follows with the exact counts.)
            flight.abort.abort();
            settled.ended = true;
        }
        if settled.ended
            && let Some(flight) = slot.take()
        {
            self.ledger.release(flight.reservation);
        }
        if spent || settled.ended || !settled.nodes.is_empty() {
            let spent = self.journal.state().spend;
            self.journal.emit(EventKind::BudgetSpent { spent });
        }
        settled
    }

    fn on_delta(
        &mut self,
        flight: &mut Flight,
        choice: usize,
        channel: Channel,
        text: &str,
        settled: &mut Settled,
    ) {
        let Some(&id) = flight.nodes.get(choice) else { return };
        if text.is_empty() || flight.state(choice) != Some(ChoiceState::Streaming) {
            return;
        }
        let so_far = flight.streamed.get(choice).copied().unwrap_or_default();
        let (fits, cut) = flight.limit.admit(&so_far, channel, text);
        if let Some(part) = text.get(..fits).filter(|part| !part.is_empty()) {
            flight.record(choice, channel, fits);
            self.journal.emit(EventKind::TokenDelta { id, channel, text: part.to_owned() });
        }
        if cut {
            // The choice passed its request's limit: it ends here, as a length-limited answer.
            let usage = flight.consumed(choice);
            let node = self.journal.state().node(id);
            let text = node.map(|n| n.text.clone()).unwrap_or_default();
            let reasoning = node.map(|n| n.reasoning.clone()).filter(|r| !r.is_empty());
            let completion = Completion {
                text,
                reasoning,
                finish_reason: FinishReason::Length,
                usage,
                logprobs: None,
            };
            self.finish_node(id, (flight.kind, flight.tier), completion);
            flight.set_state(choice, ChoiceState::Cut);
            settled.nodes.push(id);
        }
    }

    fn on_retry(
        &mut self,
        flight: &mut Flight,
        choice: usize,
        attempt: u32,
        error: &ModelError,
        delay_ms: u64,
    ) {
        let Some(&id) = flight.nodes.get(choice) else { return };
        if flight.state(choice) != Some(ChoiceState::Streaming) {
            return;
        }
        let usage = flight.consumed(choice);
        let cost_usd = self.price(flight.tier).map(|p| p.cost(&usage));
        let error = error.clone();
        self.journal.emit(EventKind::BranchRetried {
            id,
            attempt,
            error,
            delay_ms,
            usage,
            cost_usd,
        });
    }

    /// Fails one streaming choice with what its attempt consumed.
    fn fail(
        &mut self,
        flight: &mut Flight,
        choice: usize,
        error: ModelError,
        settled: &mut Settled,
    ) {
        let Some(&id) = flight.nodes.get(choice) else { return };
        let usage = flight.consumed(choice);
        let cost_usd = self.price(flight.tier).map(|p| p.cost(&usage));
        self.journal.emit(EventKind::Error { id: Some(id), error, usage, cost_usd });
        flight.set_state(choice, ChoiceState::Failed);
        settled.nodes.push(id);
    }

    /// Finishes one streaming choice with the provider's completion.
    fn finish_choice(
        &mut self,
        flight: &mut Flight,
        choice: usize,
        mut completion: Completion,
        settled: &mut Settled,
    ) {
        let Some(&id) = flight.nodes.get(choice) else { return };
        if completion.usage.prompt_tokens > 0 {
            flight.prompt_counted = true;
            self.ledger.observe_prompt(flight.prompt_key, completion.usage.prompt_tokens);
        }
        if let Some(streamed) = flight.streamed.get_mut(choice) {
            *streamed = Default::default();
        }
        // A provider that answers in one piece (no deltas) is held to the same limits.
        flight.limit.bound(&mut completion);
        let usage = completion.usage;
        let cost_usd = self.price(flight.tier).map(|p| p.cost(&usage));
        self.finish_node(id, (flight.kind, flight.tier), completion);
        flight.set_state(choice, ChoiceState::Finished { usage, cost_usd });
        settled.nodes.push(id);
    }

    /// The whole response: its completions fill the choices that did not fail, in order.
    fn on_done(&mut self, flight: &mut Flight, response: Response, settled: &mut Settled) {
        let mut completions = response.completions.into_iter();
        for choice in 0..flight.nodes.len() {
            let state = flight.state(choice);
            if state == Some(ChoiceState::Failed) {
                continue;
            }
            let completion = completions.next();
            match (state, completion) {
                (Some(ChoiceState::Streaming), Some(completion)) => {
                    self.finish_choice(flight, choice, completion, settled);
                }
                (Some(ChoiceState::Streaming), None) => {
                    let id = flight.nodes.get(choice).copied().unwrap_or(NodeId(0));
                    let error = ModelError::new(
                        ModelErrorKind::Protocol,
                        format!("the response had no completion for node {id}"),
                    );
                    self.fail(flight, choice, error, settled);
                }
                (Some(ChoiceState::Finished { usage, cost_usd }), Some(completion))
                    if completion.usage != usage =>
                {
                    if completion.usage.prompt_tokens > 0 {
                        self.ledger
                            .observe_prompt(flight.prompt_key, completion.usage.prompt_tokens);
                    }
                    self.revise(flight, choice, (usage, cost_usd), completion.usage);
                }
                _ => {}
            }
        }
    }

    /// Replaces the usage a node finished with (`was`) by the provider's final count.
    fn revise(
        &mut self,
        flight: &mut Flight,
        choice: usize,
        was: (Usage, Option<f64>),
        exact: Usage,
    ) {
        let Some(&id) = flight.nodes.get(choice) else { return };
        let Some(node) = self.journal.state().node(id) else { return };
        let (mut usage, mut cost_usd) = (node.usage, node.cost_usd);
        let exact_cost = self.price(flight.tier).map(|p| p.cost(&exact));
        usage.prompt_tokens = usage.prompt_tokens - was.0.prompt_tokens.min(usage.prompt_tokens);
        usage.completion_tokens =
            usage.completion_tokens - was.0.completion_tokens.min(usage.completion_tokens);
        usage.reasoning_tokens =
            usage.reasoning_tokens - was.0.reasoning_tokens.min(usage.reasoning_tokens);
        usage.add(&exact);
        if let (Some(total), Some(before), Some(after)) = (cost_usd, was.1, exact_cost) {
            cost_usd = Some((total - before).max(0.0) + after);
        }
        self.journal.emit(EventKind::UsageRevised { id, usage, cost_usd });
        flight.set_state(choice, ChoiceState::Finished { usage: exact, cost_usd: exact_cost });
    }

    /// Emits `branchFinished` for a node, with its answer extracted and its cost.
    pub(super) fn finish_node(
        &mut self,
        id: NodeId,
        (kind, tier): (NodeKind, u32),
        completion: Completion,
    ) {
        let price = self.price(tier);
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
}
