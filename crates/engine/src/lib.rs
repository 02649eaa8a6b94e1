//! # thinkscale-engine
//!
//! The strategy engine of thinkscale: it makes a language model "think longer" at inference time —
//! sampling several reasoning paths and voting, stopping early once the vote is settled, or letting
//! a judge pick the best — under hard budgets, and it reports every step as an event.
//!
//! ```
//! # #[cfg(feature = "test-utils")] {
//! use thinkscale_engine::prelude::*;
//! # use thinkscale_engine::testing::ScriptedModel;
//! # let model = ScriptedModel::cycling(["7 * 6 = 42. The answer is: 42"]);
//! // `model` is any `Model`: an HTTP provider, the built-in in-page model, …
//! let runner = Runner::new(&model).budget(Budget::unlimited().max_tokens(20_000));
//! let strategy = AdaptiveConsistency { max_samples: 12, ..Default::default() };
//! let task = Task::new("What is 7 × 6?").extractor(Extractor::number());
//! let mut trace = RecordingSink::new();
//! let outcome = futures::executor::block_on(runner.run(&strategy, &task, &mut trace))?;
//! assert_eq!(outcome.answer.unwrap().key, "42");
//! assert!(matches!(outcome.stop, StopReason::Settled { .. })); // four agreeing samples were enough
//! # }
//! # Ok::<(), thinkscale_engine::Error>(())
//! ```
//!
//! ## Design
//!
//! * **No platform in the core.** The engine has no HTTP client, no async runtime and no browser
//!   bindings; it compiles natively and to `wasm32-unknown-unknown`. Models, clocks and event sinks
//!   are traits the layers above implement (`fetch` providers, the in-page model, a Leptos view).
//! * **One trait per concept.** [`Model`] (one required async method), [`Strategy`] (plain,
//!   serializable config structs), [`Sink`] (push events; return [`Flow::Stop`] to stop the run).
//! * **The trace is the truth.** Every model call is a node with a parent; every vote, score,
//!   prune, stop and failure is an [`Event`]. The engine keeps its own state by folding its events
//!   with [`RunState::apply`], so a replayed trace rebuilds exactly what the live run saw.
//! * **Nothing is lost.** A failing branch is recorded and the others go on; a budget stop, a
//!   cancellation or an early settle ends with the best answer so far and the reason.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod answer;
pub mod budget;
pub mod cancel;
pub mod clock;
pub mod cluster;
pub mod compat;
mod error;
pub mod event;
mod field_vote;
pub mod model;
pub mod node;
pub mod pricing;
pub mod prompt;
pub mod run;
pub mod runner;
pub mod sink;
pub mod state;
pub mod stopping;
pub mod strategy;
pub mod task;
pub mod tasks;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod trace;
pub mod verifier;
pub mod vote;

pub use answer::{Answer, Extractor};
pub use budget::{Budget, Limit, Spend};
pub use cancel::CancelToken;
pub use clock::Clock;
#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use cluster::Similarity;
pub use error::{Error, Result};
pub use event::{Event, EventKind, NodeId, NodeKind, Outcome, SettleRule, StopReason};
pub use model::{Capabilities, Model, ModelError, ModelErrorKind, Request, Response};
pub use pricing::{PriceTable, Pricing};
pub use run::{MAX_BRANCH_BYTES, MAX_CONCURRENCY, Run, Verdict};
pub use runner::{FinishedRun, Runner};
pub use sink::{Flow, NullSink, RecordingSink, Sink};
pub use state::{Changed, RunState};
pub use strategy::{
    AdaptiveAllocation, AdaptiveConsistency, BestOfN, ChainOfThought, Direct, Judge,
    NativeReasoning, SelfConsistency, SelfRefine, Strategy, StrategyConfig, TreeOfThoughts,
    UniversalSelfConsistency,
};
pub use task::Task;
pub use trace::{MAX_TRACE_BYTES, MAX_TRACE_EVENTS, Trace};
pub use verifier::Verifier;
pub use vote::{Tally, Weighting};

/// The names most programs need: `use thinkscale_engine::prelude::*;`.
pub mod prelude {
    pub use crate::model::{BoxModel, Cascade};
    pub use crate::{
        AdaptiveAllocation, AdaptiveConsistency, BestOfN, Budget, CancelToken, ChainOfThought,
        Direct, Event, EventKind, Extractor, Flow, Judge, Model, NativeReasoning, NullSink,
        Outcome, RecordingSink, Runner, SelfConsistency, SelfRefine, Sink, StopReason, Strategy,
        StrategyConfig, Task, Trace, TreeOfThoughts, Verifier, Weighting,
    };
}
