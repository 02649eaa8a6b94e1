//! # thinkscale
//!
//! Make a language model think longer at inference time — sample and vote, stop once the vote is
//! settled, let a judge pick, search a tree of steps, refine, escalate only when the question is
//! hard — under hard budgets, and show every step of its thinking.
//!
//! This crate is the facade of the workspace: it re-exports the layers so that applications
//! depend on one crate. Today that is the strategy engine ([`engine`]); HTTP providers, the
//! built-in in-page model, the JavaScript API and the Leptos views are added as their own crates
//! and re-exported here. See `ARCHITECTURE.md` for how a run flows through the layers.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use thinkscale_engine as engine;
pub use thinkscale_engine::prelude;
