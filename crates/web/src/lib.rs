//! # thinkscale-web
//!
//! The web glue of thinkscale: what running the engine in a page needs, shared by the npm
//! package's API (`thinkscale-js`) and the live view (`thinkscale-ui`) so that neither depends on
//! the other.
//!
//! - `provider_model`: the engine model behind a JS `provider` option — an HTTP provider over
//!   `fetch`, a JavaScript `generate` function (`{ kind: "custom" }`), or the built-in in-page
//!   model through a `BuiltinLoader` its owner passes in;
//! - `JsClock`: `performance.now()` and `setTimeout` as the engine's clock;
//! - the boundary's conversions (JSON text both ways, NaN refused) and its one error type,
//!   [`Failure`], thrown as an `Error` with a stable `name` and `code`.
//!
//! The error type and the JS-implemented provider options ([`provider_options`]) build natively
//! too, so the `typegen` binary can derive their TypeScript declarations (`typescript` feature);
//! everything that touches JavaScript (`provider_model`, `BuiltinLoader`, `JsClock`, the
//! conversions) is wasm32 only. Nothing here panics at the boundary: every
//! input is checked and every failure becomes an error value.

#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod error;
pub mod provider_options;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{ErrorCode, Failure};
#[cfg(target_arch = "wasm32")]
pub use wasm::*;
