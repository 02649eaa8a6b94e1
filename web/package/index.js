// thinkscale for browsers and bundlers: loads the engine's wasm next to this file, and lets
// `{ kind: "builtin" }` start the in-page model in a Web Worker (weights load on first use).
import init, { registerBuiltinLoader } from "./wasm/thinkscale_js.js";
import { builtinProvider } from "./builtin/builtin.js";

await init({ module_or_path: new URL("./wasm/thinkscale_js_bg.wasm", import.meta.url) });
registerBuiltinLoader(builtinProvider);

export { Engine, RunStream, importTrace, exportTrace, replayTrace } from "./wasm/thinkscale_js.js";
