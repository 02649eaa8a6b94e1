// thinkscale for browsers and bundlers: loads the engine's wasm next to this file, and lets
// `{ kind: "builtin" }` start the in-page model in a Web Worker (weights load on first use).
import init, { Engine as WasmEngine } from "./wasm/thinkscale_js.js";
import { builtinProvider } from "./builtin/builtin.js";

await init({ module_or_path: new URL("./wasm/thinkscale_js_bg.wasm", import.meta.url) });

/** The wasm `Engine`, given this entry's loader of the built-in model (`{ kind: "builtin" }`)
 *  unless the caller passes one of its own, as the declared `builtinLoader` parameter says. */
export class Engine extends WasmEngine {
  constructor(options, builtinLoader = builtinProvider) {
    super(options, builtinLoader);
  }
}

export { RunStream, importTrace, exportTrace, replayTrace } from "./wasm/thinkscale_js.js";
