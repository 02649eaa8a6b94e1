//! One request in flight, as the driver tracks it: its nodes (one per choice), what each choice
//! has streamed, and the limits the engine enforces on a choice whatever the server does.
//!
//! A server may ignore `max_tokens`, or stream megabytes: the engine counts each choice's deltas
//! and bytes itself and cuts a choice that passes its request's own limit (it finishes with the
//! text so far and finish reason `length`). The counts also price what an attempt consumed when
//! it never reports usage — retried, failed and cancelled attempts are spent all the same.

use futures::stream::AbortHandle;

use crate::budget::Reservation;
use crate::event::{NodeId, NodeKind};
use crate::model::{Channel, Completion, FinishReason, Usage};

/// The most text (visible and reasoning together) one branch may hold: 1 MiB. A branch that
/// reaches it is cut. Far above any real answer (32k tokens are ~128 KB), it bounds the memory a
/// hostile server can make a page or the terminal hold per branch.
pub const MAX_BRANCH_BYTES: usize = 1 << 20;

/// Bytes one token may stand for, at most, when checking a choice against its token limit: a
/// stream whose bytes pass `16 × max_tokens` cannot be within `max_tokens` tokens whatever its
/// deltas say (the longest tokens of common vocabularies are runs of spaces or symbols; the mean
/// is about four bytes).
const MAX_BYTES_PER_TOKEN: usize = 16;

/// Bytes per token when estimating what an attempt used from its text (the usual mean for
/// English); never fewer tokens than deltas streamed.
const ESTIMATE_BYTES_PER_TOKEN: usize = 4;

/// Where one choice of a flight is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ChoiceState {
    /// Still streaming.
    Streaming,
    /// Finished with the provider's completion (reported before the request ended); what it
    /// finished with is kept so a later, exact count can revise it.
    Finished {
        /// The usage it finished with.
        usage: Usage,
        /// The cost it finished with.
        cost_usd: Option<f64>,
    },
    /// Cut by the engine at its limit: the provider's later word on it is not ours to take.
    Cut,
    /// Failed.
    Failed,
}

/// What one choice has streamed in its current attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Streamed {
    text_deltas: u64,
    text_bytes: usize,
    reasoning_deltas: u64,
    reasoning_bytes: usize,
}

impl Streamed {
    fn bytes(&self) -> usize {
        self.text_bytes.saturating_add(self.reasoning_bytes)
    }

    /// Tokens this attempt streamed, estimated: at least one per delta.
    pub(crate) fn tokens(&self) -> (u64, u64) {
        let estimate =
            |deltas: u64, bytes: usize| deltas.max(bytes.div_ceil(ESTIMATE_BYTES_PER_TOKEN) as u64);
        (
            estimate(self.text_deltas, self.text_bytes),
            estimate(self.reasoning_deltas, self.reasoning_bytes),
        )
    }
}

/// The most one choice may stream before the engine cuts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChoiceLimit {
    /// Visible tokens (the request's `max_tokens`), if it set any.
    pub(crate) text_tokens: Option<u64>,
    /// Reasoning tokens (the model's thinking allowance for the request), if it has one.
    pub(crate) reasoning_tokens: Option<u64>,
}

impl ChoiceLimit {
    /// Admits `delta` for a choice that has streamed `so_far`: how many of its bytes fit (all of
    /// them, or a prefix ending on a character boundary), and whether the choice is cut there.
    pub(crate) fn admit(&self, so_far: &Streamed, channel: Channel, delta: &str) -> (usize, bool) {
        let (deltas, bytes, limit) = match channel {
            Channel::Text => (so_far.text_deltas, so_far.text_bytes, self.text_tokens),
            Channel::Reasoning => {
                (so_far.reasoning_deltas, so_far.reasoning_bytes, self.reasoning_tokens)
            }
        };
        let mut room = MAX_BRANCH_BYTES.saturating_sub(so_far.bytes());
        if let Some(tokens) = limit {
            if deltas >= tokens {
                return (0, true);
            }
            let by_tokens = usize::try_from(tokens)
                .unwrap_or(usize::MAX)
                .saturating_mul(MAX_BYTES_PER_TOKEN)
                .saturating_sub(bytes);
            room = room.min(by_tokens);
        }
        if delta.len() <= room {
            return (delta.len(), false);
        }
        let mut fits = room;
        while fits > 0 && !delta.is_char_boundary(fits) {
            fits -= 1;
        }
        (fits, true)
    }
}

impl ChoiceLimit {
    /// Holds a completion that arrived in one piece (no deltas) to the same limits: its text and
    /// reasoning are cut where a stream would have been cut, and it then ends for `length`.
    pub(crate) fn bound(&self, completion: &mut Completion) {
        let mut so_far = Streamed::default();
        let (fits, cut) = self.admit(&so_far, Channel::Text, &completion.text);
        if cut {
            completion.text.truncate(fits);
            completion.finish_reason = FinishReason::Length;
        }
        so_far.text_bytes = completion.text.len();
        if let Some(reasoning) = completion.reasoning.as_mut() {
            let (fits, cut) = self.admit(&so_far, Channel::Reasoning, reasoning);
            if cut {
                reasoning.truncate(fits);
                completion.finish_reason = FinishReason::Length;
            }
        }
    }
}

/// A request in flight: its nodes, one per choice, and what each has done.
pub(crate) struct Flight {
    /// The nodes, in choice order.
    pub(crate) nodes: Vec<NodeId>,
    /// Each choice's state, in choice order.
    pub(crate) states: Vec<ChoiceState>,
    /// What each choice streamed in its current attempt.
    pub(crate) streamed: Vec<Streamed>,
    /// What the nodes are for.
    pub(crate) kind: NodeKind,
    /// The cascade tier that answers (prices its completions).
    pub(crate) tier: u32,
    /// The budget held for it.
    pub(crate) reservation: Reservation,
    /// What a choice may stream.
    pub(crate) limit: ChoiceLimit,
    /// The prompt's tokens as the ledger counts them (measured, or its upper bound).
    pub(crate) prompt_tokens: u64,
    /// The conversation's key, to tell the ledger what the model reported for its prompt.
    pub(crate) prompt_key: u64,
    /// Whether the current attempt's prompt has been counted on a node already (it is shared by
    /// the request's choices and counted once).
    pub(crate) prompt_counted: bool,
    /// Drops the request: once a choice was cut and none streams, nobody needs the rest.
    pub(crate) abort: AbortHandle,
}

impl Flight {
    /// The state of choice `choice`.
    pub(crate) fn state(&self, choice: usize) -> Option<ChoiceState> {
        self.states.get(choice).copied()
    }

    /// Sets the state of choice `choice`.
    pub(crate) fn set_state(&mut self, choice: usize, state: ChoiceState) {
        if let Some(slot) = self.states.get_mut(choice) {
            *slot = state;
        }
    }

    /// Whether no choice is streaming any more.
    pub(crate) fn all_settled(&self) -> bool {
        self.states.iter().all(|s| *s != ChoiceState::Streaming)
    }

    /// Whether the engine cut one of its choices.
    pub(crate) fn any_cut(&self) -> bool {
        self.states.contains(&ChoiceState::Cut)
    }

    /// Counts a delta of `bytes` bytes on `choice`.
    pub(crate) fn record(&mut self, choice: usize, channel: Channel, bytes: usize) {
        if let Some(streamed) = self.streamed.get_mut(choice) {
            match channel {
                Channel::Text => {
                    streamed.text_deltas += 1;
                    streamed.text_bytes = streamed.text_bytes.saturating_add(bytes);
                }
                Channel::Reasoning => {
                    streamed.reasoning_deltas += 1;
                    streamed.reasoning_bytes = streamed.reasoning_bytes.saturating_add(bytes);
                }
            }
        }
    }

    /// What choice `choice`'s current attempt consumed, as far as the engine can tell: the
    /// tokens it streamed, and the request's prompt if no other node has counted it yet. Resets
    /// the choice's counts (the attempt is over).
    pub(crate) fn consumed(&mut self, choice: usize) -> Usage {
        let streamed = self.streamed.get_mut(choice).map(std::mem::take).unwrap_or_default();
        let (completion_tokens, reasoning_tokens) = streamed.tokens();
        let prompt_tokens = if self.prompt_counted { 0 } else { self.prompt_tokens };
        self.prompt_counted = true;
        Usage { prompt_tokens, completion_tokens, reasoning_tokens }
    }

    /// Choices that are still streaming, in order.
    pub(crate) fn streaming(&self) -> Vec<usize> {
        (0..self.states.len()).filter(|&c| self.state(c) == Some(ChoiceState::Streaming)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(deltas: u64, bytes: usize) -> Streamed {
        Streamed { text_deltas: deltas, text_bytes: bytes, ..Streamed::default() }
    }

    #[test]
    fn a_choice_is_cut_at_its_token_limit_counted_in_deltas_or_in_bytes() {
        let limit = ChoiceLimit { text_tokens: Some(10), reasoning_tokens: None };
        assert_eq!(limit.admit(&streamed(9, 36), Channel::Text, "four"), (4, false));
        assert_eq!(limit.admit(&streamed(10, 40), Channel::Text, "x"), (0, true));
        // One huge delta: only what 10 tokens can possibly hold (16 bytes each) gets through.
        let huge = "y".repeat(5_000_000);
        assert_eq!(limit.admit(&streamed(0, 0), Channel::Text, &huge), (160, true));
    }

    #[test]
    fn a_cut_never_splits_a_character_and_every_branch_is_capped() {
        let limit = ChoiceLimit { text_tokens: Some(1), reasoning_tokens: None };
        let text = format!("{}é", "a".repeat(15));
        assert_eq!(limit.admit(&streamed(0, 0), Channel::Text, &text), (15, true));
        let unlimited = ChoiceLimit { text_tokens: None, reasoning_tokens: None };
        let near_cap = streamed(1, MAX_BRANCH_BYTES - 2);
        assert_eq!(unlimited.admit(&near_cap, Channel::Reasoning, "abc"), (2, true));
        assert_eq!(unlimited.admit(&streamed(1, 10), Channel::Reasoning, "abc"), (3, false));
    }

    #[test]
    fn a_completion_that_arrives_whole_is_cut_like_a_stream() {
        let limit = ChoiceLimit { text_tokens: Some(4), reasoning_tokens: None };
        let mut whole = Completion::new("z".repeat(1000), Usage::default());
        limit.bound(&mut whole);
        assert_eq!((whole.text.len(), whole.finish_reason), (64, FinishReason::Length));
        let mut short = Completion::new("fine", Usage::default());
        limit.bound(&mut short);
        assert_eq!((short.text.as_str(), short.finish_reason), ("fine", FinishReason::Stop));
    }

    #[test]
    fn an_attempts_tokens_are_at_least_one_per_delta() {
        assert_eq!(streamed(10, 8).tokens(), (10, 0));
        assert_eq!(streamed(1, 4000).tokens(), (1000, 0));
    }
}
