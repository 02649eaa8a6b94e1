//! The wasm-bindgen surface (wasm32 only): the `Engine` class, the run stream and the trace
//! functions. The models, clock and errors they run on are `thinkscale-web`'s.

mod engine;
mod read;
mod similarity;
mod stream;
mod trace;

pub use engine::{Engine, RunOptionsArg};
pub use stream::RunStream;
pub use trace::{export_trace, import_trace, replay_trace};

/// The generated declarations (`types.d.ts`, written by `typegen`) that the wasm-bindgen
/// declarations refer to, imported from where the npm package puts them.
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"import type { EngineOptions, RunInput, RunOptions, RunResult, RunEvent, Trace } from "../types.js";"#;
