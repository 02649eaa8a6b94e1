// The three examples in web/examples, each in a fresh project with the packed tarball installed:
// the plain HTML page runs self-consistency with the in-page model in Chromium; the Vite +
// TypeScript app type-checks, builds, and runs against the real llama.cpp server in Chromium; the
// Node script type-checks and runs against the same server. The pages are served under
// `Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'` and any violation fails the test
// (tests/browser/harness.mjs).
//
// Needs scripts/build-npm, THINKSCALE_MODEL_URL and the built-in model's weights
// (THINKSCALE_BUILTIN_MODEL). Run: node --test tests/npm/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { installInto, modelServer, repoRoot } from "./install.mjs";
import { guard, launch, serve } from "../browser/harness.mjs";

const examples = join(repoRoot, "web", "examples");
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Opens `url` in a fresh page; its problems (uncaught errors, CSP violations, dialogs) fail the test. */
async function open(url) {
  const page = await browser.newPage();
  const errors = await guard(page);
  await page.goto(url);
  return { page, errors };
}

const npx = (dir, ...args) => execFileSync("npx", ["--no-install", ...args], { cwd: dir, encoding: "utf8" });

test("plain HTML: a page with one external module runs self-consistency with the in-page model", async () => {
  const project = installInto({ template: join(examples, "html") });
  const weights = process.env.THINKSCALE_BUILTIN_MODEL ?? join(repoRoot, "web/builtin/models/smollm2-135m.gguf");
  assert.ok(existsSync(weights), `the built-in model's weights: ${weights} (scripts/models path smollm2-135m-q8)`);
  mkdirSync(join(project, "models"));
  symlinkSync(weights, join(project, "models", "smollm2-135m.gguf"));
  const server = await serve(project);
  try {
    const { page, errors } = await open(`${server.url}/index.html`);
    await page.fill("#question", "What is 7 + 8?");
    await page.click("#run");
    await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Done"), null, { timeout: 180_000 })
      .catch(async (timeout) => {
        // Say what the page showed, so a slow or stuck run can be told apart from a failed one.
        const status = await page.locator("#status").textContent();
        const shown = await page.locator("#samples li").allTextContents();
        throw new Error(`not done after 180 s: status ${JSON.stringify(status)}, samples ${JSON.stringify(shown)}, page errors ${JSON.stringify(errors)}`, { cause: timeout });
      });
    const samples = await page.locator("#samples li").allTextContents();
    assert.equal(samples.length, 5, "five sampled reasoning paths");
    // Each item is the sample's streamed text, then "  → " and its answer (added on branchFinished).
    assert.ok(samples.every((text) => /\S.*  → \S/s.test(text)), `each streamed its text: ${JSON.stringify(samples)}`);
    const answer = await page.locator("#answer").textContent();
    const votes = JSON.parse(await page.locator("#answer").getAttribute("data-votes"));
    assert.ok(answer.length > 0);
    assert.equal(votes.reduce((sum, [, count]) => sum + count, 0) <= 5, true);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test("Vite + TypeScript: type-checks against the generated types, builds, and runs in Chromium", async () => {
  const project = installInto({ template: join(examples, "vite") });
  npx(project, "tsc", "--noEmit", "-p", ".");
  npx(project, "vite", "build", "--logLevel", "error");
  const server = await serve(join(project, "dist"));
  try {
    const baseURL = modelServer();
    const { page, errors } = await open(`${server.url}/index.html?baseURL=${encodeURIComponent(baseURL)}`);
    await page.fill("#question", "What is 12 + 30?");
    await page.click("button");
    await page.waitForFunction(() => /samples|:/.test(document.querySelector("#status").textContent)
      && document.querySelector("#status").textContent !== "Thinking…", null, { timeout: 120_000 });
    const status = await page.locator("#status").textContent();
    assert.match(status, /^4 samples, \d+ tokens, stopped: completed$/);
    assert.ok((await page.locator("#votes li").count()) >= 1, "the vote was drawn");
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test("Node script: type-checks and streams an adaptive run against the real server", () => {
  const project = installInto({ template: join(examples, "node") });
  npx(project, "tsc", "--noEmit", "-p", ".");
  const output = execFileSync("node", ["run.mjs", "What is 2 + 2?"], {
    cwd: project, encoding: "utf8", timeout: 150_000,
    env: { ...process.env, THINKSCALE_BASE_URL: modelServer(), OPENAI_API_KEY: "" },
  });
  assert.match(output, /^sample #\d+: /m);
  assert.match(output, /^answer: /m);
  assert.match(output, /^spent: \d+ samples, \d+ tokens, \d+ ms$/m);
});
