//! The journal: every event of a run goes through here, once.
//!
//! Emitting stamps the event with the run's clock, folds it into the run's [`RunState`] and hands
//! it to the sink. Strategies read the state (the votes, a node's text) from the journal, so what
//! they decide on is exactly what the trace will show.

use std::time::Duration;

use crate::clock::Clock;
use crate::event::{Event, EventKind, NodeId};
use crate::sink::{Flow, Sink};
use crate::state::RunState;
use crate::vote::{MAX_STANDINGS, Tally};

/// A run's event log and state, as strategies see it.
pub struct Journal<'r> {
    sink: &'r mut dyn Sink,
    state: RunState,
    clock: Option<&'r dyn Clock>,
    origin: Duration,
    sink_stopped: bool,
}

impl std::fmt::Debug for Journal<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("events", &self.state.events).finish_non_exhaustive()
    }
}

impl<'r> Journal<'r> {
    pub(crate) fn new(sink: &'r mut dyn Sink, clock: Option<&'r dyn Clock>) -> Self {
        let origin = clock.map(|c| c.now()).unwrap_or_default();
        Self { sink, state: RunState::new(), clock, origin, sink_stopped: false }
    }

    /// Milliseconds since the run started (0 without a clock).
    pub fn elapsed_ms(&self) -> u64 {
        let now = self.clock.map(|c| c.now()).unwrap_or_default();
        u64::try_from(now.saturating_sub(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    /// Records an event and delivers it to the sink. Strategies record through the typed
    /// methods below; the driver and the runner emit the rest.
    pub(crate) fn emit(&mut self, kind: EventKind) {
        self.emit_stamped(|_| kind);
    }

    /// Records an event built from its own timestamp (for events that report the elapsed time).
    ///
    /// An event that does not fit the run so far (a bug in the engine: finishing a node twice,
    /// cancelling a failed one) never reaches the sink, in release builds too: what a sink sees
    /// always replays. Debug builds stop at it, so tests find such bugs.
    pub(crate) fn emit_stamped(&mut self, make: impl FnOnce(u64) -> EventKind) {
        let at_ms = self.elapsed_ms().max(self.state.spend.elapsed_ms);
        let event = Event { at_ms, kind: make(at_ms) };
        let applied = self.state.apply(&event);
        debug_assert!(applied.is_ok(), "the engine emitted an inconsistent event: {applied:?}");
        let Ok(changed) = applied else { return };
        if self.sink.observe(&event, &self.state, changed) == Flow::Stop {
            self.sink_stopped = true;
        }
    }

    /// The run so far.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The run's state, for the caller once the run is over.
    pub(crate) fn into_state(self) -> RunState {
        self.state
    }

    /// Whether the sink has asked the run to stop.
    pub fn sink_stopped(&self) -> bool {
        self.sink_stopped
    }

    /// Records a score for `id` (non-finite scores are dropped: they cannot be compared).
    pub fn score(&mut self, id: NodeId, score: f64, by: Option<NodeId>) {
        if score.is_finite() {
            self.emit(EventKind::NodeScored { id, score, by });
        }
    }

    /// Records the current vote (as standings: see [`Standing`](crate::vote::Standing)): the
    /// leading [`MAX_STANDINGS`] answers, the votes counted and how many answers there are.
    pub fn tally(&mut self, tallies: &[Tally]) {
        let counted = tallies.iter().map(|t| t.votes).sum();
        let standings = tallies.iter().take(MAX_STANDINGS).map(Tally::standing).collect();
        let answers = u32::try_from(tallies.len()).unwrap_or(u32::MAX);
        self.emit(EventKind::VoteTallied { standings, counted, answers });
    }

    /// Records a selector's choice among the samples (`None`: it named none that exists).
    pub fn select(&mut self, by: NodeId, chosen: Option<NodeId>, reason: String) {
        self.emit(EventKind::Selected { by, chosen, reason });
    }

    /// Records the samples' clusters.
    pub fn clusters(&mut self, clusters: &[crate::cluster::Cluster]) {
        self.emit(EventKind::Clustered { clusters: clusters.to_vec() });
    }

    /// Marks `id` pruned (a search abandoned it), saying why.
    pub fn prune(&mut self, id: NodeId, reason: impl Into<String>) {
        self.emit(EventKind::NodePruned { id, reason: reason.into() });
    }

    /// Records that a search left `from` and resumes under `to` (`None`: the root).
    pub fn backtrack(&mut self, from: NodeId, to: Option<NodeId>) {
        self.emit(EventKind::Backtracked { from, to });
    }

    /// Records a decision of an adaptive strategy: how hard the question looked, what it does
    /// next and why.
    pub fn decide(&mut self, difficulty: f64, action: impl Into<String>, reason: String) {
        self.emit(EventKind::Decided { difficulty, action: action.into(), reason });
    }
}
