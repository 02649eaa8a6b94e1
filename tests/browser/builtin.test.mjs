// The built-in model in real headless Chromium: it loads from its Worker with download progress,
// generates real text, streams deltas that add up, reloads from the Cache API, stops within one
// token when aborted, and never blocks the page's main thread. And when things go wrong (issue
// 13): a truncated download is refused, not cached, and its Worker stopped; a Worker whose
// WebAssembly traps is replaced; a batch too big for the memory is refused with the numbers;
// each sample is handed to the provider's onFinish as it ends.
//
// Needs `scripts/build-builtin-web` first (scripts/test runs it). Run: node --test tests/browser/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launch, repoRoot, serve } from "./harness.mjs";

let server, browser, page;
const models = join(repoRoot, "web", "builtin", "models");
// Half the real file: a download cut off mid-way (written for these tests; models/ is ignored).
const TRUNCATED = "/builtin/models/test-truncated.gguf";

before(async () => {
  const whole = readFileSync(join(models, "smollm2-135m.gguf"));
  writeFileSync(join(models, "test-truncated.gguf"), whole.subarray(0, whole.length >> 1));
  server = await serve(join(repoRoot, "web"), { routes: { "/trap-worker.js": serveTrapWorker } });
  browser = await launch();
  page = await browser.newPage();
  await page.goto(server.url + "/");
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(join(models, "test-truncated.gguf"), { force: true });
});

// In the page: counts the Workers started and which of them were terminated.
const spyOnWorkers = () => {
  if (!window.workersMade) {
    window.workersMade = [];
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(...args) { super(...args); this.terminated = false; window.workersMade.push(this); }
      terminate() { this.terminated = true; super.terminate(); }
    };
  }
  return window.workersMade.length;
};

const MODEL = "/builtin/models/smollm2-135m.gguf";

// The real Worker, except that asking it about "trap" throws the RuntimeError a wasm trap throws,
// and from then on every call does, as a module whose memory is gone would. Served from the page's
// origin, as the page's CSP (script-src 'self') requires of a Worker's script.
function serveTrapWorker(_request, response) {
  response.writeHead(200, { "content-type": "text/javascript" });
  response.end(`
    import { WorkerModel } from "/builtin/pkg/thinkscale_builtin.js";
    import "/builtin/worker.js";
    const start = WorkerModel.prototype.start;
    let trapped = false;
    WorkerModel.prototype.start = function (request, exact) {
      if (trapped || request.messages[0].content === "trap") {
        trapped = true;
        throw new WebAssembly.RuntimeError("unreachable");
      }
      return start.call(this, request, exact);
    };`);
}

test("loads in a Worker with progress, generates, and streams deltas that add up", async () => {
  const result = await page.evaluate(async (modelUrl) => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const progress = [];
    const model = await loadBuiltinModel({ modelUrl, onProgress: (p) => progress.push(p.loaded) });
    const deltas = [];
    const response = await model.generate(
      { messages: [{ role: "user", content: "What is 2 + 2?" }], temperature: 0, maxTokens: 24, n: 2 },
      { onChunk: (chunk) => chunk.delta && deltas.push(chunk.delta) },
    );
    model.terminate();
    return { info: model.info, fromCache: model.fromCache, progress, deltas, response };
  }, MODEL);
  assert.equal(result.info.architecture, "llama");
  assert.equal(result.fromCache, false);
  assert.ok(result.progress.length > 1, "download progress was reported");
  const texts = result.response.completions.map((c) => c.text);
  assert.match(texts[0], /4/);
  for (const choice of [0, 1]) {
    const streamed = result.deltas.filter((d) => d.choice === choice).map((d) => d.text).join("");
    assert.equal(streamed, texts[choice]);
  }
  assert.ok(result.response.completions[0].usage.promptTokens > 10);
});

test("a second load comes from the Cache API", async () => {
  const fromCache = await page.evaluate(async (modelUrl) => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const model = await loadBuiltinModel({ modelUrl });
    model.terminate();
    return model.fromCache;
  }, MODEL);
  assert.equal(fromCache, true);
});

test("aborting stops generation within one token and the page stays responsive", async () => {
  const result = await page.evaluate(async (modelUrl) => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const model = await loadBuiltinModel({ modelUrl });
    const longTasks = [];
    new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: "longtask" });
    const controller = new AbortController();
    let afterAbort = 0;
    let scheduled = false;
    let abortSent = false;
    const outcome = await model.generate(
      { messages: [{ role: "user", content: "Tell me a long story about dragons." }], temperature: 0.8, maxTokens: 400, n: 4 },
      {
        signal: controller.signal,
        // Abort once the first message (one step: a delta per sample) has been handled.
        onChunk: () => {
          if (abortSent) afterAbort += 1;
          else if (!scheduled) {
            scheduled = true;
            queueMicrotask(() => { abortSent = true; controller.abort(); });
          }
        },
      },
    ).then(() => "finished", (error) => error.name);
    model.terminate();
    return { outcome, afterAbort, longTasks };
  }, MODEL);
  assert.equal(result.outcome, "AbortError");
  // At most the step already under way when the cancel arrived: one token for each of 4 samples.
  assert.ok(result.afterAbort <= 4, `chunks after abort: ${result.afterAbort}`);
  assert.deepEqual(result.longTasks.filter((d) => d > 50), [], "main-thread tasks over 50 ms");
});

test("a file that is not a model is refused with a clear error", async () => {
  const message = await page.evaluate(async () => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    return loadBuiltinModel({ modelUrl: "/builtin/builtin.js" }).then(() => "loaded", (e) => e.message);
  });
  assert.match(message, /not a usable GGUF model file/);
});

test("a truncated download is refused, not cached, and its Worker stopped; good weights then load", async () => {
  const result = await page.evaluate(async ({ truncated, good, spy }) => {
    const before = (0, eval)(`(${spy})`)();
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const error = await loadBuiltinModel({ modelUrl: truncated }).then(() => "loaded", (e) => e.message);
    const cache = await caches.open("thinkscale-models-v1");
    const cached = await cache.match(new URL(truncated, location.href).href);
    const failed = window.workersMade.slice(before);
    // A copy already in the cache that no longer loads is deleted, not served again.
    const stale = new URL("/builtin/models/test-stale.gguf", location.href).href;
    await cache.put(stale, new Response(new Uint8Array([71, 71, 85, 70, 3, 0, 0, 0])));
    const staleError = await loadBuiltinModel({ modelUrl: stale }).then(() => "loaded", (e) => e.message);
    const staleKept = Boolean(await cache.match(stale));
    const model = await loadBuiltinModel({ modelUrl: good });
    const response = await model.generate({ messages: [{ role: "user", content: "Hi" }], maxTokens: 4, n: 1 });
    model.terminate();
    return {
      error, cached: Boolean(cached), started: failed.length, terminated: failed.every((w) => w.terminated),
      staleError, staleKept, text: response.completions[0].text,
    };
  }, { truncated: TRUNCATED, good: MODEL, spy: spyOnWorkers.toString() });
  assert.match(result.error, /not a usable GGUF model file: tensor .* lie past the end of the file/);
  assert.equal(result.cached, false, "the truncated download was cached");
  assert.equal(result.started, 1);
  assert.equal(result.terminated, true, "the Worker whose load failed was left running");
  assert.match(result.staleError, /not a usable GGUF model file/);
  assert.equal(result.staleKept, false, "a cached copy that does not load was kept");
  assert.ok(result.text.length > 0);
});

test("a Worker whose WebAssembly traps is replaced, and the request that hit it fails clearly", async () => {
  const result = await page.evaluate(async ({ good, spy }) => {
    const before = (0, eval)(`(${spy})`)();
    const { builtinProvider } = await import("/builtin/builtin.js");
    const provider = builtinProvider({ model: good, workerUrl: "/trap-worker.js" });
    const context = () => ({ signal: new AbortController().signal, onDelta() {} });
    const ask = (content) => provider.generate({ messages: [{ role: "user", content }], maxTokens: 4, n: 1 }, context());
    const first = await ask("Hi").then((r) => r.completions.length, (e) => e.message);
    const trapped = await ask("trap").then(() => "answered", (e) => e.message);
    const afterwards = await ask("Hi").then((r) => r.completions[0].text, (e) => `failed: ${e.message}`);
    const workers = window.workersMade.slice(before);
    return { first, trapped, afterwards, started: workers.length, firstTerminated: workers[0]?.terminated };
  }, { good: MODEL, spy: spyOnWorkers.toString() });
  assert.equal(result.first, 1);
  assert.match(result.trapped, /the built-in model crashed \(unreachable\)/);
  assert.ok(!result.afterwards.startsWith("failed"), result.afterwards);
  assert.equal(result.started, 2, "the next request did not get a new Worker");
  assert.equal(result.firstTerminated, true);
});

test("a batch whose key/value cache would not fit is refused with the numbers, and the model goes on", async () => {
  const result = await page.evaluate(async (modelUrl) => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const model = await loadBuiltinModel({ modelUrl });
    const messages = [{ role: "user", content: "Hi" }];
    const refused = await model.generate({ messages, maxTokens: 1900, n: 16 }).then(() => "ran", (e) => e.message);
    const after = await model.generate({ messages, maxTokens: 4, n: 2 }).then((r) => r.completions.length, (e) => e.message);
    model.terminate();
    return { refused, after };
  }, MODEL);
  assert.match(result.refused, /invalid request: 16 samples of up to \d+ positions need \d+ MiB of key\/value cache/);
  assert.match(result.refused, /46080 bytes per position\), more than the 1024 MiB/);
  assert.match(result.refused, /fewer samples \(at most \d+ fit at this length\) or fewer max tokens/);
  assert.equal(result.after, 2);
});

test("the provider hands each sample to onFinish as it ends, as the response lists it", async () => {
  const result = await page.evaluate(async (model) => {
    const { builtinProvider } = await import("/builtin/builtin.js");
    const provider = builtinProvider({ model });
    const events = [];
    const response = await provider.generate(
      { messages: [{ role: "user", content: "Name a fruit." }], temperature: 1, maxTokens: 60, n: 4, seed: 21 },
      {
        signal: new AbortController().signal,
        onDelta: (delta) => events.push({ delta }),
        onFinish: (finished) => events.push({ finished }),
      },
    );
    return { events, response };
  }, MODEL);
  const { events, response } = result;
  const finished = events.filter((e) => e.finished).map((e) => e.finished);
  assert.deepEqual(finished.map((f) => f.choice).sort(), [0, 1, 2, 3]);
  for (const { choice, completion } of finished) {
    assert.deepEqual(completion, response.completions[choice]);
    const lastDelta = events.findLastIndex((e) => e.delta?.choice === choice);
    assert.ok(lastDelta < events.findIndex((e) => e.finished?.choice === choice), `choice ${choice} streamed after onFinish`);
  }
  const firstFinish = events.findIndex((e) => e.finished);
  assert.ok(firstFinish < events.findLastIndex((e) => e.delta), "no sample was finished before the others ended");
});
