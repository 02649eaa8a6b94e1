// API keys go where they belong, in real headless Chromium: a key belongs to a (provider kind,
// URL origin) pair. Two OpenAI-compatible servers of the test's own (tests/ui/fake-openai.mjs)
// record every Authorization header they get: server B never receives the key typed for server
// A, switching the provider kind empties the key field, and "remember" keeps one key per pair
// across a reload (forgetting one pair leaves the others).
//
// Needs `trunk build --release` (dist/). Run: node --test tests/ui/keys.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { launch, repoRoot, serve } from "../browser/harness.mjs";
import { fakeOpenAi } from "./fake-openai.mjs";
import { finished, openPage, set } from "./pages.mjs";

const KEY_A = "sk-server-A-0123456789";
const KEY_B = "sk-server-B-9876543210";
let server, browser, a, b;

before(async () => {
  server = await serve(join(repoRoot, "dist"));
  browser = await launch();
  [a, b] = await Promise.all([fakeOpenAi(), fakeOpenAi()]);
});
after(async () => { await browser?.close(); await server?.close(); await a?.close(); await b?.close(); });

/** The Authorization headers of the chat requests `fake` received (preflights carry none). */
const keysSeen = (fake) => fake.requests.filter((r) => r.method === "POST").map((r) => r.authorization ?? null);

/** Points the demo at `fake` through the OpenAI-compatible provider (one sample per run). */
async function pointAt(page, fake) {
  if ((await page.inputValue("#provider-kind")) !== "openai") await page.selectOption("#provider-kind", "openai");
  await set(page, "#provider-url", `${fake.url}/v1`);
  await set(page, "#provider-model", "fake");
}

async function think(page) {
  await page.click("button.think");
  await finished(page, 30_000);
}

const rememberBox = ".provider .remember input[type=checkbox]";

test("a key typed for server A is never sent to server B, nor to another provider kind", async () => {
  const { page, problems } = await openPage(browser, server);
  await set(page, "#strategy-a-samples", "1");
  await pointAt(page, a);
  await set(page, "#provider-key", KEY_A);
  await think(page);
  assert.deepEqual(keysSeen(a), [`Bearer ${KEY_A}`], "A gets its own key");

  await pointAt(page, b);
  await think(page);
  assert.ok(keysSeen(b).length >= 1, "B was asked");
  assert.ok(b.requests.every((r) => r.authorization !== `Bearer ${KEY_A}` && r.apiKey !== KEY_A), JSON.stringify(b.requests.map((r) => r.authorization)));
  assert.deepEqual(keysSeen(b), [null], "the request to B carries no key");
  assert.equal(await page.inputValue("#provider-key"), "", "the key field emptied when the server changed");

  await set(page, "#provider-key", KEY_B);
  await think(page);
  assert.deepEqual(keysSeen(b), [null, `Bearer ${KEY_B}`], "B gets the key typed for B");
  assert.deepEqual(keysSeen(a), [`Bearer ${KEY_A}`], "and A never gets B's");

  // Switching the kind: the OpenAI-compatible key is not Anthropic's, and back again it is gone
  // (it was not remembered).
  await page.selectOption("#provider-kind", "anthropic");
  assert.equal(await page.inputValue("#provider-key"), "", "Anthropic's field starts empty");
  assert.match(await page.locator(".notice").textContent(), /sent only to api\.anthropic\.com/);
  await page.selectOption("#provider-kind", "openai");
  assert.equal(await page.inputValue("#provider-key"), "");
  assert.deepEqual(problems, []);
});

test("remember keeps one key per (kind, origin) across a reload; forgetting one keeps the others", async () => {
  const { page, problems } = await openPage(browser, server);
  await page.evaluate(() => localStorage.clear());
  await pointAt(page, a);
  await set(page, "#provider-key", KEY_A);
  await page.check(rememberBox);
  await pointAt(page, b);
  assert.equal(await page.inputValue("#provider-key"), "", "B has no remembered key");
  assert.equal(await page.isChecked(rememberBox), false, "and B's box is not ticked");
  await set(page, "#provider-key", KEY_B);

  await page.reload();
  await page.waitForSelector("button.think");
  await pointAt(page, b);
  assert.equal(await page.inputValue("#provider-key"), "", "B's key was kept in memory only");
  await pointAt(page, a);
  assert.equal(await page.inputValue("#provider-key"), KEY_A, "A's remembered key is back for A");
  assert.equal(await page.isChecked(rememberBox), true);
  await page.selectOption("#provider-kind", "anthropic");
  assert.equal(await page.inputValue("#provider-key"), "", "and only for A");

  // Remember B too, then forget A: B's stays.
  await pointAt(page, b);
  await set(page, "#provider-key", KEY_B);
  await page.check(rememberBox);
  await pointAt(page, a);
  await page.uncheck(rememberBox);
  await page.reload();
  await page.waitForSelector("button.think");
  await pointAt(page, a);
  assert.equal(await page.inputValue("#provider-key"), "", "A was forgotten");
  await pointAt(page, b);
  assert.equal(await page.inputValue("#provider-key"), KEY_B, "B was not");
  const items = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("thinkscale.apiKey")));
  assert.equal(items.length, 1, JSON.stringify(items));
  assert.ok(items[0].includes(b.url), JSON.stringify(items));
  assert.deepEqual(problems, []);
});
