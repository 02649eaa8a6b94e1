// thinkscale for Node (18+): the same engine, its wasm read from disk. HTTP providers use the
// global fetch; the in-page `{ kind: "builtin" }` model needs a browser.
import { readFileSync } from "node:fs";
import { initSync } from "./wasm/thinkscale_js.js";

initSync({ module: readFileSync(new URL("./wasm/thinkscale_js_bg.wasm", import.meta.url)) });

export { Engine, RunStream, importTrace, exportTrace, replayTrace } from "./wasm/thinkscale_js.js";
