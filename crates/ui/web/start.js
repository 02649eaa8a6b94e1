// Starts the demo: loads its wasm (wasm-bindgen's glue finds thinkscale-demo_bg.wasm next to
// itself), whose main mounts the app on #app and defines <thinkscale-run>, then fires the event
// Trunk's own loader fires (`TrunkApplicationStarted`, with the wasm exports as `detail.wasm`).
//
// An external module rather than the inline <script type="module"> Trunk writes by default, so
// that the page runs under `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'`
// (Trunk.toml's pattern_script loads this file; index.html copies it into dist/).
import init from "./thinkscale-demo.js";

const wasm = await init();
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
