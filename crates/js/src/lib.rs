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
//! binary writes the TypeScript declarations of all of them (and of `thinkscale-web`'s provider
//! options and error codes). Failures are thrown as `Error`s with a stable `name` and `code`
//! (`thinkscale_web::Failure`). The models, clock and boundary conversions the engine runs on here
//! are `thinkscale-web`'s, shared with the live view. The boundary never panics: every input is
//! checked and every failure becomes an error value.

#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod options;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(target_arch = "wasm32")]
pub use wasm::*;
