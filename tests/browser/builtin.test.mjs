// The built-in model in real headless Chromium: it loads from its Worker with download progress,
// generates real text, streams deltas that add up, reloads from the Cache API, stops within one
// token when aborted, and never blocks the page's main thread.
//
// Needs `scripts/build-builtin-web` first (scripts/test runs it). Run: node --test tests/browser/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { launch, repoRoot, serve } from "./harness.mjs";

let server, browser, page;

before(async () => {
  server = await serve(join(repoRoot, "web"));
  browser = await launch();
  page = await browser.newPage();
  await page.goto(server.url + "/");
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const MODEL = "/builtin/models/smollm2-135m.gguf";

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
