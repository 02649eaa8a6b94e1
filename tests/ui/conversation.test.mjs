// Open questions and conversations in the demo, in real headless Chromium: with its defaults
// (self-consistency, the built-in model, answers of any kind) the demo answers a question with
// a text answer and an open request — never "Answer: none" once a sample finished — and a
// follow-up continues the conversation against the real llama.cpp server, the first answer
// being the assistant's turn.
//
// Needs `trunk build --release` (dist/) and THINKSCALE_QWEN_URL. Run: node --test tests/ui/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch, repoRoot, serve } from "../browser/harness.mjs";
import { finished, openPage, set } from "./pages.mjs";

let server, browser;
before(async () => {
  server = await serve(join(repoRoot, "dist"));
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

const demo = () => openPage(browser, server);

/** Points the page at the llama.cpp server at `base` (OpenAI-compatible, model "local"). */
async function useServer(page, base) {
  await page.selectOption("#provider-kind", "openai");
  await set(page, "#provider-url", base.replace(/\/$/, "") + "/v1");
  await set(page, "#provider-model", "local");
}

/** Asks `question` with whatever the page is set to and waits for the run to end. */
async function ask(page, question, timeout) {
  await page.fill("textarea", question);
  await page.dispatchEvent("textarea", "input");
  await page.click("button.think");
  await page.waitForSelector(".branch", { timeout });
  await finished(page, timeout);
  return (await page.locator(".final-answer").textContent()).trim();
}

test("the demo's defaults answer a text question and an open request with the built-in model", async (t) => {
  const { page, problems } = await demo();
  await set(page, "#strategy-a-samples", "4");
  for (const question of ["What is the capital of Australia?", "Write a haiku about autumn."]) {
    const answer = await ask(page, question, 300_000);
    const done = await page.locator(".branch[data-status=done]").count();
    assert.ok(done >= 1, `${question}: a sample finished`);
    assert.notEqual(answer, "none", `${question}: a finished sample always gives an answer`);
    assert.ok(answer.length > 0, question);
    t.diagnostic(`${question} -> ${answer} (${done} samples, ${await page.locator(".why").textContent()})`);
    // The vote (or the clusters) counts every finished sample when no answer key was named.
    const votes = await page.locator(".vote .vote-count").evaluateAll((all) =>
      all.reduce((sum, c) => sum + Number(c.textContent), 0));
    assert.ok(votes >= 1 && votes <= done, `${question}: ${votes} votes for ${done} samples`);
  }
  assert.deepEqual(problems, []);
});

test("a follow-up continues the conversation against the real server", async (t) => {
  const { page, problems } = await demo();
  // Qwen2.5 0.5B: it answers both questions in a word or two. What it answers is the model's
  // business (sampled, it sometimes says Sydney); what is checked is that the follow-up sends
  // the whole conversation, the first answer as the assistant's turn, to the server.
  const base = process.env.THINKSCALE_QWEN_URL;
  assert.ok(base, "THINKSCALE_QWEN_URL: a llama.cpp server with Qwen2.5 0.5B (scripts/test starts one)");
  await useServer(page, base);
  await set(page, "#strategy-a-samples", "4");
  const sent = [];
  page.on("request", (request) => {
    if (request.url().endsWith("/chat/completions")) sent.push(JSON.parse(request.postData()).messages);
  });
  const first = await ask(page, "What is the capital of Australia? Answer with the city's name.", 180_000);
  assert.ok(first.length > 0 && first !== "none", `the first question is answered: ${first}`);
  assert.ok(sent.length >= 4, "the samples went to the server");
  assert.deepEqual(sent.map((m) => m.map((turn) => turn.role)), sent.map(() => ["user"]));
  sent.length = 0;

  await page.fill(".follow-up input", "And the capital of Japan?");
  await page.click("button.ask-follow-up");
  await page.waitForFunction(() => document.querySelectorAll(".conversation .turn").length === 2, null, { timeout: 10_000 });
  const turns = await page.locator(".conversation .turn").evaluateAll((all) =>
    all.map((li) => [li.dataset.role, li.querySelector(".said").textContent]));
  assert.equal(turns[0][0], "user");
  assert.match(turns[0][1], /capital of Australia/);
  assert.deepEqual(turns[1], ["assistant", first], "the first answer is the assistant's turn");
  await finished(page, 180_000);
  const second = (await page.locator(".final-answer").textContent()).trim();
  assert.ok(second.length > 0 && second !== "none", `the follow-up is answered: ${second}`);
  t.diagnostic(`Australia -> ${first}; Japan, as a follow-up -> ${second}`);
  // Every sample of the follow-up asked the server with the whole conversation.
  assert.ok(sent.length >= 4, "the follow-up's samples went to the server");
  for (const messages of sent) {
    assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "user"]);
    assert.match(messages[0].content, /capital of Australia/);
    assert.equal(messages[1].content, first);
    assert.match(messages[2].content, /And the capital of Japan\?/);
  }
  // The trace records the whole conversation the model was asked.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("button.export")]);
  const trace = JSON.parse(readFileSync(await download.path(), "utf8"));
  const started = trace.events[0];
  assert.deepEqual(started.messages.map((m) => m.role), ["user", "assistant", "user"]);
  assert.equal(started.messages[1].content, first);
  assert.equal(started.question, "And the capital of Japan?");

  await page.click("button.new-conversation");
  assert.equal(await page.locator(".conversation").count(), 0, "a new conversation starts empty");
  assert.deepEqual(problems, []);
});

test("universal self-consistency from the picker reads free-form replies from the real server and says what it chose", async (t) => {
  const { page, problems } = await demo();
  const base = process.env.THINKSCALE_MODEL_URL;
  assert.ok(base, "THINKSCALE_MODEL_URL: a llama.cpp server (scripts/test starts one)");
  await useServer(page, base);
  await page.selectOption("#strategy-a-kind", "universalSelfConsistency");
  await page.selectOption("#strategy-a-answer", "freeForm");
  await set(page, "#strategy-a-samples", "3");
  const answer = await ask(page, "Write a haiku about autumn.", 180_000);
  const kinds = await page.locator(".branch").evaluateAll((all) => all.map((li) => [li.dataset.kind, li.dataset.status]));
  assert.deepEqual(kinds.filter(([kind]) => kind === "sample").length, 3, JSON.stringify(kinds));
  assert.deepEqual(kinds.filter(([kind]) => kind === "selector"), [["selector", "done"]], "one selector call, streamed to its end");
  assert.ok(answer.length > 0 && answer !== "none", answer);
  // What the selector chose, and why, is shown as text: a sample it named, or none (the
  // clusters then decide) — never markup from the model.
  const selection = (await page.locator(".selection").textContent()).trim();
  assert.match(selection, /^The selector \(#3\) chose (#[0-2]|none): /);
  assert.equal(await page.locator(".selection *").count(), 0, "the reason is text");
  t.diagnostic(`${answer} | ${selection}`);
  assert.deepEqual(problems, []);
});
