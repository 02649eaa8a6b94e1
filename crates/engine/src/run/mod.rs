//! The [`Run`] a strategy acts on: the model, the task, the budget ledger and the journal of one
//! run, which the [`Runner`](crate::Runner) sets up.
//!
//! A run flows like this: the runner validates everything up front (strategy, task, budget, prices,
//! clock), emits `runStarted`, and hands a [`Run`] to the strategy. The strategy plans branches and
//! calls [`Run::drive`], which makes the model calls under the budget and streams every step into
//! the [`Journal`]. When the strategy returns its [`Verdict`], the runner emits `runFinished` with
//! the [`Outcome`] — the same outcome whether the strategy finished, settled early, ran out of
//! budget, was cancelled or lost branches to errors.

mod drive;
mod flight;
mod journal;
mod settle;

pub use drive::{BranchPlan, MAX_CONCURRENCY, Step};
pub use flight::MAX_BRANCH_BYTES;
pub use journal::Journal;

use crate::answer::{Answer, AnswerParser};
use crate::budget::Ledger;
use crate::cancel::CancelToken;
use crate::cluster::Similarity;
use crate::compat::BoxFuture;
use crate::event::{EventKind, NodeId, NodeKind, Outcome, StopReason};
use crate::model::{Capabilities, Model};
use crate::pricing::Pricing;
use crate::prompt::Task;
use crate::state::{NodeStatus, RunState};
use crate::verifier::Verifier;
use crate::vote::Tally;

/// What a strategy concluded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// The final answer.
    pub answer: Option<Answer>,
    /// The node it came from.
    pub chosen: Option<NodeId>,
    /// The final vote, best first.
    pub votes: Vec<Tally>,
}

impl Verdict {
    /// The vote's leader (best first) as the answer, its earliest sample as the chosen node.
    pub fn of_vote(votes: Vec<Tally>) -> Self {
        let leader = votes.first();
        let answer = leader.map(|t| t.answer.clone());
        let chosen = leader.and_then(|t| t.nodes.first().copied());
        Self { answer, chosen, votes }
    }
}

/// The run a strategy is executing: the model, the task, the budget ledger and the journal.
pub struct Run<'r, M> {
    pub(crate) model: &'r M,
    pub(crate) task: &'r Task,
    /// The task as prompts quote it ([`Task::transcript`]), built once.
    pub(crate) transcript: String,
    pub(crate) parser: AnswerParser,
    /// Each tier's price (index = the request's tier).
    pub(crate) prices: Vec<Option<Pricing>>,
    pub(crate) verifier: Option<&'r dyn Verifier>,
    /// How alike two statements are, for clustering.
    pub(crate) similarity: &'r dyn Similarity,
    pub(crate) cancel: &'r CancelToken,
    pub(crate) ledger: Ledger,
    pub(crate) journal: Journal<'r>,
    pub(crate) deadline: Option<BoxFuture<'static, ()>>,
    pub(crate) stopped: Option<StopReason>,
}

impl<M> std::fmt::Debug for Run<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("stopped", &self.stopped).finish_non_exhaustive()
    }
}

impl<'r, M: Model> Run<'r, M> {
    /// The task.
    pub fn task(&self) -> &'r Task {
        self.task
    }
    /// The task's conversation as the prompts a strategy writes itself quote it: the question
    /// alone, or a transcript ending with it (see [`Task::transcript`]).
    pub fn transcript(&self) -> &str {
        &self.transcript
    }
    /// The model's capabilities.
    pub fn capabilities(&self) -> Capabilities {
        self.model.capabilities()
    }
    /// The id of the model that answers requests of `tier` (see [`Request::tier`]).
    ///
    /// [`Request::tier`]: crate::model::Request::tier
    pub fn tier_id(&self, tier: u32) -> &str {
        self.model.tier_id(tier)
    }
    /// The caller's verifier, if one was given.
    pub fn verifier(&self) -> Option<&'r dyn Verifier> {
        self.verifier
    }
    /// How alike two statements are when samples are clustered: the caller's similarity, or
    /// text similarity.
    pub fn similarity(&self) -> &'r dyn Similarity {
        self.similarity
    }
    /// The run so far.
    pub fn state(&self) -> &RunState {
        self.journal.state()
    }
    /// The journal, to record votes, scores and other events.
    pub fn journal(&mut self) -> &mut Journal<'r> {
        &mut self.journal
    }
    /// Why the run stopped, once it has.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stopped.as_ref()
    }
    /// Whether the run has stopped (further [`drive`](Self::drive) calls do nothing).
    pub fn is_stopped(&self) -> bool {
        self.stopped.is_some()
    }
    /// Stops the run between drives (for example when a wave settles the vote).
    pub fn stop(&mut self, reason: StopReason) {
        if self.stopped.is_none() {
            self.journal.emit(EventKind::EarlyStop { reason: reason.clone() });
            self.stopped = Some(reason);
        }
    }

    /// Records a node that no model call of its own produced — one step of a proposal listing,
    /// say — as finished with `text`. Its tokens belong to `written_by`, the call that wrote it,
    /// so it has no usage and does not count as a sample. Returns its id.
    pub fn record_node(
        &mut self,
        parent: Option<NodeId>,
        kind: NodeKind,
        label: &str,
        text: &str,
        written_by: NodeId,
    ) -> NodeId {
        let id = self.journal.state().next_id();
        self.journal.emit(EventKind::BranchStarted {
            id,
            parent,
            kind,
            label: label.to_owned(),
            written_by: Some(written_by),
        });
        let answer = kind
            .yields_answer()
            .then(|| self.parser.extract(text, crate::model::FinishReason::Stop))
            .flatten();
        self.journal.emit(EventKind::BranchFinished {
            id,
            text: text.to_owned(),
            reasoning: None,
            finish_reason: crate::model::FinishReason::Stop,
            answer,
            mean_logprob: None,
            confidence: None,
            usage: crate::model::Usage::default(),
            cost_usd: self.prices.iter().any(Option::is_some).then_some(0.0),
        });
        id
    }

    /// Ends the run with the strategy's verdict and returns the outcome and the final state.
    pub(crate) fn finish(mut self, verdict: Verdict) -> (Outcome, RunState) {
        let state = self.journal.state();
        let (succeeded, failed, cancelled) = state.status_counts();
        let last_error = state.errors.last().map(|e| e.error.clone());
        let stop = match (self.stopped.take(), last_error) {
            (Some(reason), _) => reason,
            (None, Some(error)) if succeeded == 0 => StopReason::ModelFailed { error },
            (None, _) => StopReason::Completed,
        };
        let text = verdict
            .chosen
            .and_then(|id| state.node(id))
            .filter(|n| n.status == NodeStatus::Done)
            .map(|n| n.text.clone());
        let mut outcome = Outcome {
            answer: verdict.answer,
            chosen: verdict.chosen,
            text,
            votes: verdict.votes,
            stop,
            spend: state.spend,
            succeeded,
            failed,
            cancelled,
        };
        self.journal.emit_stamped(|at_ms| {
            outcome.spend.elapsed_ms = at_ms;
            EventKind::RunFinished { outcome: outcome.clone() }
        });
        (outcome, self.journal.into_state())
    }
}
