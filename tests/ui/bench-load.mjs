// Load benchmark (measured, not asserted; not part of the test suite): 64 branches stream 1 MB of
// text each into the demo page through the OpenAI-compatible provider, from a loopback server of
// our own (tests/ui/fake-openai.mjs) that sends as fast as the page reads. Reports the main
// thread's long tasks (Long Tasks API) after the first second, and memory: the JS heap and DOM
// nodes (CDP Performance.getMetrics), sampled every half second, and the wasm memory of the demo
// (its exports, from start.js's TrunkApplicationStarted event).
//
//   trunk build --release && node tests/ui/bench-load.mjs
//   BRANCHES=16 MEGABYTES=0.25 PIECE=512 node tests/ui/bench-load.mjs     # a smaller load
//   DELAY_MS=5 node tests/ui/bench-load.mjs      # paced: every branch streams for ~5 s
//
// Unpaced, the server writes an answer faster than the page reads it, so the page is the
// bottleneck (the worst case for its main thread). Chromium opens at most 6 HTTP/1.1 connections
// to one origin, so at most 6 branches stream at once whatever the strategy's concurrency; the
// peak of running rows is reported (sampled).
//
// The strategy's maxTokens is set to 1,048,576 so that the engine's own token limit does not cut a
// branch short (each piece counts as at least one token); the engine caps a branch's text at
// 1 MiB, above the 1,000,000 characters sent here.
import { join } from "node:path";
import { guard, launch, repoRoot, serve } from "../browser/harness.mjs";
import { fakeOpenAi } from "./fake-openai.mjs";
import { finished, set } from "./pages.mjs";

const branches = Number(process.env.BRANCHES ?? 64);
const bytes = Math.round(Number(process.env.MEGABYTES ?? 1) * 1_000_000);
const pieceBytes = Number(process.env.PIECE ?? 1024);
const delayMs = Number(process.env.DELAY_MS ?? 0);

// One branch's text: words and line breaks (so the preview has whitespace to fold), cut into
// pieces of `pieceBytes` characters; the last piece answers.
const sentence = "The quick brown fox jumps over the lazy dog and keeps on reasoning about it.\n";
const body = sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes - 20) + " The answer is 42.";
const pieces = [];
for (let at = 0; at < body.length; at += pieceBytes) pieces.push(body.slice(at, at + pieceBytes));

const fake = await fakeOpenAi({ pieces: () => pieces, delayMs });
const server = await serve(join(repoRoot, "dist"));
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
const problems = await guard(page);
await page.addInitScript(() => {
  addEventListener("TrunkApplicationStarted", (event) => { window.demoWasm = event.detail.wasm; });
});
await page.goto(server.url + "/index.html");
await page.waitForSelector("button.think");
const cdp = await page.context().newCDPSession(page);
await cdp.send("Performance.enable");
const metrics = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));

await page.selectOption("#provider-kind", "openai");
await set(page, "#provider-url", `${fake.url}/v1`);
await set(page, "#provider-model", "fake");
await set(page, "#strategy-a-samples", String(branches));
await set(page, "#strategy-a-tokens", "1048576");
await page.evaluate(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push({ start: entry.startTime - window.clicked, duration: entry.duration });
  }).observe({ type: "longtask" });
  window.clicked = performance.now();
});
const before = await metrics();
const started = Date.now();
await page.click("button.think");
const samples = [];
const sampler = setInterval(async () => {
  try {
    const m = await metrics();
    const wasm = await page.evaluate(() => window.demoWasm?.memory?.buffer.byteLength ?? null);
    const running = await page.evaluate(() => document.querySelectorAll(".branch[data-status=running]").length);
    samples.push({ heap: m.JSHeapUsedSize, nodes: m.Nodes, wasm, running });
  } catch { /* the page is busy or closing */ }
}, 500);
await finished(page, 30 * 60_000);
clearInterval(sampler);
const seconds = (Date.now() - started) / 1000;
const after = await metrics();
const page_ = await page.evaluate(() => ({
  rows: document.querySelectorAll(".branch").length,
  done: document.querySelectorAll(".branch[data-status=done]").length,
  lengths: [...document.querySelectorAll(".branch pre.text")].map((pre) => pre.textContent.length),
  longTasks: window.longTasks,
  wasm: window.demoWasm?.memory?.buffer.byteLength ?? null,
  status: document.querySelector(".status-line").textContent,
}));

const late = page_.longTasks.filter((t) => t.start > 1000);
const over50 = late.filter((t) => t.duration > 50);
const mb = (n) => (n / 1e6).toFixed(1);
const max = (xs) => xs.reduce((a, b) => Math.max(a, b ?? 0), 0);
console.log(`load: ${branches} branches × ${bytes} bytes in pieces of ${pieceBytes} (${pieces.length} per branch), from ${fake.url}`);
console.log(`run: ${seconds.toFixed(1)} s; status "${page_.status}"; rows ${page_.rows}, done ${page_.done}; ` +
  `texts ${page_.lengths.length ? `${Math.min(...page_.lengths)}–${Math.max(...page_.lengths)}` : "none"} characters; ` +
  `server: ${fake.requests.filter((r) => r.method === "POST").length} requests; ` +
  `at most ${max(samples.map((s) => s.running))} rows running at once (sampled)`);
console.log(`long tasks after the first second: ${late.length}, of which over 50 ms: ${over50.length}` +
  (late.length ? ` (longest ${max(late.map((t) => t.duration)).toFixed(0)} ms, total ${late.reduce((s, t) => s + t.duration, 0).toFixed(0)} ms)` : ""));
console.log(`long tasks in the first second: ${page_.longTasks.length - late.length}` +
  (page_.longTasks.length > late.length ? ` (longest ${max(page_.longTasks.filter((t) => t.start <= 1000).map((t) => t.duration)).toFixed(0)} ms)` : ""));
console.log(`memory: JS heap ${mb(before.JSHeapUsedSize)} MB before, peak ${mb(max(samples.map((s) => s.heap)))} MB, ${mb(after.JSHeapUsedSize)} MB after; ` +
  `wasm memory peak ${mb(max(samples.map((s) => s.wasm)))} MB, ${page_.wasm === null ? "unknown" : `${mb(page_.wasm)} MB`} after; ` +
  `DOM nodes ${before.Nodes} before, ${after.Nodes} after`);
if (problems.length) console.log("page problems:", problems);
if (process.env.VERBOSE) console.log(JSON.stringify({ samples, over50 }, null, 1));
await browser.close();
await server.close();
await fake.close();
