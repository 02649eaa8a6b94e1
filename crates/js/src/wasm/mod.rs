//! The wasm-bindgen surface (wasm32 only): the `Engine` class, the run stream, trace functions,
//! and the bridges to JavaScript models, clocks and errors.

mod builtin;
mod clock;
mod convert;
mod engine;
mod failure;
mod js_model;
mod model;
mod stream;
mod trace;

pub use builtin::register_builtin_loader;
pub use clock::JsClock;
pub use engine::{Engine, RunOptionsArg};
pub use model::provider_model;
pub use stream::RunStream;
pub use trace::{export_trace, import_trace, replay_trace};

/// The generated declarations (`types.d.ts`, written by `typegen`) that the wasm-bindgen
/// declarations refer to, imported from where the npm package puts them.
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &str =
    r#"import type { EngineOptions, RunOptions, RunResult, RunEvent, Trace } from "../types.js";"#;
