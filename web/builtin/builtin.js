// The page's handle on the built-in model: starts its Web Worker, loads the weights (reporting
// download progress), and runs requests with streamed chunks and AbortSignal cancellation. The
// page's main thread only passes messages; all computation happens in the Worker.
//
//   const model = await loadBuiltinModel({ modelUrl, onProgress });
//   const response = await model.generate(request, { onChunk, signal });

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
  let readyResolve, readyReject;
  const ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });

  worker.onmessage = ({ data }) => {
    if (data.type === "progress") onProgress?.(data);
    else if (data.type === "ready") readyResolve({ info: data.info, fromCache: data.fromCache });
    else if (data.type === "error" && data.id === undefined) readyReject(new Error(data.message));
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
  worker.onerror = (event) => readyReject(new Error(event.message || "the model worker failed to start"));
  worker.postMessage({ type: "load", url: new URL(modelUrl, location.href).href, context });

  return ready.then(({ info, fromCache }) => ({
    info,
    fromCache,
    /** Runs one request (the engine's Request shape); resolves to its Response. `exact` makes
     * every sample run to maxTokens (benchmarks). */
    generate(request, { onChunk, signal, exact = false } = {}) {
      if (signal?.aborted) return Promise.reject(new DOMException("the request was aborted", "AbortError"));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onChunk });
        signal?.addEventListener("abort", () => worker.postMessage({ type: "cancel", id }), { once: true });
        worker.postMessage({ type: "generate", id, request, exact });
      });
    },
    /** Stops the Worker and frees the model's memory. */
    terminate() { worker.terminate(); },
  }));
}

/**
 * The built-in model as a thinkscale custom provider (`{ kind: "custom", generate, … }`): the
 * Worker starts and the weights load on the first request; a failed load is retried by the next.
 * @param {{model: string, context?: number, onProgress?: (p: {loaded: number, total: number}) => void}} options
 */
export function builtinProvider({ model, context, onProgress }) {
  let loading;
  const name = model.split("/").pop().replace(/\.gguf$/i, "") || "builtin";
  return {
    kind: "custom",
    id: `builtin:${name}`,
    maxN: 16,
    logprobs: true,
    async generate(request, { signal, onDelta }) {
      loading ??= loadBuiltinModel({ modelUrl: model, context, onProgress }).catch((error) => {
        loading = undefined;
        throw error;
      });
      const handle = await loading;
      return handle.generate(request, { signal, onChunk: (chunk) => chunk.delta && onDelta(chunk.delta) });
    },
  };
}
