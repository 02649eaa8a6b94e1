// The page's handle on the built-in model: starts its Web Worker, loads the weights (reporting
// download progress), and runs requests with streamed chunks and AbortSignal cancellation. The
// page's main thread only passes messages; all computation happens in the Worker.
//
//   const model = await loadBuiltinModel({ modelUrl, onProgress });
//   const response = await model.generate(request, { onChunk, signal });
//
// A Worker that failed to load, or whose WebAssembly trapped (a RuntimeError: its memory can no
// longer be trusted), is terminated and every request on it fails with a clear error;
// `builtinProvider` then starts a fresh Worker for the next request.

const here = new URL(".", import.meta.url);

/**
 * Starts the Worker and loads a GGUF model.
 * @param {{modelUrl: string, context?: number, workerUrl?: string|URL,
 *          onProgress?: (p: {loaded: number, total: number}) => void}} options
 */
export function loadBuiltinModel({ modelUrl, context = 2048, workerUrl = new URL("worker.js", here), onProgress }) {
  const worker = new Worker(workerUrl, { type: "module" });
  const pending = new Map();
  let nextId = 1;
  let stopped = null;
  let readyResolve, readyReject;
  const ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });

  // Ends this Worker for good: the load (if still under way) and every request fail with `error`.
  const stop = (error) => {
    if (stopped) return;
    stopped = error;
    worker.terminate();
    readyReject(error);
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };

  worker.onmessage = ({ data }) => {
    if (data.type === "progress") onProgress?.(data);
    else if (data.type === "ready") readyResolve({ info: data.info, fromCache: data.fromCache });
    else if (data.type === "error" && data.fatal) {
      stop(new Error(`the built-in model crashed (${data.message}) and its Worker was stopped: try again, and it loads afresh`));
    } else if (data.type === "error" && data.id === undefined) stop(new Error(data.message));
    else {
      const request = pending.get(data.id);
      if (!request) return;
      if (data.type === "chunks") data.chunks.forEach((chunk) => request.onChunk?.(chunk));
      else {
        pending.delete(data.id);
        if (data.type === "done") request.resolve(data.response);
        else if (data.type === "cancelled") request.reject(new DOMException("the request was aborted", "AbortError"));
        else request.reject(new Error(data.message));
      }
    }
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    stop(new Error(event.message || "the built-in model's Worker failed"));
  };
  worker.postMessage({ type: "load", url: new URL(modelUrl, location.href).href, context });

  return ready.then(({ info, fromCache }) => ({
    info,
    fromCache,
    /** Whether the Worker can still take requests (false once it crashed or was terminated). */
    get alive() { return !stopped; },
    /** Runs one request (the engine's Request shape); resolves to its Response. Chunks are
     * `{delta: {choice, text}}` and, as each sample ends, `{finished: {choice, completion}}`.
     * `exact` makes every sample run to maxTokens (benchmarks). */
    generate(request, { onChunk, signal, exact = false } = {}) {
      if (stopped) return Promise.reject(stopped);
      if (signal?.aborted) return Promise.reject(new DOMException("the request was aborted", "AbortError"));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onChunk });
        signal?.addEventListener("abort", () => { if (!stopped) worker.postMessage({ type: "cancel", id }); }, { once: true });
        worker.postMessage({ type: "generate", id, request, exact });
      });
    },
    /** Stops the Worker and frees the model's memory. */
    terminate() { stop(new Error("the built-in model was terminated")); },
  }));
}

/**
 * The built-in model as a thinkscale custom provider (`{ kind: "custom", generate, … }`): the
 * Worker starts and the weights load on the first request; a failed load, or a Worker that
 * crashed, is replaced by a fresh one on the next request. Each sample is handed to the
 * context's `onFinish({ choice, completion })` (when there is one) the moment it ends.
 * @param {{model: string, context?: number, workerUrl?: string|URL,
 *          onProgress?: (p: {loaded: number, total: number}) => void}} options
 */
export function builtinProvider({ model, context, workerUrl, onProgress }) {
  let loading;
  const name = model.split("/").pop().replace(/\.gguf$/i, "") || "builtin";
  const start = () => loadBuiltinModel({ modelUrl: model, context, workerUrl, onProgress }).catch((error) => {
    loading = undefined;
    throw error;
  });
  const loaded = async () => {
    const attempt = (loading ??= start());
    const handle = await attempt;
    if (handle.alive) return handle;
    if (loading === attempt) loading = undefined;
    return (loading ??= start());
  };
  return {
    kind: "custom",
    id: `builtin:${name}`,
    maxN: 16,
    logprobs: true,
    async generate(request, provider) {
      const handle = await loaded();
      const onChunk = (chunk) => {
        if (chunk.delta) provider.onDelta?.(chunk.delta);
        else if (chunk.finished) provider.onFinish?.(chunk.finished);
      };
      return handle.generate(request, { signal: provider.signal, onChunk });
    },
  };
}
