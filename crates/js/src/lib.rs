//! # thinkscale-js
//!
//! The JavaScript API of thinkscale, compiled to WebAssembly with wasm-bindgen: the Rust half of
//! the npm package (`web/package`). JavaScript sees an `Engine` class —
//!
//! ```js
//! import { Engine } from "thinkscale";
//! const engine = new Engine({ provider: { kind: "openai", preset: "groq", apiKey, model } });
//! const result = await engine.run("What is 17 × 24?", {
//!   strategy: { kind: "selfConsistency", samples: 8 },
//!   signal: AbortSignal.timeout(30_000),
//!   onEvent: (event) => console.log(event.type),
//! });
//! ```
//!
//! — plus `importTrace` / `exportTrace` / `replayTrace`. Options, events and results are the
//! engine's serde types as plain objects; [`options`] holds the JS-only shapes, and the `typegen`
//! binary writes the TypeScript declarations of all of them. Failures are thrown as `Error`s with
//! a stable `name` and `code` ([`error`]). The boundary never panics: every input is checked and
//! every failure becomes an error value.

#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod error;
pub mod options;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{ErrorCode, Failure};
#[cfg(target_arch = "wasm32")]
pub use wasm::*;
