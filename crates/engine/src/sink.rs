//! Where events go: a push-style [`Sink`] that can stop the run.
//!
//! The engine calls [`Sink::observe`] for every event, in order, as it happens, with the run's
//! state after it and what it changed; by default that forwards the event to [`Sink::event`], so
//! a sink that only records or forwards events implements that one method, and a view that
//! projects the state overrides `observe` and reads the engine's own state. Returning
//! [`Flow::Stop`] asks the run to stop: in-flight branches are cancelled and the run finishes with
//! what it has (the final `runFinished` event is still delivered). Closures are sinks, so
//! `&mut |e: &Event| { println!("{e:?}"); Flow::Continue }` works.

use crate::compat::MaybeSend;
use crate::event::Event;
use crate::state::{Changed, RunState};
use crate::trace::Trace;

/// Whether the run should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop the run as soon as possible.
    Stop,
}

/// Receives a run's events.
pub trait Sink: MaybeSend {
    /// Called once per event, in order.
    fn event(&mut self, event: &Event) -> Flow;

    /// Called once per event, in order, with the run's state after the event and what the event
    /// changed in it. The default passes the event on to [`Sink::event`].
    fn observe(&mut self, event: &Event, state: &RunState, changed: Changed) -> Flow {
        let _ = (state, changed);
        self.event(event)
    }
}

impl<F: FnMut(&Event) -> Flow + MaybeSend> Sink for F {
    fn event(&mut self, event: &Event) -> Flow {
        self(event)
    }
}

/// A sink that ignores events.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn event(&mut self, _event: &Event) -> Flow {
        Flow::Continue
    }
}

/// A sink that keeps every event, to export as a [`Trace`] or to inspect in tests.
#[derive(Debug, Clone, Default)]
pub struct RecordingSink {
    /// The events so far.
    pub events: Vec<Event>,
}

impl RecordingSink {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The recorded events as a trace.
    pub fn into_trace(self) -> Trace {
        Trace::new(self.events)
    }
}

impl Sink for RecordingSink {
    fn event(&mut self, event: &Event) -> Flow {
        self.events.push(event.clone());
        Flow::Continue
    }
}
