// The demo and its embeds in real headless Chromium (Playwright), served from Trunk's dist/:
// self-consistency with the built-in model, stopping a run, an OpenAI-compatible provider
// pointed at the real llama.cpp server, hostile model output shown as text, the docs page's
// replayed and mounted embeds, tree search (live against the server, and a recorded depth-first
// trace with backtracks), adaptive allocation's decisions, and an accessibility audit (axe-core).
// Every page is served under `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'` and
// fails its test on any violation (tests/browser/harness.mjs). Screenshots go to test-results/.
//
// Needs `trunk build --release` (dist/, with the model copied by scripts/build-builtin-web) and
// THINKSCALE_MODEL_URL. Run: node --test tests/ui/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, repoRoot, serve } from "../browser/harness.mjs";
import { finished, openPage, set } from "./pages.mjs";

const shots = join(repoRoot, "test-results");
let server, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await serve(join(repoRoot, "dist"));
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

/** A fresh demo page; its problems (uncaught errors, CSP violations, dialogs) fail the test. */
const demo = (path = "/index.html") => openPage(browser, server, path);

/** Points the demo at the real llama.cpp server through the OpenAI-compatible provider. */
async function useLocalServer(page) {
  const base = process.env.THINKSCALE_MODEL_URL;
  assert.ok(base, "THINKSCALE_MODEL_URL: a llama.cpp server (scripts/test starts one)");
  await page.selectOption("#provider-kind", "openai");
  await set(page, "#provider-url", base.replace(/\/$/, "") + "/v1");
  await set(page, "#provider-model", "local");
}

test("self-consistency with the built-in model: branches stream, votes gather, an answer", async () => {
  const { page, problems } = await demo();
  await set(page, "#strategy-a-samples", "6");
  await page.click("button.think");
  // First use: the weights download with a progress bar (later pages load them from the cache).
  await page.waitForSelector(".status-line progress", { timeout: 60_000 });
  assert.match(await page.locator(".status-line").textContent(), /Downloading the model: \d+ MB of 145 MB/);
  await page.waitForSelector(".branch[data-status=running]", { timeout: 120_000 });
  await finished(page);
  assert.equal(await page.locator(".branch").count(), 6);
  assert.equal(await page.locator(".branch[data-status=done]").count(), 6);
  const labels = await page.locator(".branch .label").allTextContents();
  assert.deepEqual(labels, ["sample 1", "sample 2", "sample 3", "sample 4", "sample 5", "sample 6"]);
  assert.ok((await page.locator(".vote").count()) >= 1, "votes are drawn");
  assert.match(await page.locator(".final").textContent(), /^Answer: /);
  assert.match(await page.locator(".budget").textContent(), /samples\s*6/);
  await page.screenshot({ path: join(shots, "demo.png"), fullPage: true });
  // A second run reuses the model's Worker (and its weights) instead of starting another.
  await set(page, "#strategy-a-samples", "2");
  await page.click("button.think");
  await page.waitForFunction(() => document.querySelectorAll(".branch").length === 2, null, { timeout: 60_000 });
  await finished(page);
  assert.equal(page.workers().length, 1, "one model Worker");
  assert.deepEqual(problems, []);
});

test("Stop ends a run mid-way: the running branches are marked cancelled", async () => {
  const { page, problems } = await demo();
  await set(page, "#strategy-a-tokens", "600");
  await page.fill("textarea", "Write a long story about a lighthouse keeper.");
  await page.dispatchEvent("textarea", "input");
  await page.click("button.think");
  await page.waitForFunction(() => [...document.querySelectorAll(".branch .preview")].some((p) => p.textContent.length > 20),
    null, { timeout: 120_000 });
  await page.click("button.stop");
  await page.waitForFunction(() => document.querySelector(".status-line").textContent.includes("stopped by you"), null, { timeout: 10_000 });
  assert.ok((await page.locator(".branch[data-status=cancelled]").count()) >= 1);
  assert.equal(await page.locator(".branch[data-status=running]").count(), 0);
  assert.ok(await page.locator("button.think").isEnabled(), "ready for the next run");
  assert.deepEqual(problems, []);
});

test("Stop mid-run of 8 built-in samples keeps every answer that finished in the vote", async () => {
  // The built-in model decodes the 8 samples as one request; each sample ends on its own. Before
  // issue 13 a Stop cancelled the whole request, finished samples included.
  const { page, problems } = await demo();
  await set(page, "#strategy-a-samples", "8");
  await set(page, "#strategy-a-tokens", "400");
  // Votes on numbers only (the default would cluster the replies if most stated none).
  await page.selectOption("#strategy-a-answer", "number");
  await page.fill("textarea", "What is 7 + 8? Say as much or as little as you like, then give the final answer as a number.");
  await page.dispatchEvent("textarea", "input");
  await page.click("button.think");
  await page.waitForFunction(() =>
    document.querySelectorAll(".branch[data-status=done]").length >= 1
    && document.querySelectorAll(".branch[data-status=running]").length >= 1, null, { timeout: 240_000 });
  await page.click("button.stop");
  await page.waitForFunction(() => document.querySelector(".status-line").textContent.includes("stopped by you"), null, { timeout: 10_000 });
  const done = await page.locator(".branch[data-status=done]").count();
  assert.ok(done >= 1, "finished samples stay finished");
  assert.ok((await page.locator(".branch[data-status=cancelled]").count()) >= 1);
  assert.equal(done + await page.locator(".branch[data-status=cancelled]").count(), 8);
  // Every finished sample with an answer counts in the vote.
  const answered = await page.locator(".branch[data-status=done] .answer").evaluateAll((all) =>
    all.filter((a) => a.textContent && a.textContent !== "no answer").length);
  const votes = await page.locator(".vote .vote-count").evaluateAll((all) =>
    all.reduce((sum, c) => sum + Number(c.textContent), 0));
  assert.equal(votes, answered, "the vote counts every finished answer");
  assert.deepEqual(problems, []);
});

test("an OpenAI-compatible provider pointed at the real server; the key stays out of the trace", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await set(page, "#provider-key", "sk-ui-SECRET-7777777777");
  assert.match(await page.locator(".notice").textContent(), /sent only to http:\/\/127\.0\.0\.1:\d+\/v1.*memory only/);
  await set(page, "#strategy-a-samples", "4");
  await page.click("button.think");
  await finished(page, 120_000);
  assert.equal(await page.locator(".branch[data-status=done]").count(), 4);
  const saved = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("thinkscale.apiKey")));
  assert.deepEqual(saved, [], "not saved unless ticked");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("button.export")]);
  const trace = readFileSync(await download.path(), "utf8");
  assert.match(trace, /"format":"thinkscale.trace"/);
  assert.ok(!trace.includes("SECRET"), "the key is not in the exported trace");
  assert.deepEqual(problems, []);
});

test("best-of-N: each judge appears right under the candidate it scores", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await page.selectOption("#strategy-a-kind", "bestOfN");
  await set(page, "#strategy-a-samples", "2");
  await page.click("button.think");
  await finished(page, 180_000);
  const rows = await page.locator(".branch").evaluateAll((all) =>
    all.map((li) => [li.querySelector(".label").textContent, li.style.getPropertyValue("--depth")]));
  assert.equal(rows.length, 4, JSON.stringify(rows));
  for (let i = 0; i < rows.length; i += 2) {
    assert.match(rows[i][0], /^sample \d$/);
    assert.equal(rows[i][1], "0");
    assert.match(rows[i + 1][0], /^judge of #\d$/);
    assert.equal(rows[i + 1][1], "1");
  }
  assert.deepEqual(problems, []);
});

test("compare: two strategies on the same question, side by side, with a summary", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await set(page, "#strategy-a-samples", "3");
  await page.check(".compare-toggle input");
  await page.click("button.think");
  await page.waitForSelector(".compare-table tbody tr:nth-child(2)", { timeout: 180_000 });
  const strategies = await page.locator(".compare-table tbody th").allTextContents();
  assert.deepEqual(strategies, ["selfConsistency", "chainOfThought"]);
  const runs = page.locator(".runs.side-by-side .run");
  assert.equal(await runs.count(), 2);
  assert.equal(await runs.nth(0).locator(".branch").count(), 3);
  assert.equal(await runs.nth(1).locator(".branch").count(), 1);
  assert.deepEqual(problems, []);
});

test("adaptive consistency: agreeing samples settle the vote after the first wave", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await page.selectOption("#strategy-a-kind", "adaptiveConsistency");
  await set(page, "#strategy-a-samples", "16");
  await set(page, "#strategy-a-temperature", "0");
  await set(page, "#strategy-a-wave", "4");
  await page.click("button.think");
  await finished(page, 180_000);
  assert.match(await page.locator(".status-line").textContent(), /stopped early, the vote was settled/);
  assert.equal(await page.locator(".branch").count(), 4, "greedy samples agree, so one wave was enough");
  assert.deepEqual(problems, []);
});

test("a token budget stops the run, and the meter shows spending against it", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await set(page, "#strategy-a-samples", "12");
  await set(page, "#budget-tokens", "700");
  await page.click("button.think");
  await finished(page, 180_000);
  assert.match(await page.locator(".status-line").textContent(), /stopped by the tokens budget/);
  const meter = await page.locator(".budget .meter", { hasText: "tokens" }).textContent();
  const [, spent] = meter.match(/(\d+) of 700/) ?? [];
  // Known limit (see the notes): the server wraps the prompt in its chat template and SmolLM2's
  // default system message, tokens the engine's estimate cannot see, so concurrent branches can
  // overshoot by a few prompt tokens each (707 of 700 seen once). Allow that much, no more.
  assert.ok(spent && Number(spent) <= 700 + 3 * 32, meter);
  assert.ok((await page.locator(".branch").count()) < 12, "not every sample ran");
  assert.deepEqual(problems, []);
});

/** A consistent one-branch trace whose model output is hostile markup. */
function hostileTrace() {
  const text = 'Sure: <img src=x onerror="window.pwned=1"><script>window.pwned=2</script> The answer is: <b>42</b>';
  const answer = { text: "<b>42</b>", key: "<b>42</b>" };
  const usage = { promptTokens: 10, completionTokens: 20, reasoningTokens: 0 };
  const spend = { samples: 1, promptTokens: 10, completionTokens: 20, reasoningTokens: 0, elapsedMs: 30 };
  const events = [
    { atMs: 0, type: "runStarted", question: "<script>window.pwned=3</script>", strategy: "chainOfThought",
      config: { kind: "chainOfThought" }, budget: {}, model: "hostile" },
    { atMs: 1, type: "branchStarted", id: 0, parent: null, kind: "sample", label: "<i>sample</i>" },
    { atMs: 2, type: "tokenDelta", id: 0, channel: "text", text },
    { atMs: 20, type: "branchFinished", id: 0, text, reasoning: null, finishReason: "stop", answer,
      meanLogprob: null, confidence: null, usage, costUsd: null },
    { atMs: 21, type: "budgetSpent", spent: spend },
    { atMs: 30, type: "runFinished", outcome: { answer, chosen: 0, text, votes: [], stop: { kind: "completed" },
      spend, succeeded: 1, failed: 0, cancelled: 0 } },
  ];
  return JSON.stringify({ format: "thinkscale.trace", version: 1, events });
}

test("hostile model output is shown as text and no script runs", async () => {
  const { page, problems } = await demo();
  // First a six-branch trace, then the hostile one: the rows of the first must all go.
  const docs = join(tmpdir(), "thinkscale-docs-trace.json");
  writeFileSync(docs, readFileSync(join(repoRoot, "web/docs-example/trace.json")));
  await page.selectOption(".speed", "0");
  await page.setInputFiles(".import input[type=file]", docs);
  await finished(page, 10_000);
  assert.equal(await page.locator(".branch").count(), 6);
  const file = join(tmpdir(), "thinkscale-hostile-trace.json");
  writeFileSync(file, hostileTrace());
  await page.setInputFiles(".import input[type=file]", file);
  await page.waitForFunction(() => document.querySelectorAll(".branch").length === 1, null, { timeout: 10_000 });
  await finished(page, 10_000);
  const shown = await page.locator(".branch pre.text").textContent();
  assert.ok(shown.includes('<img src=x onerror="window.pwned=1">'), "the markup is visible as text");
  assert.equal(await page.locator(".thinkscale img, .thinkscale script:not([src]), .thinkscale b, .thinkscale i").count(), 0);
  assert.equal(await page.locator(".final-answer").textContent(), "<b>42</b>");
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  // Replaying again, at once, shows the same single branch (not a stale row).
  await page.click("button.replay");
  await finished(page, 10_000);
  assert.equal(await page.locator(".branch").count(), 1);
  assert.ok((await page.locator(".branch pre.text").textContent()).includes("<script>"));
  assert.deepEqual(problems, []);
});

test("Stop ends a replay, and the next run can start", async () => {
  const { page, problems } = await demo();
  const docs = join(tmpdir(), "thinkscale-docs-trace-slow.json");
  writeFileSync(docs, readFileSync(join(repoRoot, "web/docs-example/trace.json")));
  await page.selectOption(".speed", "1");
  await page.setInputFiles(".import input[type=file]", docs);
  await page.waitForFunction(() => document.querySelector(".status-line").textContent.includes("Replaying"));
  await page.click("button.stop");
  await page.waitForFunction(() => document.querySelector(".status-line").textContent.includes("stopped by you"), null, { timeout: 5_000 });
  assert.ok(await page.locator("button.think").isEnabled());
  assert.deepEqual(problems, []);
});

test("the docs page: a replayed trace in a shadow root, a mounted replay that unmounts, and a live embed", async () => {
  const { page, problems } = await openPage(browser, server, "/docs-example/index.html",
    { ready: null, viewport: { width: 1000, height: 1600 } });
  const replayed = page.locator("#replayed");
  await replayed.locator(".final-answer").waitFor({ timeout: 30_000 });
  assert.equal(await replayed.locator(".branch").count(), 6);
  assert.equal(await replayed.locator(".final-answer").textContent(), "15");
  // The host page colours <li> dark red; inside the shadow root our styles apply instead.
  const colour = await replayed.locator(".vote").first().evaluate((li) => getComputedStyle(li).color);
  assert.notEqual(colour, "rgb(139, 0, 0)");
  assert.equal(await page.evaluate(() => document.querySelectorAll(".thinkscale").length), 1, "only the mount() view is in the light DOM");
  const mounted = page.locator("#mounted");
  await mounted.locator(".final-answer").waitFor({ timeout: 30_000 });
  await page.click("#unmount");
  assert.equal(await mounted.locator(".thinkscale").count(), 0, "unmounted");
  const tree = page.locator("#tree");
  await tree.locator(".final-answer").waitFor({ timeout: 30_000 });
  assert.ok(await tree.locator(".branch.abandoned").count() >= 1, "dead ends are marked in the embed");
  await page.locator("#live").locator("button.think").waitFor();
  assert.equal(await page.locator("#live").locator("textarea").inputValue(), "What is 6 + 9?");
  await page.screenshot({ path: join(shots, "docs-example.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

test("axe-core finds no accessibility violations in the demo after a run", async () => {
  const require = createRequire(join(repoRoot, "web", "package.json"));
  const axe = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const { page, problems } = await demo();
  const file = join(tmpdir(), "thinkscale-axe-trace.json");
  writeFileSync(file, readFileSync(join(repoRoot, "web/docs-example/trace.json")));
  await page.selectOption(".speed", "0");
  await page.setInputFiles(".import input[type=file]", file);
  await finished(page, 10_000);
  // Evaluated by the test (not an inline script, which the page's CSP refuses).
  await page.evaluate(axe);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
});

test("tree of thoughts on the real server: proposals, steps and values; pruned states stay, marked", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await page.selectOption("#strategy-a-kind", "treeOfThoughts");
  await set(page, "#strategy-a-width", "2");
  await set(page, "#strategy-a-depth", "1");
  await set(page, "#strategy-a-proposals", "4");
  await set(page, "#strategy-a-tokens", "48");
  await page.click("button.think");
  await finished(page, 180_000);
  const kinds = await page.locator(".branch").evaluateAll((all) => all.map((li) => li.dataset.kind));
  assert.equal(kinds[0], "proposal", JSON.stringify(kinds));
  const thoughts = kinds.filter((k) => k === "thought").length;
  assert.ok(thoughts >= 1, JSON.stringify(kinds));
  assert.equal(kinds.filter((k) => k === "evaluation").length, thoughts, "each step valued");
  const pruned = await page.locator(".branch.abandoned").count();
  assert.equal(pruned, Math.max(0, thoughts - 2), "all but the beam's two steps pruned");
  if (pruned > 0) assert.match(await page.locator(".branch.abandoned .note").first().textContent(), /pruned: outside the beam/);
  assert.ok(kinds.filter((k) => k === "sample").length >= 1, "answers at the kept states");
  await page.screenshot({ path: join(shots, "tree-of-thoughts.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

test("a depth-first trace replays with its dead ends marked as backtracked", async () => {
  const { page, problems } = await demo();
  const file = join(tmpdir(), "thinkscale-tree-trace.json");
  writeFileSync(file, readFileSync(join(repoRoot, "web/docs-example/tree-trace.json")));
  await page.selectOption(".speed", "0");
  await page.setInputFiles(".import input[type=file]", file);
  await finished(page, 10_000);
  const notes = await page.locator(".branch.abandoned .note").allTextContents();
  assert.ok(notes.some((n) => /^dead end: backtracked to/.test(n)), JSON.stringify(notes));
  const depths = await page.locator(".branch[data-kind=thought]").evaluateAll((all) =>
    all.map((li) => li.style.getPropertyValue("--depth")));
  assert.ok(depths.includes("1"), "steps under steps: a tree, not a list");
  assert.deepEqual(problems, []);
});

test("adaptive allocation shows its decisions: greedy samples agree, so it stops after one wave", async () => {
  const { page, problems } = await demo();
  await useLocalServer(page);
  await page.selectOption("#strategy-a-kind", "adaptiveAllocation");
  await set(page, "#strategy-a-samples", "6");
  await set(page, "#strategy-a-wave", "3");
  await set(page, "#strategy-a-temperature", "0");
  await set(page, "#strategy-a-tokens", "48");
  await page.click("button.think");
  await finished(page, 120_000);
  assert.equal(await page.locator(".branch").count(), 3, "the first wave only");
  const decisions = await page.locator(".decisions li").allTextContents();
  assert.equal(decisions.length, 1, JSON.stringify(decisions));
  assert.match(decisions[0], /difficulty 0\.00 → stop \(easy: 3 of 3 samples agree\)/);
  assert.match(await page.locator(".why").textContent(), /the question looked easy/);
  assert.deepEqual(problems, []);
});
