// Speed of the built-in model in headless Chromium against @wllama/wllama (llama.cpp compiled to
// WebAssembly) on the same GGUF file, both single-threaded in a Worker: 128 new tokens from the
// benchmark prompt, best of 3, plus 8 samples of 128 tokens decoded as one batch by ours, and the
// page's JS heap and the process's memory while generating.
//
//   scripts/build-builtin-web && node tests/browser/bench-builtin.mjs
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { launch, repoRoot, serve } from "./harness.mjs";

const MODEL = "/builtin/models/smollm2-135m.gguf";
const QUESTION = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?";
const TOKENS = 128;

// Resident memory of every Chromium process (page, Worker and browser), in MB: the honest figure
// for "how much memory does the page take", which a JS heap reading would miss (wasm memory).
function chromiumRssMb() {
  const out = execFileSync("ps", ["-C", "chromium", "-o", "rss="], { encoding: "utf8" });
  return out.split("\n").map(Number).filter(Boolean).reduce((a, b) => a + b, 0) / 1024;
}

const server = await serve(join(repoRoot, "web"));
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(server.url + "/");
  const idleMb = chromiumRssMb();
  let peakMb = idleMb;
  const sampler = setInterval(() => { peakMb = Math.max(peakMb, chromiumRssMb()); }, 100);
  const ours = await page.evaluate(async ({ MODEL, QUESTION, TOKENS }) => {
    const { loadBuiltinModel } = await import("/builtin/builtin.js");
    const model = await loadBuiltinModel({ modelUrl: MODEL });
    const request = (n) => ({ messages: [{ role: "user", content: QUESTION }], temperature: 0.7, seed: 42, maxTokens: TOKENS, n });
    const time = async (n) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await model.generate(request(n), { exact: true });
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const one = await time(1);
    const eight = await time(8);
    model.terminate();
    return { one, eight };
  }, { MODEL, QUESTION, TOKENS });
  clearInterval(sampler);
  const wllama = await page.evaluate(async ({ MODEL, QUESTION, TOKENS }) => {
    const { Wllama } = await import("/node_modules/@wllama/wllama/esm/index.js");
    const wllama = new Wllama({ default: "/node_modules/@wllama/wllama/esm/wasm/wllama.wasm" });
    await wllama.loadModelFromUrl(new URL(MODEL, location.href).href, { n_threads: 1, n_gpu_layers: 0, n_ctx: 1024 });
    let best = Infinity;
    let perSecond = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const reply = await wllama.createChatCompletion({
        messages: [{ role: "user", content: QUESTION }], max_tokens: TOKENS, temperature: 0.7, seed: 42, ignore_eos: true,
      });
      const elapsed = performance.now() - started;
      if (elapsed < best) { best = elapsed; perSecond = reply.timings?.predicted_per_second ?? 0; }
    }
    await wllama.exit();
    return { one: best, perSecond };
  }, { MODEL, QUESTION, TOKENS });
  const rate = (ms, n = 1) => (n * TOKENS / (ms / 1000)).toFixed(1);
  console.log("| runtime (headless Chromium, 1 thread) | 1 × 128 tokens | tokens/s | 8 × 128 tokens (batched) | vs 1 sample |");
  console.log("|---|---|---|---|---|");
  console.log(`| thinkscale built-in (candle, SIMD128) | ${(ours.one / 1000).toFixed(2)} s | ${rate(ours.one)} | ${(ours.eight / 1000).toFixed(2)} s (${rate(ours.eight, 8)} tok/s) | ${(ours.eight / ours.one).toFixed(2)}× |`);
  console.log(`| @wllama/wllama 3.13.0 (llama.cpp) | ${(wllama.one / 1000).toFixed(2)} s | ${rate(wllama.one)} (decode ${wllama.perSecond.toFixed(1)}) | – | – |`);
  console.log(`\nours / wllama (wall, 1 × 128): ${(wllama.one / ours.one).toFixed(2)}×`);
  console.log(`Chromium resident memory (all processes): ${idleMb.toFixed(0)} MB with the empty page, peak ${peakMb.toFixed(0)} MB while ours loaded the model and generated (incl. 8 × 128 batched)`);
} finally {
  await browser.close();
  await server.close();
}
