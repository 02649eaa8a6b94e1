//! # thinkscale
//!
//! Make a language model think longer at inference time — sample and vote, stop once the vote is
//! settled, let a judge pick, search a tree of steps, refine, escalate only when the question is
//! hard — under hard budgets, and show every step of its thinking.
//!
//! This crate is the facade of the workspace, so that Rust applications depend on one crate:
//!
//! * [`engine`] is `thinkscale-engine`: models, strategies, votes, budgets, events, traces. It
//!   has no HTTP, runtime or browser dependency.
//! * [`prelude`] is the engine's prelude: the runner, every strategy, [`Cascade`](prelude::Cascade),
//!   [`BoxModel`](prelude::BoxModel), [`Verifier`](prelude::Verifier), tasks, budgets and sinks.
//! * [`providers`] is `thinkscale-providers`: OpenAI-compatible servers (the `Preset` table),
//!   Anthropic and Gemini over HTTP — `fetch` in the browser, reqwest natively.
//!
//! The built-in model (`thinkscale-builtin`, candle), the web glue (`thinkscale-web`), the
//! JavaScript API (`thinkscale-js`) and the Leptos view (`thinkscale-ui`) are crates of their own,
//! not re-exported: each pulls in a large stack that most Rust applications do not need. See `ARCHITECTURE.md` for how a run flows
//! through the layers. The README's examples are compiled as this crate's doctests.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use thinkscale_engine as engine;
pub use thinkscale_engine::prelude;
pub use thinkscale_providers as providers;

/// The README's Rust examples, compiled as doctests so that the front door stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
