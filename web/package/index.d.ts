// The package's declarations: the classes and functions are wasm-bindgen's, the data types are
// generated from the Rust types by `typegen` (types.d.ts). Nothing here is written by hand
// beyond this list of re-exports.
export * from "./types";
export { Engine, RunStream, importTrace, exportTrace, replayTrace } from "./wasm/thinkscale_js";
