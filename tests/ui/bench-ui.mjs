// The live view's two performance numbers, measured (not asserted):
//  1. first load of the demo without model weights: index.html + JS + wasm (+ snippets), gzipped;
//  2. main-thread long tasks (Long Tasks API) while 64 branches stream into the view, from the
//     real llama.cpp server through the OpenAI-compatible provider.
//
//   trunk build --release && THINKSCALE_MODEL_URL=http://127.0.0.1:8790 node tests/ui/bench-ui.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { launch, repoRoot, serve } from "../browser/harness.mjs";

const dist = join(repoRoot, "dist");
const files = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? files(path) : [path];
});
const firstLoad = files(dist).filter((path) => !relative(dist, path).startsWith("builtin") && !relative(dist, path).startsWith("docs-example"));
let raw = 0, gzipped = 0;
for (const path of firstLoad) {
  const bytes = readFileSync(path);
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
  console.log(`  ${relative(dist, path)}: ${bytes.length} B, ${gzipSync(bytes, { level: 9 }).length} B gzipped`);
}
console.log(`first load without weights: ${raw} B, ${gzipped} B gzipped (goal ≤ 600 KB)`);

const base = process.env.THINKSCALE_MODEL_URL;
if (!base) throw new Error("set THINKSCALE_MODEL_URL to a llama.cpp server");
const server = await serve(dist);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
await page.goto(server.url + "/index.html");
await page.waitForSelector("button.think");
await page.evaluate(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.longTasks.push(entry.duration), window.longTaskStarts = [...(window.longTaskStarts ?? []), Math.round(entry.startTime - (window.clicked ?? 0))]; })
    .observe({ type: "longtask", buffered: false });
});
await page.selectOption("#provider-kind", "openai");
for (const [selector, value] of [["#provider-url", base.replace(/\/$/, "") + "/v1"], ["#provider-model", "local"],
  ["#strategy-a-samples", "64"], ["#strategy-a-tokens", "48"]]) {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, "change");
}
const started = Date.now();
await page.evaluate(() => { window.clicked = performance.now(); });
await page.click("button.think");
await page.waitForFunction(() => document.querySelector(".status-line").textContent.startsWith("Done"), null, { timeout: 600_000 });
const seconds = (Date.now() - started) / 1000;
const result = await page.evaluate(() => ({
  branches: document.querySelectorAll(".branch").length,
  deltas: document.querySelector(".budget").textContent,
  longTasks: window.longTasks,
  starts: window.longTaskStarts,
}));
console.log("long tasks began at (ms after the click):", JSON.stringify(result.starts));
const over = result.longTasks.filter((d) => d > 50);
console.log(`64-branch run: ${result.branches} branches in ${seconds.toFixed(1)} s; long tasks (> 50 ms): ${over.length}` +
  `${over.length ? ` (longest ${Math.max(...over).toFixed(0)} ms)` : ""}; all long tasks: ${JSON.stringify(result.longTasks.map(Math.round))}`);
await browser.close();
await server.close();
