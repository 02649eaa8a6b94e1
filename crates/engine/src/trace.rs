//! Traces: a run's events as a JSON document that can be exported, imported and replayed.
//!
//! A trace holds only what the engine saw — questions, configs, model text, usage — never provider
//! credentials, which live in the provider layer and never reach the engine. Import validates the
//! format, the version and the consistency of the events (see [`RunState::apply`]), so a replayed
//! trace always describes a run that could have happened.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::state::RunState;

/// The `format` field of every trace.
pub const TRACE_FORMAT: &str = "thinkscale.trace";
/// The trace version this engine writes and reads.
pub const TRACE_VERSION: u32 = 1;

/// The largest trace document accepted, in bytes (16 MiB). Importing parses and replays the whole
/// document at once; past this size that would hold a page's main thread for too long, and no run
/// this engine records in a page comes near it (token deltas are most of a trace: see
/// [`Trace::without_deltas`]).
pub const MAX_TRACE_BYTES: u64 = 16 * 1024 * 1024;
/// The most events a trace may hold.
pub const MAX_TRACE_EVENTS: usize = 200_000;

/// A run's events, with a format marker and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// Always [`TRACE_FORMAT`].
    pub format: String,
    /// Always [`TRACE_VERSION`] for traces this engine writes.
    pub version: u32,
    /// The events, in order.
    pub events: Vec<Event>,
}

impl Trace {
    /// A trace of these events.
    pub fn new(events: Vec<Event>) -> Self {
        Self { format: TRACE_FORMAT.to_owned(), version: TRACE_VERSION, events }
    }

    /// The trace as compact JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::InvalidTrace { at: None, reason: e.to_string() })
    }

    /// Refuses a trace document of `bytes` bytes if it is over [`MAX_TRACE_BYTES`]: call it with a
    /// file's size or a response's `Content-Length` before reading the document at all.
    pub fn check_size(bytes: u64) -> Result<()> {
        if bytes > MAX_TRACE_BYTES {
            return Err(Error::InvalidTrace {
                at: None,
                reason: format!(
                    "the trace is {:.1} MB; traces of up to {} MB can be opened (export one without \
                     token deltas to make it smaller)",
                    bytes as f64 / 1e6,
                    MAX_TRACE_BYTES / 1_000_000
                ),
            });
        }
        Ok(())
    }

    /// Parses a trace and checks that it replays cleanly (and is within [`MAX_TRACE_BYTES`] and
    /// [`MAX_TRACE_EVENTS`]).
    pub fn from_json(json: &str) -> Result<Self> {
        Self::open(json).map(|(trace, _)| trace)
    }

    /// Like [`from_json`](Self::from_json), and also returns the state the checked trace
    /// replays to — read once, folded once.
    pub fn open(json: &str) -> Result<(Self, RunState)> {
        Self::check_size(json.len() as u64)?;
        let trace: Trace = serde_json::from_str(json)
            .map_err(|e| Error::InvalidTrace { at: None, reason: e.to_string() })?;
        if trace.events.len() > MAX_TRACE_EVENTS {
            return Err(Error::InvalidTrace {
                at: None,
                reason: format!(
                    "the trace has {} events; at most {MAX_TRACE_EVENTS} can be opened",
                    trace.events.len()
                ),
            });
        }
        if trace.format != TRACE_FORMAT {
            return Err(Error::InvalidTrace {
                at: None,
                reason: format!("format is {:?}, expected {TRACE_FORMAT:?}", trace.format),
            });
        }
        if trace.version != TRACE_VERSION {
            return Err(Error::InvalidTrace {
                at: None,
                reason: format!(
                    "version {} is not supported (this engine reads {TRACE_VERSION})",
                    trace.version
                ),
            });
        }
        let state = trace.replay()?;
        Ok((trace, state))
    }

    /// Rebuilds the run's state from the events.
    pub fn replay(&self) -> Result<RunState> {
        let mut state = RunState::new();
        for event in &self.events {
            state.apply(event)?;
        }
        Ok(state)
    }

    /// The same trace without token deltas: much smaller, and it replays to the same outcome and
    /// the same finished nodes (they carry their whole text). What is lost is the streaming
    /// animation and the partial text of branches cancelled in flight.
    pub fn without_deltas(&self) -> Self {
        let events =
            self.events.iter().filter(|e| !matches!(e.kind, EventKind::TokenDelta { .. })).cloned();
        Self::new(events.collect())
    }
}
