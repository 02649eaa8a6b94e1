//! Test doubles for deterministic strategy tests: a scripted model and a virtual clock.
//!
//! Enabled by the `test-utils` feature. They exist to test *logic* — voting, stopping, budgets,
//! cancellation — without a network or a real model; evidence that strategies work on real models
//! comes from the provider and built-in model integration tests.

mod manual_clock;
mod scripted;

pub use manual_clock::ManualClock;
pub use scripted::{Call, Reply, ScriptedModel};
