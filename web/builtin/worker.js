// The built-in model's Web Worker: loads the GGUF weights (Cache API first, else the network with
// progress), then generates on request, one token per turn of the event loop so that a cancel
// message stops a generation within one token. Messages in and out are plain objects:
//
//   in:  {type:"load", url, context}            out: {type:"progress", loaded, total}
//        {type:"generate", id, request, exact?}      {type:"ready", info, fromCache}
//        {type:"cancel", id}                          {type:"chunks", id, chunks}
//                                                     {type:"done", id, response}
//                                                     {type:"error", id?, message, fatal}
//
// A chunk is {delta: {choice, text}} or, the moment a sample ends, {finished: {choice,
// completion}}. A download is cached only once the model has loaded from it, and a cached copy
// that no longer loads is deleted, so a truncated file is never served again. An error is
// `fatal` when the WebAssembly module trapped (a RuntimeError): its memory may be inconsistent,
// so this Worker refuses everything after it and the page must start a new one.
import init, { WorkerModel } from "./pkg/thinkscale_builtin.js";

const CACHE = "thinkscale-models-v1";
let model = null;
let crashed = null;
const cancelled = new Set();

// A turn of the event loop without setTimeout's clamping: lets queued messages (cancel) run.
const nextTurn = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(0);
});

function simdSupported() {
  // The smallest module using a v128 instruction (i32x4.splat of 0).
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
    10, 8, 1, 6, 0, 65, 0, 253, 17, 11]);
  return WebAssembly.validate(bytes);
}

async function fetchWeights(url) {
  const cache = "caches" in self ? await caches.open(CACHE).catch(() => null) : null;
  const cached = cache ? await cache.match(url).catch(() => undefined) : undefined;
  if (cached) {
    return {
      bytes: new Uint8Array(await cached.arrayBuffer()),
      fromCache: true,
      keep: async () => {},
      discard: () => cache.delete(url).catch(() => false),
    };
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`downloading the model failed: HTTP ${response.status} for ${url}`);
  }
  const total = Number(response.headers.get("content-length")) || 0;
  const chunks = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ type: "progress", loaded, total });
  }
  const whole = concat(chunks, loaded);
  return {
    bytes: whole,
    fromCache: false,
    keep: async () => {
      const headers = { "content-type": "application/octet-stream" };
      await cache?.put(url, new Response(whole, { headers })).catch(() => {});
    },
    discard: async () => {},
  };
}

function concat(parts, length) {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

async function load({ url, context }) {
  if (!simdSupported()) {
    throw new Error("this browser lacks WebAssembly SIMD, which the built-in model needs: update the browser, or use a provider with a key");
  }
  await init();
  const weights = await fetchWeights(url);
  try {
    model = new WorkerModel(weights.bytes, context ?? 2048);
  } catch (error) {
    await weights.discard();
    if (error instanceof WebAssembly.RuntimeError) throw error;
    if (error instanceof RangeError || /memory/i.test(String(error))) {
      throw new Error("not enough memory to load the built-in model here: close other tabs, or use a provider with a key");
    }
    throw error;
  }
  // Only now, with a model that loaded from them, are the bytes worth keeping.
  await weights.keep();
  postMessage({ type: "ready", info: model.describe(), fromCache: weights.fromCache });
}

async function generate({ id, request, exact }) {
  if (!model) throw new Error("the model is not loaded yet");
  const generation = model.start(request, Boolean(exact));
  try {
    while (!generation.done()) {
      const chunks = generation.step();
      if (chunks.length) postMessage({ type: "chunks", id, chunks });
      await nextTurn();
      if (cancelled.delete(id)) {
        postMessage({ type: "cancelled", id });
        return;
      }
    }
    postMessage({ type: "done", id, response: generation.finish() });
  } finally {
    try { generation.free(); } catch { /* after a trap the module is gone anyway */ }
  }
}

self.onmessage = async ({ data }) => {
  if (data.type === "cancel") { cancelled.add(data.id); return; }
  try {
    if (crashed) throw crashed;
    if (data.type === "load") await load(data);
    else if (data.type === "generate") await generate(data);
  } catch (error) {
    const fatal = error instanceof WebAssembly.RuntimeError;
    if (fatal) { crashed = error; model = null; }
    postMessage({ type: "error", id: data.id, message: error?.message ?? String(error), fatal });
  }
};
