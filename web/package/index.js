// thinkscale for browsers and bundlers: loads the engine's wasm next to this file, and lets
// `{ kind: "builtin" }` start the in-page model in a Web Worker (weights load on first use).
import init, { registerBuiltinLoader } from "./wasm/thinkscale_js.js";
import { loadBuiltinModel } from "./builtin/builtin.js";

await init({ module_or_path: new URL("./wasm/thinkscale_js_bg.wasm", import.meta.url) });

registerBuiltinLoader(({ model, context, onProgress }) => {
  let loading;
  const name = model.split("/").pop().replace(/\.gguf$/i, "") || "builtin";
  return {
    kind: "custom",
    id: `builtin:${name}`,
    maxN: 16,
    logprobs: true,
    async generate(request, { signal, onDelta }) {
      // A failed load is not cached: the next call tries again.
      loading ??= loadBuiltinModel({ modelUrl: model, context, onProgress }).catch((error) => {
        loading = undefined;
        throw error;
      });
      const handle = await loading;
      return handle.generate(request, { signal, onChunk: (chunk) => chunk.delta && onDelta(chunk.delta) });
    },
  };
});

export { Engine, RunStream, importTrace, exportTrace, replayTrace } from "./wasm/thinkscale_js.js";
