// What a hostile or merely broken server, page or file must not do to the view, in real headless
// Chromium (pages under the harness's CSP; any page error fails the test):
//  - unmounting an embed while its trace-src is still downloading, or while its replay has rows
//    queued for the next frames, must not trap the shared wasm (another embed keeps working);
//  - trace-src and opened files are refused by their size before they are read (Content-Length,
//    a body that grows past the limit without one, a file's size);
//  - an instant replay of tens of thousands of events lets the page run between slices;
//  - a streaming branch hands each token to the DOM once (appended, never the whole text again),
//    as text, never HTML;
//  - the engine's hardening events are shown: usage of retried, cancelled and failed attempts,
//    revised usage, and "+N more answers" for a vote spread wider than it lists.
//
// Needs `trunk build --release` (dist/). Run: node --test tests/ui/hostile.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, repoRoot, serve } from "../browser/harness.mjs";
import { fakeOpenAi } from "./fake-openai.mjs";
import { finished, openPage, set } from "./pages.mjs";
import { hardeningEventsTrace, largeTrace } from "./traces.mjs";

const LIMIT = 16 * 1024 * 1024; // thinkscale_engine::trace::MAX_TRACE_BYTES
let server, browser;
/** What the test's own routes saw. */
const seen = { slow: null, huge: null, endless: null };

const html = (body) => (request, response) =>
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html><html lang="en"><title>embeds</title>${body}</html>`);
const js = (code) => (request, response) => response.writeHead(200, { "content-type": "text/javascript" }).end(code);

/**
 * A trace document's first bytes and then spaces, `bytesPerTick` every 5 ms: `length` bytes in all
 * (sent as the Content-Length), or without one, until `total` bytes. Records on `seen[record]`
 * how much it sent, whether it finished, and whether the page hung up before the end.
 */
function trickle(record, { length, total = length, bytesPerTick }) {
  return (request, response) => {
    const headers = { "content-type": "application/json" };
    if (length) headers["content-length"] = length;
    response.writeHead(200, headers);
    const state = { sent: 0, done: false, aborted: false };
    seen[record] = state;
    const prefix = Buffer.from('{"format":"thinkscale.trace","version":1,"events":[');
    response.write(prefix);
    state.sent = prefix.length;
    const timer = setInterval(() => {
      const size = Math.min(bytesPerTick, total - state.sent);
      if (size <= 0) { clearInterval(timer); state.done = true; response.end(); return; }
      response.write(Buffer.alloc(size, 0x20));
      state.sent += size;
    }, 5);
    response.on("close", () => { clearInterval(timer); state.aborted = !response.writableFinished; });
  };
}

before(async () => {
  const routes = {
    "/embeds.html": html('<body><main id="host"></main><script type="module" src="/embeds.js"></script></body>'),
    "/embeds.js": js('import init from "/thinkscale-demo.js";\nawait init();\nwindow.thinkscaleReady = true;\n'),
    // Sends the first bytes, then holds the rest until the test releases it.
    "/slow-trace.json": (request, response) => {
      const body = Buffer.from(largeTrace({ branches: 2, deltas: 2 }));
      response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      response.write(body.subarray(0, 16));
      seen.slow = { release: () => response.end(body.subarray(16)) };
    },
    "/many-rows.json": (request, response) =>
      response.writeHead(200, { "content-type": "application/json" }).end(largeTrace({ branches: 40, deltas: 3 })),
    "/huge-trace.json": trickle("huge", { length: 17_000_000, total: 17_000_000, bytesPerTick: 32 * 1024 }),
    "/endless-trace.json": trickle("endless", { total: 1e9, bytesPerTick: 256 * 1024 }),
  };
  server = await serve(join(repoRoot, "dist"), { routes });
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

const embeds = () => openPage(browser, server, "/embeds.html", { ready: null })
  .then(async (opened) => { await opened.page.waitForFunction(() => window.thinkscaleReady); return opened; });

/** Adds `<thinkscale-run id=… trace-src=… speed=0>` to the page. */
const embed = (page, id, src) => page.evaluate(([id, src]) => {
  const element = document.createElement("thinkscale-run");
  Object.assign(element, { id });
  element.setAttribute("trace-src", src);
  element.setAttribute("speed", "0");
  document.getElementById("host").append(element);
}, [id, src]);

test("unmounting an embed mid-download or mid-replay leaves the page and its other embeds working", async () => {
  const { page, problems } = await embeds();
  await embed(page, "slow", "/slow-trace.json");
  await page.waitForFunction(() => document.querySelector("#slow")?.shadowRoot?.querySelector(".status-line"));
  while (!seen.slow) await new Promise((done) => setTimeout(done, 20));
  await page.evaluate(() => document.getElementById("slow").remove());
  seen.slow.release();

  // A replay with more than a frame's rows queued, unmounted as soon as the first rows show.
  const rows = await page.evaluate(() => new Promise((done) => {
    const element = document.createElement("thinkscale-run");
    element.setAttribute("trace-src", "/many-rows.json");
    element.setAttribute("speed", "0");
    document.getElementById("host").append(element);
    const poll = () => {
      const shown = element.shadowRoot?.querySelectorAll(".branch").length ?? 0;
      if (shown > 0) { element.remove(); done(shown); } else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }));
  assert.ok(rows < 40, `unmounted with rows still queued (${rows} of 40 shown)`);

  await embed(page, "after", "/docs-example/trace.json");
  await page.locator("#after .final-answer").waitFor({ timeout: 20_000 });
  assert.equal(await page.locator("#after .final-answer").textContent(), "15");
  assert.equal(await page.locator("#after .branch").count(), 6);
  assert.deepEqual(problems, []);
});

test("trace-src is refused by its Content-Length, or once its body grows past the limit, without reading it all", async () => {
  const { page, problems } = await embeds();
  await embed(page, "huge", "/huge-trace.json");
  const error = page.locator("#huge .status-line .error");
  await error.waitFor({ timeout: 15_000 });
  assert.match(await error.textContent(), /could not be loaded: .*the trace is 17\.0 MB; traces of up to 16 MB can be opened/);
  assert.equal(seen.huge.done, false, `refused by its length, not after ${seen.huge.sent} bytes`);

  await embed(page, "endless", "/endless-trace.json");
  const cut = page.locator("#endless .status-line .error");
  await cut.waitFor({ timeout: 15_000 });
  assert.match(await cut.textContent(), /traces of up to 16 MB can be opened/);
  while (!seen.endless.aborted) await new Promise((done) => setTimeout(done, 20));
  assert.ok(seen.endless.sent < 4 * LIMIT, `the page stopped the download (${seen.endless.sent} bytes sent)`);
  assert.deepEqual(problems, []);
});

test("an opened file over the limit is refused by its size, before it is read", async () => {
  const { page, problems } = await openPage(browser, server);
  await page.evaluate(() => {
    window.reads = 0;
    const text = Blob.prototype.text;
    Blob.prototype.text = function () { window.reads += 1; return text.call(this); };
  });
  await page.setInputFiles(".import input[type=file]", {
    name: "big.json", mimeType: "application/json", buffer: Buffer.alloc(LIMIT + 1, 0x20),
  });
  await page.locator(".status-line .error").waitFor({ timeout: 10_000 });
  assert.match(await page.locator(".status-line .error").textContent(), /cannot be opened: .*traces of up to 16 MB can be opened/);
  assert.equal(await page.evaluate(() => window.reads), 0, "the file was not read");
  assert.deepEqual(problems, []);
});

test("an instant replay of 40,000 events lets the page run between its slices", async () => {
  const { page, problems } = await openPage(browser, server);
  const file = join(tmpdir(), "thinkscale-large-trace.json");
  writeFileSync(file, largeTrace({ branches: 2_000, deltas: 20 }));
  await page.selectOption(".speed", "0");
  // A timer of the page's own: it can only run while the replay is going if the replay yields.
  await page.evaluate(() => {
    window.sawReplaying = false;
    window.probe = setInterval(() => {
      if (document.querySelector(".status-line").textContent.includes("Replaying")) window.sawReplaying = true;
    }, 0);
  });
  await page.setInputFiles(".import input[type=file]", file);
  await finished(page, 60_000);
  assert.equal(await page.evaluate(() => window.sawReplaying), true, "a page timer ran during the replay");
  await page.waitForFunction(() => document.querySelectorAll(".branch").length === 2_000, null, { timeout: 60_000 });
  assert.equal(await page.locator(".final-answer").textContent(), "7");
  assert.deepEqual(problems, []);
});

test("a streaming branch hands each token to the page once, as text", async () => {
  const pieces = Array.from({ length: 300 }, (_, i) => (i === 150 ? "<b>bold?</b> " : `token ${String(i).padStart(3, "0")} `));
  const fake = await fakeOpenAi({ pieces: () => pieces, delayMs: 4 });
  try {
    const { page, problems } = await openPage(browser, server);
    // Count every character written into a branch's <pre class="text">, however it is written.
    await page.evaluate(() => {
      window.written = 0;
      const inText = (node) => (node?.nodeType === 1 ? node : node?.parentNode)?.closest?.("pre.text");
      const count = (proto, name) => {
        const property = Object.getOwnPropertyDescriptor(proto, name);
        Object.defineProperty(proto, name, { ...property, set(value) {
          if (inText(this)) window.written += String(value ?? "").length;
          property.set.call(this, value);
        } });
      };
      count(Node.prototype, "nodeValue");
      count(Node.prototype, "textContent");
      count(CharacterData.prototype, "data");
      const append = CharacterData.prototype.appendData;
      CharacterData.prototype.appendData = function (data) {
        if (inText(this)) window.written += data.length;
        return append.call(this, data);
      };
      const appendChild = Node.prototype.appendChild;
      Node.prototype.appendChild = function (child) {
        const result = appendChild.call(this, child);
        if (child.nodeType === 3 && inText(child)) window.written += child.data.length;
        return result;
      };
    });
    await page.selectOption("#provider-kind", "openai");
    await set(page, "#provider-url", `${fake.url}/v1`);
    await set(page, "#provider-model", "fake");
    await set(page, "#strategy-a-samples", "1");
    await set(page, "#strategy-a-tokens", "4096");
    await page.click("button.think");
    await finished(page, 60_000);
    const text = await page.locator(".branch pre.text").textContent();
    assert.equal(text, pieces.join(""), "the whole text, in order");
    const written = await page.evaluate(() => window.written);
    assert.ok(written <= 2 * text.length, `${written} characters written for a ${text.length}-character text`);
    assert.equal(await page.locator(".thinkscale .tree b").count(), 0, "markup stays text");
    assert.ok((await page.locator(".branch .preview").textContent()).endsWith("token 299"));
    assert.deepEqual(problems, []);
  } finally {
    await fake.close();
  }
});

test("usage of retried, cancelled and failed attempts, revised usage, and a vote wider than it lists", async () => {
  const { page, problems } = await openPage(browser, server);
  const file = join(tmpdir(), "thinkscale-hardening-events.json");
  writeFileSync(file, hardeningEventsTrace());
  await page.selectOption(".speed", "0");
  await page.setInputFiles(".import input[type=file]", file);
  await finished(page, 10_000);
  const rows = await page.locator(".branch").evaluateAll((all) => all.map((li) => ({
    status: li.dataset.status, meta: li.querySelector(".meta").textContent, note: li.querySelector(".note")?.textContent ?? "",
  })));
  assert.equal(rows.length, 4, JSON.stringify(rows));
  assert.match(rows[0].meta, /^100 tokens/, "revised usage replaces the first count");
  assert.match(rows[1].meta, /^45 tokens/, "the retried attempt's usage counts");
  assert.match(rows[1].note, /retry 2: .*overloaded/);
  assert.deepEqual([rows[2].status, rows[2].meta.match(/^\d+ tokens/)?.[0]], ["cancelled", "7 tokens"]);
  assert.deepEqual([rows[3].status, rows[3].meta.match(/^\d+ tokens/)?.[0]], ["failed", "9 tokens"]);
  assert.match(rows[3].note, /context length exceeded/);
  assert.equal(await page.locator(".votes .vote").count(), 16);
  assert.equal(await page.locator(".votes .more-answers").textContent(), "+4 more answers");
  assert.deepEqual(problems, []);
});
