// The package's declarations: the classes and functions are wasm-bindgen's (wasm/api.d.ts, which
// declares what wasm/thinkscale_js.js exports), the data types are
// generated from the Rust types by `typegen` (types.d.ts). Nothing here is written by hand
// beyond this list of re-exports.
export * from "./types.js";
export { Engine, RunStream, importTrace, exportTrace, replayTrace } from "./wasm/api.js";
